/* gke.c -- GKE's NEG controller, played by a worker thread per cluster.
 *
 * DESIGN
 * ------
 * For every Service annotated cloud.google.com/neg with exposed_ports, the
 * worker creates the named zonal NEGs (GCE_VM_IP_PORT) in each configured
 * zone through the Compute REST API of mock-gcp, attaches the endpoints of
 * the Service's EndpointSlices (label kubernetes.io/service-name) to the NEG
 * of their zone (detaching the ones that went away), and writes the
 * cloud.google.com/neg-status annotation.
 *
 * The worker wakes when a Service or EndpointSlice changes (k->gke.dirty,
 * set by kube_record) or once a second.  It snapshots the work under the
 * server lock, makes its blocking libcurl calls without the lock, then takes
 * the lock again to record what was done and to write the annotation.  A
 * failed call leaves the cluster dirty so the next pass retries.
 * Not emulated: deleting NEGs when a Service or its annotation goes away.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "mocks/kube/kube.h"
#include "core/banned.h"

#define NEG_ANN    "cloud.google.com/neg"
#define STATUS_ANN "cloud.google.com/neg-status"

/* one Service's desired state, taken under the lock */
struct work {
        char ns[256];
        char name[256];
        cJSON *ports;     /* {"80": "neg-name"} */
        cJSON *endpoints; /* {"neg-name": {"zone": ["ip:port", ...]}} */
        char *status;     /* the annotation value to write */
        char *current;    /* the annotation value now */
};

static size_t
discard(char *p, size_t size, size_t n, void *ud)
{
        (void)p;
        (void)ud;
        return size * n;
}

/* POST json to url; true on 2xx (or 409 when ok409) */
static bool
post(const char *url, const cJSON *body, bool ok409)
{
        CURL *c = curl_easy_init();
        struct curl_slist *h = NULL;
        char *text = cJSON_PrintUnformatted(body);
        long code = 0;
        bool ok = false;

        if (!c || !text)
                goto out;
        h = curl_slist_append(h, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
        if (curl_easy_perform(c) == CURLE_OK) {
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
                ok = (code >= 200 && code < 300) || (ok409 && code == 409);
        }
out:
        curl_slist_free_all(h);
        if (c)
                curl_easy_cleanup(c);
        cJSON_free(text);
        return ok;
}

static bool
in_zones(const struct kube_gke *g, const char *z)
{
        size_t i;

        for (i = 0; z && i < g->nzones; i++)
                if (!strcmp(g->zones[i], z))
                        return true;
        return false;
}

/* the Service port entry for port number p */
static const cJSON *
service_port(const cJSON *svc, long p)
{
        const cJSON *it;

        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(
                                   cJSON_GetObjectItemCaseSensitive(svc, "spec"), "ports"))
        {
                const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, "port");

                if (cJSON_IsNumber(n) && (long)n->valuedouble == p)
                        return it;
        }
        return NULL;
}

static void
add_endpoints(struct kube *k, const cJSON *svc, const char *ns, const char *name, long svc_port,
              const char *neg, cJSON *endpoints)
{
        const cJSON *sp = service_port(svc, svc_port);
        const char *pname = kube_str(sp, "name", NULL);
        cJSON *by_zone = cJSON_AddObjectToObject(endpoints, neg);
        size_t i, z;

        for (z = 0; z < k->gke.nzones; z++)
                cJSON_AddArrayToObject(by_zone, k->gke.zones[z]);
        if (!sp)
                return;
        for (i = 0; i < k->nobjs; i++) {
                const cJSON *s = k->objs[i].obj, *p, *ep;
                long port = -1;

                if (strcmp(k->objs[i].res->kind, "EndpointSlice") || strcmp(k->objs[i].ns, ns))
                        continue;
                {
                        const cJSON *labels = cJSON_GetObjectItemCaseSensitive(
                            cJSON_GetObjectItemCaseSensitive(s, "metadata"), "labels");
                        const char *svcname = kube_str(labels, "kubernetes.io/service-name", NULL);

                        if (!svcname || strcmp(svcname, name))
                                continue;
                }
                cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(s, "ports"))
                {
                        const char *n = kube_str(p, "name", NULL);
                        const cJSON *num = cJSON_GetObjectItemCaseSensitive(p, "port");

                        if (cJSON_IsNumber(num) && !strcmp(n ? n : "", pname ? pname : ""))
                                port = (long)num->valuedouble;
                }
                if (port < 0)
                        continue;
                cJSON_ArrayForEach(ep, cJSON_GetObjectItemCaseSensitive(s, "endpoints"))
                {
                        const cJSON *ready = cJSON_GetObjectItemCaseSensitive(
                            cJSON_GetObjectItemCaseSensitive(ep, "conditions"), "ready");
                        const cJSON *addr = cJSON_GetArrayItem(
                            cJSON_GetObjectItemCaseSensitive(ep, "addresses"), 0);
                        const char *zone = kube_str(ep, "zone", NULL);
                        const char *node = kube_str(ep, "nodeName", NULL);
                        char key[400];

                        if (cJSON_IsFalse(ready) || !cJSON_IsString(addr) || !k->gke.nzones)
                                continue;
                        if (!in_zones(&k->gke, zone))
                                zone = k->gke.zones[0];
                        snprintf(key, sizeof(key), "%s:%ld%s%s", addr->valuestring, port,
                                 node ? "@" : "", node ? node : "");
                        cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(by_zone, zone),
                                             cJSON_CreateString(key));
                }
        }
}

