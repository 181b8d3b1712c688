#include "meta.h"
#include "strbuf.h"

#include <stddef.h>
#include <string.h>

#define SCHEMA_VERSION 2

/* A tag is unique within its project; commits of no project (see meta.h) share one space. */
#define COMMITS_TABLE_SQL                                                                          \
        "CREATE TABLE commits(id TEXT PRIMARY KEY, parent TEXT, image TEXT, env TEXT, tag TEXT,"   \
        " message TEXT, mode TEXT, state TEXT NOT NULL, created INTEGER, owner_pid INTEGER,"       \
        " owner_start INTEGER, project TEXT);"                                                     \
        "CREATE UNIQUE INDEX commits_project_tag ON commits(ifnull(project, ''), tag);"

static const char schema_sql[] =
    "CREATE TABLE images(id TEXT PRIMARY KEY, key TEXT, project TEXT,"
    " state TEXT NOT NULL, created INTEGER, owner_pid INTEGER, owner_start "
    "INTEGER);" COMMITS_TABLE_SQL
    "CREATE TABLE envs(id TEXT PRIMARY KEY, alias TEXT UNIQUE, project TEXT,"
    " image TEXT, base TEXT, state TEXT NOT NULL, target TEXT, mode TEXT,"
    " init_pid INTEGER, init_start INTEGER, memory_mib INTEGER, vcpu INTEGER,"
    " created INTEGER, owner_pid INTEGER, owner_start INTEGER);"
    "PRAGMA user_version = 2;";

/* Version 1 had tags unique over the whole VERS_ROOT and no project on commits. A commit gets
 * the project of the env it was taken from where that env still exists; the others keep no
 * project (vers shows them in every project). SQLite cannot drop a UNIQUE constraint, so the
 * table is rebuilt. */
static const char migrate_1_to_2_sql[] =
    "ALTER TABLE commits RENAME TO commits_v1;" COMMITS_TABLE_SQL
    "INSERT INTO commits(id, parent, image, env, tag, message, mode, state, created, owner_pid,"
    " owner_start, project) SELECT c.id, c.parent, c.image, c.env, c.tag, c.message, c.mode,"
    " c.state, c.created, c.owner_pid, c.owner_start,"
    " (SELECT e.project FROM envs e WHERE e.id = c.env) FROM commits_v1 c;"
    "DROP TABLE commits_v1;"
    "PRAGMA user_version = 2;";

/* A row struct is described by its columns so that one put/get/list serves every table. */
enum col_type { COL_TEXT, COL_INT };
struct col {
        const char *name;
        enum col_type type;
        size_t offset;
};

#define T(s, f)                                                                                    \
        {                                                                                          \
#f, COL_TEXT, offsetof(struct s, f)                                                \
        }
#define I(s, f)                                                                                    \
        {                                                                                          \
#f, COL_INT, offsetof(struct s, f)                                                 \
        }

static const struct col image_cols[] = {
    T(vers_image, id),          T(vers_image, key),     T(vers_image, project),
    T(vers_image, state),       I(vers_image, created), I(vers_image, owner_pid),
    I(vers_image, owner_start), {NULL, COL_TEXT, 0},
};
static const struct col commit_cols[] = {
    T(vers_commit, id),        T(vers_commit, parent),      T(vers_commit, image),
    T(vers_commit, env),       T(vers_commit, tag),         T(vers_commit, message),
    T(vers_commit, mode),      T(vers_commit, state),       I(vers_commit, created),
    I(vers_commit, owner_pid), I(vers_commit, owner_start), T(vers_commit, project),
    {NULL, COL_TEXT, 0},
};
static const struct col env_cols[] = {
    T(vers_env, id),       T(vers_env, alias),      T(vers_env, project),     T(vers_env, image),
    T(vers_env, base),     T(vers_env, state),      T(vers_env, target),      T(vers_env, mode),
    I(vers_env, init_pid), I(vers_env, init_start), I(vers_env, memory_mib),  I(vers_env, vcpu),
    I(vers_env, created),  I(vers_env, owner_pid),  I(vers_env, owner_start), {NULL, COL_TEXT, 0},
};

static int db_error(struct vers_meta *m, vers_error_t *err, const char *what)
{
        return vers_make_error(err, 0, "metadata: %s: %s", what, sqlite3_errmsg(m->db));
}

