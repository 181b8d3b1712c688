/* Unit tests for the pure parts of 'vers build' (src/lib/build/) and the image configuration
 * (src/lib/state/imageconf.c): the build plan, the cache keys (and the content key of COPY
 * sources), the image configuration's JSON round trip and the old format, the apt
 * indextargets parser, and the main command CMD/ENTRYPOINT make. No root needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "build/build-private.h"
#include "kernel_needs.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void parse_ok(const char *text, struct vers_dockerfile *df)
{
        vers_error_t err = NULL;
        if (vers_dockerfile_parse(text, "Dockerfile", df, &err) < 0) {
                print_error("unexpected error: %s\n", err->msg);
                vers_error_free(&err);
                fail();
        }
}

/* v equals the NULL-terminated list want (want NULL: v is NULL) */
static void assert_strv(char **v, const char *const *want)
{
        if (!want) {
                assert_null(v);
                return;
        }
        assert_non_null(v);
        size_t i = 0;
        for (; want[i]; i++) {
                assert_non_null(v[i]);
                assert_string_equal(v[i], want[i]);
        }
        assert_null(v[i]);
}

/* ---- the plan ----------------------------------------------------------------------------- */

static void test_plan_from_dockerfile(void **state)
{
        (void)state;
        struct vers_dockerfile df;
        parse_ok("ARG BASE=host\n"
                 "FROM $BASE\n"
                 "ENV A=1\n"
                 "WORKDIR /srv\n"
                 "RUN echo one \\\n"
                 "    && echo two\n"
                 "COPY a b /srv/\n"
                 "ADD x.tar /x\n"
                 "USER nobody\n"
                 "EXPOSE 80\n"
                 "LABEL k=v\n"
                 "STOPSIGNAL INT\n"
                 "ENTRYPOINT [\"/e\"]\n"
                 "CMD run\n",
                 &df);
        struct build_plan p;
        vers_build_plan_make(&df, &p);
        static const struct {
                enum vers_df_kind kind;
                bool layer;
                const char *label;
        } want[] = {
            {DF_ARG, false, "ARG BASE=host"},
            {DF_FROM, true, "FROM $BASE"},
            {DF_ENV, false, "ENV A=1"},
            {DF_WORKDIR, true, "WORKDIR /srv"},
            {DF_RUN, true, "RUN echo one     && echo two"},
            {DF_COPY, true, "COPY a b /srv/"},
            {DF_ADD, true, "ADD x.tar /x"},
            {DF_USER, false, "USER nobody"},
            {DF_EXPOSE, false, "EXPOSE 80"},
            {DF_LABEL, false, "LABEL k=v"},
            {DF_STOPSIGNAL, false, "STOPSIGNAL INT"},
            {DF_ENTRYPOINT, false, "ENTRYPOINT [\"/e\"]"},
            {DF_CMD, false, "CMD run"},
        };
        size_t n = sizeof want / sizeof *want;
        assert_int_equal(p.nsteps, n);
        assert_int_equal(p.n, n + 1);
        assert_string_equal(p.file, "Dockerfile");
        for (size_t i = 0; i < n; i++) {
                assert_ptr_equal(p.steps[i].in, &df.v[i]);
                assert_int_equal(p.steps[i].in->kind, want[i].kind);
                assert_int_equal(p.steps[i].number, (int)i + 1);
                assert_int_equal(p.steps[i].makes_layer, want[i].layer);
                assert_string_equal(p.steps[i].label, want[i].label);
        }
        /* the last step is the image itself: no instruction, no number */
        assert_null(p.steps[n].in);
        assert_int_equal(p.steps[n].number, 0);
        assert_true(p.steps[n].makes_layer);
        assert_string_equal(p.steps[n].label, "installing what the env runs");
        /* every kind but LABEL and MAINTAINER has an executor */
        for (size_t i = 0; i < n; i++)
                assert_int_equal(vers_build_executor(want[i].kind) == NULL,
                                 want[i].kind == DF_LABEL);
        assert_null(vers_build_executor(DF_MAINTAINER));
        vers_build_plan_clear(&p);
        vers_dockerfile_free(&df);
}

static void test_plan_without_dockerfile(void **state)
{
        (void)state;
        struct build_plan p;
        vers_build_plan_make(NULL, &p);
        assert_string_equal(p.file, "vers.toml");
        assert_int_equal(p.nsteps, 1);
        assert_int_equal(p.n, 2);
        assert_int_equal(p.steps[0].in->kind, DF_FROM);
        assert_string_equal(p.steps[0].in->args, "host");
        assert_int_equal(p.steps[0].number, 1);
        assert_string_equal(p.steps[0].label, "FROM host");
        assert_null(p.steps[1].in);
        vers_build_plan_clear(&p);
}

