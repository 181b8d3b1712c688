/* checkpoint — whether a warm dump of an env can be restored.
 *
 * CRIU dumps what it finds, and 'criu check' tests only the kernel: an env whose mounts
 * changed after it started (something mounted inside it or from the host, a remount, an
 * overlay) often dumps fine and then fails every restore.
 *
 *  - The mounts an env has right after it started (booted or restored) are recorded in its
 *    store directory, outside the env's tree. Whatever the sandbox sets up is in the record,
 *    whichever module sets it up; whatever came later is not. Before a warm dump the env's
 *    mounts are compared with the record: any difference means the dump is not trusted.
 *    An env started by a vers that kept no record is not checked.
 *
 * A record line is "MOUNTPOINT ROOT FSTYPE MOUNT-OPTIONS PROPAGATION" from mountinfo (mount
 * points relative to the env's root); ids, devices and superblock options are left out, so
 * that nothing the host changes on its side makes an env look different.
 */
#ifndef VERS_CHECKPOINT_H
#define VERS_CHECKPOINT_H

#include "util.h"

#include <sys/types.h>

/* Record the mounts of the env whose PID 1 is init_pid in envdir/mounts. */
int vers_mounts_record(pid_t init_pid, const char *envdir, vers_error_t *err);

/* 1 if the env's mounts are the recorded ones (or none were recorded), 0 if not, with *why
 * naming the first difference ("'/mnt/x' (tmpfs) was mounted after the env started");
 * -1 on error. */
int vers_mounts_unchanged(pid_t init_pid, const char *envdir, char **why, vers_error_t *err);

#endif
