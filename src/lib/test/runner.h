/* runner — 'vers test': run a vers-integration.yaml suite on branches of checkpoints.
 *
 * 1. The suite's services (and vm sizes) replace vers.toml's for this run; the image is built
 *    (or taken from the cache).
 * 2. Checkpoints run in order, each committed (tagged with its name). Each has a key
 *    (vers_test_checkpoint_keys): a SHA-256 of the image's build key (what it was built from,
 *    not its id, so another root or machine building the same project gets the same key), its
 *    parent's key, its name, its command and the name and content of every project file its
 *    command names, kept in its commit's checkpoint_key (meta.h). A ready commit of the
 *    project with the same key is reused, not rebuilt, so a second run of an unchanged suite
 *    seeds nothing at all, and a checkpoint pulled from a registry ('vers pull' keeps the key)
 *    or unbundled is used as it is.
 * 3. Tests run in depends_on order; a test whose dependency failed is skipped. Each branch
 *    of a test (one "default" branch when none are listed) gets its own env branched from the
 *    last checkpoint; up to jobs branches run at once, each in its own process with its own
 *    metadata connection. 'before' runs first, then 'command' with the branch's env; exit
 *    code, time and output are recorded. Passing branches' envs are deleted; failing ones
 *    too unless keep_failed.
 *
 * Nothing is printed: progress goes to opts->line, the checkpoints' commands write to
 * opts->out_fd, and what a branch prints is its result's output.
 * 4. With shards, only one slice of the test×branch matrix runs (matrix.h: cell k is shard
 *    k % N + 1), after the same checkpoints (made, or reused through their keys). A
 *    depends_on on a test whose cells are all in other shards is not waited for: that test's
 *    result is in its own shard's report, and this shard runs as if it had passed (a
 *    dependency in the same shard skips as above). A slice with no cells builds nothing.
 * 5. With migrations, the tests are made from a directory of SQL migrations instead: one test
 *    per migration, with branches "up", "up-down-up" (when a .down.sql exists) and
 *    "up-twice", each applying the earlier migrations first; every table's row count must be
 *    unchanged and every foreign key valid afterwards.
 */
#ifndef VERS_RUNNER_H
#define VERS_RUNNER_H

#include "engine/engine.h"
#include "format/suite.h"
#include "test/matrix.h"

struct vers_test_opts {
        const char *file; /* default: vers-integration.yaml in the project directory */
        int jobs;         /* branches at once; <= 0: number of cores */
        bool keep_failed;
        const char *only;       /* TEST or TEST/BRANCH; NULL for all */
        const char *migrations; /* a directory of NNN_name.up.sql / .down.sql: test those
                                 * instead of the suite's tests (see runner.c) */
        unsigned shard, shards; /* shards > 0: only the cells of slice shard (1-based)
                                 * of shards (matrix.h); not with only */
        bool diff; /* each branch diffed against its checkpoint (diff/diff.h), before it goes */
        void (*line)(const char *msg); /* live progress, may be NULL */
        int out_fd; /* where the checkpoints' commands write their output (the CLI: its stderr,
                     * since its stdout may be the JSON report); < 0: nowhere */
};

enum vers_test_status { VERS_TEST_PASSED, VERS_TEST_FAILED, VERS_TEST_SKIPPED };

struct vers_test_result {
        char *test;
        char *branch;
        enum vers_test_status status;
        int exit_code; /* of 'command', or of 'before' when that failed */
        bool before_failed;
        double seconds;
        char *output;       /* stdout and stderr of before and command */
        char *env;          /* id of the env kept for inspection, else NULL */
        char *diff;         /* --diff: the diff as JSON text (vers_diff_json), or NULL */
        char *diff_summary; /* and its summary lines */
};

struct vers_checkpoint_result {
        char *name;
        char *commit;
        bool reused;
        double seconds;
};

struct vers_test_report {
        char *suite;
        struct vers_checkpoint_result *checkpoints;
        size_t n_checkpoints;
        struct vers_test_result *results;
        size_t n_results;
        int passed, failed, skipped;
        double seconds;
};

int vers_test_run(struct vers_ctx *ctx, const struct vers_test_opts *o,
                  struct vers_test_report *rep, vers_error_t *err);
void vers_test_report_free(struct vers_test_report *rep);

/* 'vers test --list': the cells the run would make (the suite, or its migrations; only and
 * the shard select as for the run), without building or running anything: root and the
 * store are not needed, the project only for the default file and migrations. */
struct vers_test_entry {
        char *test, *branch;
        size_t index; /* position in the whole matrix */
};
struct vers_test_list {
        char *suite;
        struct vers_test_entry *cells;
        size_t n;
};
int vers_test_list(struct vers_ctx *ctx, const struct vers_test_opts *o, struct vers_test_list *out,
                   vers_error_t *err);
void vers_test_list_free(struct vers_test_list *l);
/* The report as one line of JSON and a newline (free() it): {"suite", "checkpoints": [{"name",
 * "commit", "reused", "seconds"}], "results": [{"test", "branch", "status", "exit_code",
 * "before_failed", "seconds", "env" (null unless kept), "output", and with --diff "diff": the
 * branch against its checkpoint as vers diff --json prints it, or {"error"}}], "passed", "failed",
 * "skipped", "seconds"}; seconds to the millisecond, bytes of output that are not UTF-8 as
 * U+FFFD. */
char *vers_test_report_json(const struct vers_test_report *rep);
/* "passed", "failed" or "skipped" */
const char *vers_test_status_name(enum vers_test_status s);

/* ---- the plan (plan.c): decided before anything runs, and without root --------------------- */

/* Part of every checkpoint key: a change to how keys are made must change it, so that no
 * commit made under the old rule is taken for one of the new. (Keys before it were FNV hashes
 * in the commit message: those checkpoints are rebuilt once.) */
#define VERS_TEST_KEY_VERSION "vers test checkpoint v3"

/* The checkpoints a run makes: the suite's, or one called "base" (the fresh env, no command)
 * when it has none. */
size_t vers_test_n_checkpoints(const struct vers_suite *s);
const char *vers_test_checkpoint_name(const struct vers_suite *s, size_t i);
const char *vers_test_checkpoint_after(const struct vers_suite *s, size_t i); /* NULL: none */
/* The key of each of them (see 2. above; image_key: the image's build key; project_dir NULL:
 * no files), NULL-terminated, in order, VERS_HASH_HEX hex digits each (strv_free() it). */
char **vers_test_checkpoint_keys(const struct vers_suite *s, const char *image_key,
                                 const char *project_dir);

/* one branch of one test */
struct vers_test_item {
        size_t test;                            /* index into s->tests */
        const struct vers_suite_branch *branch; /* NULL: the test has none, "default" */
        size_t index;                           /* its cell's position in vers_test_matrix */
};
const char *vers_test_item_branch(const struct vers_test_item *it);
/* The branches to run, in order: the cells of vers_test_matrix (the tests in
 * vers_suite_order's order, dependencies first, each one's branches as written); only (TEST
 * or TEST/BRANCH, NULL: all) selects some, and so does of > 0: only the cells of shard
 * shard of of (vers_test_shard_has). */
int vers_test_plan(const struct vers_suite *s, const char *only, unsigned shard, unsigned of,
                   struct vers_test_item **items, size_t *n, vers_error_t *err);
/* A test the test depends on (services do not count) with a result in rep that did not
 * pass, or NULL; the test is then skipped. */
const char *vers_test_blocked_by(const struct vers_suite *s, size_t test,
                                 const struct vers_test_report *rep);

#endif
