/* tunnel — reach a port inside an env from the host without giving the env a route out.
 *
 * vers_tunnel_run listens on 127.0.0.1:local in the host's network namespace; for every
 * connection it opens one from inside the env's network namespace to 127.0.0.1:remote
 * (setns into the env's netns for the socket() call only: a socket stays in the namespace it
 * was made in) and relays bytes both ways. Single-threaded, poll-driven; runs until stop is
 * set (by a signal handler) or an error.
 */
#ifndef VERS_TUNNEL_H
#define VERS_TUNNEL_H

#include "base/util.h"

#include <signal.h>

/* Bind 127.0.0.1:*local (0 = any free port; the port bound is stored back). */
int vers_tunnel_listen(int *local, int *fd, vers_error_t *err);
/* notice (may be NULL) gets one line for each connection that could not be relayed (the env's
 * port refused it, or too many are open); the tunnel goes on. */
int vers_tunnel_run(int listen_fd, pid_t env_pid, int remote, volatile sig_atomic_t *stop,
                    void (*notice)(const char *msg), vers_error_t *err);

#endif
