/* fleet.c -- member cluster connections and the sync/remove operations of the per-cluster gateways.
 *
 * DESIGN
 * ------
 * A cluster holds its kube client, five label-selected informers and two
 * small maps keyed "Kind/ns/name": written (the objects our own writes
 * returned, so a second pass before the watch event compares against the
 * newest state) and deleted (objects our deletes removed, ignored in the
 * cache until the watch reports the delete).  The informer events clear
 * both.
 *
 * An operation (sync or remove) has one worker per cluster.  A worker
 * writes its cluster one request at a time in apply order, so the first
 * failure stops it with nothing else written; workers of different
 * clusters run side by side.  The result is delivered from a zero timer,
 * never from inside the call that started the operation.
 *
 * Lifetimes: an operation holds a reference on each cluster its workers
 * use; a forgotten or reconnected cluster cancels its requests (the
 * workers see CC_CANCELED and stop) and its memory goes with the last
 * reference.  An operation is freed once it was delivered and no request
 * of it is in flight.
 */
#include "cloudctl/fleet.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloudctl/fleet_diff.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/map.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "core/banned.h"

#define COMP     "fleet"
#define SELECTOR CC_FLEET_MANAGED_LABEL "=" CC_FLEET_MANAGED_VALUE

enum { K_SA, K_SVC, K_DEP, K_GW, K_RT, K__COUNT };
static const char *const kinds[K__COUNT] = { "ServiceAccount", "Service", "Deployment", "Gateway",
                                             "HTTPRoute" };

struct cluster;

struct icx {
        struct cluster *c;
        int kind;
};

struct cluster {
        struct cc_fleet *f;
        struct cc_fleet_member m;
        char *name, *region, *kubeconfig, *context;
        int weight;
        unsigned refs;
        bool dead;
        char err[256]; /* why the cluster could not be connected */
        bool cfg_ok;
        struct cc_kube_config cfg;
        struct cc_kube_client *k;
        struct cc_kube_informer *inf[K__COUNT];
        struct icx icx[K__COUNT];
        struct cc_map written; /* key -> cJSON* (owned) */
        struct cc_map deleted; /* key -> (void *)1 */
};

struct op;

struct worker {
        struct op *op;
        struct cluster *c;
        struct cc_fleet_cluster_result *r;
        bool write;     /* sync: apply; remove: delete */
        cJSON *desired; /* sync: the rendered array */
        cJSON *dels;    /* keys ("Kind/ns/name") left to delete */
        cJSON *cur;     /* the object being written (borrowed from desired) */
        struct cc_kube_op *kop;
        bool ns_tried, finished;
        int idx;
        unsigned deletes_unconfirmed;
};

struct op {
        struct cc_fleet *f;
        struct op *next;
        bool remove;
        cc_fleet_done_fn done;
        void *ud;
        char fleet[128], ns[256], name[256], owner[520], obj[64];
        int port;
        struct cc_fleet_result res;
        struct worker *w;
        size_t nw, running;
        unsigned inflight; /* kube requests */
        struct cc_timer *timer;
        bool delivered;
};

struct cc_fleet {
        struct cc_loop *loop;
        struct cc_http *http;
        const struct cc_kube_env *env;
        cc_fleet_changed_fn changed;
        void *ud;
        struct cluster **cl; /* members (config order), then leaving */
        size_t n, cap;
        struct op *ops;
};

/* --- small helpers ------------------------------------------------------------ */

static const char *
jstr2(const cJSON *o, const char *a, const char *b)
{
        const cJSON *v = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, a) : NULL;

        if (b)
                v = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, b) : NULL;
        return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *
annot(const cJSON *o, const char *key)
{
        const cJSON *m = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, "metadata") : NULL;

        return jstr2(m, "annotations", key);
}

static const char *
label(const cJSON *o, const char *key)
{
        const cJSON *m = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, "metadata") : NULL;

        return jstr2(m, "labels", key);
}

static void
obj_key(char *out, size_t outsz, const char *kind, const cJSON *o)
{
        const char *ns = jstr2(o, "metadata", "namespace"), *name = jstr2(o, "metadata", "name");

        snprintf(out, outsz, "%s/%s/%s", kind, ns ? ns : "", name ? name : "");
}

static int
kind_index(const char *kind)
{
        int i;

        for (i = 0; kind && i < K__COUNT; i++)
                if (!strcmp(kinds[i], kind))
                        return i;
        return -1;
}

/* resourceVersions are opaque; compare them as numbers when both are */
static bool
rv_newer_or_same(const char *a, const char *b)
{
        char *ea = NULL, *eb = NULL;
        unsigned long long x, y;

        if (!a || !b)
                return true;
        x = strtoull(a, &ea, 10);
        y = strtoull(b, &eb, 10);
        if (*ea || *eb || ea == a || eb == b)
                return true;
        return x >= y;
}

