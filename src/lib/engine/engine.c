#include "engine/engine.h"
#include "engine/engine-private.h"
#include "os/cgroup.h"
#include "os/checkpoint.h"
#include "os/criu.h"
#include "base/failpoint.h"
#include "base/names.h"
#include "os/sandbox.h"
#include "services/services.h"
#include "base/strbuf.h"
#include "state/imageconf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>

#define DEFAULT_ROOT "/var/lib/vers"
#define READY_TIMEOUT 120

void vers_progress(struct vers_ctx *ctx, const char *fmt, ...)
{
        if (!ctx->progress)
                return;
        va_list ap;
        va_start(ap, fmt);
        char *m = NULL;
        if (vasprintf(&m, fmt, ap) >= 0) {
                ctx->progress(m);
                free(m);
        }
        va_end(ap);
}

void vers_notice(struct vers_ctx *ctx, const char *fmt, ...)
{
        if (!ctx->notice)
                return;
        va_list ap;
        va_start(ap, fmt);
        char *m = NULL;
        if (vasprintf(&m, fmt, ap) >= 0) {
                ctx->notice(m);
                free(m);
        }
        va_end(ap);
}

/* Say once per VERS_ROOT that commits are cold, and why (vers doctor says it every time). */
static void notice_cold_once(struct vers_ctx *ctx, const char *why)
{
        _cleanup_free_ char *marker = xasprintf("%s/.cold-notice-shown", ctx->root);
        if (vers_path_exists(marker))
                return;
        vers_notice(ctx, "commits are cold (disk only, services restart on branch): %s", why);
        vers_write_file_atomic(marker, why, strlen(why), 0644, NULL);
}

/* ---- opening ---------------------------------------------------------------------------- */

static char *find_project(void)
{
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd))
                return NULL;
        const char *forced = getenv("VERS_PROJECT");
        if (forced && *forced)
                return realpath(forced, NULL);
        for (;;) {
                _cleanup_free_ char *toml = xasprintf("%s/vers.toml", cwd);
                _cleanup_free_ char *dot = xasprintf("%s/.vers", cwd);
                if (vers_path_exists(toml) || vers_path_exists(dot))
                        return xstrdup(cwd);
                char *slash = strrchr(cwd, '/');
                if (!slash || slash == cwd)
                        return NULL;
                *slash = '\0';
        }
}

int vers_open_project(struct vers_ctx *ctx, vers_error_t *err)
{
        vers_config_init(&ctx->cfg);
        ctx->project_dir = find_project();
        if (ctx->project_dir) {
                _cleanup_free_ char *toml = xasprintf("%s/vers.toml", ctx->project_dir);
                if (vers_path_exists(toml)) {
                        if (vers_config_load(toml, &ctx->cfg, err) < 0)
                                return -1;
                        ctx->have_cfg = true;
                }
        }
        return 0;
}

/* Does the store hold anything (an image, a commit or an env)? */
static bool store_used(const struct vers_store *st)
{
        static const char *dirs[] = {"images", "commits", "envs"};
        for (size_t i = 0; i < 3; i++) {
                _cleanup_free_ char *d = xasprintf("%s/%s", st->path, dirs[i]);
                DIR *dir = opendir(d);
                struct dirent *de;
                bool any = false;
                while (dir && !any && (de = readdir(dir)) != NULL)
                        any = de->d_name[0] != '.';
                if (dir)
                        closedir(dir);
                if (any)
                        return true;
        }
        return false;
}

int vers_open(struct vers_ctx *ctx, vers_error_t *err)
{
        if (geteuid() != 0)
                return vers_make_error(err, 0,
                                       "vers must run as root (it creates namespaces, "
                                       "mounts and btrfs subvolumes)");
        if (vers_open_project(ctx, err) < 0)
                return -1;
        const char *root = getenv("VERS_ROOT");
        if (!root || !*root) {
                root = DEFAULT_ROOT;
                if (vers_mkdir_p(root, 0700, err) < 0)
                        return -1;
        }
        ctx->root = realpath(root, NULL);
        if (!ctx->root)
                return vers_make_error(err, 0, "VERS_ROOT '%s' does not exist", root);
        vers_cgroup_set_scope(ctx->root);
        if (vers_store_open(ctx->root, ctx->cfg.cluster_mib, ctx->cfg.sparse, &ctx->store, err) < 0)
                return -1;
        if (vers_idmap_open(ctx->root, store_used(&ctx->store), &ctx->idmap, err) < 0)
                return -1;
        _cleanup_free_ char *db = xasprintf("%s/vers.db", ctx->root);
        if (vers_meta_check_root(ctx->root, ctx->store.path, err) < 0 ||
            vers_meta_open(db, &ctx->meta, err) < 0)
                return -1;
        return vers_recover(ctx, err);
}

void vers_close(struct vers_ctx *ctx)
{
        vers_meta_close(&ctx->meta);
        vers_store_close(&ctx->store);
        vers_config_free(&ctx->cfg);
        free(ctx->root);
        free(ctx->project_dir);
        ctx->root = ctx->project_dir = NULL;
}

void vers_ref_clear(struct vers_ref *r)
{
        free(r->id);
        r->id = NULL;
        r->kind = VERS_REF_NONE;
}

/* ---- ownership of transitional rows --------------------------------------------------- */

int64_t vers_my_start(void)
{
        /* per pid: a forked child (vers test runs every branch in one) is another owner */
        static int64_t s = 0;
        static pid_t for_pid = 0;
        if (!s || for_pid != getpid()) {
                for_pid = getpid();
                s = (int64_t)vers_pid_starttime(for_pid);
        }
        return s;
}

static bool owner_alive(int64_t pid, int64_t start)
{
        if (pid == getpid())
                return true;
        return vers_pid_alive((pid_t)pid, (uint64_t)start);
}

bool vers_env_is_running(const struct vers_env *e)
{
        return e->init_pid > 0 && vers_pid_alive((pid_t)e->init_pid, (uint64_t)e->init_start);
}

char *vers_new_id(void)
{
        return vers_random_hex(12);
}

/* ---- process control ------------------------------------------------------------------ */

/* Kill an env's processes at once (its state is about to be discarded). */
static void env_kill(const struct vers_env *e)
{
        if (vers_env_is_running(e))
                kill((pid_t)e->init_pid, SIGKILL);
        vers_cgroup_kill(e->id);
        vers_cgroup_destroy(e->id);
}

/* ---- sockets shared with host-side clients ------------------------------------------------ */

static char *sockets_dir(struct vers_ctx *ctx, const char *env_id)
{
        return xasprintf("%s/sockets/%s", ctx->root, env_id);
}

void vers_env_sockets_release(struct vers_ctx *ctx, const char *env_id)
{
        _cleanup_free_ char *dir = sockets_dir(ctx, env_id);
        DIR *d = opendir(dir);
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                _cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
                umount2(p, MNT_DETACH | UMOUNT_NOFOLLOW);
                unlink(p);
        }
        if (d)
                closedir(d);
        rmdir(dir);
}

/* Release the shared sockets of envs that are gone or not running (all: every env's). */
static void sockets_release_stale(struct vers_ctx *ctx, bool all)
{
        _cleanup_free_ char *dir = xasprintf("%s/sockets", ctx->root);
        DIR *d = opendir(dir);
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL) {
                if (de->d_name[0] == '.')
                        continue;
                struct vers_env e = {0};
                bool keep = !all && vers_meta_get_env(&ctx->meta, de->d_name, &e, NULL) == 1 &&
                            vers_env_is_running(&e);
                vers_env_clear(&e);
                if (!keep)
                        vers_env_sockets_release(ctx, de->d_name);
        }
        if (d)
                closedir(d);
}

int vers_env_socket_dir(struct vers_ctx *ctx, const struct vers_env *e, const char *rel,
                        char **dir_out, vers_error_t *err)
{
        if (!vers_env_is_running(e))
                return vers_make_error(err, 0, "env '%s' is not running",
                                       e->alias ? e->alias : e->id);
        vers_env_sockets_release(ctx, e->id);
        _cleanup_free_ char *dir = sockets_dir(ctx, e->id);
        if (vers_mkdir_p(dir, 0700, err) < 0)
                return -1;
        const char *base = strrchr(rel, '/');
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, base ? base + 1 : rel);
        if (vers_sandbox_share_socket((pid_t)e->init_pid, rel, path, err) < 0) {
                vers_env_sockets_release(ctx, e->id);
                return -1;
        }
        *dir_out = steal_pointer(&dir);
        return 0;
}

