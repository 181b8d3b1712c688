/* oci — a commit as an OCI image in vers's own layout, VERS_CACHE/ship, and from there to an
 * archive (vers export) or a registry (vers push) with skopeo.
 *
 * The layout is locked (flock on VERS_CACHE/ship.lock) while an image is made in it. Blobs are
 * written to a temp name and renamed to their digest; the commit's tag ("commit-<id>") is
 * added to index.json last, so a tag always names a whole image. The image's own layer is
 * kept per image (vers/image-<key>.json: its digest) and used again by every commit of it.
 * The OCI JSON (config, manifest, index) is written here with jansson.
 */
#include "build/build.h"
#include "engine/engine.h"
#include "format/imageref.h"
#include "os/sandbox.h"
#include "services/services.h"
#include "ship/ship.h"
#include "state/imageconf.h"
#include "state/refs.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define SHIP_VERSION "0.1.0"
#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_LAYER "application/vnd.oci.image.layer.v1.tar"

struct ship {
        struct vers_ctx *ctx;
        struct vers_commit c;
        char *layout; /* VERS_CACHE/ship */
        char *tag;    /* commit-<id> */
        int lockfd;
};

static void ship_clear(struct ship *s)
{
        vers_commit_clear(&s->c);
        free(s->layout);
        free(s->tag);
        if (s->lockfd >= 0)
                close(s->lockfd);
}

/* ---- the commit ------------------------------------------------------------------------- */

/* ---- the layout ------------------------------------------------------------------------- */

static int open_layout(struct ship *s, vers_error_t *err)
{
        _cleanup_free_ char *cache = vers_build_cache_dir();
        s->layout = xasprintf("%s/ship", cache);
        if (strchr(s->layout, ':'))
                return vers_make_error(err, 0, "VERS_CACHE '%s': skopeo takes no ':' in a path",
                                       cache);
        _cleanup_free_ char *blobs = xasprintf("%s/blobs/sha256", s->layout);
        _cleanup_free_ char *vers = xasprintf("%s/vers", s->layout);
        if (vers_mkdir_p(blobs, 0755, err) < 0 || vers_mkdir_p(vers, 0755, err) < 0)
                return -1;
        _cleanup_free_ char *lock = xasprintf("%s/ship.lock", cache);
        s->lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (s->lockfd < 0)
                return vers_make_error(err, errno, "cannot open '%s'", lock);
        while (flock(s->lockfd, LOCK_EX) < 0)
                if (errno != EINTR)
                        return vers_make_error(err, errno, "cannot lock '%s'", lock);
        _cleanup_free_ char *ol = xasprintf("%s/oci-layout", s->layout);
        if (!vers_path_exists(ol)) {
                const char *t = "{\"imageLayoutVersion\":\"1.0.0\"}";
                if (vers_write_file_atomic(ol, t, strlen(t), 0644, err) < 0)
                        return -1;
        }
        return 0;
}

static char *blob_path(const char *layout, const char *digest)
{
        return xasprintf("%s/blobs/sha256/%s", layout, digest + 7);
}

/* write data as a blob; its digest into out */
static int put_blob(const char *layout, const char *data, size_t len, char out[72],
                    vers_error_t *err)
{
        char hex[VERS_HASH_HEX + 1];
        vers_sha256_hex(data, len, hex);
        snprintf(out, 72, "sha256:%s", hex);
        _cleanup_free_ char *p = blob_path(layout, out);
        return vers_write_file_atomic(p, data, len, 0644, err);
}

