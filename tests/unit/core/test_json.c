/* test_json.c -- strict JSON parsing, path getters and setters, printing, equality. */
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

static cJSON *
parse_ok(const char *s)
{
        struct cc_diag d = { 0 };
        cJSON *root = NULL;
        cc_err rc = cc_json_parse(s, strlen(s), 0, &root, &d);

        if (rc)
                fail_msg("parse of '%s' failed: %s", s, d.message);
        return root;
}

static void
assert_parse_error(const char *s, cc_err code, const char *msg)
{
        struct cc_diag d = { 0 };
        cJSON *root = (cJSON *)&d; /* must stay untouched */

        assert_int_equal(cc_json_parse(s, strlen(s), 0, &root, &d), code);
        assert_ptr_equal(root, (cJSON *)&d);
        assert_string_equal(d.message, msg);
}

static void
test_parse_and_print(void **state)
{
        struct cc_buf b = CC_BUF_INIT(0);
        cJSON *root = parse_ok(" {\"a\": [1, 2.5, -3e2, \"x\\u00e9\\ud83d\\ude00\\n\", true, "
                               "false, null], \"b\": {}} \r\n");

        assert_int_equal(cc_json_print(root, false, &b), CC_OK);
        assert_string_equal(cc_buf_str(&b),
                            "{\"a\":[1,2.5,-300,\"x\xc3\xa9\xf0\x9f\x98\x80\\n\",true,false,null],"
                            "\"b\":{}}");
        cc_buf_reset(&b);
        assert_int_equal(cc_json_print(root, true, &b), CC_OK);
        assert_non_null(strstr(cc_buf_str(&b), "\n\t\"a\":\t[1, 2.5"));
        cc_buf_release(&b);
        cJSON_Delete(root);

        /* a print that does not fit the buffer's cap fails and releases it */
        root = parse_ok("[\"0123456789\"]");
        cc_buf_init(&b, 8);
        assert_int_equal(cc_json_print(root, false, &b), CC_TOOBIG);
        assert_null(b.data);
        cJSON_Delete(root);
}

static void
test_parse_not_terminated_and_bom(void **state)
{
        const char buf[] = "[1,2]xxxx";
        struct cc_diag d = { 0 };
        cJSON *root = NULL;

        /* only len bytes are read: the slice "[1,2]" is a document */
        assert_int_equal(cc_json_parse(buf, 5, 0, &root, &d), CC_OK);
        assert_int_equal(cJSON_GetArraySize(root), 2);
        cJSON_Delete(root);
        assert_int_equal(cc_json_parse(buf, 4, 0, &root, &d), CC_INVAL);
        assert_string_equal(d.message,
                            "json: line 1, column 5 (offset 4): unexpected end of input");
        assert_int_equal(cc_json_parse("\xEF\xBB\xBF{}", 5, 0, &root, &d), CC_OK);
        assert_true(cJSON_IsObject(root));
        cJSON_Delete(root);
        assert_int_equal(cc_json_parse("\xEF\xBB\xBF"
                                       "1",
                                       4, 0, &root, &d),
                         CC_OK);
        assert_int_equal(root->valueint, 1);
        cJSON_Delete(root);
}

