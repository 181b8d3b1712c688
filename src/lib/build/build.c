/* build — 'vers build': the project's image as a chain of cached layers.
 *
 * The chain is the Dockerfile named by [builder] dockerfile (or an implicit "FROM host"),
 * then one last layer that installs what the env runs: the [services.*] templates and the
 * Dockerfile's CMD/ENTRYPOINT, ENV, EXPOSE... (see write_runtime()). Each layer is a
 * read-only btrfs subvolume in the images table (state 'layer'; the last one 'ready'),
 * keyed by a hash of its parent's key, the instruction and the content of its inputs, so a
 * rebuild reuses every step whose inputs are unchanged.
 *
 * Bases: FROM host (the machine's /usr read-only, a private /etc), FROM debian:<suite>
 * (debootstrap, cached once per suite in VERS_CACHE), FROM <tag or commit> of this root.
 * RUN steps run in a sandbox that shares the host's network (to reach package archives);
 * envs never do.
 */
#include "os/cgroup.h"
#include "format/dockerfile.h"
#include "build/build.h"
#include "launch/launch.h"
#include "state/refs.h"
#include "base/failpoint.h"
#include "base/names.h"
#include "os/passwd.h"
#include "os/sandbox.h"
#include "services/services.h"
#include "base/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* bump when what a step produces changes, so that cached layers are rebuilt (5: FROM host
 * seeds /etc from an allowlist) */
#define BUILD_VERSION 5
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ---- keys ------------------------------------------------------------------------------ */

struct hash {
        uint64_t a, b;
};

static void hash_init(struct hash *h)
{
        h->a = 14695981039346656037ULL;
        h->b = 1469598103934665603ULL ^ 0x9e3779b97f4a7c15ULL;
}

static void hash_add(struct hash *h, const void *data, size_t len)
{
        const unsigned char *p = data;
        for (size_t i = 0; i < len; i++) {
                h->a = (h->a ^ p[i]) * 1099511628211ULL;
                h->b = (h->b ^ p[i]) * 1099511628211ULL;
        }
        /* a separator, so that ("ab","c") and ("a","bc") differ */
        h->a = (h->a ^ 0xff) * 1099511628211ULL;
        h->b = (h->b ^ 0xfe) * 1099511628211ULL;
}

static void hash_str(struct hash *h, const char *s)
{
        hash_add(h, s, strlen(s));
}

static void hash_text(const struct hash *h, char out[33])
{
        snprintf(out, 33, "%016llx%016llx", (unsigned long long)h->a, (unsigned long long)h->b);
}

/* One source of a COPY or ADD: what goes into the key, and what is copied. */
struct source_walk {
        struct hash *h;
        const struct vers_df_ignore *ig;
        struct strbuf list; /* below a directory source: its entries, NUL-separated */
};

/* Is rel (relative to the build context) left out of COPY and ADD? vers's own state in the
 * project (.vers/HEAD...) always is. */
static bool left_out(const struct vers_df_ignore *ig, const char *rel)
{
        return !strcmp(rel, ".vers") || !strncmp(rel, ".vers/", 6) || vers_df_ignored(ig, rel);
}

/* Hash path (rel: relative to the context) into the key: names, modes, link targets and
 * bytes; under a directory source, list what is kept (under: relative to that source).
 * keep is false for a directory left out whose entries an exception may bring back. */
