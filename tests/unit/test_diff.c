/* Unit tests for the pure parts of vers diff (src/lib/diff/text.c): COPY text unescaping,
 * escaping for a terminal, the unified diff of two sorted line lists, and the merge of two
 * key-ordered row streams, keyed and as multisets, with out-of-order input and impossible
 * counts refused, sums saturated and kept keys cut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/util.h"
#include "diff/diff.h"

#include <stdio.h>
#include <string.h>

static void test_unescape(void **state)
{
        (void)state;
        char a[] = "a\\tb\\nc\\\\d\\x41\\101";
        assert_true(vers_diff_copy_unescape(a));
        assert_string_equal(a, "a\tb\nc\\dAA");
        char n[] = "\\N";
        assert_false(vers_diff_copy_unescape(n));
        char nul[] = "x\\000";
        assert_false(vers_diff_copy_unescape(nul)); /* never a NUL inside a string */
        char cut[] = "x\\";
        assert_false(vers_diff_copy_unescape(cut));
        char line[] = "R\tk\t\\N\tv";
        char *f[6];
        assert_int_equal(vers_diff_split(line, f, 6), 4);
        assert_string_equal(f[0], "R");
        assert_string_equal(f[3], "v");
}

static void test_escape(void **state)
{
        (void)state;
        struct strbuf sb = STRBUF_INIT;
        vers_diff_escape(&sb, "ok \x1b[31mred\n\\ caf\xc3\xa9 \xc2\x9b bad\xff");
        assert_string_equal(sb.buf, "ok \\x1b[31mred\\n\\\\ caf\xc3\xa9 \\xc2\\x9b bad\\xff");
        strbuf_release(&sb);
}

