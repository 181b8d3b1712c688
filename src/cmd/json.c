/* json — the --json output: documents are json_t values, written by jansson. */
#include "cli.h"

#include <string.h>

/* Length of the UTF-8 sequence at s (at most n bytes), 0 if it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
        if (s[0] < 0x80)
                return 1;
        size_t len = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
        if (len == 0 || len > n || (len == 3 && s[0] > 0xef))
                return 0;
        for (size_t i = 1; i < len; i++)
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
        /* overlong forms, surrogates and what lies beyond U+10FFFF */
        if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
            (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
                return 0;
        return len;
}

json_t *cli_json_str(const char *s)
{
        if (!s)
                return json_null();
        size_t n = strlen(s);
        /* what commands print (a test's output) is whatever bytes they wrote */
        struct strbuf sb = STRBUF_INIT;
        for (size_t i = 0; i < n;) {
                size_t l = utf8_len((const unsigned char *)s + i, n - i);
                if (l == 0) {
                        strbuf_addstr(&sb, "\xef\xbf\xbd");
                        i++;
                } else {
                        strbuf_add(&sb, s + i, l);
                        i += l;
                }
        }
        json_t *v = json_stringn(sb.buf, sb.len);
        strbuf_release(&sb);
        return v;
}

json_t *cli_json_text(const char *s)
{
        return cli_json_str(s ? s : "");
}

json_t *cli_json_ms(double v)
{
        long long ms = (long long)(v * 1000 + (v < 0 ? -0.5 : 0.5));
        return json_real((double)ms / 1000);
}

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
