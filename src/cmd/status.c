/* vers status|ps, vers head, vers logs */
#include "cli.h"

#include <string.h>

static const char status_help[] =
    "usage: vers status [--json] [--all]\n"
    "       vers ps [--json] [--all]\n\n"
    "List the envs of this project (the directory holding vers.toml or .vers/, here or\n"
    "above): id, alias, state, the commit each was branched from, and HEAD (*). Outside\n"
    "any project, the envs of every project, with a PROJECT column.\n\n"
    "  -a, --all   envs of every project sharing VERS_ROOT, with a PROJECT column\n"
    "      --json  one object per env (with its \"project\")\n";

int cmd_status(int argc, char **argv)
{
        static const struct option opts[] = {
            CLI_OPT_JSON, {"all", no_argument, NULL, 'a'}, CLI_OPT_HELP, {NULL, 0, NULL, 0}};
        bool json = false, all = false;
        int c;
        while ((c = getopt_long(argc, argv, "+ah", opts, NULL)) != -1) {
                if (c == 'J')
                        json = true;
                else if (c == 'a')
                        all = true;
                else if (c == 'h')
                        return cli_print_help(status_help), 0;
                else
                        return cli_usage_error("vers status [--json] [--all]", "bad option");
        }
        struct vers_ctx ctx;
        int rc = cli_open(&ctx);
        if (rc)
                return rc;
        vers_error_t err = NULL;
        struct vers_env *envs = NULL;
        size_t n = 0;
        struct vers_ref head = {VERS_REF_NONE, NULL};
        const char *where = "state IN ('running','stopped','rollback')";
        _cleanup_free_ char *w2 = xasprintf("%s AND project = ?1", where);
        bool by_project = ctx.project_dir && !all;
        if (vers_meta_list_envs(&ctx.meta, by_project ? w2 : where,
                                by_project ? ctx.project_dir : NULL, &envs, &n, &err) < 0 ||
            vers_head_get(&ctx, &head, &err) < 0) {
                vers_close(&ctx);
                return cli_fail(&err);
        }
        struct strbuf sb = STRBUF_INIT;
        if (json)
                strbuf_addstr(&sb, "[");
        else if (n)
                strbuf_addf(&sb, "  %-12s  %-28s  %-8s  %-5s  %-28s  %s\n", "ID", "ALIAS", "STATE",
                            "MODE", "FROM",
                            by_project ? "CREATED" : "CREATED              PROJECT");
        for (size_t i = 0; i < n; i++) {
                struct vers_env *e = &envs[i];
                const char *state = vers_env_is_running(e) ? "running" : "stopped";
                bool is_head = head.kind == VERS_REF_ENV && !strcmp(head.id, e->id);
                _cleanup_free_ char *from = e->base
                                                ? vers_commit_label(&ctx, e->base)
                                                : xasprintf("image %s", e->image ? e->image : "-");
                _cleanup_free_ char *when = cli_time(e->created);
                if (json) {
                        strbuf_addf(&sb, "%s\n  {\"id\": ", i ? "," : "");
                        strbuf_add_json_str(&sb, e->id);
                        strbuf_addstr(&sb, ", \"alias\": ");
                        if (e->alias)
                                strbuf_add_json_str(&sb, e->alias);
                        else
                                strbuf_addstr(&sb, "null");
                        strbuf_addf(&sb, ", \"state\": \"%s\", \"mode\": \"%s\", \"head\": %s, ",
                                    state, e->mode ? e->mode : "cold", is_head ? "true" : "false");
                        strbuf_addstr(&sb, "\"base\": ");
                        if (e->base)
                                strbuf_add_json_str(&sb, e->base);
                        else
                                strbuf_addstr(&sb, "null");
                        strbuf_addstr(&sb, ", \"image\": ");
                        strbuf_add_json_str(&sb, e->image ? e->image : "");
                        strbuf_addf(&sb, ", \"pid\": %lld, \"created\": %lld, \"project\": ",
                                    (long long)(vers_env_is_running(e) ? e->init_pid : 0),
                                    (long long)e->created);
                        strbuf_add_json_str(&sb, e->project ? e->project : "");
                        strbuf_addstr(&sb, "}");
                } else {
                        strbuf_addf(&sb, "%s %-12s  %-28s  %-8s  %-5s  %-28s  %s",
                                    is_head ? "*" : " ", e->id, e->alias ? e->alias : "-", state,
                                    e->mode ? e->mode : "cold", from, when);
                        if (!by_project)
                                strbuf_addf(&sb, "  %s", e->project ? e->project : "-");
                        strbuf_addch(&sb, '\n');
                }
        }
        if (json)
                strbuf_addstr(&sb, n ? "\n]\n" : "]\n");
        else if (!n)
                strbuf_addstr(&sb, by_project ? "no envs in this project (start one with 'vers "
                                                "run'; 'vers status --all' lists every project's)\n"
                                              : "no envs (start one with 'vers run')\n");
        fputs(sb.buf, stdout);
        strbuf_release(&sb);
        vers_envs_free(envs, n);
        vers_ref_clear(&head);
        vers_close(&ctx);
        return 0;
}

