/* vers execute|exec, vers connect */
#include "cli.h"

#include <string.h>

static const char execute_help[] =
    "usage: vers execute [ENV] \"COMMAND\" [-b ENV] [-t SECS] [-w DIR] [-e KEY=VALUE]...\n"
    "       vers execute [ENV] -- PROGRAM [ARGS...]\n\n"
    "Run a command inside an env (HEAD unless ENV, -b or VERS_ENV names one), in the\n"
    "project directory, and exit with its exit code. A single COMMAND string is run by\n"
    "/bin/sh -c. Inside an env with PostgreSQL a bare 'psql' reaches the first database.\n\n"
    "  -t, --timeout SECS   kill the command after SECS seconds (exit 124)\n"
    "  -w, --workdir DIR    directory inside the env to run in\n"
    "  -e, --env-var K=V    set an environment variable for the command\n";

static const char connect_help[] =
    "usage: vers connect [ENV] [-b ENV] [-c COMMAND]\n\n"
    "Open a shell inside an env (with a terminal when stdin is one), in the project\n"
    "directory. With -c, run COMMAND instead, like 'vers execute'.\n";

static int run_in_env(int argc, char **argv, bool connect)
{
        static const struct option opts[] = {CLI_OPT_ENV,
                                             {"timeout", required_argument, NULL, 't'},
                                             {"workdir", required_argument, NULL, 'w'},
                                             {"env-var", required_argument, NULL, 'e'},
                                             {"command", required_argument, NULL, 'c'},
                                             CLI_OPT_HELP,
                                             {NULL, 0, NULL, 0}};
        const char *usage = connect ? "vers connect [ENV] [-c COMMAND]"
                                    : "vers execute [ENV] \"COMMAND\" [-t SECS] [-w DIR]";
        const char *name = NULL, *workdir = NULL, *command = NULL;
        long timeout = 0;
        _cleanup_strv_ char **extra = NULL;
        int c;
        while ((c = getopt_long(argc, argv, connect ? "b:c:w:e:h" : "b:t:w:e:h", opts, NULL)) !=
               -1) {
                switch (c) {
                case 'b':
                        name = optarg;
                        break;
                case 't': {
                        char *end;
                        timeout = strtol(optarg, &end, 10);
                        if (*end || timeout <= 0 || timeout > 86400 * 7)
                                return cli_usage_error(usage, "bad timeout '%s' (seconds)", optarg);
                        break;
                }
                case 'w':
                        workdir = optarg;
                        break;
                case 'e':
                        if (!strchr(optarg, '=') || optarg[0] == '=')
                                return cli_usage_error(usage, "-e takes KEY=VALUE, not '%s'",
                                                       optarg);
                        strv_push(&extra, optarg);
                        break;
                case 'c':
                        command = optarg;
                        break;
                case 'h':
                        cli_print_help(connect ? connect_help : execute_help);
                        return 0;
                default:
                        return cli_usage_error(usage, "bad option");
                }
        }
        int rest = argc - optind;
        char **args = argv + optind;
        bool dashdash = optind > 0 && !strcmp(argv[optind - 1], "--");
        if (workdir && workdir[0] != '/')
                return cli_usage_error(usage, "workdir '%s' must be an absolute path", workdir);
        struct vers_ctx ctx;
        int rc = cli_open(&ctx);
        if (rc)
                return rc;
        vers_error_t err = NULL;
        /* a first argument that names an env is the env (when something follows it, or
         * for connect) */
        if (!name && rest >= 1 && !dashdash && (connect || rest >= 2)) {
                struct vers_ref ref = {VERS_REF_NONE, NULL};
                vers_error_t e2 = NULL;
                if (vers_resolve(&ctx, args[0], &ref, &e2) == 0 && ref.kind == VERS_REF_ENV) {
                        name = args[0];
                        args++;
                        rest--;
                        if (rest > 0 && !strcmp(args[0], "--")) {
                                args++;
                                rest--;
                                dashdash = true;
                        }
                }
                vers_ref_clear(&ref);
                vers_error_free(&e2);
        }
        char *shell_argv[] = {"/bin/sh", "-c", NULL, NULL};
        char *login_argv[] = {"/bin/bash", "-l", NULL};
        char *const *cmd_argv;
        _cleanup_strbuf_ struct strbuf joined = STRBUF_INIT;
        if (connect) {
                if (rest > 0) {
                        vers_close(&ctx);
                        return cli_usage_error(usage, "unexpected argument '%s' (use -c)", args[0]);
                }
                if (command) {
                        shell_argv[2] = (char *)command;
                        cmd_argv = shell_argv;
                } else {
                        if (access("/bin/bash", X_OK) != 0)
                                login_argv[0] = "/bin/sh";
                        cmd_argv = login_argv;
                }
        } else {
                if (rest == 0) {
                        vers_close(&ctx);
                        return cli_usage_error(usage, "no command given");
                }
                if (dashdash) {
                        cmd_argv = args;
                } else {
                        for (int i = 0; i < rest; i++)
                                strbuf_addf(&joined, "%s%s", i ? " " : "", args[i]);
                        shell_argv[2] = joined.buf;
                        cmd_argv = shell_argv;
                }
        }
        struct vers_env e = {0};
        int status = 1;
        if (cli_target_env(&ctx, name, true, true, &e, &err) < 0)
                goto fail;
        struct vers_exec_opts o = {
            .workdir = workdir,
            .timeout_sec = (int)timeout,
            .pty = connect && !command && isatty(0),
            .extra_env = extra,
        };
        if (vers_env_exec(&ctx, &e, cmd_argv, &o, &status, &err) < 0)
                goto fail;
        vers_env_clear(&e);
        vers_close(&ctx);
        return status;
fail:
        vers_env_clear(&e);
        vers_close(&ctx);
        return cli_fail(&err);
}

int cmd_execute(int argc, char **argv)
{
        return run_in_env(argc, argv, false);
}

int cmd_connect(int argc, char **argv)
{
        return run_in_env(argc, argv, true);
}
