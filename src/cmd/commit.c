/* vers commit, vers commit list, vers tag list, vers tree */
#include "cli.h"

#include <string.h>

static const char commit_help[] =
    "usage: vers commit [ENV] [-b ENV] [--tag|-t TAG] [-m MESSAGE] [--warm|--cold] [--verify]\n"
    "                   [--json]\n"
    "       vers commit list [--json] [--all]\n\n"
    "Checkpoint an env (HEAD by default): its services' pre-commit hooks run (PostgreSQL:\n"
    "CHECKPOINT), the env is frozen for the instant of a read-only btrfs snapshot, and\n"
    "keeps running. The commit can be branched any number of times.\n\n"
    "A warm commit (the default where CRIU 4.2+ is usable) also captures, in the same\n"
    "frozen instant, every process with its memory, sockets and open sessions: a branch\n"
    "goes on from there. A cold commit holds the disk only; its branches boot services.\n\n"
    "A commit belongs to its env's project; a tag is unique within that project (another\n"
    "project may use the same one) and resolves only there.\n\n"
    "A dump that a branch could not restore is not kept: an env whose mounts changed since\n"
    "it started (something mounted or remounted inside it, or from the host) is committed\n"
    "cold with a notice, and --warm fails. --verify also restores the dump once into a\n"
    "throwaway copy (stopped, then killed) and commits cold, or fails with --warm, if that\n"
    "does not work; it costs about one warm branch, so it is off unless asked for here or\n"
    "with [checkpoint] verify = true in vers.toml.\n\n"
    "A service the user stopped (pg_ctl stop) has its pre-commit hook skipped, with a\n"
    "notice; warm branches keep it stopped, cold ones boot it.\n\n"
    "  -t, --tag TAG       name the commit (at most 128 characters; not an id)\n"
    "  -m, --message MSG   describe it\n"
    "      --warm          processes too, or fail saying why\n"
    "      --cold          disk only\n"
    "      --verify        warm: restore the dump once before trusting it\n";

static void json_str_or_null(struct strbuf *sb, const char *s)
{
        if (s)
                strbuf_add_json_str(sb, s);
        else
                strbuf_addstr(sb, "null");
}

static void commit_json(struct strbuf *sb, const struct vers_commit *c, double pause_ms)
{
        strbuf_addstr(sb, "{\"id\": ");
        strbuf_add_json_str(sb, c->id);
        strbuf_addstr(sb, ", \"tag\": ");
        json_str_or_null(sb, c->tag);
        strbuf_addstr(sb, ", \"message\": ");
        json_str_or_null(sb, c->message);
        strbuf_addstr(sb, ", \"parent\": ");
        json_str_or_null(sb, c->parent);
        strbuf_addstr(sb, ", \"env\": ");
        json_str_or_null(sb, c->env);
        strbuf_addstr(sb, ", \"image\": ");
        json_str_or_null(sb, c->image);
        strbuf_addstr(sb, ", \"project\": ");
        json_str_or_null(sb, c->project);
        strbuf_addf(sb, ", \"mode\": \"%s\", \"created\": %lld", c->mode ? c->mode : "cold",
                    (long long)c->created);
        if (pause_ms >= 0)
                strbuf_addf(sb, ", \"pause_ms\": %.3f", pause_ms);
        strbuf_addstr(sb, "}");
}

/* Commits shown in ctx's project: its own and those of no known project (older databases). */
static bool commit_in_scope(const struct vers_ctx *ctx, const struct vers_commit *c, bool all)
{
        return !c->project || cli_in_scope(ctx, c->project, all);
}

