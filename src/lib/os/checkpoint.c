#include "os/checkpoint.h"
#include "os/cgroup.h"
#include "os/criu.h"
#include "os/store.h"
#include "base/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- mounts ------------------------------------------------------------------------------ */

struct mount_line {
        char *key;        /* the whole normalised line: what is compared */
        char *mountpoint; /* for messages */
        char *fstype;
};

static void mount_lines_free(struct mount_line *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].key);
                free(v[i].mountpoint);
                free(v[i].fstype);
        }
        free(v);
}

static int cmp_key(const void *a, const void *b)
{
        return strcmp(((const struct mount_line *)a)->key, ((const struct mount_line *)b)->key);
}

/* "shared:12 master:3" -> "shared,master": peer group numbers are the kernel's to choose */
static void add_propagation(struct strbuf *sb, char **fields, size_t from, size_t to)
{
        size_t before = sb->len;
        for (size_t i = from; i < to; i++) {
                size_t n = strcspn(fields[i], ":");
                if (sb->len > before)
                        strbuf_addch(sb, ',');
                strbuf_add(sb, fields[i], n);
        }
        if (sb->len == before)
                strbuf_addstr(sb, "private");
}

/* Parse mountinfo text into sorted normalised lines. */
static int parse_mountinfo(char *text, struct mount_line **out, size_t *n, vers_error_t *err)
{
        struct mount_line *v = NULL;
        size_t nv = 0;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *fields[64];
                size_t nf = 0;
                char *fsave = NULL;
                for (char *f = strtok_r(line, " ", &fsave); f && nf < 64;
                     f = strtok_r(NULL, " ", &fsave))
                        fields[nf++] = f;
                /* id parent dev root mountpoint options [optional...] - fstype source super */
                size_t dash = 6;
                while (dash < nf && strcmp(fields[dash], "-"))
                        dash++;
                if (nf < 7 || dash + 1 >= nf) {
                        mount_lines_free(v, nv);
                        return vers_make_error(err, 0, "cannot parse a mountinfo line");
                }
                struct strbuf sb = STRBUF_INIT;
                strbuf_addf(&sb, "%s %s %s %s ", fields[4], fields[3], fields[dash + 1], fields[5]);
                add_propagation(&sb, fields, 6, dash);
                v = xrealloc(v, (nv + 1) * sizeof *v);
                v[nv++] = (struct mount_line){strbuf_detach(&sb), xstrdup(fields[4]),
                                              xstrdup(fields[dash + 1])};
        }
        qsort(v, nv, sizeof *v, cmp_key);
        *out = v;
        *n = nv;
        return 0;
}

static int read_mounts(pid_t pid, struct mount_line **out, size_t *n, vers_error_t *err)
{
        _cleanup_free_ char *path = xasprintf("/proc/%d/mountinfo", (int)pid);
        _cleanup_free_ char *text = NULL;
        if (vers_read_file(path, &text, NULL, err) < 0)
                return vers_error_wrap(err, "cannot read the env's mounts");
        return parse_mountinfo(text, out, n, err);
}

static char *record_path(const char *envdir)
{
        return xasprintf("%s/mounts", envdir);
}

int vers_mounts_record(pid_t init_pid, const char *envdir, vers_error_t *err)
{
        struct mount_line *v = NULL;
        size_t n = 0;
        if (read_mounts(init_pid, &v, &n, err) < 0)
                return -1;
        struct strbuf sb = STRBUF_INIT;
        strbuf_addstr(&sb, "# the env's mounts when it started (see checkpoint.h)\n");
        for (size_t i = 0; i < n; i++)
                strbuf_addf(&sb, "%s\n", v[i].key);
        mount_lines_free(v, n);
        _cleanup_free_ char *path = record_path(envdir);
        int r = vers_write_file_atomic(path, sb.buf, sb.len, 0644, err);
        strbuf_release(&sb);
        return r;
}

/* the lines of a record, sorted as written */
static int read_record(const char *path, char ***lines, size_t *n, vers_error_t *err)
{
        _cleanup_free_ char *text = NULL;
        if (vers_read_file(path, &text, NULL, err) < 0)
                return -1;
        char **v = NULL;
        size_t nv = 0;
        char *save = NULL;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                if (l[0] == '#')
                        continue;
                v = xrealloc(v, (nv + 1) * sizeof *v);
                v[nv++] = xstrdup(l);
        }
        *lines = v;
        *n = nv;
        return 0;
}