static void wait_gone(const struct vers_env *e, int timeout_ms)
{
        for (int t = 0; t < timeout_ms && vers_env_is_running(e); t += 10)
                vers_sleep_ms(10);
}

/* ---- recovery -------------------------------------------------------------------------- */

static int undo_env(struct vers_ctx *ctx, struct vers_env *e, vers_error_t *err)
{
        env_kill(e);
        vers_env_sockets_release(ctx, e->id);
        wait_gone(e, 5000);
        if (vers_failpoint("delete-after-kill", err) < 0)
                return -1;
        _cleanup_free_ char *dir = vers_store_env_dir(&ctx->store, e->id);
        _cleanup_free_ char *rootfs = vers_store_env_rootfs(&ctx->store, e->id);
        if (vers_subvol_unlimit(&ctx->store, rootfs, err) < 0 ||
            vers_subvol_delete(rootfs, err) < 0 ||
            vers_failpoint("delete-after-subvolume", err) < 0 || vers_rm_rf(dir, err) < 0)
                return -1;
        return vers_meta_delete(&ctx->meta, "envs", e->id, err);
}

static int finish_rollback(struct vers_ctx *ctx, struct vers_env *e, vers_error_t *err)
{
        env_kill(e);
        vers_env_sockets_release(ctx, e->id);
        wait_gone(e, 5000);
        _cleanup_free_ char *rootfs = vers_store_env_rootfs(&ctx->store, e->id);
        _cleanup_free_ char *src = vers_store_commit_rootfs(&ctx->store, e->target);
        if (vers_subvol_unlimit(&ctx->store, rootfs, err) < 0 ||
            vers_subvol_delete(rootfs, err) < 0 ||
            vers_failpoint("rollback-after-delete", err) < 0 ||
            vers_subvol_snapshot(src, rootfs, false, err) < 0 ||
            vers_subvol_limit(&ctx->store, rootfs, ctx->cfg.vm_mib, err) < 0 ||
            vers_failpoint("rollback-after-snapshot", err) < 0)
                return -1;
        free(e->base);
        e->base = steal_pointer(&e->target);
        free(e->state);
        e->state = xstrdup("stopped");
        e->init_pid = e->init_start = 0;
        e->owner_pid = e->owner_start = 0;
        return vers_meta_put_env(&ctx->meta, e, err);
}

/* Thaw an env left frozen by a commit whose vers died. A committer holds the env's
 * commit.lock from before it freezes until after it thaws, and the kernel drops the lock
 * when it dies: if the lock is free, nobody alive froze the env. */
