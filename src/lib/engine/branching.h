/* branching — the seed's workflow as one call per command: run an env and make it HEAD,
 * commit the target env, branch (committing a running env first), check out, roll back. */
#ifndef VERS_BRANCHING_H
#define VERS_BRANCHING_H

#include "engine/engine.h"
#include "base/trace.h"

/* 'vers run': start a new env from the project's image (built first if needed); it becomes
 * HEAD. */
int vers_run_head(struct vers_ctx *ctx, const char *alias, struct vers_env *out, vers_error_t *err);

/* 'vers commit': commit the env named by name (see vers_target_env; a project without an env
 * gets one first). *env_label gets the env's alias or id. */
int vers_commit_target(struct vers_ctx *ctx, const char *name, const struct vers_commit_opts *o,
                       struct vers_commit *out, char **env_label, double *pause_ms,
                       vers_error_t *err);

struct vers_branch_opts {
        const char *from;  /* env, commit or tag; NULL: HEAD */
        const char *alias; /* the new env's; with count > 1, ALIAS-1 ... ALIAS-N */
        int count;         /* envs to make, >= 1 */
        enum vers_mode mode;
        bool checkout; /* the last new env becomes HEAD */
        int64_t ttl;   /* seconds until the new envs expire; 0: never; < 0: [branches] ttl */
        /* called for each new env once it runs: the commit it was branched from (its id and
         * label), how long the branch took and where that time went (base/trace.h). With
         * count > 1 the envs are made at the same time, each in a process of its own. */
        void (*made)(const struct vers_env *e, const char *commit_id, const char *from_label,
                     double seconds, const struct vers_trace *timings, void *arg);
        void *arg;
};
/* 'vers branch': new envs from a commit (or tag), or from an env, which is committed first
 * ("branch point of ENV"), as the seed's workflow does. */
int vers_branch(struct vers_ctx *ctx, const struct vers_branch_opts *o, vers_error_t *err);

/* 'vers checkout': make HEAD the env or commit name resolves to; *out and *label say which. */
int vers_checkout(struct vers_ctx *ctx, const char *name, struct vers_ref *out, char **label,
                  vers_error_t *err);

struct vers_rollback_result {
        char *env;    /* the env's label */
        char *commit; /* the commit's label */
        char *mode;   /* how it came back: warm or cold */
};
/* 'vers rollback': reset the env named by env (see vers_target_env) to commit to, or without
 * to, to the commit it was last committed as or branched from. */
int vers_rollback_target(struct vers_ctx *ctx, const char *env, const char *to, enum vers_mode mode,
                         struct vers_rollback_result *out, vers_error_t *err);
void vers_rollback_result_clear(struct vers_rollback_result *r);

#endif
