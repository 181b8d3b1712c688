/* Unit tests for src/lib/format/toml.c: the accepted subset, every refused feature and every
 * error's FILE:LINE:COL. The error cases are a table; each row is its own cmocka test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "table_tests.h"

#include <stdio.h>
#include <string.h>

#include "base/strbuf.h"
#include "format/toml.h"
#include "base/util.h"

static struct vers_toml_value *parse_ok(const char *text)
{
        vers_error_t err = NULL;
        struct vers_toml_value *root = NULL;
        if (vers_toml_parse(text, "t.toml", &root, &err) < 0) {
                print_error("unexpected error: %s\n--- input:\n%s\n", err->msg, text);
                vers_error_free(&err);
                fail();
        }
        assert_null(err);
        assert_non_null(root);
        assert_int_equal(root->type, VERS_TOML_TABLE);
        return root;
}

static void expect_error(const char *text, const char *msg)
{
        vers_error_t err = NULL;
        struct vers_toml_value *root = (struct vers_toml_value *)&err; /* must become NULL */
        assert_int_equal(vers_toml_parse(text, "t.toml", &root, &err), -1);
        assert_null(root);
        assert_non_null(err);
        if (strcmp(err->msg, msg) != 0) {
                print_error("input:\n%s\nexpected: %s\n     got: %s\n", text, msg, err->msg);
                vers_error_free(&err);
                fail();
        }
        vers_error_free(&err);
}

static const struct vers_toml_value *get(const struct vers_toml_value *root, const char *path,
                                         enum vers_toml_type type)
{
        const struct vers_toml_value *v = vers_toml_get_path(root, path);
        if (!v) {
                print_error("no value at '%s'\n", path);
                fail();
        }
        assert_int_equal(v->type, type);
        return v;
}

static const char *get_str(const struct vers_toml_value *root, const char *path)
{
        return get(root, path, VERS_TOML_STRING)->string;
}

static int64_t get_int(const struct vers_toml_value *root, const char *path)
{
        return get(root, path, VERS_TOML_INTEGER)->integer;
}

static void assert_pos(const struct vers_toml_value *v, unsigned line, unsigned col)
{
        assert_int_equal(v->line, line);
        assert_int_equal(v->col, col);
}

/* the seed's vers.toml, as the example project has it */
#include "seed_toml.h"

static void test_vers_toml(void **state)
{
        (void)state;
        struct vers_toml_value *root = parse_ok(vers_toml);

        assert_int_equal(root->table.n, 3);
        assert_string_equal(root->table.entries[0].key, "vm");
        assert_string_equal(root->table.entries[1].key, "storage");
        assert_string_equal(root->table.entries[2].key, "services");

        assert_int_equal(get_int(root, "vm.memory_mib"), 2048);
        assert_pos(vers_toml_get_path(root, "vm.memory_mib"), 2, 14);
        assert_int_equal(get_int(root, "vm.vcpu"), 1);
        assert_pos(vers_toml_get_path(root, "vm.vcpu"), 3, 8);
        assert_int_equal(get_int(root, "storage.cluster_mib"), 8000);
        assert_int_equal(get_int(root, "storage.vm_mib"), 4000);
        assert_pos(vers_toml_get_path(root, "storage.vm_mib"), 7, 10);

        const struct vers_toml_value *pg = get(root, "services.postgres", VERS_TOML_TABLE);
        assert_pos(pg, 9, 11);
        assert_int_equal(pg->table.n, 4);
        assert_string_equal(pg->table.entries[0].key, "template");
        assert_string_equal(pg->table.entries[1].key, "databases");
        assert_string_equal(pg->table.entries[2].key, "extensions");
        assert_string_equal(pg->table.entries[3].key, "settings");
        assert_string_equal(get_str(root, "services.postgres.template"), "postgres@15");
        assert_pos(vers_toml_get_path(root, "services.postgres.template"), 10, 12);

        const struct vers_toml_value *dbs =
            get(root, "services.postgres.databases", VERS_TOML_ARRAY);
        assert_int_equal(dbs->array.n, 2);
        assert_string_equal(dbs->array.items[0]->string, "app");
        assert_pos(dbs->array.items[0], 11, 14);
        assert_string_equal(dbs->array.items[1]->string, "test");
        assert_pos(dbs->array.items[1], 11, 21);
        const struct vers_toml_value *ext =
            get(root, "services.postgres.extensions", VERS_TOML_ARRAY);
        assert_int_equal(ext->array.n, 2);
        assert_string_equal(ext->array.items[0]->string, "uuid-ossp");
        assert_string_equal(ext->array.items[1]->string, "pg_trgm");

        const struct vers_toml_value *set =
            get(root, "services.postgres.settings", VERS_TOML_TABLE);
        assert_int_equal(set->table.n, 2);
        assert_string_equal(set->table.entries[0].key, "shared_buffers");
        assert_int_equal(set->table.entries[0].line, 15);
        assert_int_equal(set->table.entries[0].col, 1);
        assert_string_equal(get_str(root, "services.postgres.settings.shared_buffers"), "256MB");
        assert_string_equal(get_str(root, "services.postgres.settings.work_mem"), "16MB");
        vers_toml_free(root);
}

