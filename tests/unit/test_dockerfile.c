/* Unit tests for src/lib/format/dockerfile.c: instructions, continuations, exec and shell forms,
 * word splitting and substitution, stages (AS names, COPY --from), and every refusal with its
 * FILE:LINE:COL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "table_tests.h"

#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/dockerfile.h"
#include "base/util.h"

static void parse_ok(const char *text, struct vers_dockerfile *df)
{
        vers_error_t err = NULL;
        if (vers_dockerfile_parse(text, "Dockerfile", df, &err) < 0) {
                print_error("unexpected error: %s\n--- input:\n%s\n", err->msg, text);
                vers_error_free(&err);
                fail();
        }
}

static void test_seed_dockerfile(void **state)
{
        (void)state;
        /* the seed's Dockerfile, with the base vers can reach */
        const char *text = "FROM debian:bookworm\n"
                           "\n"
                           "# Install PostgreSQL\n"
                           "RUN apt-get update && apt-get install -y \\\n"
                           "    postgresql-15 \\\n"
                           "    postgresql-contrib-15 \\\n"
                           "    openssh-server \\\n"
                           "    iproute2 \\\n"
                           "    curl \\\n"
                           "    && rm -rf /var/lib/apt/lists/*\n"
                           "\n"
                           "# Install Node.js\n"
                           "RUN curl -fsSL https://deb.nodesource.com/setup_20.x | bash - \\\n"
                           "    && apt-get install -y nodejs\n"
                           "\n"
                           "# Configure PostgreSQL\n"
                           "USER postgres\n"
                           "RUN /etc/init.d/postgresql start && \\\n"
                           "    psql --command \"ALTER USER postgres PASSWORD 'postgres';\" && \\\n"
                           "    psql --command \"CREATE DATABASE app;\"\n"
                           "USER root\n"
                           "\n"
                           "# Configure SSH\n"
                           "RUN mkdir /var/run/sshd\n"
                           "RUN echo 'root:root' | chpasswd\n"
                           "\n"
                           "# Startup script\n"
                           "COPY startup.sh /startup.sh\n"
                           "RUN chmod +x /startup.sh\n"
                           "\n"
                           "EXPOSE 22 5432\n"
                           "CMD [\"/startup.sh\"]\n";
        struct vers_dockerfile df;
        parse_ok(text, &df);
        assert_int_equal(df.n, 12);
        assert_int_equal(df.v[0].kind, DF_FROM);
        assert_string_equal(df.v[0].args, "debian:bookworm");
        assert_int_equal(df.v[1].kind, DF_RUN);
        assert_int_equal(df.v[1].line, 4);
        assert_false(df.v[1].exec_form);
        assert_string_equal(df.v[1].args, "apt-get update && apt-get install -y     postgresql-15 "
                                          "    postgresql-contrib-15     openssh-server     "
                                          "iproute2     curl     && rm -rf /var/lib/apt/lists/*");
        assert_int_equal(df.v[3].kind, DF_USER);
        assert_int_equal(df.v[3].line, 17);
        assert_int_equal(df.v[8].kind, DF_COPY);
        assert_string_equal(df.v[8].args, "startup.sh /startup.sh");
        assert_int_equal(df.v[10].kind, DF_EXPOSE);
        assert_int_equal(df.v[11].kind, DF_CMD);
        assert_true(df.v[11].exec_form);
        assert_int_equal(strv_len(df.v[11].argv), 1);
        assert_string_equal(df.v[11].argv[0], "/startup.sh");
        vers_dockerfile_free(&df);
}

static void test_case_comments_continuations(void **state)
{
        (void)state;
        struct vers_dockerfile df;
        parse_ok("# syntax=whatever\r\n"
                 "  from host\r\n"
                 "run echo a \\\r\n"
                 "# a comment inside the continuation is dropped\n"
                 "\n"
                 "  b\n"
                 "Run echo c\\\n",
                 &df);
        assert_int_equal(df.n, 3);
        assert_int_equal(df.v[0].kind, DF_FROM);
        assert_int_equal(df.v[0].line, 2);
        assert_int_equal(df.v[0].col, 3);
        assert_int_equal(df.v[0].args_col, 8);
        assert_string_equal(df.v[1].args, "echo a   b");
        assert_string_equal(df.v[2].args, "echo c");
        vers_dockerfile_free(&df);
}

