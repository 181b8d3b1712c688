/* Unit tests for src/lib/base/hash.c: the standard SHA-256 vectors, and the framing that keeps
 * ("ab","c") and ("a","bc") apart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/hash.h"

#include <string.h>

static void test_sha256_vectors(void **state)
{
        (void)state;
        char out[VERS_HASH_HEX + 1];
        vers_sha256_hex("abc", 3, out);
        assert_string_equal(out,
                            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        vers_sha256_hex("", 0, out);
        assert_string_equal(out,
                            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_int_equal(strlen(out), VERS_HASH_HEX);
}

static void key_of(const char *a, const char *b, char out[VERS_HASH_HEX + 1])
{
        struct vers_hash h;
        vers_hash_init(&h);
        vers_hash_str(&h, a);
        vers_hash_str(&h, b);
        vers_hash_hex(&h, out);
}

static void test_pieces_are_framed(void **state)
{
        (void)state;
        char x[VERS_HASH_HEX + 1], y[VERS_HASH_HEX + 1], z[VERS_HASH_HEX + 1];
        key_of("ab", "c", x);
        key_of("a", "bc", y);
        key_of("ab", "c", z);
        assert_string_not_equal(x, y);
        assert_string_equal(x, z);
        /* NULL is "", still a piece */
        key_of(NULL, "abc", x);
        key_of("", "abc", y);
        assert_string_equal(x, y);
        key_of("abc", NULL, z);
        assert_string_not_equal(x, z);
}

static void test_release_without_finish(void **state)
{
        (void)state;
        struct vers_hash h;
        vers_hash_init(&h);
        vers_hash_add(&h, "x", 1);
        vers_hash_release(&h);
        assert_null(h.md);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_sha256_vectors),
            cmocka_unit_test(test_pieces_are_framed),
            cmocka_unit_test(test_release_without_finish),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
