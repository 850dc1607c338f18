/* test_gcp_filter.c -- Compute list filters: the forms gcloud sends, AIP-160, errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "mocks/gcp/filter.h"

static const char *const doc_lb =
    "{\"name\":\"lb-ip\",\"status\":\"RESERVED\",\"address\":\"34.120.0.10\","
    "\"description\":\"the foo address\",\"loadBalancingScheme\":\"EXTERNAL_MANAGED\","
    "\"labels\":{\"env\":\"prod\"},\"httpHealthCheck\":{\"port\":8080},"
    "\"users\":[\"https://x/forwardingRules/fr1\",\"https://x/forwardingRules/fr2\"],"
    "\"enableCDN\":false,\"timeoutSec\":30}";

/* does filter f match the JSON document? -1 when it does not parse */
static int
match(const char *f, const char *doc)
{
        struct gcp_filter *flt = NULL;
        struct cc_diag d;
        cJSON *o = cJSON_Parse(doc);
        int r;

        assert_non_null(o);
        if (gcp_filter_parse(f, &flt, &d) != CC_OK) {
                cJSON_Delete(o);
                return -1;
        }
        r = gcp_filter_match(flt, o) ? 1 : 0;
        gcp_filter_free(flt);
        cJSON_Delete(o);
        return r;
}

static void
gcloud_forms(void **state)
{
        (void)state;
        /* name=lb-ip */
        assert_int_equal(match("name eq \".*\\blb\\-ip\\b.*\"", doc_lb), 1);
        assert_int_equal(match("name eq \".*\\blb\\-i\\b.*\"", doc_lb), 0);
        /* name~^lb-.* */
        assert_int_equal(match("name eq \".*(^lb-.*).*\"", doc_lb), 1);
        assert_int_equal(match("name eq \".*(^xb-.*).*\"", doc_lb), 0);
        /* name!=p1, NOT name=p1 */
        assert_int_equal(match("name ne \".*\\bp1\\b.*\"", doc_lb), 1);
        assert_int_equal(match("name ne \".*\\blb\\-ip\\b.*\"", doc_lb), 0);
        /* name=lb-ip AND status=RESERVED, juxtaposed with and without a space */
        assert_int_equal(match("(name eq \".*\\blb\\-ip\\b.*\")(status eq RESERVED)", doc_lb), 1);
        assert_int_equal(match("(name eq \".*\\blb\\-ip\\b.*\") (status eq IN_USE)", doc_lb), 0);
        /* description:foo */
        assert_int_equal(match("description eq \".*\\bfoo\\b.*\"", doc_lb), 1);
        assert_int_equal(match("description eq \".*\\bfo\\b.*\"", doc_lb), 0);
        /* address=34.120.0.10 */
        assert_int_equal(match("address eq \".*\\b34\\.120\\.0\\.10\\b.*\"", doc_lb), 1);
        assert_int_equal(match("address eq \".*\\b34\\.120\\.0\\.1\\b.*\"", doc_lb), 0);
        /* bare literal: a full-match regex */
        assert_int_equal(match("loadBalancingScheme eq EXTERNAL_MANAGED", doc_lb), 1);
        assert_int_equal(match("loadBalancingScheme eq EXTERNAL", doc_lb), 0);
        assert_int_equal(match("loadBalancingScheme eq 'EXTERNAL_.*'", doc_lb), 1);
        /* nested paths, numbers, booleans, arrays (any element) */
        assert_int_equal(match("httpHealthCheck.port eq 8080", doc_lb), 1);
        assert_int_equal(match("enableCDN eq false", doc_lb), 1);
        assert_int_equal(match("users eq \".*fr2\"", doc_lb), 1);
        assert_int_equal(match("users eq \".*fr3\"", doc_lb), 0);
        /* a missing field is "" */
        assert_int_equal(match("nope ne \"x\"", doc_lb), 1);
        assert_int_equal(match("nope eq \"x\"", doc_lb), 0);
        /* everything */
        assert_int_equal(match("", doc_lb), 1);
        assert_int_equal(match("   ", doc_lb), 1);
}

