/* services — templates for the databases an env runs: postgres@N for a PostgreSQL major N
 * (also "postgres": the one major the image has, else 15), mariadb (also "mariadb@10",
 * "mysql") and redis@7 (also "redis"). The servers are the image's own binaries: FROM host,
 * the host's /usr; any other base, what its RUN steps installed.
 *
 * A template turns a [services.NAME] block into files inside an image's root:
 *   /.vers/setup       build-time: create the cluster, settings, databases, extensions
 *   /.vers/prepare     every cold boot, done by vers-init before the services: runtime
 *                      directories, stale pid files (see src/init/vers-init.c)
 *   /.vers/services    what vers-init starts
 *   /.vers/probes      how vers sees that each service answers (os/probe.h): a PostgreSQL
 *                      startup packet, a connect, a Redis PING
 *   /.vers/ready       exits 0 once every service accepts connections (bounded wait; what a
 *                      container exported to Podman or Kubernetes waits with); with
 *                      --running, every service that is running (restored warm branches: a
 *                      service the user stopped before the commit stays stopped)
 *   /.vers/pre-commit  makes on-disk state cheap to start from (PostgreSQL: CHECKPOINT);
 *                      'pre-commit NAME' does it for service NAME alone and exits 3 when that
 *                      service is not running
 *   /.vers/env         KEY=VALUE lines for commands run by 'vers execute' / 'vers connect'
 *   /.vers/bin/        wrappers put first in PATH (pg_ctl that drops root)
 *   /.vers/clients     the services a client on the host reaches through their socket, with
 *                      their template and database (the template says the rest: user,
 *                      password, port, socket, DSN; see vers_services_client)
 */
#ifndef VERS_SERVICES_H
#define VERS_SERVICES_H

#include "format/config.h"
#include "base/strbuf.h"

/* The cheap checks, before any build step: every service of cfg names a known template
 * (postgres@N: N a major), at most one of each kind. */
int vers_services_check(const struct vers_config *cfg, vers_error_t *err);
/* Once the image's steps ran (top: its top layer): a bare "postgres" becomes postgres@N for
 * the major the image has (cfg is changed), and every service's server binary must be in
 * the image (own_root: the image's tree; else the host's, which a FROM host env binds). */
int vers_services_check_image(struct vers_config *cfg, const char *top, bool own_root,
                              vers_error_t *err);
/* The PostgreSQL majors whose server is under root's /usr/lib/postgresql (read in root),
 * in numeric order; NULL-terminated, never NULL. */
char **vers_services_pg_majors(const char *root);
/* Write the files above into rootfs. */
int vers_services_write(const struct vers_config *cfg, const char *rootfs, vers_error_t *err);
/* The names of the services of the env root rootfs (from its /.vers/services), in order;
 * NULL-terminated, never NULL. */
char **vers_services_names(const char *rootfs);
/* What the services of the env root rootfs (its /.vers/services) leave in the tree while
 * they run, and must not be in an image of it (PostgreSQL's postmaster.pid: relative
 * paths), and the ports they serve ("5432/tcp"); both NULL-terminated, never NULL. */
int vers_services_runtime(const char *rootfs, char ***pid_files, char ***ports);
/* Stable text of everything that affects the image (for the build cache key). */
void vers_services_describe(const struct vers_config *cfg, struct strbuf *out);

/* How a client on the host reaches a service of an image: the first service of its
 * /.vers/clients. socket is the server's Unix socket relative to the env's root. */
struct vers_service_client {
        char *service;
        char *template_;
        char *socket;
        char *database;
};
/* -1 with *err saying why when the image has no such service. An image older than
 * /.vers/clients is taken to run postgres@15 with the database its /.vers/env names.
 * Any postgres@N reaches its server the same way (the socket path has no major in it). */
int vers_services_client(const char *image_root, struct vers_service_client *out,
                         vers_error_t *err);
/* The variables a client reads ("KEY=VALUE", from the template), for the socket mounted in
 * host_dir; NULL-terminated, never NULL. */
char **vers_services_client_vars(const struct vers_service_client *c, const char *host_dir);
void vers_service_client_clear(struct vers_service_client *c);

#endif
