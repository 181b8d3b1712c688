/* Unit tests for src/lib/ship/bundle.c and sign.c: what a bundle's manifest may say (strict
 * types, ids, names, sizes, parts), its text round trip, and Ed25519 signatures (a wrong key,
 * a changed byte, malformed input). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "ship/bundle.h"
#include "ship/sign.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* a valid manifest, with one field's text replaced (key "FIELD" → the given JSON value) */
static char *manifest_with(const char *key, const char *value)
{
        struct {
                const char *k, *v;
        } f[] = {
            {"bundle", "1"},
            {"commit", "\"0123456789ab\""},
            {"parent", "null"},
            {"since", "null"},
            {"tag", "\"Base schema loaded\""},
            {"message", "\"a message\""},
            {"mode", "\"warm\""},
            {"created", "1700000000000"},
            {"idmap", "{\"base\": 1073807360, \"root_uid\": 1073807360, \"root_gid\": 1073807360}"},
            {"image", "{\"own_root\": false}"},
            {"host", "{\"criu\": \"4.2.1\", \"kernel\": \"6.1.0-18-amd64\", \"usr\": \"" SHA_A
                     "\", \"project\": \"/home/u/proj\"}"},
            {"parts", "[{\"name\": \"stream\", \"size\": 10, \"sha256\": \"" SHA_A "\"},"
                      " {\"name\": \"criu/core-1.img\", \"size\": 3, \"sha256\": \"" SHA_A "\"},"
                      " {\"name\": \"image/env\", \"size\": 3, \"sha256\": \"" SHA_A "\"}]"},
        };
        char *s = xstrdup("{");
        bool first = true;
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
                const char *v = key && !strcmp(key, f[i].k) ? value : f[i].v;
                if (!v)
                        continue; /* dropped */
                char *n = xasprintf("%s%s\"%s\": %s", s, first ? "" : ", ", f[i].k, v);
                free(s);
                s = n;
                first = false;
        }
        if (key && !strcmp(key, "extra")) {
                char *n = xasprintf("%s, \"extra\": %s", s, value);
                free(s);
                s = n;
        }
        char *n = xasprintf("%s}", s);
        free(s);
        return n;
}

static int parse(const char *text, struct vers_bundle_manifest *m, char **msg)
{
        vers_error_t err = NULL;
        int r = vers_bundle_manifest_parse(text, strlen(text), m, &err);
        if (msg)
                *msg = err ? xstrdup(err->msg) : NULL;
        vers_error_free(&err);
        return r;
}

static void test_valid_manifest(void **state)
{
        (void)state;
        char *t = manifest_with(NULL, NULL);
        struct vers_bundle_manifest m;
        assert_int_equal(parse(t, &m, NULL), 0);
        assert_string_equal(m.commit, "0123456789ab");
        assert_null(m.parent);
        assert_string_equal(m.tag, "Base schema loaded");
        assert_string_equal(m.mode, "warm");
        assert_int_equal(m.id_base, 1073807360u);
        assert_false(m.own_root);
        assert_string_equal(m.criu, "4.2.1");
        assert_string_equal(m.project, "/home/u/proj");
        assert_int_equal(m.n_parts, 3);
        assert_string_equal(m.parts[1].name, "criu/core-1.img");
        assert_int_equal(m.parts[0].size, 10);
        /* what dump writes, parse reads back the same */
        char *again = vers_bundle_manifest_dump(&m);
        struct vers_bundle_manifest m2;
        assert_int_equal(parse(again, &m2, NULL), 0);
        char *again2 = vers_bundle_manifest_dump(&m2);
        assert_string_equal(again, again2);
        free(again);
        free(again2);
        vers_bundle_manifest_clear(&m2);
        vers_bundle_manifest_clear(&m);
        free(t);
}

static void refused(const char *key, const char *value, const char *says)
{
        char *t = manifest_with(key, value);
        struct vers_bundle_manifest m;
        char *msg = NULL;
        if (parse(t, &m, &msg) == 0)
                fail_msg("manifest with %s = %s was accepted", key, value ? value : "(none)");
        if (says && !strstr(msg, says))
                fail_msg("manifest with %s = %s: '%s' does not say '%s'", key, value, msg, says);
        free(msg);
        free(t);
}

