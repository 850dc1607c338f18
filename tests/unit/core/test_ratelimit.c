/* test_ratelimit.c -- token buckets driven by a fake clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "core/ratelimit.h"

static uint64_t fake_now;

static uint64_t
fake_clock(void *ud)
{
        (void)ud;
        return fake_now;
}

static void
test_burst_then_rate(void **state)
{
        struct cc_bucket b;
        int i;

        cc_bucket_init(&b, 10.0, 3.0, 1000);
        /* a full bucket serves a burst without waiting */
        for (i = 0; i < 3; i++)
                assert_int_equal(cc_bucket_reserve(&b, 1000), 0);
        /* then one token per 100 ms; reservations queue up */
        assert_int_equal(cc_bucket_reserve(&b, 1000), 100);
        assert_int_equal(cc_bucket_reserve(&b, 1000), 200);
        assert_int_equal(cc_bucket_reserve(&b, 1000), 300);
        /* 300 ms later the debt of 3 is paid and the next waits one interval */
        assert_int_equal(cc_bucket_reserve(&b, 1300), 100);
}

static void
test_refill_is_capped_at_burst(void **state)
{
        struct cc_bucket b;

        cc_bucket_init(&b, 2.0, 2.0, 0);
        assert_int_equal(cc_bucket_reserve(&b, 0), 0);
        assert_int_equal(cc_bucket_reserve(&b, 0), 0);
        /* an hour idle refills only up to the burst */
        assert_int_equal(cc_bucket_reserve(&b, 3600000), 0);
        assert_int_equal(cc_bucket_reserve(&b, 3600000), 0);
        assert_int_equal(cc_bucket_reserve(&b, 3600000), 500);
}

static void
test_clock_going_back_refills_nothing(void **state)
{
        struct cc_bucket b;

        cc_bucket_init(&b, 1.0, 1.0, 5000);
        assert_int_equal(cc_bucket_reserve(&b, 5000), 0);
        assert_int_equal(cc_bucket_reserve(&b, 1000), 1000);
}

static void
test_groups(void **state)
{
        struct cc_ratelimit rl;
        int i;

        fake_now = 0;
        cc_ratelimit_init(&rl, fake_clock, NULL);
        assert_int_equal(cc_ratelimit_set(&rl, "compute", 5.0, 1.0), CC_OK);
        assert_int_equal(cc_ratelimit_set(&rl, "dns", 0, 0), CC_OK);
        assert_int_equal(cc_ratelimit_set(&rl, "", 1.0, 1.0), CC_INVAL);
        assert_int_equal(cc_ratelimit_set(&rl, "x", 1.0, 0.5), CC_INVAL);
        assert_int_equal(cc_ratelimit_reserve(&rl, "compute"), 0);
        assert_int_equal(cc_ratelimit_reserve(&rl, "compute"), 200);
        /* unconfigured, unlimited and NULL groups never wait */
        for (i = 0; i < 100; i++) {
                assert_int_equal(cc_ratelimit_reserve(&rl, "other"), 0);
                assert_int_equal(cc_ratelimit_reserve(&rl, "dns"), 0);
                assert_int_equal(cc_ratelimit_reserve(&rl, NULL), 0);
        }
        fake_now = 400;
        assert_int_equal(cc_ratelimit_reserve(&rl, "compute"), 0);
        /* reconfiguring refills */
        assert_int_equal(cc_ratelimit_set(&rl, "compute", 1.0, 2.0), CC_OK);
        assert_int_equal(cc_ratelimit_reserve(&rl, "compute"), 0);
        assert_int_equal(cc_ratelimit_reserve(&rl, "compute"), 0);
        assert_int_equal(cc_ratelimit_reserve(&rl, "compute"), 1000);
        cc_ratelimit_release(&rl);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_burst_then_rate),
                cmocka_unit_test(test_refill_is_capped_at_burst),
                cmocka_unit_test(test_clock_going_back_refills_nothing),
                cmocka_unit_test(test_groups),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
