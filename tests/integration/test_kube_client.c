/* test_kube_client.c -- the kube client, informer and leader election against a fake API server.
 *
 * The fake is a small stateful apiserver on the test server: one store of
 * objects keyed "plural/ns/name", a global resourceVersion counter, an
 * event ring for watches (with compaction to force 410 Gone), strict
 * resourceVersion checks on PUT, merge patch, paginated lists, and knobs
 * to cut watch streams and to fail a given client (by User-Agent).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/log.h"
#include "kube/client.h"
#include "kube/events.h"
#include "kube/informer.h"
#include "kube/lease.h"
#include "lib/testlib.h"
#include "lib/testsrv.h"

/* --- the fake apiserver --------------------------------------------------------- */

#define RING  1024
#define NOBJ  256
#define NSTRM 64

struct fobj {
        char key[192]; /* plural/ns/name */
        cJSON *obj;
};

struct fevent {
        long rv;
        char plural[64];
        char *line; /* {"type":..,"object":..} */
};

struct stream {
        char plural[64];
        long pos;  /* last rv sent */
        int gen;   /* drop generation at start */
        int state; /* 0 = check start, 1 = streaming, 2 = end after error */
        uint64_t deadline_ms;
};

struct fake {
        pthread_mutex_t mu;
        pthread_cond_t cv;
        long rv;
        long compact_rv; /* watches starting below this get 410 */
        struct fobj objs[NOBJ];
        int nobj;
        struct fevent ring[RING];
        int nring;
        struct stream *streams[NSTRM];
        int nstreams;
        int drop_gen;
        char fail_agent[64]; /* requests with this User-Agent get 503 */
        int puts_409;
        int watches;
        struct cc_testsrv *srv;
};

static struct fake *g_fake; /* the stream callback has no other way to it */

static uint64_t
mono_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct fobj *
find(struct fake *f, const char *key)
{
        int i;

        for (i = 0; i < f->nobj; i++)
                if (strcmp(f->objs[i].key, key) == 0)
                        return &f->objs[i];
        return NULL;
}

/* record a watch event; f->mu held */
static void
emit(struct fake *f, const char *plural, const char *type, const cJSON *obj)
{
        cJSON *ev = cJSON_CreateObject();
        struct fevent *e;

        cJSON_AddStringToObject(ev, "type", type);
        cJSON_AddItemToObject(ev, "object", cJSON_Duplicate(obj, 1));
        assert_true(f->nring < RING);
        e = &f->ring[f->nring++];
        e->rv = f->rv;
        snprintf(e->plural, sizeof(e->plural), "%s", plural);
        e->line = cJSON_PrintUnformatted(ev);
        cJSON_Delete(ev);
        pthread_cond_broadcast(&f->cv);
}

static void
set_rv(cJSON *obj, long rv)
{
        char buf[32];
        cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");

        snprintf(buf, sizeof(buf), "%ld", rv);
        cJSON_DeleteItemFromObjectCaseSensitive(md, "resourceVersion");
        cJSON_AddStringToObject(md, "resourceVersion", buf);
}

/* store obj (taken) under key as a new revision; f->mu held */
static void
store(struct fake *f, const char *plural, const char *key, cJSON *obj)
{
        struct fobj *o = find(f, key);
        const char *type = o ? "MODIFIED" : "ADDED";

        f->rv++;
        set_rv(obj, f->rv);
        if (!o) {
                assert_true(f->nobj < NOBJ);
                o = &f->objs[f->nobj++];
                snprintf(o->key, sizeof(o->key), "%s", key);
        } else {
                cJSON_Delete(o->obj);
        }
        o->obj = obj;
        emit(f, plural, type, obj);
}

static void
remove_obj(struct fake *f, const char *plural, const char *key)
{
        struct fobj *o = find(f, key);

        if (!o)
                return;
        f->rv++;
        set_rv(o->obj, f->rv);
        emit(f, plural, "DELETED", o->obj);
        cJSON_Delete(o->obj);
        *o = f->objs[--f->nobj];
}

/* server-side writes from the test thread */
static void
fake_put(struct fake *f, const char *plural, const char *ns, const char *name, const char *data)
{
        char key[192], js[512];
        cJSON *obj = NULL;

        snprintf(key, sizeof(key), "%s/%s/%s", plural, ns, name);
        snprintf(js, sizeof(js),
                 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"%s\","
                 "\"namespace\":\"%s\"},\"data\":{\"v\":\"%s\"}}",
                 name, ns, data);
        assert_int_equal(cc_json_parse(js, strlen(js), 0, &obj, NULL), CC_OK);
        pthread_mutex_lock(&f->mu);
        store(f, plural, key, obj);
        pthread_mutex_unlock(&f->mu);
}

static void
fake_delete(struct fake *f, const char *plural, const char *ns, const char *name)
{
        char key[192];

        snprintf(key, sizeof(key), "%s/%s/%s", plural, ns, name);
        pthread_mutex_lock(&f->mu);
        remove_obj(f, plural, key);
        pthread_mutex_unlock(&f->mu);
}

