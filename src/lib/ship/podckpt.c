/* podckpt — a warm commit in the layout of 'podman container checkpoint --export' (see
 * podckpt.h). The archive is written with libarchive, its JSON with jansson. */
#include "ship/podckpt.h"
#include "ship/lazylib.h"
#include "build/build.h"
#include "engine/engine.h"
#include "os/criu.h"
#include "os/sandbox.h"
#include "state/refs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the commit and its image --------------------------------------------------------- */

static int warm_commit(struct vers_ctx *ctx, const char *name, struct vers_commit *c,
                       vers_error_t *err)
{
        if (vers_ready_commit(ctx, name, c, err) < 0)
                return -1;
        if (!c->mode || strcmp(c->mode, "warm"))
                return vers_make_error(err, 0,
                                       "commit '%s' is cold: --checkpoint needs a warm commit "
                                       "(its processes); 'vers export' without it writes the "
                                       "image",
                                       name);
        return 0;
}

static json_t *read_json(const char *path, vers_error_t *err)
{
        json_error_t je;
        json_t *v = json_load_file(path, 0, &je);
        if (!v)
                vers_make_error(err, 0, "cannot read '%s': %s", path, je.text);
        return v;
}

#define NO_IMAGE                                                                                   \
        "commit '%s' has no exported image: run 'vers export %s -o IMAGE' (and 'podman load -i "   \
        "IMAGE' where it is restored) first"

/* The config digest (the image id podman gives it) of the commit's exported image: tag
 * commit-<id> in VERS_CACHE/ship, which 'vers export' writes. */
static int image_id(const char *id, const char *label, char **out, vers_error_t *err)
{
        _cleanup_free_ char *cache = vers_build_cache_dir();
        _cleanup_free_ char *layout = xasprintf("%s/ship", cache);
        _cleanup_free_ char *index = xasprintf("%s/index.json", layout);
        _cleanup_free_ char *tag = xasprintf("commit-%s", id);
        if (!vers_path_exists(index))
                return vers_make_error(err, 0, NO_IMAGE, label, label);
        json_t *idx = read_json(index, err);
        if (!idx)
                return -1;
        const char *mdig = NULL;
        _cleanup_free_ char *mpath = NULL;
        size_t i;
        json_t *m;
        json_array_foreach(json_object_get(idx, "manifests"), i, m)
        {
                const char *ref = json_string_value(json_object_get(
                    json_object_get(m, "annotations"), "org.opencontainers.image.ref.name"));
                if (ref && !strcmp(ref, tag))
                        mdig = json_string_value(json_object_get(m, "digest"));
        }
        int ret = -1;
        if (!mdig || strncmp(mdig, "sha256:", 7) || strchr(mdig + 7, '/')) {
                vers_make_error(err, 0, NO_IMAGE, label, label);
                goto out;
        }
        mpath = xasprintf("%s/blobs/sha256/%s", layout, mdig + 7);
        json_t *man = read_json(mpath, err);
        if (!man)
                goto out;
        const char *cdig =
            json_string_value(json_object_get(json_object_get(man, "config"), "digest"));
        if (!cdig || strncmp(cdig, "sha256:", 7) || strlen(cdig) != 7 + 64)
                vers_make_error(err, 0, "'%s': the manifest names no configuration", mpath);
        else {
                *out = xstrdup(cdig + 7);
                ret = 0;
        }
        json_decref(man);
out:
        json_decref(idx);
        return ret;
}

/* ---- config.dump and spec.dump -------------------------------------------------------- */

static char *iso_now(void)
{
        char buf[64];
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return xstrdup(buf);
}

/* podman's ContainerConfig: what it needs to make the container again; the paths it derives
 * (static dir, log, pid files) are left out so that it chooses them */
