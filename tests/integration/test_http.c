/* test_http.c -- the HTTP client against the test server on loopback. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/http.h"
#include "core/log.h"
#include "lib/testlib.h"
#include "lib/testsrv.h"

/* --- harness ------------------------------------------------------------------ */

struct result {
        int calls;
        cc_err rc;
        int status;
        unsigned attempts;
        char body[512];
        char rid[96];
        char location[128];
        char ctype[64];
        char diag[CC_DIAG_MSG_MAX];
        char records[8][64];
        int nrecords;
};

static void
on_done(struct cc_http_req *req, cc_err rc, struct cc_http_response *resp, void *ud)
{
        struct result *r = ud;
        const char *v;

        r->calls++;
        r->rc = rc;
        r->status = resp->status;
        r->attempts = resp->attempts;
        snprintf(r->body, sizeof(r->body), "%s", cc_buf_str(&resp->body));
        snprintf(r->rid, sizeof(r->rid), "%s", resp->diag.request_id);
        v = cc_http_response_header(resp, "location");
        snprintf(r->location, sizeof(r->location), "%s", v ? v : "");
        v = cc_http_response_header(resp, "Content-Type");
        snprintf(r->ctype, sizeof(r->ctype), "%s", v ? v : "");
        snprintf(r->diag, sizeof(r->diag), "%s", resp->diag.message);
}

struct env {
        struct cc_loop loop;
        struct cc_http http;
        struct cc_testsrv *srv;
};

static void
env_start(struct env *e, cc_testsrv_handler h, void *ud)
{
        struct cc_http_opts o = {
                .retry = { .max_attempts = 4, .base_ms = 5, .cap_ms = 20 },
                .max_host_connections = 32,
        };

        assert_int_equal(cc_loop_init(&e->loop, NULL), CC_OK);
        assert_int_equal(cc_http_init(&e->http, &e->loop, &o, NULL), CC_OK);
        e->srv = h ? cc_testsrv_start(h, ud) : NULL;
        assert_true(!h || e->srv);
}

static void
env_stop(struct env *e)
{
        cc_http_release(&e->http);
        assert_int_equal(cc_loop_release(&e->loop), CC_OK);
        cc_testsrv_stop(e->srv);
}

static void
send_ok(struct env *e, struct cc_http_request *r, struct result *res)
{
        r->done = on_done;
        r->ud = res;
        assert_int_equal(cc_http_send(&e->http, r, NULL, NULL), CC_AGAIN);
}

/* --- concurrency ----------------------------------------------------------------- */

static void
h_echo_path(const struct cc_testsrv_req *q, struct cc_testsrv_resp *r, void *ud)
{
        static _Thread_local char body[128];

        snprintf(body, sizeof(body), "path=%s", q->path);
        r->body = body;
        r->headers[0] = "Content-Type: text/plain";
        r->headers[1] = "X-Request-Id: rid-42";
        r->headers[2] = "Location: /somewhere";
        r->delay_ms = 20; /* keep them overlapping */
}

static void
test_100_concurrent(void **state)
{
        static struct result res[100];
        struct cc_http_request r = { 0 };
        struct env e;
        char path[32], want[64];
        int i;

        env_start(&e, h_echo_path, NULL);
        for (i = 0; i < 100; i++) {
                snprintf(path, sizeof(path), "/item/%d", i);
                r.url = cc_testsrv_url(e.srv, path);
                send_ok(&e, &r, &res[i]);
        }
        assert_int_equal(cc_loop_run(&e.loop), CC_OK);
        for (i = 0; i < 100; i++) {
                snprintf(want, sizeof(want), "path=/item/%d", i);
                assert_int_equal(res[i].calls, 1);
                assert_int_equal(res[i].rc, CC_OK);
                assert_int_equal(res[i].status, 200);
                assert_int_equal(res[i].attempts, 1);
                assert_string_equal(res[i].body, want);
                assert_string_equal(res[i].rid, "rid-42");
                assert_string_equal(res[i].location, "/somewhere");
                assert_string_equal(res[i].ctype, "text/plain");
        }
        assert_int_equal(cc_testsrv_count(e.srv), 100);
        env_stop(&e);
}

