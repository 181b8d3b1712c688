/* The command layer: the command table, the option tables, and the help, usage and parsing
 * that come from them (src/cmd/options.c), and the JSON layout (src/cmd/json.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cli.h"
#include "kernel_needs.h"
#include "services/services.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

/* the complaints of bad command lines go to stderr: not into the test's output */
static int quiet_stderr(void)
{
        fflush(stderr);
        int saved = dup(2);
        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        dup2(null, 2);
        close(null);
        return saved;
}

static void restore_stderr(int saved)
{
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
}

__attribute__((noinline)) static char *help_of(const struct cli_cmd *c)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        cli_print_help(c, f);
        fclose(f);
        return buf;
}

/* every command and subcommand, with the name its spec must carry */
typedef void (*visit_fn)(const struct cli_cmd *c, const char *full, void *arg);
static void visit(visit_fn fn, void *arg)
{
        for (const struct cli_cmd *c = cli_commands; c->name; c++) {
                fn(c, c->name, arg);
                for (const struct cli_cmd *s = c->subs; s && s->name; s++) {
                        char *full = xasprintf("%s %s", c->name, s->name);
                        fn(s, full, arg);
                        free(full);
                }
        }
}

static void check_entry(const struct cli_cmd *c, const char *full, void *arg)
{
        (void)arg;
        assert_non_null(c->summary);
        assert_true(strlen(c->summary) > 0);
        assert_non_null(c->spec);
        assert_string_equal(c->spec->name, full);
        assert_non_null(c->spec->about);
        /* a command with no handler is a group: it has subcommands to run */
        if (!c->fn)
                assert_non_null(c->subs);
        if (c->spec->min_operands > 0)
                assert_non_null(c->spec->missing);
        assert_true(c->spec->max_operands < 0 || c->spec->max_operands >= c->spec->min_operands);
}

static void test_every_command_is_described(void **state)
{
        (void)state;
        visit(check_entry, NULL);
}

static void no_duplicates(const struct cli_cmd *table)
{
        for (const struct cli_cmd *a = table; a && a->name; a++) {
                for (const struct cli_cmd *b = a + 1; b->name; b++) {
                        assert_string_not_equal(a->name, b->name);
                        if (a->alias)
                                assert_string_not_equal(a->alias, b->name);
                        if (b->alias)
                                assert_string_not_equal(a->name, b->alias);
                        if (a->alias && b->alias)
                                assert_string_not_equal(a->alias, b->alias);
                }
                assert_ptr_equal(cli_find(table, a->name), a);
                if (a->alias)
                        assert_ptr_equal(cli_find(table, a->alias), a);
                no_duplicates(a->subs);
        }
}

static void test_no_duplicate_names_or_aliases(void **state)
{
        (void)state;
        no_duplicates(cli_commands);
        assert_null(cli_find(cli_commands, "frobnicate"));
}

/* within one table: ids, short letters and long names are each used once; -h and --help
 * are every command's */
static void check_options(const struct cli_cmd *c, const char *full, void *arg)
{
        (void)arg;
        for (const struct cli_opt *a = c->spec->opts; a && a->id; a++) {
                assert_true(a->name || a->shorts);
                assert_non_null(a->help);
                if (a->shorts)
                        assert_int_equal(a->id, a->shorts[0]);
                else
                        assert_true(a->id >= 256);
                assert_false(a->name && !strcmp(a->name, "help"));
                assert_false(a->shorts && strchr(a->shorts, 'h'));
                for (const struct cli_opt *b = a + 1; b->id; b++) {
                        assert_int_not_equal(a->id, b->id);
                        if (a->name && b->name)
                                assert_string_not_equal(a->name, b->name);
                        for (const char *s = a->shorts; s && *s; s++)
                                assert_false(b->shorts && strchr(b->shorts, *s));
                }
        }
}

static void test_option_tables_are_consistent(void **state)
{
        (void)state;
        visit(check_options, NULL);
}

