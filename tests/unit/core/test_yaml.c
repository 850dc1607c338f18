/* test_yaml.c -- YAML to JSON: Kubernetes typing, anchors, merges, errors, hostile input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/yaml.h"
#include "lib/testlib.h"

/* convert and compare with the expected JSON (an array of documents) */
static void
check_yaml(const char *yaml, const char *want_json, int line)
{
        struct cc_diag d = { 0 };
        struct cc_buf b = CC_BUF_INIT(0);
        cJSON *got = NULL, *want = NULL;

        if (cc_yaml_to_json(yaml, strlen(yaml), &got, &d) != CC_OK)
                fail_msg("line %d: yaml failed: %s", line, d.message);
        if (cc_json_parse(want_json, strlen(want_json), 0, &want, &d) != CC_OK)
                fail_msg("line %d: bad expectation: %s", line, d.message);
        if (!cc_json_equal(got, want)) {
                cc_json_print(got, false, &b);
                fail_msg("line %d: got %s, want %s", line, cc_buf_str(&b), want_json);
        }
        cc_buf_release(&b);
        cJSON_Delete(got);
        cJSON_Delete(want);
}
#define CHECK_YAML(y, j) check_yaml((y), (j), __LINE__)

static void
check_error(const char *yaml, size_t len, cc_err code, const char *msg, int line)
{
        struct cc_diag d = { 0 };
        cJSON *docs = (cJSON *)&d; /* must stay untouched */
        cc_err rc = cc_yaml_to_json(yaml, len, &docs, &d);

        if (rc != code)
                fail_msg("line %d: got %s (%s), want %s", line, cc_err_name(rc), d.message,
                         cc_err_name(code));
        assert_ptr_equal(docs, (cJSON *)&d);
        if (msg && strcmp(d.message, msg) != 0)
                fail_msg("line %d: got message '%s', want '%s'", line, d.message, msg);
}
#define CHECK_ERROR(y, code, msg) check_error((y), strlen(y), (code), (msg), __LINE__)

static void
test_manifest_fixture(void **state)
{
        size_t ylen = 0, jlen = 0;
        char *yaml = cc_test_read_file(cc_test_path("tests/unit/core/data/manifest.yaml"), &ylen);
        char *json = cc_test_read_file(cc_test_path("tests/unit/core/data/manifest.json"), &jlen);
        struct cc_diag d = { 0 };
        cJSON *got = NULL, *want = NULL;
        const char *s = NULL;
        int64_t port = 0;

        assert_non_null(yaml);
        assert_non_null(json);
        assert_int_equal(cc_yaml_to_json(yaml, ylen, &got, &d), CC_OK);
        assert_int_equal(cc_json_parse(json, jlen, 0, &want, &d), CC_OK);
        assert_int_equal(cJSON_GetArraySize(got), 3);
        assert_true(cc_json_equal(got, want));
        assert_int_equal(
            cc_json_get_str(got, "[2].metadata.annotations[\"cloud.google.com/neg\"]", &s, &d),
            CC_OK);
        assert_string_equal(s, "{\"exposed_ports\": {\"8080\": {\"name\": "
                               "\"cc1-neg-shop-store-8080\"}}}");
        assert_int_equal(cc_json_get_int(got, "[0].spec.listeners[1].port", 1, 65535, &port, &d),
                         CC_OK);
        assert_int_equal(port, 443);
        cJSON_Delete(got);
        cJSON_Delete(want);
        cc_free(yaml);
        cc_free(json);
}

static void
check_yaml_null_input(void)
{
        struct cc_diag d = { 0 };
        cJSON *docs = NULL;

        assert_int_equal(cc_yaml_to_json(NULL, 0, &docs, &d), CC_OK);
        assert_int_equal(cJSON_GetArraySize(docs), 0);
        cJSON_Delete(docs);
}

