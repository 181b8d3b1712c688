/* apt — the Debian archive this machine's apt uses (apt-get indextargets), and the apt setup of
 * a debootstrapped tree. */
#include "build/build-private.h"

#include <stdio.h>
#include <string.h>

/* what apt-get indextargets prints per target: its kind, its archive, its suite */
#define INDEXTARGETS_FORMAT "$(TARGET_OF) $(REPO_URI) $(RELEASE)"

bool vers_build_apt_parse_line(const char *line, char **uri, char **suite)
{
        *uri = *suite = NULL;
        _cleanup_free_ char *copy = xstrdup(line);
        char *w[4] = {NULL}, *save = NULL;
        size_t n = 0;
        for (char *t = strtok_r(copy, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save))
                if (n < 4)
                        w[n++] = t;
        if (n != 3 || strcmp(w[0], "deb"))
                return false;
        /* a field apt could not fill stays "$(NAME)"; a flat repository's suite is a path */
        if (strstr(w[1], "$(") || strstr(w[2], "$(") || !strstr(w[1], ":/") || strchr(w[2], '/'))
                return false;
        size_t len = strlen(w[1]);
        while (len > 0 && w[1][len - 1] == '/')
                len--;
        *uri = xstrndup(w[1], len);
        *suite = xstrdup(w[2]);
        return true;
}

static bool is_security(const char *suite)
{
        return str_endswith(suite, "-security");
}

/* bookworm-updates, bookworm-backports...: not the suite itself */
static bool is_pocket(const char *suite)
{
        return is_security(suite) || str_endswith(suite, "-updates") ||
               str_endswith(suite, "-backports") || str_endswith(suite, "-backports-sloppy");
}

/* Does the list have suite-updates or suite-security? */
static bool has_pocket(char **suites, const char *suite)
{
        size_t n = strlen(suite);
        for (size_t i = 0; suites[i]; i++)
                if (!strncmp(suites[i], suite, n) &&
                    (!strcmp(suites[i] + n, "-updates") || !strcmp(suites[i] + n, "-security")))
                        return true;
        return false;
}

void vers_build_apt_choose(const char *out, const char *want, struct build_archive *a)
{
        memset(a, 0, sizeof *a);
        _cleanup_strv_ char **uris = NULL;
        _cleanup_strv_ char **suites = NULL;
        _cleanup_free_ char *copy = xstrdup(out ? out : "");
        char *save = NULL;
        for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                _cleanup_free_ char *uri = NULL;
                _cleanup_free_ char *suite = NULL;
                if (vers_build_apt_parse_line(l, &uri, &suite)) {
                        strv_push(&uris, uri);
                        strv_push(&suites, suite);
                }
        }
        /* the main archive: 4 the suite wanted, 3 a plain suite with an -updates or -security
         * pocket (as Debian's have; a third party's repository seldom), 2 another plain one,
         * 1 a pocket, 0 a security archive */
        size_t n = strv_len(uris), best = n;
        int best_rank = 0;
        for (size_t i = 0; i < n; i++) {
                int rank = is_security(suites[i])             ? 0
                           : want && !strcmp(suites[i], want) ? 4
                           : is_pocket(suites[i])             ? 1
                           : has_pocket(suites, suites[i])    ? 3
                                                              : 2;
                if (rank > best_rank) {
                        best_rank = rank;
                        best = i;
                }
        }
        if (best == n)
                return;
        a->uri = xstrdup(uris[best]);
        a->suite = xstrdup(suites[best]);
        /* the security archive of that suite, else the first there is */
        _cleanup_free_ char *sec_suite = xasprintf("%s-security", a->suite);
        size_t sec = n;
        for (size_t i = 0; i < n; i++) {
                if (!is_security(suites[i]))
                        continue;
                if (!strcmp(suites[i], sec_suite)) {
                        sec = i;
                        break;
                }
                if (sec == n)
                        sec = i;
        }
        if (sec < n)
                a->security = xstrdup(uris[sec]);
}

void vers_build_host_archive(const char *want, struct build_archive *a)
{
        /* --no-release-info: from the sources alone, before any apt-get update */
        char *argv[] = {"apt-get",  "indextargets",      "--no-release-info",
                        "--format", INDEXTARGETS_FORMAT, "Identifier: Packages",
                        NULL};
        _cleanup_free_ char *out = NULL;
        if (vers_run(argv, &out, NULL) != 0) {
                free(out);
                out = NULL;
        }
        vers_build_apt_choose(out, want, a);
        const char *forced = getenv("VERS_DEBIAN_MIRROR");
        if (forced && *forced) {
                free(a->uri);
                a->uri = xstrdup(forced);
        }
}

void vers_build_archive_clear(struct build_archive *a)
{
        free(a->uri);
        free(a->security);
        free(a->suite);
        memset(a, 0, sizeof *a);
}

char *vers_build_apt_sources_list(const char *suite, const struct build_archive *a)
{
        struct strbuf sb = STRBUF_INIT;
        strbuf_addf(&sb, "deb %s %s main\n", a->uri, suite);
        if (a->suite && !strcmp(suite, a->suite)) {
                strbuf_addf(&sb, "deb %s %s-updates main\n", a->uri, suite);
                if (a->security)
                        strbuf_addf(&sb, "deb %s %s-security main\n", a->security, suite);
        }
        return strbuf_detach(&sb);
}

int vers_build_apt_configure(const char *rootfs, const char *suite, const struct build_archive *a,
                             vers_error_t *err)
{
        _cleanup_free_ char *sources = vers_build_apt_sources_list(suite, a);
        _cleanup_free_ char *list = xasprintf("%s/etc/apt/sources.list", rootfs);
        if (vers_write_file_atomic(list, sources, strlen(sources), 0644, err) < 0)
                return -1;
        /* the host's apt settings that make its archive reachable (proxies, date checks) */
        char *argv[] = {"apt-config", "dump", NULL};
        _cleanup_free_ char *dump = NULL;
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
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
        _cleanup_free_ char *conf = xasprintf("%s/etc/apt/apt.conf.d/99vers-host", rootfs);
        if (vers_write_file_atomic(conf, sb.buf, sb.len, 0644, err) < 0)
                return -1;
        /* like container images: package scripts do not start daemons during a build */
        static const char policy[] =
            "#!/bin/sh\n# vers: no daemons started by packages\nexit 101\n";
        _cleanup_free_ char *rc = xasprintf("%s/usr/sbin/policy-rc.d", rootfs);
        return vers_write_file_atomic(rc, policy, sizeof policy - 1, 0755, err);
}
