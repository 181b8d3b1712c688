#include "os/store.h"

#include <btrfsutil.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/btrfs_tree.h>
#include <linux/loop.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#define MIB (1024LL * 1024LL)

bool vers_store_fits(long long host_free, long cluster_mib)
{
        return host_free >= (long long)cluster_mib * MIB + VERS_STORE_RESERVE_MIB * MIB;
}

long long vers_store_room_needed(long long image_size, long long image_allocated)
{
        long long unbacked = image_size - image_allocated;
        if (unbacked <= 0)
                return 0;
        return unbacked < VERS_STORE_MARGIN_MIB * MIB ? unbacked : VERS_STORE_MARGIN_MIB * MIB;
}

/* Bytes free on the filesystem holding path (f_bavail: without the blocks some filesystems
 * keep for root, so the answer errs on the safe side); -1 on error. */
static long long fs_free(const char *path)
{
        struct statvfs sv;
        if (statvfs(path, &sv) < 0)
                return -1;
        return (long long)sv.f_bavail * (long long)sv.f_frsize;
}

static bool is_btrfs(const char *path)
{
        struct statfs sf;
        return statfs(path, &sf) == 0 && sf.f_type == BTRFS_SUPER_MAGIC;
}

/* true if path is the root of a mount (its device differs from its parent's) */
static bool is_mountpoint(const char *path)
{
        struct stat a, b;
        _cleanup_free_ char *parent = xasprintf("%s/..", path);
        if (stat(path, &a) < 0 || stat(parent, &b) < 0)
                return false;
        return a.st_dev != b.st_dev;
}

/* Attach image to a free loop device; *lfd stays open until the caller has mounted it, since
 * with AUTOCLEAR the device detaches when its last opener goes. */
static int loop_attach(const char *image, char **devpath, int *lfdp, vers_error_t *err)
{
        _cleanup_close_ int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
        if (ctl < 0)
                return vers_make_error(err, errno,
                                       "cannot open /dev/loop-control (no loop device "
                                       "support?)");
        _cleanup_close_ int fd = open(image, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return vers_make_error(err, errno, "cannot open '%s'", image);
        for (int attempt = 0; attempt < 64; attempt++) {
                int n = ioctl(ctl, LOOP_CTL_GET_FREE);
                if (n < 0)
                        return vers_make_error(err, errno, "no free loop device");
                char dev[64];
                snprintf(dev, sizeof dev, "/dev/loop%d", n);
                int lfd = open(dev, O_RDWR | O_CLOEXEC);
                if (lfd < 0 && errno == ENOENT) {
                        /* no udev: make the node ourselves */
                        mknod(dev, S_IFBLK | 0660, makedev(7, n));
                        lfd = open(dev, O_RDWR | O_CLOEXEC);
                }
                if (lfd < 0)
                        return vers_make_error(err, errno, "cannot open '%s'", dev);
                struct loop_config cfg;
                memset(&cfg, 0, sizeof cfg);
                cfg.fd = (unsigned)fd;
                cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR;
                snprintf((char *)cfg.info.lo_file_name, LO_NAME_SIZE, "%s", image);
                if (ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0) {
                        *devpath = xstrdup(dev);
                        *lfdp = lfd;
                        return 0;
                }
                int e = errno;
                close(lfd);
                if (e != EBUSY)
                        return vers_make_error(err, e, "cannot attach '%s' to '%s'", image, dev);
        }
        return vers_make_error(err, EBUSY, "no free loop device");
}

/* The store image: allocated up front unless sparse, so that the host filesystem can never
 * run out under a running env's writes (a loop device answers that with EIO, and btrfs loses
 * them); a sparse one relies on vers_store_check_room() before each command that writes. */
static int make_image(const char *image, long cluster_mib, bool sparse, vers_error_t *err)
{
        _cleanup_free_ char *tmp = xasprintf("%s.tmp", image);
        {
                _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                if (fd < 0)
                        return vers_make_error(err, errno, "cannot create '%s'", tmp);
                off_t size = (off_t)cluster_mib * 1024 * 1024;
                int e = ftruncate(fd, size) < 0 ? errno : 0;
                if (!e && !sparse && fallocate(fd, 0, 0, size) < 0)
                        e = errno;
                if (e) {
                        unlink(tmp);
                        if (e == EOPNOTSUPP)
                                return vers_make_error(err, 0,
                                                       "the filesystem of '%s' cannot allocate "
                                                       "the store up front (set [storage] sparse "
                                                       "= true)",
                                                       image);
                        if (e == ENOSPC)
                                return vers_make_error(err, e,
                                                       "cannot allocate a %ld MiB store in '%s'",
                                                       cluster_mib, image);
                        return vers_make_error(err, e, "cannot size '%s'", tmp);
                }
        }
        char *argv[] = {"mkfs.btrfs", "-q", "-f", "-L", "vers-store", tmp, NULL};
        _cleanup_free_ char *out = NULL;
        int rc = vers_run(argv, &out, err);
        if (rc != 0) {
                unlink(tmp);
                if (rc < 0)
                        return vers_error_wrap(err, "mkfs.btrfs (is btrfs-progs installed?)");
                return vers_make_error(err, 0, "mkfs.btrfs failed: %s", str_first_line(out));
        }
        if (rename(tmp, image) < 0)
                return vers_make_error(err, errno, "cannot rename '%s'", tmp);
        return 0;
}

int vers_store_reserve_action(bool have, long long host_free)
{
        if (have && host_free < VERS_STORE_RESERVE_MIB * MIB)
                return -1;
        if (!have && host_free >= 2 * VERS_STORE_RESERVE_MIB * MIB)
                return 1;
        return 0;
}

/* Give the reserve back when VERS_ROOT's filesystem is (nearly) full, so that this command
 * can write vers.db and the store its last blocks while envs are deleted; take it again once
 * there is room for it twice over. */
static void reserve_adjust(const char *root)
{
        _cleanup_free_ char *p = xasprintf("%s/store.reserve", root);
        int act = vers_store_reserve_action(vers_path_exists(p), fs_free(root));
        if (act < 0) {
                unlink(p);
        } else if (act > 0) {
                int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd < 0)
                        return;
                int r = posix_fallocate(fd, 0, VERS_STORE_RESERVE_MIB * MIB);
                close(fd);
                if (r != 0)
                        unlink(p);
        }
}

