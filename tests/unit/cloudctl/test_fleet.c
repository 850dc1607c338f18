/* test_fleet.c -- the per-cluster gateway objects: rendering, names, the
 * subset comparison and reading the NEG status. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "cloudctl/fleet.h"
#include "cloudctl/fleet_diff.h"
#include "core/alloc.h"
#include "core/json.h"
#include "lib/testlib.h"

static const char gw_json[] =
    "{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"Gateway\","
    "\"metadata\":{\"name\":\"web\",\"namespace\":\"demo\"},"
    "\"spec\":{\"gatewayClassName\":\"istio+gke\","
    "\"infrastructure\":{\"labels\":{\"team\":\"blue\",\"gateway.networking.k8s.io/x\":\"no\"},"
    "\"annotations\":{\"note\":\"hi\"}},"
    "\"listeners\":[{\"name\":\"http\",\"port\":80,\"protocol\":\"HTTP\","
    "\"hostname\":\"a.example.com\"},"
    "{\"name\":\"https\",\"port\":443,\"protocol\":\"HTTPS\",\"hostname\":\"a.example.com\"},"
    "{\"name\":\"other\",\"port\":443,\"protocol\":\"HTTPS\",\"hostname\":\"b.example.com\"},"
    "{\"name\":\"any\",\"port\":80,\"protocol\":\"HTTP\","
    "\"allowedRoutes\":{\"namespaces\":{\"from\":\"All\"}}}]}}";

static const char r1_json[] =
    "{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"HTTPRoute\","
    "\"metadata\":{\"name\":\"r1\",\"namespace\":\"demo\"},"
    "\"spec\":{\"parentRefs\":[{\"name\":\"web\",\"sectionName\":\"https\",\"port\":443},"
    "{\"name\":\"web\",\"sectionName\":\"http\"},{\"name\":\"elsewhere\"},"
    "{\"name\":\"web\",\"namespace\":\"other\"}],"
    "\"hostnames\":[\"a.example.com\"],"
    "\"rules\":[{\"backendRefs\":[{\"name\":\"app\",\"port\":8080}]}]}}";

static const char r2_json[] =
    "{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"HTTPRoute\","
    "\"metadata\":{\"name\":\"r2\",\"namespace\":\"apps\"},"
    "\"spec\":{\"parentRefs\":[{\"name\":\"web\",\"namespace\":\"demo\","
    "\"group\":\"gateway.networking.k8s.io\",\"kind\":\"Gateway\"}],"
    "\"rules\":[{\"matches\":[{\"path\":{\"type\":\"PathPrefix\",\"value\":\"/x\"}}]}]}}";

static cJSON *
parse(const char *s)
{
        cJSON *o = cJSON_Parse(s);

        assert_non_null(o);
        return o;
}

static const char *
str_at(const cJSON *o, const char *path)
{
        const cJSON *v = cc_json_lookup(o, path);

        if (!cJSON_IsString(v))
                fail_msg("no string at '%s'", path);
        return v->valuestring;
}

static int
num_at(const cJSON *o, const char *path)
{
        const cJSON *v = cc_json_lookup(o, path);

        if (!cJSON_IsNumber(v))
                fail_msg("no number at '%s'", path);
        return v->valueint;
}

static cJSON *
render(const char *gwtext, const char *cluster, char **printed)
{
        cJSON *gw = parse(gwtext), *r1 = parse(r1_json), *r2 = parse(r2_json), *out = NULL;
        const cJSON *routes[2] = { r2, r1 };
        const struct cc_fleet_input in = {
                .fleet = "f1", .gateway = gw, .routes = routes, .nroutes = 2, .serving_port = 0
        };
        struct cc_diag d;

        if (cc_fleet_render(&in, cluster, &out, &d) != CC_OK)
                fail_msg("render: %s", d.message);
        if (printed) {
                *printed = cJSON_PrintUnformatted(out);
                assert_non_null(*printed);
        }
        cJSON_Delete(gw);
        cJSON_Delete(r1);
        cJSON_Delete(r2);
        return out;
}

static void
test_render_objects(void **state)
{
        char *text = NULL, neg[64], annot[256];
        cJSON *out = render(gw_json, "west", &text);
        const cJSON *sa, *svc, *dep, *gw, *rt1, *rt2;

        (void)state;
        assert_int_equal(cJSON_GetArraySize(out), 6);
        sa = cJSON_GetArrayItem(out, 0);
        svc = cJSON_GetArrayItem(out, 1);
        dep = cJSON_GetArrayItem(out, 2);
        gw = cJSON_GetArrayItem(out, 3);
        rt2 = cJSON_GetArrayItem(out, 4); /* apps/ sorts before demo/ */
        rt1 = cJSON_GetArrayItem(out, 5);
        assert_string_equal(str_at(sa, "kind"), "ServiceAccount");
        assert_string_equal(str_at(svc, "kind"), "Service");
        assert_string_equal(str_at(dep, "kind"), "Deployment");
        assert_string_equal(str_at(gw, "kind"), "Gateway");
        assert_string_equal(str_at(rt1, "kind"), "HTTPRoute");
        /* names, namespace, labels, owner */
        assert_string_equal(str_at(sa, "metadata.name"), "web-istio");
        assert_string_equal(str_at(svc, "metadata.namespace"), "demo");
        assert_string_equal(str_at(dep, "metadata.labels[\"app.kubernetes.io/managed-by\"]"),
                            "cloudctl");
        assert_int_equal(strlen(str_at(gw, "metadata.labels[\"cloudctl.dev/gateway-hash\"]")), 10);
        assert_string_equal(str_at(rt2, "metadata.annotations[\"cloudctl.dev/gateway\"]"),
                            "demo/web");
        /* infrastructure labels and annotations, the reserved prefix dropped */
        assert_string_equal(str_at(sa, "metadata.labels.team"), "blue");
        assert_string_equal(str_at(svc, "metadata.annotations.note"), "hi");
        assert_string_equal(str_at(dep, "spec.template.metadata.labels.team"), "blue");
        assert_null(cc_json_lookup(dep, "metadata.labels[\"gateway.networking.k8s.io/x\"]"));
        assert_null(cc_json_lookup(gw, "metadata.labels.team"));
        /* Service */
        assert_string_equal(str_at(svc, "spec.type"), "ClusterIP");
        assert_string_equal(
            str_at(svc, "spec.selector[\"gateway.networking.k8s.io/gateway-name\"]"), "web-istio");
        assert_string_equal(str_at(svc, "spec.ports[0].name"), "status-port");
        assert_int_equal(num_at(svc, "spec.ports[0].port"), 15021);
        assert_string_equal(str_at(svc, "spec.ports[0].appProtocol"), "tcp");
        assert_string_equal(str_at(svc, "spec.ports[1].name"), "http");
        assert_int_equal(num_at(svc, "spec.ports[1].port"), 80);
        assert_int_equal(num_at(svc, "spec.ports[1].targetPort"), 80);
        assert_string_equal(str_at(svc, "spec.ports[1].appProtocol"), "http");
        assert_int_equal(cc_fleet_neg_name(neg, sizeof(neg), "f1", "demo", "web", "west"), CC_OK);
        snprintf(annot, sizeof(annot), "{\"exposed_ports\":{\"80\":{\"name\":\"%s\"}}}", neg);
        assert_string_equal(str_at(svc, "metadata.annotations[\"cloud.google.com/neg\"]"), annot);
        /* Deployment */
        assert_null(cc_json_lookup(dep, "spec.replicas"));
        assert_string_equal(
            str_at(dep, "spec.selector.matchLabels[\"gateway.networking.k8s.io/gateway-name\"]"),
            "web-istio");
        assert_string_equal(
            str_at(dep, "spec.template.metadata.annotations[\"inject.istio.io/templates\"]"),
            "gateway");
        assert_string_equal(
            str_at(dep, "spec.template.metadata.labels[\"sidecar.istio.io/inject\"]"), "true");
        assert_string_equal(
            str_at(dep, "metadata.labels[\"gateway.networking.k8s.io/gateway-class-name\"]"),
            "istio");
        assert_string_equal(str_at(dep, "spec.template.spec.serviceAccountName"), "web-istio");
        assert_string_equal(str_at(dep, "spec.template.spec.containers[0].name"), "istio-proxy");
        assert_int_equal(num_at(dep, "spec.template.spec.containers[0].ports[1].containerPort"),
                         15021);
        assert_string_equal(
            str_at(dep, "spec.template.spec.containers[0].readinessProbe.httpGet.path"),
            "/healthz/ready");
        assert_string_equal(str_at(dep, "spec.template.spec.containers[0].env[0].name"),
                            "ISTIO_META_CLUSTER_ID");
        assert_string_equal(str_at(dep, "spec.template.spec.containers[0].env[0].value"), "west");
        /* child Gateway: one HTTP listener per distinct hostname */
        assert_string_equal(str_at(gw, "spec.gatewayClassName"), "istio");
        assert_string_equal(str_at(gw, "spec.addresses[0].type"), "Hostname");
        assert_string_equal(str_at(gw, "spec.addresses[0].value"),
                            "web-istio.demo.svc.cluster.local");
        assert_int_equal(cJSON_GetArraySize(cc_json_lookup(gw, "spec.listeners")), 3);
        assert_string_equal(str_at(gw, "spec.listeners[0].name"), "http");
        assert_string_equal(str_at(gw, "spec.listeners[0].hostname"), "a.example.com");
        assert_string_equal(str_at(gw, "spec.listeners[0].protocol"), "HTTP");
        assert_int_equal(num_at(gw, "spec.listeners[0].port"), 80);
        assert_string_equal(str_at(gw, "spec.listeners[1].name"), "other");
        assert_int_equal(num_at(gw, "spec.listeners[1].port"), 80);
        assert_string_equal(str_at(gw, "spec.listeners[2].name"), "any");
        assert_null(cc_json_lookup(gw, "spec.listeners[2].hostname"));
        assert_string_equal(str_at(gw, "spec.listeners[2].allowedRoutes.namespaces.from"), "All");
        /* route copies: parentRefs rewritten (https and http both map to
         * child listener http: one ref), others dropped */
        assert_string_equal(str_at(rt1, "metadata.name"), "web-istio-r1");
        assert_string_equal(str_at(rt1, "metadata.namespace"), "demo");
        assert_int_equal(cJSON_GetArraySize(cc_json_lookup(rt1, "spec.parentRefs")), 1);
        assert_string_equal(str_at(rt1, "spec.parentRefs[0].name"), "web-istio");
        assert_string_equal(str_at(rt1, "spec.parentRefs[0].namespace"), "demo");
        assert_string_equal(str_at(rt1, "spec.parentRefs[0].kind"), "Gateway");
        assert_string_equal(str_at(rt1, "spec.parentRefs[0].group"), "gateway.networking.k8s.io");
        assert_string_equal(str_at(rt1, "spec.parentRefs[0].sectionName"), "http");
        assert_null(cc_json_lookup(rt1, "spec.parentRefs[0].port"));
        assert_string_equal(str_at(rt1, "spec.hostnames[0]"), "a.example.com");
        assert_string_equal(str_at(rt1, "spec.rules[0].backendRefs[0].name"), "app");
        assert_string_equal(str_at(rt2, "metadata.name"), "web-istio-r2");
        assert_string_equal(str_at(rt2, "metadata.namespace"), "apps");
        assert_null(cc_json_lookup(rt2, "spec.parentRefs[0].sectionName"));
        cJSON_free(text);
        cJSON_Delete(out);
}

