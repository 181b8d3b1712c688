#include "state/meta.h"
#include "base/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

#define SCHEMA_VERSION 6

/* A tag is unique within its project; commits of no project (see meta.h) share one space. */
#define COMMITS_TABLE_SQL                                                                          \
        "CREATE TABLE commits(id TEXT PRIMARY KEY, parent TEXT, image TEXT, env TEXT, tag TEXT,"   \
        " message TEXT, mode TEXT, state TEXT NOT NULL, created INTEGER, owner_pid INTEGER,"       \
        " owner_start INTEGER, project TEXT);"                                                     \
        "CREATE UNIQUE INDEX commits_project_tag ON commits(ifnull(project, ''), tag);"

/* Version 3 adds: the key of the vers test checkpoint a commit is (looked up by
 * vers_meta_find_checkpoint), the cgroup of an env (os/cgroup.h: recorded, so that a later
 * vers naming cgroups differently still stops, freezes and kills the envs it did not start),
 * and a table of settings of the root: its cgroup scope. */
#define V3_SQL                                                                                     \
        "ALTER TABLE commits ADD COLUMN checkpoint_key TEXT;"                                      \
        "CREATE INDEX commits_checkpoint_key ON commits(checkpoint_key);"                          \
        "ALTER TABLE envs ADD COLUMN cgroup TEXT;"                                                 \
        "CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);"

/* Version 4 adds where a commit was last pushed (vers push: the reference, which vers kube
 * runs by default). */
#define V4_SQL "ALTER TABLE commits ADD COLUMN pushed TEXT;"

/* Version 5 adds the ready pools (engine/pool.h): one row per pooled commit, its size and the
 * mode its envs start in. Their envs are envs rows in state "pooled" (base: the commit). */
#define V5_SQL                                                                                     \
        "CREATE TABLE pools(commit_id TEXT PRIMARY KEY, project TEXT, size INTEGER NOT NULL,"      \
        " mode TEXT NOT NULL);"                                                                    \
        "CREATE INDEX envs_state_base ON envs(state, base);"

/* Version 6 adds when an env expires (vers branch --ttl, [branches] ttl): unix seconds, NULL
 * or 0 for never; the sweep each command makes looks them up by it. */
#define V6_SQL                                                                                     \
        "ALTER TABLE envs ADD COLUMN expires INTEGER;"                                             \
        "CREATE INDEX envs_expires ON envs(expires) WHERE expires > 0;"

/* a new database: version 2's tables, then version 3's to 6's additions */
static const char schema_sql[] =
    "CREATE TABLE images(id TEXT PRIMARY KEY, key TEXT, project TEXT,"
    " state TEXT NOT NULL, created INTEGER, owner_pid INTEGER, owner_start "
    "INTEGER);" COMMITS_TABLE_SQL
    "CREATE TABLE envs(id TEXT PRIMARY KEY, alias TEXT UNIQUE, project TEXT,"
    " image TEXT, base TEXT, state TEXT NOT NULL, target TEXT, mode TEXT,"
    " init_pid INTEGER, init_start INTEGER, memory_mib INTEGER, vcpu INTEGER,"
    " created INTEGER, owner_pid INTEGER, owner_start INTEGER);" V3_SQL V4_SQL V5_SQL V6_SQL;

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
    "DROP TABLE commits_v1;";

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
    I(vers_env, created),  I(vers_env, owner_pid),  I(vers_env, owner_start), T(vers_env, cgroup),
    I(vers_env, expires),  {NULL, COL_TEXT, 0},
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

static uint32_t be(const unsigned char *p, int n)
{
        uint32_t v = 0;
        for (int i = 0; i < n; i++)
                v = v << 8 | p[i];
        return v;
}

/* The 100-byte SQLite header: the magic, and a page count that fits the file. The count is
 * only checked without a write-ahead log, which may hold pages the file does not yet. */