static void test_plan_stages(void **state)
{
        (void)state;
        struct vers_dockerfile df;
        parse_ok("ARG BASE=host\n"             /* 1 */
                 "FROM ${BASE} AS deps\n"      /* 2: stage 0, needed by 1 */
                 "RUN make deps\n"             /* 3 */
                 "FROM host AS unused\n"       /* 4: stage 1, needed by nothing */
                 "COPY --from=deps /d /d\n"    /* 5 */
                 "FROM $BASE AS builder\n"     /* 6: stage 2, needed by 4 */
                 "COPY --from=deps /d /d\n"    /* 7 */
                 "FROM builder AS b2\n"        /* 8: stage 3, continues 2 */
                 "RUN more\n"                  /* 9 */
                 "FROM ${BASE}\n"              /* 10: stage 4, the last */
                 "COPY --from=b2 /out/x /x\n", /* 11 */
                 &df);
        struct build_plan p;
        vers_build_plan_make(&df, &p);
        assert_int_equal(p.nstages, 5);
        assert_int_equal(p.nsteps, 11);
        static const struct {
                size_t first, end;
                const char *name;
        } want[] = {
            {1, 3, "deps"}, {3, 5, "unused"}, {5, 7, "builder"}, {7, 9, "b2"}, {9, 11, NULL}};
        for (size_t k = 0; k < 5; k++) {
                assert_int_equal(p.stages[k].first, want[k].first);
                assert_int_equal(p.stages[k].end, want[k].end);
                if (want[k].name)
                        assert_string_equal(p.stages[k].name, want[k].name);
                else
                        assert_null(p.stages[k].name);
        }
        /* COPY --from shows in its step's label */
        assert_string_equal(p.steps[10].label, "COPY --from=b2 /out/x /x");
        char *vars[] = {"BASE=host", NULL};
        vers_error_t err = NULL;
        assert_int_equal(vers_build_plan_stages(&p, vars, &err), 0);
        static const bool needed[] = {true, false, true, true, true};
        static const int base_stage[] = {-1, -1, -1, 2, -1};
        for (size_t k = 0; k < 5; k++) {
                assert_int_equal(p.stages[k].needed, needed[k]);
                assert_int_equal(p.stages[k].base_stage, base_stage[k]);
        }
        assert_string_equal(p.stages[0].base, "host");
        assert_string_equal(p.stages[3].base, "builder");

        /* the ARG before FROM may name a stage: then the last stage continues it (and still
         * copies from b2) */
        char *to_deps[] = {"BASE=DEPS", NULL};
        assert_int_equal(vers_build_plan_stages(&p, to_deps, &err), 0);
        assert_string_equal(p.stages[4].base, "DEPS");
        assert_int_equal(p.stages[4].base_stage, 0);
        assert_int_equal(p.stages[2].base_stage, 0);
        static const bool needed2[] = {true, false, true, true, true};
        for (size_t k = 0; k < 5; k++)
                assert_int_equal(p.stages[k].needed, needed2[k]);
        /* a bad substitution in a FROM is its line's error */
        vers_build_plan_clear(&p);
        vers_dockerfile_free(&df);
        parse_ok("FROM host\nFROM ${X\n", &df);
        vers_build_plan_make(&df, &p);
        assert_int_equal(vers_build_plan_stages(&p, NULL, &err), -1);
        assert_string_equal(err->msg,
                            "Dockerfile:2:9: bad substitution: expected '}', ':-' or ':+'");
        vers_error_free(&err);
        vers_build_plan_clear(&p);
        vers_dockerfile_free(&df);

        /* no Dockerfile: one stage, FROM host */
        vers_build_plan_make(NULL, &p);
        assert_int_equal(p.nstages, 1);
        assert_int_equal(vers_build_plan_stages(&p, NULL, &err), 0);
        assert_true(p.stages[0].needed);
        assert_string_equal(p.stages[0].base, "host");
        vers_build_plan_clear(&p);
}

static void test_label_is_shortened(void **state)
{
        (void)state;
        char long_args[200];
        memset(long_args, 'x', sizeof long_args - 1);
        long_args[sizeof long_args - 1] = '\0';
        _cleanup_free_ char *l = vers_build_label("RUN", long_args);
        assert_int_equal(strlen(l), strlen("RUN ") + 67 + 3);
        assert_true(str_endswith(l, "..."));
        _cleanup_free_ char *two = vers_build_label("RUN", "a\nb");
        assert_string_equal(two, "RUN a");
}

/* ---- cache keys --------------------------------------------------------------------------- */

static bool is_hex64(const char *k)
{
        return strlen(k) == VERS_HASH_HEX && strspn(k, "0123456789abcdef") == VERS_HASH_HEX;
}

static void test_layer_key(void **state)
{
        (void)state;
        build_key_t a, b, c;
        vers_build_key_layer("parent", "step", a);
        vers_build_key_layer("parent", "step", b);
        assert_true(is_hex64(a));
        assert_string_equal(a, b);
        vers_build_key_layer("parent2", "step", c);
        assert_string_not_equal(a, c);
        vers_build_key_layer("parent", "step2", c);
        assert_string_not_equal(a, c);
        /* the pieces are framed: ("ab","c") is not ("a","bc") */
        vers_build_key_layer("ab", "c", b);
        vers_build_key_layer("a", "bc", c);
        assert_string_not_equal(b, c);
        /* bases differ from each other and from layers */
        build_key_t host, deb, commit;
        vers_build_key_host(host);
        vers_build_key_debian("bookworm", "http://archive.invalid/debian", NULL, "bookworm", deb);
        vers_build_key_commit("0123456789abcdef", commit);
        assert_string_not_equal(host, deb);
        assert_string_not_equal(host, commit);
        assert_string_not_equal(deb, commit);
        vers_build_key_layer("", "", c);
        assert_string_not_equal(host, c);
}

