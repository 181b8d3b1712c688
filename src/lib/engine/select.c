#include "engine/select.h"
#include "engine/engine-private.h"

#include <fnmatch.h>
#include <string.h>

int vers_target_env(struct vers_ctx *ctx, const char *name, unsigned flags, struct vers_env *out,
                    vers_error_t *err)
{
        struct vers_ref ref = {VERS_REF_NONE, NULL};
        int r = name ? vers_resolve(ctx, name, &ref, err) : vers_head_get(ctx, &ref, err);
        if (r < 0)
                return -1;
        if (ref.kind == VERS_REF_COMMIT) {
                _cleanup_free_ char *label = vers_commit_label(ctx, ref.id);
                vers_ref_clear(&ref);
                return vers_make_error(err, 0,
                                       "%s is commit '%s', not an env; make an env from it with "
                                       "'vers branch %s'",
                                       name ? "that" : "HEAD", label, label);
        }
        if (ref.kind == VERS_REF_NONE) {
                if (!(flags & VERS_TARGET_RUN_IF_NONE) || !ctx->have_cfg)
                        return vers_make_error(err, 0,
                                               "no env to act on: HEAD is not set here "
                                               "(run 'vers run', or pass -b ENV)");
                vers_progress(ctx, "no env for this project yet: starting one (vers run)");
                if (vers_env_run(ctx, NULL, out, err) < 0)
                        return -1;
                return vers_head_set(ctx, VERS_REF_ENV, out->id, err);
        }
        int ret;
        if (flags & VERS_TARGET_START)
                ret = vers_env_ensure_running(ctx, ref.id, out, err);
        else if ((ret = vers_meta_get_env(&ctx->meta, ref.id, out, err)) == 0)
                ret = vers_make_error(err, 0, "no env '%s'", name ? name : ref.id);
        else if (ret > 0)
                ret = 0;
        vers_ref_clear(&ref);
        return ret;
}

bool vers_in_scope(const struct vers_ctx *ctx, const char *project, bool all)
{
        if (all || !ctx->project_dir)
                return true;
        return project && !strcmp(project, ctx->project_dir);
}

/* commits of no known project (older databases) are in every scope */
static bool commit_in_scope(const struct vers_ctx *ctx, const struct vers_commit *c, bool all)
{
        return !c->project || vers_in_scope(ctx, c->project, all);
}

int vers_head_describe(struct vers_ctx *ctx, struct vers_ref *out, char **label, vers_error_t *err)
{
        *label = NULL;
        if (vers_head_get(ctx, out, err) < 0)
                return -1;
        if (out->kind != VERS_REF_NONE)
                *label = out->kind == VERS_REF_ENV ? vers_env_label(ctx, out->id)
                                                   : vers_commit_label(ctx, out->id);
        return 0;
}

/* ---- listings ---------------------------------------------------------------------------- */

static void env_row(struct vers_ctx *ctx, struct vers_env_row *row, struct vers_env *e,
                    const struct vers_ref *head)
{
        row->env = *e;
        memset(e, 0, sizeof *e);
        row->running = vers_env_is_running(&row->env);
        row->has_memory =
            row->running && vers_cgroup_memory(vers_env_cg(&row->env), &row->memory, NULL) == 0;
        row->head = head->kind == VERS_REF_ENV && !strcmp(head->id, row->env.id);
        row->from = row->env.base ? vers_commit_label(ctx, row->env.base)
                                  : xasprintf("image %s", row->env.image ? row->env.image : "-");
}

static void env_rows_free(struct vers_env_row *rows, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                vers_env_clear(&rows[i].env);
                free(rows[i].from);
        }
        free(rows);
}

int vers_list_envs(struct vers_ctx *ctx, bool all, struct vers_env_list *out, vers_error_t *err)
{
        memset(out, 0, sizeof *out);
        bool by_project = ctx->project_dir && !all;
        struct vers_env *envs = NULL;
        size_t n = 0;
        struct vers_ref head = {VERS_REF_NONE, NULL};
        if (vers_meta_list_live_envs(&ctx->meta, by_project ? ctx->project_dir : NULL, &envs, &n,
                                     err) < 0)
                return -1;
        if (vers_head_get(ctx, &head, err) < 0) {
                vers_envs_free(envs, n);
                return -1;
        }
        out->rows = xcalloc(n ? n : 1, sizeof *out->rows);
        for (size_t i = 0; i < n; i++)
                env_row(ctx, &out->rows[i], &envs[i], &head);
        out->n = n;
        out->wide = !by_project;
        vers_envs_free(envs, n);
        vers_ref_clear(&head);
        return 0;
}

