/* refill — starting a detached 'vers pool --refill COMMIT' (engine-private.h). */
#include "engine/engine-private.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

/* Its own session, stdio on /dev/null, no other descriptor of this process; nobody waits for
 * it (init reaps it). A plain fork: the child only makes async-signal-safe calls before its
 * exec, and unlike posix_spawn (vfork) this process does not wait for that exec (1.5 ms
 * here). */
bool vers_pool_spawn_refill(const char *commit_id)
{
        char *argv[] = {"vers", "pool", "--refill", (char *)commit_id, NULL};
        pid_t pid = fork();
        if (pid != 0)
                return pid > 0; /* no refill: the next take or fill makes up for it */
        int null = open("/dev/null", O_RDWR);
        if (null < 0 || setsid() < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
            dup2(null, 2) < 0 || syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
                _exit(127);
        execve("/proc/self/exe", argv, environ);
        _exit(127);
}
