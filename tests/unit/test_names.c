#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/names.h"

static void test_valid_names(void **state)
{
        (void)state;
        const char *ok[] = {"premium-features-test", "a", "A.b_c-1", "migration-v2.0",
                            "0123456789012345678901234567890123456789012345678901234567890123"};
        for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
                assert_true(vers_name_valid(ok[i]));
}

static void test_invalid_names(void **state)
{
        (void)state;
        const char *bad[] = {
            "",     "a/b", "..",
            "a..b", "-x",  ".hidden",
            "a b",  "x\n", "caf\xc3\xa9",
            "*",    "a:b", "01234567890123456789012345678901234567890123456789012345678901234"};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                assert_false(vers_name_valid(bad[i]));
}

static void test_name_messages(void **state)
{
        (void)state;
        vers_error_t err = NULL;
        assert_int_equal(vers_name_check("alias", "a/b", &err), -1);
        assert_string_equal(err->msg, "alias 'a/b' must not contain '/'");
        vers_error_free(&err);
        assert_int_equal(vers_name_check("alias", "x..y", &err), -1);
        assert_string_equal(err->msg, "alias 'x..y' must not contain '..'");
        vers_error_free(&err);
        assert_int_equal(vers_name_check("alias", "", &err), -1);
        assert_string_equal(err->msg, "alias must not be empty");
        vers_error_free(&err);
        assert_int_equal(vers_name_check("alias", "ok-name", &err), 0);
        assert_null(err);
}

static void test_tags(void **state)
{
        (void)state;
        assert_true(vers_tag_valid("Base e-commerce schema with sample data loaded"));
        assert_true(vers_tag_valid("pre-migration-v2.0"));
        assert_false(vers_tag_valid(" leading"));
        assert_false(vers_tag_valid("trailing "));
        assert_false(vers_tag_valid("a/b"));
        assert_false(vers_tag_valid("../x"));
        assert_false(vers_tag_valid("tab\there"));
        assert_false(vers_tag_valid("-flag"));
        assert_false(vers_tag_valid(""));
        vers_error_t err = NULL;
        assert_int_equal(vers_tag_check("a/b", &err), -1);
        assert_string_equal(err->msg, "tag 'a/b' must not contain '/'");
        vers_error_free(&err);
}

static void test_ids(void **state)
{
        (void)state;
        assert_true(vers_looks_like_id("abcd"));
        assert_true(vers_looks_like_id("0123456789ab"));
        assert_false(vers_looks_like_id("abc"));
        assert_false(vers_looks_like_id("ABCD"));
        assert_false(vers_looks_like_id("premium"));
}

static void test_names_that_shadow_ids(void **state)
{
        (void)state;
        const char *id = "3fa9c01be277";
        assert_true(vers_name_shadows_id("3fa9c01be277", id));
        assert_true(vers_name_shadows_id("3fa9", id)); /* a prefix 'vers branch 3fa9' would mean */
        assert_false(vers_name_shadows_id("3fa", id)); /* too short to be taken for an id */
        assert_false(vers_name_shadows_id("3fa9c01be2770", id));
        assert_false(vers_name_shadows_id("fa9c", id)); /* not a prefix */
        assert_false(vers_name_shadows_id("3FA9", id)); /* not id-like: ids are lowercase */
        assert_false(vers_name_shadows_id("base", id));
        assert_false(vers_name_shadows_id("base", NULL));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_valid_names),   cmocka_unit_test(test_invalid_names),
            cmocka_unit_test(test_name_messages), cmocka_unit_test(test_tags),
            cmocka_unit_test(test_ids),           cmocka_unit_test(test_names_that_shadow_ids),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
