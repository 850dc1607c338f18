/* kube.h -- mock-kube: one emulated Kubernetes API server (a "cluster").
 *
 * DESIGN
 * ------
 * A cluster is a struct kube behind one cc_mocksrv (one port).  mock-kube
 * serves N independent clusters from one process by creating N of them.
 *
 *   resources.c  the served kinds (struct kube_res), discovery, OpenAPI
 *   store.c      objects: create/update/patch/delete, resourceVersion,
 *                generation, finalizers, garbage collection, namespaces
 *   patch.c      merge patch (RFC 7386), strategic merge patch, JSON patch
 *                (RFC 6902) -- pure functions on cJSON trees
 *   apply.c      server-side apply and managedFields (field ownership)
 *   select.c     label and field selectors
 *   watch.c      the event ring and streaming watches
 *   api.c        HTTP: routing, auth, Table output, Status errors, admin
 *   gke.c        GKE's NEG controller (a worker thread per cluster)
 *   gc.c         the controllers' worker thread: garbage collector and
 *                namespace controller (passes in store.c), Deployment and
 *                EndpointSlice controllers (workload.c)
 *   workload.c   Deployment status (pods ready after a delay, admin holds)
 *                and the EndpointSlices of Services with a selector
 *
 * Locking: every handler runs with the server lock held (mocksrv.h), so all
 * state below is touched only under cc_mocksrv_mutex(k->srv).  Watch streams
 * and the GKE and GC workers take that lock themselves and wait on k->cond,
 * which is broadcast after every change.  Tests that drive the store directly
 * (no server) leave k->srv NULL and need no lock -- unless they start the GC
 * worker, which then runs under a mutex of the test's (kube_gc_start).
 *
 * Results: the operations return an HTTP status and hand back in *out either
 * the object (2xx) or a `kind: Status` error (>= 400), both owned by the
 * caller.
 */
#ifndef CC_MOCK_KUBE_H
#define CC_MOCK_KUBE_H

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mocks/common/mocksrv.h"

/* --- served kinds (resources.c) ------------------------------------------ */

enum {
        KR_STATUS = 1u << 0,         /* has the status subresource */
        KR_GENERATION = 1u << 1,     /* metadata.generation is maintained */
        KR_GEN_ANNOT = 1u << 2,      /* annotation changes bump generation (Deployment) */
        KR_CRD = 1u << 3,            /* custom resource: no SMP, CRD status strategy */
        KR_NO_UNCOND = 1u << 4,      /* PUT without resourceVersion is rejected (422) */
        KR_RETURN_DELETED = 1u << 5, /* DELETE answers with the object, not a Status */
        KR_SCALE = 1u << 6,          /* advertises /scale in discovery */
        KR_FINALIZE = 1u << 7,       /* advertises /finalize (Namespace) */
};

struct kube_res {
        const char *group; /* "" for core */
        const char *version;
        const char *plural;
        const char *singular;
        const char *kind;
        bool namespaced;
        const char *short_names[3]; /* NULL-terminated */
        const char *categories[2];
        unsigned flags;
        /* another served version of a kind stored as `storage` (ReferenceGrant
         * v1 over v1beta1): the API layer maps requests and responses */
        const struct kube_res *storage;
};

/* The Gateway API kinds' CustomResourceDefinitions (crds.c), served
 * read-only under /apis/apiextensions.k8s.io/v1/customresourcedefinitions
 * with the annotation gateway.networking.k8s.io/bundle-version of the
 * version the conformance manifests are from. */
#define KUBE_GATEWAY_API_GROUP  "gateway.networking.k8s.io"
#define KUBE_GATEWAY_API_BUNDLE "v1.6.1"
/* kube_crd_serve -- answer a request under that path (GET item/list; other
 * methods 405); false when the path is not theirs. */
struct cc_mock_req;
struct cc_mock_resp;
bool kube_crd_serve(const struct cc_mock_req *req, struct cc_mock_resp *resp,
                    const char *const *segs, size_t n);

/* NULL-terminated table of the served kinds */
extern const struct kube_res *const kube_resources[];

const struct kube_res *kube_res_find(const char *group, const char *version, const char *plural);
const struct kube_res *kube_res_by_kind(const char *api_version, const char *kind);
/* "gateways.gateway.networking.k8s.io" or "services" */
void kube_res_qualified_plural(const struct kube_res *r, char *out, size_t n);
/* "Gateway.gateway.networking.k8s.io" or "Service" */
void kube_res_qualified_kind(const struct kube_res *r, char *out, size_t n);
/* "gateway.networking.k8s.io/v1" or "v1" */
void kube_res_api_version(const struct kube_res *r, char *out, size_t n);

