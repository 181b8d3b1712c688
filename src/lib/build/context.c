/* context — the sources of COPY and ADD in the build context: globs, .dockerignore, the walk
 * that lists what a directory source copies, and the content key of them all; and the sources
 * of COPY --from in a stage's tree, resolved inside it. */
#include "build/build-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct walk {
        struct vers_hash *h;
        const struct vers_df_ignore *ig;
        struct strbuf list; /* below a directory source: its entries, NUL-separated */
};

/* Is rel (relative to the build context) left out of COPY and ADD? vers's own state in the
 * project (.vers/HEAD...) always is. */
static bool left_out(const struct vers_df_ignore *ig, const char *rel)
{
        return !strcmp(rel, ".vers") || !strncmp(rel, ".vers/", 6) || vers_df_ignored(ig, rel);
}

/* Is real (a resolved path) the context directory or inside it? */
static bool inside(const char *ctxdir, const char *real)
{
        size_t n = strlen(ctxdir);
        return !strncmp(real, ctxdir, n) && (real[n] == '\0' || real[n] == '/');
}

/* The SHA-256 of a file's bytes, read in full buffers (so the pieces do not depend on how
 * read() splits them). */
static int hash_file(const char *path, build_key_t out, vers_error_t *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return vers_make_error(err, errno, "cannot read '%s'", path);
        struct vers_hash h;
        vers_hash_init(&h);
        char buf[65536];
        for (;;) {
                size_t got = 0;
                ssize_t n = 1;
                while (got < sizeof buf) {
                        n = read(fd, buf + got, sizeof buf - got);
                        if (n < 0 && errno == EINTR)
                                continue; /* what this buffer holds so far stays */
                        if (n <= 0)
                                break;
                        got += (size_t)n;
                }
                if (n < 0) {
                        vers_hash_release(&h);
                        return vers_make_error(err, errno, "cannot read '%s'", path);
                }
                if (got)
                        vers_hash_add(&h, buf, got);
                if (n == 0)
                        break;
        }
        vers_hash_hex(&h, out);
        return 0;
}

/* Hash path (rel: relative to the context) into the key, as four pieces per entry: "entry",
 * its name, its mode, and its link target, its bytes' digest or nothing (a directory, whose
 * entries follow in name order). Under a directory source, list what is kept (under:
 * relative to that source). keep is false for a directory left out whose entries an
 * exception may bring back. */
static int walk(struct walk *w, const char *path, const char *rel, const char *under, bool keep,
                vers_error_t *err)
{
        struct stat st;
        if (lstat(path, &st) < 0)
                return vers_make_error(err, errno, "cannot read '%s'", path);
        if (!keep && !S_ISDIR(st.st_mode))
                return 0;
        if (keep) {
                char mode[32];
                snprintf(mode, sizeof mode, "%o", (unsigned)st.st_mode);
                char payload[PATH_MAX] = "";
                build_key_t digest;
                const char *what = payload;
                if (S_ISLNK(st.st_mode)) {
                        ssize_t n = readlink(path, payload, sizeof payload - 1);
                        if (n < 0)
                                return vers_make_error(err, errno, "cannot read link '%s'", path);
                        payload[n] = '\0';
                } else if (S_ISREG(st.st_mode)) {
                        if (hash_file(path, digest, err) < 0)
                                return -1;
                        what = digest;
                }
                vers_hash_str(w->h, "entry");
                vers_hash_str(w->h, rel);
                vers_hash_str(w->h, mode);
                vers_hash_str(w->h, what);
                if (under)
                        strbuf_add(&w->list, under, strlen(under) + 1);
        }
        if (!S_ISDIR(st.st_mode))
                return 0;
        struct dirent **names = NULL;
        int n = scandir(path, &names, NULL, alphasort);
        if (n < 0)
                return vers_make_error(err, errno, "cannot read '%s'", path);
        int ret = 0;
        for (int i = 0; i < n; i++) {
                const char *d = names[i]->d_name;
                if (ret == 0 && strcmp(d, ".") && strcmp(d, "..")) {
                        _cleanup_free_ char *p = xasprintf("%s/%s", path, d);
                        _cleanup_free_ char *r = rel[0] ? xasprintf("%s/%s", rel, d) : xstrdup(d);
                        _cleanup_free_ char *u =
                            under ? xasprintf("%s/%s", under, d) : xasprintf("./%s", d);
                        bool k = !left_out(w->ig, r);
                        if (k || (w->ig->has_exceptions && strcmp(r, ".vers")))
                                ret = walk(w, p, r, u, k, err);
                }
                free(names[i]);
        }
        free(names);
        return ret;
}

