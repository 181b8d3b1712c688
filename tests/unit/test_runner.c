/* Unit tests for the parts of vers test that need no root (src/lib/test/plan.c, report.c):
 * which branches run in which order, which are skipped, the checkpoint keys, the JSON report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/hash.h"
#include "base/util.h"
#include "test/runner.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char mini_yaml[] = "name: mini\n"
                                "services:\n"
                                "  postgres:\n"
                                "    template: postgres@15\n"
                                "tests:\n"
                                "  second:\n"
                                "    command: psql -c 'SELECT 1'\n"
                                "    depends_on: [first]\n"
                                "    branches:\n"
                                "      - name: good\n"
                                "        before: psql -c 'CREATE TABLE extra(x int)'\n"
                                "      - name: bad\n"
                                "  first:\n"
                                "    command: psql -c 'SELECT 2'\n"
                                "    depends_on: [postgres]\n"
                                "  blocked:\n"
                                "    command: \"true\"\n"
                                "    depends_on: [second]\n"
                                "checkpoints:\n"
                                "  - name: schema-loaded\n"
                                "    after: psql -q -f schema.sql\n"
                                "  - name: seeded\n"
                                "    after: psql -q -f seed.sql && echo done\n";

static void load(const char *yaml, struct vers_suite *s)
{
        vers_error_t err = NULL;
        if (vers_suite_parse(yaml, strlen(yaml), "vers-integration.yaml", s, &err) < 0)
                fail_msg("%s", err->msg);
}

/* "test/branch" of each item, space-separated */
static char *plan_text(const struct vers_suite *s, const char *only)
{
        struct vers_test_item *items = NULL;
        size_t n = 0;
        vers_error_t err = NULL;
        assert_int_equal(vers_test_plan(s, only, 0, 0, &items, &n, &err), 0);
        char *out = xstrdup("");
        for (size_t i = 0; i < n; i++) {
                char *next = xasprintf("%s%s%s/%s", out, i ? " " : "", s->tests[items[i].test].name,
                                       vers_test_item_branch(&items[i]));
                free(out);
                out = next;
        }
        free(items);
        return out;
}

static void test_plan_order_and_only(void **state)
{
        (void)state;
        struct vers_suite s;
        load(mini_yaml, &s);
        /* dependencies first (second is written first), branches as written, "default" for
         * a test without branches */
        _cleanup_free_ char *all = plan_text(&s, NULL);
        assert_string_equal(all, "first/default second/good second/bad blocked/default");
        _cleanup_free_ char *one = plan_text(&s, "second");
        assert_string_equal(one, "second/good second/bad");
        _cleanup_free_ char *branch = plan_text(&s, "second/bad");
        assert_string_equal(branch, "second/bad");
        _cleanup_free_ char *dflt = plan_text(&s, "first/default");
        assert_string_equal(dflt, "first/default");
        /* a prefix of a test's name is not that test */
        _cleanup_free_ char *prefix = plan_text(&s, "sec/good");
        assert_string_equal(prefix, "");
        _cleanup_free_ char *none = plan_text(&s, "nosuch");
        assert_string_equal(none, "");
        vers_suite_free(&s);
}

static void test_plan_refuses_a_cycle(void **state)
{
        (void)state;
        /* the parser refuses cycles too: build one by hand, as --migrations builds tests */
        struct vers_suite s;
        load("name: c\ntests:\n  a:\n    command: x\n  b:\n    command: y\n", &s);
        strv_push(&s.tests[0].depends_on, "b");
        strv_push(&s.tests[1].depends_on, "a");
        struct vers_test_item *items = NULL;
        size_t n = 0;
        vers_error_t err = NULL;
        assert_int_equal(vers_test_plan(&s, NULL, 0, 0, &items, &n, &err), -1);
        assert_non_null(strstr(err->msg, "a -> b -> a"));
        vers_error_free(&err);
        assert_null(items);
        vers_suite_free(&s);
}

