/* libFuzzer entry point for the Dockerfile parser and its word splitter.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -Isrc/lib \
 *         tests/fuzz/fuzz_dockerfile.c src/lib/dockerfile.c src/lib/util.c \
 *         src/lib/strbuf.c -o build/fuzz_dockerfile
 *   build/fuzz_dockerfile tests/fuzz/corpus/dockerfile
 *
 * Each input is parsed as a Dockerfile; every instruction's arguments then go through
 * vers_df_words() with a few variables set. Errors must come with a message, successes
 * without one, and everything is freed so leaks show up too.
 */
#include "dockerfile.h"

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
        struct vers_dockerfile df;
        char *vars[] = {"A=x y", "B=", "PATH=/usr/bin", NULL};
        if (vers_dockerfile_parse(text, "fuzz", &df, &err) < 0) {
                if (!err || !err->msg)
                        __builtin_trap();
                vers_error_free(&err);
        } else {
                if (err || df.n == 0)
                        __builtin_trap();
                for (size_t i = 0; i < df.n; i++) {
                        char **w = NULL;
                        if (vers_df_words(df.v[i].args, vars, df.filename, df.v[i].line,
                                          df.v[i].args_col, &w, &err) < 0) {
                                if (!err || w)
                                        __builtin_trap();
                                vers_error_free(&err);
                        }
                        strv_free(w);
                }
        }
        vers_dockerfile_free(&df);
        free(text);
        return 0;
}
