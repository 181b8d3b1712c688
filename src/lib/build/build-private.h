/* build-private — what the files of 'vers build' share: the build's state, its plan, the cache
 * keys, the layer cache, apt sources, debootstrap, the instruction executors, the runtime layer.
 * Not for the engine or commands (their way in is vers_build(), build/build.h); the pure parts are
 * declared here for tests/unit/test_build.c too. */
#ifndef VERS_BUILD_PRIVATE_H
#define VERS_BUILD_PRIVATE_H

#include "base/hash.h"
#include "base/strbuf.h"
#include "build/build.h"
#include "launch/launch.h"
#include "state/refs.h"
#include "format/dockerfile.h"
#include "state/imageconf.h"

/* Bump when what a step produces, or how its key is made, changes: every cached layer is
 * then rebuilt once. 5: FROM host seeds /etc from an allowlist. 6: keys are SHA-256 over
 * framed pieces (64 hex digits), and the image's configuration is JSON. 7: the last layer
 * says whether the env has its own /usr (VERS_OWN_ROOT_MARKER) from the build's base. 8: a
 * registry base names its manifest digest (VERS_BASE_FILE). 9: the services' boot steps are
 * /.vers/prepare (done by vers-init) and their readiness /.vers/probes. */
#define BUILD_VERSION 9
#define BUILD_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ---- plan.c: which steps, in what order -------------------------------------------------- */

struct build_step {
        const struct vers_df_instr *in; /* NULL: the last step, the image itself */
        int number;                     /* 1..nsteps; 0 for the last step */
        bool makes_layer; /* FROM, RUN, COPY, ADD, WORKDIR (FROM a commit of ours reuses it) */
        char *label;      /* for progress lines: "RUN apt-get update && ..." shortened */
};

/* A stage: a FROM and the steps up to the next FROM. */
struct build_stage {
        size_t first, end; /* its steps: steps[first] (its FROM) to steps[end - 1] */
        const char *name;  /* FROM ... AS name (lowercased), or NULL */
        char *base;        /* its FROM's image, ARGs substituted (vers_build_plan_stages) */
        int base_stage;    /* the earlier stage that image names, or -1 */
        bool needed;       /* the last stage depends on it (the last one itself is) */
};

struct build_plan {
        const char *file;         /* the Dockerfile's name, or "vers.toml": for messages */
        struct build_step *steps; /* the Dockerfile's instructions, then the image step */
        size_t n;
        int nsteps;                     /* steps before the image step (n - 1) */
        struct vers_df_instr *implicit; /* FROM host, when there is no Dockerfile */
        struct build_stage *stages;     /* in order; steps before stages[0].first are ARGs */
        size_t nstages;
};

/* The plan for df; df NULL: no [builder] dockerfile, an implicit "FROM host". */
void vers_build_plan_make(const struct vers_dockerfile *df, struct build_plan *p);
/* Which stages the last one needs, as BuildKit builds them: a FROM's image, with vars (the
 * ARGs before the first FROM) substituted, names an earlier stage by its name; COPY --from
 * one by name or index (resolved by the parser). Sets each stage's base, base_stage and
 * needed. */
int vers_build_plan_stages(struct build_plan *p, char *const *vars, vers_error_t *err);
void vers_build_plan_clear(struct build_plan *p);
/* "KW args": the first line of args, shortened to about 70 characters */
char *vers_build_label(const char *kw, const char *args);

/* ---- key.c: cache keys ------------------------------------------------------------------- */

/* A key: SHA-256 in hex. Every key is a hash over framed pieces (base/hash.h), starting with
 * BUILD_VERSION and what kind of key it is; lists are framed by their length first. */
typedef char build_key_t[VERS_HASH_HEX + 1];

/* A layer: its parent's key ("" for a base) and its step's key. */
void vers_build_key_layer(const char *parent, const char *step, build_key_t out);
void vers_build_key_host(build_key_t out);
/* FROM debian:suite from uri (security: NULL or its archive), on a host of host_suite */
void vers_build_key_debian(const char *suite, const char *uri, const char *security,
                           const char *host_suite, build_key_t out);
/* FROM a registry image: its manifest's digest in the OCI layout ("sha256:..."), whatever
 * reference named it (a tag, a digest, a mirror) */
void vers_build_key_registry(const char *manifest_digest, build_key_t out);
/* FROM a commit of ours: the top of the chain is that commit's tree */
void vers_build_key_commit(const char *commit_id, build_key_t out);
void vers_build_key_run(char *const *argv, const char *user, const char *workdir, char *const *env,
                        build_key_t out);
/* COPY or ADD (kw), its flags as written, the destination, and the sources' content key */
void vers_build_key_copy(const char *kw, char *const *flags, const char *dest, const char *content,
                         build_key_t out);