static void
test_parse_errors_have_positions(void **state)
{
        assert_parse_error("", CC_INVAL,
                           "json: line 1, column 1 (offset 0): unexpected end of input");
        assert_parse_error("{\"a\" 1}", CC_INVAL,
                           "json: line 1, column 6 (offset 5): expected ':' after object key");
        assert_parse_error("{\n  \"a\": 1,\n  \"b\": [1, 2,]\n}", CC_INVAL,
                           "json: line 3, column 14 (offset 25): unexpected character ']'");
        assert_parse_error("{\"a\": 1 \"b\": 2}", CC_INVAL,
                           "json: line 1, column 9 (offset 8): expected ',' or '}' in object");
        assert_parse_error("[1 2]", CC_INVAL,
                           "json: line 1, column 4 (offset 3): expected ',' or ']' in array");
        assert_parse_error("{a: 1}", CC_INVAL,
                           "json: line 1, column 2 (offset 1): expected string key in object");
        assert_parse_error("[1] x", CC_INVAL,
                           "json: line 1, column 5 (offset 4): unexpected data after the value");
        assert_parse_error("01", CC_INVAL,
                           "json: line 1, column 1 (offset 0): invalid number: leading zero");
        assert_parse_error("[1.]", CC_INVAL, "json: line 1, column 2 (offset 1): invalid number");
        assert_parse_error("-", CC_INVAL, "json: line 1, column 1 (offset 0): invalid number");
        assert_parse_error("1e999", CC_INVAL,
                           "json: line 1, column 1 (offset 0): number out of range");
        assert_parse_error("tru", CC_INVAL,
                           "json: line 1, column 1 (offset 0): unexpected character 't'");
        assert_parse_error("[\x01]", CC_INVAL,
                           "json: line 1, column 2 (offset 1): unexpected character 0x01");
        assert_parse_error("\"abc", CC_INVAL,
                           "json: line 1, column 1 (offset 0): unterminated string");
        assert_parse_error("\"a\tb\"", CC_INVAL,
                           "json: line 1, column 3 (offset 2): control character in string");
        assert_parse_error("\"\\x\"", CC_INVAL,
                           "json: line 1, column 2 (offset 1): invalid escape in string");
        assert_parse_error("\"\\u12G4\"", CC_INVAL,
                           "json: line 1, column 2 (offset 1): invalid \\u escape in string");
        assert_parse_error("\"\\ud800\"", CC_INVAL,
                           "json: line 1, column 2 (offset 1): unpaired utf-16 surrogate in "
                           "string");
        assert_parse_error("\"\\udc00\\ud800\"", CC_INVAL,
                           "json: line 1, column 2 (offset 1): unpaired utf-16 surrogate in "
                           "string");
        assert_parse_error("\"\\u0000\"", CC_INVAL,
                           "json: line 1, column 2 (offset 1): \\u0000 in string is not "
                           "supported");
        /* columns count characters, offsets count bytes */
        assert_parse_error("{\"\xc3\xa9\": \xc3\x28}", CC_INVAL,
                           "json: line 1, column 7 (offset 7): unexpected character 0xc3");
        assert_parse_error("\"\xc3\x28\"", CC_INVAL,
                           "json: line 1, column 2 (offset 1): invalid utf-8 in string");
        assert_parse_error("\"\xed\xa0\x80\"", CC_INVAL,
                           "json: line 1, column 2 (offset 1): invalid utf-8 in string");
        assert_parse_error("\"\xc0\xaf\"", CC_INVAL,
                           "json: line 1, column 2 (offset 1): invalid utf-8 in string");
        assert_parse_error("1234567890123456789012345678901234567890123456789012345678901234",
                           CC_INVAL,
                           "json: line 1, column 1 (offset 0): number longer than 63 "
                           "characters");
}

static void
test_parse_depth_limit(void **state)
{
        char deep[5 * (CC_JSON_MAX_DEPTH + 1) + 1];
        struct cc_diag d = { 0 };
        struct cc_buf big = CC_BUF_INIT(0);
        cJSON *root = NULL;
        int i;

        for (i = 0; i < CC_JSON_MAX_DEPTH; i++) {
                deep[i] = '[';
                deep[CC_JSON_MAX_DEPTH + i] = ']';
        }
        assert_int_equal(cc_json_parse(deep, 2 * CC_JSON_MAX_DEPTH, 0, &root, &d), CC_OK);
        cJSON_Delete(root);

        /* one more level, in objects this time, is refused where it starts */
        for (i = 0; i <= CC_JSON_MAX_DEPTH; i++) {
                memcpy(deep + 5 * i, "{\"a\":", 5);
                deep[5 * i + 5] = '\0';
        }
        assert_int_equal(cc_json_parse(deep, 5 * (CC_JSON_MAX_DEPTH + 1), 0, &root, &d), CC_INVAL);
        assert_string_equal(d.message, "json: line 1, column 641 (offset 640): nesting deeper "
                                       "than 128 levels");

        /* a hostile document: 100k opening brackets, refused at the limit */
        for (i = 0; i < 100000; i++)
                assert_int_equal(cc_buf_putc(&big, '['), CC_OK);
        assert_int_equal(cc_json_parse(big.data, big.len, 0, &root, &d), CC_INVAL);
        assert_non_null(strstr(d.message, "nesting deeper than 128 levels"));
        cc_buf_release(&big);
}

