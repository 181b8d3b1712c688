/* Unit tests for src/lib/format/suite.c: vers-integration.yaml. The seed's file is checked field by
 * field; the error cases are a table, each row its own cmocka test asserting the full message
 * with line and column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "table_tests.h"

#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "format/suite.h"
#include "base/util.h"

#define F "vers-integration.yaml"

/* the seed's vers-integration.yaml, verbatim */
static const char seed_yaml[] = "name: database-testing\n"
                                "version: 1.0.0\n"
                                "\n"
                                "vm:\n"
                                "  memory_mib: 2048\n"
                                "  vcpu: 1\n"
                                "  storage_mib: 10000\n"
                                "\n"
                                "services:\n"
                                "  postgres:\n"
                                "    template: postgres@15\n"
                                "    config:\n"
                                "      databases: [app, test]\n"
                                "      extensions: [uuid-ossp, pg_trgm]\n"
                                "      settings:\n"
                                "        shared_buffers: 256MB\n"
                                "        work_mem: 16MB\n"
                                "\n"
                                "tests:\n"
                                "  schema:\n"
                                "    command: npm run test:schema\n"
                                "    depends_on: [postgres]\n"
                                "\n"
                                "  migrations:\n"
                                "    command: npm run test:migrations\n"
                                "    depends_on: [postgres]\n"
                                "    branches:\n"
                                "      - name: migration-up\n"
                                "        env:\n"
                                "          MIGRATION_DIRECTION: up\n"
                                "      - name: migration-down\n"
                                "        env:\n"
                                "          MIGRATION_DIRECTION: down\n"
                                "      - name: migration-idempotent\n"
                                "        env:\n"
                                "          MIGRATION_RUNS: 2\n"
                                "\n"
                                "  data-integrity:\n"
                                "    command: npm run test:integrity\n"
                                "    depends_on: [postgres]\n"
                                "    branches:\n"
                                "      - name: with-constraints\n"
                                "        env:\n"
                                "          ENABLE_CONSTRAINTS: true\n"
                                "      - name: without-constraints\n"
                                "        env:\n"
                                "          ENABLE_CONSTRAINTS: false\n"
                                "\n"
                                "  performance:\n"
                                "    command: npm run test:perf\n"
                                "    depends_on: [postgres]\n"
                                "    branches:\n"
                                "      - name: indexed\n"
                                "        before: psql -f add-indexes.sql\n"
                                "      - name: unindexed\n"
                                "\n"
                                "checkpoints:\n"
                                "  - name: schema-loaded\n"
                                "    after: psql -f schema.sql\n"
                                "  - name: seeded\n"
                                "    after: psql -f seed.sql\n"
                                "  - name: production-like\n"
                                "    after: pg_restore -d app production-anonymized.dump\n";

static void parse_ok(const char *text, struct vers_suite *s)
{
        vers_error_t err = NULL;
        if (vers_suite_parse(text, strlen(text), F, s, &err) < 0) {
                print_error("unexpected error: %s\n--- input:\n%s\n", err->msg, text);
                vers_error_free(&err);
                fail();
        }
        assert_null(err);
}

static void assert_zeroed(const struct vers_suite *s)
{
        static const struct vers_suite zero;
        assert_memory_equal(s, &zero, sizeof(zero));
}

static void expect_error(const char *text, const char *msg)
{
        vers_error_t err = NULL;
        struct vers_suite s;
        memset(&s, 0xAA, sizeof(s));
        assert_int_equal(vers_suite_parse(text, strlen(text), F, &s, &err), -1);
        assert_non_null(err);
        if (strcmp(err->msg, msg) != 0) {
                print_error("input:\n%s\nexpected: %s\n     got: %s\n", text, msg, err->msg);
                vers_error_free(&err);
                fail();
        }
        assert_null(strchr(err->msg, '\n'));
        vers_error_free(&err);
        assert_zeroed(&s);
}

static void assert_strv(char **v, const char *const *want, size_t n)
{
        assert_int_equal(v ? strv_len(v) : 0, n);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(v[i], want[i]);
}

