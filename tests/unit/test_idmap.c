#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "os/harden.h"
#include "os/idmap.h"
#include "base/util.h"
#include "kernel_needs.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

static const struct vers_idmap plain = {0x40000000u, 0x40000000u, 0x40000000u};
static const struct vers_idmap sudo = {0x40010000u, 1000, 1001};

static void test_format(void **state)
{
        (void)state;
        char buf[128];
        vers_idmap_format(&plain, false, buf, sizeof buf);
        assert_string_equal(buf, "0 1073741824 65536\n");
        vers_idmap_format(&sudo, false, buf, sizeof buf);
        assert_string_equal(buf, "0 1000 1\n1 1073807361 65535\n");
        vers_idmap_format(&sudo, true, buf, sizeof buf);
        assert_string_equal(buf, "0 1001 1\n1 1073807361 65535\n");
}

static void test_host_ids(void **state)
{
        (void)state;
        assert_int_equal(vers_idmap_host(&plain, false, 0), 0x40000000u);
        assert_int_equal(vers_idmap_host(&plain, false, 70), 0x40000046u);
        assert_int_equal(vers_idmap_host(&sudo, false, 0), 1000);
        assert_int_equal(vers_idmap_host(&sudo, true, 0), 1001);
        assert_int_equal(vers_idmap_host(&sudo, false, 5), 0x40010005u);
        /* the host's root is never an env id */
        assert_false(vers_idmap_is_mapped(&plain, false, 0));
        assert_false(vers_idmap_is_mapped(&sudo, false, 0));
        assert_true(vers_idmap_is_mapped(&plain, false, 0x40000000u));
        assert_true(vers_idmap_is_mapped(&plain, false, 0x4000ffffu));
        assert_false(vers_idmap_is_mapped(&plain, false, 0x40010000u));
        assert_true(vers_idmap_is_mapped(&sudo, false, 1000));
        assert_false(vers_idmap_is_mapped(&sudo, false, 1001));
        assert_true(vers_idmap_is_mapped(&sudo, true, 1001));
        /* with sudo, base itself is no env id: env root is the user */
        assert_false(vers_idmap_is_mapped(&sudo, false, 0x40010000u));
}

static void test_parse_sub(void **state)
{
        (void)state;
        struct vers_id_range *r = NULL;
        size_t n = vers_idmap_parse_sub("alice:100000:65536\n"
                                        "# not a range\n"
                                        "bob:x:1\n"
                                        "carol:5:0\n"
                                        "dave:165536:65536\r\n"
                                        "\n"
                                        "vers:1073741824:65536",
                                        &r);
        assert_int_equal(n, 3);
        assert_int_equal(r[0].start, 100000);
        assert_int_equal(r[0].count, 65536);
        assert_int_equal(r[1].start, 165536);
        assert_int_equal(r[2].start, 1073741824u);
        free(r);
        assert_int_equal(vers_idmap_parse_sub("", &r), 0);
        assert_null(r);
}

static void test_pick(void **state)
{
        (void)state;
        vers_error_t err = NULL;
        uint32_t base = 0;
        assert_int_equal(vers_idmap_pick(NULL, 0, &base, &err), 0);
        assert_int_equal(base, VERS_IDMAP_MIN_BASE);
        /* Debian's ranges lie below the first base */
        struct vers_id_range low[] = {{100000, 65536}, {165536, 65536}, {0, 1}, {65534, 1}};
        assert_int_equal(vers_idmap_pick(low, 4, &base, &err), 0);
        assert_int_equal(base, VERS_IDMAP_MIN_BASE);
        /* taken ranges and a single host id inside a candidate push it up, aligned */
        struct vers_id_range taken[] = {
            {VERS_IDMAP_MIN_BASE, 65536},
            {VERS_IDMAP_MIN_BASE + 65536 + 12, 1},
            {VERS_IDMAP_MIN_BASE + 3 * 65536 - 1, 2},
        };
        assert_int_equal(vers_idmap_pick(taken, 3, &base, &err), 0);
        assert_int_equal(base, VERS_IDMAP_MIN_BASE + 4 * 65536);
        assert_int_equal(base % 65536, 0);
        /* nothing left */
        struct vers_id_range all[] = {
            {VERS_IDMAP_MIN_BASE - 10, 0xffffffffu - VERS_IDMAP_MIN_BASE}};
        assert_int_equal(vers_idmap_pick(all, 1, &base, &err), -1);
        assert_non_null(strstr(err->msg, "no free range"));
        vers_error_free(&err);
}

