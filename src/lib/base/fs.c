/* fs — reading and replacing files, on the host and inside an env's tree (openat2). */
#include "base/util.h"
#include "base/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

/* Read fd from where it is to its end into *out (at most tail bytes when tail > 0). */
static int read_all(int fd, const char *what, size_t tail, char **out, size_t *len,
                    vers_error_t *err)
{
        struct strbuf sb = STRBUF_INIT;
        char buf[65536];
        for (;;) {
                size_t want = sizeof buf;
                if (tail > 0 && tail - sb.len < want)
                        want = tail - sb.len;
                if (want == 0)
                        break;
                ssize_t n = read(fd, buf, want);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        strbuf_release(&sb);
                        return vers_make_error(err, errno, "cannot read '%s'", what);
                }
                if (n == 0)
                        break;
                strbuf_add(&sb, buf, (size_t)n);
        }
        if (len)
                *len = sb.len;
        *out = strbuf_detach(&sb);
        return 0;
}

int vers_read_file(const char *path, char **out, size_t *len, vers_error_t *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return vers_make_error(err, errno, "cannot open '%s'", path);
        return read_all(fd, path, 0, out, len, err);
}

int vers_read_regular_file(const char *path, size_t max, char **out, size_t *len, vers_error_t *err)
{
        /* O_NONBLOCK: a FIFO planted under the name does not hold the open */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
                return vers_make_error(err, errno, "cannot open '%s'", path);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return vers_make_error(err, errno, "cannot read '%s'", path);
        if (!S_ISREG(st.st_mode))
                return vers_make_error(err, 0, "'%s' is not a regular file", path);
        if ((uint64_t)st.st_size > max)
                return vers_make_error(err, 0, "'%s' is too large (%lld bytes; at most %zu)", path,
                                       (long long)st.st_size, max);
        /* what grows while it is read stops at max + 1 bytes, and is refused */
        size_t got = 0;
        if (read_all(fd, path, max + 1, out, &got, err) < 0)
                return -1;
        if (len)
                *len = got;
        if (got > max) {
                free(*out);
                *out = NULL;
                return vers_make_error(err, 0, "'%s' is too large (at most %zu bytes)", path, max);
        }
        return 0;
}

ssize_t vers_write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;
        size_t left = len;
        while (left > 0) {
                ssize_t n = write(fd, p, left);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -1;
                p += n;
                left -= (size_t)n;
        }
        return (ssize_t)len;
}

/* The temp file of this writer: name.<random>-<n>.tmp beside name, created
 * O_EXCL|O_NOFOLLOW. A name per writer, never per process: two writers of one process (or of
 * two pid namespaces) never share a temp file, so neither can rename the other's half-written
 * one into place. A name already there (planted, or a stale one of a writer that died) is
 * left alone and another one drawn; the temp name is stored in *tmp. */
static int create_temp_at(int dirfd, const char *name, mode_t mode, char **tmp)
{
        static unsigned seq; /* per process; the random part tells processes apart */
        for (int attempt = 0; attempt < 16; attempt++) {
                uint64_t rnd = 0;
                if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd) {
                        struct timespec ts;
                        clock_gettime(CLOCK_MONOTONIC, &ts);
                        rnd = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 30);
                }
                unsigned n = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
                char *t = xasprintf("%s.%012llx-%u.tmp", name,
                                    (unsigned long long)(rnd & 0xffffffffffffULL), n);
                int fd =
                    openat(dirfd, t, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
                if (fd >= 0) {
                        *tmp = t;
                        return fd;
                }
                int e = errno;
                free(t);
                if (e != EEXIST) {
                        errno = e;
                        return -1;
                }
        }
        errno = EEXIST;
        return -1;
}

int vers_write_file_atomic_at(int dirfd, const char *name, const char *data, size_t len,
                              mode_t mode, vers_error_t *err)
{
        if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
                return vers_make_error(err, EINVAL, "cannot write '%s'", name);
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = create_temp_at(dirfd, name, mode, &tmp);
        if (fd < 0)
                return vers_make_error(err, errno, "cannot create a temporary file for '%s'", name);
        if (vers_write_all(fd, data, len) < 0 || fchmod(fd, mode) < 0 || fsync(fd) < 0) {
                int e = errno;
                unlinkat(dirfd, tmp, 0);
                return vers_make_error(err, e, "cannot write '%s'", tmp);
        }
        if (renameat(dirfd, tmp, dirfd, name) < 0) {
                int e = errno;
                unlinkat(dirfd, tmp, 0);
                return vers_make_error(err, e, "cannot rename '%s' to '%s'", tmp, name);
        }
        fsync(dirfd);
        return 0;
}

