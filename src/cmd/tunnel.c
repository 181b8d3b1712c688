/* vers tunnel, vers env: reaching an env's services from the host */
#include "cli.h"
#include "os/tunnel.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t stop_tunnel;

static void on_stop(int sig)
{
        (void)sig;
        stop_tunnel = 1;
}

static void tunnel_notice(const char *msg)
{
        fprintf(stderr, "vers: %s\n", msg);
}

static const char tunnel_help[] =
    "usage: vers tunnel [ENV] [-b ENV] [[LOCAL:]REMOTE | LOCAL:]\n\n"
    "Forward 127.0.0.1:LOCAL on the host to port REMOTE inside an env (default: the port its\n"
    "Dockerfile EXPOSEs, a database port first, else 5432; LOCAL = REMOTE; LOCAL 0 picks a\n"
    "free port). The env keeps its loopback-only network: each connection is opened from\n"
    "inside it. Runs until interrupted.\n";

static bool parse_port(const char *s, int *out)
{
        char *end;
        long v = strtol(s, &end, 10);
        if (*s == '\0' || *end || v < 0 || v > 65535)
                return false;
        *out = (int)v;
        return true;
}

int cmd_tunnel(int argc, char **argv)
{
        static const struct option opts[] = {CLI_OPT_ENV, CLI_OPT_HELP, {NULL, 0, NULL, 0}};
        const char *usage = "vers tunnel [ENV] [-b ENV] [[LOCAL:]REMOTE]";
        const char *name = NULL, *spec = NULL;
        int c;
        while ((c = getopt_long(argc, argv, "b:h", opts, NULL)) != -1) {
                if (c == 'b')
                        name = optarg;
                else if (c == 'h')
                        return cli_print_help(tunnel_help), 0;
                else
                        return cli_usage_error(usage, "bad option");
        }
        /* ENV first when two are given, or when the one given is not a port spec */
        if (optind < argc &&
            (argc - optind == 2 || strspn(argv[optind], "0123456789:") != strlen(argv[optind])))
                name = argv[optind++];
        if (optind < argc)
                spec = argv[optind++];
        if (optind < argc)
                return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
        int local = -1, remote = 0;
        if (spec) {
                const char *colon = strchr(spec, ':');
                if (colon) {
                        _cleanup_free_ char *l = strndup(spec, (size_t)(colon - spec));
                        /* "LOCAL:" keeps the default remote port */
                        if (!parse_port(l, &local) ||
                            (colon[1] && (!parse_port(colon + 1, &remote) || !remote)))
                                return cli_usage_error(usage, "bad port spec '%s'", spec);
                } else if (!parse_port(spec, &remote) || !remote) {
                        return cli_usage_error(usage, "bad port '%s'", spec);
                }
        }
        struct vers_ctx ctx;
        int rc = cli_open(&ctx);
        if (rc)
                return rc;
        vers_error_t err = NULL;
        struct vers_env e = {0};
        int fd = -1;
        if (cli_target_env(&ctx, name, false, true, &e, &err) < 0)
                goto fail;
        if (!remote)
                remote = vers_env_default_port(&ctx, &e);
        if (local < 0)
                local = remote;
        if (vers_tunnel_listen(&local, &fd, &err) < 0)
                goto fail;
        printf("forwarding 127.0.0.1:%d -> env %s port %d (Ctrl-C to stop)\n", local,
               e.alias ? e.alias : e.id, remote);
        fflush(stdout);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_stop;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
        pid_t pid = (pid_t)e.init_pid;
        vers_close(&ctx); /* the metadata is not needed while forwarding */
        rc = vers_tunnel_run(fd, pid, remote, &stop_tunnel, tunnel_notice, &err);
        close(fd);
        vers_env_clear(&e);
        return rc < 0 ? cli_fail(&err) : 0;
fail:
        vers_env_clear(&e);
        vers_close(&ctx);
        return cli_fail(&err);
}

static const char env_help[] =
    "usage: vers env [ENV] [-b ENV]\n\n"
    "Print PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD and DATABASE_URL for clients on\n"
    "the host: they reach the env's PostgreSQL through its Unix socket, attached under\n"
    "VERS_ROOT/sockets/<env> (valid while that server runs; run vers env again after it\n"
    "restarts). Use: eval \"$(vers env)\"\n";

int cmd_env(int argc, char **argv)
{
        static const struct option opts[] = {CLI_OPT_ENV, CLI_OPT_HELP, {NULL, 0, NULL, 0}};
        const char *name = NULL;
        int c;
        while ((c = getopt_long(argc, argv, "b:h", opts, NULL)) != -1) {
                if (c == 'b')
                        name = optarg;
                else if (c == 'h')
                        return cli_print_help(env_help), 0;
                else
                        return cli_usage_error("vers env [ENV]", "bad option");
        }
        if (optind < argc)
                name = argv[optind++];
        if (optind < argc)
                return cli_usage_error("vers env [ENV]", "unexpected argument '%s'", argv[optind]);
        struct vers_ctx ctx;
        int rc = cli_open(&ctx);
        if (rc)
                return rc;
        vers_error_t err = NULL;
        struct vers_env e = {0};
        if (cli_target_env(&ctx, name, false, true, &e, &err) < 0) {
                vers_env_clear(&e);
                vers_close(&ctx);
                return cli_fail(&err);
        }
        /* the database the env's own psql uses, from the /.vers/env of its image (the env's
         * own copy is the env's to edit; this goes into a shell's eval) */
        _cleanup_free_ char *text = NULL;
        char db[128] = "postgres";
        if (vers_env_config_read(&ctx, &e, ".vers/env", &text, NULL) == 0) {
                char *p = strstr(text, "PGDATABASE=");
                if (p)
                        sscanf(p + strlen("PGDATABASE="), "%127[^\n]", db);
                if (strspn(db,
                           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
                    strlen(db))
                        snprintf(db, sizeof db, "postgres");
        }
        /* a mount of the env's socket in a directory of vers's: a path through
         * /proc/<pid>/root would follow whatever symlink the env put there, out to the host */
        _cleanup_free_ char *host = NULL;
        if (vers_env_socket_dir(&ctx, &e, "run/postgresql/.s.PGSQL.5432", &host, &err) < 0) {
                vers_env_clear(&e);
                vers_close(&ctx);
                return cli_fail(&err);
        }
        printf("export PGHOST=%s\nexport PGPORT=5432\nexport PGUSER=postgres\n"
               "export PGDATABASE=%s\nexport PGPASSWORD=postgres\n"
               "export DATABASE_URL='postgresql://postgres:postgres@/%s?host=%s'\n",
               host, db, db, host);
        vers_env_clear(&e);
        vers_close(&ctx);
        return 0;
}
