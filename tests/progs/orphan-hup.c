/* orphan-hup — does vers-init survive the SIGHUP the kernel sends a process group when it
 * becomes orphaned while one of its members is stopped?
 *
 * That is what a restored env's PID 1 gets when CRIU, its parent during the restore, exits
 * while a task of the tree is still stopped. This program makes the same situation without
 * CRIU: a middle process in a session of its own starts vers-init --no-services as PID 1 of a
 * new pid namespace, in a process group of its own (in that session), waits until it runs, stops it
 * (SIGSTOP) and exits. Its exit orphans vers-init's group, which has a stopped member, so the
 * kernel sends the group SIGHUP and SIGCONT. This process, a subreaper, inherits vers-init and then
 * waits for the log line that says what vers-init made of the SIGHUP (its log, LOG, is its stderr).
 *
 * Usage: orphan-hup VERS_INIT LOG. Prints "alive" (exit 0) or "died" (exit 1); 2 when the
 * situation could not be made. vers-init is killed at the end (with its namespace).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* does file contain text? */
static int has(const char *file, const char *text)
{
        char buf[8192];
        int fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        return strstr(buf, text) != NULL;
}

/* wait (10 s at most) until file contains one of a or b: 1 for a, 2 for b, 0 for neither */
static int wait_log(const char *file, const char *a, const char *b)
{
        for (int i = 0; i < 1000; i++) {
                if (has(file, a))
                        return 1;
                if (b && has(file, b))
                        return 2;
                nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
        }
        return 0;
}

int main(int argc, char **argv)
{
        if (argc != 3) {
                fprintf(stderr, "usage: orphan-hup VERS_INIT LOG\n");
                return 2;
        }
        const char *init = argv[1], *log = argv[2];
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
                return perror("orphan-hup: subreaper"), 2;
        int report[2]; /* the middle process sends vers-init's pid */
        if (pipe2(report, O_CLOEXEC) < 0)
                return perror("orphan-hup: pipe"), 2;
        pid_t middle = fork();
        if (middle < 0)
                return perror("orphan-hup: fork"), 2;
        if (middle == 0) {
                /* a session of its own: once it exits, vers-init's parent (this process) is in
                 * another session and no longer keeps the group from being orphaned */
                if (setsid() < 0 || unshare(CLONE_NEWPID) < 0)
                        _exit(3);
                pid_t v = fork();
                if (v < 0)
                        _exit(3);
                if (v == 0) {
                        setpgid(0, 0);
                        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                        if (fd < 0 || dup2(fd, 2) < 0)
                                _exit(3);
                        int null = open("/dev/null", O_RDWR);
                        dup2(null, 0);
                        dup2(null, 1);
                        execl(init, "vers-init", "--no-services", (char *)NULL);
                        _exit(3);
                }
                setpgid(v, v);
                if (wait_log(log, "vers-init: started", NULL) != 1)
                        _exit(4);
                kill(v, SIGSTOP);
                int st;
                if (waitpid(v, &st, WUNTRACED) != v || !WIFSTOPPED(st))
                        _exit(4);
                if (write(report[1], &v, sizeof v) != (ssize_t)sizeof v)
                        _exit(4);
                _exit(0); /* orphans v's process group, which has a stopped member */
        }
        close(report[1]);
        pid_t v = 0;
        ssize_t got = read(report[0], &v, sizeof v);
        int st;
        waitpid(middle, &st, 0);
        if (got != (ssize_t)sizeof v || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                fprintf(stderr, "orphan-hup: could not start and stop vers-init (%d)\n",
                        WIFEXITED(st) ? WEXITSTATUS(st) : -1);
                if (got == (ssize_t)sizeof v)
                        kill(v, SIGKILL);
                return 2;
        }
        /* "stopped": it took the SIGHUP for a stop; the other: it said it ignored it */
        int r = wait_log(log, "vers-init: stopped", "SIGHUP from the kernel");
        int alive = r == 2 && waitpid(v, &st, WNOHANG) == 0;
        kill(v, SIGKILL);
        while (waitpid(v, &st, 0) < 0 && errno == EINTR)
                ;
        if (r == 0) {
                fprintf(stderr, "orphan-hup: vers-init said nothing of a SIGHUP in 10 s\n");
                return 2;
        }
        puts(alive ? "alive" : "died");
        return alive ? 0 : 1;
}