/* setf -- snprintf into a fixed message field; long subjects are cut */
static void setf(char *dst, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
setf(char *dst, size_t n, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(dst, n, fmt, ap);
        va_end(ap);
}

/* --- clusters ------------------------------------------------------------------ */

static void
written_drop(struct cluster *c, const char *key)
{
        cJSON_Delete(cc_map_del(&c->written, key));
}

static void
written_put(struct cluster *c, const char *key, cJSON *obj)
{
        cJSON *old = cc_map_get(&c->written, key);

        if (!obj)
                return;
        if (cc_map_put(&c->written, key, obj)) {
                cJSON_Delete(obj);
                return;
        }
        if (old != obj)
                cJSON_Delete(old);
}

static void
maps_release(struct cluster *c)
{
        size_t i = 0;
        const char *k;
        void *v;

        while (cc_map_next(&c->written, &i, &k, &v))
                cJSON_Delete(v);
        cc_map_release(&c->written);
        cc_map_release(&c->deleted);
}

static void
notify(struct cluster *c, const cJSON *obj)
{
        const char *owner = annot(obj, CC_FLEET_OWNER_ANNOT), *slash;
        char ns[256];

        if (!owner || !c->f->changed || !(slash = strchr(owner, '/')) || slash == owner ||
            !slash[1] || (size_t)(slash - owner) >= sizeof(ns))
                return;
        memcpy(ns, owner, (size_t)(slash - owner));
        ns[slash - owner] = '\0';
        c->f->changed(ns, slash + 1, c->f->ud);
}

/* equal but for metadata.resourceVersion and metadata.managedFields */
static bool
relevant_change(const cJSON *a, const cJSON *b)
{
        const cJSON *it, *ma = cJSON_GetObjectItemCaseSensitive(a, "metadata"),
                         *mb = cJSON_GetObjectItemCaseSensitive(b, "metadata");

        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
                return true;
        cJSON_ArrayForEach(it, a)
        {
                if (!strcmp(it->string, "metadata"))
                        continue;
                if (!cJSON_Compare(it, cJSON_GetObjectItemCaseSensitive(b, it->string), true))
                        return true;
        }
        if (!cJSON_IsObject(ma) || !cJSON_IsObject(mb))
                return !cJSON_Compare(ma, mb, true);
        cJSON_ArrayForEach(it, ma)
        {
                if (!strcmp(it->string, "resourceVersion") || !strcmp(it->string, "managedFields"))
                        continue;
                if (!cJSON_Compare(it, cJSON_GetObjectItemCaseSensitive(mb, it->string), true))
                        return true;
        }
        cJSON_ArrayForEach(it, mb)
        {
                if (!cJSON_GetObjectItemCaseSensitive(ma, it->string))
                        return true;
        }
        return false;
}

static void
h_add(const cJSON *obj, void *ud)
{
        struct icx *x = ud;
        char key[600];
        const cJSON *w;

        obj_key(key, sizeof(key), kinds[x->kind], obj);
        cc_map_del(&x->c->deleted, key);
        w = cc_map_get(&x->c->written, key);
        if (w && rv_newer_or_same(jstr2(obj, "metadata", "resourceVersion"),
                                  jstr2(w, "metadata", "resourceVersion")))
                written_drop(x->c, key);
        notify(x->c, obj);
}

static void
h_update(const cJSON *old, const cJSON *obj, void *ud)
{
        struct icx *x = ud;
        char key[600];
        const cJSON *w;
        const char *oa = annot(old, CC_FLEET_OWNER_ANNOT), *ob = annot(obj, CC_FLEET_OWNER_ANNOT);

        obj_key(key, sizeof(key), kinds[x->kind], obj);
        w = cc_map_get(&x->c->written, key);
        if (w && rv_newer_or_same(jstr2(obj, "metadata", "resourceVersion"),
                                  jstr2(w, "metadata", "resourceVersion")))
                written_drop(x->c, key);
        if (!relevant_change(old, obj))
                return;
        if (oa && (!ob || strcmp(oa, ob)))
                notify(x->c, old);
        notify(x->c, obj);
}

static void
h_delete(const cJSON *obj, void *ud)
{
        struct icx *x = ud;
        char key[600];

        obj_key(key, sizeof(key), kinds[x->kind], obj);
        cc_map_del(&x->c->deleted, key);
        written_drop(x->c, key);
        notify(x->c, obj);
}

static void
disconnect(struct cluster *c)
{
        int i;

        for (i = 0; i < K__COUNT; i++) {
                cc_kube_informer_free(c->inf[i]);
                c->inf[i] = NULL;
        }
        /* completes our requests with CC_CANCELED */
        cc_kube_client_free(c->k);
        c->k = NULL;
        if (c->cfg_ok)
                cc_kube_config_release(&c->cfg);
        c->cfg_ok = false;
        maps_release(c);
        c->m.synced = false;
}

static cc_err
connect_cluster(struct cluster *c)
{
        const struct cc_kube_client_opts ko = { .user_agent = "cloudctl-fleet" };
        const struct cc_kube_informer_handlers h = { .on_add = h_add,
                                                     .on_update = h_update,
                                                     .on_delete = h_delete };
        const struct cc_kube_informer_opts io = { .label_selector = SELECTOR };
        struct cc_diag d = { 0 };
        cc_err rc;
        int i;

        c->err[0] = '\0';
        if ((rc = cc_kube_config_load(&c->cfg, c->f->env, c->kubeconfig, c->context, &d)))
                goto fail;
        c->cfg_ok = true;
        if ((rc = cc_kube_client_new(c->f->http, &c->cfg, &ko, &c->k, &d)))
                goto fail;
        for (i = 0; i < K__COUNT; i++) {
                c->icx[i].c = c;
                c->icx[i].kind = i;
                if ((rc = cc_kube_informer_new(c->k, cc_kube_resource_by_kind(kinds[i]), &io, &h,
                                               &c->icx[i], &c->inf[i], &d)))
                        goto fail;
        }
        for (i = 0; i < K__COUNT; i++)
                if ((rc = cc_kube_informer_start(c->inf[i], &d)))
                        goto fail;
        CC_INFO(COMP, "cluster connected", CC_S("cluster", c->name), CC_S("server", c->cfg.server));
        return CC_OK;
fail:
        setf(c->err, sizeof(c->err), "cannot connect cluster '%s': %s", c->name, d.message);
        CC_WARN(COMP, "cannot connect cluster", CC_S("cluster", c->name), CC_S("error", d.message));
        disconnect(c);
        return rc == CC_NOMEM ? CC_NOMEM : CC_OK;
}

static void
cluster_free(struct cluster *c)
{
        disconnect(c);
        cc_free(c->name);
        cc_free(c->region);
        cc_free(c->kubeconfig);
        cc_free(c->context);
        cc_free(c);
}

static void
cluster_unref(struct cluster *c)
{
        if (--c->refs == 0 && c->dead)
                cluster_free(c);
}

static void
cluster_kill(struct cluster *c)
{
        c->dead = true;
        c->refs++;
        disconnect(c);
        cluster_unref(c);
}

/* every informer listed once (true), or one failed before it did */
static bool
cluster_synced(const struct cluster *c, bool *failed)
{
        struct cc_kube_informer_stats st;
        bool all = true;
        int i;

        *failed = c->err[0] != '\0' || !c->k;
        for (i = 0; i < K__COUNT && !*failed; i++) {
                if (cc_kube_informer_has_synced(c->inf[i]))
                        continue;
                all = false;
                cc_kube_informer_stats(c->inf[i], &st);
                if (st.failures)
                        *failed = true;
        }
        return all && !*failed;
}

static void
refresh_member(struct cluster *c, bool leaving)
{
        bool failed;

        c->m.name = c->name;
        c->m.region = c->region;
        c->m.weight = c->weight;
        c->m.leaving = leaving;
        c->m.synced = cluster_synced(c, &failed);
}

static bool
str_eq(const char *a, const char *b)
{
        return (!a && !b) || (a && b && !strcmp(a, b));
}

static cc_err
dup_opt(char **dst, const char *src)
{
        char *s = NULL;

        if (src && !(s = cc_strdup(src)))
                return CC_NOMEM;
        cc_free(*dst);
        *dst = s;
        return CC_OK;
}

/* --- public: lifecycle ----------------------------------------------------------- */

cc_err
cc_fleet_new(struct cc_loop *loop, struct cc_http *http, const struct cc_kube_env *env,
             cc_fleet_changed_fn changed, void *ud, struct cc_fleet **out, struct cc_diag *d)
{
        struct cc_fleet *f;

        if (!loop || !http || !out)
                return cc_diag_set(d, CC_INVAL, 0, "cannot create fleet: no loop or http client");
        if (!(f = cc_calloc(1, sizeof(*f))))
                return cc_diag_set(d, CC_NOMEM, 0, "cannot create fleet: out of memory");
        f->loop = loop;
        f->http = http;
        f->env = env;
        f->changed = changed;
        f->ud = ud;
        *out = f;
        return CC_OK;
}

static struct cluster *
find(const struct cc_fleet *f, const char *name)
{
        size_t i;

        for (i = 0; i < f->n; i++)
                if (!strcmp(f->cl[i]->name, name))
                        return f->cl[i];
        return NULL;
}

cc_err
cc_fleet_set_clusters(struct cc_fleet *f, const struct cc_config_cluster *cl, size_t n,
                      struct cc_diag *d)
{
        struct cluster **next = NULL;
        size_t i, k = 0, cap = 0;
        cc_err rc = CC_OK;

        if (n + f->n && CC_GROW(next, cap, n + f->n)) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "cannot set clusters: out of memory");
                goto out;
        }
        for (i = 0; i < n; i++) {
                struct cluster *c = find(f, cl[i].name);
                bool reconnect = false, fresh = false;
                size_t j;

                for (j = 0; j < k && strcmp(next[j]->name, cl[i].name); j++)
                        ;
                if (j < k)
                        continue; /* a duplicate name: the first entry wins */
                if (!c) {
                        if (!(c = cc_calloc(1, sizeof(*c))) || !(c->name = cc_strdup(cl[i].name))) {
                                cc_free(c);
                                rc = cc_diag_set(d, CC_NOMEM, 0, "out of memory");
                                goto out;
                        }
                        c->f = f;
                        fresh = true;
                }
                reconnect = fresh || !str_eq(c->kubeconfig, cl[i].kubeconfig) ||
                            !str_eq(c->context, cl[i].context);
                if (dup_opt(&c->region, cl[i].region) ||
                    (reconnect && (dup_opt(&c->kubeconfig, cl[i].kubeconfig) ||
                                   dup_opt(&c->context, cl[i].context)))) {
                        if (fresh)
                                cluster_free(c);
                        rc = cc_diag_set(d, CC_NOMEM, 0, "out of memory");
                        goto out;
                }
                c->weight = cl[i].weight;
                c->m.leaving = false;
                if (reconnect) {
                        if (!fresh)
                                disconnect(c);
                        if (connect_cluster(c) == CC_NOMEM) {
                                if (fresh)
                                        cluster_free(c);
                                rc = cc_diag_set(d, CC_NOMEM, 0, "out of memory");
                                goto out;
                        }
                }
                next[k++] = c;
        }
        /* the rest, in their old order, are leaving */
        for (i = 0; i < f->n; i++) {
                size_t j;

                for (j = 0; j < k && next[j] != f->cl[i]; j++)
                        ;
                if (j == k) {
                        if (!f->cl[i]->m.leaving)
                                CC_INFO(COMP, "cluster leaving", CC_S("cluster", f->cl[i]->name));
                        f->cl[i]->m.leaving = true;
                        next[k++] = f->cl[i];
                }
        }
        for (i = 0; i < k; i++)
                refresh_member(next[i], next[i]->m.leaving);
        cc_free(f->cl);
        f->cl = next;
        f->n = k;
        f->cap = cap;
        next = NULL;
