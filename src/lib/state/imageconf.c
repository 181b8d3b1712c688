/* imageconf — an image's configuration as OCI-like JSON (jansson), and the old line format. */
#include "state/imageconf.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const signals[] = {"TERM", "INT", "QUIT", "KILL"};

void vers_imageconf_clear(struct vers_imageconf *c)
{
        strv_free(c->env);
        free(c->workdir);
        free(c->user);
        strv_free(c->expose);
        strv_free(c->entrypoint);
        strv_free(c->cmd);
        free(c->stopsignal);
        memset(c, 0, sizeof *c);
}

/* ---- writing ------------------------------------------------------------------------------ */

/* json_string(), which refuses what is not UTF-8: *bad names the first such value */
static json_t *jstr(const char *s, const char *what, const char **bad)
{
        json_t *j = json_string(s);
        if (!j && !*bad)
                *bad = what;
        return j ? j : json_null();
}

static json_t *jarray(char **v, const char *what, const char **bad)
{
        json_t *a = json_array();
        for (size_t i = 0; v && v[i]; i++)
                json_array_append_new(a, jstr(v[i], what, bad));
        return a;
}

char *vers_imageconf_to_json(const struct vers_imageconf *c, vers_error_t *err)
{
        const char *bad = NULL;
        json_t *o = json_object();
        if (c->env)
                json_object_set_new(o, "Env", jarray(c->env, "Env", &bad));
        if (c->workdir)
                json_object_set_new(o, "WorkingDir", jstr(c->workdir, "WorkingDir", &bad));
        if (c->user)
                json_object_set_new(o, "User", jstr(c->user, "User", &bad));
        if (c->expose) {
                json_t *ports = json_object();
                for (size_t i = 0; c->expose[i]; i++)
                        json_object_set_new(ports, c->expose[i], json_object());
                json_object_set_new(o, "ExposedPorts", ports);
        }
        if (c->entrypoint)
                json_object_set_new(o, "Entrypoint", jarray(c->entrypoint, "Entrypoint", &bad));
        if (c->cmd)
                json_object_set_new(o, "Cmd", jarray(c->cmd, "Cmd", &bad));
        if (c->stopsignal) {
                _cleanup_free_ char *sig = xasprintf("SIG%s", c->stopsignal);
                json_object_set_new(o, "StopSignal", jstr(sig, "StopSignal", &bad));
        }
        char *text = bad ? NULL : json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(o);
        if (bad) {
                vers_make_error(err, 0, "image configuration: %s: a value is not UTF-8", bad);
                return NULL;
        }
        if (!text) {
                vers_make_error(err, 0, "image configuration: cannot write JSON");
                return NULL;
        }
        char *out = xasprintf("%s\n", text);
        free(text);
        return out;
}

/* ---- checking what was read ----------------------------------------------------------------- */

static bool has_control(const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return true;
        return false;
}

/* Set env "K=V" in c (a later K replaces an earlier one). */
static int set_env(struct vers_imageconf *c, const char *kv, vers_error_t *err)
{
        const char *eq = strchr(kv, '=');
        _cleanup_free_ char *k = eq ? xstrndup(kv, (size_t)(eq - kv)) : NULL;
        if (!k || !str_is_var_name(k))
                return vers_make_error(err, 0, "Env: '%s' is not NAME=value", kv);
        size_t n = (size_t)(eq - kv) + 1;
        for (size_t i = 0; c->env && c->env[i]; i++) {
                if (!strncmp(c->env[i], kv, n)) {
                        free(c->env[i]);
                        c->env[i] = xstrdup(kv);
                        return 0;
                }
        }
        strv_push(&c->env, kv);
        return 0;
}

