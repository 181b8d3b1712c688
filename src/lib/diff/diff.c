/* diff — vers diff: the operands (an env read as it runs; a commit through a cold branch made
 * for the diff and deleted afterwards), the services both run, and the result. */
#include "diff/diff-private.h"

#include "engine/expiry.h"

#include <errno.h>
#include <string.h>

#define DIFF_BRANCH_TTL 3600

static char *ref_label(struct vers_ctx *ctx, bool env, const char *id)
{
        _cleanup_free_ char *l = env ? vers_env_label(ctx, id) : vers_commit_label(ctx, id);
        return xasprintf("%s %s", env ? "env" : "commit", l);
}

/* a signal while vers waited (a boot, a fork, a wait sets only a flag): -1 with err */
static int check_intr(vers_error_t *err)
{
        return vers_diff_interrupted() ? vers_make_error(err, EINTR, "interrupted") : 0;
}

/* make side the env to read for a commit */
static int side_commit(struct vers_ctx *ctx, const char *id, struct vers_diff_side *side,
                       vers_error_t *err)
{
        side->label = ref_label(ctx, false, id);
        if (check_intr(err) < 0)
                return -1;
        vers_progress(ctx, "starting a cold branch of %s to read it", side->label);
        if (vers_env_branch(ctx, id, NULL, VERS_MODE_COLD, &side->env, err) < 0)
                return vers_error_wrap(err, "%s", side->label);
        side->made = true;
        /* deleted below; should this process be killed before that, it expires (an hour is
         * longer than any diff's read) and the next vers command deletes it */
        if (vers_env_set_ttl(ctx, side->env.id, DIFF_BRANCH_TTL, err) < 0)
                return vers_error_wrap(err, "%s", side->label);
        return check_intr(err);
}

static int side_open(struct vers_ctx *ctx, const char *name, struct vers_diff_side *side,
                     vers_error_t *err)
{
        struct vers_ref r = {0};
        if (check_intr(err) < 0 || vers_resolve(ctx, name, &r, err) < 0)
                return -1;
        int ret = -1;
        if (r.kind == VERS_REF_NONE)
                vers_make_error(err, 0, "no env or commit named '%s' (see 'vers status')", name);
        else if (r.kind == VERS_REF_COMMIT) {
                struct vers_commit c = {0};
                if (vers_ready_commit(ctx, r.id, &c, err) == 0)
                        ret = side_commit(ctx, c.id, side, err);
                vers_commit_clear(&c);
        } else {
                side->label = ref_label(ctx, true, r.id);
                ret = vers_env_ensure_running(ctx, r.id, &side->env, err);
                if (ret == 0)
                        ret = check_intr(err);
        }
        vers_ref_clear(&r);
        return ret;
}

static int side_close(struct vers_ctx *ctx, struct vers_diff_side *side, vers_error_t *err)
{
        int ret = 0;
        if (side->made && side->env.id) {
                vers_error_t e = NULL;
                if (vers_env_delete(ctx, side->env.id, &e) < 0) {
                        /* the first error is the one shown; this one at least as a notice */
                        if (err && !*err) {
                                *err = e;
                                e = NULL;
                        } else
                                vers_notice(ctx, "cannot delete the branch made to read %s: %s",
                                            side->label, e ? e->msg : "?");
                        ret = -1;
                }
                vers_error_free(&e);
        }
        vers_env_clear(&side->env);
        free(side->label);
        memset(side, 0, sizeof *side);
        return ret;
}

/* A service of an env's image that vers diff compares: from its /.vers/services (name, and
 * the user it runs as, which names its kind) and /.vers/clients (its template and database),
 * which vers wrote when it built the image (the env cannot edit them). */
struct svc {
        char *name, *kind, *template_, *database;
};

static void svcs_free(struct svc *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].name);
                free(v[i].kind);
                free(v[i].template_);
                free(v[i].database);
        }
        free(v);
}

