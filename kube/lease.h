/* lease.h -- leader election on a coordination.k8s.io/v1 Lease (client-go's algorithm).
 *
 * Every retry period a candidate runs tryAcquireOrRenew:
 *   1. fast path: while leading and the lease is valid locally, PUT the
 *      known record with a new renewTime (the RV read last time);
 *   2. otherwise GET the Lease; on 404 create it (holder = us);
 *   3. if another holder is set and the lease is valid, give up this round.
 *      Validity is judged on the local clock: the time this candidate last
 *      saw the record change, plus leaseDurationSeconds (clock skew between
 *      candidates does not matter);
 *   4. else PUT with the RV just read: same holder keeps acquireTime and
 *      leaseTransitions; a new holder sets acquireTime = now and
 *      leaseTransitions + 1.  A 409 means another candidate won the race.
 * A leader that has not renewed successfully for renew_deadline steps
 * down (on_stopped_leading) and becomes a candidate again.  Since
 * renew_deadline < lease_duration, it stops before anyone else may take
 * over.  Stopping a leader releases the lease (holderIdentity "",
 * leaseDurationSeconds 1, transitions kept) so a successor takes over at
 * its next retry instead of waiting out the duration.
 *
 * Callbacks fire on the loop thread.  on_started_leading and
 * on_stopped_leading alternate, starting with started.
 *
 * The decision logic is exposed (record, observe, decide, build) so that
 * the state machine can be tested with an injected clock.
 */
#ifndef CC_KUBE_LEASE_H
#define CC_KUBE_LEASE_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/err.h"
#include "kube/client.h"

struct cc_kube_lease;

struct cc_kube_lease_opts {
        const char *ns;             /* NULL = the client's namespace */
        const char *name;           /* required */
        const char *identity;       /* required, unique per candidate */
        uint64_t lease_duration_ms; /* 0 = 15000; whole seconds are written */
        uint64_t renew_deadline_ms; /* 0 = 10000; must be < lease_duration_ms */
        uint64_t retry_period_ms;   /* 0 = 2000; must be < renew_deadline_ms */
        void (*on_started_leading)(void *ud);
        void (*on_stopped_leading)(void *ud);
        void (*on_new_leader)(const char *identity, void *ud); /* optional, "" = none */
        void *ud;
        /* clocks (tests): monotonic ms (NULL = the loop's) and wall clock
         * in microseconds for the record's MicroTime fields (NULL = real) */
        uint64_t (*now_ms)(void *clock_ud);
        int64_t (*wall_us)(void *clock_ud);
        void *clock_ud;
};

/* cc_kube_lease_new -- a candidate through k (borrowed; stop the elector
 * before freeing k).  Strings are copied.  CC_OK, CC_INVAL, CC_NOMEM. */
cc_err cc_kube_lease_new(struct cc_kube_client *k, const struct cc_kube_lease_opts *o,
                         struct cc_kube_lease **out, struct cc_diag *d);

/* cc_kube_lease_start -- try at once, then every retry period.  CC_OK or
 * CC_INVAL (started already) / CC_NOMEM. */
cc_err cc_kube_lease_start(struct cc_kube_lease *le, struct cc_diag *d);

/* cc_kube_lease_stop -- stop trying; a leader releases the lease (one PUT
 * that completes on the loop), then on_stopped_leading fires.  Idempotent.
 * A loop stop stops the elector too, but the loop refuses new requests by
 * then, so nothing is released: a program that wants a quick hand-over
 * stops the elector first and stops the loop once it has stepped down. */
void cc_kube_lease_stop(struct cc_kube_lease *le);

/* cc_kube_lease_free -- stop and free; memory held by a request still
 * completing goes when it does.  NULL-safe. */
void cc_kube_lease_free(struct cc_kube_lease *le);

bool cc_kube_lease_is_leader(const struct cc_kube_lease *le);

/* --- the state machine (exposed for tests) --------------------------------- */

#define CC_KUBE_LEASE_STR 256

struct cc_kube_lease_record {
        char holder[CC_KUBE_LEASE_STR];
        int64_t duration_s;
        char acquire_time[40], renew_time[40];
        int64_t transitions;
        char rv[64];
};

struct cc_kube_lease_view {
        bool exists;                        /* a Lease object was seen */
        struct cc_kube_lease_record record; /* last observed */
        uint64_t observed_ms;               /* local time it was last seen to change */
};

enum cc_kube_lease_step {
        CC_KUBE_LEASE_CREATE,  /* no Lease: POST one */
        CC_KUBE_LEASE_ACQUIRE, /* free or expired: PUT with us as the new holder */
        CC_KUBE_LEASE_RENEW,   /* ours: PUT a new renewTime */
        CC_KUBE_LEASE_WAIT,    /* held by another, still valid */
};

/* cc_kube_lease_record_parse -- a Lease object into rec.  CC_INVAL when it
 * is not one. */
cc_err cc_kube_lease_record_parse(const cJSON *lease, struct cc_kube_lease_record *rec);

/* cc_kube_lease_observe -- note a GET result (rec NULL = 404) at now_ms:
 * observed_ms moves only when the record differs from the last one. */
void cc_kube_lease_observe(struct cc_kube_lease_view *v, const struct cc_kube_lease_record *rec,
                           uint64_t now_ms);

/* cc_kube_lease_decide -- the step of tryAcquireOrRenew after a GET. */
enum cc_kube_lease_step cc_kube_lease_decide(const struct cc_kube_lease_view *v,
                                             const char *identity, uint64_t now_ms);

/* cc_kube_lease_valid -- the observed lease has not expired at now_ms. */
bool cc_kube_lease_valid(const struct cc_kube_lease_view *v, uint64_t now_ms);

/* cc_kube_lease_build -- the Lease object to write for step (CREATE,
 * ACQUIRE, RENEW), or the release record when release is true.  now is a
 * MicroTime string.  NULL on allocation failure. */
cJSON *cc_kube_lease_build(const struct cc_kube_lease_view *v, enum cc_kube_lease_step step,
                           bool release, const char *ns, const char *name, const char *identity,
                           int64_t duration_s, const char *now);

/* cc_kube_micro_time -- wall microseconds as "2025-01-01T00:00:00.000000Z". */
void cc_kube_micro_time(int64_t wall_us, char *buf, size_t size);

#endif