static void test_refused_manifests(void **state)
{
        (void)state;
        refused("bundle", "2", "bundle version 2");
        refused("bundle", "\"1\"", NULL);
        refused("commit", "\"../../etc\"", "commit id");
        refused("commit", "null", "commit id");
        refused("commit", "12", NULL);
        refused("parent", "\"XYZ\"", "parent id");
        refused("tag", "\"a/b\"", "tag");
        refused("tag", "\"-x\"", "tag");
        refused("message", "\"bell\\u0007\"", "message");
        refused("mode", "\"hot\"", "mode");
        refused("created", "-1", "creation time");
        refused("created", "1.5", NULL);
        refused("idmap", "{\"base\": 5, \"root_uid\": 5, \"root_gid\": 5}", "id range");
        refused("idmap", "{\"base\": 1073807360, \"root_uid\": 0, \"root_gid\": 1}", "id range");
        refused("idmap", "{\"base\": 1073807360, \"root_uid\": 1, \"root_gid\": 1, \"x\": 1}",
                NULL);
        refused("host",
                "{\"criu\": \"4 2\", \"kernel\": \"6.1\", \"usr\": null, \"project\": null}",
                "CRIU version");
        refused("host",
                "{\"criu\": null, \"kernel\": \"6.1\", \"usr\": \"abc\", \"project\": null}",
                "host fingerprint");
        refused("host",
                "{\"criu\": null, \"kernel\": \"6.1\", \"usr\": null, \"project\": \"rel/dir\"}",
                "project directory");
        refused("extra", "1", NULL); /* unknown keys */
        refused("parts", NULL, NULL);
        refused("parts", "[]", "no stream");
        refused("parts", "{}", "bad parts");
        const char *bad_parts[] = {
            "[{\"name\": \"stream\", \"size\": 1, \"sha256\": \"" SHA_A "\"},"
            " {\"name\": \"stream\", \"size\": 1, \"sha256\": \"" SHA_A "\"}]",
            "[{\"name\": \"../stream\", \"size\": 1, \"sha256\": \"" SHA_A "\"}]",
            "[{\"name\": \"criu/../../x\", \"size\": 1, \"sha256\": \"" SHA_A "\"}]",
            "[{\"name\": \"criu/.hidden\", \"size\": 1, \"sha256\": \"" SHA_A "\"}]",
            "[{\"name\": \"criu/criu.pid\", \"size\": 1, \"sha256\": \"" SHA_A "\"}]",
            "[{\"name\": \"image/init\", \"size\": 1, \"sha256\": \"" SHA_A "\"}]",
            "[{\"name\": \"stream\", \"size\": -1, \"sha256\": \"" SHA_A "\"}]",
            "[{\"name\": \"stream\", \"size\": 1, \"sha256\": \"ABC\"}]",
            "[{\"name\": \"stream\", \"size\": 1, \"sha256\": \"" SHA_A "\", \"mode\": 1}]",
            "[{\"name\": \"stream\", \"size\": 1, \"sha256\": \"" SHA_A "\"},"
            " {\"name\": \"image/env\", \"size\": 2000000, \"sha256\": \"" SHA_A "\"}]",
            /* own_root false, but the marker is there */
            "[{\"name\": \"stream\", \"size\": 1, \"sha256\": \"" SHA_A "\"},"
            " {\"name\": \"image/own-root\", \"size\": 0, \"sha256\": \"" SHA_A "\"}]",
        };
        for (size_t i = 0; i < sizeof bad_parts / sizeof bad_parts[0]; i++)
                refused("parts", bad_parts[i], NULL);
        /* a cold commit carries no CRIU images */
        char *cold = manifest_with("mode", "\"cold\"");
        struct vers_bundle_manifest m;
        char *msg = NULL;
        assert_int_equal(parse(cold, &m, &msg), -1);
        assert_non_null(strstr(msg, "CRIU images of a cold commit"));
        free(msg);
        free(cold);
        /* not JSON at all, and duplicate keys */
        assert_int_equal(parse("{\"bundle\": 1,", &m, NULL), -1);
        assert_int_equal(parse("[]", &m, NULL), -1);
        char *dup = manifest_with("extra", "1");
        dup[strlen(dup) - 1] = '\0';
        char *dup2 = xasprintf("%s, \"bundle\": 1}", dup);
        assert_int_equal(parse(dup2, &m, NULL), -1);
        free(dup);
        free(dup2);
}

