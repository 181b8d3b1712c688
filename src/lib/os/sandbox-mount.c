/* sandbox-mount — running a mount plan in the new namespaces, the env root as cwd. */
#include "os/sandbox-private.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

static const char *dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
#define N_DEV (sizeof dev_nodes / sizeof dev_nodes[0])

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
                        vers_sandbox_child_die(errno, "cannot bind %s", host);
        }
        static const char *links[][2] = {{"fd", "/proc/self/fd"},
                                         {"stdin", "/proc/self/fd/0"},
                                         {"stdout", "/proc/self/fd/1"},
                                         {"stderr", "/proc/self/fd/2"},
                                         {"ptmx", "pts/ptmx"}};
        for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
                snprintf(path, sizeof path, "%s/%s", dev, links[i][0]);
                if (symlink(links[i][1], path) < 0)
                        vers_sandbox_child_die(errno, "cannot create /dev/%s", links[i][0]);
        }
        snprintf(path, sizeof path, "%s/pts", dev);
        mkdir(path, 0755);
        if (mount("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC,
                  "newinstance,ptmxmode=0666,mode=620,gid=5") < 0 &&
            mount("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666") < 0)
                vers_sandbox_child_die(errno, "cannot mount /dev/pts");
        snprintf(path, sizeof path, "%s/shm", dev);
        mkdir(path, 01777);
        if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
                vers_sandbox_child_die(errno, "cannot mount /dev/shm");
        snprintf(path, sizeof path, "%s/mqueue", dev);
        mkdir(path, 0755);
        mount("mqueue", path, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

/* Take the env's root ids (the map has been written): until now this process had the host
 * uid 0, which the env does not map; what it creates from here on belongs to the env. */
static void become_env_root(void)
{
        if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                vers_sandbox_child_die(errno, "cannot take the env's root ids");
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
                vers_sandbox_child_die(errno, "cannot open the env root");
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
                                        vers_sandbox_child_die(
                                            errno, "cannot create mount point '/%s'", dest);
                                next = vers_openat_in_root(root, part, O_PATH | O_DIRECTORY, 0, &e);
                        }
                        if (next < 0)
                                vers_sandbox_child_die(
                                    e->status, "mount point '/%s' is not a directory of the env",
                                    dest);
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

static void loopback_up(void)
{
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                vers_sandbox_child_die(errno, "socket");
        struct ifreq ifr;
        memset(&ifr, 0, sizeof ifr);
        strcpy(ifr.ifr_name, "lo");
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                vers_sandbox_child_die(errno, "cannot read flags of lo");
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                vers_sandbox_child_die(errno, "cannot bring up lo");
        close(fd);
}

/* Mounts on the env's tree go through mount_point(); the masks and read-only paths are under
 * the env's fresh /proc and /sys, which it cannot have changed. */
void vers_sandbox_plan_run(const struct vers_sandbox_plan *p)
{
        char path[4096], fdp[64];
        for (size_t i = 0; i < p->n; i++) {
                const struct vers_sandbox_step *s = &p->steps[i];
                snprintf(path, sizeof path, "./%s", s->dest);
                int mp = -1;
                switch (s->kind) {
                case VERS_STEP_BIND:
                case VERS_STEP_PROC:
                case VERS_STEP_SYS:
                case VERS_STEP_TMPFS:
                case VERS_STEP_DEV:
                        mp = mount_point(s->dest);
                        break;
                default:
                        break;
                }
                const char *target = mp >= 0 ? fd_path(mp, fdp, sizeof fdp) : path;
                switch (s->kind) {
                case VERS_STEP_BIND:
                        if (mount(s->src, target, NULL, MS_BIND | MS_REC, NULL) < 0)
                                vers_sandbox_child_die(errno, "cannot bind '%s'", s->src);
                        /* the new mount, not the directory it covers */
                        close(mp);
                        mp = mount_point(s->dest);
                        target = fd_path(mp, fdp, sizeof fdp);
                        if (mount(NULL, target, NULL,
                                  MS_REMOUNT | MS_BIND | s->flags | locked_flags(s->src), NULL) < 0)
                                vers_sandbox_child_die(errno, "cannot restrict '/%s'", s->dest);
                        break;
                case VERS_STEP_IDENTITY:
                        become_env_root();
                        break;
                case VERS_STEP_MASK: {
                        struct stat st;
                        if (lstat(path, &st) < 0) {
                                if (errno == ENOENT && s->allow_missing)
                                        break; /* not on this kernel */
                                vers_sandbox_child_die(errno, "cannot mask '/%s'", s->dest);
                        }
                        int r = S_ISDIR(st.st_mode)
                                    ? mount("tmpfs", path, "tmpfs", s->flags, s->opts)
                                    : mount("/dev/null", path, NULL, MS_BIND, NULL);
                        if (r < 0)
                                vers_sandbox_child_die(errno, "cannot mask '/%s'", s->dest);
                        break;
                }
                case VERS_STEP_READONLY:
                        if (access(path, F_OK) < 0) {
                                if (errno == ENOENT && s->allow_missing)
                                        break; /* not on this kernel */
                                vers_sandbox_child_die(errno, "cannot make '/%s' read-only",
                                                       s->dest);
                        }
                        if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0 ||
                            mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | s->flags, NULL) < 0)
                                vers_sandbox_child_die(errno, "cannot make '/%s' read-only",
                                                       s->dest);
                        break;
                case VERS_STEP_PROC:
                        if (mount("proc", target, "proc", s->flags, NULL) < 0)
                                vers_sandbox_child_die(errno, "cannot mount /proc");
                        break;
                case VERS_STEP_SYS:
                        /* best effort: not every kernel lets a user namespace mount sysfs */
                        if (mount("sysfs", target, "sysfs", s->flags, NULL) < 0)
                                mount("/sys", target, NULL, MS_BIND | MS_REC | MS_RDONLY, NULL);
                        break;
                case VERS_STEP_TMPFS:
                        if (mount("tmpfs", target, "tmpfs", s->flags, s->opts) < 0)
                                vers_sandbox_child_die(errno, "cannot mount tmpfs on '/%s'",
                                                       s->dest);
                        break;
                case VERS_STEP_DEV:
                        if (mount("tmpfs", target, "tmpfs", s->flags, s->opts) < 0)
                                vers_sandbox_child_die(errno, "cannot mount /dev");
                        close(mp);
                        mp = mount_point(s->dest);
                        setup_dev(fd_path(mp, fdp, sizeof fdp));
                        break;
                case VERS_STEP_HOSTNAME:
                        if (sethostname(s->src, strlen(s->src)) < 0)
                                vers_sandbox_child_die(errno, "sethostname");
                        break;
                case VERS_STEP_LOOPBACK:
                        loopback_up();
                        break;
                }
                if (mp >= 0)
                        close(mp);
        }
}
