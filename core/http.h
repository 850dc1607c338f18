/* http.h -- asynchronous HTTP client on the event loop (curl multi).
 *
 * Every HTTP exchange in cloudctl -- cloud REST APIs, Kubernetes REST and
 * watch streams, token endpoints -- goes through cc_http_send().  One
 * client (struct cc_http) per loop is the norm; it holds defaults, the rate
 * limiter and the list of requests in flight.  Transfers share the loop's
 * curl multi handle, hence its connection cache.
 *
 * Async contract:
 *   cc_http_send() returns CC_AGAIN when the request was accepted: its done
 *   callback then fires exactly once, later, on the loop thread (never from
 *   inside cc_http_send).  Any other return (CC_INVAL, CC_NOMEM,
 *   CC_CANCELED when the loop is stopping) means the callback never fires
 *   and nothing needs releasing.
 *
 * Outcome (the rc given to the done callback):
 *   CC_OK         a response with status < 400 was received;
 *   CC_INVAL      400 or another 4xx not listed below, or a malformed URL;
 *   CC_AUTH       401, 403;     CC_NOTFOUND 404, 410;   CC_CONFLICT 409, 412;
 *   CC_RATELIMIT  429 after the retries;  CC_TRANSIENT 5xx after the retries,
 *                 or a network failure (refused, reset, partial body, timeout);
 *   CC_TOOBIG     the body (or a stream record) exceeded its cap;
 *   CC_IO         TLS failure (e.g. certificate verification) or other curl error;
 *   CC_NOMEM      out of memory on the way;
 *   CC_CANCELED   cc_http_cancel(), a loop stop, or cc_http_release();
 *   any code a record callback returned (the stream stops with it).
 * For HTTP errors the response (status, headers, body) is filled all the
 * same: callers read API error bodies from it.
 *
 * Retries: 429, 500, 502, 503, 504 and transport failures (connection
 * refused or reset, partial transfer, timeout, empty reply) are retried with
 * exponential backoff and full jitter, or after the server's Retry-After
 * (clamped), up to retry.max_attempts attempts in all -- for idempotent
 * methods (GET, HEAD, PUT, DELETE, OPTIONS) only, unless retry_unsafe is set
 * (POST with a requestId is safe).  A stream that delivered a record is not
 * retried.  Waits are loop timers.
 *
 * Rate limiting: a request naming a group waits (on a timer) for a token of
 * that group's bucket before every attempt; see cc_http_set_rate().
 *
 * Logging (component "http"): one debug line per request (method, URL with
 * secret query values redacted, status, attempts, duration), a warn line per
 * retry.  At trace level, request and response headers and bodies, with
 * Authorization, Cookie, Proxy-Authorization and any header, JSON member,
 * form or query field named like a credential redacted.  The bearer token
 * never reaches a log line at any level.
 */
#ifndef CC_HTTP_H
#define CC_HTTP_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/backoff.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/loop.h"
#include "core/ratelimit.h"
#include "core/secret.h"

struct cc_http;
struct cc_http_req;

struct cc_http_response {
        int status;            /* 0 when no response was received */
        struct cc_buf headers; /* internal: use cc_http_response_header() */
        struct cc_buf body;    /* the body (empty for streamed 2xx responses) */
        struct cc_diag diag;   /* code, status, message and request id on error */
        unsigned attempts;     /* attempts made, >= 1 once started */
        uint64_t duration_ms;  /* from send to completion, waits included */
};

/* The done callback.  resp is valid during the call only; the callback may
 * take resp->body with cc_buf_detach().  req is invalid once it returns.
 * It may send new requests and cancel others. */
typedef void (*cc_http_done_fn)(struct cc_http_req *req, cc_err rc, struct cc_http_response *resp,
                                void *ud);

/* The record callback of a streaming request: one newline-delimited record
 * (without its "\n" or "\r\n"; empty lines are skipped) of a 2xx response,
 * as soon as it has arrived.  rec is valid during the call.  Returning
 * anything but CC_OK stops the stream; the request completes with that code.
 * It may call cc_http_cancel() (on this request too). */
typedef cc_err (*cc_http_record_fn)(struct cc_http_req *req, const char *rec, size_t len, void *ud);

struct cc_http_opts {
        const char *user_agent;       /* NULL = "cloudctl" */
        long connect_timeout_ms;      /* 0 = 10 s */
        long timeout_ms;              /* total per attempt; 0 = 60 s; < 0 = none */
        size_t max_response;          /* body cap; 0 = 16 MiB */
        size_t max_record;            /* stream record cap; 0 = 4 MiB */
        struct cc_retry_policy retry; /* zero fields take the CC_RETRY_*_DEFAULT values */
        long max_host_connections;    /* 0 = 16; applies to the loop's multi handle */
        long max_total_connections;   /* 0 = 64 */
        const char *ca_file;          /* NULL = the system trust store */
        uint64_t seed;                /* jitter seed; 0 = from the clock and pid */
};

