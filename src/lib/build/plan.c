/* plan — the steps of a build, in order, from the parsed Dockerfile (or none: FROM host). */
#include "build/build-private.h"

#include <string.h>

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
                s->label = vers_build_label(vers_df_kind_name(v[i].kind), v[i].args);
        }
        p->steps[n].makes_layer = true;
        p->steps[n].label = xstrdup("installing what the env runs");
}

void vers_build_plan_clear(struct build_plan *p)
{
        for (size_t i = 0; i < p->n; i++)
                free(p->steps[i].label);
        free(p->steps);
        if (p->implicit)
                free(p->implicit->args);
        free(p->implicit);
        memset(p, 0, sizeof *p);
}
