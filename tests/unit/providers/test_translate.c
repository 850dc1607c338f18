/* test_translate.c -- the gke translate: the whole chain for a Gateway, its
 * determinism, and that edits change only what they must. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/plan.h"
#include "core/redact.h"
#include "core/secret.h"
#include "providers/gke/gke.h"
#include "providers/gke/naming.h"
#include "lib/testlib.h"

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

/* --- certificates from Secrets ----------------------------------------------------- */

#define CERT_A "-----BEGIN CERTIFICATE-----\nMIIBcertA\n-----END CERTIFICATE-----\n"
#define CERT_B "-----BEGIN CERTIFICATE-----\nMIIBcertB\n-----END CERTIFICATE-----\n"
#define CANARY "CANARY-do-not-show-7f3a9c"
#define KEY_A  "-----BEGIN PRIVATE KEY-----\n" CANARY "-A\n-----END PRIVATE KEY-----\n"
#define KEY_B  "-----BEGIN PRIVATE KEY-----\n" CANARY "-B\n-----END PRIVATE KEY-----\n"

static struct cc_lb_listener secret_listeners[] = {
        { .name = "a",
          .port = 443,
          .protocol = CC_LB_HTTPS,
          .hostname = "a.example.com",
          .cert_pem = CERT_A,
          .key_pem = KEY_A },
        { .name = "any",
          .port = 443,
          .protocol = CC_LB_HTTPS,
          .cert_pem = CERT_B,
          .key_pem = KEY_B },
        { .name = "a-again", /* same hostname: the first listener's certificate */
          .port = 8443,
          .protocol = CC_LB_HTTPS,
          .hostname = "a.example.com",
          .cert_pem = CERT_B,
          .key_pem = KEY_B },
        { .name = "m", .port = 443, .protocol = CC_LB_HTTPS, .hostname = "m.example.com" },
        { .name = "http", .port = 80, .protocol = CC_LB_HTTP },
};

static struct cc_lb_gateway
secret_gateway(struct cc_lb_listener *ls, size_t n)
{
        struct cc_lb_gateway gw = gateway();

        gw.listeners = ls;
        gw.nlisteners = n;
        return gw;
}

static struct cc_node *
node_named(const struct cc_graph *g, const struct cc_kind *k, const char *prefix)
{
        size_t i;

        for (i = 0; i < g->n; i++)
                if (g->nodes[i]->kind == k && g->nodes[i]->desired &&
                    !strncmp(g->nodes[i]->name, prefix, strlen(prefix)))
                        return g->nodes[i];
        return NULL;
}

static const char *
entry_cert(const struct cc_graph *g, const char *host)
{
        size_t i;

        for (i = 0; i < g->n; i++) {
                const cJSON *b = g->nodes[i]->desired, *h, *m;

                if (g->nodes[i]->kind != &cc_gke_kind_certificate_map_entry || !b)
                        continue;
                h = cJSON_GetObjectItem(b, "hostname");
                m = cJSON_GetObjectItem(b, "matcher");
                if ((host && cJSON_IsString(h) && !strcmp(h->valuestring, host)) ||
                    (!host && cJSON_IsString(m) && !strcmp(m->valuestring, "PRIMARY")))
                        return cJSON_GetArrayItem(cJSON_GetObjectItem(b, "certificates"), 0)
                            ->valuestring;
        }
        return NULL;
}

/* what the API answers for a self-managed certificate: no selfManaged
 * (the key is write-only), the certificate at the top level */
static void
as_the_api_returns(struct cc_graph *g)
{
        size_t i;

        for (i = 0; i < g->n; i++) {
                cJSON *o = g->nodes[i]->observed, *sm;

                if (g->nodes[i]->kind != &cc_gke_kind_certificate || !o)
                        continue;
                sm = cJSON_DetachItemFromObject(o, "selfManaged");
                if (sm)
                        cJSON_AddItemToObject(
                            o, "pemCertificate",
                            cJSON_Duplicate(cJSON_GetObjectItem(sm, "pemCertificate"), 1));
                cJSON_Delete(sm);
        }
}