static int check_header(const char *path, off_t size, vers_error_t *err)
{
        unsigned char h[100];
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return vers_make_error(err, errno, "cannot open metadata '%s'", path);
        ssize_t got = pread(fd, h, sizeof h, 0);
        if (got < 0)
                return vers_make_error(err, errno, "cannot read metadata '%s'", path);
        if (memcmp(h, "SQLite format 3", got < 16 ? (size_t)got : 16) != 0)
                return vers_make_error(err, 0, "metadata '%s' is not an SQLite database", path);
        if (got < (ssize_t)sizeof h)
                return vers_make_error(err, 0, "metadata '%s' is truncated (%lld bytes)", path,
                                       (long long)size);
        uint32_t page = be(h + 16, 2);
        if (page == 1)
                page = 65536;
        uint32_t pages = be(h + 28, 4);
        bool count_valid = pages > 0 && be(h + 24, 4) == be(h + 92, 4);
        _cleanup_free_ char *wal = xasprintf("%s-wal", path);
        struct stat ws;
        bool have_wal = stat(wal, &ws) == 0 && ws.st_size > 0;
        if (count_valid && !have_wal && (uint64_t)size < (uint64_t)page * pages)
                return vers_make_error(err, 0, "metadata '%s' is truncated (%lld bytes of %llu)",
                                       path, (long long)size, (unsigned long long)page * pages);
        return 0;
}

static int query_int(sqlite3 *db, const char *sql, int64_t *out)
{
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
        if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                *out = sqlite3_column_int64(st, 0);
                rc = SQLITE_OK;
        }
        sqlite3_finalize(st);
        return rc;
}

int vers_meta_inspect(const char *path, enum vers_meta_kind *kind, const char **what,
                      vers_error_t *err)
{
        const char *w = NULL;
        struct stat sb;
        *kind = VERS_META_NEW;
        if (stat(path, &sb) < 0) {
                if (errno != ENOENT)
                        return vers_make_error(err, errno, "cannot read metadata '%s'", path);
                w = "missing";
        } else if (!S_ISREG(sb.st_mode)) {
                return vers_make_error(err, 0, "metadata '%s' is not a file", path);
        } else if (sb.st_size == 0) {
                w = "empty";
        }
        if (w) {
                if (what)
                        *what = w;
                return 0;
        }
        if (check_header(path, sb.st_size, err) < 0)
                return -1;
        sqlite3 *db = NULL;
        int ret = -1;
        if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK) {
                vers_make_error(err, 0, "cannot open metadata '%s': %s", path,
                                db ? sqlite3_errmsg(db) : "out of memory");
                goto out;
        }
        sqlite3_busy_timeout(db, 30000);
        int64_t app = 0, tables = 0, ours = 0;
        if (query_int(db, "PRAGMA application_id", &app) != SQLITE_OK ||
            query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'", &tables) !=
                SQLITE_OK ||
            query_int(db,
                      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                      "('images','commits','envs')",
                      &ours) != SQLITE_OK) {
                vers_make_error(err, 0, "cannot read metadata '%s': %s", path, sqlite3_errmsg(db));
                goto out;
        }
        if (app != 0 && app != VERS_META_APP_ID) {
                vers_make_error(err, 0,
                                "metadata '%s' is another program's SQLite database "
                                "(application_id 0x%08llx)",
                                path, (unsigned long long)app);
                goto out;
        }
        if (app == 0 && tables == 0) {
                if (what)
                        *what = "an SQLite database with no tables";
                ret = 0;
                goto out;
        }
        if (ours != 3) {
                vers_make_error(err, 0,
                                app ? "metadata '%s' is a vers database without its tables"
                                    : "metadata '%s' is an SQLite database without vers's tables",
                                path);
                goto out;
        }
        *kind = VERS_META_VERS;
        ret = 0;
out:
        if (db)
                sqlite3_close(db);
        return ret;
}

/* The cgroup scope vers derived from VERS_ROOT before schema version 3, on every run:
 * "vers/" and FNV-1a of the root's path folded to 32 bits. It lives here only, for the
 * migration: a root made before version 3 keeps this scope for good (recorded in settings),
 * so that the cgroups of its envs, running or left behind by a vers that died, stay where gc
 * and shutdown look; and each env row gets the path its cgroup has now. New roots get a
 * SHA-256 scope instead (vers_cgroup_scope_for_root), recorded on their first open. */
static char *scope_before_v3(const char *db_path)
{
        _cleanup_free_ char *dir = xstrdup(db_path);
        char *slash = strrchr(dir, '/');
        if (slash)
                *slash = '\0';
        /* vers_open names the database realpath(VERS_ROOT)/vers.db */
        _cleanup_free_ char *root = realpath(slash ? (*dir ? dir : "/") : ".", NULL);
        const char *r = root ? root : dir;
        uint64_t h = 14695981039346656037ULL;
        for (const char *p = r; *p; p++) {
                h ^= (unsigned char)*p;
                h *= 1099511628211ULL;
        }
        return xasprintf("vers/%08x", (unsigned)(h ^ (h >> 32)));
}