static int image_services(struct vers_ctx *ctx, const struct vers_env *e, struct svc **out,
                          size_t *n, vers_error_t *err)
{
        *out = NULL;
        *n = 0;
        if (!e->image)
                return 0;
        _cleanup_free_ char *root = vers_store_image_path(&ctx->store, e->image);
        _cleanup_free_ char *services = NULL, *clients = NULL;
        if (vers_read_file_in_root(root, ".vers/services", 0, &services, NULL, err) < 0)
                return vers_error_wrap(err, "the services of env '%s'",
                                       e->alias ? e->alias : e->id);
        if (vers_read_file_in_root(root, ".vers/clients", 0, &clients, NULL, NULL) < 0)
                clients = xstrdup("");
        char *save = NULL;
        for (char *l = strtok_r(services, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char *f[3];
                if (l[0] == '#' || vers_diff_split(l, f, 3) < 2)
                        continue;
                const char *kind = !strcmp(f[1], "postgres") ? "postgres"
                                   : !strcmp(f[1], "mysql")  ? "mariadb"
                                   : !strcmp(f[1], "redis")  ? "redis"
                                                             : NULL;
                if (!kind)
                        continue;
                *out = xrealloc(*out, (*n + 1) * sizeof **out);
                struct svc *sv = &(*out)[(*n)++];
                *sv = (struct svc){xstrdup(f[0]), xstrdup(kind), xstrdup(kind), NULL};
                _cleanup_free_ char *copy = xstrdup(clients);
                char *s2 = NULL;
                for (char *c = strtok_r(copy, "\n", &s2); c; c = strtok_r(NULL, "\n", &s2)) {
                        char *g[3];
                        if (c[0] == '#' || vers_diff_split(c, g, 3) != 3 || strcmp(g[0], f[0]))
                                continue;
                        free(sv->template_);
                        sv->template_ = xstrdup(g[1]);
                        sv->database = xstrdup(g[2]);
                }
        }
        return 0;
}

int vers_diff(struct vers_ctx *ctx, const struct vers_diff_opts *o, struct vers_diff_result *out,
              vers_error_t *err)
{
        memset(out, 0, sizeof *out);
        struct vers_diff_side sides[2];
        memset(sides, 0, sizeof sides);
        struct vers_diff_sigs sigs;
        vers_diff_interrupt_set(true, &sigs);
        int ret = -1;
        struct svc *sv[2] = {NULL, NULL};
        size_t nsv[2] = {0, 0};
        if (o->b) {
                if (side_open(ctx, o->a, &sides[0], err) < 0 ||
                    side_open(ctx, o->b, &sides[1], err) < 0)
                        goto out;
        } else {
                /* one env: what changed in it since the commit it was branched from */
                struct vers_ref r = {0};
                if (vers_resolve(ctx, o->a, &r, err) < 0)
                        goto out;
                struct vers_env e = {0};
                int g = r.kind == VERS_REF_ENV ? vers_meta_get_env(&ctx->meta, r.id, &e, err) : 0;
                vers_ref_clear(&r);
                if (g < 0)
                        goto out;
                if (g == 0 || !e.base) {
                        vers_make_error(err, 0,
                                        g == 0 ? "'%s' is not an env (name two operands)"
                                               : "env '%s' was not branched from a commit (name "
                                                 "two operands)",
                                        o->a);
                        vers_env_clear(&e);
                        goto out;
                }
                _cleanup_free_ char *base = xstrdup(e.base);
                vers_env_clear(&e);
                if (side_commit(ctx, base, &sides[0], err) < 0 ||
                    side_open(ctx, o->a, &sides[1], err) < 0)
                        goto out;
        }
        out->a = xstrdup(sides[0].label);
        out->b = xstrdup(sides[1].label);
        if (image_services(ctx, &sides[0].env, &sv[0], &nsv[0], err) < 0 ||
            image_services(ctx, &sides[1].env, &sv[1], &nsv[1], err) < 0 || check_intr(err) < 0)
                goto out;
        if (nsv[0] == 0) {
                vers_make_error(err, 0,
                                "%s runs no service vers diff compares (PostgreSQL, MariaDB, "
                                "Redis)",
                                sides[0].label);
                goto out;
        }
        out->services = xcalloc(nsv[0], sizeof *out->services);
        out->equal = true;
        for (size_t i = 0; i < nsv[0]; i++) {
                const struct svc *a = &sv[0][i], *b = NULL;
                for (size_t j = 0; j < nsv[1] && !b; j++)
                        if (!strcmp(sv[1][j].name, a->name))
                                b = &sv[1][j];
                if (!b || strcmp(b->kind, a->kind) ||
                    strcmp(b->database ? b->database : "", a->database ? a->database : "")) {
                        vers_make_error(err, 0, "%s does not run service '%s' as %s does",
                                        sides[1].label, a->name, sides[0].label);
                        goto out;
                }
                struct vers_diff_service *svc = &out->services[out->n_services++];
                svc->name = xstrdup(a->name);
                svc->template_ = xstrdup(a->template_);
                svc->database = a->database ? xstrdup(a->database) : NULL;
                vers_progress(ctx, "comparing service '%s' of %s and %s", a->name, sides[0].label,
                              sides[1].label);
                int r;
                if (!strcmp(a->kind, "redis"))
                        r = vers_redis_diff(ctx, sides, svc, err);
                else if (!a->database)
                        r = vers_make_error(err, 0, "service '%s' has no database to compare",
                                            a->name);
                else
                        r = vers_pg_diff(
                            ctx, !strcmp(a->kind, "postgres") ? &vers_diff_pg : &vers_diff_mariadb,
                            sides, a->database, o, svc, err);
                if (r == 0)
                        r = check_intr(err);
                if (r < 0) {
                        vers_error_wrap(err, "service '%s'", a->name);
                        goto out;
                }
                if (!svc->equal)
                        out->equal = false;
        }
        ret = 0;
out:
        for (int k = 0; k < 2; k++)
                if (side_close(ctx, &sides[k], ret < 0 ? NULL : err) < 0)
                        ret = -1;
        vers_diff_interrupt_set(false, &sigs);
        for (int k = 0; k < 2; k++)
                svcs_free(sv[k], nsv[k]);
        if (ret < 0)
                vers_diff_result_free(out);
        return ret;
}

void vers_diff_result_free(struct vers_diff_result *r)
{
        for (size_t i = 0; i < r->n_services; i++) {
                struct vers_diff_service *s = &r->services[i];
                for (size_t j = 0; j < s->n_tables; j++) {
                        struct vers_diff_table *t = &s->tables[j];
                        for (size_t k = 0; k < t->n_rows; k++) {
                                free(t->rows[k].key);
                                free(t->rows[k].a);
                                free(t->rows[k].b);
                        }
                        free(t->rows);
                        free(t->name);
                        free(t->sum_a);
                        free(t->sum_b);
                        strv_free(t->only_a);
                        strv_free(t->only_b);
                }
                free(s->tables);
                free(s->name);
                free(s->template_);
                free(s->database);
                free(s->schema_diff);
        }
        free(r->services);
        free(r->a);
        free(r->b);
        memset(r, 0, sizeof *r);
}