/* Add port ("5432/tcp"; "5432" is tcp) to c, normalised, once. */
static int add_port(struct vers_imageconf *c, const char *port, vers_error_t *err)
{
        char *end;
        long n = strtol(port, &end, 10);
        const char *proto = *end == '/' ? end + 1 : *end ? NULL : "tcp";
        if (end == port || n < 1 || n > 65535 || !proto ||
            (strcmp(proto, "tcp") && strcmp(proto, "udp")))
                return vers_make_error(err, 0, "ExposedPorts: '%s' is not PORT/tcp or PORT/udp",
                                       port);
        _cleanup_free_ char *p = xasprintf("%ld/%s", n, proto);
        for (size_t i = 0; c->expose && c->expose[i]; i++)
                if (!strcmp(c->expose[i], p))
                        return 0;
        strv_push(&c->expose, p);
        return 0;
}

const char *vers_imageconf_signal(const char *s)
{
        static const char *const nums[] = {"15", "2", "3", "9"};
        const char *name = !strncasecmp(s, "SIG", 3) ? s + 3 : s;
        for (size_t i = 0; i < sizeof signals / sizeof *signals; i++)
                if (!strcasecmp(name, signals[i]) || !strcmp(name, nums[i]))
                        return signals[i];
        return NULL;
}

static int set_signal(struct vers_imageconf *c, const char *s, vers_error_t *err)
{
        const char *name = vers_imageconf_signal(s);
        if (name) {
                free(c->stopsignal);
                c->stopsignal = xstrdup(name);
                return 0;
        }
        return vers_make_error(err, 0, "StopSignal: '%s' is not TERM, INT, QUIT or KILL", s);
}

static int set_workdir(struct vers_imageconf *c, const char *s, vers_error_t *err)
{
        if (s[0] != '/' || has_control(s))
                return vers_make_error(err, 0, "WorkingDir: '%s' is not an absolute path", s);
        free(c->workdir);
        c->workdir = xstrdup(s);
        return 0;
}

static int set_user(struct vers_imageconf *c, const char *s, vers_error_t *err)
{
        if (!s[0] || has_control(s))
                return vers_make_error(err, 0, "User: not a user name");
        free(c->user);
        c->user = xstrdup(s);
        return 0;
}

/* ---- reading JSON --------------------------------------------------------------------------- */

/* a JSON array of strings (or null: none) into *out */
static int strings_of(json_t *a, const char *what, char ***out, vers_error_t *err)
{
        strv_free(*out);
        *out = NULL;
        if (json_is_null(a))
                return 0;
        if (!json_is_array(a))
                return vers_make_error(err, 0, "%s: not an array of strings", what);
        *out = xcalloc(1, sizeof **out);
        size_t i;
        json_t *v;
        json_array_foreach(a, i, v)
        {
                if (!json_is_string(v))
                        return vers_make_error(err, 0, "%s: not an array of strings", what);
                strv_push(out, json_string_value(v));
        }
        return 0;
}

/* a JSON string member into fn */
static int string_member(struct vers_imageconf *c, json_t *v, const char *what,
                         int (*fn)(struct vers_imageconf *, const char *, vers_error_t *),
                         vers_error_t *err)
{
        if (!json_is_string(v))
                return vers_make_error(err, 0, "%s: not a string", what);
        return fn(c, json_string_value(v), err);
}

static int parse_json(const char *text, struct vers_imageconf *c, vers_error_t *err)
{
        json_error_t je;
        json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &je);
        if (!o)
                return vers_make_error(err, 0, "line %d: %s", je.line, je.text);
        int r = 0;
        if (!json_is_object(o))
                r = vers_make_error(err, 0, "not a JSON object");
        const char *k;
        json_t *v;
        json_object_foreach(o, k, v)
        {
                if (r < 0)
                        break;
                if (!strcmp(k, "Env")) {
                        _cleanup_strv_ char **env = NULL;
                        r = strings_of(v, "Env", &env, err);
                        for (size_t i = 0; r == 0 && env && env[i]; i++)
                                r = set_env(c, env[i], err);
                        if (r == 0 && !c->env)
                                c->env = xcalloc(1, sizeof *c->env);
                } else if (!strcmp(k, "WorkingDir")) {
                        r = string_member(c, v, k, set_workdir, err);
                } else if (!strcmp(k, "User")) {
                        r = string_member(c, v, k, set_user, err);
                } else if (!strcmp(k, "StopSignal")) {
                        r = string_member(c, v, k, set_signal, err);
                } else if (!strcmp(k, "Entrypoint")) {
                        r = strings_of(v, k, &c->entrypoint, err);
                } else if (!strcmp(k, "Cmd")) {
                        r = strings_of(v, k, &c->cmd, err);
                } else if (!strcmp(k, "ExposedPorts")) {
                        if (!json_is_object(v)) {
                                r = vers_make_error(err, 0, "ExposedPorts: not an object");
                                break;
                        }
                        const char *port;
                        json_t *ignored;
                        json_object_foreach(v, port, ignored)
                        {
                                if (r == 0)
                                        r = add_port(c, port, err);
                        }
                }
                /* anything else (Labels, Volumes...) is not vers's to use */
        }
        json_decref(o);
        return r;
}

