/* recover — finishing or undoing what dead vers processes left: pending envs, deletes,
 * rollbacks, commits (with their criu and frozen env), images. */
#include "engine/engine-private.h"
#include "base/failpoint.h"
#include "os/cgroup.h"
#include "os/criu.h"

#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static bool owner_alive(int64_t pid, int64_t start)
{
        if (pid == getpid())
                return true;
        return vers_pid_alive((pid_t)pid, (uint64_t)start);
}

int vers_env_undo(struct vers_ctx *ctx, struct vers_env *e, vers_error_t *err)
{
        /* a frozen task (a pooled env, one frozen by a dead commit) dies only once it runs */
        if (vers_cgroup_is_frozen(vers_env_cg(e)))
                vers_cgroup_freeze(vers_env_cg(e), false, NULL);
        vers_env_kill(e);
        vers_env_sockets_release(ctx, e->id);
        vers_env_wait_gone(e, 5000);
        if (vers_failpoint("delete-after-kill", err) < 0)
                return -1;
        _cleanup_free_ char *dir = vers_store_env_dir(&ctx->store, e->id);
        _cleanup_free_ char *rootfs = vers_store_env_rootfs(&ctx->store, e->id);
        if (vers_subvol_unlimit(&ctx->store, rootfs, err) < 0 ||
            vers_subvol_delete(rootfs, err) < 0 ||
            vers_failpoint("delete-after-subvolume", err) < 0 || vers_rm_rf(dir, err) < 0)
                return -1;
        return vers_meta_delete(&ctx->meta, VERS_META_ENVS, e->id, err);
}

int vers_env_finish_rollback(struct vers_ctx *ctx, struct vers_env *e, vers_error_t *err)
{
        vers_env_kill(e);
        vers_env_sockets_release(ctx, e->id);
        vers_env_wait_gone(e, 5000);
        _cleanup_free_ char *rootfs = vers_store_env_rootfs(&ctx->store, e->id);
        _cleanup_free_ char *src = vers_store_commit_rootfs(&ctx->store, e->target);
        if (vers_subvol_unlimit(&ctx->store, rootfs, err) < 0 ||
            vers_subvol_delete(rootfs, err) < 0 ||
            vers_failpoint("rollback-after-delete", err) < 0 ||
            vers_subvol_snapshot(src, rootfs, false, err) < 0 ||
            vers_subvol_limit(&ctx->store, rootfs, ctx->cfg.vm_mib, err) < 0 ||
            vers_failpoint("rollback-after-snapshot", err) < 0)
                return -1;
        free(e->base);
        e->base = steal_pointer(&e->target);
        free(e->state);
        e->state = xstrdup("stopped");
        e->init_pid = e->init_start = 0;
        e->owner_pid = e->owner_start = 0;
        return vers_meta_put_env(&ctx->meta, e, err);
}

/* Thaw an env left frozen by a commit whose vers died. A committer holds the env's
 * commit.lock from before it freezes until after it thaws, and the kernel drops the lock
 * when it dies: if the lock is free, nobody alive froze the env. */
