/* probe (readiness attempts, one at a time) and trace (phase timings). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/trace.h"
#include "os/probe.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_parse(void **state)
{
        (void)state;
        struct vers_probe p[VERS_PROBES_MAX];
        size_t n = 0;
        vers_error_t err = NULL;
        assert_int_equal(
            vers_probes_parse("# comment\n"
                              "postgres\tpg\t/run/pg.sock\t/var/lib/pg/postmaster.pid\n"
                              "\n"
                              "cache\tredis\ttcp:127.0.0.1:6379\n"
                              "db\tconnect\t/run/mysqld/mysqld.sock",
                              p, VERS_PROBES_MAX, &n, &err),
            0);
        assert_int_equal(n, 3);
        assert_string_equal(p[0].name, "postgres");
        assert_string_equal(p[0].pidfile, "/var/lib/pg/postmaster.pid");
        assert_string_equal(p[1].kind, "redis");
        assert_string_equal(p[1].pidfile, "");
        assert_string_equal(p[2].target, "/run/mysqld/mysqld.sock");
        static const struct {
                const char *text, *msg;
        } bad[] = {
            {"a\tpg\n", "/.vers/probes:1: want NAME<TAB>KIND<TAB>TARGET (and for pg, an absolute "
                        "pid file path)"},
            {"a\tping\t/s\n", "/.vers/probes:1: unknown probe 'ping'"},
            {"# x\na\tconnect\trelative\n", "/.vers/probes:2: target 'relative' is neither an "
                                            "absolute socket path nor tcp:HOST:PORT"},
            {"a\tconnect\t/s\t/pid\n", "/.vers/probes:1: want NAME<TAB>KIND<TAB>TARGET (and for "
                                       "pg, an absolute pid file path)"},
            {"a\tpg\t/s\tpid\n", "/.vers/probes:1: want NAME<TAB>KIND<TAB>TARGET (and for pg, "
                                 "an absolute pid file path)"},
        };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                assert_int_equal(vers_probes_parse(bad[i].text, p, VERS_PROBES_MAX, &n, &err), -1);
                assert_string_equal(err->msg, bad[i].msg);
                vers_error_free(&err);
        }
        assert_int_equal(vers_probes_parse("a\tconnect\t/a\nb\tconnect\t/b\n", p, 1, &n, &err), -1);
        assert_string_equal(err->msg, "/.vers/probes: more than 1 services");
        vers_error_free(&err);
}

/* A server on a fresh socket that answers one connection with reply (len bytes) after
 * reading what the client sends; returns its pid. */
static pid_t serve_once(const char *path, const char *reply, size_t len)
{
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
        unlink(path);
        assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
        assert_int_equal(listen(s, 1), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int c = accept(s, NULL, NULL);
                char buf[256];
                if (c < 0 || read(c, buf, sizeof buf) <= 0)
                        _exit(1);
                if (len && write(c, reply, len) != (ssize_t)len)
                        _exit(1);
                /* the prober's Terminate, or its close */
                (void)!read(c, buf, sizeof buf);
                _exit(0);
        }
        close(s);
        return pid;
}

