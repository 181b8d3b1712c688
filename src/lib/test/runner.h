/* runner — 'vers test': run a vers-integration.yaml suite on branches of checkpoints.
 *
 * 1. The suite's services (and vm sizes) replace vers.toml's for this run; the image is built
 *    (or taken from the cache).
 * 2. Checkpoints run in order, each committed (tagged with its name). Each has a key: a hash
 *    of its parent's key, its name, its command and the content of every project file its
 *    command names. A commit with the same key is reused, not rebuilt, so a second run of an
 *    unchanged suite seeds nothing at all.
 * 3. Tests run in depends_on order; a test whose dependency failed is skipped. Each branch
 *    of a test (one "default" branch when none are listed) gets its own env branched from the
 *    last checkpoint; up to jobs branches run at once, each in its own process with its own
 *    metadata connection. 'before' runs first, then 'command' with the branch's env; exit
 *    code, time and output are recorded. Passing branches' envs are deleted; failing ones
 *    too unless keep_failed.
 * 4. With migrations, the tests are made from a directory of SQL migrations instead: one test
 *    per migration, with branches "up", "up-down-up" (when a .down.sql exists) and
 *    "up-twice", each applying the earlier migrations first; every table's row count must be
 *    unchanged and every foreign key valid afterwards.
 */
#ifndef VERS_RUNNER_H
#define VERS_RUNNER_H

#include "engine/engine.h"
#include "format/suite.h"

struct vers_test_opts {
        const char *file; /* default: vers-integration.yaml in the project directory */
        int jobs;         /* branches at once; <= 0: number of cores */
        bool keep_failed;
        const char *only;              /* TEST or TEST/BRANCH; NULL for all */
        const char *migrations;        /* a directory of NNN_name.up.sql / .down.sql: test those
                                        * instead of the suite's tests (see runner.c) */
        void (*line)(const char *msg); /* live progress, may be NULL */
};

enum vers_test_status { VERS_TEST_PASSED, VERS_TEST_FAILED, VERS_TEST_SKIPPED };

struct vers_test_result {
        char *test;
        char *branch;
        enum vers_test_status status;
        int exit_code; /* of 'command', or of 'before' when that failed */
        bool before_failed;
        double seconds;
        char *output; /* stdout and stderr of before and command */
        char *env;    /* id of the env kept for inspection, else NULL */
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

#endif
