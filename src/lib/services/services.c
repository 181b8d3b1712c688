#include "services/services.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* What each service adds to the files of services.h. Every template fills these; the files
 * are their concatenation, in the order the services are declared. */
struct frags {
        struct strbuf setup;     /* build time, as root: one subshell per service */
        struct strbuf boot;      /* every cold boot, as root */
        struct strbuf services;  /* lines for vers-init */
        struct strbuf ready;     /* commands that succeed once the service answers */
        struct strbuf running;   /* one command: succeeds while the service runs */
        struct strbuf precommit; /* commands run before a commit */
        struct strbuf env;       /* KEY=VALUE lines for execute/connect */
        struct strbuf path;      /* extra PATH entries, ':'-separated, leading ':' */
        struct strbuf log_files; /* lines: log files 'vers logs' shows */
};

/* How a client on the host reaches a service of the template ('vers env'): through the
 * server's Unix socket, which vers mounts into a host directory. vars are KEY=VALUE lines in
 * which %h is that directory, %s the socket's path there, %p the port, %u the user, %w the
 * password and %d the database; the database is the service's first, else default_db. */
struct client_form {
        const char *socket; /* relative to the env's root */
        int port;
        const char *user;
        const char *password;
        const char *default_db;
        const char *vars;
};

static const struct client_form postgres_client = {
    .socket = "run/postgresql/.s.PGSQL.5432",
    .port = 5432,
    .user = "postgres",
    .password = "postgres",
    .default_db = "postgres",
    .vars = "PGHOST=%h\nPGPORT=%p\nPGUSER=%u\nPGDATABASE=%d\nPGPASSWORD=%w\n"
            "DATABASE_URL=postgresql://%u:%w@/%d?host=%h\n",
};
static const struct client_form mariadb_client = {
    .socket = "run/mysqld/mysqld.sock",
    .port = 3306,
    .user = "vers",
    .password = "vers",
    .default_db = "",
    .vars = "MYSQL_UNIX_PORT=%s\nMYSQL_TCP_PORT=%p\nMYSQL_USER=%u\nMYSQL_PWD=%w\n"
            "MYSQL_DATABASE=%d\nDATABASE_URL=mysql://%u:%w@localhost/%d?socket=%s\n",
};

struct tmpl {
        const char *name;    /* as written in template = "..." */
        const char *version; /* PostgreSQL major, for postgres */
        int (*write)(const struct vers_service_config *s, const struct tmpl *t, const char *rootfs,
                     struct frags *f, vers_error_t *err);
        const char *binary;               /* must exist for the template to be usable */
        const char *package;              /* Debian package that provides it */
        const struct client_form *client; /* NULL: host-side clients use 'vers tunnel' */
};

static int write_postgres(const struct vers_service_config *s, const struct tmpl *t,
                          const char *rootfs, struct frags *f, vers_error_t *err);
static int write_mariadb(const struct vers_service_config *s, const struct tmpl *t,
                         const char *rootfs, struct frags *f, vers_error_t *err);
static int write_redis(const struct vers_service_config *s, const struct tmpl *t,
                       const char *rootfs, struct frags *f, vers_error_t *err);

static const struct tmpl templates[] = {
    {"postgres@15", "15", write_postgres, "/usr/lib/postgresql/15/bin/postgres", "postgresql-15",
     &postgres_client},
    {"postgres", "15", write_postgres, "/usr/lib/postgresql/15/bin/postgres", "postgresql-15",
     &postgres_client},
    {"mariadb", NULL, write_mariadb, "/usr/sbin/mariadbd", "mariadb-server", &mariadb_client},
    {"mariadb@10", NULL, write_mariadb, "/usr/sbin/mariadbd", "mariadb-server", &mariadb_client},
    {"mysql", NULL, write_mariadb, "/usr/sbin/mariadbd", "mariadb-server", &mariadb_client},
    {"redis", NULL, write_redis, "/usr/bin/redis-server", "redis-server", NULL},
    {"redis@7", NULL, write_redis, "/usr/bin/redis-server", "redis-server", NULL},
};
#define AVAILABLE "postgres@15, mariadb (or mysql), redis@7"

