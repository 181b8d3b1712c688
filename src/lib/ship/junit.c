/* junit — writing and merging vers test's JUnit XML reports (see junit.h). */
#include "ship/junit.h"
#include "ship/lazylib.h"
#include "base/strbuf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* XML text: escaped, and without the control characters XML 1.0 cannot hold */
static void add_xml(struct strbuf *sb, const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                switch (*p) {
                case '<':
                        strbuf_addstr(sb, "&lt;");
                        break;
                case '>':
                        strbuf_addstr(sb, "&gt;");
                        break;
                case '&':
                        strbuf_addstr(sb, "&amp;");
                        break;
                case '"':
                        strbuf_addstr(sb, "&quot;");
                        break;
                default:
                        if (*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r')
                                strbuf_addch(sb, '?');
                        else
                                strbuf_addch(sb, (char)*p);
                }
        }
}

int vers_junit_write(const char *path, const struct vers_test_report *rep, vers_error_t *err)
{
        struct strbuf sb = STRBUF_INIT;
        strbuf_addf(&sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"");
        add_xml(&sb, rep->suite);
        strbuf_addf(&sb, "\" tests=\"%zu\" failures=\"%d\" skipped=\"%d\" time=\"%.3f\">\n",
                    rep->n_results, rep->failed, rep->skipped, rep->seconds);
        for (size_t i = 0; i < rep->n_results;) {
                size_t j = i;
                int failures = 0, skipped = 0;
                double time = 0;
                for (; j < rep->n_results && !strcmp(rep->results[j].test, rep->results[i].test);
                     j++) {
                        failures += rep->results[j].status == VERS_TEST_FAILED;
                        skipped += rep->results[j].status == VERS_TEST_SKIPPED;
                        time += rep->results[j].seconds;
                }
                strbuf_addstr(&sb, "  <testsuite name=\"");
                add_xml(&sb, rep->results[i].test);
                strbuf_addf(&sb, "\" tests=\"%zu\" failures=\"%d\" skipped=\"%d\" time=\"%.3f\">\n",
                            j - i, failures, skipped, time);
                for (size_t k = i; k < j; k++) {
                        const struct vers_test_result *r = &rep->results[k];
                        strbuf_addstr(&sb, "    <testcase classname=\"");
                        add_xml(&sb, rep->suite);
                        strbuf_addch(&sb, '.');
                        add_xml(&sb, r->test);
                        strbuf_addstr(&sb, "\" name=\"");
                        add_xml(&sb, r->branch);
                        strbuf_addf(&sb, "\" time=\"%.3f\"", r->seconds);
                        if (r->status == VERS_TEST_PASSED && !r->diff_summary) {
                                strbuf_addstr(&sb, "/>\n");
                                continue;
                        }
                        strbuf_addch(&sb, '>');
                        if (r->status == VERS_TEST_SKIPPED) {
                                strbuf_addstr(&sb, "<skipped message=\"");
                                add_xml(&sb, r->output ? r->output : "");
                                strbuf_addstr(&sb, "\"/>");
                        } else if (r->status == VERS_TEST_FAILED) {
                                strbuf_addf(&sb, "<failure message=\"%s exited with %d\">",
                                            r->before_failed ? "before" : "command", r->exit_code);
                                add_xml(&sb, r->output ? r->output : "");
                                strbuf_addstr(&sb, "</failure>");
                        }
                        /* --diff: what the branch changed in its checkpoint's data */
                        if (r->diff_summary) {
                                strbuf_addstr(&sb, "<system-out>");
                                add_xml(&sb, r->diff_summary);
                                strbuf_addstr(&sb, "</system-out>");
                        }
                        strbuf_addstr(&sb, "</testcase>\n");
                }
                strbuf_addstr(&sb, "  </testsuite>\n");
                i = j;
        }
        strbuf_addstr(&sb, "</testsuites>\n");
        int r = vers_write_file_atomic(path, sb.buf, sb.len, 0644, err);
        strbuf_release(&sb);
        return r;
}

/* ---- merging ------------------------------------------------------------------------------ */

