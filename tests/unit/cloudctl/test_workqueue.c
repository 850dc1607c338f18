/* test_workqueue.c -- the controller's work queue: dedup, dirty keys
 * re-queued after processing, parked keys, backoff, no leaks. */
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

static void
test_rate_limit(void **state)
{
        struct cc_wq q;

        (void)state;
        cc_wq_init(&q, 0, 0, 10, 2, 0);
        assert_int_equal(cc_wq_reserve(&q, 0), 0);
        assert_int_equal(cc_wq_reserve(&q, 0), 0);
        assert_true(cc_wq_reserve(&q, 0) > 0);
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
                cmocka_unit_test(test_rate_limit),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
