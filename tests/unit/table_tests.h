/* Run a group made of fixed cmocka tests plus one test per row of a table of bad inputs
 * (each row has a .name and is passed to test_fn as its initial state). Shared by the parser
 * tests, whose error cases are tables. */
#ifndef VERS_TEST_TABLE_TESTS_H
#define VERS_TEST_TABLE_TESTS_H

#include <string.h>

#define RUN_WITH_TABLE(group, fixed, table, test_fn)                                             \
        ({                                                                                       \
                size_t n_fixed_ = sizeof(fixed) / sizeof(*(fixed));                              \
                size_t n_rows_ = sizeof(table) / sizeof(*(table));                               \
                struct CMUnitTest *all_ = xcalloc(n_fixed_ + n_rows_, sizeof(*all_));            \
                memcpy(all_, fixed, sizeof(fixed));                                              \
                for (size_t i_ = 0; i_ < n_rows_; i_++)                                          \
                        all_[n_fixed_ + i_] = (struct CMUnitTest){                               \
                            .name = (table)[i_].name,                                            \
                            .test_func = test_fn,                                                \
                            .initial_state = (void *)&(table)[i_],                               \
                        };                                                                       \
                int failed_ = _cmocka_run_group_tests(group, all_, n_fixed_ + n_rows_, NULL, NULL); \
                free(all_);                                                                      \
                failed_;                                                                         \
        })

#endif