int vers_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode,
                           vers_error_t *err)
{
        _cleanup_free_ char *dir = xstrdup(path);
        char *slash = strrchr(dir, '/');
        const char *name = path;
        if (slash) {
                *slash = '\0';
                name = slash + 1;
        }
        _cleanup_close_ int dfd =
            open(slash ? (*dir ? dir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return vers_make_error(err, errno, "cannot open the directory of '%s'", path);
        if (vers_write_file_atomic_at(dfd, name, data, len, mode, err) < 0)
                return vers_error_wrap(err, "cannot replace '%s'", path);
        return 0;
}

/* ---- files in an env's tree ------------------------------------------------------------- */

static const char *rel_of(const char *rel)
{
        while (*rel == '/')
                rel++;
        return *rel ? rel : ".";
}

int vers_openat_in_root(int rootfd, const char *rel, int flags, mode_t mode, vers_error_t *err)
{
        struct open_how how = {
            .flags = (uint64_t)(flags | O_CLOEXEC),
            .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
            .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        const char *r = rel_of(rel);
        int fd;
        /* EAGAIN: a rename raced the lookup (the env may do so on purpose: bounded) */
        int tries = 0;
        do
                fd = (int)syscall(SYS_openat2, rootfd, r, &how, sizeof how);
        while (fd < 0 && (errno == EINTR || errno == EAGAIN) && ++tries < 100);
        if (fd < 0) {
                if (errno == ENOSYS)
                        return vers_make_error(err, ENOSYS,
                                               "cannot open '/%s' in an env safely (this kernel "
                                               "has no openat2, Linux 5.6+)",
                                               r);
                return vers_make_error(err, errno, "cannot open '/%s' in the env", r);
        }
        return fd;
}

int vers_open_in_root(const char *root, const char *rel, int flags, mode_t mode, vers_error_t *err)
{
        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return vers_make_error(err, errno, "cannot open '%s'", root);
        return vers_openat_in_root(rootfd, rel, flags, mode, err);
}

/* Read fd (a regular file) to its end into *out; tail > 0: only its last tail bytes. */
static int read_fd(int fd, const char *what, size_t tail, char **out, size_t *len,
                   vers_error_t *err)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return vers_make_error(err, errno, "cannot stat '%s'", what);
        if (!S_ISREG(st.st_mode))
                return vers_make_error(err, 0, "'%s' is not a regular file", what);
        if (tail > 0 && (size_t)st.st_size > tail &&
            lseek(fd, st.st_size - (off_t)tail, SEEK_SET) < 0)
                return vers_make_error(err, errno, "cannot seek in '%s'", what);
        return read_all(fd, what, tail, out, len, err);
}

int vers_read_file_in_root(const char *root, const char *rel, size_t tail, char **out, size_t *len,
                           vers_error_t *err)
{
        /* O_NONBLOCK: a FIFO planted there must not hang the reader (read_fd refuses it) */
        _cleanup_close_ int fd =
            vers_open_in_root(root, rel, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0, err);
        if (fd < 0)
                return -1;
        _cleanup_free_ char *what = xasprintf("/%s", rel_of(rel));
        /* the env sizes its files as it likes (a sparse one costs it nothing): vers reads at
         * most VERS_IN_ROOT_MAX of one, or only its end */
        struct stat st;
        if (tail == 0 && fstat(fd, &st) == 0 && st.st_size > VERS_IN_ROOT_MAX)
                return vers_make_error(err, EFBIG, "'%s' in the env is larger than %d MiB", what,
                                       VERS_IN_ROOT_MAX >> 20);
        return read_fd(fd, what, tail ? tail : VERS_IN_ROOT_MAX, out, len, err);
}

/* Split rel into its directory (opened inside root) and its last component. */
static int open_parent_in_root(const char *root, const char *rel, char **name, vers_error_t *err)
{
        _cleanup_free_ char *dir = xstrdup(rel_of(rel));
        while (str_endswith(dir, "/") && strlen(dir) > 1)
                dir[strlen(dir) - 1] = '\0';
        char *slash = strrchr(dir, '/');
        const char *base = slash ? slash + 1 : dir;
        if (!strcmp(base, ".") || !strcmp(base, ".."))
                return vers_make_error(err, EINVAL, "cannot write '/%s' in the env", dir);
        *name = xstrdup(base);
        if (slash)
                *slash = '\0';
        int fd = vers_open_in_root(root, slash ? dir : ".", O_RDONLY | O_DIRECTORY, 0, err);
        if (fd < 0) {
                free(*name);
                *name = NULL;
        }
        return fd;
}

int vers_write_file_in_root(const char *root, const char *rel, const char *data, size_t len,
                            mode_t mode, vers_error_t *err)
{
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int dfd = open_parent_in_root(root, rel, &name, err);
        if (dfd < 0)
                return -1;
        if (vers_write_file_atomic_at(dfd, name, data, len, mode, err) < 0)
                return vers_error_wrap(err, "cannot replace '/%s' in the env", rel_of(rel));
        return 0;
}

int vers_copy_file_into_root(const char *src, const char *root, const char *rel, mode_t mode,
                             vers_error_t *err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        if (vers_read_file(src, &data, &len, err) < 0)
                return -1;
        return vers_write_file_in_root(root, rel, data, len, mode, err);
}

int vers_unlink_in_root(const char *root, const char *rel, vers_error_t *err)
{
        _cleanup_free_ char *name = NULL;
        _cleanup_error_ vers_error_t e = NULL;
        _cleanup_close_ int dfd = open_parent_in_root(root, rel, &name, &e);
        if (dfd < 0) {
                if (e->status == ENOENT)
                        return 0;
                if (err && !*err)
                        *err = steal_pointer(&e);
                return -1;
        }
        if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
                return vers_make_error(err, errno, "cannot remove '/%s' in the env", rel_of(rel));
        return 0;
}

bool vers_exists_in_root(const char *root, const char *rel)
{
        _cleanup_close_ int fd = vers_open_in_root(root, rel, O_PATH, 0, NULL);
        return fd >= 0;
}

int vers_mkdir_p(const char *path, mode_t mode, vers_error_t *err)
{
        _cleanup_free_ char *p = xstrdup(path);
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return vers_make_error(err, errno, "cannot create '%s'", p);
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return vers_make_error(err, errno, "cannot create '%s'", p);
        return 0;
}

bool vers_path_exists(const char *path)
{
        struct stat st;
        return lstat(path, &st) == 0;
}

static int rm_rf_at(int dfd, const char *name, dev_t dev, vers_error_t *err)
{
        struct stat st;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : vers_make_error(err, errno, "cannot stat '%s'", name);
        if (!S_ISDIR(st.st_mode)) {
                if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
                        return vers_make_error(err, errno, "cannot remove '%s'", name);
                return 0;
        }
        if (st.st_dev != dev)
                return vers_make_error(err, EXDEV, "refusing to cross into '%s'", name);
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return vers_make_error(err, errno, "cannot open '%s'", name);
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return vers_make_error(err, errno, "cannot read '%s'", name);
        }
        struct dirent *de;
        int ret = 0;
        while ((de = readdir(d)) != NULL) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                ret = rm_rf_at(dirfd(d), de->d_name, dev, err);
                if (ret < 0)
                        break;
        }
        closedir(d);
        if (ret == 0 && unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return vers_make_error(err, errno, "cannot remove '%s'", name);
        return ret;
}

int vers_rm_rf(const char *path, vers_error_t *err)
{
        struct stat st;
        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : vers_make_error(err, errno, "cannot stat '%s'", path);
        return rm_rf_at(AT_FDCWD, path, st.st_dev, err);
}

int vers_copy_file(const char *src, const char *dst, mode_t mode, vers_error_t *err)
{
        _cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
        if (in < 0)
                return vers_make_error(err, errno, "cannot open '%s'", src);
        _cleanup_close_ int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (out < 0)
                return vers_make_error(err, errno, "cannot create '%s'", dst);
        char buf[65536];
        for (;;) {
                ssize_t n = read(in, buf, sizeof buf);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return vers_make_error(err, errno, "cannot read '%s'", src);
                if (n == 0)
                        break;
                if (vers_write_all(out, buf, (size_t)n) < 0)
                        return vers_make_error(err, errno, "cannot write '%s'", dst);
        }
        if (fchmod(out, mode) < 0)
                return vers_make_error(err, errno, "cannot chmod '%s'", dst);
        return 0;
}

/* nftw passes no user data: the count is here (vers is single-threaded) */
static size_t devices_removed;
static int devices_failed;

static int remove_device(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
        (void)type;
        (void)ftw;
        if (!S_ISCHR(st->st_mode) && !S_ISBLK(st->st_mode))
                return 0;
        if (unlink(p) < 0) {
                devices_failed = errno;
                return 1;
        }
        devices_removed++;
        return 0;
}

int vers_remove_device_nodes(const char *path, size_t *removed, vers_error_t *err)
{
        devices_removed = 0;
        devices_failed = 0;
        int r = nftw(path, remove_device, 64, FTW_PHYS | FTW_MOUNT);
        *removed = devices_removed;
        if (r != 0)
                return vers_make_error(err, devices_failed ? devices_failed : errno,
                                       "cannot remove the device nodes of '%s'", path);
        return 0;
}
