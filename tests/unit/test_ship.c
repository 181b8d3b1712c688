/* ship: the layer writer (a tree minus the one below it, as a deterministic tar), the
 * annotations a pulled manifest carries, the Pod manifest's quoting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "ship/ship.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void put(const char *dir, const char *rel, const char *text)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, rel);
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void sh(const char *cmd)
{
        assert_int_equal(system(cmd), 0);
}
#define SH(...)                                                                                    \
        do {                                                                                       \
                _cleanup_free_ char *c_ = xasprintf(__VA_ARGS__);                                  \
                sh(c_);                                                                            \
        } while (0)

/* "name uid gid type [-> link]" per entry of the tar, one a line */
static char *list_tar(const char *path)
{
        struct archive *a = archive_read_new();
        archive_read_support_format_tar(a);
        assert_int_equal(archive_read_open_filename(a, path, 10240), ARCHIVE_OK);
        struct archive_entry *e;
        struct strbuf sb = STRBUF_INIT;
        while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
                strbuf_addf(&sb, "%s %ld %ld %c", archive_entry_pathname(e),
                            (long)archive_entry_uid(e), (long)archive_entry_gid(e),
                            archive_entry_filetype(e) == AE_IFDIR   ? 'd'
                            : archive_entry_filetype(e) == AE_IFLNK ? 'l'
                                                                    : 'f');
                if (archive_entry_mode(e) & (S_ISUID | S_ISGID))
                        strbuf_addstr(&sb, " s");
                if (archive_entry_hardlink(e))
                        strbuf_addf(&sb, " = %s", archive_entry_hardlink(e));
                const char *u = archive_entry_uname(e), *g = archive_entry_gname(e);
                assert_true(!u || !*u);
                assert_true(!g || !*g);
                assert_false(archive_entry_atime_is_set(e));
                assert_false(archive_entry_ctime_is_set(e));
                strbuf_addch(&sb, '\n');
        }
        archive_read_free(a);
        return strbuf_detach(&sb);
}

/* upper shares lower's unchanged files by hard link (same inode, times, owner: what a btrfs
 * snapshot keeps); changed, new, deleted and skipped paths are the layer */
static void test_layer_diff(void **state)
{
        (void)state;
        char dir[] = "/tmp/vers-ship-XXXXXX";
        assert_non_null(mkdtemp(dir));
        _cleanup_free_ char *lower = xasprintf("%s/lower", dir);
        _cleanup_free_ char *upper = xasprintf("%s/upper", dir);
        _cleanup_free_ char *out = xasprintf("%s/layer.tar", dir);
        _cleanup_free_ char *out2 = xasprintf("%s/layer2.tar", dir);
        SH("mkdir -p %s/d %s/d", lower, upper);
        put(lower, "a", "same");
        put(lower, "gone", "deleted in upper");
        put(lower, "pid", "4242");
        put(lower, "d/b", "old");
        SH("ln %s/a %s/a", lower, upper);
        SH("touch -r %s/d %s/d", lower, upper);
        put(upper, "d/b", "new");
        put(upper, "c", "added");
        put(upper, "pid", "4343");
        SH("ln %s/c %s/c2", upper, upper);
        SH("ln -s c %s/link", upper);
        /* names in no charset, and UTF-8 ones, are written as their bytes (a C locale) */
        put(upper, "z\xff", "");
        SH("ln -s 'caf\xc3\xa9' %s/z\xc3\xa9", upper);
        /* an env id (host 100005) and one outside the range (host 7) */
        SH("chown 100005:100006 %s/c && chown 7:7 %s/d/b", upper, upper);
        /* setuid: the env's file stays so, the host's file (root's in the image) does not */
        SH("chmod 4755 %s/c %s/d/b", upper, upper);
        struct vers_idmap m = {.base = 100000, .root_uid = 0, .root_gid = 0};
        char *skip[] = {"pid", NULL};
        struct vers_ship_layer_opts o = {.idmap = &m, .skip = skip};
        struct vers_ship_layer r1, r2;
        vers_error_t err = NULL;
        assert_int_equal(vers_ship_write_layer(upper, lower, out, &o, &r1, &err), 0);
        _cleanup_free_ char *got = list_tar(out);
        /* d differs (its own inode); a is unchanged and left out */
        assert_string_equal(got, "c 5 6 f s\n"
                                 "c2 5 6 f s = c\n"
                                 "d/ 0 0 d\n"
                                 "d/b 0 0 f\n"
                                 ".wh.gone 0 0 f\n"
                                 "link 0 0 l\n"
                                 ".wh.pid 0 0 f\n"
                                 "z\xc3\xa9 0 0 l\n"
                                 "z\xff 0 0 f\n");
        assert_int_equal(r1.entries, 9);
        assert_true(str_startswith(r1.digest, "sha256:"));
        assert_int_equal(strlen(r1.digest), 71);
        /* the same trees: the same bytes */
        assert_int_equal(vers_ship_write_layer(upper, lower, out2, &o, &r2, &err), 0);
        assert_string_equal(r1.digest, r2.digest);
        /* no lower: every entry of upper, the skipped one left out */
        assert_int_equal(vers_ship_write_layer(upper, NULL, out2, &o, &r2, &err), 0);
        _cleanup_free_ char *all = list_tar(out2);
        assert_non_null(strstr(all, "a 0 0 f\n"));
        assert_null(strstr(all, "pid"));
        assert_null(strstr(all, ".wh."));
        /* a missing tree fails and leaves no file */
        _cleanup_free_ char *none = xasprintf("%s/none", dir);
        _cleanup_free_ char *out3 = xasprintf("%s/layer3.tar", dir);
        assert_int_equal(vers_ship_write_layer(none, NULL, out3, &o, &r2, &err), -1);
        assert_non_null(err);
        vers_error_free(&err);
        assert_int_equal(access(out3, F_OK), -1);
        SH("rm -rf %s", dir);
}