static const struct tmpl *find_template(const char *name)
{
        for (size_t i = 0; i < sizeof templates / sizeof templates[0]; i++) {
                if (!strcmp(templates[i].name, name))
                        return &templates[i];
        }
        return NULL;
}

const char *vers_services_binary(const char *template_name)
{
        const struct tmpl *t = find_template(template_name);
        return t ? t->binary : NULL;
}

int vers_services_check(const struct vers_config *cfg, vers_error_t *err)
{
        bool seen[3] = {false, false, false};
        for (size_t i = 0; i < cfg->n_services; i++) {
                const struct vers_service_config *s = &cfg->services[i];
                const char *tn = s->template_ ? s->template_ : "";
                const struct tmpl *t = find_template(tn);
                if (!t && (str_startswith(tn, "mongodb") || str_startswith(tn, "mongo@")))
                        return vers_make_error(err, 0,
                                               "service '%s': template '%s': MongoDB is not "
                                               "packaged in Debian 12, so vers cannot run it "
                                               "(available: " AVAILABLE ")",
                                               s->name, tn);
                if (!t)
                        return vers_make_error(err, 0,
                                               "service '%s': unknown template '%s' (available: "
                                               "%s)",
                                               s->name, tn, AVAILABLE);
                if (access(t->binary, X_OK) < 0)
                        return vers_make_error(err, 0,
                                               "service '%s': template '%s' needs %s "
                                               "(apt-get install %s)",
                                               s->name, tn, t->binary, t->package);
                int kind = t->write == write_postgres ? 0 : t->write == write_mariadb ? 1 : 2;
                if (seen[kind])
                        return vers_make_error(err, 0,
                                               "service '%s': only one %s service per env (they "
                                               "would share a port)",
                                               s->name, t->name);
                seen[kind] = true;
        }
        return 0;
}

/* bump when what a template writes changes, so that cached images are rebuilt */
#define TEMPLATES_VERSION 4

void vers_services_describe(const struct vers_config *cfg, struct strbuf *out)
{
        strbuf_addf(out, "templates %d\n", TEMPLATES_VERSION);
        for (size_t i = 0; i < cfg->n_services; i++) {
                const struct vers_service_config *s = &cfg->services[i];
                strbuf_addf(out, "service %s template %s\n", s->name, s->template_);
                for (size_t j = 0; s->databases && s->databases[j]; j++)
                        strbuf_addf(out, " db %s\n", s->databases[j]);
                for (size_t j = 0; s->extensions && s->extensions[j]; j++)
                        strbuf_addf(out, " ext %s\n", s->extensions[j]);
                for (size_t j = 0; j < s->n_settings; j++)
                        strbuf_addf(out, " set %s=%s\n", s->settings[j].key, s->settings[j].value);
        }
}

/* in-root: the image's tree was written by its Dockerfile's RUN steps before this */
static int write_file(const char *rootfs, const char *rel, const char *text, mode_t mode,
                      vers_error_t *err)
{
        return vers_write_file_in_root(rootfs, rel, text, strlen(text), mode, err);
}

/* a value quoted for postgresql.conf */
static void add_pg_value(struct strbuf *sb, const char *v)
{
        strbuf_addch(sb, '\'');
        for (; *v; v++) {
                if (*v == '\'')
                        strbuf_addch(sb, '\'');
                strbuf_addch(sb, *v);
        }
        strbuf_addch(sb, '\'');
}

/* names that go into SQL, config files and shell words unquoted must be plain */
static bool ident_ok(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++) {
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
                        return false;
        }
        return true;
}

static bool value_ok(const char *s)
{
        for (; *s; s++) {
                if (*s == '\n' || *s == '\r' || *s == '\'' || *s == '\\')
                        return false;
        }
        return true;
}

