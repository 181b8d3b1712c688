/* pull — vers pull REF: an image vers pushed becomes a ready cold commit of this project.
 *
 * The image is pulled as FROM pulls it (registry.c: skopeo into VERS_CACHE/oci, umoci
 * unpack, no device nodes, ids shifted into the root's range), but keeps its /.vers: it is a
 * commit's tree, whose services, boot script and environment vers wrote. The unpacked tree is
 * an images row (read-only), and the commit a snapshot of it. What the manifest's annotations
 * say (id, tag, parent, message, checkpoint key) came from whoever pushed it: each is kept
 * only when it is well-formed and free here (base/names.h), else left out with a notice.
 */
#include "base/names.h"
#include "build/build.h"
#include "os/sandbox.h"
#include "ship/ship.h"
#include "state/refs.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool hex_of_len(const char *s, size_t n)
{
        if (!s || strlen(s) != n)
                return false;
        for (; *s; s++)
                if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
                        return false;
        return true;
}

int vers_ship_parse_annotations(const char *manifest_json, struct vers_ship_annotations *a)
{
        memset(a, 0, sizeof *a);
        json_t *m = json_loads(manifest_json, 0, NULL);
        if (!m)
                return -1;
        json_t *ann = json_object_get(m, "annotations");
        const char *v;
        if ((v = json_string_value(json_object_get(ann, VERS_SHIP_ANN_COMMIT))) &&
            hex_of_len(v, 12))
                a->id = xstrdup(v);
        if ((v = json_string_value(json_object_get(ann, VERS_SHIP_ANN_TAG))) && vers_tag_valid(v))
                a->tag = xstrdup(v);
        if ((v = json_string_value(json_object_get(ann, VERS_SHIP_ANN_PARENT))) &&
            hex_of_len(v, 12))
                a->parent = xstrdup(v);
        if ((v = json_string_value(json_object_get(ann, VERS_SHIP_ANN_CHECKPOINT))) &&
            hex_of_len(v, VERS_HASH_HEX))
                a->checkpoint_key = xstrdup(v);
        if ((v = json_string_value(json_object_get(ann, VERS_SHIP_ANN_MESSAGE))) &&
            strlen(v) <= 4096) {
                a->message = xstrdup(v);
                /* one line of printable text, as 'vers commit -m' takes it */
                for (char *p = a->message; *p; p++)
                        if ((unsigned char)*p < ' ' || *p == 0x7f)
                                *p = ' ';
        }
        json_decref(m);
        return 0;
}

void vers_ship_annotations_clear(struct vers_ship_annotations *a)
{
        free(a->id);
        free(a->tag);
        free(a->parent);
        free(a->message);
        free(a->checkpoint_key);
        memset(a, 0, sizeof *a);
}

/* the marker written by the host's root becomes the env root's (its /.vers is a directory:
 * vers_registry_unpack checked; the marker itself was just written, not followed) */
static int own_marker(struct vers_ctx *ctx, const char *ipath, vers_error_t *err)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", ipath, VERS_OWN_ROOT_MARKER);
        if (fchownat(AT_FDCWD, p, ctx->idmap.root_uid, ctx->idmap.root_gid, AT_SYMLINK_NOFOLLOW) <
            0)
                return vers_make_error(err, errno, "cannot chown '%s'", p);
        return 0;
}

