/* registry — FROM any registry image (FROM ubuntu:22.04, FROM localhost:5000/x@sha256:...):
 * pulled with skopeo into one shared OCI layout, VERS_CACHE/oci, and unpacked with umoci as a
 * base layer.
 *
 * In the layout each reference is a tag: the SHA-256 of its canonical form (format/imageref.h),
 * so the layout's index.json keeps which manifest each reference named when it was pulled.
 * A reference the layout has is used without asking the registry again (Docker's FROM); `vers
 * build --pull` asks. The layer's key is the digest of the manifest in the layout (an OCI one:
 * skopeo converts Docker's format, so it may differ from the registry's), so two references to
 * one image share a layer, and a rebuild without network reuses it. The layout is locked (flock on
 * VERS_CACHE/oci.lock) from the pull to the unpack, so vers processes sharing VERS_CACHE never
 * see each other's half-written index.
 *
 * skopeo reads mirrors, `insecure` and `blocked` from the containers registries.conf (and
 * registries.conf.d) itself; CONTAINERS_REGISTRIES_CONF names another file, which skopeo 1.9
 * only takes as --registries-conf. Registries on loopback may speak plain http, as Docker
 * allows. Credentials: vers_registry_authfile() (REGISTRY_AUTH_FILE, else the invoking user's
 * ~/.docker/config.json).
 *
 * The image's tree comes from whoever pushed it: umoci unpacks it without following its links
 * out of the tree, vers leaves its device nodes out, refuses one whose skeleton directories
 * are symlinks (vers writes there through host paths) and replaces its /.vers. Its files keep their
 * owners (uid 999 is 999 inside the env: layer.c shifts the tree into the env's id range). Its
 * configuration (Env, WorkingDir, User, Entrypoint, Cmd, ExposedPorts, StopSignal) becomes the
 * stage's, which the Dockerfile then overrides, as docker build does. The base layer names its
 * manifest digest in VERS_BASE_FILE, for vers export (ship/), which puts the image's own layers
 * first. vers pull (ship/pull.c) pulls and unpacks with the same functions.
 */
#include "build/build-private.h"
#include "format/imageref.h"
#include "os/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

/* ---- what skopeo said ---------------------------------------------------------------------- */

/* the text of the last msg="..." in out (skopeo's logrus lines), unescaped; else its last
 * non-empty line */
static char *last_message(const char *out)
{
        const char *m = NULL;
        for (const char *p = strstr(out, "msg=\""); p; p = strstr(p + 1, "msg=\""))
                m = p + 5;
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        if (m) {
                for (const char *p = m; *p && *p != '\n'; p++) {
                        if (*p == '"')
                                break;
                        if (*p == '\\' && p[1])
                                p++;
                        strbuf_add(&sb, p, 1);
                }
                return strbuf_detach(&sb);
        }
        const char *last = NULL, *p = out;
        size_t len = 0;
        while (*p) {
                size_t n = strcspn(p, "\n");
                if (n) {
                        last = p;
                        len = n;
                }
                p += n + (p[n] == '\n');
        }
        return last ? xstrndup(last, len) : xstrdup("");
}