static int check_names(const struct vers_service_config *s, bool extensions_allowed,
                       vers_error_t *err)
{
        for (size_t j = 0; s->databases && s->databases[j]; j++) {
                if (!ident_ok(s->databases[j]))
                        return vers_make_error(err, 0, "service '%s': bad database name '%s'",
                                               s->name, s->databases[j]);
        }
        for (size_t j = 0; s->extensions && s->extensions[j]; j++) {
                if (!extensions_allowed)
                        return vers_make_error(err, 0,
                                               "service '%s': template '%s' has no extensions",
                                               s->name, s->template_);
                if (!ident_ok(s->extensions[j]))
                        return vers_make_error(err, 0, "service '%s': bad extension name '%s'",
                                               s->name, s->extensions[j]);
        }
        for (size_t j = 0; j < s->n_settings; j++) {
                if (!ident_ok(s->settings[j].key) || !value_ok(s->settings[j].value))
                        return vers_make_error(err, 0, "service '%s': bad setting '%s'", s->name,
                                               s->settings[j].key);
        }
        return 0;
}

/* ---- postgres@15 ------------------------------------------------------------------------ */

static int write_postgres(const struct vers_service_config *s, const struct tmpl *t,
                          const char *rootfs, struct frags *f, vers_error_t *err)
{
        const char *v = t->version;
        const char *first_db = (s->databases && s->databases[0]) ? s->databases[0] : "postgres";
        if (check_names(s, true, err) < 0)
                return -1;
        struct strbuf *sb = &f->setup;
        strbuf_addf(sb,
                    "# PostgreSQL %s\n(\nset -eu\n"
                    "PGBIN=/usr/lib/postgresql/%s/bin\nD=/var/lib/postgresql/%s/main\n"
                    "C=/etc/postgresql/%s/main\nL=/var/log/postgresql/postgresql-%s-main.log\n"
                    "mkdir -p \"$D\" \"$C\" /var/log/postgresql /run/postgresql\n"
                    "chown -R postgres:postgres /var/lib/postgresql /etc/postgresql "
                    "/var/log/postgresql /run/postgresql\n"
                    "chmod 700 \"$D\"\n"
                    "pw=$(mktemp) && echo postgres > \"$pw\" && chmod 644 \"$pw\"\n"
                    "runuser -u postgres -- \"$PGBIN/initdb\" -D \"$D\" -U postgres "
                    "--auth-local=trust --auth-host=scram-sha-256 --pwfile=\"$pw\" -E UTF8 "
                    "--locale=C.UTF-8 >/dev/null\n"
                    "rm -f \"$pw\"\n"
                    "mv \"$D/pg_hba.conf\" \"$C/pg_hba.conf\"\n"
                    "mv \"$D/pg_ident.conf\" \"$C/pg_ident.conf\"\n"
                    "cat >> \"$D/postgresql.conf\" <<'VERS_EOF'\n"
                    "# added by vers\n"
                    "hba_file = '/etc/postgresql/%s/main/pg_hba.conf'\n"
                    "ident_file = '/etc/postgresql/%s/main/pg_ident.conf'\n"
                    "listen_addresses = 'localhost'\nport = 5432\n"
                    "unix_socket_directories = '/var/run/postgresql'\n",
                    v, v, v, v, v, v, v);
        for (size_t j = 0; j < s->n_settings; j++) {
                strbuf_addf(sb, "%s = ", s->settings[j].key);
                add_pg_value(sb, s->settings[j].value);
                strbuf_addch(sb, '\n');
        }
        strbuf_addf(sb, "VERS_EOF\n"
                        "chown postgres:postgres \"$C\"/*\n"
                        "runuser -u postgres -- \"$PGBIN/pg_ctl\" -D \"$D\" -l \"$L\" -w -t 120 "
                        "start >/dev/null\n"
                        "q() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 "
                        "-h /var/run/postgresql \"$@\"; }\n");
        for (size_t j = 0; s->databases && s->databases[j]; j++)
                strbuf_addf(sb, "q -d postgres -c 'CREATE DATABASE \"%s\"'\n", s->databases[j]);
        for (size_t j = 0; s->extensions && s->extensions[j]; j++) {
                for (size_t k = 0; s->databases && s->databases[k]; k++)
                        strbuf_addf(sb, "q -d '%s' -c 'CREATE EXTENSION IF NOT EXISTS \"%s\"'\n",
                                    s->databases[k], s->extensions[j]);
        }
        strbuf_addf(sb, "q -d postgres -c CHECKPOINT\n"
                        "runuser -u postgres -- \"$PGBIN/pg_ctl\" -D \"$D\" -m fast -w stop "
                        ">/dev/null\n)\n");

        strbuf_addf(&f->boot,
                    "mkdir -p /run/postgresql\n"
                    "chown postgres:postgres /run/postgresql\nchmod 2775 /run/postgresql\n"
                    "# a cold boot starts from a snapshot of a running server: its pid file "
                    "is stale\n"
                    "rm -f /var/lib/postgresql/%s/main/postmaster.pid\n",
                    v);
        strbuf_addf(&f->services,
                    "%s\tpostgres\tINT\t/var/log/postgresql/postgresql-%s-main.log\t"
                    "exec /usr/lib/postgresql/%s/bin/postgres -D /var/lib/postgresql/%s/main\n",
                    s->name, v, v, v);
        strbuf_addf(&f->ready,
                    "/usr/lib/postgresql/%s/bin/pg_isready -q -h /var/run/postgresql -p 5432 "
                    "-d postgres -U postgres\n",
                    v);
        /* the postmaster's pid file names a live process: stopped with pg_ctl, it does not */
        strbuf_addf(&f->running,
                    "runuser -u postgres -- /usr/lib/postgresql/%s/bin/pg_ctl status -D "
                    "/var/lib/postgresql/%s/main >/dev/null 2>&1",
                    v, v);
        strbuf_addstr(&f->precommit,
                      "# flush dirty buffers, so that a branch needs no WAL replay\n"
                      "runuser -u postgres -- psql -X -q -h /var/run/postgresql -d postgres "
                      "-c CHECKPOINT\n");
        strbuf_addf(&f->env,
                    "PGUSER=postgres\nPGDATABASE=%s\nPGPASSWORD=postgres\n"
                    "PGDATA=/var/lib/postgresql/%s/main\n",
                    first_db, v);
        strbuf_addf(&f->path, ":/usr/lib/postgresql/%s/bin", v);
        strbuf_addf(&f->log_files, "/var/log/postgresql/postgresql-%s-main.log\n", v);
        _cleanup_strbuf_ struct strbuf w = STRBUF_INIT;
        strbuf_addf(&w,
                    "#!/bin/sh\n# vers: pg_ctl refuses to run as root; run it as postgres.\n"
                    "# start and restart log to the server's log unless told otherwise: a "
                    "server\n# that inherits the caller's output keeps 'vers execute' "
                    "readers waiting\n"
                    "case \" $* \" in\n"
                    "*\" start \"* | *\" restart \"*)\n"
                    "  case \" $* \" in\n"
                    "  *\" -l\"* | *\" --log\"*) ;;\n"
                    "  *) set -- \"$@\" -l /var/log/postgresql/postgresql-%s-main.log ;;\n"
                    "  esac ;;\n"
                    "esac\n"
                    "if [ \"$(id -u)\" = 0 ]; then\n"
                    "  exec runuser -u postgres -- /usr/lib/postgresql/%s/bin/pg_ctl \"$@\"\n"
                    "fi\nexec /usr/lib/postgresql/%s/bin/pg_ctl \"$@\"\n",
                    v, v, v);
        return write_file(rootfs, ".vers/bin/pg_ctl", w.buf, 0755, err);
}