static void test_empty_documents(void **state)
{
        (void)state;
        const char *docs[] = {
            "",     "\n\n",         "# only a comment",   "  # comment\n\t\n# another\n",
            "\r\n", "\xEF\xBB\xBF", "\xEF\xBB\xBF# bom\n"};
        for (size_t i = 0; i < sizeof(docs) / sizeof(*docs); i++) {
                struct vers_toml_value *root = parse_ok(docs[i]);
                assert_int_equal(root->table.n, 0);
                vers_toml_free(root);
        }
}

static void test_comments(void **state)
{
        (void)state;
        struct vers_toml_value *root = parse_ok("# top\n"
                                                "a = 1 # after a value\n"
                                                "[t] # after a header\n"
                                                "  # indented\n"
                                                "b = \"# not a comment\" #\n"
                                                "c = 'x#y'#no space\n"
                                                "# ünïcödé comment, with \t tab\n");
        assert_int_equal(get_int(root, "a"), 1);
        assert_string_equal(get_str(root, "t.b"), "# not a comment");
        assert_string_equal(get_str(root, "t.c"), "x#y");
        vers_toml_free(root);
}

static void test_keys(void **state)
{
        (void)state;
        struct vers_toml_value *root = parse_ok("bare_key-1 = 1\n"
                                                "1234 = 2\n"
                                                "\"quoted key\" = 3\n"
                                                "'literal \\key' = 4\n"
                                                "\"\" = 5\n"
                                                "\"\\u00e9t\\u00e9\" = 6\n"
                                                "\t  spaced   =   7  \n");
        assert_int_equal(get_int(root, "bare_key-1"), 1);
        assert_int_equal(get_int(root, "1234"), 2);
        assert_int_equal(vers_toml_get(root, "quoted key")->integer, 3);
        assert_int_equal(vers_toml_get(root, "literal \\key")->integer, 4);
        assert_int_equal(vers_toml_get(root, "")->integer, 5);
        assert_int_equal(vers_toml_get(root, "\xC3\xA9t\xC3\xA9")->integer, 6);
        assert_int_equal(get_int(root, "spaced"), 7);
        assert_pos(vers_toml_get(root, "spaced"), 7, 17);
        assert_int_equal(root->table.entries[6].col, 4);
        vers_toml_free(root);
}

static void test_dotted_keys(void **state)
{
        (void)state;
        struct vers_toml_value *root = parse_ok("a.b.c = 1\n"
                                                "a.b.d = 2\n"
                                                "a . \"x y\" . 'z' = 3\n"
                                                "[t]\n"
                                                "u.v = true\n"
                                                "u.w = false\n");
        assert_int_equal(get_int(root, "a.b.c"), 1);
        assert_int_equal(get_int(root, "a.b.d"), 2);
        const struct vers_toml_value *a = get(root, "a", VERS_TOML_TABLE);
        assert_int_equal(a->table.n, 2);
        assert_string_equal(a->table.entries[1].key, "x y");
        assert_int_equal(vers_toml_get(a->table.entries[1].value, "z")->integer, 3);
        assert_true(get(root, "t.u.v", VERS_TOML_BOOLEAN)->boolean);
        assert_false(get(root, "t.u.w", VERS_TOML_BOOLEAN)->boolean);
        assert_pos(a, 1, 1);
        assert_pos(get(root, "a.b", VERS_TOML_TABLE), 1, 3);
        vers_toml_free(root);
}

static void test_tables(void **state)
{
        (void)state;
        struct vers_toml_value *root = parse_ok("[a.b.c]\n"
                                                "x = 1\n"
                                                "[a]\n" /* defines the implicit table */
                                                "y = 2\n"
                                                "[ a . \"q r\" ]\n"
                                                "z = 3\n"
                                                "[a.b]\n"
                                                "w = 4\n");
        assert_int_equal(get_int(root, "a.b.c.x"), 1);
        assert_int_equal(get_int(root, "a.y"), 2);
        assert_int_equal(get_int(root, "a.b.w"), 4);
        const struct vers_toml_value *a = get(root, "a", VERS_TOML_TABLE);
        assert_pos(a, 3, 2); /* where [a] defined it, not where [a.b.c] mentioned it */
        assert_int_equal(root->table.entries[0].line, 1);
        assert_int_equal(a->table.n, 3);
        assert_string_equal(a->table.entries[0].key, "b");
        assert_string_equal(a->table.entries[1].key, "y");
        assert_string_equal(a->table.entries[2].key, "q r");
        assert_pos(a->table.entries[2].value, 5, 7);
        assert_int_equal(vers_toml_get(a->table.entries[2].value, "z")->integer, 3);
        vers_toml_free(root);
}

static void test_subtable_of_dotted_table(void **state)
{
        (void)state;
        /* the TOML spec's own example: a header may add a sub-table to a dotted table */
        struct vers_toml_value *root = parse_ok("[fruit]\n"
                                                "apple.color = \"red\"\n"
                                                "apple.taste.sweet = true\n"
                                                "[fruit.apple.texture]\n"
                                                "smooth = true\n");
        assert_string_equal(get_str(root, "fruit.apple.color"), "red");
        assert_true(get(root, "fruit.apple.taste.sweet", VERS_TOML_BOOLEAN)->boolean);
        assert_true(get(root, "fruit.apple.texture.smooth", VERS_TOML_BOOLEAN)->boolean);
        vers_toml_free(root);
}

