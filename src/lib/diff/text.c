/* diff/text — the pure parts of vers diff: COPY text fields, escaping for a terminal, the
 * unified diff of two sorted line lists, the merge of two key-ordered row streams. */
#include "diff/diff.h"

#include <stdlib.h>
#include <string.h>

bool vers_diff_copy_unescape(char *s)
{
        if (!strcmp(s, "\\N"))
                return false;
        char *w = s;
        for (const char *r = s; *r; r++) {
                if (*r != '\\') {
                        *w++ = *r;
                        continue;
                }
                r++;
                switch (*r) {
                case 'b':
                        *w++ = '\b';
                        break;
                case 'f':
                        *w++ = '\f';
                        break;
                case 'n':
                        *w++ = '\n';
                        break;
                case 'r':
                        *w++ = '\r';
                        break;
                case 't':
                        *w++ = '\t';
                        break;
                case 'v':
                        *w++ = '\v';
                        break;
                case 'x': {
                        int v = 0, n = 0;
                        while (n < 2 && strchr("0123456789abcdefABCDEF", r[1]) && r[1]) {
                                char c = *++r;
                                v = v * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
                                n++;
                        }
                        if (!n || !v)
                                return false;
                        *w++ = (char)v;
                        break;
                }
                case '\0':
                        return false;
                default:
                        if (*r >= '0' && *r <= '7') {
                                int v = *r - '0';
                                for (int n = 1; n < 3 && r[1] >= '0' && r[1] <= '7'; n++)
                                        v = v * 8 + (*++r - '0');
                                if (!v || v > 255)
                                        return false;
                                *w++ = (char)v;
                        } else
                                *w++ = *r; /* \\ and any other character: itself */
                }
        }
        *w = '\0';
        return true;
}

int vers_diff_split(char *line, char **fields, int max)
{
        int n = 0;
        char *p = line;
        while (n < max) {
                fields[n++] = p;
                char *t = strchr(p, '\t');
                if (!t)
                        break;
                *t = '\0';
                p = t + 1;
        }
        return n;
}

/* The length of the valid UTF-8 sequence at s that encodes U+00A0 or above, else 0. */
static size_t utf8_len(const unsigned char *s)
{
        unsigned c = s[0];
        size_t n;
        unsigned cp;
        if (c >= 0xc2 && c <= 0xdf)
                n = 2, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
                n = 3, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
                n = 4, cp = c & 0x07;
        else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3f);
        }
        if (cp < 0xa0 || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}

void vers_diff_escape(struct strbuf *out, const char *s)
{
        const unsigned char *p = (const unsigned char *)s;
        while (*p) {
                unsigned c = *p;
                if (c >= 0x20 && c < 0x7f && c != '\\') {
                        strbuf_addch(out, (char)c);
                        p++;
                        continue;
                }
                size_t n = c >= 0x80 ? utf8_len(p) : 0;
                if (n) {
                        strbuf_add(out, p, n);
                        p += n;
                        continue;
                }
                switch (c) {
                case '\\':
                        strbuf_addstr(out, "\\\\");
                        break;
                case '\n':
                        strbuf_addstr(out, "\\n");
                        break;
                case '\t':
                        strbuf_addstr(out, "\\t");
                        break;
                case '\r':
                        strbuf_addstr(out, "\\r");
                        break;
                default:
                        strbuf_addf(out, "\\x%02x", c);
                }
                p++;
        }
}

static int cmp_str(const void *x, const void *y)
{
        return strcmp(*(char *const *)x, *(char *const *)y);
}

void vers_diff_sort(char **v, size_t n)
{
        if (n > 1)
                qsort(v, n, sizeof *v, cmp_str);
}

/* one step of the edit script: '=' (a[ia] == b[ib]), '-' (a[ia]) or '+' (b[ib]) */
struct edit {
        char op;
        size_t ia, ib;
};

static void add_line(struct strbuf *out, char mark, const char *s)
{
        strbuf_addch(out, mark);
        vers_diff_escape(out, s);
        strbuf_addch(out, '\n');
}

void vers_diff_unified(char *const *a, size_t na, char *const *b, size_t nb, const char *la,
                       const char *lb, struct strbuf *out, int *added, int *removed)
{
        enum { CONTEXT = 3 };
        *added = *removed = 0;
        struct edit *ed = xcalloc(na + nb + 1, sizeof *ed);
        size_t n = 0, i = 0, j = 0;
        while (i < na || j < nb) {
                int c = i == na ? 1 : j == nb ? -1 : strcmp(a[i], b[j]);
                if (c == 0)
                        ed[n++] = (struct edit){'=', i++, j++};
                else if (c < 0)
                        ed[n++] = (struct edit){'-', i++, j}, ++*removed;
                else
                        ed[n++] = (struct edit){'+', i, j++}, ++*added;
        }
        if (!*added && !*removed) {
                free(ed);
                return;
        }
        strbuf_addstr(out, "--- ");
        vers_diff_escape(out, la);
        strbuf_addstr(out, "\n+++ ");
        vers_diff_escape(out, lb);
        strbuf_addch(out, '\n');
        size_t k = 0;
        while (k < n) {
                while (k < n && ed[k].op == '=')
                        k++;
                if (k == n)
                        break;
                /* a hunk: from CONTEXT before this change to CONTEXT after the last change
                 * that follows within 2*CONTEXT equal lines */
                size_t start = k > CONTEXT ? k - CONTEXT : 0;
                size_t end = k, last = k;
                while (end < n) {
                        if (ed[end].op != '=')
                                last = end;
                        else if (end - last > 2 * CONTEXT)
                                break;
                        end++;
                }
                end = last + 1 + CONTEXT < n ? last + 1 + CONTEXT : n;
                size_t ca = 0, cb = 0;
                for (size_t x = start; x < end; x++) {
                        ca += ed[x].op != '+';
                        cb += ed[x].op != '-';
                }
                strbuf_addf(out, "@@ -%zu,%zu +%zu,%zu @@\n", ed[start].ia + (ca > 0), ca,
                            ed[start].ib + (cb > 0), cb);
                for (size_t x = start; x < end; x++) {
                        if (ed[x].op == '+')
                                add_line(out, '+', b[ed[x].ib]);
                        else
                                add_line(out, ed[x].op == '=' ? ' ' : '-', a[ed[x].ia]);
                }
                k = end;
        }
        free(ed);
}