/* cut every watch stream; with compact, watches from older RVs get 410 */
static void
fake_drop_watches(struct fake *f, bool compact)
{
        pthread_mutex_lock(&f->mu);
        f->drop_gen++;
        if (compact)
                f->compact_rv = f->rv;
        pthread_cond_broadcast(&f->cv);
        pthread_mutex_unlock(&f->mu);
}

static ssize_t
stream_next(void *ud, uint64_t pos, char *buf, size_t max)
{
        struct stream *s = ud;
        struct fake *f = g_fake;
        ssize_t n = 0;
        int i;

        pthread_mutex_lock(&f->mu);
        for (;;) {
                if (s->gen != f->drop_gen) {
                        n = -1;
                        break;
                }
                if (s->state == 2) {
                        n = 0;
                        break;
                }
                if (s->state == 0) {
                        s->state = 1;
                        if (s->pos < f->compact_rv) {
                                n = snprintf(buf, max,
                                             "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\","
                                             "\"apiVersion\":\"v1\",\"metadata\":{},\"status\":"
                                             "\"Failure\",\"message\":\"too old resource version: "
                                             "%ld (%ld)\",\"reason\":\"Expired\",\"code\":410}}\n",
                                             s->pos, f->compact_rv);
                                s->state = 2;
                                break;
                        }
                }
                for (i = 0; i < f->nring; i++) {
                        struct fevent *e = &f->ring[i];

                        if (e->rv > s->pos && strcmp(e->plural, s->plural) == 0 &&
                            strlen(e->line) + 1 < max)
                                break;
                }
                if (i < f->nring) {
                        n = snprintf(buf, max, "%s\n", f->ring[i].line);
                        s->pos = f->ring[i].rv;
                        break;
                }
                if (mono_ms() >= s->deadline_ms) {
                        n = 0;
                        break;
                }
                {
                        struct timespec ts;

                        clock_gettime(CLOCK_REALTIME, &ts);
                        ts.tv_nsec += 50 * 1000000L;
                        if (ts.tv_nsec >= 1000000000L) {
                                ts.tv_sec++;
                                ts.tv_nsec -= 1000000000L;
                        }
                        pthread_cond_timedwait(&f->cv, &f->mu, &ts);
                }
        }
        pthread_mutex_unlock(&f->mu);
        return n;
}

static const char *
arg(const struct cc_testsrv_req *q, const char *k)
{
        return MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, k);
}

static void
reply(struct cc_testsrv_resp *r, int status, cJSON *body)
{
        static _Thread_local char buf[131072]; /* the test server copies it after we return */
        char *js = cJSON_PrintUnformatted(body);

        assert_true(js && strlen(js) < sizeof(buf));
        snprintf(buf, sizeof(buf), "%s", js);
        cc_free(js);
        cJSON_Delete(body);
        r->status = status;
        r->body = buf;
        r->headers[0] = "Content-Type: application/json";
}

static void
status_reply(struct cc_testsrv_resp *r, int code, const char *reason, const char *msg)
{
        cJSON *s = cJSON_CreateObject();

        cJSON_AddStringToObject(s, "kind", "Status");
        cJSON_AddStringToObject(s, "apiVersion", "v1");
        cJSON_AddStringToObject(s, "status", "Failure");
        cJSON_AddStringToObject(s, "message", msg);
        cJSON_AddStringToObject(s, "reason", reason);
        cJSON_AddNumberToObject(s, "code", code);
        reply(r, code, s);
}

static void
merge(cJSON *dst, const cJSON *patch)
{
        const cJSON *it;

        cJSON_ArrayForEach(it, patch)
        {
                cJSON *cur = cJSON_GetObjectItemCaseSensitive(dst, it->string);

                if (cJSON_IsNull(it))
                        cJSON_DeleteItemFromObjectCaseSensitive(dst, it->string);
                else if (cJSON_IsObject(it) && cJSON_IsObject(cur))
                        merge(cur, it);
                else if (cur)
                        cJSON_ReplaceItemInObjectCaseSensitive(dst, it->string,
                                                               cJSON_Duplicate(it, 1));
                else
                        cJSON_AddItemToObject(dst, it->string, cJSON_Duplicate(it, 1));
        }
}

static int
cmp_key(const void *a, const void *b)
{
        return strcmp((*(const struct fobj *const *)a)->key, (*(const struct fobj *const *)b)->key);
}

