/* vers debug — hidden commands for tests: 'vers debug failpoints' lists VERS_FAILPOINTS. */
#include "cli.h"
#include "base/failpoint.h"

#include <string.h>

int cmd_debug(int argc, char **argv)
{
        if (argc == 2 && !strcmp(argv[1], "failpoints")) {
                for (size_t i = 0; vers_failpoint_names[i]; i++)
                        printf("%s\t%s\n", vers_failpoint_names[i], vers_failpoint_help[i]);
                return 0;
        }
        return cli_usage_error("vers debug failpoints",
                               "'vers debug' takes one argument: 'failpoints'");
}
