/* engine-private — what the engine's own files share; not for commands, nor for lower layers
 * (build gets the context, refs and launching from state/ and launch/). */
#ifndef VERS_ENGINE_PRIVATE_H
#define VERS_ENGINE_PRIVATE_H

#include "engine/engine.h"

/* VERS_ROOT when it is not set */
#define VERS_DEFAULT_ROOT "/var/lib/vers"

/* control.c: kill an env's processes at once (its state is about to be discarded) */
void vers_env_kill(const struct vers_env *e);
/* the env's cgroup: the one its row records, else the one its id names now */
const char *vers_env_cg(const struct vers_env *e);
/* control.c: wait up to timeout_ms for the env's PID 1 to be gone */
void vers_env_wait_gone(const struct vers_env *e, int timeout_ms);

/* sockets.c: release the shared sockets of envs that are gone or not running (all: every
 * env's) */
void vers_sockets_release_stale(struct vers_ctx *ctx, bool all);

/* recover.c: kill and delete an env and its row (a failed create, a delete, recovery) */
int vers_env_undo(struct vers_ctx *ctx, struct vers_env *e, vers_error_t *err);
/* recover.c: put e->target's snapshot in place of e's rootfs; e is saved stopped */
int vers_env_finish_rollback(struct vers_ctx *ctx, struct vers_env *e, vers_error_t *err);

/* boot.c: boot a stopped env in place, or restore a warm commit's processes onto its (fresh)
 * rootfs, wait for its services; *e is updated and saved with final_state */
int vers_env_boot(struct vers_ctx *ctx, struct vers_env *e, const char *final_state,
                  vers_error_t *err);
int vers_env_restore(struct vers_ctx *ctx, struct vers_env *e, const char *commit_id,
                     const char *final_state, vers_error_t *err);
/* mode.c: should an env made from commit c restore its processes? Sets *warm, or
 * fails (WARM of a cold commit, or where CRIU cannot restore). */
int vers_env_decide_restore(struct vers_ctx *ctx, const struct vers_commit *c, enum vers_mode mode,
                            bool *warm, vers_error_t *err);
/* boot.c: a pending row for a new env owned by this process (project NULL: ctx's) */
void vers_env_init_row(struct vers_ctx *ctx, struct vers_env *e, const char *alias,
                       const char *image, const char *base, const char *project);
/* boot.c: make e from a read-only subvolume src (an image or a commit's rootfs); with
 * warm_commit, restore that commit's processes instead of booting. Undone on failure. */
int vers_env_create(struct vers_ctx *ctx, const char *src, const char *warm_commit,
                    struct vers_env *e, vers_error_t *err);

/* Start a detached 'vers pool --refill COMMIT' (refill.c): false if it could not fork. */
bool vers_pool_spawn_refill(const char *commit_id);

#endif
