/* test_plan.c -- diff and plan: field-by-field compare, ordering, replace,
 * cycles, stable printing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "core/alloc.h"
#include "core/graph.h"
#include "core/plan.h"

static const char *const bs_unordered[] = { "backends", NULL };
static const char *const addr_backrefs[] = { "users", NULL };
static const char *const fr_immutable[] = { "IPAddress", "portRange", NULL };

static const struct cc_kind k_hc = { .name = "compute.healthCheck", .label = "health check" };
static const struct cc_kind k_bs = { .name = "compute.backendService",
                                     .label = "backend service",
                                     .flags = CC_KIND_FINGERPRINT,
                                     .unordered = bs_unordered };
static const struct cc_kind k_um = { .name = "compute.urlMap", .label = "url map" };
static const struct cc_kind k_addr = { .name = "compute.address",
                                       .label = "address",
                                       .backrefs = addr_backrefs };
static const struct cc_kind k_fr = { .name = "compute.forwardingRule",
                                     .label = "forwarding rule",
                                     .immutable = fr_immutable };
static const struct cc_kind k_cert = { .name = "compute.sslCertificate",
                                       .label = "certificate",
                                       .flags = CC_KIND_NO_UPDATE };

#define P "projects/p/global/"

static struct cc_node *
add(struct cc_graph *g, const struct cc_kind *k, const char *key, const char *desired,
    const char *observed)
{
        struct cc_node *n = NULL;

        assert_int_equal(cc_graph_add(g, k, key, &n), CC_OK);
        if (desired) {
                cc_node_set_desired(n, cJSON_Parse(desired));
                assert_non_null(n->desired);
        }
        if (observed) {
                cc_node_set_observed(n, cJSON_Parse(observed));
                assert_non_null(n->observed);
                n->flags |= CC_NODE_OWNED;
        }
        return n;
}

static void
test_diff_rules(void **state)
{
        struct cc_strv changed = CC_STRV_INIT;
        bool replace = true;
        cJSON *d = cJSON_Parse(
            "{\"name\":\"bs\",\"healthChecks\":[\"projects/p/global/healthChecks/hc\"],"
            "\"backends\":[{\"group\":\"projects/p/zones/a/networkEndpointGroups/n1\","
            "\"capacityScaler\":0.5},{\"group\":\"projects/p/zones/b/networkEndpointGroups/n2\","
            "\"capacityScaler\":1}],\"customRequestHeaders\":[],\"description\":\"\"}");
        /* observed: canonical URLs, server defaults, output-only fields, backends
         * in another order, the empty list omitted */
        cJSON *o = cJSON_Parse(
            "{\"name\":\"bs\",\"kind\":\"compute#backendService\",\"id\":\"123\","
            "\"selfLink\":\"https://www.googleapis.com/compute/v1/projects/p/global/"
            "backendServices/bs\",\"timeoutSec\":30,\"fingerprint\":\"abc=\","
            "\"healthChecks\":[\"https://www.googleapis.com/compute/v1/projects/p/global/"
            "healthChecks/hc\"],\"backends\":[{\"group\":\"https://www.googleapis.com/compute/"
            "v1/projects/p/zones/b/networkEndpointGroups/n2\",\"capacityScaler\":1.0,"
            "\"balancingMode\":\"RATE\"},{\"group\":\"http://127.0.0.1:9/compute/v1/projects/p/"
            "zones/a/networkEndpointGroups/n1\",\"capacityScaler\":0.5000000000001}]}");

        assert_int_equal(cc_diff(&k_bs, d, o, &changed, &replace), CC_OK);
        assert_int_equal(changed.n, 0);
        assert_false(replace);

        /* a changed scaler and a changed nested field are reported by path */
        cJSON_SetNumberValue(cJSON_GetArrayItem(cJSON_GetObjectItem(d, "backends"), 0)->child->next,
                             0.0);
        cJSON_AddItemToObject(d, "logConfig", cJSON_Parse("{\"enable\":true,\"sampleRate\":1}"));
        cJSON_AddItemToObject(o, "logConfig", cJSON_Parse("{\"enable\":false,\"sampleRate\":1}"));
        assert_int_equal(cc_diff(&k_bs, d, o, &changed, &replace), CC_OK);
        assert_int_equal(changed.n, 2);
        assert_string_equal(changed.v[0], "backends");
        assert_string_equal(changed.v[1], "logConfig.enable");
        cc_strv_release(&changed);
        cJSON_Delete(d);
        cJSON_Delete(o);

        /* immutable field change => replace */
        d = cJSON_Parse("{\"IPAddress\":\"1.2.3.4\",\"portRange\":\"443-443\"}");
        o = cJSON_Parse("{\"IPAddress\":\"1.2.3.4\",\"portRange\":\"80-80\"}");
        assert_int_equal(cc_diff(&k_fr, d, o, &changed, &replace), CC_OK);
        assert_true(replace);
        assert_string_equal(changed.v[0], "portRange");
        cc_strv_release(&changed);
        cJSON_Delete(d);
        cJSON_Delete(o);

        assert_string_equal(cc_ref_suffix("//certificatemanager.googleapis.com/projects/p/"
                                          "locations/global/certificateMaps/m"),
                            "projects/p/locations/global/certificateMaps/m");
        assert_string_equal(cc_ref_suffix("plain-name"), "plain-name");
        assert_string_equal(cc_ref_suffix("https://example.com/x"), "https://example.com/x");
}

