/* plan — the parts of 'vers test' that decide without running anything: which checkpoints a
 * suite makes and their keys, which branches run in which order, which tests are skipped.
 * Nothing here needs root, a store or an env (tests/unit/test_runner.c). */
#include "test/runner.h"
#include "base/hash.h"

#include <string.h>
#include <sys/stat.h>

size_t vers_test_n_checkpoints(const struct vers_suite *s)
{
        return s->n_checkpoints ? s->n_checkpoints : 1;
}

const char *vers_test_checkpoint_name(const struct vers_suite *s, size_t i)
{
        return s->n_checkpoints ? s->checkpoints[i].name : "base";
}

const char *vers_test_checkpoint_after(const struct vers_suite *s, size_t i)
{
        return s->n_checkpoints ? s->checkpoints[i].after : NULL;
}

/* Add every project file the command names (a word that is a regular file under the
 * project directory, no absolute path, no '..') with its name and content: editing
 * schema.sql changes the key. */
static void hash_command_inputs(struct vers_hash *h, const char *project, const char *cmd)
{
        static const char seps[] = " \t\n;|&<>()'\"";
        _cleanup_free_ char *copy = xstrdup(cmd);
        char *save = NULL;
        for (char *w = strtok_r(copy, seps, &save); w; w = strtok_r(NULL, seps, &save)) {
                if (w[0] == '/' || strstr(w, ".."))
                        continue;
                _cleanup_free_ char *path = xasprintf("%s/%s", project, w);
                struct stat st;
                if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                _cleanup_free_ char *text = NULL;
                size_t len = 0;
                if (vers_read_file(path, &text, &len, NULL) < 0)
                        continue;
                vers_hash_str(h, "file");
                vers_hash_str(h, w);
                vers_hash_add(h, text, len);
        }
}

char **vers_test_checkpoint_keys(const struct vers_suite *s, const char *image_key,
                                 const char *project_dir)
{
        size_t n = vers_test_n_checkpoints(s);
        char **keys = xcalloc(n + 1, sizeof *keys);
        for (size_t i = 0; i < n; i++) {
                const char *after = vers_test_checkpoint_after(s, i);
                struct vers_hash h;
                vers_hash_init(&h);
                vers_hash_str(&h, VERS_TEST_KEY_VERSION);
                vers_hash_str(&h, image_key);
                vers_hash_str(&h, i ? keys[i - 1] : ""); /* the chain: a key covers all before */
                vers_hash_str(&h, vers_test_checkpoint_name(s, i));
                vers_hash_str(&h, after ? "after" : "no after");
                vers_hash_str(&h, after);
                if (after && project_dir)
                        hash_command_inputs(&h, project_dir, after);
                keys[i] = xmalloc(VERS_HASH_HEX + 1);
                vers_hash_hex(&h, keys[i]);
        }
        return keys;
}

const char *vers_test_item_branch(const struct vers_test_item *it)
{
        return it->branch ? it->branch->name : "default";
}

/* only: NULL (everything), TEST, or TEST/BRANCH */
static bool selected(const char *only, const char *test, const char *branch)
{
        if (!only)
                return true;
        const char *slash = strchr(only, '/');
        if (!slash)
                return !strcmp(only, test);
        return strlen(test) == (size_t)(slash - only) && !strncmp(only, test, strlen(test)) &&
               !strcmp(slash + 1, branch);
}

int vers_test_plan(const struct vers_suite *s, const char *only, unsigned shard, unsigned of,
                   struct vers_test_item **items, size_t *n, vers_error_t *err)
{
        *items = NULL;
        *n = 0;
        _cleanup_free_ struct vers_test_cell *cells = NULL;
        size_t ncells = 0;
        if (vers_test_matrix(s, &cells, &ncells, err) < 0)
                return -1;
        for (size_t k = 0; k < ncells; k++) {
                const struct vers_suite_test *t = &s->tests[cells[k].test];
                if (!selected(only, cells[k].test_name, cells[k].branch_name) ||
                    (of && !vers_test_shard_has(k, shard, of)))
                        continue;
                *items = xrealloc(*items, (*n + 1) * sizeof **items);
                (*items)[(*n)++] = (struct vers_test_item){
                    cells[k].test, t->n_branches ? &t->branches[cells[k].branch] : NULL, k};
        }
        return 0;
}

const char *vers_test_blocked_by(const struct vers_suite *s, size_t test,
                                 const struct vers_test_report *rep)
{
        const struct vers_suite_test *t = &s->tests[test];
        const char *blocked = NULL;
        for (size_t d = 0; t->depends_on && t->depends_on[d]; d++) {
                const char *dep = t->depends_on[d];
                if (vers_suite_find_test(s, dep) < 0)
                        continue; /* a service */
                for (size_t i = 0; i < rep->n_results; i++) {
                        if (!strcmp(rep->results[i].test, dep) &&
                            rep->results[i].status != VERS_TEST_PASSED)
                                blocked = dep;
                }
        }
        return blocked;
}
