/* alloc — allocation that cannot fail (out of memory aborts) and string vectors. */
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

void vers_abort(const char *what)
{
        /* the one thing the library prints: nothing sane can follow, and a caller's callback
         * might need the very memory that ran out */
        fprintf(stderr, "vers: %s\n", what);
        abort();
}

static void oom(void)
{
        vers_abort("out of memory");
}

void *xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);
        if (!p)
                oom();
        return p;
}

void *xcalloc(size_t n, size_t m)
{
        void *p = calloc(n ? n : 1, m ? m : 1);
        if (!p)
                oom();
        return p;
}

void *xrealloc(void *p, size_t n)
{
        p = realloc(p, n ? n : 1);
        if (!p)
                oom();
        return p;
}

char *xstrdup(const char *s)
{
        char *r = strdup(s ? s : "");
        if (!r)
                oom();
        return r;
}

char *xstrndup(const char *s, size_t n)
{
        char *r = strndup(s ? s : "", n);
        if (!r)
                oom();
        return r;
}

char *xvasprintf(const char *fmt, va_list ap)
{
        char *s = NULL;
        if (vasprintf(&s, fmt, ap) < 0)
                oom();
        return s;
}

char *xasprintf(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *s = xvasprintf(fmt, ap);
        va_end(ap);
        return s;
}

size_t strv_len(char **v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

void strv_push(char ***v, const char *s)
{
        size_t n = strv_len(*v);
        *v = xrealloc(*v, (n + 2) * sizeof(char *));
        (*v)[n] = xstrdup(s);
        (*v)[n + 1] = NULL;
}

void strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}
