/* export — one image layer: a tar of a tree minus the tree below it.
 *
 * Both trees are walked in name order through directory fds (O_NOFOLLOW: a link in either
 * tree is written as a link, never followed). btrfs snapshots keep inode numbers, ctime and
 * mtime, so an entry of upper whose (ino, ctime, mtime, size, mode, uid, gid) equal lower's is
 * the same file; anything else is written whole. A name lower has and upper lacks becomes an
 * OCI whiteout, ".wh.NAME". The tar is pax (restricted: plain ustar headers unless a name or
 * value needs more), without atime, ctime, user or group names, with whole-second mtimes and
 * ids shifted back to 0..65535: the same trees give the same bytes, so the same digest.
 */
#include "ship/ship.h"
#include "ship/lazylib.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static bool env_id(const struct vers_idmap *m, bool gid, uint32_t host)
{
        return host == (gid ? m->root_gid : m->root_uid) ||
               (host > m->base && host < m->base + VERS_IDMAP_COUNT);
}

/* An id outside the range is the host's: a file vers itself put in the tree (/.vers/init, a
 * mount point), which nothing in the env can write. It is root's in the image, so that no
 * user there can either (nobody's would let uid 65534 rewrite the entrypoint). */
uint32_t vers_ship_unshift(const struct vers_idmap *m, bool gid, uint32_t host)
{
        if (host == (gid ? m->root_gid : m->root_uid) || !env_id(m, gid, host))
                return 0;
        return host - m->base;
}

struct link {
        ino_t ino;
        char *path;
};

struct writer {
        struct archive *a;
        const struct vers_ship_layer_opts *o;
        int fd;
        EVP_MD_CTX *md;
        uint64_t size;
        size_t entries;
        struct link *links;
        size_t nlinks;
        char buf[1 << 16];
        vers_error_t *err;
        int failed; /* an error is set */
};

static la_ssize_t w_write(struct archive *a, void *arg, const void *buf, size_t n)
{
        struct writer *w = arg;
        if (vers_write_all(w->fd, buf, n) < 0) {
                archive_set_error(a, errno, "%s", strerror(errno));
                return -1;
        }
        EVP_DigestUpdate(w->md, buf, n);
        w->size += n;
        return (la_ssize_t)n;
}

static int fail_archive(struct writer *w, const char *path)
{
        if (!w->failed)
                vers_make_error(w->err, 0, "cannot write the layer at '%s': %s", path,
                                archive_error_string(w->a) ? archive_error_string(w->a) : "?");
        w->failed = 1;
        return -1;
}

static bool skipped(const struct writer *w, const char *rel)
{
        for (char *const *s = w->o->skip; s && *s; s++)
                if (!strcmp(*s, rel))
                        return true;
        return false;
}

static bool same(const struct stat *a, const struct stat *b)
{
        return a->st_ino == b->st_ino && a->st_mode == b->st_mode && a->st_uid == b->st_uid &&
               a->st_gid == b->st_gid && a->st_size == b->st_size &&
               a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
               a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static int names_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the names in dirfd (not . and ..), sorted; fd stays open */
static int list_dir(int dirfd, char ***out, vers_error_t *err)
{
        *out = NULL;
        int fd = dup(dirfd);
        if (fd < 0)
                return vers_make_error(err, errno, "dup");
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return vers_make_error(err, errno, "fdopendir");
        }
        rewinddir(d);
        char **v = NULL;
        struct dirent *de;
        errno = 0;
        while ((de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                strv_push(&v, de->d_name);
        }
        int e = errno;
        closedir(d);
        if (e) {
                strv_free(v);
                return vers_make_error(err, e, "readdir");
        }
        if (v)
                qsort(v, strv_len(v), sizeof *v, names_cmp);
        *out = v;
        return 0;
}

static int add_header(struct writer *w, struct archive_entry *e, const char *path)
{
        if (archive_write_header(w->a, e) != ARCHIVE_OK)
                return fail_archive(w, path);
        w->entries++;
        return 0;
}

static int whiteout(struct writer *w, const char *dir, const char *name)
{
        _cleanup_free_ char *p = xasprintf("%s%s.wh.%s", dir, *dir ? "/" : "", name);
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, p);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0);
        archive_entry_set_size(e, 0);
        archive_entry_set_uid(e, 0);
        archive_entry_set_gid(e, 0);
        archive_entry_set_mtime(e, 0, 0);
        int r = add_header(w, e, p);
        archive_entry_free(e);
        return r;
}

