/* plan — the steps of a build, in order, from the parsed Dockerfile (or none: FROM host), and
 * its stages: each FROM starts one, and only those the last stage depends on are built. */
#include "build/build-private.h"

#include <string.h>
#include <strings.h>

char *vers_build_label(const char *kw, const char *args)
{
        size_t n = strcspn(args, "\n");
        if (n > 70)
                return xasprintf("%s %.67s...", kw, args);
        return xasprintf("%s %.*s", kw, (int)n, args);
}

static bool makes_layer(enum vers_df_kind k)
{
        return k == DF_FROM || k == DF_RUN || k == DF_COPY || k == DF_ADD || k == DF_WORKDIR;
}

void vers_build_plan_make(const struct vers_dockerfile *df, struct build_plan *p)
{
        memset(p, 0, sizeof *p);
        const struct vers_df_instr *v;
        size_t n;
        if (df) {
                p->file = df->filename;
                v = df->v;
                n = df->n;
        } else {
                p->file = "vers.toml";
                p->implicit = xcalloc(1, sizeof *p->implicit);
                p->implicit->kind = DF_FROM;
                p->implicit->args = xstrdup("host");
                v = p->implicit;
                n = 1;
        }
        p->n = n + 1;
        p->nsteps = (int)n;
        p->steps = xcalloc(p->n, sizeof *p->steps);
        for (size_t i = 0; i < n; i++) {
                struct build_step *s = &p->steps[i];
                s->in = &v[i];
                s->number = (int)i + 1;
                s->makes_layer = makes_layer(v[i].kind);
                if (v[i].from) {
                        _cleanup_free_ char *a = xasprintf("--from=%s %s", v[i].from, v[i].args);
                        s->label = vers_build_label(vers_df_kind_name(v[i].kind), a);
                } else {
                        s->label = vers_build_label(vers_df_kind_name(v[i].kind), v[i].args);
                }
                if (v[i].kind == DF_FROM) {
                        p->stages = xrealloc(p->stages, (p->nstages + 1) * sizeof *p->stages);
                        p->stages[p->nstages++] = (struct build_stage){
                            .first = i,
                            .name = v[i].stage_name,
                            .base_stage = -1,
                        };
                }
                if (p->nstages)
                        p->stages[p->nstages - 1].end = i + 1;
        }
        p->steps[n].makes_layer = true;
        p->steps[n].label = xstrdup("installing what the env runs");
}

int vers_build_plan_stages(struct build_plan *p, char *const *vars, vers_error_t *err)
{
        for (size_t k = 0; k < p->nstages; k++) {
                struct build_stage *st = &p->stages[k];
                const struct vers_df_instr *in = p->steps[st->first].in;
                _cleanup_strv_ char **w = NULL;
                if (vers_df_words(in->args, vars, p->file, in->line, in->args_col, &w, err) < 0)
                        return -1;
                free(st->base);
                st->base = xstrdup(w[0] ? w[0] : "");
                st->base_stage = -1;
                st->needed = k + 1 == p->nstages;
                /* an earlier stage's name; anything else is an image (FROM's own checks) */
                for (size_t j = 0; j < k; j++)
                        if (p->stages[j].name && !strcasecmp(p->stages[j].name, st->base))
                                st->base_stage = (int)j;
        }
        /* a stage depends only on earlier ones: one pass from the last */
        for (size_t k = p->nstages; k-- > 0;) {
                struct build_stage *st = &p->stages[k];
                if (!st->needed)
                        continue;
                if (st->base_stage >= 0)
                        p->stages[st->base_stage].needed = true;
                for (size_t i = st->first; i < st->end; i++) {
                        const struct vers_df_instr *in = p->steps[i].in;
                        if (in->from && in->from_stage >= 0)
                                p->stages[in->from_stage].needed = true;
                }
        }
        return 0;
}

void vers_build_plan_clear(struct build_plan *p)
{
        for (size_t i = 0; i < p->n; i++)
                free(p->steps[i].label);
        for (size_t k = 0; k < p->nstages; k++)
                free(p->stages[k].base);
        free(p->stages);
        free(p->steps);
        if (p->implicit)
                free(p->implicit->args);
        free(p->implicit);
        memset(p, 0, sizeof *p);
}