/* paths: /api/v1/namespaces/{ns}/{plural}[/{name}] and /apis/{g}/{v}/namespaces/... */
static void
handle(const struct cc_testsrv_req *q, struct cc_testsrv_resp *r, void *ud)
{
        struct fake *f = ud;
        char plural[64] = "", ns[64] = "", name[128] = "", key[192], prefix[192];
        const char *p = q->path, *ua = cc_testsrv_req_header(q, "User-Agent");
        cJSON *body = NULL;
        struct fobj *o;
        int segs;

        if (strncmp(p, "/api/v1/", 8) == 0)
                p += 8;
        else if (strncmp(p, "/apis/", 6) == 0 && (p = strchr(p + 6, '/')) &&
                 (p = strchr(p + 1, '/')))
                p++;
        else {
                status_reply(r, 404, "NotFound",
                             "the server could not find the requested resource");
                return;
        }
        segs = sscanf(p, "namespaces/%63[^/]/%63[^/]/%127[^/]", ns, plural, name);
        if (segs < 2) {
                status_reply(r, 404, "NotFound",
                             "the server could not find the requested resource");
                return;
        }
        pthread_mutex_lock(&f->mu);
        if (f->fail_agent[0] && ua && strcmp(ua, f->fail_agent) == 0) {
                pthread_mutex_unlock(&f->mu);
                status_reply(r, 503, "ServiceUnavailable", "partitioned");
                return;
        }
        snprintf(key, sizeof(key), "%s/%s/%s", plural, ns, name);
        if (q->body_len && cc_json_parse(q->body, q->body_len, 0, &body, NULL) != CC_OK) {
                pthread_mutex_unlock(&f->mu);
                status_reply(r, 400, "BadRequest", "bad json");
                return;
        }
        if (strcmp(q->method, "GET") == 0 && segs == 2 && arg(q, "watch")) {
                struct stream *s = cc_calloc(1, sizeof(*s));
                const char *rv = arg(q, "resourceVersion"), *to = arg(q, "timeoutSeconds");

                snprintf(s->plural, sizeof(s->plural), "%s", plural);
                s->pos = rv ? atol(rv) : f->rv;
                s->gen = f->drop_gen;
                s->deadline_ms = mono_ms() + (to ? (uint64_t)atol(to) * 1000 : 60000);
                assert_true(f->nstreams < NSTRM);
                f->streams[f->nstreams++] = s;
                f->watches++;
                pthread_mutex_unlock(&f->mu);
                r->headers[0] = "Content-Type: application/json";
                r->stream = stream_next;
                r->stream_ud = s;
                cJSON_Delete(body);
                return;
        }
        if (strcmp(q->method, "GET") == 0 && segs == 2) {
                struct fobj *sorted[NOBJ];
                const char *cont = arg(q, "continue"), *lim = arg(q, "limit");
                long limit = lim ? atol(lim) : 0, n = 0;
                cJSON *list = cJSON_CreateObject(), *items, *md;
                int i, k = 0;
                char rvs[32];

                snprintf(prefix, sizeof(prefix), "%s/%s/", plural, ns);
                for (i = 0; i < f->nobj; i++)
                        if (strncmp(f->objs[i].key, prefix, strlen(prefix)) == 0)
                                sorted[k++] = &f->objs[i];
                qsort(sorted, (size_t)k, sizeof(sorted[0]), cmp_key);
                cJSON_AddStringToObject(list, "kind", "List");
                md = cJSON_AddObjectToObject(list, "metadata");
                snprintf(rvs, sizeof(rvs), "%ld", f->rv);
                cJSON_AddStringToObject(md, "resourceVersion", rvs);
                items = cJSON_AddArrayToObject(list, "items");
                for (i = 0; i < k; i++) {
                        if (cont && strcmp(sorted[i]->key, cont) <= 0)
                                continue;
                        if (limit && n == limit) {
                                cJSON_AddStringToObject(md, "continue", sorted[i - 1]->key);
                                break;
                        }
                        cJSON_AddItemToArray(items, cJSON_Duplicate(sorted[i]->obj, 1));
                        n++;
                }
                pthread_mutex_unlock(&f->mu);
                reply(r, 200, list);
                cJSON_Delete(body);
                return;
        }
        o = segs == 3 ? find(f, key) : NULL;
        if (strcmp(q->method, "GET") == 0) {
                cJSON *c = o ? cJSON_Duplicate(o->obj, 1) : NULL;

                pthread_mutex_unlock(&f->mu);
                if (c)
                        reply(r, 200, c);
                else
                        status_reply(r, 404, "NotFound", "not found");
        } else if (strcmp(q->method, "POST") == 0 && segs == 2) {
                const cJSON *nm = cc_json_lookup(body, "metadata.name");

                snprintf(key, sizeof(key), "%s/%s/%s", plural, ns,
                         cJSON_IsString(nm) ? nm->valuestring : "");
                if (find(f, key)) {
                        pthread_mutex_unlock(&f->mu);
                        status_reply(r, 409, "AlreadyExists", "already exists");
                } else {
                        cJSON *c = cJSON_Duplicate(body, 1);

                        store(f, plural, key, c);
                        c = cJSON_Duplicate(c, 1);
                        pthread_mutex_unlock(&f->mu);
                        reply(r, 201, c);
                }
        } else if (strcmp(q->method, "PUT") == 0 && o) {
                const cJSON *rv = cc_json_lookup(body, "metadata.resourceVersion");
                const cJSON *cur = cc_json_lookup(o->obj, "metadata.resourceVersion");

                if (!cJSON_IsString(rv) || !rv->valuestring[0]) {
                        pthread_mutex_unlock(&f->mu);
                        status_reply(r, 422, "Invalid",
                                     "metadata.resourceVersion: must be "
                                     "specified for an update");
                } else if (strcmp(rv->valuestring, cur->valuestring) != 0) {
                        f->puts_409++;
                        pthread_mutex_unlock(&f->mu);
                        status_reply(r, 409, "Conflict", "the object has been modified");
                } else {
                        cJSON *c = cJSON_Duplicate(body, 1);

                        store(f, plural, key, c);
                        c = cJSON_Duplicate(c, 1);
                        pthread_mutex_unlock(&f->mu);
                        reply(r, 200, c);
                }
        } else if (strcmp(q->method, "PATCH") == 0 && o) {
                cJSON *c = cJSON_Duplicate(o->obj, 1);

                merge(c, body);
                store(f, plural, key, c);
                c = cJSON_Duplicate(c, 1);
                pthread_mutex_unlock(&f->mu);
                reply(r, 200, c);
        } else if (strcmp(q->method, "DELETE") == 0 && o) {
                remove_obj(f, plural, key);
                pthread_mutex_unlock(&f->mu);
                status_reply(r, 200, "", "deleted");
                r->status = 200;
        } else {
                pthread_mutex_unlock(&f->mu);
                status_reply(r, 404, "NotFound", "not found");
        }
        cJSON_Delete(body);
}

