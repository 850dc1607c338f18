/* workload.c -- mock-kube's Deployment and EndpointSlice controllers.
 *
 * DESIGN
 * ------
 * A real cluster's Deployment controller creates ReplicaSets, the kubelet
 * starts Pods, and the EndpointSlice controller lists the ready ones behind
 * each Service.  mock-kube stores no ReplicaSets or Pods for them: the
 * Deployment controller here only writes the status a real one would show
 * (pods "starting" until cfg.pod_ready_ms after the generation last changed,
 * then ready, unless an admin hold keeps them unready; once a generation's
 * pods were ready, a new generation rolls: the old pods stay ready until
 * the new ones are, as with the default maxUnavailable), and the EndpointSlice
 * controller derives pods from that status -- status.readyReplicas endpoints
 * per Deployment, with addresses, nodes and zones that are a pure function of
 * the cluster index, the Deployment's address block and the replica index,
 * so the same sequence of requests gives the same slices.
 *
 * Both run in the controllers' worker thread (gc.c) under the cluster lock,
 * right after the garbage collector, and compare before they write: a pass
 * over a settled cluster writes nothing, so watchers see no churn.  The only
 * memory of their own is when each Deployment's generation last changed
 * (struct kube_rollout, keyed by uid) and the holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "mocks/kube/kube.h"
#include "core/banned.h"

#define MANAGER      "kube-controller-manager"
#define MANAGED_BY   "endpointslice.kubernetes.io/managed-by"
#define SLICE_CTL    "endpointslice-controller.k8s.io"
#define SERVICE_NAME "kubernetes.io/service-name"
#define DEFAULT_ZONE "us-central1-a"
#define MAX_BLOCK    254 /* distinct address blocks; later Deployments share 255 */
#define MAX_PODS     254 /* endpoints per Deployment (10.c.b.1 .. 10.c.b.254) */

struct ref {
        char ns[256];
        char name[256];
};

static uint64_t
mono_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t
fnv1a(const char *a, const char *b)
{
        uint64_t h = 1469598103934665603ull;
        const char *s;

        for (s = a; s && *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ull;
        h = (h ^ '/') * 1099511628211ull;
        for (s = b; s && *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ull;
        return h;
}

/* n characters of h in alphabet (NUL-terminated into out, n < size) */
static void
encode(uint64_t h, const char *alphabet, size_t n, char *out)
{
        size_t len = strlen(alphabet), i;

        for (i = 0; i < n; i++) {
                out[i] = alphabet[h % len];
                h /= len;
        }
        out[n] = 0;
}

static bool
deleting(const cJSON *obj)
{
        return kube_str(obj, "metadata", "deletionTimestamp") != NULL;
}

static const cJSON *
get2(const cJSON *o, const char *a, const char *b)
{
        return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, a), b);
}

static bool
ref_add(struct ref **refs, size_t *n, size_t *cap, const struct kube_obj *o)
{
        if (CC_GROW(*refs, *cap, *n + 1))
                return false;
        snprintf((*refs)[*n].ns, sizeof((*refs)[*n].ns), "%s", o->ns);
        snprintf((*refs)[*n].name, sizeof((*refs)[*n].name), "%s", o->name);
        (*n)++;
        return true;
}

/* the objects of kind r (caller frees *out) */
static size_t
collect(struct kube *k, const struct kube_res *r, struct ref **out)
{
        size_t n = 0, cap = 0, i;

        *out = NULL;
        for (i = 0; i < k->nobjs; i++)
                if (k->objs[i].res == r && !ref_add(out, &n, &cap, &k->objs[i]))
                        break;
        return n;
}

/* --- holds --------------------------------------------------------------- */

static bool
held(const struct kube *k, const char *ns, const char *name)
{
        size_t i;

        for (i = 0; i < k->wl.nholds; i++)
                if (!strcmp(k->wl.holds[i].ns, ns) && !strcmp(k->wl.holds[i].name, name))
                        return true;
        return false;
}