static void
test_parse_size_cap(void **state)
{
        struct cc_diag d = { 0 };
        cJSON *root = NULL;

        assert_int_equal(cc_json_parse("[1, 2, 3]", 9, 8, &root, &d), CC_TOOBIG);
        assert_string_equal(d.message, "json document too large: 9 bytes exceeds the 8 byte limit");
        assert_null(root);
        assert_int_equal(cc_json_parse("[1, 2, 3]", 9, 9, &root, &d), CC_OK);
        cJSON_Delete(root);
}

static const char *gw = "{\"metadata\": {\"name\": \"web\", \"generation\": 7,"
                        "  \"annotations\": {\"cloud.google.com/neg\": \"{}\", \"a]b\": \"x\"},"
                        "  \"deletionTimestamp\": null},"
                        " \"spec\": {\"listeners\": [{\"port\": 80}, {\"port\": 443},"
                        "   {\"port\": \"8443\", \"tls\": true, \"weight\": 1.5,"
                        "    \"big\": 1e300, \"huge\": 9007199254740993}], \"name\": \"s\"}}";

static void
test_getters(void **state)
{
        cJSON *root = parse_ok(gw);
        struct cc_diag d = { 0 };
        const char *s = NULL;
        const cJSON *o = NULL;
        int64_t i = 0;
        bool b = false;

        assert_int_equal(cc_json_get_str(root, "metadata.name", &s, &d), CC_OK);
        assert_string_equal(s, "web");
        assert_int_equal(
            cc_json_get_str(root, "metadata.annotations[\"cloud.google.com/neg\"]", &s, &d), CC_OK);
        assert_string_equal(s, "{}");
        assert_int_equal(cc_json_get_str(root, "metadata.annotations['a]b']", &s, &d), CC_OK);
        assert_string_equal(s, "x");
        assert_int_equal(cc_json_get_str(root, "[\"metadata\"][\"name\"]", &s, &d), CC_OK);
        assert_string_equal(s, "web");
        assert_int_equal(cc_json_get_int(root, "spec.listeners[1].port", 1, 65535, &i, &d), CC_OK);
        assert_int_equal(i, 443);
        assert_int_equal(cc_json_get_int(root, "metadata.generation", INT64_MIN, INT64_MAX, &i, &d),
                         CC_OK);
        assert_int_equal(i, 7);
        assert_int_equal(cc_json_get_bool(root, "spec.listeners[2].tls", &b, &d), CC_OK);
        assert_true(b);
        assert_int_equal(cc_json_get_obj(root, "spec", &o, &d), CC_OK);
        assert_ptr_equal(o, cJSON_GetObjectItem(root, "spec"));
        assert_int_equal(cc_json_get_arr(root, "spec.listeners", &o, &d), CC_OK);
        assert_int_equal(cJSON_GetArraySize(o), 3);
        assert_int_equal(cc_json_get_obj(root, "", &o, &d), CC_OK);
        assert_ptr_equal(o, root);
        cJSON_Delete(root);
}

/* a macro, so that a failure reports the caller's line */
#define assert_get_error(got, want, d, msg)               \
        do {                                              \
                assert_int_equal((got), (want));          \
                assert_string_equal((d)->message, (msg)); \
        } while (0)