/* --- retries ---------------------------------------------------------------------- */

struct script {
        atomic_int n;
        int fail_times;
        int fail_status;
        const char *retry_after;
        uint64_t arrival[8];
};

static void
h_script(const struct cc_testsrv_req *q, struct cc_testsrv_resp *r, void *ud)
{
        struct script *s = ud;
        int n = atomic_fetch_add(&s->n, 1);

        if (n < 8)
                s->arrival[n] = q->arrival_ms;
        if (n < s->fail_times) {
                r->status = s->fail_status;
                r->body = "{\"error\":{\"message\":\"try again\"}}";
                if (s->retry_after)
                        r->headers[0] = s->retry_after;
                return;
        }
        r->body = "done";
}

static void
test_429_retry_after(void **state)
{
        struct script s = { .fail_times = 1, .fail_status = 429, .retry_after = "Retry-After: 1" };
        struct cc_http_request r = { 0 };
        struct result res = { 0 };
        struct env e;

        env_start(&e, h_script, &s);
        r.url = cc_testsrv_url(e.srv, "/quota");
        send_ok(&e, &r, &res);
        assert_int_equal(cc_loop_run(&e.loop), CC_OK);
        assert_int_equal(res.rc, CC_OK);
        assert_int_equal(res.attempts, 2);
        assert_string_equal(res.body, "done");
        assert_int_equal(atomic_load(&s.n), 2);
        /* the retry honoured Retry-After (the jittered backoff alone is <= 20 ms);
         * loose bound on server-side arrival times */
        assert_true(s.arrival[1] - s.arrival[0] >= 900);
        env_stop(&e);
}

static void
test_503_three_times_then_ok(void **state)
{
        struct script s = { .fail_times = 3, .fail_status = 503 };
        struct cc_http_request r = { 0 };
        struct result res = { 0 };
        struct env e;

        env_start(&e, h_script, &s);
        r.url = cc_testsrv_url(e.srv, "/flaky");
        send_ok(&e, &r, &res);
        assert_int_equal(cc_loop_run(&e.loop), CC_OK);
        assert_int_equal(res.rc, CC_OK);
        assert_int_equal(res.status, 200);
        assert_int_equal(res.attempts, 4);
        assert_int_equal(atomic_load(&s.n), 4);
        env_stop(&e);
}

static void
test_retries_exhausted_and_post(void **state)
{
        struct script s = { .fail_times = 100, .fail_status = 500 };
        struct cc_http_request r = { 0 };
        struct result get = { 0 }, post = { 0 }, post_ok = { 0 };
        struct env e;

        env_start(&e, h_script, &s);
        r.url = cc_testsrv_url(e.srv, "/broken");
        r.retry.max_attempts = 3;
        send_ok(&e, &r, &get);
        assert_int_equal(cc_loop_run(&e.loop), CC_OK);
        assert_int_equal(get.rc, CC_TRANSIENT);
        assert_int_equal(get.status, 500);
        assert_int_equal(get.attempts, 3);
        /* the error body is kept for the caller */
        assert_non_null(strstr(get.body, "try again"));
        assert_non_null(strstr(get.diag, "http status 500"));

        /* POST is not retried by default ... */
        memset(&r, 0, sizeof(r));
        r.url = cc_testsrv_url(e.srv, "/broken");
        r.method = "POST";
        r.body = "x=1";
        r.body_len = 3;
        send_ok(&e, &r, &post);
        assert_int_equal(cc_loop_run(&e.loop), CC_OK);
        assert_int_equal(post.rc, CC_TRANSIENT);
        assert_int_equal(post.attempts, 1);
        /* ... unless the caller says it is safe */
        r.retry_unsafe = true;
        r.retry.max_attempts = 2;
        send_ok(&e, &r, &post_ok);
        assert_int_equal(cc_loop_run(&e.loop), CC_OK);
        assert_int_equal(post_ok.attempts, 2);
        env_stop(&e);
}

