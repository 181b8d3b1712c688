/* vers test: run vers-integration.yaml */
#include "cli.h"
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
    {CLI_ID_JSON, NULL, "json", NULL, "print the report as JSON", 0, 0},
    {0},
};

const struct cli_spec cli_spec_test = {
    .name = "test",
    .about = "Run the suite in vers-integration.yaml: boot an env with its services, run the\n"
             "checkpoints in order (committing after each; an unchanged checkpoint is reused, "
             "not\nrebuilt), then every test's branches on envs branched from the last "
             "checkpoint, in\ndepends_on order, N branches at a time. Exits 0 only when "
             "everything passed.\n",
    .opts = test_opts,
};

static void live(const char *msg)
{
        fprintf(stderr, "vers test: %s\n", msg);
}

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

static int write_junit(const char *path, const struct vers_test_report *rep, vers_error_t *err)
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
                        if (r->status == VERS_TEST_PASSED) {
                                strbuf_addstr(&sb, "/>\n");
                                continue;
                        }
                        if (r->status == VERS_TEST_SKIPPED) {
                                strbuf_addstr(&sb, "><skipped message=\"");
                                add_xml(&sb, r->output ? r->output : "");
                                strbuf_addstr(&sb, "\"/></testcase>\n");
                                continue;
                        }
                        strbuf_addf(&sb, "><failure message=\"%s exited with %d\">",
                                    r->before_failed ? "before" : "command", r->exit_code);
                        add_xml(&sb, r->output ? r->output : "");
                        strbuf_addstr(&sb, "</failure></testcase>\n");
                }
                strbuf_addstr(&sb, "  </testsuite>\n");
                i = j;
        }
        strbuf_addstr(&sb, "</testsuites>\n");
        int r = vers_write_file_atomic(path, sb.buf, sb.len, 0644, err);
        strbuf_release(&sb);
        return r;
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

int cmd_test(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        struct vers_test_opts o = {.line = live, .out_fd = STDERR_FILENO};
        const char *junit = NULL;
        bool json = false;
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
                case CLI_ID_MIGRATIONS:
                        o.migrations = p.arg;
                        break;
                case CLI_ID_JSON:
                        json = true;
                        break;
                }
        }
        if (c < 0)
                return cli_parse_exit(c);
        struct vers_test_report rep;
        int rc = vers_test_run(ctx, &o, &rep, err);
        if (rc == 0 && json) {
                _cleanup_free_ char *doc = vers_test_report_json(&rep);
                fputs(doc, stdout);
        } else if (rc == 0)
                print_table(&rep);
        if (rc == 0 && junit)
                rc = write_junit(junit, &rep, err);
        if (rc == 0 && (rep.failed || rep.skipped))
                rc = 1; /* the report says what failed */
        vers_test_report_free(&rep);
        return rc;
}
