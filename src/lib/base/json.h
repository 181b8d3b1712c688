/* json — values for the JSON documents vers writes (jansson): strings from whatever bytes a
 * program printed, and durations. */
#ifndef VERS_JSON_H
#define VERS_JSON_H

#include <jansson.h>

#include "base/trace.h"

/* A JSON string of s; each byte that is not part of valid UTF-8 (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF), which JSON must be, becomes U+FFFD. NULL: null. */
json_t *vers_json_str(const char *s);
/* The same, but NULL is "". */
json_t *vers_json_text(const char *s);
/* seconds, rounded to the millisecond */
json_t *vers_json_seconds(double s);
/* {phase: ms, ..., "total": ms} of a trace (base/trace.h) */
json_t *vers_json_trace(const struct vers_trace *t);

#endif