static struct fake *
fake_start(void)
{
        struct fake *f = cc_calloc(1, sizeof(*f));

        pthread_mutex_init(&f->mu, NULL);
        pthread_cond_init(&f->cv, NULL);
        f->rv = 100;
        g_fake = f;
        f->srv = cc_testsrv_start(handle, f);
        assert_non_null(f->srv);
        return f;
}

static void
fake_stop(struct fake *f)
{
        int i;

        fake_drop_watches(f, false);
        cc_testsrv_stop(f->srv);
        for (i = 0; i < f->nobj; i++)
                cJSON_Delete(f->objs[i].obj);
        for (i = 0; i < f->nring; i++)
                cc_free(f->ring[i].line);
        for (i = 0; i < f->nstreams; i++)
                cc_free(f->streams[i]);
        pthread_mutex_destroy(&f->mu);
        pthread_cond_destroy(&f->cv);
        cc_free(f);
        g_fake = NULL;
}

/* --- harness ------------------------------------------------------------------- */

struct env {
        struct cc_loop loop;
        struct cc_http http;
        struct cc_kube_config cfg;
        struct cc_kube_client *k;
        struct fake *f;
        char server[128];
};

static void
env_start(struct env *e, const char *agent)
{
        struct cc_http_opts ho = { .retry = { .max_attempts = 1 } };
        struct cc_kube_client_opts ko = { .user_agent = agent };
        const char *url;

        memset(e, 0, sizeof(*e));
        e->f = fake_start();
        assert_int_equal(cc_loop_init(&e->loop, NULL), CC_OK);
        assert_int_equal(cc_http_init(&e->http, &e->loop, &ho, NULL), CC_OK);
        url = cc_testsrv_url(e->f->srv, "");
        snprintf(e->server, sizeof(e->server), "%s", url);
        e->cfg.server = e->server;
        e->cfg.namespace = "default";
        assert_int_equal(cc_kube_client_new(&e->http, &e->cfg, &ko, &e->k, NULL), CC_OK);
}

static void
env_stop(struct env *e)
{
        cc_kube_client_free(e->k);
        cc_http_release(&e->http);
        assert_int_equal(cc_loop_release(&e->loop), CC_OK);
        fake_stop(e->f);
}

/* --- informer: exactly once across a dropped stream and a 410 relist ---------- */

struct inf_test {
        struct env *e;
        struct cc_kube_informer *inf;
        char log[128][64];
        int n;
        int step;
        struct cc_timer *timer;
        uint64_t deadline;
        bool failed;
};

static void
logit(struct inf_test *t, const char *what, const cJSON *obj)
{
        const cJSON *nm = cc_json_lookup(obj, "metadata.name");
        const cJSON *v = cc_json_lookup(obj, "data.v");

        assert_true(t->n < 128);
        snprintf(t->log[t->n++], 64, "%s %s=%s", what, nm ? nm->valuestring : "?",
                 cJSON_IsString(v) ? v->valuestring : "");
}

static void
i_add(const cJSON *o, void *ud)
{
        logit(ud, "add", o);
}

static void
i_update(const cJSON *old, const cJSON *o, void *ud)
{
        logit(ud, "update", o);
}

static void
i_delete(const cJSON *o, void *ud)
{
        logit(ud, "delete", o);
}

static bool
seen(struct inf_test *t, const char *line)
{
        int i, c = 0;

        for (i = 0; i < t->n; i++)
                c += strcmp(t->log[i], line) == 0;
        return c > 0;
}

