/* key — the cache keys of build layers: SHA-256 over framed pieces, never a text description. */
#include "build/build-private.h"

#include <stdio.h>

/* Every key starts with the build's version and its kind, so that no two kinds of key, and
 * no two versions of what a step makes, can share one. */
static void begin(struct vers_hash *h, const char *kind)
{
        char v[16];
        snprintf(v, sizeof v, "%d", BUILD_VERSION);
        vers_hash_init(h);
        vers_hash_str(h, "vers build");
        vers_hash_str(h, v);
        vers_hash_str(h, kind);
}

/* a list: its length, then each string (so that ["a", "b"] + [] and ["a"] + ["b"] differ) */
static void add_strv(struct vers_hash *h, char *const *v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        char len[32];
        snprintf(len, sizeof len, "%zu", n);
        vers_hash_str(h, len);
        for (size_t i = 0; i < n; i++)
                vers_hash_str(h, v[i]);
}

void vers_build_key_layer(const char *parent, const char *step, build_key_t out)
{
        struct vers_hash h;
        begin(&h, "layer");
        vers_hash_str(&h, parent);
        vers_hash_str(&h, step);
        vers_hash_hex(&h, out);
}

void vers_build_key_host(build_key_t out)
{
        struct vers_hash h;
        begin(&h, "base host");
        vers_hash_hex(&h, out);
}

void vers_build_key_debian(const char *suite, const char *uri, const char *security,
                           const char *host_suite, build_key_t out)
{
        struct vers_hash h;
        begin(&h, "base debian minbase");
        vers_hash_str(&h, suite);
        vers_hash_str(&h, uri);
        /* NULL and "" alike mean none: both are "-" */
        vers_hash_str(&h, security && *security ? security : "-");
        vers_hash_str(&h, host_suite && *host_suite ? host_suite : "-");
        vers_hash_hex(&h, out);
}

void vers_build_key_registry(const char *manifest_digest, build_key_t out)
{
        struct vers_hash h;
        begin(&h, "base registry image");
        vers_hash_str(&h, manifest_digest);
        vers_hash_hex(&h, out);
}

void vers_build_key_commit(const char *commit_id, build_key_t out)
{
        struct vers_hash h;
        begin(&h, "base commit");
        vers_hash_str(&h, commit_id);
        vers_hash_hex(&h, out);
}

void vers_build_key_run(char *const *argv, const char *user, const char *workdir, char *const *env,
                        build_key_t out)
{
        struct vers_hash h;
        begin(&h, "RUN");
        add_strv(&h, argv);
        vers_hash_str(&h, user ? user : "root");
        vers_hash_str(&h, workdir ? workdir : "/");
        add_strv(&h, env);
        vers_hash_hex(&h, out);
}

void vers_build_key_copy(const char *kw, char *const *flags, const char *dest, const char *content,
                         build_key_t out)
{
        struct vers_hash h;
        begin(&h, "COPY");
        vers_hash_str(&h, kw);
        add_strv(&h, flags);
        vers_hash_str(&h, dest);
        vers_hash_str(&h, content);
        vers_hash_hex(&h, out);
}

void vers_build_key_copy_from(char *const *flags, const char *from_key, char *const *sources,
                              const char *dest, build_key_t out)
{
        struct vers_hash h;
        begin(&h, "COPY --from");
        add_strv(&h, flags);
        vers_hash_str(&h, from_key);
        add_strv(&h, sources);
        vers_hash_str(&h, dest);
        vers_hash_hex(&h, out);
}

void vers_build_key_workdir(const char *dir, build_key_t out)
{
        struct vers_hash h;
        begin(&h, "WORKDIR");
        vers_hash_str(&h, dir);
        vers_hash_hex(&h, out);
}

void vers_build_key_image(const char *services, const char *config_json, build_key_t out)
{
        struct vers_hash h;
        begin(&h, "image");
        vers_hash_str(&h, services);
        vers_hash_str(&h, config_json);
        vers_hash_hex(&h, out);
}