/* discovery and OpenAPI documents (caller deletes); port for the legacy
 * serverAddressByClientCIDRs */
cJSON *kube_disc_aggregated(bool core);
cJSON *kube_disc_api_versions(int port);
cJSON *kube_disc_group_list(void);
cJSON *kube_disc_resource_list(const char *group, const char *version); /* NULL: unknown GV */
cJSON *kube_openapi_index(void);
cJSON *kube_openapi_gv(const char *gv_path); /* "api/v1", "apis/g/v"; NULL: unknown */

/* --- patches (patch.c) --------------------------------------------------- */

/* kube_merge_patch -- RFC 7386 applied in place to *target (which may be
 * replaced, e.g. when the patch is not an object).  Never fails except on
 * allocation failure (returns false). */
bool kube_merge_patch(cJSON **target, const cJSON *patch);
/* kube_merge_diff -- the merge patch that turns a into b (caller deletes;
 * an empty object when equal). */
cJSON *kube_merge_diff(const cJSON *a, const cJSON *b);
/* kube_smp -- strategic merge patch for a built-in kind, in place.  Lists
 * whose field has a merge key (containers by name, ports by containerPort
 * or port, env/volumes by name, conditions by type, ...) merge element-wise;
 * other lists are replaced; finalizers merge as a set.  Directives: $patch
 * (delete|replace|merge), $setElementOrder/, $retainKeys,
 * $deleteFromPrimitiveList/.  Returns 0 or an HTTP status (400) with a
 * message in err. */
int kube_smp(cJSON **target, const cJSON *patch, const char *kind, char *err, size_t errlen);
/* kube_json_patch -- RFC 6902 (add, remove, replace, move, copy, test) in
 * place.  Returns 0, 400 for a malformed patch, or 422 for an operation
 * that cannot apply (failed test, missing path); message in err. */
int kube_json_patch(cJSON **doc, const cJSON *ops, char *err, size_t errlen);

/* kube_json_insert -- insert item (consumed) at position idx of an array or
 * object (keys kept) */
void kube_json_insert(cJSON *container, int idx, cJSON *item);

/* --- selectors (select.c) ------------------------------------------------ */

enum kube_sel_op { KS_EQ, KS_NEQ, KS_IN, KS_NOTIN, KS_EXISTS, KS_NOTEXISTS };

struct kube_req {
        char *key;
        enum kube_sel_op op;
        char **values;
        size_t nvalues;
};

struct kube_sel {
        struct kube_req *reqs;
        size_t n, cap;
};

/* kube_lsel_parse -- a label selector ("a=b,c in (d,e),!f").  Returns 0 or
 * 400 with a message in err; on error *out is left empty. */
int kube_lsel_parse(const char *s, struct kube_sel *out, char *err, size_t errlen);
/* kube_fsel_parse -- a field selector for kind r (=, ==, != only; the
 * fields each kind supports); 400 for an unsupported field. */
int kube_fsel_parse(const char *s, const struct kube_res *r, struct kube_sel *out, char *err,
                    size_t errlen);
bool kube_lsel_match(const struct kube_sel *s, const cJSON *obj);
bool kube_fsel_match(const struct kube_sel *s, const cJSON *obj);
void kube_sel_release(struct kube_sel *s);

/* --- the cluster --------------------------------------------------------- */

struct kube_obj {
        const struct kube_res *res;
        char *ns; /* "" for cluster-scoped */
        char *name;
        cJSON *obj;              /* owned */
        uint64_t deleting_since; /* CLOCK_MONOTONIC ms when deletion began; 0 = not */
};

enum kube_ev_type { KE_ADDED, KE_MODIFIED, KE_DELETED };

struct kube_event {
        unsigned long rv;
        enum kube_ev_type type;
        const struct kube_res *res;
        char *ns;
        cJSON *obj;  /* state after the event (for DELETED: last state, new RV) */
        cJSON *prev; /* state before (NULL for ADDED) */
};

struct kube_watch; /* watch.c */

struct kube_conflict_rule {
        char method[16];
        char path[512];
        unsigned remaining;
};

struct kube_drop_rule {
        char path[512];
        unsigned remaining; /* watches still to drop as they open */
};

struct kube_gke {
        char *gcp_url; /* mock-gcp base URL, NULL = off */
        char *project;
        char **zones;
        size_t nzones;
        bool dirty;
        bool stop;
        bool running;
        pthread_t thread;
        unsigned long syncs; /* completed sync passes (for tests) */
        /* NEGs created and endpoints attached so far: "zone/neg" -> "ip:port,..." */
        cJSON *state;
};

