/* launch — vers-init installed and started on a rootfs; commands run in an env with its
 * environment; log tails. Used by build steps and by envs alike. */
#include "launch/launch.h"
#include "os/sandbox.h"

#include <limits.h>
#include <string.h>
#include <unistd.h>

static char *find_init_binary(void)
{
        const char *forced = getenv("VERS_INIT");
        if (forced && *forced)
                return xstrdup(forced);
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n > 0) {
                self[n] = '\0';
                char *slash = strrchr(self, '/');
                if (slash) {
                        *slash = '\0';
                        char *p = xasprintf("%s/vers-init", self);
                        if (access(p, X_OK) == 0)
                                return p;
                        free(p);
                        p = xasprintf("%s/../lib/vers/vers-init", self);
                        if (access(p, X_OK) == 0)
                                return p;
                        free(p);
                }
        }
        return xstrdup("/usr/local/lib/vers/vers-init");
}

int vers_fork_sandbox(struct vers_ctx *ctx, const char *cg_id, const char *rootfs,
                      const char *project, const char *hostname, long mem, long vcpu,
                      unsigned flags, struct vers_sandbox_launch *l, vers_error_t *err)
{
        bool no_services = flags & VERS_SB_NO_SERVICES;
        char *argv[] = {"/.vers/init", no_services ? "--no-services" : NULL, NULL};
        struct vers_sandbox_spec spec = {
            .envid = cg_id,
            .rootfs = rootfs,
            .project_dir = project,
            .hostname = hostname,
            .memory_mib = mem,
            .vcpu = vcpu,
            .pids = ctx->cfg.pids,
            .idmap = &ctx->idmap,
            .init_argv = argv,
            .host_net = flags & VERS_SB_HOST_NET,
            .own_root = flags & VERS_SB_OWN_ROOT,
        };
        return vers_sandbox_fork(&spec, l, err);
}

int vers_run_sandbox(const char *rootfs, struct vers_sandbox_launch *l, pid_t *pid,
                     vers_error_t *err)
{
        _cleanup_free_ char *init = find_init_binary();
        /* replaced, not written through: the env may have put a symlink there */
        if (vers_copy_file_into_root(init, rootfs, ".vers/init", 0755, err) < 0) {
                vers_sandbox_cancel(l);
                return vers_error_wrap(err, "cannot install vers-init (looked for '%s')", init);
        }
        return vers_sandbox_run(l, pid, err);
}

int vers_start_sandbox(struct vers_ctx *ctx, const char *cg_id, const char *rootfs,
                       const char *project, const char *hostname, long mem, long vcpu,
                       unsigned flags, pid_t *pid, vers_error_t *err)
{
        struct vers_sandbox_launch l;
        if (vers_fork_sandbox(ctx, cg_id, rootfs, project, hostname, mem, vcpu, flags, &l, err) < 0)
                return -1;
        return vers_run_sandbox(rootfs, &l, pid, err);
}

static char **env_vars(const char *rootfs, char **extra, bool no_env_file)
{
        char **v = NULL;
        if (no_env_file) {
                for (size_t i = 0; extra && extra[i]; i++)
                        strv_push(&v, extra[i]);
                return v ? v : xcalloc(1, sizeof *v);
        }
        _cleanup_free_ char *text = NULL;
        if (vers_read_file_in_root(rootfs, ".vers/env", 0, &text, NULL, NULL) == 0) {
                char *save = NULL;
                for (char *line = strtok_r(text, "\n", &save); line;
                     line = strtok_r(NULL, "\n", &save)) {
                        if (strchr(line, '='))
                                strv_push(&v, line);
                }
        } else {
                strv_push(&v, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        }
        strv_push(&v, "HOME=/root");
        strv_push(&v, "LANG=C.UTF-8");
        const char *term = getenv("TERM");
        _cleanup_free_ char *t = xasprintf("TERM=%s", term ? term : "dumb");
        strv_push(&v, t);
        for (size_t i = 0; extra && extra[i]; i++)
                strv_push(&v, extra[i]);
        return v;
}

int vers_exec_in(pid_t init_pid, const char *cg_id, const char *rootfs, const char *workdir,
                 char *const argv[], const struct vers_exec_opts *o, int *status, vers_error_t *err)
{
        _cleanup_strv_ char **envp =
            env_vars(rootfs, o ? o->extra_env : NULL, o ? o->no_env_file : false);
        struct vers_exec_spec spec = {
            .init_pid = init_pid,
            .envid = cg_id,
            .argv = argv,
            .envp = envp,
            .workdir = workdir,
            .timeout_sec = o ? o->timeout_sec : 0,
            .pty = o ? o->pty : false,
            .quiet = o ? o->quiet : false,
            .user = o ? o->user : NULL,
            .build_io = o ? o->build_io : false,
            .stdio = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO},
            .timed_out = o ? o->timed_out : NULL,
        };
        for (int i = 0; o && o->stdio && i < 3; i++)
                spec.stdio[i] = o->stdio[i];
        return vers_sandbox_exec(&spec, status, err);
}

/* Last lines of a file under rootfs, for error messages (from its last 64 KiB). */
char *vers_log_tail(const char *rootfs, const char *rel, long lines, size_t window)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        if (vers_read_file_in_root(rootfs, rel, window ? window : (size_t)VERS_IN_ROOT_MAX, &text,
                                   &len, NULL) < 0)
                return NULL;
        size_t start = 0;
        long seen = 0;
        /* the newline that ends the last line does not count */
        for (size_t j = len; lines > 0 && j > 0; j--) {
                if (text[j - 1] == '\n' && j != len && ++seen == lines) {
                        start = j;
                        break;
                }
        }
        return xstrdup(text + start);
}

char *vers_tail_of(const char *rootfs, const char *rel, int lines)
{
        char *t = vers_log_tail(rootfs, rel, lines, 65536);
        size_t len = t ? strlen(t) : 0;
        while (len > 0 && t[len - 1] == '\n')
                t[--len] = '\0';
        if (len == 0) {
                free(t);
                return NULL;
        }
        return t;
}
