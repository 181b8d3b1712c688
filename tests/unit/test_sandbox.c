/* test_sandbox — the mount plan as data, the child error record, and no descriptor left open
 * when a pipe or a fork of the sandbox fails (pipe2 and fork are replaced below). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "os/harden.h"
#include "os/sandbox-private.h"
#include "base/util.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* ---- pipe2 and fork, made to fail on demand ------------------------------------------- */

/* the Nth call from now fails (0: none does) */
static int pipe2_fails_at, fork_fails_at;

int pipe2(int fds[2], int flags)
{
        static int (*real)(int[2], int);
        if (!real)
                real = (int (*)(int[2], int))dlsym(RTLD_NEXT, "pipe2");
        if (pipe2_fails_at > 0 && --pipe2_fails_at == 0) {
                errno = EMFILE;
                return -1;
        }
        return real(fds, flags);
}

pid_t fork(void)
{
        static pid_t (*real)(void);
        if (!real)
                real = (pid_t(*)(void))dlsym(RTLD_NEXT, "fork");
        if (fork_fails_at > 0 && --fork_fails_at == 0) {
                errno = EAGAIN;
                return -1;
        }
        return real();
}

static int count_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        assert_non_null(d);
        int n = 0;
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
                n += de->d_name[0] != '.';
        closedir(d);
        return n;
}

/* ---- the mount plan --------------------------------------------------------------------- */

struct fixture {
        char root[64];
};

static int setup_root(void **state)
{
        struct fixture *f = xcalloc(1, sizeof *f);
        snprintf(f->root, sizeof f->root, "/tmp/vers-test-sandbox.XXXXXX");
        assert_non_null(mkdtemp(f->root));
        *state = f;
        return 0;
}

static int teardown_root(void **state)
{
        struct fixture *f = *state;
        vers_rm_rf(f->root, NULL);
        free(f);
        return 0;
}

/* index of the first step of kind k with dest (NULL: any), or -1 */
static int find(const struct vers_sandbox_plan *p, enum vers_sandbox_step_kind k, const char *dest)
{
        for (size_t i = 0; i < p->n; i++) {
                if (p->steps[i].kind == k && (!dest || !strcmp(p->steps[i].dest, dest)))
                        return (int)i;
        }
        return -1;
}

static int count(const struct vers_sandbox_plan *p, enum vers_sandbox_step_kind k)
{
        int n = 0;
        for (size_t i = 0; i < p->n; i++)
                n += p->steps[i].kind == k;
        return n;
}