static void test_strings(void **state)
{
        (void)state;
        struct vers_toml_value *root = parse_ok("a = \"tab\\there \\\"q\\\" back\\\\slash\\nnew\"\n"
                                                "b = \"\\b\\f\\r\"\n"
                                                "c = \"\\u00E9\\u20ac\\U0001F600\\u007f\"\n"
                                                "d = 'C:\\Users\\no \"escapes\"'\n"
                                                "e = \"\"\n"
                                                "f = ''\n"
                                                "g = \"literal\ttab and \xC3\xA9\"\n"
                                                "h = \"#\"\n");
        assert_string_equal(get_str(root, "a"), "tab\there \"q\" back\\slash\nnew");
        assert_string_equal(get_str(root, "b"), "\b\f\r");
        assert_string_equal(get_str(root, "c"), "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\x7F");
        assert_string_equal(get_str(root, "d"), "C:\\Users\\no \"escapes\"");
        assert_string_equal(get_str(root, "e"), "");
        assert_string_equal(get_str(root, "f"), "");
        assert_string_equal(get_str(root, "g"), "literal\ttab and \xC3\xA9");
        assert_string_equal(get_str(root, "h"), "#");
        vers_toml_free(root);
}

static void test_integers(void **state)
{
        (void)state;
        struct vers_toml_value *root = parse_ok("a = 0\n"
                                                "b = +0\n"
                                                "c = -0\n"
                                                "d = 42\n"
                                                "e = +17\n"
                                                "f = -17\n"
                                                "g = 1_000_000\n"
                                                "h = 5_3_4\n"
                                                "max = 9223372036854775807\n"
                                                "min = -9223372036854775808\n"
                                                "u = 9_223_372_036_854_775_807\n");
        assert_int_equal(get_int(root, "a"), 0);
        assert_int_equal(get_int(root, "b"), 0);
        assert_int_equal(get_int(root, "c"), 0);
        assert_int_equal(get_int(root, "d"), 42);
        assert_int_equal(get_int(root, "e"), 17);
        assert_int_equal(get_int(root, "f"), -17);
        assert_int_equal(get_int(root, "g"), 1000000);
        assert_int_equal(get_int(root, "h"), 534);
        assert_true(get_int(root, "max") == INT64_MAX);
        assert_true(get_int(root, "min") == INT64_MIN);
        assert_true(get_int(root, "u") == INT64_MAX);
        vers_toml_free(root);
}

static void test_booleans(void **state)
{
        (void)state;
        struct vers_toml_value *root = parse_ok("t = true\nf = false\n");
        assert_true(get(root, "t", VERS_TOML_BOOLEAN)->boolean);
        assert_false(get(root, "f", VERS_TOML_BOOLEAN)->boolean);
        vers_toml_free(root);
}

static void test_arrays(void **state)
{
        (void)state;
        struct vers_toml_value *root = parse_ok("empty = []\n"
                                                "empty2 = [ \n # nothing\n ]\n"
                                                "ints = [1, -2, 3_0]\n"
                                                "trailing = [\"a\", \"b\",]\n"
                                                "multi = [\n"
                                                "  \"x\", # first\n"
                                                "  # a comment line\n"
                                                "  'y'\n"
                                                "  ,\n"
                                                "  true,\n"
                                                "]\n"
                                                "nested = [[1, 2], [\"a\"], [], [[false]]]\n"
                                                "crlf = [\r\n 1,\r\n 2\r\n]\r\n");
        assert_int_equal(get(root, "empty", VERS_TOML_ARRAY)->array.n, 0);
        assert_int_equal(get(root, "empty2", VERS_TOML_ARRAY)->array.n, 0);
        const struct vers_toml_value *ints = get(root, "ints", VERS_TOML_ARRAY);
        assert_int_equal(ints->array.n, 3);
        assert_int_equal(ints->array.items[1]->integer, -2);
        assert_int_equal(ints->array.items[2]->integer, 30);
        assert_int_equal(get(root, "trailing", VERS_TOML_ARRAY)->array.n, 2);
        const struct vers_toml_value *multi = get(root, "multi", VERS_TOML_ARRAY);
        assert_int_equal(multi->array.n, 3);
        assert_string_equal(multi->array.items[0]->string, "x");
        assert_pos(multi->array.items[0], 8, 3);
        assert_string_equal(multi->array.items[1]->string, "y");
        assert_pos(multi->array.items[1], 10, 3);
        assert_int_equal(multi->array.items[2]->type, VERS_TOML_BOOLEAN);
        assert_pos(multi->array.items[2], 12, 3);
        const struct vers_toml_value *nested = get(root, "nested", VERS_TOML_ARRAY);
        assert_int_equal(nested->array.n, 4);
        assert_int_equal(nested->array.items[0]->array.n, 2);
        assert_int_equal(nested->array.items[3]->array.items[0]->array.items[0]->type,
                         VERS_TOML_BOOLEAN);
        assert_int_equal(get(root, "crlf", VERS_TOML_ARRAY)->array.n, 2);
        vers_toml_free(root);
}

static char *nested_array(int depth)
{
        struct strbuf sb = STRBUF_INIT;
        strbuf_addstr(&sb, "a = ");
        for (int i = 0; i < depth; i++)
                strbuf_addch(&sb, '[');
        strbuf_addch(&sb, '1');
        for (int i = 0; i < depth; i++)
                strbuf_addch(&sb, ']');
        strbuf_addch(&sb, '\n');
        return strbuf_detach(&sb);
}