static int read_ignore(const char *ctxreal, struct vers_df_ignore *ig, vers_error_t *err)
{
        _cleanup_free_ char *path = xasprintf("%s/.dockerignore", ctxreal);
        if (!vers_path_exists(path))
                return 0;
        _cleanup_free_ char *text = NULL;
        if (vers_read_file(path, &text, NULL, err) < 0)
                return -1;
        vers_df_ignore_parse(text, ig);
        return 0;
}

/* One source word: its matches in the context, each walked into s and h. *left counts the
 * matches .dockerignore leaves out. */
static int add_source(const char *ctxreal, const char *file, const struct vers_df_instr *in,
                      const char *word, const struct vers_df_ignore *ig, struct vers_hash *h,
                      struct build_sources *s, size_t *left, vers_error_t *err)
{
        const char *kw = vers_df_kind_name(in->kind);
        if (strstr(word, "://"))
                return vers_make_error(err, 0,
                                       "%s:%ld:%ld: %s %s: only files of the build context "
                                       "can be added (fetch URLs in a RUN step)",
                                       file, in->line, in->args_col, kw, word);
        _cleanup_free_ char *pattern = xasprintf("%s/%s", ctxreal, word);
        glob_t g = {0};
        int gr = glob(pattern, GLOB_NOCHECK, NULL, &g);
        int ret = 0;
        for (size_t j = 0; gr == 0 && ret == 0 && j < g.gl_pathc; j++) {
                char real[PATH_MAX];
                if (!realpath(g.gl_pathv[j], real)) {
                        ret = vers_make_error(err, 0,
                                              "%s:%ld:%ld: %s %s: not found in the build "
                                              "context (%s)",
                                              file, in->line, in->args_col, kw, word, ctxreal);
                        break;
                }
                if (!inside(ctxreal, real)) {
                        ret = vers_make_error(err, 0,
                                              "%s:%ld:%ld: %s %s: outside the build context (%s)",
                                              file, in->line, in->args_col, kw, word, ctxreal);
                        break;
                }
                const char *rel = real + strlen(ctxreal);
                rel += *rel == '/';
                if (*rel && left_out(ig, rel)) {
                        (*left)++;
                        continue;
                }
                size_t k = strv_len(s->srcs);
                s->lists = xrealloc(s->lists, (k + 1) * sizeof *s->lists);
                struct walk w = {.h = h, .ig = ig, .list = STRBUF_INIT};
                char index[32];
                snprintf(index, sizeof index, "%zu", k);
                vers_hash_str(h, "source");
                vers_hash_str(h, index);
                ret = walk(&w, real, rel, NULL, true, err);
                s->lists[k] = w.list;
                strv_push(&s->srcs, real);
        }
        globfree(&g);
        return ret;
}

int vers_build_context_sources(const char *ctxdir, const char *file, const struct vers_df_instr *in,
                               char *const *words, size_t n, struct build_sources *out,
                               vers_error_t *err)
{
        memset(out, 0, sizeof *out);
        const char *kw = vers_df_kind_name(in->kind);
        if (!ctxdir)
                return vers_make_error(err, 0, "%s needs a project directory", kw);
        char ctxreal[PATH_MAX];
        if (!realpath(ctxdir, ctxreal))
                return vers_make_error(err, errno, "cannot resolve '%s'", ctxdir);
        struct vers_df_ignore ig = {0};
        if (read_ignore(ctxreal, &ig, err) < 0)
                return -1;
        struct vers_hash h;
        vers_hash_init(&h);
        size_t left = 0;
        int ret = 0;
        for (size_t i = 0; i < n && ret == 0; i++)
                ret = add_source(ctxreal, file, in, words[i], &ig, &h, out, &left, err);
        if (ret == 0 && !out->srcs)
                ret = vers_make_error(err, 0,
                                      "%s:%ld:%ld: %s: every source is left out by .dockerignore "
                                      "(%zu path%s)",
                                      file, in->line, in->args_col, kw, left, left == 1 ? "" : "s");
        vers_df_ignore_clear(&ig);
        if (ret < 0) {
                vers_hash_release(&h);
                vers_build_sources_clear(out);
                return -1;
        }
        vers_hash_hex(&h, out->content);
        return 0;
}

