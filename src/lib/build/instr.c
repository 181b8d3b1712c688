/* instr — the executors of the Dockerfile's instructions (FROM: from.c): RUN, COPY/ADD (COPY
 * --from an earlier stage or an image too), WORKDIR, ENV/ARG, USER, EXPOSE, CMD/ENTRYPOINT and
 * STOPSIGNAL. */
#include "build/build-private.h"
#include "os/passwd.h"
#include "os/sandbox.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* p made absolute against the current WORKDIR */
static char *abs_in_image(const struct build *b, const char *p)
{
        if (p[0] == '/')
                return xstrdup(p);
        const char *wd = b->conf.workdir ? b->conf.workdir : "/";
        return xasprintf("%s%s%s", wd, str_endswith(wd, "/") ? "" : "/", p);
}

/* in's words after substitution from vars */
static int words_of(struct build *b, const struct vers_df_instr *in, char **vars, char ***w,
                    vers_error_t *err)
{
        return vers_df_words(in->args, vars, b->file, in->line, in->args_col, w, err);
}

static int one_word(struct build *b, const struct vers_df_instr *in, char **vars, char **out,
                    vers_error_t *err)
{
        _cleanup_strv_ char **w = NULL;
        if (words_of(b, in, vars, &w, err) < 0)
                return -1;
        if (strv_len(w) != 1)
                return vers_make_error(err, 0, "%s:%ld:%ld: %s takes one value", b->file, in->line,
                                       in->args_col, vers_df_kind_name(in->kind));
        *out = xstrdup(w[0]);
        return 0;
}

/* ---- RUN ---------------------------------------------------------------------------------- */

static int apply_run(struct build *b, const char *id, const char *path, void *arg,
                     vers_error_t *err)
{
        const struct build_run *r = arg;
        /* name resolution for package archives: the host's, as a container runtime does */
        if (b->own_root && vers_path_exists("/etc/resolv.conf"))
                vers_copy_file_into_root("/etc/resolv.conf", path, "etc/resolv.conf", 0644, NULL);
        /* HOME of the user, from the image's own /etc/passwd */
        _cleanup_strv_ char **env = NULL;
        struct vers_user u;
        char why[512];
        if (vers_user_lookup(path, r->user ? r->user : "root", &u, why, sizeof why) < 0)
                return vers_make_error(err, 0, "USER %s: %s", r->user, why);
        _cleanup_free_ char *home = xasprintf("HOME=%s", u.home);
        strv_push(&env, home);
        strv_push(&env, "HOSTNAME=vers-build");
        for (size_t i = 0; r->env && r->env[i]; i++)
                strv_push(&env, r->env[i]);
        struct build_run rr = *r;
        rr.env = env;
        int status = 0;
        if (vers_build_run_in(b, id, path, &rr, &status, err) < 0)
                return vers_error_wrap(err, "step %d/%d failed", b->step, b->nsteps);
        if (status != 0)
                return vers_make_error(err, 0, "step %d/%d failed with exit code %d", b->step,
                                       b->nsteps, status);
        return 0;
}

static int exec_run(struct build *b, const struct build_step *s, char **vars, vers_error_t *err)
{
        const struct vers_df_instr *in = s->in;
        _cleanup_strv_ char **argv = NULL;
        if (in->exec_form) {
                for (size_t i = 0; in->argv[i]; i++)
                        strv_push(&argv, in->argv[i]);
        } else {
                strv_push(&argv, "/bin/sh");
                strv_push(&argv, "-c");
                strv_push(&argv, in->args);
        }
        build_key_t key;
        vers_build_key_run(argv, b->conf.user, b->conf.workdir, vars, key);
        struct build_run r = {
            .argv = argv,
            .user = b->conf.user,
            .workdir = b->conf.workdir,
            .env = vars,
            .host_net = true,
        };
        return vers_build_layer(b, s->label, key, apply_run, &r, false, NULL, err);
}

/* ---- COPY and ADD ------------------------------------------------------------------------- */

