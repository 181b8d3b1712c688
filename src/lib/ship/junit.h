/* junit — vers test's JUnit XML reports: writing a run's, and merging the reports of the
 * shards of one suite ('vers test --shard I/N --junit F' on N machines) into one.
 *
 * A report is <testsuites name=SUITE tests failures skipped time>, one <testsuite name=TEST>
 * per test (in run order) holding one <testcase classname="SUITE.TEST" name=BRANCH time> per
 * branch, with a <failure message> (the output as its text) or a <skipped message/> when it
 * did not pass. A merge reads its inputs with libxml2 (no network, no DTD, no entities
 * expanded), keeps the <testsuite>s of the same name as one (a test's branches are spread over
 * the shards), its testcases in the order the inputs give them, and counts tests, failures,
 * errors and skipped again from the testcases themselves; time is the inputs' times added up.
 * Nothing is written unless every input was read: OUT is replaced atomically.
 */
#ifndef VERS_SHIP_JUNIT_H
#define VERS_SHIP_JUNIT_H

#include "test/runner.h"

int vers_junit_write(const char *path, const struct vers_test_report *rep, vers_error_t *err);

struct vers_junit_counts {
        size_t files, suites, tests, failures, errors, skipped;
};
/* Merge the n reports inputs into out. One-line errors naming the file: it cannot be read,
 * it is not well-formed XML ("FILE:LINE: what libxml2 says"), it has a <!DOCTYPE>, its root is not
 * <testsuites> (or a lone <testsuite>), a <testsuite> or <testcase> has no name, a <testsuite> is
 * nested, or a test×branch (testsuite name, testcase name) is in it twice or also in an earlier
 * input. */
int vers_junit_merge(const char *out, char *const *inputs, size_t n,
                     struct vers_junit_counts *counts, vers_error_t *err);

#endif