static const char long_body[] = "0123456789012345678901234567890123456789"
                                "0123456789012345678901234567890123456789";

static void
h_cut_once(const struct cc_testsrv_req *q, struct cc_testsrv_resp *r, void *ud)
{
        atomic_int *n = ud;

        r->body = long_body;
        if (atomic_fetch_add(n, 1) == 0)
                r->close_after = 10; /* Content-Length: 80, 10 bytes, then the cut */
}

static void
test_reset_mid_body_is_retried(void **state)
{
        struct cc_http_request r = { 0 };
        struct result res = { 0 };
        atomic_int n = 0;
        struct env e;

        env_start(&e, h_cut_once, &n);
        r.url = cc_testsrv_url(e.srv, "/cut");
        send_ok(&e, &r, &res);
        assert_int_equal(cc_loop_run(&e.loop), CC_OK);
        assert_int_equal(res.rc, CC_OK);
        assert_int_equal(res.attempts, 2);
        assert_string_equal(res.body, long_body);
        env_stop(&e);
}

static void
test_connection_refused(void **state)
{
        struct sockaddr_in sa = { .sin_family = AF_INET };
        socklen_t len = sizeof(sa);
        struct cc_http_request r = { 0 };
        struct result res = { 0 };
        char url[64];
        struct env e;
        int fd;

        /* a port that was free a moment ago: nothing listens there */
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fd = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
        close(fd);
        snprintf(url, sizeof(url), "http://127.0.0.1:%u/", (unsigned)ntohs(sa.sin_port));
        env_start(&e, NULL, NULL);
        r.url = url;
        send_ok(&e, &r, &res);
        assert_int_equal(cc_loop_run(&e.loop), CC_OK);
        assert_int_equal(res.rc, CC_TRANSIENT);
        assert_int_equal(res.status, 0);
        assert_int_equal(res.attempts, 4);
        env_stop(&e);
}

/* --- caps ------------------------------------------------------------------------- */

static ssize_t
stream_forever(void *ud, uint64_t pos, char *buf, size_t max)
{
        if (pos > (64u << 20))
                return 0;
        memset(buf, 'x', max);
        return (ssize_t)max;
}

static void
h_big(const struct cc_testsrv_req *q, struct cc_testsrv_resp *r, void *ud)
{
        if (!strcmp(q->path, "/chunked")) {
                r->stream = stream_forever; /* no Content-Length */
                return;
        }
        r->body = long_body;
}

static void
test_over_cap_is_toobig(void **state)
{
        struct cc_http_request r = { 0 };
        struct result announced = { 0 }, chunked = { 0 }, fits = { 0 };
        struct env e;

        env_start(&e, h_big, NULL);
        r.max_response = 50;
        r.url = cc_testsrv_url(e.srv, "/fixed");
        send_ok(&e, &r, &announced);
        r.url = cc_testsrv_url(e.srv, "/chunked");
        r.max_response = 100000;
        send_ok(&e, &r, &chunked);
        r.url = cc_testsrv_url(e.srv, "/fixed");
        r.max_response = 80;
        send_ok(&e, &r, &fits);
        assert_int_equal(cc_loop_run(&e.loop), CC_OK);
        assert_int_equal(announced.rc, CC_TOOBIG);
        assert_int_equal(announced.attempts, 1);
        assert_int_equal(chunked.rc, CC_TOOBIG);
        assert_int_equal(fits.rc, CC_OK);
        assert_string_equal(fits.body, long_body);
        env_stop(&e);
}

/* --- streaming ------------------------------------------------------------------- */