static void test_array_depth_limit(void **state)
{
        (void)state;
        _cleanup_free_ char *ok = nested_array(VERS_TOML_MAX_DEPTH);
        struct vers_toml_value *root = parse_ok(ok);
        vers_toml_free(root);

        _cleanup_free_ char *deep = nested_array(VERS_TOML_MAX_DEPTH + 1);
        expect_error(deep, "t.toml:1:37: arrays nested too deeply (limit 32)");

        /* a huge nesting fails at the limit instead of recursing */
        _cleanup_free_ char *huge = nested_array(100000);
        expect_error(huge, "t.toml:1:37: arrays nested too deeply (limit 32)");
}

static char *dotted_key(int parts, bool header)
{
        struct strbuf sb = STRBUF_INIT;
        if (header)
                strbuf_addch(&sb, '[');
        for (int i = 0; i < parts; i++)
                strbuf_addstr(&sb, i ? ".k" : "k");
        strbuf_addstr(&sb, header ? "]\n" : " = 1\n");
        return strbuf_detach(&sb);
}

static void test_key_parts_limit(void **state)
{
        (void)state;
        _cleanup_free_ char *key = dotted_key(VERS_TOML_MAX_DEPTH, false);
        _cleanup_free_ char *header = dotted_key(VERS_TOML_MAX_DEPTH, true);
        struct vers_toml_value *root = parse_ok(key);
        vers_toml_free(root);
        root = parse_ok(header);
        vers_toml_free(root);

        _cleanup_free_ char *long_key = dotted_key(VERS_TOML_MAX_DEPTH + 1, false);
        _cleanup_free_ char *long_header = dotted_key(VERS_TOML_MAX_DEPTH + 1, true);
        expect_error(long_key, "t.toml:1:65: too many dotted parts (limit 32)");
        expect_error(long_header, "t.toml:1:66: too many dotted parts (limit 32)");

        /* the deepest tree: a 32-part header, then a 32-part dotted key under it */
        struct strbuf sb = STRBUF_INIT;
        strbuf_addstr(&sb, header);
        strbuf_addstr(&sb, key);
        root = parse_ok(sb.buf);
        vers_toml_free(root);
        strbuf_release(&sb);
}

static void test_long_line(void **state)
{
        (void)state;
        /* one line of 100000 values and a 200000-character string: column bookkeeping must
         * stay linear (it once counted columns per byte, from the start of the line) */
        struct strbuf sb = STRBUF_INIT;
        strbuf_addstr(&sb, "a = [");
        for (int i = 0; i < 100000; i++)
                strbuf_addstr(&sb, "1, ");
        strbuf_addstr(&sb, "]\nb = \"");
        for (int i = 0; i < 200000; i++)
                strbuf_addstr(&sb, "\xC3\xA9");
        strbuf_addstr(&sb, "\" x\n");
        expect_error(sb.buf, "t.toml:2:200008: expected end of line after value, found 'x'");
        sb.len -= 3; /* drop the stray " x\n" */
        sb.buf[sb.len] = '\0';
        strbuf_addch(&sb, '\n');
        struct vers_toml_value *root = parse_ok(sb.buf);
        assert_int_equal(get(root, "a", VERS_TOML_ARRAY)->array.n, 100000);
        assert_pos(get(root, "a", VERS_TOML_ARRAY)->array.items[99999], 1, 6 + 3 * 99999);
        assert_int_equal(strlen(get_str(root, "b")), 400000);
        vers_toml_free(root);
        strbuf_release(&sb);
}

static void test_crlf(void **state)
{
        (void)state;
        struct vers_toml_value *root = parse_ok("[t]\r\na = 1\r\n# c\r\nb = \"x\"\r\n");
        assert_int_equal(get_int(root, "t.a"), 1);
        assert_string_equal(get_str(root, "t.b"), "x");
        assert_pos(vers_toml_get_path(root, "t.b"), 4, 5);
        vers_toml_free(root);
        expect_error("a = 1\r\nb = 1.5\r\n", "t.toml:2:5: floats are not supported");
}

static void test_utf8_columns(void **state)
{
        (void)state;
        /* columns count characters, not bytes */
        expect_error("k = \"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\" x\n",
                     "t.toml:1:11: expected end of line after value, found 'x'");
        expect_error("\"\xC3\xA9\" = 1\n\"\xC3\xA9\" = 2\n",
                     "t.toml:2:1: duplicate key '\"\xC3\xA9\"' (first defined on line 1)");
}

static void test_parse_len(void **state)
{
        (void)state;
        vers_error_t err = NULL;
        struct vers_toml_value *root = NULL;

        /* not NUL-terminated: only the first len bytes count */
        const char text[] = "a = 1\nb = 2garbage";
        assert_int_equal(vers_toml_parse_len(text, 11, "t.toml", &root, &err), 0);
        assert_int_equal(get_int(root, "a"), 1);
        assert_int_equal(get_int(root, "b"), 2);
        vers_toml_free(root);

        /* a string cut short by len is unterminated, not read past */
        char cut[] = {'a', ' ', '=', ' ', '"', 'x'};
        assert_int_equal(vers_toml_parse_len(cut, sizeof(cut), "t.toml", &root, &err), -1);
        assert_string_equal(err->msg, "t.toml:1:5: unterminated string");
        vers_error_free(&err);

        char three[] = {'a', '=', '"', '"'}; /* peeking for '"""' must stop at len */
        assert_int_equal(vers_toml_parse_len(three, sizeof(three), "t.toml", &root, &err), 0);
        assert_string_equal(get_str(root, "a"), "");
        vers_toml_free(root);

        const char nul[] = "a = 1\nb = \"x\0y\"\n";
        assert_int_equal(vers_toml_parse_len(nul, sizeof(nul) - 1, "t.toml", &root, &err), -1);
        assert_null(root);
        assert_string_equal(err->msg, "t.toml:2:7: NUL byte in input");
        vers_error_free(&err);

        assert_int_equal(vers_toml_parse_len("", 0, NULL, &root, &err), 0);
        vers_toml_free(root);
        assert_int_equal(vers_toml_parse("a = ", NULL, &root, &err), -1);
        assert_string_equal(err->msg, "<input>:1:5: expected a value, found end of file");
        vers_error_free(&err);
}

