/* config — vers.toml on top of toml.h.
 *
 * The document is parsed into a toml tree first, then walked in document order into a
 * scratch vers_config that replaces *cfg only when everything checked out, so an error
 * leaves *cfg at its defaults and nothing allocated.
 */
#include "format/config.h"
#include "format/toml.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { MEMORY, VCPU, CLUSTER, VM_SIZE, PIDS, N_NUMBERS };

static const struct number {
        const char *name; /* canonical key, for messages */
        long min, max;
} numbers[N_NUMBERS] = {
    [MEMORY] = {"memory_mib", 64, 1048576},
    [VCPU] = {"vcpu", 1, 1024},
    [CLUSTER] = {"cluster_mib", 256, 16777216},
    [VM_SIZE] = {"vm_mib", 16, 16777216},
    [PIDS] = {"pids", 16, 4194304},
};

/* every spelling of a numeric setting: [machine] holds the upstream Vers CLI's synonyms */
static const struct number_key {
        const char *table;
        const char *key;
        int which;
} number_keys[] = {
    {"vm", "memory_mib", MEMORY},
    {"vm", "vcpu", VCPU},
    {"vm", "pids", PIDS},
    {"storage", "cluster_mib", CLUSTER},
    {"storage", "vm_mib", VM_SIZE},
    {"machine", "mem_size_mib", MEMORY},
    {"machine", "vcpu_count", VCPU},
    {"machine", "fs_size_vm_mib", VM_SIZE},
    {"machine", "fs_size_cluster_mib", CLUSTER},
};

struct walker {
        const char *file;
        vers_error_t *err;
        struct vers_config *cfg;
        const struct number_key *seen[N_NUMBERS]; /* which spelling set each number, where */
        unsigned seen_line[N_NUMBERS];
};

