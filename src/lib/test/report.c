/* report — a vers test report as JSON (jansson), and releasing one. */
#include "test/runner.h"
#include "base/strbuf.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* length of the valid UTF-8 sequence at p (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF), 0 if there is none */
static size_t utf8_seq(const unsigned char *p)
{
        unsigned char c = p[0];
        if (c < 0x80)
                return 1;
        unsigned char lo = 0x80, hi = 0xbf;
        size_t n;
        if (c >= 0xc2 && c <= 0xdf) {
                n = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
                n = 3;
                if (c == 0xe0)
                        lo = 0xa0;
                if (c == 0xed)
                        hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
                n = 4;
                if (c == 0xf0)
                        lo = 0x90;
                if (c == 0xf4)
                        hi = 0x8f;
        } else {
                return 0;
        }
        if (p[1] < lo || p[1] > hi)
                return 0;
        for (size_t i = 2; i < n; i++)
                if (p[i] < 0x80 || p[i] > 0xbf)
                        return 0;
        return n;
}

/* A JSON string of s: a test's output is whatever it printed, so each byte that is not part
 * of valid UTF-8 (which JSON must be) becomes U+FFFD. NULL is "". */
static json_t *text(const char *s)
{
        if (!s)
                s = "";
        json_t *j = json_string(s);
        if (j)
                return j;
        struct strbuf sb = STRBUF_INIT;
        for (const unsigned char *p = (const unsigned char *)s; *p;) {
                size_t n = utf8_seq(p);
                if (n) {
                        strbuf_add(&sb, p, n);
                        p += n;
                } else {
                        strbuf_addstr(&sb, "\xef\xbf\xbd");
                        p++;
                }
        }
        j = json_string(sb.buf ? sb.buf : "");
        strbuf_release(&sb);
        if (!j)
                vers_abort("out of memory");
        return j;
}

/* seconds to the millisecond, as the report has always given them */
static json_t *seconds(double s)
{
        char buf[64];
        snprintf(buf, sizeof buf, "%.3f", s);
        json_t *j = json_real(strtod(buf, NULL));
        return j ? j : json_real(0);
}

static const char *status_name(enum vers_test_status s)
{
        return s == VERS_TEST_PASSED ? "passed" : s == VERS_TEST_FAILED ? "failed" : "skipped";
}

char *vers_test_report_json(const struct vers_test_report *rep)
{
        json_t *root = json_object();
        json_object_set_new(root, "suite", text(rep->suite));
        json_t *cps = json_array();
        for (size_t i = 0; i < rep->n_checkpoints; i++) {
                const struct vers_checkpoint_result *c = &rep->checkpoints[i];
                json_t *o = json_object();
                json_object_set_new(o, "name", text(c->name));
                json_object_set_new(o, "commit", text(c->commit));
                json_object_set_new(o, "reused", json_boolean(c->reused));
                json_object_set_new(o, "seconds", seconds(c->seconds));
                json_array_append_new(cps, o);
        }
        json_object_set_new(root, "checkpoints", cps);
        json_t *results = json_array();
        for (size_t i = 0; i < rep->n_results; i++) {
                const struct vers_test_result *r = &rep->results[i];
                json_t *o = json_object();
                json_object_set_new(o, "test", text(r->test));
                json_object_set_new(o, "branch", text(r->branch));
                json_object_set_new(o, "status", json_string(status_name(r->status)));
                json_object_set_new(o, "exit_code", json_integer(r->exit_code));
                json_object_set_new(o, "before_failed", json_boolean(r->before_failed));
                json_object_set_new(o, "seconds", seconds(r->seconds));
                json_object_set_new(o, "env", r->env ? text(r->env) : json_null());
                json_object_set_new(o, "output", text(r->output));
                json_array_append_new(results, o);
        }
        json_object_set_new(root, "results", results);
        json_object_set_new(root, "passed", json_integer(rep->passed));
        json_object_set_new(root, "failed", json_integer(rep->failed));
        json_object_set_new(root, "skipped", json_integer(rep->skipped));
        json_object_set_new(root, "seconds", seconds(rep->seconds));
        /* one line, keys in the order set, ", " and ": " between them */
        char *dumped = json_dumps(root, JSON_REAL_PRECISION(15));
        json_decref(root);
        if (!dumped)
                vers_abort("out of memory");
        char *out = xasprintf("%s\n", dumped);
        free(dumped);
        return out;
}

void vers_test_report_free(struct vers_test_report *rep)
{
        for (size_t i = 0; i < rep->n_results; i++) {
                struct vers_test_result *r = &rep->results[i];
                free(r->test);
                free(r->branch);
                free(r->output);
                free(r->env);
        }
        free(rep->results);
        for (size_t i = 0; i < rep->n_checkpoints; i++) {
                free(rep->checkpoints[i].name);
                free(rep->checkpoints[i].commit);
        }
        free(rep->checkpoints);
        free(rep->suite);
        memset(rep, 0, sizeof *rep);
}
