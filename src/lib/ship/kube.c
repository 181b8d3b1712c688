/* kube — the Kubernetes manifests that run a pushed commit (vers kube), as YAML text in which
 * every value a user or an image chose is a double-quoted scalar with its escapes, so no value
 * can end its line or change the document's structure. */
#include "engine/engine.h"
#include "format/suite.h"
#include "services/services.h"
#include "ship/ship.h"
#include "state/refs.h"
#include "test/matrix.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* s as a YAML double-quoted scalar */
static void quoted(struct strbuf *out, const char *s)
{
        strbuf_addch(out, '"');
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (*p == '"' || *p == '\\')
                        strbuf_addf(out, "\\%c", *p);
                else if (*p == '\n')
                        strbuf_addstr(out, "\\n");
                else if (*p == '\t')
                        strbuf_addstr(out, "\\t");
                else if (*p < 0x20 || *p == 0x7f)
                        strbuf_addf(out, "\\x%02x", *p);
                /* YAML's own line breaks (NEL, LS, PS) would fold into a space, unescaped */
                else if (p[0] == 0xc2 && p[1] == 0x85) {
                        strbuf_addstr(out, "\\N");
                        p += 1;
                } else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
                        strbuf_addstr(out, p[2] == 0xa8 ? "\\L" : "\\P");
                        p += 2;
                } else
                        strbuf_addch(out, (char)*p);
        }
        strbuf_addch(out, '"');
}

static void env_list(struct strbuf *out, const char *indent, char *const *env);

