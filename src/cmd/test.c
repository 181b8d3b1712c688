/* vers test: run vers-integration.yaml */
#include "cli.h"
#include "ship/junit.h"
#include "test/runner.h"

#include <string.h>

static const struct cli_opt test_opts[] = {
    {'f', "f", "file", "FILE", "the suite (default: vers-integration.yaml of the project)", 0, 0},
    {'j', "j", "jobs", "N", "branches at once (default: number of cores)", 1, 256},
    {CLI_ID_ONLY, NULL, "only", "T[/B]", "run only test T (or its branch B)", 0, 0},
    {CLI_ID_MIGRATIONS, NULL, "migrations", "DIR",
     "test the NNN_name.up.sql (and .down.sql) migrations in DIR\n"
     "on branches of the last checkpoint: up, up-down-up, up twice;\n"
     "row counts must not change and foreign keys must stay valid",
     0, 0},
    {CLI_ID_KEEP_FAILED, NULL, "keep-failed", NULL,
     "keep failing branches' envs for 'vers connect'", 0, 0},
    {CLI_ID_JUNIT, NULL, "junit", "FILE", "write a JUnit XML report", 0, 0},
    {CLI_ID_DIFF, NULL, "diff", NULL,
     "diff each branch against its checkpoint before it goes (as\n"
     "'vers diff CHECKPOINT ENV': schema, row counts, checksums): in\n"
     "--json each result's \"diff\", in --junit its <system-out>",
     0, 0},
    {CLI_ID_SHARD, NULL, "shard", "I/N",
     "run (or list) only slice I of N of the test×branch matrix:\n"
     "cell k (from 0, in --list's order) is in shard k % N + 1, the\n"
     "same on every machine; checkpoints are made or reused as ever;\n"
     "a depends_on on a test of another shard is not waited for",
     0, 0},
    {CLI_ID_LIST, NULL, "list", NULL,
     "print the matrix, one TEST/BRANCH a line, in run order, and\n"
     "exit: nothing is built or run (no root or store needed)",
     0, 0},
    {CLI_ID_MERGE_JUNIT, NULL, "merge-junit", "OUT",
     "merge the --junit reports given as operands (the shards') into\n"
     "OUT, counts summed; a test/branch in two of them is an error",
     0, 0},
    {CLI_ID_JSON, NULL, "json", NULL, "print the report (or --list's matrix) as JSON", 0, 0},
    {0},
};

const struct cli_spec cli_spec_test = {
    .name = "test",
    .about = "Run the suite in vers-integration.yaml: boot an env with its services, run the\n"
             "checkpoints in order (committing after each; an unchanged checkpoint is reused, "
             "not\nrebuilt), then every test's branches on envs branched from the last "
             "checkpoint, in\ndepends_on order, N branches at a time. Exits 0 only when "
             "everything passed.\n\n"
             "A CI matrix splits the suite: each of N jobs runs 'vers test --shard I/N --junit\n"
             "shard-I.xml', and a last one 'vers test --merge-junit all.xml shard-*.xml'.\n",
    .more = "--list [--shard I/N] [--json] [-f FILE] [--migrations DIR]\n"
            "--merge-junit OUT REPORT.xml...",
    .opts = test_opts,
    .max_operands = -1,
    /* a listing reads the suite only; a merge reads the files it is given */
    .setups = (const struct cli_opt_setup[]){{CLI_ID_LIST, CLI_FINDS_PROJECT},
                                             {CLI_ID_MERGE_JUNIT, CLI_NO_SETUP},
                                             {0, 0}},
};

static void live(const char *msg)
{
        fprintf(stderr, "vers test: %s\n", msg);
}

static void print_table(const struct vers_test_report *rep)
{
        printf("\n%-20s  %-22s  %-8s  %s\n", "TEST", "BRANCH", "RESULT", "TIME");
        for (size_t i = 0; i < rep->n_results; i++) {
                const struct vers_test_result *r = &rep->results[i];
                printf("%-20s  %-22s  %-8s  %.2f s\n", r->test, r->branch,
                       vers_test_status_name(r->status), r->seconds);
        }
        int reused = 0;
        for (size_t i = 0; i < rep->n_checkpoints; i++)
                reused += rep->checkpoints[i].reused;
        printf("\n%d passed, %d failed, %d skipped in %.1f s (%d of %zu checkpoints reused)\n",
               rep->passed, rep->failed, rep->skipped, rep->seconds, reused, rep->n_checkpoints);
        for (size_t i = 0; i < rep->n_results; i++) {
                const struct vers_test_result *r = &rep->results[i];
                if (r->status != VERS_TEST_FAILED)
                        continue;
                printf("\n--- %s/%s (%s exited with %d)%s%s ---\n%s", r->test, r->branch,
                       r->before_failed ? "before" : "command", r->exit_code,
                       r->env ? "; kept as env " : "", r->env ? r->env : "",
                       r->output ? r->output : "");
        }
}

