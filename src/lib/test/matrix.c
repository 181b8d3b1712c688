/* matrix — the test×branch cells of a suite and their slices (see matrix.h). */
#include "test/matrix.h"

#include <string.h>

int vers_test_matrix(const struct vers_suite *s, struct vers_test_cell **cells, size_t *n,
                     vers_error_t *err)
{
        *cells = NULL;
        *n = 0;
        _cleanup_free_ size_t *order = NULL;
        if (vers_suite_order(s, &order, err) < 0)
                return -1;
        size_t total = 0;
        for (size_t k = 0; k < s->n_tests; k++)
                total += s->tests[k].n_branches ? s->tests[k].n_branches : 1;
        struct vers_test_cell *out = xcalloc(total ? total : 1, sizeof *out);
        size_t m = 0;
        for (size_t k = 0; k < s->n_tests; k++) {
                const struct vers_suite_test *t = &s->tests[order[k]];
                size_t nb = t->n_branches ? t->n_branches : 1;
                for (size_t b = 0; b < nb; b++, m++) {
                        out[m] = (struct vers_test_cell){
                            .test = order[k],
                            .branch = b,
                            .test_name = t->name,
                            .branch_name = t->n_branches ? t->branches[b].name : "default",
                            .index = m,
                        };
                }
        }
        *cells = out;
        *n = m;
        return 0;
}

bool vers_test_shard_has(size_t k, unsigned i, unsigned n)
{
        return n > 0 && k % n + 1 == i;
}

/* a decimal number in 1..VERS_TEST_SHARDS_MAX, all of text */
static bool number(const char *text, size_t len, unsigned *out)
{
        if (len == 0 || len > 5)
                return false;
        unsigned v = 0;
        for (size_t k = 0; k < len; k++) {
                if (text[k] < '0' || text[k] > '9')
                        return false;
                v = v * 10 + (unsigned)(text[k] - '0');
        }
        *out = v;
        return true;
}

int vers_test_shard_parse(const char *text, unsigned *i, unsigned *n, vers_error_t *err)
{
        const char *slash = strchr(text, '/');
        unsigned a = 0, b = 0;
        if (!slash || !number(text, (size_t)(slash - text), &a) ||
            !number(slash + 1, strlen(slash + 1), &b))
                return vers_make_error(err, 0, "--shard '%s': expected I/N, two numbers (1/4)",
                                       text);
        if (b < 1 || b > VERS_TEST_SHARDS_MAX)
                return vers_make_error(err, 0, "--shard '%s': N must be 1 to %d", text,
                                       VERS_TEST_SHARDS_MAX);
        if (a < 1 || a > b)
                return vers_make_error(err, 0, "--shard '%s': I must be 1 to %u", text, b);
        *i = a;
        *n = b;
        return 0;
}
