/* sandbox — starting an env's process tree in fresh namespaces, and entering it.
 *
 * An env is: user (env ids 0..65535 are an unprivileged host range, see idmap.h), mount, pid,
 * net (loopback only), uts, ipc and cgroup namespaces; root = its btrfs subvolume with the host's
 * /usr (and /bin, /lib... when they are not symlinks into /usr) bound read-only; fresh /proc, /sys,
 * a /dev tmpfs with bound device nodes, devpts and /dev/shm, a /run tmpfs; the project directory
 * bound at its own path. A root with its own /usr (VERS_OWN_ROOT_MARKER) gets no host directories
 * and keeps its /run. Build steps (host_net) share the host's network to reach package archives.
 * PID 1 is vers-init (copied to /.vers/init). Every inherited descriptor is closed before anything
 * is executed inside, and everything executed inside runs as the env's ids, with the seccomp filter
 * and capabilities of harden.h, with /proc and /sys masked as harden.h lists.
 *
 * The mount setup is first described as a list of steps and then executed in one audited
 * sequence that ends in pivot_root (bubblewrap's SetupOp idea). What fails inside a child
 * before its exec comes back as an error (its errno and message over a pipe), never as an
 * exit status: a status is always the command's own. The parts are in sandbox-private.h.
 */
#ifndef VERS_SANDBOX_H
#define VERS_SANDBOX_H

#include "os/idmap.h"
#include "base/util.h"

struct vers_sandbox_spec {
        const char *envid;       /* names the cgroup */
        const char *rootfs;      /* host path of the env's root subvolume */
        const char *project_dir; /* bound read-write at the same path; may be NULL */
        const char *hostname;
        long memory_mib;
        long vcpu;
        long pids;                      /* pids.max; 0 = none */
        const struct vers_idmap *idmap; /* the host ids of the env's ids */
        char *const *init_argv;         /* argv of PID 1, argv[0] a path inside the env */
        bool host_net;                  /* share the host's network (build steps only) */
        bool own_root; /* the root carries its own /usr: nothing of the host's is bound in */
};

/* An image that carries its own /usr (FROM debian:<suite>, a registry image) has this file
 * in its last layer, written by vers from what the build started from (build/runtime.c):
 * nothing of the host's is bound into its envs and their /run is their own, as in a container
 * image. The image's copy decides (engine/boot.c), never an env's, which the env can write. */
#define VERS_OWN_ROOT_MARKER ".vers/own-root"

/* Start the env. On success *pid is the host pid of its PID 1 (not a child of the caller). */
int vers_sandbox_start(const struct vers_sandbox_spec *spec, pid_t *pid, vers_error_t *err);

/* vers_sandbox_start in two halves, so that what the kernel makes the env's first process
 * wait for (its move into the env's cgroup) overlaps the caller's own work: fork creates the
 * cgroup and the process that will clone PID 1 into it (spec's rootfs need not exist yet;
 * spec's strings are copied with the process), run lets it go and finishes the start. A
 * launch that is not run is cancelled (its cgroup stays: the caller's to destroy). */
struct vers_sandbox_launch {
        pid_t mid;
        int go, sync, err, pid;
        const struct vers_idmap *idmap;
};
int vers_sandbox_fork(const struct vers_sandbox_spec *spec, struct vers_sandbox_launch *l,
                      vers_error_t *err);
int vers_sandbox_run(struct vers_sandbox_launch *l, pid_t *pid, vers_error_t *err);
void vers_sandbox_cancel(struct vers_sandbox_launch *l);

struct vers_exec_spec {
        pid_t init_pid;
        const char *envid;
        char *const *argv;
        char *const *envp;
        const char *workdir; /* inside the env */
        int timeout_sec;     /* 0 = none */
        bool pty;            /* give the command a terminal (stdio[0] must be one) */
        bool quiet;          /* stdin/stdout/stderr to /dev/null */
        const char *user;    /* run as this user ("name", "uid", "name:group"); NULL = root */
        bool build_io;       /* stdin from /dev/null and stdout to stderr */
        /* the command's stdin, stdout and stderr: descriptors of the caller (with pty: the
         * terminal and where its output goes; unused when quiet). A terminal among them is
         * relayed through a pipe, never handed into the env. */
        int stdio[3];
        bool *timed_out; /* if not NULL: set when the command was killed at timeout_sec */
};

/* Run a command inside a running env; *status is its exit code (124 when killed at the
 * timeout, which also sets *spec->timed_out; 128+N when killed by signal N). What stops it from
 * being executed (entering the env, its user, its workdir, the program itself) is returned as an
 * error instead. */
int vers_sandbox_exec(const struct vers_exec_spec *spec, int *status, vers_error_t *err);

/* Set the hostname inside the env of PID 1 pid (a restored env keeps its source's). */
int vers_sandbox_set_hostname(pid_t pid, const char *name, vers_error_t *err);

struct vers_probe;
/* Wait until every probe of the env of PID 1 pid answers (os/probe.h), trying them from a
 * child in the env's mount and network namespaces (so a path resolves as the env sees it),
 * for at most timeout_ms, failing early when PID 1 exits or vers-init says a service
 * exited (/run/vers/exited-NAME; src/init/vers-init.c). running_only: a service nothing
 * listens for is not running and not waited for (a restored env keeps a service the user
 * stopped stopped). *listen_ms: how long until the first of them listened (the boot part
 * of the wait; the rest is the services' own readiness, a PostgreSQL's recovery). */
int vers_sandbox_probe(pid_t pid, const struct vers_probe *probes, size_t n, bool running_only,
                       int timeout_ms, double *listen_ms, vers_error_t *err);

/* Attach the env's socket rel (e.g. "run/postgresql/.s.PGSQL.5432", found inside the env's
 * mounts, symlinks resolved inside the env) over the file host_path, which it creates: a
 * host-side client connecting there reaches that socket and no other, whatever the env later
 * puts at rel. The mount goes stale (refused connections) when the socket is made anew. */
int vers_sandbox_share_socket(pid_t init_pid, const char *rel, const char *host_path,
                              vers_error_t *err);

/* Create the skeleton of an env root (directories, /usr links, /etc copy) in rootfs. */
int vers_sandbox_populate(const char *rootfs, vers_error_t *err);

#endif
