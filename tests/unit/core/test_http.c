/* test_http.c -- HTTP client helpers, request building under allocation
 * failure, cancellation and release. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "core/alloc.h"
#include "core/http.h"
#include "core/log.h"
#include "lib/testsrv.h"

static void
test_header_parse(void **state)
{
        const char *n, *v;
        size_t nl, vl;
        const char *line = "Retry-After:   120 \r\n";

        assert_true(cc_http_header_parse(line, strlen(line), &n, &nl, &v, &vl));
        assert_int_equal(nl, 11);
        assert_memory_equal(n, "Retry-After", 11);
        assert_int_equal(vl, 3);
        assert_memory_equal(v, "120", 3);
        line = "X-Empty:\r\n";
        assert_true(cc_http_header_parse(line, strlen(line), &n, &nl, &v, &vl));
        assert_int_equal(vl, 0);
        line = "Location: http://h:1/a?b=c\r\n"; /* colons in the value */
        assert_true(cc_http_header_parse(line, strlen(line), &n, &nl, &v, &vl));
        assert_int_equal(nl, 8);
        assert_int_equal(vl, strlen("http://h:1/a?b=c"));
        assert_false(cc_http_header_parse(": v\r\n", 5, &n, &nl, &v, &vl));
        assert_false(cc_http_header_parse("no colon\r\n", 10, &n, &nl, &v, &vl));
        assert_false(cc_http_header_parse("Bad Name: v\r\n", 13, &n, &nl, &v, &vl));
}

static void
test_status_parse_and_mapping(void **state)
{
        assert_int_equal(cc_http_status_parse("HTTP/1.1 200 OK\r\n", 17), 200);
        assert_int_equal(cc_http_status_parse("HTTP/2 404\r\n", 12), 404);
        assert_int_equal(cc_http_status_parse("HTTP/1.1 20 OK", 14), -1);
        assert_int_equal(cc_http_status_parse("HTTP/1.1 2000", 13), -1);
        assert_int_equal(cc_http_status_parse("Content-Type: x", 15), -1);
        assert_int_equal(cc_http_status_err(200), CC_OK);
        assert_int_equal(cc_http_status_err(304), CC_OK);
        assert_int_equal(cc_http_status_err(400), CC_INVAL);
        assert_int_equal(cc_http_status_err(401), CC_AUTH);
        assert_int_equal(cc_http_status_err(403), CC_AUTH);
        assert_int_equal(cc_http_status_err(404), CC_NOTFOUND);
        assert_int_equal(cc_http_status_err(409), CC_CONFLICT);
        assert_int_equal(cc_http_status_err(412), CC_CONFLICT);
        assert_int_equal(cc_http_status_err(429), CC_RATELIMIT);
        assert_int_equal(cc_http_status_err(503), CC_TRANSIENT);
        assert_true(cc_http_method_idempotent("GET"));
        assert_true(cc_http_method_idempotent("PUT"));
        assert_true(cc_http_method_idempotent("DELETE"));
        assert_true(cc_http_method_idempotent("HEAD"));
        assert_false(cc_http_method_idempotent("POST"));
        assert_false(cc_http_method_idempotent("PATCH"));
}

static void
test_response_header_lookup(void **state)
{
        static const char raw[] = "Content-Type\0application/json\0X-Goog-Request-Id\0abc\0"
                                  "Location\0/x\0Retry-After\0\0";
        struct cc_http_response r = { 0 };

        r.headers.data = (char *)raw;
        r.headers.len = sizeof(raw) - 1;
        assert_string_equal(cc_http_response_header(&r, "content-type"), "application/json");
        assert_string_equal(cc_http_response_header(&r, "LOCATION"), "/x");
        assert_string_equal(cc_http_response_header(&r, "retry-after"), "");
        assert_null(cc_http_response_header(&r, "x-missing"));
        assert_string_equal(cc_http_response_request_id(&r), "abc");
}

struct result {
        int calls;
        cc_err rc;
        int status;
};

static void
on_done(struct cc_http_req *req, cc_err rc, struct cc_http_response *resp, void *ud)
{
        struct result *r = ud;

        r->calls++;
        r->rc = rc;
        r->status = resp->status;
}

static void
h_ok(const struct cc_testsrv_req *q, struct cc_testsrv_resp *r, void *ud)
{
        r->headers[0] = "Content-Type: application/json";
        r->body = "{\"ok\":true}";
}

static void
test_invalid_requests(void **state)
{
        struct cc_http_request r = { .url = "http://127.0.0.1:1/", .done = on_done };
        struct result res = { 0 };
        struct cc_loop loop;
        struct cc_http h;
        struct cc_diag d;

        assert_int_equal(cc_loop_init(&loop, NULL), CC_OK);
        assert_int_equal(cc_http_init(&h, &loop, NULL, NULL), CC_OK);
        r.ud = &res;
        r.method = "get";
        assert_int_equal(cc_http_send(&h, &r, NULL, &d), CC_INVAL);
        assert_non_null(strstr(d.message, "bad method"));
        r.method = NULL;
        r.done = NULL;
        assert_int_equal(cc_http_send(&h, &r, NULL, &d), CC_INVAL);
        r.done = on_done;
        r.url = NULL;
        assert_int_equal(cc_http_send(&h, &r, NULL, &d), CC_INVAL);
        assert_int_equal(cc_loop_run(&loop), CC_OK);
        assert_int_equal(res.calls, 0);
        cc_http_release(&h);
        assert_int_equal(cc_loop_release(&loop), CC_OK);
}

