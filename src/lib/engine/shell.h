/* shell — 'vers execute' and 'vers connect': which env, which program, which shell.
 *
 * The programs run inside the env, so the shell is chosen by what the env has (its /bin/bash,
 * seen through its own mounts), never by what the host has. */
#ifndef VERS_SHELL_H
#define VERS_SHELL_H

#include "engine/engine.h"

/* Run a command inside an env and store its exit status. With program, words are the
 * program and its arguments, run as they are, in env (-b), else VERS_ENV's or HEAD's env.
 * Without, the words are joined into one command for /bin/sh -c, and when env is NULL, a
 * first word that names an env (with something after it) is the env. A project without an
 * env gets one. */
int vers_execute(struct vers_ctx *ctx, const char *env, char **words, int n, bool program,
                 const struct vers_exec_opts *o, int *status, vers_error_t *err);

/* A shell inside an env (see vers_target_env): command for /bin/sh -c, or with none a login
 * shell, bash where the env has one, else sh. */
int vers_connect(struct vers_ctx *ctx, const char *env, const char *command,
                 const struct vers_exec_opts *o, int *status, vers_error_t *err);

/* The env's login shell: "/bin/bash" when the env has one (in its own root, through its own
 * mounts), else "/bin/sh". */
const char *vers_env_login_shell(const struct vers_env *e);

#endif