/* the garbage collector and namespace controller (gc.c, passes in store.c) */
struct kube_gc {
        pthread_mutex_t *lock; /* the lock guarding the cluster, NULL = not started */
        bool dirty;            /* something changed since the last pass */
        bool stop;
        bool running;
        pthread_t thread;
        unsigned long passes; /* completed passes (for tests) */
};

struct kube_config {
        char token[256];       /* bearer token; "" = no auth */
        bool client_certs;     /* x509 client certificates authenticate (--client-ca) */
        int minor;             /* /version minor (32) */
        size_t window;         /* events retained for watch-from-RV (1000) */
        int bookmark_interval; /* seconds between watch bookmarks (60) */
        bool crd_defaults;     /* apply the Gateway API CRD defaults (true) */
        bool legacy_discovery; /* never serve aggregated discovery */
        bool no_table;         /* never serve Table */
        long ns_grace_ms;      /* the namespace controller waits this long after a
                                  namespace's deletion began (0 = at once) */
        long pod_ready_ms;     /* a Deployment's pods are ready this long after its
                                  generation last changed (0 = at once) */
        int index;             /* this cluster's index in the process (0-based): pod
                                  IPs 10.<index>.x.y, nodes gke-<index>-node-N */
};

/* the Deployment controller's memory (workload.c): when each Deployment's
 * generation last changed and the address block of its pods */
struct kube_rollout {
        char uid[64];
        double generation;
        uint64_t since; /* CLOCK_MONOTONIC ms */
        unsigned block; /* pod IPs 10.<cluster>.<block>.<replica + 1> */
        bool seen;      /* still there in this pass */
        bool served;    /* some generation's pods were ready: a rolling update
                         * keeps them serving until the new ones are */
};

/* a Deployment whose pods are held unready (PUT /_mock/pods) */
struct kube_hold {
        char ns[256];
        char name[256];
};

struct kube_workload {
        struct kube_rollout *rollouts;
        size_t nrollouts, rollouts_cap;
        struct kube_hold *holds;
        size_t nholds, holds_cap;
};

struct kube {
        struct kube_config cfg;
        struct cc_mocksrv *srv; /* NULL in unit tests */
        pthread_cond_t cond;
        unsigned long rv;        /* the global resourceVersion counter */
        unsigned long compacted; /* watches from an RV below this get 410 */
        struct kube_obj *objs;
        size_t nobjs, objs_cap;
        struct kube_event *events;
        size_t nevents, events_cap;
        struct kube_watch *watches; /* open watches (list) */
        struct kube_conflict_rule conflicts[16];
        size_t nconflicts;
        struct kube_drop_rule drops[16];
        size_t ndrops;
        struct kube_gke gke;
        struct kube_gc gc;
        struct kube_workload wl;
        unsigned uid_seq;
        const char *fake_now; /* tests: fixed creationTimestamp; NULL = clock */
};

/* kube_init -- an empty cluster with the default namespaces.  cfg copied. */
bool kube_init(struct kube *k, const struct kube_config *cfg);
void kube_release(struct kube *k);
/* kube_reset -- forget every object and event, reseed the namespaces. */
void kube_reset(struct kube *k);

/* kube_status -- a Status error object.  res and name fill details (kind =
 * plural) when given. */
cJSON *kube_status(int code, const char *reason, const char *message, const struct kube_res *res,
                   const char *name);
/* kube_invalid -- 422 Invalid for one field. */
cJSON *kube_invalid(const struct kube_res *res, const char *name, const char *field,
                    const char *value_json, const char *detail);

struct kube_obj *kube_find(struct kube *k, const struct kube_res *r, const char *ns,
                           const char *name);
unsigned long kube_current_rv(const struct kube *k);

/* The verbs.  ns is "" for cluster-scoped kinds.  body is not consumed. */
int kube_get(struct kube *k, const struct kube_res *r, const char *ns, const char *name,
             cJSON **out);

struct kube_list_opts {
        const char *label_selector;
        const char *field_selector;
        const char *limit;
        const char *cont;
        const char *resource_version;
        const char *rv_match;
};
/* ns NULL = all namespaces */
int kube_list(struct kube *k, const struct kube_res *r, const char *ns,
              const struct kube_list_opts *o, cJSON **out);

