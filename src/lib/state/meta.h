/* meta — the SQLite database (VERS_ROOT/vers.db) that says what exists.
 *
 * Tables: images, commits, envs, and settings (of the root: its cgroup scope). Every row of the
 * first three has a state; a multi-step operation first writes its row in a transitional state
 * ("pending", "deleting", "rollback") together with the pid and start time of the vers process
 * doing it (the owner), and sets the final state last. A transitional row whose owner is gone
 * is an interrupted operation: vers_recover() (engine.h) finishes or undoes it. Only rows in
 * state "ready" (commits), "layer" or "ready" (images: a cached build step, a built image) or
 * "running"/"stopped" (envs) are ever used as valid.
 *
 * Aliases are unique over the whole VERS_ROOT; tags only within a project (the project column of
 * commits: a commit keeps it when its env is deleted).
 *
 * WAL mode, a 30 s busy timeout; every write is one statement, committed on its own (a row is
 * written whole, see put); a schema upgrade is one BEGIN IMMEDIATE transaction, and
 * vers_meta_begin() gives callers the same. Schema version in PRAGMA user_version (4: see
 * meta.c for what each version added and how an older database is upgraded in place), and
 * PRAGMA application_id = VERS_META_APP_ID marks the file as vers's (set on creation, and on
 * databases made before the marker, which are recognised by their tables and adopted).
 * A file that is truncated, not SQLite, or another program's database is never written.
 */
#ifndef VERS_META_H
#define VERS_META_H

#include "base/util.h"

#include <sqlite3.h>

struct vers_meta {
        sqlite3 *db;
};

struct vers_image {
        char *id;
        char *key;     /* cache key: hash of the inputs */
        char *project; /* project directory it was built for */
        char *state;   /* pending | layer (a cached build step) | ready (a built image) */
        int64_t created;
        int64_t owner_pid;
        int64_t owner_start;
};

struct vers_commit {
        char *id;
        char *parent; /* commit this one descends from, NULL if straight from an image */
        char *image;
        char *env;     /* env it was taken from */
        char *project; /* that env's project; NULL: none known (shown in every project) */
        char *tag;     /* unique within the project */
        char *message;
        char *mode;  /* cold | warm */
        char *state; /* pending | ready */
        int64_t created;
        int64_t owner_pid;
        int64_t owner_start;
};

struct vers_env {
        char *id;
        char *alias;
        char *project; /* project directory: workdir of execute/connect */
        char *image;
        char *base;   /* commit it was branched from, NULL if from an image */
        char *state;  /* pending | running | stopped | deleting | rollback | pooled */
        char *target; /* rollback: the commit being restored */
        char *mode;   /* cold | warm */
        int64_t init_pid;
        int64_t init_start;
        int64_t memory_mib;
        int64_t vcpu;
        int64_t created;
        int64_t owner_pid;
        int64_t owner_start;
        /* its cgroup, "vers/<scope>/<id>" (os/cgroup.h), recorded when the env is made: what
         * stops, freezes and kills it. NULL only in a row that never started. */
        char *cgroup;
        int64_t expires; /* unix seconds after which the expiry sweep deletes it; 0: never */
};

#define VERS_META_APP_ID 0x76657273 /* "vers" */

enum vers_meta_kind {
        VERS_META_NEW,  /* nothing there yet: no file, an empty one, or SQLite with no tables */
        VERS_META_VERS, /* a vers database */
};
/* Say what is at path without changing it. Fails, naming the problem, when it is neither
 * (truncated, not SQLite, another program's database). For NEW, *what (if not NULL) gets
 * "missing", "empty" or "an SQLite database with no tables". */
int vers_meta_inspect(const char *path, enum vers_meta_kind *kind, const char **what,
                      vers_error_t *err);
/* Open root/vers.db as vers_meta_open does, checking it once first: the metadata is what says
 * which subvolumes of the store are envs and commits, so a NEW one next to a store that
 * holds some would disown them all (and gc would delete them). Only a root whose store is
 * empty may get a new one. */
int vers_meta_open_root(const char *root, const char *store, struct vers_meta *m,
                        vers_error_t *err);
/* Open the database at path, making it if it is NEW; refuses what vers_meta_inspect refuses. */
int vers_meta_open(const char *path, struct vers_meta *m, vers_error_t *err);
/* Open root/vers.db for reading only, for shell completion: no migration, no WAL mode set,
 * no file made, a busy timeout of busy_ms; fails on anything not a vers database of this
 * schema. What it reads is what was committed; nothing it does writes vers.db. */