struct copy_arg {
        const struct build_sources *src;
        const char *dest; /* absolute, in the image */
        const char *own;
        const char *mode;
        bool add;
        const char *bind; /* the host directory the sources are in: the context, or a stage */
};

static int apply_copy(struct build *b, const char *id, const char *path, void *arg,
                      vers_error_t *err)
{
        const struct copy_arg *c = arg;
        _cleanup_strv_ char **argv = NULL;
        strv_push(&argv, "/bin/sh");
        strv_push(&argv, "-c");
        strv_push(&argv, vers_build_copy_script);
        strv_push(&argv, "vers-copy");
        strv_push(&argv, c->dest);
        strv_push(&argv, c->own);
        strv_push(&argv, c->mode ? c->mode : "");
        strv_push(&argv, c->add ? "1" : "");
        size_t n = strv_len(c->src->srcs);
        int ret = 0;
        for (size_t i = 0; i < n && ret == 0; i++) {
                strv_push(&argv, c->src->srcs[i]);
                /* 0644: read inside by the env's root, which has no rights over the host's
                 * files beyond what everyone has. Without a list, the script lists all. */
                _cleanup_free_ char *list = xasprintf(".vers/copy.%zu", i);
                if (c->src->lists)
                        ret = vers_write_file_in_root(path, list, c->src->lists[i].buf,
                                                      c->src->lists[i].len, 0644, err);
                else
                        ret = vers_unlink_in_root(path, list, err);
        }
        char *env[] = {"PATH=" BUILD_DEFAULT_PATH, "HOME=/root", NULL};
        struct build_run r = {.argv = argv, .env = env, .bind = c->bind};
        int status = 0;
        if (ret == 0)
                ret = vers_build_run_in(b, id, path, &r, &status, err);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *list = xasprintf(".vers/copy.%zu", i);
                vers_unlink_in_root(path, list, NULL);
        }
        if (ret < 0)
                return -1;
        if (status != 0)
                return vers_make_error(err, 0,
                                       "step %d/%d: copying into the image failed (exit %d)",
                                       b->step, b->nsteps, status);
        return 0;
}

/* COPY's destination in the image: a directory (ending in '/') for several sources */
static char *dest_of(const struct build *b, const char *word, size_t nsrcs)
{
        char *dest = abs_in_image(b, word);
        if (nsrcs > 1 && !str_endswith(dest, "/")) {
                char *d = xasprintf("%s/", dest);
                free(dest);
                dest = d;
        }
        return dest;
}

/* An error of vers_build_from() for COPY --from=ref, which is no stage: said as COPY's, at the
 * --from option, without the "FILE:LINE:COL: FROM ref: " it starts with */
static int from_image_error(struct build *b, const struct vers_df_instr *in, vers_error_t *err)
{
        const char *m = err && *err && (*err)->msg ? (*err)->msg : "cannot start from it";
        _cleanup_free_ char *where = xasprintf("%s:%ld:", b->file, in->line);
        if (str_startswith(m, where)) {
                const char *p = strstr(m + strlen(where), ": ");
                m = p ? p + 2 : m;
        }
        _cleanup_free_ char *what = xasprintf("FROM %s: ", in->from);
        if (str_startswith(m, what))
                m += strlen(what);
        _cleanup_free_ char *msg = xstrdup(m);
        vers_error_free(err);
        return vers_make_error(err, 0,
                               "%s:%ld:%ld: COPY --from=%s: no stage of that name before this "
                               "one, and as an image: %s",
                               b->file, in->line, in->from_col, in->from, msg);
}

/* COPY --from: the sources are in an earlier stage's tree, or an image's started for it; the
 * stage's key stands for their content */
