/* test_workqueue.c -- the controller's work queue: dedup, the two lanes,
 * dirty keys re-queued after processing, parked keys, backoff, no leaks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cloudctl/workqueue.h"
#include "core/alloc.h"
#include "lib/testlib.h"

static void
test_dedup_and_order(void **state)
{
        struct cc_wq q;
        const char *k;

        (void)state;
        cc_wq_init(&q, 0, 0, 0, 0, 0);
        assert_int_equal(cc_wq_add(&q, "a/x"), CC_OK);
        assert_int_equal(cc_wq_add(&q, "b/y"), CC_OK);
        assert_int_equal(cc_wq_add(&q, "a/x"), CC_OK);
        assert_int_equal(cc_wq_len(&q), 2);
        assert_true(cc_wq_get(&q, &k));
        assert_string_equal(k, "a/x");
        assert_true(cc_wq_get(&q, &k));
        assert_string_equal(k, "b/y");
        assert_false(cc_wq_get(&q, &k));
        assert_int_equal(cc_wq_done(&q, "a/x"), CC_OK);
        assert_int_equal(cc_wq_done(&q, "b/y"), CC_OK);
        assert_false(cc_wq_get(&q, &k));
        cc_wq_release(&q);
}

static void
test_dirty_while_processing(void **state)
{
        struct cc_wq q;
        const char *k;

        (void)state;
        cc_wq_init(&q, 0, 0, 0, 0, 0);
        assert_int_equal(cc_wq_add(&q, "ns/gw"), CC_OK);
        assert_true(cc_wq_get(&q, &k));
        /* a change arrives mid-pass: not queued twice, not lost */
        assert_int_equal(cc_wq_add(&q, "ns/gw"), CC_OK);
        assert_int_equal(cc_wq_add(&q, "ns/gw"), CC_OK);
        assert_int_equal(cc_wq_len(&q), 0);
        assert_false(cc_wq_get(&q, &k));
        assert_int_equal(cc_wq_done(&q, "ns/gw"), CC_OK);
        assert_int_equal(cc_wq_len(&q), 1);
        assert_true(cc_wq_get(&q, &k));
        assert_string_equal(k, "ns/gw");
        assert_int_equal(cc_wq_done(&q, k), CC_OK);
        assert_false(cc_wq_get(&q, &k));
        cc_wq_release(&q);
}

static void
test_parked_and_backoff(void **state)
{
        struct cc_wq q;
        const char *k;
        uint64_t next = 0;

        (void)state;
        cc_wq_init(&q, 100, 1000, 0, 0, 0);
        assert_int_equal(cc_wq_retry_ms(&q, "k"), 100);
        assert_int_equal(cc_wq_retry_ms(&q, "k"), 200);
        assert_int_equal(cc_wq_retry_ms(&q, "k"), 400);
        assert_int_equal(cc_wq_retry_ms(&q, "k"), 800);
        assert_int_equal(cc_wq_retry_ms(&q, "k"), 1000);
        assert_int_equal(cc_wq_failures(&q, "k"), 5);
        cc_wq_forget(&q, "k");
        assert_int_equal(cc_wq_failures(&q, "k"), 0);
        assert_int_equal(cc_wq_retry_ms(&q, "k"), 100);

        assert_int_equal(cc_wq_add_after(&q, "k", 500), CC_OK);
        assert_int_equal(cc_wq_add_after(&q, "k", 300), CC_OK); /* the earlier wins */
        assert_int_equal(cc_wq_add_after(&q, "j", 900), CC_OK);
        assert_int_equal(cc_wq_promote(&q, 100, &next), CC_OK);
        assert_int_equal(next, 300);
        assert_false(cc_wq_get(&q, &k));
        assert_int_equal(cc_wq_promote(&q, 300, &next), CC_OK);
        assert_int_equal(next, 900);
        assert_true(cc_wq_get(&q, &k));
        assert_string_equal(k, "k");
        assert_int_equal(cc_wq_done(&q, k), CC_OK);
        assert_int_equal(cc_wq_promote(&q, 1000, &next), CC_OK);
        assert_int_equal(next, UINT64_MAX);
        assert_true(cc_wq_get(&q, &k));
        assert_string_equal(k, "j");
        assert_int_equal(cc_wq_done(&q, k), CC_OK);
        cc_wq_release(&q);
}

