/* store — the btrfs filesystem under VERS_ROOT/store that holds every image, commit and env.
 *
 * If VERS_ROOT is on btrfs, store/ is a plain directory on it. Otherwise vers keeps a sparse
 * image file VERS_ROOT/store.img (size [storage] cluster_mib), formats it once with
 * mkfs.btrfs and loop-mounts it on store/ (autoclear: unmounting detaches the loop device).
 * vers_store_open() re-attaches it when it is not mounted (after a reboot, or after
 * 'vers shutdown').
 *
 * Layout: store/images/<id>, store/commits/<id>/rootfs, store/envs/<id>/rootfs.
 * Images and commits are read-only subvolumes; envs are writable snapshots.
 */
#ifndef VERS_STORE_H
#define VERS_STORE_H

#include "util.h"

struct vers_store {
        char *root; /* VERS_ROOT */
        char *path; /* VERS_ROOT/store */
        bool loop;  /* store is a loop-mounted store.img */
};

int vers_store_open(const char *root, long cluster_mib, struct vers_store *st, vers_error_t *err);
void vers_store_close(struct vers_store *st);
/* Unmount a loop-mounted store (no-op on native btrfs). */
int vers_store_unmount(struct vers_store *st, vers_error_t *err);

char *vers_store_image_path(struct vers_store *st, const char *id);
char *vers_store_commit_dir(struct vers_store *st, const char *id);
char *vers_store_commit_rootfs(struct vers_store *st, const char *id);
char *vers_store_env_dir(struct vers_store *st, const char *id);
char *vers_store_env_rootfs(struct vers_store *st, const char *id);

int vers_subvol_create(const char *path, vers_error_t *err);
int vers_subvol_snapshot(const char *src, const char *dst, bool readonly, vers_error_t *err);
int vers_subvol_set_readonly(const char *path, bool ro, vers_error_t *err);
/* Delete a subvolume (and subvolumes below it); a missing path is not an error. */
int vers_subvol_delete(const char *path, vers_error_t *err);
bool vers_subvol_is(const char *path);
/* Cap the disk use of subvolume path at mib MiB ([storage] vm_mib): btrfs simple quotas
 * (enabled on the store the first time), which charge a subvolume for the extents it writes,
 * so a branch is charged for what it changes, not for what it shares. Writes beyond the cap
 * fail inside the env with EDQUOT ("Disk quota exceeded"). */
int vers_subvol_limit(struct vers_store *st, const char *path, long mib, vers_error_t *err);
/* Bytes free in the store; -1 on error. */
long long vers_store_free_bytes(struct vers_store *st);

#endif