static int list_commits(bool tagged_only, int argc, char **argv)
{
        static const struct option opts[] = {
            CLI_OPT_JSON, {"all", no_argument, NULL, 'a'}, CLI_OPT_HELP, {NULL, 0, NULL, 0}};
        const char *what = tagged_only ? "tag" : "commit";
        bool json = false, all = false;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "+ah", opts, NULL)) != -1) {
                if (c == 'J')
                        json = true;
                else if (c == 'a')
                        all = true;
                else if (c == 'h') {
                        printf("usage: vers %s list [--json] [--all]\n\n"
                               "List this project's %s (outside any project: every project's),\n"
                               "and those of older databases whose project is not known.\n"
                               "  -a, --all   every project's, with a PROJECT column\n",
                               what, tagged_only ? "tagged commits" : "commits");
                        return 0;
                } else
                        return cli_usage_error(NULL, "bad option");
        }
        struct vers_ctx ctx;
        int rc = cli_open(&ctx);
        if (rc)
                return rc;
        vers_error_t err = NULL;
        struct vers_commit *cs = NULL;
        size_t n = 0;
        if (vers_meta_list_commits(
                &ctx.meta, tagged_only ? "state = 'ready' AND tag IS NOT NULL" : "state = 'ready'",
                NULL, &cs, &n, &err) < 0) {
                vers_close(&ctx);
                return cli_fail(&err);
        }
        bool wide = all || !ctx.project_dir;
        size_t kept = 0;
        for (size_t i = 0; i < n; i++) {
                if (commit_in_scope(&ctx, &cs[i], all))
                        cs[kept++] = cs[i];
                else
                        vers_commit_clear(&cs[i]);
        }
        n = kept;
        struct strbuf sb = STRBUF_INIT;
        if (json)
                strbuf_addstr(&sb, "[");
        else if (n)
                strbuf_addf(&sb, "%-12s  %-32s  %-5s  %-20s  %-19s  %s%s\n", "ID", "TAG", "MODE",
                            "FROM ENV", "CREATED", wide ? "PROJECT  " : "", "MESSAGE");
        for (size_t i = 0; i < n; i++) {
                if (json) {
                        strbuf_addstr(&sb, i ? ",\n  " : "\n  ");
                        commit_json(&sb, &cs[i], -1);
                        continue;
                }
                _cleanup_free_ char *when = cli_time(cs[i].created);
                _cleanup_free_ char *env = vers_env_label(&ctx, cs[i].env);
                strbuf_addf(&sb, "%-12s  %-32s  %-5s  %-20s  %-19s  ", cs[i].id,
                            cs[i].tag ? cs[i].tag : "-", cs[i].mode ? cs[i].mode : "cold", env,
                            when);
                if (wide)
                        strbuf_addf(&sb, "%s  ", cs[i].project ? cs[i].project : "-");
                strbuf_addf(&sb, "%s\n", cs[i].message ? cs[i].message : "");
        }
        if (json)
                strbuf_addstr(&sb, n ? "\n]\n" : "]\n");
        else if (!n)
                strbuf_addstr(&sb, tagged_only ? "no tags\n" : "no commits\n");
        fputs(sb.buf, stdout);
        strbuf_release(&sb);
        vers_commits_free(cs, n);
        vers_close(&ctx);
        return 0;
}

int cmd_commit(int argc, char **argv)
{
        if (argc > 1 && !strcmp(argv[1], "list"))
                return list_commits(false, argc - 1, argv + 1);
        static const struct option opts[] = {CLI_OPT_ENV,
                                             {"tag", required_argument, NULL, 't'},
                                             {"message", required_argument, NULL, 'm'},
                                             CLI_OPT_WARM,
                                             CLI_OPT_COLD,
                                             {"verify", no_argument, NULL, 'V'},
                                             CLI_OPT_JSON,
                                             CLI_OPT_HELP,
                                             {NULL, 0, NULL, 0}};
        const char *usage = "vers commit [ENV] [--tag TAG] [-m MESSAGE] [--verify] [--json]";
        struct vers_commit_opts o = {NULL, NULL, VERS_MODE_AUTO, false};
        const char *name = NULL;
        bool json = false;
        int c;
        while ((c = getopt_long(argc, argv, "b:t:m:h", opts, NULL)) != -1) {
                switch (c) {
                case 'b':
                        name = optarg;
                        break;
                case 't':
                        o.tag = optarg;
                        break;
                case 'm':
                        o.message = optarg;
                        break;
                case 'W':
                        o.mode = VERS_MODE_WARM;
                        break;
                case 'K':
                        o.mode = VERS_MODE_COLD;
                        break;
                case 'V':
                        o.verify = true;
                        break;
                case 'J':
                        json = true;
                        break;
                case 'h':
                        cli_print_help(commit_help);
                        return 0;
                default:
                        return cli_usage_error(usage, "bad option");
                }
        }
        if (optind < argc)
                name = argv[optind++];
        if (optind < argc)
                return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
        struct vers_ctx ctx;
        int rc = cli_open(&ctx);
        if (rc)
                return rc;
        vers_error_t err = NULL;
        struct vers_env e = {0};
        struct vers_commit out = {0};
        double pause = 0;
        if (cli_target_env(&ctx, name, true, false, &e, &err) < 0 ||
            vers_env_commit(&ctx, e.id, &o, &out, &pause, &err) < 0) {
                vers_env_clear(&e);
                vers_close(&ctx);
                return cli_fail(&err);
        }
        if (json) {
                struct strbuf sb = STRBUF_INIT;
                commit_json(&sb, &out, pause);
                printf("%s\n", sb.buf);
                strbuf_release(&sb);
        } else {
                printf("commit %s%s%s%s of env %s (%s, paused %.1f ms)\n", out.id,
                       out.tag ? " [" : "", out.tag ? out.tag : "", out.tag ? "]" : "",
                       e.alias ? e.alias : e.id, out.mode, pause);
        }
        vers_commit_clear(&out);
        vers_env_clear(&e);
        vers_close(&ctx);
        return 0;
}

