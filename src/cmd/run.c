/* vers run */
#include "cli.h"

static const char run_help[] =
    "usage: vers run [--alias|-N NAME] [--json]\n\n"
    "Start a new env from the project's image (building it first if needed). Returns once\n"
    "its services accept connections. The new env becomes HEAD.\n";

int cmd_run(int argc, char **argv)
{
        static const struct option opts[] = {{"alias", required_argument, NULL, 'N'},
                                             CLI_OPT_JSON,
                                             CLI_OPT_HELP,
                                             {NULL, 0, NULL, 0}};
        const char *alias = NULL;
        bool json = false;
        int c;
        while ((c = getopt_long(argc, argv, "+N:n:h", opts, NULL)) != -1) {
                if (c == 'N' || c == 'n')
                        alias = optarg;
                else if (c == 'J')
                        json = true;
                else if (c == 'h')
                        return cli_print_help(run_help), 0;
                else
                        return cli_usage_error("vers run [--alias NAME]", "bad option");
        }
        if (optind < argc)
                return cli_usage_error("vers run [--alias NAME]", "unexpected argument '%s'",
                                       argv[optind]);
        struct vers_ctx ctx;
        int rc = cli_open(&ctx);
        if (rc)
                return rc;
        vers_error_t err = NULL;
        struct vers_env e = {0};
        double t0 = vers_monotonic();
        if (cli_require_config(&ctx, &err) < 0 || vers_env_run(&ctx, alias, &e, &err) < 0 ||
            vers_head_set(&ctx, VERS_REF_ENV, e.id, &err) < 0)
                goto fail;
        if (json)
                printf("{\"id\": \"%s\", \"alias\": %s%s%s, \"seconds\": %.3f}\n", e.id,
                       e.alias ? "\"" : "", e.alias ? e.alias : "null", e.alias ? "\"" : "",
                       vers_monotonic() - t0);
        else
                printf("env %s%s%s%s running (%.2f s); HEAD is now %s\n", e.id, e.alias ? " (" : "",
                       e.alias ? e.alias : "", e.alias ? ")" : "", vers_monotonic() - t0,
                       e.alias ? e.alias : e.id);
        vers_env_clear(&e);
        vers_close(&ctx);
        return 0;
fail:
        vers_env_clear(&e);
        vers_close(&ctx);
        return cli_fail(&err);
}
