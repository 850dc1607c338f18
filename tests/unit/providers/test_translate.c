/* test_translate.c -- the gke translate: the whole chain for a Gateway, its
 * determinism, and that edits change only what they must. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "core/alloc.h"
#include "core/plan.h"
#include "providers/gke/gke.h"

static const struct cc_lb_settings settings = {
        .fleet = "prod",
        .project = "p",
        .network = "default",
        .dns_zone = "zone",
        .dns_name = "example.com.",
        .cert_mode = CC_CERT_CERTMGR,
};

static const struct cc_lb_neg negs_a[] = { { "us-east1-b", "neg-a" }, { "us-east1-c", "neg-a" } };
static const struct cc_lb_neg negs_b[] = { { "europe-west1-b", "neg-b" } };
static const struct cc_lb_cluster two_clusters[] = {
        { .name = "a", .weight = 100, .negs = negs_a, .nnegs = 2 },
        { .name = "b", .weight = 50, .negs = negs_b, .nnegs = 1 },
};

static struct cc_lb_listener listeners[] = {
        { .name = "https", .port = 443, .protocol = CC_LB_HTTPS, .hostname = "www.example.com" },
        { .name = "http", .port = 80, .protocol = CC_LB_HTTP, .hostname = "www.example.com" },
};

static struct cc_lb_gateway
gateway(void)
{
        struct cc_lb_gateway gw = {
                .ns = "shop",
                .name = "web",
                .listeners = listeners,
                .nlisteners = 2,
                .clusters = two_clusters,
                .nclusters = 1,
        };
        return gw;
}

static size_t
count_kind(const struct cc_graph *g, const struct cc_kind *k)
{
        size_t i, n = 0;

        for (i = 0; i < g->n; i++)
                n += g->nodes[i]->kind == k;
        return n;
}

static const struct cc_step *
step_of(const struct cc_plan *p, const struct cc_kind *k, size_t *index)
{
        size_t i;

        for (i = 0; i < p->n; i++)
                if (p->steps[i].node->kind == k) {
                        if (index)
                                *index = i;
                        return &p->steps[i];
                }
        return NULL;
}

static bool
after(const struct cc_plan *p, size_t later, size_t earlier)
{
        size_t i;

        for (i = 0; i < p->steps[later].nafter; i++)
                if (p->steps[later].after[i] == earlier)
                        return true;
        return false;
}

static void
test_full_chain(void **state)
{
        struct cc_graph g = CC_GRAPH_INIT;
        struct cc_plan plan = CC_PLAN_INIT;
        struct cc_lb_gateway gw = gateway();
        struct cc_diag d;
        size_t i_fr = 0, i_ts = 0, i_cme = 0, i_ce = 0, i_da = 0, i_bs = 0, i_hc = 0;
        struct cc_node *n;
        size_t i;

        assert_int_equal(cc_gke_translate(&settings, &gw, &g, &d), CC_OK);
        assert_int_equal(count_kind(&g, &cc_gke_kind_firewall), 1);
        assert_int_equal(count_kind(&g, &cc_gke_kind_address), 1);
        assert_int_equal(count_kind(&g, &cc_gke_kind_url_map), 2); /* + redirect map */
        assert_int_equal(count_kind(&g, &cc_gke_kind_forwarding_rule), 2);
        assert_int_equal(count_kind(&g, &cc_gke_kind_dns_authorization), 1);
        assert_int_equal(count_kind(&g, &cc_gke_kind_certificate), 1);
        assert_int_equal(count_kind(&g, &cc_gke_kind_certificate_map_entry), 1);
        /* A + its TXT, CNAME + its TXT */
        assert_int_equal(count_kind(&g, &cc_gke_kind_rrset), 4);
        assert_int_equal(g.n, 18);
        for (i = 0; i < g.n; i++) {
                assert_string_equal(g.nodes[i]->owner, "prod/shop/web");
                assert_true(strlen(g.nodes[i]->name) <= 63 + 10);
        }

        n = cc_graph_get(&g, "projects/p/managedZones/zone/rrsets/www.example.com./A");
        assert_non_null(n);
        {
                char *t = cJSON_PrintUnformatted(n->desired);

                assert_non_null(strstr(t, "${ref:projects/p/global/addresses/cc1-ip-shop-web-"));
                cJSON_free(t);
        }
        assert_non_null(cc_graph_get(&g, "projects/p/managedZones/zone/rrsets/"
                                         "_acme-challenge.www.example.com./CNAME"));
        assert_non_null(cc_graph_get(&g, "projects/p/managedZones/zone/rrsets/"
                                         "cloudctl-owner-a.www.example.com./TXT"));

        assert_int_equal(cc_plan_build(&g, &plan, &d), CC_OK);
        assert_int_equal(plan.ncreate, 18);
        assert_non_null(step_of(&plan, &cc_gke_kind_https_proxy, &i_ts));
        assert_non_null(step_of(&plan, &cc_gke_kind_certificate_map_entry, &i_cme));
        assert_non_null(step_of(&plan, &cc_gke_kind_certificate, &i_ce));
        assert_non_null(step_of(&plan, &cc_gke_kind_dns_authorization, &i_da));
        assert_non_null(step_of(&plan, &cc_gke_kind_backend_service, &i_bs));
        assert_non_null(step_of(&plan, &cc_gke_kind_health_check, &i_hc));
        assert_true(after(&plan, i_ts, i_cme));
        assert_true(after(&plan, i_cme, i_ce));
        assert_true(after(&plan, i_ce, i_da));
        assert_true(after(&plan, i_bs, i_hc));
        for (i_fr = 0; i_fr < plan.n; i_fr++)
                if (plan.steps[i_fr].node->kind == &cc_gke_kind_forwarding_rule)
                        assert_true(plan.steps[i_fr].nafter == 2);
        cc_plan_release(&plan);
        cc_graph_release(&g);
}

