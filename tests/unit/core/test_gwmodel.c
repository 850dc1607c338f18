/* test_gwmodel.c -- Gateway API snapshot: parsing, defaults, errors, lookups,
 * hostnames and label selectors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "core/alloc.h"
#include "core/gwmodel.h"
#include "core/yaml.h"

/* add_yaml -- parse a YAML stream into s; returns the first error. */
static cc_err
add_yaml(struct cc_gw_snapshot *s, const char *yaml, struct cc_diag *d)
{
        cJSON *docs = NULL;
        cc_err rc;

        rc = cc_yaml_to_json(yaml, strlen(yaml), &docs, d);
        assert_int_equal(rc, CC_OK);
        rc = cc_gw_snapshot_add_all(s, docs, d);
        cJSON_Delete(docs);
        return rc;
}

static const char *const full = "apiVersion: gateway.networking.k8s.io/v1\n"
                                "kind: Gateway\n"
                                "metadata: {name: gw, namespace: infra, generation: 3,\n"
                                "  labels: {team: a}}\n"
                                "spec:\n"
                                "  gatewayClassName: istio+gke\n"
                                "  addresses: [{value: 192.0.2.1}]\n"
                                "  infrastructure:\n"
                                "    labels: {k: v}\n"
                                "    annotations: {a: b}\n"
                                "    parametersRef: {group: '', kind: ConfigMap, name: p}\n"
                                "  listeners:\n"
                                "  - {name: http, port: 80, protocol: HTTP}\n"
                                "  - name: https\n"
                                "    port: 443\n"
                                "    protocol: HTTPS\n"
                                "    hostname: '*.example.com'\n"
                                "    tls:\n"
                                "      certificateRefs: [{name: cert, namespace: other}]\n"
                                "    allowedRoutes:\n"
                                "      namespaces:\n"
                                "        from: Selector\n"
                                "        selector:\n"
                                "          matchLabels: {env: prod}\n"
                                "          matchExpressions:\n"
                                "          - {key: tier, operator: In, values: [web, api]}\n"
                                "      kinds: [{kind: HTTPRoute}]\n"
                                "---\n"
                                "apiVersion: gateway.networking.k8s.io/v1\n"
                                "kind: HTTPRoute\n"
                                "metadata: {name: r, namespace: app}\n"
                                "spec:\n"
                                "  parentRefs: [{name: gw, namespace: infra, sectionName: https}]\n"
                                "  hostnames: [a.example.com]\n"
                                "  rules:\n"
                                "  - backendRefs: [{name: svc, port: 8080}]\n"
                                "  - matches: [{path: {value: /api}}, {headers: [{name: x, "
                                "value: 'y'}]}]\n"
                                "    filters: [{type: RequestHeaderModifier}]\n"
                                "    backendRefs: [{name: svc, port: 8080, weight: 3}]\n"
                                "---\n"
                                "apiVersion: gateway.networking.k8s.io/v1\n"
                                "kind: HTTPRoute\n"
                                "metadata: {name: bare, namespace: app}\n"
                                "spec: {parentRefs: [{name: gw}]}\n"
                                "---\n"
                                "apiVersion: v1\n"
                                "kind: Namespace\n"
                                "metadata: {name: app, labels: {env: prod}}\n"
                                "---\n"
                                "apiVersion: v1\n"
                                "kind: Service\n"
                                "metadata: {name: svc, namespace: app}\n"
                                "spec: {ports: [{port: 8080, appProtocol: http}]}\n"
                                "---\n"
                                "apiVersion: v1\n"
                                "kind: Secret\n"
                                "metadata: {name: cert, namespace: other}\n"
                                "type: kubernetes.io/tls\n"
                                "data:\n"
                                "  tls.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJmYWtlCi0tLS0"
                                "tRU5EIENFUlRJRklDQVRFLS0tLS0K\n"
                                "  tls.key: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUJmYWtlCi0tLS0"
                                "tRU5EIFBSSVZBVEUgS0VZLS0tLS0K\n"
                                "---\n"
                                "apiVersion: v1\n"
                                "kind: Secret\n"
                                "metadata: {name: bad, namespace: other}\n"
                                "stringData: {tls.crt: hello, tls.key: hello}\n"
                                "---\n"
                                "apiVersion: gateway.networking.k8s.io/v1beta1\n"
                                "kind: ReferenceGrant\n"
                                "metadata: {name: g, namespace: other}\n"
                                "spec:\n"
                                "  from: [{group: gateway.networking.k8s.io, kind: Gateway, "
                                "namespace: infra}]\n"
                                "  to: [{group: '', kind: Secret}]\n"
                                "---\n"
                                "apiVersion: networking.istio.io/v1\n"
                                "kind: Gateway\n"
                                "metadata: {name: istio-gw}\n"
                                "spec: {}\n"
                                "---\n"
                                "apiVersion: gateway.networking.k8s.io/v1\n"
                                "kind: GatewayClass\n"
                                "metadata: {name: c}\n"
                                "spec: {controllerName: cloudctl.dev/gateway-controller}\n";

