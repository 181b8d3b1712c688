/* layer — the layer cache (read-only subvolumes in the images table, found by key) and the
 * sandboxes build steps run in (with a host directory bound in: the build context, or the
 * read-only tree of the stage a COPY --from copies from). */
#include "build/build-private.h"
#include "base/failpoint.h"
#include "os/cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void vers_build_say(struct build *b, bool cached, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *m = NULL;
        if (vasprintf(&m, fmt, ap) < 0)
                m = NULL;
        va_end(ap);
        if (!m)
                return;
        if (b->o->verbose)
                vers_notice(b->ctx, "%s", m);
        else if (!cached)
                vers_progress(b->ctx, "%s", m);
}

char *vers_build_cache_dir(void)
{
        const char *c = getenv("VERS_CACHE");
        return xstrdup(c && *c ? c : "/var/cache/vers");
}

int vers_build_tool(struct build *b, char *const argv[], build_line_fn line, void *arg,
                    struct strbuf *out, vers_error_t *err)
{
        int fd;
        pid_t pid = vers_spawn(argv, &fd, err);
        if (pid < 0)
                return -1;
        FILE *f = fdopen(fd, "r");
        char buf[1024];
        while (f && fgets(buf, sizeof buf, f)) {
                if (out->len < (1 << 20))
                        strbuf_addstr(out, buf);
                buf[strcspn(buf, "\n")] = '\0';
                if (line)
                        line(b, buf, arg);
        }
        if (f)
                fclose(f);
        else
                close(fd);
        return vers_wait_exit(pid, err);
}

/* ---- sandboxes for build steps ------------------------------------------------------------ */

static void stop_build_sandbox(const char *cg, pid_t pid)
{
        kill(pid, SIGKILL);
        vers_cgroup_kill(cg);
        vers_cgroup_destroy(cg);
        for (int i = 0; i < 500 && vers_pid_alive(pid, 0); i++)
                vers_sleep_ms(10);
}

/* The first k parts of the absolute path p ("" for 0), into sb */
static void path_prefix(struct strbuf *sb, const char *p, size_t k)
{
        strbuf_reset(sb);
        for (const char *c = p; k && *c;) {
                c += strspn(c, "/");
                size_t n = strcspn(c, "/");
                if (!n)
                        break;
                if (sb->len)
                        strbuf_addch(sb, '/');
                strbuf_add(sb, c, n);
                c += n;
                k--;
        }
}

static size_t path_parts(const char *p)
{
        size_t n = 0;
        for (const char *c = p; *c;) {
                c += strspn(c, "/");
                size_t l = strcspn(c, "/");
                n += l > 0;
                c += l;
        }
        return n;
}

/* How many leading parts of bind already exist in the tree path (resolved inside it) */
static size_t parts_present(const char *path, const char *bind)
{
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        size_t n = path_parts(bind), k = 0;
        while (k < n) {
                path_prefix(&sb, bind, k + 1);
                if (!vers_exists_in_root(path, sb.buf))
                        break;
                k++;
        }
        return k;
}

/* Remove the (empty) directories the sandbox made in path for bind's mount point: its parts
 * from the last down to the first one that was there before (present of them) */
static void remove_mount_point(const char *path, const char *bind, size_t present)
{
        _cleanup_strbuf_ struct strbuf parent = STRBUF_INIT;
        _cleanup_strbuf_ struct strbuf whole = STRBUF_INIT;
        for (size_t k = path_parts(bind); k > present; k--) {
                path_prefix(&parent, bind, k - 1);
                path_prefix(&whole, bind, k);
                _cleanup_close_ int fd = vers_open_in_root(path, parent.len ? parent.buf : ".",
                                                           O_RDONLY | O_DIRECTORY, 0, NULL);
                const char *name = whole.buf + (parent.len ? parent.len + 1 : 0);
                if (fd < 0 || unlinkat(fd, name, AT_REMOVEDIR) < 0)
                        return;
        }
}

