/* vers execute|exec, vers connect */
#include "cli.h"
#include "engine/shell.h"

#include <string.h>

#define OPT_ENV                                                                                    \
        {                                                                                          \
                'b', "b", "env", "ENV", "the env (default: VERS_ENV, else HEAD)", 0, 0             \
        }
#define OPT_TIMEOUT                                                                                \
        {                                                                                          \
                't', "t", "timeout", "SECS", "kill the command after SECS seconds (exit 124)", 1,  \
                    86400 * 7                                                                      \
        }
#define OPT_WORKDIR                                                                                \
        {                                                                                          \
                'w', "w", "workdir", "DIR",                                                        \
                    "directory inside the env to run in (default: the project directory)", 0, 0    \
        }
#define OPT_ENV_VAR                                                                                \
        {                                                                                          \
                'e', "e", "env-var", "K=V", "set an environment variable for the command", 0, 0    \
        }

static const struct cli_opt execute_opts[] = {
    OPT_ENV, OPT_TIMEOUT, OPT_WORKDIR, OPT_ENV_VAR, {0},
};

const struct cli_spec cli_spec_execute = {
    .name = "execute",
    .operands = "[ENV] \"COMMAND\"",
    .more = "[ENV] -- PROGRAM [ARGS...]",
    .about = "Run a command inside an env (HEAD unless ENV, -b or VERS_ENV names one), in the\n"
             "project directory, and exit with its exit code. A single COMMAND string is run by\n"
             "/bin/sh -c (several words are joined into one). After --, PROGRAM runs with ARGS\n"
             "as they are. Inside an env with PostgreSQL a bare 'psql' reaches the first "
             "database.\n",
    .opts = execute_opts,
    .min_operands = 1,
    .max_operands = -1,
    .missing = "no command given",
};

static const struct cli_opt connect_opts[] = {
    OPT_ENV,
    {'c', "c", "command", "COMMAND", "run COMMAND (by /bin/sh -c) instead of a shell", 0, 0},
    OPT_TIMEOUT,
    OPT_WORKDIR,
    OPT_ENV_VAR,
    {0},
};

const struct cli_spec cli_spec_connect = {
    .name = "connect",
    .operands = "[ENV]",
    .about = "Open a shell inside an env (with a terminal when stdin is one), in the project\n"
             "directory: the env's login shell, bash where it has one, else sh. With -c, run\n"
             "COMMAND instead, like 'vers execute'.\n",
    .opts = connect_opts,
    .max_operands = 1,
};

struct run_args {
        const char *env;
        const char *command;
        struct vers_exec_opts o;
        char **vars;
};

static const int std_fds[3] = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO};

/* the options both share; 0, or an exit code */
static int parse(struct cli_parse *p, struct run_args *a)
{
        int c;
        while ((c = cli_next(p)) > 0) {
                switch (c) {
                case 'b':
                        a->env = p->arg;
                        break;
                case 't':
                        a->o.timeout_sec = (int)p->num;
                        break;
                case 'w':
                        if (p->arg[0] != '/')
                                return cli_usage_error(
                                    p->spec, "workdir '%s' must be an absolute path", p->arg);
                        a->o.workdir = p->arg;
                        break;
                case 'e':
                        if (!strchr(p->arg, '=') || p->arg[0] == '=')
                                return cli_usage_error(p->spec, "-e takes KEY=VALUE, not '%s'",
                                                       p->arg);
                        strv_push(&a->vars, p->arg);
                        break;
                case 'c':
                        a->command = p->arg;
                        break;
                }
        }
        a->o.extra_env = a->vars;
        a->o.stdio = std_fds;
        return c < 0 ? cli_parse_exit(c) : 0;
}

int cmd_execute(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_execute, argc, argv);
        struct run_args a = {0};
        int rc = parse(&p, &a);
        _cleanup_strv_ char **vars = a.vars;
        if (rc)
                return rc;
        char **words = p.operands;
        int n = p.n_operands;
        /* before "--" only the env may come */
        if (p.dashdash > 1 || (p.dashdash == 1 && a.env))
                return cli_usage_error(&cli_spec_execute, "only ENV may come before '--', not '%s'",
                                       words[a.env ? 0 : 1]);
        if (p.dashdash == 1) {
                a.env = words[0];
                words++;
                n--;
        }
        if (n == 0)
                return cli_usage_error(&cli_spec_execute, "no command given");
        int status = 1;
        bool timed_out = false;
        a.o.timed_out = &timed_out;
        if (vers_execute(ctx, a.env, words, n, p.dashdash >= 0, &a.o, &status, err) < 0)
                return -1;
        if (timed_out)
                cli_sayf("command timed out after %d s", a.o.timeout_sec);
        return status;
}

int cmd_connect(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_connect, argc, argv);
        struct run_args a = {0};
        int rc = parse(&p, &a);
        _cleanup_strv_ char **vars = a.vars;
        if (rc)
                return rc;
        if (p.n_operands && a.env)
                return cli_usage_error(&cli_spec_connect, "unexpected argument '%s' (use -c)",
                                       p.operands[0]);
        if (p.n_operands)
                a.env = p.operands[0];
        a.o.pty = !a.command && isatty(0);
        int status = 1;
        bool timed_out = false;
        a.o.timed_out = &timed_out;
        if (vers_connect(ctx, a.env, a.command, &a.o, &status, err) < 0)
                return -1;
        if (timed_out)
                cli_sayf("command timed out after %d s", a.o.timeout_sec);
        return status;
}
