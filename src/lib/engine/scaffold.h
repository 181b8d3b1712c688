/* scaffold — 'vers init': make a directory a vers project. */
#ifndef VERS_SCAFFOLD_H
#define VERS_SCAFFOLD_H

#include "base/util.h"

/* Make dir/.vers, and dir/vers.toml (commented, with the seed's [vm] and [storage]) unless
 * one exists and force is false; *wrote says whether vers.toml was written. */
int vers_project_init(const char *dir, bool force, bool *wrote, vers_error_t *err);

#endif
