#include "services/services.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What each service adds to the files of services.h. Every template fills these; the files
 * are their concatenation, in the order the services are declared. */
struct frags {
        struct strbuf setup;     /* build time, as root: one subshell per service */
        struct strbuf prepare;   /* every cold boot, by vers-init: dir and rm lines */
        struct strbuf probes;    /* lines: how vers sees that the service answers */
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

struct tsel;

struct tmpl {
        const char *name; /* as written in template = "..."; postgres also as postgres@N */
        int (*write)(const struct vers_service_config *s, const struct tsel *t, const char *rootfs,
                     struct frags *f, vers_error_t *err);
        const char *binary;               /* must be in the image; %s: the PostgreSQL major */
        const char *package;              /* the Debian package that provides it; %s: the same */
        const struct client_form *client; /* NULL: host-side clients use 'vers tunnel' */
};

/* A template as a service names it: which one, and for postgres the major ("" for a bare
 * "postgres" until the image says which it has: vers_services_check_image). */
struct tsel {
        const struct tmpl *t;
        char version[8];
        char name[24]; /* the canonical name: "postgres@16", "mariadb", ... */
};

static int write_postgres(const struct vers_service_config *s, const struct tsel *t,
                          const char *rootfs, struct frags *f, vers_error_t *err);
static int write_mariadb(const struct vers_service_config *s, const struct tsel *t,
                         const char *rootfs, struct frags *f, vers_error_t *err);
static int write_redis(const struct vers_service_config *s, const struct tsel *t,
                       const char *rootfs, struct frags *f, vers_error_t *err);

#define PG_BINARY "/usr/lib/postgresql/%s/bin/postgres"
/* the major a bare "postgres" means when the image has none, or several */
#define PG_DEFAULT_MAJOR "15"

static const struct tmpl templates[] = {
    {"postgres", write_postgres, PG_BINARY, "postgresql-%s", &postgres_client},
    {"mariadb", write_mariadb, "/usr/sbin/mariadbd", "mariadb-server", &mariadb_client},
    {"mariadb@10", write_mariadb, "/usr/sbin/mariadbd", "mariadb-server", &mariadb_client},
    {"mysql", write_mariadb, "/usr/sbin/mariadbd", "mariadb-server", &mariadb_client},
    {"redis", write_redis, "/usr/bin/redis-server", "redis-server", NULL},
    {"redis@7", write_redis, "/usr/bin/redis-server", "redis-server", NULL},
};
#define AVAILABLE "postgres@15, mariadb (or mysql), redis@7"
#define PG_ANY "postgres@N takes any PostgreSQL major N the image has"

/* A PostgreSQL major as written after "postgres@": 1 to 3 digits, no leading zero. */
static bool pg_major_ok(const char *v)
{
        size_t n = strspn(v, "0123456789");
        return n >= 1 && n <= 3 && !v[n] && v[0] != '0';
}

/* 1: found; 0: unknown; -1: "postgres@" with something that is not a major */
static int find_template(const char *name, struct tsel *out)
{
        memset(out, 0, sizeof *out);
        if (str_startswith(name, "postgres@")) {
                const char *v = name + strlen("postgres@");
                if (!pg_major_ok(v))
                        return -1;
                out->t = &templates[0];
                snprintf(out->version, sizeof out->version, "%s", v);
                snprintf(out->name, sizeof out->name, "postgres@%s", v);
                return 1;
        }
        for (size_t i = 0; i < sizeof templates / sizeof templates[0]; i++) {
                if (!strcmp(templates[i].name, name)) {
                        out->t = &templates[i];
                        snprintf(out->name, sizeof out->name, "%s", name);
                        return 1;
                }
        }
        return 0;
}

/* fmt with its "%s" (if any) replaced by the major v: binaries and package names */
static char *with_major(const char *fmt, const char *v)
{
        const char *p = strstr(fmt, "%s");
        if (!p)
                return xstrdup(fmt);
        return xasprintf("%.*s%s%s", (int)(p - fmt), fmt, v, p + 2);
}

/* The binary of t, its major filled in */
static char *binary_of(const struct tsel *t)
{
        return with_major(t->t->binary, t->version);
}

char **vers_services_pg_majors(const char *root)
{
        char **v = NULL;
        int fd = vers_open_in_root(root, "usr/lib/postgresql", O_RDONLY | O_DIRECTORY, 0, NULL);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d && fd >= 0)
                close(fd);
        for (struct dirent *de; d && (de = readdir(d)) != NULL;) {
                if (!pg_major_ok(de->d_name))
                        continue;
                _cleanup_free_ char *rel = with_major(PG_BINARY, de->d_name);
                if (vers_exists_in_root(root, rel))
                        strv_push(&v, de->d_name);
        }
        if (d)
                closedir(d);
        size_t n = strv_len(v);
        /* numerically: 9 before 15 */
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && atoi(v[j - 1]) > atoi(v[j]); j--) {
                        char *tmp = v[j];
                        v[j] = v[j - 1];
                        v[j - 1] = tmp;
                }
        return v ? v : xcalloc(1, sizeof *v);
}

