/* test_kube_store.c -- mock-kube's object semantics: resourceVersion and
 * generation rules, status subresource, optimistic concurrency, finalizers,
 * garbage collection (background, foreground, orphan) and namespace
 * termination run by the controllers' worker thread, Deployment status and
 * the EndpointSlices of Services (pod holds, zones per cluster), server-side
 * apply, and the watch event window with its 410. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "mocks/kube/kube.h"

#define GW "gateway.networking.k8s.io"

static struct kube *
setup_kube(size_t window)
{
        struct kube_config cfg;
        struct kube *k = cc_calloc(1, sizeof(*k));

        memset(&cfg, 0, sizeof(cfg));
        cfg.window = window;
        cfg.crd_defaults = true;
        assert_non_null(k);
        assert_true(kube_init(k, &cfg));
        return k;
}

static void
teardown_kube(struct kube *k)
{
        kube_release(k);
        cc_free(k);
}

static const struct kube_res *
res(const char *g, const char *v, const char *p)
{
        const struct kube_res *r = kube_res_find(g, v, p);

        assert_non_null(r);
        return r;
}

/* create from JSON text; returns the HTTP status, *out the reply */
static int
create(struct kube *k, const struct kube_res *r, const char *ns, const char *json, cJSON **out)
{
        cJSON *body = cJSON_Parse(json);
        struct kube_write_opts wo = { .manager = "test", .sub = "" };
        int rc;

        assert_non_null(body);
        rc = kube_create(k, r, ns, body, &wo, out);
        cJSON_Delete(body);
        return rc;
}

static int
patch(struct kube *k, const struct kube_res *r, const char *ns, const char *name, const char *ctype,
      const char *sub, const char *body, cJSON **out)
{
        struct kube_write_opts wo = { .manager = "test", .sub = sub };

        return kube_patch(k, r, ns, name, ctype, body, strlen(body), &wo, out);
}

static const char *
s(const cJSON *o, const char *a, const char *b)
{
        const char *v = kube_str(o, a, b);

        return v ? v : "";
}

static double
gen(const cJSON *o)
{
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(o, "metadata"), "generation");

        return cJSON_IsNumber(g) ? g->valuedouble : -1;
}

static const char *
reason(const cJSON *st)
{
        return s(st, "reason", NULL);
}

static const char gw_json[] = "{\"apiVersion\":\"" GW "/v1\",\"kind\":\"Gateway\","
                              "\"metadata\":{\"name\":\"gw\"},\"spec\":{\"gatewayClassName\":"
                              "\"c\",\"listeners\":[{\"name\":\"http\",\"port\":80,"
                              "\"protocol\":\"HTTP\"}]},\"status\":{\"x\":1}}";

static void
test_create_and_rv(void **state)
{
        struct kube *k = setup_kube(100);
        const struct kube_res *gw = res(GW, "v1", "gateways");
        cJSON *out = NULL, *out2 = NULL;
        unsigned long rv0 = kube_current_rv(k);

        (void)state;
        assert_int_equal(create(k, gw, "default", gw_json, &out), 201);
        /* server-owned metadata, defaults, status dropped then defaulted */
        assert_int_equal(strtoul(s(out, "metadata", "resourceVersion"), NULL, 10), rv0 + 1);
        assert_int_equal(strlen(s(out, "metadata", "uid")), 36);
        assert_true(s(out, "metadata", "creationTimestamp")[0] != 0);
        assert_true(gen(out) == 1);
        assert_string_equal(s(out, "metadata", "namespace"), "default");
        assert_null(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(out, "status"), "x"));
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
                             cJSON_GetObjectItemCaseSensitive(out, "status"), "conditions")),
                         2);
        cJSON_Delete(out);
        /* AlreadyExists, missing namespace, bad name, mismatched namespace */
        assert_int_equal(create(k, gw, "default", gw_json, &out), 409);
        assert_string_equal(reason(out), "AlreadyExists");
        assert_string_equal(s(out, "message", NULL),
                            "gateways.gateway.networking.k8s.io \"gw\" already exists");
        cJSON_Delete(out);
        assert_int_equal(create(k, gw, "nope", gw_json, &out), 404);
        assert_string_equal(s(out, "message", NULL), "namespaces \"nope\" not found");
        cJSON_Delete(out);
        assert_int_equal(
            create(k, gw, "default", "{\"metadata\":{\"name\":\"Bad_Name\"},\"spec\":{}}", &out),
            422);
        assert_string_equal(reason(out), "Invalid");
        assert_string_equal(s(cJSON_GetObjectItemCaseSensitive(out, "details"), "kind", NULL),
                            "Gateway");
        assert_non_null(strstr(s(out, "message", NULL),
                               "Gateway.gateway.networking.k8s.io \"Bad_Name\" is invalid: "
                               "metadata.name: Invalid value: \"Bad_Name\""));
        cJSON_Delete(out);
        assert_int_equal(create(k, gw, "default",
                                "{\"metadata\":{\"name\":\"x\",\"namespace\":\"other\"}}", &out),
                         400);
        cJSON_Delete(out);
        /* wrong types never crash: 400 */
        assert_int_equal(
            create(k, gw, "default", "{\"metadata\":{\"name\":\"x\",\"labels\":[1]}}", &out), 400);
        cJSON_Delete(out);
        assert_int_equal(create(k, gw, "default", "{\"metadata\":7}", &out), 400);
        cJSON_Delete(out);
        assert_int_equal(create(k, gw, "default", "[1,2]", &out), 400);
        cJSON_Delete(out);
        assert_int_equal(create(k, gw, "default",
                                "{\"kind\":\"Service\",\"metadata\":{\"name\":"
                                "\"x\"}}",
                                &out),
                         400);
        cJSON_Delete(out);
        /* a failed write takes no resourceVersion */
        assert_int_equal(kube_current_rv(k), rv0 + 1);
        /* get and list */
        assert_int_equal(kube_get(k, gw, "default", "gw", &out), 200);
        assert_int_equal(kube_get(k, gw, "default", "none", &out2), 404);
        assert_string_equal(s(out2, "message", NULL),
                            "gateways.gateway.networking.k8s.io \"none\" not found");
        assert_string_equal(s(cJSON_GetObjectItemCaseSensitive(out2, "details"), "kind", NULL),
                            "gateways");
        cJSON_Delete(out);
        cJSON_Delete(out2);
        teardown_kube(k);
}