static void test_exec_forms(void **state)
{
        (void)state;
        struct vers_dockerfile df;
        parse_ok("ARG X=1\nFROM host\n"
                 "RUN [\"sh\", \"-c\", \"echo \\\"q\\\" \\u00e9\\n\"]\n"
                 "RUN [ -d /x ] || mkdir /x\n"
                 "ENTRYPOINT []\n"
                 "COPY --chown=postgres:postgres [\"a b\", \"/dst/\"]\n",
                 &df);
        assert_int_equal(df.n, 6);
        assert_true(df.v[2].exec_form);
        assert_int_equal(strv_len(df.v[2].argv), 3);
        assert_string_equal(df.v[2].argv[2], "echo \"q\" \xc3\xa9\n");
        assert_false(df.v[3].exec_form); /* a shell test, not JSON */
        assert_true(df.v[4].exec_form);
        assert_int_equal(strv_len(df.v[4].argv), 0);
        assert_true(df.v[5].exec_form);
        assert_string_equal(df.v[5].flags[0], "--chown=postgres:postgres");
        assert_string_equal(df.v[5].argv[0], "a b");
        vers_dockerfile_free(&df);
}

static char **words(const char *text, char *const *vars)
{
        vers_error_t err = NULL;
        char **w = NULL;
        if (vers_df_words(text, vars, "Dockerfile", 1, 1, &w, &err) < 0) {
                print_error("unexpected error: %s\n", err->msg);
                vers_error_free(&err);
                fail();
        }
        return w;
}

static void test_words(void **state)
{
        (void)state;
        char *vars[] = {"A=one", "B=two words", "A=uno", "E=", NULL};
        struct {
                const char *in;
                const char *out; /* words joined with | */
        } cases[] = {
            {"x y\tz", "x|y|z"},
            {"$A ${A}x", "uno|unox"},
            {"\"$B\" '$B'", "two words|$B"},
            {"${E:-dflt} ${A:-dflt} ${E:+alt} ${A:+alt}", "dflt|uno|alt"},
            {"${NOPE:-${A}}", "uno"},
            {"a\\ b \\$A \"\\$A\" \"x\\\"y\"", "a b|$A|$A|x\"y"},
            {"$ $1 '' \"\"", "$|$1||"},
            {"K=\"v w\" L=$A", "K=v w|L=uno"},
            {"", ""},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                char **w = words(cases[i].in, vars);
                char joined[256] = "";
                for (size_t j = 0; w[j]; j++) {
                        if (j)
                                strcat(joined, "|");
                        strcat(joined, w[j]);
                }
                if (strcmp(joined, cases[i].out)) {
                        print_error("input %s: expected %s, got %s\n", cases[i].in, cases[i].out,
                                    joined);
                        strv_free(w);
                        fail();
                }
                strv_free(w);
        }
}

static void test_word_errors(void **state)
{
        (void)state;
        struct {
                const char *in, *msg;
        } cases[] = {
            {"a \"b", "Dockerfile:3:7: unterminated double quote"},
            {"'b", "Dockerfile:3:5: unterminated single quote"},
            {"${A", "Dockerfile:3:8: bad substitution: expected '}', ':-' or ':+'"},
            {"${A:-x", "Dockerfile:3:5: unterminated '${'"},
            {"${}", "Dockerfile:3:5: bad substitution: a variable name must follow '${'"},
            {"${A?x}", "Dockerfile:3:8: bad substitution: expected '}', ':-' or ':+'"},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                vers_error_t err = NULL;
                char **w = NULL;
                assert_int_equal(vers_df_words(cases[i].in, NULL, "Dockerfile", 3, 5, &w, &err),
                                 -1);
                assert_null(w);
                assert_non_null(err);
                if (strcmp(err->msg, cases[i].msg)) {
                        print_error("input %s: expected %s, got %s\n", cases[i].in, cases[i].msg,
                                    err->msg);
                        vers_error_free(&err);
                        fail();
                }
                vers_error_free(&err);
        }
}

static void test_load(void **state)
{
        (void)state;
        char path[] = "/tmp/vers-df-test.XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        static const char text[] = "FROM host\nRUN a\0b\n";
        assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
        close(fd);
        struct vers_dockerfile df;
        vers_error_t err = NULL;
        assert_int_equal(vers_dockerfile_load(path, &df, &err), -1);
        _cleanup_free_ char *want = xasprintf("%s:2:1: a NUL byte: this is not a text file", path);
        assert_string_equal(err->msg, want);
        vers_error_free(&err);
        vers_dockerfile_free(&df);
        fd = open(path, O_WRONLY | O_TRUNC);
        assert_int_equal(write(fd, "FROM host\n", 10), 10);
        close(fd);
        assert_int_equal(vers_dockerfile_load(path, &df, &err), 0);
        assert_int_equal(df.n, 1);
        assert_string_equal(df.filename, path);
        vers_dockerfile_free(&df);
        unlink(path);
        assert_int_equal(vers_dockerfile_load("/nonexistent/Dockerfile", &df, &err), -1);
        assert_non_null(strstr(err->msg, "/nonexistent/Dockerfile"));
        vers_error_free(&err);
        vers_dockerfile_free(&df);
}