static int copy_from(struct build *b, const struct build_step *s, char **w, size_t n,
                     struct copy_arg *c, vers_error_t *err)
{
        const struct vers_df_instr *in = s->in;
        struct build img = {
            .ctx = b->ctx,
            .o = b->o,
            .step = b->step,
            .nsteps = b->nsteps,
            .file = b->file,
        };
        const char *root, *from_key;
        _cleanup_free_ char *what = NULL, *dest = NULL;
        int ret = -1;
        if (in->from_stage >= 0) {
                const struct build_stage_out *st = &b->stages[in->from_stage];
                if (!st->top)
                        return vers_make_error(err, 0,
                                               "%s:%ld:%ld: COPY --from=%s: stage %d was "
                                               "not built",
                                               b->file, in->line, in->from_col, in->from,
                                               in->from_stage);
                root = st->top;
                from_key = st->key;
                what = xasprintf("stage '%s'", in->from);
        } else {
                if (vers_build_from(&img, in, in->from, err) < 0) {
                        from_image_error(b, in, err);
                        goto out;
                }
                b->cached += img.cached;
                b->built += img.built;
                root = img.top;
                from_key = img.key;
                what = xasprintf("image '%s'", in->from);
        }
        struct build_sources src;
        if (vers_build_stage_sources(root, what, b->file, in, w, n - 1, &src, err) < 0)
                goto out;
        dest = dest_of(b, w[n - 1], strv_len(src.srcs));
        char rootreal[PATH_MAX];
        if (!realpath(root, rootreal)) {
                vers_make_error(err, errno, "cannot resolve '%s'", root);
                vers_build_sources_clear(&src);
                goto out;
        }
        c->src = &src;
        c->dest = dest;
        c->bind = rootreal;
        build_key_t key;
        vers_build_key_copy_from(in->flags, from_key, src.rels, dest, key);
        ret = vers_build_layer(b, s->label, key, apply_copy, c, false, NULL, err);
        vers_build_sources_clear(&src);
out:
        free(img.top);
        vers_imageconf_clear(&img.conf);
        strv_free(img.args);
        return ret;
}

static int exec_copy(struct build *b, const struct build_step *s, char **vars, vers_error_t *err)
{
        const struct vers_df_instr *in = s->in;
        const char *kw = vers_df_kind_name(in->kind);
        _cleanup_strv_ char **w = NULL;
        if (in->exec_form) {
                for (size_t i = 0; in->argv[i]; i++)
                        strv_push(&w, in->argv[i]);
        } else if (words_of(b, in, vars, &w, err) < 0) {
                return -1;
        }
        size_t n = strv_len(w);
        if (n < 2)
                return vers_make_error(err, 0, "%s:%ld:%ld: %s needs a source and a destination",
                                       b->file, in->line, in->args_col, kw);
        struct copy_arg c = {.add = in->kind == DF_ADD, .own = "0:0"};
        _cleanup_free_ char *own = NULL;
        for (size_t i = 0; in->flags && in->flags[i]; i++) {
                const char *v = strchr(in->flags[i], '=') + 1;
                if (!strncmp(in->flags[i], "--chown=", 8)) {
                        struct vers_user u;
                        char why[512];
                        if (vers_user_lookup(b->top, v, &u, why, sizeof why) < 0)
                                return vers_make_error(err, 0, "%s:%ld:%ld: %s --chown: %s",
                                                       b->file, in->line, in->col, kw, why);
                        own = xasprintf("%u:%u", (unsigned)u.uid, (unsigned)u.gid);
                        c.own = own;
                } else {
                        if (strspn(v, "01234567") != strlen(v) || strlen(v) > 4)
                                return vers_make_error(err, 0,
                                                       "%s:%ld:%ld: %s --chmod: '%s' is not an "
                                                       "octal mode",
                                                       b->file, in->line, in->col, kw, v);
                        c.mode = v;
                }
        }
        if (in->from)
                return copy_from(b, s, w, n, &c, err);
        struct build_sources src;
        if (vers_build_context_sources(b->ctx->project_dir, b->file, in, w, n - 1, &src, err) < 0)
                return -1;
        _cleanup_free_ char *dest = dest_of(b, w[n - 1], strv_len(src.srcs));
        c.src = &src;
        c.dest = dest;
        c.bind = b->ctx->project_dir;
        build_key_t key;
        vers_build_key_copy(kw, in->flags, dest, src.content, key);
        int ret = vers_build_layer(b, s->label, key, apply_copy, &c, false, NULL, err);
        vers_build_sources_clear(&src);
        return ret;
}