/* a layer of upper minus lower into the layout: *res its digest */
static int put_layer(struct ship *s, const char *what, const char *upper, const char *lower,
                     char *const *skip, struct vers_ship_layer *res, vers_error_t *err)
{
        vers_progress(s->ctx, "export: writing the %s layer", what);
        double t0 = vers_monotonic();
        _cleanup_free_ char *rnd = vers_random_hex(12);
        _cleanup_free_ char *tmp = xasprintf("%s/blobs/tmp-%s", s->layout, rnd);
        struct vers_ship_layer_opts o = {.idmap = &s->ctx->idmap, .skip = skip};
        if (vers_ship_write_layer(upper, lower, tmp, &o, res, err) < 0)
                return vers_error_wrap(err, "the %s layer", what);
        _cleanup_free_ char *dst = blob_path(s->layout, res->digest);
        if (rename(tmp, dst) < 0) {
                int e = errno;
                unlink(tmp);
                return vers_make_error(err, e, "cannot rename '%s'", tmp);
        }
        vers_progress(s->ctx, "export: %s layer %.19s: %zu entries, %.1f MiB in %.1f s", what,
                      res->digest, res->entries, (double)res->size / (1 << 20),
                      vers_monotonic() - t0);
        return 0;
}

static json_t *descriptor(const char *mt, const char *digest, uint64_t size)
{
        return json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest", digest, "size",
                         (json_int_t)size);
}

/* ---- the base image (FROM a registry image) ---------------------------------------------- */

struct base {
        json_t *layers;   /* descriptors, from its manifest */
        json_t *diff_ids; /* from its config */
        char *tree;       /* its base layer's subvolume */
        char *digest;
};

static void base_clear(struct base *b)
{
        json_decref(b->layers);
        json_decref(b->diff_ids);
        free(b->tree);
        free(b->digest);
}

static json_t *load_blob(const char *layout, const char *digest, vers_error_t *err)
{
        if (!vers_imageref_digest_ok(digest)) {
                vers_make_error(err, 0, "not a sha256 digest");
                return NULL;
        }
        _cleanup_free_ char *p = blob_path(layout, digest);
        json_error_t je;
        json_t *o = json_load_file(p, 0, &je);
        if (!o)
                vers_make_error(err, 0, "%s: %s", p, je.text);
        return o;
}

/* The base the image names in VERS_BASE_FILE, checked: the digest's manifest is in the pull
 * layout with every layer blob, and a layer of this root has its key. 0 with b->digest NULL
 * when the image names none (FROM debian:<suite>). */
static int find_base(struct ship *s, const char *image_root, struct base *b, vers_error_t *err)
{
        memset(b, 0, sizeof *b);
        _cleanup_free_ char *text = NULL;
        if (vers_read_file_in_root(image_root, VERS_BASE_FILE, 4096, &text, NULL, NULL) < 0)
                return 0;
        text[strcspn(text, "\n")] = '\0';
        if (!vers_imageref_digest_ok(text))
                return vers_make_error(err, 0, "the image's %s is not a manifest digest",
                                       VERS_BASE_FILE);
        _cleanup_free_ char *cache = vers_build_cache_dir();
        _cleanup_free_ char *pulls = xasprintf("%s/oci", cache);
        json_t *m = load_blob(pulls, text, err);
        if (!m)
                return vers_error_wrap(err,
                                       "the image's base %.19s is not in '%s' (build it "
                                       "again: vers build --pull)",
                                       text, pulls);
        const char *cd = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
        json_t *cfg = load_blob(pulls, cd, err);
        int ret = -1;
        if (!cfg) {
                vers_error_wrap(err, "the base's configuration");
                goto out;
        }
        b->layers = json_incref(json_object_get(m, "layers"));
        b->diff_ids = json_incref(json_object_get(json_object_get(cfg, "rootfs"), "diff_ids"));
        if (!json_is_array(b->layers) || !json_is_array(b->diff_ids) ||
            json_array_size(b->layers) != json_array_size(b->diff_ids)) {
                vers_make_error(err, 0, "the base %.19s: its layers and diff_ids do not match",
                                text);
                goto out;
        }
        size_t i;
        json_t *l;
        json_array_foreach(b->layers, i, l)
        {
                const char *d = json_string_value(json_object_get(l, "digest"));
                _cleanup_free_ char *p =
                    d && vers_imageref_digest_ok(d) ? blob_path(pulls, d) : NULL;
                if (!p || !vers_path_exists(p)) {
                        vers_make_error(err, 0, "the base %.19s: a layer blob is missing from '%s'",
                                        text, pulls);
                        goto out;
                }
                /* into vers's layout: a hard link (same VERS_CACHE), else a copy */
                _cleanup_free_ char *q = blob_path(s->layout, d);
                if (!vers_path_exists(q) && link(p, q) < 0 && vers_copy_file(p, q, 0644, err) < 0)
                        goto out;
        }
        char step[VERS_HASH_HEX + 1], key[VERS_HASH_HEX + 1];
        vers_build_key_registry(text, step);
        vers_build_key_layer("", step, key);
        struct vers_meta_query q = {.name = key, .states = VERS_Q_LAYER | VERS_Q_READY};
        struct vers_image *imgs = NULL;
        size_t n = 0;
        if (vers_meta_list_images(&s->ctx->meta, &q, &imgs, &n, err) < 0)
                goto out;
        if (n)
                b->tree = vers_store_image_path(&s->ctx->store, imgs[0].id);
        vers_images_free(imgs, n);
        if (!b->tree) {
                vers_make_error(err, 0, "the base %.19s has no layer in this root (build it again)",
                                text);
                goto out;
        }
        b->digest = xstrdup(text);
        ret = 0;
out:
        json_decref(cfg);
        json_decref(m);
        return ret;
}

