/* sandbox-enter — joining a running env: a command by setns and exec, its terminal relay,
 * the hostname, a socket shared with the host. */
#include "os/sandbox-private.h"
#include "os/cgroup.h"
#include "os/harden.h"
#include "os/passwd.h"
#include "os/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/mount.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

static const char *const stdio_names[3] = {"stdin", "stdout", "stderr"};

/* ---- exec ----------------------------------------------------------------------------- */

static volatile sig_atomic_t fwd_pid = 0;
static volatile sig_atomic_t timed_out = 0;
static volatile sig_atomic_t winch = 0;

static void forward_signal(int sig)
{
        if (sig == SIGALRM) {
                timed_out = 1;
                if (fwd_pid > 0) {
                        kill(-fwd_pid, SIGKILL);
                        kill(fwd_pid, SIGKILL);
                }
                return;
        }
        if (sig == SIGWINCH) {
                winch = 1;
                return;
        }
        if (fwd_pid > 0) {
                kill(-fwd_pid, sig);
                kill(fwd_pid, sig);
        }
}

/* Relay the user's terminal (in, out) and the env's pty until the shell exits. Not until the
 * pty closes: a process the shell leaves behind holding it would go on reading what the user
 * types (and could draw a host prompt to ask for it). Then what the pty already holds is
 * shown, bounded. */
static void relay(int master, pid_t child, int in, int out)
{
        struct termios saved, raw;
        bool have_tty = tcgetattr(in, &saved) == 0;
        if (have_tty) {
                raw = saved;
                cfmakeraw(&raw);
                tcsetattr(in, TCSANOW, &raw);
        }
        int cfd = (int)syscall(SYS_pidfd_open, child, 0);
        char buf[8192];
        bool in_open = true;
        for (;;) {
                if (winch) {
                        winch = 0;
                        struct winsize ws;
                        if (ioctl(in, TIOCGWINSZ, &ws) == 0)
                                ioctl(master, TIOCSWINSZ, &ws);
                }
                struct pollfd pf[3] = {{master, POLLIN, 0}, {cfd, POLLIN, 0}, {in, POLLIN, 0}};
                int r = poll(pf, in_open ? 3 : 2, -1);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        break;
                if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                        ssize_t n = read(master, buf, sizeof buf);
                        if (n <= 0)
                                break;
                        vers_write_all(out, buf, (size_t)n);
                }
                if (pf[1].revents)
                        break; /* the shell exited */
                if (in_open && (pf[2].revents & (POLLIN | POLLHUP))) {
                        ssize_t n = read(in, buf, sizeof buf);
                        if (n <= 0)
                                in_open = false;
                        else
                                vers_write_all(master, buf, (size_t)n);
                }
        }
        fcntl(master, F_SETFL, O_NONBLOCK);
        for (int k = 0; k < 64; k++) {
                ssize_t n = read(master, buf, sizeof buf);
                if (n <= 0 || vers_write_all(out, buf, (size_t)n) < 0)
                        break;
        }
        close(master);
        if (cfd >= 0)
                close(cfd);
        if (have_tty)
                tcsetattr(in, TCSANOW, &saved);
}

/* The host's terminal never goes into an env: where the command would get one as its stdin,
 * stdout or stderr, it gets a pipe the helper relays while the command runs. A process it
 * leaves behind in the env cannot read what the user types after vers returned, nor write
 * to the terminal, nor change its modes. */
struct tty_relay {
        int child[3]; /* the command's ends (-1: that fd is not relayed) */
        int host[3];  /* the helper's ends */
        int stdio[3]; /* the caller's descriptors the pipes stand for */
};

static void tty_relay_open(const struct vers_exec_spec *spec, struct tty_relay *r)
{
        for (int i = 0; i < 3; i++) {
                r->child[i] = r->host[i] = -1;
                r->stdio[i] = spec->stdio[i];
        }
        if (spec->pty || spec->quiet)
                return; /* the env's own pty, or /dev/null */
        for (int i = 0; i < 3; i++) {
                /* build steps: stdin is /dev/null, stdout a copy of stderr */
                if (spec->build_io && i < 2)
                        continue;
                if (!isatty(spec->stdio[i]))
                        continue;
                int p[2];
                if (pipe2(p, O_CLOEXEC) < 0)
                        vers_sandbox_child_die(errno, "cannot relay the terminal");
                r->child[i] = i == 0 ? p[0] : p[1];
                r->host[i] = i == 0 ? p[1] : p[0];
        }
}

