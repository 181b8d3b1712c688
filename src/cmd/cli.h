/* cli — what the command files share: opening the engine, finding the env a command acts on,
 * printing errors once, and the usage convention (exit 129 for bad usage, 1 for errors). */
#ifndef VERS_CLI_H
#define VERS_CLI_H

#include "engine/engine.h"
#include "base/strbuf.h"

#include <getopt.h>
#include <stdio.h>

#define EXIT_USAGE 129

struct cli_cmd {
        const char *name;
        const char *alias;
        int (*fn)(int argc, char **argv);
        const char *summary;
};

/* print "vers: <message>" for err, free it, return 1 */
int cli_fail(vers_error_t *err);
int cli_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* open ctx (prints the error itself); returns 0 or an exit code */
int cli_open(struct vers_ctx *ctx);
/* The env a command acts on: name (from -b), else VERS_ENV, else HEAD. With run_if_none, a
 * project that has no env yet gets one ('vers run'), as the seed's Quick Reference expects. */
int cli_target_env(struct vers_ctx *ctx, const char *name, bool run_if_none, bool start,
                   struct vers_env *out, vers_error_t *err);
/* fail unless the project has a vers.toml */
int cli_require_config(struct vers_ctx *ctx, vers_error_t *err);
/* true if --help/-h is among argv (before "--") */
bool cli_wants_help(int argc, char **argv);
void cli_print_help(const char *text);
char *cli_time(int64_t ms);
/* Before deleting n envs: 0 with yes; without a terminal on stdin, refuse (-1); else ask,
 * and -1 unless the answer is yes. */
int cli_confirm_delete(size_t n, bool yes, vers_error_t *err);
/* Is something of project (an env's, a commit's) listed and matched by a command run in ctx?
 * Commands act on the current project's envs; --all (all) and running outside any project
 * reach every project's. */
bool cli_in_scope(const struct vers_ctx *ctx, const char *project, bool all);

/* the common long options */
#define CLI_OPT_ENV                                                                                \
        {                                                                                          \
                "env", required_argument, NULL, 'b'                                                \
        }
#define CLI_OPT_JSON                                                                               \
        {                                                                                          \
                "json", no_argument, NULL, 'J'                                                     \
        }
#define CLI_OPT_HELP                                                                               \
        {                                                                                          \
                "help", no_argument, NULL, 'h'                                                     \
        }
#define CLI_OPT_WARM                                                                               \
        {                                                                                          \
                "warm", no_argument, NULL, 'W'                                                     \
        }
#define CLI_OPT_COLD                                                                               \
        {                                                                                          \
                "cold", no_argument, NULL, 'K'                                                     \
        }

int cmd_init(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_head(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_execute(int argc, char **argv);
int cmd_connect(int argc, char **argv);
int cmd_commit(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_tree(int argc, char **argv);
int cmd_branch(int argc, char **argv);
int cmd_checkout(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_shutdown(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
/* hidden: not in the command list */
int cmd_debug(int argc, char **argv);
int cmd_tunnel(int argc, char **argv);
int cmd_env(int argc, char **argv);
int cmd_test(int argc, char **argv);

#endif