static void test_unified(void **state)
{
        (void)state;
        char *a[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"};
        char *b[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"};
        struct strbuf sb = STRBUF_INIT;
        int added = -1, removed = -1;
        vers_diff_unified(a, 11, a, 11, "A", "B", &sb, &added, &removed);
        assert_int_equal(sb.len, 0);
        assert_int_equal(added + removed, 0);
        vers_diff_unified(a, 11, b, 12, "A", "B", &sb, &added, &removed);
        assert_string_equal(sb.buf, "--- A\n+++ B\n@@ -9,3 +9,4 @@\n i\n j\n k\n+l\n");
        assert_int_equal(added, 1);
        strbuf_reset(&sb);
        /* two changes far apart: two hunks; one line changed: - then + */
        char *c[] = {"a", "b2", "c", "d", "e", "f", "g", "h", "i", "j"};
        char *d[] = {"a", "c", "d", "e", "f", "g", "h", "i", "j", "k\x1b"};
        vers_diff_unified(c, 10, d, 10, "A", "B", &sb, &added, &removed);
        assert_string_equal(sb.buf, "--- A\n+++ B\n@@ -1,5 +1,4 @@\n a\n-b2\n c\n d\n e\n"
                                    "@@ -8,3 +7,4 @@\n h\n i\n j\n+k\\x1b\n");
        assert_int_equal(added, 1);
        assert_int_equal(removed, 1);
        strbuf_reset(&sb);
        vers_diff_unified(NULL, 0, c, 1, "A", "B", &sb, &added, &removed);
        assert_string_equal(sb.buf, "--- A\n+++ B\n@@ -0,0 +1,1 @@\n+a\n");
        strbuf_release(&sb);
}

/* a stream of items from an array; key NULL ends it */
struct arr {
        const struct vers_diff_item *items;
        size_t i;
};

static int arr_next(void *stream, struct vers_diff_item *it, vers_error_t *err)
{
        (void)err;
        struct arr *a = stream;
        if (!a->items[a->i].key)
                return 0;
        *it = a->items[a->i++];
        return 1;
}

static void table_free(struct vers_diff_table *t)
{
        for (size_t i = 0; i < t->n_rows; i++) {
                free(t->rows[i].key);
                free(t->rows[i].a);
                free(t->rows[i].b);
        }
        free(t->rows);
        memset(t, 0, sizeof *t);
}

static void test_merge_keyed(void **state)
{
        (void)state;
        const struct vers_diff_item a[] = {
            {"1", "h1", "one", 1}, {"2", "h2", "two", 1}, {"4", "h4", "four", 1}, {0}};
        const struct vers_diff_item b[] = {{"1", "h1", "one", 1},
                                           {"3", "h3", "three", 1},
                                           {"4", "h4x", "FOUR", 1},
                                           {"5", "h5", "five", 1},
                                           {0}};
        struct arr sa = {a, 0}, sb = {b, 0};
        struct vers_diff_table t = {0};
        vers_error_t err = NULL;
        assert_int_equal(vers_diff_merge(arr_next, &sa, &sb, false, 2, &t, &err), 0);
        assert_int_equal(t.added, 2);
        assert_int_equal(t.removed, 1);
        assert_int_equal(t.changed, 1);
        assert_int_equal(t.n_rows, 2); /* the limit */
        assert_int_equal(t.rows[0].op, '-');
        assert_string_equal(t.rows[0].key, "2");
        assert_int_equal(t.rows[1].op, '+');
        assert_string_equal(t.rows[1].b, "three");
        table_free(&t);
        /* equal streams */
        sa.i = 0;
        struct arr sc = {a, 0};
        assert_int_equal(vers_diff_merge(arr_next, &sa, &sc, false, 10, &t, &err), 0);
        assert_int_equal(t.added + t.removed + t.changed, 0);
        assert_int_equal(t.n_rows, 0);
        table_free(&t);
}

static void test_merge_multiset(void **state)
{
        (void)state;
        const struct vers_diff_item a[] = {{"aa", "aa", "x", 3}, {"bb", "bb", "y", 1}, {0}};
        const struct vers_diff_item b[] = {{"aa", "aa", "x", 1}, {"cc", "cc", "z", 2}, {0}};
        struct arr sa = {a, 0}, sb = {b, 0};
        struct vers_diff_table t = {0};
        vers_error_t err = NULL;
        assert_int_equal(vers_diff_merge(arr_next, &sa, &sb, true, 10, &t, &err), 0);
        assert_int_equal(t.removed, 3); /* two x, one y */
        assert_int_equal(t.added, 2);
        assert_int_equal(t.changed, 0);
        assert_int_equal(t.n_rows, 3);
        assert_int_equal(t.rows[0].count, 2);
        assert_null(t.rows[0].key);
        table_free(&t);
}

static void test_merge_refuses_disorder(void **state)
{
        (void)state;
        const struct vers_diff_item a[] = {{"2", "h", "t", 1}, {"1", "h", "t", 1}, {0}};
        const struct vers_diff_item b[] = {{"2", "h", "t", 1}, {0}};
        struct arr sa = {a, 0}, sb = {b, 0};
        struct vers_diff_table t = {0};
        vers_error_t err = NULL;
        assert_int_equal(vers_diff_merge(arr_next, &sa, &sb, false, 10, &t, &err), -1);
        assert_string_equal(err->msg, "A sent rows out of key order");
        vers_error_free(&err);
        table_free(&t);
        /* a key twice is out of order too */
        const struct vers_diff_item dup[] = {{"1", "h", "t", 1}, {"1", "h", "t", 1}, {0}};
        struct arr sd = {dup, 0}, se = {b, 0};
        assert_int_equal(vers_diff_merge(arr_next, &se, &sd, false, 10, &t, &err), -1);
        assert_string_equal(err->msg, "B sent rows out of key order");
        vers_error_free(&err);
        table_free(&t);
}

/* a stream of n keyless items, each of count c, keys "k00000"... */
struct gen {
        size_t i, n;
        int64_t c;
        char key[16];
};

static int gen_next(void *stream, struct vers_diff_item *it, vers_error_t *err)
{
        (void)err;
        struct gen *g = stream;
        if (g->i == g->n)
                return 0;
        snprintf(g->key, sizeof g->key, "k%05zu", g->i++);
        *it = (struct vers_diff_item){g->key, g->key, "t", g->c};
        return 1;
}

static void test_merge_bounds(void **state)
{
        (void)state;
        struct vers_diff_table t = {0};
        vers_error_t err = NULL;
        /* a count no table can have is refused (and with it, d = a - b cannot overflow) */
        struct gen big = {0, 1, VERS_DIFF_COUNT_MAX + 1, ""}, none = {0, 0, 1, ""};
        assert_int_equal(vers_diff_merge(gen_next, &none, &big, true, 10, &t, &err), -1);
        assert_string_equal(err->msg, "B sent a row count out of range");
        vers_error_free(&err);
        table_free(&t);
        struct gen zero = {0, 1, 0, ""};
        none.i = 0;
        assert_int_equal(vers_diff_merge(gen_next, &zero, &none, true, 10, &t, &err), -1);
        vers_error_free(&err);
        table_free(&t);
        /* 1025 groups of the most rows each: the sum saturates instead of wrapping */
        struct gen many = {0, 1025, VERS_DIFF_COUNT_MAX, ""};
        none.i = 0;
        assert_int_equal(vers_diff_merge(gen_next, &many, &none, true, 3, &t, &err), 0);
        assert_true(t.removed == INT64_MAX);
        assert_int_equal(t.n_rows, 3);
        table_free(&t);
        /* a long key is kept cut */
        char *key = xmalloc(5001);
        memset(key, 'k', 5000);
        key[5000] = '\0';
        const struct vers_diff_item a[] = {{key, "h", "t", 1}, {0}};
        const struct vers_diff_item b[] = {{0}};
        struct arr sa = {a, 0}, sb = {b, 0};
        assert_int_equal(vers_diff_merge(arr_next, &sa, &sb, false, 10, &t, &err), 0);
        assert_int_equal(t.n_rows, 1);
        assert_int_equal(strlen(t.rows[0].key), VERS_DIFF_TEXT_MAX * 4);
        table_free(&t);
        free(key);
}

static void test_table_equal(void **state)
{
        (void)state;
        struct vers_diff_table t = {.in_a = true, .in_b = true, .rows_a = 2, .rows_b = 2};
        t.sum_a = "5";
        t.sum_b = "5";
        assert_true(vers_diff_table_equal(&t));
        t.sum_b = "6";
        assert_false(vers_diff_table_equal(&t));
        t.sum_b = "5";
        t.rows_b = 3;
        assert_false(vers_diff_table_equal(&t));
        t.rows_b = 2;
        t.in_b = false;
        assert_false(vers_diff_table_equal(&t));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_unescape),       cmocka_unit_test(test_escape),
            cmocka_unit_test(test_unified),        cmocka_unit_test(test_merge_keyed),
            cmocka_unit_test(test_merge_multiset), cmocka_unit_test(test_merge_refuses_disorder),
            cmocka_unit_test(test_table_equal),    cmocka_unit_test(test_merge_bounds),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