/* --help lists every option of the table, in both its usage line and its option list */
static void check_help(const struct cli_cmd *c, const char *full, void *arg)
{
        (void)arg;
        char *h = help_of(c);
        assert_true(!strncmp(h, "usage: vers ", 12));
        char *list = strstr(h, "\n\n");
        assert_non_null(list);
        _cleanup_free_ char *usage = strndup(h, (size_t)(list - h));
        assert_non_null(strstr(h, "  -h, --help"));
        for (const struct cli_opt *o = c->spec->opts; o && o->id; o++) {
                if (o->name) {
                        _cleanup_free_ char *l = xasprintf("--%s", o->name);
                        if (c->fn)
                                assert_non_null(strstr(usage, l));
                        assert_non_null(strstr(list, l));
                }
                for (const char *s = o->shorts; s && *s; s++) {
                        _cleanup_free_ char *l = xasprintf("-%c", *s);
                        assert_non_null(strstr(list, l));
                }
                if (o->arg)
                        assert_non_null(strstr(list, o->arg));
        }
        /* the subcommands' usage lines and summaries too */
        for (const struct cli_cmd *s = c->subs; s && s->name; s++) {
                _cleanup_free_ char *u = xasprintf("vers %s", s->spec->name);
                assert_non_null(strstr(usage, u));
                char *first = strndup(s->summary, strcspn(s->summary, "\n"));
                assert_non_null(strstr(list, first));
                free(first);
        }
        free(h);
}

static void test_help_lists_every_option(void **state)
{
        (void)state;
        visit(check_help, NULL);
}

static void test_usage_wraps(void **state)
{
        (void)state;
        char *h = help_of(cli_find(cli_commands, "branch"));
        /* no usage line is wider than the wrap width, and continuations are aligned */
        for (char *l = h; *l && strncmp(l, "\n", 1); l = strchr(l, '\n') + 1)
                assert_true(strcspn(l, "\n") <= 88);
        assert_non_null(strstr(h, "\n                   [--warm]"));
        free(h);
}

static void test_commands_listed(void **state)
{
        (void)state;
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        cli_print_commands(f);
        fclose(f);
        for (const struct cli_cmd *c = cli_commands; c->name; c++) {
                _cleanup_free_ char *line = xasprintf("\n  %s", c->name);
                if (c->flags & CLI_HIDDEN)
                        assert_null(strstr(buf, line));
                else
                        assert_non_null(strstr(buf, line));
        }
        assert_non_null(strstr(buf, "status|ps"));
        assert_non_null(strstr(buf, "kill|delete"));
        free(buf);
}

/* ---- parsing ----------------------------------------------------------------------------- */

static const struct cli_opt t_opts[] = {
    {'y', "y", "yes", NULL, "yes", 0, 0},
    {'n', "nN", "alias", "NAME", "name", 0, 0},
    {CLI_ID_COUNT, NULL, "count", "N", "count", 1, 256},
    {CLI_ID_COLD, NULL, "cold", NULL, "cold", 0, 0},
    {CLI_ID_WARM, NULL, "colder", NULL, "colder", 0, 0},
    {0},
};
static const struct cli_spec t_spec = {
    .name = "t", .about = "t\n", .opts = t_opts, .max_operands = 2, .missing = NULL};

struct got {
        int ids[16];
        const char *args[16];
        long nums[16];
        int n;
        int end;
};

static struct got parse(char **argv, struct cli_parse *p)
{
        int argc = 0;
        while (argv[argc])
                argc++;
        *p = cli_parse_start(&t_spec, argc, argv);
        struct got g = {.n = 0};
        int c;
        while ((c = cli_next(p)) > 0 && g.n < 16) {
                g.ids[g.n] = c;
                g.args[g.n] = p->arg;
                g.nums[g.n++] = p->num;
        }
        g.end = c;
        return g;
}

