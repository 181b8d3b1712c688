/* vers doctor: what this machine can do */
#include "os/cgroup.h"
#include "cli.h"
#include "os/criu.h"
#include "os/harden.h"
#include "os/idmap.h"

#include <inttypes.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

struct check {
        const char *what;
        bool ok;
        char *detail;
};

static bool file_has(const char *path, const char *needle)
{
        _cleanup_free_ char *text = NULL;
        return vers_read_file(path, &text, NULL, NULL) == 0 && strstr(text, needle);
}

int cmd_doctor(int argc, char **argv)
{
        if (cli_wants_help(argc, argv)) {
                printf("usage: vers doctor [--json]\n\nReport the kernel, CRIU and what works on "
                       "this machine: btrfs, loop devices,\nnamespaces, cgroups, seccomp, warm "
                       "checkpoints, PostgreSQL; the host ids of VERS_ROOT's\nenvs, and what the "
                       "sandbox enforces in every env (seccomp, capabilities,\nmasked and "
                       "read-only paths).\n");
                return 0;
        }
        bool json = argc > 1 && !strcmp(argv[1], "--json");
        if (argc > 1 && !json)
                return cli_usage_error("vers doctor [--json]", "unexpected argument '%s'", argv[1]);
        struct utsname u;
        uname(&u);
        vers_error_t serr = NULL;
        int rules = vers_harden_seccomp_rules(&serr);
        /* the host ids of this root's envs, if it has been used (doctor never makes one) */
        const char *root = getenv("VERS_ROOT");
        _cleanup_free_ char *idfile = xasprintf("%s/idmap", root && *root ? root : "/var/lib/vers");
        _cleanup_free_ char *idtext = NULL;
        struct vers_idmap m;
        _cleanup_free_ char *ids = NULL;
        unsigned long long b = 0, ru = 0, rg = 0;
        if (vers_read_file(idfile, &idtext, NULL, NULL) == 0 &&
            sscanf(idtext, "%llu %llu %llu", &b, &ru, &rg) == 3) {
                m = (struct vers_idmap){(uint32_t)b, (uint32_t)ru, (uint32_t)rg};
                ids =
                    xasprintf("host %" PRIu32 "-%" PRIu32 ", env root is host uid %" PRIu32 " (%s)",
                              m.base, m.base + VERS_IDMAP_COUNT - 1, m.root_uid, idfile);
        } else {
                ids = xstrdup("a host range is allocated when the root is first used");
        }
        const struct vers_criu_info *ci = vers_criu_probe();
        struct check checks[] = {
            {"root", geteuid() == 0, xstrdup(geteuid() == 0 ? "yes" : "vers must run as root")},
            {"btrfs", file_has("/proc/filesystems", "btrfs"),
             xstrdup("btrfs in /proc/filesystems")},
            {"loop devices", vers_path_exists("/dev/loop-control"), xstrdup("/dev/loop-control")},
            {"user namespaces", vers_path_exists("/proc/self/ns/user"),
             xstrdup("/proc/self/ns/user")},
            {"cgroups", !strstr(vers_cgroup_describe(), "no usable"),
             xstrdup(vers_cgroup_describe())},
            {"mkfs.btrfs",
             access("/usr/sbin/mkfs.btrfs", X_OK) == 0 || access("/sbin/mkfs.btrfs", X_OK) == 0,
             xstrdup("btrfs-progs")},
            {"postgres@15", access("/usr/lib/postgresql/15/bin/postgres", X_OK) == 0,
             xstrdup("/usr/lib/postgresql/15/bin/postgres")},
            {"seccomp", rules > 0,
             rules > 0 ? xasprintf("libseccomp %u.%u.%u, %d rules", seccomp_version()->major,
                                   seccomp_version()->minor, seccomp_version()->micro, rules)
                       : xstrdup(serr->msg)},
            {"env ids", true, xstrdup(ids)},
            {"warm checkpoints", ci->usable,
             ci->usable ? xasprintf("CRIU %s (%s)", ci->version, ci->path) : xstrdup(ci->why)},
        };
        size_t n = sizeof checks / sizeof checks[0];
        bool all = true;
        if (json) {
                struct strbuf sb = STRBUF_INIT;
                strbuf_addstr(&sb, "{\"kernel\": ");
                strbuf_add_json_str(&sb, u.release);
                strbuf_addstr(&sb, ", \"criu\": ");
                if (ci->version)
                        strbuf_add_json_str(&sb, ci->version);
                else
                        strbuf_addstr(&sb, "null");
                strbuf_addf(&sb, ", \"commit_mode\": \"%s\", \"checks\": {",
                            ci->usable ? "warm" : "cold");
                for (size_t i = 0; i < n; i++) {
                        strbuf_addstr(&sb, i ? ", " : "");
                        strbuf_add_json_str(&sb, checks[i].what);
                        strbuf_addf(&sb,
                                    ": {\"ok\": %s, \"detail\": ", checks[i].ok ? "true" : "false");
                        strbuf_add_json_str(&sb, checks[i].detail);
                        strbuf_addstr(&sb, "}");
                }
                strbuf_addstr(&sb, "}}\n");
                fputs(sb.buf, stdout);
                strbuf_release(&sb);
        } else {
                printf("kernel           %s\n", u.release);
                printf("criu             %s\n", ci->version ? ci->version : "not found");
                for (size_t i = 0; i < n; i++)
                        printf("%-16s %-4s %s\n", checks[i].what, checks[i].ok ? "ok" : "NO",
                               checks[i].detail);
                printf("commits will be  %s\n",
                       ci->usable ? "warm (processes and memory too)" : "cold (disk only)");
                struct strbuf sb = STRBUF_INIT;
                vers_harden_describe(&sb);
                printf("in every env:\n");
                for (char *l = sb.buf, *nl; *l; l = nl + 1) {
                        nl = strchr(l, '\n');
                        printf("  %.*s\n", (int)(nl - l), l);
                }
                strbuf_release(&sb);
        }
        for (size_t i = 0; i < n; i++) {
                /* warm checkpoints are optional: vers works without them */
                if (!checks[i].ok && strcmp(checks[i].what, "warm checkpoints") != 0)
                        all = false;
                free(checks[i].detail);
        }
        vers_error_free(&serr);
        return all ? 0 : 1;
}
