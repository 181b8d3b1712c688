/* bundle — a commit carried to another vers machine as one file, and taken in there.
 *
 * A bundle is a tar (libarchive) of, in this order: manifest.json (the commit's id, parent,
 * tag, message and mode, the commit it is incremental on, the sender's id range, what a warm
 * restore depends on, and the name, size and SHA-256 of every other part), signature (the
 * sender root's Ed25519 public key and its signature of manifest.json's exact bytes), then
 * the parts: "stream" (btrfs send of the commit's read-only rootfs, full or with -p against
 * the --since commit's), "image/NAME" (the files vers wrote into the image's /.vers at build
 * time, which branches read from the image, never from the env's tree) and "criu/NAME" (a
 * warm commit's CRIU images).
 *
 * Unbundling treats every byte as hostile: the manifest is parsed strictly (unknown keys,
 * wrong types, bad ids and names are refused), every part must be listed, of its listed size
 * and hash, the stream goes to 'btrfs receive --chroot' into a fresh directory of the commit
 * (commits/<id>/received/rootfs, kept untouched for later incremental bundles), the commit's
 * rootfs is a snapshot of it with the sender's ids shifted into this root's range and any
 * device node left out (an env never makes one). Warm images
 * are kept only when the bundle is signed by a key this root trusts and the CRIU version, the
 * kernel release, the id range and (for an image that uses the host's /usr) the host's
 * packages match this machine's; otherwise the commit is cold, with a notice per reason.
 */
#ifndef VERS_BUNDLE_H
#define VERS_BUNDLE_H

#include "state/ctx.h"

#define VERS_BUNDLE_VERSION 1

struct vers_bundle_part {
        char *name; /* "stream", "image/NAME" or "criu/NAME" */
        int64_t size;
        char sha256[65];
};

struct vers_bundle_manifest {
        int version;
        char *commit;  /* the sender's commit id */
        char *parent;  /* its parent there, or NULL */
        char *since;   /* incremental on this (sender's) commit, or NULL: full */
        char *tag;     /* or NULL */
        char *message; /* or NULL */
        char *mode;    /* "cold" or "warm" */
        int64_t created;
        uint32_t id_base, root_uid, root_gid; /* the sender's idmap */
        bool own_root;                        /* the image has its own /usr */
        char *criu;                           /* the sender's CRIU version, or NULL */
        char *kernel;                         /* the sender's kernel release */
        char *host_usr; /* SHA-256 of the sender's package list (own_root: NULL) */
        char *project;  /* the sender's project directory, bound into a warm dump's env */
        struct vers_bundle_part *parts;
        size_t n_parts;
};

void vers_bundle_manifest_clear(struct vers_bundle_manifest *m);
/* Parse and check a manifest (strict: see above); fails with one line naming the problem. */
int vers_bundle_manifest_parse(const char *text, size_t len, struct vers_bundle_manifest *m,
                               vers_error_t *err);
/* The manifest as the JSON text a bundle holds (compact, keys sorted). */
char *vers_bundle_manifest_dump(const struct vers_bundle_manifest *m);
/* Is name a part name a bundle may hold? */
bool vers_bundle_part_name_ok(const char *name);

/* Read a btrfs send stream (version 1) before it is received: one subvolume (parent NULL)
 * or one snapshot of parent (its UUID as the sender knew it, the received UUID here), clones
 * only from it or its parent, no absolute path or '..' in any path. */
int vers_bundle_stream_check(const char *path, const uint8_t *parent, vers_error_t *err);

struct vers_bundle_result {
        char *commit; /* the commit: bundled, or made here */
        char *tag;    /* its tag here, or NULL */
        char *mode;   /* cold or warm */
        char *since;  /* incremental on, or NULL */
        int64_t bytes;
        double seconds;
        bool signed_trusted; /* unbundle: signed with a trusted key */
};
void vers_bundle_result_clear(struct vers_bundle_result *r);

/* Write commit (a tag, id or id prefix) into file; since: incremental on that commit (which
 * the receiver must have unbundled before). */
int vers_bundle_create(struct vers_ctx *ctx, const char *file, const char *commit,
                       const char *since, struct vers_bundle_result *out, vers_error_t *err);
/* Make the bundle's commit here, in the current project. */
int vers_bundle_unbundle(struct vers_ctx *ctx, const char *file, struct vers_bundle_result *out,
                         vers_error_t *err);
/* This root's public key line (the key pair is made on first use). */
int vers_bundle_key(struct vers_ctx *ctx, char **line, vers_error_t *err);
/* Trust the key line in file ("-": stdin); *added false when it was trusted already. */
int vers_bundle_trust(struct vers_ctx *ctx, const char *file, char **line, bool *added,
                      vers_error_t *err);

#endif