void vers_registry_reason(const char *out, char *buf, size_t n)
{
        static const struct {
                const char *needle, *reason;
        } known[] = {
            {"is blocked in", "blocked in registries.conf"},
            {"connection refused", "connection refused"},
            {"no such host", "no such host"},
            {"manifest unknown", "manifest unknown"},
            {"name unknown", "repository name unknown"},
            {"unauthorized", "unauthorized"},
            {"authentication required", "unauthorized"},
            {"denied", "access denied"},
            {"credential file is not accessible", "its credentials file is not accessible"},
            {"server gave HTTP response to HTTPS client",
             "plain http, not https (mark it insecure in registries.conf)"},
            {"x509:", "TLS certificate not trusted"},
            {"i/o timeout", "timed out"},
            {"deadline exceeded", "timed out"},
            {"network is unreachable", "network is unreachable"},
            {"no route to host", "no route to host"},
            {"connection reset", "connection reset"},
            {"toomanyrequests", "too many requests"},
            {"no image found in manifest list", "no image for this machine's architecture"},
            {"choosing an image from manifest list", "no image for this machine's architecture"},
        };
        _cleanup_free_ char *msg = last_message(out);
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
                if (strstr(msg, known[i].needle)) {
                        snprintf(buf, n, "%s", known[i].reason);
                        return;
                }
        }
        /* the innermost part of a Go error chain, on one line */
        const char *tail = msg, *p;
        for (p = strstr(msg, ": "); p; p = strstr(p + 2, ": "))
                if (p[2])
                        tail = p + 2;
        snprintf(buf, n, "%.160s", *tail ? tail : "skopeo failed");
        for (char *q = buf; *q; q++)
                if ((unsigned char)*q < ' ')
                        *q = ' ';
}

/* ---- the OCI layout ------------------------------------------------------------------------ */

/* The manifest digest tag names in layout's index.json; *digest NULL when it names none. */
static int layout_lookup(const char *layout, const char *tag, char **digest, vers_error_t *err)
{
        *digest = NULL;
        _cleanup_free_ char *index = xasprintf("%s/index.json", layout);
        if (!vers_path_exists(index))
                return 0;
        json_error_t je;
        json_t *o = json_load_file(index, 0, &je);
        if (!o)
                return vers_make_error(err, 0, "%s:%d: %s", index, je.line, je.text);
        json_t *ms = json_object_get(o, "manifests");
        size_t i;
        json_t *m;
        json_array_foreach(ms, i, m)
        {
                const char *name = json_string_value(json_object_get(
                    json_object_get(m, "annotations"), "org.opencontainers.image.ref.name"));
                const char *d = json_string_value(json_object_get(m, "digest"));
                if (name && !strcmp(name, tag) && vers_imageref_digest_ok(d)) {
                        free(*digest);
                        *digest = xstrdup(d);
                }
        }
        json_decref(o);
        return 0;
}

static json_t *read_blob(const char *layout, const char *digest, const char *what,
                         vers_error_t *err)
{
        if (!vers_imageref_digest_ok(digest)) {
                vers_make_error(err, 0, "its %s digest is not sha256:<64 hex digits>", what);
                return NULL;
        }
        _cleanup_free_ char *path = xasprintf("%s/blobs/sha256/%s", layout, digest + 7);
        json_error_t je;
        json_t *o = json_load_file(path, 0, &je);
        if (!o)
                vers_make_error(err, 0, "its %s (%s): %s", what, path, je.text);
        return o;
}

/* ---- pulling ------------------------------------------------------------------------------- */

/* the home of whoever runs vers: SUDO_USER's under sudo, else $HOME */
static char *user_home(void)
{
        const char *su = getenv("SUDO_USER");
        if (su && *su && geteuid() == 0) {
                struct passwd *pw = getpwnam(su);
                if (pw && pw->pw_dir)
                        return xstrdup(pw->pw_dir);
        }
        const char *h = getenv("HOME");
        return h ? xstrdup(h) : NULL;
}

struct pull {
        struct build *b;
        const char *where; /* for messages: "Dockerfile:1:6: FROM x", "'x'" */
        const struct vers_imageref *r;
        const char *layout, *tag;
};

/* skopeo's "Copying blob/config ..." lines, as progress */
static void copying_line(struct build *b, const char *line, void *arg)
{
        (void)arg;
        if (!strncmp(line, "Copying ", 8))
                vers_build_say(b, false, "  %s", line);
}

