/* expiry — deleting envs whose time is up, and telling whether anyone still uses one */
#include "engine/expiry.h"
#include "engine/engine-private.h"
#include "os/cgroup.h"

#include <dirent.h>
#include <sys/file.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int vers_env_set_ttl(struct vers_ctx *ctx, const char *env_id, int64_t ttl, vers_error_t *err)
{
        int64_t at = ttl > 0 ? (int64_t)time(NULL) + ttl : 0;
        return vers_meta_set_env_expires(&ctx->meta, env_id, at, err);
}

/* the parent of pid (from /proc/pid/stat, after the command's closing parenthesis), or -1 */
static pid_t parent_of(pid_t pid)
{
        _cleanup_free_ char *path = xasprintf("/proc/%d/stat", (int)pid);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        if (vers_read_file(path, &text, &len, NULL) < 0)
                return -1;
        const char *p = strrchr(text, ')');
        int ppid;
        char state;
        if (!p || sscanf(p + 1, " %c %d", &state, &ppid) != 2)
                return -1;
        return (pid_t)ppid;
}

static int cmp_ulong(const void *a, const void *b)
{
        unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
        return x < y ? -1 : x > y;
}

static bool has_pid(const pid_t *pids, int n, pid_t p)
{
        for (int i = 0; i < n; i++)
                if (pids[i] == p)
                        return true;
        return false;
}

/* What is read of one of the kernel's socket tables (/proc/PID/net/...): what runs in an env
 * decides how long its own are, and every vers command may look at an expired env */
#define TABLE_MAX (1 << 20)

/* The lines of the table at path after its header, cut in place (each NUL-terminated, so no
 * parse reads past its own line), from its first TABLE_MAX bytes; *buf holds them. */
static size_t table_lines(const char *path, char **buf, char ***lines)
{
        *buf = NULL;
        *lines = NULL;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        char *b = xmalloc(TABLE_MAX + 1);
        size_t len = 0;
        while (len < TABLE_MAX) {
                ssize_t n = read(fd, b + len, TABLE_MAX - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t)n;
        }
        b[len] = '\0';
        size_t n = 0, cap = 0;
        char **v = NULL;
        char *p = strchr(b, '\n'); /* the header */
        while (p && *++p) {
                char *nl = strchr(p, '\n');
                if (!nl) /* cut short at TABLE_MAX */
                        break;
                *nl = '\0';
                if (n == cap) {
                        cap = cap ? 2 * cap : 256;
                        v = xrealloc(v, cap * sizeof *v);
                }
                v[n++] = p;
                p = nl;
        }
        *buf = b;
        *lines = v;
        return n;
}

/* Connections accepted by a listening TCP socket of the env, from /proc/PID/net/tcp or tcp6
 * (its network namespace): established sockets whose local port some socket listens on.
 * Each loopback connection is listed from both ends; only the server's end counts. */
static int tcp_connections(pid_t init, const char *file)
{
        _cleanup_free_ char *path = xasprintf("/proc/%d/net/%s", (int)init, file);
        _cleanup_free_ char *buf = NULL;
        _cleanup_free_ char **lines = NULL;
        size_t nlines = table_lines(path, &buf, &lines);
        unsigned listening[256];
        int nl = 0, n = 0;
        for (int pass = 0; pass < 2; pass++) {
                for (size_t i = 0; i < nlines; i++) {
                        char local[64];
                        unsigned port, st;
                        /* "  0: 0100007F:1538 00000000:0000 0A ..." */
                        if (sscanf(lines[i], " %*d: %63[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x", local,
                                   &port, &st) != 3)
                                continue;
                        if (pass == 0 && st == 0x0A && nl < 256)
                                listening[nl++] = port;
                        if (pass == 1 && st == 0x01)
                                for (int j = 0; j < nl; j++)
                                        if (listening[j] == port) {
                                                n++;
                                                break;
                                        }
                }
        }
        return n;
}

/* The socket inodes the processes pids hold open (sorted, for bsearch), looking at FDS_MAX
 * descriptors at most, whatever the env opens (what runs there decides how many it has). */
#define FDS_MAX 65536
static size_t held_sockets(const pid_t *pids, int n, unsigned long **out)
{
        unsigned long *v = NULL;
        size_t len = 0, cap = 0, seen = 0;
        for (int i = 0; i < n && seen < FDS_MAX; i++) {
                _cleanup_free_ char *dir = xasprintf("/proc/%d/fd", (int)pids[i]);
                DIR *d = opendir(dir);
                if (!d)
                        continue;
                struct dirent *de;
                while (seen < FDS_MAX && (de = readdir(d)) != NULL) {
                        seen++;
                        char target[64];
                        ssize_t l = readlinkat(dirfd(d), de->d_name, target, sizeof target - 1);
                        unsigned long ino;
                        if (l <= 0)
                                continue;
                        target[l] = '\0';
                        if (sscanf(target, "socket:[%lu]", &ino) == 1) {
                                if (len == cap) {
                                        cap = cap ? 2 * cap : 64;
                                        v = xrealloc(v, cap * sizeof *v);
                                }
                                v[len++] = ino;
                        }
                }
                closedir(d);
        }
        if (len)
                qsort(v, len, sizeof *v, cmp_ulong);
        *out = v;
        return len;
}

/* Connections to a named Unix socket that the env's processes hold the server's end of, from
 * the table of a network namespace (/proc/PID/net/unix): connected stream sockets with a name
 * (a client's own end has none) whose inode an env process holds. The server's end of a
 * connection is in the client's namespace, so the host's table is read too (a client on the
 * host reaches the env's socket through 'vers env'). */
