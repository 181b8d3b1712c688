/* bundle — vers bundle create / unbundle: a commit as btrfs send stream, image config and
 * CRIU images in one tar, checked part by part on the way in (see bundle.h). */
#include "ship/bundle.h"
#include "ship/lazylib.h"
#include "base/failpoint.h"
#include "base/hash.h"
#include "base/json.h"
#include "base/names.h"
#include "build/build.h"
#include "os/criu.h"
#include "os/idmap.h"
#include "os/sandbox.h"
#include "os/store.h"
#include "ship/sign.h"
#include "state/meta.h"
#include "state/refs.h"

#include <btrfsutil.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#define MANIFEST_NAME "manifest.json"
#define SIGNATURE_NAME "signature"
#define MANIFEST_MAX (1 << 20)
#define SIGNATURE_MAX 1024
#define MESSAGE_MAX 4096
#define PARTS_MAX 4096
#define PART_NAME_MAX 128
#define IMAGE_PART_MAX (1 << 20)
#define PART_SIZE_MAX (1LL << 40)
/* the host's package list: what a FROM host image's processes map from the bound /usr */
#define HOST_PACKAGES "/var/lib/dpkg/status"

/* ---- the manifest ------------------------------------------------------------------------ */

void vers_bundle_manifest_clear(struct vers_bundle_manifest *m)
{
        free(m->commit);
        free(m->parent);
        free(m->since);
        free(m->tag);
        free(m->message);
        free(m->mode);
        free(m->criu);
        free(m->kernel);
        free(m->host_usr);
        free(m->project);
        for (size_t i = 0; i < m->n_parts; i++)
                free(m->parts[i].name);
        free(m->parts);
        memset(m, 0, sizeof *m);
}

void vers_bundle_result_clear(struct vers_bundle_result *r)
{
        free(r->commit);
        free(r->tag);
        free(r->mode);
        free(r->since);
        memset(r, 0, sizeof *r);
}

static bool is_hex(const char *s, size_t n)
{
        if (strlen(s) != n)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

static bool file_name_ok(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > PART_NAME_MAX || s[0] == '.')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
                            s[i]))
                        return false;
        return true;
}

bool vers_bundle_part_name_ok(const char *name)
{
        if (!strcmp(name, "stream"))
                return true;
        if (str_startswith(name, "image/"))
                return file_name_ok(name + 6) && strcmp(name + 6, "init");
        if (str_startswith(name, "criu/"))
                return file_name_ok(name + 5) && strcmp(name + 5, "criu.pid");
        return false;
}

static bool id_ok(const char *s)
{
        return vers_looks_like_id(s);
}

static bool message_ok(const char *s)
{
        if (strlen(s) > MESSAGE_MAX)
                return false;
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
                        return false;
        return true;
}

static bool version_ok(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > 64)
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] <= ' ' || s[i] > '~')
                        return false;
        return true;
}

static bool path_ok(const char *s)
{
        return s[0] == '/' && strlen(s) < 4096 && message_ok(s) && !strchr(s, '\n');
}

static bool sha_ok(const char *s)
{
        return is_hex(s, 64);
}

/* v is null (*out NULL) or a string that ok() accepts (*out a copy) */
static int opt_string(json_t *v, const char *what, bool (*ok)(const char *), char **out,
                      vers_error_t *err)
{
        *out = NULL;
        if (json_is_null(v))
                return 0;
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
            !ok(json_string_value(v)))
                return vers_make_error(err, 0, "bundle manifest: bad %s", what);
        *out = xstrdup(json_string_value(v));
        return 0;
}

static bool in_u32(json_int_t v)
{
        return v > 0 && v < (json_int_t)UINT32_MAX;
}

int vers_bundle_manifest_parse(const char *text, size_t len, struct vers_bundle_manifest *m,
                               vers_error_t *err)
{
        memset(m, 0, sizeof *m);
        json_error_t je;
        json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
        if (!doc)
                return vers_make_error(err, 0, "bundle manifest is not JSON: %s", je.text);
        json_int_t version = 0, created = 0, base = 0, ruid = 0, rgid = 0;
        json_t *commit, *parent, *since, *tag, *message, *parts, *criu, *usr, *project;
        const char *mode = NULL, *kernel = NULL;
        int own = 0;
        int ret = -1;
        if (json_unpack_ex(doc, &je, JSON_STRICT,
                           "{s:I, s:o, s:o, s:o, s:o, s:o, s:s, s:I,"
                           " s:{s:I, s:I, s:I}, s:{s:b}, s:{s:o, s:s, s:o, s:o}, s:o}",
                           "bundle", &version, "commit", &commit, "parent", &parent, "since",
                           &since, "tag", &tag, "message", &message, "mode", &mode, "created",
                           &created, "idmap", "base", &base, "root_uid", &ruid, "root_gid", &rgid,
                           "image", "own_root", &own, "host", "criu", &criu, "kernel", &kernel,
                           "usr", &usr, "project", &project, "parts", &parts) < 0) {
                vers_make_error(err, 0, "bundle manifest: %s", je.text);
                goto out;
        }
        if (version != VERS_BUNDLE_VERSION) {
                vers_make_error(err, 0, "bundle version %lld is not one this vers reads (%d)",
                                (long long)version, VERS_BUNDLE_VERSION);
                goto out;
        }
        m->version = (int)version;
        if (json_is_null(commit) || opt_string(commit, "commit id", id_ok, &m->commit, err) < 0 ||
            opt_string(parent, "parent id", id_ok, &m->parent, err) < 0 ||
            opt_string(since, "since id", id_ok, &m->since, err) < 0 ||
            opt_string(tag, "tag", vers_tag_valid, &m->tag, err) < 0 ||
            opt_string(message, "message", message_ok, &m->message, err) < 0 ||
            opt_string(criu, "CRIU version", version_ok, &m->criu, err) < 0 ||
            opt_string(usr, "host fingerprint", sha_ok, &m->host_usr, err) < 0 ||
            opt_string(project, "project directory", path_ok, &m->project, err) < 0) {
                if (!*err)
                        vers_make_error(err, 0, "bundle manifest: bad commit id");
                goto out;
        }
        if (strcmp(mode, "cold") && strcmp(mode, "warm")) {
                vers_make_error(err, 0, "bundle manifest: bad mode");
                goto out;
        }
        m->mode = xstrdup(mode);
        if (!version_ok(kernel)) {
                vers_make_error(err, 0, "bundle manifest: bad kernel release");
                goto out;
        }
        m->kernel = xstrdup(kernel);
        if (created < 0) {
                vers_make_error(err, 0, "bundle manifest: bad creation time");
                goto out;
        }
        m->created = created;
        if (base < VERS_IDMAP_MIN_BASE || base > (json_int_t)(UINT32_MAX - VERS_IDMAP_COUNT) ||
            !in_u32(ruid) || !in_u32(rgid)) {
                vers_make_error(err, 0, "bundle manifest: bad id range");
                goto out;
        }
        m->id_base = (uint32_t)base;
        m->root_uid = (uint32_t)ruid;
        m->root_gid = (uint32_t)rgid;
        m->own_root = own;
        if (!json_is_array(parts) || json_array_size(parts) > PARTS_MAX) {
                vers_make_error(err, 0, "bundle manifest: bad parts");
                goto out;
        }
        m->parts = xcalloc(json_array_size(parts) + 1, sizeof *m->parts);
        size_t i;
        json_t *p;
        int streams = 0;
        bool own_marker = false;
        json_array_foreach(parts, i, p)
        {
                const char *name, *sha;
                json_int_t size;
                if (json_unpack_ex(p, &je, JSON_STRICT, "{s:s, s:I, s:s}", "name", &name, "size",
                                   &size, "sha256", &sha) < 0) {
                        vers_make_error(err, 0, "bundle manifest: part %zu: %s", i, je.text);
                        goto out;
                }
                if (!vers_bundle_part_name_ok(name) || !sha_ok(sha) || size < 0 ||
                    size > PART_SIZE_MAX ||
                    (str_startswith(name, "image/") && size > IMAGE_PART_MAX)) {
                        vers_make_error(err, 0, "bundle manifest: bad part %zu", i);
                        goto out;
                }
                for (size_t k = 0; k < m->n_parts; k++)
                        if (!strcmp(m->parts[k].name, name)) {
                                vers_make_error(err, 0, "bundle manifest: part '%s' twice", name);
                                goto out;
                        }
                if (str_startswith(name, "criu/") && strcmp(mode, "warm")) {
                        vers_make_error(err, 0, "bundle manifest: CRIU images of a cold commit");
                        goto out;
                }
                streams += !strcmp(name, "stream");
                own_marker |= !strcmp(name, "image/own-root");
                struct vers_bundle_part *q = &m->parts[m->n_parts++];
                q->name = xstrdup(name);
                q->size = size;
                memcpy(q->sha256, sha, 65);
        }
        if (streams != 1) {
                vers_make_error(err, 0, "bundle manifest: no stream");
                goto out;
        }
        if (own_marker != m->own_root) {
                vers_make_error(err, 0, "bundle manifest: own_root and the image's files differ");
                goto out;
        }
        ret = 0;
out:
        json_decref(doc);
        if (ret < 0)
                vers_bundle_manifest_clear(m);
        return ret;
}

