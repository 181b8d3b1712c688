/* vers bundle create|unbundle|key|trust */
#include "cli.h"
#include "ship/bundle.h"

#include <string.h>

const struct cli_spec cli_spec_bundle = {
    .name = "bundle",
    .about =
        "Carry commits to another vers machine (or another VERS_ROOT) as one file: the\n"
        "commit's disk as a btrfs send stream, full or incremental, its image's configuration\n"
        "and, for a warm commit, its CRIU images, signed with this root's key.\n\n"
        "The receiver keeps the warm images only when the bundle is signed by a key it trusts\n"
        "('vers bundle key' there, 'vers bundle trust' here) and CRIU, the kernel, the id\n"
        "range and the host's packages are the same; otherwise the commit is cold, with a\n"
        "notice for each reason.\n",
};

static const struct cli_opt create_opts[] = {
    {'s', "s", "since", "COMMIT",
     "incremental: only what changed since COMMIT, which the receiver\n"
     "must have unbundled from this root before",
     0, 0},
    {CLI_ID_JSON, NULL, "json", NULL, "print the result as JSON", 0, 0},
    {0},
};

const struct cli_spec cli_spec_bundle_create = {
    .name = "bundle create",
    .operands = "FILE COMMIT",
    .about = "Write COMMIT (a tag, id or id prefix) into FILE (replaced atomically).\n\n"
             "--since C sends only the difference from commit C (btrfs send -p): much smaller,\n"
             "but the receiver must already have C from this root (unbundled from a bundle\n"
             "this root made); without it, unbundling fails naming C.\n",
    .opts = create_opts,
    .min_operands = 2,
    .max_operands = 2,
    .missing = "which file and which commit?",
};

static const struct cli_opt json_opts[] = {
    {CLI_ID_JSON, NULL, "json", NULL, "print the result as JSON", 0, 0},
    {0},
};

const struct cli_spec cli_spec_bundle_unbundle = {
    .name = "bundle unbundle",
    .operands = "FILE",
    .about = "Make the commit in FILE here, in the current project: it keeps its id when that\n"
             "is free in this root, its tag when free in the project, its parent when that was\n"
             "unbundled here too, and branches like any other commit. Every part is checked\n"
             "against the manifest's size and SHA-256; the disk is received with 'btrfs receive\n"
             "--chroot' and its files given this root's ids. Nothing is left on any failure.\n\n"
             "It is warm only when signed by a trusted key and made with the same CRIU version,\n"
             "kernel release, env id range and (an image that binds the host's /usr) the same\n"
             "host packages; else cold, with a notice per reason.\n",
    .opts = json_opts,
    .min_operands = 1,
    .max_operands = 1,
    .missing = "which bundle?",
};

const struct cli_spec cli_spec_bundle_key = {
    .name = "bundle key",
    .about = "Print this root's public key ('vers-ed25519 HEX'), made with its private key\n"
             "(VERS_ROOT/bundle.key, mode 0600) on first use. Give it to 'vers bundle trust'\n"
             "on the receiving side.\n",
};

const struct cli_spec cli_spec_bundle_trust = {
    .name = "bundle trust",
    .operands = "FILE",
    .about = "Trust the public key in FILE ('-': standard input), as 'vers bundle key' printed\n"
             "it on the sending side: warm images of bundles it signed may then be restored\n"
             "here, which runs what they describe as root. Kept in VERS_ROOT/trusted-keys.\n",
    .min_operands = 1,
    .max_operands = 1,
    .missing = "which key file?",
};

static int print_result(const char *verb, const char *file, const struct vers_bundle_result *r,
                        bool json, vers_error_t *err)
{
        if (json)
                return cli_json_print(
                    json_pack("{s:s, s:o, s:s, s:o, s:I, s:o, s:b}", "commit", r->commit, "tag",
                              vers_json_str(r->tag), "mode", r->mode, "since",
                              vers_json_str(r->since), "bytes", (json_int_t)r->bytes, "seconds",
                              vers_json_seconds(r->seconds), "signed_trusted", r->signed_trusted),
                    err);
        _cleanup_free_ char *tag = r->tag ? xasprintf(" '%s'", r->tag) : xstrdup("");
        _cleanup_free_ char *since =
            r->since ? xasprintf(", incremental on %s", r->since) : xstrdup("");
        printf("%s %s%s (%s%s): %s, %lld bytes, %.2f s\n", verb, r->commit, tag, r->mode, since,
               file, (long long)r->bytes, r->seconds);
        return 0;
}

int cmd_bundle_create(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        const char *since = NULL;
        bool json = false;
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_bundle_create, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0) {
                if (c == 's')
                        since = p.arg;
                else if (c == CLI_ID_JSON)
                        json = true;
        }
        if (c != CLI_DONE)
                return cli_parse_exit(c);
        struct vers_bundle_result r;
        if (vers_bundle_create(ctx, p.operands[0], p.operands[1], since, &r, err) < 0)
                return -1;
        int ret = print_result("bundled", p.operands[0], &r, json, err);
        vers_bundle_result_clear(&r);
        return ret;
}

int cmd_bundle_unbundle(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        bool json = false;
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_bundle_unbundle, argc, argv);
        int rc = cli_parse_flags(&p, &json, NULL);
        if (rc)
                return rc;
        struct vers_bundle_result r;
        if (vers_bundle_unbundle(ctx, p.operands[0], &r, err) < 0)
                return -1;
        int ret = print_result("unbundled", p.operands[0], &r, json, err);
        vers_bundle_result_clear(&r);
        return ret;
}

int cmd_bundle_key(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_bundle_key, argc, argv);
        int rc = cli_parse_flags(&p, NULL, NULL);
        if (rc)
                return rc;
        _cleanup_free_ char *line = NULL;
        if (vers_bundle_key(ctx, &line, err) < 0)
                return -1;
        printf("%s\n", line);
        return 0;
}

int cmd_bundle_trust(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_bundle_trust, argc, argv);
        int rc = cli_parse_flags(&p, NULL, NULL);
        if (rc)
                return rc;
        _cleanup_free_ char *line = NULL;
        bool added = false;
        if (vers_bundle_trust(ctx, p.operands[0], &line, &added, err) < 0)
                return -1;
        printf("%s %s\n", added ? "trusted" : "already trusted:", line);
        return 0;
}