static int walk_source(struct source_walk *w, const char *path, const char *rel, const char *under,
                       bool keep, vers_error_t *err)
{
        struct stat st;
        if (lstat(path, &st) < 0)
                return vers_make_error(err, errno, "cannot read '%s'", path);
        if (!keep && !S_ISDIR(st.st_mode))
                return 0;
        if (keep) {
                char meta[64];
                snprintf(meta, sizeof meta, "%o", (unsigned)st.st_mode);
                hash_str(w->h, rel);
                hash_str(w->h, meta);
                if (under)
                        strbuf_add(&w->list, under, strlen(under) + 1);
        }
        if (S_ISLNK(st.st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlink(path, target, sizeof target - 1);
                if (n < 0)
                        return vers_make_error(err, errno, "cannot read link '%s'", path);
                hash_add(w->h, target, (size_t)n);
        } else if (S_ISREG(st.st_mode)) {
                _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return vers_make_error(err, errno, "cannot read '%s'", path);
                char buf[65536];
                ssize_t n;
                while ((n = read(fd, buf, sizeof buf)) > 0)
                        hash_add(w->h, buf, (size_t)n);
                if (n < 0)
                        return vers_make_error(err, errno, "cannot read '%s'", path);
        } else if (S_ISDIR(st.st_mode)) {
                struct dirent **names = NULL;
                int n = scandir(path, &names, NULL, alphasort);
                if (n < 0)
                        return vers_make_error(err, errno, "cannot read '%s'", path);
                int ret = 0;
                for (int i = 0; i < n; i++) {
                        const char *d = names[i]->d_name;
                        if (ret == 0 && strcmp(d, ".") && strcmp(d, "..")) {
                                _cleanup_free_ char *p = xasprintf("%s/%s", path, d);
                                _cleanup_free_ char *r =
                                    rel[0] ? xasprintf("%s/%s", rel, d) : xstrdup(d);
                                _cleanup_free_ char *u =
                                    under ? xasprintf("%s/%s", under, d) : xasprintf("./%s", d);
                                bool k = !left_out(w->ig, r);
                                if (k || (w->ig->has_exceptions && strcmp(r, ".vers")))
                                        ret = walk_source(w, p, r, u, k, err);
                        }
                        free(names[i]);
                }
                free(names);
                return ret;
        }
        return 0;
}

/* ---- the build's state ------------------------------------------------------------------ */

struct build {
        struct vers_ctx *ctx;
        const struct vers_build_opts *o;
        char key[33];                    /* key of the top layer */
        char *top;                       /* its subvolume */
        int step, nsteps, cached, built; /* cached/built: steps that make a layer */
        /* the image's configuration, as the Dockerfile sets it */
        char **env;  /* ENV: "K=V" */
        char **args; /* ARG values in effect during the build */
        char *workdir;
        char *user;
        char **expose; /* "5432/tcp" */
        char **cmd;
        bool cmd_shell;
        char **entrypoint;
        bool ep_shell;
        char *stopsignal;
        const char *file; /* the Dockerfile, for messages */
};

static void build_clear(struct build *b)
{
        free(b->top);
        strv_free(b->env);
        strv_free(b->args);
        free(b->workdir);
        free(b->user);
        strv_free(b->expose);
        strv_free(b->cmd);
        strv_free(b->entrypoint);
        free(b->stopsignal);
}

static void say(struct build *b, bool cached, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(struct build *b, bool cached, const char *fmt, ...)
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

/* "RUN apt-get update && ..." shortened for progress lines */
static char *label_of(const char *kw, const char *args)
{
        size_t n = strcspn(args, "\n");
        if (n > 70)
                return xasprintf("%s %.67s...", kw, args);
        return xasprintf("%s %.*s", kw, (int)n, args);
}

/* the variables a RUN step (and word substitution) sees */
static char **build_vars(const struct build *b)
{
        char **v = NULL;
        vers_df_setvar(&v, "PATH", DEFAULT_PATH);
        for (size_t i = 0; b->args && b->args[i]; i++)
                strv_push(&v, b->args[i]);
        for (size_t i = 0; b->env && b->env[i]; i++) {
                char *eq = strchr(b->env[i], '=');
                _cleanup_free_ char *k = xstrndup(b->env[i], (size_t)(eq - b->env[i]));
                vers_df_setvar(&v, k, eq + 1);
        }
        return v;
}

/* ---- sandboxes for build steps ---------------------------------------------------------- */

static void stop_build_sandbox(const char *cg, pid_t pid)
{
        kill(pid, SIGKILL);
        vers_cgroup_kill(cg);
        vers_cgroup_destroy(cg);
        for (int i = 0; i < 500 && vers_pid_alive(pid, 0); i++)
                vers_sleep_ms(10);
}

struct step_run {
        char **argv;
        const char *user;    /* NULL: root */
        const char *workdir; /* NULL: / */
        char **env;          /* the whole environment */
        bool host_net;
        bool project; /* bind the project (the build context) */
};

/* Run one command in a sandbox on path (cgroup id), then stop everything it started. */
static int run_in(struct build *b, const char *id, const char *path, const struct step_run *r,
                  int *status, vers_error_t *err)
{
        pid_t pid;
        unsigned flags = VERS_SB_NO_SERVICES | (r->host_net ? VERS_SB_HOST_NET : 0);
        if (vers_start_sandbox(b->ctx, id, path, r->project ? b->ctx->project_dir : NULL,
                               "vers-build", 0, 0, flags, &pid, err) < 0)
                return -1;
        struct vers_exec_opts o = {
            .extra_env = r->env,
            .user = r->user,
            .build_io = true,
            .no_env_file = true,
        };
        int ret =
            vers_exec_in(pid, id, path, r->workdir ? r->workdir : "/", r->argv, &o, status, err);
        stop_build_sandbox(id, pid);
        return ret;
}

/* ---- layers ----------------------------------------------------------------------------- */

typedef int (*apply_fn)(struct build *b, const char *id, const char *path, void *arg,
                        vers_error_t *err);

static int find_cached(struct build *b, const char *key, char **id, vers_error_t *err)
{
        struct vers_image *is = NULL;
        size_t n = 0;
        *id = NULL;
        if (vers_meta_list_images(&b->ctx->meta, "key = ?1 AND state IN ('layer', 'ready')", key,
                                  &is, &n, err) < 0)
                return -1;
        if (n)
                *id = xstrdup(is[n - 1].id);
        vers_images_free(is, n);
        return 0;
}

/* Add one layer on top of b->top (or a new subvolume when there is no top yet): label for
 * progress, desc for the key, fn to fill it. final: the image itself (state 'ready').
 * Returns 1 when the layer came from the cache, 0 when it was built, -1 on error. */
static int layer(struct build *b, const char *label, const char *desc, apply_fn fn, void *arg,
                 bool final, char **out_id, vers_error_t *err)
{
        struct hash h;
        hash_init(&h);
        hash_str(&h, b->key);
        hash_str(&h, desc);
        char key[33];
        hash_text(&h, key);
        if (!final)
                b->step++;
        _cleanup_free_ char *hit = NULL;
        if (!b->o->no_cache && find_cached(b, key, &hit, err) < 0)
                return -1;
        if (hit) {
                if (!final) {
                        b->cached++;
                        say(b, true, "step %d/%d %s (cached)", b->step, b->nsteps, label);
                }
                free(b->top);
                b->top = vers_store_image_path(&b->ctx->store, hit);
                memcpy(b->key, key, sizeof key);
                if (out_id)
                        *out_id = xstrdup(hit);
                return 1;
        }
        if (final) {
                say(b, false, "%s", label);
        } else {
                b->built++;
                say(b, false, "step %d/%d %s", b->step, b->nsteps, label);
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
        vers_meta_delete(&b->ctx->meta, "images", img.id, NULL);
out:
        vers_image_clear(&img);
        return ret;
}

/* ---- FROM ------------------------------------------------------------------------------- */

static int apply_host(struct build *b, const char *id, const char *path, void *arg,
                      vers_error_t *err)
{
        return vers_sandbox_populate(path, err);
}

/* The Debian archive (and security archive) this machine's apt uses; VERS_DEBIAN_MIRROR
 * overrides the first. *suite is the suite those sources name (e.g. bookworm). */
static void host_archive(char **uri, char **security, char **suite)
{
        *uri = *security = *suite = NULL;
        const char *forced = getenv("VERS_DEBIAN_MIRROR");
        glob_t g = {0};
        glob("/etc/apt/sources.list.d/*.sources", 0, NULL, &g);
        for (size_t i = 0; i < g.gl_pathc; i++) {
                _cleanup_free_ char *text = NULL;
                if (vers_read_file(g.gl_pathv[i], &text, NULL, NULL) < 0)
                        continue;
                /* deb822: paragraphs with Types, URIs and Suites */
                char types[128] = "", u[512] = "", su[128] = "";
                char *rest = text;
                for (;;) {
                        char *line = strsep(&rest, "\n");
                        if (line && line[strspn(line, " \t")] != '\0') {
                                if (!strncmp(line, "Types:", 6))
                                        snprintf(types, sizeof types, " %s ", line + 6);
                                else if (!strncmp(line, "URIs:", 5))
                                        sscanf(line + 5, "%511s", u);
                                else if (!strncmp(line, "Suites:", 7))
                                        sscanf(line + 7, "%127s", su);
                                continue;
                        }
                        /* a blank line or the end: the paragraph is complete */
                        if (u[0] && su[0] && strstr(types, " deb ")) {
                                if (strstr(su, "-security")) {
                                        if (!*security)
                                                *security = xstrdup(u);
                                } else if (!*uri) {
                                        *uri = xstrdup(u);
                                        *suite = xstrdup(su);
                                }
                        }
                        types[0] = u[0] = su[0] = '\0';
                        if (!line)
                                break;
                }
        }
        globfree(&g);
        if (!*uri) {
                /* one-line format */
                const char *files[] = {"/etc/apt/sources.list", NULL};
                for (size_t i = 0; files[i] && !*uri; i++) {
                        FILE *f = fopen(files[i], "re");
                        char line[1024];
                        while (f && fgets(line, sizeof line, f)) {
                                char type[16], a[512], c[128];
                                if (sscanf(line, "%15s %511s %127s", type, a, c) != 3 ||
                                    strcmp(type, "deb"))
                                        continue;
                                if (a[0] == '[' &&
                                    sscanf(line, "%15s [%*[^]]] %511s %127s", type, a, c) != 3)
                                        continue;
                                if (strstr(c, "-security")) {
                                        if (!*security)
                                                *security = xstrdup(a);
                                } else if (!*uri) {
                                        *uri = xstrdup(a);
                                        *suite = xstrdup(c);
                                }
                        }
                        if (f)
                                fclose(f);
                }
        }
        if (forced && *forced) {
                free(*uri);
                *uri = xstrdup(forced);
        }
}

static char *cache_dir(void)
{
        const char *c = getenv("VERS_CACHE");
        return xstrdup(c && *c ? c : "/var/cache/vers");
}

/* Run argv, showing debootstrap's phases as progress; keep its last lines for errors. */
static int run_with_progress(struct build *b, char *const argv[], const char *what,
                             vers_error_t *err)
{
        int fd;
        pid_t pid = vers_spawn(argv, &fd, err);
        if (pid < 0)
                return -1;
        FILE *f = fdopen(fd, "r");
        char line[1024], last[4][1024] = {"", "", "", ""};
        char phase[32] = "";
        int nl = 0;
        while (f && fgets(line, sizeof line, f)) {
                line[strcspn(line, "\n")] = '\0';
                snprintf(last[nl++ % 4], sizeof last[0], "%s", line);
                if (strncmp(line, "I: ", 3))
                        continue;
                char verb[32];
                if (sscanf(line + 3, "%31s", verb) == 1 && strcmp(verb, phase)) {
                        snprintf(phase, sizeof phase, "%s", verb);
                        say(b, false, "%s: %s", what, line + 3);
                }
        }
        if (f)
                fclose(f);
        else
                close(fd);
        int rc = vers_wait_exit(pid, err);
        if (rc <= 0)
                return rc;
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        for (int i = nl > 4 ? nl - 4 : 0; i < nl; i++)
                strbuf_addf(&sb, "\n  %s", last[i % 4]);
        return vers_make_error(err, 0, "%s failed (exit %d); its last lines:%s", what, rc, sb.buf);
}

struct debian_arg {
        const char *suite;
        const char *uri;
        const char *security;
        const char *host_suite;
        const char *cache; /* tarball */
};

static int debian_configure(const char *path, const struct debian_arg *a, vers_error_t *err)
{
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        strbuf_addf(&sb, "deb %s %s main\n", a->uri, a->suite);
        if (a->host_suite && !strcmp(a->suite, a->host_suite)) {
                strbuf_addf(&sb, "deb %s %s-updates main\n", a->uri, a->suite);
                if (a->security)
                        strbuf_addf(&sb, "deb %s %s-security main\n", a->security, a->suite);
        }
        _cleanup_free_ char *list = xasprintf("%s/etc/apt/sources.list", path);
        if (vers_write_file_atomic(list, sb.buf, sb.len, 0644, err) < 0)
                return -1;
        /* the host's apt settings that make its archive reachable (proxies, date checks) */
        char *argv[] = {"apt-config", "dump", NULL};
        _cleanup_free_ char *dump = NULL;
        strbuf_reset(&sb);
        if (vers_run(argv, &dump, NULL) == 0) {
                char *save = NULL;
                for (char *l = strtok_r(dump, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                        if (!strncmp(l, "Acquire::Check-Valid-Until ", 27) ||
                            !strncmp(l, "Acquire::Check-Date ", 20) ||
                            !strncmp(l, "Acquire::http::Proxy ", 21) ||
                            !strncmp(l, "Acquire::https::Proxy ", 22))
                                strbuf_addf(&sb, "%s\n", l);
                }
        }
        _cleanup_free_ char *conf = xasprintf("%s/etc/apt/apt.conf.d/99vers-host", path);
        if (vers_write_file_atomic(conf, sb.buf, sb.len, 0644, err) < 0)
                return -1;
        /* like container images: package scripts do not start daemons during a build */
        static const char policy[] =
            "#!/bin/sh\n# vers: no daemons started by packages\nexit 101\n";
        _cleanup_free_ char *rc = xasprintf("%s/usr/sbin/policy-rc.d", path);
        return vers_write_file_atomic(rc, policy, sizeof policy - 1, 0755, err);
}

static int apply_debian(struct build *b, const char *id, const char *path, void *arg,
                        vers_error_t *err)
{
        const struct debian_arg *a = arg;
        if (vers_path_exists(a->cache)) {
                say(b, false, "unpacking the cached debian:%s base", a->suite);
                char *argv[] = {
                    "tar", "-xpf", (char *)a->cache, "-C", (char *)path, "--numeric-owner", NULL};
                _cleanup_free_ char *out = NULL;
                int rc = vers_run(argv, &out, err);
                if (rc != 0)
                        return rc < 0 ? -1
                                      : vers_make_error(err, 0, "cannot unpack '%s': %s", a->cache,
                                                        str_first_line(out));
        } else {
                if (access("/usr/sbin/debootstrap", X_OK) < 0)
                        return vers_make_error(err, 0,
                                               "FROM debian:%s needs debootstrap (apt-get install "
                                               "debootstrap)",
                                               a->suite);
                say(b, false, "debootstrap %s from %s (once; cached in %s)", a->suite, a->uri,
                    a->cache);
                /* a mount namespace of its own: whatever debootstrap mounts in the target
                 * goes away with it, even when it fails */
                char *argv[] = {"unshare",
                                "-m",
                                "--propagation",
                                "private",
                                "/usr/sbin/debootstrap",
                                "--variant=minbase",
                                (char *)a->suite,
                                (char *)path,
                                (char *)a->uri,
                                NULL};
                if (run_with_progress(b, argv, "debootstrap", err) < 0 ||
                    debian_configure(path, a, err) < 0)
                        return -1;
                _cleanup_free_ char *dir = cache_dir();
                _cleanup_free_ char *tmp = xasprintf("%s.tmp.%d", a->cache, (int)getpid());
                if (vers_mkdir_p(dir, 0755, NULL) == 0) {
                        char *tar[] = {"tar", "-cpf", tmp, "-C", (char *)path, "--numeric-owner",
                                       ".",   NULL};
                        _cleanup_free_ char *out = NULL;
                        if (vers_run(tar, &out, NULL) == 0)
                                rename(tmp, a->cache);
                        unlink(tmp);
                }
        }
        if (vers_sandbox_populate(path, err) < 0)
                return -1;
        _cleanup_free_ char *marker = xasprintf("%s/" VERS_OWN_ROOT_MARKER, path);
        return vers_write_file_atomic(marker, "debian\n", 7, 0644, err);
}

/* Read the configuration an image of ours was built with (its /.vers/image). */
static void inherit_config(struct build *b, const char *rootfs);

static int do_from(struct build *b, const struct vers_df_instr *in, char **vars, vers_error_t *err)
{
        _cleanup_strv_ char **w = NULL;
        if (vers_df_words(in->args, vars, b->file, in->line, in->args_col, &w, err) < 0)
                return -1;
        size_t n = strv_len(w);
        if (n != 1 && !(n == 3 && !strcasecmp(w[1], "AS")))
                return vers_make_error(err, 0, "%s:%ld:%ld: FROM takes an image (and AS name)",
                                       b->file, in->line, in->args_col);
        const char *ref = w[0];
        _cleanup_free_ char *label = xasprintf("FROM %s", ref);
        if (!strcmp(ref, "host")) {
                _cleanup_free_ char *desc = xasprintf("vers %d base host", BUILD_VERSION);
                return layer(b, label, desc, apply_host, NULL, false, NULL, err);
        }
        if (!strncmp(ref, "debian:", 7)) {
                _cleanup_free_ char *suite = xstrdup(ref + 7);
                if (str_endswith(suite, "-slim"))
                        suite[strlen(suite) - 5] = '\0';
                if (vers_name_check("suite", suite, NULL) < 0 || strchr(suite, '.'))
                        return vers_make_error(err, 0, "%s:%ld:%ld: FROM %s: not a Debian suite",
                                               b->file, in->line, in->args_col, ref);
                _cleanup_free_ char *script = xasprintf("/usr/share/debootstrap/scripts/%s", suite);
                if (vers_path_exists("/usr/share/debootstrap") && !vers_path_exists(script))
                        return vers_make_error(err, 0,
                                               "%s:%ld:%ld: FROM %s: debootstrap does not know the "
                                               "suite '%s' (try debian:bookworm)",
                                               b->file, in->line, in->args_col, ref, suite);
                _cleanup_free_ char *uri = NULL, *sec = NULL, *host_suite = NULL;
                host_archive(&uri, &sec, &host_suite);
                if (!uri)
                        return vers_make_error(err, 0,
                                               "FROM %s: no Debian archive in this machine's apt "
                                               "configuration (set VERS_DEBIAN_MIRROR)",
                                               ref);
                struct hash h;
                hash_init(&h);
                hash_str(&h, uri);
                char hk[33];
                hash_text(&h, hk);
                _cleanup_free_ char *dir = cache_dir();
                _cleanup_free_ char *cache =
                    xasprintf("%s/debootstrap-%s-minbase-%.12s.tar", dir, suite, hk);
                struct debian_arg a = {suite, uri, sec, host_suite, cache};
                _cleanup_free_ char *desc = xasprintf("vers %d base debian %s minbase %s %s",
                                                      BUILD_VERSION, suite, uri, sec ? sec : "-");
                return layer(b, label, desc, apply_debian, &a, false, NULL, err);
        }
        /* a commit of ours, by tag or id */
        struct vers_ref r = {VERS_REF_NONE, NULL};
        vers_error_t e2 = NULL;
        if (!strchr(ref, '/') && !strchr(ref, ':') &&
            vers_resolve_base(b->ctx, ref, &r, &e2) == 0) {
                if (r.kind != VERS_REF_COMMIT) {
                        vers_ref_clear(&r);
                        return vers_make_error(err, 0,
                                               "%s:%ld:%ld: FROM %s: that is an env; commit it and "
                                               "use the commit's tag",
                                               b->file, in->line, in->args_col, ref);
                }
                b->step++;
                say(b, false, "step %d/%d FROM %s (commit %s)", b->step, b->nsteps, ref, r.id);
                free(b->top);
                b->top = vers_store_commit_rootfs(&b->ctx->store, r.id);
                struct hash h;
                hash_init(&h);
                _cleanup_free_ char *desc =
                    xasprintf("vers %d base commit %s", BUILD_VERSION, r.id);
                hash_str(&h, desc);
                hash_text(&h, b->key);
                inherit_config(b, b->top);
                vers_ref_clear(&r);
                return 0;
        }
        vers_error_free(&e2);
        return vers_make_error(err, 0,
                               "%s:%ld:%ld: FROM %s: no image registry is reachable from vers; use "
                               "FROM debian:bookworm (debootstrap), FROM host, or a tag of yours",
                               b->file, in->line, in->args_col, ref);
}

/* ---- RUN, COPY/ADD, WORKDIR ------------------------------------------------------------- */

static int apply_run(struct build *b, const char *id, const char *path, void *arg,
                     vers_error_t *err)
{
        struct step_run *r = arg;
        /* name resolution for package archives: the host's, as a container runtime does */
        if (vers_exists_in_root(path, VERS_OWN_ROOT_MARKER) && vers_path_exists("/etc/resolv.conf"))
                vers_copy_file_into_root("/etc/resolv.conf", path, "etc/resolv.conf", 0644, NULL);
        /* HOME of the user, from the image's own /etc/passwd */
        _cleanup_strv_ char **env = NULL;
        struct vers_user u;
        char why[512];
        if (vers_user_lookup(path, r->user ? r->user : "root", &u, why, sizeof why) < 0)
                return vers_make_error(err, 0, "USER %s: %s", r->user, why);
        _cleanup_free_ char *home = xasprintf("HOME=%s", u.home);
        strv_push(&env, home);
        strv_push(&env, "HOSTNAME=vers-build");
        for (size_t i = 0; r->env && r->env[i]; i++)
                strv_push(&env, r->env[i]);
        struct step_run rr = *r;
        rr.env = env;
        int status = 0;
        if (run_in(b, id, path, &rr, &status, err) < 0)
                return -1;
        if (status != 0)
                return vers_make_error(err, 0, "step %d/%d failed with exit code %d", b->step,
                                       b->nsteps, status);
        return 0;
}

static char *abs_in_image(const struct build *b, const char *p)
{
        if (p[0] == '/')
                return xstrdup(p);
        const char *wd = b->workdir ? b->workdir : "/";
        return xasprintf("%s%s%s", wd, str_endswith(wd, "/") ? "" : "/", p);
}

/* Is real (a resolved path) the context directory or inside it? */
static bool inside(const char *ctxdir, const char *real)
{
        size_t n = strlen(ctxdir);
        return !strncmp(real, ctxdir, n) && (real[n] == '\0' || real[n] == '/');
}

/* The script that copies inside the sandbox: $1 dest, $2 owner, $3 mode, $4 add, sources.
 * The entries of the n-th source, when it is a directory, are listed in /.vers/copy.n. */
static const char copy_script[] =
    "set -e\n"
    "dest=$1 own=$2 mode=$3 add=$4; shift 4\n"
    "todir= i=0\n"
    "case $dest in */) todir=1 ;; esac\n"
    "if [ $# -gt 1 ] || [ -d \"$dest\" ]; then todir=1; fi\n"
    "if [ -n \"$todir\" ]; then mkdir -p \"$dest\"; else mkdir -p \"$(dirname \"$dest\")\"; fi\n"
    "fix() { chown -h \"$own\" \"$@\"; if [ -n \"$mode\" ]; then for f; do [ -L \"$f\" ] || "
    "chmod \"$mode\" \"$f\"; done; fi; }\n"
    "for s; do\n"
    "  list=/.vers/copy.$i; i=$((i + 1))\n"
    "  if [ -n \"$add\" ] && [ -f \"$s\" ] && case $s in *.tar|*.tar.gz|*.tgz|*.tar.xz|*.txz|"
    "*.tar.bz2|*.tbz2|*.tar.zst) true ;; *) false ;; esac; then\n"
    "    mkdir -p \"$dest\"; tar -xf \"$s\" -C \"$dest\"\n"
    "  elif [ -d \"$s\" ]; then\n"
    "    mkdir -p \"$dest\"\n"
    "    tar -C \"$s\" --null --no-recursion -T \"$list\" --numeric-owner -cf /.vers/copy.tar\n"
    "    tar -C \"$dest\" --numeric-owner -xpf /.vers/copy.tar; rm -f /.vers/copy.tar\n"
    "    (cd \"$dest\" && xargs -0 -r chown -h \"$own\" < \"$list\")\n"
    "    if [ -n \"$mode\" ]; then (cd \"$dest\" && xargs -0 -r sh -c 'for f; do [ -L \"$f\" ] "
    "|| chmod \"$0\" \"$f\"; done' \"$mode\" < \"$list\"); fi\n"
    "  elif [ -n \"$todir\" ]; then\n"
    "    t=\"${dest%/}/$(basename \"$s\")\"; cp -a \"$s\" \"$t\"; fix \"$t\"\n"
    "  else\n"
    "    cp -a \"$s\" \"$dest\"; fix \"$dest\"\n"
    "  fi\n"
    "done\n";

struct copy_arg {
        char **srcs;          /* host paths inside the context */
        struct strbuf *lists; /* per source: what a directory source copies */
        char *dest;           /* absolute, in the image */
        const char *own;
        const char *mode;
        bool add;
};

static int apply_copy(struct build *b, const char *id, const char *path, void *arg,
                      vers_error_t *err)
{
        struct copy_arg *c = arg;
        char **argv = NULL;
        strv_push(&argv, "/bin/sh");
        strv_push(&argv, "-c");
        strv_push(&argv, copy_script);
        strv_push(&argv, "vers-copy");
        strv_push(&argv, c->dest);
        strv_push(&argv, c->own);
        strv_push(&argv, c->mode ? c->mode : "");
        strv_push(&argv, c->add ? "1" : "");
        size_t n = strv_len(c->srcs);
        int ret = 0;
        for (size_t i = 0; i < n && ret == 0; i++) {
                strv_push(&argv, c->srcs[i]);
                /* 0644: read inside by the env's root, which has no rights over the host's
                 * files beyond what everyone has */
                _cleanup_free_ char *list = xasprintf(".vers/copy.%zu", i);
                ret = vers_write_file_in_root(path, list, c->lists[i].buf, c->lists[i].len, 0644,
                                              err);
        }
        char *env[] = {"PATH=" DEFAULT_PATH, "HOME=/root", NULL};
        struct step_run r = {.argv = argv, .env = env, .project = true};
        int status = 0;
        if (ret == 0)
                ret = run_in(b, id, path, &r, &status, err);
        strv_free(argv);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *list = xasprintf(".vers/copy.%zu", i);
                vers_unlink_in_root(path, list, NULL);
        }
        if (ret < 0)
                return -1;
        if (status != 0)
                return vers_make_error(err, 0,
                                       "step %d/%d: copying into the image failed (exit %d)",
                                       b->step, b->nsteps, status);
        return 0;
}

static int do_copy(struct build *b, const struct vers_df_instr *in, char **vars, const char *label,
                   vers_error_t *err)
{
        const char *kw = vers_df_kind_name(in->kind);
        _cleanup_strv_ char **w = NULL;
        if (in->exec_form) {
                for (size_t i = 0; in->argv[i]; i++)
                        strv_push(&w, in->argv[i]);
        } else if (vers_df_words(in->args, vars, b->file, in->line, in->args_col, &w, err) < 0) {
                return -1;
        }
        size_t n = strv_len(w);
        if (n < 2)
                return vers_make_error(err, 0, "%s:%ld:%ld: %s needs a source and a destination",
                                       b->file, in->line, in->args_col, kw);
        if (!b->ctx->project_dir)
                return vers_make_error(err, 0, "%s needs a project directory", kw);
        char ctxreal[PATH_MAX];
        if (!realpath(b->ctx->project_dir, ctxreal))
                return vers_make_error(err, errno, "cannot resolve '%s'", b->ctx->project_dir);
        struct copy_arg c = {.add = in->kind == DF_ADD, .own = "0:0"};
        _cleanup_free_ char *own = NULL;
        for (size_t i = 0; in->flags && in->flags[i]; i++) {
                const char *v = strchr(in->flags[i], '=') + 1;
                if (!strncmp(in->flags[i], "--chown=", 8)) {
                        struct vers_user u;
                        char why[512];
                        if (vers_user_lookup(b->top, v, &u, why, sizeof why) < 0)
                                return vers_make_error(err, 0, "%s:%ld:%ld: %s --chown: %s",
                                                       b->file, in->line, in->col, kw, why);
                        own = xasprintf("%u:%u", (unsigned)u.uid, (unsigned)u.gid);
                        c.own = own;
                } else {
                        if (strspn(v, "01234567") != strlen(v) || strlen(v) > 4)
                                return vers_make_error(err, 0,
                                                       "%s:%ld:%ld: %s --chmod: '%s' is not an "
                                                       "octal mode",
                                                       b->file, in->line, in->col, kw, v);
                        c.mode = v;
                }
        }
        struct vers_df_ignore ig = {0};
        _cleanup_free_ char *igpath = xasprintf("%s/.dockerignore", ctxreal);
        _cleanup_free_ char *igtext = NULL;
        if (vers_path_exists(igpath)) {
                if (vers_read_file(igpath, &igtext, NULL, err) < 0)
                        return -1;
                vers_df_ignore_parse(igtext, &ig);
        }
        struct hash h;
        hash_init(&h);
        int ret = -1;
        char *desc = NULL;
        size_t left = 0;
        for (size_t i = 0; i + 1 < n; i++) {
                const char *s = w[i];
                if (strstr(s, "://")) {
                        vers_make_error(err, 0,
                                        "%s:%ld:%ld: %s %s: only files of the build context "
                                        "can be added (fetch URLs in a RUN step)",
                                        b->file, in->line, in->args_col, kw, s);
                        goto out;
                }
                _cleanup_free_ char *pattern = xasprintf("%s/%s", ctxreal, s);
                glob_t g = {0};
                int gr = glob(pattern, GLOB_NOCHECK, NULL, &g);
                for (size_t j = 0; gr == 0 && j < g.gl_pathc; j++) {
                        char real[PATH_MAX];
                        if (!realpath(g.gl_pathv[j], real)) {
                                vers_make_error(err, 0,
                                                "%s:%ld:%ld: %s %s: not found in the build "
                                                "context (%s)",
                                                b->file, in->line, in->args_col, kw, s, ctxreal);
                                globfree(&g);
                                goto out;
                        }
                        if (!inside(ctxreal, real)) {
                                vers_make_error(err, 0,
                                                "%s:%ld:%ld: %s %s: outside the build context (%s)",
                                                b->file, in->line, in->args_col, kw, s, ctxreal);
                                globfree(&g);
                                goto out;
                        }
                        const char *rel = real + strlen(ctxreal);
                        rel += *rel == '/';
                        if (*rel && left_out(&ig, rel)) {
                                left++;
                                continue;
                        }
                        size_t k = strv_len(c.srcs);
                        c.lists = xrealloc(c.lists, (k + 1) * sizeof *c.lists);
                        struct source_walk sw = {.h = &h, .ig = &ig, .list = STRBUF_INIT};
                        int wr = walk_source(&sw, real, rel, NULL, true, err);
                        c.lists[k] = sw.list;
                        strv_push(&c.srcs, real);
                        if (wr < 0) {
                                globfree(&g);
                                goto out;
                        }
                }
                globfree(&g);
        }
        if (!c.srcs) {
                vers_make_error(err, 0,
                                "%s:%ld:%ld: %s: every source is left out by .dockerignore (%zu "
                                "path%s)",
                                b->file, in->line, in->args_col, kw, left, left == 1 ? "" : "s");
                goto out;
        }
        c.dest = abs_in_image(b, w[n - 1]);
        if (strv_len(c.srcs) > 1 && !str_endswith(c.dest, "/")) {
                _cleanup_free_ char *d = c.dest;
                c.dest = xasprintf("%s/", d);
        }
        for (size_t i = 0; in->flags && in->flags[i]; i++)
                hash_str(&h, in->flags[i]);
        hash_str(&h, c.dest);
        hash_str(&h, kw);
        char content[33];
        hash_text(&h, content);
        desc = xasprintf("%s %s %s", kw, c.dest, content);
        ret = layer(b, label, desc, apply_copy, &c, false, NULL, err);
out:
        free(desc);
        for (size_t i = 0; i < strv_len(c.srcs); i++)
                strbuf_release(&c.lists[i]);
        free(c.lists);
        strv_free(c.srcs);
        free(c.dest);
        vers_df_ignore_clear(&ig);
        return ret;
}

static int do_run(struct build *b, const struct vers_df_instr *in, const char *label,
                  vers_error_t *err)
{
        _cleanup_strv_ char **argv = NULL;
        if (in->exec_form) {
                for (size_t i = 0; in->argv[i]; i++)
                        strv_push(&argv, in->argv[i]);
        } else {
                strv_push(&argv, "/bin/sh");
                strv_push(&argv, "-c");
                strv_push(&argv, in->args);
        }
        _cleanup_strv_ char **env = build_vars(b);
        _cleanup_strbuf_ struct strbuf desc = STRBUF_INIT;
        strbuf_addstr(&desc, "RUN");
        for (size_t i = 0; argv[i]; i++) {
                strbuf_addch(&desc, ' ');
                strbuf_add_json_str(&desc, argv[i]);
        }
        strbuf_addf(&desc, "\nuser %s\nworkdir %s\n", b->user ? b->user : "root",
                    b->workdir ? b->workdir : "/");
        for (size_t i = 0; env[i]; i++)
                strbuf_addf(&desc, "env %s\n", env[i]);
        struct step_run r = {
            .argv = argv,
            .user = b->user,
            .workdir = b->workdir,
            .env = env,
            .host_net = true,
        };
        return layer(b, label, desc.buf, apply_run, &r, false, NULL, err);
}

static int apply_workdir(struct build *b, const char *id, const char *path, void *arg,
                         vers_error_t *err)
{
        char *argv[] = {"mkdir", "-p", arg, NULL};
        char *env[] = {"PATH=" DEFAULT_PATH, NULL};
        struct step_run r = {.argv = argv, .env = env};
        int status = 0;
        if (run_in(b, id, path, &r, &status, err) < 0)
                return -1;
        if (status != 0)
                return vers_make_error(err, 0, "step %d/%d: cannot create the directory '%s'",
                                       b->step, b->nsteps, (char *)arg);
        return 0;
}

/* ---- configuration instructions --------------------------------------------------------- */

static int one_word(struct build *b, const struct vers_df_instr *in, char **vars, char **out,
                    vers_error_t *err)
{
        _cleanup_strv_ char **w = NULL;
        if (vers_df_words(in->args, vars, b->file, in->line, in->args_col, &w, err) < 0)
                return -1;
        if (strv_len(w) != 1)
                return vers_make_error(err, 0, "%s:%ld:%ld: %s takes one value", b->file, in->line,
                                       in->args_col, vers_df_kind_name(in->kind));
        *out = xstrdup(w[0]);
        return 0;
}

static int do_env(struct build *b, const struct vers_df_instr *in, char **vars, bool arg,
                  vers_error_t *err)
{
        _cleanup_strv_ char **w = NULL;
        if (vers_df_words(in->args, vars, b->file, in->line, in->args_col, &w, err) < 0)
                return -1;
        char ***dst = arg ? &b->args : &b->env;
        if (!arg && w[0] && !strchr(w[0], '=')) {
                /* ENV KEY value with spaces */
                if (!w[1])
                        return vers_make_error(err, 0, "%s:%ld:%ld: ENV %s needs a value", b->file,
                                               in->line, in->args_col, w[0]);
                _cleanup_strbuf_ struct strbuf v = STRBUF_INIT;
                for (size_t i = 1; w[i]; i++)
                        strbuf_addf(&v, "%s%s", i > 1 ? " " : "", w[i]);
                vers_df_setvar(dst, w[0], v.buf);
                return 0;
        }
        for (size_t i = 0; w[i]; i++) {
                char *eq = strchr(w[i], '=');
                _cleanup_free_ char *k = eq ? xstrndup(w[i], (size_t)(eq - w[i])) : xstrdup(w[i]);
                if (!str_is_var_name(k))
                        return vers_make_error(
                            err, 0, "%s:%ld:%ld: %s: '%s' is not a variable name", b->file,
                            in->line, in->args_col, arg ? "ARG" : "ENV", k);
                /* [builder.args] overrides an ARG's default, as docker build --build-arg */
                const char *given = arg ? vers_df_var(b->ctx->cfg.build_args, k, strlen(k)) : NULL;
                if (given)
                        vers_df_setvar(dst, k, given);
                else if (eq)
                        vers_df_setvar(dst, k, eq + 1);
                else if (arg && !vers_df_var(b->args, k, strlen(k)))
                        vers_df_setvar(dst, k, "");
                else if (!arg)
                        return vers_make_error(err, 0, "%s:%ld:%ld: ENV %s needs a value", b->file,
                                               in->line, in->args_col, k);
        }
        return 0;
}

static int do_expose(struct build *b, const struct vers_df_instr *in, char **vars,
                     vers_error_t *err)
{
        _cleanup_strv_ char **w = NULL;
        if (vers_df_words(in->args, vars, b->file, in->line, in->args_col, &w, err) < 0)
                return -1;
        for (size_t i = 0; w[i]; i++) {
                char proto[8] = "tcp";
                char *slash = strchr(w[i], '/');
                if (slash) {
                        if (strcmp(slash + 1, "tcp") && strcmp(slash + 1, "udp"))
                                return vers_make_error(err, 0,
                                                       "%s:%ld:%ld: EXPOSE %s: the protocol is tcp "
                                                       "or udp",
                                                       b->file, in->line, in->args_col, w[i]);
                        snprintf(proto, sizeof proto, "%s", slash + 1);
                        *slash = '\0';
                }
                char *end;
                long port = strtol(w[i], &end, 10);
                if (*end || end == w[i] || port < 1 || port > 65535)
                        return vers_make_error(err, 0,
                                               "%s:%ld:%ld: EXPOSE %s: not a port number (1-65535)",
                                               b->file, in->line, in->args_col, w[i]);
                _cleanup_free_ char *p = xasprintf("%ld/%s", port, proto);
                bool dup = false;
                for (size_t j = 0; b->expose && b->expose[j]; j++)
                        dup |= !strcmp(b->expose[j], p);
                if (!dup)
                        strv_push(&b->expose, p);
        }
        return 0;
}

static int do_stopsignal(struct build *b, const struct vers_df_instr *in, char **vars,
                         vers_error_t *err)
{
        _cleanup_free_ char *s = NULL;
        if (one_word(b, in, vars, &s, err) < 0)
                return -1;
        const char *name = !strncasecmp(s, "SIG", 3) ? s + 3 : s;
        static const char *ok[] = {"TERM", "INT", "QUIT", "KILL"};
        static const char *nums[] = {"15", "2", "3", "9"};
        for (size_t i = 0; i < 4; i++) {
                if (!strcasecmp(name, ok[i]) || !strcmp(name, nums[i])) {
                        free(b->stopsignal);
                        b->stopsignal = xstrdup(ok[i]);
                        return 0;
                }
        }
        return vers_make_error(
            err, 0,
            "%s:%ld:%ld: STOPSIGNAL %s: vers stops services with TERM, INT, QUIT "
            "or KILL",
            b->file, in->line, in->args_col, s);
}

static void set_command(const struct vers_df_instr *in, char ***argv, bool *shell)
{
        strv_free(*argv);
        *argv = NULL;
        *shell = !in->exec_form;
        if (in->exec_form) {
                *argv = xcalloc(1, sizeof **argv);
                for (size_t i = 0; in->argv[i]; i++)
                        strv_push(argv, in->argv[i]);
        } else {
                strv_push(argv, in->args);
        }
}

/* ---- the image's configuration, kept in /.vers/image ------------------------------------ */

static void add_json_array(struct strbuf *sb, char **v)
{
        strbuf_addch(sb, '[');
        for (size_t i = 0; v && v[i]; i++) {
                if (i)
                        strbuf_addstr(sb, ", ");
                strbuf_add_json_str(sb, v[i]);
        }
        strbuf_addch(sb, ']');
}

static void describe_config(const struct build *b, struct strbuf *sb)
{
        for (size_t i = 0; b->env && b->env[i]; i++)
                strbuf_addf(sb, "env %s\n", b->env[i]);
        if (b->workdir)
                strbuf_addf(sb, "workdir %s\n", b->workdir);
        if (b->user)
                strbuf_addf(sb, "user %s\n", b->user);
        for (size_t i = 0; b->expose && b->expose[i]; i++)
                strbuf_addf(sb, "expose %s\n", b->expose[i]);
        if (b->entrypoint) {
                strbuf_addstr(sb, b->ep_shell ? "entrypoint-shell " : "entrypoint ");
                add_json_array(sb, b->entrypoint);
                strbuf_addch(sb, '\n');
        }
        if (b->cmd) {
                strbuf_addstr(sb, b->cmd_shell ? "cmd-shell " : "cmd ");
                add_json_array(sb, b->cmd);
                strbuf_addch(sb, '\n');
        }
        if (b->stopsignal)
                strbuf_addf(sb, "stopsignal %s\n", b->stopsignal);
}

static char **json_array(const char *text)
{
        _cleanup_free_ char *fake = xasprintf("FROM host\nCMD %s\n", text);
        struct vers_dockerfile df;
        char **v = NULL;
        if (vers_dockerfile_parse(fake, "image", &df, NULL) == 0 && df.n == 2 &&
            df.v[1].exec_form) {
                v = df.v[1].argv;
                df.v[1].argv = NULL;
        }
        vers_dockerfile_free(&df);
        return v;
}

static void inherit_config(struct build *b, const char *rootfs)
{
        _cleanup_free_ char *text = NULL;
        if (vers_read_file_in_root(rootfs, ".vers/image", 0, &text, NULL, NULL) < 0)
                return;
        char *save = NULL;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char *v = strchr(l, ' ');
                if (!v)
                        continue;
                *v++ = '\0';
                if (!strcmp(l, "env")) {
                        char *eq = strchr(v, '=');
                        if (eq) {
                                *eq = '\0';
                                vers_df_setvar(&b->env, v, eq + 1);
                        }
                } else if (!strcmp(l, "workdir")) {
                        free(b->workdir);
                        b->workdir = xstrdup(v);
                } else if (!strcmp(l, "user")) {
                        free(b->user);
                        b->user = xstrdup(v);
                } else if (!strcmp(l, "expose")) {
                        strv_push(&b->expose, v);
                } else if (!strcmp(l, "stopsignal")) {
                        free(b->stopsignal);
                        b->stopsignal = xstrdup(v);
                } else if (!strncmp(l, "cmd", 3) || !strncmp(l, "entrypoint", 10)) {
                        bool cmd = l[0] == 'c';
                        char ***dst = cmd ? &b->cmd : &b->entrypoint;
                        strv_free(*dst);
                        *dst = json_array(v);
                        if (cmd)
                                b->cmd_shell = strstr(l, "-shell") != NULL;
                        else
                                b->ep_shell = strstr(l, "-shell") != NULL;
                }
        }
}

/* The command the env's CMD/ENTRYPOINT make (Docker's rules), as a shell command line. */
static char *main_command(const struct build *b)
{
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        if (b->entrypoint && b->ep_shell) {
                strbuf_addstr(&sb, "exec /bin/sh -c ");
                strbuf_add_shell_quoted(&sb, b->entrypoint[0]);
        } else if (b->entrypoint && b->entrypoint[0]) {
                strbuf_addstr(&sb, "exec");
                for (size_t i = 0; b->entrypoint[i]; i++) {
                        strbuf_addch(&sb, ' ');
                        strbuf_add_shell_quoted(&sb, b->entrypoint[i]);
                }
                if (b->cmd && b->cmd_shell) {
                        strbuf_addstr(&sb, " /bin/sh -c ");
                        strbuf_add_shell_quoted(&sb, b->cmd[0]);
                }
                for (size_t i = 0; b->cmd && !b->cmd_shell && b->cmd[i]; i++) {
                        strbuf_addch(&sb, ' ');
                        strbuf_add_shell_quoted(&sb, b->cmd[i]);
                }
        } else if (b->cmd && b->cmd_shell) {
                strbuf_addstr(&sb, "exec /bin/sh -c ");
                strbuf_add_shell_quoted(&sb, b->cmd[0]);
        } else if (b->cmd && b->cmd[0]) {
                strbuf_addstr(&sb, "exec");
                for (size_t i = 0; b->cmd[i]; i++) {
                        strbuf_addch(&sb, ' ');
                        strbuf_add_shell_quoted(&sb, b->cmd[i]);
                }
        } else {
                return NULL;
        }
        return strbuf_detach(&sb);
}

static int append_file(const char *rootfs, const char *rel, const char *text, mode_t mode,
                       vers_error_t *err)
{
        _cleanup_free_ char *old = NULL;
        if (vers_read_file_in_root(rootfs, rel, 0, &old, NULL, NULL) < 0)
                old = xstrdup("");
        _cleanup_free_ char *all = xasprintf("%s%s", old, text);
        return vers_write_file_in_root(rootfs, rel, all, strlen(all), mode, err);
}

struct runtime_arg {
        bool services; /* [services.*] to set up */
};

/* The last layer: what 'vers run' starts, and how commands inside find things. */
static int write_runtime(struct build *b, const char *id, const char *path, void *arg,
                         vers_error_t *err)
{
        struct vers_ctx *ctx = b->ctx;
        if (b->user) {
                struct vers_user u;
                char why[512];
                if (vers_user_lookup(path, b->user, &u, why, sizeof why) < 0)
                        return vers_make_error(err, 0, "USER %s: %s", b->user, why);
        }
        if (vers_services_write(&ctx->cfg, path, err) < 0)
                return -1;
        if (vers_exists_in_root(path, ".vers/setup")) {
                vers_progress(ctx, "initialising services (%s)", ctx->cfg.services[0].template_);
                char *argv[] = {"/bin/sh", "-c", "/.vers/setup >/var/log/vers/setup.log 2>&1",
                                NULL};
                char *env[] = {"PATH=" DEFAULT_PATH, "HOME=/root", "LANG=C.UTF-8", NULL};
                struct step_run r = {.argv = argv, .env = env};
                int status = 0;
                if (run_in(b, id, path, &r, &status, err) < 0)
                        return -1;
                if (status != 0) {
                        _cleanup_free_ char *log =
                            vers_tail_of(path, "/var/log/vers/setup.log", 10);
                        return vers_make_error(err, 0, "service setup failed (exit %d):\n%s",
                                               status, log ? log : "(no output)");
                }
                /* what the env's configuration is read back from (its logs, its env) is
                 * written again after the setup ran: nothing run in the image has the last
                 * word on it */
                if (vers_services_write(&ctx->cfg, path, err) < 0)
                        return -1;
        }
        /* ENV of the Dockerfile: for 'vers execute' and for the main command */
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        const char *path_var = vers_df_var(b->env, "PATH", 4);
        if (b->env) {
                _cleanup_free_ char *old = NULL;
                if (vers_read_file_in_root(path, ".vers/env", 0, &old, NULL, NULL) < 0)
                        old = xstrdup("");
                char *save = NULL;
                for (char *l = strtok_r(old, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                        char *eq = strchr(l, '=');
                        if (eq && vers_df_var(b->env, l, (size_t)(eq - l)))
                                continue; /* the Dockerfile sets it */
                        strbuf_addf(&sb, "%s\n", l);
                }
                for (size_t i = 0; b->env[i]; i++) {
                        if (path_var && !strncmp(b->env[i], "PATH=", 5))
                                strbuf_addf(&sb, "PATH=/.vers/bin:%s\n", path_var);
                        else
                                strbuf_addf(&sb, "%s\n", b->env[i]);
                }
                if (vers_write_file_in_root(path, ".vers/env", sb.buf, sb.len, 0644, err) < 0)
                        return -1;
        }
        _cleanup_free_ char *main_cmd = main_command(b);
        if (main_cmd) {
                strbuf_reset(&sb);
                strbuf_addstr(&sb, "#!/bin/sh\n# vers: the image's CMD/ENTRYPOINT, as 'vers run' "
                                   "starts it\n");
                strbuf_addf(&sb, "export PATH=%s\n", path_var ? path_var : DEFAULT_PATH);
                for (size_t i = 0; b->env && b->env[i]; i++) {
                        char *eq = strchr(b->env[i], '=');
                        if (!strncmp(b->env[i], "PATH=", 5))
                                continue;
                        strbuf_addf(&sb, "export %.*s=", (int)(eq - b->env[i]), b->env[i]);
                        strbuf_add_shell_quoted(&sb, eq + 1);
                        strbuf_addch(&sb, '\n');
                }
                strbuf_addstr(&sb, "cd ");
                strbuf_add_shell_quoted(&sb, b->workdir ? b->workdir : "/");
                strbuf_addf(&sb, " || exit 126\necho $$ > /run/vers-cmd.pid\n%s\n", main_cmd);
                if (vers_write_file_in_root(path, ".vers/cmd", sb.buf, sb.len, 0755, err) < 0)
                        return -1;
                _cleanup_free_ char *line =
                    xasprintf("cmd\t%s\t%s\t/var/log/vers/cmd.log\t/.vers/cmd\n",
                              b->user ? b->user : "root", b->stopsignal ? b->stopsignal : "TERM");
                if (append_file(path, ".vers/services", line, 0644, err) < 0 ||
                    append_file(path, ".vers/logs", "/var/log/vers/cmd.log\n", 0644, err) < 0)
                        return -1;
        }
        /* ready once every EXPOSEd TCP port listens, unless a template says when */
        if (!vers_exists_in_root(path, ".vers/ready") && b->expose) {
                strbuf_reset(&sb);
                strbuf_addstr(&sb, "#!/bin/sh\n# vers: ready once every EXPOSEd TCP port listens; "
                                   "after 60 s, or once the main command has exited, the env\n"
                                   "# is left as it is (see 'vers logs')\ni=0\n"
                                   "while [ $i -lt 600 ]; do\n  ok=1\n");
                for (size_t i = 0; b->expose[i]; i++) {
                        if (!str_endswith(b->expose[i], "/tcp"))
                                continue;
                        strbuf_addf(&sb,
                                    "  grep -qE ':%04X [0-9A-F]+:[0-9A-F]+ 0A ' /proc/net/tcp "
                                    "/proc/net/tcp6 2>/dev/null || ok=0\n",
                                    (unsigned)atoi(b->expose[i]));
                }
                strbuf_addstr(&sb, "  [ $ok = 1 ] && exit 0\n"
                                   "  if [ -f /run/vers-cmd.pid ] && ! kill -0 \"$(cat "
                                   "/run/vers-cmd.pid)\" 2>/dev/null; then exit 0; fi\n"
                                   "  sleep 0.1\n  i=$((i + 1))\ndone\nexit 0\n");
                if (vers_write_file_in_root(path, ".vers/ready", sb.buf, sb.len, 0755, err) < 0)
                        return -1;
        }
        strbuf_reset(&sb);
        describe_config(b, &sb);
        return vers_write_file_in_root(path, ".vers/image", sb.buf, sb.len, 0644, err);
}

/* ---- the whole build -------------------------------------------------------------------- */

static int run_dockerfile(struct build *b, const struct vers_dockerfile *df, vers_error_t *err)
{
        for (size_t i = 0; i < df->n; i++) {
                const struct vers_df_instr *in = &df->v[i];
                const char *kw = vers_df_kind_name(in->kind);
                _cleanup_free_ char *label = label_of(kw, in->args);
                _cleanup_strv_ char **vars = build_vars(b);
                int rc = 0;
                switch (in->kind) {
                case DF_FROM:
                        rc = do_from(b, in, vars, err);
                        break;
                case DF_RUN:
                        rc = do_run(b, in, label, err);
                        break;
                case DF_COPY:
                case DF_ADD:
                        rc = do_copy(b, in, vars, label, err);
                        break;
                case DF_WORKDIR: {
                        _cleanup_free_ char *d = NULL;
                        if (one_word(b, in, vars, &d, err) < 0)
                                return -1;
                        _cleanup_free_ char *abs = abs_in_image(b, d);
                        free(b->workdir);
                        b->workdir = xstrdup(abs);
                        _cleanup_free_ char *desc = xasprintf("WORKDIR %s", abs);
                        rc = layer(b, label, desc, apply_workdir, abs, false, NULL, err);
                        break;
                }
                default:
                        /* configuration only: no layer, but the key moves on */
                        b->step++;
                        say(b, true, "step %d/%d %s", b->step, b->nsteps, label);
                        if (in->kind == DF_ENV || in->kind == DF_ARG)
                                rc = do_env(b, in, vars, in->kind == DF_ARG, err);
                        else if (in->kind == DF_USER) {
                                free(b->user);
                                b->user = NULL;
                                rc = one_word(b, in, vars, &b->user, err);
                        } else if (in->kind == DF_EXPOSE)
                                rc = do_expose(b, in, vars, err);
                        else if (in->kind == DF_CMD)
                                set_command(in, &b->cmd, &b->cmd_shell);
                        else if (in->kind == DF_ENTRYPOINT) {
                                set_command(in, &b->entrypoint, &b->ep_shell);
                                strv_free(b->cmd); /* Docker: a new ENTRYPOINT resets CMD */
                                b->cmd = NULL;
                        } else if (in->kind == DF_STOPSIGNAL)
                                rc = do_stopsignal(b, in, vars, err);
                        break;
                }
                if (rc < 0) {
                        /* say which step, unless the message already points at the line */
                        if (err && *err && (*err)->msg && !str_startswith((*err)->msg, b->file))
                                return vers_error_wrap(err, "%s:%ld: %s", b->file, in->line, label);
                        return -1;
                }
                if (!b->top && in->kind != DF_ARG)
                        return vers_make_error(err, 0, "%s:%ld: no base image", b->file, in->line);
        }
        return 0;
}

int vers_build(struct vers_ctx *ctx, const struct vers_build_opts *o, char **image_id, bool *cached,
               vers_error_t *err)
{
        if (vers_services_check(&ctx->cfg, err) < 0 || vers_store_check_room(&ctx->store, err) < 0)
                return -1;
        struct build b = {.ctx = ctx, .o = o};
        struct vers_dockerfile df = {0};
        _cleanup_free_ char *dfpath = NULL;
        _cleanup_strbuf_ struct strbuf desc = STRBUF_INIT;
        int ret = -1, rc;
        if (ctx->cfg.dockerfile) {
                dfpath = ctx->cfg.dockerfile[0] == '/'
                             ? xstrdup(ctx->cfg.dockerfile)
                             : xasprintf("%s/%s", ctx->project_dir ? ctx->project_dir : ".",
                                         ctx->cfg.dockerfile);
                if (vers_dockerfile_load(dfpath, &df, err) < 0) {
                        vers_dockerfile_free(&df);
                        return vers_error_wrap(err, "[builder] dockerfile");
                }
                b.file = df.filename;
                b.nsteps = (int)df.n;
                if (run_dockerfile(&b, &df, err) < 0)
                        goto out;
        } else {
                b.nsteps = 1;
                struct vers_df_instr from = {.kind = DF_FROM, .line = 0, .args = "host"};
                b.file = "vers.toml";
                if (do_from(&b, &from, NULL, err) < 0)
                        goto out;
        }
        for (size_t i = 0; ctx->cfg.build_args && ctx->cfg.build_args[i]; i++) {
                const char *kv = ctx->cfg.build_args[i];
                size_t n = strcspn(kv, "=");
                if (!vers_df_var(b.args, kv, n))
                        vers_notice(ctx, "[builder.args] %.*s: the Dockerfile has no ARG %.*s",
                                    (int)n, kv, (int)n, kv);
        }
        strbuf_addf(&desc, "vers %d image\n", BUILD_VERSION);
        vers_services_describe(&ctx->cfg, &desc);
        describe_config(&b, &desc);
        rc = layer(&b, "installing what the env runs", desc.buf, write_runtime, NULL, true,
                   image_id, err);
        if (rc < 0)
                goto out;
        /* the image's key covers every step's: a hit means nothing changed */
        *cached = rc == 1;
        if (b.o->verbose && b.built)
                vers_notice(ctx, "%d of %d steps that make a layer came from the cache", b.cached,
                            b.cached + b.built);
        else if (b.o->verbose)
                vers_notice(ctx, "every step came from the cache");
        ret = 0;
out:
        vers_dockerfile_free(&df);
        build_clear(&b);
        return ret;
}