static char *
dump(const struct cc_graph *g)
{
        struct cc_buf b = CC_BUF_INIT(1 << 20);
        size_t i;

        for (i = 0; i < g->n; i++) {
                char *t =
                    cJSON_PrintUnformatted(g->nodes[i]->desired ? g->nodes[i]->desired : NULL);

                cc_buf_printf(&b, "%s=%s\n", g->nodes[i]->key, t ? t : "null");
                cJSON_free(t);
        }
        return cc_buf_detach(&b, NULL);
}

static void
test_deterministic(void **state)
{
        struct cc_graph g1 = CC_GRAPH_INIT, g2 = CC_GRAPH_INIT;
        struct cc_lb_gateway gw = gateway();
        struct cc_diag d;
        char *a, *b;

        gw.nclusters = 2;
        assert_int_equal(cc_gke_translate(&settings, &gw, &g1, &d), CC_OK);
        assert_int_equal(cc_gke_translate(&settings, &gw, &g2, &d), CC_OK);
        a = dump(&g1);
        b = dump(&g2);
        assert_string_equal(a, b);
        /* 3 NEG backends, the second cluster at half capacity */
        assert_non_null(strstr(a, "\"capacityScaler\":0.5"));
        assert_non_null(strstr(a, "zones/europe-west1-b/networkEndpointGroups/neg-b"));
        cc_free(a);
        cc_free(b);
        cc_graph_release(&g1);
        cc_graph_release(&g2);
}

/* what the cloud would hold after applying g: desired bodies with the
 * deferred values filled in, as owned observed nodes of a fresh graph */
