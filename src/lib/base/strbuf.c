#include "base/strbuf.h"
#include "base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

char strbuf_slopbuf[1];

void strbuf_init(struct strbuf *sb)
{
        sb->alloc = 0;
        sb->len = 0;
        sb->buf = strbuf_slopbuf;
}

void strbuf_release(struct strbuf *sb)
{
        if (sb->alloc)
                free(sb->buf);
        strbuf_init(sb);
}

char *strbuf_detach(struct strbuf *sb)
{
        char *r = sb->alloc ? sb->buf : xstrdup("");
        strbuf_init(sb);
        return r;
}

void strbuf_grow(struct strbuf *sb, size_t extra)
{
        size_t need = sb->len + extra + 1;
        if (need <= sb->alloc)
                return;
        size_t n = sb->alloc ? sb->alloc : 64;
        while (n < need)
                n *= 2;
        if (sb->alloc) {
                sb->buf = xrealloc(sb->buf, n);
        } else {
                sb->buf = xmalloc(n);
                sb->buf[0] = '\0';
        }
        sb->alloc = n;
}

void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
        strbuf_grow(sb, len);
        memcpy(sb->buf + sb->len, data, len);
        sb->len += len;
        sb->buf[sb->len] = '\0';
}

void strbuf_addstr(struct strbuf *sb, const char *s)
{
        strbuf_add(sb, s, strlen(s));
}

void strbuf_addch(struct strbuf *sb, char c)
{
        strbuf_add(sb, &c, 1);
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n <= 0)
                return;
        strbuf_grow(sb, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        sb->len += (size_t)n;
}

void strbuf_reset(struct strbuf *sb)
{
        sb->len = 0;
        if (sb->alloc)
                sb->buf[0] = '\0';
}

void strbuf_add_shell_quoted(struct strbuf *sb, const char *s)
{
        strbuf_addch(sb, '\'');
        for (; *s; s++) {
                if (*s == '\'')
                        strbuf_addstr(sb, "'\\''");
                else
                        strbuf_addch(sb, *s);
        }
        strbuf_addch(sb, '\'');
}