/* COPY --from: its flags as written (not --from), the key of the stage (or image) it copies
 * from, which determines that tree's content, the sources' paths in it, the destination */
void vers_build_key_copy_from(char *const *flags, const char *from_key, char *const *sources,
                              const char *dest, build_key_t out);
void vers_build_key_workdir(const char *dir, build_key_t out);
/* The last step: the services it sets up (vers_services_describe) and the image's
 * configuration (JSON) */
void vers_build_key_image(const char *services, const char *config_json, build_key_t out);

/* ---- context.c: COPY and ADD sources, .dockerignore -------------------------------------- */

struct build_sources {
        char **srcs;          /* resolved host paths, inside the context (or the stage) */
        struct strbuf *lists; /* per source: what a directory source copies, NUL-separated;
                               * NULL: all of it (COPY --from) */
        build_key_t content;  /* every source's names, modes, link targets and bytes */
        char **rels;          /* COPY --from: each source's path in the stage's root */
};

/* Resolve the sources words[0..n-1] of in (COPY or ADD) in the context ctxdir (globs;
 * .dockerignore; nothing outside it), and hash them. file: for messages. */
int vers_build_context_sources(const char *ctxdir, const char *file, const struct vers_df_instr *in,
                               char *const *words, size_t n, struct build_sources *out,
                               vers_error_t *err);
/* COPY --from: resolve the sources words[0..n-1] (absolute or relative to its /, a '*', '?'
 * or '[...]' in the last part) inside root, the host path of a stage's read-only tree, with
 * openat2(RESOLVE_IN_ROOT): a symlink, absolute or relative, resolves inside root, so none
 * leads out of it. what names the tree for messages ("stage 'builder'"). No .dockerignore,
 * no content hash: the stage's key stands for its content. */
int vers_build_stage_sources(const char *root, const char *what, const char *file,
                             const struct vers_df_instr *in, char *const *words, size_t n,
                             struct build_sources *out, vers_error_t *err);
void vers_build_sources_clear(struct build_sources *s);

/* ---- apt.c: the Debian archive this machine uses ----------------------------------------- */

struct build_archive {
        char *uri;      /* the archive debootstrap uses (no trailing '/') */
        char *security; /* its security archive, or NULL */
        char *suite;    /* the host's suite in that archive (e.g. bookworm), or NULL */
};

/* One line of `apt-get indextargets --format '$(TARGET_OF) $(REPO_URI) $(RELEASE)'`: true,
 * with the archive (no trailing '/') and the suite, for a "deb" target; false for anything
 * else (deb-src, a flat repository, a field apt left unexpanded, a warning). */
bool vers_build_apt_parse_line(const char *line, char **uri, char **suite);
/* Choose from that command's output the archive for FROM debian:want: the suite want if the
 * host has it, else the first plain suite with an -updates or -security pocket (Debian's),
 * else the first plain suite, else the first that is not a security one; and the security
 * archive of that suite (else the first). a is empty when there is none. */
void vers_build_apt_choose(const char *out, const char *want, struct build_archive *a);
/* The machine's archive for FROM debian:want (apt-get indextargets); VERS_DEBIAN_MIRROR
 * overrides the URI. */
void vers_build_host_archive(const char *want, struct build_archive *a);
void vers_build_archive_clear(struct build_archive *a);
/* /etc/apt/sources.list for debian:suite from a: the host's updates and security archives
 * too when suite is the host's */
char *vers_build_apt_sources_list(const char *suite, const struct build_archive *a);
/* Point the apt of the tree rootfs (debian:suite) at a, with the host's proxy settings, and
 * keep package scripts from starting daemons. */
int vers_build_apt_configure(const char *rootfs, const char *suite, const struct build_archive *a,
                             vers_error_t *err);

/* ---- the build's state (build.c) ---------------------------------------------------------- */

/* A stage once built: what a later FROM or COPY --from takes from it */
struct build_stage_out {
        char *top; /* NULL: not built (not needed) */
        build_key_t key;
        struct vers_imageconf conf;
        bool own_root;
};

/* b->top, b->key and b->conf are the current stage's; each FROM starts them anew. */
struct build {
        struct vers_ctx *ctx;
        const struct vers_build_opts *o;
        build_key_t key;                 /* key of the top layer */
        char *top;                       /* its subvolume */
        int step, nsteps, cached, built; /* cached/built: steps that make a layer */
        struct vers_imageconf conf;      /* the image's configuration, as the Dockerfile sets it */
        bool own_root;      /* the stage's base has its own /usr (not FROM host): what its steps'
                             * sandboxes bind, and the marker its last layer gets */
        char **args;        /* ARG values in effect: the stage's (before the first FROM and in
                             * FROM lines: the global ones) */
        char **global_args; /* the ARGs before the first FROM: an ARG without a value in a
                             * stage takes its default from there */
        const char *file;   /* the Dockerfile, for messages */
        struct build_stage_out *stages; /* per stage of the plan */
        size_t nstages;
};