void vers_env_list_free(struct vers_env_list *l)
{
        env_rows_free(l->rows, l->n);
        memset(l, 0, sizeof *l);
}

int vers_list_commits(struct vers_ctx *ctx, bool tagged_only, bool all,
                      struct vers_commit_list *out, vers_error_t *err)
{
        memset(out, 0, sizeof *out);
        struct vers_commit *cs = NULL;
        size_t n = 0;
        if (vers_meta_list_ready_commits(&ctx->meta, tagged_only, &cs, &n, err) < 0)
                return -1;
        out->rows = xcalloc(n ? n : 1, sizeof *out->rows);
        for (size_t i = 0; i < n; i++) {
                if (!commit_in_scope(ctx, &cs[i], all)) {
                        vers_commit_clear(&cs[i]);
                        continue;
                }
                struct vers_commit_row *row = &out->rows[out->n++];
                row->commit = cs[i];
                row->env = vers_env_label(ctx, cs[i].env);
        }
        free(cs);
        out->wide = all || !ctx->project_dir;
        return 0;
}

void vers_commit_list_free(struct vers_commit_list *l)
{
        for (size_t i = 0; i < l->n; i++) {
                vers_commit_clear(&l->rows[i].commit);
                free(l->rows[i].env);
        }
        free(l->rows);
        memset(l, 0, sizeof *l);
}

/* Is image im one the tree shows: built in scope, or the image of a shown commit or env? */
static bool image_in_tree(const struct vers_ctx *ctx, const struct vers_tree *t,
                          const struct vers_image *im, bool all)
{
        if (vers_in_scope(ctx, im->project, all))
                return true;
        for (size_t i = 0; i < t->n_commits; i++)
                if (t->commits[i].image && !strcmp(t->commits[i].image, im->id))
                        return true;
        for (size_t i = 0; i < t->n_envs; i++)
                if (t->envs[i].env.image && !strcmp(t->envs[i].env.image, im->id))
                        return true;
        return false;
}

int vers_tree_load(struct vers_ctx *ctx, bool all, struct vers_tree *out, vers_error_t *err)
{
        memset(out, 0, sizeof *out);
        struct vers_commit *cs = NULL;
        struct vers_env *es = NULL;
        struct vers_image *is = NULL;
        size_t nc = 0, ne = 0, ni = 0;
        if (vers_meta_list_ready_commits(&ctx->meta, false, &cs, &nc, err) < 0 ||
            vers_meta_list_live_envs(&ctx->meta, NULL, &es, &ne, err) < 0 ||
            vers_meta_list_ready_images(&ctx->meta, &is, &ni, err) < 0 ||
            vers_head_get(ctx, &out->head, err) < 0) {
                vers_commits_free(cs, nc);
                vers_envs_free(es, ne);
                vers_images_free(is, ni);
                return -1;
        }
        out->commits = cs;
        for (size_t i = 0; i < nc; i++) {
                if (commit_in_scope(ctx, &cs[i], all))
                        cs[out->n_commits++] = cs[i];
                else
                        vers_commit_clear(&cs[i]);
        }
        out->envs = xcalloc(ne ? ne : 1, sizeof *out->envs);
        for (size_t i = 0; i < ne; i++) {
                if (vers_in_scope(ctx, es[i].project, all))
                        env_row(ctx, &out->envs[out->n_envs++], &es[i], &out->head);
                else
                        vers_env_clear(&es[i]);
        }
        free(es);
        out->images = is;
        for (size_t i = 0; i < ni; i++) {
                if (image_in_tree(ctx, out, &is[i], all))
                        is[out->n_images++] = is[i];
                else
                        vers_image_clear(&is[i]);
        }
        return 0;
}

void vers_tree_free(struct vers_tree *t)
{
        vers_images_free(t->images, t->n_images);
        vers_commits_free(t->commits, t->n_commits);
        env_rows_free(t->envs, t->n_envs);
        vers_ref_clear(&t->head);
        memset(t, 0, sizeof *t);
}

/* ---- picking envs to delete -------------------------------------------------------------- */

static void push_unique(char ***ids, const char *id)
{
        for (size_t k = 0; *ids && (*ids)[k]; k++)
                if (!strcmp((*ids)[k], id))
                        return;
        strv_push(ids, id);
}

