/* toml — see toml.h for the accepted subset.
 *
 * The parser works on [p, end) and never relies on a terminating NUL: check_text() first
 * rejects NUL bytes, control characters, stray carriage returns and invalid UTF-8, so that
 * later stages can read characters with peek() (which returns END at the end) and count
 * columns by skipping UTF-8 continuation bytes. Only arrays recurse, and they stop at
 * VERS_TOML_MAX_DEPTH; keys are limited to the same number of parts, so tables nest at most
 * twice that deep and vers_toml_free()'s recursion stays shallow.
 */
#include "format/toml.h"
#include "base/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define END (-1)

/* How a table came to exist; TOML allows a header to define an implicit table once, and
 * dotted keys to extend only tables that dotted keys created. */
enum { ORIGIN_IMPLICIT, ORIGIN_HEADER, ORIGIN_DOTTED };

struct pos {
        unsigned line, col;
};

struct key_part {
        char *name;
        struct pos pos;
};

struct key {
        struct key_part parts[VERS_TOML_MAX_DEPTH];
        size_t n;
};

struct parser {
        const char *p, *end;
        const char *line_start;
        unsigned line;
        const char *col_ptr; /* column cache: col_ptr on the current line is at column col */
        unsigned col;
        const char *filename;
        vers_error_t *err;
        struct vers_toml_value *root;
        struct vers_toml_value *cur; /* the table the last header selected */
        struct key section;          /* that header's key; empty at the top */
};

static void key_release(struct key *k)
{
        for (size_t i = 0; i < k->n; i++)
                free(k->parts[i].name);
        k->n = 0;
}

static char *dup_span(const char *s, size_t n)
{
        char *r = xmalloc(n + 1);
        memcpy(r, s, n);
        r[n] = '\0';
        return r;
}

static bool is_bare(int c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
}

static bool is_digit(int c)
{
        return c >= '0' && c <= '9';
}

