/* vers-init — PID 1 inside every env.
 *
 * Prepares the tree as /.vers/prepare says (if present), one step per line:
 *   dir<TAB>path<TAB>user[:group]<TAB>octal mode     mkdir -p, then chown and chmod the last
 *   rm<TAB>path                                      unlink, if it is there
 * then runs /.vers/boot (if present: images built before /.vers/prepare, and boot steps that
 * are not one of those) once, then starts the services listed in /.vers/services, one per
 * line:  name<TAB>user<TAB>stop-signal<TAB>log file<TAB>shell command
 * Each service runs in its own session as its user, with its output appended to its log. A
 * command of the form "exec /absolute/program args..." with no shell syntax in it is
 * executed directly, without a shell.
 * vers-init reaps every child (it is the reaper of the env's pid namespace) and on SIGTERM,
 * SIGINT or a SIGHUP a process sent stops the services with their stop signal, waits for them
 * (20 s at most), kills whatever is left and exits. The SIGHUP the kernel sends an orphaned
 * process group with a stopped member (a restored tree whose CRIU exited) is not a stop.
 *
 * With --no-services it only reaps (used while an image is being built).
 */
#include <stdarg.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "os/passwd.h"

#define MAX_SERVICES 32

struct service {
        char name[64];
        char user[64];
        int stop_sig;
        char log[512];
        char cmd[4096];
        pid_t pid;
};

static struct service services[MAX_SERVICES];
static int n_services;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
        char ts[32];
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
        fprintf(stderr, "%s vers-init: ", ts);
        va_list ap;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        fflush(stderr);
}

static int parse_signal(const char *s)
{
        if (!strcmp(s, "INT"))
                return SIGINT;
        if (!strcmp(s, "QUIT"))
                return SIGQUIT;
        if (!strcmp(s, "KILL"))
                return SIGKILL;
        return SIGTERM;
}

static void load_services(void)
{
        FILE *f = fopen("/.vers/services", "re");
        if (!f)
                return;
        char line[8192];
        while (fgets(line, sizeof line, f) && n_services < MAX_SERVICES) {
                line[strcspn(line, "\n")] = '\0';
                if (line[0] == '#' || line[0] == '\0')
                        continue;
                char *fields[5];
                char *p = line;
                int n = 0;
                for (; n < 4; n++) {
                        fields[n] = p;
                        p = strchr(p, '\t');
                        if (!p)
                                break;
                        *p++ = '\0';
                }
                if (n != 4) {
                        say("ignoring malformed line in /.vers/services");
                        continue;
                }
                fields[4] = p;
                struct service *s = &services[n_services++];
                snprintf(s->name, sizeof s->name, "%s", fields[0]);
                snprintf(s->user, sizeof s->user, "%s", fields[1]);
                s->stop_sig = parse_signal(fields[2]);
                snprintf(s->log, sizeof s->log, "%s", fields[3]);
                snprintf(s->cmd, sizeof s->cmd, "%s", fields[4]);
        }
        fclose(f);
}

/* "exec /abs/prog arg ..." with nothing the shell would interpret: split it into argv (in
 * copy). Anything else (quotes, variables, redirections, globs) is the shell's. */
static int simple_exec(const char *cmd, char *copy, size_t size, char **argv, int max)
{
        if (strncmp(cmd, "exec /", 6) != 0 || strlen(cmd) >= size)
                return 0;
        for (const char *p = cmd; *p; p++) {
                if (!isalnum((unsigned char)*p) && !strchr(" /._-=,:+@%", *p))
                        return 0;
        }
        snprintf(copy, size, "%s", cmd + 5);
        int n = 0;
        for (char *save = NULL, *w = strtok_r(copy, " ", &save); w;
             w = strtok_r(NULL, " ", &save)) {
                if (n == max - 1)
                        return 0;
                argv[n++] = w;
        }
        argv[n] = NULL;
        return n > 0;
}

static int mkdir_p(char *path, mode_t mode)
{
        for (char *p = path + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                int r = mkdir(path, 0755);
                *p = '/';
                if (r < 0 && errno != EEXIST)
                        return -1;
        }
        return mkdir(path, mode) < 0 && errno != EEXIST ? -1 : 0;
}

/* /.vers/prepare: the boot steps a service needs before it starts, done here rather than by
 * a shell script (one exec of sh, mkdir, chown, chmod, rm each saved on every cold boot) */
static void prepare(void)
{
        FILE *f = fopen("/.vers/prepare", "re");
        if (!f)
                return;
        char line[1024];
        while (fgets(line, sizeof line, f)) {
                line[strcspn(line, "\n")] = '\0';
                if (line[0] == '#' || line[0] == '\0')
                        continue;
                char *save = NULL;
                char *op = strtok_r(line, "\t", &save);
                char *path = strtok_r(NULL, "\t", &save);
                if (!op || !path || path[0] != '/') {
                        say("ignoring malformed line in /.vers/prepare");
                        continue;
                }
                if (!strcmp(op, "rm")) {
                        if (unlink(path) < 0 && errno != ENOENT)
                                say("cannot remove %s: %s", path, strerror(errno));
                        continue;
                }
                char *owner = strtok_r(NULL, "\t", &save);
                char *mode_s = strtok_r(NULL, "\t", &save);
                if (strcmp(op, "dir") != 0 || !owner || !mode_s) {
                        say("ignoring malformed line in /.vers/prepare");
                        continue;
                }
                mode_t mode = (mode_t)strtoul(mode_s, NULL, 8) & 07777;
                struct vers_user u;
                char why[512];
                if (mkdir_p(path, mode) < 0) {
                        say("cannot create %s: %s", path, strerror(errno));
                        continue;
                }
                if (vers_user_lookup("", owner, &u, why, sizeof why) < 0) {
                        say("%s", why);
                        continue;
                }
                /* no symlink followed: the env's tree is its own, but this runs as its root */
                int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 || fchown(fd, u.uid, u.gid) < 0 || fchmod(fd, mode) < 0)
                        say("cannot prepare %s: %s", path, strerror(errno));
                if (fd >= 0)
                        close(fd);
        }
        fclose(f);
}

