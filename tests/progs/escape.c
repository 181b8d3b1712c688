/* escape — tries, from inside an env, the syscalls an env must not have, and prints one line
 * per attempt: "NAME ok" when the kernel let it through (the attempt is undone at once where
 * it made something), or "NAME ERRNO-NAME" when it was refused. 13-security.bats runs it in a
 * cold env and in a warm branch and checks every line. */
#include <errno.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *name, long rc, int e)
{
        if (rc >= 0)
                printf("%s ok\n", name);
        else
                printf("%s %s\n", name, strerrorname_np(e) ? strerrorname_np(e) : "?");
        fflush(stdout);
}

#define TRY(name, expr)                                                                            \
        do {                                                                                       \
                errno = 0;                                                                         \
                long rc_ = (long)(expr);                                                           \
                report(name, rc_, errno);                                                          \
        } while (0)

int main(int argc, char **argv)
{
        const char *dir = argc > 1 ? argv[1] : "/var/tmp";

        /* a btrfs subvolume, the ioctl number as is and with high bits set (the kernel reads
         * the low 32) */
        int dfd = open(dir, O_RDONLY | O_DIRECTORY);
        struct btrfs_ioctl_vol_args va;
        memset(&va, 0, sizeof va);
        strcpy(va.name, "escape-sv");
        long rc = ioctl(dfd, BTRFS_IOC_SUBVOL_CREATE, &va);
        report("btrfs_subvol_create", rc, errno);
        unsigned long hi = 0xdead000000000000UL | BTRFS_IOC_SUBVOL_CREATE;
        rc = syscall(SYS_ioctl, dfd, hi, &va);
        report("btrfs_subvol_create_hibits", rc, errno);
        struct btrfs_ioctl_vol_args_v2 v2;
        memset(&v2, 0, sizeof v2);
        strcpy(v2.name, "escape-sv2");
        rc = ioctl(dfd, BTRFS_IOC_SUBVOL_CREATE_V2, &v2);
        report("btrfs_subvol_create_v2", rc, errno);
        v2.fd = dfd;
        strcpy(v2.name, "escape-snap");
        rc = ioctl(dfd, BTRFS_IOC_SNAP_CREATE_V2, &v2);
        report("btrfs_snap_create_v2", rc, errno);

        TRY("unshare_user", unshare(CLONE_NEWUSER));
        TRY("unshare_mnt", unshare(CLONE_NEWNS));
        TRY("clone3", syscall(SYS_clone3, NULL, 0));
        TRY("mount_tmpfs", mount("none", dir, "tmpfs", 0, NULL));
        if (errno == 0)
                umount2(dir, MNT_DETACH);
        TRY("remount_usr_rw", mount(NULL, "/usr", NULL, MS_REMOUNT | MS_BIND, NULL));
        if (errno == 0)
                mount(NULL, "/usr", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
        TRY("keyctl", syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "escape"));
        TRY("add_key", syscall(SYS_add_key, "user", "escape", "x", 1, KEY_SPEC_PROCESS_KEYRING));
        TRY("bpf", syscall(SYS_bpf, 0, NULL, 0));
        TRY("perf_event_open", syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
        TRY("open_by_handle_at", syscall(SYS_open_by_handle_at, dfd, NULL, 0));
        TRY("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0));
        TRY("init_module", syscall(SYS_init_module, NULL, 0, ""));
        TRY("setns", syscall(SYS_setns, dfd, 0));
        TRY("sethostname", sethostname("escape", 6));
        /* a syscall number libseccomp 2.5 does not know */
        TRY("unknown_syscall", syscall(462, 0, 0, 0));
        TRY("tiocsti", ioctl(0, TIOCSTI, "x"));
        /* lifting a capability the env does not have */
        printf("cap_sys_admin %s\n",
               prctl(PR_CAPBSET_READ, 21 /* CAP_SYS_ADMIN */) == 1 ? "ok" : "absent");
        close(dfd);
        return 0;
}