int cmd_tag(int argc, char **argv)
{
        if (argc > 1 && !strcmp(argv[1], "list"))
                return list_commits(true, argc - 1, argv + 1);
        if (cli_wants_help(argc, argv) || argc == 1) {
                printf("usage: vers tag list [--json] [--all]\n\nList this project's tagged "
                       "commits (--all: every project's). Tag a commit\nwith 'vers commit --tag "
                       "TAG'; tags are unique within a project.\n");
                return argc == 1 ? EXIT_USAGE : 0;
        }
        return cli_usage_error("vers tag list [--json] [--all]", "unknown subcommand '%s'",
                               argv[1]);
}

/* ---- tree ------------------------------------------------------------------------------ */

struct tree {
        struct vers_ctx *ctx;
        struct vers_commit *cs;
        size_t nc;
        struct vers_env *es;
        size_t ne;
        struct vers_ref head;
        struct strbuf out;
};

static void tree_env_line(struct tree *t, const struct vers_env *e, const char *prefix, bool last)
{
        bool head = t->head.kind == VERS_REF_ENV && !strcmp(t->head.id, e->id);
        strbuf_addf(&t->out, "%s%s env %s%s%s%s (%s)%s\n", prefix, last ? "└──" : "├──", e->id,
                    e->alias ? " " : "", e->alias ? e->alias : "", "",
                    vers_env_is_running(e) ? "running" : "stopped", head ? "  <- HEAD" : "");
}

static void tree_children(struct tree *t, const char *image, const char *parent,
                          const char *prefix);