static int werr(struct walker *w, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int werr(struct walker *w, unsigned line, unsigned col, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vers_make_error_atv(w->err, w->file, line, col, fmt, ap);
        va_end(ap);
        return -1;
}

static long *number_slot(struct vers_config *cfg, int which)
{
        switch (which) {
        case MEMORY:
                return &cfg->memory_mib;
        case VCPU:
                return &cfg->vcpu;
        case CLUSTER:
                return &cfg->cluster_mib;
        case PIDS:
                return &cfg->pids;
        default:
                return &cfg->vm_mib;
        }
}

static int set_number(struct walker *w, const struct number_key *nk,
                      const struct vers_toml_entry *e)
{
        const struct number *num = &numbers[nk->which];
        const struct vers_toml_value *v = e->value;
        const struct number_key *prev = w->seen[nk->which];

        if (prev)
                return werr(w, e->line, e->col,
                            "'%s' in [%s] and '%s' in [%s] (line %u) are the same setting; "
                            "set only one",
                            nk->key, nk->table, prev->key, prev->table, w->seen_line[nk->which]);
        if (v->type != VERS_TOML_INTEGER)
                return werr(w, v->line, v->col, "'%s' must be an integer", nk->key);
        if (v->integer < num->min || v->integer > num->max)
                return werr(w, v->line, v->col, "'%s' must be between %ld and %ld, not %" PRId64,
                            nk->key, num->min, num->max, v->integer);
        *number_slot(w->cfg, nk->which) = (long)v->integer;
        w->seen[nk->which] = nk;
        w->seen_line[nk->which] = e->line;
        return 0;
}

/* [vm], [storage], [machine]: numbers, and [storage] sparse */
static int walk_numbers(struct walker *w, const char *table, const struct vers_toml_value *t)
{
        for (size_t i = 0; i < t->table.n; i++) {
                const struct vers_toml_entry *e = &t->table.entries[i];
                const struct number_key *nk = NULL;
                for (size_t j = 0; j < sizeof(number_keys) / sizeof(*number_keys); j++)
                        if (strcmp(number_keys[j].table, table) == 0 &&
                            strcmp(number_keys[j].key, e->key) == 0)
                                nk = &number_keys[j];
                if (!nk && !strcmp(table, "storage") && !strcmp(e->key, "sparse")) {
                        if (e->value->type != VERS_TOML_BOOLEAN)
                                return werr(w, e->value->line, e->value->col,
                                            "'sparse' must be true or false");
                        w->cfg->sparse = e->value->boolean;
                        continue;
                }
                if (!nk)
                        return werr(w, e->line, e->col, "unknown key '%s' in [%s]", e->key, table);
                if (set_number(w, nk, e) < 0)
                        return -1;
        }
        return 0;
}

/* A string, integer or boolean as text (integers and booleans in their TOML spelling);
 * NULL for tables and arrays. */
static char *scalar_text(const struct vers_toml_value *v)
{
        switch (v->type) {
        case VERS_TOML_STRING:
                return xstrdup(v->string);
        case VERS_TOML_INTEGER:
                return xasprintf("%" PRId64, v->integer);
        case VERS_TOML_BOOLEAN:
                return xstrdup(v->boolean ? "true" : "false");
        default:
                return NULL;
        }
}

/* [builder.args]: values for the Dockerfile's ARG instructions */
static int walk_build_args(struct walker *w, const struct vers_toml_value *t)
{
        for (size_t i = 0; i < t->table.n; i++) {
                const struct vers_toml_entry *e = &t->table.entries[i];
                if (!str_is_var_name(e->key))
                        return werr(w, e->line, e->col,
                                    "'%s' in [builder.args] is not an ARG name (letters, digits, "
                                    "'_')",
                                    e->key);
                _cleanup_free_ char *value = scalar_text(e->value);
                if (!value)
                        return werr(w, e->value->line, e->value->col,
                                    "'%s' in [builder.args] must be a string, integer or boolean",
                                    e->key);
                _cleanup_free_ char *kv = xasprintf("%s=%s", e->key, value);
                strv_push(&w->cfg->build_args, kv);
        }
        return 0;
}

static int walk_builder(struct walker *w, const struct vers_toml_value *t)
{
        for (size_t i = 0; i < t->table.n; i++) {
                const struct vers_toml_entry *e = &t->table.entries[i];
                const struct vers_toml_value *v = e->value;
                if (strcmp(e->key, "args") == 0) {
                        if (v->type != VERS_TOML_TABLE)
                                return werr(w, v->line, v->col,
                                            "'args' in [builder] must be a table");
                        if (walk_build_args(w, v) < 0)
                                return -1;
                        continue;
                }
                if (strcmp(e->key, "dockerfile") != 0)
                        return werr(w, e->line, e->col, "unknown key '%s' in [builder]", e->key);
                if (v->type != VERS_TOML_STRING)
                        return werr(w, v->line, v->col, "'dockerfile' must be a string");
                /* "" is a choice too: FROM host, even with a Dockerfile beside vers.toml */
                w->cfg->dockerfile = xstrdup(v->string);
        }
        return 0;
}

static bool valid_service_name(const char *s)
{
        size_t n = strlen(s);
        if (n < 1 || n > 64)
                return false;
        for (; *s; s++) {
                char c = *s;
                if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-'))
                        return false;
        }
        return true;
}

/* key as it reads inside [...] in messages: quoted unless it is a bare key */
static char *key_name(const char *key)
{
        bool bare = *key != '\0';
        for (const char *c = key; *c; c++)
                bare = bare && ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                                (*c >= '0' && *c <= '9') || *c == '_' || *c == '-');
        return bare ? xstrdup(key) : xasprintf("\"%s\"", key);
}

/* "services.NAME" */
static char *service_table(const char *name)
{
        _cleanup_free_ char *n = key_name(name);
        return xasprintf("services.%s", n);
}

static int string_list(struct walker *w, const char *table, const struct vers_toml_entry *e,
                       char ***out)
{
        const struct vers_toml_value *v = e->value;
        if (v->type != VERS_TOML_ARRAY)
                return werr(w, v->line, v->col, "'%s' in [%s] must be an array of strings", e->key,
                            table);
        char **list = xcalloc(v->array.n + 1, sizeof(char *));
        for (size_t i = 0; i < v->array.n; i++) {
                const struct vers_toml_value *item = v->array.items[i];
                if (item->type != VERS_TOML_STRING) {
                        strv_free(list);
                        return werr(w, item->line, item->col,
                                    "'%s' in [%s] must be an array of strings, found %s", e->key,
                                    table, vers_toml_type_name(item->type));
                }
                list[i] = xstrdup(item->string);
        }
        *out = list;
        return 0;
}

