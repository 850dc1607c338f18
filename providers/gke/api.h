/* api.h -- one call to a Google Cloud REST API: token, send, parse, map errors.
 *
 * DESIGN
 * ------
 * Every gke provider request goes through cc_gke_api_call(): it gets a
 * token from the source (auth.h), sends the request with cc_http_send()
 * under the rate limit group of its API and quota group, parses the JSON
 * answer and turns a GCP error body into a struct cc_diag in the house
 * grammar: the caller's context, then the API's own message,
 *   cannot create backend service 'cc1-bs-x': Quota 'BACKEND_SERVICES'
 *   exceeded. Limit: 50.0 globally.
 * with the code from the error's reason:
 *   quotaExceeded, QUOTA_EXCEEDED           CC_QUOTA (never retried)
 *   rateLimitExceeded, RATE_LIMIT_EXCEEDED  CC_RATELIMIT
 *   alreadyExists, ALREADY_EXISTS           CC_CONFLICT
 *   conditionNotMet (412)                   CC_CONFLICT (reason tells it apart)
 *   notFound, NOT_FOUND                     CC_NOTFOUND
 *   resourceNotReady                        CC_TRANSIENT
 *   anything else                           by HTTP status (core/http.h)
 * The reason itself is passed on (struct cc_gke_result.reason) so callers
 * can act on it (412 -> refresh the fingerprint and retry).
 *
 * Retries: core/http retries 429, 5xx and transport errors (honouring
 * Retry-After).  It does not retry a 403, but Compute's legacy rate limit
 * answers 403 rateLimitExceeded, and 400 resourceNotReady means "an
 * operation on it is still running"; both are retried here with
 * exponential backoff and full jitter, on loop timers.  A 401 makes the
 * token source drop its token and the call is sent once more with a fresh
 * one.
 *
 * Rate limit groups (cc_gke_api_set_rate): compute reads, compute
 * mutations, compute operation polls, Certificate Manager, Cloud DNS and
 * token calls each have their own bucket, as GCP's quota groups do.
 *
 * Counting: every request handed to the HTTP client is counted per API as
 * a read (GET, and POSTs that only read: operations/wait) or a mutation,
 * for the apply summary and the benchmarks.  HTTP-level retries of one
 * request are not counted again.
 */
#ifndef CC_GKE_API_H
#define CC_GKE_API_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/backoff.h"
#include "core/err.h"
#include "core/http.h"
#include "providers/gke/auth.h"

enum cc_gke_api_id {
        CC_GKE_API_COMPUTE = 0,
        CC_GKE_API_CERTMGR,
        CC_GKE_API_DNS,
        CC_GKE_API__COUNT
};

#define CC_GKE_COMPUTE_ENDPOINT "https://compute.googleapis.com/compute/v1/"
#define CC_GKE_CERTMGR_ENDPOINT "https://certificatemanager.googleapis.com/"
#define CC_GKE_DNS_ENDPOINT     "https://dns.googleapis.com/dns/v1/"

/* rate limit groups */
#define CC_GKE_RL_COMPUTE_READ   "gke.compute.read"
#define CC_GKE_RL_COMPUTE_MUTATE "gke.compute.mutate"
#define CC_GKE_RL_COMPUTE_OP     "gke.compute.op"
#define CC_GKE_RL_CERTMGR        "gke.certmgr"
#define CC_GKE_RL_DNS            "gke.dns"
#define CC_GKE_RL_TOKEN          "gke.token"

/* Endpoint overrides: absolute http(s) URLs; a missing final '/' is added.
 * certmgr is the host root (paths start with "v1/"), as gcloud's override. */
struct cc_gke_endpoints {
        const char *compute; /* NULL = CC_GKE_COMPUTE_ENDPOINT */
        const char *certmgr; /* NULL = CC_GKE_CERTMGR_ENDPOINT */
        const char *dns;     /* NULL = CC_GKE_DNS_ENDPOINT */
};

struct cc_gke_api_counts {
        unsigned long read[CC_GKE_API__COUNT];
        unsigned long mutating[CC_GKE_API__COUNT];
};

struct cc_gke_api {
        struct cc_loop *loop;
        struct cc_http *http;
        struct cc_gke_auth *auth;
        char *base[CC_GKE_API__COUNT];
        struct cc_gke_api_counts counts;
        struct cc_retry_policy retry; /* for 403 rateLimitExceeded, 400 resourceNotReady */
        uint64_t rng;
};

/* The outcome handed to the callback.  body is the parsed JSON answer (also
 * for errors, when it parsed), owned by the call: the callback may take it
 * by setting res->body to NULL. */
struct cc_gke_result {
        cc_err rc;
        int status;       /* HTTP status, 0 if none */
        char reason[64];  /* GCP reason or status ("alreadyExists", "NOT_FOUND"), or "" */
        struct cc_diag d; /* for rc != CC_OK: "<what>: <API message>" */
        cJSON *body;
};

typedef void (*cc_gke_call_fn)(struct cc_gke_result *res, void *ud);

struct cc_gke_call_req {
        enum cc_gke_api_id api;
        const char *method; /* NULL = GET, or POST when body is set */
        const char *path;   /* relative to the API base, query included */
        const cJSON *body;
        bool read;         /* a POST that only reads (operations/wait) */
        bool retry_unsafe; /* a POST that carries a requestId */
        const char *group; /* NULL = chosen by api and read/mutate */
        const char *what;  /* error context: "cannot create url map 'x'" */
};

/* cc_gke_api_init -- a caller on http (loop) with auth (both outlive it).
 * retry may be NULL (6 attempts, 250 ms base, 8 s cap).  CC_OK, CC_NOMEM,
 * CC_INVAL (an endpoint that is not an http(s) URL). */
cc_err cc_gke_api_init(struct cc_gke_api *api, struct cc_loop *loop, struct cc_http *http,
                       struct cc_gke_auth *auth, const struct cc_gke_endpoints *ep,
                       const struct cc_retry_policy *retry, struct cc_diag *d);
void cc_gke_api_release(struct cc_gke_api *api);

/* cc_gke_api_set_rate -- requests per second and burst for a group. */
cc_err cc_gke_api_set_rate(struct cc_gke_api *api, const char *group, double rate, double burst);

/* cc_gke_api_call -- start a call.  CC_AGAIN: fn fires exactly once, later,
 * on the loop thread.  Anything else: fn never fires (d says why). */
cc_err cc_gke_api_call(struct cc_gke_api *api, const struct cc_gke_call_req *r, cc_gke_call_fn fn,
                       void *ud, struct cc_diag *d);

/* cc_gke_api_url -- base + path into out (for messages and tests). */
void cc_gke_api_url(const struct cc_gke_api *api, enum cc_gke_api_id id, const char *path,
                    char *out, size_t outsz);

/* --- helpers, exposed for tests ----------------------------------------- */

/* cc_gke_error_parse -- the reason and message of a GCP error body (v1
 * Compute/DNS shape or google.rpc.Status), written into reason/msg
 * (both "" when absent). */
void cc_gke_error_parse(const cJSON *body, char *reason, size_t reasonsz, char *msg, size_t msgsz);

/* cc_gke_error_code -- the cc_err for an HTTP status and a GCP reason. */
cc_err cc_gke_error_code(int status, const char *reason);

/* cc_gke_error_retryable -- true for the errors this layer retries itself
 * (403 rateLimitExceeded, 400 resourceNotReady). */
bool cc_gke_error_retryable(int status, const char *reason);

#endif
