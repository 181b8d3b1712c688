/* logs — 'vers logs': the last lines of an env's logs (init's, boot's, each service's). */
#ifndef VERS_LOGS_H
#define VERS_LOGS_H

#include "engine/engine.h"

struct vers_log {
        char *path; /* inside the env */
        char *text; /* its last lines, as they are (the last may lack its newline) */
};
/* The logs of the env named by env (see vers_target_env; it is not started), in the order of
 * vers_env_log_files; a log that cannot be read is left out. lines: the last lines of each
 * (0: all of it, up to its last VERS_IN_ROOT_MAX bytes). */
int vers_env_logs(struct vers_ctx *ctx, const char *env, long lines, struct vers_log **out,
                  size_t *n, vers_error_t *err);
void vers_logs_free(struct vers_log *v, size_t n);

#endif
