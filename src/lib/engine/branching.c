#include "engine/branching.h"
#include "engine/select.h"
#include "engine/expiry.h"
#include "base/names.h"
#include "base/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int vers_run_head(struct vers_ctx *ctx, const char *alias, struct vers_env *out, vers_error_t *err)
{
        if (vers_env_run(ctx, alias, out, err) < 0)
                return -1;
        return vers_head_set(ctx, VERS_REF_ENV, out->id, err);
}

int vers_commit_target(struct vers_ctx *ctx, const char *name, const struct vers_commit_opts *o,
                       struct vers_commit *out, char **env_label, double *pause_ms,
                       vers_error_t *err)
{
        struct vers_env e = {0};
        *env_label = NULL;
        int r = vers_target_env(ctx, name, VERS_TARGET_RUN_IF_NONE, &e, err);
        if (r == 0)
                r = vers_env_commit(ctx, e.id, o, out, pause_ms, err);
        if (r == 0)
                *env_label = xstrdup(e.alias ? e.alias : e.id);
        vers_env_clear(&e);
        return r;
}

/* The commit a branch starts from: src's, or, for an env, a new commit of it. */
static int branch_point(struct vers_ctx *ctx, const struct vers_ref *src, enum vers_mode mode,
                        char **commit_id, vers_error_t *err)
{
        if (src->kind == VERS_REF_COMMIT) {
                *commit_id = xstrdup(src->id);
                return 0;
        }
        _cleanup_free_ char *label = vers_env_label(ctx, src->id);
        _cleanup_free_ char *msg = xasprintf("branch point of %s", label);
        struct vers_commit_opts co = {NULL, msg, mode, false, NULL};
        struct vers_commit cm = {0};
        struct vers_env se = {0};
        double pause = 0;
        int r = vers_env_ensure_running(ctx, src->id, &se, err);
        vers_env_clear(&se);
        if (r == 0)
                r = vers_env_commit(ctx, src->id, &co, &cm, &pause, err);
        if (r == 0)
                *commit_id = xstrdup(cm.id);
        vers_commit_clear(&cm);
        return r;
}

/* One new env of commit_id, reported to o->made; last: it may become HEAD. */
static int branch_one(struct vers_ctx *ctx, const struct vers_branch_opts *o, const char *commit_id,
                      const char *from_label, const char *name, bool last, vers_error_t *err)
{
        struct vers_env e = {0};
        double t0 = vers_monotonic();
        int r = vers_env_branch(ctx, commit_id, name, o->mode, &e, err);
        if (r == 0 && o->ttl > 0 && (r = vers_env_set_ttl(ctx, e.id, o->ttl, err)) == 0)
                e.expires = time(NULL) + o->ttl;
        if (r == 0 && o->checkout && last)
                r = vers_head_set(ctx, VERS_REF_ENV, e.id, err);
        if (r == 0 && o->made)
                o->made(&e, commit_id, from_label, vers_monotonic() - t0, vers_trace_get(), o->arg);
        vers_env_clear(&e);
        return r;
}

/* What a child of branch_many() sends back: its env's id and how long it took, or why it
 * failed, and its phases. */
struct branch_report {
        char id[64];
        double seconds;
        char error[512];
        struct vers_trace trace;
};

/* --count N: the envs are made at the same time, one child process each (its own metadata
 * connection, as vers test's jobs have), so N restores overlap instead of queueing. Every env
 * that was made stays, as when they are made one by one; the first error is returned. */
static int branch_many(struct vers_ctx *ctx, const struct vers_branch_opts *o,
                       const char *commit_id, const char *from_label, vers_error_t *err)
{
        int n = o->count;
        pid_t *pids = xcalloc((size_t)n, sizeof *pids);
        int *fds = xcalloc((size_t)n, sizeof *fds);
        int ret = 0;
        fflush(stdout);
        fflush(stderr);
        for (int i = 0; i < n; i++) {
                int p[2];
                fds[i] = -1;
                if (pipe2(p, O_CLOEXEC) < 0 || (pids[i] = fork()) < 0) {
                        ret = vers_make_error(err, errno, "cannot start branch %d of %d", i + 1, n);
                        n = i;
                        break;
                }
                if (pids[i] == 0) {
                        close(p[0]);
                        struct branch_report rep;
                        memset(&rep, 0, sizeof rep);
                        /* the parent's SQLite connection is not used in a child: its own */
                        struct vers_ctx c;
                        memset(&c, 0, sizeof c);
                        c.progress = ctx->progress;
                        c.notice = ctx->notice;
                        vers_error_t cerr = NULL;
                        vers_trace_reset();
                        _cleanup_free_ char *name =
                            o->alias ? xasprintf("%s-%d", o->alias, i + 1) : NULL;
                        double t0 = vers_monotonic();
                        struct vers_env e = {0};
                        if (vers_open(&c, &cerr) < 0 ||
                            (vers_trace_mark("open"),
                             vers_env_branch(&c, commit_id, name, o->mode, &e, &cerr) < 0) ||
                            (o->ttl > 0 && vers_env_set_ttl(&c, e.id, o->ttl, &cerr) < 0))
                                snprintf(rep.error, sizeof rep.error, "%s", cerr->msg);
                        else
                                snprintf(rep.id, sizeof rep.id, "%s", e.id);
                        rep.seconds = vers_monotonic() - t0;
                        rep.trace = *vers_trace_get();
                        vers_write_all(p[1], &rep, sizeof rep);
                        _exit(rep.id[0] ? 0 : 1);
                }
                close(p[1]);
                fds[i] = p[0];
        }
        /* in order, so that the output lists NAME-1 ... NAME-N */
        for (int i = 0; i < n; i++) {
                struct branch_report rep;
                memset(&rep, 0, sizeof rep);
                ssize_t got = read(fds[i], &rep, sizeof rep);
                close(fds[i]);
                int st;
                while (waitpid(pids[i], &st, 0) < 0 && errno == EINTR)
                        ;
                if (got != (ssize_t)sizeof rep) {
                        if (ret == 0)
                                ret = vers_make_error(err, 0, "branch %d of %d died", i + 1, n);
                        continue;
                }
                if (!rep.id[0]) {
                        if (ret == 0)
                                ret = vers_make_error(err, 0, "%s", rep.error);
                        continue;
                }
                struct vers_env e = {0};
                int r = vers_meta_get_env(&ctx->meta, rep.id, &e, ret == 0 ? err : NULL);
                if (r == 0 && ret == 0)
                        ret = vers_make_error(err, 0, "env '%s' is gone", rep.id);
                if (r == 1 && o->checkout && i == o->count - 1 && ret == 0)
                        ret = vers_head_set(ctx, VERS_REF_ENV, e.id, err);
                if (r == 1 && o->made)
                        o->made(&e, commit_id, from_label, rep.seconds, &rep.trace, o->arg);
                if (r < 0 && ret == 0)
                        ret = -1;
                vers_env_clear(&e);
        }
        free(pids);
        free(fds);
        return ret;
}