static json_t *config_dump(const char *ctr, const char *name, const char *image,
                           const char *image_name)
{
        _cleanup_free_ char *now = iso_now();
        return json_pack(
            "{s:s, s:s, s:i, s:s, s:s, s:s, s:{s:b, s:b}, s:b, s:b, s:[s], s:[s], s:i, s:i, s:s, "
            "s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:b, s:b, s:b, s:b, s:b}",
            "id", ctr, "name", name, "lockID", 0, "rootfsImageID", image, "rootfsImageName",
            image_name, "RawImageName", image_name, "idMappingsOptions", "HostUIDMapping", 1,
            "HostGIDMapping", 1, "createWorkingDir", 1, "passwd", 0, "labelopts", "disable",
            "command", "/.vers/init", "stopSignal", 15, "stopTimeout", 10, "createdTime", now,
            "cgroupManager", "cgroupfs", "cgroupsMode", "enabled", "cgroupParent", "/libpod_parent",
            "logDriver", "k8s-file", "sdnotifyMode", "container", "umask", "0022", "runtime",
            "runc", "shmSize", (json_int_t)65536000, "UseImageResolvConf", 0, "UseImageHosts", 0,
            "createNetNS", 0, "privileged", 0, "isService", 0, "mountAllDevices", 0);
}