void vers_build_sources_clear(struct build_sources *s)
{
        for (size_t i = 0; s->lists && i < strv_len(s->srcs); i++)
                strbuf_release(&s->lists[i]);
        free(s->lists);
        strv_free(s->srcs);
        strv_free(s->rels);
        memset(s, 0, sizeof *s);
}

/* ---- COPY --from: sources in a stage's tree ------------------------------------------------ */

/* The host path of what rel resolves to inside rootreal, symlinks resolved as if rootreal
 * were '/' (openat2 RESOLVE_IN_ROOT, then the kernel's own name for what it opened), or NULL
 * with errno set. */
static char *resolve_in_stage(const char *rootreal, const char *rel)
{
        vers_error_t e = NULL;
        _cleanup_close_ int fd = vers_open_in_root(rootreal, rel, O_PATH, 0, &e);
        if (fd < 0) {
                errno = e && e->status ? e->status : EIO;
                vers_error_free(&e);
                return NULL;
        }
        char link[64], real[PATH_MAX];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, real, sizeof real - 1);
        if (n < 0)
                return NULL;
        real[n] = '\0';
        if (!inside(rootreal, real)) {
                errno = EXDEV; /* cannot happen: openat2 stayed in the tree */
                return NULL;
        }
        return xstrdup(real);
}

static bool has_wildcard(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (s[i] == '*' || s[i] == '?' || s[i] == '[')
                        return true;
        return false;
}

static int add_stage_source(const char *rootreal, const char *rel, struct build_sources *s)
{
        char *real = resolve_in_stage(rootreal, rel);
        if (!real)
                return -1;
        const char *in_root = real + strlen(rootreal);
        strv_push(&s->srcs, real);
        strv_push(&s->rels, *in_root ? in_root : "/");
        free(real);
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of the directory dir (inside rootreal) that match pat, sorted */
static int stage_glob(const char *rootreal, const char *dir, const char *pat, char ***out)
{
        int fd = vers_open_in_root(rootreal, dir, O_RDONLY | O_DIRECTORY, 0, NULL);
        if (fd < 0)
                return -1;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -1;
        }
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
                    fnmatch(pat, de->d_name, 0) == 0)
                        strv_push(out, de->d_name);
        closedir(d);
        size_t n = strv_len(*out);
        if (n > 1)
                qsort(*out, n, sizeof **out, cmp_str);
        return 0;
}

int vers_build_stage_sources(const char *root, const char *what, const char *file,
                             const struct vers_df_instr *in, char *const *words, size_t n,
                             struct build_sources *out, vers_error_t *err)
{
        memset(out, 0, sizeof *out);
        char rootreal[PATH_MAX];
        if (!realpath(root, rootreal))
                return vers_make_error(err, errno, "cannot resolve '%s'", root);
        int ret = 0;
        for (size_t i = 0; i < n && ret == 0; i++) {
                const char *w = words[i];
                const char *slash = strrchr(w, '/');
                size_t dlen = slash ? (size_t)(slash - w) : 0;
                const char *last = slash ? slash + 1 : w;
                if (has_wildcard(w, dlen)) {
                        ret = vers_make_error(err, 0,
                                              "%s:%ld:%ld: COPY --from=%s %s: a wildcard may only "
                                              "be in the last part of the path",
                                              file, in->line, in->args_col, in->from, w);
                        break;
                }
                size_t before = strv_len(out->srcs);
                int rc;
                if (has_wildcard(last, strlen(last))) {
                        _cleanup_free_ char *dir = dlen ? xstrndup(w, dlen) : xstrdup("/");
                        _cleanup_strv_ char **names = NULL;
                        rc = stage_glob(rootreal, dir, last, &names);
                        for (size_t j = 0; rc == 0 && names && names[j]; j++) {
                                _cleanup_free_ char *rel = xasprintf("%s/%s", dir, names[j]);
                                rc = add_stage_source(rootreal, rel, out);
                        }
                } else {
                        rc = add_stage_source(rootreal, w, out);
                }
                int e = rc < 0 && errno != ENOENT && errno != ENOTDIR ? errno : 0;
                if (rc < 0 || strv_len(out->srcs) == before)
                        ret = vers_make_error(err, e,
                                              "%s:%ld:%ld: COPY --from=%s %s: not found in %s",
                                              file, in->line, in->args_col, in->from, w, what);
        }
        if (ret < 0) {
                vers_build_sources_clear(out);
                return -1;
        }
        return 0;
}
