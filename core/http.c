/* http.c -- asynchronous HTTP client: curl easy handles on the loop's multi.
 *
 * DESIGN: a request is a small state machine driven by one uv timer:
 *
 *   send -> [wait for a rate token] -> attempt -> done?
 *                ^                                 | retryable
 *                +------ backoff wait <------------+
 *
 * The easy handle is configured once and re-added to the multi handle for
 * every attempt; per-attempt state (status, headers, body, partial record)
 * is reset in start_attempt().  Cancellation marks the request and arms the
 * timer at 0 ms, so that the callback always fires from the loop and never
 * from inside a curl callback (where the easy handle cannot be removed).
 * Requests are freed in their timer's close callback.
 */
#include "core/http.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/redact.h"
#include "core/banned.h"

#define CONNECT_TIMEOUT_MS_DEFAULT 10000L
#define TIMEOUT_MS_DEFAULT         60000L
#define MAX_RESPONSE_DEFAULT       ((size_t)16 << 20)
#define MAX_RECORD_DEFAULT         ((size_t)4 << 20)
#define MAX_HOST_CONN_DEFAULT      16L
#define MAX_TOTAL_CONN_DEFAULT     64L
#define HEADERS_MAX                ((size_t)64 << 10)
#define TRACE_BODY_MAX             ((size_t)4096)
#define USER_AGENT_DEFAULT         "cloudctl"
#define WATCHDOG_SLACK_MS          1000

enum req_state { ST_WAITING, ST_RUNNING, ST_FINISHED };

struct cc_http_req {
        struct cc_loop_xfer x;
        struct cc_http *h;
        struct cc_http_req *prev, *next;
        uv_timer_t timer;
        bool timer_init;
        enum req_state state;

        char *method;
        char *url;
        char *log_url; /* secret query values redacted */
        char *body;
        size_t body_len;
        char *content_type; /* of the request body, for trace redaction */
        char *ca_file, *ca_pem, *cert_file, *key_file, *cert_pem, *user_agent, *group;
        struct cc_secret key_pem;
        struct cc_secret bearer;
        struct curl_slist *hdrs;
        struct cc_retry_policy retry;
        bool idempotent, retry_unsafe, insecure;
        size_t max_response, max_record;
        long timeout_ms; /* per attempt; <= 0 none */
        cc_http_record_fn on_record;
        cc_http_done_fn done;
        void *ud;

        struct cc_http_response resp;
        struct cc_buf rec; /* a record split across reads */
        uint64_t start_ms;
        cc_err abort_rc; /* set by a curl callback that aborted the transfer */
        bool canceled;
        bool records_started;
        bool trace;
        char errbuf[CURL_ERROR_SIZE];
};

/* --- small parsers ---------------------------------------------------------- */

bool
cc_http_header_parse(const char *line, size_t len, const char **name, size_t *nlen,
                     const char **value, size_t *vlen)
{
        const char *colon = memchr(line, ':', len);
        const char *v, *end = line + len;
        size_t i, n;

        if (!colon || colon == line)
                return false;
        n = (size_t)(colon - line);
        for (i = 0; i < n; i++) {
                unsigned char ch = (unsigned char)line[i];

                /* RFC 9110 token characters */
                if (!isalnum(ch) && !strchr("!#$%&'*+-.^_`|~", ch))
                        return false;
        }
        v = colon + 1;
        while (v < end && (*v == ' ' || *v == '\t'))
                v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
                end--;
        *name = line;
        *nlen = n;
        *value = v;
        *vlen = (size_t)(end - v);
        return true;
}

int
cc_http_status_parse(const char *line, size_t len)
{
        size_t i = 5;
        int status = 0, digits = 0;

        if (len < 5 || strncmp(line, "HTTP/", 5) != 0)
                return -1;
        while (i < len && line[i] != ' ')
                i++;
        while (i < len && line[i] == ' ')
                i++;
        while (i < len && isdigit((unsigned char)line[i]) && digits < 3) {
                status = status * 10 + (line[i] - '0');
                digits++;
                i++;
        }
        if (digits != 3 || (i < len && isdigit((unsigned char)line[i])))
                return -1;
        return status;
}

cc_err
cc_http_status_err(int status)
{
        if (status < 400)
                return CC_OK;
        switch (status) {
        case 401:
        case 403:
                return CC_AUTH;
        case 404:
        case 410:
                return CC_NOTFOUND;
        case 409:
        case 412:
                return CC_CONFLICT;
        case 429:
                return CC_RATELIMIT;
        default:
                return status >= 500 ? CC_TRANSIENT : CC_INVAL;
        }
}

bool
cc_http_method_idempotent(const char *m)
{
        return !strcmp(m, "GET") || !strcmp(m, "HEAD") || !strcmp(m, "PUT") ||
               !strcmp(m, "DELETE") || !strcmp(m, "OPTIONS");
}

