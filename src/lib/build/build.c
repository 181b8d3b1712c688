/* build — 'vers build': the project's image as a chain of cached layers; the driver.
 *
 * The chain is the Dockerfile (vers build -f FILE, else [builder] dockerfile, else the
 * project's Dockerfile, with a notice; [builder] dockerfile = "" or none: an implicit
 * "FROM host"), then one last layer that installs what the env runs: the [services.*]
 * templates and the Dockerfile's CMD/ENTRYPOINT, ENV, EXPOSE... (runtime.c). Each layer is a
 * read-only btrfs subvolume in the images table (state 'layer'; the last one 'ready'), keyed
 * by a hash of its parent's key, the instruction and the content of its inputs (key.c), so a
 * rebuild reuses every step whose inputs are unchanged (layer.c).
 *
 * Bases: FROM host (the machine's /usr read-only, a private /etc), FROM debian:<suite>
 * (debootstrap.c, cached once per suite in VERS_CACHE), FROM <tag or commit> of this root,
 * FROM any registry image (registry.c: skopeo and umoci, cached by manifest digest in
 * VERS_CACHE/oci); from.c chooses.
 * RUN steps run in a sandbox that shares the host's network (to reach package archives);
 * envs never do. The instructions' executors are in instr.c, the plan of steps in plan.c.
 *
 * Stages: each FROM starts one, its top, key and configuration anew (FROM an earlier stage's
 * name: where that stage ended); ARGs before the first FROM are substituted in FROM lines and
 * give defaults to a stage's ARG without a value. Only the stages the last one depends on
 * (its FROM, COPY --from, and theirs) are built, in order, as BuildKit does; the last stage
 * becomes the image. Step numbers count every instruction, skipped or not.
 *
 * The services' binaries are looked for in the image once its steps ran (on the host for a
 * FROM host image, whose env binds the host's /usr), so a RUN step may install them.
 */
#include "build/build-private.h"
#include "os/sandbox.h"
#include "services/services.h"

#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* the variables a RUN step (and word substitution) sees */
static char **build_vars(const struct build *b)
{
        char **v = NULL;
        vers_df_setvar(&v, "PATH", BUILD_DEFAULT_PATH);
        for (size_t i = 0; b->args && b->args[i]; i++)
                strv_push(&v, b->args[i]);
        for (size_t i = 0; b->conf.env && b->conf.env[i]; i++) {
                char *eq = strchr(b->conf.env[i], '=');
                _cleanup_free_ char *k = xstrndup(b->conf.env[i], (size_t)(eq - b->conf.env[i]));
                vers_df_setvar(&v, k, eq + 1);
        }
        return v;
}

/* One step of the Dockerfile (not the last one). */
static int run_step(struct build *b, const struct build_step *s, vers_error_t *err)
{
        const struct vers_df_instr *in = s->in;
        b->step = s->number;
        /* configuration only: no layer, but the key moves on (the last layer's covers it) */
        if (!s->makes_layer)
                vers_build_say(b, true, "step %d/%d %s", b->step, b->nsteps, s->label);
        _cleanup_strv_ char **vars = build_vars(b);
        build_exec_fn fn = vers_build_executor(in->kind);
        if (fn && fn(b, s, vars, err) < 0) {
                /* say which step, unless the message already points at the line (or there is
                 * no line: the implicit FROM host) */
                if (in->line > 0 && err && *err && (*err)->msg &&
                    !str_startswith((*err)->msg, b->file))
                        return vers_error_wrap(err, "%s:%ld: %s", b->file, in->line, s->label);
                return -1;
        }
        if (!b->top && in->kind != DF_ARG)
                return vers_make_error(err, 0, "%s:%ld: no base image", b->file, in->line);
        return 0;
}

/* [builder.args] that no ARG of the Dockerfile takes (in any stage, built or not) */
static void check_build_args(struct build *b, const struct build_plan *p)
{
        _cleanup_strv_ char **names = NULL;
        for (size_t i = 0; i + 1 < p->n; i++) {
                const struct vers_df_instr *in = p->steps[i].in;
                _cleanup_strv_ char **w = NULL;
                vers_error_t e = NULL;
                if (in->kind != DF_ARG ||
                    vers_df_words(in->args, NULL, NULL, in->line, in->col, &w, &e) < 0) {
                        vers_error_free(&e);
                        continue;
                }
                for (size_t j = 0; w[j]; j++) {
                        w[j][strcspn(w[j], "=")] = '\0';
                        vers_df_setvar(&names, w[j], "");
                }
        }
        char **given = b->ctx->cfg.build_args;
        for (size_t i = 0; given && given[i]; i++) {
                size_t n = strcspn(given[i], "=");
                if (!vers_df_var(names, given[i], n))
                        vers_notice(b->ctx, "[builder.args] %.*s: the Dockerfile has no ARG %.*s",
                                    (int)n, given[i], (int)n, given[i]);
        }
}