static void
test_many_keys(void **state)
{
        struct cc_wq q;
        const char *k;
        char key[32];
        int i, n = 0;

        (void)state;
        cc_wq_init(&q, 0, 0, 0, 0, 0);
        for (i = 0; i < 500; i++) {
                snprintf(key, sizeof(key), "ns/gw-%d", i % 300);
                assert_int_equal(cc_wq_add(&q, key), CC_OK);
        }
        while (cc_wq_get(&q, &k)) {
                snprintf(key, sizeof(key), "ns/gw-%d", n);
                assert_string_equal(k, key);
                assert_int_equal(cc_wq_done(&q, k), CC_OK);
                n++;
        }
        assert_int_equal(n, 300);
        cc_wq_release(&q);
}

/* high keys go first, each lane in order */
static void
test_lanes_order(void **state)
{
        struct cc_wq q;
        const char *k;
        enum cc_wq_lane lane;

        (void)state;
        cc_wq_init(&q, 0, 0, 0, 0, 0);
        assert_int_equal(cc_wq_add_lane(&q, "l1", CC_WQ_LOW), CC_OK);
        assert_int_equal(cc_wq_add_lane(&q, "l2", CC_WQ_LOW), CC_OK);
        assert_int_equal(cc_wq_add(&q, "h1"), CC_OK);
        assert_int_equal(cc_wq_add_lane(&q, "h2", CC_WQ_HIGH), CC_OK);
        assert_int_equal(cc_wq_len(&q), 4);
        assert_true(cc_wq_lane_of(&q, "l1", &lane));
        assert_int_equal(lane, CC_WQ_LOW);
        assert_true(cc_wq_get(&q, &k));
        assert_string_equal(k, "h1");
        assert_int_equal(cc_wq_done(&q, k), CC_OK);
        assert_true(cc_wq_get(&q, &k));
        assert_string_equal(k, "h2");
        assert_int_equal(cc_wq_done(&q, k), CC_OK);
        assert_true(cc_wq_get(&q, &k));
        assert_string_equal(k, "l1");
        /* a change arriving while the low lane drains goes next */
        assert_int_equal(cc_wq_add(&q, "h3"), CC_OK);
        assert_int_equal(cc_wq_done(&q, k), CC_OK);
        assert_true(cc_wq_get(&q, &k));
        assert_string_equal(k, "h3");
        assert_int_equal(cc_wq_done(&q, k), CC_OK);
        assert_true(cc_wq_get(&q, &k));
        assert_string_equal(k, "l2");
        assert_int_equal(cc_wq_done(&q, k), CC_OK);
        assert_false(cc_wq_get(&q, &k));
        assert_int_equal(cc_wq_len(&q), 0);
        assert_false(cc_wq_lane_of(&q, "l2", &lane));
        cc_wq_release(&q);
}

/* a key is queued once: a high add moves a low key up, a low add of a high
 * key does nothing, and it is processed once */
