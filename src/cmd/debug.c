/* vers debug — hidden commands for tests: 'vers debug failpoints' lists VERS_FAILPOINTS. */
#include "cli.h"
#include "base/failpoint.h"

const struct cli_spec cli_spec_debug = {
    .name = "debug",
    .about = "Helpers for vers's own tests.\n",
    .min_operands = 1,
    .max_operands = -1,
    .missing = "'vers debug' takes one argument: 'failpoints'",
};

const struct cli_spec cli_spec_debug_failpoints = {
    .name = "debug failpoints",
    .about = "List the failpoints VERS_FAILPOINTS can set, with what each does.\n",
};

int cmd_debug_failpoints(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        _cleanup_parse_ struct cli_parse p =
            cli_parse_start(&cli_spec_debug_failpoints, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0)
                ;
        if (c < 0)
                return cli_parse_exit(c);
        for (size_t i = 0; vers_failpoint_names[i]; i++)
                printf("%s\t%s\n", vers_failpoint_names[i], vers_failpoint_help[i]);
        return 0;
}
