/* checkpoint — whether a warm dump of an env can be restored.
 *
 * CRIU dumps what it finds, and 'criu check' tests only the kernel: an env whose mounts
 * changed after it started (something mounted inside it or from the host, a remount, an
 * overlay) often dumps fine and then fails every restore. Two guards, both used by commit:
 *
 *  - The mounts an env has right after it started (booted or restored) are recorded in its
 *    store directory, outside the env's tree. Whatever the sandbox sets up is in the record,
 *    whichever module sets it up; whatever came later is not. Before a warm dump the env's
 *    mounts are compared with the record: any difference means the dump is not trusted.
 *    An env started by a vers that kept no record is not checked.
 *  - On request (vers commit --verify, [checkpoint] verify = true) the dump is restored once
 *    into a throwaway copy: a writable snapshot of the commit's disk, a cgroup of its own,
 *    the new network namespace CRIU makes (loopback only, so nothing outside can reach it)
 *    and every task left stopped, then killed. Costs about one warm branch.
 *
 * A record line is "MOUNTPOINT ROOT FSTYPE MOUNT-OPTIONS PROPAGATION" from mountinfo (mount
 * points relative to the env's root); ids, devices and superblock options are left out, so
 * that nothing the host changes on its side makes an env look different.
 */
#ifndef VERS_CHECKPOINT_H
#define VERS_CHECKPOINT_H

#include "base/util.h"

#include <sys/types.h>

/* Record the mounts of the env whose PID 1 is init_pid in envdir/mounts. */
int vers_mounts_record(pid_t init_pid, const char *envdir, vers_error_t *err);

/* 1 if the env's mounts are the recorded ones (or none were recorded), 0 if not, with *why
 * naming the first difference ("'/mnt/x' (tmpfs) was mounted after the env started");
 * -1 on error. */
int vers_mounts_unchanged(pid_t init_pid, const char *envdir, char **why, vers_error_t *err);

struct vers_restore_check {
        const char *images;  /* the dump */
        const char *rootfs;  /* the commit's (read-only) disk */
        const char *scratch; /* a directory to create and remove: the copy */
        const char *workdir; /* an existing directory for CRIU's log (restore.log), kept */
        const char *cg_id;   /* a cgroup name nothing else uses */
        long memory_mib;
        long vcpu;
        long pids;
};

/* Restore the dump into a throwaway copy and kill it at once; fails with CRIU's errors when
 * the restore does. Everything it made is gone when it returns, also on failure. */
int vers_checkpoint_try_restore(const struct vers_restore_check *c, vers_error_t *err);

#endif