static void test_debian_key(void **state)
{
        (void)state;
        build_key_t k, o;
        vers_build_key_debian("bookworm", "http://archive.invalid/debian",
                              "http://archive.invalid/security", "bookworm", k);
        vers_build_key_debian("trixie", "http://archive.invalid/debian",
                              "http://archive.invalid/security", "bookworm", o);
        assert_string_not_equal(k, o);
        vers_build_key_debian("bookworm", "http://other.invalid/debian",
                              "http://archive.invalid/security", "bookworm", o);
        assert_string_not_equal(k, o);
        vers_build_key_debian("bookworm", "http://archive.invalid/debian", NULL, "bookworm", o);
        assert_string_not_equal(k, o);
        vers_build_key_debian("bookworm", "http://archive.invalid/debian",
                              "http://archive.invalid/security", NULL, o);
        assert_string_not_equal(k, o);
        /* no security archive: NULL and "" alike */
        vers_build_key_debian("bookworm", "u", NULL, NULL, k);
        vers_build_key_debian("bookworm", "u", "", "", o);
        assert_string_equal(k, o);
}

static void test_run_key(void **state)
{
        (void)state;
        char *argv[] = {"/bin/sh", "-c", "make", NULL};
        char *env[] = {"PATH=/bin", "A=1", NULL};
        build_key_t k, o;
        vers_build_key_run(argv, "nobody", "/srv", env, k);
        vers_build_key_run(argv, "nobody", "/srv", env, o);
        assert_string_equal(k, o);
        /* any input changes the key */
        char *argv2[] = {"/bin/sh", "-c", "make all", NULL};
        vers_build_key_run(argv2, "nobody", "/srv", env, o);
        assert_string_not_equal(k, o);
        vers_build_key_run(argv, "root", "/srv", env, o);
        assert_string_not_equal(k, o);
        vers_build_key_run(argv, "nobody", "/", env, o);
        assert_string_not_equal(k, o);
        char *env2[] = {"PATH=/bin", "A=2", NULL};
        vers_build_key_run(argv, "nobody", "/srv", env2, o);
        assert_string_not_equal(k, o);
        /* NULL user and workdir are root and / */
        vers_build_key_run(argv, NULL, NULL, env, k);
        vers_build_key_run(argv, "root", "/", env, o);
        assert_string_equal(k, o);
        /* what a text description would have confused: ("ab","c") and ("a","bc") argv, an
         * env value holding a newline and "env B=y" against two variables, a word moved from
         * argv to env */
        char *ab_c[] = {"ab", "c", NULL}, *a_bc[] = {"a", "bc", NULL};
        vers_build_key_run(ab_c, NULL, NULL, NULL, k);
        vers_build_key_run(a_bc, NULL, NULL, NULL, o);
        assert_string_not_equal(k, o);
        char *one[] = {"A=x\nenv B=y", NULL}, *two[] = {"A=x", "B=y", NULL};
        vers_build_key_run(argv, NULL, NULL, one, k);
        vers_build_key_run(argv, NULL, NULL, two, o);
        assert_string_not_equal(k, o);
        char *x_y[] = {"x", "y", NULL}, *x[] = {"x", NULL}, *y[] = {"y", NULL};
        vers_build_key_run(x_y, NULL, NULL, NULL, k);
        vers_build_key_run(x, NULL, NULL, y, o);
        assert_string_not_equal(k, o);
        char *user_in_workdir[] = {"cmd", NULL};
        vers_build_key_run(user_in_workdir, "u\nworkdir /w", "/", NULL, k);
        vers_build_key_run(user_in_workdir, "u", "/w", NULL, o);
        assert_string_not_equal(k, o);
}

static void test_copy_and_image_keys(void **state)
{
        (void)state;
        char *flags[] = {"--chmod=600", NULL};
        build_key_t k, o;
        vers_build_key_copy("COPY", flags, "/app", "content", k);
        vers_build_key_copy("COPY", flags, "/app", "content", o);
        assert_string_equal(k, o);
        vers_build_key_copy("ADD", flags, "/app", "content", o);
        assert_string_not_equal(k, o);
        vers_build_key_copy("COPY", NULL, "/app", "content", o);
        assert_string_not_equal(k, o);
        vers_build_key_copy("COPY", flags, "/app/", "content", o);
        assert_string_not_equal(k, o);
        vers_build_key_copy("COPY", flags, "/app", "content2", o);
        assert_string_not_equal(k, o);
        vers_build_key_workdir("/app", o);
        assert_string_not_equal(k, o);
        vers_build_key_image("services", "{}", k);
        vers_build_key_image("services", "{}", o);
        assert_string_equal(k, o);
        vers_build_key_image("services", "{\"User\": \"x\"}", o);
        assert_string_not_equal(k, o);
        vers_build_key_image("servicesx", "{}", o);
        assert_string_not_equal(k, o);
        vers_build_key_image("service", "s{}", o);
        assert_string_not_equal(k, o);
}

/* ---- the content key of COPY sources ------------------------------------------------------ */

static void write_at(const char *dir, const char *rel, const char *text)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, rel);
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

/* the content key of "COPY words... /dest" in ctx; NULL on an error (its message in *msg) */
static char *content_of(const char *ctx, const char *const *words, size_t n, char **msg)
{
        struct vers_df_instr in = {.kind = DF_COPY, .line = 2, .args_col = 6};
        struct build_sources s;
        vers_error_t err = NULL;
        if (vers_build_context_sources(ctx, "Dockerfile", &in, (char *const *)words, n, &s, &err) <
            0) {
                if (msg)
                        *msg = xstrdup(err->msg);
                vers_error_free(&err);
                return NULL;
        }
        char *k = xstrdup(s.content);
        vers_build_sources_clear(&s);
        return k;
}

