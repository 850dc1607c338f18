/* backoff.h -- retry delays: exponential backoff with full jitter, Retry-After.
 *
 * Attempt n (1-based) failed; the wait before attempt n+1 is uniform in
 * [0, min(cap, base * 2^(n-1))] ("full jitter"), so a crowd of clients that
 * failed together spreads out.  A server's Retry-After (delta seconds or an
 * HTTP-date) replaces the computed delay, bounded by retry_after_max_ms.
 * Everything here is pure; randomness is an argument.
 */
#ifndef CC_BACKOFF_H
#define CC_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct cc_retry_policy {
        unsigned max_attempts;       /* total attempts including the first; 1 = no retry */
        uint64_t base_ms;            /* first backoff ceiling */
        uint64_t cap_ms;             /* largest backoff ceiling */
        uint64_t retry_after_max_ms; /* Retry-After values are clamped to this */
};

#define CC_RETRY_MAX_ATTEMPTS_DEFAULT 4
#define CC_RETRY_BASE_MS_DEFAULT      250
#define CC_RETRY_CAP_MS_DEFAULT       30000
#define CC_RETRY_AFTER_MAX_MS_DEFAULT 60000

/* cc_backoff_ceiling_ms -- min(cap, base * 2^(attempt-1)); attempt >= 1. */
uint64_t cc_backoff_ceiling_ms(const struct cc_retry_policy *p, unsigned attempt);

/* cc_backoff_ms -- full jitter: rnd mapped into [0, ceiling]. */
uint64_t cc_backoff_ms(const struct cc_retry_policy *p, unsigned attempt, uint64_t rnd);

/* cc_retry_after_parse -- a Retry-After value ("120" or an HTTP-date in any
 * of the three RFC 9110 formats) as milliseconds from now, clamped to
 * [0, max_ms].  Returns false for a malformed value (*ms untouched). */
bool cc_retry_after_parse(const char *value, time_t now, uint64_t max_ms, uint64_t *ms);

/* cc_rand_next -- splitmix64 step; seed the state with anything. */
uint64_t cc_rand_next(uint64_t *state);

#endif