static void
test_getter_errors(void **state)
{
        cJSON *root = parse_ok(gw);
        struct cc_diag d = { 0 };
        const char *s = "untouched";
        const cJSON *o = NULL;
        int64_t i = 42;
        bool b = false;

        assert_get_error(cc_json_get_int(root, "spec.listeners[2].port", 1, 65535, &i, &d),
                         CC_INVAL, &d,
                         "field 'spec.listeners[2].port': expected integer, got string");
        assert_get_error(cc_json_get_str(root, "metadata.uid", &s, &d), CC_NOTFOUND, &d,
                         "field 'metadata.uid' is required");
        assert_get_error(cc_json_get_str(root, "spec.listeners[9].name", &s, &d), CC_NOTFOUND, &d,
                         "field 'spec.listeners[9].name' is required");
        /* null means absent, as in Kubernetes */
        assert_get_error(cc_json_get_str(root, "metadata.deletionTimestamp", &s, &d), CC_NOTFOUND,
                         &d, "field 'metadata.deletionTimestamp' is required");
        assert_get_error(cc_json_get_str(root, "metadata.deletionTimestamp.x", &s, &d), CC_NOTFOUND,
                         &d, "field 'metadata.deletionTimestamp.x' is required");
        /* an intermediate node of the wrong type names the failing prefix */
        assert_get_error(cc_json_get_str(root, "spec.name.first", &s, &d), CC_INVAL, &d,
                         "field 'spec.name': expected object, got string");
        assert_get_error(cc_json_get_str(root, "spec[0]", &s, &d), CC_INVAL, &d,
                         "field 'spec': expected array, got object");
        assert_get_error(cc_json_get_int(root, "spec.listeners[2].weight", 0, 100, &i, &d),
                         CC_INVAL, &d,
                         "field 'spec.listeners[2].weight': expected integer, got 1.5");
        assert_get_error(
            cc_json_get_int(root, "spec.listeners[2].big", INT64_MIN, INT64_MAX, &i, &d), CC_INVAL,
            &d,
            "field 'spec.listeners[2].big': integer 1e+300 cannot be represented "
            "exactly");
        assert_get_error(
            cc_json_get_int(root, "spec.listeners[2].huge", INT64_MIN, INT64_MAX, &i, &d), CC_INVAL,
            &d,
            "field 'spec.listeners[2].huge': integer 9007199254740992 cannot be "
            "represented exactly");
        assert_get_error(cc_json_get_int(root, "spec.listeners[1].port", 1, 100, &i, &d), CC_INVAL,
                         &d, "field 'spec.listeners[1].port': value 443 out of range [1, 100]");
        assert_get_error(cc_json_get_bool(root, "metadata.name", &b, &d), CC_INVAL, &d,
                         "field 'metadata.name': expected boolean, got string");
        assert_get_error(cc_json_get_obj(root, "spec.listeners", &o, &d), CC_INVAL, &d,
                         "field 'spec.listeners': expected object, got array");
        assert_get_error(cc_json_get_arr(root, "metadata", &o, &d), CC_INVAL, &d,
                         "field 'metadata': expected array, got object");
        assert_get_error(cc_json_get_str(root, "metadata.generation", &s, &d), CC_INVAL, &d,
                         "field 'metadata.generation': expected string, got number");
        assert_string_equal(s, "untouched");
        assert_int_equal(i, 42);
        assert_false(b);
        cJSON_Delete(root);
}

static void
test_bad_paths(void **state)
{
        static const char *const bad[] = {
                ".a", "a.",    "a..b",    "a[",      "a[x]",           "a[1",    "a[-1]", "a[\"b]",
                "a]", "a[1]b", "a[\"b\"", "a['b'c]", "a[99999999999]", "a[\"\\", "[",     "a.[0]",
        };
        cJSON *root = parse_ok("{\"a\": [1]}");
        struct cc_diag d = { 0 };
        char msg[128];
        const cJSON *o;
        size_t k;

        for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
                assert_int_equal(cc_json_get_obj(root, bad[k], &o, &d), CC_INVAL);
                snprintf(msg, sizeof(msg), "invalid json path '%s'", bad[k]);
                assert_string_equal(d.message, msg);
                assert_null(cc_json_lookup(root, bad[k]));
        }
        cJSON_Delete(root);
}