static void test_context_content_key(void **state)
{
        (void)state;
        char dir[] = "/tmp/vers-test-build-XXXXXX";
        assert_non_null(mkdtemp(dir));
        _cleanup_free_ char *sub = xasprintf("%s/app", dir);
        assert_int_equal(mkdir(sub, 0755), 0);
        write_at(dir, "app/a.txt", "hello");
        write_at(dir, "app/b.txt", "world");
        write_at(dir, "app/x.log", "log");
        write_at(dir, ".dockerignore", "app/*.log\n");
        const char *app[] = {"app"};
        _cleanup_free_ char *k1 = content_of(dir, app, 1, NULL);
        _cleanup_free_ char *k2 = content_of(dir, app, 1, NULL);
        assert_non_null(k1);
        assert_true(is_hex64(k1));
        assert_string_equal(k1, k2);
        /* what .dockerignore leaves out does not count */
        write_at(dir, "app/x.log", "more log");
        _cleanup_free_ char *k3 = content_of(dir, app, 1, NULL);
        assert_string_equal(k1, k3);
        /* a byte, a mode, a name */
        write_at(dir, "app/a.txt", "hellO");
        _cleanup_free_ char *k4 = content_of(dir, app, 1, NULL);
        assert_string_not_equal(k1, k4);
        write_at(dir, "app/a.txt", "hello");
        _cleanup_free_ char *k5 = content_of(dir, app, 1, NULL);
        assert_string_equal(k1, k5);
        _cleanup_free_ char *a = xasprintf("%s/app/a.txt", dir);
        assert_int_equal(chmod(a, 0600), 0);
        _cleanup_free_ char *k6 = content_of(dir, app, 1, NULL);
        assert_string_not_equal(k1, k6);
        assert_int_equal(chmod(a, 0644), 0);
        _cleanup_free_ char *c = xasprintf("%s/app/c.txt", dir);
        assert_int_equal(rename(a, c), 0);
        _cleanup_free_ char *k7 = content_of(dir, app, 1, NULL);
        assert_string_not_equal(k1, k7);
        assert_int_equal(rename(c, a), 0);
        /* moving bytes from one file to the next is a change: ("ab","c") and ("a","bc") */
        write_at(dir, "app/a.txt", "hello");
        write_at(dir, "app/b.txt", "world");
        _cleanup_free_ char *k8 = content_of(dir, app, 1, NULL);
        write_at(dir, "app/a.txt", "hellow");
        write_at(dir, "app/b.txt", "orld");
        _cleanup_free_ char *k9 = content_of(dir, app, 1, NULL);
        assert_string_not_equal(k8, k9);
        /* the directory as one source, or its files as two, copy differently */
        write_at(dir, "app/a.txt", "hello");
        write_at(dir, "app/b.txt", "world");
        const char *files[] = {"app/a.txt", "app/b.txt"};
        const char *glob[] = {"app/*.txt"};
        _cleanup_free_ char *k10 = content_of(dir, files, 2, NULL);
        _cleanup_free_ char *k11 = content_of(dir, glob, 1, NULL);
        assert_string_not_equal(k1, k10);
        assert_string_equal(k10, k11);
        /* refusals */
        char *msg = NULL;
        const char *missing[] = {"nope.txt"};
        assert_null(content_of(dir, missing, 1, &msg));
        assert_non_null(strstr(msg, "Dockerfile:2:6: COPY nope.txt: not found in the build"));
        free(msg);
        const char *out[] = {"../"};
        assert_null(content_of(dir, out, 1, &msg));
        assert_non_null(strstr(msg, "outside the build context"));
        free(msg);
        const char *logs[] = {"app/x.log"};
        assert_null(content_of(dir, logs, 1, &msg));
        assert_non_null(strstr(msg, "every source is left out by .dockerignore (1 path)"));
        free(msg);
        const char *url[] = {"http://example.invalid/x"};
        assert_null(content_of(dir, url, 1, &msg));
        assert_non_null(strstr(msg, "only files of the build context"));
        free(msg);
        assert_int_equal(vers_rm_rf(dir, NULL), 0);
}

/* ---- COPY --from: sources in a stage's tree -------------------------------------------------- */

/* the sources of "COPY --from=b words... /dest" in the tree root, as their paths in it joined
 * by ' '; NULL on an error (its message in *msg). Checks each host path is root's. */
static char *stage_sources(const char *root, const char *const *words, size_t n, char **msg)
{
        struct vers_df_instr in = {.kind = DF_COPY, .line = 3, .args_col = 14, .from = "b"};
        struct build_sources s;
        vers_error_t err = NULL;
        if (vers_build_stage_sources(root, "stage 'b'", "Dockerfile", &in, (char *const *)words, n,
                                     &s, &err) < 0) {
                if (msg)
                        *msg = xstrdup(err->msg);
                vers_error_free(&err);
                return NULL;
        }
        assert_null(s.lists); /* the copy lists all of a directory */
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        char real[PATH_MAX];
        assert_non_null(realpath(root, real));
        for (size_t i = 0; s.rels[i]; i++) {
                assert_non_null(s.srcs[i]);
                _cleanup_free_ char *want =
                    xasprintf("%s%s", real, strcmp(s.rels[i], "/") ? s.rels[i] : "");
                assert_string_equal(s.srcs[i], want);
                strbuf_addf(&sb, "%s%s", i ? " " : "", s.rels[i]);
        }
        vers_build_sources_clear(&s);
        return strbuf_detach(&sb);
}