/* ---- WORKDIR ------------------------------------------------------------------------------ */

static int apply_workdir(struct build *b, const char *id, const char *path, void *arg,
                         vers_error_t *err)
{
        char *argv[] = {"mkdir", "-p", arg, NULL};
        char *env[] = {"PATH=" BUILD_DEFAULT_PATH, NULL};
        struct build_run r = {.argv = argv, .env = env};
        int status = 0;
        if (vers_build_run_in(b, id, path, &r, &status, err) < 0)
                return -1;
        if (status != 0)
                return vers_make_error(err, 0, "step %d/%d: cannot create the directory '%s'",
                                       b->step, b->nsteps, (char *)arg);
        return 0;
}

static int exec_workdir(struct build *b, const struct build_step *s, char **vars, vers_error_t *err)
{
        _cleanup_free_ char *d = NULL;
        if (one_word(b, s->in, vars, &d, err) < 0)
                return -1;
        char *abs = abs_in_image(b, d);
        free(b->conf.workdir);
        b->conf.workdir = abs;
        build_key_t key;
        vers_build_key_workdir(abs, key);
        return vers_build_layer(b, s->label, key, apply_workdir, abs, false, NULL, err);
}

/* ---- configuration only: ENV/ARG, USER, EXPOSE, CMD/ENTRYPOINT, STOPSIGNAL ---------------- */

static int exec_env(struct build *b, const struct build_step *s, char **vars, vers_error_t *err)
{
        const struct vers_df_instr *in = s->in;
        bool arg = in->kind == DF_ARG;
        _cleanup_strv_ char **w = NULL;
        if (words_of(b, in, vars, &w, err) < 0)
                return -1;
        char ***dst = arg ? &b->args : &b->conf.env;
        if (!arg && w[0] && !strchr(w[0], '=')) {
                /* ENV KEY value with spaces */
                if (!w[1])
                        return vers_make_error(err, 0, "%s:%ld:%ld: ENV %s needs a value", b->file,
                                               in->line, in->args_col, w[0]);
                _cleanup_strbuf_ struct strbuf v = STRBUF_INIT;
                for (size_t i = 1; w[i]; i++)
                        strbuf_addf(&v, "%s%s", i > 1 ? " " : "", w[i]);
                vers_df_setvar(dst, w[0], v.buf);
                return 0;
        }
        for (size_t i = 0; w[i]; i++) {
                char *eq = strchr(w[i], '=');
                _cleanup_free_ char *k = eq ? xstrndup(w[i], (size_t)(eq - w[i])) : xstrdup(w[i]);
                if (!str_is_var_name(k))
                        return vers_make_error(
                            err, 0, "%s:%ld:%ld: %s: '%s' is not a variable name", b->file,
                            in->line, in->args_col, arg ? "ARG" : "ENV", k);
                /* [builder.args] overrides an ARG's default, as docker build --build-arg */
                const char *given = arg ? vers_df_var(b->ctx->cfg.build_args, k, strlen(k)) : NULL;
                if (given)
                        vers_df_setvar(dst, k, given);
                else if (eq)
                        vers_df_setvar(dst, k, eq + 1);
                else if (arg && !vers_df_var(b->args, k, strlen(k))) {
                        /* in a stage, the default of the ARG before the first FROM (Docker) */
                        const char *g = vers_df_var(b->global_args, k, strlen(k));
                        vers_df_setvar(dst, k, g ? g : "");
                } else if (!arg)
                        return vers_make_error(err, 0, "%s:%ld:%ld: ENV %s needs a value", b->file,
                                               in->line, in->args_col, k);
        }
        return 0;
}

static int exec_user(struct build *b, const struct build_step *s, char **vars, vers_error_t *err)
{
        free(b->conf.user);
        b->conf.user = NULL;
        return one_word(b, s->in, vars, &b->conf.user, err);
}

