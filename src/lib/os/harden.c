#include "os/harden.h"

#include <errno.h>
#include <linux/btrfs.h>
#include <linux/fs.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

/* ---- masked and read-only paths (runc's and crun's defaults) ------------------------------ */

const struct vers_mask_path vers_mask_paths[] = {
    {"/proc/acpi", VERS_MASK},
    {"/proc/asound", VERS_MASK},
    {"/proc/kcore", VERS_MASK},
    {"/proc/keys", VERS_MASK},
    {"/proc/latency_stats", VERS_MASK},
    {"/proc/timer_list", VERS_MASK},
    {"/proc/timer_stats", VERS_MASK},
    {"/proc/sched_debug", VERS_MASK},
    {"/proc/scsi", VERS_MASK},
    {"/sys/firmware", VERS_MASK},
    {"/sys/devices/virtual/powercap", VERS_MASK},
    {"/proc/bus", VERS_READONLY},
    {"/proc/fs", VERS_READONLY},
    {"/proc/irq", VERS_READONLY},
    {"/proc/sys", VERS_READONLY},
    {"/proc/sysrq-trigger", VERS_READONLY},
};
const size_t vers_n_mask_paths = sizeof vers_mask_paths / sizeof vers_mask_paths[0];

/* ---- capabilities (Docker's default set) ---------------------------------------------------- */

static const int kept_caps[] = {
    CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,
    CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,           CAP_SETUID,
    CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
    CAP_KILL,    CAP_AUDIT_WRITE,
};
#define N_KEPT (sizeof kept_caps / sizeof kept_caps[0])

static bool cap_kept(int cap)
{
        for (size_t i = 0; i < N_KEPT; i++)
                if (kept_caps[i] == cap)
                        return true;
        return false;
}

static int drop_caps(char *why, size_t n)
{
        for (int cap = 0; cap <= 63; cap++) {
                if (cap_kept(cap))
                        continue;
                if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
                        if (errno == EINVAL)
                                break; /* past the kernel's last capability */
                        snprintf(why, n, "cannot drop capability %d from the bounding set", cap);
                        return -1;
                }
        }
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
                snprintf(why, n, "cannot clear the ambient capabilities");
                return -1;
        }
        struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct data[2];
        memset(data, 0, sizeof data);
        for (size_t i = 0; i < N_KEPT; i++) {
                int c = kept_caps[i];
                data[c / 32].effective |= 1u << (c % 32);
                data[c / 32].permitted |= 1u << (c % 32);
                data[c / 32].inheritable |= 1u << (c % 32);
        }
        if (syscall(SYS_capset, &hdr, data) < 0) {
                snprintf(why, n, "cannot set the env's capabilities");
                return -1;
        }
        return 0;
}

/* ---- seccomp (in the spirit of Docker's default profile) ----------------------------------- */

/* Syscalls that fail with EPERM: the kernel's own state (modules, kexec, keys, bpf, perf,
 * clocks, swap, reboot, accounting), file handles that walk around the mount tree, mounts and
 * namespaces (also refused for lack of CAP_SYS_ADMIN; denied twice), io_uring (which CRIU
 * cannot dump), userfaultfd, and what Docker's profile keeps for CAP_SYS_PTRACE and
 * CAP_SYS_NICE (other processes' memory, NUMA placement). */
static const char *denied[] = {
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "perf_event_open",
    "open_by_handle_at",
    "name_to_handle_at",
    "setns",
    "mount",
    "umount",
    "umount2",
    "pivot_root",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    "swapon",
    "swapoff",
    "reboot",
    "syslog",
    "acct",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "iopl",
    "ioperm",
    "quotactl",
    "quotactl_fd",
    "nfsservctl",
    "lookup_dcookie",
    "vm86",
    "vm86old",
    "uselib",
    "_sysctl",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "fanotify_init",
    "kcmp",
    "process_vm_readv",
    "process_vm_writev",
    "mbind",
    "set_mempolicy",
    "migrate_pages",
    "move_pages",
};

/* Namespace flags refused to clone and unshare: a nested user namespace would give its
 * creator every capability again, over objects it makes there. */
