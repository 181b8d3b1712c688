/* sockets — env sockets shared with host-side clients under VERS_ROOT/sockets/<env>/. */
#include "engine/engine-private.h"
#include "os/sandbox.h"

#include <dirent.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static char *sockets_dir(struct vers_ctx *ctx, const char *env_id)
{
        return xasprintf("%s/sockets/%s", ctx->root, env_id);
}

void vers_env_sockets_release(struct vers_ctx *ctx, const char *env_id)
{
        _cleanup_free_ char *dir = sockets_dir(ctx, env_id);
        DIR *d = opendir(dir);
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                _cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
                umount2(p, MNT_DETACH | UMOUNT_NOFOLLOW);
                unlink(p);
        }
        if (d)
                closedir(d);
        rmdir(dir);
}

/* Release the shared sockets of envs that are gone or not running (all: every env's). */
void vers_sockets_release_stale(struct vers_ctx *ctx, bool all)
{
        _cleanup_free_ char *dir = xasprintf("%s/sockets", ctx->root);
        DIR *d = opendir(dir);
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL) {
                if (de->d_name[0] == '.')
                        continue;
                struct vers_env e = {0};
                bool keep = !all && vers_meta_get_env(&ctx->meta, de->d_name, &e, NULL) == 1 &&
                            vers_env_is_running(&e);
                vers_env_clear(&e);
                if (!keep)
                        vers_env_sockets_release(ctx, de->d_name);
        }
        if (d)
                closedir(d);
}

int vers_env_socket_dir(struct vers_ctx *ctx, const struct vers_env *e, const char *rel,
                        char **dir_out, vers_error_t *err)
{
        if (!vers_env_is_running(e))
                return vers_make_error(err, 0, "env '%s' is not running",
                                       e->alias ? e->alias : e->id);
        vers_env_sockets_release(ctx, e->id);
        _cleanup_free_ char *dir = sockets_dir(ctx, e->id);
        if (vers_mkdir_p(dir, 0700, err) < 0)
                return -1;
        const char *base = strrchr(rel, '/');
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, base ? base + 1 : rel);
        if (vers_sandbox_share_socket((pid_t)e->init_pid, rel, path, err) < 0) {
                vers_env_sockets_release(ctx, e->id);
                return -1;
        }
        *dir_out = steal_pointer(&dir);
        return 0;
}
