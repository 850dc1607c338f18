/* cmd_run.c -- `cloudctl run`: the Gateway API controller.
 *
 * DESIGN
 * ------
 * Informers (list+watch) on the config cluster keep a cache of
 * GatewayClasses, Gateways, HTTPRoutes, GRPCRoutes, ReferenceGrants,
 * Secrets, Services and Namespaces; their handlers put keys on a work queue
 * (cloudctl/workqueue.h):  "gw/<ns>/<name>" for a Gateway (a route enqueues
 * its parent Gateways, a class its Gateways, Secrets, Namespaces, Services
 * and ReferenceGrants every Gateway) and "gc/<name>" for a GatewayClass.
 * Keys from informer events go in the queue's high lane, the drift check's
 * (and parked keys coming due) in the low one, so a change is taken before
 * the rest of a drift check.
 * One worker takes one key at a time once every informer has synced (and,
 * with --leader-elect, only while this replica leads), so one pass owns the
 * shared observed-state cache and the cloud without locks.
 *
 * A Gateway pass, level-triggered from the informers' current state:
 *   snapshot (every cached object) -> cc_inputs_classify, both redone only
 *   when an informer reported a change since they were built ->
 *   served and not deleting:
 *     finalizer (merge patch) -> fleet stage (cloudctl/fleet.h: Istio's
 *     gateway set applied in every member cluster; a cluster's NEGs are
 *     backends once its gateway is ready, a leaving cluster is drained at
 *     capacityScaler 0, detached, then its objects deleted) -> NEG zones
 *     (cached; discovered again on a drift check or when a name is new) ->
 *     translate (this Gateway) ->
 *     observe (warm cache, scope = this Gateway's owner) -> plan -> walk ->
 *     status of the Gateway and of its routes (cc_gwstatus_compute with
 *     the cloud stage's result, cc_gwstatus_merge, /status PUT only when
 *     changed, 409 -> GET and merge again);
 *   being deleted, or moved to a class cloudctl does not serve, with our
 *   finalizer: observe with a fresh list (scope = its owner) -> plan ->
 *   walk the deletes -> queue again; a pass whose fresh list finds nothing
 *   left deletes the cluster gateways (nothing routes to them any more),
 *   and once they are gone removes the finalizer (so "gone" is verified,
 *   not assumed).
 * A failed pass is retried with the key's exponential backoff.  A pass that
 * ends with a cloud stage still pending (a certificate not ACTIVE, no
 * address yet) queues its Gateway again after 1 s, 2 s, 4 s ... (cap 30 s),
 * and those passes read the Gateway's certificates again (one GET each), or
 * when something else is pending list the cloud afresh (when the last fresh
 * list ended 5 s or ten times its duration ago), so a certificate turning
 * ACTIVE shows without waiting for the drift check.  The drift check (--resync)
 * lists the cloud in the background into a second cache, noting the keys
 * the passes write meanwhile; between two passes those newer entries are
 * carried over, the new cache replaces the old and every key is queued.
 * The config file is reloaded (polled, or SIGHUP) between passes.
 *
 * Stopping: SIGINT/SIGTERM stop the elector first (a leader releases its
 * Lease), then the loop; a second signal stops the loop at once.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "cloudctl/cli.h"
#include "cloudctl/cloud.h"
#include "cloudctl/config.h"
#include "cloudctl/fleet.h"
#include "cloudctl/inputs.h"
#include "cloudctl/workqueue.h"
#include "core/alloc.h"
#include "core/graph.h"
#include "core/gwmodel.h"
#include "core/gwstatus.h"
#include "core/http.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/map.h"
#include "core/plan.h"
#include "core/walk.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/events.h"
#include "kube/informer.h"
#include "kube/lease.h"
#include "providers/gke/exec.h"
#include "providers/gke/gke.h"
#include "providers/gke/naming.h"
#include "providers/gke/observe.h"
#include "core/banned.h"

#define COMP        "controller"
#define FINALIZER   "cloudctl.dev/cloud-resources"
#define COND_CERTS  "cloudctl.dev/CertificatesReady"
#define COND_DNS    "cloudctl.dev/DNSReady"
#define COND_BACKND "cloudctl.dev/BackendsReady"
#define COND_LB     "cloudctl.dev/LoadBalancerReady"

/* a Gateway whose cloud stage is pending is looked at again after
 * PENDING_BASE_MS * 2^(n-1), at most PENDING_CAP_MS */
#define PENDING_BASE_MS 1000u
#define PENDING_CAP_MS  30000u
/* ...and those passes list the cloud afresh when the last fresh list ended
 * at least max(PENDING_FRESH_MS, PENDING_FRESH_X * its duration) ago: a full
 * list costs a call per certificate map and holds the queue meanwhile */
#define PENDING_FRESH_MS 5000u
#define PENDING_FRESH_X  10u
/* ...except a Gateway whose certificate is what is pending: its pass reads
 * only its own certificates (one GET each) into the warm cache.  The
 * pending map's value: passes in a row, with this bit when a certificate is
 * pending */
#define PENDING_CERT    ((uintptr_t)1 << 16)
#define MAX_WRITE_TRIES 4
/* the config file is checked for changes this often */
#define RELOAD_POLL_MS 1000u
/* a pass whose fleet stage is waiting (a gateway not ready yet, objects
 * being deleted) looks again after this long at the latest; the member
 * clusters' watches usually queue it sooner */
#define FLEET_RECHECK_MS 2000u
/* the drift check's background list keeps at most this many lists in
 * flight (of the http client's 16 connections per host) */
#define REFRESH_LISTS 4u

/* a Gateway's link with a fleet cluster (c->links, key "<ns>/<name>\n<cluster>") */
enum link_phase {
        LINK_JOINED = 1, /* its NEGs are backends (it was ready once) */
        LINK_DRAINING,   /* leaving: backends at capacityScaler 0 */
        LINK_DETACHED,   /* leaving: backends removed; objects to delete */
        LINK_DELETED,    /* leaving: nothing of the Gateway left there */
};

struct link {
        enum link_phase phase;
        uint64_t since; /* DRAINING: when the drain was applied (0 = not yet) */
};

enum inf_kind {
        INF_CLASS,
        INF_GATEWAY,
        INF_HTTPROUTE,
        INF_GRPCROUTE,
        INF_GRANT,
        INF_SECRET,
        INF_SERVICE,
        INF_NAMESPACE,
        INF__COUNT
};

static const char *const inf_kinds[INF__COUNT] = {
        "GatewayClass",   "Gateway", "HTTPRoute", "GRPCRoute",
        "ReferenceGrant", "Secret",  "Service",   "Namespace",
};

struct ctl;

struct inf_ctx {
        struct ctl *c;
        enum inf_kind kind;
        bool synced;
};

enum pass_mode { PASS_APPLY, PASS_DESTROY };

struct pass {
        struct ctl *c;
        char key[512];
        char ns[256], name[256], owner[512];
        const char *owners[2]; /* the observe scope: observe keeps the pointer */
        bool is_class;
        enum pass_mode mode;
        cJSON *obj; /* copy of the object as cached at the start, NULL if gone */
        struct cc_input_gw *ig;
        struct cc_graph graph;
        struct cc_gke_observe_result obs;
        struct cc_plan plan;
        struct cc_walk walk;
        bool walking, observing, discovering;
        struct cc_strv neg_names;
        size_t ncreated, nupdated, ndeleted;
        /* the cloud stage's outcome for status */
        struct cc_gw_programmed prog;
        struct cc_gw_address addr;
        char addr_value[64];
        char prog_msg[CC_DIAG_MSG_MAX];
        bool failed;           /* retry with backoff */
        bool requeue;          /* queue again at once (destroy: verify) */
        size_t writes;         /* status writes in flight */
        unsigned hold;         /* > 0 while a synchronous section runs */
        struct cc_kube_op *op; /* the finalizer patch in flight */
        /* the fleet stage: per-cluster gateways (cloudctl/fleet.h) */
        bool fleeting;                        /* a fleet sync or remove in flight */
        bool fleet_used;                      /* the pass ran the fleet stage */
        struct cc_fleet_cluster_result *fres; /* its result, one per fleet cluster */
        size_t nfres;
        size_t nready;       /* fleet clusters ready and linked with weight > 0 */
        cJSON *routes;       /* copies of the routes the fleet renders */
        uint64_t recheck_ms; /* look at the Gateway again after this long (0: no) */
};

struct ctl {
        const char *config_path, *kubeconfig, *context, *lease_ns;
        bool leader_elect;
        uint64_t resync_ms;

        struct cc_config cfg;
        struct cc_kube_env env;
        struct cc_kube_config kcfg;
        bool kcfg_ok, loop_ok, http_ok;
        struct cc_loop loop;
        struct cc_http http;
        struct cc_cloud cloud;
        struct cc_gke_cache cache;
        struct cc_gke_exec exec;
        struct cc_kube_client *kube;
        struct cc_kube_informer *inf[INF__COUNT];
        struct inf_ctx ictx[INF__COUNT];
        unsigned nsynced;
        struct cc_kube_lease *lease;
        struct cc_kube_events *events;
        bool leading, stopping;
        uv_signal_t sigs[2];
        bool sigs_on;
        unsigned nsignals;
        struct cc_loop_hook stop_hook;
        struct cc_timer *resync_timer, *wq_timer, *kick_timer;
        uint64_t wq_timer_due;
        bool token_ready;
        struct cc_wq wq;
        struct cc_inputs in;
        /* inputs_gen counts informer changes; in was built at built_gen */
        uint64_t inputs_gen, built_gen;
        bool built;
        struct cc_gw_serve serve;
        char bundle[64]; /* the CRDs' bundle-version (serve.bundle_version) */
        bool relist;     /* the next cloud pass lists instead of using the cache */
        /* gateway keys whose cloud stage was pending at the end of their
         * last pass -> (void *)(uintptr_t)passes in a row so (>= 1) */
        struct cc_map pending;
        uint64_t fresh_start_ms, fresh_end_ms; /* the last fresh list (loop time) */
        /* NEG zones, kept between passes */
        struct cc_strv neg_known;
        struct cc_gke_negs_result negs;
        bool negs_stale;
        char **zone_lists;
        size_t nzone_lists;
        struct pass *pass;
        char identity[160];
        unsigned long passes;
        /* member clusters that cloudctl deploys gateways to (no `services`) */
        struct cc_fleet *fleet;
        struct cc_map links; /* see struct link */
        /* the config as passes see it: c->cfg's clusters plus the fleet's
         * leaving ones (strings borrowed from cfg and the fleet) */
        struct cc_config view;
        /* reloads: replaced configs stay allocated (the cloud runtime and
         * old pointers may refer to them) until the end */
        struct cc_config *old_cfgs;
        size_t nold_cfgs;
        struct cc_timer *reload_timer;
        bool reload_due;
        struct stat cfg_stat;
        uv_signal_t sighup;
        bool sighup_on;
        bool view_stale; /* the fleet's members changed: rebuild c->view */
        bool tearing;    /* teardown: callbacks of cancelled work do nothing */
        /* the drift check lists the cloud in the background into next
         * while passes go on with the warm cache; the cache's writes made
         * meanwhile (dirty) are carried over, then next replaces it
         * between two passes */
        struct cc_gke_cache next;
        struct cc_map dirty;
        struct cc_graph rgraph;
        struct cc_gke_observe_result robs;
        bool refreshing, refresh_ready;
        uint64_t refresh_start_ms;
};

/* --- small helpers --------------------------------------------------------- */

static void
now_rfc3339(char *buf, size_t size)
{
        time_t t = time(NULL);
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *
jstr(const cJSON *o, const char *a, const char *b)
{
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);

        if (b)
                x = cJSON_GetObjectItemCaseSensitive(x, b);
        return cJSON_IsString(x) ? x->valuestring : NULL;
}

static bool
has_finalizer(const cJSON *obj)
{
        const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
        const cJSON *f;

        cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(meta, "finalizers"))
        {
                if (cJSON_IsString(f) && !strcmp(f->valuestring, FINALIZER))
                        return true;
        }
        return false;
}

static void
enqueue_in(struct ctl *c, enum cc_wq_lane lane, const char *prefix, const char *ns,
           const char *name)
{
        char key[512];

        if (ns)
                snprintf(key, sizeof(key), "%s/%s/%s", prefix, ns, name);
        else
                snprintf(key, sizeof(key), "%s/%s", prefix, name);
        if (cc_wq_add_lane(&c->wq, key, lane))
                CC_ERROR(COMP, "cannot queue: out of memory", CC_S("item", key));
}

/* a key whose object (or an object it reads) changed: the high lane */
static void
enqueue(struct ctl *c, const char *prefix, const char *ns, const char *name)
{
        enqueue_in(c, CC_WQ_HIGH, prefix, ns, name);
}

static void kick(struct ctl *c);

/* every key: in the high lane for a change every Gateway reads, in the low
 * lane for a drift check (a change queued meanwhile goes first) */
static void
enqueue_all(struct ctl *c, bool classes, enum cc_wq_lane lane)
{
        const cJSON *o;
        size_t i;

        for (i = 0; cc_kube_informer_next(c->inf[INF_GATEWAY], &i, &o);)
                enqueue_in(c, lane, "gw", jstr(o, "metadata", "namespace"),
                           jstr(o, "metadata", "name"));
        if (classes)
                for (i = 0; cc_kube_informer_next(c->inf[INF_CLASS], &i, &o);)
                        enqueue_in(c, lane, "gc", NULL, jstr(o, "metadata", "name"));
}

/* --- informer handlers ---------------------------------------------------- */