static const unsigned long ns_flags[] = {CLONE_NEWUSER,   CLONE_NEWNS,  CLONE_NEWPID,
                                         CLONE_NEWNET,    CLONE_NEWUTS, CLONE_NEWIPC,
                                         CLONE_NEWCGROUP, CLONE_NEWTIME};

/* 32-bit layouts of two btrfs ioctls (fs/btrfs/ioctl.c): same numbers, other sizes */
#define BTRFS_IOC_SET_RECEIVED_SUBVOL_32 _IOC(_IOC_READ | _IOC_WRITE, BTRFS_IOCTL_MAGIC, 37, 192)
#define BTRFS_IOC_SEND_32 _IOC(_IOC_WRITE, BTRFS_IOCTL_MAGIC, 38, 68)

/* ioctls refused: btrfs subvolumes, snapshots, quotas, devices, balance, features and labels
 * (a nested subvolume or a snapshot would leave the env's disk quota), and typing into a
 * terminal vers shares with the env. Compared on the low 32 bits, as the kernel reads them. */
static const unsigned long denied_ioctls[] = {
    BTRFS_IOC_SNAP_CREATE,
    BTRFS_IOC_SNAP_CREATE_V2,
    BTRFS_IOC_SUBVOL_CREATE,
    BTRFS_IOC_SUBVOL_CREATE_V2,
    BTRFS_IOC_SNAP_DESTROY,
    BTRFS_IOC_SNAP_DESTROY_V2,
    BTRFS_IOC_SUBVOL_SETFLAGS,
    BTRFS_IOC_DEFAULT_SUBVOL,
    BTRFS_IOC_SET_RECEIVED_SUBVOL,
    BTRFS_IOC_SET_RECEIVED_SUBVOL_32,
    BTRFS_IOC_SEND,
    BTRFS_IOC_SEND_32,
    BTRFS_IOC_QUOTA_CTL,
    BTRFS_IOC_QGROUP_ASSIGN,
    BTRFS_IOC_QGROUP_CREATE,
    BTRFS_IOC_QGROUP_LIMIT,
    BTRFS_IOC_QUOTA_RESCAN,
    BTRFS_IOC_QUOTA_RESCAN_WAIT,
    BTRFS_IOC_RESIZE,
    BTRFS_IOC_SCAN_DEV,
    BTRFS_IOC_FORGET_DEV,
    BTRFS_IOC_ADD_DEV,
    BTRFS_IOC_RM_DEV,
    BTRFS_IOC_RM_DEV_V2,
    BTRFS_IOC_DEV_REPLACE,
    BTRFS_IOC_BALANCE,
    BTRFS_IOC_BALANCE_V2,
    BTRFS_IOC_BALANCE_CTL,
    BTRFS_IOC_SCRUB,
    BTRFS_IOC_SCRUB_CANCEL,
    BTRFS_IOC_SET_FEATURES,
    BTRFS_IOC_SET_FSLABEL,
    BTRFS_IOC_ENCODED_WRITE,
    BTRFS_IOC_TRANS_START,
    TIOCSTI,
    TIOCLINUX,
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
/* syscall numbers scanned for ones libseccomp does not know (they get ENOSYS) */
#define MAX_SYSCALL_NR 1024

static bool is_denied(const char *name)
{
        for (size_t i = 0; i < N_OF(denied); i++)
                if (!strcmp(denied[i], name))
                        return true;
        return false;
}

/* Build the filter: allowed by default; the tables above refused; clone3 (whose flags a
 * filter cannot read) and every syscall libseccomp does not know get ENOSYS, so a newer
 * kernel's syscalls are not open by default and libc falls back to the older ones. Other
 * architectures' syscalls (i386, x32) kill the process. */
static scmp_filter_ctx build_filter(int *nrules, const char **what)
{
        int rules = 0;
        *what = "seccomp_init";
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx)
                return NULL;
        int rc = 0;
        if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0 ||
            (rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0 ||
            /* a binary tree: every syscall of the env's databases passes this filter */
            (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0)
                goto fail;
        for (int nr = 0; nr < MAX_SYSCALL_NR; nr++) {
                char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
                if (!name) {
                        *what = "unknown syscalls";
                        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
                } else if (is_denied(name) || !strcmp(name, "clone3")) {
                        *what = name;
                        rc = seccomp_rule_add(
                            ctx, SCMP_ACT_ERRNO(strcmp(name, "clone3") ? EPERM : ENOSYS), nr, 0);
                } else {
                        rc = 1; /* allowed by default */
                }
                free(name);
                if (rc < 0)
                        goto fail;
                if (rc == 0)
                        rules++;
        }
        for (size_t i = 0; i < N_OF(ns_flags); i++) {
                *what = "clone/unshare";
                if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                                           SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]))) <
                        0 ||
                    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1,
                                           SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]))) <
                        0)
                        goto fail;
                rules += 2;
        }
        for (size_t i = 0; i < N_OF(denied_ioctls); i++) {
                *what = "ioctl";
                if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                                           SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL,
                                                   denied_ioctls[i] & 0xffffffffUL))) < 0)
                        goto fail;
                rules++;
        }
        *nrules = rules;
        return ctx;
