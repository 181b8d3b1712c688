#include "os/cgroup.h"
#include "base/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define CG "/sys/fs/cgroup"

static const char *v1_ctrls[] = {"memory", "cpu", "freezer", "pids"};
#define N_V1 (sizeof v1_ctrls / sizeof v1_ctrls[0])

static int mode = -1; /* 1 = v1, 2 = v2, 0 = none */
static int detect(void);

/* "vers/<scope of VERS_ROOT>" (cgroup.h); "vers/default" until vers_cgroup_set_scope */
static char scope[64] = "vers/default";

char *vers_cgroup_scope_for_root(const char *root)
{
        char hex[VERS_HASH_HEX + 1];
        vers_sha256_hex(root, strlen(root), hex);
        return xasprintf("vers/%.16s", hex);
}

/* one path component of letters, digits, '-', '_' and '.', not "." or ".." */
static bool plain_component(const char *s, size_t n)
{
        if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.'))
                        return false;
        }
        return true;
}

/* "vers/" then at least min and at most max plain components */
static bool valid_name(const char *name, int min, int max)
{
        if (!str_startswith(name, "vers/"))
                return false;
        int n = 0;
        for (const char *p = name + 5;; n++) {
                size_t len = strcspn(p, "/");
                if (!plain_component(p, len) || n >= max)
                        return false;
                if (!p[len])
                        return n + 1 >= min;
                p += len + 1;
        }
}

int vers_cgroup_set_scope(const char *s, vers_error_t *err)
{
        if (!valid_name(s, 1, 1) || strlen(s) >= sizeof scope)
                return vers_make_error(err, EINVAL, "bad cgroup scope '%s'", s);
        snprintf(scope, sizeof scope, "%s", s);
        return 0;
}

char *vers_cgroup_name(const char *id)
{
        return xasprintf("%s/%s", scope, id);
}

char *vers_cgroup_scope_dir(void)
{
        if (detect() == 2)
                return xasprintf(CG "/%s", scope);
        return xasprintf(CG "/freezer/%s", scope);
}

static int detect(void)
{
        if (mode >= 0)
                return mode;
        if (vers_path_exists(CG "/freezer/cgroup.procs") &&
            vers_path_exists(CG "/memory/cgroup.procs"))
                mode = 1;
        else if (vers_path_exists(CG "/cgroup.controllers"))
                mode = 2;
        else
                mode = 0;
        return mode;
}

const char *vers_cgroup_describe(void)
{
        switch (detect()) {
        case 1:
                return "cgroup v1 (memory cpu freezer pids)";
        case 2:
                return "cgroup v2";
        default:
                return "no usable cgroup mount";
        }
}

/* The cgroup's directory (or its file) in the hierarchy of ctrl (v1; ignored on v2); NULL
 * for a name that is refused (cgroup.h). */
static char *cg_path(const char *ctrl, const char *cg, const char *file)
{
        _cleanup_free_ char *name = strchr(cg, '/') ? xstrdup(cg) : vers_cgroup_name(cg);
        if (!valid_name(name, 2, 8))
                return NULL;
        const char *sep = file ? "/" : "", *f = file ? file : "";
        if (detect() == 2)
                return xasprintf(CG "/%s%s%s", name, sep, f);
        return xasprintf(CG "/%s/%s%s%s", ctrl, name, sep, f);
}

static int refused(const char *cg, vers_error_t *err)
{
        return vers_make_error(err, EINVAL, "bad cgroup name '%s'", cg);
}

static int write_str(const char *path, const char *s, vers_error_t *err)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || vers_write_all(fd, s, strlen(s)) < 0)
                return vers_make_error(err, errno, "cannot write '%s' to '%s'", s, path);
        return 0;
}

