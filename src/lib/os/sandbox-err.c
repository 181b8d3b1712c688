/* sandbox-err — a sandbox child's error, as a length-prefixed record over a pipe. */
#include "os/sandbox-private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

size_t vers_sandbox_err_encode(char *buf, size_t n, int errnum, const char *msg)
{
        if (n < VERS_SANDBOX_ERR_HDR)
                return 0;
        size_t len = msg ? strlen(msg) : 0;
        if (len > n - VERS_SANDBOX_ERR_HDR)
                len = n - VERS_SANDBOX_ERR_HDR;
        int32_t e = errnum;
        uint32_t l = (uint32_t)len;
        memcpy(buf, &e, sizeof e);
        memcpy(buf + sizeof e, &l, sizeof l);
        if (len)
                memcpy(buf + VERS_SANDBOX_ERR_HDR, msg, len);
        return VERS_SANDBOX_ERR_HDR + len;
}

ssize_t vers_sandbox_err_decode(const char *buf, size_t n, int *errnum, char *msg, size_t msgsz)
{
        int32_t e;
        uint32_t l;
        if (n < VERS_SANDBOX_ERR_HDR)
                return -1;
        memcpy(&e, buf, sizeof e);
        memcpy(&l, buf + sizeof e, sizeof l);
        if (l > VERS_SANDBOX_ERR_MAX - VERS_SANDBOX_ERR_HDR || l > n - VERS_SANDBOX_ERR_HDR)
                return -1;
        *errnum = e;
        if (msgsz) {
                size_t k = l < msgsz - 1 ? l : msgsz - 1;
                memcpy(msg, buf + VERS_SANDBOX_ERR_HDR, k);
                msg[k] = '\0';
        }
        return (ssize_t)(VERS_SANDBOX_ERR_HDR + l);
}

int vers_sandbox_err_read(int fd, int *errnum, char *msg, size_t msgsz)
{
        char buf[VERS_SANDBOX_ERR_MAX];
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) < 0 && errno == EINTR)
                ;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return 0;
        if (n < 0)
                return -1;
        if (n == 0)
                return 0;
        if (vers_sandbox_err_decode(buf, (size_t)n, errnum, msg, msgsz) < 0) {
                errno = EPROTO;
                return -1;
        }
        return 1;
}

static int child_errfd = -1;

void vers_sandbox_child_errfd(int fd)
{
        child_errfd = fd;
}

void vers_sandbox_child_note(int e, const char *msg)
{
        char rec[VERS_SANDBOX_ERR_MAX];
        size_t n = vers_sandbox_err_encode(rec, sizeof rec, e, msg);
        if (child_errfd >= 0)
                vers_write_all(child_errfd, rec, n);
        _exit(124);
}

void vers_sandbox_child_die(int e, const char *fmt, ...)
{
        char msg[VERS_SANDBOX_ERR_MAX], rec[VERS_SANDBOX_ERR_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        size_t n = vers_sandbox_err_encode(rec, sizeof rec, e, msg);
        if (child_errfd >= 0)
                vers_write_all(child_errfd, rec, n);
        _exit(1);
}
