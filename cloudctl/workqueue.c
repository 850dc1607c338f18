/* workqueue.c -- deduplicated keys, per-key backoff, an overall rate limit. */
#include "cloudctl/workqueue.h"

#include <string.h>

#include "core/alloc.h"
#include "core/backoff.h"
#include "core/banned.h"

struct cc_wq_state {
        char *key; /* owned: what cc_wq_get hands out */
        bool queued, processing, dirty, parked;
        uint64_t due_ms;
        unsigned failures;
};

void
cc_wq_init(struct cc_wq *q, uint64_t base_ms, uint64_t cap_ms, double rate, double burst,
           uint64_t now_ms)
{
        memset(q, 0, sizeof(*q));
        q->base_ms = base_ms ? base_ms : 100;
        q->cap_ms = cap_ms ? cap_ms : 60000;
        cc_bucket_init(&q->bucket, rate, burst < 1 ? 1 : burst, now_ms);
}

static void
free_state(struct cc_wq_state *s)
{
        if (s) {
                cc_free(s->key);
                cc_free(s);
        }
}

void
cc_wq_release(struct cc_wq *q)
{
        size_t i = 0;
        const char *k;
        void *v;

        while (cc_map_next(&q->states, &i, &k, &v))
                free_state(v);
        cc_map_release(&q->states);
        cc_strv_release(&q->fifo);
        q->head = 0;
}

static struct cc_wq_state *
state_of(struct cc_wq *q, const char *key)
{
        struct cc_wq_state *s = cc_map_get(&q->states, key);

        if (s)
                return s;
        if (!(s = cc_calloc(1, sizeof(*s))))
                return NULL;
        if (!(s->key = cc_strdup(key)) || cc_map_put(&q->states, key, s)) {
                free_state(s);
                return NULL;
        }
        return s;
}

/* an entry with nothing to remember goes */
static void
maybe_drop(struct cc_wq *q, const char *key, struct cc_wq_state *s)
{
        if (!s->queued && !s->processing && !s->parked && !s->failures)
                free_state(cc_map_del(&q->states, key));
}

/* compact the fifo once its consumed head dominates */
static void
compact(struct cc_wq *q)
{
        size_t i;

        if (q->head < 64 || q->head * 2 < q->fifo.n)
                return;
        for (i = 0; i < q->head; i++)
                cc_free(q->fifo.v[i]);
        memmove(q->fifo.v, q->fifo.v + q->head, (q->fifo.n - q->head) * sizeof(char *));
        q->fifo.n -= q->head;
        q->fifo.v[q->fifo.n] = NULL;
        q->head = 0;
}

static cc_err
enqueue(struct cc_wq *q, const char *key, struct cc_wq_state *s)
{
        if (cc_strv_push(&q->fifo, key))
                return CC_NOMEM;
        s->queued = true;
        s->parked = false;
        return CC_OK;
}

cc_err
cc_wq_add(struct cc_wq *q, const char *key)
{
        struct cc_wq_state *s = state_of(q, key);

        if (!s)
                return CC_NOMEM;
        if (s->queued)
                return CC_OK;
        if (s->processing) {
                s->dirty = true;
                return CC_OK;
        }
        return enqueue(q, key, s);
}

cc_err
cc_wq_add_after(struct cc_wq *q, const char *key, uint64_t due_ms)
{
        struct cc_wq_state *s = state_of(q, key);

        if (!s)
                return CC_NOMEM;
        if (s->queued)
                return CC_OK;
        if (!s->parked || due_ms < s->due_ms)
                s->due_ms = due_ms;
        s->parked = true;
        return CC_OK;
}

cc_err
cc_wq_promote(struct cc_wq *q, uint64_t now_ms, uint64_t *next_due)
{
        uint64_t next = UINT64_MAX;
        size_t i = 0;
        const char *k;
        void *v;

        while (cc_map_next(&q->states, &i, &k, &v)) {
                struct cc_wq_state *s = v;

                if (!s->parked)
                        continue;
                if (s->due_ms > now_ms) {
                        if (s->due_ms < next)
                                next = s->due_ms;
                        continue;
                }
                s->parked = false;
                if (s->processing) {
                        s->dirty = true;
                } else if (!s->queued && enqueue(q, k, s)) {
                        s->parked = true;
                        return CC_NOMEM;
                }
        }
        *next_due = next;
        return CC_OK;
}

bool
cc_wq_get(struct cc_wq *q, const char **key)
{
        struct cc_wq_state *s;
        const char *k;

        while (q->head < q->fifo.n) {
                k = q->fifo.v[q->head++];
                s = cc_map_get(&q->states, k);
                if (!s || !s->queued)
                        continue;
                s->queued = false;
                s->processing = true;
                s->dirty = false;
                *key = s->key;
                compact(q);
                return true;
        }
        compact(q);
        return false;
}

cc_err
cc_wq_done(struct cc_wq *q, const char *key)
{
        struct cc_wq_state *s = cc_map_get(&q->states, key);
        cc_err rc = CC_OK;

        if (!s)
                return CC_OK;
        s->processing = false;
        if (s->dirty) {
                s->dirty = false;
                rc = enqueue(q, key, s);
        }
        maybe_drop(q, key, s);
        return rc;
}

uint64_t
cc_wq_retry_ms(struct cc_wq *q, const char *key)
{
        struct cc_retry_policy p = { .base_ms = q->base_ms, .cap_ms = q->cap_ms };
        struct cc_wq_state *s = state_of(q, key);

        if (!s)
                return q->cap_ms;
        if (s->failures < 64)
                s->failures++;
        return cc_backoff_ceiling_ms(&p, s->failures);
}

void
cc_wq_forget(struct cc_wq *q, const char *key)
{
        struct cc_wq_state *s = cc_map_get(&q->states, key);

        if (!s)
                return;
        s->failures = 0;
        maybe_drop(q, key, s);
}

unsigned
cc_wq_failures(const struct cc_wq *q, const char *key)
{
        const struct cc_wq_state *s = cc_map_get(&q->states, key);

        return s ? s->failures : 0;
}

size_t
cc_wq_len(const struct cc_wq *q)
{
        size_t i = 0, n = 0;
        const char *k;
        void *v;

        while (cc_map_next(&q->states, &i, &k, &v))
                n += ((const struct cc_wq_state *)v)->queued;
        return n;
}

uint64_t
cc_wq_reserve(struct cc_wq *q, uint64_t now_ms)
{
        return cc_bucket_reserve(&q->bucket, now_ms);
}