static void
test_render_deterministic(void **state)
{
        char *a = NULL, *b = NULL, *c = NULL;
        cJSON *x = render(gw_json, "west", &a), *y = render(gw_json, "west", &b);
        cJSON *z = render(gw_json, "east", &c);

        (void)state;
        assert_string_equal(a, b);
        assert_string_not_equal(a, c); /* the cluster id and the NEG name differ */
        cJSON_free(a);
        cJSON_free(b);
        cJSON_free(c);
        cJSON_Delete(x);
        cJSON_Delete(y);
        cJSON_Delete(z);
}

static void
test_names(void **state)
{
        char a[64], b[64], gwtext[2048], rname[300];
        const char *long_gw = "gateway-with-a-rather-long-name-that-goes-on-and-on-and-on-x";
        cJSON *out;

        (void)state;
        assert_int_equal(strlen(long_gw), 60);
        assert_int_equal(cc_fleet_object_name(a, sizeof(a), "web"), CC_OK);
        assert_string_equal(a, "web-istio");
        assert_int_equal(cc_fleet_object_name(a, sizeof(a), long_gw), CC_OK);
        assert_int_equal(strlen(a), 63);
        assert_int_equal(strncmp(a, long_gw, 20), 0);
        assert_int_equal(strcmp(a + 57, "-istio"), 0);
        assert_int_equal(cc_fleet_object_name(b, sizeof(b), long_gw), CC_OK);
        assert_string_equal(a, b);
        /* a different long name gets a different hash */
        assert_int_equal(
            cc_fleet_object_name(b, sizeof(b),
                                 "gateway-with-a-rather-long-name-that-goes-on-and-on-and-on-y"),
            CC_OK);
        assert_string_not_equal(a, b);
        /* dots are not allowed in a Service name */
        assert_int_equal(cc_fleet_object_name(b, sizeof(b), "web.v1"), CC_OK);
        assert_int_equal(strncmp(b, "web-v1-", 7), 0);
        assert_null(strchr(b, '.'));
        assert_int_equal(cc_fleet_object_name(b, 10, "web"), CC_INVAL);
        /* a 60-character Gateway renders 63-character object names */
        snprintf(gwtext, sizeof(gwtext),
                 "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"demo\"},"
                 "\"spec\":{\"listeners\":[{\"name\":\"http\",\"port\":80}]}}",
                 long_gw);
        out = render(gwtext, "west", NULL);
        assert_string_equal(str_at(cJSON_GetArrayItem(out, 1), "metadata.name"), a);
        /* r1 refers to 'web', r2 too: no copies for another gateway */
        assert_int_equal(cJSON_GetArraySize(out), 4);
        cJSON_Delete(out);
        (void)rname;
}

