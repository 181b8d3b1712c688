#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "meta.h"

#include <stdio.h>
#include <string.h>

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

static void test_lists(void **state)
{
        struct fixture *f = *state;
        vers_error_t err = NULL;
        struct vers_commit *cs = NULL;
        size_t n = 0;
        assert_int_equal(vers_meta_list_commits(&f->m, "state = 'ready'", NULL, &cs, &n, &err), 0);
        assert_int_equal(n, 2);
        assert_string_equal(cs[0].id, "c1"); /* oldest first */
        assert_string_equal(cs[1].id, "c3");
        vers_commits_free(cs, n);
        assert_int_equal(vers_meta_list_commits(&f->m, "tag = ?1", "baseline", &cs, &n, &err), 0);
        assert_int_equal(n, 1);
        vers_commits_free(cs, n);
        assert_int_equal(vers_meta_delete(&f->m, "commits", "c1", &err), 0);
        assert_int_equal(vers_meta_list_commits(&f->m, NULL, NULL, &cs, &n, &err), 0);
        assert_int_equal(n, 2);
        vers_commits_free(cs, n);
        assert_int_equal(vers_meta_list_commits(&f->m, "no_such_column = 1", NULL, &cs, &n, &err),
                         -1);
        vers_error_free(&err);
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
        assert_int_equal(sqlite3_column_int(st, 0), 2);
        sqlite3_finalize(st);
        vers_meta_close(&m);
        /* opening again does not migrate twice */
        assert_int_equal(vers_meta_open(db, &m, &err), 0);
        assert_int_equal(vers_meta_get_commit(&m, "c3", &g, &err), 1);
        vers_commit_clear(&g);
        vers_meta_close(&m);
        vers_rm_rf(dir, NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_env_roundtrip),
            cmocka_unit_test(test_unique_alias_and_tag),
            cmocka_unit_test(test_lists),
            cmocka_unit_test(test_transactions),
            cmocka_unit_test(test_tags_unique_per_project),
            cmocka_unit_test(test_reopen_keeps_data_and_refuses_newer_schema),
            cmocka_unit_test(test_upgrade_from_version_1),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