/* the test's steps, polled from a timer; each waits for what the previous one caused */
static void
i_tick(struct cc_timer *tm, void *ud)
{
        struct inf_test *t = ud;
        struct fake *f = t->e->f;

        if (cc_loop_now_ms(&t->e->loop) > t->deadline) {
                t->failed = true;
                cc_kube_informer_stop(t->inf);
                cc_timer_cancel(tm);
                return;
        }
        switch (t->step) {
        case 0:
                if (!cc_kube_informer_has_synced(t->inf))
                        return;
                fake_put(f, "configmaps", "team", "d", "1");
                fake_put(f, "configmaps", "team", "a", "2");
                t->step++;
                break;
        case 1:
                if (!seen(t, "add d=1") || !seen(t, "update a=2"))
                        return;
                /* cut the stream, then change things while it is down */
                fake_drop_watches(f, false);
                fake_delete(f, "configmaps", "team", "b");
                t->step++;
                break;
        case 2:
                if (!seen(t, "delete b=1"))
                        return;
                /* changes, then compaction: the informer must relist to see them */
                fake_put(f, "configmaps", "team", "c", "2");
                fake_put(f, "configmaps", "team", "e", "1");
                fake_delete(f, "configmaps", "team", "d");
                fake_drop_watches(f, true);
                t->step++;
                break;
        case 3:
                if (!seen(t, "update c=2") || !seen(t, "add e=1") || !seen(t, "delete d=1"))
                        return;
                /* after the relist the watch resumes */
                fake_put(f, "configmaps", "team", "e", "2");
                t->step++;
                break;
        case 4:
                if (!seen(t, "update e=2"))
                        return;
                t->step++;
                cc_kube_informer_stop(t->inf);
                cc_timer_cancel(tm);
                break;
        }
}

static void
test_informer_exactly_once(void **state)
{
        static const char *const want[] = { "add a=1",    "add b=1",    "add c=1",    "add d=1",
                                            "update a=2", "delete b=1", "update c=2", "add e=1",
                                            "delete d=1", "update e=2" };
        const struct cc_kube_informer_handlers h = { i_add, i_update, i_delete, NULL };
        const struct cc_kube_informer_opts o = {
                .ns = "team",
                .page_size = 2,
                .backoff_base_ms = 20,
                .backoff_cap_ms = 100,
        };
        struct inf_test t = { 0 };
        struct cc_kube_informer_stats st;
        struct env e;
        size_t i;
        int j, c;

        env_start(&e, NULL);
        t.e = &e;
        fake_put(e.f, "configmaps", "team", "a", "1");
        fake_put(e.f, "configmaps", "team", "b", "1");
        fake_put(e.f, "configmaps", "team", "c", "1");
        fake_put(e.f, "configmaps", "other", "x", "1"); /* another namespace: never seen */
        assert_int_equal(cc_kube_informer_new(e.k, cc_kube_resource_by_kind("ConfigMap"), &o, &h,
                                              &t, &t.inf, NULL),
                         CC_OK);
        assert_int_equal(cc_kube_informer_start(t.inf, NULL), CC_OK);
        t.deadline = cc_loop_now_ms(&e.loop) + 20000;
        assert_int_equal(cc_timer_start(&e.loop, 10, 10, i_tick, &t, &t.timer), CC_OK);
        assert_int_equal(cc_loop_run(&e.loop), CC_OK);
        assert_false(t.failed);
        /* every change exactly once (the initial adds in any order) */
        for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                for (j = 0, c = 0; j < t.n; j++)
                        c += strcmp(t.log[j], want[i]) == 0;
                if (c != 1)
                        fail_msg("'%s' seen %d times", want[i], c);
        }
        assert_int_equal(t.n, (int)(sizeof(want) / sizeof(want[0])));
        assert_int_equal(cc_kube_informer_len(t.inf), 3); /* a, c, e */
        cc_kube_informer_stats(t.inf, &st);
        assert_true(st.relists410 >= 1);
        assert_true(st.lists >= 2);
        assert_true(e.f->watches >= 3);
        cc_kube_informer_free(t.inf);
        env_stop(&e);
}

/* --- read-modify-write under a conflict ----------------------------------------- */

struct rmw {
        struct env *e;
        int gets, conflicts, done;
        cc_err rc;
        bool interfere;
};

static void rmw_get(struct rmw *m);

static void
rmw_put_done(struct cc_kube_op *op, cc_err rc, struct cc_kube_result *res, void *ud)
{
        struct rmw *m = ud;

        if (rc == CC_CONFLICT && strcmp(res->reason, "Conflict") == 0) {
                m->conflicts++;
                rmw_get(m); /* read again, modify again */
                return;
        }
        m->rc = rc;
        m->done++;
}

static void
rmw_got(struct cc_kube_op *op, cc_err rc, struct cc_kube_result *res, void *ud)
{
        struct rmw *m = ud;
        cJSON *obj = res->obj;
        const cJSON *v = cc_json_lookup(obj, "data.v");
        char next[16];

        assert_int_equal(rc, CC_OK);
        m->gets++;
        snprintf(next, sizeof(next), "%d", atoi(v->valuestring) + 1);
        assert_int_equal(cc_json_set_str(obj, "data.v", next), CC_OK);
        if (m->interfere) { /* someone else writes between our read and our write */
                m->interfere = false;
                fake_put(m->e->f, "configmaps", "default", "counter", "10");
        }
        assert_int_equal(cc_kube_update(m->e->k, cc_kube_resource_by_kind("ConfigMap"), obj,
                                        rmw_put_done, m, NULL, NULL),
                         CC_AGAIN);
}

static void
rmw_get(struct rmw *m)
{
        assert_int_equal(cc_kube_get(m->e->k, cc_kube_resource_by_kind("ConfigMap"), NULL,
                                     "counter", rmw_got, m, NULL, NULL),
                         CC_AGAIN);
}