static void
enqueue_route_parents(struct ctl *c, const cJSON *rt)
{
        const char *rns = jstr(rt, "metadata", "namespace");
        const cJSON *spec = cJSON_GetObjectItemCaseSensitive(rt, "spec"), *p, *st;

        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(spec, "parentRefs"))
        {
                const char *kind = jstr(p, "kind", NULL), *ns = jstr(p, "namespace", NULL);
                const char *name = jstr(p, "name", NULL);

                if (name && (!kind || !strcmp(kind, "Gateway")))
                        enqueue(c, "gw", ns ? ns : rns, name);
        }
        /* entries of ours in status: a parentRef that went away is pruned by
         * its Gateway's pass */
        st = cJSON_GetObjectItemCaseSensitive(rt, "status");
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(st, "parents"))
        {
                const cJSON *pr = cJSON_GetObjectItemCaseSensitive(p, "parentRef");
                const char *cn = jstr(p, "controllerName", NULL);
                const char *ns = jstr(pr, "namespace", NULL), *name = jstr(pr, "name", NULL);

                if (cn && !strcmp(cn, CC_GW_CONTROLLER_NAME) && name)
                        enqueue(c, "gw", ns ? ns : rns, name);
        }
}

static void
on_change(struct inf_ctx *x, const cJSON *obj)
{
        struct ctl *c = x->c;
        const char *name = jstr(obj, "metadata", "name");
        const cJSON *o;
        size_t i;

        if (!name)
                return;
        c->inputs_gen++; /* the snapshot is rebuilt before the next pass */
        switch (x->kind) {
        case INF_GATEWAY:
                enqueue(c, "gw", jstr(obj, "metadata", "namespace"), name);
                break;
        case INF_CLASS:
                enqueue(c, "gc", NULL, name);
                for (i = 0; cc_kube_informer_next(c->inf[INF_GATEWAY], &i, &o);) {
                        const char *cls = jstr(o, "spec", "gatewayClassName");

                        if (cls && !strcmp(cls, name))
                                enqueue(c, "gw", jstr(o, "metadata", "namespace"),
                                        jstr(o, "metadata", "name"));
                }
                break;
        case INF_HTTPROUTE:
        case INF_GRPCROUTE:
                enqueue_route_parents(c, obj);
                break;
        default:
                enqueue_all(c, false, CC_WQ_HIGH);
                break;
        }
        kick(c);
}

static void
h_add(const cJSON *obj, void *ud)
{
        on_change(ud, obj);
}

static void
h_update(const cJSON *old, const cJSON *obj, void *ud)
{
        struct inf_ctx *x = ud;

        if (x->kind == INF_HTTPROUTE || x->kind == INF_GRPCROUTE)
                enqueue_route_parents(x->c, old);
        on_change(x, obj);
}

static void
h_delete(const cJSON *obj, void *ud)
{
        on_change(ud, obj);
}

static void
h_synced(void *ud)
{
        struct inf_ctx *x = ud;

        if (x->synced)
                return;
        x->synced = true;
        if (++x->c->nsynced == INF__COUNT) {
                CC_INFO(COMP, "caches synced",
                        CC_I("gateways", cc_kube_informer_len(x->c->inf[INF_GATEWAY])));
                enqueue_all(x->c, true, CC_WQ_LOW);
                kick(x->c);
        }
}

/* --- snapshot -------------------------------------------------------------- */

/* the snapshot and the per-Gateway inputs of every cached object, rebuilt
 * only when an informer handler reported a change since the last build
 * (a drift check's passes reuse it) */
static cc_err
build_snapshot(struct ctl *c, struct cc_diag *d)
{
        size_t k, i;
        const cJSON *o;
        cc_err rc;

        if (c->built && c->built_gen == c->inputs_gen)
                return CC_OK;
        c->built = false;
        c->built_gen = c->inputs_gen;
        cc_inputs_reset(&c->in);
        for (k = 0; k < INF__COUNT; k++) {
                for (i = 0; cc_kube_informer_next(c->inf[k], &i, &o);) {
                        struct cc_diag pd;

                        rc = cc_gw_snapshot_add(&c->in.snap, o, NULL, &pd);
                        if (rc == CC_NOMEM)
                                return cc_diag_set(d, CC_NOMEM, 0, "out of memory");
                        if (rc)
                                CC_DEBUG(COMP, "object skipped", CC_S("error", pd.message));
                }
        }
        rc = cc_inputs_classify(&c->in, &c->view, d);
        c->built = rc == CC_OK;
        return rc;
}

/* --- the fleet stage: per-cluster gateways -------------------------------------- */

static void fleet_removed(struct cc_fleet_result *res, void *ud);
static void destroy_finish(struct pass *p);
static void write_statuses(struct pass *p);
static void start_cloud(struct pass *p);
static void pass_step_done(struct pass *p);

static bool
uses_fleet(const struct ctl *c)
{
        return c->fleet && cc_fleet_count(c->fleet) > 0;
}

static const struct cc_fleet_cluster_result *
fres_of(const struct pass *p, const char *cluster)
{
        size_t i;

        for (i = 0; i < p->nfres; i++)
                if (!strcmp(p->fres[i].cluster, cluster))
                        return &p->fres[i];
        return NULL;
}

static void
link_key(char *key, size_t size, const char *ns, const char *name, const char *cluster)
{
        snprintf(key, size, "%s/%s\n%s", ns, name, cluster);
}

static struct link *
link_get(struct ctl *c, const struct pass *p, const char *cluster, bool create)
{
        char key[700];
        struct link *l;

        link_key(key, sizeof(key), p->ns, p->name, cluster);
        l = cc_map_get(&c->links, key);
        if (l || !create)
                return l;
        if (!(l = cc_calloc(1, sizeof(*l))))
                return NULL;
        if (cc_map_put(&c->links, key, l)) {
                cc_free(l);
                return NULL;
        }
        return l;
}

/* forget links: of one Gateway (cluster NULL), of one cluster (ns NULL) */
static void
links_drop(struct ctl *c, const char *ns, const char *name, const char *cluster)
{
        char prefix[600], keys[64][700];
        const char *k;
        void *v;
        size_t i, n;

        snprintf(prefix, sizeof(prefix), "%s/%s\n", ns ? ns : "", name ? name : "");
        do {
                n = 0;
                for (i = 0; n < 64 && cc_map_next(&c->links, &i, &k, &v);) {
                        const char *nl = strchr(k, '\n');

                        if (ns && strncmp(k, prefix, strlen(prefix)))
                                continue;
                        if (cluster && (!nl || strcmp(nl + 1, cluster)))
                                continue;
                        snprintf(keys[n++], sizeof(keys[0]), "%s", k);
                }
                for (i = 0; i < n; i++)
                        cc_free(cc_map_del(&c->links, keys[i]));
        } while (n == 64);
}

static void
recheck_after(struct pass *p, uint64_t ms)
{
        if (!p->recheck_ms || ms < p->recheck_ms)
                p->recheck_ms = ms ? ms : 1;
}

static bool route_mentions(const struct cc_gw_route *rt, const cJSON *obj, const char *ns,
                           const char *name);

/* a route whose status this pass computes: one naming the pass's Gateway
 * in its parentRefs or in our status entries */
static bool
route_in_scope(void *arg, const struct cc_gw_route *rt)
{
        struct pass *p = arg;
        enum inf_kind ik = rt->kind == CC_GW_HTTPROUTE ? INF_HTTPROUTE : INF_GRPCROUTE;
        const cJSON *obj = cc_kube_informer_get(p->c->inf[ik], rt->meta.ns, rt->meta.name);

        return obj && route_mentions(rt, obj, p->ns, p->name);
}

/* the HTTPRoutes this Gateway accepted (copies, for the fleet to render) */
static cc_err
accepted_routes(struct pass *p, struct cc_diag *d)
{
        struct ctl *c = p->c;
        struct cc_gwstatus_scope sc = {
                .gw_ns = p->ns, .gw_name = p->name, .route = route_in_scope, .arg = p
        };
        struct cc_gwstatus st = CC_GWSTATUS_INIT;
        char now[40];
        size_t i;
        cc_err rc;

        now_rfc3339(now, sizeof(now));
        if ((rc = cc_gwstatus_compute_scoped(&c->in.snap, &c->serve, &sc, NULL, NULL, now, &st, d)))
                return rc;
        for (i = 0; i < c->in.snap.n_routes && !rc; i++) {
                const struct cc_gw_route *rt = c->in.snap.routes[i];
                const cJSON *cs, *e, *obj;
                bool ok = false;

                if (rt->kind != CC_GW_HTTPROUTE)
                        continue;
                cs = cc_gwstatus_find(&st, rt->kind, rt->meta.ns, rt->meta.name);
                cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(cs, "parents"))
                {
                        const cJSON *pr = cJSON_GetObjectItemCaseSensitive(e, "parentRef"), *cd;
                        const char *pns = jstr(pr, "namespace", NULL), *pn = jstr(pr, "name", NULL);

                        if (!pn || strcmp(pn, p->name) || strcmp(pns ? pns : rt->meta.ns, p->ns))
                                continue;
                        cJSON_ArrayForEach(cd, cJSON_GetObjectItemCaseSensitive(e, "conditions"))
                        {
                                const char *t = jstr(cd, "type", NULL),
                                           *v = jstr(cd, "status", NULL);

                                ok |= t && v && !strcmp(t, "Accepted") && !strcmp(v, "True");
                        }
                }
                obj = ok ? cc_kube_informer_get(c->inf[INF_HTTPROUTE], rt->meta.ns, rt->meta.name)
                         : NULL;
                if (!obj)
                        continue;
                if (!cJSON_AddItemToArray(p->routes, cJSON_Duplicate(obj, true)))
                        rc = cc_diag_set(d, CC_NOMEM, 0, "out of memory");
        }
        cc_gwstatus_release(&st);
        return rc;
}

static cc_err
keep_result(struct pass *p, const struct cc_fleet_result *res)
{
        cc_free(p->fres);
        p->nfres = 0;
        if (!(p->fres = cc_calloc(res->nclusters + 1, sizeof(*p->fres))))
                return CC_NOMEM;
        if (res->nclusters)
                memcpy(p->fres, res->clusters, res->nclusters * sizeof(*p->fres));
        p->nfres = res->nclusters;
        return CC_OK;
}

static void
fleet_events(struct pass *p)
{
        char msg[1024];
        size_t i, used = 0, writes = 0;

        msg[0] = '\0';
        for (i = 0; i < p->nfres; i++) {
                const struct cc_fleet_cluster_result *r = &p->fres[i];

                if (r->writes && used < sizeof(msg)) {
                        writes += r->writes;
                        used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s%s (%u)",
                                                 used ? ", " : "", r->cluster, r->writes);
                }
                if (!p->obj)
                        continue;
                if (r->state == CC_FLEET_UNREACHABLE) {
                        CC_WARN(COMP, "cluster unreachable", CC_S("gw", p->key + 3),
                                CC_S("cluster", r->cluster), CC_S("error", r->message));
                        cc_kube_event(p->c->events, p->obj, "Warning", "ClusterUnreachable",
                                      r->message);
                } else if (r->state == CC_FLEET_BLOCKED) {
                        cc_kube_event(p->c->events, p->obj, "Warning", "ClusterBlocked",
                                      r->message);
                }
        }
        if (writes && p->obj) {
                char full[1100];

                snprintf(full, sizeof(full), "gateway objects written in cluster(s) %s", msg);
                CC_INFO(COMP, "cluster gateways synced", CC_S("gw", p->key + 3),
                        CC_S("writes", msg));
                cc_kube_event(p->c->events, p->obj, "Normal", "ClusterGatewaysSynced", full);
        }
}

/* which clusters' NEGs are backends, with what weight (make-before-break):
 * a member joins once its gateway is ready and stays while it is rolled
 * or unreachable; a leaving cluster drains at capacityScaler 0, then is
 * detached */
static cc_err
link_clusters(struct pass *p)
{
        struct ctl *c = p->c;
        struct cc_input_gw *ig = p->ig;
        size_t i;

        for (i = 0; i < ig->lb.nclusters && i < c->view.nclusters; i++) {
                const char *name = c->view.clusters[i].name;
                const struct cc_fleet_cluster_result *r = fres_of(p, name);
                struct link *l = link_get(c, p, name, false);
                bool include = false;
                int weight = c->view.clusters[i].weight;

                if (!r)
                        continue; /* external: its NEGs come from its services file */
                /* decided afresh each pass (the inputs may outlive one) */
                cc_strv_release(&ig->neg_names[i]);
                if (!r->leaving) {
                        if (l && l->phase == LINK_DRAINING) {
                                /* back in the fleet before it was detached */
                                l->phase = LINK_JOINED;
                                l->since = 0;
                        } else if (l && l->phase != LINK_JOINED) {
                                /* back after it was detached: joins again once ready */
                                char key[700];

                                link_key(key, sizeof(key), p->ns, p->name, name);
                                cc_free(cc_map_del(&c->links, key));
                                l = NULL;
                        }
                        switch (r->state) {
                        case CC_FLEET_READY:
                                include = true;
                                if (!l && !(l = link_get(c, p, name, true)))
                                        return CC_NOMEM;
                                l->phase = LINK_JOINED;
                                if (weight > 0)
                                        p->nready++;
                                break;
                        case CC_FLEET_UNREACHABLE:
                                /* nothing of it changes: what the cloud has stays */
                                include = true;
                                break;
                        default:
                                include = l && l->phase == LINK_JOINED;
                                /* progressing: its watches queue us when the
                                 * Deployment or Service changes, this is the
                                 * safety net; blocked waits for the user (the
                                 * drift check looks again) */
                                if (r->state == CC_FLEET_PROGRESSING)
                                        recheck_after(p, FLEET_RECHECK_MS);
                                break;
                        }
                } else {
                        if (!l && !(l = link_get(c, p, name, true)))
                                return CC_NOMEM;
                        if (!l->phase || l->phase == LINK_JOINED) {
                                CC_INFO(COMP, "cluster leaving: draining its backends",
                                        CC_S("gw", p->key + 3), CC_S("cluster", name));
                                l->phase = LINK_DRAINING;
                                l->since = 0;
                        }
                        include = l->phase == LINK_DRAINING;
                        weight = 0;
                }
                ig->clusters[i].weight = weight;
                if (include && r->neg[0] && cc_strv_push(&ig->neg_names[i], r->neg))
                        return CC_NOMEM;
        }
        return CC_OK;
}