/* ---- mariadb (mysql) -------------------------------------------------------------------- */

static int write_mariadb(const struct vers_service_config *s, const struct tmpl *t,
                         const char *rootfs, struct frags *f, vers_error_t *err)
{
        (void)t;
        (void)rootfs;
        if (check_names(s, false, err) < 0)
                return -1;
        struct strbuf *sb = &f->setup;
        strbuf_addstr(sb, "# MariaDB\n(\nset -eu\n"
                          "mkdir -p /var/lib/mysql /run/mysqld /var/log/mysql "
                          "/etc/mysql/mariadb.conf.d\n"
                          "chown -R mysql:mysql /var/lib/mysql /run/mysqld /var/log/mysql\n"
                          "cat > /etc/mysql/mariadb.conf.d/90-vers.cnf <<'VERS_EOF'\n"
                          "# written by vers\n[mysqld]\n"
                          "datadir = /var/lib/mysql\nsocket = /run/mysqld/mysqld.sock\n"
                          "bind-address = 127.0.0.1\nport = 3306\n"
                          "log-error = /var/log/mysql/error.log\n"
                          "# no io_uring: CRIU cannot checkpoint it (warm commits)\n"
                          "innodb_use_native_aio = 0\n");
        for (size_t j = 0; j < s->n_settings; j++)
                strbuf_addf(sb, "%s = %s\n", s->settings[j].key, s->settings[j].value);
        strbuf_addstr(sb, "[client]\nsocket = /run/mysqld/mysqld.sock\nVERS_EOF\n"
                          "mariadb-install-db --user=mysql --datadir=/var/lib/mysql "
                          "--skip-test-db >/var/log/mysql/install.log 2>&1\n"
                          "runuser -u mysql -- /usr/sbin/mariadbd >/dev/null 2>&1 &\n"
                          "i=0; until mariadb-admin ping >/dev/null 2>&1; do\n"
                          "  i=$((i+1)); [ $i -lt 3000 ] || exit 1; sleep 0.02; done\n"
                          "mariadb -e \"CREATE USER IF NOT EXISTS 'vers'@'localhost' "
                          "IDENTIFIED BY 'vers'; CREATE USER IF NOT EXISTS 'vers'@'127.0.0.1' "
                          "IDENTIFIED BY 'vers'; GRANT ALL ON *.* TO 'vers'@'localhost'; "
                          "GRANT ALL ON *.* TO 'vers'@'127.0.0.1'\"\n");
        for (size_t j = 0; s->databases && s->databases[j]; j++)
                strbuf_addf(sb, "mariadb -e 'CREATE DATABASE IF NOT EXISTS `%s`'\n",
                            s->databases[j]);
        strbuf_addstr(sb, "mariadb-admin shutdown\n)\n");
        strbuf_addstr(&f->boot, "mkdir -p /run/mysqld\nchown mysql:mysql /run/mysqld\n");
        strbuf_addf(&f->services,
                    "%s\tmysql\tTERM\t/var/log/mysql/error.log\t"
                    "exec /usr/sbin/mariadbd\n",
                    s->name);
        strbuf_addstr(&f->ready, "mariadb-admin --socket=/run/mysqld/mysqld.sock ping "
                                 ">/dev/null 2>&1\n");
        strbuf_addstr(&f->running, "mariadb-admin --socket=/run/mysqld/mysqld.sock ping "
                                   ">/dev/null 2>&1");
        strbuf_addstr(&f->precommit,
                      "# close and flush every table\n"
                      "mariadb --socket=/run/mysqld/mysqld.sock -e 'FLUSH TABLES'\n");
        if (s->databases && s->databases[0])
                strbuf_addf(&f->env, "MYSQL_DATABASE=%s\n", s->databases[0]);
        strbuf_addstr(&f->log_files, "/var/log/mysql/error.log\n");
        return 0;
}

