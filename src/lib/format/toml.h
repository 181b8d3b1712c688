/* toml — a strict parser for the subset of TOML that vers.toml uses.
 *
 * Accepted: comments, [table] and [dotted.table] headers, bare / "basic" / 'literal' keys,
 * dotted keys (a.b = 1), single-line basic strings (escapes \b \t \n \f \r \" \\ \uXXXX
 * \UXXXXXXXX) and literal strings, decimal integers (sign, underscores between digits),
 * booleans and arrays (nested up to VERS_TOML_MAX_DEPTH, multi-line, trailing comma,
 * comments inside). Everything else that TOML allows (floats, dates and times, inline
 * tables, arrays of tables, multi-line strings, hex/octal/binary integers) is refused by
 * name, and every error reads "FILE:LINE:COL: what is wrong" (1-based, columns count
 * characters).
 *
 * The document is a tree of vers_toml_value nodes owned by its root. A table keeps its
 * entries in the order the keys first appeared. Strings are valid UTF-8 without NUL bytes.
 * Every value carries the line and column where it was written: for a table, the position
 * of the header or key that defined it (or first mentioned it, for implicit tables).
 */
#ifndef VERS_TOML_H
#define VERS_TOML_H

#include "base/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Arrays nest at most this deep; a key (or header) has at most this many dotted parts. */
#define VERS_TOML_MAX_DEPTH 32

enum vers_toml_type {
        VERS_TOML_TABLE,
        VERS_TOML_STRING,
        VERS_TOML_INTEGER,
        VERS_TOML_BOOLEAN,
        VERS_TOML_ARRAY,
};

struct vers_toml_value;

struct vers_toml_entry {
        char *key;
        unsigned line, col; /* where the key was first written */
        struct vers_toml_value *value;
};

struct vers_toml_value {
        enum vers_toml_type type;
        unsigned line, col;
        union {
                struct {
                        struct vers_toml_entry *entries;
                        size_t n;
                        size_t alloc; /* parser bookkeeping */
                        int origin;   /* parser bookkeeping: implicit, header or dotted */
                } table;
                char *string;
                int64_t integer;
                bool boolean;
                struct {
                        struct vers_toml_value **items;
                        size_t n;
                        size_t alloc; /* parser bookkeeping */
                } array;
        };
};

/* Parse a NUL-terminated document. On success *out is the root table (free it with
 * vers_toml_free). filename is used in messages only (NULL reads "<input>"). */
int vers_toml_parse(const char *text, const char *filename, struct vers_toml_value **out,
                    vers_error_t *err);
/* The same for len bytes of text (text[len] need not be NUL); a NUL byte inside is an error. */
int vers_toml_parse_len(const char *text, size_t len, const char *filename,
                        struct vers_toml_value **out, vers_error_t *err);

/* The entry / value for key in table, or NULL if absent or table is not a table. */
const struct vers_toml_entry *vers_toml_find(const struct vers_toml_value *table, const char *key);
const struct vers_toml_value *vers_toml_get(const struct vers_toml_value *table, const char *key);
/* Follow a dotted path of bare keys ("services.postgres.settings"); NULL if any part is
 * missing or not a table along the way. */
const struct vers_toml_value *vers_toml_get_path(const struct vers_toml_value *root,
                                                 const char *path);

/* "table", "string", "integer", "boolean" or "array" */
const char *vers_toml_type_name(enum vers_toml_type type);

void vers_toml_free(struct vers_toml_value *v);
void vers_toml_freep(struct vers_toml_value **v);
#define _cleanup_toml_ __attribute__((cleanup(vers_toml_freep)))

#endif
