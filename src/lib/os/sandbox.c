#include "os/sandbox.h"
#include "os/cgroup.h"
#include "os/harden.h"
#include "os/passwd.h"
#include "base/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include <termios.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define NS_FLAGS                                                                                   \
        (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC)

/* host top-level entries that are bound read-only into every env when they are directories;
 * when the host has them as symlinks (merged /usr) the image gets the same symlink */
static const char *host_ro_dirs[] = {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"};
#define N_HOST_RO (sizeof host_ro_dirs / sizeof host_ro_dirs[0])

static const char *dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
#define N_DEV (sizeof dev_nodes / sizeof dev_nodes[0])

/* ---- skeleton ------------------------------------------------------------------------- */

/* What a FROM host image's /etc starts with: the host's entries that the binaries of its /usr,
 * the service templates, psql and node need — never its secrets. shadow, gshadow, SSH host
 * keys, ssl/private, sudoers, subuid, npm and git credentials, and everything else not named
 * here stay on the host. passwd and group are not copied but filtered (seed_accounts). A path
 * the host lacks is skipped. Images FROM debian:<suite> have their own /etc. */
static const char *etc_allow[] = {
    /* names, resolution */
    "hostname",
    "hosts",
    "resolv.conf",
    "nsswitch.conf",
    "host.conf",
    "gai.conf",
    "services",
    "protocols",
    "networks",
    /* the dynamic linker, and the links that make /usr's binaries work */
    "ld.so.conf",
    "ld.so.conf.d",
    "ld.so.cache",
    "alternatives",
    /* time, locale, shells */
    "localtime",
    "timezone",
    "locale.alias",
    "environment",
    "default/locale",
    "profile",
    "profile.d",
    "bash.bashrc",
    "inputrc",
    "shells",
    "skel",
    "terminfo",
    "mtab",
    "debian_version",
    "os-release",
    "login.defs",
    "default/useradd",
    "adduser.conf",
    /* runuser (the templates start services with it): PAM */
    "pam.conf",
    "pam.d",
    "security/limits.conf",
    "security/limits.d",
    "security/pam_env.conf",
    /* public certificates only: the keys in ssl/private stay on the host */
    "ssl/certs",
    "ssl/openssl.cnf",
    "ca-certificates.conf",
    /* the services' own configuration (redis: the template writes its own; the host's
     * redis.conf may hold requirepass) */
    "postgresql",
    "postgresql-common",
    "mysql",
};

/* Secrets inside the directories above, removed again after the copy. */
static const char *etc_deny[] = {
    "mysql/debian.cnf", /* the maintenance account's credentials */
};

/* An account in the env's passwd/group: root, the system's own (ids below 1000: daemon,
 * postgres, mysql, redis...) and nobody/nogroup; no human user of the host. */
static bool keep_id(unsigned long id)
{
        return id < 1000 || id == 65534;
}

/* Split l at ':' in place into at most max fields; their number. */
static int split_fields(char *l, char **f, int max)
{
        int n = 0;
        for (char *p = l; p && n < max;) {
                f[n++] = p;
                p = strchr(p, ':');
                if (p)
                        *p++ = '\0';
        }
        return n;
}

/* passwd, group, shadow and gshadow for the env, from the host's passwd and group: the kept
 * accounts, with no password anywhere (the shadow files lock every one: '*'). */
static int seed_accounts(const char *etc, vers_error_t *err)
{
        _cleanup_free_ char *pw = NULL, *gr = NULL;
        if (vers_read_file("/etc/passwd", &pw, NULL, err) < 0 ||
            vers_read_file("/etc/group", &gr, NULL, err) < 0)
                return -1;
        _cleanup_strbuf_ struct strbuf passwd = STRBUF_INIT, shadow = STRBUF_INIT,
                                       group = STRBUF_INIT, gshadow = STRBUF_INIT;
        _cleanup_strv_ char **users = NULL;
        char *save = NULL;
        for (char *l = strtok_r(pw, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                /* name:password:uid:gid:gecos:home:shell */
                char *f[7];
                if (split_fields(l, f, 7) < 7 || !f[0][0] || !f[2][0] ||
                    !keep_id(strtoul(f[2], NULL, 10)))
                        continue;
                strbuf_addf(&passwd, "%s:x:%s:%s:%s:%s:%s\n", f[0], f[2], f[3], f[4], f[5], f[6]);
                strbuf_addf(&shadow, "%s:*:0:0:99999:7:::\n", f[0]);
                strv_push(&users, f[0]);
        }
        save = NULL;
        for (char *l = strtok_r(gr, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                /* name:password:gid:members */
                char *f[4];
                if (split_fields(l, f, 4) < 4 || !f[0][0] || !keep_id(strtoul(f[2], NULL, 10)))
                        continue;
                /* members: only accounts the env has */
                _cleanup_strbuf_ struct strbuf members = STRBUF_INIT;
                char *msave = NULL;
                for (char *m = strtok_r(f[3], ",", &msave); m; m = strtok_r(NULL, ",", &msave)) {
                        for (size_t i = 0; users && users[i]; i++) {
                                if (!strcmp(users[i], m)) {
                                        strbuf_addf(&members, "%s%s", members.len ? "," : "", m);
                                        break;
                                }
                        }
                }
                strbuf_addf(&group, "%s:x:%s:%s\n", f[0], f[2], members.buf);
                strbuf_addf(&gshadow, "%s:*::%s\n", f[0], members.buf);
        }
        const struct {
                const char *name;
                struct strbuf *text;
                mode_t mode;
        } files[] = {{"passwd", &passwd, 0644},
                     {"group", &group, 0644},
                     {"shadow", &shadow, 0640},
                     {"gshadow", &gshadow, 0640}};
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", etc, files[i].name);
                if (vers_write_file_atomic(p, files[i].text->buf, files[i].text->len, files[i].mode,
                                           err) < 0)
                        return -1;
        }
        return 0;
}

static int seed_etc(const char *etc, vers_error_t *err)
{
        if (mkdir(etc, 0755) < 0)
                return vers_make_error(err, errno, "cannot create '%s'", etc);
        for (size_t i = 0; i < sizeof etc_allow / sizeof etc_allow[0]; i++) {
                _cleanup_free_ char *src = xasprintf("/etc/%s", etc_allow[i]);
                _cleanup_free_ char *dst = xasprintf("%s/%s", etc, etc_allow[i]);
                if (!vers_path_exists(src))
                        continue;
                char *slash = strrchr(dst, '/');
                *slash = '\0';
                int r = vers_mkdir_p(dst, 0755, err);
                *slash = '/';
                if (r < 0)
                        return -1;
                char *argv[] = {"cp", "-a", "--reflink=auto", src, dst, NULL};
                _cleanup_free_ char *out = NULL;
                int rc = vers_run(argv, &out, err);
                if (rc < 0)
                        return -1;
                if (rc > 0 && strstr(out, "No space left on device"))
                        return vers_make_error(err, ENOSPC, "cannot copy /etc into the image");
                if (rc > 0)
                        return vers_make_error(err, 0, "cannot copy %s: %s", src,
                                               str_first_line(out));
        }
        for (size_t i = 0; i < sizeof etc_deny / sizeof etc_deny[0]; i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", etc, etc_deny[i]);
                if (vers_rm_rf(p, err) < 0)
                        return -1;
        }
        return seed_accounts(etc, err);
}

int vers_sandbox_populate(const char *rootfs, vers_error_t *err)
{
        static const struct {
                const char *path;
                mode_t mode;
        } dirs[] = {
            {"proc", 0555},      {"sys", 0555},       {"dev", 0755},          {"run", 0755},
            {"tmp", 01777},      {"root", 0700},      {"home", 0755},         {"var", 0755},
            {"var/lib", 0755},   {"var/log", 0755},   {"var/log/vers", 0755}, {"var/tmp", 01777},
            {"var/cache", 0755}, {"var/spool", 0755}, {"var/opt", 0755},      {"opt", 0755},
            {"srv", 0755},       {"mnt", 0755},       {"media", 0755},        {".vers", 0755},
            {".vers/bin", 0755},
        };
        for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", rootfs, dirs[i].path);
                if (mkdir(p, dirs[i].mode) < 0 && errno != EEXIST)
                        return vers_make_error(err, errno, "cannot create '%s'", p);
                chmod(p, dirs[i].mode);
        }
        static const char *links[][2] = {{"var/run", "/run"}, {"var/lock", "/run/lock"}};
        for (size_t i = 0; i < 2; i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", rootfs, links[i][0]);
                if (symlink(links[i][1], p) < 0 && errno != EEXIST)
                        return vers_make_error(err, errno, "cannot create '%s'", p);
        }
        for (size_t i = 0; i < N_HOST_RO; i++) {
                _cleanup_free_ char *host = xasprintf("/%s", host_ro_dirs[i]);
                _cleanup_free_ char *p = xasprintf("%s/%s", rootfs, host_ro_dirs[i]);
                struct stat st;
                if (lstat(host, &st) < 0)
                        continue;
                if (S_ISLNK(st.st_mode)) {
                        char target[4096];
                        ssize_t n = readlink(host, target, sizeof target - 1);
                        if (n < 0)
                                return vers_make_error(err, errno, "cannot read link '%s'", host);
                        target[n] = '\0';
                        if (symlink(target, p) < 0 && errno != EEXIST)
                                return vers_make_error(err, errno, "cannot create '%s'", p);
                } else if (mkdir(p, 0755) < 0 && errno != EEXIST) {
                        return vers_make_error(err, errno, "cannot create '%s'", p);
                }
        }
        /* env-private /etc, seeded from an allowlist of the host's */
        _cleanup_free_ char *etc = xasprintf("%s/etc", rootfs);
        if (!vers_path_exists(etc))
                return seed_etc(etc, err);
        return 0;
}

/* ---- setup steps ---------------------------------------------------------------------- */

enum step_kind {
        STEP_BIND_RO,  /* a host directory, read-only */
        STEP_BIND_RW,  /* a host directory (the project), nosuid and nodev */
        STEP_IDENTITY, /* from here on as the env's root: what is made belongs to the env */
        STEP_PROC,
        STEP_SYS,
        STEP_TMPFS,
        STEP_DEV,
        STEP_MASK,     /* /dev/null over a file, an empty read-only tmpfs over a dir; optional */
        STEP_READONLY, /* bound onto itself read-only; optional */
};

struct step {
        enum step_kind kind;
        char *src;  /* host path (binds) */
        char *dest; /* path relative to the new root */
        const char *opts;
};

struct plan {
        struct step *steps;
        size_t n;
};

static void plan_add(struct plan *p, enum step_kind k, const char *src, const char *dest,
                     const char *opts)
{
        p->steps = xrealloc(p->steps, (p->n + 1) * sizeof *p->steps);
        p->steps[p->n++] = (struct step){k, src ? xstrdup(src) : NULL, xstrdup(dest), opts};
}

static void plan_free(struct plan *p)
{
        for (size_t i = 0; i < p->n; i++) {
                free(p->steps[i].src);
                free(p->steps[i].dest);
        }
        free(p->steps);
}

static void build_plan(const struct vers_sandbox_spec *spec, struct plan *p)
{
        _cleanup_free_ char *marker = xasprintf("%s/" VERS_OWN_ROOT_MARKER, spec->rootfs);
        bool own = vers_path_exists(marker);
        for (size_t i = 0; i < N_HOST_RO && !own; i++) {
                _cleanup_free_ char *host = xasprintf("/%s", host_ro_dirs[i]);
                struct stat st;
                if (lstat(host, &st) == 0 && S_ISDIR(st.st_mode))
                        plan_add(p, STEP_BIND_RO, host, host_ro_dirs[i], NULL);
        }
        /* host paths are bound while this process still has the host's uid, which may be
         * the only one allowed to walk to them (a project under a 0700 directory) */
        if (spec->project_dir && spec->project_dir[0] == '/' && spec->project_dir[1])
                plan_add(p, STEP_BIND_RW, spec->project_dir, spec->project_dir + 1, NULL);
        plan_add(p, STEP_IDENTITY, NULL, "", NULL);
        plan_add(p, STEP_DEV, NULL, "dev", NULL);
        plan_add(p, STEP_PROC, NULL, "proc", NULL);
        plan_add(p, STEP_SYS, NULL, "sys", NULL);
        if (!own)
                plan_add(p, STEP_TMPFS, NULL, "run", "mode=755");
        for (size_t i = 0; i < vers_n_mask_paths; i++)
                plan_add(p, vers_mask_paths[i].kind == VERS_MASK ? STEP_MASK : STEP_READONLY, NULL,
                         vers_mask_paths[i].path + 1, NULL);
}

/* In a user namespace a read-only remount must keep the flags that lock the original. */
static unsigned long locked_flags(const char *path)
{
        struct statvfs sv;
        unsigned long f = 0;
        if (statvfs(path, &sv) < 0)
                return 0;
        if (sv.f_flag & ST_NOSUID)
                f |= MS_NOSUID;
        if (sv.f_flag & ST_NODEV)
                f |= MS_NODEV;
        if (sv.f_flag & ST_NOEXEC)
                f |= MS_NOEXEC;
        if (sv.f_flag & ST_NOATIME)
                f |= MS_NOATIME;
        if (sv.f_flag & ST_NODIRATIME)
                f |= MS_NODIRATIME;
        if (sv.f_flag & ST_RELATIME)
                f |= MS_RELATIME;
        if (sv.f_flag & ST_RDONLY)
                f |= MS_RDONLY;
        return f;
}

/* child-side failure: write a message to the error pipe and die */
static int child_errfd = -1;
__attribute__((noreturn, format(printf, 2, 3))) static void child_die(int e, const char *fmt, ...)
{
        char buf[1024];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        if (n > 0 && e && (size_t)n < sizeof buf)
                snprintf(buf + n, sizeof buf - (size_t)n, ": %s", strerror(e));
        if (child_errfd >= 0)
                vers_write_all(child_errfd, buf, strlen(buf));
        _exit(1);
}

static void touch(const char *path)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0)
                close(fd);
}

