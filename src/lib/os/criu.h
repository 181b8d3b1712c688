/* criu — warm checkpoints: dumping and restoring an env's whole process tree with CRIU.
 *
 * vers looks for CRIU in $VERS_CRIU, then in the private prefix that 'make deps' fills
 * (/opt/vers/criu/bin/criu: Debian unstable's 4.2 run through its own loader), then in PATH.
 * On kernels >= 6.16 only CRIU >= 4.2 can dump inet sockets, so older versions count as
 * unusable there. The env must be in its own user namespace (it always is).
 *
 * A dump is taken while the env's cgroup is frozen; CRIU then leaves it frozen. With hooks,
 * the caller freezes it only once CRIU has started (CRIU's own start, some 30 ms, is then
 * outside the pause) and snapshots the disk while CRIU still holds the dumped tree stopped;
 * without, the caller freezes it before. CRIU's own freezing is not used: it polls the
 * freezer every 100 ms.
 * CRIU writes inventory.img last: an images directory without it is not a checkpoint.
 */
#ifndef VERS_CRIU_H
#define VERS_CRIU_H

#include "base/util.h"

struct vers_criu_info {
        bool usable;
        char *path;    /* the criu command, NULL if none */
        char *version; /* "4.2.1", NULL if unknown */
        char *why;     /* when not usable: one line saying why */
};

/* Probe once per process; the result stays valid until exit. */
const struct vers_criu_info *vers_criu_probe(void);

/* Called from a dump, through CRIU's action script: seize when CRIU is about to seize the
 * tree (freeze its cgroup there, and check it), dumped once all is dumped while the tree is
 * still stopped (snapshot the disk there). A hook's error fails the dump with that error;
 * the cgroup stays as the hooks left it. */
struct vers_criu_dump_hooks {
        int (*seize)(void *arg, vers_error_t *err);
        int (*dumped)(void *arg, vers_error_t *err);
        void *arg;
};
/* Dump the tree rooted at pid (PID 1 of an env) into images (which must exist); the process
 * tree keeps running. freezer is the cgroup directory the env is frozen in. log is where
 * CRIU's log goes. hooks may be NULL (the caller froze the env before). The hooks' script and
 * FIFOs live in images while CRIU runs and are gone when this returns. */
int vers_criu_dump(pid_t pid, const char *images, const char *freezer, const char *log,
                   const struct vers_criu_dump_hooks *hooks, vers_error_t *err);
enum {
        VERS_CRIU_LEAVE_STOPPED = 1, /* restored tasks stay stopped (a restore check) */
};
/* A dump records the pid and start time of its criu in images/criu.pid before it starts.
 * If that criu still runs (its vers died), wait for it (bounded), then kill it: the caller
 * can then thaw the env, which criu would otherwise freeze again or leave frozen. */
void vers_criu_dump_reap(const char *images);
/* Restore images onto root, inside the env cgroup envid (created by the caller); *pid is
 * the host pid of the restored PID 1. workdir receives CRIU's log and scratch files. */
int vers_criu_restore(const char *images, const char *root, const char *envid, const char *workdir,
                      unsigned flags, pid_t *pid, vers_error_t *err);
/* true if images holds a complete dump */
bool vers_criu_images_complete(const char *images);
/* Give a dump's images to the env's root: a restore reads them from inside the env's user
 * namespace, whose root has no rights over host-owned files. The directory holding images
 * must be one host users cannot enter. */
int vers_criu_give_images(const char *images, uid_t uid, gid_t gid, vers_error_t *err);

#endif
