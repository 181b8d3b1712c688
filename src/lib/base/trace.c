/* trace — named phases of a command, in milliseconds (trace.h). */
#include "base/trace.h"
#include "base/strbuf.h"
#include "base/util.h"

#include <string.h>

static struct vers_trace trace;

void vers_trace_reset(void)
{
        memset(&trace, 0, sizeof trace);
        trace.start = trace.last = vers_monotonic();
}

static struct vers_trace_phase *phase_named(const char *name)
{
        for (size_t i = 0; i < trace.n; i++)
                if (!strcmp(trace.phase[i].name, name))
                        return &trace.phase[i];
        if (trace.n == VERS_TRACE_MAX)
                return NULL;
        trace.phase[trace.n].name = name;
        trace.phase[trace.n].ms = 0;
        return &trace.phase[trace.n++];
}

void vers_trace_mark(const char *name)
{
        if (trace.start == 0)
                vers_trace_reset();
        double now = vers_monotonic();
        struct vers_trace_phase *p = phase_named(name);
        /* what vers_trace_add() gave may be more than has passed since the last mark */
        if (p && now > trace.last)
                p->ms += (now - trace.last) * 1000.0;
        if (now > trace.last)
                trace.last = now;
}

void vers_trace_add(const char *name, double ms)
{
        struct vers_trace_phase *p = phase_named(name);
        if (p)
                p->ms += ms;
        /* the caller's next mark measures from here: what was added is not counted twice */
        trace.last += ms / 1000.0;
}

const struct vers_trace *vers_trace_get(void)
{
        return &trace;
}

double vers_trace_total_ms(void)
{
        return trace.start == 0 ? 0 : (vers_monotonic() - trace.start) * 1000.0;
}

char *vers_trace_format(const struct vers_trace *t)
{
        struct strbuf sb = STRBUF_INIT;
        double sum = 0;
        for (size_t i = 0; i < t->n; i++) {
                strbuf_addf(&sb, "%s%s %.1f ms", i ? ", " : "", t->phase[i].name, t->phase[i].ms);
                sum += t->phase[i].ms;
        }
        strbuf_addf(&sb, "%stotal %.1f ms", t->n ? ", " : "", sum);
        return strbuf_detach(&sb);
}
