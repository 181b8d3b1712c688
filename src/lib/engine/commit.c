/* commit — an env's disk, and warm its processes, captured in one frozen instant. */
#include "engine/engine-private.h"
#include "base/failpoint.h"
#include "base/names.h"
#include "base/trace.h"
#include "os/cgroup.h"
#include "os/checkpoint.h"
#include "os/criu.h"
#include "services/services.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Say once per VERS_ROOT that commits are cold, and why (vers doctor says it every time). */
static void notice_cold_once(struct vers_ctx *ctx, const char *why)
{
        _cleanup_free_ char *marker = xasprintf("%s/.cold-notice-shown", ctx->root);
        if (vers_path_exists(marker))
                return;
        vers_notice(ctx, "commits are cold (disk only, services restart on branch): %s", why);
        vers_write_file_atomic(marker, why, strlen(why), 0644, NULL);
}

/* The services' pre-commit hooks, one service at a time: a service that is not running (the
 * user stopped it) has nothing to flush and is skipped, with a notice. */
static int run_pre_commit(struct vers_ctx *ctx, const struct vers_env *e, const char *rootfs,
                          vers_error_t *err)
{
        if (!vers_exists_in_root(rootfs, ".vers/pre-commit"))
                return 0;
        _cleanup_strv_ char **names = vers_services_names(rootfs);
        /* a root with a hook but no services file runs it once, without a name */
        for (size_t i = 0; i == 0 || names[i]; i++) {
                char *argv[] = {"/.vers/pre-commit", names[i], NULL};
                struct vers_exec_opts xo = {.timeout_sec = 300, .quiet = true};
                int status = 0;
                if (vers_exec_in((pid_t)e->init_pid, vers_env_cg(e), rootfs, "/", argv, &xo,
                                 &status, err) < 0)
                        return -1;
                if (status == 3 && names[i]) {
                        vers_notice(ctx,
                                    "notice: %s is not running in env '%s'; committing without "
                                    "its pre-commit hook",
                                    names[i], e->alias ? e->alias : e->id);
                        continue;
                }
                if (status != 0)
                        return vers_make_error(err, 0,
                                               "pre-commit hook%s%s failed (exit %d); is the "
                                               "database up? see 'vers logs'",
                                               names[i] ? " of " : "", names[i] ? names[i] : "",
                                               status);
                if (!names[i])
                        break;
        }
        return 0;
}

/* Can a branch restore what a warm dump of this (frozen) env would hold? 1 yes, 0 no with
 * *why, -1 error. */
static int check_restorable(struct vers_ctx *ctx, const struct vers_env *e, char **why,
                            vers_error_t *err)
{
        _cleanup_free_ char *envdir = vers_store_env_dir(&ctx->store, e->id);
        return vers_mounts_unchanged((pid_t)e->init_pid, envdir, why, err);
}

/* Restore the commit's dump once into a throwaway copy (vers commit --verify). */
static int verify_restore(struct vers_ctx *ctx, const struct vers_env *e, const char *commit_id,
                          vers_error_t *err)
{
        _cleanup_free_ char *cdir = vers_store_commit_dir(&ctx->store, commit_id);
        _cleanup_free_ char *images = xasprintf("%s/criu", cdir);
        _cleanup_free_ char *rootfs = vers_store_commit_rootfs(&ctx->store, commit_id);
        /* under envs/ with an id no row has: 'vers gc' removes it and its cgroup if this
         * process dies half-way */
        _cleanup_free_ char *id = vers_new_id();
        _cleanup_free_ char *scratch = vers_store_env_dir(&ctx->store, id);
        /* CRIU's log stays with the source env, for the message's "log:" to name */
        _cleanup_free_ char *envdir = vers_store_env_dir(&ctx->store, e->id);
        _cleanup_free_ char *workdir = xasprintf("%s/verify", envdir);
        if (mkdir(workdir, 0700) < 0 && errno != EEXIST)
                return vers_make_error(err, errno, "cannot create '%s'", workdir);
        struct vers_restore_check c = {
            images, rootfs, scratch, workdir, id, e->memory_mib, e->vcpu, ctx->cfg.pids,
        };
        if (vers_checkpoint_try_restore(&c, err) < 0)
                return vers_error_wrap(err, "the commit's processes could not be restored");
        return 0;
}

