/* sandbox-skel — the skeleton of an env root: directories, /usr links, an allowlisted /etc. */
#include "os/sandbox-private.h"
#include "base/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* What a FROM host image's /etc starts with: the host's entries that the binaries of its /usr,
 * the service templates, psql and node need — never its secrets. shadow, gshadow, SSH host
 * keys, ssl/private, sudoers, subuid, npm and git credentials, and everything else not named
 * here stay on the host. passwd and group are not copied but filtered (seed_accounts). A path
 * the host lacks is skipped. Images FROM debian:<suite> have their own /etc. */
static const char *etc_allow[] = {
    /* names, resolution */
    "hostname",
    "hosts",
    "resolv.conf",
    "nsswitch.conf",
    "host.conf",
    "gai.conf",
    "services",
    "protocols",
    "networks",
    /* the dynamic linker, and the links that make /usr's binaries work */
    "ld.so.conf",
    "ld.so.conf.d",
    "ld.so.cache",
    "alternatives",
    /* time, locale, shells */
    "localtime",
    "timezone",
    "locale.alias",
    "environment",
    "default/locale",
    "profile",
    "profile.d",
    "bash.bashrc",
    "inputrc",
    "shells",
    "skel",
    "terminfo",
    "mtab",
    "debian_version",
    "os-release",
    "login.defs",
    "default/useradd",
    "adduser.conf",
    /* runuser (the templates start services with it): PAM */
    "pam.conf",
    "pam.d",
    "security/limits.conf",
    "security/limits.d",
    "security/pam_env.conf",
    /* public certificates only: the keys in ssl/private stay on the host */
    "ssl/certs",
    "ssl/openssl.cnf",
    "ca-certificates.conf",
    /* the services' own configuration (redis: the template writes its own; the host's
     * redis.conf may hold requirepass) */
    "postgresql",
    "postgresql-common",
    "mysql",
};

/* Secrets inside the directories above, removed again after the copy. */
static const char *etc_deny[] = {
    "mysql/debian.cnf", /* the maintenance account's credentials */
};

/* An account in the env's passwd/group: root, the system's own (ids below 1000: daemon,
 * postgres, mysql, redis...) and nobody/nogroup; no human user of the host. */
static bool keep_id(unsigned long id)
{
        return id < 1000 || id == 65534;
}

/* Split l at ':' in place into at most max fields; their number. */
static int split_fields(char *l, char **f, int max)
{
        int n = 0;
        for (char *p = l; p && n < max;) {
                f[n++] = p;
                p = strchr(p, ':');
                if (p)
                        *p++ = '\0';
        }
        return n;
}

/* passwd, group, shadow and gshadow for the env, from the host's passwd and group: the kept
 * accounts, with no password anywhere (the shadow files lock every one: '*'). */
