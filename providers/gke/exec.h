/* exec.h -- the gke walk executor: one plan step against the real APIs.
 *
 * DESIGN
 * ------
 * cc_gke_exec_step is a cc_walk_exec_fn (core/walk.h).  Per family:
 *
 * Compute   create: POST the desired body with a deterministic requestId
 *           (hash of key, body and a salt), retried by the HTTP layer even
 *           though it is a POST; wait the Operation with operations/{op}/wait
 *           (global or zonal, from its selfLink) until DONE; an operation
 *           error is the step's error; then GET the resource into observed
 *           (fingerprint, the address's IP).  update: the verb per kind
 *           (struct cc_gke_kind_ops.update): url maps PUT with the
 *           fingerprint, backend services PATCH with it, health checks and
 *           firewalls PATCH, proxies setUrlMap (legacy non-global path) /
 *           setCertificateMap / setQuicOverride / PATCH, forwarding rules
 *           setTarget / setLabels, addresses setLabels; 412 conditionNotMet
 *           re-reads the fingerprint and tries again (twice at most).
 *           delete: DELETE and wait; 404 means already gone.
 * CertMgr   create: POST ...?<kind>Id=<name>; the long-running operation is
 *           polled (GET) with backoff until done; patch with updateMask of
 *           the changed top-level fields; delete.
 * DNS       changes.create: additions, and for an update or delete the exact
 *           observed record set as the deletion; changes.get until done.
 *
 * REPLACE runs as delete, then create.  Idempotency: a create that meets
 * alreadyExists reads the resource; with our owner's mark (or, for DNS, the
 * same data) it is taken as created (a crash between the create and the
 * record of it); without, the step fails with a conflict.  A resource that
 * is observed but not ours (no CC_NODE_OWNED) is never updated or deleted.
 *
 * On success the node's observed body is the resource as the API returns
 * it (NULL after a delete) and the cache, when given, is updated likewise.
 */
#ifndef CC_GKE_EXEC_H
#define CC_GKE_EXEC_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "core/strv.h"
#include "core/walk.h"
#include "providers/gke/api.h"
#include "providers/gke/observe.h"

struct cc_gke_exec {
        struct cc_gke_api *api;
        struct cc_gke_cache *cache; /* may be NULL */
        struct cc_loop *loop;
        uint64_t poll_base_ms; /* LRO and DNS change polling, growing by half; 0 = 50 */
        uint64_t poll_cap_ms;  /* 0 = 2000 */
        unsigned max_polls;    /* per operation; 0 = 2000 */
        size_t running;        /* steps in flight */
        /* requestIds whose operation ended in an error: the API would answer
         * a repeat with the same failed operation, so a retry (a later pass)
         * salts the id until it is not in here.  Release with cc_gke_exec_release. */
        struct cc_strv failed_ids;
        /* mixed into every requestId: one value per run of the program.  A
         * requestId makes HTTP-level retries of an insert idempotent within
         * a run; across runs the deterministic name does that (a second
         * insert meets alreadyExists and reads the resource back), while a
         * requestId repeated from an earlier run would be answered with that
         * run's operation -- a failed one forever.  "" = none (tests). */
        char run_salt[32];
};

/* cc_gke_exec_new_run -- a fresh run_salt for this process (clock and pid). */
void cc_gke_exec_new_run(struct cc_gke_exec *x);
void cc_gke_exec_release(struct cc_gke_exec *x);

/* cc_gke_exec_step -- the walk executor; ud is a struct cc_gke_exec. */
cc_err cc_gke_exec_step(struct cc_walk *w, size_t i, void *ud, struct cc_diag *d);

/* cc_gke_request_id -- a UUID (36 chars + NUL into out) from SHA-256 of
 * key, salt and the body's serialization: the same inputs, the same id. */
void cc_gke_request_id(const char *key, const char *salt, const cJSON *body, char out[37]);

#endif
