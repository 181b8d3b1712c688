/* The store needs root, loop devices and btrfs: it skips (exit 0, saying why) without them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>

static char root[64];
static struct vers_store st;

static int setup(void **state)
{
        (void)state;
        snprintf(root, sizeof root, "/tmp/vers-store-XXXXXX");
        if (!mkdtemp(root))
                return -1;
        vers_error_t err = NULL;
        if (vers_store_open(root, 300, &st, &err) < 0) {
                fprintf(stderr, "store: %s\n", err->msg);
                vers_error_free(&err);
                return -1;
        }
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        vers_store_unmount(&st, NULL);
        vers_store_close(&st);
        vers_rm_rf(root, NULL);
        return 0;
}

static void test_layout(void **state)
{
        (void)state;
        struct statfs sf;
        assert_int_equal(statfs(st.path, &sf), 0);
        assert_true(st.loop);
        _cleanup_free_ char *img = xasprintf("%s/store.img", root);
        assert_true(vers_path_exists(img));
        _cleanup_free_ char *e = vers_store_env_rootfs(&st, "abc");
        assert_true(str_endswith(e, "/store/envs/abc/rootfs"));
        _cleanup_free_ char *c = vers_store_commit_rootfs(&st, "def");
        assert_true(str_endswith(c, "/store/commits/def/rootfs"));
        assert_true(vers_store_free_bytes(&st) > 0);
}

static void test_snapshots(void **state)
{
        (void)state;
        vers_error_t err = NULL;
        _cleanup_free_ char *a = vers_store_image_path(&st, "img1");
        assert_int_equal(vers_subvol_create(a, &err), 0);
        assert_true(vers_subvol_is(a));
        _cleanup_free_ char *fa = xasprintf("%s/data", a);
        assert_int_equal(vers_write_file_atomic(fa, "v1", 2, 0644, &err), 0);

        _cleanup_free_ char *cdir = vers_store_commit_dir(&st, "c1");
        _cleanup_free_ char *c = vers_store_commit_rootfs(&st, "c1");
        assert_int_equal(mkdir(cdir, 0700), 0);
        assert_int_equal(vers_subvol_snapshot(a, c, true, &err), 0);
        /* a read-only snapshot refuses writes */
        _cleanup_free_ char *fc = xasprintf("%s/new", c);
        assert_int_equal(open(fc, O_WRONLY | O_CREAT, 0644), -1);
        assert_int_equal(errno, EROFS);

        _cleanup_free_ char *edir = vers_store_env_dir(&st, "e1");
        _cleanup_free_ char *e = vers_store_env_rootfs(&st, "e1");
        assert_int_equal(mkdir(edir, 0700), 0);
        assert_int_equal(vers_subvol_snapshot(c, e, false, &err), 0);
        _cleanup_free_ char *fe = xasprintf("%s/data", e);
        assert_int_equal(vers_write_file_atomic(fe, "v2", 2, 0644, &err), 0);
        /* the commit still has v1 */
        _cleanup_free_ char *fcd = xasprintf("%s/data", c);
        char *text = NULL;
        assert_int_equal(vers_read_file(fcd, &text, NULL, &err), 0);
        assert_string_equal(text, "v1");
        free(text);

        assert_int_equal(vers_subvol_delete(e, &err), 0);
        assert_false(vers_path_exists(e));
        assert_int_equal(vers_subvol_delete(c, &err), 0); /* read-only: made writable first */
        assert_false(vers_path_exists(c));
        assert_int_equal(vers_subvol_delete(c, &err), 0); /* missing is fine */
        assert_int_equal(vers_subvol_delete(a, &err), 0);
}

static void test_snapshot_errors(void **state)
{
        (void)state;
        vers_error_t err = NULL;
        _cleanup_free_ char *dst = xasprintf("%s/envs/x", st.path);
        assert_int_equal(vers_subvol_snapshot("/nonexistent", dst, false, &err), -1);
        assert_non_null(strstr(err->msg, "cannot snapshot into"));
        vers_error_free(&err);
}

static void test_reattach(void **state)
{
        (void)state;
        vers_error_t err = NULL;
        _cleanup_free_ char *a = vers_store_image_path(&st, "keep");
        assert_int_equal(vers_subvol_create(a, &err), 0);
        assert_int_equal(vers_store_unmount(&st, &err), 0);
        assert_false(vers_path_exists(a));
        vers_store_close(&st);
        assert_int_equal(vers_store_open(root, 300, &st, &err), 0);
        assert_true(vers_path_exists(a));
        assert_int_equal(vers_subvol_delete(a, &err), 0);
}

static void test_missing_root(void **state)
{
        (void)state;
        struct vers_store s2;
        vers_error_t err = NULL;
        assert_int_equal(vers_store_open("/nonexistent/root", 300, &s2, &err), -1);
        assert_string_equal(err->msg,
                            "VERS_ROOT '/nonexistent/root' does not exist or is not a directory");
        vers_error_free(&err);
        vers_store_close(&s2);
}

int main(void)
{
        if (geteuid() != 0) {
                printf("# skip test_store: needs root (loop devices, btrfs)\n");
                return 0;
        }
        if (access("/dev/loop-control", F_OK) != 0) {
                printf("# skip test_store: no /dev/loop-control\n");
                return 0;
        }
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_layout),          cmocka_unit_test(test_snapshots),
            cmocka_unit_test(test_snapshot_errors), cmocka_unit_test(test_reattach),
            cmocka_unit_test(test_missing_root),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