static int unix_connections(const char *table, const unsigned long *held, size_t nheld)
{
        if (nheld == 0)
                return 0;
        _cleanup_free_ char *buf = NULL;
        _cleanup_free_ char **lines = NULL;
        size_t nlines = table_lines(table, &buf, &lines);
        int n = 0;
        for (size_t i = 0; i < nlines; i++) {
                unsigned flags, type, st;
                unsigned long inode;
                char name[2];
                /* "Num RefCount Protocol Flags Type St Inode Path" */
                int got = sscanf(lines[i], "%*x: %*x %*x %x %x %x %lu %1s", &flags, &type, &st,
                                 &inode, name);
                if (got == 5 && st == 3 && (type == 1 || type == 5) && !(flags & 0x10000) &&
                    bsearch(&inode, held, nheld, sizeof *held, cmp_ulong))
                        n++;
        }
        return n;
}

void vers_env_sessions(const struct vers_env *e, struct vers_sessions *s)
{
        memset(s, 0, sizeof *s);
        if (!vers_env_is_running(e))
                return;
        pid_t *pids = NULL;
        int n = vers_cgroup_pids(vers_env_cg(e), &pids);
        for (int i = 0; i < n; i++) {
                if (pids[i] == (pid_t)e->init_pid)
                        continue;
                pid_t pp = parent_of(pids[i]);
                if (pp > 0 && !has_pid(pids, n, pp))
                        s->commands++;
        }
        unsigned long *held = NULL;
        size_t nheld = held_sockets(pids, n, &held);
        free(pids);
        pid_t init = (pid_t)e->init_pid;
        _cleanup_free_ char *env_unix = xasprintf("/proc/%d/net/unix", (int)init);
        s->connections = tcp_connections(init, "tcp") + tcp_connections(init, "tcp6") +
                         unix_connections(env_unix, held, nheld) +
                         unix_connections("/proc/self/net/unix", held, nheld);
        free(held);
}

int vers_expire(struct vers_ctx *ctx, bool force, struct vers_expire_report *r, vers_error_t *err)
{
        memset(r, 0, sizeof *r);
        int64_t now = (int64_t)time(NULL);
        struct vers_env *envs = NULL;
        size_t n = 0;
        const struct vers_meta_query q = {.states = VERS_Q_RUNNING | VERS_Q_STOPPED,
                                          .expired_by = now};
        if (vers_meta_list_envs(&ctx->meta, &q, &envs, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n; i++) {
                struct vers_env *e = &envs[i];
                struct vers_expired x = {.id = xstrdup(e->id),
                                         .label = xstrdup(e->alias ? e->alias : e->id),
                                         .ago = now - e->expires};
                /* a commit of it holds its commit.lock (engine/commit.c) until it is done: its
                 * env is not deleted under it, and one that starts now waits for this */
                _cleanup_free_ char *envdir = vers_store_env_dir(&ctx->store, e->id);
                _cleanup_free_ char *lockpath = xasprintf("%s/commit.lock", envdir);
                _cleanup_close_ int lock =
                    open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
                x.committing = lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) < 0;
                vers_env_sessions(e, &x.sessions);
                bool busy = x.committing || x.sessions.commands + x.sessions.connections > 0;
                vers_error_t derr = NULL;
                int c = x.committing || (busy && !force)
                            ? 0
                            : vers_meta_claim_expired(&ctx->meta, e->id, now, getpid(),
                                                      vers_my_start(), &derr);
                if (c == 1) {
                        free(e->state);
                        e->state = xstrdup("deleting");
                        e->owner_pid = getpid();
                        e->owner_start = vers_my_start();
                        /* a failure here is finished by the next command's recovery */
                        x.deleted = vers_env_undo(ctx, e, &derr) == 0;
                }
                if (derr) {
                        x.error = xstrdup(derr->msg);
                        vers_error_free(&derr);
                }
                if (c == 0 && !busy) { /* another vers deleted it, or it changed since */
                        free(x.id);
                        free(x.label);
                        continue;
                }
                r->envs = xrealloc(r->envs, (r->n + 1) * sizeof *r->envs);
                r->envs[r->n++] = x;
        }
        for (size_t i = 0; i < n; i++)
                vers_env_clear(&envs[i]);
        free(envs);
        return 0;
}

void vers_expire_report_clear(struct vers_expire_report *r)
{
        for (size_t i = 0; i < r->n; i++) {
                free(r->envs[i].id);
                free(r->envs[i].label);
                free(r->envs[i].error);
        }
        free(r->envs);
        memset(r, 0, sizeof *r);
}

void vers_expire_sweep(struct vers_ctx *ctx)
{
        struct vers_expire_report r;
        vers_error_t err = NULL;
        if (vers_expire(ctx, false, &r, &err) < 0) {
                vers_notice(ctx, "cannot look for expired envs: %s", err->msg);
                vers_error_free(&err);
                return;
        }
        for (size_t i = 0; i < r.n; i++) {
                const struct vers_expired *x = &r.envs[i];
                _cleanup_free_ char *ago = vers_duration_format(x->ago);
                if (x->deleted)
                        vers_notice(ctx, "deleted env %s: it expired %s ago", x->label, ago);
                else if (x->error)
                        vers_notice(ctx, "env %s expired %s ago but could not be deleted: %s",
                                    x->label, ago, x->error);
                else if (x->committing)
                        vers_notice(ctx, "env %s expired %s ago; kept while it is being committed",
                                    x->label, ago);
                else
                        vers_notice(ctx,
                                    "env %s expired %s ago; kept while it has %d live session(s) "
                                    "('vers gc --expired --force' deletes it)",
                                    x->label, ago, x->sessions.commands + x->sessions.connections);
        }
        vers_expire_report_clear(&r);
}