/* Fill the env's fresh /dev tmpfs (dev names it). */
static void setup_dev(const char *dev)
{
        char path[4096];
        for (size_t i = 0; i < N_DEV; i++) {
                snprintf(path, sizeof path, "%s/%s", dev, dev_nodes[i]);
                char host[64];
                snprintf(host, sizeof host, "/dev/%s", dev_nodes[i]);
                touch(path);
                if (mount(host, path, NULL, MS_BIND, NULL) < 0)
                        child_die(errno, "cannot bind %s", host);
        }
        static const char *links[][2] = {{"fd", "/proc/self/fd"},
                                         {"stdin", "/proc/self/fd/0"},
                                         {"stdout", "/proc/self/fd/1"},
                                         {"stderr", "/proc/self/fd/2"},
                                         {"ptmx", "pts/ptmx"}};
        for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
                snprintf(path, sizeof path, "%s/%s", dev, links[i][0]);
                if (symlink(links[i][1], path) < 0)
                        child_die(errno, "cannot create /dev/%s", links[i][0]);
        }
        snprintf(path, sizeof path, "%s/pts", dev);
        mkdir(path, 0755);
        if (mount("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC,
                  "newinstance,ptmxmode=0666,mode=620,gid=5") < 0 &&
            mount("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666") < 0)
                child_die(errno, "cannot mount /dev/pts");
        snprintf(path, sizeof path, "%s/shm", dev);
        mkdir(path, 01777);
        if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
                child_die(errno, "cannot mount /dev/shm");
        snprintf(path, sizeof path, "%s/mqueue", dev);
        mkdir(path, 0755);
        mount("mqueue", path, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

/* Take the env's root ids (the map has been written): until now this process had the host
 * uid 0, which the env does not map; what it creates from here on belongs to the env. */
static void become_env_root(void)
{
        if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                child_die(errno, "cannot take the env's root ids");
}

/* The directory dest (relative to the new root, cwd) as an O_PATH fd, made where missing.
 * Everything in the env's tree is the env's to change between two boots: each component is
 * resolved with openat2 inside the root and created with mkdirat in its resolved parent, so
 * a symlink planted in the tree can neither move a mount out of it nor make a directory on
 * the host. The caller mounts on /proc/self/fd/N. */
static int mount_point(const char *dest)
{
        vers_error_t e = NULL;
        _cleanup_close_ int root = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                child_die(errno, "cannot open the env root");
        int fd = dup(root);
        char part[4096];
        snprintf(part, sizeof part, "%s", dest);
        /* part[0..end) is the prefix resolved so far (from the root, as the env would) */
        for (size_t end = 0; part[end];) {
                size_t start = end;
                while (part[end] && part[end] != '/')
                        end++;
                char sep = part[end];
                part[end] = '\0';
                if (end > start) {
                        int next = vers_openat_in_root(root, part, O_PATH | O_DIRECTORY, 0, &e);
                        if (next < 0 && e->status == ENOENT) {
                                vers_error_free(&e);
                                if (mkdirat(fd, part + start, 0755) < 0 && errno != EEXIST)
                                        child_die(errno, "cannot create mount point '/%s'", dest);
                                next = vers_openat_in_root(root, part, O_PATH | O_DIRECTORY, 0, &e);
                        }
                        if (next < 0)
                                child_die(e->status,
                                          "mount point '/%s' is not a directory of the env", dest);
                        close(fd);
                        fd = next;
                }
                part[end] = sep;
                if (sep)
                        end++;
        }
        return fd;
}

static const char *fd_path(int fd, char *buf, size_t n)
{
        snprintf(buf, n, "/proc/self/fd/%d", fd);
        return buf;
}

/* Run the plan in the new root (cwd). Mounts on the env's tree go through mount_point();
 * the masks and read-only paths are under the env's fresh /proc and /sys, which it cannot
 * have changed. */
static void run_plan(const struct plan *p)
{
        char path[4096], fdp[64];
        for (size_t i = 0; i < p->n; i++) {
                const struct step *s = &p->steps[i];
                snprintf(path, sizeof path, "./%s", s->dest);
                int mp = -1;
                switch (s->kind) {
                case STEP_BIND_RO:
                case STEP_BIND_RW:
                case STEP_PROC:
                case STEP_SYS:
                case STEP_TMPFS:
                case STEP_DEV:
                        mp = mount_point(s->dest);
                        break;
                default:
                        break;
                }
                const char *target = mp >= 0 ? fd_path(mp, fdp, sizeof fdp) : path;
                switch (s->kind) {
                case STEP_BIND_RO:
                case STEP_BIND_RW: {
                        if (mount(s->src, target, NULL, MS_BIND | MS_REC, NULL) < 0)
                                child_die(errno, "cannot bind '%s'", s->src);
                        /* the new mount, not the directory it covers */
                        close(mp);
                        mp = mount_point(s->dest);
                        target = fd_path(mp, fdp, sizeof fdp);
                        /* the project is shared on purpose, but nothing set up in it from
                         * inside (a setuid file, a device node) takes effect in the env */
                        unsigned long f =
                            s->kind == STEP_BIND_RO ? MS_RDONLY : MS_NOSUID | MS_NODEV;
                        if (mount(NULL, target, NULL,
                                  MS_REMOUNT | MS_BIND | f | locked_flags(s->src), NULL) < 0)
                                child_die(errno, "cannot restrict '/%s'", s->dest);
                        break;
                }
                case STEP_IDENTITY:
                        become_env_root();
                        break;
                case STEP_MASK: {
                        struct stat st;
                        if (lstat(path, &st) < 0)
                                break; /* not on this kernel */
                        int r = S_ISDIR(st.st_mode)
                                    ? mount("tmpfs", path, "tmpfs",
                                            MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                            "size=0,mode=555")
                                    : mount("/dev/null", path, NULL, MS_BIND, NULL);
                        if (r < 0)
                                child_die(errno, "cannot mask '/%s'", s->dest);
                        break;
                }
                case STEP_READONLY:
                        if (access(path, F_OK) < 0)
                                break; /* not on this kernel */
                        if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0 ||
                            mount(NULL, path, NULL,
                                  MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV |
                                      MS_NOEXEC,
                                  NULL) < 0)
                                child_die(errno, "cannot make '/%s' read-only", s->dest);
                        break;
                case STEP_PROC:
                        if (mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) <
                            0)
                                child_die(errno, "cannot mount /proc");
                        break;
                case STEP_SYS:
                        /* best effort: not every kernel lets a user namespace mount sysfs */
                        if (mount("sysfs", target, "sysfs",
                                  MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                                mount("/sys", target, NULL, MS_BIND | MS_REC | MS_RDONLY, NULL);
                        break;
                case STEP_TMPFS:
                        if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, s->opts) < 0)
                                child_die(errno, "cannot mount tmpfs on '/%s'", s->dest);
                        break;
                case STEP_DEV:
                        if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NOEXEC,
                                  "mode=755,size=65536k") < 0)
                                child_die(errno, "cannot mount /dev");
                        close(mp);
                        mp = mount_point(s->dest);
                        setup_dev(fd_path(mp, fdp, sizeof fdp));
                        break;
                }
                if (mp >= 0)
                        close(mp);
        }
}

