/* vers diff: what differs between two envs or commits (schema, row counts and checksums,
 * rows). Exit 0 when equal, 1 when different, 2 on trouble (as diff(1)); bad usage 129 as
 * every vers command. */
#include "cli.h"
#include "diff/diff.h"

#include <string.h>

static const struct cli_opt diff_opts[] = {
    {CLI_ID_SCHEMA, NULL, "schema", NULL, "compare the schemas only", 0, 0},
    {CLI_ID_DATA, NULL, "data", NULL,
     "also the rows added, removed and changed, by primary key (keyless\ntables: as multisets)", 0,
     0},
    {CLI_ID_STAT, NULL, "stat", NULL, "a summary: one line per table that differs", 0, 0},
    {CLI_ID_LIMIT, NULL, "limit", "N", "--data: show at most N rows per table (default 10)", 0,
     VERS_DIFF_LIMIT_MAX},
    {CLI_ID_JSON, NULL, "json", NULL, "print the result as JSON", 0, 0},
    {0},
};

const struct cli_spec cli_spec_diff = {
    .name = "diff",
    .operands = "ENV|COMMIT [ENV|COMMIT]",
    .about =
        "Compare two envs or commits, A and B (alias, tag or id), or an env with the commit\n"
        "it was branched from (B omitted), per service. PostgreSQL: the schema as a unified\n"
        "diff of a normalised description read from the catalogs (tables, columns, indexes,\n"
        "constraints, extensions, functions, views, sequences, types, triggers, policies);\n"
        "each table's row count and a checksum of its content over the columns both sides\n"
        "have; with --data the rows themselves, by primary key. MariaDB: the schema, counts\n"
        "and checksums. Redis: each database's keys, expiring keys and keys by type.\n"
        "An env is read as it runs, in one REPEATABLE READ READ ONLY transaction, with its own\n"
        "client; a commit through a cold branch made for the diff and deleted afterwards.\n"
        "Exit status: 0 equal, 1 different, 2 trouble.\n",
    .opts = diff_opts,
    .min_operands = 1,
    .max_operands = 2,
    .missing = "what to compare?",
};

static void put_escaped(const char *s)
{
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        vers_diff_escape(&sb, s ? s : "NULL");
        fputs(sb.buf, stdout);
}

static void print_rows(const struct vers_diff_table *t)
{
        printf("  %s: %lld added, %lld removed, %lld changed%s\n", t->name, (long long)t->added,
               (long long)t->removed, (long long)t->changed, t->keyed ? "" : " (no primary key)");
        for (size_t i = 0; i < t->n_rows; i++) {
                const struct vers_diff_row *r = &t->rows[i];
                printf("    %c ", r->op);
                if (r->key) {
                        put_escaped(r->key);
                        fputs(": ", stdout);
                } else if (r->count > 1)
                        printf("%lld x ", (long long)r->count);
                if (r->op == '~') {
                        put_escaped(r->a);
                        fputs(" -> ", stdout);
                        put_escaped(r->b);
                } else
                        put_escaped(r->op == '-' ? r->a : r->b);
                putchar('\n');
        }
        int64_t shown = (int64_t)t->n_rows, all = t->added + t->removed + t->changed;
        if (!t->keyed)
                all = (int64_t)t->n_rows; /* counted in rows, shown in groups */
        if (shown < all)
                printf("    ... (%lld more)\n", (long long)(all - shown));
}

static const char *table_state(const struct vers_diff_table *t)
{
        if (!t->in_a)
                return "only in B";
        if (!t->in_b)
                return "only in A";
        if (vers_diff_table_equal(t))
                return "equal";
        if (t->rows_a != t->rows_b)
                return "rows differ";
        return "content differs";
}

