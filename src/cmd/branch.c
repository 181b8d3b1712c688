/* vers branch (and branch list|delete), vers checkout, vers rollback */
#include "cli.h"
#include "base/names.h"

#include <fnmatch.h>
#include <string.h>

static const char branch_help[] =
    "usage: vers branch [ENV|COMMIT|TAG] [--alias|-n NAME] [--checkout|-c] [--count N] "
    "[--warm|--cold] [--json]\n"
    "       vers branch list [--json] [--all]\n"
    "       vers branch delete PATTERN... [-y] [--all]\n\n"
    "Make a new env from a commit (or tag), or from an env (which is committed first).\n"
    "Without an argument, from HEAD. The new env's disk is a copy-on-write snapshot and\n"
    "its services are up when this returns. HEAD stays where it is unless --checkout.\n\n"
    "  -n, --alias NAME   name the new env (with --count: NAME-1 ... NAME-N)\n"
    "  -c, --checkout     make the new env HEAD\n"
    "      --count N      make N envs\n"
    "      --warm         restore the commit's processes (the default for a warm commit),\n"
    "                     or fail saying why\n"
    "      --cold         boot the services on the commit's disk instead\n"
    "  list               this project's envs (as 'vers status'; --all: every project's)\n"
    "  delete PATTERN     delete this project's envs whose alias or id matches a shell\n"
    "                     glob ('test-*'; -y without a terminal; --all: every project's)\n";

static const char branch_delete_help[] =
    "usage: vers branch delete PATTERN... [-y] [--all]\n\n"
    "Delete the envs of this project whose alias or id matches one of the shell globs\n"
    "(quote them: 'test-*'). Asks first on a terminal; without one, deletes nothing unless\n"
    "-y is given. Outside any project, --all is required.\n\n"
    "  -y, --yes   do not ask\n"
    "  -a, --all   match the envs of every project sharing VERS_ROOT\n";

/* does env e's alias or id match the shell glob pattern? */
static bool env_matches(const struct vers_env *e, const char *pattern)
{
        return (e->alias && fnmatch(pattern, e->alias, 0) == 0) || fnmatch(pattern, e->id, 0) == 0;
}

static int branch_delete(int argc, char **argv)
{
        const char *usage = "vers branch delete PATTERN... [-y] [--all]";
        bool yes = false, all = false;
        _cleanup_strv_ char **patterns = NULL;
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "-y") || !strcmp(argv[i], "--yes"))
                        yes = true;
                else if (!strcmp(argv[i], "-a") || !strcmp(argv[i], "--all"))
                        all = true;
                else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
                        return cli_print_help(branch_delete_help), 0;
                else if (argv[i][0] == '-' && argv[i][1])
                        return cli_usage_error(usage, "unknown option '%s'", argv[i]);
                else
                        strv_push(&patterns, argv[i]);
        }
        if (!patterns)
                return cli_usage_error(usage, "no pattern given");
        struct vers_ctx ctx;
        int rc = cli_open(&ctx);
        if (rc)
                return rc;
        vers_error_t err = NULL;
        struct vers_env *envs = NULL;
        size_t n = 0;
        _cleanup_strv_ char **victims = NULL;
        if (!ctx.project_dir && !all) {
                vers_make_error(&err, 0,
                                "not in a project (no vers.toml or .vers here or above): pass "
                                "--all to match the envs of every project; nothing deleted");
                goto fail;
        }
        if (vers_meta_list_envs(&ctx.meta, "state IN ('running','stopped','rollback')", NULL, &envs,
                                &n, &err) < 0)
                goto fail;
        for (size_t p = 0; patterns[p]; p++) {
                size_t any = 0, elsewhere = 0;
                for (size_t i = 0; i < n; i++) {
                        if (!env_matches(&envs[i], patterns[p]))
                                continue;
                        if (!cli_in_scope(&ctx, envs[i].project, all)) {
                                elsewhere++;
                                continue;
                        }
                        any++;
                        bool dup = false;
                        for (size_t k = 0; victims && victims[k]; k++)
                                dup |= !strcmp(victims[k], envs[i].id);
                        if (!dup)
                                strv_push(&victims, envs[i].id);
                }
                if (any)
                        continue;
                if (vers_path_exists(patterns[p]))
                        /* the shell turned test-* into the names of files here */
                        vers_make_error(&err, 0,
                                        "no env matches '%s', a file in this directory: did the "
                                        "shell expand a pattern? quote it ('test-*'); nothing "
                                        "deleted",
                                        patterns[p]);
                else if (elsewhere)
                        vers_make_error(&err, 0,
                                        "no env of this project matches '%s' (%zu of other "
                                        "projects do: --all reaches them); nothing deleted",
                                        patterns[p], elsewhere);
                else
                        vers_make_error(&err, 0,
                                        "no env matches '%s' (see 'vers status'); nothing deleted",
                                        patterns[p]);
                goto fail;
        }
        vers_envs_free(envs, n);
        envs = NULL;
        n = 0;
        if (cli_confirm_delete(strv_len(victims), yes, &err) < 0)
                goto fail;
        int ret = 0;
        for (size_t k = 0; victims[k]; k++) {
                _cleanup_free_ char *label = vers_env_label(&ctx, victims[k]);
                if (vers_env_delete(&ctx, victims[k], &err) < 0) {
                        ret = cli_fail(&err);
                        continue;
                }
                printf("deleted env %s\n", label);
        }
        vers_close(&ctx);
        return ret;
