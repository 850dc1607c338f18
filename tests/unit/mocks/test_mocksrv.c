/* test_mocksrv.c -- the mock server framework: routing to the app, body cap,
 * request log, counters, fault rules, streaming. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "mocks/common/mocksrv.h"

struct app {
        int calls;
        int resets;
        int streamed;
};

static void
handle(void *ud, struct cc_mocksrv *srv, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        struct app *a = ud;
        char text[256];

        a->calls++;
        resp->api = strncmp(req->path, "/dns/", 5) ? "compute" : "dns";
        snprintf(text, sizeof(text),
                 "{\"method\":\"%s\",\"path\":\"%s\",\"query\":\"%s\",\"len\":%zu}", req->method,
                 req->path, req->raw_query, req->body_len);
        cc_mock_resp_text(resp, 200, "application/json", text);
}

static bool
stream_cb(void *ud, struct cc_buf *out)
{
        int *n = ud;

        if (*n >= 3)
                return false;
        cc_buf_printf(out, "{\"n\":%d}\n", ++*n);
        return true;
}

static void
stream_free_cb(void *ud)
{
        cc_free(ud);
}

static void
admin(void *ud, struct cc_mocksrv *srv, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        int *n;

        if (!strcmp(req->path, "/_mock/stream")) {
                n = cc_calloc(1, sizeof(*n));
                resp->status = 200;
                snprintf(resp->content_type, sizeof(resp->content_type), "application/json");
                resp->stream = stream_cb;
                resp->stream_free = stream_free_cb;
                resp->stream_ud = n;
                return;
        }
        cc_mock_resp_text(resp, 404, "text/plain", "nope");
}

static void
fault_body(void *ud, const struct cc_mock_req *req, int status, struct cc_mock_resp *resp)
{
        char text[64];

        snprintf(text, sizeof(text), "{\"error\":{\"code\":%d,\"app\":true}}", status);
        cc_mock_resp_text(resp, status, "application/json", text);
}

static void
reset(void *ud)
{
        ((struct app *)ud)->resets++;
}

struct fetched {
        long status;
        struct cc_buf body;
        struct cc_buf headers;
        CURLcode rc;
};

static size_t
write_cb(char *p, size_t sz, size_t n, void *ud)
{
        cc_buf_append(ud, p, sz * n);
        return sz * n;
}

static void
fetch(struct cc_mocksrv *srv, const char *method, const char *path, const char *body,
      struct fetched *f)
{
        char url[512];
        CURL *c = curl_easy_init();

        snprintf(url, sizeof(url), "%s%s", cc_mocksrv_url(srv), path);
        cc_buf_init(&f->body, 0);
        cc_buf_init(&f->headers, 0);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        if (body)
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &f->body);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, write_cb);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &f->headers);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
        f->rc = curl_easy_perform(c);
        f->status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &f->status);
        curl_easy_cleanup(c);
}

static void
fetched_release(struct fetched *f)
{
        cc_buf_release(&f->body);
        cc_buf_release(&f->headers);
}

static struct cc_mocksrv *
start(struct app *a, size_t max_body)
{
        struct cc_mock_app app = {
                .ud = a, .handle = handle, .admin = admin, .fault_body = fault_body, .reset = reset
        };
        struct cc_mocksrv_opts opts = { .port = 0, .max_body = max_body };
        struct cc_mocksrv *srv = NULL;
        struct cc_diag d;

        assert_int_equal(cc_mocksrv_start(&opts, &app, &srv, &d), CC_OK);
        assert_true(cc_mocksrv_port(srv) > 0);
        return srv;
}

static void
test_dispatch_and_log(void **state)
{
        struct app a = { 0 };
        struct cc_mocksrv *srv = start(&a, 0);
        struct fetched f;

        fetch(srv, "POST", "/compute/v1/projects/p/global/addresses?alt=json", "{\"name\":\"x\"}",
              &f);
        assert_int_equal(f.status, 200);
        assert_non_null(
            strstr(cc_buf_str(&f.body), "\"path\":\"/compute/v1/projects/p/global/addresses\""));
        assert_non_null(strstr(cc_buf_str(&f.body), "\"query\":\"alt=json\""));
        assert_non_null(strstr(cc_buf_str(&f.body), "\"len\":12"));
        fetched_release(&f);
        fetch(srv, "GET", "/dns/v1/projects/p/managedZones", NULL, &f);
        fetched_release(&f);

        fetch(srv, "GET", "/_mock/counters", NULL, &f);
        assert_non_null(strstr(cc_buf_str(&f.body), "\"compute\":{\"read\":0,\"mutating\":1}"));
        assert_non_null(strstr(cc_buf_str(&f.body), "\"dns\":{\"read\":1,\"mutating\":0}"));
        fetched_release(&f);

        fetch(srv, "GET", "/_mock/requests?since=1", NULL, &f);
        assert_null(strstr(cc_buf_str(&f.body), "addresses"));
        assert_non_null(strstr(cc_buf_str(&f.body), "managedZones"));
        fetched_release(&f);

        fetch(srv, "POST", "/_mock/reset", "", &f);
        fetched_release(&f);
        assert_int_equal(a.resets, 1);
        fetch(srv, "GET", "/_mock/requests", NULL, &f);
        assert_non_null(strstr(cc_buf_str(&f.body), "\"requests\":[]"));
        fetched_release(&f);
        cc_mocksrv_stop(srv);
        assert_int_equal(a.calls, 2);
}

static void
test_body_cap(void **state)
{
        struct app a = { 0 };
        struct cc_mocksrv *srv = start(&a, 16);
        struct fetched f;

        fetch(srv, "POST", "/x", "0123456789abcdefXYZ", &f);
        assert_int_equal(f.status, 413);
        assert_non_null(strstr(cc_buf_str(&f.body), "\"app\":true"));
        fetched_release(&f);
        assert_int_equal(a.calls, 0);
        cc_mocksrv_stop(srv);
}

static void
test_faults(void **state)
{
        struct app a = { 0 };
        struct cc_mocksrv *srv = start(&a, 0);
        struct fetched f;

        fetch(srv, "POST", "/_mock/faults",
              "{\"path\":\"/compute/*\",\"status\":429,\"retryAfter\":2,\"nth\":2}", &f);
        assert_int_equal(f.status, 200);
        fetched_release(&f);
        fetch(srv, "POST", "/_mock/faults", "{\"path\":\"/dns/*\",\"action\":\"drop\",\"times\":1}",
              &f);
        fetched_release(&f);
        fetch(srv, "POST", "/_mock/faults", "{\"path\":\"/x\",\"action\":\"explode\"}", &f);
        assert_int_equal(f.status, 400);
        assert_non_null(strstr(cc_buf_str(&f.body), "unknown fault action 'explode'"));
        fetched_release(&f);

        fetch(srv, "GET", "/compute/a", NULL, &f);
        assert_int_equal(f.status, 200);
        fetched_release(&f);
        fetch(srv, "GET", "/compute/b", NULL, &f);
        assert_int_equal(f.status, 429);
        assert_non_null(strstr(cc_buf_str(&f.headers), "Retry-After: 2"));
        fetched_release(&f);
        fetch(srv, "GET", "/compute/c", NULL, &f);
        assert_int_equal(f.status, 200);
        fetched_release(&f);

        fetch(srv, "GET", "/dns/a", NULL, &f);
        assert_int_not_equal(f.rc, CURLE_OK); /* connection dropped, no response */
        fetched_release(&f);
        fetch(srv, "GET", "/dns/a", NULL, &f); /* transient: only once */
        assert_int_equal(f.status, 200);
        fetched_release(&f);

        fetch(srv, "GET", "/_mock/faults", NULL, &f);
        assert_non_null(strstr(cc_buf_str(&f.body), "\"matched\":3,\"fired\":1"));
        fetched_release(&f);
        fetch(srv, "DELETE", "/_mock/faults", NULL, &f);
        fetched_release(&f);
        cc_mocksrv_stop(srv);
}

