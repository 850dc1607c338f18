/* fleet.h -- the per-cluster Istio gateways of composite Gateways.
 *
 * DESIGN
 * ------
 * For every composite Gateway and every member cluster of the fleet,
 * cloudctl keeps Istio's gateway set in the Gateway's namespace of that
 * cluster (DESIGN.md §4, gateway-api-status.md §9):
 *
 *   ServiceAccount, Deployment, Service   named <gw>-istio (Istio's
 *       <gateway>-<class> convention; hash-shortened past 63 characters):
 *       the Deployment follows Istio's gateway injection template
 *       (container istio-proxy, ports 15020/15021/15090, readiness
 *       /healthz/ready on 15021, no replicas, ISTIO_META_CLUSTER_ID = the
 *       cluster's name); the Service is ClusterIP with status-port 15021
 *       plus the serving port, annotated cloud.google.com/neg with the
 *       deterministic NEG name (cc_fleet_neg_name) on the serving port;
 *   Gateway <gw>-istio of class "istio" in manual-address mode
 *       (spec.addresses = the Service's cluster-local hostname) with one
 *       HTTP listener on the serving port per distinct hostname of the
 *       parent's listeners (the load balancer terminates TLS);
 *   HTTPRoute copies of the routes attached to the parent, named
 *       <gw>-istio-<route> (hash-shortened past 253), parentRefs rewritten
 *       to the child Gateway (sectionName mapped to the child's listener).
 *
 * Every object carries the label app.kubernetes.io/managed-by=cloudctl,
 * the label cloudctl.dev/gateway-hash=<hash10 of fleet/ns/name> and the
 * annotation cloudctl.dev/gateway=<ns>/<name>; the parent's
 * spec.infrastructure labels and annotations go on the ServiceAccount,
 * the Deployment (and its pod template) and the Service.  Objects are
 * written with server-side apply (field manager "cloudctl", force) only
 * when the cached object differs from the desired one in a field cloudctl
 * sets, so a converged pass makes no call.  An object that exists without
 * cloudctl's label is never adopted: the cluster is reported BLOCKED with
 * the object named.  A missing namespace is created (and never deleted).
 *
 * Each member cluster has its own kube client and label-selected
 * informers (managed-by=cloudctl) on the five kinds; any change of an
 * owned object (a deleted Deployment, a Deployment turning Available, the
 * NEG controller writing cloud.google.com/neg-status) calls the changed
 * callback with the owning Gateway, so the controller queues it.
 *
 * Membership: cc_fleet_set_clusters() gives the clusters of the config;
 * a cluster no longer listed stays connected as LEAVING (its objects kept,
 * still reported) until cc_fleet_forget(), so the controller can drain it
 * from the load balancer before its objects are deleted.
 *
 * Threading: everything runs on the loop thread; callbacks fire there.
 */
#ifndef CC_FLEET_H
#define CC_FLEET_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "cloudctl/config.h"
#include "core/err.h"
#include "core/http.h"
#include "core/loop.h"
#include "kube/config.h"

#define CC_FLEET_MANAGED_LABEL "app.kubernetes.io/managed-by"
#define CC_FLEET_MANAGED_VALUE "cloudctl"
#define CC_FLEET_HASH_LABEL    "cloudctl.dev/gateway-hash"
#define CC_FLEET_OWNER_ANNOT   "cloudctl.dev/gateway"
#define CC_FLEET_FIELD_MANAGER "cloudctl"
#define CC_FLEET_CHILD_CLASS   "istio"
#define CC_FLEET_STATUS_PORT   15021

struct cc_fleet;

/* an owned object changed in a member cluster: queue its owner */
typedef void (*cc_fleet_changed_fn)(const char *ns, const char *name, void *ud);

/* cc_fleet_new -- an empty fleet on loop/http (borrowed; must outlive it).
 * env is used to load each cluster's kubeconfig/context. */
cc_err cc_fleet_new(struct cc_loop *loop, struct cc_http *http, const struct cc_kube_env *env,
                    cc_fleet_changed_fn changed, void *ud, struct cc_fleet **out,
                    struct cc_diag *d);
/* cc_fleet_free -- cancel everything (pending callbacks fire with
 * CC_CANCELED first) and free.  NULL-safe. */
void cc_fleet_free(struct cc_fleet *f);

/* cc_fleet_set_clusters -- the config's clusters (copied).  New names are
 * connected (kubeconfig + context loaded, informers started); known names
 * keep their connection (weight and region updated; a changed kubeconfig
 * or context reconnects); names no longer listed become LEAVING.  A
 * cluster whose kubeconfig cannot be loaded is kept and reported
 * UNREACHABLE with the reason.  CC_NOMEM only. */
cc_err cc_fleet_set_clusters(struct cc_fleet *f, const struct cc_config_cluster *cl, size_t n,
                             struct cc_diag *d);

