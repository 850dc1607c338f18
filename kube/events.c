/* events.c -- Event creation and count/lastTimestamp aggregation. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kube/events.h"

#include "core/alloc.h"
#include "core/backoff.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/log.h"
#include "core/map.h"

#include "core/banned.h"

#define EVENTS_COMP    "kube.events"
#define WINDOW_DEFAULT (10 * 60 * 1000)
#define CACHE_MAX      4096
#define NAME_MAX_LEN   253

struct agg {
        char name[NAME_MAX_LEN + 1];
        char ns[64];
        int64_t count;   /* as last written (or being written) */
        int64_t pending; /* occurrences not yet written */
        uint64_t last_ms;
        bool created, in_flight;
};

struct cc_kube_events {
        struct cc_kube_client *k;
        char *component, *instance;
        uint64_t window_ms;
        struct cc_kube_events_opts o;
        struct cc_map cache; /* key -> struct agg * */
        uint64_t rng;
        unsigned in_flight;
        bool zombie;
};

/* one request in flight; keeps the key to find the aggregate again */
struct req {
        struct cc_kube_events *ev;
        char *key;
};

static uint64_t
now_ms(struct cc_kube_events *ev)
{
        return ev->o.now_ms ? ev->o.now_ms(ev->o.clock_ud)
                            : cc_loop_now_ms(cc_kube_client_loop(ev->k));
}

static void
timestamp(struct cc_kube_events *ev, char *buf, size_t size)
{
        time_t t = ev->o.wall_s ? (time_t)ev->o.wall_s(ev->o.clock_ud) : time(NULL);
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

cc_err
cc_kube_events_new(struct cc_kube_client *k, const struct cc_kube_events_opts *o,
                   struct cc_kube_events **out, struct cc_diag *d)
{
        struct cc_kube_events *ev;

        if (!k || !o || !o->component || !o->component[0])
                return cc_diag_set(d, CC_INVAL, 0, "cannot record events: no component");
        ev = cc_calloc(1, sizeof(*ev));
        if (!ev)
                return cc_diag_set(d, CC_NOMEM, 0, "cannot record events: out of memory");
        ev->k = k;
        ev->o = *o;
        ev->window_ms = o->window_ms ? o->window_ms : WINDOW_DEFAULT;
        ev->component = cc_strdup(o->component);
        ev->instance = o->instance ? cc_strdup(o->instance) : NULL;
        ev->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 40) ^ (uintptr_t)ev;
        if (!ev->component || (o->instance && !ev->instance)) {
                cc_free(ev->component);
                cc_free(ev->instance);
                cc_free(ev);
                return cc_diag_set(d, CC_NOMEM, 0, "cannot record events: out of memory");
        }
        *out = ev;
        return CC_OK;
}

static void
clear_cache(struct cc_map *m)
{
        size_t i = 0;
        void *v;

        while (cc_map_next(m, &i, NULL, &v))
                cc_free(v);
        cc_map_release(m);
}

static void
really_free(struct cc_kube_events *ev)
{
        clear_cache(&ev->cache);
        cc_free(ev->component);
        cc_free(ev->instance);
        cc_free(ev);
}

void
cc_kube_events_free(struct cc_kube_events *ev)
{
        if (!ev)
                return;
        if (ev->in_flight) {
                ev->zombie = true;
                return;
        }
        really_free(ev);
}

