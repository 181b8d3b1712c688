/* vers — main: find the command in cli_commands[] (src/cmd/table.c), check its command line,
 * do the setup its flags ask for, run it, print its error once, and make sure what it wrote
 * reached standard output. Only this layer prints and picks exit codes: 0, 1 for an error,
 * 129 for bad usage, or the exit code of what the command ran. */
#include "cli.h"
#include "base/trace.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

/* what an error exits with: 1, or 2 for a command whose 1 means something else (vers diff) */
static int error_exit = 1;

static int run_command(const struct cli_cmd *cmd, int argc, char **argv)
{
        /* a subcommand ("branch delete") */
        const struct cli_cmd *sub = argc > 1 ? cli_find(cmd->subs, argv[1]) : NULL;
        if (sub)
                return run_command(sub, argc - 1, argv + 1);
        int c = cli_check(cmd, argc, argv);
        if (c != CLI_DONE)
                return cli_parse_exit(c);
        if (!cmd->fn)
                return cli_usage_error(cmd->spec, "unknown subcommand '%s'", argv[1]);

        struct vers_ctx ctx;
        memset(&ctx, 0, sizeof ctx);
        if (isatty(2) || getenv("VERS_PROGRESS"))
                ctx.progress = cli_say;
        ctx.notice = cli_say;
        error_exit = (cmd->flags & CLI_ERROR_EXIT_2) ? 2 : 1;
        vers_error_t err = NULL;
        int rc = 0;
        unsigned setup = cli_setup(cmd, argc, argv);
        ctx.no_expiry_sweep = setup & CLI_OWN_EXPIRY;
        if (setup & CLI_OPENS_STORE) {
                rc = vers_open(&ctx, &err);
                vers_trace_mark("open");
        } else if (setup & CLI_FINDS_PROJECT)
                rc = vers_open_project(&ctx, &err);
        /* a project: vers.toml, .vers/ or vers-integration.yaml alone (engine/open.c) */
        if (rc == 0 && (setup & CLI_NEEDS_PROJECT) && !ctx.project_dir)
                rc = vers_make_error(&err, 0,
                                     "no vers.toml or vers-integration.yaml here or above (run "
                                     "'vers init')");
        if (rc == 0)
                rc = cmd->fn(&ctx, argc, argv, &err);
        if (setup & (CLI_OPENS_STORE | CLI_FINDS_PROJECT))
                vers_close(&ctx);
        if (rc < 0) {
                cli_say(err ? err->msg : "unknown error");
                rc = error_exit;
        }
        vers_error_free(&err);
        return rc;
}

/* Did what went to stdout get there? A reader that went away (vers status | head -1) ends
 * vers as SIGPIPE would have, quietly; any other failure is an error (git's check_pipe). */
static int finish(int rc)
{
        errno = 0;
        bool failed = fflush(stdout) != 0;
        int e = errno;
        failed |= ferror(stdout) != 0;
        if (!e)
                e = errno;
        if (fclose(stdout) != 0 && !failed) {
                failed = true;
                e = errno;
        }
        if (!failed)
                return rc;
        if (e == EPIPE) {
                signal(SIGPIPE, SIG_DFL);
                raise(SIGPIPE);
                return 128 + SIGPIPE;
        }
        fprintf(stderr, "vers: cannot write to standard output: %s\n", strerror(e ? e : EIO));
        return error_exit;
}

static int dispatch(int argc, char **argv)
{
        if (argc < 2) {
                cli_print_commands(stderr);
                return EXIT_USAGE;
        }
        const char *name = argv[1];
        if (!strcmp(name, "-h") || !strcmp(name, "--help") || !strcmp(name, "help")) {
                if (argc < 3 || strcmp(name, "help")) {
                        cli_print_commands(stdout);
                        return 0;
                }
                /* help CMD [SUB] */
                const struct cli_cmd *cmd = cli_find(cli_commands, argv[2]);
                const struct cli_cmd *sub = cmd && argc > 3 ? cli_find(cmd->subs, argv[3]) : NULL;
                if (!cmd) {
                        fprintf(stderr, "vers: '%s' is not a vers command (see 'vers --help')\n",
                                argv[2]);
                        return EXIT_USAGE;
                }
                cli_print_help(sub ? sub : cmd, stdout);
                return 0;
        }
        if (!strcmp(name, "--version") || !strcmp(name, "version")) {
                printf("vers 0.1.0\n");
                return 0;
        }
        const struct cli_cmd *cmd = cli_find(cli_commands, name);
        if (!cmd) {
                fprintf(stderr, "vers: '%s' is not a vers command (see 'vers --help')\n", name);
                return EXIT_USAGE;
        }
        return run_command(cmd, argc - 1, argv + 1);
}

/* VERS_TRACE=1: where the command's time went, on stderr */
static void print_trace(void)
{
        const char *t = getenv("VERS_TRACE");
        if (!t || !*t || !strcmp(t, "0"))
                return;
        _cleanup_free_ char *s = vers_trace_format(vers_trace_get());
        fprintf(stderr, "vers: trace: %s\n", s);
}

int main(int argc, char **argv)
{
        vers_trace_reset();
        int rc = finish(dispatch(argc, argv));
        print_trace();
        return rc;
}
