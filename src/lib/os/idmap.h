/* idmap — the host uids and gids an env's ids are.
 *
 * Each VERS_ROOT owns one range of VERS_IDMAP_COUNT host ids, chosen the first time the root
 * is opened above every range listed in /etc/subuid and /etc/subgid and above every host
 * user, and recorded there as the "vers" user's range, so that Debian's useradd and Podman
 * never hand it out again. Env id k is host id base+k, except env root, which is root_uid /
 * root_gid: the user who ran vers under sudo (SUDO_UID/SUDO_GID when the root was made, as
 * rootless Podman maps root to its user), else base. The choice is kept in VERS_ROOT/idmap and
 * never changes for a root: every image file is owned in it. Host uid 0 is never mapped, so
 * host-owned files (the bound /usr, the host's /proc/sys) are "nobody" to an env's root.
 */
#ifndef VERS_IDMAP_H
#define VERS_IDMAP_H

#include "base/util.h"

#define VERS_IDMAP_COUNT 65536u
/* the lowest base handed out: above Debian's SUB_UID_MAX (600100000) */
#define VERS_IDMAP_MIN_BASE 0x40000000u

struct vers_idmap {
        uint32_t base;
        uint32_t root_uid;
        uint32_t root_gid;
};

struct vers_id_range {
        uint32_t start;
        uint32_t count;
};

/* Load VERS_ROOT/idmap, or allocate and record a range when the root has none yet.
 * store_used: the store already holds images, commits or envs — they were made by a vers
 * that ran envs with the host's ids, and are refused. */
int vers_idmap_open(const char *root, bool store_used, struct vers_idmap *m, vers_error_t *err);

/* The text for /proc/PID/uid_map (gid: gid_map). */
void vers_idmap_format(const struct vers_idmap *m, bool gid, char *buf, size_t n);

/* Host id of env id (which must be < VERS_IDMAP_COUNT). */
uint32_t vers_idmap_host(const struct vers_idmap *m, bool gid, uint32_t id);
/* true when host id belongs to the env's ids */
bool vers_idmap_is_mapped(const struct vers_idmap *m, bool gid, uint32_t host);

/* The lowest base >= VERS_IDMAP_MIN_BASE whose range overlaps none of used[]. */
int vers_idmap_pick(const struct vers_id_range *used, size_t n, uint32_t *base, vers_error_t *err);
/* Ranges of a subuid/subgid file's text ("name:start:count" lines). */
size_t vers_idmap_parse_sub(const char *text, struct vers_id_range **out);

/* Give every file of a tree that vers made on the host (ids below VERS_IDMAP_COUNT, not
 * yet in the range) its env owner. Setuid/setgid bits and file capabilities, which chown
 * clears, are put back; capabilities are rewritten for the env's root. Does not leave the
 * tree's filesystem. */
int vers_idmap_shift_tree(const struct vers_idmap *m, const char *path, vers_error_t *err);
/* The same for a tree whose ids all came from elsewhere (a registry image unpacked as root):
 * every id is an env id, whatever its value. An id an env cannot have (>= VERS_IDMAP_COUNT,
 * one the image may have chosen to be a host user's or in some root's range) becomes the env's
 * nobody (65534), and every file capability is rewritten for the env's root (a v2 one, or a
 * v3 one naming another root, would be honoured on the host; a v1 one goes). */
int vers_idmap_shift_foreign_tree(const struct vers_idmap *m, const char *path, vers_error_t *err);
/* The same for a tree whose ids are host ids of another root's range from (a bundle from
 * another vers): from's env root and env ids become this range's (to), any other id the
 * env's nobody; capabilities are rewritten for to's root. */
int vers_idmap_shift_between(const struct vers_idmap *from, const struct vers_idmap *to,
                             const char *path, vers_error_t *err);

#endif