char **vers_registry_copy_argv(const struct vers_imageref *r, const char *src, const char *dst,
                               bool to_registry, vers_error_t *err)
{
        const char *env_auth = getenv("REGISTRY_AUTH_FILE");
        if (env_auth && *env_auth && !vers_path_exists(env_auth)) {
                vers_make_error(err, 0, "REGISTRY_AUTH_FILE '%s': no such file", env_auth);
                return NULL;
        }
        _cleanup_free_ char *home = user_home();
        _cleanup_free_ char *auth = vers_registry_authfile(env_auth, home, vers_path_exists);
        const char *conf = getenv("CONTAINERS_REGISTRIES_CONF");
        char **argv = NULL;
        strv_push(&argv, "skopeo");
        if (conf && *conf) {
                strv_push(&argv, "--registries-conf");
                strv_push(&argv, conf);
        }
        strv_push(&argv, "copy");
        if (auth) {
                strv_push(&argv, "--authfile");
                strv_push(&argv, auth);
        }
        if (vers_imageref_loopback(r))
                strv_push(&argv,
                          to_registry ? "--dest-tls-verify=false" : "--src-tls-verify=false");
        strv_push(&argv, src);
        strv_push(&argv, dst);
        return argv;
}

static int pull(const struct pull *p, vers_error_t *err)
{
        struct build *b = p->b;
        _cleanup_free_ char *name = vers_imageref_pull_name(p->r);
        _cleanup_free_ char *src = xasprintf("docker://%s", name);
        _cleanup_free_ char *dst = xasprintf("oci:%s:%s", p->layout, p->tag);
        _cleanup_strv_ char **argv = vers_registry_copy_argv(p->r, src, dst, false, err);
        if (!argv)
                return vers_error_wrap(err, "%s", p->where);

        vers_build_say(b, false, "pulling %s", name);
        _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
        int rc = vers_build_tool(b, argv, copying_line, NULL, &out, err);
        if (rc < 0)
                return vers_error_wrap(err, "%s: skopeo", p->where);
        if (rc == 0)
                return 0;
        char why[256];
        vers_registry_reason(out.buf ? out.buf : "", why, sizeof why);
        return vers_make_error(err, 0, "%s: registry %s: %s", p->where, p->r->domain, why);
}

/* ---- the image's configuration --------------------------------------------------------------- */

/* b->conf from the OCI image configuration's "config" (cfg; NULL: none) */
static int conf_from_image(struct build *b, const char *ref, json_t *cfg, vers_error_t *err)
{
        json_t *o = json_object();
        static const char *arrays[] = {"Env", "Entrypoint", "Cmd"};
        for (size_t i = 0; i < 3; i++) {
                json_t *v = json_object_get(cfg, arrays[i]);
                if (json_is_array(v))
                        json_object_set(o, arrays[i], v);
        }
        static const char *strings[] = {"WorkingDir", "User"};
        for (size_t i = 0; i < 2; i++) {
                const char *s = json_string_value(json_object_get(cfg, strings[i]));
                if (s && *s)
                        json_object_set_new(o, strings[i], json_string(s));
        }
        json_t *ports = json_object_get(cfg, "ExposedPorts");
        if (json_is_object(ports))
                json_object_set(o, "ExposedPorts", ports);
        const char *sig = json_string_value(json_object_get(cfg, "StopSignal"));
        if (sig && *sig) {
                const char *name = vers_imageconf_signal(sig);
                if (name)
                        json_object_set_new(o, "StopSignal", json_string(name));
                else
                        vers_notice(b->ctx,
                                    "FROM %s: the image's StopSignal %s is not one vers stops "
                                    "services with (TERM, INT, QUIT, KILL); TERM is used",
                                    ref, sig);
        }
        char *text = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (!text)
                return vers_make_error(err, 0, "cannot write JSON");
        int r = vers_imageconf_parse(text, &b->conf, err);
        free(text);
        return r;
}