static void thaw_if_unowned(struct vers_ctx *ctx, const char *env_id)
{
        if (!vers_cgroup_is_frozen(env_id))
                return;
        _cleanup_free_ char *envdir = vers_store_env_dir(&ctx->store, env_id);
        _cleanup_free_ char *lockpath = xasprintf("%s/commit.lock", envdir);
        _cleanup_close_ int fd = open(lockpath, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
                return;
        vers_cgroup_freeze(env_id, false, NULL);
}

/* Undo a commit whose vers died: first stop the criu dump it may have left running (it
 * would freeze the env again, and its frozen tasks cannot be killed under it), then thaw
 * the env, then delete what the commit made. */
static int undo_commit(struct vers_ctx *ctx, const struct vers_commit *c, vers_error_t *err)
{
        _cleanup_free_ char *dir = vers_store_commit_dir(&ctx->store, c->id);
        _cleanup_free_ char *rootfs = vers_store_commit_rootfs(&ctx->store, c->id);
        _cleanup_free_ char *images = xasprintf("%s/criu", dir);
        vers_criu_dump_reap(images);
        if (c->env)
                thaw_if_unowned(ctx, c->env);
        if (vers_subvol_delete(rootfs, err) < 0 || vers_rm_rf(dir, err) < 0)
                return -1;
        return vers_meta_delete(&ctx->meta, "commits", c->id, err);
}

int vers_recover(struct vers_ctx *ctx, vers_error_t *err)
{
        struct vers_env *envs = NULL;
        size_t n = 0;
        if (vers_meta_list_envs(&ctx->meta, "state IN ('pending','deleting','rollback')", NULL,
                                &envs, &n, err) < 0)
                return -1;
        int ret = 0;
        for (size_t i = 0; i < n && ret == 0; i++) {
                struct vers_env *e = &envs[i];
                if (owner_alive(e->owner_pid, e->owner_start))
                        continue;
                if (!strcmp(e->state, "rollback") && e->target)
                        ret = finish_rollback(ctx, e, err);
                else
                        ret = undo_env(ctx, e, err);
        }
        vers_envs_free(envs, n);
        if (ret < 0)
                return vers_error_wrap(err, "cannot recover an interrupted operation");

        /* each list keeps its own count: a count shared between them freed the next list
         * with the previous one's length */
        struct vers_commit *cs = NULL;
        size_t nc = 0;
        if (vers_meta_list_commits(&ctx->meta, "state = 'pending'", NULL, &cs, &nc, err) < 0)
                return -1;
        for (size_t i = 0; i < nc && ret == 0; i++) {
                if (!owner_alive(cs[i].owner_pid, cs[i].owner_start))
                        ret = undo_commit(ctx, &cs[i], err);
        }
        vers_commits_free(cs, nc);
        if (ret < 0)
                return vers_error_wrap(err, "cannot recover an interrupted commit");

        /* an env frozen by a commit that left no row (or whose row is gone) */
        if (vers_meta_list_envs(&ctx->meta, NULL, NULL, &envs, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n; i++)
                thaw_if_unowned(ctx, envs[i].id);
        vers_envs_free(envs, n);

        struct vers_image *is = NULL;
        size_t ni = 0;
        if (vers_meta_list_images(&ctx->meta, "state = 'pending'", NULL, &is, &ni, err) < 0)
                return -1;
        for (size_t i = 0; i < ni && ret == 0; i++) {
                if (owner_alive(is[i].owner_pid, is[i].owner_start))
                        continue;
                _cleanup_free_ char *path = vers_store_image_path(&ctx->store, is[i].id);
                vers_cgroup_kill(is[i].id);
                vers_cgroup_destroy(is[i].id);
                if (vers_subvol_delete(path, err) < 0 ||
                    vers_meta_delete(&ctx->meta, "images", is[i].id, err) < 0)
                        ret = -1;
        }
        vers_images_free(is, ni);
        return ret;
}

/* ---- names ----------------------------------------------------------------------------- */

static bool same_project(const char *a, const char *b)
{
        return a ? (b && !strcmp(a, b)) : !b;
}

/* Is there an env, commit or image whose id name would hide (see vers_name_shadows_id)? */
static int shadows_an_id(struct vers_ctx *ctx, const char *name, const char *what,
                         vers_error_t *err)
{
        if (!vers_looks_like_id(name))
                return 0; /* ids are lowercase hex: nothing else can hide one */
        _cleanup_free_ char *pat = xasprintf("%s%%", name);
        struct vers_env *e = NULL;
        struct vers_commit *c = NULL;
        struct vers_image *im = NULL;
        size_t ne = 0, nc = 0, ni = 0;
        if (vers_meta_list_envs(&ctx->meta, "id LIKE ?1", pat, &e, &ne, err) < 0 ||
            vers_meta_list_commits(&ctx->meta, "id LIKE ?1", pat, &c, &nc, err) < 0 ||
            vers_meta_list_images(&ctx->meta, "id LIKE ?1", pat, &im, &ni, err) < 0) {
                vers_envs_free(e, ne);
                vers_commits_free(c, nc);
                return -1;
        }
        _cleanup_free_ char *hidden = NULL;
        for (size_t i = 0; i < ne && !hidden; i++)
                if (vers_name_shadows_id(name, e[i].id))
                        hidden = xasprintf("env %s", e[i].id);
        for (size_t i = 0; i < nc && !hidden; i++)
                if (vers_name_shadows_id(name, c[i].id))
                        hidden = xasprintf("commit %s", c[i].id);
        for (size_t i = 0; i < ni && !hidden; i++)
                if (vers_name_shadows_id(name, im[i].id))
                        hidden = xasprintf("image %s", im[i].id);
        vers_envs_free(e, ne);
        vers_commits_free(c, nc);
        vers_images_free(im, ni);
        if (hidden)
                return vers_make_error(err, 0, "%s '%s' looks like the id of %s; choose another",
                                       what, name, hidden);
        return 0;
}

/* May name become an alias (is_tag false) or a tag (true) in project? Aliases are unique over
 * the root, tags within a project, and neither may equal the other in one project, since
 * names resolve in the project first (see vers_resolve). */
static int name_taken(struct vers_ctx *ctx, const char *name, const char *project, bool is_tag,
                      vers_error_t *err)
{
        const char *what = is_tag ? "tag" : "alias";
        if (shadows_an_id(ctx, name, what, err) < 0)
                return -1;
        struct vers_env *e = NULL;
        struct vers_commit *c = NULL;
        size_t ne = 0, nc = 0;
        if (vers_meta_list_envs(&ctx->meta, "alias = ?1", name, &e, &ne, err) < 0)
                return -1;
        bool env_clash = false, tag_clash = false;
        for (size_t i = 0; i < ne; i++)
                env_clash |= !is_tag || same_project(e[i].project, project);
        vers_envs_free(e, ne);
        if (vers_meta_list_commits(&ctx->meta, "tag = ?1", name, &c, &nc, err) < 0)
                return -1;
        for (size_t i = 0; i < nc; i++)
                tag_clash |= same_project(c[i].project, project);
        vers_commits_free(c, nc);
        if (env_clash)
                return vers_make_error(err, 0, "an env named '%s' already exists", name);
        if (tag_clash)
                return vers_make_error(err, 0, "a commit tagged '%s' already exists%s", name,
                                       project ? " in this project" : "");
        return 0;
}

/* The ready commit tagged name that a command in ctx's project means: the project's own, else
 * one of no project (older databases). Outside any project, the only one so tagged. Sets *id
 * (NULL if none); *elsewhere counts tagged commits of other projects left out. */
static int resolve_tag(struct vers_ctx *ctx, const char *name, char **id, size_t *elsewhere,
                       vers_error_t *err)
{
        struct vers_commit *c = NULL;
        size_t nc = 0;
        *id = NULL;
        *elsewhere = 0;
        if (vers_meta_list_commits(&ctx->meta, "tag = ?1 AND state = 'ready'", name, &c, &nc, err) <
            0)
                return -1;
        const char *own = NULL, *legacy = NULL;
        for (size_t i = 0; i < nc; i++) {
                if (!c[i].project)
                        legacy = c[i].id;
                else if (ctx->project_dir && !strcmp(c[i].project, ctx->project_dir))
                        own = c[i].id;
                else
                        (*elsewhere)++;
        }
        int ret = 0;
        if (own || legacy)
                *id = xstrdup(own ? own : legacy);
        else if (!ctx->project_dir && *elsewhere == 1)
                *id = xstrdup(c[0].id);
        else if (!ctx->project_dir && *elsewhere > 1)
                ret = vers_make_error(err, 0,
                                      "tag '%s' is in %zu projects; run this in one of them, or "
                                      "name the commit by its id",
                                      name, *elsewhere);
        vers_commits_free(c, nc);
        return ret;
}

/* Order: an alias of this project's env, a tag of this project, an exact id, the alias of
 * another project's env (aliases are unique over the root), a unique id prefix. Outside any
 * project every env is "this project's". Other projects' tags never resolve inside a project. */
int vers_resolve(struct vers_ctx *ctx, const char *name, struct vers_ref *out, vers_error_t *err)
{
        out->kind = VERS_REF_NONE;
        out->id = NULL;
        if (!name || !*name)
                return vers_make_error(err, 0, "empty name");
        if (strchr(name, '/') || strstr(name, ".."))
                return vers_name_check("name", name, err);
        struct vers_env *e = NULL;
        struct vers_commit *c = NULL;
        size_t ne = 0, nc = 0;
        const char *live = " AND state IN ('running','stopped','rollback')";
        _cleanup_free_ char *w1 = xasprintf("alias = ?1%s", live);
        _cleanup_free_ char *w2 = xasprintf("id = ?1%s", live);
        _cleanup_free_ char *aliased = NULL; /* an env of another project with that alias */
        if (vers_meta_list_envs(&ctx->meta, w1, name, &e, &ne, err) < 0)
                return -1;
        if (ne) {
                if (!ctx->project_dir || same_project(e[0].project, ctx->project_dir)) {
                        out->kind = VERS_REF_ENV;
                        out->id = xstrdup(e[0].id);
                } else {
                        aliased = xstrdup(e[0].id);
                }
        }
        vers_envs_free(e, ne);
        if (out->kind != VERS_REF_NONE)
                return 0;
        _cleanup_free_ char *tagged = NULL;
        size_t elsewhere = 0;
        if (resolve_tag(ctx, name, &tagged, &elsewhere, err) < 0)
                return -1;
        if (tagged) {
                out->kind = VERS_REF_COMMIT;
                out->id = steal_pointer(&tagged);
                return 0;
        }
        if (vers_meta_list_envs(&ctx->meta, w2, name, &e, &ne, err) < 0)
                return -1;
        if (ne) {
                out->kind = VERS_REF_ENV;
                out->id = xstrdup(e[0].id);
                vers_envs_free(e, ne);
                return 0;
        }
        if (vers_meta_list_commits(&ctx->meta, "id = ?1 AND state = 'ready'", name, &c, &nc, err) <
            0)
                return -1;
        if (nc) {
                out->kind = VERS_REF_COMMIT;
                out->id = xstrdup(c[0].id);
                vers_commits_free(c, nc);
                return 0;
        }
        if (aliased) {
                out->kind = VERS_REF_ENV;
                out->id = steal_pointer(&aliased);
                return 0;
        }
        if (vers_looks_like_id(name)) {
                _cleanup_free_ char *pat = xasprintf("%s%%", name);
                _cleanup_free_ char *w3 = xasprintf("id LIKE ?1%s", live);
                if (vers_meta_list_envs(&ctx->meta, w3, pat, &e, &ne, err) < 0)
                        return -1;
                if (vers_meta_list_commits(&ctx->meta, "id LIKE ?1 AND state = 'ready'", pat, &c,
                                           &nc, err) < 0) {
                        vers_envs_free(e, ne);
                        return -1;
                }
                if (ne + nc == 1) {
                        out->kind = ne ? VERS_REF_ENV : VERS_REF_COMMIT;
                        out->id = xstrdup(ne ? e[0].id : c[0].id);
                }
                vers_envs_free(e, ne);
                vers_commits_free(c, nc);
                if (ne + nc > 1)
                        return vers_make_error(err, 0,
                                               "'%s' is ambiguous (%zu matches); give more "
                                               "characters",
                                               name, ne + nc);
                if (out->kind != VERS_REF_NONE)
                        return 0;
        }
        if (elsewhere)
                return vers_make_error(err, 0,
                                       "no env or commit named '%s' in this project (another "
                                       "project has that tag: name its commit by id, see 'vers "
                                       "commit list --all')",
                                       name);
        return vers_make_error(
            err, 0, "no env or commit named '%s' (see 'vers status' and 'vers commit list')", name);
}

int vers_resolve_base(struct vers_ctx *ctx, const char *name, struct vers_ref *out,
                      vers_error_t *err)
{
        vers_error_t first = NULL;
        if (vers_resolve(ctx, name, out, &first) == 0)
                return 0;
        struct vers_commit *c = NULL;
        size_t nc = 0;
        if (vers_meta_list_commits(&ctx->meta, "tag = ?1 AND state = 'ready'", name, &c, &nc,
                                   NULL) < 0 ||
            nc == 0) {
                vers_commits_free(c, nc);
                if (err)
                        *err = first;
                else
                        vers_error_free(&first);
                return -1;
        }
        vers_error_free(&first);
        int ret = 0;
        if (nc == 1) {
                out->kind = VERS_REF_COMMIT;
                out->id = xstrdup(c[0].id);
        } else {
                ret = vers_make_error(err, 0,
                                      "tag '%s' is in %zu other projects; name the commit by its "
                                      "id (see 'vers tag list --all')",
                                      name, nc);
        }
        vers_commits_free(c, nc);
        return ret;
}

char *vers_commit_label(struct vers_ctx *ctx, const char *id)
{
        struct vers_commit c = {0};
        if (!id || vers_meta_get_commit(&ctx->meta, id, &c, NULL) != 1)
                return xstrdup(id ? id : "-");
        char *r = xstrdup(c.tag ? c.tag : c.id);
        vers_commit_clear(&c);
        return r;
}

char *vers_env_label(struct vers_ctx *ctx, const char *id)
{
        struct vers_env e = {0};
        if (!id || vers_meta_get_env(&ctx->meta, id, &e, NULL) != 1)
                return xstrdup(id ? id : "-");
        char *r = xstrdup(e.alias ? e.alias : e.id);
        vers_env_clear(&e);
        return r;
}

/* ---- HEAD ------------------------------------------------------------------------------ */

/* The project's .vers/ is bound read-write into its envs: anything in it may have been
 * replaced from inside one. .vers itself and HEAD are opened O_NOFOLLOW and HEAD is replaced
 * through a per-writer temp file, so a planted symlink redirects nothing. Returns the
 * directory's fd, -1 with *err set, or -2 when it does not exist (and create is false). */
static int open_dot_vers(struct vers_ctx *ctx, bool create, vers_error_t *err)
{
        _cleanup_close_ int pfd = open(ctx->project_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
                return vers_make_error(err, errno, "cannot open '%s'", ctx->project_dir);
        if (create && mkdirat(pfd, ".vers", 0755) < 0 && errno != EEXIST)
                return vers_make_error(err, errno, "cannot create '%s/.vers'", ctx->project_dir);
        int fd = openat(pfd, ".vers", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && !create)
                return -2;
        if (fd < 0)
                return vers_make_error(err, errno,
                                       "cannot open '%s/.vers' (it must be a directory, not a "
                                       "symlink)",
                                       ctx->project_dir);
        return fd;
}

int vers_head_get(struct vers_ctx *ctx, struct vers_ref *out, vers_error_t *err)
{
        out->kind = VERS_REF_NONE;
        out->id = NULL;
        const char *forced = getenv("VERS_ENV");
        if (forced && *forced)
                return vers_resolve(ctx, forced, out, err);
        if (!ctx->project_dir)
                return 0;
        _cleanup_close_ int dfd = open_dot_vers(ctx, false, err);
        if (dfd == -2)
                return 0;
        if (dfd < 0)
                return -1;
        _cleanup_close_ int fd =
            openat(dfd, "HEAD", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT)
                return 0;
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return vers_make_error(err, fd < 0 ? errno : 0,
                                       "cannot read '%s/.vers/HEAD' (it must be a regular file, "
                                       "not a symlink)",
                                       ctx->project_dir);
        char text[256];
        ssize_t n;
        while ((n = read(fd, text, sizeof text - 1)) < 0 && errno == EINTR)
                ;
        if (n < 0)
                return vers_make_error(err, errno, "cannot read '%s/.vers/HEAD'", ctx->project_dir);
        text[n] = '\0';
        char kind[16], id[64];
        if (sscanf(text, "%15s %63s", kind, id) != 2)
                return 0;
        /* HEAD may name something deleted since: treat that as no HEAD */
        if (!strcmp(kind, "env")) {
                struct vers_env e = {0};
                int r = vers_meta_get_env(&ctx->meta, id, &e, err);
                bool ok = r == 1 && strcmp(e.state, "pending") && strcmp(e.state, "deleting");
                vers_env_clear(&e);
                if (r < 0)
                        return -1;
                if (ok) {
                        out->kind = VERS_REF_ENV;
                        out->id = xstrdup(id);
                }
        } else if (!strcmp(kind, "commit")) {
                struct vers_commit c = {0};
                int r = vers_meta_get_commit(&ctx->meta, id, &c, err);
                bool ok = r == 1 && !strcmp(c.state, "ready");
                vers_commit_clear(&c);
                if (r < 0)
                        return -1;
                if (ok) {
                        out->kind = VERS_REF_COMMIT;
                        out->id = xstrdup(id);
                }
        }
        return 0;
}

int vers_head_set(struct vers_ctx *ctx, enum vers_ref_kind kind, const char *id, vers_error_t *err)
{
        if (!ctx->project_dir) {
                char cwd[PATH_MAX];
                if (!getcwd(cwd, sizeof cwd))
                        return vers_make_error(err, errno, "getcwd");
                ctx->project_dir = xstrdup(cwd);
        }
        _cleanup_close_ int dfd = open_dot_vers(ctx, true, err);
        if (dfd < 0)
                return -1;
        _cleanup_free_ char *text =
            xasprintf("%s %s\n", kind == VERS_REF_ENV ? "env" : "commit", id);
        if (vers_write_file_atomic_at(dfd, "HEAD", text, strlen(text), 0644, err) < 0)
                return vers_error_wrap(err, "cannot set HEAD in '%s/.vers'", ctx->project_dir);
        return 0;
}

/* ---- booting ---------------------------------------------------------------------------- */

static char *find_init_binary(void)
{
        const char *forced = getenv("VERS_INIT");
        if (forced && *forced)
                return xstrdup(forced);
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n > 0) {
                self[n] = '\0';
                char *slash = strrchr(self, '/');
                if (slash) {
                        *slash = '\0';
                        char *p = xasprintf("%s/vers-init", self);
                        if (access(p, X_OK) == 0)
                                return p;
                        free(p);
                        p = xasprintf("%s/../lib/vers/vers-init", self);
                        if (access(p, X_OK) == 0)
                                return p;
                        free(p);
                }
        }
        return xstrdup("/usr/local/lib/vers/vers-init");
}

int vers_start_sandbox(struct vers_ctx *ctx, const char *cg_id, const char *rootfs,
                       const char *project, const char *hostname, long mem, long vcpu,
                       unsigned flags, pid_t *pid, vers_error_t *err)
{
        bool no_services = flags & VERS_SB_NO_SERVICES;
        _cleanup_free_ char *init = find_init_binary();
        /* replaced, not written through: the env may have put a symlink there */
        if (vers_copy_file_into_root(init, rootfs, ".vers/init", 0755, err) < 0)
                return vers_error_wrap(err, "cannot install vers-init (looked for '%s')", init);
        char *argv[] = {"/.vers/init", no_services ? "--no-services" : NULL, NULL};
        struct vers_sandbox_spec spec = {
            .envid = cg_id,
            .rootfs = rootfs,
            .project_dir = project,
            .hostname = hostname,
            .memory_mib = mem,
            .vcpu = vcpu,
            .pids = ctx->cfg.pids,
            .idmap = &ctx->idmap,
            .init_argv = argv,
            .host_net = flags & VERS_SB_HOST_NET,
        };
        return vers_sandbox_start(&spec, pid, err);
}

static char **env_vars(const char *rootfs, char **extra, bool no_env_file)
{
        char **v = NULL;
        if (no_env_file) {
                for (size_t i = 0; extra && extra[i]; i++)
                        strv_push(&v, extra[i]);
                return v ? v : xcalloc(1, sizeof *v);
        }
        _cleanup_free_ char *text = NULL;
        if (vers_read_file_in_root(rootfs, ".vers/env", 0, &text, NULL, NULL) == 0) {
                char *save = NULL;
                for (char *line = strtok_r(text, "\n", &save); line;
                     line = strtok_r(NULL, "\n", &save)) {
                        if (strchr(line, '='))
                                strv_push(&v, line);
                }
        } else {
                strv_push(&v, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        }
        strv_push(&v, "HOME=/root");
        strv_push(&v, "LANG=C.UTF-8");
        const char *term = getenv("TERM");
        _cleanup_free_ char *t = xasprintf("TERM=%s", term ? term : "dumb");
        strv_push(&v, t);
        for (size_t i = 0; extra && extra[i]; i++)
                strv_push(&v, extra[i]);
        return v;
}

int vers_exec_in(pid_t init_pid, const char *cg_id, const char *rootfs, const char *workdir,
                 char *const argv[], const struct vers_exec_opts *o, int *status, vers_error_t *err)
{
        _cleanup_strv_ char **envp =
            env_vars(rootfs, o ? o->extra_env : NULL, o ? o->no_env_file : false);
        struct vers_exec_spec spec = {
            .init_pid = init_pid,
            .envid = cg_id,
            .argv = argv,
            .envp = envp,
            .workdir = workdir,
            .timeout_sec = o ? o->timeout_sec : 0,
            .pty = o ? o->pty : false,
            .quiet = o ? o->quiet : false,
            .user = o ? o->user : NULL,
            .build_io = o ? o->build_io : false,
        };
        return vers_sandbox_exec(&spec, status, err);
}

/* Last lines of a file under rootfs, for error messages (from its last 64 KiB). */
char *vers_tail_of(const char *rootfs, const char *rel, int lines)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        if (vers_read_file_in_root(rootfs, rel, 65536, &text, &len, NULL) < 0 || len == 0)
                return NULL;
        while (len > 0 && text[len - 1] == '\n')
                text[--len] = '\0';
        size_t i = len;
        int seen = 0;
        while (i > 0) {
                if (text[i - 1] == '\n' && ++seen == lines)
                        break;
                i--;
        }
        return xstrdup(text + i);
}

int vers_env_config_read(struct vers_ctx *ctx, const struct vers_env *e, const char *rel,
                         char **out, vers_error_t *err)
{
        if (!e->image)
                return vers_make_error(err, 0, "env '%s' has no image", e->id);
        _cleanup_free_ char *image = vers_store_image_path(&ctx->store, e->image);
        /* in-root even here: an image's tree was also written by its build's RUN steps */
        return vers_read_file_in_root(image, rel, 0, out, NULL, err);
}

char **vers_env_log_files(struct vers_ctx *ctx, const struct vers_env *e)
{
        char **v = NULL;
        _cleanup_free_ char *text = NULL;
        if (vers_env_config_read(ctx, e, ".vers/logs", &text, NULL) < 0) {
                /* images made before .vers/logs existed, or deleted */
                strv_push(&v, "/var/log/vers/init.log");
                strv_push(&v, "/var/log/vers/boot.log");
                strv_push(&v, "/var/log/postgresql/postgresql-15-main.log");
                return v;
        }
        char *save = NULL;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                if (l[0] == '/')
                        strv_push(&v, l);
        }
        return v;
}

/* running_only: wait only for the services that run (a restored env has the services its
 * commit had, a stopped one included) */
static int wait_ready(struct vers_ctx *ctx, const struct vers_env *e, const char *rootfs,
                      bool running_only, vers_error_t *err)
{
        if (!vers_exists_in_root(rootfs, ".vers/ready"))
                return 0;
        char *argv[] = {"/.vers/ready", running_only ? "--running" : NULL, NULL};
        struct vers_exec_opts o = {.timeout_sec = READY_TIMEOUT, .quiet = true};
        int status = 0;
        if (vers_exec_in((pid_t)e->init_pid, e->id, rootfs, "/", argv, &o, &status, err) < 0)
                return -1;
        if (status != 0) {
                _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
                _cleanup_strv_ char **logs = vers_env_log_files(ctx, e);
                for (size_t i = 2; logs && logs[i]; i++) { /* the services' own logs */
                        _cleanup_free_ char *t = vers_tail_of(rootfs, logs[i], 5);
                        if (t)
                                strbuf_addf(&sb, "\n%s:\n%s", logs[i], t);
                }
                return vers_make_error(err, 0, "services did not become ready%s%s",
                                       sb.len ? "; last log lines:" : " (see 'vers logs')", sb.buf);
        }
        return 0;
}

/* Record PID 1 of a started or restored env, wait for its services, save the final state. */
static int env_started(struct vers_ctx *ctx, struct vers_env *e, pid_t pid, const char *mode,
                       const char *rootfs, const char *final_state, vers_error_t *err)
{
        e->init_pid = pid;
        e->init_start = (int64_t)vers_pid_starttime(pid);
        free(e->mode);
        e->mode = xstrdup(mode);
        if (vers_meta_put_env(&ctx->meta, e, err) < 0 ||
            vers_failpoint("start-before-ready", err) < 0)
                return -1;
        /* what the env's mounts are now is what a warm commit may dump (checkpoint.h) */
        _cleanup_free_ char *dir = vers_store_env_dir(&ctx->store, e->id);
        if (vers_mounts_record(pid, dir, err) < 0)
                return -1;
        if (wait_ready(ctx, e, rootfs, !strcmp(mode, "warm"), err) < 0)
                return -1;
        free(e->state);
        e->state = xstrdup(final_state);
        return vers_meta_put_env(&ctx->meta, e, err);
}

/* Boot a stopped env in place and wait for its services. Updates and saves *e. */
static int env_boot(struct vers_ctx *ctx, struct vers_env *e, const char *final_state,
                    vers_error_t *err)
{
        _cleanup_free_ char *rootfs = vers_store_env_rootfs(&ctx->store, e->id);
        pid_t pid;
        vers_cgroup_kill(e->id);
        vers_cgroup_destroy(e->id);
        if (vers_start_sandbox(ctx, e->id, rootfs, e->project, e->alias ? e->alias : e->id,
                               e->memory_mib, e->vcpu, 0, &pid, err) < 0)
                return -1;
        return env_started(ctx, e, pid, "cold", rootfs, final_state, err);
}

/* Restore a warm commit's process tree onto the env's (fresh) rootfs. */
static int env_restore(struct vers_ctx *ctx, struct vers_env *e, const char *commit_id,
                       const char *final_state, vers_error_t *err)
{
        _cleanup_free_ char *rootfs = vers_store_env_rootfs(&ctx->store, e->id);
        _cleanup_free_ char *dir = vers_store_env_dir(&ctx->store, e->id);
        _cleanup_free_ char *cdir = vers_store_commit_dir(&ctx->store, commit_id);
        _cleanup_free_ char *images = xasprintf("%s/criu", cdir);
        pid_t pid;
        vers_cgroup_kill(e->id);
        vers_cgroup_destroy(e->id);
        if (vers_cgroup_create(e->id, e->memory_mib, e->vcpu, ctx->cfg.pids, err) < 0)
                return -1;
        if (vers_criu_restore(images, rootfs, e->id, dir, 0, &pid, err) < 0)
                return -1;
        /* the restored uts namespace still has the source env's name */
        vers_sandbox_set_hostname(pid, e->alias ? e->alias : e->id, NULL);
        return env_started(ctx, e, pid, "warm", rootfs, final_state, err);
}

static void env_init_row(struct vers_ctx *ctx, struct vers_env *e, const char *alias,
                         const char *image, const char *base, const char *project)
{
        memset(e, 0, sizeof *e);
        e->id = vers_new_id();
        e->alias = alias ? xstrdup(alias) : NULL;
        e->project =
            project ? xstrdup(project) : (ctx->project_dir ? xstrdup(ctx->project_dir) : NULL);
        e->image = image ? xstrdup(image) : NULL;
        e->base = base ? xstrdup(base) : NULL;
        e->state = xstrdup("pending");
        e->mode = xstrdup("cold");
        e->memory_mib = ctx->cfg.memory_mib;
        e->vcpu = ctx->cfg.vcpu;
        e->created = (int64_t)vers_now_ms();
        e->owner_pid = getpid();
        e->owner_start = vers_my_start();
}

/* Make an env from a read-only subvolume (an image or a commit's rootfs); with warm_commit,
 * restore that commit's processes instead of booting. */
static int env_create(struct vers_ctx *ctx, const char *src, const char *warm_commit,
                      struct vers_env *e, vers_error_t *err)
{
        if (e->alias && (vers_name_check("alias", e->alias, err) < 0 ||
                         name_taken(ctx, e->alias, e->project, false, err) < 0))
                return -1;
        if (vers_store_check_room(&ctx->store, err) < 0)
                return -1;
        if (vers_meta_put_env(&ctx->meta, e, err) < 0)
                return -1;
        _cleanup_free_ char *dir = vers_store_env_dir(&ctx->store, e->id);
        _cleanup_free_ char *rootfs = vers_store_env_rootfs(&ctx->store, e->id);
        if (vers_failpoint("branch-after-row", err) < 0)
                goto undo;
        if (mkdir(dir, 0700) < 0) {
                vers_make_error(err, errno, "cannot create '%s'", dir);
                goto undo;
        }
        if (vers_subvol_snapshot(src, rootfs, false, err) < 0 ||
            vers_subvol_limit(&ctx->store, rootfs, ctx->cfg.vm_mib, err) < 0)
                goto undo;
        if (vers_failpoint("branch-after-snapshot", err) < 0)
                goto undo;
        if ((warm_commit ? env_restore(ctx, e, warm_commit, "running", err)
                         : env_boot(ctx, e, "running", err)) < 0 ||
            vers_failpoint("branch-before-ready", err) < 0)
                goto undo;
        e->owner_pid = e->owner_start = 0;
        return vers_meta_put_env(&ctx->meta, e, err);
undo:
        undo_env(ctx, e, NULL);
        return -1;
}

/* ---- run / branch ----------------------------------------------------------------------- */

int vers_env_run(struct vers_ctx *ctx, const char *alias, struct vers_env *out, vers_error_t *err)
{
        if (alias && (vers_name_check("alias", alias, err) < 0 ||
                      name_taken(ctx, alias, ctx->project_dir, false, err) < 0))
                return -1;
        _cleanup_free_ char *image = NULL;
        bool cached = false;
        if (vers_build(ctx, &(struct vers_build_opts){0}, &image, &cached, err) < 0)
                return -1;
        env_init_row(ctx, out, alias, image, NULL, NULL);
        _cleanup_free_ char *src = vers_store_image_path(&ctx->store, image);
        vers_progress(ctx, "starting env %s", alias ? alias : out->id);
        return env_create(ctx, src, NULL, out, err);
}

/* Should an env made from commit c restore its processes? Sets *warm, or fails. */
static int decide_restore(struct vers_ctx *ctx, const struct vers_commit *c, enum vers_mode mode,
                          bool *warm, vers_error_t *err)
{
        bool is_warm = c->mode && !strcmp(c->mode, "warm");
        *warm = false;
        if (mode == VERS_MODE_COLD)
                return 0;
        if (!is_warm) {
                if (mode == VERS_MODE_WARM)
                        return vers_make_error(err, 0,
                                               "commit '%s' is cold: it holds no processes to "
                                               "restore (commit with --warm)",
                                               c->tag ? c->tag : c->id);
                return 0;
        }
        const struct vers_criu_info *ci = vers_criu_probe();
        if (!ci->usable) {
                if (mode == VERS_MODE_WARM)
                        return vers_make_error(err, 0, "cannot restore: %s", ci->why);
                vers_notice(ctx, "booting cold from warm commit '%s': %s", c->tag ? c->tag : c->id,
                            ci->why);
                return 0;
        }
        *warm = true;
        return 0;
}

int vers_env_branch(struct vers_ctx *ctx, const char *commit_id, const char *alias,
                    enum vers_mode mode, struct vers_env *out, vers_error_t *err)
{
        struct vers_commit c = {0};
        int r = vers_meta_get_commit(&ctx->meta, commit_id, &c, err);
        if (r <= 0)
                return r < 0 ? -1 : vers_make_error(err, 0, "no commit '%s'", commit_id);
        bool warm = false;
        if (decide_restore(ctx, &c, mode, &warm, err) < 0) {
                vers_commit_clear(&c);
                memset(out, 0, sizeof *out);
                return -1;
        }
        /* an env belongs to the project it was branched in (so its status lists it); outside
         * any project, it works where the commit's source env did */
        struct vers_env src_env = {0};
        const char *project = ctx->project_dir ? ctx->project_dir : c.project;
        if (!project && c.env && vers_meta_get_env(&ctx->meta, c.env, &src_env, NULL) == 1)
                project = src_env.project;
        env_init_row(ctx, out, alias, c.image, c.id, project);
        vers_env_clear(&src_env);
        vers_commit_clear(&c);
        _cleanup_free_ char *src = vers_store_commit_rootfs(&ctx->store, commit_id);
        return env_create(ctx, src, warm ? commit_id : NULL, out, err);
}

/* ---- commit ----------------------------------------------------------------------------- */

/* The services' pre-commit hooks, one service at a time: a service that is not running (the
 * user stopped it) has nothing to flush and is skipped, with a notice. */
static int run_pre_commit(struct vers_ctx *ctx, const struct vers_env *e, const char *rootfs,
                          vers_error_t *err)
{
        if (!vers_exists_in_root(rootfs, ".vers/pre-commit"))
                return 0;
        _cleanup_strv_ char **names = vers_services_names(rootfs);
        /* a root with a hook but no services file runs it once, without a name */
        for (size_t i = 0; i == 0 || names[i]; i++) {
                char *argv[] = {"/.vers/pre-commit", names[i], NULL};
                struct vers_exec_opts xo = {.timeout_sec = 300, .quiet = true};
                int status = 0;
                if (vers_exec_in((pid_t)e->init_pid, e->id, rootfs, "/", argv, &xo, &status, err) <
                    0)
                        return -1;
                if (status == 3 && names[i]) {
                        vers_notice(ctx,
                                    "notice: %s is not running in env '%s'; committing without "
                                    "its pre-commit hook",
                                    names[i], e->alias ? e->alias : e->id);
                        continue;
                }
                if (status != 0)
                        return vers_make_error(err, 0,
                                               "pre-commit hook%s%s failed (exit %d); is the "
                                               "database up? see 'vers logs'",
                                               names[i] ? " of " : "", names[i] ? names[i] : "",
                                               status);
                if (!names[i])
                        break;
        }
        return 0;
}

/* Can a branch restore what a warm dump of this (frozen) env would hold? 1 yes, 0 no with
 * *why, -1 error. */
static int check_restorable(struct vers_ctx *ctx, const struct vers_env *e, char **why,
                            vers_error_t *err)
{
        _cleanup_free_ char *envdir = vers_store_env_dir(&ctx->store, e->id);
        return vers_mounts_unchanged((pid_t)e->init_pid, envdir, why, err);
}

/* Restore the commit's dump once into a throwaway copy (vers commit --verify). */
static int verify_restore(struct vers_ctx *ctx, const struct vers_env *e, const char *commit_id,
                          vers_error_t *err)
{
        _cleanup_free_ char *cdir = vers_store_commit_dir(&ctx->store, commit_id);
        _cleanup_free_ char *images = xasprintf("%s/criu", cdir);
        _cleanup_free_ char *rootfs = vers_store_commit_rootfs(&ctx->store, commit_id);
        /* under envs/ with an id no row has: 'vers gc' removes it and its cgroup if this
         * process dies half-way */
        _cleanup_free_ char *id = vers_new_id();
        _cleanup_free_ char *scratch = vers_store_env_dir(&ctx->store, id);
        /* CRIU's log stays with the source env, for the message's "log:" to name */
        _cleanup_free_ char *envdir = vers_store_env_dir(&ctx->store, e->id);
        _cleanup_free_ char *workdir = xasprintf("%s/verify", envdir);
        if (mkdir(workdir, 0700) < 0 && errno != EEXIST)
                return vers_make_error(err, errno, "cannot create '%s'", workdir);
        struct vers_restore_check c = {
            images, rootfs, scratch, workdir, id, e->memory_mib, e->vcpu, ctx->cfg.pids,
        };
        if (vers_checkpoint_try_restore(&c, err) < 0)
                return vers_error_wrap(err, "the commit's processes could not be restored");
        return 0;
}

int vers_env_commit(struct vers_ctx *ctx, const char *env_id, const struct vers_commit_opts *o,
                    struct vers_commit *out, double *pause_ms, vers_error_t *err)
{
        if (o->tag && vers_tag_check(o->tag, err) < 0)
                return -1;
        if (vers_store_check_room(&ctx->store, err) < 0)
                return -1;
        struct vers_env e = {0};
        int r = vers_meta_get_env(&ctx->meta, env_id, &e, err);
        if (r <= 0)
                return r < 0 ? -1 : vers_make_error(err, 0, "no env '%s'", env_id);
        /* a commit belongs to its env's project, and keeps it when the env is deleted */
        if (o->tag && name_taken(ctx, o->tag, e.project, true, err) < 0) {
                vers_env_clear(&e);
                return -1;
        }
        int ret = -1;
        bool running = vers_env_is_running(&e);
        bool warm = false;
        memset(out, 0, sizeof *out);
        if (running && o->mode != VERS_MODE_COLD) {
                const struct vers_criu_info *ci = vers_criu_probe();
                if (ci->usable)
                        warm = true;
                else if (o->mode == VERS_MODE_WARM) {
                        vers_env_clear(&e);
                        return vers_make_error(err, 0, "cannot commit warm: %s", ci->why);
                } else
                        notice_cold_once(ctx, ci->why);
        } else if (!running && o->mode == VERS_MODE_WARM) {
                vers_env_clear(&e);
                return vers_make_error(err, 0, "cannot commit warm: env '%s' is not running",
                                       e.alias ? e.alias : e.id);
        }
        _cleanup_free_ char *rootfs = vers_store_env_rootfs(&ctx->store, e.id);
        _cleanup_free_ char *envdir = vers_store_env_dir(&ctx->store, e.id);
        _cleanup_free_ char *lockpath = xasprintf("%s/commit.lock", envdir);
        _cleanup_close_ int lockfd = -1;
        out->id = vers_new_id();
        out->parent = e.base ? xstrdup(e.base) : NULL;
        out->image = e.image ? xstrdup(e.image) : NULL;
        out->env = xstrdup(e.id);
        out->project = e.project ? xstrdup(e.project) : NULL;
        out->tag = o->tag ? xstrdup(o->tag) : NULL;
        out->message = o->message ? xstrdup(o->message) : NULL;
        out->mode = xstrdup("cold");
        out->state = xstrdup("pending");
        out->created = (int64_t)vers_now_ms();
        out->owner_pid = getpid();
        out->owner_start = vers_my_start();
        _cleanup_free_ char *dir = vers_store_commit_dir(&ctx->store, out->id);
        _cleanup_free_ char *dst = vers_store_commit_rootfs(&ctx->store, out->id);
        if (vers_meta_put_commit(&ctx->meta, out, err) < 0)
                goto out;
        if (vers_failpoint("commit-after-row", err) < 0)
                goto undo;
        /* one commit of an env at a time: two would freeze, dump and thaw across each other.
         * The kernel drops the lock if this process dies. */
        lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0) {
                vers_make_error(err, errno, "cannot lock '%s'", lockpath);
                goto undo;
        }
        if (vers_failpoint("commit-after-lock", err) < 0)
                goto undo;
        if (running && run_pre_commit(ctx, &e, rootfs, err) < 0)
                goto undo;
        if (vers_failpoint("commit-after-hook", err) < 0)
                goto undo;
        if (mkdir(dir, 0700) < 0) {
                vers_make_error(err, errno, "cannot create '%s'", dir);
                goto undo;
        }
        /* write back what is dirty before the freeze, so that the snapshot inside it has
         * little to flush and the pause does not grow with the amount of data written */
        {
                _cleanup_close_ int rfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (rfd >= 0)
                        syncfs(rfd);
        }
        double t0 = vers_monotonic();
        if (running && (vers_cgroup_freeze(e.id, true, err) < 0 ||
                        vers_failpoint("commit-after-freeze", err) < 0)) {
                vers_cgroup_freeze(e.id, false, NULL);
                goto undo;
        }
        if (warm) {
                /* frozen, the env cannot change its mounts between this check and the dump */
                _cleanup_free_ char *why = NULL;
                int ok = check_restorable(ctx, &e, &why, err);
                if (ok < 0 || (ok == 0 && o->mode == VERS_MODE_WARM)) {
                        vers_cgroup_freeze(e.id, false, NULL);
                        if (ok == 0)
                                vers_make_error(err, 0,
                                                "cannot commit warm: in env '%s', %s; a warm "
                                                "branch may not restore it (unmount it or "
                                                "commit --cold)",
                                                e.alias ? e.alias : e.id, why);
                        goto undo;
                }
                if (ok == 0) {
                        vers_notice(ctx,
                                    "committing env '%s' cold: %s; a warm branch may not "
                                    "restore it",
                                    e.alias ? e.alias : e.id, why);
                        warm = false;
                }
        }
        if (warm) {
                /* processes and memory, in the same frozen instant as the disk */
                _cleanup_free_ char *images = xasprintf("%s/criu", dir);
                _cleanup_free_ char *log = xasprintf("%s/dump.log", images);
                _cleanup_free_ char *freezer = vers_cgroup_freezer_dir(e.id);
                vers_error_t derr = NULL;
                if (mkdir(images, 0700) < 0 && errno != EEXIST) {
                        vers_make_error(&derr, errno, "cannot create '%s'", images);
                } else {
                        if (vers_criu_dump((pid_t)e.init_pid, images, freezer, log, &derr) == 0)
                                vers_criu_give_images(images, ctx->idmap.root_uid,
                                                      ctx->idmap.root_gid, &derr);
                }
                if (!derr && vers_failpoint("commit-after-dump", err) < 0) {
                        vers_cgroup_freeze(e.id, false, NULL);
                        goto undo;
                }
                if (derr) {
                        if (o->mode == VERS_MODE_WARM) {
                                vers_cgroup_freeze(e.id, false, NULL);
                                *err = derr;
                                goto undo;
                        }
                        vers_notice(ctx, "warm commit failed, committing cold instead: %s",
                                    derr->msg);
                        vers_error_free(&derr);
                        vers_rm_rf(images, NULL);
                        warm = false;
                }
        }
        int snap = vers_subvol_snapshot(rootfs, dst, true, err);
        if (snap == 0)
                snap = vers_failpoint("commit-after-snapshot", err);
        if (running)
                vers_cgroup_freeze(e.id, false, NULL);
        if (pause_ms)
                *pause_ms = (vers_monotonic() - t0) * 1000.0;
        if (snap < 0 || vers_failpoint("commit-before-ready", err) < 0)
                goto undo;
        if (warm && (o->verify || ctx->cfg.checkpoint_verify)) {
                vers_error_t verr = NULL;
                if (verify_restore(ctx, &e, out->id, &verr) < 0) {
                        if (o->mode == VERS_MODE_WARM) {
                                *err = verr;
                                goto undo;
                        }
                        vers_notice(ctx, "%s; committing cold instead", verr->msg);
                        vers_error_free(&verr);
                        _cleanup_free_ char *images = xasprintf("%s/criu", dir);
                        vers_rm_rf(images, NULL);
                        warm = false;
                }
        }
        free(out->state);
        out->state = xstrdup("ready");
        free(out->mode);
        out->mode = xstrdup(warm ? "warm" : "cold");
        out->owner_pid = out->owner_start = 0;
        if (vers_meta_put_commit(&ctx->meta, out, err) < 0)
                goto undo;
        /* the env now descends from this commit */
        free(e.base);
        e.base = xstrdup(out->id);
        ret = vers_meta_put_env(&ctx->meta, &e, err);
        goto out;
undo:
        vers_subvol_delete(dst, NULL);
        vers_rm_rf(dir, NULL);
        vers_meta_delete(&ctx->meta, "commits", out->id, NULL);
        vers_commit_clear(out);
out:
        vers_env_clear(&e);
        return ret;
}