struct kube_write_opts {
        const char *manager; /* fieldManager ("" = none) */
        bool dry_run;
        bool force;      /* apply: take over conflicting fields */
        bool apply;      /* set by apply.c: managedFields already computed */
        const char *sub; /* "" or "status" */
};
int kube_create(struct kube *k, const struct kube_res *r, const char *ns, const cJSON *body,
                const struct kube_write_opts *o, cJSON **out);
int kube_update(struct kube *k, const struct kube_res *r, const char *ns, const char *name,
                const cJSON *body, const struct kube_write_opts *o, cJSON **out);
/* ctype: the request Content-Type; body: raw text */
int kube_patch(struct kube *k, const struct kube_res *r, const char *ns, const char *name,
               const char *ctype, const char *body, size_t len, const struct kube_write_opts *o,
               cJSON **out);
/* opts: the DeleteOptions body (may be NULL); policy from the query or NULL */
int kube_delete(struct kube *k, const struct kube_res *r, const char *ns, const char *name,
                const cJSON *opts, const char *policy, bool dry_run, cJSON **out);

/* kube_commit_update -- the shared write path (store.c): validate and store
 * `proposed` as the new state of o (consumed).  Used by update, patch and
 * apply.  Returns the HTTP status; *out as above. */
int kube_commit_update(struct kube *k, struct kube_obj *o, cJSON *proposed, const char *sub,
                       bool require_rv, const struct kube_write_opts *wo, cJSON **out);

/* apply.c: server-side apply of `applied` (consumed) */
int kube_apply(struct kube *k, const struct kube_res *r, const char *ns, const char *name,
               cJSON *applied, const struct kube_write_opts *o, cJSON **out);
/* record an Update/Create by manager in managedFields of next (old may be NULL) */
void kube_fields_record_update(cJSON *next, const cJSON *old, const char *manager,
                               const char *api_version, const char *sub, const char *now);
/* the fieldsV1 set of leaf paths in obj (caller deletes) */
cJSON *kube_fields_of(const cJSON *obj);

/* watch.c */
/* kube_record -- append an event (copies obj and prev), trim the window, wake
 * watchers and the GKE worker. */
void kube_record(struct kube *k, enum kube_ev_type t, const struct kube_res *r, const char *ns,
                 const cJSON *obj, const cJSON *prev);
/* kube_compact -- forget every retained event (watches from older RVs 410) */
void kube_compact(struct kube *k);
/* kube_watch_start -- validate and set up a watch; on success fill resp with
 * a stream and return 200, else return the status with *err set. */
struct kube_watch_opts {
        const char *label_selector;
        const char *field_selector;
        const char *resource_version;
        const char *timeout_seconds;
        bool bookmarks;
        bool send_initial;
        bool table;
        const char *include_object;
        const char *path; /* request path, for drop rules */
        int fd;           /* connection socket, for peer-close detection; -1 */
};
int kube_watch_start(struct kube *k, const struct kube_res *r, const char *ns,
                     const struct kube_watch_opts *o, struct cc_mock_resp *resp, cJSON **err);
/* kube_watch_drop -- close up to n open watches whose path matches pattern
 * (fnmatch); returns how many were closed. */
size_t kube_watch_drop(struct kube *k, const char *pattern, size_t n);
size_t kube_watch_count(const struct kube *k);
/* kube_watch_next -- the event-draining core of a stream, for tests:
 * append the pending lines of w to out; false once the stream must end. */
struct kube_watch *kube_watch_open(struct kube *k, const struct kube_res *r, const char *ns,
                                   const struct kube_watch_opts *o, cJSON **err, int *code);
bool kube_watch_poll(struct kube_watch *w, struct cc_buf *out);
void kube_watch_close(struct kube_watch *w);

/* kube_watch_serve_as -- emit objects with served's apiVersion (an alias) */
void kube_watch_serve_as(struct kube_watch *w, const struct kube_res *served);

/* api.c */
/* replace every "apiVersion": from (recursively) with to */
void kube_rewrite_api_version(cJSON *o, const char *from, const char *to);
cJSON *kube_table(struct kube *k, const struct kube_res *r, cJSON *const *objs, size_t n,
                  const char *rv, const char *cont, const char *include_object);
extern const struct cc_mock_app kube_app_template;
void kube_handle(void *ud, struct cc_mocksrv *srv, const struct cc_mock_req *req,
                 struct cc_mock_resp *resp);

/* gke.c: NEG controller (needs k->srv) */
bool kube_gke_start(struct kube *k);
/* kube_gke_stop -- stop the NEG worker (if running) and free g's settings,
 * zones included */