/* the manifest digest names: its configuration into b->conf */
static int read_image_config(struct build *b, const char *layout, const char *digest,
                             const char *ref, vers_error_t *err)
{
        json_t *m = read_blob(layout, digest, "manifest", err);
        if (!m)
                return -1;
        int r = -1;
        json_t *c = NULL;
        if (json_object_get(m, "manifests")) {
                vers_make_error(err, 0, "its manifest is an index of images, not one image");
                goto out;
        }
        c = read_blob(layout,
                      json_string_value(json_object_get(json_object_get(m, "config"), "digest")),
                      "configuration", err);
        if (c && conf_from_image(b, ref, json_object_get(c, "config"), err) < 0)
                vers_error_wrap(err, "its image configuration");
        else if (c)
                r = 0;
out:
        json_decref(c);
        json_decref(m);
        return r;
}

/* ---- unpacking ------------------------------------------------------------------------------- */

/* vers_sandbox_populate() makes and chmods these through host paths: none of them may be a
 * symlink the image brought (a link to /etc would have the host's /etc chmodded); var/run
 * and var/lock are meant to be links, and populate leaves links there alone. /.vers and
 * /.vers/bin too: vers pull keeps the image's /.vers, whose bin could name any host file */
static const char *const skeleton[] = {
    "proc",    "sys",     "dev",     "run",          "tmp",       "root",      "home", "var",
    "var/lib", "var/log", "var/tmp", "var/cache",    "var/spool", "var/opt",   "opt",  "srv",
    "mnt",     "media",   "etc",     "var/log/vers", ".vers",     ".vers/bin",
};

static int check_skeleton(const char *path, const char *ref, vers_error_t *err)
{
        for (size_t i = 0; i < sizeof skeleton / sizeof *skeleton; i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", path, skeleton[i]);
                struct stat st;
                if (lstat(p, &st) == 0 && S_ISLNK(st.st_mode))
                        return vers_make_error(err, 0,
                                               "%s: /%s is a symbolic link in the image; "
                                               "vers needs a directory there",
                                               ref, skeleton[i]);
        }
        return 0;
}

/* Device nodes: umoci makes them as root, and an env's root could open one the image owned
 * (a block device of the host's disk) on the store, which is not mounted nodev. An env gets
 * its /dev from vers; the image's nodes go, as a rootless container runtime leaves them out. */
static int remove_devices(struct vers_ctx *ctx, const char *path, const char *ref,
                          vers_error_t *err)
{
        size_t n = 0;
        if (vers_remove_device_nodes(path, &n, err) < 0)
                return vers_error_wrap(err, "%s", ref);
        if (n)
                vers_notice(ctx,
                            "%s: %zu device node%s of the image left out (an env's "
                            "/dev is vers's)",
                            ref, n, n == 1 ? "" : "s");
        return 0;
}

struct unpack {
        const char *image; /* LAYOUT:TAG */
        const char *ref;
        const char *digest; /* its manifest's, in the layout */
};