static int walk_settings(struct walker *w, const char *table, const struct vers_toml_value *t,
                         struct vers_service_config *svc)
{
        svc->settings = xcalloc(t->table.n ? t->table.n : 1, sizeof(*svc->settings));
        for (size_t i = 0; i < t->table.n; i++) {
                const struct vers_toml_entry *e = &t->table.entries[i];
                const struct vers_toml_value *v = e->value;
                char *value = scalar_text(v);
                if (!value)
                        return werr(w, v->line, v->col,
                                    "setting '%s' in [%s.settings] must be a string, integer or "
                                    "boolean",
                                    e->key, table);
                svc->settings[svc->n_settings].key = xstrdup(e->key);
                svc->settings[svc->n_settings].value = value;
                svc->n_settings++;
        }
        return 0;
}

static int walk_service(struct walker *w, const struct vers_toml_entry *se)
{
        const struct vers_toml_value *t = se->value;
        if (!valid_service_name(se->key))
                return werr(w, se->line, se->col,
                            "invalid service name '%s' (1 to 64 letters, digits, '.', '_' or '-')",
                            se->key);
        _cleanup_free_ char *table = service_table(se->key);
        if (t->type != VERS_TOML_TABLE)
                return werr(w, t->line, t->col, "'%s' in [services] must be a table", se->key);

        struct vers_config *cfg = w->cfg;
        cfg->services = xrealloc(cfg->services, (cfg->n_services + 1) * sizeof(*cfg->services));
        struct vers_service_config *svc = &cfg->services[cfg->n_services++];
        memset(svc, 0, sizeof(*svc));
        svc->name = xstrdup(se->key);

        for (size_t i = 0; i < t->table.n; i++) {
                const struct vers_toml_entry *e = &t->table.entries[i];
                const struct vers_toml_value *v = e->value;
                if (strcmp(e->key, "template") == 0) {
                        if (v->type != VERS_TOML_STRING)
                                return werr(w, v->line, v->col,
                                            "'template' in [%s] must be a string", table);
                        if (!*v->string)
                                return werr(w, v->line, v->col,
                                            "'template' in [%s] must not be empty", table);
                        svc->template_ = xstrdup(v->string);
                } else if (strcmp(e->key, "databases") == 0) {
                        if (string_list(w, table, e, &svc->databases) < 0)
                                return -1;
                } else if (strcmp(e->key, "extensions") == 0) {
                        if (string_list(w, table, e, &svc->extensions) < 0)
                                return -1;
                } else if (strcmp(e->key, "settings") == 0) {
                        if (v->type != VERS_TOML_TABLE)
                                return werr(w, v->line, v->col,
                                            "'settings' in [%s] must be a table", table);
                        if (walk_settings(w, table, v, svc) < 0)
                                return -1;
                } else {
                        return werr(w, e->line, e->col, "unknown key '%s' in [%s]", e->key, table);
                }
        }
        if (!svc->template_)
                return werr(w, t->line, t->col, "missing 'template' in [%s]", table);
        return 0;
}

static int walk_services(struct walker *w, const struct vers_toml_value *t)
{
        for (size_t i = 0; i < t->table.n; i++)
                if (walk_service(w, &t->table.entries[i]) < 0)
                        return -1;
        return 0;
}

/* [checkpoint] verify = true: every warm commit restores its dump once before trusting it */
static int walk_checkpoint(struct walker *w, const struct vers_toml_value *t)
{
        for (size_t i = 0; i < t->table.n; i++) {
                const struct vers_toml_entry *e = &t->table.entries[i];
                if (strcmp(e->key, "verify") != 0)
                        return werr(w, e->line, e->col, "unknown key '%s' in [checkpoint]", e->key);
                if (e->value->type != VERS_TOML_BOOLEAN)
                        return werr(w, e->value->line, e->value->col,
                                    "'verify' must be true or false");
                w->cfg->checkpoint_verify = e->value->boolean;
        }
        return 0;
}

/* [pool] size = N: how many ready branches 'vers pool COMMIT' keeps by default */
static int walk_pool(struct walker *w, const struct vers_toml_value *t)
{
        for (size_t i = 0; i < t->table.n; i++) {
                const struct vers_toml_entry *e = &t->table.entries[i];
                if (strcmp(e->key, "size") != 0)
                        return werr(w, e->line, e->col, "unknown key '%s' in [pool]", e->key);
                if (e->value->type != VERS_TOML_INTEGER || e->value->integer < 0 ||
                    e->value->integer > 256)
                        return werr(w, e->value->line, e->value->col,
                                    "'size' in [pool] must be an integer from 0 to 256");
                w->cfg->pool_size = (long)e->value->integer;
        }
        return 0;
}