int vers_branch(struct vers_ctx *ctx, const struct vers_branch_opts *opts, vers_error_t *err)
{
        struct vers_branch_opts resolved = *opts;
        const struct vers_branch_opts *o = &resolved;
        if (resolved.ttl < 0)
                resolved.ttl = ctx->cfg.branch_ttl;
        if (o->alias && vers_name_check("alias", o->alias, err) < 0)
                return -1;
        if (o->count < 1)
                return vers_make_error(err, 0, "cannot make %d envs", o->count);
        struct vers_ref src = {VERS_REF_NONE, NULL};
        _cleanup_free_ char *commit_id = NULL;
        _cleanup_free_ char *from_label = NULL;
        int ret = -1;
        if ((o->from ? vers_resolve(ctx, o->from, &src, err) : vers_head_get(ctx, &src, err)) < 0)
                goto out;
        if (src.kind == VERS_REF_NONE) {
                vers_make_error(err, 0,
                                "nothing to branch from: HEAD is not set (run 'vers run', or "
                                "name an env or commit)");
                goto out;
        }
        if (branch_point(ctx, &src, o->mode, &commit_id, err) < 0)
                goto out;
        from_label = vers_commit_label(ctx, commit_id);
        vers_trace_mark("resolve");
        if (o->count > 1)
                ret = branch_many(ctx, o, commit_id, from_label, err);
        else
                ret = branch_one(ctx, o, commit_id, from_label, o->alias, true, err);
out:
        vers_ref_clear(&src);
        return ret;
}

int vers_checkout(struct vers_ctx *ctx, const char *name, struct vers_ref *out, char **label,
                  vers_error_t *err)
{
        *label = NULL;
        if (vers_resolve(ctx, name, out, err) < 0 ||
            vers_head_set(ctx, out->kind, out->id, err) < 0)
                return -1;
        *label = out->kind == VERS_REF_ENV ? vers_env_label(ctx, out->id)
                                           : vers_commit_label(ctx, out->id);
        return 0;
}

int vers_rollback_target(struct vers_ctx *ctx, const char *env, const char *to, enum vers_mode mode,
                         struct vers_rollback_result *out, vers_error_t *err)
{
        memset(out, 0, sizeof *out);
        struct vers_env e = {0};
        struct vers_ref ref = {VERS_REF_NONE, NULL};
        int ret = -1;
        if (vers_target_env(ctx, env, 0, &e, err) < 0)
                goto out;
        if (to) {
                if (vers_resolve(ctx, to, &ref, err) < 0)
                        goto out;
                if (ref.kind != VERS_REF_COMMIT) {
                        vers_make_error(err, 0, "'%s' is an env; roll back to a commit or tag", to);
                        goto out;
                }
        } else if (e.base) {
                ref.kind = VERS_REF_COMMIT;
                ref.id = xstrdup(e.base);
        } else {
                vers_make_error(err, 0,
                                "env has no commit to roll back to (commit it first, or name a "
                                "commit)");
                goto out;
        }
        if (vers_env_rollback(ctx, e.id, ref.id, mode, err) < 0)
                goto out;
        struct vers_env after = {0};
        vers_meta_get_env(&ctx->meta, e.id, &after, NULL);
        out->env = xstrdup(e.alias ? e.alias : e.id);
        out->commit = vers_commit_label(ctx, ref.id);
        out->mode = xstrdup(after.mode ? after.mode : "cold");
        vers_env_clear(&after);
        ret = 0;
out:
        vers_ref_clear(&ref);
        vers_env_clear(&e);
        return ret;
}

void vers_rollback_result_clear(struct vers_rollback_result *r)
{
        free(r->env);
        free(r->commit);
        free(r->mode);
        memset(r, 0, sizeof *r);
}