static void test_stage_sources(void **state)
{
        (void)state;
        NEED_SYSCALL("openat2");
        char dir[] = "/tmp/vers-test-stage-XXXXXX";
        assert_non_null(mkdtemp(dir));
        _cleanup_free_ char *out = xasprintf("%s/out", dir);
        _cleanup_free_ char *etc = xasprintf("%s/etc", dir);
        assert_int_equal(mkdir(out, 0755), 0);
        assert_int_equal(mkdir(etc, 0755), 0);
        write_at(dir, "out/x", "x");
        write_at(dir, "out/y.txt", "y");
        write_at(dir, "out/z.txt", "z");
        write_at(dir, "etc/shadow", "the stage's own");
        /* links the stage made: absolute, to its /, and up past its root */
        _cleanup_free_ char *l1 = xasprintf("%s/out/link", dir);
        _cleanup_free_ char *l2 = xasprintf("%s/out/root", dir);
        _cleanup_free_ char *l3 = xasprintf("%s/out/up", dir);
        _cleanup_free_ char *l4 = xasprintf("%s/out/host-only", dir);
        assert_int_equal(symlink("/etc/shadow", l1), 0);
        assert_int_equal(symlink("/", l2), 0);
        assert_int_equal(symlink("../../../../../etc", l3), 0);
        assert_int_equal(symlink("/etc/hostname", l4), 0); /* the host has it, the stage not */
        static const struct {
                const char *words[3];
                size_t n;
                const char *want;
        } cases[] = {
            {{"/out/x"}, 1, "/out/x"},
            {{"out/x", "/out/"}, 2, "/out/x /out"}, /* relative to the stage's / */
            {{"/out/*.txt"}, 1, "/out/y.txt /out/z.txt"},
            {{"/out/link"}, 1, "/etc/shadow"}, /* the stage's own file, never the host's */
            {{"/out/root/etc/shadow"}, 1, "/etc/shadow"},
            {{"/out/up/shadow"}, 1, "/etc/shadow"},
            {{"/../../out/x"}, 1, "/out/x"},
            {{"/"}, 1, "/"},
            {{"/out/root"}, 1, "/"},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                char *msg = NULL;
                _cleanup_free_ char *got = stage_sources(dir, cases[i].words, cases[i].n, &msg);
                if (!got || strcmp(got, cases[i].want)) {
                        print_error("%s: expected %s, got %s\n", cases[i].words[0], cases[i].want,
                                    got ? got : msg);
                        free(msg);
                        fail();
                }
        }
        static const struct {
                const char *word, *msg;
        } bad[] = {
            {"/out/host-only", "Dockerfile:3:14: COPY --from=b /out/host-only: not found in stage "
                               "'b'"},
            {"/nope", "Dockerfile:3:14: COPY --from=b /nope: not found in stage 'b'"},
            {"/out/*.none", "Dockerfile:3:14: COPY --from=b /out/*.none: not found in stage 'b'"},
            {"/o*/x", "Dockerfile:3:14: COPY --from=b /o*/x: a wildcard may only be in the last "
                      "part of the path"},
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                char *msg = NULL;
                const char *w[] = {bad[i].word};
                assert_null(stage_sources(dir, w, 1, &msg));
                assert_string_equal(msg, bad[i].msg);
                free(msg);
        }
        assert_int_equal(vers_rm_rf(dir, NULL), 0);
}

static void test_copy_from_key(void **state)
{
        (void)state;
        char *flags[] = {"--chown=1:1", NULL};
        char *srcs[] = {"/out/x", NULL};
        char *srcs2[] = {"/out/x", "/out/y", NULL};
        build_key_t k, o;
        vers_build_key_copy_from(flags, "stagekey", srcs, "/x", k);
        vers_build_key_copy_from(flags, "stagekey", srcs, "/x", o);
        assert_string_equal(k, o);
        assert_true(is_hex64(k));
        vers_build_key_copy_from(NULL, "stagekey", srcs, "/x", o);
        assert_string_not_equal(k, o);
        vers_build_key_copy_from(flags, "stagekey2", srcs, "/x", o);
        assert_string_not_equal(k, o);
        vers_build_key_copy_from(flags, "stagekey", srcs2, "/x", o);
        assert_string_not_equal(k, o);
        vers_build_key_copy_from(flags, "stagekey", srcs, "/x/", o);
        assert_string_not_equal(k, o);
        /* not a COPY from the context with the same pieces */
        vers_build_key_copy("COPY", flags, "/x", "stagekey", o);
        assert_string_not_equal(k, o);
}

/* ---- the image configuration -------------------------------------------------------------- */

static void parse_conf_ok(const char *text, struct vers_imageconf *c)
{
        vers_error_t err = NULL;
        if (vers_imageconf_parse(text, c, &err) < 0) {
                print_error("unexpected error: %s\n--- input:\n%s\n", err->msg, text);
                vers_error_free(&err);
                fail();
        }
}

static void full_conf(struct vers_imageconf *c)
{
        memset(c, 0, sizeof *c);
        strv_push(&c->env, "PATH=/opt/bin:/usr/bin");
        strv_push(&c->env, "NAME=the \"app\"\nline two");
        c->workdir = xstrdup("/srv/app");
        c->user = xstrdup("nobody");
        strv_push(&c->expose, "5432/tcp");
        strv_push(&c->expose, "53/udp");
        strv_push(&c->entrypoint, "/docker-entrypoint.sh");
        strv_push(&c->cmd, "/bin/sh");
        strv_push(&c->cmd, "-c");
        strv_push(&c->cmd, "exec postgres -c 'x=1'");
        c->stopsignal = xstrdup("INT");
}

