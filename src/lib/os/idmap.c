#include "os/idmap.h"
#include "base/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <pwd.h>
#include <search.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#define SUBUID "/etc/subuid"
#define SUBGID "/etc/subgid"
#define LOCK_FILE "/run/lock/vers-idmap.lock"

/* ---- the mapping -------------------------------------------------------------------------- */

uint32_t vers_idmap_host(const struct vers_idmap *m, bool gid, uint32_t id)
{
        if (id == 0)
                return gid ? m->root_gid : m->root_uid;
        return m->base + id;
}

bool vers_idmap_is_mapped(const struct vers_idmap *m, bool gid, uint32_t host)
{
        if (host == (gid ? m->root_gid : m->root_uid))
                return true;
        return host > m->base && host - m->base < VERS_IDMAP_COUNT;
}

void vers_idmap_format(const struct vers_idmap *m, bool gid, char *buf, size_t n)
{
        uint32_t root = gid ? m->root_gid : m->root_uid;
        if (root == m->base)
                snprintf(buf, n, "0 %" PRIu32 " %u\n", m->base, VERS_IDMAP_COUNT);
        else
                snprintf(buf, n, "0 %" PRIu32 " 1\n1 %" PRIu32 " %u\n", root, m->base + 1,
                         VERS_IDMAP_COUNT - 1);
}

/* ---- choosing a range ------------------------------------------------------------------- */

size_t vers_idmap_parse_sub(const char *text, struct vers_id_range **out)
{
        size_t n = 0;
        *out = NULL;
        while (text && *text) {
                const char *eol = strchr(text, '\n');
                size_t len = eol ? (size_t)(eol - text) : strlen(text);
                _cleanup_free_ char *line = xstrndup(text, len);
                text += len + (eol ? 1 : 0);
                char *c1 = strchr(line, ':');
                char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2)
                        continue;
                char *end1, *end2;
                errno = 0;
                unsigned long long start = strtoull(c1 + 1, &end1, 10);
                unsigned long long count = strtoull(c2 + 1, &end2, 10);
                if (errno || end1 != c2 || end1 == c1 + 1 || end2 == c2 + 1 ||
                    (*end2 && *end2 != '\r' && *end2 != ' ') || start > UINT32_MAX || count == 0 ||
                    count > UINT32_MAX)
                        continue;
                *out = xrealloc(*out, (n + 1) * sizeof **out);
                (*out)[n++] = (struct vers_id_range){(uint32_t)start, (uint32_t)count};
        }
        return n;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
        return a < b + blen && b < a + alen;
}

int vers_idmap_pick(const struct vers_id_range *used, size_t n, uint32_t *base, vers_error_t *err)
{
        uint64_t cand = VERS_IDMAP_MIN_BASE;
        /* ids up to 2^32-2: (uid_t)-1 means "no change" to the kernel */
        while (cand + VERS_IDMAP_COUNT <= UINT32_MAX) {
                bool clash = false;
                for (size_t i = 0; i < n && !clash; i++) {
                        if (overlaps(cand, VERS_IDMAP_COUNT, used[i].start, used[i].count)) {
                                clash = true;
                                /* jump past it, keeping the base aligned */
                                uint64_t end = (uint64_t)used[i].start + used[i].count;
                                cand = (end + VERS_IDMAP_COUNT - 1) / VERS_IDMAP_COUNT *
                                       VERS_IDMAP_COUNT;
                                if (cand < VERS_IDMAP_MIN_BASE)
                                        cand = VERS_IDMAP_MIN_BASE;
                        }
                }
                if (!clash) {
                        *base = (uint32_t)cand;
                        return 0;
                }
        }
        return vers_make_error(err, 0, "no free range of %u host ids for the envs",
                               VERS_IDMAP_COUNT);
}

static void add_file_ranges(const char *path, struct vers_id_range **used, size_t *n)
{
        _cleanup_free_ char *text = NULL;
        if (vers_read_file(path, &text, NULL, NULL) < 0)
                return;
        struct vers_id_range *r = NULL;
        size_t k = vers_idmap_parse_sub(text, &r);
        if (k == 0)
                return; /* an empty file, as on a new machine */
        *used = xrealloc(*used, (*n + k) * sizeof **used);
        memcpy(*used + *n, r, k * sizeof *r);
        *n += k;
        free(r);
}

static void add_id(struct vers_id_range **used, size_t *n, uint32_t id)
{
        *used = xrealloc(*used, (*n + 1) * sizeof **used);
        (*used)[(*n)++] = (struct vers_id_range){id, 1};
}

