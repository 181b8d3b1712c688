#include "os/criu.h"
#include "os/cgroup.h"
#include "base/failpoint.h"
#include "base/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#define PRIVATE_CRIU "/opt/vers/criu/bin/criu"

static struct vers_criu_info info;
static bool probed;

static bool parse_version(const char *s, int *maj, int *min)
{
        return sscanf(s, "%d.%d", maj, min) == 2;
}

/* kernels from 6.16 on need CRIU 4.2 (older CRIU cannot dump inet sockets there) */
static bool version_fits_kernel(const char *v, char **why)
{
        int maj = 0, min = 0, kmaj = 0, kmin = 0;
        struct utsname u;
        if (!parse_version(v, &maj, &min)) {
                *why = xasprintf("cannot read CRIU's version ('%s')", v);
                return false;
        }
        if (uname(&u) == 0)
                parse_version(u.release, &kmaj, &kmin);
        bool new_kernel = kmaj > 6 || (kmaj == 6 && kmin >= 16);
        bool new_criu = maj > 4 || (maj == 4 && min >= 2);
        if (new_kernel && !new_criu) {
                *why = xasprintf("CRIU %s cannot checkpoint on kernel %s (needs CRIU 4.2 or "
                                 "later; 'make deps' installs it)",
                                 v, u.release);
                return false;
        }
        if (maj < 3 || (maj == 3 && min < 17)) {
                *why = xasprintf("CRIU %s is too old (needs 3.17 or later)", v);
                return false;
        }
        return true;
}

static char *version_of(const char *cmd)
{
        char *argv[] = {(char *)cmd, "--version", NULL};
        _cleanup_free_ char *out = NULL;
        if (vers_run(argv, &out, NULL) != 0 || !out)
                return NULL;
        char *p = strstr(out, "Version:");
        if (!p)
                return NULL;
        p += strlen("Version:");
        while (*p == ' ' || *p == '\t')
                p++;
        size_t n = strcspn(p, " \n");
        return n ? strndup(p, n) : NULL;
}

const struct vers_criu_info *vers_criu_probe(void)
{
        if (probed)
                return &info;
        probed = true;
        const char *forced = getenv("VERS_CRIU");
        const char *candidates[3];
        size_t nc = 0;
        if (forced && *forced) {
                candidates[nc++] = forced;
        } else {
                candidates[nc++] = PRIVATE_CRIU;
                candidates[nc++] = "criu";
        }
        char *why = NULL;
        for (size_t i = 0; i < nc; i++) {
                if (strchr(candidates[i], '/') && access(candidates[i], X_OK) != 0)
                        continue;
                char *v = version_of(candidates[i]);
                if (!v)
                        continue;
                free(why);
                why = NULL;
                if (version_fits_kernel(v, &why)) {
                        info.usable = true;
                        info.path = xstrdup(candidates[i]);
                        info.version = v;
                        return &info;
                }
                if (!info.version) {
                        info.path = xstrdup(candidates[i]);
                        info.version = v;
                } else {
                        free(v);
                }
        }
        info.why = why ? why
                       : xstrdup(forced && *forced ? "CRIU not found at $VERS_CRIU"
                                                   : "CRIU not found ('make deps' installs it in "
                                                     "/opt/vers/criu)");
        return &info;
}

bool vers_criu_images_complete(const char *images)
{
        _cleanup_free_ char *inv = xasprintf("%s/inventory.img", images);
        return vers_path_exists(inv);
}

/* CRIU's own "Error (" lines from its log, for the message (crun's show_criu_log) */
static int criu_failed(const char *what, const char *log, int status, vers_error_t *err)
{
        _cleanup_free_ char *text = NULL;
        struct strbuf sb = STRBUF_INIT;
        int n = 0;
        if (vers_read_file(log, &text, NULL, NULL) == 0) {
                char *save = NULL;
                for (char *line = strtok_r(text, "\n", &save); line && n < 8;
                     line = strtok_r(NULL, "\n", &save)) {
                        /* missing iptables tools are reported as errors but are harmless */
                        if (!strstr(line, "Error (") || strstr(line, "tables") ||
                            strstr(line, "RLIMIT_NOFILE"))
                                continue;
                        strbuf_addf(&sb, "\n  %s", line);
                        n++;
                }
        }
        vers_make_error(err, 0, "criu %s failed (exit %d; log: %s)%s", what, status, log,
                        sb.len ? sb.buf : "");
        strbuf_release(&sb);
        return -1;
}