static void
test_multi_document(void **state)
{
        CHECK_YAML("", "[]");
        check_yaml_null_input();
        CHECK_YAML("# nothing\n", "[]");
        CHECK_YAML("---\n---\n...\n", "[]");
        CHECK_YAML("~\n", "[]");
        CHECK_YAML("a: 1\n", "[{\"a\": 1}]");
        CHECK_YAML("--- 5\n--- \"x\"\n---\n- 1\n...\n---\nk: v\n",
                   "[5, \"x\", [1], {\"k\": \"v\"}]");
        CHECK_YAML("a: 1\n---\n---\n# c\n---\nb: 2\n...\n", "[{\"a\": 1}, {\"b\": 2}]");
        /* anchors do not cross documents */
        CHECK_ERROR("a: &x 1\n---\nb: *x\n", CC_INVAL,
                    "yaml: line 3, column 4: unknown anchor 'x'");
}

static void
test_scalar_typing(void **state)
{
        static const struct {
                const char *in;
                const char *out;
        } table[] = {
                /* null */
                { "", "null" },
                { "~", "null" },
                { "null", "null" },
                { "Null", "null" },
                { "NULL", "null" },
                { "nULL", "\"nULL\"" },
                { "nil", "\"nil\"" },
                /* booleans, YAML 1.1 as go-yaml v2 reads them */
                { "true", "true" },
                { "True", "true" },
                { "TRUE", "true" },
                { "tRUE", "\"tRUE\"" },
                { "yes", "true" },
                { "Yes", "true" },
                { "YES", "true" },
                { "y", "true" },
                { "Y", "true" },
                { "on", "true" },
                { "On", "true" },
                { "ON", "true" },
                { "oN", "\"oN\"" },
                { "false", "false" },
                { "no", "false" },
                { "No", "false" },
                { "NO", "false" },
                { "n", "false" },
                { "N", "false" },
                { "off", "false" },
                { "Off", "false" },
                { "OFF", "false" },
                { "yEs", "\"yEs\"" },
                /* integers */
                { "0", "0" },
                { "42", "42" },
                { "-17", "-17" },
                { "+12", "12" },
                { "-0", "0" },
                { "0x1F", "31" },
                { "0X1f", "31" },
                { "-0x10", "-16" },
                { "0o17", "15" },
                { "017", "15" },
                { "0b101", "5" },
                { "-0b11", "-3" },
                { "1_000_000", "1000000" },
                { "0x", "\"0x\"" },
                { "0b2", "\"0b2\"" },
                { "08", "8" },
                { "0_8", "8" },
                { "9223372036854775807", "9223372036854775807" },
                { "18446744073709551615", "18446744073709551615" },
                /* floats */
                { "1.5", "1.5" },
                { "-2.25", "-2.25" },
                { ".5", "0.5" },
                { "+.5", "0.5" },
                { "1.", "1" },
                { "1e3", "1000" },
                { "1E-2", "0.01" },
                { "6.02e+23", "6.02e23" },
                { "99999999999999999999", "1e20" },
                { "1e999", "\"1e999\"" },
                { "._5", "\"._5\"" },
                { "1.5.6", "\"1.5.6\"" },
                { ".e5", "\".e5\"" },
                /* strings */
                { "-x", "\"-x\"" },
                { "<<", "\"<<\"" },
                { "2001-12-14", "\"2001-12-14\"" },
                { "12:30:00", "\"12:30:00\"" },
                { "1:2", "\"1:2\"" },
                { "v1.2", "\"v1.2\"" },
                { "0.0.0.0/0", "\"0.0.0.0/0\"" },
                { "*.example.com", NULL },
                /* quoted and block scalars are always strings */
                { "\"true\"", "\"true\"" },
                { "'42'", "\"42\"" },
                { "\"\"", "\"\"" },
                { "''", "\"\"" },
                { "\"~\"", "\"~\"" },
                { "'1e3'", "\"1e3\"" },
                /* tags */
                { "!!str 12", "\"12\"" },
                { "!!str true", "\"true\"" },
                { "!!int \"12\"", "12" },
                { "!!int 0x10", "16" },
                { "!!float 1", "1" },
                { "!!float '2.5'", "2.5" },
                { "!!bool \"yes\"", "true" },
                { "!!null ~", "null" },
                { "!!null ''", "null" },
                { "!!timestamp 2001-12-14", "\"2001-12-14\"" },
                { "! 12", "\"12\"" },
                { "!local 5", "\"5\"" },
                { "!!str", "\"\"" },
        };
        char yaml[128], json[128];
        size_t k;

        for (k = 0; k < sizeof(table) / sizeof(table[0]); k++) {
                if (!table[k].out)
                        continue; /* "*..." is an alias in YAML: covered below */
                snprintf(yaml, sizeof(yaml), "v: %s\n", table[k].in);
                snprintf(json, sizeof(json), "[{\"v\": %s}]", table[k].out);
                check_yaml(yaml, json, (int)k);
                snprintf(yaml, sizeof(yaml), "- %s\n", table[k].in);
                snprintf(json, sizeof(json), "[[%s]]", table[k].out);
                check_yaml(yaml, json, (int)k);
        }
        CHECK_YAML("v: '*.example.com'\n", "[{\"v\": \"*.example.com\"}]");
        /* JSON cannot hold infinities or NaN */
        CHECK_ERROR("a: .inf\n", CC_INVAL,
                    "yaml: line 1, column 4: '.inf' cannot be represented in json");
        CHECK_ERROR("a: -.Inf\n", CC_INVAL,
                    "yaml: line 1, column 4: '-.inf' cannot be represented in json");
        CHECK_ERROR("a: [.NaN]\n", CC_INVAL,
                    "yaml: line 1, column 5: '.nan' cannot be represented in json");
        CHECK_ERROR("a: !!float .inf\n", CC_INVAL, NULL);
        /* values that do not fit their tag */
        CHECK_ERROR("a: !!int abc\n", CC_INVAL,
                    "yaml: line 1, column 4: value does not match tag '!!int'");
        CHECK_ERROR("a: !!int 1.5\n", CC_INVAL,
                    "yaml: line 1, column 4: value does not match tag '!!int'");
        CHECK_ERROR("a: !!bool 1\n", CC_INVAL,
                    "yaml: line 1, column 4: value does not match tag '!!bool'");
        CHECK_ERROR("a: !!float x\n", CC_INVAL,
                    "yaml: line 1, column 4: value does not match tag '!!float'");
        CHECK_ERROR("a: !!null 0\n", CC_INVAL,
                    "yaml: line 1, column 4: value does not match tag '!!null'");
        CHECK_ERROR("a: !!binary aGk=\n", CC_INVAL,
                    "yaml: line 1, column 4: unsupported tag '!!binary'");
        CHECK_ERROR("a: \"x\\0y\"\n", CC_INVAL,
                    "yaml: line 1, column 4: scalar contains a nul byte");
}

