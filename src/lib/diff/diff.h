/* diff — what differs between two envs or commits ('vers diff'), per service.
 *
 * PostgreSQL: the schema as a normalised description read from the catalogs (one line an
 * object or column, sorted; nothing that changes without a schema change: no OIDs,
 * statistics, sequence positions or caches), compared as sorted sets and shown as a unified
 * diff; each table's row count and a content checksum over the columns both sides share; with
 * rows, the rows added, removed and changed by primary key (keyless tables: as multisets of
 * rows), streamed from both servers in key order and merged, in memory bounded by the line
 * bound (VERS_DIFF_LINE_MAX) and the rows kept (limit), never by the tables' sizes.
 *
 * An env is read by psql run inside it (its own client), in one REPEATABLE READ READ ONLY
 * transaction: the env is never written or locked beyond ACCESS SHARE. A commit is read from
 * a cold branch of it made for the diff and deleted afterwards (also on error or a signal).
 * What psql prints is the env's, so untrusted: lines are bounded, fields parsed strictly, keys
 * checked to come in order, and every string shown is escaped (vers_diff_escape).
 *
 * The pure parts (COPY text unescaping, escaping, the unified diff of sorted lines, the merge
 * of two sorted streams) are declared here too, for the unit tests.
 */
#ifndef VERS_DIFF_H
#define VERS_DIFF_H

#include "base/strbuf.h"
#include "engine/engine.h"

#include <jansson.h>
#include <stdint.h>

#define VERS_DIFF_LINE_MAX (1 << 20) /* the longest line psql may send (a key, a definition) */
#define VERS_DIFF_TEXT_MAX 200       /* characters of a row shown */
/* What a hostile env's output may make vers hold: beyond these, a one-line error naming the
 * bound (a real database is far under each). */
#define VERS_DIFF_COUNT_MAX (INT64_C(1) << 53) /* rows of a table, a row's copies */
#define VERS_DIFF_SCHEMA_MAX 200000            /* lines of a schema's description */
#define VERS_DIFF_TABLES_MAX 50000             /* tables of a database */
#define VERS_DIFF_COLUMNS_MAX 4096             /* columns of a table */
#define VERS_DIFF_DBS_MAX 1024                 /* Redis databases */
#define VERS_DIFF_LIMIT_MAX 10000              /* --limit: rows kept per table */

enum vers_diff_what {
        VERS_DIFF_DEFAULT, /* schema and per-table counts and checksums */
        VERS_DIFF_SCHEMA,  /* the schema only */
        VERS_DIFF_DATA,    /* and the rows added, removed and changed */
        VERS_DIFF_STAT,    /* as DEFAULT, the caller prints a summary */
};

struct vers_diff_opts {
        const char *a; /* env or commit (alias, tag, id) */
        const char *b; /* NULL: a is an env, compared with the commit it was branched from */
        enum vers_diff_what what;
        long limit; /* rows kept per table (DATA) */
};

struct vers_diff_row {
        char op;       /* '+' only in B, '-' only in A, '~' changed (same key) */
        char *key;     /* the key's text; NULL for a keyless table */
        char *a, *b;   /* the row in A and in B (first VERS_DIFF_TEXT_MAX characters), or NULL */
        int64_t count; /* keyless: how many more such rows that side has */
};

struct vers_diff_table {
        char *name; /* schema.table (quoted where needed), escaped (vers_diff_escape) */
        bool in_a, in_b;
        int64_t rows_a, rows_b;
        char *sum_a, *sum_b;     /* checksums over the shared columns (both sides only) */
        char **only_a, **only_b; /* columns one side alone has (NULL-terminated or NULL) */
        bool keyed;              /* rows compared by primary key, else as a multiset */
        bool rows_compared;      /* DATA: added/removed/changed were counted */
        int64_t added, removed, changed;
        struct vers_diff_row *rows; /* the first limit of them */
        size_t n_rows;
};

struct vers_diff_service {
        char *name;      /* the service's name ("postgres") */
        char *template_; /* "postgres@15" */
        char *database;
        char *schema_diff; /* unified diff, NULL when the schemas are equal */
        int schema_added, schema_removed;
        struct vers_diff_table *tables;
        size_t n_tables;
        bool equal;
};

struct vers_diff_result {
        char *a, *b; /* labels of the two sides ("commit pre-migration", "env approach-a") */
        struct vers_diff_service *services;
        size_t n_services;
        bool equal;
};

int vers_diff(struct vers_ctx *ctx, const struct vers_diff_opts *o, struct vers_diff_result *out,
              vers_error_t *err);
void vers_diff_result_free(struct vers_diff_result *r);
/* The result as JSON: {"a", "b", "equal", "services": [{"service", "template", "database",
 * "equal", "schema": {"equal", "added", "removed", "diff"}, "tables": [{"name", "in_a",
 * "in_b", "equal", "rows_a", "rows_b", "checksum_a", "checksum_b", "columns_only_a",
 * "columns_only_b", and with --data "keyed", "added", "removed", "changed", "rows": [{"op",
 * "key", "a", "b", "count"}]}]}]} */
json_t *vers_diff_json(const struct vers_diff_result *r);
/* A few lines saying what differs (the tables that do, the schema's unified diff); escaped. */
char *vers_diff_summary(const struct vers_diff_result *r);
/* Is table t equal on both sides (as far as what was compared shows)? */
bool vers_diff_table_equal(const struct vers_diff_table *t);

/* ---- pure parts ------------------------------------------------------------------------------ */

/* Undo COPY's text format escapes in s (in place); false when s is "\N" (NULL) or malformed. */
bool vers_diff_copy_unescape(char *s);
/* Split line at tabs into at most max fields (in place); the number of fields. */
int vers_diff_split(char *line, char **fields, int max);
/* Append s to out so that a terminal shows it as text: controls, backslashes, bytes of invalid
 * UTF-8 and C1 controls as \n, \t, \\, \xNN. */
void vers_diff_escape(struct strbuf *out, const char *s);
/* A unified diff (3 lines of context) of two sorted line lists (each sorted by strcmp) as
 * sets: appended to out under "--- la" / "+++ lb"; the counts of lines only in b and only in
 * a. Lines are escaped. Nothing is appended when they are equal. */
void vers_diff_unified(char *const *a, size_t na, char *const *b, size_t nb, const char *la,
                       const char *lb, struct strbuf *out, int *added, int *removed);
/* Sort a list of lines by strcmp. */
void vers_diff_sort(char **v, size_t n);

/* One row of a stream: keyed, the key's text, a hash of the row and its text; keyless, the
 * hash (as key), how many such rows, and the text. Valid until the next call on the stream. */
struct vers_diff_item {
        const char *key;
        const char *hash;
        const char *text;
        int64_t count;
};
/* 1 with *it filled, 0 at the end of the table's rows, -1 with *err set. */
typedef int vers_diff_next_fn(void *stream, struct vers_diff_item *it, vers_error_t *err);
/* Merge two streams sorted by key (strictly increasing by strcmp, each count 1 to
 * VERS_DIFF_COUNT_MAX; anything else is an error: the sides are untrusted), counting into t the
 * rows added, removed and changed (multiset: the difference of each hash's counts; sums saturate),
 * keeping the first limit in t->rows (keys and texts cut at 4 * VERS_DIFF_TEXT_MAX bytes). */
int vers_diff_merge(vers_diff_next_fn *next, void *a, void *b, bool multiset, long limit,
                    struct vers_diff_table *t, vers_error_t *err);

#endif
