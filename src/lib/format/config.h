/* config — vers.toml, the project's configuration.
 *
 * Keys (the seed's, plus the upstream Vers CLI's synonyms):
 *   [vm]      memory_mib, vcpu, pids      ([machine] mem_size_mib, vcpu_count)
 *   [storage] cluster_mib, vm_mib, sparse ([machine] fs_size_cluster_mib, fs_size_vm_mib)
 *   [builder] dockerfile, [builder.args] NAME = value (for the Dockerfile's ARG)
 *   [services.NAME] template, databases, extensions, [services.NAME.settings] key = value
 *   [checkpoint] verify (warm commits restore their dump once before they are trusted)
 *   [pool]    size (the ready branches 'vers pool COMMIT' keeps by default)
 *   [branches] ttl (how long an env 'vers branch' makes lives: "2h"; default: until deleted)
 * Unknown tables or keys are errors naming the key with file:line:column. Values missing
 * from the file keep the defaults set by vers_config_init().
 */
#ifndef VERS_CONFIG_H
#define VERS_CONFIG_H

#include "base/util.h"

struct vers_setting {
        char *key;
        char *value; /* integers and booleans are stored in their TOML spelling */
};

struct vers_service_config {
        char *name;        /* the NAME of [services.NAME] */
        char *template_;   /* e.g. "postgres@15"; NULL if absent */
        char **databases;  /* NULL-terminated, may be NULL */
        char **extensions; /* NULL-terminated, may be NULL */
        struct vers_setting *settings;
        size_t n_settings;
};

struct vers_config {
        long memory_mib;   /* default 2048 */
        long vcpu;         /* default 1 */
        long cluster_mib;  /* default 8000 */
        long vm_mib;       /* default 4000 */
        long pids;         /* default 4096: the env's pids.max */
        char *dockerfile;  /* NULL if absent; "": FROM host (no Dockerfile, not the project's) */
        char **build_args; /* [builder.args] as "NAME=value", NULL-terminated; may be NULL */
        struct vers_service_config *services;
        size_t n_services;
        bool checkpoint_verify; /* [checkpoint] verify, default false */
        bool sparse;            /* [storage] sparse: a loop store.img not allocated up front */
        long pool_size;         /* [pool] size: vers pool's default --size, 0..256; default 0 */
        int64_t branch_ttl;     /* [branches] ttl in seconds; 0 (default): branches never expire */
};

void vers_config_init(struct vers_config *cfg);
/* Parse text (filename is used in messages only). On error *err reads
 * "FILE:LINE:COL: what is wrong" and cfg holds the defaults. */
int vers_config_parse(const char *text, const char *filename, struct vers_config *cfg,
                      vers_error_t *err);
int vers_config_load(const char *path, struct vers_config *cfg, vers_error_t *err);
void vers_config_free(struct vers_config *cfg);
/* Free what one service block owns (not the struct itself). */
void vers_service_config_clear(struct vers_service_config *svc);

#endif
