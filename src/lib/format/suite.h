/* suite — vers-integration.yaml, the description of an integration test suite.
 *
 *   name: database-testing            # a name (vers_name_valid)
 *   version: 1.0.0                    # any non-empty scalar, kept as written
 *   vm: {memory_mib: N, vcpu: N, storage_mib: N}
 *   services:   NAME: {template: T, config: {databases: [..], extensions: [..],
 *                                            settings: {key: scalar}}}
 *   tests:      NAME: {command: C, depends_on: [test or service names],
 *                      branches: [{name: N, env: {KEY: scalar}, before: C}]}
 *   checkpoints: [{name: N, after: C}]
 *
 * The file is read with libyaml's event parser into a small tree of its own, so anchors,
 * aliases, tags and a second document are refused by name instead of being resolved. Every
 * error is one line, "FILE:LINE:COLUMN: what is wrong" (1-based, from libyaml's marks).
 *
 * A struct vers_suite owns every string and array it points to; vers_suite_free() releases
 * them and leaves the suite zeroed, so freeing twice is harmless. Invariants of a suite that
 * vers_suite_parse() returned:
 *   - services, tests, branches, checkpoints, settings and env entries are in written order;
 *   - scalars are kept as their text (`true`, `2`, `256MB`); an empty env value is "";
 *   - test, service, branch and checkpoint names pass vers_name_valid(); test names, service
 *     names, branch names within a test and checkpoint names are unique, and no test shares
 *     its name with a service;
 *   - every depends_on entry names a test or a service, no entry is listed twice, and the
 *     tests have no dependency cycle, so vers_suite_order() succeeds on it;
 *   - memory_mib, vcpu and storage_mib are 0 when the file does not set them (the caller
 *     falls back to vers.toml), else within 64..1048576, 1..1024 and 16..16777216.
 * On error *out is zeroed and nothing is left allocated.
 */
#ifndef VERS_SUITE_H
#define VERS_SUITE_H

#include "format/config.h"
#include "base/util.h"

struct vers_suite_branch {
        char *name;
        char **env;    /* NULL-terminated "KEY=VALUE" in written order; NULL if none */
        char *before;  /* command run before the test in this branch; NULL if absent */
        int line, col; /* where the branch's mapping starts */
};

struct vers_suite_test {
        char *name;
        char *command;
        char **depends_on; /* NULL-terminated test or service names; NULL if none */
        struct vers_suite_branch *branches;
        size_t n_branches;
        int line, col; /* where the test's name is */
};

struct vers_suite_checkpoint {
        char *name;
        char *after; /* command whose completion the checkpoint follows */
        int line, col;
};

struct vers_suite {
        char *file;    /* the filename given to vers_suite_parse(), for messages */
        char *name;    /* NULL if absent */
        char *version; /* NULL if absent */
        long memory_mib, vcpu, storage_mib; /* 0 if absent */
        struct vers_service_config *services;
        size_t n_services;
        struct vers_suite_test *tests;
        size_t n_tests;
        struct vers_suite_checkpoint *checkpoints;
        size_t n_checkpoints;
};

/* Parse len bytes of text (no NUL terminator needed); filename is used in messages only. */
int vers_suite_parse(const char *text, size_t len, const char *filename, struct vers_suite *out,
                     vers_error_t *err);
int vers_suite_load(const char *path, struct vers_suite *out, vers_error_t *err);

/* The order to run the tests in: *order receives n_tests indices into s->tests (free() it).
 * A test comes after every test it depends on (services are not ordered); otherwise the
 * earliest-written test that is ready runs first, so a suite without test dependencies
 * keeps its written order. A cycle is an error naming its tests: "a -> b -> a". */
int vers_suite_order(const struct vers_suite *s, size_t **order, vers_error_t *err);

/* Index of the test or service called name, or -1. */
ssize_t vers_suite_find_test(const struct vers_suite *s, const char *name);
ssize_t vers_suite_find_service(const struct vers_suite *s, const char *name);

void vers_suite_free(struct vers_suite *s);
/* The suite's services (when it names any) replace cfg's, moved out of s; its memory_mib and
 * vcpu, when set, replace cfg's. What 'vers test' runs with, and a YAML-only project's
 * configuration. */
void vers_suite_into_config(struct vers_suite *s, struct vers_config *cfg);
/* Free only the tests (vers test --migrations replaces them). */
void vers_suite_free_tests(struct vers_suite *s);

#endif
