/* Unit tests for image references (src/lib/format/imageref.c): Docker's resolution of short
 * names, registries, tags and digests, what is refused and why, loopback registries, the
 * choice of credentials file; and the pure parts of FROM a registry image
 * (src/lib/build/registry.c): the reason picked out of skopeo's output, stop signals, and the
 * layer key. No root needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "build/build-private.h"
#include "format/imageref.h"

#include <stdio.h>
#include <string.h>

static void resolves_to(const char *ref, const char *canonical, const char *pull)
{
        struct vers_imageref r;
        vers_error_t err = NULL;
        if (vers_imageref_parse(ref, &r, &err) < 0) {
                print_error("'%s': unexpected error: %s\n", ref, err->msg);
                vers_error_free(&err);
                fail();
        }
        char *c = vers_imageref_canonical(&r), *p = vers_imageref_pull_name(&r);
        if ((canonical && strcmp(c, canonical)) || (pull && strcmp(p, pull))) {
                print_error("'%s': got %s and %s\n", ref, c, p);
                fail();
        }
        free(c);
        free(p);
        vers_imageref_clear(&r);
}

static void refused(const char *ref, const char *why)
{
        struct vers_imageref r;
        vers_error_t err = NULL;
        if (vers_imageref_parse(ref, &r, &err) == 0) {
                print_error("'%s' was accepted\n", ref);
                vers_imageref_clear(&r);
                fail();
        }
        assert_null(r.domain);
        assert_null(r.path);
        if (!strstr(err->msg, why)) {
                print_error("'%s': '%s' does not say '%s'\n", ref, err->msg, why);
                fail();
        }
        assert_null(strchr(err->msg, '\n'));
        vers_error_free(&err);
}

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_short_names(void **state)
{
        (void)state;
        resolves_to("ubuntu:22.04", "docker.io/library/ubuntu:22.04",
                    "docker.io/library/ubuntu:22.04");
        resolves_to("ubuntu", "docker.io/library/ubuntu:latest", "docker.io/library/ubuntu:latest");
        resolves_to("o/x", "docker.io/o/x:latest", "docker.io/o/x:latest");
        resolves_to("o/x/y:1", "docker.io/o/x/y:1", "docker.io/o/x/y:1");
        resolves_to("docker.io/library/x", "docker.io/library/x:latest",
                    "docker.io/library/x:latest");
        resolves_to("docker.io/x", "docker.io/library/x:latest", "docker.io/library/x:latest");
        resolves_to("index.docker.io/o/x:2", "docker.io/o/x:2", "docker.io/o/x:2");
        resolves_to("postgres:16", "docker.io/library/postgres:16",
                    "docker.io/library/postgres:16");
        /* a name with no '/' whose ':' is a tag, not a port */
        resolves_to("localhost:5000", "docker.io/library/localhost:5000",
                    "docker.io/library/localhost:5000");
}

static void test_registries(void **state)
{
        (void)state;
        resolves_to("ghcr.io/o/x:tag", "ghcr.io/o/x:tag", "ghcr.io/o/x:tag");
        resolves_to("localhost/x", "localhost/x:latest", "localhost/x:latest");
        resolves_to("localhost:5000/x:1", "localhost:5000/x:1", "localhost:5000/x:1");
        resolves_to("127.0.0.1:5000/a/b", "127.0.0.1:5000/a/b:latest", "127.0.0.1:5000/a/b:latest");
        resolves_to("[::1]:5000/x:1", "[::1]:5000/x:1", "[::1]:5000/x:1");
        resolves_to("Registry/x", "Registry/x:latest", "Registry/x:latest"); /* uppercase */
        resolves_to("my-registry.example:443/team/app:v1.2",
                    "my-registry.example:443/team/app:v1.2",
                    "my-registry.example:443/team/app:v1.2");
}

static void test_tags_and_digests(void **state)
{
        (void)state;
        resolves_to("localhost:5000/x@sha256:" D64, "localhost:5000/x@sha256:" D64,
                    "localhost:5000/x@sha256:" D64);
        /* both: the digest decides what is pulled */
        resolves_to("x:1@sha256:" D64, "docker.io/library/x:1@sha256:" D64,
                    "docker.io/library/x@sha256:" D64);
        resolves_to("x:_a.B-1", "docker.io/library/x:_a.B-1", "docker.io/library/x:_a.B-1");
        char tag[200];
        memset(tag, 'a', 128);
        tag[128] = '\0';
        char ref[256];
        snprintf(ref, sizeof ref, "x:%s", tag);
        struct vers_imageref r;
        assert_int_equal(vers_imageref_parse(ref, &r, NULL), 0);
        assert_string_equal(r.tag, tag);
        vers_imageref_clear(&r);
        snprintf(ref, sizeof ref, "x:%sa", tag);
        refused(ref, "is not a tag");
}