static int exec_sql(struct vers_meta *m, const char *sql, vers_error_t *err)
{
        char *msg = NULL;
        if (sqlite3_exec(m->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
                vers_make_error(err, 0, "metadata: %s", msg ? msg : sqlite3_errmsg(m->db));
                sqlite3_free(msg);
                return -1;
        }
        return 0;
}

int vers_meta_open(const char *path, struct vers_meta *m, vers_error_t *err)
{
        m->db = NULL;
        if (sqlite3_open_v2(path, &m->db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                            NULL) != SQLITE_OK) {
                vers_make_error(err, 0, "cannot open metadata '%s': %s", path,
                                m->db ? sqlite3_errmsg(m->db) : "out of memory");
                vers_meta_close(m);
                return -1;
        }
        sqlite3_busy_timeout(m->db, 30000);
        if (exec_sql(m,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                     " PRAGMA foreign_keys=OFF;",
                     err) < 0)
                goto fail;
        sqlite3_stmt *st = NULL;
        int version = 0;
        if (sqlite3_prepare_v2(m->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
                version = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        if (version > SCHEMA_VERSION) {
                vers_make_error(err, 0,
                                "metadata '%s' has schema version %d; this vers knows up to %d",
                                path, version, SCHEMA_VERSION);
                goto fail;
        }
        if (version < SCHEMA_VERSION) {
                /* one transaction: a vers killed half-way leaves the old schema intact */
                if (vers_meta_begin(m, err) < 0)
                        goto fail;
                if (exec_sql(m, version == 0 ? schema_sql : migrate_1_to_2_sql, err) < 0) {
                        vers_meta_rollback(m);
                        vers_error_wrap(err, "cannot upgrade metadata '%s'", path);
                        goto fail;
                }
                if (vers_meta_commit(m, err) < 0)
                        goto fail;
        }
        return 0;
fail:
        vers_meta_close(m);
        return -1;
}

void vers_meta_close(struct vers_meta *m)
{
        if (m->db)
                sqlite3_close(m->db);
        m->db = NULL;
}

int vers_meta_begin(struct vers_meta *m, vers_error_t *err)
{
        return exec_sql(m, "BEGIN IMMEDIATE", err);
}

int vers_meta_commit(struct vers_meta *m, vers_error_t *err)
{
        return exec_sql(m, "COMMIT", err);
}

void vers_meta_rollback(struct vers_meta *m)
{
        sqlite3_exec(m->db, "ROLLBACK", NULL, NULL, NULL);
}

static void clear_row(const struct col *cols, void *row)
{
        for (const struct col *c = cols; c->name; c++) {
                if (c->type == COL_TEXT) {
                        char **p = (char **)((char *)row + c->offset);
                        free(*p);
                        *p = NULL;
                } else {
                        *(int64_t *)((char *)row + c->offset) = 0;
                }
        }
}

void vers_image_clear(struct vers_image *i)
{
        clear_row(image_cols, i);
}

void vers_commit_clear(struct vers_commit *c)
{
        clear_row(commit_cols, c);
}

void vers_env_clear(struct vers_env *e)
{
        clear_row(env_cols, e);
}

void vers_images_free(struct vers_image *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                vers_image_clear(&v[i]);
        free(v);
}

void vers_commits_free(struct vers_commit *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                vers_commit_clear(&v[i]);
        free(v);
}

void vers_envs_free(struct vers_env *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                vers_env_clear(&v[i]);
        free(v);
}

static int put_row(struct vers_meta *m, const char *table, const struct col *cols, const void *row,
                   vers_error_t *err)
{
        /* an upsert on the id only: a clash on another unique column (alias, tag) must fail,
         * where INSERT OR REPLACE would silently delete the other row */
        struct strbuf sql = STRBUF_INIT, vals = STRBUF_INIT, upd = STRBUF_INIT;
        strbuf_addf(&sql, "INSERT INTO %s(", table);
        int n = 0;
        for (const struct col *c = cols; c->name; c++, n++) {
                strbuf_addf(&sql, "%s%s", n ? "," : "", c->name);
                strbuf_addf(&vals, "%s?%d", n ? "," : "", n + 1);
                if (n)
                        strbuf_addf(&upd, "%s%s=excluded.%s", n > 1 ? "," : "", c->name, c->name);
        }
        strbuf_addf(&sql, ") VALUES(%s) ON CONFLICT(id) DO UPDATE SET %s", vals.buf, upd.buf);
        strbuf_release(&vals);
        strbuf_release(&upd);
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(m->db, sql.buf, -1, &st, NULL);
        strbuf_release(&sql);
        if (rc != SQLITE_OK)
                return db_error(m, err, "prepare");
        n = 0;
        for (const struct col *c = cols; c->name; c++, n++) {
                const char *base = (const char *)row + c->offset;
                if (c->type == COL_TEXT) {
                        const char *s = *(char *const *)base;
                        if (s)
                                sqlite3_bind_text(st, n + 1, s, -1, SQLITE_TRANSIENT);
                        else
                                sqlite3_bind_null(st, n + 1);
                } else {
                        sqlite3_bind_int64(st, n + 1, *(const int64_t *)base);
                }
        }
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
                if (rc == SQLITE_CONSTRAINT)
                        return vers_make_error(err, 0, "that %s is already taken",
                                               !strcmp(table, "envs") ? "alias" : "tag");
                return db_error(m, err, "write");
        }
        return 0;
}

int vers_meta_put_image(struct vers_meta *m, const struct vers_image *i, vers_error_t *err)
{
        return put_row(m, "images", image_cols, i, err);
}

int vers_meta_put_commit(struct vers_meta *m, const struct vers_commit *c, vers_error_t *err)
{
        return put_row(m, "commits", commit_cols, c, err);
}

int vers_meta_put_env(struct vers_meta *m, const struct vers_env *e, vers_error_t *err)
{
        return put_row(m, "envs", env_cols, e, err);
}

int vers_meta_delete(struct vers_meta *m, const char *table, const char *id, vers_error_t *err)
{
        _cleanup_free_ char *sql = xasprintf("DELETE FROM %s WHERE id = ?1", table);
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(m->db, sql, -1, &st, NULL) != SQLITE_OK)
                return db_error(m, err, "prepare");
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 0 : db_error(m, err, "delete");
}

/* Select rows of table into a growing array of structs of size sz. */
static int list_rows(struct vers_meta *m, const char *table, const struct col *cols, size_t sz,
                     const char *where, const char *arg, void **out, size_t *nout,
                     vers_error_t *err)
{
        struct strbuf sql = STRBUF_INIT;
        strbuf_addstr(&sql, "SELECT ");
        int n = 0;
        for (const struct col *c = cols; c->name; c++, n++)
                strbuf_addf(&sql, "%s%s", n ? "," : "", c->name);
        strbuf_addf(&sql, " FROM %s", table);
        if (where)
                strbuf_addf(&sql, " WHERE %s", where);
        strbuf_addstr(&sql, " ORDER BY created, rowid");
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(m->db, sql.buf, -1, &st, NULL);
        strbuf_release(&sql);
        if (rc != SQLITE_OK)
                return db_error(m, err, "prepare");
        if (arg)
                sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
        char *rows = NULL;
        size_t count = 0;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                rows = xrealloc(rows, (count + 1) * sz);
                char *row = rows + count * sz;
                memset(row, 0, sz);
                n = 0;
                for (const struct col *c = cols; c->name; c++, n++) {
                        if (c->type == COL_TEXT) {
                                const unsigned char *t = sqlite3_column_text(st, n);
                                *(char **)(row + c->offset) = t ? xstrdup((const char *)t) : NULL;
                        } else {
                                *(int64_t *)(row + c->offset) = sqlite3_column_int64(st, n);
                        }
                }
                count++;
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
                for (size_t i = 0; i < count; i++)
                        clear_row(cols, rows + i * sz);
                free(rows);
                return db_error(m, err, "read");
        }
        *out = rows;
        *nout = count;
        return 0;
}