/* ---- redis@7 ----------------------------------------------------------------------------- */

static int write_redis(const struct vers_service_config *s, const struct tmpl *t,
                       const char *rootfs, struct frags *f, vers_error_t *err)
{
        (void)t;
        (void)rootfs;
        if (check_names(s, false, err) < 0)
                return -1;
        if (s->databases && s->databases[0])
                return vers_make_error(err, 0, "service '%s': redis has no named databases",
                                       s->name);
        struct strbuf *sb = &f->setup;
        strbuf_addstr(sb, "# Redis\n(\nset -eu\n"
                          "mkdir -p /var/lib/redis /var/log/redis /etc/redis\n"
                          "chown -R redis:redis /var/lib/redis /var/log/redis\n"
                          "cat > /etc/redis/vers.conf <<'VERS_EOF'\n"
                          "# written by vers\nbind 127.0.0.1\nport 6379\ndir /var/lib/redis\n"
                          "daemonize no\nlogfile \"\"\n");
        for (size_t j = 0; j < s->n_settings; j++)
                strbuf_addf(sb, "%s %s\n", s->settings[j].key, s->settings[j].value);
        strbuf_addstr(sb, "VERS_EOF\n)\n");
        strbuf_addf(&f->services,
                    "%s\tredis\tTERM\t/var/log/redis/redis-server.log\t"
                    "exec /usr/bin/redis-server /etc/redis/vers.conf\n",
                    s->name);
        strbuf_addstr(&f->ready,
                      "redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG\n");
        strbuf_addstr(&f->running,
                      "redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG");
        strbuf_addstr(&f->precommit, "# write the dataset to disk, for cold branches\n"
                                     "redis-cli -h 127.0.0.1 -p 6379 SAVE >/dev/null\n");
        strbuf_addstr(&f->log_files, "/var/log/redis/redis-server.log\n");
        return 0;
}