static void assert_conf_equal(const struct vers_imageconf *a, const struct vers_imageconf *b)
{
        assert_strv(a->env, (const char *const *)b->env);
        assert_strv(a->expose, (const char *const *)b->expose);
        assert_strv(a->entrypoint, (const char *const *)b->entrypoint);
        assert_strv(a->cmd, (const char *const *)b->cmd);
        if (b->workdir)
                assert_string_equal(a->workdir, b->workdir);
        else
                assert_null(a->workdir);
        if (b->user)
                assert_string_equal(a->user, b->user);
        else
                assert_null(a->user);
        if (b->stopsignal)
                assert_string_equal(a->stopsignal, b->stopsignal);
        else
                assert_null(a->stopsignal);
}

static void test_imageconf_round_trip(void **state)
{
        (void)state;
        struct vers_imageconf c, back = {0};
        full_conf(&c);
        vers_error_t err = NULL;
        _cleanup_free_ char *json = vers_imageconf_to_json(&c, &err);
        assert_non_null(json);
        /* OCI's names */
        assert_non_null(strstr(json, "\"Env\""));
        assert_non_null(strstr(json, "\"WorkingDir\": \"/srv/app\""));
        assert_non_null(strstr(json, "\"ExposedPorts\""));
        assert_non_null(strstr(json, "\"5432/tcp\": {}"));
        assert_non_null(strstr(json, "\"StopSignal\": \"SIGINT\""));
        parse_conf_ok(json, &back);
        assert_conf_equal(&back, &c);
        /* the same configuration, the same text */
        _cleanup_free_ char *again = vers_imageconf_to_json(&back, &err);
        assert_string_equal(json, again);
        vers_imageconf_clear(&back);
        vers_imageconf_clear(&c);
        /* empty; and CMD [] is kept apart from no CMD */
        struct vers_imageconf e = {0};
        _cleanup_free_ char *empty = vers_imageconf_to_json(&e, &err);
        assert_string_equal(empty, "{}\n");
        parse_conf_ok(empty, &back);
        assert_conf_equal(&back, &e);
        e.cmd = xcalloc(1, sizeof *e.cmd);
        _cleanup_free_ char *empty_cmd = vers_imageconf_to_json(&e, &err);
        parse_conf_ok(empty_cmd, &back);
        assert_non_null(back.cmd);
        assert_null(back.cmd[0]);
        assert_null(back.entrypoint);
        vers_imageconf_clear(&back);
        vers_imageconf_clear(&e);
        /* what is not UTF-8 cannot be JSON */
        strv_push(&e.env, "A=\xff");
        assert_null(vers_imageconf_to_json(&e, &err));
        assert_non_null(strstr(err->msg, "Env: a value is not UTF-8"));
        vers_error_free(&err);
        vers_imageconf_clear(&e);
}

static void test_imageconf_file(void **state)
{
        (void)state;
        NEED_SYSCALL("openat2"); /* files in an image's tree */
        char dir[] = "/tmp/vers-test-imageconf-XXXXXX";
        assert_non_null(mkdtemp(dir));
        _cleanup_free_ char *vers = xasprintf("%s/.vers", dir);
        assert_int_equal(mkdir(vers, 0755), 0);
        struct vers_imageconf c, back;
        vers_error_t err = NULL;
        /* no file: an empty configuration */
        memset(&back, 0, sizeof back);
        assert_int_equal(vers_imageconf_read(dir, &back, &err), 0);
        assert_null(back.env);
        assert_null(back.cmd);
        full_conf(&c);
        assert_int_equal(vers_imageconf_write(dir, &c, &err), 0);
        assert_int_equal(vers_imageconf_read(dir, &back, &err), 0);
        assert_conf_equal(&back, &c);
        vers_imageconf_clear(&back);
        vers_imageconf_clear(&c);
        assert_int_equal(vers_rm_rf(dir, NULL), 0);
}

static void test_imageconf_old_format(void **state)
{
        (void)state;
        /* what 'vers build' wrote before the JSON format */
        const char *old = "env PATH=/opt/bin:/usr/bin\n"
                          "env NAME=the app\n"
                          "workdir /srv/app\n"
                          "user nobody\n"
                          "expose 5432/tcp\n"
                          "expose 53/udp\n"
                          "entrypoint [\"/docker-entrypoint.sh\"]\n"
                          "cmd-shell [\"exec postgres -c 'x=1'\"]\n"
                          "stopsignal INT\n";
        struct vers_imageconf c = {0};
        parse_conf_ok(old, &c);
        assert_strv(c.env, (const char *const[]){"PATH=/opt/bin:/usr/bin", "NAME=the app", NULL});
        assert_string_equal(c.workdir, "/srv/app");
        assert_string_equal(c.user, "nobody");
        assert_strv(c.expose, (const char *const[]){"5432/tcp", "53/udp", NULL});
        assert_strv(c.entrypoint, (const char *const[]){"/docker-entrypoint.sh", NULL});
        /* the shell form, as Docker keeps it */
        assert_strv(c.cmd, (const char *const[]){"/bin/sh", "-c", "exec postgres -c 'x=1'", NULL});
        assert_string_equal(c.stopsignal, "INT");
        vers_imageconf_clear(&c);
        parse_conf_ok("entrypoint-shell [\"run \\\"it\\\"\"]\ncmd [\"a\", \"b c\"]\n", &c);
        assert_strv(c.entrypoint, (const char *const[]){"/bin/sh", "-c", "run \"it\"", NULL});
        assert_strv(c.cmd, (const char *const[]){"a", "b c", NULL});
        vers_imageconf_clear(&c);
        /* nothing at all, or lines vers never wrote */
        parse_conf_ok("", &c);
        assert_null(c.env);
        parse_conf_ok("something else\nlabel x\n", &c);
        assert_null(c.env);
        vers_imageconf_clear(&c);
}

