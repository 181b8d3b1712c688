/* imageref — image references as Docker writes them (FROM ubuntu:22.04, FROM ghcr.io/o/x:tag,
 * FROM localhost:5000/x@sha256:...), parsed and resolved the way Docker resolves them, and the
 * pure choices a pull makes from them (plain http for loopback registries, the credentials
 * file).
 *
 * The grammar is Docker's (distribution/reference):
 *   reference  := name [":" tag] ["@" digest]
 *   name       := [domain "/"] component ("/" component)*       at most 255 characters
 *   domain     := label ("." label)* [":" port] | "[" IPv6 "]" [":" port]
 *   component  := [a-z0-9]+ (separator [a-z0-9]+)*,  separator := "." | "_" | "__" | "-"+
 *   tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   digest     := "sha256:" 64 lowercase hex digits (the one algorithm vers accepts)
 * The first component is a domain when it has a '.' or a ':', is "localhost", or has an
 * uppercase letter; otherwise the domain is docker.io, and a one-component name on docker.io
 * is under library/ (ubuntu -> docker.io/library/ubuntu). index.docker.io is docker.io. A
 * reference with neither tag nor digest gets the tag "latest"; with both, the digest decides
 * what is pulled (the tag is kept for messages).
 *
 * A struct vers_imageref owns its strings; vers_imageref_clear() frees them and zeroes it.
 */
#ifndef VERS_IMAGEREF_H
#define VERS_IMAGEREF_H

#include "base/util.h"

struct vers_imageref {
        char *domain; /* "docker.io", "localhost:5000", "[::1]:5000" */
        char *path;   /* "library/ubuntu", "o/x" */
        char *tag; /* "22.04"; "latest" when neither tag nor digest is given; NULL: digest only */
        char *digest; /* "sha256:<64 hex>", or NULL */
};

/* Parse s into r (cleared first). -1 with *err set to the reason, one line without the
 * reference itself ("repository name must be lowercase"); r is then empty. */
int vers_imageref_parse(const char *s, struct vers_imageref *r, vers_error_t *err);
void vers_imageref_clear(struct vers_imageref *r);
/* The full form: domain/path[:tag][@digest] */
char *vers_imageref_canonical(const struct vers_imageref *r);
/* What to pull: domain/path@digest when there is a digest, else domain/path:tag */
char *vers_imageref_pull_name(const struct vers_imageref *r);
/* The registry's host (the domain without its port, an IPv6 address without brackets) is
 * localhost, in 127.0.0.0/8 or ::1: it may speak plain http, as Docker allows. */
bool vers_imageref_loopback(const struct vers_imageref *r);
/* d is "sha256:" and 64 lowercase hex digits (NULL is not) */
bool vers_imageref_digest_ok(const char *d);

/* The credentials file a pull is given (skopeo --authfile), or NULL for none: env_file
 * (REGISTRY_AUTH_FILE) when set and not empty; else HOME/.docker/config.json of the user who
 * runs vers (user_home: SUDO_USER's home under sudo, else $HOME) when exists() finds it. */
char *vers_registry_authfile(const char *env_file, const char *user_home,
                             bool (*exists)(const char *path));

#endif
