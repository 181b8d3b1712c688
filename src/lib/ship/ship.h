/* ship — commits that leave the machine: a commit as an OCI image (vers export), sent to a
 * registry (vers push), and the Kubernetes manifests that run it (vers kube).
 *
 * An exported image is the commit's tree as layers: the base image's own layers when the
 * commit's image was built FROM a registry image (their blobs are in VERS_CACHE/oci), then the
 * built image's tree minus the base's (FROM debian:<suite>: the whole image tree), then the
 * commit's tree minus the image's. The layers are plain tars written here (libarchive) from a
 * walk of both trees: btrfs snapshots keep inode numbers and times, so an entry whose (ino,
 * ctime, mtime, size, mode, uid, gid) are equal is unchanged. Entries are sorted, carry no
 * atime, ctime, user or group names, and ids are shifted back from the root's range to
 * 0..65535: the same tree gives the same layer digest, so the image's layer is made once per
 * image and kept (VERS_CACHE/ship, an OCI layout of its own).
 *
 * Images built FROM host are refused: their tree has no /usr of its own (the env binds the
 * host's), so the image would have to carry this machine's.
 */
#ifndef VERS_SHIP_H
#define VERS_SHIP_H

#include "base/strbuf.h"
#include "os/idmap.h"
#include "state/ctx.h"

#include <stdint.h>

enum vers_ship_format { VERS_SHIP_OCI, VERS_SHIP_DOCKER };

/* 'vers export COMMIT -o FILE': the commit as an oci-archive or docker-archive in file, made
 * beside it and renamed into place (a failure leaves no file). */
int vers_ship_export(struct vers_ctx *ctx, const char *commit, const char *file,
                     enum vers_ship_format format, vers_error_t *err);
/* 'vers push COMMIT REF': the commit's image to docker://ref (skopeo; blobs the registry has
 * are not sent again). The ref is recorded as where the commit was pushed. */
int vers_ship_push(struct vers_ctx *ctx, const char *commit, const char *ref, vers_error_t *err);
/* 'vers kube COMMIT [--image REF]': a Pod manifest (YAML) running the commit's pushed image
 * (image NULL: the last ref it was pushed to), into out. */
int vers_ship_kube_pod(struct vers_ctx *ctx, const char *commit, const char *image,
                       struct strbuf *out, vers_error_t *err);
/* 'vers kube COMMIT --suite [FILE]': the Indexed Job of the suite (FILE, default the
 * project's vers-integration.yaml), one completion per test×branch cell, running image (NULL:
 * where the commit was pushed) with the suite's directory as the volume "project". */
int vers_ship_kube_job(struct vers_ctx *ctx, const char *commit, const char *image,
                       const char *suite_file, struct strbuf *out, vers_error_t *err);
/* The Pod manifest for image (a reference) of commit id, serving ports ("5432/tcp"), with
 * env ("K=V"): pure, for tests too. Every value is a YAML double-quoted scalar. */
void vers_ship_pod_yaml(const char *id, const char *image, char *const *ports, char *const *env,
                        struct strbuf *out);

/* One completion of the suite's Job: a test×branch cell (test/matrix.h's order). */
struct vers_ship_job_cell {
        const char *test, *branch;
        const char *command;
        const char *before; /* NULL: none */
        char *const *env;   /* "K=V", NULL-terminated; NULL: none */
};
/* The container's sh script: start /.vers/init in the background, wait for /.vers/ready,
 * cd /project, then case $JOB_COMPLETION_INDEX → that cell's env, before and command (its
 * status is the pod's). Every value is one single-quoted shell word. -1 when an env entry is
 * not NAME=VALUE. */
int vers_ship_job_script(const struct vers_ship_job_cell *cells, size_t n, struct strbuf *out,
                         vers_error_t *err);
/* The Indexed Job (completions = parallelism = n) running image with the project directory
 * as the volume "project" (hostPath project_dir, at /project). */
int vers_ship_job_yaml(const char *id, const char *image, const char *project_dir,
                       const struct vers_ship_job_cell *cells, size_t n, char *const *env,
                       struct strbuf *out, vers_error_t *err);

/* ---- the layer writer (export.c), also for tests/unit/test_ship.c ------------------------- */

struct vers_ship_layer_opts {
        const struct vers_idmap *idmap; /* host ids → 0..65535 (outside the range, i.e. the
                                         * host's own files: 0, setuid/setgid cleared) */
        char *const *skip; /* paths relative to the root ("var/lib/x/pid") left out; written as
                            * whiteouts when lower has them */
};
struct vers_ship_layer {
        char digest[72]; /* "sha256:<hex>" of the tar */
        uint64_t size;
        size_t entries; /* entries written (whiteouts included) */
};
/* Write into the file out (created, 0644) a tar layer of upper minus lower (lower NULL: all
 * of upper): changed and new entries, hard links among them, ".wh.NAME" for paths lower has
 * and upper does not. Sockets and device nodes are left out. */
int vers_ship_write_layer(const char *upper, const char *lower, const char *out,
                          const struct vers_ship_layer_opts *o, struct vers_ship_layer *res,
                          vers_error_t *err);
/* An env id for host id (see vers_ship_layer_opts) */
uint32_t vers_ship_unshift(const struct vers_idmap *m, bool gid, uint32_t host);

/* ---- annotations (oci.c) ------------------------------------------------------------------ */

#define VERS_SHIP_ANN_COMMIT "dev.vers.commit"
#define VERS_SHIP_ANN_TAG "dev.vers.tag"
#define VERS_SHIP_ANN_MESSAGE "dev.vers.message"
#define VERS_SHIP_ANN_PARENT "dev.vers.parent"
#define VERS_SHIP_ANN_VERSION "dev.vers.version"
#define VERS_SHIP_ANN_CHECKPOINT "dev.vers.checkpoint-key"
#define VERS_SHIP_ANN_CREATED "org.opencontainers.image.created"

/* What a pulled manifest's annotations say, each member NULL unless well-formed: id and
 * parent 12 hex digits, tag by vers_tag_valid, checkpoint key 64 hex digits, message at most
 * 4096 bytes (control characters become spaces). */
struct vers_ship_annotations {
        char *id, *tag, *parent, *message, *checkpoint_key;
};
/* -1 when manifest_json is not JSON */
int vers_ship_parse_annotations(const char *manifest_json, struct vers_ship_annotations *a);
void vers_ship_annotations_clear(struct vers_ship_annotations *a);

/* 'vers pull REF': the image becomes an image row and a ready cold commit of the current
 * project (out): the annotations' id when free here, tag when free in the project, parent
 * when that commit is here, checkpoint key. */
int vers_ship_pull(struct vers_ctx *ctx, const char *ref, struct vers_commit *out,
                   vers_error_t *err);

#endif
