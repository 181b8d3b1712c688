/* proc — processes (spawn, wait, identity across pid reuse), fds, clocks, random ids. */
#include "base/util.h"
#include "base/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

int vers_close_fds_from(int lowfd)
{
#ifdef SYS_close_range
        if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, 0) == 0)
                return 0;
#endif
        DIR *d = opendir("/proc/self/fd");
        if (!d)
                return -1;
        int dfd = dirfd(d);
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
                int fd = atoi(de->d_name);
                if (de->d_name[0] != '.' && fd >= lowfd && fd != dfd)
                        close(fd);
        }
        closedir(d);
        return 0;
}

uint64_t vers_pid_starttime(pid_t pid)
{
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        char *buf = NULL;
        if (vers_read_file(path, &buf, NULL, NULL) < 0)
                return 0;
        /* comm may contain spaces and parens: fields start after the last ')' */
        char *p = strrchr(buf, ')');
        uint64_t start = 0;
        /* a zombie (or dying) process no longer runs anything: count it as gone */
        if (p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'))
                p = NULL;
        if (p) {
                int field = 2;
                for (p++; *p && field < 22; p++) {
                        if (*p == ' ')
                                field++;
                }
                if (field == 22)
                        start = strtoull(p, NULL, 10);
        }
        free(buf);
        return start;
}

bool vers_pid_alive(pid_t pid, uint64_t starttime)
{
        if (pid <= 0)
                return false;
        uint64_t s = vers_pid_starttime(pid);
        return s != 0 && (starttime == 0 || s == starttime);
}

pid_t vers_spawn(char *const argv[], int *outfd, vers_error_t *err)
{
        /* a failed exec is told back through ep (closed on a good exec), so nothing is
         * printed on the child's behalf */
        int pfd[2] = {-1, -1}, ep[2] = {-1, -1};
        if (pipe2(ep, O_CLOEXEC) < 0)
                return vers_make_error(err, errno, "pipe");
        if (outfd && pipe2(pfd, O_CLOEXEC) < 0) {
                int e = errno;
                close(ep[0]);
                close(ep[1]);
                return vers_make_error(err, e, "pipe");
        }
        pid_t pid = fork();
        if (pid == 0) {
                int nul = open("/dev/null", O_RDONLY);
                if (nul >= 0)
                        dup2(nul, 0);
                if (outfd) {
                        dup2(pfd[1], 1);
                        dup2(pfd[1], 2);
                }
                /* ep stays, above 2 and close-on-exec: everything else above 2 goes */
                int keep = fcntl(ep[1], F_DUPFD_CLOEXEC, 3);
                if (keep < 0 || dup2(keep, 3) < 0 || fcntl(3, F_SETFD, FD_CLOEXEC) < 0)
                        _exit(127);
                vers_close_fds_from(4);
                execvp(argv[0], argv);
                int e = errno;
                if (write(3, &e, sizeof e) < 0)
                        _exit(127);
                _exit(127);
        }
        int e = errno;
        close(ep[1]);
        if (outfd)
                close(pfd[1]);
        if (pid < 0) {
                close(ep[0]);
                if (outfd)
                        close(pfd[0]);
                return vers_make_error(err, e, "fork");
        }
        int child_errno = 0;
        ssize_t n;
        while ((n = read(ep[0], &child_errno, sizeof child_errno)) < 0 && errno == EINTR)
                ;
        close(ep[0]);
        if (n == (ssize_t)sizeof child_errno) {
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                if (outfd)
                        close(pfd[0]);
                return vers_make_error(err, child_errno, "cannot run %s", argv[0]);
        }
        if (outfd)
                *outfd = pfd[0];
        return pid;
}

int vers_wait_exit(pid_t pid, vers_error_t *err)
{
        int status;
        while (waitpid(pid, &status, 0) < 0) {
                if (errno != EINTR)
                        return vers_make_error(err, errno, "waitpid");
        }
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 128 + WTERMSIG(status);
}

int vers_run(char *const argv[], char **out, vers_error_t *err)
{
        int fd = -1;
        pid_t pid = vers_spawn(argv, out ? &fd : NULL, err);
        if (pid < 0)
                return -1;
        if (out) {
                struct strbuf sb = STRBUF_INIT;
                char buf[4096];
                for (;;) {
                        ssize_t n = read(fd, buf, sizeof buf);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0)
                                break;
                        strbuf_add(&sb, buf, (size_t)n);
                }
                close(fd);
                *out = strbuf_detach(&sb);
        }
        return vers_wait_exit(pid, err);
}

void vers_sleep_ms(long ms)
{
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

uint64_t vers_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

double vers_monotonic(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *vers_random_hex(size_t nchars)
{
        unsigned char raw[64];
        if (nchars > 2 * sizeof raw)
                nchars = 2 * sizeof raw;
        size_t nbytes = (nchars + 1) / 2;
        _cleanup_close_ int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read(fd, raw, nbytes) != (ssize_t)nbytes) {
                uint64_t x = vers_now_ms() ^ ((uint64_t)getpid() << 32);
                for (size_t i = 0; i < nbytes; i++) {
                        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                        raw[i] = (unsigned char)(x >> 56);
                }
        }
        char *s = xmalloc(nchars + 1);
        static const char hex[] = "0123456789abcdef";
        for (size_t i = 0; i < nchars; i++)
                s[i] = hex[(raw[i / 2] >> ((i % 2) ? 0 : 4)) & 0xf];
        s[nchars] = '\0';
        return s;
}
