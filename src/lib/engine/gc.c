/* gc — what no row refers to removed (subvolumes, cgroups, qgroups), dead envs marked
 * stopped; shutdown. */
#include "engine/engine-private.h"
#include "engine/pool.h"
#include "base/failpoint.h"
#include "os/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>

/* 1 if table has a row id, 0 if not, -1 (with err) if the metadata cannot say */
static int has_row(struct vers_ctx *ctx, const char *table, const char *id, vers_error_t *err)
{
        struct vers_env e = {0};
        struct vers_commit c = {0};
        struct vers_image i = {0};
        int r;
        if (!strcmp(table, "envs")) {
                r = vers_meta_get_env(&ctx->meta, id, &e, err);
                vers_env_clear(&e);
        } else if (!strcmp(table, "commits")) {
                r = vers_meta_get_commit(&ctx->meta, id, &c, err);
                vers_commit_clear(&c);
        } else {
                r = vers_meta_get_image(&ctx->meta, id, &i, err);
                vers_image_clear(&i);
        }
        return r;
}

/* What gc would delete: the subvolumes (paths) and cgroups (ids) no row refers to. Fails,
 * deciding nothing, on any metadata error: what cannot be checked is never deleted. */
static int gc_collect(struct vers_ctx *ctx, char ***subvols, char ***ids, char ***cgroups,
                      vers_error_t *err)
{
        const char *tables[] = {"envs", "commits", "images"};
        for (size_t t = 0; t < 3; t++) {
                _cleanup_free_ char *dir = xasprintf("%s/%s", ctx->store.path, tables[t]);
                DIR *d = opendir(dir);
                if (!d)
                        return vers_make_error(err, errno, "cannot read '%s'", dir);
                struct dirent *de;
                int r = 0;
                while (r >= 0 && (de = readdir(d)) != NULL) {
                        if (de->d_name[0] == '.' ||
                            (r = has_row(ctx, tables[t], de->d_name, err)) != 0)
                                continue;
                        _cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
                        strv_push(subvols, p);
                        strv_push(ids, de->d_name);
                }
                closedir(d);
                if (r < 0)
                        return vers_error_wrap(err, "gc: deleting nothing");
        }
        /* cgroups of this root's envs that no longer exist */
        _cleanup_free_ char *cgdir = vers_cgroup_scope_dir();
        DIR *d = opendir(cgdir);
        struct dirent *de;
        int r = 0;
        while (d && r >= 0 && (de = readdir(d)) != NULL) {
                if (de->d_name[0] == '.' || de->d_type != DT_DIR)
                        continue;
                if ((r = has_row(ctx, "envs", de->d_name, err)) != 0 ||
                    (r = has_row(ctx, "images", de->d_name, err)) != 0)
                        continue;
                bool with_subvol = false; /* removed with its subvolume, counted there */
                for (size_t i = 0; *ids && (*ids)[i] && !with_subvol; i++)
                        with_subvol = !strcmp((*ids)[i], de->d_name);
                if (!with_subvol)
                        strv_push(cgroups, de->d_name);
        }
        if (d)
                closedir(d);
        return r < 0 ? vers_error_wrap(err, "gc: deleting nothing") : 0;
}

int vers_gc(struct vers_ctx *ctx, struct vers_gc_report *rep, vers_error_t *err)
{
        memset(rep, 0, sizeof *rep);
        vers_sockets_release_stale(ctx, false);
        if (vers_pool_gc(ctx, &rep->pooled, err) < 0)
                return -1;
        _cleanup_strv_ char **subvols = NULL, **ids = NULL, **cgroups = NULL;
        if (gc_collect(ctx, &subvols, &ids, &cgroups, err) < 0 ||
            vers_failpoint("gc-before-delete", err) < 0)
                return -1;
        for (size_t i = 0; subvols && subvols[i]; i++) {
                _cleanup_free_ char *inner = xasprintf("%s/rootfs", subvols[i]);
                _cleanup_free_ char *received = xasprintf("%s/received/rootfs", subvols[i]);
                vers_cgroup_kill(ids[i]);
                vers_cgroup_destroy(ids[i]);
                if (vers_subvol_unlimit(&ctx->store, inner, err) < 0 ||
                    vers_subvol_delete(inner, err) < 0 || vers_subvol_delete(received, err) < 0 ||
                    vers_subvol_delete(subvols[i], err) < 0)
                        return -1;
                rep->subvolumes++;
                if (vers_failpoint("gc-after-delete", err) < 0)
                        return -1;
        }
        /* caps of env subvolumes deleted by hand */
        if (vers_store_gc_qgroups(&ctx->store, &rep->qgroups, err) < 0)
                return -1;
        for (size_t i = 0; cgroups && cgroups[i]; i++) {
                vers_cgroup_kill(cgroups[i]);
                vers_cgroup_destroy(cgroups[i]);
                rep->cgroups++;
        }
        /* envs whose PID 1 died (machine rebooted, OOM): mark stopped; counted only once the
         * row says so, and the first row that cannot be written fails gc */
        struct vers_env *envs = NULL;
        size_t n = 0;
        if (vers_meta_list_envs(&ctx->meta, &(struct vers_meta_query){.states = VERS_Q_RUNNING},
                                &envs, &n, err) < 0)
                return -1;
        int ret = 0;
        for (size_t i = 0; i < n; i++) {
                struct vers_env *e = &envs[i];
                if (vers_env_is_running(e))
                        continue;
                free(e->state);
                e->state = xstrdup("stopped");
                e->init_pid = e->init_start = 0;
                if (vers_failpoint("gc-before-mark", err) < 0 ||
                    vers_meta_put_env(&ctx->meta, e, err) < 0) {
                        ret = vers_error_wrap(err, "gc: cannot mark env '%s' stopped",
                                              e->alias ? e->alias : e->id);
                        break;
                }
                rep->rows++;
        }
        vers_envs_free(envs, n);
        return ret;
}

int vers_shutdown(struct vers_ctx *ctx, int *stopped, vers_error_t *err)
{
        struct vers_env *envs = NULL;
        size_t n = 0;
        *stopped = 0;
        int pooled = 0; /* made ahead, nobody's: deleted, not kept stopped */
        if (vers_pool_discard_all(ctx, &pooled, err) < 0 ||
            vers_meta_list_envs(&ctx->meta, NULL, &envs, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n; i++) {
                if (!vers_env_is_running(&envs[i])) {
                        /* its PID 1 died (killed, OOM) but its cgroup stayed */
                        vers_cgroup_kill(vers_env_cg(&envs[i]));
                        vers_cgroup_destroy(vers_env_cg(&envs[i]));
                        continue;
                }
                if (vers_env_stop(ctx, envs[i].id, err) < 0) {
                        vers_envs_free(envs, n);
                        return -1;
                }
                (*stopped)++;
        }
        vers_envs_free(envs, n);
        vers_sockets_release_stale(ctx, true);
        vers_cgroup_scope_remove();
        vers_meta_close(&ctx->meta);
        return vers_store_unmount(&ctx->store, err);
}
