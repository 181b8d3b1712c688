#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/strbuf.h"
#include "base/util.h"
#include "kernel_needs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void test_strbuf(void **state)
{
        (void)state;
        struct strbuf sb = STRBUF_INIT;
        assert_string_equal(sb.buf, "");
        assert_int_equal(sb.len, 0);
        for (int i = 0; i < 1000; i++)
                strbuf_addf(&sb, "%d,", i);
        assert_int_equal(sb.len, strlen(sb.buf));
        assert_true(str_startswith(sb.buf, "0,1,2,"));
        assert_true(str_endswith(sb.buf, "998,999,"));
        strbuf_reset(&sb);
        assert_string_equal(sb.buf, "");
        strbuf_add_shell_quoted(&sb, "it's");
        assert_string_equal(sb.buf, "'it'\\''s'");
        char *s = strbuf_detach(&sb);
        assert_string_equal(s, "'it'\\''s'");
        assert_string_equal(sb.buf, "");
        free(s);
        strbuf_release(&sb);
}

static void test_errors(void **state)
{
        (void)state;
        vers_error_t err = NULL;
        assert_int_equal(vers_make_error(&err, 0, "no env named '%s'", "x"), -1);
        assert_string_equal(err->msg, "no env named 'x'");
        vers_error_wrap(&err, "cannot branch");
        assert_string_equal(err->msg, "cannot branch: no env named 'x'");
        /* the first error wins */
        vers_make_error(&err, 0, "second");
        assert_string_equal(err->msg, "cannot branch: no env named 'x'");
        vers_error_free(&err);
        assert_null(err);
        vers_make_error(&err, ENOENT, "cannot open '%s'", "f");
        assert_string_equal(err->msg, "cannot open 'f': No such file or directory");
        assert_int_equal(err->status, ENOENT);
        vers_error_free(&err);
}

