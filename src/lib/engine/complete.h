/* complete — the live values shell completion offers (vers __complete): this project's env
 * aliases and ids, its commits' tags and ids, its suite's tests and TEST/BRANCH names.
 *
 * Read-only by construction: no store is opened or mounted, no recovery runs, vers.db is
 * opened SQLITE_OPEN_READONLY with a short busy timeout (vers_meta_open_readonly), nothing is
 * created (not even VERS_ROOT), no lock is taken. What cannot be read gives no values: a user
 * completing under sudo sees what that user may read. */
#ifndef VERS_COMPLETE_H
#define VERS_COMPLETE_H

#include "base/util.h"

/* kind: "env", "commit" (tags and ids), "tag", "test" (TEST and TEST/BRANCH). *out gets a
 * NULL-terminated list (NULL when empty) of the values that start with prefix. */
int vers_complete_values(const char *kind, const char *prefix, char ***out, vers_error_t *err);

#endif