/* ---- the image's config ------------------------------------------------------------------ */

static const char *arch(void)
{
        struct utsname u;
        if (uname(&u) < 0)
                return "amd64";
        if (!strcmp(u.machine, "x86_64"))
                return "amd64";
        if (!strcmp(u.machine, "aarch64"))
                return "arm64";
        return "amd64";
}

static char *iso_time(int64_t ms)
{
        time_t t = (time_t)(ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        char buf[64];
        strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return xstrdup(buf);
}

/* the labels (and manifest annotations) of the commit */
static json_t *commit_labels(struct ship *s, vers_error_t *err)
{
        json_t *o = json_object();
        json_object_set_new(o, VERS_SHIP_ANN_COMMIT, json_string(s->c.id));
        if (s->c.tag)
                json_object_set_new(o, VERS_SHIP_ANN_TAG, json_string(s->c.tag));
        if (s->c.message) /* json_string: NULL (and nothing set) when it is not UTF-8 */
                json_object_set_new(o, VERS_SHIP_ANN_MESSAGE, json_string(s->c.message));
        if (s->c.parent)
                json_object_set_new(o, VERS_SHIP_ANN_PARENT, json_string(s->c.parent));
        json_object_set_new(o, VERS_SHIP_ANN_VERSION, json_string(SHIP_VERSION));
        _cleanup_free_ char *ck = NULL;
        if (vers_meta_get_checkpoint_key(&s->ctx->meta, s->c.id, &ck, err) < 0) {
                json_decref(o);
                return NULL;
        }
        if (ck)
                json_object_set_new(o, VERS_SHIP_ANN_CHECKPOINT, json_string(ck));
        _cleanup_free_ char *created = iso_time(s->c.created);
        json_object_set_new(o, VERS_SHIP_ANN_CREATED, json_string(created));
        return o;
}

static json_t *image_config(struct ship *s, const char *croot, const char *iroot, char **ports,
                            json_t *labels, json_t *diff_ids, vers_error_t *err)
{
        struct vers_imageconf ic = {0};
        if (vers_imageconf_read(iroot, &ic, err) < 0)
                return NULL;
        json_t *env = json_array();
        _cleanup_free_ char *text = NULL;
        bool have_path = false;
        if (vers_read_file_in_root(croot, ".vers/env", 0, &text, NULL, NULL) == 0) {
                char *save = NULL;
                for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                        json_t *v = strchr(l, '=') ? json_string(l) : NULL; /* NULL: not UTF-8 */
                        if (!v)
                                continue;
                        have_path |= str_startswith(l, "PATH=");
                        json_array_append_new(env, v);
                }
        }
        if (!have_path)
                json_array_append_new(
                    env, json_string(
                             "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
        json_array_append_new(env, json_string("HOME=/root"));
        json_array_append_new(env, json_string("LANG=C.UTF-8"));
        json_t *exposed = json_object();
        for (char **p = ic.expose; p && *p; p++)
                json_object_set_new(exposed, *p, json_object());
        for (char **p = ports; p && *p; p++)
                json_object_set_new(exposed, *p, json_object());
        json_t *cfg =
            json_pack("{s:[s], s:o, s:o, s:s, s:s, s:O}", "Entrypoint", "/.vers/init", "Env", env,
                      "ExposedPorts", exposed, "WorkingDir", ic.workdir ? ic.workdir : "/",
                      "StopSignal", "SIGTERM", "Labels", labels);
        _cleanup_free_ char *created = iso_time(s->c.created);
        json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:O}}", "created", created,
                              "architecture", arch(), "os", "linux", "config", cfg, "rootfs",
                              "type", "layers", "diff_ids", diff_ids);
        vers_imageconf_clear(&ic);
        if (!o)
                vers_make_error(err, 0, "cannot write the image configuration");
        return o;
}

