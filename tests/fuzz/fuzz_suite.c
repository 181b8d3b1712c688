/* libFuzzer entry point for the vers-integration.yaml parser.
 *
 *   make fuzz          builds build/fuzz/fuzz_suite with clang (-fsanitize=fuzzer,address,
 *                      undefined) against src/lib/base/ and src/lib/format/
 *   make fuzz-replay   replays tests/fuzz/corpus/suite/ and fuzzes from seed 1 (make check)
 *   build/fuzz/fuzz_suite -max_total_time=120 tests/fuzz/corpus/suite
 *
 * Each input goes through vers_suite_parse() on an exact-size copy (no terminating NUL, so
 * ASan sees any read past the end). On success the suite must be orderable (parse promises
 * no cycles) and every error must be a single line starting with the filename; the result
 * is freed so leaks show up too.
 */
#include "format/suite.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        vers_error_t err = NULL;
        struct vers_suite s;

        char *exact = xmalloc(size ? size : 1);
        if (size)
                memcpy(exact, data, size);
        if (vers_suite_parse(exact, size, "fuzz.yaml", &s, &err) < 0) {
                if (!err || !err->msg || s.tests || s.services || s.checkpoints || s.file ||
                    strncmp(err->msg, "fuzz.yaml:", 10) != 0 || strchr(err->msg, '\n'))
                        __builtin_trap();
                vers_error_free(&err);
        } else {
                size_t *order = NULL;
                if (err || !s.file || vers_suite_order(&s, &order, &err) < 0 ||
                    (s.n_tests && !order))
                        __builtin_trap();
                for (size_t i = 0; i < s.n_tests; i++)
                        if (order[i] >= s.n_tests)
                                __builtin_trap();
                free(order);
        }
        vers_suite_free(&s);
        free(exact);
        return 0;
}