out:
        /* on failure, clusters created here and not yet recorded are lost
         * only from next[]: keep f as it was, but do not leak new ones */
        if (next) {
                for (i = 0; i < k; i++)
                        if (!find(f, next[i]->name))
                                cluster_free(next[i]);
                cc_free(next);
        }
        return rc;
}

void
cc_fleet_forget(struct cc_fleet *f, const char *cluster)
{
        size_t i;

        for (i = 0; f && cluster && i < f->n; i++) {
                struct cluster *c = f->cl[i];

                if (strcmp(c->name, cluster) || !c->m.leaving)
                        continue;
                memmove(&f->cl[i], &f->cl[i + 1], (f->n - i - 1) * sizeof(*f->cl));
                f->n--;
                CC_INFO(COMP, "cluster forgotten", CC_S("cluster", cluster));
                cluster_kill(c);
                return;
        }
}

size_t
cc_fleet_count(const struct cc_fleet *f)
{
        return f ? f->n : 0;
}

const struct cc_fleet_member *
cc_fleet_member(const struct cc_fleet *f, size_t i)
{
        bool failed;

        if (!f || i >= f->n)
                return NULL;
        f->cl[i]->m.synced = cluster_synced(f->cl[i], &failed);
        return &f->cl[i]->m;
}

bool
cc_fleet_synced(const struct cc_fleet *f)
{
        size_t i;
        bool failed;

        for (i = 0; f && i < f->n; i++)
                if (!cluster_synced(f->cl[i], &failed) && !failed)
                        return false;
        return true;
}

