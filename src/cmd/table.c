/* table — the commands (git's commands[] in git.c): name, alias, handler, summary, the setup
 * main() does before the handler runs, the option table, and subcommands. */
#include "cli.h"

#include <string.h>

#define STORE CLI_OPENS_STORE

static const struct cli_cmd commit_subs[] = {
    {"list", NULL, cmd_commit_list, "list commits", STORE, &cli_spec_commit_list, NULL},
    {NULL, NULL, NULL, NULL, 0, NULL, NULL},
};

static const struct cli_cmd branch_subs[] = {
    {"list", NULL, cmd_branch_list,
     "this project's envs (as 'vers status'; --all: every project's)", STORE, &cli_spec_branch_list,
     NULL},
    {"delete", NULL, cmd_branch_delete,
     "delete this project's envs whose alias or id matches a shell\nglob ('test-*'; -y without a "
     "terminal; --all: every project's)",
     STORE, &cli_spec_branch_delete, NULL},
    {NULL, NULL, NULL, NULL, 0, NULL, NULL},
};

static const struct cli_cmd tag_subs[] = {
    {"list", NULL, cmd_tag_list, "list tagged commits", STORE, &cli_spec_tag_list, NULL},
    {NULL, NULL, NULL, NULL, 0, NULL, NULL},
};

static const struct cli_cmd bundle_subs[] = {
    {"create", NULL, cmd_bundle_create, "write a commit (full, or --since a commit) into FILE",
     STORE, &cli_spec_bundle_create, NULL},
    {"unbundle", NULL, cmd_bundle_unbundle, "make the commit in FILE here", STORE,
     &cli_spec_bundle_unbundle, NULL},
    {"key", NULL, cmd_bundle_key, "print this root's public key", STORE, &cli_spec_bundle_key,
     NULL},
    {"trust", NULL, cmd_bundle_trust, "trust a public key for warm bundles", STORE,
     &cli_spec_bundle_trust, NULL},
    {NULL, NULL, NULL, NULL, 0, NULL, NULL},
};

static const struct cli_cmd pool_subs[] = {
    {"list", NULL, cmd_pool_list, "this project's pools (--all: every project's)", STORE,
     &cli_spec_pool_list, NULL},
    {"drain", NULL, cmd_pool_drain, "delete a pool's ready envs and forget the pool", STORE,
     &cli_spec_pool_drain, NULL},
    {NULL, NULL, NULL, NULL, 0, NULL, NULL},
};

static const struct cli_cmd debug_subs[] = {
    {"failpoints", NULL, cmd_debug_failpoints, "list the failpoints", 0, &cli_spec_debug_failpoints,
     NULL},
    {NULL, NULL, NULL, NULL, 0, NULL, NULL},
};

