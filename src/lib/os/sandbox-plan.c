/* sandbox-plan — an env's mount setup as a list of steps, built from its spec (pure data). */
#include "os/sandbox-private.h"
#include "os/harden.h"

#include <sys/mount.h>
#include <sys/stat.h>

const char *const vers_sandbox_host_ro_dirs[] = {"usr",   "bin",   "sbin",  "lib",
                                                 "lib32", "lib64", "libx32"};
const size_t vers_sandbox_n_host_ro =
    sizeof vers_sandbox_host_ro_dirs / sizeof vers_sandbox_host_ro_dirs[0];

static struct vers_sandbox_step *plan_add(struct vers_sandbox_plan *p,
                                          enum vers_sandbox_step_kind k, const char *src,
                                          const char *dest, unsigned long flags, const char *opts)
{
        p->steps = xrealloc(p->steps, (p->n + 1) * sizeof *p->steps);
        p->steps[p->n] = (struct vers_sandbox_step){
            .kind = k,
            .src = src ? xstrdup(src) : NULL,
            .dest = xstrdup(dest),
            .flags = flags,
            .opts = opts,
        };
        return &p->steps[p->n++];
}

void vers_sandbox_plan_free(struct vers_sandbox_plan *p)
{
        for (size_t i = 0; i < p->n; i++) {
                free(p->steps[i].src);
                free(p->steps[i].dest);
        }
        free(p->steps);
        p->steps = NULL;
        p->n = 0;
}

void vers_sandbox_plan_build(const struct vers_sandbox_spec *spec, struct vers_sandbox_plan *p)
{
        bool own = spec->own_root;
        for (size_t i = 0; i < vers_sandbox_n_host_ro && !own; i++) {
                _cleanup_free_ char *host = xasprintf("/%s", vers_sandbox_host_ro_dirs[i]);
                struct stat st;
                if (lstat(host, &st) == 0 && S_ISDIR(st.st_mode))
                        plan_add(p, VERS_STEP_BIND, host, vers_sandbox_host_ro_dirs[i], MS_RDONLY,
                                 NULL);
        }
        /* host paths are bound while this process still has the host's uid, which may be
         * the only one allowed to walk to them (a project under a 0700 directory). The
         * project is shared on purpose, but nothing set up in it from inside (a setuid file,
         * a device node) takes effect in the env. */
        if (spec->project_dir && spec->project_dir[0] == '/' && spec->project_dir[1])
                plan_add(p, VERS_STEP_BIND, spec->project_dir, spec->project_dir + 1,
                         MS_NOSUID | MS_NODEV, NULL);
        plan_add(p, VERS_STEP_IDENTITY, NULL, "", 0, NULL);
        plan_add(p, VERS_STEP_DEV, NULL, "dev", MS_NOSUID | MS_NOEXEC, "mode=755,size=65536k");
        plan_add(p, VERS_STEP_PROC, NULL, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        plan_add(p, VERS_STEP_SYS, NULL, "sys", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        if (!own)
                plan_add(p, VERS_STEP_TMPFS, NULL, "run", MS_NOSUID | MS_NODEV, "mode=755");
        /* the masks: what one kernel has under /proc and /sys another may not */
        for (size_t i = 0; i < vers_n_mask_paths; i++) {
                bool mask = vers_mask_paths[i].kind == VERS_MASK;
                plan_add(p, mask ? VERS_STEP_MASK : VERS_STEP_READONLY, NULL,
                         vers_mask_paths[i].path + 1, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                         mask ? "size=0,mode=555" : NULL)
                    ->allow_missing = true;
        }
        plan_add(p, VERS_STEP_HOSTNAME, spec->hostname ? spec->hostname : "vers", "", 0, NULL);
        if (!spec->host_net)
                plan_add(p, VERS_STEP_LOOPBACK, NULL, "", 0, NULL);
}
