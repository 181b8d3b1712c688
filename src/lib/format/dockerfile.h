/* dockerfile — the Dockerfile subset 'vers build' interprets.
 *
 * Instructions: FROM, RUN, COPY, ADD (local sources), ENV, ARG, WORKDIR, USER, EXPOSE, CMD,
 * ENTRYPOINT, plus LABEL, MAINTAINER and STOPSIGNAL. Comments, line continuations ('\' at the
 * end of a line; comment lines inside a continuation are dropped), shell and exec (JSON
 * array) forms. Instructions a plain Linux namespace cannot honour (VOLUME, HEALTHCHECK,
 * SHELL, ONBUILD) and heredocs are refused by name. Every error reads
 * "FILE:LINE:COL: what is wrong".
 *
 * Stages: every FROM starts one (numbered from 0); 'FROM ref AS name' names it (Docker's
 * rule: case-insensitive, kept lowercased, [a-z][a-z0-9._-]*, each name once). Only ARG may
 * come before the first FROM. 'COPY --from=X' is resolved here: X an earlier stage's name or
 * index (a later one, or the stage itself, is an error), anything else an image reference
 * for the build to start (from_stage -1). ADD takes no --from, as in Docker.
 *
 * Parsing keeps each instruction's argument text; words are split (quotes, backslashes and
 * $VAR / ${VAR} / ${VAR:-word} / ${VAR:+word} substitution, as Docker does) at build time by
 * vers_df_words(), because the values of ARG and ENV are known only then.
 */
#ifndef VERS_DOCKERFILE_H
#define VERS_DOCKERFILE_H

#include "base/util.h"

enum vers_df_kind {
        DF_FROM,
        DF_RUN,
        DF_COPY,
        DF_ADD,
        DF_ENV,
        DF_ARG,
        DF_WORKDIR,
        DF_USER,
        DF_EXPOSE,
        DF_CMD,
        DF_ENTRYPOINT,
        DF_LABEL,
        DF_MAINTAINER,
        DF_STOPSIGNAL,
};

struct vers_df_instr {
        enum vers_df_kind kind;
        long line, col;   /* where the instruction starts */
        long args_col;    /* column of the argument text on the first line */
        char *args;       /* argument text, continuations joined with a space */
        bool exec_form;   /* the arguments are a JSON array of strings (in argv) */
        char **argv;      /* exec form only: the array */
        char **flags;     /* COPY/ADD: leading --name=value options, as written (not --from) */
        int stage;        /* the stage it is in (0...); -1: an ARG before the first FROM */
        char *stage_name; /* FROM ... AS name: the name, lowercased; else NULL */
        char *from;       /* COPY --from=X: X as written; else NULL */
        long from_col;    /* where the --from option is */
        int from_stage;   /* COPY --from: the earlier stage X names; -1: X is an image */
};

struct vers_dockerfile {
        char *filename;
        struct vers_df_instr *v;
        size_t n;
        int nstages; /* FROMs */
};

/* The instruction's keyword ("RUN"). */
const char *vers_df_kind_name(enum vers_df_kind k);
int vers_dockerfile_parse(const char *text, const char *filename, struct vers_dockerfile *out,
                          vers_error_t *err);
int vers_dockerfile_load(const char *path, struct vers_dockerfile *out, vers_error_t *err);
void vers_dockerfile_free(struct vers_dockerfile *df);

/* Split text into words as a Dockerfile does: whitespace separates, "..." and '...' quote,
 * backslash escapes, and $NAME, ${NAME}, ${NAME:-word}, ${NAME:+word} are replaced from
 * vars ("NAME=value" strings, the last one wins; unset names become empty; never inside
 * single quotes). Errors name file:line:col of the instruction (file may be NULL). */
int vers_df_words(const char *text, char *const *vars, const char *file, long line, long col,
                  char ***words, vers_error_t *err);
/* The value of NAME in vars ("NAME=value" strings, the last wins), or NULL. */
const char *vers_df_var(char *const *vars, const char *name, size_t len);
/* Set NAME=value in *vars (replacing an earlier NAME). */
void vers_df_setvar(char ***vars, const char *name, const char *value);

/* .dockerignore: which paths of the build context COPY and ADD leave out. Lines are
 * patterns relative to the context ('*', '?', '[...]' within a path segment, '**' across
 * segments), '#' comments, '!' exceptions; the last matching line wins, and a pattern that
 * matches a directory leaves out everything in it. */
struct vers_df_ignore {
        char **pats; /* cleaned; exceptions keep their leading '!' */
        bool has_exceptions;
};
void vers_df_ignore_parse(const char *text, struct vers_df_ignore *ig);
/* Is rel (a context-relative path without a leading '/') left out? */
bool vers_df_ignored(const struct vers_df_ignore *ig, const char *rel);
void vers_df_ignore_clear(struct vers_df_ignore *ig);

#endif