/* ---- index.json ------------------------------------------------------------------------ */

/* desc is taken (its reference is dropped, whatever happens) */
static int index_set(struct ship *s, const char *tag, json_t *desc, vers_error_t *err)
{
        _cleanup_free_ char *path = xasprintf("%s/index.json", s->layout);
        json_t *idx = NULL;
        if (vers_path_exists(path)) {
                json_error_t je;
                idx = json_load_file(path, 0, &je);
                if (!idx) {
                        json_decref(desc);
                        return vers_make_error(err, 0, "%s: %s", path, je.text);
                }
        } else {
                idx = json_pack("{s:i, s:[]}", "schemaVersion", 2, "manifests");
        }
        json_t *ms = json_object_get(idx, "manifests");
        json_t *keep = json_array();
        size_t i;
        json_t *m;
        json_array_foreach(ms, i, m)
        {
                const char *name = json_string_value(json_object_get(
                    json_object_get(m, "annotations"), "org.opencontainers.image.ref.name"));
                if (!name || strcmp(name, tag))
                        json_array_append(keep, m);
        }
        json_object_set_new(desc, "annotations",
                            json_pack("{s:s}", "org.opencontainers.image.ref.name", tag));
        json_array_append_new(keep, desc);
        json_object_set_new(idx, "manifests", keep);
        char *text = json_dumps(idx, JSON_COMPACT);
        json_decref(idx);
        int r = vers_write_file_atomic(path, text, strlen(text), 0644, err);
        free(text);
        return r;
}

/* ---- the image ------------------------------------------------------------------------- */

/* the kept image layer of this root's image (with its base), or 0 */
static int cached_layer(struct ship *s, const char *name, struct vers_ship_layer *res)
{
        _cleanup_free_ char *p = xasprintf("%s/vers/%s.json", s->layout, name);
        json_t *o = json_load_file(p, 0, NULL);
        if (!o)
                return 0;
        const char *d = json_string_value(json_object_get(o, "digest"));
        json_int_t size = json_integer_value(json_object_get(o, "size"));
        int found = 0;
        if (d && vers_imageref_digest_ok(d)) {
                _cleanup_free_ char *b = blob_path(s->layout, d);
                struct stat st;
                if (stat(b, &st) == 0 && st.st_size == size) {
                        snprintf(res->digest, sizeof res->digest, "%s", d);
                        res->size = (uint64_t)size;
                        found = 1;
                }
        }
        json_decref(o);
        return found;
}