static int kind_of(const struct tmpl *t)
{
        return t->write == write_postgres ? 0 : t->write == write_mariadb ? 1 : 2;
}

int vers_services_check(const struct vers_config *cfg, vers_error_t *err)
{
        bool seen[3] = {false, false, false};
        for (size_t i = 0; i < cfg->n_services; i++) {
                const struct vers_service_config *s = &cfg->services[i];
                const char *tn = s->template_ ? s->template_ : "";
                struct tsel t;
                int found = find_template(tn, &t);
                if (found < 0)
                        return vers_make_error(err, 0,
                                               "service '%s': template '%s': '%s' is not a "
                                               "PostgreSQL major (postgres@15, postgres@16, ...)",
                                               s->name, tn, tn + strlen("postgres@"));
                if (!found && (str_startswith(tn, "mongodb") || str_startswith(tn, "mongo@")))
                        return vers_make_error(err, 0,
                                               "service '%s': template '%s': MongoDB is not "
                                               "packaged in Debian 12, so vers has no template "
                                               "for it; an image that brings it needs none "
                                               "(FROM mongo:7 and no [services]: its CMD "
                                               "starts the server) (available: " AVAILABLE
                                               "; " PG_ANY ")",
                                               s->name, tn);
                if (!found)
                        return vers_make_error(err, 0,
                                               "service '%s': unknown template '%s' (available: "
                                               "%s); %s",
                                               s->name, tn, AVAILABLE, PG_ANY);
                int kind = kind_of(t.t);
                if (seen[kind])
                        return vers_make_error(err, 0,
                                               "service '%s': only one %s service per env (they "
                                               "would share a port)",
                                               s->name, t.t->name);
                seen[kind] = true;
        }
        return 0;
}

int vers_services_check_image(struct vers_config *cfg, const char *top, bool own_root,
                              vers_error_t *err)
{
        if (vers_services_check(cfg, err) < 0)
                return -1;
        /* FROM host: the env binds the host's /usr over the image's */
        const char *root = own_root && top ? top : "/";
        const char *where = own_root ? "the image" : "the host (FROM host binds its /usr)";
        for (size_t i = 0; i < cfg->n_services; i++) {
                struct vers_service_config *s = &cfg->services[i];
                struct tsel t;
                find_template(s->template_, &t);
                if (t.t->write == write_postgres && !*t.version) {
                        /* "postgres": the one major the image has, else 15 */
                        _cleanup_strv_ char **majors = vers_services_pg_majors(root);
                        snprintf(t.version, sizeof t.version, "%s",
                                 strv_len(majors) == 1 ? majors[0] : PG_DEFAULT_MAJOR);
                        free(s->template_);
                        s->template_ = xasprintf("postgres@%s", t.version);
                }
                _cleanup_free_ char *bin = binary_of(&t);
                bool have = own_root ? vers_exists_in_root(root, bin) : access(bin, X_OK) == 0;
                if (have)
                        continue;
                _cleanup_free_ char *pkg = with_major(t.t->package, t.version);
                return vers_make_error(err, 0,
                                       "service '%s': template '%s' needs %s, which %s does not "
                                       "have (%s %s%s)",
                                       s->name, s->template_, bin, where,
                                       own_root ? "install" : "apt-get install", pkg,
                                       own_root ? " in a RUN step" : "");
        }
        return 0;
}