/* conf's copy in *out (through its JSON: one way to copy what it holds) */
static int conf_copy(const struct vers_imageconf *conf, struct vers_imageconf *out,
                     vers_error_t *err)
{
        _cleanup_free_ char *json = vers_imageconf_to_json(conf, err);
        return json ? vers_imageconf_parse(json, out, err) : -1;
}

/* Start the chain anew for a stage: from nothing (its FROM then sets the base), with the ARGs
 * before the first FROM in effect for the FROM line only */
static void stage_reset(struct build *b)
{
        free(b->top);
        b->top = NULL;
        b->key[0] = '\0';
        vers_imageconf_clear(&b->conf);
        b->own_root = false;
        strv_free(b->args);
        b->args = NULL;
        for (size_t i = 0; b->global_args && b->global_args[i]; i++)
                strv_push(&b->args, b->global_args[i]);
}

/* One stage: its FROM (from the base, or where an earlier stage ended), then its steps; what
 * it ends with is kept in b->stages for a later FROM or COPY --from. */
static int run_stage(struct build *b, const struct build_plan *p, size_t k, vers_error_t *err)
{
        const struct build_stage *st = &p->stages[k];
        const struct build_step *from = &p->steps[st->first];
        stage_reset(b);
        if (st->base_stage >= 0) {
                const struct build_stage_out *base = &b->stages[st->base_stage];
                b->step = from->number;
                vers_build_say(b, true, "step %d/%d %s (stage %d)", b->step, b->nsteps, from->label,
                               st->base_stage);
                b->top = xstrdup(base->top);
                memcpy(b->key, base->key, sizeof b->key);
                b->own_root = base->own_root;
                if (conf_copy(&base->conf, &b->conf, err) < 0)
                        return -1;
        } else if (run_step(b, from, err) < 0) {
                return -1;
        }
        /* a stage sees only the ARGs it declares (their defaults may come from before FROM) */
        strv_free(b->args);
        b->args = NULL;
        for (size_t i = st->first + 1; i < st->end; i++)
                if (run_step(b, &p->steps[i], err) < 0)
                        return -1;
        struct build_stage_out *out = &b->stages[k];
        out->top = xstrdup(b->top);
        memcpy(out->key, b->key, sizeof out->key);
        out->own_root = b->own_root;
        return conf_copy(&b->conf, &out->conf, err);
}

/* Every stage the last one needs, in order; the others are said to be skipped */
static int run_stages(struct build *b, struct build_plan *p, vers_error_t *err)
{
        size_t first = p->nstages ? p->stages[0].first : 0;
        for (size_t i = 0; i < first; i++) /* ARGs before the first FROM */
                if (run_step(b, &p->steps[i], err) < 0)
                        return -1;
        b->global_args = b->args;
        b->args = NULL;
        _cleanup_strv_ char **vars = build_vars(b);
        for (size_t i = 0; b->global_args && b->global_args[i]; i++)
                strv_push(&vars, b->global_args[i]);
        if (vers_build_plan_stages(p, vars, err) < 0)
                return -1;
        b->stages = xcalloc(p->nstages, sizeof *b->stages);
        b->nstages = p->nstages;
        for (size_t k = 0; k < p->nstages; k++) {
                const struct build_stage *st = &p->stages[k];
                if (st->needed) {
                        if (run_stage(b, p, k, err) < 0)
                                return -1;
                        continue;
                }
                const struct build_step *from = &p->steps[st->first];
                b->step = from->number;
                vers_build_say(b, false,
                               "step %d/%d %s: skipped (stage %zu%s%s%s: the last stage does not "
                               "depend on it)",
                               b->step, b->nsteps, from->label, k, st->name ? " '" : "",
                               st->name ? st->name : "", st->name ? "'" : "");
        }
        return 0;
}

/* The last step: the image itself. 1 if it came from the cache. */
static int run_last(struct build *b, const struct build_step *s, char **image_id, vers_error_t *err)
{
        _cleanup_free_ char *config = vers_imageconf_to_json(&b->conf, err);
        if (!config)
                return -1;
        _cleanup_strbuf_ struct strbuf services = STRBUF_INIT;
        vers_services_describe(&b->ctx->cfg, &services);
        build_key_t key;
        vers_build_key_image(services.buf, config, key);
        return vers_build_layer(b, s->label, key, vers_build_write_runtime, NULL, true, image_id,
                                err);
}

