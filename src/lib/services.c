#include "services.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct tmpl {
        const char *name;    /* as written in template = "..." */
        const char *version; /* PostgreSQL major */
};

static const struct tmpl templates[] = {
    {"postgres@15", "15"},
    {"postgres", "15"},
};

static const struct tmpl *find_template(const char *name)
{
        for (size_t i = 0; i < sizeof templates / sizeof templates[0]; i++) {
                if (!strcmp(templates[i].name, name))
                        return &templates[i];
        }
        return NULL;
}

int vers_services_check(const struct vers_config *cfg, vers_error_t *err)
{
        for (size_t i = 0; i < cfg->n_services; i++) {
                const struct vers_service_config *s = &cfg->services[i];
                const struct tmpl *t = find_template(s->template_);
                if (!t)
                        return vers_make_error(err, 0,
                                               "service '%s': unknown template '%s' (available: "
                                               "postgres@15)",
                                               s->name, s->template_);
                _cleanup_free_ char *bin =
                    xasprintf("/usr/lib/postgresql/%s/bin/postgres", t->version);
                if (access(bin, X_OK) < 0)
                        return vers_make_error(err, 0,
                                               "service '%s': template '%s' needs PostgreSQL %s "
                                               "(apt-get install postgresql-%s)",
                                               s->name, s->template_, t->version, t->version);
                if (i > 0)
                        return vers_make_error(err, 0,
                                               "service '%s': only one postgres service per env "
                                               "is supported",
                                               s->name);
        }
        return 0;
}

void vers_services_describe(const struct vers_config *cfg, struct strbuf *out)
{
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

static int write_file(const char *rootfs, const char *rel, const char *text, mode_t mode,
                      vers_error_t *err)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", rootfs, rel);
        return vers_write_file_atomic(p, text, strlen(text), mode, err);
}

/* A setting value for postgresql.conf: integers and booleans bare, strings quoted. */
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

static bool pg_ident_ok(const char *s)
{
        for (; *s; s++) {
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
                        return false;
        }
        return true;
}