/* Copy the terminal to the command and its output back until the command exits; then what
 * is already written is passed on, and nothing more (the env may keep the pipes open). */
static void tty_relay_run(struct tty_relay *r, pid_t child)
{
        int cfd = (int)syscall(SYS_pidfd_open, child, 0);
        signal(SIGPIPE, SIG_IGN);
        for (int i = 1; i < 3; i++)
                if (r->host[i] >= 0)
                        fcntl(r->host[i], F_SETFL, O_NONBLOCK);
        char buf[8192];
        bool done = false;
        while (!done) {
                struct pollfd pf[4];
                int which[4], n = 0;
                if (cfd >= 0) {
                        pf[n] = (struct pollfd){cfd, POLLIN, 0};
                        which[n++] = -1;
                }
                for (int i = 0; i < 3; i++) {
                        if (r->host[i] < 0)
                                continue;
                        pf[n] = (struct pollfd){i == 0 ? r->stdio[0] : r->host[i], POLLIN, 0};
                        which[n++] = i;
                }
                if (n == (cfd >= 0 ? 1 : 0))
                        break; /* nothing left to relay: waitpid does the rest */
                if (poll(pf, (nfds_t)n, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                for (int k = 0; k < n; k++) {
                        if (!pf[k].revents)
                                continue;
                        int i = which[k];
                        if (i < 0) {
                                done = true; /* the command exited */
                                continue;
                        }
                        ssize_t got = read(i == 0 ? r->stdio[0] : r->host[i], buf, sizeof buf);
                        if (got < 0 && (errno == EINTR || errno == EAGAIN))
                                continue;
                        if (got <= 0 || vers_write_all(i == 0 ? r->host[0] : r->stdio[i], buf,
                                                       (size_t)got) < 0) {
                                close(r->host[i]);
                                r->host[i] = -1;
                        }
                }
        }
        /* what the command wrote before it exited; bounded, for a writer it left behind */
        for (int i = 1; i < 3; i++) {
                for (int k = 0; r->host[i] >= 0 && k < 64; k++) {
                        ssize_t got = read(r->host[i], buf, sizeof buf);
                        if (got <= 0 || vers_write_all(r->stdio[i], buf, (size_t)got) < 0)
                                break;
                }
        }
        for (int i = 0; i < 3; i++)
                if (r->host[i] >= 0)
                        close(r->host[i]);
        if (cfd >= 0)
                close(cfd);
}

/* Make src[i] the descriptor i, whatever src holds (0, 1 and 2 among them, in any order). */
static void set_stdio(const int src[3])
{
        int tmp[3];
        for (int i = 0; i < 3; i++) {
                tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3);
                if (tmp[i] < 0)
                        vers_sandbox_child_die(errno,
                                               "cannot give the command descriptor %d as its %s",
                                               src[i], stdio_names[i]);
        }
        for (int i = 0; i < 3; i++) {
                if (dup2(tmp[i], i) < 0)
                        vers_sandbox_child_die(errno, "cannot set the command's %s",
                                               stdio_names[i]);
                close(tmp[i]);
        }
}

/* the process inside the env: runs as the child of the in-namespace helper; what fails
 * before the exec goes to the caller as an error record */
__attribute__((noreturn)) static void exec_inner(const struct vers_exec_spec *spec,
                                                 const char *slave, const struct tty_relay *relay)
{
        int src[3], own = -1;
        for (int i = 0; i < 3; i++)
                src[i] = relay->child[i] >= 0 ? relay->child[i] : spec->stdio[i];
        if (slave) {
                setsid();
                own = open(slave, O_RDWR);
                if (own < 0)
                        vers_sandbox_child_die(errno, "cannot open the env's terminal %s", slave);
                ioctl(own, TIOCSCTTY, 0);
                src[0] = src[1] = src[2] = own;
        } else if (spec->quiet) {
                own = open("/dev/null", O_RDWR);
                if (own < 0)
                        vers_sandbox_child_die(errno, "cannot open the env's /dev/null");
                src[0] = src[1] = src[2] = own;
        } else if (spec->build_io) {
                own = open("/dev/null", O_RDONLY);
                if (own < 0)
                        vers_sandbox_child_die(errno, "cannot open the env's /dev/null");
                src[0] = own;
                src[1] = src[2];
        }
        set_stdio(src);
        if (own > 2)
                close(own);
        /* a session of its own inside the env: what it leaves running must not belong to a
         * session whose leader is outside the env's pid namespace (CRIU refuses to dump
         * that), and a timeout can kill the whole group */
        if (!slave)
                setsid();
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        /* the helper joined the env's namespaces with the host's uid 0: take the env's root
         * ids, then the env's seccomp filter and capabilities, before anything runs */
        char hwhy[256];
        if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                vers_sandbox_child_die(errno, "cannot take the env's root ids");
        if (vers_harden_apply(hwhy, sizeof hwhy) < 0)
                vers_sandbox_child_die(errno, "%s", hwhy);
        if (spec->user) {
                struct vers_user u;
                char why[512];
                if (vers_user_lookup("", spec->user, &u, why, sizeof why) < 0)
                        vers_sandbox_child_die(0, "%s", why);
                if (vers_user_become(&u) < 0)
                        vers_sandbox_child_die(errno, "cannot become '%s' in the env", spec->user);
        }
        const char *wd = spec->workdir ? spec->workdir : "/";
        if (chdir(wd) < 0)
                vers_sandbox_child_die(errno, "cannot enter directory '%s' in the env", wd);
        /* every inherited descriptor goes at exec; the error pipe stays usable until then */
        if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                vers_sandbox_child_die(errno, "close_range");
        execvpe(spec->argv[0], spec->argv, spec->envp);
        vers_sandbox_child_die(errno, "cannot run '%s' in the env", spec->argv[0]);
}

/* the helper that joined the env's namespaces: forks the command, waits, exits with its
 * status; its own failures, and the command's before its exec, go to errfd */
__attribute__((noreturn)) static void exec_helper(const struct vers_exec_spec *spec, int pidfd,
                                                  int errfd)
{
        vers_sandbox_child_errfd(errfd);
        if (spec->envid)
                vers_cgroup_attach(spec->envid, getpid(), NULL);
        if (setns(pidfd, VERS_SANDBOX_NS | CLONE_NEWCGROUP) < 0 &&
            setns(pidfd, VERS_SANDBOX_NS) < 0)
                vers_sandbox_child_die(errno, "cannot enter the env");
        close(pidfd);
        /* this process keeps the host's uid 0 while it waits: nothing in the env may ptrace
         * it or read its /proc files */
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        int master = -1;
        char slave[128] = "";
        if (spec->pty) {
                master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
                if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
                    ptsname_r(master, slave, sizeof slave) != 0)
                        vers_sandbox_child_die(errno, "cannot open a terminal in the env");
                struct winsize ws;
                if (ioctl(spec->stdio[0], TIOCGWINSZ, &ws) == 0)
                        ioctl(master, TIOCSWINSZ, &ws);
        }
        struct tty_relay tr;
        tty_relay_open(spec, &tr);
        pid_t pid = fork();
        if (pid < 0)
                vers_sandbox_child_die(errno, "cannot start the command in the env");
        if (pid == 0)
                exec_inner(spec, master >= 0 ? slave : NULL, &tr);
        for (int i = 0; i < 3; i++)
                if (tr.child[i] >= 0)
                        close(tr.child[i]);
        fwd_pid = pid;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = forward_signal;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        sigaction(SIGALRM, &sa, NULL);
        sigaction(SIGWINCH, &sa, NULL);
        /* the command has a session of its own, so the terminal's ^C reaches only us: pass
         * it on */
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGQUIT, &sa, NULL);
        if (spec->timeout_sec > 0)
                alarm((unsigned)spec->timeout_sec);
        if (master >= 0)
                relay(master, pid, spec->stdio[0], spec->stdio[1]);
        else if (tr.host[0] >= 0 || tr.host[1] >= 0 || tr.host[2] >= 0)
                tty_relay_run(&tr, pid);
        int status;
        while (waitpid(pid, &status, 0) < 0) {
                if (errno != EINTR)
                        vers_sandbox_child_die(errno, "cannot wait for the command in the env");
        }
        if (timed_out) /* the caller says so, not this process: a record, then 124 */
                vers_sandbox_child_note(ETIME, "timed out");
        if (WIFEXITED(status))
                _exit(WEXITSTATUS(status));
        _exit(128 + WTERMSIG(status));
}