static void test_open_refuses_old_store(void **state)
{
        (void)state;
        char dir[] = "/tmp/vers-unit-idmap.XXXXXX";
        assert_non_null(mkdtemp(dir));
        vers_error_t err = NULL;
        struct vers_idmap m;
        /* a root whose store was filled by a vers that ran envs as host root */
        assert_int_equal(vers_idmap_open(dir, true, &m, &err), -1);
        assert_non_null(strstr(err->msg, "older vers"));
        vers_error_free(&err);
        /* a recorded map is read back */
        _cleanup_free_ char *p = xasprintf("%s/idmap", dir);
        assert_int_equal(vers_write_file_atomic(p, "1073807360 1000 1001\n", 21, 0644, &err), 0);
        assert_int_equal(vers_idmap_open(dir, true, &m, &err), 0);
        assert_int_equal(m.base, 1073807360u);
        assert_int_equal(m.root_uid, 1000);
        assert_int_equal(m.root_gid, 1001);
        /* a damaged one is an error naming the file */
        assert_int_equal(vers_write_file_atomic(p, "12 x\n", 5, 0644, &err), 0);
        assert_int_equal(vers_idmap_open(dir, false, &m, &err), -1);
        assert_non_null(strstr(err->msg, "is damaged"));
        vers_error_free(&err);
        unlink(p);
        rmdir(dir);
}

static void test_shift_tree(void **state)
{
        (void)state;
        if (geteuid() != 0) {
                skip();
                return;
        }
        char dir[] = "/tmp/vers-unit-shift.XXXXXX";
        assert_non_null(mkdtemp(dir));
        _cleanup_free_ char *f = xasprintf("%s/suid", dir);
        _cleanup_free_ char *g = xasprintf("%s/owned", dir);
        _cleanup_free_ char *h = xasprintf("%s/done", dir);
        _cleanup_free_ char *l = xasprintf("%s/link", dir);
        vers_error_t err = NULL;
        assert_int_equal(vers_write_file_atomic(f, "x", 1, 0755, &err), 0);
        assert_int_equal(chmod(f, 04755), 0);
        assert_int_equal(vers_write_file_atomic(g, "x", 1, 0640, &err), 0);
        assert_int_equal(chown(g, 70, 42), 0);
        assert_int_equal(vers_write_file_atomic(h, "x", 1, 0644, &err), 0);
        assert_int_equal(chown(h, plain.base + 5, plain.base + 5), 0);
        assert_int_equal(symlink("/etc/passwd", l), 0);
        /* a v2 file capability (cap_net_raw), as setcap writes it on the host */
        struct vfs_cap_data v2;
        memset(&v2, 0, sizeof v2);
        v2.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE;
        v2.data[0].permitted = 1u << CAP_NET_RAW;
        /* as root, on /tmp's filesystem (ext4 or tmpfs), this must work: no silent skip */
        assert_int_equal(setxattr(g, "security.capability", &v2, sizeof v2, 0), 0);

        assert_int_equal(vers_idmap_shift_tree(&plain, dir, &err), 0);
        struct stat st;
        assert_int_equal(stat(dir, &st), 0);
        assert_int_equal(st.st_uid, plain.base);
        assert_int_equal(stat(f, &st), 0);
        assert_int_equal(st.st_uid, plain.base);
        assert_int_equal(st.st_mode & 07777, 04755); /* chown cleared it; it is back */
        assert_int_equal(stat(g, &st), 0);
        assert_int_equal(st.st_uid, plain.base + 70);
        assert_int_equal(st.st_gid, plain.base + 42);
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_int_equal(stat(h, &st), 0);
        assert_int_equal(st.st_uid, plain.base + 5); /* already the env's: left alone */
        assert_int_equal(lstat(l, &st), 0);
        assert_int_equal(st.st_uid, plain.base);
        assert_int_equal(stat("/etc/passwd", &st), 0);
        assert_int_equal(st.st_uid, 0); /* the link's target is not touched */
        {
                struct vfs_ns_cap_data v3;
                memset(&v3, 0, sizeof v3);
                ssize_t n = getxattr(g, "security.capability", &v3, sizeof v3);
                assert_int_equal(n, sizeof v3);
                assert_int_equal(v3.magic_etc & VFS_CAP_REVISION_MASK, VFS_CAP_REVISION_3);
                assert_int_equal(v3.rootid, plain.base);
                assert_int_equal(v3.data[0].permitted, 1u << CAP_NET_RAW);
        }
        /* a second pass changes nothing */
        assert_int_equal(vers_idmap_shift_tree(&plain, dir, &err), 0);
        assert_int_equal(stat(g, &st), 0);
        assert_int_equal(st.st_uid, plain.base + 70);
        assert_int_equal(vers_idmap_shift_tree(&plain, "/nonexistent/x", &err), -1);
        vers_error_free(&err);
        unlink(f);
        unlink(g);
        unlink(h);
        unlink(l);
        rmdir(dir);
}