static int seed_accounts(const char *etc, vers_error_t *err)
{
        _cleanup_free_ char *pw = NULL, *gr = NULL;
        if (vers_read_file("/etc/passwd", &pw, NULL, err) < 0 ||
            vers_read_file("/etc/group", &gr, NULL, err) < 0)
                return -1;
        _cleanup_strbuf_ struct strbuf passwd = STRBUF_INIT, shadow = STRBUF_INIT,
                                       group = STRBUF_INIT, gshadow = STRBUF_INIT;
        _cleanup_strv_ char **users = NULL;
        char *save = NULL;
        for (char *l = strtok_r(pw, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                /* name:password:uid:gid:gecos:home:shell */
                char *f[7];
                if (split_fields(l, f, 7) < 7 || !f[0][0] || !f[2][0] ||
                    !keep_id(strtoul(f[2], NULL, 10)))
                        continue;
                strbuf_addf(&passwd, "%s:x:%s:%s:%s:%s:%s\n", f[0], f[2], f[3], f[4], f[5], f[6]);
                strbuf_addf(&shadow, "%s:*:0:0:99999:7:::\n", f[0]);
                strv_push(&users, f[0]);
        }
        save = NULL;
        for (char *l = strtok_r(gr, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                /* name:password:gid:members */
                char *f[4];
                if (split_fields(l, f, 4) < 4 || !f[0][0] || !keep_id(strtoul(f[2], NULL, 10)))
                        continue;
                /* members: only accounts the env has */
                _cleanup_strbuf_ struct strbuf members = STRBUF_INIT;
                char *msave = NULL;
                for (char *m = strtok_r(f[3], ",", &msave); m; m = strtok_r(NULL, ",", &msave)) {
                        for (size_t i = 0; users && users[i]; i++) {
                                if (!strcmp(users[i], m)) {
                                        strbuf_addf(&members, "%s%s", members.len ? "," : "", m);
                                        break;
                                }
                        }
                }
                strbuf_addf(&group, "%s:x:%s:%s\n", f[0], f[2], members.buf);
                strbuf_addf(&gshadow, "%s:*::%s\n", f[0], members.buf);
        }
        const struct {
                const char *name;
                struct strbuf *text;
                mode_t mode;
        } files[] = {{"passwd", &passwd, 0644},
                     {"group", &group, 0644},
                     {"shadow", &shadow, 0640},
                     {"gshadow", &gshadow, 0640}};
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", etc, files[i].name);
                if (vers_write_file_atomic(p, files[i].text->buf, files[i].text->len, files[i].mode,
                                           err) < 0)
                        return -1;
        }
        return 0;
}

static int seed_etc(const char *etc, vers_error_t *err)
{
        if (mkdir(etc, 0755) < 0)
                return vers_make_error(err, errno, "cannot create '%s'", etc);
        for (size_t i = 0; i < sizeof etc_allow / sizeof etc_allow[0]; i++) {
                _cleanup_free_ char *src = xasprintf("/etc/%s", etc_allow[i]);
                _cleanup_free_ char *dst = xasprintf("%s/%s", etc, etc_allow[i]);
                if (!vers_path_exists(src))
                        continue;
                char *slash = strrchr(dst, '/');
                *slash = '\0';
                int r = vers_mkdir_p(dst, 0755, err);
                *slash = '/';
                if (r < 0)
                        return -1;
                char *argv[] = {"cp", "-a", "--reflink=auto", src, dst, NULL};
                _cleanup_free_ char *out = NULL;
                int rc = vers_run(argv, &out, err);
                if (rc < 0)
                        return -1;
                if (rc > 0 && strstr(out, "No space left on device"))
                        return vers_make_error(err, ENOSPC, "cannot copy /etc into the image");
                if (rc > 0)
                        return vers_make_error(err, 0, "cannot copy %s: %s", src,
                                               str_first_line(out));
        }
        for (size_t i = 0; i < sizeof etc_deny / sizeof etc_deny[0]; i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", etc, etc_deny[i]);
                if (vers_rm_rf(p, err) < 0)
                        return -1;
        }
        return seed_accounts(etc, err);
}

int vers_sandbox_populate(const char *rootfs, vers_error_t *err)
{
        static const struct {
                const char *path;
                mode_t mode;
        } dirs[] = {
            {"proc", 0555},      {"sys", 0555},       {"dev", 0755},          {"run", 0755},
            {"tmp", 01777},      {"root", 0700},      {"home", 0755},         {"var", 0755},
            {"var/lib", 0755},   {"var/log", 0755},   {"var/log/vers", 0755}, {"var/tmp", 01777},
            {"var/cache", 0755}, {"var/spool", 0755}, {"var/opt", 0755},      {"opt", 0755},
            {"srv", 0755},       {"mnt", 0755},       {"media", 0755},        {".vers", 0755},
            {".vers/bin", 0755},
        };
        for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", rootfs, dirs[i].path);
                if (mkdir(p, dirs[i].mode) < 0 && errno != EEXIST)
                        return vers_make_error(err, errno, "cannot create '%s'", p);
                /* never through a link the tree brought: chmod would follow it to the host */
                struct stat st;
                if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
                        chmod(p, dirs[i].mode);
        }
        static const char *links[][2] = {{"var/run", "/run"}, {"var/lock", "/run/lock"}};
        for (size_t i = 0; i < 2; i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", rootfs, links[i][0]);
                if (symlink(links[i][1], p) < 0 && errno != EEXIST)
                        return vers_make_error(err, errno, "cannot create '%s'", p);
        }
        for (size_t i = 0; i < vers_sandbox_n_host_ro; i++) {
                _cleanup_free_ char *host = xasprintf("/%s", vers_sandbox_host_ro_dirs[i]);
                _cleanup_free_ char *p = xasprintf("%s/%s", rootfs, vers_sandbox_host_ro_dirs[i]);
                struct stat st;
                if (lstat(host, &st) < 0)
                        continue;
                if (S_ISLNK(st.st_mode)) {
                        char target[4096];
                        ssize_t n = readlink(host, target, sizeof target - 1);
                        if (n < 0)
                                return vers_make_error(err, errno, "cannot read link '%s'", host);
                        target[n] = '\0';
                        if (symlink(target, p) < 0 && errno != EEXIST)
                                return vers_make_error(err, errno, "cannot create '%s'", p);
                } else if (mkdir(p, 0755) < 0 && errno != EEXIST) {
                        return vers_make_error(err, errno, "cannot create '%s'", p);
                }
        }
        /* env-private /etc, seeded from an allowlist of the host's */
        _cleanup_free_ char *etc = xasprintf("%s/etc", rootfs);
        if (!vers_path_exists(etc))
                return seed_etc(etc, err);
        return 0;
}
