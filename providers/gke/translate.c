/* translate.c -- one Gateway -> the gke resource graph (pure).
 *
 * DESIGN
 * ------
 * The load balancer is thin: every listener hostname goes to one backend
 * service whose backends are the NEGs of every member cluster's gateway
 * Service; HTTP routing is Istio's business, so route changes cost no cloud
 * call.  Names are deterministic (naming.h); a certificate's name also hashes
 * its domains, so a hostname change creates a new certificate, repoints the
 * map entries and deletes the old one (make-before-break), while the address
 * and the forwarding rules keep their names and are never recreated for it.
 *
 * Values only known later -- the address's IP for forwarding rules and A
 * records, a DNS authorization's CNAME -- are deferred references
 * (core/graph.h), resolved from observed state.
 *
 * DNS records carry no description, so each record we own has a companion
 * TXT record "cloudctl-owner-<type>.<name>" holding the owner mark, as
 * external-dns does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/strv.h"
#include "providers/gke/gke.h"
#include "providers/gke/naming.h"
#include "core/banned.h"

#define KEYMAX 512

struct tx {
        const struct cc_lb_settings *s;
        const struct cc_lb_gateway *gw;
        struct cc_graph *g;
        struct cc_diag *d;
        char owner[256];
        char desc[320];
        char label_fleet[64];
        cc_err rc;
};

static bool
fail(struct tx *t, cc_err rc)
{
        if (!t->rc)
                t->rc = rc;
        return false;
}

static void
name_of(struct tx *t, char *out, const char *type, const char *extra)
{
        if (cc_gke_name(out, CC_GKE_NAME_MAX + 1, type, t->s->fleet, t->gw->ns, t->gw->name, extra))
                fail(t, CC_INTERNAL);
}

static void
compute_key(struct tx *t, char *out, const char *coll, const char *name)
{
        snprintf(out, KEYMAX, "projects/%s/global/%s/%s", t->s->project, coll, name);
}

static void
certmgr_key(struct tx *t, char *out, const char *coll, const char *name)
{
        snprintf(out, KEYMAX, "projects/%s/locations/global/%s/%s", t->s->project, coll, name);
}

static void
url_of(char *out, const char *key)
{
        snprintf(out, KEYMAX + 64, "%s%s", CC_GKE_COMPUTE_BASE, key);
}

/* a new node with its desired body; takes body */
static struct cc_node *
node(struct tx *t, const struct cc_kind *kind, const char *key, cJSON *body)
{
        struct cc_node *n = NULL;
        cc_err rc;

        if (t->rc || !body) {
                cJSON_Delete(body);
                fail(t, CC_NOMEM);
                return NULL;
        }
        rc = cc_graph_add(t->g, kind, key, &n);
        if (rc == CC_CONFLICT) {
                cJSON_Delete(body);
                fail(t, cc_diag_set(t->d, CC_INTERNAL, 0, "resource '%s' translated twice", key));
                return NULL;
        }
        if (rc || cc_node_set_owner(n, t->owner)) {
                cJSON_Delete(body);
                fail(t, CC_NOMEM);
                return NULL;
        }
        if (n->desired) {
                /* two Gateways of one fleet cannot share a name: the hash differs */
                cJSON_Delete(body);
                fail(t, cc_diag_set(t->d, CC_INTERNAL, 0, "resource '%s' translated twice", key));
                return NULL;
        }
        cc_node_set_desired(n, body);
        return n;
}

static void
dep(struct tx *t, struct cc_node *n, const char *key)
{
        if (n && !t->rc && cc_node_add_dep(n, key))
                fail(t, CC_NOMEM);
}

static cJSON *
body_named(struct tx *t, const char *name)
{
        cJSON *b = cJSON_CreateObject();

        if (b && name && !cJSON_AddStringToObject(b, "name", name)) {
                cJSON_Delete(b);
                return NULL;
        }
        if (b && !cJSON_AddStringToObject(b, "description", t->desc)) {
                cJSON_Delete(b);
                return NULL;
        }
        return b;
}

static void
add_str(struct tx *t, cJSON *o, const char *k, const char *v)
{
        if (o && !cJSON_AddStringToObject(o, k, v))
                fail(t, CC_NOMEM);
}

static void
add_num(struct tx *t, cJSON *o, const char *k, double v)
{
        if (o && !cJSON_AddNumberToObject(o, k, v))
                fail(t, CC_NOMEM);
}