/* the fields of a record line, for messages */
static char *word_of(const char *line, int which)
{
        const char *p = line;
        for (int i = 0; i < which && p; i++) {
                p = strchr(p, ' ');
                if (p)
                        p++;
        }
        if (!p)
                return xstrdup("?");
        return strndup(p, strcspn(p, " "));
}

int vers_mounts_unchanged(pid_t init_pid, const char *envdir, char **why, vers_error_t *err)
{
        *why = NULL;
        _cleanup_free_ char *path = record_path(envdir);
        if (!vers_path_exists(path))
                return 1;
        char **rec = NULL;
        size_t nr = 0;
        struct mount_line *now = NULL;
        size_t nn = 0;
        if (read_record(path, &rec, &nr, err) < 0)
                return -1;
        if (read_mounts(init_pid, &now, &nn, err) < 0) {
                for (size_t i = 0; i < nr; i++)
                        free(rec[i]);
                free(rec);
                return -1;
        }
        /* both sorted: walk them side by side; the first line only one side has is the
         * difference to name */
        size_t i = 0, j = 0;
        while (i < nr || j < nn) {
                int c = i == nr ? 1 : j == nn ? -1 : strcmp(rec[i], now[j].key);
                if (c == 0) {
                        i++, j++;
                        continue;
                }
                if (c > 0) {
                        bool same_point = false;
                        for (size_t k = 0; k < nr && !same_point; k++) {
                                _cleanup_free_ char *mp = word_of(rec[k], 0);
                                same_point = !strcmp(mp, now[j].mountpoint);
                        }
                        *why = xasprintf(same_point ? "'%s' (%s) was remounted or mounted over "
                                                      "since the env started"
                                                    : "'%s' (%s) was mounted after the env "
                                                      "started",
                                         now[j].mountpoint, now[j].fstype);
                } else {
                        _cleanup_free_ char *mp = word_of(rec[i], 0);
                        _cleanup_free_ char *fs = word_of(rec[i], 2);
                        bool still = false;
                        for (size_t k = 0; k < nn && !still; k++)
                                still = !strcmp(mp, now[k].mountpoint);
                        *why = xasprintf(still ? "'%s' (%s) was remounted since the env started"
                                               : "'%s' (%s) was unmounted after the env started",
                                         mp, fs);
                }
                break;
        }
        for (size_t k = 0; k < nr; k++)
                free(rec[k]);
        free(rec);
        mount_lines_free(now, nn);
        return *why ? 0 : 1;
}

/* ---- a trial restore ----------------------------------------------------------------------- */

int vers_checkpoint_try_restore(const struct vers_restore_check *c, vers_error_t *err)
{
        _cleanup_free_ char *root = xasprintf("%s/rootfs", c->scratch);
        pid_t pid = 0;
        int ret = -1;
        if (mkdir(c->scratch, 0700) < 0) {
                vers_make_error(err, errno, "cannot create '%s'", c->scratch);
                return -1;
        }
        if (vers_subvol_snapshot(c->rootfs, root, false, err) < 0 ||
            vers_cgroup_create(c->cg_id, c->memory_mib, c->vcpu, c->pids, err) < 0)
                goto out;
        ret = vers_criu_restore(c->images, root, c->cg_id, c->workdir, VERS_CRIU_LEAVE_STOPPED,
                                &pid, err);
out:
        /* the tasks are stopped: nothing they would do happens; SIGKILL still ends them */
        vers_cgroup_kill(c->cg_id);
        vers_cgroup_destroy(c->cg_id);
        vers_error_t cerr = NULL;
        if (vers_subvol_delete(root, &cerr) < 0 || vers_rm_rf(c->scratch, &cerr) < 0) {
                if (ret == 0 && err) {
                        *err = cerr;
                        return vers_error_wrap(err, "cannot remove the restore check's copy");
                }
                vers_error_free(&cerr);
                ret = -1;
        }
        return ret;
}