static void
test_update_generation_status(void **state)
{
        struct kube *k = setup_kube(100);
        const struct kube_res *gw = res(GW, "v1", "gateways");
        const struct kube_res *lease = res("coordination.k8s.io", "v1", "leases");
        const struct kube_res *cm = res("", "v1", "configmaps");
        cJSON *out = NULL, *body;
        struct kube_write_opts wo = { .manager = "test", .sub = "" };
        char rv[32];
        unsigned long before;

        (void)state;
        assert_int_equal(create(k, gw, "default", gw_json, &out), 201);
        snprintf(rv, sizeof(rv), "%s", s(out, "metadata", "resourceVersion"));
        cJSON_Delete(out);
        /* metadata-only change: new RV, same generation */
        assert_int_equal(patch(k, gw, "default", "gw", "application/merge-patch+json", "",
                               "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}", &out),
                         200);
        assert_true(gen(out) == 1);
        assert_string_not_equal(s(out, "metadata", "resourceVersion"), rv);
        cJSON_Delete(out);
        /* no-op: same RV, no event */
        before = kube_current_rv(k);
        assert_int_equal(patch(k, gw, "default", "gw", "application/merge-patch+json", "",
                               "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}", &out),
                         200);
        assert_int_equal(kube_current_rv(k), before);
        cJSON_Delete(out);
        /* spec change bumps generation; status on the main endpoint is ignored */
        assert_int_equal(patch(k, gw, "default", "gw", "application/merge-patch+json", "",
                               "{\"spec\":{\"gatewayClassName\":\"d\"},\"status\":{\"y\":1}}",
                               &out),
                         200);
        assert_true(gen(out) == 2);
        assert_null(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(out, "status"), "y"));
        cJSON_Delete(out);
        /* /status takes only status: spec and labels ignored, generation kept */
        assert_int_equal(patch(k, gw, "default", "gw", "application/merge-patch+json", "status",
                               "{\"spec\":{\"gatewayClassName\":\"zzz\"},\"metadata\":{\"labels\":"
                               "{\"a\":\"c\"}},\"status\":{\"y\":1}}",
                               &out),
                         200);
        assert_true(gen(out) == 2);
        assert_string_equal(s(out, "spec", "gatewayClassName"), "d");
        assert_string_equal(s(cJSON_GetObjectItemCaseSensitive(out, "metadata"), "labels", NULL),
                            "");
        assert_non_null(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(out, "status"), "y"));
        snprintf(rv, sizeof(rv), "%s", s(out, "metadata", "resourceVersion"));
        cJSON_Delete(out);
        /* SMP on a CRD: 415 */
        assert_int_equal(
            patch(k, gw, "default", "gw", "application/strategic-merge-patch+json", "", "{}", &out),
            415);
        cJSON_Delete(out);
        assert_int_equal(patch(k, gw, "default", "gw", "text/plain", "", "{}", &out), 415);
        cJSON_Delete(out);
        assert_int_equal(
            patch(k, gw, "default", "gw", "application/merge-patch+json", "", "{not json", &out),
            400);
        cJSON_Delete(out);
        /* PUT: stale RV -> 409, missing RV on a CRD -> 422, current RV -> 200 */
        body = cJSON_Parse(gw_json);
        cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(body, "metadata"),
                                "resourceVersion", "1");
        assert_int_equal(kube_update(k, gw, "default", "gw", body, &wo, &out), 409);
        assert_string_equal(reason(out), "Conflict");
        assert_non_null(strstr(s(out, "message", NULL), "the object has been modified"));
        cJSON_Delete(out);
        cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(body, "metadata"),
                                                "resourceVersion");
        assert_int_equal(kube_update(k, gw, "default", "gw", body, &wo, &out), 422);
        assert_non_null(strstr(s(out, "message", NULL), "must be specified for an update"));
        cJSON_Delete(out);
        cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(body, "metadata"),
                                "resourceVersion", rv);
        assert_int_equal(kube_update(k, gw, "default", "gw", body, &wo, &out), 200);
        assert_true(gen(out) == 3); /* spec went back to "c" */
        cJSON_Delete(out);
        cJSON_Delete(body);
        /* a PATCH carrying a stale resourceVersion is a precondition too */
        assert_int_equal(patch(k, gw, "default", "gw", "application/merge-patch+json", "",
                               "{\"metadata\":{\"resourceVersion\":\"5\"}}", &out),
                         409);
        cJSON_Delete(out);
        /* Lease: no generation, PUT without RV -> 422; ConfigMap: unconditional PUT ok */
        assert_int_equal(create(k, lease, "default",
                                "{\"metadata\":{\"name\":\"l\"},\"spec\":{\"renewTime\":"
                                "\"2025-01-01T00:00:00.000000Z\"}}",
                                &out),
                         201);
        assert_true(gen(out) == -1);
        assert_string_equal(s(out, "spec", "renewTime"), "2025-01-01T00:00:00.000000Z");
        cJSON_Delete(out);
        body = cJSON_Parse("{\"metadata\":{\"name\":\"l\"},\"spec\":{}}");
        assert_int_equal(kube_update(k, lease, "default", "l", body, &wo, &out), 422);
        cJSON_Delete(out);
        cJSON_Delete(body);
        assert_int_equal(create(k, cm, "default", "{\"metadata\":{\"name\":\"c\"}}", &out), 201);
        cJSON_Delete(out);
        body = cJSON_Parse("{\"metadata\":{\"name\":\"c\"},\"data\":{\"a\":\"1\"}}");
        assert_int_equal(kube_update(k, cm, "default", "c", body, &wo, &out), 200);
        cJSON_Delete(out);
        assert_int_equal(kube_update(k, cm, "default", "zz", body, &wo, &out), 404);
        cJSON_Delete(out);
        cJSON_Delete(body);
        /* JSON patch failing test: 422 Invalid */
        assert_int_equal(patch(k, cm, "default", "c", "application/json-patch+json", "",
                               "[{\"op\":\"test\",\"path\":\"/data/a\",\"value\":\"2\"}]", &out),
                         422);
        cJSON_Delete(out);
        teardown_kube(k);
}

static void
test_kind_defaults(void **state)
{
        struct kube *k = setup_kube(100);
        cJSON *out = NULL;

        (void)state;
        assert_int_equal(create(k, res("", "v1", "secrets"), "default",
                                "{\"metadata\":{\"name\":\"s\"},\"stringData\":{\"k\":\"abc\"}}",
                                &out),
                         201);
        assert_string_equal(s(out, "data", "k"), "YWJj");
        assert_string_equal(s(out, "type", NULL), "Opaque");
        assert_null(cJSON_GetObjectItemCaseSensitive(out, "stringData"));
        cJSON_Delete(out);
        assert_int_equal(create(k, res("", "v1", "secrets"), "default",
                                "{\"metadata\":{\"name\":\"t\"},\"data\":{\"k\":\"%%%\"}}", &out),
                         400);
        cJSON_Delete(out);
        assert_int_equal(create(k, res("", "v1", "services"), "default",
                                "{\"metadata\":{\"name\":\"svc\"},\"spec\":{\"ports\":[{\"port\":"
                                "80}]}}",
                                &out),
                         201);
        assert_string_equal(s(out, "spec", "type"), "ClusterIP");
        assert_string_equal(
            s(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
                                     cJSON_GetObjectItemCaseSensitive(out, "spec"), "ports"),
                                 0),
              "protocol", NULL),
            "TCP");
        cJSON_Delete(out);
        /* Service names are DNS-1035 labels */
        assert_int_equal(create(k, res("", "v1", "services"), "default",
                                "{\"metadata\":{\"name\":\"1svc\"}}", &out),
                         422);
        cJSON_Delete(out);
        assert_int_equal(create(k, res(GW, "v1", "httproutes"), "default",
                                "{\"metadata\":{\"name\":\"r\"},\"spec\":{\"parentRefs\":[{"
                                "\"name\":\"gw\"}],\"rules\":[{\"backendRefs\":[{\"name\":\"b\","
                                "\"port\":80}]}]}}",
                                &out),
                         201);
        {
                const cJSON *spec = cJSON_GetObjectItemCaseSensitive(out, "spec");
                const cJSON *rule =
                    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(spec, "rules"), 0);
                const cJSON *br =
                    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rule, "backendRefs"), 0);
                const cJSON *m =
                    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rule, "matches"), 0);
                const cJSON *pr =
                    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(spec, "parentRefs"), 0);

                assert_string_equal(s(pr, "group", NULL), GW);
                assert_string_equal(s(pr, "kind", NULL), "Gateway");
                assert_string_equal(s(br, "kind", NULL), "Service");
                assert_int_equal(cJSON_GetObjectItemCaseSensitive(br, "weight")->valueint, 1);
                assert_string_equal(s(m, "path", "type"), "PathPrefix");
                assert_string_equal(s(m, "path", "value"), "/");
        }
        cJSON_Delete(out);
        teardown_kube(k);
}

static void
test_finalizers(void **state)
{
        struct kube *k = setup_kube(100);
        const struct kube_res *cm = res("", "v1", "configmaps");
        cJSON *out = NULL;

        (void)state;
        /* finalizer pending: object stays with a deletionTimestamp */
        assert_int_equal(create(k, cm, "default",
                                "{\"metadata\":{\"name\":\"f\",\"finalizers\":[\"x/y\"]}}", &out),
                         201);
        cJSON_Delete(out);
        assert_int_equal(kube_delete(k, cm, "default", "f", NULL, NULL, false, &out), 200);
        assert_true(s(out, "metadata", "deletionTimestamp")[0] != 0);
        cJSON_Delete(out);
        assert_int_equal(kube_get(k, cm, "default", "f", &out), 200);
        cJSON_Delete(out);
        /* adding a finalizer now is forbidden */
        assert_int_equal(patch(k, cm, "default", "f", "application/merge-patch+json", "",
                               "{\"metadata\":{\"finalizers\":[\"x/y\",\"z\"]}}", &out),
                         422);
        cJSON_Delete(out);
        /* removing the last one deletes it */
        assert_int_equal(patch(k, cm, "default", "f", "application/merge-patch+json", "",
                               "{\"metadata\":{\"finalizers\":null}}", &out),
                         200);
        cJSON_Delete(out);
        assert_int_equal(kube_get(k, cm, "default", "f", &out), 404);
        cJSON_Delete(out);
        /* an unknown propagation policy is refused */
        assert_int_equal(create(k, cm, "default", "{\"metadata\":{\"name\":\"p\"}}", &out), 201);
        cJSON_Delete(out);
        assert_int_equal(kube_delete(k, cm, "default", "p", NULL, "Sideways", false, &out), 422);
        cJSON_Delete(out);
        teardown_kube(k);
}

/* --- the controllers, in their worker thread ---------------------------------
 * The test holds `lk` like a request handler does, so the worker runs only
 * while the test waits (pthread_cond_timedwait on k->cond releases it): what
 * a DELETE leaves behind can be looked at before the controllers act. */

