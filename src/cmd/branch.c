/* vers branch (and branch delete), vers checkout, vers rollback */
#include "cli.h"
#include "engine/branching.h"
#include "engine/select.h"

#include <time.h>

static const struct cli_opt branch_opts[] = {
    {'n', "nN", "alias", "NAME",
     "name the new env (with --count: NAME-1 ... NAME-N); 1..64 of\nA-Z a-z 0-9 . _ -", 0, 0},
    {'c', "c", "checkout", NULL, "make the new env HEAD", 0, 0},
    {CLI_ID_COUNT, NULL, "count", "N", "make N envs", 1, 256},
    {CLI_ID_WARM, NULL, "warm", NULL,
     "restore the commit's processes (the default for a warm commit),\nor fail saying why", 0, 0},
    {CLI_ID_COLD, NULL, "cold", NULL, "boot the services on the commit's disk instead", 0, 0},
    {'b', "b", "env", "FROM", "what to branch from (as the operand)", 0, 0},
    {CLI_ID_TTL, NULL, "ttl", "DURATION",
     "delete the new env once DURATION (30m, 2h, 1d12h; 0: never) has\npassed, when a vers "
     "command next runs (default: [branches] ttl)",
     0, 0},
    {CLI_ID_JSON, NULL, "json", NULL, "one object per new env", 0, 0},
    {CLI_ID_TIMINGS, NULL, "timings", NULL,
     "say where each env's time went, phase by phase, in ms\n(with --json: its \"timings\")", 0, 0},
    {0},
};

const struct cli_spec cli_spec_branch = {
    .name = "branch",
    .operands = "[ENV|COMMIT|TAG]",
    .about = "Make a new env from a commit (or tag), or from an env (which is committed first).\n"
             "Without an argument, from HEAD. The new env's disk is a copy-on-write snapshot and\n"
             "its services are up when this returns. HEAD stays where it is unless --checkout.\n",
    .opts = branch_opts,
    .max_operands = 1,
};

struct branch_out {
        bool json;
        bool timings;
        json_t *list;
};

static void branched(const struct vers_env *e, const char *commit_id, const char *from_label,
                     double seconds, const struct vers_trace *t, void *arg)
{
        struct branch_out *o = arg;
        if (o->json) {
                json_t *doc =
                    json_pack("{s:s, s:o, s:s, s:o, s:o, s:o}", "id", e->id, "alias",
                              vers_json_str(e->alias), "commit", commit_id, "mode",
                              vers_json_text(e->mode), "seconds", vers_json_seconds(seconds),
                              "expires", e->expires ? json_integer(e->expires) : json_null());
                if (o->timings)
                        json_object_set_new(doc, "timings", vers_json_trace(t));
                json_array_append_new(o->list, doc);
                return;
        }
        _cleanup_free_ char *ttl =
            e->expires ? vers_duration_format(e->expires - time(NULL)) : NULL;
        printf("env %s%s%s%s branched from %s (%s, %.2f s%s%s)\n", e->id, e->alias ? " (" : "",
               e->alias ? e->alias : "", e->alias ? ")" : "", from_label, e->mode, seconds,
               ttl ? "; expires in " : "", ttl ? ttl : "");
        if (o->timings) {
                _cleanup_free_ char *s = vers_trace_format(t);
                printf("  timings: %s\n", s);
        }
        fflush(stdout);
}

int cmd_branch(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        struct branch_out out = {false, false, NULL};
        struct vers_branch_opts o = {
            .count = 1, .mode = VERS_MODE_AUTO, .ttl = -1, .made = branched, .arg = &out};
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_branch, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0) {
                switch (c) {
                case 'n':
                        o.alias = p.arg;
                        break;
                case 'c':
                        o.checkout = true;
                        break;
                case CLI_ID_COUNT:
                        o.count = (int)p.num;
                        break;
                case CLI_ID_WARM:
                        o.mode = VERS_MODE_WARM;
                        break;
                case CLI_ID_COLD:
                        o.mode = VERS_MODE_COLD;
                        break;
                case 'b':
                        o.from = p.arg;
                        break;
                case CLI_ID_JSON:
                        out.json = true;
                        break;
                case CLI_ID_TIMINGS:
                        out.timings = true;
                        break;
                case CLI_ID_TTL:
                        if (vers_duration_parse(p.arg, &o.ttl) < 0)
                                return cli_usage_error(&cli_spec_branch,
                                                       "--ttl: '%s' is not a duration (such as "
                                                       "30m, 2h or 1d12h; 0: never)",
                                                       p.arg);
                        break;
                }
        }
        if (c < 0)
                return cli_parse_exit(c);
        if (p.n_operands)
                o.from = p.operands[0];
        if (out.json)
                out.list = json_array();
        int r = vers_branch(ctx, &o, err);
        /* the envs made before a failure, too */
        if (out.json && (r == 0 || json_array_size(out.list))) {
                int pr = cli_json_print(out.list, r == 0 ? err : NULL);
                return r < 0 ? r : pr;
        }
        json_decref(out.list);
        return r;
}