static const char *
str_at(const cJSON *o, const char *path)
{
        const cJSON *v = cc_json_lookup(o, path);

        return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

cJSON *
cc_kube_event_build(const cJSON *obj, const char *name, const char *type, const char *reason,
                    const char *message, const char *component, const char *instance,
                    const char *ts)
{
        const char *av = str_at(obj, "apiVersion"), *kind = str_at(obj, "kind");
        const char *oname = str_at(obj, "metadata.name"), *ns = str_at(obj, "metadata.namespace");
        const char *uid = str_at(obj, "metadata.uid"),
                   *rv = str_at(obj, "metadata.resourceVersion");
        cJSON *e = NULL, *md, *io, *src;
        bool ok;

        if (!kind || !oname)
                return NULL;
        e = cJSON_CreateObject();
        ok = e && cJSON_AddStringToObject(e, "apiVersion", "v1") &&
             cJSON_AddStringToObject(e, "kind", "Event");
        md = ok ? cJSON_AddObjectToObject(e, "metadata") : NULL;
        ok = md && cJSON_AddStringToObject(md, "name", name) &&
             cJSON_AddStringToObject(md, "namespace", ns ? ns : "default");
        io = ok ? cJSON_AddObjectToObject(e, "involvedObject") : NULL;
        ok = io && cJSON_AddStringToObject(io, "kind", kind) &&
             cJSON_AddStringToObject(io, "name", oname) &&
             (!av || cJSON_AddStringToObject(io, "apiVersion", av)) &&
             (!ns || cJSON_AddStringToObject(io, "namespace", ns)) &&
             (!uid || cJSON_AddStringToObject(io, "uid", uid)) &&
             (!rv || cJSON_AddStringToObject(io, "resourceVersion", rv));
        ok = ok && cJSON_AddStringToObject(e, "reason", reason) &&
             cJSON_AddStringToObject(e, "message", message) &&
             cJSON_AddStringToObject(e, "type", type) && cJSON_AddNumberToObject(e, "count", 1) &&
             cJSON_AddStringToObject(e, "firstTimestamp", ts) &&
             cJSON_AddStringToObject(e, "lastTimestamp", ts) &&
             cJSON_AddStringToObject(e, "reportingComponent", component) &&
             cJSON_AddStringToObject(e, "reportingInstance", instance ? instance : "");
        src = ok ? cJSON_AddObjectToObject(e, "source") : NULL;
        ok = src && cJSON_AddStringToObject(src, "component", component);
        if (!ok) {
                cJSON_Delete(e);
                e = NULL;
        }
        return e;
}

static void send_patch(struct cc_kube_events *ev, const char *key, struct agg *a);

static void
on_done(struct cc_kube_op *op, cc_err rc, struct cc_kube_result *res, void *ud)
{
        struct req *r = ud;
        struct cc_kube_events *ev = r->ev;
        struct agg *a;

        ev->in_flight--;
        if (ev->zombie) {
                if (!ev->in_flight)
                        really_free(ev);
                goto out;
        }
        a = cc_map_get(&ev->cache, r->key);
        if (!a)
                goto out;
        a->in_flight = false;
        if (rc != CC_OK) {
                CC_WARN(EVENTS_COMP, "cannot record event", CC_S("event", a->name),
                        CC_S("error", res->diag.message));
                /* start over next time (a 404 means the Event expired) */
                cc_free(cc_map_del(&ev->cache, r->key));
                goto out;
        }
        a->created = true;
        if (a->pending > 0)
                send_patch(ev, r->key, a);
out:
        cc_free(r->key);
        cc_free(r);
}

static struct req *
new_req(struct cc_kube_events *ev, const char *key)
{
        struct req *r = cc_calloc(1, sizeof(*r));

        if (r) {
                r->ev = ev;
                r->key = cc_strdup(key);
                if (!r->key) {
                        cc_free(r);
                        r = NULL;
                }
        }
        return r;
}

static void
send_patch(struct cc_kube_events *ev, const char *key, struct agg *a)
{
        char ts[40];
        cJSON *p = cJSON_CreateObject();
        struct req *r = new_req(ev, key);
        int64_t count = a->count + a->pending;
        cc_err rc = CC_NOMEM;

        timestamp(ev, ts, sizeof(ts));
        if (p && r && cJSON_AddNumberToObject(p, "count", (double)count) &&
            cJSON_AddStringToObject(p, "lastTimestamp", ts))
                rc = cc_kube_patch(ev->k, cc_kube_resource_by_kind("Event"), a->ns, a->name,
                                   CC_KUBE_PATCH_MERGE, p, NULL, on_done, r, NULL, NULL);
        cJSON_Delete(p);
        if (rc == CC_AGAIN) {
                a->count = count;
                a->pending = 0;
                a->in_flight = true;
                ev->in_flight++;
                return;
        }
        if (r) {
                cc_free(r->key);
                cc_free(r);
        }
        CC_WARN(EVENTS_COMP, "cannot update event", CC_S("event", a->name),
                CC_S("error", cc_err_name(rc)));
}

/* drop aggregates older than the window when the cache is full */
static void
trim(struct cc_kube_events *ev, uint64_t now)
{
        struct cc_map keep = CC_MAP_INIT;
        size_t i = 0;
        const char *key;
        void *v;

        if (ev->cache.n < CACHE_MAX)
                return;
        while (cc_map_next(&ev->cache, &i, &key, &v)) {
                struct agg *a = v;

                if ((a->in_flight || now - a->last_ms <= ev->window_ms) &&
                    cc_map_put(&keep, key, a) == CC_OK)
                        continue;
                cc_free(a);
        }
        cc_map_release(&ev->cache);
        ev->cache = keep;
}

cc_err
cc_kube_event(struct cc_kube_events *ev, const cJSON *obj, const char *type, const char *reason,
              const char *message)
{
        struct cc_buf key = CC_BUF_INIT(8192);
        const char *oname = str_at(obj, "metadata.name"), *ns = str_at(obj, "metadata.namespace");
        const char *uid = str_at(obj, "metadata.uid"), *kind = str_at(obj, "kind");
        uint64_t now = now_ms(ev);
        struct agg *a = NULL, *fresh = NULL;
        struct req *r = NULL;
        cJSON *body = NULL;
        char ts[40];
        cc_err rc;

        if (!oname || !kind || !type || !reason || !message)
                return CC_INVAL;
        rc = cc_buf_printf(&key, "%s\n%s\n%s\n%s\n%s\n%s\n%s", uid ? uid : "", kind, ns ? ns : "",
                           oname, type, reason, message);
        if (rc != CC_OK)
                goto out;
        a = cc_map_get(&ev->cache, cc_buf_str(&key));
        if (a && now - a->last_ms <= ev->window_ms) {
                a->last_ms = now;
                a->pending++;
                if (!a->in_flight && a->created)
                        send_patch(ev, cc_buf_str(&key), a);
                goto out;
        }
        if (a && a->in_flight) { /* stale but busy: count it there anyway */
                a->last_ms = now;
                a->pending++;
                goto out;
        }
        trim(ev, now);
        a = cc_map_get(&ev->cache, cc_buf_str(&key)); /* trim may have dropped it */
        if (!a) {
                fresh = cc_calloc(1, sizeof(*fresh));
                if (!fresh || cc_map_put(&ev->cache, cc_buf_str(&key), fresh) != CC_OK) {
                        rc = CC_NOMEM;
                        goto out;
                }
                a = fresh;
                fresh = NULL;
        }
        memset(a, 0, sizeof(*a));
        snprintf(a->name, sizeof(a->name), "%.200s.%016llx", oname,
                 (unsigned long long)cc_rand_next(&ev->rng));
        snprintf(a->ns, sizeof(a->ns), "%s", ns ? ns : "default");
        a->last_ms = now;
        a->count = 1;
        timestamp(ev, ts, sizeof(ts));
        body = cc_kube_event_build(obj, a->name, type, reason, message, ev->component, ev->instance,
                                   ts);
        r = new_req(ev, cc_buf_str(&key));
        if (!body || !r) {
                rc = CC_NOMEM;
                cc_free(cc_map_del(&ev->cache, cc_buf_str(&key)));
                goto out;
        }
        rc = cc_kube_create(ev->k, cc_kube_resource_by_kind("Event"), a->ns, body, on_done, r, NULL,
                            NULL);
        if (rc != CC_AGAIN) {
                CC_WARN(EVENTS_COMP, "cannot record event", CC_S("reason", reason),
                        CC_S("error", cc_err_name(rc)));
                cc_free(cc_map_del(&ev->cache, cc_buf_str(&key)));
                goto out;
        }
        rc = CC_OK;
        a->in_flight = true;
        ev->in_flight++;
        CC_DEBUG(EVENTS_COMP, "event", CC_S("object", oname), CC_S("reason", reason));
        r = NULL;
out:
        if (r) {
                cc_free(r->key);
                cc_free(r);
        }
        cc_free(fresh);
        cJSON_Delete(body);
        cc_buf_release(&key);
        return rc == CC_AGAIN ? CC_OK : rc;
}
