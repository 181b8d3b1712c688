#include "os/passwd.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* the fields of the next line of f split at ':' (in place); the number of fields */
static int next_entry(FILE *f, char *line, size_t size, char **fields, int max)
{
        while (fgets(line, (int)size, f)) {
                line[strcspn(line, "\n")] = '\0';
                if (line[0] == '#' || line[0] == '\0')
                        continue;
                int n = 0;
                char *p = line;
                while (n < max) {
                        fields[n++] = p;
                        p = strchr(p, ':');
                        if (!p)
                                break;
                        *p++ = '\0';
                }
                return n;
        }
        return -1;
}

static int parse_id(const char *s, unsigned long *out)
{
        if (!*s)
                return -1;
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (*end || errno || v > 65535)
                return -1;
        *out = v;
        return 0;
}

/* root/etc/file. A root other than "" is an image or env tree seen from the host, which its
 * RUN steps or processes may have filled with symlinks: resolve inside it (openat2
 * RESOLVE_IN_ROOT), and read nothing but a regular file. No fallback without openat2. */
static FILE *open_in(const char *root, const char *file)
{
        char path[4096];
        if (!root[0]) {
                snprintf(path, sizeof path, "/etc/%s", file);
                return fopen(path, "re");
        }
        snprintf(path, sizeof path, "etc/%s", file);
        int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return NULL;
        struct open_how how = {
            .flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
            .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
        close(rootfd);
        struct stat st;
        if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
                close(fd);
                fd = -1;
        }
        FILE *f = fd >= 0 ? fdopen(fd, "re") : NULL;
        if (!f && fd >= 0)
                close(fd);
        return f;
}

/* by name or number; fills gid */
static int find_group(const char *root, const char *spec, gid_t *gid)
{
        unsigned long v;
        if (parse_id(spec, &v) == 0) {
                *gid = (gid_t)v;
                return 0;
        }
        FILE *f = open_in(root, "group");
        if (!f)
                return -1;
        char line[4096];
        char *fl[4];
        int n, ret = -1;
        while ((n = next_entry(f, line, sizeof line, fl, 4)) >= 0) {
                if (n >= 3 && !strcmp(fl[0], spec) && parse_id(fl[2], &v) == 0) {
                        *gid = (gid_t)v;
                        ret = 0;
                        break;
                }
        }
        fclose(f);
        return ret;
}

static void supplementary(const char *root, struct vers_user *u)
{
        u->ngroups = 0;
        u->groups[u->ngroups++] = u->gid;
        FILE *f = open_in(root, "group");
        if (!f || !u->name[0]) {
                if (f)
                        fclose(f);
                return;
        }
        char line[8192];
        char *fl[4];
        int n;
        unsigned long v;
        while ((n = next_entry(f, line, sizeof line, fl, 4)) >= 0 && u->ngroups < VERS_MAX_GROUPS) {
                if (n < 4 || parse_id(fl[2], &v) < 0 || (gid_t)v == u->gid)
                        continue;
                for (char *m = strtok(fl[3], ","); m; m = strtok(NULL, ",")) {
                        if (!strcmp(m, u->name)) {
                                u->groups[u->ngroups++] = (gid_t)v;
                                break;
                        }
                }
        }
        fclose(f);
}

int vers_user_lookup(const char *root, const char *spec, struct vers_user *u, char *why,
                     size_t whylen)
{
        memset(u, 0, sizeof *u);
        char user[256];
        snprintf(user, sizeof user, "%s", spec);
        char *group = strchr(user, ':');
        if (group)
                *group++ = '\0';
        if (!user[0]) {
                snprintf(why, whylen, "empty user name in '%s'", spec);
                return -1;
        }
        unsigned long v;
        bool numeric = parse_id(user, &v) == 0;
        bool found = false;
        FILE *f = open_in(root, "passwd");
        if (f) {
                char line[4096];
                char *fl[7];
                int n;
                unsigned long uid, gid;
                while ((n = next_entry(f, line, sizeof line, fl, 7)) >= 0) {
                        if (n < 6 || parse_id(fl[2], &uid) < 0 || parse_id(fl[3], &gid) < 0)
                                continue;
                        if (numeric ? uid != v : strcmp(fl[0], user) != 0)
                                continue;
                        u->uid = (uid_t)uid;
                        u->gid = (gid_t)gid;
                        snprintf(u->name, sizeof u->name, "%s", fl[0]);
                        snprintf(u->home, sizeof u->home, "%s", fl[5][0] ? fl[5] : "/");
                        found = true;
                        break;
                }
                fclose(f);
        }
        if (!found) {
                if (!numeric) {
                        snprintf(why, whylen, "no user '%s' in the env's /etc/passwd", user);
                        return -1;
                }
                u->uid = (uid_t)v;
                u->gid = (gid_t)v;
                snprintf(u->home, sizeof u->home, "/");
        }
        if (group) {
                if (find_group(root, group, &u->gid) < 0) {
                        snprintf(why, whylen, "no group '%s' in the env's /etc/group", group);
                        return -1;
                }
                u->ngroups = 1;
                u->groups[0] = u->gid;
        } else {
                supplementary(root, u);
        }
        return 0;
}

int vers_user_become(const struct vers_user *u)
{
        if (setgroups((size_t)u->ngroups, u->groups) < 0 || setgid(u->gid) < 0 ||
            setuid(u->uid) < 0)
                return -1;
        return 0;
}