/* --- operations ------------------------------------------------------------------ */

static void op_maybe_free(struct op *op);
static void worker_step(struct worker *w);

static void
op_deliver(struct op *op)
{
        if (op->delivered)
                return;
        op->delivered = true;
        if (op->done)
                op->done(&op->res, op->ud);
}

static void
op_timer_fired(struct cc_timer *t, void *ud)
{
        struct op *op = ud;

        (void)t;
        op->timer = NULL;
        op_deliver(op);
        op_maybe_free(op);
}

static void
op_unlink(struct op *op)
{
        struct op **pp;

        for (pp = &op->f->ops; *pp; pp = &(*pp)->next)
                if (*pp == op) {
                        *pp = op->next;
                        break;
                }
}

static void
op_maybe_free(struct op *op)
{
        size_t i;

        if (!op->delivered || op->inflight || op->timer)
                return;
        op_unlink(op);
        for (i = 0; i < op->nw; i++) {
                cJSON_Delete(op->w[i].desired);
                cJSON_Delete(op->w[i].dels);
                if (op->w[i].c)
                        cluster_unref(op->w[i].c);
        }
        cc_free(op->w);
        cc_free(op->res.clusters);
        cc_free(op);
}

/* the cached or own-written state of an object, whichever is newer;
 * NULL when absent or deleted by us */