static void test_vars(void **state)
{
        (void)state;
        char **v = NULL;
        vers_df_setvar(&v, "A", "1");
        vers_df_setvar(&v, "AB", "2");
        vers_df_setvar(&v, "A", "3");
        assert_int_equal(strv_len(v), 2);
        assert_string_equal(vers_df_var(v, "A", 1), "3");
        assert_string_equal(vers_df_var(v, "AB", 2), "2");
        assert_null(vers_df_var(v, "B", 1));
        strv_free(v);
}

struct bad_case {
        const char *name;
        const char *text;
        const char *msg;
};

static const struct bad_case bad_cases[] = {
    {"empty", "", "Dockerfile:1:1: no FROM instruction"},
    {"only comments", "# nothing\n", "Dockerfile:1:1: no FROM instruction"},
    {"unknown instruction", "FROM host\nFOO bar\n", "Dockerfile:2:1: unknown instruction 'FOO'"},
    {"volume", "FROM host\n  VOLUME /data\n",
     "Dockerfile:2:3: VOLUME is not supported by vers (an env's whole filesystem is already "
     "branched with it)"},
    {"healthcheck", "FROM host\nHEALTHCHECK CMD true\n",
     "Dockerfile:2:1: HEALTHCHECK is not supported by vers (use a [services.*] template, whose "
     "readiness check 'vers run' waits for)"},
    {"shell", "FROM host\nSHELL [\"/bin/bash\"]\n",
     "Dockerfile:2:1: SHELL is not supported by vers (RUN and CMD in shell form always use "
     "/bin/sh -c)"},
    {"onbuild", "FROM host\nONBUILD RUN x\n",
     "Dockerfile:2:1: ONBUILD is not supported by vers (images are not used as bases by other "
     "Dockerfiles this way)"},
    {"not a word", "FROM host\n=x\n", "Dockerfile:2:1: expected an instruction, found '=x'"},
    {"glued", "FROM host\nRUN=x\n", "Dockerfile:2:1: expected an instruction, found 'RUN=x'"},
    {"before from", "RUN true\nFROM host\n",
     "Dockerfile:1:1: RUN before FROM (only ARG may come before FROM)"},
    {"stage name", "FROM host AS 1st\n",
     "Dockerfile:1:14: FROM ... AS 1st: a stage name is a letter, then letters, digits, '.', "
     "'_' or '-'"},
    {"stage name chars", "FROM host AS a/b\n",
     "Dockerfile:1:14: FROM ... AS a/b: a stage name is a letter, then letters, digits, '.', "
     "'_' or '-'"},
    {"duplicate stage", "FROM host AS build\nRUN true\nFROM host as BUILD\n",
     "Dockerfile:3:14: duplicate stage name 'build' (the first is on line 1)"},
    {"no args", "FROM host\nRUN\n", "Dockerfile:2:4: RUN needs arguments"},
    {"no args blank", "FROM host\nWORKDIR   \n", "Dockerfile:2:11: WORKDIR needs arguments"},
    {"add from", "FROM host\nADD --from=build /a /b\n",
     "Dockerfile:2:5: ADD takes no --from (COPY --from copies from a stage or an image)"},
    {"copy from empty", "FROM host\nCOPY --from= /a /b\n",
     "Dockerfile:2:6: COPY: option '--from' needs a value"},
    {"copy from twice", "FROM host AS a\nFROM host\nCOPY --from=a --from=a /a /b\n",
     "Dockerfile:3:15: COPY: --from given twice"},
    {"copy from variable", "FROM host\nCOPY --from=$S /a /b\n",
     "Dockerfile:2:6: COPY --from=$S: variables are not substituted in --from"},
    {"copy from itself", "FROM host AS a\nCOPY --from=a /a /b\n",
     "Dockerfile:2:6: COPY --from=a: that is the stage this COPY is in"},
    {"copy from later", "FROM host AS a\nCOPY --chown=1 --from=B /a /b\nFROM host AS b\n",
     "Dockerfile:2:16: COPY --from=B: that stage comes later (line 3); copy from an earlier one"},
    {"copy from own index", "FROM host\nFROM host\nCOPY --from=1 /a /b\n",
     "Dockerfile:3:6: COPY --from=1: not an earlier stage (this one is stage 1, counting from 0)"},
    {"copy from huge index", "FROM host\nCOPY --from=99999999999 /a /b\n",
     "Dockerfile:2:6: COPY --from=99999999999: not an earlier stage (this one is stage 0, "
     "counting from 0)"},
    {"copy bad flag", "FROM host\nCOPY --link a b\n",
     "Dockerfile:2:6: COPY: unknown option '--link'"},
    {"copy flag no value", "FROM host\nADD --chown a b\n",
     "Dockerfile:2:5: ADD: option '--chown' needs a value"},
    {"copy only flags", "FROM host\nCOPY --chown=a:b\n",
     "Dockerfile:2:17: COPY needs a source and a destination"},
    {"bad json", "FROM host\nCMD [\"a\", ]\n",
     "Dockerfile:2:11: CMD: malformed JSON array (exec form)"},
    {"bad json escape", "FROM host\nRUN [\"a\\q\"]\n",
     "Dockerfile:2:9: RUN: malformed JSON array (exec form)"},
    {"json trailing", "FROM host\nENTRYPOINT [\"a\"] x\n",
     "Dockerfile:2:18: ENTRYPOINT: malformed JSON array (exec form)"},
    {"json not strings", "FROM host\nCMD [\"a\", 1]\n",
     "Dockerfile:2:11: CMD: malformed JSON array (exec form)"},
    {"empty run array", "FROM host\nRUN []\n", "Dockerfile:2:5: RUN: the array needs a command"},
    {"copy one in array", "FROM host\nCOPY [\"a\"]\n",
     "Dockerfile:2:6: COPY: the array needs a source and a destination"},
    {"heredoc", "FROM host\nRUN <<EOF\necho\nEOF\n",
     "Dockerfile:2:5: RUN with a heredoc (<<) is not supported; put the script in a file and "
     "COPY it"},
    {"platform", "FROM --platform=linux/arm64 host\n",
     "Dockerfile:1:6: FROM --platform is not supported (envs run on this machine)"},
};

