/* names — what a user may call an env (alias) or a commit (tag).
 *
 * A name is 1..64 characters of [A-Za-z0-9._-], does not start with '-' or '.', and never
 * contains "..". Anything else is refused before it reaches a path or a query, so a name can
 * never escape the store directory.
 */
#ifndef VERS_NAMES_H
#define VERS_NAMES_H

#include "base/util.h"

bool vers_name_valid(const char *name);
/* A tag may also hold spaces and other printable characters, since the seed tags commits
 * with sentences ("Base e-commerce schema with sample data loaded"): 1..128 bytes, no
 * control characters, no '/', no "..", no leading '-' and no leading or trailing space. */
bool vers_tag_valid(const char *tag);
int vers_tag_check(const char *tag, vers_error_t *err);
/* 0 if valid, else -1 with a message that says what is wrong with it; what is "alias" or "tag". */
int vers_name_check(const char *what, const char *name, vers_error_t *err);
/* true if s is 4..32 lowercase hex digits (an id or an id prefix) */
bool vers_looks_like_id(const char *s);
/* true if name, as an alias or tag, would hide id: it is id, or an id prefix of it (which a
 * user may type for the id). Such names are refused. */
bool vers_name_shadows_id(const char *name, const char *id);

#endif