static void test_seed(void **state)
{
        (void)state;
        struct vers_suite s;
        parse_ok(seed_yaml, &s);
        assert_string_equal(s.file, F);
        assert_string_equal(s.name, "database-testing");
        assert_string_equal(s.version, "1.0.0");
        assert_int_equal(s.memory_mib, 2048);
        assert_int_equal(s.vcpu, 1);
        assert_int_equal(s.storage_mib, 10000);

        assert_int_equal(s.n_services, 1);
        const struct vers_service_config *pg = &s.services[0];
        assert_string_equal(pg->name, "postgres");
        assert_string_equal(pg->template_, "postgres@15");
        assert_strv(pg->databases, (const char *const[]){"app", "test"}, 2);
        assert_strv(pg->extensions, (const char *const[]){"uuid-ossp", "pg_trgm"}, 2);
        assert_int_equal(pg->n_settings, 2);
        assert_string_equal(pg->settings[0].key, "shared_buffers");
        assert_string_equal(pg->settings[0].value, "256MB");
        assert_string_equal(pg->settings[1].key, "work_mem");
        assert_string_equal(pg->settings[1].value, "16MB");

        assert_int_equal(s.n_tests, 4);
        const char *const pgdep[] = {"postgres"};
        const struct vers_suite_test *t = &s.tests[0];
        assert_string_equal(t->name, "schema");
        assert_string_equal(t->command, "npm run test:schema");
        assert_strv(t->depends_on, pgdep, 1);
        assert_int_equal(t->n_branches, 0);
        assert_int_equal(t->line, 20);
        assert_int_equal(t->col, 3);

        t = &s.tests[1];
        assert_string_equal(t->name, "migrations");
        assert_string_equal(t->command, "npm run test:migrations");
        assert_strv(t->depends_on, pgdep, 1);
        assert_int_equal(t->line, 24);
        assert_int_equal(t->n_branches, 3);
        assert_string_equal(t->branches[0].name, "migration-up");
        assert_strv(t->branches[0].env, (const char *const[]){"MIGRATION_DIRECTION=up"}, 1);
        assert_null(t->branches[0].before);
        assert_int_equal(t->branches[0].line, 28);
        assert_int_equal(t->branches[0].col, 9);
        assert_string_equal(t->branches[1].name, "migration-down");
        assert_strv(t->branches[1].env, (const char *const[]){"MIGRATION_DIRECTION=down"}, 1);
        assert_null(t->branches[1].before);
        assert_string_equal(t->branches[2].name, "migration-idempotent");
        assert_strv(t->branches[2].env, (const char *const[]){"MIGRATION_RUNS=2"}, 1);
        assert_null(t->branches[2].before);

        t = &s.tests[2];
        assert_string_equal(t->name, "data-integrity");
        assert_string_equal(t->command, "npm run test:integrity");
        assert_strv(t->depends_on, pgdep, 1);
        assert_int_equal(t->n_branches, 2);
        assert_string_equal(t->branches[0].name, "with-constraints");
        assert_strv(t->branches[0].env, (const char *const[]){"ENABLE_CONSTRAINTS=true"}, 1);
        assert_string_equal(t->branches[1].name, "without-constraints");
        assert_strv(t->branches[1].env, (const char *const[]){"ENABLE_CONSTRAINTS=false"}, 1);

        t = &s.tests[3];
        assert_string_equal(t->name, "performance");
        assert_string_equal(t->command, "npm run test:perf");
        assert_strv(t->depends_on, pgdep, 1);
        assert_int_equal(t->n_branches, 2);
        assert_string_equal(t->branches[0].name, "indexed");
        assert_null(t->branches[0].env);
        assert_string_equal(t->branches[0].before, "psql -f add-indexes.sql");
        assert_string_equal(t->branches[1].name, "unindexed");
        assert_null(t->branches[1].env);
        assert_null(t->branches[1].before);

        assert_int_equal(s.n_checkpoints, 3);
        assert_string_equal(s.checkpoints[0].name, "schema-loaded");
        assert_string_equal(s.checkpoints[0].after, "psql -f schema.sql");
        assert_int_equal(s.checkpoints[0].line, 58);
        assert_int_equal(s.checkpoints[0].col, 5);
        assert_string_equal(s.checkpoints[1].name, "seeded");
        assert_string_equal(s.checkpoints[1].after, "psql -f seed.sql");
        assert_string_equal(s.checkpoints[2].name, "production-like");
        assert_string_equal(s.checkpoints[2].after, "pg_restore -d app production-anonymized.dump");

        size_t *order = NULL;
        vers_error_t err = NULL;
        assert_int_equal(vers_suite_order(&s, &order, &err), 0);
        assert_null(err);
        for (size_t i = 0; i < 4; i++)
                assert_int_equal(order[i], i);
        free(order);

        vers_suite_free(&s);
        assert_zeroed(&s);
        vers_suite_free(&s); /* freeing twice is harmless */
}