static int exec_expose(struct build *b, const struct build_step *s, char **vars, vers_error_t *err)
{
        const struct vers_df_instr *in = s->in;
        _cleanup_strv_ char **w = NULL;
        if (words_of(b, in, vars, &w, err) < 0)
                return -1;
        for (size_t i = 0; w[i]; i++) {
                char proto[8] = "tcp";
                char *slash = strchr(w[i], '/');
                if (slash) {
                        if (strcmp(slash + 1, "tcp") && strcmp(slash + 1, "udp"))
                                return vers_make_error(err, 0,
                                                       "%s:%ld:%ld: EXPOSE %s: the protocol is tcp "
                                                       "or udp",
                                                       b->file, in->line, in->args_col, w[i]);
                        snprintf(proto, sizeof proto, "%s", slash + 1);
                        *slash = '\0';
                }
                char *end;
                long port = strtol(w[i], &end, 10);
                if (*end || end == w[i] || port < 1 || port > 65535)
                        return vers_make_error(err, 0,
                                               "%s:%ld:%ld: EXPOSE %s: not a port number (1-65535)",
                                               b->file, in->line, in->args_col, w[i]);
                _cleanup_free_ char *p = xasprintf("%ld/%s", port, proto);
                bool dup = false;
                for (size_t j = 0; b->conf.expose && b->conf.expose[j]; j++)
                        dup |= !strcmp(b->conf.expose[j], p);
                if (!dup)
                        strv_push(&b->conf.expose, p);
        }
        return 0;
}

/* CMD and ENTRYPOINT: the exec form's array, or the shell form as Docker keeps it,
 * ["/bin/sh", "-c", text] */
static int exec_command(struct build *b, const struct build_step *s, char **vars, vers_error_t *err)
{
        const struct vers_df_instr *in = s->in;
        char ***dst = in->kind == DF_CMD ? &b->conf.cmd : &b->conf.entrypoint;
        strv_free(*dst);
        *dst = xcalloc(1, sizeof **dst);
        if (in->exec_form) {
                for (size_t i = 0; in->argv[i]; i++)
                        strv_push(dst, in->argv[i]);
        } else {
                strv_push(dst, "/bin/sh");
                strv_push(dst, "-c");
                strv_push(dst, in->args);
        }
        if (in->kind == DF_ENTRYPOINT) {
                /* Docker: a new ENTRYPOINT resets CMD */
                strv_free(b->conf.cmd);
                b->conf.cmd = NULL;
        }
        return 0;
}

static int exec_stopsignal(struct build *b, const struct build_step *s, char **vars,
                           vers_error_t *err)
{
        const struct vers_df_instr *in = s->in;
        _cleanup_free_ char *sig = NULL;
        if (one_word(b, in, vars, &sig, err) < 0)
                return -1;
        const char *name = vers_imageconf_signal(sig);
        if (name) {
                free(b->conf.stopsignal);
                b->conf.stopsignal = xstrdup(name);
                return 0;
        }
        return vers_make_error(err, 0,
                               "%s:%ld:%ld: STOPSIGNAL %s: vers stops services with TERM, INT, "
                               "QUIT or KILL",
                               b->file, in->line, in->args_col, sig);
}

build_exec_fn vers_build_executor(enum vers_df_kind kind)
{
        switch (kind) {
        case DF_FROM:
                return vers_build_exec_from;
        case DF_RUN:
                return exec_run;
        case DF_COPY:
        case DF_ADD:
                return exec_copy;
        case DF_WORKDIR:
                return exec_workdir;
        case DF_ENV:
        case DF_ARG:
                return exec_env;
        case DF_USER:
                return exec_user;
        case DF_EXPOSE:
                return exec_expose;
        case DF_CMD:
        case DF_ENTRYPOINT:
                return exec_command;
        case DF_STOPSIGNAL:
                return exec_stopsignal;
        case DF_LABEL:
        case DF_MAINTAINER:
                break;
        }
        return NULL;
}
