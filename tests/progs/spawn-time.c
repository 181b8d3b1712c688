/* spawn-time — how long a command takes as a whole process, from a C harness (bash's own
 * fork and exec cost more than what is measured).
 *
 *   spawn-time [-w MS] [-q] K CMD [ARG...] [';' CMD2 [ARG...]]...
 *
 * Runs the commands K times; each run spawns them one after another (posix_spawn, waitpid)
 * and is timed from the first spawn to the last exit. "%d" in an argument is replaced by the
 * run's number (1..K), so each run can name its own env. -w waits MS between runs (untimed:
 * what a command left running in the background settles), -q sends the commands' stdout to
 * /dev/null. A command that fails stops it (exit 1). Prints one line:
 *   runs K  p50 X ms  p95 Y ms  min Z ms  max W ms
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

/* argv with "%d" in each argument replaced by run (a fresh vector: free each string) */
static char **subst(char **argv, int n, int run)
{
        char **v = calloc((size_t)n + 1, sizeof *v);
        for (int i = 0; i < n; i++) {
                const char *p = strstr(argv[i], "%d");
                if (!p) {
                        v[i] = strdup(argv[i]);
                        continue;
                }
                size_t len = strlen(argv[i]) + 16;
                v[i] = malloc(len);
                snprintf(v[i], len, "%.*s%d%s", (int)(p - argv[i]), argv[i], run, p + 2);
        }
        return v;
}

int main(int argc, char **argv)
{
        int wait_ms = 0, quiet = 0, o;
        while ((o = getopt(argc, argv, "+w:q")) != -1) {
                if (o == 'w')
                        wait_ms = atoi(optarg);
                else if (o == 'q')
                        quiet = 1;
                else
                        return 2;
        }
        if (argc - optind < 2) {
                fprintf(stderr, "usage: spawn-time [-w MS] [-q] K CMD [ARG...] [';' CMD...]\n");
                return 2;
        }
        int k = atoi(argv[optind]);
        char **cmds = argv + optind + 1;
        int ncmds = argc - optind - 1;
        if (k < 1)
                return 2;
        double *t = calloc((size_t)k, sizeof *t);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        if (quiet)
                posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        for (int run = 1; run <= k; run++) {
                double t0 = now_ms();
                for (int i = 0; i < ncmds;) {
                        int j = i;
                        while (j < ncmds && strcmp(cmds[j], ";") != 0)
                                j++;
                        char **v = subst(cmds + i, j - i, run);
                        pid_t pid;
                        int st = 0;
                        if (posix_spawnp(&pid, v[0], &fa, NULL, v, environ) != 0 ||
                            waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                                fprintf(stderr, "spawn-time: run %d: '%s' failed\n", run, v[0]);
                                return 1;
                        }
                        for (int a = 0; v[a]; a++)
                                free(v[a]);
                        free(v);
                        i = j + 1;
                }
                t[run - 1] = now_ms() - t0;
                if (wait_ms && run < k)
                        usleep((useconds_t)wait_ms * 1000);
        }
        qsort(t, (size_t)k, sizeof *t, cmp);
        int p95 = (int)(0.95 * (k - 1) + 0.5);
        printf("runs %d  p50 %.2f ms  p95 %.2f ms  min %.2f ms  max %.2f ms\n", k, t[(k - 1) / 2],
               t[p95], t[0], t[k - 1]);
        return 0;
}