char *vers_bundle_manifest_dump(const struct vers_bundle_manifest *m)
{
        json_t *parts = json_array();
        for (size_t i = 0; i < m->n_parts; i++)
                json_array_append_new(parts, json_pack("{s:s, s:I, s:s}", "name", m->parts[i].name,
                                                       "size", (json_int_t)m->parts[i].size,
                                                       "sha256", m->parts[i].sha256));
        json_t *doc = json_pack(
            "{s:i, s:o, s:o, s:o, s:o, s:o, s:s, s:I, s:{s:I, s:I, s:I}, s:{s:b},"
            " s:{s:o, s:s, s:o, s:o}, s:o}",
            "bundle", m->version, "commit", vers_json_str(m->commit), "parent",
            vers_json_str(m->parent), "since", vers_json_str(m->since), "tag",
            vers_json_str(m->tag), "message", vers_json_str(m->message), "mode", m->mode, "created",
            (json_int_t)m->created, "idmap", "base", (json_int_t)m->id_base, "root_uid",
            (json_int_t)m->root_uid, "root_gid", (json_int_t)m->root_gid, "image", "own_root",
            m->own_root, "host", "criu", vers_json_str(m->criu), "kernel", m->kernel, "usr",
            vers_json_str(m->host_usr), "project", vers_json_str(m->project), "parts", parts);
        char *s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(doc);
        if (!s)
                vers_abort("jansson cannot write a bundle manifest");
        return s;
}

/* ---- what a warm restore depends on, here ------------------------------------------------ */

static int file_sha256(const char *path, char hex[65], int64_t *size, vers_error_t *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return vers_make_error(err, errno, "cannot open '%s'", path);
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
                vers_abort("libcrypto cannot hash");
        static char buf[1 << 16];
        int64_t total = 0;
        for (;;) {
                ssize_t n = read(fd, buf, sizeof buf);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        EVP_MD_CTX_free(md);
                        return vers_make_error(err, errno, "cannot read '%s'", path);
                }
                if (n == 0)
                        break;
                EVP_DigestUpdate(md, buf, (size_t)n);
                total += n;
        }
        unsigned char d[32];
        unsigned int dn = 0;
        EVP_DigestFinal_ex(md, d, &dn);
        EVP_MD_CTX_free(md);
        for (int i = 0; i < 32; i++)
                sprintf(hex + 2 * i, "%02x", d[i]);
        if (size)
                *size = total;
        return 0;
}

/* The host's packages, for an image whose envs bind the host's /usr: a restored process maps
 * its binaries and libraries from there, so they must be the same ones. */
static char *host_usr_fingerprint(void)
{
        char hex[65];
        if (file_sha256(HOST_PACKAGES, hex, NULL, NULL) < 0)
                return NULL;
        return xstrdup(hex);
}

static char *kernel_release(void)
{
        struct utsname u;
        return xstrdup(uname(&u) == 0 ? u.release : "unknown");
}

/* ---- create ------------------------------------------------------------------------------ */

static void add_part(struct vers_bundle_manifest *m, const char *name, const char *path,
                     char ***paths)
{
        m->parts = xrealloc(m->parts, (m->n_parts + 1) * sizeof *m->parts);
        struct vers_bundle_part *p = &m->parts[m->n_parts++];
        memset(p, 0, sizeof *p);
        p->name = xstrdup(name);
        strv_push(paths, path);
}

/* Regular files of dir whose names a bundle may hold as prefix/NAME, sorted. An image's
 * /.vers also holds what branches never read from the image (init, bin/): left out. A CRIU
 * dump must go whole: anything else in it (but the dumping criu's pid) fails. */
static int add_dir_parts(struct vers_bundle_manifest *m, const char *dir, const char *prefix,
                         char ***paths, vers_error_t *err)
{
        struct dirent **names = NULL;
        int n = scandir(dir, &names, NULL, alphasort);
        if (n < 0)
                return vers_make_error(err, errno, "cannot read '%s'", dir);
        bool criu = !strcmp(prefix, "criu");
        int ret = 0;
        for (int i = 0; i < n; i++) {
                const char *base = names[i]->d_name;
                _cleanup_free_ char *name = xasprintf("%s/%s", prefix, base);
                _cleanup_free_ char *path = xasprintf("%s/%s", dir, base);
                struct stat st;
                bool ok = vers_bundle_part_name_ok(name) && lstat(path, &st) == 0 &&
                          S_ISREG(st.st_mode) && (criu || st.st_size <= IMAGE_PART_MAX);
                if (ok)
                        add_part(m, name, path, paths);
                else if (criu && ret == 0 && strcmp(base, ".") && strcmp(base, "..") &&
                         strcmp(base, "criu.pid"))
                        ret = vers_make_error(err, 0,
                                              "the commit's CRIU images hold '%s', which a "
                                              "bundle cannot carry",
                                              base);
                free(names[i]);
        }
        free(names);
        return ret;
}

