/* cli — what the command files share besides options: the progress lines, times, the
 * question before deleting. */
#include "cli.h"

#include <string.h>
#include <time.h>

void cli_say(const char *msg)
{
        fprintf(stderr, "vers: %s\n", msg);
}

void cli_sayf(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        cli_say(msg);
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