/* The Dockerfile this build runs (*path NULL: an implicit FROM host):
 *   vers build -f FILE (relative to the current directory), else
 *   [builder] dockerfile (relative to the project; "" is FROM host), else
 *   the project's own Dockerfile, with a notice (a new user's Dockerfile beside vers.toml
 *   must not be silently ignored), else FROM host. */
static int choose_dockerfile(struct vers_ctx *ctx, const struct vers_build_opts *o, char **path,
                             vers_error_t *err)
{
        const char *proj = ctx->project_dir ? ctx->project_dir : ".";
        *path = NULL;
        if (o->file) {
                struct stat st;
                if (stat(o->file, &st) < 0 || !S_ISREG(st.st_mode))
                        return vers_make_error(err, 0, "-f %s: no such Dockerfile", o->file);
                *path = xstrdup(o->file);
                return 0;
        }
        const char *df = ctx->cfg.dockerfile;
        if (df) {
                if (*df)
                        *path = df[0] == '/' ? xstrdup(df) : xasprintf("%s/%s", proj, df);
                return 0;
        }
        _cleanup_free_ char *mine = xasprintf("%s/Dockerfile", proj);
        struct stat st;
        if (stat(mine, &st) < 0 || !S_ISREG(st.st_mode))
                return 0;
        char cwd[PATH_MAX];
        bool here = getcwd(cwd, sizeof cwd) && !strcmp(cwd, proj);
        /* said by 'vers build'; vers run and vers test, which build first, say it as progress
         * (on a terminal), not on every start of a cached image */
        _cleanup_free_ char *msg =
            xasprintf("building %s (vers.toml names no [builder] dockerfile; [builder] "
                      "dockerfile = \"\" builds FROM host)",
                      here ? "./Dockerfile" : mine);
        if (o->verbose)
                vers_notice(ctx, "%s", msg);
        else
                vers_progress(ctx, "%s", msg);
        *path = steal_pointer(&mine);
        return 0;
}

int vers_build(struct vers_ctx *ctx, const struct vers_build_opts *o, char **image_id, bool *cached,
               vers_error_t *err)
{
        /* the cheap checks first; whether the image has the services' binaries is known
         * only once its steps ran (vers_services_check_image, below) */
        if (vers_services_check(&ctx->cfg, err) < 0 || vers_store_check_room(&ctx->store, err) < 0)
                return -1;
        _cleanup_free_ char *dfpath = NULL;
        if (choose_dockerfile(ctx, o, &dfpath, err) < 0)
                return -1;
        struct build b = {.ctx = ctx, .o = o};
        struct vers_dockerfile df = {0};
        struct build_plan plan = {0};
        int ret = -1, rc;
        if (dfpath && vers_dockerfile_load(dfpath, &df, err) < 0) {
                vers_dockerfile_free(&df);
                return vers_error_wrap(err, "%s", o->file ? "-f" : "[builder] dockerfile");
        }
        vers_build_plan_make(dfpath ? &df : NULL, &plan);
        b.file = plan.file;
        b.nsteps = plan.nsteps;
        if (run_stages(&b, &plan, err) < 0)
                goto out;
        check_build_args(&b, &plan);
        /* the services run the image's own binaries: FROM host, the host's /usr (bound into
         * the env); any other base, its own tree */
        if (vers_services_check_image(&ctx->cfg, b.top, b.own_root, err) < 0)
                goto out;
        rc = run_last(&b, &plan.steps[plan.n - 1], image_id, err);
        if (rc < 0)
                goto out;
        /* the image's key covers every step's: a hit means nothing changed */
        *cached = rc == 1;
        if (b.o->verbose && b.built)
                vers_notice(ctx, "%d of %d steps that make a layer came from the cache", b.cached,
                            b.cached + b.built);
        else if (b.o->verbose)
                vers_notice(ctx, "every step came from the cache");
        ret = 0;
out:
        vers_build_plan_clear(&plan);
        vers_dockerfile_free(&df);
        free(b.top);
        vers_imageconf_clear(&b.conf);
        strv_free(b.args);
        strv_free(b.global_args);
        for (size_t k = 0; k < b.nstages; k++) {
                free(b.stages[k].top);
                vers_imageconf_clear(&b.stages[k].conf);
        }
        free(b.stages);
        return ret;
}