static cJSON *
add_arr(struct tx *t, cJSON *o, const char *k)
{
        cJSON *a = o ? cJSON_AddArrayToObject(o, k) : NULL;

        if (!a)
                fail(t, CC_NOMEM);
        return a;
}

static cJSON *
add_obj(struct tx *t, cJSON *o, const char *k)
{
        cJSON *a = o ? cJSON_AddObjectToObject(o, k) : NULL;

        if (!a)
                fail(t, CC_NOMEM);
        return a;
}

static void
push_str(struct tx *t, cJSON *arr, const char *v)
{
        cJSON *s = cJSON_CreateString(v);

        if (!s || !arr || !cJSON_AddItemToArray(arr, s)) {
                cJSON_Delete(s);
                fail(t, CC_NOMEM);
        }
}

static void
labels(struct tx *t, cJSON *o)
{
        cJSON *l = add_obj(t, o, "labels");

        add_str(t, l, "managed-by", "cloudctl");
        add_str(t, l, "cloudctl-fleet", t->label_fleet);
}

/* --- inputs -------------------------------------------------------------- */

static bool
host_in_zone(const char *host, const char *zone_dns)
{
        /* host "www.example.com", zone "example.com." */
        size_t hl = strlen(host), zl = strlen(zone_dns);

        if (zl && zone_dns[zl - 1] == '.')
                zl--;
        if (hl < zl || strncasecmp(host + hl - zl, zone_dns, zl))
                return false;
        return hl == zl || host[hl - zl - 1] == '.';
}

static const char *
base_domain(const char *host)
{
        return !strncmp(host, "*.", 2) ? host + 2 : host;
}

static int
cmp_int(const void *a, const void *b)
{
        return *(const int *)a - *(const int *)b;
}

static cc_err
validate(struct tx *t)
{
        size_t i, j;

        for (i = 0; i < t->gw->nlisteners; i++) {
                const struct cc_lb_listener *l = &t->gw->listeners[i];

                if (l->port < 1 || l->port > 65535)
                        return cc_diag_set(
                            t->d, CC_INVAL, 0,
                            "gateway '%s/%s': listener '%s': port %d is out of range", t->gw->ns,
                            t->gw->name, l->name, l->port);
                if (l->protocol == CC_LB_HTTPS && l->cert_pem && !l->key_pem)
                        return cc_diag_set(t->d, CC_INVAL, 0,
                                           "gateway '%s/%s': listener '%s': a certificate "
                                           "without its private key",
                                           t->gw->ns, t->gw->name, l->name);
                if (l->protocol == CC_LB_HTTPS && !l->cert_pem &&
                    t->s->cert_mode == CC_CERT_CERTMGR && (!l->hostname || !l->hostname[0]))
                        return cc_diag_set(
                            t->d, CC_INVAL, 0,
                            "gateway '%s/%s': listener '%s': an HTTPS listener needs a "
                            "hostname for its Google-managed certificate",
                            t->gw->ns, t->gw->name, l->name);
                for (j = 0; j < i; j++)
                        if (t->gw->listeners[j].port == l->port &&
                            t->gw->listeners[j].protocol != l->protocol)
                                return cc_diag_set(
                                    t->d, CC_INVAL, 0,
                                    "gateway '%s/%s': listeners '%s' and '%s' use port "
                                    "%d with different protocols",
                                    t->gw->ns, t->gw->name, t->gw->listeners[j].name, l->name,
                                    l->port);
        }
        return CC_OK;
}

/* --- self-managed certificates (Secrets) -------------------------------- */

static bool
any_secret_cert(const struct cc_lb_gateway *gw)
{
        size_t i;

        for (i = 0; i < gw->nlisteners; i++)
                if (gw->listeners[i].protocol == CC_LB_HTTPS && gw->listeners[i].cert_pem)
                        return true;
        return false;
}

/* self_managed_cert -- the certificate node of a listener's Secret (one per
 * distinct certificate: listeners naming the same Secret share it); its key
 * into k_cert.  The name hashes the certificate's content, so a changed
 * Secret is a new certificate (the entries move, the old one goes) and the
 * compare never needs the private key back, which the API never returns. */
