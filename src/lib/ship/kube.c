/* kube — the Kubernetes manifests that run a pushed commit (vers kube), as YAML text in which
 * every value a user or an image chose is a double-quoted scalar with its escapes, so no value
 * can end its line or change the document's structure. */
#include "engine/engine.h"
#include "services/services.h"
#include "ship/ship.h"
#include "state/refs.h"

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
                else if (*p < 0x20 || *p == 0x7f)
                        strbuf_addf(out, "\\x%02x", *p);
                else
                        strbuf_addch(out, (char)*p);
        }
        strbuf_addch(out, '"');
}

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
        if (env && env[0]) {
                strbuf_addstr(out, "    env:\n");
                for (char *const *e = env; *e; e++) {
                        const char *eq = strchr(*e, '=');
                        if (!eq || eq == *e)
                                continue;
                        _cleanup_free_ char *k = xstrndup(*e, (size_t)(eq - *e));
                        strbuf_addstr(out, "    - name: ");
                        quoted(out, k);
                        strbuf_addstr(out, "\n      value: ");
                        quoted(out, eq + 1);
                        strbuf_addstr(out, "\n");
                }
        }
        if (first)
                strbuf_addf(out,
                            "    readinessProbe:\n      tcpSocket:\n        port: %d\n"
                            "      periodSeconds: 2\n      failureThreshold: 60\n",
                            first);
}

int vers_ship_kube_pod(struct vers_ctx *ctx, const char *commit, const char *image,
                       struct strbuf *out, vers_error_t *err)
{
        struct vers_ref r = {0};
        if (vers_resolve(ctx, commit, &r, err) < 0)
                return -1;
        if (r.kind != VERS_REF_COMMIT) {
                vers_ref_clear(&r);
                return vers_make_error(err, 0, "no commit named '%s' (see 'vers commit list')",
                                       commit);
        }
        _cleanup_free_ char *id = xstrdup(r.id);
        vers_ref_clear(&r);
        _cleanup_free_ char *pushed = NULL;
        if (!image) {
                if (vers_meta_get_pushed(&ctx->meta, id, &pushed, err) < 0)
                        return -1;
                if (!pushed)
                        return vers_make_error(err, 0,
                                               "commit '%s' was never pushed (vers push %s REF, "
                                               "or --image REF)",
                                               commit, commit);
                image = pushed;
        }
        _cleanup_free_ char *croot = vers_store_commit_rootfs(&ctx->store, id);
        _cleanup_strv_ char **pids = NULL, **ports = NULL, **env = NULL;
        vers_services_runtime(croot, &pids, &ports);
        _cleanup_free_ char *text = NULL;
        if (vers_read_file_in_root(croot, ".vers/env", 0, &text, NULL, NULL) == 0) {
                char *save = NULL;
                for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                        if (strchr(l, '=') && !str_startswith(l, "PATH="))
                                strv_push(&env, l);
        }
        vers_ship_pod_yaml(id, image, ports, env, out);
        return 0;
}