static void test_part_names(void **state)
{
        (void)state;
        assert_true(vers_bundle_part_name_ok("stream"));
        assert_true(vers_bundle_part_name_ok("criu/pages-1.img"));
        assert_true(vers_bundle_part_name_ok("image/own-root"));
        assert_false(vers_bundle_part_name_ok("criu/"));
        assert_false(vers_bundle_part_name_ok("criu/a/b"));
        assert_false(vers_bundle_part_name_ok("image/.."));
        assert_false(vers_bundle_part_name_ok("/stream"));
        assert_false(vers_bundle_part_name_ok("other/x"));
}

static void test_sign_verify(void **state)
{
        (void)state;
        char priv[VERS_ED25519_HEX + 1], pub[VERS_ED25519_HEX + 1], pub2[VERS_ED25519_HEX + 1];
        char priv_b[VERS_ED25519_HEX + 1], pub_b[VERS_ED25519_HEX + 1];
        char sig[VERS_ED25519_SIG_HEX + 1];
        vers_error_t err = NULL;
        assert_int_equal(vers_ed25519_keygen(priv, pub, &err), 0);
        assert_int_equal(vers_ed25519_keygen(priv_b, pub_b, &err), 0);
        assert_string_not_equal(pub, pub_b);
        assert_int_equal(vers_ed25519_public(priv, pub2, &err), 0);
        assert_string_equal(pub, pub2);
        const char msg[] = "{\"bundle\":1}";
        assert_int_equal(vers_ed25519_sign(priv, msg, strlen(msg), sig, &err), 0);
        assert_int_equal(strlen(sig), VERS_ED25519_SIG_HEX);
        assert_true(vers_ed25519_verify(pub, msg, strlen(msg), sig));
        /* another key, another message, a changed signature, garbage */
        assert_false(vers_ed25519_verify(pub_b, msg, strlen(msg), sig));
        assert_false(vers_ed25519_verify(pub, "{\"bundle\":2}", strlen(msg), sig));
        char bad[VERS_ED25519_SIG_HEX + 1];
        memcpy(bad, sig, sizeof bad);
        bad[10] = bad[10] == '0' ? '1' : '0';
        assert_false(vers_ed25519_verify(pub, msg, strlen(msg), bad));
        assert_false(vers_ed25519_verify(pub, msg, strlen(msg), "00"));
        assert_false(vers_ed25519_verify("zz", msg, strlen(msg), sig));
        assert_int_equal(vers_ed25519_sign("nothex", msg, strlen(msg), sig, &err), -1);
        vers_error_free(&err);
}

static void test_key_lines(void **state)
{
        (void)state;
        char pub[VERS_ED25519_HEX + 1];
        vers_error_t err = NULL;
        const char *k = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        char *line = xasprintf("  vers-ed25519 %s\n", k);
        assert_int_equal(vers_key_parse(line, pub, &err), 0);
        assert_string_equal(pub, k);
        free(line);
        assert_int_equal(vers_key_parse("ssh-ed25519 AAAA", pub, &err), -1);
        vers_error_free(&err);
        assert_int_equal(vers_key_parse("vers-ed25519 0123", pub, &err), -1);
        vers_error_free(&err);
        line = xasprintf("vers-ed25519 %s trailing", k);
        assert_int_equal(vers_key_parse(line, pub, &err), -1);
        vers_error_free(&err);
        free(line);
}

