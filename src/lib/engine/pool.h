/* pool — ready pools: N branches of a commit made ahead and frozen (no CPU while idle), so
 * that 'vers branch' of the commit only claims one, thaws it and names it.
 *
 * A pool is a pools row (meta.h: commit, project, size, mode) and its envs are envs rows in
 * state "pooled" (base: the commit, no alias, frozen). They are nobody's envs: status and
 * the other listings leave them out. Filling and draining hold VERS_ROOT/pool.lock (flock),
 * so one vers at a time changes a pool's envs and a fill never overshoots; a take holds no
 * lock: it claims a row in one statement (vers_meta_claim_pooled), so concurrent takers each
 * get their own. After a take (or a miss) a detached 'vers pool --refill' brings the pool
 * back to its size: spawned in its own session, with stdio on /dev/null and no other
 * descriptor, nobody waits for it.
 *
 * An env being made for a pool is a pending row owned by the filler (recovery undoes it
 * when the filler died); it becomes "pooled" only once frozen. A pooled env whose PID 1 died
 * is deleted by recovery, which starts a refill of its pool; a claimed one is a running env,
 * thawed by recovery when its taker died before thawing it.
 */
#ifndef VERS_POOL_H
#define VERS_POOL_H

#include "engine/engine.h"

struct vers_pool_info {
        char *commit;           /* id */
        char *label;            /* tag, else id */
        char *project;          /* NULL: none */
        char *mode;             /* cold | warm */
        int size;               /* envs it keeps ready */
        int ready;              /* pooled envs now */
        long long memory_bytes; /* the pooled envs' cgroups' charge, summed; -1: unknown */
        long long disk_bytes;   /* their subvolumes' exclusive bytes; -1: quotas off */
};
void vers_pool_info_clear(struct vers_pool_info *p);
void vers_pool_infos_free(struct vers_pool_info *v, size_t n);

/* 'vers pool NAME --size N': NAME is a commit or tag (an env is refused); size < 0 takes
 * [pool] size. Records the pool (its mode decided as a branch would: a warm commit restores
 * unless COLD), then fills it to size (progress per env) or drains the extra ones; size 0
 * drains and forgets it. *out (may be NULL) is the pool afterwards. */
int vers_pool_set(struct vers_ctx *ctx, const char *name, int size, enum vers_mode mode,
                  struct vers_pool_info *out, vers_error_t *err);
/* 'vers pool drain NAME': vers_pool_set with size 0. */
int vers_pool_drain_name(struct vers_ctx *ctx, const char *name, vers_error_t *err);
/* 'vers pool --refill COMMIT' (what a take spawns): fill the pool of commit_id to its size;
 * nothing when it has no pool. */
int vers_pool_refill(struct vers_ctx *ctx, const char *commit_id, vers_error_t *err);
/* The pools of the current project (all: of every project). */
int vers_pool_list(struct vers_ctx *ctx, bool all, struct vers_pool_info **out, size_t *n,
                   vers_error_t *err);

/* A ready env of commit_id's pool for 'vers branch', if it has one whose mode mode allows
 * (COLD takes only from a cold pool, WARM from a warm one): claimed, thawed, its hostname
 * alias (or its id), a refill spawned. 1 taken (*out is the env), 0 none (a refill is
 * spawned all the same when the commit has a pool), -1 error. */
int vers_pool_take(struct vers_ctx *ctx, const char *commit_id, const char *alias,
                   enum vers_mode mode, struct vers_env *out, vers_error_t *err);

/* Drain and forget commit_id's pool (before the commit goes); no pool is not an error. */
int vers_pool_forget(struct vers_ctx *ctx, const char *commit_id, vers_error_t *err);
/* gc: drain the pools whose commit is gone or not ready, and delete pooled envs of no pool
 * or whose PID 1 died; *drained counts the envs deleted. */
int vers_pool_gc(struct vers_ctx *ctx, int *drained, vers_error_t *err);
/* shutdown: delete every pooled env (their pools stay, refilled by the next fill or take) */
int vers_pool_discard_all(struct vers_ctx *ctx, int *n, vers_error_t *err);

#endif
