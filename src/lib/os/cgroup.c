#include "os/cgroup.h"

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

/* "vers/<hash of VERS_ROOT>": envs of different roots never share a cgroup directory, so
 * that one root's gc cannot touch another root's envs */
static char scope[32] = "vers/default";

void vers_cgroup_set_scope(const char *root)
{
        uint64_t h = 14695981039346656037ULL;
        for (const char *p = root; *p; p++) {
                h ^= (unsigned char)*p;
                h *= 1099511628211ULL;
        }
        snprintf(scope, sizeof scope, "vers/%08x", (unsigned)(h ^ (h >> 32)));
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

static char *cg_path(const char *ctrl, const char *envid, const char *file)
{
        if (detect() == 2)
                return xasprintf(CG "/%s/%s%s%s", scope, envid, file ? "/" : "", file ? file : "");
        return xasprintf(CG "/%s/%s/%s%s%s", ctrl, scope, envid, file ? "/" : "", file ? file : "");
}

static int write_str(const char *path, const char *s, vers_error_t *err)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || vers_write_all(fd, s, strlen(s)) < 0)
                return vers_make_error(err, errno, "cannot write '%s' to '%s'", s, path);
        return 0;
}

int vers_cgroup_create(const char *envid, long memory_mib, long vcpu, long pids, vers_error_t *err)
{
        int m = detect();
        if (m == 0)
                return vers_make_error(err, 0, "no cgroup hierarchy under " CG);
        char buf[64];
        if (m == 1) {
                for (size_t i = 0; i < N_V1; i++) {
                        _cleanup_free_ char *d = cg_path(v1_ctrls[i], envid, NULL);
                        if (vers_mkdir_p(d, 0755, err) < 0)
                                return -1;
                }
                if (memory_mib > 0) {
                        _cleanup_free_ char *p = cg_path("memory", envid, "memory.limit_in_bytes");
                        snprintf(buf, sizeof buf, "%lld", (long long)memory_mib * 1024 * 1024);
                        if (write_str(p, buf, err) < 0)
                                return -1;
                }
                if (vcpu > 0) {
                        _cleanup_free_ char *per = cg_path("cpu", envid, "cpu.cfs_period_us");
                        _cleanup_free_ char *quo = cg_path("cpu", envid, "cpu.cfs_quota_us");
                        snprintf(buf, sizeof buf, "%ld", vcpu * 100000L);
                        if (write_str(per, "100000", err) < 0 || write_str(quo, buf, err) < 0)
                                return -1;
                }
                if (pids > 0) {
                        _cleanup_free_ char *p = cg_path("pids", envid, "pids.max");
                        snprintf(buf, sizeof buf, "%ld", pids);
                        if (write_str(p, buf, err) < 0)
                                return -1;
                }
                return 0;
        }
        /* v2: enable the controllers we need on the way down, where available */
        write_str(CG "/cgroup.subtree_control", "+memory +cpu +pids", NULL);
        _cleanup_free_ char *sd = vers_cgroup_scope_dir();
        if (vers_mkdir_p(sd, 0755, err) < 0)
                return -1;
        write_str(CG "/vers/cgroup.subtree_control", "+memory +cpu +pids", NULL);
        _cleanup_free_ char *sc = xasprintf("%s/cgroup.subtree_control", sd);
        write_str(sc, "+memory +cpu +pids", NULL);
        _cleanup_free_ char *d = cg_path(NULL, envid, NULL);
        if (vers_mkdir_p(d, 0755, err) < 0)
                return -1;
        if (memory_mib > 0) {
                _cleanup_free_ char *p = cg_path(NULL, envid, "memory.max");
                snprintf(buf, sizeof buf, "%lld", (long long)memory_mib * 1024 * 1024);
                if (vers_path_exists(p) && write_str(p, buf, err) < 0)
                        return -1;
        }
        if (vcpu > 0) {
                _cleanup_free_ char *p = cg_path(NULL, envid, "cpu.max");
                snprintf(buf, sizeof buf, "%ld 100000", vcpu * 100000L);
                if (vers_path_exists(p) && write_str(p, buf, err) < 0)
                        return -1;
        }
        if (pids > 0) {
                _cleanup_free_ char *p = cg_path(NULL, envid, "pids.max");
                snprintf(buf, sizeof buf, "%ld", pids);
                if (write_str(p, buf, err) < 0)
                        return -1;
        }
        return 0;
}

