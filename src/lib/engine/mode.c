/* mode — how a branch of a commit starts: restored (warm) or booted (cold). */
#include "engine/engine-private.h"
#include "os/criu.h"

#include <string.h>

int vers_env_decide_restore(struct vers_ctx *ctx, const struct vers_commit *c, enum vers_mode mode,
                            bool *warm, vers_error_t *err)
{
        bool is_warm = c->mode && !strcmp(c->mode, "warm");
        *warm = false;
        if (mode == VERS_MODE_COLD)
                return 0;
        if (!is_warm) {
                if (mode == VERS_MODE_WARM)
                        return vers_make_error(err, 0,
                                               "commit '%s' is cold: it holds no processes to "
                                               "restore (commit with --warm)",
                                               c->tag ? c->tag : c->id);
                return 0;
        }
        const struct vers_criu_info *ci = vers_criu_probe();
        if (!ci->usable) {
                if (mode == VERS_MODE_WARM)
                        return vers_make_error(err, 0, "cannot restore: %s", ci->why);
                vers_notice(ctx, "booting cold from warm commit '%s': %s", c->tag ? c->tag : c->id,
                            ci->why);
                return 0;
        }
        *warm = true;
        return 0;
}