static void test_stages(void **state)
{
        (void)state;
        struct vers_dockerfile df;
        parse_ok("ARG BASE=host\n"
                 "ARG V\n"
                 "FROM ${BASE} AS Builder\n"
                 "RUN make\n"
                 "FROM builder as b2\n"
                 "COPY --from=BUILDER --chown=nobody /out/x /x\n"
                 "FROM host\n"
                 "COPY --from=0 /a /a\n"
                 "COPY --chmod=600 --from=b2 [\"/b\", \"/c\", \"/d/\"]\n"
                 "COPY --from=web-base:latest /e /e\n"
                 "COPY --from=nosuch /f /f\n",
                 &df);
        assert_int_equal(df.n, 11);
        assert_int_equal(df.nstages, 3);
        static const int stage[] = {-1, -1, 0, 0, 1, 1, 2, 2, 2, 2, 2};
        for (size_t i = 0; i < df.n; i++)
                assert_int_equal(df.v[i].stage, stage[i]);
        assert_string_equal(df.v[2].stage_name, "builder"); /* lowercased */
        assert_string_equal(df.v[2].args, "${BASE} AS Builder");
        assert_string_equal(df.v[4].stage_name, "b2");
        assert_null(df.v[6].stage_name);
        /* --from is kept apart from the other flags, resolved to a stage where it names one */
        assert_string_equal(df.v[5].from, "BUILDER");
        assert_int_equal(df.v[5].from_stage, 0);
        assert_int_equal(df.v[5].from_col, 6);
        assert_int_equal(strv_len(df.v[5].flags), 1);
        assert_string_equal(df.v[5].flags[0], "--chown=nobody");
        assert_string_equal(df.v[5].args, "/out/x /x");
        assert_int_equal(df.v[7].from_stage, 0);
        assert_int_equal(df.v[8].from_stage, 1);
        assert_int_equal(df.v[8].from_col, 18);
        assert_true(df.v[8].exec_form);
        assert_int_equal(strv_len(df.v[8].argv), 3);
        assert_string_equal(df.v[8].flags[0], "--chmod=600");
        /* anything else is an image, for the build to start */
        assert_string_equal(df.v[9].from, "web-base:latest");
        assert_int_equal(df.v[9].from_stage, -1);
        assert_int_equal(df.v[10].from_stage, -1);
        assert_null(df.v[3].from);
        assert_int_equal(df.v[3].from_stage, -1);
        vers_dockerfile_free(&df);

        /* one stage, no name; AS alone is not a name */
        parse_ok("FROM host\nRUN true\n", &df);
        assert_int_equal(df.nstages, 1);
        assert_null(df.v[0].stage_name);
        vers_dockerfile_free(&df);
        parse_ok("FROM host AS\n", &df);
        assert_null(df.v[0].stage_name);
        vers_dockerfile_free(&df);
        parse_ok("FROM host AS a.b_c-9\n", &df);
        assert_string_equal(df.v[0].stage_name, "a.b_c-9");
        vers_dockerfile_free(&df);
}