/* Fork a child that enters the env of PID 1 pid through *pidfd (the child's to use; in the
 * parent it is closed here). Returns the child's pid in the parent, with *errfd the read end
 * of the pipe its error record comes back on; 0 in the child, with *errfd the write end,
 * where vers_sandbox_child_die() writes; -1 with *err set. */
static pid_t fork_into(pid_t pid, int *pidfd, int *errfd, vers_error_t *err)
{
        *pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (*pidfd < 0)
                return vers_make_error(err, errno, "env process %d is gone", (int)pid);
        int errp[2];
        if (pipe2(errp, O_CLOEXEC) < 0) {
                int e = errno;
                close(*pidfd);
                return vers_make_error(err, e, "pipe");
        }
        fflush(stdout);
        fflush(stderr);
        pid_t child = fork();
        if (child < 0) {
                int e = errno;
                close(*pidfd);
                close(errp[0]);
                close(errp[1]);
                return vers_make_error(err, e, "fork");
        }
        if (child == 0) {
                close(errp[0]);
                vers_sandbox_child_errfd(errp[1]);
                *errfd = errp[1];
                return 0;
        }
        close(*pidfd);
        *pidfd = -1;
        close(errp[1]);
        *errfd = errp[0];
        return child;
}

/* Is the caller's descriptor i of spec used (and so to be checked)? */
static bool stdio_used(const struct vers_exec_spec *spec, int i)
{
        if (spec->quiet)
                return false;
        return !(spec->build_io && i < 2);
}

