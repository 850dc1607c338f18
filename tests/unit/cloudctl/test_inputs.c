/* test_inputs.c -- manifests + config -> provider inputs: served, skipped
 * and invalid Gateways, NEG names from the clusters' Services, zones. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "cloudctl/inputs.h"
#include "core/alloc.h"
#include "core/yaml.h"
#include "lib/testlib.h"

static const char *const east_zones[] = { "us-east1-b", "us-east1-c", NULL };
static const char *const west_zones[] = { "europe-west1-b", NULL };

static const char *const *
zones_of(const char *neg, void *ud)
{
        (void)ud;
        if (strstr(neg, "-east-"))
                return east_zones;
        if (strstr(neg, "-west-"))
                return west_zones;
        return NULL;
}

static const char *const *
no_zones(const char *neg, void *ud)
{
        return NULL;
}

static void
test_basic(void **state)
{
        struct cc_config cfg;
        struct cc_inputs in;
        struct cc_strv negs = CC_STRV_INIT;
        struct cc_diag d;
        char path[4096];
        const char *paths[1];
        const struct cc_lb_gateway *gw;

        assert_int_equal(
            cc_config_load(cc_test_path("fixtures/plan/basic/cloudctl.yaml"), &cfg, &d), CC_OK);
        snprintf(path, sizeof(path), "%s", cc_test_path("fixtures/plan/basic/gateways.yaml"));
        paths[0] = path;
        assert_int_equal(cc_inputs_load(&in, &cfg, paths, 1, &d), CC_OK);
        assert_int_equal(in.errors.n, 0);
        assert_int_equal(in.ngws, 1);
        assert_true(cc_strv_contains(&in.notes,
                                     "skipping gateway 'shop/internal': class 'other-lb' "
                                     "is not served by cloudctl"));
        gw = &in.gws[0].lb;
        assert_string_equal(gw->ns, "shop");
        assert_string_equal(gw->name, "web");
        assert_int_equal(gw->nlisteners, 2);
        assert_int_equal(gw->listeners[0].protocol, CC_LB_HTTPS);
        assert_string_equal(gw->listeners[0].hostname, "www.example.com");
        assert_int_equal(gw->serving_port, 80);
        assert_int_equal(gw->nclusters, 2);
        assert_int_equal(gw->clusters[1].weight, 50);

        assert_int_equal(cc_inputs_neg_names(&in, &negs), CC_OK);
        assert_int_equal(negs.n, 2);
        assert_string_equal(negs.v[0], "cc1-neg-east-shop-web");
        cc_strv_release(&negs);

        assert_int_equal(cc_inputs_set_zones(&in, &cfg, zones_of, NULL), CC_OK);
        assert_int_equal(gw->clusters[0].nnegs, 2);
        assert_string_equal(gw->clusters[0].negs[1].zone, "us-east1-c");
        assert_int_equal(gw->clusters[1].nnegs, 1);

        /* a NEG found in no zone is left out and said so, never made up */
        assert_int_equal(cc_inputs_set_zones(&in, &cfg, no_zones, NULL), CC_OK);
        assert_int_equal(gw->clusters[0].nnegs, 0);
        assert_non_null(in.notes.v[in.notes.n - 1]);
        assert_non_null(strstr(in.notes.v[in.notes.n - 1], "was found in no zone"));
        cc_inputs_release(&in);
        cc_config_release(&cfg);
}

static bool
has_error(const struct cc_inputs *in, const char *a, const char *b)
{
        size_t i;

        for (i = 0; i < in->errors.n; i++)
                if (strstr(in->errors.v[i], a) && (!b || strstr(in->errors.v[i], b)))
                        return true;
        return false;
}

static void
test_invalid(void **state)
{
        struct cc_config cfg;
        struct cc_inputs in;
        struct cc_diag d;
        char p1[4096], p2[4096];
        const char *paths[2];
        size_t i;

        assert_int_equal(
            cc_config_load(cc_test_path("fixtures/plan/basic/cloudctl.yaml"), &cfg, &d), CC_OK);
        snprintf(p1, sizeof(p1), "%s", cc_test_path("fixtures/plan/invalid"));
        snprintf(p2, sizeof(p2), "%s", cc_test_path("fixtures/plan/basic/gateways.yaml"));
        paths[0] = p1;
        paths[1] = p2;
        assert_int_equal(cc_inputs_load(&in, &cfg, paths, 2, &d), CC_OK);
        for (i = 0; i < in.errors.n; i++)
                print_message("error: %s\n", in.errors.v[i]);
        /* the valid Gateway still goes ahead */
        assert_int_equal(in.ngws, 1);
        assert_string_equal(in.gws[0].lb.name, "web");
        assert_true(has_error(&in, "gateway 'bad/tcp'", "UnsupportedProtocol"));
        assert_true(has_error(&in, "gateway 'bad/badhost'", "hostname"));
        assert_true(has_error(&in, "gateway 'bad/badport'",
                              "field 'spec.listeners[0].port': expected integer, got string"));
        assert_true(has_error(&in, "gateway 'bad/many'", "64"));
        assert_true(has_error(&in, "gateway 'bad/typo': field 'spec.gatewayClassName'",
                              "unknown composite class 'istio+gcp'"));
        assert_int_equal(in.errors.n, 5);
        cc_inputs_release(&in);
        cc_config_release(&cfg);
}

