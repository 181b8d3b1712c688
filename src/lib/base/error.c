/* error — errors as values (see util.h) and the cleanup helpers. */
#include "base/util.h"
#include "base/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

int vers_make_error(vers_error_t *err, int errno_, const char *fmt, ...)
{
        if (err == NULL || *err != NULL)
                return -1;
        va_list ap;
        va_start(ap, fmt);
        char *m = xvasprintf(fmt, ap);
        va_end(ap);
        *err = xcalloc(1, sizeof(**err));
        (*err)->status = errno_;
        if (errno_) {
                (*err)->msg = xasprintf("%s: %s", m, strerror(errno_));
                free(m);
        } else {
                (*err)->msg = m;
        }
        return -1;
}

int vers_error_wrap(vers_error_t *err, const char *fmt, ...)
{
        if (err == NULL || *err == NULL)
                return -1;
        va_list ap;
        va_start(ap, fmt);
        char *ctx = xvasprintf(fmt, ap);
        va_end(ap);
        char *m = xasprintf("%s: %s", ctx, (*err)->msg);
        free(ctx);
        free((*err)->msg);
        (*err)->msg = m;
        return -1;
}

int vers_make_error_atv(vers_error_t *err, const char *file, long line, long col, const char *fmt,
                        va_list ap)
{
        char *msg = xvasprintf(fmt, ap);
        vers_make_error(err, 0, "%s:%ld:%ld: %s", file, line, col, msg);
        free(msg);
        return -1;
}

void vers_error_free(vers_error_t *err)
{
        if (err && *err) {
                free((*err)->msg);
                free(*err);
                *err = NULL;
        }
}

void vers_freep(void *p)
{
        free(*(void **)p);
}

void vers_closep(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

void vers_fclosep(void *f)
{
        FILE **fp = f;
        if (*fp)
                fclose(*fp);
}

void vers_strvfreep(char ***v)
{
        strv_free(*v);
        *v = NULL;
}
