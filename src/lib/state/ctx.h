/* ctx — an opened VERS_ROOT and project: the handles every operation works through, and the
 * progress and notice callbacks the library reports by (vers_open() in engine fills it). */
#ifndef VERS_CTX_H
#define VERS_CTX_H

#include "base/util.h"
#include "format/config.h"
#include "os/idmap.h"
#include "os/store.h"
#include "state/meta.h"

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
        bool no_expiry_sweep; /* vers_open leaves expired envs to the command (vers gc --expired) */
};

/* Format a message and hand it to ctx->progress / ctx->notice (nothing if that is NULL). */
void vers_progress(struct vers_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void vers_notice(struct vers_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* a new random id (12 hex digits) for an env, commit or image */
char *vers_new_id(void);
/* this process's start time, for owner rows (per pid: a forked child is another owner) */
int64_t vers_my_start(void);

#endif