static json_t *strings(const char *const *v)
{
        json_t *a = json_array();
        for (; *v; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

static json_t *mount_of(const char *dest, const char *type, const char *const *opts)
{
        return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type, "source", type,
                         "options", strings(opts));
}

/* The OCI spec podman hands runc. The restored processes keep what the dump has (creds,
 * capabilities, seccomp, rlimits, user namespace); this is what 'podman exec' starts with. */
static json_t *spec_dump(const char *ctr, const char *criu_conf)
{
        static const char *const caps[] = {
            "CAP_CHOWN",   "CAP_DAC_OVERRIDE",     "CAP_FOWNER",     "CAP_FSETID",
            "CAP_KILL",    "CAP_NET_BIND_SERVICE", "CAP_SETFCAP",    "CAP_SETGID",
            "CAP_SETPCAP", "CAP_SETUID",           "CAP_SYS_CHROOT", NULL};
        static const char *const masked[] = {
            "/proc/acpi",       "/proc/kcore",       "/proc/keys",        "/proc/latency_stats",
            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
            "/sys/firmware",    "/sys/fs/selinux",   "/sys/dev/block",    NULL};
        static const char *const ro[] = {
            "/proc/asound", "/proc/bus",           "/proc/fs", "/proc/irq",
            "/proc/sys",    "/proc/sysrq-trigger", NULL};
        json_t *mounts = json_array();
        json_array_append_new(
            mounts, mount_of("/proc", "proc", (const char *[]){"nosuid", "noexec", "nodev", NULL}));
        json_array_append_new(mounts, mount_of("/dev", "tmpfs",
                                               (const char *[]){"nosuid", "strictatime", "mode=755",
                                                                "size=65536k", NULL}));
        json_array_append_new(
            mounts,
            mount_of("/sys", "sysfs", (const char *[]){"nosuid", "noexec", "nodev", "ro", NULL}));
        json_array_append_new(
            mounts, mount_of("/dev/pts", "devpts",
                             (const char *[]){"nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                              "mode=0620", "gid=5", NULL}));
        json_array_append_new(
            mounts,
            mount_of("/dev/mqueue", "mqueue", (const char *[]){"nosuid", "noexec", "nodev", NULL}));
        json_t *ns = json_array();
        for (const char *const *t = (const char *[]){"pid", "network", "ipc", "uts", "mount", NULL};
             *t; t++)
                json_array_append_new(ns, json_pack("{s:s}", "type", *t));
        _cleanup_free_ char *cgpath = xasprintf("/libpod_parent/libpod-%s", ctr);
        json_t *caps_o = json_pack("{s:o, s:o, s:o}", "bounding", strings(caps), "effective",
                                   strings(caps), "permitted", strings(caps));
        json_t *process =
            json_pack("{s:b, s:{s:i, s:i}, s:[s], s:[s], s:s, s:o, s:[{s:s, s:I, s:I}]}",
                      "terminal", 0, "user", "uid", 0, "gid", 0, "args", "/.vers/init", "env",
                      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "cwd",
                      "/", "capabilities", caps_o, "rlimits", "type", "RLIMIT_NOFILE", "hard",
                      (json_int_t)1024, "soft", (json_int_t)1024);
        json_t *linux_o = json_pack("{s:s, s:o, s:o, s:o}", "cgroupsPath", cgpath, "namespaces", ns,
                                    "maskedPaths", strings(masked), "readonlyPaths", strings(ro));
        /* runc restores with CRIU's --empty-ns net always ("runc doesn't manage network
         * devices"): the env's network namespace comes back without its links, loopback
         * down. runc runs createRuntime hooks once CRIU has made the namespaces, with the
         * restored PID 1 in the state on stdin: this one brings loopback up in its netns. */
        const char *lo_up = "pid=$(sed -n 's/.*\"pid\": *\\([0-9]*\\).*/\\1/p'); "
                            "exec nsenter -t \"$pid\" -n ip link set lo up";
        json_t *hooks = json_pack("{s:[{s:s, s:[s, s, s]}]}", "createRuntime", "path", "/bin/sh",
                                  "args", "sh", "-c", lo_up);
        return json_pack("{s:s, s:o, s:{s:s}, s:s, s:o, s:{s:s, s:s, s:s}, s:o, s:o}", "ociVersion",
                         "1.0.2-dev", "process", process, "root", "path", "", "hostname", "vers",
                         "mounts", mounts, "annotations", "io.container.manager", "libpod",
                         "org.opencontainers.image.stopSignal", "15", "org.criu.config", criu_conf,
                         "linux", linux_o, "hooks", hooks);
}

/* ---- the archive ---------------------------------------------------------------------- */

static int archive_failed(struct archive *a, const char *what, vers_error_t *err)
{
        return vers_make_error(err, archive_errno(a) > 0 ? archive_errno(a) : 0, "%s: %s", what,
                               archive_error_string(a) ? archive_error_string(a) : "failed");
}

static int add_mem(struct archive *a, const char *name, const char *data, size_t len,
                   vers_error_t *err)
{
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0600);
        archive_entry_set_size(e, (la_int64_t)len);
        archive_entry_set_mtime(e, time(NULL), 0);
        int ret = 0;
        if (archive_write_header(a, e) != ARCHIVE_OK ||
            (len && archive_write_data(a, data, len) != (la_ssize_t)len))
                ret = archive_failed(a, name, err);
        archive_entry_free(e);
        return ret;
}

static int add_json(struct archive *a, const char *name, json_t *v, vers_error_t *err)
{
        if (!v)
                return vers_make_error(err, 0, "cannot make %s", name);
        char *text = json_dumps(v, JSON_INDENT(1) | JSON_SORT_KEYS);
        json_decref(v);
        if (!text)
                return vers_make_error(err, 0, "cannot make %s", name);
        int ret = add_mem(a, name, text, strlen(text), err);
        free(text);
        return ret;
}

/* the file at path (a regular file, not followed if a symlink) as name */
static int add_file(struct archive *a, const char *name, const char *path, mode_t mode,
                    vers_error_t *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return vers_make_error(err, errno, "cannot read '%s'", path);
        if (!S_ISREG(st.st_mode))
                return vers_make_error(err, 0, "'%s' is not a regular file", path);
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, mode);
        archive_entry_set_size(e, st.st_size);
        archive_entry_set_mtime(e, st.st_mtime, 0);
        int ret = 0;
        if (archive_write_header(a, e) != ARCHIVE_OK)
                ret = archive_failed(a, name, err);
        char buf[65536];
        off_t left = st.st_size;
        while (ret == 0 && left > 0) {
                ssize_t n = read(fd, buf, sizeof buf);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        ret = vers_make_error(err, n < 0 ? errno : 0, "cannot read '%s'", path);
                        break;
                }
                if (archive_write_data(a, buf, (size_t)n) != n)
                        ret = archive_failed(a, name, err);
                left -= n;
        }
        archive_entry_free(e);
        return ret;
}

static int add_dir(struct archive *a, const char *name, mode_t mode, vers_error_t *err)
{
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, AE_IFDIR);
        archive_entry_set_perm(e, mode);
        archive_entry_set_mtime(e, time(NULL), 0);
        int ret = archive_write_header(a, e) != ARCHIVE_OK ? archive_failed(a, name, err) : 0;
        archive_entry_free(e);
        return ret;
}

static int names_cmp(const void *x, const void *y)
{
        return strcmp(*(char *const *)x, *(char *const *)y);
}

/* checkpoint/: the CRIU images (not vers's own criu.pid, nor the dump's log), and the
 * descriptors.json runc reads: PID 1's stdin, stdout and stderr. runc hands a restore new
 * pipes only for entries that are pipes; vers-init's are /dev/null and its log. */
