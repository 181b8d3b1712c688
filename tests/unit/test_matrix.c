/* Unit tests for the test×branch matrix and its shards (src/lib/test/matrix.c) and the plan
 * built on it (plan.c): run order, "default" branches, stable slices that partition the
 * matrix exactly, and the one-line errors of --shard. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/util.h"
#include "test/matrix.h"
#include "test/runner.h"

#include <string.h>

static const char suite_yaml[] = "name: m\n"
                                 "services:\n"
                                 "  postgres:\n"
                                 "    template: postgres@15\n"
                                 "tests:\n"
                                 "  late:\n"
                                 "    command: \"true\"\n"
                                 "    depends_on: [early, postgres]\n"
                                 "    branches:\n"
                                 "      - name: a\n"
                                 "      - name: b\n"
                                 "      - name: c\n"
                                 "  early:\n"
                                 "    command: \"true\"\n"
                                 "  middle:\n"
                                 "    command: \"true\"\n"
                                 "    branches:\n"
                                 "      - name: x\n"
                                 "      - name: y\n";

static void load(const char *yaml, struct vers_suite *s)
{
        vers_error_t err = NULL;
        if (vers_suite_parse(yaml, strlen(yaml), "vers-integration.yaml", s, &err) < 0)
                fail_msg("%s", err->msg);
}

static void test_matrix_order(void **state)
{
        (void)state;
        struct vers_suite s;
        load(suite_yaml, &s);
        struct vers_test_cell *cells = NULL;
        size_t n = 0;
        vers_error_t err = NULL;
        assert_int_equal(vers_test_matrix(&s, &cells, &n, &err), 0);
        /* early first (late depends on it), then late and middle as written */
        static const char *want[][2] = {{"early", "default"}, {"late", "a"},   {"late", "b"},
                                        {"late", "c"},        {"middle", "x"}, {"middle", "y"}};
        assert_int_equal(n, 6);
        for (size_t k = 0; k < n; k++) {
                assert_string_equal(cells[k].test_name, want[k][0]);
                assert_string_equal(cells[k].branch_name, want[k][1]);
                assert_int_equal(cells[k].index, k);
                assert_string_equal(s.tests[cells[k].test].name, want[k][0]);
        }
        assert_int_equal(cells[0].branch, 0);
        assert_int_equal(cells[2].branch, 1);
        assert_string_equal(s.tests[cells[2].test].branches[cells[2].branch].name, "b");
        free(cells);
        vers_suite_free(&s);
}

static void test_matrix_empty(void **state)
{
        (void)state;
        struct vers_suite s;
        memset(&s, 0, sizeof s);
        struct vers_test_cell *cells = NULL;
        size_t n = 7;
        vers_error_t err = NULL;
        assert_int_equal(vers_test_matrix(&s, &cells, &n, &err), 0);
        assert_int_equal(n, 0);
        free(cells);
}

static void test_matrix_refuses_a_cycle(void **state)
{
        (void)state;
        struct vers_suite s;
        load("name: c\ntests:\n  a:\n    command: x\n  b:\n    command: y\n", &s);
        strv_push(&s.tests[0].depends_on, "b");
        strv_push(&s.tests[1].depends_on, "a");
        struct vers_test_cell *cells = NULL;
        size_t n = 0;
        vers_error_t err = NULL;
        assert_int_equal(vers_test_matrix(&s, &cells, &n, &err), -1);
        assert_non_null(strstr(err->msg, "a -> b -> a"));
        assert_null(cells);
        vers_error_free(&err);
        vers_suite_free(&s);
}

/* every cell in exactly one of the n shards, for many sizes */
static void test_shards_partition(void **state)
{
        (void)state;
        for (unsigned n = 1; n <= 9; n++) {
                for (size_t k = 0; k < 100; k++) {
                        unsigned owners = 0;
                        for (unsigned i = 1; i <= n; i++)
                                owners += vers_test_shard_has(k, i, n);
                        assert_int_equal(owners, 1);
                }
        }
        /* round-robin: consecutive cells go to consecutive shards */
        assert_true(vers_test_shard_has(0, 1, 3));
        assert_true(vers_test_shard_has(1, 2, 3));
        assert_true(vers_test_shard_has(2, 3, 3));
        assert_true(vers_test_shard_has(3, 1, 3));
        assert_false(vers_test_shard_has(0, 0, 3));
        assert_false(vers_test_shard_has(0, 1, 0));
}

