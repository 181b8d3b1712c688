/* client — reaching an env's services from the host: 'vers env' (the variables a client
 * reads, for the service's own socket) and 'vers tunnel' (a TCP port forwarded into the env).
 */
#ifndef VERS_CLIENT_H
#define VERS_CLIENT_H

#include "engine/engine.h"

#include <signal.h>

/* 'vers env': "KEY=VALUE" strings (NULL-terminated) with which a client on the host reaches
 * the first service of the env named by env (see vers_target_env; started if stopped) that
 * takes clients on a socket. What they say comes from the service's template; the socket is
 * a mount of the env's own, made anew (see vers_env_socket_dir). */
int vers_env_client(struct vers_ctx *ctx, const char *env, char ***vars, vers_error_t *err);

struct vers_tunnel_opts {
        const char *env; /* see vers_target_env; started if stopped */
        int local;       /* host port; -1: the remote one; 0: any free one */
        int remote;      /* port inside the env; 0: vers_env_default_port */
        /* called once the host port listens */
        void (*listening)(int local, const char *env_label, int remote, void *arg);
        void *arg;
        volatile sig_atomic_t *stop; /* forwarding ends when it is set */
};
/* 'vers tunnel': forward 127.0.0.1:local on the host into the env until *stop. The metadata
 * is closed while forwarding (ctx can only be closed afterwards). */
int vers_env_tunnel(struct vers_ctx *ctx, const struct vers_tunnel_opts *o, vers_error_t *err);

#endif