static void test_blocked_by(void **state)
{
        (void)state;
        struct vers_suite s;
        load(mini_yaml, &s);
        ssize_t first = vers_suite_find_test(&s, "first");
        ssize_t second = vers_suite_find_test(&s, "second");
        ssize_t blocked = vers_suite_find_test(&s, "blocked");
        struct vers_test_result results[] = {
            {.test = "first", .branch = "default", .status = VERS_TEST_PASSED},
            {.test = "second", .branch = "good", .status = VERS_TEST_PASSED},
            {.test = "second", .branch = "bad", .status = VERS_TEST_PASSED},
        };
        struct vers_test_report rep = {.results = results, .n_results = 3};
        /* a service dependency never blocks */
        assert_null(vers_test_blocked_by(&s, (size_t)first, &rep));
        assert_null(vers_test_blocked_by(&s, (size_t)second, &rep));
        assert_null(vers_test_blocked_by(&s, (size_t)blocked, &rep));
        /* one failing branch blocks every test depending on the test */
        results[2].status = VERS_TEST_FAILED;
        assert_string_equal(vers_test_blocked_by(&s, (size_t)blocked, &rep), "second");
        assert_null(vers_test_blocked_by(&s, (size_t)second, &rep));
        /* and so does a skipped one: skipping goes down the chain */
        results[2].status = VERS_TEST_PASSED;
        results[0].status = VERS_TEST_SKIPPED;
        assert_string_equal(vers_test_blocked_by(&s, (size_t)second, &rep), "first");
        /* a dependency --only left out has no result, and blocks nothing */
        rep.n_results = 0;
        assert_null(vers_test_blocked_by(&s, (size_t)blocked, &rep));
        vers_suite_free(&s);
}

/* a project directory with schema.sql and seed.sql */
static char *project(void)
{
        char *dir = xstrdup("/tmp/vers-unit-runner-XXXXXX");
        assert_non_null(mkdtemp(dir));
        _cleanup_free_ char *schema = xasprintf("%s/schema.sql", dir);
        _cleanup_free_ char *seed = xasprintf("%s/seed.sql", dir);
        assert_int_equal(vers_write_file_atomic(schema, "CREATE TABLE t(x int);\n", 23, 0644, NULL),
                         0);
        assert_int_equal(
            vers_write_file_atomic(seed, "INSERT INTO t VALUES (1);\n", 26, 0644, NULL), 0);
        return dir;
}

static void edit(const char *dir, const char *name, const char *text)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
        assert_int_equal(vers_write_file_atomic(p, text, strlen(text), 0644, NULL), 0);
}

static void test_checkpoint_names(void **state)
{
        (void)state;
        struct vers_suite s;
        load(mini_yaml, &s);
        assert_int_equal(vers_test_n_checkpoints(&s), 2);
        assert_string_equal(vers_test_checkpoint_name(&s, 1), "seeded");
        assert_string_equal(vers_test_checkpoint_after(&s, 0), "psql -q -f schema.sql");
        vers_suite_free(&s);
        /* without checkpoints, one: the fresh env, "base", no command */
        load("name: x\ntests:\n  a:\n    command: \"true\"\n", &s);
        assert_int_equal(vers_test_n_checkpoints(&s), 1);
        assert_string_equal(vers_test_checkpoint_name(&s, 0), "base");
        assert_null(vers_test_checkpoint_after(&s, 0));
        vers_suite_free(&s);
}

static void test_checkpoint_keys(void **state)
{
        (void)state;
        struct vers_suite s;
        load(mini_yaml, &s);
        _cleanup_free_ char *dir = project();
        _cleanup_strv_ char **k = vers_test_checkpoint_keys(&s, "img1", dir);
        assert_int_equal(strv_len(k), 2);
        for (size_t i = 0; i < 2; i++) {
                assert_int_equal(strlen(k[i]), VERS_HASH_HEX);
                assert_int_equal(strspn(k[i], "0123456789abcdef"), VERS_HASH_HEX);
        }
        assert_string_not_equal(k[0], k[1]);
        /* the same inputs, the same keys */
        _cleanup_strv_ char **again = vers_test_checkpoint_keys(&s, "img1", dir);
        assert_string_equal(again[0], k[0]);
        assert_string_equal(again[1], k[1]);
        /* another image: every key changes */
        _cleanup_strv_ char **img = vers_test_checkpoint_keys(&s, "img2", dir);
        assert_string_not_equal(img[0], k[0]);
        assert_string_not_equal(img[1], k[1]);
        /* a file the second command names: that key changes, the one before it does not */
        edit(dir, "seed.sql", "INSERT INTO t VALUES (2);\n");
        _cleanup_strv_ char **seed = vers_test_checkpoint_keys(&s, "img1", dir);
        assert_string_equal(seed[0], k[0]);
        assert_string_not_equal(seed[1], k[1]);
        /* a file the first command names: both change (a key covers every checkpoint before) */
        edit(dir, "schema.sql", "CREATE TABLE t(x bigint);\n");
        _cleanup_strv_ char **schema = vers_test_checkpoint_keys(&s, "img1", dir);
        assert_string_not_equal(schema[0], seed[0]);
        assert_string_not_equal(schema[1], seed[1]);
        /* a file no command names changes nothing */
        edit(dir, "unrelated.sql", "SELECT 1;\n");
        _cleanup_strv_ char **same = vers_test_checkpoint_keys(&s, "img1", dir);
        assert_string_equal(same[0], schema[0]);
        assert_string_equal(same[1], schema[1]);
        /* without a project directory no file is read */
        _cleanup_strv_ char **nodir = vers_test_checkpoint_keys(&s, "img1", NULL);
        assert_string_not_equal(nodir[0], same[0]);
        /* a checkpoint's command, and its place, are part of its key */
        free(s.checkpoints[1].after);
        s.checkpoints[1].after = xstrdup("psql -q -f seed.sql");
        _cleanup_strv_ char **cmd = vers_test_checkpoint_keys(&s, "img1", dir);
        assert_string_equal(cmd[0], same[0]);
        assert_string_not_equal(cmd[1], same[1]);
        struct vers_suite_checkpoint tmp = s.checkpoints[0];
        s.checkpoints[0] = s.checkpoints[1];
        s.checkpoints[1] = tmp;
        _cleanup_strv_ char **swapped = vers_test_checkpoint_keys(&s, "img1", dir);
        assert_string_not_equal(swapped[0], cmd[1]);
        assert_string_not_equal(swapped[1], cmd[0]);
        vers_suite_free(&s);
        vers_rm_rf(dir, NULL);
}

