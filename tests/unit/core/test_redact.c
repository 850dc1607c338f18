/* test_redact.c -- header, body and URL redaction for trace logs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "core/alloc.h"
#include "core/redact.h"

static const char *
hdr(struct cc_buf *b, const char *line)
{
        cc_buf_reset(b);
        assert_int_equal(cc_redact_header_line(b, line, strlen(line)), CC_OK);
        return cc_buf_str(b);
}

static void
test_headers(void **state)
{
        struct cc_buf b = CC_BUF_INIT(0);

        assert_string_equal(hdr(&b, "Authorization: Bearer sekrit"), "Authorization: [REDACTED]");
        assert_string_equal(hdr(&b, "authorization:Basic dXNlcjpwYXNz"),
                            "authorization: [REDACTED]");
        assert_string_equal(hdr(&b, "Proxy-Authorization: Basic x"),
                            "Proxy-Authorization: [REDACTED]");
        assert_string_equal(hdr(&b, "Cookie: session=abc"), "Cookie: [REDACTED]");
        assert_string_equal(hdr(&b, "Set-Cookie: session=abc"), "Set-Cookie: [REDACTED]");
        assert_string_equal(hdr(&b, "X-Goog-Api-Key: AIza"), "X-Goog-Api-Key: [REDACTED]");
        assert_string_equal(hdr(&b, "Content-Type: application/json"),
                            "Content-Type: application/json");
        assert_string_equal(hdr(&b, "GET /x HTTP/1.1"), "GET /x HTTP/1.1");
        /* the request line's query is redacted like a URL */
        assert_string_equal(hdr(&b, "GET /t?alt=json&access_token=ya29.x HTTP/1.1"),
                            "GET /t?alt=json&access_token=[REDACTED] HTTP/1.1");
        assert_string_equal(hdr(&b, "HTTP/1.1 200 OK"), "HTTP/1.1 200 OK");
        cc_buf_release(&b);
}

static const char *
body(struct cc_buf *b, const char *ct, const char *s)
{
        cc_buf_reset(b);
        assert_int_equal(cc_redact_body(b, ct, s, strlen(s), 4096), CC_OK);
        return cc_buf_str(b);
}

static void
test_json_bodies(void **state)
{
        struct cc_buf b = CC_BUF_INIT(0);
        const char *out;

        out = body(
            &b, "application/json; charset=utf-8",
            "{\"access_token\":\"ya29.SECRET\",\"expires_in\":3599,\"token_type\":\"Bearer\"}");
        assert_null(strstr(out, "ya29.SECRET"));
        assert_non_null(strstr(out, "\"access_token\":\"[REDACTED]\""));
        assert_non_null(strstr(out, "\"expires_in\":3599"));
        /* nested, arrays, non-string values, no content type */
        out = body(&b, NULL,
                   "{\"items\":[{\"name\":\"a\",\"private_key\":\"-----BEGIN\"}],"
                   "\"client_secret\":12345,\"creds\":{\"password\":\"hunter2\"}}");
        assert_null(strstr(out, "BEGIN"));
        assert_null(strstr(out, "12345"));
        assert_null(strstr(out, "hunter2"));
        assert_non_null(strstr(out, "\"name\":\"a\""));
        /* a JSON body that does not parse is not shown at all */
        out = body(&b, "application/json", "{\"access_token\":\"ya29.SECR");
        assert_null(strstr(out, "ya29"));
        assert_non_null(strstr(out, "not shown"));
        cc_buf_release(&b);
}

static void
test_form_and_text_bodies(void **state)
{
        struct cc_buf b = CC_BUF_INIT(0);
        const char *out;

        out = body(&b, "application/x-www-form-urlencoded",
                   "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&"
                   "assertion=eyJhbGciOi.PAYLOAD.SIG");
        assert_null(strstr(out, "eyJhbGciOi"));
        assert_non_null(strstr(out, "grant_type=urn%3Aietf"));
        assert_non_null(strstr(out, "assertion=[REDACTED]"));
        /* form shape detected without a content type */
        out = body(&b, NULL, "refresh_token=1//abc&client_id=x");
        assert_string_equal(out, "refresh_token=[REDACTED]&client_id=x");
        out = body(&b, "text/plain", "hello world");
        assert_string_equal(out, "hello world");
        cc_buf_reset(&b);
        assert_int_equal(cc_redact_body(&b, NULL, "\x01\x02\x03", 3, 4096), CC_OK);
        assert_string_equal(cc_buf_str(&b), "[3 bytes of binary data]");
        cc_buf_reset(&b);
        assert_int_equal(cc_redact_body(&b, "text/plain", "abcdefghij", 10, 4), CC_OK);
        assert_string_equal(cc_buf_str(&b), "abcd...(10 bytes)");
        cc_buf_release(&b);
}

static void
test_urls(void **state)
{
        struct cc_buf b = CC_BUF_INIT(0);

        assert_int_equal(cc_redact_url(&b, "https://h/p?alt=json&key=AIzaSECRET&x=1#frag"), CC_OK);
        assert_string_equal(cc_buf_str(&b), "https://h/p?alt=json&key=[REDACTED]&x=1#frag");
        cc_buf_reset(&b);
        assert_int_equal(cc_redact_url(&b, "http://user:pw@host:8080/a?access_token=t"), CC_OK);
        assert_string_equal(cc_buf_str(&b),
                            "http://[REDACTED]@host:8080/a?access_token=[REDACTED]");
        cc_buf_reset(&b);
        assert_int_equal(cc_redact_url(&b, "http://127.0.0.1:1/plain"), CC_OK);
        assert_string_equal(cc_buf_str(&b), "http://127.0.0.1:1/plain");
        cc_buf_release(&b);
}

static void
test_scrub(void **state)
{
        struct cc_buf b = CC_BUF_INIT(0);

        cc_buf_puts(&b, "a CANARY b CANARYCANARY");
        assert_int_equal(cc_redact_scrub(&b, "CANARY", 6), CC_OK);
        assert_string_equal(cc_buf_str(&b), "a [REDACTED] b [REDACTED][REDACTED]");
        /* too short to be a credential: left alone */
        assert_int_equal(cc_redact_scrub(&b, "a ", 2), CC_OK);
        assert_string_equal(cc_buf_str(&b), "a [REDACTED] b [REDACTED][REDACTED]");
        cc_buf_release(&b);
}

static void
test_allocation_failures(void **state)
{
        const char *js = "{\"a\":{\"token\":\"SECRETVALUE\"},\"b\":[1,2,3]}";
        struct cc_buf b = CC_BUF_INIT(0);
        unsigned long n;
        cc_err rc;

        cc_alloc_init();
        for (n = 1; n < 100; n++) {
                cc_alloc_fail_at(n, false);
                rc = cc_redact_body(&b, "application/json", js, strlen(js), 4096);
                cc_alloc_fail_at(0, false);
                /* whatever failed, the secret never comes out */
                assert_null(strstr(cc_buf_str(&b), "SECRETVALUE"));
                if (rc == CC_OK)
                        assert_true(b.len > 0);
                else
                        assert_int_equal(rc, CC_NOMEM);
                cc_buf_release(&b);
        }
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_headers),
                cmocka_unit_test(test_json_bodies),
                cmocka_unit_test(test_form_and_text_bodies),
                cmocka_unit_test(test_urls),
                cmocka_unit_test(test_scrub),
                cmocka_unit_test(test_allocation_failures),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
