#include "engine/doctor.h"
#include "engine/engine-private.h"
#include "base/strbuf.h"
#include "os/cgroup.h"
#include "os/criu.h"
#include "os/harden.h"
#include "os/idmap.h"
#include "services/services.h"

#include <inttypes.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

static bool file_has(const char *path, const char *needle)
{
        _cleanup_free_ char *text = NULL;
        return vers_read_file(path, &text, NULL, NULL) == 0 && strstr(text, needle);
}

/* the host ids of this root's envs, if it has been used (doctor never makes one) */
static char *env_ids(void)
{
        const char *root = getenv("VERS_ROOT");
        _cleanup_free_ char *idfile =
            xasprintf("%s/idmap", root && *root ? root : VERS_DEFAULT_ROOT);
        _cleanup_free_ char *idtext = NULL;
        unsigned long long b = 0, ru = 0, rg = 0;
        if (vers_read_file(idfile, &idtext, NULL, NULL) < 0 ||
            sscanf(idtext, "%llu %llu %llu", &b, &ru, &rg) != 3)
                return xstrdup("a host range is allocated when the root is first used");
        struct vers_idmap m = {(uint32_t)b, (uint32_t)ru, (uint32_t)rg};
        return xasprintf("host %" PRIu32 "-%" PRIu32 ", env root is host uid %" PRIu32 " (%s)",
                         m.base, m.base + VERS_IDMAP_COUNT - 1, m.root_uid, idfile);
}

static void add(struct vers_doctor_report *r, const char *what, bool ok, char *detail)
{
        r->checks = xrealloc(r->checks, (r->n_checks + 1) * sizeof *r->checks);
        r->checks[r->n_checks++] = (struct vers_doctor_check){what, ok, false, detail};
}

void vers_doctor(struct vers_doctor_report *r)
{
        memset(r, 0, sizeof *r);
        struct utsname u;
        uname(&u);
        r->kernel = xstrdup(u.release);
        vers_error_t serr = NULL;
        int rules = vers_harden_seccomp_rules(&serr);
        const struct vers_criu_info *ci = vers_criu_probe();
        r->criu = ci->version ? xstrdup(ci->version) : NULL;
        r->warm = ci->usable;
        bool root = geteuid() == 0;
        add(r, "root", root, xstrdup(root ? "yes" : "vers must run as root"));
        add(r, "btrfs", file_has("/proc/filesystems", "btrfs"),
            xstrdup("btrfs in /proc/filesystems"));
        add(r, "loop devices", vers_path_exists("/dev/loop-control"), xstrdup("/dev/loop-control"));
        add(r, "user namespaces", vers_path_exists("/proc/self/ns/user"),
            xstrdup("/proc/self/ns/user"));
        add(r, "cgroups", !strstr(vers_cgroup_describe(), "no usable"),
            xstrdup(vers_cgroup_describe()));
        add(r, "mkfs.btrfs",
            access("/usr/sbin/mkfs.btrfs", X_OK) == 0 || access("/sbin/mkfs.btrfs", X_OK) == 0,
            xstrdup("btrfs-progs"));
        /* the PostgreSQL servers a FROM host image's postgres@N can run, as 'vers build'
         * looks for them; an image with its own /usr brings its own (optional here) */
        _cleanup_strv_ char **majors = vers_services_pg_majors("/");
        _cleanup_strbuf_ struct strbuf pg = STRBUF_INIT;
        for (size_t i = 0; majors[i]; i++)
                strbuf_addf(&pg, "%spostgres@%s", i ? ", " : "", majors[i]);
        add(r, "postgres", majors[0] != NULL,
            majors[0]
                ? xasprintf("FROM host images can run %s (/usr/lib/postgresql/N/bin/postgres)",
                            pg.buf)
                : xstrdup("no /usr/lib/postgresql/N/bin/postgres on the host: FROM host "
                          "images cannot run postgres@N (other bases bring their own)"));
        r->checks[r->n_checks - 1].optional = true;
        /* FROM <registry image>: skopeo pulls, umoci unpacks (optional: other bases need
         * neither) */
        bool skopeo = access("/usr/bin/skopeo", X_OK) == 0,
             umoci = access("/usr/bin/umoci", X_OK) == 0;
        add(r, "registry images", skopeo && umoci,
            skopeo && umoci ? xstrdup("skopeo and umoci: FROM <any registry image>")
                            : xasprintf("FROM <registry image> needs %s (apt-get install skopeo "
                                        "umoci)",
                                        !skopeo && !umoci ? "skopeo and umoci"
                                        : !skopeo         ? "skopeo"
                                                          : "umoci"));
        r->checks[r->n_checks - 1].optional = true;
        add(r, "seccomp", rules > 0,
            rules > 0 ? xasprintf("libseccomp %u.%u.%u, %d rules", seccomp_version()->major,
                                  seccomp_version()->minor, seccomp_version()->micro, rules)
                      : xstrdup(serr ? serr->msg : "no rules"));
        add(r, "env ids", true, env_ids());
        add(r, "warm checkpoints", ci->usable,
            ci->usable ? xasprintf("CRIU %s (%s)", ci->version, ci->path) : xstrdup(ci->why));
        r->checks[r->n_checks - 1].optional = true;
        r->ok = true;
        for (size_t i = 0; i < r->n_checks; i++)
                r->ok &= r->checks[i].ok || r->checks[i].optional;
        struct strbuf sb = STRBUF_INIT;
        vers_harden_describe(&sb);
        r->sandbox = strbuf_detach(&sb);
        vers_error_free(&serr);
}

void vers_doctor_report_free(struct vers_doctor_report *r)
{
        for (size_t i = 0; i < r->n_checks; i++)
                free(r->checks[i].detail);
        free(r->checks);
        free(r->kernel);
        free(r->criu);
        free(r->sandbox);
        memset(r, 0, sizeof *r);
}
