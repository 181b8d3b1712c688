/* vers status|ps (and branch list), vers head, vers logs */
#include "cli.h"
#include "engine/logs.h"
#include "engine/select.h"

#include <string.h>
#include <time.h>

static const struct cli_opt status_opts[] = {
    {'a', "a", "all", NULL, "envs of every project sharing VERS_ROOT, with a PROJECT column", 0, 0},
    {CLI_ID_JSON, NULL, "json", NULL, "one object per env (with its \"project\")", 0, 0},
    {0},
};

#define STATUS_ABOUT                                                                               \
        "List the envs of this project (the directory holding vers.toml or .vers/, here or\n"      \
        "above): id, alias, state, the commit each was branched from, and HEAD (*). Outside\n"     \
        "any project, the envs of every project, with a PROJECT column.\n"

const struct cli_spec cli_spec_status = {
    .name = "status",
    .about = STATUS_ABOUT,
    .opts = status_opts,
};

const struct cli_spec cli_spec_branch_list = {
    .name = "branch list",
    .about = STATUS_ABOUT "As 'vers status'.\n",
    .opts = status_opts,
};

static json_t *env_json(const struct vers_env_row *r)
{
        const struct vers_env *e = &r->env;
        json_t *o = json_pack(
            "{s:o, s:o, s:s, s:s, s:b, s:o, s:o, s:I, s:I, s:o}", "id", vers_json_str(e->id),
            "alias", vers_json_str(e->alias), "state", r->running ? "running" : "stopped", "mode",
            e->mode ? e->mode : "cold", "head", r->head, "base", vers_json_str(e->base), "image",
            vers_json_text(e->image), "pid", (json_int_t)(r->running ? e->init_pid : 0), "created",
            (json_int_t)e->created, "project", vers_json_text(e->project));
        /* when it expires (unix seconds), and the seconds left (0 once it has: it is kept
         * while a session lasts, or until a vers command next runs) */
        json_object_set_new(o, "expires", e->expires ? json_integer(e->expires) : json_null());
        if (e->expires) {
                int64_t left = e->expires - (int64_t)time(NULL);
                json_object_set_new(o, "expires_in", json_integer(left > 0 ? left : 0));
        } else {
                json_object_set_new(o, "expires_in", json_null());
        }
        if (r->has_memory) {
                const double mib = 1024.0 * 1024.0;
                json_object_set_new(o, "memory",
                                    json_pack("{s:f, s:f, s:f}", "rss_mib",
                                              (double)r->memory.rss / mib, "cache_mib",
                                              (double)r->memory.cache / mib, "shmem_mib",
                                              (double)r->memory.shmem / mib));
        }
        return o;
}

/* "EXPIRES" of an env: "in 1h59m", "expired", or "-" */
static char *expires_cell(const struct vers_env *e)
{
        if (!e->expires)
                return xstrdup("-");
        int64_t left = e->expires - (int64_t)time(NULL);
        if (left <= 0)
                return xstrdup("expired");
        _cleanup_free_ char *d = vers_duration_format(left);
        return xasprintf("in %s", d);
}

static void print_envs(const struct vers_env_list *l)
{
        if (!l->n) {
                fputs(l->wide ? "no envs (start one with 'vers run')\n"
                              : "no envs in this project (start one with 'vers run'; 'vers "
                                "status --all' lists every project's)\n",
                      stdout);
                return;
        }
        /* the EXPIRES column only where some env expires */
        bool expiring = false;
        for (size_t i = 0; i < l->n; i++)
                expiring |= l->rows[i].env.expires != 0;
        bool more = expiring || l->wide; /* columns after CREATED */
        printf("  %-12s  %-28s  %-8s  %-5s  %-28s  %-*s%s%s\n", "ID", "ALIAS", "STATE", "MODE",
               "FROM", more ? 19 : 0, "CREATED",
               expiring ? l->wide ? "  EXPIRES     " : "  EXPIRES" : "",
               l->wide ? "  PROJECT" : "");
        for (size_t i = 0; i < l->n; i++) {
                const struct vers_env_row *r = &l->rows[i];
                _cleanup_free_ char *when = cli_time(r->env.created);
                printf("%s %-12s  %-28s  %-8s  %-5s  %-28s  %-*s", r->head ? "*" : " ", r->env.id,
                       r->env.alias ? r->env.alias : "-", r->running ? "running" : "stopped",
                       r->env.mode ? r->env.mode : "cold", r->from, more ? 19 : 0, when);
                if (expiring) {
                        _cleanup_free_ char *cell = expires_cell(&r->env);
                        printf("  %-*s", l->wide ? 12 : 0, cell);
                }
                if (l->wide)
                        printf("  %s", r->env.project ? r->env.project : "-");
                putchar('\n');
        }
}