static void thaw_if_unowned(struct vers_ctx *ctx, const char *env_id, const char *cg)
{
        if (!vers_cgroup_is_frozen(cg))
                return;
        _cleanup_free_ char *envdir = vers_store_env_dir(&ctx->store, env_id);
        _cleanup_free_ char *lockpath = xasprintf("%s/commit.lock", envdir);
        _cleanup_close_ int fd = open(lockpath, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
                return;
        vers_cgroup_freeze(cg, false, NULL);
}

/* Undo a commit whose vers died: first stop the criu dump it may have left running (it
 * would freeze the env again, and its frozen tasks cannot be killed under it), then thaw
 * the env, then delete what the commit made. */
static int undo_commit(struct vers_ctx *ctx, const struct vers_commit *c, vers_error_t *err)
{
        _cleanup_free_ char *dir = vers_store_commit_dir(&ctx->store, c->id);
        _cleanup_free_ char *rootfs = vers_store_commit_rootfs(&ctx->store, c->id);
        _cleanup_free_ char *images = xasprintf("%s/criu", dir);
        vers_criu_dump_reap(images);
        if (c->env) {
                struct vers_env e = {0};
                bool have = vers_meta_get_env(&ctx->meta, c->env, &e, NULL) == 1;
                thaw_if_unowned(ctx, c->env, have ? vers_env_cg(&e) : c->env);
                vers_env_clear(&e);
        }
        /* an unbundled commit's received subvolume (ship/bundle.h) */
        _cleanup_free_ char *received = xasprintf("%s/received/rootfs", dir);
        if (vers_subvol_delete(rootfs, err) < 0 || vers_subvol_delete(received, err) < 0 ||
            vers_rm_rf(dir, err) < 0)
                return -1;
        return vers_meta_delete(&ctx->meta, VERS_META_COMMITS, c->id, err);
}

int vers_recover(struct vers_ctx *ctx, vers_error_t *err)
{
        struct vers_env *envs = NULL;
        size_t n = 0;
        if (vers_meta_list_envs(&ctx->meta,
                                &(struct vers_meta_query){
                                    .states = VERS_Q_PENDING | VERS_Q_DELETING | VERS_Q_ROLLBACK},
                                &envs, &n, err) < 0)
                return -1;
        int ret = 0;
        for (size_t i = 0; i < n && ret == 0; i++) {
                struct vers_env *e = &envs[i];
                if (owner_alive(e->owner_pid, e->owner_start))
                        continue;
                if (!strcmp(e->state, "rollback") && e->target)
                        ret = vers_env_finish_rollback(ctx, e, err);
                else
                        ret = vers_env_undo(ctx, e, err);
        }
        vers_envs_free(envs, n);
        if (ret < 0)
                return vers_error_wrap(err, "cannot recover an interrupted operation");

        /* each list keeps its own count: a count shared between them freed the next list
         * with the previous one's length */
        struct vers_commit *cs = NULL;
        size_t nc = 0;
        if (vers_meta_list_commits(&ctx->meta, &(struct vers_meta_query){.states = VERS_Q_PENDING},
                                   &cs, &nc, err) < 0)
                return -1;
        for (size_t i = 0; i < nc && ret == 0; i++) {
                if (!owner_alive(cs[i].owner_pid, cs[i].owner_start))
                        ret = undo_commit(ctx, &cs[i], err);
        }
        vers_commits_free(cs, nc);
        if (ret < 0)
                return vers_error_wrap(err, "cannot recover an interrupted commit");

        /* an env frozen by a commit that left no row (or whose row is gone) */
        if (vers_meta_list_envs(&ctx->meta, NULL, &envs, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n; i++)
                if (strcmp(envs[i].state, "pooled") != 0) /* kept frozen on purpose */
                        thaw_if_unowned(ctx, envs[i].id, vers_env_cg(&envs[i]));
        vers_envs_free(envs, n);

        /* pooled envs (engine/pool.h) whose PID 1 died: nothing to hand out */
        if (vers_meta_list_envs(&ctx->meta, &(struct vers_meta_query){.states = VERS_Q_POOLED},
                                &envs, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n && ret == 0; i++) {
                if (vers_env_is_running(&envs[i]))
                        continue;
                ret = vers_env_undo(ctx, &envs[i], err);
                /* its pool is one short, and no take may come to refill it: refill now (once
                 * per commit; a fill reads the pool's size under pool.lock, so never more) */
                bool first = true;
                for (size_t j = 0; j < i; j++)
                        first &=
                            !(envs[j].base && envs[i].base && !strcmp(envs[j].base, envs[i].base) &&
                              !vers_env_is_running(&envs[j]));
                if (ret == 0 && envs[i].base && first)
                        vers_pool_spawn_refill(envs[i].base);
        }
        vers_envs_free(envs, n);
        if (ret < 0)
                return vers_error_wrap(err, "cannot recover a ready pool");

        struct vers_image *is = NULL;
        size_t ni = 0;
        if (vers_meta_list_images(&ctx->meta, &(struct vers_meta_query){.states = VERS_Q_PENDING},
                                  &is, &ni, err) < 0)
                return -1;
        for (size_t i = 0; i < ni && ret == 0; i++) {
                if (owner_alive(is[i].owner_pid, is[i].owner_start))
                        continue;
                _cleanup_free_ char *path = vers_store_image_path(&ctx->store, is[i].id);
                vers_cgroup_kill(is[i].id);
                vers_cgroup_destroy(is[i].id);
                if (vers_subvol_delete(path, err) < 0 ||
                    vers_meta_delete(&ctx->meta, VERS_META_IMAGES, is[i].id, err) < 0)
                        ret = -1;
        }
        vers_images_free(is, ni);
        return ret;
}