int vers_build_run_in(struct build *b, const char *id, const char *path, const struct build_run *r,
                      int *status, vers_error_t *err)
{
        pid_t pid;
        unsigned flags = VERS_SB_NO_SERVICES | (r->host_net ? VERS_SB_HOST_NET : 0) |
                         (b->own_root ? VERS_SB_OWN_ROOT : 0);
        size_t present = r->bind ? parts_present(path, r->bind) : 0;
        if (vers_start_sandbox(b->ctx, id, path, r->bind, "vers-build", 0, 0, flags, &pid, err) <
            0) {
                if (r->bind)
                        remove_mount_point(path, r->bind, present);
                return -1;
        }
        struct vers_exec_opts o = {
            .extra_env = r->env,
            .user = r->user,
            .build_io = true,
            .no_env_file = true,
        };
        int ret =
            vers_exec_in(pid, id, path, r->workdir ? r->workdir : "/", r->argv, &o, status, err);
        stop_build_sandbox(id, pid);
        if (r->bind)
                remove_mount_point(path, r->bind, present);
        return ret;
}

/* ---- layers ------------------------------------------------------------------------------- */

static int find_cached(struct build *b, const char *key, char **id, vers_error_t *err)
{
        struct vers_image *is = NULL;
        size_t n = 0;
        *id = NULL;
        if (vers_meta_list_images(
                &b->ctx->meta,
                &(struct vers_meta_query){.name = key, .states = VERS_Q_LAYER | VERS_Q_READY}, &is,
                &n, err) < 0)
                return -1;
        if (n)
                *id = xstrdup(is[n - 1].id);
        vers_images_free(is, n);
        return 0;
}

int vers_build_layer(struct build *b, const char *label, const char *step_key, build_apply_fn fn,
                     void *arg, bool final, char **out_id, vers_error_t *err)
{
        build_key_t key;
        vers_build_key_layer(b->key, step_key, key);
        _cleanup_free_ char *hit = NULL;
        if (!b->o->no_cache && find_cached(b, key, &hit, err) < 0)
                return -1;
        if (hit) {
                if (!final) {
                        b->cached++;
                        vers_build_say(b, true, "step %d/%d %s (cached)", b->step, b->nsteps,
                                       label);
                }
                free(b->top);
                b->top = vers_store_image_path(&b->ctx->store, hit);
                memcpy(b->key, key, sizeof key);
                if (out_id)
                        *out_id = xstrdup(hit);
                return 1;
        }
        if (final) {
                vers_build_say(b, false, "%s", label);
        } else {
                b->built++;
                vers_build_say(b, false, "step %d/%d %s", b->step, b->nsteps, label);
        }
        struct vers_image img = {
            .id = vers_new_id(),
            .key = xstrdup(key),
            .project = b->ctx->project_dir ? xstrdup(b->ctx->project_dir) : NULL,
            .state = xstrdup("pending"),
            .created = (int64_t)vers_now_ms(),
            .owner_pid = getpid(),
            .owner_start = vers_my_start(),
        };
        int ret = -1;
        _cleanup_free_ char *path = vers_store_image_path(&b->ctx->store, img.id);
        if (vers_meta_put_image(&b->ctx->meta, &img, err) < 0)
                goto out;
        if (vers_failpoint("build-after-row", err) < 0 ||
            (b->top ? vers_subvol_snapshot(b->top, path, false, err)
                    : vers_subvol_create(path, err)) < 0 ||
            fn(b, img.id, path, arg, err) < 0 || vers_failpoint("build-after-snapshot", err) < 0 ||
            vers_idmap_shift_tree(&b->ctx->idmap, path, err) < 0 ||
            vers_subvol_set_readonly(path, true, err) < 0)
                goto undo;
        free(img.state);
        img.state = xstrdup(final ? "ready" : "layer");
        img.owner_pid = img.owner_start = 0;
        if (vers_meta_put_image(&b->ctx->meta, &img, err) < 0)
                goto undo;
        free(b->top);
        b->top = xstrdup(path);
        memcpy(b->key, key, sizeof key);
        if (out_id)
                *out_id = xstrdup(img.id);
        ret = 0;
        goto out;
undo:
        vers_cgroup_kill(img.id);
        vers_cgroup_destroy(img.id);
        vers_subvol_delete(path, NULL);
        vers_meta_delete(&b->ctx->meta, VERS_META_IMAGES, img.id, NULL);
out:
        vers_image_clear(&img);
        return ret;
}