static pthread_mutex_t *lk; /* one per test: a failed one leaves its own locked */

static struct kube *
setup_gc(void)
{
        struct kube *k = setup_kube(1000);

        lk = cc_malloc(sizeof(*lk));
        assert_non_null(lk);
        pthread_mutex_init(lk, NULL);
        assert_true(kube_gc_start(k, lk));
        pthread_mutex_lock(lk);
        return k;
}

static void
teardown_gc(struct kube *k)
{
        pthread_mutex_unlock(lk);
        kube_gc_stop(k);
        kube_gke_stop(k); /* frees the zones a test set */
        assert_false(k->gc.running);
        pthread_mutex_destroy(lk);
        cc_free(lk);
        lk = NULL;
        teardown_kube(k);
}

static void
deadline(struct timespec *ts)
{
        clock_gettime(CLOCK_REALTIME, ts);
        ts->tv_sec += 10; /* a bound on a hang, not a timing check */
}

/* wait until getting r/ns/name answers want; returns the last answer */
static int
wait_get(struct kube *k, const struct kube_res *r, const char *ns, const char *name, int want)
{
        struct timespec until;
        int rc, w = 0;

        deadline(&until);
        for (;;) {
                cJSON *out = NULL;

                rc = kube_get(k, r, ns, name, &out);
                cJSON_Delete(out);
                if (rc == want || w == ETIMEDOUT)
                        return rc;
                w = pthread_cond_timedwait(&k->cond, lk, &until);
        }
}

/* let the worker run two more passes (the second one finds nothing to do) */
static void
settle(struct kube *k)
{
        struct timespec until;
        unsigned long target = k->gc.passes + 2;
        int i;

        /* a pass that changes nothing broadcasts nothing: look every 5 ms */
        for (i = 0; i < 2000 && k->gc.passes < target; i++) {
                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_nsec += 5000000L;
                if (until.tv_nsec >= 1000000000L) {
                        until.tv_sec++;
                        until.tv_nsec -= 1000000000L;
                }
                pthread_cond_timedwait(&k->cond, lk, &until);
        }
        assert_true(k->gc.passes >= target);
}

/* the watch events on kind/ns/name after rv, as "MODIFIED,DELETED" */
static void
events(const struct kube *k, unsigned long rv, const char *kind, const char *ns, const char *name,
       char *out, size_t n)
{
        static const char *const names[] = { "ADDED", "MODIFIED", "DELETED" };
        size_t i, len = 0;

        out[0] = 0;
        for (i = 0; i < k->nevents; i++) {
                const struct kube_event *e = &k->events[i];

                if (e->rv <= rv || strcmp(e->res->kind, kind) || strcmp(e->ns, ns) ||
                    strcmp(s(e->obj, "metadata", "name"), name))
                        continue;
                len += (size_t)snprintf(out + len, n - len, "%s%s", len ? "," : "", names[e->type]);
                assert_true(len < n);
        }
}

static void
owner_json(char *out, size_t n, const char *name, const char *uid, bool block, const char *fin)
{
        snprintf(out, n,
                 "{\"metadata\":{\"name\":\"%s\",%s\"ownerReferences\":[{\"apiVersion\":"
                 "\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"d\",\"uid\":\"%s\"%s}]}}",
                 name, fin ? fin : "", uid, block ? ",\"blockOwnerDeletion\":true" : "");
}

static void
make_owner(struct kube *k, const char *name, char *uid, size_t n)
{
        const struct kube_res *dep = res("apps", "v1", "deployments");
        char json[128];
        cJSON *out = NULL;

        snprintf(json, sizeof(json), "{\"metadata\":{\"name\":\"%s\"},\"spec\":{}}", name);
        assert_int_equal(create(k, dep, "default", json, &out), 201);
        snprintf(uid, n, "%s", s(out, "metadata", "uid"));
        cJSON_Delete(out);
}

static void
test_gc_background(void **state)
{
        struct kube *k = setup_gc();
        const struct kube_res *cm = res("", "v1", "configmaps");
        const struct kube_res *dep = res("apps", "v1", "deployments");
        cJSON *out = NULL;
        char json[512], uid[64], uid2[64], ev[128];
        unsigned long rv;

        (void)state;
        make_owner(k, "d", uid, sizeof(uid));
        owner_json(json, sizeof(json), "owned", uid, false, NULL);
        assert_int_equal(create(k, cm, "default", json, &out), 201);
        cJSON_Delete(out);
        owner_json(json, sizeof(json), "held", uid, false, "\"finalizers\":[\"x/y\"],");
        assert_int_equal(create(k, cm, "default", json, &out), 201);
        cJSON_Delete(out);
        snprintf(json, sizeof(json),
                 "{\"metadata\":{\"name\":\"two-owners\",\"ownerReferences\":[{\"uid\":\"%s\"},"
                 "{\"uid\":\"%s\"}]}}",
                 uid, "never-existed-uid");
        assert_int_equal(create(k, cm, "default", json, &out), 201);
        cJSON_Delete(out);
        make_owner(k, "other", uid2, sizeof(uid2)); /* a live second owner */
        snprintf(json, sizeof(json),
                 "{\"metadata\":{\"name\":\"shared\",\"ownerReferences\":[{\"uid\":\"%s\"},"
                 "{\"uid\":\"%s\"}]}}",
                 uid, uid2);
        assert_int_equal(create(k, cm, "default", json, &out), 201);
        cJSON_Delete(out);
        settle(k);
        rv = kube_current_rv(k);

        /* the owner goes at once (Status with its uid); dependents are still there */
        assert_int_equal(kube_delete(k, dep, "default", "d", NULL, NULL, false, &out), 200);
        assert_string_equal(s(out, "status", NULL), "Success");
        assert_string_equal(s(cJSON_GetObjectItemCaseSensitive(out, "details"), "uid", NULL), uid);
        cJSON_Delete(out);
        assert_int_equal(kube_get(k, dep, "default", "d", &out), 404);
        cJSON_Delete(out);
        assert_int_equal(kube_get(k, cm, "default", "owned", &out), 200);
        cJSON_Delete(out);
        /* ...then the garbage collector deletes them */
        assert_int_equal(wait_get(k, cm, "default", "owned", 404), 404);
        /* an owner that never existed counts as gone too */
        assert_int_equal(wait_get(k, cm, "default", "two-owners", 404), 404);
        events(k, rv, "ConfigMap", "default", "owned", ev, sizeof(ev));
        assert_string_equal(ev, "DELETED");
        /* a dependent with a finalizer is only marked */
        settle(k);
        assert_int_equal(kube_get(k, cm, "default", "held", &out), 200);
        assert_true(s(out, "metadata", "deletionTimestamp")[0] != 0);
        cJSON_Delete(out);
        /* one live owner keeps a dependent */
        assert_int_equal(kube_get(k, cm, "default", "shared", &out), 200);
        cJSON_Delete(out);
        assert_int_equal(kube_delete(k, dep, "default", "other", NULL, "Background", false, &out),
                         200);
        cJSON_Delete(out);
        assert_int_equal(wait_get(k, cm, "default", "shared", 404), 404);
        teardown_gc(k);
}

