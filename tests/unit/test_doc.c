/* The man pages and completion scripts generated from the command table (src/cmd/doc.c), and
 * the hand-written man 5 pages against the parsers' keys. Both iterate what they check
 * (cli_commands[], the parsers' sources), so a new command, option or key needs no edit
 * here: it is either documented and completed, or this test fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cli.h"

#include <string.h>

/* the repository, from this file's name as the Makefile compiles it (tests/unit/...) */
static char *repo_path(const char *rel)
{
        const char *me = __FILE__;
        const char *t = strstr(me, "tests/unit/test_doc.c");
        return xasprintf("%.*s%s", (int)(t ? t - me : 0), me, rel);
}

static char *slurp(const char *rel)
{
        _cleanup_free_ char *path = repo_path(rel);
        char *text = NULL;
        size_t len = 0;
        vers_error_t err = NULL;
        if (vers_read_file(path, &text, &len, &err) < 0)
                fail_msg("%s", err->msg);
        return text;
}

static char *page_of(const struct cli_cmd *c)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        vers_error_t err = NULL;
        _cleanup_free_ char *frag = repo_path("docs/man");
        assert_int_equal(c ? cli_doc_man_page(c, frag, f, &err) : cli_doc_man_index(frag, f, &err),
                         0);
        fclose(f);
        return buf;
}

static char *script_of(void (*gen)(FILE *))
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        gen(f);
        fclose(f);
        return buf;
}

/* "--name" or "-x" as roff writes it: every '-' escaped */
static char *roff_dash(const char *s)
{
        struct strbuf sb = STRBUF_INIT;
        for (; *s; s++) {
                if (*s == '-')
                        strbuf_addstr(&sb, "\\-");
                else
                        strbuf_addch(&sb, *s);
        }
        return strbuf_detach(&sb);
}

static void assert_has(const char *hay, const char *needle, const char *where)
{
        if (!strstr(hay, needle))
                fail_msg("'%s' is not in %s", needle, where);
}

/* the line of a completion script's case that starts with "        KEY) " */
static char *case_line(const char *script, const char *fn, const char *key)
{
        const char *body = strstr(script, fn);
        assert_non_null(body);
        _cleanup_free_ char *head = xasprintf("\n        %s) ", key);
        const char *l = strstr(body, head);
        if (!l)
                fail_msg("no '%s' in %s", key, fn);
        l += strlen(head);
        return xstrndup(l, strcspn(l, "\n"));
}

/* word w is one of the space-separated words (quotes around the list ignored) of line */
static bool has_word(const char *line, const char *w)
{
        size_t n = strlen(w);
        for (const char *p = line; (p = strstr(p, w)) != NULL; p++) {
                bool start = p == line || p[-1] == ' ' || p[-1] == '\'';
                bool end = p[n] == ' ' || p[n] == '\'' || p[n] == '\0';
                if (start && end)
                        return true;
        }
        return false;
}

static void check_spec_in(const struct cli_spec *spec, const char *page, const char *where)
{
        for (const struct cli_opt *o = spec->opts; o && o->id; o++) {
                if (o->name) {
                        _cleanup_free_ char *l = xasprintf("--%s", o->name);
                        _cleanup_free_ char *r = roff_dash(l);
                        assert_has(page, r, where);
                }
                for (const char *s = o->shorts; s && *s; s++) {
                        _cleanup_free_ char *r = xasprintf("\\fB\\-%c\\fR", *s);
                        assert_has(page, r, where);
                }
        }
        assert_has(page, "\\fB\\-\\-help\\fR", where);
}

static void test_every_command_and_option_in_its_man_page(void **state)
{
        (void)state;
        _cleanup_free_ char *index = page_of(NULL);
        int pages = 0;
        for (const struct cli_cmd *c = cli_commands; c->name; c++) {
                _cleanup_free_ char *ref = xasprintf("\\fBvers\\-%s\\fR(1)", c->name);
                if (c->flags & CLI_HIDDEN) {
                        assert_null(strstr(index, ref));
                        continue;
                }
                assert_has(index, ref, "vers.1");
                _cleanup_free_ char *page = page_of(c);
                _cleanup_free_ char *where = xasprintf("vers-%s.1", c->name);
                _cleanup_free_ char *th = xasprintf(".TH VERS-");
                assert_has(page, th, where);
                _cleanup_free_ char *name = xasprintf("vers\\-%s \\- ", c->name);
                assert_has(page, name, where);
                _cleanup_free_ char *syn = roff_dash(c->name);
                _cleanup_free_ char *usage = xasprintf("\nvers %s", syn);
                assert_has(page, usage, where);
                check_spec_in(c->spec, page, where);
                for (const struct cli_cmd *s = c->subs; s && s->name; s++) {
                        _cleanup_free_ char *ss = xasprintf(".SS vers %s %s\n", c->name, s->name);
                        assert_has(page, ss, where);
                        check_spec_in(s->spec, page, where);
                }
                pages++;
        }
        assert_true(pages > 20);
}

