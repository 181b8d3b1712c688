/* layer — the layer cache (read-only subvolumes in the images table, found by key) and the
 * sandboxes build steps run in. */
#include "build/build-private.h"
#include "base/failpoint.h"
#include "os/cgroup.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

void vers_build_say(struct build *b, bool cached, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *m = NULL;
        if (vasprintf(&m, fmt, ap) < 0)
                m = NULL;
        va_end(ap);
        if (!m)
                return;
        if (b->o->verbose)
                vers_notice(b->ctx, "%s", m);
        else if (!cached)
                vers_progress(b->ctx, "%s", m);
}

/* ---- sandboxes for build steps ------------------------------------------------------------ */

static void stop_build_sandbox(const char *cg, pid_t pid)
{
        kill(pid, SIGKILL);
        vers_cgroup_kill(cg);
        vers_cgroup_destroy(cg);
        for (int i = 0; i < 500 && vers_pid_alive(pid, 0); i++)
                vers_sleep_ms(10);
}

int vers_build_run_in(struct build *b, const char *id, const char *path, const struct build_run *r,
                      int *status, vers_error_t *err)
{
        pid_t pid;
        unsigned flags = VERS_SB_NO_SERVICES | (r->host_net ? VERS_SB_HOST_NET : 0);
        if (vers_start_sandbox(b->ctx, id, path, r->project ? b->ctx->project_dir : NULL,
                               "vers-build", 0, 0, flags, &pid, err) < 0)
                return -1;
        struct vers_exec_opts o = {
            .extra_env = r->env,
            .user = r->user,
            .build_io = true,
            .no_env_file = true,
        };
        int ret =
            vers_exec_in(pid, id, path, r->workdir ? r->workdir : "/", r->argv, &o, status, err);
        stop_build_sandbox(id, pid);
        return ret;
}

/* ---- layers ------------------------------------------------------------------------------- */

static int find_cached(struct build *b, const char *key, char **id, vers_error_t *err)
{
        struct vers_image *is = NULL;
        size_t n = 0;
        *id = NULL;
        if (vers_meta_list_images(
                &b->ctx->meta,
                &(struct vers_meta_query){.name = key, .states = VERS_Q_LAYER | VERS_Q_READY}, &is,
                &n, err) < 0)
                return -1;
        if (n)
                *id = xstrdup(is[n - 1].id);
        vers_images_free(is, n);
        return 0;
}

int vers_build_layer(struct build *b, const char *label, const char *step_key, build_apply_fn fn,
                     void *arg, bool final, char **out_id, vers_error_t *err)
{
        build_key_t key;
        vers_build_key_layer(b->key, step_key, key);
        _cleanup_free_ char *hit = NULL;
        if (!b->o->no_cache && find_cached(b, key, &hit, err) < 0)
                return -1;
        if (hit) {
                if (!final) {
                        b->cached++;
                        vers_build_say(b, true, "step %d/%d %s (cached)", b->step, b->nsteps,
                                       label);
                }
                free(b->top);
                b->top = vers_store_image_path(&b->ctx->store, hit);
                memcpy(b->key, key, sizeof key);
                if (out_id)
                        *out_id = xstrdup(hit);
                return 1;
        }
        if (final) {
                vers_build_say(b, false, "%s", label);
        } else {
                b->built++;
                vers_build_say(b, false, "step %d/%d %s", b->step, b->nsteps, label);
        }
        struct vers_image img = {
            .id = vers_new_id(),
            .key = xstrdup(key),
            .project = b->ctx->project_dir ? xstrdup(b->ctx->project_dir) : NULL,
            .state = xstrdup("pending"),
            .created = (int64_t)vers_now_ms(),
            .owner_pid = getpid(),
            .owner_start = vers_my_start(),
        };
        int ret = -1;
        _cleanup_free_ char *path = vers_store_image_path(&b->ctx->store, img.id);
        if (vers_meta_put_image(&b->ctx->meta, &img, err) < 0)
                goto out;
        if (vers_failpoint("build-after-row", err) < 0 ||
            (b->top ? vers_subvol_snapshot(b->top, path, false, err)
                    : vers_subvol_create(path, err)) < 0 ||
            fn(b, img.id, path, arg, err) < 0 || vers_failpoint("build-after-snapshot", err) < 0 ||
            vers_idmap_shift_tree(&b->ctx->idmap, path, err) < 0 ||
            vers_subvol_set_readonly(path, true, err) < 0)
                goto undo;
        free(img.state);
        img.state = xstrdup(final ? "ready" : "layer");
        img.owner_pid = img.owner_start = 0;
        if (vers_meta_put_image(&b->ctx->meta, &img, err) < 0)
                goto undo;
        free(b->top);
        b->top = xstrdup(path);
        memcpy(b->key, key, sizeof key);
        if (out_id)
                *out_id = xstrdup(img.id);
        ret = 0;
        goto out;
undo:
        vers_cgroup_kill(img.id);
        vers_cgroup_destroy(img.id);
        vers_subvol_delete(path, NULL);
        vers_meta_delete(&b->ctx->meta, VERS_META_IMAGES, img.id, NULL);
out:
        vers_image_clear(&img);
        return ret;
}
