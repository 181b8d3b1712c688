/* select — what a command acts on and what it lists: the target env (-b, VERS_ENV, HEAD), the
 * envs, commits and images of the current project (or of every project), and envs picked by
 * name or by shell glob for deletion.
 *
 * Scope: a command run in a project sees that project's envs and commits (and commits whose
 * project is not known: older databases); with all, or outside any project, every project's.
 */
#ifndef VERS_SELECT_H
#define VERS_SELECT_H

#include "engine/engine.h"
#include "os/cgroup.h"

enum {
        VERS_TARGET_RUN_IF_NONE = 1, /* a project with no env yet gets one ('vers run'), as the
                                      * seed's Quick Reference expects */
        VERS_TARGET_START = 2,       /* boot it if it is stopped */
};
/* The env a command acts on: name (from -b or an operand), else VERS_ENV, else HEAD. Fails
 * when that is a commit, or nothing. */
int vers_target_env(struct vers_ctx *ctx, const char *name, unsigned flags, struct vers_env *out,
                    vers_error_t *err);

/* Is something of project (an env's, a commit's) in the scope of a command run in ctx? */
bool vers_in_scope(const struct vers_ctx *ctx, const char *project, bool all);

/* What HEAD is, with its label (alias or tag, else its id); kind VERS_REF_NONE if unset. */
int vers_head_describe(struct vers_ctx *ctx, struct vers_ref *out, char **label, vers_error_t *err);

struct vers_env_row {
        struct vers_env env;
        bool running;
        bool head;
        char *from;                /* its commit's label, or "image ID" */
        bool has_memory;           /* running, and its cgroup's memory.stat was read */
        struct vers_memory memory; /* what its cgroup holds (cgroup.h) */
};
struct vers_env_list {
        struct vers_env_row *rows;
        size_t n;
        bool wide; /* more than this project's envs: say whose each is */
};
/* 'vers status': the envs in scope, oldest first. */
int vers_list_envs(struct vers_ctx *ctx, bool all, struct vers_env_list *out, vers_error_t *err);
void vers_env_list_free(struct vers_env_list *l);

struct vers_commit_row {
        struct vers_commit commit;
        char *env; /* label of the env it was taken from */
};
struct vers_commit_list {
        struct vers_commit_row *rows;
        size_t n;
        bool wide; /* more than this project's commits */
};
/* 'vers commit list', 'vers tag list': the ready commits in scope (tagged_only: with a tag). */
int vers_list_commits(struct vers_ctx *ctx, bool tagged_only, bool all,
                      struct vers_commit_list *out, vers_error_t *err);
void vers_commit_list_free(struct vers_commit_list *l);

/* 'vers tree': the images in scope (built in it, or of a commit or env in it), the commits
 * and envs in scope, and HEAD. */
struct vers_tree {
        struct vers_image *images;
        size_t n_images;
        struct vers_commit *commits;
        size_t n_commits;
        struct vers_env_row *envs;
        size_t n_envs;
        struct vers_ref head;
};
int vers_tree_load(struct vers_ctx *ctx, bool all, struct vers_tree *out, vers_error_t *err);
void vers_tree_free(struct vers_tree *t);

struct vers_delete_opts {
        char **names;  /* envs by alias, id or unique id prefix; NULL-terminated */
        bool patterns; /* names are shell globs, matched against aliases and ids */
        bool all;      /* also other projects' envs (required outside a project with patterns) */
        /* called with the number of envs about to go, before any goes; -1 (with *err) stops */
        int (*confirm)(size_t n, void *arg, vers_error_t *err);
        void (*deleted)(const char *label, void *arg); /* after each one */
        void *arg;
};
/* 'vers kill', 'vers branch delete': pick the envs (every name must match one in scope, else
 * nothing is deleted), confirm, delete each. A failure does not stop the others: each but
 * the last is given to ctx->notice, the last is returned. */
int vers_delete_envs(struct vers_ctx *ctx, const struct vers_delete_opts *o, vers_error_t *err);

#endif