/* the steps every env has after its identity change, in order */
static void assert_env_tail(const struct vers_sandbox_plan *p, bool own_run)
{
        int id = find(p, VERS_STEP_IDENTITY, NULL);
        assert_true(id >= 0);
        assert_int_equal(count(p, VERS_STEP_IDENTITY), 1);
        for (size_t i = (size_t)id; i < p->n; i++)
                assert_int_not_equal(p->steps[i].kind, VERS_STEP_BIND);
        int dev = find(p, VERS_STEP_DEV, "dev"), proc = find(p, VERS_STEP_PROC, "proc"),
            sys = find(p, VERS_STEP_SYS, "sys"), run = find(p, VERS_STEP_TMPFS, "run");
        assert_true(id < dev && dev < proc && proc < sys);
        assert_int_equal(p->steps[dev].flags, MS_NOSUID | MS_NOEXEC);
        assert_int_equal(p->steps[proc].flags, MS_NOSUID | MS_NODEV | MS_NOEXEC);
        assert_true(p->steps[sys].flags & MS_RDONLY);
        int last = sys;
        if (own_run) {
                assert_int_equal(run, -1);
        } else {
                assert_true(sys < run);
                assert_int_equal(p->steps[run].flags, MS_NOSUID | MS_NODEV);
                assert_string_equal(p->steps[run].opts, "mode=755");
                last = run;
        }
        /* each masked and read-only path of harden.h, after the filesystems they are on */
        for (size_t i = 0; i < vers_n_mask_paths; i++) {
                const struct vers_mask_path *m = &vers_mask_paths[i];
                int k = find(p, m->kind == VERS_MASK ? VERS_STEP_MASK : VERS_STEP_READONLY,
                             m->path + 1);
                assert_true(k > last);
                assert_true(p->steps[k].flags & MS_RDONLY);
                assert_true(p->steps[k].allow_missing); /* not every kernel has each */
        }
        /* nothing else may be missing: a mount point that is not there is made or fails */
        for (size_t i = 0; i < p->n; i++) {
                if (p->steps[i].kind != VERS_STEP_MASK && p->steps[i].kind != VERS_STEP_READONLY)
                        assert_false(p->steps[i].allow_missing);
        }
        assert_int_equal(count(p, VERS_STEP_MASK) + count(p, VERS_STEP_READONLY),
                         (int)vers_n_mask_paths);
        assert_true(find(p, VERS_STEP_MASK, "proc/kcore") >= 0);
        assert_true(find(p, VERS_STEP_READONLY, "proc/sys") >= 0);
        assert_true(find(p, VERS_STEP_READONLY, "proc/sysrq-trigger") >= 0);
        /* the hostname after the mounts */
        int hn = find(p, VERS_STEP_HOSTNAME, NULL);
        assert_true(hn > find(p, VERS_STEP_READONLY, "proc/sys"));
        assert_int_equal(count(p, VERS_STEP_HOSTNAME), 1);
}

static void test_plan_env(void **state)
{
        struct fixture *f = *state;
        struct vers_sandbox_spec spec = {
            .rootfs = f->root,
            .project_dir = "/home/dev/shop",
            .hostname = "base",
        };
        struct vers_sandbox_plan p = {NULL, 0};
        vers_sandbox_plan_build(&spec, &p);
        int id = find(&p, VERS_STEP_IDENTITY, NULL);
        /* the host's directories, read-only, then the project, all before the identity */
        int usr = find(&p, VERS_STEP_BIND, "usr");
        assert_int_equal(usr, 0);
        assert_string_equal(p.steps[usr].src, "/usr");
        assert_int_equal(p.steps[usr].flags, MS_RDONLY);
        for (size_t i = 0; i < vers_sandbox_n_host_ro; i++) {
                _cleanup_free_ char *host = xasprintf("/%s", vers_sandbox_host_ro_dirs[i]);
                struct stat st;
                int k = find(&p, VERS_STEP_BIND, vers_sandbox_host_ro_dirs[i]);
                if (lstat(host, &st) == 0 && S_ISDIR(st.st_mode)) {
                        assert_true(k >= 0 && k < id);
                        assert_string_equal(p.steps[k].src, host);
                        assert_int_equal(p.steps[k].flags, MS_RDONLY);
                } else {
                        assert_int_equal(k, -1); /* a symlink into /usr: the image has it */
                }
        }
        int proj = find(&p, VERS_STEP_BIND, "home/dev/shop");
        assert_true(proj > usr && proj < id);
        assert_string_equal(p.steps[proj].src, "/home/dev/shop");
        assert_int_equal(p.steps[proj].flags, MS_NOSUID | MS_NODEV);
        assert_int_equal(id, count(&p, VERS_STEP_BIND));
        assert_env_tail(&p, false);
        assert_string_equal(p.steps[find(&p, VERS_STEP_HOSTNAME, NULL)].src, "base");
        /* an env of its own network: lo comes up, last */
        assert_int_equal(find(&p, VERS_STEP_LOOPBACK, NULL), (int)p.n - 1);
        vers_sandbox_plan_free(&p);
        assert_null(p.steps);
        assert_int_equal(p.n, 0);
}

