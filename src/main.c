/* vers — the command table and dispatch. Each command lives in src/cmd-*.c, parses its own
 * flags and calls the engine; only this layer prints and picks exit codes. */
#include "cli.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

static const struct cli_cmd commands[] = {
    {"init", NULL, cmd_init, "create vers.toml and .vers/ in this directory"},
    {"build", NULL, cmd_build, "build the project's image (cached)"},
    {"run", NULL, cmd_run, "start a new env from the image; it becomes HEAD"},
    {"status", "ps", cmd_status, "list envs"},
    {"execute", "exec", cmd_execute, "run a command inside an env"},
    {"connect", NULL, cmd_connect, "open a shell inside an env"},
    {"commit", NULL, cmd_commit, "checkpoint an env; 'commit list' lists commits"},
    {"branch", NULL, cmd_branch, "new env from an env or commit; 'branch list|delete'"},
    {"checkout", NULL, cmd_checkout, "make an env or commit HEAD"},
    {"head", NULL, cmd_head, "show HEAD"},
    {"rollback", NULL, cmd_rollback, "reset an env to a commit"},
    {"tag", NULL, cmd_tag, "'tag list': list tagged commits"},
    {"tree", NULL, cmd_tree, "draw the commit graph with its envs"},
    {"kill", "delete", cmd_delete, "stop and delete envs"},
    {"logs", NULL, cmd_logs, "show an env's service logs"},
    {"gc", NULL, cmd_gc, "reclaim what no commit or env refers to"},
    {"shutdown", NULL, cmd_shutdown, "stop every env and unmount the store"},
    {"test", NULL, cmd_test, "run vers-integration.yaml on branches of checkpoints"},
    {"tunnel", NULL, cmd_tunnel, "forward a host port to a port inside an env"},
    {"env", NULL, cmd_env, "print PGHOST/DATABASE_URL for clients on the host"},
    {"doctor", NULL, cmd_doctor, "report the kernel, CRIU and what works here"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
        fprintf(f, "usage: vers <command> [options]\n\n"
                   "Branch a running database environment copy-on-write.\n\ncommands:\n");
        for (size_t i = 0; i < N_COMMANDS; i++) {
                char name[32];
                snprintf(name, sizeof name, "%s%s%s", commands[i].name,
                         commands[i].alias ? "|" : "", commands[i].alias ? commands[i].alias : "");
                fprintf(f, "  %-16s %s\n", name, commands[i].summary);
        }
        fprintf(f, "\nEvery command takes --help. Commands that act on an env take -b/--env NAME\n"
                   "and honour VERS_ENV; otherwise they act on HEAD (.vers/HEAD).\n"
                   "VERS_ROOT (default /var/lib/vers) holds the store and metadata.\n");
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                usage(stderr);
                return EXIT_USAGE;
        }
        const char *name = argv[1];
        if (!strcmp(name, "-h") || !strcmp(name, "--help") || !strcmp(name, "help")) {
                if (argc > 2 && strcmp(name, "help") == 0) {
                        char *a[] = {argv[2], "--help", NULL};
                        for (size_t i = 0; i < N_COMMANDS; i++) {
                                if (!strcmp(argv[2], commands[i].name) ||
                                    (commands[i].alias && !strcmp(argv[2], commands[i].alias)))
                                        return commands[i].fn(2, a);
                        }
                }
                usage(stdout);
                return 0;
        }
        if (!strcmp(name, "--version") || !strcmp(name, "version")) {
                printf("vers 0.1.0\n");
                return 0;
        }
        for (size_t i = 0; i < N_COMMANDS; i++) {
                if (!strcmp(name, commands[i].name) ||
                    (commands[i].alias && !strcmp(name, commands[i].alias)))
                        return commands[i].fn(argc - 1, argv + 1);
        }
        if (!strcmp(name, "debug")) /* for tests, so not listed */
                return cmd_debug(argc - 1, argv + 1);
        fprintf(stderr, "vers: '%s' is not a vers command (see 'vers --help')\n", name);
        return EXIT_USAGE;
}
