/* str — small string predicates. */
#include "base/util.h"
#include "base/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

char *str_first_line(char *s)
{
        if (s)
                s[strcspn(s, "\n")] = '\0';
        return s;
}

bool str_endswith(const char *s, const char *suffix)
{
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

bool str_startswith(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_is_var_name(const char *s)
{
        bool ok = (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_';
        for (const char *p = s; ok && *p; p++)
                ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                     (*p >= '0' && *p <= '9') || *p == '_';
        return ok;
}

/* one unit of a duration: its letter and its seconds */
static const struct {
        char unit;
        int64_t seconds;
} duration_units[] = {{'w', 604800}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};

int vers_duration_parse(const char *s, int64_t *seconds)
{
        int64_t total = 0;
        size_t last = 0; /* units must come largest first, each once: "1h30m", not "30m1h" */
        if (!s || !*s)
                return -1;
        if (strcmp(s, "0") == 0) {
                *seconds = 0;
                return 0;
        }
        for (const char *p = s; *p;) {
                if (*p < '0' || *p > '9')
                        return -1;
                int64_t n = 0;
                for (; *p >= '0' && *p <= '9'; p++) {
                        n = n * 10 + (*p - '0');
                        if (n > VERS_DURATION_MAX)
                                return -1;
                }
                size_t u = last;
                while (u < sizeof duration_units / sizeof *duration_units &&
                       duration_units[u].unit != *p)
                        u++;
                if (u == sizeof duration_units / sizeof *duration_units)
                        return -1;
                total += n * duration_units[u].seconds;
                if (total > VERS_DURATION_MAX)
                        return -1;
                last = u + 1;
                p++;
        }
        *seconds = total;
        return 0;
}

char *vers_duration_format(int64_t seconds)
{
        if (seconds <= 0)
                return xstrdup("0s");
        struct strbuf sb = STRBUF_INIT;
        int parts = 0;
        /* the two largest units that are not zero: "1d4h", "2h5m", "59s" */
        for (size_t u = 0; u < sizeof duration_units / sizeof *duration_units && parts < 2; u++) {
                int64_t n = seconds / duration_units[u].seconds;
                if (n == 0 && parts == 0)
                        continue;
                if (n)
                        strbuf_addf(&sb, "%lld%c", (long long)n, duration_units[u].unit);
                seconds -= n * duration_units[u].seconds;
                parts++;
        }
        return strbuf_detach(&sb);
}