/* ---- the files ---------------------------------------------------------------------------- */

static void frags_release(struct frags *f)
{
        strbuf_release(&f->setup);
        strbuf_release(&f->boot);
        strbuf_release(&f->services);
        strbuf_release(&f->ready);
        strbuf_release(&f->running);
        strbuf_release(&f->precommit);
        strbuf_release(&f->env);
        strbuf_release(&f->path);
        strbuf_release(&f->log_files);
}

char **vers_services_names(const char *rootfs)
{
        char **v = NULL;
        _cleanup_free_ char *text = NULL;
        /* in the env's tree: what it planted there stays there */
        if (vers_read_file_in_root(rootfs, ".vers/services", 0, &text, NULL, NULL) == 0) {
                char *save = NULL;
                for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                        size_t n = strcspn(l, "\t");
                        if (l[0] == '#' || l[n] != '\t')
                                continue;
                        l[n] = '\0';
                        strv_push(&v, l);
                }
        }
        return v ? v : xcalloc(1, sizeof *v);
}

/* One service's part of /.vers/ready: with --running, a service that is not running is not
 * waited for (a warm branch keeps a service the user stopped stopped). */
static void add_ready_block(struct strbuf *sb, const char *name, const char *checks,
                            const char *running)
{
        strbuf_addf(sb, "# %s\nif [ -z \"$running_only\" ] || %s; then\n", name, running);
        char *save = NULL;
        char *copy = xstrdup(checks);
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                strbuf_addstr(sb, "  wait_for ");
                strbuf_add_shell_quoted(sb, line);
                strbuf_addstr(sb, " || exit 1\n");
        }
        free(copy);
        strbuf_addstr(sb, "fi\n");
}

/* One service's part of /.vers/pre-commit: 'pre-commit NAME' runs it alone and exits 3 when
 * the service is not running (the user stopped it: there is nothing to flush). */
static void add_precommit_block(struct strbuf *sb, const char *name, const char *cmds,
                                const char *running)
{
        strbuf_addf(sb, "# %s\nif [ $# -eq 0 ] || [ \"$1\" = ", name);
        strbuf_add_shell_quoted(sb, name);
        strbuf_addf(sb, " ]; then\nif %s; then\n:\n%s", running, cmds);
        strbuf_addstr(sb, "elif [ $# -gt 0 ]; then\n  exit 3\nfi\nfi\n");
}

/* /.vers/clients: "NAME<TAB>TEMPLATE<TAB>DATABASE" for each service a host-side client can
 * reach through its socket ('vers env'): the rest of what the client needs is the template's */
static void add_clients(struct strbuf *sb, const struct vers_config *cfg)
{
        strbuf_addstr(sb, "# service\ttemplate\tdatabase\n");
        for (size_t i = 0; i < cfg->n_services; i++) {
                const struct vers_service_config *s = &cfg->services[i];
                const struct tmpl *t = find_template(s->template_);
                if (!t || !t->client)
                        continue;
                const char *db =
                    (s->databases && s->databases[0]) ? s->databases[0] : t->client->default_db;
                strbuf_addf(sb, "%s\t%s\t%s\n", s->name, t->name, db);
        }
}