static void
fleet_synced(struct cc_fleet_result *res, void *ud)
{
        struct pass *p = ud;

        p->fleeting = false;
        if (p->c->tearing)
                return;
        if (res->rc) {
                if (res->rc != CC_CANCELED) {
                        CC_WARN(COMP, "cannot sync the cluster gateways", CC_S("gw", p->key + 3),
                                CC_S("error", res->d.message));
                        p->failed = true;
                }
                pass_step_done(p);
                return;
        }
        if (keep_result(p, res) || link_clusters(p)) {
                p->failed = true;
                pass_step_done(p);
                return;
        }
        p->fleet_used = true;
        fleet_events(p);
        start_cloud(p);
}

/* apply: the per-cluster gateways first, then the cloud */
static void
fleet_stage(struct pass *p)
{
        struct ctl *c = p->c;
        struct cc_fleet_input fi = { 0 };
        const cJSON **routes = NULL;
        struct cc_diag d;
        size_t n, i;
        cc_err rc;

        if (!uses_fleet(c)) {
                start_cloud(p);
                return;
        }
        if (!(p->routes = cJSON_CreateArray()) || accepted_routes(p, &d)) {
                p->failed = true;
                pass_step_done(p);
                return;
        }
        n = (size_t)cJSON_GetArraySize(p->routes);
        if (!(routes = cc_calloc(n + 1, sizeof(*routes)))) {
                p->failed = true;
                pass_step_done(p);
                return;
        }
        for (i = 0; i < n; i++)
                routes[i] = cJSON_GetArrayItem(p->routes, (int)i);
        fi.fleet = c->cfg.fleet;
        fi.gateway = p->obj;
        fi.routes = routes;
        fi.nroutes = n;
        fi.serving_port = p->ig->lb.serving_port;
        p->fleeting = true;
        rc = cc_fleet_sync(c->fleet, &fi, fleet_synced, p, &d);
        cc_free(routes);
        if (rc != CC_AGAIN) {
                p->fleeting = false;
                CC_WARN(COMP, "cannot sync the cluster gateways", CC_S("error", d.message));
                p->failed = true;
                pass_step_done(p);
        }
}

static bool
start_fleet_remove(struct pass *p, const char *cluster)
{
        struct ctl *c = p->c;
        struct cc_diag d;

        p->fleeting = true;
        if (cc_fleet_remove(c->fleet, c->cfg.fleet, p->ns, p->name, cluster, fleet_removed, p,
                            &d) == CC_AGAIN)
                return true;
        p->fleeting = false;
        CC_WARN(COMP, "cannot delete the cluster gateways", CC_S("error", d.message));
        p->failed = true;
        return false;
}

/* after a successful apply walk: leaving clusters move on (drain -> detach
 * -> delete); true when a removal is in flight */
static bool
fleet_after(struct pass *p)
{
        struct ctl *c = p->c;
        uint64_t now = cc_loop_now_ms(&c->loop), drain = (uint64_t)c->cfg.drain_seconds * 1000;
        size_t i;

        if (!p->fleet_used || p->failed)
                return false;
        for (i = 0; i < p->nfres; i++) {
                const struct cc_fleet_cluster_result *r = &p->fres[i];
                struct link *l = r->leaving ? link_get(c, p, r->cluster, false) : NULL;

                if (!l)
                        continue;
                if (l->phase == LINK_DRAINING) {
                        if (!l->since)
                                l->since = now;
                        if (now - l->since >= drain) {
                                CC_INFO(COMP, "cluster drained: detaching its backends",
                                        CC_S("gw", p->key + 3), CC_S("cluster", r->cluster));
                                l->phase = LINK_DETACHED;
                                recheck_after(p, 1);
                        } else {
                                recheck_after(p, drain - (now - l->since));
                        }
                } else if (l->phase == LINK_DETACHED) {
                        /* this pass's walk took its backends away */
                        return start_fleet_remove(p, r->cluster);
                }
        }
        return false;
}

static void
fleet_removed(struct cc_fleet_result *res, void *ud)
{
        struct pass *p = ud;
        struct ctl *c = p->c;
        size_t i;
        bool all_gone = true;

        p->fleeting = false;
        if (p->c->tearing)
                return;
        if (res->rc) {
                if (res->rc != CC_CANCELED) {
                        CC_WARN(COMP, "cannot delete the cluster gateways", CC_S("gw", p->key + 3),
                                CC_S("error", res->d.message));
                        p->failed = true;
                }
                pass_step_done(p);
                return;
        }
        if (keep_result(p, res)) {
                p->failed = true;
                pass_step_done(p);
                return;
        }
        fleet_events(p);
        for (i = 0; i < p->nfres; i++) {
                const struct cc_fleet_cluster_result *r = &p->fres[i];
                struct link *l = link_get(c, p, r->cluster, false);

                if (p->mode == PASS_APPLY && !(l && l->phase == LINK_DETACHED))
                        continue;
                if (r->state == CC_FLEET_GONE) {
                        if (l && p->mode == PASS_APPLY) {
                                CC_INFO(COMP, "cluster left: its gateway objects are deleted",
                                        CC_S("gw", p->key + 3), CC_S("cluster", r->cluster));
                                l->phase = LINK_DELETED;
                        }
                        continue;
                }
                all_gone = false;
                if (r->state == CC_FLEET_UNREACHABLE) {
                        /* retried with backoff; fleet_events said why */
                        p->failed = true;
                } else {
                        recheck_after(p, FLEET_RECHECK_MS / 4);
                }
        }
        if (p->mode == PASS_DESTROY) {
                if (all_gone)
                        destroy_finish(p);
                pass_step_done(p);
                return;
        }
        write_statuses(p);
        pass_step_done(p);
}

/* a leaving cluster is dropped once every Gateway is gone from it */
static void
maybe_forget(struct ctl *c)
{
        size_t k, g;
        char key[700];

        if (!c->fleet)
                return;
        for (k = 0; k < cc_fleet_count(c->fleet); k++) {
                const struct cc_fleet_member *m = cc_fleet_member(c->fleet, k);
                char name[64];
                bool done = true;

                if (!m->leaving)
                        continue;
                for (g = 0; g < c->in.ngws && done; g++) {
                        const struct link *l;

                        link_key(key, sizeof(key), c->in.gws[g].lb.ns, c->in.gws[g].lb.name,
                                 m->name);
                        l = cc_map_get(&c->links, key);
                        done = l && l->phase == LINK_DELETED;
                }
                if (!done)
                        continue;
                snprintf(name, sizeof(name), "%s", m->name);
                CC_INFO(COMP, "cluster removed from the fleet", CC_S("cluster", name));
                links_drop(c, NULL, NULL, name);
                cc_fleet_forget(c->fleet, name);
                c->view_stale = true;
                k = (size_t)-1; /* the member list changed: start over */
        }
}

/* --- status writes ---------------------------------------------------------- */

struct swrite {
        struct pass *p;
        const struct cc_kube_resource *res;
        char ns[256], name[256];
        cJSON *computed;
        unsigned tries;
};

static void pass_step_done(struct pass *p);
static void swrite_put(struct swrite *w, const cJSON *obj);

static void
swrite_free(struct swrite *w)
{
        struct pass *p = w->p;

        cJSON_Delete(w->computed);
        cc_free(w);
        p->writes--;
        pass_step_done(p);
}

static void
swrite_got(struct cc_kube_op *op, cc_err rc, struct cc_kube_result *res, void *ud)
{
        struct swrite *w = ud;

        (void)op;
        if (rc) {
                if (rc != CC_NOTFOUND) {
                        CC_WARN(COMP, "cannot read for a status write",
                                CC_S("error", res->diag.message));
                        w->p->failed = true;
                }
                swrite_free(w);
                return;
        }
        swrite_put(w, res->obj);
}

static void
swrite_done(struct cc_kube_op *op, cc_err rc, struct cc_kube_result *res, void *ud)
{
        struct swrite *w = ud;
        struct cc_diag d;

        (void)op;
        if (rc == CC_CONFLICT && w->tries < MAX_WRITE_TRIES) {
                /* someone wrote in between: read the latest, merge again */
                if (cc_kube_get(w->p->c->kube, w->res, w->ns, w->name, swrite_got, w, NULL, &d) ==
                    CC_AGAIN)
                        return;
                rc = d.code;
        }
        if (rc && rc != CC_NOTFOUND) {
                CC_WARN(COMP, "cannot write status", CC_S("object", w->name),
                        CC_S("error", res ? res->diag.message : d.message));
                w->p->failed = true;
        } else if (!rc) {
                CC_DEBUG(COMP, "status written", CC_S("kind", w->res->kind), CC_S("ns", w->ns),
                         CC_S("name", w->name));
        }
        swrite_free(w);
}