static void test_parse_forms(void **state)
{
        (void)state;
        struct cli_parse p;
        /* bundles, -nVALUE, -n VALUE, --x=VALUE, --x VALUE, operands anywhere */
        char *a1[] = {"t",       "-yn", "one", "op1", "-Ntwo", "--alias=three",
                      "--count", "7",   "op2", NULL};
        struct got g = parse(a1, &p);
        assert_int_equal(g.end, CLI_DONE);
        assert_int_equal(g.n, 5);
        assert_int_equal(g.ids[0], 'y');
        assert_int_equal(g.ids[1], 'n');
        assert_string_equal(g.args[1], "one");
        assert_string_equal(g.args[2], "two");
        assert_string_equal(g.args[3], "three");
        assert_int_equal(g.ids[4], CLI_ID_COUNT);
        assert_int_equal(g.nums[4], 7);
        assert_int_equal(p.n_operands, 2);
        assert_string_equal(p.operands[0], "op1");
        assert_string_equal(p.operands[1], "op2");
        assert_null(p.operands[2]);
        assert_int_equal(p.dashdash, -1);
        cli_parse_release(&p);

        /* "--" ends the options; how many operands came before it is kept */
        char *a2[] = {"t", "x", "--", "-y", NULL};
        g = parse(a2, &p);
        assert_int_equal(g.end, CLI_DONE);
        assert_int_equal(g.n, 0);
        assert_int_equal(p.dashdash, 1);
        assert_string_equal(p.operands[1], "-y");
        cli_parse_release(&p);

        /* unique prefixes as getopt_long; an exact name wins over a longer one */
        char *a3[] = {"t", "--ye", "--cold", "--colde", NULL};
        g = parse(a3, &p);
        assert_int_equal(g.end, CLI_DONE);
        assert_int_equal(g.ids[0], 'y');
        assert_int_equal(g.ids[1], CLI_ID_COLD);
        assert_int_equal(g.ids[2], CLI_ID_WARM);
        cli_parse_release(&p);

        char *a4[] = {"t", "--he", NULL};
        g = parse(a4, &p);
        assert_int_equal(g.end, CLI_HELP);
        assert_int_equal(cli_parse_exit(g.end), 0);
        cli_parse_release(&p);
        char *a5[] = {"t", "-yh", NULL};
        g = parse(a5, &p);
        assert_int_equal(g.end, CLI_HELP);
        cli_parse_release(&p);
}

static void test_parse_errors(void **state)
{
        (void)state;
        struct cli_parse p;
        int saved = quiet_stderr();
        char *bad[][5] = {
            {"t", "--frob", NULL},       /* unknown */
            {"t", "-q", NULL},           /* unknown short */
            {"t", "--col", NULL},        /* ambiguous */
            {"t", "--alias", NULL},      /* no argument */
            {"t", "-n", NULL},           /* no argument */
            {"t", "--yes=1", NULL},      /* takes none */
            {"t", "--count", "0", NULL}, /* out of range */
            {"t", "--count=2x", NULL},   /* not a number */
            {"t", "a", "b", "c", NULL},  /* too many operands */
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                struct got g = parse(bad[i], &p);
                assert_int_equal(g.end, CLI_BAD);
                assert_int_equal(cli_parse_exit(g.end), EXIT_USAGE);
                cli_parse_release(&p);
        }
        restore_stderr(saved);
}

static void test_check_a_command_line(void **state)
{
        (void)state;
        int saved = quiet_stderr();
        const struct cli_cmd *kill = cli_find(cli_commands, "delete");
        char *none[] = {"kill", NULL};
        char *two[] = {"kill", "-y", "a", "b", NULL};
        assert_int_equal(cli_check(kill, 1, none), CLI_BAD);
        assert_int_equal(cli_check(kill, 4, two), CLI_DONE);
        const struct cli_cmd *branch = cli_find(cli_commands, "branch");
        char *count[] = {"branch", "--count", "257", NULL};
        assert_int_equal(cli_check(branch, 3, count), CLI_BAD);
        restore_stderr(saved);
}

