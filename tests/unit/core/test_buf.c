/* test_buf.c -- the size-capped buffer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"

static void
test_append_and_printf(void **state)
{
        struct cc_buf b = CC_BUF_INIT(1024);

        assert_string_equal(cc_buf_str(&b), "");
        assert_int_equal(cc_buf_puts(&b, "hello"), CC_OK);
        assert_int_equal(cc_buf_printf(&b, " %s %d", "world", 42), CC_OK);
        assert_string_equal(cc_buf_str(&b), "hello world 42");
        assert_int_equal(b.len, 14);
        cc_buf_consume(&b, 6);
        assert_string_equal(cc_buf_str(&b), "world 42");
        cc_buf_reset(&b);
        assert_string_equal(cc_buf_str(&b), "");
        cc_buf_release(&b);
}

static void
test_cap_is_enforced_and_releases(void **state)
{
        struct cc_buf b = CC_BUF_INIT(8);

        assert_int_equal(cc_buf_puts(&b, "12345678"), CC_OK);
        assert_int_equal(b.len, 8);
        assert_int_equal(cc_buf_putc(&b, 'x'), CC_TOOBIG);
        /* a failed append leaves no half-built string behind */
        assert_null(b.data);
        assert_int_equal(b.len, 0);
        assert_int_equal(cc_buf_printf(&b, "%0100d", 1), CC_TOOBIG);
        assert_int_equal(cc_buf_append(&b, "x", (size_t)-1), CC_TOOBIG);
        cc_buf_release(&b);
}

static void
test_detach(void **state)
{
        struct cc_buf b = CC_BUF_INIT(0);
        size_t len = 99;
        char *s;

        s = cc_buf_detach(&b, &len);
        assert_non_null(s);
        assert_string_equal(s, "");
        assert_int_equal(len, 0);
        cc_free(s);
        cc_buf_puts(&b, "abc");
        s = cc_buf_detach(&b, &len);
        assert_string_equal(s, "abc");
        assert_int_equal(len, 3);
        assert_null(b.data);
        cc_free(s);
}

static void
test_growth_many_appends(void **state)
{
        struct cc_buf b = CC_BUF_INIT(1 << 20);
        int i;

        for (i = 0; i < 10000; i++)
                assert_int_equal(cc_buf_printf(&b, "%d,", i % 10), CC_OK);
        assert_int_equal(b.len, 20000);
        assert_true(b.cap >= b.len + 1);
        assert_int_equal(b.data[b.len], '\0');
        cc_buf_release(&b);
}

static void
test_alloc_failure(void **state)
{
        struct cc_buf b = CC_BUF_INIT(1 << 20);
        unsigned long n;
        cc_err rc;

        /* fail each allocation of a growing sequence of appends in turn */
        for (n = 1;; n++) {
                int i;

                cc_alloc_fail_at(n, false);
                rc = CC_OK;
                for (i = 0; i < 100 && rc == CC_OK; i++)
                        rc = cc_buf_puts(&b, "0123456789");
                cc_buf_release(&b);
                if (!cc_alloc_failed()) {
                        assert_int_equal(rc, CC_OK);
                        break;
                }
                assert_int_equal(rc, CC_NOMEM);
        }
        cc_alloc_fail_at(0, false);
        assert_true(n > 1);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_append_and_printf),
                cmocka_unit_test(test_cap_is_enforced_and_releases),
                cmocka_unit_test(test_detach),
                cmocka_unit_test(test_growth_many_appends),
                cmocka_unit_test(test_alloc_failure),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
