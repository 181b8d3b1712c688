/* refs — names: resolving aliases, tags and ids in the current project, labels, and which
 * new names are free (aliases unique over the root, tags within a project). */
#include "state/refs.h"
#include "base/names.h"

#include <string.h>

void vers_ref_clear(struct vers_ref *r)
{
        free(r->id);
        r->id = NULL;
        r->kind = VERS_REF_NONE;
}

static bool same_project(const char *a, const char *b)
{
        return a ? (b && !strcmp(a, b)) : !b;
}

/* Is there an env, commit or image whose id name would hide (see vers_name_shadows_id)? */
static int shadows_an_id(struct vers_ctx *ctx, const char *name, const char *what,
                         vers_error_t *err)
{
        if (!vers_looks_like_id(name))
                return 0; /* ids are lowercase hex: nothing else can hide one */
        struct vers_env *e = NULL;
        struct vers_commit *c = NULL;
        struct vers_image *im = NULL;
        size_t ne = 0, nc = 0, ni = 0;
        if (vers_meta_list_envs(&ctx->meta, &(struct vers_meta_query){.id_prefix = name}, &e, &ne,
                                err) < 0 ||
            vers_meta_list_commits(&ctx->meta, &(struct vers_meta_query){.id_prefix = name}, &c,
                                   &nc, err) < 0 ||
            vers_meta_list_images(&ctx->meta, &(struct vers_meta_query){.id_prefix = name}, &im,
                                  &ni, err) < 0) {
                vers_envs_free(e, ne);
                vers_commits_free(c, nc);
                return -1;
        }
        _cleanup_free_ char *hidden = NULL;
        for (size_t i = 0; i < ne && !hidden; i++)
                if (vers_name_shadows_id(name, e[i].id))
                        hidden = xasprintf("env %s", e[i].id);
        for (size_t i = 0; i < nc && !hidden; i++)
                if (vers_name_shadows_id(name, c[i].id))
                        hidden = xasprintf("commit %s", c[i].id);
        for (size_t i = 0; i < ni && !hidden; i++)
                if (vers_name_shadows_id(name, im[i].id))
                        hidden = xasprintf("image %s", im[i].id);
        vers_envs_free(e, ne);
        vers_commits_free(c, nc);
        vers_images_free(im, ni);
        if (hidden)
                return vers_make_error(err, 0, "%s '%s' looks like the id of %s; choose another",
                                       what, name, hidden);
        return 0;
}

/* May name become an alias (is_tag false) or a tag (true) in project? Aliases are unique over
 * the root, tags within a project, and neither may equal the other in one project, since
 * names resolve in the project first (see vers_resolve). */
int vers_name_taken(struct vers_ctx *ctx, const char *name, const char *project, bool is_tag,
                    vers_error_t *err)
{
        const char *what = is_tag ? "tag" : "alias";
        if (shadows_an_id(ctx, name, what, err) < 0)
                return -1;
        struct vers_env *e = NULL;
        struct vers_commit *c = NULL;
        size_t ne = 0, nc = 0;
        if (vers_meta_list_envs(&ctx->meta, &(struct vers_meta_query){.name = name}, &e, &ne, err) <
            0)
                return -1;
        bool env_clash = false, tag_clash = false;
        for (size_t i = 0; i < ne; i++)
                env_clash |= !is_tag || same_project(e[i].project, project);
        vers_envs_free(e, ne);
        if (vers_meta_list_commits(&ctx->meta, &(struct vers_meta_query){.name = name}, &c, &nc,
                                   err) < 0)
                return -1;
        for (size_t i = 0; i < nc; i++)
                tag_clash |= same_project(c[i].project, project);
        vers_commits_free(c, nc);
        if (env_clash)
                return vers_make_error(err, 0, "an env named '%s' already exists", name);
        if (tag_clash)
                return vers_make_error(err, 0, "a commit tagged '%s' already exists%s", name,
                                       project ? " in this project" : "");
        return 0;
}

/* The ready commit tagged name that a command in ctx's project means: the project's own, else
 * one of no project (older databases). Outside any project, the only one so tagged. Sets *id
 * (NULL if none); *elsewhere counts tagged commits of other projects left out. */