static void
test_parse_full(void **state)
{
        struct cc_gw_snapshot s = CC_GW_SNAPSHOT_INIT;
        struct cc_diag d;
        const struct cc_gw_gateway *gw;
        const struct cc_gw_listener *l;
        const struct cc_gw_route *r;
        const struct cc_gw_namespace *ns;
        const struct cc_gw_secret *sec;

        (void)state;
        assert_int_equal(add_yaml(&s, full, &d), CC_OK);
        /* the Istio Gateway (another API group) is not ours */
        assert_int_equal(s.n_gateways, 1);
        assert_null(cc_gw_snapshot_gateway(&s, "default", "istio-gw"));
        gw = cc_gw_snapshot_gateway(&s, "infra", "gw");
        assert_non_null(gw);
        assert_int_equal(gw->meta.generation, 3);
        assert_string_equal(cc_gw_labels_get(&gw->meta.labels, "team"), "a");
        assert_string_equal(gw->class_name, "istio+gke");
        assert_int_equal(gw->n_addresses, 1);
        assert_string_equal(gw->addresses[0].type, "IPAddress"); /* default */
        assert_string_equal(gw->addresses[0].value, "192.0.2.1");
        assert_true(gw->has_infra_params);
        assert_string_equal(gw->infra_params.kind, "ConfigMap");
        assert_string_equal(cc_gw_labels_get(&gw->infra_labels, "k"), "v");
        assert_string_equal(cc_gw_labels_get(&gw->infra_annotations, "a"), "b");
        assert_int_equal(gw->n_listeners, 2);
        l = &gw->listeners[0];
        assert_int_equal(l->from, CC_GW_FROM_SAME); /* default */
        assert_null(l->hostname);
        assert_int_equal(l->n_kinds, 0);
        l = &gw->listeners[1];
        assert_int_equal(l->port, 443);
        assert_true(l->has_tls);
        assert_int_equal(l->tls_mode, CC_GW_TLS_TERMINATE); /* default */
        assert_int_equal(l->n_cert_refs, 1);
        assert_string_equal(l->cert_refs[0].group, "");
        assert_string_equal(l->cert_refs[0].kind, "Secret");
        assert_string_equal(l->cert_refs[0].ns, "other");
        assert_int_equal(l->from, CC_GW_FROM_SELECTOR);
        assert_true(l->has_selector);
        assert_int_equal(l->selector.n_exprs, 1);
        assert_int_equal(l->selector.exprs[0].n_values, 2);
        assert_string_equal(l->kinds[0].group, CC_GW_GROUP); /* default */

        r = cc_gw_snapshot_route(&s, CC_GW_HTTPROUTE, "app", "r");
        assert_non_null(r);
        assert_string_equal(r->parents[0].group, CC_GW_GROUP);
        assert_string_equal(r->parents[0].kind, "Gateway");
        assert_string_equal(r->parents[0].section, "https");
        assert_int_equal(r->n_rules, 2);
        /* rule without matches: PathPrefix "/" */
        assert_int_equal(r->rules[0].n_matches, 1);
        assert_string_equal(r->rules[0].matches[0].path_type, "PathPrefix");
        assert_string_equal(r->rules[0].matches[0].path_value, "/");
        assert_string_equal(r->rules[0].backends[0].kind, "Service");
        assert_string_equal(r->rules[0].backends[0].group, "");
        assert_int_equal(r->rules[0].backends[0].weight, 1);
        assert_null(r->rules[0].backends[0].ns);
        /* path without type: PathPrefix; match without path: PathPrefix "/" */
        assert_string_equal(r->rules[1].matches[0].path_type, "PathPrefix");
        assert_string_equal(r->rules[1].matches[0].path_value, "/api");
        assert_string_equal(r->rules[1].matches[1].path_value, "/");
        assert_non_null(cJSON_GetObjectItem(r->rules[1].matches[1].json, "headers"));
        assert_string_equal(
            cJSON_GetObjectItem(cJSON_GetObjectItem(r->rules[1].matches[1].json, "path"), "type")
                ->valuestring,
            "PathPrefix");
        assert_int_equal(cJSON_GetArraySize(r->rules[1].filters), 1);
        assert_int_equal(r->rules[1].backends[0].weight, 3);
        /* no rules at all: the CRD default rule */
        r = cc_gw_snapshot_route(&s, CC_GW_HTTPROUTE, "app", "bare");
        assert_int_equal(r->n_rules, 1);
        assert_int_equal(r->rules[0].n_matches, 1);
        assert_null(r->parents[0].ns);
        assert_null(cc_gw_snapshot_route(&s, CC_GW_GRPCROUTE, "app", "bare"));

        ns = cc_gw_snapshot_namespace(&s, "app");
        assert_string_equal(cc_gw_labels_get(&ns->meta.labels, "kubernetes.io/metadata.name"),
                            "app");
        assert_int_equal(cc_gw_snapshot_service(&s, "app", "svc")->ports[0].port, 8080);
        sec = cc_gw_snapshot_secret(&s, "other", "cert");
        assert_true(sec->has_crt && sec->has_key && sec->crt_pem && sec->key_pem);
        /* the PEM text is kept, decoded, exactly (no padding bytes) */
        assert_string_equal(sec->crt_data, "-----BEGIN CERTIFICATE-----\nMIIBfake\n"
                                           "-----END CERTIFICATE-----\n");
        assert_string_equal(sec->key_data, "-----BEGIN PRIVATE KEY-----\nMIIBfake\n"
                                           "-----END PRIVATE KEY-----\n");
        assert_int_equal(s.n_vault, 2);
        sec = cc_gw_snapshot_secret(&s, "other", "bad");
        assert_true(sec->has_crt && sec->has_key);
        assert_false(sec->crt_pem || sec->key_pem);
        assert_null(sec->crt_data);
        assert_null(sec->key_data);
        assert_int_equal(s.n_grants, 1);
        assert_null(s.grants[0]->to[0].name);
        assert_string_equal(cc_gw_snapshot_class(&s, "c")->controller_name,
                            "cloudctl.dev/gateway-controller");
        cc_gw_snapshot_release(&s);
}