static void test_files(void **state)
{
        (void)state;
        char dir[] = "/tmp/vers-unit-XXXXXX";
        assert_non_null(mkdtemp(dir));
        _cleanup_free_ char *p = xasprintf("%s/a/b/c", dir);
        vers_error_t err = NULL;
        assert_int_equal(vers_mkdir_p(p, 0755, &err), 0);
        _cleanup_free_ char *f = xasprintf("%s/file", p);
        assert_int_equal(vers_write_file_atomic(f, "hello", 5, 0600, &err), 0);
        assert_int_equal(vers_write_file_atomic(f, "world!", 6, 0600, &err), 0);
        _cleanup_free_ char *tmp = xasprintf("%s.tmp", f);
        assert_false(vers_path_exists(tmp));
        char *text = NULL;
        size_t len = 0;
        assert_int_equal(vers_read_file(f, &text, &len, &err), 0);
        assert_int_equal(len, 6);
        assert_string_equal(text, "world!");
        free(text);
        struct stat st;
        assert_int_equal(stat(f, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        _cleanup_free_ char *g = xasprintf("%s/copy", dir);
        assert_int_equal(vers_copy_file(f, g, 0755, &err), 0);
        assert_int_equal(vers_read_file(g, &text, &len, &err), 0);
        assert_string_equal(text, "world!");
        free(text);
        assert_int_equal(vers_read_file("/nonexistent/x", &text, &len, &err), -1);
        assert_non_null(strstr(err->msg, "cannot open '/nonexistent/x'"));
        vers_error_free(&err);
        assert_int_equal(vers_rm_rf(dir, &err), 0);
        assert_false(vers_path_exists(dir));
}

static void test_processes(void **state)
{
        (void)state;
        uint64_t me = vers_pid_starttime(getpid());
        assert_true(me > 0);
        assert_true(vers_pid_alive(getpid(), me));
        assert_false(vers_pid_alive(getpid(), me + 1));
        assert_false(vers_pid_alive(0, 0));
        char *argv[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
        char *out = NULL;
        vers_error_t err = NULL;
        assert_int_equal(vers_run(argv, &out, &err), 3);
        assert_string_equal(out, "out\nerr\n");
        free(out);
        /* a program that cannot be run is an error of vers_run's, not output of a child */
        char *nope[] = {"/nonexistent-program", NULL};
        assert_int_equal(vers_run(nope, NULL, &err), -1);
        assert_string_equal(err->msg, "cannot run /nonexistent-program: No such file or directory");
        vers_error_free(&err);
        char *nope_path[] = {"no-such-program-in-path", NULL};
        assert_int_equal(vers_run(nope_path, NULL, &err), -1);
        assert_int_equal(err->status, ENOENT);
        vers_error_free(&err);
}

/* ---- vers_write_file_atomic: one temp file per writer ------------------------------------ */

/* entries of dir whose name starts with prefix and ends in ".tmp" */
static int count_temps(const char *dir, const char *prefix)
{
        DIR *d = opendir(dir);
        assert_non_null(d);
        int n = 0;
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
                n += str_startswith(de->d_name, prefix) && str_endswith(de->d_name, ".tmp");
        closedir(d);
        return n;
}

struct writer {
        const char *path;
        char content[64];
        int failures;
};

#define WRITES 200

static void *writer_main(void *arg)
{
        struct writer *w = arg;
        for (int i = 0; i < WRITES; i++) {
                vers_error_t err = NULL;
                if (vers_write_file_atomic(w->path, w->content, strlen(w->content), 0644, &err) <
                    0) {
                        w->failures++;
                        vers_error_free(&err);
                }
        }
        return NULL;
}

/* Writers of one process (threads) and of two (fork) replace the same file at once. Each
 * write succeeds, the file is always one writer's content whole, and no temp file is left.
 * With one temp name per process (path.<pid>.tmp), a second thread removed the first one's
 * temp file and the first renamed the second's half-written one into place, or failed. */
static void test_atomic_concurrent_writers(void **state)
{
        (void)state;
        char dir[] = "/tmp/vers-unit-atomic-XXXXXX";
        assert_non_null(mkdtemp(dir));
        _cleanup_free_ char *path = xasprintf("%s/state", dir);
        pid_t other = fork();
        assert_true(other >= 0);
        struct writer w[4];
        pthread_t th[4];
        for (int i = 0; i < 4; i++) {
                w[i].path = path;
                w[i].failures = 0;
                /* long enough that a torn or mixed write shows */
                snprintf(w[i].content, sizeof w[i].content, "%s writer %d %s\n",
                         other ? "parent" : "child", i, "0123456789abcdef0123456789abcdef");
                assert_int_equal(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
        }
        int failures = 0;
        for (int i = 0; i < 4; i++) {
                pthread_join(th[i], NULL);
                failures += w[i].failures;
        }
        if (other == 0) {
                free(steal_pointer(&path)); /* valgrind checks the child's leaks too */
                _exit(failures ? 1 : 0);
        }
        int status = 0;
        assert_int_equal(waitpid(other, &status, 0), other);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_int_equal(failures, 0);
        char *text = NULL;
        vers_error_t err = NULL;
        assert_int_equal(vers_read_file(path, &text, NULL, &err), 0);
        bool whole = false;
        for (int i = 0; i < 4; i++) {
                char p[64], c[64];
                snprintf(p, sizeof p, "parent writer %d %s\n", i,
                         "0123456789abcdef0123456789abcdef");
                snprintf(c, sizeof c, "child writer %d %s\n", i,
                         "0123456789abcdef0123456789abcdef");
                whole = whole || !strcmp(text, p) || !strcmp(text, c);
        }
        if (!whole)
                fail_msg("torn content: '%s'", text);
        free(text);
        assert_int_equal(count_temps(dir, "state."), 0);
        assert_int_equal(vers_rm_rf(dir, &err), 0);
}

/* Whatever is planted under the temp names vers used to use (path.tmp, path.<pid>.tmp), a
 * symlink or a file, is neither written through, nor removed, nor made the result. */
static void test_atomic_planted_temp(void **state)
{
        (void)state;
        char dir[] = "/tmp/vers-unit-planted-XXXXXX";
        assert_non_null(mkdtemp(dir));
        _cleanup_free_ char *victim = xasprintf("%s/victim", dir);
        _cleanup_free_ char *path = xasprintf("%s/state", dir);
        vers_error_t err = NULL;
        assert_int_equal(vers_write_file_atomic(victim, "secret\n", 7, 0644, &err), 0);
        _cleanup_free_ char *t1 = xasprintf("%s.tmp", path);
        _cleanup_free_ char *t2 = xasprintf("%s.%d.tmp", path, (int)getpid());
        assert_int_equal(symlink(victim, t1), 0);
        assert_int_equal(vers_write_file_atomic(t2, "planted\n", 8, 0644, &err), 0);
        assert_int_equal(vers_write_file_atomic(path, "mine\n", 5, 0600, &err), 0);
        char *text = NULL;
        assert_int_equal(vers_read_file(path, &text, NULL, &err), 0);
        assert_string_equal(text, "mine\n");
        free(text);
        assert_int_equal(vers_read_file(victim, &text, NULL, &err), 0);
        assert_string_equal(text, "secret\n");
        free(text);
        assert_int_equal(vers_read_file(t2, &text, NULL, &err), 0);
        assert_string_equal(text, "planted\n");
        free(text);
        struct stat st;
        assert_int_equal(lstat(t1, &st), 0);
        assert_true(S_ISLNK(st.st_mode));
        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 0777, 0600);
        /* the two planted ones, and none of the writer's own */
        assert_int_equal(count_temps(dir, "state."), 2);
        assert_int_equal(vers_rm_rf(dir, &err), 0);
}

static void test_read_regular_file(void **state)
{
        (void)state;
        char dir[] = "/tmp/vers-regular-XXXXXX";
        assert_non_null(mkdtemp(dir));
        _cleanup_free_ char *f = xasprintf("%s/f", dir);
        _cleanup_free_ char *fifo = xasprintf("%s/fifo", dir);
        assert_int_equal(vers_write_file_atomic(f, "12345", 5, 0644, NULL), 0);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        char *text = NULL;
        size_t len = 0;
        vers_error_t err = NULL;
        assert_int_equal(vers_read_regular_file(f, 5, &text, &len, &err), 0);
        assert_string_equal(text, "12345");
        assert_int_equal(len, 5);
        free(text);
        assert_int_equal(vers_read_regular_file(f, 4, &text, &len, &err), -1);
        assert_non_null(strstr(err->msg, "too large"));
        vers_error_free(&err);
        assert_int_equal(vers_read_regular_file(fifo, 100, &text, &len, &err), -1);
        assert_non_null(strstr(err->msg, "not a regular file"));
        vers_error_free(&err);
        assert_int_equal(vers_read_regular_file("/dev/zero", 100, &text, &len, &err), -1);
        assert_non_null(strstr(err->msg, "not a regular file"));
        vers_error_free(&err);
        assert_int_equal(vers_read_regular_file(dir, 100, &text, &len, &err), -1);
        vers_error_free(&err);
        vers_rm_rf(dir, NULL);
}

static void test_durations(void **state)
{
        (void)state;
        static const struct {
                const char *text;
                int64_t seconds;
        } good[] = {{"0", 0},          {"90s", 90},    {"15m", 900},       {"2h", 7200},
                    {"1d12h", 129600}, {"1w", 604800}, {"1h30m15s", 5415}, {"3650d", 315360000}};
        for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
                int64_t s = -1;
                assert_int_equal(vers_duration_parse(good[i].text, &s), 0);
                assert_int_equal(s, good[i].seconds);
        }
        static const char *const bad[] = {"",
                                          "5",
                                          "h",
                                          "2x",
                                          "1m1h",
                                          "1h1h",
                                          "-1h",
                                          "1h-",
                                          " 1h",
                                          "1.5h",
                                          "99999999999999999999s",
                                          "3700d",
                                          "1H",
                                          "1h ",
                                          NULL};
        for (size_t i = 0; bad[i]; i++) {
                int64_t s = 42;
                assert_int_equal(vers_duration_parse(bad[i], &s), -1);
                assert_int_equal(s, 42);
        }
        assert_int_equal(vers_duration_parse(NULL, &(int64_t){0}), -1);
        static const struct {
                int64_t seconds;
                const char *text;
        } shown[] = {{-5, "0s"},      {0, "0s"},        {59, "59s"},
                     {60, "1m"},      {3599, "59m59s"}, {3600, "1h"},
                     {7199, "1h59m"}, {90061, "1d1h"},  {604800, "1w"}};
        for (size_t i = 0; i < sizeof shown / sizeof *shown; i++) {
                _cleanup_free_ char *t = vers_duration_format(shown[i].seconds);
                assert_string_equal(t, shown[i].text);
        }
}

static void test_strv_and_hex(void **state)
{
        (void)state;
        assert_true(str_is_var_name("PG_MAJOR"));
        assert_true(str_is_var_name("_x1"));
        assert_false(str_is_var_name(""));
        assert_false(str_is_var_name("1A"));
        assert_false(str_is_var_name("PG-MAJOR"));
        assert_false(str_is_var_name("caf\xc3\xa9"));
        char **v = NULL;
        assert_int_equal(strv_len(v), 0);
        strv_push(&v, "a");
        strv_push(&v, "b");
        assert_int_equal(strv_len(v), 2);
        assert_string_equal(v[1], "b");
        assert_null(v[2]);
        strv_free(v);
        char *h = vers_random_hex(12);
        assert_int_equal(strlen(h), 12);
        assert_int_equal(strspn(h, "0123456789abcdef"), 12);
        char *h2 = vers_random_hex(12);
        assert_string_not_equal(h, h2);
        free(h);
        free(h2);
}

/* ---- files in an untrusted root ----------------------------------------------------------- */

struct jail {
        char dir[64]; /* holds root/ and the victim, outside root */
        char *root;   /* the env's tree */
        char *victim; /* a file outside root that nothing may read or write */
};

static const char secret[] = "host secret\n";

static void jail_make(struct jail *j)
{
        snprintf(j->dir, sizeof j->dir, "/tmp/vers-unit-root-XXXXXX");
        assert_non_null(mkdtemp(j->dir));
        j->root = xasprintf("%s/root", j->dir);
        j->victim = xasprintf("%s/victim", j->dir);
        vers_error_t err = NULL;
        _cleanup_free_ char *etc = xasprintf("%s/etc", j->root);
        assert_int_equal(vers_mkdir_p(etc, 0755, &err), 0);
        assert_int_equal(vers_write_file_atomic(j->victim, secret, strlen(secret), 0644, &err), 0);
        _cleanup_free_ char *inside = xasprintf("%s/etc/motd", j->root);
        assert_int_equal(vers_write_file_atomic(inside, "inside\n", 7, 0644, &err), 0);
        /* what an env plants: an absolute link to the victim, a relative one climbing out,
         * a directory link to the victim's directory, a /proc magic link */
        _cleanup_free_ char *climb = xstrdup("");
        for (int i = 0; i < 8; i++) {
                char *c = xasprintf("%s../", climb);
                free(climb);
                climb = c;
        }
        _cleanup_free_ char *rel_target = xasprintf("%s%s", climb, j->victim + 1);
        const char *links[][2] = {
            {"abs", j->victim},   {"rel", rel_target},
            {"updir", j->dir},    {"magic", "/proc/self/root/tmp"},
            {"etc/good", "motd"}, {"etc/good-abs", "/etc/motd"},
        };
        for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", j->root, links[i][0]);
                _cleanup_free_ char *t = NULL;
                if (!strcmp(links[i][0], "magic"))
                        t = xasprintf("/proc/self/root%s", j->victim);
                assert_int_equal(symlink(t ? t : links[i][1], p), 0);
        }
}

static void assert_victim_intact(const struct jail *j)
{
        char *text = NULL;
        vers_error_t err = NULL;
        struct stat st;
        assert_int_equal(lstat(j->victim, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(vers_read_file(j->victim, &text, NULL, &err), 0);
        assert_string_equal(text, secret);
        free(text);
}

static void jail_free(struct jail *j)
{
        vers_error_t err = NULL;
        assert_int_equal(vers_rm_rf(j->dir, &err), 0);
        free(j->root);
        free(j->victim);
}

static void test_read_in_root(void **state)
{
        NEED_SYSCALL("openat2");
        (void)state;
        struct jail j;
        jail_make(&j);
        _cleanup_free_ char *victim_name = xasprintf("%s/victim", j.dir + 1);
        const char *escapes[] = {"abs",      "rel",       "updir/victim",
                                 "magic",    "../victim", "../../../../../../../../" /* + victim */,
                                 victim_name};
        for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++) {
                _cleanup_free_ char *rel =
                    i == 5 ? xasprintf("%s%s", escapes[i], j.victim + 1) : xstrdup(escapes[i]);
                char *text = NULL;
                vers_error_t err = NULL;
                int r = vers_read_file_in_root(j.root, rel, 0, &text, NULL, &err);
                /* resolved inside root, none of them exists there */
                if (r == 0)
                        fail_msg("'%s' was read: '%s'", rel, text);
                assert_non_null(err);
                vers_error_free(&err);
                assert_false(vers_exists_in_root(j.root, rel));
        }
        /* links that stay inside resolve as if root were / */
        const char *good[] = {"etc/good", "etc/good-abs", "/etc/motd", "etc/../etc/motd"};
        for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
                char *text = NULL;
                vers_error_t err = NULL;
                assert_int_equal(vers_read_file_in_root(j.root, good[i], 0, &text, NULL, &err), 0);
                assert_string_equal(text, "inside\n");
                free(text);
                assert_true(vers_exists_in_root(j.root, good[i]));
        }
        /* the last bytes only */
        char *text = NULL;
        size_t len = 0;
        vers_error_t err = NULL;
        assert_int_equal(vers_read_file_in_root(j.root, "etc/motd", 3, &text, &len, &err), 0);
        assert_int_equal(len, 3);
        assert_string_equal(text, "de\n");
        free(text);
        /* a FIFO or a directory is refused at once, never read (a FIFO would hang) */
        _cleanup_free_ char *fifo = xasprintf("%s/fifo", j.root);
        assert_int_equal(mkfifo(fifo, 0644), 0);
        assert_int_equal(vers_read_file_in_root(j.root, "fifo", 0, &text, NULL, &err), -1);
        assert_non_null(strstr(err->msg, "not a regular file"));
        vers_error_free(&err);
        assert_int_equal(vers_read_file_in_root(j.root, "etc", 0, &text, NULL, &err), -1);
        vers_error_free(&err);
        assert_victim_intact(&j);
        jail_free(&j);
}

static void test_write_in_root(void **state)
{
        NEED_SYSCALL("openat2");
        (void)state;
        struct jail j;
        jail_make(&j);
        vers_error_t err = NULL;
        /* a link at the name itself is replaced, not followed */
        const char *names[] = {"abs", "rel", "magic"};
        for (size_t i = 0; i < 3; i++) {
                assert_int_equal(vers_write_file_in_root(j.root, names[i], "new\n", 4, 0644, &err),
                                 0);
                _cleanup_free_ char *p = xasprintf("%s/%s", j.root, names[i]);
                struct stat st;
                assert_int_equal(lstat(p, &st), 0);
                assert_true(S_ISREG(st.st_mode));
        }
        /* a linked directory on the way resolves inside root, where it does not exist */
        assert_int_equal(vers_write_file_in_root(j.root, "updir/victim", "x", 1, 0644, &err), -1);
        vers_error_free(&err);
        /* climbing out stops at root: this writes root/victim, not the victim */
        assert_int_equal(vers_write_file_in_root(j.root, "../../victim", "x", 1, 0644, &err), 0);
        _cleanup_free_ char *in_root = xasprintf("%s/victim", j.root);
        assert_true(vers_path_exists(in_root));
        assert_int_equal(vers_unlink_in_root(j.root, "updir/victim", &err), 0);
        assert_int_equal(vers_copy_file_into_root(j.victim, j.root, "updir/victim", 0644, &err),
                         -1);
        vers_error_free(&err);
        /* a planted temp name (one vers once used) is left alone, never written through */
        _cleanup_free_ char *tmp = xasprintf("%s/etc/motd.%d.tmp", j.root, (int)getpid());
        assert_int_equal(symlink(j.victim, tmp), 0);
        assert_int_equal(vers_write_file_in_root(j.root, "/etc/motd", "updated\n", 8, 0600, &err),
                         0);
        struct stat lst;
        assert_int_equal(lstat(tmp, &lst), 0);
        assert_true(S_ISLNK(lst.st_mode));
        char *text = NULL;
        assert_int_equal(vers_read_file_in_root(j.root, "etc/good", 0, &text, NULL, &err), 0);
        assert_string_equal(text, "updated\n");
        free(text);
        /* the same with a trusted directory (the project's .vers/HEAD) */
        _cleanup_free_ char *head = xasprintf("%s/HEAD", j.root);
        _cleanup_free_ char *htmp = xasprintf("%s.%d.tmp", head, (int)getpid());
        assert_int_equal(symlink(j.victim, htmp), 0);
        assert_int_equal(symlink(j.victim, head), 0);
        assert_int_equal(vers_write_file_atomic(head, "env x\n", 6, 0644, &err), 0);
        assert_int_equal(lstat(htmp, &lst), 0);
        assert_true(S_ISLNK(lst.st_mode));
        assert_int_equal(lstat(head, &lst), 0);
        assert_true(S_ISREG(lst.st_mode));
        /* copying a host file in, and removing through a link removes the link only */
        assert_int_equal(vers_copy_file_into_root(j.victim, j.root, "etc/copied", 0755, &err), 0);
        assert_int_equal(vers_unlink_in_root(j.root, "etc/copied", &err), 0);
        _cleanup_free_ char *vl = xasprintf("%s/vlink", j.root);
        assert_int_equal(symlink(j.victim, vl), 0);
        assert_int_equal(vers_unlink_in_root(j.root, "vlink", &err), 0);
        assert_false(vers_path_exists(vl));
        assert_victim_intact(&j);
        jail_free(&j);
}

/* With a real procfs inside the root (as an env has), /proc/self/root is a magic link back
 * to the host's /: RESOLVE_NO_MAGICLINKS refuses it. In a mount namespace of a child. */
static void test_magic_link_in_root(void **state)
{
        NEED_SYSCALL("openat2");
        (void)state;
        struct jail j;
        jail_make(&j);
        _cleanup_free_ char *proc = xasprintf("%s/proc", j.root);
        assert_int_equal(mkdir(proc, 0555), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (unshare(CLONE_NEWNS) < 0 ||
                    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                    mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                        _exit(77);
                _cleanup_free_ char *rel = xasprintf("proc/self/root%s", j.victim);
                char *text = NULL;
                vers_error_t err = NULL;
                if (vers_read_file_in_root(j.root, rel, 0, &text, NULL, &err) == 0)
                        _exit(1);
                if (err->status != ELOOP)
                        _exit(2);
                vers_error_free(&err);
                if (vers_read_file_in_root(j.root, "magic", 0, &text, NULL, &err) == 0)
                        _exit(3);
                vers_error_free(&err);
                _cleanup_free_ char *wrel = xasprintf("proc/self/root%s", j.dir);
                _cleanup_free_ char *w = xasprintf("%s/victim", wrel);
                if (vers_write_file_in_root(j.root, w, "x", 1, 0644, &err) == 0)
                        _exit(4);
                _exit(0);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77) {
                jail_free(&j);
                skip();
        }
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_victim_intact(&j);
        jail_free(&j);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_strbuf),
            cmocka_unit_test(test_errors),
            cmocka_unit_test(test_files),
            cmocka_unit_test(test_processes),
            cmocka_unit_test(test_atomic_concurrent_writers),
            cmocka_unit_test(test_atomic_planted_temp),
            cmocka_unit_test(test_strv_and_hex),
            cmocka_unit_test(test_durations),
            cmocka_unit_test(test_read_regular_file),
            cmocka_unit_test(test_read_in_root),
            cmocka_unit_test(test_write_in_root),
            cmocka_unit_test(test_magic_link_in_root),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