int vers_sandbox_exec(const struct vers_exec_spec *spec, int *status, vers_error_t *err)
{
        for (int i = 0; i < 3; i++) {
                if (stdio_used(spec, i) && fcntl(spec->stdio[i], F_GETFD) < 0)
                        return vers_make_error(err, errno, "the command's %s (descriptor %d)",
                                               stdio_names[i], spec->stdio[i]);
        }
        int pidfd, errfd;
        pid_t helper = fork_into(spec->init_pid, &pidfd, &errfd, err);
        if (helper < 0)
                return -1;
        if (helper == 0)
                exec_helper(spec, pidfd, errfd);
        struct sigaction sa, old_int, old_quit, old_term, old_hup;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = forward_signal;
        fwd_pid = helper;
        sigaction(SIGTERM, &sa, &old_term);
        sigaction(SIGHUP, &sa, &old_hup);
        struct sigaction ign;
        memset(&ign, 0, sizeof ign);
        ign.sa_handler = SIG_IGN;
        sigaction(SIGINT, &ign, &old_int);
        sigaction(SIGQUIT, &ign, &old_quit);
        int st;
        int ret = 0;
        while (waitpid(helper, &st, 0) < 0) {
                if (errno != EINTR) {
                        ret = vers_make_error(err, errno, "waitpid");
                        break;
                }
        }
        fwd_pid = 0;
        sigaction(SIGTERM, &old_term, NULL);
        sigaction(SIGHUP, &old_hup, NULL);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        /* the helper is gone and the command executed or died: a record is there whole, or
         * none is coming (something the helper left may hold the pipe: never wait for it) */
        int e = 0;
        char msg[VERS_SANDBOX_ERR_MAX];
        int r = 0;
        if (ret == 0) {
                fcntl(errfd, F_SETFL, O_NONBLOCK);
                r = vers_sandbox_err_read(errfd, &e, msg, sizeof msg);
                if (r < 0)
                        ret = vers_make_error(err, errno, "cannot read how the command started");
        }
        close(errfd);
        if (r > 0 && e == ETIME) { /* the helper killed the command at its timeout */
                if (spec->timed_out)
                        *spec->timed_out = true;
                *status = 124;
                return 0;
        }
        if (r > 0)
                return vers_make_error(err, e, "%s", msg);
        if (ret == 0)
                *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return ret;
}

/* The end of a fork_into child: its error record, else what (it did not exit 0), else 0. */
static int child_result(pid_t child, int errfd, const char *what, vers_error_t *err)
{
        int e = 0;
        char msg[VERS_SANDBOX_ERR_MAX];
        int r = vers_sandbox_err_read(errfd, &e, msg, sizeof msg);
        close(errfd);
        int status = 0;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR)
                ;
        if (r > 0)
                return vers_make_error(err, e, "%s", msg);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return vers_make_error(err, 0, "%s", what);
        return 0;
}