static int write_entry(struct archive *a, const char *name, const char *data, size_t len,
                       const char *path, int64_t size, vers_error_t *err)
{
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0600);
        archive_entry_set_size(e, path ? size : (la_int64_t)len);
        int r = archive_write_header(a, e);
        archive_entry_free(e);
        if (r != ARCHIVE_OK)
                return vers_make_error(err, 0, "cannot write the bundle: %s",
                                       archive_error_string(a));
        if (!path)
                return archive_write_data(a, data, len) == (la_ssize_t)len
                           ? 0
                           : vers_make_error(err, 0, "cannot write the bundle: %s",
                                             archive_error_string(a));
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return vers_make_error(err, errno, "cannot open '%s'", path);
        static char buf[1 << 16];
        int64_t left = size;
        while (left > 0) {
                ssize_t n = read(fd, buf, sizeof buf);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return vers_make_error(err, n < 0 ? errno : 0, "cannot read '%s'%s", path,
                                               n == 0 ? " (it shrank)" : "");
                if (n > left)
                        n = (ssize_t)left;
                if (archive_write_data(a, buf, (size_t)n) != n)
                        return vers_make_error(err, 0, "cannot write the bundle: %s",
                                               archive_error_string(a));
                left -= n;
        }
        return 0;
}

int vers_bundle_create(struct vers_ctx *ctx, const char *file, const char *commit,
                       const char *since, struct vers_bundle_result *out, vers_error_t *err)
{
        memset(out, 0, sizeof *out);
        double t0 = vers_monotonic();
        struct vers_commit c = {0}, s = {0};
        struct vers_bundle_manifest m = {0};
        _cleanup_strv_ char **paths = NULL;
        _cleanup_free_ char *rnd = vers_random_hex(8);
        _cleanup_free_ char *tmp = xasprintf("%s.%s.tmp", file, rnd);
        _cleanup_free_ char *stream = xasprintf("%s.stream", tmp);
        _cleanup_free_ char *mtext = NULL;
        _cleanup_free_ char *rootfs = NULL, *srootfs = NULL, *cdir = NULL, *criu = NULL;
        _cleanup_free_ char *image = NULL, *sout = NULL, *vdir = NULL, *stext = NULL;
        struct archive *a = NULL;
        int ret = -1;
        if (vers_ready_commit(ctx, commit, &c, err) < 0 ||
            (since && vers_ready_commit(ctx, since, &s, err) < 0))
                goto out;
        if (since && !strcmp(c.id, s.id)) {
                vers_make_error(err, 0, "a commit cannot be incremental on itself");
                goto out;
        }
        rootfs = vers_store_commit_rootfs(&ctx->store, c.id);
        srootfs = since ? vers_store_commit_rootfs(&ctx->store, s.id) : NULL;
        cdir = vers_store_commit_dir(&ctx->store, c.id);
        criu = xasprintf("%s/criu", cdir);
        image = c.image ? vers_store_image_path(&ctx->store, c.image) : NULL;
        if (!image || !vers_subvol_is(image)) {
                vers_make_error(err, 0, "commit '%s' has no image here", commit);
                goto out;
        }
        bool warm = c.mode && !strcmp(c.mode, "warm") && vers_criu_images_complete(criu);
        m.version = VERS_BUNDLE_VERSION;
        m.commit = xstrdup(c.id);
        m.parent = c.parent ? xstrdup(c.parent) : NULL;
        m.since = since ? xstrdup(s.id) : NULL;
        m.tag = c.tag ? xstrdup(c.tag) : NULL;
        m.message = c.message ? xstrdup(c.message) : NULL;
        m.mode = xstrdup(warm ? "warm" : "cold");
        m.created = c.created;
        m.id_base = ctx->idmap.base;
        m.root_uid = ctx->idmap.root_uid;
        m.root_gid = ctx->idmap.root_gid;
        m.own_root = vers_exists_in_root(image, VERS_OWN_ROOT_MARKER);
        const struct vers_criu_info *ci = vers_criu_probe();
        m.criu = ci->version ? xstrdup(ci->version) : NULL;
        m.kernel = kernel_release();
        m.host_usr = m.own_root ? NULL : host_usr_fingerprint();
        m.project = warm && c.project ? xstrdup(c.project) : NULL;

        vers_progress(ctx, "bundle: sending commit %s%s%s", c.id, since ? " incremental on " : "",
                      since ? s.id : "");
        /* protocol 1: what unbundle reads (vers_bundle_stream_check) */
        char *send[] = {"btrfs", "send", "-q",   "--proto",
                        "1",     "-f",   stream, srootfs ? "-p" : rootfs,
                        srootfs, rootfs, NULL};
        if (!srootfs)
                send[8] = NULL;
        int st = vers_run(send, &sout, err);
        if (st != 0) {
                if (st > 0)
                        vers_make_error(err, 0, "btrfs send failed: %s",
                                        sout ? str_first_line(sout) : "");
                goto out;
        }
        add_part(&m, "stream", stream, &paths);
        vdir = xasprintf("%s/.vers", image);
        if (add_dir_parts(&m, vdir, "image", &paths, err) < 0 ||
            (warm && add_dir_parts(&m, criu, "criu", &paths, err) < 0))
                goto out;
        for (size_t i = 0; i < m.n_parts; i++)
                if (file_sha256(paths[i], m.parts[i].sha256, &m.parts[i].size, err) < 0)
                        goto out;
        mtext = vers_bundle_manifest_dump(&m);
        char priv[VERS_ED25519_HEX + 1], pub[VERS_ED25519_HEX + 1], sig[VERS_ED25519_SIG_HEX + 1];
        if (vers_root_key(ctx->root, priv, pub, err) < 0)
                goto out;
        int sr = vers_ed25519_sign(priv, mtext, strlen(mtext), sig, err);
        OPENSSL_cleanse(priv, sizeof priv);
        if (sr < 0)
                goto out;
        json_t *sj = json_pack("{s:s, s:s}", "key", pub, "sig", sig);
        stext = json_dumps(sj, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(sj);

        a = archive_write_new();
        if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
            archive_write_open_filename(a, tmp) != ARCHIVE_OK) {
                vers_make_error(err, 0, "cannot write '%s': %s", tmp, archive_error_string(a));
                goto out;
        }
        if (write_entry(a, MANIFEST_NAME, mtext, strlen(mtext), NULL, 0, err) < 0 ||
            write_entry(a, SIGNATURE_NAME, stext, strlen(stext), NULL, 0, err) < 0)
                goto out;
        for (size_t i = 0; i < m.n_parts; i++)
                if (write_entry(a, m.parts[i].name, NULL, 0, paths[i], m.parts[i].size, err) < 0)
                        goto out;
        if (archive_write_close(a) != ARCHIVE_OK) {
                vers_make_error(err, 0, "cannot write '%s': %s", tmp, archive_error_string(a));
                goto out;
        }
        {
                _cleanup_close_ int fd = open(tmp, O_RDONLY | O_CLOEXEC);
                struct stat bst;
                if (fd < 0 || fsync(fd) < 0 || fstat(fd, &bst) < 0) {
                        vers_make_error(err, errno, "cannot write '%s'", tmp);
                        goto out;
                }
                out->bytes = bst.st_size;
        }
        if (rename(tmp, file) < 0) {
                vers_make_error(err, errno, "cannot write '%s'", file);
                goto out;
        }
        out->commit = xstrdup(c.id);
        out->tag = c.tag ? xstrdup(c.tag) : NULL;
        out->mode = xstrdup(m.mode);
        out->since = since ? xstrdup(s.id) : NULL;
        out->seconds = vers_monotonic() - t0;
        ret = 0;
out:
        if (a)
                archive_write_free(a);
        unlink(stream);
        if (ret < 0)
                unlink(tmp);
        vers_bundle_manifest_clear(&m);
        vers_commit_clear(&c);
        vers_commit_clear(&s);
        return ret;
}