/* merge computed on top of obj's status and PUT it when it changed */
static void
swrite_put(struct swrite *w, const cJSON *obj)
{
        const cJSON *existing = cJSON_GetObjectItemCaseSensitive(obj, "status");
        cJSON *merged = NULL, *body = NULL;
        bool changed = false;
        char now[40];
        struct cc_diag d;

        now_rfc3339(now, sizeof(now));
        w->tries++;
        if (cc_gwstatus_merge(existing, w->computed, CC_GW_CONTROLLER_NAME, now, &merged, &changed,
                              &d)) {
                CC_ERROR(COMP, "cannot merge status", CC_S("error", d.message));
                w->p->failed = true;
                goto out;
        }
        if (!changed)
                goto out;
        if (!(body = cJSON_Duplicate(obj, true))) {
                w->p->failed = true;
                goto out;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(body, "status");
        cJSON_AddItemToObject(body, "status", merged);
        merged = NULL;
        if (cc_kube_update_status(w->p->c->kube, w->res, body, swrite_done, w, NULL, &d) ==
            CC_AGAIN) {
                cJSON_Delete(body);
                return;
        }
        CC_WARN(COMP, "cannot write status", CC_S("error", d.message));
        w->p->failed = true;
out:
        cJSON_Delete(merged);
        cJSON_Delete(body);
        swrite_free(w);
}

static void
status_write(struct pass *p, const char *kind, const cJSON *obj, const cJSON *computed)
{
        struct swrite *w = cc_calloc(1, sizeof(*w));
        const char *ns, *name;

        if (!w || !(w->computed = cJSON_Duplicate(computed, true))) {
                cc_free(w);
                p->failed = true;
                return;
        }
        w->p = p;
        w->res = cc_kube_resource_by_kind(kind);
        ns = jstr(obj, "metadata", "namespace");
        name = jstr(obj, "metadata", "name");
        snprintf(w->ns, sizeof(w->ns), "%s", ns ? ns : "");
        snprintf(w->name, sizeof(w->name), "%s", name ? name : "");
        p->writes++;
        swrite_put(w, obj);
}

/* --- the cloud stage's outcome ---------------------------------------------- */

static const struct cc_gw_programmed *
programmed_cb(void *arg, const struct cc_gw_gateway *gw)
{
        struct pass *p = arg;

        if (p->is_class || strcmp(gw->meta.ns, p->ns) || strcmp(gw->meta.name, p->name))
                return NULL;
        return &p->prog;
}

static bool
node_of(const struct pass *p, const struct cc_node *n)
{
        return !n->owner || !strcmp(n->owner, p->owner);
}

/* a certificate's state: a Google-managed one's managed.state; a
 * self-managed one (from a Secret) is ACTIVE once it exists */
static const char *
cert_state(const struct cc_node *n)
{
        if (cJSON_GetObjectItemCaseSensitive(n->desired, "selfManaged"))
                return n->observed ? "ACTIVE" : NULL;
        return jstr(n->observed, "managed", "state");
}

/* a condition of ours appended to a computed status */
static void
add_cond(cJSON *conds, const char *type, bool ok, const char *reason, const char *msg,
         long long gen, const char *now)
{
        cJSON *x = cJSON_CreateObject();

        if (!x)
                return;
        cJSON_AddStringToObject(x, "type", type);
        cJSON_AddStringToObject(x, "status", ok ? "True" : "False");
        cJSON_AddStringToObject(x, "reason", reason);
        cJSON_AddStringToObject(x, "message", msg);
        cJSON_AddNumberToObject(x, "observedGeneration", (double)gen);
        cJSON_AddStringToObject(x, "lastTransitionTime", now);
        cJSON_AddItemToArray(conds, x);
}

/* the first failed step of a kind family, for a condition message */
static const char *
failure_of(const struct pass *p, const struct cc_kind *const *kinds)
{
        size_t i, k;

        if (!p->walking)
                return NULL;
        for (i = 0; i < p->plan.n; i++) {
                if (p->walk.steps[i].state != CC_STEP_FAILED)
                        continue;
                for (k = 0; kinds[k]; k++)
                        if (p->plan.steps[i].node->kind == kinds[k])
                                return p->walk.steps[i].diag.message;
        }
        return NULL;
}

/* cloudctl.dev/BackendsReady with the fleet: every cluster's readiness */
static void
fleet_condition(struct pass *p, cJSON *conds, long long gen, const char *now)
{
        struct cc_buf b;
        const char *reason = "ClustersReady";
        bool ok = true;
        size_t i, k;

        cc_buf_init(&b, 32768);
        for (i = 0; i < p->nfres; i++) {
                const struct cc_fleet_cluster_result *r = &p->fres[i];
                const struct link *l = link_get(p->c, p, r->cluster, false);

                cc_buf_printf(&b, "%s%s: ", i ? "; " : "", r->cluster);
                if (r->leaving) {
                        ok = false;
                        if (!strcmp(reason, "ClustersReady"))
                                reason = "ClustersLeaving";
                        if (l && l->phase == LINK_DRAINING)
                                cc_buf_printf(&b, "leaving the fleet, draining (capacityScaler 0)");
                        else if (l && l->phase == LINK_DELETED)
                                cc_buf_printf(&b,
                                              "left the fleet, its gateway objects are deleted");
                        else
                                cc_buf_printf(&b, "leaving the fleet, backends detached, deleting "
                                                  "its gateway objects");
                        continue;
                }
                switch (r->state) {
                case CC_FLEET_READY:
                        cc_buf_printf(&b, "ready, NEG %s in ", r->neg);
                        for (k = 0; k < r->nzones; k++)
                                cc_buf_printf(&b, "%s%s", k ? ", " : "", r->zones[k]);
                        break;
                case CC_FLEET_UNREACHABLE:
                        ok = false;
                        reason = "ClusterUnreachable";
                        cc_buf_printf(&b, "unreachable (%s); its backends are left as they are",
                                      r->message);
                        break;
                default:
                        ok = false;
                        if (strcmp(reason, "ClusterUnreachable"))
                                reason = "ClustersNotReady";
                        cc_buf_printf(&b, "%s", r->message);
                        break;
                }
        }
        add_cond(conds, COND_BACKND, ok, reason,
                 b.len ? b.data : "no member cluster is in the fleet", gen, now);
        cc_buf_release(&b);
}

/* cloudctl.dev/ stage conditions: what the user should know or do */
static void
stage_conditions(struct pass *p, cJSON *status, long long gen, const char *now)
{
        static const struct cc_kind *const certs[] = {
                &cc_gke_kind_dns_authorization,
                &cc_gke_kind_certificate,
                &cc_gke_kind_certificate_map,
                &cc_gke_kind_certificate_map_entry,
                NULL,
        };
        static const struct cc_kind *const dns[] = { &cc_gke_kind_rrset, NULL };
        static const struct cc_kind *const lb[] = {
                &cc_gke_kind_address,     &cc_gke_kind_url_map,         &cc_gke_kind_http_proxy,
                &cc_gke_kind_https_proxy, &cc_gke_kind_forwarding_rule, NULL,
        };
        static const struct cc_kind *const backends[] = {
                &cc_gke_kind_backend_service,
                &cc_gke_kind_health_check,
                &cc_gke_kind_firewall,
                NULL,
        };
        cJSON *conds = cJSON_GetObjectItemCaseSensitive(status, "conditions");
        char msg[CC_DIAG_MSG_MAX + 64];
        const char *fail, *pending = NULL, *pstate = NULL;
        bool any_cert = false, any_dns = false;
        size_t i, used = 0;

        if (!cJSON_IsArray(conds) || p->mode != PASS_APPLY || !p->ig)
                return;
        for (i = 0; i < p->graph.n; i++) {
                const struct cc_node *n = p->graph.nodes[i];

                if (!n->desired || !node_of(p, n))
                        continue;
                if (n->kind == &cc_gke_kind_certificate) {
                        const char *st = cert_state(n);

                        any_cert = true;
                        if (!pending && (!st || strcmp(st, "ACTIVE"))) {
                                pending = n->name;
                                pstate = st ? st : "not created";
                        }
                } else if (n->kind == &cc_gke_kind_rrset) {
                        any_dns = true;
                }
        }
        if (any_cert) {
                if ((fail = failure_of(p, certs)))
                        add_cond(conds, COND_CERTS, false, "Failed", fail, gen, now);
                else if (pending) {
                        snprintf(msg, sizeof(msg),
                                 "certificate '%s' is %s: Google issues it once the DNS "
                                 "authorization record resolves and the hostname points at the "
                                 "load balancer",
                                 pending, pstate);
                        add_cond(conds, COND_CERTS, false, "Provisioning", msg, gen, now);
                } else
                        add_cond(conds, COND_CERTS, true, "Active", "every certificate is active",
                                 gen, now);
        }
        /* the frontend: a failed step (a quota says which resource type) */
        if ((fail = failure_of(p, lb)))
                add_cond(conds, COND_LB, false, "Failed", fail, gen, now);
        else if (p->prog.state == CC_GW_PROG_PROGRAMMED)
                add_cond(conds, COND_LB, true, "Created",
                         "the address, URL map, proxies and forwarding rules exist", gen, now);
        else
                add_cond(conds, COND_LB, false, "Pending", "the load balancer is being created",
                         gen, now);
        if (any_dns) {
                if ((fail = failure_of(p, dns)))
                        add_cond(conds, COND_DNS, false, "Failed", fail, gen, now);
                else
                        add_cond(conds, COND_DNS, true, "RecordsWritten",
                                 "the listener hostnames' records point at the load balancer", gen,
                                 now);
        }
        if ((fail = failure_of(p, backends))) {
                add_cond(conds, COND_BACKND, false, "Failed", fail, gen, now);
                return;
        }
        if (p->fleet_used) {
                fleet_condition(p, conds, gen, now);
                return;
        }
        msg[0] = '\0';
        for (i = 0; i < p->ig->lb.nclusters; i++) {
                if (p->ig->lb.clusters[i].nnegs || used >= sizeof(msg))
                        continue;
                used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s'%s'", used ? ", " : "",
                                         p->ig->lb.clusters[i].name);
        }
        if (used) {
                char full[sizeof(msg) + 200];

                snprintf(full, sizeof(full),
                         "no network endpoint group for cluster(s) %s: deploy the gateway Service "
                         "with a 'cloud.google.com/neg' annotation there (or list it in the "
                         "cluster's services file) and wait for GKE to create the NEG",
                         msg);
                add_cond(conds, COND_BACKND, false, "NoEndpointGroups", full, gen, now);
        } else {
                add_cond(conds, COND_BACKND, true, "EndpointGroupsLinked",
                         "every member cluster's endpoint groups are backends", gen, now);
        }
}

static bool
route_mentions(const struct cc_gw_route *rt, const cJSON *obj, const char *ns, const char *name)
{
        const cJSON *st, *e;
        size_t i;

        for (i = 0; i < rt->n_parents; i++) {
                const struct cc_gw_parent_ref *pr = &rt->parents[i];
                const char *pns = pr->ns ? pr->ns : rt->meta.ns;

                if (!strcmp(pr->kind, "Gateway") && !strcmp(pr->group, CC_GW_GROUP) &&
                    !strcmp(pns, ns) && !strcmp(pr->name, name))
                        return true;
        }
        st = cJSON_GetObjectItemCaseSensitive(obj, "status");
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(st, "parents"))
        {
                const cJSON *pr = cJSON_GetObjectItemCaseSensitive(e, "parentRef");
                const char *cn = jstr(e, "controllerName", NULL);
                const char *pns = jstr(pr, "namespace", NULL), *pn = jstr(pr, "name", NULL);

                if (cn && !strcmp(cn, CC_GW_CONTROLLER_NAME) && pn && !strcmp(pn, name) &&
                    !strcmp(pns ? pns : rt->meta.ns, ns))
                        return true;
        }
        return false;
}

/* compute status and write the Gateway's (or class's) and its routes' */
static void
write_statuses(struct pass *p)
{
        struct ctl *c = p->c;
        struct cc_gwstatus_scope sc = { 0 };
        struct cc_gwstatus st = CC_GWSTATUS_INIT;
        struct cc_diag d;
        char now[40];
        const cJSON *cs;
        size_t i;

        now_rfc3339(now, sizeof(now));
        if (p->is_class)
                sc.classes = true;
        else {
                sc.gw_ns = p->ns;
                sc.gw_name = p->name;
                sc.route = route_in_scope;
                sc.arg = p;
        }
        if (cc_gwstatus_compute_scoped(&c->in.snap, &c->serve, &sc, programmed_cb, p, now, &st,
                                       &d)) {
                CC_ERROR(COMP, "cannot compute status", CC_S("error", d.message));
                p->failed = true;
                return;
        }
        /* writes that complete at once must not end the pass under us */
        p->hold++;
        if (p->is_class) {
                const cJSON *obj = cc_kube_informer_get(c->inf[INF_CLASS], NULL, p->name);

                cs = cc_gwstatus_find(&st, CC_GW_GATEWAYCLASS, "", p->name);
                if (obj && cs)
                        status_write(p, "GatewayClass", obj, cs);
                goto out;
        }
        cs = cc_gwstatus_find(&st, CC_GW_GATEWAY, p->ns, p->name);
        if (cs && p->obj) {
                const struct cc_gw_gateway *gw =
                    cc_gw_snapshot_gateway(&c->in.snap, p->ns, p->name);
                cJSON *mine = cJSON_Duplicate(cs, true);

                if (mine) {
                        stage_conditions(p, mine, gw ? gw->meta.generation : 1, now);
                        status_write(p, "Gateway", p->obj, mine);
                        cJSON_Delete(mine);
                }
        }
        for (i = 0; i < c->in.snap.n_routes; i++) {
                const struct cc_gw_route *rt = c->in.snap.routes[i];
                enum inf_kind ik = rt->kind == CC_GW_HTTPROUTE ? INF_HTTPROUTE : INF_GRPCROUTE;
                const cJSON *obj = cc_kube_informer_get(c->inf[ik], rt->meta.ns, rt->meta.name);

                if (!obj || !route_mentions(rt, obj, p->ns, p->name))
                        continue;
                cs = cc_gwstatus_find(&st, rt->kind, rt->meta.ns, rt->meta.name);
                if (cs)
                        status_write(p, cc_gw_kind_name(rt->kind), obj, cs);
        }
out:
        p->hold--;
        cc_gwstatus_release(&st);
}

/* --- pass lifecycle ---------------------------------------------------------- */

static void
pass_free(struct pass *p)
{
        if (p->walking)
                cc_walk_release(&p->walk);
        cc_plan_release(&p->plan);
        cc_gke_observe_result_release(&p->obs);
        cc_graph_release(&p->graph);
        cc_strv_release(&p->neg_names);
        cJSON_Delete(p->obj);
        cJSON_Delete(p->routes);
        cc_free(p->fres);
        cc_free(p);
}

static void wq_timer_fired(struct cc_timer *t, void *ud);

static void
arm_wq_timer(struct ctl *c)
{
        uint64_t next = UINT64_MAX, now = cc_loop_now_ms(&c->loop);

        if (c->stopping || cc_wq_promote(&c->wq, now, &next) || next == UINT64_MAX)
                return;
        if (c->wq_timer && c->wq_timer_due <= next)
                return;
        cc_timer_cancel(c->wq_timer);
        c->wq_timer = NULL;
        c->wq_timer_due = next;
        if (cc_timer_start(&c->loop, next > now ? next - now : 0, 0, wq_timer_fired, c,
                           &c->wq_timer))
                c->wq_timer = NULL;
}

static void
wq_timer_fired(struct cc_timer *t, void *ud)
{
        struct ctl *c = ud;

        (void)t;
        c->wq_timer = NULL;
        arm_wq_timer(c);
        kick(c);
}

/* a certificate of the Gateway is not ACTIVE yet */
static bool
certs_pending(const struct pass *p)
{
        size_t i;

        for (i = 0; i < p->graph.n; i++) {
                const struct cc_node *n = p->graph.nodes[i];
                const char *st;

                if (!n->desired || n->kind != &cc_gke_kind_certificate || !node_of(p, n))
                        continue;
                st = cert_state(n);
                if (!st || strcmp(st, "ACTIVE"))
                        return true;
        }
        return false;
}

/* true when the Gateway's cloud stage is not finished although nothing
 * failed: a certificate not ACTIVE yet, or no address / forwarding rule */
static bool
stage_pending(const struct pass *p)
{
        if (p->is_class || p->mode != PASS_APPLY || !p->ig || !p->obj)
                return false;
        return p->prog.state == CC_GW_PROG_NO_ADDRESS || certs_pending(p);
}

/* a successful pass: a pending Gateway is queued again with its bounded
 * backoff, a finished one forgets its count */
static void
requeue_pending(struct pass *p)
{
        struct ctl *c = p->c;
        uintptr_t n = (uintptr_t)cc_map_get(&c->pending, p->key) & (PENDING_CERT - 1);
        uint64_t delay = PENDING_CAP_MS;

        if (!stage_pending(p)) {
                cc_map_del(&c->pending, p->key);
                return;
        }
        if (n < 16)
                n++;
        if (n <= 6 && (PENDING_BASE_MS << (n - 1)) < PENDING_CAP_MS)
                delay = PENDING_BASE_MS << (n - 1);
        if (cc_map_put(&c->pending, p->key, (void *)(n | (certs_pending(p) ? PENDING_CERT : 0))) !=
            CC_OK)
                return; /* the drift check will look again */
        CC_DEBUG(COMP, "cloud stage pending, looking again", CC_S("item", p->key),
                 CC_U("after_ms", delay));
        cc_wq_add_after(&c->wq, p->key, cc_loop_now_ms(&c->loop) + delay);
}