/* Without a fork: into the env's uts namespace and straight back (this process's own is
 * opened first). Host root may join it: the env's user namespace is a child of its own.
 * 1 done, 0 not possible here (the caller forks), -1 failed with *err set. */
static int set_hostname_here(pid_t pid, const char *name, vers_error_t *err)
{
        _cleanup_close_ int self = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        _cleanup_free_ char *path = xasprintf("/proc/%d/ns/uts", (int)pid);
        _cleanup_close_ int target = open(path, O_RDONLY | O_CLOEXEC);
        struct stat a, b;
        if (self < 0 || pidfd < 0 || target < 0 || fstat(self, &a) < 0 || fstat(target, &b) < 0)
                return 0;
        /* never this process's own namespace (the host's name): an env always has its own */
        if (a.st_ino == b.st_ino && a.st_dev == b.st_dev)
                return 0;
        /* the pidfd (not the path) says which process: if pid died and was reused meanwhile,
         * its namespace is not the one opened above, and setns on the pidfd fails */
        if (setns(pidfd, CLONE_NEWUTS) < 0)
                return 0;
        int r = sethostname(name, strlen(name)) < 0 ? -errno : 0;
        if (setns(self, CLONE_NEWUTS) < 0) /* never left in the env's namespace */
                abort();
        if (r < 0)
                return vers_make_error(err, -r, "cannot set the env's hostname");
        return 1;
}

int vers_sandbox_set_hostname(pid_t pid, const char *name, vers_error_t *err)
{
        int here = set_hostname_here(pid, name, err);
        if (here != 0)
                return here < 0 ? -1 : 0;
        int pidfd, errfd;
        pid_t child = fork_into(pid, &pidfd, &errfd, err);
        if (child < 0)
                return -1;
        if (child == 0) {
                if (setns(pidfd, CLONE_NEWUSER | CLONE_NEWUTS) < 0)
                        vers_sandbox_child_die(errno, "cannot enter the env's uts namespace");
                if (sethostname(name, strlen(name)) < 0)
                        vers_sandbox_child_die(errno, "cannot set the env's hostname");
                _exit(0);
        }
        return child_result(child, errfd, "cannot set the env's hostname", err);
}

/* ---- readiness ------------------------------------------------------------------------------ */

static bool pidfd_exited(int pidfd)
{
        struct pollfd p = {pidfd, POLLIN, 0};
        return poll(&p, 1, 0) > 0;
}