static int hex_value(int c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* length of the UTF-8 sequence that starts with c (the text is known to be valid) */
static int utf8_len(unsigned char c)
{
        if (c < 0x80)
                return 1;
        if (c < 0xE0)
                return 2;
        if (c < 0xF0)
                return 3;
        return 4;
}

static unsigned count_cols(const char *from, const char *to)
{
        unsigned col = 1;
        for (; from < to; from++)
                if (((unsigned char)*from & 0xC0) != 0x80)
                        col++;
        return col;
}

static int peek(const struct parser *ps)
{
        return ps->p < ps->end ? (unsigned char)*ps->p : END;
}

static int peek_at(const struct parser *ps, size_t i)
{
        return (size_t)(ps->end - ps->p) > i ? (unsigned char)ps->p[i] : END;
}

/* at must lie on the current line */
static struct pos pos_at(struct parser *ps, const char *at)
{
        if (at < ps->col_ptr) {
                ps->col_ptr = ps->line_start;
                ps->col = 1;
        }
        for (; ps->col_ptr < at; ps->col_ptr++)
                if (((unsigned char)*ps->col_ptr & 0xC0) != 0x80)
                        ps->col++;
        return (struct pos){ps->line, ps->col};
}

static struct pos here(struct parser *ps)
{
        return pos_at(ps, ps->p);
}

static int error_at(vers_error_t *err, const char *filename, struct pos pos, const char *fmt,
                    va_list ap) __attribute__((format(printf, 4, 0)));
static int error_at(vers_error_t *err, const char *filename, struct pos pos, const char *fmt,
                    va_list ap)
{
        char *msg = xvasprintf(fmt, ap);
        vers_make_error(err, 0, "%s:%u:%u: %s", filename, pos.line, pos.col, msg);
        free(msg);
        return -1;
}

static int perr(struct parser *ps, struct pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int perr(struct parser *ps, struct pos pos, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        error_at(ps->err, ps->filename, pos, fmt, ap);
        va_end(ap);
        return -1;
}

/* what is at the cursor, for "found ..." in messages */
static const char *describe(const struct parser *ps, char buf[static 16])
{
        int c = peek(ps);
        if (c == END)
                return "end of file";
        if (c == '\n' || c == '\r')
                return "end of line";
        if (c == '\t')
                return "a tab";
        if (c == '\'')
                return "\"'\"";
        snprintf(buf, 16, "'%.*s'", utf8_len((unsigned char)c), ps->p);
        return buf;
}

/* Reject what TOML never allows anywhere, so that the parser proper can ignore it. */
static int check_text(struct parser *ps)
{
        const unsigned char *s = (const unsigned char *)ps->p;
        const unsigned char *e = (const unsigned char *)ps->end;
        const unsigned char *ls = s;
        unsigned line = 1;
        const char *what = NULL;

        while (s < e && !what) {
                unsigned c = *s;
                if (c == '\n') {
                        s++;
                        line++;
                        ls = s;
                } else if (c == '\r') {
                        if (s + 1 < e && s[1] == '\n')
                                s++;
                        else
                                what = "carriage return not followed by a newline";
                } else if (c == 0) {
                        what = "NUL byte in input";
                } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
                        what = "control character";
                } else if (c < 0x80) {
                        s++;
                } else {
                        /* UTF-8: allowed second bytes per lead byte (RFC 3629 table) */
                        unsigned n = 0, lo = 0x80, hi = 0xBF;
                        if (c >= 0xC2 && c <= 0xDF) {
                                n = 2;
                        } else if (c >= 0xE0 && c <= 0xEF) {
                                n = 3;
                                lo = c == 0xE0 ? 0xA0 : 0x80;
                                hi = c == 0xED ? 0x9F : 0xBF;
                        } else if (c >= 0xF0 && c <= 0xF4) {
                                n = 4;
                                lo = c == 0xF0 ? 0x90 : 0x80;
                                hi = c == 0xF4 ? 0x8F : 0xBF;
                        }
                        bool ok = n > 0 && (size_t)(e - s) >= n && s[1] >= lo && s[1] <= hi;
                        for (unsigned i = 2; ok && i < n; i++)
                                ok = s[i] >= 0x80 && s[i] <= 0xBF;
                        if (ok)
                                s += n;
                        else
                                what = "invalid UTF-8";
                }
        }
        if (!what)
                return 0;
        /* the column is counted only here: counting it for every byte would be quadratic */
        struct pos pos = {line, count_cols((const char *)ls, (const char *)s)};
        if (strcmp(what, "control character") == 0)
                return perr(ps, pos, "control character U+%04X is not allowed", *s);
        return perr(ps, pos, "%s", what);
}

static void skip_ws(struct parser *ps)
{
        while (peek(ps) == ' ' || peek(ps) == '\t')
                ps->p++;
}

static bool at_newline(const struct parser *ps)
{
        int c = peek(ps);
        return c == '\n' || c == '\r'; /* check_text() made sure '\r' precedes '\n' */
}

static void eat_newline(struct parser *ps)
{
        if (peek(ps) == '\r')
                ps->p++;
        ps->p++;
        ps->line++;
        ps->line_start = ps->col_ptr = ps->p;
        ps->col = 1;
}

static void skip_comment(struct parser *ps)
{
        if (peek(ps) != '#')
                return;
        while (peek(ps) != END && !at_newline(ps))
                ps->p++;
}

static void skip_ws_newlines_comments(struct parser *ps)
{
        for (;;) {
                skip_ws(ps);
                skip_comment(ps);
                if (!at_newline(ps))
                        return;
                eat_newline(ps);
        }
}

/* a key or a table name, for messages: bare parts as they are, others quoted */
static void add_key_display(struct strbuf *sb, const struct key *k, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const char *name = k->parts[i].name;
                bool bare = *name != '\0';
                for (const char *c = name; *c; c++)
                        bare = bare && is_bare((unsigned char)*c);
                if (i > 0)
                        strbuf_addch(sb, '.');
                if (bare) {
                        strbuf_addstr(sb, name);
                } else {
                        strbuf_addch(sb, '"');
                        strbuf_addstr(sb, name);
                        strbuf_addch(sb, '"');
                }
        }
}

static char *key_display(const struct key *k, size_t n)
{
        struct strbuf sb = STRBUF_INIT;
        add_key_display(&sb, k, n);
        return strbuf_detach(&sb);
}

/* the [table] of the current section plus the first n parts of k, e.g. "vm.foo" */
static char *full_display(const struct parser *ps, const struct key *k, size_t n)
{
        struct strbuf sb = STRBUF_INIT;
        add_key_display(&sb, &ps->section, ps->section.n);
        if (ps->section.n > 0 && n > 0)
                strbuf_addch(&sb, '.');
        add_key_display(&sb, k, n);
        return strbuf_detach(&sb);
}

