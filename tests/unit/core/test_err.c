/* test_err.c -- error names and diagnostics; secrets wiped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "core/err.h"
#include "core/secret.h"

static void
test_diag(void **state)
{
        struct cc_diag d;
        char big[2000];

        cc_diag_clear(&d);
        assert_int_equal(d.code, CC_OK);
        assert_int_equal(cc_diag_set(&d, CC_QUOTA, 403, "cannot create url map '%s'", "um-1"),
                         CC_QUOTA);
        assert_int_equal(d.http_status, 403);
        cc_diag_prefix(&d, "gateway '%s'", "ns/gw");
        assert_string_equal(d.message, "gateway 'ns/gw': cannot create url map 'um-1'");
        assert_int_equal(d.code, CC_QUOTA);
        cc_diag_set_request_id(&d, "req-123");
        assert_string_equal(d.request_id, "req-123");

        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        cc_diag_set(&d, CC_INVAL, 0, "%s", big);
        assert_int_equal(strlen(d.message), CC_DIAG_MSG_MAX - 1);
        assert_int_equal(cc_diag_set(NULL, CC_AUTH, 0, "x"), CC_AUTH);
}

static void
test_names(void **state)
{
        assert_string_equal(cc_err_name(CC_OK), "ok");
        assert_string_equal(cc_err_name(CC_NOMEM), "nomem");
        assert_string_equal(cc_err_name(CC_QUOTA), "quota");
        assert_string_equal(cc_err_name((cc_err)999), "unknown");
}

static void
test_secret(void **state)
{
        struct cc_secret s = CC_SECRET_INIT;

        assert_true(cc_secret_empty(&s));
        assert_string_equal(cc_secret_str(&s), "");
        assert_int_equal(cc_secret_set_str(&s, "hunter2"), CC_OK);
        assert_string_equal(cc_secret_str(&s), "hunter2");
        assert_int_equal(s.len, 7);
        assert_int_equal(cc_secret_set(&s, "ab\0c", 4), CC_OK);
        assert_int_equal(s.len, 4);
        cc_secret_release(&s);
        assert_null(s.data);
        assert_true(cc_secret_empty(&s));
}

static void
test_wipe(void **state)
{
        char buf[16] = "sensitive";

        cc_wipe(buf, sizeof(buf));
        assert_int_equal(buf[0], 0);
        assert_int_equal(buf[8], 0);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_diag),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_secret),
                cmocka_unit_test(test_wipe),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
