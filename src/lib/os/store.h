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
 *
 * Room: store.img is sparse, so each block btrfs writes for the first time needs a block of
 * VERS_ROOT's filesystem; when that is full, btrfs gets EIO and loses the write. So a store
 * is only created where its whole size (plus the reserve) is free, operations that write to
 * it (vers_store_check_room) first check that the host can still back the part not yet
 * allocated (up to VERS_STORE_MARGIN_MIB of it), and it is mounted nodiscard so that blocks
 * once backed stay backed. VERS_ROOT/store.reserve holds VERS_STORE_RESERVE_MIB of host space
 * that vers_store_open gives back when the host filesystem is full: deleting envs, gc and
 * shutdown then still have room for vers.db and the store's metadata.
 */
#ifndef VERS_STORE_H
#define VERS_STORE_H

#include "base/util.h"

struct vers_store {
        char *root; /* VERS_ROOT */
        char *path; /* VERS_ROOT/store */
        bool loop;  /* store is a loop-mounted store.img */
};

#define VERS_STORE_RESERVE_MIB 16
#define VERS_STORE_MARGIN_MIB 256

/* Free-space arithmetic, in bytes. May a filesystem with host_free bytes free hold a new
 * store of cluster_mib MiB and the reserve? */
bool vers_store_fits(long long host_free, long cluster_mib);
/* Host bytes that must be free before writing to an image of image_size bytes of which
 * image_allocated are backed: the unbacked part, at most VERS_STORE_MARGIN_MIB. */
long long vers_store_room_needed(long long image_size, long long image_allocated);
/* What to do with the reserve file: -1 give it back, 1 take it, 0 leave it. */
int vers_store_reserve_action(bool have, long long host_free);

/* sparse: a new store.img is not allocated up front ([storage] sparse) */
int vers_store_open(const char *root, long cluster_mib, bool sparse, struct vers_store *st,
                    vers_error_t *err);
/* Fail with one line if the host filesystem may not back the next writes to the store. */
int vers_store_check_room(struct vers_store *st, vers_error_t *err);
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
/* Cap the disk use of subvolume path, and of the subvolumes later created inside it, at mib
 * MiB ([storage] vm_mib): a level-1 btrfs qgroup under simple quotas (enabled on the store the
 * first time), which charge a subvolume for the extents it writes, so a branch is charged for
 * what it changes, not for what it shares. Writes beyond the cap fail inside the env with
 * EDQUOT ("Disk quota exceeded"). */
int vers_subvol_limit(struct vers_store *st, const char *path, long mib, vers_error_t *err);
/* Lift the cap of subvolume path before it is deleted: a full quota would refuse the delete
 * itself. Removes its level-1 qgroup; a path that is no subvolume is not an error. */
int vers_subvol_unlimit(struct vers_store *st, const char *path, vers_error_t *err);
/* Remove the level-1 qgroups whose subvolume is gone (loop stores only); counts them. */
int vers_store_gc_qgroups(struct vers_store *st, int *removed, vers_error_t *err);
/* The bytes subvolume path alone holds (its qgroup's exclusive count), into *bytes: 0, or -1
 * when quotas are off or the count cannot be read. */
int vers_subvol_exclusive_bytes(struct vers_store *st, const char *path, long long *bytes);
/* Bytes free in the store; -1 on error. */
long long vers_store_free_bytes(struct vers_store *st);

#endif