static void
test_neg_annotation(void **state)
{
        char name[64];
        int port = 0;

        assert_true(cc_neg_annotation_parse(
            "{\"exposed_ports\":{\"443\":{\"name\":\"b\"},\"80\":{\"name\":\"a\"}}}", name,
            sizeof(name), &port));
        assert_string_equal(name, "a");
        assert_int_equal(port, 80);
        assert_false(cc_neg_annotation_parse("{\"ingress\":true}", name, sizeof(name), &port));
        assert_false(
            cc_neg_annotation_parse("{\"exposed_ports\":{\"80\":{}}}", name, sizeof(name), &port));
        assert_false(cc_neg_annotation_parse("not json", name, sizeof(name), &port));
        assert_false(cc_neg_annotation_parse(NULL, name, sizeof(name), &port));
}

/* the controller's sequence: a Gateway with a Secret certificate, a
 * rejected listener and one whose Secret is missing -> the valid listeners
 * only, with the Secret's PEMs (borrowed from the snapshot) */
#define PEM_CRT "-----BEGIN CERTIFICATE-----\nMIIBcrt\n-----END CERTIFICATE-----\n"
#define PEM_KEY "-----BEGIN PRIVATE KEY-----\nMIIBkey\n-----END PRIVATE KEY-----\n"

static void
test_listeners_and_certificates(void **state)
{
        static const char yaml[] =
            "apiVersion: gateway.networking.k8s.io/v1\n"
            "kind: Gateway\n"
            "metadata: {name: web, namespace: shop}\n"
            "spec:\n"
            "  gatewayClassName: istio+gke\n"
            "  listeners:\n"
            "  - {name: https, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: tls}]}}\n"
            "  - {name: tcp, port: 9000, protocol: TCP}\n"
            "  - {name: gone, port: 443, protocol: HTTPS, hostname: b.example.com,\n"
            "     tls: {certificateRefs: [{name: missing}]}}\n"
            "  - {name: http, port: 80, protocol: HTTP}\n"
            "---\n"
            "apiVersion: v1\n"
            "kind: Secret\n"
            "metadata: {name: tls, namespace: shop}\n"
            "type: kubernetes.io/tls\n"
            "stringData:\n"
            "  tls.crt: |\n"
            "    -----BEGIN CERTIFICATE-----\n"
            "    MIIBcrt\n"
            "    -----END CERTIFICATE-----\n"
            "  tls.key: |\n"
            "    -----BEGIN PRIVATE KEY-----\n"
            "    MIIBkey\n"
            "    -----END PRIVATE KEY-----\n";
        struct cc_config cfg;
        struct cc_inputs in;
        struct cc_diag d;
        const struct cc_lb_gateway *gw;
        cJSON *docs = NULL, *o;

        (void)state;
        assert_int_equal(
            cc_config_load(cc_test_path("fixtures/plan/basic/cloudctl.yaml"), &cfg, &d), CC_OK);
        memset(&in, 0, sizeof(in));
        cc_gw_snapshot_init(&in.snap);
        assert_int_equal(cc_inputs_load_services(&in, &cfg, &d), CC_OK);
        assert_int_equal(cc_yaml_to_json(yaml, strlen(yaml), &docs, &d), CC_OK);
        cJSON_ArrayForEach(o, docs)
        {
                assert_int_equal(cc_gw_snapshot_add(&in.snap, o, NULL, &d), CC_OK);
        }
        cJSON_Delete(docs);
        assert_int_equal(cc_inputs_classify(&in, &cfg, &d), CC_OK);
        assert_int_equal(in.errors.n, 0);
        assert_int_equal(in.ngws, 1);
        gw = &in.gws[0].lb;
        assert_int_equal(gw->nlisteners, 2);
        assert_string_equal(gw->listeners[0].name, "https");
        assert_int_equal(gw->listeners[0].protocol, CC_LB_HTTPS);
        assert_null(gw->listeners[0].hostname);
        assert_string_equal(gw->listeners[0].cert_pem, PEM_CRT);
        assert_string_equal(gw->listeners[0].key_pem, PEM_KEY);
        assert_string_equal(gw->listeners[1].name, "http");
        assert_null(gw->listeners[1].cert_pem);
        assert_null(gw->listeners[1].key_pem);
        assert_true(cc_strv_contains(
            &in.notes,
            "gateway 'shop/web': listener 'tcp' is not provisioned (UnsupportedProtocol)"));
        assert_true(cc_strv_contains(
            &in.notes,
            "gateway 'shop/web': listener 'gone' is not provisioned (InvalidCertificateRef)"));
        /* the next pass starts empty; the PEMs went with the snapshot */
        cc_inputs_reset(&in);
        assert_int_equal(in.ngws, 0);
        assert_int_equal(in.snap.n_vault, 0);
        cc_inputs_release(&in);
        cc_config_release(&cfg);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_basic),
                cmocka_unit_test(test_invalid),
                cmocka_unit_test(test_neg_annotation),
                cmocka_unit_test(test_listeners_and_certificates),
        };
        cc_alloc_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
