/* compute.h -- mock Compute Engine v1: the state shared by its files.
 *
 * DESIGN
 * ------
 * compute.c        routing, the resource collections, references, lists,
 *                  and the module descriptor (create/reset/dump/load)
 * compute_ops.c    Operations: creation, lazy RUNNING -> DONE, get/wait/
 *                  list/delete, requestId idempotency, hold/fail rules
 * compute_admin.c  /_mock/compute/... admin endpoints, quotas, rate limits
 * compute_batch.c  POST /batch/compute/v1 (multipart/mixed)
 *
 * A resource is kept as the JSON the API returns, minus the fields that are
 * computed when it is read (an address's status and users, a backend
 * service's usedBy, a NEG's size, a managed certificate's provisioning
 * state).  Mutations take effect when the request is accepted, so a GET
 * right after an insert sees the resource; the Operation reaches DONE
 * after cfg.op_latency_ms (or K polls later with a hold rule).  An
 * operation that a fail rule makes fail never applies its mutation: the
 * resource is not created / changed / deleted, as with a real failed op.
 *
 * Everything runs under the server lock (see gcp.h).
 */
#ifndef CC_MOCK_GCP_COMPUTE_H
#define CC_MOCK_GCP_COMPUTE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "mocks/gcp/gcp.h"

enum cmp_coll { C_ADDR, C_HC, C_BS, C_UM, C_THP, C_THSP, C_FR, C_NEG, C_FW, C_CERT, C_NCOLL };

struct cmp_res {
        enum cmp_coll coll;
        char project[64];
        char zone[64]; /* "" for global resources */
        char name[64];
        int64_t created_ms;
        cJSON *obj;                 /* stored representation (see DESIGN) */
        cJSON *endpoints;           /* NEG: array of networkEndpoint objects */
        char addr_link[512];        /* forwarding rule: the reserved address it uses */
        char cert_forced[32];       /* managed cert: forced "ACTIVE"/"FAILED" state, "" = by time */
        char cert_domain_state[48]; /* domain state to report with a forced FAILED */
};

struct cmp_op {
        char project[64];
        char zone[64];
        char name[80];
        cJSON *obj;      /* the Operation as last rendered */
        int64_t done_ms; /* DONE from this time on ... */
        int hold;        /* ... once this many more polls have seen it RUNNING */
        bool done;
        int err_http; /* finish with an error: HTTP status, code, message */
        char err_code[64];
        char err_msg[512];
        char request_id[128];
};

/* an operation rule from /_mock/compute/ops/{hold,fail} */
struct cmp_op_rule {
        bool fail;         /* else hold */
        char op_type[64];  /* "" = any */
        char target[256];  /* fnmatch on the target's "projects/..." path; "" = any */
        int polls;         /* hold: stay RUNNING for this many polls */
        int http;          /* fail: httpErrorStatusCode */
        char code[64];     /* fail: error.errors[].code */
        char message[512]; /* fail: error.errors[].message */
        int times;         /* rule fires this many times (0 = unlimited) */
        int fired;
};

struct cmp_quota {
        char project[64];
        char metric[48];
        double limit;
};

struct cmp_rate {
        char project[64];
        bool mutate; /* else read */
        int per_second;
        int64_t window; /* current second */
        int used;
};

struct gcp_compute {
        struct gcp *g;
        struct cmp_res **res;
        size_t nres, res_cap;
        struct cmp_op **ops;
        size_t nops, ops_cap;
        struct cmp_op_rule rules[32];
        size_t nrules;
        struct cmp_quota quotas[64];
        size_t nquotas;
        struct cmp_rate rates[32];
        size_t nrates;
        unsigned next_ip; /* for allocated addresses */
        int wait_max_ms;  /* operations/wait deadline (default 120000) */
};

/* --- compute.c ----------------------------------------------------------- */

extern const char *const cmp_coll_names[C_NCOLL]; /* URL segment per collection */

