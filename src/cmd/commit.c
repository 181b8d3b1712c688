/* vers commit, vers commit list, vers tag list, vers tree */
#include "cli.h"
#include "engine/branching.h"
#include "engine/select.h"

#include <string.h>

static const struct cli_opt commit_opts[] = {
    {'b', "b", "env", "ENV", "the env (default: VERS_ENV, else HEAD)", 0, 0},
    /* the rule of base/names.h (vers_tag_valid) */
    {'t', "t", "tag", "TAG",
     "name the commit: 1..128 bytes of printable text, spaces inside it too\n"
     "(no '/', no '..', no leading '-' or space, not an id)",
     0, 0},
    {'m', "m", "message", "MSG", "describe it", 0, 0},
    {CLI_ID_WARM, NULL, "warm", NULL, "processes too, or fail saying why", 0, 0},
    {CLI_ID_COLD, NULL, "cold", NULL, "disk only", 0, 0},
    {CLI_ID_VERIFY, NULL, "verify", NULL, "warm: restore the dump once before trusting it", 0, 0},
    {CLI_ID_JSON, NULL, "json", NULL,
     "print the commit as JSON (with its \"pause_ms\"; warm, \"pause\": its parts)", 0, 0},
    {0},
};

const struct cli_spec cli_spec_commit = {
    .name = "commit",
    .operands = "[ENV]",
    .about =
        "Checkpoint an env (HEAD by default): its services' pre-commit hooks run (PostgreSQL:\n"
        "CHECKPOINT), then a read-only btrfs snapshot of its disk is taken, and it keeps\n"
        "running. The commit can be branched any number of times.\n\n"
        "A warm commit (the default where CRIU 4.2+ is usable) freezes the env and captures,\n"
        "in the same instant as the disk, every process with its memory, sockets and open\n"
        "sessions: a branch goes on from there (--json says how long the env was frozen). A\n"
        "cold commit holds the disk only, snapshotted without stopping the env (one instant\n"
        "of the whole disk, as after a power cut); its branches boot services.\n\n"
        "A commit belongs to its env's project; a tag is unique within that project (another\n"
        "project may use the same one) and resolves only there.\n\n"
        "A dump that a branch could not restore is not kept: an env whose mounts changed since\n"
        "it started (something mounted or remounted inside it, or from the host) is committed\n"
        "cold with a notice, and --warm fails. --verify also restores the dump once into a\n"
        "throwaway copy (stopped, then killed) and commits cold, or fails with --warm, if that\n"
        "does not work; it costs about one warm branch, so it is off unless asked for here or\n"
        "with [checkpoint] verify = true in vers.toml.\n\n"
        "A service the user stopped (pg_ctl stop) has its pre-commit hook skipped, with a\n"
        "notice; warm branches keep it stopped, cold ones boot it.\n",
    .opts = commit_opts,
    .max_operands = 1,
};

static json_t *commit_json(const struct vers_commit *c)
{
        return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:I}", "id",
                         vers_json_str(c->id), "tag", vers_json_str(c->tag), "message",
                         vers_json_str(c->message), "parent", vers_json_str(c->parent), "env",
                         vers_json_str(c->env), "image", vers_json_str(c->image), "project",
                         vers_json_str(c->project), "mode", c->mode ? c->mode : "cold", "created",
                         (json_int_t)c->created);
}

