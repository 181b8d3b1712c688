/* debootstrap — FROM debian:<suite>: debootstrap once per suite and archive, its tarball cached
 * in VERS_CACHE for every later build and root. */
#include "build/build-private.h"
#include "base/names.h"
#include "os/sandbox.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct phases {
        const char *what;
        char phase[32];
        char last[4][1024]; /* its last lines, for errors */
        int nl;
};

/* debootstrap's "I: Verb ..." lines: one progress line per phase */
static void phase_line(struct build *b, const char *line, void *arg)
{
        struct phases *ph = arg;
        snprintf(ph->last[ph->nl++ % 4], sizeof ph->last[0], "%s", line);
        char verb[32];
        if (!strncmp(line, "I: ", 3) && sscanf(line + 3, "%31s", verb) == 1 &&
            strcmp(verb, ph->phase)) {
                snprintf(ph->phase, sizeof ph->phase, "%s", verb);
                vers_build_say(b, false, "%s: %s", ph->what, line + 3);
        }
}

/* Run argv, showing debootstrap's phases as progress; its last lines for errors. */
static int run_with_progress(struct build *b, char *const argv[], const char *what,
                             vers_error_t *err)
{
        struct phases ph = {.what = what};
        _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
        int rc = vers_build_tool(b, argv, phase_line, &ph, &out, err);
        if (rc <= 0)
                return rc;
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        for (int i = ph.nl > 4 ? ph.nl - 4 : 0; i < ph.nl; i++)
                strbuf_addf(&sb, "\n  %s", ph.last[i % 4]);
        return vers_make_error(err, 0, "%s failed (exit %d); its last lines:%s", what, rc, sb.buf);
}

struct debian_arg {
        const char *suite;
        const struct build_archive *archive;
        const char *cache; /* tarball */
};

static int debootstrap(struct build *b, const char *path, const struct debian_arg *a,
                       vers_error_t *err)
{
        if (access("/usr/sbin/debootstrap", X_OK) < 0)
                return vers_make_error(err, 0,
                                       "FROM debian:%s needs debootstrap (apt-get install "
                                       "debootstrap)",
                                       a->suite);
        vers_build_say(b, false, "debootstrap %s from %s (once; cached in %s)", a->suite,
                       a->archive->uri, a->cache);
        /* a mount namespace of its own: whatever debootstrap mounts in the target goes away
         * with it, even when it fails */
        char *argv[] = {"unshare",
                        "-m",
                        "--propagation",
                        "private",
                        "/usr/sbin/debootstrap",
                        "--variant=minbase",
                        (char *)a->suite,
                        (char *)path,
                        a->archive->uri,
                        NULL};
        if (run_with_progress(b, argv, "debootstrap", err) < 0 ||
            vers_build_apt_configure(path, a->suite, a->archive, err) < 0)
                return -1;
        _cleanup_free_ char *dir = vers_build_cache_dir();
        _cleanup_free_ char *tmp = xasprintf("%s.tmp.%d", a->cache, (int)getpid());
        if (vers_mkdir_p(dir, 0755, NULL) == 0) {
                char *tar[] = {"tar", "-cpf", tmp, "-C", (char *)path, "--numeric-owner",
                               ".",   NULL};
                _cleanup_free_ char *out = NULL;
                if (vers_run(tar, &out, NULL) == 0)
                        rename(tmp, a->cache);
                unlink(tmp);
        }
        return 0;
}

static int apply_debian(struct build *b, const char *id, const char *path, void *arg,
                        vers_error_t *err)
{
        const struct debian_arg *a = arg;
        if (vers_path_exists(a->cache)) {
                vers_build_say(b, false, "unpacking the cached debian:%s base", a->suite);
                char *argv[] = {
                    "tar", "-xpf", (char *)a->cache, "-C", (char *)path, "--numeric-owner", NULL};
                _cleanup_free_ char *out = NULL;
                int rc = vers_run(argv, &out, err);
                if (rc != 0)
                        return rc < 0 ? -1
                                      : vers_make_error(err, 0, "cannot unpack '%s': %s", a->cache,
                                                        str_first_line(out));
        } else if (debootstrap(b, path, a, err) < 0) {
                return -1;
        }
        if (vers_sandbox_populate(path, err) < 0)
                return -1;
        _cleanup_free_ char *marker = xasprintf("%s/" VERS_OWN_ROOT_MARKER, path);
        return vers_write_file_atomic(marker, "debian\n", 7, 0644, err);
}

int vers_build_from_debian(struct build *b, const struct vers_df_instr *in, const char *ref,
                           const char *label, vers_error_t *err)
{
        _cleanup_free_ char *suite = xstrdup(ref + strlen("debian:"));
        if (str_endswith(suite, "-slim"))
                suite[strlen(suite) - 5] = '\0';
        if (vers_name_check("suite", suite, NULL) < 0 || strchr(suite, '.'))
                return vers_make_error(err, 0, "%s:%ld:%ld: FROM %s: not a Debian suite", b->file,
                                       in->line, in->args_col, ref);
        _cleanup_free_ char *script = xasprintf("/usr/share/debootstrap/scripts/%s", suite);
        if (vers_path_exists("/usr/share/debootstrap") && !vers_path_exists(script))
                return vers_make_error(err, 0,
                                       "%s:%ld:%ld: FROM %s: debootstrap does not know the "
                                       "suite '%s' (try debian:bookworm)",
                                       b->file, in->line, in->args_col, ref, suite);
        struct build_archive archive;
        vers_build_host_archive(suite, &archive);
        if (!archive.uri) {
                vers_build_archive_clear(&archive);
                return vers_make_error(err, 0,
                                       "FROM %s: no Debian archive in this machine's apt "
                                       "configuration (set VERS_DEBIAN_MIRROR)",
                                       ref);
        }
        /* one tarball per suite and what its apt sources name (not per BUILD_VERSION: the
         * tarball is debootstrap's work, which a new version of vers does not change) */
        struct vers_hash h;
        char tar_key[VERS_HASH_HEX + 1];
        vers_hash_init(&h);
        vers_hash_str(&h, suite);
        vers_hash_str(&h, archive.uri);
        vers_hash_str(&h, archive.security);
        vers_hash_str(&h, archive.suite);
        vers_hash_hex(&h, tar_key);
        _cleanup_free_ char *dir = vers_build_cache_dir();
        _cleanup_free_ char *cache =
            xasprintf("%s/debootstrap-%s-minbase-%.16s.tar", dir, suite, tar_key);
        struct debian_arg a = {suite, &archive, cache};
        build_key_t key;
        vers_build_key_debian(suite, archive.uri, archive.security, archive.suite, key);
        int ret = vers_build_layer(b, label, key, apply_debian, &a, false, NULL, err);
        vers_build_archive_clear(&archive);
        return ret;
}