static int append_line(const char *path, const char *line, vers_error_t *err)
{
        _cleanup_close_ int fd =
            open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return vers_make_error(err, errno, "cannot open '%s'", path);
        /* a file that does not end in a newline would glue our line to its last one */
        struct stat st;
        if (fstat(fd, &st) == 0 && st.st_size > 0) {
                _cleanup_close_ int rfd = open(path, O_RDONLY | O_CLOEXEC);
                char last = '\n';
                if (rfd >= 0 && pread(rfd, &last, 1, st.st_size - 1) == 1 && last != '\n' &&
                    vers_write_all(fd, "\n", 1) < 0)
                        return vers_make_error(err, errno, "cannot write '%s'", path);
        }
        if (vers_write_all(fd, line, strlen(line)) < 0 || fsync(fd) < 0)
                return vers_make_error(err, errno, "cannot write '%s'", path);
        return 0;
}

static int parse_idmap(const char *path, const char *text, struct vers_idmap *m, vers_error_t *err)
{
        unsigned long long b, u, g;
        char extra;
        if (sscanf(text, "%llu %llu %llu %c", &b, &u, &g, &extra) != 3 || b < VERS_IDMAP_COUNT ||
            b + VERS_IDMAP_COUNT > UINT32_MAX || u == 0 || g == 0 || u >= UINT32_MAX ||
            g >= UINT32_MAX)
                return vers_make_error(err, 0,
                                       "'%s' is damaged (expected 'BASE ROOT_UID ROOT_GID')", path);
        m->base = (uint32_t)b;
        m->root_uid = (uint32_t)u;
        m->root_gid = (uint32_t)g;
        return 0;
}

static uint32_t sudo_id(const char *var)
{
        const char *s = getenv(var);
        if (!s || !*s)
                return 0;
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || v == 0 || v >= UINT32_MAX)
                return 0;
        return (uint32_t)v;
}