static void
test_keys(void **state)
{
        /* non-string keys take the string form Kubernetes gives them */
        CHECK_YAML(
            "1: a\n0x10: b\n-3: c\n1.5: d\n1000000.0: e\n1234567.0: f\n0.0001: g\n"
            "0.00001: h\ntrue: i\nno: j\n\"yes\": k\n",
            "[{\"1\": \"a\", \"16\": \"b\", \"-3\": \"c\", \"1.5\": \"d\", \"1e+06\": \"e\", "
            "\"1.234567e+06\": \"f\", \"0.0001\": \"g\", \"1e-05\": \"h\", \"true\": \"i\", "
            "\"false\": \"j\", \"yes\": \"k\"}]");
        CHECK_YAML("? complex\n: explicit\n", "[{\"complex\": \"explicit\"}]");
        CHECK_YAML("a: &k name\n*k : v\n&n 5: x\nb: *n\n",
                   "[{\"a\": \"name\", \"name\": \"v\", \"5\": \"x\", \"b\": 5}]");
        CHECK_ERROR("~: a\n", CC_INVAL,
                    "yaml: line 1, column 1: null mapping keys are not supported");
        CHECK_ERROR("? [a]\n: 1\n", CC_INVAL,
                    "yaml: line 1, column 3: mapping keys must be scalars");
        CHECK_ERROR("{a: 1}: 1\n", CC_INVAL,
                    "yaml: line 1, column 1: mapping keys must be scalars");
        CHECK_ERROR("x: &m {a: 1}\n*m : 1\n", CC_INVAL,
                    "yaml: line 2, column 1: mapping keys must be scalars");
}