static void test_dockerignore(void **state)
{
        (void)state;
        struct vers_df_ignore ig;
        vers_df_ignore_parse("# secrets and build output\n"
                             "  *.log  \n"
                             "\n"
                             "/node_modules/\n"
                             "./docs//draft\n"
                             "**/*.tmp\n"
                             "secrets\n"
                             "!secrets/public.pem\n"
                             "cache/**\n"
                             "!\n"
                             "data?.csv\n",
                             &ig);
        assert_true(ig.has_exceptions);
        static const struct {
                const char *rel;
                bool ignored;
        } cases[] = {
            {"app.log", true},
            {"logs/app.log", false}, /* '*' stays within a segment */
            {"node_modules", true},
            {"node_modules/pg/index.js", true}, /* inside an ignored directory */
            {"node_modules_old", false},
            {"docs/draft", true},
            {"docs/draft/a.md", true},
            {"docs/final", false},
            {"x.tmp", true}, /* '**' spans zero segments */
            {"a/b/c/x.tmp", true},
            {"a/b/x.tmpl", false},
            {"secrets", true},
            {"secrets/key", true},
            {"secrets/public.pem", false}, /* the exception, after the rule */
            {"cache/a/b", true},
            {"data1.csv", true},
            {"data12.csv", false},
            {"schema.sql", false},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                if (vers_df_ignored(&ig, cases[i].rel) != cases[i].ignored) {
                        print_error("%s: expected %s\n", cases[i].rel,
                                    cases[i].ignored ? "ignored" : "kept");
                        vers_df_ignore_clear(&ig);
                        fail();
                }
        }
        vers_df_ignore_clear(&ig);

        /* the last matching line wins; an empty file ignores nothing */
        vers_df_ignore_parse("!a.txt\n*.txt\n", &ig);
        assert_true(vers_df_ignored(&ig, "a.txt"));
        vers_df_ignore_clear(&ig);
        vers_df_ignore_parse("a/**/**/b\n", &ig);
        assert_string_equal(ig.pats[0], "a/**/b");
        assert_true(vers_df_ignored(&ig, "a/b"));
        assert_true(vers_df_ignored(&ig, "a/x/y/b/c"));
        assert_false(vers_df_ignored(&ig, "b"));
        vers_df_ignore_clear(&ig);
        vers_df_ignore_parse("", &ig);
        assert_false(vers_df_ignored(&ig, "a.txt"));
        assert_null(ig.pats);
        vers_df_ignore_clear(&ig);
}

static void test_bad(void **state)
{
        const struct bad_case *c = *state;
        vers_error_t err = NULL;
        struct vers_dockerfile df;
        int rc = vers_dockerfile_parse(c->text, "Dockerfile", &df, &err);
        assert_int_equal(rc, -1);
        assert_non_null(err);
        if (strcmp(err->msg, c->msg)) {
                print_error("input:\n%s\nexpected: %s\n     got: %s\n", c->text, c->msg, err->msg);
                vers_error_free(&err);
                vers_dockerfile_free(&df);
                fail();
        }
        vers_error_free(&err);
        vers_dockerfile_free(&df);
}

int main(void)
{
        static const struct CMUnitTest fixed[] = {
            cmocka_unit_test(test_seed_dockerfile),
            cmocka_unit_test(test_case_comments_continuations),
            cmocka_unit_test(test_exec_forms),
            cmocka_unit_test(test_words),
            cmocka_unit_test(test_word_errors),
            cmocka_unit_test(test_vars),
            cmocka_unit_test(test_load),
            cmocka_unit_test(test_dockerignore),
            cmocka_unit_test(test_stages),
        };
        return RUN_WITH_TABLE("dockerfile", fixed, bad_cases, test_bad);
}