int vers_services_write(const struct vers_config *cfg, const char *rootfs, vers_error_t *err)
{
        if (vers_services_check(cfg, err) < 0)
                return -1;
        struct frags f = {STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT,
                          STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT};
        int ret = -1;
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        _cleanup_strbuf_ struct strbuf ready = STRBUF_INIT;
        _cleanup_strbuf_ struct strbuf precommit = STRBUF_INIT;
        for (size_t i = 0; i < cfg->n_services; i++) {
                const struct vers_service_config *s = &cfg->services[i];
                const struct tmpl *t = find_template(s->template_);
                size_t r0 = f.ready.len, p0 = f.precommit.len, n0 = f.running.len;
                if (t->write(s, t, rootfs, &f, err) < 0)
                        goto out;
                const char *running = f.running.len > n0 ? f.running.buf + n0 : "true";
                add_ready_block(&ready, s->name, f.ready.buf + r0, running);
                add_precommit_block(&precommit, s->name, f.precommit.buf + p0, running);
                strbuf_reset(&f.running);
        }
        strbuf_addf(&sb, "# name\tuser\tstop signal\tlog\tcommand\n%s", f.services.buf);
        if (write_file(rootfs, ".vers/services", sb.buf, 0644, err) < 0)
                goto out;
        strbuf_reset(&sb);
        strbuf_addf(&sb,
                    "PATH=/.vers/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
                    "/sbin:/bin%s\n%s",
                    f.path.buf, f.env.buf);
        if (write_file(rootfs, ".vers/env", sb.buf, 0644, err) < 0)
                goto out;
        strbuf_reset(&sb);
        strbuf_addf(&sb, "/var/log/vers/init.log\n/var/log/vers/boot.log\n%s", f.log_files.buf);
        if (write_file(rootfs, ".vers/logs", sb.buf, 0644, err) < 0)
                goto out;
        strbuf_reset(&sb);
        add_clients(&sb, cfg);
        if (write_file(rootfs, ".vers/clients", sb.buf, 0644, err) < 0)
                goto out;
        if (cfg->n_services == 0) {
                ret = 0;
                goto out;
        }
        strbuf_reset(&sb);
        strbuf_addf(&sb,
                    "#!/bin/sh\n# vers: build-time setup of the services\nset -e\n"
                    "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
                    "%s",
                    f.setup.buf);
        if (write_file(rootfs, ".vers/setup", sb.buf, 0755, err) < 0)
                goto out;
        strbuf_reset(&sb);
        strbuf_addf(&sb,
                    "#!/bin/sh\n# vers: runs at every cold boot, before the services\n"
                    "mkdir -p /run/lock\n%s",
                    f.boot.buf);
        if (write_file(rootfs, ".vers/boot", sb.buf, 0755, err) < 0)
                goto out;
        /* ready: every check must pass; poll each for up to 60 s */
        strbuf_reset(&sb);
        strbuf_addf(&sb,
                    "#!/bin/sh\n# vers: exits 0 once every service accepts connections; with "
                    "--running,\n# once every service that runs does\n"
                    "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
                    "wait_for() {\n  i=0\n  while [ $i -lt 6000 ]; do\n"
                    "    sh -c \"$1\" && return 0\n    i=$((i+1)); sleep 0.01\n  done\n"
                    "  echo \"not ready: $1\" >&2\n  return 1\n}\n"
                    "running_only=\n[ \"${1:-}\" != --running ] || running_only=1\n%s",
                    ready.buf);
        if (write_file(rootfs, ".vers/ready", sb.buf, 0755, err) < 0)
                goto out;
        strbuf_reset(&sb);
        strbuf_addf(&sb,
                    "#!/bin/sh\n# vers: runs before every commit of a running env. 'pre-commit "
                    "NAME' runs\n# service NAME's part, or exits 3 when NAME is not running; "
                    "without NAME,\n# every running service's part\nset -e\n"
                    "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
                    "%s",
                    precommit.buf);
        ret = write_file(rootfs, ".vers/pre-commit", sb.buf, 0755, err);
out:
        frags_release(&f);
        return ret;
}

