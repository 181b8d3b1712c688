/* vers kill|delete, vers gc, vers shutdown */
#include "cli.h"

#include <string.h>

static const char delete_help[] =
    "usage: vers kill ENV... [-y] [--all]\n"
    "       vers delete ENV... [-y] [--all]\n\n"
    "Stop envs and delete their disks. Commits made from them stay. An ENV is an alias, id\n"
    "or unique id prefix of an env of this project (outside any project: of any project).\n"
    "Without a terminal on stdin, nothing is deleted unless -y is given.\n\n"
    "  -y, --yes   do not ask\n"
    "  -a, --all   also envs of other projects sharing VERS_ROOT\n";

int cmd_delete(int argc, char **argv)
{
        static const struct option opts[] = {{"yes", no_argument, NULL, 'y'},
                                             {"all", no_argument, NULL, 'a'},
                                             CLI_OPT_HELP,
                                             {NULL, 0, NULL, 0}};
        const char *usage = "vers kill ENV... [-y] [--all]";
        bool yes = false, all = false;
        int c;
        while ((c = getopt_long(argc, argv, "yah", opts, NULL)) != -1) {
                if (c == 'y')
                        yes = true;
                else if (c == 'a')
                        all = true;
                else if (c == 'h')
                        return cli_print_help(delete_help), 0;
                else
                        return cli_usage_error(usage, "bad option");
        }
        if (optind >= argc)
                return cli_usage_error(usage, "which env?");
        struct vers_ctx ctx;
        int rc = cli_open(&ctx);
        if (rc)
                return rc;
        vers_error_t err = NULL;
        _cleanup_strv_ char **ids = NULL;
        for (int i = optind; i < argc; i++) {
                struct vers_ref ref = {VERS_REF_NONE, NULL};
                struct vers_env e = {0};
                if (vers_resolve(&ctx, argv[i], &ref, &err) < 0)
                        goto fail;
                if (ref.kind != VERS_REF_ENV) {
                        vers_ref_clear(&ref);
                        vers_make_error(&err, 0, "'%s' is a commit, not an env; nothing deleted",
                                        argv[i]);
                        goto fail;
                }
                int r = vers_meta_get_env(&ctx.meta, ref.id, &e, &err);
                if (r == 0) /* deleted since it was resolved */
                        r = vers_make_error(&err, 0, "no env named '%s'; nothing deleted", argv[i]);
                bool theirs = r == 1 && !cli_in_scope(&ctx, e.project, all);
                if (theirs)
                        vers_make_error(&err, 0,
                                        "env '%s' belongs to another project ('%s'); pass --all "
                                        "to delete it; nothing deleted",
                                        argv[i], e.project ? e.project : "none");
                vers_env_clear(&e);
                bool dup = false;
                for (size_t k = 0; ids && ids[k]; k++)
                        dup |= !strcmp(ids[k], ref.id);
                if (r == 1 && !theirs && !dup)
                        strv_push(&ids, ref.id);
                vers_ref_clear(&ref);
                if (r < 0 || theirs)
                        goto fail;
        }
        if (cli_confirm_delete(strv_len(ids), yes, &err) < 0)
                goto fail;
        int ret = 0;
        for (size_t i = 0; ids[i]; i++) {
                _cleanup_free_ char *label = vers_env_label(&ctx, ids[i]);
                if (vers_env_delete(&ctx, ids[i], &err) < 0)
                        ret = cli_fail(&err);
                else
                        printf("deleted env %s\n", label);
        }
        vers_close(&ctx);
        return ret;
fail:
        vers_close(&ctx);
        return cli_fail(&err);
}

int cmd_gc(int argc, char **argv)
{
        bool json = argc > 1 && !strcmp(argv[1], "--json");
        if (cli_wants_help(argc, argv)) {
                printf("usage: vers gc [--json]\n\nFinish or undo interrupted operations, delete "
                       "subvolumes and cgroups that no\nenv, commit or image refers to, and mark "
                       "envs whose processes died as stopped.\n");
                return 0;
        }
        if (argc > 1 && !json)
                return cli_usage_error("vers gc [--json]", "unexpected argument '%s'", argv[1]);
        struct vers_ctx ctx;
        int rc = cli_open(&ctx);
        if (rc)
                return rc;
        vers_error_t err = NULL;
        struct vers_gc_report r;
        if (vers_gc(&ctx, &r, &err) < 0) {
                vers_close(&ctx);
                return cli_fail(&err);
        }
        if (json)
                printf("{\"subvolumes\": %d, \"cgroups\": %d, \"stopped\": %d}\n", r.subvolumes,
                       r.cgroups, r.rows);
        else {
                /* named only when there were any: scripts match the line's older form */
                _cleanup_free_ char *caps =
                    r.qgroups ? xasprintf(", %d stale disk cap(s)", r.qgroups) : xstrdup("");
                printf("gc: removed %d subvolume(s), %d cgroup(s)%s; %d env(s) found stopped\n",
                       r.subvolumes, r.cgroups, caps, r.rows);
        }
        vers_close(&ctx);
        return 0;
}

int cmd_shutdown(int argc, char **argv)
{
        if (cli_wants_help(argc, argv)) {
                printf("usage: vers shutdown\n\nStop every env cleanly (their disks stay) and "
                       "unmount the store. The next\nvers command mounts it again; stopped envs "
                       "start when used.\n");
                return 0;
        }
        struct vers_ctx ctx;
        int rc = cli_open(&ctx);
        if (rc)
                return rc;
        vers_error_t err = NULL;
        int n = 0;
        if (vers_shutdown(&ctx, &n, &err) < 0) {
                vers_close(&ctx);
                return cli_fail(&err);
        }
        printf("stopped %d env(s); store unmounted\n", n);
        vers_close(&ctx);
        return 0;
}
