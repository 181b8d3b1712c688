/* suite — vers-integration.yaml on top of libyaml's event parser.
 *
 * Events are first built into a tree of ynodes (scalars keep their text and whether they
 * were plain, mappings keep their keys in order and refuse duplicates), then the tree is
 * walked into a scratch vers_suite that replaces *out only when every check passed.
 */
#include "format/suite.h"
#include "base/names.h"
#include "base/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#define MAX_DEPTH 64

enum { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
        int type;
        int line, col;
        char *text;          /* Y_SCALAR */
        bool plain;          /* Y_SCALAR written without quotes */
        struct ynode **kids; /* Y_SEQ: items; Y_MAP: key, value, key, value, ... */
        size_t n;
};

struct ctx {
        const char *file;
        const char *text;
        size_t len;
        vers_error_t *err;
        yaml_parser_t parser;
        struct vers_suite *s;
        const struct ynode **deps; /* the depends_on node of each test, or NULL */
        char shown[4][256];        /* ring of buffers for show() */
        unsigned next_shown;
};

static void ynode_free(struct ynode *n)
{
        if (!n)
                return;
        for (size_t i = 0; i < n->n; i++)
                ynode_free(n->kids[i]);
        free(n->kids);
        free(n->text);
        free(n);
}

static int cerr(struct ctx *c, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int cerr(struct ctx *c, int line, int col, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vers_make_error_atv(c->err, c->file, line, col, fmt, ap);
        va_end(ap);
        return -1;
}

static int nerr(struct ctx *c, const struct ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int nerr(struct ctx *c, const struct ynode *n, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        cerr(c, n->line, n->col, "%s", msg);
        free(msg);
        return -1;
}

/* s as it can appear inside a one-line message: control characters escaped, long strings cut
 * (at a UTF-8 character boundary). The result lives until four more calls. */
static const char *show(struct ctx *c, const char *s)
{
        char *out = c->shown[c->next_shown++ % 4];
        size_t o = 0, cap = sizeof(c->shown[0]) - 8;
        for (size_t i = 0; s[i]; i++) {
                unsigned char ch = (unsigned char)s[i];
                if (o >= 64 && (ch & 0xC0) != 0x80) {
                        memcpy(out + o, "...", 4);
                        return out;
                }
                if (ch < 0x20 || ch == 0x7f || ch == '\'' || ch == '\\') {
                        if (o + 4 >= cap)
                                break;
                        o += (size_t)snprintf(out + o, 5, "\\x%02x", ch);
                } else {
                        out[o++] = (char)ch;
                }
        }
        out[o] = '\0';
        return out;
}

/* ------------------------------------------------------------------ events -> tree */

static void offset_position(const char *text, size_t len, size_t offset, int *line, int *col)
{
        *line = 1;
        *col = 1;
        for (size_t i = 0; i < offset && i < len; i++) {
                if (text[i] == '\n') {
                        (*line)++;
                        *col = 1;
                } else {
                        (*col)++;
                }
        }
}

static int syntax_error(struct ctx *c)
{
        yaml_parser_t *p = &c->parser;
        int line, col;
        if (p->error == YAML_MEMORY_ERROR)
                vers_abort("out of memory");
        const char *problem = p->problem ? p->problem : "invalid YAML";
        if (p->error == YAML_READER_ERROR) {
                offset_position(c->text, c->len, p->problem_offset, &line, &col);
                return cerr(c, line, col, "%s", problem);
        }
        line = (int)p->problem_mark.line + 1;
        col = (int)p->problem_mark.column + 1;
        if (p->context)
                return cerr(c, line, col, "%s (%s at line %d, column %d)", problem, p->context,
                            (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
        return cerr(c, line, col, "%s", problem);
}

static int next_event(struct ctx *c, yaml_event_t *ev)
{
        if (!yaml_parser_parse(&c->parser, ev))
                return syntax_error(c);
        return 0;
}

static void add_kid(struct ynode *n, struct ynode *kid)
{
        n->kids = xrealloc(n->kids, (n->n + 1) * sizeof(*n->kids));
        n->kids[n->n++] = kid;
}

/* Build the node that starts with *ev (which the caller still owns) and everything in it. */
static int build(struct ctx *c, const yaml_event_t *ev, int depth, struct ynode **out)
{
        int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
        const yaml_char_t *anchor, *tag;
        int type;

        switch (ev->type) {
        case YAML_ALIAS_EVENT:
                return cerr(c, line, col, "YAML aliases are not supported");
        case YAML_SCALAR_EVENT:
                type = Y_SCALAR;
                anchor = ev->data.scalar.anchor;
                tag = ev->data.scalar.tag;
                break;
        case YAML_SEQUENCE_START_EVENT:
                type = Y_SEQ;
                anchor = ev->data.sequence_start.anchor;
                tag = ev->data.sequence_start.tag;
                break;
        case YAML_MAPPING_START_EVENT:
                type = Y_MAP;
                anchor = ev->data.mapping_start.anchor;
                tag = ev->data.mapping_start.tag;
                break;
        default:
                return cerr(c, line, col, "unexpected YAML event");
        }
        if (anchor)
                return cerr(c, line, col, "YAML anchors and aliases are not supported");
        if (tag)
                return cerr(c, line, col, "YAML tags are not supported");
        if (depth >= MAX_DEPTH)
                return cerr(c, line, col, "nested more than %d levels deep", MAX_DEPTH);

        struct ynode *n = xcalloc(1, sizeof(*n));
        n->type = type;
        n->line = line;
        n->col = col;
        if (type == Y_SCALAR) {
                const char *v = (const char *)ev->data.scalar.value;
                size_t len = ev->data.scalar.length;
                if (strnlen(v, len) != len) {
                        ynode_free(n);
                        return cerr(c, line, col, "strings must not contain NUL characters");
                }
                n->text = xmalloc(len + 1);
                memcpy(n->text, v, len);
                n->text[len] = '\0';
                n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
                *out = n;
                return 0;
        }

        for (;;) {
                yaml_event_t e;
                if (next_event(c, &e) < 0)
                        goto fail;
                if (e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT) {
                        yaml_event_delete(&e);
                        break;
                }
                struct ynode *kid = NULL;
                int r = build(c, &e, depth + 1, &kid);
                yaml_event_delete(&e);
                if (r < 0)
                        goto fail;
                add_kid(n, kid);
                if (type != Y_MAP || n->n % 2 == 0)
                        continue;
                if (kid->type != Y_SCALAR) {
                        nerr(c, kid, "mapping keys must be strings, not %s",
                             kid->type == Y_SEQ ? "lists" : "mappings");
                        goto fail;
                }
                for (size_t i = 0; i + 1 < n->n; i += 2) {
                        if (strcmp(n->kids[i]->text, kid->text) == 0) {
                                nerr(c, kid, "duplicate key '%s' (first on line %d)",
                                     show(c, kid->text), n->kids[i]->line);
                                goto fail;
                        }
                }
        }
        *out = n;
        return 0;
fail:
        ynode_free(n);
        return -1;
}

/* The single document's root, or NULL for a stream without a document. */
static int load_tree(struct ctx *c, struct ynode **root)
{
        yaml_event_t ev;
        *root = NULL;

        if (next_event(c, &ev) < 0) /* stream start */
                return -1;
        yaml_event_delete(&ev);
        if (next_event(c, &ev) < 0)
                return -1;
        bool empty = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev); /* document start */
        if (empty)
                return 0;
        if (next_event(c, &ev) < 0)
                return -1;
        int r = build(c, &ev, 0, root);
        yaml_event_delete(&ev);
        if (r < 0)
                return -1;
        if (next_event(c, &ev) < 0) /* document end */
                goto fail;
        yaml_event_delete(&ev);
        if (next_event(c, &ev) < 0)
                goto fail;
        if (ev.type == YAML_DOCUMENT_START_EVENT) {
                cerr(c, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
                     "multiple YAML documents are not supported");
                yaml_event_delete(&ev);
                goto fail;
        }
        yaml_event_delete(&ev);
        return 0;
fail:
        ynode_free(*root);
        *root = NULL;
        return -1;
}

/* ------------------------------------------------------------------ tree -> suite */

static bool is_null(const struct ynode *n)
{
        if (n->type != Y_SCALAR || !n->plain)
                return false;
        const char *t = n->text;
        return !*t || !strcmp(t, "~") || !strcmp(t, "null") || !strcmp(t, "Null") ||
               !strcmp(t, "NULL");
}

static const char *kind(const struct ynode *n)
{
        if (n->type == Y_SEQ)
                return "a list";
        if (n->type == Y_MAP)
                return "a mapping";
        return is_null(n) ? "empty" : "a string";
}

/* a string field: a non-empty scalar */
static int want_string(struct ctx *c, const char *key, const char *where, const struct ynode *v,
                       char **out)
{
        if (v->type != Y_SCALAR)
                return nerr(c, v, "'%s'%s must be a string, not %s", key, where, kind(v));
        if (is_null(v) || !*v->text)
                return nerr(c, v, "'%s'%s must not be empty", key, where);
        free(*out);
        *out = xstrdup(v->text);
        return 0;
}

static int want_map(struct ctx *c, const char *key, const char *where, const struct ynode *v,
                    const char *of)
{
        if (v->type != Y_MAP)
                return nerr(c, v, "'%s'%s must be a mapping%s, not %s", key, where, of, kind(v));
        return 0;
}

static int want_name(struct ctx *c, const char *what, const struct ynode *v, char **out)
{
        if (v->type != Y_SCALAR)
                return nerr(c, v, "%s name must be a string, not %s", what, kind(v));
        if (!vers_name_valid(v->text))
                return nerr(c, v,
                            "invalid %s name '%s' (1 to 64 letters, digits, '.', '_' or '-', "
                            "not starting with '.' or '-')",
                            what, show(c, v->text));
        free(*out);
        *out = xstrdup(v->text);
        return 0;
}

static int want_long(struct ctx *c, const char *key, const struct ynode *v, long min, long max,
                     long *out)
{
        bool digits = v->type == Y_SCALAR && v->plain && *v->text;
        for (const char *p = digits ? v->text : ""; *p; p++)
                digits = digits && *p >= '0' && *p <= '9';
        if (!digits) {
                if (v->type == Y_SCALAR && !is_null(v))
                        return nerr(c, v, "'%s' in 'vm' must be an integer, not '%s'", key,
                                    show(c, v->text));
                return nerr(c, v, "'%s' in 'vm' must be an integer, not %s", key, kind(v));
        }
        const char *t = v->text;
        while (t[0] == '0' && t[1])
                t++;
        long n = strlen(t) > 9 ? max + 1 : strtol(t, NULL, 10);
        if (n < min || n > max)
                return nerr(c, v, "'%s' in 'vm' must be between %ld and %ld, not %s", key, min, max,
                            show(c, v->text));
        *out = n;
        return 0;
}

/* a list of non-empty strings; desc says what they are in messages ("names", "strings") */
static int want_list(struct ctx *c, const char *key, const char *where, const struct ynode *v,
                     const char *desc, char ***out)
{
        if (v->type != Y_SEQ)
                return nerr(c, v, "'%s'%s must be a list of %s, not %s", key, where, desc, kind(v));
        for (size_t i = 0; i < v->n; i++) {
                const struct ynode *item = v->kids[i];
                if (item->type != Y_SCALAR)
                        return nerr(c, item, "'%s'%s must be a list of %s, found %s", key, where,
                                    desc, kind(item));
                if (is_null(item) || !*item->text)
                        return nerr(c, item, "'%s'%s must not contain empty entries", key, where);
        }
        strv_free(*out);
        *out = NULL;
        for (size_t i = 0; i < v->n; i++)
                strv_push(out, v->kids[i]->text);
        return 0;
}

static const struct ynode *lookup(const struct ynode *map, const char *key)
{
        for (size_t i = 0; i + 1 < map->n; i += 2)
                if (strcmp(map->kids[i]->text, key) == 0)
                        return map->kids[i + 1];
        return NULL;
}

static int walk_vm(struct ctx *c, const struct ynode *m)
{
        if (want_map(c, "vm", "", m, "") < 0)
                return -1;
        for (size_t i = 0; i + 1 < m->n; i += 2) {
                const struct ynode *k = m->kids[i], *v = m->kids[i + 1];
                int r;
                if (!strcmp(k->text, "memory_mib"))
                        r = want_long(c, k->text, v, 64, 1048576, &c->s->memory_mib);
                else if (!strcmp(k->text, "vcpu"))
                        r = want_long(c, k->text, v, 1, 1024, &c->s->vcpu);
                else if (!strcmp(k->text, "storage_mib"))
                        r = want_long(c, k->text, v, 16, 16777216, &c->s->storage_mib);
                else
                        r = nerr(c, k,
                                 "unknown key '%s' in 'vm' (expected memory_mib, vcpu or "
                                 "storage_mib)",
                                 show(c, k->text));
                if (r < 0)
                        return -1;
        }
        return 0;
}

static bool setting_key_valid(const char *k)
{
        if (!*k)
                return false;
        for (; *k; k++)
                if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
                      (*k >= '0' && *k <= '9') || *k == '_' || *k == '.'))
                        return false;
        return true;
}

/* a scalar value as text; null is "" */
static const char *scalar_text(const struct ynode *v)
{
        return is_null(v) ? "" : v->text;
}

static int walk_settings(struct ctx *c, const char *where, const struct ynode *m,
                         struct vers_service_config *svc)
{
        if (want_map(c, "settings", where, m, "") < 0)
                return -1;
        svc->settings = xcalloc(m->n / 2 + 1, sizeof(*svc->settings));
        for (size_t i = 0; i + 1 < m->n; i += 2) {
                const struct ynode *k = m->kids[i], *v = m->kids[i + 1];
                if (!setting_key_valid(k->text))
                        return nerr(c, k,
                                    "invalid setting name '%s'%s (letters, digits, '_' and '.')",
                                    show(c, k->text), where);
                if (v->type != Y_SCALAR)
                        return nerr(c, v, "setting '%s'%s must be a scalar, not %s", k->text, where,
                                    kind(v));
                svc->settings[svc->n_settings].key = xstrdup(k->text);
                svc->settings[svc->n_settings].value = xstrdup(scalar_text(v));
                svc->n_settings++;
        }
        return 0;
}

static int walk_service_config(struct ctx *c, const char *svc_where, const struct ynode *m,
                               struct vers_service_config *svc)
{
        if (want_map(c, "config", svc_where, m, "") < 0)
                return -1;
        _cleanup_free_ char *where = xasprintf(" in 'config' of service '%s'", svc->name);
        for (size_t i = 0; i + 1 < m->n; i += 2) {
                const struct ynode *k = m->kids[i], *v = m->kids[i + 1];
                int r;
                if (!strcmp(k->text, "databases"))
                        r = want_list(c, k->text, where, v, "strings", &svc->databases);
                else if (!strcmp(k->text, "extensions"))
                        r = want_list(c, k->text, where, v, "strings", &svc->extensions);
                else if (!strcmp(k->text, "settings"))
                        r = walk_settings(c, where, v, svc);
                else
                        r = nerr(c, k, "unknown key '%s'%s", show(c, k->text), where);
                if (r < 0)
                        return -1;
        }
        return 0;
}

static int walk_services(struct ctx *c, const struct ynode *m)
{
        struct vers_suite *s = c->s;
        if (want_map(c, "services", "", m, " of service names to services") < 0)
                return -1;
        s->services = xcalloc(m->n / 2 + 1, sizeof(*s->services));
        for (size_t i = 0; i + 1 < m->n; i += 2) {
                const struct ynode *key = m->kids[i], *v = m->kids[i + 1];
                struct vers_service_config *svc = &s->services[s->n_services];
                if (want_name(c, "service", key, &svc->name) < 0)
                        return -1;
                s->n_services++;
                _cleanup_free_ char *where = xasprintf(" in service '%s'", svc->name);
                if (want_map(c, svc->name, " in 'services'", v, "") < 0)
                        return -1;
                for (size_t j = 0; j + 1 < v->n; j += 2) {
                        const struct ynode *k = v->kids[j], *val = v->kids[j + 1];
                        int r;
                        if (!strcmp(k->text, "template"))
                                r = want_string(c, k->text, where, val, &svc->template_);
                        else if (!strcmp(k->text, "config"))
                                r = walk_service_config(c, where, val, svc);
                        else
                                r = nerr(c, k, "unknown key '%s'%s", show(c, k->text), where);
                        if (r < 0)
                                return -1;
                }
                if (!svc->template_)
                        return nerr(c, key, "service '%s' has no 'template'", svc->name);
        }
        return 0;
}

static int walk_env(struct ctx *c, const char *where, const struct ynode *m,
                    struct vers_suite_branch *b)
{
        if (want_map(c, "env", where, m, " of variable names to values") < 0)
                return -1;
        for (size_t i = 0; i + 1 < m->n; i += 2) {
                const struct ynode *k = m->kids[i], *v = m->kids[i + 1];
                if (!str_is_var_name(k->text))
                        return nerr(c, k, "invalid environment variable name '%s'%s",
                                    show(c, k->text), where);
                if (v->type != Y_SCALAR)
                        return nerr(c, v, "'%s' in 'env'%s must be a scalar, not %s", k->text,
                                    where, kind(v));
                _cleanup_free_ char *kv = xasprintf("%s=%s", k->text, scalar_text(v));
                strv_push(&b->env, kv);
        }
        return 0;
}

static int walk_branch(struct ctx *c, struct vers_suite_test *t, size_t idx, const struct ynode *m)
{
        struct vers_suite_branch *b = &t->branches[t->n_branches];
        if (m->type != Y_MAP)
                return nerr(c, m, "branch %zu of test '%s' must be a mapping, not %s", idx + 1,
                            t->name, kind(m));
        b->line = m->line;
        b->col = m->col;
        t->n_branches++;
        const struct ynode *name = lookup(m, "name");
        if (!name)
                return nerr(c, m, "branch %zu of test '%s' has no 'name'", idx + 1, t->name);
        if (want_name(c, "branch", name, &b->name) < 0)
                return -1;
        for (size_t i = 0; i + 1 < t->n_branches; i++)
                if (!strcmp(t->branches[i].name, b->name))
                        return nerr(c, name,
                                    "duplicate branch '%s' in test '%s' (first on line %d)",
                                    b->name, t->name, t->branches[i].line);
        _cleanup_free_ char *where = xasprintf(" in branch '%s' of test '%s'", b->name, t->name);
        for (size_t i = 0; i + 1 < m->n; i += 2) {
                const struct ynode *k = m->kids[i], *v = m->kids[i + 1];
                int r = 0;
                if (!strcmp(k->text, "name"))
                        continue;
                else if (!strcmp(k->text, "env"))
                        r = walk_env(c, where, v, b);
                else if (!strcmp(k->text, "before"))
                        r = want_string(c, k->text, where, v, &b->before);
                else
                        r = nerr(c, k, "unknown key '%s'%s", show(c, k->text), where);
                if (r < 0)
                        return -1;
        }
        return 0;
}

static int walk_test(struct ctx *c, const struct ynode *key, const struct ynode *m)
{
        struct vers_suite *s = c->s;
        struct vers_suite_test *t = &s->tests[s->n_tests];
        if (want_name(c, "test", key, &t->name) < 0)
                return -1;
        t->line = key->line;
        t->col = key->col;
        s->n_tests++;
        _cleanup_free_ char *where = xasprintf(" in test '%s'", t->name);
        if (want_map(c, t->name, " in 'tests'", m, "") < 0)
                return -1;
        for (size_t i = 0; i + 1 < m->n; i += 2) {
                const struct ynode *k = m->kids[i], *v = m->kids[i + 1];
                int r = 0;
                if (!strcmp(k->text, "command")) {
                        r = want_string(c, k->text, where, v, &t->command);
                } else if (!strcmp(k->text, "depends_on")) {
                        r = want_list(c, k->text, where, v, "names", &t->depends_on);
                        c->deps[s->n_tests - 1] = v;
                } else if (!strcmp(k->text, "branches")) {
                        if (v->type != Y_SEQ)
                                return nerr(c, v, "'branches'%s must be a list, not %s", where,
                                            kind(v));
                        t->branches = xcalloc(v->n + 1, sizeof(*t->branches));
                        for (size_t j = 0; j < v->n && r == 0; j++)
                                r = walk_branch(c, t, j, v->kids[j]);
                } else {
                        r = nerr(c, k, "unknown key '%s'%s", show(c, k->text), where);
                }
                if (r < 0)
                        return -1;
        }
        if (!t->command)
                return nerr(c, key, "test '%s' has no 'command'", t->name);
        return 0;
}

static int walk_tests(struct ctx *c, const struct ynode *m)
{
        if (want_map(c, "tests", "", m, " of test names to tests") < 0)
                return -1;
        c->s->tests = xcalloc(m->n / 2 + 1, sizeof(*c->s->tests));
        c->deps = xcalloc(m->n / 2 + 1, sizeof(*c->deps));
        for (size_t i = 0; i + 1 < m->n; i += 2)
                if (walk_test(c, m->kids[i], m->kids[i + 1]) < 0)
                        return -1;
        return 0;
}

static int walk_checkpoints(struct ctx *c, const struct ynode *l)
{
        struct vers_suite *s = c->s;
        if (l->type != Y_SEQ)
                return nerr(c, l, "'checkpoints' must be a list, not %s", kind(l));
        s->checkpoints = xcalloc(l->n + 1, sizeof(*s->checkpoints));
        for (size_t i = 0; i < l->n; i++) {
                const struct ynode *m = l->kids[i];
                struct vers_suite_checkpoint *cp = &s->checkpoints[s->n_checkpoints];
                if (m->type != Y_MAP)
                        return nerr(c, m, "checkpoint %zu must be a mapping, not %s", i + 1,
                                    kind(m));
                cp->line = m->line;
                cp->col = m->col;
                s->n_checkpoints++;
                const struct ynode *name = lookup(m, "name");
                if (!name)
                        return nerr(c, m, "checkpoint %zu has no 'name'", i + 1);
                if (want_name(c, "checkpoint", name, &cp->name) < 0)
                        return -1;
                for (size_t j = 0; j + 1 < s->n_checkpoints; j++)
                        if (!strcmp(s->checkpoints[j].name, cp->name))
                                return nerr(c, name, "duplicate checkpoint '%s' (first on line %d)",
                                            cp->name, s->checkpoints[j].line);
                _cleanup_free_ char *where = xasprintf(" in checkpoint '%s'", cp->name);
                for (size_t j = 0; j + 1 < m->n; j += 2) {
                        const struct ynode *k = m->kids[j], *v = m->kids[j + 1];
                        if (!strcmp(k->text, "name"))
                                continue;
                        if (strcmp(k->text, "after") != 0)
                                return nerr(c, k, "unknown key '%s'%s", show(c, k->text), where);
                        if (want_string(c, k->text, where, v, &cp->after) < 0)
                                return -1;
                }
                if (!cp->after)
                        return nerr(c, m, "checkpoint '%s' has no 'after'", cp->name);
        }
        return 0;
}

/* what depends_on names must exist, once, and test names must not shadow services */
static int check_references(struct ctx *c)
{
        const struct vers_suite *s = c->s;
        for (size_t i = 0; i < s->n_tests; i++) {
                const struct vers_suite_test *t = &s->tests[i];
                ssize_t svc = vers_suite_find_service(s, t->name);
                if (svc >= 0)
                        return cerr(c, t->line, t->col,
                                    "test '%s' has the same name as service '%s'", t->name,
                                    t->name);
                for (size_t j = 0; t->depends_on && t->depends_on[j]; j++) {
                        const char *d = t->depends_on[j];
                        const struct ynode *item = c->deps[i]->kids[j];
                        for (size_t k = 0; k < j; k++)
                                if (!strcmp(t->depends_on[k], d))
                                        return nerr(c, item,
                                                    "'%s' is listed twice in 'depends_on' of test "
                                                    "'%s'",
                                                    show(c, d), t->name);
                        if (vers_suite_find_test(s, d) < 0 && vers_suite_find_service(s, d) < 0)
                                return nerr(c, item,
                                            "test '%s' depends on '%s', which is neither a test "
                                            "nor a service",
                                            t->name, show(c, d));
                }
        }
        return 0;
}

static int walk(struct ctx *c, const struct ynode *root)
{
        if (!root)
                return cerr(c, 1, 1, "the file holds no YAML document");
        if (root->type != Y_MAP)
                return nerr(c, root, "the top level must be a mapping, not %s", kind(root));
        for (size_t i = 0; i + 1 < root->n; i += 2) {
                const struct ynode *k = root->kids[i], *v = root->kids[i + 1];
                int r;
                if (!strcmp(k->text, "name"))
                        r = want_name(c, "suite", v, &c->s->name);
                else if (!strcmp(k->text, "version"))
                        r = want_string(c, k->text, "", v, &c->s->version);
                else if (!strcmp(k->text, "vm"))
                        r = walk_vm(c, v);
                else if (!strcmp(k->text, "services"))
                        r = walk_services(c, v);
                else if (!strcmp(k->text, "tests"))
                        r = walk_tests(c, v);
                else if (!strcmp(k->text, "checkpoints"))
                        r = walk_checkpoints(c, v);
                else
                        r = nerr(c, k,
                                 "unknown key '%s' (expected name, version, vm, services, tests "
                                 "or checkpoints)",
                                 show(c, k->text));
                if (r < 0)
                        return -1;
        }
        return check_references(c);
}

int vers_suite_parse(const char *text, size_t len, const char *filename, struct vers_suite *out,
                     vers_error_t *err)
{
        struct vers_suite tmp;
        struct ctx c = {
            .file = filename ? filename : "vers-integration.yaml",
            .text = text,
            .len = len,
            .err = err,
            .s = &tmp,
        };
        struct ynode *root = NULL;

        memset(out, 0, sizeof(*out));
        memset(&tmp, 0, sizeof(tmp));
        tmp.file = xstrdup(c.file);
        if (!yaml_parser_initialize(&c.parser))
                vers_abort("out of memory");
        yaml_parser_set_input_string(&c.parser, (const unsigned char *)text, len);
        yaml_parser_set_encoding(&c.parser, YAML_UTF8_ENCODING);
        int r = load_tree(&c, &root);
        yaml_parser_delete(&c.parser);
        if (r == 0)
                r = walk(&c, root);
        ynode_free(root);
        free(c.deps);
        if (r == 0) {
                size_t *order = NULL;
                r = vers_suite_order(&tmp, &order, err);
                free(order);
        }
        if (r < 0) {
                vers_suite_free(&tmp);
                return -1;
        }
        *out = tmp;
        return 0;
}

int vers_suite_load(const char *path, struct vers_suite *out, vers_error_t *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;

        memset(out, 0, sizeof(*out));
        if (vers_read_regular_file(path, VERS_PROJECT_FILE_MAX, &text, &len, err) < 0)
                return -1;
        return vers_suite_parse(text, len, path, out, err);
}

ssize_t vers_suite_find_test(const struct vers_suite *s, const char *name)
{
        for (size_t i = 0; i < s->n_tests; i++)
                if (s->tests[i].name && !strcmp(s->tests[i].name, name))
                        return (ssize_t)i;
        return -1;
}

ssize_t vers_suite_find_service(const struct vers_suite *s, const char *name)
{
        for (size_t i = 0; i < s->n_services; i++)
                if (s->services[i].name && !strcmp(s->services[i].name, name))
                        return (ssize_t)i;
        return -1;
}

/* ------------------------------------------------------------------ order */

/* Called when no unplaced test is ready: follow unplaced test dependencies from the first
 * unplaced test until one repeats, and report that loop. */
static int cycle_error(const struct vers_suite *s, const bool *placed, const ssize_t *const *deps,
                       vers_error_t *err)
{
        size_t n = s->n_tests;
        _cleanup_free_ size_t *seen_at = xcalloc(n, sizeof(size_t)); /* step + 1, 0 = unseen */
        _cleanup_free_ size_t *path = xcalloc(n + 1, sizeof(size_t));
        size_t cur = 0, steps = 0;
        while (placed[cur])
                cur++;
        while (!seen_at[cur]) {
                seen_at[cur] = steps + 1;
                path[steps++] = cur;
                const ssize_t *d = deps[cur];
                size_t next = cur;
                for (; *d != -2; d++)
                        if (*d >= 0 && !placed[*d]) {
                                next = (size_t)*d;
                                break;
                        }
                cur = next;
        }
        struct strbuf sb = STRBUF_INIT;
        for (size_t i = seen_at[cur] - 1; i < steps; i++)
                strbuf_addf(&sb, "%s -> ", s->tests[path[i]].name);
        strbuf_addstr(&sb, s->tests[cur].name);
        const struct vers_suite_test *first = &s->tests[cur];
        if (s->file)
                vers_make_error(err, 0, "%s:%d:%d: tests depend on each other in a cycle: %s",
                                s->file, first->line, first->col, sb.buf);
        else
                vers_make_error(err, 0, "tests depend on each other in a cycle: %s", sb.buf);
        strbuf_release(&sb);
        return -1;
}

int vers_suite_order(const struct vers_suite *s, size_t **order, vers_error_t *err)
{
        size_t n = s->n_tests;
        *order = NULL;
        /* deps[i]: indices of the tests test i depends on, -1 for services, ended by -2 */
        ssize_t **deps = xcalloc(n + 1, sizeof(*deps));
        bool *placed = xcalloc(n + 1, sizeof(*placed));
        size_t *out = xcalloc(n + 1, sizeof(*out));
        int r = 0;

        for (size_t i = 0; i < n && r == 0; i++) {
                const struct vers_suite_test *t = &s->tests[i];
                size_t nd = t->depends_on ? strv_len(t->depends_on) : 0;
                deps[i] = xcalloc(nd + 1, sizeof(**deps));
                for (size_t j = 0; j < nd; j++) {
                        deps[i][j] = vers_suite_find_test(s, t->depends_on[j]);
                        if (deps[i][j] < 0 && vers_suite_find_service(s, t->depends_on[j]) < 0) {
                                r = vers_make_error(err, 0,
                                                    "test '%s' depends on '%s', which is neither "
                                                    "a test nor a service",
                                                    t->name, t->depends_on[j]);
                                deps[i][j] = -2;
                                break;
                        }
                }
                deps[i][nd] = -2;
        }
        for (size_t done = 0; done < n && r == 0; done++) {
                size_t i;
                for (i = 0; i < n; i++) {
                        if (placed[i])
                                continue;
                        bool ready = true;
                        for (const ssize_t *d = deps[i]; *d != -2 && ready; d++)
                                ready = *d < 0 || placed[*d];
                        if (ready)
                                break;
                }
                if (i == n) {
                        r = cycle_error(s, placed, (const ssize_t *const *)deps, err);
                        break;
                }
                placed[i] = true;
                out[done] = i;
        }
        for (size_t i = 0; i < n; i++)
                free(deps[i]);
        free(deps);
        free(placed);
        if (r < 0) {
                free(out);
                return -1;
        }
        *order = out;
        return 0;
}

/* ------------------------------------------------------------------ free */

void vers_suite_free_tests(struct vers_suite *s)
{
        for (size_t i = 0; i < s->n_tests; i++) {
                struct vers_suite_test *t = &s->tests[i];
                free(t->name);
                free(t->command);
                strv_free(t->depends_on);
                for (size_t j = 0; j < t->n_branches; j++) {
                        free(t->branches[j].name);
                        strv_free(t->branches[j].env);
                        free(t->branches[j].before);
                }
                free(t->branches);
        }
        free(s->tests);
        s->tests = NULL;
        s->n_tests = 0;
}

void vers_suite_free(struct vers_suite *s)
{
        free(s->file);
        free(s->name);
        free(s->version);
        for (size_t i = 0; i < s->n_services; i++)
                vers_service_config_clear(&s->services[i]);
        free(s->services);
        vers_suite_free_tests(s);
        for (size_t i = 0; i < s->n_checkpoints; i++) {
                free(s->checkpoints[i].name);
                free(s->checkpoints[i].after);
        }
        free(s->checkpoints);
        memset(s, 0, sizeof(*s));
}

void vers_suite_into_config(struct vers_suite *s, struct vers_config *cfg)
{
        if (s->n_services) {
                for (size_t i = 0; i < cfg->n_services; i++)
                        vers_service_config_clear(&cfg->services[i]);
                free(cfg->services);
                cfg->services = s->services;
                cfg->n_services = s->n_services;
                s->services = NULL;
                s->n_services = 0;
        }
        if (s->memory_mib)
                cfg->memory_mib = s->memory_mib;
        if (s->vcpu)
                cfg->vcpu = s->vcpu;
}
