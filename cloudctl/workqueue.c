/* workqueue.c -- deduplicated keys in two lanes, per-key backoff, an overall rate limit. */
#include "cloudctl/workqueue.h"

#include <string.h>

#include "core/alloc.h"
#include "core/backoff.h"
#include "core/banned.h"

struct cc_wq_state {
        char *key; /* owned: what cc_wq_get hands out */
        bool queued, processing, dirty, parked;
        bool listed;              /* in q->parked */
        enum cc_wq_lane lane;     /* while queued */
        enum cc_wq_lane dirty_as; /* while dirty: the highest lane asked for */
        uint64_t seq;             /* of its live lane entry, while queued */
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
        size_t i = 0, l;
        const char *k;
        void *v;

        while (cc_map_next(&q->states, &i, &k, &v))
                free_state(v);
        cc_map_release(&q->states);
        for (l = 0; l < CC_WQ__LANES; l++) {
                struct cc_wq_fifo *f = &q->lanes[l];

                for (i = 0; i < f->n; i++) /* consumed entries too */
                        cc_free(f->v[i].key);
                cc_free(f->v);
                memset(f, 0, sizeof(*f));
        }
        cc_strv_release(&q->parked);
        q->nqueued = 0;
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
        if (!s->queued && !s->processing && !s->parked && !s->listed && !s->failures)
                free_state(cc_map_del(&q->states, key));
}

/* compact a lane once its consumed head dominates */
static void
compact(struct cc_wq_fifo *f)
{
        size_t i;

        if (f->head < 64 || f->head * 2 < f->n)
                return;
        for (i = 0; i < f->head; i++)
                cc_free(f->v[i].key);
        memmove(f->v, f->v + f->head, (f->n - f->head) * sizeof(*f->v));
        f->n -= f->head;
        f->head = 0;
}

/* a new entry at the end of lane; an older entry of the key goes stale */
static cc_err
enqueue(struct cc_wq *q, const char *key, struct cc_wq_state *s, enum cc_wq_lane lane)
{
        struct cc_wq_fifo *f = &q->lanes[lane];
        char *copy;

        if (f->n == f->cap && CC_GROW(f->v, f->cap, f->n + 1))
                return CC_NOMEM;
        if (!(copy = cc_strdup(key)))
                return CC_NOMEM;
        f->v[f->n].key = copy;
        f->v[f->n].seq = ++q->seq;
        f->n++;
        if (!s->queued)
                q->nqueued++;
        s->queued = true;
        s->lane = lane;
        s->seq = q->seq;
        s->parked = false;
        return CC_OK;
}

cc_err
cc_wq_add_lane(struct cc_wq *q, const char *key, enum cc_wq_lane lane)
{
        struct cc_wq_state *s = state_of(q, key);

        if (!s)
                return CC_NOMEM;
        if (s->queued)
                return s->lane > lane ? enqueue(q, key, s, lane) : CC_OK;
        if (s->processing) {
                if (!s->dirty || lane < s->dirty_as)
                        s->dirty_as = lane;
                s->dirty = true;
                return CC_OK;
        }
        return enqueue(q, key, s, lane);
}

cc_err
cc_wq_add(struct cc_wq *q, const char *key)
{
        return cc_wq_add_lane(q, key, CC_WQ_HIGH);
}

cc_err
cc_wq_add_after(struct cc_wq *q, const char *key, uint64_t due_ms)
{
        struct cc_wq_state *s = state_of(q, key);

        if (!s)
                return CC_NOMEM;
        if (s->queued)
                return CC_OK;
        if (!s->listed) {
                if (cc_strv_push(&q->parked, key))
                        return CC_NOMEM;
                s->listed = true;
        }
        if (!s->parked || due_ms < s->due_ms)
                s->due_ms = due_ms;
        s->parked = true;
        return CC_OK;
}

cc_err
cc_wq_promote(struct cc_wq *q, uint64_t now_ms, uint64_t *next_due)
{
        uint64_t next = UINT64_MAX;
        cc_err rc = CC_OK;
        size_t i, kept = 0;

        /* q->parked is rewritten in place: the keys still parked stay */
        for (i = 0; i < q->parked.n; i++) {
                char *k = q->parked.v[i];
                struct cc_wq_state *s = cc_map_get(&q->states, k);

                if (s && s->parked && (s->due_ms > now_ms || rc)) {
                        if (s->due_ms < next)
                                next = s->due_ms;
                        q->parked.v[kept++] = k;
                        continue;
                }
                if (s && s->parked) {
                        s->parked = false;
                        if (s->processing) {
                                if (!s->dirty)
                                        s->dirty_as = CC_WQ_LOW;
                                s->dirty = true;
                        } else if (!s->queued && (rc = enqueue(q, k, s, CC_WQ_LOW))) {
                                s->parked = true;
                                q->parked.v[kept++] = k;
                                continue;
                        }
                }
                if (s) {
                        s->listed = false;
                        maybe_drop(q, k, s);
                }
                cc_free(k);
        }
        q->parked.n = kept;
        if (q->parked.v)
                q->parked.v[kept] = NULL;
        if (!rc)
                *next_due = next;
        return rc;
}

bool
cc_wq_get(struct cc_wq *q, const char **key)
{
        struct cc_wq_state *s;
        size_t l;

        for (l = 0; l < CC_WQ__LANES; l++) {
                struct cc_wq_fifo *f = &q->lanes[l];

                while (f->head < f->n) {
                        const struct cc_wq_entry *e = &f->v[f->head++];

                        s = cc_map_get(&q->states, e->key);
                        if (!s || !s->queued || s->lane != l || s->seq != e->seq)
                                continue; /* stale */
                        s->queued = false;
                        s->processing = true;
                        s->dirty = false;
                        q->nqueued--;
                        *key = s->key;
                        compact(f);
                        return true;
                }
                compact(f);
        }
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
                rc = enqueue(q, key, s, s->dirty_as);
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
        return q->nqueued;
}

bool
cc_wq_lane_of(const struct cc_wq *q, const char *key, enum cc_wq_lane *lane)
{
        const struct cc_wq_state *s = cc_map_get(&q->states, key);

        if (!s || !s->queued)
                return false;
        *lane = s->lane;
        return true;
}

uint64_t
cc_wq_reserve(struct cc_wq *q, uint64_t now_ms)
{
        return cc_bucket_reserve(&q->bucket, now_ms);
}