/* " in [vm]", or "" at the top level */
static char *in_section(const struct parser *ps)
{
        if (ps->section.n == 0)
                return xstrdup("");
        _cleanup_free_ char *s = key_display(&ps->section, ps->section.n);
        return xasprintf(" in [%s]", s);
}

static struct vers_toml_value *new_value(enum vers_toml_type type, struct pos pos)
{
        struct vers_toml_value *v = xcalloc(1, sizeof(*v));
        v->type = type;
        v->line = pos.line;
        v->col = pos.col;
        return v;
}

static struct vers_toml_value *new_table(struct pos pos, int origin)
{
        struct vers_toml_value *t = new_value(VERS_TOML_TABLE, pos);
        t->table.origin = origin;
        return t;
}

static struct vers_toml_entry *table_find(const struct vers_toml_value *t, const char *key)
{
        for (size_t i = 0; i < t->table.n; i++)
                if (strcmp(t->table.entries[i].key, key) == 0)
                        return &t->table.entries[i];
        return NULL;
}

/* takes ownership of key and v */
static void table_add(struct vers_toml_value *t, char *key, struct pos pos,
                      struct vers_toml_value *v)
{
        if (t->table.n == t->table.alloc) {
                t->table.alloc = t->table.alloc ? 2 * t->table.alloc : 8;
                t->table.entries =
                    xrealloc(t->table.entries, t->table.alloc * sizeof(*t->table.entries));
        }
        t->table.entries[t->table.n++] =
            (struct vers_toml_entry){.key = key, .line = pos.line, .col = pos.col, .value = v};
}

static void array_push(struct vers_toml_value *a, struct vers_toml_value *v)
{
        if (a->array.n == a->array.alloc) {
                a->array.alloc = a->array.alloc ? 2 * a->array.alloc : 4;
                a->array.items = xrealloc(a->array.items, a->array.alloc * sizeof(*a->array.items));
        }
        a->array.items[a->array.n++] = v;
}

/* "..." on one line; the cursor is on the opening quote */
static char *parse_basic_string(struct parser *ps)
{
        struct pos open = here(ps);
        if (peek_at(ps, 1) == '"' && peek_at(ps, 2) == '"') {
                perr(ps, open, "multi-line strings are not supported");
                return NULL;
        }
        ps->p++;
        struct strbuf sb = STRBUF_INIT;
        for (;;) {
                const char *run = ps->p;
                while (peek(ps) != END && peek(ps) != '"' && peek(ps) != '\\' && !at_newline(ps))
                        ps->p++;
                strbuf_add(&sb, run, (size_t)(ps->p - run));
                int c = peek(ps);
                if (c == '"') {
                        ps->p++;
                        return strbuf_detach(&sb);
                }
                if (c != '\\')
                        break; /* end of line or file */
                struct pos esc = here(ps);
                ps->p++;
                c = peek(ps);
                char simple = 0;
                switch (c) {
                case 'b':
                        simple = '\b';
                        break;
                case 't':
                        simple = '\t';
                        break;
                case 'n':
                        simple = '\n';
                        break;
                case 'f':
                        simple = '\f';
                        break;
                case 'r':
                        simple = '\r';
                        break;
                case '"':
                case '\\':
                        simple = (char)c;
                        break;
                }
                if (simple) {
                        strbuf_addch(&sb, simple);
                        ps->p++;
                        continue;
                }
                if (c == 'u' || c == 'U') {
                        int ndig = c == 'u' ? 4 : 8;
                        uint32_t cp = 0;
                        ps->p++;
                        for (int i = 0; i < ndig; i++) {
                                int h = hex_value(peek(ps));
                                if (h < 0) {
                                        strbuf_release(&sb);
                                        perr(ps, esc,
                                             "'\\%c' must be followed by %d hexadecimal digits", c,
                                             ndig);
                                        return NULL;
                                }
                                cp = cp << 4 | (uint32_t)h;
                                ps->p++;
                        }
                        if (cp == 0) {
                                strbuf_release(&sb);
                                perr(ps, esc, "NUL characters are not supported in strings");
                                return NULL;
                        }
                        if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
                                strbuf_release(&sb);
                                perr(ps, esc,
                                     "invalid unicode escape: U+%X is not a unicode scalar value",
                                     cp);
                                return NULL;
                        }
                        char u[4];
                        size_t n;
                        if (cp < 0x80) {
                                u[0] = (char)cp;
                                n = 1;
                        } else if (cp < 0x800) {
                                u[0] = (char)(0xC0 | cp >> 6);
                                u[1] = (char)(0x80 | (cp & 0x3F));
                                n = 2;
                        } else if (cp < 0x10000) {
                                u[0] = (char)(0xE0 | cp >> 12);
                                u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
                                u[2] = (char)(0x80 | (cp & 0x3F));
                                n = 3;
                        } else {
                                u[0] = (char)(0xF0 | cp >> 18);
                                u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
                                u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
                                u[3] = (char)(0x80 | (cp & 0x3F));
                                n = 4;
                        }
                        strbuf_add(&sb, u, n);
                        continue;
                }
                if (c == END || at_newline(ps))
                        break;
                strbuf_release(&sb);
                perr(ps, esc, "invalid escape sequence '\\%.*s'", utf8_len((unsigned char)c),
                     ps->p);
                return NULL;
        }
        strbuf_release(&sb);
        perr(ps, open, "unterminated string");
        return NULL;
}