struct stream_sync {
        pthread_mutex_t mu;
        pthread_cond_t cv;
        bool acked; /* the client saw record 1 */
        bool acked_before_record2;
        int step;
};

static ssize_t
stream_two_records(void *ud, uint64_t pos, char *buf, size_t max)
{
        struct stream_sync *s = ud;
        struct timespec deadline;
        const char *piece = NULL;

        switch (s->step++) {
        case 0:
                piece = "{\"type\":\"ADDED\",\"n\":1}\n";
                break;
        case 1:
                /* hold record 2 back until the client has seen record 1 */
                clock_gettime(CLOCK_REALTIME, &deadline);
                deadline.tv_sec += 10;
                pthread_mutex_lock(&s->mu);
                while (!s->acked)
                        if (pthread_cond_timedwait(&s->cv, &s->mu, &deadline) != 0)
                                break;
                s->acked_before_record2 = s->acked;
                pthread_mutex_unlock(&s->mu);
                piece = "{\"type\":\"MODI"; /* record 2, split across two writes */
                break;
        case 2:
                piece = "FIED\",\"n\":2}\r\n\n";
                break;
        case 3:
                piece = "{\"type\":\"DELETED\",\"n\":3}"; /* no final newline */
                break;
        default:
                return 0;
        }
        memcpy(buf, piece, strlen(piece) < max ? strlen(piece) : max);
        return (ssize_t)strlen(piece);
}

static void
h_stream(const struct cc_testsrv_req *q, struct cc_testsrv_resp *r, void *ud)
{
        r->stream = stream_two_records;
        r->stream_ud = ud;
        r->headers[0] = "Content-Type: application/json";
}

/* the done callback sees the result, which comes first */
struct stream_ctx {
        struct result res;
        struct stream_sync *sync;
};

static cc_err
on_record_ack(struct cc_http_req *req, const char *rec, size_t len, void *ud)
{
        struct stream_ctx *ctx = ud;
        struct result *res = &ctx->res;
        struct stream_sync *s = ctx->sync;

        if (res->nrecords < 8)
                snprintf(res->records[res->nrecords++], 64, "%.*s", (int)len, rec);
        pthread_mutex_lock(&s->mu);
        s->acked = true;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        return CC_OK;
}

static void
test_stream_records_arrive_one_by_one(void **state)
{
        struct stream_sync s = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
        struct stream_ctx ctx = { .sync = &s };
        struct cc_http_request r = { 0 };
        struct env e;

        env_start(&e, h_stream, &s);
        r.url = cc_testsrv_url(e.srv, "/watch");
        r.timeout_ms = -1;
        r.on_record = on_record_ack;
        r.done = on_done;
        r.ud = &ctx;
        assert_int_equal(cc_http_send(&e.http, &r, NULL, NULL), CC_AGAIN);
        assert_int_equal(cc_loop_run(&e.loop), CC_OK);
        assert_int_equal(ctx.res.rc, CC_OK);
        /* record 1 reached the client while the response was still open */
        assert_true(s.acked_before_record2);
        assert_int_equal(ctx.res.nrecords, 3);
        assert_string_equal(ctx.res.records[0], "{\"type\":\"ADDED\",\"n\":1}");
        assert_string_equal(ctx.res.records[1], "{\"type\":\"MODIFIED\",\"n\":2}");
        assert_string_equal(ctx.res.records[2], "{\"type\":\"DELETED\",\"n\":3}");
        assert_string_equal(ctx.res.body, "");
        env_stop(&e);
}

static ssize_t
stream_records_forever(void *ud, uint64_t pos, char *buf, size_t max)
{
        struct timespec ts = { 0, 5 * 1000000L };

        nanosleep(&ts, NULL);
        if (pos > (1u << 20))
                return 0;
        memcpy(buf, "{\"n\":1}\n", 8);
        return 8;
}

