/* informer.c -- list+watch driver and the exactly-once cache. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kube/informer.h"

#include "core/alloc.h"
#include "core/backoff.h"
#include "core/json.h"
#include "core/log.h"
#include "core/map.h"

#include "core/banned.h"

#define KEY_MAX 512
#define RV_MAX  64

struct cc_kube_informer {
        struct cc_kube_client *k;
        const struct cc_kube_resource *r;
        struct cc_kube_informer_handlers h;
        void *ud;
        char *ns, *label_selector, *field_selector;
        long page_size, watch_timeout_s;
        struct cc_retry_policy backoff;
        uint64_t rng;
        struct cc_map cache; /* key -> cJSON * (owned) */
        char rv[RV_MAX];
        struct cc_kube_op *op; /* list or watch in flight */
        struct cc_timer *timer;
        struct cc_loop_hook hook;
        bool hooked;
        unsigned failures;
        bool started, stopped, synced, zombie, watch_delivered;
        bool relist;      /* an ERROR 410 event asked for a relist */
        bool next_relist; /* what the pending timer starts */
        struct cc_kube_informer_stats stats;
};

static char *
dup_opt(const char *s, bool *fail)
{
        char *p;

        if (!s)
                return NULL;
        p = cc_strdup(s);
        if (!p)
                *fail = true;
        return p;
}

cc_err
cc_kube_informer_new(struct cc_kube_client *k, const struct cc_kube_resource *r,
                     const struct cc_kube_informer_opts *o,
                     const struct cc_kube_informer_handlers *h, void *ud,
                     struct cc_kube_informer **out, struct cc_diag *d)
{
        struct cc_kube_informer *inf;
        bool fail = false;

        if (!r)
                return cc_diag_set(d, CC_INVAL, 0, "cannot create informer: no resource");
        inf = cc_calloc(1, sizeof(*inf));
        if (!inf)
                return cc_diag_set(d, CC_NOMEM, 0, "cannot create informer: out of memory");
        inf->k = k;
        inf->r = r;
        if (h)
                inf->h = *h;
        inf->ud = ud;
        if (o) {
                inf->ns = r->namespaced ? dup_opt(o->ns, &fail) : NULL;
                inf->label_selector = dup_opt(o->label_selector, &fail);
                inf->field_selector = dup_opt(o->field_selector, &fail);
                inf->page_size = o->page_size;
                inf->watch_timeout_s = o->watch_timeout_s;
                inf->backoff.base_ms = o->backoff_base_ms;
                inf->backoff.cap_ms = o->backoff_cap_ms;
                inf->rng = o->seed;
        }
        if (!inf->backoff.base_ms)
                inf->backoff.base_ms = 200;
        if (!inf->backoff.cap_ms)
                inf->backoff.cap_ms = 30000;
        inf->backoff.max_attempts = 1;
        if (!inf->rng)
                inf->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)inf;
        if (fail) {
                cc_free(inf->ns);
                cc_free(inf->label_selector);
                cc_free(inf->field_selector);
                cc_free(inf);
                return cc_diag_set(d, CC_NOMEM, 0, "cannot create informer: out of memory");
        }
        *out = inf;
        return CC_OK;
}

/* --- the cache ------------------------------------------------------------- */

static const char *
meta(const cJSON *obj, const char *key)
{
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, key);

        return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool
obj_key(const struct cc_kube_informer *inf, const cJSON *obj, char *key, size_t size)
{
        const char *name = meta(obj, "name"), *ns = meta(obj, "namespace");
        int n;

        if (!name || !name[0])
                return false;
        if (inf->r->namespaced)
                n = snprintf(key, size, "%s/%s", ns ? ns : "", name);
        else
                n = snprintf(key, size, "%s", name);
        return n > 0 && (size_t)n < size;
}

static bool
same_rv(const cJSON *a, const cJSON *b)
{
        const char *ra = meta(a, "resourceVersion"), *rb = meta(b, "resourceVersion");

        return ra && rb && ra[0] && strcmp(ra, rb) == 0;
}

static void
note_rv(struct cc_kube_informer *inf, const cJSON *obj)
{
        const char *rv = meta(obj, "resourceVersion");

        if (rv && rv[0])
                snprintf(inf->rv, sizeof(inf->rv), "%s", rv);
}

static void
release_cache(struct cc_map *m)
{
        size_t i = 0;
        void *v;

        while (cc_map_next(m, &i, NULL, &v))
                cJSON_Delete(v);
        cc_map_release(m);
}

