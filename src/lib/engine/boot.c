/* boot — an env brought up: its pending row, its rootfs snapshot, PID 1 booted or restored,
 * its mounts recorded and its services waited for. */
#include "engine/engine-private.h"
#include "base/failpoint.h"
#include "base/names.h"
#include "base/trace.h"
#include "base/strbuf.h"
#include "os/cgroup.h"
#include "os/checkpoint.h"
#include "os/criu.h"
#include "os/probe.h"
#include "os/sandbox.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READY_TIMEOUT 120

/* The services' own logs' last lines, for an error saying they did not start. */
static int not_ready(struct vers_ctx *ctx, const struct vers_env *e, const char *rootfs,
                     const char *why, vers_error_t *err)
{
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        _cleanup_strv_ char **logs = vers_env_log_files(ctx, e);
        for (size_t i = 2; logs && logs[i]; i++) { /* the services' own logs */
                _cleanup_free_ char *t = vers_tail_of(rootfs, logs[i], 5);
                if (t)
                        strbuf_addf(&sb, "\n%s:\n%s", logs[i], t);
        }
        return vers_make_error(err, 0, "%s%s%s", why,
                               sb.len ? "; last log lines:" : " (see 'vers logs')", sb.buf);
}

/* The image's /.vers/probes (read-only, written by vers; an env's own copy could say
 * anything), parsed into p; 0 when the image has none (built before them, or no template
 * service: then /.vers/ready says when). */
static int image_probes(struct vers_ctx *ctx, const struct vers_env *e, const char *rootfs,
                        struct vers_probe *p, size_t *n, vers_error_t *err)
{
        _cleanup_free_ char *img = e->image ? vers_store_image_path(&ctx->store, e->image) : NULL;
        const char *root = img ? img : rootfs;
        *n = 0;
        if (!vers_exists_in_root(root, ".vers/probes"))
                return 0;
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        if (vers_read_file_in_root(root, ".vers/probes", 0, &text, &len, err) < 0 ||
            vers_probes_parse(text, p, VERS_PROBES_MAX, n, err) < 0)
                return -1;
        return 1;
}

/* running_only: wait only for the services that run (a restored env has the services its
 * commit had, a stopped one included) */
static int wait_ready(struct vers_ctx *ctx, const struct vers_env *e, const char *rootfs,
                      bool running_only, vers_error_t *err)
{
        struct vers_probe probes[VERS_PROBES_MAX];
        size_t n = 0;
        int have = image_probes(ctx, e, rootfs, probes, &n, err);
        if (have < 0)
                return -1;
        if (have > 0) {
                double listen_ms = 0;
                vers_error_t perr = NULL;
                int r = vers_sandbox_probe((pid_t)e->init_pid, probes, n, running_only,
                                           READY_TIMEOUT * 1000, &listen_ms, &perr);
                if (!running_only)
                        vers_trace_add("boot", listen_ms);
                if (r < 0) {
                        int ret = not_ready(ctx, e, rootfs, perr->msg, err);
                        vers_error_free(&perr);
                        return ret;
                }
                return 0;
        }
        if (!vers_exists_in_root(rootfs, ".vers/ready"))
                return 0;
        char *argv[] = {"/.vers/ready", running_only ? "--running" : NULL, NULL};
        struct vers_exec_opts o = {.timeout_sec = READY_TIMEOUT, .quiet = true};
        int status = 0;
        if (vers_exec_in((pid_t)e->init_pid, vers_env_cg(e), rootfs, "/", argv, &o, &status, err) <
            0)
                return -1;
        if (status != 0)
                return not_ready(ctx, e, rootfs, "services did not become ready", err);
        return 0;
}