fail:
        vers_envs_free(envs, n);
        vers_close(&ctx);
        return cli_fail(&err);
}

int cmd_branch(int argc, char **argv)
{
        if (argc > 1 && !strcmp(argv[1], "delete"))
                return branch_delete(argc - 1, argv + 1);
        if (argc > 1 && !strcmp(argv[1], "list"))
                return cmd_status(argc - 1, argv + 1); /* takes --json and --all */
        static const struct option opts[] = {{"alias", required_argument, NULL, 'n'},
                                             {"checkout", no_argument, NULL, 'c'},
                                             {"count", required_argument, NULL, 'C'},
                                             CLI_OPT_WARM,
                                             CLI_OPT_COLD,
                                             CLI_OPT_ENV,
                                             CLI_OPT_JSON,
                                             CLI_OPT_HELP,
                                             {NULL, 0, NULL, 0}};
        const char *usage = "vers branch [ENV|COMMIT|TAG] [--alias NAME] [--checkout] [--count N]";
        const char *alias = NULL, *from = NULL;
        bool checkout = false, json = false;
        enum vers_mode mode = VERS_MODE_AUTO;
        long count = 1;
        int c;
        while ((c = getopt_long(argc, argv, "n:N:cb:h", opts, NULL)) != -1) {
                switch (c) {
                case 'n':
                case 'N':
                        alias = optarg;
                        break;
                case 'c':
                        checkout = true;
                        break;
                case 'W':
                        mode = VERS_MODE_WARM;
                        break;
                case 'K':
                        mode = VERS_MODE_COLD;
                        break;
                case 'C': {
                        char *end;
                        count = strtol(optarg, &end, 10);
                        if (*end || count < 1 || count > 256)
                                return cli_usage_error(usage, "--count takes 1..256, not '%s'",
                                                       optarg);
                        break;
                }
                case 'b':
                        from = optarg;
                        break;
                case 'J':
                        json = true;
                        break;
                case 'h':
                        cli_print_help(branch_help);
                        return 0;
                default:
                        return cli_usage_error(usage, "bad option");
                }
        }
        if (optind < argc)
                from = argv[optind++];
        if (optind < argc)
                return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
        vers_error_t err = NULL;
        if (alias && vers_name_check("alias", alias, &err) < 0)
                return cli_fail(&err);
        struct vers_ctx ctx;
        int rc = cli_open(&ctx);
        if (rc)
                return rc;
        struct vers_ref src = {VERS_REF_NONE, NULL};
        _cleanup_free_ char *commit_id = NULL;
        struct strbuf out = STRBUF_INIT;
        int ret = 1;
        if ((from ? vers_resolve(&ctx, from, &src, &err) : vers_head_get(&ctx, &src, &err)) < 0)
                goto fail;
        if (src.kind == VERS_REF_NONE) {
                vers_make_error(&err, 0,
                                "nothing to branch from: HEAD is not set (run 'vers run', "
                                "or name an env or commit)");
                goto fail;
        }
        if (src.kind == VERS_REF_ENV) {
                /* branching a running env: commit it first, as the seed's workflow does */
                _cleanup_free_ char *label = vers_env_label(&ctx, src.id);
                _cleanup_free_ char *msg = xasprintf("branch point of %s", label);
                struct vers_commit_opts co = {NULL, msg, mode, false};
                struct vers_commit cm = {0};
                double pause = 0;
                struct vers_env se = {0};
                if (vers_env_ensure_running(&ctx, src.id, &se, &err) < 0) {
                        vers_env_clear(&se);
                        goto fail;
                }
                vers_env_clear(&se);
                if (vers_env_commit(&ctx, src.id, &co, &cm, &pause, &err) < 0)
                        goto fail;
                commit_id = xstrdup(cm.id);
                vers_commit_clear(&cm);
        } else {
                commit_id = xstrdup(src.id);
        }
        if (json)
                strbuf_addstr(&out, "[");
        for (long i = 1; i <= count; i++) {
                _cleanup_free_ char *name = NULL;
                if (alias)
                        name = count > 1 ? xasprintf("%s-%ld", alias, i) : xstrdup(alias);
                struct vers_env e = {0};
                double t0 = vers_monotonic();
                if (vers_env_branch(&ctx, commit_id, name, mode, &e, &err) < 0) {
                        vers_env_clear(&e);
                        goto fail;
                }
                double secs = vers_monotonic() - t0;
                _cleanup_free_ char *from_label = vers_commit_label(&ctx, commit_id);
                if (json) {
                        strbuf_addf(&out, "%s\n  {\"id\": \"%s\", \"alias\": ", i > 1 ? "," : "",
                                    e.id);
                        if (e.alias)
                                strbuf_add_json_str(&out, e.alias);
                        else
                                strbuf_addstr(&out, "null");
                        strbuf_addf(&out,
                                    ", \"commit\": \"%s\", \"mode\": \"%s\", \"seconds\": %.3f}",
                                    commit_id, e.mode, secs);
                } else {
                        strbuf_addf(&out, "env %s%s%s%s branched from %s (%s, %.2f s)\n", e.id,
                                    e.alias ? " (" : "", e.alias ? e.alias : "", e.alias ? ")" : "",
                                    from_label, e.mode, secs);
                }
                if (checkout && i == count && vers_head_set(&ctx, VERS_REF_ENV, e.id, &err) < 0) {
                        vers_env_clear(&e);
                        goto fail;
                }
                vers_env_clear(&e);
                fputs(out.buf, stdout);
                fflush(stdout);
                strbuf_reset(&out);
        }
        if (json)
                printf("\n]\n");
        ret = 0;
        goto out;
fail:
        fputs(out.buf, stdout);
        ret = cli_fail(&err);
out:
        strbuf_release(&out);
        vers_ref_clear(&src);
        vers_close(&ctx);
        return ret;
}

