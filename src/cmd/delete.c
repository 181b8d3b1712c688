/* vers kill|delete, vers gc, vers shutdown */
#include "cli.h"
#include "engine/expiry.h"

static const struct cli_opt delete_opts[] = {
    {'y', "y", "yes", NULL, "do not ask", 0, 0},
    {'a', "a", "all", NULL, "also envs of other projects sharing VERS_ROOT", 0, 0},
    {0},
};

const struct cli_spec cli_spec_delete = {
    .name = "kill",
    .operands = "ENV...",
    .about = "Stop envs and delete their disks. Commits made from them stay. An ENV is an alias, "
             "id\nor unique id prefix of an env of this project (outside any project: of any "
             "project).\nWithout a terminal on stdin, nothing is deleted unless -y is given.\n",
    .opts = delete_opts,
    .min_operands = 1,
    .max_operands = -1,
    .missing = "which env?",
};

int cmd_delete(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        return cli_delete_envs(ctx, &cli_spec_delete, false, argc, argv, err);
}

static const struct cli_opt gc_opts[] = {
    {CLI_ID_EXPIRED, NULL, "expired", NULL,
     "only delete the envs whose --ttl or [branches] ttl has passed;\none with a live session "
     "(a 'vers execute' or 'vers connect' in it, a\nclient connected to its server) is kept "
     "and reported",
     0, 0},
    {CLI_ID_FORCE, NULL, "force", NULL, "with --expired: delete those too", 0, 0},
    {CLI_ID_JSON, NULL, "json", NULL,
     "print {\"subvolumes\": N, \"cgroups\": N, \"stopped\": N}; with --expired\n"
     "{\"deleted\": [ENV...], \"kept\": [ENV...], \"failed\": [ENV...]}",
     0, 0},
    {0},
};

const struct cli_spec cli_spec_gc = {
    .name = "gc",
    .about = "Finish or undo interrupted operations, delete subvolumes and cgroups that no\n"
             "env, commit or image refers to, and mark envs whose processes died as stopped.\n"
             "\n"
             "Envs made with a time to live (vers branch --ttl, [branches] ttl) are deleted once\n"
             "it has passed by whichever vers command runs next (vers has no daemon); --expired\n"
             "does only that, and says what it did. Commits are never deleted by expiry.\n",
    .opts = gc_opts,
    /* the command deletes the expired envs itself, and reports each */
    .setups =
        (const struct cli_opt_setup[]){{CLI_ID_EXPIRED, CLI_OPENS_STORE | CLI_OWN_EXPIRY}, {0, 0}},
};

static json_t *expired_json(const struct vers_expired *x)
{
        return json_pack("{s:s, s:s, s:I, s:i, s:i, s:b, s:o}", "id", x->id, "alias", x->label,
                         "expired_seconds_ago", (json_int_t)x->ago, "commands",
                         x->sessions.commands, "connections", x->sessions.connections, "committing",
                         x->committing, "error", vers_json_str(x->error));
}

static int gc_expired(struct vers_ctx *ctx, bool force, bool json, vers_error_t *err)
{
        struct vers_expire_report r;
        if (vers_expire(ctx, force, &r, err) < 0)
                return -1;
        int ret = 0, failed = 0;
        json_t *doc = json ? json_pack("{s:[], s:[], s:[]}", "deleted", "kept", "failed") : NULL;
        for (size_t i = 0; i < r.n; i++) {
                const struct vers_expired *x = &r.envs[i];
                _cleanup_free_ char *ago = vers_duration_format(x->ago);
                const char *list = x->deleted ? "deleted" : x->error ? "failed" : "kept";
                failed += !x->deleted && x->error;
                if (doc)
                        json_array_append_new(json_object_get(doc, list), expired_json(x));
                else if (x->deleted)
                        printf("deleted env %s (expired %s ago)\n", x->label, ago);
                else if (x->error)
                        fprintf(stderr,
                                "vers: env %s expired %s ago but could not be deleted: %s\n",
                                x->label, ago, x->error);
                else if (x->committing)
                        printf("kept env %s (expired %s ago): it is being committed\n", x->label,
                               ago);
                else
                        printf("kept env %s (expired %s ago): %d command(s) and %d connection(s) "
                               "in it; --force deletes it\n",
                               x->label, ago, x->sessions.commands, x->sessions.connections);
        }
        if (doc)
                ret = cli_json_print(doc, err);
        else if (!r.n)
                printf("gc: no expired envs\n");
        vers_expire_report_clear(&r);
        if (ret == 0 && failed)
                ret = vers_make_error(err, 0, "%d expired env(s) could not be deleted", failed);
        return ret;
}

int cmd_gc(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        bool json = false, expired = false, force = false;
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_gc, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0) {
                json |= c == CLI_ID_JSON;
                expired |= c == CLI_ID_EXPIRED;
                force |= c == CLI_ID_FORCE;
        }
        if (c < 0)
                return cli_parse_exit(c);
        if (force && !expired)
                return cli_usage_error(&cli_spec_gc, "--force goes with --expired");
        if (expired)
                return gc_expired(ctx, force, json, err);
        struct vers_gc_report r;
        if (vers_gc(ctx, &r, err) < 0)
                return -1;
        if (json)
                return cli_json_print(json_pack("{s:i, s:i, s:i}", "subvolumes", r.subvolumes,
                                                "cgroups", r.cgroups, "stopped", r.rows),
                                      err);
        /* named only when there were any: scripts match the line's older form */
        _cleanup_free_ char *caps =
            r.qgroups ? xasprintf(", %d stale disk cap(s)", r.qgroups) : xstrdup("");
        _cleanup_free_ char *pooled =
            r.pooled ? xasprintf(", %d pooled env(s)", r.pooled) : xstrdup("");
        printf("gc: removed %d subvolume(s), %d cgroup(s)%s%s; %d env(s) found stopped\n",
               r.subvolumes, r.cgroups, caps, pooled, r.rows);
        return 0;
}

const struct cli_spec cli_spec_shutdown = {
    .name = "shutdown",
    .about = "Stop every env cleanly (their disks stay) and unmount the store. The next\n"
             "vers command mounts it again; stopped envs start when used.\n",
};

int cmd_shutdown(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_shutdown, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0)
                ;
        if (c < 0)
                return cli_parse_exit(c);
        int n = 0;
        if (vers_shutdown(ctx, &n, err) < 0)
                return -1;
        printf("stopped %d env(s); store unmounted\n", n);
        return 0;
}
