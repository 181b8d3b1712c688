/* diff/json — vers diff's result as JSON (jansson), and as a few summary lines (vers test
 * --diff's JUnit report). */
#include "diff/diff.h"
#include "base/json.h"

#include <string.h>

static json_t *strv_json(char **v)
{
        json_t *a = json_array();
        for (size_t i = 0; v && v[i]; i++)
                json_array_append_new(a, vers_json_str(v[i]));
        return a;
}

static json_t *table_json(const struct vers_diff_table *t)
{
        json_t *o = json_pack("{s:o, s:b, s:b, s:b}", "name", vers_json_str(t->name), "in_a",
                              t->in_a, "in_b", t->in_b, "equal", vers_diff_table_equal(t));
        if (t->in_a)
                json_object_set_new(o, "rows_a", json_integer(t->rows_a));
        if (t->in_b)
                json_object_set_new(o, "rows_b", json_integer(t->rows_b));
        if (t->in_a && t->in_b) {
                json_object_set_new(o, "checksum_a", vers_json_str(t->sum_a));
                json_object_set_new(o, "checksum_b", vers_json_str(t->sum_b));
                json_object_set_new(o, "columns_only_a", strv_json(t->only_a));
                json_object_set_new(o, "columns_only_b", strv_json(t->only_b));
        }
        if (t->rows_compared) {
                json_object_set_new(o, "keyed", json_boolean(t->keyed));
                json_object_set_new(o, "added", json_integer(t->added));
                json_object_set_new(o, "removed", json_integer(t->removed));
                json_object_set_new(o, "changed", json_integer(t->changed));
                json_t *rows = json_array();
                for (size_t i = 0; i < t->n_rows; i++) {
                        const struct vers_diff_row *r = &t->rows[i];
                        char op[2] = {r->op, 0};
                        json_array_append_new(
                            rows, json_pack("{s:s, s:o, s:o, s:o, s:I}", "op", op, "key",
                                            vers_json_str(r->key), "a", vers_json_str(r->a), "b",
                                            vers_json_str(r->b), "count", (json_int_t)r->count));
                }
                json_object_set_new(o, "rows", rows);
        }
        return o;
}

json_t *vers_diff_json(const struct vers_diff_result *r)
{
        json_t *svcs = json_array();
        for (size_t i = 0; i < r->n_services; i++) {
                const struct vers_diff_service *s = &r->services[i];
                json_t *tables = json_array();
                for (size_t j = 0; j < s->n_tables; j++)
                        json_array_append_new(tables, table_json(&s->tables[j]));
                json_array_append_new(
                    svcs, json_pack("{s:o, s:o, s:o, s:b, s:{s:b, s:i, s:i, s:o}, s:o}", "service",
                                    vers_json_str(s->name), "template", vers_json_str(s->template_),
                                    "database", vers_json_str(s->database), "equal", s->equal,
                                    "schema", "equal", !s->schema_diff, "added", s->schema_added,
                                    "removed", s->schema_removed, "diff",
                                    vers_json_str(s->schema_diff), "tables", tables));
        }
        return json_pack("{s:o, s:o, s:b, s:o}", "a", vers_json_str(r->a), "b", vers_json_str(r->b),
                         "equal", r->equal, "services", svcs);
}

char *vers_diff_summary(const struct vers_diff_result *r)
{
        struct strbuf sb = STRBUF_INIT;
        strbuf_addstr(&sb, "vers diff: A = ");
        vers_diff_escape(&sb, r->a);
        strbuf_addstr(&sb, ", B = ");
        vers_diff_escape(&sb, r->b);
        strbuf_addf(&sb, ": %s\n", r->equal ? "equal" : "different");
        for (size_t i = 0; i < r->n_services; i++) {
                const struct vers_diff_service *s = &r->services[i];
                strbuf_addf(&sb, "  %s: schema %s (+%d -%d lines)\n", s->name,
                            s->schema_diff ? "differs" : "equal", s->schema_added,
                            s->schema_removed);
                for (size_t j = 0; j < s->n_tables; j++) {
                        const struct vers_diff_table *t = &s->tables[j];
                        if (vers_diff_table_equal(t) && !t->only_a && !t->only_b)
                                continue;
                        strbuf_addstr(&sb, "  ");
                        strbuf_addstr(&sb, t->name); /* escaped when it was made */
                        if (!t->in_a)
                                strbuf_addf(&sb, ": only in B (%lld rows)", (long long)t->rows_b);
                        else if (!t->in_b)
                                strbuf_addf(&sb, ": only in A (%lld rows)", (long long)t->rows_a);
                        else
                                strbuf_addf(&sb, ": %lld -> %lld rows%s", (long long)t->rows_a,
                                            (long long)t->rows_b,
                                            vers_diff_table_equal(t) ? "" : ", content differs");
                        for (int side = 0; side < 2; side++) {
                                char **v = side ? t->only_b : t->only_a;
                                for (size_t k = 0; v && v[k]; k++) {
                                        strbuf_addstr(&sb, k      ? ", "
                                                           : side ? "; only in B: "
                                                                  : "; only in A: ");
                                        vers_diff_escape(&sb, v[k]);
                                }
                        }
                        strbuf_addch(&sb, '\n');
                }
                if (s->schema_diff)
                        strbuf_addstr(&sb, s->schema_diff);
        }
        return strbuf_detach(&sb);
}