int vers_ship_pull(struct vers_ctx *ctx, const char *ref, struct vers_commit *out,
                   vers_error_t *err)
{
        memset(out, 0, sizeof *out);
        _cleanup_free_ char *image = NULL, *digest = NULL, *manifest = NULL;
        _cleanup_close_ int lockfd = -1;
        vers_progress(ctx, "pull: %s", ref);
        if (vers_registry_pull(ctx, ref, &image, &digest, &lockfd, err) < 0)
                return -1;
        _cleanup_free_ char *cache = vers_build_cache_dir();
        _cleanup_free_ char *mpath = xasprintf("%s/oci/blobs/sha256/%s", cache, digest + 7);
        if (vers_read_file(mpath, &manifest, NULL, err) < 0)
                return vers_error_wrap(err, "'%s': its manifest", ref);
        struct vers_ship_annotations a;
        if (vers_ship_parse_annotations(manifest, &a) < 0)
                return vers_make_error(err, 0, "'%s': its manifest is not JSON", ref);
        if (!a.id)
                vers_notice(ctx, "'%s' names no vers commit (dev.vers.commit): a new one is made",
                            ref);

        int ret = -1;
        struct vers_image img = {
            .id = vers_new_id(),
            .key = xasprintf("pull %s", digest),
            .project = ctx->project_dir ? xstrdup(ctx->project_dir) : NULL,
            .state = xstrdup("pending"),
            .created = (int64_t)vers_now_ms(),
            .owner_pid = getpid(),
            .owner_start = vers_my_start(),
        };
        _cleanup_free_ char *ipath = vers_store_image_path(&ctx->store, img.id);
        _cleanup_free_ char *cdir = NULL, *croot = NULL, *what = xasprintf("'%s'", ref);
        bool made_image = false, made_commit = false;
        if (vers_meta_put_image(&ctx->meta, &img, err) < 0)
                goto out;
        if (vers_subvol_create(ipath, err) < 0)
                goto undo;
        made_image = true;
        vers_progress(ctx, "pull: unpacking %.19s", digest);
        if (vers_registry_unpack(ctx, image, what, ipath, true, err) < 0)
                goto undo;
        /* the tree is a whole image: it has its own /usr, whatever its /.vers says; the
         * base its builder named is not this root's (export takes the tree as one layer) */
        if (vers_write_file_in_root(ipath, VERS_OWN_ROOT_MARKER, "oci\n", 4, 0644, err) < 0 ||
            (vers_exists_in_root(ipath, VERS_BASE_FILE) &&
             vers_unlink_in_root(ipath, VERS_BASE_FILE, err) < 0) ||
            own_marker(ctx, ipath, err) < 0 || vers_subvol_set_readonly(ipath, true, err) < 0)
                goto undo;
        close(lockfd);
        lockfd = -1;

        /* the commit: the annotations' names where they are free here */
        struct vers_commit probe = {0};
        int have = a.id ? vers_meta_get_commit(&ctx->meta, a.id, &probe, err) : 1;
        vers_commit_clear(&probe);
        if (have < 0)
                goto undo;
        if (a.id && have)
                vers_notice(ctx, "commit %s is here already: the pulled one gets a new id", a.id);
        out->id = a.id && !have ? xstrdup(a.id) : vers_new_id();
        if (a.parent) {
                /* here, and of this project: the image names any id it likes */
                have = vers_meta_get_commit(&ctx->meta, a.parent, &probe, err);
                bool ours = have > 0 && !strcmp(probe.project ? probe.project : "",
                                                ctx->project_dir ? ctx->project_dir : "");
                vers_commit_clear(&probe);
                if (have < 0)
                        goto undo;
                if (ours)
                        out->parent = xstrdup(a.parent);
                else if (have)
                        vers_notice(ctx, "parent %s not kept: it is another project's commit",
                                    a.parent);
        }
        if (a.tag) {
                vers_error_t terr = NULL;
                if (vers_name_taken(ctx, a.tag, ctx->project_dir, true, &terr) == 0)
                        out->tag = xstrdup(a.tag);
                else
                        vers_notice(ctx, "tag '%s' not kept: %s", a.tag,
                                    terr ? terr->msg : "taken");
                vers_error_free(&terr);
        }
        out->image = xstrdup(img.id);
        out->project = ctx->project_dir ? xstrdup(ctx->project_dir) : NULL;
        out->message = a.message ? xstrdup(a.message) : xasprintf("pulled from %s", ref);
        out->mode = xstrdup("cold");
        out->state = xstrdup("pending");
        out->created = (int64_t)vers_now_ms();
        out->owner_pid = getpid();
        out->owner_start = vers_my_start();
        cdir = vers_store_commit_dir(&ctx->store, out->id);
        croot = vers_store_commit_rootfs(&ctx->store, out->id);
        if (vers_meta_put_commit(&ctx->meta, out, err) < 0)
                goto undo;
        made_commit = true;
        if (mkdir(cdir, 0700) < 0) {
                vers_make_error(err, errno, "cannot create '%s'", cdir);
                goto undo;
        }
        if (vers_subvol_snapshot(ipath, croot, true, err) < 0)
                goto undo;
        free(img.state);
        img.state = xstrdup("ready");
        img.owner_pid = img.owner_start = 0;
        if (vers_meta_put_image(&ctx->meta, &img, err) < 0)
                goto undo;
        if (a.checkpoint_key &&
            vers_meta_set_checkpoint_key(&ctx->meta, out->id, a.checkpoint_key, err) < 0)
                goto undo;
        free(out->state);
        out->state = xstrdup("ready");
        out->owner_pid = out->owner_start = 0;
        if (vers_meta_put_commit(&ctx->meta, out, err) < 0)
                goto undo;
        ret = 0;
        goto out;
undo:
        if (made_commit) {
                if (croot)
                        vers_subvol_delete(croot, NULL);
                if (cdir)
                        vers_rm_rf(cdir, NULL);
                vers_meta_delete(&ctx->meta, VERS_META_COMMITS, out->id, NULL);
        }
        if (made_image)
                vers_subvol_delete(ipath, NULL);
        vers_meta_delete(&ctx->meta, VERS_META_IMAGES, img.id, NULL);
        vers_commit_clear(out);
out:
        vers_image_clear(&img);
        vers_ship_annotations_clear(&a);
        return ret;
}