static void
test_gc_foreground(void **state)
{
        struct kube *k = setup_gc();
        const struct kube_res *cm = res("", "v1", "configmaps");
        const struct kube_res *dep = res("apps", "v1", "deployments");
        cJSON *out = NULL;
        char json[512], uid[64], ev[128];
        unsigned long rv;

        (void)state;
        make_owner(k, "d", uid, sizeof(uid));
        owner_json(json, sizeof(json), "blocker", uid, true, "\"finalizers\":[\"x/y\"],");
        assert_int_equal(create(k, cm, "default", json, &out), 201);
        cJSON_Delete(out);
        owner_json(json, sizeof(json), "plain", uid, false, NULL);
        assert_int_equal(create(k, cm, "default", json, &out), 201);
        cJSON_Delete(out);
        settle(k);
        rv = kube_current_rv(k);

        /* the owner stays, deleting, with the foregroundDeletion finalizer */
        assert_int_equal(kube_delete(k, dep, "default", "d", NULL, "Foreground", false, &out), 200);
        assert_string_equal(s(out, "kind", NULL), "Deployment");
        assert_true(s(out, "metadata", "deletionTimestamp")[0] != 0);
        assert_string_equal(
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
                                   cJSON_GetObjectItemCaseSensitive(out, "metadata"), "finalizers"),
                               0)
                ->valuestring,
            "foregroundDeletion");
        cJSON_Delete(out);
        /* its dependents are deleted; the blocking one is held by its finalizer */
        assert_int_equal(wait_get(k, cm, "default", "plain", 404), 404);
        settle(k);
        assert_int_equal(kube_get(k, cm, "default", "blocker", &out), 200);
        assert_true(s(out, "metadata", "deletionTimestamp")[0] != 0);
        cJSON_Delete(out);
        assert_int_equal(kube_get(k, dep, "default", "d", &out), 200);
        cJSON_Delete(out);
        /* once the blocking dependent is gone, the owner goes */
        assert_int_equal(patch(k, cm, "default", "blocker", "application/merge-patch+json", "",
                               "{\"metadata\":{\"finalizers\":null}}", &out),
                         200);
        cJSON_Delete(out);
        assert_int_equal(wait_get(k, dep, "default", "d", 404), 404);
        events(k, rv, "Deployment", "default", "d", ev, sizeof(ev));
        assert_string_equal(ev, "MODIFIED,DELETED");

        /* a non-blocking dependent does not hold its owner */
        make_owner(k, "d2", uid, sizeof(uid));
        owner_json(json, sizeof(json), "loose", uid, false, "\"finalizers\":[\"x/y\"],");
        assert_int_equal(create(k, cm, "default", json, &out), 201);
        cJSON_Delete(out);
        assert_int_equal(kube_delete(k, dep, "default", "d2", NULL, "Foreground", false, &out),
                         200);
        cJSON_Delete(out);
        assert_int_equal(wait_get(k, dep, "default", "d2", 404), 404);
        assert_int_equal(kube_get(k, cm, "default", "loose", &out), 200);
        assert_true(s(out, "metadata", "deletionTimestamp")[0] != 0);
        cJSON_Delete(out);
        teardown_gc(k);
}

static void
test_gc_orphan(void **state)
{
        struct kube *k = setup_gc();
        const struct kube_res *cm = res("", "v1", "configmaps");
        const struct kube_res *dep = res("apps", "v1", "deployments");
        cJSON *out = NULL;
        char json[512], uid[64], ev[128];
        unsigned long rv;

        (void)state;
        make_owner(k, "d", uid, sizeof(uid));
        owner_json(json, sizeof(json), "orphan", uid, true, NULL);
        assert_int_equal(create(k, cm, "default", json, &out), 201);
        cJSON_Delete(out);
        settle(k);
        rv = kube_current_rv(k);
        /* the owner is marked with the orphan finalizer... */
        assert_int_equal(kube_delete(k, dep, "default", "d", NULL, "Orphan", false, &out), 200);
        assert_true(s(out, "metadata", "deletionTimestamp")[0] != 0);
        assert_string_equal(
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
                                   cJSON_GetObjectItemCaseSensitive(out, "metadata"), "finalizers"),
                               0)
                ->valuestring,
            "orphan");
        cJSON_Delete(out);
        /* ...and goes once its dependent no longer names it; the dependent stays */
        assert_int_equal(wait_get(k, dep, "default", "d", 404), 404);
        settle(k);
        assert_int_equal(kube_get(k, cm, "default", "orphan", &out), 200);
        assert_null(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(out, "metadata"), "ownerReferences"));
        assert_null(kube_str(out, "metadata", "deletionTimestamp"));
        cJSON_Delete(out);
        events(k, rv, "ConfigMap", "default", "orphan", ev, sizeof(ev));
        assert_string_equal(ev, "MODIFIED");
        events(k, rv, "Deployment", "default", "d", ev, sizeof(ev));
        assert_string_equal(ev, "MODIFIED,DELETED");

        /* orphanDependents: true in the DeleteOptions body means the same */
        make_owner(k, "d2", uid, sizeof(uid));
        owner_json(json, sizeof(json), "orphan2", uid, false, NULL);
        assert_int_equal(create(k, cm, "default", json, &out), 201);
        cJSON_Delete(out);
        {
                cJSON *opts = cJSON_Parse("{\"orphanDependents\":true}");

                assert_int_equal(kube_delete(k, dep, "default", "d2", opts, NULL, false, &out),
                                 200);
                cJSON_Delete(opts);
                cJSON_Delete(out);
        }
        assert_int_equal(wait_get(k, dep, "default", "d2", 404), 404);
        settle(k);
        assert_int_equal(kube_get(k, cm, "default", "orphan2", &out), 200);
        cJSON_Delete(out);
        teardown_gc(k);
}

static void
test_namespace_termination(void **state)
{
        struct kube *k = setup_gc();
        const struct kube_res *cm = res("", "v1", "configmaps");
        const struct kube_res *ns = res("", "v1", "namespaces");
        const struct kube_res *gw = res(GW, "v1", "gateways");
        const cJSON *cause;
        cJSON *out = NULL;
        char ev[128];
        unsigned long rv;

        (void)state;
        assert_int_equal(create(k, ns, "", "{\"metadata\":{\"name\":\"team\"}}", &out), 201);
        cJSON_Delete(out);
        assert_int_equal(create(k, cm, "team", "{\"metadata\":{\"name\":\"a\"}}", &out), 201);
        cJSON_Delete(out);
        assert_int_equal(create(k, gw, "team", gw_json, &out), 201);
        cJSON_Delete(out);
        assert_int_equal(create(k, cm, "team",
                                "{\"metadata\":{\"name\":\"held\",\"finalizers\":[\"x/y\"]}}",
                                &out),
                         201);
        cJSON_Delete(out);
        settle(k);
        rv = kube_current_rv(k);

        /* the DELETE answers with the Terminating namespace; contents still there */
        assert_int_equal(kube_delete(k, ns, "", "team", NULL, NULL, false, &out), 200);
        assert_string_equal(s(out, "kind", NULL), "Namespace");
        assert_string_equal(s(out, "status", "phase"), "Terminating");
        assert_true(s(out, "metadata", "deletionTimestamp")[0] != 0);
        assert_string_equal(
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
                                   cJSON_GetObjectItemCaseSensitive(out, "spec"), "finalizers"),
                               0)
                ->valuestring,
            "kubernetes");
        cJSON_Delete(out);
        assert_int_equal(kube_get(k, cm, "team", "a", &out), 200);
        cJSON_Delete(out);
        /* deleting the contents now succeeds, as on a real cluster */
        assert_int_equal(kube_delete(k, cm, "team", "a", NULL, NULL, false, &out), 200);
        cJSON_Delete(out);
        /* creates inside are forbidden, with the apiserver's cause */
        assert_int_equal(create(k, cm, "team", "{\"metadata\":{\"name\":\"b\"}}", &out), 403);
        assert_string_equal(reason(out), "Forbidden");
        assert_string_equal(s(out, "message", NULL),
                            "configmaps \"b\" is forbidden: unable to create new content in "
                            "namespace team because it is being terminated");
        cause = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
                                       cJSON_GetObjectItemCaseSensitive(out, "details"), "causes"),
                                   0);
        assert_string_equal(s(cause, "reason", NULL), "NamespaceTerminating");
        assert_string_equal(s(cause, "message", NULL), "namespace team is being terminated");
        assert_string_equal(s(cause, "field", NULL), "metadata.namespace");
        cJSON_Delete(out);

        /* the namespace controller empties it; the held object waits */
        assert_int_equal(wait_get(k, gw, "team", "gw", 404), 404);
        settle(k);
        assert_int_equal(kube_get(k, cm, "team", "held", &out), 200);
        assert_true(s(out, "metadata", "deletionTimestamp")[0] != 0);
        cJSON_Delete(out);
        assert_int_equal(kube_get(k, ns, "", "team", &out), 200);
        assert_string_equal(s(out, "status", "phase"), "Terminating");
        cJSON_Delete(out);
        /* ...and the namespace goes once empty */
        assert_int_equal(patch(k, cm, "team", "held", "application/json-patch+json", "",
                               "[{\"op\":\"remove\",\"path\":\"/metadata/finalizers\"}]", &out),
                         200);
        cJSON_Delete(out);
        assert_int_equal(wait_get(k, ns, "", "team", 404), 404);
        events(k, rv, "Namespace", "", "team", ev, sizeof(ev));
        assert_string_equal(ev, "MODIFIED,DELETED");
        events(k, rv, "Gateway", "team", "gw", ev, sizeof(ev));
        assert_string_equal(ev, "DELETED");
        events(k, rv, "ConfigMap", "team", "held", ev, sizeof(ev));
        assert_string_equal(ev, "MODIFIED,DELETED");

        /* the controller waits out its grace period before emptying one */
        k->cfg.ns_grace_ms = 600000;
        assert_int_equal(create(k, ns, "", "{\"metadata\":{\"name\":\"slow\"}}", &out), 201);
        cJSON_Delete(out);
        assert_int_equal(create(k, cm, "slow", "{\"metadata\":{\"name\":\"a\"}}", &out), 201);
        cJSON_Delete(out);
        assert_int_equal(kube_delete(k, ns, "", "slow", NULL, NULL, false, &out), 200);
        cJSON_Delete(out);
        settle(k);
        assert_int_equal(kube_get(k, cm, "slow", "a", &out), 200);
        cJSON_Delete(out);
        k->cfg.ns_grace_ms = 0;
        assert_int_equal(wait_get(k, ns, "", "slow", 404), 404);
        assert_int_equal(kube_get(k, cm, "slow", "a", &out), 404);
        cJSON_Delete(out);

        /* an empty namespace goes too; a new one of the same name is a new object */
        assert_int_equal(create(k, ns, "", "{\"metadata\":{\"name\":\"team\"}}", &out), 201);
        cJSON_Delete(out);
        assert_int_equal(kube_delete(k, ns, "", "team", NULL, NULL, false, &out), 200);
        assert_string_equal(s(out, "status", "phase"), "Terminating");
        cJSON_Delete(out);
        assert_int_equal(wait_get(k, ns, "", "team", 404), 404);
        teardown_gc(k);
}