static int resolve_tag(struct vers_ctx *ctx, const char *name, char **id, size_t *elsewhere,
                       vers_error_t *err)
{
        struct vers_commit *c = NULL;
        size_t nc = 0;
        *id = NULL;
        *elsewhere = 0;
        if (vers_meta_list_commits(&ctx->meta,
                                   &(struct vers_meta_query){.name = name, .states = VERS_Q_READY},
                                   &c, &nc, err) < 0)
                return -1;
        const char *own = NULL, *legacy = NULL;
        for (size_t i = 0; i < nc; i++) {
                if (!c[i].project)
                        legacy = c[i].id;
                else if (ctx->project_dir && !strcmp(c[i].project, ctx->project_dir))
                        own = c[i].id;
                else
                        (*elsewhere)++;
        }
        int ret = 0;
        if (own || legacy)
                *id = xstrdup(own ? own : legacy);
        else if (!ctx->project_dir && *elsewhere == 1)
                *id = xstrdup(c[0].id);
        else if (!ctx->project_dir && *elsewhere > 1)
                ret = vers_make_error(err, 0,
                                      "tag '%s' is in %zu projects; run this in one of them, or "
                                      "name the commit by its id",
                                      name, *elsewhere);
        vers_commits_free(c, nc);
        return ret;
}

/* Order: an alias of this project's env, a tag of this project, an exact id, the alias of
 * another project's env (aliases are unique over the root), a unique id prefix. Outside any
 * project every env is "this project's". Other projects' tags never resolve inside a project. */
int vers_resolve(struct vers_ctx *ctx, const char *name, struct vers_ref *out, vers_error_t *err)
{
        out->kind = VERS_REF_NONE;
        out->id = NULL;
        if (!name || !*name)
                return vers_make_error(err, 0, "empty name");
        if (strchr(name, '/') || strstr(name, ".."))
                return vers_name_check("name", name, err);
        struct vers_env *e = NULL;
        struct vers_commit *c = NULL;
        size_t ne = 0, nc = 0;
        _cleanup_free_ char *aliased = NULL; /* an env of another project with that alias */
        if (vers_meta_list_envs(&ctx->meta,
                                &(struct vers_meta_query){.name = name, .states = VERS_Q_LIVE}, &e,
                                &ne, err) < 0)
                return -1;
        if (ne) {
                if (!ctx->project_dir || same_project(e[0].project, ctx->project_dir)) {
                        out->kind = VERS_REF_ENV;
                        out->id = xstrdup(e[0].id);
                } else {
                        aliased = xstrdup(e[0].id);
                }
        }
        vers_envs_free(e, ne);
        if (out->kind != VERS_REF_NONE)
                return 0;
        _cleanup_free_ char *tagged = NULL;
        size_t elsewhere = 0;
        if (resolve_tag(ctx, name, &tagged, &elsewhere, err) < 0)
                return -1;
        if (tagged) {
                out->kind = VERS_REF_COMMIT;
                out->id = steal_pointer(&tagged);
                return 0;
        }
        if (vers_meta_list_envs(&ctx->meta,
                                &(struct vers_meta_query){.id = name, .states = VERS_Q_LIVE}, &e,
                                &ne, err) < 0)
                return -1;
        if (ne) {
                out->kind = VERS_REF_ENV;
                out->id = xstrdup(e[0].id);
                vers_envs_free(e, ne);
                return 0;
        }
        if (vers_meta_list_commits(&ctx->meta,
                                   &(struct vers_meta_query){.id = name, .states = VERS_Q_READY},
                                   &c, &nc, err) < 0)
                return -1;
        if (nc) {
                out->kind = VERS_REF_COMMIT;
                out->id = xstrdup(c[0].id);
                vers_commits_free(c, nc);
                return 0;
        }
        if (aliased) {
                out->kind = VERS_REF_ENV;
                out->id = steal_pointer(&aliased);
                return 0;
        }
        if (vers_looks_like_id(name)) {
                if (vers_meta_list_envs(
                        &ctx->meta,
                        &(struct vers_meta_query){.id_prefix = name, .states = VERS_Q_LIVE}, &e,
                        &ne, err) < 0)
                        return -1;
                if (vers_meta_list_commits(
                        &ctx->meta,
                        &(struct vers_meta_query){.id_prefix = name, .states = VERS_Q_READY}, &c,
                        &nc, err) < 0) {
                        vers_envs_free(e, ne);
                        return -1;
                }
                if (ne + nc == 1) {
                        out->kind = ne ? VERS_REF_ENV : VERS_REF_COMMIT;
                        out->id = xstrdup(ne ? e[0].id : c[0].id);
                }
                vers_envs_free(e, ne);
                vers_commits_free(c, nc);
                if (ne + nc > 1)
                        return vers_make_error(err, 0,
                                               "'%s' is ambiguous (%zu matches); give more "
                                               "characters",
                                               name, ne + nc);
                if (out->kind != VERS_REF_NONE)
                        return 0;
        }
        if (elsewhere)
                return vers_make_error(err, 0,
                                       "no env or commit named '%s' in this project (another "
                                       "project has that tag: name its commit by id, see 'vers "
                                       "commit list --all')",
                                       name);
        return vers_make_error(
            err, 0, "no env or commit named '%s' (see 'vers status' and 'vers commit list')", name);
}