static bool is(const xmlNode *n, const char *name)
{
        return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

/* an attribute's value (xmlFree() it), NULL when absent or empty */
static char *attr(const xmlNode *n, const char *name)
{
        xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
        if (v && !*v) {
                xmlFree(v);
                v = NULL;
        }
        return (char *)v;
}

static double attr_seconds(const xmlNode *n)
{
        char *v = attr(n, "time");
        double t = v ? strtod(v, NULL) : 0;
        xmlFree(v);
        return t > 0 ? t : 0;
}

/* one test×branch seen, and where */
struct seen {
        char *key; /* "TEST/BRANCH" */
        size_t file;
        size_t order;
};

static int cmp_seen(const void *a, const void *b)
{
        const struct seen *x = a, *y = b;
        int c = strcmp(x->key, y->key);
        return c ? c : x->order < y->order ? -1 : x->order > y->order;
}

struct merge {
        xmlDoc *out;
        xmlNode *root;
        char *name; /* the first input's suite name */
        double time;
        struct seen *seen;
        size_t n_seen;
};

/* The merged <testsuite> called name, made at the end when new. */
static xmlNode *suite_for(struct merge *m, const char *name)
{
        for (xmlNode *s = m->root->children; s; s = s->next) {
                char *v = attr(s, "name");
                bool same = v && !strcmp(v, name);
                xmlFree(v);
                if (same)
                        return s;
        }
        xmlNode *s = xmlNewChild(m->root, NULL, (const xmlChar *)"testsuite", NULL);
        xmlNewProp(s, (const xmlChar *)"name", (const xmlChar *)name);
        return s;
}

static int take_suite(struct merge *m, const char *path, size_t file, xmlNode *suite,
                      vers_error_t *err)
{
        _cleanup_free_ char *name = NULL;
        char *v = attr(suite, "name");
        if (!v)
                return vers_make_error(err, 0, "%s:%ld: a <testsuite> without a name", path,
                                       xmlGetLineNo(suite));
        name = xstrdup(v);
        xmlFree(v);
        xmlNode *into = suite_for(m, name);
        for (xmlNode *c = suite->children; c; c = c->next) {
                if (is(c, "testsuite"))
                        return vers_make_error(err, 0,
                                               "%s:%ld: a <testsuite> inside <testsuite> '%s' "
                                               "(vers test's reports have one level)",
                                               path, xmlGetLineNo(c), name);
                if (!is(c, "testcase"))
                        continue; /* properties, system-out: not a cell */
                char *branch = attr(c, "name");
                if (!branch)
                        return vers_make_error(err, 0,
                                               "%s:%ld: a <testcase> without a name in '%s'", path,
                                               xmlGetLineNo(c), name);
                m->seen = xrealloc(m->seen, (m->n_seen + 1) * sizeof *m->seen);
                m->seen[m->n_seen] =
                    (struct seen){xasprintf("%s/%s", name, branch), file, m->n_seen};
                m->n_seen++;
                xmlFree(branch);
                xmlNode *copy = xmlDocCopyNode(c, m->out, 1);
                if (!copy)
                        vers_abort("out of memory");
                xmlAddChild(into, copy);
        }
        return 0;
}

/* a report is a file vers test wrote: a FIFO would block, /dev/zero never end, and libxml2
 * takes an int length */
#define REPORT_MAX (256 << 20)

static int take_file(struct merge *m, const char *path, size_t file, vers_error_t *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        struct stat st;
        if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
                return vers_make_error(err, 0, "%s: not a JUnit report: not a regular file", path);
        if (stat(path, &st) == 0 && st.st_size > REPORT_MAX)
                return vers_make_error(err, 0, "%s: not a JUnit report: larger than %d MiB", path,
                                       REPORT_MAX >> 20);
        if (vers_read_file(path, &text, &len, err) < 0)
                return -1;
        if (len > REPORT_MAX) /* it grew */
                return vers_make_error(err, 0, "%s: not a JUnit report: larger than %d MiB", path,
                                       REPORT_MAX >> 20);
        xmlParserCtxt *ctxt = xmlNewParserCtxt();
        if (!ctxt)
                vers_abort("out of memory");
        /* no network, no DTD, no entity expansion; errors come back, not on stderr */
        xmlDoc *doc = xmlCtxtReadMemory(ctxt, text, (int)len, path, NULL,
                                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        int ret = 0;
        if (!doc) {
                const xmlError *e = xmlCtxtGetLastError(ctxt);
                _cleanup_free_ char *msg = xstrdup(e && e->message ? e->message : "not XML");
                msg[strcspn(msg, "\n")] = '\0';
                ret = vers_make_error(err, 0, "%s:%d: not a JUnit report: %s", path,
                                      e ? e->line : 0, msg);
                goto out;
        }
        /* vers writes no DTD; one would bring entities, which are never expanded here and
         * could not be copied into OUT either */
        if (doc->intSubset || doc->extSubset) {
                ret = vers_make_error(err, 0,
                                      "%s: not a JUnit report of vers test: it has a "
                                      "<!DOCTYPE>, which is not read",
                                      path);
                goto out;
        }
        xmlNode *root = xmlDocGetRootElement(doc);
        if (root && is(root, "testsuite")) {
                m->time += attr_seconds(root);
                ret = take_suite(m, path, file, root, err);
                goto out;
        }
        if (!root || !is(root, "testsuites")) {
                ret = vers_make_error(err, 0,
                                      "%s: not a JUnit report: its root is <%s>, not "
                                      "<testsuites>",
                                      path, root ? (const char *)root->name : "nothing");
                goto out;
        }
        if (!m->name) {
                char *v = attr(root, "name");
                if (v)
                        m->name = xstrdup(v);
                xmlFree(v);
        }
        m->time += attr_seconds(root);
        for (xmlNode *c = root->children; c && ret == 0; c = c->next) {
                if (is(c, "testsuite"))
                        ret = take_suite(m, path, file, c, err);
        }
out:
        if (doc)
                xmlFreeDoc(doc);
        xmlFreeParserCtxt(ctxt);
        return ret;
}

static void set_count(xmlNode *n, const char *name, size_t v)
{
        char buf[32];
        snprintf(buf, sizeof buf, "%zu", v);
        xmlSetProp(n, (const xmlChar *)name, (const xmlChar *)buf);
}

static void set_time(xmlNode *n, double t)
{
        char buf[64];
        snprintf(buf, sizeof buf, "%.3f", t);
        xmlSetProp(n, (const xmlChar *)"time", (const xmlChar *)buf);
}

/* count each merged suite's testcases into its attributes and c */
static void count(struct merge *m, struct vers_junit_counts *c)
{
        for (xmlNode *s = m->root->children; s; s = s->next) {
                size_t tests = 0, failures = 0, errors = 0, skipped = 0;
                double time = 0;
                for (xmlNode *t = s->children; t; t = t->next) {
                        if (!is(t, "testcase"))
                                continue;
                        tests++;
                        time += attr_seconds(t);
                        for (xmlNode *r = t->children; r; r = r->next) {
                                failures += is(r, "failure");
                                errors += is(r, "error");
                                skipped += is(r, "skipped");
                        }
                }
                set_count(s, "tests", tests);
                set_count(s, "failures", failures);
                if (errors)
                        set_count(s, "errors", errors);
                set_count(s, "skipped", skipped);
                set_time(s, time);
                c->suites++;
                c->tests += tests;
                c->failures += failures;
                c->errors += errors;
                c->skipped += skipped;
        }
        xmlNewProp(m->root, (const xmlChar *)"name",
                   (const xmlChar *)(m->name ? m->name : "vers-integration"));
        set_count(m->root, "tests", c->tests);
        set_count(m->root, "failures", c->failures);
        if (c->errors)
                set_count(m->root, "errors", c->errors);
        set_count(m->root, "skipped", c->skipped);
        set_time(m->root, m->time);
}

int vers_junit_merge(const char *out, char *const *inputs, size_t n,
                     struct vers_junit_counts *counts, vers_error_t *err)
{
        memset(counts, 0, sizeof *counts);
        if (n == 0)
                return vers_make_error(err, 0, "no reports to merge");
        LIBXML_TEST_VERSION;
        struct merge m = {0};
        m.out = xmlNewDoc((const xmlChar *)"1.0");
        m.root = xmlNewNode(NULL, (const xmlChar *)"testsuites");
        if (!m.out || !m.root)
                vers_abort("out of memory");
        xmlDocSetRootElement(m.out, m.root);
        int ret = 0;
        for (size_t i = 0; i < n && ret == 0; i++)
                ret = take_file(&m, inputs[i], i, err);
        if (ret == 0 && m.n_seen) {
                qsort(m.seen, m.n_seen, sizeof *m.seen, cmp_seen);
                for (size_t i = 1; i < m.n_seen && ret == 0; i++) {
                        const struct seen *a = &m.seen[i - 1], *b = &m.seen[i];
                        if (strcmp(a->key, b->key))
                                continue;
                        if (a->file == b->file)
                                ret = vers_make_error(err, 0, "%s: '%s' is in it twice",
                                                      inputs[b->file], b->key);
                        else
                                ret = vers_make_error(err, 0, "%s: '%s' is also in %s",
                                                      inputs[b->file], b->key, inputs[a->file]);
                }
        }
        if (ret == 0) {
                count(&m, counts);
                counts->files = n;
                xmlChar *buf = NULL;
                int len = 0;
                xmlDocDumpFormatMemoryEnc(m.out, &buf, &len, "UTF-8", 1);
                if (!buf)
                        vers_abort("out of memory");
                ret = vers_write_file_atomic(out, (const char *)buf, (size_t)len, 0644, err);
                xmlFree(buf);
        }
        for (size_t i = 0; i < m.n_seen; i++)
                free(m.seen[i].key);
        free(m.seen);
        free(m.name);
        xmlFreeDoc(m.out);
        return ret;
}