static int status(const struct cli_spec *spec, struct vers_ctx *ctx, int argc, char **argv,
                  vers_error_t *err)
{
        bool json = false, all = false;
        _cleanup_parse_ struct cli_parse p = cli_parse_start(spec, argc, argv);
        int rc = cli_parse_flags(&p, &json, &all);
        if (rc)
                return rc;
        struct vers_env_list l;
        if (vers_list_envs(ctx, all, &l, err) < 0)
                return -1;
        int r = 0;
        if (json) {
                json_t *a = json_array();
                for (size_t i = 0; i < l.n; i++)
                        json_array_append_new(a, env_json(&l.rows[i]));
                r = cli_json_print(a, err);
        } else {
                print_envs(&l);
        }
        vers_env_list_free(&l);
        return r;
}

int cmd_status(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        return status(&cli_spec_status, ctx, argc, argv, err);
}

int cmd_branch_list(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        return status(&cli_spec_branch_list, ctx, argc, argv, err);
}

static const struct cli_opt head_opts[] = {
    {CLI_ID_JSON, NULL, "json", NULL,
     "print {\"kind\": \"env\"|\"commit\", \"id\": ID, \"name\": NAME} ({\"kind\": null}\n"
     "when HEAD is not set)",
     0, 0},
    {0},
};

const struct cli_spec cli_spec_head = {
    .name = "head",
    .about = "Show what HEAD points at: an env or a commit.\n",
    .opts = head_opts,
};

int cmd_head(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        bool json = false;
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_head, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0)
                json |= c == CLI_ID_JSON;
        if (c < 0)
                return cli_parse_exit(c);
        struct vers_ref head = {VERS_REF_NONE, NULL};
        _cleanup_free_ char *label = NULL;
        if (vers_head_describe(ctx, &head, &label, err) < 0)
                return -1;
        int r = 0;
        const char *kind = head.kind == VERS_REF_ENV ? "env" : "commit";
        if (head.kind == VERS_REF_NONE && json)
                r = cli_json_print(json_pack("{s:n}", "kind"), err);
        else if (head.kind == VERS_REF_NONE)
                r = vers_make_error(err, 0, "HEAD is not set (run 'vers run' or 'vers checkout')");
        else if (json)
                r = cli_json_print(json_pack("{s:s, s:s, s:o}", "kind", kind, "id", head.id, "name",
                                             vers_json_str(label)),
                                   err);
        else if (strcmp(label, head.id))
                printf("%s %s (%s)\n", kind, head.id, label);
        else
                printf("%s %s\n", kind, head.id);
        vers_ref_clear(&head);
        return r;
}

static const struct cli_opt logs_opts[] = {
    {'b', "b", "env", "ENV", "the env (default: VERS_ENV, else HEAD)", 0, 0},
    {'n', "n", "lines", "N", "last N lines of each log (default 50; 0 = all, up to its last 8 MiB)",
     0, 100000000},
    {0},
};

const struct cli_spec cli_spec_logs = {
    .name = "logs",
    .operands = "[ENV]",
    .about = "Show the output of an env's services and of its init (from /var/log inside the "
             "env).\n",
    .opts = logs_opts,
    .max_operands = 1,
};

int cmd_logs(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        const char *name = NULL;
        long lines = 50;
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_logs, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0) {
                if (c == 'b')
                        name = p.arg;
                else if (c == 'n')
                        lines = p.num;
        }
        if (c < 0)
                return cli_parse_exit(c);
        if (p.n_operands)
                name = p.operands[0];
        struct vers_log *logs = NULL;
        size_t n = 0;
        if (vers_env_logs(ctx, name, lines, &logs, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n; i++) {
                size_t len = strlen(logs[i].text);
                printf("==> %s <==\n%s%s", logs[i].path, logs[i].text,
                       len && logs[i].text[len - 1] != '\n' ? "\n" : "");
        }
        vers_logs_free(logs, n);
        return 0;
}