/* [branches] ttl = "2h": how long an env made by 'vers branch' lives (vers branch --ttl) */
static int walk_branches(struct walker *w, const struct vers_toml_value *t)
{
        for (size_t i = 0; i < t->table.n; i++) {
                const struct vers_toml_entry *e = &t->table.entries[i];
                if (strcmp(e->key, "ttl") != 0)
                        return werr(w, e->line, e->col, "unknown key '%s' in [branches]", e->key);
                int64_t s;
                if (e->value->type != VERS_TOML_STRING ||
                    vers_duration_parse(e->value->string, &s) < 0)
                        return werr(w, e->value->line, e->value->col,
                                    "'ttl' in [branches] must be a duration such as \"30m\", "
                                    "\"2h\" or \"1d12h\" (\"0\": none)");
                w->cfg->branch_ttl = s;
        }
        return 0;
}

static int walk(struct walker *w, const struct vers_toml_value *root)
{
        static const char *const tables[] = {"vm",       "storage",    "machine", "builder",
                                             "services", "checkpoint", "pool",    "branches"};
        for (size_t i = 0; i < root->table.n; i++) {
                const struct vers_toml_entry *e = &root->table.entries[i];
                const struct vers_toml_value *v = e->value;
                size_t j;
                for (j = 0; j < sizeof(tables) / sizeof(*tables); j++)
                        if (strcmp(e->key, tables[j]) == 0)
                                break;
                if (j == sizeof(tables) / sizeof(*tables)) {
                        _cleanup_free_ char *name = key_name(e->key);
                        if (v->type == VERS_TOML_TABLE)
                                return werr(w, e->line, e->col, "unknown table [%s]", name);
                        return werr(w, e->line, e->col, "unknown key '%s'", e->key);
                }
                if (v->type != VERS_TOML_TABLE)
                        return werr(w, v->line, v->col, "'%s' must be a table", e->key);
                int r;
                if (strcmp(e->key, "builder") == 0)
                        r = walk_builder(w, v);
                else if (strcmp(e->key, "services") == 0)
                        r = walk_services(w, v);
                else if (strcmp(e->key, "checkpoint") == 0)
                        r = walk_checkpoint(w, v);
                else if (strcmp(e->key, "pool") == 0)
                        r = walk_pool(w, v);
                else if (strcmp(e->key, "branches") == 0)
                        r = walk_branches(w, v);
                else
                        r = walk_numbers(w, e->key, v);
                if (r < 0)
                        return -1;
        }
        return 0;
}

void vers_config_init(struct vers_config *cfg)
{
        *cfg = (struct vers_config){
            .memory_mib = 2048,
            .vcpu = 1,
            .cluster_mib = 8000,
            .vm_mib = 4000,
            .pids = 4096,
        };
}

static int parse_len(const char *text, size_t len, const char *filename, struct vers_config *cfg,
                     vers_error_t *err)
{
        _cleanup_toml_ struct vers_toml_value *root = NULL;
        struct vers_config tmp;
        struct walker w = {.file = filename ? filename : "vers.toml", .err = err, .cfg = &tmp};

        vers_config_init(cfg);
        vers_config_init(&tmp);
        if (vers_toml_parse_len(text, len, w.file, &root, err) < 0)
                return -1;
        if (walk(&w, root) < 0) {
                vers_config_free(&tmp);
                return -1;
        }
        *cfg = tmp;
        return 0;
}

int vers_config_parse(const char *text, const char *filename, struct vers_config *cfg,
                      vers_error_t *err)
{
        return parse_len(text, strlen(text), filename, cfg, err);
}

int vers_config_load(const char *path, struct vers_config *cfg, vers_error_t *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;

        vers_config_init(cfg);
        if (vers_read_regular_file(path, VERS_PROJECT_FILE_MAX, &text, &len, err) < 0)
                return -1;
        return parse_len(text, len, path, cfg, err);
}

void vers_service_config_clear(struct vers_service_config *svc)
{
        free(svc->name);
        free(svc->template_);
        strv_free(svc->databases);
        strv_free(svc->extensions);
        for (size_t j = 0; j < svc->n_settings; j++) {
                free(svc->settings[j].key);
                free(svc->settings[j].value);
        }
        free(svc->settings);
        memset(svc, 0, sizeof *svc);
}

void vers_config_free(struct vers_config *cfg)
{
        free(cfg->dockerfile);
        strv_free(cfg->build_args);
        for (size_t i = 0; i < cfg->n_services; i++)
                vers_service_config_clear(&cfg->services[i]);
        free(cfg->services);
        vers_config_init(cfg);
}