static void test_plan_build_step(void **state)
{
        struct fixture *f = *state;
        /* a RUN step: the host's network, no project, the build's hostname */
        struct vers_sandbox_spec spec = {
            .rootfs = f->root, .hostname = "vers-build", .host_net = true};
        struct vers_sandbox_plan p = {NULL, 0};
        vers_sandbox_plan_build(&spec, &p);
        assert_true(find(&p, VERS_STEP_BIND, "usr") >= 0);
        for (size_t i = 0; i < p.n; i++) {
                if (p.steps[i].kind == VERS_STEP_BIND)
                        assert_int_equal(p.steps[i].flags, MS_RDONLY); /* no project */
        }
        assert_env_tail(&p, false);
        assert_string_equal(p.steps[find(&p, VERS_STEP_HOSTNAME, NULL)].src, "vers-build");
        assert_int_equal(find(&p, VERS_STEP_LOOPBACK, NULL), -1);
        vers_sandbox_plan_free(&p);

        /* a project that is "/" or relative is never bound; no hostname means "vers" */
        spec = (struct vers_sandbox_spec){.rootfs = f->root, .project_dir = "/"};
        vers_sandbox_plan_build(&spec, &p);
        for (size_t i = 0; i < p.n; i++) {
                if (p.steps[i].kind == VERS_STEP_BIND)
                        assert_int_equal(p.steps[i].flags, MS_RDONLY);
        }
        assert_string_equal(p.steps[find(&p, VERS_STEP_HOSTNAME, NULL)].src, "vers");
        assert_true(find(&p, VERS_STEP_LOOPBACK, NULL) >= 0);
        vers_sandbox_plan_free(&p);

        /* the root's own marker decides nothing (the env can write it): the caller says */
        _cleanup_free_ char *dir = xasprintf("%s/.vers", f->root);
        _cleanup_free_ char *marker = xasprintf("%s/" VERS_OWN_ROOT_MARKER, f->root);
        assert_int_equal(mkdir(dir, 0755), 0);
        assert_int_equal(vers_write_file_atomic(marker, "", 0, 0644, NULL), 0);
        spec = (struct vers_sandbox_spec){
            .rootfs = f->root, .project_dir = "/srv/app", .host_net = true};
        vers_sandbox_plan_build(&spec, &p);
        assert_true(count(&p, VERS_STEP_BIND) > 1);
        vers_sandbox_plan_free(&p);

        /* FROM debian:<suite>, a registry image: nothing of the host's, its own /run; the
         * project still */
        spec = (struct vers_sandbox_spec){
            .rootfs = f->root, .project_dir = "/srv/app", .host_net = true, .own_root = true};
        vers_sandbox_plan_build(&spec, &p);
        assert_int_equal(count(&p, VERS_STEP_BIND), 1);
        assert_int_equal(find(&p, VERS_STEP_BIND, "srv/app"), 0);
        assert_int_equal(p.steps[0].flags, MS_NOSUID | MS_NODEV);
        assert_env_tail(&p, true);
        vers_sandbox_plan_free(&p);
}

/* ---- the error record --------------------------------------------------------------------- */