static void
test_lanes_dedup(void **state)
{
        struct cc_wq q;
        const char *k;
        enum cc_wq_lane lane;
        char key[32];
        int i, n = 0;

        (void)state;
        cc_wq_init(&q, 0, 0, 0, 0, 0);
        for (i = 0; i < 200; i++) {
                snprintf(key, sizeof(key), "gw/%d", i);
                assert_int_equal(cc_wq_add_lane(&q, key, CC_WQ_LOW), CC_OK);
        }
        assert_int_equal(cc_wq_add(&q, "gw/150"), CC_OK);
        assert_int_equal(cc_wq_add_lane(&q, "gw/150", CC_WQ_LOW), CC_OK);
        assert_int_equal(cc_wq_add(&q, "gw/150"), CC_OK);
        assert_int_equal(cc_wq_add(&q, "new"), CC_OK);
        assert_int_equal(cc_wq_add_lane(&q, "new", CC_WQ_LOW), CC_OK);
        assert_int_equal(cc_wq_len(&q), 201);
        assert_true(cc_wq_lane_of(&q, "gw/150", &lane));
        assert_int_equal(lane, CC_WQ_HIGH);
        assert_true(cc_wq_get(&q, &k));
        assert_string_equal(k, "gw/150");
        assert_int_equal(cc_wq_done(&q, k), CC_OK);
        assert_true(cc_wq_get(&q, &k));
        assert_string_equal(k, "new");
        assert_int_equal(cc_wq_done(&q, k), CC_OK);
        /* the rest in their order, gw/150 not again */
        for (i = 0; cc_wq_get(&q, &k); i++) {
                if (i == 150)
                        i++;
                snprintf(key, sizeof(key), "gw/%d", i);
                assert_string_equal(k, key);
                assert_int_equal(cc_wq_done(&q, k), CC_OK);
                n++;
        }
        assert_int_equal(n, 199);
        assert_int_equal(cc_wq_len(&q), 0);
        cc_wq_release(&q);
}

/* a key added while it is processed comes back once, in the highest lane
 * asked for */
static void
test_lanes_dirty(void **state)
{
        struct cc_wq q;
        const char *k;
        enum cc_wq_lane lane;

        (void)state;
        cc_wq_init(&q, 0, 0, 0, 0, 0);
        assert_int_equal(cc_wq_add_lane(&q, "a", CC_WQ_LOW), CC_OK);
        assert_int_equal(cc_wq_add_lane(&q, "b", CC_WQ_LOW), CC_OK);
        assert_true(cc_wq_get(&q, &k));
        assert_string_equal(k, "a");
        assert_int_equal(cc_wq_add_lane(&q, "a", CC_WQ_LOW), CC_OK);
        assert_int_equal(cc_wq_add(&q, "a"), CC_OK);
        assert_int_equal(cc_wq_add_lane(&q, "a", CC_WQ_LOW), CC_OK);
        assert_int_equal(cc_wq_len(&q), 1);
        assert_int_equal(cc_wq_done(&q, "a"), CC_OK);
        assert_int_equal(cc_wq_len(&q), 2);
        assert_true(cc_wq_lane_of(&q, "a", &lane));
        assert_int_equal(lane, CC_WQ_HIGH);
        assert_true(cc_wq_get(&q, &k));
        assert_string_equal(k, "a");
        /* only a low add this time: it comes back after b */
        assert_int_equal(cc_wq_add_lane(&q, "a", CC_WQ_LOW), CC_OK);
        assert_int_equal(cc_wq_done(&q, "a"), CC_OK);
        assert_true(cc_wq_get(&q, &k));
        assert_string_equal(k, "b");
        assert_int_equal(cc_wq_done(&q, k), CC_OK);
        assert_true(cc_wq_get(&q, &k));
        assert_string_equal(k, "a");
        assert_int_equal(cc_wq_done(&q, k), CC_OK);
        assert_false(cc_wq_get(&q, &k));
        cc_wq_release(&q);
}

