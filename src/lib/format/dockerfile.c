#include "format/dockerfile.h"
#include "base/strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
        const char *name;
        enum vers_df_kind kind;
} keywords[] = {
    {"FROM", DF_FROM},
    {"RUN", DF_RUN},
    {"COPY", DF_COPY},
    {"ADD", DF_ADD},
    {"ENV", DF_ENV},
    {"ARG", DF_ARG},
    {"WORKDIR", DF_WORKDIR},
    {"USER", DF_USER},
    {"EXPOSE", DF_EXPOSE},
    {"CMD", DF_CMD},
    {"ENTRYPOINT", DF_ENTRYPOINT},
    {"LABEL", DF_LABEL},
    {"MAINTAINER", DF_MAINTAINER},
    {"STOPSIGNAL", DF_STOPSIGNAL},
};
#define N_KEYWORDS (sizeof keywords / sizeof keywords[0])

/* instructions Docker has and vers refuses, with the reason */
static const struct {
        const char *name;
        const char *why;
} refused[] = {
    {"VOLUME", "an env's whole filesystem is already branched with it"},
    {"HEALTHCHECK", "use a [services.*] template, whose readiness check 'vers run' waits for"},
    {"SHELL", "RUN and CMD in shell form always use /bin/sh -c"},
    {"ONBUILD", "images are not used as bases by other Dockerfiles this way"},
};

const char *vers_df_kind_name(enum vers_df_kind k)
{
        for (size_t i = 0; i < N_KEYWORDS; i++)
                if (keywords[i].kind == k)
                        return keywords[i].name;
        return "?";
}

__attribute__((format(printf, 5, 6))) static int df_error(vers_error_t *err, const char *file,
                                                          long line, long col, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vers_make_error_atv(err, file ? file : "Dockerfile", line, col, fmt, ap);
        va_end(ap);
        return -1;
}

/* ---- JSON arrays of strings (exec form) ----------------------------------------------- */

static void add_utf8(struct strbuf *sb, unsigned cp)
{
        if (cp < 0x80) {
                strbuf_addch(sb, (char)cp);
        } else if (cp < 0x800) {
                strbuf_addch(sb, (char)(0xc0 | (cp >> 6)));
                strbuf_addch(sb, (char)(0x80 | (cp & 0x3f)));
        } else if (cp < 0x10000) {
                strbuf_addch(sb, (char)(0xe0 | (cp >> 12)));
                strbuf_addch(sb, (char)(0x80 | ((cp >> 6) & 0x3f)));
                strbuf_addch(sb, (char)(0x80 | (cp & 0x3f)));
        } else {
                strbuf_addch(sb, (char)(0xf0 | (cp >> 18)));
                strbuf_addch(sb, (char)(0x80 | ((cp >> 12) & 0x3f)));
                strbuf_addch(sb, (char)(0x80 | ((cp >> 6) & 0x3f)));
                strbuf_addch(sb, (char)(0x80 | (cp & 0x3f)));
        }
}

static int hex4(const char *p, unsigned *out)
{
        unsigned v = 0;
        for (int i = 0; i < 4; i++) {
                int c = (unsigned char)p[i];
                if (!isxdigit(c))
                        return -1;
                v = v * 16 + (unsigned)(isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10));
        }
        *out = v;
        return 0;
}

/* Parse a JSON array of strings filling the whole text. Returns 0 and the strings, or -1
 * with *bad_at pointing at the offending character. */