static void
self_managed_cert(struct tx *t, const struct cc_lb_listener *l, char *k_cert)
{
        char hash[CC_GKE_CONTENT_HASH_LEN + 1], n_sc[64];
        struct cc_node *n;
        cJSON *b, *sm;

        cc_gke_content_hash(l->cert_pem, hash, sizeof(hash));
        name_of(t, n_sc, "sc", hash);
        certmgr_key(t, k_cert, "certificates", n_sc);
        n = t->rc ? NULL : cc_graph_get(t->g, k_cert);
        if (t->rc || (n && n->desired))
                return; /* another listener names the same certificate */
        b = body_named(t, NULL);
        add_str(t, b, "scope", "DEFAULT");
        labels(t, b);
        sm = add_obj(t, b, "selfManaged");
        add_str(t, sm, "pemCertificate", l->cert_pem);
        add_str(t, sm, "pemPrivateKey", l->key_pem);
        n = node(t, &cc_gke_kind_certificate, k_cert, b);
        if (n)
                cc_node_set_name(n, n_sc);
}

/* --- the chain ----------------------------------------------------------- */

cc_err
cc_gke_translate(const struct cc_lb_settings *s, const struct cc_lb_gateway *gw, struct cc_graph *g,
                 struct cc_diag *d)
{
        struct tx t = { .s = s, .gw = gw, .g = g, .d = d, .rc = CC_OK };
        char n_fw[64], n_ip[64], n_hc[64], n_bs[64], n_um[64], n_rm[64], n_tp[64], n_ts[64],
            n_cm[64];
        char k_fw[KEYMAX], k_ip[KEYMAX], k_hc[KEYMAX], k_bs[KEYMAX], k_um[KEYMAX], k_rm[KEYMAX],
            k_tp[KEYMAX], k_ts[KEYMAX], k_cm[KEYMAX], k_ce[KEYMAX];
        char url[KEYMAX + 64], ref_ip[KEYMAX + 32];
        struct cc_strv hosts = CC_STRV_INIT, https_hosts = CC_STRV_INIT, domains = CC_STRV_INIT,
                       managed_hosts = CC_STRV_INIT;
        int ports[64], nports = 0;
        bool any_http = false, any_https = false, any_host_http = false;
        struct cc_node *n;
        cJSON *b, *o, *a;
        size_t i, j;

        if (validate(&t))
                return d ? d->code : CC_INVAL;
        cc_gke_owner(t.owner, sizeof(t.owner), s->fleet, gw->ns, gw->name);
        if (cc_gke_description(t.desc, sizeof(t.desc), t.owner))
                return cc_diag_set(d, CC_INVAL, 0, "gateway '%s/%s': name too long", gw->ns,
                                   gw->name);
        {
                char tmp[64];

                /* label values: [a-z0-9_-], at most 63 */
                cc_gke_name(tmp, sizeof(tmp), "f", s->fleet, "", s->fleet, NULL);
                snprintf(t.label_fleet, sizeof(t.label_fleet), "%s", tmp + 6);
        }

        for (i = 0; i < gw->nlisteners; i++) {
                const struct cc_lb_listener *l = &gw->listeners[i];
                bool seen = false;

                if (l->protocol == CC_LB_HTTPS)
                        any_https = true;
                else
                        any_http = true;
                if (l->protocol == CC_LB_HTTP && (!l->hostname || !l->hostname[0]))
                        any_host_http = true;
                for (j = 0; j < (size_t)nports; j++)
                        seen |= ports[j] == l->port;
                if (!seen && nports < 64)
                        ports[nports++] = l->port;
                if (l->hostname && l->hostname[0]) {
                        if (!cc_strv_contains(&hosts, l->hostname) &&
                            cc_strv_push(&hosts, l->hostname))
                                fail(&t, CC_NOMEM);
                        if (l->protocol == CC_LB_HTTPS &&
                            !cc_strv_contains(&https_hosts, l->hostname) &&
                            cc_strv_push(&https_hosts, l->hostname))
                                fail(&t, CC_NOMEM);
                        if (l->protocol == CC_LB_HTTPS && !l->cert_pem &&
                            !cc_strv_contains(&managed_hosts, l->hostname) &&
                            cc_strv_push(&managed_hosts, l->hostname))
                                fail(&t, CC_NOMEM);
                        if (l->protocol == CC_LB_HTTPS && !l->cert_pem &&
                            !cc_strv_contains(&domains, base_domain(l->hostname)) &&
                            cc_strv_push(&domains, base_domain(l->hostname)))
                                fail(&t, CC_NOMEM);
                }
        }
        (void)any_host_http;
        qsort(ports, (size_t)nports, sizeof(ports[0]), cmp_int);
        cc_strv_sort(&hosts);
        cc_strv_sort(&https_hosts);
        cc_strv_sort(&managed_hosts);
        cc_strv_sort(&domains);