/* --- Deployment status and EndpointSlices ------------------------------------ */

/* wait until the status of Deployment ns/name has condition Available = want */
static void
wait_available(struct kube *k, const char *name, const char *want)
{
        const struct kube_res *dep = res("apps", "v1", "deployments");
        struct timespec until;
        int w = 0;

        deadline(&until);
        for (;;) {
                cJSON *out = NULL;
                const cJSON *c;
                bool ok = false;

                assert_int_equal(kube_get(k, dep, "default", name, &out), 200);
                cJSON_ArrayForEach(
                    c, cJSON_GetObjectItemCaseSensitive(
                           cJSON_GetObjectItemCaseSensitive(out, "status"),
                           "conditions")) if (!strcmp(s(c, "type", NULL), "Available") &&
                                              !strcmp(s(c, "status", NULL), want)) ok = true;
                cJSON_Delete(out);
                if (ok)
                        return;
                assert_true(w != ETIMEDOUT);
                w = pthread_cond_timedwait(&k->cond, lk, &until);
        }
}

/* the status of Deployment name equals the JSON text want */
static void
assert_status(struct kube *k, const char *name, const char *want)
{
        cJSON *out = NULL, *w = cJSON_Parse(want);

        assert_non_null(w);
        assert_int_equal(kube_get(k, res("apps", "v1", "deployments"), "default", name, &out), 200);
        if (!cJSON_Compare(cJSON_GetObjectItemCaseSensitive(out, "status"), w, true)) {
                char *got = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(out, "status"));

                print_error("status of %s:\n got  %s\n want %s\n", name, got, want);
                cJSON_free(got);
                fail();
        }
        cJSON_Delete(w);
        cJSON_Delete(out);
}

/* the controller-managed slices of Service svc (caller deletes) */
static cJSON *
managed_slices(struct kube *k, const char *svc)
{
        char sel[256];
        struct kube_list_opts lo = { 0 };
        cJSON *out = NULL;

        snprintf(sel, sizeof(sel),
                 "kubernetes.io/service-name=%s,endpointslice.kubernetes.io/managed-by="
                 "endpointslice-controller.k8s.io",
                 svc);
        lo.label_selector = sel;
        assert_int_equal(
            kube_list(k, res("discovery.k8s.io", "v1", "endpointslices"), "default", &lo, &out),
            200);
        return out;
}

/* wait until svc's one managed slice has n endpoints (n < 0: no slice at all) */
static cJSON *
wait_slice(struct kube *k, const char *svc, int n)
{
        struct timespec until;
        int w = 0;

        deadline(&until);
        for (;;) {
                cJSON *l = managed_slices(k, svc);
                cJSON *items = cJSON_GetObjectItemCaseSensitive(l, "items");
                int got = cJSON_GetArraySize(items) == 1
                              ? cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
                                    cJSON_GetArrayItem(items, 0), "endpoints"))
                              : -1;

                assert_true(cJSON_GetArraySize(items) <= 1);
                if (got == n) {
                        cJSON *one = n < 0 ? NULL : cJSON_DetachItemFromArray(items, 0);

                        cJSON_Delete(l);
                        return one;
                }
                cJSON_Delete(l);
                assert_true(w != ETIMEDOUT);
                w = pthread_cond_timedwait(&k->cond, lk, &until);
        }
}

#define T0 "2025-01-01T00:00:00Z"
#define T1 "2025-01-01T00:00:05Z"
#define T2 "2025-01-01T00:00:09Z"

static void
test_deployment_status(void **state)
{
        struct kube *k = setup_gc();
        const struct kube_res *dep = res("apps", "v1", "deployments");
        cJSON *out = NULL;
        char ev[128], status[1024];
        unsigned long rv;
        int i;

        (void)state;
        k->fake_now = T0;
        k->cfg.pod_ready_ms = 3600000; /* starting until the test shortens it */
        assert_int_equal(create(k, dep, "default",
                                "{\"metadata\":{\"name\":\"gw\"},\"spec\":{\"replicas\":3,"
                                "\"template\":{\"metadata\":{\"labels\":{\"app\":\"gw\"}}}}}",
                                &out),
                         201);
        rv = kube_current_rv(k);
        cJSON_Delete(out);
        /* starting: one write, then nothing while the pods stay unready */
        wait_available(k, "gw", "False");
        for (i = 0; i < 3; i++)
                settle(k);
        events(k, rv - 1, "Deployment", "default", "gw", ev, sizeof(ev));
        assert_string_equal(ev, "ADDED,MODIFIED");
        assert_status(k, "gw",
                      "{\"observedGeneration\":1,\"replicas\":3,\"updatedReplicas\":3,"
                      "\"unavailableReplicas\":3,\"conditions\":[{\"type\":\"Available\","
                      "\"status\":\"False\",\"lastUpdateTime\":\"" T0 "\",\"lastTransitionTime\":"
                      "\"" T0 "\",\"reason\":\"MinimumReplicasUnavailable\",\"message\":"
                      "\"Deployment does not have minimum availability.\"},{\"type\":"
                      "\"Progressing\",\"status\":\"True\",\"lastUpdateTime\":\"" T0 "\","
                      "\"lastTransitionTime\":\"" T0 "\",\"reason\":\"ReplicaSetUpdated\","
                      "\"message\":\"ReplicaSet \\\"gw-55gjzzcpv2\\\" is progressing.\"}]}");
        /* the delay goes by: Available with exactly one more write */
        rv = kube_current_rv(k);
        k->fake_now = T1;
        k->cfg.pod_ready_ms = 20;
        wait_available(k, "gw", "True");
        snprintf(status, sizeof(status),
                 "{\"observedGeneration\":1,\"replicas\":3,\"updatedReplicas\":3,"
                 "\"readyReplicas\":3,\"availableReplicas\":3,\"conditions\":[{\"type\":"
                 "\"Available\",\"status\":\"True\",\"lastUpdateTime\":\"%s\","
                 "\"lastTransitionTime\":\"%s\",\"reason\":\"MinimumReplicasAvailable\","
                 "\"message\":\"Deployment has minimum availability.\"},{\"type\":"
                 "\"Progressing\",\"status\":\"True\",\"lastUpdateTime\":\"%s\","
                 "\"lastTransitionTime\":\"%s\",\"reason\":\"NewReplicaSetAvailable\","
                 "\"message\":\"ReplicaSet \\\"gw-55gjzzcpv2\\\" has successfully "
                 "progressed.\"}]}",
                 T1, T1, T1, T0);
        assert_status(k, "gw", status);
        /* a steady state makes no write, however many passes run */
        k->fake_now = T2;
        for (i = 0; i < 4; i++)
                settle(k);
        events(k, rv, "Deployment", "default", "gw", ev, sizeof(ev));
        assert_string_equal(ev, "MODIFIED");
        assert_int_equal(kube_get(k, dep, "default", "gw", &out), 200);
        assert_int_equal(strtoul(s(out, "metadata", "resourceVersion"), NULL, 10), rv + 1);
        cJSON_Delete(out);
        assert_status(k, "gw", status);

        /* held unready: Available False again, the rollout stays complete */
        rv = kube_current_rv(k);
        assert_true(kube_pod_hold(k, "default", "gw", false));
        assert_true(kube_pod_hold(k, "default", "gw", false)); /* once is enough */
        out = kube_pod_holds(k);
        assert_int_equal(cJSON_GetArraySize(out), 1);
        assert_string_equal(s(cJSON_GetArrayItem(out, 0), "deployment", NULL), "gw");
        cJSON_Delete(out);
        wait_available(k, "gw", "False");
        assert_status(k, "gw",
                      "{\"observedGeneration\":1,\"replicas\":3,\"updatedReplicas\":3,"
                      "\"unavailableReplicas\":3,\"conditions\":[{\"type\":\"Available\","
                      "\"status\":\"False\",\"lastUpdateTime\":\"" T2 "\",\"lastTransitionTime\":"
                      "\"" T2 "\",\"reason\":\"MinimumReplicasUnavailable\",\"message\":"
                      "\"Deployment does not have minimum availability.\"},{\"type\":"
                      "\"Progressing\",\"status\":\"True\",\"lastUpdateTime\":\"" T1 "\","
                      "\"lastTransitionTime\":\"" T0 "\",\"reason\":\"NewReplicaSetAvailable\","
                      "\"message\":\"ReplicaSet \\\"gw-55gjzzcpv2\\\" has successfully "
                      "progressed.\"}]}");
        assert_true(kube_pod_hold(k, "default", "gw", true));
        out = kube_pod_holds(k);
        assert_int_equal(cJSON_GetArraySize(out), 0);
        cJSON_Delete(out);
        wait_available(k, "gw", "True");
        events(k, rv, "Deployment", "default", "gw", ev, sizeof(ev));
        assert_string_equal(ev, "MODIFIED,MODIFIED");

        /* a spec change rolls: the old pods serve (Available, 0 updated) until
         * the new ones are ready; held, none is */
        k->cfg.pod_ready_ms = 3600000;
        assert_int_equal(patch(k, dep, "default", "gw", "application/merge-patch+json", "",
                               "{\"spec\":{\"replicas\":1}}", &out),
                         200);
        cJSON_Delete(out);
        {
                struct timespec until;
                int w = 0;

                deadline(&until);
                for (;;) {
                        const cJSON *st;
                        bool seen;

                        assert_int_equal(kube_get(k, dep, "default", "gw", &out), 200);
                        st = cJSON_GetObjectItemCaseSensitive(out, "status");
                        seen =
                            cJSON_GetObjectItemCaseSensitive(st, "observedGeneration")->valueint ==
                            2;
                        if (seen) {
                                assert_int_equal(
                                    cJSON_GetObjectItemCaseSensitive(st, "updatedReplicas")
                                        ->valueint,
                                    0);
                                assert_int_equal(
                                    cJSON_GetObjectItemCaseSensitive(st, "availableReplicas")
                                        ->valueint,
                                    1);
                        }
                        cJSON_Delete(out);
                        if (seen)
                                break;
                        assert_true(w != ETIMEDOUT);
                        w = pthread_cond_timedwait(&k->cond, lk, &until);
                }
        }
        wait_available(k, "gw", "True");
        assert_true(kube_pod_hold(k, "default", "gw", false));
        wait_available(k, "gw", "False");
        assert_int_equal(kube_get(k, dep, "default", "gw", &out), 200);
        assert_int_equal(cJSON_GetObjectItemCaseSensitive(
                             cJSON_GetObjectItemCaseSensitive(out, "status"), "observedGeneration")
                             ->valueint,
                         2);
        assert_int_equal(cJSON_GetObjectItemCaseSensitive(
                             cJSON_GetObjectItemCaseSensitive(out, "status"), "unavailableReplicas")
                             ->valueint,
                         1);
        cJSON_Delete(out);
        teardown_gc(k);
}

