/* podckpt — a warm commit as the archive 'podman container checkpoint --export' writes, for
 * 'podman container restore --import' (experimental: see README, "Warm export to Podman").
 *
 * The archive (a gzipped tar) holds what podman 4.3 reads back: config.dump (podman's
 * container configuration: a new container id, the image 'vers export' made of the commit,
 * loaded with 'podman load', by name and id), spec.dump (the OCI runtime spec: vers-init as the
 * process, the namespaces the dump has, and the CRIU configuration file runc is to read, named
 * by its org.criu.config annotation), network.status, stats-dump, checkpoint/ (the commit's CRIU
 * images as vers dumped them, and the descriptors.json runc wants) and rootfs-diff.tar (the
 * commit's whole tree with the host ids it has in the store: the dump's user namespace maps
 * the env's ids to them, so the restored processes own their files only with those ids).
 *
 * The images are not rewritten: what runc has to be told to restore vers's dump (its mounts
 * from outside are auto-detected externals, its root directory is 0755 where podman's is 0555)
 * is in the CRIU configuration file runc reads (VERS_PODMAN_CRIU_CONF).
 */
#ifndef VERS_SHIP_PODCKPT_H
#define VERS_SHIP_PODCKPT_H

#include "state/ctx.h"

/* Where spec.dump tells runc to find its CRIU configuration unless $VERS_PODMAN_CRIU_CONF
 * names another file: it must hold the lines of VERS_PODMAN_CRIU_CONF_TEXT. */
#define VERS_PODMAN_CRIU_CONF "/etc/criu/vers-podman.conf"
#define VERS_PODMAN_CRIU_CONF_TEXT "ext-mount-map auto\nskip-file-rwx-check\n"

/* 'vers export COMMIT --checkpoint -o FILE': the warm commit as a podman checkpoint archive in
 * out (written beside it and renamed into place). The commit's image must have been exported
 * ('vers export COMMIT -o IMAGE', then 'podman load -i IMAGE'): config.dump names it. */
int vers_ship_export_checkpoint(struct vers_ctx *ctx, const char *commit_id, const char *out,
                                vers_error_t *err);

#endif