        /* firewall: health checks and GFE proxies to the serving and status ports */
        name_of(&t, n_fw, "fw", NULL);
        compute_key(&t, k_fw, "firewalls", n_fw);
        b = body_named(&t, n_fw);
        {
                char netkey[KEYMAX], port[16];

                snprintf(netkey, sizeof(netkey), "%sprojects/%s/global/networks/%s",
                         CC_GKE_COMPUTE_BASE, s->project, s->network);
                add_str(&t, b, "network", netkey);
                add_str(&t, b, "direction", "INGRESS");
                add_num(&t, b, "priority", 1000);
                a = add_arr(&t, b, "sourceRanges");
                push_str(&t, a, "130.211.0.0/22");
                push_str(&t, a, "35.191.0.0/16");
                a = add_arr(&t, b, "allowed");
                o = cJSON_CreateObject();
                if (!o || !a || !cJSON_AddItemToArray(a, o)) {
                        cJSON_Delete(o);
                        fail(&t, CC_NOMEM);
                } else {
                        cJSON *p = add_arr(&t, o, "ports");

                        add_str(&t, o, "IPProtocol", "tcp");
                        snprintf(port, sizeof(port), "%d",
                                 gw->serving_port ? gw->serving_port : 80);
                        push_str(&t, p, port);
                        snprintf(port, sizeof(port), "%d", CC_GKE_HC_PORT);
                        push_str(&t, p, port);
                }
        }
        node(&t, &cc_gke_kind_firewall, k_fw, b);

        /* address: ours, or the user's (read, never written) */
        if (gw->address_name) {
                snprintf(n_ip, sizeof(n_ip), "%s", gw->address_name);
                compute_key(&t, k_ip, "addresses", n_ip);
                if (!t.rc) {
                        n = NULL;
                        if (cc_graph_add(g, &cc_gke_kind_address, k_ip, &n))
                                fail(&t, CC_NOMEM);
                        else
                                n->flags |= CC_NODE_EXTERNAL;
                }
        } else {
                name_of(&t, n_ip, "ip", NULL);
                compute_key(&t, k_ip, "addresses", n_ip);
                b = body_named(&t, n_ip);
                add_str(&t, b, "ipVersion", "IPV4");
                add_str(&t, b, "addressType", "EXTERNAL");
                add_str(&t, b, "networkTier", "PREMIUM");
                labels(&t, b);
                node(&t, &cc_gke_kind_address, k_ip, b);
        }
        cc_ref_make(ref_ip, sizeof(ref_ip), k_ip, "address");

        /* health check on Istio's readiness endpoint */
        name_of(&t, n_hc, "hc", NULL);
        compute_key(&t, k_hc, "healthChecks", n_hc);
        b = body_named(&t, n_hc);
        add_str(&t, b, "type", "HTTP");
        o = add_obj(&t, b, "httpHealthCheck");
        add_num(&t, o, "port", CC_GKE_HC_PORT);
        add_str(&t, o, "portSpecification", "USE_FIXED_PORT");
        add_str(&t, o, "requestPath", CC_GKE_HC_PATH);
        add_str(&t, o, "proxyHeader", "NONE");
        add_num(&t, b, "checkIntervalSec", 5);
        add_num(&t, b, "timeoutSec", 5);
        add_num(&t, b, "healthyThreshold", 2);
        add_num(&t, b, "unhealthyThreshold", 2);
        node(&t, &cc_gke_kind_health_check, k_hc, b);

