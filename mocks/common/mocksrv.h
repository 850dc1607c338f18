/* mocksrv.h -- the HTTP server under mock-gcp and mock-kube.
 *
 * DESIGN
 * ------
 * A mock is a libmicrohttpd daemon plus an application (the fake cloud or
 * cluster).  This layer owns everything that is the same for both: binding
 * (127.0.0.1, port 0 = pick a free one), TLS, reading request bodies under a
 * cap (413 past it), the request log, per-API call counters, and fault
 * injection; the application owns the semantics, through one handler.
 *
 * Threads: one thread per connection (so a handler may block, e.g. a
 * compute `operations/wait` or a Kubernetes watch stream), and one mutex,
 * held by the server around every call into the application.  Handlers
 * that wait must wait on a condition variable with cc_mocksrv_mutex(), so
 * the lock is released while they sleep.  All application state is thus
 * only ever touched under that lock.
 *
 * Admin API, served before the application sees the request:
 *   GET    /_mock/requests[?since=N]  request log as JSON (seq, method, path,
 *                                     query, status, api, mutating, body, and
 *                                     clientSubject when a client certificate
 *                                     was verified)
 *   DELETE /_mock/requests            clear the log
 *   GET    /_mock/counters            {"<api>": {"read": n, "mutating": n}, ...}
 *   POST   /_mock/faults              add a fault rule (JSON, see below)
 *   GET    /_mock/faults              list rules with how often each fired
 *   DELETE /_mock/faults              remove every rule
 *   POST   /_mock/reset               log, counters, faults and app state cleared
 * Other /_mock/ paths go to the application's admin hook.
 *
 * A fault rule:
 *   {"method": "POST",              optional, default any
 *    "path": "/compute/v1/projects/ * /global/urlMaps*",   fnmatch pattern
 *    "action": "status|drop|delay",
 *    "status": 503, "retryAfter": 1,  for action status (body from the app)
 *    "delayMs": 2000,                 for action delay (then served normally)
 *    "nth": 2,                        fire on the nth match only (1-based), or
 *    "every": true, "fraction": 0.2,  fire on every match / a random fraction
 *    "times": 3}                      stop after firing this many times
 *                                     (0 or absent = persistent)
 */
#ifndef CC_MOCKSRV_H
#define CC_MOCKSRV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

struct cc_mocksrv;

struct cc_mock_header {
        char *name;
        char *value;
};

struct cc_mock_req {
        const char *method;
        const char *path;      /* percent-decoded path, no query */
        const char *raw_query; /* "a=1&b=2" as received ("" when none) */
        const char *body;      /* NUL-terminated; "" when none */
        size_t body_len;
        struct MHD_Connection *conn; /* for header and argument lookups */
        int internal;                /* set for requests dispatched by the app itself */
        /* the subject DN (RFC 4514, "CN=alice,O=team") of the client
         * certificate the connection presented, verified against
         * opts.client_ca; NULL without client_ca, without a certificate, or
         * when it does not verify (untrusted issuer, expired) */
        const char *client_subject;
};

/* Response built by a handler.  The handler fills status, content_type and
 * body; extra headers go through cc_mock_resp_header().  For a streaming
 * response (watch) set stream: the server calls it on the connection's
 * thread, without the server lock held, until it returns false. */
struct cc_mock_resp {
        int status;
        char content_type[96];
        struct cc_buf body;
        struct cc_mock_header *headers;
        size_t nheaders, headers_cap;
        /* streaming: write the next chunk into out; return false to end the
         * stream.  Called repeatedly; may block.  stream_free releases ud. */
        bool (*stream)(void *ud, struct cc_buf *out);
        void (*stream_free)(void *ud);
        void *stream_ud;
        /* set by the handler for the counters: the API name ("compute", "dns",
         * "core/v1", ...) and whether the call mutates state */
        const char *api;
        int mutating; /* -1 = decide by method (anything but GET/HEAD mutates) */
        bool drop;    /* close the connection without a response */
        bool redact;  /* body or query hold credentials: keep them out of the log */
};