const char *
cc_http_response_header(const struct cc_http_response *r, const char *name)
{
        const char *p = r->headers.data, *end = p + r->headers.len;

        /* stored as name\0value\0name\0value\0... */
        while (p && p < end) {
                const char *v = p + strlen(p) + 1;

                if (v >= end)
                        break;
                if (!strcasecmp(p, name))
                        return v;
                p = v + strlen(v) + 1;
        }
        return NULL;
}

const char *
cc_http_response_request_id(const struct cc_http_response *r)
{
        static const char *const names[] = { "x-goog-request-id", "x-request-id",
                                             "x-amzn-requestid", "audit-id" };
        const char *v;
        size_t i;

        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if ((v = cc_http_response_header(r, names[i])))
                        return v;
        return NULL;
}

/* --- client ------------------------------------------------------------------ */

static uint64_t
loop_clock(void *ud)
{
        return cc_loop_now_ms(ud);
}

static void
on_loop_stop(struct cc_loop *loop, void *ud)
{
        cc_http_cancel_all(ud);
}

static void
policy_fill(struct cc_retry_policy *p, const struct cc_retry_policy *dflt)
{
        if (!p->max_attempts)
                p->max_attempts = dflt->max_attempts;
        if (!p->base_ms)
                p->base_ms = dflt->base_ms;
        if (!p->cap_ms)
                p->cap_ms = dflt->cap_ms;
        if (!p->retry_after_max_ms)
                p->retry_after_max_ms = dflt->retry_after_max_ms;
}

cc_err
cc_http_init(struct cc_http *h, struct cc_loop *loop, const struct cc_http_opts *o,
             struct cc_diag *d)
{
        static const struct cc_http_opts none;
        static const struct cc_retry_policy builtin = {
                .max_attempts = CC_RETRY_MAX_ATTEMPTS_DEFAULT,
                .base_ms = CC_RETRY_BASE_MS_DEFAULT,
                .cap_ms = CC_RETRY_CAP_MS_DEFAULT,
                .retry_after_max_ms = CC_RETRY_AFTER_MAX_MS_DEFAULT,
        };
        cc_err rc = CC_OK;

        if (!o)
                o = &none;
        memset(h, 0, sizeof(*h));
        h->loop = loop;
        h->user_agent = cc_strdup(o->user_agent ? o->user_agent : USER_AGENT_DEFAULT);
        if (!h->user_agent || (o->ca_file && !(h->ca_file = cc_strdup(o->ca_file)))) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "cannot create http client: out of memory");
                goto fail;
        }
        h->connect_timeout_ms =
            o->connect_timeout_ms > 0 ? o->connect_timeout_ms : CONNECT_TIMEOUT_MS_DEFAULT;
        h->timeout_ms = o->timeout_ms ? o->timeout_ms : TIMEOUT_MS_DEFAULT;
        h->max_response = o->max_response ? o->max_response : MAX_RESPONSE_DEFAULT;
        h->max_record = o->max_record ? o->max_record : MAX_RECORD_DEFAULT;
        h->retry = o->retry;
        policy_fill(&h->retry, &builtin);
        h->rng = o->seed ? o->seed : (uv_hrtime() ^ ((uint64_t)getpid() << 32));
        curl_multi_setopt(loop->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                          o->max_host_connections > 0 ? o->max_host_connections
                                                      : MAX_HOST_CONN_DEFAULT);
        curl_multi_setopt(loop->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                          o->max_total_connections > 0 ? o->max_total_connections
                                                       : MAX_TOTAL_CONN_DEFAULT);
        cc_ratelimit_init(&h->rl, loop_clock, loop);
        cc_loop_on_stop(loop, &h->stop_hook, on_loop_stop, h);
        goto out;
fail:
        CC_FREE(h->user_agent);
        CC_FREE(h->ca_file);
out:
        return rc;
}

cc_err
cc_http_set_rate(struct cc_http *h, const char *group, double rate, double burst)
{
        return cc_ratelimit_set(&h->rl, group, rate, burst);
}

static void finish(struct cc_http_req *req, cc_err rc);

void
cc_http_release(struct cc_http *h)
{
        if (!h->loop)
                return;
        while (h->reqs) {
                h->reqs->canceled = true;
                finish(h->reqs, CC_CANCELED);
        }
        cc_loop_hook_remove(h->loop, &h->stop_hook);
        cc_ratelimit_release(&h->rl);
        CC_FREE(h->user_agent);
        CC_FREE(h->ca_file);
        h->loop = NULL;
}

/* --- request lifecycle -------------------------------------------------------- */

static void
wipe_auth_header(struct curl_slist *l)
{
        for (; l; l = l->next)
                if (!strncasecmp(l->data, "Authorization:", 14))
                        cc_wipe(l->data, strlen(l->data));
}