static int json_strings(const char *text, char ***out, const char **bad_at)
{
        const char *p = text;
        char **v = NULL;
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
#define SKIP_WS()                                                                                  \
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')                                \
        p++
        SKIP_WS();
        if (*p != '[')
                goto bad;
        p++;
        SKIP_WS();
        if (*p == ']') {
                p++;
                goto end;
        }
        for (;;) {
                SKIP_WS();
                if (*p != '"')
                        goto bad;
                p++;
                strbuf_reset(&sb);
                while (*p != '"') {
                        unsigned char c = (unsigned char)*p;
                        if (c == '\0' || c < 0x20)
                                goto bad;
                        if (c != '\\') {
                                strbuf_addch(&sb, (char)c);
                                p++;
                                continue;
                        }
                        p++;
                        unsigned cp;
                        switch (*p) {
                        case '"':
                                strbuf_addch(&sb, '"');
                                break;
                        case '\\':
                                strbuf_addch(&sb, '\\');
                                break;
                        case '/':
                                strbuf_addch(&sb, '/');
                                break;
                        case 'b':
                                strbuf_addch(&sb, '\b');
                                break;
                        case 'f':
                                strbuf_addch(&sb, '\f');
                                break;
                        case 'n':
                                strbuf_addch(&sb, '\n');
                                break;
                        case 'r':
                                strbuf_addch(&sb, '\r');
                                break;
                        case 't':
                                strbuf_addch(&sb, '\t');
                                break;
                        case 'u':
                                if (hex4(p + 1, &cp) < 0)
                                        goto bad;
                                p += 4;
                                if (cp >= 0xd800 && cp < 0xdc00 && p[1] == '\\' && p[2] == 'u') {
                                        unsigned lo;
                                        if (hex4(p + 3, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
                                                cp =
                                                    0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                                                p += 6;
                                        }
                                }
                                if (cp == 0 || (cp >= 0xd800 && cp < 0xe000))
                                        goto bad;
                                add_utf8(&sb, cp);
                                break;
                        default:
                                goto bad;
                        }
                        p++;
                }
                p++;
                strv_push(&v, sb.buf);
                SKIP_WS();
                if (*p == ',') {
                        p++;
                        continue;
                }
                if (*p == ']') {
                        p++;
                        break;
                }
                goto bad;
        }
end:
        SKIP_WS();
        if (*p)
                goto bad;
#undef SKIP_WS
        if (!v)
                v = xcalloc(1, sizeof *v);
        *out = v;
        return 0;
bad:
        strv_free(v);
        *bad_at = p;
        return -1;
}

/* ---- lines ---------------------------------------------------------------------------- */

struct reader {
        const char *p;
        long line;
        const char *file;
        vers_error_t *err;
};

/* Take the next physical line (without its newline) from r; NULL at the end. */
static const char *next_line(struct reader *r, size_t *len)
{
        if (!*r->p)
                return NULL;
        const char *s = r->p;
        const char *nl = strchr(s, '\n');
        *len = nl ? (size_t)(nl - s) : strlen(s);
        r->p = nl ? nl + 1 : s + *len;
        r->line++;
        if (*len && s[*len - 1] == '\r')
                (*len)--;
        return s;
}

static bool blank_or_comment(const char *s, size_t len)
{
        size_t i = 0;
        while (i < len && (s[i] == ' ' || s[i] == '\t'))
                i++;
        return i == len || s[i] == '#';
}

/* Does the line end in a continuation backslash? Strips it (and trailing blanks). */
static bool continues(struct strbuf *sb)
{
        size_t n = sb->len;
        while (n && (sb->buf[n - 1] == ' ' || sb->buf[n - 1] == '\t'))
                n--;
        if (n && sb->buf[n - 1] == '\\') {
                sb->len = n - 1;
                sb->buf[sb->len] = '\0';
                return true;
        }
        return false;
}

static void instr_clear(struct vers_df_instr *in)
{
        free(in->args);
        strv_free(in->argv);
        strv_free(in->flags);
        free(in->stage_name);
        free(in->from);
}

void vers_dockerfile_free(struct vers_dockerfile *df)
{
        for (size_t i = 0; i < df->n; i++)
                instr_clear(&df->v[i]);
        free(df->v);
        free(df->filename);
        memset(df, 0, sizeof *df);
}

static bool is_exec_candidate(const char *a)
{
        if (*a != '[')
                return false;
        a++;
        while (*a == ' ' || *a == '\t')
                a++;
        return *a == '"' || *a == ']';
}

/* COPY/ADD: split off leading --name=value flags */
static int take_flags(struct vers_df_instr *in, const char *file, vers_error_t *err)
{
        char *a = in->args;
        while (a[0] == '-' && a[1] == '-') {
                size_t n = strcspn(a, " \t");
                _cleanup_free_ char *flag = xstrndup(a, n);
                long col = in->args_col + (long)(a - in->args);
                const char *eq = strchr(flag, '=');
                size_t name_len = eq ? (size_t)(eq - flag) : n;
                bool from = name_len == 6 && !strncmp(flag, "--from", 6);
                if (from && in->kind == DF_ADD)
                        return df_error(err, file, in->line, col,
                                        "ADD takes no --from (COPY --from copies from a stage "
                                        "or an image)");
                if (!from && !((name_len == 7 && !strncmp(flag, "--chown", 7)) ||
                               (name_len == 7 && !strncmp(flag, "--chmod", 7))))
                        return df_error(err, file, in->line, col, "%s: unknown option '%.*s'",
                                        vers_df_kind_name(in->kind), (int)name_len, flag);
                if (!eq || !eq[1])
                        return df_error(err, file, in->line, col, "%s: option '%.*s' needs a value",
                                        vers_df_kind_name(in->kind), (int)name_len, flag);
                if (from && in->from)
                        return df_error(err, file, in->line, col, "COPY: --from given twice");
                if (from && strchr(eq, '$'))
                        return df_error(err, file, in->line, col,
                                        "COPY --from=%s: variables are not substituted in --from",
                                        eq + 1);
                if (from) {
                        in->from = xstrdup(eq + 1);
                        in->from_col = col;
                } else {
                        strv_push(&in->flags, flag);
                }
                a += n;
                while (*a == ' ' || *a == '\t')
                        a++;
        }
        if (a != in->args) {
                in->args_col += (long)(a - in->args);
                memmove(in->args, a, strlen(a) + 1);
        }
        return 0;
}

static int check_instr(struct vers_df_instr *in, const char *file, vers_error_t *err)
{
        const char *name = vers_df_kind_name(in->kind);
        if (!in->args[0])
                return df_error(err, file, in->line, in->args_col, "%s needs arguments", name);
        if ((in->kind == DF_COPY || in->kind == DF_ADD) && take_flags(in, file, err) < 0)
                return -1;
        if (!in->args[0])
                return df_error(err, file, in->line, in->args_col,
                                "%s needs a source and a "
                                "destination",
                                name);
        bool json_ok = in->kind == DF_RUN || in->kind == DF_CMD || in->kind == DF_ENTRYPOINT ||
                       in->kind == DF_COPY || in->kind == DF_ADD;
        if (in->kind == DF_RUN && !strncmp(in->args, "<<", 2))
                return df_error(err, file, in->line, in->args_col,
                                "RUN with a heredoc (<<) is not supported; put the script in a "
                                "file and COPY it");
        if (json_ok && is_exec_candidate(in->args)) {
                const char *bad = NULL;
                if (json_strings(in->args, &in->argv, &bad) < 0)
                        return df_error(err, file, in->line, in->args_col + (long)(bad - in->args),
                                        "%s: malformed JSON array (exec form)", name);
                in->exec_form = true;
                size_t n = strv_len(in->argv);
                if ((in->kind == DF_RUN && n == 0) ||
                    ((in->kind == DF_COPY || in->kind == DF_ADD) && n < 2))
                        return df_error(
                            err, file, in->line, in->args_col, "%s: the array needs %s", name,
                            in->kind == DF_RUN ? "a command" : "a source and a destination");
        }
        if (in->kind == DF_FROM && !strncmp(in->args, "--platform", 10))
                return df_error(err, file, in->line, in->args_col,
                                "FROM --platform is not supported (envs run on this machine)");
        return 0;
}

/* ---- stages ---------------------------------------------------------------------------- */

/* Docker's rule for a stage name (lowercased first): [a-z][a-z0-9._-]* */
static bool stage_name_ok(const char *n)
{
        if (!islower((unsigned char)n[0]))
                return false;
        for (const char *c = n; *c; c++)
                if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) &&
                    !strchr("._-", *c))
                        return false;
        return true;
}