/* '...' on one line; the cursor is on the opening quote */
static char *parse_literal_string(struct parser *ps)
{
        struct pos open = here(ps);
        if (peek_at(ps, 1) == '\'' && peek_at(ps, 2) == '\'') {
                perr(ps, open, "multi-line strings are not supported");
                return NULL;
        }
        ps->p++;
        const char *start = ps->p;
        while (peek(ps) != END && peek(ps) != '\'' && !at_newline(ps))
                ps->p++;
        if (peek(ps) != '\'') {
                perr(ps, open, "unterminated string");
                return NULL;
        }
        char *s = dup_span(start, (size_t)(ps->p - start));
        ps->p++;
        return s;
}

/* a.b."c d" up to what follows it; what is "a key" or "a table name" */
static int parse_key(struct parser *ps, struct key *k, const char *what)
{
        key_release(k);
        for (;;) {
                skip_ws(ps);
                struct pos pos = here(ps);
                int c = peek(ps);
                char *name;
                if (is_bare(c)) {
                        const char *start = ps->p;
                        while (is_bare(peek(ps)))
                                ps->p++;
                        name = dup_span(start, (size_t)(ps->p - start));
                } else if (c == '"') {
                        name = parse_basic_string(ps);
                } else if (c == '\'') {
                        name = parse_literal_string(ps);
                } else {
                        char buf[16];
                        return perr(ps, pos, "expected %s, found %s", what, describe(ps, buf));
                }
                if (!name)
                        return -1;
                if (k->n == VERS_TOML_MAX_DEPTH) {
                        free(name);
                        return perr(ps, pos, "too many dotted parts (limit %d)",
                                    VERS_TOML_MAX_DEPTH);
                }
                k->parts[k->n++] = (struct key_part){name, pos};
                skip_ws(ps);
                if (peek(ps) != '.')
                        return 0;
                ps->p++;
        }
}

static struct vers_toml_value *parse_value(struct parser *ps, int depth);

static struct vers_toml_value *parse_array(struct parser *ps, int depth)
{
        struct pos open = here(ps);
        char buf[16];
        if (depth >= VERS_TOML_MAX_DEPTH) {
                perr(ps, open, "arrays nested too deeply (limit %d)", VERS_TOML_MAX_DEPTH);
                return NULL;
        }
        ps->p++;
        struct vers_toml_value *a = new_value(VERS_TOML_ARRAY, open);
        for (;;) {
                skip_ws_newlines_comments(ps);
                if (peek(ps) == END)
                        break;
                if (peek(ps) == ']') {
                        ps->p++;
                        return a;
                }
                struct vers_toml_value *item = parse_value(ps, depth + 1);
                if (!item) {
                        vers_toml_free(a);
                        return NULL;
                }
                array_push(a, item);
                skip_ws_newlines_comments(ps);
                int c = peek(ps);
                if (c == ',') {
                        ps->p++;
                        continue;
                }
                if (c == ']') {
                        ps->p++;
                        return a;
                }
                if (c == END)
                        break;
                perr(ps, here(ps), "expected ',' or ']' in array, found %s", describe(ps, buf));
                vers_toml_free(a);
                return NULL;
        }
        perr(ps, open, "unterminated array");
        vers_toml_free(a);
        return NULL;
}