static void
test_duplicate_keys(void **state)
{
        CHECK_ERROR("metadata:\n  name: a\n  labels: {}\n  name: b\n", CC_INVAL,
                    "yaml: line 4, column 3: duplicate key 'name'");
        CHECK_ERROR("{a: 1, b: 2, a: 3}\n", CC_INVAL, "yaml: line 1, column 14: duplicate key 'a'");
        /* duplicates after Kubernetes' key conversion: y is true */
        CHECK_ERROR("y: 1\ntrue: 2\n", CC_INVAL, "yaml: line 2, column 1: duplicate key 'true'");
        CHECK_ERROR("1: a\n\"1\": b\n", CC_INVAL, "yaml: line 2, column 1: duplicate key '1'");
        CHECK_ERROR("<<: {a: 1}\n<<: {b: 1}\n", CC_INVAL,
                    "yaml: line 2, column 1: duplicate key '<<'");
        /* the same key in different mappings is fine */
        CHECK_YAML("a: {x: 1}\nb: {x: 2}\nc: [{x: 1}, {x: 2}]\n",
                   "[{\"a\": {\"x\": 1}, \"b\": {\"x\": 2}, \"c\": [{\"x\": 1}, {\"x\": 2}]}]");
}

static void
test_anchors_and_merges(void **state)
{
        CHECK_YAML("a: &x [1, {b: 2}]\nc: *x\nd: [*x, *x]\n",
                   "[{\"a\": [1, {\"b\": 2}], \"c\": [1, {\"b\": 2}], "
                   "\"d\": [[1, {\"b\": 2}], [1, {\"b\": 2}]]}]");
        CHECK_YAML("a: &s hello\nb: *s\n", "[{\"a\": \"hello\", \"b\": \"hello\"}]");
        /* an anchor may be redefined; an alias sees the latest definition */
        CHECK_YAML("- &a 1\n- *a\n- &a 2\n- *a\n", "[[1, 1, 2, 2]]");
        /* merge: explicit keys win wherever they are, earlier maps win over later ones */
        CHECK_YAML("base: &b {p: 1, q: 1}\nover: &o {q: 2, r: 2}\n"
                   "m1: {p: 0, <<: *b}\n"
                   "m2: {<<: [*o, *b]}\n"
                   "m3:\n  <<: *b\n  q: 3\n"
                   "m4: {<<: {s: 1}}\n",
                   "[{\"base\": {\"p\": 1, \"q\": 1}, \"over\": {\"q\": 2, \"r\": 2},"
                   " \"m1\": {\"p\": 0, \"q\": 1},"
                   " \"m2\": {\"p\": 1, \"q\": 2, \"r\": 2},"
                   " \"m3\": {\"p\": 1, \"q\": 3},"
                   " \"m4\": {\"s\": 1}}]");
        /* a quoted "<<" is an ordinary key; !!merge makes any spelling a merge */
        CHECK_YAML("\"<<\": {a: 1}\n", "[{\"<<\": {\"a\": 1}}]");
        CHECK_YAML("b: &b {a: 1}\nc: {!!merge <<: *b}\n",
                   "[{\"b\": {\"a\": 1}, \"c\": {\"a\": 1}}]");
        /* an anchored merge value stays usable */
        CHECK_YAML("c: {<<: &m {a: 1}, b: 2}\nd: *m\n",
                   "[{\"c\": {\"a\": 1, \"b\": 2}, \"d\": {\"a\": 1}}]");
        CHECK_ERROR("a: &s 1\nb: {<<: *s}\n", CC_INVAL,
                    "yaml: line 2, column 5: map merge requires a mapping or a sequence of "
                    "mappings as the value");
        CHECK_ERROR("a: &s [1]\nb:\n  <<: [*s]\n", CC_INVAL, NULL);
        CHECK_ERROR("a: *nope\n", CC_INVAL, "yaml: line 1, column 4: unknown anchor 'nope'");
        /* an alias to a node that is not finished yet is unknown */
        CHECK_ERROR("a: &r [1, *r]\n", CC_INVAL, "yaml: line 1, column 11: unknown anchor 'r'");
}