static const cJSON *
observed(struct cluster *c, int kind, const char *ns, const char *name)
{
        char key[600];
        const cJSON *a, *b;

        if (kind < 0 || !c->inf[kind])
                return NULL;
        snprintf(key, sizeof(key), "%s/%s/%s", kinds[kind], ns, name);
        if (cc_map_get(&c->deleted, key))
                return NULL;
        a = cc_kube_informer_get(c->inf[kind], ns, name);
        b = cc_map_get(&c->written, key);
        if (!a)
                return b;
        if (!b)
                return a;
        return rv_newer_or_same(jstr2(a, "metadata", "resourceVersion"),
                                jstr2(b, "metadata", "resourceVersion"))
                   ? a
                   : b;
}

static bool
owned_by(const cJSON *o, const char *owner)
{
        const char *a = annot(o, CC_FLEET_OWNER_ANNOT);

        return a && !strcmp(a, owner);
}

/* readiness (READY/PROGRESSING) or GONE from what the cluster holds */
static void
report_cache(struct worker *w)
{
        struct op *op = w->op;
        struct cluster *c = w->c;
        bool failed, any = false;
        const cJSON *o;
        size_t i;
        int k;

        if (!cluster_synced(c, &failed)) {
                w->r->state = failed ? CC_FLEET_UNREACHABLE : CC_FLEET_PROGRESSING;
                if (c->err[0])
                        setf(w->r->message, sizeof(w->r->message), "%s", c->err);
                else if (failed)
                        setf(w->r->message, sizeof(w->r->message),
                             "cannot list the objects of cluster '%s': its API does not answer",
                             c->name);
                else
                        setf(w->r->message, sizeof(w->r->message),
                             "waiting for the caches of cluster '%s'", c->name);
                return;
        }
        for (k = 0; k < K__COUNT && !any; k++)
                for (i = 0; cc_kube_informer_next(c->inf[k], &i, &o);)
                        if (owned_by(o, op->owner) &&
                            observed(c, k, jstr2(o, "metadata", "namespace"),
                                     jstr2(o, "metadata", "name"))) {
                                any = true;
                                break;
                        }
        if (op->remove && !any) {
                w->r->state = CC_FLEET_GONE;
                setf(w->r->message, sizeof(w->r->message),
                     "nothing of gateway '%s' left in cluster '%s'", op->owner, c->name);
                return;
        }
        if (op->remove && w->write) {
                w->r->state = CC_FLEET_PROGRESSING;
                setf(w->r->message, sizeof(w->r->message),
                     "deleting the objects of gateway '%s' in cluster '%s'", op->owner, c->name);
                return;
        }
        cc_fleet_readiness(observed(c, K_DEP, op->ns, op->obj), observed(c, K_SVC, op->ns, op->obj),
                           op->ns, op->obj, op->port, w->r);
}

static void
worker_finish(struct worker *w)
{
        struct op *op = w->op;

        if (w->finished)
                return;
        w->finished = true;
        if (w->r->state != CC_FLEET_UNREACHABLE && w->r->state != CC_FLEET_BLOCKED)
                report_cache(w);
        if (w->r->state == CC_FLEET_UNREACHABLE || w->r->state == CC_FLEET_BLOCKED)
                CC_WARN(COMP, "cluster not converged", CC_S("cluster", w->r->cluster),
                        CC_S("gw", op->owner), CC_S("error", w->r->message));
        if (--op->running == 0 && !op->delivered && !op->timer &&
            cc_timer_start(op->f->loop, 0, 0, op_timer_fired, op, &op->timer)) {
                /* no timer: deliver now rather than never */
                op_deliver(op);
        }
}

static void
worker_fail(struct worker *w, enum cc_fleet_state st, const char *msg)
{
        w->r->state = st;
        setf(w->r->message, sizeof(w->r->message), "%s", msg);
        worker_finish(w);
}

static bool
namespace_missing(const struct cc_kube_result *res)
{
        return res && res->status == 404 && !strcmp(res->reason, "NotFound") &&
               strstr(res->diag.message, "namespaces \"");
}

static void kube_done(struct cc_kube_op *kop, cc_err rc, struct cc_kube_result *res, void *ud);

enum step { S_CREATE, S_APPLY, S_GET, S_NS, S_DELETE };

struct call {
        struct worker *w;
        enum step step;
        char key[600];
};