static void
observe_as_applied(const struct cc_graph *from, struct cc_graph *to)
{
        size_t i;

        for (i = 0; i < from->n; i++) {
                const struct cc_node *src = from->nodes[i];
                struct cc_node *n = NULL;
                cJSON *o;
                char *text;

                if (!src->desired)
                        continue;
                text = cJSON_PrintUnformatted(src->desired);
                assert_non_null(text);
                o = cJSON_Parse(text);
                cJSON_free(text);
                if (src->kind == &cc_gke_kind_address)
                        cJSON_AddStringToObject(o, "address", "34.1.2.3");
                if (src->kind == &cc_gke_kind_dns_authorization) {
                        cJSON *rr = cJSON_AddObjectToObject(o, "dnsResourceRecord");

                        cJSON_AddStringToObject(rr, "data",
                                                "abc.authorize.certificatemanager.goog.");
                }
                assert_int_equal(cc_graph_add(to, src->kind, src->key, &n), CC_OK);
                cc_node_set_observed(n, o);
                cc_node_set_name(n, src->name);
                n->flags |= CC_NODE_OWNED;
        }
        /* resolve deferred values in the observed copies, as the cloud would */
        for (i = 0; i < to->n; i++) {
                struct cc_node *n = to->nodes[i];
                cJSON *keep = n->observed;

                n->desired = keep;
                n->observed = NULL;
                cc_graph_resolve(to, NULL);
                n->observed = keep;
                n->desired = NULL;
        }
}

static void
test_second_pass_is_noop(void **state)
{
        struct cc_graph g1 = CC_GRAPH_INIT, g2 = CC_GRAPH_INIT;
        struct cc_plan plan = CC_PLAN_INIT;
        struct cc_lb_gateway gw = gateway();
        struct cc_diag d;

        assert_int_equal(cc_gke_translate(&settings, &gw, &g1, &d), CC_OK);
        observe_as_applied(&g1, &g2);
        assert_int_equal(cc_gke_translate(&settings, &gw, &g2, &d), CC_OK);
        assert_int_equal(cc_plan_build(&g2, &plan, &d), CC_OK);
        assert_int_equal(plan.n, 0);
        cc_plan_release(&plan);
        cc_graph_release(&g1);
        cc_graph_release(&g2);
}

static void
test_hostname_change_keeps_address_and_rules(void **state)
{
        struct cc_graph g1 = CC_GRAPH_INIT, g2 = CC_GRAPH_INIT;
        struct cc_plan plan = CC_PLAN_INIT;
        struct cc_buf out = CC_BUF_INIT(0);
        struct cc_lb_gateway gw = gateway();
        struct cc_lb_listener changed[2];
        struct cc_diag d;
        size_t i;

        assert_int_equal(cc_gke_translate(&settings, &gw, &g1, &d), CC_OK);
        observe_as_applied(&g1, &g2);
        memcpy(changed, listeners, sizeof(changed));
        changed[0].hostname = "shop.example.com";
        changed[1].hostname = "shop.example.com";
        gw.listeners = changed;
        assert_int_equal(cc_gke_translate(&settings, &gw, &g2, &d), CC_OK);
        assert_int_equal(cc_plan_build(&g2, &plan, &d), CC_OK);
        cc_plan_print(&plan, &out);
        for (i = 0; i < plan.n; i++) {
                const struct cc_kind *k = plan.steps[i].node->kind;

                /* the address and the forwarding rules are never touched */
                assert_ptr_not_equal(k, &cc_gke_kind_address);
                assert_ptr_not_equal(k, &cc_gke_kind_forwarding_rule);
                assert_ptr_not_equal(k, &cc_gke_kind_firewall);
                assert_ptr_not_equal(k, &cc_gke_kind_backend_service);
                /* nothing is replaced in place: new names, then the old ones go */
                assert_int_not_equal(plan.steps[i].action, CC_ACT_REPLACE);
        }
        /* a new certificate and map entry, the old ones deleted after the switch */
        assert_int_equal(plan.nreplace, 0);
        assert_true(plan.ncreate >= 6);
        assert_true(plan.ndelete >= 6);
        assert_non_null(strstr(cc_buf_str(&out), "~ url map"));
        assert_non_null(strstr(cc_buf_str(&out), "+ certificate '"));
        assert_non_null(strstr(cc_buf_str(&out), "- certificate '"));
        assert_non_null(strstr(cc_buf_str(&out), "+ dns record 'shop.example.com. A'"));
        assert_non_null(strstr(cc_buf_str(&out), "- dns record 'www.example.com. A'"));
        cc_buf_release(&out);
        cc_plan_release(&plan);
        cc_graph_release(&g1);
        cc_graph_release(&g2);
}

