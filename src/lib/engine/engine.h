/* engine — the env lifecycle: build, run, execute, commit, branch, rollback, delete, gc.
 *
 * Every operation that makes or removes more than one thing first writes its row in a
 * transitional state owned by this process (see meta.h), does the work, and sets the final
 * state last. vers_open() calls vers_recover(), which finishes or undoes the operations of
 * vers processes that died, so nothing half-made is ever shown as valid.
 */
#ifndef VERS_ENGINE_H
#define VERS_ENGINE_H

#include "format/config.h"
#include "os/idmap.h"
#include "state/meta.h"
#include "os/store.h"
#include "base/util.h"

struct vers_ctx {
        char *root;        /* VERS_ROOT */
        char *project_dir; /* directory holding vers.toml (or .vers/), NULL outside a project */
        struct vers_config cfg;
        bool have_cfg;
        struct vers_store store;
        struct vers_meta meta;
        struct vers_idmap idmap;           /* the host ids of this root's envs */
        void (*progress)(const char *msg); /* may be NULL */
        void (*notice)(const char *msg);   /* one-line notices the user must see; may be NULL */
};

/* Open VERS_ROOT (store and metadata) and the project around cwd; recover interrupted work. */
int vers_open(struct vers_ctx *ctx, vers_error_t *err);
void vers_close(struct vers_ctx *ctx);
/* Just find the project and its config (no store, no root needed). */
int vers_open_project(struct vers_ctx *ctx, vers_error_t *err);
int vers_recover(struct vers_ctx *ctx, vers_error_t *err);

enum vers_ref_kind { VERS_REF_NONE, VERS_REF_ENV, VERS_REF_COMMIT };
struct vers_ref {
        enum vers_ref_kind kind;
        char *id;
};
void vers_ref_clear(struct vers_ref *r);

/* Resolve an alias, tag, id or unique id prefix; tags only of the current project (see
 * engine.c for the order). */
int vers_resolve(struct vers_ctx *ctx, const char *name, struct vers_ref *out, vers_error_t *err);
/* As vers_resolve, but a tag that no commit of this project has may also name the one commit
 * of another project so tagged (a Dockerfile's FROM: a base that another project made). */
int vers_resolve_base(struct vers_ctx *ctx, const char *name, struct vers_ref *out,
                      vers_error_t *err);
/* HEAD of the project (VERS_REF_NONE if unset). */
int vers_head_get(struct vers_ctx *ctx, struct vers_ref *out, vers_error_t *err);
int vers_head_set(struct vers_ctx *ctx, enum vers_ref_kind kind, const char *id, vers_error_t *err);
/* A human name for a commit or env: tag/alias if it has one, else its id. */
char *vers_commit_label(struct vers_ctx *ctx, const char *id);
char *vers_env_label(struct vers_ctx *ctx, const char *id);

struct vers_build_opts {
        bool no_cache; /* rebuild every step */
        bool verbose;  /* say every step, cached or not ('vers build') */
};
/* Build the project's image (vers.toml, and its Dockerfile if [builder] names one): every
 * step a cached layer. *cached is true when every step came from the cache. */
int vers_build(struct vers_ctx *ctx, const struct vers_build_opts *o, char **image_id, bool *cached,
               vers_error_t *err);

/* 'vers run': build (cached) and start a new env from the image. */
int vers_env_run(struct vers_ctx *ctx, const char *alias, struct vers_env *out, vers_error_t *err);
/* New env from a commit. */
/* How a commit captures an env, and how a branch starts from it. AUTO: warm where CRIU is
 * usable (with a notice when it is not), WARM: warm or fail, COLD: disk only. */
enum vers_mode { VERS_MODE_AUTO, VERS_MODE_WARM, VERS_MODE_COLD };

int vers_env_branch(struct vers_ctx *ctx, const char *commit_id, const char *alias,
                    enum vers_mode mode, struct vers_env *out, vers_error_t *err);

struct vers_commit_opts {
        const char *tag;
        const char *message;
        enum vers_mode mode;
        bool verify; /* warm: restore the dump once before trusting it (also [checkpoint]) */
};
int vers_env_commit(struct vers_ctx *ctx, const char *env_id, const struct vers_commit_opts *o,
                    struct vers_commit *out, double *pause_ms, vers_error_t *err);
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

struct vers_exec_opts {
        const char *workdir; /* default: the env's project directory */
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
};
int vers_env_exec(struct vers_ctx *ctx, const struct vers_env *e, char *const argv[],
                  const struct vers_exec_opts *o, int *status, vers_error_t *err);

/* The port a host-side client wants by default: the EXPOSEd TCP port of the env's
 * Dockerfile (5432, 3306 or 6379 first), else 5432. */
int vers_env_default_port(struct vers_ctx *ctx, const struct vers_env *e);

struct vers_gc_report {
        int subvolumes;
        int cgroups;
        int qgroups; /* level-1 qgroups (env caps) whose subvolume is gone */
        int rows;
};
int vers_gc(struct vers_ctx *ctx, struct vers_gc_report *r, vers_error_t *err);
/* Stop every env and unmount the store. */
int vers_shutdown(struct vers_ctx *ctx, int *stopped, vers_error_t *err);

#endif