static void
test_long_route_name(void **state)
{
        char route[260], rtext[1024];
        cJSON *gw = parse(gw_json), *rt, *out = NULL;
        const cJSON *routes[1];
        struct cc_fleet_input in = { .fleet = "f1", .gateway = gw, .nroutes = 1 };
        const char *name;

        (void)state;
        memset(route, 'r', 250);
        route[250] = '\0';
        snprintf(rtext, sizeof(rtext),
                 "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"demo\"},"
                 "\"spec\":{\"parentRefs\":[{\"name\":\"web\"}]}}",
                 route);
        rt = parse(rtext);
        routes[0] = rt;
        in.routes = routes;
        assert_int_equal(cc_fleet_render(&in, "west", &out, NULL), CC_OK);
        name = str_at(cJSON_GetArrayItem(out, 4), "metadata.name");
        assert_int_equal(strlen(name), 253);
        assert_int_equal(strncmp(name, "web-istio-rrr", 13), 0);
        cJSON_Delete(out);
        cJSON_Delete(rt);
        cJSON_Delete(gw);
}

static void
test_render_invalid(void **state)
{
        static const char *const bad[] = {
                "{\"metadata\":{\"namespace\":\"demo\"},\"spec\":{\"listeners\":[{\"name\":\"a\"}]}"
                "}",
                "{\"metadata\":{\"name\":\"web\"},\"spec\":{\"listeners\":[{\"name\":\"a\"}]}}",
                "{\"metadata\":{\"name\":7,\"namespace\":\"demo\"}}",
                "{\"metadata\":{\"name\":\"web\",\"namespace\":\"demo\"},\"spec\":{}}",
                "{\"metadata\":{\"name\":\"web\",\"namespace\":\"demo\"},"
                "\"spec\":{\"listeners\":[{\"port\":80}]}}",
                "[]",
        };
        struct cc_diag d;
        cJSON *out = NULL;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                cJSON *gw = parse(bad[i]);
                const struct cc_fleet_input in = { .fleet = "f1", .gateway = gw };

                assert_int_equal(cc_fleet_render(&in, "west", &out, &d), CC_INVAL);
                assert_null(out);
                cJSON_Delete(gw);
        }
        {
                cJSON *gw = parse(gw_json);
                struct cc_fleet_input in = { .fleet = "f1", .gateway = gw, .serving_port = 15021 };

                assert_int_equal(cc_fleet_render(&in, "west", &out, &d), CC_INVAL);
                in.serving_port = 8080;
                assert_int_equal(cc_fleet_render(&in, NULL, &out, &d), CC_INVAL);
                assert_int_equal(cc_fleet_render(NULL, "west", &out, &d), CC_INVAL);
                cJSON_Delete(gw);
        }
}