static void
aip_forms(void **state)
{
        (void)state;
        assert_int_equal(match("name = \"lb-ip\"", doc_lb), 1);
        assert_int_equal(match("name = \"lb\"", doc_lb), 0);
        assert_int_equal(match("name = lb-*", doc_lb), 1);
        assert_int_equal(match("name != lb-ip", doc_lb), 0);
        assert_int_equal(match("name != p1", doc_lb), 1);
        assert_int_equal(match("description : foo", doc_lb), 1);
        assert_int_equal(match("description:bar", doc_lb), 0);
        assert_int_equal(match("labels.env:*", doc_lb), 1);
        assert_int_equal(match("labels.team:*", doc_lb), 0);
        assert_int_equal(match("labels:env", doc_lb), 1);
        assert_int_equal(match("labels.env = prod", doc_lb), 1);
        assert_int_equal(match("name = a OR name = lb-ip", doc_lb), 1);
        assert_int_equal(match("(name = a) OR (name = b)", doc_lb), 0);
        assert_int_equal(match("name = lb-ip AND status = IN_USE", doc_lb), 0);
        assert_int_equal(match("name = lb-ip status = RESERVED", doc_lb), 1);
        assert_int_equal(match("NOT name = lb-ip", doc_lb), 0);
        assert_int_equal(match("-name = p1", doc_lb), 1);
        assert_int_equal(match("timeoutSec > 9", doc_lb), 1);
        assert_int_equal(match("timeoutSec < 9", doc_lb), 0);
        assert_int_equal(match("timeoutSec >= 30 AND timeoutSec <= 30", doc_lb), 1);
        assert_int_equal(match("nope != x", doc_lb), 1);
        assert_int_equal(match("nope = x", doc_lb), 0);
        /* OR binds looser than AND */
        assert_int_equal(match("name = x AND status = y OR name = lb-ip", doc_lb), 1);
}

static void
malformed(void **state)
{
        (void)state;
        assert_int_equal(match("name eq", doc_lb), -1);
        assert_int_equal(match("name", doc_lb), -1);
        assert_int_equal(match("(name eq x", doc_lb), -1);
        assert_int_equal(match("name eq x)", doc_lb), -1);
        assert_int_equal(match("name eq \"unterminated", doc_lb), -1);
        assert_int_equal(match("name eq \"(\"", doc_lb), -1); /* bad regex */
        assert_int_equal(match("= x", doc_lb), -1);
        assert_int_equal(match("name = ", doc_lb), -1);
        assert_int_equal(match("name ! x", doc_lb), -1);
        assert_int_equal(match("a..b = x", doc_lb), -1);
        /* the two dialects do not mix */
        assert_int_equal(match("(name eq x) AND (status = y)", doc_lb), -1);
        assert_int_equal(match("(name eq x)(status = y)", doc_lb), -1);
}

static void
deep_nesting_is_refused(void **state)
{
        char buf[1024];
        size_t i, n = 0;

        (void)state;
        for (i = 0; i < 200; i++)
                buf[n++] = '(';
        snprintf(buf + n, sizeof(buf) - n, "name = x");
        n = strlen(buf);
        for (i = 0; i < 200; i++)
                buf[n++] = ')';
        buf[n] = '\0';
        assert_int_equal(match(buf, doc_lb), -1);
}

static void
allocation_failures_are_survived(void **state)
{
        unsigned long i;

        (void)state;
        for (i = 1; i < 40; i++) {
                struct gcp_filter *f = NULL;
                struct cc_diag d;
                cc_err rc;

                cc_alloc_fail_at(i, false);
                rc = gcp_filter_parse("(name eq \".*\\bp1\\b.*\")(status eq RESERVED)", &f, &d);
                cc_alloc_fail_at(0, false);
                if (rc == CC_OK)
                        gcp_filter_free(f);
                else
                        assert_int_equal(rc, CC_NOMEM);
        }
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(gcloud_forms),
                cmocka_unit_test(aip_forms),
                cmocka_unit_test(malformed),
                cmocka_unit_test(deep_nesting_is_refused),
                cmocka_unit_test(allocation_failures_are_survived),
        };

        cc_alloc_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
