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

/* The intermediate process: joins the env's cgroup, waits for the caller's go, clones PID 1
 * (which is born in the cgroup) and exits at once, so that PID 1 is never the caller's child
 * and outlives this command. A process's first move into a cgroup waits for an RCU grace
 * period (the kernel's cgroup_threadgroup_rwsem), 10-15 ms here: made early, that wait
 * overlaps whatever the caller does before the go (the env's snapshot). */
__attribute__((noreturn)) static void spawn_mid(const struct vers_sandbox_spec *spec,
                                                const struct vers_sandbox_plan *plan, int go_fd,
                                                int sync_fd, int err_fd, int pid_fd)
{
        vers_sandbox_child_errfd(err_fd);
        vers_error_t cerr = NULL;
        if (vers_cgroup_attach(spec->envid, getpid(), &cerr) < 0)
                vers_sandbox_child_die(0, "%s", cerr->msg);
        char c;
        if (read(go_fd, &c, 1) != 1)
                _exit(0); /* the caller gave up */
        close(go_fd);
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
        if (pid < 0)
                vers_sandbox_child_die(errno, "cannot create namespaces");
        vers_write_all(pid_fd, &pid, sizeof pid);
        _exit(0);
}

static void launch_close(struct vers_sandbox_launch *l)
{
        int *fds[] = {&l->go, &l->sync, &l->err, &l->pid};
        for (size_t i = 0; i < sizeof fds / sizeof *fds; i++) {
                if (*fds[i] >= 0)
                        close(*fds[i]);
                *fds[i] = -1;
        }
}

int vers_sandbox_fork(const struct vers_sandbox_spec *spec, struct vers_sandbox_launch *l,
                      vers_error_t *err)
{
        /* go: the caller lets the middle process clone PID 1; sync: it lets PID 1 go once the
         * maps are written; errp: an error record of either, EOF when PID 1 is executed;
         * pidpipe: the pid of PID 1 */
        int go[2] = {-1, -1}, sync[2] = {-1, -1}, errp[2] = {-1, -1}, pidpipe[2] = {-1, -1};
        l->mid = -1;
        l->go = l->sync = l->err = l->pid = -1;
        l->idmap = spec->idmap;
        if (pipe2(go, O_CLOEXEC) < 0 || pipe2(sync, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
            pipe2(pidpipe, O_CLOEXEC) < 0) {
                int e = errno;
                close_pair(go);
                close_pair(sync);
                close_pair(errp);
                close_pair(pidpipe);
                return vers_make_error(err, e, "pipe");
        }
        int ret = vers_cgroup_create(spec->envid, spec->memory_mib, spec->vcpu, spec->pids, err);
        struct vers_sandbox_plan plan = {NULL, 0};
        if (ret == 0) {
                vers_sandbox_plan_build(spec, &plan);
                fflush(stdout);
                fflush(stderr);
                l->mid = fork();
                if (l->mid < 0)
                        ret = vers_make_error(err, errno, "fork");
        }
        if (l->mid == 0) {
                close(go[1]);
                close(sync[1]);
                close(errp[0]);
                close(pidpipe[0]);
                spawn_mid(spec, &plan, go[0], sync[0], errp[1], pidpipe[1]);
        }
        vers_sandbox_plan_free(&plan);
        close(go[0]);
        close(sync[0]);
        close(errp[1]);
        close(pidpipe[1]);
        l->go = go[1];
        l->sync = sync[1];
        l->err = errp[0];
        l->pid = pidpipe[0];
        if (ret < 0)
                launch_close(l);
        return ret;
}

void vers_sandbox_cancel(struct vers_sandbox_launch *l)
{
        if (l->mid > 0) {
                kill(l->mid, SIGKILL);
                while (waitpid(l->mid, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        l->mid = -1;
        launch_close(l);
}

int vers_sandbox_run(struct vers_sandbox_launch *l, pid_t *pidp, vers_error_t *err)
{
        int ret = 0, e = 0;
        char msg[VERS_SANDBOX_ERR_MAX];
        /* a middle process that died (its cgroup refused it) is told nothing: EPIPE */
        bool told = write(l->go, "x", 1) == 1;
        close(l->go);
        l->go = -1;
        int status;
        while (waitpid(l->mid, &status, 0) < 0 && errno == EINTR)
                ;
        l->mid = -1;
        pid_t pid = -1;
        ssize_t got = told ? read(l->pid, &pid, sizeof pid) : 0;
        if (got != (ssize_t)sizeof pid) {
                close(l->sync); /* a PID 1 that was made after all gives up */
                l->sync = -1;
                if (vers_sandbox_err_read(l->err, &e, msg, sizeof msg) == 1)
                        ret = vers_make_error(err, e, "%s", msg);
                else
                        ret = vers_make_error(err, 0, "cannot start the env");
                goto out;
        }
        if (write_map(pid, l->idmap, false, err) < 0 || write_map(pid, l->idmap, true, err) < 0) {
                kill(pid, SIGKILL);
                ret = -1;
                goto out;
        }
        if (write(l->sync, "x", 1) != 1) {
                kill(pid, SIGKILL);
                ret = vers_make_error(err, errno, "cannot start the env");
                goto out;
        }
        close(l->sync);
        l->sync = -1;
        int r = vers_sandbox_err_read(l->err, &e, msg, sizeof msg);
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
        launch_close(l);
        return ret;
}

int vers_sandbox_start(const struct vers_sandbox_spec *spec, pid_t *pidp, vers_error_t *err)
{
        struct vers_sandbox_launch l;
        if (vers_sandbox_fork(spec, &l, err) < 0)
                return -1;
        return vers_sandbox_run(&l, pidp, err);
}
