#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "state/meta.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
        char dir[64];
        struct vers_meta m;
};

static int setup(void **state)
{
        struct fixture *f = xcalloc(1, sizeof *f);
        snprintf(f->dir, sizeof f->dir, "/tmp/vers-meta-XXXXXX");
        if (!mkdtemp(f->dir))
                return -1;
        _cleanup_free_ char *db = xasprintf("%s/vers.db", f->dir);
        vers_error_t err = NULL;
        if (vers_meta_open(db, &f->m, &err) < 0)
                return -1;
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        vers_meta_close(&f->m);
        vers_rm_rf(f->dir, NULL);
        free(f);
        return 0;
}

static void test_env_roundtrip(void **state)
{
        struct fixture *f = *state;
        vers_error_t err = NULL;
        struct vers_env e = {.id = "e1",
                             .alias = "premium",
                             .project = "/p",
                             .image = "i1",
                             .state = "running",
                             .mode = "cold",
                             .init_pid = 42,
                             .init_start = 99,
                             .memory_mib = 2048,
                             .vcpu = 1,
                             .created = 5};
        assert_int_equal(vers_meta_put_env(&f->m, &e, &err), 0);
        struct vers_env g = {0};
        assert_int_equal(vers_meta_get_env(&f->m, "e1", &g, &err), 1);
        assert_string_equal(g.alias, "premium");
        assert_null(g.base);
        assert_int_equal(g.init_pid, 42);
        assert_int_equal(g.memory_mib, 2048);
        vers_env_clear(&g);
        assert_int_equal(vers_meta_get_env(&f->m, "nope", &g, &err), 0);
        /* put replaces the whole row */
        e.state = "stopped";
        e.init_pid = 0;
        assert_int_equal(vers_meta_put_env(&f->m, &e, &err), 0);
        assert_int_equal(vers_meta_get_env(&f->m, "e1", &g, &err), 1);
        assert_string_equal(g.state, "stopped");
        assert_int_equal(g.init_pid, 0);
        vers_env_clear(&g);
}

static void test_unique_alias_and_tag(void **state)
{
        struct fixture *f = *state;
        vers_error_t err = NULL;
        struct vers_env e = {.id = "e2", .alias = "premium", .state = "running", .created = 6};
        assert_int_equal(vers_meta_put_env(&f->m, &e, &err), -1);
        assert_non_null(strstr(err->msg, "already taken"));
        vers_error_free(&err);
        struct vers_commit c = {.id = "c1", .tag = "baseline", .state = "ready", .created = 1};
        struct vers_commit d = {.id = "c2", .tag = "baseline", .state = "ready", .created = 2};
        assert_int_equal(vers_meta_put_commit(&f->m, &c, &err), 0);
        assert_int_equal(vers_meta_put_commit(&f->m, &d, &err), -1);
        vers_error_free(&err);
        /* untagged commits are many */
        struct vers_commit u1 = {.id = "c3", .state = "ready", .created = 3};
        struct vers_commit u2 = {.id = "c4", .state = "pending", .created = 4};
        assert_int_equal(vers_meta_put_commit(&f->m, &u1, &err), 0);
        assert_int_equal(vers_meta_put_commit(&f->m, &u2, &err), 0);
}

static size_t count_commits(struct fixture *f, const struct vers_meta_query *q)
{
        vers_error_t err = NULL;
        struct vers_commit *cs = NULL;
        size_t n = 0;
        assert_int_equal(vers_meta_list_commits(&f->m, q, &cs, &n, &err), 0);
        vers_commits_free(cs, n);
        return n;
}

static void test_lists(void **state)
{
        struct fixture *f = *state;
        vers_error_t err = NULL;
        struct vers_commit *cs = NULL;
        size_t n = 0;
        const struct vers_meta_query ready = {.states = VERS_Q_READY};
        assert_int_equal(vers_meta_list_commits(&f->m, &ready, &cs, &n, &err), 0);
        assert_int_equal(n, 2);
        assert_string_equal(cs[0].id, "c1"); /* oldest first */
        assert_string_equal(cs[1].id, "c3");
        vers_commits_free(cs, n);
        assert_int_equal(count_commits(f, &(struct vers_meta_query){.name = "baseline"}), 1);
        assert_int_equal(count_commits(f, &(struct vers_meta_query){.tagged = true}), 1);
        /* the fields narrow together */
        assert_int_equal(count_commits(f, &(struct vers_meta_query){.name = "baseline",
                                                                    .states = VERS_Q_PENDING}),
                         0);
        assert_int_equal(
            count_commits(f, &(struct vers_meta_query){.states = VERS_Q_PENDING | VERS_Q_READY}),
            3);
        assert_int_equal(count_commits(f, &(struct vers_meta_query){.id = "c4"}), 1);
        /* a prefix is a prefix: LIKE's wildcards in it match nothing */
        assert_int_equal(count_commits(f, &(struct vers_meta_query){.id_prefix = "c"}), 3);
        assert_int_equal(count_commits(f, &(struct vers_meta_query){.id_prefix = "c3"}), 1);
        assert_int_equal(count_commits(f, &(struct vers_meta_query){.id_prefix = "%"}), 0);
        assert_int_equal(count_commits(f, &(struct vers_meta_query){.id_prefix = "_"}), 0);
        assert_int_equal(count_commits(f, &(struct vers_meta_query){.project = "/nowhere"}), 0);
        assert_int_equal(vers_meta_delete(&f->m, VERS_META_COMMITS, "c1", &err), 0);
        assert_int_equal(count_commits(f, NULL), 2);
}