static void
test_block_scalars_and_flow(void **state)
{
        CHECK_YAML("a: |\n  l1\n  l2\n\nb: |-\n  l1\n  l2\n\nc: |+\n  l1\n\n\nd: x\n",
                   "[{\"a\": \"l1\\nl2\\n\", \"b\": \"l1\\nl2\", \"c\": \"l1\\n\\n\\n\","
                   " \"d\": \"x\"}]");
        CHECK_YAML("a: >\n  f1\n  f2\n\n  p2\nb: >-\n  x\n  y\nc: >+\n  z\n\nd: |2\n    ind\n",
                   "[{\"a\": \"f1 f2\\np2\\n\", \"b\": \"x y\", \"c\": \"z\\n\\n\","
                   " \"d\": \"  ind\\n\"}]");
        CHECK_YAML("a: |\n  true\nb: >\n  42\n", "[{\"a\": \"true\\n\", \"b\": \"42\\n\"}]");
        CHECK_YAML("{a: [1, 2, {b: c}], d: {}, e: [], 'f g': \"h\\ti\\u00e9\"}\n",
                   "[{\"a\": [1, 2, {\"b\": \"c\"}], \"d\": {}, \"e\": [], \"f g\": "
                   "\"h\\ti\\u00e9\"}]");
        CHECK_YAML("[a, [b, [c]], {k: v}]", "[[\"a\", [\"b\", [\"c\"]], {\"k\": \"v\"}]]");
        CHECK_YAML("plain: multi\n  line\n", "[{\"plain\": \"multi line\"}]");
        /* JSON is YAML */
        CHECK_YAML("{\"a\": [1, 2.5, true, null, \"x\"], \"b\": {\"c\": \"\\/\"}}",
                   "[{\"a\": [1, 2.5, true, null, \"x\"], \"b\": {\"c\": \"/\"}}]");
}

static void
test_errors_have_positions(void **state)
{
        CHECK_ERROR("a: b: c\n", CC_INVAL,
                    "yaml: line 1, column 5: mapping values are not allowed in this context");
        CHECK_ERROR("a:\n  b: 1\n  c: 2\n    d: 3\n", CC_INVAL,
                    "yaml: line 4, column 6: mapping values are not allowed in this context");
        CHECK_ERROR("a:\n  b: 1\n c: 2\n", CC_INVAL,
                    "yaml: line 3, column 2: did not find expected key (while parsing a block "
                    "mapping at line 1, column 1)");
        CHECK_ERROR("a: [1, 2\n", CC_INVAL, NULL);
        CHECK_ERROR("a: \"unterminated\n", CC_INVAL, NULL);
        CHECK_ERROR("\tb: 1\n", CC_INVAL, NULL);
        CHECK_ERROR("a: 1\n\xff\n", CC_INVAL,
                    "yaml: line 2, column 1: invalid leading UTF-8 octet (0xff)");
        CHECK_ERROR("k: \xc3\xa9\xe2\x82\n", CC_INVAL,
                    "yaml: line 1, column 6: invalid trailing UTF-8 octet (0x0a)");
        CHECK_ERROR("k: \xe2\x82", CC_INVAL,
                    "yaml: line 1, column 4: incomplete UTF-8 octet sequence");
        CHECK_ERROR("k: \xed\xa0\x80\n", CC_INVAL, NULL);
        CHECK_ERROR("k: \x01\n", CC_INVAL,
                    "yaml: line 1, column 4: control characters are not allowed (0x01)");
}

