/* cli — the command layer: the command table, one option table per command, and the output.
 *
 * Every command is a row of cli_commands[] (table.c): its name, alias, handler, summary and
 * the setup main() does for it (CLI_OPENS_STORE, CLI_NEEDS_PROJECT). Its options, operands
 * and help are one struct cli_spec, from which come the parsing (cli_next), the usage lines
 * and --help (options.c): they cannot drift apart. main() checks the command line against the
 * spec before any setup (so --help and bad usage need neither root nor a store), opens the
 * ctx, calls the handler, closes the ctx, prints the handler's error once ("vers: <message>")
 * and fails when standard output could not be written.
 *
 * A handler parses its options (cli_next), ends in one library call and prints the result to
 * stdout (human or --json, built with jansson: json.c). It returns 0, -1 with *err set, or an
 * exit code of its own (EXIT_USAGE for bad usage, a command's status for execute). It never
 * reads or writes the metadata or the store itself: scripts/check-cmd.sh says so.
 */
#ifndef VERS_CLI_H
#define VERS_CLI_H

#include "base/json.h"
#include "base/strbuf.h"
#include "engine/engine.h"

#include <jansson.h>
#include <stdio.h>

#define EXIT_USAGE 129

/* ---- options ----------------------------------------------------------------------------- */

struct cli_opt {
        int id;             /* what cli_next returns: the first short letter, or >= 256 */
        const char *shorts; /* its short letters ("nN"), or NULL */
        const char *name;   /* its long name ("alias"), or NULL */
        const char *arg;    /* the name of its argument ("NAME"), NULL: it takes none */
        const char *help;   /* what it does; lines after the first are indented to match */
        long min, max;      /* min < max: the argument is an integer in [min, max] */
};
/* ids of the options that have no short letter */
enum {
        CLI_ID_JSON = 256,
        CLI_ID_WARM,
        CLI_ID_COLD,
        CLI_ID_VERIFY,
        CLI_ID_COUNT,
        CLI_ID_NO_CACHE,
        CLI_ID_ONLY,
        CLI_ID_KEEP_FAILED,
        CLI_ID_JUNIT,
        CLI_ID_MIGRATIONS,
        CLI_ID_PULL,
        CLI_ID_LIST,
        CLI_ID_SHARD,
        CLI_ID_MERGE_JUNIT,
        CLI_ID_FORMAT,
        CLI_ID_IMAGE,
        CLI_ID_SUITE,
        CLI_ID_CHECKPOINT,
        CLI_ID_TIMINGS,
        CLI_ID_SIZE,
        CLI_ID_REFILL,
        CLI_ID_TTL,
        CLI_ID_EXPIRED,
        CLI_ID_FORCE,
        CLI_ID_SCHEMA,
        CLI_ID_DATA,
        CLI_ID_STAT,
        CLI_ID_LIMIT,
        CLI_ID_DIFF
};

struct cli_spec {
        const char *name;           /* as typed after "vers": "branch", "branch delete" */
        const char *operands;       /* the usage line's operands, before its options: "[ENV]" */
        const char *more;           /* further usage lines (after "vers NAME "), '\n'-separated */
        const char *about;          /* --help's description (paragraphs, '\n'-terminated lines) */
        const struct cli_opt *opts; /* ended by {0} */
        int min_operands;
        int max_operands;    /* -1: any number */
        const char *missing; /* the complaint when fewer than min_operands are given */
        /* options that, given, replace the command's setup flags (cli_setup), ended by {0} */
        const struct cli_opt_setup {
                int id;         /* an option's id */
                unsigned flags; /* CLI_FINDS_PROJECT, CLI_NO_SETUP, ... */
        } * setups;
};

/* A parse of argv (argv[0] is the command's name) against a spec. */
struct cli_parse {
        const struct cli_spec *spec;
        int argc;
        char **argv;
        int i;            /* next element of argv */
        const char *rest; /* the rest of a bundle of short options ("-yab") */
        bool done;        /* "--" was seen: the rest are operands */
        const char *arg;  /* the option's argument */
        long num;         /* and its value, for integer options */
        char **operands;  /* NULL-terminated */
        int n_operands;
        int dashdash; /* operands before "--"; -1 when there was none */
};
enum { CLI_DONE = 0, CLI_HELP = -1, CLI_BAD = -2 };

