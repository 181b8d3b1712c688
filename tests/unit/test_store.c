/* The store needs root, loop devices and btrfs: without them each store test is skipped (a
 * cmocka skip, counted as one by scripts/run-unit.sh, which fails on it under CI=true), saying
 * why on a "# skip" line; the pure tests run anywhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "os/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>

static char root[64];
static struct vers_store st;
static const char *lacking; /* why the store tests cannot run here, or NULL */
static bool opened;

/* at the top of a test that uses the store: skip it, saying why, where it cannot run */
#define NEED_STORE()                                                                               \
        do {                                                                                       \
                if (lacking) {                                                                     \
                        fprintf(stderr, "# skip %s: %s\n", __func__, lacking);                     \
                        skip();                                                                    \
                        return;                                                                    \
                }                                                                                  \
        } while (0)

static int setup(void **state)
{
        (void)state;
        if (lacking)
                return 0;
        snprintf(root, sizeof root, "/tmp/vers-store-XXXXXX");
        if (!mkdtemp(root))
                return -1;
        vers_error_t err = NULL;
        if (vers_store_open(root, 300, true, &st, &err) < 0) {
                fprintf(stderr, "store: %s\n", err->msg);
                vers_error_free(&err);
                return -1;
        }
        opened = true;
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        if (!opened)
                return 0;
        vers_store_unmount(&st, NULL);
        vers_store_close(&st);
        vers_rm_rf(root, NULL);
        return 0;
}

static void test_layout(void **state)
{
        (void)state;
        NEED_STORE();
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
        NEED_STORE();
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
        NEED_STORE();
        vers_error_t err = NULL;
        _cleanup_free_ char *dst = xasprintf("%s/envs/x", st.path);
        assert_int_equal(vers_subvol_snapshot("/nonexistent", dst, false, &err), -1);
        assert_non_null(strstr(err->msg, "cannot snapshot into"));
        vers_error_free(&err);
}

static void test_reattach(void **state)
{
        (void)state;
        NEED_STORE();
        vers_error_t err = NULL;
        _cleanup_free_ char *a = vers_store_image_path(&st, "keep");
        assert_int_equal(vers_subvol_create(a, &err), 0);
        assert_int_equal(vers_store_unmount(&st, &err), 0);
        assert_false(vers_path_exists(a));
        vers_store_close(&st);
        assert_int_equal(vers_store_open(root, 300, true, &st, &err), 0);
        assert_true(vers_path_exists(a));
        assert_int_equal(vers_subvol_delete(a, &err), 0);
}

/* Write mib MiB to path and fsync; 0, or the errno of the first failure. */
static int fill(const char *path, int mib)
{
        static char buf[1 << 20];
        memset(buf, 'x', sizeof buf);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return errno;
        int e = 0;
        for (int i = 0; i < mib && !e; i++)
                if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
                        e = errno;
        if (!e && fsync(fd) < 0)
                e = errno;
        close(fd);
        return e;
}

static void test_nested_subvolume_counts(void **state)
{
        (void)state;
        NEED_STORE();
        vers_error_t err = NULL;
        _cleanup_free_ char *dir = vers_store_env_dir(&st, "q1");
        _cleanup_free_ char *env = vers_store_env_rootfs(&st, "q1");
        assert_int_equal(mkdir(dir, 0700), 0);
        assert_int_equal(vers_subvol_create(env, &err), 0);
        assert_int_equal(vers_subvol_limit(&st, env, 32, &err), 0);
        /* a subvolume made inside the env after the cap is charged to the same cap */
        _cleanup_free_ char *nested = xasprintf("%s/nested", env);
        assert_int_equal(vers_subvol_create(nested, &err), 0);
        _cleanup_free_ char *f = xasprintf("%s/big", nested);
        assert_int_equal(fill(f, 64), EDQUOT);
        /* the full env can still be deleted once its cap is lifted */
        assert_int_equal(vers_subvol_unlimit(&st, env, &err), 0);
        assert_int_equal(fill(f, 64), 0);
        assert_int_equal(vers_subvol_delete(env, &err), 0);
        assert_false(vers_path_exists(env));
        int removed = -1;
        assert_int_equal(vers_store_gc_qgroups(&st, &removed, &err), 0);
        assert_int_equal(removed, 0); /* unlimit took its qgroup away already */
        assert_int_equal(vers_rm_rf(dir, &err), 0);
}