int vers_store_open(const char *root, long cluster_mib, bool sparse, struct vers_store *st,
                    vers_error_t *err)
{
        memset(st, 0, sizeof *st);
        struct stat sb;
        if (stat(root, &sb) < 0 || !S_ISDIR(sb.st_mode))
                return vers_make_error(err, 0,
                                       "VERS_ROOT '%s' does not exist or is not a directory", root);
        st->root = xstrdup(root);
        st->path = xasprintf("%s/store", root);
        {
                /* a sparse image its filesystem cannot back fails later, inside btrfs, with EIO
                 * and lost writes: refuse it now, before anything is made */
                _cleanup_free_ char *image = xasprintf("%s/store.img", root);
                long long host_free = fs_free(root);
                if (!is_btrfs(root) && !is_mountpoint(st->path) && !vers_path_exists(image) &&
                    host_free >= 0 && !vers_store_fits(host_free, cluster_mib))
                        return vers_make_error(err, 0,
                                               "cannot create a %ld MiB store in '%s': its "
                                               "filesystem has %lld MiB free (lower [storage] "
                                               "cluster_mib or free some space)",
                                               cluster_mib, root, host_free / MIB);
        }
        if (mkdir(st->path, 0700) < 0 && errno != EEXIST)
                return vers_make_error(err, errno, "cannot create '%s'", st->path);

        if (is_btrfs(st->path) && !is_mountpoint(st->path)) {
                /* VERS_ROOT itself is btrfs */
                st->loop = false;
        } else {
                st->loop = true;
                if (!is_mountpoint(st->path)) {
                        /* serialise first-time setup between concurrent vers processes */
                        _cleanup_free_ char *lockp = xasprintf("%s/store.lock", root);
                        _cleanup_close_ int lfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
                        if (lfd < 0 || flock(lfd, LOCK_EX) < 0)
                                return vers_make_error(err, errno, "cannot lock '%s'", lockp);
                        if (!is_mountpoint(st->path)) {
                                _cleanup_free_ char *image = xasprintf("%s/store.img", root);
                                if (!vers_path_exists(image) &&
                                    make_image(image, cluster_mib, sparse, err) < 0)
                                        return vers_error_wrap(err, "cannot create the store");
                                _cleanup_free_ char *dev = NULL;
                                _cleanup_close_ int loopfd = -1;
                                if (loop_attach(image, &dev, &loopfd, err) < 0)
                                        return -1;
                                /* nodiscard: btrfs >= 6.2 defaults to discard=async, which
                                 * punches freed blocks out of store.img, so that writing them
                                 * again needs host space again */
                                if (mount(dev, st->path, "btrfs", MS_NOATIME,
                                          "user_subvol_rm_allowed,nodiscard") < 0) {
                                        int e = errno;
                                        return vers_make_error(
                                            err, e, "cannot mount the store '%s'%s", image,
                                            e == ENODEV ? " (no btrfs support in this kernel)"
                                                        : "");
                                }
                        }
                }
                if (!is_btrfs(st->path))
                        return vers_make_error(err, 0, "'%s' is mounted but is not btrfs",
                                               st->path);
        }
        const char *subdirs[] = {"images", "commits", "envs"};
        for (size_t i = 0; i < 3; i++) {
                _cleanup_free_ char *d = xasprintf("%s/%s", st->path, subdirs[i]);
                if (mkdir(d, 0700) < 0 && errno != EEXIST)
                        return vers_make_error(err, errno, "cannot create '%s'", d);
        }
        reserve_adjust(root);
        return 0;
}