static void
test_replace_same_key(void **state)
{
        struct cc_gw_snapshot s = CC_GW_SNAPSHOT_INIT;
        struct cc_diag d;

        (void)state;
        assert_int_equal(add_yaml(&s,
                                  "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n"
                                  "apiVersion: v1\nkind: Namespace\nmetadata: {name: a, "
                                  "labels: {x: 'y'}}\n",
                                  &d),
                         CC_OK);
        assert_int_equal(s.n_namespaces, 1);
        assert_string_equal(cc_gw_labels_get(&s.namespaces[0]->meta.labels, "x"), "y");
        assert_ptr_equal(cc_gw_snapshot_namespace(&s, "a"), s.namespaces[0]);
        cc_gw_snapshot_release(&s);
}

static void
test_parse_errors(void **state)
{
        static const struct {
                const char *yaml, *msg;
        } cases[] = {
                { "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
                  "metadata: {name: g, namespace: ns}\nspec:\n  gatewayClassName: x\n"
                  "  listeners:\n  - {name: a, port: 80, protocol: HTTP}\n"
                  "  - {name: b, port: 81, protocol: HTTP}\n"
                  "  - {name: c, port: '80', protocol: HTTP}\n",
                  "gateway 'ns/g': field 'spec.listeners[2].port': expected integer, got string" },
                { "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
                  "metadata: {name: g}\nspec: {listeners: []}\n",
                  "gateway 'default/g': field 'spec.gatewayClassName': required field missing" },
                { "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
                  "metadata: {name: g, namespace: ns}\nspec:\n  gatewayClassName: x\n"
                  "  listeners: [{name: a, port: 80.5, protocol: HTTP}]\n",
                  "gateway 'ns/g': field 'spec.listeners[0].port': expected integer, got 80.5" },
                { "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
                  "metadata: {name: g, namespace: ns}\nspec:\n  gatewayClassName: x\n"
                  "  listeners:\n  - name: a\n    port: 80\n    protocol: HTTP\n"
                  "    allowedRoutes: {namespaces: {from: Everywhere}}\n",
                  "gateway 'ns/g': field 'spec.listeners[0].allowedRoutes.namespaces.from': "
                  "unsupported value 'Everywhere' (expected one of Same, All, Selector)" },
                { "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
                  "metadata: {name: r, namespace: ns}\n"
                  "spec: {rules: [{backendRefs: [{port: 80}]}]}\n",
                  "httproute 'ns/r': field 'spec.rules[0].backendRefs[0].name': required field "
                  "missing" },
                { "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
                  "metadata: {name: r, namespace: ns}\nspec: {hostnames: [1]}\n",
                  "httproute 'ns/r': field 'spec.hostnames[0]': expected string, got number" },
                { "apiVersion: gateway.networking.k8s.io/v1\nkind: ReferenceGrant\n"
                  "metadata: {name: g, namespace: ns}\nspec: {from: [], to: {}}\n",
                  "referencegrant 'ns/g': field 'spec.to': expected array, got object" },
                { "apiVersion: v1\nkind: Namespace\nmetadata: {labels: {a: b}}\n",
                  "namespace '?': field 'metadata.name': required field missing" },
                { "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: ns, labels: "
                  "{a: 1}}\n",
                  "service 'ns/s': field 'metadata.labels.a': expected string, got number" },
                { "kind: Service\n", "invalid object: field 'apiVersion': expected string, got "
                                     "null" },
        };
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct cc_gw_snapshot s = CC_GW_SNAPSHOT_INIT;
                struct cc_diag d;

                cc_diag_clear(&d);
                assert_int_equal(add_yaml(&s, cases[i].yaml, &d), CC_INVAL);
                assert_string_equal(d.message, cases[i].msg);
                /* a failed object is not visible */
                assert_int_equal(
                    s.n_gateways + s.n_routes + s.n_grants + s.n_namespaces + s.n_services, 0);
                cc_gw_snapshot_release(&s);
        }
}

