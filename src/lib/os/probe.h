/* probe — has a service started answering? One attempt at a time, from inside the env's
 * mount and network namespaces (os/sandbox.h: vers_sandbox_probe waits with these).
 *
 * The image's /.vers/probes (services/services.c writes it) has one line per service:
 *   name<TAB>kind<TAB>target[<TAB>pid file]
 * kind pg: a PostgreSQL startup packet on the Unix socket target; answered with anything but
 *          "the database system is starting up" (SQLSTATE 57P03), the server takes queries
 *          (what pg_isready's ping means: an authentication request counts). With the
 *          server's postmaster.pid, its status line must say "ready" first (what pg_ctl -w
 *          reads), so that a server in recovery is not asked, and its log not filled, with
 *          a refused connection every millisecond;
 * kind connect: a connection to target is accepted;
 * kind redis: PING answered +PONG.
 * target: a socket path inside the env, or tcp:HOST:PORT (an IPv4 address).
 */
#ifndef VERS_PROBE_H
#define VERS_PROBE_H

#include "base/util.h"

#define VERS_PROBES_MAX 16

struct vers_probe {
        char name[64];
        char kind[16];
        char target[256];
        char pidfile[256]; /* "" if none */
};

enum vers_probe_state {
        VERS_PROBE_ABSENT,  /* nothing listens (no socket, refused) */
        VERS_PROBE_NOT_YET, /* something listens but does not take queries yet */
        VERS_PROBE_OK,
};

/* Parse /.vers/probes text into out[0..*n). A malformed line or an unknown kind fails. */
int vers_probes_parse(const char *text, struct vers_probe *out, size_t max, size_t *n,
                      vers_error_t *err);
/* One attempt, bounded by timeout_ms for the answer. Never reads more than it needs. */
enum vers_probe_state vers_probe_once(const struct vers_probe *p, int timeout_ms);

#endif