static void
test_create_order_and_print(void **state)
{
        struct cc_graph g = CC_GRAPH_INIT;
        struct cc_plan plan = CC_PLAN_INIT;
        struct cc_buf out = CC_BUF_INIT(0);
        struct cc_diag d;
        struct cc_node *n;
        size_t i;

        n = add(&g, &k_fr, P "forwardingRules/fr", "{\"portRange\":\"80\"}", NULL);
        cc_node_add_dep(n, P "addresses/ip");
        cc_node_add_dep(n, P "urlMaps/um");
        n = add(&g, &k_um, P "urlMaps/um", "{\"defaultService\":\"x\"}", NULL);
        cc_node_add_dep(n, P "backendServices/bs");
        n = add(&g, &k_bs, P "backendServices/bs", "{\"timeoutSec\":30}", NULL);
        cc_node_add_dep(n, P "healthChecks/hc");
        cc_node_add_dep(n, "projects/p/zones/a/networkEndpointGroups/neg"); /* not in graph */
        add(&g, &k_hc, P "healthChecks/hc", "{\"type\":\"HTTP\"}", NULL);
        add(&g, &k_addr, P "addresses/ip", "{\"ipVersion\":\"IPV4\"}", NULL);

        assert_int_equal(cc_plan_build(&g, &plan, &d), CC_OK);
        assert_int_equal(plan.n, 5);
        assert_int_equal(plan.ncreate, 5);
        /* every step comes after the steps it depends on */
        for (i = 0; i < plan.n; i++) {
                size_t j;

                for (j = 0; j < plan.steps[i].nafter; j++)
                        assert_true(plan.steps[i].after[j] < i);
        }
        assert_int_equal(cc_plan_print(&plan, &out), CC_OK);
        assert_string_equal(cc_buf_str(&out), "+ address 'ip'\n"
                                              "+ health check 'hc'\n"
                                              "+ backend service 'bs'\n"
                                              "+ url map 'um'\n"
                                              "+ forwarding rule 'fr'\n"
                                              "plan: 5 to create, 0 to update, 0 to replace, 0 to "
                                              "delete\n");
        cc_buf_release(&out);
        cc_plan_release(&plan);
        cc_graph_release(&g);
}

static void
test_converged_is_empty(void **state)
{
        struct cc_graph g = CC_GRAPH_INIT;
        struct cc_plan plan = CC_PLAN_INIT;
        struct cc_diag d;

        add(&g, &k_hc, P "healthChecks/hc", "{\"type\":\"HTTP\",\"checkIntervalSec\":5}",
            "{\"type\":\"HTTP\",\"checkIntervalSec\":5,\"id\":\"1\",\"kind\":\"x\"}");
        add(&g, &k_addr, P "addresses/foreign", NULL, "{\"address\":\"1.1.1.1\"}")->flags &=
            ~(unsigned)CC_NODE_OWNED;
        assert_int_equal(cc_plan_build(&g, &plan, &d), CC_OK);
        /* nothing to do, and a foreign resource is never deleted */
        assert_int_equal(plan.n, 0);
        cc_plan_release(&plan);
        cc_graph_release(&g);
}

