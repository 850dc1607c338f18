/* workqueue.h -- the controller's work queue: deduplicated keys in two
 * priority lanes, per-key exponential backoff, an overall rate limit.
 *
 * DESIGN
 * ------
 * client-go's rate-limited work queue, reduced to one worker on one loop
 * and kept free of I/O and timers so that it can be tested alone:
 *   - two lanes: CC_WQ_HIGH for keys whose object changed (informer
 *     events), CC_WQ_LOW for keys looked at again with nothing known to
 *     have changed (the drift check, parked keys coming due).
 *     cc_wq_get() takes the oldest high key, and a low key only when no
 *     high key is queued; each lane is first in, first out;
 *   - a key is in the queue at most once, in one lane: adding a key that is
 *     queued in the same or a higher lane does nothing; adding it to the
 *     high lane while it waits in the low one moves it to the end of the
 *     high lane; adding a key that is being processed marks it dirty (with
 *     the higher of the lanes asked for), and cc_wq_done() queues it again
 *     in that lane (a change seen mid-pass is never lost, and one key is
 *     never processed twice at once);
 *   - cc_wq_add_after() parks a key until a due time (the caller's clock);
 *     cc_wq_promote() moves the due ones into the low lane and says when
 *     the next one is due, so the caller arms one timer; it looks only at
 *     parked keys;
 *   - cc_wq_retry_ms() counts a failure of the key and returns its backoff,
 *     base * 2^(failures-1) capped at cap; cc_wq_forget() resets it after
 *     a success;
 *   - the overall rate limit is a token bucket the caller reserves from
 *     before each pass (cc_wq_reserve).
 * Keys are copied.  Not thread-safe; everything runs on the loop thread.
 */
#ifndef CC_WORKQUEUE_H
#define CC_WORKQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/map.h"
#include "core/ratelimit.h"
#include "core/strv.h"

enum cc_wq_lane { CC_WQ_HIGH, CC_WQ_LOW, CC_WQ__LANES };

/* a lane's queue entry; stale when its key was moved or taken since */
struct cc_wq_entry {
        char *key; /* owned */
        uint64_t seq;
};

struct cc_wq_fifo {
        struct cc_wq_entry *v;
        size_t head, n, cap; /* v[head..n) may be queued */
};

struct cc_wq {
        struct cc_wq_fifo lanes[CC_WQ__LANES];
        struct cc_map states;  /* key -> struct cc_wq_state * */
        struct cc_strv parked; /* keys parked by cc_wq_add_after, once each */
        size_t nqueued;        /* keys queued in either lane */
        uint64_t seq;          /* of the last entry made */
        struct cc_bucket bucket;
        uint64_t base_ms, cap_ms;
};

/* cc_wq_init -- backoff base and cap (0 = 100 ms, 60 s); rate passes per
 * second with bursts of burst (rate <= 0 = unlimited). */
void cc_wq_init(struct cc_wq *q, uint64_t base_ms, uint64_t cap_ms, double rate, double burst,
                uint64_t now_ms);
void cc_wq_release(struct cc_wq *q);

/* cc_wq_add -- queue key in the high lane (see the rules above).  CC_OK or
 * CC_NOMEM. */
cc_err cc_wq_add(struct cc_wq *q, const char *key);
/* cc_wq_add_lane -- queue key in lane.  CC_OK or CC_NOMEM. */
cc_err cc_wq_add_lane(struct cc_wq *q, const char *key, enum cc_wq_lane lane);
/* cc_wq_add_after -- queue key at due_ms (an earlier due time wins; a
 * queued key stays queued).  CC_OK or CC_NOMEM. */
cc_err cc_wq_add_after(struct cc_wq *q, const char *key, uint64_t due_ms);
/* cc_wq_promote -- queue every parked key due at now_ms in the low lane;
 * *next_due is the earliest due time left, UINT64_MAX when none.  CC_OK or
 * CC_NOMEM. */
cc_err cc_wq_promote(struct cc_wq *q, uint64_t now_ms, uint64_t *next_due);
/* cc_wq_get -- take the first queued key of the high lane, else of the low
 * lane, into processing; false when the queue is empty.  *key stays valid
 * until cc_wq_done(key). */
bool cc_wq_get(struct cc_wq *q, const char **key);
/* cc_wq_done -- processing of key ended; a key added meanwhile is queued
 * again.  CC_OK or CC_NOMEM. */
cc_err cc_wq_done(struct cc_wq *q, const char *key);
/* cc_wq_retry_ms -- count a failure of key; its backoff before the retry. */
uint64_t cc_wq_retry_ms(struct cc_wq *q, const char *key);
/* cc_wq_forget -- the key succeeded: its failure count restarts. */
void cc_wq_forget(struct cc_wq *q, const char *key);
unsigned cc_wq_failures(const struct cc_wq *q, const char *key);
/* cc_wq_len -- keys queued (not parked, not processing); constant time. */
size_t cc_wq_len(const struct cc_wq *q);
/* cc_wq_lane_of -- the lane key is queued in; false when it is not queued. */
bool cc_wq_lane_of(const struct cc_wq *q, const char *key, enum cc_wq_lane *lane);
/* cc_wq_reserve -- take a token of the overall rate limit: milliseconds to
 * wait before the next pass may start. */
uint64_t cc_wq_reserve(struct cc_wq *q, uint64_t now_ms);

#endif