static void test_imageconf_refusals(void **state)
{
        (void)state;
        static const struct {
                const char *text, *msg;
        } bad[] = {
            {"{\"Env\": [\"NOEQUALS\"]}", "Env: 'NOEQUALS' is not NAME=value"},
            {"{\"Env\": [\"1A=x\"]}", "is not NAME=value"},
            {"{\"Env\": \"A=1\"}", "Env: not an array of strings"},
            {"{\"Cmd\": [1]}", "Cmd: not an array of strings"},
            {"{\"WorkingDir\": \"relative\"}", "WorkingDir: 'relative' is not an absolute path"},
            {"{\"User\": \"a\\tb\"}", "User: not a user name"},
            {"{\"User\": 0}", "User: not a string"},
            {"{\"ExposedPorts\": {\"99999/tcp\": {}}}", "ExposedPorts: '99999/tcp'"},
            {"{\"ExposedPorts\": {\"80/sctp\": {}}}", "is not PORT/tcp or PORT/udp"},
            {"{\"ExposedPorts\": [\"80/tcp\"]}", "ExposedPorts: not an object"},
            {"{\"StopSignal\": \"SIGHUP\"}", "StopSignal: 'SIGHUP' is not TERM"},
            {"{\"Env\": [], \"Env\": []}", "image configuration: line 1"},
            {"{\"Env\": [", "image configuration: line 1"},
            {"[]", "not a JSON object"},
            {"expose 0/tcp\n", "ExposedPorts: '0/tcp'"},
            {"workdir x\n", "WorkingDir: 'x'"},
            {"cmd [\"a\",]\n", "cmd: "},
            {"cmd-shell [\"a\", \"b\"]\n", "cmd: not one command line"},
        };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                struct vers_imageconf c = {0};
                vers_error_t err = NULL;
                strv_push(&c.env, "LEFT=over");
                if (vers_imageconf_parse(bad[i].text, &c, &err) == 0) {
                        print_error("accepted: %s\n", bad[i].text);
                        fail();
                }
                if (!strstr(err->msg, bad[i].msg)) {
                        print_error("%s: got '%s', want '%s'\n", bad[i].text, err->msg, bad[i].msg);
                        fail();
                }
                assert_true(str_startswith(err->msg, "image configuration: "));
                /* nothing half-read is left */
                assert_null(c.env);
                vers_error_free(&err);
        }
        /* members vers does not use are ignored; ports normalised, each once */
        struct vers_imageconf c = {0};
        parse_conf_ok("{\"Labels\": {\"a\": \"b\"}, \"ExposedPorts\": {\"80\": {}, \"80/tcp\": {}},"
                      " \"Env\": [\"A=1\", \"A=2\"], \"StopSignal\": \"kill\", \"Cmd\": null}",
                      &c);
        assert_strv(c.expose, (const char *const[]){"80/tcp", NULL});
        assert_strv(c.env, (const char *const[]){"A=2", NULL});
        assert_string_equal(c.stopsignal, "KILL");
        assert_null(c.cmd);
        vers_imageconf_clear(&c);
}

/* ---- the main command --------------------------------------------------------------------- */

static void test_main_command(void **state)
{
        (void)state;
        struct vers_imageconf c = {0};
        assert_null(vers_build_main_command(&c));
        c.cmd = xcalloc(1, sizeof *c.cmd); /* CMD [] */
        assert_null(vers_build_main_command(&c));
        strv_push(&c.cmd, "/start.sh");
        strv_push(&c.cmd, "it's");
        _cleanup_free_ char *m1 = vers_build_main_command(&c);
        assert_string_equal(m1, "exec '/start.sh' 'it'\\''s'");
        strv_push(&c.entrypoint, "/ep");
        _cleanup_free_ char *m2 = vers_build_main_command(&c);
        assert_string_equal(m2, "exec '/ep' '/start.sh' 'it'\\''s'");
        strv_free(c.cmd);
        c.cmd = NULL;
        _cleanup_free_ char *m3 = vers_build_main_command(&c);
        assert_string_equal(m3, "exec '/ep'");
        strv_free(c.entrypoint);
        c.entrypoint = xcalloc(1, sizeof *c.entrypoint); /* ENTRYPOINT []: CMD alone */
        strv_push(&c.cmd, "/bin/sh");
        strv_push(&c.cmd, "-c");
        strv_push(&c.cmd, "echo $HOME");
        _cleanup_free_ char *m4 = vers_build_main_command(&c);
        assert_string_equal(m4, "exec '/bin/sh' '-c' 'echo $HOME'");
        vers_imageconf_clear(&c);
}

/* ---- apt indextargets ------------------------------------------------------------------------ */

