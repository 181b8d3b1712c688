/* memcounter — a restore check: a daemon whose only state is a counter in its memory.
 *
 *   memcounter serve PORT   listen on 127.0.0.1:PORT, detach; every connection increments
 *                           the counter and receives its new value
 *   memcounter hit PORT     connect once and print the value received
 *
 * After a warm branch the counter must continue from the committed value, separately in
 * every branch; after a cold branch the daemon is gone.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct sockaddr_in addr(const char *port)
{
        struct sockaddr_in a;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_port = htons((unsigned short)atoi(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return a;
}

static int serve(const char *port)
{
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in a = addr(port);
        if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 16) < 0) {
                perror("memcounter: listen");
                return 1;
        }
        /* detach: the caller's 'vers execute' returns, the daemon stays in the env */
        if (fork() != 0)
                _exit(0);
        setsid();
        int nul = open("/dev/null", O_RDWR);
        dup2(nul, 0);
        dup2(nul, 1);
        dup2(nul, 2);
        close(nul);
        unsigned long counter = 0;
        for (;;) {
                int c = accept(s, NULL, NULL);
                if (c < 0)
                        continue;
                char buf[32];
                int n = snprintf(buf, sizeof buf, "%lu\n", ++counter);
                if (write(c, buf, (size_t)n) != n) {
                        /* the client went away: nothing to do */
                }
                close(c);
        }
}

static int hit(const char *port)
{
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = addr(port);
        if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
                perror("memcounter: connect");
                return 1;
        }
        char buf[32];
        ssize_t n = read(s, buf, sizeof buf - 1);
        if (n <= 0)
                return 1;
        buf[n] = '\0';
        fputs(buf, stdout);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc == 3 && !strcmp(argv[1], "serve"))
                return serve(argv[2]);
        if (argc == 3 && !strcmp(argv[1], "hit"))
                return hit(argv[2]);
        fprintf(stderr, "usage: memcounter serve|hit PORT\n");
        return 2;
}