int cmd_commit(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        struct vers_pause parts = {0};
        struct vers_commit_opts o = {NULL, NULL, VERS_MODE_AUTO, false, &parts};
        const char *name = NULL;
        bool json = false;
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_commit, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0) {
                switch (c) {
                case 'b':
                        name = p.arg;
                        break;
                case 't':
                        o.tag = p.arg;
                        break;
                case 'm':
                        o.message = p.arg;
                        break;
                case CLI_ID_WARM:
                        o.mode = VERS_MODE_WARM;
                        break;
                case CLI_ID_COLD:
                        o.mode = VERS_MODE_COLD;
                        break;
                case CLI_ID_VERIFY:
                        o.verify = true;
                        break;
                case CLI_ID_JSON:
                        json = true;
                        break;
                }
        }
        if (c < 0)
                return cli_parse_exit(c);
        if (p.n_operands)
                name = p.operands[0];
        struct vers_commit out = {0};
        _cleanup_free_ char *env = NULL;
        double pause = 0;
        int r = vers_commit_target(ctx, name, &o, &out, &env, &pause, err);
        if (r == 0 && json) {
                json_t *doc = commit_json(&out);
                json_object_set_new(doc, "pause_ms", vers_json_seconds(pause));
                if (parts.warm)
                        json_object_set_new(
                            doc, "pause",
                            json_pack("{s:o, s:o, s:o, s:o}", "freeze_ms",
                                      vers_json_seconds(parts.freeze_ms), "dump_ms",
                                      vers_json_seconds(parts.dump_ms), "snapshot_ms",
                                      vers_json_seconds(parts.snapshot_ms), "resume_ms",
                                      vers_json_seconds(parts.resume_ms)));
                r = cli_json_print(doc, err);
        } else if (r == 0) {
                printf("commit %s%s%s%s of env %s (%s, paused %.1f ms)\n", out.id,
                       out.tag ? " [" : "", out.tag ? out.tag : "", out.tag ? "]" : "", env,
                       out.mode, pause);
        }
        vers_commit_clear(&out);
        return r;
}

/* ---- commit list, tag list --------------------------------------------------------------- */

static const struct cli_opt list_opts[] = {
    {'a', "a", "all", NULL, "every project's, with a PROJECT column", 0, 0},
    {CLI_ID_JSON, NULL, "json", NULL, "one object per commit", 0, 0},
    {0},
};

const struct cli_spec cli_spec_commit_list = {
    .name = "commit list",
    .about = "List this project's commits (outside any project: every project's), and those of\n"
             "older databases whose project is not known.\n",
    .opts = list_opts,
};

const struct cli_spec cli_spec_tag_list = {
    .name = "tag list",
    .about = "List this project's tagged commits (outside any project: every project's), and\n"
             "those of older databases whose project is not known.\n",
    .opts = list_opts,
};

const struct cli_spec cli_spec_tag = {
    .name = "tag",
    .about = "List this project's tagged commits (--all: every project's). Tag a commit\n"
             "with 'vers commit --tag TAG'; tags are unique within a project.\n",
    .min_operands = 1,
    .max_operands = -1,
    .missing = "which subcommand? ('vers tag list')",
};

static void print_commits(const struct vers_commit_list *l, bool tagged_only)
{
        if (!l->n) {
                fputs(tagged_only ? "no tags\n" : "no commits\n", stdout);
                return;
        }
        printf("%-12s  %-32s  %-5s  %-20s  %-19s  %s%s\n", "ID", "TAG", "MODE", "FROM ENV",
               "CREATED", l->wide ? "PROJECT  " : "", "MESSAGE");
        for (size_t i = 0; i < l->n; i++) {
                const struct vers_commit *c = &l->rows[i].commit;
                _cleanup_free_ char *when = cli_time(c->created);
                printf("%-12s  %-32s  %-5s  %-20s  %-19s  ", c->id, c->tag ? c->tag : "-",
                       c->mode ? c->mode : "cold", l->rows[i].env, when);
                if (l->wide)
                        printf("%s  ", c->project ? c->project : "-");
                printf("%s\n", c->message ? c->message : "");
        }
}

static int list(const struct cli_spec *spec, bool tagged_only, struct vers_ctx *ctx, int argc,
                char **argv, vers_error_t *err)
{
        bool json = false, all = false;
        _cleanup_parse_ struct cli_parse p = cli_parse_start(spec, argc, argv);
        int rc = cli_parse_flags(&p, &json, &all);
        if (rc)
                return rc;
        struct vers_commit_list l;
        if (vers_list_commits(ctx, tagged_only, all, &l, err) < 0)
                return -1;
        int r = 0;
        if (json) {
                json_t *a = json_array();
                for (size_t i = 0; i < l.n; i++)
                        json_array_append_new(a, commit_json(&l.rows[i].commit));
                r = cli_json_print(a, err);
        } else {
                print_commits(&l, tagged_only);
        }
        vers_commit_list_free(&l);
        return r;
}

