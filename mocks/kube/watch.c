/* watch.c -- the event ring and streaming watches.
 *
 * DESIGN
 * ------
 * Every write appends (rv, type, object, previous) to a ring of the last
 * cfg.window events; k->compacted is the newest RV that fell out of it, so a
 * watch from N can be served exactly when N >= k->compacted.  Older starts
 * get one ERROR event (Status 410 Expired) and the stream ends, as the
 * apiserver's watch cache does.  Selector transitions follow the cacher: an
 * object that starts matching arrives as ADDED, one that stops matching as
 * DELETED carrying its previous content and the new RV.
 *
 * A stream runs on its connection's thread: it takes the server lock,
 * drains new events into newline-delimited JSON, and otherwise waits on
 * k->cond in slices of at most a second, checking the peer with
 * poll(POLLRDHUP) so a closed client frees its watcher promptly.
 */

#include <errno.h>
#include <fnmatch.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "mocks/kube/kube.h"
#include "core/banned.h"

struct kube_watch {
        struct kube *k;
        const struct kube_res *res;
        char ns[256];
        bool all_ns;
        struct kube_sel ls, fs;
        unsigned long since;
        bool table, bookmarks;
        char include[16];
        time_t deadline;
        time_t last_bookmark;
        int fd;
        char path[512];
        bool dropped;
        bool ended;
        struct cc_buf pending;
        const struct kube_res *served; /* alias version to answer in, or NULL */
        struct kube_watch *next;
};

void
kube_watch_serve_as(struct kube_watch *w, const struct kube_res *served)
{
        w->served = served;
        if (w->pending.len) {
                /* initial events were rendered already: rewrite them line by line */
                struct cc_buf b = CC_BUF_INIT(0);
                char from[128], to[128];
                const char *p = cc_buf_str(&w->pending);

                kube_res_api_version(served->storage, from, sizeof(from));
                kube_res_api_version(served, to, sizeof(to));
                while (*p) {
                        const char *nl = strchr(p, '\n');
                        size_t len = nl ? (size_t)(nl - p) : strlen(p);
                        cJSON *ev = cJSON_ParseWithLength(p, len);
                        char *text;

                        kube_rewrite_api_version(ev, from, to);
                        text = ev ? cJSON_PrintUnformatted(ev) : NULL;
                        if (text) {
                                cc_buf_puts(&b, text);
                                cc_buf_putc(&b, '\n');
                                cJSON_free(text);
                        }
                        cJSON_Delete(ev);
                        p += len;
                        if (*p)
                                p++;
                }
                cc_buf_release(&w->pending);
                w->pending = b;
        }
}

void
kube_record(struct kube *k, enum kube_ev_type t, const struct kube_res *r, const char *ns,
            const cJSON *obj, const cJSON *prev)
{
        struct kube_event *e;

        if (k->nevents >= k->cfg.window && k->nevents) {
                size_t drop = k->nevents - k->cfg.window + 1, i;

                for (i = 0; i < drop; i++) {
                        k->compacted = k->events[i].rv;
                        cc_free(k->events[i].ns);
                        cJSON_Delete(k->events[i].obj);
                        cJSON_Delete(k->events[i].prev);
                }
                memmove(k->events, k->events + drop, (k->nevents - drop) * sizeof(*k->events));
                k->nevents -= drop;
        }
        if (!strcmp(r->kind, "Service") || !strcmp(r->kind, "EndpointSlice"))
                k->gke.dirty = true;
        k->gc.dirty = true;
        if (!CC_GROW(k->events, k->events_cap, k->nevents + 1)) {
                e = &k->events[k->nevents];
                e->rv = k->rv;
                e->type = t;
                e->res = r;
                e->ns = cc_strdup(ns);
                e->obj = cJSON_Duplicate(obj, true);
                e->prev = prev ? cJSON_Duplicate(prev, true) : NULL;
                if (e->ns && e->obj) {
                        k->nevents++;
                } else {
                        cc_free(e->ns);
                        cJSON_Delete(e->obj);
                        cJSON_Delete(e->prev);
                        k->compacted = k->rv; /* lost an event: force relists */
                }
        } else {
                k->compacted = k->rv;
        }
        pthread_cond_broadcast(&k->cond);
}

