/* ratelimit.h -- token buckets per endpoint group, with an injectable clock.
 *
 * A bucket holds up to `burst` tokens and refills at `rate` tokens per
 * second.  Taking is a reservation: cc_bucket_reserve() always takes a token
 * and returns how long the caller must wait before using it (0 = now).  The
 * balance may go negative, so waiters are served in the order they asked,
 * each with its own wait, and nobody polls.  A canceled reservation is not
 * refunded (it only makes later callers wait a little longer).
 *
 * struct cc_ratelimit maps group names ("compute", "kube:cluster-a") to
 * buckets.  A group with no configured bucket is unlimited.  The clock is a
 * function returning monotonic milliseconds, so tests can drive time.
 * Not thread-safe: it lives on the loop thread.
 */
#ifndef CC_RATELIMIT_H
#define CC_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef uint64_t (*cc_clock_fn)(void *ud); /* monotonic milliseconds */

struct cc_bucket {
        double rate;   /* tokens per second; <= 0 means unlimited */
        double burst;  /* capacity, at least 1 */
        double tokens; /* may be negative: outstanding reservations */
        uint64_t last_ms;
};

/* cc_bucket_init -- a full bucket. */
void cc_bucket_init(struct cc_bucket *b, double rate, double burst, uint64_t now_ms);

/* cc_bucket_reserve -- take one token; returns the milliseconds to wait
 * before it may be used (0 = immediately). */
uint64_t cc_bucket_reserve(struct cc_bucket *b, uint64_t now_ms);

struct cc_ratelimit_group;

struct cc_ratelimit {
        struct cc_ratelimit_group *groups;
        size_t ngroups, cap;
        cc_clock_fn clock;
        void *clock_ud;
};

/* cc_ratelimit_init -- no groups; clock NULL uses the monotonic clock. */
void cc_ratelimit_init(struct cc_ratelimit *rl, cc_clock_fn clock, void *clock_ud);
void cc_ratelimit_release(struct cc_ratelimit *rl);

/* cc_ratelimit_set -- configure (or reconfigure, refilling it) the bucket of
 * a group.  rate <= 0 makes the group unlimited.  Returns CC_OK, CC_INVAL
 * (empty or over-long name, burst < 1 with rate > 0) or CC_NOMEM. */
cc_err cc_ratelimit_set(struct cc_ratelimit *rl, const char *group, double rate, double burst);

/* cc_ratelimit_reserve -- reserve a token of group (NULL or unknown =
 * unlimited); returns the milliseconds to wait. */
uint64_t cc_ratelimit_reserve(struct cc_ratelimit *rl, const char *group);

#endif