static void
test_render_nomem(void **state)
{
        cJSON *gw = parse(gw_json), *r1 = parse(r1_json), *out = NULL;
        const cJSON *routes[1] = { r1 };
        const struct cc_fleet_input in = {
                .fleet = "f1", .gateway = gw, .routes = routes, .nroutes = 1
        };
        unsigned long n;
        cc_err rc = CC_NOMEM;

        (void)state;
        for (n = 1; rc == CC_NOMEM && n < 5000; n++) {
                cc_alloc_fail_at(n, false);
                rc = cc_fleet_render(&in, "west", &out, NULL);
                cc_alloc_fail_at(0, false);
                if (rc == CC_NOMEM)
                        assert_null(out);
        }
        assert_int_equal(rc, CC_OK);
        cJSON_Delete(out);
        cJSON_Delete(gw);
        cJSON_Delete(r1);
}

static void
test_subset(void **state)
{
        cJSON *want = parse("{\"a\":1,\"m\":{\"x\":\"y\"},\"l\":[{\"p\":1},{\"p\":2}]}");
        cJSON *same = parse("{\"a\":1,\"extra\":true,\"m\":{\"x\":\"y\",\"z\":1},"
                            "\"l\":[{\"p\":1,\"proto\":\"TCP\"},{\"p\":2}]}");
        cJSON *diffv = parse("{\"a\":2,\"m\":{\"x\":\"y\"},\"l\":[{\"p\":1},{\"p\":2}]}");
        cJSON *missing = parse("{\"a\":1,\"l\":[{\"p\":1},{\"p\":2}]}");
        cJSON *longer =
            parse("{\"a\":1,\"m\":{\"x\":\"y\"},\"l\":[{\"p\":1},{\"p\":2},{\"p\":3}]}");
        cJSON *order = parse("{\"a\":1,\"m\":{\"x\":\"y\"},\"l\":[{\"p\":2},{\"p\":1}]}");
        cJSON *type = parse("{\"a\":\"1\",\"m\":{\"x\":\"y\"},\"l\":[{\"p\":1},{\"p\":2}]}");

        (void)state;
        assert_true(cc_fleet_subset(want, same));
        assert_true(cc_fleet_subset(want, want));
        assert_false(cc_fleet_subset(want, diffv));
        assert_false(cc_fleet_subset(want, missing));
        assert_false(cc_fleet_subset(want, longer));
        assert_false(cc_fleet_subset(want, order));
        assert_false(cc_fleet_subset(want, type));
        assert_false(cc_fleet_subset(want, NULL));
        assert_false(cc_fleet_subset(same, want)); /* the other way round */
        cJSON_Delete(want);
        cJSON_Delete(same);
        cJSON_Delete(diffv);
        cJSON_Delete(missing);
        cJSON_Delete(longer);
        cJSON_Delete(order);
        cJSON_Delete(type);
}

