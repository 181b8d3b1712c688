/* runtime — the image's last layer: the [services.*] templates, the main command (CMD and
 * ENTRYPOINT, with the image's ENV: an image that starts its own server, POSTGRES_PASSWORD
 * and all, needs no [services]), ENV for 'vers execute', the ready check (the EXPOSEd TCP
 * ports, read from /proc/net/tcp{,6} by sh alone), and the image's configuration. */
#include "build/build-private.h"
#include "os/passwd.h"
#include "os/sandbox.h"
#include "services/services.h"

#include <stdio.h>
#include <string.h>

char *vers_build_main_command(const struct vers_imageconf *c)
{
        /* Docker: ENTRYPOINT, then CMD as its arguments; CMD alone without one */
        char **ep = c->entrypoint && c->entrypoint[0] ? c->entrypoint : NULL;
        char **cmd = c->cmd && c->cmd[0] ? c->cmd : NULL;
        if (!ep && !cmd)
                return NULL;
        struct strbuf sb = STRBUF_INIT;
        strbuf_addstr(&sb, "exec");
        for (size_t i = 0; ep && ep[i]; i++) {
                strbuf_addch(&sb, ' ');
                strbuf_add_shell_quoted(&sb, ep[i]);
        }
        for (size_t i = 0; cmd && cmd[i]; i++) {
                strbuf_addch(&sb, ' ');
                strbuf_add_shell_quoted(&sb, cmd[i]);
        }
        return strbuf_detach(&sb);
}

static int append_file(const char *rootfs, const char *rel, const char *text, mode_t mode,
                       vers_error_t *err)
{
        _cleanup_free_ char *old = NULL;
        if (vers_read_file_in_root(rootfs, rel, 0, &old, NULL, NULL) < 0)
                old = xstrdup("");
        _cleanup_free_ char *all = xasprintf("%s%s", old, text);
        return vers_write_file_in_root(rootfs, rel, all, strlen(all), mode, err);
}

/* [services.*]: their files, and their setup run once in the image */
static int set_up_services(struct build *b, const char *id, const char *path, vers_error_t *err)
{
        struct vers_ctx *ctx = b->ctx;
        if (vers_services_write(&ctx->cfg, path, err) < 0)
                return -1;
        if (!vers_exists_in_root(path, ".vers/setup"))
                return 0;
        vers_progress(ctx, "initialising services (%s)", ctx->cfg.services[0].template_);
        char *argv[] = {"/bin/sh", "-c", "/.vers/setup >/var/log/vers/setup.log 2>&1", NULL};
        char *env[] = {"PATH=" BUILD_DEFAULT_PATH, "HOME=/root", "LANG=C.UTF-8", NULL};
        struct build_run r = {.argv = argv, .env = env};
        int status = 0;
        if (vers_build_run_in(b, id, path, &r, &status, err) < 0)
                return -1;
        if (status != 0) {
                _cleanup_free_ char *log = vers_tail_of(path, "/var/log/vers/setup.log", 10);
                return vers_make_error(err, 0, "service setup failed (exit %d):\n%s", status,
                                       log ? log : "(no output)");
        }
        /* what the env's configuration is read back from (its logs, its env) is written again
         * after the setup ran: nothing run in the image has the last word on it */
        return vers_services_write(&ctx->cfg, path, err);
}

/* ENV of the Dockerfile, for 'vers execute' and for the main command, over what the services
 * set */
