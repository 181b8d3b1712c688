/* expiry — envs that expire: 'vers branch --ttl', [branches] ttl, 'vers gc --expired'.
 *
 * vers has no daemon, so an expired env is deleted when a vers command runs: vers_open()
 * sweeps after its recovery (vers_expire_sweep), and 'vers gc --expired' does the same on
 * demand. An env with a live client session — a 'vers execute' or 'vers connect' inside it,
 * or a connection to one of its servers (TCP, or a Unix socket with a name) — is kept and
 * reported, unless forced. Only envs expire: commits (tagged or not) stay.
 */
#ifndef VERS_EXPIRY_H
#define VERS_EXPIRY_H

#include "engine/engine.h"

/* Make env_id expire ttl seconds from now (0: never). */
int vers_env_set_ttl(struct vers_ctx *ctx, const char *env_id, int64_t ttl, vers_error_t *err);

/* The live client sessions of a running env: commands entered from outside ('vers execute',
 * 'vers connect': processes of its cgroup whose parent is not in it) and connections to its
 * servers. 0 for an env that is not running. */
struct vers_sessions {
        int commands;
        int connections;
};
void vers_env_sessions(const struct vers_env *e, struct vers_sessions *s);

struct vers_expired {
        char *id;
        char *label;
        int64_t ago; /* seconds since it expired */
        struct vers_sessions sessions;
        bool committing; /* a 'vers commit' of it is running: kept, even with force */
        bool deleted;    /* false: kept (sessions, without force; a commit), or error says why */
        char *error;
};
struct vers_expire_report {
        struct vers_expired *envs;
        size_t n;
};
/* Delete every env of the root that has expired (of every project): each is claimed in one
 * statement (vers_meta_claim_expired), so two vers processes sweeping at once delete it once.
 * Without force, an env with live sessions is kept; one being committed always is. Fails only when
 * the metadata cannot be read; an env that cannot be deleted has its error in the report. */
int vers_expire(struct vers_ctx *ctx, bool force, struct vers_expire_report *r, vers_error_t *err);
void vers_expire_report_clear(struct vers_expire_report *r);
/* vers_open's sweep: vers_expire without force, what it did as notices; never fails. */
void vers_expire_sweep(struct vers_ctx *ctx);

#endif