cc_err
cc_kube_informer_replace(struct cc_kube_informer *inf, cJSON *list)
{
        struct cc_map fresh = CC_MAP_INIT;
        cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "items"), *it;
        char key[KEY_MAX];
        const char *rv;
        size_t i;
        void *v;
        cc_err rc = CC_OK;

        if (!cJSON_IsObject(list) || (items && !cJSON_IsArray(items) && !cJSON_IsNull(items))) {
                rc = CC_INVAL;
                goto out;
        }
        rv = meta(list, "resourceVersion");
        /* first reserve: the only failure point is memory, before any handler fires */
        while (cJSON_IsArray(items) && (it = cJSON_DetachItemFromArray(items, 0)) != NULL) {
                cJSON *old;

                if (!obj_key(inf, it, key, sizeof(key))) {
                        cJSON_Delete(it);
                        continue;
                }
                old = cc_map_get(&fresh, key);
                if (old) { /* a duplicate inside one list: the later one wins */
                        cJSON_Delete(old);
                        cc_map_put(&fresh, key, it);
                        continue;
                }
                if (cc_map_put(&fresh, key, it) != CC_OK) {
                        cJSON_Delete(it);
                        rc = CC_NOMEM;
                        goto out;
                }
        }
        /* then diff against the cache and swap */
        for (i = 0; cc_map_next(&fresh, &i, NULL, &v);) {
                const char *k2;
                size_t j = i - 1;
                cJSON *obj = v, *old;

                k2 = fresh.slots[j].key;
                old = cc_map_del(&inf->cache, k2);
                if (!old) {
                        if (inf->h.on_add)
                                inf->h.on_add(obj, inf->ud);
                } else if (!same_rv(old, obj)) {
                        if (inf->h.on_update)
                                inf->h.on_update(old, obj, inf->ud);
                        cJSON_Delete(old);
                } else {
                        /* unchanged: keep the cached copy, drop the listed one */
                        fresh.slots[j].value = old;
                        cJSON_Delete(obj);
                }
        }
        for (i = 0; cc_map_next(&inf->cache, &i, NULL, &v);) {
                if (inf->h.on_delete)
                        inf->h.on_delete(v, inf->ud);
        }
        release_cache(&inf->cache);
        inf->cache = fresh;
        fresh = (struct cc_map)CC_MAP_INIT;
        if (rv && rv[0])
                snprintf(inf->rv, sizeof(inf->rv), "%s", rv);
        if (!inf->synced) {
                inf->synced = true;
                if (inf->h.on_synced)
                        inf->h.on_synced(inf->ud);
        }
out:
        release_cache(&fresh);
        cJSON_Delete(list);
        return rc;
}

static cc_err
error_event(struct cc_kube_informer *inf, const cJSON *obj)
{
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(obj, "code");
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(obj, "message");

        if (cJSON_IsNumber(code) && (int)code->valuedouble == 410) {
                CC_INFO("kube.informer", "watch expired, relisting",
                        CC_S("resource", inf->r->resource),
                        CC_S("message", cJSON_IsString(msg) ? msg->valuestring : ""));
                inf->relist = true;
                return CC_NOTFOUND;
        }
        CC_WARN("kube.informer", "watch error event", CC_S("resource", inf->r->resource),
                CC_I("code", cJSON_IsNumber(code) ? (int)code->valuedouble : 0),
                CC_S("message", cJSON_IsString(msg) ? msg->valuestring : ""));
        return CC_TRANSIENT;
}

cc_err
cc_kube_informer_event(struct cc_kube_informer *inf, const char *type, cJSON **obj)
{
        char key[KEY_MAX];
        cJSON *old;

        if (strcmp(type, "ERROR") == 0)
                return error_event(inf, *obj);
        if (strcmp(type, "BOOKMARK") == 0) {
                note_rv(inf, *obj);
                return CC_OK;
        }
        if (strcmp(type, "ADDED") != 0 && strcmp(type, "MODIFIED") != 0 &&
            strcmp(type, "DELETED") != 0)
                return CC_INVAL;
        if (!obj_key(inf, *obj, key, sizeof(key)))
                return CC_INVAL;
        note_rv(inf, *obj);
        if (strcmp(type, "DELETED") == 0) {
                old = cc_map_del(&inf->cache, key);
                if (old && inf->h.on_delete)
                        inf->h.on_delete(*obj, inf->ud);
                cJSON_Delete(old);
                return CC_OK;
        }
        old = cc_map_get(&inf->cache, key);
        if (old && same_rv(old, *obj))
                return CC_OK; /* already seen (a replay after a relist or reconnect) */
        if (cc_map_put(&inf->cache, key, *obj) != CC_OK)
                return CC_NOMEM;
        if (old) {
                if (inf->h.on_update)
                        inf->h.on_update(old, *obj, inf->ud);
                cJSON_Delete(old);
        } else if (inf->h.on_add) {
                inf->h.on_add(*obj, inf->ud);
        }
        *obj = NULL;
        return CC_OK;
}