/* the text need not be NUL-terminated: parse an exact-size copy */
static void test_not_nul_terminated(void **state)
{
        (void)state;
        size_t len = strlen(seed_yaml);
        char *copy = xmalloc(len);
        memcpy(copy, seed_yaml, len);
        struct vers_suite s;
        vers_error_t err = NULL;
        assert_int_equal(vers_suite_parse(copy, len, F, &s, &err), 0);
        assert_int_equal(s.n_tests, 4);
        vers_suite_free(&s);
        free(copy);
}

static void test_minimal_and_defaults(void **state)
{
        (void)state;
        struct vers_suite s;
        parse_ok("tests:\n  a:\n    command: 'true'\n", &s);
        assert_null(s.name);
        assert_null(s.version);
        assert_int_equal(s.memory_mib, 0);
        assert_int_equal(s.vcpu, 0);
        assert_int_equal(s.storage_mib, 0);
        assert_int_equal(s.n_services, 0);
        assert_int_equal(s.n_checkpoints, 0);
        assert_int_equal(s.n_tests, 1);
        assert_string_equal(s.tests[0].command, "true");
        assert_null(s.tests[0].depends_on);
        vers_suite_free(&s);

        /* empty collections, a document marker, comments, flow style */
        parse_ok("--- # comment\nname: x\nservices: {}\ntests: {}\ncheckpoints: []\n...\n", &s);
        assert_string_equal(s.name, "x");
        assert_int_equal(s.n_tests, 0);
        vers_suite_free(&s);

        parse_ok("{tests: {a: {command: run, depends_on: [], branches: []}}}", &s);
        assert_int_equal(s.n_tests, 1);
        assert_int_equal(s.tests[0].n_branches, 0);
        assert_null(s.tests[0].depends_on);
        vers_suite_free(&s);
}

static void test_scalars_kept_as_text(void **state)
{
        (void)state;
        struct vers_suite s;
        parse_ok("version: 2\n"
                 "services:\n"
                 "  db:\n"
                 "    template: postgres@16\n"
                 "    config:\n"
                 "      settings: {b: 2, a: true, c: 0x10, d: \"q\", e: , f: 1.50}\n"
                 "tests:\n"
                 "  t:\n"
                 "    command: \"a: b # c\"\n"
                 "    branches:\n"
                 "      - name: x\n"
                 "        env: {Z: 1, A: ~, M: 'two words', _U: null, L: \"\"}\n",
                 &s);
        assert_string_equal(s.version, "2");
        const struct vers_service_config *db = &s.services[0];
        assert_null(db->databases);
        assert_null(db->extensions);
        assert_int_equal(db->n_settings, 6);
        const char *keys[] = {"b", "a", "c", "d", "e", "f"};
        const char *vals[] = {"2", "true", "0x10", "q", "", "1.50"};
        for (size_t i = 0; i < 6; i++) {
                assert_string_equal(db->settings[i].key, keys[i]);
                assert_string_equal(db->settings[i].value, vals[i]);
        }
        assert_string_equal(s.tests[0].command, "a: b # c");
        assert_strv(s.tests[0].branches[0].env,
                    (const char *const[]){"Z=1", "A=", "M=two words", "_U=", "L="}, 5);
        vers_suite_free(&s);
}

static void test_order_of_entries(void **state)
{
        (void)state;
        struct vers_suite s;
        parse_ok("services:\n  zz: {template: a}\n  aa: {template: b}\n  mm: {template: c}\n"
                 "tests:\n  z: {command: z}\n  a: {command: a}\n  m: {command: m}\n"
                 "checkpoints:\n  - {name: z, after: z}\n  - {after: a, name: a}\n",
                 &s);
        assert_string_equal(s.services[0].name, "zz");
        assert_string_equal(s.services[1].name, "aa");
        assert_string_equal(s.services[2].name, "mm");
        assert_string_equal(s.tests[0].name, "z");
        assert_string_equal(s.tests[1].name, "a");
        assert_string_equal(s.tests[2].name, "m");
        assert_string_equal(s.checkpoints[0].name, "z");
        assert_string_equal(s.checkpoints[1].name, "a");
        assert_string_equal(s.checkpoints[1].after, "a");
        vers_suite_free(&s);
}