static void
test_repoint_then_delete(void **state)
{
        struct cc_graph g = CC_GRAPH_INIT;
        struct cc_plan plan = CC_PLAN_INIT;
        struct cc_buf out = CC_BUF_INIT(0);
        struct cc_diag d;
        struct cc_node *n;

        /* the url map moves from bs-old to bs-new; bs-old goes after the move,
         * bs-new comes before it; the address's back-reference is not an edge */
        n = add(&g, &k_um, P "urlMaps/um",
                "{\"defaultService\":\"projects/p/global/backendServices/bs-new\"}",
                "{\"defaultService\":\"https://www.googleapis.com/compute/v1/projects/p/global/"
                "backendServices/bs-old\"}");
        cc_node_add_dep(n, P "backendServices/bs-new");
        add(&g, &k_bs, P "backendServices/bs-new", "{\"timeoutSec\":30}", NULL);
        add(&g, &k_bs, P "backendServices/bs-old", NULL,
            "{\"timeoutSec\":30,\"usedBy\":[{\"reference\":\"x\"}]}");
        add(&g, &k_addr, P "addresses/ip", NULL,
            "{\"users\":[\"https://www.googleapis.com/compute/v1/projects/p/global/urlMaps/um\"]}");

        assert_int_equal(cc_plan_build(&g, &plan, &d), CC_OK);
        assert_int_equal(cc_plan_print(&plan, &out), CC_OK);
        assert_string_equal(cc_buf_str(&out), "- address 'ip'\n"
                                              "+ backend service 'bs-new'\n"
                                              "~ url map 'um' (defaultService)\n"
                                              "- backend service 'bs-old'\n"
                                              "plan: 1 to create, 1 to update, 0 to replace, 2 to "
                                              "delete\n");
        cc_buf_release(&out);
        cc_plan_release(&plan);
        cc_graph_release(&g);
}

static void
test_replace_rules(void **state)
{
        struct cc_graph g = CC_GRAPH_INIT;
        struct cc_plan plan = CC_PLAN_INIT;
        struct cc_diag d;

        /* a leaf forwarding rule can be replaced in place */
        add(&g, &k_fr, P "forwardingRules/fr", "{\"portRange\":\"443-443\"}",
            "{\"portRange\":\"80-80\"}");
        assert_int_equal(cc_plan_build(&g, &plan, &d), CC_OK);
        assert_int_equal(plan.nreplace, 1);
        cc_plan_release(&plan);

        /* a certificate (no update API) referenced by an unchanged proxy cannot */
        add(&g, &k_cert, P "sslCertificates/c", "{\"managed\":{\"domains\":[\"b\"]}}",
            "{\"managed\":{\"domains\":[\"a\"]}}");
        add(&g, &k_um, P "targetHttpsProxies/tp", "{\"x\":1}",
            "{\"x\":1,\"sslCertificates\":[\"https://www.googleapis.com/compute/v1/projects/p/"
            "global/sslCertificates/c\"]}");
        assert_int_equal(cc_plan_build(&g, &plan, &d), CC_INVAL);
        assert_string_equal(d.message, "cannot replace certificate 'c' in place: url map 'tp' "
                                       "references it");
        assert_int_equal(plan.n, 0);
        cc_graph_release(&g);
}

static void
test_cycle(void **state)
{
        struct cc_graph g = CC_GRAPH_INIT;
        struct cc_plan plan = CC_PLAN_INIT;
        struct cc_diag d;

        cc_node_add_dep(add(&g, &k_hc, P "healthChecks/a", "{}", NULL), P "healthChecks/b");
        cc_node_add_dep(add(&g, &k_hc, P "healthChecks/b", "{}", NULL), P "healthChecks/c");
        cc_node_add_dep(add(&g, &k_hc, P "healthChecks/c", "{}", NULL), P "healthChecks/a");
        add(&g, &k_hc, P "healthChecks/free", "{}", NULL);
        assert_int_equal(cc_plan_build(&g, &plan, &d), CC_INVAL);
        assert_non_null(strstr(d.message, "dependency cycle: "));
        assert_non_null(strstr(d.message, "health check 'a'"));
        assert_non_null(strstr(d.message, "health check 'b'"));
        assert_non_null(strstr(d.message, "health check 'c'"));
        assert_null(strstr(d.message, "free"));
        cc_graph_release(&g);
}

static void
test_dep_on_deleted_is_a_bug(void **state)
{
        struct cc_graph g = CC_GRAPH_INIT;
        struct cc_plan plan = CC_PLAN_INIT;
        struct cc_diag d;

        cc_node_add_dep(add(&g, &k_bs, P "backendServices/bs", "{}", NULL), P "healthChecks/hc");
        add(&g, &k_hc, P "healthChecks/hc", NULL, "{}");
        assert_int_equal(cc_plan_build(&g, &plan, &d), CC_INTERNAL);
        assert_non_null(strstr(d.message, "which is being deleted"));
        cc_graph_release(&g);
}

static void
test_delete_blocked_by_foreign_user(void **state)
{
        struct cc_graph g = CC_GRAPH_INIT;
        struct cc_plan plan = CC_PLAN_INIT;
        struct cc_diag d;
        struct cc_node *um;

        /* our backend service is no longer wanted, but a url map that is not
         * ours still names it: the plan says so instead of failing mid-walk */
        add(&g, &k_bs, P "backendServices/bs", NULL, "{}");
        um = add(&g, &k_um, P "urlMaps/theirs", NULL,
                 "{\"defaultService\":\"https://www.googleapis.com/compute/v1/projects/p/global/"
                 "backendServices/bs\"}");
        um->flags = 0; /* foreign: never deleted */
        assert_int_equal(cc_plan_build(&g, &plan, &d), CC_CONFLICT);
        assert_string_equal(d.message, "cannot delete backend service 'bs': url map 'theirs' still "
                                       "references it");
        cc_graph_release(&g);
}