int vers_cgroup_create(const char *cg, long memory_mib, long vcpu, long pids, vers_error_t *err)
{
        int m = detect();
        if (m == 0)
                return vers_make_error(err, 0, "no cgroup hierarchy under " CG);
        _cleanup_free_ char *check = cg_path(NULL, cg, NULL);
        if (!check)
                return refused(cg, err);
        char buf[64];
        if (m == 1) {
                for (size_t i = 0; i < N_V1; i++) {
                        _cleanup_free_ char *d = cg_path(v1_ctrls[i], cg, NULL);
                        if (vers_mkdir_p(d, 0755, err) < 0)
                                return -1;
                }
                if (memory_mib > 0) {
                        _cleanup_free_ char *p = cg_path("memory", cg, "memory.limit_in_bytes");
                        snprintf(buf, sizeof buf, "%lld", (long long)memory_mib * 1024 * 1024);
                        if (write_str(p, buf, err) < 0)
                                return -1;
                }
                if (vcpu > 0) {
                        _cleanup_free_ char *per = cg_path("cpu", cg, "cpu.cfs_period_us");
                        _cleanup_free_ char *quo = cg_path("cpu", cg, "cpu.cfs_quota_us");
                        snprintf(buf, sizeof buf, "%ld", vcpu * 100000L);
                        if (write_str(per, "100000", err) < 0 || write_str(quo, buf, err) < 0)
                                return -1;
                }
                if (pids > 0) {
                        _cleanup_free_ char *p = cg_path("pids", cg, "pids.max");
                        snprintf(buf, sizeof buf, "%ld", pids);
                        if (write_str(p, buf, err) < 0)
                                return -1;
                }
                return 0;
        }
        /* v2: enable the controllers we need on every level on the way down, where available
         * (the scope directory of a recorded name may be an older one than this process's) */
        write_str(CG "/cgroup.subtree_control", "+memory +cpu +pids", NULL);
        _cleanup_free_ char *d = cg_path(NULL, cg, NULL);
        for (char *slash = strchr(d + strlen(CG "/vers"), '/'); slash;
             slash = strchr(slash + 1, '/')) {
                *slash = '\0';
                int r = vers_mkdir_p(d, 0755, err);
                _cleanup_free_ char *sc = xasprintf("%s/cgroup.subtree_control", d);
                *slash = '/';
                if (r < 0)
                        return -1;
                write_str(sc, "+memory +cpu +pids", NULL);
        }
        if (vers_mkdir_p(d, 0755, err) < 0)
                return -1;
        if (memory_mib > 0) {
                _cleanup_free_ char *p = cg_path(NULL, cg, "memory.max");
                snprintf(buf, sizeof buf, "%lld", (long long)memory_mib * 1024 * 1024);
                if (vers_path_exists(p) && write_str(p, buf, err) < 0)
                        return -1;
        }
        if (vcpu > 0) {
                _cleanup_free_ char *p = cg_path(NULL, cg, "cpu.max");
                snprintf(buf, sizeof buf, "%ld 100000", vcpu * 100000L);
                if (vers_path_exists(p) && write_str(p, buf, err) < 0)
                        return -1;
        }
        if (pids > 0) {
                _cleanup_free_ char *p = cg_path(NULL, cg, "pids.max");
                snprintf(buf, sizeof buf, "%ld", pids);
                if (write_str(p, buf, err) < 0)
                        return -1;
        }
        return 0;
}

int vers_cgroup_attach(const char *cg, pid_t pid, vers_error_t *err)
{
        char buf[32];
        snprintf(buf, sizeof buf, "%d", (int)pid);
        if (detect() == 1) {
                for (size_t i = 0; i < N_V1; i++) {
                        _cleanup_free_ char *p = cg_path(v1_ctrls[i], cg, "cgroup.procs");
                        if (!p)
                                return refused(cg, err);
                        if (write_str(p, buf, err) < 0)
                                return -1;
                }
                return 0;
        }
        _cleanup_free_ char *p = cg_path(NULL, cg, "cgroup.procs");
        if (!p)
                return refused(cg, err);
        return write_str(p, buf, err);
}

static bool read_line(const char *path, char *buf, size_t n)
{
        FILE *f = path ? fopen(path, "re") : NULL;
        if (!f)
                return false;
        bool ok = fgets(buf, (int)n, f) != NULL;
        fclose(f);
        return ok;
}

char *vers_cgroup_freezer_dir(const char *cg)
{
        return cg_path("freezer", cg, NULL);
}

int vers_cgroup_freeze(const char *cg, bool freeze, vers_error_t *err)
{
        char buf[64];
        if (detect() == 1) {
                _cleanup_free_ char *p = cg_path("freezer", cg, "freezer.state");
                if (!p)
                        return refused(cg, err);
                if (write_str(p, freeze ? "FROZEN" : "THAWED", err) < 0)
                        return -1;
                for (int i = 0; freeze && i < 10000; i++) {
                        if (read_line(p, buf, sizeof buf) && str_startswith(buf, "FROZEN"))
                                return 0;
                        vers_sleep_ms(1);
                }
                return freeze ? vers_make_error(err, 0, "cgroup %s did not freeze", cg) : 0;
        }
        _cleanup_free_ char *p = cg_path(NULL, cg, "cgroup.freeze");
        _cleanup_free_ char *ev = cg_path(NULL, cg, "cgroup.events");
        if (!p || !ev)
                return refused(cg, err);
        if (write_str(p, freeze ? "1" : "0", err) < 0)
                return -1;
        for (int i = 0; i < 10000; i++) {
                FILE *f = fopen(ev, "re");
                bool done = false;
                while (f && fgets(buf, sizeof buf, f)) {
                        if (str_startswith(buf, "frozen "))
                                done = (buf[7] == '1') == freeze;
                }
                if (f)
                        fclose(f);
                if (done)
                        return 0;
                vers_sleep_ms(1);
        }
        return vers_make_error(err, 0, "cgroup %s did not %s", cg, freeze ? "freeze" : "thaw");
}

