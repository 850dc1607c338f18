/* test_informer.c -- the informer's bookkeeping fed by hand: exactly-once across relists. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/log.h"
#include "kube/informer.h"
#include "lib/testlib.h"

/* every handler call as one line: "add ns/name@rv", "update ns/name@old->new", ... */
struct rec {
        char log[64][64];
        int n;
        int synced;
};

static const char *
m(const cJSON *o, const char *k)
{
        const cJSON *v = cc_json_lookup(o, k);

        return cJSON_IsString(v) ? v->valuestring : "?";
}

static void
on_add(const cJSON *obj, void *ud)
{
        struct rec *r = ud;

        snprintf(r->log[r->n++], 64, "add %s/%s@%s", m(obj, "metadata.namespace"),
                 m(obj, "metadata.name"), m(obj, "metadata.resourceVersion"));
}

static void
on_update(const cJSON *old, const cJSON *obj, void *ud)
{
        struct rec *r = ud;

        snprintf(r->log[r->n++], 64, "update %s/%s@%s->%s", m(obj, "metadata.namespace"),
                 m(obj, "metadata.name"), m(old, "metadata.resourceVersion"),
                 m(obj, "metadata.resourceVersion"));
}

static void
on_delete(const cJSON *obj, void *ud)
{
        struct rec *r = ud;

        snprintf(r->log[r->n++], 64, "delete %s/%s@%s", m(obj, "metadata.namespace"),
                 m(obj, "metadata.name"), m(obj, "metadata.resourceVersion"));
}

static void
on_synced(void *ud)
{
        ((struct rec *)ud)->synced++;
}

static cJSON *
obj(const char *ns, const char *name, const char *rv)
{
        char buf[256];
        cJSON *o = NULL;

        snprintf(buf, sizeof(buf),
                 "{\"kind\":\"Gateway\",\"metadata\":{\"namespace\":\"%s\",\"name\":\"%s\","
                 "\"resourceVersion\":\"%s\"}}",
                 ns, name, rv);
        assert_int_equal(cc_json_parse(buf, strlen(buf), 0, &o, NULL), CC_OK);
        return o;
}

static cJSON *
list(const char *rv, int n, cJSON **items)
{
        cJSON *l = cJSON_CreateObject(), *arr, *md;
        int i;

        cJSON_AddStringToObject(l, "kind", "GatewayList");
        md = cJSON_AddObjectToObject(l, "metadata");
        cJSON_AddStringToObject(md, "resourceVersion", rv);
        arr = cJSON_AddArrayToObject(l, "items");
        for (i = 0; i < n; i++)
                cJSON_AddItemToArray(arr, items[i]);
        return l;
}

static cc_err
event(struct cc_kube_informer *inf, const char *type, cJSON *o)
{
        cc_err rc = cc_kube_informer_event(inf, type, &o);

        cJSON_Delete(o);
        return rc;
}

static struct cc_kube_informer *
mk(struct rec *r)
{
        const struct cc_kube_informer_handlers h = { on_add, on_update, on_delete, on_synced };
        struct cc_kube_informer *inf = NULL;

        assert_int_equal(cc_kube_informer_new(NULL, cc_kube_resource_by_kind("Gateway"), NULL, &h,
                                              r, &inf, NULL),
                         CC_OK);
        return inf;
}

static void
expect(struct rec *r, const char *const *want, int n)
{
        int i;

        for (i = 0; i < r->n || i < n; i++) {
                if (i >= r->n || i >= n || strcmp(r->log[i], want[i]) != 0)
                        fail_msg("event %d: got '%s', want '%s'", i, i < r->n ? r->log[i] : "-",
                                 i < n ? want[i] : "-");
        }
        r->n = 0;
}
#define EXPECT(r, ...)                                              \
        do {                                                        \
                static const char *const w_[] = { __VA_ARGS__ };    \
                expect((r), w_, (int)(sizeof(w_) / sizeof(w_[0]))); \
        } while (0)