/* --- the list/watch driver ------------------------------------------------- */

static void schedule(struct cc_kube_informer *inf, bool relist, bool now);
static cc_err start_list(struct cc_kube_informer *inf, struct cc_diag *d);
static cc_err start_watch(struct cc_kube_informer *inf, struct cc_diag *d);

static void
really_free(struct cc_kube_informer *inf)
{
        release_cache(&inf->cache);
        cc_free(inf->ns);
        cc_free(inf->label_selector);
        cc_free(inf->field_selector);
        cc_free(inf);
}

static void
on_list(struct cc_kube_op *op, cc_err rc, struct cc_kube_result *res, void *ud)
{
        struct cc_kube_informer *inf = ud;
        cc_err arc;

        inf->op = NULL;
        if (inf->zombie) {
                really_free(inf);
                return;
        }
        if (inf->stopped)
                return;
        if (rc != CC_OK) {
                inf->failures++;
                inf->stats.failures++;
                CC_WARN("kube.informer", "list failed", CC_S("resource", inf->r->resource),
                        CC_S("error", res->diag.message));
                schedule(inf, true, false);
                return;
        }
        inf->stats.lists++;
        inf->failures = 0;
        arc = cc_kube_informer_replace(inf, res->obj);
        res->obj = NULL;
        if (inf->stopped)
                return;
        if (arc != CC_OK) {
                inf->failures++;
                inf->stats.failures++;
                schedule(inf, true, false);
                return;
        }
        schedule(inf, false, true);
}

static cc_err
on_watch_event(struct cc_kube_op *op, const char *type, cJSON **obj, void *ud)
{
        struct cc_kube_informer *inf = ud;
        cc_err rc;

        if (inf->stopped || inf->zombie)
                return CC_CANCELED;
        rc = cc_kube_informer_event(inf, type, obj);
        if (rc == CC_OK && strcmp(type, "BOOKMARK") != 0) {
                inf->watch_delivered = true;
                inf->failures = 0;
        }
        if (rc == CC_INVAL) {
                CC_WARN("kube.informer", "ignoring a malformed watch event",
                        CC_S("resource", inf->r->resource), CC_S("type", type));
                rc = CC_OK;
        }
        return rc;
}

static void
on_watch_done(struct cc_kube_op *op, cc_err rc, struct cc_kube_result *res, void *ud)
{
        struct cc_kube_informer *inf = ud;

        inf->op = NULL;
        if (inf->zombie) {
                really_free(inf);
                return;
        }
        if (inf->stopped)
                return;
        if (inf->relist || res->status == 410) {
                inf->relist = false;
                inf->stats.relists410++;
                schedule(inf, true, true);
                return;
        }
        if (rc == CC_OK && inf->watch_delivered) {
                schedule(inf, false, true); /* the server ended the stream: resume */
                return;
        }
        if (rc != CC_OK) {
                inf->stats.failures++;
                CC_WARN("kube.informer", "watch failed", CC_S("resource", inf->r->resource),
                        CC_S("error", res->diag.message));
        }
        inf->failures++;
        schedule(inf, false, false);
}

static cc_err
start_list(struct cc_kube_informer *inf, struct cc_diag *d)
{
        struct cc_kube_list_opts lo = {
                .label_selector = inf->label_selector,
                .field_selector = inf->field_selector,
                .page_size = inf->page_size,
        };

        return cc_kube_list(inf->k, inf->r, inf->ns, &lo, on_list, inf, &inf->op, d);
}