/* Version 2 to 3: the new columns and table; the root keeps its cgroup scope, and every env
 * row records the cgroup it has (a vers before version 3 named it <scope>/<id>). Commits get
 * no checkpoint key: vers test rebuilds its checkpoints once. */
static int migrate_2_to_3(struct vers_meta *m, const char *path, vers_error_t *err)
{
        if (exec_sql(m, V3_SQL, err) < 0)
                return -1;
        _cleanup_free_ char *scope = scope_before_v3(path);
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(
            m->db, "INSERT INTO settings(key, value) VALUES('cgroup_scope', ?1)", -1, &st, NULL);
        if (rc == SQLITE_OK) {
                sqlite3_bind_text(st, 1, scope, -1, SQLITE_TRANSIENT);
                rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        }
        sqlite3_finalize(st);
        st = NULL;
        if (rc == SQLITE_OK &&
            (rc = sqlite3_prepare_v2(m->db, "UPDATE envs SET cgroup = ?1 || '/' || id", -1, &st,
                                     NULL)) == SQLITE_OK) {
                sqlite3_bind_text(st, 1, scope, -1, SQLITE_TRANSIENT);
                rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        }
        sqlite3_finalize(st);
        return rc == SQLITE_OK ? 0 : db_error(m, err, "migrate");
}

/* From version to SCHEMA_VERSION, step by step (0: a new database). */
static int migrate(struct vers_meta *m, const char *path, int version, vers_error_t *err)
{
        if (version == 0)
                return exec_sql(m, schema_sql, err);
        if (version < 2 && exec_sql(m, migrate_1_to_2_sql, err) < 0)
                return -1;
        if (version < 3 && migrate_2_to_3(m, path, err) < 0)
                return -1;
        if (version < 4 && exec_sql(m, V4_SQL, err) < 0)
                return -1;
        if (version < 5 && exec_sql(m, V5_SQL, err) < 0)
                return -1;
        if (version < 6 && exec_sql(m, V6_SQL, err) < 0)
                return -1;
        return 0;
}