/* ---- rollback, stop, delete ------------------------------------------------------------- */

int vers_env_rollback(struct vers_ctx *ctx, const char *env_id, const char *commit_id,
                      enum vers_mode mode, vers_error_t *err)
{
        struct vers_env e = {0};
        struct vers_commit c = {0};
        bool warm = false;
        if (vers_store_check_room(&ctx->store, err) < 0)
                return -1;
        int r = vers_meta_get_commit(&ctx->meta, commit_id, &c, err);
        if (r <= 0)
                return r < 0 ? -1 : vers_make_error(err, 0, "no commit '%s'", commit_id);
        r = decide_restore(ctx, &c, mode, &warm, err);
        vers_commit_clear(&c);
        if (r < 0)
                return -1;
        r = vers_meta_get_env(&ctx->meta, env_id, &e, err);
        if (r <= 0)
                return r < 0 ? -1 : vers_make_error(err, 0, "no env '%s'", env_id);
        free(e.state);
        e.state = xstrdup("rollback");
        free(e.target);
        e.target = xstrdup(commit_id);
        e.owner_pid = getpid();
        e.owner_start = vers_my_start();
        int ret = -1;
        /* from here on, a failure is finished by the next command's recovery */
        if (vers_meta_put_env(&ctx->meta, &e, err) < 0 ||
            vers_failpoint("rollback-after-mark", err) < 0)
                goto out;
        if (finish_rollback(ctx, &e, err) < 0)
                goto out;
        ret = warm ? env_restore(ctx, &e, commit_id, "running", err)
                   : env_boot(ctx, &e, "running", err);
out:
        vers_env_clear(&e);
        return ret;
}

