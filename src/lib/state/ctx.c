/* ctx — the progress and notice callbacks, new ids, and this process as the owner of rows. */
#include "state/ctx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void vers_progress(struct vers_ctx *ctx, const char *fmt, ...)
{
        if (!ctx->progress)
                return;
        va_list ap;
        va_start(ap, fmt);
        char *m = NULL;
        if (vasprintf(&m, fmt, ap) >= 0) {
                ctx->progress(m);
                free(m);
        }
        va_end(ap);
}

void vers_notice(struct vers_ctx *ctx, const char *fmt, ...)
{
        if (!ctx->notice)
                return;
        va_list ap;
        va_start(ap, fmt);
        char *m = NULL;
        if (vasprintf(&m, fmt, ap) >= 0) {
                ctx->notice(m);
                free(m);
        }
        va_end(ap);
}

int64_t vers_my_start(void)
{
        /* per pid: a forked child (vers test runs every branch in one) is another owner */
        static int64_t s = 0;
        static pid_t for_pid = 0;
        if (!s || for_pid != getpid()) {
                for_pid = getpid();
                s = (int64_t)vers_pid_starttime(for_pid);
        }
        return s;
}

char *vers_new_id(void)
{
        return vers_random_hex(12);
}