static const char checkout_help[] =
    "usage: vers checkout ENV|COMMIT|TAG\n\n"
    "Make HEAD an env (commands then act on it) or a commit (then 'vers branch' branches\n"
    "from it).\n";

int cmd_checkout(int argc, char **argv)
{
        if (cli_wants_help(argc, argv)) {
                cli_print_help(checkout_help);
                return 0;
        }
        if (argc != 2)
                return cli_usage_error("vers checkout ENV|COMMIT|TAG",
                                       argc < 2 ? "what to check out?" : "too many arguments");
        struct vers_ctx ctx;
        int rc = cli_open(&ctx);
        if (rc)
                return rc;
        vers_error_t err = NULL;
        struct vers_ref ref = {VERS_REF_NONE, NULL};
        if (vers_resolve(&ctx, argv[1], &ref, &err) < 0 ||
            vers_head_set(&ctx, ref.kind, ref.id, &err) < 0) {
                vers_ref_clear(&ref);
                vers_close(&ctx);
                return cli_fail(&err);
        }
        _cleanup_free_ char *label = ref.kind == VERS_REF_ENV ? vers_env_label(&ctx, ref.id)
                                                              : vers_commit_label(&ctx, ref.id);
        printf("HEAD is now %s %s\n", ref.kind == VERS_REF_ENV ? "env" : "commit", label);
        vers_ref_clear(&ref);
        vers_close(&ctx);
        return 0;
}