static bool word_at(const struct parser *ps, const char *word)
{
        size_t n = strlen(word);
        return (size_t)(ps->end - ps->p) >= n && memcmp(ps->p, word, n) == 0;
}

static struct vers_toml_value *parse_integer(struct parser *ps)
{
        struct pos pos = here(ps);
        bool neg = false;
        char buf[16];
        if (peek(ps) == '+' || peek(ps) == '-') {
                neg = peek(ps) == '-';
                ps->p++;
                if (word_at(ps, "inf") || word_at(ps, "nan")) {
                        perr(ps, pos, "floats are not supported");
                        return NULL;
                }
                if (!is_digit(peek(ps))) {
                        perr(ps, here(ps), "expected a digit after '%c', found %s", neg ? '-' : '+',
                             describe(ps, buf));
                        return NULL;
                }
        }
        if (peek(ps) == '0') {
                static const struct {
                        char letter;
                        const char *name;
                } bases[] = {{'x', "hexadecimal"}, {'o', "octal"}, {'b', "binary"}};
                for (size_t i = 0; i < sizeof(bases) / sizeof(*bases); i++) {
                        if (peek_at(ps, 1) == bases[i].letter) {
                                perr(ps, pos, "%s integers are not supported", bases[i].name);
                                return NULL;
                        }
                }
        }
        const char *digits = ps->p;
        uint64_t mag = 0;
        bool overflow = false;
        for (;;) {
                int c = peek(ps);
                if (is_digit(c)) {
                        unsigned d = (unsigned)(c - '0');
                        if (mag > (UINT64_MAX - d) / 10)
                                overflow = true;
                        else
                                mag = mag * 10 + d;
                } else if (c == '_') {
                        if (!is_digit(peek_at(ps, 1))) {
                                perr(ps, here(ps), "'_' in a number must be between digits");
                                return NULL;
                        }
                } else {
                        break;
                }
                ps->p++;
        }
        int c = peek(ps);
        if (c == '.' || c == 'e' || c == 'E') {
                perr(ps, pos, "floats are not supported");
                return NULL;
        }
        if (c == '-' || c == ':') {
                perr(ps, pos, "dates and times are not supported");
                return NULL;
        }
        if (digits[0] == '0' && ps->p - digits > 1) {
                perr(ps, pos, "leading zeros are not allowed in integers");
                return NULL;
        }
        uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        if (overflow || mag > limit) {
                perr(ps, pos, "integer does not fit in 64 bits");
                return NULL;
        }
        struct vers_toml_value *v = new_value(VERS_TOML_INTEGER, pos);
        if (neg)
                v->integer = mag == limit ? INT64_MIN : -(int64_t)mag;
        else
                v->integer = (int64_t)mag;
        return v;
}

static struct vers_toml_value *parse_value(struct parser *ps, int depth)
{
        struct pos pos = here(ps);
        int c = peek(ps);
        char buf[16];
        struct vers_toml_value *v;

        if (c == '"' || c == '\'') {
                char *s = c == '"' ? parse_basic_string(ps) : parse_literal_string(ps);
                if (!s)
                        return NULL;
                v = new_value(VERS_TOML_STRING, pos);
                v->string = s;
                return v;
        }
        if (c == '[')
                return parse_array(ps, depth);
        if (c == '{') {
                perr(ps, pos, "inline tables are not supported");
                return NULL;
        }
        if (c == '+' || c == '-' || is_digit(c))
                return parse_integer(ps);
        if (is_bare(c)) {
                const char *start = ps->p;
                while (is_bare(peek(ps)))
                        ps->p++;
                size_t n = (size_t)(ps->p - start);
                if ((n == 4 && memcmp(start, "true", 4) == 0) ||
                    (n == 5 && memcmp(start, "false", 5) == 0)) {
                        v = new_value(VERS_TOML_BOOLEAN, pos);
                        v->boolean = n == 4;
                        return v;
                }
                if (n == 3 && (memcmp(start, "inf", 3) == 0 || memcmp(start, "nan", 3) == 0)) {
                        perr(ps, pos, "floats are not supported");
                        return NULL;
                }
                perr(ps, pos, "invalid value '%.*s%s' (strings must be quoted)",
                     n > 32 ? 32 : (int)n, start, n > 32 ? "..." : "");
                return NULL;
        }
        perr(ps, pos, "expected a value, found %s", describe(ps, buf));
        return NULL;
}

