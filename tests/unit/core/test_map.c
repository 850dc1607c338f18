/* test_map.c -- string hash map and string vector. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/map.h"
#include "core/strv.h"

static void
test_put_get_del(void **state)
{
        struct cc_map m = CC_MAP_INIT;
        char key[32];
        size_t i, iter = 0, seen = 0;
        const char *k;
        void *v;

        for (i = 0; i < 5000; i++) {
                snprintf(key, sizeof(key), "projects/p/global/x/%zu", i);
                assert_int_equal(cc_map_put(&m, key, (void *)(i + 1)), CC_OK);
        }
        assert_int_equal(m.n, 5000);
        assert_ptr_equal(cc_map_get(&m, "projects/p/global/x/4999"), (void *)5000);
        assert_null(cc_map_get(&m, "projects/p/global/x/5000"));
        /* replace keeps the count */
        assert_int_equal(cc_map_put(&m, "projects/p/global/x/7", (void *)99), CC_OK);
        assert_int_equal(m.n, 5000);
        assert_ptr_equal(cc_map_get(&m, "projects/p/global/x/7"), (void *)99);
        for (i = 0; i < 5000; i += 2) {
                snprintf(key, sizeof(key), "projects/p/global/x/%zu", i);
                assert_non_null(cc_map_del(&m, key));
        }
        assert_int_equal(m.n, 2500);
        assert_null(cc_map_get(&m, "projects/p/global/x/0"));
        assert_non_null(cc_map_get(&m, "projects/p/global/x/1"));
        while (cc_map_next(&m, &iter, &k, &v))
                seen++;
        assert_int_equal(seen, 2500);
        /* tombstones are reused without unbounded growth */
        for (i = 0; i < 20000; i++) {
                assert_int_equal(cc_map_put(&m, "churn", (void *)1), CC_OK);
                cc_map_del(&m, "churn");
        }
        assert_true(m.cap <= 8192);
        cc_map_release(&m);
}

static void
test_map_alloc_failure(void **state)
{
        unsigned long n;

        for (n = 1;; n++) {
                struct cc_map m = CC_MAP_INIT;
                cc_err rc = CC_OK;
                int i;

                cc_alloc_fail_at(n, false);
                for (i = 0; i < 40 && !rc; i++) {
                        char key[16];

                        snprintf(key, sizeof(key), "k%d", i);
                        rc = cc_map_put(&m, key, &m);
                }
                cc_alloc_fail_at(0, false);
                if (rc) {
                        assert_int_equal(rc, CC_NOMEM);
                        /* what was inserted before the failure is still there */
                        assert_int_equal(m.n, (size_t)(i - 1));
                }
                cc_map_release(&m);
                if (!rc)
                        break;
        }
        assert_true(n > 3);
}

static void
test_strv(void **state)
{
        struct cc_strv sv = CC_STRV_INIT;

        assert_int_equal(cc_strv_push(&sv, "b"), CC_OK);
        assert_int_equal(cc_strv_pushf(&sv, "%s-%d", "a", 1), CC_OK);
        assert_true(cc_strv_contains(&sv, "a-1"));
        assert_false(cc_strv_contains(&sv, "c"));
        cc_strv_sort(&sv);
        assert_string_equal(sv.v[0], "a-1");
        assert_string_equal(sv.v[1], "b");
        assert_null(sv.v[2]);
        cc_strv_release(&sv);
        assert_int_equal(sv.n, 0);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_put_get_del),
                cmocka_unit_test(test_map_alloc_failure),
                cmocka_unit_test(test_strv),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
