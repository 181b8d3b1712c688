/* options — parsing a command line against a struct cli_spec, and the usage and --help that
 * the same spec produces. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#define WRAP 88     /* usage lines wrap before this column */
#define HELP_COL 24 /* where an option's help starts, unless its names are shorter */

static const struct cli_opt help_opt = {'h', "h", "help", NULL, "show this help", 0, 0};

struct cli_parse cli_parse_start(const struct cli_spec *spec, int argc, char **argv)
{
        return (struct cli_parse){
            .spec = spec,
            .argc = argc,
            .argv = argv,
            .i = 1,
            .dashdash = -1,
            .operands = xcalloc((size_t)(argc > 0 ? argc : 1), sizeof(char *)),
        };
}

void cli_parse_release(struct cli_parse *p)
{
        free(p->operands);
        p->operands = NULL;
}

int cli_parse_exit(int c)
{
        return c == CLI_HELP ? 0 : c == CLI_BAD ? EXIT_USAGE : c;
}

int cli_parse_flags(struct cli_parse *p, bool *json, bool *all)
{
        int c;
        while ((c = cli_next(p)) > 0) {
                if (c == CLI_ID_JSON && json)
                        *json = true;
                if (c == 'a' && all)
                        *all = true;
        }
        return c < 0 ? cli_parse_exit(c) : 0;
}

static void print_spec_usage(const struct cli_spec *spec, FILE *f, const char *first_prefix);