/* The keys of two fixed suites: SHA-256 over the framed pieces (8-byte little-endian length,
 * then the bytes) "vers test checkpoint v3", the image's build key, "" (no key before), the name,
 * "after" or "no after", the command; worked out apart from vers (Python's hashlib). */
#define PINNED_KEY "6d25be5adb6328c253564b089a91217ddd359f90369c8ca3d0c839d8fa5711fd"
#define PINNED_BASE_KEY "a366ff9f97e922ba689c1173dd913e026a51c25c237f575e07534b7ba44b3066"

/* Pinned: a change to how keys are made has every cached checkpoint of every user rebuilt
 * once, so it must be on purpose (and come with a new VERS_TEST_KEY_VERSION). */
static void test_checkpoint_key_pinned(void **state)
{
        (void)state;
        struct vers_suite s;
        load("name: x\ntests:\n  a:\n    command: \"true\"\ncheckpoints:\n"
             "  - name: one\n    after: echo hi\n",
             &s);
        _cleanup_strv_ char **k = vers_test_checkpoint_keys(&s, "0123456789ab", NULL);
        assert_string_equal(k[0], PINNED_KEY);
        vers_suite_free(&s);
        load("name: x\ntests:\n  a:\n    command: \"true\"\n", &s);
        _cleanup_strv_ char **b = vers_test_checkpoint_keys(&s, "0123456789ab", NULL);
        assert_string_equal(b[0], PINNED_BASE_KEY);
        vers_suite_free(&s);
}