/* ---- unbundle ---------------------------------------------------------------------------- */

/* The commit of this root that was received as the sender's commit sender_id: 1 (*id set),
 * 0 none. Its commits/<id>/origin says which commit it was there. */
static int find_received(struct vers_ctx *ctx, const char *sender_id, char **id, vers_error_t *err)
{
        struct vers_commit *cs = NULL;
        size_t n = 0;
        *id = NULL;
        if (vers_meta_list_ready_commits(&ctx->meta, false, &cs, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n && !*id; i++) {
                _cleanup_free_ char *dir = vers_store_commit_dir(&ctx->store, cs[i].id);
                _cleanup_free_ char *path = xasprintf("%s/origin", dir);
                _cleanup_free_ char *text = NULL;
                if (vers_path_exists(path) && vers_read_file(path, &text, NULL, NULL) == 0 &&
                    !strcmp(str_first_line(text), sender_id))
                        *id = xstrdup(cs[i].id);
        }
        vers_commits_free(cs, n);
        return *id ? 1 : 0;
}

/* Read the current entry (size bytes) into path, hashing it; checks size and hash. */
static int extract_part(struct archive *a, const struct vers_bundle_part *p, const char *path,
                        vers_error_t *err)
{
        _cleanup_close_ int fd =
            open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return vers_make_error(err, errno, "cannot create '%s'", path);
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
                vers_abort("libcrypto cannot hash");
        static char buf[1 << 16];
        int64_t total = 0;
        int ret = 0;
        for (;;) {
                la_ssize_t n = archive_read_data(a, buf, sizeof buf);
                if (n < 0) {
                        ret = vers_make_error(err, 0, "bundle part '%s': %s", p->name,
                                              archive_error_string(a));
                        break;
                }
                if (n == 0)
                        break;
                total += n;
                if (total > p->size) {
                        ret = vers_make_error(
                            err, 0, "bundle part '%s' is larger than its manifest says", p->name);
                        break;
                }
                EVP_DigestUpdate(md, buf, (size_t)n);
                if (vers_write_all(fd, buf, (size_t)n) < 0) {
                        ret = vers_make_error(err, errno, "cannot write '%s'", path);
                        break;
                }
        }
        unsigned char d[32];
        unsigned int dn = 0;
        EVP_DigestFinal_ex(md, d, &dn);
        EVP_MD_CTX_free(md);
        if (ret < 0)
                return -1;
        char hex[65];
        for (int i = 0; i < 32; i++)
                sprintf(hex + 2 * i, "%02x", d[i]);
        if (total != p->size)
                return vers_make_error(err, 0,
                                       "bundle part '%s' is %lld bytes, its manifest says %lld",
                                       p->name, (long long)total, (long long)p->size);
        if (strcmp(hex, p->sha256))
                return vers_make_error(err, 0,
                                       "bundle part '%s' does not match its SHA-256 in the "
                                       "manifest (damaged or altered)",
                                       p->name);
        return 0;
}

/* The current entry, whole, into memory (at most max bytes). */
static int read_small(struct archive *a, struct archive_entry *e, size_t max, char **out,
                      size_t *len, vers_error_t *err)
{
        const char *name = archive_entry_pathname(e);
        if (archive_entry_filetype(e) != AE_IFREG || !archive_entry_size_is_set(e) ||
            archive_entry_size(e) < 0 || (size_t)archive_entry_size(e) > max)
                return vers_make_error(err, 0, "bundle: '%s' is not a file of at most %zu bytes",
                                       name ? name : "?", max);
        size_t n = (size_t)archive_entry_size(e);
        char *buf = xmalloc(n + 1);
        la_ssize_t r = n ? archive_read_data(a, buf, n) : 0;
        if (r != (la_ssize_t)n) {
                free(buf);
                return vers_make_error(err, 0, "bundle: cannot read '%s': %s", name,
                                       r < 0 ? archive_error_string(a) : "truncated");
        }
        buf[n] = '\0';
        *out = buf;
        *len = n;
        return 0;
}

/* Why the bundle's warm images cannot be kept here; NULL: they can. */
static char **warm_refusals(struct vers_ctx *ctx, const struct vers_bundle_manifest *m,
                            const char *sig_problem)
{
        char **why = NULL;
        if (sig_problem)
                strv_push(&why, sig_problem);
        const struct vers_criu_info *ci = vers_criu_probe();
        _cleanup_free_ char *kernel = kernel_release();
        if (!ci->usable) {
                _cleanup_free_ char *s = xasprintf("CRIU is not usable here (%s)", ci->why);
                strv_push(&why, s);
        } else if (!m->criu || !ci->version || strcmp(m->criu, ci->version)) {
                _cleanup_free_ char *s = xasprintf("it was dumped by CRIU %s, this machine has %s",
                                                   m->criu ? m->criu : "(unknown)",
                                                   ci->version ? ci->version : "(unknown)");
                strv_push(&why, s);
        }
        if (strcmp(m->kernel, kernel)) {
                _cleanup_free_ char *s =
                    xasprintf("it was dumped on kernel %s, this one is %s", m->kernel, kernel);
                strv_push(&why, s);
        }
        if (m->id_base != ctx->idmap.base || m->root_uid != ctx->idmap.root_uid ||
            m->root_gid != ctx->idmap.root_gid) {
                _cleanup_free_ char *s =
                    xasprintf("its env ids start at host id %u there, %u in this root (CRIU "
                              "restores the dumped uid maps as they were)",
                              m->id_base, ctx->idmap.base);
                strv_push(&why, s);
        }
        /* CRIU binds the mounts it dumped from the same host paths: the env's project */
        if (m->project && (!ctx->project_dir || strcmp(m->project, ctx->project_dir))) {
                _cleanup_free_ char *s = xasprintf(
                    "its processes have project directory '%s' bound in, this project is '%s'",
                    m->project, ctx->project_dir ? ctx->project_dir : "(none)");
                strv_push(&why, s);
        }
        if (!m->own_root) {
                _cleanup_free_ char *here = host_usr_fingerprint();
                if (!m->host_usr || !here || strcmp(here, m->host_usr))
                        strv_push(&why, "its image uses the host's /usr, and this host's "
                                        "packages (" HOST_PACKAGES ") differ");
        }
        return why;
}

/* The key of the image an unbundle makes: its files' names and hashes. */
static char *image_key(const struct vers_bundle_manifest *m)
{
        struct vers_hash h;
        vers_hash_init(&h);
        vers_hash_str(&h, "vers bundle image");
        for (size_t i = 0; i < m->n_parts; i++)
                if (str_startswith(m->parts[i].name, "image/")) {
                        vers_hash_str(&h, m->parts[i].name);
                        vers_hash_str(&h, m->parts[i].sha256);
                }
        char hex[VERS_HASH_HEX + 1];
        vers_hash_hex(&h, hex);
        return xasprintf("bundle:%s", hex);
}

/* A ready image of this root with key key whose subvolume is there: *id, or NULL. */
static int find_image(struct vers_ctx *ctx, const char *key, char **id, vers_error_t *err)
{
        struct vers_image *is = NULL;
        size_t n = 0;
        *id = NULL;
        if (vers_meta_list_images(&ctx->meta,
                                  &(struct vers_meta_query){.name = key, .states = VERS_Q_READY},
                                  &is, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n && !*id; i++) {
                _cleanup_free_ char *p = vers_store_image_path(&ctx->store, is[i].id);
                if (vers_subvol_is(p))
                        *id = xstrdup(is[i].id);
        }
        vers_images_free(is, n);
        return 0;
}

/* Check the signature entry: NULL when it verifies with a key this root trusts, else why. */
static char *signature_problem(struct vers_ctx *ctx, const char *stext, const char *mtext,
                               size_t mlen)
{
        if (!stext)
                return xstrdup("the bundle is not signed");
        json_error_t je;
        json_t *sj = json_loads(stext, JSON_REJECT_DUPLICATES, &je);
        const char *key = NULL, *sig = NULL;
        char *why = NULL;
        if (!sj ||
            json_unpack_ex(sj, &je, JSON_STRICT, "{s:s, s:s}", "key", &key, "sig", &sig) < 0 ||
            !is_hex(key, VERS_ED25519_HEX) || !is_hex(sig, VERS_ED25519_SIG_HEX))
                why = xstrdup("its signature is malformed");
        else if (!vers_ed25519_verify(key, mtext, mlen, sig))
                why = xstrdup("its signature does not verify (the manifest was altered)");
        else if (!vers_key_trusted(ctx->root, key))
                why = xasprintf("it is signed by key %s%.16s..., which this root does not trust "
                                "(see 'vers bundle trust')",
                                VERS_KEY_PREFIX, key);
        json_decref(sj);
        return why;
}

static int write_origin(const char *cdir, const char *sender_id, vers_error_t *err)
{
        _cleanup_free_ char *path = xasprintf("%s/origin", cdir);
        _cleanup_free_ char *text = xasprintf("%s\n", sender_id);
        return vers_write_file_atomic(path, text, strlen(text), 0600, err);
}

/* ---- the send stream --------------------------------------------------------------------- */

/* btrfs send's stream, version 1 (btrfs-progs send.h; no header of it is installed): a magic
 * and version, then commands (u32 length, u16 command, u32 crc) of TLV attributes (u16 type,
 * u16 length). btrfs receive --chroot confines the paths it writes, but it opens a snapshot's
 * parent and a clone's source anywhere on the filesystem, by UUID, and a clone's source path
 * inside it: a crafted stream could copy any file of the store into the commit. So before
 * receive runs, vers reads the stream's commands: one subvolume (full) or one snapshot of the
 * expected parent (incremental), clones only from that subvolume or its parent, and no path
 * that is absolute or has a '..' component. */
#define STREAM_MAGIC "btrfs-stream"
enum {
        SEND_C_SUBVOL = 1,
        SEND_C_SNAPSHOT = 2,
        SEND_C_LINK = 10,
        SEND_C_CLONE = 16,
        SEND_C_END = 21,
        SEND_A_UUID = 1,
        SEND_A_PATH = 15,
        SEND_A_PATH_TO = 16,
        SEND_A_PATH_LINK = 17,
        SEND_A_CLONE_UUID = 20,
        SEND_A_CLONE_PATH = 22,
};
#define STREAM_CMD_MAX (1 << 20)

static uint32_t le32(const unsigned char *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const unsigned char *p)
{
        return (uint16_t)(p[0] | p[1] << 8);
}

static bool stream_path_ok(const unsigned char *p, size_t n)
{
        if (p[0] == '/' || memchr(p, '\0', n))
                return false;
        for (size_t i = 0; i < n;) {
                size_t j = i;
                while (j < n && p[j] != '/')
                        j++;
                if (j - i == 2 && p[i] == '.' && p[i + 1] == '.')
                        return false;
                i = j + 1;
        }
        return true;
}

static bool read_full(FILE *f, void *buf, size_t n)
{
        return fread(buf, 1, n, f) == n;
}

int vers_bundle_stream_check(const char *path, const uint8_t *parent, vers_error_t *err)
{
        _cleanup_fclose_ FILE *f = fopen(path, "rbe");
        if (!f)
                return vers_make_error(err, errno, "cannot open '%s'", path);
        unsigned char head[sizeof STREAM_MAGIC + 4];
        if (!read_full(f, head, sizeof head) || memcmp(head, STREAM_MAGIC, sizeof STREAM_MAGIC))
                return vers_make_error(err, 0, "the bundle's stream is not a btrfs send stream");
        if (le32(head + sizeof STREAM_MAGIC) != 1)
                return vers_make_error(err, 0, "the bundle's stream is version %u (vers reads 1)",
                                       le32(head + sizeof STREAM_MAGIC));
        _cleanup_free_ unsigned char *buf = xmalloc(STREAM_CMD_MAX);
        uint8_t self[16];
        int subvols = 0;
        for (;;) {
                unsigned char ch[10];
                if (!read_full(f, ch, sizeof ch))
                        return vers_make_error(err, 0, "the bundle's stream ends before its end");
                uint32_t len = le32(ch);
                uint16_t cmd = le16(ch + 4);
                if (len > STREAM_CMD_MAX || !read_full(f, buf, len))
                        return vers_make_error(err, 0, "the bundle's stream has a bad command");
                if (cmd == SEND_C_END)
                        break;
                const unsigned char *uuid = NULL, *clone_uuid = NULL;
                for (uint32_t at = 0; at < len;) {
                        if (len - at < 4)
                                return vers_make_error(err, 0,
                                                       "the bundle's stream has a bad attribute");
                        uint16_t type = le16(buf + at), n = le16(buf + at + 2);
                        const unsigned char *v = buf + at + 4;
                        if (n > len - at - 4)
                                return vers_make_error(err, 0,
                                                       "the bundle's stream has a bad attribute");
                        bool is_path = type == SEND_A_PATH || type == SEND_A_PATH_TO ||
                                       type == SEND_A_CLONE_PATH ||
                                       (type == SEND_A_PATH_LINK && cmd == SEND_C_LINK);
                        /* "" is the subvolume's own root (its owner, mode, times) */
                        if (is_path && n > 0 && !stream_path_ok(v, n))
                                return vers_make_error(
                                    err, 0, "the bundle's stream names a path outside its tree");
                        if (type == SEND_A_UUID && n == 16)
                                uuid = v;
                        if (type == SEND_A_CLONE_UUID && n == 16)
                                clone_uuid = v;
                        at += 4 + n;
                }
                if (cmd == SEND_C_SUBVOL || cmd == SEND_C_SNAPSHOT) {
                        if (subvols++ || !uuid || (cmd == SEND_C_SNAPSHOT) != (parent != NULL) ||
                            (parent && (!clone_uuid || memcmp(clone_uuid, parent, 16))))
                                return vers_make_error(
                                    err, 0, "the bundle's stream is not one %s",
                                    parent ? "snapshot of the commit it is incremental on"
                                           : "full subvolume");
                        memcpy(self, uuid, 16);
                } else if (!subvols)
                        return vers_make_error(err, 0,
                                               "the bundle's stream does not start a subvolume");
                if (cmd == SEND_C_CLONE &&
                    (!clone_uuid ||
                     (memcmp(clone_uuid, self, 16) && (!parent || memcmp(clone_uuid, parent, 16)))))
                        return vers_make_error(err, 0,
                                               "the bundle's stream clones from another subvolume");
        }
        return 0;
}

/* Device nodes: an env never makes one (its /dev is vers's, and its root cannot mknod), so
 * one in a received tree was put in the stream, and an env's root could open it (a block
 * device of the host's disk) on the store, which is not mounted nodev. They go, as a pulled
 * image's do. */
static int remove_devices(struct vers_ctx *ctx, const char *path, vers_error_t *err)
{
        size_t n = 0;
        if (vers_remove_device_nodes(path, &n, err) < 0)
                return vers_error_wrap(err, "the bundle's disk");
        if (n)
                vers_notice(ctx,
                            "%zu device node%s of the bundle's disk left out (an env's /dev is "
                            "vers's)",
                            n, n == 1 ? "" : "s");
        return 0;
}

/* The received subvolume is what btrfs receive made of the stream: one read-only subvolume
 * 'rootfs' (the sender's name), with a received UUID, and nothing else. */
static int check_received(const char *recv, vers_error_t *err)
{
        DIR *d = opendir(recv);
        if (!d)
                return vers_make_error(err, errno, "cannot read '%s'", recv);
        struct dirent *de;
        int others = 0;
        while ((de = readdir(d)) != NULL)
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
                    strcmp(de->d_name, "rootfs"))
                        others++;
        closedir(d);
        _cleanup_free_ char *sub = xasprintf("%s/rootfs", recv);
        struct btrfs_util_subvolume_info info;
        static const uint8_t zero[16];
        bool ro = false;
        if (others || !vers_subvol_is(sub) ||
            btrfs_util_subvolume_info(sub, 0, &info) != BTRFS_UTIL_OK ||
            !memcmp(info.received_uuid, zero, 16) ||
            btrfs_util_get_subvolume_read_only(sub, &ro) != BTRFS_UTIL_OK || !ro)
                return vers_make_error(err, 0,
                                       "the bundle's stream made something other than "
                                       "one received read-only subvolume 'rootfs'");
        return 0;
}

int vers_bundle_unbundle(struct vers_ctx *ctx, const char *file, struct vers_bundle_result *out,
                         vers_error_t *err)
{
        memset(out, 0, sizeof *out);
        double t0 = vers_monotonic();
        struct vers_bundle_manifest m = {0};
        struct vers_commit c = {0};
        struct vers_image img = {0};
        _cleanup_free_ char *mtext = NULL, *stext = NULL, *since_local = NULL, *sigwhy = NULL;
        _cleanup_free_ char *cdir = NULL, *idir = NULL;
        _cleanup_strv_ char **refusals = NULL;
        _cleanup_free_ char *already = NULL, *recv = NULL, *stream = NULL, *criu_in = NULL;
        _cleanup_free_ char *ivers = NULL, *rout = NULL, *rsub = NULL, *rootfs = NULL;
        _cleanup_free_ char *criu = NULL, *reuse = NULL;
        bool *seen = NULL;
        uint8_t parent_uuid[16];
        struct archive *a = NULL;
        size_t mlen = 0, slen = 0;
        int ret = -1;
        struct stat fst;
        if (stat(file, &fst) < 0)
                return vers_make_error(err, errno, "cannot open '%s'", file);
        if (!S_ISREG(fst.st_mode))
                return vers_make_error(err, 0, "'%s' is not a file", file);
        a = archive_read_new();
        archive_read_support_format_tar(a);
        if (archive_read_open_filename(a, file, 1 << 16) != ARCHIVE_OK) {
                vers_make_error(err, 0, "'%s' is not a vers bundle: %s", file,
                                archive_error_string(a));
                goto out;
        }
        struct archive_entry *e;
        if (archive_read_next_header(a, &e) != ARCHIVE_OK ||
            strcmp(archive_entry_pathname(e), MANIFEST_NAME)) {
                vers_make_error(err, 0, "'%s' is not a vers bundle (no %s first)", file,
                                MANIFEST_NAME);
                goto out;
        }
        if (read_small(a, e, MANIFEST_MAX, &mtext, &mlen, err) < 0 ||
            vers_bundle_manifest_parse(mtext, mlen, &m, err) < 0) {
                vers_error_wrap(err, "'%s'", file);
                goto out;
        }
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_OK && !strcmp(archive_entry_pathname(e), SIGNATURE_NAME)) {
                if (read_small(a, e, SIGNATURE_MAX, &stext, &slen, err) < 0)
                        goto out;
                r = archive_read_next_header(a, &e);
        }

        /* where it goes */
        if (m.since) {
                int f = find_received(ctx, m.since, &since_local, err);
                if (f < 0)
                        goto out;
                _cleanup_free_ char *pd =
                    f ? vers_store_commit_dir(&ctx->store, since_local) : NULL;
                _cleanup_free_ char *precv = pd ? xasprintf("%s/received/rootfs", pd) : NULL;
                struct btrfs_util_subvolume_info pinfo;
                if (!f || !vers_subvol_is(precv) ||
                    btrfs_util_subvolume_info(precv, 0, &pinfo) != BTRFS_UTIL_OK) {
                        vers_make_error(err, 0,
                                        "this bundle is incremental on commit %s, which this root "
                                        "has not received (unbundle the full bundle of %s first)",
                                        m.since, m.since);
                        goto out;
                }
                memcpy(parent_uuid, pinfo.received_uuid, 16);
        }
        int f = find_received(ctx, m.commit, &already, err);
        if (f < 0)
                goto out;
        if (f) {
                vers_make_error(err, 0, "commit %s is here already (as %s)", m.commit, already);
                goto out;
        }
        if (vers_store_check_room(&ctx->store, err) < 0)
                goto out;
        struct vers_commit probe = {0};
        int taken = vers_meta_get_commit(&ctx->meta, m.commit, &probe, err);
        vers_commit_clear(&probe);
        if (taken < 0)
                goto out;

        /* the image: one this root already made from the same files, else a new one */
        img.key = image_key(&m);
        if (find_image(ctx, img.key, &reuse, err) < 0)
                goto out;

        /* the rows first, pending and ours: recovery undoes them if this process dies */
        img.id = reuse ? xstrdup(reuse) : vers_new_id();
        img.project = ctx->project_dir ? xstrdup(ctx->project_dir) : NULL;
        img.state = xstrdup("pending");
        img.created = (int64_t)vers_now_ms();
        img.owner_pid = getpid();
        img.owner_start = vers_my_start();
        c.id = taken ? vers_new_id() : xstrdup(m.commit);
        c.image = xstrdup(img.id);
        c.project = ctx->project_dir ? xstrdup(ctx->project_dir) : NULL;
        c.message = m.message ? xstrdup(m.message) : NULL;
        c.mode = xstrdup("cold");
        c.state = xstrdup("pending");
        c.created = m.created;
        c.owner_pid = img.owner_pid;
        c.owner_start = img.owner_start;
        if (!reuse && vers_meta_put_image(&ctx->meta, &img, err) < 0)
                goto out;
        if (vers_meta_put_commit(&ctx->meta, &c, err) < 0)
                goto undo;
        cdir = vers_store_commit_dir(&ctx->store, c.id);
        if (vers_failpoint("bundle-after-rows", err) < 0)
                goto undo;
        /* a reused image's files are still read and checked, into the commit's directory */
        idir = reuse ? xasprintf("%s/image.in", cdir) : vers_store_image_path(&ctx->store, img.id);
        recv = xasprintf("%s/received", cdir);
        stream = xasprintf("%s/stream", cdir);
        criu_in = xasprintf("%s/criu.in", cdir);
        ivers = xasprintf("%s/.vers", idir);
        if (mkdir(cdir, 0700) < 0 || mkdir(recv, 0700) < 0 || mkdir(criu_in, 0700) < 0) {
                vers_make_error(err, errno, "cannot create '%s'", cdir);
                goto undo;
        }
        if (reuse && mkdir(idir, 0700) < 0) {
                vers_make_error(err, errno, "cannot create '%s'", idir);
                goto undo;
        }
        if (!reuse && vers_subvol_create(idir, err) < 0)
                goto undo;
        if (mkdir(ivers, 0755) < 0) {
                vers_make_error(err, errno, "cannot create '%s'", ivers);
                goto undo;
        }

        /* every part, listed once, of its size and hash */
        vers_progress(ctx, "bundle: reading commit %s (%s%s%s)", m.commit, m.mode,
                      m.since ? ", incremental on " : "", m.since ? m.since : "");
        seen = xcalloc(m.n_parts + 1, sizeof *seen);
        for (; r == ARCHIVE_OK; r = archive_read_next_header(a, &e)) {
                const char *name = archive_entry_pathname(e);
                size_t k = 0;
                while (k < m.n_parts && strcmp(m.parts[k].name, name ? name : ""))
                        k++;
                if (k == m.n_parts || seen[k] || archive_entry_filetype(e) != AE_IFREG) {
                        vers_make_error(err, 0, "bundle: '%s' is not a part its manifest lists",
                                        name ? name : "?");
                        goto undo;
                }
                /* a sparse entry's holes read back as zeros: a bundle of a few KB would have
                 * the store written full (up to the manifest's size) before the hash fails;
                 * vers bundle create writes none, and each entry is as long as its part */
                if (archive_entry_sparse_count(e) > 0) {
                        vers_make_error(err, 0,
                                        "bundle part '%s' is a sparse tar entry (vers writes "
                                        "none): refused",
                                        name);
                        goto undo;
                }
                if (!archive_entry_size_is_set(e) || archive_entry_size(e) != m.parts[k].size) {
                        vers_make_error(err, 0,
                                        "bundle part '%s' is %lld bytes in the tar, its manifest "
                                        "says %lld",
                                        name, (long long)archive_entry_size(e),
                                        (long long)m.parts[k].size);
                        goto undo;
                }
                seen[k] = true;
                const char *dir = str_startswith(name, "criu/")    ? criu_in
                                  : str_startswith(name, "image/") ? ivers
                                                                   : NULL;
                _cleanup_free_ char *dst =
                    dir ? xasprintf("%s/%s", dir, strchr(name, '/') + 1) : xstrdup(stream);
                if (extract_part(a, &m.parts[k], dst, err) < 0)
                        goto undo;
                if (dir == ivers)
                        chmod(dst, 0644);
        }
        if (r != ARCHIVE_EOF) {
                vers_make_error(err, 0, "bundle: %s", archive_error_string(a));
                goto undo;
        }
        for (size_t k = 0; k < m.n_parts; k++)
                if (!seen[k]) {
                        vers_make_error(err, 0, "bundle: part '%s' is missing", m.parts[k].name);
                        goto undo;
                }
        /* the stream brings the tree whole: the registry base the sender built on (its
         * VERS_BASE_FILE) is not this root's, and export takes the tree as one layer, as a
         * pulled image's; kept, it failed export where that base was never pulled, and chose
         * which of this cache's images' layers went out where one was */
        if (vers_exists_in_root(idir, VERS_BASE_FILE) &&
            vers_unlink_in_root(idir, VERS_BASE_FILE, err) < 0)
                goto undo;

        /* the stream, confined to the fresh directory */
        if (vers_bundle_stream_check(stream, m.since ? parent_uuid : NULL, err) < 0)
                goto undo;
        vers_progress(ctx, "bundle: receiving the disk");
        char *receive[] = {"btrfs", "receive", "-q", "--chroot", "-e", "-f", stream, recv, NULL};
        int st = vers_run(receive, &rout, err);
        unlink(stream);
        if (st != 0) {
                if (st > 0) {
                        char *line = rout ? strstr(rout, "ERROR: ") : NULL;
                        vers_make_error(err, 0, "btrfs receive refused the bundle's stream: %s",
                                        line   ? str_first_line(line + 7)
                                        : rout ? str_first_line(rout)
                                               : "");
                }
                goto undo;
        }
        if (check_received(recv, err) < 0)
                goto undo;
        if (write_origin(cdir, m.commit, err) < 0 ||
            vers_failpoint("bundle-after-receive", err) < 0)
                goto undo;

        /* this root's copy: the sender's ids shifted into this root's range */
        vers_progress(ctx, "bundle: giving the files this root's ids");
        rsub = xasprintf("%s/rootfs", recv);
        rootfs = vers_store_commit_rootfs(&ctx->store, c.id);
        struct vers_idmap from = {m.id_base, m.root_uid, m.root_gid};
        if (vers_subvol_snapshot(rsub, rootfs, false, err) < 0 ||
            remove_devices(ctx, rootfs, err) < 0 ||
            vers_idmap_shift_between(&from, &ctx->idmap, rootfs, err) < 0 ||
            vers_subvol_set_readonly(rootfs, true, err) < 0 ||
            (reuse ? vers_rm_rf(idir, err) : vers_subvol_set_readonly(idir, true, err)) < 0)
                goto undo;

        /* warm only when everything a restore depends on is the same here, and signed */
        sigwhy = signature_problem(ctx, stext, mtext, mlen);
        out->signed_trusted = !sigwhy;
        bool warm = !strcmp(m.mode, "warm");
        /* a cold commit loses nothing unsigned, but an altered manifest is worth saying */
        if (!warm && sigwhy && stext)
                vers_notice(ctx, "bundle '%s': %s", file, sigwhy);
        criu = xasprintf("%s/criu", cdir);
        if (warm) {
                refusals = warm_refusals(ctx, &m, sigwhy);
                if (!refusals && !vers_criu_images_complete(criu_in))
                        strv_push(&refusals, "its CRIU images are incomplete");
                for (size_t i = 0; refusals && refusals[i]; i++)
                        vers_notice(ctx, "commit %s is kept cold: %s", c.id, refusals[i]);
                warm = !refusals;
        }
        if (warm) {
                if (rename(criu_in, criu) < 0) {
                        vers_make_error(err, errno, "cannot rename '%s'", criu_in);
                        goto undo;
                }
                if (vers_criu_give_images(criu, ctx->idmap.root_uid, ctx->idmap.root_gid, err) < 0)
                        goto undo;
        } else if (vers_rm_rf(criu_in, err) < 0)
                goto undo;

        /* names: kept where they are free here */
        if (m.parent && find_received(ctx, m.parent, &c.parent, err) < 0)
                goto undo;
        if (m.tag) {
                vers_error_t terr = NULL;
                if (vers_name_taken(ctx, m.tag, c.project, true, &terr) == 0)
                        c.tag = xstrdup(m.tag);
                else
                        vers_notice(ctx, "commit %s has no tag here: %s", c.id, terr->msg);
                vers_error_free(&terr);
        }
        if (vers_failpoint("bundle-before-ready", err) < 0)
                goto undo;
        free(img.state);
        img.state = xstrdup("ready");
        img.owner_pid = img.owner_start = 0;
        if (!reuse && vers_meta_put_image(&ctx->meta, &img, err) < 0)
                goto undo;
        free(c.state);
        c.state = xstrdup("ready");
        free(c.mode);
        c.mode = xstrdup(warm ? "warm" : "cold");
        c.owner_pid = c.owner_start = 0;
        if (vers_meta_put_commit(&ctx->meta, &c, err) < 0)
                goto undo;
        out->commit = xstrdup(c.id);
        out->tag = c.tag ? xstrdup(c.tag) : NULL;
        out->mode = xstrdup(c.mode);
        out->since = since_local ? xstrdup(since_local) : NULL;
        out->bytes = fst.st_size;
        out->seconds = vers_monotonic() - t0;
        ret = 0;
        goto out;
undo:
        if (cdir) {
                _cleanup_free_ char *rsub2 = xasprintf("%s/received/rootfs", cdir);
                _cleanup_free_ char *rootfs2 = vers_store_commit_rootfs(&ctx->store, c.id);
                vers_subvol_delete(rootfs2, NULL);
                vers_subvol_delete(rsub2, NULL);
                vers_rm_rf(cdir, NULL);
        }
        if (idir && !reuse)
                vers_subvol_delete(idir, NULL);
        if (c.id)
                vers_meta_delete(&ctx->meta, VERS_META_COMMITS, c.id, NULL);
        if (!reuse)
                vers_meta_delete(&ctx->meta, VERS_META_IMAGES, img.id, NULL);
out:
        free(seen);
        if (a)
                archive_read_free(a);
        vers_bundle_manifest_clear(&m);
        vers_commit_clear(&c);
        vers_image_clear(&img);
        return ret;
}

/* ---- keys -------------------------------------------------------------------------------- */

int vers_bundle_key(struct vers_ctx *ctx, char **line, vers_error_t *err)
{
        char pub[VERS_ED25519_HEX + 1];
        if (vers_root_key(ctx->root, NULL, pub, err) < 0)
                return -1;
        *line = xasprintf("%s%s", VERS_KEY_PREFIX, pub);
        return 0;
}

int vers_bundle_trust(struct vers_ctx *ctx, const char *file, char **line, bool *added,
                      vers_error_t *err)
{
        _cleanup_free_ char *text = NULL;
        if (!strcmp(file, "-")) {
                if (vers_read_file("/dev/stdin", &text, NULL, err) < 0)
                        return -1;
        } else if (vers_read_file(file, &text, NULL, err) < 0)
                return -1;
        char pub[VERS_ED25519_HEX + 1];
        if (vers_key_parse(text, pub, err) < 0)
                return vers_error_wrap(err, "'%s'", file);
        if (vers_trust_key(ctx->root, pub, added, err) < 0)
                return -1;
        *line = xasprintf("%s%s", VERS_KEY_PREFIX, pub);
        return 0;
}