/* start one request for w; false (worker finished) when it could not start */
static bool
start(struct worker *w, enum step step, const cJSON *obj, const char *key_kind, const char *ns,
      const char *name)
{
        struct cluster *c = w->c;
        struct call *call = cc_calloc(1, sizeof(*call));
        const struct cc_kube_resource *r = cc_kube_resource_by_kind(key_kind);
        const struct cc_kube_patch_opts po = { .field_manager = CC_FLEET_FIELD_MANAGER,
                                               .force = true };
        const struct cc_kube_delete_opts dopts = { .propagation = "Background" };
        struct cc_diag d = { 0 };
        cc_err rc;

        if (!call || !r || !c->k) {
                cc_free(call);
                worker_fail(w, CC_FLEET_UNREACHABLE, !call ? "out of memory" : "not connected");
                return false;
        }
        call->w = w;
        call->step = step;
        snprintf(call->key, sizeof(call->key), "%s/%s/%s", key_kind, ns ? ns : "", name);
        switch (step) {
        case S_CREATE:
        case S_NS:
                rc = cc_kube_create(c->k, r, ns, obj, kube_done, call, &w->kop, &d);
                break;
        case S_APPLY:
                rc = cc_kube_patch(c->k, r, ns, name, CC_KUBE_PATCH_APPLY, obj, &po, kube_done,
                                   call, &w->kop, &d);
                break;
        case S_GET:
                rc = cc_kube_get(c->k, r, ns, name, kube_done, call, &w->kop, &d);
                break;
        default:
                rc = cc_kube_delete(c->k, r, ns, name, &dopts, kube_done, call, &w->kop, &d);
                break;
        }
        if (rc != CC_AGAIN) {
                cc_free(call);
                worker_fail(w, CC_FLEET_UNREACHABLE, d.message);
                return false;
        }
        if (step != S_GET)
                w->r->writes++;
        w->op->inflight++;
        return true;
}

static void
start_for(struct worker *w, enum step step, const cJSON *obj)
{
        const char *kind = jstr2(obj, "kind", NULL), *ns = jstr2(obj, "metadata", "namespace");

        start(w, step, obj, kind, ns, jstr2(obj, "metadata", "name"));
}

static void
blocked(struct worker *w, const cJSON *obj, const char *why)
{
        char msg[512];

        snprintf(msg, sizeof(msg), "%s '%s/%s' exists in cluster '%s' %s", jstr2(obj, "kind", NULL),
                 jstr2(obj, "metadata", "namespace"), jstr2(obj, "metadata", "name"), w->c->name,
                 why);
        worker_fail(w, CC_FLEET_BLOCKED, msg);
}

static void
kube_done(struct cc_kube_op *kop, cc_err rc, struct cc_kube_result *res, void *ud)
{
        struct call *call = ud;
        struct worker *w = call->w;
        struct op *op = w->op;
        struct cluster *c = w->c;
        enum step step = call->step;
        cJSON *got = NULL;

        (void)kop;
        w->kop = NULL;
        op->inflight--;
        if (rc == CC_OK && res && res->obj) {
                got = res->obj;
                res->obj = NULL;
        }
        if (w->finished) /* canceled with its operation */
                goto out;
        if (rc == CC_CANCELED) {
                worker_fail(w, CC_FLEET_UNREACHABLE, "canceled");
                goto out;
        }
        switch (step) {
        case S_NS:
                if (rc && rc != CC_CONFLICT)
                        break;
                start_for(w, S_CREATE, w->cur);
                goto out;
        case S_CREATE:
                if (rc == CC_CONFLICT) {
                        start_for(w, S_GET, w->cur);
                        goto out;
                }
                if (rc == CC_NOTFOUND && namespace_missing(res) && !w->ns_tried) {
                        cJSON *ns = cJSON_CreateObject();
                        cJSON *m = cJSON_AddObjectToObject(ns, "metadata");
                        cJSON *l = cJSON_AddObjectToObject(m, "labels");
                        const char *name = jstr2(w->cur, "metadata", "namespace");

                        w->ns_tried = true;
                        if (!cJSON_AddStringToObject(ns, "apiVersion", "v1") ||
                            !cJSON_AddStringToObject(ns, "kind", "Namespace") ||
                            !cJSON_AddStringToObject(m, "name", name) ||
                            !cJSON_AddStringToObject(l, CC_FLEET_MANAGED_LABEL,
                                                     CC_FLEET_MANAGED_VALUE)) {
                                cJSON_Delete(ns);
                                worker_fail(w, CC_FLEET_UNREACHABLE, "out of memory");
                                goto out;
                        }
                        CC_INFO(COMP, "creating namespace", CC_S("cluster", c->name),
                                CC_S("namespace", name));
                        start(w, S_NS, ns, "Namespace", NULL, name);
                        cJSON_Delete(ns);
                        goto out;
                }
                /* fall through */
        case S_APPLY:
                if (rc)
                        break;
                CC_INFO(COMP, step == S_CREATE ? "object created" : "object applied",
                        CC_S("cluster", c->name), CC_S("object", call->key));
                written_put(c, call->key, got);
                cc_map_del(&c->deleted, call->key);
                got = NULL;
                w->idx++;
                worker_step(w);
                goto out;
        case S_GET:
                if (rc == CC_NOTFOUND) { /* gone again in between: create */
                        start_for(w, S_CREATE, w->cur);
                        goto out;
                }
                if (rc)
                        break;
                if (!str_eq(label(got, CC_FLEET_MANAGED_LABEL), CC_FLEET_MANAGED_VALUE)) {
                        blocked(w, w->cur,
                                "without the label " CC_FLEET_MANAGED_LABEL
                                "=" CC_FLEET_MANAGED_VALUE
                                "; cloudctl does not adopt it: delete or rename it");
                        goto out;
                }
                if (!owned_by(got, op->owner)) {
                        blocked(w, w->cur, "owned by another gateway");
                        goto out;
                }
                start_for(w, S_APPLY, w->cur); /* ours; the cache lags */
                goto out;
        case S_DELETE:
                if (rc && rc != CC_NOTFOUND)
                        break;
                CC_INFO(COMP, "object deleted", CC_S("cluster", c->name),
                        CC_S("object", call->key));
                written_drop(c, call->key);
                /* an answer with a deletionTimestamp: finalizers hold it */
                if (rc == CC_NOTFOUND || !jstr2(got, "metadata", "deletionTimestamp"))
                        cc_map_put(&c->deleted, call->key, (void *)1);
                else
                        w->deletes_unconfirmed++;
                worker_step(w);
                goto out;
        }
        worker_fail(w, CC_FLEET_UNREACHABLE, res ? res->diag.message : "request failed");
out:
        cJSON_Delete(got);
        cc_free(call);
        op_maybe_free(op);
}