int vers_env_stop(struct vers_ctx *ctx, const char *env_id, vers_error_t *err)
{
        struct vers_env e = {0};
        int r = vers_meta_get_env(&ctx->meta, env_id, &e, err);
        if (r <= 0)
                return r < 0 ? -1 : vers_make_error(err, 0, "no env '%s'", env_id);
        if (vers_env_is_running(&e)) {
                kill((pid_t)e.init_pid, SIGTERM);
                wait_gone(&e, 25000);
        }
        vers_cgroup_kill(e.id);
        vers_cgroup_destroy(e.id);
        vers_env_sockets_release(ctx, e.id);
        free(e.state);
        e.state = xstrdup("stopped");
        e.init_pid = e.init_start = 0;
        r = vers_meta_put_env(&ctx->meta, &e, err);
        vers_env_clear(&e);
        return r;
}

int vers_env_delete(struct vers_ctx *ctx, const char *env_id, vers_error_t *err)
{
        struct vers_env e = {0};
        int r = vers_meta_get_env(&ctx->meta, env_id, &e, err);
        if (r <= 0)
                return r < 0 ? -1 : vers_make_error(err, 0, "no env '%s'", env_id);
        free(e.state);
        e.state = xstrdup("deleting");
        e.owner_pid = getpid();
        e.owner_start = vers_my_start();
        r = vers_meta_put_env(&ctx->meta, &e, err);
        if (r == 0)
                r = vers_failpoint("delete-after-mark", err);
        if (r == 0)
                r = undo_env(ctx, &e, err);
        vers_env_clear(&e);
        return r;
}

