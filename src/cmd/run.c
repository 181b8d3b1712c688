/* vers run */
#include "cli.h"
#include "engine/branching.h"

static const struct cli_opt run_opts[] = {
    {'N', "Nn", "alias", "NAME", "name the new env (1..64 of A-Z a-z 0-9 . _ -)", 0, 0},
    {CLI_ID_JSON, NULL, "json", NULL, "print {\"id\": ID, \"alias\": NAME, \"seconds\": S}", 0, 0},
    {0},
};

const struct cli_spec cli_spec_run = {
    .name = "run",
    .about = "Start a new env from the project's image (building it first if needed). Returns "
             "once\nits services accept connections. The new env becomes HEAD.\n",
    .opts = run_opts,
};

int cmd_run(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        const char *alias = NULL;
        bool json = false;
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_run, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0) {
                if (c == 'N')
                        alias = p.arg;
                json |= c == CLI_ID_JSON;
        }
        if (c < 0)
                return cli_parse_exit(c);
        struct vers_env e = {0};
        double t0 = vers_monotonic();
        int r = vers_run_head(ctx, alias, &e, err);
        double secs = vers_monotonic() - t0;
        if (r == 0 && json)
                r = cli_json_print(json_pack("{s:s, s:o, s:o}", "id", e.id, "alias",
                                             vers_json_str(e.alias), "seconds",
                                             vers_json_seconds(secs)),
                                   err);
        else if (r == 0)
                printf("env %s%s%s%s running (%.2f s); HEAD is now %s\n", e.id, e.alias ? " (" : "",
                       e.alias ? e.alias : "", e.alias ? ")" : "", secs, e.alias ? e.alias : e.id);
        vers_env_clear(&e);
        return r;
}