const struct cli_cmd cli_commands[] = {
    {"init", NULL, cmd_init, "create vers.toml and .vers/ in this directory", 0, &cli_spec_init,
     NULL},
    {"build", NULL, cmd_build, "build the project's image (cached)", STORE | CLI_NEEDS_PROJECT,
     &cli_spec_build, NULL},
    {"run", NULL, cmd_run, "start a new env from the image; it becomes HEAD",
     STORE | CLI_NEEDS_PROJECT, &cli_spec_run, NULL},
    {"status", "ps", cmd_status, "list envs", STORE, &cli_spec_status, NULL},
    {"execute", "exec", cmd_execute, "run a command inside an env", STORE, &cli_spec_execute, NULL},
    {"connect", NULL, cmd_connect, "open a shell inside an env", STORE, &cli_spec_connect, NULL},
    {"commit", NULL, cmd_commit, "checkpoint an env; 'commit list' lists commits", STORE,
     &cli_spec_commit, commit_subs},
    {"branch", NULL, cmd_branch, "new env from an env or commit; 'branch list|delete'", STORE,
     &cli_spec_branch, branch_subs},
    {"pool", NULL, cmd_pool, "keep branches of a commit ready; 'pool list|drain'", STORE,
     &cli_spec_pool, pool_subs},
    {"checkout", NULL, cmd_checkout, "make an env or commit HEAD", STORE, &cli_spec_checkout, NULL},
    {"head", NULL, cmd_head, "show HEAD", STORE, &cli_spec_head, NULL},
    {"rollback", NULL, cmd_rollback, "reset an env to a commit", STORE, &cli_spec_rollback, NULL},
    {"tag", NULL, NULL, "'tag list': list tagged commits", 0, &cli_spec_tag, tag_subs},
    {"tree", NULL, cmd_tree, "draw the commit graph with its envs", STORE, &cli_spec_tree, NULL},
    {"kill", "delete", cmd_delete, "stop and delete envs", STORE, &cli_spec_delete, NULL},
    {"logs", NULL, cmd_logs, "show an env's service logs", STORE, &cli_spec_logs, NULL},
    {"gc", NULL, cmd_gc, "reclaim what no commit or env refers to", STORE, &cli_spec_gc, NULL},
    {"shutdown", NULL, cmd_shutdown, "stop every env and unmount the store", STORE,
     &cli_spec_shutdown, NULL},
    {"test", NULL, cmd_test, "run vers-integration.yaml on branches of checkpoints", STORE,
     &cli_spec_test, NULL},
    {"diff", NULL, cmd_diff, "what differs between two envs or commits (schema, counts, rows)",
     STORE | CLI_ERROR_EXIT_2, &cli_spec_diff, NULL},
    {"tunnel", NULL, cmd_tunnel, "forward a host port to a port inside an env", STORE,
     &cli_spec_tunnel, NULL},
    {"env", NULL, cmd_env, "print PGHOST/DATABASE_URL for clients on the host", STORE,
     &cli_spec_env, NULL},
    {"export", NULL, cmd_export, "write a commit as an OCI or docker image archive", STORE,
     &cli_spec_export, NULL},
    {"push", NULL, cmd_push, "send a commit's image to a registry", STORE, &cli_spec_push, NULL},
    {"pull", NULL, cmd_pull, "make a pushed image a commit of this project", STORE, &cli_spec_pull,
     NULL},
    {"kube", NULL, cmd_kube,
     "print a Kubernetes Pod (or a suite's Indexed Job) running a pushed commit", STORE,
     &cli_spec_kube, NULL},
    {"bundle", NULL, NULL, "carry commits to another vers: 'bundle create|unbundle|key|trust'", 0,
     &cli_spec_bundle, bundle_subs},
    {"doctor", NULL, cmd_doctor, "report the kernel, CRIU and what works here", 0, &cli_spec_doctor,
     NULL},
    {"debug", NULL, NULL, "helpers for vers's tests", CLI_HIDDEN, &cli_spec_debug, debug_subs},
    /* what make builds and shells run: man pages, completion scripts, completion's values */
    {"__doc", NULL, cmd_doc, "man pages and completion scripts", CLI_HIDDEN, &cli_spec_doc, NULL},
    {"__complete", NULL, cmd_complete, "values for shell completion (read-only)", CLI_HIDDEN,
     &cli_spec_complete, NULL},
    {NULL, NULL, NULL, NULL, 0, NULL, NULL},
};

const struct cli_cmd *cli_find(const struct cli_cmd *table, const char *name)
{
        for (const struct cli_cmd *c = table; c && c->name; c++)
                if (!strcmp(name, c->name) || (c->alias && !strcmp(name, c->alias)))
                        return c;
        return NULL;
}

void cli_print_commands(FILE *f)
{
        fprintf(f, "usage: vers <command> [options]\n\n"
                   "Branch a running database environment copy-on-write.\n\ncommands:\n");
        for (const struct cli_cmd *c = cli_commands; c->name; c++) {
                if (c->flags & CLI_HIDDEN)
                        continue;
                _cleanup_free_ char *name =
                    xasprintf("%s%s%s", c->name, c->alias ? "|" : "", c->alias ? c->alias : "");
                fprintf(f, "  %-16s %s\n", name, c->summary);
        }
        fprintf(f, "\nEvery command takes --help ('vers help COMMAND' says the same). Commands\n"
                   "that act on an env take -b/--env NAME and honour VERS_ENV; otherwise they\n"
                   "act on HEAD (.vers/HEAD). VERS_ROOT (default /var/lib/vers) holds the store\n"
                   "and metadata.\n");
}