static void test_gc_stale_qgroup(void **state)
{
        (void)state;
        NEED_STORE();
        vers_error_t err = NULL;
        _cleanup_free_ char *env = vers_store_image_path(&st, "q2");
        assert_int_equal(vers_subvol_create(env, &err), 0);
        assert_int_equal(vers_subvol_limit(&st, env, 32, &err), 0);
        /* deleted without lifting its cap: gc finds the cap's qgroup and removes it, once */
        assert_int_equal(vers_subvol_delete(env, &err), 0);
        int removed = -1;
        assert_int_equal(vers_store_gc_qgroups(&st, &removed, &err), 0);
        assert_int_equal(removed, 1);
        assert_int_equal(vers_store_gc_qgroups(&st, &removed, &err), 0);
        assert_int_equal(removed, 0);
}

static void test_missing_root(void **state)
{
        (void)state;
        struct vers_store s2;
        vers_error_t err = NULL;
        assert_int_equal(vers_store_open("/nonexistent/root", 300, true, &s2, &err), -1);
        assert_string_equal(err->msg,
                            "VERS_ROOT '/nonexistent/root' does not exist or is not a directory");
        vers_error_free(&err);
        vers_store_close(&s2);
}

#define MiB (1024LL * 1024LL)

static void test_fits(void **state)
{
        (void)state;
        /* the store's whole size and the reserve must be free */
        assert_false(vers_store_fits(180 * MiB, 1000));
        assert_false(vers_store_fits(1000 * MiB, 1000));
        assert_false(vers_store_fits((1000 + VERS_STORE_RESERVE_MIB) * MiB - 1, 1000));
        assert_true(vers_store_fits((1000 + VERS_STORE_RESERVE_MIB) * MiB, 1000));
        assert_true(vers_store_fits(80000 * MiB, 8000));
        /* no overflow for the largest cluster_mib the config accepts (16 TiB) */
        assert_false(vers_store_fits(1000 * MiB, 16777216));
        assert_true(vers_store_fits((16777216LL + VERS_STORE_RESERVE_MIB) * MiB, 16777216));
}

static void test_room_needed(void **state)
{
        (void)state;
        /* the unbacked part of the image, capped at the margin */
        assert_int_equal(vers_store_room_needed(200 * MiB, 50 * MiB), 150 * MiB);
        assert_int_equal(vers_store_room_needed(8000 * MiB, 10 * MiB), VERS_STORE_MARGIN_MIB * MiB);
        assert_int_equal(vers_store_room_needed((VERS_STORE_MARGIN_MIB + 1) * MiB, 1 * MiB),
                         VERS_STORE_MARGIN_MIB * MiB);
        /* fully backed (or more: st_blocks counts metadata blocks too) needs nothing */
        assert_int_equal(vers_store_room_needed(200 * MiB, 200 * MiB), 0);
        assert_int_equal(vers_store_room_needed(200 * MiB, 201 * MiB), 0);
        assert_int_equal(vers_store_room_needed(0, 0), 0);
}

static void test_reserve_action(void **state)
{
        (void)state;
        long long r = VERS_STORE_RESERVE_MIB * MiB;
        /* given back once the host has less free than the reserve holds */
        assert_int_equal(vers_store_reserve_action(true, 0), -1);
        assert_int_equal(vers_store_reserve_action(true, r - 1), -1);
        assert_int_equal(vers_store_reserve_action(true, r), 0);
        assert_int_equal(vers_store_reserve_action(true, 100 * r), 0);
        /* taken again only when there is room for it twice over, so that it does not come
         * and go with every command on a nearly full host */
        assert_int_equal(vers_store_reserve_action(false, 0), 0);
        assert_int_equal(vers_store_reserve_action(false, 2 * r - 1), 0);
        assert_int_equal(vers_store_reserve_action(false, 2 * r), 1);
        /* statvfs failed: leave it */
        assert_int_equal(vers_store_reserve_action(false, -1), 0);
}

int main(void)
{
        lacking = geteuid() != 0                           ? "needs root (loop devices, btrfs)"
                  : access("/dev/loop-control", F_OK) != 0 ? "no /dev/loop-control"
                                                           : NULL;
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fits),
            cmocka_unit_test(test_room_needed),
            cmocka_unit_test(test_reserve_action),
            cmocka_unit_test(test_layout),
            cmocka_unit_test(test_snapshots),
            cmocka_unit_test(test_snapshot_errors),
            cmocka_unit_test(test_reattach),
            cmocka_unit_test(test_nested_subvolume_counts),
            cmocka_unit_test(test_gc_stale_qgroup),
            cmocka_unit_test(test_missing_root),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
