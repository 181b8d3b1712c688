/* services — templates for the databases an env runs (postgres@15 in this version).
 *
 * A template turns a [services.NAME] block into files inside an image's root:
 *   /.vers/setup       build-time: create the cluster, settings, databases, extensions
 *   /.vers/boot        every cold boot, as root: runtime directories, stale pid files
 *   /.vers/services    what vers-init starts (see src/init/vers-init.c)
 *   /.vers/ready       exits 0 once every service accepts connections (bounded wait); with
 *                      --running, every service that is running (restored warm branches: a
 *                      service the user stopped before the commit stays stopped)
 *   /.vers/pre-commit  makes on-disk state cheap to start from (PostgreSQL: CHECKPOINT);
 *                      'pre-commit NAME' does it for service NAME alone and exits 3 when that
 *                      service is not running
 *   /.vers/env         KEY=VALUE lines for commands run by 'vers execute' / 'vers connect'
 *   /.vers/bin/        wrappers put first in PATH (pg_ctl that drops root)
 */
#ifndef VERS_SERVICES_H
#define VERS_SERVICES_H

#include "format/config.h"
#include "base/strbuf.h"

/* Check every service of cfg names a known template whose software is installed. */
int vers_services_check(const struct vers_config *cfg, vers_error_t *err);
/* Write the files above into rootfs. */
int vers_services_write(const struct vers_config *cfg, const char *rootfs, vers_error_t *err);
/* The names of the services of the env root rootfs (from its /.vers/services), in order;
 * NULL-terminated, never NULL. */
char **vers_services_names(const char *rootfs);
/* Stable text of everything that affects the image (for the build cache key). */
void vers_services_describe(const struct vers_config *cfg, struct strbuf *out);

#endif