        /* backend service: every cluster's NEGs, capacityScaler from the weight */
        name_of(&t, n_bs, "bs", NULL);
        compute_key(&t, k_bs, "backendServices", n_bs);
        b = body_named(&t, n_bs);
        add_str(&t, b, "loadBalancingScheme", "EXTERNAL_MANAGED");
        add_str(&t, b, "protocol", "HTTP");
        add_str(&t, b, "portName", "http");
        add_num(&t, b, "timeoutSec", 30);
        url_of(url, k_hc);
        push_str(&t, add_arr(&t, b, "healthChecks"), url);
        o = add_obj(&t, b, "connectionDraining");
        add_num(&t, o, "drainingTimeoutSec", 30);
        a = add_arr(&t, b, "backends");
        for (i = 0; i < gw->nclusters; i++) {
                const struct cc_lb_cluster *c = &gw->clusters[i];
                double scaler = c->weight <= 0 ? 0 : c->weight >= 100 ? 1 : c->weight / 100.0;

                /* the API takes 0 or 0.1..1 */
                if (scaler > 0 && scaler < 0.1)
                        scaler = 0.1;
                for (j = 0; j < c->nnegs; j++) {
                        cJSON *be = cJSON_CreateObject();
                        char neg[KEYMAX];

                        if (!be || !a || !cJSON_AddItemToArray(a, be)) {
                                cJSON_Delete(be);
                                fail(&t, CC_NOMEM);
                                break;
                        }
                        snprintf(neg, sizeof(neg),
                                 "%sprojects/%s/zones/%s/networkEndpointGroups/%s",
                                 CC_GKE_COMPUTE_BASE, s->project, c->negs[j].zone, c->negs[j].name);
                        add_str(&t, be, "group", neg);
                        add_str(&t, be, "balancingMode", "RATE");
                        add_num(&t, be, "maxRatePerEndpoint", 1000);
                        add_num(&t, be, "capacityScaler", scaler);
                }
        }
        n = node(&t, &cc_gke_kind_backend_service, k_bs, b);
        dep(&t, n, k_hc);

        /* url map: the Gateway's hostnames to the backend service */
        name_of(&t, n_um, "um", NULL);
        compute_key(&t, k_um, "urlMaps", n_um);
        b = body_named(&t, n_um);
        url_of(url, k_bs);
        add_str(&t, b, "defaultService", url);
        if (hosts.n) {
                o = cJSON_CreateObject();
                a = add_arr(&t, b, "hostRules");
                if (!o || !a || !cJSON_AddItemToArray(a, o)) {
                        cJSON_Delete(o);
                        fail(&t, CC_NOMEM);
                } else {
                        cJSON *h = add_arr(&t, o, "hosts");

                        for (i = 0; i < hosts.n; i++)
                                push_str(&t, h, hosts.v[i]);
                        add_str(&t, o, "pathMatcher", "gateway-hosts");
                }
                o = cJSON_CreateObject();
                a = add_arr(&t, b, "pathMatchers");
                if (!o || !a || !cJSON_AddItemToArray(a, o)) {
                        cJSON_Delete(o);
                        fail(&t, CC_NOMEM);
                } else {
                        add_str(&t, o, "name", "gateway-hosts");
                        add_str(&t, o, "defaultService", url);
                }
        }
        n = node(&t, &cc_gke_kind_url_map, k_um, b);
        dep(&t, n, k_bs);

        /* HTTP -> HTTPS redirect for the hostnames that have an HTTPS listener */
        k_rm[0] = '\0';
        if (any_http && any_https && https_hosts.n) {
                name_of(&t, n_rm, "rm", NULL);
                compute_key(&t, k_rm, "urlMaps", n_rm);
                b = body_named(&t, n_rm);
                url_of(url, k_bs);
                add_str(&t, b, "defaultService", url);
                o = cJSON_CreateObject();
                a = add_arr(&t, b, "hostRules");
                if (!o || !a || !cJSON_AddItemToArray(a, o)) {
                        cJSON_Delete(o);
                        fail(&t, CC_NOMEM);
                } else {
                        cJSON *h = add_arr(&t, o, "hosts");

                        for (i = 0; i < https_hosts.n; i++)
                                push_str(&t, h, https_hosts.v[i]);
                        add_str(&t, o, "pathMatcher", "https-redirect");
                }
                o = cJSON_CreateObject();
                a = add_arr(&t, b, "pathMatchers");
                if (!o || !a || !cJSON_AddItemToArray(a, o)) {
                        cJSON_Delete(o);
                        fail(&t, CC_NOMEM);
                } else {
                        cJSON *r;

                        add_str(&t, o, "name", "https-redirect");
                        add_str(&t, o, "defaultService", url);
                        r = add_obj(&t, o, "defaultUrlRedirect");
                        if (r && !cJSON_AddBoolToObject(r, "httpsRedirect", 1))
                                fail(&t, CC_NOMEM);
                        add_str(&t, r, "redirectResponseCode", "MOVED_PERMANENTLY_DEFAULT");
                        if (r && !cJSON_AddBoolToObject(r, "stripQuery", 0))
                                fail(&t, CC_NOMEM);
                }
                n = node(&t, &cc_gke_kind_url_map, k_rm, b);
                dep(&t, n, k_bs);
        }

