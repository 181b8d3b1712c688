/* imageconf — an image's configuration (its /.vers/image): what the Dockerfile's ENV, WORKDIR,
 * USER, EXPOSE, ENTRYPOINT, CMD and STOPSIGNAL set, read by 'vers build' (FROM a commit of
 * ours inherits it) and by the engine (the tunnel's default port).
 *
 * Written as JSON, an object shaped like the "config" of an OCI image configuration:
 *   {"Env": ["K=V"], "WorkingDir": "/srv", "User": "nobody",
 *    "ExposedPorts": {"5432/tcp": {}}, "Entrypoint": [...], "Cmd": [...],
 *    "StopSignal": "SIGTERM"}
 * with absent members left out. A shell-form CMD or ENTRYPOINT is stored as Docker stores it,
 * ["/bin/sh", "-c", "the text"]. Images built before this format have a line format
 * ("env K=V", "workdir D", "user U", "expose 5432/tcp", "cmd [...]", "cmd-shell [...]",
 * "entrypoint[-shell] [...]", "stopsignal TERM"), which is still read.
 *
 * The file may come from a commit of an env (FROM a tag of ours), which anything run in that
 * env could have written: every value is checked on reading, whatever the format.
 */
#ifndef VERS_IMAGECONF_H
#define VERS_IMAGECONF_H

#include "base/util.h"

/* where the configuration lives in an image's tree */
#define VERS_IMAGECONF_FILE ".vers/image"

struct vers_imageconf {
        char **env; /* "K=V", each K once */
        char *workdir;
        char *user;
        char **expose;     /* "5432/tcp", "53/udp", each once */
        char **entrypoint; /* NULL: none; may be empty (ENTRYPOINT []) */
        char **cmd;        /* NULL: none; may be empty (CMD []) */
        char *stopsignal;  /* TERM, INT, QUIT or KILL; NULL: TERM */
};

void vers_imageconf_clear(struct vers_imageconf *c);
/* The signal vers stops services with for s (a STOPSIGNAL, an image's StopSignal: "SIGINT",
 * "int", "2"): "TERM", "INT", "QUIT" or "KILL"; NULL for any other. */
const char *vers_imageconf_signal(const char *s);
/* The JSON text (members in a fixed order, so equal configurations give equal text; ends
 * with a newline), or NULL with *err set when a value is not UTF-8. */
char *vers_imageconf_to_json(const struct vers_imageconf *c, vers_error_t *err);
/* Parse text, JSON or the old line format, into c (cleared first). -1 with *err set when it
 * is neither, or a value is malformed; c is then empty. */
int vers_imageconf_parse(const char *text, struct vers_imageconf *c, vers_error_t *err);
/* Read rootfs's configuration into c: 0 (c empty) when the image has none. */
int vers_imageconf_read(const char *rootfs, struct vers_imageconf *c, vers_error_t *err);
/* Write c as rootfs's configuration (JSON). */
int vers_imageconf_write(const char *rootfs, const struct vers_imageconf *c, vers_error_t *err);

#endif