static size_t
snapshot(struct kube *k, struct work **out)
{
        struct work *w = NULL;
        size_t n = 0, cap = 0, i, z;

        for (i = 0; i < k->nobjs; i++) {
                const cJSON *svc = k->objs[i].obj, *ann, *exposed, *p;
                const char *neg;
                cJSON *spec = NULL, *st, *zones, *negs;
                struct work *x;

                if (strcmp(k->objs[i].res->kind, "Service"))
                        continue;
                ann = cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(svc, "metadata"), "annotations");
                neg = kube_str(ann, NEG_ANN, NULL);
                if (!neg || !(spec = cJSON_Parse(neg)))
                        continue;
                exposed = cJSON_GetObjectItemCaseSensitive(spec, "exposed_ports");
                if (!cJSON_IsObject(exposed) || !exposed->child || CC_GROW(w, cap, n + 1)) {
                        cJSON_Delete(spec);
                        continue;
                }
                x = &w[n];
                memset(x, 0, sizeof(*x));
                snprintf(x->ns, sizeof(x->ns), "%s", k->objs[i].ns);
                snprintf(x->name, sizeof(x->name), "%s", k->objs[i].name);
                x->ports = cJSON_CreateObject();
                x->endpoints = cJSON_CreateObject();
                cJSON_ArrayForEach(p, exposed)
                {
                        const char *nn = kube_str(p, "name", NULL);
                        char gen[128];

                        if (!nn) {
                                /* GKE's generated name shape: k8s1-<hash>-<ns>-<svc>-<port> */
                                snprintf(gen, sizeof(gen), "k8s1-mock-%.20s-%.20s-%s", x->ns,
                                         x->name, p->string);
                                nn = gen;
                        }
                        cJSON_AddStringToObject(x->ports, p->string, nn);
                        add_endpoints(k, svc, x->ns, x->name, strtol(p->string, NULL, 10), nn,
                                      x->endpoints);
                }
                st = cJSON_CreateObject();
                negs = cJSON_AddObjectToObject(st, "network_endpoint_groups");
                cJSON_ArrayForEach(p, x->ports)
                    cJSON_AddStringToObject(negs, p->string, p->valuestring);
                zones = cJSON_AddArrayToObject(st, "zones");
                for (z = 0; z < k->gke.nzones; z++)
                        cJSON_AddItemToArray(zones, cJSON_CreateString(k->gke.zones[z]));
                x->status = cJSON_PrintUnformatted(st);
                x->current = cc_strdup(kube_str(ann, STATUS_ANN, NULL));
                cJSON_Delete(st);
                cJSON_Delete(spec);
                n++;
        }
        *out = w;
        return n;
}

static void
work_release(struct work *w, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++) {
                cJSON_Delete(w[i].ports);
                cJSON_Delete(w[i].endpoints);
                cJSON_free(w[i].status);
                cc_free(w[i].current);
        }
        cc_free(w);
}

static cJSON *
endpoint_json(const char *key)
{
        cJSON *e = cJSON_CreateObject();
        char ip[128];
        const char *colon = strrchr(key, ':'), *at = strchr(key, '@');
        long port = colon ? strtol(colon + 1, NULL, 10) : 0;

        snprintf(ip, sizeof(ip), "%.*s", colon ? (int)(colon - key) : (int)strlen(key), key);
        cJSON_AddStringToObject(e, "ipAddress", ip);
        cJSON_AddNumberToObject(e, "port", (double)port);
        if (at)
                cJSON_AddStringToObject(e, "instance", at + 1);
        return e;
}

static bool
contains(const cJSON *arr, const char *s)
{
        const cJSON *it;

        cJSON_ArrayForEach(it,
                           arr) if (cJSON_IsString(it) && !strcmp(it->valuestring, s)) return true;
        return false;
}