bool
kube_pod_hold(struct kube *k, const char *ns, const char *name, bool ready)
{
        struct kube_workload *w = &k->wl;
        size_t i;

        for (i = 0; i < w->nholds; i++) {
                if (strcmp(w->holds[i].ns, ns) || strcmp(w->holds[i].name, name))
                        continue;
                if (ready) {
                        memmove(&w->holds[i], &w->holds[i + 1],
                                (w->nholds - i - 1) * sizeof(*w->holds));
                        w->nholds--;
                }
                return true;
        }
        if (ready)
                return true;
        if (CC_GROW(w->holds, w->holds_cap, w->nholds + 1))
                return false;
        snprintf(w->holds[w->nholds].ns, sizeof(w->holds[0].ns), "%s", ns);
        snprintf(w->holds[w->nholds].name, sizeof(w->holds[0].name), "%s", name);
        w->nholds++;
        return true;
}

cJSON *
kube_pod_holds(const struct kube *k)
{
        cJSON *arr = cJSON_CreateArray();
        size_t i;

        for (i = 0; arr && i < k->wl.nholds; i++) {
                cJSON *h = cJSON_CreateObject();

                cJSON_AddStringToObject(h, "namespace", k->wl.holds[i].ns);
                cJSON_AddStringToObject(h, "deployment", k->wl.holds[i].name);
                cJSON_AddBoolToObject(h, "ready", false);
                cJSON_AddItemToArray(arr, h);
        }
        return arr;
}

void
kube_workload_clear(struct kube *k)
{
        cc_free(k->wl.rollouts);
        cc_free(k->wl.holds);
        memset(&k->wl, 0, sizeof(k->wl));
}

/* --- Deployment ---------------------------------------------------------- */

static struct kube_rollout *
rollout_find(struct kube *k, const char *uid)
{
        size_t i;

        for (i = 0; i < k->wl.nrollouts; i++)
                if (!strcmp(k->wl.rollouts[i].uid, uid))
                        return &k->wl.rollouts[i];
        return NULL;
}

/* the rollout of uid at generation, made on first sight; NULL = no memory */
static struct kube_rollout *
rollout_of(struct kube *k, const char *uid, double generation, uint64_t now)
{
        struct kube_workload *w = &k->wl;
        struct kube_rollout *r = rollout_find(k, uid);
        unsigned block;
        size_t i;

        if (r) {
                if (r->generation != generation) {
                        r->generation = generation;
                        r->since = now;
                }
                r->seen = true;
                return r;
        }
        /* the lowest free block: addresses stay put while the Deployment lives */
        for (block = 1; block <= MAX_BLOCK; block++) {
                for (i = 0; i < w->nrollouts; i++)
                        if (w->rollouts[i].block == block)
                                break;
                if (i == w->nrollouts)
                        break;
        }
        if (CC_GROW(w->rollouts, w->rollouts_cap, w->nrollouts + 1))
                return NULL;
        r = &w->rollouts[w->nrollouts++];
        memset(r, 0, sizeof(*r));
        snprintf(r->uid, sizeof(r->uid), "%s", uid);
        r->generation = generation;
        r->since = now;
        r->block = block;
        r->seen = true;
        return r;
}

/* a condition of type, keeping the old one's timestamps where the real
 * controller does: lastTransitionTime while status stays, lastUpdateTime
 * while reason and message stay too */
static cJSON *
condition(const cJSON *old_conds, const char *type, bool status, const char *reason,
          const char *msg, const char *now)
{
        const cJSON *c, *old = NULL;
        const char *st = status ? "True" : "False", *upd = now, *trans = now;
        cJSON *out = cJSON_CreateObject();

        cJSON_ArrayForEach(c, old_conds)
        {
                const char *t = kube_str(c, "type", NULL);

                if (t && !strcmp(t, type))
                        old = c;
        }
        if (old && kube_str(old, "status", NULL) && !strcmp(kube_str(old, "status", NULL), st)) {
                const char *r = kube_str(old, "reason", NULL), *m = kube_str(old, "message", NULL);

                if (kube_str(old, "lastTransitionTime", NULL))
                        trans = kube_str(old, "lastTransitionTime", NULL);
                if (r && m && !strcmp(r, reason) && !strcmp(m, msg) &&
                    kube_str(old, "lastUpdateTime", NULL))
                        upd = kube_str(old, "lastUpdateTime", NULL);
        }
        cJSON_AddStringToObject(out, "type", type);
        cJSON_AddStringToObject(out, "status", st);
        cJSON_AddStringToObject(out, "lastUpdateTime", upd);
        cJSON_AddStringToObject(out, "lastTransitionTime", trans);
        cJSON_AddStringToObject(out, "reason", reason);
        cJSON_AddStringToObject(out, "message", msg);
        return out;
}