static void expect_order(const char *yaml, const char *const *want, size_t n)
{
        struct vers_suite s;
        parse_ok(yaml, &s);
        size_t *order = NULL;
        vers_error_t err = NULL;
        assert_int_equal(vers_suite_order(&s, &order, &err), 0);
        assert_int_equal(s.n_tests, n);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(s.tests[order[i]].name, want[i]);
        free(order);
        vers_suite_free(&s);
}

static void test_order(void **state)
{
        (void)state;
        expect_order("services: {pg: {template: p}}\n"
                     "tests:\n"
                     "  a: {command: a, depends_on: [c]}\n"
                     "  b: {command: b, depends_on: [pg]}\n"
                     "  c: {command: c, depends_on: [pg, d]}\n"
                     "  d: {command: d}\n",
                     (const char *const[]){"b", "d", "c", "a"}, 4);
        expect_order("tests:\n  x: {command: x}\n  y: {command: y}\n  z: {command: z}\n",
                     (const char *const[]){"x", "y", "z"}, 3);
        expect_order("tests:\n"
                     "  top: {command: t, depends_on: [left, right]}\n"
                     "  right: {command: r, depends_on: [base]}\n"
                     "  left: {command: l, depends_on: [base]}\n"
                     "  base: {command: b}\n",
                     (const char *const[]){"base", "right", "left", "top"}, 4);
        expect_order("tests: {}\n", NULL, 0);
}

static void test_order_cycle_hand_built(void **state)
{
        (void)state;
        /* vers_suite_parse() refuses cycles, so build one by hand */
        char *da[] = {"b", NULL}, *db[] = {"c", NULL}, *dc[] = {"b", "pg", NULL};
        struct vers_suite_test tests[] = {
            {.name = "a", .command = "a", .depends_on = da, .line = 2, .col = 3},
            {.name = "b", .command = "b", .depends_on = db, .line = 3, .col = 3},
            {.name = "c", .command = "c", .depends_on = dc, .line = 4, .col = 3},
        };
        struct vers_service_config svc = {.name = "pg", .template_ = "p"};
        struct vers_suite s = {.tests = tests, .n_tests = 3, .services = &svc, .n_services = 1};
        size_t *order = (size_t *)&s; /* must be reset */
        vers_error_t err = NULL;
        assert_int_equal(vers_suite_order(&s, &order, &err), -1);
        assert_null(order);
        assert_string_equal(err->msg, "tests depend on each other in a cycle: b -> c -> b");
        vers_error_free(&err);

        s.file = "x.yaml";
        assert_int_equal(vers_suite_order(&s, &order, &err), -1);
        assert_string_equal(err->msg,
                            "x.yaml:3:3: tests depend on each other in a cycle: b -> c -> b");
        vers_error_free(&err);

        dc[1] = "nope";
        dc[0] = "a";
        assert_int_equal(vers_suite_order(&s, &order, &err), -1);
        assert_string_equal(err->msg,
                            "test 'c' depends on 'nope', which is neither a test nor a service");
        vers_error_free(&err);
}

static void test_load(void **state)
{
        (void)state;
        char path[] = "/tmp/test_suite_XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(vers_write_all(fd, seed_yaml, strlen(seed_yaml)),
                         (ssize_t)strlen(seed_yaml));
        close(fd);
        struct vers_suite s;
        vers_error_t err = NULL;
        assert_int_equal(vers_suite_load(path, &s, &err), 0);
        assert_string_equal(s.file, path);
        assert_int_equal(s.n_tests, 4);
        vers_suite_free(&s);

        fd = open(path, O_WRONLY | O_TRUNC);
        assert_true(fd >= 0);
        assert_int_equal(vers_write_all(fd, "tests:\n  a: {}\n", 15), 15);
        close(fd);
        assert_int_equal(vers_suite_load(path, &s, &err), -1);
        _cleanup_free_ char *want = xasprintf("%s:2:3: test 'a' has no 'command'", path);
        assert_string_equal(err->msg, want);
        vers_error_free(&err);
        assert_zeroed(&s);
        unlink(path);

        assert_int_equal(vers_suite_load(path, &s, &err), -1);
        assert_non_null(err);
        assert_zeroed(&s);
        vers_error_free(&err);
}

