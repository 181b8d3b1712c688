/* image — what vers wrote into an env's image at build time, read back: config files, the
 * log list, the default client port. */
#include "engine/engine.h"
#include "state/imageconf.h"

#include <stdio.h>
#include <string.h>

int vers_env_config_read(struct vers_ctx *ctx, const struct vers_env *e, const char *rel,
                         char **out, vers_error_t *err)
{
        if (!e->image)
                return vers_make_error(err, 0, "env '%s' has no image", e->id);
        _cleanup_free_ char *image = vers_store_image_path(&ctx->store, e->image);
        /* in-root even here: an image's tree was also written by its build's RUN steps */
        return vers_read_file_in_root(image, rel, 0, out, NULL, err);
}

char **vers_env_log_files(struct vers_ctx *ctx, const struct vers_env *e)
{
        char **v = NULL;
        _cleanup_free_ char *text = NULL;
        if (vers_env_config_read(ctx, e, ".vers/logs", &text, NULL) < 0) {
                /* images made before .vers/logs existed, or deleted */
                strv_push(&v, "/var/log/vers/init.log");
                strv_push(&v, "/var/log/vers/boot.log");
                strv_push(&v, "/var/log/postgresql/postgresql-15-main.log");
                return v;
        }
        char *save = NULL;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                if (l[0] == '/')
                        strv_push(&v, l);
        }
        return v;
}

int vers_env_default_port(struct vers_ctx *ctx, const struct vers_env *e)
{
        _cleanup_free_ char *text = NULL;
        struct vers_imageconf c = {0};
        int first = 0, known = 0;
        if (vers_env_config_read(ctx, e, VERS_IMAGECONF_FILE, &text, NULL) < 0 ||
            vers_imageconf_parse(text, &c, NULL) < 0)
                return 5432;
        for (size_t i = 0; c.expose && c.expose[i] && !known; i++) {
                int port;
                char proto[8];
                if (sscanf(c.expose[i], "%d/%7s", &port, proto) != 2 || strcmp(proto, "tcp"))
                        continue;
                if (port == 5432 || port == 3306 || port == 6379)
                        known = port;
                if (!first)
                        first = port;
        }
        vers_imageconf_clear(&c);
        return known ? known : first ? first : 5432;
}
