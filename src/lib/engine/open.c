/* open — finding the project, opening VERS_ROOT (store, idmap, metadata), then recovery.
 *
 * The project is the nearest directory, here or above, with vers.toml, .vers/ or the suite
 * 'vers test' reads (vers-integration.yaml: a project may be that file alone). Its directory
 * is bound into its envs at its own path and is their working directory. */
#include "engine/engine-private.h"
#include "engine/expiry.h"
#include "format/suite.h"
#include "os/cgroup.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* what makes a directory a project (the suite's name is the one test/runner.c reads) */
static const char *const project_marks[] = {"vers.toml", ".vers", "vers-integration.yaml"};

static char *find_project(void)
{
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd))
                return NULL;
        const char *forced = getenv("VERS_PROJECT");
        if (forced && *forced)
                return realpath(forced, NULL);
        for (;;) {
                for (size_t i = 0; i < sizeof project_marks / sizeof *project_marks; i++) {
                        _cleanup_free_ char *mark = xasprintf("%s/%s", cwd, project_marks[i]);
                        if (vers_path_exists(mark))
                                return xstrdup(cwd);
                }
                char *slash = strrchr(cwd, '/');
                if (!slash || slash == cwd)
                        return NULL;
                *slash = '\0';
        }
}

/* A project that is its vers-integration.yaml alone: the suite's services and sizes are its
 * configuration, as 'vers test' makes them for its run, so that vers build, run and connect
 * there start what the suite tests against. */
static int suite_as_config(struct vers_ctx *ctx, const char *yaml, vers_error_t *err)
{
        struct vers_suite s;
        if (vers_suite_load(yaml, &s, err) < 0)
                return -1;
        vers_suite_into_config(&s, &ctx->cfg);
        vers_suite_free(&s);
        return 0;
}

int vers_open_project(struct vers_ctx *ctx, vers_error_t *err)
{
        vers_config_init(&ctx->cfg);
        ctx->project_dir = find_project();
        if (ctx->project_dir) {
                _cleanup_free_ char *toml = xasprintf("%s/vers.toml", ctx->project_dir);
                _cleanup_free_ char *yaml = xasprintf("%s/vers-integration.yaml", ctx->project_dir);
                if (vers_path_exists(toml)) {
                        if (vers_config_load(toml, &ctx->cfg, err) < 0)
                                return -1;
                        ctx->have_cfg = true;
                } else if (vers_path_exists(yaml) && suite_as_config(ctx, yaml, err) < 0) {
                        return -1;
                }
        }
        return 0;
}

/* Does the store hold anything (an image, a commit or an env)? */
static bool store_used(const struct vers_store *st)
{
        static const char *dirs[] = {"images", "commits", "envs"};
        for (size_t i = 0; i < 3; i++) {
                _cleanup_free_ char *d = xasprintf("%s/%s", st->path, dirs[i]);
                DIR *dir = opendir(d);
                struct dirent *de;
                bool any = false;
                while (dir && !any && (de = readdir(dir)) != NULL)
                        any = de->d_name[0] != '.';
                if (dir)
                        closedir(dir);
                if (any)
                        return true;
        }
        return false;
}

int vers_open(struct vers_ctx *ctx, vers_error_t *err)
{
        if (geteuid() != 0)
                return vers_make_error(err, 0,
                                       "vers must run as root (it creates namespaces, "
                                       "mounts and btrfs subvolumes)");
        if (vers_open_project(ctx, err) < 0)
                return -1;
        const char *root = getenv("VERS_ROOT");
        if (!root || !*root) {
                root = VERS_DEFAULT_ROOT;
                if (vers_mkdir_p(root, 0700, err) < 0)
                        return -1;
        }
        ctx->root = realpath(root, NULL);
        if (!ctx->root)
                return vers_make_error(err, 0, "VERS_ROOT '%s' does not exist", root);
        if (vers_store_open(ctx->root, ctx->cfg.cluster_mib, ctx->cfg.sparse, &ctx->store, err) < 0)
                return -1;
        if (vers_idmap_open(ctx->root, store_used(&ctx->store), &ctx->idmap, err) < 0)
                return -1;
        if (vers_meta_open_root(ctx->root, ctx->store.path, &ctx->meta, err) < 0)
                return -1;
        /* the root's cgroup scope never changes (meta.h), so no env's cgroup moves; a new
         * root's is made once (a hash: not on every command's path) */
        _cleanup_free_ char *scope = NULL, *fresh = NULL;
        if (vers_meta_cgroup_scope(&ctx->meta, NULL, &scope, err) < 0)
                return -1;
        if (!scope && (fresh = vers_cgroup_scope_for_root(ctx->root)) != NULL &&
            vers_meta_cgroup_scope(&ctx->meta, fresh, &scope, err) < 0)
                return -1;
        if (vers_cgroup_set_scope(scope, err) < 0)
                return -1;
        if (vers_recover(ctx, err) < 0)
                return -1;
        if (!ctx->no_expiry_sweep)
                vers_expire_sweep(ctx);
        return 0;
}

void vers_close(struct vers_ctx *ctx)
{
        vers_meta_close(&ctx->meta);
        vers_store_close(&ctx->store);
        vers_config_free(&ctx->cfg);
        free(ctx->root);
        free(ctx->project_dir);
        ctx->root = ctx->project_dir = NULL;
}
