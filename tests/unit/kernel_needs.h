/* Tests of code built on syscalls that valgrind 3.19 (Debian 12's) does not emulate —
 * openat2 and seccomp answer ENOSYS under it — run in the plain pass and are skipped, saying
 * why, in the valgrind pass only. Anywhere else a missing syscall fails the test. */
#ifndef VERS_TEST_KERNEL_NEEDS_H
#define VERS_TEST_KERNEL_NEEDS_H

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline bool under_valgrind(void)
{
        const char *p = getenv("LD_PRELOAD");
        return p && strstr(p, "vgpreload");
}

/* false (and a note) when the syscall is missing under valgrind: the caller skips */
static inline bool kernel_has(const char *what)
{
        long r;
        if (!strcmp(what, "openat2")) {
                struct open_how how;
                memset(&how, 0, sizeof how);
                how.flags = O_RDONLY | O_CLOEXEC;
                r = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how);
                if (r >= 0)
                        close((int)r);
        } else {
                unsigned int action = SECCOMP_RET_ALLOW;
                r = syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action);
        }
        if (r < 0 && errno == ENOSYS && under_valgrind()) {
                fprintf(stderr, "note: valgrind does not emulate %s: this test runs in the plain "
                                "pass only\n",
                        what);
                return false;
        }
        return true;
}

/* at the top of a test: skip it (saying why) where kernel_has(what) is false */
#define NEED_SYSCALL(what)                                                                         \
        do {                                                                                       \
                if (!kernel_has(what)) {                                                           \
                        skip();                                                                    \
                        return;                                                                    \
                }                                                                                  \
        } while (0)

#endif