static cc_err
start_watch(struct cc_kube_informer *inf, struct cc_diag *d)
{
        struct cc_kube_watch_opts wo = {
                .label_selector = inf->label_selector,
                .field_selector = inf->field_selector,
                .resource_version = inf->rv[0] ? inf->rv : NULL,
                .allow_bookmarks = true,
                .timeout_seconds = inf->watch_timeout_s,
        };
        cc_err rc;

        if (!wo.timeout_seconds) /* spread the reconnects, as the reflector does */
                wo.timeout_seconds = 300 + (long)(cc_rand_next(&inf->rng) % 301);
        inf->watch_delivered = false;
        rc = cc_kube_watch(inf->k, inf->r, inf->ns, &wo, on_watch_event, on_watch_done, inf,
                           &inf->op, d);
        if (rc == CC_AGAIN)
                inf->stats.watches++;
        return rc;
}

static void
on_timer(struct cc_timer *t, void *ud)
{
        struct cc_kube_informer *inf = ud;
        struct cc_diag d;
        bool relist = inf->next_relist;
        cc_err rc;

        inf->timer = NULL;
        if (inf->stopped)
                return;
        cc_diag_clear(&d);
        rc = relist ? start_list(inf, &d) : start_watch(inf, &d);
        if (rc != CC_AGAIN) {
                if (rc == CC_CANCELED)
                        return; /* the loop is stopping */
                inf->failures++;
                inf->stats.failures++;
                CC_WARN("kube.informer", "cannot start request", CC_S("resource", inf->r->resource),
                        CC_S("error", d.message));
                schedule(inf, relist, false);
        }
}

static void
schedule(struct cc_kube_informer *inf, bool relist, bool now)
{
        uint64_t delay = 0;

        if (inf->stopped)
                return;
        if (!now)
                delay = cc_backoff_ms(&inf->backoff, inf->failures ? inf->failures : 1,
                                      cc_rand_next(&inf->rng));
        inf->next_relist = relist;
        if (cc_timer_start(cc_kube_client_loop(inf->k), delay, 0, on_timer, inf, &inf->timer) !=
            CC_OK) {
                inf->timer = NULL;
                CC_ERROR("kube.informer", "cannot schedule, informer stalled",
                         CC_S("resource", inf->r->resource));
        }
}

static void
on_loop_stop(struct cc_loop *loop, void *ud)
{
        cc_kube_informer_stop(ud);
}

cc_err
cc_kube_informer_start(struct cc_kube_informer *inf, struct cc_diag *d)
{
        cc_err rc;

        if (!inf->k || inf->started)
                return cc_diag_set(d, CC_INVAL, 0, "cannot start informer for '%s'",
                                   inf->r->resource);
        rc = start_list(inf, d);
        if (rc != CC_AGAIN)
                return rc;
        inf->started = true;
        cc_loop_on_stop(cc_kube_client_loop(inf->k), &inf->hook, on_loop_stop, inf);
        inf->hooked = true;
        return CC_OK;
}

void
cc_kube_informer_stop(struct cc_kube_informer *inf)
{
        if (!inf || inf->stopped)
                return;
        inf->stopped = true;
        if (inf->timer) {
                cc_timer_cancel(inf->timer);
                inf->timer = NULL;
        }
        if (inf->op)
                cc_kube_cancel(inf->op);
}

void
cc_kube_informer_free(struct cc_kube_informer *inf)
{
        if (!inf)
                return;
        cc_kube_informer_stop(inf);
        if (inf->hooked) {
                cc_loop_hook_remove(cc_kube_client_loop(inf->k), &inf->hook);
                inf->hooked = false;
        }
        if (inf->op) {
                inf->zombie = true; /* freed by the op's callback */
                return;
        }
        really_free(inf);
}

bool
cc_kube_informer_has_synced(const struct cc_kube_informer *inf)
{
        return inf->synced;
}

const cJSON *
cc_kube_informer_get(const struct cc_kube_informer *inf, const char *ns, const char *name)
{
        char key[KEY_MAX];

        if (inf->r->namespaced)
                snprintf(key, sizeof(key), "%s/%s", ns ? ns : "", name);
        else
                snprintf(key, sizeof(key), "%s", name);
        return cc_map_get(&inf->cache, key);
}

size_t
cc_kube_informer_len(const struct cc_kube_informer *inf)
{
        return inf->cache.n;
}

bool
cc_kube_informer_next(const struct cc_kube_informer *inf, size_t *iter, const cJSON **obj)
{
        void *v;

        if (!cc_map_next(&inf->cache, iter, NULL, &v))
                return false;
        *obj = v;
        return true;
}

const char *
cc_kube_informer_resource_version(const struct cc_kube_informer *inf)
{
        return inf->rv;
}

void
cc_kube_informer_stats(const struct cc_kube_informer *inf, struct cc_kube_informer_stats *s)
{
        *s = inf->stats;
}
