/* vers kill|delete, vers gc, vers shutdown */
#include "cli.h"

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
    {CLI_ID_JSON, NULL, "json", NULL, "print {\"subvolumes\": N, \"cgroups\": N, \"stopped\": N}",
     0, 0},
    {0},
};

const struct cli_spec cli_spec_gc = {
    .name = "gc",
    .about = "Finish or undo interrupted operations, delete subvolumes and cgroups that no\n"
             "env, commit or image refers to, and mark envs whose processes died as stopped.\n",
    .opts = gc_opts,
};

int cmd_gc(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        bool json = false;
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_gc, argc, argv);
        int rc = cli_parse_flags(&p, &json, NULL);
        if (rc)
                return rc;
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