static ssize_t
stream_one_long_record(void *ud, uint64_t pos, char *buf, size_t max)
{
        if (pos > (1u << 20))
                return 0;
        memset(buf, 'y', max);
        return (ssize_t)max;
}

static void
h_stream_endless(const struct cc_testsrv_req *q, struct cc_testsrv_resp *r, void *ud)
{
        r->stream = !strcmp(q->path, "/long") ? stream_one_long_record : stream_records_forever;
}

static cc_err
on_record_cancel_at_3(struct cc_http_req *req, const char *rec, size_t len, void *ud)
{
        struct result *res = ud;

        if (++res->nrecords == 3)
                cc_http_cancel(req);
        return CC_OK;
}

static cc_err
on_record_count(struct cc_http_req *req, const char *rec, size_t len, void *ud)
{
        struct result *res = ud;

        res->nrecords++;
        return CC_OK;
}

static void
test_stream_cancel_and_record_cap(void **state)
{
        struct cc_http_request r = { 0 };
        struct result canceled = { 0 }, toolong = { 0 };
        struct env e;

        env_start(&e, h_stream_endless, NULL);
        r.url = cc_testsrv_url(e.srv, "/endless");
        r.timeout_ms = -1;
        r.on_record = on_record_cancel_at_3;
        send_ok(&e, &r, &canceled);
        r.url = cc_testsrv_url(e.srv, "/long");
        r.on_record = on_record_count;
        r.max_record = 1000;
        send_ok(&e, &r, &toolong);
        assert_int_equal(cc_loop_run(&e.loop), CC_OK);
        assert_int_equal(canceled.rc, CC_CANCELED);
        /* no record is delivered after the cancel */
        assert_int_equal(canceled.nrecords, 3);
        assert_int_equal(toolong.rc, CC_TOOBIG);
        assert_int_equal(toolong.nrecords, 0);
        env_stop(&e);
}

/* --- shutdown -------------------------------------------------------------------- */

static void
h_slow(const struct cc_testsrv_req *q, struct cc_testsrv_resp *r, void *ud)
{
        r->delay_ms = 1500;
        r->body = "late";
}

static void
stop_loop(struct cc_timer *t, void *ud)
{
        cc_loop_stop(ud);
}

static void
test_loop_stop_cancels_all(void **state)
{
        struct cc_http_request r = { 0 };
        struct result res[5] = { 0 }, after = { 0 };
        struct cc_diag d;
        struct env e;
        int i;

        env_start(&e, h_slow, NULL);
        r.url = cc_testsrv_url(e.srv, "/slow");
        for (i = 0; i < 5; i++)
                send_ok(&e, &r, &res[i]);
        assert_int_equal(cc_timer_start(&e.loop, 50, 0, stop_loop, &e.loop, NULL), CC_OK);
        assert_int_equal(cc_loop_run(&e.loop), CC_OK);
        for (i = 0; i < 5; i++) {
                assert_int_equal(res[i].calls, 1);
                assert_int_equal(res[i].rc, CC_CANCELED);
        }
        r.done = on_done;
        r.ud = &after;
        assert_int_equal(cc_http_send(&e.http, &r, NULL, &d), CC_CANCELED);
        assert_int_equal(after.calls, 0);
        env_stop(&e);
}

/* --- rate limiting ---------------------------------------------------------------- */

static void
test_rate_limited_group(void **state)
{
        struct script s = { 0 };
        struct cc_http_request r = { 0 };
        struct result res[3] = { 0 };
        struct env e;
        int i;

        env_start(&e, h_script, &s);
        assert_int_equal(cc_http_set_rate(&e.http, "compute", 10.0, 1.0), CC_OK);
        r.url = cc_testsrv_url(e.srv, "/limited");
        r.group = "compute";
        for (i = 0; i < 3; i++)
                send_ok(&e, &r, &res[i]);
        assert_int_equal(cc_loop_run(&e.loop), CC_OK);
        for (i = 0; i < 3; i++)
                assert_int_equal(res[i].rc, CC_OK);
        /* 10/s with no burst: three requests span at least ~200 ms (loose) */
        assert_true(s.arrival[2] - s.arrival[0] >= 150);
        env_stop(&e);
}