/* frees everything but the struct itself and its timer */
static void
req_free_parts(struct cc_http_req *req)
{
        if (req->x.easy) {
                curl_easy_cleanup(req->x.easy);
                req->x.easy = NULL;
        }
        wipe_auth_header(req->hdrs);
        curl_slist_free_all(req->hdrs);
        req->hdrs = NULL;
        CC_FREE(req->method);
        CC_FREE(req->url);
        CC_FREE(req->log_url);
        CC_FREE(req->body);
        CC_FREE(req->content_type);
        CC_FREE(req->ca_file);
        CC_FREE(req->ca_pem);
        CC_FREE(req->cert_file);
        CC_FREE(req->key_file);
        CC_FREE(req->cert_pem);
        CC_FREE(req->user_agent);
        CC_FREE(req->group);
        cc_secret_release(&req->key_pem);
        cc_secret_release(&req->bearer);
        cc_buf_release(&req->resp.headers);
        cc_buf_release(&req->resp.body);
        cc_buf_release(&req->rec);
}

static void
req_timer_closed(uv_handle_t *t)
{
        cc_free(t->data);
}

static void
req_destroy(struct cc_http_req *req)
{
        struct cc_http *h = req->h;

        if (req->prev)
                req->prev->next = req->next;
        else if (h->reqs == req)
                h->reqs = req->next;
        if (req->next)
                req->next->prev = req->prev;
        req->prev = req->next = NULL;
        cc_loop_xfer_remove(h->loop, &req->x);
        req_free_parts(req);
        if (req->timer_init)
                uv_close((uv_handle_t *)&req->timer, req_timer_closed);
        else
                cc_free(req);
}

/* the bearer token is known: scrub it from anything traced, whatever the
 * redaction rules missed */
static void
trace_kv(struct cc_http_req *req, const char *msg, const char *key, struct cc_buf *b)
{
        if (cc_redact_scrub(b, req->bearer.data, req->bearer.len) != CC_OK)
                return;
        CC_TRACE("http", msg, CC_S("method", req->method), CC_S("url", req->log_url),
                 CC_S(key, cc_buf_str(b)));
}

static void
trace_response(struct cc_http_req *req)
{
        struct cc_buf b = CC_BUF_INIT(0);
        const char *p = req->resp.headers.data, *end = p + req->resp.headers.len;
        cc_err rc = CC_OK;

        while (p && p < end && rc == CC_OK) {
                const char *v = p + strlen(p) + 1;
                struct cc_buf line = CC_BUF_INIT(0);

                rc = cc_buf_printf(&line, "%s: %s", p, v);
                if (rc == CC_OK)
                        rc = cc_redact_header_line(&b, line.data, line.len);
                if (rc == CC_OK)
                        rc = cc_buf_putc(&b, '\n');
                cc_buf_release(&line);
                p = v + strlen(v) + 1;
        }
        if (rc == CC_OK)
                trace_kv(req, "response headers", "headers", &b);
        cc_buf_release(&b);
        if (req->resp.body.len &&
            cc_redact_body(&b, cc_http_response_header(&req->resp, "content-type"),
                           req->resp.body.data, req->resp.body.len, TRACE_BODY_MAX) == CC_OK)
                trace_kv(req, "response body", "body", &b);
        cc_buf_release(&b);
}

static void
finish(struct cc_http_req *req, cc_err rc)
{
        struct cc_http_response *resp = &req->resp;
        const char *rid;

        if (req->state == ST_FINISHED)
                return;
        req->state = ST_FINISHED;
        if (req->timer_init)
                uv_timer_stop(&req->timer);
        cc_loop_xfer_remove(req->h->loop, &req->x);
        if (req->canceled)
                rc = CC_CANCELED;
        resp->duration_ms = cc_loop_now_ms(req->h->loop) - req->start_ms;
        rid = cc_http_response_request_id(resp);
        if (rc != CC_OK && resp->diag.code == CC_OK) {
                if (rc == CC_CANCELED)
                        cc_diag_set(&resp->diag, rc, resp->status, "canceled %s '%s'", req->method,
                                    req->log_url);
                else if (resp->status >= 400 && cc_http_status_err(resp->status) == rc)
                        cc_diag_set(&resp->diag, rc, resp->status, "%s '%s' failed: http status %d",
                                    req->method, req->log_url, resp->status);
                else
                        cc_diag_set(&resp->diag, rc, resp->status, "%s '%s' failed: %s",
                                    req->method, req->log_url, cc_err_name(rc));
        }
        if (rid)
                cc_diag_set_request_id(&resp->diag, rid);
        if (req->trace)
                trace_response(req);
        CC_DEBUG("http", "request", CC_S("method", req->method), CC_S("url", req->log_url),
                 CC_I("status", resp->status), CC_U("attempts", resp->attempts),
                 CC_U("ms", resp->duration_ms), CC_S("result", cc_err_name(rc)),
                 CC_S("request_id", rid ? rid : ""));
        req->done(req, rc, resp, req->ud);
        req_destroy(req);
}