static void
test_conflict_read_modify_write(void **state)
{
        struct rmw m = { 0 };
        struct env e;
        struct fobj *o;

        env_start(&e, NULL);
        m.e = &e;
        m.interfere = true;
        fake_put(e.f, "configmaps", "default", "counter", "1");
        rmw_get(&m);
        assert_int_equal(cc_loop_run(&e.loop), CC_OK);
        assert_int_equal(m.done, 1);
        assert_int_equal(m.rc, CC_OK);
        assert_int_equal(m.conflicts, 1);
        assert_int_equal(m.gets, 2);
        o = find(e.f, "configmaps/default/counter");
        assert_string_equal(cc_json_lookup(o->obj, "data.v")->valuestring, "11");
        assert_int_equal(e.f->puts_409, 1);
        env_stop(&e);
}

/* --- verbs: create, list with pagination, patch, delete, errors ------------------ */

struct verb {
        int calls;
        cc_err rc;
        int status;
        char reason[64];
        cJSON *obj;
};

static void
verb_done(struct cc_kube_op *op, cc_err rc, struct cc_kube_result *res, void *ud)
{
        struct verb *v = ud;

        v->calls++;
        v->rc = rc;
        v->status = res->status;
        snprintf(v->reason, sizeof(v->reason), "%s", res->reason);
        cJSON_Delete(v->obj);
        v->obj = res->obj;
        res->obj = NULL;
}

static void
run_verb(struct env *e, struct verb *v)
{
        assert_int_equal(cc_loop_run(&e->loop), CC_OK);
        assert_int_equal(v->calls, 1);
        v->calls = 0;
}

static void
test_verbs(void **state)
{
        const struct cc_kube_resource *cm = cc_kube_resource_by_kind("ConfigMap");
        const struct cc_kube_list_opts lo = { .page_size = 3 };
        struct verb v = { 0 };
        struct env e;
        cJSON *obj = NULL, *patch = NULL;
        const char *js = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
                         "\"new\"},\"data\":{\"v\":\"1\",\"w\":\"x\"}}";
        int i;
        char name[16];

        env_start(&e, NULL);
        for (i = 0; i < 7; i++) {
                snprintf(name, sizeof(name), "item%d", i);
                fake_put(e.f, "configmaps", "default", name, "0");
        }
        assert_int_equal(cc_json_parse(js, strlen(js), 0, &obj, NULL), CC_OK);
        assert_int_equal(cc_kube_create(e.k, cm, NULL, obj, verb_done, &v, NULL, NULL), CC_AGAIN);
        run_verb(&e, &v);
        assert_int_equal(v.rc, CC_OK);
        assert_int_equal(v.status, 201);
        assert_non_null(cc_json_lookup(v.obj, "metadata.resourceVersion"));
        /* again: AlreadyExists */
        assert_int_equal(cc_kube_create(e.k, cm, "default", obj, verb_done, &v, NULL, NULL),
                         CC_AGAIN);
        run_verb(&e, &v);
        assert_int_equal(v.rc, CC_CONFLICT);
        assert_string_equal(v.reason, "AlreadyExists");
        /* PUT without a resourceVersion is refused before sending */
        assert_int_equal(cc_kube_update(e.k, cm, obj, verb_done, &v, NULL, NULL), CC_INVAL);
        cJSON_Delete(obj);
        /* list: 8 items over 3 pages */
        assert_int_equal(cc_kube_list(e.k, cm, "default", &lo, verb_done, &v, NULL, NULL),
                         CC_AGAIN);
        run_verb(&e, &v);
        assert_int_equal(v.rc, CC_OK);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(v.obj, "items")), 8);
        assert_null(cc_json_lookup(v.obj, "metadata.continue"));
        /* merge patch: null deletes */
        js = "{\"data\":{\"v\":\"2\",\"w\":null}}";
        assert_int_equal(cc_json_parse(js, strlen(js), 0, &patch, NULL), CC_OK);
        assert_int_equal(cc_kube_patch(e.k, cm, NULL, "new", CC_KUBE_PATCH_MERGE, patch, NULL,
                                       verb_done, &v, NULL, NULL),
                         CC_AGAIN);
        cJSON_Delete(patch);
        run_verb(&e, &v);
        assert_int_equal(v.rc, CC_OK);
        assert_string_equal(cc_json_lookup(v.obj, "data.v")->valuestring, "2");
        assert_null(cc_json_lookup(v.obj, "data.w"));
        /* delete, then get: NotFound decoded from the Status */
        assert_int_equal(
            cc_kube_delete(e.k, cm, NULL, "new",
                           &(struct cc_kube_delete_opts){ .propagation = "Background" }, verb_done,
                           &v, NULL, NULL),
            CC_AGAIN);
        run_verb(&e, &v);
        assert_int_equal(v.rc, CC_OK);
        assert_int_equal(cc_kube_get(e.k, cm, NULL, "new", verb_done, &v, NULL, NULL), CC_AGAIN);
        run_verb(&e, &v);
        assert_int_equal(v.rc, CC_NOTFOUND);
        assert_int_equal(v.status, 404);
        assert_string_equal(v.reason, "NotFound");
        /* cancel: the callback fires once with CC_CANCELED */
        {
                struct cc_kube_op *op = NULL;

                assert_int_equal(cc_kube_get(e.k, cm, NULL, "item1", verb_done, &v, &op, NULL),
                                 CC_AGAIN);
                cc_kube_cancel(op);
                run_verb(&e, &v);
                assert_int_equal(v.rc, CC_CANCELED);
        }
        cJSON_Delete(v.obj);
        env_stop(&e);
}