static int add_images(struct archive *a, const char *images, vers_error_t *err)
{
        DIR *d = opendir(images);
        if (!d)
                return vers_make_error(err, errno, "cannot read '%s'", images);
        char **names = NULL;
        size_t n = 0;
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
                size_t l = strlen(de->d_name);
                if (l > 4 && !strcmp(de->d_name + l - 4, ".img")) {
                        names = xrealloc(names, (n + 1) * sizeof *names);
                        names[n++] = xstrdup(de->d_name);
                }
        }
        closedir(d);
        qsort(names, n, sizeof *names, names_cmp);
        /* readable by all, as in the store (vers_criu_give_images): CRIU opens some images
         * from inside the restored user namespace, as the env's root */
        int ret = add_dir(a, "checkpoint", 0755, err);
        for (size_t i = 0; i < n; i++) {
                if (ret == 0) {
                        _cleanup_free_ char *src = xasprintf("%s/%s", images, names[i]);
                        _cleanup_free_ char *dst = xasprintf("checkpoint/%s", names[i]);
                        ret = add_file(a, dst, src, 0644, err);
                }
                free(names[i]);
        }
        free(names);
        const char *fds = "[\"/dev/null\",\"/var/log/vers/init.log\",\"/var/log/vers/init.log\"]";
        if (ret == 0)
                ret = add_mem(a, "checkpoint/descriptors.json", fds, strlen(fds), err);
        _cleanup_free_ char *stats = xasprintf("%s/stats-dump", images);
        if (ret == 0 && vers_path_exists(stats))
                ret = add_file(a, "stats-dump", stats, 0644, err);
        return ret;
}

/* rootfs-diff.tar: the commit's tree with its ids as they are in the store (no names) */
static int write_rootfs_tar(const char *root, const char *out, vers_error_t *err)
{
        struct archive *disk = archive_read_disk_new();
        struct archive *w = archive_write_new();
        struct archive_entry *e = NULL;
        int ret = -1;
        size_t rl = strlen(root);
        archive_read_disk_set_symlink_physical(disk);
        if (archive_read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS |
                                                     ARCHIVE_READDISK_NO_ACL) != ARCHIVE_OK ||
            archive_read_disk_open(disk, root) != ARCHIVE_OK) {
                archive_failed(disk, root, err);
                goto out;
        }
        if (archive_write_set_format_pax_restricted(w) != ARCHIVE_OK ||
            archive_write_open_filename(w, out) != ARCHIVE_OK) {
                archive_failed(w, out, err);
                goto out;
        }
        e = archive_entry_new();
        for (;;) {
                archive_entry_clear(e);
                int r = archive_read_next_header2(disk, e);
                if (r == ARCHIVE_EOF)
                        break;
                if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
                        archive_failed(disk, root, err);
                        goto out;
                }
                archive_read_disk_descend(disk);
                const char *p = archive_entry_pathname(e);
                if (!p || strncmp(p, root, rl) || (p[rl] && p[rl] != '/')) {
                        vers_make_error(err, 0, "'%s': outside '%s'", p ? p : "?", root);
                        goto out;
                }
                mode_t type = archive_entry_filetype(e);
                if (type == AE_IFSOCK || type == AE_IFCHR || type == AE_IFBLK)
                        continue;
                _cleanup_free_ char *rel = xasprintf(".%s%s", p[rl] ? "" : "/", p + rl);
                archive_entry_set_pathname(e, rel);
                archive_entry_set_uname(e, NULL);
                archive_entry_set_gname(e, NULL);
                archive_entry_unset_atime(e);
                archive_entry_unset_ctime(e);
                const char *src = archive_entry_sourcepath(e);
                if (archive_write_header(w, e) != ARCHIVE_OK) {
                        archive_failed(w, rel, err);
                        goto out;
                }
                if (type != AE_IFREG || archive_entry_size(e) == 0)
                        continue;
                char buf[65536];
                la_ssize_t n;
                while ((n = archive_read_data(disk, buf, sizeof buf)) > 0)
                        if (archive_write_data(w, buf, (size_t)n) != n) {
                                archive_failed(w, rel, err);
                                goto out;
                        }
                if (n < 0) {
                        archive_failed(disk, src ? src : rel, err);
                        goto out;
                }
        }
        if (archive_write_close(w) != ARCHIVE_OK) {
                archive_failed(w, out, err);
                goto out;
        }
        ret = 0;