/* the pass ended: requeue or forget, then take the next key */
static void
pass_end(struct pass *p)
{
        struct ctl *c = p->c;
        uint64_t delay;

        c->pass = NULL;
        if (p->failed) {
                delay = cc_wq_retry_ms(&c->wq, p->key);
                CC_INFO(COMP, "pass failed, retrying", CC_S("item", p->key),
                        CC_U("after_ms", delay));
                cc_wq_add_after(&c->wq, p->key, cc_loop_now_ms(&c->loop) + delay);
        } else {
                cc_wq_forget(&c->wq, p->key);
                if (p->requeue)
                        cc_wq_add(&c->wq, p->key);
                else
                        requeue_pending(p);
                if (p->recheck_ms)
                        cc_wq_add_after(&c->wq, p->key, cc_loop_now_ms(&c->loop) + p->recheck_ms);
        }
        cc_wq_done(&c->wq, p->key);
        pass_free(p);
        maybe_forget(c);
        arm_wq_timer(c);
        kick(c);
}

/* called whenever an async piece of the pass completes */
static void
pass_step_done(struct pass *p)
{
        if (p->hold || p->writes || p->walking || p->observing || p->discovering || p->op ||
            p->fleeting)
                return;
        pass_end(p);
}

/* --- finalizer ------------------------------------------------------------ */

static void start_cloud(struct pass *p);
static void apply_gateway(struct pass *p);

static void
finalizer_done(struct cc_kube_op *op, cc_err rc, struct cc_kube_result *res, void *ud)
{
        struct pass *p = ud;

        (void)op;
        p->op = NULL;
        if (rc == CC_NOTFOUND) {
                pass_step_done(p);
                return;
        }
        if (rc) {
                CC_WARN(COMP, "cannot patch the finalizer", CC_S("gw", p->key + 3),
                        CC_S("error", res->diag.message));
                p->failed = true;
                pass_step_done(p);
                return;
        }
        if (p->mode == PASS_DESTROY) {
                CC_INFO(COMP, "cloud resources deleted; finalizer removed", CC_S("gw", p->key + 3));
                cc_kube_event(p->c->events, p->obj, "Normal", "CloudResourcesDeleted",
                              "the load balancer, certificates and DNS records of this Gateway "
                              "are deleted");
                pass_step_done(p);
                return;
        }
        apply_gateway(p);
}

/* merge patch of metadata.finalizers with ours added or removed, guarded by
 * the resourceVersion we read */
static cc_err
patch_finalizer(struct pass *p, bool add)
{
        const cJSON *meta = cJSON_GetObjectItemCaseSensitive(p->obj, "metadata"), *f;
        cJSON *patch = cJSON_CreateObject(), *m, *list;
        struct cc_diag d;
        cc_err rc = CC_NOMEM;

        if (!patch || !(m = cJSON_AddObjectToObject(patch, "metadata")) ||
            !(list = cJSON_AddArrayToObject(m, "finalizers")))
                goto out;
        cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(meta, "finalizers"))
        {
                if (cJSON_IsString(f) && strcmp(f->valuestring, FINALIZER))
                        cJSON_AddItemToArray(list, cJSON_CreateString(f->valuestring));
        }
        if (add)
                cJSON_AddItemToArray(list, cJSON_CreateString(FINALIZER));
        if (jstr(meta, "resourceVersion", NULL))
                cJSON_AddStringToObject(m, "resourceVersion", jstr(meta, "resourceVersion", NULL));
        rc = cc_kube_patch(p->c->kube, cc_kube_resource_by_kind("Gateway"), p->ns, p->name,
                           CC_KUBE_PATCH_MERGE, patch, NULL, finalizer_done, p, &p->op, &d);
        if (rc == CC_AGAIN)
                rc = CC_OK;
        else
                CC_WARN(COMP, "cannot patch the finalizer", CC_S("error", d.message));
out:
        cJSON_Delete(patch);
        return rc;
}

/* --- cloud stage ------------------------------------------------------------- */

static cc_err
exec_step(struct cc_walk *w, size_t i, void *ud, struct cc_diag *d)
{
        struct pass *p = ud;

        return cc_gke_exec_step(w, i, &p->c->exec, d);
}

/* an external cluster (its gateways deployed by someone else) with NEGs */
static bool
external_backends(const struct pass *p)
{
        size_t i;

        for (i = 0; p->ig && i < p->ig->lb.nclusters; i++)
                if (!fres_of(p, p->ig->lb.clusters[i].name) && p->ig->lb.clusters[i].nnegs &&
                    p->ig->lb.clusters[i].weight > 0)
                        return true;
        return false;
}

static void
outcome(struct pass *p)
{
        const char *addr = NULL, *fail = NULL;
        bool rules = false, rules_ok = true;
        cc_err fail_code = CC_OK;
        size_t i;

        for (i = 0; i < p->graph.n; i++) {
                const struct cc_node *n = p->graph.nodes[i];

                if (!n->desired || !node_of(p, n))
                        continue;
                if (n->kind == &cc_gke_kind_address && n->observed && !addr)
                        addr = jstr(n->observed, "address", NULL);
                if (n->kind == &cc_gke_kind_forwarding_rule) {
                        rules = true;
                        rules_ok &= n->observed != NULL;
                }
        }
        for (i = 0; p->walking && i < p->plan.n; i++) {
                if (p->walk.steps[i].state == CC_STEP_FAILED) {
                        fail = p->walk.steps[i].diag.message;
                        fail_code = p->walk.steps[i].diag.code;
                        break;
                }
        }
        if (fail) {
                p->prog.state =
                    fail_code == CC_QUOTA ? CC_GW_PROG_NO_RESOURCES : CC_GW_PROG_PENDING;
                snprintf(p->prog_msg, sizeof(p->prog_msg), "%s", fail);
                p->prog.message = p->prog_msg;
                p->failed = true;
        } else if (!p->obs.rc && p->obs.conflicts.n) {
                p->prog.state = CC_GW_PROG_NO_RESOURCES;
                snprintf(p->prog_msg, sizeof(p->prog_msg), "%s", p->obs.conflicts.v[0]);
                p->prog.message = p->prog_msg;
        } else if (addr && rules_ok && (rules || !p->ig || !p->ig->lb.nlisteners) &&
                   p->fleet_used && !p->nready && !external_backends(p)) {
                /* the frontend exists, but nothing serves behind it yet */
                const char *why = "no member cluster is in the fleet";
                size_t k;

                for (k = 0; k < p->nfres; k++)
                        if (!p->fres[k].leaving && p->fres[k].state != CC_FLEET_READY) {
                                why = p->fres[k].message;
                                break;
                        }
                p->prog.state = CC_GW_PROG_PENDING;
                snprintf(p->prog_msg, sizeof(p->prog_msg),
                         "the load balancer exists at %s but no member cluster's gateway is "
                         "ready behind it yet: %s",
                         addr, why);
                p->prog.message = p->prog_msg;
        } else if (addr && rules_ok && (rules || !p->ig || !p->ig->lb.nlisteners)) {
                /* with no listener provisioned (each one invalid), the
                 * address is what there is to program */
                p->prog.state = CC_GW_PROG_PROGRAMMED;
                snprintf(p->prog_msg, sizeof(p->prog_msg), "load balancer programmed at %s", addr);
                p->prog.message = p->prog_msg;
        } else {
                p->prog.state = CC_GW_PROG_NO_ADDRESS;
                p->prog.message = "the load balancer's address is not assigned yet";
        }
        if (addr) {
                snprintf(p->addr_value, sizeof(p->addr_value), "%s", addr);
                p->addr.type = "IPAddress";
                p->addr.value = p->addr_value;
                p->prog.addresses = &p->addr;
                p->prog.n_addresses = 1;
        }
}

static void
events_for_walk(struct pass *p)
{
        char msg[CC_DIAG_MSG_MAX + 64];
        size_t i;

        for (i = 0; i < p->plan.n; i++) {
                const struct cc_walk_step *s = &p->walk.steps[i];

                if (s->state != CC_STEP_DONE)
                        continue;
                switch (p->plan.steps[i].action) {
                case CC_ACT_CREATE:
                        p->ncreated++;
                        break;
                case CC_ACT_DELETE:
                        p->ndeleted++;
                        break;
                default:
                        p->nupdated++;
                        break;
                }
        }
        if (p->ncreated + p->nupdated + p->ndeleted && p->obj) {
                snprintf(msg, sizeof(msg), "cloud resources: %zu created, %zu updated, %zu deleted",
                         p->ncreated, p->nupdated, p->ndeleted);
                cc_kube_event(p->c->events, p->obj, "Normal", "CloudResourcesSynced", msg);
        }
        for (i = 0; i < p->plan.n; i++) {
                const struct cc_walk_step *s = &p->walk.steps[i];

                if (s->state != CC_STEP_FAILED)
                        continue;
                CC_WARN(COMP, "cloud step failed", CC_S("gw", p->key + 3),
                        CC_S("error", s->diag.message));
                if (p->obj)
                        cc_kube_event(p->c->events, p->obj, "Warning", "CloudError",
                                      s->diag.message);
        }
}

static void
after_cloud(struct pass *p)
{
        if (p->mode == PASS_DESTROY) {
                /* something was deleted: list again to verify before the
                 * finalizer goes */
                if (!p->failed)
                        p->requeue = true;
                pass_step_done(p);
                return;
        }
        outcome(p);
        if (!fleet_after(p))
                write_statuses(p);
        pass_step_done(p);
}

static void
walk_finished(struct cc_walk *w, void *ud)
{
        struct pass *p = ud;

        (void)w;
        events_for_walk(p);
        /* the step states stay readable for outcome() until the release */
        after_cloud(p);
        p->walking = false;
        cc_walk_release(&p->walk);
        pass_step_done(p);
}

/* the cloud and the clusters hold nothing of the Gateway: the finalizer goes */
static void
destroy_finish(struct pass *p)
{
        links_drop(p->c, p->ns, p->name, NULL);
        if (has_finalizer(p->obj) && patch_finalizer(p, false))
                p->failed = true;
}

static void
after_observe(struct cc_gke_observe_result *res, void *ud)
{
        struct pass *p = ud;
        struct cc_walk_opts wo = { 0 };
        struct cc_diag d;
        size_t i;

        p->observing = false;
        if (!res->from_cache)
                p->c->fresh_end_ms = cc_loop_now_ms(&p->c->loop);
        if (res->rc) {
                CC_WARN(COMP, "cannot observe the cloud", CC_S("gw", p->key + 3),
                        CC_S("error", res->d.message));
                p->failed = true;
                snprintf(p->prog_msg, sizeof(p->prog_msg), "%s", res->d.message);
                p->prog.message = p->prog_msg;
                p->prog.state = CC_GW_PROG_PENDING;
                if (p->mode == PASS_APPLY)
                        write_statuses(p);
                pass_step_done(p);
                return;
        }
        for (i = 0; i < res->conflicts.n; i++) {
                CC_WARN(COMP, "resource not ours", CC_S("gw", p->key + 3),
                        CC_S("error", res->conflicts.v[i]));
                if (p->obj)
                        cc_kube_event(p->c->events, p->obj, "Warning", "CloudConflict",
                                      res->conflicts.v[i]);
        }
        if (cc_plan_build(&p->graph, &p->plan, &d)) {
                CC_ERROR(COMP, "cannot plan", CC_S("gw", p->key + 3), CC_S("error", d.message));
                p->failed = true;
                pass_step_done(p);
                return;
        }
        if (!p->plan.n) {
                if (p->mode == PASS_DESTROY) {
                        /* a fresh list found nothing of ours in the cloud: now
                         * the per-cluster gateways (nothing routes to them any
                         * more), then the finalizer can go */
                        if (!uses_fleet(p->c))
                                destroy_finish(p);
                        else
                                start_fleet_remove(p, NULL);
                        pass_step_done(p);
                        return;
                }
                after_cloud(p);
                return;
        }
        CC_INFO(COMP, "applying changes", CC_S("gw", p->key + 3), CC_U("steps", p->plan.n),
                CC_U("create", p->plan.ncreate), CC_U("update", p->plan.nupdate),
                CC_U("delete", p->plan.ndelete));
        wo.max_parallel = 32;
        wo.exec = exec_step;
        wo.finished = walk_finished;
        wo.ud = p;
        if (cc_walk_start(&p->walk, &p->c->loop, &p->graph, &p->plan, &wo, &d) != CC_AGAIN) {
                CC_ERROR(COMP, "cannot start the walk", CC_S("error", d.message));
                p->failed = true;
                pass_step_done(p);
                return;
        }
        p->walking = true;
}

/* a pending Gateway's pass may list the cloud afresh (see PENDING_FRESH_X) */
static bool
fresh_due(struct ctl *c)
{
        uint64_t took =
            c->fresh_end_ms > c->fresh_start_ms ? c->fresh_end_ms - c->fresh_start_ms : 0;
        uint64_t gap =
            took * PENDING_FRESH_X > PENDING_FRESH_MS ? took * PENDING_FRESH_X : PENDING_FRESH_MS;

        return cc_loop_now_ms(&c->loop) - c->fresh_end_ms >= gap;
}