/* cmp_res_link -- "projects/p/global/coll/name" (or zones/z/...) */
void cmp_res_path(const struct cmp_res *r, char *out, size_t n);
/* cmp_res_find -- by collection, project, zone ("" for global) and name */
struct cmp_res *cmp_res_find(struct gcp_compute *c, enum cmp_coll coll, const char *project,
                             const char *zone, const char *name);
/* cmp_cert_set_state -- force a MANAGED certificate ACTIVE or FAILED */
bool cmp_cert_force(struct gcp_compute *c, const char *project, const char *name, const char *state,
                    const char *domain_state);
/* cmp_res_dump / cmp_res_load -- one resource to and from its saved JSON */
cJSON *cmp_res_dump(const struct cmp_res *r);
struct cmp_res *cmp_res_load(const cJSON *saved);
void cmp_res_free(struct cmp_res *r);
/* cmp_list_reply -- a list response from items (consumed): applies the
 * request's filter, orderBy, maxResults and pageToken; path is the list's
 * "projects/..." path (for id and selfLink) */
void cmp_list_reply(const struct cc_mock_req *req, struct cc_mock_resp *resp, cJSON *items,
                    const char *kind, const char *path);

/* --- compute_ops.c ------------------------------------------------------- */

/* cmp_op_find_request -- the operation created earlier for requestId rid */
struct cmp_op *cmp_op_find_request(struct gcp_compute *c, const char *project, const char *rid);
/* cmp_op_start -- a new operation for a mutation of target (the resource,
 * with its selfLink and id).  Consults the hold/fail rules: returns the op
 * and sets *failed when a fail rule matched (the caller must then not apply
 * the mutation).  NULL on OOM. */
struct cmp_op *cmp_op_start(struct gcp_compute *c, const char *project, const char *zone,
                            const char *op_type, const char *target_link, const char *target_id,
                            const char *request_id, bool *failed);
/* cmp_op_reply -- the op's current JSON as a 200 response */
void cmp_op_reply(struct gcp_compute *c, struct cmp_op *op, struct cc_mock_resp *resp);
/* cmp_ops_handle -- projects/{p}/{global|zones/z}/operations[/{op}[/wait]] */
void cmp_ops_handle(struct gcp_compute *c, const char *project, const char *zone,
                    const char *opname, const char *verb, const struct cc_mock_req *req,
                    struct cc_mock_resp *resp);
/* cmp_ops_refresh -- make every op's status current */
void cmp_op_refresh(struct gcp_compute *c, struct cmp_op *op);
cJSON *cmp_op_dump(const struct cmp_op *op);
struct cmp_op *cmp_op_load(const cJSON *saved);
void cmp_op_free(struct cmp_op *op);

/* --- compute_admin.c ----------------------------------------------------- */

/* cmp_admin_handle -- /_mock/compute/... */
void cmp_admin_handle(struct gcp_compute *c, const struct cc_mock_req *req,
                      struct cc_mock_resp *resp);
/* cmp_quota_check -- false (and a 403 quotaExceeded in resp) when an insert
 * into coll would pass the project's quota; count = existing resources */
bool cmp_quota_check(struct gcp_compute *c, const char *project, enum cmp_coll coll, size_t count,
                     struct cc_mock_resp *resp);
/* cmp_rate_check -- false (and a 403 rateLimitExceeded) past the rate */
bool cmp_rate_check(struct gcp_compute *c, const char *project, bool mutate,
                    struct cc_mock_resp *resp);
cJSON *cmp_admin_dump(const struct gcp_compute *c);
void cmp_admin_load(struct gcp_compute *c, const cJSON *saved);

/* --- compute_batch.c ----------------------------------------------------- */

/* cmp_batch_handle -- POST /batch/compute/v1 */
void cmp_batch_handle(struct gcp_compute *c, const struct cc_mock_req *req,
                      struct cc_mock_resp *resp);

/* the module's own request handler (also used for batch parts when no
 * server runs, as in unit tests) */
void cmp_handle(struct gcp *g, void *state, const struct cc_mock_req *req,
                struct cc_mock_resp *resp);

#endif