/* How long a recovery lets a dump whose vers died go on before killing it: killing criu
 * while its parasite code runs in the env's processes can take them down with it. */
#define ORPHAN_DUMP_WAIT_MS 20000

/* "pid starttime" of this process into path, written by the criu child itself before it
 * execs, so that it is there even if vers dies the moment it forked */
static void write_pidfile(const char *path)
{
        char buf[64];
        int n = snprintf(buf, sizeof buf, "%d %llu\n", (int)getpid(),
                         (unsigned long long)vers_pid_starttime(getpid()));
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0) {
                vers_write_all(fd, buf, (size_t)n);
                fsync(fd);
                close(fd);
        }
}

/* The action script CRIU runs at each stage of a dump (criu(8) --action-script): for
 * pre-dump (CRIU has started, nothing is seized yet) and post-dump (all is dumped, the tree
 * still stopped) it writes the stage's name into the FIFO hook.req and waits for vers's
 * answer in hook.ack ("ok" lets the dump go on); other stages pass. The directory comes in
 * VERS_CRIU_HOOK, set for criu only. */
static const char hook_script[] =
    "#!/bin/sh\n"
    "case \"$CRTOOLS_SCRIPT_ACTION\" in\n"
    "pre-dump | post-dump)\n"
    "        echo \"$CRTOOLS_SCRIPT_ACTION\" >\"$VERS_CRIU_HOOK/hook.req\" || exit 1\n"
    "        read -r answer <\"$VERS_CRIU_HOOK/hook.ack\" || exit 1\n"
    "        [ \"$answer\" = ok ] ;;\n"
    "esac\n";

struct hook_fds {
        int req, ack; /* both FIFOs opened read-write: neither open nor a lone peer blocks */
        const struct vers_criu_dump_hooks *hooks;
        int stage; /* 0 before pre-dump, 1 after it, 2 after post-dump */
        vers_error_t err;
};