out:
        archive_entry_free(e);
        archive_read_free(disk);
        archive_write_free(w);
        return ret;
}

int vers_ship_export_checkpoint(struct vers_ctx *ctx, const char *commit_id, const char *out,
                                vers_error_t *err)
{
        struct stat st;
        if (!*out)
                return vers_make_error(err, 0, "the file name may not be empty");
        if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
                return vers_make_error(err, 0, "'%s' is a directory", out);
        struct vers_commit c = {0};
        if (warm_commit(ctx, commit_id, &c, err) < 0) {
                vers_commit_clear(&c);
                return -1;
        }
        int ret = -1;
        struct archive *a = NULL;
        _cleanup_free_ char *image = NULL;
        _cleanup_free_ char *cdir = vers_store_commit_dir(&ctx->store, c.id);
        _cleanup_free_ char *croot = vers_store_commit_rootfs(&ctx->store, c.id);
        _cleanup_free_ char *criu = xasprintf("%s/criu", cdir);
        _cleanup_free_ char *iroot = vers_store_image_path(&ctx->store, c.image);
        _cleanup_free_ char *rnd = vers_random_hex(8);
        _cleanup_free_ char *tmp = xasprintf("%s.tmp-%s", out, rnd);
        _cleanup_free_ char *difftmp = xasprintf("%s.rootfs-%s", out, rnd);
        /* a container of its own, named for the commit; the image as 'podman load' names an
         * oci-archive of 'vers export' */
        _cleanup_free_ char *ctr = vers_random_hex(64);
        _cleanup_free_ char *name = xasprintf("vers-%s", c.id);
        _cleanup_free_ char *image_name = xasprintf("localhost/%s:latest", c.id);
        if (!vers_criu_images_complete(criu)) {
                vers_make_error(err, 0, "commit '%s' has no complete CRIU images in '%s'",
                                commit_id, criu);
                goto out;
        }
        if (!vers_exists_in_root(iroot, VERS_OWN_ROOT_MARKER)) {
                vers_make_error(err, 0,
                                "commit '%s' is of an image built FROM host, which 'vers "
                                "export' does not write (build FROM debian:<suite> or a "
                                "registry image)",
                                commit_id);
                goto out;
        }
        if (image_id(c.id, commit_id, &image, err) < 0)
                goto out;
        double t0 = vers_monotonic();
        vers_progress(ctx, "export: the commit's tree (rootfs-diff.tar)");
        if (write_rootfs_tar(croot, difftmp, err) < 0)
                goto out;
        a = archive_write_new();
        if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
            archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
            archive_write_open_filename(a, tmp) != ARCHIVE_OK) {
                archive_failed(a, tmp, err);
                goto out;
        }
        vers_progress(ctx, "export: writing '%s'", out);
        if (add_json(a, "config.dump", config_dump(ctr, name, image, image_name), err) < 0 ||
            add_json(a, "spec.dump", spec_dump(ctr, VERS_PODMAN_CRIU_CONF), err) < 0 ||
            add_mem(a, "network.status", "null", 4, err) < 0 ||
            add_mem(a, VERS_PODMAN_CRIU_CONF, VERS_PODMAN_CRIU_CONF_TEXT,
                    strlen(VERS_PODMAN_CRIU_CONF_TEXT), err) < 0 ||
            add_images(a, criu, err) < 0 || add_file(a, "rootfs-diff.tar", difftmp, 0600, err) < 0)
                goto out;
        if (archive_write_close(a) != ARCHIVE_OK) {
                archive_failed(a, tmp, err);
                goto out;
        }
        int fd = open(tmp, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0) {
                vers_make_error(err, errno, "cannot write '%s'", tmp);
                if (fd >= 0)
                        close(fd);
                goto out;
        }
        close(fd);
        if (rename(tmp, out) < 0) {
                vers_make_error(err, errno, "cannot rename '%s' to '%s'", tmp, out);
                goto out;
        }
        if (stat(out, &st) == 0)
                vers_progress(ctx, "export: %s: %.1f MiB in %.1f s (container %s, image %.12s)",
                              out, (double)st.st_size / (1 << 20), vers_monotonic() - t0, name,
                              image);
        ret = 0;
out:
        if (a)
                archive_write_free(a);
        unlink(difftmp);
        if (ret < 0)
                unlink(tmp);
        vers_commit_clear(&c);
        return ret;
}