/* A bundle's tree: the ids are host ids of the sender's range (its root a sudo user's);
 * they become this range's, and anything else the env's nobody. */
static void test_shift_between(void **state)
{
        (void)state;
        if (geteuid() != 0) {
                skip();
                return;
        }
        const struct vers_idmap from = {0x40010000u, 1000, 1000};
        char dir[] = "/tmp/vers-unit-shift.XXXXXX";
        assert_non_null(mkdtemp(dir));
        _cleanup_free_ char *a = xasprintf("%s/root-owned", dir);
        _cleanup_free_ char *b = xasprintf("%s/pg-owned", dir);
        _cleanup_free_ char *c = xasprintf("%s/stranger", dir);
        vers_error_t err = NULL;
        assert_int_equal(chown(dir, 1000, 1000), 0);
        assert_int_equal(vers_write_file_atomic(a, "x", 1, 0644, &err), 0);
        assert_int_equal(chown(a, 1000, from.base + 4), 0);
        assert_int_equal(vers_write_file_atomic(b, "x", 1, 0600, &err), 0);
        assert_int_equal(chown(b, from.base + 101, from.base + 104), 0);
        assert_int_equal(vers_write_file_atomic(c, "x", 1, 0644, &err), 0);
        assert_int_equal(chown(c, 0, from.base + VERS_IDMAP_COUNT), 0);
        assert_int_equal(vers_idmap_shift_between(&from, &plain, dir, &err), 0);
        struct stat st;
        assert_int_equal(stat(dir, &st), 0);
        assert_int_equal(st.st_uid, plain.base);
        assert_int_equal(stat(a, &st), 0);
        assert_int_equal(st.st_uid, plain.base);
        assert_int_equal(st.st_gid, plain.base + 4);
        assert_int_equal(stat(b, &st), 0);
        assert_int_equal(st.st_uid, plain.base + 101);
        assert_int_equal(st.st_gid, plain.base + 104);
        assert_int_equal(stat(c, &st), 0); /* host root, and ids above the range: nobody */
        assert_int_equal(st.st_uid, plain.base + 65534);
        assert_int_equal(st.st_gid, plain.base + 65534);
        unlink(a);
        unlink(b);
        unlink(c);
        rmdir(dir);
}

static void test_harden_tables(void **state)
{
        (void)state;
        NEED_SYSCALL("seccomp");
        vers_error_t err = NULL;
        int rules = vers_harden_seccomp_rules(&err);
        assert_null(err);
        assert_true(rules > 50);
        bool sys = false, sysrq = false, kcore = false;
        for (size_t i = 0; i < vers_n_mask_paths; i++) {
                const struct vers_mask_path *m = &vers_mask_paths[i];
                assert_true(m->path[0] == '/');
                sys |= !strcmp(m->path, "/proc/sys") && m->kind == VERS_READONLY;
                sysrq |= !strcmp(m->path, "/proc/sysrq-trigger") && m->kind == VERS_READONLY;
                kcore |= !strcmp(m->path, "/proc/kcore") && m->kind == VERS_MASK;
        }
        assert_true(sys && sysrq && kcore);
        struct strbuf sb = STRBUF_INIT;
        vers_harden_describe(&sb);
        assert_non_null(strstr(sb.buf, "seccomp:"));
        assert_non_null(strstr(sb.buf, "no sys_admin"));
        assert_null(strstr(sb.buf, " sys_admin "));
        strbuf_release(&sb);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_format),
            cmocka_unit_test(test_host_ids),
            cmocka_unit_test(test_parse_sub),
            cmocka_unit_test(test_pick),
            cmocka_unit_test(test_open_refuses_old_store),
            cmocka_unit_test(test_shift_tree),
            cmocka_unit_test(test_shift_between),
            cmocka_unit_test(test_harden_tables),
        };
        return cmocka_run_group_tests_name("idmap", tests, NULL, NULL);
}