static int hook_files(const char *dir, struct hook_fds *h, vers_error_t *err)
{
        _cleanup_free_ char *script = xasprintf("%s/hook", dir);
        _cleanup_free_ char *req = xasprintf("%s/hook.req", dir);
        _cleanup_free_ char *ack = xasprintf("%s/hook.ack", dir);
        if (vers_write_file_atomic(script, hook_script, strlen(hook_script), 0700, err) < 0)
                return -1;
        if ((mkfifo(req, 0600) < 0 && errno != EEXIST) ||
            (mkfifo(ack, 0600) < 0 && errno != EEXIST))
                return vers_make_error(err, errno, "cannot make CRIU's hook FIFOs in '%s'", dir);
        h->req = open(req, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        h->ack = open(ack, O_RDWR | O_CLOEXEC);
        if (h->req < 0 || h->ack < 0)
                return vers_make_error(err, errno, "cannot open CRIU's hook FIFOs in '%s'", dir);
        return 0;
}

static void hook_files_remove(const char *dir, struct hook_fds *h)
{
        if (h->req >= 0)
                close(h->req);
        if (h->ack >= 0)
                close(h->ack);
        const char *names[] = {"hook", "hook.req", "hook.ack"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", dir, names[i]);
                unlink(p);
        }
}

/* One line from the action script: run the hook of its stage and answer it. */
static void hook_answer(struct hook_fds *h)
{
        char buf[64];
        ssize_t n = read(h->req, buf, sizeof buf - 1);
        if (n <= 0)
                return;
        buf[n] = 0;
        int rc = -1;
        if (str_startswith(buf, "pre-dump") && h->stage == 0) {
                h->stage = 1;
                rc = h->hooks->seize ? h->hooks->seize(h->hooks->arg, &h->err) : 0;
        } else if (str_startswith(buf, "post-dump") && h->stage == 1) {
                h->stage = 2;
                rc = h->hooks->dumped ? h->hooks->dumped(h->hooks->arg, &h->err) : 0;
        }
        const char *answer = rc == 0 ? "ok\n" : "no\n";
        vers_write_all(h->ack, answer, strlen(answer));
}

/* Run criu; with pidfile, its pid is recorded there and failpoint is reached once it runs.
 * With h, its action script's stages are answered while it runs. */
static int run_criu(char **argv, const char *envid, const char *pidfile, const char *hookdir,
                    struct hook_fds *h, const char *failpoint)
{
        pid_t pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                if (pidfile)
                        write_pidfile(pidfile);
                int nul = open("/dev/null", O_RDWR);
                if (nul >= 0) {
                        dup2(nul, 0);
                        dup2(nul, 1);
                        dup2(nul, 2);
                }
                /* the restored tree is forked from criu: it lands in criu's cgroup */
                if (envid && vers_cgroup_attach(envid, getpid(), NULL) < 0)
                        _exit(126);
                if (hookdir)
                        setenv("VERS_CRIU_HOOK", hookdir, 1);
                vers_close_fds_from(3);
                execvp(argv[0], argv);
                _exit(127);
        }
        if (h) {
                int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
                for (;;) {
                        struct pollfd fds[2] = {{h->req, POLLIN, 0}, {pfd, POLLIN, 0}};
                        int n = poll(fds, pfd >= 0 ? 2 : 1, pfd >= 0 ? -1 : 10);
                        if (n < 0 && errno != EINTR)
                                break;
                        if (n > 0 && (fds[0].revents & POLLIN))
                                hook_answer(h);
                        else if (pfd >= 0 ? (n > 0 && fds[1].revents)
                                          : waitpid(pid, NULL, WNOHANG) != 0)
                                break;
                }
                if (pfd >= 0)
                        close(pfd);
        }
        /* fail:NAME lets criu finish and then counts the run as failed, since killing it
         * half-way could harm the env */
        bool fail = failpoint && vers_failpoint(failpoint, NULL) < 0;
        int status;
        while (waitpid(pid, &status, 0) < 0) {
                if (errno != EINTR)
                        return -1;
        }
        if (fail)
                return 125;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void vers_criu_dump_reap(const char *images)
{
        _cleanup_free_ char *path = xasprintf("%s/criu.pid", images);
        _cleanup_free_ char *text = NULL;
        int pid = 0;
        unsigned long long start = 0;
        if (vers_read_file(path, &text, NULL, NULL) < 0 ||
            sscanf(text, "%d %llu", &pid, &start) != 2 || pid <= 0 || start == 0)
                return;
        /* its action script may wait on the FIFOs for the vers that died: answer "no" (an
         * open for writing and reading here also ends an open of either that is blocked) */
        _cleanup_free_ char *req = xasprintf("%s/hook.req", images);
        _cleanup_free_ char *ack = xasprintf("%s/hook.ack", images);
        _cleanup_close_ int reqfd = open(req, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
        _cleanup_close_ int ackfd = open(ack, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
        if (ackfd >= 0)
                for (int i = 0; i < 4; i++)
                        vers_write_all(ackfd, "no\n", 3);
        for (int t = 0; t < ORPHAN_DUMP_WAIT_MS && vers_pid_alive(pid, start); t += 10)
                vers_sleep_ms(10);
        if (vers_pid_alive(pid, start))
                kill(pid, SIGKILL);
        for (int t = 0; t < 10000 && vers_pid_alive(pid, start); t += 10)
                vers_sleep_ms(10);
}

int vers_criu_dump(pid_t pid, const char *images, const char *freezer, const char *log,
                   const struct vers_criu_dump_hooks *hooks, vers_error_t *err)
{
        const struct vers_criu_info *ci = vers_criu_probe();
        if (!ci->usable)
                return vers_make_error(err, 0, "%s", ci->why);
        char pidbuf[32];
        snprintf(pidbuf, sizeof pidbuf, "%d", (int)pid);
        char *argv[] = {ci->path,
                        "dump",
                        "-t",
                        pidbuf,
                        "-D",
                        (char *)images,
                        "-W",
                        (char *)images,
                        "-o",
                        (char *)log,
                        "-v2",
                        "--leave-running",
                        "--tcp-established",
                        "--skip-in-flight",
                        "--file-locks",
                        "--external",
                        "mnt[]",
                        "--freeze-cgroup",
                        (char *)freezer,
                        "--manage-cgroups=ignore",
                        "--network-lock",
                        "skip",
                        NULL, /* --action-script */
                        NULL,
                        NULL};
        _cleanup_free_ char *pidfile = xasprintf("%s/criu.pid", images);
        _cleanup_free_ char *script = xasprintf("%s/hook", images);
        struct hook_fds h = {-1, -1, hooks, 0, NULL};
        if (hooks) {
                if (hook_files(images, &h, err) < 0) {
                        hook_files_remove(images, &h);
                        return -1;
                }
                size_t n = 0;
                while (argv[n])
                        n++;
                argv[n] = "--action-script";
                argv[n + 1] = script;
        }
        struct hook_fds *hp = hooks ? &h : NULL;
        const char *hookdir = hooks ? images : NULL;
        int rc = run_criu(argv, NULL, pidfile, hookdir, hp, "commit-during-dump");
        if (hooks)
                hook_files_remove(images, &h);
        if (h.err) {
                /* a hook's own error says more than CRIU's "action scripts failed" */
                *err = h.err;
                return -1;
        }
        if (rc != 0 || !vers_criu_images_complete(images))
                return criu_failed("dump", log, rc, err);
        if (hooks && h.stage != 2)
                return vers_make_error(err, 0,
                                       "criu dump finished without running its "
                                       "post-dump action script (log: %s)",
                                       log);
        return 0;
}

int vers_criu_restore(const char *images, const char *root, const char *envid, const char *workdir,
                      unsigned flags, pid_t *pidp, vers_error_t *err)
{
        const struct vers_criu_info *ci = vers_criu_probe();
        if (!ci->usable)
                return vers_make_error(err, 0, "%s", ci->why);
        _cleanup_free_ char *log = xasprintf("%s/restore.log", workdir);
        _cleanup_free_ char *pidfile = xasprintf("%s/restore.pid", workdir);
        unlink(pidfile);
        char *argv[] = {ci->path,
                        "restore",
                        "-d",
                        "-D",
                        (char *)images,
                        "-W",
                        (char *)workdir,
                        "-o",
                        log,
                        "-v2",
                        "--root",
                        (char *)root,
                        "--tcp-established",
                        "--file-locks",
                        "--external",
                        "mnt[]",
                        "--manage-cgroups=ignore",
                        "--pidfile",
                        pidfile,
                        (flags & VERS_CRIU_LEAVE_STOPPED) ? "--leave-stopped" : NULL,
                        NULL};
        int rc = run_criu(argv, envid, NULL, NULL, NULL, NULL);
        if (rc != 0)
                return criu_failed("restore", log, rc, err);
        _cleanup_free_ char *text = NULL;
        if (vers_read_file(pidfile, &text, NULL, err) < 0)
                return vers_error_wrap(err, "criu restore left no pid file");
        *pidp = (pid_t)atoi(text);
        if (*pidp <= 0)
                return vers_make_error(err, 0, "criu restore wrote a bad pid file");
        return 0;
}

int vers_criu_give_images(const char *images, uid_t uid, gid_t gid, vers_error_t *err)
{
        _cleanup_close_ int dfd = open(images, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return vers_make_error(err, errno, "cannot open '%s'", images);
        DIR *d = fdopendir(dup(dfd));
        if (!d)
                return vers_make_error(err, errno, "cannot read '%s'", images);
        struct dirent *de;
        int ret = 0;
        while (ret == 0 && (de = readdir(d)) != NULL) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                if (fchownat(dfd, de->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ||
                    (de->d_type == DT_REG && fchmodat(dfd, de->d_name, 0644, 0) < 0))
                        ret = vers_make_error(err, errno, "cannot give '%s/%s' to the env", images,
                                              de->d_name);
        }
        closedir(d);
        /* readable by anyone: criu's restored root may open an image before its ids are
         * mapped. The commit directory above (0700, the host's root) keeps host users out. */
        if (ret == 0 && (fchown(dfd, uid, gid) < 0 || fchmod(dfd, 0755) < 0))
                ret = vers_make_error(err, errno, "cannot give '%s' to the env", images);
        return ret;
}