/* --- leader election: one leader at a time, failover, release -------------------- */

struct cand {
        const char *id;
        bool leading;
        int started, stopped;
        uint64_t started_ms;
};

struct election {
        struct env *ea, *eb;
        struct cand a, b;
        struct cc_kube_lease *la, *lb;
        int overlap; /* times both led at once */
        int step;
        uint64_t t0, deadline;
        struct cc_timer *timer;
        uint64_t failover_ms, handover_ms;
        bool failed;
};

static struct election *g_el;

static void
started(void *ud)
{
        struct cand *c = ud;
        struct cand *other = c == &g_el->a ? &g_el->b : &g_el->a;

        if (other->leading)
                g_el->overlap++;
        c->leading = true;
        c->started++;
        c->started_ms = cc_loop_now_ms(&g_el->ea->loop);
}

static void
stopped(void *ud)
{
        struct cand *c = ud;

        c->leading = false;
        c->stopped++;
}

#define DUR_MS   2000
#define RETRY_MS 200

static void
el_tick(struct cc_timer *tm, void *ud)
{
        struct election *el = ud;
        uint64_t now = cc_loop_now_ms(&el->ea->loop);
        struct cand *leader, *other;

        if (now > el->deadline) {
                el->failed = true;
                goto finish;
        }
        switch (el->step) {
        case 0: /* wait for a first leader */
                if (!el->a.leading && !el->b.leading)
                        return;
                /* partition the leader: its renewals fail from now on */
                leader = el->a.leading ? &el->a : &el->b;
                pthread_mutex_lock(&el->ea->f->mu);
                snprintf(el->ea->f->fail_agent, sizeof(el->ea->f->fail_agent), "%s", leader->id);
                pthread_mutex_unlock(&el->ea->f->mu);
                el->t0 = now;
                el->step++;
                return;
        case 1: /* the other takes over once the lease expired */
                other = el->ea->f->fail_agent[0] == 'a' ? &el->b : &el->a;
                if (!other->leading)
                        return;
                el->failover_ms = other->started_ms - el->t0;
                pthread_mutex_lock(&el->ea->f->mu);
                el->ea->f->fail_agent[0] = '\0';
                pthread_mutex_unlock(&el->ea->f->mu);
                /* the new leader stops: it releases, the old one takes over at once */
                cc_kube_lease_stop(other == &el->a ? el->la : el->lb);
                el->t0 = now;
                el->step++;
                return;
        case 2:
                leader = el->ea->f->fail_agent[0] == 'a' ? &el->a : &el->b;
                if (!el->a.leading && !el->b.leading)
                        return;
                el->handover_ms = now - el->t0;
                el->step++;
                goto finish;
        }
        return;
finish:
        cc_kube_lease_stop(el->la);
        cc_kube_lease_stop(el->lb);
        cc_timer_cancel(tm);
}

static void
test_leader_election(void **state)
{
        struct election el = { 0 };
        struct env *eb = NULL;
        struct env ea;
        struct cc_kube_client *kb = NULL;
        struct cc_kube_client_opts ko = { .user_agent = "b" };
        struct cc_kube_lease_opts o = {
                .name = "leader",
                .lease_duration_ms = DUR_MS,
                .renew_deadline_ms = 1500,
                .retry_period_ms = RETRY_MS,
                .on_started_leading = started,
                .on_stopped_leading = stopped,
        };

        (void)eb;
        env_start(&ea, "a");
        assert_int_equal(cc_kube_client_new(&ea.http, &ea.cfg, &ko, &kb, NULL), CC_OK);
        g_el = &el;
        el.ea = &ea;
        el.a.id = "a";
        el.b.id = "b";
        o.identity = "a";
        o.ud = &el.a;
        assert_int_equal(cc_kube_lease_new(ea.k, &o, &el.la, NULL), CC_OK);
        o.identity = "b";
        o.ud = &el.b;
        assert_int_equal(cc_kube_lease_new(kb, &o, &el.lb, NULL), CC_OK);
        assert_int_equal(cc_kube_lease_start(el.la, NULL), CC_OK);
        assert_int_equal(cc_kube_lease_start(el.lb, NULL), CC_OK);
        el.deadline = cc_loop_now_ms(&ea.loop) + 20000;
        assert_int_equal(cc_timer_start(&ea.loop, 20, 20, el_tick, &el, &el.timer), CC_OK);
        assert_int_equal(cc_loop_run(&ea.loop), CC_OK);
        assert_false(el.failed);
        assert_int_equal(el.step, 3);
        assert_int_equal(el.overlap, 0);
        /* failover within the lease duration plus a retry period (and scheduling slack) */
        assert_true(el.failover_ms <= DUR_MS + RETRY_MS + 1000);
        /* a release hands over at the next retry, well before the duration */
        assert_true(el.handover_ms < DUR_MS);
        assert_int_equal(el.a.started, el.a.stopped);
        assert_int_equal(el.b.started, el.b.stopped);
        assert_true(el.a.started >= 1 && el.b.started >= 1);
        {
                struct fobj *l = find(ea.f, "leases/default/leader");

                assert_non_null(l);
                assert_string_equal(cc_json_lookup(l->obj, "spec.holderIdentity")->valuestring, "");
                assert_true(cc_json_lookup(l->obj, "spec.leaseTransitions")->valuedouble >= 2);
        }
        cc_kube_lease_free(el.la);
        cc_kube_lease_free(el.lb);
        cc_kube_client_free(kb);
        env_stop(&ea);
}