/* parked keys come due into the low lane; a change still goes first */
static void
test_lanes_parked(void **state)
{
        struct cc_wq q;
        const char *k;
        enum cc_wq_lane lane;
        uint64_t next = 0;

        (void)state;
        cc_wq_init(&q, 100, 1000, 0, 0, 0);
        assert_int_equal(cc_wq_add_after(&q, "p", 50), CC_OK);
        assert_int_equal(cc_wq_promote(&q, 60, &next), CC_OK);
        assert_int_equal(next, UINT64_MAX);
        assert_true(cc_wq_lane_of(&q, "p", &lane));
        assert_int_equal(lane, CC_WQ_LOW);
        assert_int_equal(cc_wq_add(&q, "h"), CC_OK);
        assert_true(cc_wq_get(&q, &k));
        assert_string_equal(k, "h");
        assert_int_equal(cc_wq_done(&q, k), CC_OK);
        /* a parked key that changes meanwhile is queued high at once */
        assert_int_equal(cc_wq_add_after(&q, "h", 500), CC_OK);
        assert_int_equal(cc_wq_add(&q, "h"), CC_OK);
        assert_true(cc_wq_get(&q, &k));
        assert_string_equal(k, "h");
        assert_int_equal(cc_wq_done(&q, k), CC_OK);
        assert_int_equal(cc_wq_promote(&q, 1000, &next), CC_OK);
        assert_int_equal(next, UINT64_MAX);
        assert_true(cc_wq_get(&q, &k));
        assert_string_equal(k, "p");
        assert_int_equal(cc_wq_done(&q, k), CC_OK);
        assert_false(cc_wq_get(&q, &k));
        /* parked while processing: dirty, back in the low lane at done */
        assert_int_equal(cc_wq_add(&q, "x"), CC_OK);
        assert_true(cc_wq_get(&q, &k));
        assert_int_equal(cc_wq_add_after(&q, "x", 10), CC_OK);
        assert_int_equal(cc_wq_promote(&q, 1000, &next), CC_OK);
        assert_int_equal(cc_wq_len(&q), 0);
        assert_int_equal(cc_wq_done(&q, "x"), CC_OK);
        assert_true(cc_wq_lane_of(&q, "x", &lane));
        assert_int_equal(lane, CC_WQ_LOW);
        cc_wq_release(&q);
}

/* out of memory while promoting: nothing is lost, the next promote queues it */
static void
test_promote_nomem(void **state)
{
        struct cc_wq q;
        const char *k;
        uint64_t next = 7;

        (void)state;
        cc_wq_init(&q, 0, 0, 0, 0, 0);
        assert_int_equal(cc_wq_add_after(&q, "a", 10), CC_OK);
        assert_int_equal(cc_wq_add_after(&q, "b", 10), CC_OK);
        cc_alloc_fail_at(1, true);
        assert_int_equal(cc_wq_promote(&q, 20, &next), CC_NOMEM);
        cc_alloc_fail_at(0, false);
        assert_int_equal(next, 7);
        assert_int_equal(cc_wq_len(&q), 0);
        assert_int_equal(cc_wq_promote(&q, 20, &next), CC_OK);
        assert_int_equal(cc_wq_len(&q), 2);
        assert_true(cc_wq_get(&q, &k));
        assert_string_equal(k, "a");
        assert_int_equal(cc_wq_done(&q, k), CC_OK);
        assert_true(cc_wq_get(&q, &k));
        assert_string_equal(k, "b");
        assert_int_equal(cc_wq_done(&q, k), CC_OK);
        cc_wq_release(&q);
}

static void
test_rate_limit(void **state)
{
        struct cc_wq q;

        (void)state;
        cc_wq_init(&q, 0, 0, 10, 2, 0);
        assert_int_equal(cc_wq_reserve(&q, 0), 0);
        assert_int_equal(cc_wq_reserve(&q, 0), 0);
        assert_true(cc_wq_reserve(&q, 0) > 0);
        /* the limit holds whatever the lanes hold */
        assert_int_equal(cc_wq_add(&q, "h"), CC_OK);
        assert_int_equal(cc_wq_add_lane(&q, "l", CC_WQ_LOW), CC_OK);
        assert_true(cc_wq_reserve(&q, 10) > 0);
        assert_int_equal(cc_wq_reserve(&q, 1000), 0);
        cc_wq_release(&q);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dedup_and_order),
                cmocka_unit_test(test_dirty_while_processing),
                cmocka_unit_test(test_parked_and_backoff),
                cmocka_unit_test(test_many_keys),
                cmocka_unit_test(test_lanes_order),
                cmocka_unit_test(test_lanes_dedup),
                cmocka_unit_test(test_lanes_dirty),
                cmocka_unit_test(test_lanes_parked),
                cmocka_unit_test(test_promote_nomem),
                cmocka_unit_test(test_rate_limit),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
