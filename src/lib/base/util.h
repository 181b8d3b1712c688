/* util — the base layer's one header: errors, cleanup helpers, allocation, string vectors, files
 * (host and in-root), processes and clocks; defined in error.c, alloc.c, fs.c, proc.c and str.c.
 *
 * Errors: a library function returns 0 on success or a negative value on failure and then
 * has filled *err (crun style). Callers add context with vers_error_wrap() on the way up;
 * only the command layer prints an error and chooses the exit code. A vers_error_t that is
 * NULL means "no error"; vers_error_free() resets it to NULL.
 */
#ifndef VERS_UTIL_H
#define VERS_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

struct vers_error_s {
        int status; /* errno value that caused it, or 0 */
        char *msg;  /* one line, lowercase, no full stop */
};
typedef struct vers_error_s *vers_error_t;

/* Fill *err (if not already set) and return -1. errno_ may be 0. */
int vers_make_error(vers_error_t *err, int errno_, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefix the message in *err with "context: ". Returns -1. */
int vers_error_wrap(vers_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vers_error_free(vers_error_t *err);
/* "FILE:LINE:COL: message" errors of the config and suite parsers */
int vers_make_error_atv(vers_error_t *err, const char *file, long line, long col, const char *fmt,
                        va_list ap) __attribute__((format(printf, 5, 0)));

/* cleanup helpers */
void vers_freep(void *p);
void vers_closep(int *fd);
void vers_fclosep(void *f);
void vers_strvfreep(char ***v);
#define _cleanup_free_ __attribute__((cleanup(vers_freep)))
#define _cleanup_close_ __attribute__((cleanup(vers_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(vers_fclosep)))
#define _cleanup_strv_ __attribute__((cleanup(vers_strvfreep)))
#define _cleanup_error_ __attribute__((cleanup(vers_error_free)))

static inline void *vers_steal_pointer(void *pp)
{
        void **p = (void **)pp;
        void *r = *p;
        *p = NULL;
        return r;
}
#define steal_pointer(pp) vers_steal_pointer(pp)

/* Print "vers: what" to stderr and abort: the one thing the library prints, for what nothing
 * can follow (out of memory, libcrypto unable to hash, a failpoint the list lacks). Everything
 * else goes back to the caller as a vers_error_t or through a callback it passed. */
__attribute__((noreturn)) void vers_abort(const char *what);

/* allocation: out of memory is vers_abort() */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* NULL-terminated string vectors */
size_t strv_len(char **v);
void strv_push(char ***v, const char *s);
void strv_free(char **v);

/* files */
int vers_read_file(const char *path, char **out, size_t *len, vers_error_t *err);
/* The same for a file something else may have planted (a project's vers.toml, Dockerfile,
 * vers-integration.yaml: envs can write the project directory): only a regular file of at
 * most max bytes; a FIFO, a device or a directory under the name is an error, never a wait. */
int vers_read_regular_file(const char *path, size_t max, char **out, size_t *len,
                           vers_error_t *err);
#define VERS_PROJECT_FILE_MAX ((size_t)16 << 20) /* vers.toml, Dockerfile, suite: 16 MiB */
/* Replace path atomically: write a temp file of this writer's own beside it (a fresh random
 * name, created O_EXCL|O_NOFOLLOW: concurrent writers never share one, and a file or symlink
 * planted under any name is neither written through nor removed), fsync, rename over path (a
 * symlink at path itself is replaced, not followed), fsync the directory. A writer that dies
 * half-way leaves its temp file (path.*.tmp) behind, never a partial path. The directories on the
 * way to path are trusted: for a path in an env's tree use vers_write_file_in_root(). */
int vers_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode,
                           vers_error_t *err);
/* The same inside the directory dirfd: name is one path component. */
int vers_write_file_atomic_at(int dirfd, const char *name, const char *data, size_t len,
                              mode_t mode, vers_error_t *err);
int vers_mkdir_p(const char *path, mode_t mode, vers_error_t *err);
bool vers_path_exists(const char *path);
/* Remove a directory tree that is not a btrfs subvolume (no mount crossing). */
int vers_rm_rf(const char *path, vers_error_t *err);
/* Remove every character and block device node below path (not crossing mounts, not
 * following symlinks); *removed counts them. -1 with *err (errno of the failed unlink) when
 * one cannot go. What a tree that came from elsewhere (a pulled image, a bundle) needs: an
 * env's root could open such a node on the store, which is not mounted nodev. */
int vers_remove_device_nodes(const char *path, size_t *removed, vers_error_t *err);
/* Copy a file (regular files only), keeping mode. */
int vers_copy_file(const char *src, const char *dst, mode_t mode, vers_error_t *err);

/* Files inside an env's tree (an untrusted root: whatever runs in the env may have replaced
 * any of its components with a symlink, a FIFO or a huge file). rel is resolved by
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): a symlink, absolute or relative, resolves
 * as if root were "/", so it can never reach anything outside the tree, and /proc magic
 * links are refused. There is no fallback: without openat2 (ENOSYS) these fail. A leading
 * '/' in rel is ignored. */
/* An fd for rel under the directory rootfd (flags as openat's, O_CLOEXEC added). */
int vers_openat_in_root(int rootfd, const char *rel, int flags, mode_t mode, vers_error_t *err);
int vers_open_in_root(const char *root, const char *rel, int flags, mode_t mode, vers_error_t *err);
/* Read a regular file under root (anything else is refused). tail > 0: at most its last tail
 * bytes; tail == 0: the whole file, which must be at most VERS_IN_ROOT_MAX. */
#define VERS_IN_ROOT_MAX (8 << 20)
int vers_read_file_in_root(const char *root, const char *rel, size_t tail, char **out, size_t *len,
                           vers_error_t *err);
/* Replace root/rel atomically (vers_write_file_atomic_at in its resolved directory). */
int vers_write_file_in_root(const char *root, const char *rel, const char *data, size_t len,
                            mode_t mode, vers_error_t *err);
/* Install the host file src as root/rel (atomically, as vers_write_file_in_root). */
int vers_copy_file_into_root(const char *src, const char *root, const char *rel, mode_t mode,
                             vers_error_t *err);
/* Remove root/rel (not what it points to); a missing file is not an error. */
int vers_unlink_in_root(const char *root, const char *rel, vers_error_t *err);
/* Does rel resolve (inside root) to something? */
bool vers_exists_in_root(const char *root, const char *rel);

ssize_t vers_write_all(int fd, const void *buf, size_t len);
int vers_close_fds_from(int lowfd);

/* processes */
/* Start time of pid (field 22 of /proc/pid/stat) or 0 if it does not exist. Together with
 * the pid it identifies a process across pid reuse. */
uint64_t vers_pid_starttime(pid_t pid);
bool vers_pid_alive(pid_t pid, uint64_t starttime);

/* Start argv (argv[0] looked up in PATH) with stdin on /dev/null and no inherited fds above
 * 2; if outfd is not NULL, its stdout+stderr go to a pipe whose read end is stored there.
 * Returns the pid, or -1 with *err set (also when argv[0] cannot be found or executed). */
pid_t vers_spawn(char *const argv[], int *outfd, vers_error_t *err);
/* Wait for pid; its exit status (0..255, 128+signal), or -1 with *err set. */
int vers_wait_exit(pid_t pid, vers_error_t *err);
/* Run argv (argv[0] looked up in PATH), wait; returns its exit status (0..255), or -1 with
 * *err set if it could not be run. If out is not NULL, stdout+stderr are captured there. */
int vers_run(char *const argv[], char **out, vers_error_t *err);

/* Cut s at its first newline (tools' output, for one-line error messages); returns s. */
char *str_first_line(char *s);

uint64_t vers_now_ms(void);
/* Sleep ms milliseconds, through EINTR. For polling with a deadline only: a test or a caller
 * that waits for a condition polls the condition. */
void vers_sleep_ms(long ms);
double vers_monotonic(void);
char *vers_random_hex(size_t nchars);
/* true if s ends with suffix */
bool str_endswith(const char *s, const char *suffix);
bool str_startswith(const char *s, const char *prefix);
/* A duration as written by a user: "90s", "15m", "2h", "1d12h", "1w" (units w d h m s, largest
 * first, each once), or "0"; at most VERS_DURATION_MAX seconds. 0 with *seconds set, or -1. */
#define VERS_DURATION_MAX ((int64_t)10 * 366 * 86400)
int vers_duration_parse(const char *s, int64_t *seconds);
/* seconds as its two largest units, "1d4h", "2h5m", "59s" ("0s" for 0 or less) */
char *vers_duration_format(int64_t seconds);
/* A shell/Dockerfile variable name: ASCII letters, digits and '_', not starting with a digit. */
bool str_is_var_name(const char *s);

#endif
