/* gcp.h -- mock-gcp: the state and the helpers its API modules share.
 *
 * DESIGN
 * ------
 * mock-gcp is one process serving four APIs on one port, each a module with
 * its own state and handler:
 *
 *   /compute/v1/..., /batch/compute/v1      compute.c  (+ filter.c)
 *   /dns/v1/...                              dns.c
 *   /v1/projects/...                         certmgr.c  (Certificate Manager)
 *   /token, /computeMetadata/v1/...          auth.c     (OAuth2 + metadata server)
 *
 * main.c parses options, starts the mocksrv server and routes by prefix.
 * Every handler runs with the server lock held (see mocks/common/mocksrv.h),
 * so module state needs no locks of its own; a handler that must wait (the
 * compute `operations/wait`) waits on gcp->cond with cc_mocksrv_mutex().
 *
 * Time is wall-clock (gcp_now_ms) so that operations and certificates
 * progress while nobody asks; state transitions are evaluated lazily when a
 * request looks at the object.
 *
 * Persistence: each module dumps its state to JSON and loads it back; main.c
 * writes the whole state to --state FILE (atomically) after every mutating
 * request and loads it at start.
 */
#ifndef CC_MOCK_GCP_H
#define CC_MOCK_GCP_H

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "mocks/common/mocksrv.h"

#define GCP_MAX_PROJECTS 16
#define GCP_COMPUTE_BASE "https://www.googleapis.com/compute/v1/"

struct gcp_compute; /* compute.c */
struct gcp_dns;     /* dns.c */
struct gcp_certmgr; /* certmgr.c */
struct gcp_auth;    /* auth.c */

struct gcp_project {
        char id[64];
        char number[24]; /* numeric project number, as a string */
};

struct gcp;

struct gcp_config {
        int op_latency_ms;             /* compute and certmgr operations: RUNNING -> DONE */
        int dns_change_latency_ms;     /* DNS change: pending -> done */
        int cert_latency_ms;           /* managed certificate: PROVISIONING -> ACTIVE once
                                          its DNS authorization records exist */
        int cert_timeout_ms;           /* ... or FAILED if they do not appear in time */
        bool require_auth;             /* API calls need a token this mock issued */
        bool strict_patch_fingerprint; /* PATCH without fingerprint -> 400 */
        bool check_references;         /* references must exist (default true) */
};

/* Cross-module hooks, set by the module that provides them in its create
 * (NULL when that module is not built in; callers then skip the check). */
struct gcp_hooks {
        /* dns: does a zone of the project hold rrset (name., type) with rrdata? */
        bool (*dns_has_record)(struct gcp *g, const char *project, const char *name,
                               const char *type, const char *rrdata);
        /* certmgr: does projects/{p}/locations/{l}/certificateMaps/{m} exist? */
        bool (*certmap_exists)(struct gcp *g, const char *project, const char *location,
                               const char *map);
        /* auth: with --require-auth, is the request authenticated?  Fills a 401
         * in the API's shape and returns false when not. */
        bool (*check)(struct gcp *g, const struct cc_mock_req *req, struct cc_mock_resp *resp,
                      bool rpc);
};

struct gcp {
        struct gcp_config cfg;
        struct gcp_project projects[GCP_MAX_PROJECTS];
        size_t nprojects;
        struct cc_mocksrv *srv;   /* set once the server runs */
        pthread_cond_t cond;      /* broadcast on every state change (ops, certs) */
        uint64_t next_id;         /* for numeric resource ids */
        unsigned long change_seq; /* bumped on every mutation (for --state saves) */

        const char *const *sa_keys; /* --sa-key files, for the auth module */
        size_t nsa_keys;

        void *state[8]; /* per module, indexed like gcp_modules[] */
        struct gcp_hooks hooks;
        /* module states by name, for the hooks' own use */
        struct gcp_compute *compute;
        struct gcp_dns *dns;
        struct gcp_certmgr *certmgr;
        struct gcp_auth *auth;
};

/* --- shared helpers (common.c) ------------------------------------------- */