/* Make the commit's image in the layout, tagged s->tag */
static int make_image(struct ship *s, const char *name, vers_error_t *err)
{
        if (vers_ready_commit(s->ctx, name, &s->c, err) < 0)
                return -1;
        struct vers_ctx *ctx = s->ctx;
        _cleanup_free_ char *croot = vers_store_commit_rootfs(&ctx->store, s->c.id);
        _cleanup_free_ char *iroot = vers_store_image_path(&ctx->store, s->c.image);
        if (!vers_exists_in_root(iroot, VERS_OWN_ROOT_MARKER))
                return vers_make_error(err, 0,
                                       "commit '%s' is of an image built FROM host: the image "
                                       "would carry this machine's /usr (build FROM "
                                       "debian:<suite> or a registry image to export it)",
                                       name);
        if (open_layout(s, err) < 0)
                return -1;
        s->tag = xasprintf("commit-%s", s->c.id);
        struct base b;
        if (find_base(s, iroot, &b, err) < 0)
                return -1;
        int ret = -1;
        _cleanup_strv_ char **ipids = NULL, **iports = NULL, **cpids = NULL, **cports = NULL;
        json_t *layers = json_array(), *diff_ids = json_array(), *labels = NULL, *cfg = NULL;
        json_t *manifest = NULL;
        char *text = NULL;
        if (b.digest) {
                json_array_extend(layers, b.layers);
                json_array_extend(diff_ids, b.diff_ids);
        }
        /* the image's layer: kept per image of this root (and base) */
        struct vers_hash h;
        vers_hash_init(&h);
        vers_hash_str(&h, "vers export image layer v1");
        vers_hash_str(&h, ctx->root);
        vers_hash_str(&h, s->c.image);
        vers_hash_str(&h, b.digest);
        char key[VERS_HASH_HEX + 1];
        vers_hash_hex(&h, key);
        _cleanup_free_ char *cname = xasprintf("image-%s", key);
        struct vers_ship_layer il = {0}, cl = {0};
        vers_services_runtime(iroot, &ipids, &iports);
        vers_services_runtime(croot, &cpids, &cports);
        if (cached_layer(s, cname, &il)) {
                vers_progress(ctx, "export: the image layer %.19s is kept from before", il.digest);
        } else {
                if (put_layer(s, "image", iroot, b.tree, ipids, &il, err) < 0)
                        goto out;
                text = xasprintf("{\"digest\":\"%s\",\"size\":%llu}\n", il.digest,
                                 (unsigned long long)il.size);
                _cleanup_free_ char *p = xasprintf("%s/vers/%s.json", s->layout, cname);
                if (vers_write_file_atomic(p, text, strlen(text), 0644, err) < 0)
                        goto out;
                free(text);
                text = NULL;
        }
        json_array_append_new(layers, descriptor(MT_LAYER, il.digest, il.size));
        json_array_append_new(diff_ids, json_string(il.digest));
        if (put_layer(s, "commit", croot, iroot, cpids, &cl, err) < 0)
                goto out;
        json_array_append_new(layers, descriptor(MT_LAYER, cl.digest, cl.size));
        json_array_append_new(diff_ids, json_string(cl.digest));

        labels = commit_labels(s, err);
        if (!labels)
                goto out;
        cfg = image_config(s, croot, iroot, cports, labels, diff_ids, err);
        if (!cfg)
                goto out;
        text = json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS);
        char cdig[72], mdig[72];
        if (!text || put_blob(s->layout, text, strlen(text), cdig, err) < 0)
                goto out;
        size_t clen = strlen(text);
        free(text);
        manifest = json_pack("{s:i, s:s, s:o, s:O, s:O}", "schemaVersion", 2, "mediaType",
                             MT_MANIFEST, "config", descriptor(MT_CONFIG, cdig, clen), "layers",
                             layers, "annotations", labels);
        text = json_dumps(manifest, JSON_COMPACT | JSON_SORT_KEYS);
        if (!text || put_blob(s->layout, text, strlen(text), mdig, err) < 0)
                goto out;
        if (index_set(s, s->tag, descriptor(MT_MANIFEST, mdig, strlen(text)), err) < 0)
                goto out;
        ret = 0;
out:
        free(text);
        json_decref(manifest);
        json_decref(cfg);
        json_decref(labels);
        json_decref(layers);
        json_decref(diff_ids);
        base_clear(&b);
        return ret;
}

/* ---- skopeo ------------------------------------------------------------------------------ */

