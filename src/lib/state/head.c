/* head — the project's .vers/HEAD, read and replaced through an O_NOFOLLOW directory fd. */
#include "state/head.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