/* does env e's alias or id match the shell glob pattern? */
static bool env_matches(const struct vers_env *e, const char *pattern)
{
        return (e->alias && fnmatch(pattern, e->alias, 0) == 0) || fnmatch(pattern, e->id, 0) == 0;
}

static int pick_by_pattern(struct vers_ctx *ctx, char **patterns, bool all, char ***ids,
                           vers_error_t *err)
{
        if (!ctx->project_dir && !all)
                return vers_make_error(err, 0,
                                       "not in a project (no vers.toml or .vers here or above): "
                                       "pass --all to match the envs of every project; nothing "
                                       "deleted");
        struct vers_env *envs = NULL;
        size_t n = 0;
        if (vers_meta_list_live_envs(&ctx->meta, NULL, &envs, &n, err) < 0)
                return -1;
        int ret = 0;
        for (size_t p = 0; patterns[p] && ret == 0; p++) {
                size_t any = 0, elsewhere = 0;
                for (size_t i = 0; i < n; i++) {
                        if (!env_matches(&envs[i], patterns[p]))
                                continue;
                        if (!vers_in_scope(ctx, envs[i].project, all)) {
                                elsewhere++;
                                continue;
                        }
                        any++;
                        push_unique(ids, envs[i].id);
                }
                if (any)
                        continue;
                if (vers_path_exists(patterns[p]))
                        /* the shell turned test-* into the names of files here */
                        ret = vers_make_error(err, 0,
                                              "no env matches '%s', a file in this directory: did "
                                              "the shell expand a pattern? quote it ('test-*'); "
                                              "nothing deleted",
                                              patterns[p]);
                else if (elsewhere)
                        ret = vers_make_error(err, 0,
                                              "no env of this project matches '%s' (%zu of other "
                                              "projects do: --all reaches them); nothing deleted",
                                              patterns[p], elsewhere);
                else
                        ret = vers_make_error(err, 0,
                                              "no env matches '%s' (see 'vers status'); nothing "
                                              "deleted",
                                              patterns[p]);
        }
        vers_envs_free(envs, n);
        return ret;
}

static int pick_by_name(struct vers_ctx *ctx, char **names, bool all, char ***ids,
                        vers_error_t *err)
{
        for (size_t i = 0; names[i]; i++) {
                struct vers_ref ref = {VERS_REF_NONE, NULL};
                if (vers_resolve(ctx, names[i], &ref, err) < 0)
                        return -1;
                if (ref.kind != VERS_REF_ENV) {
                        vers_ref_clear(&ref);
                        return vers_make_error(
                            err, 0, "'%s' is a commit, not an env; nothing deleted", names[i]);
                }
                struct vers_env e = {0};
                int r = vers_meta_get_env(&ctx->meta, ref.id, &e, err);
                if (r == 0) /* deleted since it was resolved */
                        r = vers_make_error(err, 0, "no env named '%s'; nothing deleted", names[i]);
                else if (r == 1 && !vers_in_scope(ctx, e.project, all))
                        r = vers_make_error(err, 0,
                                            "env '%s' belongs to another project ('%s'); pass "
                                            "--all to delete it; nothing deleted",
                                            names[i], e.project ? e.project : "none");
                if (r == 1)
                        push_unique(ids, ref.id);
                vers_env_clear(&e);
                vers_ref_clear(&ref);
                if (r < 0)
                        return -1;
        }
        return 0;
}

int vers_delete_envs(struct vers_ctx *ctx, const struct vers_delete_opts *o, vers_error_t *err)
{
        _cleanup_strv_ char **ids = NULL;
        if ((o->patterns ? pick_by_pattern(ctx, o->names, o->all, &ids, err)
                         : pick_by_name(ctx, o->names, o->all, &ids, err)) < 0)
                return -1;
        if (!ids)
                return vers_make_error(err, 0, "no env given; nothing deleted");
        if (o->confirm && o->confirm(strv_len(ids), o->arg, err) < 0)
                return -1;
        vers_error_t last = NULL;
        for (size_t i = 0; ids[i]; i++) {
                _cleanup_free_ char *label = vers_env_label(ctx, ids[i]);
                vers_error_t e = NULL;
                if (vers_env_delete(ctx, ids[i], &e) < 0) {
                        if (last)
                                vers_notice(ctx, "%s", last->msg);
                        vers_error_free(&last);
                        last = e;
                        continue;
                }
                if (o->deleted)
                        o->deleted(label, o->arg);
        }
        if (!last)
                return 0;
        if (err && !*err)
                *err = last;
        else
                vers_error_free(&last);
        return -1;
}