static const struct cli_opt delete_opts[] = {
    {'y', "y", "yes", NULL, "do not ask", 0, 0},
    {'a', "a", "all", NULL, "match the envs of every project sharing VERS_ROOT", 0, 0},
    {0},
};

const struct cli_spec cli_spec_branch_delete = {
    .name = "branch delete",
    .operands = "PATTERN...",
    .about = "Delete the envs of this project whose alias or id matches one of the shell globs\n"
             "(quote them: 'test-*'). Asks first on a terminal; without one, deletes nothing "
             "unless\n-y is given. Outside any project, --all is required.\n",
    .opts = delete_opts,
    .min_operands = 1,
    .max_operands = -1,
    .missing = "no pattern given",
};

static int confirm(size_t n, void *arg, vers_error_t *err)
{
        return cli_confirm_delete(n, *(bool *)arg, err);
}

static void deleted(const char *label, void *arg)
{
        printf("deleted env %s\n", label);
}

int cli_delete_envs(struct vers_ctx *ctx, const struct cli_spec *spec, bool patterns, int argc,
                    char **argv, vers_error_t *err)
{
        bool yes = false;
        struct vers_delete_opts o = {
            .patterns = patterns, .confirm = confirm, .deleted = deleted, .arg = &yes};
        _cleanup_parse_ struct cli_parse p = cli_parse_start(spec, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0) {
                yes |= c == 'y';
                o.all |= c == 'a';
        }
        if (c < 0)
                return cli_parse_exit(c);
        o.names = p.operands;
        return vers_delete_envs(ctx, &o, err);
}

int cmd_branch_delete(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        return cli_delete_envs(ctx, &cli_spec_branch_delete, true, argc, argv, err);
}

const struct cli_spec cli_spec_checkout = {
    .name = "checkout",
    .operands = "ENV|COMMIT|TAG",
    .about = "Make HEAD an env (commands then act on it) or a commit (then 'vers branch' "
             "branches\nfrom it).\n",
    .min_operands = 1,
    .max_operands = 1,
    .missing = "what to check out?",
};

int cmd_checkout(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_checkout, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0)
                ;
        if (c < 0)
                return cli_parse_exit(c);
        struct vers_ref ref = {VERS_REF_NONE, NULL};
        _cleanup_free_ char *label = NULL;
        int r = vers_checkout(ctx, p.operands[0], &ref, &label, err);
        if (r == 0)
                printf("HEAD is now %s %s\n", ref.kind == VERS_REF_ENV ? "env" : "commit", label);
        vers_ref_clear(&ref);
        return r;
}

static const struct cli_opt rollback_opts[] = {
    {'b', "b", "env", "ENV", "the env (default: VERS_ENV, else HEAD)", 0, 0},
    {CLI_ID_WARM, NULL, "warm", NULL, "restore the commit's processes, or fail saying why", 0, 0},
    {CLI_ID_COLD, NULL, "cold", NULL, "boot the services on the commit's disk instead", 0, 0},
    {0},
};

const struct cli_spec cli_spec_rollback = {
    .name = "rollback",
    .operands = "[COMMIT|TAG]",
    .about = "Reset an env (HEAD by default) to a commit: its disk and processes become exactly "
             "the\ncommit's. Its id, alias and HEAD stay. Without an argument, to the commit it "
             "was last\ncommitted as or branched from. A warm commit's processes are restored "
             "(--cold: boot\nthe services on its disk instead).\n",
    .opts = rollback_opts,
    .max_operands = 1,
};

int cmd_rollback(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        const char *env = NULL;
        enum vers_mode mode = VERS_MODE_AUTO;
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_rollback, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0) {
                if (c == 'b')
                        env = p.arg;
                else if (c == CLI_ID_WARM)
                        mode = VERS_MODE_WARM;
                else if (c == CLI_ID_COLD)
                        mode = VERS_MODE_COLD;
        }
        if (c < 0)
                return cli_parse_exit(c);
        struct vers_rollback_result res;
        double t0 = vers_monotonic();
        if (vers_rollback_target(ctx, env, p.n_operands ? p.operands[0] : NULL, mode, &res, err) <
            0)
                return -1;
        printf("env %s rolled back to %s (%s, %.2f s)\n", res.env, res.commit, res.mode,
               vers_monotonic() - t0);
        vers_rollback_result_clear(&res);
        return 0;
}