int vers_env_ensure_running(struct vers_ctx *ctx, const char *env_id, struct vers_env *out,
                            vers_error_t *err)
{
        int r = vers_meta_get_env(&ctx->meta, env_id, out, err);
        if (r <= 0)
                return r < 0 ? -1 : vers_make_error(err, 0, "no env '%s'", env_id);
        if (vers_env_is_running(out))
                return 0;
        vers_progress(ctx, "env %s is not running; starting it", out->alias ? out->alias : out->id);
        return env_boot(ctx, out, "running", err);
}

int vers_env_default_port(struct vers_ctx *ctx, const struct vers_env *e)
{
        _cleanup_free_ char *text = NULL;
        struct vers_imageconf c = {0};
        int first = 0, known = 0;
        if (vers_env_config_read(ctx, e, VERS_IMAGECONF_FILE, &text, NULL) < 0 ||
            vers_imageconf_parse(text, &c, NULL) < 0)
                return 5432;
        for (size_t i = 0; c.expose && c.expose[i] && !known; i++) {
                int port;
                char proto[8];
                if (sscanf(c.expose[i], "%d/%7s", &port, proto) != 2 || strcmp(proto, "tcp"))
                        continue;
                if (port == 5432 || port == 3306 || port == 6379)
                        known = port;
                if (!first)
                        first = port;
        }
        vers_imageconf_clear(&c);
        return known ? known : first ? first : 5432;
}