static void test_nul_and_null_filename(void **state)
{
        (void)state;
        struct vers_suite s;
        vers_error_t err = NULL;
        /* an embedded NUL byte is refused by libyaml's reader */
        assert_int_equal(vers_suite_parse("name: a\0b\n", 10, NULL, &s, &err), -1);
        assert_string_equal(err->msg,
                            "vers-integration.yaml:1:8: control characters are not allowed");
        vers_error_free(&err);
        /* "\0" in a double-quoted string would silently cut it */
        const char *t = "tests: {a: {command: \"rm -rf /\\0tmp\"}}";
        assert_int_equal(vers_suite_parse(t, strlen(t), NULL, &s, &err), -1);
        assert_string_equal(err->msg,
                            "vers-integration.yaml:1:22: strings must not contain NUL characters");
        vers_error_free(&err);
}

struct bad {
        const char *name;
        const char *text;
        const char *msg;
};

static const struct bad bad_cases[] = {
    /* YAML itself */
    {"syntax_error", "name: a\n  b: c\n", F ":2:4: mapping values are not allowed in this context"},
    {"syntax_unclosed_flow", "tests: {a: [\n",
     F ":2:1: did not find expected node content (while parsing a flow node at line 2, column 1)"},
    {"syntax_tab_indent", "tests:\n\ta: 1\n",
     F ":2:1: found character that cannot start any token (while scanning for the next token at "
       "line 2, column 1)"},
    {"invalid_utf8", "name: \xff\n", F ":1:7: invalid leading UTF-8 octet"},
    {"alias", "tests:\n  a: &x {command: a}\n  b: *x\n",
     F ":2:6: YAML anchors and aliases are not supported"},
    {"alias_only", "name: *x\n", F ":1:7: YAML aliases are not supported"},
    {"anchor_on_scalar", "name: &n a\n", F ":1:7: YAML anchors and aliases are not supported"},
    {"tag", "name: !!str a\n", F ":1:7: YAML tags are not supported"},
    {"multiple_documents", "name: a\n---\nname: b\n",
     F ":2:1: multiple YAML documents are not supported"},
    {"empty_file", "", F ":1:1: the file holds no YAML document"},
    {"only_comments", "# nothing\n", F ":1:1: the file holds no YAML document"},
    {"top_not_mapping", "- a\n- b\n", F ":1:1: the top level must be a mapping, not a list"},
    {"top_scalar", "hello\n", F ":1:1: the top level must be a mapping, not a string"},
    {"top_null", "---\n", F ":2:1: the top level must be a mapping, not empty"},
    {"complex_key", "? [a]\n: b\n", F ":1:3: mapping keys must be strings, not lists"},
    {"too_deep",
     "a: "
     "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]"
     "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
     F ":1:67: nested more than 64 levels deep"},
    /* duplicate keys */
    {"duplicate_top_key", "name: a\nversion: 1\nname: b\n",
     F ":3:1: duplicate key 'name' (first on line 1)"},
    {"duplicate_test", "tests:\n  a: {command: a}\n  b: {command: b}\n  a: {command: c}\n",
     F ":4:3: duplicate key 'a' (first on line 2)"},
    {"duplicate_key_in_test", "tests:\n  a:\n    command: a\n    command: b\n",
     F ":4:5: duplicate key 'command' (first on line 3)"},
    {"duplicate_env",
     "tests:\n  a:\n    command: a\n    branches:\n      - name: b\n        env: {X: 1, X: 2}\n",
     F ":6:21: duplicate key 'X' (first on line 6)"},
    {"duplicate_branch",
     "tests:\n  a:\n    command: a\n    branches:\n      - name: b\n      - name: c\n      - name: "
     "b\n",
     F ":7:15: duplicate branch 'b' in test 'a' (first on line 5)"},
    {"duplicate_checkpoint", "checkpoints:\n  - {name: a, after: x}\n  - {name: a, after: y}\n",
     F ":3:12: duplicate checkpoint 'a' (first on line 2)"},
    {"duplicate_service", "services:\n  pg: {template: a}\n  pg: {template: b}\n",
     F ":3:3: duplicate key 'pg' (first on line 2)"},
    /* unknown keys */
    {"unknown_top_key", "name: a\ntest: {}\n",
     F ":2:1: unknown key 'test' (expected name, version, vm, services, tests or checkpoints)"},
    {"unknown_test_key", "tests:\n  schema:\n    comand: npm test\n",
     F ":3:5: unknown key 'comand' in test 'schema'"},
    {"unknown_branch_key",
     "tests:\n  a:\n    command: a\n    branches:\n      - name: up\n        environment: {}\n",
     F ":6:9: unknown key 'environment' in branch 'up' of test 'a'"},
    {"unknown_branch_key_before_name",
     "tests:\n  a:\n    command: a\n    branches:\n      - nmae: x\n        name: up\n",
     F ":5:9: unknown key 'nmae' in branch 'up' of test 'a'"},
    {"unknown_vm_key", "vm:\n  memory: 2048\n",
     F ":2:3: unknown key 'memory' in 'vm' (expected memory_mib, vcpu or storage_mib)"},
    {"unknown_service_key", "services:\n  pg:\n    template: p\n    databases: [a]\n",
     F ":4:5: unknown key 'databases' in service 'pg'"},
    {"unknown_config_key", "services:\n  pg:\n    template: p\n    config:\n      database: [a]\n",
     F ":5:7: unknown key 'database' in 'config' of service 'pg'"},
    {"unknown_checkpoint_key", "checkpoints:\n  - name: a\n    after: b\n    before: c\n",
     F ":4:5: unknown key 'before' in checkpoint 'a'"},
    {"unknown_key_shown_escaped", "tests:\n  a:\n    \"x\\ny'\": 1\n",
     F ":3:5: unknown key 'x\\x0ay\\x27' in test 'a'"},
    /* wrong types */
    {"name_not_string", "name: [a]\n", F ":1:7: suite name must be a string, not a list"},
    {"version_mapping", "version: {a: 1}\n", F ":1:10: 'version' must be a string, not a mapping"},
    {"version_empty", "version:\n", F ":1:9: 'version' must not be empty"},
    {"vm_not_mapping", "vm: 2048\n", F ":1:5: 'vm' must be a mapping, not a string"},
    {"vm_not_integer", "vm:\n  vcpu: two\n",
     F ":2:9: 'vcpu' in 'vm' must be an integer, not 'two'"},
    {"vm_quoted_integer", "vm:\n  vcpu: \"2\"\n",
     F ":2:9: 'vcpu' in 'vm' must be an integer, not '2'"},
    {"vm_negative", "vm:\n  vcpu: -1\n", F ":2:9: 'vcpu' in 'vm' must be an integer, not '-1'"},
    {"vm_list", "vm:\n  vcpu: [1]\n", F ":2:9: 'vcpu' in 'vm' must be an integer, not a list"},
    {"vm_empty", "vm:\n  vcpu:\n", F ":2:8: 'vcpu' in 'vm' must be an integer, not empty"},
    {"services_list", "services:\n  - pg\n",
     F ":2:3: 'services' must be a mapping of service names to services, not a list"},
    {"service_not_mapping", "services:\n  pg: postgres@15\n",
     F ":2:7: 'pg' in 'services' must be a mapping, not a string"},
    {"template_list", "services:\n  pg:\n    template: [a]\n",
     F ":3:15: 'template' in service 'pg' must be a string, not a list"},
    {"config_list", "services:\n  pg:\n    template: a\n    config: []\n",
     F ":4:13: 'config' in service 'pg' must be a mapping, not a list"},
    {"databases_string", "services:\n  pg:\n    template: a\n    config:\n      databases: app\n",
     F ":5:18: 'databases' in 'config' of service 'pg' must be a list of strings, not a string"},
    {"extensions_nested",
     "services:\n  pg:\n    template: a\n    config:\n      extensions: [a, [b]]\n",
     F ":5:23: 'extensions' in 'config' of service 'pg' must be a list of strings, found a list"},
    {"settings_list", "services:\n  pg:\n    template: a\n    config:\n      settings: [a]\n",
     F ":5:17: 'settings' in 'config' of service 'pg' must be a mapping, not a list"},
    {"setting_value_list",
     "services:\n  pg:\n    template: a\n    config:\n      settings: {a: [1]}\n",
     F ":5:21: setting 'a' in 'config' of service 'pg' must be a scalar, not a list"},
    {"setting_bad_key",
     "services:\n  pg:\n    template: a\n    config:\n      settings: {\"a b\": 1}\n",
     F ":5:18: invalid setting name 'a b' in 'config' of service 'pg' (letters, digits, '_' and "
       "'.')"},
    {"tests_list", "tests:\n  - a\n",
     F ":2:3: 'tests' must be a mapping of test names to tests, not a list"},
    {"test_not_mapping", "tests:\n  a: npm test\n",
     F ":2:6: 'a' in 'tests' must be a mapping, not a string"},
    {"command_list", "tests:\n  a:\n    command: [npm, test]\n",
     F ":3:14: 'command' in test 'a' must be a string, not a list"},
    {"command_empty", "tests:\n  a:\n    command: ''\n",
     F ":3:14: 'command' in test 'a' must not be empty"},
    {"command_null", "tests:\n  a:\n    command: ~\n",
     F ":3:14: 'command' in test 'a' must not be empty"},
    {"depends_on_string", "tests:\n  a:\n    command: a\n    depends_on: postgres\n",
     F ":4:17: 'depends_on' in test 'a' must be a list of names, not a string"},
    {"depends_on_mapping_item", "tests:\n  a:\n    command: a\n    depends_on: [{b: c}]\n",
     F ":4:18: 'depends_on' in test 'a' must be a list of names, found a mapping"},
    {"depends_on_empty_item", "tests:\n  a:\n    command: a\n    depends_on: [b, '']\n",
     F ":4:21: 'depends_on' in test 'a' must not contain empty entries"},
    {"branches_mapping", "tests:\n  a:\n    command: a\n    branches: {b: {}}\n",
     F ":4:15: 'branches' in test 'a' must be a list, not a mapping"},
    {"branch_string", "tests:\n  a:\n    command: a\n    branches: [b]\n",
     F ":4:16: branch 1 of test 'a' must be a mapping, not a string"},
    {"env_list",
     "tests:\n  a:\n    command: a\n    branches:\n      - name: b\n        env: [X=1]\n",
     F ":6:14: 'env' in branch 'b' of test 'a' must be a mapping of variable names to values, not "
       "a list"},
    {"env_value_mapping",
     "tests:\n  a:\n    command: a\n    branches:\n      - name: b\n        env:\n          X: {y: "
     "1}\n",
     F ":7:14: 'X' in 'env' in branch 'b' of test 'a' must be a scalar, not a mapping"},
    {"env_bad_name",
     "tests:\n  a:\n    command: a\n    branches:\n      - name: b\n        env: {1X: 1}\n",
     F ":6:15: invalid environment variable name '1X' in branch 'b' of test 'a'"},
    {"env_name_with_equals",
     "tests:\n  a:\n    command: a\n    branches:\n      - name: b\n        env: {\"A=B\": 1}\n",
     F ":6:15: invalid environment variable name 'A=B' in branch 'b' of test 'a'"},
    {"before_list",
     "tests:\n  a:\n    command: a\n    branches:\n      - name: b\n        before: [x]\n",
     F ":6:17: 'before' in branch 'b' of test 'a' must be a string, not a list"},
    {"checkpoints_mapping", "checkpoints:\n  a: {after: b}\n",
     F ":2:3: 'checkpoints' must be a list, not a mapping"},
    {"checkpoint_string", "checkpoints:\n  - a\n",
     F ":2:5: checkpoint 1 must be a mapping, not a string"},
    {"checkpoint_after_list", "checkpoints:\n  - name: a\n    after: [b]\n",
     F ":3:12: 'after' in checkpoint 'a' must be a string, not a list"},
    /* missing fields */
    {"test_without_command", "tests:\n  a:\n    depends_on: []\n",
     F ":2:3: test 'a' has no 'command'"},
    {"test_empty_value", "tests:\n  a:\n", F ":2:5: 'a' in 'tests' must be a mapping, not empty"},
    {"branch_without_name",
     "tests:\n  a:\n    command: a\n    branches:\n      - name: x\n      - env: {A: 1}\n",
     F ":6:9: branch 2 of test 'a' has no 'name'"},
    {"checkpoint_without_name", "checkpoints:\n  - after: a\n",
     F ":2:5: checkpoint 1 has no 'name'"},
    {"checkpoint_without_after", "checkpoints:\n  - name: a\n    after: b\n  - name: c\n",
     F ":4:5: checkpoint 'c' has no 'after'"},
    {"service_without_template", "services:\n  pg:\n    config: {}\n",
     F ":2:3: service 'pg' has no 'template'"},
    /* names */
    {"bad_suite_name", "name: my suite\n",
     F ":1:7: invalid suite name 'my suite' (1 to 64 letters, digits, '.', '_' or '-', not "
       "starting with '.' or '-')"},
    {"bad_test_name", "tests:\n  a/b: {command: a}\n",
     F ":2:3: invalid test name 'a/b' (1 to 64 letters, digits, '.', '_' or '-', not starting with "
       "'.' or '-')"},
    {"bad_test_name_dot", "tests:\n  .a: {command: a}\n",
     F ":2:3: invalid test name '.a' (1 to 64 letters, digits, '.', '_' or '-', not starting with "
       "'.' or '-')"},
    {"long_test_name",
     "tests:\n  aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: {command: a}\n",
     F ":2:3: invalid test name "
       "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' (1 to 64 letters, "
       "digits, '.', '_' or '-', not starting with '.' or '-')"},
    {"bad_branch_name", "tests:\n  a:\n    command: a\n    branches:\n      - name: 'a b'\n",
     F ":5:15: invalid branch name 'a b' (1 to 64 letters, digits, '.', '_' or '-', not starting "
       "with '.' or '-')"},
    {"bad_checkpoint_name", "checkpoints:\n  - name: ../x\n    after: a\n",
     F ":2:11: invalid checkpoint name '../x' (1 to 64 letters, digits, '.', '_' or '-', not "
       "starting with '.' or '-')"},
    {"bad_service_name", "services:\n  'pg 15': {template: a}\n",
     F ":2:3: invalid service name 'pg 15' (1 to 64 letters, digits, '.', '_' or '-', not starting "
       "with '.' or '-')"},
    {"branch_name_list", "tests:\n  a:\n    command: a\n    branches:\n      - name: [x]\n",
     F ":5:15: branch name must be a string, not a list"},
    /* ranges */
    {"memory_too_small", "vm:\n  memory_mib: 63\n",
     F ":2:15: 'memory_mib' in 'vm' must be between 64 and 1048576, not 63"},
    {"memory_too_big", "vm:\n  memory_mib: 1048577\n",
     F ":2:15: 'memory_mib' in 'vm' must be between 64 and 1048576, not 1048577"},
    {"vcpu_zero", "vm:\n  vcpu: 0\n", F ":2:9: 'vcpu' in 'vm' must be between 1 and 1024, not 0"},
    {"storage_overflow", "vm:\n  storage_mib: 99999999999999999999999\n",
     F ":2:16: 'storage_mib' in 'vm' must be between 16 and 16777216, not 99999999999999999999999"},
    /* references */
    {"depends_on_unknown",
     "services: {postgres: {template: p}}\ntests:\n  a:\n    command: a\n    depends_on: "
     "[postgres, postgress]\n",
     F ":5:28: test 'a' depends on 'postgress', which is neither a test nor a service"},
    {"depends_on_twice",
     "tests:\n  a: {command: a}\n  b:\n    command: b\n    depends_on: [a, a]\n",
     F ":5:21: 'a' is listed twice in 'depends_on' of test 'b'"},
    {"test_named_like_service", "services: {pg: {template: p}}\ntests:\n  pg: {command: a}\n",
     F ":3:3: test 'pg' has the same name as service 'pg'"},
    {"self_dependency", "tests:\n  a:\n    command: a\n    depends_on: [a]\n",
     F ":2:3: tests depend on each other in a cycle: a -> a"},
    {"cycle",
     "tests:\n  a: {command: a, depends_on: [b]}\n  b: {command: b, depends_on: [c]}\n  c: "
     "{command: c, depends_on: [a]}\n  d: {command: d, depends_on: [a]}\n",
     F ":2:3: tests depend on each other in a cycle: a -> b -> c -> a"},
    {"cycle_behind_ready_tests",
     "tests:\n  x: {command: x}\n  y: {command: y, depends_on: [z]}\n  z: {command: z, depends_on: "
     "[y, x]}\n",
     F ":3:3: tests depend on each other in a cycle: y -> z -> y"},
};

static void test_bad(void **state)
{
        const struct bad *c = *state;
        expect_error(c->text, c->msg);
}

int main(void)
{
        static const struct CMUnitTest fixed[] = {
            cmocka_unit_test(test_seed),
            cmocka_unit_test(test_not_nul_terminated),
            cmocka_unit_test(test_minimal_and_defaults),
            cmocka_unit_test(test_scalars_kept_as_text),
            cmocka_unit_test(test_order_of_entries),
            cmocka_unit_test(test_order),
            cmocka_unit_test(test_order_cycle_hand_built),
            cmocka_unit_test(test_load),
            cmocka_unit_test(test_nul_and_null_filename),
        };
        return RUN_WITH_TABLE("suite", fixed, bad_cases, test_bad);
}
