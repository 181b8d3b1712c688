/* engine — the env lifecycle: open a root, run, branch, execute, commit, rollback, stop,
 * delete, gc, shutdown. Commands include this one header; it brings in the context
 * (state/ctx.h), names and HEAD (state/refs.h, state/head.h), exec options (launch/launch.h)
 * and vers_build (build/build.h).
 *
 * Every operation that makes or removes more than one thing first writes its row in a
 * transitional state owned by this process (see meta.h), does the work, and sets the final
 * state last. vers_open() calls vers_recover(), which finishes or undoes the operations of
 * vers processes that died, so nothing half-made is ever shown as valid.
 */
#ifndef VERS_ENGINE_H
#define VERS_ENGINE_H

#include "base/util.h"
#include "build/build.h"
#include "launch/launch.h"
#include "state/ctx.h"
#include "state/head.h"
#include "state/refs.h"

/* Open VERS_ROOT (store and metadata) and the project around cwd; recover interrupted work. */
int vers_open(struct vers_ctx *ctx, vers_error_t *err);
void vers_close(struct vers_ctx *ctx);
/* Just find the project and its config (no store, no root needed). */
int vers_open_project(struct vers_ctx *ctx, vers_error_t *err);
/* Finish or undo what vers processes that died left half-done (vers_open calls it). */
int vers_recover(struct vers_ctx *ctx, vers_error_t *err);

/* 'vers run': build (cached) and start a new env from the image. */
int vers_env_run(struct vers_ctx *ctx, const char *alias, struct vers_env *out, vers_error_t *err);

/* How a commit captures an env, and how a branch starts from it. AUTO: warm where CRIU is
 * usable (with a notice when it is not), WARM: warm or fail, COLD: disk only. */
enum vers_mode { VERS_MODE_AUTO, VERS_MODE_WARM, VERS_MODE_COLD };

/* New env from a commit, in the current project (outside one: the commit's). */
int vers_env_branch(struct vers_ctx *ctx, const char *commit_id, const char *alias,
                    enum vers_mode mode, struct vers_env *out, vers_error_t *err);

/* Where a warm commit's pause went, in ms: freezing the env's cgroup, CRIU's dump while it
 * is frozen, the disk snapshot, and CRIU letting go of the tree until the thaw. */
struct vers_pause {
        bool warm;
        double freeze_ms, dump_ms, snapshot_ms, resume_ms;
};
struct vers_commit_opts {
        const char *tag;
        const char *message;
        enum vers_mode mode;
        bool verify; /* warm: restore the dump once before trusting it (also [checkpoint]) */
        struct vers_pause *pause; /* if set: the pause's parts, filled by a warm commit */
};
/* Commit an env (running or stopped); *pause_ms is how long it was frozen. */
int vers_env_commit(struct vers_ctx *ctx, const char *env_id, const struct vers_commit_opts *o,
                    struct vers_commit *out, double *pause_ms, vers_error_t *err);
/* Replace an env's disk (and, warm, its processes) with a commit's; it runs afterwards. */
int vers_env_rollback(struct vers_ctx *ctx, const char *env_id, const char *commit_id,
                      enum vers_mode mode, vers_error_t *err);
int vers_env_delete(struct vers_ctx *ctx, const char *env_id, vers_error_t *err);
/* Stop an env cleanly (services get their stop signal); its disk stays. */
int vers_env_stop(struct vers_ctx *ctx, const char *env_id, vers_error_t *err);
/* Load an env; boot it if it is stopped. */
int vers_env_ensure_running(struct vers_ctx *ctx, const char *env_id, struct vers_env *out,
                            vers_error_t *err);
/* Log files inside an env (paths inside it): init's, boot's, then each service's. The list
 * is the one vers wrote into the env's image at build time (never the env's own copy, which
 * whatever runs in the env can edit); read the files with vers_read_file_in_root(). */
char **vers_env_log_files(struct vers_ctx *ctx, const struct vers_env *e);
/* A host directory holding the env's socket rel (e.g. "run/postgresql/.s.PGSQL.5432") for
 * host-side clients, made anew on each call: a mount of that very socket, which nothing the
 * env does later can point elsewhere. Released when the env stops or goes. */
int vers_env_socket_dir(struct vers_ctx *ctx, const struct vers_env *e, const char *rel, char **dir,
                        vers_error_t *err);
void vers_env_sockets_release(struct vers_ctx *ctx, const char *env_id);

/* Read rel (e.g. ".vers/env", ".vers/image") of the configuration vers wrote when it built
 * e's image, from the image's read-only subvolume: no env runs on it or can write it (an env
 * runs on a snapshot of it). -1 with *err set when the image or the file is gone. */
int vers_env_config_read(struct vers_ctx *ctx, const struct vers_env *e, const char *rel,
                         char **out, vers_error_t *err);
/* true if the env's PID 1 is alive */
bool vers_env_is_running(const struct vers_env *e);

/* Run argv in a running env (o->workdir, else its project directory, else /root). */
int vers_env_exec(struct vers_ctx *ctx, const struct vers_env *e, char *const argv[],
                  const struct vers_exec_opts *o, int *status, vers_error_t *err);

/* The port a host-side client wants by default: the EXPOSEd TCP port of the env's
 * Dockerfile (5432, 3306 or 6379 first), else 5432. */
int vers_env_default_port(struct vers_ctx *ctx, const struct vers_env *e);

/* What vers_gc removed or fixed; each count only what it did. */
struct vers_gc_report {
        int subvolumes; /* subvolumes (with their cgroups) no row refers to */
        int cgroups;    /* cgroups of this root that no env or image has */
        int qgroups;    /* level-1 qgroups (env caps) whose subvolume is gone */
        int rows;       /* envs whose PID 1 died, marked stopped */
        int pooled;     /* pooled envs deleted: of a pool or commit gone, or dead */
};
int vers_gc(struct vers_ctx *ctx, struct vers_gc_report *r, vers_error_t *err);
/* Stop every env and unmount the store. */
int vers_shutdown(struct vers_ctx *ctx, int *stopped, vers_error_t *err);

#endif