int vers_registry_unpack(struct vers_ctx *ctx, const char *image, const char *what,
                         const char *path, bool keep_vers, vers_error_t *err)
{
        const struct unpack uu = {image, what, NULL}, *u = &uu;
        /* umoci takes an existing (empty) directory: the new subvolume itself */
        char *argv[] = {"umoci", "raw", "unpack", "--image", (char *)u->image, (char *)path, NULL};
        _cleanup_free_ char *out = NULL;
        int rc = vers_run(argv, &out, err);
        if (rc < 0)
                return vers_error_wrap(err, "%s: umoci", u->ref);
        if (rc != 0) {
                _cleanup_free_ char *why = last_message(out ? out : "");
                return vers_make_error(err, 0, "%s: umoci raw unpack failed (exit %d): %s", u->ref,
                                       rc, why);
        }
        /* umoci leaves the root of what it unpacked 0700, which keeps every user but root
         * out of the whole tree (apt's _apt, exim's checks of its users): a container's root is
         * 0755 */
        if (chmod(path, 0755) < 0)
                return vers_make_error(err, errno, "%s: cannot chmod '%s'", u->ref, path);
        /* /.vers is vers's: whatever the image has there goes (but vers pull's image is a
         * commit vers exported, whose /.vers it runs as an env's own files) */
        _cleanup_free_ char *dotvers = xasprintf("%s/.vers", path);
        struct stat st;
        if (!keep_vers && lstat(dotvers, &st) == 0 &&
            (S_ISDIR(st.st_mode) ? vers_rm_rf(dotvers, err) : unlink(dotvers)) < 0)
                return vers_make_error(err, errno, "%s: cannot remove the image's /.vers", u->ref);
        if (keep_vers && lstat(dotvers, &st) == 0 && !S_ISDIR(st.st_mode))
                return vers_make_error(err, 0, "%s: its /.vers is not a directory", u->ref);
        if (remove_devices(ctx, path, u->ref, err) < 0 || check_skeleton(path, u->ref, err) < 0 ||
            vers_sandbox_populate(path, err) < 0)
                return -1;
        /* the image's ids are all env ids, whatever their values (the layer's own shift
         * afterwards leaves ids in the range alone, and ids above it as they are) */
        return vers_idmap_shift_foreign_tree(&ctx->idmap, path, err);
}

static int apply_registry(struct build *b, const char *id, const char *path, void *arg,
                          vers_error_t *err)
{
        const struct unpack *u = arg;
        _cleanup_free_ char *what = xasprintf("FROM %s", u->ref);
        if (vers_registry_unpack(b->ctx, u->image, what, path, false, err) < 0)
                return -1;
        if (vers_write_file_in_root(path, VERS_OWN_ROOT_MARKER, "oci\n", 4, 0644, err) < 0)
                return -1;
        /* which image this base is, for vers export (ship/): its layers go first, then the
         * tree above this layer. Only a hint: export finds the layer by the key of the digest
         * it names, in the layout, and diffs against that tree */
        _cleanup_free_ char *base = xasprintf("%s\n", u->digest);
        if (vers_write_file_in_root(path, VERS_BASE_FILE, base, strlen(base), 0644, err) < 0)
                return -1;
        /* both files are the host root's until the layer's own shift (layer.c) */
        return 0;
}

/* ---- FROM ------------------------------------------------------------------------------------ */