int64_t gcp_now_ms(void);
/* RFC 3339 timestamps in each API's style:
 * compute "2024-06-26T11:42:22.006-07:00", certmgr "...56.123456789Z",
 * dns "2021-05-14T10:19:37.992Z" */
void gcp_time_compute(int64_t ms, char *out, size_t n);
void gcp_time_certmgr(int64_t ms, char *out, size_t n);
void gcp_time_dns(int64_t ms, char *out, size_t n);
/* gcp_new_id -- a fresh uint64 id as a decimal string (19 digits) */
void gcp_new_id(struct gcp *g, char *out, size_t n);
/* gcp_fingerprint -- base64 of 8 bytes derived from the resource JSON and a counter */
void gcp_fingerprint(struct gcp *g, const cJSON *resource, char *out, size_t n);

const struct gcp_project *gcp_project_find(const struct gcp *g, const char *id_or_number);

/* gcp_query -- a decoded query parameter from req->raw_query into out;
 * false when absent.  (Works for requests without a live connection too.) */
bool gcp_query(const struct cc_mock_req *req, const char *name, char *out, size_t n);

/* gcp_path_split -- split "/a/b/c" into at most max segments (pointers into
 * buf, which receives a copy of path).  Returns the count, or -1 if more. */
int gcp_path_split(const char *path, char *buf, size_t bufsz, char **segs, int max);

/* Errors in the Compute / Cloud DNS "v1" envelope:
 * {"error":{"code":404,"message":m,"errors":[{"message":m,"domain":"global","reason":r}]}} */
void gcp_error_v1(struct cc_mock_resp *resp, int status, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Errors as google.rpc.Status (Certificate Manager):
 * {"error":{"code":404,"message":m,"status":"NOT_FOUND"}} */
void gcp_error_rpc(struct cc_mock_resp *resp, int status, const char *rpc_status, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

/* gcp_parse_body -- the request body as a JSON object, or an error response
 * in the API's shape (v1 or rpc) and NULL.  Caller deletes the tree. */
cJSON *gcp_parse_body(const struct cc_mock_req *req, struct cc_mock_resp *resp, bool rpc);

/* gcp_unknown_project -- the real 404/403 shapes for a project not declared
 * with --project (compute/dns: v1 envelope; certmgr: rpc). */
void gcp_unknown_project(struct cc_mock_resp *resp, const char *project, bool rpc);

/* Small cJSON helpers the modules share.  gcp_jstr: the string member or
 * NULL; gcp_jget: the member or NULL; gcp_jset: add or replace a member
 * (takes v; NULL v does nothing); gcp_arr_insert: insert before position
 * idx (append past the end) -- cJSON_InsertItemInArray of Debian 12's
 * cJSON 1.7.15 drops items inserted in the middle, so the links are set here. */
const char *gcp_jstr(const cJSON *o, const char *key);
cJSON *gcp_jget(const cJSON *o, const char *key);
void gcp_jset(cJSON *o, const char *key, cJSON *v);
void gcp_arr_insert(cJSON *arr, int idx, cJSON *item);

/* gcp_changed -- note a mutation: bump change_seq and wake waiters. */
void gcp_changed(struct gcp *g);

/* --- modules ------------------------------------------------------------ */

/* An API module: a const descriptor in its own file, listed in modules.c.
 * main.c routes a request to the first module with a matching path prefix,
 * after the project and auth checks. */
struct gcp_module {
        const char *name;            /* "compute", "dns", "certmgr", "auth" */
        const char *const *prefixes; /* NULL-terminated path prefixes it serves */
        bool rpc_errors;             /* errors as google.rpc.Status (certmgr) */
        bool public_paths;           /* serves token/metadata: no --require-auth check */
        cc_err (*create)(struct gcp *g, void **state, struct cc_diag *d);
        void (*release)(void *state);
        void (*reset)(void *state);
        void (*handle)(struct gcp *g, void *state, const struct cc_mock_req *req,
                       struct cc_mock_resp *resp);
        cJSON *(*dump)(const void *state);               /* NULL on OOM */
        cc_err (*load)(void *state, const cJSON *saved); /* from dump's output */
};

extern const struct gcp_module *const gcp_modules[]; /* modules.c, NULL-terminated */

#endif
