/* matrix — the test×branch cells of a suite, in the order 'vers test' runs them, and the
 * stable slices ('vers test --shard I/N') they are split into.
 *
 * The matrix is a pure function of the suite: the tests in vers_suite_order's order
 * (dependencies first, else as written), each test's branches as written, and one branch
 * "default" for a test that lists none. The runner's plan, 'vers test --list' and anything
 * else that counts cells (a Job's completions) take it from vers_test_matrix, so they never
 * disagree about which cell is number k.
 *
 * Slices: cell k (0-based) belongs to shard k % N + 1. Nothing but the suite decides it (no
 * clock, host or hash seed), so every machine and every run gets the same slices, the N
 * slices are disjoint and together they are the whole matrix; round-robin spreads a test's
 * branches over the shards instead of giving one shard a whole test.
 */
#ifndef VERS_TEST_MATRIX_H
#define VERS_TEST_MATRIX_H

#include "format/suite.h"

#include <stdbool.h>

struct vers_test_cell {
        size_t test;             /* index into s->tests */
        size_t branch;           /* index into its branches; 0 for "default" (it has none) */
        const char *test_name;   /* the suite's strings: valid while the suite is */
        const char *branch_name; /* "default" for a test without branches */
        size_t index;            /* position in the whole matrix (cells[k].index == k) */
};

/* Every cell of s in run order into *cells (free() it), their count into *n; an error only
 * when the tests cannot be ordered (a depends_on cycle, which vers_suite_parse refuses). */
int vers_test_matrix(const struct vers_suite *s, struct vers_test_cell **cells, size_t *n,
                     vers_error_t *err);

/* Does cell k of the matrix belong to shard i of n (1 <= i <= n)? */
bool vers_test_shard_has(size_t k, unsigned i, unsigned n);

/* Parse "I/N" (decimal, 1 <= I <= N <= VERS_TEST_SHARDS_MAX) into *i and *n; a bad value is
 * a one-line error quoting it. */
#define VERS_TEST_SHARDS_MAX 10000
int vers_test_shard_parse(const char *text, unsigned *i, unsigned *n, vers_error_t *err);

#endif