        /* certificates: a Google-managed one for the HTTPS hostnames whose
         * listeners name no Secret (its name hashes the domains, with DNS
         * authorizations), a self-managed one per Secret certificate, and a
         * map with an entry per hostname */
        k_cm[0] = k_ce[0] = '\0';
        if (any_https && (managed_hosts.n || any_secret_cert(gw))) {
                name_of(&t, n_cm, "cm", NULL);
                certmgr_key(&t, k_cm, "certificateMaps", n_cm);
                b = body_named(&t, NULL);
                labels(&t, b);
                n = node(&t, &cc_gke_kind_certificate_map, k_cm, b);
                if (n)
                        cc_node_set_name(n, n_cm);
        }
        if (k_cm[0] && managed_hosts.n && s->cert_mode == CC_CERT_CERTMGR) {
                struct cc_buf joined = CC_BUF_INIT(1 << 16);
                char n_ce[64];
                cJSON *m, *da_list;

                for (i = 0; i < managed_hosts.n; i++)
                        if (cc_buf_printf(&joined, "%s,", managed_hosts.v[i]))
                                fail(&t, CC_NOMEM);
                name_of(&t, n_ce, "ce", cc_buf_str(&joined));
                cc_buf_release(&joined);
                certmgr_key(&t, k_ce, "certificates", n_ce);
                b = body_named(&t, NULL);
                add_str(&t, b, "scope", "DEFAULT");
                labels(&t, b);
                m = add_obj(&t, b, "managed");
                a = add_arr(&t, m, "domains");
                for (i = 0; i < managed_hosts.n; i++)
                        push_str(&t, a, managed_hosts.v[i]);
                da_list = add_arr(&t, m, "dnsAuthorizations");
                n = node(&t, &cc_gke_kind_certificate, k_ce, b);
                if (n)
                        cc_node_set_name(n, n_ce);
                for (i = 0; i < domains.n; i++) {
                        char n_da[64], k_da[KEYMAX];
                        struct cc_node *dn;

                        name_of(&t, n_da, "da", domains.v[i]);
                        certmgr_key(&t, k_da, "dnsAuthorizations", n_da);
                        push_str(&t, da_list, k_da);
                        dep(&t, n, k_da);
                        b = body_named(&t, NULL);
                        add_str(&t, b, "domain", domains.v[i]);
                        add_str(&t, b, "type", "FIXED_RECORD");
                        labels(&t, b);
                        dn = node(&t, &cc_gke_kind_dns_authorization, k_da, b);
                        if (dn)
                                cc_node_set_name(dn, n_da);
                }
        }
        if (k_cm[0]) {
                struct cc_strv entries = CC_STRV_INIT; /* hostnames (or "") with an entry */

                for (i = 0; i < gw->nlisteners; i++) {
                        const struct cc_lb_listener *l = &gw->listeners[i];
                        const char *host = l->hostname && l->hostname[0] ? l->hostname : "";
                        char n_e[64], k_e[KEYMAX * 2], k_cert[KEYMAX];
                        struct cc_node *en;

                        if (l->protocol != CC_LB_HTTPS || cc_strv_contains(&entries, host))
                                continue;
                        /* one hostname, one certificate: the first listener's */
                        if (cc_strv_push(&entries, host)) {
                                fail(&t, CC_NOMEM);
                                break;
                        }
                        if (l->cert_pem)
                                self_managed_cert(&t, l, k_cert);
                        else if (k_ce[0])
                                snprintf(k_cert, sizeof(k_cert), "%s", k_ce);
                        else
                                continue; /* cert_mode none: no certificate for it */
                        name_of(&t, n_e, "cme", host[0] ? host : CC_GKE_PRIMARY_ENTRY);
                        snprintf(k_e, sizeof(k_e), "%s/certificateMapEntries/%s", k_cm, n_e);
                        b = body_named(&t, NULL);
                        if (host[0])
                                add_str(&t, b, "hostname", host);
                        else
                                add_str(&t, b, "matcher", "PRIMARY");
                        push_str(&t, add_arr(&t, b, "certificates"), k_cert);
                        labels(&t, b);
                        en = node(&t, &cc_gke_kind_certificate_map_entry, k_e, b);
                        if (en)
                                cc_node_set_name(en, n_e);
                        dep(&t, en, k_cm);
                        dep(&t, en, k_cert);
                }
                cc_strv_release(&entries);
        }

