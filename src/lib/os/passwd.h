/* passwd — users and groups of an env, read from its own /etc/passwd and /etc/group.
 *
 * Used inside an env (by 'vers execute'/'vers build' and by vers-init), where the host's
 * NSS modules may not match the env's libc: plain file parsing, libc only, no allocation.
 */
#ifndef VERS_PASSWD_H
#define VERS_PASSWD_H

#include <stddef.h>
#include <sys/types.h>

#define VERS_MAX_GROUPS 64

struct vers_user {
        uid_t uid;
        gid_t gid;
        char name[64];
        char home[256];
        gid_t groups[VERS_MAX_GROUPS]; /* supplementary groups, from /etc/group */
        int ngroups;
};

/* Resolve "user", "uid", "user:group" or "uid:gid" (Dockerfile USER syntax) against
 * root/etc/passwd and root/etc/group (root "" = the current root). A numeric uid unknown to
 * /etc/passwd is allowed (gid = uid's group or 0, home "/"). On failure returns -1 with a
 * one-line reason in why. */
int vers_user_lookup(const char *root, const char *spec, struct vers_user *u, char *why,
                     size_t whylen);
/* Become u (setgroups, setgid, setuid). Returns -1 with errno set. */
int vers_user_become(const struct vers_user *u);

#endif
