/* lifecycle — run, branch, rollback, stop, delete, ensure-running and exec of an env. */
#include "engine/engine-private.h"
#include "engine/pool.h"
#include "base/failpoint.h"
#include "base/names.h"
#include "os/cgroup.h"
#include "os/criu.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

int vers_env_run(struct vers_ctx *ctx, const char *alias, struct vers_env *out, vers_error_t *err)
{
        if (alias && (vers_name_check("alias", alias, err) < 0 ||
                      vers_name_taken(ctx, alias, ctx->project_dir, false, err) < 0))
                return -1;
        _cleanup_free_ char *image = NULL;
        bool cached = false;
        if (vers_build(ctx, &(struct vers_build_opts){0}, &image, &cached, err) < 0)
                return -1;
        vers_env_init_row(ctx, out, alias, image, NULL, NULL);
        _cleanup_free_ char *src = vers_store_image_path(&ctx->store, image);
        vers_progress(ctx, "starting env %s", alias ? alias : out->id);
        return vers_env_create(ctx, src, NULL, out, err);
}

int vers_env_branch(struct vers_ctx *ctx, const char *commit_id, const char *alias,
                    enum vers_mode mode, struct vers_env *out, vers_error_t *err)
{
        int r = vers_pool_take(ctx, commit_id, alias, mode, out, err); /* 1: a ready one */
        if (r != 0)
                return r < 0 ? -1 : 0;
        struct vers_commit c = {0};
        r = vers_meta_get_commit(&ctx->meta, commit_id, &c, err);
        if (r <= 0)
                return r < 0 ? -1 : vers_make_error(err, 0, "no commit '%s'", commit_id);
        bool warm = false;
        if (vers_env_decide_restore(ctx, &c, mode, &warm, err) < 0) {
                vers_commit_clear(&c);
                memset(out, 0, sizeof *out);
                return -1;
        }
        /* an env belongs to the project it was branched in (so its status lists it); outside
         * any project, it works where the commit's source env did */
        struct vers_env src_env = {0};
        const char *project = ctx->project_dir ? ctx->project_dir : c.project;
        if (!project && c.env && vers_meta_get_env(&ctx->meta, c.env, &src_env, NULL) == 1)
                project = src_env.project;
        vers_env_init_row(ctx, out, alias, c.image, c.id, project);
        vers_env_clear(&src_env);
        vers_commit_clear(&c);
        _cleanup_free_ char *src = vers_store_commit_rootfs(&ctx->store, commit_id);
        return vers_env_create(ctx, src, warm ? commit_id : NULL, out, err);
}

int vers_env_rollback(struct vers_ctx *ctx, const char *env_id, const char *commit_id,
                      enum vers_mode mode, vers_error_t *err)
{
        struct vers_env e = {0};
        struct vers_commit c = {0};
        bool warm = false;
        if (vers_store_check_room(&ctx->store, err) < 0)
                return -1;
        int r = vers_meta_get_commit(&ctx->meta, commit_id, &c, err);
        if (r <= 0)
                return r < 0 ? -1 : vers_make_error(err, 0, "no commit '%s'", commit_id);
        r = vers_env_decide_restore(ctx, &c, mode, &warm, err);
        vers_commit_clear(&c);
        if (r < 0)
                return -1;
        r = vers_meta_get_env(&ctx->meta, env_id, &e, err);
        if (r <= 0)
                return r < 0 ? -1 : vers_make_error(err, 0, "no env '%s'", env_id);
        free(e.state);
        e.state = xstrdup("rollback");
        free(e.target);
        e.target = xstrdup(commit_id);
        e.owner_pid = getpid();
        e.owner_start = vers_my_start();
        int ret = -1;
        /* from here on, a failure is finished by the next command's recovery */
        if (vers_meta_put_env(&ctx->meta, &e, err) < 0 ||
            vers_failpoint("rollback-after-mark", err) < 0)
                goto out;
        if (vers_env_finish_rollback(ctx, &e, err) < 0)
                goto out;
        ret = warm ? vers_env_restore(ctx, &e, commit_id, "running", err)
                   : vers_env_boot(ctx, &e, "running", err);
out:
        vers_env_clear(&e);
        return ret;
}

int vers_env_stop(struct vers_ctx *ctx, const char *env_id, vers_error_t *err)
{
        struct vers_env e = {0};
        int r = vers_meta_get_env(&ctx->meta, env_id, &e, err);
        if (r <= 0)
                return r < 0 ? -1 : vers_make_error(err, 0, "no env '%s'", env_id);
        if (vers_env_is_running(&e)) {
                kill((pid_t)e.init_pid, SIGTERM);
                vers_env_wait_gone(&e, 25000);
        }
        vers_cgroup_kill(vers_env_cg(&e));
        vers_cgroup_destroy(vers_env_cg(&e));
        vers_env_sockets_release(ctx, e.id);
        free(e.state);
        e.state = xstrdup("stopped");
        e.init_pid = e.init_start = 0;
        r = vers_meta_put_env(&ctx->meta, &e, err);
        vers_env_clear(&e);
        return r;
}

int vers_env_delete(struct vers_ctx *ctx, const char *env_id, vers_error_t *err)
{
        struct vers_env e = {0};
        int r = vers_meta_get_env(&ctx->meta, env_id, &e, err);
        if (r <= 0)
                return r < 0 ? -1 : vers_make_error(err, 0, "no env '%s'", env_id);
        free(e.state);
        e.state = xstrdup("deleting");
        e.owner_pid = getpid();
        e.owner_start = vers_my_start();
        r = vers_meta_put_env(&ctx->meta, &e, err);
        if (r == 0)
                r = vers_failpoint("delete-after-mark", err);
        if (r == 0)
                r = vers_env_undo(ctx, &e, err);
        vers_env_clear(&e);
        return r;
}

int vers_env_ensure_running(struct vers_ctx *ctx, const char *env_id, struct vers_env *out,
                            vers_error_t *err)
{
        int r = vers_meta_get_env(&ctx->meta, env_id, out, err);
        if (r <= 0)
                return r < 0 ? -1 : vers_make_error(err, 0, "no env '%s'", env_id);
        if (vers_env_is_running(out))
                return 0;
        vers_progress(ctx, "env %s is not running; starting it", out->alias ? out->alias : out->id);
        return vers_env_boot(ctx, out, "running", err);
}

int vers_env_exec(struct vers_ctx *ctx, const struct vers_env *e, char *const argv[],
                  const struct vers_exec_opts *o, int *status, vers_error_t *err)
{
        _cleanup_free_ char *rootfs = vers_store_env_rootfs(&ctx->store, e->id);
        const char *wd = o && o->workdir ? o->workdir : (e->project ? e->project : "/root");
        return vers_exec_in((pid_t)e->init_pid, vers_env_cg(e), rootfs, wd, argv, o, status, err);
}