static void
test_secret_certificates(void **state)
{
        struct cc_graph g = CC_GRAPH_INIT, g2 = CC_GRAPH_INIT;
        struct cc_plan plan = CC_PLAN_INIT;
        struct cc_lb_gateway gw = secret_gateway(secret_listeners, 5);
        struct cc_node *sa, *sb, *mc;
        const cJSON *sm, *lab;
        char hash[CC_GKE_CONTENT_HASH_LEN + 1], want[64];
        struct cc_diag d;

        (void)state;
        assert_int_equal(cc_gke_translate(&settings, &gw, &g, &d), CC_OK);
        /* two self-managed certificates (one per Secret certificate), one
         * Google-managed for the hostname without a Secret */
        assert_int_equal(count_kind(&g, &cc_gke_kind_certificate), 3);
        cc_gke_content_hash(CERT_A, hash, sizeof(hash));
        assert_int_equal(cc_gke_name(want, sizeof(want), "sc", "prod", "shop", "web", hash), CC_OK);
        sa = node_named(&g, &cc_gke_kind_certificate, want);
        assert_non_null(sa);
        cc_gke_content_hash(CERT_B, hash, sizeof(hash));
        cc_gke_name(want, sizeof(want), "sc", "prod", "shop", "web", hash);
        sb = node_named(&g, &cc_gke_kind_certificate, want);
        assert_non_null(sb);
        sm = cJSON_GetObjectItem(sa->desired, "selfManaged");
        assert_string_equal(cJSON_GetObjectItem(sm, "pemCertificate")->valuestring, CERT_A);
        assert_string_equal(cJSON_GetObjectItem(sm, "pemPrivateKey")->valuestring, KEY_A);
        assert_null(cJSON_GetObjectItem(sa->desired, "managed"));
        /* the ownership mark, as on every resource */
        assert_non_null(strstr(cJSON_GetObjectItem(sa->desired, "description")->valuestring,
                               "\"cloudctl.dev/owner\":\"prod/shop/web\""));
        lab = cJSON_GetObjectItem(sa->desired, "labels");
        assert_string_equal(cJSON_GetObjectItem(lab, "managed-by")->valuestring, "cloudctl");
        assert_string_equal(sa->owner, "prod/shop/web");
        mc = node_named(&g, &cc_gke_kind_certificate, "cc1-ce-");
        assert_non_null(mc);
        sm = cJSON_GetObjectItem(cJSON_GetObjectItem(mc->desired, "managed"), "domains");
        assert_int_equal(cJSON_GetArraySize(sm), 1);
        assert_string_equal(cJSON_GetArrayItem(sm, 0)->valuestring, "m.example.com");
        /* DNS authorization only for the Google-managed hostname */
        assert_int_equal(count_kind(&g, &cc_gke_kind_dns_authorization), 1);
        /* the map: an entry per hostname, the hostname-less listener's is PRIMARY */
        assert_int_equal(count_kind(&g, &cc_gke_kind_certificate_map_entry), 3);
        assert_string_equal(entry_cert(&g, "a.example.com"), sa->key);
        assert_string_equal(entry_cert(&g, NULL), sb->key);
        assert_string_equal(entry_cert(&g, "m.example.com"), mc->key);

        /* applied and read back without the key: nothing to do */
        observe_as_applied(&g, &g2);
        as_the_api_returns(&g2);
        assert_int_equal(cc_gke_translate(&settings, &gw, &g2, &d), CC_OK);
        if (cc_plan_build(&g2, &plan, &d))
                fail_msg("plan: %s", d.message);
        assert_int_equal(plan.n, 0);
        cc_plan_release(&plan);
        cc_graph_release(&g);
        cc_graph_release(&g2);
}

/* a changed Secret is a new certificate: created, the entry moved, the old deleted */
static void
test_secret_change_replaces_certificate(void **state)
{
        struct cc_graph g1 = CC_GRAPH_INIT, g2 = CC_GRAPH_INIT;
        struct cc_plan plan = CC_PLAN_INIT;
        struct cc_buf out = CC_BUF_INIT(0);
        struct cc_lb_listener ls[5];
        struct cc_lb_gateway gw;
        struct cc_diag d;
        size_t i, ncert_create = 0, ncert_delete = 0, nentry_update = 0;

        (void)state;
        memcpy(ls, secret_listeners, sizeof(ls));
        gw = secret_gateway(ls, 5);
        assert_int_equal(cc_gke_translate(&settings, &gw, &g1, &d), CC_OK);
        observe_as_applied(&g1, &g2);
        as_the_api_returns(&g2);
        ls[0].cert_pem = "-----BEGIN CERTIFICATE-----\nMIIBrenewed\n-----END CERTIFICATE-----\n";
        assert_int_equal(cc_gke_translate(&settings, &gw, &g2, &d), CC_OK);
        assert_int_equal(cc_plan_build(&g2, &plan, &d), CC_OK);
        for (i = 0; i < plan.n; i++) {
                const struct cc_step *s = &plan.steps[i];

                assert_int_not_equal(s->action, CC_ACT_REPLACE);
                if (s->node->kind == &cc_gke_kind_certificate)
                        s->action == CC_ACT_CREATE ? ncert_create++ : ncert_delete++;
                else if (s->node->kind == &cc_gke_kind_certificate_map_entry)
                        nentry_update += s->action == CC_ACT_UPDATE;
                else
                        fail_msg("unexpected step on %s", s->node->kind->label);
        }
        assert_int_equal(ncert_create, 1);
        assert_int_equal(ncert_delete, 1);
        assert_int_equal(nentry_update, 1);
        assert_int_equal(cc_plan_print(&plan, &out), CC_OK);
        assert_null(strstr(cc_buf_str(&out), CANARY));
        cc_buf_release(&out);
        cc_plan_release(&plan);
        cc_graph_release(&g1);
        cc_graph_release(&g2);
}