int vers_meta_open_readonly(const char *root, int busy_ms, struct vers_meta *m, vers_error_t *err);
void vers_meta_close(struct vers_meta *m);
/* This connection's close does not checkpoint the WAL into vers.db (what the last one to
 * close does, with its fsyncs): for a command that has started another that writes the
 * metadata right after it and closes last (a pooled branch's refill). What it committed is
 * in the WAL meanwhile, read by every connection. */
void vers_meta_defer_checkpoint(struct vers_meta *m);
int vers_meta_begin(struct vers_meta *m, vers_error_t *err); /* BEGIN IMMEDIATE */
int vers_meta_commit(struct vers_meta *m, vers_error_t *err);
void vers_meta_rollback(struct vers_meta *m);

void vers_image_clear(struct vers_image *i);
void vers_commit_clear(struct vers_commit *c);
void vers_env_clear(struct vers_env *e);
void vers_images_free(struct vers_image *v, size_t n);
void vers_commits_free(struct vers_commit *v, size_t n);
void vers_envs_free(struct vers_env *v, size_t n);

/* put = insert the row, or set every column of the row with its id (the checkpoint key, not
 * in the struct, stays); a clash on another unique column (alias, tag) fails instead of
 * replacing the other row */
int vers_meta_put_image(struct vers_meta *m, const struct vers_image *i, vers_error_t *err);
int vers_meta_put_commit(struct vers_meta *m, const struct vers_commit *c, vers_error_t *err);
int vers_meta_put_env(struct vers_meta *m, const struct vers_env *e, vers_error_t *err);
enum vers_meta_table { VERS_META_IMAGES, VERS_META_COMMITS, VERS_META_ENVS };
int vers_meta_delete(struct vers_meta *m, enum vers_meta_table t, const char *id,
                     vers_error_t *err);

/* The cgroup scope of the root (os/cgroup.h) into *out (free() it). It is recorded once and
 * never changes: a database upgraded from before version 3 got the scope the older vers used;
 * a new one gets fresh (vers_cgroup_scope_for_root) on its first call, unless another vers
 * recorded one first. With fresh NULL it only reads: *out stays NULL when none is recorded. */
int vers_meta_cgroup_scope(struct vers_meta *m, const char *fresh, char **out, vers_error_t *err);
/* The checkpoint key of a vers test checkpoint (test/runner.h), on its commit; NULL clears it.
 * A column of its own, outside struct vers_commit: put never touches it. */
int vers_meta_set_checkpoint_key(struct vers_meta *m, const char *commit_id, const char *key,
                                 vers_error_t *err);
/* The checkpoint key of a commit into *key (NULL: none; free() it). */
int vers_meta_get_checkpoint_key(struct vers_meta *m, const char *commit_id, char **key,
                                 vers_error_t *err);
/* Where a commit was last pushed (vers push: the reference), a column of its own (version
 * 4) outside struct vers_commit; *ref NULL when it never was. */
int vers_meta_set_pushed(struct vers_meta *m, const char *commit_id, const char *ref,
                         vers_error_t *err);
int vers_meta_get_pushed(struct vers_meta *m, const char *commit_id, char **ref, vers_error_t *err);
/* The newest ready commit of project (NULL: of no project) with checkpoint key key: 1 found
 * (*id set, free() it), 0 none, -1 error. */
int vers_meta_find_checkpoint(struct vers_meta *m, const char *key, const char *project, char **id,
                              vers_error_t *err);

/* get by exact id: returns 1 found, 0 not found, -1 error */
int vers_meta_get_image(struct vers_meta *m, const char *id, struct vers_image *out,
                        vers_error_t *err);
int vers_meta_get_commit(struct vers_meta *m, const char *id, struct vers_commit *out,
                         vers_error_t *err);
int vers_meta_get_env(struct vers_meta *m, const char *id, struct vers_env *out, vers_error_t *err);

/* Row states a query may ask for (VERS_Q_* bits; an env is pending, running, stopped, in
 * rollback or deleting; a commit pending or ready; an image pending, a layer or ready). */