static void test_root_keys_and_trust(void **state)
{
        (void)state;
        char dir[] = "/tmp/vers-test-sign.XXXXXX";
        assert_non_null(mkdtemp(dir));
        char a[VERS_ED25519_HEX + 1], b[VERS_ED25519_HEX + 1], other[VERS_ED25519_HEX + 1],
            p[VERS_ED25519_HEX + 1];
        vers_error_t err = NULL;
        assert_int_equal(vers_root_key(dir, NULL, a, &err), 0);
        assert_int_equal(vers_root_key(dir, NULL, b, &err), 0); /* made once, then read */
        assert_string_equal(a, b);
        char *path = xasprintf("%s/bundle.key", dir);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        assert_true(vers_key_trusted(dir, a)); /* its own */
        assert_int_equal(vers_ed25519_keygen(p, other, &err), 0);
        assert_false(vers_key_trusted(dir, other));
        bool added = false;
        assert_int_equal(vers_trust_key(dir, other, &added, &err), 0);
        assert_true(added);
        assert_int_equal(vers_trust_key(dir, other, &added, &err), 0);
        assert_false(added);
        assert_true(vers_key_trusted(dir, other));
        free(path);
        assert_int_equal(vers_rm_rf(dir, &err), 0);
}

/* ---- synthetic send streams (version 1) ---------------------------------------------------- */

struct stream {
        unsigned char buf[4096];
        size_t n;
        size_t cmd; /* where the open command's header is */
};

static void put(struct stream *s, const void *p, size_t n)
{
        assert_true(s->n + n <= sizeof s->buf);
        memcpy(s->buf + s->n, p, n);
        s->n += n;
}

static void put_le(struct stream *s, uint32_t v, int bytes)
{
        for (int i = 0; i < bytes; i++) {
                unsigned char b = (unsigned char)(v >> (8 * i));
                put(s, &b, 1);
        }
}

static void stream_start(struct stream *s, uint32_t version)
{
        s->n = 0;
        put(s, "btrfs-stream", 13);
        put_le(s, version, 4);
}

static void cmd_begin(struct stream *s, uint16_t cmd)
{
        s->cmd = s->n;
        put_le(s, 0, 4);
        put_le(s, cmd, 2);
        put_le(s, 0, 4); /* crc: btrfs receive checks it, vers does not need to */
}

static void attr(struct stream *s, uint16_t type, const void *v, uint16_t n)
{
        put_le(s, type, 2);
        put_le(s, n, 2);
        put(s, v, n);
}

static void cmd_end(struct stream *s)
{
        uint32_t len = (uint32_t)(s->n - s->cmd - 10);
        for (int i = 0; i < 4; i++)
                s->buf[s->cmd + i] = (unsigned char)(len >> (8 * i));
}

static const uint8_t own[16] = {1, 2, 3}, parent_u[16] = {9, 9, 9}, other[16] = {7, 7, 7};

/* a stream: a subvolume (or a snapshot of parent_u), a file, then what extra says, END */
static int check(uint32_t version, bool snapshot, const uint8_t *expect_parent,
                 void (*extra)(struct stream *), char **msg)
{
        struct stream s;
        stream_start(&s, version);
        cmd_begin(&s, snapshot ? 2 : 1);
        attr(&s, 15, "rootfs", 6);
        attr(&s, 1, own, 16);
        if (snapshot)
                attr(&s, 20, parent_u, 16);
        cmd_end(&s);
        cmd_begin(&s, 19); /* chown of the root: path "" */
        attr(&s, 15, "", 0);
        cmd_end(&s);
        cmd_begin(&s, 3);
        attr(&s, 15, "var/lib/f", 9);
        cmd_end(&s);
        if (extra)
                extra(&s);
        cmd_begin(&s, 21);
        cmd_end(&s);
        char path[] = "/tmp/vers-test-stream.XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, s.buf, s.n), (ssize_t)s.n);
        close(fd);
        vers_error_t err = NULL;
        int r = vers_bundle_stream_check(path, expect_parent, &err);
        *msg = err ? xstrdup(err->msg) : NULL;
        vers_error_free(&err);
        unlink(path);
        return r;
}

