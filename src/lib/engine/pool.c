/* pool — ready pools of frozen branches: fill, drain, take, refill, list (see pool.h). */
#include "engine/pool.h"
#include "engine/engine-private.h"
#include "base/names.h"
#include "base/trace.h"
#include "os/cgroup.h"
#include "os/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

void vers_pool_info_clear(struct vers_pool_info *p)
{
        free(p->commit);
        free(p->label);
        free(p->project);
        free(p->mode);
        memset(p, 0, sizeof *p);
}

void vers_pool_infos_free(struct vers_pool_info *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                vers_pool_info_clear(&v[i]);
        free(v);
}

/* VERS_ROOT/pool.lock, held (flock) while a pool's envs are made or deleted; -1 on error */
static int pool_lock(struct vers_ctx *ctx, vers_error_t *err)
{
        _cleanup_free_ char *path = xasprintf("%s/pool.lock", ctx->root);
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return vers_make_error(err, errno, "cannot open '%s'", path);
        while (flock(fd, LOCK_EX) < 0) {
                if (errno != EINTR) {
                        int e = errno;
                        close(fd);
                        return vers_make_error(err, e, "cannot lock '%s'", path);
                }
        }
        return fd;
}

static int list_pooled(struct vers_ctx *ctx, const char *commit_id, struct vers_env **out,
                       size_t *n, vers_error_t *err)
{
        return vers_meta_list_envs(
            &ctx->meta, &(struct vers_meta_query){.base = commit_id, .states = VERS_Q_POOLED}, out,
            n, err);
}

/* Delete a pooled env (vers_env_undo thaws it first). */
static int discard(struct vers_ctx *ctx, struct vers_env *e, vers_error_t *err)
{
        return vers_env_undo(ctx, e, err);
}

/* One env for pool p of commit c: made as a branch is, but pending (owned by this process)
 * until it is frozen, and then "pooled". */
static int make_pooled(struct vers_ctx *ctx, const struct vers_commit *c, const struct vers_pool *p,
                       struct vers_env *e, vers_error_t *err)
{
        vers_env_init_row(ctx, e, NULL, c->image, c->id, p->project);
        if (vers_store_check_room(&ctx->store, err) < 0)
                return -1;
        if (vers_meta_put_env(&ctx->meta, e, err) < 0)
                return -1;
        _cleanup_free_ char *dir = vers_store_env_dir(&ctx->store, e->id);
        _cleanup_free_ char *rootfs = vers_store_env_rootfs(&ctx->store, e->id);
        _cleanup_free_ char *src = vers_store_commit_rootfs(&ctx->store, c->id);
        bool warm = !strcmp(p->mode, "warm");
        if (mkdir(dir, 0700) < 0) {
                vers_make_error(err, errno, "cannot create '%s'", dir);
                goto undo;
        }
        if (vers_subvol_snapshot(src, rootfs, false, err) < 0 ||
            vers_subvol_limit(&ctx->store, rootfs, ctx->cfg.vm_mib, err) < 0)
                goto undo;
        if ((warm ? vers_env_restore(ctx, e, c->id, "pending", err)
                  : vers_env_boot(ctx, e, "pending", err)) < 0)
                goto undo;
        if (vers_cgroup_freeze(vers_env_cg(e), true, err) < 0)
                goto undo;
        free(e->state);
        e->state = xstrdup("pooled");
        e->owner_pid = e->owner_start = 0;
        if (vers_meta_put_env(&ctx->meta, e, err) < 0)
                goto undo;
        return 0;
undo:
        discard(ctx, e, NULL);
        return -1;
}

/* Bring commit_id's pool to its size, under the pool lock: make the missing envs one at a
 * time (reading the pool again before each, so a resize or drain meanwhile is obeyed), or
 * delete the extra ones, newest first. */