static int complain(const struct cli_spec *spec, const char *fmt, va_list ap)
{
        fputs("vers: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        print_spec_usage(spec, stderr, "usage: ");
        return EXIT_USAGE;
}

int cli_usage_error(const struct cli_spec *spec, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        complain(spec, fmt, ap);
        va_end(ap);
        return EXIT_USAGE;
}

static int bad(struct cli_parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct cli_parse *p, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        complain(p->spec, fmt, ap);
        va_end(ap);
        return CLI_BAD;
}

/* "--name" or "-x": how a complaint names o */
static char *opt_label(const struct cli_opt *o)
{
        return o->name ? xasprintf("--%s", o->name) : xasprintf("-%c", o->shorts[0]);
}

static const struct cli_opt *find_short(const struct cli_spec *spec, char c)
{
        for (const struct cli_opt *o = spec->opts; o && o->id; o++)
                if (o->shorts && strchr(o->shorts, c))
                        return o;
        return c == 'h' ? &help_opt : NULL;
}

/* exact, else unique prefix (as getopt_long): NULL, and *ambiguous when several match */
static const struct cli_opt *find_long(const struct cli_spec *spec, const char *name, size_t n,
                                       bool *ambiguous)
{
        *ambiguous = false;
        for (const struct cli_opt *o = spec->opts; o && o->id; o++)
                if (o->name && strlen(o->name) == n && !strncmp(o->name, name, n))
                        return o;
        if (n == 4 && !strncmp(name, "help", 4))
                return &help_opt;
        const struct cli_opt *hit = NULL;
        int hits = 0;
        for (const struct cli_opt *o = spec->opts; n && o && o->id; o++) {
                if (o->name && !strncmp(o->name, name, n)) {
                        hit = o;
                        hits++;
                }
        }
        if (n && n < 4 && !strncmp("help", name, n)) {
                hit = &help_opt;
                hits++;
        }
        *ambiguous = hits > 1;
        return hits == 1 ? hit : NULL;
}

static int take_value(struct cli_parse *p, const struct cli_opt *o, const char *value)
{
        p->arg = value;
        p->num = 0;
        if (o->min < o->max) {
                char *end;
                errno = 0;
                long v = strtol(value, &end, 10);
                if (!*value || *end || errno || v < o->min || v > o->max) {
                        _cleanup_free_ char *l = opt_label(o);
                        return bad(p, "'%s' takes %ld..%ld, not '%s'", l, o->min, o->max, value);
                }
                p->num = v;
        }
        return o->id;
}

static int finish(struct cli_parse *p)
{
        const struct cli_spec *s = p->spec;
        if (p->n_operands < s->min_operands)
                return bad(p, "%s", s->missing ? s->missing : "missing operand");
        if (s->max_operands >= 0 && p->n_operands > s->max_operands)
                return bad(p, "unexpected argument '%s'", p->operands[s->max_operands]);
        return CLI_DONE;
}

int cli_next(struct cli_parse *p)
{
        p->arg = NULL;
        p->num = 0;
        if (p->rest) {
                char c = *p->rest++;
                const struct cli_opt *o = find_short(p->spec, c);
                if (!o)
                        return bad(p, "unknown option '-%c'", c);
                if (o == &help_opt)
                        return CLI_HELP;
                if (!o->arg) {
                        if (!*p->rest)
                                p->rest = NULL;
                        return o->id;
                }
                const char *value = *p->rest ? p->rest : p->i < p->argc ? p->argv[p->i++] : NULL;
                p->rest = NULL;
                if (!value)
                        return bad(p, "option '-%c' needs an argument (%s)", c, o->arg);
                return take_value(p, o, value);
        }
        while (p->i < p->argc) {
                char *a = p->argv[p->i];
                if (p->done || a[0] != '-' || a[1] == '\0') {
                        p->operands[p->n_operands++] = a;
                        p->i++;
                        continue;
                }
                p->i++;
                if (!strcmp(a, "--")) {
                        p->done = true;
                        p->dashdash = p->n_operands;
                        continue;
                }
                if (a[1] != '-') {
                        p->rest = a + 1;
                        return cli_next(p);
                }
                const char *name = a + 2, *eq = strchr(name, '=');
                size_t n = eq ? (size_t)(eq - name) : strlen(name);
                bool ambiguous;
                const struct cli_opt *o = find_long(p->spec, name, n, &ambiguous);
                if (!o)
                        return bad(p, "%s option '--%.*s'", ambiguous ? "ambiguous" : "unknown",
                                   (int)n, name);
                if (o == &help_opt)
                        return CLI_HELP;
                if (!o->arg) {
                        if (eq)
                                return bad(p, "option '--%s' takes no argument", o->name);
                        return o->id;
                }
                const char *value = eq ? eq + 1 : p->i < p->argc ? p->argv[p->i++] : NULL;
                if (!value)
                        return bad(p, "option '--%s' needs an argument (%s)", o->name, o->arg);
                return take_value(p, o, value);
        }
        return finish(p);
}

/* ---- usage and help ---------------------------------------------------------------------- */

/* "[-n|-N|--alias NAME]" */
static char *usage_item(const struct cli_opt *o)
{
        struct strbuf sb = STRBUF_INIT;
        strbuf_addch(&sb, '[');
        for (const char *c = o->shorts; c && *c; c++)
                strbuf_addf(&sb, "%s-%c", c == o->shorts ? "" : "|", *c);
        if (o->name)
                strbuf_addf(&sb, "%s--%s", o->shorts ? "|" : "", o->name);
        if (o->arg)
                strbuf_addf(&sb, " %s", o->arg);
        strbuf_addch(&sb, ']');
        return strbuf_detach(&sb);
}

/* One usage line: prefix "vers NAME OPERANDS [OPTION]...", wrapped under its first word
 * after the name. */
static void usage_line(const struct cli_spec *spec, const char *name, const char *prefix,
                       const char *operands, bool with_options, FILE *f)
{
        struct strbuf line = STRBUF_INIT;
        strbuf_addf(&line, "%svers %s", prefix, name);
        size_t indent = line.len + 1;
        if (operands && *operands)
                strbuf_addf(&line, " %s", operands);
        for (const struct cli_opt *o = spec->opts; with_options && o && o->id; o++) {
                _cleanup_free_ char *item = usage_item(o);
                if (line.len + 1 + strlen(item) > WRAP && line.len > indent) {
                        fprintf(f, "%s\n", line.buf);
                        strbuf_reset(&line);
                        strbuf_addf(&line, "%*s%s", (int)indent, "", item);
                } else {
                        strbuf_addf(&line, " %s", item);
                }
        }
        fprintf(f, "%s\n", line.buf);
        strbuf_release(&line);
}

/* spec's usage lines under name (the command's, or its alias) */
static void print_spec_usage_as(const struct cli_spec *spec, const char *name, FILE *f,
                                const char *first_prefix)
{
        usage_line(spec, name, first_prefix, spec->operands, true, f);
        _cleanup_free_ char *more = spec->more ? xstrdup(spec->more) : NULL;
        char *save = NULL;
        for (char *l = more ? strtok_r(more, "\n", &save) : NULL; l;
             l = strtok_r(NULL, "\n", &save))
                usage_line(spec, name, "       ", l, false, f);
}

static void print_spec_usage(const struct cli_spec *spec, FILE *f, const char *first_prefix)
{
        print_spec_usage_as(spec, spec->name, f, first_prefix);
}

void cli_print_usage(const struct cli_cmd *cmd, FILE *f, const char *first_prefix)
{
        const char *prefix = first_prefix;
        if (cmd->fn) {
                print_spec_usage(cmd->spec, f, prefix);
                prefix = "       ";
                if (cmd->alias)
                        usage_line(cmd->spec, cmd->alias, prefix, cmd->spec->operands, true, f);
        }
        for (const struct cli_cmd *s = cmd->subs; s && s->name; s++) {
                print_spec_usage(s->spec, f, prefix);
                prefix = "       ";
        }
}

/* "  -n, -N, --alias NAME" */
static char *help_names(const struct cli_opt *o)
{
        struct strbuf sb = STRBUF_INIT;
        strbuf_addstr(&sb, "  ");
        for (const char *c = o->shorts; c && *c; c++)
                strbuf_addf(&sb, "-%c%s", *c, c[1] || o->name ? ", " : "");
        if (!o->shorts)
                strbuf_addstr(&sb, "    ");
        if (o->name)
                strbuf_addf(&sb, "--%s", o->name);
        if (o->arg)
                strbuf_addf(&sb, " %s", o->arg);
        return strbuf_detach(&sb);
}

/* names, then help from column col, its later lines indented to col */
static void help_entry(FILE *f, const char *names, const char *help, int col)
{
        if ((int)strlen(names) + 2 > col)
                fprintf(f, "%s\n%*s", names, col, "");
        else
                fprintf(f, "%-*s", col, names);
        for (const char *h = help ? help : ""; *h; h++) {
                fputc(*h, f);
                if (*h == '\n' && h[1])
                        fprintf(f, "%*s", col, "");
        }
        fputc('\n', f);
}

void cli_print_help(const struct cli_cmd *cmd, FILE *f)
{
        const struct cli_spec *spec = cmd->spec;
        cli_print_usage(cmd, f, "usage: ");
        if (spec->about)
                fprintf(f, "\n%s", spec->about);
        int col = 0;
        for (const struct cli_opt *o = spec->opts; o && o->id; o++) {
                _cleanup_free_ char *names = help_names(o);
                int w = (int)strlen(names) + 2;
                if (w > col && w <= HELP_COL)
                        col = w;
        }
        _cleanup_free_ char *hn = help_names(&help_opt);
        if ((int)strlen(hn) + 2 > col)
                col = (int)strlen(hn) + 2;
        fputc('\n', f);
        for (const struct cli_opt *o = spec->opts; o && o->id; o++) {
                _cleanup_free_ char *names = help_names(o);
                help_entry(f, names, o->help, col);
        }
        help_entry(f, hn, help_opt.help, col);
        if (!cmd->subs)
                return;
        fprintf(f, "\ncommands (each takes --help):\n");
        int scol = 0;
        for (const struct cli_cmd *s = cmd->subs; s->name; s++) {
                int w = (int)strlen(s->name) + 4 +
                        (s->spec->operands ? (int)strlen(s->spec->operands) + 1 : 0);
                scol = w > scol ? w : scol;
        }
        for (const struct cli_cmd *s = cmd->subs; s->name; s++) {
                _cleanup_free_ char *names =
                    xasprintf("  %s%s%s", s->name, s->spec->operands ? " " : "",
                              s->spec->operands ? s->spec->operands : "");
                help_entry(f, names, s->summary, scol);
        }
}

int cli_check(const struct cli_cmd *cmd, int argc, char **argv)
{
        _cleanup_parse_ struct cli_parse p = cli_parse_start(cmd->spec, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0)
                ;
        if (c == CLI_HELP)
                cli_print_help(cmd, stdout);
        return c;
}

unsigned cli_setup(const struct cli_cmd *cmd, int argc, char **argv)
{
        _cleanup_parse_ struct cli_parse p = cli_parse_start(cmd->spec, argc, argv);
        unsigned flags = cmd->flags;
        int c;
        while ((c = cli_next(&p)) > 0) {
                for (const struct cli_opt_setup *o = cmd->spec->setups; o && o->id; o++)
                        if (o->id == c)
                                flags = o->flags;
        }
        return flags;
}
