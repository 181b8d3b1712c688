/* complete — values for shell completion, read without side effects (complete.h). */
#include "engine/complete.h"
#include "engine/engine-private.h"
#include "format/suite.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* readers wait this long for a writer's lock, at most: completion must not hang */
#define BUSY_MS 50

/* Only values made of the characters vers's names, ids and test names use: what a shell does
 * with a completion never sees anything else, whatever a damaged vers.db holds. */
static bool plain(const char *s)
{
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || strchr("._-/:@+", *s)))
                        return false;
        return true;
}

static void add(char ***out, const char *value, const char *prefix)
{
        if (value && *value && plain(value) && !strncmp(value, prefix, strlen(prefix)))
                strv_push(out, value);
}

/* a row of project (or of none) is this project's */
static bool ours(const char *row_project, const char *project)
{
        return !project || !row_project || !strcmp(row_project, project);
}

static int from_meta(const char *kind, const char *project, const char *prefix, char ***out,
                     vers_error_t *err)
{
        const char *root = getenv("VERS_ROOT");
        _cleanup_free_ char *real = realpath(root && *root ? root : VERS_DEFAULT_ROOT, NULL);
        if (!real)
                return vers_make_error(err, errno, "no VERS_ROOT");
        struct vers_meta m;
        if (vers_meta_open_readonly(real, BUSY_MS, &m, err) < 0)
                return -1;
        int r = 0;
        if (!strcmp(kind, "env")) {
                struct vers_env *envs = NULL;
                size_t n = 0;
                r = vers_meta_list_live_envs(&m, NULL, &envs, &n, err);
                for (size_t i = 0; r == 0 && i < n; i++) {
                        if (ours(envs[i].project, project)) {
                                add(out, envs[i].alias, prefix);
                                add(out, envs[i].id, prefix);
                        }
                }
                for (size_t i = 0; i < n; i++)
                        vers_env_clear(&envs[i]);
                free(envs);
        } else {
                bool tags_only = !strcmp(kind, "tag");
                struct vers_commit *cs = NULL;
                size_t n = 0;
                r = vers_meta_list_ready_commits(&m, tags_only, &cs, &n, err);
                for (size_t i = 0; r == 0 && i < n; i++) {
                        if (ours(cs[i].project, project)) {
                                add(out, cs[i].tag, prefix);
                                if (!tags_only)
                                        add(out, cs[i].id, prefix);
                        }
                }
                for (size_t i = 0; i < n; i++)
                        vers_commit_clear(&cs[i]);
                free(cs);
        }
        vers_meta_close(&m);
        return r;
}

static int from_suite(const char *project, const char *prefix, char ***out, vers_error_t *err)
{
        if (!project)
                return 0;
        _cleanup_free_ char *path = xasprintf("%s/vers-integration.yaml", project);
        struct vers_suite s;
        if (vers_suite_load(path, &s, err) < 0)
                return -1;
        for (size_t i = 0; i < s.n_tests; i++) {
                const struct vers_suite_test *t = &s.tests[i];
                add(out, t->name, prefix);
                for (size_t j = 0; j < t->n_branches; j++) {
                        _cleanup_free_ char *tb = xasprintf("%s/%s", t->name, t->branches[j].name);
                        add(out, tb, prefix);
                }
        }
        vers_suite_free(&s);
        return 0;
}

int vers_complete_values(const char *kind, const char *prefix, char ***out, vers_error_t *err)
{
        *out = NULL;
        struct vers_ctx ctx;
        memset(&ctx, 0, sizeof ctx);
        int r = vers_open_project(&ctx, err);
        if (r == 0) {
                if (!strcmp(kind, "test"))
                        r = from_suite(ctx.project_dir, prefix, out, err);
                else if (!strcmp(kind, "env") || !strcmp(kind, "commit") || !strcmp(kind, "tag"))
                        r = from_meta(kind, ctx.project_dir, prefix, out, err);
                else
                        r = vers_make_error(err, 0, "no completion for '%s'", kind);
        }
        vers_config_free(&ctx.cfg);
        free(ctx.project_dir);
        if (r < 0) {
                strv_free(*out);
                *out = NULL;
        }
        return r;
}