static const char head_help[] = "usage: vers head [--json]\n\n"
                                "Show what HEAD points at: an env or a commit.\n";

int cmd_head(int argc, char **argv)
{
        static const struct option opts[] = {CLI_OPT_JSON, CLI_OPT_HELP, {NULL, 0, NULL, 0}};
        bool json = false;
        int c;
        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
                if (c == 'J')
                        json = true;
                else if (c == 'h')
                        return cli_print_help(head_help), 0;
                else
                        return cli_usage_error("vers head [--json]", "bad option");
        }
        struct vers_ctx ctx;
        int rc = cli_open(&ctx);
        if (rc)
                return rc;
        vers_error_t err = NULL;
        struct vers_ref head = {VERS_REF_NONE, NULL};
        if (vers_head_get(&ctx, &head, &err) < 0) {
                vers_close(&ctx);
                return cli_fail(&err);
        }
        if (head.kind == VERS_REF_NONE) {
                vers_close(&ctx);
                if (json) {
                        printf("{\"kind\": null}\n");
                        return 0;
                }
                fprintf(stderr, "vers: HEAD is not set (run 'vers run' or 'vers checkout')\n");
                return 1;
        }
        const char *kind = head.kind == VERS_REF_ENV ? "env" : "commit";
        _cleanup_free_ char *label = head.kind == VERS_REF_ENV ? vers_env_label(&ctx, head.id)
                                                               : vers_commit_label(&ctx, head.id);
        if (json)
                printf("{\"kind\": \"%s\", \"id\": \"%s\", \"name\": \"%s\"}\n", kind, head.id,
                       label);
        else
                printf("%s %s%s%s%s\n", kind, head.id, strcmp(label, head.id) ? " (" : "",
                       strcmp(label, head.id) ? label : "", strcmp(label, head.id) ? ")" : "");
        vers_ref_clear(&head);
        vers_close(&ctx);
        return 0;
}

static const char logs_help[] =
    "usage: vers logs [ENV] [-b ENV] [-n LINES]\n\n"
    "Show the output of an env's services and of its init (from /var/log inside the env).\n"
    "  -n, --lines N   last N lines of each log (default 50; 0 = all, up to its last 8 MiB)\n";

int cmd_logs(int argc, char **argv)
{
        static const struct option opts[] = {
            CLI_OPT_ENV, {"lines", required_argument, NULL, 'n'}, CLI_OPT_HELP, {NULL, 0, NULL, 0}};
        const char *name = NULL;
        long lines = 50;
        int c;
        while ((c = getopt_long(argc, argv, "+b:n:h", opts, NULL)) != -1) {
                if (c == 'b')
                        name = optarg;
                else if (c == 'n')
                        lines = strtol(optarg, NULL, 10);
                else if (c == 'h')
                        return cli_print_help(logs_help), 0;
                else
                        return cli_usage_error("vers logs [ENV] [-n LINES]", "bad option");
        }
        if (optind < argc)
                name = argv[optind++];
        struct vers_ctx ctx;
        int rc = cli_open(&ctx);
        if (rc)
                return rc;
        vers_error_t err = NULL;
        struct vers_env e = {0};
        if (cli_target_env(&ctx, name, false, false, &e, &err) < 0) {
                vers_close(&ctx);
                return cli_fail(&err);
        }
        _cleanup_free_ char *rootfs = vers_store_env_rootfs(&ctx.store, e.id);
        /* the list comes from the image; each file is read inside the env's tree, where a
         * symlink cannot lead out of it */
        _cleanup_strv_ char **logs = vers_env_log_files(&ctx, &e);
        for (size_t i = 0; logs && logs[i]; i++) {
                _cleanup_free_ char *text = NULL;
                size_t len = 0;
                /* -n N: the last N lines are in the last N * 4 KiB of any sane log; -n 0: all
                 * of it, up to its last VERS_IN_ROOT_MAX (the env sizes its logs) */
                size_t tail = lines > 0 && lines < (1L << 20) ? (size_t)lines * 4096
                                                              : (size_t)VERS_IN_ROOT_MAX;
                if (vers_read_file_in_root(rootfs, logs[i], tail, &text, &len, NULL) < 0)
                        continue;
                const char *start = text;
                if (lines > 0) {
                        long seen = 0;
                        for (size_t j = len; j > 0; j--) {
                                if (text[j - 1] == '\n' && j != len && ++seen == lines) {
                                        start = text + j;
                                        break;
                                }
                        }
                }
                printf("==> %s <==\n%s%s", logs[i], start,
                       (len && text[len - 1] != '\n') ? "\n" : "");
        }
        vers_env_clear(&e);
        vers_close(&ctx);
        return 0;
}