static void
test_list_then_watch_exactly_once(void **state)
{
        struct rec r = { 0 };
        struct cc_kube_informer *inf = mk(&r);
        cJSON *items[3];

        assert_false(cc_kube_informer_has_synced(inf));
        assert_string_equal(cc_kube_informer_resource_version(inf), "");
        items[0] = obj("a", "x", "10");
        items[1] = obj("a", "y", "11");
        assert_int_equal(cc_kube_informer_replace(inf, list("12", 2, items)), CC_OK);
        assert_true(cc_kube_informer_has_synced(inf));
        assert_int_equal(r.synced, 1);
        assert_int_equal(cc_kube_informer_len(inf), 2);
        assert_string_equal(cc_kube_informer_resource_version(inf), "12");
        /* order of adds follows the hash map; check as a set */
        assert_int_equal(r.n, 2);
        assert_true((!strcmp(r.log[0], "add a/x@10") && !strcmp(r.log[1], "add a/y@11")) ||
                    (!strcmp(r.log[1], "add a/x@10") && !strcmp(r.log[0], "add a/y@11")));
        r.n = 0;

        /* the watch replays an ADDED we already hold: nothing */
        assert_int_equal(event(inf, "ADDED", obj("a", "x", "10")), CC_OK);
        assert_int_equal(event(inf, "MODIFIED", obj("a", "x", "13")), CC_OK);
        assert_int_equal(event(inf, "MODIFIED", obj("a", "x", "13")), CC_OK); /* duplicate */
        assert_int_equal(event(inf, "ADDED", obj("b", "z", "14")), CC_OK);
        assert_int_equal(event(inf, "DELETED", obj("a", "y", "15")), CC_OK);
        assert_int_equal(event(inf, "DELETED", obj("a", "y", "15")), CC_OK);    /* gone already */
        assert_int_equal(event(inf, "MODIFIED", obj("c", "new", "16")), CC_OK); /* unseen: add */
        EXPECT(&r, "update a/x@10->13", "add b/z@14", "delete a/y@15", "add c/new@16");
        assert_string_equal(cc_kube_informer_resource_version(inf), "16");
        assert_int_equal(event(inf, "BOOKMARK", obj("", "", "20")), CC_OK);
        assert_string_equal(cc_kube_informer_resource_version(inf), "20");
        assert_int_equal(r.n, 0);
        assert_string_equal(m(cc_kube_informer_get(inf, "a", "x"), "metadata.resourceVersion"),
                            "13");
        assert_null(cc_kube_informer_get(inf, "a", "y"));
        assert_int_equal(cc_kube_informer_len(inf), 3);
        cc_kube_informer_free(inf);
}

static void
test_relist_after_410(void **state)
{
        struct rec r = { 0 };
        struct cc_kube_informer *inf = mk(&r);
        cJSON *items[4], *err = NULL;
        const char *e410 = "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"too old "
                           "resource version: 5 (9)\",\"reason\":\"Expired\",\"code\":410}";
        size_t i;
        const cJSON *o;
        int count = 0;

        items[0] = obj("a", "keep", "1");
        items[1] = obj("a", "change", "2");
        items[2] = obj("a", "vanish", "3");
        assert_int_equal(cc_kube_informer_replace(inf, list("3", 3, items)), CC_OK);
        r.n = 0;
        /* the watch hits 410 as an ERROR event */
        assert_int_equal(cc_json_parse(e410, strlen(e410), 0, &err, NULL), CC_OK);
        assert_int_equal(event(inf, "ERROR", err), CC_NOTFOUND);
        assert_int_equal(r.n, 0);
        /* meanwhile: change modified, vanish deleted, fresh created; the relist shows it */
        items[0] = obj("a", "keep", "1");
        items[1] = obj("a", "change", "7");
        items[2] = obj("a", "fresh", "8");
        assert_int_equal(cc_kube_informer_replace(inf, list("9", 3, items)), CC_OK);
        assert_int_equal(r.synced, 1); /* once only */
        {
                bool upd = false, add = false, del = false;
                int k;

                assert_int_equal(r.n, 3);
                for (k = 0; k < r.n; k++) {
                        upd |= !strcmp(r.log[k], "update a/change@2->7");
                        add |= !strcmp(r.log[k], "add a/fresh@8");
                        del |= !strcmp(r.log[k], "delete a/vanish@3");
                }
                assert_true(upd && add && del);
                r.n = 0;
        }
        /* a watch from the relist RV replays the change: no duplicates */
        assert_int_equal(event(inf, "MODIFIED", obj("a", "change", "7")), CC_OK);
        assert_int_equal(event(inf, "ADDED", obj("a", "fresh", "8")), CC_OK);
        assert_int_equal(r.n, 0);
        for (i = 0; cc_kube_informer_next(inf, &i, &o);)
                count++;
        assert_int_equal(count, 3);
        /* an identical relist fires nothing */
        items[0] = obj("a", "keep", "1");
        items[1] = obj("a", "change", "7");
        items[2] = obj("a", "fresh", "8");
        assert_int_equal(cc_kube_informer_replace(inf, list("10", 3, items)), CC_OK);
        assert_int_equal(r.n, 0);
        /* an empty relist deletes everything, once */
        assert_int_equal(cc_kube_informer_replace(inf, list("11", 0, items)), CC_OK);
        assert_int_equal(r.n, 3);
        assert_int_equal(cc_kube_informer_len(inf), 0);
        cc_kube_informer_free(inf);
}

