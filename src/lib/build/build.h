/* build — 'vers build': the project's image as a chain of cached layers (see build.c). */
#ifndef VERS_BUILD_H
#define VERS_BUILD_H

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

#endif
