/* refs — what a name means in the current project: resolving an alias, tag, id or id prefix
 * to an env or commit, labels for printing, and whether a new alias or tag is free. */
#ifndef VERS_REFS_H
#define VERS_REFS_H

#include "state/ctx.h"

enum vers_ref_kind { VERS_REF_NONE, VERS_REF_ENV, VERS_REF_COMMIT };
struct vers_ref {
        enum vers_ref_kind kind;
        char *id;
};
void vers_ref_clear(struct vers_ref *r);

/* Resolve an alias, tag, id or unique id prefix, in this order: an alias of this project's
 * env, a tag of this project, an exact id, the alias of another project's env (aliases are
 * unique over the root), a unique id prefix. Outside any project every env is "this
 * project's"; other projects' tags never resolve inside a project. */
int vers_resolve(struct vers_ctx *ctx, const char *name, struct vers_ref *out, vers_error_t *err);
/* As vers_resolve, but a tag that no commit of this project has may also name the one commit
 * of another project so tagged (a Dockerfile's FROM: a base that another project made). */
int vers_resolve_base(struct vers_ctx *ctx, const char *name, struct vers_ref *out,
                      vers_error_t *err);
/* The ready commit name resolves to, into c (vers_commit_clear() it): one line saying what
 * it is instead otherwise — no such name, an env ("commit it first"), a commit not ready. */
struct vers_commit;
int vers_ready_commit(struct vers_ctx *ctx, const char *name, struct vers_commit *c,
                      vers_error_t *err);
/* A human name for a commit or env: tag/alias if it has one, else its id ("-" for NULL). */
char *vers_commit_label(struct vers_ctx *ctx, const char *id);
char *vers_env_label(struct vers_ctx *ctx, const char *id);

/* May name become an alias (is_tag false) or a tag (true) in project? Fails, saying why, when
 * it is taken or would hide an id. */
int vers_name_taken(struct vers_ctx *ctx, const char *name, const char *project, bool is_tag,
                    vers_error_t *err);

#endif
