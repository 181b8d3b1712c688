/* trace — where a command's time goes: named phases, each the time since the last mark.
 *
 * Process-wide and cheap (a clock read per mark). 'vers branch --timings' prints the phases
 * of each new env; VERS_TRACE=1 makes main print every command's phases to stderr. */
#ifndef VERS_TRACE_H
#define VERS_TRACE_H

#include <stddef.h>

#define VERS_TRACE_MAX 24

struct vers_trace_phase {
        const char *name; /* a string literal */
        double ms;
};

struct vers_trace {
        struct vers_trace_phase phase[VERS_TRACE_MAX];
        size_t n;
        double start, last; /* seconds, vers_monotonic() */
};

/* Start counting from now, forgetting earlier marks. */
void vers_trace_reset(void);
/* The phase 'name' ended now: it took the time since the previous mark (or the reset). A
 * name marked again adds to its phase. */
void vers_trace_mark(const char *name);
/* Add ms to phase 'name': a part of the time since the last mark that was measured
 * elsewhere (by a child process); the next mark's phase gets the rest. */
void vers_trace_add(const char *name, double ms);
/* The phases so far, and the total since the reset. */
const struct vers_trace *vers_trace_get(void);
double vers_trace_total_ms(void);
/* "metadata 0.4 ms, snapshot 3.1 ms, ..., total 71.0 ms" (malloc'd) */
char *vers_trace_format(const struct vers_trace *t);

#endif