static int lock_layout(const char *lockfile, int *fd, vers_error_t *err)
{
        *fd = open(lockfile, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (*fd < 0)
                return vers_make_error(err, errno, "cannot open '%s'", lockfile);
        while (flock(*fd, LOCK_EX) < 0) {
                if (errno != EINTR)
                        return vers_make_error(err, errno, "cannot lock '%s'", lockfile);
        }
        return 0;
}

int vers_build_from_registry(struct build *b, const struct vers_df_instr *in, const char *ref,
                             const char *label, vers_error_t *err)
{
        struct vers_imageref r;
        if (vers_imageref_parse(ref, &r, err) < 0)
                return vers_error_wrap(err, "%s:%ld:%ld: FROM %s", b->file, in->line, in->args_col,
                                       ref);
        int ret = -1;
        _cleanup_close_ int lockfd = -1;
        _cleanup_free_ char *canonical = vers_imageref_canonical(&r);
        char tag[VERS_HASH_HEX + 1];
        vers_sha256_hex(canonical, strlen(canonical), tag);
        _cleanup_free_ char *dir = vers_build_cache_dir();
        _cleanup_free_ char *layout = xasprintf("%s/oci", dir);
        _cleanup_free_ char *lockfile = xasprintf("%s/oci.lock", dir);
        /* every cleanup variable before the first goto: none is jumped over */
        _cleanup_free_ char *digest = NULL, *image = NULL, *full = NULL, *gc_out = NULL;
        if (strchr(layout, ':')) {
                vers_make_error(err, 0, "VERS_CACHE '%s': skopeo takes no ':' in a layout's path",
                                dir);
                goto out;
        }
        if (vers_mkdir_p(dir, 0755, err) < 0 || lock_layout(lockfile, &lockfd, err) < 0 ||
            layout_lookup(layout, tag, &digest, err) < 0)
                goto wrap;
        if (!digest || b->o->pull) {
                _cleanup_free_ char *where =
                    xasprintf("%s:%ld:%ld: FROM %s", b->file, in->line, in->args_col, ref);
                struct pull p = {b, where, &r, layout, tag};
                if (pull(&p, err) < 0)
                        goto out;
                free(digest);
                if (layout_lookup(layout, tag, &digest, err) < 0)
                        goto wrap;
                if (!digest) {
                        vers_make_error(err, 0, "skopeo left no manifest for it in '%s'", layout);
                        goto wrap;
                }
                /* a tag pulled again may leave its old image's blobs unreferenced */
                char *gc[] = {"umoci", "gc", "--layout", layout, NULL};
                vers_run(gc, &gc_out, NULL);
        }
        if (read_image_config(b, layout, digest, ref, err) < 0)
                goto wrap;
        build_key_t key;
        vers_build_key_registry(digest, key);
        image = xasprintf("%s:%s", layout, tag);
        full = xasprintf("%s (%.19s)", label, digest);
        struct unpack u = {image, ref, digest};
        ret = vers_build_layer(b, full, key, apply_registry, &u, false, NULL, err);
        goto out;
wrap:
        vers_error_wrap(err, "%s:%ld:%ld: FROM %s", b->file, in->line, in->args_col, ref);
out:
        vers_imageref_clear(&r);
        return ret < 0 ? -1 : ret;
}

/* ---- vers pull --------------------------------------------------------------------------- */

int vers_registry_pull(struct vers_ctx *ctx, const char *ref, char **image, char **digest,
                       int *lockfd, vers_error_t *err)
{
        *image = *digest = NULL;
        *lockfd = -1;
        struct vers_imageref r;
        if (vers_imageref_parse(ref, &r, err) < 0)
                return vers_error_wrap(err, "'%s'", ref);
        int ret = -1;
        _cleanup_free_ char *canonical = vers_imageref_canonical(&r);
        char tag[VERS_HASH_HEX + 1];
        vers_sha256_hex(canonical, strlen(canonical), tag);
        _cleanup_free_ char *dir = vers_build_cache_dir();
        _cleanup_free_ char *layout = xasprintf("%s/oci", dir);
        _cleanup_free_ char *lockfile = xasprintf("%s/oci.lock", dir);
        _cleanup_free_ char *where = xasprintf("'%s'", ref);
        _cleanup_free_ char *gc_out = NULL;
        struct vers_build_opts o = {0};
        struct build b = {.ctx = ctx, .o = &o, .file = "vers pull"};
        if (strchr(layout, ':')) {
                vers_make_error(err, 0, "VERS_CACHE '%s': skopeo takes no ':' in a layout's path",
                                dir);
                goto out;
        }
        if (vers_mkdir_p(dir, 0755, err) < 0 || lock_layout(lockfile, lockfd, err) < 0)
                goto out;
        struct pull p = {&b, where, &r, layout, tag};
        if (pull(&p, err) < 0 || layout_lookup(layout, tag, digest, err) < 0)
                goto out;
        if (!*digest) {
                vers_make_error(err, 0, "skopeo left no manifest for '%s' in '%s'", ref, layout);
                goto out;
        }
        char *gc[] = {"umoci", "gc", "--layout", layout, NULL};
        vers_run(gc, &gc_out, NULL);
        *image = xasprintf("%s:%s", layout, tag);
        ret = 0;
out:
        if (ret < 0 && *lockfd >= 0) {
                close(*lockfd);
                *lockfd = -1;
        }
        vers_imageref_clear(&r);
        return ret;
}