static void
test_depth_limit(void **state)
{
        struct cc_buf b = CC_BUF_INIT(0);
        struct cc_diag d = { 0 };
        cJSON *docs = NULL;
        int i;

        for (i = 0; i < CC_JSON_MAX_DEPTH; i++)
                cc_buf_putc(&b, '[');
        for (i = 0; i < CC_JSON_MAX_DEPTH; i++)
                cc_buf_putc(&b, ']');
        assert_int_equal(cc_yaml_to_json(b.data, b.len, &docs, &d), CC_OK);
        cJSON_Delete(docs);
        cc_buf_reset(&b);

        for (i = 0; i < 100000; i++)
                cc_buf_putc(&b, '[');
        check_error(b.data, b.len, CC_INVAL,
                    "yaml: line 1, column 129: nesting deeper than 128 levels", __LINE__);
        cc_buf_reset(&b);

        for (i = 0; i < 2000; i++)
                cc_buf_printf(&b, "%*s- \n", 2 * i, "");
        check_error(b.data, b.len, CC_INVAL, NULL, __LINE__);

        /* aliases count: 100 levels placed under 100 more is too deep */
        cc_buf_reset(&b);
        cc_buf_puts(&b, "a: &a ");
        for (i = 0; i < 100; i++)
                cc_buf_putc(&b, '[');
        for (i = 0; i < 100; i++)
                cc_buf_putc(&b, ']');
        cc_buf_puts(&b, "\nb: ");
        for (i = 0; i < 100; i++)
                cc_buf_putc(&b, '[');
        cc_buf_puts(&b, "*a");
        for (i = 0; i < 100; i++)
                cc_buf_putc(&b, ']');
        cc_buf_putc(&b, '\n');
        check_error(b.data, b.len, CC_INVAL,
                    "yaml: line 2, column 104: nesting deeper than 128 levels", __LINE__);
        cc_buf_release(&b);
}

static void
test_caps(void **state)
{
        struct cc_buf b = CC_BUF_INIT(CC_YAML_MAX_INPUT + 16);
        struct cc_diag d = { 0 };
        cJSON *docs = NULL;
        size_t i;

        /* one scalar over the cap */
        cc_buf_puts(&b, "a: ");
        for (i = 0; i <= CC_YAML_MAX_SCALAR; i += 64)
                cc_buf_puts(&b, "0123456789012345678901234567890123456789012345678901234567890123");
        cc_buf_putc(&b, '\n');
        check_error(b.data, b.len, CC_TOOBIG,
                    "yaml: line 1, column 4: scalar exceeds 4194304 bytes", __LINE__);

        /* the whole input over the cap, refused before parsing */
        assert_int_equal(cc_yaml_to_json(b.data, CC_YAML_MAX_INPUT + 1, &docs, &d), CC_TOOBIG);
        assert_string_equal(d.message,
                            "yaml document too large: 16777217 bytes exceeds the 16777216 byte "
                            "limit");
        assert_null(docs);
        cc_buf_release(&b);
}