        /* target proxies */
        k_tp[0] = k_ts[0] = '\0';
        if (any_https) {
                char cmref[KEYMAX + 64];

                name_of(&t, n_ts, "ts", NULL);
                compute_key(&t, k_ts, "targetHttpsProxies", n_ts);
                b = body_named(&t, n_ts);
                url_of(url, k_um);
                add_str(&t, b, "urlMap", url);
                add_str(&t, b, "quicOverride", "NONE");
                if (k_cm[0]) {
                        snprintf(cmref, sizeof(cmref), "%s%s", CC_GKE_CERTMGR_REF, k_cm);
                        add_str(&t, b, "certificateMap", cmref);
                }
                n = node(&t, &cc_gke_kind_https_proxy, k_ts, b);
                dep(&t, n, k_um);
                if (k_cm[0]) {
                        dep(&t, n, k_cm);
                        /* the proxy serves once the map has its entries */
                        for (i = 0; i < g->n; i++)
                                if (g->nodes[i]->kind == &cc_gke_kind_certificate_map_entry &&
                                    g->nodes[i]->owner && !strcmp(g->nodes[i]->owner, t.owner))
                                        dep(&t, n, g->nodes[i]->key);
                }
        }
        if (any_http) {
                name_of(&t, n_tp, "tp", NULL);
                compute_key(&t, k_tp, "targetHttpProxies", n_tp);
                b = body_named(&t, n_tp);
                url_of(url, k_rm[0] ? k_rm : k_um);
                add_str(&t, b, "urlMap", url);
                n = node(&t, &cc_gke_kind_http_proxy, k_tp, b);
                dep(&t, n, k_rm[0] ? k_rm : k_um);
        }

        /* one forwarding rule per listener port, on the one address */
        for (i = 0; i < (size_t)nports; i++) {
                char n_fr[64], k_fr[KEYMAX], port[16], range[32];
                bool https = false;

                for (j = 0; j < gw->nlisteners; j++)
                        if (gw->listeners[j].port == ports[i])
                                https = gw->listeners[j].protocol == CC_LB_HTTPS;
                snprintf(port, sizeof(port), "%d", ports[i]);
                snprintf(range, sizeof(range), "%d-%d", ports[i], ports[i]);
                name_of(&t, n_fr, "fr", port);
                compute_key(&t, k_fr, "forwardingRules", n_fr);
                b = body_named(&t, n_fr);
                add_str(&t, b, "IPAddress", ref_ip);
                add_str(&t, b, "IPProtocol", "TCP");
                add_str(&t, b, "portRange", range);
                url_of(url, https ? k_ts : k_tp);
                add_str(&t, b, "target", url);
                add_str(&t, b, "loadBalancingScheme", "EXTERNAL_MANAGED");
                add_str(&t, b, "networkTier", "PREMIUM");
                labels(&t, b);
                n = node(&t, &cc_gke_kind_forwarding_rule, k_fr, b);
                dep(&t, n, k_ip);
                dep(&t, n, https ? k_ts : k_tp);
        }