static void
assert_endpoint(const cJSON *e, const char *addr, const char *node, const char *zone)
{
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "conditions");

        assert_string_equal(
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(e, "addresses"), 0)->valuestring,
            addr);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(e, "addresses")), 1);
        assert_string_equal(s(e, "nodeName", NULL), node);
        assert_string_equal(s(e, "zone", NULL), zone);
        assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "ready")));
        assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "serving")));
        assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(c, "terminating")));
}

static void
test_endpoint_slices(void **state)
{
        struct kube *k = setup_gc();
        const struct kube_res *dep = res("apps", "v1", "deployments");
        const struct kube_res *svc = res("", "v1", "services");
        const struct kube_res *es = res("discovery.k8s.io", "v1", "endpointslices");
        static const char hand[] =
            "{\"metadata\":{\"name\":\"web-manual\",\"labels\":{\"kubernetes.io/service-name\":"
            "\"web\"}},\"addressType\":\"IPv4\",\"ports\":[{\"name\":\"http\",\"port\":8080}],"
            "\"endpoints\":[{\"addresses\":[\"10.9.9.9\"]}]}";
        cJSON *out = NULL, *hand_obj, *slice, *want;
        char err[200], svc_uid[64], ev[128], *text;
        const cJSON *eps, *md;
        unsigned long rv;
        int i;

        (void)state;
        assert_true(kube_gke_set_zones(&k->gke, "zone-a,zone-b", 0, 1, err, sizeof(err)));
        /* a slice made by hand, as the NEG tests do: never touched */
        assert_int_equal(create(k, es, "default", hand, &hand_obj), 201);
        /* two Deployments the Service selects (one held unready), one it does not */
        assert_true(kube_pod_hold(k, "default", "late", false));
        assert_int_equal(create(k, dep, "default",
                                "{\"metadata\":{\"name\":\"late\"},\"spec\":{\"replicas\":2,"
                                "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\","
                                "\"tier\":\"x\"}}}}}",
                                &out),
                         201);
        cJSON_Delete(out);
        settle(k);
        assert_int_equal(create(k, dep, "default",
                                "{\"metadata\":{\"name\":\"other\"},\"spec\":{\"template\":{"
                                "\"metadata\":{\"labels\":{\"app\":\"other\"}}}}}",
                                &out),
                         201);
        cJSON_Delete(out);
        assert_int_equal(create(k, dep, "default",
                                "{\"metadata\":{\"name\":\"web\"},\"spec\":{\"replicas\":3,"
                                "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}}}}}",
                                &out),
                         201);
        cJSON_Delete(out);
        assert_int_equal(
            create(k, svc, "default",
                   "{\"metadata\":{\"name\":\"web\",\"labels\":{\"team\":\"a\"}},\"spec\":{"
                   "\"selector\":{\"app\":\"web\"},\"ports\":[{\"name\":\"http\",\"port\":80,"
                   "\"targetPort\":8080},{\"name\":\"tls\",\"port\":443,\"targetPort\":\"https\","
                   "\"protocol\":\"TCP\"}]}}",
                   &out),
            201);
        snprintf(svc_uid, sizeof(svc_uid), "%s", s(out, "metadata", "uid"));
        cJSON_Delete(out);
        /* "late" is held (block 1), "other" (block 2) is not selected, "web" is block 3 */
        slice = wait_slice(k, "web", 3);
        md = cJSON_GetObjectItemCaseSensitive(slice, "metadata");
        assert_string_equal(s(md, "name", NULL), "web-rxzqt");
        assert_string_equal(s(md, "generateName", NULL), "web-");
        assert_string_equal(s(slice, "addressType", NULL), "IPv4");
        want = cJSON_Parse("{\"team\":\"a\",\"endpointslice.kubernetes.io/managed-by\":"
                           "\"endpointslice-controller.k8s.io\",\"kubernetes.io/service-name\":"
                           "\"web\"}");
        assert_true(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(md, "labels"), want, true));
        cJSON_Delete(want);
        text = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(md, "ownerReferences"));
        snprintf(ev, sizeof(ev), "\"uid\":\"%s\"", svc_uid);
        assert_non_null(strstr(text, ev));
        assert_non_null(strstr(text, "\"kind\":\"Service\",\"name\":\"web\""));
        cJSON_free(text);
        text = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(slice, "ports"));
        assert_string_equal(text, "[{\"name\":\"http\",\"protocol\":\"TCP\",\"port\":8080},"
                                  "{\"name\":\"tls\",\"protocol\":\"TCP\",\"port\":443}]");
        cJSON_free(text);
        eps = cJSON_GetObjectItemCaseSensitive(slice, "endpoints");
        assert_endpoint(cJSON_GetArrayItem(eps, 0), "10.0.3.1", "gke-0-node-0", "zone-a");
        assert_endpoint(cJSON_GetArrayItem(eps, 1), "10.0.3.2", "gke-0-node-1", "zone-b");
        assert_endpoint(cJSON_GetArrayItem(eps, 2), "10.0.3.3", "gke-0-node-2", "zone-a");
        cJSON_Delete(slice);
        /* "late" gets ready: its endpoints come first (by name) */
        assert_true(kube_pod_hold(k, "default", "late", true));
        k->gc.dirty = true;
        slice = wait_slice(k, "web", 5);
        eps = cJSON_GetObjectItemCaseSensitive(slice, "endpoints");
        assert_endpoint(cJSON_GetArrayItem(eps, 0), "10.0.1.1", "gke-0-node-0", "zone-a");
        assert_endpoint(cJSON_GetArrayItem(eps, 1), "10.0.1.2", "gke-0-node-1", "zone-b");
        assert_endpoint(cJSON_GetArrayItem(eps, 2), "10.0.3.1", "gke-0-node-0", "zone-a");
        cJSON_Delete(slice);
        /* settled: no more writes to the slice */
        rv = kube_current_rv(k);
        for (i = 0; i < 3; i++)
                settle(k);
        assert_int_equal(kube_current_rv(k), rv);
        /* a hold takes a Deployment's endpoints out, its release puts them back */
        assert_true(kube_pod_hold(k, "default", "web", false));
        k->gc.dirty = true;
        slice = wait_slice(k, "web", 2);
        eps = cJSON_GetObjectItemCaseSensitive(slice, "endpoints");
        assert_endpoint(cJSON_GetArrayItem(eps, 1), "10.0.1.2", "gke-0-node-1", "zone-b");
        cJSON_Delete(slice);
        assert_true(kube_pod_hold(k, "default", "late", false));
        k->gc.dirty = true;
        slice = wait_slice(k, "web", 0);
        cJSON_Delete(slice);
        assert_true(kube_pod_hold(k, "default", "web", true));
        assert_true(kube_pod_hold(k, "default", "late", true));
        k->gc.dirty = true;
        cJSON_Delete(wait_slice(k, "web", 5));
        /* a Service that loses its selector loses its slice */
        rv = kube_current_rv(k);
        assert_int_equal(patch(k, svc, "default", "web", "application/merge-patch+json", "",
                               "{\"spec\":{\"selector\":null}}", &out),
                         200);
        cJSON_Delete(out);
        assert_null(wait_slice(k, "web", -1));
        events(k, rv, "EndpointSlice", "default", "web-rxzqt", ev, sizeof(ev));
        assert_string_equal(ev, "DELETED");
        /* back with the selector, then the Service goes: the collector takes the slice */
        assert_int_equal(patch(k, svc, "default", "web", "application/merge-patch+json", "",
                               "{\"spec\":{\"selector\":{\"app\":\"web\"}}}", &out),
                         200);
        cJSON_Delete(out);
        cJSON_Delete(wait_slice(k, "web", 5));
        assert_int_equal(kube_delete(k, svc, "default", "web", NULL, NULL, false, &out), 200);
        cJSON_Delete(out);
        assert_null(wait_slice(k, "web", -1));
        /* the hand-made slice was never written */
        settle(k);
        assert_int_equal(kube_get(k, es, "default", "web-manual", &out), 200);
        assert_true(cJSON_Compare(out, hand_obj, true));
        cJSON_Delete(out);
        cJSON_Delete(hand_obj);
        teardown_gc(k);
}

