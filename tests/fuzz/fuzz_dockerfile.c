/* libFuzzer entry point for the Dockerfile parser and its word splitter.
 *
 *   make fuzz          builds build/fuzz/fuzz_dockerfile with clang (-fsanitize=fuzzer,address,
 *                      undefined) against src/lib/base/ and src/lib/format/
 *   make fuzz-replay   replays tests/fuzz/corpus/dockerfile/ and fuzzes from seed 1 (make check)
 *   build/fuzz/fuzz_dockerfile tests/fuzz/corpus/dockerfile
 *
 * Each input is parsed as a Dockerfile; every instruction's arguments then go through
 * vers_df_words() with a few variables set. Errors must come with a message, successes
 * without one, and everything is freed so leaks show up too. The same input is then read
 * as a .dockerignore and matched against a few paths and its own patterns.
 */
#include "format/dockerfile.h"

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
        /* the same bytes as a .dockerignore, matched against paths of every shape */
        struct vers_df_ignore ig;
        vers_df_ignore_parse(text, &ig);
        static const char *paths[] = {"a", "a/b", "a/b/c.txt", ".vers/HEAD", "x/**/y", "[z]"};
        for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
                (void)vers_df_ignored(&ig, paths[i]);
        for (size_t i = 0; ig.pats && ig.pats[i]; i++)
                (void)vers_df_ignored(&ig, ig.pats[i] + (ig.pats[i][0] == '!'));
        vers_df_ignore_clear(&ig);
        free(text);
        return 0;
}
