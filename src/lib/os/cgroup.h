/* cgroup — one cgroup per env, named vers/<hash of VERS_ROOT>/<env id>, for resource caps, freezing
 * and killing.
 *
 * Works on cgroup v1 (memory, cpu, freezer, pids hierarchies under /sys/fs/cgroup/<ctrl>) and
 * on a pure cgroup v2 mount. On a hybrid machine the v1 controllers are used, since that is
 * where the controllers are. The set of hierarchies is detected once per process.
 */
#ifndef VERS_CGROUP_H
#define VERS_CGROUP_H

#include "base/util.h"

/* Scope every cgroup of this process to VERS_ROOT (call once, before anything else). */
void vers_cgroup_set_scope(const char *root);
/* the directory holding this root's env cgroups (freezer hierarchy on v1) */
char *vers_cgroup_scope_dir(void);
/* pids: the most tasks the env may have (pids.max); 0 = no limit */
int vers_cgroup_create(const char *envid, long memory_mib, long vcpu, long pids, vers_error_t *err);
int vers_cgroup_attach(const char *envid, pid_t pid, vers_error_t *err);
/* the directory whose freezer state freezes the env (for CRIU's --freeze-cgroup) */
char *vers_cgroup_freezer_dir(const char *envid);
int vers_cgroup_freeze(const char *envid, bool freeze, vers_error_t *err);
/* true if the env's cgroup is frozen or freezing */
bool vers_cgroup_is_frozen(const char *envid);
/* pids in the env's cgroup (host pid numbers); returns count, -1 on error */
int vers_cgroup_pids(const char *envid, pid_t **pids);
/* SIGKILL everything in the cgroup and wait until it is empty (bounded) */
void vers_cgroup_kill(const char *envid);
void vers_cgroup_destroy(const char *envid);
/* Remove this root's (empty) scope directories, once it has no env left running. */
void vers_cgroup_scope_remove(void);
/* a short description like "cgroup v1 (memory cpu freezer pids)" */
const char *vers_cgroup_describe(void);

#endif