static void start_attempt(struct cc_http_req *req);

static void
on_timer_attempt(uv_timer_t *t)
{
        start_attempt(t->data);
}

static void gate(struct cc_http_req *req);

static void
on_timer_gate(uv_timer_t *t)
{
        gate(t->data);
}

/* curl enforces the timeout itself; this only guarantees the callback if a
 * transfer stalls inside curl (seen after an allocation failure in curl) */
static void
on_timer_watchdog(uv_timer_t *t)
{
        struct cc_http_req *req = t->data;

        cc_diag_set(&req->resp.diag, CC_TRANSIENT, req->resp.status,
                    "%s '%s' failed: transfer stalled past its timeout", req->method, req->log_url);
        finish(req, CC_TRANSIENT);
}

static void
arm_watchdog(struct cc_http_req *req)
{
        uint64_t slack =
            req->timeout_ms < WATCHDOG_SLACK_MS ? (uint64_t)req->timeout_ms : WATCHDOG_SLACK_MS;

        if (req->timeout_ms > 0)
                uv_timer_start(&req->timer, on_timer_watchdog, (uint64_t)req->timeout_ms + slack,
                               0);
}

static void
on_timer_cancel(uv_timer_t *t)
{
        finish(t->data, CC_CANCELED);
}

/* wait for a token of the request's group, then attempt */
static void
gate(struct cc_http_req *req)
{
        uint64_t wait = cc_ratelimit_reserve(&req->h->rl, req->group);

        req->state = ST_WAITING;
        if (wait)
                uv_timer_start(&req->timer, on_timer_attempt, wait, 0);
        else
                start_attempt(req);
}

static void
reset_attempt(struct cc_http_req *req)
{
        req->resp.status = 0;
        cc_buf_reset(&req->resp.headers);
        cc_buf_reset(&req->resp.body);
        cc_buf_reset(&req->rec);
        cc_diag_clear(&req->resp.diag);
        req->abort_rc = CC_OK;
        req->errbuf[0] = '\0';
}

static void
trace_request(struct cc_http_req *req)
{
        struct cc_buf b = CC_BUF_INIT(0);

        if (!req->body_len)
                return;
        if (cc_redact_body(&b, req->content_type, req->body, req->body_len, TRACE_BODY_MAX) ==
            CC_OK)
                trace_kv(req, "request body", "body", &b);
        cc_buf_release(&b);
}

static void
start_attempt(struct cc_http_req *req)
{
        cc_err rc;

        reset_attempt(req);
        req->resp.attempts++;
        req->state = ST_RUNNING;
        if (req->trace)
                trace_request(req);
        rc = cc_loop_xfer_add(req->h->loop, &req->x);
        if (rc != CC_OK)
                finish(req, rc);
        else
                arm_watchdog(req);
}

static cc_err
curl_err(CURLcode c, bool *retryable)
{
        *retryable = false;
        switch (c) {
        case CURLE_OK:
                return CC_OK;
        case CURLE_COULDNT_CONNECT:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_PARTIAL_FILE:
        case CURLE_GOT_NOTHING:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
                *retryable = true;
                return CC_TRANSIENT;
        case CURLE_OUT_OF_MEMORY:
                return CC_NOMEM;
        case CURLE_URL_MALFORMAT:
        case CURLE_UNSUPPORTED_PROTOCOL:
                return CC_INVAL;
        case CURLE_FILESIZE_EXCEEDED:
                return CC_TOOBIG;
        default:
                return CC_IO;
        }
}