/* --- secrets in logs -------------------------------------------------------------- */

#define CANARY "CANARY-7f3a9b1c-bearer-token"

struct auth_seen {
        char authz[128];
        char body[256];
};

static void
h_token(const struct cc_testsrv_req *q, struct cc_testsrv_resp *r, void *ud)
{
        struct auth_seen *a = ud;
        const char *v = cc_testsrv_req_header(q, "Authorization");

        snprintf(a->authz, sizeof(a->authz), "%s", v ? v : "");
        snprintf(a->body, sizeof(a->body), "%s", q->body);
        r->headers[0] = "Content-Type: application/json";
        r->headers[1] = "Set-Cookie: sid=CANARY-cookie-value";
        r->body = "{\"access_token\":\"CANARY-issued-access-token\",\"expires_in\":3599}";
}

static void
test_bearer_never_logged(void **state)
{
        struct cc_secret tok = CC_SECRET_INIT;
        struct cc_http_request r = { 0 };
        struct result res = { 0 };
        struct auth_seen seen = { 0 };
        cJSON *json = cJSON_CreateObject();
        const char *log;
        struct env e;

        cJSON_AddStringToObject(json, "name", "thing");
        cJSON_AddStringToObject(json, "client_secret", "CANARY-client-secret");
        assert_int_equal(cc_secret_set_str(&tok, CANARY), CC_OK);
        cc_test_log_capture_start("trace");
        env_start(&e, h_token, &seen);
        r.url = cc_testsrv_url(e.srv, "/token?alt=json&access_token=CANARY-in-url");
        r.method = "POST";
        r.json = json;
        r.bearer = &tok;
        send_ok(&e, &r, &res);
        cJSON_Delete(json);
        cc_secret_release(&tok); /* the request holds its own copy */
        assert_int_equal(cc_loop_run(&e.loop), CC_OK);
        assert_int_equal(res.rc, CC_OK);
        /* the token did go on the wire, and the JSON body with its type */
        assert_string_equal(seen.authz, "Bearer " CANARY);
        assert_non_null(strstr(seen.body, "\"client_secret\":\"CANARY-client-secret\""));
        env_stop(&e);
        log = cc_test_log_captured();
        /* the trace was written (so the test can fail) ... */
        assert_non_null(strstr(log, "request headers"));
        assert_non_null(strstr(log, "Authorization: [REDACTED]"));
        assert_non_null(strstr(log, "response body"));
        assert_non_null(strstr(log, "\\\"name\\\":\\\"thing\\\""));
        assert_non_null(strstr(log, "level=debug comp=http msg=request method=POST"));
        /* ... and no secret is in it */
        if (strstr(log, "CANARY"))
                fail_msg("secret in logs:\n%s", log);
        cc_test_log_capture_stop();
}

/* --- TLS --------------------------------------------------------------------------- */

static void
h_hello(const struct cc_testsrv_req *q, struct cc_testsrv_resp *r, void *ud)
{
        r->body = "hello over tls";
}