static void loopback_up(void)
{
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                child_die(errno, "socket");
        struct ifreq ifr;
        memset(&ifr, 0, sizeof ifr);
        strcpy(ifr.ifr_name, "lo");
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                child_die(errno, "cannot read flags of lo");
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                child_die(errno, "cannot bring up lo");
        close(fd);
}

struct child_args {
        const struct vers_sandbox_spec *spec;
        const struct plan *plan;
        int sync_fd; /* read end: parent says go */
        int err_fd;  /* write end: errors; EOF at exec means success */
};

static int child_main(void *arg)
{
        struct child_args *a = arg;
        const struct vers_sandbox_spec *spec = a->spec;
        child_errfd = a->err_fd;
        char c;
        if (read(a->sync_fd, &c, 1) != 1)
                _exit(1); /* parent gave up */
        close(a->sync_fd);
        if (setsid() < 0)
                child_die(errno, "setsid");
        if (unshare(CLONE_NEWCGROUP) < 0)
                child_die(errno, "cannot create a cgroup namespace");
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                child_die(errno, "cannot make mounts private");
        if (mount(spec->rootfs, spec->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
                child_die(errno, "cannot bind the env root '%s'", spec->rootfs);
        /* the plan works relative to the new root: once this process has the env's ids it
         * may not walk the store's host directories to it */
        if (chdir(spec->rootfs) < 0)
                child_die(errno, "chdir");
        run_plan(a->plan);
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                child_die(errno, "pivot_root");
        if (umount2(".", MNT_DETACH) < 0)
                child_die(errno, "cannot detach the old root");
        if (chdir("/") < 0)
                child_die(errno, "chdir /");
        const char *hn = spec->hostname ? spec->hostname : "vers";
        if (sethostname(hn, strlen(hn)) < 0)
                child_die(errno, "sethostname");
        if (!spec->host_net)
                loopback_up();

        /* PID 1's output goes to the env's own log. Both are opened inside the new root, so
         * that every descriptor of the env refers to something in its own mounts (a
         * checkpoint can only name files it can see). */
        int log = open("/var/log/vers/init.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (log < 0 || nul < 0)
                child_die(errno, "cannot open /var/log/vers/init.log or /dev/null");

        if (dup2(nul, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
                child_die(errno, "dup2");
        /* every inherited descriptor goes at exec; the error pipe stays usable until then */
        if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                child_die(errno, "close_range");
        char why[256];
        if (vers_harden_apply(why, sizeof why) < 0)
                child_die(errno, "%s", why);
        char *envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                        "LANG=C.UTF-8", "HOME=/root", NULL};
        execve(spec->init_argv[0], spec->init_argv, envp);
        child_die(errno, "cannot execute %s", spec->init_argv[0]);
}

static int write_map(pid_t pid, const struct vers_idmap *m, bool gid, vers_error_t *err)
{
        char path[64], map[128];
        snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, gid ? "gid_map" : "uid_map");
        vers_idmap_format(m, gid, map, sizeof map);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, map, strlen(map)) != (ssize_t)strlen(map))
                return vers_make_error(err, errno, "cannot write %s", path);
        return 0;
}

static void close_pipes(int a[2], int b[2], int c[2])
{
        int *fds[] = {a, b, c};
        for (size_t i = 0; i < 3; i++)
                for (size_t j = 0; j < 2; j++)
                        if (fds[i][j] >= 0)
                                close(fds[i][j]);
}

int vers_sandbox_start(const struct vers_sandbox_spec *spec, pid_t *pidp, vers_error_t *err)
{
        int sync[2] = {-1, -1}, errp[2] = {-1, -1}, pidpipe[2] = {-1, -1};
        if (pipe2(sync, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
            pipe2(pidpipe, O_CLOEXEC) < 0) {
                int e = errno;
                close_pipes(sync, errp, pidpipe);
                return vers_make_error(err, e, "pipe");
        }
        struct plan plan = {NULL, 0};
        build_plan(spec, &plan);

        /* an intermediate process clones PID 1 and exits at once, so that PID 1 is never
         * the caller's child and outlives this command */
        pid_t mid = fork();
        if (mid < 0) {
                int e = errno;
                plan_free(&plan);
                close_pipes(sync, errp, pidpipe);
                return vers_make_error(err, e, "fork");
        }
        if (mid == 0) {
                close(sync[1]);
                close(errp[0]);
                close(pidpipe[0]);
                struct child_args a = {spec, &plan, sync[0], errp[1]};
                size_t stack_size = 1024 * 1024;
                char *stack = xmalloc(stack_size);
                int flags = NS_FLAGS;
                if (spec->host_net)
                        flags &= ~CLONE_NEWNET;
                pid_t pid = clone(child_main, stack + stack_size, flags | SIGCHLD, &a);
                int e = errno;
                if (pid < 0) {
                        char msg[256];
                        snprintf(msg, sizeof msg, "cannot create namespaces: %s", strerror(e));
                        vers_write_all(errp[1], msg, strlen(msg));
                        _exit(1);
                }
                vers_write_all(pidpipe[1], &pid, sizeof pid);
                _exit(0);
        }
        close(sync[0]);
        close(errp[1]);
        close(pidpipe[1]);
        plan_free(&plan);
        int status;
        while (waitpid(mid, &status, 0) < 0 && errno == EINTR)
                ;
        pid_t pid = -1;
        ssize_t got = read(pidpipe[0], &pid, sizeof pid);
        close(pidpipe[0]);
        int ret = 0;
        char msg[1024];
        if (got != (ssize_t)sizeof pid) {
                ssize_t n = read(errp[0], msg, sizeof msg - 1);
                msg[n > 0 ? n : 0] = '\0';
                ret = vers_make_error(err, 0, "%s", n > 0 ? msg : "cannot start the env");
                goto out;
        }
        if (write_map(pid, spec->idmap, false, err) < 0 ||
            write_map(pid, spec->idmap, true, err) < 0 ||
            vers_cgroup_create(spec->envid, spec->memory_mib, spec->vcpu, spec->pids, err) < 0 ||
            vers_cgroup_attach(spec->envid, pid, err) < 0) {
                kill(pid, SIGKILL);
                ret = -1;
                goto out;
        }
        if (write(sync[1], "x", 1) != 1) {
                kill(pid, SIGKILL);
                ret = vers_make_error(err, errno, "cannot start the env");
                goto out;
        }
        close(sync[1]);
        sync[1] = -1;
        ssize_t n;
        while ((n = read(errp[0], msg, sizeof msg - 1)) < 0 && errno == EINTR)
                ;
        if (n > 0) {
                msg[n] = '\0';
                kill(pid, SIGKILL);
                ret = vers_make_error(err, 0, "env setup failed: %s", msg);
                goto out;
        }
        *pidp = pid;
out:
        if (sync[1] >= 0)
                close(sync[1]);
        close(errp[0]);
        return ret;
}

/* ---- exec ----------------------------------------------------------------------------- */

static volatile sig_atomic_t fwd_pid = 0;
static volatile sig_atomic_t timed_out = 0;
static volatile sig_atomic_t winch = 0;

static void forward_signal(int sig)
{
        if (sig == SIGALRM) {
                timed_out = 1;
                if (fwd_pid > 0) {
                        kill(-fwd_pid, SIGKILL);
                        kill(fwd_pid, SIGKILL);
                }
                return;
        }
        if (sig == SIGWINCH) {
                winch = 1;
                return;
        }
        if (fwd_pid > 0) {
                kill(-fwd_pid, sig);
                kill(fwd_pid, sig);
        }
}

/* Relay the user's terminal and the env's pty until the shell exits. Not until the pty
 * closes: a process the shell leaves behind holding it would go on reading what the user
 * types (and could draw a host prompt to ask for it). Then what the pty already holds is
 * shown, bounded. */
static void relay(int master, pid_t child)
{
        struct termios saved, raw;
        bool have_tty = tcgetattr(0, &saved) == 0;
        if (have_tty) {
                raw = saved;
                cfmakeraw(&raw);
                tcsetattr(0, TCSANOW, &raw);
        }
        int cfd = (int)syscall(SYS_pidfd_open, child, 0);
        char buf[8192];
        bool in_open = true;
        for (;;) {
                if (winch) {
                        winch = 0;
                        struct winsize ws;
                        if (ioctl(0, TIOCGWINSZ, &ws) == 0)
                                ioctl(master, TIOCSWINSZ, &ws);
                }
                struct pollfd pf[3] = {{master, POLLIN, 0}, {cfd, POLLIN, 0}, {0, POLLIN, 0}};
                int r = poll(pf, in_open ? 3 : 2, -1);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        break;
                if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                        ssize_t n = read(master, buf, sizeof buf);
                        if (n <= 0)
                                break;
                        vers_write_all(1, buf, (size_t)n);
                }
                if (pf[1].revents)
                        break; /* the shell exited */
                if (in_open && (pf[2].revents & (POLLIN | POLLHUP))) {
                        ssize_t n = read(0, buf, sizeof buf);
                        if (n <= 0)
                                in_open = false;
                        else
                                vers_write_all(master, buf, (size_t)n);
                }
        }
        fcntl(master, F_SETFL, O_NONBLOCK);
        for (int k = 0; k < 64; k++) {
                ssize_t n = read(master, buf, sizeof buf);
                if (n <= 0 || vers_write_all(1, buf, (size_t)n) < 0)
                        break;
        }
        close(master);
        if (cfd >= 0)
                close(cfd);
        if (have_tty)
                tcsetattr(0, TCSANOW, &saved);
}

/* The host's terminal never goes into an env: where the command would get one as its stdin,
 * stdout or stderr, it gets a pipe the helper relays while the command runs. A process it
 * leaves behind in the env cannot read what the user types after vers returned, nor write
 * to the terminal, nor change its modes. */
struct tty_relay {
        int child[3]; /* the command's ends (-1: that fd is not relayed) */
        int host[3];  /* the helper's ends */
};

static void tty_relay_open(const struct vers_exec_spec *spec, struct tty_relay *r)
{
        for (int i = 0; i < 3; i++)
                r->child[i] = r->host[i] = -1;
        if (spec->pty || spec->quiet)
                return; /* the env's own pty, or /dev/null */
        for (int i = 0; i < 3; i++) {
                /* build steps: stdin is /dev/null, stdout a copy of stderr */
                if (spec->build_io && i < 2)
                        continue;
                if (!isatty(i))
                        continue;
                int p[2];
                if (pipe2(p, O_CLOEXEC) < 0) {
                        fprintf(stderr, "vers: cannot relay the terminal: %s\n", strerror(errno));
                        _exit(125);
                }
                r->child[i] = i == 0 ? p[0] : p[1];
                r->host[i] = i == 0 ? p[1] : p[0];
        }
}

/* Copy the terminal to the command and its output back until the command exits; then what
 * is already written is passed on, and nothing more (the env may keep the pipes open). */
static void tty_relay_run(struct tty_relay *r, pid_t child)
{
        int cfd = (int)syscall(SYS_pidfd_open, child, 0);
        signal(SIGPIPE, SIG_IGN);
        for (int i = 1; i < 3; i++)
                if (r->host[i] >= 0)
                        fcntl(r->host[i], F_SETFL, O_NONBLOCK);
        char buf[8192];
        bool done = false;
        while (!done) {
                struct pollfd pf[4];
                int which[4], n = 0;
                if (cfd >= 0) {
                        pf[n] = (struct pollfd){cfd, POLLIN, 0};
                        which[n++] = -1;
                }
                for (int i = 0; i < 3; i++) {
                        if (r->host[i] < 0)
                                continue;
                        pf[n] = (struct pollfd){i == 0 ? 0 : r->host[i], POLLIN, 0};
                        which[n++] = i;
                }
                if (n == (cfd >= 0 ? 1 : 0))
                        break; /* nothing left to relay: waitpid does the rest */
                if (poll(pf, (nfds_t)n, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                for (int k = 0; k < n; k++) {
                        if (!pf[k].revents)
                                continue;
                        int i = which[k];
                        if (i < 0) {
                                done = true; /* the command exited */
                                continue;
                        }
                        ssize_t got = read(i == 0 ? 0 : r->host[i], buf, sizeof buf);
                        if (got < 0 && (errno == EINTR || errno == EAGAIN))
                                continue;
                        if (got <= 0 ||
                            vers_write_all(i == 0 ? r->host[0] : i, buf, (size_t)got) < 0) {
                                close(r->host[i]);
                                r->host[i] = -1;
                        }
                }
        }
        /* what the command wrote before it exited; bounded, for a writer it left behind */
        for (int i = 1; i < 3; i++) {
                for (int k = 0; r->host[i] >= 0 && k < 64; k++) {
                        ssize_t got = read(r->host[i], buf, sizeof buf);
                        if (got <= 0 || vers_write_all(i, buf, (size_t)got) < 0)
                                break;
                }
        }
        for (int i = 0; i < 3; i++)
                if (r->host[i] >= 0)
                        close(r->host[i]);
        if (cfd >= 0)
                close(cfd);
}

/* the process inside the env: runs as the child of the in-namespace helper */
__attribute__((noreturn)) static void exec_inner(const struct vers_exec_spec *spec,
                                                 const char *slave, const struct tty_relay *relay)
{
        for (int i = 0; i < 3; i++)
                if (relay->child[i] >= 0 && dup2(relay->child[i], i) < 0)
                        _exit(126);
        if (slave) {
                setsid();
                int fd = open(slave, O_RDWR);
                if (fd < 0)
                        _exit(126);
                ioctl(fd, TIOCSCTTY, 0);
                dup2(fd, 0);
                dup2(fd, 1);
                dup2(fd, 2);
                if (fd > 2)
                        close(fd);
        } else if (spec->quiet) {
                int fd = open("/dev/null", O_RDWR);
                dup2(fd, 0);
                dup2(fd, 1);
                dup2(fd, 2);
                if (fd > 2)
                        close(fd);
        } else if (spec->build_io) {
                int fd = open("/dev/null", O_RDONLY);
                dup2(fd, 0);
                if (fd > 2)
                        close(fd);
                dup2(2, 1);
        }
        /* a session of its own inside the env: what it leaves running must not belong to a
         * session whose leader is outside the env's pid namespace (CRIU refuses to dump
         * that), and a timeout can kill the whole group */
        if (!slave)
                setsid();
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        /* the helper joined the env's namespaces with the host's uid 0: take the env's root
         * ids, then the env's seccomp filter and capabilities, before anything runs */
        char hwhy[256];
        if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
                fprintf(stderr, "vers: cannot take the env's root ids: %s\n", strerror(errno));
                _exit(126);
        }
        if (vers_harden_apply(hwhy, sizeof hwhy) < 0) {
                fprintf(stderr, "vers: %s: %s\n", hwhy, strerror(errno));
                _exit(126);
        }
        if (spec->user) {
                struct vers_user u;
                char why[512];
                if (vers_user_lookup("", spec->user, &u, why, sizeof why) < 0) {
                        fprintf(stderr, "vers: %s\n", why);
                        _exit(126);
                }
                if (vers_user_become(&u) < 0) {
                        fprintf(stderr, "vers: cannot become '%s' in the env: %s\n", spec->user,
                                strerror(errno));
                        _exit(126);
                }
        }
        const char *wd = spec->workdir ? spec->workdir : "/";
        if (chdir(wd) < 0) {
                fprintf(stderr, "vers: cannot enter directory '%s' in the env: %s\n", wd,
                        strerror(errno));
                _exit(126);
        }
        vers_close_fds_from(3);
        execvpe(spec->argv[0], spec->argv, spec->envp);
        fprintf(stderr, "vers: cannot run '%s' in the env: %s\n", spec->argv[0], strerror(errno));
        _exit(errno == ENOENT ? 127 : 126);
}

/* the helper that joined the env's namespaces: forks the command, waits, reports */
__attribute__((noreturn)) static void exec_helper(const struct vers_exec_spec *spec, int pidfd)
{
        if (spec->envid)
                vers_cgroup_attach(spec->envid, getpid(), NULL);
        if (setns(pidfd, NS_FLAGS | CLONE_NEWCGROUP) < 0 && setns(pidfd, NS_FLAGS) < 0) {
                fprintf(stderr, "vers: cannot enter the env: %s\n", strerror(errno));
                _exit(125);
        }
        close(pidfd);
        /* this process keeps the host's uid 0 while it waits: nothing in the env may ptrace
         * it or read its /proc files */
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        int master = -1;
        char slave[128] = "";
        if (spec->pty) {
                master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
                if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
                    ptsname_r(master, slave, sizeof slave) != 0) {
                        fprintf(stderr, "vers: cannot open a terminal in the env: %s\n",
                                strerror(errno));
                        _exit(125);
                }
                struct winsize ws;
                if (ioctl(0, TIOCGWINSZ, &ws) == 0)
                        ioctl(master, TIOCSWINSZ, &ws);
        }
        struct tty_relay tr;
        tty_relay_open(spec, &tr);
        pid_t pid = fork();
        if (pid < 0)
                _exit(125);
        if (pid == 0)
                exec_inner(spec, master >= 0 ? slave : NULL, &tr);
        for (int i = 0; i < 3; i++)
                if (tr.child[i] >= 0)
                        close(tr.child[i]);
        fwd_pid = pid;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = forward_signal;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        sigaction(SIGALRM, &sa, NULL);
        sigaction(SIGWINCH, &sa, NULL);
        /* the command has a session of its own, so the terminal's ^C reaches only us: pass
         * it on */
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGQUIT, &sa, NULL);
        if (spec->timeout_sec > 0)
                alarm((unsigned)spec->timeout_sec);
        if (master >= 0)
                relay(master, pid);
        else if (tr.host[0] >= 0 || tr.host[1] >= 0 || tr.host[2] >= 0)
                tty_relay_run(&tr, pid);
        int status;
        while (waitpid(pid, &status, 0) < 0) {
                if (errno != EINTR)
                        _exit(125);
        }
        if (timed_out) {
                fprintf(stderr, "vers: command timed out after %d s\n", spec->timeout_sec);
                _exit(124);
        }
        if (WIFEXITED(status))
                _exit(WEXITSTATUS(status));
        _exit(128 + WTERMSIG(status));
}

