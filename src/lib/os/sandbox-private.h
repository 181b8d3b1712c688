/* sandbox-private — what the sandbox's files share (and its unit test sees): the mount plan
 * as data, and the error records a child sends its parent before it dies.
 *
 * The files: sandbox-skel.c makes an env root's skeleton; sandbox-plan.c describes an env's
 * mount setup as a list of steps (pure data, built without privileges); sandbox-mount.c runs
 * those steps in the new namespaces; sandbox-spawn.c starts PID 1 (clone, id maps, cgroup,
 * sync); sandbox-enter.c joins a running env (setns, exec, the terminal relay, shared
 * sockets); sandbox-err.c carries a child's error over a pipe.
 */
#ifndef VERS_SANDBOX_PRIVATE_H
#define VERS_SANDBOX_PRIVATE_H

#include "os/sandbox.h"

#include <sched.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* an env's namespaces but its cgroup one, which PID 1 makes itself once in its cgroup */
#define VERS_SANDBOX_NS                                                                            \
        (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC)

/* host top-level entries bound read-only into every env when they are directories; when the
 * host has them as symlinks (merged /usr) the image gets the same symlink */
extern const char *const vers_sandbox_host_ro_dirs[];
extern const size_t vers_sandbox_n_host_ro;

/* ---- the mount plan (sandbox-plan.c builds it, sandbox-mount.c runs it) ---------------- */

enum vers_sandbox_step_kind {
        VERS_STEP_BIND,     /* src (a host directory) at dest, then remounted with flags */
        VERS_STEP_IDENTITY, /* from here on as the env's root: what is made belongs to the env */
        VERS_STEP_DEV,      /* a tmpfs at dest, filled with bound device nodes, pts and shm */
        VERS_STEP_PROC,
        VERS_STEP_SYS,
        VERS_STEP_TMPFS,
        VERS_STEP_MASK,     /* /dev/null over a file, an empty read-only tmpfs over a dir */
        VERS_STEP_READONLY, /* dest bound onto itself read-only */
        VERS_STEP_HOSTNAME, /* the uts namespace's name: src */
        VERS_STEP_LOOPBACK, /* lo up in the env's own network namespace */
};

struct vers_sandbox_step {
        enum vers_sandbox_step_kind kind;
        char *src;           /* host path (bind), the name (hostname); else NULL */
        char *dest;          /* path relative to the new root; "" for steps on no path */
        unsigned long flags; /* MS_* of the mount (of the remount for a bind) */
        const char *opts;    /* mount data (tmpfs), or NULL */
        bool allow_missing;  /* a dest this kernel lacks skips the step (else: an error) */
};

struct vers_sandbox_plan {
        struct vers_sandbox_step *steps;
        size_t n;
};

/* The steps that set up spec's env, in order: the host's directories bound while still the
 * host's uid (binds), the identity change, then /dev, /proc, /sys, /run, the masked and
 * read-only paths, the hostname and loopback. Reads only the host's top-level entries and
 * spec->rootfs's own-root marker: needs no privileges. */
void vers_sandbox_plan_build(const struct vers_sandbox_spec *spec, struct vers_sandbox_plan *p);
void vers_sandbox_plan_free(struct vers_sandbox_plan *p);

/* Run p in the new namespaces, the env root as cwd; a failing step ends the process with
 * vers_sandbox_child_die(). */
void vers_sandbox_plan_run(const struct vers_sandbox_plan *p);

/* ---- a child's error (sandbox-err.c) --------------------------------------------------- */

/* A record: errno (int32), the message's length (uint32), the message (no NUL), native byte
 * order, at most VERS_SANDBOX_ERR_MAX bytes in all: below PIPE_BUF, so one write() puts it in
 * the pipe whole. The child writes it just before _exit; the pipe is O_CLOEXEC, so the parent
 * reads EOF when the exec succeeded. */
#define VERS_SANDBOX_ERR_MAX 1024
#define VERS_SANDBOX_ERR_HDR 8

/* Encode into buf (n bytes); a message too long is cut. Returns the record's size. */
size_t vers_sandbox_err_encode(char *buf, size_t n, int errnum, const char *msg);
/* Decode the first record of buf (n bytes): *errnum, and the message into msg (cut to
 * msgsz - 1, NUL-terminated). Returns the record's size, or -1 if buf holds no whole record. */
ssize_t vers_sandbox_err_decode(const char *buf, size_t n, int *errnum, char *msg, size_t msgsz);
/* Read a record from fd (a read end set O_NONBLOCK reads only what is there): 1 with *errnum
 * and msg filled, 0 on EOF or nothing written, -1 (errno set) on a read error or a record
 * that is not whole (EPROTO). */
int vers_sandbox_err_read(int fd, int *errnum, char *msg, size_t msgsz);

/* In a child: where vers_sandbox_child_die() writes (-1: nowhere). */
void vers_sandbox_child_errfd(int fd);
/* In the exec helper: send a record that is not an error (e: ETIME, the command timed out),
 * then _exit(124). */
__attribute__((noreturn)) void vers_sandbox_child_note(int e, const char *msg);
/* In a child: send errno e (0: none) and the message, then _exit(1). */
__attribute__((noreturn, format(printf, 2, 3))) void vers_sandbox_child_die(int e, const char *fmt,
                                                                            ...);

#endif