void vers_ship_pod_yaml(const char *id, const char *image, char *const *ports, char *const *env,
                        struct strbuf *out)
{
        strbuf_addstr(out, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ");
        _cleanup_free_ char *name = xasprintf("vers-%s", id);
        quoted(out, name);
        strbuf_addstr(out, "\n  labels:\n    app: ");
        quoted(out, name);
        strbuf_addstr(out, "\n  annotations:\n    dev.vers.commit: ");
        quoted(out, id);
        strbuf_addstr(out, "\nspec:\n  restartPolicy: Always\n  containers:\n  - name: db\n"
                           "    image: ");
        quoted(out, image);
        strbuf_addstr(out, "\n");
        int first = 0;
        if (ports && ports[0]) {
                strbuf_addstr(out, "    ports:\n");
                for (char *const *p = ports; *p; p++) {
                        int port = atoi(*p);
                        const char *proto = strstr(*p, "/udp") ? "UDP" : "TCP";
                        if (port <= 0 || port > 65535)
                                continue;
                        if (!first && !strcmp(proto, "TCP"))
                                first = port;
                        strbuf_addf(out, "    - containerPort: %d\n      protocol: %s\n", port,
                                    proto);
                }
        }
        env_list(out, "    ", env);
        if (first)
                strbuf_addf(out,
                            "    readinessProbe:\n      tcpSocket:\n        port: %d\n"
                            "      periodSeconds: 2\n      failureThreshold: 60\n",
                            first);
}

/* s as one shell word: single-quoted, each ' as '\'' */
static void sh_word(struct strbuf *out, const char *s)
{
        strbuf_addch(out, '\'');
        for (const char *p = s; *p; p++) {
                if (*p == '\'')
                        strbuf_addstr(out, "'\\''");
                else
                        strbuf_addch(out, *p);
        }
        strbuf_addch(out, '\'');
}

static void env_list(struct strbuf *out, const char *indent, char *const *env)
{
        if (!env || !env[0])
                return;
        strbuf_addf(out, "%senv:\n", indent);
        for (char *const *e = env; *e; e++) {
                const char *eq = strchr(*e, '=');
                if (!eq || eq == *e)
                        continue;
                _cleanup_free_ char *k = xstrndup(*e, (size_t)(eq - *e));
                strbuf_addf(out, "%s- name: ", indent);
                quoted(out, k);
                strbuf_addf(out, "\n%s  value: ", indent);
                quoted(out, eq + 1);
                strbuf_addch(out, '\n');
        }
}

int vers_ship_job_script(const struct vers_ship_job_cell *cells, size_t n, struct strbuf *out,
                         vers_error_t *err)
{
        strbuf_addstr(out,
                      "/.vers/init &\n"
                      "# the services are up when /.vers/ready says so (it waits, bounded)\n"
                      "i=0\n"
                      "until /.vers/ready >/dev/null 2>&1; do\n"
                      "  i=$((i + 1)); [ \"$i\" -lt 120 ] || { echo 'vers: the services did not "
                      "come up' >&2; exit 125; }\n"
                      "  sleep 1\n"
                      "done\n"
                      "cd /project || exit 125\n"
                      "case \"$JOB_COMPLETION_INDEX\" in\n");
        for (size_t k = 0; k < n; k++) {
                const struct vers_ship_job_cell *c = &cells[k];
                strbuf_addf(out, "%zu)\n  echo ", k);
                _cleanup_free_ char *what =
                    xasprintf("vers: test %s, branch %s", c->test, c->branch);
                sh_word(out, what);
                strbuf_addstr(out, " >&2\n");
                for (char *const *e = c->env; e && *e; e++) {
                        const char *eq = strchr(*e, '=');
                        _cleanup_free_ char *key = eq ? xstrndup(*e, (size_t)(eq - *e)) : NULL;
                        if (!key || !str_is_var_name(key))
                                return vers_make_error(err, 0,
                                                       "test '%s', branch '%s': '%s' is not "
                                                       "NAME=VALUE",
                                                       c->test, c->branch, *e);
                        strbuf_addf(out, "  export %s=", key);
                        sh_word(out, eq + 1);
                        strbuf_addch(out, '\n');
                }
                if (c->before) {
                        strbuf_addstr(out, "  sh -c ");
                        sh_word(out, c->before);
                        strbuf_addstr(out, " || exit $?\n");
                }
                strbuf_addstr(out, "  exec sh -c ");
                sh_word(out, c->command);
                strbuf_addstr(out, "\n  ;;\n");
        }
        strbuf_addstr(out, "*)\n  echo \"vers: no cell $JOB_COMPLETION_INDEX\" >&2\n  exit 125\n"
                           "  ;;\nesac\n");
        return 0;
}

int vers_ship_job_yaml(const char *id, const char *image, const char *project_dir,
                       const struct vers_ship_job_cell *cells, size_t n, char *const *env,
                       struct strbuf *out, vers_error_t *err)
{
        if (n == 0)
                return vers_make_error(err, 0, "the suite has no tests");
        _cleanup_strbuf_ struct strbuf script = STRBUF_INIT;
        if (vers_ship_job_script(cells, n, &script, err) < 0)
                return -1;
        _cleanup_free_ char *name = xasprintf("vers-suite-%s", id);
        strbuf_addstr(out, "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: ");
        quoted(out, name);
        strbuf_addstr(out, "\n  annotations:\n    dev.vers.commit: ");
        quoted(out, id);
        strbuf_addf(out,
                    "\nspec:\n  completionMode: Indexed\n  completions: %zu\n"
                    "  parallelism: %zu\n  backoffLimit: 0\n  template:\n    spec:\n"
                    "      restartPolicy: Never\n      volumes:\n      - name: project\n"
                    "        hostPath:\n          path: ",
                    n, n);
        quoted(out, project_dir);
        strbuf_addstr(out, "\n          type: Directory\n      containers:\n      - name: suite\n"
                           "        image: ");
        quoted(out, image);
        strbuf_addstr(out, "\n        workingDir: \"/project\"\n        volumeMounts:\n"
                           "        - name: project\n          mountPath: \"/project\"\n");
        env_list(out, "        ", env);
        strbuf_addstr(out, "        command:\n        - \"/bin/sh\"\n        - \"-c\"\n        - ");
        quoted(out, script.buf);
        strbuf_addch(out, '\n');
        return 0;
}

/* the commit's id, and the image to run (*image, or where it was pushed) */
static int kube_commit(struct vers_ctx *ctx, const char *commit, const char **image, char **id,
                       char **pushed, vers_error_t *err)
{
        struct vers_ref r = {0};
        if (vers_resolve(ctx, commit, &r, err) < 0)
                return -1;
        if (r.kind != VERS_REF_COMMIT) {
                vers_ref_clear(&r);
                return vers_make_error(err, 0, "no commit named '%s' (see 'vers commit list')",
                                       commit);
        }
        *id = xstrdup(r.id);
        vers_ref_clear(&r);
        if (*image)
                return 0;
        if (vers_meta_get_pushed(&ctx->meta, *id, pushed, err) < 0)
                return -1;
        if (!*pushed)
                return vers_make_error(err, 0,
                                       "commit '%s' was never pushed (vers push %s REF, or "
                                       "--image REF)",
                                       commit, commit);
        *image = *pushed;
        return 0;
}

/* the commit's /.vers/env without PATH (the image's config has it) */
static char **commit_env(const char *croot)
{
        char **env = NULL;
        _cleanup_free_ char *text = NULL;
        if (vers_read_file_in_root(croot, ".vers/env", 0, &text, NULL, NULL) == 0) {
                char *save = NULL;
                for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                        if (strchr(l, '=') && !str_startswith(l, "PATH="))
                                strv_push(&env, l);
        }
        return env;
}

int vers_ship_kube_pod(struct vers_ctx *ctx, const char *commit, const char *image,
                       struct strbuf *out, vers_error_t *err)
{
        _cleanup_free_ char *id = NULL, *pushed = NULL;
        if (kube_commit(ctx, commit, &image, &id, &pushed, err) < 0)
                return -1;
        _cleanup_free_ char *croot = vers_store_commit_rootfs(&ctx->store, id);
        _cleanup_strv_ char **pids = NULL, **ports = NULL, **env = commit_env(croot);
        vers_services_runtime(croot, &pids, &ports);
        vers_ship_pod_yaml(id, image, ports, env, out);
        return 0;
}

/* The suite's cells as vers test runs them (test/matrix.h): completion k is cell k */
static int suite_cells(const struct vers_suite *s, struct vers_ship_job_cell **out, size_t *n,
                       vers_error_t *err)
{
        struct vers_test_cell *cells = NULL;
        if (vers_test_matrix(s, &cells, n, err) < 0)
                return -1;
        struct vers_ship_job_cell *v = xcalloc(*n ? *n : 1, sizeof *v);
        for (size_t k = 0; k < *n; k++) {
                const struct vers_suite_test *t = &s->tests[cells[k].test];
                const struct vers_suite_branch *br =
                    t->n_branches ? &t->branches[cells[k].branch] : NULL;
                v[k] = (struct vers_ship_job_cell){
                    .test = cells[k].test_name,
                    .branch = cells[k].branch_name,
                    .command = t->command,
                    .before = br ? br->before : NULL,
                    .env = br ? br->env : NULL,
                };
        }
        free(cells);
        *out = v;
        return 0;
}

int vers_ship_kube_job(struct vers_ctx *ctx, const char *commit, const char *image,
                       const char *suite_file, struct strbuf *out, vers_error_t *err)
{
        _cleanup_free_ char *id = NULL, *pushed = NULL;
        if (kube_commit(ctx, commit, &image, &id, &pushed, err) < 0)
                return -1;
        _cleanup_free_ char *path = suite_file ? xstrdup(suite_file)
                                    : ctx->project_dir
                                        ? xasprintf("%s/vers-integration.yaml", ctx->project_dir)
                                        : NULL;
        if (!path)
                return vers_make_error(err, 0, "no project here: name the suite (--suite FILE)");
        char real[PATH_MAX];
        struct vers_suite s;
        if (vers_suite_load(path, &s, err) < 0)
                return -1;
        int ret = -1;
        struct vers_ship_job_cell *cells = NULL;
        size_t n = 0;
        _cleanup_free_ char *dir = NULL, *croot = vers_store_commit_rootfs(&ctx->store, id);
        _cleanup_strv_ char **env = commit_env(croot);
        if (!realpath(path, real)) {
                vers_make_error(err, errno, "'%s'", path);
                goto out;
        }
        dir = xstrdup(real);
        *strrchr(dir, '/') = '\0';
        if (!*dir) {
                free(dir);
                dir = xstrdup("/");
        }
        if (suite_cells(&s, &cells, &n, err) < 0)
                goto out;
        ret = vers_ship_job_yaml(id, image, dir, cells, n, env, out, err);
out:
        free(cells);
        vers_suite_free(&s);
        return ret;
}