static int copy_data(struct writer *w, int dirfd, const char *name, const char *path)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                w->failed = 1;
                return vers_make_error(w->err, errno, "cannot open '%s'", path);
        }
        for (;;) {
                ssize_t n = read(fd, w->buf, sizeof w->buf);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        w->failed = 1;
                        return vers_make_error(w->err, errno, "cannot read '%s'", path);
                }
                if (n == 0)
                        return 0;
                if (archive_write_data(w->a, w->buf, (size_t)n) != n)
                        return fail_archive(w, path);
        }
}

/* A sparse file costs an env nothing and the layer its whole size (a tar has no holes):
 * one that would leave the layer's file system with less than LAYER_RESERVE free is refused
 * before it is written, instead of filling that file system (VERS_CACHE's, often the host's
 * root). Files below LAYER_CHECK_MIN are not asked about. */
#define LAYER_CHECK_MIN (1 << 20)
#define LAYER_RESERVE (256ULL << 20)

static int too_big(struct writer *w, const char *path, const struct stat *st)
{
        struct statvfs vs;
        if (st->st_size < LAYER_CHECK_MIN || fstatvfs(w->fd, &vs) < 0)
                return 0;
        uint64_t avail = (uint64_t)vs.f_bavail * vs.f_frsize;
        if ((uint64_t)st->st_size + LAYER_RESERVE <= avail)
                return 0;
        w->failed = 1;
        return vers_make_error(w->err, ENOSPC,
                               "'%s' is %.1f GiB (%.1f MiB on disk): the layer would not fit in "
                               "the %.1f GiB free where it is written",
                               path, (double)st->st_size / (1 << 30),
                               (double)st->st_blocks * 512 / (1 << 20), (double)avail / (1 << 30));
}

static int write_entry(struct writer *w, int dirfd, const char *name, const char *path,
                       const struct stat *st)
{
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, path);
        /* a host file is root's in the image: never setuid or setgid there */
        bool host_owned =
            !env_id(w->o->idmap, false, st->st_uid) || !env_id(w->o->idmap, true, st->st_gid);
        archive_entry_set_mode(e, host_owned ? st->st_mode & ~(mode_t)(S_ISUID | S_ISGID)
                                             : st->st_mode);
        archive_entry_set_uid(e, vers_ship_unshift(w->o->idmap, false, st->st_uid));
        archive_entry_set_gid(e, vers_ship_unshift(w->o->idmap, true, st->st_gid));
        archive_entry_set_mtime(e, st->st_mtim.tv_sec, 0);
        int r = 0;
        if (S_ISREG(st->st_mode) && st->st_nlink > 1) {
                for (size_t i = 0; i < w->nlinks; i++) {
                        if (w->links[i].ino == st->st_ino) {
                                archive_entry_set_hardlink(e, w->links[i].path);
                                archive_entry_set_size(e, 0);
                                r = add_header(w, e, path);
                                archive_entry_free(e);
                                return r;
                        }
                }
                w->links = xrealloc(w->links, (w->nlinks + 1) * sizeof *w->links);
                w->links[w->nlinks].ino = st->st_ino;
                w->links[w->nlinks++].path = xstrdup(path);
        }
        if (S_ISLNK(st->st_mode)) {
                char target[4096];
                ssize_t n = readlinkat(dirfd, name, target, sizeof target - 1);
                if (n < 0) {
                        archive_entry_free(e);
                        w->failed = 1;
                        return vers_make_error(w->err, errno, "cannot read the link '%s'", path);
                }
                target[n] = '\0';
                archive_entry_set_symlink(e, target);
        }
        if (S_ISREG(st->st_mode))
                archive_entry_set_size(e, st->st_size);
        if (S_ISREG(st->st_mode) && too_big(w, path, st) < 0) {
                archive_entry_free(e);
                return -1;
        }
        r = add_header(w, e, path);
        if (r == 0 && S_ISREG(st->st_mode) && st->st_size > 0)
                r = copy_data(w, dirfd, name, path);
        archive_entry_free(e);
        return r;
}