int vers_env_exec(struct vers_ctx *ctx, const struct vers_env *e, char *const argv[],
                  const struct vers_exec_opts *o, int *status, vers_error_t *err)
{
        _cleanup_free_ char *rootfs = vers_store_env_rootfs(&ctx->store, e->id);
        const char *wd = o && o->workdir ? o->workdir : (e->project ? e->project : "/root");
        return vers_exec_in((pid_t)e->init_pid, e->id, rootfs, wd, argv, o, status, err);
}

/* ---- gc and shutdown -------------------------------------------------------------------- */

/* 1 if table has a row id, 0 if not, -1 (with err) if the metadata cannot say */
static int has_row(struct vers_ctx *ctx, const char *table, const char *id, vers_error_t *err)
{
        struct vers_env e = {0};
        struct vers_commit c = {0};
        struct vers_image i = {0};
        int r;
        if (!strcmp(table, "envs")) {
                r = vers_meta_get_env(&ctx->meta, id, &e, err);
                vers_env_clear(&e);
        } else if (!strcmp(table, "commits")) {
                r = vers_meta_get_commit(&ctx->meta, id, &c, err);
                vers_commit_clear(&c);
        } else {
                r = vers_meta_get_image(&ctx->meta, id, &i, err);
                vers_image_clear(&i);
        }
        return r;
}

