/* sandbox-spawn — starting an env's PID 1: clone, id maps, cgroup attach, sync, pivot_root. */
#include "os/sandbox-private.h"
#include "os/cgroup.h"
#include "os/harden.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>

struct child_args {
        const struct vers_sandbox_spec *spec;
        const struct vers_sandbox_plan *plan;
        int sync_fd; /* read end: parent says go */
        int err_fd;  /* write end: an error record; EOF at exec means success */
};

static int child_main(void *arg)
{
        struct child_args *a = arg;
        const struct vers_sandbox_spec *spec = a->spec;
        vers_sandbox_child_errfd(a->err_fd);
        char c;
        if (read(a->sync_fd, &c, 1) != 1)
                _exit(1); /* parent gave up */
        close(a->sync_fd);
        if (setsid() < 0)
                vers_sandbox_child_die(errno, "setsid");
        if (unshare(CLONE_NEWCGROUP) < 0)
                vers_sandbox_child_die(errno, "cannot create a cgroup namespace");
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                vers_sandbox_child_die(errno, "cannot make mounts private");
        if (mount(spec->rootfs, spec->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
                vers_sandbox_child_die(errno, "cannot bind the env root '%s'", spec->rootfs);
        /* the plan works relative to the new root: once this process has the env's ids it
         * may not walk the store's host directories to it */
        if (chdir(spec->rootfs) < 0)
                vers_sandbox_child_die(errno, "chdir");
        vers_sandbox_plan_run(a->plan);
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                vers_sandbox_child_die(errno, "pivot_root");
        if (umount2(".", MNT_DETACH) < 0)
                vers_sandbox_child_die(errno, "cannot detach the old root");
        if (chdir("/") < 0)
                vers_sandbox_child_die(errno, "chdir /");

        /* PID 1's output goes to the env's own log. Both are opened inside the new root, so
         * that every descriptor of the env refers to something in its own mounts (a
         * checkpoint can only name files it can see). */
        int log = open("/var/log/vers/init.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (log < 0 || nul < 0)
                vers_sandbox_child_die(errno, "cannot open /var/log/vers/init.log or /dev/null");

        if (dup2(nul, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
                vers_sandbox_child_die(errno, "dup2");
        /* every inherited descriptor goes at exec; the error pipe stays usable until then */
        if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                vers_sandbox_child_die(errno, "close_range");
        char why[256];
        if (vers_harden_apply(why, sizeof why) < 0)
                vers_sandbox_child_die(errno, "%s", why);
        char *envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                        "LANG=C.UTF-8", "HOME=/root", NULL};
        execve(spec->init_argv[0], spec->init_argv, envp);
        vers_sandbox_child_die(errno, "cannot execute %s", spec->init_argv[0]);
}

static int write_map(pid_t pid, const struct vers_idmap *m, bool gid, vers_error_t *err)
{
        char path[64], map[128];
        snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, gid ? "gid_map" : "uid_map");
        vers_idmap_format(m, gid, map, sizeof map);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, map, strlen(map)) != (ssize_t)strlen(map))
                return vers_make_error(err, errno, "cannot write %s", path);
        return 0;
}

static void close_pair(int p[2])
{
        for (size_t j = 0; j < 2; j++) {
                if (p[j] >= 0)
                        close(p[j]);
                p[j] = -1;
        }
}

/* The intermediate process: clones PID 1 and exits at once, so that PID 1 is never the
 * caller's child and outlives this command. */
__attribute__((noreturn)) static void spawn_mid(const struct vers_sandbox_spec *spec,
                                                const struct vers_sandbox_plan *plan, int sync_fd,
                                                int err_fd, int pid_fd)
{
        struct child_args a = {spec, plan, sync_fd, err_fd};
        int flags = VERS_SANDBOX_NS;
        if (spec->host_net)
                flags &= ~CLONE_NEWNET;
        /* fork-like (no stack of its own, as crun does): the child runs on its copy of this
         * stack, which is also what sanitizers expect of it */
        pid_t pid =
            (pid_t)syscall(SYS_clone, (unsigned long)(flags | SIGCHLD), NULL, NULL, NULL, NULL);
        if (pid == 0)
                _exit(child_main(&a));
        if (pid < 0) {
                vers_sandbox_child_errfd(err_fd);
                vers_sandbox_child_die(errno, "cannot create namespaces");
        }
        vers_write_all(pid_fd, &pid, sizeof pid);
        _exit(0);
}

int vers_sandbox_start(const struct vers_sandbox_spec *spec, pid_t *pidp, vers_error_t *err)
{
        /* sync: the parent says go once the maps and the cgroup are in place; errp: the
         * child's error record, EOF when PID 1 is executed; pidp: the pid of PID 1 */
        int sync[2] = {-1, -1}, errp[2] = {-1, -1}, pidpipe[2] = {-1, -1};
        if (pipe2(sync, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
            pipe2(pidpipe, O_CLOEXEC) < 0) {
                int e = errno;
                close_pair(sync);
                close_pair(errp);
                close_pair(pidpipe);
                return vers_make_error(err, e, "pipe");
        }
        struct vers_sandbox_plan plan = {NULL, 0};
        vers_sandbox_plan_build(spec, &plan);
        pid_t mid = fork();
        if (mid < 0) {
                int e = errno;
                vers_sandbox_plan_free(&plan);
                close_pair(sync);
                close_pair(errp);
                close_pair(pidpipe);
                return vers_make_error(err, e, "fork");
        }
        if (mid == 0) {
                close(sync[1]);
                close(errp[0]);
                close(pidpipe[0]);
                spawn_mid(spec, &plan, sync[0], errp[1], pidpipe[1]);
        }
        close(sync[0]);
        close(errp[1]);
        close(pidpipe[1]);
        vers_sandbox_plan_free(&plan);
        int status;
        while (waitpid(mid, &status, 0) < 0 && errno == EINTR)
                ;
        pid_t pid = -1;
        ssize_t got = read(pidpipe[0], &pid, sizeof pid);
        close(pidpipe[0]);
        int ret = 0, e = 0;
        char msg[VERS_SANDBOX_ERR_MAX];
        if (got != (ssize_t)sizeof pid) {
                close_pair(sync); /* a PID 1 that was made after all gives up */
                if (vers_sandbox_err_read(errp[0], &e, msg, sizeof msg) == 1)
                        ret = vers_make_error(err, e, "%s", msg);
                else
                        ret = vers_make_error(err, 0, "cannot start the env");
                goto out;
        }
        if (write_map(pid, spec->idmap, false, err) < 0 ||
            write_map(pid, spec->idmap, true, err) < 0 ||
            vers_cgroup_create(spec->envid, spec->memory_mib, spec->vcpu, spec->pids, err) < 0 ||
            vers_cgroup_attach(spec->envid, pid, err) < 0) {
                kill(pid, SIGKILL);
                ret = -1;
                goto out;
        }
        if (write(sync[1], "x", 1) != 1) {
                kill(pid, SIGKILL);
                ret = vers_make_error(err, errno, "cannot start the env");
                goto out;
        }
        close(sync[1]);
        sync[1] = -1;
        int r = vers_sandbox_err_read(errp[0], &e, msg, sizeof msg);
        if (r != 0) {
                kill(pid, SIGKILL);
                if (r > 0)
                        ret = vers_make_error(err, e, "env setup failed: %s", msg);
                else
                        ret = vers_make_error(err, errno, "env setup failed");
                goto out;
        }
        *pidp = pid;
out:
        close_pair(sync);
        close_pair(errp);
        return ret;
}