static void
test_adding_a_cluster_updates_only_the_backend_service(void **state)
{
        struct cc_graph g1 = CC_GRAPH_INIT, g2 = CC_GRAPH_INIT;
        struct cc_plan plan = CC_PLAN_INIT;
        struct cc_lb_gateway gw = gateway();
        struct cc_diag d;

        assert_int_equal(cc_gke_translate(&settings, &gw, &g1, &d), CC_OK);
        observe_as_applied(&g1, &g2);
        gw.nclusters = 2;
        assert_int_equal(cc_gke_translate(&settings, &gw, &g2, &d), CC_OK);
        assert_int_equal(cc_plan_build(&g2, &plan, &d), CC_OK);
        assert_int_equal(plan.n, 1);
        assert_ptr_equal(plan.steps[0].node->kind, &cc_gke_kind_backend_service);
        assert_int_equal(plan.steps[0].action, CC_ACT_UPDATE);
        assert_string_equal(plan.steps[0].node->changed.v[0], "backends");
        cc_plan_release(&plan);
        cc_graph_release(&g1);
        cc_graph_release(&g2);
}

static void
test_invalid_inputs(void **state)
{
        struct cc_graph g = CC_GRAPH_INIT;
        struct cc_lb_gateway gw = gateway();
        struct cc_lb_listener bad[2];
        struct cc_diag d;

        memcpy(bad, listeners, sizeof(bad));
        bad[0].hostname = NULL;
        gw.listeners = bad;
        assert_int_equal(cc_gke_translate(&settings, &gw, &g, &d), CC_INVAL);
        assert_string_equal(d.message, "gateway 'shop/web': listener 'https': an HTTPS listener "
                                       "needs a hostname for its Google-managed certificate");
        memcpy(bad, listeners, sizeof(bad));
        bad[1].port = 443;
        assert_int_equal(cc_gke_translate(&settings, &gw, &g, &d), CC_INVAL);
        assert_non_null(strstr(d.message, "use port 443 with different protocols"));
        assert_int_equal(g.n, 0);
        cc_graph_release(&g);
}

static void
test_user_address_is_external(void **state)
{
        struct cc_graph g = CC_GRAPH_INIT;
        struct cc_plan plan = CC_PLAN_INIT;
        struct cc_lb_gateway gw = gateway();
        struct cc_diag d;
        struct cc_node *ip;

        gw.address_name = "my-ip";
        assert_int_equal(cc_gke_translate(&settings, &gw, &g, &d), CC_OK);
        ip = cc_graph_get(&g, "projects/p/global/addresses/my-ip");
        assert_non_null(ip);
        assert_true(ip->flags & CC_NODE_EXTERNAL);
        cc_node_set_observed(ip, cJSON_Parse("{\"address\":\"35.0.0.1\"}"));
        assert_int_equal(cc_plan_build(&g, &plan, &d), CC_OK);
        /* used, never created or deleted */
        assert_int_equal(plan.ncreate, 17);
        {
                struct cc_node *a =
                    cc_graph_get(&g, "projects/p/managedZones/zone/rrsets/www.example.com./A");
                const cJSON *rr = cJSON_GetArrayItem(cJSON_GetObjectItem(a->desired, "rrdatas"), 0);

                assert_string_equal(rr->valuestring, "35.0.0.1");
        }
        cc_plan_release(&plan);
        cc_graph_release(&g);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full_chain),
                cmocka_unit_test(test_deterministic),
                cmocka_unit_test(test_second_pass_is_noop),
                cmocka_unit_test(test_hostname_change_keeps_address_and_rules),
                cmocka_unit_test(test_adding_a_cluster_updates_only_the_backend_service),
                cmocka_unit_test(test_invalid_inputs),
                cmocka_unit_test(test_user_address_is_external),
        };
        cc_alloc_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
