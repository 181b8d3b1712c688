/* json — see json.h. */
#include "base/json.h"
#include "base/strbuf.h"
#include "base/util.h"

/* length of the valid UTF-8 sequence at p (NUL-terminated), 0 if there is none */
static size_t utf8_seq(const unsigned char *p)
{
        unsigned char c = p[0];
        if (c < 0x80)
                return 1;
        unsigned char lo = 0x80, hi = 0xbf;
        size_t n;
        if (c >= 0xc2 && c <= 0xdf) {
                n = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
                n = 3;
                if (c == 0xe0)
                        lo = 0xa0;
                if (c == 0xed)
                        hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
                n = 4;
                if (c == 0xf0)
                        lo = 0x90;
                if (c == 0xf4)
                        hi = 0x8f;
        } else {
                return 0;
        }
        if (p[1] < lo || p[1] > hi)
                return 0;
        for (size_t i = 2; i < n; i++)
                if (p[i] < 0x80 || p[i] > 0xbf)
                        return 0;
        return n;
}

json_t *vers_json_str(const char *s)
{
        if (!s)
                return json_null();
        json_t *j = json_string(s); /* NULL when s is not valid UTF-8 */
        if (j)
                return j;
        struct strbuf sb = STRBUF_INIT;
        for (const unsigned char *p = (const unsigned char *)s; *p;) {
                size_t n = utf8_seq(p);
                if (n) {
                        strbuf_add(&sb, p, n);
                        p += n;
                } else {
                        strbuf_addstr(&sb, "\xef\xbf\xbd");
                        p++;
                }
        }
        j = json_stringn(sb.buf, sb.len);
        strbuf_release(&sb);
        if (!j)
                vers_abort("out of memory");
        return j;
}

json_t *vers_json_text(const char *s)
{
        return vers_json_str(s ? s : "");
}

json_t *vers_json_trace(const struct vers_trace *t)
{
        json_t *o = json_object();
        if (!o)
                vers_abort("out of memory");
        double sum = 0;
        for (size_t i = 0; i < t->n; i++) {
                /* ms with 0.1 ms resolution */
                json_object_set_new(o, t->phase[i].name,
                                    json_real((double)(long long)(t->phase[i].ms * 10 + 0.5) / 10));
                sum += t->phase[i].ms;
        }
        json_object_set_new(o, "total", json_real((double)(long long)(sum * 10 + 0.5) / 10));
        return o;
}

json_t *vers_json_seconds(double s)
{
        long long ms = (long long)(s * 1000 + (s < 0 ? -0.5 : 0.5));
        json_t *j = json_real((double)ms / 1000);
        if (!j)
                vers_abort("out of memory");
        return j;
}
