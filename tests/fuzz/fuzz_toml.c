/* libFuzzer entry point for the vers.toml parser.
 *
 *   make fuzz          builds build/fuzz/fuzz_toml with clang (-fsanitize=fuzzer,address,
 *                      undefined) against src/lib/base/ and src/lib/format/
 *   make fuzz-replay   replays tests/fuzz/corpus/toml/ and fuzzes from seed 1 (make check)
 *   build/fuzz/fuzz_toml -dict=tests/fuzz/corpus/toml.dict tests/fuzz/corpus/toml
 *
 * Each input goes through vers_toml_parse_len() on an exact-size copy (no terminating NUL,
 * so ASan sees any read past the end) and through vers_config_parse() on a NUL-terminated
 * copy; both results are freed so leaks show up too.
 */
#include "format/config.h"
#include "format/toml.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        vers_error_t err = NULL;

        char *exact = xmalloc(size);
        if (size)
                memcpy(exact, data, size);
        struct vers_toml_value *root = NULL;
        if (vers_toml_parse_len(exact, size, "fuzz.toml", &root, &err) < 0) {
                if (!err || !err->msg || root)
                        __builtin_trap();
                vers_error_free(&err);
        } else if (!root || err) {
                __builtin_trap();
        }
        vers_toml_free(root);
        free(exact);

        char *text = xmalloc(size + 1);
        if (size)
                memcpy(text, data, size);
        text[size] = '\0';
        struct vers_config cfg;
        if (vers_config_parse(text, "fuzz.toml", &cfg, &err) < 0) {
                if (!err || cfg.n_services || cfg.services || cfg.dockerfile)
                        __builtin_trap();
                vers_error_free(&err);
        }
        vers_config_free(&cfg);
        free(text);
        return 0;
}