/* ---- layer.c: the layer cache, and sandboxes for build steps ----------------------------- */

void vers_build_say(struct build *b, bool cached, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* VERS_CACHE, default /var/cache/vers: what builds keep across roots (debootstrap tarballs,
 * the OCI layout of pulled images) */
char *vers_build_cache_dir(void);

/* Run a tool on the host (debootstrap, skopeo): each line of its output (stdout and stderr),
 * without its newline, to line (may be NULL), for progress; the first MiB of it in *out.
 * Returns its exit code, or -1 when it could not run. */
typedef void (*build_line_fn)(struct build *b, const char *line, void *arg);
int vers_build_tool(struct build *b, char *const argv[], build_line_fn line, void *arg,
                    struct strbuf *out, vers_error_t *err);

typedef int (*build_apply_fn)(struct build *b, const char *id, const char *path, void *arg,
                              vers_error_t *err);
/* Add one layer on top of b->top (or a new subvolume when there is no top yet): label for
 * progress, step_key for its key, fn to fill it. final: the image itself (state 'ready').
 * Returns 1 when the layer came from the cache, 0 when it was built, -1 on error. */
int vers_build_layer(struct build *b, const char *label, const char *step_key, build_apply_fn fn,
                     void *arg, bool final, char **out_id, vers_error_t *err);

struct build_run {
        char **argv;
        const char *user;    /* NULL: root */
        const char *workdir; /* NULL: / */
        char **env;          /* the whole environment */
        bool host_net;
        const char *bind; /* a host directory bound at its own path (the build context; a
                           * stage's read-only tree for COPY --from), or NULL */
};
/* Run one command in a sandbox on path (cgroup id), then stop everything it started. The
 * directories made in path for r->bind's mount point are removed again. */
int vers_build_run_in(struct build *b, const char *id, const char *path, const struct build_run *r,
                      int *status, vers_error_t *err);

/* ---- instr.c: the instruction executors --------------------------------------------------- */

typedef int (*build_exec_fn)(struct build *b, const struct build_step *s, char **vars,
                             vers_error_t *err);
/* The executor of an instruction kind; NULL for those that change nothing (LABEL,
 * MAINTAINER). */
build_exec_fn vers_build_executor(enum vers_df_kind kind);

/* ---- from.c: FROM ---------------------------------------------------------------------- */

/* Start b's chain (b->top, b->key, b->conf) from the base ref ("host", "debian:<suite>", a tag
 * or commit of this root, else a registry image: registry.c); in: the FROM (or COPY --from) it
 * comes from, for messages. */
int vers_build_from(struct build *b, const struct vers_df_instr *in, const char *ref,
                    vers_error_t *err);
/* The FROM instruction's executor: FROM ref [AS name] */
int vers_build_exec_from(struct build *b, const struct build_step *s, char **vars,
                         vers_error_t *err);

/* ---- debootstrap.c: FROM debian:<suite> ---------------------------------------------------- */

/* ref: "debian:<suite>[-slim]", in: its FROM; label: for progress */
int vers_build_from_debian(struct build *b, const struct vers_df_instr *in, const char *ref,
                           const char *label, vers_error_t *err);

/* ---- registry.c: FROM any registry image (skopeo, umoci) ---------------------------------- */

/* ref: a Docker image reference (format/imageref.h), in: its FROM (or COPY --from); label:
 * for progress. Pulls into the OCI layout VERS_CACHE/oci unless the layout already has ref
 * (b->o->pull: always), unpacks its manifest as a base layer keyed by the manifest's digest,
 * and sets b->conf from the image's configuration. */
int vers_build_from_registry(struct build *b, const struct vers_df_instr *in, const char *ref,
                             const char *label, vers_error_t *err);
/* The reason a failed skopeo copy gives, from its output out, as a few words ("connection
 * refused", "manifest unknown", "unauthorized"...; else the last message's last part), into
 * buf. */
void vers_registry_reason(const char *out, char *buf, size_t n);

/* ---- copyscript.c: what runs COPY and ADD inside the sandbox ---------------------------- */

extern const char vers_build_copy_script[];

/* ---- runtime.c: the last layer, what 'vers run' starts ------------------------------------ */

/* The command CMD and ENTRYPOINT make (Docker's rules) as a shell command line, or NULL. */
char *vers_build_main_command(const struct vers_imageconf *c);
int vers_build_write_runtime(struct build *b, const char *id, const char *path, void *arg,
                             vers_error_t *err);

#endif