static void
test_neg_status(void **state)
{
        char zones[CC_FLEET_MAX_ZONES][64], why[160];
        size_t n = 99;

        (void)state;
        assert_true(cc_fleet_neg_status("{\"network_endpoint_groups\":{\"80\":\"neg1\"},"
                                        "\"zones\":[\"us-central1-a\",\"us-central1-b\"]}",
                                        80, "neg1", zones, &n, why, sizeof(why)));
        assert_int_equal(n, 2);
        assert_string_equal(zones[1], "us-central1-b");
        n = 99;
        assert_false(cc_fleet_neg_status("{\"network_endpoint_groups\":{\"80\":\"other\"},"
                                         "\"zones\":[\"z\"]}",
                                         80, "neg1", zones, &n, why, sizeof(why)));
        assert_int_equal(n, 99);
        assert_false(
            cc_fleet_neg_status("{\"zones\":[]}", 80, "neg1", zones, &n, why, sizeof(why)));
        assert_string_equal(why, "no zones");
        assert_false(
            cc_fleet_neg_status("{\"zones\":\"z\"}", 80, "neg1", zones, &n, why, sizeof(why)));
        assert_false(
            cc_fleet_neg_status("{\"zones\":[1]}", 80, "neg1", zones, &n, why, sizeof(why)));
        assert_false(cc_fleet_neg_status("{garbage", 80, "neg1", zones, &n, why, sizeof(why)));
        assert_false(cc_fleet_neg_status("[]", 80, "neg1", zones, &n, why, sizeof(why)));
        assert_false(cc_fleet_neg_status(NULL, 80, "neg1", zones, &n, why, sizeof(why)));
        assert_int_equal(n, 99);
}

