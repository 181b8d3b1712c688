/* vers init, vers build */
#include "cli.h"
#include "engine/scaffold.h"

static const struct cli_opt init_opts[] = {
    {'f', "f", "force", NULL, "overwrite an existing vers.toml", 0, 0},
    {0},
};

const struct cli_spec cli_spec_init = {
    .name = "init",
    .about = "Create vers.toml (if missing) and .vers/ in the current directory.\n",
    .opts = init_opts,
};

int cmd_init(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        bool force = false;
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_init, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0)
                force |= c == 'f';
        if (c < 0)
                return cli_parse_exit(c);
        bool wrote;
        if (vers_project_init(".", force, &wrote, err) < 0)
                return -1;
        fputs(wrote ? "wrote vers.toml and .vers/\n" : "vers.toml exists; left as it is\n", stdout);
        return 0;
}

static const struct cli_opt build_opts[] = {
    {'f', "f", "file", "FILE",
     "build this Dockerfile (default: [builder] dockerfile, else the project's Dockerfile)", 0, 0},
    {CLI_ID_PULL, NULL, "pull", NULL,
     "ask the registry again for every FROM image, even one already in the cache", 0, 0},
    {CLI_ID_NO_CACHE, NULL, "no-cache", NULL, "redo every step even if an identical layer exists",
     0, 0},
    {CLI_ID_JSON, NULL, "json", NULL,
     "print {\"image\": ID, \"cached\": BOOL} (steps go to stderr)", 0, 0},
    {0},
};

const struct cli_spec cli_spec_build = {
    .name = "build",
    .about =
        "Build the image for this project from vers.toml: by default the host's /usr read-only,\n"
        "a private /etc and /var; with [builder] dockerfile, that Dockerfile's steps (FROM host,\n"
        "FROM debian:<suite> through debootstrap, or FROM a tag of yours; RUN, COPY, ADD, ENV,\n"
        "ARG, WORKDIR, USER, EXPOSE, CMD, ENTRYPOINT). Then the services of [services.*] are\n"
        "initialised (PostgreSQL: cluster, settings, databases, extensions). Every step is a\n"
        "cached layer: a step whose inputs are unchanged is reused, and the output says so.\n"
        "[builder.args] NAME = value gives the Dockerfile's ARG NAME its value; a .dockerignore\n"
        "in the project leaves paths out of COPY and ADD.\n"
        "RUN steps reach the network (package archives); envs have loopback only.\n",
    .opts = build_opts,
};

int cmd_build(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        struct vers_build_opts o = {.no_cache = false, .verbose = true};
        bool json = false;
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_build, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0) {
                o.no_cache |= c == CLI_ID_NO_CACHE;
                o.pull |= c == CLI_ID_PULL;
                if (c == 'f')
                        o.file = p.arg;
                json |= c == CLI_ID_JSON;
        }
        if (c < 0)
                return cli_parse_exit(c);
        _cleanup_free_ char *id = NULL;
        bool cached = false;
        double t0 = vers_monotonic();
        if (vers_build(ctx, &o, &id, &cached, err) < 0)
                return -1;
        if (json)
                return cli_json_print(json_pack("{s:s, s:b}", "image", id, "cached", cached), err);
        if (cached)
                printf("image %s (cached: nothing changed)\n", id);
        else
                printf("built image %s in %.1f s\n", id, vers_monotonic() - t0);
        return 0;
}