static void test_transactions(void **state)
{
        struct fixture *f = *state;
        vers_error_t err = NULL;
        assert_int_equal(vers_meta_begin(&f->m, &err), 0);
        struct vers_image i = {.id = "i9", .key = "k", .state = "ready", .created = 1};
        assert_int_equal(vers_meta_put_image(&f->m, &i, &err), 0);
        vers_meta_rollback(&f->m);
        struct vers_image g = {0};
        assert_int_equal(vers_meta_get_image(&f->m, "i9", &g, &err), 0);
        assert_int_equal(vers_meta_begin(&f->m, &err), 0);
        assert_int_equal(vers_meta_put_image(&f->m, &i, &err), 0);
        assert_int_equal(vers_meta_commit(&f->m, &err), 0);
        assert_int_equal(vers_meta_get_image(&f->m, "i9", &g, &err), 1);
        assert_string_equal(g.key, "k");
        vers_image_clear(&g);
}

static void test_reopen_keeps_data_and_refuses_newer_schema(void **state)
{
        struct fixture *f = *state;
        vers_error_t err = NULL;
        _cleanup_free_ char *db = xasprintf("%s/vers.db", f->dir);
        vers_meta_close(&f->m);
        assert_int_equal(vers_meta_open(db, &f->m, &err), 0);
        struct vers_env g = {0};
        assert_int_equal(vers_meta_get_env(&f->m, "e1", &g, &err), 1);
        vers_env_clear(&g);
        sqlite3_exec(f->m.db, "PRAGMA user_version = 99", NULL, NULL, NULL);
        vers_meta_close(&f->m);
        assert_int_equal(vers_meta_open(db, &f->m, &err), -1);
        assert_non_null(strstr(err->msg, "schema version 99"));
        vers_error_free(&err);
        assert_null(f->m.db);
}

static void test_tags_unique_per_project(void **state)
{
        struct fixture *f = *state;
        vers_error_t err = NULL;
        struct vers_commit a = {.id = "pa", .project = "/a", .tag = "base", .state = "ready"};
        struct vers_commit b = {.id = "pb", .project = "/b", .tag = "base", .state = "ready"};
        struct vers_commit a2 = {.id = "pa2", .project = "/a", .tag = "base", .state = "ready"};
        assert_int_equal(vers_meta_put_commit(&f->m, &a, &err), 0);
        assert_int_equal(vers_meta_put_commit(&f->m, &b, &err), 0);
        assert_int_equal(vers_meta_put_commit(&f->m, &a2, &err), -1);
        assert_non_null(strstr(err->msg, "already taken"));
        vers_error_free(&err);
        struct vers_commit g = {0};
        assert_int_equal(vers_meta_get_commit(&f->m, "pb", &g, &err), 1);
        assert_string_equal(g.project, "/b");
        assert_string_equal(g.tag, "base");
        vers_commit_clear(&g);
}

/* A version 1 database (tags unique over the whole root, no project on commits) is upgraded
 * in place: a commit takes its env's project while that env exists. */
