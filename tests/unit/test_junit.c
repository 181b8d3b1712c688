/* Unit tests for vers test's JUnit reports (src/lib/ship/junit.c): a written report merges
 * back, testsuites of one test from several shards become one with their counts taken again,
 * and every refusal names its file and leaves OUT as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/util.h"
#include "ship/junit.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/vers-test-junit.XXXXXX";

static int make_dir(void **state)
{
        (void)state;
        return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
        (void)state;
        return vers_rm_rf(dir, NULL);
}

static char *put(const char *name, const char *text)
{
        char *path = xasprintf("%s/%s", dir, name);
        vers_error_t err = NULL;
        if (vers_write_file_atomic(path, text, strlen(text), 0644, &err) < 0)
                fail_msg("%s", err->msg);
        return path;
}

static char *slurp(const char *path)
{
        char *text = NULL;
        vers_error_t err = NULL;
        if (vers_read_file(path, &text, NULL, &err) < 0)
                fail_msg("%s", err->msg);
        return text;
}

/* a shard's report, written the way vers test writes one */
static char *shard(const char *name, const struct vers_test_result *r, size_t n, double secs)
{
        struct vers_test_report rep = {
            .suite = "s", .results = (struct vers_test_result *)r, .n_results = n, .seconds = secs};
        for (size_t i = 0; i < n; i++) {
                rep.passed += r[i].status == VERS_TEST_PASSED;
                rep.failed += r[i].status == VERS_TEST_FAILED;
                rep.skipped += r[i].status == VERS_TEST_SKIPPED;
        }
        char *path = xasprintf("%s/%s", dir, name);
        vers_error_t err = NULL;
        if (vers_junit_write(path, &rep, &err) < 0)
                fail_msg("%s", err->msg);
        return path;
}

static void test_merge_shards(void **state)
{
        (void)state;
        struct vers_test_result one[] = {
            {.test = "t", .branch = "a", .status = VERS_TEST_PASSED, .seconds = 1},
            {.test = "u",
             .branch = "default",
             .status = VERS_TEST_FAILED,
             .exit_code = 3,
             .output = "boom <&> \"quoted\"\n",
             .seconds = 0.5},
        };
        struct vers_test_result two[] = {
            {.test = "t",
             .branch = "b",
             .status = VERS_TEST_SKIPPED,
             .output = "skipped: 'u' failed\n"},
            {.test = "v", .branch = "x", .status = VERS_TEST_PASSED, .seconds = 0.25},
        };
        _cleanup_free_ char *a = shard("one.xml", one, 2, 10);
        _cleanup_free_ char *b = shard("two.xml", two, 2, 5);
        _cleanup_free_ char *out = xasprintf("%s/all.xml", dir);
        char *inputs[] = {a, b};
        struct vers_junit_counts c;
        vers_error_t err = NULL;
        assert_int_equal(vers_junit_merge(out, inputs, 2, &c, &err), 0);
        assert_int_equal(c.files, 2);
        assert_int_equal(c.suites, 3);
        assert_int_equal(c.tests, 4);
        assert_int_equal(c.failures, 1);
        assert_int_equal(c.skipped, 1);
        assert_int_equal(c.errors, 0);
        _cleanup_free_ char *text = slurp(out);
        assert_non_null(strstr(text, "<testsuites name=\"s\" tests=\"4\" failures=\"1\" "
                                     "skipped=\"1\" time=\"15.000\">"));
        /* t's branches from both shards in one testsuite, in the inputs' order */
        const char *t = strstr(text, "<testsuite name=\"t\" tests=\"2\" failures=\"0\" "
                                     "skipped=\"1\" time=\"1.000\">");
        assert_non_null(t);
        const char *ta = strstr(t, "name=\"a\""), *tb = strstr(t, "name=\"b\"");
        assert_non_null(ta);
        assert_non_null(tb);
        assert_true(ta < tb);
        assert_true(tb < strstr(t, "</testsuite>"));
        assert_non_null(strstr(text, "<testsuite name=\"u\" tests=\"1\" failures=\"1\""));
        assert_non_null(strstr(text, "<failure message=\"command exited with 3\">boom &lt;&amp;"
                                     "&gt; \"quoted\"\n</failure>"));
        /* the merged report merges again, with nothing new */
        _cleanup_free_ char *again = xasprintf("%s/again.xml", dir);
        char *just[] = {out};
        assert_int_equal(vers_junit_merge(again, just, 1, &c, &err), 0);
        assert_int_equal(c.tests, 4);
        assert_int_equal(c.suites, 3);
}

