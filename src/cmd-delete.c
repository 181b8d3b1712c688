/* vers kill|delete, vers gc, vers shutdown */
#include "cli.h"

#include <string.h>

static const char delete_help[] =
    "usage: vers kill ENV... [-y]\n"
    "       vers delete ENV... [-y]\n\n"
    "Stop envs and delete their disks. Commits made from them stay.\n"
    "  -y, --yes   do not ask (vers only asks when stdin is a terminal)\n";

int cmd_delete(int argc, char **argv)
{
        static const struct option opts[] = {
            {"yes", no_argument, NULL, 'y'}, CLI_OPT_HELP, {NULL, 0, NULL, 0}};
        bool yes = false;
        int c;
        while ((c = getopt_long(argc, argv, "yh", opts, NULL)) != -1) {
                if (c == 'y')
                        yes = true;
                else if (c == 'h')
                        return cli_print_help(delete_help), 0;
                else
                        return cli_usage_error("vers kill ENV... [-y]", "bad option");
        }
        if (optind >= argc)
                return cli_usage_error("vers kill ENV... [-y]", "which env?");
        struct vers_ctx ctx;
        int rc = cli_open(&ctx);
        if (rc)
                return rc;
        vers_error_t err = NULL;
        _cleanup_strv_ char **ids = NULL;
        for (int i = optind; i < argc; i++) {
                struct vers_ref ref = {VERS_REF_NONE, NULL};
                if (vers_resolve(&ctx, argv[i], &ref, &err) < 0) {
                        vers_close(&ctx);
                        return cli_fail(&err);
                }
                if (ref.kind != VERS_REF_ENV) {
                        vers_ref_clear(&ref);
                        vers_close(&ctx);
                        vers_make_error(&err, 0, "'%s' is a commit, not an env", argv[i]);
                        return cli_fail(&err);
                }
                strv_push(&ids, ref.id);
                vers_ref_clear(&ref);
        }
        _cleanup_free_ char *q = xasprintf("delete %zu env(s)?", strv_len(ids));
        if (!yes && !cli_confirm(q)) {
                vers_close(&ctx);
                fprintf(stderr, "vers: nothing deleted\n");
                return 1;
        }
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