/* ---- clients on the host ------------------------------------------------------------------ */

void vers_service_client_clear(struct vers_service_client *c)
{
        free(c->service);
        free(c->template_);
        free(c->socket);
        free(c->database);
        memset(c, 0, sizeof *c);
}

/* An image built before /.vers/clients: its PostgreSQL (the one template 'vers env' knew),
 * with the database its /.vers/env names for the env's own psql. */
static int legacy_client(const char *image_root, struct vers_service_client *out)
{
        _cleanup_free_ char *text = NULL;
        char db[128] = "postgres";
        if (vers_read_file_in_root(image_root, ".vers/env", 0, &text, NULL, NULL) == 0) {
                const char *p = strstr(text, "PGDATABASE=");
                if (p)
                        sscanf(p + strlen("PGDATABASE="), "%127[^\n]", db);
                if (!ident_ok(db))
                        snprintf(db, sizeof db, "postgres");
        }
        out->service = xstrdup("postgres");
        out->template_ = xstrdup("postgres@15");
        out->socket = xstrdup(postgres_client.socket);
        out->database = xstrdup(db);
        return 0;
}

int vers_services_client(const char *image_root, struct vers_service_client *out, vers_error_t *err)
{
        memset(out, 0, sizeof *out);
        _cleanup_free_ char *text = NULL;
        /* in-root: an image's tree was also written by its build's RUN steps */
        if (vers_read_file_in_root(image_root, ".vers/clients", 0, &text, NULL, NULL) < 0)
                return legacy_client(image_root, out);
        char *save = NULL;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                if (l[0] == '#')
                        continue;
                char *f[3] = {l, NULL, NULL};
                for (int k = 1; k < 3 && f[k - 1]; k++) {
                        char *tab = strchr(f[k - 1], '\t');
                        if (tab)
                                *tab = '\0';
                        f[k] = tab ? tab + 1 : NULL;
                }
                const struct tmpl *t = f[1] ? find_template(f[1]) : NULL;
                /* the values go into a shell's eval: only plain names */
                if (!t || !t->client || !f[2] || !ident_ok(f[0]) || (*f[2] && !ident_ok(f[2])))
                        continue;
                out->service = xstrdup(f[0]);
                out->template_ = xstrdup(t->name);
                out->socket = xstrdup(t->client->socket);
                out->database = xstrdup(f[2]);
                return 0;
        }
        return vers_make_error(err, 0,
                               "it runs no service that clients on the host reach through a "
                               "socket (use 'vers tunnel')");
}

char **vers_services_client_vars(const struct vers_service_client *c, const char *host_dir)
{
        const struct tmpl *t = find_template(c->template_);
        char **v = NULL;
        if (!t || !t->client)
                return xcalloc(1, sizeof *v);
        const struct client_form *f = t->client;
        const char *base = strrchr(f->socket, '/');
        _cleanup_free_ char *sock = xasprintf("%s/%s", host_dir, base ? base + 1 : f->socket);
        _cleanup_strbuf_ struct strbuf line = STRBUF_INIT;
        for (const char *p = f->vars; *p; p++) {
                if (*p == '\n') {
                        strv_push(&v, line.buf);
                        strbuf_reset(&line);
                } else if (*p == '%' && p[1]) {
                        switch (*++p) {
                        case 'h':
                                strbuf_addstr(&line, host_dir);
                                break;
                        case 's':
                                strbuf_addstr(&line, sock);
                                break;
                        case 'p':
                                strbuf_addf(&line, "%d", f->port);
                                break;
                        case 'u':
                                strbuf_addstr(&line, f->user);
                                break;
                        case 'w':
                                strbuf_addstr(&line, f->password);
                                break;
                        case 'd':
                                strbuf_addstr(&line, c->database);
                                break;
                        default:
                                strbuf_addch(&line, *p);
                        }
                } else {
                        strbuf_addch(&line, *p);
                }
        }
        return v ? v : xcalloc(1, sizeof *v);
}