/* merging inputs must fail with msg, and leave OUT as it was */
static void refused(char **inputs, size_t n, const char *msg)
{
        _cleanup_free_ char *out = put("out.xml", "old\n");
        struct vers_junit_counts c;
        vers_error_t err = NULL;
        assert_int_equal(vers_junit_merge(out, inputs, n, &c, &err), -1);
        assert_string_equal(err->msg, msg);
        assert_null(strchr(err->msg, '\n'));
        vers_error_free(&err);
        _cleanup_free_ char *text = slurp(out);
        assert_string_equal(text, "old\n");
}

static void test_merge_refusals(void **state)
{
        (void)state;
        assert_int_equal(chdir(dir), 0);
        _cleanup_free_ char *a = put("a.xml", "<testsuites name=\"s\"><testsuite name=\"t\">"
                                              "<testcase name=\"b1\"/></testsuite></testsuites>");
        _cleanup_free_ char *twice =
            put("twice.xml", "<testsuites><testsuite name=\"t\"><testcase name=\"b1\"/>"
                             "</testsuite><testsuite name=\"t\"><testcase name=\"b1\"/>"
                             "</testsuite></testsuites>");
        _cleanup_free_ char *torn = put("torn.xml", "<testsuites>\n<testsuite name=\"t\">\n");
        _cleanup_free_ char *other = put("other.xml", "<html/>");
        _cleanup_free_ char *noname =
            put("noname.xml", "<testsuites><testsuite name=\"t\"><testcase/></testsuite>"
                              "</testsuites>");
        _cleanup_free_ char *nested =
            put("nested.xml", "<testsuites><testsuite name=\"t\">\n<testsuite name=\"u\"/>"
                              "</testsuite></testsuites>");
        _cleanup_free_ char *entity =
            put("entity.xml", "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
                              "<testsuites><testsuite name=\"&e;\"><testcase name=\"b\"/>"
                              "</testsuite></testsuites>");
        char *dup[] = {"a.xml", "a.xml"};
        refused(dup, 2, "a.xml: 't/b1' is also in a.xml");
        char *in_one[] = {"twice.xml"};
        refused(in_one, 1, "twice.xml: 't/b1' is in it twice");
        char *bad[] = {"a.xml", "torn.xml"};
        refused(bad, 2,
                "torn.xml:3: not a JUnit report: Premature end of data in tag testsuite "
                "line 2");
        char *html[] = {"other.xml"};
        refused(html, 1, "other.xml: not a JUnit report: its root is <html>, not <testsuites>");
        char *nn[] = {"noname.xml"};
        refused(nn, 1, "noname.xml:1: a <testcase> without a name in 't'");
        char *ne[] = {"nested.xml"};
        refused(ne, 1,
                "nested.xml:2: a <testsuite> inside <testsuite> 't' (vers test's reports "
                "have one level)");
        char *missing[] = {"a.xml", "missing.xml"};
        refused(missing, 2, "cannot open 'missing.xml': No such file or directory");
        refused(NULL, 0, "no reports to merge");
        /* what is not a file is refused before it is read: a FIFO blocked, /dev/zero ran out
         * of memory */
        assert_int_equal(mkfifo("fifo.xml", 0600), 0);
        char *fifo[] = {"a.xml", "fifo.xml"};
        refused(fifo, 2, "fifo.xml: not a JUnit report: not a regular file");
        char *zero[] = {"/dev/zero"};
        refused(zero, 1, "/dev/zero: not a JUnit report: not a regular file");
        /* an external entity is never loaded: in an attribute libxml2 refuses it, anywhere
         * else the DTD that declares it is refused */
        char *ent[] = {"entity.xml"};
        refused(ent, 1,
                "entity.xml:1: not a JUnit report: Attribute references external entity 'e'");
        _cleanup_free_ char *ent2 =
            put("entity2.xml", "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
                               "<testsuites><testsuite name=\"t\"><testcase name=\"b\">"
                               "<failure>&e;</failure></testcase></testsuite>"
                               "</testsuites>");
        char *ent2v[] = {"entity2.xml"};
        refused(ent2v, 1,
                "entity2.xml: not a JUnit report of vers test: it has a <!DOCTYPE>, "
                "which is not read");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_merge_shards),
            cmocka_unit_test(test_merge_refusals),
        };
        return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