/* Record PID 1 of a started or restored env, wait for its services, save the final state. */
static int env_started(struct vers_ctx *ctx, struct vers_env *e, pid_t pid, const char *mode,
                       const char *rootfs, const char *final_state, vers_error_t *err)
{
        e->init_pid = pid;
        e->init_start = (int64_t)vers_pid_starttime(pid);
        free(e->mode);
        e->mode = xstrdup(mode);
        if (vers_meta_put_env(&ctx->meta, e, err) < 0 ||
            vers_failpoint("start-before-ready", err) < 0)
                return -1;
        vers_trace_mark("metadata");
        /* what the env's mounts are now is what a warm commit may dump (checkpoint.h) */
        _cleanup_free_ char *dir = vers_store_env_dir(&ctx->store, e->id);
        if (vers_mounts_record(pid, dir, err) < 0)
                return -1;
        vers_trace_mark("mounts");
        if (wait_ready(ctx, e, rootfs, !strcmp(mode, "warm"), err) < 0)
                return -1;
        vers_trace_mark("readiness");
        free(e->state);
        e->state = xstrdup(final_state);
        int r = vers_meta_put_env(&ctx->meta, e, err);
        vers_trace_mark("metadata");
        return r;
}

/* Does the env's image carry its own /usr? Its image's last layer says (read-only, written
 * by vers), not the env's tree, which the env can write; an env of no image, the tree it is
 * made from (root). */
static bool env_own_root(struct vers_ctx *ctx, const struct vers_env *e, const char *root)
{
        if (!e->image)
                return vers_exists_in_root(root, VERS_OWN_ROOT_MARKER);
        _cleanup_free_ char *img = vers_store_image_path(&ctx->store, e->image);
        return vers_exists_in_root(img, VERS_OWN_ROOT_MARKER);
}

/* The first half of a boot (os/sandbox.h: vers_sandbox_fork): the env's cgroup, and its
 * first process in it, before the env's tree need exist. */
static int boot_fork(struct vers_ctx *ctx, const struct vers_env *e, bool own_root,
                     struct vers_sandbox_launch *l, vers_error_t *err)
{
        _cleanup_free_ char *rootfs = vers_store_env_rootfs(&ctx->store, e->id);
        vers_cgroup_kill(vers_env_cg(e));
        vers_cgroup_destroy(vers_env_cg(e));
        return vers_fork_sandbox(ctx, vers_env_cg(e), rootfs, e->project,
                                 e->alias ? e->alias : e->id, e->memory_mib, e->vcpu,
                                 own_root ? VERS_SB_OWN_ROOT : 0, l, err);
}

/* The second half: PID 1 started on the tree, the services waited for; saves *e. */
static int boot_run(struct vers_ctx *ctx, struct vers_env *e, struct vers_sandbox_launch *l,
                    const char *final_state, vers_error_t *err)
{
        _cleanup_free_ char *rootfs = vers_store_env_rootfs(&ctx->store, e->id);
        pid_t pid;
        if (vers_run_sandbox(rootfs, l, &pid, err) < 0)
                return -1;
        vers_trace_mark("sandbox");
        return env_started(ctx, e, pid, "cold", rootfs, final_state, err);
}

/* Boot a stopped env in place and wait for its services. Updates and saves *e. */
int vers_env_boot(struct vers_ctx *ctx, struct vers_env *e, const char *final_state,
                  vers_error_t *err)
{
        _cleanup_free_ char *rootfs = vers_store_env_rootfs(&ctx->store, e->id);
        struct vers_sandbox_launch l;
        if (boot_fork(ctx, e, env_own_root(ctx, e, rootfs), &l, err) < 0)
                return -1;
        return boot_run(ctx, e, &l, final_state, err);
}