int vers_idmap_open(const char *root, bool store_used, struct vers_idmap *m, vers_error_t *err)
{
        _cleanup_free_ char *path = xasprintf("%s/idmap", root);
        _cleanup_free_ char *text = NULL;
        if (vers_read_file(path, &text, NULL, NULL) == 0)
                return parse_idmap(path, text, m, err);
        if (errno != ENOENT)
                return vers_make_error(err, errno, "cannot read '%s'", path);
        if (store_used)
                return vers_make_error(err, 0,
                                       "VERS_ROOT '%s' was made by an older vers whose envs ran as "
                                       "host root; its images and commits cannot be used safely "
                                       "(run 'vers shutdown', remove it and build again)",
                                       root);

        vers_mkdir_p("/run/lock", 0755, NULL);
        _cleanup_close_ int lock = open(LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (lock < 0 || flock(lock, LOCK_EX) < 0)
                return vers_make_error(err, errno, "cannot lock '%s'", LOCK_FILE);
        /* another vers may have allocated for this root while we waited */
        free(text);
        text = NULL;
        if (vers_read_file(path, &text, NULL, NULL) == 0)
                return parse_idmap(path, text, m, err);

        struct vers_id_range *used = NULL;
        size_t n = 0;
        add_file_ranges(SUBUID, &used, &n);
        add_file_ranges(SUBGID, &used, &n);
        struct passwd *pw;
        setpwent();
        while ((pw = getpwent()) != NULL)
                add_id(&used, &n, pw->pw_uid);
        endpwent();
        struct group *gr;
        setgrent();
        while ((gr = getgrent()) != NULL)
                add_id(&used, &n, gr->gr_gid);
        endgrent();
        uint32_t base;
        int r = vers_idmap_pick(used, n, &base, err);
        free(used);
        if (r < 0)
                return -1;
        m->base = base;
        m->root_uid = sudo_id("SUDO_UID");
        m->root_gid = sudo_id("SUDO_GID");
        if (!m->root_uid || !m->root_gid)
                m->root_uid = m->root_gid = base;

        char line[64];
        snprintf(line, sizeof line, "vers:%" PRIu32 ":%u\n", base, VERS_IDMAP_COUNT);
        if (append_line(SUBUID, line, err) < 0 || append_line(SUBGID, line, err) < 0)
                return -1;
        char rec[96];
        int len = snprintf(rec, sizeof rec, "%" PRIu32 " %" PRIu32 " %" PRIu32 "\n", m->base,
                           m->root_uid, m->root_gid);
        return vers_write_file_atomic(path, rec, (size_t)len, 0644, err);
}

/* ---- shifting a tree ------------------------------------------------------------------- */

/* nftw passes no user data: the walk's state is here (vers is single-threaded) */
static const struct vers_idmap *shift_map;
static int shift_errno;
static char *shift_failed;
static bool shift_foreign; /* every id is an env id (vers_idmap_shift_foreign_tree) */
static void *shift_seen;   /* foreign: inodes with several names already shifted (tsearch) */
static const struct vers_idmap *shift_from; /* foreign: the ids are this range's host ids */

static int cmp_ino(const void *a, const void *b)
{
        ino_t x = *(const ino_t *)a, y = *(const ino_t *)b;
        return x < y ? -1 : x > y;
}

/* foreign: has this inode (another name of it) been shifted already? Marks it. */
static bool seen_before(const struct stat *st)
{
        if (!shift_foreign || S_ISDIR(st->st_mode) || st->st_nlink < 2)
                return false;
        ino_t *k = xmalloc(sizeof *k);
        *k = st->st_ino;
        ino_t **found = tsearch(k, &shift_seen, cmp_ino);
        if (*found != k) {
                free(k);
                return true;
        }
        return false;
}

/* env id of host id h of range m; ids outside it are the env's nobody */
static uint32_t env_id_of(const struct vers_idmap *m, bool gid, uint32_t h)
{
        if (h == (gid ? m->root_gid : m->root_uid))
                return 0;
        if (h >= m->base && h - m->base < VERS_IDMAP_COUNT)
                return h - m->base;
        return 65534;
}

static uint32_t shifted(bool gid, uint32_t id)
{
        if (shift_from)
                return vers_idmap_host(shift_map, gid, env_id_of(shift_from, gid, id));
        if (shift_foreign)
                return vers_idmap_host(shift_map, gid, id < VERS_IDMAP_COUNT ? id : 65534);
        if (vers_idmap_is_mapped(shift_map, gid, id) || id >= VERS_IDMAP_COUNT)
                return id;
        return vers_idmap_host(shift_map, gid, id);
}

/* chown clears file capabilities; an env's root only honours them when they name it */
static void put_back_caps(const char *path, const char *buf, ssize_t len)
{
        struct vfs_ns_cap_data c;
        memset(&c, 0, sizeof c);
        if (len < (ssize_t)XATTR_CAPS_SZ_2 || len > (ssize_t)sizeof c)
                return;
        memcpy(&c, buf, (size_t)len);
        uint32_t magic = c.magic_etc & VFS_CAP_REVISION_MASK;
        if (magic != VFS_CAP_REVISION_2 && magic != VFS_CAP_REVISION_3)
                return;
        c.magic_etc = VFS_CAP_REVISION_3 | (c.magic_etc & VFS_CAP_FLAGS_EFFECTIVE);
        c.rootid = shift_map->root_uid;
        lsetxattr(path, "security.capability", &c, sizeof c, 0);
}

static int shift_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void)ftw;
        if (type == FTW_NS || type == FTW_DNR) {
                shift_errno = EACCES;
                shift_failed = xstrdup(path);
                return 1;
        }
        if (seen_before(st))
                return 0;
        uid_t uid = shifted(false, st->st_uid);
        gid_t gid = shifted(true, st->st_gid);
        if (uid == st->st_uid && gid == st->st_gid && !shift_foreign)
                return 0;
        char caps[64];
        ssize_t clen = -1;
        if (S_ISREG(st->st_mode))
                clen = lgetxattr(path, "security.capability", caps, sizeof caps);
        if (lchown(path, uid, gid) < 0) {
                shift_errno = errno;
                shift_failed = xstrdup(path);
                return 1;
        }
        if (!S_ISLNK(st->st_mode) && (st->st_mode & (S_ISUID | S_ISGID)))
                chmod(path, st->st_mode & 07777);
        if (clen > 0)
                put_back_caps(path, caps, clen);
        return 0;
}

static int shift_walk(const struct vers_idmap *m, const char *path, bool foreign, vers_error_t *err)
{
        shift_foreign = foreign;
        shift_map = m;
        shift_errno = 0;
        shift_failed = NULL;
        int r = nftw(path, shift_one, 64, FTW_PHYS | FTW_MOUNT);
        tdestroy(shift_seen, free);
        shift_seen = NULL;
        if (r != 0) {
                int e = shift_failed ? shift_errno : errno;
                vers_make_error(err, e, "cannot give '%s' to the env's ids",
                                shift_failed ? shift_failed : path);
                free(shift_failed);
                shift_failed = NULL;
                shift_foreign = false;
                return -1;
        }
        shift_foreign = false;
        return 0;
}

int vers_idmap_shift_tree(const struct vers_idmap *m, const char *path, vers_error_t *err)
{
        return shift_walk(m, path, false, err);
}

int vers_idmap_shift_foreign_tree(const struct vers_idmap *m, const char *path, vers_error_t *err)
{
        return shift_walk(m, path, true, err);
}

int vers_idmap_shift_between(const struct vers_idmap *from, const struct vers_idmap *to,
                             const char *path, vers_error_t *err)
{
        shift_from = from;
        int r = shift_walk(to, path, true, err);
        shift_from = NULL;
        return r;
}
