/* imageref — Docker's image references: parsing, resolution, and the pure choices of a pull. */
#include "format/imageref.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define NAME_MAX_LEN 255
#define TAG_MAX_LEN 128

void vers_imageref_clear(struct vers_imageref *r)
{
        free(r->domain);
        free(r->path);
        free(r->tag);
        free(r->digest);
        memset(r, 0, sizeof *r);
}

static bool lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool alnum(char c)
{
        return lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool hex_lower(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} */
static bool tag_valid(const char *t)
{
        size_t n = strlen(t);
        if (n == 0 || n > TAG_MAX_LEN || !(alnum(t[0]) || t[0] == '_'))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!(alnum(t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
                        return false;
        return true;
}

bool vers_imageref_digest_ok(const char *d)
{
        if (!d || strncmp(d, "sha256:", 7) || strlen(d) != 7 + 64)
                return false;
        for (const char *p = d + 7; *p; p++)
                if (!hex_lower(*p))
                        return false;
        return true;
}

/* one path component: [a-z0-9]+ (("." | "_" | "__" | "-"+) [a-z0-9]+)* */
static bool component_valid(const char *c, size_t n)
{
        if (n == 0 || !lower_alnum(c[0]))
                return false;
        size_t i = 0;
        while (i < n) {
                if (lower_alnum(c[i])) {
                        i++;
                        continue;
                }
                size_t j = i;
                if (c[j] == '.') {
                        j++;
                } else if (c[j] == '_') {
                        j++;
                        if (j < n && c[j] == '_')
                                j++;
                } else if (c[j] == '-') {
                        while (j < n && c[j] == '-')
                                j++;
                } else {
                        return false;
                }
                if (j >= n || !lower_alnum(c[j]))
                        return false;
                i = j;
        }
        return true;
}

/* label ("." label)* [":" port], label := [A-Za-z0-9] | [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9];
 * or "[" IPv6 "]" [":" port] */
static bool domain_valid(const char *d)
{
        const char *p = d;
        if (*p == '[') {
                const char *end = strchr(p, ']');
                if (!end || end == p + 1)
                        return false;
                for (const char *q = p + 1; q < end; q++)
                        if (!(hex_lower(*q) || (*q >= 'A' && *q <= 'F') || *q == ':' || *q == '.'))
                                return false;
                p = end + 1;
        } else {
                for (;;) {
                        const char *start = p;
                        while (alnum(*p) || *p == '-')
                                p++;
                        if (p == start || start[0] == '-' || p[-1] == '-')
                                return false;
                        if (*p != '.')
                                break;
                        p++;
                }
        }
        if (*p == ':') {
                p++;
                if (!(*p >= '0' && *p <= '9'))
                        return false;
                while (*p >= '0' && *p <= '9')
                        p++;
        }
        return *p == '\0';
}

/* Docker's rule: the first component names a registry when it has a '.' or a ':', is
 * localhost, or has an uppercase letter */
static bool is_domain(const char *c, size_t n)
{
        if (memchr(c, '.', n) || memchr(c, ':', n) || (n == 9 && !strncmp(c, "localhost", 9)))
                return true;
        for (size_t i = 0; i < n; i++)
                if (c[i] >= 'A' && c[i] <= 'Z')
                        return true;
        return false;
}

static int check_path(const char *path, vers_error_t *err)
{
        for (const char *p = path; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        return vers_make_error(err, 0, "repository name must be lowercase");
        const char *c = path;
        for (;;) {
                size_t n = strcspn(c, "/");
                if (!component_valid(c, n))
                        return vers_make_error(err, 0,
                                               "'%.*s' is not a repository name component "
                                               "([a-z0-9] separated by '.', '_', '__' or '-')",
                                               (int)n, c);
                if (!c[n])
                        return 0;
                c += n + 1;
        }
}

static int parse(const char *s, struct vers_imageref *r, vers_error_t *err)
{
        if (!*s)
                return vers_make_error(err, 0, "an empty image reference");
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                if (*p <= ' ' || *p >= 0x7f)
                        return vers_make_error(err, 0,
                                               "an image reference has no spaces or "
                                               "control characters");
        _cleanup_free_ char *name = xstrdup(s);
        char *at = strchr(name, '@');
        if (at) {
                *at = '\0';
                if (!vers_imageref_digest_ok(at + 1))
                        return vers_make_error(err, 0,
                                               "'%s' is not a digest (sha256: and 64 lowercase "
                                               "hex digits)",
                                               at + 1);
                r->digest = xstrdup(at + 1);
        }
        char *colon = strrchr(name, ':'), *slash = strrchr(name, '/');
        if (colon && (!slash || colon > slash)) {
                *colon = '\0';
                if (!tag_valid(colon + 1))
                        return vers_make_error(err, 0,
                                               "'%s' is not a tag ([A-Za-z0-9_][A-Za-z0-9_.-], at "
                                               "most %d characters)",
                                               colon + 1, TAG_MAX_LEN);
                r->tag = xstrdup(colon + 1);
        }
        if (!*name)
                return vers_make_error(err, 0, "no repository name");
        size_t first = strcspn(name, "/");
        const char *rest = name;
        if (name[first] == '/' && is_domain(name, first)) {
                r->domain = xstrndup(name, first);
                rest = name + first + 1;
                if (!domain_valid(r->domain))
                        return vers_make_error(err, 0, "'%s' is not a registry (host[:port])",
                                               r->domain);
                if (!strcmp(r->domain, "index.docker.io")) {
                        free(r->domain);
                        r->domain = xstrdup("docker.io");
                }
        } else {
                r->domain = xstrdup("docker.io");
                /* Docker's "cannot specify 64-byte hexadecimal strings": that is an image id */
                size_t n = strlen(name), i = 0;
                while (i < n && hex_lower(name[i]))
                        i++;
                if (n == 64 && i == n)
                        return vers_make_error(err, 0,
                                               "a 64-digit hexadecimal name is an image "
                                               "id, not a reference");
        }
        if (check_path(rest, err) < 0)
                return -1;
        if (!strcmp(r->domain, "docker.io") && !strchr(rest, '/'))
                r->path = xasprintf("library/%s", rest);
        else
                r->path = xstrdup(rest);
        /* Docker measures the name once resolved (docker.io/library/x) */
        if (strlen(r->domain) + 1 + strlen(r->path) > NAME_MAX_LEN)
                return vers_make_error(err, 0, "the repository name is longer than %d characters",
                                       NAME_MAX_LEN);
        if (!r->tag && !r->digest)
                r->tag = xstrdup("latest");
        return 0;
}

int vers_imageref_parse(const char *s, struct vers_imageref *r, vers_error_t *err)
{
        memset(r, 0, sizeof *r);
        if (parse(s, r, err) < 0) {
                vers_imageref_clear(r);
                return -1;
        }
        return 0;
}

char *vers_imageref_canonical(const struct vers_imageref *r)
{
        return xasprintf("%s/%s%s%s%s%s", r->domain, r->path, r->tag ? ":" : "",
                         r->tag ? r->tag : "", r->digest ? "@" : "", r->digest ? r->digest : "");
}

char *vers_imageref_pull_name(const struct vers_imageref *r)
{
        if (r->digest)
                return xasprintf("%s/%s@%s", r->domain, r->path, r->digest);
        return xasprintf("%s/%s:%s", r->domain, r->path, r->tag);
}

bool vers_imageref_loopback(const struct vers_imageref *r)
{
        _cleanup_free_ char *host = NULL;
        if (r->domain[0] == '[') {
                const char *end = strchr(r->domain, ']');
                if (!end)
                        return false;
                host = xstrndup(r->domain + 1, (size_t)(end - r->domain - 1));
        } else {
                host = xstrndup(r->domain, strcspn(r->domain, ":"));
        }
        if (!strcasecmp(host, "localhost"))
                return true;
        struct in_addr a4;
        if (inet_pton(AF_INET, host, &a4) == 1)
                return (ntohl(a4.s_addr) >> 24) == 127;
        struct in6_addr a6;
        if (inet_pton(AF_INET6, host, &a6) == 1)
                return IN6_IS_ADDR_LOOPBACK(&a6);
        return false;
}

char *vers_registry_authfile(const char *env_file, const char *user_home,
                             bool (*exists)(const char *path))
{
        if (env_file && *env_file)
                return xstrdup(env_file);
        if (!user_home || !*user_home)
                return NULL;
        char *p = xasprintf("%s%s.docker/config.json", user_home,
                            str_endswith(user_home, "/") ? "" : "/");
        if (exists(p))
                return p;
        free(p);
        return NULL;
}