static void
test_billion_laughs(void **state)
{
        struct cc_buf b = CC_BUF_INIT(0);
        const char *names = "abcdefghi";
        int i, k;

        cc_buf_puts(&b, "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (i = 1; i < 9; i++) {
                cc_buf_printf(&b, "%c: &%c [", names[i], names[i]);
                for (k = 0; k < 10; k++)
                        cc_buf_printf(&b, "%s*%c", k ? ", " : "", names[i - 1]);
                cc_buf_puts(&b, "]\n");
        }
        check_error(b.data, b.len, CC_TOOBIG,
                    "yaml: line 6, column 36: document expands to more than 1000000 nodes",
                    __LINE__);

        /* the same with a long string: the byte budget stops it */
        cc_buf_reset(&b);
        cc_buf_puts(&b, "a: &a \"");
        for (i = 0; i < 1 << 20; i += 16)
                cc_buf_puts(&b, "0123456789abcdef");
        cc_buf_puts(&b, "\"\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
                        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\n");
        check_error(b.data, b.len, CC_TOOBIG,
                    "yaml: line 3, column 32: document expands to more "
                    "than 67108864 bytes",
                    __LINE__);

        /* and through merge keys */
        cc_buf_reset(&b);
        cc_buf_puts(&b, "a: &a {");
        for (k = 0; k < 100; k++)
                cc_buf_printf(&b, "%sk%d: v", k ? ", " : "", k);
        cc_buf_puts(&b, "}\n");
        for (i = 1; i < 9; i++) {
                cc_buf_printf(&b, "%c: &%c [", names[i], names[i]);
                for (k = 0; k < 10; k++)
                        cc_buf_printf(&b, "%s{<<: *%c}", k ? ", " : "", names[i - 1]);
                cc_buf_puts(&b, "]\n");
        }
        check_error(b.data, b.len, CC_TOOBIG, NULL, __LINE__);
        cc_buf_release(&b);
}

static uint32_t
lcg(uint32_t *s)
{
        *s = *s * 1664525u + 1013904223u;
        return *s >> 8;
}

/* garbage and truncation must give OK or an error, never a crash or a leak */
static void
test_garbage_and_truncation(void **state)
{
        static const char alphabet[] = "-:[]{},&*!|>'\"#%@` \n\t?<.~0aZy\\";
        size_t len = 0, cut;
        char *yaml = cc_test_read_file(cc_test_path("tests/unit/core/data/manifest.yaml"), &len);
        unsigned char junk[512];
        uint32_t seed = 12345;
        int i, ok = 0, failed = 0;

        assert_non_null(yaml);
        for (cut = 0; cut <= len; cut++) {
                struct cc_diag d = { 0 };
                cJSON *docs = NULL;

                if (cc_yaml_to_json(yaml, cut, &docs, &d) == CC_OK) {
                        assert_true(cJSON_IsArray(docs));
                        ok++;
                } else {
                        assert_int_equal(strncmp(d.message, "yaml: line ", 11), 0);
                        failed++;
                }
                cJSON_Delete(docs);
        }
        assert_true(ok > 0 && failed > 0);
        for (i = 0; i < 3000; i++) {
                struct cc_diag d = { 0 };
                cJSON *docs = NULL;
                size_t n = 1 + lcg(&seed) % sizeof(junk), k;
                bool yamlish = i % 2;

                for (k = 0; k < n; k++) {
                        uint32_t r = lcg(&seed);

                        junk[k] = yamlish ? (unsigned char)alphabet[r % (sizeof(alphabet) - 1)]
                                          : (unsigned char)r;
                }
                if (cc_yaml_to_json((const char *)junk, n, &docs, &d) == CC_OK)
                        assert_true(cJSON_IsArray(docs));
                else
                        assert_true(d.message[0] != '\0');
                cJSON_Delete(docs);
        }
        cc_free(yaml);
}

static void
test_load_file(void **state)
{
        const char *dir = cc_test_tmpdir();
        char path[512], big[1024];
        struct cc_diag d = { 0 };
        cJSON *docs = NULL, *want = NULL;
        size_t jlen = 0;
        char *json = cc_test_read_file(cc_test_path("tests/unit/core/data/manifest.json"), &jlen);
        FILE *f;

        assert_int_equal(cc_json_parse(json, jlen, 0, &want, &d), CC_OK);
        assert_int_equal(
            cc_yaml_load_file(cc_test_path("tests/unit/core/data/manifest.yaml"), &docs, &d),
            CC_OK);
        assert_true(cc_json_equal(docs, want));
        cJSON_Delete(docs);
        /* a JSON array file is YAML */
        assert_int_equal(
            cc_yaml_load_file(cc_test_path("tests/unit/core/data/manifest.json"), &docs, &d),
            CC_OK);
        assert_int_equal(cJSON_GetArraySize(docs), 1);
        assert_true(cc_json_equal(cJSON_GetArrayItem(docs, 0), want));
        cJSON_Delete(docs);

        /* a JSON object file is read as JSON, with JSON's errors */
        snprintf(path, sizeof(path), "%s/obj.json", dir);
        f = fopen(path, "w");
        assert_non_null(f);
        fputs("\n {\"kind\": \"Gateway\", \"spec\": {\"n\": 1}}\n", f);
        fclose(f);
        assert_int_equal(cc_yaml_load_file(path, &docs, &d), CC_OK);
        assert_int_equal(cJSON_GetArraySize(docs), 1);
        assert_string_equal(cc_json_lookup(docs, "[0].kind")->valuestring, "Gateway");
        cJSON_Delete(docs);
        f = fopen(path, "w");
        fputs("{\"kind\": \"Gateway\",}\n", f);
        fclose(f);
        assert_int_equal(cc_yaml_load_file(path, &docs, &d), CC_INVAL);
        snprintf(big, sizeof(big),
                 "cannot load '%s': json: line 1, column 20 (offset 19): expected string key in "
                 "object",
                 path);
        assert_string_equal(d.message, big);

        /* YAML errors name the file */
        snprintf(path, sizeof(path), "%s/bad.yaml", dir);
        f = fopen(path, "w");
        fputs("a: 1\nb: c: d\n", f);
        fclose(f);
        assert_int_equal(cc_yaml_load_file(path, &docs, &d), CC_INVAL);
        snprintf(big, sizeof(big),
                 "cannot load '%s': yaml: line 2, column 5: mapping values are not allowed in "
                 "this context",
                 path);
        assert_string_equal(d.message, big);

        snprintf(path, sizeof(path), "%s/missing.yaml", dir);
        assert_int_equal(cc_yaml_load_file(path, &docs, &d), CC_NOTFOUND);
        snprintf(big, sizeof(big), "cannot load '%s': No such file or directory", path);
        assert_string_equal(d.message, big);
        assert_int_equal(cc_yaml_load_file(dir, &docs, &d), CC_IO);

        /* size cap */
        snprintf(path, sizeof(path), "%s/big.yaml", dir);
        f = fopen(path, "w");
        assert_int_equal(fseek(f, (long)CC_YAML_MAX_INPUT, SEEK_SET), 0);
        fputc('\n', f);
        fclose(f);
        assert_int_equal(cc_yaml_load_file(path, &docs, &d), CC_TOOBIG);
        snprintf(big, sizeof(big), "cannot load '%s': file exceeds 16777216 bytes", path);
        assert_string_equal(d.message, big);
        remove(path);

        cJSON_Delete(want);
        cc_free(json);
}

/* fail each allocation in turn while converting a realistic manifest */
static void
test_alloc_failure(void **state)
{
        size_t len = 0;
        char *yaml = cc_test_read_file(cc_test_path("tests/unit/core/data/manifest.yaml"), &len);
        const char *extra = "a: &a {x: 1, y: [1, 2]}\nb: {<<: *a, z: *a}\n&k key: *a\nc: *k\n";
        unsigned long n;
        int fired = 0, pass;

        assert_non_null(yaml);
        for (pass = 0; pass < 3; pass++) {
                for (n = 1;; n++) {
                        struct cc_diag d = { 0 };
                        cJSON *docs = NULL;
                        cc_err rc;

                        cc_alloc_fail_at(n, false);
                        if (pass == 0)
                                rc = cc_yaml_to_json(yaml, len, &docs, &d);
                        else if (pass == 1)
                                rc = cc_yaml_to_json(extra, strlen(extra), &docs, &d);
                        else
                                rc = cc_yaml_load_file(
                                    cc_test_path("tests/unit/core/data/manifest.yaml"), &docs, &d);
                        if (!cc_alloc_failed()) {
                                assert_int_equal(rc, CC_OK);
                                cJSON_Delete(docs);
                                break;
                        }
                        fired++;
                        if (rc != CC_NOMEM)
                                fail_msg("allocation %lu: got %s (%s)", n, cc_err_name(rc),
                                         d.message);
                        assert_null(docs);
                }
        }
        cc_alloc_fail_at(0, false);
        assert_true(fired > 100);
        cc_free(yaml);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_manifest_fixture),
                cmocka_unit_test(test_multi_document),
                cmocka_unit_test(test_scalar_typing),
                cmocka_unit_test(test_keys),
                cmocka_unit_test(test_duplicate_keys),
                cmocka_unit_test(test_anchors_and_merges),
                cmocka_unit_test(test_block_scalars_and_flow),
                cmocka_unit_test(test_errors_have_positions),
                cmocka_unit_test(test_depth_limit),
                cmocka_unit_test(test_caps),
                cmocka_unit_test(test_billion_laughs),
                cmocka_unit_test(test_garbage_and_truncation),
                cmocka_unit_test(test_load_file),
                cmocka_unit_test(test_alloc_failure),
        };

        if (cc_alloc_init() != CC_OK)
                return 1;
        return cmocka_run_group_tests(tests, NULL, NULL);
}