struct cc_mock_app {
        void *ud;
        /* the application: fill resp; called with the server lock held */
        void (*handle)(void *ud, struct cc_mocksrv *srv, const struct cc_mock_req *req,
                       struct cc_mock_resp *resp);
        /* /_mock/<rest> paths the server does not serve itself; may be NULL */
        void (*admin)(void *ud, struct cc_mocksrv *srv, const struct cc_mock_req *req,
                      struct cc_mock_resp *resp);
        /* the body for an injected error status, in the API's own shape */
        void (*fault_body)(void *ud, const struct cc_mock_req *req, int status,
                           struct cc_mock_resp *resp);
        /* forget all state (POST /_mock/reset) */
        void (*reset)(void *ud);
};

struct cc_mocksrv_opts {
        int port;             /* 0 = any free port */
        const char *tls_cert; /* PEM file paths; both or neither */
        const char *tls_key;
        const char *client_ca; /* PEM file: ask for client certificates and verify them
                                  against it (needs tls_cert); NULL = none */
        size_t max_body;       /* request bodies over this get 413; 0 = 8 MiB */
        size_t log_max;        /* request log entries kept; 0 = 100000 */
        unsigned seed;         /* for fraction faults; 0 = fixed default */
};

/* cc_mocksrv_start -- bind and start serving.  The app struct is copied. */
cc_err cc_mocksrv_start(const struct cc_mocksrv_opts *opts, const struct cc_mock_app *app,
                        struct cc_mocksrv **out, struct cc_diag *d);
/* cc_mocksrv_stop -- stop serving, join threads, free everything. NULL-safe. */
void cc_mocksrv_stop(struct cc_mocksrv *srv);

int cc_mocksrv_port(const struct cc_mocksrv *srv);
/* "http://127.0.0.1:PORT" or "https://..." -- no trailing slash */
const char *cc_mocksrv_url(const struct cc_mocksrv *srv);

/* the server lock, for condition waits inside handlers */
pthread_mutex_t *cc_mocksrv_mutex(struct cc_mocksrv *srv);
/* cc_mocksrv_stopping -- true once cc_mocksrv_stop began (blocked handlers
 * should return) */
bool cc_mocksrv_stopping(const struct cc_mocksrv *srv);

/* --- helpers for handlers ------------------------------------------------ */

const char *cc_mock_req_header(const struct cc_mock_req *req, const char *name);
const char *cc_mock_req_arg(const struct cc_mock_req *req, const char *name);

void cc_mock_resp_header(struct cc_mock_resp *resp, const char *name, const char *value);
/* cc_mock_resp_json -- status + JSON body (the cJSON tree is not consumed) */
struct cJSON;
void cc_mock_resp_json(struct cc_mock_resp *resp, int status, const struct cJSON *body);
void cc_mock_resp_text(struct cc_mock_resp *resp, int status, const char *ctype, const char *text);

/* cc_mock_resp_init / release -- for applications that dispatch requests
 * internally (e.g. a batch endpoint). */
void cc_mock_resp_init(struct cc_mock_resp *resp);
void cc_mock_resp_release(struct cc_mock_resp *resp);

/* cc_mocksrv_dispatch -- run the application handler for an inner request
 * (lock already held by the caller).  The inner call is logged and counted
 * like a real one. */
void cc_mocksrv_dispatch(struct cc_mocksrv *srv, const struct cc_mock_req *req,
                         struct cc_mock_resp *resp);

/* --- fault rules (exposed for unit tests) -------------------------------- */

struct cc_mock_fault {
        char method[16];
        char path[512];
        enum { CC_FAULT_STATUS, CC_FAULT_DROP, CC_FAULT_DELAY } action;
        int status;
        int retry_after;
        int delay_ms;
        unsigned nth;
        bool every;
        double fraction;
        unsigned times;
        unsigned matched, fired;
};

/* cc_mock_fault_parse -- a rule from its JSON form. */
cc_err cc_mock_fault_parse(const char *json, size_t len, struct cc_mock_fault *out,
                           struct cc_diag *d);
/* cc_mock_fault_match -- count a matching request and say whether the rule
 * fires for it; rnd in [0,1) decides fraction rules. */
bool cc_mock_fault_match(struct cc_mock_fault *f, const char *method, const char *path, double rnd);

#endif