/* an option may ask for less setup than its command: vers test --list finds the project
 * only, --merge-junit nothing; the last such option given decides */
static void test_setup_of_a_command_line(void **state)
{
        (void)state;
        const struct cli_cmd *test = cli_find(cli_commands, "test");
        char *run[] = {"test", "--shard", "1/2", NULL};
        char *list[] = {"test", "--shard", "1/2", "--list", NULL};
        char *merge[] = {"test", "--merge-junit", "out.xml", "a.xml", NULL};
        assert_int_equal(cli_setup(test, 3, run), CLI_OPENS_STORE);
        assert_int_equal(cli_setup(test, 4, list), CLI_FINDS_PROJECT);
        assert_int_equal(cli_setup(test, 4, merge), CLI_NO_SETUP);
        /* a command without setups keeps its flags whatever it is given */
        const struct cli_cmd *status = cli_find(cli_commands, "status");
        char *st[] = {"status", "--json", NULL};
        assert_int_equal(cli_setup(status, 2, st), status->flags);
        /* every setup names an option of its own spec */
        for (const struct cli_cmd *c = cli_commands; c->name; c++) {
                for (const struct cli_opt_setup *o = c->spec->setups; o && o->id; o++) {
                        bool found = false;
                        for (const struct cli_opt *p = c->spec->opts; p && p->id; p++)
                                found |= p->id == o->id;
                        assert_true(found);
                }
        }
}

/* ---- JSON -------------------------------------------------------------------------------- */

__attribute__((noinline)) static char *dumped(json_t *doc)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_int_equal(cli_json_dumpf(doc, f), 0);
        json_decref(doc);
        fclose(f);
        return buf;
}

static void test_json_layout(void **state)
{
        (void)state;
        char *s = dumped(json_pack("{s:s, s:b, s:o, s:o, s:I}", "image", "ab", "cached", 1, "alias",
                                   vers_json_str(NULL), "seconds", vers_json_seconds(1.23456),
                                   "created", (json_int_t)1700000000000));
        assert_string_equal(s, "{\"image\": \"ab\", \"cached\": true, \"alias\": null, "
                               "\"seconds\": 1.235, \"created\": 1700000000000}");
        free(s);
        /* a list of records: one a line */
        json_t *a = json_array();
        json_array_append_new(a, json_pack("{s:s}", "id", "1"));
        json_array_append_new(a, json_pack("{s:s}", "id", "2"));
        s = dumped(a);
        assert_string_equal(s, "[\n  {\"id\": \"1\"},\n  {\"id\": \"2\"}\n]");
        free(s);
        s = dumped(json_array());
        assert_string_equal(s, "[]");
        free(s);
        /* and inside an object */
        a = json_array();
        json_array_append_new(a, json_pack("{s:i}", "n", 1));
        s = dumped(json_pack("{s:s, s:o, s:i}", "suite", "x", "results", a, "passed", 1));
        assert_string_equal(s,
                            "{\"suite\": \"x\", \"results\": [\n  {\"n\": 1}\n], \"passed\": 1}");
        free(s);
}

static void test_json_strings(void **state)
{
        (void)state;
        /* escapes as JSON wants them; bytes that are not UTF-8 become U+FFFD */
        char *s = dumped(vers_json_str("a\"b\\c\nd\te\x01 caf\xc3\xa9 \xff\xc3("));
        assert_string_equal(s,
                            "\"a\\\"b\\\\c\\nd\\te\\u0001 caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd(\"");
        free(s);
        s = dumped(vers_json_text(NULL));
        assert_string_equal(s, "\"\"");
        free(s);
        s = dumped(vers_json_seconds(2));
        assert_string_equal(s, "2.0");
        free(s);
}

