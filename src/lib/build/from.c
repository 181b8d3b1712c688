/* from — FROM: the base a stage starts from. FROM host (the machine's /usr read-only, a private
 * /etc), FROM debian:<suite> (debootstrap.c), FROM a tag or commit of this root (a name with no
 * '/' and no ':' that resolves here), else any registry image (registry.c). */
#include "build/build-private.h"
#include "os/sandbox.h"

#include <string.h>
#include <strings.h>

static int apply_host(struct build *b, const char *id, const char *path, void *arg,
                      vers_error_t *err)
{
        return vers_sandbox_populate(path, err);
}

/* FROM a commit of ours, by tag or id: its tree and its configuration; no new layer */
static int from_commit(struct build *b, const struct vers_df_instr *in, const char *ref,
                       const struct vers_ref *r, vers_error_t *err)
{
        if (r->kind != VERS_REF_COMMIT)
                return vers_make_error(err, 0,
                                       "%s:%ld:%ld: FROM %s: that is an env; commit it and use "
                                       "the commit's tag",
                                       b->file, in->line, in->args_col, ref);
        vers_build_say(b, false, "step %d/%d FROM %s (commit %s)", b->step, b->nsteps, ref, r->id);
        free(b->top);
        b->top = vers_store_commit_rootfs(&b->ctx->store, r->id);
        vers_build_key_commit(r->id, b->key);
        /* own /usr or the host's: as the commit's image has it (its last layer, which vers
         * wrote), not as the commit's tree does (an env wrote that) */
        struct vers_commit c = {0};
        if (vers_meta_get_commit(&b->ctx->meta, r->id, &c, err) < 0)
                return -1;
        _cleanup_free_ char *img = c.image ? vers_store_image_path(&b->ctx->store, c.image) : NULL;
        b->own_root = vers_exists_in_root(img ? img : b->top, VERS_OWN_ROOT_MARKER);
        vers_commit_clear(&c);
        if (vers_imageconf_read(b->top, &b->conf, err) < 0)
                return vers_error_wrap(err, "%s:%ld:%ld: FROM %s: its /%s", b->file, in->line,
                                       in->args_col, ref, VERS_IMAGECONF_FILE);
        return 0;
}

int vers_build_from(struct build *b, const struct vers_df_instr *in, const char *ref,
                    vers_error_t *err)
{
        _cleanup_free_ char *label = xasprintf("FROM %s", ref);
        int ret;
        if (!strcmp(ref, "host")) {
                build_key_t key;
                vers_build_key_host(key);
                b->own_root = false;
                return vers_build_layer(b, label, key, apply_host, NULL, false, NULL, err);
        }
        /* a base with its own /usr: its sandboxes bind nothing of the host's */
        if (!strncmp(ref, "debian:", 7)) {
                b->own_root = true;
                return vers_build_from_debian(b, in, ref, label, err);
        }
        /* Docker's empty image: vers runs COPY and the env's command with the tree's own
         * /bin/sh, which an empty tree lacks */
        if (!strcmp(ref, "scratch"))
                return vers_make_error(err, 0,
                                       "%s:%ld:%ld: FROM scratch: vers runs COPY steps and the "
                                       "env's command with the image's /bin/sh, which an empty "
                                       "image does not have; start from a small image "
                                       "(busybox, alpine, debian:bookworm-slim)",
                                       b->file, in->line, in->args_col);
        struct vers_ref r = {VERS_REF_NONE, NULL};
        vers_error_t e2 = NULL;
        if (!strchr(ref, '/') && !strchr(ref, ':') &&
            vers_resolve_base(b->ctx, ref, &r, &e2) == 0) {
                ret = from_commit(b, in, ref, &r, err);
                vers_ref_clear(&r);
                return ret;
        }
        vers_error_free(&e2);
        b->own_root = true;
        return vers_build_from_registry(b, in, ref, label, err);
}

int vers_build_exec_from(struct build *b, const struct build_step *s, char **vars,
                         vers_error_t *err)
{
        const struct vers_df_instr *in = s->in;
        _cleanup_strv_ char **w = NULL;
        if (vers_df_words(in->args, vars, b->file, in->line, in->args_col, &w, err) < 0)
                return -1;
        size_t n = strv_len(w);
        if (n != 1 && !(n == 3 && !strcasecmp(w[1], "AS")))
                return vers_make_error(err, 0, "%s:%ld:%ld: FROM takes an image (and AS name)",
                                       b->file, in->line, in->args_col);
        return vers_build_from(b, in, w[0], err);
}