/* the status the real controller would show for o */
static cJSON *
deployment_status(struct kube *k, const struct kube_obj *o, struct kube_rollout *ro, uint64_t now)
{
        const cJSON *obj = o->obj, *old = cJSON_GetObjectItemCaseSensitive(obj, "status");
        const cJSON *reps = get2(obj, "spec", "replicas");
        const cJSON *oldc = cJSON_GetObjectItemCaseSensitive(old, "conditions");
        const cJSON *og = cJSON_GetObjectItemCaseSensitive(old, "observedGeneration"), *c;
        double replicas = cJSON_IsNumber(reps) && reps->valuedouble >= 0 ? reps->valuedouble : 1;
        bool hold = held(k, o->ns, o->name);
        bool ready = !hold && now - ro->since >= (uint64_t)k->cfg.pod_ready_ms;
        /* a rolling update (maxUnavailable 25% of 1 rounds to 0): the old
         * pods serve until the new ones are ready */
        bool rolling = !ready && !hold && ro->served;

        ro->served |= ready;
        bool available = ready || rolling || replicas == 0, rolled_out = ready || replicas == 0;
        char nowstr[40], rs[300], hash[11], msg[400];
        char *tmpl = cJSON_PrintUnformatted(get2(obj, "spec", "template"));
        cJSON *st = cJSON_CreateObject(), *conds;

        /* pods going unready after the rollout completed leave Progressing as it was */
        cJSON_ArrayForEach(c, oldc)
        {
                const char *t = kube_str(c, "type", NULL), *r = kube_str(c, "reason", NULL);

                if (t && r && !strcmp(t, "Progressing") && !strcmp(r, "NewReplicaSetAvailable") &&
                    cJSON_IsNumber(og) && og->valuedouble == ro->generation)
                        rolled_out = true;
        }
        kube_now(k, nowstr, sizeof(nowstr));
        encode(fnv1a(tmpl ? tmpl : "", o->name), "bcdfghjklmnpqrstvwxz2456789", 10, hash);
        cJSON_free(tmpl);
        snprintf(rs, sizeof(rs), "%.250s-%s", o->name, hash);
        cJSON_AddNumberToObject(st, "observedGeneration", ro->generation);
        if (replicas > 0) {
                cJSON_AddNumberToObject(st, "replicas", replicas);
                cJSON_AddNumberToObject(st, "updatedReplicas", rolling ? 0 : replicas);
                if (ready || rolling) {
                        cJSON_AddNumberToObject(st, "readyReplicas", replicas);
                        cJSON_AddNumberToObject(st, "availableReplicas", replicas);
                } else {
                        cJSON_AddNumberToObject(st, "unavailableReplicas", replicas);
                }
        }
        conds = cJSON_AddArrayToObject(st, "conditions");
        cJSON_AddItemToArray(
            conds, condition(oldc, "Available", available,
                             available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                             available ? "Deployment has minimum availability."
                                       : "Deployment does not have minimum "
                                         "availability.",
                             nowstr));
        snprintf(msg, sizeof(msg),
                 rolled_out ? "ReplicaSet \"%s\" has successfully progressed."
                            : "ReplicaSet \"%s\" is progressing.",
                 rs);
        cJSON_AddItemToArray(conds,
                             condition(oldc, "Progressing", true,
                                       rolled_out ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
                                       msg, nowstr));
        return st;
}

