/* harden — what code inside an env may do to the kernel, as data.
 *
 * Three tables a reviewer reads in one screen, in the spirit of runc/crun and Docker's
 * defaults: the paths under /proc and /sys that are masked or read-only (sandbox-mount.c
 * mounts them), the capabilities an env keeps (Docker's default set: no CAP_SYS_ADMIN, so no
 * mounts, no namespaces, no sethostname from inside), and the seccomp policy (compiled by
 * libseccomp). vers_harden_apply() is the last thing done before anything is executed inside
 * an env: PID 1 at start, and every command vers execute, connect, build steps and hooks run.
 * CRIU dumps and restores the filter, the capability sets and the bounding set with the
 * processes, so warm branches keep them.
 */
#ifndef VERS_HARDEN_H
#define VERS_HARDEN_H

#include "base/strbuf.h"
#include "base/util.h"

enum vers_mask_kind {
        VERS_MASK,     /* hidden: /dev/null over a file, an empty read-only tmpfs over a dir */
        VERS_READONLY, /* bound onto itself read-only */
};

struct vers_mask_path {
        const char *path; /* absolute, inside the env */
        enum vers_mask_kind kind;
};

extern const struct vers_mask_path vers_mask_paths[];
extern const size_t vers_n_mask_paths;

/* Load the seccomp filter and drop to the kept capabilities (bounding, permitted, effective,
 * inheritable, ambient). Call as the env's root, just before exec. On failure returns -1
 * with errno set and a short reason in why. */
int vers_harden_apply(char *why, size_t n);

/* Build the filter without loading it (for vers doctor and tests): number of rules. */
int vers_harden_seccomp_rules(vers_error_t *err);

/* What is in force, for vers doctor: one line per measure. */
void vers_harden_describe(struct strbuf *sb);

#endif