/* sync one NEG in one zone; known = what was attached before (NULL = the
 * NEG was not created yet).  Returns the new attached list or NULL on error. */
static cJSON *
sync_neg(const char *base, const char *project, const char *zone, const char *neg,
         const cJSON *want, const cJSON *known)
{
        char url[1024];
        cJSON *attach = cJSON_CreateArray(), *detach = cJSON_CreateArray(), *body, *list;
        const cJSON *it;
        bool ok = true;

        if (!known) {
                body = cJSON_CreateObject();
                cJSON_AddStringToObject(body, "name", neg);
                cJSON_AddStringToObject(body, "networkEndpointType", "GCE_VM_IP_PORT");
                snprintf(url, sizeof(url),
                         "%s/compute/v1/projects/%s/zones/%s/networkEndpointGroups", base, project,
                         zone);
                ok = post(url, body, true);
                cJSON_Delete(body);
        }
        cJSON_ArrayForEach(it, want) if (!contains(known, it->valuestring))
            cJSON_AddItemToArray(attach, endpoint_json(it->valuestring));
        cJSON_ArrayForEach(it, known) if (cJSON_IsString(it) && !contains(want, it->valuestring))
            cJSON_AddItemToArray(detach, endpoint_json(it->valuestring));
        if (ok && cJSON_GetArraySize(attach)) {
                body = cJSON_CreateObject();
                cJSON_AddItemToObject(body, "networkEndpoints", attach);
                attach = NULL;
                snprintf(url, sizeof(url),
                         "%s/compute/v1/projects/%s/zones/%s/networkEndpointGroups/%s/"
                         "attachNetworkEndpoints",
                         base, project, zone, neg);
                ok = post(url, body, false);
                cJSON_Delete(body);
        }
        if (ok && cJSON_GetArraySize(detach)) {
                body = cJSON_CreateObject();
                cJSON_AddItemToObject(body, "networkEndpoints", detach);
                detach = NULL;
                snprintf(url, sizeof(url),
                         "%s/compute/v1/projects/%s/zones/%s/networkEndpointGroups/%s/"
                         "detachNetworkEndpoints",
                         base, project, zone, neg);
                ok = post(url, body, false);
                cJSON_Delete(body);
        }
        cJSON_Delete(attach);
        cJSON_Delete(detach);
        if (!ok)
                return NULL;
        list = cJSON_Duplicate(want, true);
        return list;
}

static void
write_status(struct kube *k, const struct work *w)
{
        const struct kube_res *r = kube_res_find("", "v1", "services");
        struct kube_obj *o = kube_find(k, r, w->ns, w->name);
        cJSON *next, *md, *ann, *out = NULL;
        struct kube_write_opts wo = { 0 };

        if (!o || !w->status)
                return;
        if (w->current && !strcmp(w->current, w->status) &&
            kube_str(cJSON_GetObjectItemCaseSensitive(
                         cJSON_GetObjectItemCaseSensitive(o->obj, "metadata"), "annotations"),
                     STATUS_ANN, NULL))
                return;
        next = cJSON_Duplicate(o->obj, true);
        md = cJSON_GetObjectItemCaseSensitive(next, "metadata");
        ann = cJSON_GetObjectItemCaseSensitive(md, "annotations");
        if (!cJSON_IsObject(ann)) {
                cJSON_DeleteItemFromObjectCaseSensitive(md, "annotations");
                ann = cJSON_AddObjectToObject(md, "annotations");
        }
        cJSON_DeleteItemFromObjectCaseSensitive(ann, STATUS_ANN);
        cJSON_AddStringToObject(ann, STATUS_ANN, w->status);
        wo.manager = "glbc";
        wo.sub = "";
        kube_commit_update(k, o, next, "", false, &wo, &out);
        cJSON_Delete(out);
}