static bool
status_retryable(int status)
{
        return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

static uint64_t
retry_delay(struct cc_http_req *req)
{
        const char *ra = cc_http_response_header(&req->resp, "retry-after");
        uint64_t ms;

        if ((req->resp.status == 429 || req->resp.status == 503) && ra &&
            cc_retry_after_parse(ra, time(NULL), req->retry.retry_after_max_ms, &ms))
                return ms;
        return cc_backoff_ms(&req->retry, req->resp.attempts, cc_rand_next(&req->h->rng));
}

/* the last partial record of a stream that ended without a newline */
static cc_err
flush_record(struct cc_http_req *req)
{
        cc_err rc = CC_OK;
        size_t n = req->rec.len;

        while (n && (req->rec.data[n - 1] == '\r'))
                n--;
        if (n) {
                req->records_started = true;
                rc = req->on_record(req, req->rec.data, n, req->ud);
        }
        cc_buf_reset(&req->rec);
        return rc;
}

static void
on_xfer_done(struct cc_loop_xfer *x, CURLcode result)
{
        struct cc_http_req *req = (struct cc_http_req *)x;
        bool retryable = false;
        long status = 0;
        uint64_t delay;
        cc_err rc;

        curl_easy_getinfo(req->x.easy, CURLINFO_RESPONSE_CODE, &status);
        req->resp.status = (int)status;
        if (req->canceled) {
                finish(req, CC_CANCELED);
                return;
        }
        if (req->abort_rc != CC_OK) {
                finish(req, req->abort_rc);
                return;
        }
        rc = curl_err(result, &retryable);
        if (rc == CC_OK) {
                rc = cc_http_status_err(req->resp.status);
                retryable = status_retryable(req->resp.status);
                if (rc == CC_OK && req->on_record && req->rec.len)
                        rc = flush_record(req);
        } else {
                cc_diag_set(&req->resp.diag, rc, req->resp.status, "%s '%s' failed: %s",
                            req->method, req->log_url,
                            req->errbuf[0] ? req->errbuf : curl_easy_strerror(result));
        }
        if (rc == CC_OK || !retryable || req->resp.attempts >= req->retry.max_attempts ||
            (!req->idempotent && !req->retry_unsafe) || req->records_started ||
            cc_loop_stopping(req->h->loop)) {
                finish(req, rc);
                return;
        }
        delay = retry_delay(req);
        CC_WARN("http", "retrying request", CC_S("method", req->method), CC_S("url", req->log_url),
                CC_I("status", req->resp.status),
                CC_S("error", result ? curl_easy_strerror(result) : ""),
                CC_U("attempt", req->resp.attempts), CC_U("delay_ms", delay));
        req->state = ST_WAITING;
        uv_timer_start(&req->timer, on_timer_gate, delay, 0);
}

/* --- curl callbacks ------------------------------------------------------------ */

static size_t
on_header(char *data, size_t size, size_t n, void *ud)
{
        struct cc_http_req *req = ud;
        size_t len = size * n;
        const char *name, *value;
        size_t nlen, vlen;
        int status;
        curl_off_t clen = -1;
        cc_err rc;

        if (req->canceled)
                return 0;
        status = cc_http_status_parse(data, len);
        if (status >= 0) {
                /* a new response (after a 100 or a proxy's CONNECT): start over */
                req->resp.status = status;
                cc_buf_reset(&req->resp.headers);
                return len;
        }
        if (len <= 2 && (data[0] == '\r' || data[0] == '\n')) {
                /* end of headers: refuse an announced body over the cap early */
                curl_easy_getinfo(req->x.easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &clen);
                if (clen > 0 && (uint64_t)clen > req->max_response &&
                    !(req->on_record && req->resp.status >= 200 && req->resp.status < 300)) {
                        req->abort_rc = CC_TOOBIG;
                        return 0;
                }
                return len;
        }
        if (!cc_http_header_parse(data, len, &name, &nlen, &value, &vlen))
                return len; /* tolerate junk, as browsers do */
        rc = cc_buf_append(&req->resp.headers, name, nlen);
        if (rc == CC_OK)
                rc = cc_buf_putc(&req->resp.headers, '\0');
        if (rc == CC_OK)
                rc = cc_buf_append(&req->resp.headers, value, vlen);
        if (rc == CC_OK)
                rc = cc_buf_putc(&req->resp.headers, '\0');
        if (rc != CC_OK) {
                req->abort_rc = rc;
                return 0;
        }
        return len;
}

/* deliver complete records from data; keep the tail in req->rec */
static cc_err
feed_records(struct cc_http_req *req, const char *data, size_t len)
{
        const char *p = data, *end = data + len, *nl;
        cc_err rc = CC_OK;

        while (rc == CC_OK && p < end && !req->canceled) {
                const char *rec;
                size_t rlen;

                nl = memchr(p, '\n', (size_t)(end - p));
                if (!nl) {
                        if (req->rec.len + (size_t)(end - p) > req->max_record)
                                rc = CC_TOOBIG;
                        else
                                rc = cc_buf_append(&req->rec, p, (size_t)(end - p));
                        break;
                }
                if (req->rec.len) {
                        if (req->rec.len + (size_t)(nl - p) > req->max_record) {
                                rc = CC_TOOBIG;
                                break;
                        }
                        rc = cc_buf_append(&req->rec, p, (size_t)(nl - p));
                        if (rc != CC_OK)
                                break;
                        rec = req->rec.data;
                        rlen = req->rec.len;
                } else {
                        rec = p;
                        rlen = (size_t)(nl - p);
                        if (rlen > req->max_record) {
                                rc = CC_TOOBIG;
                                break;
                        }
                }
                if (rlen && rec[rlen - 1] == '\r')
                        rlen--;
                if (rlen) {
                        req->records_started = true;
                        if (req->trace) {
                                struct cc_buf b = CC_BUF_INIT(0);

                                if (cc_redact_body(&b, "application/json", rec, rlen,
                                                   TRACE_BODY_MAX) == CC_OK)
                                        trace_kv(req, "stream record", "record", &b);
                                cc_buf_release(&b);
                        }
                        rc = req->on_record(req, rec, rlen, req->ud);
                }
                cc_buf_reset(&req->rec);
                p = nl + 1;
        }
        return rc;
}

static size_t
on_write(char *data, size_t size, size_t n, void *ud)
{
        struct cc_http_req *req = ud;
        size_t len = size * n;
        cc_err rc;

        if (req->canceled)
                return 0;
        if (req->on_record && req->resp.status >= 200 && req->resp.status < 300) {
                rc = feed_records(req, data, len);
                if (rc != CC_OK || req->canceled) {
                        req->abort_rc = rc;
                        return 0;
                }
                return len;
        }
        rc = cc_buf_append(&req->resp.body, data, len);
        if (rc != CC_OK) {
                req->abort_rc = rc;
                return 0;
        }
        return len;
}

/* trace of the request headers as they went on the wire, redacted */
static int
on_debug(CURL *easy, curl_infotype type, char *data, size_t len, void *ud)
{
        struct cc_http_req *req = ud;
        struct cc_buf b = CC_BUF_INIT(0);
        const char *p = data, *end = data + len;
        cc_err rc = CC_OK;

        if (type != CURLINFO_HEADER_OUT)
                return 0;
        while (p < end && rc == CC_OK) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                const char *le = eol ? eol : end;
                size_t l = (size_t)(le - p);

                if (l && p[l - 1] == '\r')
                        l--;
                if (l) {
                        rc = cc_redact_header_line(&b, p, l);
                        if (rc == CC_OK)
                                rc = cc_buf_putc(&b, '\n');
                }
                p = eol ? eol + 1 : end;
        }
        if (rc == CC_OK)
                trace_kv(req, "request headers", "headers", &b);
        cc_buf_release(&b);
        return 0;
}

