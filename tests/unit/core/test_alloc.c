/* test_alloc.c -- allocation wrappers, the failure hook, the checked grow. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"

static void
test_fail_nth(void **state)
{
        void *a, *b, *c;

        cc_alloc_fail_at(2, false);
        a = cc_malloc(10);
        b = cc_malloc(10);
        c = cc_malloc(10);
        assert_non_null(a);
        assert_null(b);
        assert_non_null(c);
        assert_true(cc_alloc_failed());
        assert_int_equal(cc_alloc_count(), 3);
        cc_free(a);
        cc_free(c);
        cc_alloc_fail_at(0, false);
}

static void
test_fail_persistent(void **state)
{
        void *a, *b, *c;

        cc_alloc_fail_at(2, true);
        a = cc_malloc(10);
        b = cc_calloc(1, 10);
        c = cc_strdup("x");
        assert_non_null(a);
        assert_null(b);
        assert_null(c);
        cc_free(a);
        cc_alloc_fail_at(0, false);
        assert_false(cc_alloc_failed());
}

static void
test_strdup_family(void **state)
{
        char *s = cc_strndup("abcdef", 3);

        assert_string_equal(s, "abc");
        cc_free(s);
        s = cc_strndup("ab", 10);
        assert_string_equal(s, "ab");
        cc_free(s);
        assert_null(cc_strdup(NULL));
        s = cc_memdup("xyz", 4);
        assert_string_equal(s, "xyz");
        cc_free(s);
}

static void
test_grow(void **state)
{
        int *arr = NULL;
        size_t cap = 0;
        size_t i;

        for (i = 0; i < 1000; i++) {
                assert_int_equal(CC_GROW(arr, cap, i + 1), CC_OK);
                arr[i] = (int)i;
        }
        assert_true(cap >= 1000);
        assert_int_equal(arr[999], 999);
        cc_free(arr);
}

static void
test_grow_overflow_and_failure(void **state)
{
        char *arr = NULL;
        size_t cap = 0;

        assert_int_equal(cc_grow((void **)&arr, &cap, SIZE_MAX / 2 + 2, 4), CC_NOMEM);
        assert_null(arr);
        assert_int_equal(cap, 0);
        assert_int_equal(cc_grow((void **)&arr, &cap, SIZE_MAX, 1), CC_NOMEM);

        assert_int_equal(cc_grow((void **)&arr, &cap, 4, 1), CC_OK);
        memcpy(arr, "abc", 4);
        cc_alloc_fail_at(1, false);
        assert_int_equal(cc_grow((void **)&arr, &cap, 100, 1), CC_NOMEM);
        cc_alloc_fail_at(0, false);
        /* the old array is intact after a failed grow */
        assert_int_equal(cap, 8);
        assert_string_equal(arr, "abc");
        cc_free(arr);

        assert_true(cc_mul_overflows(SIZE_MAX, 2, NULL));
        assert_false(cc_mul_overflows(3, 4, NULL));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fail_nth),
                cmocka_unit_test(test_fail_persistent),
                cmocka_unit_test(test_strdup_family),
                cmocka_unit_test(test_grow),
                cmocka_unit_test(test_grow_overflow_and_failure),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