/* --- events: repeats within the window patch count and lastTimestamp ------------- */

static uint64_t ev_clock;

static uint64_t
ev_now(void *ud)
{
        return ev_clock;
}

static int
count_events(struct fake *f, const char *reason, double *count)
{
        int i, n = 0;

        pthread_mutex_lock(&f->mu);
        for (i = 0; i < f->nobj; i++) {
                const cJSON *r = cc_json_lookup(f->objs[i].obj, "reason");

                if (strncmp(f->objs[i].key, "events/default/", 15) == 0 && cJSON_IsString(r) &&
                    strcmp(r->valuestring, reason) == 0) {
                        n++;
                        *count = cc_json_lookup(f->objs[i].obj, "count")->valuedouble;
                }
        }
        pthread_mutex_unlock(&f->mu);
        return n;
}

static void
test_events_aggregate(void **state)
{
        const struct cc_kube_events_opts o = {
                .component = "cloudctl",
                .window_ms = 1000,
                .now_ms = ev_now,
        };
        const char *js = "{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"Gateway\","
                         "\"metadata\":{\"name\":\"gw\",\"namespace\":\"default\",\"uid\":\"u1\"}}";
        struct cc_kube_events *ev = NULL;
        cJSON *gw = NULL;
        double count = 0;
        struct env e;

        env_start(&e, NULL);
        assert_int_equal(cc_json_parse(js, strlen(js), 0, &gw, NULL), CC_OK);
        assert_int_equal(cc_kube_events_new(e.k, &o, &ev, NULL), CC_OK);
        ev_clock = 1000;
        /* three at once: one create, the repeats folded into one patch */
        assert_int_equal(cc_kube_event(ev, gw, "Warning", "SyncFailed", "quota exceeded"), CC_OK);
        assert_int_equal(cc_kube_event(ev, gw, "Warning", "SyncFailed", "quota exceeded"), CC_OK);
        assert_int_equal(cc_kube_event(ev, gw, "Warning", "SyncFailed", "quota exceeded"), CC_OK);
        assert_int_equal(cc_loop_run(&e.loop), CC_OK);
        assert_int_equal(count_events(e.f, "SyncFailed", &count), 1);
        assert_true(count == 3);
        /* once more within the window: a patch */
        ev_clock = 1500;
        assert_int_equal(cc_kube_event(ev, gw, "Warning", "SyncFailed", "quota exceeded"), CC_OK);
        assert_int_equal(cc_loop_run(&e.loop), CC_OK);
        assert_int_equal(count_events(e.f, "SyncFailed", &count), 1);
        assert_true(count == 4);
        /* another message: another Event */
        assert_int_equal(cc_kube_event(ev, gw, "Normal", "Synced", "ok"), CC_OK);
        assert_int_equal(cc_loop_run(&e.loop), CC_OK);
        assert_int_equal(count_events(e.f, "Synced", &count), 1);
        assert_true(count == 1);
        /* past the window: a new Event */
        ev_clock = 5000;
        assert_int_equal(cc_kube_event(ev, gw, "Warning", "SyncFailed", "quota exceeded"), CC_OK);
        assert_int_equal(cc_loop_run(&e.loop), CC_OK);
        assert_int_equal(count_events(e.f, "SyncFailed", &count), 2);
        assert_int_equal(cc_kube_event(ev, gw, NULL, "x", "y"), CC_INVAL);
        {
                const cJSON *io;
                int i;

                for (i = 0; i < e.f->nobj; i++)
                        if (strncmp(e.f->objs[i].key, "events/", 7) == 0)
                                break;
                io = cc_json_lookup(e.f->objs[i].obj, "involvedObject");
                assert_string_equal(cc_json_lookup(io, "kind")->valuestring, "Gateway");
                assert_string_equal(cc_json_lookup(io, "uid")->valuestring, "u1");
                assert_string_equal(
                    cc_json_lookup(e.f->objs[i].obj, "source.component")->valuestring, "cloudctl");
        }
        cc_kube_events_free(ev);
        cJSON_Delete(gw);
        env_stop(&e);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_verbs),
                cmocka_unit_test(test_conflict_read_modify_write),
                cmocka_unit_test(test_informer_exactly_once),
                cmocka_unit_test(test_leader_election),
                cmocka_unit_test(test_events_aggregate),
        };

        cc_alloc_init();
        cc_log_configure("off", NULL);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