/* --- send ---------------------------------------------------------------------- */

static cc_err
dup_opt(char **dst, const char *src)
{
        if (!src)
                return CC_OK;
        *dst = cc_strdup(src);
        return *dst ? CC_OK : CC_NOMEM;
}

static cc_err
add_header(struct curl_slist **l, const char *line)
{
        struct curl_slist *n = curl_slist_append(*l, line);

        if (!n)
                return CC_NOMEM;
        *l = n;
        return CC_OK;
}

static bool
has_header(const char *const *hdrs, const char *name)
{
        size_t n = strlen(name);

        for (; hdrs && *hdrs; hdrs++)
                if (!strncasecmp(*hdrs, name, n) && (*hdrs)[n] == ':')
                        return true;
        return false;
}

static cc_err
build_headers(struct cc_http_req *req, const struct cc_http_request *r)
{
        struct cc_secret auth = CC_SECRET_INIT;
        struct cc_buf ct = CC_BUF_INIT(0);
        const char *const *hp;
        cc_err rc = CC_OK;
        size_t n;

        for (hp = r->headers; hp && *hp && rc == CC_OK; hp++)
                rc = add_header(&req->hdrs, *hp);
        if (rc == CC_OK && req->body && !has_header(r->headers, "Content-Type")) {
                rc = cc_buf_printf(&ct, "Content-Type: %s", req->content_type);
                if (rc == CC_OK)
                        rc = add_header(&req->hdrs, ct.data);
        }
        /* no "Expect: 100-continue" round trip for large bodies */
        if (rc == CC_OK && req->body)
                rc = add_header(&req->hdrs, "Expect:");
        if (rc == CC_OK && !cc_secret_empty(&req->bearer)) {
                /* built in a secret so that this copy is wiped too */
                char *line;

                n = sizeof("Authorization: Bearer ") + req->bearer.len;
                line = cc_malloc(n);
                if (!line) {
                        rc = CC_NOMEM;
                } else {
                        snprintf(line, n, "Authorization: Bearer %s", req->bearer.data);
                        cc_secret_take(&auth, line, n - 1);
                        rc = add_header(&req->hdrs, auth.data);
                }
        }
        cc_secret_release(&auth);
        cc_buf_release(&ct);
        return rc;
}

