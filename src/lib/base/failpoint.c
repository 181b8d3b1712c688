#include "base/failpoint.h"

#include <signal.h>
#include <string.h>

#define NAME(n, h) n,
#define HELP(n, h) h,
const char *const vers_failpoint_names[] = {VERS_FAILPOINTS(NAME) NULL};
const char *const vers_failpoint_help[] = {VERS_FAILPOINTS(HELP) NULL};

static bool listed(const char *name)
{
        for (size_t i = 0; vers_failpoint_names[i]; i++) {
                if (!strcmp(vers_failpoint_names[i], name))
                        return true;
        }
        return false;
}

int vers_failpoint(const char *name, vers_error_t *err)
{
        static long hits;
        if (!listed(name)) {
                /* a bug of vers's own: a test walking the list would never reach this step */
                _cleanup_free_ char *msg =
                    xasprintf("failpoint '%s' is not in VERS_FAILPOINTS", name);
                vers_abort(msg);
        }
        const char *fp = getenv("VERS_FAILPOINT");
        if (!fp || !*fp)
                return 0;
        bool fail = str_startswith(fp, "fail:");
        if (fail)
                fp += strlen("fail:");
        size_t len = strcspn(fp, ":");
        if (strlen(name) != len || strncmp(fp, name, len))
                return 0;
        long nth = fp[len] == ':' ? strtol(fp + len + 1, NULL, 10) : 1;
        if (++hits != nth)
                return 0;
        if (!fail)
                kill(getpid(), SIGKILL);
        return vers_make_error(err, 0, "failpoint '%s' made this step fail", name);
}
