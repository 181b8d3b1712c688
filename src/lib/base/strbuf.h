/* strbuf — a growable string buffer (after git's strbuf.h).
 *
 * Invariants: buf is never NULL after strbuf_init (it points at a static "" until the first
 * append); buf[len] == '\0' always; alloc is 0 while buf is the static empty string.
 * strbuf_detach() hands the string to the caller and leaves the buffer initialised and empty.
 */
#ifndef VERS_STRBUF_H
#define VERS_STRBUF_H

#include <stddef.h>

struct strbuf {
        size_t alloc;
        size_t len;
        char *buf;
};

extern char strbuf_slopbuf[];
#define STRBUF_INIT                                                                                \
        {                                                                                          \
                0, 0, strbuf_slopbuf                                                               \
        }

void strbuf_init(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
char *strbuf_detach(struct strbuf *sb);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_reset(struct strbuf *sb);
/* Append s quoted for a POSIX shell (single quotes). */
void strbuf_add_shell_quoted(struct strbuf *sb, const char *s);

#define _cleanup_strbuf_ __attribute__((cleanup(strbuf_release)))

#endif