/* x's options are the words of its _vers_opts case */
static void check_opts_completed(const char *script, const struct cli_cmd *x, const char *what)
{
        _cleanup_free_ char *key = xstrdup(x->spec->name);
        for (char *k = key; *k; k++)
                *k = *k == ' ' ? '_' : *k;
        _cleanup_free_ char *opts = case_line(script, "_vers_opts()", key);
        for (const struct cli_opt *o = x->spec->opts; o && o->id; o++) {
                _cleanup_free_ char *l = o->name ? xasprintf("--%s", o->name) : NULL;
                if (l && !has_word(opts, l))
                        fail_msg("%s: %s %s is not completed", what, key, l);
                for (const char *s = o->shorts; s && *s; s++) {
                        char sh[3] = {'-', *s, 0};
                        if (!has_word(opts, sh))
                                fail_msg("%s: %s %s is not completed", what, key, sh);
                }
        }
        assert_true(has_word(opts, "--help"));
}

static void check_completion(const char *script, const char *what)
{
        const char *head = "_vers_cmds() {\n        printf '%s\\n' '";
        const char *cl = strstr(script, head);
        assert_non_null(cl);
        cl += strlen(head);
        _cleanup_free_ char *cmds = xstrndup(cl, strcspn(cl, "'"));
        for (const struct cli_cmd *c = cli_commands; c->name; c++) {
                if (c->flags & CLI_HIDDEN) {
                        assert_false(has_word(cmds, c->name));
                        continue;
                }
                if (!has_word(cmds, c->name) || (c->alias && !has_word(cmds, c->alias)))
                        fail_msg("%s: command '%s' is not completed", what, c->name);
                check_opts_completed(script, c, what);
                for (const struct cli_cmd *s = c->subs; s && s->name; s++) {
                        _cleanup_free_ char *subs = case_line(script, "_vers_subs()", c->name);
                        if (!has_word(subs, s->name))
                                fail_msg("%s: '%s %s' is not completed", what, c->name, s->name);
                        check_opts_completed(script, s, what);
                }
        }
}

static void test_every_command_and_option_completes(void **state)
{
        (void)state;
        _cleanup_free_ char *bash = script_of(cli_doc_bash);
        check_completion(bash, "bash");
        assert_has(bash, "complete -o default -F _vers vers", "bash");
        _cleanup_free_ char *zsh = script_of(cli_doc_zsh);
        check_completion(zsh, "zsh");
        assert_true(!strncmp(zsh, "#compdef vers\n", 14));
}

/* what completes an operand or an option's argument comes from its metavariable */
static void test_completion_kinds(void **state)
{
        (void)state;
        _cleanup_free_ char *bash = script_of(cli_doc_bash);
        _cleanup_free_ char *checkout = case_line(bash, "_vers_operands()", "checkout");
        assert_string_equal(checkout, "printf '%s\\n' 'env,commit' ;;");
        _cleanup_free_ char *kill = case_line(bash, "_vers_operands()", "kill");
        assert_string_equal(kill, "printf '%s\\n' 'env+' ;;");
        _cleanup_free_ char *bc = case_line(bash, "_vers_operands()", "bundle_create");
        assert_string_equal(bc, "printf '%s\\n' 'file commit' ;;");
        assert_has(bash, "'test --only') printf '%s\\n' test ;;", "bash");
        assert_has(bash, "'branch -b'|'branch --env') printf '%s\\n' env ;;", "bash");
        assert_has(bash, "'branch -n'|'branch -N'|'branch --alias') printf '%s\\n' - ;;", "bash");
}

/* roff's control characters in the table's text are escaped */
static void test_man_escapes(void **state)
{
        (void)state;
        static const struct cli_opt opts[] = {
            {'x', "x", "ex-tra", "A\\B", "a \\ backslash, a - dash, a × sign", 0, 0},
            {0},
        };
        static const struct cli_spec spec = {
            .name = "zz",
            .about = ".starts with a dot\n'and a quote\n\nsecond paragraph\n  indented\n",
            .opts = opts,
            .max_operands = 0,
        };
        static const struct cli_cmd cmd = {"zz", NULL, NULL, "a - summary", 0, &spec, NULL};
        _cleanup_free_ char *page = page_of(&cmd);
        assert_has(page, "\\&.starts with a dot\n", "page");
        assert_has(page, "\\&'and a quote\n", "page");
        assert_has(page, "\n.PP\nsecond paragraph\n.br\nindented\n", "page");
        assert_has(page, "\\fB\\-x\\fR, \\fB\\-\\-ex\\-tra\\fR \\fIA\\eB\\fR", "page");
        assert_has(page, "a \\e backslash, a \\- dash, a \\[u00D7] sign", "page");
        assert_has(page, "vers\\-zz \\- a \\- summary", "page");
}