static int skopeo(struct vers_ctx *ctx, char *const argv[], const char *what, vers_error_t *err)
{
        int fd;
        pid_t pid = vers_spawn(argv, &fd, err);
        if (pid < 0)
                return vers_error_wrap(err, "skopeo");
        _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
        FILE *f = fdopen(fd, "r");
        char buf[1024];
        while (f && fgets(buf, sizeof buf, f)) {
                if (out.len < (1 << 20))
                        strbuf_addstr(&out, buf);
                buf[strcspn(buf, "\n")] = '\0';
                if (!strncmp(buf, "Copying ", 8))
                        vers_progress(ctx, "  %s", buf);
        }
        if (f)
                fclose(f);
        else
                close(fd);
        int rc = vers_wait_exit(pid, err);
        if (rc < 0)
                return -1;
        if (rc == 0)
                return 0;
        char why[256];
        vers_registry_reason(out.buf ? out.buf : "", why, sizeof why);
        return vers_make_error(err, 0, "%s: %s", what, why);
}

int vers_ship_export(struct vers_ctx *ctx, const char *commit, const char *file,
                     enum vers_ship_format format, vers_error_t *err)
{
        if (!*file || strchr(file, ':'))
                return vers_make_error(err, 0, "'%s': the file name may not be empty or hold ':'",
                                       file);
        struct stat st;
        if (stat(file, &st) == 0 && S_ISDIR(st.st_mode))
                return vers_make_error(err, 0, "'%s' is a directory", file);
        struct ship s = {.ctx = ctx, .lockfd = -1};
        int ret = -1;
        _cleanup_free_ char *rnd = vers_random_hex(8);
        _cleanup_free_ char *tmp = xasprintf("%s.tmp-%s", file, rnd);
        _cleanup_free_ char *src = NULL, *dst = NULL;
        double t0 = vers_monotonic();
        if (make_image(&s, commit, err) < 0)
                goto out;
        src = xasprintf("oci:%s:%s", s.layout, s.tag);
        if (format == VERS_SHIP_DOCKER)
                dst = xasprintf("docker-archive:%s:localhost/vers:%s", tmp, s.c.id);
        else
                dst = xasprintf("oci-archive:%s:%s", tmp, s.c.id);
        char *argv[] = {"skopeo", "copy", "-q", src, dst, NULL};
        vers_progress(ctx, "export: writing '%s'", file);
        if (skopeo(ctx, argv, "skopeo copy", err) < 0)
                goto out;
        if (rename(tmp, file) < 0) {
                vers_make_error(err, errno, "cannot rename '%s' to '%s'", tmp, file);
                goto out;
        }
        if (stat(file, &st) == 0)
                vers_progress(ctx, "export: %s: %.1f MiB in %.1f s", file,
                              (double)st.st_size / (1 << 20), vers_monotonic() - t0);
        ret = 0;
out:
        if (ret < 0)
                unlink(tmp);
        ship_clear(&s);
        return ret;
}

int vers_ship_push(struct vers_ctx *ctx, const char *commit, const char *ref, vers_error_t *err)
{
        struct vers_imageref r;
        if (vers_imageref_parse(ref, &r, err) < 0)
                return vers_error_wrap(err, "'%s'", ref);
        struct ship s = {.ctx = ctx, .lockfd = -1};
        int ret = -1;
        _cleanup_free_ char *name = vers_imageref_pull_name(&r);
        _cleanup_free_ char *src = NULL, *dst = xasprintf("docker://%s", name);
        _cleanup_strv_ char **argv = NULL;
        _cleanup_free_ char *what = xasprintf("registry %s", r.domain);
        if (make_image(&s, commit, err) < 0)
                goto out;
        src = xasprintf("oci:%s:%s", s.layout, s.tag);
        argv = vers_registry_copy_argv(&r, src, dst, true, err);
        if (!argv) {
                vers_error_wrap(err, "push '%s'", ref);
                goto out;
        }
        vers_progress(ctx, "push: %s", name);
        if (skopeo(ctx, argv, what, err) < 0)
                goto out;
        if (vers_meta_set_pushed(&ctx->meta, s.c.id, name, err) < 0)
                goto out;
        ret = 0;
out:
        ship_clear(&s);
        vers_imageref_clear(&r);
        return ret;
}