/* store status (consumed) as o's through the status subresource */
static size_t
write_status(struct kube *k, struct kube_obj *o, cJSON *status)
{
        struct kube_write_opts wo = { .manager = MANAGER, .sub = "status" };
        unsigned long before = k->rv;
        cJSON *next = cJSON_Duplicate(o->obj, true), *out = NULL;

        if (!next || !status) {
                cJSON_Delete(next);
                cJSON_Delete(status);
                return 0;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(next, "status");
        cJSON_AddItemToObject(next, "status", status);
        kube_commit_update(k, o, next, "status", false, &wo, &out);
        cJSON_Delete(out);
        return k->rv != before ? 1 : 0;
}

size_t
kube_deploy_pass(struct kube *k)
{
        const struct kube_res *r = kube_res_find("apps", "v1", "deployments");
        struct ref *todo = NULL;
        uint64_t now = mono_ms();
        size_t n = collect(k, r, &todo), i, j, changes = 0;

        for (i = 0; i < k->wl.nrollouts; i++)
                k->wl.rollouts[i].seen = false;
        for (i = 0; i < n; i++) {
                struct kube_obj *o = kube_find(k, r, todo[i].ns, todo[i].name);
                const cJSON *g;
                const char *uid;
                struct kube_rollout *ro;
                cJSON *st;

                if (!o || !(uid = kube_str(o->obj, "metadata", "uid")))
                        continue;
                if (deleting(o->obj)) {
                        /* its pods are terminating: keep the addresses, write nothing */
                        if ((ro = rollout_find(k, uid)))
                                ro->seen = true;
                        continue;
                }
                g = get2(o->obj, "metadata", "generation");
                ro = rollout_of(k, uid, cJSON_IsNumber(g) ? g->valuedouble : 1, now);
                if (!ro)
                        continue;
                st = deployment_status(k, o, ro, now);
                if (st &&
                    cJSON_Compare(st, cJSON_GetObjectItemCaseSensitive(o->obj, "status"), true)) {
                        cJSON_Delete(st);
                        continue;
                }
                changes += write_status(k, o, st);
        }
        cc_free(todo);
        for (i = j = 0; i < k->wl.nrollouts; i++)
                if (k->wl.rollouts[i].seen)
                        k->wl.rollouts[j++] = k->wl.rollouts[i];
        k->wl.nrollouts = j;
        return changes;
}

/* --- EndpointSlice ------------------------------------------------------- */

static bool
managed(const cJSON *slice)
{
        const char *m = kube_str(get2(slice, "metadata", "labels"), MANAGED_BY, NULL);

        return m && !strcmp(m, SLICE_CTL);
}

static bool
ns_terminating(struct kube *k, const char *ns)
{
        struct kube_obj *o = kube_find(k, kube_res_find("", "v1", "namespaces"), "", ns);

        return o && deleting(o->obj);
}

/* every key of the selector is a label of the same value */
static bool
selects(const cJSON *sel, const cJSON *labels)
{
        const cJSON *s;

        cJSON_ArrayForEach(s, sel)
        {
                const char *v = kube_str(labels, s->string, NULL);

                if (!cJSON_IsString(s) || !v || strcmp(v, s->valuestring))
                        return false;
        }
        return true;
}

static int
cmp_name(const void *a, const void *b)
{
        const struct kube_obj *const *x = a, *const *y = b;

        return strcmp((*x)->name, (*y)->name);
}

/* the ready endpoints of the Deployments in ns that sel selects */
static cJSON *
endpoints(struct kube *k, const char *ns, const cJSON *sel)
{
        const struct kube_res *r = kube_res_find("apps", "v1", "deployments");
        const struct kube_obj **deps = NULL;
        size_t n = 0, cap = 0, i;
        cJSON *eps = cJSON_CreateArray();

        for (i = 0; i < k->nobjs; i++) {
                const struct kube_obj *o = &k->objs[i];

                if (o->res != r || strcmp(o->ns, ns) || deleting(o->obj) ||
                    !selects(sel, get2(get2(o->obj, "spec", "template"), "metadata", "labels")))
                        continue;
                if (CC_GROW(deps, cap, n + 1))
                        break;
                deps[n++] = o;
        }
        if (n)
                qsort(deps, n, sizeof(*deps), cmp_name);
        for (i = 0; eps && i < n; i++) {
                const cJSON *ready = get2(deps[i]->obj, "status", "readyReplicas");
                const struct kube_rollout *ro =
                    rollout_find(k, kube_str(deps[i]->obj, "metadata", "uid"));
                size_t p, nready = cJSON_IsNumber(ready) && ready->valuedouble > 0
                                       ? (size_t)ready->valuedouble
                                       : 0;

                if (!ro)
                        continue;
                if (nready > MAX_PODS)
                        nready = MAX_PODS;
                for (p = 0; p < nready; p++) {
                        cJSON *e = cJSON_CreateObject(), *c;
                        char addr[32], node[64];

                        snprintf(addr, sizeof(addr), "10.%d.%u.%zu", k->cfg.index, ro->block,
                                 p + 1);
                        snprintf(node, sizeof(node), "gke-%d-node-%zu", k->cfg.index, p);
                        cJSON_AddItemToArray(cJSON_AddArrayToObject(e, "addresses"),
                                             cJSON_CreateString(addr));
                        c = cJSON_AddObjectToObject(e, "conditions");
                        cJSON_AddBoolToObject(c, "ready", true);
                        cJSON_AddBoolToObject(c, "serving", true);
                        cJSON_AddBoolToObject(c, "terminating", false);
                        cJSON_AddStringToObject(e, "nodeName", node);
                        cJSON_AddStringToObject(e, "zone",
                                                k->gke.nzones ? k->gke.zones[p % k->gke.nzones]
                                                              : DEFAULT_ZONE);
                        cJSON_AddItemToArray(eps, e);
                }
        }
        cc_free(deps);
        return eps;
}

/* the slice ports of Service ports: targetPort when numeric, else port */
static cJSON *
slice_ports(const cJSON *svc)
{
        const cJSON *p;
        cJSON *out = cJSON_CreateArray();

        cJSON_ArrayForEach(p, get2(svc, "spec", "ports"))
        {
                const cJSON *port = cJSON_GetObjectItemCaseSensitive(p, "port");
                const cJSON *target = cJSON_GetObjectItemCaseSensitive(p, "targetPort");
                const char *name = kube_str(p, "name", NULL);
                const char *proto = kube_str(p, "protocol", NULL);
                const char *app = kube_str(p, "appProtocol", NULL);
                cJSON *sp;

                if (!cJSON_IsNumber(port))
                        continue;
                sp = cJSON_CreateObject();
                cJSON_AddStringToObject(sp, "name", name ? name : "");
                cJSON_AddStringToObject(sp, "protocol", proto ? proto : "TCP");
                cJSON_AddNumberToObject(
                    sp, "port", cJSON_IsNumber(target) ? target->valuedouble : port->valuedouble);
                if (app)
                        cJSON_AddStringToObject(sp, "appProtocol", app);
                cJSON_AddItemToArray(out, sp);
        }
        return out;
}

static void
replace(cJSON *o, const char *name, cJSON *v)
{
        cJSON_DeleteItemFromObjectCaseSensitive(o, name);
        cJSON_AddItemToObject(o, name, v);
}

/* the controller's fields of svc's slice, into next (an existing slice or
 * a new body) */
static void
fill_slice(struct kube *k, const struct kube_obj *svc, cJSON *next)
{
        const cJSON *svc_labels = get2(svc->obj, "metadata", "labels");
        cJSON *md = cJSON_GetObjectItemCaseSensitive(next, "metadata"), *labels, *owners, * or ;
        char gen[300];

        if (!md)
                md = cJSON_AddObjectToObject(next, "metadata");
        snprintf(gen, sizeof(gen), "%.250s-", svc->name);
        replace(md, "generateName", cJSON_CreateString(gen));
        /* the Service's labels are copied, as the real controller does */
        labels =
            cJSON_IsObject(svc_labels) ? cJSON_Duplicate(svc_labels, true) : cJSON_CreateObject();
        replace(labels, MANAGED_BY, cJSON_CreateString(SLICE_CTL));
        replace(labels, SERVICE_NAME, cJSON_CreateString(svc->name));
        replace(md, "labels", labels);
        owners = cJSON_CreateArray();
        or = cJSON_CreateObject();
        cJSON_AddStringToObject(or, "apiVersion", "v1");
        cJSON_AddStringToObject(or, "kind", "Service");
        cJSON_AddStringToObject(or, "name", svc->name);
        cJSON_AddStringToObject(or, "uid", kube_str(svc->obj, "metadata", "uid"));
        cJSON_AddBoolToObject(or, "controller", true);
        cJSON_AddBoolToObject(or, "blockOwnerDeletion", true);
        cJSON_AddItemToArray(owners, or);
        replace(md, "ownerReferences", owners);
        replace(next, "addressType", cJSON_CreateString("IPv4"));
        replace(next, "endpoints", endpoints(k, svc->ns, get2(svc->obj, "spec", "selector")));
        replace(next, "ports", slice_ports(svc->obj));
}

/* `<svc>-<5 letters>`, the same for the same namespace and Service */
static void
slice_name(const struct kube_obj *svc, char *out, size_t n)
{
        char suffix[6];

        encode(fnv1a(svc->ns, svc->name), "bcdfghjklmnpqrstvwxz", 5, suffix);
        snprintf(out, n, "%.240s-%s", svc->name, suffix);
}

/* create or update the slice of svc; returns the writes made */
static size_t
sync_slice(struct kube *k, const struct kube_res *esr, const struct kube_obj *svc, const char *name)
{
        struct kube_obj *o = kube_find(k, esr, svc->ns, name);
        struct kube_write_opts wo = { .manager = MANAGER, .sub = "" };
        unsigned long before = k->rv;
        cJSON *next, *out = NULL;

        if (o && !managed(o->obj))
                return 0; /* someone else's slice by that name: never touched */
        next = o ? cJSON_Duplicate(o->obj, true) : cJSON_CreateObject();
        if (!next)
                return 0;
        if (!o) {
                cJSON *md = cJSON_AddObjectToObject(next, "metadata");

                cJSON_AddStringToObject(next, "apiVersion", "discovery.k8s.io/v1");
                cJSON_AddStringToObject(next, "kind", "EndpointSlice");
                cJSON_AddStringToObject(md, "name", name);
                cJSON_AddStringToObject(md, "namespace", svc->ns);
        }
        fill_slice(k, svc, next);
        if (!o) {
                kube_create(k, esr, svc->ns, next, &wo, &out);
                cJSON_Delete(next);
        } else if (cJSON_Compare(next, o->obj, true)) {
                cJSON_Delete(next);
        } else {
                kube_commit_update(k, o, next, "", false, &wo, &out);
        }
        cJSON_Delete(out);
        return k->rv != before ? 1 : 0;
}

size_t
kube_slice_pass(struct kube *k)
{
        const struct kube_res *svr = kube_res_find("", "v1", "services");
        const struct kube_res *esr = kube_res_find("discovery.k8s.io", "v1", "endpointslices");
        struct ref *svcs = NULL, *slices = NULL;
        size_t nsvc = collect(k, svr, &svcs), nsl = collect(k, esr, &slices), i, j;
        size_t changes = 0;

        for (i = 0; i < nsvc; i++) {
                const struct kube_obj *svc = kube_find(k, svr, svcs[i].ns, svcs[i].name);
                const cJSON *sel;
                bool want;
                char name[300];

                /* a Service on its way out keeps its slice until the collector takes it */
                if (!svc || deleting(svc->obj) || ns_terminating(k, svc->ns))
                        continue;
                sel = get2(svc->obj, "spec", "selector");
                want = cJSON_IsObject(sel) && sel->child;
                slice_name(svc, name, sizeof(name));
                for (j = 0; j < nsl; j++) {
                        struct kube_obj *s = kube_find(k, esr, slices[j].ns, slices[j].name);
                        const char *owner;
                        cJSON *out = NULL;

                        if (!s || strcmp(s->ns, svc->ns) || !managed(s->obj) ||
                            (want && !strcmp(s->name, name)))
                                continue;
                        owner = kube_str(get2(s->obj, "metadata", "labels"), SERVICE_NAME, NULL);
                        if (!owner || strcmp(owner, svc->name))
                                continue;
                        {
                                /* the delete frees s: its names are copied first */
                                char dns[256], dname[300];

                                snprintf(dns, sizeof(dns), "%s", s->ns);
                                snprintf(dname, sizeof(dname), "%s", s->name);
                                if (kube_delete(k, esr, dns, dname, NULL, NULL, false, &out) == 200)
                                        changes++;
                        }
                        cJSON_Delete(out);
                        svc = kube_find(k, svr, svcs[i].ns, svcs[i].name);
                }
                if (want && svc)
                        changes += sync_slice(k, esr, svc, name);
        }
        cc_free(svcs);
        cc_free(slices);
        return changes;
}