static void reap(pid_t pid)
{
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_pg(void **state)
{
        (void)state;
        char dir[] = "/tmp/vers-probe-XXXXXX";
        assert_non_null(mkdtemp(dir));
        char sock[128], pidfile[128];
        snprintf(sock, sizeof sock, "%s/.s.PGSQL.5432", dir);
        snprintf(pidfile, sizeof pidfile, "%s/postmaster.pid", dir);
        struct vers_probe p = {"postgres", "pg", "", ""};
        snprintf(p.target, sizeof p.target, "%s", sock);
        assert_int_equal(vers_probe_once(&p, 1000), VERS_PROBE_ABSENT);

        static const char auth_ok[] = {'R', 0, 0, 0, 8, 0, 0, 0, 0};
        pid_t srv = serve_once(sock, auth_ok, sizeof auth_ok);
        assert_int_equal(vers_probe_once(&p, 1000), VERS_PROBE_OK);
        reap(srv);
        /* "the database system is starting up": not yet */
        static const char starting[] = "E\0\0\0\x30SFATAL\0C57P03\0Mthe database system is "
                                       "starting up\0";
        srv = serve_once(sock, starting, sizeof starting);
        assert_int_equal(vers_probe_once(&p, 1000), VERS_PROBE_NOT_YET);
        reap(srv);
        /* any other error is a server that takes connections (a wrong password, say) */
        static const char auth_failed[] = "E\0\0\0\x20SFATAL\0C28P01\0Mpassword\0";
        srv = serve_once(sock, auth_failed, sizeof auth_failed);
        assert_int_equal(vers_probe_once(&p, 1000), VERS_PROBE_OK);
        reap(srv);
        /* cut off before its code: not yet */
        static const char cut[] = {'E', 0, 0, 0, 40, 'S', 'F', 'A'};
        srv = serve_once(sock, cut, sizeof cut);
        assert_int_equal(vers_probe_once(&p, 1000), VERS_PROBE_NOT_YET);
        reap(srv);

        /* with a pid file, its status line comes first */
        snprintf(p.pidfile, sizeof p.pidfile, "%s", pidfile);
        assert_int_equal(vers_probe_once(&p, 1000), VERS_PROBE_ABSENT);
        FILE *f = fopen(pidfile, "w");
        fputs("7\n/data\n1700000000\n5432\n/run\nlocalhost\n  1 0\nstarting\n", f);
        fclose(f);
        assert_int_equal(vers_probe_once(&p, 1000), VERS_PROBE_NOT_YET);
        f = fopen(pidfile, "w");
        fputs("7\n/data\n1700000000\n5432\n", f); /* still being written */
        fclose(f);
        assert_int_equal(vers_probe_once(&p, 1000), VERS_PROBE_NOT_YET);
        f = fopen(pidfile, "w");
        fputs("7\n/data\n1700000000\n5432\n/run\nlocalhost\n  1 0\nready   \n", f);
        fclose(f);
        /* a stale "ready" with nothing listening is no server */
        unlink(sock);
        assert_int_equal(vers_probe_once(&p, 1000), VERS_PROBE_ABSENT);
        srv = serve_once(sock, auth_ok, sizeof auth_ok);
        assert_int_equal(vers_probe_once(&p, 1000), VERS_PROBE_OK);
        reap(srv);
        /* a pid file that is not a regular file is not read */
        unlink(pidfile);
        assert_int_equal(mkfifo(pidfile, 0600), 0);
        assert_int_equal(vers_probe_once(&p, 1000), VERS_PROBE_ABSENT);
        unlink(pidfile);
        unlink(sock);
        rmdir(dir);
}

static void test_connect_and_redis(void **state)
{
        (void)state;
        char dir[] = "/tmp/vers-probe-XXXXXX";
        assert_non_null(mkdtemp(dir));
        char sock[128];
        snprintf(sock, sizeof sock, "%s/redis.sock", dir);
        struct vers_probe p = {"cache", "redis", "", ""};
        snprintf(p.target, sizeof p.target, "%s", sock);
        pid_t srv = serve_once(sock, "-LOADING Redis is loading\r\n", 27);
        assert_int_equal(vers_probe_once(&p, 1000), VERS_PROBE_NOT_YET);
        reap(srv);
        srv = serve_once(sock, "+PONG\r\n", 7);
        assert_int_equal(vers_probe_once(&p, 1000), VERS_PROBE_OK);
        reap(srv);
        struct vers_probe c = {"db", "connect", "", ""};
        snprintf(c.target, sizeof c.target, "%s", sock);
        assert_int_equal(vers_probe_once(&c, 1000), VERS_PROBE_ABSENT); /* nobody listens */
        unlink(sock);
        assert_int_equal(vers_probe_once(&c, 1000), VERS_PROBE_ABSENT);
        struct vers_probe t = {"db", "connect", "tcp:127.0.0.1:notaport", ""};
        assert_int_equal(vers_probe_once(&t, 1000), VERS_PROBE_NOT_YET);
        rmdir(dir);
}

/* A server that never accepts, its backlog full: the probe says "not yet" instead of
 * waiting in connect() (a hostile env's socket must not hold vers) */
static void test_full_backlog(void **state)
{
        (void)state;
        char dir[] = "/tmp/vers-probe-XXXXXX";
        assert_non_null(mkdtemp(dir));
        char sock[128];
        snprintf(sock, sizeof sock, "%s/full.sock", dir);
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
        assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
        assert_int_equal(listen(s, 0), 0);
        int fill[4];
        for (int i = 0; i < 4; i++) {
                fill[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
                (void)!connect(fill[i], (struct sockaddr *)&a, sizeof a);
        }
        struct vers_probe p = {"db", "connect", "", ""};
        snprintf(p.target, sizeof p.target, "%s", sock);
        assert_int_equal(vers_probe_once(&p, 1000), VERS_PROBE_NOT_YET);
        struct vers_probe q = {"postgres", "pg", "", ""};
        snprintf(q.target, sizeof q.target, "%s", sock);
        assert_int_equal(vers_probe_once(&q, 1000), VERS_PROBE_NOT_YET);
        for (int i = 0; i < 4; i++)
                close(fill[i]);
        close(s);
        unlink(sock);
        rmdir(dir);
}

static void test_trace(void **state)
{
        (void)state;
        vers_trace_reset();
        vers_trace_mark("open");
        vers_trace_add("boot", 5.0);
        vers_trace_mark("readiness");
        vers_trace_mark("open"); /* the same name adds to its phase */
        const struct vers_trace *t = vers_trace_get();
        assert_int_equal(t->n, 3);
        assert_string_equal(t->phase[0].name, "open");
        assert_string_equal(t->phase[1].name, "boot");
        assert_true(t->phase[1].ms == 5.0);
        assert_string_equal(t->phase[2].name, "readiness");
        for (size_t i = 0; i < t->n; i++)
                assert_true(t->phase[i].ms >= 0);
        char *s = vers_trace_format(t);
        assert_non_null(strstr(s, "open "));
        assert_non_null(strstr(s, ", boot 5.0 ms, readiness "));
        assert_non_null(strstr(s, ", total "));
        free(s);
        /* more phases than it keeps: the extra ones are dropped, nothing overflows */
        static const char *names[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i",
                                      "j", "k", "l", "m", "n", "o", "p", "q", "r",
                                      "s", "t", "u", "v", "w", "x", "y", "z"};
        vers_trace_reset();
        for (size_t i = 0; i < sizeof names / sizeof *names; i++)
                vers_trace_mark(names[i]);
        assert_int_equal(vers_trace_get()->n, VERS_TRACE_MAX);
}

int main(void)
{
        signal(SIGPIPE, SIG_IGN);
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse),
            cmocka_unit_test(test_pg),
            cmocka_unit_test(test_connect_and_redis),
            cmocka_unit_test(test_full_backlog),
            cmocka_unit_test(test_trace),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