static void test_err_record(void **state)
{
        (void)state;
        char rec[VERS_SANDBOX_ERR_MAX], msg[VERS_SANDBOX_ERR_MAX];
        int e = -1;
        size_t n = vers_sandbox_err_encode(rec, sizeof rec, ENOENT, "cannot run 'x' in the env");
        assert_int_equal(n, VERS_SANDBOX_ERR_HDR + strlen("cannot run 'x' in the env"));
        assert_int_equal(vers_sandbox_err_decode(rec, n, &e, msg, sizeof msg), (ssize_t)n);
        assert_int_equal(e, ENOENT);
        assert_string_equal(msg, "cannot run 'x' in the env");
        /* no errno, no message */
        n = vers_sandbox_err_encode(rec, sizeof rec, 0, "");
        assert_int_equal(n, VERS_SANDBOX_ERR_HDR);
        assert_int_equal(vers_sandbox_err_decode(rec, n, &e, msg, sizeof msg), (ssize_t)n);
        assert_int_equal(e, 0);
        assert_string_equal(msg, "");
        /* a message longer than the record is cut to fit */
        char big[2 * VERS_SANDBOX_ERR_MAX];
        memset(big, 'a', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        n = vers_sandbox_err_encode(rec, sizeof rec, EPERM, big);
        assert_int_equal(n, sizeof rec);
        assert_int_equal(vers_sandbox_err_decode(rec, n, &e, msg, sizeof msg), (ssize_t)n);
        assert_int_equal(strlen(msg), VERS_SANDBOX_ERR_MAX - VERS_SANDBOX_ERR_HDR);
        /* and so is one longer than the reader's buffer */
        char small[8];
        assert_int_equal(vers_sandbox_err_decode(rec, n, &e, small, sizeof small), (ssize_t)n);
        assert_string_equal(small, "aaaaaaa");
        /* a record that is not whole is none */
        n = vers_sandbox_err_encode(rec, sizeof rec, EIO, "boom");
        for (size_t k = 0; k < n; k++)
                assert_int_equal(vers_sandbox_err_decode(rec, k, &e, msg, sizeof msg), -1);
        /* nor one whose length says more than a record holds */
        uint32_t huge = VERS_SANDBOX_ERR_MAX;
        memcpy(rec + sizeof(int32_t), &huge, sizeof huge);
        assert_int_equal(vers_sandbox_err_decode(rec, sizeof rec, &e, msg, sizeof msg), -1);
        /* two in a row: the first is read */
        n = vers_sandbox_err_encode(rec, sizeof rec, EACCES, "first");
        size_t m = vers_sandbox_err_encode(rec + n, sizeof rec - n, EIO, "second");
        assert_int_equal(vers_sandbox_err_decode(rec, n + m, &e, msg, sizeof msg), (ssize_t)n);
        assert_int_equal(e, EACCES);
        assert_string_equal(msg, "first");
}

static void test_err_pipe(void **state)
{
        (void)state;
        int p[2];
        char msg[256], rec[VERS_SANDBOX_ERR_MAX];
        int e = 0;
        /* nothing written, writer gone: EOF is no error (an exec that succeeded) */
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        close(p[1]);
        assert_int_equal(vers_sandbox_err_read(p[0], &e, msg, sizeof msg), 0);
        close(p[0]);
        /* nothing written yet, non-blocking: none */
        assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
        assert_int_equal(vers_sandbox_err_read(p[0], &e, msg, sizeof msg), 0);
        /* a part of a record: malformed */
        size_t n = vers_sandbox_err_encode(rec, sizeof rec, EIO, "cut short");
        assert_int_equal(write(p[1], rec, n - 1), (ssize_t)n - 1);
        assert_int_equal(vers_sandbox_err_read(p[0], &e, msg, sizeof msg), -1);
        assert_int_equal(errno, EPROTO);
        close(p[0]);
        close(p[1]);
        /* a child that dies with a message: the parent has its errno and text */
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(p[0]);
                vers_sandbox_child_errfd(p[1]);
                vers_sandbox_child_die(ENOENT, "cannot run '%s' in the env", "nosuch");
        }
        close(p[1]);
        assert_int_equal(vers_sandbox_err_read(p[0], &e, msg, sizeof msg), 1);
        assert_int_equal(e, ENOENT);
        assert_string_equal(msg, "cannot run 'nosuch' in the env");
        assert_int_equal(vers_sandbox_err_read(p[0], &e, msg, sizeof msg), 0);
        close(p[0]);
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
}

/* ---- nothing left open when a pipe or a fork fails ---------------------------------------- */

/* call (with pipe2_fails_at or fork_fails_at set) fails, err saying what, and leaves no
 * descriptor open that it opened */