static cc_err
copy_request(struct cc_http *h, struct cc_http_req *req, const struct cc_http_request *r)
{
        struct cc_buf lu = CC_BUF_INIT(0);
        char *json = NULL;
        cc_err rc = CC_OK;

        if (r->json) {
                json = cJSON_PrintUnformatted(r->json);
                if (!json) {
                        rc = CC_NOMEM;
                        goto out;
                }
                req->body = json;
                req->body_len = strlen(json);
                json = NULL;
                rc = dup_opt(&req->content_type, "application/json");
        } else if (r->body) {
                req->body = cc_malloc(r->body_len + 1);
                if (!req->body) {
                        rc = CC_NOMEM;
                        goto out;
                }
                memcpy(req->body, r->body, r->body_len);
                req->body[r->body_len] = '\0';
                req->body_len = r->body_len;
                rc = dup_opt(&req->content_type,
                             r->content_type ? r->content_type : "application/octet-stream");
        }
        if (rc == CC_OK)
                rc = dup_opt(&req->method, r->method ? r->method : (req->body ? "POST" : "GET"));
        if (rc == CC_OK)
                rc = dup_opt(&req->url, r->url);
        if (rc == CC_OK)
                rc = cc_redact_url(&lu, r->url);
        if (rc == CC_OK) {
                req->log_url = cc_buf_detach(&lu, NULL);
                if (!req->log_url)
                        rc = CC_NOMEM;
        }
        if (rc == CC_OK)
                rc = dup_opt(&req->ca_file, r->ca_file ? r->ca_file : h->ca_file);
        if (rc == CC_OK)
                rc = dup_opt(&req->ca_pem, r->ca_pem);
        if (rc == CC_OK)
                rc = dup_opt(&req->cert_file, r->cert_file);
        if (rc == CC_OK)
                rc = dup_opt(&req->key_file, r->key_file);
        if (rc == CC_OK)
                rc = dup_opt(&req->cert_pem, r->cert_pem);
        if (rc == CC_OK)
                rc = dup_opt(&req->user_agent, r->user_agent ? r->user_agent : h->user_agent);
        if (rc == CC_OK)
                rc = dup_opt(&req->group, r->group);
        if (rc == CC_OK && r->key_pem && !cc_secret_empty(r->key_pem))
                rc = cc_secret_set(&req->key_pem, r->key_pem->data, r->key_pem->len);
        if (rc == CC_OK && r->bearer && !cc_secret_empty(r->bearer))
                rc = cc_secret_set(&req->bearer, r->bearer->data, r->bearer->len);
out:
        cc_buf_release(&lu);
        return rc;
}

static cc_err
setup_easy(struct cc_http_req *req, const struct cc_http_request *r)
{
        struct cc_http *h = req->h;
        CURL *e;
        long ct, to;
        cc_err rc = CC_OK;

        e = req->x.easy = curl_easy_init();
        if (!e) {
                rc = CC_NOMEM;
                goto out;
        }
        ct = r->connect_timeout_ms > 0 ? r->connect_timeout_ms : h->connect_timeout_ms;
        to = r->timeout_ms ? r->timeout_ms : h->timeout_ms;
        req->timeout_ms = to;
        /* setopt only fails on unknown options or out of memory (strings are copied) */
#define SET(opt, val)                                                         \
        do {                                                                  \
                if (rc == CC_OK && curl_easy_setopt(e, opt, val) != CURLE_OK) \
                        rc = CC_NOMEM;                                        \
        } while (0)
        SET(CURLOPT_URL, req->url);
        SET(CURLOPT_NOSIGNAL, 1L);
        SET(CURLOPT_PROTOCOLS_STR, "http,https");
        SET(CURLOPT_FOLLOWLOCATION, 0L);
        SET(CURLOPT_CONNECTTIMEOUT_MS, ct);
        SET(CURLOPT_TIMEOUT_MS, to > 0 ? to : 0L);
        SET(CURLOPT_USERAGENT, req->user_agent);
        SET(CURLOPT_HEADERFUNCTION, on_header);
        SET(CURLOPT_HEADERDATA, (void *)req);
        SET(CURLOPT_WRITEFUNCTION, on_write);
        SET(CURLOPT_WRITEDATA, (void *)req);
        SET(CURLOPT_ERRORBUFFER, req->errbuf);
        SET(CURLOPT_PIPEWAIT, 1L);
        SET(CURLOPT_SSL_VERIFYPEER, req->insecure ? 0L : 1L);
        SET(CURLOPT_SSL_VERIFYHOST, req->insecure ? 0L : 2L);
        SET(CURLOPT_ACCEPT_ENCODING, "");
        if (req->ca_file)
                SET(CURLOPT_CAINFO, req->ca_file);
        if (req->ca_pem) {
                struct curl_blob blob = { req->ca_pem, strlen(req->ca_pem), CURL_BLOB_NOCOPY };

                SET(CURLOPT_CAINFO_BLOB, &blob);
        }
        if (req->cert_file)
                SET(CURLOPT_SSLCERT, req->cert_file);
        if (req->key_file)
                SET(CURLOPT_SSLKEY, req->key_file);
        if (req->cert_pem) {
                struct curl_blob blob = { req->cert_pem, strlen(req->cert_pem), CURL_BLOB_NOCOPY };

                SET(CURLOPT_SSLCERT_BLOB, &blob);
                SET(CURLOPT_SSLCERTTYPE, "PEM");
        }
        if (!cc_secret_empty(&req->key_pem)) {
                /* NOCOPY: the only copy stays in our secret, wiped on release */
                struct curl_blob blob = { req->key_pem.data, req->key_pem.len, CURL_BLOB_NOCOPY };

                SET(CURLOPT_SSLKEY_BLOB, &blob);
                SET(CURLOPT_SSLKEYTYPE, "PEM");
        }
        if (!strcmp(req->method, "HEAD")) {
                SET(CURLOPT_NOBODY, 1L);
        } else if (req->body || !strcmp(req->method, "POST")) {
                SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
                SET(CURLOPT_POSTFIELDS, req->body ? req->body : "");
                if (strcmp(req->method, "POST"))
                        SET(CURLOPT_CUSTOMREQUEST, req->method);
        } else if (strcmp(req->method, "GET")) {
                SET(CURLOPT_CUSTOMREQUEST, req->method);
        }
        if (rc == CC_OK)
                rc = build_headers(req, r);
        SET(CURLOPT_HTTPHEADER, req->hdrs);
        if (req->trace) {
                SET(CURLOPT_DEBUGFUNCTION, on_debug);
                SET(CURLOPT_DEBUGDATA, (void *)req);
                SET(CURLOPT_VERBOSE, 1L);
        }
#undef SET
out:
        return rc;
}