/* well-typed values the CRD would reject are kept for the semantics layer */
static void
test_keeps_crd_invalid_values(void **state)
{
        struct cc_gw_snapshot s = CC_GW_SNAPSHOT_INIT;
        struct cc_buf b = CC_BUF_INIT(0);
        struct cc_diag d;
        int i;

        (void)state;
        assert_int_equal(cc_buf_puts(&b, "apiVersion: gateway.networking.k8s.io/v1\nkind: "
                                         "Gateway\nmetadata: {name: g}\nspec:\n  "
                                         "gatewayClassName: istio+gke\n  listeners:\n"),
                         CC_OK);
        for (i = 0; i < 70; i++)
                assert_int_equal(cc_buf_printf(&b,
                                               "  - {name: l%d, port: %d, protocol: HTTP, "
                                               "hostname: 'Bad_Host'}\n",
                                               i, 1000 + i),
                                 CC_OK);
        assert_int_equal(add_yaml(&s, cc_buf_str(&b), &d), CC_OK);
        assert_int_equal(s.gateways[0]->n_listeners, 70);
        assert_string_equal(s.gateways[0]->listeners[69].hostname, "Bad_Host");
        cc_buf_release(&b);
        cc_gw_snapshot_release(&s);
}

static void
test_hostname_valid(void **state)
{
        static const struct {
                const char *h;
                bool ok;
        } cases[] = {
                { "example.com", true }, { "*.example.com", true },
                { "a-b.c1.io", true },   { "localhost", true },
                { "*", false },          { "*example.com", false },
                { "a.*.com", false },    { "Example.com", false },
                { "-a.com", false },     { "a-.com", false },
                { "a..com", false },     { ".a.com", false },
                { "a.com.", false },     { "a_b.com", false },
                { "192.0.2.1", false },  { "2001:db8::1", false },
                { "", false },
        };
        char big[300];
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                if (cc_gw_hostname_valid(cases[i].h) != cases[i].ok)
                        fail_msg("hostname '%s': expected %s", cases[i].h,
                                 cases[i].ok ? "valid" : "invalid");
        }
        memset(big, 'a', sizeof(big));
        big[64] = '\0'; /* a 64-character label */
        assert_false(cc_gw_hostname_valid(big));
        for (i = 0; i < 4; i++)
                memcpy(big + i * 64,
                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.", 64);
        big[255] = '\0'; /* 255 characters */
        big[254] = 'a';
        assert_false(cc_gw_hostname_valid(big));
}