static void tree_commit_line(struct tree *t, const struct vers_commit *c, const char *prefix,
                             bool last)
{
        bool head = t->head.kind == VERS_REF_COMMIT && !strcmp(t->head.id, c->id);
        strbuf_addf(&t->out, "%s%s commit %s%s%s%s%s%s%s%s\n", prefix, last ? "└──" : "├──", c->id,
                    c->tag ? " [" : "", c->tag ? c->tag : "", c->tag ? "]" : "",
                    c->message ? " \"" : "", c->message ? c->message : "", c->message ? "\"" : "",
                    head ? "  <- HEAD" : "");
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
static void tree_children(struct tree *t, const char *image, const char *parent, const char *prefix)
{
        size_t total = 0, done = 0;
        for (size_t i = 0; i < t->nc; i++)
                total += is_child(t->cs[i].parent, t->cs[i].image, image, parent);
        for (size_t i = 0; i < t->ne; i++)
                total += is_child(t->es[i].base, t->es[i].image, image, parent);
        for (size_t i = 0; i < t->nc; i++) {
                if (is_child(t->cs[i].parent, t->cs[i].image, image, parent))
                        tree_commit_line(t, &t->cs[i], prefix, ++done == total);
        }
        for (size_t i = 0; i < t->ne; i++) {
                if (is_child(t->es[i].base, t->es[i].image, image, parent))
                        tree_env_line(t, &t->es[i], prefix, ++done == total);
        }
}

/* Is image id one the tree shows: built in scope, or the image of a shown commit or env? */
static bool image_in_tree(const struct tree *t, const struct vers_image *im, bool all)
{
        if (cli_in_scope(t->ctx, im->project, all))
                return true;
        for (size_t i = 0; i < t->nc; i++)
                if (t->cs[i].image && !strcmp(t->cs[i].image, im->id))
                        return true;
        for (size_t i = 0; i < t->ne; i++)
                if (t->es[i].image && !strcmp(t->es[i].image, im->id))
                        return true;
        return false;
}

static const char tree_help[] =
    "usage: vers tree [--all]\n\n"
    "Draw the commit graph: images, the commits made from them (with tags and messages)\n"
    "and the envs branched from each; HEAD is marked. This project's (and commits of older\n"
    "databases whose project is not known); outside any project, every project's.\n"
    "  -a, --all   every project's\n";

int cmd_tree(int argc, char **argv)
{
        static const struct option opts[] = {
            {"all", no_argument, NULL, 'a'}, CLI_OPT_HELP, {NULL, 0, NULL, 0}};
        bool all = false;
        int c;
        while ((c = getopt_long(argc, argv, "+ah", opts, NULL)) != -1) {
                if (c == 'a')
                        all = true;
                else if (c == 'h')
                        return cli_print_help(tree_help), 0;
                else
                        return cli_usage_error("vers tree [--all]", "bad option");
        }
        if (optind < argc)
                return cli_usage_error("vers tree [--all]", "unexpected argument '%s'",
                                       argv[optind]);
        struct vers_ctx ctx;
        int rc = cli_open(&ctx);
        if (rc)
                return rc;
        vers_error_t err = NULL;
        struct tree t = {&ctx, NULL, 0, NULL, 0, {VERS_REF_NONE, NULL}, STRBUF_INIT};
        struct vers_image *is = NULL;
        size_t ni = 0;
        if (vers_meta_list_commits(&ctx.meta, "state = 'ready'", NULL, &t.cs, &t.nc, &err) < 0 ||
            vers_meta_list_envs(&ctx.meta, "state IN ('running','stopped','rollback')", NULL, &t.es,
                                &t.ne, &err) < 0 ||
            vers_meta_list_images(&ctx.meta, "state = 'ready'", NULL, &is, &ni, &err) < 0 ||
            vers_head_get(&ctx, &t.head, &err) < 0) {
                vers_commits_free(t.cs, t.nc);
                vers_envs_free(t.es, t.ne);
                vers_images_free(is, ni);
                vers_close(&ctx);
                return cli_fail(&err);
        }
        size_t kept = 0;
        for (size_t i = 0; i < t.nc; i++) {
                if (commit_in_scope(&ctx, &t.cs[i], all))
                        t.cs[kept++] = t.cs[i];
                else
                        vers_commit_clear(&t.cs[i]);
        }
        t.nc = kept;
        kept = 0;
        for (size_t i = 0; i < t.ne; i++) {
                if (cli_in_scope(&ctx, t.es[i].project, all))
                        t.es[kept++] = t.es[i];
                else
                        vers_env_clear(&t.es[i]);
        }
        t.ne = kept;
        size_t shown = 0;
        for (size_t i = 0; i < ni; i++) {
                if (!image_in_tree(&t, &is[i], all))
                        continue;
                _cleanup_free_ char *when = cli_time(is[i].created);
                strbuf_addf(&t.out, "image %s (built %s)\n", is[i].id, when);
                tree_children(&t, is[i].id, NULL, "");
                shown++;
        }
        if (!shown)
                strbuf_addstr(&t.out, "nothing yet (run 'vers build')\n");
        fputs(t.out.buf, stdout);
        strbuf_release(&t.out);
        vers_commits_free(t.cs, t.nc);
        vers_envs_free(t.es, t.ne);
        vers_images_free(is, ni);
        vers_ref_clear(&t.head);
        vers_close(&ctx);
        return 0;
}