int vers_sandbox_exec(const struct vers_exec_spec *spec, int *status, vers_error_t *err)
{
        int pidfd = (int)syscall(SYS_pidfd_open, spec->init_pid, 0);
        if (pidfd < 0)
                return vers_make_error(err, errno, "env process %d is gone", (int)spec->init_pid);
        fflush(stdout);
        fflush(stderr);
        pid_t helper = fork();
        if (helper < 0) {
                close(pidfd);
                return vers_make_error(err, errno, "fork");
        }
        if (helper == 0)
                exec_helper(spec, pidfd);
        close(pidfd);
        struct sigaction sa, old_int, old_quit, old_term, old_hup;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = forward_signal;
        fwd_pid = helper;
        sigaction(SIGTERM, &sa, &old_term);
        sigaction(SIGHUP, &sa, &old_hup);
        struct sigaction ign;
        memset(&ign, 0, sizeof ign);
        ign.sa_handler = SIG_IGN;
        sigaction(SIGINT, &ign, &old_int);
        sigaction(SIGQUIT, &ign, &old_quit);
        int st;
        int ret = 0;
        while (waitpid(helper, &st, 0) < 0) {
                if (errno != EINTR) {
                        ret = vers_make_error(err, errno, "waitpid");
                        break;
                }
        }
        fwd_pid = 0;
        sigaction(SIGTERM, &old_term, NULL);
        sigaction(SIGHUP, &old_hup, NULL);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        if (ret == 0)
                *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return ret;
}