/* the keys of the owner's objects in the cache that desired does not hold */
static cc_err
collect_deletes(struct worker *w)
{
        struct cluster *c = w->c;
        const cJSON *o, *d;
        char key[600], dk[600];
        size_t i;
        int k;

        if (!(w->dels = cJSON_CreateArray()))
                return CC_NOMEM;
        for (k = 0; k < K__COUNT; k++) {
                for (i = 0; cc_kube_informer_next(c->inf[k], &i, &o);) {
                        bool wanted = false;

                        if (!owned_by(o, w->op->owner))
                                continue;
                        obj_key(key, sizeof(key), kinds[k], o);
                        if (cc_map_get(&c->deleted, key))
                                continue;
                        cJSON_ArrayForEach(d, w->desired)
                        {
                                obj_key(dk, sizeof(dk), jstr2(d, "kind", NULL), d);
                                if (!strcmp(dk, key))
                                        wanted = true;
                        }
                        if (!wanted && !cJSON_AddItemToArray(w->dels, cJSON_CreateString(key)))
                                return CC_NOMEM;
                }
        }
        return CC_OK;
}

static void
worker_step(struct worker *w)
{
        struct op *op = w->op;
        struct cluster *c = w->c;
        const cJSON *obs;
        cJSON *next;

        while (!op->remove && (w->cur = cJSON_GetArrayItem(w->desired, w->idx))) {
                const char *kind = jstr2(w->cur, "kind", NULL);
                const char *ns = jstr2(w->cur, "metadata", "namespace");
                const char *name = jstr2(w->cur, "metadata", "name");

                w->ns_tried = false;
                obs = observed(c, kind_index(kind), ns, name);
                if (!obs) {
                        start_for(w, S_CREATE, w->cur);
                        return;
                }
                if (!owned_by(obs, op->owner)) {
                        blocked(w, w->cur, "owned by another gateway");
                        return;
                }
                if (!cc_fleet_subset(w->cur, obs)) {
                        start_for(w, S_APPLY, w->cur);
                        return;
                }
                w->idx++;
        }
        if (!w->dels && collect_deletes(w)) {
                worker_fail(w, CC_FLEET_UNREACHABLE, "out of memory");
                return;
        }
        if ((next = cJSON_DetachItemFromArray(w->dels, 0))) {
                char kind[64], ns[256], name[300];
                const char *s = next->valuestring, *a = strchr(s, '/'),
                           *b = a ? strchr(a + 1, '/') : NULL;

                if (a && b) {
                        snprintf(kind, sizeof(kind), "%.*s", (int)(a - s), s);
                        snprintf(ns, sizeof(ns), "%.*s", (int)(b - a - 1), a + 1);
                        snprintf(name, sizeof(name), "%s", b + 1);
                        cJSON_Delete(next);
                        start(w, S_DELETE, NULL, kind, ns, name);
                        return;
                }
                cJSON_Delete(next);
                worker_step(w);
                return;
        }
        worker_finish(w);
}

static cc_err
op_new(struct cc_fleet *f, bool remove, cc_fleet_done_fn done, void *ud, struct op **out,
       struct cc_diag *d)
{
        struct op *op = cc_calloc(1, sizeof(*op));
        size_t i;

        if (!op || (f->n && (!(op->w = cc_calloc(f->n, sizeof(*op->w))) ||
                             !(op->res.clusters = cc_calloc(f->n, sizeof(*op->res.clusters)))))) {
                if (op) {
                        cc_free(op->w);
                        cc_free(op);
                }
                return cc_diag_set(d, CC_NOMEM, 0, "out of memory");
        }
        op->f = f;
        op->remove = remove;
        op->done = done;
        op->ud = ud;
        op->nw = op->res.nclusters = f->n;
        for (i = 0; i < f->n; i++) {
                struct worker *w = &op->w[i];

                w->op = op;
                w->c = f->cl[i];
                w->c->refs++;
                w->r = &op->res.clusters[i];
                snprintf(w->r->cluster, sizeof(w->r->cluster), "%s", w->c->name);
                w->r->leaving = w->c->m.leaving;
        }
        *out = op;
        return CC_OK;
}

