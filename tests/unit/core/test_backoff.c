/* test_backoff.c -- backoff bounds, jitter range, Retry-After parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "core/backoff.h"

static const struct cc_retry_policy pol = {
        .max_attempts = 5, .base_ms = 100, .cap_ms = 1000, .retry_after_max_ms = 30000
};

static void
test_ceiling_doubles_up_to_cap(void **state)
{
        assert_int_equal(cc_backoff_ceiling_ms(&pol, 1), 100);
        assert_int_equal(cc_backoff_ceiling_ms(&pol, 2), 200);
        assert_int_equal(cc_backoff_ceiling_ms(&pol, 3), 400);
        assert_int_equal(cc_backoff_ceiling_ms(&pol, 4), 800);
        assert_int_equal(cc_backoff_ceiling_ms(&pol, 5), 1000);
        assert_int_equal(cc_backoff_ceiling_ms(&pol, 500), 1000);
        assert_int_equal(cc_backoff_ceiling_ms(&pol, 0), 100);
}

static void
test_full_jitter_range(void **state)
{
        uint64_t seed = 42, v, lo = UINT64_MAX, hi = 0;
        int i;

        /* the extremes of the random input map to the extremes of the range */
        assert_int_equal(cc_backoff_ms(&pol, 3, 0), 0);
        assert_int_equal(cc_backoff_ms(&pol, 3, 400), 400);
        assert_int_equal(cc_backoff_ms(&pol, 3, 401), 0);
        for (i = 0; i < 10000; i++) {
                v = cc_backoff_ms(&pol, 3, cc_rand_next(&seed));
                assert_true(v <= 400);
                if (v < lo)
                        lo = v;
                if (v > hi)
                        hi = v;
        }
        /* spread over the whole range, not clustered at the ceiling */
        assert_true(lo < 40);
        assert_true(hi > 360);
}

static void
test_retry_after_seconds(void **state)
{
        uint64_t ms = 7;

        assert_true(cc_retry_after_parse("1", 0, 30000, &ms));
        assert_int_equal(ms, 1000);
        assert_true(cc_retry_after_parse(" 120 ", 0, 300000, &ms));
        assert_int_equal(ms, 120000);
        /* clamped */
        assert_true(cc_retry_after_parse("3600", 0, 30000, &ms));
        assert_int_equal(ms, 30000);
        assert_true(cc_retry_after_parse("99999999999999999999999", 0, 30000, &ms));
        assert_int_equal(ms, 30000);
        assert_true(cc_retry_after_parse("0", 0, 30000, &ms));
        assert_int_equal(ms, 0);
        ms = 7;
        assert_false(cc_retry_after_parse("1.5", 0, 30000, &ms));
        assert_false(cc_retry_after_parse("-1", 0, 30000, &ms));
        assert_false(cc_retry_after_parse("", 0, 30000, &ms));
        assert_false(cc_retry_after_parse("soon", 0, 30000, &ms));
        assert_false(cc_retry_after_parse(NULL, 0, 30000, &ms));
        assert_int_equal(ms, 7);
}

static void
test_retry_after_http_date(void **state)
{
        /* 784111777 = Sun, 06 Nov 1994 08:49:37 GMT */
        const time_t t0 = 784111777;
        uint64_t ms = 0;

        assert_true(cc_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", t0 - 5, 30000, &ms));
        assert_int_equal(ms, 5000);
        assert_true(cc_retry_after_parse("Sunday, 06-Nov-94 08:49:37 GMT", t0 - 2, 30000, &ms));
        assert_int_equal(ms, 2000);
        assert_true(cc_retry_after_parse("Sun Nov  6 08:49:37 1994", t0 - 3, 30000, &ms));
        assert_int_equal(ms, 3000);
        /* in the past: go now; far future: clamped */
        assert_true(cc_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", t0 + 100, 30000, &ms));
        assert_int_equal(ms, 0);
        assert_true(cc_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", t0 - 3600, 30000, &ms));
        assert_int_equal(ms, 30000);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ceiling_doubles_up_to_cap),
                cmocka_unit_test(test_full_jitter_range),
                cmocka_unit_test(test_retry_after_seconds),
                cmocka_unit_test(test_retry_after_http_date),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
