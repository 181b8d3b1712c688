/* failpoint — named fault injection, built in (CRIU's fault_injected(FI_...)).
 *
 * VERS_FAILPOINT=NAME kills this process with SIGKILL at the first time it reaches the step
 * NAME; NAME:N at the Nth time; fail:NAME[:N] makes that step fail with an error instead,
 * as if the work it stands for had failed. Every step of a multi-step operation has one, so
 * that a test can die or fail between any two of its effects and check that the next
 * command finishes or undoes the operation.
 *
 * VERS_FAILPOINTS is the one list of names; a name the code uses but the list lacks aborts
 * (a test that walks the list would miss it), and the tests check that each one is reached.
 */
#ifndef VERS_FAILPOINT_H
#define VERS_FAILPOINT_H

#include "base/util.h"

/* name, what has happened when it is reached */
#define VERS_FAILPOINTS(X)                                                                         \
        X("commit-after-row", "the pending commit row is written")                                 \
        X("commit-after-lock", "the env's commit lock is held")                                    \
        X("commit-after-hook", "the pre-commit hook ran")                                          \
        X("commit-after-freeze", "a warm commit froze the env")                                    \
        X("commit-during-dump", "criu dump is started and its pid recorded")                       \
        X("commit-after-dump", "criu dump finished, the env still frozen")                         \
        X("commit-after-snapshot", "the snapshot is taken (a warm commit: the env still frozen)")  \
        X("commit-before-ready", "the env is thawed, the commit row not yet ready")                \
        X("branch-after-row", "the pending env row is written")                                    \
        X("branch-after-snapshot", "the env's rootfs snapshot is taken")                           \
        X("start-before-ready", "an env's PID 1 is started or restored, not yet ready")            \
        X("branch-before-ready", "the env's services are ready, its row not yet final")            \
        X("rollback-after-mark", "the env row is marked rollback")                                 \
        X("rollback-after-delete", "the env's old rootfs is deleted")                              \
        X("rollback-after-snapshot", "the env's new rootfs snapshot is taken")                     \
        X("delete-after-mark", "the env row is marked deleting")                                   \
        X("delete-after-kill", "the env's processes are killed")                                   \
        X("delete-after-subvolume", "the env's rootfs is deleted, its row not yet")                \
        X("build-after-row", "a layer's pending image row is written")                             \
        X("build-after-snapshot", "a layer's subvolume is made and filled, not yet read-only")     \
        X("gc-before-delete", "gc knows what to delete and deleted nothing yet")                   \
        X("gc-after-delete", "gc deleted one subvolume")                                           \
        X("gc-before-mark", "gc found an env whose PID 1 is gone, its row not yet marked stopped") \
        X("bundle-after-rows", "unbundle wrote its pending image and commit rows")                 \
        X("bundle-after-receive", "unbundle received the stream, the ids not yet shifted")         \
        X("bundle-before-ready", "unbundle made the commit's files, its rows not yet ready")

/* the names, NULL-terminated, in the order above */
extern const char *const vers_failpoint_names[];
extern const char *const vers_failpoint_help[];

/* Reach the step name: dies, or returns -1 with an error, when VERS_FAILPOINT says so;
 * else returns 0. */
int vers_failpoint(const char *name, vers_error_t *err);

#endif
