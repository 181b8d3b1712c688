/* build — 'vers build': the project's image as a chain of cached layers (see build.c). */
#ifndef VERS_BUILD_H
#define VERS_BUILD_H

#include "base/hash.h"
#include "state/ctx.h"

struct vers_build_opts {
        bool no_cache;    /* rebuild every step */
        bool verbose;     /* say every step, cached or not ('vers build') */
        bool pull;        /* ask the registry again for every FROM image, even one in the cache */
        const char *file; /* the Dockerfile ('vers build -f'); NULL: [builder] dockerfile, else
                           * the project's Dockerfile, else FROM host */
};
/* Build the project's image (vers.toml, and its Dockerfile if [builder] names one): every
 * step a cached layer. *cached is true when every step came from the cache. */
int vers_build(struct vers_ctx *ctx, const struct vers_build_opts *o, char **image_id, bool *cached,
               vers_error_t *err);

/* FROM a registry image: its base layer holds the manifest's digest in this file, and
 * every image above it keeps it (vers export takes the base's own layers from there) */
/* skopeo's command line copying src to dst, where r is the registry end (to_registry: dst):
 * CONTAINERS_REGISTRIES_CONF as --registries-conf (skopeo 1.9 ignores the variable), the
 * credentials file (vers_registry_authfile: REGISTRY_AUTH_FILE, else the invoking user's,
 * SUDO_USER's under sudo), plain http only for a loopback registry. NULL with *err set when
 * REGISTRY_AUTH_FILE names no file. strv_free() it. */
struct vers_imageref;
char **vers_registry_copy_argv(const struct vers_imageref *r, const char *src, const char *dst,
                               bool to_registry, vers_error_t *err);
/* The reason a failed skopeo copy gives, from its output, as a few words (registry.c) */
void vers_registry_reason(const char *out, char *buf, size_t n);
/* vers pull (ship/): ref pulled into the OCI layout VERS_CACHE/oci (always asking the
 * registry); *image is "LAYOUT:TAG", *digest its manifest's. The layout stays locked by
 * *lockfd (close it) while the caller unpacks. */
int vers_registry_pull(struct vers_ctx *ctx, const char *ref, char **image, char **digest,
                       int *lockfd, vers_error_t *err);
/* Unpack image ("LAYOUT:TAG") into the empty directory path as registry.c does for FROM (what
 * starts its messages: "FROM x", "'x'"; no
 * device nodes, no symlinked skeleton directories, 0755 root, ids shifted into the root's
 * range); keep_vers keeps the image's /.vers (an image vers exported), else it goes. */
int vers_registry_unpack(struct vers_ctx *ctx, const char *image, const char *ref, const char *path,
                         bool keep_vers, vers_error_t *err);
#define VERS_BASE_FILE ".vers/base"
/* VERS_CACHE, default /var/cache/vers (layer.c) */
char *vers_build_cache_dir(void);
/* The layer key of a registry base whose manifest has digest in the OCI layout (key.c) */
void vers_build_key_registry(const char *manifest_digest, char out[VERS_HASH_HEX + 1]);
/* A layer's key (its images row's) from its parent's ("" for a base) and its step's */
void vers_build_key_layer(const char *parent, const char *step, char out[VERS_HASH_HEX + 1]);

#endif
