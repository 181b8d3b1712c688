#include "engine/client.h"
#include "engine/select.h"
#include "os/tunnel.h"
#include "services/services.h"

#include <string.h>

int vers_env_client(struct vers_ctx *ctx, const char *env, char ***vars, vers_error_t *err)
{
        *vars = NULL;
        struct vers_env e = {0};
        struct vers_service_client c = {0};
        _cleanup_free_ char *image = NULL;
        _cleanup_free_ char *dir = NULL;
        int ret = -1;
        if (vers_target_env(ctx, env, VERS_TARGET_START, &e, err) < 0)
                goto out;
        if (!e.image) {
                vers_make_error(err, 0, "env '%s' has no image", e.alias ? e.alias : e.id);
                goto out;
        }
        /* the image's read-only subvolume: the env runs on a snapshot of it, and cannot edit
         * what its build wrote there */
        image = vers_store_image_path(&ctx->store, e.image);
        if (vers_services_client(image, &c, err) < 0) {
                vers_error_wrap(err, "env '%s'", e.alias ? e.alias : e.id);
                goto out;
        }
        /* a mount of the env's socket in a directory of vers's: a path through
         * /proc/<pid>/root would follow whatever symlink the env put there, out to the host */
        if (vers_env_socket_dir(ctx, &e, c.socket, &dir, err) < 0)
                goto out;
        *vars = vers_services_client_vars(&c, dir);
        ret = 0;
out:
        vers_service_client_clear(&c);
        vers_env_clear(&e);
        return ret;
}

int vers_env_tunnel(struct vers_ctx *ctx, const struct vers_tunnel_opts *o, vers_error_t *err)
{
        struct vers_env e = {0};
        if (vers_target_env(ctx, o->env, VERS_TARGET_START, &e, err) < 0) {
                vers_env_clear(&e);
                return -1;
        }
        int remote = o->remote ? o->remote : vers_env_default_port(ctx, &e);
        int local = o->local < 0 ? remote : o->local;
        _cleanup_close_ int fd = -1;
        if (vers_tunnel_listen(&local, &fd, err) < 0) {
                vers_env_clear(&e);
                return -1;
        }
        if (o->listening)
                o->listening(local, e.alias ? e.alias : e.id, remote, o->arg);
        pid_t pid = (pid_t)e.init_pid;
        vers_env_clear(&e);
        vers_meta_close(&ctx->meta); /* the metadata is not needed while forwarding */
        return vers_tunnel_run(fd, pid, remote, o->stop, ctx->notice, err);
}