static void test_components(void **state)
{
        (void)state;
        resolves_to("o/a.b_c__d-e---f", "docker.io/o/a.b_c__d-e---f:latest",
                    "docker.io/o/a.b_c__d-e---f:latest");
        /* a first component with a '.' is a registry */
        resolves_to("a.b/x", "a.b/x:latest", "a.b/x:latest");
        refused("Ubuntu:22.04", "repository name must be lowercase");
        refused("ghcr.io/O/x", "repository name must be lowercase");
        refused("o/a..b", "'a..b' is not a repository name component");
        refused("a___b", "is not a repository name component");
        refused("-a", "is not a repository name component");
        refused("a-", "is not a repository name component");
        refused("a//b", "'' is not a repository name component");
        refused("a/", "is not a repository name component");
        refused("ghcr.io/", "is not a repository name component");
        refused("a/b$", "is not a repository name component");
}

static void test_refused(void **state)
{
        (void)state;
        refused("", "empty");
        refused("a b", "no spaces");
        refused("x\n", "no spaces");
        refused(":1", "no repository name");
        refused("x:", "is not a tag");
        refused("x:-a", "'-a' is not a tag");
        refused("x:a/b", "'x:a' is not a registry"); /* the ':' is before a '/' */
        refused("x@sha256:abc", "'sha256:abc' is not a digest");
        refused("x@sha256:" D64 "0", "is not a digest");
        refused("x@sha512:" D64, "is not a digest");
        refused("x@SHA256:" D64, "is not a digest");
        refused("x@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
                "is not a digest");
        refused("x@", "is not a digest");
        refused(D64, "image id");
        refused("-bad.example/x", "is not a registry");
        refused("bad-.example/x", "is not a registry");
        refused("host:port/x", "is not a registry");
        refused("host:/x", "is not a registry");
        refused("[]:5000/x", "is not a registry");
        char longname[300];
        memset(longname, 'a', 256);
        longname[256] = '\0';
        refused(longname, "longer than 255");
        /* measured once resolved: 237 + "docker.io/library/" is 255 */
        longname[237] = '\0';
        resolves_to(longname, NULL, NULL);
        longname[237] = 'a';
        longname[238] = '\0';
        refused(longname, "longer than 255");
}

static bool loopback(const char *ref)
{
        struct vers_imageref r;
        assert_int_equal(vers_imageref_parse(ref, &r, NULL), 0);
        bool b = vers_imageref_loopback(&r);
        vers_imageref_clear(&r);
        return b;
}

static void test_loopback(void **state)
{
        (void)state;
        assert_true(loopback("localhost/x"));
        assert_true(loopback("localhost:5000/x"));
        assert_true(loopback("127.0.0.1:5000/x"));
        assert_true(loopback("127.1.2.3/x"));
        assert_true(loopback("[::1]:5000/x"));
        assert_false(loopback("ubuntu"));
        assert_false(loopback("128.0.0.1:5000/x"));
        assert_false(loopback("127.0.0.1.example/x"));
        assert_false(loopback("localhost.example/x"));
        assert_false(loopback("[::2]/x"));
        assert_false(loopback("ghcr.io/o/x"));
}

/* ---- the credentials file ------------------------------------------------------------------ */

static const char *existing;
static bool exists_fake(const char *p)
{
        return existing && !strcmp(p, existing);
}

static void test_authfile(void **state)
{
        (void)state;
        char *a;
        existing = "/home/u/.docker/config.json";
        /* REGISTRY_AUTH_FILE wins, whatever exists */
        a = vers_registry_authfile("/etc/auth.json", "/home/u", exists_fake);
        assert_string_equal(a, "/etc/auth.json");
        free(a);
        /* else the user's ~/.docker/config.json, when it is there */
        a = vers_registry_authfile(NULL, "/home/u", exists_fake);
        assert_string_equal(a, "/home/u/.docker/config.json");
        free(a);
        a = vers_registry_authfile("", "/home/u/", exists_fake);
        assert_string_equal(a, "/home/u/.docker/config.json");
        free(a);
        /* else none */
        assert_null(vers_registry_authfile(NULL, "/home/other", exists_fake));
        assert_null(vers_registry_authfile(NULL, NULL, exists_fake));
        assert_null(vers_registry_authfile(NULL, "", exists_fake));
        existing = NULL;
        assert_null(vers_registry_authfile(NULL, "/home/u", exists_fake));
}

