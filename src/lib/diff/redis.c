/* diff/redis — Redis's side of vers diff: a keyspace summary read with redis-cli inside each
 * env (INFO keyspace, then SCAN by type, which does not block the server), no values. */
#include "diff/diff-private.h"

#include <stdlib.h>
#include <string.h>

/* One fixed script: nothing of the env's is put into it; what it prints is parsed strictly.
 * K db keys expires, then Y db type count size for each type (--bigkeys' summary: SCAN, and
 * each key's TYPE and length; size is its fields, items, members or bytes). */
static const char redis_script[] =
    "set -e\n"
    "R='redis-cli -h 127.0.0.1 -p 6379'\n"
    "info=$($R INFO keyspace)\n"
    "printf '%s\\n' \"$info\" | tr -d '\\r' | "
    "sed -n 's/^db\\([0-9][0-9]*\\):keys=\\([0-9][0-9]*\\),expires=\\([0-9][0-9]*\\).*/\\1 \\2 "
    "\\3/p' | while read -r db keys exp; do\n"
    "  printf 'K\\t%s\\t%s\\t%s\\n' \"$db\" \"$keys\" \"$exp\"\n"
    "  $R -n \"$db\" --bigkeys </dev/null | tr -d '\\r' | sed -n \"s/^\\([0-9][0-9]*\\) "
    "\\([a-z]*\\)s with \\([0-9][0-9]*\\) .*/Y\\t$db\\t\\2\\t\\1\\t\\3/p\"\n"
    "done\n";

struct rdb {
        long db;
        int64_t keys;
        int types; /* Y lines added to sum */
        struct strbuf sum;
};

#define RDB_TYPES_MAX 32 /* Redis has a handful of types */

static long num(const char *s, bool *ok)
{
        char *end = NULL;
        long v = s ? strtol(s, &end, 10) : -1;
        if (!s || !*s || *end || v < 0)
                *ok = false;
        return v;
}

/* db's entry (NULL past VERS_DIFF_DBS_MAX) */
static struct rdb *rdb_get(struct rdb **v, size_t *n, long db)
{
        for (size_t i = 0; i < *n; i++)
                if ((*v)[i].db == db)
                        return &(*v)[i];
        if (*n >= VERS_DIFF_DBS_MAX)
                return NULL;
        *v = xrealloc(*v, (*n + 1) * sizeof **v);
        struct rdb *r = &(*v)[(*n)++];
        r->db = db;
        r->keys = 0;
        r->types = 0;
        strbuf_init(&r->sum);
        return r;
}

static int read_side(struct vers_ctx *ctx, const struct vers_diff_side *side, struct rdb **v,
                     size_t *n, vers_error_t *err)
{
        char *argv[] = {"sh", "-c", (char *)redis_script, NULL};
        struct vers_pg_stream s;
        if (vers_pg_start(ctx, side, argv, NULL, &s, err) < 0)
                return -1;
        s.client = "redis-cli";
        int r;
        while ((r = vers_pg_raw_line(&s, err)) > 0) {
                bool ok = s.nf == 4 || (s.nf == 5 && !strcmp(s.f[0], "Y"));
                long db = ok ? num(s.f[1], &ok) : -1;
                if (ok && !strcmp(s.f[0], "K")) {
                        long keys = num(s.f[2], &ok), exp = num(s.f[3], &ok);
                        struct rdb *d = ok ? rdb_get(v, n, db) : NULL;
                        if (ok && (!d || d->sum.len)) {
                                r = vers_make_error(err, 0,
                                                    "%s: redis-cli sent a database twice or more "
                                                    "than %d",
                                                    side->label, VERS_DIFF_DBS_MAX);
                                break;
                        }
                        if (ok) {
                                d->keys = keys;
                                strbuf_addf(&d->sum, "expires=%ld", exp);
                        }
                } else if (ok && !strcmp(s.f[0], "Y")) {
                        long c = num(s.f[3], &ok), size = s.nf == 5 ? num(s.f[4], &ok) : -1;
                        ok = ok && strspn(s.f[2], "abcdefghijklmnopqrstuvwxyz") == strlen(s.f[2]);
                        struct rdb *d = ok && c > 0 ? rdb_get(v, n, db) : NULL;
                        if (d && d->types >= RDB_TYPES_MAX) {
                                r = vers_make_error(err, 0,
                                                    "%s: redis-cli sent more than %d types of a "
                                                    "database",
                                                    side->label, RDB_TYPES_MAX);
                                break;
                        }
                        if (ok && c > 0 && !d)
                                ok = false;
                        else if (d) {
                                d->types++;
                                strbuf_addf(&d->sum, " %s=%ld/%ld", s.f[2], c, size);
                        }
                } else
                        ok = false;
                if (!ok) {
                        r = vers_make_error(err, 0,
                                            "%s: redis-cli's output is not what vers asked for",
                                            side->label);
                        break;
                }
        }
        int f = vers_pg_finish(&s, r < 0, r < 0 ? NULL : err);
        return r < 0 || f < 0 ? -1 : 0;
}

static int cmp_db(const void *x, const void *y)
{
        long a = ((const struct rdb *)x)->db, b = ((const struct rdb *)y)->db;
        return a < b ? -1 : a > b;
}

int vers_redis_diff(struct vers_ctx *ctx, struct vers_diff_side sides[2],
                    struct vers_diff_service *svc, vers_error_t *err)
{
        struct rdb *v[2] = {NULL, NULL};
        size_t n[2] = {0, 0};
        int ret = -1;
        for (int k = 0; k < 2; k++)
                if (read_side(ctx, &sides[k], &v[k], &n[k], err) < 0)
                        goto out;
        for (int k = 0; k < 2; k++)
                if (n[k] > 1)
                        qsort(v[k], n[k], sizeof *v[k], cmp_db);
        svc->equal = true;
        svc->tables = xcalloc(n[0] + n[1] + 1, sizeof *svc->tables);
        size_t i = 0, j = 0;
        while (i < n[0] || j < n[1]) {
                long da = i < n[0] ? v[0][i].db : -1, dbb = j < n[1] ? v[1][j].db : -1;
                bool in_a = i < n[0] && (j == n[1] || da <= dbb);
                bool in_b = j < n[1] && (i == n[0] || dbb <= da);
                struct vers_diff_table *t = &svc->tables[svc->n_tables++];
                t->name = xasprintf("db%ld", in_a ? da : dbb);
                t->in_a = in_a;
                t->in_b = in_b;
                if (in_a) {
                        t->rows_a = v[0][i].keys;
                        t->sum_a = xstrdup(v[0][i++].sum.buf);
                }
                if (in_b) {
                        t->rows_b = v[1][j].keys;
                        t->sum_b = xstrdup(v[1][j++].sum.buf);
                }
                if (!in_a || !in_b) { /* only one side has it: its sum means nothing alone */
                        free(t->sum_a);
                        free(t->sum_b);
                        t->sum_a = t->sum_b = NULL;
                }
                if (!vers_diff_table_equal(t))
                        svc->equal = false;
        }
        ret = 0;
out:
        for (int k = 0; k < 2; k++) {
                for (size_t x = 0; x < n[k]; x++)
                        strbuf_release(&v[k][x].sum);
                free(v[k]);
        }
        return ret;
}