static void test_apt_parse_line(void **state)
{
        (void)state;
        char *uri, *suite;
        assert_true(
            vers_build_apt_parse_line("deb http://archive.invalid/debian/ bookworm", &uri, &suite));
        assert_string_equal(uri, "http://archive.invalid/debian");
        assert_string_equal(suite, "bookworm");
        free(uri);
        free(suite);
        assert_true(vers_build_apt_parse_line("  deb\thttps://mirror.invalid/d bookworm-security\n",
                                              &uri, &suite));
        assert_string_equal(uri, "https://mirror.invalid/d");
        assert_string_equal(suite, "bookworm-security");
        free(uri);
        free(suite);
        static const char *const skipped[] = {
            "deb-src http://archive.invalid/debian/ bookworm",
            "deb http://archive.invalid/debian/ $(RELEASE)",
            "deb $(REPO_URI) bookworm",
            "deb http://archive.invalid/flat/ ./",
            "deb http://archive.invalid/debian/ bookworm extra",
            "deb http://archive.invalid/debian/",
            "deb cdrom-like bookworm",
            "W: Target Packages is configured multiple times",
            "",
        };
        for (size_t i = 0; i < sizeof skipped / sizeof *skipped; i++) {
                if (vers_build_apt_parse_line(skipped[i], &uri, &suite)) {
                        print_error("parsed: '%s'\n", skipped[i]);
                        fail();
                }
                assert_null(uri);
                assert_null(suite);
        }
}

static void test_apt_choose(void **state)
{
        (void)state;
        /* what this command prints on a typical Debian machine (two architectures) */
        const char *out = "deb http://archive.invalid/debian/ bookworm\n"
                          "deb http://archive.invalid/debian/ bookworm\n"
                          "deb http://archive.invalid/debian/ bookworm-updates\n"
                          "deb http://archive.invalid/debian-security/ bookworm-security\n";
        struct build_archive a;
        vers_build_apt_choose(out, "bookworm", &a);
        assert_string_equal(a.uri, "http://archive.invalid/debian");
        assert_string_equal(a.suite, "bookworm");
        assert_string_equal(a.security, "http://archive.invalid/debian-security");
        _cleanup_free_ char *list = vers_build_apt_sources_list("bookworm", &a);
        assert_string_equal(list,
                            "deb http://archive.invalid/debian bookworm main\n"
                            "deb http://archive.invalid/debian bookworm-updates main\n"
                            "deb http://archive.invalid/debian-security bookworm-security main\n");
        /* another suite than the host's: its main archive only */
        _cleanup_free_ char *other = vers_build_apt_sources_list("trixie", &a);
        assert_string_equal(other, "deb http://archive.invalid/debian trixie main\n");
        vers_build_archive_clear(&a);
        /* the suite wanted, not a pocket or a third party's listed first */
        const char *mixed = "deb http://third.invalid/node/ nodistro\n"
                            "deb http://archive.invalid/debian/ trixie-updates\n"
                            "deb http://archive.invalid/debian/ trixie\n"
                            "deb http://archive.invalid/sec/ bookworm-security\n"
                            "deb http://archive.invalid/sec2/ trixie-security\n"
                            "deb http://archive.invalid/debian/ bookworm\n";
        vers_build_apt_choose(mixed, "trixie", &a);
        assert_string_equal(a.uri, "http://archive.invalid/debian");
        assert_string_equal(a.suite, "trixie");
        assert_string_equal(a.security, "http://archive.invalid/sec2");
        vers_build_archive_clear(&a);
        vers_build_apt_choose(mixed, "bookworm", &a);
        assert_string_equal(a.suite, "bookworm");
        assert_string_equal(a.security, "http://archive.invalid/sec");
        vers_build_archive_clear(&a);
        /* the host has not the suite wanted: a plain suite with pockets (Debian's) before
         * one without (a third party's) */
        vers_build_apt_choose(mixed, "sid", &a);
        assert_string_equal(a.uri, "http://archive.invalid/debian");
        assert_string_equal(a.suite, "trixie");
        assert_string_equal(a.security, "http://archive.invalid/sec2");
        vers_build_archive_clear(&a);
        vers_build_apt_choose("deb http://third.invalid/node/ nodistro\n", "sid", &a);
        assert_string_equal(a.uri, "http://third.invalid/node");
        assert_null(a.security);
        vers_build_archive_clear(&a);
        /* only pockets: the first of them; no security archive */
        vers_build_apt_choose("deb http://archive.invalid/d/ bookworm-backports\n", "bookworm", &a);
        assert_string_equal(a.suite, "bookworm-backports");
        assert_null(a.security);
        vers_build_archive_clear(&a);
        /* only a security archive, or nothing: no archive */
        vers_build_apt_choose("deb http://archive.invalid/s/ bookworm-security\n", "bookworm", &a);
        assert_null(a.uri);
        assert_null(a.security);
        vers_build_apt_choose(NULL, "bookworm", &a);
        assert_null(a.uri);
        vers_build_apt_choose("E: something went wrong\n", NULL, &a);
        assert_null(a.uri);
        vers_build_archive_clear(&a);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_plan_from_dockerfile),
            cmocka_unit_test(test_plan_without_dockerfile),
            cmocka_unit_test(test_plan_stages),
            cmocka_unit_test(test_label_is_shortened),
            cmocka_unit_test(test_layer_key),
            cmocka_unit_test(test_debian_key),
            cmocka_unit_test(test_run_key),
            cmocka_unit_test(test_copy_and_image_keys),
            cmocka_unit_test(test_context_content_key),
            cmocka_unit_test(test_stage_sources),
            cmocka_unit_test(test_copy_from_key),
            cmocka_unit_test(test_imageconf_round_trip),
            cmocka_unit_test(test_imageconf_file),
            cmocka_unit_test(test_imageconf_old_format),
            cmocka_unit_test(test_imageconf_refusals),
            cmocka_unit_test(test_main_command),
            cmocka_unit_test(test_apt_parse_line),
            cmocka_unit_test(test_apt_choose),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
