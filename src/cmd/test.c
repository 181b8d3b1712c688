/* vers test: run vers-integration.yaml */
#include "cli.h"
#include "test/runner.h"

#include <string.h>

static const char test_help[] =
    "usage: vers test [-f FILE] [-j N] [--only TEST[/BRANCH]] [--keep-failed]\n"
    "                 [--junit FILE] [--json]\n\n"
    "Run the suite in vers-integration.yaml: boot an env with its services, run the\n"
    "checkpoints in order (committing after each; an unchanged checkpoint is reused, not\n"
    "rebuilt), then every test's branches on envs branched from the last checkpoint, in\n"
    "depends_on order, N branches at a time. Exits 0 only when everything passed.\n\n"
    "  -f, --file FILE      the suite (default: vers-integration.yaml of the project)\n"
    "  -j, --jobs N         branches at once (default: number of cores)\n"
    "      --only T[/B]     run only test T (or its branch B)\n"
    "      --migrations DIR test the NNN_name.up.sql (and .down.sql) migrations in DIR\n"
    "                       on branches of the last checkpoint: up, up-down-up, up twice;\n"
    "                       row counts must not change and foreign keys must stay valid\n"
    "      --keep-failed    keep failing branches' envs for 'vers connect'\n"
    "      --junit FILE     write a JUnit XML report\n"
    "      --json           print the report as JSON\n";

static void live(const char *msg)
{
        fprintf(stderr, "vers test: %s\n", msg);
}

static const char *status_name(enum vers_test_status s)
{
        return s == VERS_TEST_PASSED ? "passed" : s == VERS_TEST_FAILED ? "failed" : "skipped";
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

static void print_json(const struct vers_test_report *rep)
{
        _cleanup_free_ char *json = vers_test_report_json(rep);
        fputs(json, stdout);
}

static void print_table(const struct vers_test_report *rep)
{
        printf("\n%-20s  %-22s  %-8s  %s\n", "TEST", "BRANCH", "RESULT", "TIME");
        for (size_t i = 0; i < rep->n_results; i++) {
                const struct vers_test_result *r = &rep->results[i];
                printf("%-20s  %-22s  %-8s  %.2f s\n", r->test, r->branch, status_name(r->status),
                       r->seconds);
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

int cmd_test(int argc, char **argv)
{
        static const struct option opts[] = {{"file", required_argument, NULL, 'f'},
                                             {"jobs", required_argument, NULL, 'j'},
                                             {"only", required_argument, NULL, 'o'},
                                             {"keep-failed", no_argument, NULL, 'k'},
                                             {"junit", required_argument, NULL, 'u'},
                                             {"migrations", required_argument, NULL, 'm'},
                                             CLI_OPT_JSON,
                                             CLI_OPT_HELP,
                                             {NULL, 0, NULL, 0}};
        const char *usage = "vers test [-f FILE] [-j N] [--only TEST[/BRANCH]] [--keep-failed] "
                            "[--junit FILE] [--json]";
        struct vers_test_opts o = {.line = live, .out_fd = STDERR_FILENO};
        const char *junit = NULL;
        bool json = false;
        int c;
        while ((c = getopt_long(argc, argv, "f:j:h", opts, NULL)) != -1) {
                switch (c) {
                case 'f':
                        o.file = optarg;
                        break;
                case 'j': {
                        char *end;
                        long v = strtol(optarg, &end, 10);
                        if (*end || v < 1 || v > 256)
                                return cli_usage_error(usage, "-j takes 1..256, not '%s'", optarg);
                        o.jobs = (int)v;
                        break;
                }
                case 'o':
                        o.only = optarg;
                        break;
                case 'k':
                        o.keep_failed = true;
                        break;
                case 'u':
                        junit = optarg;
                        break;
                case 'm':
                        o.migrations = optarg;
                        break;
                case 'J':
                        json = true;
                        break;
                case 'h':
                        cli_print_help(test_help);
                        return 0;
                default:
                        return cli_usage_error(usage, "bad option");
                }
        }
        if (optind < argc)
                return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
        struct vers_ctx ctx;
        int rc = cli_open(&ctx);
        if (rc)
                return rc;
        vers_error_t err = NULL;
        struct vers_test_report rep;
        if (vers_test_run(&ctx, &o, &rep, &err) < 0) {
                vers_test_report_free(&rep);
                vers_close(&ctx);
                return cli_fail(&err);
        }
        if (json)
                print_json(&rep);
        else
                print_table(&rep);
        if (junit && write_junit(junit, &rep, &err) < 0) {
                vers_test_report_free(&rep);
                vers_close(&ctx);
                return cli_fail(&err);
        }
        rc = (rep.failed || rep.skipped) ? 1 : 0;
        vers_test_report_free(&rep);
        vers_close(&ctx);
        return rc;
}
