/* cgroup — one cgroup per env, for resource caps, freezing and killing.
 *
 * An env's cgroup is "vers/<scope>/<env id>" (the name relative to the root of a hierarchy),
 * where the scope names the VERS_ROOT: envs of different roots never share a cgroup
 * directory, so that one root's gc cannot touch another root's envs. The name is recorded in
 * the env's row (meta.h) when the env is made and read back by everything that stops,
 * freezes or kills it, so an env keeps its cgroup whatever a later vers would name it.
 *
 * Every function taking a cgroup takes either such a name (it has a '/') or a bare id, which
 * means "<this process's scope>/<id>" (build steps, restore checks, rows without a name).
 * A name that is not "vers/..." made of plain components is refused (nothing is touched).
 *
 * Works on cgroup v1 (memory, cpu, freezer, pids hierarchies under /sys/fs/cgroup/<ctrl>) and
 * on a pure cgroup v2 mount. On a hybrid machine the v1 controllers are used, since that is
 * where the controllers are. The set of hierarchies is detected once per process.
 */
#ifndef VERS_CGROUP_H
#define VERS_CGROUP_H

#include "base/util.h"

/* The scope a new VERS_ROOT gets: "vers/" and 16 hex digits of the SHA-256 of its path. A root
 * keeps the scope it got for good (vers.db records it): see meta.h. */
char *vers_cgroup_scope_for_root(const char *root);
/* Scope every cgroup of this process to scope ("vers/<one component>"), once, before anything
 * else. */
int vers_cgroup_set_scope(const char *scope, vers_error_t *err);
/* The name a new cgroup for id gets: "<scope>/<id>". */
char *vers_cgroup_name(const char *id);
/* the directory holding this root's env cgroups (freezer hierarchy on v1) */
char *vers_cgroup_scope_dir(void);
/* pids: the most tasks the env may have (pids.max); 0 = no limit */
int vers_cgroup_create(const char *cg, long memory_mib, long vcpu, long pids, vers_error_t *err);
int vers_cgroup_attach(const char *cg, pid_t pid, vers_error_t *err);
/* the directory whose freezer state freezes the env (for CRIU's --freeze-cgroup); NULL for a
 * refused name */
char *vers_cgroup_freezer_dir(const char *cg);
int vers_cgroup_freeze(const char *cg, bool freeze, vers_error_t *err);
/* the memory the cgroup's tasks are charged for (memory.usage_in_bytes on v1, memory.current
 * on v2: anonymous memory and page cache); -1 when it cannot be read */
long long vers_cgroup_memory_bytes(const char *cg);
/* true if the env's cgroup is frozen or freezing */
bool vers_cgroup_is_frozen(const char *cg);
/* pids in the env's cgroup (host pid numbers); returns count, -1 on error */
int vers_cgroup_pids(const char *cg, pid_t **pids);
/* What the env's cgroup holds in memory, in bytes: rss is anonymous memory (v1 "rss", v2
 * "anon"; it excludes shmem), cache is the page cache charged to it (v1 "cache", v2 "file";
 * shmem included), shmem is tmpfs, SysV and shared anonymous memory (also in cache). Read from
 * memory.stat, without the descendants' "total_" lines (an env's cgroup has none). */
struct vers_memory {
        uint64_t rss, cache, shmem, mapped_file;
};
int vers_cgroup_memory(const char *cg, struct vers_memory *out, vers_error_t *err);
/* SIGKILL everything in the cgroup and wait until it is empty (bounded) */
void vers_cgroup_kill(const char *cg);
void vers_cgroup_destroy(const char *cg);
/* Remove this root's (empty) scope directories, once it has no env left running. */
void vers_cgroup_scope_remove(void);
/* a short description like "cgroup v1 (memory cpu freezer pids)" */
const char *vers_cgroup_describe(void);

#endif