static int get_row(struct vers_meta *m, const char *table, const struct col *cols, size_t sz,
                   const char *id, void *out, vers_error_t *err)
{
        void *rows = NULL;
        size_t n = 0;
        if (list_rows(m, table, cols, sz, "id = ?1", id, &rows, &n, err) < 0)
                return -1;
        if (n == 0) {
                free(rows);
                return 0;
        }
        memcpy(out, rows, sz);
        free(rows);
        return 1;
}

int vers_meta_get_image(struct vers_meta *m, const char *id, struct vers_image *out,
                        vers_error_t *err)
{
        return get_row(m, "images", image_cols, sizeof *out, id, out, err);
}

int vers_meta_get_commit(struct vers_meta *m, const char *id, struct vers_commit *out,
                         vers_error_t *err)
{
        return get_row(m, "commits", commit_cols, sizeof *out, id, out, err);
}

int vers_meta_get_env(struct vers_meta *m, const char *id, struct vers_env *out, vers_error_t *err)
{
        return get_row(m, "envs", env_cols, sizeof *out, id, out, err);
}

int vers_meta_list_images(struct vers_meta *m, const char *where, const char *arg,
                          struct vers_image **out, size_t *n, vers_error_t *err)
{
        return list_rows(m, "images", image_cols, sizeof **out, where, arg, (void **)out, n, err);
}

int vers_meta_list_commits(struct vers_meta *m, const char *where, const char *arg,
                           struct vers_commit **out, size_t *n, vers_error_t *err)
{
        return list_rows(m, "commits", commit_cols, sizeof **out, where, arg, (void **)out, n, err);
}

int vers_meta_list_envs(struct vers_meta *m, const char *where, const char *arg,
                        struct vers_env **out, size_t *n, vers_error_t *err)
{
        return list_rows(m, "envs", env_cols, sizeof **out, where, arg, (void **)out, n, err);
}