/* ---- reading the old line format ------------------------------------------------------------ */

/* "cmd [...]" and the like: the array; a -shell one holds the shell form's text */
static int old_command(const char *v, bool shell, const char *what, char ***out, vers_error_t *err)
{
        json_error_t je;
        json_t *a = json_loads(v, 0, &je);
        if (!a)
                return vers_make_error(err, 0, "%s: %s", what, je.text);
        int r = strings_of(a, what, out, err);
        json_decref(a);
        if (r == 0 && shell) {
                if (strv_len(*out) != 1)
                        return vers_make_error(err, 0, "%s: not one command line", what);
                _cleanup_strv_ char **text = steal_pointer(out);
                strv_push(out, "/bin/sh");
                strv_push(out, "-c");
                strv_push(out, text[0]);
        }
        return r;
}

static int parse_old(const char *text, struct vers_imageconf *c, vers_error_t *err)
{
        _cleanup_free_ char *copy = xstrdup(text);
        char *save = NULL;
        int r = 0;
        for (char *l = strtok_r(copy, "\n", &save); l && r == 0; l = strtok_r(NULL, "\n", &save)) {
                char *v = strchr(l, ' ');
                if (!v)
                        continue;
                *v++ = '\0';
                if (!strcmp(l, "env"))
                        r = set_env(c, v, err);
                else if (!strcmp(l, "workdir"))
                        r = set_workdir(c, v, err);
                else if (!strcmp(l, "user"))
                        r = set_user(c, v, err);
                else if (!strcmp(l, "expose"))
                        r = add_port(c, v, err);
                else if (!strcmp(l, "stopsignal"))
                        r = set_signal(c, v, err);
                else if (!strcmp(l, "cmd") || !strcmp(l, "cmd-shell"))
                        r = old_command(v, l[3] != '\0', "cmd", &c->cmd, err);
                else if (!strcmp(l, "entrypoint") || !strcmp(l, "entrypoint-shell"))
                        r = old_command(v, l[10] != '\0', "entrypoint", &c->entrypoint, err);
        }
        return r;
}

int vers_imageconf_parse(const char *text, struct vers_imageconf *c, vers_error_t *err)
{
        vers_imageconf_clear(c);
        const char *p = text ? text + strspn(text, " \t\r\n") : "";
        int r = *p == '{' || *p == '[' ? parse_json(p, c, err) : parse_old(p, c, err);
        if (r < 0) {
                vers_imageconf_clear(c);
                return vers_error_wrap(err, "image configuration");
        }
        return 0;
}

int vers_imageconf_read(const char *rootfs, struct vers_imageconf *c, vers_error_t *err)
{
        vers_imageconf_clear(c);
        if (!vers_exists_in_root(rootfs, VERS_IMAGECONF_FILE))
                return 0;
        _cleanup_free_ char *text = NULL;
        if (vers_read_file_in_root(rootfs, VERS_IMAGECONF_FILE, 0, &text, NULL, err) < 0)
                return -1;
        return vers_imageconf_parse(text, c, err);
}

int vers_imageconf_write(const char *rootfs, const struct vers_imageconf *c, vers_error_t *err)
{
        _cleanup_free_ char *text = vers_imageconf_to_json(c, err);
        if (!text)
                return -1;
        return vers_write_file_in_root(rootfs, VERS_IMAGECONF_FILE, text, strlen(text), 0644, err);
}