static bool
valid_method(const char *m)
{
        size_t i;

        for (i = 0; m[i]; i++)
                if (!isupper((unsigned char)m[i]))
                        return false;
        return i > 0 && i < 16;
}

cc_err
cc_http_send(struct cc_http *h, const struct cc_http_request *r, struct cc_http_req **out,
             struct cc_diag *d)
{
        struct cc_http_req *req = NULL;
        uint64_t wait;
        cc_err rc;

        if (!r || !r->url || !*r->url || !r->done || (r->method && !valid_method(r->method)) ||
            (r->body && r->json)) {
                rc = cc_diag_set(d, CC_INVAL, 0, "invalid http request: %s",
                                 !r || !r->url || !*r->url ? "no url"
                                 : !r->done                ? "no callback"
                                 : r->body && r->json      ? "both a body and a json body"
                                                           : "bad method");
                goto out;
        }
        if (!h->loop || cc_loop_stopping(h->loop)) {
                rc = cc_diag_set(d, CC_CANCELED, 0, "cannot send request: shutting down");
                goto out;
        }
        req = cc_calloc(1, sizeof(*req));
        if (!req) {
                rc = CC_NOMEM;
                goto fail;
        }
        req->h = h;
        req->x.done = on_xfer_done;
        req->done = r->done;
        req->ud = r->ud;
        req->on_record = r->on_record;
        req->retry_unsafe = r->retry_unsafe;
        req->insecure = r->insecure_skip_verify;
        req->max_response = r->max_response ? r->max_response : h->max_response;
        req->max_record = r->max_record ? r->max_record : h->max_record;
        req->retry = r->retry;
        policy_fill(&req->retry, &h->retry);
        req->trace = cc_log_enabled(CC_LOG_TRACE, "http");
        cc_buf_init(&req->resp.body, req->max_response);
        cc_buf_init(&req->resp.headers, HEADERS_MAX);
        cc_buf_init(&req->rec, req->max_record);
        rc = copy_request(h, req, r);
        if (rc == CC_OK)
                rc = setup_easy(req, r);
        if (rc != CC_OK)
                goto fail;
        req->idempotent = cc_http_method_idempotent(req->method);
        req->start_ms = cc_loop_now_ms(h->loop);
        wait = cc_ratelimit_reserve(&h->rl, req->group);
        if (!wait) {
                reset_attempt(req);
                req->resp.attempts = 1;
                req->state = ST_RUNNING;
                if (req->trace)
                        trace_request(req);
                rc = cc_loop_xfer_add(h->loop, &req->x);
                if (rc != CC_OK)
                        goto fail;
        }
        /* from here on nothing fails: the request is live */
        uv_timer_init(&h->loop->uv, &req->timer);
        req->timer.data = req;
        req->timer_init = true;
        if (wait) {
                req->state = ST_WAITING;
                uv_timer_start(&req->timer, on_timer_attempt, wait, 0);
        } else {
                arm_watchdog(req);
        }
        req->next = h->reqs;
        if (h->reqs)
                h->reqs->prev = req;
        h->reqs = req;
        if (out)
                *out = req;
        rc = CC_AGAIN;
        goto out;
fail:
        if (req) {
                req_free_parts(req);
                cc_free(req);
        }
        cc_diag_set(d, rc, 0, "cannot send request: %s",
                    rc == CC_NOMEM ? "out of memory" : cc_err_name(rc));
out:
        return rc;
}

void
cc_http_cancel(struct cc_http_req *req)
{
        if (!req || req->state == ST_FINISHED || req->canceled)
                return;
        req->canceled = true;
        /* fire from the loop, outside any curl callback */
        uv_timer_start(&req->timer, on_timer_cancel, 0, 0);
}

void
cc_http_cancel_all(struct cc_http *h)
{
        struct cc_http_req *req;

        for (req = h->reqs; req; req = req->next)
                cc_http_cancel(req);
}