__attribute__((noreturn)) static void probe_child(int pidfd, const struct vers_probe *probes,
                                                  size_t n, bool running_only, int timeout_ms,
                                                  double *listen_ms)
{
        if (setns(pidfd, CLONE_NEWNS | CLONE_NEWNET) < 0)
                vers_sandbox_child_die(errno, "cannot enter the env to see its services");
        /* every step below is bounded; should one still hang, the alarm ends this child */
        alarm((unsigned)(timeout_ms / 1000 + 10));
        bool done[VERS_PROBES_MAX] = {false};
        bool listened = false;
        double t0 = vers_monotonic();
        for (long round = 0;; round++) {
                size_t left = 0;
                for (size_t i = 0; i < n; i++) {
                        if (done[i])
                                continue;
                        char mark[128];
                        snprintf(mark, sizeof mark, "/run/vers/exited-%s", probes[i].name);
                        if (!running_only &&
                            faccessat(AT_FDCWD, mark, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                                vers_sandbox_child_die(0, "service %s exited before it answered",
                                                       probes[i].name);
                        enum vers_probe_state st = vers_probe_once(&probes[i], 1000);
                        if (st != VERS_PROBE_ABSENT && !listened) {
                                listened = true;
                                *listen_ms = (vers_monotonic() - t0) * 1000.0;
                        }
                        done[i] = st == VERS_PROBE_OK || (running_only && st == VERS_PROBE_ABSENT);
                        left += !done[i];
                }
                if (left == 0)
                        _exit(0);
                /* after one look, a restored env is what it is: only a server still in its
                 * startup (57P03) is waited for */
                double ms = (vers_monotonic() - t0) * 1000.0;
                for (size_t i = 0; ms >= timeout_ms && i < n; i++) {
                        if (!done[i])
                                vers_sandbox_child_die(0, "service %s did not answer within %d s",
                                                       probes[i].name, timeout_ms / 1000);
                }
                if (pidfd_exited(pidfd))
                        vers_sandbox_child_die(0, "the env's init exited while its services "
                                                  "started (see 'vers logs')");
                /* 1 ms apart for the first 200 ms (a boot takes tens), then 10 */
                struct timespec nap = {0, round < 200 ? 1000000 : 10000000};
                nanosleep(&nap, NULL);
        }
}

int vers_sandbox_probe(pid_t pid, const struct vers_probe *probes, size_t n, bool running_only,
                       int timeout_ms, double *listen_ms, vers_error_t *err)
{
        *listen_ms = 0;
        if (n == 0)
                return 0;
        if (n > VERS_PROBES_MAX)
                return vers_make_error(err, 0, "more than %d services to wait for",
                                       VERS_PROBES_MAX);
        /* the child's answer: a page both see */
        double *shared =
            mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (shared == MAP_FAILED)
                return vers_make_error(err, errno, "mmap");
        *shared = 0;
        int pidfd, errfd;
        pid_t child = fork_into(pid, &pidfd, &errfd, err);
        if (child < 0) {
                munmap(shared, sizeof *shared);
                return -1;
        }
        if (child == 0) {
                /* the child keeps its own pidfd: it watches PID 1 with it */
                probe_child(pidfd, probes, n, running_only, timeout_ms, shared);
        }
        int r = child_result(child, errfd, "the env's services did not answer", err);
        *listen_ms = *shared;
        munmap(shared, sizeof *shared);
        return r;
}

/* ---- a socket of the env, for host-side clients -------------------------------------------- */

int vers_sandbox_share_socket(pid_t init_pid, const char *rel, const char *host_path,
                              vers_error_t *err)
{
        _cleanup_close_ int target =
            open(host_path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (target < 0)
                return vers_make_error(err, errno, "cannot create '%s'", host_path);
        int pidfd, errfd;
        pid_t child = fork_into(init_pid, &pidfd, &errfd, err);
        if (child < 0)
                return -1;
        if (child == 0) {
                /* in the env's mount namespace the socket is found as the env sees it, and a
                 * symlink in the way resolves inside the env; its mount is cloned there (a
                 * mount of another namespace cannot be), then attached here over host_path */
                int host_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
                if (host_ns < 0 || setns(pidfd, CLONE_NEWNS) < 0)
                        vers_sandbox_child_die(errno, "cannot enter the env's mounts");
                vers_error_t e = NULL;
                int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                int sock = root < 0 ? -1 : vers_openat_in_root(root, rel, O_PATH, 0, &e);
                struct stat st;
                if (sock < 0 || fstat(sock, &st) < 0 || !S_ISSOCK(st.st_mode))
                        vers_sandbox_child_die(0, "no socket '/%s' in the env", rel);
                /* and one of the env's own: on its root or its /run, never on a host
                 * filesystem bound into it (the project), which a link could lead to */
                struct stat rst, runst;
                int run = vers_openat_in_root(root, "run", O_PATH | O_DIRECTORY, 0, &e);
                bool own = (fstat(root, &rst) == 0 && st.st_dev == rst.st_dev) ||
                           (run >= 0 && fstat(run, &runst) == 0 && st.st_dev == runst.st_dev);
                if (!own)
                        vers_sandbox_child_die(0, "'/%s' in the env is not the env's own socket",
                                               rel);
                int tree = (int)syscall(SYS_open_tree, sock, "",
                                        OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
                if (tree < 0)
                        vers_sandbox_child_die(errno, "cannot take '/%s' of the env", rel);
                if (setns(host_ns, CLONE_NEWNS) < 0)
                        vers_sandbox_child_die(errno, "cannot return to the host's mounts");
                if (syscall(SYS_move_mount, tree, "", target, "",
                            MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                        vers_sandbox_child_die(errno, "cannot attach the env's socket at '%s'",
                                               host_path);
                _exit(0);
        }
        _cleanup_free_ char *what = xasprintf("cannot share the env's socket '/%s'", rel);
        return child_result(child, errfd, what, err);
}