static void test_upgrade_from_version_1(void **state)
{
        (void)state;
        char dir[] = "/tmp/vers-meta-v1-XXXXXX";
        assert_non_null(mkdtemp(dir));
        _cleanup_free_ char *db = xasprintf("%s/vers.db", dir);
        sqlite3 *raw = NULL;
        assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
        const char *v1 =
            "CREATE TABLE images(id TEXT PRIMARY KEY, key TEXT, project TEXT,"
            " state TEXT NOT NULL, created INTEGER, owner_pid INTEGER, owner_start INTEGER);"
            "CREATE TABLE commits(id TEXT PRIMARY KEY, parent TEXT, image TEXT,"
            " env TEXT, tag TEXT UNIQUE, message TEXT, mode TEXT, state TEXT NOT NULL,"
            " created INTEGER, owner_pid INTEGER, owner_start INTEGER);"
            "CREATE TABLE envs(id TEXT PRIMARY KEY, alias TEXT UNIQUE, project TEXT,"
            " image TEXT, base TEXT, state TEXT NOT NULL, target TEXT, mode TEXT,"
            " init_pid INTEGER, init_start INTEGER, memory_mib INTEGER, vcpu INTEGER,"
            " created INTEGER, owner_pid INTEGER, owner_start INTEGER);"
            "INSERT INTO envs(id, alias, project, state) VALUES('e1', 'one', '/p', 'running');"
            "INSERT INTO commits(id, env, tag, message, state, created)"
            " VALUES('c1', 'e1', 'base', 'kept', 'ready', 1);"
            "INSERT INTO commits(id, env, tag, state, created) VALUES('c2', 'gone', 'old', "
            "'ready', 2);"
            "PRAGMA user_version = 1;";
        assert_int_equal(sqlite3_exec(raw, v1, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(raw);

        struct vers_meta m;
        vers_error_t err = NULL;
        assert_int_equal(vers_meta_open(db, &m, &err), 0);
        struct vers_commit g = {0};
        assert_int_equal(vers_meta_get_commit(&m, "c1", &g, &err), 1);
        assert_string_equal(g.project, "/p");
        assert_string_equal(g.tag, "base");
        assert_string_equal(g.message, "kept");
        vers_commit_clear(&g);
        assert_int_equal(vers_meta_get_commit(&m, "c2", &g, &err), 1);
        assert_null(g.project);
        assert_string_equal(g.tag, "old");
        vers_commit_clear(&g);
        /* the same tag in another project is now allowed, in the same one still refused */
        struct vers_commit other = {.id = "c3", .project = "/q", .tag = "base", .state = "ready"};
        struct vers_commit same = {.id = "c4", .project = "/p", .tag = "base", .state = "ready"};
        assert_int_equal(vers_meta_put_commit(&m, &other, &err), 0);
        assert_int_equal(vers_meta_put_commit(&m, &same, &err), -1);
        vers_error_free(&err);
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_prepare_v2(m.db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(st, 0), 6);
        sqlite3_finalize(st);
        vers_meta_close(&m);
        /* opening again does not migrate twice */
        assert_int_equal(vers_meta_open(db, &m, &err), 0);
        assert_int_equal(vers_meta_get_commit(&m, "c3", &g, &err), 1);
        vers_commit_clear(&g);
        vers_meta_close(&m);
        vers_rm_rf(dir, NULL);
}

static void sql(const char *db, const char *stmt);

/* ---- version 3: checkpoint keys, env cgroups, the root's cgroup scope ---------------------- */

/* what vers before version 3 made: version 2's tables, user_version 2, marked */
static const char v2_schema[] =
    "CREATE TABLE images(id TEXT PRIMARY KEY, key TEXT, project TEXT,"
    " state TEXT NOT NULL, created INTEGER, owner_pid INTEGER, owner_start INTEGER);"
    "CREATE TABLE commits(id TEXT PRIMARY KEY, parent TEXT, image TEXT, env TEXT, tag TEXT,"
    " message TEXT, mode TEXT, state TEXT NOT NULL, created INTEGER, owner_pid INTEGER,"
    " owner_start INTEGER, project TEXT);"
    "CREATE UNIQUE INDEX commits_project_tag ON commits(ifnull(project, ''), tag);"
    "CREATE TABLE envs(id TEXT PRIMARY KEY, alias TEXT UNIQUE, project TEXT,"
    " image TEXT, base TEXT, state TEXT NOT NULL, target TEXT, mode TEXT,"
    " init_pid INTEGER, init_start INTEGER, memory_mib INTEGER, vcpu INTEGER,"
    " created INTEGER, owner_pid INTEGER, owner_start INTEGER);"
    "PRAGMA user_version = 2; PRAGMA application_id = 1986359923;";

static int64_t pragma(sqlite3 *db, const char *name)
{
        _cleanup_free_ char *q = xasprintf("PRAGMA %s", name);
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        int64_t v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return v;
}

/* The scope vers before version 3 gave a root: FNV-1a of its real path, folded to 32 bits.
 * Written out again here as the known answer the migration must reproduce: an env running
 * across the upgrade is in exactly this cgroup. */
static char *old_scope(const char *root)
{
        _cleanup_free_ char *real = realpath(root, NULL);
        assert_non_null(real);
        uint64_t h = 14695981039346656037ULL;
        for (const char *p = real; *p; p++) {
                h ^= (unsigned char)*p;
                h *= 1099511628211ULL;
        }
        return xasprintf("vers/%08x", (unsigned)(h ^ (h >> 32)));
}

/* A version 2 database is upgraded in place: every env row records the cgroup it has (the
 * old scope and its id), the root keeps the old scope, commits get an empty checkpoint key;
 * then keys are found by the column, within the project, newest ready commit first. */
static void test_upgrade_from_version_2(void **state)
{
        (void)state;
        char dir[] = "/tmp/vers-meta-v2-XXXXXX";
        assert_non_null(mkdtemp(dir));
        _cleanup_free_ char *db = xasprintf("%s/vers.db", dir);
        sql(db, v2_schema);
        sql(db, "INSERT INTO envs(id, alias, project, state, init_pid, init_start, created)"
                " VALUES('0123456789ab', 'running-one', '/p', 'running', 4242, 77, 1);"
                "INSERT INTO envs(id, project, state, created) VALUES('ba9876543210', '/p',"
                " 'stopped', 2);"
                "INSERT INTO commits(id, env, tag, message, state, created, project) VALUES("
                "'c-old', '0123456789ab', 'schema-loaded',"
                " 'vers test: checkpoint schema-loaded (key 0123456789abcdef0123456789abcdef)',"
                " 'ready', 1, '/p');");
        struct vers_meta m;
        vers_error_t err = NULL;
        assert_int_equal(vers_meta_open(db, &m, &err), 0);
        assert_int_equal(pragma(m.db, "user_version"), 6);
        _cleanup_free_ char *scope = old_scope(dir);
        struct vers_env e = {0};
        assert_int_equal(vers_meta_get_env(&m, "0123456789ab", &e, &err), 1);
        _cleanup_free_ char *want = xasprintf("%s/0123456789ab", scope);
        assert_string_equal(e.cgroup, want);
        assert_int_equal(e.init_pid, 4242); /* the rest of the row is as it was */
        assert_string_equal(e.alias, "running-one");
        vers_env_clear(&e);
        assert_int_equal(vers_meta_get_env(&m, "ba9876543210", &e, &err), 1);
        _cleanup_free_ char *want2 = xasprintf("%s/ba9876543210", scope);
        assert_string_equal(e.cgroup, want2);
        vers_env_clear(&e);
        /* the root keeps the scope it had: a fresh one is not taken */
        char *got = NULL;
        assert_int_equal(vers_meta_cgroup_scope(&m, "vers/0000000000000000", &got, &err), 0);
        assert_string_equal(got, scope);
        free(got);
        /* the old checkpoint, keyed in its message, is not found: rebuilt once */
        char *id = NULL;
        assert_int_equal(
            vers_meta_find_checkpoint(&m, "0123456789abcdef0123456789abcdef", "/p", &id, &err), 0);
        assert_null(id);
        /* keys by the column */
        struct vers_commit c1 = {.id = "k1", .project = "/p", .state = "ready", .created = 10};
        struct vers_commit c2 = {.id = "k2", .project = "/p", .state = "ready", .created = 20};
        struct vers_commit c3 = {.id = "k3", .project = "/q", .state = "ready", .created = 30};
        struct vers_commit c4 = {.id = "k4", .project = "/p", .state = "pending", .created = 40};
        struct vers_commit c5 = {.id = "k5", .state = "ready", .created = 50};
        struct vers_commit *all[] = {&c1, &c2, &c3, &c4, &c5};
        for (size_t i = 0; i < 5; i++) {
                assert_int_equal(vers_meta_put_commit(&m, all[i], &err), 0);
                assert_int_equal(vers_meta_set_checkpoint_key(&m, all[i]->id, "K", &err), 0);
        }
        assert_int_equal(vers_meta_find_checkpoint(&m, "K", "/p", &id, &err), 1);
        assert_string_equal(id, "k2"); /* the newest ready one of the project */
        free(id);
        assert_int_equal(vers_meta_find_checkpoint(&m, "K", "/q", &id, &err), 1);
        assert_string_equal(id, "k3");
        free(id);
        assert_int_equal(vers_meta_find_checkpoint(&m, "K", NULL, &id, &err), 1);
        assert_string_equal(id, "k5"); /* no project: only commits of no project */
        free(id);
        assert_int_equal(vers_meta_find_checkpoint(&m, "K", "/r", &id, &err), 0);
        assert_int_equal(vers_meta_find_checkpoint(&m, "other", "/p", &id, &err), 0);
        /* put rewrites the row, and the key stays */
        c2.tag = "moved";
        assert_int_equal(vers_meta_put_commit(&m, &c2, &err), 0);
        assert_int_equal(vers_meta_find_checkpoint(&m, "K", "/p", &id, &err), 1);
        assert_string_equal(id, "k2");
        free(id);
        assert_int_equal(vers_meta_set_checkpoint_key(&m, "k2", NULL, &err), 0);
        assert_int_equal(vers_meta_find_checkpoint(&m, "K", "/p", &id, &err), 1);
        assert_string_equal(id, "k1");
        free(id);
        assert_int_equal(vers_meta_set_checkpoint_key(&m, "nosuch", "K", &err), -1);
        assert_non_null(strstr(err->msg, "no commit 'nosuch'"));
        vers_error_free(&err);
        /* a commit's key read back (vers export's annotation); none is NULL */
        char *key = NULL;
        assert_int_equal(vers_meta_get_checkpoint_key(&m, "k1", &key, &err), 0);
        assert_string_equal(key, "K");
        free(key);
        assert_int_equal(vers_meta_get_checkpoint_key(&m, "k2", &key, &err), 0);
        assert_null(key);
        /* version 4: where a commit was pushed, upgraded in place from 2 */
        char *ref = NULL;
        assert_int_equal(vers_meta_get_pushed(&m, "k1", &ref, &err), 0);
        assert_null(ref);
        assert_int_equal(vers_meta_set_pushed(&m, "k1", "127.0.0.1:5000/x:1", &err), 0);
        assert_int_equal(vers_meta_get_pushed(&m, "k1", &ref, &err), 0);
        assert_string_equal(ref, "127.0.0.1:5000/x:1");
        free(ref);
        assert_int_equal(vers_meta_set_pushed(&m, "nosuch", "r", &err), -1);
        vers_error_free(&err);
        vers_meta_close(&m);
        /* opening again migrates nothing twice */
        assert_int_equal(vers_meta_open(db, &m, &err), 0);
        assert_int_equal(vers_meta_find_checkpoint(&m, "K", "/p", &id, &err), 1);
        free(id);
        assert_int_equal(vers_meta_cgroup_scope(&m, "vers/1111111111111111", &got, &err), 0);
        assert_string_equal(got, scope);
        free(got);
        vers_meta_close(&m);
        vers_rm_rf(dir, NULL);
}

/* A new database records the scope its first open is given, and keeps it. */
static void test_new_db_records_its_scope(void **state)
{
        (void)state;
        char dir[] = "/tmp/vers-meta-v3-XXXXXX";
        assert_non_null(mkdtemp(dir));
        _cleanup_free_ char *db = xasprintf("%s/vers.db", dir);
        struct vers_meta m;
        vers_error_t err = NULL;
        assert_int_equal(vers_meta_open(db, &m, &err), 0);
        assert_int_equal(pragma(m.db, "user_version"), 6);
        char *got = NULL;
        assert_int_equal(vers_meta_cgroup_scope(&m, "vers/aaaaaaaaaaaaaaaa", &got, &err), 0);
        assert_string_equal(got, "vers/aaaaaaaaaaaaaaaa");
        free(got);
        vers_meta_close(&m);
        assert_int_equal(vers_meta_open(db, &m, &err), 0);
        assert_int_equal(vers_meta_cgroup_scope(&m, "vers/bbbbbbbbbbbbbbbb", &got, &err), 0);
        assert_string_equal(got, "vers/aaaaaaaaaaaaaaaa");
        free(got);
        /* an env row keeps the cgroup it is given */
        struct vers_env e = {.id = "e", .state = "running", .cgroup = "vers/aaaaaaaaaaaaaaaa/e"};
        assert_int_equal(vers_meta_put_env(&m, &e, &err), 0);
        struct vers_env g = {0};
        assert_int_equal(vers_meta_get_env(&m, "e", &g, &err), 1);
        assert_string_equal(g.cgroup, "vers/aaaaaaaaaaaaaaaa/e");
        vers_env_clear(&g);
        vers_meta_close(&m);
        vers_rm_rf(dir, NULL);
}

/* Several vers opening one version 2 database at the same time (the first commands after an
 * upgrade): each waits for the write lock, then sees the schema another one made; none
 * fails. */
static void open_together(const char *db, int nproc, int *failed)
{
        int go[2];
        assert_int_equal(pipe(go), 0);
        for (int k = 0; k < nproc; k++) {
                pid_t pid = fork();
                assert_true(pid >= 0);
                if (pid == 0) {
                        close(go[1]);
                        char c;
                        if (read(go[0], &c, 1) < 0)
                                _exit(2);
                        struct vers_meta m;
                        vers_error_t err = NULL;
                        int r = vers_meta_open(db, &m, &err);
                        if (r == 0)
                                vers_meta_close(&m);
                        else
                                fprintf(stderr, "open_together: %s\n", err->msg);
                        vers_error_free(&err);
                        _exit(r == 0 ? 0 : 1);
                }
        }
        close(go[0]);
        close(go[1]); /* all of them go at once */
        int st;
        while (wait(&st) > 0)
                *failed += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
}

static void test_concurrent_first_opens(void **state)
{
        (void)state;
        char dir[] = "/tmp/vers-meta-race-XXXXXX";
        assert_non_null(mkdtemp(dir));
        int failed = 0;
        for (int it = 0; it < 10; it++) {
                _cleanup_free_ char *db = xasprintf("%s/vers-%d.db", dir, it);
                sql(db, v2_schema);
                sql(db, "PRAGMA journal_mode=WAL"); /* as every vers left it */
                open_together(db, 4, &failed);
                sqlite3 *h = NULL;
                assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
                assert_int_equal(pragma(h, "user_version"), 6);
                sqlite3_close(h);
        }
        assert_int_equal(failed, 0);
        vers_rm_rf(dir, NULL);
}

/* A version 2 file that is damaged (a table gone) is refused as before, and left as it was. */
static void test_damaged_version_2_is_refused(void **state)
{
        (void)state;
        char dir[] = "/tmp/vers-meta-v2bad-XXXXXX";
        assert_non_null(mkdtemp(dir));
        _cleanup_free_ char *db = xasprintf("%s/vers.db", dir);
        sql(db, v2_schema);
        sql(db, "DROP TABLE envs");
        struct vers_meta m;
        vers_error_t err = NULL;
        assert_int_equal(vers_meta_open(db, &m, &err), -1);
        assert_non_null(strstr(err->msg, "a vers database without its tables"));
        vers_error_free(&err);
        sqlite3 *h = NULL;
        assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
        assert_int_equal(pragma(h, "user_version"), 2);
        sqlite3_close(h);
        vers_rm_rf(dir, NULL);
}

/* ---- what is at VERS_ROOT/vers.db, next to what store ---------------------------------- */

/* a root directory with a store/ beside it, holding one env subvolume if populated */
static char *make_root(const char *base, const char *name, bool populated)
{
        char *root = xasprintf("%s/%s", base, name);
        _cleanup_free_ char *envs = xasprintf("%s/store/envs", root);
        assert_int_equal(vers_mkdir_p(envs, 0700, NULL), 0);
        if (populated) {
                _cleanup_free_ char *e = xasprintf("%s/0123456789ab", envs);
                assert_int_equal(mkdir(e, 0700), 0);
        }
        return root;
}

static void sql(const char *db, const char *stmt)
{
        sqlite3 *h = NULL;
        assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
        assert_int_equal(sqlite3_exec(h, stmt, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(h);
}

/* vers_meta_open_root, closed again when it opens */
static int check_root(const char *root, const char *store, vers_error_t *err)
{
        struct vers_meta m;
        int r = vers_meta_open_root(root, store, &m, err);
        if (r == 0)
                vers_meta_close(&m);
        return r;
}

static void expect_refused(const char *root, const char *needle)
{
        _cleanup_free_ char *store = xasprintf("%s/store", root);
        vers_error_t err = NULL;
        assert_int_equal(check_root(root, store, &err), -1);
        assert_non_null(err);
        if (!strstr(err->msg, needle))
                fail_msg("'%s' does not say '%s'", err->msg, needle);
        assert_null(strchr(err->msg, '\n'));
        vers_error_free(&err);
}

static void test_missing_or_empty_db_next_to_a_store_is_refused(void **state)
{
        struct fixture *f = *state;
        _cleanup_free_ char *root = make_root(f->dir, "r1", true);
        _cleanup_free_ char *db = xasprintf("%s/vers.db", root);
        expect_refused(root, "has a store with 1 subvolume but vers.db is missing; refusing");
        assert_int_equal(vers_write_file_atomic(db, "", 0, 0644, NULL), 0);
        expect_refused(root, "vers.db is empty; refusing to recreate it");
        /* an SQLite file with no tables at all is as good as empty */
        sql(db, "PRAGMA user_version = 0");
        unlink(db);
        sql(db, "CREATE TABLE t(x); DROP TABLE t");
        expect_refused(root, "vers.db is an SQLite database with no tables");
        /* and nothing was written */
        struct stat sb;
        assert_int_equal(stat(db, &sb), 0);
        sqlite3 *h = NULL;
        assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(*) FROM sqlite_master", -1, &st, NULL),
                         SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(st, 0), 0);
        sqlite3_finalize(st);
        sqlite3_close(h);
}

static void test_fresh_root_gets_a_new_marked_db(void **state)
{
        struct fixture *f = *state;
        _cleanup_free_ char *root = make_root(f->dir, "r2", false);
        _cleanup_free_ char *store = xasprintf("%s/store", root);
        _cleanup_free_ char *db = xasprintf("%s/vers.db", root);
        vers_error_t err = NULL;
        assert_int_equal(check_root(root, store, &err), 0);
        struct vers_meta m;
        assert_int_equal(vers_meta_open(db, &m, &err), 0);
        vers_meta_close(&m);
        enum vers_meta_kind kind;
        assert_int_equal(vers_meta_inspect(db, &kind, NULL, &err), 0);
        assert_int_equal(kind, VERS_META_VERS);
        /* once it holds subvolumes, the db it has is fine */
        _cleanup_free_ char *e = xasprintf("%s/envs/0123456789ab", store);
        assert_int_equal(mkdir(e, 0700), 0);
        assert_int_equal(check_root(root, store, &err), 0);
}

static void test_truncated_db_is_refused(void **state)
{
        struct fixture *f = *state;
        _cleanup_free_ char *root = make_root(f->dir, "r3", false);
        _cleanup_free_ char *db = xasprintf("%s/vers.db", root);
        vers_error_t err = NULL;
        struct vers_meta m;
        assert_int_equal(vers_meta_open(db, &m, &err), 0);
        for (int i = 0; i < 300; i++) {
                char id[16];
                snprintf(id, sizeof id, "c%d", i);
                struct vers_commit c = {.id = id, .state = "ready", .message = "x", .created = i};
                assert_int_equal(vers_meta_put_commit(&m, &c, &err), 0);
        }
        vers_meta_close(&m); /* the last connection checkpoints the log into the file */
        assert_int_equal(truncate(db, 4096), 0);
        expect_refused(root, "vers.db' is truncated (4096 bytes of");
        /* even on a fresh store: it is not vers's to overwrite */
        assert_int_equal(vers_meta_open(db, &m, &err), -1);
        assert_non_null(strstr(err->msg, "truncated"));
        vers_error_free(&err);
        assert_int_equal(truncate(db, 50), 0);
        expect_refused(root, "truncated (50 bytes)");
}

static void test_foreign_db_is_refused(void **state)
{
        struct fixture *f = *state;
        _cleanup_free_ char *root = make_root(f->dir, "r4", true);
        _cleanup_free_ char *db = xasprintf("%s/vers.db", root);
        assert_int_equal(vers_write_file_atomic(db, "not a database\n", 15, 0644, NULL), 0);
        expect_refused(root, "is not an SQLite database");
        unlink(db);
        sql(db, "CREATE TABLE notes(x)");
        expect_refused(root, "is an SQLite database without vers's tables");
        unlink(db);
        sql(db, "CREATE TABLE images(id); PRAGMA application_id = 1234");
        expect_refused(root, "another program's SQLite database (application_id 0x000004d2)");
        /* vers_meta_open refuses it too, and leaves it as it was */
        vers_error_t err = NULL;
        struct vers_meta m;
        assert_int_equal(vers_meta_open(db, &m, &err), -1);
        vers_error_free(&err);
        expect_refused(root, "application_id 0x000004d2");
}

static void test_unmarked_vers_db_is_adopted(void **state)
{
        struct fixture *f = *state;
        _cleanup_free_ char *root = make_root(f->dir, "r5", true);
        _cleanup_free_ char *store = xasprintf("%s/store", root);
        _cleanup_free_ char *db = xasprintf("%s/vers.db", root);
        /* what vers made before the marker: the tables and user_version 1, application_id 0 */
        vers_error_t err = NULL;
        struct vers_meta m;
        assert_int_equal(vers_meta_open(db, &m, &err), 0);
        struct vers_env e = {.id = "0123456789ab", .state = "stopped", .created = 1};
        assert_int_equal(vers_meta_put_env(&m, &e, &err), 0);
        vers_meta_close(&m);
        sql(db, "PRAGMA application_id = 0");
        assert_int_equal(check_root(root, store, &err), 0);
        assert_int_equal(vers_meta_open(db, &m, &err), 0);
        struct vers_env g = {0};
        assert_int_equal(vers_meta_get_env(&m, "0123456789ab", &g, &err), 1);
        assert_string_equal(g.state, "stopped");
        vers_env_clear(&g);
        vers_meta_close(&m);
        sqlite3 *h = NULL;
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA application_id", -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(st, 0), VERS_META_APP_ID);
        sqlite3_finalize(st);
        sqlite3_close(h);
}

/* pools: put, get, list by project, delete; a claim takes each pooled env once, of the
 * right commit and mode, and makes it the user's */
/* Expiry: envs are listed by when they expire, and a claim takes a running or stopped
 * expired env once; a second claim, an env that is not expired, or one in another state is
 * not taken. */
static void test_expiry_claims(void **state)
{
        struct fixture *f = *state;
        vers_error_t err = NULL;
        struct vers_env a = {.id = "e-old", .state = "running", .created = 1};
        struct vers_env b = {.id = "e-new", .state = "stopped", .created = 2};
        struct vers_env c = {.id = "e-pend", .state = "pending", .created = 3};
        struct vers_env d = {.id = "e-never", .state = "running", .created = 4};
        assert_int_equal(vers_meta_put_env(&f->m, &a, &err), 0);
        assert_int_equal(vers_meta_put_env(&f->m, &b, &err), 0);
        assert_int_equal(vers_meta_put_env(&f->m, &c, &err), 0);
        assert_int_equal(vers_meta_put_env(&f->m, &d, &err), 0);
        assert_int_equal(vers_meta_set_env_expires(&f->m, "e-old", 100, &err), 0);
        assert_int_equal(vers_meta_set_env_expires(&f->m, "e-new", 200, &err), 0);
        assert_int_equal(vers_meta_set_env_expires(&f->m, "e-pend", 100, &err), 0);
        assert_int_equal(vers_meta_set_env_expires(&f->m, "nope", 100, &err), -1);
        vers_error_free(&err);
        struct vers_env *v = NULL;
        size_t n = 0;
        const struct vers_meta_query q = {.states = VERS_Q_RUNNING | VERS_Q_STOPPED,
                                          .expired_by = 150};
        assert_int_equal(vers_meta_list_envs(&f->m, &q, &v, &n, &err), 0);
        assert_int_equal(n, 1);
        assert_string_equal(v[0].id, "e-old");
        assert_int_equal(v[0].expires, 100);
        vers_env_clear(&v[0]);
        free(v);
        /* a put of the whole row (as every state change is) keeps the expiry */
        struct vers_env g = {0};
        assert_int_equal(vers_meta_get_env(&f->m, "e-new", &g, &err), 1);
        assert_int_equal(vers_meta_put_env(&f->m, &g, &err), 0);
        vers_env_clear(&g);
        assert_int_equal(vers_meta_claim_expired(&f->m, "e-new", 150, 7, 8, &err), 0);
        assert_int_equal(vers_meta_claim_expired(&f->m, "e-new", 250, 7, 8, &err), 1);
        assert_int_equal(vers_meta_claim_expired(&f->m, "e-new", 250, 9, 9, &err), 0);
        assert_int_equal(vers_meta_get_env(&f->m, "e-new", &g, &err), 1);
        assert_string_equal(g.state, "deleting");
        assert_int_equal(g.owner_pid, 7);
        assert_int_equal(g.expires, 200);
        vers_env_clear(&g);
        assert_int_equal(vers_meta_claim_expired(&f->m, "e-pend", 250, 7, 8, &err), 0);
        assert_int_equal(vers_meta_claim_expired(&f->m, "e-never", 250, 7, 8, &err), 0);
}

static void test_pools_and_claims(void **state)
{
        struct fixture *f = *state;
        vers_error_t err = NULL;
        struct vers_pool p = {"c1", "/p", 2, "cold"};
        assert_int_equal(vers_meta_put_pool(&f->m, &p, &err), 0);
        p.size = 3;
        assert_int_equal(vers_meta_put_pool(&f->m, &p, &err), 0);
        struct vers_pool g = {0};
        assert_int_equal(vers_meta_get_pool(&f->m, "c1", &g, &err), 1);
        assert_int_equal(g.size, 3);
        assert_string_equal(g.mode, "cold");
        vers_pool_clear(&g);
        struct vers_pool *v = NULL;
        size_t n = 9;
        assert_int_equal(vers_meta_list_pools(&f->m, "/q", &v, &n, &err), 0);
        assert_int_equal(n, 0);
        vers_pools_free(v, n);
        assert_int_equal(vers_meta_list_pools(&f->m, "/p", &v, &n, &err), 0);
        assert_int_equal(n, 1);
        vers_pools_free(v, n);

        const char *ids[] = {"pe1", "pe2", "pe3"};
        for (int i = 0; i < 3; i++) {
                struct vers_env e = {.id = (char *)ids[i],
                                     .image = "i1",
                                     .base = i < 2 ? "c1" : "c2",
                                     .state = "pooled",
                                     .mode = "cold",
                                     .created = i};
                assert_int_equal(vers_meta_put_env(&f->m, &e, &err), 0);
        }
        struct vers_env *envs = NULL;
        assert_int_equal(
            vers_meta_list_envs(&f->m,
                                &(struct vers_meta_query){.base = "c1", .states = VERS_Q_POOLED},
                                &envs, &n, &err),
            0);
        assert_int_equal(n, 2);
        vers_envs_free(envs, n);
        /* pooled envs are nobody's: not live */
        assert_int_equal(vers_meta_list_live_envs(&f->m, NULL, &envs, &n, &err), 0);
        for (size_t i = 0; i < n; i++)
                assert_string_not_equal(envs[i].state, "pooled");
        vers_envs_free(envs, n);

        struct vers_env e = {0};
        assert_int_equal(vers_meta_claim_pooled(&f->m, "c1", "warm", "pa", "/p", 7, &e, &err), 0);
        assert_int_equal(vers_meta_claim_pooled(&f->m, "c1", "cold", "pa", "/p", 7, &e, &err), 1);
        assert_string_equal(e.id, "pe1");
        assert_string_equal(e.state, "running");
        assert_string_equal(e.alias, "pa");
        assert_string_equal(e.project, "/p");
        assert_int_equal(e.created, 7);
        vers_env_clear(&e);
        /* the alias is unique: the next claim with it fails and leaves its row pooled */
        assert_int_equal(vers_meta_claim_pooled(&f->m, "c1", "cold", "pa", "/p", 8, &e, &err), -1);
        assert_non_null(strstr(err->msg, "alias 'pa' is taken"));
        vers_error_free(&err);
        assert_int_equal(vers_meta_claim_pooled(&f->m, "c1", NULL, NULL, "/p", 8, &e, &err), 1);
        assert_string_equal(e.id, "pe2");
        assert_null(e.alias);
        vers_env_clear(&e);
        assert_int_equal(vers_meta_claim_pooled(&f->m, "c1", NULL, NULL, "/p", 9, &e, &err), 0);

        assert_int_equal(vers_meta_delete_pool(&f->m, "c1", &err), 0);
        assert_int_equal(vers_meta_get_pool(&f->m, "c1", &g, &err), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_env_roundtrip),
            cmocka_unit_test(test_unique_alias_and_tag),
            cmocka_unit_test(test_lists),
            cmocka_unit_test(test_transactions),
            cmocka_unit_test(test_tags_unique_per_project),
            cmocka_unit_test(test_pools_and_claims),
            cmocka_unit_test(test_expiry_claims),
            cmocka_unit_test(test_reopen_keeps_data_and_refuses_newer_schema),
            cmocka_unit_test(test_upgrade_from_version_1),
            cmocka_unit_test(test_upgrade_from_version_2),
            cmocka_unit_test(test_new_db_records_its_scope),
            cmocka_unit_test(test_damaged_version_2_is_refused),
            cmocka_unit_test(test_concurrent_first_opens),
            cmocka_unit_test(test_missing_or_empty_db_next_to_a_store_is_refused),
            cmocka_unit_test(test_fresh_root_gets_a_new_marked_db),
            cmocka_unit_test(test_truncated_db_is_refused),
            cmocka_unit_test(test_foreign_db_is_refused),
            cmocka_unit_test(test_unmarked_vers_db_is_adopted),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