/* The earlier FROM of out named name, or NULL */
static const struct vers_df_instr *stage_named(const struct vers_dockerfile *out, const char *name)
{
        for (size_t i = 0; i < out->n; i++)
                if (out->v[i].kind == DF_FROM && out->v[i].stage_name &&
                    !strcmp(out->v[i].stage_name, name))
                        return &out->v[i];
        return NULL;
}

/* FROM ... AS name: the last two words of in (in, the last of out, is not yet among them) */
static int take_stage_name(struct vers_dockerfile *out, struct vers_df_instr *in, const char *file,
                           vers_error_t *err)
{
        const char *a = in->args;
        const char *w[64];
        size_t len[64], n = 0;
        for (const char *p = a; *p && n < 64;) {
                p += strspn(p, " \t");
                if (!*p)
                        break;
                w[n] = p;
                len[n] = strcspn(p, " \t");
                p += len[n++];
        }
        if (n < 3 || len[n - 2] != 2 || strncasecmp(w[n - 2], "AS", 2))
                return 0;
        long col = in->args_col + (long)(w[n - 1] - a);
        _cleanup_free_ char *name = xstrndup(w[n - 1], len[n - 1]);
        for (char *c = name; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        if (!stage_name_ok(name))
                return df_error(err, file, in->line, col,
                                "FROM ... AS %.*s: a stage name is a letter, then letters, "
                                "digits, '.', '_' or '-'",
                                (int)len[n - 1], w[n - 1]);
        const struct vers_df_instr *first = stage_named(out, name);
        if (first)
                return df_error(err, file, in->line, col,
                                "duplicate stage name '%s' (the first is on line %ld)", name,
                                first->line);
        in->stage_name = steal_pointer(&name);
        return 0;
}

/* COPY --from=X: an earlier stage, by index or name, or else an image (-1) */
static int resolve_from(const struct vers_dockerfile *out, struct vers_df_instr *in,
                        const char *file, vers_error_t *err)
{
        const char *x = in->from;
        in->from_stage = -1;
        if (strspn(x, "0123456789") == strlen(x)) {
                long idx = strlen(x) > 9 ? -1 : strtol(x, NULL, 10);
                if (idx < 0 || idx >= in->stage)
                        return df_error(err, file, in->line, in->from_col,
                                        "COPY --from=%s: not an earlier stage (this one is stage "
                                        "%d, counting from 0)",
                                        x, in->stage);
                in->from_stage = (int)idx;
                return 0;
        }
        _cleanup_free_ char *name = xstrdup(x);
        for (char *c = name; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        const struct vers_df_instr *st = stage_named(out, name);
        if (!st)
                return 0;
        if (st->stage == in->stage)
                return df_error(err, file, in->line, in->from_col,
                                "COPY --from=%s: that is the stage this COPY is in", x);
        if (st->stage > in->stage)
                return df_error(err, file, in->line, in->from_col,
                                "COPY --from=%s: that stage comes later (line %ld); copy from an "
                                "earlier one",
                                x, st->line);
        in->from_stage = st->stage;
        return 0;
}

int vers_dockerfile_parse(const char *text, const char *filename, struct vers_dockerfile *out,
                          vers_error_t *err)
{
        memset(out, 0, sizeof *out);
        out->filename = xstrdup(filename ? filename : "Dockerfile");
        const char *file = out->filename;
        struct reader r = {text, 0, file, err};
        const char *s;
        size_t len;
        long froms = 0;
        while ((s = next_line(&r, &len)) != NULL) {
                if (blank_or_comment(s, len))
                        continue;
                size_t i = 0;
                while (i < len && (s[i] == ' ' || s[i] == '\t'))
                        i++;
                size_t k = i;
                while (k < len && (isalnum((unsigned char)s[k]) || s[k] == '_'))
                        k++;
                long line = r.line, col = (long)i + 1;
                if (k == i || (k < len && s[k] != ' ' && s[k] != '\t' && s[k] != '\\'))
                        return df_error(
                            err, file, line, col, "expected an instruction, found '%.*s'",
                            (int)(len - i < strcspn(s + i, " \t\r\n") ? len - i
                                                                      : strcspn(s + i, " \t\r\n")),
                            s + i);
                char word[32];
                size_t wl = k - i < sizeof word - 1 ? k - i : sizeof word - 1;
                for (size_t j = 0; j < wl; j++)
                        word[j] = (char)toupper((unsigned char)s[i + j]);
                word[wl] = '\0';
                int kind = -1;
                for (size_t j = 0; j < N_KEYWORDS; j++)
                        if (k - i == strlen(keywords[j].name) && !strcmp(word, keywords[j].name))
                                kind = (int)keywords[j].kind;
                if (kind < 0) {
                        for (size_t j = 0; j < sizeof refused / sizeof refused[0]; j++)
                                if (!strcmp(word, refused[j].name))
                                        return df_error(err, file, line, col,
                                                        "%s is not supported by vers (%s)", word,
                                                        refused[j].why);
                        return df_error(err, file, line, col, "unknown instruction '%.*s'",
                                        (int)(k - i), s + i);
                }
                while (k < len && (s[k] == ' ' || s[k] == '\t'))
                        k++;
                _cleanup_strbuf_ struct strbuf args = STRBUF_INIT;
                strbuf_add(&args, s + k, len - k);
                while (continues(&args)) {
                        const char *t;
                        size_t tl;
                        do {
                                t = next_line(&r, &tl);
                        } while (t && blank_or_comment(t, tl));
                        if (!t)
                                break;
                        strbuf_add(&args, t, tl);
                }
                /* trim trailing blanks */
                while (args.len &&
                       (args.buf[args.len - 1] == ' ' || args.buf[args.len - 1] == '\t'))
                        args.buf[--args.len] = '\0';
                if (kind == DF_FROM)
                        froms++;
                if (froms == 0 && kind != DF_ARG)
                        return df_error(err, file, line, col,
                                        "%s before FROM (only ARG may come before FROM)", word);
                out->v = xrealloc(out->v, (out->n + 1) * sizeof *out->v);
                struct vers_df_instr *in = &out->v[out->n++];
                *in = (struct vers_df_instr){
                    .kind = (enum vers_df_kind)kind,
                    .line = line,
                    .col = col,
                    .args_col = (long)k + 1,
                    .args = strbuf_detach(&args),
                    .stage = (int)froms - 1,
                    .from_stage = -1,
                };
                if (check_instr(in, file, err) < 0)
                        return -1;
                /* out->n counts in: its own name is not yet a duplicate */
                out->n--;
                int rc = kind == DF_FROM ? take_stage_name(out, in, file, err) : 0;
                out->n++;
                if (rc < 0)
                        return -1;
        }
        if (froms == 0)
                return df_error(err, file, r.line ? r.line : 1, 1, "no FROM instruction");
        out->nstages = (int)froms;
        /* --from may name any stage; only an earlier one is allowed, which needs them all */
        for (size_t i = 0; i < out->n; i++)
                if (out->v[i].from && resolve_from(out, &out->v[i], file, err) < 0)
                        return -1;
        return 0;
}

int vers_dockerfile_load(const char *path, struct vers_dockerfile *out, vers_error_t *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        memset(out, 0, sizeof *out);
        if (vers_read_regular_file(path, VERS_PROJECT_FILE_MAX, &text, &len, err) < 0)
                return -1;
        const char *nul = memchr(text, '\0', len);
        if (nul) {
                long line = 1;
                for (const char *c = text; c < nul; c++)
                        line += *c == '\n';
                return df_error(err, path, line, 1, "a NUL byte: this is not a text file");
        }
        return vers_dockerfile_parse(text, path, out, err);
}

/* ---- words and variables -------------------------------------------------------------- */

const char *vers_df_var(char *const *vars, const char *name, size_t len)
{
        const char *found = NULL;
        for (size_t i = 0; vars && vars[i]; i++)
                if (!strncmp(vars[i], name, len) && vars[i][len] == '=')
                        found = vars[i] + len + 1;
        return found;
}

void vers_df_setvar(char ***vars, const char *name, const char *value)
{
        size_t len = strlen(name);
        for (size_t i = 0; *vars && (*vars)[i]; i++) {
                if (!strncmp((*vars)[i], name, len) && (*vars)[i][len] == '=') {
                        free((*vars)[i]);
                        (*vars)[i] = xasprintf("%s=%s", name, value);
                        return;
                }
        }
        _cleanup_free_ char *kv = xasprintf("%s=%s", name, value);
        strv_push(vars, kv);
}

struct lexer {
        const char *p;
        char *const *vars;
        const char *file;
        long line, col;
        const char *start;
        vers_error_t *err;
};

static int expand(struct lexer *lx, struct strbuf *out, int depth);

/* p at '$': append the expansion and advance */
static int dollar(struct lexer *lx, struct strbuf *out, int depth)
{
        const char *p = lx->p + 1;
        if (*p == '{') {
                p++;
                const char *name = p;
                while (isalnum((unsigned char)*p) || *p == '_')
                        p++;
                size_t nlen = (size_t)(p - name);
                if (nlen == 0)
                        return df_error(lx->err, lx->file, lx->line,
                                        lx->col + (long)(lx->p - lx->start),
                                        "bad substitution: a variable name must follow '${'");
                const char *val = vers_df_var(lx->vars, name, nlen);
                char op = 0;
                if (p[0] == ':' && (p[1] == '-' || p[1] == '+')) {
                        op = p[1];
                        p += 2;
                } else if (*p != '}') {
                        return df_error(lx->err, lx->file, lx->line,
                                        lx->col + (long)(p - lx->start),
                                        "bad substitution: expected '}', ':-' or ':+'");
                }
                /* the word runs to the matching brace */
                const char *w = p;
                int level = 1;
                for (; *p; p++) {
                        if (*p == '\\' && p[1]) {
                                p++;
                        } else if (*p == '{') {
                                level++;
                        } else if (*p == '}' && --level == 0) {
                                break;
                        }
                }
                if (*p != '}')
                        return df_error(lx->err, lx->file, lx->line,
                                        lx->col + (long)(lx->p - lx->start), "unterminated '${'");
                bool use_word = (op == '-' && (!val || !*val)) || (op == '+' && val && *val);
                if (use_word) {
                        _cleanup_free_ char *word = xstrndup(w, (size_t)(p - w));
                        struct lexer sub = *lx;
                        sub.p = word;
                        if (depth > 8)
                                return df_error(lx->err, lx->file, lx->line, lx->col,
                                                "substitutions nested too deeply");
                        if (expand(&sub, out, depth + 1) < 0)
                                return -1;
                } else if (op != '+' && val) {
                        strbuf_addstr(out, val);
                }
                lx->p = p + 1;
                return 0;
        }
        if (isalpha((unsigned char)*p) || *p == '_') {
                const char *name = p;
                while (isalnum((unsigned char)*p) || *p == '_')
                        p++;
                const char *val = vers_df_var(lx->vars, name, (size_t)(p - name));
                if (val)
                        strbuf_addstr(out, val);
                lx->p = p;
                return 0;
        }
        strbuf_addch(out, '$');
        lx->p++;
        return 0;
}

/* a substitution's word: expansions and backslashes, no quotes or splitting */
static int expand(struct lexer *lx, struct strbuf *out, int depth)
{
        while (*lx->p) {
                if (*lx->p == '\\' && lx->p[1]) {
                        strbuf_addch(out, lx->p[1]);
                        lx->p += 2;
                } else if (*lx->p == '$') {
                        if (dollar(lx, out, depth) < 0)
                                return -1;
                } else {
                        strbuf_addch(out, *lx->p++);
                }
        }
        return 0;
}

int vers_df_words(const char *text, char *const *vars, const char *file, long line, long col,
                  char ***words, vers_error_t *err)
{
        struct lexer lx = {text, vars, file, line, col, text, err};
        char **v = xcalloc(1, sizeof *v);
        _cleanup_strbuf_ struct strbuf w = STRBUF_INIT;
        for (;;) {
                while (*lx.p == ' ' || *lx.p == '\t' || *lx.p == '\n')
                        lx.p++;
                if (!*lx.p)
                        break;
                strbuf_reset(&w);
                bool quoted = false; /* "" is a word; an unquoted empty expansion is not */
                while (*lx.p && *lx.p != ' ' && *lx.p != '\t' && *lx.p != '\n') {
                        char c = *lx.p;
                        if (c == '\\') {
                                if (lx.p[1])
                                        strbuf_addch(&w, lx.p[1]);
                                lx.p += lx.p[1] ? 2 : 1;
                        } else if (c == '\'' || c == '"') {
                                const char *open = lx.p++;
                                quoted = true;
                                while (*lx.p && *lx.p != c) {
                                        if (c == '"' && *lx.p == '\\' && lx.p[1] &&
                                            strchr("\"\\$", lx.p[1])) {
                                                strbuf_addch(&w, lx.p[1]);
                                                lx.p += 2;
                                        } else if (c == '"' && *lx.p == '$') {
                                                if (dollar(&lx, &w, 0) < 0)
                                                        goto fail;
                                        } else {
                                                strbuf_addch(&w, *lx.p++);
                                        }
                                }
                                if (!*lx.p) {
                                        df_error(err, file, line, col + (long)(open - text),
                                                 "unterminated %s quote",
                                                 c == '"' ? "double" : "single");
                                        goto fail;
                                }
                                lx.p++;
                        } else if (c == '$') {
                                if (dollar(&lx, &w, 0) < 0)
                                        goto fail;
                        } else {
                                strbuf_addch(&w, c);
                                lx.p++;
                        }
                }
                if (w.len || quoted)
                        strv_push(&v, w.buf);
        }
        *words = v;
        return 0;
fail:
        strv_free(v);
        return -1;
}

/* ---- .dockerignore ---------------------------------------------------------------------- */

/* A pattern as Docker cleans it: trimmed, no leading '/', no empty or '.' segments, no
 * trailing '/', no '**' twice in a row. Returns NULL for what matches nothing. */
static char *clean_pattern(const char *p, size_t len)
{
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        size_t i = 0;
        while (i < len) {
                while (i < len && p[i] == '/')
                        i++;
                size_t s = i;
                while (i < len && p[i] != '/')
                        i++;
                if (i == s || (i - s == 1 && p[s] == '.'))
                        continue;
                /* '**' twice in a row means what it means once, without the search */
                if (i - s == 2 && !strncmp(p + s, "**", 2) &&
                    (!strcmp(sb.buf, "**") || str_endswith(sb.buf, "/**")))
                        continue;
                if (sb.len)
                        strbuf_addch(&sb, '/');
                strbuf_add(&sb, p + s, i - s);
        }
        return sb.len ? strbuf_detach(&sb) : NULL;
}

void vers_df_ignore_parse(const char *text, struct vers_df_ignore *ig)
{
        memset(ig, 0, sizeof *ig);
        for (const char *l = text; l && *l;) {
                const char *nl = strchr(l, '\n');
                size_t len = nl ? (size_t)(nl - l) : strlen(l);
                const char *next = nl ? nl + 1 : NULL;
                while (len && isspace((unsigned char)*l))
                        l++, len--;
                while (len && isspace((unsigned char)l[len - 1]))
                        len--;
                if (len && *l != '#') {
                        bool neg = *l == '!';
                        if (neg) {
                                l++, len--;
                                while (len && isspace((unsigned char)*l))
                                        l++, len--;
                        }
                        _cleanup_free_ char *c = clean_pattern(l, len);
                        if (c) {
                                _cleanup_free_ char *p = xasprintf("%s%s", neg ? "!" : "", c);
                                strv_push(&ig->pats, p);
                                ig->has_exceptions |= neg;
                        }
                }
                l = next;
        }
}

void vers_df_ignore_clear(struct vers_df_ignore *ig)
{
        strv_free(ig->pats);
        memset(ig, 0, sizeof *ig);
}

/* Does pattern pat match path, segment by segment ('**' spans any number of segments)? */
static bool segments_match(const char *pat, const char *path)
{
        size_t pl = strcspn(pat, "/");
        if (pl == 2 && !strncmp(pat, "**", 2)) {
                if (!pat[2])
                        return true;
                for (const char *p = path;;) {
                        if (segments_match(pat + 3, p))
                                return true;
                        p = strchr(p, '/');
                        if (!p)
                                return false;
                        p++;
                }
        }
        size_t sl = strcspn(path, "/");
        if (!*path)
                return false;
        _cleanup_free_ char *ps = xstrndup(pat, pl);
        _cleanup_free_ char *ss = xstrndup(path, sl);
        if (fnmatch(ps, ss, 0) != 0)
                return false;
        if (!pat[pl])
                return !path[sl];
        if (!path[sl])
                return false;
        return segments_match(pat + pl + 1, path + sl + 1);
}

/* Docker's rule: a pattern excludes the path or any directory it is in. */
static bool matches_or_parent(const char *pat, const char *rel)
{
        if (segments_match(pat, rel))
                return true;
        for (const char *s = strchr(rel, '/'); s; s = strchr(s + 1, '/')) {
                _cleanup_free_ char *parent = xstrndup(rel, (size_t)(s - rel));
                if (segments_match(pat, parent))
                        return true;
        }
        return false;
}

bool vers_df_ignored(const struct vers_df_ignore *ig, const char *rel)
{
        bool ignored = false;
        for (size_t i = 0; ig->pats && ig->pats[i]; i++) {
                const char *p = ig->pats[i];
                bool neg = *p == '!';
                if (ignored != neg)
                        continue; /* this rule cannot change the outcome */
                if (matches_or_parent(p + neg, rel))
                        ignored = !neg;
        }
        return ignored;
}