static void print_tables(const struct vers_diff_service *s, bool stat)
{
        size_t w = 5;
        for (size_t j = 0; j < s->n_tables; j++)
                w = strlen(s->tables[j].name) > w ? strlen(s->tables[j].name) : w;
        bool header = false;
        for (size_t j = 0; j < s->n_tables; j++) {
                const struct vers_diff_table *t = &s->tables[j];
                if (stat && vers_diff_table_equal(t))
                        continue;
                if (!header) {
                        printf("  %-*s  %10s  %10s\n", (int)w, "TABLE", "A ROWS", "B ROWS");
                        header = true;
                }
                char ra[24] = "-", rb[24] = "-";
                if (t->in_a)
                        snprintf(ra, sizeof ra, "%lld", (long long)t->rows_a);
                if (t->in_b)
                        snprintf(rb, sizeof rb, "%lld", (long long)t->rows_b);
                printf("  %-*s  %10s  %10s  %s", (int)w, t->name, ra, rb, table_state(t));
                if (t->rows_compared && !vers_diff_table_equal(t))
                        printf(" (+%lld -%lld ~%lld)", (long long)t->added, (long long)t->removed,
                               (long long)t->changed);
                for (int side = 0; side < 2; side++) {
                        char **v = side ? t->only_b : t->only_a;
                        for (size_t i = 0; v && v[i]; i++) {
                                fputs(i ? ", " : side ? "; only in B: " : "; only in A: ", stdout);
                                put_escaped(v[i]);
                        }
                }
                putchar('\n');
        }
        if (stat && !header)
                printf("  tables: equal\n");
}

static void print_result(const struct vers_diff_result *r, enum vers_diff_what what)
{
        for (size_t i = 0; i < r->n_services; i++) {
                const struct vers_diff_service *s = &r->services[i];
                printf("%s (%s", s->name, s->template_);
                if (s->database) {
                        fputs(", database ", stdout);
                        put_escaped(s->database);
                }
                fputs("): A = ", stdout);
                put_escaped(r->a);
                fputs(", B = ", stdout);
                put_escaped(r->b);
                printf(": %s\n", s->equal ? "equal" : "different");
                if (what == VERS_DIFF_STAT)
                        printf("  schema: %s (+%d -%d lines)\n",
                               s->schema_diff ? "differs" : "equal", s->schema_added,
                               s->schema_removed);
                else if (s->schema_diff)
                        fputs(s->schema_diff, stdout); /* escaped when it was made */
                else
                        printf("  schema: equal\n");
                if (what == VERS_DIFF_SCHEMA)
                        continue;
                print_tables(s, what == VERS_DIFF_STAT);
                if (what != VERS_DIFF_DATA)
                        continue;
                for (size_t j = 0; j < s->n_tables; j++)
                        if (s->tables[j].rows_compared && !vers_diff_table_equal(&s->tables[j]))
                                print_rows(&s->tables[j]);
        }
}

int cmd_diff(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        bool json = false;
        struct vers_diff_opts o = {.what = VERS_DIFF_DEFAULT, .limit = 10};
        int modes = 0;
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_diff, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0) {
                switch (c) {
                case CLI_ID_SCHEMA:
                        o.what = VERS_DIFF_SCHEMA, modes++;
                        break;
                case CLI_ID_DATA:
                        o.what = VERS_DIFF_DATA, modes++;
                        break;
                case CLI_ID_STAT:
                        o.what = VERS_DIFF_STAT, modes++;
                        break;
                case CLI_ID_LIMIT:
                        o.limit = p.num;
                        break;
                case CLI_ID_JSON:
                        json = true;
                        break;
                }
        }
        if (c < 0)
                return cli_parse_exit(c);
        if (modes > 1)
                return cli_usage_error(&cli_spec_diff, "--schema, --data and --stat exclude each "
                                                       "other");
        o.a = p.operands[0];
        o.b = p.n_operands > 1 ? p.operands[1] : NULL;
        struct vers_diff_result r;
        if (vers_diff(ctx, &o, &r, err) < 0)
                return -1;
        int rc;
        if (json)
                rc = cli_json_print(vers_diff_json(&r), err);
        else {
                print_result(&r, o.what);
                rc = 0;
        }
        bool equal = r.equal;
        vers_diff_result_free(&r);
        if (rc < 0)
                return -1;
        return equal ? 0 : 1;
}
