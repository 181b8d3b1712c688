#include "engine/shell.h"
#include "engine/select.h"
#include "base/strbuf.h"

#include <stdio.h>
#include <string.h>

const char *vers_env_login_shell(const struct vers_env *e)
{
        /* the env's root as its processes see it: what its mounts put there (the host's /usr
         * of a FROM host image) is not in the subvolume */
        char root[64];
        snprintf(root, sizeof root, "/proc/%lld/root", (long long)e->init_pid);
        return vers_env_is_running(e) && vers_exists_in_root(root, "bin/bash") ? "/bin/bash"
                                                                               : "/bin/sh";
}

/* Is word the name of an env? */
static bool names_env(struct vers_ctx *ctx, const char *word)
{
        struct vers_ref ref = {VERS_REF_NONE, NULL};
        vers_error_t e = NULL;
        bool yes = vers_resolve(ctx, word, &ref, &e) == 0 && ref.kind == VERS_REF_ENV;
        vers_ref_clear(&ref);
        vers_error_free(&e);
        return yes;
}

int vers_execute(struct vers_ctx *ctx, const char *env, char **words, int n, bool program,
                 const struct vers_exec_opts *o, int *status, vers_error_t *err)
{
        if (!program && !env && n >= 2 && names_env(ctx, words[0])) {
                env = words[0];
                words++;
                n--;
        }
        if (n <= 0)
                return vers_make_error(err, 0, "no command given");
        char *shell[] = {"/bin/sh", "-c", NULL, NULL};
        _cleanup_free_ char **argv = xcalloc((size_t)n + 1, sizeof *argv);
        _cleanup_strbuf_ struct strbuf joined = STRBUF_INIT;
        if (program) {
                memcpy(argv, words, (size_t)n * sizeof *words);
        } else {
                for (int i = 0; i < n; i++)
                        strbuf_addf(&joined, "%s%s", i ? " " : "", words[i]);
                shell[2] = joined.buf;
        }
        struct vers_env e = {0};
        int r = vers_target_env(ctx, env, VERS_TARGET_RUN_IF_NONE | VERS_TARGET_START, &e, err);
        if (r == 0)
                r = vers_env_exec(ctx, &e, program ? argv : shell, o, status, err);
        vers_env_clear(&e);
        return r;
}

int vers_connect(struct vers_ctx *ctx, const char *env, const char *command,
                 const struct vers_exec_opts *o, int *status, vers_error_t *err)
{
        struct vers_env e = {0};
        int r = vers_target_env(ctx, env, VERS_TARGET_RUN_IF_NONE | VERS_TARGET_START, &e, err);
        if (r == 0) {
                char *shell[] = {"/bin/sh", "-c", (char *)command, NULL};
                char *login[] = {(char *)vers_env_login_shell(&e), "-l", NULL};
                r = vers_env_exec(ctx, &e, command ? shell : login, o, status, err);
        }
        vers_env_clear(&e);
        return r;
}
