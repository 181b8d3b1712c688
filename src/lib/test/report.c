/* report — a vers test report as JSON (jansson), and releasing one. */
#include "test/runner.h"
#include "base/json.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

const char *vers_test_status_name(enum vers_test_status s)
{
        return s == VERS_TEST_PASSED ? "passed" : s == VERS_TEST_FAILED ? "failed" : "skipped";
}

char *vers_test_report_json(const struct vers_test_report *rep)
{
        json_t *root = json_object();
        json_object_set_new(root, "suite", vers_json_text(rep->suite));
        json_t *cps = json_array();
        for (size_t i = 0; i < rep->n_checkpoints; i++) {
                const struct vers_checkpoint_result *c = &rep->checkpoints[i];
                json_t *o = json_object();
                json_object_set_new(o, "name", vers_json_text(c->name));
                json_object_set_new(o, "commit", vers_json_text(c->commit));
                json_object_set_new(o, "reused", json_boolean(c->reused));
                json_object_set_new(o, "seconds", vers_json_seconds(c->seconds));
                json_array_append_new(cps, o);
        }
        json_object_set_new(root, "checkpoints", cps);
        json_t *results = json_array();
        for (size_t i = 0; i < rep->n_results; i++) {
                const struct vers_test_result *r = &rep->results[i];
                json_t *o = json_object();
                json_object_set_new(o, "test", vers_json_text(r->test));
                json_object_set_new(o, "branch", vers_json_text(r->branch));
                json_object_set_new(o, "status", json_string(vers_test_status_name(r->status)));
                json_object_set_new(o, "exit_code", json_integer(r->exit_code));
                json_object_set_new(o, "before_failed", json_boolean(r->before_failed));
                json_object_set_new(o, "seconds", vers_json_seconds(r->seconds));
                json_object_set_new(o, "env", vers_json_str(r->env));
                json_object_set_new(o, "output", vers_json_text(r->output));
                if (r->diff) {
                        json_t *d = json_loads(r->diff, 0, NULL);
                        json_object_set_new(o, "diff",
                                            d ? d : json_pack("{s:s}", "error", "unreadable diff"));
                }
                json_array_append_new(results, o);
        }
        json_object_set_new(root, "results", results);
        json_object_set_new(root, "passed", json_integer(rep->passed));
        json_object_set_new(root, "failed", json_integer(rep->failed));
        json_object_set_new(root, "skipped", json_integer(rep->skipped));
        json_object_set_new(root, "seconds", vers_json_seconds(rep->seconds));
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
                free(r->diff);
                free(r->diff_summary);
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
