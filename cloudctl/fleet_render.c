/* fleet_render.c -- the desired per-cluster Istio objects of a composite Gateway (pure).
 *
 * DESIGN
 * ------
 * cc_fleet_render() is a pure function of its input: no I/O, no clock.
 * Label and annotation maps are written with their keys sorted and route
 * copies are ordered by namespace and name, so that the same Gateway and
 * routes always give the same bytes whatever order the caches hand them
 * over in.
 *
 * Route copies live in their route's namespace (so that backendRefs
 * without a namespace and ReferenceGrants resolve exactly as for the
 * parent), and every child listener copies allowedRoutes from the first
 * parent listener with its hostname, so the child admits the copies the
 * parent admitted.
 */
#include "cloudctl/fleet.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "providers/gke/naming.h"
#include "core/banned.h"

#define GW_GROUP       "gateway.networking.k8s.io"
#define GW_PREFIX      "gateway.networking.k8s.io/"
#define LBL_GW_NAME    "gateway.networking.k8s.io/gateway-name"
#define LBL_GW_CLASS   "gateway.networking.k8s.io/gateway-class-name"
#define SUFFIX         "-istio"
#define HASH_LEN       10
#define NAME_MAX_DNS   63
#define NAME_MAX_ROUTE 253

/* --- names ------------------------------------------------------------------ */

static void
hash10(const char *s, char *out)
{
        static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned mdlen = 0;
        size_t i;

        if (!EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL) || mdlen < HASH_LEN)
                memset(md, 0, sizeof(md));
        for (i = 0; i < HASH_LEN; i++)
                out[i] = digits[md[i] % 36];
        out[HASH_LEN] = '\0';
}

static bool
is_lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* a DNS-1035 label: [a-z]([-a-z0-9]*[a-z0-9])? */
static bool
dns1035(const char *s, size_t max)
{
        size_t n = strlen(s), i;

        if (!n || n > max || !(s[0] >= 'a' && s[0] <= 'z') || s[n - 1] == '-')
                return false;
        for (i = 0; i < n; i++)
                if (!is_lower_alnum(s[i]) && s[i] != '-')
                        return false;
        return true;
}