/* Fail each allocation of cc_http_send in turn (curl's included): either
 * the send fails cleanly with no callback, or it succeeds and the request
 * completes.  ASan proves nothing leaks. */
static void
test_send_allocation_failures(void **state)
{
        struct cc_testsrv *srv = cc_testsrv_start(h_ok, NULL);
        struct cc_secret tok = CC_SECRET_INIT;
        const char *const hdrs[] = { "Accept: application/json", "X-Extra: 1", NULL };
        cJSON *json = cJSON_CreateObject();
        struct cc_http_request r = { 0 };
        struct cc_loop loop;
        struct cc_http h;
        unsigned long n;
        unsigned failures = 0, successes = 0;
        cc_err rc;

        assert_non_null(srv);
        cJSON_AddStringToObject(json, "name", "x");
        assert_int_equal(cc_secret_set_str(&tok, "tok-123456"), CC_OK);
        r.url = cc_testsrv_url(srv, "/build?alt=json");
        r.method = "PUT";
        r.headers = hdrs;
        r.json = json;
        r.bearer = &tok;
        r.group = "g";
        r.done = on_done;
        for (n = 1; n < 400; n++) {
                struct result res = { 0 };
                struct cc_diag d;

                assert_int_equal(cc_loop_init(&loop, NULL), CC_OK);
                assert_int_equal(cc_http_init(&h, &loop, NULL, NULL), CC_OK);
                assert_int_equal(cc_http_set_rate(&h, "g", 100, 10), CC_OK);
                r.ud = &res;
                cc_alloc_fail_at(n, false);
                rc = cc_http_send(&h, &r, NULL, &d);
                cc_alloc_fail_at(0, false);
                if (rc == CC_AGAIN) {
                        assert_int_equal(cc_loop_run(&loop), CC_OK);
                        assert_int_equal(res.calls, 1);
                        assert_int_equal(res.rc, CC_OK);
                        successes++;
                } else {
                        assert_int_equal(rc, CC_NOMEM);
                        assert_non_null(strstr(d.message, "out of memory"));
                        assert_int_equal(cc_loop_run(&loop), CC_OK);
                        assert_int_equal(res.calls, 0);
                        failures++;
                }
                cc_http_release(&h);
                assert_int_equal(cc_loop_release(&loop), CC_OK);
                if (rc == CC_AGAIN && n > 50)
                        break; /* past the last allocation of the send path */
        }
        /* the loop did reach the end of the send path, failing it on the way */
        assert_true(failures >= 10);
        assert_true(successes >= 1);
        cJSON_Delete(json);
        cc_secret_release(&tok);
        cc_testsrv_stop(srv);
}

static void
test_cancel_while_waiting_and_release(void **state)
{
        struct cc_http_request r = { .url = "http://127.0.0.1:9/",
                                     .done = on_done,
                                     .group = "slow" };
        struct result waiting = { 0 }, queued = { 0 };
        struct cc_http_req *req = NULL;
        struct cc_loop loop;
        struct cc_http h;

        assert_int_equal(cc_loop_init(&loop, NULL), CC_OK);
        assert_int_equal(cc_http_init(&h, &loop, NULL, NULL), CC_OK);
        assert_int_equal(cc_http_set_rate(&h, "slow", 0.001, 1), CC_OK);
        /* the first takes the only token, so use it up on a canceled request */
        r.ud = &waiting;
        assert_int_equal(cc_http_send(&h, &r, NULL, NULL), CC_AGAIN);
        r.ud = &queued;
        assert_int_equal(cc_http_send(&h, &r, &req, NULL), CC_AGAIN);
        cc_http_cancel_all(&h);
        assert_int_equal(waiting.calls, 0); /* fires from the loop, not from cancel */
        assert_int_equal(cc_loop_run(&loop), CC_OK);
        assert_int_equal(waiting.calls, 1);
        assert_int_equal(waiting.rc, CC_CANCELED);
        assert_int_equal(queued.calls, 1);
        assert_int_equal(queued.rc, CC_CANCELED);

        /* release with a request waiting for a token: its callback fires */
        memset(&queued, 0, sizeof(queued));
        assert_int_equal(cc_http_send(&h, &r, NULL, NULL), CC_AGAIN);
        cc_http_release(&h);
        assert_int_equal(queued.calls, 1);
        assert_int_equal(queued.rc, CC_CANCELED);
        assert_int_equal(cc_loop_release(&loop), CC_OK);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_header_parse),
                cmocka_unit_test(test_status_parse_and_mapping),
                cmocka_unit_test(test_response_header_lookup),
                cmocka_unit_test(test_invalid_requests),
                cmocka_unit_test(test_send_allocation_failures),
                cmocka_unit_test(test_cancel_while_waiting_and_release),
        };

        cc_alloc_init();
        cc_log_configure("off", NULL);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