static int fill(struct vers_ctx *ctx, const char *commit_id, vers_error_t *err)
{
        _cleanup_close_ int lock = pool_lock(ctx, err);
        if (lock < 0)
                return -1;
        _cleanup_free_ char *label = vers_commit_label(ctx, commit_id);
        struct vers_commit c = {0};
        int r = vers_meta_get_commit(&ctx->meta, commit_id, &c, err);
        if (r <= 0)
                return r < 0 ? -1 : vers_make_error(err, 0, "no commit '%s'", commit_id);
        int ret = 0;
        for (;;) {
                struct vers_pool p = {0};
                struct vers_env *envs = NULL;
                size_t n = 0;
                r = vers_meta_get_pool(&ctx->meta, commit_id, &p, err);
                if (r > 0 && list_pooled(ctx, commit_id, &envs, &n, err) < 0)
                        r = -1;
                if (r <= 0) { /* an error, or no pool (drained meanwhile) */
                        ret = r;
                        vers_pool_clear(&p);
                        break;
                }
                size_t want = p.size > 0 ? (size_t)p.size : 0;
                if (n > want) {
                        for (size_t i = n; i-- > want && ret == 0;)
                                ret = discard(ctx, &envs[i], err);
                        if (ret == 0)
                                vers_progress(ctx, "pool %s: %zu extra env(s) deleted", label,
                                              n - want);
                } else if (n < want) {
                        struct vers_env e = {0};
                        ret = make_pooled(ctx, &c, &p, &e, err);
                        if (ret == 0)
                                vers_progress(ctx, "pool %s: env %s ready (%zu of %zu, %s)", label,
                                              e.id, n + 1, want, p.mode);
                        vers_env_clear(&e);
                }
                vers_envs_free(envs, n);
                vers_pool_clear(&p);
                if (ret < 0 || n >= want)
                        break;
        }
        vers_commit_clear(&c);
        return ret < 0 ? vers_error_wrap(err, "pool %s", label) : 0;
}

int vers_pool_set(struct vers_ctx *ctx, const char *name, int size, enum vers_mode mode,
                  struct vers_pool_info *out, vers_error_t *err)
{
        struct vers_ref ref = {VERS_REF_NONE, NULL};
        struct vers_commit c = {0};
        int ret = -1;
        if (out)
                memset(out, 0, sizeof *out);
        if (vers_resolve(ctx, name, &ref, err) < 0)
                goto out;
        if (ref.kind == VERS_REF_ENV) {
                vers_make_error(err, 0,
                                "'%s' is an env; a pool keeps branches of a commit (commit it, "
                                "then pool the commit or its tag)",
                                name);
                goto out;
        }
        if (vers_ready_commit(ctx, ref.id, &c, err) < 0)
                goto out;
        if (size < 0)
                size = (int)ctx->cfg.pool_size;
        if (size == 0) {
                ret = vers_pool_forget(ctx, c.id, err);
        } else {
                bool warm = false;
                if (vers_env_decide_restore(ctx, &c, mode, &warm, err) < 0)
                        goto out;
                const char *project = ctx->project_dir ? ctx->project_dir : c.project;
                struct vers_pool p = {c.id, (char *)project, size, warm ? "warm" : "cold"};
                struct vers_pool old = {0};
                int had = vers_meta_get_pool(&ctx->meta, c.id, &old, err);
                if (had < 0)
                        goto out;
                /* a pool that changes mode starts over: its envs start the other way */
                if (had && strcmp(old.mode, p.mode) != 0 && vers_pool_forget(ctx, c.id, err) < 0) {
                        vers_pool_clear(&old);
                        goto out;
                }
                vers_pool_clear(&old);
                if (vers_meta_put_pool(&ctx->meta, &p, err) < 0 || fill(ctx, c.id, err) < 0)
                        goto out;
                ret = 0;
        }
        if (ret == 0 && out) {
                out->commit = xstrdup(c.id);
                out->label = vers_commit_label(ctx, c.id);
                struct vers_pool p = {0};
                if (vers_meta_get_pool(&ctx->meta, c.id, &p, NULL) == 1) {
                        out->size = (int)p.size;
                        out->mode = xstrdup(p.mode);
                        out->project = p.project ? xstrdup(p.project) : NULL;
                }
                vers_pool_clear(&p);
                struct vers_env *envs = NULL;
                size_t n = 0;
                if (list_pooled(ctx, c.id, &envs, &n, NULL) == 0)
                        out->ready = (int)n;
                vers_envs_free(envs, n);
        }
out:
        vers_commit_clear(&c);
        vers_ref_clear(&ref);
        return ret;
}

