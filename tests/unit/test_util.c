#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "strbuf.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void test_strbuf(void **state)
{
        (void)state;
        struct strbuf sb = STRBUF_INIT;
        assert_string_equal(sb.buf, "");
        assert_int_equal(sb.len, 0);
        for (int i = 0; i < 1000; i++)
                strbuf_addf(&sb, "%d,", i);
        assert_int_equal(sb.len, strlen(sb.buf));
        assert_true(str_startswith(sb.buf, "0,1,2,"));
        assert_true(str_endswith(sb.buf, "998,999,"));
        strbuf_reset(&sb);
        assert_string_equal(sb.buf, "");
        strbuf_add_json_str(&sb, "a\"b\\c\nd\x01");
        assert_string_equal(sb.buf, "\"a\\\"b\\\\c\\nd\\u0001\"");
        strbuf_reset(&sb);
        strbuf_add_shell_quoted(&sb, "it's");
        assert_string_equal(sb.buf, "'it'\\''s'");
        char *s = strbuf_detach(&sb);
        assert_string_equal(s, "'it'\\''s'");
        assert_string_equal(sb.buf, "");
        free(s);
        strbuf_release(&sb);
}

static void test_errors(void **state)
{
        (void)state;
        vers_error_t err = NULL;
        assert_int_equal(vers_make_error(&err, 0, "no env named '%s'", "x"), -1);
        assert_string_equal(err->msg, "no env named 'x'");
        vers_error_wrap(&err, "cannot branch");
        assert_string_equal(err->msg, "cannot branch: no env named 'x'");
        /* the first error wins */
        vers_make_error(&err, 0, "second");
        assert_string_equal(err->msg, "cannot branch: no env named 'x'");
        vers_error_free(&err);
        assert_null(err);
        vers_make_error(&err, ENOENT, "cannot open '%s'", "f");
        assert_string_equal(err->msg, "cannot open 'f': No such file or directory");
        assert_int_equal(err->status, ENOENT);
        vers_error_free(&err);
}

static void test_files(void **state)
{
        (void)state;
        char dir[] = "/tmp/vers-unit-XXXXXX";
        assert_non_null(mkdtemp(dir));
        _cleanup_free_ char *p = xasprintf("%s/a/b/c", dir);
        vers_error_t err = NULL;
        assert_int_equal(vers_mkdir_p(p, 0755, &err), 0);
        _cleanup_free_ char *f = xasprintf("%s/file", p);
        assert_int_equal(vers_write_file_atomic(f, "hello", 5, 0600, &err), 0);
        assert_int_equal(vers_write_file_atomic(f, "world!", 6, 0600, &err), 0);
        _cleanup_free_ char *tmp = xasprintf("%s.tmp", f);
        assert_false(vers_path_exists(tmp));
        char *text = NULL;
        size_t len = 0;
        assert_int_equal(vers_read_file(f, &text, &len, &err), 0);
        assert_int_equal(len, 6);
        assert_string_equal(text, "world!");
        free(text);
        struct stat st;
        assert_int_equal(stat(f, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        _cleanup_free_ char *g = xasprintf("%s/copy", dir);
        assert_int_equal(vers_copy_file(f, g, 0755, &err), 0);
        assert_int_equal(vers_read_file(g, &text, &len, &err), 0);
        assert_string_equal(text, "world!");
        free(text);
        assert_int_equal(vers_read_file("/nonexistent/x", &text, &len, &err), -1);
        assert_non_null(strstr(err->msg, "cannot open '/nonexistent/x'"));
        vers_error_free(&err);
        assert_int_equal(vers_rm_rf(dir, &err), 0);
        assert_false(vers_path_exists(dir));
}

static void test_processes(void **state)
{
        (void)state;
        uint64_t me = vers_pid_starttime(getpid());
        assert_true(me > 0);
        assert_true(vers_pid_alive(getpid(), me));
        assert_false(vers_pid_alive(getpid(), me + 1));
        assert_false(vers_pid_alive(0, 0));
        char *argv[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
        char *out = NULL;
        vers_error_t err = NULL;
        assert_int_equal(vers_run(argv, &out, &err), 3);
        assert_string_equal(out, "out\nerr\n");
        free(out);
        char *nope[] = {"/nonexistent-program", NULL};
        assert_int_equal(vers_run(nope, NULL, &err), 127);
}

static void test_strv_and_hex(void **state)
{
        (void)state;
        assert_true(str_is_var_name("PG_MAJOR"));
        assert_true(str_is_var_name("_x1"));
        assert_false(str_is_var_name(""));
        assert_false(str_is_var_name("1A"));
        assert_false(str_is_var_name("PG-MAJOR"));
        assert_false(str_is_var_name("caf\xc3\xa9"));
        char **v = NULL;
        assert_int_equal(strv_len(v), 0);
        strv_push(&v, "a");
        strv_push(&v, "b");
        assert_int_equal(strv_len(v), 2);
        assert_string_equal(v[1], "b");
        assert_null(v[2]);
        strv_free(v);
        char *h = vers_random_hex(12);
        assert_int_equal(strlen(h), 12);
        assert_int_equal(strspn(h, "0123456789abcdef"), 12);
        char *h2 = vers_random_hex(12);
        assert_string_not_equal(h, h2);
        free(h);
        free(h2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_strbuf),       cmocka_unit_test(test_errors),
            cmocka_unit_test(test_files),        cmocka_unit_test(test_processes),
            cmocka_unit_test(test_strv_and_hex),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
