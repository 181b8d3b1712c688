/* vers export, vers push, vers kube */
#include "cli.h"
#include "ship/podckpt.h"
#include "ship/ship.h"

#include <string.h>

static const struct cli_opt export_opts[] = {
    {'o', "o", "output", "FILE", "write the image to FILE (required)", 0, 0},
    {CLI_ID_FORMAT, NULL, "format", "FORMAT",
     "oci (an oci-archive, the default) or docker (a docker-archive)", 0, 0},
    {CLI_ID_CHECKPOINT, NULL, "checkpoint", NULL,
     "experimental: a warm commit's processes as 'podman container checkpoint\n"
     "--export' writes them, for 'podman container restore --import' (see README)",
     0, 0},
    {0},
};

const struct cli_spec cli_spec_export = {
    .name = "export",
    .operands = "COMMIT",
    .about = "Write a commit as an image that 'podman load -i FILE' takes: the base image's\n"
             "layers (FROM a registry image), the built image's, then the commit's changes; its\n"
             "entrypoint is vers-init, which starts the env's services. Images built FROM host\n"
             "are refused (they would carry this machine's /usr).\n",
    .opts = export_opts,
    .min_operands = 1,
    .max_operands = 1,
    .missing = "which commit?",
};

int cmd_export(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        const char *file = NULL;
        enum vers_ship_format format = VERS_SHIP_OCI;
        bool checkpoint = false, format_given = false;
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_export, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0) {
                format_given |= c == CLI_ID_FORMAT;
                if (c == 'o')
                        file = p.arg;
                else if (c == CLI_ID_FORMAT && !strcmp(p.arg, "oci"))
                        format = VERS_SHIP_OCI;
                else if (c == CLI_ID_FORMAT && !strcmp(p.arg, "docker"))
                        format = VERS_SHIP_DOCKER;
                else if (c == CLI_ID_FORMAT)
                        return cli_usage_error(&cli_spec_export, "--format '%s': not oci or docker",
                                               p.arg);
                else if (c == CLI_ID_CHECKPOINT)
                        checkpoint = true;
        }
        if (c < 0)
                return cli_parse_exit(c);
        if (!file)
                return cli_usage_error(&cli_spec_export, "-o FILE is required");
        if (checkpoint && format_given)
                return cli_usage_error(&cli_spec_export,
                                       "--format is the image's; --checkpoint writes podman's "
                                       "checkpoint archive");
        if (checkpoint) {
                if (vers_ship_export_checkpoint(ctx, p.operands[0], file, err) < 0)
                        return -1;
                printf("exported the checkpoint of %s to %s\n", p.operands[0], file);
                return 0;
        }
        if (vers_ship_export(ctx, p.operands[0], file, format, err) < 0)
                return -1;
        printf("exported %s to %s\n", p.operands[0], file);
        return 0;
}

const struct cli_spec cli_spec_push = {
    .name = "push",
    .operands = "COMMIT REF",
    .about = "Send a commit's image (as 'vers export' makes it) to a registry with skopeo;\n"
             "layers the registry has are not sent again. Loopback registries may be plain\n"
             "http. 'vers kube' runs the last REF a commit was pushed to.\n",
    .opts = (const struct cli_opt[]){{0}},
    .min_operands = 2,
    .max_operands = 2,
    .missing = "usage: vers push COMMIT REF",
};

int cmd_push(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_push, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0)
                ;
        if (c < 0)
                return cli_parse_exit(c);
        if (vers_ship_push(ctx, p.operands[0], p.operands[1], err) < 0)
                return -1;
        printf("pushed %s to %s\n", p.operands[0], p.operands[1]);
        return 0;
}

static const struct cli_opt pull_opts[] = {
    {CLI_ID_JSON, NULL, "json", NULL, "print the commit as {\"id\", \"tag\", \"parent\"}", 0, 0},
    {0},
};

const struct cli_spec cli_spec_pull = {
    .name = "pull",
    .operands = "REF",
    .about = "Pull an image 'vers push' sent (skopeo) and make it a commit of this project,\n"
             "ready to branch cold: its id, tag and parent are kept from the image's annotations\n"
             "where they are free (the parent only when it is this project's commit), and its\n"
             "checkpoint key, so that 'vers test' uses it.\n",
    .opts = pull_opts,
    .min_operands = 1,
    .max_operands = 1,
    .missing = "which image?",
};

int cmd_pull(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        bool json = false;
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_pull, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0)
                json |= c == CLI_ID_JSON;
        if (c < 0)
                return cli_parse_exit(c);
        struct vers_commit cm;
        if (vers_ship_pull(ctx, p.operands[0], &cm, err) < 0)
                return -1;
        int r = 0;
        if (json)
                r = cli_json_print(json_pack("{s:s, s:o, s:o}", "id", cm.id, "tag",
                                             cm.tag ? json_string(cm.tag) : json_null(), "parent",
                                             cm.parent ? json_string(cm.parent) : json_null()),
                                   err);
        else
                printf("pulled %s as commit %s%s%s\n", p.operands[0], cm.id, cm.tag ? " " : "",
                       cm.tag ? cm.tag : "");
        vers_commit_clear(&cm);
        return r;
}

static const struct cli_opt kube_opts[] = {
    {CLI_ID_IMAGE, NULL, "image", "REF", "the image to run (default: where the commit was pushed)",
     0, 0},
    {CLI_ID_SUITE, NULL, "suite", NULL,
     "an Indexed Job instead: one completion per test×branch cell of the suite\n"
     "(FILE, default vers-integration.yaml of the project)",
     0, 0},
    {0},
};

const struct cli_spec cli_spec_kube = {
    .name = "kube",
    .operands = "COMMIT",
    .more = "COMMIT --suite [FILE]",
    .about = "Print a Pod manifest (YAML) that runs a pushed commit: its service ports, a\n"
             "readiness probe on the first, its env ('podman kube play' takes it).\n"
             "With --suite, an Indexed Job: each completion's pod runs the image's services\n"
             "(/.vers/init), waits for them, then its cell's 'before' and 'command' with the\n"
             "branch's env, in the suite's directory, mounted as the volume 'project' (a\n"
             "hostPath of that directory: replace it with your CI's checkout).\n",
    .opts = kube_opts,
    .min_operands = 1,
    .max_operands = 2,
    .missing = "which commit?",
};

int cmd_kube(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        const char *image = NULL;
        bool suite = false;
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_kube, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0) {
                if (c == CLI_ID_IMAGE)
                        image = p.arg;
                suite |= c == CLI_ID_SUITE;
        }
        if (c < 0)
                return cli_parse_exit(c);
        if (p.n_operands > 1 && !suite)
                return cli_usage_error(&cli_spec_kube, "a suite FILE goes with --suite");
        _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
        if ((suite ? vers_ship_kube_job(ctx, p.operands[0], image,
                                        p.n_operands > 1 ? p.operands[1] : NULL, &out, err)
                   : vers_ship_kube_pod(ctx, p.operands[0], image, &out, err)) < 0)
                return -1;
        fputs(out.buf, stdout);
        return 0;
}