int vers_pool_drain_name(struct vers_ctx *ctx, const char *name, vers_error_t *err)
{
        return vers_pool_set(ctx, name, 0, VERS_MODE_AUTO, NULL, err);
}

int vers_pool_refill(struct vers_ctx *ctx, const char *commit_id, vers_error_t *err)
{
        struct vers_pool p = {0};
        int r = vers_meta_get_pool(&ctx->meta, commit_id, &p, err);
        vers_pool_clear(&p);
        return r <= 0 ? r : fill(ctx, commit_id, err);
}

int vers_pool_forget(struct vers_ctx *ctx, const char *commit_id, vers_error_t *err)
{
        _cleanup_close_ int lock = pool_lock(ctx, err);
        if (lock < 0)
                return -1;
        /* the row first: a refill waiting for the lock then finds no pool to fill */
        if (vers_meta_delete_pool(&ctx->meta, commit_id, err) < 0)
                return -1;
        struct vers_env *envs = NULL;
        size_t n = 0;
        if (list_pooled(ctx, commit_id, &envs, &n, err) < 0)
                return -1;
        int ret = 0;
        for (size_t i = 0; i < n && ret == 0; i++)
                ret = discard(ctx, &envs[i], err);
        vers_envs_free(envs, n);
        return ret;
}

int vers_pool_list(struct vers_ctx *ctx, bool all, struct vers_pool_info **out, size_t *n,
                   vers_error_t *err)
{
        struct vers_pool *ps = NULL;
        size_t np = 0;
        *out = NULL;
        *n = 0;
        if (vers_meta_list_pools(&ctx->meta, all ? NULL : ctx->project_dir, &ps, &np, err) < 0)
                return -1;
        *out = xcalloc(np ? np : 1, sizeof **out);
        int ret = 0;
        for (size_t i = 0; i < np && ret == 0; i++) {
                struct vers_pool_info *pi = &(*out)[(*n)++];
                pi->commit = xstrdup(ps[i].commit);
                pi->label = vers_commit_label(ctx, ps[i].commit);
                pi->project = ps[i].project ? xstrdup(ps[i].project) : NULL;
                pi->mode = xstrdup(ps[i].mode);
                pi->size = (int)ps[i].size;
                struct vers_env *envs = NULL;
                size_t ne = 0;
                if ((ret = list_pooled(ctx, ps[i].commit, &envs, &ne, err)) < 0)
                        break;
                pi->ready = (int)ne;
                pi->memory_bytes = pi->disk_bytes = 0;
                for (size_t j = 0; j < ne; j++) {
                        long long mem = vers_cgroup_memory_bytes(vers_env_cg(&envs[j]));
                        _cleanup_free_ char *rootfs =
                            vers_store_env_rootfs(&ctx->store, envs[j].id);
                        long long disk = -1;
                        vers_subvol_exclusive_bytes(&ctx->store, rootfs, &disk);
                        pi->memory_bytes =
                            mem < 0 || pi->memory_bytes < 0 ? -1 : pi->memory_bytes + mem;
                        pi->disk_bytes =
                            disk < 0 || pi->disk_bytes < 0 ? -1 : pi->disk_bytes + disk;
                }
                vers_envs_free(envs, ne);
        }
        vers_pools_free(ps, np);
        if (ret < 0) {
                vers_pool_infos_free(*out, *n);
                *out = NULL;
                *n = 0;
        }
        return ret;
}

