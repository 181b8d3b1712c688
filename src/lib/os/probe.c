/* probe — one readiness attempt per service (probe.h). */
#include "os/probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static const char *const kinds[] = {"pg", "connect", "redis"};

int vers_probes_parse(const char *text, struct vers_probe *out, size_t max, size_t *n,
                      vers_error_t *err)
{
        *n = 0;
        int lineno = 0;
        for (const char *line = text; line && *line;) {
                const char *end = strchr(line, '\n');
                size_t len = end ? (size_t)(end - line) : strlen(line);
                lineno++;
                char buf[512];
                if (len >= sizeof buf)
                        return vers_make_error(err, 0, "/.vers/probes:%d: line too long", lineno);
                memcpy(buf, line, len);
                buf[len] = '\0';
                line = end ? end + 1 : NULL;
                if (buf[0] == '#' || buf[0] == '\0')
                        continue;
                char *save = NULL;
                char *name = strtok_r(buf, "\t", &save);
                char *kind = strtok_r(NULL, "\t", &save);
                char *target = strtok_r(NULL, "\t", &save);
                char *pidfile = strtok_r(NULL, "\t", &save);
                if (!name || !kind || !target || strtok_r(NULL, "\t", &save) ||
                    (pidfile && (strcmp(kind, "pg") != 0 || pidfile[0] != '/')))
                        return vers_make_error(err, 0,
                                               "/.vers/probes:%d: want NAME<TAB>KIND<TAB>TARGET "
                                               "(and for pg, an absolute pid file path)",
                                               lineno);
                bool known = false;
                for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
                        known |= !strcmp(kind, kinds[i]);
                if (!known)
                        return vers_make_error(err, 0, "/.vers/probes:%d: unknown probe '%s'",
                                               lineno, kind);
                if (*n == max)
                        return vers_make_error(err, 0, "/.vers/probes: more than %zu services",
                                               max);
                struct vers_probe *p = &out[(*n)++];
                if ((size_t)snprintf(p->name, sizeof p->name, "%s", name) >= sizeof p->name ||
                    (size_t)snprintf(p->target, sizeof p->target, "%s", target) >=
                        sizeof p->target ||
                    (size_t)snprintf(p->pidfile, sizeof p->pidfile, "%s", pidfile ? pidfile : "") >=
                        sizeof p->pidfile)
                        return vers_make_error(err, 0, "/.vers/probes:%d: name or target too long",
                                               lineno);
                snprintf(p->kind, sizeof p->kind, "%s", kind);
                bool tcp = str_startswith(target, "tcp:");
                if (!tcp && target[0] != '/')
                        return vers_make_error(err, 0,
                                               "/.vers/probes:%d: target '%s' is neither an "
                                               "absolute socket path nor tcp:HOST:PORT",
                                               lineno, target);
        }
        return 0;
}

/* A connected, non-blocking socket to target, or -1 (errno: ENOENT/ECONNREFUSED mean
 * nothing listens). */
static int dial(const char *target, int timeout_ms)
{
        int fd;
        if (str_startswith(target, "tcp:")) {
                char host[64];
                unsigned port = 0;
                if (sscanf(target + 4, "%63[^:]:%u", host, &port) != 2 || port == 0 || port > 65535)
                        return errno = EINVAL, -1;
                struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
                if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
                        return errno = EINVAL, -1;
                fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
                if (fd < 0)
                        return -1;
                if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
                        int e = errno, soerr = 0;
                        socklen_t len = sizeof soerr;
                        struct pollfd pfd = {fd, POLLOUT, 0};
                        if (e == EINPROGRESS &&
                            (poll(&pfd, 1, timeout_ms) <= 0 ||
                             getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr))
                                e = soerr ? soerr : ETIMEDOUT;
                        else if (e == EINPROGRESS)
                                e = 0;
                        if (e) {
                                close(fd);
                                return errno = e, -1;
                        }
                }
                return fd;
        }
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        if (strlen(target) >= sizeof a.sun_path)
                return errno = ENAMETOOLONG, -1;
        strcpy(a.sun_path, target);
        /* non-blocking: a server whose backlog is full (or one made never to accept) must
         * not hold the caller in connect(); that is EAGAIN, "not yet" */
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
                int e = errno;
                close(fd);
                return errno = e, -1;
        }
        return fd;
}

/* Read what the peer sends until want bytes or its answer is complete; -1 on timeout/EOF */
static ssize_t read_some(int fd, char *buf, size_t size, int timeout_ms)
{
        struct pollfd pfd = {fd, POLLIN, 0};
        int r;
        while ((r = poll(&pfd, 1, timeout_ms)) < 0 && errno == EINTR)
                ;
        if (r <= 0)
                return -1;
        ssize_t n;
        while ((n = read(fd, buf, size)) < 0 && errno == EINTR)
                ;
        return n > 0 ? n : -1;
}

