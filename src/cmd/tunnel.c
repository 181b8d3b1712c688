/* vers tunnel, vers env: reaching an env's services from the host */
#include "cli.h"
#include "engine/client.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t stop_tunnel;

static void on_stop(int sig)
{
        (void)sig;
        stop_tunnel = 1;
}

static const struct cli_opt tunnel_opts[] = {
    {'b', "b", "env", "ENV", "the env (default: VERS_ENV, else HEAD)", 0, 0},
    {0},
};

const struct cli_spec cli_spec_tunnel = {
    .name = "tunnel",
    .operands = "[ENV] [[LOCAL:]REMOTE | LOCAL:]",
    .about = "Forward 127.0.0.1:LOCAL on the host to port REMOTE inside an env (default: the port "
             "its\nDockerfile EXPOSEs, a database port first, else 5432; LOCAL = REMOTE; LOCAL 0 "
             "picks a\nfree port). The env keeps its loopback-only network: each connection is "
             "opened from\ninside it. Runs until interrupted.\n",
    .opts = tunnel_opts,
    .max_operands = 2,
};

static bool parse_port(const char *s, int *out)
{
        char *end;
        long v = strtol(s, &end, 10);
        if (*s == '\0' || *end || v < 0 || v > 65535)
                return false;
        *out = (int)v;
        return true;
}

/* once it listens: say where, and from now on Ctrl-C stops the forwarding */
static void listening(int local, const char *env, int remote, void *arg)
{
        printf("forwarding 127.0.0.1:%d -> env %s port %d (Ctrl-C to stop)\n", local, env, remote);
        fflush(stdout);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_stop;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        signal(SIGPIPE, SIG_IGN); /* a client that goes away is the relay's to handle */
}

int cmd_tunnel(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        struct vers_tunnel_opts o = {.local = -1, .listening = listening, .stop = &stop_tunnel};
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_tunnel, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0)
                if (c == 'b')
                        o.env = p.arg;
        if (c < 0)
                return cli_parse_exit(c);
        char **ops = p.operands;
        /* ENV first when two are given, or when the one given is not a port spec */
        if (p.n_operands == 2 ||
            (p.n_operands == 1 && strspn(ops[0], "0123456789:") != strlen(ops[0])))
                o.env = *ops++;
        const char *spec = *ops;
        if (spec) {
                const char *colon = strchr(spec, ':');
                if (colon) {
                        _cleanup_free_ char *l = strndup(spec, (size_t)(colon - spec));
                        /* "LOCAL:" keeps the default remote port */
                        if (!parse_port(l, &o.local) ||
                            (colon[1] && (!parse_port(colon + 1, &o.remote) || !o.remote)))
                                return cli_usage_error(&cli_spec_tunnel, "bad port spec '%s'",
                                                       spec);
                } else if (!parse_port(spec, &o.remote) || !o.remote) {
                        return cli_usage_error(&cli_spec_tunnel, "bad port '%s'", spec);
                }
        }
        return vers_env_tunnel(ctx, &o, err);
}

static const struct cli_opt env_opts[] = {
    {'b', "b", "env", "ENV", "the env (default: VERS_ENV, else HEAD)", 0, 0},
    {0},
};

const struct cli_spec cli_spec_env = {
    .name = "env",
    .operands = "[ENV]",
    .about = "Print what clients on the host need to reach the env's database through its Unix\n"
             "socket, as its service template says: for PostgreSQL PGHOST, PGPORT, PGUSER,\n"
             "PGDATABASE, PGPASSWORD and DATABASE_URL (MariaDB: MYSQL_UNIX_PORT, ...). The\n"
             "socket is attached under VERS_ROOT/sockets/<env> (valid while that server runs;\n"
             "run vers env again after it restarts). Use: eval \"$(vers env)\"\n",
    .opts = env_opts,
    .max_operands = 1,
};

/* a value as one shell word: as it is when it holds nothing the shell reads specially */
static void print_export(const char *var)
{
        const char *eq = strchr(var, '=');
        if (!eq)
                return;
        const char *v = eq + 1;
        printf("export %.*s=", (int)(eq - var), var);
        if (*v &&
            strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:@%+,-") ==
                strlen(v)) {
                printf("%s\n", v);
                return;
        }
        putchar('\'');
        for (; *v; v++) {
                if (*v == '\'')
                        fputs("'\\''", stdout);
                else
                        putchar(*v);
        }
        puts("'");
}

int cmd_env(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        const char *name = NULL;
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_env, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0)
                if (c == 'b')
                        name = p.arg;
        if (c < 0)
                return cli_parse_exit(c);
        if (p.n_operands)
                name = p.operands[0];
        _cleanup_strv_ char **vars = NULL;
        if (vers_env_client(ctx, name, &vars, err) < 0)
                return -1;
        for (size_t i = 0; vars[i]; i++)
                print_export(vars[i]);
        return 0;
}