static void
test_bad_events(void **state)
{
        struct rec r = { 0 };
        struct cc_kube_informer *inf = mk(&r);
        cJSON *err = NULL;
        const char *e500 = "{\"kind\":\"Status\",\"message\":\"boom\",\"code\":500}";

        assert_int_equal(event(inf, "WHATEVER", obj("a", "x", "1")), CC_INVAL);
        assert_int_equal(event(inf, "ADDED", obj("a", "", "1")), CC_INVAL);
        assert_int_equal(cc_json_parse(e500, strlen(e500), 0, &err, NULL), CC_OK);
        assert_int_equal(event(inf, "ERROR", err), CC_TRANSIENT);
        assert_int_equal(cc_kube_informer_replace(inf, cJSON_CreateString("x")), CC_INVAL);
        assert_int_equal(r.n, 0);
        assert_int_equal(cc_kube_informer_start(inf, NULL), CC_INVAL); /* no client */
        cc_kube_informer_free(inf);
}

static void
test_cluster_scoped_keys(void **state)
{
        const struct cc_kube_informer_handlers h = { on_add, on_update, on_delete, NULL };
        struct rec r = { 0 };
        struct cc_kube_informer *inf = NULL;

        assert_int_equal(cc_kube_informer_new(NULL, cc_kube_resource_by_kind("GatewayClass"), NULL,
                                              &h, &r, &inf, NULL),
                         CC_OK);
        assert_int_equal(event(inf, "ADDED", obj("", "cls", "1")), CC_OK);
        assert_non_null(cc_kube_informer_get(inf, "ignored", "cls"));
        cc_kube_informer_free(inf);
}

static void
test_allocation_failures(void **state)
{
        unsigned long n;

        for (n = 1; n < 500; n++) {
                struct rec r = { 0 };
                struct cc_kube_informer *inf = NULL;
                const struct cc_kube_informer_handlers h = { on_add, on_update, on_delete,
                                                             on_synced };
                cJSON *items[2], *l, *o;
                cc_err rc;

                items[0] = obj("a", "x", "1");
                items[1] = obj("a", "y", "2");
                l = list("3", 2, items);
                o = obj("a", "z", "4");
                cc_alloc_fail_at(n, false);
                rc = cc_kube_informer_new(NULL, cc_kube_resource_by_kind("Gateway"), NULL, &h, &r,
                                          &inf, NULL);
                if (rc == CC_OK)
                        rc = cc_kube_informer_replace(inf, l);
                else
                        cJSON_Delete(l);
                if (rc == CC_OK)
                        rc = cc_kube_informer_event(inf, "ADDED", &o);
                cc_alloc_fail_at(0, false);
                cJSON_Delete(o);
                if (rc != CC_OK) {
                        assert_int_equal(rc, CC_NOMEM);
                        /* a failed replace leaves nothing half-applied */
                        assert_true(r.n == 0 || r.n == 2);
                }
                cc_kube_informer_free(inf);
                if (rc == CC_OK && !cc_alloc_failed())
                        break;
        }
        assert_true(n < 500);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_list_then_watch_exactly_once),
                cmocka_unit_test(test_relist_after_410),
                cmocka_unit_test(test_bad_events),
                cmocka_unit_test(test_cluster_scoped_keys),
                cmocka_unit_test(test_allocation_failures),
        };

        cc_alloc_init();
        cc_log_configure("off", NULL);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