static int write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;
        while (len > 0) {
                ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
                if (w < 0 && errno == EINTR)
                        continue;
                struct pollfd pfd = {fd, POLLOUT, 0};
                if (w < 0 && errno == EAGAIN && poll(&pfd, 1, 1000) > 0)
                        continue;
                if (w <= 0)
                        return -1;
                p += w;
                len -= (size_t)w;
        }
        return 0;
}

/* The server's first message after a startup packet: an authentication request ('R') means
 * it takes connections; an error ('E') does too unless its SQLSTATE is 57P03 */
static enum vers_probe_state pg_answer(const char *buf, size_t n)
{
        if (n >= 1 && buf[0] == 'R')
                return VERS_PROBE_OK;
        if (n < 5 || buf[0] != 'E')
                return VERS_PROBE_NOT_YET;
        /* fields: a type byte and a NUL-terminated value each, then a NUL */
        for (size_t i = 5; i < n && buf[i] != '\0';) {
                const char *v = buf + i + 1;
                size_t left = n - i - 1;
                size_t vlen = strnlen(v, left);
                if (vlen == left)
                        break; /* cut off */
                if (buf[i] == 'C')
                        return vlen == 5 && !memcmp(v, "57P03", 5) ? VERS_PROBE_NOT_YET
                                                                   : VERS_PROBE_OK;
                i += 2 + vlen;
        }
        return VERS_PROBE_NOT_YET;
}

static enum vers_probe_state probe_pg(int fd, int timeout_ms)
{
        static const char params[] = "user\0postgres\0database\0postgres\0application_name\0"
                                     "vers-probe\0";
        char pkt[8 + sizeof params];
        uint32_t len = htonl((uint32_t)sizeof pkt), proto = htonl(196608); /* 3.0 */
        memcpy(pkt, &len, 4);
        memcpy(pkt + 4, &proto, 4);
        memcpy(pkt + 8, params, sizeof params); /* ends in the list's own '\0' */
        if (write_all(fd, pkt, sizeof pkt) < 0)
                return VERS_PROBE_NOT_YET;
        char buf[512];
        ssize_t n = read_some(fd, buf, sizeof buf, timeout_ms);
        enum vers_probe_state st = n > 0 ? pg_answer(buf, (size_t)n) : VERS_PROBE_NOT_YET;
        static const char terminate[5] = {'X', 0, 0, 0, 4};
        write_all(fd, terminate, sizeof terminate);
        return st;
}

static enum vers_probe_state probe_redis(int fd, int timeout_ms)
{
        if (write_all(fd, "PING\r\n", 6) < 0)
                return VERS_PROBE_NOT_YET;
        char buf[64];
        ssize_t n = read_some(fd, buf, sizeof buf, timeout_ms);
        return n >= 5 && !memcmp(buf, "+PONG", 5) ? VERS_PROBE_OK : VERS_PROBE_NOT_YET;
}

/* postmaster.pid's 8th line (PostgreSQL 10 and later) is the postmaster's status: "starting",
 * "stopping", "ready" or "standby". A file that is not there, or not a regular file, is no
 * server; one without its status line yet is a server still writing it. */
static enum vers_probe_state pg_pidfile_state(const char *path)
{
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return VERS_PROBE_ABSENT;
        struct stat st;
        char buf[1024];
        ssize_t n = -1;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
                n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
                return VERS_PROBE_ABSENT;
        buf[n] = '\0';
        const char *line = buf;
        for (int i = 1; i < 8 && line; i++) {
                line = strchr(line, '\n');
                if (line)
                        line++;
        }
        if (!line || !*line)
                return VERS_PROBE_NOT_YET;
        return str_startswith(line, "ready") ? VERS_PROBE_OK : VERS_PROBE_NOT_YET;
}

enum vers_probe_state vers_probe_once(const struct vers_probe *p, int timeout_ms)
{
        if (p->pidfile[0]) {
                enum vers_probe_state st = pg_pidfile_state(p->pidfile);
                if (st != VERS_PROBE_OK)
                        return st;
        }
        int fd = dial(p->target, timeout_ms);
        if (fd < 0)
                return errno == ENOENT || errno == ECONNREFUSED ? VERS_PROBE_ABSENT
                                                                : VERS_PROBE_NOT_YET;
        enum vers_probe_state st = VERS_PROBE_OK;
        if (!strcmp(p->kind, "pg"))
                st = probe_pg(fd, timeout_ms);
        else if (!strcmp(p->kind, "redis"))
                st = probe_redis(fd, timeout_ms);
        close(fd);
        return st;
}
