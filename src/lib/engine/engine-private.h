/* engine-private — what the parts of the engine (engine.c, build.c) share, not for commands. */
#ifndef VERS_ENGINE_PRIVATE_H
#define VERS_ENGINE_PRIVATE_H

#include "engine/engine.h"

#include <sys/types.h>

void vers_progress(struct vers_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void vers_notice(struct vers_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* a new random id (16 hex digits) */
char *vers_new_id(void);
/* this process's start time, for owner rows */
int64_t vers_my_start(void);

enum {
        VERS_SB_NO_SERVICES = 1, /* PID 1 only reaps (build steps) */
        VERS_SB_HOST_NET = 2,    /* the host's network (build steps) */
};
/* Install vers-init in rootfs and start an env on it (cgroup cg_id). */
int vers_start_sandbox(struct vers_ctx *ctx, const char *cg_id, const char *rootfs,
                       const char *project, const char *hostname, long mem, long vcpu,
                       unsigned flags, pid_t *pid, vers_error_t *err);
int vers_exec_in(pid_t init_pid, const char *cg_id, const char *rootfs, const char *workdir,
                 char *const argv[], const struct vers_exec_opts *o, int *status,
                 vers_error_t *err);
/* The last lines of rootfs/rel, or NULL. */
char *vers_tail_of(const char *rootfs, const char *rel, int lines);

#endif