static int write_postgres(const struct vers_service_config *s, const struct tmpl *t,
                          const char *rootfs, vers_error_t *err)
{
        const char *v = t->version;
        const char *first_db = (s->databases && s->databases[0]) ? s->databases[0] : "postgres";
        for (size_t j = 0; s->databases && s->databases[j]; j++) {
                if (!pg_ident_ok(s->databases[j]))
                        return vers_make_error(err, 0, "service '%s': bad database name '%s'",
                                               s->name, s->databases[j]);
        }
        for (size_t j = 0; s->extensions && s->extensions[j]; j++) {
                if (!pg_ident_ok(s->extensions[j]))
                        return vers_make_error(err, 0, "service '%s': bad extension name '%s'",
                                               s->name, s->extensions[j]);
        }
        for (size_t j = 0; j < s->n_settings; j++) {
                if (!pg_ident_ok(s->settings[j].key))
                        return vers_make_error(err, 0, "service '%s': bad setting name '%s'",
                                               s->name, s->settings[j].key);
        }
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        strbuf_addf(&sb,
                    "#!/bin/sh\n# vers: PostgreSQL %s setup (build time)\nset -eu\n"
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
                    "cat >> \"$D/postgresql.conf\" <<'EOF'\n"
                    "# added by vers\n"
                    "hba_file = '/etc/postgresql/%s/main/pg_hba.conf'\n"
                    "ident_file = '/etc/postgresql/%s/main/pg_ident.conf'\n"
                    "listen_addresses = 'localhost'\nport = 5432\n"
                    "unix_socket_directories = '/var/run/postgresql'\n",
                    v, v, v, v, v, v, v);
        for (size_t j = 0; j < s->n_settings; j++) {
                strbuf_addf(&sb, "%s = ", s->settings[j].key);
                add_pg_value(&sb, s->settings[j].value);
                strbuf_addch(&sb, '\n');
        }
        strbuf_addf(&sb, "EOF\n"
                         "chown postgres:postgres \"$C\"/*\n"
                         "runuser -u postgres -- \"$PGBIN/pg_ctl\" -D \"$D\" -l \"$L\" -w -t 120 "
                         "start >/dev/null\n"
                         "q() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 "
                         "-h /var/run/postgresql \"$@\"; }\n");
        for (size_t j = 0; s->databases && s->databases[j]; j++)
                strbuf_addf(&sb, "q -d postgres -c 'CREATE DATABASE \"%s\"'\n", s->databases[j]);
        for (size_t j = 0; s->extensions && s->extensions[j]; j++) {
                for (size_t k = 0; s->databases && s->databases[k]; k++)
                        strbuf_addf(&sb, "q -d '%s' -c 'CREATE EXTENSION IF NOT EXISTS \"%s\"'\n",
                                    s->databases[k], s->extensions[j]);
        }
        strbuf_addf(&sb, "q -d postgres -c CHECKPOINT\n"
                         "runuser -u postgres -- \"$PGBIN/pg_ctl\" -D \"$D\" -m fast -w stop "
                         ">/dev/null\n");
        if (write_file(rootfs, ".vers/setup", sb.buf, 0755, err) < 0)
                return -1;

        strbuf_reset(&sb);
        strbuf_addf(&sb,
                    "#!/bin/sh\n# vers: runs at every cold boot, before the services\n"
                    "mkdir -p /run/postgresql /run/lock\n"
                    "chown postgres:postgres /run/postgresql\nchmod 2775 /run/postgresql\n"
                    "# a cold boot starts from a snapshot of a running server: its pid file "
                    "is stale\n"
                    "rm -f /var/lib/postgresql/%s/main/postmaster.pid\n",
                    v);
        if (write_file(rootfs, ".vers/boot", sb.buf, 0755, err) < 0)
                return -1;

        strbuf_reset(&sb);
        strbuf_addf(&sb,
                    "# name\tuser\tstop signal\tlog\tcommand\n"
                    "%s\tpostgres\tINT\t/var/log/postgresql/postgresql-%s-main.log\t"
                    "exec /usr/lib/postgresql/%s/bin/postgres -D /var/lib/postgresql/%s/main\n",
                    s->name, v, v, v);
        if (write_file(rootfs, ".vers/services", sb.buf, 0644, err) < 0)
                return -1;

        strbuf_reset(&sb);
        strbuf_addf(&sb,
                    "#!/bin/sh\n# vers: exits 0 once PostgreSQL accepts connections\n"
                    "i=0\nwhile [ $i -lt 6000 ]; do\n"
                    "  /usr/lib/postgresql/%s/bin/pg_isready -q -h /var/run/postgresql -p 5432 "
                    "-d postgres -U postgres && exit 0\n"
                    "  i=$((i+1)); sleep 0.01\ndone\nexit 1\n",
                    v);
        if (write_file(rootfs, ".vers/ready", sb.buf, 0755, err) < 0)
                return -1;

        if (write_file(rootfs, ".vers/pre-commit",
                       "#!/bin/sh\n# vers: flush PostgreSQL's dirty buffers so that a branch "
                       "needs no WAL replay\n"
                       "exec runuser -u postgres -- psql -X -q -h /var/run/postgresql -d postgres "
                       "-c CHECKPOINT\n",
                       0755, err) < 0)
                return -1;

        strbuf_reset(&sb);
        strbuf_addf(&sb,
                    "PATH=/.vers/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:"
                    "/bin:/usr/lib/postgresql/%s/bin\n"
                    "PGUSER=postgres\nPGDATABASE=%s\nPGPASSWORD=postgres\n"
                    "PGDATA=/var/lib/postgresql/%s/main\n",
                    v, first_db, v);
        if (write_file(rootfs, ".vers/env", sb.buf, 0644, err) < 0)
                return -1;

        strbuf_reset(&sb);
        strbuf_addf(&sb,
                    "#!/bin/sh\n# vers: pg_ctl refuses to run as root; run it as postgres\n"
                    "if [ \"$(id -u)\" = 0 ]; then\n"
                    "  exec runuser -u postgres -- /usr/lib/postgresql/%s/bin/pg_ctl \"$@\"\n"
                    "fi\nexec /usr/lib/postgresql/%s/bin/pg_ctl \"$@\"\n",
                    v, v);
        return write_file(rootfs, ".vers/bin/pg_ctl", sb.buf, 0755, err);
}

int vers_services_write(const struct vers_config *cfg, const char *rootfs, vers_error_t *err)
{
        if (vers_services_check(cfg, err) < 0)
                return -1;
        if (cfg->n_services == 0) {
                /* no services: an empty list and a PATH */
                if (write_file(rootfs, ".vers/services", "", 0644, err) < 0)
                        return -1;
                return write_file(rootfs, ".vers/env",
                                  "PATH=/.vers/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:"
                                  "/usr/bin:/sbin:/bin\n",
                                  0644, err);
        }
        const struct vers_service_config *s = &cfg->services[0];
        return write_postgres(s, find_template(s->template_), rootfs, err);
}
