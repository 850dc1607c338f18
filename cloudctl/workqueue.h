/* workqueue.h -- the controller's work queue: deduplicated keys, per-key
 * exponential backoff, an overall rate limit.
 *
 * DESIGN
 * ------
 * client-go's rate-limited work queue, reduced to one worker on one loop
 * and kept free of I/O and timers so that it can be tested alone:
 *   - a key is in the queue at most once; adding a key that is queued does
 *     nothing; adding a key that is being processed marks it dirty, and
 *     cc_wq_done() queues it again (a change seen mid-pass is never lost,
 *     and one key is never processed twice at once);
 *   - cc_wq_add_after() parks a key until a due time (the caller's clock);
 *     cc_wq_promote() moves the due ones into the queue and says when the
 *     next one is due, so the caller arms one timer;
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

struct cc_wq {
        struct cc_strv fifo;  /* queued keys in order */
        size_t head;          /* fifo[head..n) are queued */
        struct cc_map states; /* key -> struct cc_wq_state * */
        struct cc_bucket bucket;
        uint64_t base_ms, cap_ms;
};

/* cc_wq_init -- backoff base and cap (0 = 100 ms, 60 s); rate passes per
 * second with bursts of burst (rate <= 0 = unlimited). */
void cc_wq_init(struct cc_wq *q, uint64_t base_ms, uint64_t cap_ms, double rate, double burst,
                uint64_t now_ms);
void cc_wq_release(struct cc_wq *q);

/* cc_wq_add -- queue key (see the rules above).  CC_OK or CC_NOMEM. */
cc_err cc_wq_add(struct cc_wq *q, const char *key);
/* cc_wq_add_after -- queue key at due_ms (an earlier due time wins; a
 * queued key stays queued).  CC_OK or CC_NOMEM. */
cc_err cc_wq_add_after(struct cc_wq *q, const char *key, uint64_t due_ms);
/* cc_wq_promote -- queue every parked key due at now_ms; *next_due is the
 * earliest due time left, UINT64_MAX when none.  CC_OK or CC_NOMEM. */
cc_err cc_wq_promote(struct cc_wq *q, uint64_t now_ms, uint64_t *next_due);
/* cc_wq_get -- take the first queued key into processing; false when the
 * queue is empty.  *key stays valid until cc_wq_done(key). */
bool cc_wq_get(struct cc_wq *q, const char **key);
/* cc_wq_done -- processing of key ended; a key added meanwhile is queued
 * again.  CC_OK or CC_NOMEM. */
cc_err cc_wq_done(struct cc_wq *q, const char *key);
/* cc_wq_retry_ms -- count a failure of key; its backoff before the retry. */
uint64_t cc_wq_retry_ms(struct cc_wq *q, const char *key);
/* cc_wq_forget -- the key succeeded: its failure count restarts. */
void cc_wq_forget(struct cc_wq *q, const char *key);
unsigned cc_wq_failures(const struct cc_wq *q, const char *key);
/* cc_wq_len -- keys queued (not parked, not processing). */
size_t cc_wq_len(const struct cc_wq *q);
/* cc_wq_reserve -- take a token of the overall rate limit: milliseconds to
 * wait before the next pass may start. */
uint64_t cc_wq_reserve(struct cc_wq *q, uint64_t now_ms);

#endif