/* Restore a warm commit's process tree onto the env's (fresh) rootfs. */
int vers_env_restore(struct vers_ctx *ctx, struct vers_env *e, const char *commit_id,
                     const char *final_state, vers_error_t *err)
{
        _cleanup_free_ char *rootfs = vers_store_env_rootfs(&ctx->store, e->id);
        _cleanup_free_ char *dir = vers_store_env_dir(&ctx->store, e->id);
        _cleanup_free_ char *cdir = vers_store_commit_dir(&ctx->store, commit_id);
        _cleanup_free_ char *images = xasprintf("%s/criu", cdir);
        pid_t pid;
        vers_cgroup_kill(vers_env_cg(e));
        vers_cgroup_destroy(vers_env_cg(e));
        if (vers_cgroup_create(vers_env_cg(e), e->memory_mib, e->vcpu, ctx->cfg.pids, err) < 0)
                return -1;
        vers_trace_mark("cgroup");
        if (vers_criu_restore(images, rootfs, vers_env_cg(e), dir, 0, &pid, err) < 0)
                return -1;
        vers_trace_mark("restore");
        /* the restored uts namespace still has the source env's name */
        vers_sandbox_set_hostname(pid, e->alias ? e->alias : e->id, NULL);
        vers_trace_mark("hostname");
        return env_started(ctx, e, pid, "warm", rootfs, final_state, err);
}

void vers_env_init_row(struct vers_ctx *ctx, struct vers_env *e, const char *alias,
                       const char *image, const char *base, const char *project)
{
        memset(e, 0, sizeof *e);
        e->id = vers_new_id();
        e->alias = alias ? xstrdup(alias) : NULL;
        e->project =
            project ? xstrdup(project) : (ctx->project_dir ? xstrdup(ctx->project_dir) : NULL);
        e->image = image ? xstrdup(image) : NULL;
        e->base = base ? xstrdup(base) : NULL;
        e->state = xstrdup("pending");
        e->mode = xstrdup("cold");
        e->memory_mib = ctx->cfg.memory_mib;
        e->vcpu = ctx->cfg.vcpu;
        e->created = (int64_t)vers_now_ms();
        e->owner_pid = getpid();
        e->owner_start = vers_my_start();
        e->cgroup = vers_cgroup_name(e->id); /* in the row before anything starts */
}

/* Make an env from a read-only subvolume (an image or a commit's rootfs); with warm_commit,
 * restore that commit's processes instead of booting. */
int vers_env_create(struct vers_ctx *ctx, const char *src, const char *warm_commit,
                    struct vers_env *e, vers_error_t *err)
{
        if (e->alias && (vers_name_check("alias", e->alias, err) < 0 ||
                         vers_name_taken(ctx, e->alias, e->project, false, err) < 0))
                return -1;
        if (vers_store_check_room(&ctx->store, err) < 0)
                return -1;
        if (vers_meta_put_env(&ctx->meta, e, err) < 0)
                return -1;
        vers_trace_mark("metadata");
        _cleanup_free_ char *dir = vers_store_env_dir(&ctx->store, e->id);
        _cleanup_free_ char *rootfs = vers_store_env_rootfs(&ctx->store, e->id);
        /* a cold env's first process is started now: its wait to join the cgroup overlaps
         * the snapshot (boot_fork) */
        struct vers_sandbox_launch l = {.mid = -1, .go = -1, .sync = -1, .err = -1, .pid = -1};
        if (vers_failpoint("branch-after-row", err) < 0)
                goto undo;
        if (mkdir(dir, 0700) < 0) {
                vers_make_error(err, errno, "cannot create '%s'", dir);
                goto undo;
        }
        if (!warm_commit && boot_fork(ctx, e, env_own_root(ctx, e, src), &l, err) < 0)
                goto undo;
        if (vers_subvol_snapshot(src, rootfs, false, err) < 0 ||
            vers_subvol_limit(&ctx->store, rootfs, ctx->cfg.vm_mib, err) < 0)
                goto undo;
        if (vers_failpoint("branch-after-snapshot", err) < 0)
                goto undo;
        vers_trace_mark("snapshot");
        if ((warm_commit ? vers_env_restore(ctx, e, warm_commit, "running", err)
                         : boot_run(ctx, e, &l, "running", err)) < 0 ||
            vers_failpoint("branch-before-ready", err) < 0)
                goto undo;
        e->owner_pid = e->owner_start = 0;
        return vers_meta_put_env(&ctx->meta, e, err);
undo:
        vers_sandbox_cancel(&l);
        vers_env_undo(ctx, e, NULL);
        return -1;
}