/* ---- man 5: every key the parsers accept is described, with a type and a default ------- */

/* the string literals that follow each occurrence of pat in src ("strcmp(e->key, \"") */
static void keys_after(const char *src, const char *pat, char ***keys)
{
        for (const char *p = src; (p = strstr(p, pat)) != NULL;) {
                p += strlen(pat);
                size_t n = strcspn(p, "\"");
                _cleanup_free_ char *k = xstrndup(p, n);
                strv_push(keys, k);
        }
}

/* the ".TP\n.B key\n" entries of a page: each must say its type and its default */
static void check_key_documented(const char *page, const char *key, const char *where)
{
        _cleanup_free_ char *entry = xasprintf(".TP\n.B %s\n", key);
        const char *e = strstr(page, entry);
        if (!e)
                fail_msg("key '%s' of the parser is not described in %s", key, where);
        for (; e; e = strstr(e + 1, entry)) {
                const char *desc = e + strlen(entry);
                _cleanup_free_ char *line = xstrndup(desc, strcspn(desc, "\n"));
                static const char *const types[] = {"integer", "string", "boolean",
                                                    "table",   "array",  "list",
                                                    "mapping", "scalar", "duration"};
                bool typed = false;
                for (size_t i = 0; i < sizeof types / sizeof *types; i++)
                        typed |= strstr(line, types[i]) == line;
                if (!typed || (!strstr(line, "default") && !strstr(line, "required")))
                        fail_msg("%s: '%s' does not start with its type and default: '%s'", where,
                                 key, line);
        }
}

static void test_vers_toml_page_has_every_key(void **state)
{
        (void)state;
        _cleanup_free_ char *src = slurp("src/lib/format/config.c");
        _cleanup_free_ char *page = slurp("docs/man/vers.toml.5");
        char **keys = NULL;
        keys_after(src, "strcmp(e->key, \"", &keys);
        /* number_keys[]: {"table", "key", WHICH} */
        const char *nk = strstr(src, "number_keys[] = {");
        assert_non_null(nk);
        const char *end = strstr(nk, "};");
        for (const char *p = strstr(nk, "{\""); p && p < end; p = strstr(p + 1, "{\"")) {
                const char *k = strstr(p + 2, ", \"");
                assert_non_null(k);
                _cleanup_free_ char *key = xstrndup(k + 3, strcspn(k + 3, "\""));
                strv_push(&keys, key);
        }
        size_t n = 0;
        for (char **k = keys; k && *k; k++, n++) {
                /* the tables are sections ([vm], [services.NAME]), the rest entries */
                _cleanup_free_ char *section = xasprintf(".SH \"[%s", *k);
                if (strstr(page, section))
                        continue;
                check_key_documented(page, *k, "vers.toml.5");
        }
        assert_true(n >= 15);
        /* the top-level tables */
        const char *t = strstr(src, "tables[] = {");
        assert_non_null(t);
        const char *tend = strstr(t, "};");
        for (const char *p = strchr(t, '"'); p && p < tend; p = strchr(p + 1, '"')) {
                _cleanup_free_ char *name = xstrndup(p + 1, strcspn(p + 1, "\""));
                p += strlen(name) + 1;
                _cleanup_free_ char *section = xasprintf(".SH \"[%s", name);
                if (!strstr(page, section))
                        fail_msg("table [%s] of the parser has no section in vers.toml.5", name);
        }
        strv_free(keys);
}

static void test_suite_page_has_every_key(void **state)
{
        (void)state;
        _cleanup_free_ char *src = slurp("src/lib/format/suite.c");
        _cleanup_free_ char *page = slurp("docs/man/vers-integration.yaml.5");
        char **keys = NULL;
        keys_after(src, "strcmp(k->text, \"", &keys);
        keys_after(src, "lookup(m, \"", &keys);
        size_t n = 0;
        for (char **k = keys; k && *k; k++, n++)
                check_key_documented(page, *k, "vers-integration.yaml.5");
        assert_true(n >= 15);
        strv_free(keys);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_every_command_and_option_in_its_man_page),
            cmocka_unit_test(test_every_command_and_option_completes),
            cmocka_unit_test(test_completion_kinds),
            cmocka_unit_test(test_man_escapes),
            cmocka_unit_test(test_vers_toml_page_has_every_key),
            cmocka_unit_test(test_suite_page_has_every_key),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