void
kube_compact(struct kube *k)
{
        size_t i;

        for (i = 0; i < k->nevents; i++) {
                cc_free(k->events[i].ns);
                cJSON_Delete(k->events[i].obj);
                cJSON_Delete(k->events[i].prev);
        }
        k->nevents = 0;
        k->compacted = k->rv;
        pthread_cond_broadcast(&k->cond);
}

static bool
matches(const struct kube_watch *w, const struct kube_res *r, const char *ns, const cJSON *obj)
{
        if (!obj || r != w->res)
                return false;
        if (!w->all_ns && w->res->namespaced && strcmp(ns, w->ns))
                return false;
        return kube_lsel_match(&w->ls, obj) && kube_fsel_match(&w->fs, obj);
}

static void
emit(struct kube_watch *w, const char *type, const cJSON *obj, struct cc_buf *out)
{
        cJSON *ev = cJSON_CreateObject();
        char *text;

        cJSON_AddStringToObject(ev, "type", type);
        if (w->table && strcmp(type, "BOOKMARK") && strcmp(type, "ERROR")) {
                cJSON *const objs[1] = { (cJSON *)obj };

                cJSON_AddItemToObject(ev, "object",
                                      kube_table(w->k, w->res, objs, 1,
                                                 kube_str(obj, "metadata", "resourceVersion"), NULL,
                                                 w->include));
        } else {
                cJSON_AddItemToObject(ev, "object", cJSON_Duplicate(obj, true));
        }
        if (w->served) {
                char from[128], to[128];

                kube_res_api_version(w->served->storage, from, sizeof(from));
                kube_res_api_version(w->served, to, sizeof(to));
                kube_rewrite_api_version(ev, from, to);
        }
        text = cJSON_PrintUnformatted(ev);
        if (text) {
                cc_buf_puts(out, text);
                cc_buf_putc(out, '\n');
                cJSON_free(text);
        }
        cJSON_Delete(ev);
}

static void
emit_expired(struct kube_watch *w, unsigned long since, struct cc_buf *out)
{
        char msg[128];
        cJSON *st;

        snprintf(msg, sizeof(msg), "too old resource version: %lu (%lu)", since,
                 w->k->compacted + 1);
        st = kube_status(410, "Expired", msg, NULL, NULL);
        emit(w, "ERROR", st, out);
        cJSON_Delete(st);
}

static void
emit_bookmark(struct kube_watch *w, bool initial_end, struct cc_buf *out)
{
        cJSON *b = cJSON_CreateObject(), *md;
        char av[128], rv[32];

        kube_res_api_version(w->res, av, sizeof(av));
        cJSON_AddStringToObject(b, "kind", w->res->kind);
        cJSON_AddStringToObject(b, "apiVersion", av);
        md = cJSON_AddObjectToObject(b, "metadata");
        snprintf(rv, sizeof(rv), "%lu", w->k->rv);
        cJSON_AddStringToObject(md, "resourceVersion", rv);
        cJSON_AddNullToObject(md, "creationTimestamp");
        if (initial_end)
                cJSON_AddStringToObject(cJSON_AddObjectToObject(md, "annotations"),
                                        "k8s.io/initial-events-end", "true");
        emit(w, "BOOKMARK", b, out);
        cJSON_Delete(b);
}

static int
cmp_obj(const void *a, const void *b)
{
        const struct kube_obj *x = *(const struct kube_obj *const *)a;
        const struct kube_obj *y = *(const struct kube_obj *const *)b;
        int c = strcmp(x->ns, y->ns);

        return c ? c : strcmp(x->name, y->name);
}