static void
test_hostname_intersection(void **state)
{
        static const struct {
                const char *listener, *route, *want; /* want NULL = no intersection */
        } cases[] = {
                /* the table of the Gateway API hostnames concept page */
                { "www.example.com", "www.example.com", "www.example.com" },
                { "*.example.com", "www.example.com", "www.example.com" },
                { "*.example.com", "sub.domain.example.com", "sub.domain.example.com" },
                { "www.example.com", "*.example.com", "www.example.com" },
                { "*.example.com", "*.example.com", "*.example.com" },
                { "*.com", "*.example.com", "*.example.com" },
                { "*.example.com", "*.com", "*.example.com" },
                { NULL, "foo.bar", "foo.bar" },
                { "", "*.bar", "*.bar" },
                { "foo.bar", NULL, "foo.bar" },
                { "Foo.Example.com", "foo.example.com", "foo.example.com" },
                /* no intersection */
                { "www.example.com", "web.example.com", NULL },
                { "*.example.com", "example.com", NULL }, /* the suffix alone never */
                { "example.com", "*.example.com", NULL },
                { "*.example.com", "wwwexample.com", NULL },
                { "*.example.com", "*.example.org", NULL },
                { "*.a.example.com", "*.b.example.com", NULL },
                { "*.wildcard.io", "wildcard.io", NULL },
                { "*.wildcard.io", "foo.bar.wildcard.io", "foo.bar.wildcard.io" },
                { "very.specific.com", "*.specific.com", "very.specific.com" },
                { "*.anotherwildcard.io", "*.anotherwildcard.io", "*.anotherwildcard.io" },
                { "*.io", "*.wildcard.io", "*.wildcard.io" },
                { "*.specific.com", "specific.com", NULL },
        };
        const char *out;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                bool ok = cc_gw_hostname_intersect(cases[i].listener, cases[i].route, &out);

                if (ok != (cases[i].want != NULL) || (ok && strcmp(out, cases[i].want) != 0))
                        fail_msg("case %zu: listener '%s' route '%s': got %s, want %s", i,
                                 cases[i].listener ? cases[i].listener : "(none)",
                                 cases[i].route ? cases[i].route : "(none)",
                                 ok ? out : "no intersection",
                                 cases[i].want ? cases[i].want : "no intersection");
        }
}

