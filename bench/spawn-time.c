/* spawn-time — time whole processes from C, not from a shell (bench/bench.sh uses it).
 *
 *   spawn-time [-o FILE] CMD [ARG...] [+ CMD [ARG...]]...
 *
 * Runs each command in turn (posix_spawnp, then waitpid) and prints one line: the
 * milliseconds of each command, exec to exit, then the total ("12.345 4.321 16.666"). bash's
 * own fork+exec costs ~15 ms on a small machine, more than some of the things measured;
 * posix_spawn from here costs ~0.7 ms.
 *
 * A command's stdout goes to a memory file, not to a pipe (a daemon it leaves behind may hold
 * a pipe open). "{id}" in a later command's argument is replaced by the first JSON string
 * "id" of the last earlier command's stdout that had one: 'vers branch C --json + vers env {id} +
 * psql -h ROOT/sockets/{id}' reaches the new env's socket right after vers exits. -o FILE writes
 * every command's stdout there, one after the other.
 *
 * Exits 0 when every command did; otherwise stops at the first that did not, prints
 * "spawn-time: 'CMD' exited N" on stderr and exits 1 (the commands' stderr is left alone, so
 * their own error shows).
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { OUT_MAX = 1 << 20, ARGS_MAX = 256 };
static char out[OUT_MAX + 1]; /* the previous command's stdout */
static char id[64];           /* the last command's first JSON "id" that had one */

static double now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void find_id(void)
{
        const char *p = strstr(out, "\"id\"");
        if (!p)
                return;
        p += 4;
        while (*p == ' ' || *p == ':')
                p++;
        if (*p++ != '"')
                return;
        size_t n = strcspn(p, "\"");
        if (n >= sizeof(id))
                return;
        memcpy(id, p, n);
        id[n] = '\0';
}

/* argv with "{id}" replaced; the strings are leaked (a few per command) */
static char **substitute(char **argv, int argc)
{
        static char *sub[ARGS_MAX + 1];
        for (int i = 0; i < argc && i < ARGS_MAX; i++) {
                const char *at = strstr(argv[i], "{id}");
                if (!at) {
                        sub[i] = argv[i];
                        continue;
                }
                size_t pre = (size_t)(at - argv[i]);
                char *s = malloc(strlen(argv[i]) + sizeof(id));
                if (!s) {
                        perror("spawn-time");
                        exit(1);
                }
                memcpy(s, argv[i], pre);
                strcpy(s + pre, id);
                strcat(s, at + 4);
                sub[i] = s;
        }
        sub[argc < ARGS_MAX ? argc : ARGS_MAX] = NULL;
        return sub;
}

static int run(char **argv, int fd, FILE *save, double *ms)
{
        posix_spawn_file_actions_t fa;
        pid_t pid;
        int status, rc;
        ssize_t n;

        if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
                perror("spawn-time: memfd");
                return -1;
        }
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fd, STDOUT_FILENO);
        double t0 = now_ms();
        rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (rc != 0) {
                fprintf(stderr, "spawn-time: cannot run '%s': %s\n", argv[0], strerror(rc));
                return -1;
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        perror("spawn-time: waitpid");
                        return -1;
                }
        *ms = now_ms() - t0;
        n = pread(fd, out, OUT_MAX, 0);
        out[n > 0 ? n : 0] = '\0';
        if (save)
                fputs(out, save);
        find_id();
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "spawn-time: '%s' exited %d\n", argv[0],
                        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
                return -1;
        }
        return 0;
}

int main(int argc, char **argv)
{
        double total = 0, ms[ARGS_MAX];
        int i = 1, steps = 0, fd;
        FILE *save = NULL;

        if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                fprintf(argc < 2 ? stderr : stdout,
                        "usage: spawn-time [-o FILE] CMD [ARG...] [+ CMD [ARG...]]...\n");
                return argc < 2 ? 2 : 0;
        }
        if (strcmp(argv[1], "-o") == 0) {
                if (argc < 4) {
                        fprintf(stderr, "spawn-time: -o needs a file and a command\n");
                        return 2;
                }
                save = fopen(argv[2], "we");
                if (!save) {
                        fprintf(stderr, "spawn-time: cannot write '%s': %s\n", argv[2],
                                strerror(errno));
                        return 1;
                }
                i = 3;
        }
        fd = memfd_create("spawn-time", MFD_CLOEXEC);
        if (fd < 0) {
                perror("spawn-time: memfd_create");
                return 1;
        }
        while (i < argc && steps < ARGS_MAX) {
                int start = i;
                while (i < argc && strcmp(argv[i], "+") != 0)
                        i++;
                if (i == start) {
                        fprintf(stderr, "spawn-time: an empty command before '+'\n");
                        return 2;
                }
                if (run(substitute(&argv[start], i - start), fd, save, &ms[steps]) < 0)
                        return 1;
                total += ms[steps++];
                i++;
        }
        if (save && fclose(save) != 0) {
                perror("spawn-time: -o");
                return 1;
        }
        for (int k = 0; k < steps; k++)
                printf("%.3f ", ms[k]);
        printf("%.3f\n", total);
        return 0;
}