static void test_report_json(void **state)
{
        (void)state;
        struct vers_checkpoint_result cps[] = {
            {.name = "schema-loaded", .commit = "c0ffee", .reused = true, .seconds = 0.1234},
            {.name = "seeded", .commit = NULL, .reused = false, .seconds = 2},
        };
        struct vers_test_result results[] = {
            {.test = "first",
             .branch = "default",
             .status = VERS_TEST_PASSED,
             .seconds = 1.5,
             .output = "$ psql\n 1\n"},
            {.test = "second",
             .branch = "bad",
             .status = VERS_TEST_FAILED,
             .exit_code = 1,
             .before_failed = true,
             .seconds = 0.25,
             .env = "abcdef012345",
             .output = "quote \" backslash \\ tab \t bell \a caf\xc3\xa9 bad \xff\xfe end"},
            {.test = "blocked", .branch = "default", .status = VERS_TEST_SKIPPED, .output = NULL},
        };
        struct vers_test_report rep = {
            .suite = "mini",
            .checkpoints = cps,
            .n_checkpoints = 2,
            .results = results,
            .n_results = 3,
            .passed = 1,
            .failed = 1,
            .skipped = 1,
            .seconds = 12.3456,
        };
        _cleanup_free_ char *text = vers_test_report_json(&rep);
        /* one line, then a newline; the layout the CLI tests and scripts read */
        assert_non_null(strchr(text, '\n'));
        assert_int_equal(strchr(text, '\n') - text, (ptrdiff_t)strlen(text) - 1);
        assert_non_null(strstr(text,
                               "{\"suite\": \"mini\", \"checkpoints\": [{\"name\": "
                               "\"schema-loaded\", \"commit\": \"c0ffee\", \"reused\": true"));
        assert_non_null(strstr(text, "\"test\": \"second\", \"branch\": \"bad\", \"status\": "
                                     "\"failed\", \"exit_code\": 1, \"before_failed\": true"));
        assert_non_null(strstr(text, "\"passed\": 1, \"failed\": 1, \"skipped\": 1"));
        json_error_t jerr;
        json_t *j = json_loads(text, 0, &jerr);
        if (!j)
                fail_msg("not JSON: %s: %s", jerr.text, text);
        assert_string_equal(json_string_value(json_object_get(j, "suite")), "mini");
        json_t *c = json_object_get(j, "checkpoints");
        assert_int_equal(json_array_size(c), 2);
        assert_true(json_is_true(json_object_get(json_array_get(c, 0), "reused")));
        assert_true(json_is_false(json_object_get(json_array_get(c, 1), "reused")));
        assert_string_equal(json_string_value(json_object_get(json_array_get(c, 1), "commit")), "");
        /* seconds to the millisecond */
        assert_true(json_real_value(json_object_get(json_array_get(c, 0), "seconds")) == 0.123);
        assert_true(json_number_value(json_object_get(json_array_get(c, 1), "seconds")) == 2.0);
        assert_true(json_real_value(json_object_get(j, "seconds")) == 12.346);
        assert_non_null(strstr(text, "\"seconds\": 0.123}"));
        json_t *r = json_object_get(j, "results");
        assert_int_equal(json_array_size(r), 3);
        json_t *r0 = json_array_get(r, 0), *r1 = json_array_get(r, 1), *r2 = json_array_get(r, 2);
        assert_string_equal(json_string_value(json_object_get(r0, "status")), "passed");
        assert_true(json_is_null(json_object_get(r0, "env")));
        assert_string_equal(json_string_value(json_object_get(r0, "output")), "$ psql\n 1\n");
        assert_int_equal(json_integer_value(json_object_get(r0, "exit_code")), 0);
        assert_string_equal(json_string_value(json_object_get(r1, "env")), "abcdef012345");
        /* every byte that is not UTF-8 is U+FFFD, the rest as printed */
        assert_string_equal(json_string_value(json_object_get(r1, "output")),
                            "quote \" backslash \\ tab \t bell \a caf\xc3\xa9 bad "
                            "\xef\xbf\xbd\xef\xbf\xbd end");
        assert_string_equal(json_string_value(json_object_get(r2, "status")), "skipped");
        assert_string_equal(json_string_value(json_object_get(r2, "output")), "");
        assert_int_equal(json_integer_value(json_object_get(j, "skipped")), 1);
        json_decref(j);
}

static void test_report_json_odd_utf8(void **state)
{
        (void)state;
        /* overlong forms, surrogates, a cut sequence at the end, code points past U+10FFFF */
        const char *bad[] = {"\xc0\xaf", "\xed\xa0\x80", "ab\xe2\x82", "\xf4\x90\x80\x80",
                             "\xf0\x9f\x98\x80 ok"};
        const char *want[] = {"\xef\xbf\xbd\xef\xbf\xbd", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
                              "ab\xef\xbf\xbd\xef\xbf\xbd",
                              "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
                              "\xf0\x9f\x98\x80 ok"};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                struct vers_test_result res = {
                    .test = "t", .branch = "b", .output = (char *)bad[i]};
                struct vers_test_report rep = {.suite = "s", .results = &res, .n_results = 1};
                _cleanup_free_ char *text = vers_test_report_json(&rep);
                json_t *j = json_loads(text, 0, NULL);
                assert_non_null(j);
                const char *got = json_string_value(
                    json_object_get(json_array_get(json_object_get(j, "results"), 0), "output"));
                assert_string_equal(got, want[i]);
                json_decref(j);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_plan_order_and_only),
            cmocka_unit_test(test_plan_refuses_a_cycle),
            cmocka_unit_test(test_blocked_by),
            cmocka_unit_test(test_checkpoint_names),
            cmocka_unit_test(test_checkpoint_keys),
            cmocka_unit_test(test_checkpoint_key_pinned),
            cmocka_unit_test(test_report_json),
            cmocka_unit_test(test_report_json_odd_utf8),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