static void
test_stream(void **state)
{
        struct app a = { 0 };
        struct cc_mocksrv *srv = start(&a, 0);
        struct fetched f;

        fetch(srv, "GET", "/_mock/stream", NULL, &f);
        assert_int_equal(f.status, 200);
        assert_string_equal(cc_buf_str(&f.body), "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");
        assert_non_null(strstr(cc_buf_str(&f.headers), "chunked"));
        fetched_release(&f);
        cc_mocksrv_stop(srv);
}

static void
test_fault_rules(void **state)
{
        struct cc_mock_fault f;
        struct cc_diag d;
        const char *j = "{\"method\":\"POST\",\"path\":\"/a/*\",\"fraction\":0.5}";

        assert_int_equal(cc_mock_fault_parse(j, strlen(j), &f, &d), CC_OK);
        assert_false(cc_mock_fault_match(&f, "GET", "/a/b", 0.0));
        assert_false(cc_mock_fault_match(&f, "POST", "/b/c", 0.0));
        assert_true(cc_mock_fault_match(&f, "post", "/a/b", 0.49));
        assert_false(cc_mock_fault_match(&f, "POST", "/a/b", 0.5));
        assert_int_equal(f.matched, 2);
        assert_int_equal(f.fired, 1);

        j = "{\"path\":\"/a\",\"status\":200}";
        assert_int_equal(cc_mock_fault_parse(j, strlen(j), &f, &d), CC_INVAL);
        j = "[1,2]";
        assert_int_equal(cc_mock_fault_parse(j, strlen(j), &f, &d), CC_INVAL);
        j = "{\"path\":\"/a\",\"every\":true,\"times\":2}";
        assert_int_equal(cc_mock_fault_parse(j, strlen(j), &f, &d), CC_OK);
        assert_true(cc_mock_fault_match(&f, "GET", "/a", 0.9));
        assert_true(cc_mock_fault_match(&f, "GET", "/a", 0.9));
        assert_false(cc_mock_fault_match(&f, "GET", "/a", 0.9));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dispatch_and_log), cmocka_unit_test(test_body_cap),
                cmocka_unit_test(test_faults),           cmocka_unit_test(test_stream),
                cmocka_unit_test(test_fault_rules),
        };
        cc_alloc_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
