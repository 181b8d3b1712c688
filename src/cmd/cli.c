#include "cli.h"
#include "base/names.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

int cli_fail(vers_error_t *err)
{
        fprintf(stderr, "vers: %s\n", (err && *err) ? (*err)->msg : "unknown error");
        vers_error_free(err);
        return 1;
}

int cli_usage_error(const char *usage, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fputs("vers: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        if (usage)
                fprintf(stderr, "usage: %s\n", usage);
        return EXIT_USAGE;
}

static void print_progress(const char *msg)
{
        fprintf(stderr, "vers: %s\n", msg);
}

int cli_open(struct vers_ctx *ctx)
{
        memset(ctx, 0, sizeof *ctx);
        vers_error_t err = NULL;
        if (isatty(2) || getenv("VERS_PROGRESS"))
                ctx->progress = print_progress;
        ctx->notice = print_progress;
        if (vers_open(ctx, &err) < 0) {
                vers_close(ctx);
                return cli_fail(&err);
        }
        return 0;
}

int cli_target_env(struct vers_ctx *ctx, const char *name, bool run_if_none, bool start,
                   struct vers_env *out, vers_error_t *err)
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
                if (!run_if_none || !ctx->have_cfg)
                        return vers_make_error(err, 0,
                                               "no env to act on: HEAD is not set here "
                                               "(run 'vers run', or pass -b ENV)");
                if (ctx->progress)
                        ctx->progress("no env for this project yet: starting one (vers run)");
                if (vers_env_run(ctx, NULL, out, err) < 0)
                        return -1;
                return vers_head_set(ctx, VERS_REF_ENV, out->id, err);
        }
        int ret = start ? vers_env_ensure_running(ctx, ref.id, out, err)
                        : (vers_meta_get_env(&ctx->meta, ref.id, out, err) == 1 ? 0 : -1);
        vers_ref_clear(&ref);
        return ret;
}

bool cli_wants_help(int argc, char **argv)
{
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--"))
                        return false;
                if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
                        return true;
        }
        return false;
}

void cli_print_help(const char *text)
{
        fputs(text, stdout);
}

char *cli_time(int64_t ms)
{
        time_t t = (time_t)(ms / 1000);
        struct tm tm;
        localtime_r(&t, &tm);
        char buf[32];
        strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
        return xstrdup(buf);
}

int cli_confirm_delete(size_t n, bool yes, vers_error_t *err)
{
        if (yes)
                return 0;
        const char *envs = n == 1 ? "env" : "envs";
        /* a script that forgot -y must not delete what a glob happened to match */
        if (!isatty(0))
                return vers_make_error(
                    err, 0, "refusing to delete %zu %s without a terminal; pass -y", n, envs);
        fprintf(stderr, "delete %zu %s? [y/N] ", n, envs);
        char line[16];
        if (!fgets(line, sizeof line, stdin) || (line[0] != 'y' && line[0] != 'Y'))
                return vers_make_error(err, 0, "nothing deleted");
        return 0;
}

bool cli_in_scope(const struct vers_ctx *ctx, const char *project, bool all)
{
        if (all || !ctx->project_dir)
                return true;
        return project && !strcmp(project, ctx->project_dir);
}

int cli_require_config(struct vers_ctx *ctx, vers_error_t *err)
{
        if (ctx->have_cfg)
                return 0;
        return vers_make_error(err, 0, "no vers.toml here or above (run 'vers init')");
}
