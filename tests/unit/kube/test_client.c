/* test_client.c -- URL building, the resource table and Status decoding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "kube/client.h"
#include "lib/testlib.h"

static void
check_url(const char *kind, const char *ns, const char *name, const char *sub,
          const struct cc_kube_query *q, const char *want)
{
        struct cc_buf b = CC_BUF_INIT(0);
        const struct cc_kube_resource *r = cc_kube_resource_by_kind(kind);

        assert_non_null(r);
        assert_int_equal(cc_kube_url(&b, "https://h:6443/pfx", r, ns, name, sub, q), CC_OK);
        assert_string_equal(cc_buf_str(&b), want);
        cc_buf_release(&b);
}

static void
test_urls(void **state)
{
        struct cc_kube_query q = { 0 };

        check_url("Pod", "default", "p1", NULL, NULL,
                  "https://h:6443/pfx/api/v1/namespaces/default/pods/p1");
        check_url("Namespace", "ignored", "kube-system", NULL, NULL,
                  "https://h:6443/pfx/api/v1/namespaces/kube-system");
        check_url("Gateway", "team a", "gw/1", "status", NULL,
                  "https://h:6443/pfx/apis/gateway.networking.k8s.io/v1/namespaces/team%20a/"
                  "gateways/gw%2F1/status");
        check_url("GatewayClass", NULL, "cc", "status", NULL,
                  "https://h:6443/pfx/apis/gateway.networking.k8s.io/v1/gatewayclasses/cc/status");
        check_url("HTTPRoute", NULL, NULL, NULL, NULL,
                  "https://h:6443/pfx/apis/gateway.networking.k8s.io/v1/httproutes");
        check_url("ReferenceGrant", "n", NULL, NULL, NULL,
                  "https://h:6443/pfx/apis/gateway.networking.k8s.io/v1beta1/namespaces/n/"
                  "referencegrants");
        check_url("Lease", "gw-system", "leader", NULL, NULL,
                  "https://h:6443/pfx/apis/coordination.k8s.io/v1/namespaces/gw-system/leases/"
                  "leader");
        q.label_selector = "app in (a,b),!x";
        q.field_selector = "metadata.name=x";
        q.limit = 500;
        q.continue_token = "tok/+=";
        check_url("Service", "ns", NULL, NULL, &q,
                  "https://h:6443/pfx/api/v1/namespaces/ns/services?labelSelector=app%20in%20%28a%"
                  "2Cb%29%2C%21x&fieldSelector=metadata.name%3Dx&limit=500&continue=tok%2F%2B%3D");
        memset(&q, 0, sizeof(q));
        q.watch = true;
        q.allow_bookmarks = true;
        q.resource_version = "105";
        q.timeout_seconds = 317;
        check_url("EndpointSlice", NULL, NULL, NULL, &q,
                  "https://h:6443/pfx/apis/discovery.k8s.io/v1/endpointslices?resourceVersion=105&"
                  "allowWatchBookmarks=true&timeoutSeconds=317&watch=true");
        memset(&q, 0, sizeof(q));
        q.field_manager = "cloudctl";
        q.force = true;
        check_url("Deployment", "d", "web", NULL, &q,
                  "https://h:6443/pfx/apis/apps/v1/namespaces/d/deployments/web?fieldManager="
                  "cloudctl&force=true");
}

static void
test_url_errors(void **state)
{
        struct cc_buf b = CC_BUF_INIT(0);
        const struct cc_kube_resource *pod = cc_kube_resource_by_kind("Pod");

        assert_int_equal(cc_kube_url(&b, "h", pod, NULL, "p", NULL, NULL), CC_INVAL);
        assert_int_equal(cc_kube_url(&b, "h", pod, "ns", "", NULL, NULL), CC_INVAL);
        assert_int_equal(cc_kube_url(&b, "h", pod, "ns", NULL, "status", NULL), CC_INVAL);
        assert_int_equal(cc_kube_url(&b, "h", pod, "", NULL, NULL, NULL), CC_INVAL);
        cc_buf_release(&b);
}

static void
test_resource_table(void **state)
{
        static const char *const kinds[] = { "Namespace", "Service",        "Secret",
                                             "ConfigMap", "ServiceAccount", "Event",
                                             "Pod",       "Deployment",     "EndpointSlice",
                                             "Lease",     "GatewayClass",   "Gateway",
                                             "HTTPRoute", "GRPCRoute",      "ReferenceGrant" };
        char buf[64];
        cJSON *obj = NULL;
        const char *js;
        size_t i;

        for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
                const struct cc_kube_resource *r = cc_kube_resource_by_kind(kinds[i]);

                assert_non_null(r);
                assert_string_equal(r->kind, kinds[i]);
        }
        assert_null(cc_kube_resource_by_kind("Widget"));
        assert_false(cc_kube_resource_by_kind("Namespace")->namespaced);
        assert_false(cc_kube_resource_by_kind("GatewayClass")->namespaced);
        assert_true(cc_kube_resource_by_kind("Gateway")->has_status);
        assert_false(cc_kube_resource_by_kind("Lease")->has_status);
        assert_string_equal(
            cc_kube_api_version(cc_kube_resource_by_kind("Deployment"), buf, sizeof(buf)),
            "apps/v1");
        assert_string_equal(
            cc_kube_api_version(cc_kube_resource_by_kind("Secret"), buf, sizeof(buf)), "v1");
        js = "{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"HTTPRoute\"}";
        assert_int_equal(cc_json_parse(js, strlen(js), 0, &obj, NULL), CC_OK);
        assert_ptr_equal(cc_kube_resource_of(obj), cc_kube_resource_by_kind("HTTPRoute"));
        cJSON_Delete(obj);
        js = "{\"apiVersion\":\"v1beta1\",\"kind\":\"HTTPRoute\"}";
        assert_int_equal(cc_json_parse(js, strlen(js), 0, &obj, NULL), CC_OK);
        assert_null(cc_kube_resource_of(obj));
        cJSON_Delete(obj);
}

static void
check_status(int http, const char *body, cc_err code, const char *reason, int status,
             const char *msg)
{
        struct cc_diag d = { 0 };
        char rsn[64];

        assert_int_equal(cc_kube_status_decode(http, body, body ? strlen(body) : 0,
                                               "cannot get gateways 'default/x'", &d, rsn,
                                               sizeof(rsn)),
                         code);
        assert_int_equal(d.code, code);
        assert_int_equal(d.http_status, status);
        assert_string_equal(rsn, reason);
        assert_string_equal(d.message, msg);
}

static void
test_status_decode(void **state)
{
        check_status(404,
                     "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":"
                     "\"Failure\",\"message\":\"gateways.gateway.networking.k8s.io \\\"x\\\" not "
                     "found\",\"reason\":\"NotFound\",\"details\":{\"name\":\"x\"},\"code\":404}",
                     CC_NOTFOUND, "NotFound", 404,
                     "cannot get gateways 'default/x': NotFound: "
                     "gateways.gateway.networking.k8s.io \"x\" not found");
        check_status(409,
                     "{\"kind\":\"Status\",\"reason\":\"Conflict\",\"message\":\"the object has "
                     "been modified\",\"code\":409}",
                     CC_CONFLICT, "Conflict", 409,
                     "cannot get gateways 'default/x': Conflict: the object has been modified");
        check_status(409, "{\"kind\":\"Status\",\"reason\":\"AlreadyExists\",\"message\":\"m\"}",
                     CC_CONFLICT, "AlreadyExists", 409,
                     "cannot get gateways 'default/x': AlreadyExists: m");
        check_status(422, "{\"kind\":\"Status\",\"reason\":\"Invalid\",\"message\":\"bad\"}",
                     CC_INVAL, "Invalid", 422, "cannot get gateways 'default/x': Invalid: bad");
        check_status(401, "{\"kind\":\"Status\",\"reason\":\"Unauthorized\",\"message\":\"x\"}",
                     CC_AUTH, "Unauthorized", 401,
                     "cannot get gateways 'default/x': Unauthorized: x");
        check_status(403, "{\"kind\":\"Status\",\"message\":\"forbidden\"}", CC_AUTH, "", 403,
                     "cannot get gateways 'default/x': Failure: forbidden");
        /* not a Status: the HTTP status only */
        check_status(503, "<html>down</html>", CC_TRANSIENT, "", 503,
                     "cannot get gateways 'default/x': http status 503");
        check_status(500, "{\"kind\":\"Gateway\"}", CC_TRANSIENT, "", 500,
                     "cannot get gateways 'default/x': http status 500");
        check_status(429, NULL, CC_RATELIMIT, "", 429,
                     "cannot get gateways 'default/x': http status 429");
        /* a watch ERROR event: the code comes from the Status */
        check_status(0,
                     "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"too old resource "
                     "version: 101 (106)\",\"reason\":\"Expired\",\"code\":410}",
                     CC_NOTFOUND, "Expired", 410,
                     "cannot get gateways 'default/x': Expired: too old resource version: 101 "
                     "(106)");
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_urls),
                cmocka_unit_test(test_url_errors),
                cmocka_unit_test(test_resource_table),
                cmocka_unit_test(test_status_decode),
        };

        cc_alloc_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