static void test_lookup(void **state)
{
        (void)state;
        struct vers_toml_value *root = parse_ok("x = 1\n[a.b]\nc = \"d\"\n");
        assert_null(vers_toml_get(root, "nope"));
        assert_null(vers_toml_get_path(root, "a.nope"));
        assert_null(vers_toml_get_path(root, "x.y")); /* x is not a table */
        assert_null(vers_toml_get_path(root, "a.b.c.d"));
        assert_null(vers_toml_get(NULL, "x"));
        assert_null(vers_toml_get(vers_toml_get(root, "x"), "x"));
        const struct vers_toml_entry *e = vers_toml_find(vers_toml_get(root, "a"), "b");
        assert_non_null(e);
        assert_string_equal(e->key, "b");
        assert_int_equal(e->line, 2);
        assert_int_equal(e->col, 4);
        assert_string_equal(get_str(root, "a.b.c"), "d");
        assert_string_equal(vers_toml_type_name(VERS_TOML_TABLE), "table");
        assert_string_equal(vers_toml_type_name(VERS_TOML_STRING), "string");
        assert_string_equal(vers_toml_type_name(VERS_TOML_INTEGER), "integer");
        assert_string_equal(vers_toml_type_name(VERS_TOML_BOOLEAN), "boolean");
        assert_string_equal(vers_toml_type_name(VERS_TOML_ARRAY), "array");
        vers_toml_free(root);
        vers_toml_free(NULL);

        _cleanup_toml_ struct vers_toml_value *auto_freed = parse_ok("a = [1]\n");
        assert_non_null(auto_freed);
}

static void test_error_with_null_err(void **state)
{
        (void)state;
        struct vers_toml_value *root = NULL;
        assert_int_equal(vers_toml_parse("a = 1.5", "t.toml", &root, NULL), -1);
        assert_null(root);
}

struct bad {
        const char *name;
        const char *text;
        const char *msg;
};

