/* boot — an env brought up: its pending row, its rootfs snapshot, PID 1 booted or restored,
 * its mounts recorded and its services waited for. */
#include "engine/engine-private.h"
#include "base/failpoint.h"
#include "base/names.h"
#include "base/strbuf.h"
#include "os/cgroup.h"
#include "os/checkpoint.h"
#include "os/criu.h"
#include "os/sandbox.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READY_TIMEOUT 120

/* running_only: wait only for the services that run (a restored env has the services its
 * commit had, a stopped one included) */
static int wait_ready(struct vers_ctx *ctx, const struct vers_env *e, const char *rootfs,
                      bool running_only, vers_error_t *err)
{
        if (!vers_exists_in_root(rootfs, ".vers/ready"))
                return 0;
        char *argv[] = {"/.vers/ready", running_only ? "--running" : NULL, NULL};
        struct vers_exec_opts o = {.timeout_sec = READY_TIMEOUT, .quiet = true};
        int status = 0;
        if (vers_exec_in((pid_t)e->init_pid, vers_env_cg(e), rootfs, "/", argv, &o, &status, err) <
            0)
                return -1;
        if (status != 0) {
                _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
                _cleanup_strv_ char **logs = vers_env_log_files(ctx, e);
                for (size_t i = 2; logs && logs[i]; i++) { /* the services' own logs */
                        _cleanup_free_ char *t = vers_tail_of(rootfs, logs[i], 5);
                        if (t)
                                strbuf_addf(&sb, "\n%s:\n%s", logs[i], t);
                }
                return vers_make_error(err, 0, "services did not become ready%s%s",
                                       sb.len ? "; last log lines:" : " (see 'vers logs')", sb.buf);
        }
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
        /* what the env's mounts are now is what a warm commit may dump (checkpoint.h) */
        _cleanup_free_ char *dir = vers_store_env_dir(&ctx->store, e->id);
        if (vers_mounts_record(pid, dir, err) < 0)
                return -1;
        if (wait_ready(ctx, e, rootfs, !strcmp(mode, "warm"), err) < 0)
                return -1;
        free(e->state);
        e->state = xstrdup(final_state);
        return vers_meta_put_env(&ctx->meta, e, err);
}

/* Does the env's image carry its own /usr? Its image's last layer says (read-only, written
 * by vers), not the env's tree, which the env can write. */
static bool env_own_root(struct vers_ctx *ctx, const struct vers_env *e, const char *rootfs)
{
        if (!e->image)
                return vers_exists_in_root(rootfs, VERS_OWN_ROOT_MARKER);
        _cleanup_free_ char *img = vers_store_image_path(&ctx->store, e->image);
        return vers_exists_in_root(img, VERS_OWN_ROOT_MARKER);
}

/* Boot a stopped env in place and wait for its services. Updates and saves *e. */
int vers_env_boot(struct vers_ctx *ctx, struct vers_env *e, const char *final_state,
                  vers_error_t *err)
{
        _cleanup_free_ char *rootfs = vers_store_env_rootfs(&ctx->store, e->id);
        pid_t pid;
        vers_cgroup_kill(vers_env_cg(e));
        vers_cgroup_destroy(vers_env_cg(e));
        if (vers_start_sandbox(ctx, vers_env_cg(e), rootfs, e->project, e->alias ? e->alias : e->id,
                               e->memory_mib, e->vcpu,
                               env_own_root(ctx, e, rootfs) ? VERS_SB_OWN_ROOT : 0, &pid, err) < 0)
                return -1;
        return env_started(ctx, e, pid, "cold", rootfs, final_state, err);
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
        if (vers_criu_restore(images, rootfs, vers_env_cg(e), dir, 0, &pid, err) < 0)
                return -1;
        /* the restored uts namespace still has the source env's name */
        vers_sandbox_set_hostname(pid, e->alias ? e->alias : e->id, NULL);
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
        _cleanup_free_ char *dir = vers_store_env_dir(&ctx->store, e->id);
        _cleanup_free_ char *rootfs = vers_store_env_rootfs(&ctx->store, e->id);
        if (vers_failpoint("branch-after-row", err) < 0)
                goto undo;
        if (mkdir(dir, 0700) < 0) {
                vers_make_error(err, errno, "cannot create '%s'", dir);
                goto undo;
        }
        if (vers_subvol_snapshot(src, rootfs, false, err) < 0 ||
            vers_subvol_limit(&ctx->store, rootfs, ctx->cfg.vm_mib, err) < 0)
                goto undo;
        if (vers_failpoint("branch-after-snapshot", err) < 0)
                goto undo;
        if ((warm_commit ? vers_env_restore(ctx, e, warm_commit, "running", err)
                         : vers_env_boot(ctx, e, "running", err)) < 0 ||
            vers_failpoint("branch-before-ready", err) < 0)
                goto undo;
        e->owner_pid = e->owner_start = 0;
        return vers_meta_put_env(&ctx->meta, e, err);
undo:
        vers_env_undo(ctx, e, NULL);
        return -1;
}