/* A warm dump's hooks (criu.h): the env is frozen and checked when CRIU is about to seize
 * it, and its disk snapshotted once CRIU has dumped it, the tree still stopped. */
struct warm_dump {
        struct vers_ctx *ctx;
        const struct vers_env *e;
        const char *rootfs, *dst;
        double t_freeze, t_frozen, t_dumped, t_snapped;
        bool frozen, snapped;
        bool failed; /* the freeze or the check failed: the commit fails, as a cold one would */
        int snap_rc;
        char *why; /* not restorable: why */
        vers_error_t snap_err;
};

static int warm_seize(void *arg, vers_error_t *err)
{
        struct warm_dump *wd = arg;
        wd->t_freeze = vers_monotonic();
        wd->frozen = true;
        wd->failed = true;
        if (vers_cgroup_freeze(vers_env_cg(wd->e), true, err) < 0 ||
            vers_failpoint("commit-after-freeze", err) < 0)
                return -1;
        wd->t_frozen = vers_monotonic();
        /* frozen, the env cannot change its mounts between this check and the dump */
        int ok = check_restorable(wd->ctx, wd->e, &wd->why, err);
        if (ok < 0)
                return -1;
        wd->failed = false;
        if (ok == 0) {
                const struct vers_env *e = wd->e;
                return vers_make_error(err, 0,
                                       "cannot commit warm: in env '%s', %s; a warm branch may "
                                       "not restore it (unmount it or commit --cold)",
                                       e->alias ? e->alias : e->id, wd->why);
        }
        return 0;
}

static int warm_dumped(void *arg, vers_error_t *err)
{
        struct warm_dump *wd = arg;
        wd->t_dumped = vers_monotonic();
        wd->snapped = true;
        wd->snap_rc = vers_subvol_snapshot(wd->rootfs, wd->dst, true, &wd->snap_err);
        if (wd->snap_rc == 0)
                wd->snap_rc = vers_failpoint("commit-after-snapshot", &wd->snap_err);
        wd->t_snapped = vers_monotonic();
        if (wd->snap_rc < 0)
                return vers_make_error(err, 0, "the snapshot failed");
        return 0;
}