static void test_unshift(void **state)
{
        (void)state;
        struct vers_idmap m = {.base = 1 << 30, .root_uid = 1000, .root_gid = 1001};
        assert_int_equal(vers_ship_unshift(&m, false, 1000), 0);
        assert_int_equal(vers_ship_unshift(&m, true, 1001), 0);
        assert_int_equal(vers_ship_unshift(&m, false, (1u << 30) + 999), 999);
        assert_int_equal(vers_ship_unshift(&m, false, (1u << 30) + 65535), 65535);
        /* the host's ids (vers's own files): root's, never nobody's */
        assert_int_equal(vers_ship_unshift(&m, false, (1u << 30) + 65536), 0);
        assert_int_equal(vers_ship_unshift(&m, false, 0), 0);
        assert_int_equal(vers_ship_unshift(&m, false, 5), 0);
}

static void test_annotations(void **state)
{
        (void)state;
        struct vers_ship_annotations a;
        assert_int_equal(
            vers_ship_parse_annotations(
                "{\"annotations\": {\"dev.vers.commit\": \"0123456789ab\","
                " \"dev.vers.tag\": \"v1 seeded\", \"dev.vers.parent\": \"ba9876543210\","
                " \"dev.vers.message\": \"two\\nlines\","
                " \"dev.vers.checkpoint-key\": "
                "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}}",
                &a),
            0);
        assert_string_equal(a.id, "0123456789ab");
        assert_string_equal(a.tag, "v1 seeded");
        assert_string_equal(a.parent, "ba9876543210");
        assert_string_equal(a.message, "two lines");
        assert_string_equal(a.checkpoint_key,
                            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        vers_ship_annotations_clear(&a);
        /* whoever pushed it chose these: each malformed one is dropped */
        assert_int_equal(vers_ship_parse_annotations(
                             "{\"annotations\": {\"dev.vers.commit\": \"../../etc\","
                             " \"dev.vers.tag\": \"a/b\", \"dev.vers.parent\": \"0123456789AB\","
                             " \"dev.vers.checkpoint-key\": \"abc\"}}",
                             &a),
                         0);
        assert_null(a.id);
        assert_null(a.tag);
        assert_null(a.parent);
        assert_null(a.checkpoint_key);
        assert_null(a.message);
        vers_ship_annotations_clear(&a);
        assert_int_equal(vers_ship_parse_annotations("{\"annotations\": 5}", &a), 0);
        assert_null(a.id);
        assert_int_equal(vers_ship_parse_annotations("not json", &a), -1);
}

static void test_pod_yaml_quotes(void **state)
{
        (void)state;
        char *ports[] = {"5432/tcp", "53/udp", "x/tcp", NULL};
        char *env[] = {"PGDATABASE=shop", "EVIL=a\"b\nkind: Job", "=novalue",
                       "BREAKS=a\xc2\x85"
                       "b\xe2\x80\xa8"
                       "c\xe2\x80\xa9"
                       "d",
                       NULL};
        struct strbuf sb = STRBUF_INIT;
        vers_ship_pod_yaml("0123456789ab", "127.0.0.1:5000/x:1", ports, env, &sb);
        assert_non_null(strstr(sb.buf, "kind: Pod\n"));
        assert_non_null(strstr(sb.buf, "    image: \"127.0.0.1:5000/x:1\"\n"));
        assert_non_null(strstr(sb.buf, "    - containerPort: 5432\n      protocol: TCP\n"));
        assert_non_null(strstr(sb.buf, "    - containerPort: 53\n      protocol: UDP\n"));
        assert_non_null(strstr(sb.buf, "      value: \"a\\\"b\\nkind: Job\"\n"));
        assert_null(strstr(sb.buf, "\nkind: Job"));
        /* YAML's other line breaks are escaped, or a parser folds them into spaces */
        assert_non_null(strstr(sb.buf, "      value: \"a\\Nb\\Lc\\Pd\"\n"));
        assert_non_null(strstr(sb.buf, "readinessProbe:\n      tcpSocket:\n        port: 5432\n"));
        strbuf_release(&sb);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_layer_diff),
            cmocka_unit_test(test_unshift),
            cmocka_unit_test(test_annotations),
            cmocka_unit_test(test_pod_yaml_quotes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