/* The schema version and application id of m's database. */
static int read_schema(struct vers_meta *m, const char *path, int *version, int64_t *app,
                       vers_error_t *err)
{
        sqlite3_stmt *st = NULL;
        *version = 0;
        if (sqlite3_prepare_v2(m->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
                *version = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        if (*version > SCHEMA_VERSION)
                return vers_make_error(err, 0,
                                       "metadata '%s' has schema version %d; this vers knows up "
                                       "to %d",
                                       path, *version, SCHEMA_VERSION);
        *app = 0;
        if (query_int(m->db, "PRAGMA application_id", app) != SQLITE_OK)
                return db_error(m, err, "read");
        return 0;
}

/* vers_meta_open once vers_meta_inspect() has found path to be new or vers's */
static int open_inspected(const char *path, struct vers_meta *m, vers_error_t *err)
{
        if (sqlite3_open_v2(path, &m->db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                            NULL) != SQLITE_OK) {
                vers_make_error(err, 0, "cannot open metadata '%s': %s", path,
                                m->db ? sqlite3_errmsg(m->db) : "out of memory");
                vers_meta_close(m);
                return -1;
        }
        sqlite3_busy_timeout(m->db, 30000);
        /* The last connection to close still checkpoints the WAL into vers.db, but leaves the
         * (emptied) -wal and -shm files in place: creating them again costs every command its
         * first write's file creation and directory sync (~2 ms here, of a pooled branch's
         * 5 ms), and a short-lived process is what every vers command is. */
        int persist = 1;
        sqlite3_file_control(m->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
        if (exec_sql(m,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                     " PRAGMA journal_size_limit=0; PRAGMA foreign_keys=OFF;",
                     err) < 0)
                goto fail;
        int version = 0;
        int64_t app = 0;
        if (read_schema(m, path, &version, &app, err) < 0)
                goto fail;
        if (version < SCHEMA_VERSION || app != VERS_META_APP_ID) {
                /* new, older, or made before the marker (adopted: its tables are vers's); one
                 * transaction: a vers killed half-way leaves the old schema intact. Read again
                 * under the write lock: another vers opening it at the same time may have
                 * made or upgraded it while this one waited. */
                if (vers_meta_begin(m, err) < 0)
                        goto fail;
                if (read_schema(m, path, &version, &app, err) < 0) {
                        vers_meta_rollback(m);
                        goto fail;
                }
                if (version == SCHEMA_VERSION && app == VERS_META_APP_ID) {
                        if (vers_meta_commit(m, err) < 0)
                                goto fail;
                        return 0;
                }
                _cleanup_free_ char *mark = xasprintf("PRAGMA user_version = %d;"
                                                      " PRAGMA application_id = %d",
                                                      SCHEMA_VERSION, VERS_META_APP_ID);
                if (migrate(m, path, version, err) < 0 || exec_sql(m, mark, err) < 0) {
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

int vers_meta_open(const char *path, struct vers_meta *m, vers_error_t *err)
{
        m->db = NULL;
        enum vers_meta_kind kind;
        if (vers_meta_inspect(path, &kind, NULL, err) < 0)
                return -1;
        return open_inspected(path, m, err);
}

int vers_meta_open_readonly(const char *root, int busy_ms, struct vers_meta *m, vers_error_t *err)
{
        m->db = NULL;
        _cleanup_free_ char *path = xasprintf("%s/vers.db", root);
        struct stat sb;
        if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0)
                return vers_make_error(err, errno, "no metadata at '%s'", path);
        if (sqlite3_open_v2(path, &m->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK) {
                vers_make_error(err, 0, "cannot open metadata '%s': %s", path,
                                m->db ? sqlite3_errmsg(m->db) : "out of memory");
                vers_meta_close(m);
                return -1;
        }
        sqlite3_busy_timeout(m->db, busy_ms);
        int64_t app = 0, version = 0;
        if (query_int(m->db, "PRAGMA application_id", &app) != SQLITE_OK ||
            query_int(m->db, "PRAGMA user_version", &version) != SQLITE_OK ||
            app != VERS_META_APP_ID || version != SCHEMA_VERSION) {
                vers_make_error(err, 0, "metadata '%s' is not vers's of this version", path);
                vers_meta_close(m);
                return -1;
        }
        return 0;
}

void vers_meta_defer_checkpoint(struct vers_meta *m)
{
        if (m->db)
                sqlite3_db_config(m->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
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

/* ---- settings of the root, checkpoint keys --------------------------------------------- */

/* the text of the first column of the first row of sql (?1, ?2 bound to a1, a2 when not
 * NULL; a2 == NULL binds NULL): 1 found, 0 no row, -1 error */
static int query_text(struct vers_meta *m, const char *sql, const char *a1, const char *a2,
                      int n_args, char **out, vers_error_t *err)
{
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(m->db, sql, -1, &st, NULL) != SQLITE_OK)
                return db_error(m, err, "prepare");
        const char *args[2] = {a1, a2};
        for (int i = 0; i < n_args; i++) {
                if (args[i])
                        sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_TRANSIENT);
                else
                        sqlite3_bind_null(st, i + 1);
        }
        int rc = sqlite3_step(st);
        int ret = 0;
        if (rc == SQLITE_ROW) {
                const unsigned char *t = sqlite3_column_text(st, 0);
                *out = xstrdup(t ? (const char *)t : "");
                ret = 1;
        } else if (rc != SQLITE_DONE) {
                ret = db_error(m, err, "read");
        }
        sqlite3_finalize(st);
        return ret;
}

int vers_meta_cgroup_scope(struct vers_meta *m, const char *fresh, char **out, vers_error_t *err)
{
        *out = NULL;
        int r = query_text(m, "SELECT value FROM settings WHERE key = 'cgroup_scope'", NULL, NULL,
                           0, out, err);
        if (r != 0 || !fresh)
                return r < 0 ? -1 : 0;
        /* OR IGNORE: another vers opening the same new root may have recorded it first */
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(m->db,
                               "INSERT OR IGNORE INTO settings(key, value) "
                               "VALUES('cgroup_scope', ?1)",
                               -1, &st, NULL) != SQLITE_OK)
                return db_error(m, err, "prepare");
        sqlite3_bind_text(st, 1, fresh, -1, SQLITE_TRANSIENT);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
                return db_error(m, err, "write");
        r = query_text(m, "SELECT value FROM settings WHERE key = 'cgroup_scope'", NULL, NULL, 0,
                       out, err);
        if (r == 0)
                return vers_make_error(err, 0, "metadata: the cgroup scope is not recorded");
        return r < 0 ? -1 : 0;
}

/* UPDATE commits SET <column> = value (NULL: NULL) of commit_id, which must exist */
static int set_commit_text(struct vers_meta *m, const char *sql, const char *commit_id,
                           const char *value, vers_error_t *err)
{
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(m->db, sql, -1, &st, NULL) != SQLITE_OK)
                return db_error(m, err, "prepare");
        sqlite3_bind_text(st, 1, commit_id, -1, SQLITE_TRANSIENT);
        if (value)
                sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
        else
                sqlite3_bind_null(st, 2);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
                return db_error(m, err, "write");
        if (sqlite3_changes(m->db) == 0)
                return vers_make_error(err, 0, "metadata: no commit '%s'", commit_id);
        return 0;
}

int vers_meta_set_checkpoint_key(struct vers_meta *m, const char *commit_id, const char *key,
                                 vers_error_t *err)
{
        return set_commit_text(m, "UPDATE commits SET checkpoint_key = ?2 WHERE id = ?1", commit_id,
                               key, err);
}

int vers_meta_get_checkpoint_key(struct vers_meta *m, const char *commit_id, char **key,
                                 vers_error_t *err)
{
        *key = NULL;
        int r = query_text(m, "SELECT checkpoint_key FROM commits WHERE id = ?1", commit_id, NULL,
                           1, key, err);
        if (r == 1 && !**key) {
                free(*key);
                *key = NULL;
        }
        return r < 0 ? -1 : 0;
}

int vers_meta_set_pushed(struct vers_meta *m, const char *commit_id, const char *ref,
                         vers_error_t *err)
{
        return set_commit_text(m, "UPDATE commits SET pushed = ?2 WHERE id = ?1", commit_id, ref,
                               err);
}

int vers_meta_get_pushed(struct vers_meta *m, const char *commit_id, char **ref, vers_error_t *err)
{
        *ref = NULL;
        int r =
            query_text(m, "SELECT pushed FROM commits WHERE id = ?1", commit_id, NULL, 1, ref, err);
        if (r == 1 && !**ref) {
                free(*ref);
                *ref = NULL;
        }
        return r < 0 ? -1 : 0;
}

int vers_meta_find_checkpoint(struct vers_meta *m, const char *key, const char *project, char **id,
                              vers_error_t *err)
{
        *id = NULL;
        return query_text(m,
                          "SELECT id FROM commits WHERE checkpoint_key = ?1 AND state = 'ready'"
                          " AND project IS ?2 ORDER BY created DESC, rowid DESC LIMIT 1",
                          key, project, 2, id, err);
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

static const char *const table_names[] = {"images", "commits", "envs"};

int vers_meta_delete(struct vers_meta *m, enum vers_meta_table t, const char *id, vers_error_t *err)
{
        const char *table = table_names[t];
        _cleanup_free_ char *sql = xasprintf("DELETE FROM %s WHERE id = ?1", table);
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(m->db, sql, -1, &st, NULL) != SQLITE_OK)
                return db_error(m, err, "prepare");
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 0 : db_error(m, err, "delete");
}

static const char *const state_names[] = {"pending",  "running", "stopped", "rollback",
                                          "deleting", "ready",   "layer",   "pooled"};

/* The WHERE clause of q for table (whose name column is name_col) into sql, and the values it
 * binds, in order, into vals (at most 6). */
static void query_sql(const struct vers_meta_query *q, const char *name_col, struct strbuf *sql,
                      const char *vals[4], int *nvals)
{
        const char *sep = " WHERE ";
        *nvals = 0;
        if (!q)
                return;
#define COND(...)                                                                                  \
        do {                                                                                       \
                strbuf_addstr(sql, sep);                                                           \
                strbuf_addf(sql, __VA_ARGS__);                                                     \
                sep = " AND ";                                                                     \
        } while (0)
        if (q->id) {
                vals[(*nvals)++] = q->id;
                COND("id = ?%d", *nvals);
        }
        if (q->id_prefix) {
                vals[(*nvals)++] = q->id_prefix;
                COND("substr(id, 1, length(?%d)) = ?%d", *nvals, *nvals);
        }
        if (q->name) {
                vals[(*nvals)++] = q->name;
                COND("%s = ?%d", name_col, *nvals);
        }
        if (q->project) {
                vals[(*nvals)++] = q->project;
                COND("project = ?%d", *nvals);
        }
        if (q->base && !strcmp(name_col, "alias")) {
                vals[(*nvals)++] = q->base;
                COND("base = ?%d", *nvals);
        }
        if (q->tagged && !strcmp(name_col, "tag"))
                COND("tag IS NOT NULL");
        if (q->expired_by > 0 && !strcmp(name_col, "alias"))
                COND("expires > 0 AND expires <= %lld", (long long)q->expired_by);
        if (q->states) {
                strbuf_addstr(sql, sep);
                strbuf_addstr(sql, "state IN (");
                const char *comma = "";
                for (size_t i = 0; i < sizeof state_names / sizeof state_names[0]; i++) {
                        if (q->states & (1u << i)) {
                                strbuf_addf(sql, "%s'%s'", comma, state_names[i]);
                                comma = ",";
                        }
                }
                strbuf_addch(sql, ')');
                sep = " AND ";
        }
#undef COND
}

/* Select the rows of table that q selects into a growing array of structs of size sz. */
static int list_rows(struct vers_meta *m, const char *table, const struct col *cols, size_t sz,
                     const char *name_col, const struct vers_meta_query *q, void **out,
                     size_t *nout, vers_error_t *err)
{
        struct strbuf sql = STRBUF_INIT;
        strbuf_addstr(&sql, "SELECT ");
        int n = 0;
        for (const struct col *c = cols; c->name; c++, n++)
                strbuf_addf(&sql, "%s%s", n ? "," : "", c->name);
        strbuf_addf(&sql, " FROM %s", table);
        const char *vals[6];
        int nvals = 0;
        query_sql(q, name_col, &sql, vals, &nvals);
        strbuf_addstr(&sql, " ORDER BY created, rowid");
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(m->db, sql.buf, -1, &st, NULL);
        strbuf_release(&sql);
        if (rc != SQLITE_OK)
                return db_error(m, err, "prepare");
        for (int i = 0; i < nvals; i++)
                sqlite3_bind_text(st, i + 1, vals[i], -1, SQLITE_TRANSIENT);
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
        const struct vers_meta_query q = {.id = id};
        if (list_rows(m, table, cols, sz, "id", &q, &rows, &n, err) < 0)
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

int vers_meta_list_images(struct vers_meta *m, const struct vers_meta_query *q,
                          struct vers_image **out, size_t *n, vers_error_t *err)
{
        return list_rows(m, "images", image_cols, sizeof **out, "key", q, (void **)out, n, err);
}

int vers_meta_list_commits(struct vers_meta *m, const struct vers_meta_query *q,
                           struct vers_commit **out, size_t *n, vers_error_t *err)
{
        return list_rows(m, "commits", commit_cols, sizeof **out, "tag", q, (void **)out, n, err);
}

int vers_meta_list_envs(struct vers_meta *m, const struct vers_meta_query *q, struct vers_env **out,
                        size_t *n, vers_error_t *err)
{
        return list_rows(m, "envs", env_cols, sizeof **out, "alias", q, (void **)out, n, err);
}

/* entries in store/envs, store/commits and store/images (-1 if one cannot be read) */
static int count_store(const char *store)
{
        const char *dirs[] = {"envs", "commits", "images"};
        int n = 0;
        for (size_t i = 0; i < 3; i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", store, dirs[i]);
                DIR *d = opendir(p);
                if (!d) {
                        if (errno == ENOENT)
                                continue;
                        return -1;
                }
                struct dirent *de;
                while ((de = readdir(d)) != NULL)
                        n += de->d_name[0] != '.';
                closedir(d);
        }
        return n;
}

int vers_meta_open_root(const char *root, const char *store, struct vers_meta *m, vers_error_t *err)
{
        m->db = NULL;
        _cleanup_free_ char *db = xasprintf("%s/vers.db", root);
        enum vers_meta_kind kind;
        const char *what = NULL;
        if (vers_meta_inspect(db, &kind, &what, err) < 0)
                return vers_error_wrap(err, "VERS_ROOT '%s'", root);
        int n = kind == VERS_META_NEW ? count_store(store) : 0;
        if (n == 0)
                return open_inspected(db, m, err);
        if (n < 0)
                return vers_make_error(err, errno, "VERS_ROOT '%s': cannot read its store '%s'",
                                       root, store);
        return vers_make_error(err, 0,
                               "VERS_ROOT '%s' has a store with %d subvolume%s but vers.db is %s; "
                               "refusing to recreate it (restore it from a backup, or remove the "
                               "store to start over)",
                               root, n, n == 1 ? "" : "s", what);
}

/* ---- typed queries ------------------------------------------------------------------------ */

int vers_meta_list_live_envs(struct vers_meta *m, const char *project, struct vers_env **out,
                             size_t *n, vers_error_t *err)
{
        const struct vers_meta_query q = {.project = project, .states = VERS_Q_LIVE};
        return vers_meta_list_envs(m, &q, out, n, err);
}

int vers_meta_list_ready_commits(struct vers_meta *m, bool tagged_only, struct vers_commit **out,
                                 size_t *n, vers_error_t *err)
{
        const struct vers_meta_query q = {.states = VERS_Q_READY, .tagged = tagged_only};
        return vers_meta_list_commits(m, &q, out, n, err);
}

int vers_meta_list_ready_images(struct vers_meta *m, struct vers_image **out, size_t *n,
                                vers_error_t *err)
{
        const struct vers_meta_query q = {.states = VERS_Q_READY};
        return vers_meta_list_images(m, &q, out, n, err);
}

int vers_meta_set_env_expires(struct vers_meta *m, const char *env_id, int64_t expires,
                              vers_error_t *err)
{
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(m->db, "UPDATE envs SET expires = ?2 WHERE id = ?1", -1, &st,
                               NULL) != SQLITE_OK)
                return db_error(m, err, "prepare");
        sqlite3_bind_text(st, 1, env_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, expires);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
                return db_error(m, err, "write");
        if (sqlite3_changes(m->db) == 0)
                return vers_make_error(err, 0, "metadata: no env '%s'", env_id);
        return 0;
}

int vers_meta_claim_expired(struct vers_meta *m, const char *env_id, int64_t now, int64_t pid,
                            int64_t start, vers_error_t *err)
{
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(
                m->db,
                "UPDATE envs SET state = 'deleting', owner_pid = ?3, owner_start = ?4"
                " WHERE id = ?1 AND state IN ('running', 'stopped')"
                " AND expires > 0 AND expires <= ?2",
                -1, &st, NULL) != SQLITE_OK)
                return db_error(m, err, "prepare");
        sqlite3_bind_text(st, 1, env_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_int64(st, 3, pid);
        sqlite3_bind_int64(st, 4, start);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
                return db_error(m, err, "write");
        return sqlite3_changes(m->db) == 1;
}

/* ---- ready pools -------------------------------------------------------------------------- */

static const struct col pool_cols[] = {
    {"commit_id", COL_TEXT, offsetof(struct vers_pool, commit)},
    T(vers_pool, project),
    I(vers_pool, size),
    T(vers_pool, mode),
    {NULL, COL_TEXT, 0},
};

void vers_pool_clear(struct vers_pool *p)
{
        clear_row(pool_cols, p);
        memset(p, 0, sizeof *p);
}

void vers_pools_free(struct vers_pool *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                vers_pool_clear(&v[i]);
        free(v);
}

int vers_meta_put_pool(struct vers_meta *m, const struct vers_pool *p, vers_error_t *err)
{
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(m->db,
                               "INSERT OR REPLACE INTO pools(commit_id, project, size, mode)"
                               " VALUES(?1, ?2, ?3, ?4)",
                               -1, &st, NULL) != SQLITE_OK)
                return db_error(m, err, "prepare");
        sqlite3_bind_text(st, 1, p->commit, -1, SQLITE_TRANSIENT);
        if (p->project)
                sqlite3_bind_text(st, 2, p->project, -1, SQLITE_TRANSIENT);
        else
                sqlite3_bind_null(st, 2);
        sqlite3_bind_int64(st, 3, p->size);
        sqlite3_bind_text(st, 4, p->mode, -1, SQLITE_TRANSIENT);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 0 : db_error(m, err, "write pool");
}

/* the pools whose commit is commit_id (NULL: any) and project is project (NULL: any) */
static int select_pools(struct vers_meta *m, const char *commit_id, const char *project,
                        struct vers_pool **out, size_t *n, vers_error_t *err)
{
        sqlite3_stmt *st = NULL;
        *out = NULL;
        *n = 0;
        if (sqlite3_prepare_v2(m->db,
                               "SELECT p.commit_id, p.project, p.size, p.mode FROM pools p"
                               " LEFT JOIN commits c ON c.id = p.commit_id"
                               " WHERE (?1 IS NULL OR p.commit_id = ?1)"
                               " AND (?2 IS NULL OR p.project = ?2)"
                               " ORDER BY c.created, p.commit_id",
                               -1, &st, NULL) != SQLITE_OK)
                return db_error(m, err, "prepare");
        if (commit_id)
                sqlite3_bind_text(st, 1, commit_id, -1, SQLITE_TRANSIENT);
        if (project)
                sqlite3_bind_text(st, 2, project, -1, SQLITE_TRANSIENT);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                *out = xrealloc(*out, (*n + 1) * sizeof **out);
                struct vers_pool *p = &(*out)[(*n)++];
                const unsigned char *t;
                p->commit = xstrdup((const char *)sqlite3_column_text(st, 0));
                p->project = (t = sqlite3_column_text(st, 1)) ? xstrdup((const char *)t) : NULL;
                p->size = sqlite3_column_int64(st, 2);
                p->mode = xstrdup((t = sqlite3_column_text(st, 3)) ? (const char *)t : "cold");
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
                vers_pools_free(*out, *n);
                *out = NULL;
                *n = 0;
                return db_error(m, err, "read pools");
        }
        return 0;
}

int vers_meta_get_pool(struct vers_meta *m, const char *commit_id, struct vers_pool *out,
                       vers_error_t *err)
{
        struct vers_pool *v = NULL;
        size_t n = 0;
        memset(out, 0, sizeof *out);
        if (select_pools(m, commit_id, NULL, &v, &n, err) < 0)
                return -1;
        if (n == 0) {
                free(v);
                return 0;
        }
        *out = v[0];
        free(v);
        return 1;
}

int vers_meta_delete_pool(struct vers_meta *m, const char *commit_id, vers_error_t *err)
{
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(m->db, "DELETE FROM pools WHERE commit_id = ?1", -1, &st, NULL) !=
            SQLITE_OK)
                return db_error(m, err, "prepare");
        sqlite3_bind_text(st, 1, commit_id, -1, SQLITE_TRANSIENT);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 0 : db_error(m, err, "delete pool");
}

int vers_meta_list_pools(struct vers_meta *m, const char *project, struct vers_pool **out,
                         size_t *n, vers_error_t *err)
{
        return select_pools(m, NULL, project, out, n, err);
}

int vers_meta_claim_pooled(struct vers_meta *m, const char *commit_id, const char *mode,
                           const char *alias, const char *project, int64_t created,
                           struct vers_env *out, vers_error_t *err)
{
        sqlite3_stmt *st = NULL;
        memset(out, 0, sizeof *out);
        if (sqlite3_prepare_v2(m->db,
                               "UPDATE envs SET state = 'running', alias = ?3, project = ?4,"
                               " created = ?5, owner_pid = 0, owner_start = 0"
                               " WHERE id = (SELECT id FROM envs WHERE state = 'pooled'"
                               " AND base = ?1 AND (?2 IS NULL OR mode = ?2)"
                               " ORDER BY created, rowid LIMIT 1) AND state = 'pooled'"
                               " RETURNING id",
                               -1, &st, NULL) != SQLITE_OK)
                return db_error(m, err, "prepare");
        sqlite3_bind_text(st, 1, commit_id, -1, SQLITE_TRANSIENT);
        if (mode)
                sqlite3_bind_text(st, 2, mode, -1, SQLITE_TRANSIENT);
        if (alias)
                sqlite3_bind_text(st, 3, alias, -1, SQLITE_TRANSIENT);
        if (project)
                sqlite3_bind_text(st, 4, project, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 5, created);
        int rc = sqlite3_step(st);
        _cleanup_free_ char *id = NULL;
        if (rc == SQLITE_ROW) {
                id = xstrdup((const char *)sqlite3_column_text(st, 0));
                rc = sqlite3_step(st);
        }
        if (rc != SQLITE_DONE) {
                int ret = sqlite3_extended_errcode(m->db) == SQLITE_CONSTRAINT_UNIQUE
                              ? vers_make_error(err, 0, "alias '%s' is taken", alias ? alias : "")
                              : db_error(m, err, "claim a pooled env");
                sqlite3_finalize(st);
                return ret;
        }
        sqlite3_finalize(st);
        if (!id)
                return 0;
        int r = vers_meta_get_env(m, id, out, err);
        return r == 0 ? vers_make_error(err, 0, "pooled env '%s' vanished", id) : r;
}
