/* json — the --json output: documents are json_t values, written by jansson. */
#include "cli.h"

#include <string.h>

/* significant digits enough for any duration rounded to the millisecond */
#define DUMP_FLAGS (JSON_ENCODE_ANY | JSON_REAL_PRECISION(15))

static bool is_record_list(json_t *v)
{
        if (!json_is_array(v) || json_array_size(v) == 0)
                return false;
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) if (!json_is_object(e)) return false;
        return true;
}

static bool holds_record_list(json_t *v)
{
        const char *k;
        json_t *m;
        if (is_record_list(v))
                return true;
        if (json_is_object(v))
                json_object_foreach(v, k, m) if (is_record_list(m)) return true;
        return false;
}

static int dump(json_t *v, FILE *f);

static int dump_plain(json_t *v, FILE *f)
{
        return json_dumpf(v, f, DUMP_FLAGS);
}

/* a record list one record a line; an object holding one, member by member; the rest as
 * jansson writes it (its separators are ", " and ": ") */
static int dump(json_t *v, FILE *f)
{
        if (!holds_record_list(v))
                return dump_plain(v, f);
        size_t i;
        json_t *e;
        if (json_is_array(v)) {
                fputc('[', f);
                json_array_foreach(v, i, e)
                {
                        fputs(i ? ",\n  " : "\n  ", f);
                        if (dump_plain(e, f) < 0)
                                return -1;
                }
                fputs("\n]", f);
                return 0;
        }
        const char *k;
        bool first = true;
        fputc('{', f);
        json_object_foreach(v, k, e)
        {
                json_t *key = json_string(k);
                fputs(first ? "" : ", ", f);
                first = false;
                int r = dump_plain(key, f);
                json_decref(key);
                fputs(": ", f);
                if (r < 0 || (is_record_list(e) ? dump(e, f) : dump_plain(e, f)) < 0)
                        return -1;
        }
        fputc('}', f);
        return 0;
}

int cli_json_dumpf(json_t *doc, FILE *f)
{
        return doc ? dump(doc, f) : -1;
}

int cli_json_print(json_t *doc, vers_error_t *err)
{
        int r = cli_json_dumpf(doc, stdout);
        json_decref(doc);
        if (r < 0)
                return vers_make_error(err, 0, "cannot write the JSON output");
        fputc('\n', stdout);
        return 0;
}