/* upper's directory ufd (at path rel, "" for the root) minus lower's lfd (-1: none) */
static int walk(struct writer *w, int ufd, int lfd, const char *rel)
{
        _cleanup_strv_ char **un = NULL, **ln = NULL;
        if (list_dir(ufd, &un, w->err) < 0 || (lfd >= 0 && list_dir(lfd, &ln, w->err) < 0)) {
                w->failed = 1;
                return vers_error_wrap(w->err, "'%s'", *rel ? rel : "/");
        }
        /* both lists in order, merged: whiteouts where upper lacks a name of lower */
        size_t i = 0, j = 0, nu = un ? strv_len(un) : 0, nl = ln ? strv_len(ln) : 0;
        while (i < nu || j < nl) {
                int c = i >= nu ? 1 : j >= nl ? -1 : strcmp(un[i], ln[j]);
                if (c > 0) {
                        if (whiteout(w, rel, ln[j++]) < 0)
                                return -1;
                        continue;
                }
                const char *name = un[i++];
                if (c == 0)
                        j++;
                _cleanup_free_ char *path = xasprintf("%s%s%s", rel, *rel ? "/" : "", name);
                struct stat us, ls;
                if (fstatat(ufd, name, &us, AT_SYMLINK_NOFOLLOW) < 0) {
                        w->failed = 1;
                        return vers_make_error(w->err, errno, "cannot stat '%s'", path);
                }
                bool in_lower = c == 0 && fstatat(lfd, name, &ls, AT_SYMLINK_NOFOLLOW) == 0;
                if (skipped(w, path)) {
                        if (in_lower && whiteout(w, rel, name) < 0)
                                return -1;
                        continue;
                }
                if (S_ISSOCK(us.st_mode) || S_ISCHR(us.st_mode) || S_ISBLK(us.st_mode)) {
                        if (in_lower && whiteout(w, rel, name) < 0)
                                return -1;
                        continue;
                }
                bool unchanged = in_lower && same(&us, &ls);
                if (!unchanged && write_entry(w, ufd, name, path, &us) < 0)
                        return -1;
                if (!S_ISDIR(us.st_mode))
                        continue;
                _cleanup_close_ int cu =
                    openat(ufd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (cu < 0) {
                        w->failed = 1;
                        return vers_make_error(w->err, errno, "cannot open '%s'", path);
                }
                _cleanup_close_ int cl = -1;
                if (in_lower && S_ISDIR(ls.st_mode))
                        cl = openat(lfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (walk(w, cu, cl, path) < 0)
                        return -1;
        }
        return 0;
}

int vers_ship_write_layer(const char *upper, const char *lower, const char *out,
                          const struct vers_ship_layer_opts *o, struct vers_ship_layer *res,
                          vers_error_t *err)
{
        memset(res, 0, sizeof *res);
        _cleanup_close_ int ufd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (ufd < 0)
                return vers_make_error(err, errno, "cannot open '%s'", upper);
        _cleanup_close_ int lfd = -1;
        if (lower && (lfd = open(lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                return vers_make_error(err, errno, "cannot open '%s'", lower);
        struct writer *w = xcalloc(1, sizeof *w);
        w->o = o;
        w->err = err;
        w->fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (w->fd < 0) {
                int e = errno;
                free(w);
                return vers_make_error(err, e, "cannot create '%s'", out);
        }
        w->md = EVP_MD_CTX_new();
        EVP_DigestInit_ex(w->md, EVP_sha256(), NULL);
        w->a = archive_write_new();
        int ret = -1;
        /* names are the file system's bytes, whatever the locale: pax headers say so
         * (hdrcharset=BINARY) instead of converting them, which fails for any name that is
         * not in the locale's charset */
        if (archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
            archive_write_set_format_option(w->a, "pax", "hdrcharset", "BINARY") != ARCHIVE_OK ||
            archive_write_open(w->a, w, NULL, w_write, NULL) != ARCHIVE_OK) {
                fail_archive(w, out);
                goto out;
        }
        if (walk(w, ufd, lfd, "") < 0)
                goto out;
        if (archive_write_close(w->a) != ARCHIVE_OK) {
                fail_archive(w, out);
                goto out;
        }
        if (fsync(w->fd) < 0) {
                vers_make_error(err, errno, "cannot write '%s'", out);
                goto out;
        }
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;
        EVP_DigestFinal_ex(w->md, md, &mdlen);
        strcpy(res->digest, "sha256:");
        for (unsigned int k = 0; k < mdlen && k < 32; k++)
                sprintf(res->digest + 7 + 2 * k, "%02x", md[k]);
        res->size = w->size;
        res->entries = w->entries;
        ret = 0;
out:
        archive_write_free(w->a);
        EVP_MD_CTX_free(w->md);
        close(w->fd);
        for (size_t k = 0; k < w->nlinks; k++)
                free(w->links[k].path);
        free(w->links);
        free(w);
        if (ret < 0)
                unlink(out);
        return ret;
}