fail:
        errno = -rc;
        seccomp_release(ctx);
        return NULL;
}

int vers_harden_seccomp_rules(vers_error_t *err)
{
        int n = 0;
        const char *what = NULL;
        scmp_filter_ctx ctx = build_filter(&n, &what);
        if (!ctx)
                return vers_make_error(err, errno, "cannot build the seccomp filter (%s)", what);
        seccomp_release(ctx);
        return n;
}

int vers_harden_apply(char *why, size_t n)
{
        int rules = 0;
        const char *what = NULL;
        scmp_filter_ctx ctx = build_filter(&rules, &what);
        if (!ctx) {
                snprintf(why, n, "cannot build the seccomp filter (%s)", what);
                return -1;
        }
        /* loading needs CAP_SYS_ADMIN in the env's namespace (or no_new_privs, which would
         * break setuid programs inside): load before the capabilities go */
        int rc = seccomp_load(ctx);
        seccomp_release(ctx);
        if (rc < 0) {
                errno = -rc;
                snprintf(why, n, "cannot load the seccomp filter");
                return -1;
        }
        return drop_caps(why, n);
}

void vers_harden_describe(struct strbuf *sb)
{
        vers_error_t err = NULL;
        int rules = vers_harden_seccomp_rules(&err);
        if (rules < 0) {
                strbuf_addf(sb, "seccomp: unavailable: %s\n", err->msg);
                vers_error_free(&err);
        } else {
                strbuf_addf(sb,
                            "seccomp: %d rules (%zu syscalls and %zu ioctls refused, nested "
                            "namespaces refused, unknown syscalls ENOSYS, other architectures "
                            "killed)\n",
                            rules, N_OF(denied), N_OF(denied_ioctls));
        }
        strbuf_addstr(sb, "capabilities:");
        for (size_t i = 0; i < N_KEPT; i++) {
                static const char *names[64] = {
                    [CAP_CHOWN] = "chown",
                    [CAP_DAC_OVERRIDE] = "dac_override",
                    [CAP_FSETID] = "fsetid",
                    [CAP_FOWNER] = "fowner",
                    [CAP_MKNOD] = "mknod",
                    [CAP_NET_RAW] = "net_raw",
                    [CAP_SETGID] = "setgid",
                    [CAP_SETUID] = "setuid",
                    [CAP_SETFCAP] = "setfcap",
                    [CAP_SETPCAP] = "setpcap",
                    [CAP_NET_BIND_SERVICE] = "net_bind_service",
                    [CAP_SYS_CHROOT] = "sys_chroot",
                    [CAP_KILL] = "kill",
                    [CAP_AUDIT_WRITE] = "audit_write",
                };
                strbuf_addf(sb, " %s", names[kept_caps[i]]);
        }
        strbuf_addstr(sb, " (Docker's default set; no sys_admin)\n");
        strbuf_addstr(sb, "masked:");
        for (size_t i = 0; i < vers_n_mask_paths; i++)
                if (vers_mask_paths[i].kind == VERS_MASK)
                        strbuf_addf(sb, " %s", vers_mask_paths[i].path);
        strbuf_addstr(sb, "\nread-only:");
        for (size_t i = 0; i < vers_n_mask_paths; i++)
                if (vers_mask_paths[i].kind == VERS_READONLY)
                        strbuf_addf(sb, " %s", vers_mask_paths[i].path);
        strbuf_addstr(sb, " /sys\n");
}
