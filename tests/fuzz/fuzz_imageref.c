/* libFuzzer entry point for image references (format/imageref.c).
 *
 *   make fuzz          builds build/fuzz/fuzz_imageref with clang (-fsanitize=fuzzer,address,
 *                      undefined) against src/lib/base/ and src/lib/format/
 *   make fuzz-replay   replays tests/fuzz/corpus/imageref/ and fuzzes from seed 1 (make check)
 *
 * Each input, NUL-terminated, goes through vers_imageref_parse(). A reference that parses
 * must come back from its canonical form as the same reference (the form is a fixed point),
 * and what is pulled must parse too; a refused one must say why, on one line.
 */
#include "format/imageref.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = xmalloc(size + 1);
        if (size)
                memcpy(text, data, size);
        text[size] = '\0';
        vers_error_t err = NULL;
        struct vers_imageref r;
        if (vers_imageref_parse(text, &r, &err) < 0) {
                if (!err || !err->msg || strchr(err->msg, '\n') || r.domain || r.path)
                        __builtin_trap();
                vers_error_free(&err);
                free(text);
                return 0;
        }
        if (err || !r.domain || !r.path || (!r.tag && !r.digest))
                __builtin_trap();
        char *canonical = vers_imageref_canonical(&r);
        char *pull = vers_imageref_pull_name(&r);
        (void)vers_imageref_loopback(&r);
        struct vers_imageref again;
        if (vers_imageref_parse(canonical, &again, NULL) < 0)
                __builtin_trap();
        char *canonical2 = vers_imageref_canonical(&again);
        if (strcmp(canonical, canonical2))
                __builtin_trap();
        struct vers_imageref pulled;
        if (vers_imageref_parse(pull, &pulled, NULL) < 0)
                __builtin_trap();
        free(canonical2);
        vers_imageref_clear(&again);
        vers_imageref_clear(&pulled);
        free(canonical);
        free(pull);
        vers_imageref_clear(&r);
        free(text);
        return 0;
}