static void
test_tls_verification(void **state)
{
        struct cc_http_request r = { 0 };
        struct result dflt = { 0 }, with_ca = { 0 }, with_pem = { 0 }, bad_cert = { 0 };
        char *cert = NULL, *key = NULL, cafile[512];
        struct env e;
        FILE *f;

        assert_true(cc_testsrv_tls_selfsigned(&cert, &key));
        snprintf(cafile, sizeof(cafile), "%s/ca.pem", cc_test_tmpdir());
        f = fopen(cafile, "w");
        assert_non_null(f);
        fputs(cert, f);
        fclose(f);
        env_start(&e, NULL, NULL);
        e.srv = cc_testsrv_start_tls(h_hello, NULL, cert, key);
        assert_non_null(e.srv);
        r.url = cc_testsrv_url(e.srv, "/");
        send_ok(&e, &r, &dflt);
        r.ca_file = cafile;
        send_ok(&e, &r, &with_ca);
        r.ca_file = NULL;
        r.ca_pem = cert;
        send_ok(&e, &r, &with_pem);
        /* a client certificate that cannot be loaded fails the request */
        r.cert_file = "/nonexistent/client.pem";
        r.key_file = "/nonexistent/client.key";
        send_ok(&e, &r, &bad_cert);
        assert_int_equal(cc_loop_run(&e.loop), CC_OK);
        assert_int_equal(dflt.rc, CC_IO);
        assert_int_equal(dflt.attempts, 1);
        assert_non_null(strstr(dflt.diag, "failed"));
        assert_int_equal(with_ca.rc, CC_OK);
        assert_string_equal(with_ca.body, "hello over tls");
        assert_int_equal(with_pem.rc, CC_OK);
        assert_int_equal(bad_cert.rc, CC_IO);
        env_stop(&e);
        cc_free(cert);
        cc_free(key);
}

/* --- allocation failures ----------------------------------------------------------- */

/* Failures inside the transfer (curl's and the response's allocations):
 * the request fails or succeeds, its callback fires once, nothing leaks. */
static void
test_transfer_allocation_failures(void **state)
{
        struct cc_testsrv *srv = cc_testsrv_start(h_hello, NULL);
        struct cc_http_request r = { 0 };
        struct cc_loop loop;
        struct cc_http h;
        unsigned long n;
        bool sent_ok = false;
        unsigned stalls = 0;

        assert_non_null(srv);
        r.url = cc_testsrv_url(srv, "/t");
        r.done = on_done;
        r.retry.max_attempts = 1;
        /* bounds the wait when curl itself stalls after a failed allocation */
        r.timeout_ms = 300;
        for (n = 1; n < 300 && !sent_ok; n++) {
                struct result res = { 0 };

                assert_int_equal(cc_loop_init(&loop, NULL), CC_OK);
                assert_int_equal(cc_http_init(&h, &loop, NULL, NULL), CC_OK);
                r.ud = &res;
                assert_int_equal(cc_http_send(&h, &r, NULL, NULL), CC_AGAIN);
                cc_alloc_fail_at(n, false);
                assert_int_equal(cc_loop_run(&loop), CC_OK);
                sent_ok = !cc_alloc_failed();
                cc_alloc_fail_at(0, false);
                assert_int_equal(res.calls, 1);
                stalls += res.rc == CC_TRANSIENT;
                if (sent_ok)
                        assert_int_equal(res.rc, CC_OK);
                cc_http_release(&h);
                assert_int_equal(cc_loop_release(&loop), CC_OK);
        }
        assert_true(sent_ok);
        print_message("transfer allocation failures: %lu points, %u ended at the timeout\n", n - 1,
                      stalls);
        cc_testsrv_stop(srv);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_100_concurrent),
                cmocka_unit_test(test_429_retry_after),
                cmocka_unit_test(test_503_three_times_then_ok),
                cmocka_unit_test(test_retries_exhausted_and_post),
                cmocka_unit_test(test_reset_mid_body_is_retried),
                cmocka_unit_test(test_connection_refused),
                cmocka_unit_test(test_over_cap_is_toobig),
                cmocka_unit_test(test_stream_records_arrive_one_by_one),
                cmocka_unit_test(test_stream_cancel_and_record_cap),
                cmocka_unit_test(test_loop_stop_cancels_all),
                cmocka_unit_test(test_rate_limited_group),
                cmocka_unit_test(test_bearer_never_logged),
                cmocka_unit_test(test_tls_verification),
                cmocka_unit_test(test_transfer_allocation_failures),
        };

        cc_alloc_init();
        cc_log_configure("warn", NULL);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