/* run the workers; every one finishes now (nothing to write) or later */
static void
op_run(struct op *op)
{
        size_t i;
        bool failed;

        op->running = op->nw;
        op->next = op->f->ops;
        op->f->ops = op;
        for (i = 0; i < op->nw; i++) {
                struct worker *w = &op->w[i];

                if (!w->write || !cluster_synced(w->c, &failed)) {
                        worker_finish(w);
                        continue;
                }
                worker_step(w);
        }
        if (!op->nw && cc_timer_start(op->f->loop, 0, 0, op_timer_fired, op, &op->timer))
                op_deliver(op);
}

cc_err
cc_fleet_sync(struct cc_fleet *f, const struct cc_fleet_input *in, cc_fleet_done_fn done, void *ud,
              struct cc_diag *d)
{
        struct op *op = NULL;
        const cJSON *meta;
        const char *ns, *name;
        size_t i;
        cc_err rc;

        if (!f || !in || !done)
                return cc_diag_set(d, CC_INVAL, 0, "cannot sync: no fleet, input or callback");
        meta = cJSON_GetObjectItemCaseSensitive(in->gateway, "metadata");
        ns = jstr2(meta, "namespace", NULL);
        name = jstr2(meta, "name", NULL);
        if (!ns || !name)
                return cc_diag_set(d, CC_INVAL, 0,
                                   "cannot sync: gateway without metadata.name/namespace");
        if ((rc = op_new(f, false, done, ud, &op, d)))
                return rc;
        snprintf(op->fleet, sizeof(op->fleet), "%s", in->fleet ? in->fleet : "");
        snprintf(op->ns, sizeof(op->ns), "%s", ns);
        snprintf(op->name, sizeof(op->name), "%s", name);
        snprintf(op->owner, sizeof(op->owner), "%s/%s", ns, name);
        op->port = in->serving_port ? in->serving_port : 80;
        cc_fleet_object_name(op->obj, sizeof(op->obj), name);
        for (i = 0; i < op->nw; i++) {
                struct worker *w = &op->w[i];

                cc_fleet_neg_name(w->r->neg, sizeof(w->r->neg), op->fleet, ns, name, w->c->name);
                w->write = !w->c->m.leaving;
                if (w->write && (rc = cc_fleet_render(in, w->c->name, &w->desired, d)))
                        goto fail;
        }
        op_run(op);
        return CC_AGAIN;
fail:
        op->delivered = true; /* never linked, no callback */
        op_maybe_free(op);
        return rc;
}

cc_err
cc_fleet_remove(struct cc_fleet *f, const char *fleet, const char *ns, const char *name,
                const char *cluster, cc_fleet_done_fn done, void *ud, struct cc_diag *d)
{
        struct op *op = NULL;
        size_t i;
        cc_err rc;

        if (!f || !ns || !name || !done)
                return cc_diag_set(d, CC_INVAL, 0, "cannot remove: no fleet, gateway or callback");
        if ((rc = op_new(f, true, done, ud, &op, d)))
                return rc;
        op->remove = true;
        snprintf(op->fleet, sizeof(op->fleet), "%s", fleet ? fleet : "");
        snprintf(op->ns, sizeof(op->ns), "%s", ns);
        snprintf(op->name, sizeof(op->name), "%s", name);
        snprintf(op->owner, sizeof(op->owner), "%s/%s", ns, name);
        op->port = 80;
        cc_fleet_object_name(op->obj, sizeof(op->obj), name);
        for (i = 0; i < op->nw; i++) {
                struct worker *w = &op->w[i];

                cc_fleet_neg_name(w->r->neg, sizeof(w->r->neg), op->fleet, ns, name, w->c->name);
                w->write = !cluster || !strcmp(cluster, w->c->name);
        }
        op_run(op);
        return CC_AGAIN;
}

void
cc_fleet_cancel_all(struct cc_fleet *f)
{
        struct op *op, *next;
        size_t i;

        if (!f)
                return;
        for (op = f->ops; op; op = next) {
                next = op->next;
                if (op->delivered)
                        continue;
                op->res.rc = CC_CANCELED;
                cc_diag_set(&op->res.d, CC_CANCELED, 0, "canceled");
                for (i = 0; i < op->nw; i++) {
                        op->w[i].finished = true;
                        if (op->w[i].kop)
                                cc_kube_cancel(op->w[i].kop);
                }
                cc_timer_cancel(op->timer);
                op->timer = NULL;
                op_deliver(op);
        }
        for (op = f->ops; op; op = next) {
                next = op->next;
                op_maybe_free(op);
        }
}

void
cc_fleet_free(struct cc_fleet *f)
{
        size_t i;

        if (!f)
                return;
        cc_fleet_cancel_all(f);
        for (i = 0; i < f->n; i++)
                cluster_kill(f->cl[i]);
        /* the clients' cancellations completed every request: ops are gone */
        cc_free(f->cl);
        cc_free(f);
}