static void print_diffs(const struct vers_test_report *rep)
{
        for (size_t i = 0; i < rep->n_results; i++) {
                const struct vers_test_result *r = &rep->results[i];
                if (r->diff_summary)
                        printf("\n--- %s/%s ---\n%s", r->test, r->branch, r->diff_summary);
        }
}

static int print_list(const struct vers_test_list *l, bool json, vers_error_t *err)
{
        if (!json) {
                for (size_t i = 0; i < l->n; i++)
                        printf("%s/%s\n", l->cells[i].test, l->cells[i].branch);
                return 0;
        }
        json_t *doc = json_array();
        for (size_t i = 0; i < l->n; i++) {
                json_t *o = json_object();
                json_object_set_new(o, "test", vers_json_text(l->cells[i].test));
                json_object_set_new(o, "branch", vers_json_text(l->cells[i].branch));
                json_object_set_new(o, "index", json_integer((json_int_t)l->cells[i].index));
                json_array_append_new(doc, o);
        }
        return cli_json_print(doc, err);
}

/* vers test --merge-junit OUT REPORT...: no project, no store */
static int merge_junit(const char *out, char **reports, int n, vers_error_t *err)
{
        if (n == 0)
                return cli_usage_error(&cli_spec_test, "--merge-junit needs the reports to merge "
                                                       "(vers test --merge-junit OUT A.xml B.xml)");
        struct vers_junit_counts c;
        if (vers_junit_merge(out, reports, (size_t)n, &c, err) < 0)
                return -1;
        fprintf(stderr,
                "vers test: merged %zu reports into %s: %zu tests, %zu failed, %zu errors, %zu "
                "skipped\n",
                c.files, out, c.tests, c.failures, c.errors, c.skipped);
        return 0;
}

int cmd_test(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        struct vers_test_opts o = {.line = live, .out_fd = STDERR_FILENO};
        const char *junit = NULL, *merge = NULL, *other = NULL, *shard = NULL;
        bool json = false, list = false;
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_test, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0) {
                switch (c) {
                case 'f':
                        o.file = p.arg;
                        break;
                case 'j':
                        o.jobs = (int)p.num;
                        break;
                case CLI_ID_ONLY:
                        o.only = p.arg;
                        break;
                case CLI_ID_KEEP_FAILED:
                        o.keep_failed = true;
                        break;
                case CLI_ID_JUNIT:
                        junit = p.arg;
                        break;
                case CLI_ID_DIFF:
                        o.diff = true;
                        break;
                case CLI_ID_MIGRATIONS:
                        o.migrations = p.arg;
                        break;
                case CLI_ID_JSON:
                        json = true;
                        break;
                case CLI_ID_SHARD:
                        shard = p.arg;
                        break;
                case CLI_ID_LIST:
                        list = true;
                        break;
                case CLI_ID_MERGE_JUNIT:
                        merge = p.arg;
                        break;
                }
                for (const struct cli_opt *t = test_opts; !other && t->id; t++)
                        if (t->id == c && c != CLI_ID_MERGE_JUNIT)
                                other = t->name;
        }
        if (c < 0)
                return cli_parse_exit(c);
        if (merge && other)
                return cli_usage_error(&cli_spec_test,
                                       "--merge-junit takes only OUT and the "
                                       "reports, not --%s",
                                       other);
        if (merge)
                return merge_junit(merge, p.operands, p.n_operands, err);
        if (p.n_operands)
                return cli_usage_error(&cli_spec_test, "unexpected argument '%s'", p.operands[0]);
        if (shard && vers_test_shard_parse(shard, &o.shard, &o.shards, err) < 0)
                return -1;
        if (list && (junit || o.keep_failed || o.diff))
                return cli_usage_error(&cli_spec_test, "--list runs nothing: no %s",
                                       junit    ? "--junit report"
                                       : o.diff ? "--diff"
                                                : "--keep-failed");
        if (list) {
                struct vers_test_list l;
                int rc = vers_test_list(ctx, &o, &l, err);
                if (rc == 0)
                        rc = print_list(&l, json, err);
                vers_test_list_free(&l);
                return rc;
        }
        struct vers_test_report rep;
        int rc = vers_test_run(ctx, &o, &rep, err);
        if (rc == 0 && json) {
                _cleanup_free_ char *doc = vers_test_report_json(&rep);
                fputs(doc, stdout);
        } else if (rc == 0) {
                print_table(&rep);
                print_diffs(&rep);
        }
        if (rc == 0 && junit)
                rc = vers_junit_write(junit, &rep, err);
        if (rc == 0 && (rep.failed || rep.skipped))
                rc = 1; /* the report says what failed */
        vers_test_report_free(&rep);
        return rc;
}