void kube_gke_stop(struct kube *k);
/* kube_gke_set_zones -- set the zones of cluster `cluster` (of nclusters)
 * from a --gke-zones value: one comma-separated list for every cluster
 * ("us-east1-b,us-east1-c"), or one list per cluster separated by ';'
 * ("us-east1-b,us-east1-c;europe-west1-b").  Returns false with a message in
 * err when the number of lists is neither 1 nor nclusters, a list is empty,
 * or memory runs out; g's zones are then left as they were. */
bool kube_gke_set_zones(struct kube_gke *g, const char *arg, size_t cluster, size_t nclusters,
                        char *err, size_t errlen);

/* Deletion is asynchronous, as on a real cluster.  A DELETE removes an
 * object at once only when nothing holds it (no finalizers, Background
 * propagation, not a Namespace); otherwise it sets deletionTimestamp (a
 * Namespace also goes to phase Terminating; Foreground adds the
 * `foregroundDeletion` finalizer, Orphan the `orphan` one).  The rest is
 * done by the controllers, one pass at a time:
 *   - garbage collector: an object whose every ownerReference names an
 *     absent owner (or one being deleted in the foreground) is deleted;
 *     an owner with `foregroundDeletion` has its dependents deleted and
 *     loses the finalizer once no dependent with blockOwnerDeletion is
 *     left; an owner with `orphan` has its uid stripped from its dependents'
 *     ownerReferences, then loses the finalizer;
 *   - namespace controller: a Terminating namespace, cfg.ns_grace_ms after
 *     its deletion began (the real controller waits 5 s, its
 *     namespaceDeletionGracePeriod), has its contents
 *     deleted (honouring their finalizers) and, once empty, the
 *     `kubernetes` entry removed from spec.finalizers; it goes when no
 *     finalizer is left.
 * Every change is an ordinary write with its watch event. */

/* kube_gc_pass (store.c) -- one pass of both controllers; returns how many
 * changes it made (0 = settled).  Lock held. */
size_t kube_gc_pass(struct kube *k);
/* kube_gc_start (gc.c) -- run the controllers in a worker thread: a pass
 * right after every change (kube_record sets k->gc.dirty and broadcasts
 * k->cond) and every 50 ms.  lock is the mutex guarding k (for a server,
 * cc_mocksrv_mutex(k->srv)); the caller must not hold it.  Returns false
 * when the thread cannot be created. */
bool kube_gc_start(struct kube *k, pthread_mutex_t *lock);
/* kube_gc_stop -- stop and join the worker (call before the server and
 * the cluster are released); the lock must not be held.  Safe when not
 * started. */
void kube_gc_stop(struct kube *k);

/* The workload controllers (workload.c), run by the same worker after the
 * garbage collector, lock held:
 *   - Deployment: status for spec.replicas (absent = 1) pods, "starting"
 *     (unavailableReplicas, Available False) until cfg.pod_ready_ms after
 *     the generation last changed (or the Deployment was first seen), then
 *     ready (readyReplicas, availableReplicas, Available True); a hold
 *     (kube_pod_hold) keeps it unready.  Deployments being deleted are left
 *     alone;
 *   - EndpointSlice: for every Service with a non-empty spec.selector, one
 *     slice `<svc>-<5 letters>` (labels kubernetes.io/service-name and
 *     endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io,
 *     owned by the Service) listing a ready endpoint per ready replica of
 *     each Deployment in the namespace whose pod template labels match;
 *     deleted when the Service loses its selector.  Slices without the
 *     managed-by label are never touched.
 * Writes are ordinary writes (watch events, new resourceVersion); a pass
 * that finds everything as it should be writes nothing.  Each returns the
 * number of writes it made. */
size_t kube_deploy_pass(struct kube *k);
size_t kube_slice_pass(struct kube *k);
/* kube_pod_hold -- hold the pods of Deployment ns/name unready (ready =
 * false) or release them (true); the Deployment need not exist yet.  false
 * on allocation failure. */
bool kube_pod_hold(struct kube *k, const char *ns, const char *name, bool ready);
/* kube_pod_holds -- [{"namespace":..,"deployment":..}] (caller deletes) */
cJSON *kube_pod_holds(const struct kube *k);
/* kube_workload_clear -- forget holds and rollouts (reset, release) */
void kube_workload_clear(struct kube *k);

/* util (store.c) */
void kube_now(const struct kube *k, char *out, size_t n);             /* RFC 3339, seconds */
const char *kube_str(const cJSON *obj, const char *a, const char *b); /* obj.a.b string or NULL */
bool kube_is_true(const char *s);                                     /* Go ParseBool true */

#endif