/* ---- client info for 'vers env' (services.c), as the commands get it --------------------- */

static void test_service_client(void **state)
{
        NEED_SYSCALL("openat2");
        (void)state;
        char root[] = "/tmp/vers-test-client.XXXXXX";
        assert_non_null(mkdtemp(root));
        _cleanup_free_ char *dir = xasprintf("%s/.vers", root);
        assert_int_equal(mkdir(dir, 0755), 0);
        vers_error_t err = NULL;
        struct vers_service_client c;
        /* an image older than /.vers/clients: postgres, with its /.vers/env's database */
        const char *env = "PATH=/usr/bin\nPGUSER=postgres\nPGDATABASE=app\n";
        assert_int_equal(vers_write_file_in_root(root, ".vers/env", env, strlen(env), 0644, &err),
                         0);
        assert_int_equal(vers_services_client(root, &c, &err), 0);
        assert_string_equal(c.template_, "postgres@15");
        assert_string_equal(c.database, "app");
        vers_service_client_clear(&c);
        /* what the build recorded; a line that is not plain is skipped */
        const char *cl = "# service\ttemplate\tdatabase\nbad\tpostgres@15\tx;rm\n"
                         "db\tmariadb\tshop\n";
        assert_int_equal(vers_write_file_in_root(root, ".vers/clients", cl, strlen(cl), 0644, &err),
                         0);
        assert_int_equal(vers_services_client(root, &c, &err), 0);
        assert_string_equal(c.service, "db");
        assert_string_equal(c.socket, "run/mysqld/mysqld.sock");
        char **vars = vers_services_client_vars(&c, "/h");
        assert_string_equal(vars[0], "MYSQL_UNIX_PORT=/h/mysqld.sock");
        assert_string_equal(vars[4], "MYSQL_DATABASE=shop");
        assert_string_equal(vars[5],
                            "DATABASE_URL=mysql://vers:vers@localhost/shop?socket=/h/mysqld.sock");
        assert_null(vars[6]);
        strv_free(vars);
        vers_service_client_clear(&c);
        cl = "# service\ttemplate\tdatabase\npg\tpostgres@15\tapp\n";
        assert_int_equal(vers_write_file_in_root(root, ".vers/clients", cl, strlen(cl), 0644, &err),
                         0);
        assert_int_equal(vers_services_client(root, &c, &err), 0);
        vars = vers_services_client_vars(&c, "/h");
        assert_string_equal(vars[0], "PGHOST=/h");
        assert_string_equal(vars[3], "PGDATABASE=app");
        assert_string_equal(vars[5], "DATABASE_URL=postgresql://postgres:postgres@/app?host=/h");
        strv_free(vars);
        vers_service_client_clear(&c);
        /* none that takes clients on a socket */
        cl = "# service\ttemplate\tdatabase\n";
        assert_int_equal(vers_write_file_in_root(root, ".vers/clients", cl, strlen(cl), 0644, &err),
                         0);
        assert_int_equal(vers_services_client(root, &c, &err), -1);
        assert_non_null(strstr(err->msg, "no service"));
        vers_error_free(&err);
        _cleanup_free_ char *rm = xasprintf("rm -rf '%s'", root);
        assert_int_equal(system(rm), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_every_command_is_described),
            cmocka_unit_test(test_no_duplicate_names_or_aliases),
            cmocka_unit_test(test_option_tables_are_consistent),
            cmocka_unit_test(test_help_lists_every_option),
            cmocka_unit_test(test_usage_wraps),
            cmocka_unit_test(test_commands_listed),
            cmocka_unit_test(test_parse_forms),
            cmocka_unit_test(test_parse_errors),
            cmocka_unit_test(test_check_a_command_line),
            cmocka_unit_test(test_setup_of_a_command_line),
            cmocka_unit_test(test_json_layout),
            cmocka_unit_test(test_json_strings),
            cmocka_unit_test(test_service_client),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