static const struct bad bad_cases[] = {
    /* refused by name */
    {"float", "a = 1.5", "t.toml:1:5: floats are not supported"},
    {"float in section", "[vm]\nx = 1\nmemory = 3.14\n", "t.toml:3:10: floats are not supported"},
    {"float exponent", "a = 1e5", "t.toml:1:5: floats are not supported"},
    {"float exponent upper", "a = 6E-2", "t.toml:1:5: floats are not supported"},
    {"float negative", "a = -0.5", "t.toml:1:5: floats are not supported"},
    {"float underscore", "a = 1_000.5", "t.toml:1:5: floats are not supported"},
    {"float inf", "a = inf", "t.toml:1:5: floats are not supported"},
    {"float +inf", "a = +inf", "t.toml:1:5: floats are not supported"},
    {"float -nan", "a = -nan", "t.toml:1:5: floats are not supported"},
    {"float nan", "a = nan", "t.toml:1:5: floats are not supported"},
    {"float in array", "a = [1, 2.5]", "t.toml:1:9: floats are not supported"},
    {"date", "a = 1979-05-27", "t.toml:1:5: dates and times are not supported"},
    {"date-time", "a = 1979-05-27T07:32:00Z", "t.toml:1:5: dates and times are not supported"},
    {"date-time space", "a = 1979-05-27 07:32:00", "t.toml:1:5: dates and times are not supported"},
    {"time", "a = 07:32:00", "t.toml:1:5: dates and times are not supported"},
    {"inline table", "a = {x = 1}", "t.toml:1:5: inline tables are not supported"},
    {"inline table in array", "a = [\n  {x = 1},\n]",
     "t.toml:2:3: inline tables are not supported"},
    {"array of tables", "[[products]]\nname = \"x\"",
     "t.toml:1:1: arrays of tables are not supported"},
    {"array of tables later", "a = 1\n  [[b]]", "t.toml:2:3: arrays of tables are not supported"},
    {"multi-line basic string", "a = \"\"\"x\"\"\"",
     "t.toml:1:5: multi-line strings are not supported"},
    {"multi-line basic string open", "a = \"\"\"\nx\n\"\"\"",
     "t.toml:1:5: multi-line strings are not supported"},
    {"multi-line literal string", "a = '''x'''",
     "t.toml:1:5: multi-line strings are not supported"},
    {"multi-line string key", "\"\"\"k\"\"\" = 1",
     "t.toml:1:1: multi-line strings are not supported"},
    {"hexadecimal", "a = 0xDEADBEEF", "t.toml:1:5: hexadecimal integers are not supported"},
    {"octal", "a = 0o755", "t.toml:1:5: octal integers are not supported"},
    {"binary", "a = 0b1101", "t.toml:1:5: binary integers are not supported"},

    /* integers */
    {"leading zero", "a = 0123", "t.toml:1:5: leading zeros are not allowed in integers"},
    {"leading zero signed", "a = -01", "t.toml:1:5: leading zeros are not allowed in integers"},
    {"leading zero underscore", "a = 0_1", "t.toml:1:5: leading zeros are not allowed in integers"},
    {"double underscore", "a = 1__000", "t.toml:1:6: '_' in a number must be between digits"},
    {"trailing underscore", "a = 1_", "t.toml:1:6: '_' in a number must be between digits"},
    {"underscore before letter", "a = 1_x", "t.toml:1:6: '_' in a number must be between digits"},
    {"leading underscore", "a = _1", "t.toml:1:5: invalid value '_1' (strings must be quoted)"},
    {"sign only", "a = -", "t.toml:1:6: expected a digit after '-', found end of file"},
    {"sign underscore", "a = +_1", "t.toml:1:6: expected a digit after '+', found '_'"},
    {"double sign", "a = --1", "t.toml:1:6: expected a digit after '-', found '-'"},
    {"overflow", "a = 9223372036854775808", "t.toml:1:5: integer does not fit in 64 bits"},
    {"overflow negative", "a = -9223372036854775809",
     "t.toml:1:5: integer does not fit in 64 bits"},
    {"overflow huge", "a = 99999999999999999999999999999",
     "t.toml:1:5: integer does not fit in 64 bits"},
    {"overflow u64", "a = 18446744073709551616", "t.toml:1:5: integer does not fit in 64 bits"},
    {"integer then letters", "a = 123abc",
     "t.toml:1:8: expected end of line after value, found 'a'"},

    /* other values */
    {"bare word", "a = postgres", "t.toml:1:5: invalid value 'postgres' (strings must be quoted)"},
    {"long bare word", "a = abcdefghijklmnopqrstuvwxyzabcdefghij",
     "t.toml:1:5: invalid value 'abcdefghijklmnopqrstuvwxyzabcdef...' (strings must be quoted)"},
    {"capital True", "a = True", "t.toml:1:5: invalid value 'True' (strings must be quoted)"},
    {"truex", "a = truex", "t.toml:1:5: invalid value 'truex' (strings must be quoted)"},
    {"missing value", "a =\nb = 1", "t.toml:1:4: expected a value, found end of line"},
    {"missing value eof", "a = ", "t.toml:1:5: expected a value, found end of file"},
    {"missing value comment", "a = # c", "t.toml:1:5: expected a value, found '#'"},
    {"value is punctuation", "a = =", "t.toml:1:5: expected a value, found '='"},
    {"value is non-ascii", "a = \xC3\xA9", "t.toml:1:5: expected a value, found '\xC3\xA9'"},

    /* strings */
    {"unterminated basic", "a = \"abc", "t.toml:1:5: unterminated string"},
    {"unterminated basic newline", "a = \"abc\nb = 1\"", "t.toml:1:5: unterminated string"},
    {"unterminated literal", "a = 'abc", "t.toml:1:5: unterminated string"},
    {"unterminated literal newline", "a = 'abc\n'", "t.toml:1:5: unterminated string"},
    {"unterminated escape at eof", "a = \"abc\\", "t.toml:1:5: unterminated string"},
    {"unterminated escape at eol", "a = \"abc\\\n\"", "t.toml:1:5: unterminated string"},
    {"unterminated key", "\"abc = 1", "t.toml:1:1: unterminated string"},
    {"invalid escape", "a = \"x\\qy\"", "t.toml:1:7: invalid escape sequence '\\q'"},
    {"invalid escape x", "a = \"\\x41\"", "t.toml:1:6: invalid escape sequence '\\x'"},
    {"invalid escape e", "a = \"\\e\"", "t.toml:1:6: invalid escape sequence '\\e'"},
    {"invalid escape space", "a = \"\\ \"", "t.toml:1:6: invalid escape sequence '\\ '"},
    {"invalid escape utf8", "a = \"\\\xC3\xA9\"",
     "t.toml:1:6: invalid escape sequence '\\\xC3\xA9'"},
    {"short \\u", "a = \"\\u12\"", "t.toml:1:6: '\\u' must be followed by 4 hexadecimal digits"},
    {"bad hex \\u", "a = \"\\u12G4\"",
     "t.toml:1:6: '\\u' must be followed by 4 hexadecimal digits"},
    {"short \\U", "a = \"\\U0001F60\"",
     "t.toml:1:6: '\\U' must be followed by 8 hexadecimal digits"},
    {"\\u at eof", "a = \"\\u", "t.toml:1:6: '\\u' must be followed by 4 hexadecimal digits"},
    {"surrogate", "a = \"\\uD800\"",
     "t.toml:1:6: invalid unicode escape: U+D800 is not a unicode scalar value"},
    {"beyond unicode", "a = \"\\U00110000\"",
     "t.toml:1:6: invalid unicode escape: U+110000 is not a unicode scalar value"},
    {"escaped nul", "a = \"\\u0000\"", "t.toml:1:6: NUL characters are not supported in strings"},
    {"escape in literal is literal", "a = 'x\\'y'",
     "t.toml:1:9: expected end of line after value, found 'y'"},

    /* garbage */
    {"garbage after value", "a = 1 2", "t.toml:1:7: expected end of line after value, found '2'"},
    {"garbage after string", "a = \"x\"y",
     "t.toml:1:8: expected end of line after value, found 'y'"},
    {"two keys on a line", "a = 1 b = 2",
     "t.toml:1:7: expected end of line after value, found 'b'"},
    {"garbage after array", "a = [1] ]", "t.toml:1:9: expected end of line after value, found ']'"},
    {"garbage after bool", "a = true,", "t.toml:1:9: expected end of line after value, found ','"},
    {"garbage after header", "[a] b = 1",
     "t.toml:1:5: expected end of line after table header, found 'b'"},
    {"header closed twice", "[a]]",
     "t.toml:1:4: expected end of line after table header, found ']'"},

    /* keys */
    {"no key", "= 1", "t.toml:1:1: expected a key, found '='"},
    {"no equals", "a 1", "t.toml:1:3: expected '=' after key 'a', found '1'"},
    {"no equals eol", "a\n", "t.toml:1:2: expected '=' after key 'a', found end of line"},
    {"no equals eof", "[t]\nkey", "t.toml:2:4: expected '=' after key 'key', found end of file"},
    {"colon instead of equals", "a: 1", "t.toml:1:2: expected '=' after key 'a', found ':'"},
    {"empty dotted part", "a..b = 1", "t.toml:1:3: expected a key, found '.'"},
    {"trailing dot", "a. = 1", "t.toml:1:4: expected a key, found '='"},
    {"leading dot", ".a = 1", "t.toml:1:1: expected a key, found '.'"},
    {"key with space", "a b = 1", "t.toml:1:3: expected '=' after key 'a', found 'b'"},
    {"key with non-ascii", "\xC3\xA9 = 1", "t.toml:1:1: expected a key, found '\xC3\xA9'"},
    {"key with slash", "a/b = 1", "t.toml:1:2: expected '=' after key 'a', found '/'"},

    /* headers */
    {"empty header", "[]", "t.toml:1:2: expected a table name, found ']'"},
    {"unterminated header", "[a", "t.toml:1:3: expected ']' after table name, found end of file"},
    {"unterminated header eol", "[a\nb = 1",
     "t.toml:1:3: expected ']' after table name, found end of line"},
    {"header empty part", "[a.]", "t.toml:1:4: expected a table name, found ']'"},
    {"header space in name", "[a b]", "t.toml:1:4: expected ']' after table name, found 'b'"},
    {"header unterminated quote", "[\"a]", "t.toml:1:2: unterminated string"},

    /* duplicates and redefinitions */
    {"duplicate key", "a = 1\na = 2", "t.toml:2:1: duplicate key 'a' (first defined on line 1)"},
    {"duplicate key in table", "[vm]\nvcpu = 1\n\nvcpu = 2",
     "t.toml:4:1: duplicate key 'vcpu' in [vm] (first defined on line 2)"},
    {"duplicate quoted key", "a = 1\n\"a\" = 2",
     "t.toml:2:1: duplicate key 'a' (first defined on line 1)"},
    {"duplicate literal key", "\"a b\" = 1\n'a b' = 2",
     "t.toml:2:1: duplicate key '\"a b\"' (first defined on line 1)"},
    {"duplicate dotted key", "a.b = 1\na.b = 2",
     "t.toml:2:3: duplicate key 'a.b' (first defined on line 1)"},
    {"duplicate key different types", "a = \"x\"\na = [1]",
     "t.toml:2:1: duplicate key 'a' (first defined on line 1)"},
    {"redefined table", "[a]\nx = 1\n[a]\ny = 2",
     "t.toml:3:1: table [a] is already defined on line 1"},
    {"redefined dotted table", "[a.b]\n[b]\n[a.b]",
     "t.toml:3:1: table [a.b] is already defined on line 1"},
    {"redefined quoted table", "[\"a\"]\n[a]",
     "t.toml:2:1: table [a] is already defined on line 1"},
    {"redefined implicit twice", "[a.b]\n[a]\n[a]",
     "t.toml:3:1: table [a] is already defined on line 2"},
    {"header redefines dotted table", "[fruit]\napple.color = \"red\"\n[fruit.apple]",
     "t.toml:3:1: table [fruit.apple] is already defined on line 2"},
    {"header redefines dotted sub-table", "[fruit]\napple.taste.sweet = true\n[fruit.apple.taste]",
     "t.toml:3:1: table [fruit.apple.taste] is already defined on line 2"},
    {"header redefines top dotted table", "a.b = 1\n[a]",
     "t.toml:2:1: table [a] is already defined on line 1"},
    {"dotted key into header table", "[a.b]\nx = 1\n[a]\nb.y = 2",
     "t.toml:4:1: cannot add to table [a.b] with a dotted key (it is defined on line 1)"},
    {"dotted key into implicit table", "[a.b.c]\n[a]\nb.d = 1",
     "t.toml:3:1: cannot add to table [a.b] with a dotted key (it is defined on line 1)"},
    {"dotted keys extend dotted tables", "a.b.c = 1\na.b.d = 2\na.e = 3", NULL},
    {"header after dotted sub-table", "[a]\nb.c = 1\n[a.b.d]\ne = 2", NULL},
    {"implicit table defined later", "[a.b.c]\n[a.b]\n[a]", NULL},

    /* a key both a table and a value */
    {"value then table", "a = 1\n[a]", "t.toml:2:2: 'a' is already defined as a value on line 1"},
    {"value then sub-table", "[x]\na = 1\n[x.a.b]",
     "t.toml:3:4: 'x.a' is already defined as a value on line 2"},
    {"value then dotted key", "a = 1\na.b = 2",
     "t.toml:2:1: key 'a' is already defined as a value on line 1"},
    {"value then dotted key in table", "[t]\na = \"s\"\na.b.c = 2",
     "t.toml:3:1: key 'a' in [t] is already defined as a value on line 2"},
    {"dotted key then value", "a.b = 1\na = 2",
     "t.toml:2:1: key 'a' is already defined as a table on line 1"},
    {"table then value", "[t.u]\n[t]\nu = 1",
     "t.toml:3:1: key 'u' in [t] is already defined as a table on line 1"},
    {"array value then table", "a = []\n[a]",
     "t.toml:2:2: 'a' is already defined as a value on line 1"},

    /* arrays */
    {"unterminated array", "a = [1, 2", "t.toml:1:5: unterminated array"},
    {"unterminated array multi-line", "x = 1\na = [\n  1,\n  # c\n",
     "t.toml:2:5: unterminated array"},
    {"unterminated nested array", "a = [[1], [2", "t.toml:1:11: unterminated array"},
    {"array missing comma", "a = [1 2]", "t.toml:1:8: expected ',' or ']' in array, found '2'"},
    {"array missing comma multi-line", "a = [\n  \"x\"\n  \"y\"\n]",
     "t.toml:3:3: expected ',' or ']' in array, found '\"'"},
    {"array leading comma", "a = [,1]", "t.toml:1:6: expected a value, found ','"},
    {"array only comma", "a = [,]", "t.toml:1:6: expected a value, found ','"},
    {"array double comma", "a = [1,,2]", "t.toml:1:8: expected a value, found ','"},
    {"array two trailing commas", "a = [1,,]", "t.toml:1:8: expected a value, found ','"},
    {"array bad element", "a = [1, x]", "t.toml:1:9: invalid value 'x' (strings must be quoted)"},
    {"array semicolon", "a = [1; 2]", "t.toml:1:7: expected ',' or ']' in array, found ';'"},

    /* bytes that TOML never allows */
    {"control character", "a = \"x\x01y\"", "t.toml:1:7: control character U+0001 is not allowed"},
    {"control character in comment", "# \x1b[0m\n",
     "t.toml:1:3: control character U+001B is not allowed"},
    {"delete character", "a = 1\n\n  \x7f", "t.toml:3:3: control character U+007F is not allowed"},
    {"form feed", "\fa = 1", "t.toml:1:1: control character U+000C is not allowed"},
    {"lone carriage return", "a = 1\rb = 2",
     "t.toml:1:6: carriage return not followed by a newline"},
    {"carriage return at eof", "a = 1\r", "t.toml:1:6: carriage return not followed by a newline"},
    {"invalid utf-8", "a = \"\xff\"", "t.toml:1:6: invalid UTF-8"},
    {"truncated utf-8", "a = \"\xC3", "t.toml:1:6: invalid UTF-8"},
    {"utf-8 bad continuation", "# \xE2\x82x", "t.toml:1:3: invalid UTF-8"},
    {"overlong utf-8", "a = \"\xC0\xAF\"", "t.toml:1:6: invalid UTF-8"},
    {"overlong 3-byte utf-8", "a = \"\xE0\x80\xAF\"", "t.toml:1:6: invalid UTF-8"},
    {"utf-8 surrogate", "a = \"\xED\xA0\x80\"", "t.toml:1:6: invalid UTF-8"},
    {"utf-8 beyond unicode", "a = \"\xF4\x90\x80\x80\"", "t.toml:1:6: invalid UTF-8"},
    {"utf-8 error column", "\xC3\xA9\xC3\xA9 \xff", "t.toml:1:4: invalid UTF-8"},
    {"error line after many lines", "\n\n\n\n\n\n\n\n\n\n  a = 1.0",
     "t.toml:11:7: floats are not supported"},
};

