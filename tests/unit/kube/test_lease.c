/* test_lease.c -- the leader-election state machine with an injected clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "kube/lease.h"
#include "lib/testlib.h"

static struct cc_kube_lease_record
rec(const char *holder, int64_t dur, const char *renew, int64_t transitions, const char *rv)
{
        struct cc_kube_lease_record r;

        memset(&r, 0, sizeof(r));
        snprintf(r.holder, sizeof(r.holder), "%s", holder);
        r.duration_s = dur;
        snprintf(r.acquire_time, sizeof(r.acquire_time), "2025-01-01T00:00:00.000000Z");
        snprintf(r.renew_time, sizeof(r.renew_time), "%s", renew);
        r.transitions = transitions;
        snprintf(r.rv, sizeof(r.rv), "%s", rv);
        return r;
}

static void
test_decide(void **state)
{
        struct cc_kube_lease_view v = { 0 };
        struct cc_kube_lease_record r;

        /* no lease: create */
        assert_int_equal(cc_kube_lease_decide(&v, "a", 0), CC_KUBE_LEASE_CREATE);
        cc_kube_lease_observe(&v, NULL, 100);
        assert_int_equal(cc_kube_lease_decide(&v, "a", 100), CC_KUBE_LEASE_CREATE);

        /* b holds it, seen at t=1000 with a 15 s lease: valid until 16000 local */
        r = rec("b", 15, "2025-01-01T00:00:10.000000Z", 2, "50");
        cc_kube_lease_observe(&v, &r, 1000);
        assert_int_equal(cc_kube_lease_decide(&v, "a", 1000), CC_KUBE_LEASE_WAIT);
        assert_int_equal(cc_kube_lease_decide(&v, "a", 15999), CC_KUBE_LEASE_WAIT);
        /* the same record seen again later does not extend it (no renewal happened) */
        r.rv[0] = '5';
        cc_kube_lease_observe(&v, &r, 9000);
        assert_int_equal(v.observed_ms, 1000);
        assert_int_equal(cc_kube_lease_decide(&v, "a", 16000), CC_KUBE_LEASE_ACQUIRE);
        /* a renewal (renewTime changed) restarts the local clock, whatever the times say */
        r = rec("b", 15, "1999-01-01T00:00:00.000000Z", 2, "51");
        cc_kube_lease_observe(&v, &r, 12000);
        assert_int_equal(v.observed_ms, 12000);
        assert_int_equal(cc_kube_lease_decide(&v, "a", 26999), CC_KUBE_LEASE_WAIT);
        assert_int_equal(cc_kube_lease_decide(&v, "a", 27000), CC_KUBE_LEASE_ACQUIRE);
        /* our own lease: renew, valid or not */
        assert_int_equal(cc_kube_lease_decide(&v, "b", 99999), CC_KUBE_LEASE_RENEW);
        /* released (empty holder): acquire at once */
        r = rec("", 1, "2025-01-01T00:00:20.000000Z", 2, "52");
        cc_kube_lease_observe(&v, &r, 27001);
        assert_int_equal(cc_kube_lease_decide(&v, "a", 27001), CC_KUBE_LEASE_ACQUIRE);
}