struct cc_http_request {
        const char *method;         /* NULL = GET (POST when a body is set) */
        const char *url;            /* required */
        const char *const *headers; /* NULL-terminated "Name: value" lines, may be NULL */
        const void *body;           /* raw body bytes, copied */
        size_t body_len;
        const cJSON *json;                /* or a JSON body: serialized, Content-Type set */
        const char *content_type;         /* raw body type; NULL = application/octet-stream */
        const struct cc_secret *bearer;   /* Authorization: Bearer <token>; copied, wiped */
        long connect_timeout_ms;          /* 0 = client default */
        long timeout_ms;                  /* 0 = client default; < 0 = none (watch streams) */
        size_t max_response;              /* 0 = client default */
        const char *ca_file;              /* CA bundle path overriding the client's */
        const char *ca_pem;               /* or CA certificates as PEM text */
        const char *cert_file, *key_file; /* TLS client certificate and key (PEM files) */
        const char *cert_pem;             /* or the client certificate as PEM text */
        const struct cc_secret *key_pem;  /* and its key as PEM text; copied, wiped */
        const char *group;                /* rate limit group; NULL = unlimited */
        const char *user_agent;           /* NULL = client default */
        struct cc_retry_policy retry;     /* zero fields = client default */
        bool retry_unsafe;                /* retry non-idempotent methods as well */
        bool insecure_skip_verify;        /* do not verify the server certificate (kubeconfig's
                                             insecure-skip-tls-verify); logged as a warning */
        cc_http_record_fn on_record;      /* streaming mode when set */
        size_t max_record;                /* 0 = client default */
        cc_http_done_fn done;             /* required */
        void *ud;
};

struct cc_http {
        struct cc_loop *loop;
        struct cc_loop_hook stop_hook;
        struct cc_ratelimit rl;
        struct cc_http_req *reqs; /* in flight */
        char *user_agent;
        char *ca_file;
        long connect_timeout_ms, timeout_ms;
        size_t max_response, max_record;
        struct cc_retry_policy retry;
        uint64_t rng;
};

/* cc_http_init -- a client on loop (which must outlive it).  o may be NULL.
 * Returns CC_OK, CC_NOMEM or CC_INVAL; on error nothing needs releasing. */
cc_err cc_http_init(struct cc_http *h, struct cc_loop *loop, const struct cc_http_opts *o,
                    struct cc_diag *d);

/* cc_http_release -- cancel what is in flight (done callbacks fire with
 * CC_CANCELED before this returns) and free the client.  Memory of the
 * canceled requests is reclaimed when the loop next runs (or at
 * cc_loop_release). */
void cc_http_release(struct cc_http *h);

/* cc_http_set_rate -- rate limit a group: rate requests per second, bursts
 * of up to burst.  rate <= 0 removes the limit.  CC_OK, CC_INVAL, CC_NOMEM. */
cc_err cc_http_set_rate(struct cc_http *h, const char *group, double rate, double burst);

/* cc_http_send -- start a request (see the contract at the top).  *out (may
 * be NULL) identifies it for cc_http_cancel() until its done callback
 * returns.  Everything r points to is copied; r may go away at once. */
cc_err cc_http_send(struct cc_http *h, const struct cc_http_request *r, struct cc_http_req **out,
                    struct cc_diag *d);

/* cc_http_cancel -- the request completes with CC_CANCELED: its callback
 * fires later on the loop thread, and no record callback fires after this
 * call.  No-op once the done callback has started. */
void cc_http_cancel(struct cc_http_req *req);

/* cc_http_cancel_all -- cc_http_cancel() every request in flight.  Also run
 * by the loop's stop hook. */
void cc_http_cancel_all(struct cc_http *h);

/* cc_http_response_header -- the value of the first response header called
 * name (case-insensitive), or NULL.  Headers of interim responses (100,
 * a proxy's CONNECT) are not kept. */
const char *cc_http_response_header(const struct cc_http_response *r, const char *name);

/* cc_http_response_request_id -- the server's request id from
 * x-goog-request-id, x-request-id, x-amzn-requestid or audit-id; NULL if none. */
const char *cc_http_response_request_id(const struct cc_http_response *r);

/* --- helpers, exposed for tests ----------------------------------------- */

/* cc_http_header_parse -- split "Name: value\r\n" into name and value
 * (surrounding whitespace and the line end trimmed).  False when the line
 * has no colon or an empty or invalid name. */
bool cc_http_header_parse(const char *line, size_t len, const char **name, size_t *nlen,
                          const char **value, size_t *vlen);

/* cc_http_status_parse -- the status code of "HTTP/1.1 200 OK" or
 * "HTTP/2 404", or -1 when line is not a status line. */
int cc_http_status_parse(const char *line, size_t len);

/* cc_http_status_err -- the cc_err for an HTTP status (CC_OK below 400). */
cc_err cc_http_status_err(int status);

/* cc_http_method_idempotent -- GET, HEAD, PUT, DELETE, OPTIONS. */
bool cc_http_method_idempotent(const char *method);

#endif
