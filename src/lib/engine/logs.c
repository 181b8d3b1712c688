/* logs — 'vers logs': the last lines of each log an env's image lists. */
#include "engine/logs.h"
#include "engine/select.h"
#include "launch/launch.h"

#include <string.h>

int vers_env_logs(struct vers_ctx *ctx, const char *env, long lines, struct vers_log **out,
                  size_t *n, vers_error_t *err)
{
        *out = NULL;
        *n = 0;
        struct vers_env e = {0};
        if (vers_target_env(ctx, env, 0, &e, err) < 0) {
                vers_env_clear(&e);
                return -1;
        }
        _cleanup_free_ char *rootfs = vers_store_env_rootfs(&ctx->store, e.id);
        /* the list comes from the image; each file is read inside the env's tree, where a
         * symlink cannot lead out of it */
        _cleanup_strv_ char **files = vers_env_log_files(ctx, &e);
        /* the last N lines are in the last N * 4 KiB of any sane log */
        size_t window = lines > 0 && lines < (1L << 20) ? (size_t)lines * 4096 : 0;
        size_t nf = strv_len(files);
        *out = xcalloc(nf ? nf : 1, sizeof **out);
        for (size_t i = 0; i < nf; i++) {
                char *text = vers_log_tail(rootfs, files[i], lines, window);
                if (!text)
                        continue;
                (*out)[*n].path = xstrdup(files[i]);
                (*out)[*n].text = text;
                (*n)++;
        }
        vers_env_clear(&e);
        return 0;
}

void vers_logs_free(struct vers_log *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].path);
                free(v[i].text);
        }
        free(v);
}