static void test_bad(void **state)
{
        (void)state;
        const struct bad *c = *state;
        if (c->msg) {
                expect_error(c->text, c->msg);
        } else {
                struct vers_toml_value *root = parse_ok(c->text);
                vers_toml_free(root);
        }
}

int main(void)
{
        static const struct CMUnitTest fixed[] = {
            cmocka_unit_test(test_vers_toml),
            cmocka_unit_test(test_empty_documents),
            cmocka_unit_test(test_comments),
            cmocka_unit_test(test_keys),
            cmocka_unit_test(test_dotted_keys),
            cmocka_unit_test(test_tables),
            cmocka_unit_test(test_subtable_of_dotted_table),
            cmocka_unit_test(test_strings),
            cmocka_unit_test(test_integers),
            cmocka_unit_test(test_booleans),
            cmocka_unit_test(test_arrays),
            cmocka_unit_test(test_array_depth_limit),
            cmocka_unit_test(test_key_parts_limit),
            cmocka_unit_test(test_long_line),
            cmocka_unit_test(test_crlf),
            cmocka_unit_test(test_utf8_columns),
            cmocka_unit_test(test_parse_len),
            cmocka_unit_test(test_lookup),
            cmocka_unit_test(test_error_with_null_err),
        };
        return RUN_WITH_TABLE("toml", fixed, bad_cases, test_bad);
}