struct kube_watch *
kube_watch_open(struct kube *k, const struct kube_res *r, const char *ns,
                const struct kube_watch_opts *o, cJSON **err, int *code)
{
        struct kube_watch *w = cc_calloc(1, sizeof(*w));
        char msg[512];
        const char *rv = o->resource_version ? o->resource_version : "";
        long timeout = 1800;
        size_t i;
        int rc;

        if (!w) {
                *code = 500;
                *err = kube_status(500, "InternalError", "out of memory", NULL, NULL);
                return NULL;
        }
        w->k = k;
        w->res = r;
        w->all_ns = ns == NULL;
        snprintf(w->ns, sizeof(w->ns), "%s", ns ? ns : "");
        w->table = o->table;
        w->bookmarks = o->bookmarks;
        w->fd = o->fd;
        snprintf(w->include, sizeof(w->include), "%s",
                 o->include_object ? o->include_object : "Metadata");
        snprintf(w->path, sizeof(w->path), "%s", o->path ? o->path : "");
        cc_buf_init(&w->pending, 0);
        if ((rc = kube_lsel_parse(o->label_selector, &w->ls, msg, sizeof(msg))) ||
            (rc = kube_fsel_parse(o->field_selector, r, &w->fs, msg, sizeof(msg)))) {
                *code = rc;
                *err = kube_status(rc, "BadRequest", msg, NULL, NULL);
                goto fail;
        }
        if (o->timeout_seconds && o->timeout_seconds[0]) {
                char *end;

                timeout = strtol(o->timeout_seconds, &end, 10);
                if (*end || timeout < 0) {
                        *code = 400;
                        *err = kube_status(400, "BadRequest", "invalid timeoutSeconds", NULL, NULL);
                        goto fail;
                }
                if (timeout == 0)
                        timeout = 1800;
        }
        if (o->send_initial && !o->bookmarks) {
                *code = 422;
                *err = kube_status(422, "Invalid",
                                   "ListOptions.meta.k8s.io \"\" is invalid: allowWatchBookmarks: "
                                   "Forbidden: sendInitialEvents requires setting "
                                   "allowWatchBookmarks to true",
                                   NULL, NULL);
                goto fail;
        }
        w->deadline = time(NULL) + timeout;
        w->last_bookmark = time(NULL);
        if (!rv[0] || !strcmp(rv, "0") || o->send_initial) {
                struct kube_obj **v = cc_calloc(k->nobjs + 1, sizeof(*v));
                size_t n = 0;

                if (!v) {
                        *code = 500;
                        *err = kube_status(500, "InternalError", "out of memory", NULL, NULL);
                        goto fail;
                }
                for (i = 0; i < k->nobjs; i++)
                        if (matches(w, k->objs[i].res, k->objs[i].ns, k->objs[i].obj))
                                v[n++] = &k->objs[i];
                qsort(v, n, sizeof(*v), cmp_obj);
                for (i = 0; i < n; i++)
                        emit(w, "ADDED", v[i]->obj, &w->pending);
                cc_free(v);
                w->since = k->rv;
                if (o->send_initial)
                        emit_bookmark(w, true, &w->pending);
        } else {
                char *end;
                unsigned long n = strtoul(rv, &end, 10);

                if (*end || rv[0] == '-') {
                        snprintf(msg, sizeof(msg), "invalid resource version: \"%.64s\"", rv);
                        *code = 400;
                        *err = kube_status(400, "BadRequest", msg, NULL, NULL);
                        goto fail;
                }
                if (n < k->compacted) {
                        emit_expired(w, n, &w->pending);
                        w->ended = true;
                }
                w->since = n;
        }
        for (i = 0; i < k->ndrops; i++) {
                if (k->drops[i].remaining && !fnmatch(k->drops[i].path, w->path, 0)) {
                        k->drops[i].remaining--;
                        w->dropped = true;
                        break;
                }
        }
        w->next = k->watches;
        k->watches = w;
        *code = 200;
        return w;
fail:
        kube_sel_release(&w->ls);
        kube_sel_release(&w->fs);
        cc_buf_release(&w->pending);
        cc_free(w);
        return NULL;
}

bool
kube_watch_poll(struct kube_watch *w, struct cc_buf *out)
{
        struct kube *k = w->k;
        size_t i;
        time_t now = time(NULL);

        if (w->pending.len) {
                cc_buf_append(out, w->pending.data, w->pending.len);
                cc_buf_reset(&w->pending);
                return true;
        }
        if (w->ended || w->dropped)
                return false;
        if (w->since < k->compacted) {
                /* events this watcher had not seen fell out of the window */
                emit_expired(w, w->since, out);
                w->ended = true;
                return true;
        }
        for (i = 0; i < k->nevents; i++) {
                const struct kube_event *e = &k->events[i];
                bool now_ok, was_ok;

                if (e->rv <= w->since)
                        continue;
                w->since = e->rv;
                now_ok = matches(w, e->res, e->ns, e->obj);
                was_ok = e->type != KE_ADDED && matches(w, e->res, e->ns, e->prev);
                if (e->type == KE_MODIFIED && now_ok && !was_ok) {
                        emit(w, "ADDED", e->obj, out);
                } else if (e->type == KE_MODIFIED && was_ok && !now_ok) {
                        cJSON *gone = cJSON_Duplicate(e->prev, true);
                        char rv[32];

                        snprintf(rv, sizeof(rv), "%lu", e->rv);
                        cJSON_ReplaceItemInObjectCaseSensitive(
                            cJSON_GetObjectItemCaseSensitive(gone, "metadata"), "resourceVersion",
                            cJSON_CreateString(rv));
                        emit(w, "DELETED", gone, out);
                        cJSON_Delete(gone);
                } else if (e->type == KE_DELETED ? (now_ok || was_ok) : now_ok) {
                        emit(w,
                             e->type == KE_ADDED      ? "ADDED"
                             : e->type == KE_MODIFIED ? "MODIFIED"
                                                      : "DELETED",
                             e->obj, out);
                }
        }
        if (w->since < k->rv)
                w->since = k->rv;
        if (w->bookmarks && now - w->last_bookmark >= k->cfg.bookmark_interval) {
                emit_bookmark(w, false, out);
                w->last_bookmark = now;
        }
        if (now >= w->deadline && !out->len)
                return false;
        return true;
}