int vers_sandbox_set_hostname(pid_t pid, const char *name, vers_error_t *err)
{
        int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0)
                return vers_make_error(err, errno, "env process %d is gone", (int)pid);
        pid_t child = fork();
        if (child < 0) {
                close(pidfd);
                return vers_make_error(err, errno, "fork");
        }
        if (child == 0) {
                if (setns(pidfd, CLONE_NEWUSER | CLONE_NEWUTS) < 0 ||
                    sethostname(name, strlen(name)) < 0)
                        _exit(1);
                _exit(0);
        }
        close(pidfd);
        int status;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR)
                ;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return vers_make_error(err, 0, "cannot set the env's hostname");
        return 0;
}

/* ---- a socket of the env, for host-side clients -------------------------------------------- */

int vers_sandbox_share_socket(pid_t init_pid, const char *rel, const char *host_path,
                              vers_error_t *err)
{
        int pidfd = (int)syscall(SYS_pidfd_open, init_pid, 0);
        if (pidfd < 0)
                return vers_make_error(err, errno, "env process %d is gone", (int)init_pid);
        _cleanup_close_ int target =
            open(host_path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (target < 0) {
                close(pidfd);
                return vers_make_error(err, errno, "cannot create '%s'", host_path);
        }
        int errp[2];
        if (pipe2(errp, O_CLOEXEC) < 0) {
                close(pidfd);
                return vers_make_error(err, errno, "pipe");
        }
        pid_t child = fork();
        if (child < 0) {
                close(pidfd);
                close(errp[0]);
                close(errp[1]);
                return vers_make_error(err, errno, "fork");
        }
        if (child == 0) {
                close(errp[0]);
                child_errfd = errp[1];
                /* in the env's mount namespace the socket is found as the env sees it, and a
                 * symlink in the way resolves inside the env; its mount is cloned there (a
                 * mount of another namespace cannot be), then attached here over host_path */
                int host_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
                if (host_ns < 0 || setns(pidfd, CLONE_NEWNS) < 0)
                        child_die(errno, "cannot enter the env's mounts");
                vers_error_t e = NULL;
                int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                int sock = root < 0 ? -1 : vers_openat_in_root(root, rel, O_PATH, 0, &e);
                struct stat st;
                if (sock < 0 || fstat(sock, &st) < 0 || !S_ISSOCK(st.st_mode))
                        child_die(0, "no socket '/%s' in the env", rel);
                /* and one of the env's own: on its root or its /run, never on a host
                 * filesystem bound into it (the project), which a link could lead to */
                struct stat rst, runst;
                int run = vers_openat_in_root(root, "run", O_PATH | O_DIRECTORY, 0, &e);
                bool own = (fstat(root, &rst) == 0 && st.st_dev == rst.st_dev) ||
                           (run >= 0 && fstat(run, &runst) == 0 && st.st_dev == runst.st_dev);
                if (!own)
                        child_die(0, "'/%s' in the env is not the env's own socket", rel);
                int tree = (int)syscall(SYS_open_tree, sock, "",
                                        OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
                if (tree < 0)
                        child_die(errno, "cannot take '/%s' of the env", rel);
                if (setns(host_ns, CLONE_NEWNS) < 0)
                        child_die(errno, "cannot return to the host's mounts");
                if (syscall(SYS_move_mount, tree, "", target, "",
                            MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                        child_die(errno, "cannot attach the env's socket at '%s'", host_path);
                _exit(0);
        }
        close(pidfd);
        close(errp[1]);
        char msg[512];
        ssize_t n;
        while ((n = read(errp[0], msg, sizeof msg - 1)) < 0 && errno == EINTR)
                ;
        close(errp[0]);
        int status = 0;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR)
                ;
        if (n > 0) {
                msg[n] = '\0';
                return vers_make_error(err, 0, "%s", msg);
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return vers_make_error(err, 0, "cannot share the env's socket '/%s'", rel);
        return 0;
}
