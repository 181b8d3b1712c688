/* diff-private — what the parts of the diff layer share: the two sides, psql's streams and
 * one side's PostgreSQL schema. */
#ifndef VERS_DIFF_PRIVATE_H
#define VERS_DIFF_PRIVATE_H

#include "diff/diff.h"

#include <signal.h>
#include <sys/types.h>

/* one operand: the env read (for a commit, the cold branch made of it) */
struct vers_diff_side {
        char *label; /* "env NAME", "commit NAME" */
        struct vers_env env;
        bool made; /* a branch made for the diff: deleted afterwards */
};

#define VERS_DIFF_NSIGS 3
struct vers_diff_sigs {
        struct sigaction sa[VERS_DIFF_NSIGS];
};
/* While on: SIGINT, SIGTERM and SIGHUP only set a flag (reads end with EINTR), so that the
 * branches made for the diff are deleted before vers ends. */
void vers_diff_interrupt_set(bool on, struct vers_diff_sigs *old);
void vers_diff_on_signal(int sig);
bool vers_diff_interrupted(void);

/* Seconds a statement may run in an env (VERS_DIFF_STATEMENT_TIMEOUT, default 600): the
 * server cancels it then; a client that sends nothing for that long and 30 s more is stopped
 * (SIGTERM, then after a grace SIGKILL of it and of what it runs in the env). */
#define VERS_DIFF_TIMEOUT_DEFAULT 600
#define VERS_DIFF_KILL_GRACE_MS 5000
int vers_diff_statement_timeout(void);

/* psql run in an env, its stdout a pipe read line by line (each at most VERS_DIFF_LINE_MAX),
 * its stderr a memfd whose last line a failure shows */
#define VERS_PG_BUF 65536
#define VERS_PG_FIELDS 6
struct vers_pg_stream {
        const char *side;
        const char *client; /* "psql", "mariadb": named when it fails */
        pid_t pid;
        int fd, errfd;
        char *buf;
        size_t pos, len;
        bool eof;
        bool raw;  /* lines as they come: no tag, no unescaping */
        bool held; /* the current line is given again by the next vers_pg_line */
        struct strbuf line;
        char *f[VERS_PG_FIELDS]; /* the line's fields, unescaped; NULL for SQL NULL */
        int nf;
};
/* input: the command's stdin (NULL: /dev/null) */
int vers_pg_start(struct vers_ctx *ctx, const struct vers_diff_side *side, char **argv,
                  const char *input, struct vers_pg_stream *s, vers_error_t *err);
/* 1: the next line's fields in s->f (its first a one-letter tag), 0: the end, -1 */
int vers_pg_line(struct vers_pg_stream *s, vers_error_t *err);
/* Wait for psql (kill_it: stop it first); -1 with *err when it failed (err NULL: quiet). */
int vers_pg_finish(struct vers_pg_stream *s, bool kill_it, vers_error_t *err);

struct vers_pg_table {
        char *nsp, *rel;
        char *quoted; /* "nsp"."rel" */
        char *name;   /* as quote_ident would show it: public.users */
        char **cols;  /* in the table's order */
        size_t n_cols;
        char **key; /* the primary key's columns in key order, or NULL */
};
struct vers_pg_schema;
/* How one SQL server is read: its client's command line for a list of statements run in one
 * session (ending at the first error), the statements that begin the transaction and print
 * the schema's S lines, the T/A lines of its tables, and each table's counts (and rows). */
struct vers_diff_dialect {
        const char *client;
        const char *const *begin; /* NULL-terminated */
        const char *tables;
        const char *end;
        const char *timeout[2]; /* the statement timeout's statement: before and after seconds */
        char **(*argv)(const char *db); /* the client, reading the statements on stdin */
        void (*table_sql)(char ***stmts, size_t i, const struct vers_pg_table *t, char **shared,
                          bool both, bool rows, bool keyed);
        void (*ident)(struct strbuf *sb, const char *s);
        bool rows; /* --data: rows compared */
};
extern const struct vers_diff_dialect vers_diff_pg, vers_diff_mariadb;

struct vers_pg_schema {
        char **lines; /* the normalised description, sorted */
        size_t n_lines;
        struct vers_pg_table *tables;
        size_t n_tables;
};
/* One side's schema (and, with tables, its tables and columns), in one snapshot. */
int vers_pg_read_schema(struct vers_ctx *ctx, const struct vers_diff_dialect *d,
                        const struct vers_diff_side *side, const char *db, bool tables,
                        struct vers_pg_schema *sc, vers_error_t *err);
void vers_pg_schema_clear(struct vers_pg_schema *sc);
/* The diff of database db of an SQL service (d: PostgreSQL or MariaDB) of both sides. */
int vers_pg_diff(struct vers_ctx *ctx, const struct vers_diff_dialect *d,
                 struct vers_diff_side sides[2], const char *db, const struct vers_diff_opts *o,
                 struct vers_diff_service *svc, vers_error_t *err);
/* Redis: each database's key count and expiring keys, its keys by type (SCAN, which does not
 * block the server), as tables "dbN" whose checksum is those counts. */
int vers_redis_diff(struct vers_ctx *ctx, struct vers_diff_side sides[2],
                    struct vers_diff_service *svc, vers_error_t *err);
/* vers_pg_line without the tag check or unescaping (a client's plain output) */
int vers_pg_raw_line(struct vers_pg_stream *s, vers_error_t *err);

#endif
