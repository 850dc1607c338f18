/* test_log.c -- logfmt output, per-component levels, redaction. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "core/log.h"
#include "lib/testlib.h"

static int
teardown(void **state)
{
        cc_test_log_capture_stop();
        return 0;
}

static void
test_logfmt_line(void **state)
{
        cc_test_log_capture_start("info");
        cc_log_set_timestamps(false);
        CC_INFO("gke.urlmap", "url map created", CC_S("name", "cc1-um-x"), CC_I("n", -3),
                CC_S("quoted", "a b=\"c\"\n"), CC_S("empty", ""));
        assert_string_equal(cc_test_log_captured(),
                            "level=info comp=gke.urlmap msg=\"url map created\" name=cc1-um-x n=-3 "
                            "quoted=\"a b=\\\"c\\\"\\n\" empty=\"\"\n");
}

static void
test_timestamp_present_by_default(void **state)
{
        cc_test_log_capture_start("info");
        CC_WARN("x", "m");
        assert_true(strncmp(cc_test_log_captured(), "ts=20", 5) == 0);
        assert_non_null(strstr(cc_test_log_captured(), "Z level=warn comp=x msg=m"));
}

static void
test_levels_per_component(void **state)
{
        struct cc_diag d;

        cc_test_log_capture_start("warn,gke:debug,gke.dns:error,http:trace");
        assert_false(cc_log_enabled(CC_LOG_INFO, "core"));
        assert_true(cc_log_enabled(CC_LOG_WARN, "core"));
        assert_true(cc_log_enabled(CC_LOG_DEBUG, "gke"));
        assert_true(cc_log_enabled(CC_LOG_DEBUG, "gke.urlmap"));
        assert_false(cc_log_enabled(CC_LOG_TRACE, "gke.urlmap"));
        assert_false(cc_log_enabled(CC_LOG_WARN, "gke.dns"));
        assert_true(cc_log_enabled(CC_LOG_ERROR, "gke.dns"));
        assert_false(cc_log_enabled(CC_LOG_DEBUG, "gkex")); /* not a component prefix */
        assert_true(cc_log_enabled(CC_LOG_TRACE, "http"));

        assert_int_equal(cc_log_configure("gke:loud", &d), CC_INVAL);
        assert_non_null(strstr(d.message, "unknown log level 'loud'"));
        assert_int_equal(cc_log_configure("verbose", &d), CC_INVAL);
        /* a rejected spec keeps the previous configuration */
        assert_true(cc_log_enabled(CC_LOG_TRACE, "http"));
        assert_int_equal(cc_log_configure("*:off", &d), CC_OK);
        assert_false(cc_log_enabled(CC_LOG_ERROR, "http"));
}

static void
test_disabled_args_not_evaluated(void **state)
{
        int calls = 0;

        cc_test_log_capture_start("error");
        CC_DEBUG("x", "m", CC_I("n", ++calls));
        assert_int_equal(calls, 0);
        assert_string_equal(cc_test_log_captured(), "");
}

static void
test_redaction(void **state)
{
        const char *out;

        cc_test_log_capture_start("trace");
        cc_log_set_timestamps(false);
        CC_INFO("auth", "token fetched", CC_S("access_token", "ya29.CANARY-1"),
                CC_S("Authorization", "Bearer CANARY-2"), CC_S("assertion", "eyJCANARY-3"),
                CC_S("password", "CANARY-4"), CC_S("private_key", "CANARY-5"),
                CC_S("key", "CANARY-6"), CC_S("client_secret", "CANARY-7"),
                CC_S("expires_in", "3600"));
        out = cc_test_log_captured();
        assert_null(strstr(out, "CANARY"));
        assert_non_null(strstr(out, "access_token=[REDACTED]"));
        assert_non_null(strstr(out, "Authorization=[REDACTED]"));
        assert_non_null(strstr(out, "expires_in=3600"));
        assert_true(cc_log_is_secret_key("X-Goog-Api-Key"));
        assert_true(cc_log_is_secret_key("refresh_token"));
        assert_false(cc_log_is_secret_key("name"));
        assert_false(cc_log_is_secret_key("status"));
}

static void
test_long_line_truncated(void **state)
{
        static char big[20000];
        const char *out;

        memset(big, 'a', sizeof(big) - 1);
        cc_test_log_capture_start("info");
        CC_INFO("x", "m", CC_S("v", big));
        out = cc_test_log_captured();
        assert_true(strlen(out) < 8200);
        assert_non_null(strstr(out, " truncated=true\n"));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_logfmt_line, teardown),
                cmocka_unit_test_teardown(test_timestamp_present_by_default, teardown),
                cmocka_unit_test_teardown(test_levels_per_component, teardown),
                cmocka_unit_test_teardown(test_disabled_args_not_evaluated, teardown),
                cmocka_unit_test_teardown(test_redaction, teardown),
                cmocka_unit_test_teardown(test_long_line_truncated, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