static void
test_opt_getters(void **state)
{
        cJSON *root = parse_ok(gw);
        struct cc_diag d = { 0 };
        const char *s = "default";
        const cJSON *o = NULL;
        int64_t port = 80;
        bool tls = false;

        cc_diag_set(&d, CC_QUOTA, 0, "earlier");
        /* absent and null: CC_NOTFOUND, out and diag untouched */
        assert_int_equal(cc_json_get_int_opt(root, "spec.port", 1, 65535, &port, &d), CC_NOTFOUND);
        assert_int_equal(cc_json_get_str_opt(root, "metadata.deletionTimestamp", &s, &d),
                         CC_NOTFOUND);
        assert_int_equal(cc_json_get_bool_opt(root, "spec.listeners[0].tls", &tls, &d),
                         CC_NOTFOUND);
        assert_int_equal(cc_json_get_obj_opt(root, "status", &o, &d), CC_NOTFOUND);
        assert_int_equal(cc_json_get_arr_opt(root, "status.conditions", &o, &d), CC_NOTFOUND);
        assert_int_equal(cc_json_get_str_opt(NULL, "a", &s, &d), CC_NOTFOUND);
        assert_int_equal(port, 80);
        assert_string_equal(s, "default");
        assert_false(tls);
        assert_null(o);
        assert_int_equal(d.code, CC_QUOTA);
        assert_string_equal(d.message, "earlier");
        /* present: like the plain getters */
        assert_int_equal(cc_json_get_bool_opt(root, "spec.listeners[2].tls", &tls, &d), CC_OK);
        assert_true(tls);
        assert_int_equal(cc_json_get_arr_opt(root, "spec.listeners", &o, &d), CC_OK);
        assert_non_null(o);
        /* wrong type is still an error */
        assert_int_equal(cc_json_get_int_opt(root, "metadata.name", 0, 1, &port, &d), CC_INVAL);
        assert_string_equal(d.message, "field 'metadata.name': expected integer, got string");
        cJSON_Delete(root);
}

static void
test_lookup(void **state)
{
        cJSON *root = parse_ok(gw);

        assert_string_equal(cc_json_lookup(root, "spec.listeners[2].port")->valuestring, "8443");
        assert_ptr_equal(cc_json_lookup(root, ""), root);
        assert_true(cJSON_IsNull(cc_json_lookup(root, "metadata.deletionTimestamp")));
        assert_null(cc_json_lookup(root, "spec.listeners[3]"));
        assert_null(cc_json_lookup(root, "spec.name.x"));
        assert_null(cc_json_lookup(root, "Spec"));
        assert_null(cc_json_lookup(NULL, "a"));
        cJSON_Delete(root);
}

static void
test_equal(void **state)
{
        static const char *const same[][2] = {
                { "{\"a\": 1, \"b\": [1, {\"c\": null}]}",
                  "{\"b\": [1, {\"c\": null}], \"a\": 1.0}" },
                { "[]", "[]" },
                { "{}", "{}" },
                { "\"x\"", "\"x\"" },
                { "true", "true" },
        };
        static const char *const differ[][2] = {
                { "{\"a\": 1}", "{\"a\": 2}" },
                { "{\"a\": 1}", "{\"a\": 1, \"b\": 1}" },
                { "{\"a\": 1, \"b\": 2}", "{\"a\": 1, \"c\": 2}" },
                { "{\"a\": 1, \"a\": 1}", "{\"a\": 1, \"b\": 1}" },
                { "[1, 2]", "[2, 1]" },
                { "[1]", "[1, 1]" },
                { "true", "false" },
                { "null", "false" },
                { "\"1\"", "1" },
                { "\"a\"", "\"A\"" },
                { "{\"a\": {}}", "{\"a\": []}" },
        };
        cJSON *a_null;
        size_t k;

        for (k = 0; k < sizeof(same) / sizeof(same[0]); k++) {
                cJSON *a = parse_ok(same[k][0]), *b = parse_ok(same[k][1]);

                assert_true(cc_json_equal(a, b));
                assert_true(cc_json_equal(b, a));
                cJSON_Delete(a);
                cJSON_Delete(b);
        }
        for (k = 0; k < sizeof(differ) / sizeof(differ[0]); k++) {
                cJSON *a = parse_ok(differ[k][0]), *b = parse_ok(differ[k][1]);

                assert_false(cc_json_equal(a, b));
                assert_false(cc_json_equal(b, a));
                cJSON_Delete(a);
                cJSON_Delete(b);
        }
        assert_true(cc_json_equal(NULL, NULL));
        a_null = cJSON_CreateNull();
        assert_false(cc_json_equal(NULL, a_null));
        cJSON_Delete(a_null);
}