static void
start_observe(struct pass *p)
{
        struct ctl *c = p->c;
        struct cc_gke_observe_opts oo = { 0 };
        struct cc_diag d;
        uintptr_t pend;
        cc_err rc;

        oo.scope.project = c->cfg.project;
        oo.scope.fleet = c->cfg.fleet;
        oo.scope.dns_zone = c->cfg.dns_zone;
        p->owners[0] = p->owner;
        p->owners[1] = NULL;
        oo.scope.owners = p->owners;
        oo.scope.nowners = 1;
        /* a destroy verifies against a fresh list; applies use the warm cache
         * except on the first pass after a drift check and while the
         * Gateway's stage is pending: its certificates (their state changes)
         * are read again, or, pending for another reason, a fresh list */
        pend = (uintptr_t)cc_map_get(&c->pending, p->key);
        oo.use_cache = p->mode == PASS_APPLY && c->cache.warm && !c->relist &&
                       !(pend && !(pend & PENDING_CERT) && fresh_due(c));
        if (oo.use_cache && (pend & PENDING_CERT))
                oo.refresh = &cc_gke_kind_certificate;
        if (!oo.use_cache) {
                c->relist = false;
                c->fresh_start_ms = cc_loop_now_ms(&c->loop);
        }
        p->observing = true;
        rc =
            cc_gke_observe(&c->cloud.api, &c->cache, &oo, &p->graph, &p->obs, after_observe, p, &d);
        if (rc == CC_OK) {
                after_observe(&p->obs, p);
        } else if (rc != CC_AGAIN) {
                p->observing = false;
                CC_WARN(COMP, "cannot observe the cloud", CC_S("error", d.message));
                p->failed = true;
                pass_step_done(p);
        }
}

static const char *const *
zones_lookup(const char *neg, void *ud)
{
        struct ctl *c = ud;
        size_t i;

        for (i = 0; i < c->neg_known.n && i < c->nzone_lists; i++)
                if (!strcmp(c->neg_known.v[i], neg))
                        return (const char *const *)c->zone_lists[i];
        return NULL;
}

static void
free_zone_lists(struct ctl *c)
{
        size_t i;

        for (i = 0; i < c->nzone_lists; i++)
                cc_free(c->zone_lists[i]);
        cc_free(c->zone_lists);
        c->zone_lists = NULL;
        c->nzone_lists = 0;
}

static void
translate_and_observe(struct pass *p)
{
        struct ctl *c = p->c;
        struct cc_lb_settings s = {
                .fleet = c->cfg.fleet,
                .project = c->cfg.project,
                .network = c->cfg.network,
                .dns_zone = c->cfg.dns_zone,
                .dns_name = c->cfg.dns_name,
                .cert_mode = (enum cc_cert_mode)c->cfg.cert_mode,
        };
        struct cc_diag d;

        if (cc_inputs_set_zones_gw(p->ig, &c->view, zones_lookup, c, NULL)) {
                p->failed = true;
                pass_step_done(p);
                return;
        }
        if (cc_gke_translate(&s, &p->ig->lb, &p->graph, &d)) {
                /* the spec cannot become a load balancer: no cloud change,
                 * the status says why (a spec change queues the Gateway) */
                CC_ERROR(COMP, "cannot translate", CC_S("gw", p->key + 3),
                         CC_S("error", d.message));
                if (d.code != CC_INVAL)
                        p->failed = true;
                p->prog.state = CC_GW_PROG_INVALID;
                snprintf(p->prog_msg, sizeof(p->prog_msg), "%s", d.message);
                p->prog.message = p->prog_msg;
                write_statuses(p);
                pass_step_done(p);
                return;
        }
        start_observe(p);
}

static void
after_negs(struct cc_gke_negs_result *res, void *ud)
{
        struct pass *p = ud;
        struct ctl *c = p->c;
        size_t i, j, k;

        p->discovering = false;
        if (res->rc) {
                CC_WARN(COMP, "cannot discover NEG zones", CC_S("error", res->d.message));
                p->failed = true;
                pass_step_done(p);
                return;
        }
        free_zone_lists(c);
        if (!(c->zone_lists = cc_calloc(c->neg_known.n + 1, sizeof(*c->zone_lists)))) {
                p->failed = true;
                pass_step_done(p);
                return;
        }
        c->nzone_lists = c->neg_known.n;
        for (i = 0; i < c->neg_known.n; i++) {
                size_t nz = 0;

                for (j = 0; j < res->nfound; j++)
                        nz += !strcmp(res->found[j].name, c->neg_known.v[i]);
                if (!(c->zone_lists[i] = cc_calloc(nz + 1, sizeof(char *)))) {
                        p->failed = true;
                        pass_step_done(p);
                        return;
                }
                for (j = 0, k = 0; j < res->nfound; j++)
                        if (!strcmp(res->found[j].name, c->neg_known.v[i]))
                                ((char **)c->zone_lists[i])[k++] = res->found[j].zone;
        }
        c->negs_stale = res->missing.n > 0;
        translate_and_observe(p);
}

static void
start_cloud(struct pass *p)
{
        struct ctl *c = p->c;
        bool need = c->negs_stale;
        struct cc_diag d;
        size_t i, k;
        cc_err rc;

        if (p->mode == PASS_DESTROY) {
                start_observe(p);
                return;
        }
        for (i = 0; i < p->ig->lb.nclusters; i++)
                for (k = 0; k < p->ig->neg_names[i].n; k++)
                        if (!cc_strv_contains(&c->neg_known, p->ig->neg_names[i].v[k])) {
                                if (cc_strv_push(&c->neg_known, p->ig->neg_names[i].v[k])) {
                                        p->failed = true;
                                        pass_step_done(p);
                                        return;
                                }
                                need = true;
                        }
        if (!need || !c->neg_known.n) {
                translate_and_observe(p);
                return;
        }
        /* the zone lists point into the old result: drop both together */
        free_zone_lists(c);
        cc_gke_negs_result_release(&c->negs);
        p->discovering = true;
        rc =
            cc_gke_negs_discover(&c->cloud.api, c->cfg.project, (const char *const *)c->neg_known.v,
                                 c->neg_known.n, &c->negs, after_negs, p, &d);
        if (rc != CC_AGAIN) {
                p->discovering = false;
                CC_WARN(COMP, "cannot discover NEG zones", CC_S("error", d.message));
                p->failed = true;
                pass_step_done(p);
        }
}

/* a served Gateway with our finalizer: to the cloud, or, when it is invalid
 * (not translated), only its status */
static void
apply_gateway(struct pass *p)
{
        struct ctl *c = p->c;
        size_t i;

        if (!p->ig) {
                /* invalid: no cloud change (its resources, if any, stay);
                 * the status says why */
                char prefix[600];

                snprintf(prefix, sizeof(prefix), "gateway '%s/%s'", p->ns, p->name);
                p->prog.state = CC_GW_PROG_INVALID;
                for (i = 0; i < c->in.errors.n; i++)
                        if (!strncmp(c->in.errors.v[i], prefix, strlen(prefix))) {
                                snprintf(p->prog_msg, sizeof(p->prog_msg), "%s", c->in.errors.v[i]);
                                p->prog.message = p->prog_msg;
                        }
                write_statuses(p);
                pass_step_done(p);
                return;
        }
        fleet_stage(p);
}

/* --- passes ------------------------------------------------------------------- */

static void
gateway_pass(struct pass *p)
{
        struct ctl *c = p->c;
        const cJSON *obj = cc_kube_informer_get(c->inf[INF_GATEWAY], p->ns, p->name);
        const struct cc_gw_gateway *gw;
        bool served, deleting, fin;
        struct cc_diag d;
        size_t i;

        if (!obj) {
                /* gone (someone removed our finalizer, or it never had one):
                 * nothing to report on; whatever it owned in the cloud goes */
                p->mode = PASS_DESTROY;
                start_cloud(p);
                return;
        }
        if (!(p->obj = cJSON_Duplicate(obj, true)) || build_snapshot(c, &d)) {
                p->failed = true;
                pass_step_done(p);
                return;
        }
        gw = cc_gw_snapshot_gateway(&c->in.snap, p->ns, p->name);
        served = gw && cc_gw_serves(&c->in.snap, &c->serve, gw);
        deleting =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"),
                                             "deletionTimestamp") != NULL;
        fin = has_finalizer(obj);
        if (!served || deleting) {
                if (fin) {
                        CC_INFO(COMP,
                                deleting ? "gateway deleted: removing its cloud resources"
                                         : "gateway no longer served: removing its cloud "
                                           "resources",
                                CC_S("gw", p->key + 3));
                        p->mode = PASS_DESTROY;
                        start_cloud(p);
                        return;
                }
                pass_step_done(p);
                return;
        }
        p->mode = PASS_APPLY;
        for (i = 0; i < c->in.ngws; i++)
                if (!strcmp(c->in.gws[i].lb.ns, p->ns) && !strcmp(c->in.gws[i].lb.name, p->name))
                        p->ig = &c->in.gws[i];
        if (!fin) {
                if (patch_finalizer(p, true)) {
                        p->failed = true;
                        pass_step_done(p);
                }
                return; /* finalizer_done goes on */
        }
        apply_gateway(p);
}

static void
class_pass(struct pass *p)
{
        struct cc_diag d;

        if (build_snapshot(p->c, &d)) {
                p->failed = true;
        } else {
                write_statuses(p);
        }
        pass_step_done(p);
}

static void
start_pass(struct ctl *c, const char *key)
{
        struct pass *p = cc_calloc(1, sizeof(*p));
        const char *rest;

        if (!p) {
                cc_wq_add_after(&c->wq, key, cc_loop_now_ms(&c->loop) + 1000);
                cc_wq_done(&c->wq, key);
                return;
        }
        p->c = c;
        snprintf(p->key, sizeof(p->key), "%s", key);
        c->pass = p;
        c->passes++;
        if (!strncmp(key, "gc/", 3)) {
                p->is_class = true;
                snprintf(p->name, sizeof(p->name), "%s", key + 3);
                CC_DEBUG(COMP, "class pass", CC_S("class", p->name));
                class_pass(p);
                return;
        }
        rest = key + 3;
        snprintf(p->ns, sizeof(p->ns), "%.*s", (int)strcspn(rest, "/"), rest);
        snprintf(p->name, sizeof(p->name), "%s",
                 rest + strcspn(rest, "/") + (rest[strcspn(rest, "/")] ? 1 : 0));
        cc_gke_owner(p->owner, sizeof(p->owner), c->cfg.fleet, p->ns, p->name);
        CC_DEBUG(COMP, "gateway pass", CC_S("gw", rest));
        gateway_pass(p);
}

/* --- the fleet's clusters and config reloads -------------------------------------- */

static void
fleet_changed(const char *ns, const char *name, void *ud)
{
        struct ctl *c = ud;

        enqueue(c, "gw", ns, name);
        kick(c);
}

/* c->view: the config's clusters, then the fleet's leaving ones */
static void
build_view(struct ctl *c)
{
        size_t k;

        c->view = c->cfg;
        c->view_stale = false;
        c->built = false; /* the inputs point into the view: classify again */
        for (k = 0; c->fleet && k < cc_fleet_count(c->fleet); k++) {
                const struct cc_fleet_member *m = cc_fleet_member(c->fleet, k);
                struct cc_config_cluster *cl;

                if (!m->leaving)
                        continue;
                if (c->view.nclusters == CC_CONFIG_MAX_CLUSTERS) {
                        CC_WARN(COMP, "too many clusters: a leaving one is not drained",
                                CC_S("cluster", m->name));
                        continue;
                }
                cl = &c->view.clusters[c->view.nclusters++];
                memset(cl, 0, sizeof(*cl));
                cl->name = (char *)m->name;
                cl->region = (char *)m->region;
        }
}

/* hand the config's deployed-to clusters (those without `services`) to the
 * fleet, their kubeconfig and context defaulting to the controller's */
static cc_err
set_fleet_clusters(struct ctl *c, struct cc_diag *d)
{
        struct cc_config_cluster fc[CC_CONFIG_MAX_CLUSTERS];
        size_t i, n = 0;
        cc_err rc;

        for (i = 0; i < c->cfg.nclusters; i++) {
                if (c->cfg.clusters[i].services)
                        continue;
                fc[n] = c->cfg.clusters[i];
                if (!fc[n].kubeconfig)
                        fc[n].kubeconfig = (char *)c->kubeconfig;
                if (!fc[n].context)
                        fc[n].context = (char *)c->context;
                n++;
        }
        if (!c->fleet && !n)
                return CC_OK;
        if (!c->fleet &&
            (rc = cc_fleet_new(&c->loop, &c->http, &c->env, fleet_changed, c, &c->fleet, d)))
                return rc;
        if ((rc = cc_fleet_set_clusters(c->fleet, fc, n, d)))
                return rc;
        build_view(c);
        return CC_OK;
}

static bool
same_str(const char *a, const char *b)
{
        return a == b || (a && b && !strcmp(a, b));
}

/* what a running controller cannot take from a reload */
static const char *
fixed_change(const struct cc_config *a, const struct cc_config *b)
{
        if (!same_str(a->fleet, b->fleet))
                return "fleet";
        if (!same_str(a->project, b->project))
                return "project";
        if (!same_str(a->network, b->network))
                return "network";
        if (!same_str(a->dns_zone, b->dns_zone) || !same_str(a->dns_name, b->dns_name))
                return "dns";
        if (a->cert_mode != b->cert_mode)
                return "certificates";
        if (!same_str(a->endpoints.compute, b->endpoints.compute) ||
            !same_str(a->endpoints.certificatemanager, b->endpoints.certificatemanager) ||
            !same_str(a->endpoints.dns, b->endpoints.dns) ||
            !same_str(a->endpoints.token, b->endpoints.token) ||
            !same_str(a->endpoints.metadata, b->endpoints.metadata))
                return "endpoints";
        if (a->credentials.type != b->credentials.type ||
            !same_str(a->credentials.file, b->credentials.file))
                return "credentials";
        if (memcmp(&a->rates, &b->rates, sizeof(a->rates)))
                return "rateLimits";
        return NULL;
}