static void
test_readiness(void **state)
{
        struct cc_fleet_cluster_result r = { 0 };
        cJSON *dep_new = parse("{\"metadata\":{\"generation\":2},\"status\":"
                               "{\"observedGeneration\":1,\"availableReplicas\":1}}");
        cJSON *dep_zero = parse("{\"metadata\":{\"generation\":1},\"status\":"
                                "{\"observedGeneration\":1,\"replicas\":2}}");
        cJSON *dep_ok = parse("{\"metadata\":{\"generation\":1},\"status\":"
                              "{\"observedGeneration\":1,\"conditions\":[{\"type\":\"Available\","
                              "\"status\":\"True\"}]}}");
        cJSON *dep_bad = parse("{\"metadata\":{\"generation\":\"x\"},\"status\":\"garbage\"}");
        cJSON *svc_none = parse("{\"metadata\":{}}");
        cJSON *svc_bad =
            parse("{\"metadata\":{\"annotations\":{\"cloud.google.com/neg-status\":\"{x\"}}}");
        cJSON *svc_num =
            parse("{\"metadata\":{\"annotations\":{\"cloud.google.com/neg-status\":5}}}");
        cJSON *svc_ok = parse("{\"metadata\":{\"annotations\":{\"cloud.google.com/neg-status\":"
                              "\"{\\\"zones\\\":[\\\"us-east1-b\\\"]}\"}}}");

        (void)state;
        snprintf(r.neg, sizeof(r.neg), "neg1");
        cc_fleet_readiness(NULL, svc_ok, "demo", "web-istio", 80, &r);
        assert_int_equal(r.state, CC_FLEET_PROGRESSING);
        assert_string_equal(r.message, "Deployment 'demo/web-istio' does not exist yet");
        assert_int_equal(r.nzones, 1); /* zones are known before the Deployment is ready */
        cc_fleet_readiness(dep_new, svc_ok, "demo", "web-istio", 80, &r);
        assert_int_equal(r.state, CC_FLEET_PROGRESSING);
        assert_non_null(strstr(r.message, "not observed yet"));
        cc_fleet_readiness(dep_zero, svc_ok, "demo", "web-istio", 80, &r);
        assert_string_equal(r.message, "Deployment 'demo/web-istio' has 0 of 2 replicas available");
        cc_fleet_readiness(dep_bad, svc_ok, "demo", "web-istio", 80, &r);
        assert_int_equal(r.state, CC_FLEET_PROGRESSING);
        cc_fleet_readiness(dep_ok, svc_none, "demo", "web-istio", 80, &r);
        assert_int_equal(r.state, CC_FLEET_PROGRESSING);
        assert_non_null(strstr(r.message, "no cloud.google.com/neg-status"));
        cc_fleet_readiness(dep_ok, svc_bad, "demo", "web-istio", 80, &r);
        assert_int_equal(r.state, CC_FLEET_PROGRESSING);
        assert_non_null(strstr(r.message, "unusable"));
        cc_fleet_readiness(dep_ok, svc_num, "demo", "web-istio", 80, &r);
        assert_int_equal(r.state, CC_FLEET_PROGRESSING);
        cc_fleet_readiness(dep_ok, NULL, "demo", "web-istio", 80, &r);
        assert_int_equal(r.state, CC_FLEET_PROGRESSING);
        cc_fleet_readiness(dep_ok, svc_ok, "demo", "web-istio", 80, &r);
        assert_int_equal(r.state, CC_FLEET_READY);
        assert_int_equal(r.nzones, 1);
        assert_string_equal(r.zones[0], "us-east1-b");
        cJSON_Delete(dep_new);
        cJSON_Delete(dep_zero);
        cJSON_Delete(dep_ok);
        cJSON_Delete(dep_bad);
        cJSON_Delete(svc_none);
        cJSON_Delete(svc_bad);
        cJSON_Delete(svc_num);
        cJSON_Delete(svc_ok);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_render_objects), cmocka_unit_test(test_render_deterministic),
                cmocka_unit_test(test_names),          cmocka_unit_test(test_long_route_name),
                cmocka_unit_test(test_render_invalid), cmocka_unit_test(test_render_nomem),
                cmocka_unit_test(test_subset),         cmocka_unit_test(test_neg_status),
                cmocka_unit_test(test_readiness),
        };

        cc_alloc_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