static void
test_set(void **state)
{
        cJSON *root =
            parse_ok("{\"metadata\": {\"name\": \"web\"}, \"spec\": {\"ports\": [1, 2]}}");
        cJSON *want = parse_ok("{\"metadata\": {\"name\": \"web2\", \"labels\": {\"a.b/c\": "
                               "\"x\"}, \"annotations\": {\"n\": {\"m\": true}}},"
                               " \"spec\": {\"ports\": [1, 443], \"replicas\": 3}}");
        struct cc_buf b = CC_BUF_INIT(0);

        assert_int_equal(cc_json_set_str(root, "metadata.name", "web2"), CC_OK);
        assert_int_equal(cc_json_set_str(root, "metadata.labels[\"a.b/c\"]", "x"), CC_OK);
        assert_int_equal(cc_json_set_bool(root, "metadata.annotations.n.m", true), CC_OK);
        assert_int_equal(cc_json_set_int(root, "spec.ports[1]", 443), CC_OK);
        assert_int_equal(cc_json_set_int(root, "spec.replicas", 3), CC_OK);
        cc_json_print(root, false, &b);
        if (!cc_json_equal(root, want))
                fail_msg("got %s", cc_buf_str(&b));
        cc_buf_release(&b);

        /* failures leave the tree as it was */
        assert_int_equal(cc_json_set_str(root, "spec.ports[2]", "x"), CC_NOTFOUND);
        assert_int_equal(cc_json_set_str(root, "spec.new.list[0]", "x"), CC_NOTFOUND);
        assert_int_equal(cc_json_set_str(root, "metadata.name.first", "x"), CC_INVAL);
        assert_int_equal(cc_json_set_str(root, "metadata[0]", "x"), CC_INVAL);
        assert_int_equal(cc_json_set_str(root, "", "x"), CC_INVAL);
        assert_int_equal(cc_json_set_str(root, "a..b", "x"), CC_INVAL);
        assert_int_equal(cc_json_set_int(root, "spec.big", INT64_MAX), CC_INVAL);
        assert_int_equal(cc_json_set(root, "spec.x", NULL), CC_INVAL);
        assert_true(cc_json_equal(root, want));
        cJSON_Delete(root);
        cJSON_Delete(want);
}

/* fail every allocation of a parse, a print and a set in turn */
static void
test_alloc_failure(void **state)
{
        const char *doc = "{\"metadata\": {\"name\": \"web\", \"labels\": {\"a\": \"b\"}},"
                          " \"spec\": {\"listeners\": [{\"port\": 80, \"name\": \"http\"}]}}";
        unsigned long n;
        int fired = 0;

        for (n = 1;; n++) {
                struct cc_diag d = { 0 };
                struct cc_buf b = CC_BUF_INIT(0);
                cJSON *root = NULL;
                cc_err rc;

                cc_alloc_fail_at(n, false);
                rc = cc_json_parse(doc, strlen(doc), 0, &root, &d);
                if (rc == CC_OK)
                        rc = cc_json_set_str(root, "metadata.annotations[\"x.y/z\"]", "v");
                if (rc == CC_OK)
                        rc = cc_json_set_int(root, "spec.listeners[0].port", 8080);
                if (rc == CC_OK)
                        rc = cc_json_print(root, true, &b);
                cc_buf_release(&b);
                cJSON_Delete(root);
                if (!cc_alloc_failed()) {
                        assert_int_equal(rc, CC_OK);
                        break;
                }
                fired++;
                assert_int_equal(rc, CC_NOMEM);
        }
        cc_alloc_fail_at(0, false);
        assert_true(fired > 10);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_and_print),
                cmocka_unit_test(test_parse_not_terminated_and_bom),
                cmocka_unit_test(test_parse_errors_have_positions),
                cmocka_unit_test(test_parse_depth_limit),
                cmocka_unit_test(test_parse_size_cap),
                cmocka_unit_test(test_getters),
                cmocka_unit_test(test_getter_errors),
                cmocka_unit_test(test_bad_paths),
                cmocka_unit_test(test_opt_getters),
                cmocka_unit_test(test_lookup),
                cmocka_unit_test(test_equal),
                cmocka_unit_test(test_set),
                cmocka_unit_test(test_alloc_failure),
        };

        if (cc_alloc_init() != CC_OK)
                return 1;
        return cmocka_run_group_tests(tests, NULL, NULL);
}