int vers_pool_take(struct vers_ctx *ctx, const char *commit_id, const char *alias,
                   enum vers_mode mode, struct vers_env *out, vers_error_t *err)
{
        struct vers_pool p = {0};
        int r = vers_meta_get_pool(&ctx->meta, commit_id, &p, err);
        if (r <= 0)
                return r;
        bool warm = !strcmp(p.mode, "warm");
        const char *project = ctx->project_dir ? ctx->project_dir : p.project;
        if ((mode == VERS_MODE_COLD && warm) || (mode == VERS_MODE_WARM && !warm)) {
                vers_pool_clear(&p);
                return 0; /* not what was asked for: the normal path */
        }
        if (alias && (vers_name_check("alias", alias, err) < 0 ||
                      vers_name_taken(ctx, alias, project, false, err) < 0)) {
                vers_pool_clear(&p);
                return -1;
        }
        vers_trace_mark("metadata");
        for (;;) {
                r = vers_meta_claim_pooled(&ctx->meta, commit_id, p.mode, alias, project,
                                           (int64_t)vers_now_ms(), out, err);
                vers_trace_mark("pool claim");
                if (r <= 0 || vers_env_is_running(out))
                        break;
                /* its PID 1 died while pooled: not an env to hand out */
                discard(ctx, out, NULL);
                vers_env_clear(out);
        }
        if (r == 1) {
                bool ok = vers_cgroup_freeze(vers_env_cg(out), false, err) == 0;
                vers_trace_mark("thaw");
                ok = ok && vers_sandbox_set_hostname((pid_t)out->init_pid, alias ? alias : out->id,
                                                     err) == 0;
                vers_trace_mark("hostname");
                if (!ok) { /* claimed but not usable: deleted, not left to the user */
                        vers_env_undo(ctx, out, NULL);
                        vers_env_clear(out);
                        r = -1;
                }
        }
        vers_pool_clear(&p);
        /* the refill writes the metadata right after this process, and as the last to close
         * it checkpoints the WAL into vers.db: this one leaves that (and its fsyncs) to it */
        if (vers_pool_spawn_refill(commit_id))
                vers_meta_defer_checkpoint(&ctx->meta);
        vers_trace_mark("refill spawn");
        return r;
}

int vers_pool_gc(struct vers_ctx *ctx, int *drained, vers_error_t *err)
{
        *drained = 0;
        struct vers_pool *ps = NULL;
        size_t np = 0;
        if (vers_meta_list_pools(&ctx->meta, NULL, &ps, &np, err) < 0)
                return -1;
        int ret = 0;
        for (size_t i = 0; i < np && ret == 0; i++) {
                struct vers_commit c = {0};
                int r = vers_meta_get_commit(&ctx->meta, ps[i].commit, &c, err);
                bool gone = r == 0 || (r == 1 && strcmp(c.state, "ready") != 0);
                vers_commit_clear(&c);
                if (r < 0)
                        ret = -1;
                else if (gone)
                        ret = vers_meta_delete_pool(&ctx->meta, ps[i].commit, err);
        }
        vers_pools_free(ps, np);
        if (ret < 0)
                return -1;
        _cleanup_close_ int lock = pool_lock(ctx, err);
        if (lock < 0)
                return -1;
        struct vers_env *envs = NULL;
        size_t n = 0;
        if (list_pooled(ctx, NULL, &envs, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n && ret == 0; i++) {
                struct vers_pool p = {0};
                int r = envs[i].base ? vers_meta_get_pool(&ctx->meta, envs[i].base, &p, err) : 0;
                vers_pool_clear(&p);
                if (r < 0) {
                        ret = -1;
                } else if (r == 0 || !vers_env_is_running(&envs[i])) {
                        ret = discard(ctx, &envs[i], err);
                        *drained += ret == 0;
                }
        }
        vers_envs_free(envs, n);
        return ret;
}

int vers_pool_discard_all(struct vers_ctx *ctx, int *count, vers_error_t *err)
{
        *count = 0;
        _cleanup_close_ int lock = pool_lock(ctx, err);
        if (lock < 0)
                return -1;
        struct vers_env *envs = NULL;
        size_t n = 0;
        if (list_pooled(ctx, NULL, &envs, &n, err) < 0)
                return -1;
        int ret = 0;
        for (size_t i = 0; i < n && ret == 0; i++) {
                ret = discard(ctx, &envs[i], err);
                *count += ret == 0;
        }
        vers_envs_free(envs, n);
        return ret;
}