static bool
stat_changed(const struct stat *a, const struct stat *b)
{
        return a->st_ino != b->st_ino || a->st_size != b->st_size ||
               a->st_mtim.tv_sec != b->st_mtim.tv_sec || a->st_mtim.tv_nsec != b->st_mtim.tv_nsec;
}

/* between passes: read the config again and apply its clusters */
static void
reload(struct ctl *c)
{
        struct cc_config n, *old;
        struct cc_diag d;
        const char *what;

        c->reload_due = false;
        if (cc_config_load(c->config_path, &n, &d)) {
                CC_ERROR(COMP, "cannot reload the config: the running one stays",
                         CC_S("error", d.message));
                return;
        }
        if ((what = fixed_change(&c->cfg, &n))) {
                CC_ERROR(COMP,
                         "config changed beyond clusters and drainSeconds: restart "
                         "cloudctl to apply it; the running config stays",
                         CC_S("field", what));
                cc_config_release(&n);
                return;
        }
        if (!(old = cc_realloc(c->old_cfgs, (c->nold_cfgs + 1) * sizeof(*old)))) {
                cc_config_release(&n);
                return;
        }
        c->old_cfgs = old;
        c->old_cfgs[c->nold_cfgs++] = c->cfg;
        c->cfg = n;
        if (cc_inputs_load_services(&c->in, &c->cfg, &d))
                CC_ERROR(COMP, "cannot read a cluster's services", CC_S("error", d.message));
        if (set_fleet_clusters(c, &d))
                CC_ERROR(COMP, "cannot apply the clusters", CC_S("error", d.message));
        build_view(c);
        CC_INFO(COMP, "config reloaded", CC_U("clusters", c->cfg.nclusters));
        enqueue_all(c, false, CC_WQ_HIGH);
}

static void
reload_poll(struct cc_timer *t, void *ud)
{
        struct ctl *c = ud;
        struct stat st;

        (void)t;
        if (stat(c->config_path, &st) == 0 && stat_changed(&st, &c->cfg_stat)) {
                c->cfg_stat = st;
                c->reload_due = true;
                kick(c);
        }
}

static void
on_sighup(uv_signal_t *h, int signum)
{
        struct ctl *c = h->data;

        (void)signum;
        c->reload_due = true;
        kick(c);
}

static void kick_now(struct ctl *c);
static void refresh_swap(struct ctl *c);

static void
kick_fired(struct cc_timer *t, void *ud)
{
        struct ctl *c = ud;

        (void)t;
        c->kick_timer = NULL;
        kick_now(c);
}

/* never start a pass from inside an informer handler (which runs in a curl
 * callback, where no transfer may be added): defer to a timer */
static void
kick(struct ctl *c)
{
        if (c->kick_timer || c->stopping)
                return;
        if (cc_timer_start(&c->loop, 0, 0, kick_fired, c, &c->kick_timer))
                c->kick_timer = NULL;
}

/* take the next key when idle, leading, synced, and the rate limit allows */
static void
kick_now(struct ctl *c)
{
        const char *key;
        uint64_t wait;

        if (c->pass || c->stopping)
                return;
        if (c->reload_due)
                reload(c);
        if (c->refresh_ready)
                refresh_swap(c);
        if (c->view_stale)
                build_view(c);
        if (!c->leading || c->nsynced < INF__COUNT)
                return;
        if (!cc_wq_len(&c->wq))
                return;
        if (c->fleet && !cc_fleet_synced(c->fleet)) {
                /* the member clusters' caches first, or every object would
                 * look missing; unreachable ones do not hold this back */
                if (!c->kick_timer &&
                    cc_timer_start(&c->loop, 100, 0, kick_fired, c, &c->kick_timer))
                        c->kick_timer = NULL;
                return;
        }
        if (!c->token_ready) {
                wait = cc_wq_reserve(&c->wq, cc_loop_now_ms(&c->loop));
                if (wait) {
                        c->token_ready = true;
                        if (cc_timer_start(&c->loop, wait, 0, kick_fired, c, &c->kick_timer))
                                c->kick_timer = NULL;
                        return;
                }
        }
        c->token_ready = false;
        if (!cc_wq_get(&c->wq, &key))
                return;
        start_pass(c, key);
}

/* --- the Gateway API CRDs' bundle version ------------------------------------- */

#define CRD_NAME       "gateways.gateway.networking.k8s.io"
#define BUNDLE_VERSION "gateway.networking.k8s.io/bundle-version"

/* GatewayClass SupportedVersion comes from the Gateway CRD's annotation;
 * a CRD that cannot be read leaves it out (serve.bundle_version NULL) */
static void
bundle_got(struct cc_kube_op *op, cc_err rc, struct cc_kube_result *res, void *ud)
{
        struct ctl *c = ud;
        const cJSON *ann = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(res ? res->obj : NULL, "metadata"), "annotations");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(ann, BUNDLE_VERSION);
        const char *was = c->serve.bundle_version;

        (void)op;
        if (rc == CC_CANCELED)
                return;
        if (rc || !cJSON_IsString(v) || !v->valuestring[0] ||
            strlen(v->valuestring) >= sizeof(c->bundle)) {
                if (rc)
                        CC_INFO(COMP, "gateway API CRD not readable: SupportedVersion left out",
                                CC_S("crd", CRD_NAME), CC_S("error", res ? res->diag.message : ""));
                c->serve.bundle_version = NULL;
        } else {
                snprintf(c->bundle, sizeof(c->bundle), "%s", v->valuestring);
                c->serve.bundle_version = c->bundle;
        }
        if (was != c->serve.bundle_version && c->nsynced == INF__COUNT) {
                enqueue_all(c, true, CC_WQ_HIGH);
                kick(c);
        }
}

static void
read_bundle_version(struct ctl *c)
{
        struct cc_diag d;

        if (cc_kube_get(c->kube, cc_kube_resource_by_kind("CustomResourceDefinition"), NULL,
                        CRD_NAME, bundle_got, c, NULL, &d) != CC_AGAIN)
                CC_WARN(COMP, "cannot read the gateway API CRD", CC_S("error", d.message));
}

/* --- drift check, leadership, signals ----------------------------------------- */

static void
refresh_stop(struct ctl *c)
{
        /* the drift check's NEG zone discovery: by the next pass, once the
         * background list no longer competes with its call */
        c->negs_stale = true;
        c->cache.dirty = NULL;
        c->cache.dirty_lost = false;
        cc_map_release(&c->dirty);
        cc_gke_cache_release(&c->next);
        c->refresh_ready = false;
}

/* between passes: the background list becomes the cache, with the writes
 * made since it started taken over (they are newer than what it read) */
static void
refresh_swap(struct ctl *c)
{
        struct cc_gke_cache old;
        size_t iter = 0;
        const char *key;
        void *v;
        cc_err rc = CC_OK;

        if (c->cache.dirty_lost) {
                /* a full list ran meanwhile, or a key could not be noted:
                 * the cache is at least as fresh as the background list */
                CC_DEBUG(COMP, "background list dropped: the cache changed too much meanwhile");
                refresh_stop(c);
                return;
        }
        while (!rc && cc_map_next(&c->dirty, &iter, &key, &v)) {
                const struct cc_gke_item *it = cc_gke_cache_get(&c->cache, key);
                cJSON *body;

                if (!it) {
                        cc_gke_cache_remove(&c->next, key);
                        continue;
                }
                if (!(body = cJSON_Duplicate(it->body, true)))
                        rc = CC_NOMEM;
                else
                        rc = cc_gke_cache_put(&c->next, it->kind, key, body, it->owner);
        }
        if (rc) {
                refresh_stop(c);
                c->relist = true; /* the next pass lists in the foreground */
                return;
        }
        old = c->cache;
        c->cache = c->next;
        c->cache.warm = true;
        c->cache.dirty = NULL;
        c->cache.dirty_lost = false;
        c->next = old;
        c->next.dirty = NULL;
        refresh_stop(c);
        c->fresh_start_ms = c->refresh_start_ms;
        c->fresh_end_ms = cc_loop_now_ms(&c->loop);
        CC_DEBUG(COMP, "drift check: the cloud listed afresh", CC_U("items", c->cache.items.n));
        /* every Gateway compares against what the cloud has now */
        enqueue_all(c, true, CC_WQ_LOW);
        kick(c);
}

/* the background list's graph and result are done with */
static void
refresh_end(struct ctl *c)
{
        c->refreshing = false;
        cc_graph_release(&c->rgraph);
        memset(&c->rgraph, 0, sizeof(c->rgraph));
        cc_gke_observe_result_release(&c->robs);
}

/* no background list: every Gateway's next pass lists in the foreground */
static void
relist_all(struct ctl *c)
{
        c->relist = true;
        c->negs_stale = true;
        enqueue_all(c, true, CC_WQ_LOW);
        kick(c);
}

static void
refresh_done(struct cc_gke_observe_result *res, void *ud)
{
        struct ctl *c = ud;

        refresh_end(c);
        if (res->rc || c->tearing) {
                if (res->rc != CC_CANCELED && !c->tearing)
                        CC_WARN(COMP, "drift check: cannot list the cloud",
                                CC_S("error", res->d.message));
                refresh_stop(c);
                if (!c->tearing)
                        relist_all(c);
                return;
        }
        c->refresh_ready = true;
        if (!c->pass)
                refresh_swap(c);
}

/* the drift check's list, in the background (a cold cache lists in the
 * first pass instead) */
static void
refresh_start(struct ctl *c)
{
        /* the list fills the cache; its graph stays empty (an owner no
         * Gateway has), so no node is made for the whole fleet's items */
        static const char *const none[] = { "" };
        struct cc_gke_observe_opts oo = { 0 };
        struct cc_diag d;
        cc_err rc;

        if (c->refreshing || c->refresh_ready)
                return;
        if (!c->cache.warm || c->relist) {
                relist_all(c);
                return;
        }
        oo.scope.project = c->cfg.project;
        oo.scope.fleet = c->cfg.fleet;
        oo.scope.dns_zone = c->cfg.dns_zone;
        oo.scope.owners = none;
        oo.scope.nowners = 1;
        /* a few lists at a time: the passes' calls go between them */
        oo.max_lists = REFRESH_LISTS;
        memset(&c->rgraph, 0, sizeof(c->rgraph));
        memset(&c->robs, 0, sizeof(c->robs));
        c->cache.dirty = &c->dirty;
        c->cache.dirty_lost = false;
        c->refreshing = true;
        c->refresh_start_ms = cc_loop_now_ms(&c->loop);
        rc =
            cc_gke_observe(&c->cloud.api, &c->next, &oo, &c->rgraph, &c->robs, refresh_done, c, &d);
        if (rc == CC_AGAIN)
                return;
        refresh_end(c);
        refresh_stop(c);
        CC_WARN(COMP, "drift check: cannot list the cloud", CC_S("error", d.message));
        relist_all(c);
}

static void
resync_fired(struct cc_timer *t, void *ud)
{
        struct ctl *c = ud;

        (void)t;
        if (!c->leading)
                return;
        CC_DEBUG(COMP, "drift check");
        read_bundle_version(c);
        refresh_start(c);
}

static void
started_leading(void *ud)
{
        struct ctl *c = ud;

        CC_INFO(COMP, "leading", CC_S("identity", c->identity));
        c->leading = true;
        /* another replica may have changed the cloud meanwhile */
        c->relist = true;
        c->negs_stale = true;
        if (c->nsynced == INF__COUNT)
                enqueue_all(c, true, CC_WQ_LOW);
        kick(c);
}

static void
stopped_leading(void *ud)
{
        struct ctl *c = ud;

        CC_INFO(COMP, "stopped leading", CC_S("identity", c->identity));
        c->leading = false;
        if (c->stopping)
                cc_loop_stop(&c->loop);
}

static void
new_leader(const char *identity, void *ud)
{
        struct ctl *c = ud;

        if (identity[0] && strcmp(identity, c->identity))
                CC_INFO(COMP, "another replica leads", CC_S("leader", identity));
}

static void
on_signal(uv_signal_t *h, int signum)
{
        struct ctl *c = h->data;

        (void)signum;
        if (++c->nsignals > 1 || !c->lease || !cc_kube_lease_is_leader(c->lease)) {
                c->stopping = true;
                if (c->lease)
                        cc_kube_lease_stop(c->lease);
                cc_loop_stop(&c->loop);
                return;
        }
        /* release the Lease first; stopped_leading stops the loop */
        CC_INFO(COMP, "stopping: releasing the lease");
        c->stopping = true;
        cc_kube_lease_stop(c->lease);
        if (!cc_kube_lease_is_leader(c->lease))
                cc_loop_stop(&c->loop);
}