static void clone_own(struct stream *s)
{
        cmd_begin(s, 16);
        attr(s, 15, "var/lib/g", 9);
        attr(s, 20, own, 16);
        attr(s, 22, "var/lib/f", 9);
        cmd_end(s);
}
static void clone_parent(struct stream *s)
{
        cmd_begin(s, 16);
        attr(s, 15, "var/lib/g", 9);
        attr(s, 20, parent_u, 16);
        attr(s, 22, "var/lib/f", 9);
        cmd_end(s);
}
static void clone_other(struct stream *s)
{
        cmd_begin(s, 16);
        attr(s, 15, "var/lib/g", 9);
        attr(s, 20, other, 16);
        attr(s, 22, "f", 1);
        cmd_end(s);
}
static void clone_dotdot(struct stream *s)
{
        cmd_begin(s, 16);
        attr(s, 15, "var/lib/g", 9);
        attr(s, 20, own, 16);
        attr(s, 22, "../../envs/x/rootfs/secret", 26);
        cmd_end(s);
}
static void rename_abs(struct stream *s)
{
        cmd_begin(s, 9);
        attr(s, 15, "var/lib/f", 9);
        attr(s, 16, "/etc/passwd", 11);
        cmd_end(s);
}
static void link_dotdot(struct stream *s)
{
        cmd_begin(s, 10);
        attr(s, 15, "x", 1);
        attr(s, 17, "a/../../b", 9);
        cmd_end(s);
}
static void symlink_anywhere(struct stream *s)
{
        cmd_begin(s, 8); /* a symlink's target is its content: anything goes */
        attr(s, 15, "ln", 2);
        attr(s, 17, "/etc/../passwd", 14);
        cmd_end(s);
}
static void second_subvol(struct stream *s)
{
        cmd_begin(s, 1);
        attr(s, 15, "two", 3);
        attr(s, 1, other, 16);
        cmd_end(s);
}
static void bad_attr(struct stream *s)
{
        cmd_begin(s, 3);
        put_le(s, 15, 2);
        put_le(s, 200, 2); /* longer than the command */
        put(s, "x", 1);
        cmd_end(s);
}

static void test_stream_check(void **state)
{
        (void)state;
        char *msg = NULL;
#define OK(...)                                                                                    \
        do {                                                                                       \
                assert_int_equal(check(__VA_ARGS__, &msg), 0);                                     \
                free(msg);                                                                         \
        } while (0)
#define BAD(says, ...)                                                                             \
        do {                                                                                       \
                assert_int_equal(check(__VA_ARGS__, &msg), -1);                                    \
                if (!strstr(msg, says))                                                            \
                        fail_msg("'%s' does not say '%s'", msg, says);                             \
                free(msg);                                                                         \
        } while (0)
        OK(1, false, NULL, NULL);
        OK(1, false, NULL, clone_own);
        OK(1, false, NULL, symlink_anywhere);
        OK(1, true, parent_u, clone_parent);
        OK(1, true, parent_u, clone_own);
        BAD("version 2", 2, false, NULL, NULL);
        BAD("clones from another subvolume", 1, false, NULL, clone_other);
        BAD("clones from another subvolume", 1, false, NULL, clone_parent); /* full: no parent */
        BAD("outside its tree", 1, false, NULL, clone_dotdot);
        BAD("outside its tree", 1, false, NULL, rename_abs);
        BAD("outside its tree", 1, false, NULL, link_dotdot);
        BAD("not one full subvolume", 1, false, NULL, second_subvol);
        BAD("not one full subvolume", 1, true, NULL, NULL); /* a snapshot where full is expected */
        BAD("snapshot of the commit it is incremental on", 1, true, other, NULL);
        BAD("snapshot of the commit it is incremental on", 1, false, parent_u, NULL);
        BAD("bad attribute", 1, false, NULL, bad_attr);
#undef OK
#undef BAD
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_valid_manifest), cmocka_unit_test(test_refused_manifests),
            cmocka_unit_test(test_part_names),     cmocka_unit_test(test_sign_verify),
            cmocka_unit_test(test_key_lines),      cmocka_unit_test(test_root_keys_and_trust),
            cmocka_unit_test(test_stream_check),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