/* [a.b.c]; the cursor is on the '[' */
static int parse_header(struct parser *ps)
{
        struct pos open = here(ps);
        char buf[16];
        if (peek_at(ps, 1) == '[')
                return perr(ps, open, "arrays of tables are not supported");
        ps->p++;
        ps->cur = NULL;
        if (parse_key(ps, &ps->section, "a table name") < 0)
                return -1;
        if (peek(ps) != ']')
                return perr(ps, here(ps), "expected ']' after table name, found %s",
                            describe(ps, buf));
        ps->p++;

        struct key *k = &ps->section;
        struct vers_toml_value *t = ps->root;
        for (size_t i = 0; i < k->n; i++) {
                bool last = i + 1 == k->n;
                struct vers_toml_entry *e = table_find(t, k->parts[i].name);
                if (!e) {
                        struct vers_toml_value *nt =
                            new_table(k->parts[i].pos, last ? ORIGIN_HEADER : ORIGIN_IMPLICIT);
                        table_add(t, xstrdup(k->parts[i].name), k->parts[i].pos, nt);
                        t = nt;
                        continue;
                }
                if (e->value->type != VERS_TOML_TABLE) {
                        _cleanup_free_ char *name = key_display(k, i + 1);
                        return perr(ps, k->parts[i].pos,
                                    "'%s' is already defined as a value on line %u", name, e->line);
                }
                t = e->value;
                if (last) {
                        if (t->table.origin != ORIGIN_IMPLICIT) {
                                _cleanup_free_ char *name = key_display(k, k->n);
                                return perr(ps, open, "table [%s] is already defined on line %u",
                                            name, t->line);
                        }
                        t->table.origin = ORIGIN_HEADER;
                        t->line = k->parts[i].pos.line;
                        t->col = k->parts[i].pos.col;
                }
        }
        ps->cur = t;
        return 0;
}

/* key = value */
static int parse_keyval(struct parser *ps)
{
        struct key k = {.n = 0};
        char buf[16];
        int r = -1;

        if (parse_key(ps, &k, "a key") < 0)
                goto out;
        if (peek(ps) != '=') {
                _cleanup_free_ char *name = key_display(&k, k.n);
                perr(ps, here(ps), "expected '=' after key '%s', found %s", name,
                     describe(ps, buf));
                goto out;
        }
        ps->p++;
        skip_ws(ps);

        struct vers_toml_value *t = ps->cur;
        for (size_t i = 0; i + 1 < k.n; i++) {
                struct vers_toml_entry *e = table_find(t, k.parts[i].name);
                if (!e) {
                        struct vers_toml_value *nt = new_table(k.parts[i].pos, ORIGIN_DOTTED);
                        table_add(t, xstrdup(k.parts[i].name), k.parts[i].pos, nt);
                        t = nt;
                        continue;
                }
                if (e->value->type != VERS_TOML_TABLE) {
                        _cleanup_free_ char *name = key_display(&k, i + 1);
                        _cleanup_free_ char *where = in_section(ps);
                        perr(ps, k.parts[i].pos,
                             "key '%s'%s is already defined as a value on line %u", name, where,
                             e->line);
                        goto out;
                }
                if (e->value->table.origin != ORIGIN_DOTTED) {
                        _cleanup_free_ char *name = full_display(ps, &k, i + 1);
                        perr(
                            ps, k.parts[i].pos,
                            "cannot add to table [%s] with a dotted key (it is defined on line %u)",
                            name, e->value->line);
                        goto out;
                }
                t = e->value;
        }

        struct key_part *last = &k.parts[k.n - 1];
        struct vers_toml_entry *e = table_find(t, last->name);
        if (e) {
                _cleanup_free_ char *name = key_display(&k, k.n);
                _cleanup_free_ char *where = in_section(ps);
                if (e->value->type == VERS_TOML_TABLE)
                        perr(ps, last->pos, "key '%s'%s is already defined as a table on line %u",
                             name, where, e->line);
                else
                        perr(ps, last->pos, "duplicate key '%s'%s (first defined on line %u)", name,
                             where, e->line);
                goto out;
        }
        struct vers_toml_value *v = parse_value(ps, 0);
        if (!v)
                goto out;
        table_add(t, last->name, last->pos, v);
        last->name = NULL;
        r = 0;
out:
        key_release(&k);
        return r;
}