enum {
        VERS_Q_PENDING = 1 << 0,
        VERS_Q_RUNNING = 1 << 1,
        VERS_Q_STOPPED = 1 << 2,
        VERS_Q_ROLLBACK = 1 << 3,
        VERS_Q_DELETING = 1 << 4,
        VERS_Q_READY = 1 << 5,
        VERS_Q_LAYER = 1 << 6,
        VERS_Q_POOLED = 1 << 7, /* an env made ahead for a ready pool, frozen (engine/pool.h) */
        /* what users see of envs */
        VERS_Q_LIVE = VERS_Q_RUNNING | VERS_Q_STOPPED | VERS_Q_ROLLBACK,
};
/* What a list selects: each field that is set narrows it; all unset (or a NULL query):
 * every row. The metadata module turns it into SQL with bound values; nobody else writes
 * SQL. */
struct vers_meta_query {
        const char *id;        /* this id */
        const char *id_prefix; /* ids that start with this (taken as it is: no wildcards) */
        const char *name;      /* an env's alias, a commit's tag, an image's key */
        const char *project;   /* envs and commits of this project */
        const char *base;      /* envs branched from this commit */
        unsigned states;       /* VERS_Q_* bits: rows in one of these states; 0: any */
        bool tagged;           /* commits that have a tag */
        int64_t expired_by;    /* > 0: envs that expire at or before this (unix seconds) */
};
/* Lists, oldest first. */
int vers_meta_list_images(struct vers_meta *m, const struct vers_meta_query *q,
                          struct vers_image **out, size_t *n, vers_error_t *err);
int vers_meta_list_commits(struct vers_meta *m, const struct vers_meta_query *q,
                           struct vers_commit **out, size_t *n, vers_error_t *err);
int vers_meta_list_envs(struct vers_meta *m, const struct vers_meta_query *q, struct vers_env **out,
                        size_t *n, vers_error_t *err);

/* ---- typed queries: what the commands list ----------------------------------------------- */

/* Envs a user sees (running, stopped, or being rolled back), oldest first; of project only,
 * or of every project when project is NULL. */
int vers_meta_list_live_envs(struct vers_meta *m, const char *project, struct vers_env **out,
                             size_t *n, vers_error_t *err);
/* Ready commits, oldest first; with tagged_only, only those that have a tag. */
int vers_meta_list_ready_commits(struct vers_meta *m, bool tagged_only, struct vers_commit **out,
                                 size_t *n, vers_error_t *err);
/* Set when an env expires (unix seconds; 0: never). */
int vers_meta_set_env_expires(struct vers_meta *m, const char *env_id, int64_t expires,
                              vers_error_t *err);
/* Claim an env that expired by now for its deletion, in one statement: it becomes 'deleting',
 * owned by (pid, start), only if it is still running or stopped and expired. 1 claimed, 0 not
 * (another vers took it, or it changed), -1 on error. */
int vers_meta_claim_expired(struct vers_meta *m, const char *env_id, int64_t now, int64_t pid,
                            int64_t start, vers_error_t *err);
/* Ready images, oldest first. */
int vers_meta_list_ready_images(struct vers_meta *m, struct vers_image **out, size_t *n,
                                vers_error_t *err);

/* ---- ready pools (version 5; engine/pool.h) ----------------------------------------------- */

struct vers_pool {
        char *commit;  /* the pooled commit's id */
        char *project; /* the project it was made in; NULL: none */
        int64_t size;  /* envs to keep ready */
        char *mode;    /* cold | warm: how its envs start */
};
void vers_pool_clear(struct vers_pool *p);
void vers_pools_free(struct vers_pool *v, size_t n);
int vers_meta_put_pool(struct vers_meta *m, const struct vers_pool *p, vers_error_t *err);
/* 1 found, 0 none, -1 error */
int vers_meta_get_pool(struct vers_meta *m, const char *commit_id, struct vers_pool *out,
                       vers_error_t *err);
int vers_meta_delete_pool(struct vers_meta *m, const char *commit_id, vers_error_t *err);
/* pools of project (NULL: every pool), oldest commit first */
int vers_meta_list_pools(struct vers_meta *m, const char *project, struct vers_pool **out,
                         size_t *n, vers_error_t *err);
/* Claim one pooled env of commit_id in mode (NULL: any) in one statement (its own
 * transaction, so concurrent claimers never get the same row): it becomes the user's env,
 * state running, with alias, project and created set and no owner. 1 claimed (*out is its
 * row), 0 none ready, -1 error (an alias taken meanwhile among them). */
int vers_meta_claim_pooled(struct vers_meta *m, const char *commit_id, const char *mode,
                           const char *alias, const char *project, int64_t created,
                           struct vers_env *out, vers_error_t *err);

#endif