static int write_env(const struct vers_imageconf *c, const char *path, vers_error_t *err)
{
        if (!c->env)
                return 0;
        const char *path_var = vers_df_var(c->env, "PATH", 4);
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        _cleanup_free_ char *old = NULL;
        if (vers_read_file_in_root(path, ".vers/env", 0, &old, NULL, NULL) < 0)
                old = xstrdup("");
        char *save = NULL;
        for (char *l = strtok_r(old, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char *eq = strchr(l, '=');
                if (eq && vers_df_var(c->env, l, (size_t)(eq - l)))
                        continue; /* the Dockerfile sets it */
                strbuf_addf(&sb, "%s\n", l);
        }
        for (size_t i = 0; c->env[i]; i++) {
                if (path_var && !strncmp(c->env[i], "PATH=", 5))
                        strbuf_addf(&sb, "PATH=/.vers/bin:%s\n", path_var);
                else
                        strbuf_addf(&sb, "%s\n", c->env[i]);
        }
        return vers_write_file_in_root(path, ".vers/env", sb.buf, sb.len, 0644, err);
}

/* /.vers/cmd, the main command as 'vers run' starts it, and its line in .vers/services */
static int write_main(const struct vers_imageconf *c, const char *path, vers_error_t *err)
{
        _cleanup_free_ char *main_cmd = vers_build_main_command(c);
        if (!main_cmd)
                return 0;
        const char *path_var = vers_df_var(c->env, "PATH", 4);
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        strbuf_addstr(&sb, "#!/bin/sh\n# vers: the image's CMD/ENTRYPOINT, as 'vers run' starts "
                           "it\n");
        strbuf_addf(&sb, "export PATH=%s\n", path_var ? path_var : BUILD_DEFAULT_PATH);
        for (size_t i = 0; c->env && c->env[i]; i++) {
                char *eq = strchr(c->env[i], '=');
                if (!strncmp(c->env[i], "PATH=", 5))
                        continue;
                strbuf_addf(&sb, "export %.*s=", (int)(eq - c->env[i]), c->env[i]);
                strbuf_add_shell_quoted(&sb, eq + 1);
                strbuf_addch(&sb, '\n');
        }
        strbuf_addstr(&sb, "cd ");
        strbuf_add_shell_quoted(&sb, c->workdir ? c->workdir : "/");
        strbuf_addf(&sb, " || exit 126\n%s\n", main_cmd);
        if (vers_write_file_in_root(path, ".vers/cmd", sb.buf, sb.len, 0755, err) < 0)
                return -1;
        _cleanup_free_ char *line =
            xasprintf("cmd\t%s\t%s\t/var/log/vers/cmd.log\t/.vers/cmd\n",
                      c->user ? c->user : "root", c->stopsignal ? c->stopsignal : "TERM");
        if (append_file(path, ".vers/services", line, 0644, err) < 0 ||
            append_file(path, ".vers/logs", "/var/log/vers/cmd.log\n", 0644, err) < 0)
                return -1;
        return 0;
}

/* /.vers/ready: ready once every EXPOSEd TCP port listens, unless a template says when. In sh
 * alone: the image may be a minimal one with no grep, ss or netstat. */
static int write_ready(const struct vers_imageconf *c, const char *path, vers_error_t *err)
{
        if (vers_exists_in_root(path, ".vers/ready") || !c->expose)
                return 0;
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        strbuf_addstr(&sb, "#!/bin/sh\n# vers: ready once every EXPOSEd TCP port listens; "
                           "after 60 s, or once the main command has exited, the env\n"
                           "# is left as it is (see 'vers logs'). sh alone: the image may "
                           "have no grep, ss or netstat.\n"
                           "# listening PORT (4 upper-case hex digits): a socket of the env's "
                           "network in state LISTEN (0A)\n"
                           "listening() {\n"
                           "  for f in /proc/net/tcp /proc/net/tcp6; do\n"
                           "    [ -r \"$f\" ] || continue\n"
                           "    while read -r sl local remote st rest; do\n"
                           "      [ \"$st\" = 0A ] && [ \"${local##*:}\" = \"$1\" ] && return 0\n"
                           "    done < \"$f\"\n"
                           "  done\n"
                           "  return 1\n"
                           "}\n"
                           "# cmd_gone: vers-init logged the main command's end since it started\n"
                           "cmd_gone() {\n"
                           "  gone=\n"
                           "  [ -r /var/log/vers/init.log ] || return 1\n"
                           "  while read -r line; do\n"
                           "    case $line in\n"
                           "    *' vers-init: started (pid '*) gone= ;;\n"
                           "    *' vers-init: service cmd exited '* | *' vers-init: service cmd "
                           "killed '*) gone=1 ;;\n"
                           "    esac\n"
                           "  done < /var/log/vers/init.log\n"
                           "  [ -n \"$gone\" ]\n"
                           "}\n"
                           "i=0\nwhile [ $i -lt 600 ]; do\n  ok=1\n");
        for (size_t i = 0; c->expose[i]; i++) {
                if (!str_endswith(c->expose[i], "/tcp"))
                        continue;
                strbuf_addf(&sb, "  listening %04X || ok=0\n", (unsigned)atoi(c->expose[i]));
        }
        /* the main command is gone once vers-init (PID 1) logged its exit since this boot
         * began: that log is written as root, where the command's own pid file may not be
         * (a USER the image names cannot write /run) */
        strbuf_addstr(&sb, "  [ $ok = 1 ] && exit 0\n"
                           "  cmd_gone && exit 0\n"
                           "  sleep 0.1 2>/dev/null || sleep 1\n  i=$((i + 1))\ndone\nexit 0\n");
        return vers_write_file_in_root(path, ".vers/ready", sb.buf, sb.len, 0755, err);
}

int vers_build_write_runtime(struct build *b, const char *id, const char *path, void *arg,
                             vers_error_t *err)
{
        const struct vers_imageconf *c = &b->conf;
        if (c->user) {
                struct vers_user u;
                char why[512];
                if (vers_user_lookup(path, c->user, &u, why, sizeof why) < 0)
                        return vers_make_error(err, 0, "USER %s: %s", c->user, why);
        }
        if (set_up_services(b, id, path, err) < 0 || write_env(c, path, err) < 0 ||
            write_main(c, path, err) < 0 || write_ready(c, path, err) < 0)
                return -1;
        /* whether the env binds the host's /usr is the build's to say, from its base, not the
         * tree's: a RUN step may have removed the marker (to be given the host's /usr) or made
         * one */
        if ((b->own_root
                 ? vers_write_file_in_root(path, VERS_OWN_ROOT_MARKER, "image\n", 6, 0644, err)
                 : vers_unlink_in_root(path, VERS_OWN_ROOT_MARKER, err)) < 0)
                return -1;
        return vers_imageconf_write(path, c, err);
}