static void
test_selector(void **state)
{
        struct cc_gw_kv kv[] = { { "env", "prod" }, { "tier", "web" } };
        struct cc_gw_labels labels = { kv, 2 }, none = { NULL, 0 };
        struct cc_gw_kv ml[] = { { "env", "prod" } };
        const char *vals[] = { "web", "api" };
        struct cc_gw_expr in = { "tier", CC_GW_OP_IN, vals, 2 };
        struct cc_gw_expr notin = { "tier", CC_GW_OP_NOTIN, vals, 2 };
        struct cc_gw_expr exists = { "tier", CC_GW_OP_EXISTS, NULL, 0 };
        struct cc_gw_expr absent = { "tier", CC_GW_OP_DOESNOTEXIST, NULL, 0 };
        struct cc_gw_selector empty = { { NULL, 0 }, NULL, 0 };
        struct cc_gw_selector s1 = { { ml, 1 }, &in, 1 };
        struct cc_gw_selector s2 = { { NULL, 0 }, &notin, 1 };
        struct cc_gw_selector s3 = { { NULL, 0 }, &exists, 1 };
        struct cc_gw_selector s4 = { { NULL, 0 }, &absent, 1 };

        (void)state;
        assert_true(cc_gw_selector_matches(&empty, &labels));
        assert_true(cc_gw_selector_matches(&empty, &none));
        assert_true(cc_gw_selector_matches(&s1, &labels));
        assert_false(cc_gw_selector_matches(&s1, &none));
        assert_false(cc_gw_selector_matches(&s2, &labels));
        assert_true(cc_gw_selector_matches(&s2, &none)); /* NotIn matches an absent key */
        assert_true(cc_gw_selector_matches(&s3, &labels));
        assert_false(cc_gw_selector_matches(&s3, &none));
        assert_false(cc_gw_selector_matches(&s4, &labels));
        assert_true(cc_gw_selector_matches(&s4, &none));
        kv[1].value = "db";
        assert_false(cc_gw_selector_matches(&s1, &labels));
}

static void
test_alloc_failure(void **state)
{
        cJSON *docs = NULL;
        struct cc_diag d;
        unsigned long n;
        cc_err rc;

        (void)state;
        assert_int_equal(cc_yaml_to_json(full, strlen(full), &docs, &d), CC_OK);
        for (n = 1;; n++) {
                struct cc_gw_snapshot s = CC_GW_SNAPSHOT_INIT;

                cc_alloc_fail_at(n, false);
                rc = cc_gw_snapshot_add_all(&s, docs, &d);
                cc_alloc_fail_at(0, false);
                cc_gw_snapshot_release(&s);
                if (rc == CC_OK)
                        break;
                assert_int_equal(rc, CC_NOMEM);
                assert_true(strstr(d.message, "out of memory") != NULL);
        }
        assert_true(n > 10);
        cJSON_Delete(docs);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_full),
                cmocka_unit_test(test_replace_same_key),
                cmocka_unit_test(test_parse_errors),
                cmocka_unit_test(test_keeps_crd_invalid_values),
                cmocka_unit_test(test_hostname_valid),
                cmocka_unit_test(test_hostname_intersection),
                cmocka_unit_test(test_selector),
                cmocka_unit_test(test_alloc_failure),
        };
        cc_alloc_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