static pid_t spawn(const char *user, const char *log, const char *cmd)
{
        pid_t pid = fork();
        if (pid != 0)
                return pid;
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        setsid();
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
        }
        const char *home = "/";
        if (user[0] && strcmp(user, "root") != 0) {
                struct vers_user u;
                char why[512];
                if (vers_user_lookup("", user, &u, why, sizeof why) < 0) {
                        fprintf(stderr, "vers-init: %s\n", why);
                        _exit(127);
                }
                if (fd >= 0 && fchown(fd, u.uid, u.gid) < 0)
                        fprintf(stderr, "vers-init: cannot hand %s to '%s'\n", log, user);
                if (vers_user_become(&u) < 0) {
                        fprintf(stderr, "vers-init: cannot become '%s': %s\n", user,
                                strerror(errno));
                        _exit(127);
                }
                setenv("HOME", u.home, 1);
                setenv("USER", u.name[0] ? u.name : user, 1);
                home = u.home;
        }
        if (chdir(home) < 0 && chdir("/") < 0)
                _exit(127);
        char *argv[64];
        char copy[4096];
        if (simple_exec(cmd, copy, sizeof copy, argv, 64))
                execv(argv[0], argv);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
}

/* /run/vers/exited-NAME: service NAME has exited since this boot (what vers, waiting for the
 * services to answer, reads to stop waiting for one that will not) */
static void exited_path(const struct service *s, char *buf, size_t size)
{
        snprintf(buf, size, "/run/vers/exited-%s", s->name);
}

static void reap(void)
{
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
                for (int i = 0; i < n_services; i++) {
                        if (services[i].pid == pid) {
                                services[i].pid = 0;
                                char mark[128];
                                exited_path(&services[i], mark, sizeof mark);
                                mkdir("/run/vers", 0755);
                                int fd =
                                    open(mark, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
                                if (fd >= 0)
                                        close(fd);
                                if (WIFEXITED(status))
                                        say("service %s exited with status %d", services[i].name,
                                            WEXITSTATUS(status));
                                else
                                        say("service %s killed by signal %d", services[i].name,
                                            WTERMSIG(status));
                        }
                }
        }
}

static int alive_services(void)
{
        int n = 0;
        for (int i = 0; i < n_services; i++)
                n += services[i].pid > 0;
        return n;
}

static void shutdown_all(void)
{
        say("stopping");
        for (int i = 0; i < n_services; i++) {
                if (services[i].pid > 0)
                        kill(services[i].pid, services[i].stop_sig);
        }
        struct timespec deadline;
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += 20;
        while (alive_services() > 0) {
                struct timespec now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (now.tv_sec > deadline.tv_sec)
                        break;
                struct timespec nap = {0, 10 * 1000 * 1000};
                nanosleep(&nap, NULL);
                reap();
        }
        kill(-1, SIGKILL);
        while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
                ;
        say("stopped");
        exit(0);
}

int main(int argc, char **argv)
{
        int start = !(argc > 1 && strcmp(argv[1], "--no-services") == 0);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        sigprocmask(SIG_BLOCK, &set, NULL);
        say("started (pid %d)", (int)getpid());
        if (start) {
                prepare();
                if (access("/.vers/boot", X_OK) == 0) {
                        pid_t b = spawn("root", "/var/log/vers/boot.log", "/.vers/boot");
                        int status = 0;
                        while (waitpid(b, &status, 0) < 0 && errno == EINTR)
                                ;
                        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                                say("/.vers/boot failed (see /var/log/vers/boot.log)");
                }
                load_services();
                for (int i = 0; i < n_services; i++) {
                        char mark[128];
                        exited_path(&services[i], mark, sizeof mark);
                        unlink(mark); /* an own /run keeps the last boot's */
                        services[i].pid = spawn(services[i].user, services[i].log, services[i].cmd);
                        say("service %s started (pid %d)", services[i].name, (int)services[i].pid);
                }
        }
        for (;;) {
                siginfo_t si;
                int sig = sigwaitinfo(&set, &si);
                if (sig == SIGCHLD)
                        reap();
                else if (sig == SIGHUP && si.si_code == SI_KERNEL)
                        /* the kernel's notice that this process group was orphaned with a
                         * stopped member (CRIU, the parent of a restored tree, exited while a
                         * task was still stopped), not a request to stop: it comes with a
                         * SIGCONT, and the env goes on */
                        say("ignored SIGHUP from the kernel (process group orphaned)");
                else if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP)
                        shutdown_all();
        }
}