static int expect_end_of_line(struct parser *ps, const char *after)
{
        char buf[16];
        skip_ws(ps);
        skip_comment(ps);
        if (peek(ps) == END || at_newline(ps))
                return 0;
        return perr(ps, here(ps), "expected end of line after %s, found %s", after,
                    describe(ps, buf));
}

static int parse_document(struct parser *ps)
{
        for (;;) {
                skip_ws(ps);
                skip_comment(ps);
                int c = peek(ps);
                if (c == END)
                        return 0;
                if (at_newline(ps)) {
                        eat_newline(ps);
                        continue;
                }
                if (c == '[') {
                        if (parse_header(ps) < 0 || expect_end_of_line(ps, "table header") < 0)
                                return -1;
                } else {
                        if (parse_keyval(ps) < 0 || expect_end_of_line(ps, "value") < 0)
                                return -1;
                }
        }
}

int vers_toml_parse_len(const char *text, size_t len, const char *filename,
                        struct vers_toml_value **out, vers_error_t *err)
{
        struct parser ps = {
            .p = text,
            .end = text + len,
            .line_start = text,
            .line = 1,
            .col_ptr = text,
            .col = 1,
            .filename = filename ? filename : "<input>",
            .err = err,
        };
        *out = NULL;
        if (check_text(&ps) < 0)
                return -1;
        if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) /* byte order mark */
                ps.p = ps.line_start = ps.col_ptr = text + 3;
        ps.root = ps.cur = new_table((struct pos){1, 1}, ORIGIN_HEADER);
        int r = parse_document(&ps);
        key_release(&ps.section);
        if (r < 0) {
                vers_toml_free(ps.root);
                return -1;
        }
        *out = ps.root;
        return 0;
}

int vers_toml_parse(const char *text, const char *filename, struct vers_toml_value **out,
                    vers_error_t *err)
{
        return vers_toml_parse_len(text, strlen(text), filename, out, err);
}

const struct vers_toml_entry *vers_toml_find(const struct vers_toml_value *table, const char *key)
{
        if (!table || table->type != VERS_TOML_TABLE)
                return NULL;
        return table_find(table, key);
}

const struct vers_toml_value *vers_toml_get(const struct vers_toml_value *table, const char *key)
{
        const struct vers_toml_entry *e = vers_toml_find(table, key);
        return e ? e->value : NULL;
}

const struct vers_toml_value *vers_toml_get_path(const struct vers_toml_value *root,
                                                 const char *path)
{
        const struct vers_toml_value *v = root;
        const char *p = path;
        for (;;) {
                const char *dot = strchr(p, '.');
                size_t n = dot ? (size_t)(dot - p) : strlen(p);
                _cleanup_free_ char *part = dup_span(p, n);
                v = vers_toml_get(v, part);
                if (!v || !dot)
                        return v;
                p = dot + 1;
        }
}

const char *vers_toml_type_name(enum vers_toml_type type)
{
        switch (type) {
        case VERS_TOML_TABLE:
                return "table";
        case VERS_TOML_STRING:
                return "string";
        case VERS_TOML_INTEGER:
                return "integer";
        case VERS_TOML_BOOLEAN:
                return "boolean";
        case VERS_TOML_ARRAY:
                return "array";
        }
        return "value";
}

void vers_toml_free(struct vers_toml_value *v)
{
        if (!v)
                return;
        switch (v->type) {
        case VERS_TOML_TABLE:
                for (size_t i = 0; i < v->table.n; i++) {
                        free(v->table.entries[i].key);
                        vers_toml_free(v->table.entries[i].value);
                }
                free(v->table.entries);
                break;
        case VERS_TOML_STRING:
                free(v->string);
                break;
        case VERS_TOML_ARRAY:
                for (size_t i = 0; i < v->array.n; i++)
                        vers_toml_free(v->array.items[i]);
                free(v->array.items);
                break;
        case VERS_TOML_INTEGER:
        case VERS_TOML_BOOLEAN:
                break;
        }
        free(v);
}

void vers_toml_freep(struct vers_toml_value **v)
{
        vers_toml_free(*v);
        *v = NULL;
}