struct cli_parse cli_parse_start(const struct cli_spec *spec, int argc, char **argv);
void cli_parse_release(struct cli_parse *p);
#define _cleanup_parse_ __attribute__((cleanup(cli_parse_release)))
/* The next option's id (its argument in p->arg, and p->num), CLI_DONE when there are no
 * more (the operands are then all in p->operands, checked against the spec's counts),
 * CLI_HELP for -h/--help, or CLI_BAD (the complaint and the usage are printed). */
int cli_next(struct cli_parse *p);
/* The exit code for what cli_next returned last: 0 for CLI_HELP, EXIT_USAGE for CLI_BAD. */
int cli_parse_exit(int c);
/* Parse a command line of flags only: --json into *json, -a/--all into *all (NULL: the spec
 * has no such option). 0, or the exit code of cli_parse_exit (help shown, bad usage). */
int cli_parse_flags(struct cli_parse *p, bool *json, bool *all);
/* Print "vers: <message>" and the usage of spec on stderr; returns EXIT_USAGE. */
int cli_usage_error(const struct cli_spec *spec, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- the command table ------------------------------------------------------------------- */

typedef int cli_handler(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err);

enum {
        CLI_OPENS_STORE = 1,   /* vers_open(): root, the store, the metadata, the project */
        CLI_NEEDS_PROJECT = 2, /* fails without a vers.toml here or above */
        CLI_HIDDEN = 4,        /* not in 'vers --help' (tests' helpers) */
        CLI_FINDS_PROJECT = 8, /* vers_open_project() only: no root, store or metadata */
        CLI_NO_SETUP = 16,     /* (an option's setup) nothing at all: no project either */
        CLI_OWN_EXPIRY = 32,   /* (an option's setup) vers_open does not delete expired envs */
        CLI_ERROR_EXIT_2 = 64, /* an error exits 2, not 1 (vers diff: 1 means "different") */
};

struct cli_cmd {
        const char *name;
        const char *alias;
        cli_handler *fn; /* NULL: only its subcommands run */
        const char *summary;
        unsigned flags;
        const struct cli_spec *spec;
        const struct cli_cmd *subs; /* subcommands ("branch delete"), ended by a NULL name */
};

extern const struct cli_cmd cli_commands[]; /* ended by a NULL name */
const struct cli_cmd *cli_find(const struct cli_cmd *table, const char *name);
/* 'vers --help' */
void cli_print_commands(FILE *f);
/* A command's usage lines, its own and its subcommands', each starting with "vers ". */
void cli_print_usage(const struct cli_cmd *cmd, FILE *f, const char *first_prefix);
/* --help of cmd: usage, description, options, subcommands. */
void cli_print_help(const struct cli_cmd *cmd, FILE *f);
/* Check argv against cmd's spec, printing --help or the complaint: 0 when a handler may run,
 * CLI_HELP or CLI_BAD. */
int cli_check(const struct cli_cmd *cmd, int argc, char **argv);
/* The setup main() does for a checked command line: cmd's flags, or those its spec's setups
 * give the last such option given ('vers test --list' finds the project, opens no store). */
unsigned cli_setup(const struct cli_cmd *cmd, int argc, char **argv);

/* ---- output ------------------------------------------------------------------------------ */

/* the progress and notice lines of the library (ctx->progress, ctx->notice), on stderr */
void cli_say(const char *msg);
void cli_sayf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *cli_time(int64_t ms);
/* Before deleting n envs: yes, else ask on a terminal; without one, refuse. */
int cli_confirm_delete(size_t n, bool yes, vers_error_t *err);

/* JSON values: base/json.h (vers_json_str, vers_json_text, vers_json_seconds) */
/* Print doc (and a newline) on stdout and release it. A list of records prints one record
 * a line ("[\n  {...},\n  {...}\n]"), so that line tools see one record a line; the rest as
 * jansson writes it. */
int cli_json_print(json_t *doc, vers_error_t *err);
/* the same on f, without the newline; -1 when jansson could not write it */
int cli_json_dumpf(json_t *doc, FILE *f);

/* 'vers kill' and 'vers branch delete': -y, --all, and envs by name or (patterns) by glob */
int cli_delete_envs(struct vers_ctx *ctx, const struct cli_spec *spec, bool patterns, int argc,
                    char **argv, vers_error_t *err);

/* ---- the commands ------------------------------------------------------------------------ */

#define CLI_COMMAND(fn, spec)                                                                      \
        cli_handler fn;                                                                            \
        extern const struct cli_spec spec

CLI_COMMAND(cmd_init, cli_spec_init);
CLI_COMMAND(cmd_build, cli_spec_build);
CLI_COMMAND(cmd_run, cli_spec_run);
CLI_COMMAND(cmd_status, cli_spec_status);
CLI_COMMAND(cmd_branch_list, cli_spec_branch_list);
CLI_COMMAND(cmd_head, cli_spec_head);
CLI_COMMAND(cmd_logs, cli_spec_logs);
CLI_COMMAND(cmd_execute, cli_spec_execute);
CLI_COMMAND(cmd_connect, cli_spec_connect);
CLI_COMMAND(cmd_commit, cli_spec_commit);
CLI_COMMAND(cmd_commit_list, cli_spec_commit_list);
CLI_COMMAND(cmd_tag_list, cli_spec_tag_list);
extern const struct cli_spec cli_spec_tag;
CLI_COMMAND(cmd_tree, cli_spec_tree);
CLI_COMMAND(cmd_branch, cli_spec_branch);
CLI_COMMAND(cmd_branch_delete, cli_spec_branch_delete);
CLI_COMMAND(cmd_checkout, cli_spec_checkout);
CLI_COMMAND(cmd_rollback, cli_spec_rollback);
CLI_COMMAND(cmd_delete, cli_spec_delete);
CLI_COMMAND(cmd_gc, cli_spec_gc);
CLI_COMMAND(cmd_shutdown, cli_spec_shutdown);
CLI_COMMAND(cmd_doctor, cli_spec_doctor);
CLI_COMMAND(cmd_test, cli_spec_test);
CLI_COMMAND(cmd_tunnel, cli_spec_tunnel);
CLI_COMMAND(cmd_diff, cli_spec_diff);
CLI_COMMAND(cmd_env, cli_spec_env);
CLI_COMMAND(cmd_export, cli_spec_export);
CLI_COMMAND(cmd_push, cli_spec_push);
CLI_COMMAND(cmd_pull, cli_spec_pull);
CLI_COMMAND(cmd_kube, cli_spec_kube);
CLI_COMMAND(cmd_pool, cli_spec_pool);
CLI_COMMAND(cmd_pool_list, cli_spec_pool_list);
CLI_COMMAND(cmd_pool_drain, cli_spec_pool_drain);
CLI_COMMAND(cmd_debug_failpoints, cli_spec_debug_failpoints);
CLI_COMMAND(cmd_bundle_create, cli_spec_bundle_create);
CLI_COMMAND(cmd_bundle_unbundle, cli_spec_bundle_unbundle);
CLI_COMMAND(cmd_bundle_key, cli_spec_bundle_key);
CLI_COMMAND(cmd_bundle_trust, cli_spec_bundle_trust);
extern const struct cli_spec cli_spec_bundle;
extern const struct cli_spec cli_spec_debug;
CLI_COMMAND(cmd_doc, cli_spec_doc);
CLI_COMMAND(cmd_complete, cli_spec_complete);

/* ---- man pages and completion (doc.c), from cli_commands[] -------------------------------- */

/* vers-NAME.1 of a command (FRAGMENTS/NAME.roff, if there is one, added before SEE ALSO) */
int cli_doc_man_page(const struct cli_cmd *cmd, const char *fragments, FILE *f, vers_error_t *err);
/* vers.1: the commands, FRAGMENTS/vers.roff */
int cli_doc_man_index(const char *fragments, FILE *f, vers_error_t *err);
/* the completion scripts: bash (completions/vers), zsh (site-functions/_vers) */
void cli_doc_bash(FILE *f);
void cli_doc_zsh(FILE *f);

#endif