/* cc_fleet_forget -- drop a LEAVING cluster (disconnect, free). */
void cc_fleet_forget(struct cc_fleet *f, const char *cluster);

struct cc_fleet_member {
        const char *name;
        const char *region;
        int weight;
        bool leaving;
        bool synced; /* every informer of the cluster has listed once */
};

/* cc_fleet_count / cc_fleet_member -- members then leaving clusters, in
 * config order; the pointer is valid until the next set/forget. */
size_t cc_fleet_count(const struct cc_fleet *f);
const struct cc_fleet_member *cc_fleet_member(const struct cc_fleet *f, size_t i);

/* cc_fleet_synced -- every cluster's informers have listed once, or failed
 * to (an unreachable cluster does not hold the controller back). */
bool cc_fleet_synced(const struct cc_fleet *f);

/* cc_fleet_neg_name -- the NEG name of a Gateway's Service in a cluster:
 * cc_gke_name("neg", fleet, ns, name, cluster).  out >= 64 bytes. */
cc_err cc_fleet_neg_name(char *out, size_t outsz, const char *fleet, const char *ns,
                         const char *name, const char *cluster);

/* cc_fleet_object_name -- "<gw>-istio", shortened with a hash past 63. */
cc_err cc_fleet_object_name(char *out, size_t outsz, const char *gw);

struct cc_fleet_input {
        const char *fleet;
        const cJSON *gateway;       /* the parent Gateway as cached (not modified) */
        const cJSON *const *routes; /* HTTPRoutes the parent accepted */
        size_t nroutes;
        int serving_port; /* 0 = 80 */
};

/* cc_fleet_render -- pure: the desired objects for one cluster, as a cJSON
 * array (caller frees) in apply order: Namespace-independent objects
 * ServiceAccount, Service, Deployment, Gateway, then HTTPRoutes.  Errors:
 * CC_INVAL (a Gateway without metadata.name/namespace), CC_NOMEM. */
cc_err cc_fleet_render(const struct cc_fleet_input *in, const char *cluster, cJSON **out,
                       struct cc_diag *d);

enum cc_fleet_state {
        CC_FLEET_READY,       /* Deployment Available and the NEG status written */
        CC_FLEET_PROGRESSING, /* applied; waiting for readiness (message says what) */
        CC_FLEET_UNREACHABLE, /* the cluster's API failed; nothing of it was changed */
        CC_FLEET_BLOCKED,     /* an object exists without cloudctl's label */
        CC_FLEET_GONE,        /* remove: nothing of the Gateway left in the cluster */
};

#define CC_FLEET_MAX_ZONES 16

struct cc_fleet_cluster_result {
        char cluster[64];
        bool leaving;
        enum cc_fleet_state state;
        char message[256]; /* "Deployment 'ns/web-istio' has 0 of 1 replicas available" */
        char neg[64];      /* the NEG name (also when not ready) */
        char zones[CC_FLEET_MAX_ZONES][64]; /* from cloud.google.com/neg-status */
        size_t nzones;
        unsigned writes; /* mutating calls this operation made in the cluster */
};

struct cc_fleet_result {
        cc_err rc; /* CC_OK unless the operation could not run at all */
        struct cc_diag d;
        struct cc_fleet_cluster_result *clusters; /* one per cc_fleet_count() entry */
        size_t nclusters;
};

typedef void (*cc_fleet_done_fn)(struct cc_fleet_result *res, void *ud);

/* cc_fleet_sync -- bring every member (not LEAVING) cluster to the
 * rendered objects of in, delete the Gateway's owned objects that are no
 * longer desired there (a route copy whose route detached), and report
 * every cluster (LEAVING ones are reported from the cache, not written).
 * done fires once on the loop (never from inside this call); the result
 * is valid only during the callback.  CC_AGAIN, or an error (no
 * callback). */
cc_err cc_fleet_sync(struct cc_fleet *f, const struct cc_fleet_input *in, cc_fleet_done_fn done,
                     void *ud, struct cc_diag *d);

/* cc_fleet_remove -- delete every object the Gateway ns/name owns in
 * cluster (NULL: in every cluster, members and leaving).  A cluster is
 * GONE once its cache holds nothing of the Gateway and no delete is in
 * flight; otherwise PROGRESSING (call again) or UNREACHABLE.  Clusters
 * not asked about are reported from the cache.  Same contract as sync. */
cc_err cc_fleet_remove(struct cc_fleet *f, const char *fleet, const char *ns, const char *name,
                       const char *cluster, cc_fleet_done_fn done, void *ud, struct cc_diag *d);

/* cc_fleet_cancel_all -- cancel operations in flight (their callbacks fire
 * with rc CC_CANCELED). */
void cc_fleet_cancel_all(struct cc_fleet *f);

#endif