static void
pass(struct kube *k, pthread_mutex_t *m)
{
        struct work *w = NULL;
        size_t n = snapshot(k, &w), i, z;
        char *base = cc_strdup(k->gke.gcp_url), *project = cc_strdup(k->gke.project);
        cJSON *known = k->gke.state ? cJSON_Duplicate(k->gke.state, true) : cJSON_CreateObject();
        bool failed = false;

        pthread_mutex_unlock(m);
        for (i = 0; base && project && i < n; i++) {
                const cJSON *negs = w[i].endpoints, *neg;

                cJSON_ArrayForEach(neg, negs)
                {
                        for (z = 0; z < k->gke.nzones; z++) {
                                char key[400];
                                const cJSON *want =
                                    cJSON_GetObjectItemCaseSensitive(neg, k->gke.zones[z]);
                                cJSON *had, *now;

                                snprintf(key, sizeof(key), "%s/%s", k->gke.zones[z], neg->string);
                                had = cJSON_GetObjectItemCaseSensitive(known, key);
                                if (had && cJSON_Compare(had, want, true))
                                        continue;
                                now = sync_neg(base, project, k->gke.zones[z], neg->string, want,
                                               had);
                                if (!now) {
                                        failed = true;
                                        continue;
                                }
                                cJSON_DeleteItemFromObjectCaseSensitive(known, key);
                                cJSON_AddItemToObject(known, key, now);
                        }
                }
        }
        pthread_mutex_lock(m);
        cJSON_Delete(k->gke.state);
        k->gke.state = known;
        for (i = 0; i < n && !failed; i++)
                write_status(k, &w[i]);
        if (failed)
                k->gke.dirty = true;
        k->gke.syncs++;
        pthread_cond_broadcast(&k->cond);
        work_release(w, n);
        cc_free(base);
        cc_free(project);
}

static void *
worker(void *arg)
{
        struct kube *k = arg;
        pthread_mutex_t *m = cc_mocksrv_mutex(k->srv);

        pthread_mutex_lock(m);
        while (!k->gke.stop) {
                struct timespec ts;

                if (k->gke.dirty) {
                        k->gke.dirty = false;
                        pass(k, m);
                        continue;
                }
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_sec += 1;
                pthread_cond_timedwait(&k->cond, m, &ts);
        }
        pthread_mutex_unlock(m);
        return NULL;
}

bool
kube_gke_set_zones(struct kube_gke *g, const char *arg, size_t cluster, size_t nclusters, char *err,
                   size_t errlen)
{
        const char *p = arg, *end;
        char **zones = NULL;
        size_t lists = 1, n = 0, cap = 0, i;
        bool ok = false;

        for (end = arg; *end; end++)
                if (*end == ';')
                        lists++;
        if (lists != 1 && lists != nclusters) {
                snprintf(err, errlen,
                         "bad --gke-zones '%s': %zu zone lists for %zu clusters (give one list "
                         "for all, or one per cluster separated by ';')",
                         arg, lists, nclusters);
                goto out;
        }
        /* this cluster's list: the only one, or the cluster-th */
        for (i = 0; lists > 1 && i < cluster; i++)
                p = strchr(p, ';') + 1;
        end = strchr(p, ';');
        if (!end)
                end = p + strlen(p);
        while (p < end) {
                const char *comma = memchr(p, ',', (size_t)(end - p));
                size_t len = comma ? (size_t)(comma - p) : (size_t)(end - p);

                if (len) {
                        if (CC_GROW(zones, cap, n + 1) || !(zones[n] = cc_strndup(p, len))) {
                                snprintf(err, errlen, "cannot set --gke-zones: out of memory");
                                goto out;
                        }
                        n++;
                }
                p += len;
                if (p < end && *p == ',')
                        p++;
        }
        if (!n) {
                snprintf(err, errlen, "bad --gke-zones '%s': no zone for cluster %zu", arg,
                         cluster);
                goto out;
        }
        for (i = 0; i < g->nzones; i++)
                cc_free(g->zones[i]);
        cc_free(g->zones);
        g->zones = zones;
        g->nzones = n;
        zones = NULL;
        n = 0;
        ok = true;
out:
        for (i = 0; i < n; i++)
                cc_free(zones[i]);
        cc_free(zones);
        return ok;
}

bool
kube_gke_start(struct kube *k)
{
        if (!k->gke.gcp_url || !k->srv)
                return true;
        k->gke.dirty = true;
        k->gke.stop = false;
        if (pthread_create(&k->gke.thread, NULL, worker, k))
                return false;
        k->gke.running = true;
        return true;
}

void
kube_gke_stop(struct kube *k)
{
        size_t i;

        if (k->gke.running) {
                pthread_mutex_t *m = cc_mocksrv_mutex(k->srv);

                pthread_mutex_lock(m);
                k->gke.stop = true;
                pthread_cond_broadcast(&k->cond);
                pthread_mutex_unlock(m);
                pthread_join(k->gke.thread, NULL);
                k->gke.running = false;
        }
        cJSON_Delete(k->gke.state);
        k->gke.state = NULL;
        cc_free(k->gke.gcp_url);
        cc_free(k->gke.project);
        for (i = 0; i < k->gke.nzones; i++)
                cc_free(k->gke.zones[i]);
        cc_free(k->gke.zones);
        memset(&k->gke, 0, sizeof(k->gke));
}