static char *plan_text(const struct vers_suite *s, unsigned shard, unsigned of)
{
        struct vers_test_item *items = NULL;
        size_t n = 0;
        vers_error_t err = NULL;
        assert_int_equal(vers_test_plan(s, NULL, shard, of, &items, &n, &err), 0);
        char *out = xstrdup("");
        for (size_t i = 0; i < n; i++) {
                char *next =
                    xasprintf("%s%s%zu:%s/%s", out, i ? " " : "", items[i].index,
                              s->tests[items[i].test].name, vers_test_item_branch(&items[i]));
                free(out);
                out = next;
        }
        free(items);
        return out;
}

static void test_plan_shards(void **state)
{
        (void)state;
        struct vers_suite s;
        load(suite_yaml, &s);
        _cleanup_free_ char *all = plan_text(&s, 0, 0);
        assert_string_equal(all, "0:early/default 1:late/a 2:late/b 3:late/c 4:middle/x "
                                 "5:middle/y");
        _cleanup_free_ char *one = plan_text(&s, 1, 1);
        assert_string_equal(one, all);
        _cleanup_free_ char *a = plan_text(&s, 1, 4);
        _cleanup_free_ char *b = plan_text(&s, 2, 4);
        _cleanup_free_ char *c = plan_text(&s, 3, 4);
        _cleanup_free_ char *d = plan_text(&s, 4, 4);
        assert_string_equal(a, "0:early/default 4:middle/x");
        assert_string_equal(b, "1:late/a 5:middle/y");
        assert_string_equal(c, "2:late/b");
        assert_string_equal(d, "3:late/c");
        /* more shards than cells: the last ones are empty, not an error */
        _cleanup_free_ char *e = plan_text(&s, 7, 7);
        assert_string_equal(e, "");
        /* the same suite parsed again gives the same slices */
        struct vers_suite s2;
        load(suite_yaml, &s2);
        _cleanup_free_ char *b2 = plan_text(&s2, 2, 4);
        assert_string_equal(b2, b);
        vers_suite_free(&s2);
        vers_suite_free(&s);
}

static void test_shard_parse(void **state)
{
        (void)state;
        unsigned i = 0, n = 0;
        vers_error_t err = NULL;
        assert_int_equal(vers_test_shard_parse("2/3", &i, &n, &err), 0);
        assert_int_equal(i, 2);
        assert_int_equal(n, 3);
        assert_int_equal(vers_test_shard_parse("1/1", &i, &n, &err), 0);
        assert_int_equal(vers_test_shard_parse("10000/10000", &i, &n, &err), 0);
        static const struct {
                const char *text, *msg;
        } bad[] = {
            {"0/3", "--shard '0/3': I must be 1 to 3"},
            {"4/3", "--shard '4/3': I must be 1 to 3"},
            {"1/0", "--shard '1/0': N must be 1 to 10000"},
            {"1/10001", "--shard '1/10001': N must be 1 to 10000"},
            {"a/b", "--shard 'a/b': expected I/N, two numbers (1/4)"},
            {"1", "--shard '1': expected I/N, two numbers (1/4)"},
            {"1/", "--shard '1/': expected I/N, two numbers (1/4)"},
            {"/2", "--shard '/2': expected I/N, two numbers (1/4)"},
            {"-1/2", "--shard '-1/2': expected I/N, two numbers (1/4)"},
            {"1/2/3", "--shard '1/2/3': expected I/N, two numbers (1/4)"},
            {" 1/2", "--shard ' 1/2': expected I/N, two numbers (1/4)"},
            {"1/999999999999", "--shard '1/999999999999': expected I/N, two numbers (1/4)"},
        };
        for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
                i = n = 77;
                assert_int_equal(vers_test_shard_parse(bad[k].text, &i, &n, &err), -1);
                assert_string_equal(err->msg, bad[k].msg);
                assert_int_equal(i, 77);
                vers_error_free(&err);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_matrix_order),
            cmocka_unit_test(test_matrix_empty),
            cmocka_unit_test(test_matrix_refuses_a_cycle),
            cmocka_unit_test(test_shards_partition),
            cmocka_unit_test(test_plan_shards),
            cmocka_unit_test(test_shard_parse),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