cc_err
cc_fleet_object_name(char *out, size_t outsz, const char *gw)
{
        char cand[NAME_MAX_DNS + 1], h[HASH_LEN + 1], s[NAME_MAX_DNS + 1];
        size_t n = 0, budget = NAME_MAX_DNS - 1 - HASH_LEN - (sizeof(SUFFIX) - 1);
        const char *p;

        if (!gw || !gw[0] || outsz < NAME_MAX_DNS + 1)
                return CC_INVAL;
        if (strlen(gw) + sizeof(SUFFIX) - 1 <= NAME_MAX_DNS) {
                snprintf(cand, sizeof(cand), "%s" SUFFIX, gw);
                if (dns1035(cand, NAME_MAX_DNS)) {
                        snprintf(out, outsz, "%s", cand);
                        return CC_OK;
                }
        }
        /* too long, or not a valid Service name (dots, capitals, a leading
         * digit): a readable prefix plus a hash of the whole name */
        hash10(gw, h);
        for (p = gw; *p && !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')); p++)
                ;
        for (; *p && n < budget; p++) {
                char c = *p;

                if (c >= 'A' && c <= 'Z')
                        c = (char)(c - 'A' + 'a');
                if (!is_lower_alnum(c))
                        c = '-';
                if (c == '-' && n && s[n - 1] == '-')
                        continue;
                s[n++] = c;
        }
        while (n && s[n - 1] == '-')
                n--;
        s[n] = '\0';
        snprintf(out, outsz, "%s-%s" SUFFIX, n ? s : "gw", h);
        return CC_OK;
}

static void
route_copy_name(char *out, size_t outsz, const char *child, const char *route)
{
        char full[NAME_MAX_DNS + NAME_MAX_ROUTE + 8], h[HASH_LEN + 1];
        size_t n;

        snprintf(full, sizeof(full), "%s-%s", child, route);
        if (strlen(full) <= NAME_MAX_ROUTE) {
                snprintf(out, outsz, "%s", full);
                return;
        }
        hash10(full, h);
        n = NAME_MAX_ROUTE - 1 - HASH_LEN;
        full[n] = '\0';
        while (n && (full[n - 1] == '-' || full[n - 1] == '.'))
                full[--n] = '\0';
        snprintf(out, outsz, "%s-%s", full, h);
}

cc_err
cc_fleet_neg_name(char *out, size_t outsz, const char *fleet, const char *ns, const char *name,
                  const char *cluster)
{
        return cc_gke_name(out, outsz, "neg", fleet, ns, name, cluster);
}

/* --- building --------------------------------------------------------------- */

struct child_listener {
        const char *hostname; /* NULL: no hostname */
        const char *name;     /* the first parent listener's name with it */
        const cJSON *allowed; /* its allowedRoutes or NULL */
};

struct ctx {
        bool oom;
        const char *ns, *gw, *cluster;
        const cJSON *infra_labels, *infra_annots;
        char child[NAME_MAX_DNS + 1];
        char hash[HASH_LEN + 1];
        char owner[512];
        char neg[CC_GKE_NAME_MAX + 1];
        char port_name[NAME_MAX_DNS + 1];
        char fqdn[NAME_MAX_DNS + 300];
        int port;
        const cJSON *listeners;
        struct child_listener *cl;
        size_t ncl;
};

static const char *
jstr(const cJSON *o, const char *key)
{
        const cJSON *v = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;

        return cJSON_IsString(v) ? v->valuestring : NULL;
}

static cJSON *
chk(struct ctx *c, cJSON *p)
{
        if (!p)
                c->oom = true;
        return p;
}

/* order the keys of o: n times, move the smallest of the not yet moved
 * ones to the end (appends only, no allocation) */
static void
sort_keys(cJSON *o)
{
        int n = cJSON_GetArraySize(o), i, j;

        for (i = 0; i < n; i++) {
                cJSON *min = NULL, *it = o->child;

                for (j = 0; j < n - i && it; j++, it = it->next)
                        if (!min || strcmp(it->string, min->string) < 0)
                                min = it;
                if (!min)
                        return;
                cJSON_DetachItemViaPointer(o, min);
                cJSON_AddItemToArray(o, min);
        }
}

/* put key=value (string) into the map o, keeping its keys sorted; an
 * existing key is replaced */
static void
map_put(struct ctx *c, cJSON *o, const char *key, const char *value)
{
        cJSON *v;

        if (!o)
                return;
        if (!(v = chk(c, cJSON_CreateString(value))))
                return;
        if (cJSON_GetObjectItemCaseSensitive(o, key)) {
                if (!cJSON_ReplaceItemInObjectCaseSensitive(o, key, v)) {
                        cJSON_Delete(v);
                        c->oom = true;
                }
                return;
        }
        if (!cJSON_AddItemToObject(o, key, v)) {
                cJSON_Delete(v);
                c->oom = true;
                return;
        }
        sort_keys(o);
}

static void
map_put_infra(struct ctx *c, cJSON *o, const cJSON *infra)
{
        const cJSON *it;

        if (!cJSON_IsObject(infra))
                return;
        cJSON_ArrayForEach(it, infra)
        {
                if (!cJSON_IsString(it) || !strncmp(it->string, GW_PREFIX, sizeof(GW_PREFIX) - 1))
                        continue;
                map_put(c, o, it->string, it->valuestring);
        }
}

enum { WITH_INFRA = 1, WITH_GW_LABELS = 2 };

/* {apiVersion, kind, metadata: {name, namespace, labels, annotations}} */
static cJSON *
new_object(struct ctx *c, const char *api, const char *kind, const char *ns, const char *name,
           int flags, cJSON **annots)
{
        cJSON *o = chk(c, cJSON_CreateObject()), *m, *l, *a;

        chk(c, cJSON_AddStringToObject(o, "apiVersion", api));
        chk(c, cJSON_AddStringToObject(o, "kind", kind));
        m = chk(c, cJSON_AddObjectToObject(o, "metadata"));
        chk(c, cJSON_AddStringToObject(m, "name", name));
        chk(c, cJSON_AddStringToObject(m, "namespace", ns));
        l = chk(c, cJSON_AddObjectToObject(m, "labels"));
        a = chk(c, cJSON_AddObjectToObject(m, "annotations"));
        if (flags & WITH_INFRA) {
                map_put_infra(c, l, c->infra_labels);
                map_put_infra(c, a, c->infra_annots);
        }
        if (flags & WITH_GW_LABELS) {
                map_put(c, l, LBL_GW_NAME, c->child);
                map_put(c, l, LBL_GW_CLASS, CC_FLEET_CHILD_CLASS);
        }
        map_put(c, l, CC_FLEET_MANAGED_LABEL, CC_FLEET_MANAGED_VALUE);
        map_put(c, l, CC_FLEET_HASH_LABEL, c->hash);
        map_put(c, a, CC_FLEET_OWNER_ANNOT, c->owner);
        if (annots)
                *annots = a;
        return o;
}

static void
add_port(struct ctx *c, cJSON *ports, const char *name, int port, const char *app, bool target)
{
        cJSON *p = chk(c, cJSON_CreateObject());

        chk(c, cJSON_AddStringToObject(p, "name", name));
        chk(c, cJSON_AddNumberToObject(p, target ? "port" : "containerPort", port));
        chk(c, cJSON_AddStringToObject(p, "protocol", "TCP"));
        if (app)
                chk(c, cJSON_AddStringToObject(p, "appProtocol", app));
        if (target)
                chk(c, cJSON_AddNumberToObject(p, "targetPort", port));
        if (p && !cJSON_AddItemToArray(ports, p)) {
                cJSON_Delete(p);
                c->oom = true;
        }
}

static void
push(struct ctx *c, cJSON *arr, cJSON *o)
{
        if (o && !cJSON_AddItemToArray(arr, o)) {
                cJSON_Delete(o);
                c->oom = true;
        }
}

static cJSON *
service_account(struct ctx *c)
{
        return new_object(c, "v1", "ServiceAccount", c->ns, c->child, WITH_INFRA | WITH_GW_LABELS,
                          NULL);
}

static cJSON *
service(struct ctx *c)
{
        cJSON *a = NULL, *o, *spec, *sel, *ports, *neg = NULL, *ep, *pe;
        char key[16], *text = NULL;

        o = new_object(c, "v1", "Service", c->ns, c->child, WITH_INFRA | WITH_GW_LABELS, &a);
        /* {"exposed_ports":{"<port>":{"name":"<neg>"}}} */
        snprintf(key, sizeof(key), "%d", c->port);
        neg = chk(c, cJSON_CreateObject());
        ep = chk(c, cJSON_AddObjectToObject(neg, "exposed_ports"));
        pe = chk(c, cJSON_AddObjectToObject(ep, key));
        chk(c, cJSON_AddStringToObject(pe, "name", c->neg));
        if (neg && !c->oom && (text = cJSON_PrintUnformatted(neg)))
                map_put(c, a, "cloud.google.com/neg", text);
        else
                c->oom = true;
        cJSON_free(text);
        cJSON_Delete(neg);
        spec = chk(c, cJSON_AddObjectToObject(o, "spec"));
        chk(c, cJSON_AddStringToObject(spec, "type", "ClusterIP"));
        sel = chk(c, cJSON_AddObjectToObject(spec, "selector"));
        map_put(c, sel, LBL_GW_NAME, c->child);
        ports = chk(c, cJSON_AddArrayToObject(spec, "ports"));
        add_port(c, ports, "status-port", CC_FLEET_STATUS_PORT, "tcp", true);
        add_port(c, ports, c->port_name, c->port, "http", true);
        return o;
}

static cJSON *
deployment(struct ctx *c)
{
        cJSON *o, *spec, *sel, *ml, *tpl, *tm, *ta, *tl, *ps, *ctrs, *ct, *ports, *rp, *hg, *env,
            *ev;
        char prom[16];

        o = new_object(c, "apps/v1", "Deployment", c->ns, c->child, WITH_INFRA | WITH_GW_LABELS,
                       NULL);
        spec = chk(c, cJSON_AddObjectToObject(o, "spec"));
        /* no replicas: an autoscaler or the user owns the count */
        sel = chk(c, cJSON_AddObjectToObject(spec, "selector"));
        ml = chk(c, cJSON_AddObjectToObject(sel, "matchLabels"));
        map_put(c, ml, LBL_GW_NAME, c->child);
        tpl = chk(c, cJSON_AddObjectToObject(spec, "template"));
        tm = chk(c, cJSON_AddObjectToObject(tpl, "metadata"));
        ta = chk(c, cJSON_AddObjectToObject(tm, "annotations"));
        tl = chk(c, cJSON_AddObjectToObject(tm, "labels"));
        map_put_infra(c, ta, c->infra_annots);
        snprintf(prom, sizeof(prom), "%d", 15020);
        map_put(c, ta, "inject.istio.io/templates", "gateway");
        map_put(c, ta, "prometheus.io/path", "/stats/prometheus");
        map_put(c, ta, "prometheus.io/port", prom);
        map_put(c, ta, "prometheus.io/scrape", "true");
        map_put_infra(c, tl, c->infra_labels);
        map_put(c, tl, LBL_GW_NAME, c->child);
        map_put(c, tl, LBL_GW_CLASS, CC_FLEET_CHILD_CLASS);
        map_put(c, tl, "sidecar.istio.io/inject", "true");
        map_put(c, tl, "istio.io/rev", "default");
        map_put(c, tl, "service.istio.io/canonical-name", c->child);
        map_put(c, tl, "service.istio.io/canonical-revision", "latest");
        ps = chk(c, cJSON_AddObjectToObject(tpl, "spec"));
        chk(c, cJSON_AddStringToObject(ps, "serviceAccountName", c->child));
        ctrs = chk(c, cJSON_AddArrayToObject(ps, "containers"));
        ct = chk(c, cJSON_CreateObject());
        chk(c, cJSON_AddStringToObject(ct, "name", "istio-proxy"));
        /* the injector replaces "auto" with the proxy image */
        chk(c, cJSON_AddStringToObject(ct, "image", "auto"));
        ports = chk(c, cJSON_AddArrayToObject(ct, "ports"));
        add_port(c, ports, "metrics", 15020, NULL, false);
        add_port(c, ports, "status-port", CC_FLEET_STATUS_PORT, NULL, false);
        add_port(c, ports, "http-envoy-prom", 15090, NULL, false);
        rp = chk(c, cJSON_AddObjectToObject(ct, "readinessProbe"));
        hg = chk(c, cJSON_AddObjectToObject(rp, "httpGet"));
        chk(c, cJSON_AddStringToObject(hg, "path", "/healthz/ready"));
        chk(c, cJSON_AddNumberToObject(hg, "port", CC_FLEET_STATUS_PORT));
        env = chk(c, cJSON_AddArrayToObject(ct, "env"));
        ev = chk(c, cJSON_CreateObject());
        chk(c, cJSON_AddStringToObject(ev, "name", "ISTIO_META_CLUSTER_ID"));
        chk(c, cJSON_AddStringToObject(ev, "value", c->cluster));
        push(c, env, ev);
        push(c, ctrs, ct);
        return o;
}

static cJSON *
child_gateway(struct ctx *c)
{
        cJSON *o, *spec, *addrs, *ad, *ls, *l;
        size_t i;

        o = new_object(c, GW_GROUP "/v1", "Gateway", c->ns, c->child, 0, NULL);
        spec = chk(c, cJSON_AddObjectToObject(o, "spec"));
        chk(c, cJSON_AddStringToObject(spec, "gatewayClassName", CC_FLEET_CHILD_CLASS));
        addrs = chk(c, cJSON_AddArrayToObject(spec, "addresses"));
        ad = chk(c, cJSON_CreateObject());
        chk(c, cJSON_AddStringToObject(ad, "type", "Hostname"));
        chk(c, cJSON_AddStringToObject(ad, "value", c->fqdn));
        push(c, addrs, ad);
        ls = chk(c, cJSON_AddArrayToObject(spec, "listeners"));
        for (i = 0; i < c->ncl; i++) {
                l = chk(c, cJSON_CreateObject());
                chk(c, cJSON_AddStringToObject(l, "name", c->cl[i].name));
                if (c->cl[i].hostname)
                        chk(c, cJSON_AddStringToObject(l, "hostname", c->cl[i].hostname));
                chk(c, cJSON_AddNumberToObject(l, "port", c->port));
                chk(c, cJSON_AddStringToObject(l, "protocol", "HTTP"));
                if (c->cl[i].allowed && l) {
                        cJSON *a = chk(c, cJSON_Duplicate(c->cl[i].allowed, true));

                        if (a && !cJSON_AddItemToObject(l, "allowedRoutes", a)) {
                                cJSON_Delete(a);
                                c->oom = true;
                        }
                }
                push(c, ls, l);
        }
        return o;
}

static bool
same_str(const char *a, const char *b)
{
        return (!a && !b) || (a && b && !strcmp(a, b));
}

/* the child listener carrying the hostname of the parent listener named
 * section, or NULL */
static const char *
child_section(const struct ctx *c, const char *section)
{
        const cJSON *l;
        size_t i;

        cJSON_ArrayForEach(l, c->listeners)
        {
                if (!same_str(jstr(l, "name"), section))
                        continue;
                for (i = 0; i < c->ncl; i++)
                        if (same_str(c->cl[i].hostname, jstr(l, "hostname")))
                                return c->cl[i].name;
        }
        return NULL;
}

/* the rewritten parentRefs of a route, or NULL (and no error) when none
 * points at the parent */
static cJSON *
rewrite_refs(struct ctx *c, const cJSON *refs, const char *rns)
{
        cJSON *out = chk(c, cJSON_CreateArray()), *n, *it;
        const cJSON *p, *list = cJSON_IsArray(refs) ? refs : NULL;

        cJSON_ArrayForEach(p, list)
        {
                const char *g = jstr(p, "group"), *k = jstr(p, "kind"), *ns = jstr(p, "namespace");
                const char *name = jstr(p, "name"), *sec = jstr(p, "sectionName"), *csec = NULL;
                bool dup = false;

                if (!name || strcmp(name, c->gw) || strcmp(g ? g : GW_GROUP, GW_GROUP) ||
                    strcmp(k ? k : "Gateway", "Gateway") || strcmp(ns ? ns : rns, c->ns))
                        continue;
                if (sec && !(csec = child_section(c, sec)))
                        continue;
                n = chk(c, cJSON_CreateObject());
                chk(c, cJSON_AddStringToObject(n, "group", GW_GROUP));
                chk(c, cJSON_AddStringToObject(n, "kind", "Gateway"));
                chk(c, cJSON_AddStringToObject(n, "namespace", c->ns));
                chk(c, cJSON_AddStringToObject(n, "name", c->child));
                if (csec)
                        chk(c, cJSON_AddStringToObject(n, "sectionName", csec));
                /* two parent listeners with one hostname map to one child
                 * listener; parentRefs must stay unique */
                cJSON_ArrayForEach(it, out) dup = dup || cJSON_Compare(it, n, true);
                if (dup)
                        cJSON_Delete(n);
                else
                        push(c, out, n);
        }
        if (out && !cJSON_GetArraySize(out)) {
                cJSON_Delete(out);
                out = NULL;
        }
        return out;
}

static cJSON *
route_copy(struct ctx *c, const cJSON *rt)
{
        const cJSON *meta = cJSON_GetObjectItemCaseSensitive(rt, "metadata");
        const cJSON *spec = cJSON_GetObjectItemCaseSensitive(rt, "spec"), *it;
        const char *rns = jstr(meta, "namespace"), *rname = jstr(meta, "name");
        cJSON *o = NULL, *s, *refs;
        char name[NAME_MAX_ROUTE + 1];

        if (!(refs = rewrite_refs(c, cJSON_GetObjectItemCaseSensitive(spec, "parentRefs"), rns)))
                return NULL;
        route_copy_name(name, sizeof(name), c->child, rname);
        o = new_object(c, GW_GROUP "/v1", "HTTPRoute", rns, name, 0, NULL);
        s = chk(c, cJSON_AddObjectToObject(o, "spec"));
        if (s && !cJSON_AddItemToObject(s, "parentRefs", refs)) {
                cJSON_Delete(refs);
                c->oom = true;
        } else if (!s) {
                cJSON_Delete(refs);
        }
        if (!cJSON_IsObject(spec))
                spec = NULL;
        cJSON_ArrayForEach(it, spec)
        {
                cJSON *d;

                if (!strcmp(it->string, "parentRefs"))
                        continue;
                d = chk(c, cJSON_Duplicate(it, true));
                if (d && !cJSON_AddItemToObject(s, it->string, d)) {
                        cJSON_Delete(d);
                        c->oom = true;
                }
        }
        return o;
}

struct route_ref {
        const cJSON *rt;
        const char *ns, *name;
};

static int
route_cmp(const void *a, const void *b)
{
        const struct route_ref *x = a, *y = b;
        int r = strcmp(x->ns, y->ns);

        return r ? r : strcmp(x->name, y->name);
}

static void
port_name(struct ctx *c, const char *lname)
{
        size_t n = 0;
        const char *p;

        for (p = lname ? lname : ""; *p && n < NAME_MAX_DNS; p++) {
                char ch = *p;

                if (ch >= 'A' && ch <= 'Z')
                        ch = (char)(ch - 'A' + 'a');
                if (!is_lower_alnum(ch))
                        ch = '-';
                if (ch == '-' && (!n || c->port_name[n - 1] == '-'))
                        continue;
                c->port_name[n++] = ch;
        }
        while (n && c->port_name[n - 1] == '-')
                n--;
        c->port_name[n] = '\0';
        if (!n || !strcmp(c->port_name, "status-port") || !(c->port_name[0] >= 'a'))
                snprintf(c->port_name, sizeof(c->port_name), "http-%d", c->port);
}

static cc_err
check_input(const struct cc_fleet_input *in, const char *cluster, struct ctx *c, struct cc_diag *d)
{
        const cJSON *meta, *spec, *l, *inf;
        size_t i;

        if (!in || !cJSON_IsObject(in->gateway) || !cluster || !cluster[0])
                return cc_diag_set(d, CC_INVAL, 0, "cannot render: no gateway or cluster");
        meta = cJSON_GetObjectItemCaseSensitive(in->gateway, "metadata");
        c->ns = jstr(meta, "namespace");
        c->gw = jstr(meta, "name");
        if (!c->ns || !c->ns[0] || !c->gw || !c->gw[0])
                return cc_diag_set(d, CC_INVAL, 0,
                                   "cannot render: gateway without metadata.name/namespace");
        c->port = in->serving_port ? in->serving_port : 80;
        if (c->port < 1 || c->port > 65535 || c->port == CC_FLEET_STATUS_PORT || c->port == 15020 ||
            c->port == 15090)
                return cc_diag_set(d, CC_INVAL, 0, "cannot render gateway '%s/%s': bad port %d",
                                   c->ns, c->gw, c->port);
        spec = cJSON_GetObjectItemCaseSensitive(in->gateway, "spec");
        c->listeners = cJSON_GetObjectItemCaseSensitive(spec, "listeners");
        if (!cJSON_IsArray(c->listeners) || !cJSON_GetArraySize(c->listeners))
                return cc_diag_set(d, CC_INVAL, 0, "cannot render gateway '%s/%s': no listeners",
                                   c->ns, c->gw);
        cJSON_ArrayForEach(l, c->listeners)
        {
                const cJSON *h = cJSON_GetObjectItemCaseSensitive(l, "hostname");

                if (!jstr(l, "name") || (h && !cJSON_IsString(h) && !cJSON_IsNull(h)))
                        return cc_diag_set(d, CC_INVAL, 0,
                                           "cannot render gateway '%s/%s': bad listener", c->ns,
                                           c->gw);
        }
        for (i = 0; i < in->nroutes; i++) {
                meta = cJSON_GetObjectItemCaseSensitive(in->routes[i], "metadata");
                if (!jstr(meta, "name") || !jstr(meta, "namespace"))
                        return cc_diag_set(d, CC_INVAL, 0,
                                           "cannot render gateway '%s/%s': route %zu without "
                                           "metadata.name/namespace",
                                           c->ns, c->gw, i);
        }
        inf = cJSON_GetObjectItemCaseSensitive(spec, "infrastructure");
        c->infra_labels = cJSON_GetObjectItemCaseSensitive(inf, "labels");
        c->infra_annots = cJSON_GetObjectItemCaseSensitive(inf, "annotations");
        c->cluster = cluster;
        return CC_OK;
}

cc_err
cc_fleet_render(const struct cc_fleet_input *in, const char *cluster, cJSON **out,
                struct cc_diag *d)
{
        struct ctx c = { 0 };
        struct route_ref *rr = NULL;
        cJSON *arr = NULL;
        const cJSON *l;
        char scratch[CC_GKE_NAME_MAX + 1];
        size_t i, j;
        cc_err rc;

        if ((rc = check_input(in, cluster, &c, d)))
                goto out;
        rc = CC_NOMEM;
        if (cc_fleet_object_name(c.child, sizeof(c.child), c.gw) ||
            cc_fleet_neg_name(c.neg, sizeof(c.neg), in->fleet ? in->fleet : "", c.ns, c.gw,
                              cluster) ||
            cc_gke_name(scratch, sizeof(scratch), "gw", in->fleet ? in->fleet : "", c.ns, c.gw,
                        NULL)) {
                rc = cc_diag_set(d, CC_INTERNAL, 0, "cannot name the objects of '%s/%s'", c.ns,
                                 c.gw);
                goto out;
        }
        /* the hash part of a gke name is the hash of fleet/ns/name */
        snprintf(c.hash, sizeof(c.hash), "%s", scratch + strlen(scratch) - HASH_LEN);
        snprintf(c.owner, sizeof(c.owner), "%s/%s", c.ns, c.gw);
        snprintf(c.fqdn, sizeof(c.fqdn), "%s.%s.svc.cluster.local", c.child, c.ns);
        port_name(&c, jstr(c.listeners->child, "name"));
        if (!(c.cl = cc_calloc((size_t)cJSON_GetArraySize(c.listeners), sizeof(*c.cl))))
                goto nomem;
        cJSON_ArrayForEach(l, c.listeners)
        {
                const char *h = jstr(l, "hostname");

                for (j = 0; j < c.ncl && !same_str(c.cl[j].hostname, h); j++)
                        ;
                if (j < c.ncl)
                        continue;
                c.cl[c.ncl].hostname = h;
                c.cl[c.ncl].name = jstr(l, "name");
                c.cl[c.ncl].allowed = cJSON_GetObjectItemCaseSensitive(l, "allowedRoutes");
                c.ncl++;
        }
        if (!(arr = cJSON_CreateArray()))
                goto nomem;
        push(&c, arr, service_account(&c));
        push(&c, arr, service(&c));
        push(&c, arr, deployment(&c));
        push(&c, arr, child_gateway(&c));
        if (in->nroutes) {
                if (!(rr = cc_calloc(in->nroutes, sizeof(*rr))))
                        goto nomem;
                for (i = 0; i < in->nroutes; i++) {
                        const cJSON *m =
                            cJSON_GetObjectItemCaseSensitive(in->routes[i], "metadata");

                        rr[i].rt = in->routes[i];
                        rr[i].ns = jstr(m, "namespace");
                        rr[i].name = jstr(m, "name");
                }
                qsort(rr, in->nroutes, sizeof(*rr), route_cmp);
                for (i = 0; i < in->nroutes; i++)
                        if (!i || route_cmp(&rr[i - 1], &rr[i]))
                                push(&c, arr, route_copy(&c, rr[i].rt));
        }
        if (c.oom)
                goto nomem;
        *out = arr;
        arr = NULL;
        rc = CC_OK;
        goto out;
nomem:
        rc = cc_diag_set(d, CC_NOMEM, 0, "cannot render '%s/%s': out of memory", c.ns, c.gw);
out:
        cJSON_Delete(arr);
        cc_free(rr);
        cc_free(c.cl);
        return rc;
}