/* --gke-zones: one list for every cluster, or one per cluster */
static void
test_gke_zones(void **state)
{
        struct kube_gke g;
        char err[300];

        (void)state;
        memset(&g, 0, sizeof(g));
        assert_true(kube_gke_set_zones(&g, ",us-east1-b,,us-east1-c,", 2, 3, err, sizeof(err)));
        assert_int_equal(g.nzones, 2);
        assert_string_equal(g.zones[0], "us-east1-b");
        assert_string_equal(g.zones[1], "us-east1-c");
        assert_true(
            kube_gke_set_zones(&g, "us-east1-b,us-east1-c;europe-west1-b", 1, 2, err, sizeof(err)));
        assert_int_equal(g.nzones, 1);
        assert_string_equal(g.zones[0], "europe-west1-b");
        assert_true(
            kube_gke_set_zones(&g, "us-east1-b,us-east1-c;europe-west1-b", 0, 2, err, sizeof(err)));
        assert_int_equal(g.nzones, 2);
        assert_string_equal(g.zones[1], "us-east1-c");
        /* errors leave the zones as they were */
        assert_false(kube_gke_set_zones(&g, "a;b", 0, 3, err, sizeof(err)));
        assert_string_equal(err, "bad --gke-zones 'a;b': 2 zone lists for 3 clusters (give one "
                                 "list for all, or one per cluster separated by ';')");
        assert_false(kube_gke_set_zones(&g, "a;,", 1, 2, err, sizeof(err)));
        assert_string_equal(err, "bad --gke-zones 'a;,': no zone for cluster 1");
        assert_false(kube_gke_set_zones(&g, "", 0, 1, err, sizeof(err)));
        assert_false(kube_gke_set_zones(&g, "a;b;c", 0, 1, err, sizeof(err)));
        assert_int_equal(g.nzones, 2);
        assert_string_equal(g.zones[0], "us-east1-b");
        kube_gke_set_zones(&g, "x", 0, 1, err, sizeof(err));
        cc_free(g.zones[0]);
        cc_free(g.zones);
}

static void
test_list_pagination(void **state)
{
        struct kube *k = setup_kube(100);
        const struct kube_res *cm = res("", "v1", "configmaps");
        struct kube_list_opts lo = { 0 };
        cJSON *out = NULL;
        char cont[1400], json[128];
        int i;

        (void)state;
        for (i = 0; i < 5; i++) {
                snprintf(json, sizeof(json),
                         "{\"metadata\":{\"name\":\"c%d\",\"labels\":{\"n\":\"%d\"}}}", i, i % 2);
                assert_int_equal(create(k, cm, "default", json, &out), 201);
                cJSON_Delete(out);
        }
        lo.limit = "2";
        assert_int_equal(kube_list(k, cm, "default", &lo, &out), 200);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "items")), 2);
        snprintf(cont, sizeof(cont), "%s", s(out, "metadata", "continue"));
        assert_int_equal(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(out, "metadata"),
                                             "remainingItemCount")
                ->valueint,
            3);
        cJSON_Delete(out);
        lo.cont = cont;
        lo.limit = "10";
        assert_int_equal(kube_list(k, cm, "default", &lo, &out), 200);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "items")), 3);
        assert_string_equal(s(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "items"), 0),
                              "metadata", "name"),
                            "c2");
        assert_null(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(out, "metadata"), "continue"));
        cJSON_Delete(out);
        lo.cont = "zz";
        assert_int_equal(kube_list(k, cm, "default", &lo, &out), 400);
        cJSON_Delete(out);
        /* an old token after later writes were compacted: 410 Expired */
        assert_int_equal(create(k, cm, "default", "{\"metadata\":{\"name\":\"later\"}}", &out),
                         201);
        cJSON_Delete(out);
        kube_compact(k);
        lo.cont = cont;
        assert_int_equal(kube_list(k, cm, "default", &lo, &out), 410);
        assert_string_equal(reason(out), "Expired");
        cJSON_Delete(out);
        memset(&lo, 0, sizeof(lo));
        lo.label_selector = "n=1";
        assert_int_equal(kube_list(k, cm, NULL, &lo, &out), 200);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "items")), 2);
        cJSON_Delete(out);
        lo.label_selector = "n in (";
        assert_int_equal(kube_list(k, cm, NULL, &lo, &out), 400);
        cJSON_Delete(out);
        lo.label_selector = NULL;
        lo.field_selector = "spec.x=1";
        assert_int_equal(kube_list(k, cm, NULL, &lo, &out), 400);
        cJSON_Delete(out);
        /* listing in a namespace that does not exist is an empty list */
        memset(&lo, 0, sizeof(lo));
        assert_int_equal(kube_list(k, cm, "nowhere", &lo, &out), 200);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "items")), 0);
        cJSON_Delete(out);
        teardown_kube(k);
}

/* the lines a watch has ready now */
static char *
drain(struct kube_watch *w, bool *more)
{
        struct cc_buf b = CC_BUF_INIT(0);
        char *text;

        *more = kube_watch_poll(w, &b);
        text = cc_strdup(cc_buf_str(&b));
        cc_buf_release(&b);
        return text;
}

static int
count(const char *hay, const char *needle)
{
        int n = 0;

        while ((hay = strstr(hay, needle))) {
                n++;
                hay++;
        }
        return n;
}