static const char rollback_help[] =
    "usage: vers rollback [COMMIT|TAG] [-b ENV] [--warm|--cold]\n\n"
    "Reset an env (HEAD by default) to a commit: its disk and processes become exactly the\n"
    "commit's. Its id, alias and HEAD stay. Without an argument, to the commit it was last\n"
    "committed as or branched from. A warm commit's processes are restored (--cold: boot\n"
    "the services on its disk instead).\n";

int cmd_rollback(int argc, char **argv)
{
        static const struct option opts[] = {
            CLI_OPT_ENV, CLI_OPT_WARM, CLI_OPT_COLD, CLI_OPT_HELP, {NULL, 0, NULL, 0}};
        const char *name = NULL, *to = NULL;
        enum vers_mode mode = VERS_MODE_AUTO;
        int c;
        while ((c = getopt_long(argc, argv, "b:h", opts, NULL)) != -1) {
                if (c == 'b')
                        name = optarg;
                else if (c == 'W')
                        mode = VERS_MODE_WARM;
                else if (c == 'K')
                        mode = VERS_MODE_COLD;
                else if (c == 'h')
                        return cli_print_help(rollback_help), 0;
                else
                        return cli_usage_error("vers rollback [COMMIT|TAG] [-b ENV]", "bad option");
        }
        if (optind < argc)
                to = argv[optind++];
        if (optind < argc)
                return cli_usage_error("vers rollback [COMMIT|TAG] [-b ENV]",
                                       "unexpected argument '%s'", argv[optind]);
        struct vers_ctx ctx;
        int rc = cli_open(&ctx);
        if (rc)
                return rc;
        vers_error_t err = NULL;
        struct vers_env e = {0};
        struct vers_ref ref = {VERS_REF_NONE, NULL};
        _cleanup_free_ char *label = NULL;
        int ret = 1;
        if (cli_target_env(&ctx, name, false, false, &e, &err) < 0)
                goto fail;
        if (to) {
                if (vers_resolve(&ctx, to, &ref, &err) < 0)
                        goto fail;
                if (ref.kind != VERS_REF_COMMIT) {
                        vers_make_error(&err, 0, "'%s' is an env; roll back to a commit or tag",
                                        to);
                        goto fail;
                }
        } else if (e.base) {
                ref.kind = VERS_REF_COMMIT;
                ref.id = xstrdup(e.base);
        } else {
                vers_make_error(&err, 0,
                                "env has no commit to roll back to (commit it first, or "
                                "name a commit)");
                goto fail;
        }
        double t0 = vers_monotonic();
        if (vers_env_rollback(&ctx, e.id, ref.id, mode, &err) < 0)
                goto fail;
        label = vers_commit_label(&ctx, ref.id);
        struct vers_env after = {0};
        vers_meta_get_env(&ctx.meta, e.id, &after, NULL);
        printf("env %s rolled back to %s (%s, %.2f s)\n", e.alias ? e.alias : e.id, label,
               after.mode ? after.mode : "cold", vers_monotonic() - t0);
        vers_env_clear(&after);
        ret = 0;
        goto out;
fail:
        ret = cli_fail(&err);
out:
        vers_ref_clear(&ref);
        vers_env_clear(&e);
        vers_close(&ctx);
        return ret;
}
