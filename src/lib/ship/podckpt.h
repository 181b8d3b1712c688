/* podckpt — a warm commit as the archive 'podman container checkpoint --export' writes, for
 * 'podman container restore --import' (experimental: see README, "Warm export to Podman").
 *
 * The archive (a gzipped tar) holds what podman 4.3 reads back: config.dump (podman's
 * container configuration: a new container id, the image 'vers export' made of the commit,
 * loaded with 'podman load', by name and id), spec.dump (the OCI runtime spec: vers-init as the
 * process, the namespaces the dump has, and the CRIU configuration file runc is to read, named
 * by its org.criu.config annotation), VERS_PODMAN_CRIU_CONF, network.status, stats-dump,
 * checkpoint/ (the commit's CRIU images as vers dumped them, and the descriptors.json runc
 * wants) and rootfs-diff.tar (the commit's whole tree with the host ids it has in the store:
 * the dump's user namespace maps the env's ids to them, so the restored processes own their
 * files only with those ids).
 *
 * The images are not rewritten: what runc has to be told to restore vers's dump is in a CRIU
 * configuration file that travels in the archive (VERS_PODMAN_CRIU_CONF), and a createRuntime
 * hook in spec.dump brings the env's loopback up (runc restores with CRIU's --empty-ns net).
 */
#ifndef VERS_SHIP_PODCKPT_H
#define VERS_SHIP_PODCKPT_H

#include "state/ctx.h"

/* The CRIU configuration runc is to read, in the archive beside config.dump: podman unpacks the
 * archive into the container's directory, runc's (and CRIU's) working directory, so spec.dump's
 * org.criu.config names it by this relative path. Its lines: vers dumps what it binds from
 * outside (device nodes, the project directory) as auto-detected external mounts, which runc
 * does not ask CRIU to allow; podman's root directory is 0555, the env's 0755. */
#define VERS_PODMAN_CRIU_CONF "vers-criu.conf"
#define VERS_PODMAN_CRIU_CONF_TEXT "ext-mount-map auto\nskip-file-rwx-check\n"

/* 'vers export COMMIT --checkpoint -o FILE': the warm commit as a podman checkpoint archive in
 * out (written beside it and renamed into place). The commit's image must have been exported
 * ('vers export COMMIT -o IMAGE', then 'podman load -i IMAGE'): config.dump names it. */
int vers_ship_export_checkpoint(struct vers_ctx *ctx, const char *commit_id, const char *out,
                                vers_error_t *err);

#endif
