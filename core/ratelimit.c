/* ratelimit.c -- token buckets per endpoint group. */
#include "core/ratelimit.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/banned.h"

#define GROUP_NAME_MAX 64

struct cc_ratelimit_group {
        char name[GROUP_NAME_MAX];
        struct cc_bucket bucket;
};

static uint64_t
mono_ms(void *ud)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
cc_bucket_init(struct cc_bucket *b, double rate, double burst, uint64_t now_ms)
{
        b->rate = rate;
        b->burst = burst < 1 ? 1 : burst;
        b->tokens = b->burst;
        b->last_ms = now_ms;
}

uint64_t
cc_bucket_reserve(struct cc_bucket *b, uint64_t now_ms)
{
        double wait;

        if (b->rate <= 0)
                return 0;
        /* a clock that goes backwards refills nothing */
        if (now_ms > b->last_ms) {
                b->tokens += (double)(now_ms - b->last_ms) * b->rate / 1000.0;
                if (b->tokens > b->burst)
                        b->tokens = b->burst;
                b->last_ms = now_ms;
        }
        b->tokens -= 1.0;
        if (b->tokens >= 0)
                return 0;
        wait = ceil(-b->tokens * 1000.0 / b->rate);
        return (uint64_t)wait;
}

void
cc_ratelimit_init(struct cc_ratelimit *rl, cc_clock_fn clock, void *clock_ud)
{
        memset(rl, 0, sizeof(*rl));
        rl->clock = clock ? clock : mono_ms;
        rl->clock_ud = clock_ud;
}

void
cc_ratelimit_release(struct cc_ratelimit *rl)
{
        CC_FREE(rl->groups);
        rl->ngroups = rl->cap = 0;
}

static struct cc_ratelimit_group *
find(struct cc_ratelimit *rl, const char *group)
{
        size_t i;

        for (i = 0; group && i < rl->ngroups; i++)
                if (!strcmp(rl->groups[i].name, group))
                        return &rl->groups[i];
        return NULL;
}

cc_err
cc_ratelimit_set(struct cc_ratelimit *rl, const char *group, double rate, double burst)
{
        struct cc_ratelimit_group *g;
        size_t n;
        cc_err rc = CC_OK;

        if (!group || !*group || (n = strlen(group)) >= GROUP_NAME_MAX || (rate > 0 && burst < 1)) {
                rc = CC_INVAL;
                goto out;
        }
        g = find(rl, group);
        if (!g) {
                rc = CC_GROW(rl->groups, rl->cap, rl->ngroups + 1);
                if (rc)
                        goto out;
                g = &rl->groups[rl->ngroups++];
                memcpy(g->name, group, n + 1);
        }
        cc_bucket_init(&g->bucket, rate, burst, rl->clock(rl->clock_ud));
out:
        return rc;
}

uint64_t
cc_ratelimit_reserve(struct cc_ratelimit *rl, const char *group)
{
        struct cc_ratelimit_group *g = find(rl, group);

        if (!g)
                return 0;
        return cc_bucket_reserve(&g->bucket, rl->clock(rl->clock_ud));
}
