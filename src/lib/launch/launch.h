/* launch — starting vers-init on a root filesystem and running a command in a started env or
 * build step, with the env's environment; reading the tail of a log inside one. */
#ifndef VERS_LAUNCH_H
#define VERS_LAUNCH_H

#include "os/sandbox.h"
#include "state/ctx.h"

#include <sys/types.h>

struct vers_exec_opts {
        const char *workdir; /* vers_env_exec's default: the env's project directory, else /root */
        int timeout_sec;
        bool pty;
        bool quiet;
        char **extra_env; /* KEY=VALUE, may be NULL */
        const char *user; /* run as this user of the env (NULL: root) */
        bool build_io;    /* stdin from /dev/null, stdout to stderr (build steps) */
        bool no_env_file; /* do not read the env's /.vers/env (extra_env is the whole env) */
        /* the command's stdin, stdout and stderr: 3 descriptors of the caller, e.g.
         * (const int[]){STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}; NULL: the caller's 0, 1
         * and 2 (hooks, build steps). With pty, stdio[0] is the terminal. */
        const int *stdio;
        bool *timed_out; /* if not NULL: set when the command was killed at timeout_sec */
};

enum {
        VERS_SB_NO_SERVICES = 1, /* PID 1 only reaps (build steps) */
        VERS_SB_HOST_NET = 2,    /* the host's network (build steps) */
        VERS_SB_OWN_ROOT = 4,    /* the root has its own /usr (VERS_OWN_ROOT_MARKER) */
};
/* Install vers-init in rootfs and start an env on it (cgroup cg_id). */
int vers_start_sandbox(struct vers_ctx *ctx, const char *cg_id, const char *rootfs,
                       const char *project, const char *hostname, long mem, long vcpu,
                       unsigned flags, pid_t *pid, vers_error_t *err);
/* The same in two halves (os/sandbox.h: vers_sandbox_fork): the first before rootfs exists,
 * the second (vers-init installed, PID 1 started) once it does; a failed run cancels. */
int vers_fork_sandbox(struct vers_ctx *ctx, const char *cg_id, const char *rootfs,
                      const char *project, const char *hostname, long mem, long vcpu,
                      unsigned flags, struct vers_sandbox_launch *l, vers_error_t *err);
int vers_run_sandbox(const char *rootfs, struct vers_sandbox_launch *l, pid_t *pid,
                     vers_error_t *err);
/* Run argv in the env of init_pid, in workdir, with rootfs/.vers/env's variables (unless
 * o->no_env_file) and o->extra_env; *status is its exit status. o may be NULL. */
int vers_exec_in(pid_t init_pid, const char *cg_id, const char *rootfs, const char *workdir,
                 char *const argv[], const struct vers_exec_opts *o, int *status,
                 vers_error_t *err);
/* The last lines of rootfs/rel (read inside the env's tree, from its last window bytes; 0:
 * VERS_IN_ROOT_MAX), or NULL when it cannot be read. lines <= 0: all that was read. */
char *vers_log_tail(const char *rootfs, const char *rel, long lines, size_t window);
/* The same from the last 64 KiB, without the trailing newlines; NULL also when empty (for
 * error messages). */
char *vers_tail_of(const char *rootfs, const char *rel, int lines);

#endif
