/* head — the project's HEAD (.vers/HEAD): the env or commit commands act on by default. */
#ifndef VERS_HEAD_H
#define VERS_HEAD_H

#include "state/refs.h"

/* HEAD of the project: VERS_ENV if set (resolved), else .vers/HEAD; VERS_REF_NONE if unset,
 * outside a project, or naming an env or commit that is gone or not yet made. */
int vers_head_get(struct vers_ctx *ctx, struct vers_ref *out, vers_error_t *err);
/* Point HEAD at an env or commit (outside a project, the current directory becomes one). */
int vers_head_set(struct vers_ctx *ctx, enum vers_ref_kind kind, const char *id, vers_error_t *err);

#endif