static void
test_watch_window(void **state)
{
        struct kube *k = setup_kube(3);
        const struct kube_res *cm = res("", "v1", "configmaps");
        struct kube_watch_opts wo = { .fd = -1, .path = "/api/v1/configmaps" };
        struct kube_watch *w;
        cJSON *out = NULL, *err = NULL;
        char rv[32], *text;
        bool more;
        int code;

        (void)state;
        assert_int_equal(create(k, cm, "default",
                                "{\"metadata\":{\"name\":\"a\",\"labels\":{\"sel\":\"y\"}}}", &out),
                         201);
        snprintf(rv, sizeof(rv), "%s", s(out, "metadata", "resourceVersion"));
        cJSON_Delete(out);
        /* from rv: only later events, with the selector transitions */
        wo.resource_version = rv;
        wo.label_selector = "sel=y";
        w = kube_watch_open(k, cm, "default", &wo, &err, &code);
        assert_non_null(w);
        assert_int_equal(kube_watch_count(k), 1);
        assert_int_equal(patch(k, cm, "default", "a", "application/merge-patch+json", "",
                               "{\"metadata\":{\"labels\":{\"sel\":\"n\"}}}", &out),
                         200);
        cJSON_Delete(out);
        assert_int_equal(patch(k, cm, "default", "a", "application/merge-patch+json", "",
                               "{\"metadata\":{\"labels\":{\"sel\":\"y\"}}}", &out),
                         200);
        cJSON_Delete(out);
        text = drain(w, &more);
        assert_true(more);
        /* stopped matching -> DELETED (old content), matching again -> ADDED */
        assert_int_equal(count(text, "\"type\":\"DELETED\""), 1);
        assert_int_equal(count(text, "\"type\":\"ADDED\""), 1);
        assert_true(strstr(text, "DELETED") < strstr(text, "ADDED"));
        assert_int_equal(count(text, "\n"), 2);
        cc_free(text);
        /* nothing new: no lines */
        text = drain(w, &more);
        assert_string_equal(text, "");
        cc_free(text);
        kube_watch_close(w);
        assert_int_equal(kube_watch_count(k), 0);

        /* rv "0": synthetic ADDED for current state */
        wo.resource_version = "0";
        wo.label_selector = NULL;
        w = kube_watch_open(k, cm, NULL, &wo, &err, &code);
        assert_non_null(w);
        text = drain(w, &more);
        assert_int_equal(count(text, "\"type\":\"ADDED\""), 1);
        cc_free(text);
        kube_watch_close(w);

        /* more writes than the window holds: a watch from the old rv gets 410 */
        assert_int_equal(create(k, cm, "default", "{\"metadata\":{\"name\":\"b\"}}", &out), 201);
        cJSON_Delete(out);
        assert_int_equal(create(k, cm, "default", "{\"metadata\":{\"name\":\"c\"}}", &out), 201);
        cJSON_Delete(out);
        wo.resource_version = rv;
        w = kube_watch_open(k, cm, NULL, &wo, &err, &code);
        assert_non_null(w);
        text = drain(w, &more);
        assert_non_null(strstr(text, "\"type\":\"ERROR\""));
        assert_non_null(strstr(text, "\"code\":410"));
        assert_non_null(strstr(text, "\"reason\":\"Expired\""));
        assert_non_null(strstr(text, "too old resource version"));
        cc_free(text);
        text = drain(w, &more);
        assert_false(more);
        cc_free(text);
        kube_watch_close(w);
        /* a watcher that falls behind the window also gets 410 */
        snprintf(rv, sizeof(rv), "%lu", kube_current_rv(k));
        wo.resource_version = rv;
        w = kube_watch_open(k, cm, NULL, &wo, &err, &code);
        assert_non_null(w);
        for (code = 0; code < 4; code++) {
                char name[64];

                snprintf(name, sizeof(name), "{\"metadata\":{\"name\":\"d%d\"}}", code);
                assert_int_equal(create(k, cm, "default", name, &out), 201);
                cJSON_Delete(out);
        }
        text = drain(w, &more);
        assert_non_null(strstr(text, "\"code\":410"));
        cc_free(text);
        kube_watch_close(w);
        /* bad input */
        wo.resource_version = "abc";
        assert_null(kube_watch_open(k, cm, NULL, &wo, &err, &code));
        assert_int_equal(code, 400);
        cJSON_Delete(err);
        wo.resource_version = NULL;
        wo.send_initial = true;
        assert_null(kube_watch_open(k, cm, NULL, &wo, &err, &code));
        assert_int_equal(code, 422);
        cJSON_Delete(err);
        /* sendInitialEvents with bookmarks: state, then the terminating bookmark */
        wo.bookmarks = true;
        w = kube_watch_open(k, cm, NULL, &wo, &err, &code);
        assert_non_null(w);
        text = drain(w, &more);
        assert_int_equal(count(text, "\"type\":\"ADDED\""), 7);
        assert_non_null(strstr(text, "\"k8s.io/initial-events-end\":\"true\""));
        cc_free(text);
        kube_watch_close(w);
        teardown_kube(k);
}

static void
test_server_side_apply(void **state)
{
        struct kube *k = setup_kube(100);
        const struct kube_res *cm = res("", "v1", "configmaps");
        struct kube_write_opts a = { .manager = "alice", .sub = "" };
        struct kube_write_opts b = { .manager = "bob", .sub = "" };
        const char ct[] = "application/apply-patch+yaml";
        const char v1[] = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
                          "\"c\"},\"data\":{\"x\":\"1\",\"y\":\"2\"}}";
        const char v2[] = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
                          "\"c\"},\"data\":{\"x\":\"1\"}}";
        const char bob[] = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
                           "\"c\"},\"data\":{\"x\":\"9\",\"z\":\"3\"}}";
        cJSON *out = NULL;
        struct kube_write_opts none = { .manager = "", .sub = "" };

        (void)state;
        assert_int_equal(kube_patch(k, cm, "default", "c", ct, v1, strlen(v1), &none, &out), 400);
        cJSON_Delete(out);
        /* YAML bodies are parsed; one without kind/apiVersion is refused */
        assert_int_equal(kube_patch(k, cm, "default", "c", ct, "a: b", 4, &a, &out), 400);
        cJSON_Delete(out);
        assert_int_equal(kube_patch(k, cm, "default", "c", ct, "a: [", 4, &a, &out), 400);
        cJSON_Delete(out);
        assert_int_equal(kube_patch(k, cm, "default", "c", ct, v1, strlen(v1), &a, &out), 201);
        assert_string_equal(
            s(cJSON_GetArrayItem(
                  cJSON_GetObjectItemCaseSensitive(
                      cJSON_GetObjectItemCaseSensitive(out, "metadata"), "managedFields"),
                  0),
              "operation", NULL),
            "Apply");
        cJSON_Delete(out);
        /* bob changes x (owned by alice): conflict unless forced */
        assert_int_equal(kube_patch(k, cm, "default", "c", ct, bob, strlen(bob), &b, &out), 409);
        assert_string_equal(reason(out), "Conflict");
        assert_non_null(strstr(s(out, "message", NULL), "conflict with \"alice\""));
        assert_non_null(strstr(s(out, "message", NULL), ".data.x"));
        cJSON_Delete(out);
        b.force = true;
        assert_int_equal(kube_patch(k, cm, "default", "c", ct, bob, strlen(bob), &b, &out), 200);
        assert_string_equal(s(out, "data", "x"), "9");
        assert_string_equal(s(out, "data", "z"), "3");
        cJSON_Delete(out);
        /* alice drops y (hers alone: removed) and keeps x (now bob's: untouched) */
        assert_int_equal(kube_patch(k, cm, "default", "c", ct, v2, strlen(v2), &a, &out), 409);
        cJSON_Delete(out);
        a.force = true;
        assert_int_equal(kube_patch(k, cm, "default", "c", ct, v2, strlen(v2), &a, &out), 200);
        assert_string_equal(s(out, "data", "x"), "1");
        assert_string_equal(s(out, "data", "y"), "");
        assert_string_equal(s(out, "data", "z"), "3");
        cJSON_Delete(out);
        teardown_kube(k);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_create_and_rv),
                cmocka_unit_test(test_update_generation_status),
                cmocka_unit_test(test_kind_defaults),
                cmocka_unit_test(test_finalizers),
                cmocka_unit_test(test_gc_background),
                cmocka_unit_test(test_gc_foreground),
                cmocka_unit_test(test_gc_orphan),
                cmocka_unit_test(test_namespace_termination),
                cmocka_unit_test(test_deployment_status),
                cmocka_unit_test(test_endpoint_slices),
                cmocka_unit_test(test_gke_zones),
                cmocka_unit_test(test_list_pagination),
                cmocka_unit_test(test_watch_window),
                cmocka_unit_test(test_server_side_apply),
        };

        cc_alloc_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