static void
on_loop_stop(struct cc_loop *loop, void *ud)
{
        struct ctl *c = ud;
        size_t i;

        (void)loop;
        c->stopping = true;
        cc_timer_cancel(c->resync_timer);
        cc_timer_cancel(c->wq_timer);
        cc_timer_cancel(c->kick_timer);
        cc_timer_cancel(c->reload_timer);
        c->resync_timer = c->wq_timer = c->kick_timer = c->reload_timer = NULL;
        if (c->pass && c->pass->walking)
                cc_walk_cancel(&c->pass->walk);
        if (c->fleet)
                cc_fleet_cancel_all(c->fleet);
        if (c->sighup_on) {
                uv_close((uv_handle_t *)&c->sighup, NULL);
                c->sighup_on = false;
        }
        if (c->sigs_on) {
                for (i = 0; i < 2; i++)
                        uv_close((uv_handle_t *)&c->sigs[i], NULL);
                c->sigs_on = false;
        }
}

/* --- setup and teardown ------------------------------------------------------- */

static cc_err
setup(struct ctl *c, struct cc_diag *d)
{
        struct cc_kube_client_opts ko = { .user_agent = "cloudctl-controller",
                                          .rate_group = "kube" };
        static const int signums[2] = { SIGINT, SIGTERM };
        char host[64] = "host";
        size_t i;
        cc_err rc;

        cc_kube_env_read(&c->env);
        if ((rc = cc_kube_config_load(&c->kcfg, &c->env, c->kubeconfig, c->context, d)))
                return rc;
        c->kcfg_ok = true;
        if ((rc = cc_loop_init(&c->loop, d)))
                return rc;
        c->loop_ok = true;
        if ((rc = cc_http_init(&c->http, &c->loop, NULL, d)))
                return rc;
        c->http_ok = true;
        if ((rc = cc_http_set_rate(&c->http, "kube", 50, 100)))
                return cc_diag_set(d, rc, 0, "cannot set the kube rate limit");
        if ((rc = cc_cloud_init(&c->cloud, &c->loop, &c->http, &c->cfg, d)))
                return rc;
        if ((rc = cc_kube_client_new(&c->http, &c->kcfg, &ko, &c->kube, d)))
                return rc;
        gethostname(host, sizeof(host) - 1);
        snprintf(c->identity, sizeof(c->identity), "%s_%ld", host, (long)getpid());
        {
                struct cc_kube_events_opts eo = { .component = "cloudctl",
                                                  .instance = c->identity };

                if ((rc = cc_kube_events_new(c->kube, &eo, &c->events, d)))
                        return rc;
        }
        for (i = 0; i < INF__COUNT; i++) {
                struct cc_kube_informer_handlers h = {
                        .on_add = h_add,
                        .on_update = h_update,
                        .on_delete = h_delete,
                        .on_synced = h_synced,
                };
                const struct cc_kube_resource *r = cc_kube_resource_by_kind(inf_kinds[i]);

                if (!r)
                        return cc_diag_set(d, CC_INTERNAL, 0, "no resource for '%s'", inf_kinds[i]);
                c->ictx[i].c = c;
                c->ictx[i].kind = (enum inf_kind)i;
                if ((rc = cc_kube_informer_new(c->kube, r, NULL, &h, &c->ictx[i], &c->inf[i], d)))
                        return rc;
        }
        cc_gke_exec_new_run(&c->exec);
        c->exec.api = &c->cloud.api;
        c->exec.cache = &c->cache;
        c->exec.loop = &c->loop;
        cc_wq_init(&c->wq, 500, 60000, 20, 20, cc_loop_now_ms(&c->loop));
        memset(&c->in, 0, sizeof(c->in));
        cc_gw_snapshot_init(&c->in.snap);
        if ((rc = cc_inputs_load_services(&c->in, &c->cfg, d)))
                return rc;
        build_view(c);
        if ((rc = set_fleet_clusters(c, d)))
                return rc;
        if (stat(c->config_path, &c->cfg_stat) ||
            cc_timer_start(&c->loop, RELOAD_POLL_MS, RELOAD_POLL_MS, reload_poll, c,
                           &c->reload_timer))
                c->reload_timer = NULL; /* SIGHUP still reloads */
        if (uv_signal_init(&c->loop.uv, &c->sighup))
                return cc_diag_set(d, CC_INTERNAL, 0, "cannot catch signals");
        c->sighup.data = c;
        uv_signal_start(&c->sighup, on_sighup, SIGHUP);
        uv_unref((uv_handle_t *)&c->sighup);
        c->sighup_on = true;

        cc_loop_on_stop(&c->loop, &c->stop_hook, on_loop_stop, c);
        for (i = 0; i < 2; i++) {
                if (uv_signal_init(&c->loop.uv, &c->sigs[i]))
                        return cc_diag_set(d, CC_INTERNAL, 0, "cannot catch signals");
                c->sigs[i].data = c;
                uv_signal_start(&c->sigs[i], on_signal, signums[i]);
                uv_unref((uv_handle_t *)&c->sigs[i]);
        }
        c->sigs_on = true;
        if (c->leader_elect) {
                char lname[128];
                struct cc_kube_lease_opts lo = {
                        .ns = c->lease_ns,
                        .name = lname,
                        .identity = c->identity,
                        .on_started_leading = started_leading,
                        .on_stopped_leading = stopped_leading,
                        .on_new_leader = new_leader,
                        .ud = c,
                };

                snprintf(lname, sizeof(lname), "cloudctl-%s", c->cfg.fleet);
                if ((rc = cc_kube_lease_new(c->kube, &lo, &c->lease, d)) ||
                    (rc = cc_kube_lease_start(c->lease, d)))
                        return rc;
        } else {
                c->leading = true;
        }
        for (i = 0; i < INF__COUNT; i++)
                if ((rc = cc_kube_informer_start(c->inf[i], d)))
                        return rc;
        read_bundle_version(c);
        if (c->resync_ms &&
            cc_timer_start(&c->loop, c->resync_ms, c->resync_ms, resync_fired, c, &c->resync_timer))
                return cc_diag_set(d, CC_NOMEM, 0, "out of memory");
        CC_INFO(COMP, "started", CC_S("identity", c->identity), CC_S("server", c->kcfg.server),
                CC_S("leader_elect", c->leader_elect ? "true" : "false"));
        return CC_OK;
}

static void
teardown(struct ctl *c)
{
        size_t i;

        c->tearing = true;
        cc_fleet_free(c->fleet);
        c->fleet = NULL;
        if (c->pass) {
                pass_free(c->pass);
                c->pass = NULL;
        }
        cc_kube_lease_free(c->lease);
        links_drop(c, NULL, NULL, NULL);
        cc_map_release(&c->links);
        for (i = 0; i < INF__COUNT; i++)
                cc_kube_informer_free(c->inf[i]);
        cc_kube_events_free(c->events);
        cc_kube_client_free(c->kube);
        if (c->loop_ok)
                cc_loop_hook_remove(&c->loop, &c->stop_hook);
        if (c->sigs_on) {
                for (i = 0; i < 2; i++)
                        uv_close((uv_handle_t *)&c->sigs[i], NULL);
                c->sigs_on = false;
        }
        if (c->sighup_on) {
                uv_close((uv_handle_t *)&c->sighup, NULL);
                c->sighup_on = false;
        }
        free_zone_lists(c);
        cc_gke_negs_result_release(&c->negs);
        cc_strv_release(&c->neg_known);
        cc_gke_exec_release(&c->exec);
        cc_gke_cache_release(&c->cache);
        cc_map_release(&c->pending);
        cc_cloud_release(&c->cloud);
        if (c->http_ok)
                cc_http_release(&c->http);
        if (c->refreshing)
                refresh_end(c); /* its requests were cancelled without a callback */
        refresh_stop(c);
        if (c->loop_ok && cc_loop_release(&c->loop) != CC_OK)
                CC_WARN(COMP, "event loop closed with live handles");
        cc_wq_release(&c->wq);
        cc_inputs_release(&c->in);
        if (c->kcfg_ok)
                cc_kube_config_release(&c->kcfg);
        cc_config_release(&c->cfg);
        for (i = 0; i < c->nold_cfgs; i++)
                cc_config_release(&c->old_cfgs[i]);
        cc_free(c->old_cfgs);
}

static int
parse_args(struct ctl *c, int argc, char **argv)
{
        int i;

        for (i = 1; i < argc; i++) {
                const char *a = argv[i], *eq = strchr(a, '=');
                char opt[64];
                const char *v;

                snprintf(opt, sizeof(opt), "%.*s", eq ? (int)(eq - a) : (int)strlen(a), a);
                if (!strcmp(opt, "--leader-elect")) {
                        if (eq)
                                return cc_cli_usage_error("run", "--leader-elect takes no value");
                        c->leader_elect = true;
                        continue;
                }
                if (eq) {
                        v = eq + 1;
                } else {
                        if (i + 1 >= argc)
                                return cc_cli_usage_error("run", "%s needs a value", a);
                        v = argv[++i];
                }
                if (!strcmp(opt, "--config")) {
                        c->config_path = v;
                } else if (!strcmp(opt, "--kubeconfig")) {
                        c->kubeconfig = v;
                } else if (!strcmp(opt, "--context")) {
                        c->context = v;
                } else if (!strcmp(opt, "--lease-namespace")) {
                        c->lease_ns = v;
                } else if (!strcmp(opt, "--resync")) {
                        char *end;
                        double s = strtod(v, &end);

                        if (*end || s < 0 || s > 86400)
                                return cc_cli_usage_error("run",
                                                          "--resync must be 0..86400 seconds");
                        c->resync_ms = (uint64_t)(s * 1000.0);
                } else {
                        return cc_cli_usage_error("run", "unexpected argument '%s'", a);
                }
        }
        if (!c->config_path)
                return cc_cli_usage_error("run", "--config is required");
        return CC_EXIT_OK;
}

static int
run_run(int argc, char **argv)
{
        static struct ctl c; /* large; one per process */
        struct cc_diag d;
        int rc;

        memset(&c, 0, sizeof(c));
        c.resync_ms = 300000;
        rc = parse_args(&c, argc, argv);
        if (rc != CC_EXIT_OK)
                return rc;
        if (cc_config_load(c.config_path, &c.cfg, &d) != CC_OK) {
                fprintf(stderr, "error: %s\n", d.message);
                return CC_EXIT_FAIL;
        }
        rc = CC_EXIT_OK;
        if (setup(&c, &d) != CC_OK) {
                fprintf(stderr, "error: %s\n", d.message);
                rc = CC_EXIT_FAIL;
                if (c.loop_ok) {
                        cc_loop_stop(&c.loop);
                        cc_loop_run(&c.loop);
                }
                goto out;
        }
        cc_loop_run(&c.loop);
        CC_INFO(COMP, "stopped", CC_U("passes", c.passes));
out:
        teardown(&c);
        return rc;
}

const struct cc_cmd cc_cmd_run = {
        .name = "run",
        .summary = "run the Gateway API controller against a cluster",
        .usage =
            "usage: cloudctl run --config FILE [--kubeconfig F] [--context C] [--leader-elect]\n"
            "                    [--lease-namespace NS] [--resync SECONDS]\n"
            "\n"
            "Watch the cluster's Gateway API objects and keep the cloud in step with them:\n"
            "for every Gateway of class istio+gke (or of a GatewayClass whose controllerName is\n"
            "cloudctl.dev/gateway-controller) the global load balancer, its address,\n"
            "certificates and DNS records are created, updated and deleted as the Gateway\n"
            "changes, and the Gateway's status tells what happened: Accepted, Programmed with\n"
            "the load balancer's address in status.addresses, listener and route conditions,\n"
            "and cloudctl.dev/CertificatesReady, DNSReady and BackendsReady. Such\n"
            "GatewayClasses get Accepted; other controllers' objects are never touched.\n"
            "\n"
            "A served Gateway gets the finalizer cloudctl.dev/cloud-resources. When it is\n"
            "deleted, or its class changes to one cloudctl does not serve, its cloud resources\n"
            "are deleted and verified gone before the finalizer is removed.\n"
            "\n"
            "Per-cluster gateways: in every member cluster of the config (through its\n"
            "kubeconfig and context) cloudctl applies Istio's gateway set for each served\n"
            "Gateway -- ServiceAccount, Deployment and Service <gateway>-istio (annotated\n"
            "cloud.google.com/neg), a child Gateway of class istio and copies of the routes\n"
            "-- and links the Service's NEGs to the load balancer once its gateway is\n"
            "ready, weighted by the cluster's weight. A cluster removed from the config is\n"
            "drained (capacityScaler 0 for drainSeconds), detached, then its objects are\n"
            "deleted. Clusters with a clusters[].services file are external: their NEG\n"
            "names come from the file, nothing is deployed there.\n"
            "\n"
            "The config file is reloaded when it changes and on SIGHUP; clusters and\n"
            "drainSeconds take effect, other changes need a restart.\n"
            "\n"
            "options:\n"
            "  --config FILE            the cloudctl configuration (docs/config.md)\n"
            "  --kubeconfig F           kubeconfig of the cluster holding the Gateways\n"
            "                           (default: KUBECONFIG, in-cluster, ~/.kube/config)\n"
            "  --context C              kubeconfig context (default: current-context)\n"
            "  --leader-elect           run as one of several replicas: only the holder of\n"
            "                           the Lease 'cloudctl-<fleet>' reconciles and writes\n"
            "  --lease-namespace NS     namespace of that Lease (default: the context's)\n"
            "  --resync SECONDS         drift check period: list the cloud again and\n"
            "                           reconcile every Gateway (default 300; 0 = never)\n"
            "\n"
            "Logs are logfmt on stderr (use --log=info before 'run' to see every change).\n"
            "SIGINT or SIGTERM stops it; a leader releases its Lease first. SIGHUP reloads\n"
            "the config.\n"
            "\n"
            "exit codes: 0 stopped by a signal, 1 could not start\n",
        .run = run_run,
};