        /* DNS: A records for the hostnames in our zone, CNAMEs for the DNS
         * authorizations, and a TXT ownership record beside each */
        if (s->dns_zone && s->dns_name) {
                struct rr {
                        const char *type;
                        char name[300];
                        char value[KEYMAX + 64];
                        char dep[KEYMAX];
                };
                struct rr *rrs = cc_calloc(hosts.n + domains.n + 1, sizeof(*rrs));
                size_t nrr = 0;

                if (!rrs)
                        fail(&t, CC_NOMEM);
                for (i = 0; rrs && i < hosts.n; i++) {
                        if (!host_in_zone(base_domain(hosts.v[i]), s->dns_name))
                                continue;
                        rrs[nrr].type = "A";
                        snprintf(rrs[nrr].name, sizeof(rrs[nrr].name), "%s.", hosts.v[i]);
                        snprintf(rrs[nrr].value, sizeof(rrs[nrr].value), "%s", ref_ip);
                        snprintf(rrs[nrr].dep, sizeof(rrs[nrr].dep), "%s", k_ip);
                        nrr++;
                }
                for (i = 0; rrs && k_ce[0] && i < domains.n; i++) {
                        char n_da[64], k_da[KEYMAX];

                        if (!host_in_zone(domains.v[i], s->dns_name))
                                continue;
                        name_of(&t, n_da, "da", domains.v[i]);
                        certmgr_key(&t, k_da, "dnsAuthorizations", n_da);
                        rrs[nrr].type = "CNAME";
                        snprintf(rrs[nrr].name, sizeof(rrs[nrr].name), "_acme-challenge.%s.",
                                 domains.v[i]);
                        cc_ref_make(rrs[nrr].value, sizeof(rrs[nrr].value), k_da,
                                    "dnsResourceRecord.data");
                        snprintf(rrs[nrr].dep, sizeof(rrs[nrr].dep), "%s", k_da);
                        nrr++;
                }
                for (i = 0; i < nrr; i++) {
                        char k_rr[KEYMAX * 2], k_txt[KEYMAX * 2], txt_name[320], txt[320];
                        char lower[8];
                        size_t c;

                        snprintf(k_rr, sizeof(k_rr), "projects/%s/managedZones/%s/rrsets/%s/%s",
                                 s->project, s->dns_zone, rrs[i].name, rrs[i].type);
                        b = cJSON_CreateObject();
                        add_str(&t, b, "name", rrs[i].name);
                        add_str(&t, b, "type", rrs[i].type);
                        add_num(&t, b, "ttl", CC_GKE_DNS_TTL);
                        push_str(&t, add_arr(&t, b, "rrdatas"), rrs[i].value);
                        n = node(&t, &cc_gke_kind_rrset, k_rr, b);
                        if (n) {
                                char disp[340];

                                snprintf(disp, sizeof(disp), "%s %s", rrs[i].name, rrs[i].type);
                                cc_node_set_name(n, disp);
                        }
                        dep(&t, n, rrs[i].dep);

                        for (c = 0; rrs[i].type[c] && c < sizeof(lower) - 1; c++)
                                lower[c] = (char)(rrs[i].type[c] | 0x20);
                        lower[c] = '\0';
                        snprintf(txt_name, sizeof(txt_name), "cloudctl-owner-%s.%s", lower,
                                 rrs[i].name);
                        snprintf(k_txt, sizeof(k_txt), "projects/%s/managedZones/%s/rrsets/%s/TXT",
                                 s->project, s->dns_zone, txt_name);
                        snprintf(txt, sizeof(txt), "\"cloudctl.dev/owner=%s\"", t.owner);
                        b = cJSON_CreateObject();
                        add_str(&t, b, "name", txt_name);
                        add_str(&t, b, "type", "TXT");
                        add_num(&t, b, "ttl", CC_GKE_DNS_TTL);
                        push_str(&t, add_arr(&t, b, "rrdatas"), txt);
                        n = node(&t, &cc_gke_kind_rrset, k_txt, b);
                        if (n) {
                                char disp[340];

                                snprintf(disp, sizeof(disp), "%s TXT", txt_name);
                                cc_node_set_name(n, disp);
                        }
                        /* written in one change with its record (exec.c): after it */
                        dep(&t, n, k_rr);
                }
                cc_free(rrs);
        }

        cc_strv_release(&hosts);
        cc_strv_release(&https_hosts);
        cc_strv_release(&managed_hosts);
        cc_strv_release(&domains);
        if (t.rc && d && d->code == CC_OK)
                cc_diag_set(d, t.rc, 0, "gateway '%s/%s': cannot translate: %s", gw->ns, gw->name,
                            cc_err_name(t.rc));
        return t.rc;
}

const struct cc_provider_ops cc_gke_provider = {
        .abi = CC_PROVIDER_ABI,
        .name = "gke",
        .caps = 0,
        .priv_size = 0,
        .translate = cc_gke_translate,
};