/* bump when what a template writes changes, so that cached images are rebuilt */
#define TEMPLATES_VERSION 5

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

/* ---- postgres@N ------------------------------------------------------------------------ */

static int write_postgres(const struct vers_service_config *s, const struct tsel *t,
                          const char *rootfs, struct frags *f, vers_error_t *err)
{
        const char *v = *t->version ? t->version : PG_DEFAULT_MAJOR;
        const char *first_db = (s->databases && s->databases[0]) ? s->databases[0] : "postgres";
        if (check_names(s, true, err) < 0)
                return -1;
        struct strbuf *sb = &f->setup;
        strbuf_addf(sb,
                    "# PostgreSQL %s\n(\nset -eu\n"
                    "PGBIN=/usr/lib/postgresql/%s/bin\nD=/var/lib/postgresql/%s/main\n"
                    "C=/etc/postgresql/%s/main\nL=/var/log/postgresql/postgresql-%s-main.log\n"
                    "# the cluster Debian's postinst made (an image with its own /usr): ours "
                    "replaces it\n"
                    "if [ -e \"$D/PG_VERSION\" ]; then rm -rf \"$D\"; fi\n"
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
                    "unix_socket_directories = '/var/run/postgresql'\n"
                    "%s",
                    v, v, v, v, v, v, v,
                    /* a cold branch's server recovers from a crash-consistent snapshot: one
                     * syncfs, not an fsync of every file of the cluster, before its redo */
                    atoi(v) >= 14 ? "recovery_init_sync_method = syncfs\n" : "");
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

        strbuf_addf(&f->prepare,
                    "dir\t/run/postgresql\tpostgres:postgres\t2775\n"
                    "# a cold boot starts from a snapshot of a running server: its pid file "
                    "is stale\n"
                    "rm\t/var/lib/postgresql/%s/main/postmaster.pid\n",
                    v);
        strbuf_addf(&f->probes,
                    "%s\tpg\t/var/run/postgresql/.s.PGSQL.5432\t/var/lib/postgresql/%s/main/"
                    "postmaster.pid\n",
                    s->name, v);
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

static int write_mariadb(const struct vers_service_config *s, const struct tsel *t,
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
        strbuf_addstr(&f->prepare, "dir\t/run/mysqld\tmysql:mysql\t0755\n");
        /* mariadbd makes its socket once it accepts connections */
        strbuf_addf(&f->probes, "%s\tconnect\t/run/mysqld/mysqld.sock\n", s->name);
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

static int write_redis(const struct vers_service_config *s, const struct tsel *t,
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
        strbuf_addf(&f->probes, "%s\tredis\ttcp:127.0.0.1:6379\n", s->name);
        return 0;
}

/* ---- the files ---------------------------------------------------------------------------- */

static void frags_release(struct frags *f)
{
        strbuf_release(&f->setup);
        strbuf_release(&f->prepare);
        strbuf_release(&f->probes);
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

/* What each template's server leaves in the tree while it runs, and the port it serves, by
 * the user its /.vers/services line runs it as (%s: the PostgreSQL major, from its command). */
static const struct {
        const char *user;
        const char *pid_file; /* relative to the root; NULL: none in the tree */
        const char *port;
} runtime_files[] = {
    {"postgres", "var/lib/postgresql/%s/main/postmaster.pid", "5432/tcp"},
    {"mysql", NULL, "3306/tcp"},
    {"redis", NULL, "6379/tcp"},
};

int vers_services_runtime(const char *rootfs, char ***pid_files, char ***ports)
{
        *pid_files = xcalloc(1, sizeof **pid_files);
        *ports = xcalloc(1, sizeof **ports);
        _cleanup_free_ char *text = NULL;
        if (vers_read_file_in_root(rootfs, ".vers/services", 0, &text, NULL, NULL) < 0)
                return 0;
        char *save = NULL;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                if (l[0] == '#')
                        continue;
                char *f[5] = {l};
                int k = 1;
                for (; k < 5; k++) {
                        char *tab = strchr(f[k - 1], '\t');
                        if (!tab)
                                break;
                        *tab = '\0';
                        f[k] = tab + 1;
                }
                if (k < 5)
                        continue;
                for (size_t i = 0; i < sizeof runtime_files / sizeof *runtime_files; i++) {
                        if (strcmp(f[1], runtime_files[i].user))
                                continue;
                        strv_push(ports, runtime_files[i].port);
                        if (!runtime_files[i].pid_file)
                                continue;
                        /* the major from "exec /usr/lib/postgresql/N/bin/postgres" */
                        const char *p = strstr(f[4], "/usr/lib/postgresql/");
                        char major[8] = "";
                        if (p)
                                sscanf(p + strlen("/usr/lib/postgresql/"), "%7[0-9]", major);
                        if (!pg_major_ok(major))
                                continue;
                        _cleanup_free_ char *pf = with_major(runtime_files[i].pid_file, major);
                        strv_push(pid_files, pf);
                }
        }
        return 0;
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
                struct tsel t;
                if (find_template(s->template_, &t) != 1 || !t.t->client)
                        continue;
                const char *db =
                    (s->databases && s->databases[0]) ? s->databases[0] : t.t->client->default_db;
                strbuf_addf(sb, "%s\t%s\t%s\n", s->name, t.name, db);
        }
}

int vers_services_write(const struct vers_config *cfg, const char *rootfs, vers_error_t *err)
{
        if (vers_services_check(cfg, err) < 0)
                return -1;
        struct frags f = {STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT,
                          STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT};
        int ret = -1;
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        _cleanup_strbuf_ struct strbuf ready = STRBUF_INIT;
        _cleanup_strbuf_ struct strbuf precommit = STRBUF_INIT;
        for (size_t i = 0; i < cfg->n_services; i++) {
                const struct vers_service_config *s = &cfg->services[i];
                struct tsel t;
                find_template(s->template_, &t); /* vers_services_check: it is known */
                size_t r0 = f.ready.len, p0 = f.precommit.len, n0 = f.running.len;
                if (t.t->write(s, &t, rootfs, &f, err) < 0)
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
                    "# vers-init, at every cold boot before the services: dir PATH OWNER MODE, "
                    "rm PATH\ndir\t/run/lock\troot\t0755\n%s",
                    f.prepare.buf);
        if (write_file(rootfs, ".vers/prepare", sb.buf, 0644, err) < 0)
                goto out;
        strbuf_reset(&sb);
        strbuf_addf(&sb,
                    "# service\tprobe (pg, connect, redis)\ttarget (socket or tcp:HOST:PORT)\n%s",
                    f.probes.buf);
        if (write_file(rootfs, ".vers/probes", sb.buf, 0644, err) < 0)
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
                struct tsel t;
                /* the values go into a shell's eval: only plain names */
                if (!f[1] || find_template(f[1], &t) != 1 || !t.t->client || !f[2] ||
                    !ident_ok(f[0]) || (*f[2] && !ident_ok(f[2])))
                        continue;
                out->service = xstrdup(f[0]);
                out->template_ = xstrdup(t.name);
                out->socket = xstrdup(t.t->client->socket);
                out->database = xstrdup(f[2]);
                return 0;
        }
        return vers_make_error(err, 0,
                               "it runs no service that clients on the host reach through a "
                               "socket (use 'vers tunnel')");
}

char **vers_services_client_vars(const struct vers_service_client *c, const char *host_dir)
{
        struct tsel t;
        char **v = NULL;
        if (find_template(c->template_, &t) != 1 || !t.t->client)
                return xcalloc(1, sizeof *v);
        const struct client_form *f = t.t->client;
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