long long vers_cgroup_memory_bytes(const char *cg)
{
        char buf[64];
        _cleanup_free_ char *p = detect() == 1 ? cg_path("memory", cg, "memory.usage_in_bytes")
                                               : cg_path(NULL, cg, "memory.current");
        if (!p || !read_line(p, buf, sizeof buf))
                return -1;
        char *end;
        long long v = strtoll(buf, &end, 10);
        return end == buf ? -1 : v;
}

bool vers_cgroup_is_frozen(const char *cg)
{
        char buf[64];
        if (detect() == 1) {
                _cleanup_free_ char *p = cg_path("freezer", cg, "freezer.state");
                return read_line(p, buf, sizeof buf) && !str_startswith(buf, "THAWED");
        }
        _cleanup_free_ char *p = cg_path(NULL, cg, "cgroup.freeze");
        return read_line(p, buf, sizeof buf) && buf[0] == '1';
}

int vers_cgroup_pids(const char *cg, pid_t **pids)
{
        _cleanup_free_ char *p = cg_path("freezer", cg, "cgroup.procs");
        FILE *f = p ? fopen(p, "re") : NULL;
        *pids = NULL;
        if (!f)
                return -1;
        int n = 0;
        char line[32];
        while (fgets(line, sizeof line, f)) {
                *pids = xrealloc(*pids, (size_t)(n + 1) * sizeof(pid_t));
                (*pids)[n++] = (pid_t)atoi(line);
        }
        fclose(f);
        return n;
}

int vers_cgroup_memory(const char *cg, struct vers_memory *out, vers_error_t *err)
{
        memset(out, 0, sizeof *out);
        bool v2 = detect() == 2;
        _cleanup_free_ char *p = cg_path("memory", cg, "memory.stat");
        if (!p)
                return refused(cg, err);
        FILE *f = fopen(p, "re");
        if (!f)
                return vers_make_error(err, errno, "cannot read '%s'", p);
        char key[64];
        unsigned long long v;
        while (fscanf(f, "%63s %llu", key, &v) == 2) {
                if (!strcmp(key, v2 ? "anon" : "rss"))
                        out->rss = v;
                else if (!strcmp(key, v2 ? "file" : "cache"))
                        out->cache = v;
                else if (!strcmp(key, "shmem"))
                        out->shmem = v;
                else if (!strcmp(key, v2 ? "file_mapped" : "mapped_file"))
                        out->mapped_file = v;
        }
        fclose(f);
        return 0;
}

void vers_cgroup_kill(const char *cg)
{
        for (int round = 0; round < 500; round++) {
                pid_t *pids = NULL;
                int n = vers_cgroup_pids(cg, &pids);
                if (n > 0 && round == 0)
                        vers_cgroup_freeze(cg, false, NULL);
                for (int i = 0; i < n; i++)
                        kill(pids[i], SIGKILL);
                free(pids);
                if (n <= 0)
                        return;
                vers_sleep_ms(10);
        }
}

void vers_cgroup_scope_remove(void)
{
        if (detect() == 1) {
                for (size_t i = 0; i < N_V1; i++) {
                        _cleanup_free_ char *d = xasprintf(CG "/%s/%s", v1_ctrls[i], scope);
                        rmdir(d);
                }
                return;
        }
        _cleanup_free_ char *d = vers_cgroup_scope_dir();
        rmdir(d);
}

void vers_cgroup_destroy(const char *cg)
{
        if (detect() == 1) {
                for (size_t i = 0; i < N_V1; i++) {
                        _cleanup_free_ char *d = cg_path(v1_ctrls[i], cg, NULL);
                        if (d)
                                rmdir(d);
                }
                return;
        }
        _cleanup_free_ char *d = cg_path(NULL, cg, NULL);
        if (d)
                rmdir(d);
}