/* the canary private key appears in no plan line, log line, error or
 * redacted request body */
static void
test_secret_key_never_shown(void **state)
{
        struct cc_graph g = CC_GRAPH_INIT, g2 = CC_GRAPH_INIT;
        struct cc_plan plan = CC_PLAN_INIT;
        struct cc_buf out = CC_BUF_INIT(0), red = CC_BUF_INIT(1 << 20);
        struct cc_lb_gateway gw = secret_gateway(secret_listeners, 5);
        struct cc_lb_listener bad[1];
        struct cc_node *n;
        char *text;
        struct cc_diag d;
        size_t i;

        (void)state;
        cc_test_log_capture_start("trace");
        assert_int_equal(cc_gke_translate(&settings, &gw, &g, &d), CC_OK);
        assert_int_equal(cc_plan_build(&g, &plan, &d), CC_OK);
        assert_int_equal(cc_plan_print(&plan, &out), CC_OK);
        assert_non_null(strstr(cc_buf_str(&out), "+ certificate 'cc1-sc-"));
        assert_null(strstr(cc_buf_str(&out), CANARY));
        /* a certificate whose key the API lost: an update names fields, not values */
        observe_as_applied(&g, &g2);
        for (i = 0; i < g2.n; i++)
                if (g2.nodes[i]->kind == &cc_gke_kind_certificate)
                        cJSON_DeleteItemFromObject(g2.nodes[i]->observed, "labels");
        assert_int_equal(cc_gke_translate(&settings, &gw, &g2, &d), CC_OK);
        cc_plan_release(&plan);
        assert_int_equal(cc_plan_build(&g2, &plan, &d), CC_OK);
        cc_buf_reset(&out);
        assert_int_equal(cc_plan_print(&plan, &out), CC_OK);
        assert_non_null(strstr(cc_buf_str(&out), "~ certificate"));
        assert_null(strstr(cc_buf_str(&out), CANARY));
        /* the request body as the HTTP trace shows it */
        n = node_named(&g, &cc_gke_kind_certificate, "cc1-sc-");
        text = cJSON_PrintUnformatted(n->desired);
        assert_non_null(strstr(text, CANARY)); /* it is sent */
        assert_int_equal(
            cc_redact_body(&red, "application/json", text, strlen(text), (size_t)1 << 20), CC_OK);
        assert_null(strstr(cc_buf_str(&red), CANARY));
        assert_non_null(strstr(cc_buf_str(&red), "pemCertificate"));
        cc_wipe(text, strlen(text));
        cJSON_free(text);
        /* an error about the listener names it, not its key */
        memcpy(bad, secret_listeners, sizeof(bad));
        bad[0].key_pem = NULL;
        gw = secret_gateway(bad, 1);
        cc_graph_release(&g);
        assert_int_equal(cc_gke_translate(&settings, &gw, &g, &d), CC_INVAL);
        assert_null(strstr(d.message, CANARY));
        assert_null(strstr(cc_test_log_captured(), CANARY));
        cc_test_log_capture_stop();
        cc_buf_release(&red);
        cc_buf_release(&out);
        cc_plan_release(&plan);
        cc_graph_release(&g);
        cc_graph_release(&g2);
}

/* no Google-managed certificates (certificates: none): Secrets still go up */
static void
test_secret_certificates_without_certmgr(void **state)
{
        struct cc_lb_settings s = settings;
        struct cc_graph g = CC_GRAPH_INIT;
        struct cc_lb_gateway gw = secret_gateway(secret_listeners, 2);
        struct cc_node *ts;
        struct cc_diag d;

        (void)state;
        s.cert_mode = CC_CERT_NONE;
        assert_int_equal(cc_gke_translate(&s, &gw, &g, &d), CC_OK);
        assert_int_equal(count_kind(&g, &cc_gke_kind_certificate), 2);
        assert_int_equal(count_kind(&g, &cc_gke_kind_dns_authorization), 0);
        assert_int_equal(count_kind(&g, &cc_gke_kind_certificate_map_entry), 2);
        ts = node_named(&g, &cc_gke_kind_https_proxy, "cc1-ts-");
        assert_non_null(ts);
        assert_non_null(cJSON_GetObjectItem(ts->desired, "certificateMap"));
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
                cmocka_unit_test(test_secret_certificates),
                cmocka_unit_test(test_secret_change_replaces_certificate),
                cmocka_unit_test(test_secret_key_never_shown),
                cmocka_unit_test(test_secret_certificates_without_certmgr),
        };
        cc_alloc_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