static bool
peer_closed(int fd)
{
        struct pollfd p = { .fd = fd, .events = POLLRDHUP };

        if (fd < 0)
                return false;
        if (poll(&p, 1, 0) <= 0)
                return false;
        return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

static bool
stream(void *ud, struct cc_buf *out)
{
        struct kube_watch *w = ud;
        struct kube *k = w->k;
        pthread_mutex_t *m = cc_mocksrv_mutex(k->srv);
        bool more = true;

        pthread_mutex_lock(m);
        for (;;) {
                struct timespec ts;
                time_t now;

                if (cc_mocksrv_stopping(k->srv)) {
                        more = false;
                        break;
                }
                if (w->dropped) {
                        /* an abrupt end: the client sees a broken stream */
                        if (w->fd >= 0)
                                shutdown(w->fd, SHUT_RDWR);
                        more = false;
                        break;
                }
                more = kube_watch_poll(w, out);
                if (out->len || !more)
                        break;
                now = time(NULL);
                if (now >= w->deadline) {
                        more = false;
                        break;
                }
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_sec += 1;
                pthread_cond_timedwait(&k->cond, m, &ts);
                if (peer_closed(w->fd)) {
                        more = false;
                        break;
                }
        }
        pthread_mutex_unlock(m);
        return more || out->len;
}

void
kube_watch_close(struct kube_watch *w)
{
        struct kube *k;
        struct kube_watch **pp;
        pthread_mutex_t *m;

        if (!w)
                return;
        k = w->k;
        m = k->srv ? cc_mocksrv_mutex(k->srv) : NULL;
        if (m)
                pthread_mutex_lock(m);
        for (pp = &k->watches; *pp; pp = &(*pp)->next) {
                if (*pp == w) {
                        *pp = w->next;
                        break;
                }
        }
        if (m)
                pthread_mutex_unlock(m);
        kube_sel_release(&w->ls);
        kube_sel_release(&w->fs);
        cc_buf_release(&w->pending);
        cc_free(w);
}

static void
stream_free(void *ud)
{
        kube_watch_close(ud);
}

int
kube_watch_start(struct kube *k, const struct kube_res *r, const char *ns,
                 const struct kube_watch_opts *o, struct cc_mock_resp *resp, cJSON **err)
{
        int code = 500;
        struct kube_watch *w = kube_watch_open(k, r, ns, o, err, &code);

        if (!w)
                return code;
        resp->status = 200;
        snprintf(resp->content_type, sizeof(resp->content_type), "%s",
                 o->table ? "application/json;as=Table;v=v1;g=meta.k8s.io" : "application/json");
        resp->stream = stream;
        resp->stream_free = stream_free;
        resp->stream_ud = w;
        return 200;
}

size_t
kube_watch_drop(struct kube *k, const char *pattern, size_t n)
{
        struct kube_watch *w;
        size_t dropped = 0;

        for (w = k->watches; w && dropped < n; w = w->next) {
                if (w->dropped || fnmatch(pattern, w->path, 0))
                        continue;
                w->dropped = true;
                dropped++;
        }
        pthread_cond_broadcast(&k->cond);
        return dropped;
}

size_t
kube_watch_count(const struct kube *k)
{
        const struct kube_watch *w;
        size_t n = 0;

        for (w = k->watches; w; w = w->next)
                n++;
        return n;
}