int vers_cgroup_attach(const char *envid, pid_t pid, vers_error_t *err)
{
        char buf[32];
        snprintf(buf, sizeof buf, "%d", (int)pid);
        if (detect() == 1) {
                for (size_t i = 0; i < N_V1; i++) {
                        _cleanup_free_ char *p = cg_path(v1_ctrls[i], envid, "cgroup.procs");
                        if (write_str(p, buf, err) < 0)
                                return -1;
                }
                return 0;
        }
        _cleanup_free_ char *p = cg_path(NULL, envid, "cgroup.procs");
        return write_str(p, buf, err);
}

static bool read_line(const char *path, char *buf, size_t n)
{
        FILE *f = fopen(path, "re");
        if (!f)
                return false;
        bool ok = fgets(buf, (int)n, f) != NULL;
        fclose(f);
        return ok;
}

char *vers_cgroup_freezer_dir(const char *envid)
{
        return cg_path("freezer", envid, NULL);
}

int vers_cgroup_freeze(const char *envid, bool freeze, vers_error_t *err)
{
        char buf[64];
        if (detect() == 1) {
                _cleanup_free_ char *p = cg_path("freezer", envid, "freezer.state");
                if (write_str(p, freeze ? "FROZEN" : "THAWED", err) < 0)
                        return -1;
                for (int i = 0; freeze && i < 10000; i++) {
                        if (read_line(p, buf, sizeof buf) && str_startswith(buf, "FROZEN"))
                                return 0;
                        vers_sleep_ms(1);
                }
                return freeze ? vers_make_error(err, 0, "env %s did not freeze", envid) : 0;
        }
        _cleanup_free_ char *p = cg_path(NULL, envid, "cgroup.freeze");
        if (write_str(p, freeze ? "1" : "0", err) < 0)
                return -1;
        _cleanup_free_ char *ev = cg_path(NULL, envid, "cgroup.events");
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
        return vers_make_error(err, 0, "env %s did not %s", envid, freeze ? "freeze" : "thaw");
}

bool vers_cgroup_is_frozen(const char *envid)
{
        char buf[64];
        if (detect() == 1) {
                _cleanup_free_ char *p = cg_path("freezer", envid, "freezer.state");
                return read_line(p, buf, sizeof buf) && !str_startswith(buf, "THAWED");
        }
        _cleanup_free_ char *p = cg_path(NULL, envid, "cgroup.freeze");
        return read_line(p, buf, sizeof buf) && buf[0] == '1';
}

int vers_cgroup_pids(const char *envid, pid_t **pids)
{
        _cleanup_free_ char *p = cg_path("freezer", envid, "cgroup.procs");
        FILE *f = fopen(p, "re");
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

void vers_cgroup_kill(const char *envid)
{
        for (int round = 0; round < 500; round++) {
                pid_t *pids = NULL;
                int n = vers_cgroup_pids(envid, &pids);
                if (n > 0 && round == 0)
                        vers_cgroup_freeze(envid, false, NULL);
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
        /* cg_path(ctrl, "", NULL) is the scope directory with a trailing slash */
        if (detect() == 1) {
                for (size_t i = 0; i < N_V1; i++) {
                        _cleanup_free_ char *d = cg_path(v1_ctrls[i], "", NULL);
                        rmdir(d);
                }
                return;
        }
        _cleanup_free_ char *d = cg_path(NULL, "", NULL);
        rmdir(d);
}

void vers_cgroup_destroy(const char *envid)
{
        if (detect() == 1) {
                for (size_t i = 0; i < N_V1; i++) {
                        _cleanup_free_ char *d = cg_path(v1_ctrls[i], envid, NULL);
                        rmdir(d);
                }
                return;
        }
        _cleanup_free_ char *d = cg_path(NULL, envid, NULL);
        rmdir(d);
}