static void keep_row(struct vers_diff_table *t, long limit, char op, const char *key,
                     const char *ta, const char *tb, int64_t count)
{
        if ((long)t->n_rows >= limit)
                return;
        t->rows = xrealloc(t->rows, (t->n_rows + 1) * sizeof *t->rows);
        t->rows[t->n_rows++] =
            (struct vers_diff_row){op, key ? xstrndup(key, VERS_DIFF_TEXT_MAX * 4) : NULL,
                                   ta ? xstrndup(ta, VERS_DIFF_TEXT_MAX * 4) : NULL,
                                   tb ? xstrndup(tb, VERS_DIFF_TEXT_MAX * 4) : NULL, count};
}

/* a + b for counts of at most VERS_DIFF_COUNT_MAX each: saturated at INT64_MAX */
static int64_t sat_add(int64_t a, int64_t b)
{
        return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* the next item of one side, checked to come after the last one */
static int next_checked(vers_diff_next_fn *next, void *s, struct strbuf *prev, bool *have,
                        struct vers_diff_item *it, const char *side, vers_error_t *err)
{
        int r = next(s, it, err);
        if (r <= 0)
                return r;
        if (!it->key || (*have && strcmp(prev->buf, it->key) >= 0))
                return vers_make_error(err, 0, "%s sent rows out of key order", side);
        if (it->count < 1 || it->count > VERS_DIFF_COUNT_MAX)
                return vers_make_error(err, 0, "%s sent a row count out of range", side);
        strbuf_reset(prev);
        strbuf_addstr(prev, it->key);
        *have = true;
        return 1;
}

int vers_diff_merge(vers_diff_next_fn *next, void *a, void *b, bool multiset, long limit,
                    struct vers_diff_table *t, vers_error_t *err)
{
        _cleanup_strbuf_ struct strbuf pa = STRBUF_INIT;
        _cleanup_strbuf_ struct strbuf pb = STRBUF_INIT;
        bool ha = false, hb = false;
        struct vers_diff_item ia = {0}, ib = {0};
        int ra = next_checked(next, a, &pa, &ha, &ia, "A", err);
        if (ra < 0)
                return -1;
        int rb = next_checked(next, b, &pb, &hb, &ib, "B", err);
        if (rb < 0)
                return -1;
        while (ra > 0 || rb > 0) {
                int c = ra == 0 ? 1 : rb == 0 ? -1 : strcmp(ia.key, ib.key);
                bool adv_a = c <= 0, adv_b = c >= 0;
                if (c < 0) {
                        int64_t n = multiset ? ia.count : 1;
                        t->removed = sat_add(t->removed, n);
                        keep_row(t, limit, '-', multiset ? NULL : ia.key, ia.text, NULL, n);
                } else if (c > 0) {
                        int64_t n = multiset ? ib.count : 1;
                        t->added = sat_add(t->added, n);
                        keep_row(t, limit, '+', multiset ? NULL : ib.key, NULL, ib.text, n);
                } else if (multiset && ia.count != ib.count) {
                        int64_t d = ia.count - ib.count;
                        if (d > 0) {
                                t->removed = sat_add(t->removed, d);
                                keep_row(t, limit, '-', NULL, ia.text, NULL, d);
                        } else {
                                t->added = sat_add(t->added, -d);
                                keep_row(t, limit, '+', NULL, NULL, ib.text, -d);
                        }
                } else if (!multiset && strcmp(ia.hash ? ia.hash : "", ib.hash ? ib.hash : "")) {
                        t->changed = sat_add(t->changed, 1);
                        keep_row(t, limit, '~', ia.key, ia.text, ib.text, 1);
                }
                if (adv_a && (ra = next_checked(next, a, &pa, &ha, &ia, "A", err)) < 0)
                        return -1;
                if (adv_b && (rb = next_checked(next, b, &pb, &hb, &ib, "B", err)) < 0)
                        return -1;
        }
        return 0;
}

bool vers_diff_table_equal(const struct vers_diff_table *t)
{
        if (!t->in_a || !t->in_b || t->rows_a != t->rows_b)
                return false;
        if ((t->sum_a || t->sum_b) && (!t->sum_a || !t->sum_b || strcmp(t->sum_a, t->sum_b)))
                return false;
        return !t->added && !t->removed && !t->changed;
}
