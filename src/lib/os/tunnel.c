#include "os/tunnel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define MAX_PAIRS 64

struct pair {
        int a, b; /* host side, env side; -1 when unused */
};

int vers_tunnel_listen(int *local, int *fdp, vers_error_t *err)
{
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return vers_make_error(err, errno, "socket");
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in a;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_port = htons((unsigned short)*local);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 64) < 0) {
                int e = errno;
                close(fd);
                return vers_make_error(err, e, "cannot listen on 127.0.0.1:%d", *local);
        }
        socklen_t len = sizeof a;
        getsockname(fd, (struct sockaddr *)&a, &len);
        *local = ntohs(a.sin_port);
        *fdp = fd;
        return 0;
}

/* a connection to 127.0.0.1:port made from inside the network namespace netfd */
static int connect_inside(int netfd, int selffd, int port)
{
        if (setns(netfd, CLONE_NEWNET) < 0)
                return -1;
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int e = errno;
        if (setns(selffd, CLONE_NEWNET) < 0)
                abort(); /* cannot go home: nothing sane is left to do */
        if (s < 0) {
                errno = e;
                return -1;
        }
        struct sockaddr_in a;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_port = htons((unsigned short)port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
                e = errno;
                close(s);
                errno = e;
                return -1;
        }
        return s;
}

static void close_pair(struct pair *p)
{
        if (p->a >= 0)
                close(p->a);
        if (p->b >= 0)
                close(p->b);
        p->a = p->b = -1;
}

/* move what is readable on from to to; false when the pair is done */
static bool pump(int from, int to)
{
        char buf[65536];
        ssize_t n = read(from, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return true;
        if (n <= 0)
                return false;
        return vers_write_all(to, buf, (size_t)n) == n;
}

int vers_tunnel_run(int listen_fd, pid_t env_pid, int remote, volatile sig_atomic_t *stop,
                    void (*notice)(const char *msg), vers_error_t *err)
{
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/net", (int)env_pid);
        _cleanup_close_ int netfd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int selffd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (netfd < 0 || selffd < 0)
                return vers_make_error(err, errno, "cannot open the env's network namespace");
        struct pair pairs[MAX_PAIRS];
        for (int i = 0; i < MAX_PAIRS; i++)
                pairs[i].a = pairs[i].b = -1;
        struct pollfd pf[1 + 2 * MAX_PAIRS];
        while (!*stop) {
                int n = 0;
                pf[n++] = (struct pollfd){listen_fd, POLLIN, 0};
                for (int i = 0; i < MAX_PAIRS; i++) {
                        if (pairs[i].a < 0)
                                continue;
                        pf[n++] = (struct pollfd){pairs[i].a, POLLIN, 0};
                        pf[n++] = (struct pollfd){pairs[i].b, POLLIN, 0};
                }
                int r = poll(pf, (nfds_t)n, 500);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return vers_make_error(err, errno, "poll");
                int k = 1;
                for (int i = 0; i < MAX_PAIRS; i++) {
                        if (pairs[i].a < 0)
                                continue;
                        short ra = pf[k++].revents, rb = pf[k++].revents;
                        bool ok = true;
                        if (ra & (POLLIN | POLLHUP | POLLERR))
                                ok = pump(pairs[i].a, pairs[i].b);
                        if (ok && (rb & (POLLIN | POLLHUP | POLLERR)))
                                ok = pump(pairs[i].b, pairs[i].a);
                        if (!ok)
                                close_pair(&pairs[i]);
                }
                if (pf[0].revents & POLLIN) {
                        int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
                        if (c < 0)
                                continue;
                        int slot = -1;
                        for (int i = 0; i < MAX_PAIRS && slot < 0; i++)
                                slot = pairs[i].a < 0 ? i : -1;
                        int s = slot >= 0 ? connect_inside(netfd, selffd, remote) : -1;
                        if (s < 0) {
                                if (notice) {
                                        _cleanup_free_ char *m = xasprintf(
                                            "tunnel: cannot reach port %d in the env: %s", remote,
                                            slot < 0 ? "too many connections" : strerror(errno));
                                        notice(m);
                                }
                                close(c);
                                continue;
                        }
                        pairs[slot].a = c;
                        pairs[slot].b = s;
                }
        }
        for (int i = 0; i < MAX_PAIRS; i++)
                close_pair(&pairs[i]);
        return 0;
}