int vers_resolve_base(struct vers_ctx *ctx, const char *name, struct vers_ref *out,
                      vers_error_t *err)
{
        vers_error_t first = NULL;
        if (vers_resolve(ctx, name, out, &first) == 0)
                return 0;
        struct vers_commit *c = NULL;
        size_t nc = 0;
        if (vers_meta_list_commits(&ctx->meta,
                                   &(struct vers_meta_query){.name = name, .states = VERS_Q_READY},
                                   &c, &nc, NULL) < 0 ||
            nc == 0) {
                vers_commits_free(c, nc);
                if (err)
                        *err = first;
                else
                        vers_error_free(&first);
                return -1;
        }
        vers_error_free(&first);
        int ret = 0;
        if (nc == 1) {
                out->kind = VERS_REF_COMMIT;
                out->id = xstrdup(c[0].id);
        } else {
                ret = vers_make_error(err, 0,
                                      "tag '%s' is in %zu other projects; name the commit by its "
                                      "id (see 'vers tag list --all')",
                                      name, nc);
        }
        vers_commits_free(c, nc);
        return ret;
}

char *vers_commit_label(struct vers_ctx *ctx, const char *id)
{
        struct vers_commit c = {0};
        if (!id || vers_meta_get_commit(&ctx->meta, id, &c, NULL) != 1)
                return xstrdup(id ? id : "-");
        char *r = xstrdup(c.tag ? c.tag : c.id);
        vers_commit_clear(&c);
        return r;
}

char *vers_env_label(struct vers_ctx *ctx, const char *id)
{
        struct vers_env e = {0};
        if (!id || vers_meta_get_env(&ctx->meta, id, &e, NULL) != 1)
                return xstrdup(id ? id : "-");
        char *r = xstrdup(e.alias ? e.alias : e.id);
        vers_env_clear(&e);
        return r;
}

int vers_ready_commit(struct vers_ctx *ctx, const char *name, struct vers_commit *c,
                      vers_error_t *err)
{
        struct vers_ref r = {0};
        if (vers_resolve(ctx, name, &r, err) < 0)
                return -1;
        int ret = -1;
        if (r.kind == VERS_REF_NONE)
                vers_make_error(err, 0, "no commit named '%s' (see 'vers commit list')", name);
        else if (r.kind == VERS_REF_ENV)
                vers_make_error(err, 0, "'%s' is an env, not a commit (commit it first)", name);
        else if (vers_meta_get_commit(&ctx->meta, r.id, c, err) == 1) {
                if (c->state && !strcmp(c->state, "ready"))
                        ret = 0;
                else
                        vers_make_error(err, 0, "commit '%s' is not ready", name);
        } else if (!*err)
                vers_make_error(err, 0, "no commit named '%s'", name);
        vers_ref_clear(&r);
        return ret;
}
