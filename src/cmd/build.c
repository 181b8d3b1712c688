/* vers init, vers build */
#include "cli.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static const char init_help[] =
    "usage: vers init [--force]\n\n"
    "Create vers.toml (if missing) and .vers/ in the current directory.\n\n"
    "  --force    overwrite an existing vers.toml\n";

static const char default_toml[] =
    "[vm]\n"
    "memory_mib = 2048  # PostgreSQL needs memory for shared buffers\n"
    "vcpu = 1\n\n"
    "[storage]\n"
    "cluster_mib = 8000  # Database storage\n"
    "vm_mib = 4000\n\n"
    "# A database server that every env runs, ready when 'vers run' returns:\n"
    "# [services.postgres]\n"
    "# template = \"postgres@15\"\n"
    "# databases = [\"app\", \"test\"]\n"
    "# extensions = [\"uuid-ossp\", \"pg_trgm\"]\n"
    "#\n"
    "# [services.postgres.settings]\n"
    "# shared_buffers = \"256MB\"\n"
    "\n"
    "# Or build the image from a Dockerfile (FROM host, FROM debian:bookworm, FROM <tag>):\n"
    "# [builder]\n"
    "# dockerfile = \"Dockerfile\"\n"
    "# [builder.args]  # values for the Dockerfile's ARG instructions\n"
    "# PG_MAJOR = \"15\"\n";

int cmd_init(int argc, char **argv)
{
        static const struct option opts[] = {
            {"force", no_argument, NULL, 'f'}, CLI_OPT_HELP, {NULL, 0, NULL, 0}};
        bool force = false;
        int c;
        while ((c = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
                if (c == 'f')
                        force = true;
                else if (c == 'h')
                        return cli_print_help(init_help), 0;
                else
                        return cli_usage_error("vers init [--force]", "bad option");
        }
        if (optind < argc)
                return cli_usage_error("vers init [--force]", "unexpected argument '%s'",
                                       argv[optind]);
        vers_error_t err = NULL;
        if (mkdir(".vers", 0755) < 0 && errno != EEXIST) {
                vers_make_error(&err, errno, "cannot create .vers");
                return cli_fail(&err);
        }
        if (vers_path_exists("vers.toml") && !force) {
                printf("vers.toml exists; left as it is\n");
                return 0;
        }
        if (vers_write_file_atomic("vers.toml", default_toml, strlen(default_toml), 0644, &err) < 0)
                return cli_fail(&err);
        printf("wrote vers.toml and .vers/\n");
        return 0;
}

static const char build_help[] =
    "usage: vers build [--no-cache] [--json]\n\n"
    "Build the image for this project from vers.toml: by default the host's /usr read-only,\n"
    "a private /etc and /var; with [builder] dockerfile, that Dockerfile's steps (FROM host,\n"
    "FROM debian:<suite> through debootstrap, or FROM a tag of yours; RUN, COPY, ADD, ENV,\n"
    "ARG, WORKDIR, USER, EXPOSE, CMD, ENTRYPOINT). Then the services of [services.*] are\n"
    "initialised (PostgreSQL: cluster, settings, databases, extensions). Every step is a\n"
    "cached layer: a step whose inputs are unchanged is reused, and the output says so.\n"
    "[builder.args] NAME = value gives the Dockerfile's ARG NAME its value; a .dockerignore\n"
    "in the project leaves paths out of COPY and ADD.\n"
    "RUN steps reach the network (package archives); envs have loopback only.\n\n"
    "  --no-cache   redo every step even if an identical layer exists\n"
    "  --json       print {\"image\": ID, \"cached\": BOOL} (steps go to stderr)\n";

int cmd_build(int argc, char **argv)
{
        static const struct option opts[] = {
            {"no-cache", no_argument, NULL, 'n'}, CLI_OPT_JSON, CLI_OPT_HELP, {NULL, 0, NULL, 0}};
        bool no_cache = false, json = false;
        int c;
        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
                if (c == 'n')
                        no_cache = true;
                else if (c == 'J')
                        json = true;
                else if (c == 'h')
                        return cli_print_help(build_help), 0;
                else
                        return cli_usage_error("vers build [--no-cache]", "bad option");
        }
        if (optind < argc)
                return cli_usage_error("vers build [--no-cache]", "unexpected argument '%s'",
                                       argv[optind]);
        struct vers_ctx ctx;
        int rc = cli_open(&ctx);
        if (rc)
                return rc;
        vers_error_t err = NULL;
        if (cli_require_config(&ctx, &err) < 0) {
                vers_close(&ctx);
                return cli_fail(&err);
        }
        _cleanup_free_ char *id = NULL;
        bool cached = false;
        double t0 = vers_monotonic();
        if (vers_build(&ctx, &(struct vers_build_opts){.no_cache = no_cache, .verbose = true}, &id,
                       &cached, &err) < 0) {
                vers_close(&ctx);
                return cli_fail(&err);
        }
        if (json)
                printf("{\"image\": \"%s\", \"cached\": %s}\n", id, cached ? "true" : "false");
        else if (cached)
                printf("image %s (cached: nothing changed)\n", id);
        else
                printf("built image %s in %.1f s\n", id, vers_monotonic() - t0);
        vers_close(&ctx);
        return 0;
}