int cmd_commit_list(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        return list(&cli_spec_commit_list, false, ctx, argc, argv, err);
}

int cmd_tag_list(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        return list(&cli_spec_tag_list, true, ctx, argc, argv, err);
}

/* ---- tree -------------------------------------------------------------------------------- */

static void tree_env_line(const struct vers_tree *t, const struct vers_env_row *r,
                          const char *prefix, bool last)
{
        const struct vers_env *e = &r->env;
        printf("%s%s env %s%s%s (%s)%s\n", prefix, last ? "└──" : "├──", e->id, e->alias ? " " : "",
               e->alias ? e->alias : "", r->running ? "running" : "stopped",
               r->head ? "  <- HEAD" : "");
}

static void tree_children(const struct vers_tree *t, const char *image, const char *parent,
                          const char *prefix);

static void tree_commit_line(const struct vers_tree *t, const struct vers_commit *c,
                             const char *prefix, bool last)
{
        bool head = t->head.kind == VERS_REF_COMMIT && !strcmp(t->head.id, c->id);
        printf("%s%s commit %s%s%s%s%s%s%s%s\n", prefix, last ? "└──" : "├──", c->id,
               c->tag ? " [" : "", c->tag ? c->tag : "", c->tag ? "]" : "", c->message ? " \"" : "",
               c->message ? c->message : "", c->message ? "\"" : "", head ? "  <- HEAD" : "");
        _cleanup_free_ char *p = xasprintf("%s%s", prefix, last ? "    " : "│   ");
        tree_children(t, NULL, c->id, p);
}

/* Is a node with this parent commit and image a child of (image, parent)? The children of an
 * image are the nodes that have no parent commit. */
static bool is_child(const char *node_parent, const char *node_image, const char *image,
                     const char *parent)
{
        if (parent)
                return node_parent && !strcmp(node_parent, parent);
        return !node_parent && node_image && !strcmp(node_image, image);
}

/* children of a commit (parent != NULL) or of an image (parent == NULL): commits, then envs */
static void tree_children(const struct vers_tree *t, const char *image, const char *parent,
                          const char *prefix)
{
        size_t total = 0, done = 0;
        for (size_t i = 0; i < t->n_commits; i++)
                total += is_child(t->commits[i].parent, t->commits[i].image, image, parent);
        for (size_t i = 0; i < t->n_envs; i++)
                total += is_child(t->envs[i].env.base, t->envs[i].env.image, image, parent);
        for (size_t i = 0; i < t->n_commits; i++) {
                if (is_child(t->commits[i].parent, t->commits[i].image, image, parent))
                        tree_commit_line(t, &t->commits[i], prefix, ++done == total);
        }
        for (size_t i = 0; i < t->n_envs; i++) {
                if (is_child(t->envs[i].env.base, t->envs[i].env.image, image, parent))
                        tree_env_line(t, &t->envs[i], prefix, ++done == total);
        }
}

static const struct cli_opt tree_opts[] = {
    {'a', "a", "all", NULL, "every project's", 0, 0},
    {0},
};

const struct cli_spec cli_spec_tree = {
    .name = "tree",
    .about = "Draw the commit graph: images, the commits made from them (with tags and messages)\n"
             "and the envs branched from each; HEAD is marked. This project's (and commits of\n"
             "older databases whose project is not known); outside any project, every "
             "project's.\n",
    .opts = tree_opts,
};

int cmd_tree(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        bool all = false;
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_tree, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0)
                all |= c == 'a';
        if (c < 0)
                return cli_parse_exit(c);
        struct vers_tree t;
        if (vers_tree_load(ctx, all, &t, err) < 0)
                return -1;
        for (size_t i = 0; i < t.n_images; i++) {
                _cleanup_free_ char *when = cli_time(t.images[i].created);
                printf("image %s (built %s)\n", t.images[i].id, when);
                tree_children(&t, t.images[i].id, NULL, "");
        }
        if (!t.n_images)
                fputs("nothing yet (run 'vers build')\n", stdout);
        vers_tree_free(&t);
        return 0;
}