/* What gc would delete: the subvolumes (paths) and cgroups (ids) no row refers to. Fails,
 * deciding nothing, on any metadata error: what cannot be checked is never deleted. */
static int gc_collect(struct vers_ctx *ctx, char ***subvols, char ***ids, char ***cgroups,
                      vers_error_t *err)
{
        const char *tables[] = {"envs", "commits", "images"};
        for (size_t t = 0; t < 3; t++) {
                _cleanup_free_ char *dir = xasprintf("%s/%s", ctx->store.path, tables[t]);
                DIR *d = opendir(dir);
                if (!d)
                        return vers_make_error(err, errno, "cannot read '%s'", dir);
                struct dirent *de;
                int r = 0;
                while (r >= 0 && (de = readdir(d)) != NULL) {
                        if (de->d_name[0] == '.' ||
                            (r = has_row(ctx, tables[t], de->d_name, err)) != 0)
                                continue;
                        _cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
                        strv_push(subvols, p);
                        strv_push(ids, de->d_name);
                }
                closedir(d);
                if (r < 0)
                        return vers_error_wrap(err, "gc: deleting nothing");
        }
        /* cgroups of this root's envs that no longer exist */
        _cleanup_free_ char *cgdir = vers_cgroup_scope_dir();
        DIR *d = opendir(cgdir);
        struct dirent *de;
        int r = 0;
        while (d && r >= 0 && (de = readdir(d)) != NULL) {
                if (de->d_name[0] == '.' || de->d_type != DT_DIR)
                        continue;
                if ((r = has_row(ctx, "envs", de->d_name, err)) != 0 ||
                    (r = has_row(ctx, "images", de->d_name, err)) != 0)
                        continue;
                bool with_subvol = false; /* removed with its subvolume, counted there */
                for (size_t i = 0; *ids && (*ids)[i] && !with_subvol; i++)
                        with_subvol = !strcmp((*ids)[i], de->d_name);
                if (!with_subvol)
                        strv_push(cgroups, de->d_name);
        }
        if (d)
                closedir(d);
        return r < 0 ? vers_error_wrap(err, "gc: deleting nothing") : 0;
}

int vers_gc(struct vers_ctx *ctx, struct vers_gc_report *rep, vers_error_t *err)
{
        memset(rep, 0, sizeof *rep);
        sockets_release_stale(ctx, false);
        _cleanup_strv_ char **subvols = NULL, **ids = NULL, **cgroups = NULL;
        if (gc_collect(ctx, &subvols, &ids, &cgroups, err) < 0 ||
            vers_failpoint("gc-before-delete", err) < 0)
                return -1;
        for (size_t i = 0; subvols && subvols[i]; i++) {
                _cleanup_free_ char *inner = xasprintf("%s/rootfs", subvols[i]);
                vers_cgroup_kill(ids[i]);
                vers_cgroup_destroy(ids[i]);
                if (vers_subvol_unlimit(&ctx->store, inner, err) < 0 ||
                    vers_subvol_delete(inner, err) < 0 || vers_subvol_delete(subvols[i], err) < 0)
                        return -1;
                rep->subvolumes++;
                if (vers_failpoint("gc-after-delete", err) < 0)
                        return -1;
        }
        /* caps of env subvolumes deleted by hand */
        if (vers_store_gc_qgroups(&ctx->store, &rep->qgroups, err) < 0)
                return -1;
        for (size_t i = 0; cgroups && cgroups[i]; i++) {
                vers_cgroup_kill(cgroups[i]);
                vers_cgroup_destroy(cgroups[i]);
                rep->cgroups++;
        }
        /* envs whose PID 1 died (machine rebooted, OOM): mark stopped */
        struct vers_env *envs = NULL;
        size_t n = 0;
        if (vers_meta_list_envs(&ctx->meta, "state = 'running'", NULL, &envs, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n; i++) {
                if (vers_env_is_running(&envs[i]))
                        continue;
                free(envs[i].state);
                envs[i].state = xstrdup("stopped");
                envs[i].init_pid = envs[i].init_start = 0;
                vers_meta_put_env(&ctx->meta, &envs[i], NULL);
                rep->rows++;
        }
        vers_envs_free(envs, n);
        return 0;
}

int vers_shutdown(struct vers_ctx *ctx, int *stopped, vers_error_t *err)
{
        struct vers_env *envs = NULL;
        size_t n = 0;
        *stopped = 0;
        if (vers_meta_list_envs(&ctx->meta, NULL, NULL, &envs, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n; i++) {
                if (!vers_env_is_running(&envs[i]))
                        continue;
                if (vers_env_stop(ctx, envs[i].id, err) < 0) {
                        vers_envs_free(envs, n);
                        return -1;
                }
                (*stopped)++;
        }
        vers_envs_free(envs, n);
        sockets_release_stale(ctx, true);
        vers_cgroup_scope_remove();
        vers_meta_close(&ctx->meta);
        return vers_store_unmount(&ctx->store, err);
}