int vers_env_commit(struct vers_ctx *ctx, const char *env_id, const struct vers_commit_opts *o,
                    struct vers_commit *out, double *pause_ms, vers_error_t *err)
{
        if (o->tag && vers_tag_check(o->tag, err) < 0)
                return -1;
        if (vers_store_check_room(&ctx->store, err) < 0)
                return -1;
        struct vers_env e = {0};
        int r = vers_meta_get_env(&ctx->meta, env_id, &e, err);
        if (r <= 0)
                return r < 0 ? -1 : vers_make_error(err, 0, "no env '%s'", env_id);
        /* a commit belongs to its env's project, and keeps it when the env is deleted */
        if (o->tag && vers_name_taken(ctx, o->tag, e.project, true, err) < 0) {
                vers_env_clear(&e);
                return -1;
        }
        int ret = -1;
        bool running = vers_env_is_running(&e);
        bool warm = false;
        memset(out, 0, sizeof *out);
        if (running && o->mode != VERS_MODE_COLD) {
                const struct vers_criu_info *ci = vers_criu_probe();
                if (ci->usable)
                        warm = true;
                else if (o->mode == VERS_MODE_WARM) {
                        vers_env_clear(&e);
                        return vers_make_error(err, 0, "cannot commit warm: %s", ci->why);
                } else
                        notice_cold_once(ctx, ci->why);
        } else if (!running && o->mode == VERS_MODE_WARM) {
                vers_env_clear(&e);
                return vers_make_error(err, 0, "cannot commit warm: env '%s' is not running",
                                       e.alias ? e.alias : e.id);
        }
        _cleanup_free_ char *rootfs = vers_store_env_rootfs(&ctx->store, e.id);
        _cleanup_free_ char *envdir = vers_store_env_dir(&ctx->store, e.id);
        _cleanup_free_ char *lockpath = xasprintf("%s/commit.lock", envdir);
        _cleanup_close_ int lockfd = -1;
        out->id = vers_new_id();
        out->parent = e.base ? xstrdup(e.base) : NULL;
        out->image = e.image ? xstrdup(e.image) : NULL;
        out->env = xstrdup(e.id);
        out->project = e.project ? xstrdup(e.project) : NULL;
        out->tag = o->tag ? xstrdup(o->tag) : NULL;
        out->message = o->message ? xstrdup(o->message) : NULL;
        out->mode = xstrdup("cold");
        out->state = xstrdup("pending");
        out->created = (int64_t)vers_now_ms();
        out->owner_pid = getpid();
        out->owner_start = vers_my_start();
        _cleanup_free_ char *dir = vers_store_commit_dir(&ctx->store, out->id);
        _cleanup_free_ char *dst = vers_store_commit_rootfs(&ctx->store, out->id);
        if (vers_meta_put_commit(&ctx->meta, out, err) < 0)
                goto out;
        if (vers_failpoint("commit-after-row", err) < 0)
                goto undo;
        /* one commit of an env at a time: two would freeze, dump and thaw across each other.
         * The kernel drops the lock if this process dies. */
        lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0) {
                vers_make_error(err, errno, "cannot lock '%s'", lockpath);
                goto undo;
        }
        if (vers_failpoint("commit-after-lock", err) < 0)
                goto undo;
        if (running && run_pre_commit(ctx, &e, rootfs, err) < 0)
                goto undo;
        if (vers_failpoint("commit-after-hook", err) < 0)
                goto undo;
        if (mkdir(dir, 0700) < 0) {
                vers_make_error(err, errno, "cannot create '%s'", dir);
                goto undo;
        }
        /* write back what is dirty before the freeze, so that the snapshot inside it has
         * little to flush and the pause does not grow with the amount of data written */
        {
                _cleanup_close_ int rfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (rfd >= 0)
                        syncfs(rfd);
        }
        vers_trace_mark("pre-commit");
        /* A btrfs snapshot is one instant of the whole subvolume: a cold commit of a running
         * env is crash-consistent without stopping it (what the server wrote before the
         * snapshot is in it, what it writes after is not, as in a power cut), so only a warm
         * commit, whose memory must match its disk, freezes the env: from CRIU's pre-dump
         * hook (warm_seize), once CRIU has started, until CRIU lets go of it. */
        bool frozen = false;
        double t0 = vers_monotonic();
        int snap = 0;
        bool snapped = false;
        double t_thawed = 0; /* a warm commit's pause ends at its thaw, before the chown */
        if (warm) {
                /* processes and memory, with the disk snapshot taken while CRIU still holds
                 * the dumped tree stopped */
                _cleanup_free_ char *images = xasprintf("%s/criu", dir);
                _cleanup_free_ char *log = xasprintf("%s/dump.log", images);
                _cleanup_free_ char *freezer = vers_cgroup_freezer_dir(vers_env_cg(&e));
                struct warm_dump wd = {.ctx = ctx, .e = &e, .rootfs = rootfs, .dst = dst};
                struct vers_criu_dump_hooks hooks = {warm_seize, warm_dumped, &wd};
                vers_error_t derr = NULL;
                int dumped = -1;
                if (mkdir(images, 0700) < 0 && errno != EEXIST)
                        vers_make_error(&derr, errno, "cannot create '%s'", images);
                else
                        dumped =
                            vers_criu_dump((pid_t)e.init_pid, images, freezer, log, &hooks, &derr);
                _cleanup_free_ char *why = wd.why;
                frozen = wd.frozen;
                /* the pause began with the hook's freeze */
                t0 = wd.t_freeze;
                vers_trace_mark("dump");
                if (dumped == 0 && vers_failpoint("commit-after-dump", err) < 0) {
                        vers_cgroup_freeze(vers_env_cg(&e), false, NULL);
                        goto undo;
                }
                if (wd.frozen)
                        vers_cgroup_freeze(vers_env_cg(&e), false, NULL);
                double t_thaw = vers_monotonic();
                if (wd.frozen)
                        t_thawed = t_thaw;
                if (wd.snapped) {
                        snapped = true;
                        snap = wd.snap_rc;
                }
                if (dumped == 0)
                        vers_criu_give_images(images, ctx->idmap.root_uid, ctx->idmap.root_gid,
                                              &derr);
                if (o->pause && wd.frozen) {
                        o->pause->warm = true;
                        o->pause->freeze_ms = (wd.t_frozen - wd.t_freeze) * 1000.0;
                        o->pause->dump_ms = (wd.t_dumped - wd.t_frozen) * 1000.0;
                        o->pause->snapshot_ms = (wd.t_snapped - wd.t_dumped) * 1000.0;
                        o->pause->resume_ms = (t_thaw - wd.t_snapped) * 1000.0;
                }
                if (snapped && snap < 0) {
                        /* the snapshot's own error (or failpoint), whatever criu said after */
                        vers_error_free(&derr);
                        *err = wd.snap_err;
                        goto undo;
                }
                if (derr && wd.failed) {
                        *err = derr;
                        goto undo;
                }
                if (derr && why && o->mode != VERS_MODE_WARM) {
                        vers_notice(ctx,
                                    "committing env '%s' cold: %s; a warm branch may not "
                                    "restore it",
                                    e.alias ? e.alias : e.id, why);
                        vers_error_free(&derr);
                        vers_rm_rf(images, NULL);
                        warm = false;
                } else if (derr) {
                        if (o->mode == VERS_MODE_WARM) {
                                *err = derr;
                                goto undo;
                        }
                        vers_notice(ctx, "warm commit failed, committing cold instead: %s",
                                    derr->msg);
                        vers_error_free(&derr);
                        vers_rm_rf(images, NULL);
                        warm = false;
                }
                if (!warm && snapped) {
                        /* a dump that failed after its snapshot: the cold commit takes a new one */
                        vers_subvol_delete(dst, NULL);
                        snapped = false;
                }
        }
        if (!snapped) {
                /* cold, or a warm dump that failed (its freeze, if any, is over) */
                snap = vers_subvol_snapshot(rootfs, dst, true, err);
                if (snap == 0)
                        snap = vers_failpoint("commit-after-snapshot", err);
                vers_trace_mark("snapshot");
        }
        if (pause_ms)
                *pause_ms = frozen ? (t_thawed - t0) * 1000.0 : 0;
        if (snap < 0 || vers_failpoint("commit-before-ready", err) < 0)
                goto undo;
        if (warm && (o->verify || ctx->cfg.checkpoint_verify)) {
                vers_error_t verr = NULL;
                if (verify_restore(ctx, &e, out->id, &verr) < 0) {
                        if (o->mode == VERS_MODE_WARM) {
                                *err = verr;
                                goto undo;
                        }
                        vers_notice(ctx, "%s; committing cold instead", verr->msg);
                        vers_error_free(&verr);
                        _cleanup_free_ char *images = xasprintf("%s/criu", dir);
                        vers_rm_rf(images, NULL);
                        warm = false;
                }
        }
        free(out->state);
        out->state = xstrdup("ready");
        free(out->mode);
        out->mode = xstrdup(warm ? "warm" : "cold");
        out->owner_pid = out->owner_start = 0;
        if (vers_meta_put_commit(&ctx->meta, out, err) < 0)
                goto undo;
        /* the env now descends from this commit */
        free(e.base);
        e.base = xstrdup(out->id);
        ret = vers_meta_put_env(&ctx->meta, &e, err);
        goto out;
undo:
        vers_subvol_delete(dst, NULL);
        vers_rm_rf(dir, NULL);
        vers_meta_delete(&ctx->meta, VERS_META_COMMITS, out->id, NULL);
        vers_commit_clear(out);
out:
        vers_env_clear(&e);
        return ret;
}