int vers_store_check_room(struct vers_store *st, vers_error_t *err)
{
        if (!st->loop)
                return 0; /* native btrfs says ENOSPC itself, and loses nothing */
        _cleanup_free_ char *image = xasprintf("%s/store.img", st->root);
        struct stat sb;
        if (stat(image, &sb) < 0)
                return 0; /* store/ was mounted by someone else: not ours to size */
        long long need =
            vers_store_room_needed((long long)sb.st_size, (long long)sb.st_blocks * 512);
        long long have = fs_free(st->root);
        if (have < 0 || have >= need)
                return 0;
        return vers_make_error(err, 0,
                               "cannot write to the store: the filesystem of '%s' has %lld MiB "
                               "free and the store may need %lld MiB more (free some space there)",
                               st->root, have / MIB, (need + MIB - 1) / MIB);
}

#ifndef BTRFS_QUOTA_CTL_ENABLE_SIMPLE_QUOTA
#define BTRFS_QUOTA_CTL_ENABLE_SIMPLE_QUOTA 4
#endif

static int quota_enable(const char *store_path)
{
        _cleanup_close_ int fd = open(store_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        /* simple quotas where the kernel has them (6.7+), full qgroups elsewhere */
        struct btrfs_ioctl_quota_ctl_args a = {.cmd = BTRFS_QUOTA_CTL_ENABLE_SIMPLE_QUOTA};
        if (ioctl(fd, BTRFS_IOC_QUOTA_CTL, &a) == 0)
                return 0;
        a = (struct btrfs_ioctl_quota_ctl_args){.cmd = BTRFS_QUOTA_CTL_ENABLE};
        return ioctl(fd, BTRFS_IOC_QUOTA_CTL, &a);
}

/* Each env's cap is a level-1 qgroup 1/<id of its subvolume> with the subvolume's own qgroup
 * 0/<id> in it. Simple quotas put a subvolume created inside another one into that one's
 * higher-level qgroups, so subvolumes an env nests in its rootfs count against its cap too.
 * Every ioctl goes through the store's top-level subvolume: a transaction started on a full
 * env's subvolume would itself be refused with EDQUOT. */
static uint64_t env_qgroup(uint64_t subvol)
{
        return (1ULL << BTRFS_QGROUP_LEVEL_SHIFT) | subvol;
}

static int subvol_id(const char *path, uint64_t *id)
{
        return btrfs_util_subvolume_id(path, id) == BTRFS_UTIL_OK ? 0 : -1;
}

/* Call fn for each item of the quota tree between (objectid, type, min) and
 * (objectid, type, max), with the item's offset; no quota tree means no items. */
static int quota_items(int fd, uint64_t objectid, uint32_t type, uint64_t min, uint64_t max,
                       void (*fn)(uint64_t offset, void *data), void *data)
{
        struct btrfs_ioctl_search_args a;
        memset(&a, 0, sizeof a);
        struct btrfs_ioctl_search_key *k = &a.key;
        k->tree_id = BTRFS_QUOTA_TREE_OBJECTID;
        k->min_objectid = k->max_objectid = objectid;
        k->min_type = k->max_type = type;
        k->min_offset = min;
        k->max_offset = max;
        k->max_transid = (uint64_t)-1;
        for (;;) {
                k->nr_items = 4096;
                if (ioctl(fd, BTRFS_IOC_TREE_SEARCH, &a) < 0)
                        return errno == ENOENT ? 0 : -1;
                if (k->nr_items == 0)
                        return 0;
                size_t off = 0;
                uint64_t last = 0;
                for (uint32_t i = 0; i < k->nr_items; i++) {
                        struct btrfs_ioctl_search_header h;
                        memcpy(&h, a.buf + off, sizeof h);
                        off += sizeof h + h.len;
                        if (h.objectid == objectid && h.type == type)
                                fn(h.offset, data);
                        last = h.offset;
                }
                if (last >= max)
                        return 0;
                k->min_offset = last + 1;
        }
}

struct idlist {
        uint64_t *v;
        size_t n;
};

static void idlist_add(uint64_t id, void *data)
{
        struct idlist *l = data;
        l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
        l->v[l->n++] = id;
}

/* Remove level-1 qgroup qg: take its members out, then destroy it. Gone already is fine. */
static int qgroup_remove(int fd, uint64_t qg)
{
        struct idlist members = {0};
        /* relation items (qg, RELATION, x) name qg's members (level 0) and its parents */
        if (quota_items(fd, qg, BTRFS_QGROUP_RELATION_KEY, 0,
                        (1ULL << BTRFS_QGROUP_LEVEL_SHIFT) - 1, idlist_add, &members) < 0)
                return -1;
        for (size_t i = 0; i < members.n; i++) {
                struct btrfs_ioctl_qgroup_assign_args a = {
                    .assign = 0, .src = members.v[i], .dst = qg};
                if (ioctl(fd, BTRFS_IOC_QGROUP_ASSIGN, &a) < 0 && errno != ENOENT) {
                        free(members.v);
                        return -1;
                }
        }
        free(members.v);
        struct btrfs_ioctl_qgroup_create_args c = {.create = 0, .qgroupid = qg};
        if (ioctl(fd, BTRFS_IOC_QGROUP_CREATE, &c) < 0 && errno != ENOENT && errno != ENOTCONN)
                return -1;
        return 0;
}

int vers_subvol_limit(struct vers_store *st, const char *path, long mib, vers_error_t *err)
{
        if (mib <= 0)
                return 0;
        uint64_t id;
        if (subvol_id(path, &id) < 0)
                return vers_make_error(err, errno, "cannot read the subvolume id of '%s'", path);
        _cleanup_close_ int fd = open(st->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return vers_make_error(err, errno, "cannot open '%s'", st->path);
        uint64_t qg = env_qgroup(id);
        struct btrfs_ioctl_qgroup_create_args c = {.create = 1, .qgroupid = qg};
        int r = ioctl(fd, BTRFS_IOC_QGROUP_CREATE, &c);
        if (r < 0 && errno == ENOTCONN) {
                if (quota_enable(st->path) < 0)
                        return vers_make_error(err, errno,
                                               "cannot enable btrfs quotas on the store (needed "
                                               "for [storage] vm_mib)");
                r = ioctl(fd, BTRFS_IOC_QGROUP_CREATE, &c);
        }
        if (r < 0 && errno != EEXIST)
                goto fail;
        /* > 0 under full qgroups: the numbers need a rescan; an empty new subvolume has none */
        struct btrfs_ioctl_qgroup_assign_args a = {.assign = 1, .src = id, .dst = qg};
        if (ioctl(fd, BTRFS_IOC_QGROUP_ASSIGN, &a) < 0 && errno != EEXIST)
                goto fail;
        struct btrfs_ioctl_qgroup_limit_args l = {
            .qgroupid = qg,
            .lim =
                {
                    .flags = BTRFS_QGROUP_LIMIT_MAX_RFER | BTRFS_QGROUP_LIMIT_MAX_EXCL,
                    .max_rfer = (uint64_t)mib << 20,
                    .max_excl = (uint64_t)mib << 20,
                },
        };
        if (ioctl(fd, BTRFS_IOC_QGROUP_LIMIT, &l) < 0)
                goto fail;
        return 0;
fail:
        return vers_make_error(err, errno, "cannot cap the disk use of '%s' at %ld MiB", path, mib);
}

int vers_subvol_unlimit(struct vers_store *st, const char *path, vers_error_t *err)
{
        uint64_t id;
        if (!vers_path_exists(path) || !vers_subvol_is(path) || subvol_id(path, &id) < 0)
                return 0;
        _cleanup_close_ int fd = open(st->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return vers_make_error(err, errno, "cannot open '%s'", st->path);
        /* envs made before the level-1 qgroups had the cap on their own qgroup */
        struct btrfs_ioctl_qgroup_limit_args l = {
            .qgroupid = id,
            .lim =
                {
                    .flags = BTRFS_QGROUP_LIMIT_MAX_RFER | BTRFS_QGROUP_LIMIT_MAX_EXCL,
                    .max_rfer = (uint64_t)-1, /* -1 clears a limit */
                    .max_excl = (uint64_t)-1,
                },
        };
        if (ioctl(fd, BTRFS_IOC_QGROUP_LIMIT, &l) < 0) {
                if (errno == ENOTCONN)
                        return 0; /* quotas are off: nothing was capped */
                if (errno != ENOENT)
                        return vers_make_error(err, errno, "cannot lift the disk cap of '%s'",
                                               path);
        }
        if (qgroup_remove(fd, env_qgroup(id)) < 0)
                return vers_make_error(err, errno, "cannot lift the disk cap of '%s'", path);
        return 0;
}

int vers_subvol_exclusive_bytes(struct vers_store *st, const char *path, long long *bytes)
{
        uint64_t id;
        *bytes = -1;
        if (subvol_id(path, &id) < 0)
                return -1;
        _cleanup_close_ int fd = open(st->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        struct btrfs_ioctl_search_args a;
        memset(&a, 0, sizeof a);
        struct btrfs_ioctl_search_key *k = &a.key;
        k->tree_id = BTRFS_QUOTA_TREE_OBJECTID;
        k->min_type = k->max_type = BTRFS_QGROUP_INFO_KEY;
        k->min_offset = k->max_offset = id; /* the level-0 qgroup 0/<id> */
        k->max_transid = (uint64_t)-1;
        k->nr_items = 1;
        if (ioctl(fd, BTRFS_IOC_TREE_SEARCH, &a) < 0 || k->nr_items == 0)
                return -1;
        struct btrfs_ioctl_search_header h;
        memcpy(&h, a.buf, sizeof h);
        struct btrfs_qgroup_info_item info;
        if (h.type != BTRFS_QGROUP_INFO_KEY || h.offset != id || h.len < sizeof info)
                return -1;
        memcpy(&info, a.buf + sizeof h, sizeof info);
        *bytes = (long long)le64toh(info.excl);
        return 0;
}

int vers_store_gc_qgroups(struct vers_store *st, int *removed, vers_error_t *err)
{
        *removed = 0;
        if (!st->loop)
                return 0; /* on a btrfs of the user's, level-1 qgroups may be theirs */
        _cleanup_close_ int fd = open(st->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return vers_make_error(err, errno, "cannot open '%s'", st->path);
        struct idlist l1 = {0};
        /* qgroup info items are (0, INFO, qgroupid) */
        if (quota_items(fd, 0, BTRFS_QGROUP_INFO_KEY, 1ULL << BTRFS_QGROUP_LEVEL_SHIFT,
                        (2ULL << BTRFS_QGROUP_LEVEL_SHIFT) - 1, idlist_add, &l1) < 0)
                return vers_make_error(err, errno, "cannot list the store's qgroups");
        int ret = 0;
        for (size_t i = 0; i < l1.n && ret == 0; i++) {
                uint64_t subvol = l1.v[i] & ((1ULL << BTRFS_QGROUP_LEVEL_SHIFT) - 1);
                char *p = NULL;
                enum btrfs_util_error e = btrfs_util_subvolume_path_fd(fd, subvol, &p);
                free(p);
                if (e != BTRFS_UTIL_ERROR_SUBVOLUME_NOT_FOUND)
                        continue; /* its env's subvolume is still there */
                if (qgroup_remove(fd, l1.v[i]) < 0)
                        ret = vers_make_error(err, errno, "cannot remove a stale qgroup");
                else
                        (*removed)++;
        }
        free(l1.v);
        return ret;
}

void vers_store_close(struct vers_store *st)
{
        free(st->root);
        free(st->path);
        st->root = st->path = NULL;
}

int vers_store_unmount(struct vers_store *st, vers_error_t *err)
{
        if (!st->loop || !is_mountpoint(st->path))
                return 0;
        if (umount2(st->path, 0) < 0) {
                if (errno == EBUSY && umount2(st->path, MNT_DETACH) == 0)
                        return 0;
                return vers_make_error(err, errno, "cannot unmount '%s'", st->path);
        }
        return 0;
}

char *vers_store_image_path(struct vers_store *st, const char *id)
{
        return xasprintf("%s/images/%s", st->path, id);
}

char *vers_store_commit_dir(struct vers_store *st, const char *id)
{
        return xasprintf("%s/commits/%s", st->path, id);
}

char *vers_store_commit_rootfs(struct vers_store *st, const char *id)
{
        return xasprintf("%s/commits/%s/rootfs", st->path, id);
}

char *vers_store_env_dir(struct vers_store *st, const char *id)
{
        return xasprintf("%s/envs/%s", st->path, id);
}

char *vers_store_env_rootfs(struct vers_store *st, const char *id)
{
        return xasprintf("%s/envs/%s/rootfs", st->path, id);
}

static int btrfs_error(vers_error_t *err, enum btrfs_util_error e, const char *what,
                       const char *path)
{
        int saved = errno;
        if (saved == ENOSPC || saved == EDQUOT)
                return vers_make_error(err, saved, "%s '%s': the store is full", what, path);
        return vers_make_error(err, 0, "%s '%s': %s%s%s", what, path, btrfs_util_strerror(e),
                               saved ? ": " : "", saved ? strerror(saved) : "");
}

int vers_subvol_create(const char *path, vers_error_t *err)
{
        errno = 0;
        enum btrfs_util_error e = btrfs_util_create_subvolume(path, 0, NULL, NULL);
        if (e != BTRFS_UTIL_OK)
                return btrfs_error(err, e, "cannot create subvolume", path);
        return 0;
}

int vers_subvol_snapshot(const char *src, const char *dst, bool readonly, vers_error_t *err)
{
        errno = 0;
        enum btrfs_util_error e = btrfs_util_create_snapshot(
            src, dst, readonly ? BTRFS_UTIL_CREATE_SNAPSHOT_READ_ONLY : 0, NULL, NULL);
        if (e != BTRFS_UTIL_OK)
                return btrfs_error(err, e, "cannot snapshot into", dst);
        return 0;
}

int vers_subvol_set_readonly(const char *path, bool ro, vers_error_t *err)
{
        errno = 0;
        enum btrfs_util_error e = btrfs_util_set_subvolume_read_only(path, ro);
        if (e != BTRFS_UTIL_OK)
                return btrfs_error(err, e, "cannot change read-only flag of", path);
        return 0;
}

bool vers_subvol_is(const char *path)
{
        return btrfs_util_is_subvolume(path) == BTRFS_UTIL_OK;
}

int vers_subvol_delete(const char *path, vers_error_t *err)
{
        if (!vers_path_exists(path))
                return 0;
        if (!vers_subvol_is(path))
                return vers_rm_rf(path, err);
        /* a read-only subvolume's nested subvolumes cannot be unlinked: make it writable */
        bool ro = false;
        if (btrfs_util_get_subvolume_read_only(path, &ro) == BTRFS_UTIL_OK && ro)
                btrfs_util_set_subvolume_read_only(path, false);
        errno = 0;
        enum btrfs_util_error e =
            btrfs_util_delete_subvolume(path, BTRFS_UTIL_DELETE_SUBVOLUME_RECURSIVE);
        if (e != BTRFS_UTIL_OK)
                return btrfs_error(err, e, "cannot delete subvolume", path);
        return 0;
}

long long vers_store_free_bytes(struct vers_store *st)
{
        struct statvfs sv;
        if (statvfs(st->path, &sv) < 0)
                return -1;
        return (long long)sv.f_bavail * (long long)sv.f_frsize;
}