#define ASSERT_FAILS_CLEANLY(call, err, what)                                                      \
        do {                                                                                       \
                int before_ = count_fds();                                                         \
                assert_int_equal((call), -1);                                                      \
                pipe2_fails_at = fork_fails_at = 0;                                                \
                assert_int_equal(count_fds(), before_);                                            \
                assert_non_null(err);                                                              \
                assert_true(str_startswith((err)->msg, what));                                     \
                vers_error_free(&(err));                                                           \
        } while (0)

static bool have_pidfd(void)
{
        int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
        if (fd >= 0) {
                close(fd);
                return true;
        }
        fprintf(stderr, "note: no pidfd_open here (valgrind does not emulate it): the exec, "
                        "hostname and socket cases run in the plain pass only\n");
        return false;
}

static void test_no_fd_leak(void **state)
{
        struct fixture *f = *state;
        char *argv[] = {"/.vers/init", NULL};
        struct vers_sandbox_spec spec = {
            .envid = "leaktest", .rootfs = f->root, .hostname = "x", .init_argv = argv};
        pid_t pid = 0;
        vers_error_t err = NULL;
        /* start: each of its three pipes, then its fork (never reached for real here) */
        for (int k = 1; k <= 3; k++) {
                pipe2_fails_at = k;
                fork_fails_at = 1;
                ASSERT_FAILS_CLEANLY(vers_sandbox_start(&spec, &pid, &err), err, "pipe: ");
        }
        fork_fails_at = 1;
        ASSERT_FAILS_CLEANLY(vers_sandbox_start(&spec, &pid, &err), err, "fork: ");

        if (!have_pidfd())
                return;
        char *cmd[] = {"true", NULL};
        struct vers_exec_spec x = {
            .init_pid = getpid(), .argv = cmd, .quiet = true, .stdio = {0, 1, 2}};
        int status = -1;
        pipe2_fails_at = 1;
        fork_fails_at = 1;
        ASSERT_FAILS_CLEANLY(vers_sandbox_exec(&x, &status, &err), err, "pipe: ");
        fork_fails_at = 1;
        ASSERT_FAILS_CLEANLY(vers_sandbox_exec(&x, &status, &err), err, "fork: ");
        assert_int_equal(status, -1);

        pipe2_fails_at = 1;
        fork_fails_at = 1;
        ASSERT_FAILS_CLEANLY(vers_sandbox_set_hostname(getpid(), "x", &err), err, "pipe: ");
        fork_fails_at = 1;
        ASSERT_FAILS_CLEANLY(vers_sandbox_set_hostname(getpid(), "x", &err), err, "fork: ");

        _cleanup_free_ char *sock = xasprintf("%s/sock", f->root);
        pipe2_fails_at = 1;
        fork_fails_at = 1;
        ASSERT_FAILS_CLEANLY(vers_sandbox_share_socket(getpid(), "run/s", sock, &err), err,
                             "pipe: ");
        fork_fails_at = 1;
        ASSERT_FAILS_CLEANLY(vers_sandbox_share_socket(getpid(), "run/s", sock, &err), err,
                             "fork: ");

        /* a descriptor the caller hands in that is not open is refused before anything */
        struct vers_exec_spec bad = {.init_pid = getpid(), .argv = cmd, .stdio = {2, 2, 1 << 20}};
        fork_fails_at = 1;
        ASSERT_FAILS_CLEANLY(vers_sandbox_exec(&bad, &status, &err), err, "the command's stderr");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_plan_env, setup_root, teardown_root),
            cmocka_unit_test_setup_teardown(test_plan_build_step, setup_root, teardown_root),
            cmocka_unit_test(test_err_record),
            cmocka_unit_test(test_err_pipe),
            cmocka_unit_test_setup_teardown(test_no_fd_leak, setup_root, teardown_root),
        };
        return cmocka_run_group_tests_name("sandbox", tests, NULL, NULL);
}