static const char *
s(const cJSON *o, const char *path)
{
        const cJSON *v = cc_json_lookup(o, path);

        return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double
n(const cJSON *o, const char *path)
{
        const cJSON *v = cc_json_lookup(o, path);

        return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static void
test_build(void **state)
{
        struct cc_kube_lease_view v = { 0 };
        struct cc_kube_lease_record r;
        const char *now = "2025-01-01T00:01:00.000000Z";
        cJSON *o;

        o = cc_kube_lease_build(&v, CC_KUBE_LEASE_CREATE, false, "gw", "lead", "a", 15, now);
        assert_string_equal(s(o, "apiVersion"), "coordination.k8s.io/v1");
        assert_string_equal(s(o, "kind"), "Lease");
        assert_string_equal(s(o, "metadata.namespace"), "gw");
        assert_string_equal(s(o, "metadata.name"), "lead");
        assert_null(s(o, "metadata.resourceVersion"));
        assert_string_equal(s(o, "spec.holderIdentity"), "a");
        assert_true(n(o, "spec.leaseDurationSeconds") == 15);
        assert_string_equal(s(o, "spec.acquireTime"), now);
        assert_string_equal(s(o, "spec.renewTime"), now);
        assert_true(n(o, "spec.leaseTransitions") == 0);
        cJSON_Delete(o);

        r = rec("b", 15, "2025-01-01T00:00:30.000000Z", 4, "77");
        cc_kube_lease_observe(&v, &r, 0);
        /* taking over from b: new acquireTime, transitions + 1, the RV read */
        o = cc_kube_lease_build(&v, CC_KUBE_LEASE_ACQUIRE, false, "gw", "lead", "a", 15, now);
        assert_string_equal(s(o, "metadata.resourceVersion"), "77");
        assert_string_equal(s(o, "spec.holderIdentity"), "a");
        assert_string_equal(s(o, "spec.acquireTime"), now);
        assert_true(n(o, "spec.leaseTransitions") == 5);
        cJSON_Delete(o);
        /* b renewing: acquireTime and transitions kept */
        o = cc_kube_lease_build(&v, CC_KUBE_LEASE_RENEW, false, "gw", "lead", "b", 15, now);
        assert_string_equal(s(o, "spec.acquireTime"), "2025-01-01T00:00:00.000000Z");
        assert_string_equal(s(o, "spec.renewTime"), now);
        assert_true(n(o, "spec.leaseTransitions") == 4);
        cJSON_Delete(o);
        /* release: empty holder, 1 s, transitions kept */
        o = cc_kube_lease_build(&v, CC_KUBE_LEASE_RENEW, true, "gw", "lead", "b", 1, now);
        assert_string_equal(s(o, "spec.holderIdentity"), "");
        assert_true(n(o, "spec.leaseDurationSeconds") == 1);
        assert_true(n(o, "spec.leaseTransitions") == 4);
        assert_string_equal(s(o, "metadata.resourceVersion"), "77");
        cJSON_Delete(o);
}

static void
test_parse_and_time(void **state)
{
        const char *js = "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\","
                         "\"metadata\":{\"name\":\"l\",\"resourceVersion\":\"1234\"},"
                         "\"spec\":{\"holderIdentity\":\"pod-a_3f2c\",\"leaseDurationSeconds\":15,"
                         "\"acquireTime\":\"2025-01-01T00:00:00.000000Z\","
                         "\"renewTime\":\"2025-01-01T00:00:10.000000Z\",\"leaseTransitions\":2}}";
        struct cc_kube_lease_record r;
        cJSON *o = NULL;
        char buf[40];

        assert_int_equal(cc_json_parse(js, strlen(js), 0, &o, NULL), CC_OK);
        assert_int_equal(cc_kube_lease_record_parse(o, &r), CC_OK);
        assert_string_equal(r.holder, "pod-a_3f2c");
        assert_int_equal(r.duration_s, 15);
        assert_int_equal(r.transitions, 2);
        assert_string_equal(r.rv, "1234");
        assert_string_equal(r.renew_time, "2025-01-01T00:00:10.000000Z");
        cJSON_Delete(o);
        assert_int_equal(cc_kube_lease_record_parse(NULL, &r), CC_INVAL);
        cc_kube_micro_time(1735693200123456LL, buf, sizeof(buf));
        assert_string_equal(buf, "2025-01-01T01:00:00.123456Z");
}

static void
test_options_checked(void **state)
{
        struct cc_kube_lease_opts o = { .name = "l", .identity = "a" };
        struct cc_kube_lease *le = NULL;

        /* no client */
        assert_int_equal(cc_kube_lease_new(NULL, &o, &le, NULL), CC_INVAL);
        o.identity = NULL;
        assert_int_equal(cc_kube_lease_new(NULL, &o, &le, NULL), CC_INVAL);
        assert_null(le);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_decide),
                cmocka_unit_test(test_build),
                cmocka_unit_test(test_parse_and_time),
                cmocka_unit_test(test_options_checked),
        };

        cc_alloc_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