static void
test_deferred_values(void **state)
{
        struct cc_graph g = CC_GRAPH_INIT;
        struct cc_plan plan = CC_PLAN_INIT;
        struct cc_diag d;
        struct cc_node *fr, *ip;
        char ref[256];
        size_t left = 9;

        cc_ref_make(ref, sizeof(ref), P "addresses/ip", "address");
        assert_string_equal(ref, "${ref:projects/p/global/addresses/ip:address}");
        fr = add(&g, &k_fr, P "forwardingRules/fr", "{\"portRange\":\"80-80\"}", NULL);
        cJSON_AddStringToObject(fr->desired, "IPAddress", ref);
        cc_node_add_dep(fr, P "addresses/ip");
        ip = add(&g, &k_addr, P "addresses/ip", "{\"ipVersion\":\"IPV4\"}", NULL);

        /* the address does not exist yet: the value stays deferred */
        assert_int_equal(cc_graph_resolve(&g, &left), CC_OK);
        assert_int_equal(left, 1);
        assert_string_equal(cJSON_GetObjectItem(fr->desired, "IPAddress")->valuestring, ref);

        /* once it is observed, the forwarding rule gets the literal IP, and an
         * existing rule with that IP is up to date */
        cc_node_set_observed(ip, cJSON_Parse("{\"ipVersion\":\"IPV4\",\"address\":\"34.1.2.3\"}"));
        ip->flags |= CC_NODE_OWNED;
        cc_node_set_observed(fr,
                             cJSON_Parse("{\"portRange\":\"80-80\",\"IPAddress\":\"34.1.2.3\"}"));
        fr->flags |= CC_NODE_OWNED;
        assert_int_equal(cc_plan_build(&g, &plan, &d), CC_OK);
        assert_int_equal(plan.n, 0);
        assert_string_equal(cJSON_GetObjectItem(fr->desired, "IPAddress")->valuestring, "34.1.2.3");
        cc_plan_release(&plan);
        cc_graph_release(&g);
}

static void
test_plan_alloc_failure(void **state)
{
        unsigned long n;

        for (n = 1;; n++) {
                struct cc_graph g = CC_GRAPH_INIT;
                struct cc_plan plan = CC_PLAN_INIT;
                struct cc_node *a = NULL, *b = NULL, *c = NULL;
                struct cc_diag d;
                cc_err rc;

                /* build the graph without injected failures, then fail the plan */
                assert_int_equal(cc_graph_add(&g, &k_um, P "urlMaps/um", &a), CC_OK);
                assert_int_equal(cc_graph_add(&g, &k_bs, P "backendServices/bs", &b), CC_OK);
                assert_int_equal(cc_graph_add(&g, &k_hc, P "healthChecks/old", &c), CC_OK);
                cc_node_set_desired(a, cJSON_Parse("{\"defaultService\":\"x\"}"));
                cc_node_set_observed(
                    a, cJSON_Parse("{\"defaultService\":\"y\",\"h\":\"" P "healthChecks/old\"}"));
                a->flags |= CC_NODE_OWNED;
                cc_node_set_desired(b, cJSON_Parse("{\"t\":1}"));
                cc_node_set_observed(c, cJSON_Parse("{}"));
                c->flags |= CC_NODE_OWNED;
                cc_node_add_dep(a, P "backendServices/bs");

                cc_alloc_fail_at(n, false);
                rc = cc_plan_build(&g, &plan, &d);
                cc_alloc_fail_at(0, false);
                if (rc == CC_OK)
                        assert_int_equal(plan.n, 3);
                else
                        assert_int_equal(rc, CC_NOMEM);
                cc_plan_release(&plan);
                cc_graph_release(&g);
                if (rc == CC_OK)
                        break;
        }
        assert_true(n > 5);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_diff_rules),
                cmocka_unit_test(test_create_order_and_print),
                cmocka_unit_test(test_converged_is_empty),
                cmocka_unit_test(test_repoint_then_delete),
                cmocka_unit_test(test_replace_rules),
                cmocka_unit_test(test_cycle),
                cmocka_unit_test(test_dep_on_deleted_is_a_bug),
                cmocka_unit_test(test_delete_blocked_by_foreign_user),
                cmocka_unit_test(test_deferred_values),
                cmocka_unit_test(test_plan_alloc_failure),
        };
        cc_alloc_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