/* ---- skopeo's output ------------------------------------------------------------------------ */

static void reason_is(const char *out, const char *want)
{
        char buf[256];
        vers_registry_reason(out, buf, sizeof buf);
        if (strcmp(buf, want)) {
                print_error("got '%s', want '%s'\n", buf, want);
                fail();
        }
}

static void test_reasons(void **state)
{
        (void)state;
        reason_is("time=\"2026-12-01T13:49:41Z\" level=fatal msg=\"initializing source "
                  "docker://127.0.0.1:1/x:1: pinging container registry 127.0.0.1:1: Get "
                  "\\\"http://127.0.0.1:1/v2/\\\": dial tcp 127.0.0.1:1: connect: connection "
                  "refused\"\n",
                  "connection refused");
        reason_is("Getting image source signatures\ntime=\"x\" level=fatal msg=\"initializing "
                  "source docker://h/nope:1: reading manifest 1 in h/nope: manifest unknown: "
                  "manifest unknown\"\n",
                  "manifest unknown");
        reason_is("time=\"x\" level=fatal msg=\"initializing source docker://h/p:1: reading "
                  "manifest 1 in h/p: unauthorized: authentication required\"\n",
                  "unauthorized");
        reason_is("time=\"x\" level=fatal msg=\"initializing source docker://h/x:1: registry h "
                  "is blocked in /etc/containers/registries.conf or registries.conf.d\"\n",
                  "blocked in registries.conf");
        reason_is("time=\"x\" level=fatal msg=\"... dial tcp: lookup nope.example on "
                  "127.0.0.53:53: no such host\"\n",
                  "no such host");
        reason_is("time=\"x\" level=fatal msg=\"pinging container registry h: Get "
                  "\\\"https://h/v2/\\\": http: server gave HTTP response to HTTPS client\"\n",
                  "plain http, not https (mark it insecure in registries.conf)");
        /* anything else: the innermost part of the last message, one line */
        reason_is("time=\"x\" level=warning msg=\"first\"\ntime=\"x\" level=fatal msg=\"copying "
                  "system image: writing blob: something odd\"\n",
                  "something odd");
        reason_is("no logrus here\nlast words\n\n", "last words");
        reason_is("", "skopeo failed");
}

static void test_signals(void **state)
{
        (void)state;
        assert_string_equal(vers_imageconf_signal("SIGTERM"), "TERM");
        assert_string_equal(vers_imageconf_signal("SIGINT"), "INT");
        assert_string_equal(vers_imageconf_signal("quit"), "QUIT");
        assert_string_equal(vers_imageconf_signal("9"), "KILL");
        assert_string_equal(vers_imageconf_signal("15"), "TERM");
        assert_null(vers_imageconf_signal("SIGUSR1"));
        assert_null(vers_imageconf_signal("SIGRTMIN+3"));
        assert_null(vers_imageconf_signal("10"));
}

static void test_registry_key(void **state)
{
        (void)state;
        build_key_t a, b, c, d;
        vers_build_key_registry("sha256:" D64, a);
        vers_build_key_registry("sha256:" D64, b);
        vers_build_key_registry(
            "sha256:1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", c);
        vers_build_key_commit("sha256:" D64, d); /* another kind of key */
        assert_string_equal(a, b);
        assert_string_not_equal(a, c);
        assert_string_not_equal(a, d);
        assert_int_equal(strlen(a), VERS_HASH_HEX);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_short_names),      cmocka_unit_test(test_registries),
            cmocka_unit_test(test_tags_and_digests), cmocka_unit_test(test_components),
            cmocka_unit_test(test_refused),          cmocka_unit_test(test_loopback),
            cmocka_unit_test(test_authfile),         cmocka_unit_test(test_reasons),
            cmocka_unit_test(test_signals),          cmocka_unit_test(test_registry_key),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
