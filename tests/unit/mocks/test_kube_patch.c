/* test_kube_patch.c -- mock-kube's patch algorithms (merge, strategic, JSON
 * patch) and label/field selectors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "mocks/kube/kube.h"

/* apply `patch` to `doc` with fn and compare with `want` (all JSON text) */
static void
check_json(const cJSON *got, const char *want)
{
        cJSON *w = cJSON_Parse(want);
        char *text = cJSON_PrintUnformatted(got);

        assert_non_null(w);
        if (!cJSON_Compare(got, w, true))
                fail_msg("got %s\nwant %s", text, want);
        cJSON_free(text);
        cJSON_Delete(w);
}

static void
test_merge_patch(void **state)
{
        cJSON *doc = cJSON_Parse("{\"a\":1,\"b\":{\"c\":2,\"d\":3},\"l\":[1,2]}");
        cJSON *patch = cJSON_Parse("{\"a\":null,\"b\":{\"c\":9,\"e\":{\"f\":null,\"g\":1}},"
                                   "\"l\":[3]}");
        cJSON *diff;

        (void)state;
        assert_true(kube_merge_patch(&doc, patch));
        /* null deletes, objects merge (nulls inside new objects dropped), arrays replace */
        check_json(doc, "{\"b\":{\"c\":9,\"d\":3,\"e\":{\"g\":1}},\"l\":[3]}");
        cJSON_Delete(patch);
        /* a non-object patch replaces the document */
        patch = cJSON_Parse("[1]");
        assert_true(kube_merge_patch(&doc, patch));
        check_json(doc, "[1]");
        cJSON_Delete(patch);
        cJSON_Delete(doc);

        /* diff: a -> b as a merge patch */
        doc = cJSON_Parse("{\"x\":1,\"y\":{\"z\":1,\"w\":2},\"k\":3}");
        patch = cJSON_Parse("{\"x\":1,\"y\":{\"z\":5},\"n\":[1]}");
        diff = kube_merge_diff(doc, patch);
        check_json(diff, "{\"k\":null,\"y\":{\"w\":null,\"z\":5},\"n\":[1]}");
        assert_true(kube_merge_patch(&doc, diff));
        check_json(doc, "{\"x\":1,\"y\":{\"z\":5},\"n\":[1]}");
        cJSON_Delete(diff);
        cJSON_Delete(patch);
        cJSON_Delete(doc);
}

static void
smp(const char *kind, const char *doc, const char *patch, const char *want)
{
        cJSON *d = cJSON_Parse(doc), *p = cJSON_Parse(patch);
        char err[256] = "";

        assert_non_null(d);
        assert_non_null(p);
        assert_int_equal(kube_smp(&d, p, kind, err, sizeof(err)), 0);
        check_json(d, want);
        cJSON_Delete(d);
        cJSON_Delete(p);
}

static void
test_strategic_merge_patch(void **state)
{
        (void)state;
        /* kubectl's Deployment update: containers merged by name, ports kept */
        smp("Deployment",
            "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"n:1\","
            "\"ports\":[{\"containerPort\":80}]},{\"name\":\"side\",\"image\":\"s\"}]}}}}",
            "{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"c\"},"
            "{\"name\":\"side\"}],\"containers\":[{\"image\":\"n:2\",\"name\":\"c\"}]}}}}",
            "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"n:2\","
            "\"ports\":[{\"containerPort\":80}]},{\"name\":\"side\",\"image\":\"s\"}]}}}}");
        /* container ports by containerPort, env by name, new element appended */
        smp("Deployment",
            "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"ports\":[{"
            "\"containerPort\":80,\"name\":\"a\"}],\"env\":[{\"name\":\"A\",\"value\":\"1\"}]}]}}}"
            "}",
            "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"ports\":[{"
            "\"containerPort\":80,\"protocol\":\"TCP\"},{\"containerPort\":443}],\"env\":[{"
            "\"name\":\"B\",\"value\":\"2\"}]}]}}}}",
            "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"ports\":[{"
            "\"containerPort\":80,\"name\":\"a\",\"protocol\":\"TCP\"},{\"containerPort\":443}],"
            "\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"value\":\"2\"}]}]}}}}");
        /* $patch: delete in a keyed list; Service ports by port */
        smp("Service", "{\"spec\":{\"ports\":[{\"port\":80,\"name\":\"h\"},{\"port\":443}]}}",
            "{\"spec\":{\"ports\":[{\"port\":443,\"$patch\":\"delete\"},{\"port\":80,"
            "\"targetPort\":8080}]}}",
            "{\"spec\":{\"ports\":[{\"port\":80,\"name\":\"h\",\"targetPort\":8080}]}}");
        /* conditions by type; finalizers as a set; other lists replaced atomically */
        smp("Deployment",
            "{\"metadata\":{\"finalizers\":[\"a\"]},\"status\":{\"conditions\":[{\"type\":"
            "\"Available\",\"status\":\"False\"}]},\"spec\":{\"x\":[1,2]}}",
            "{\"metadata\":{\"finalizers\":[\"b\",\"a\"]},\"status\":{\"conditions\":[{\"type\":"
            "\"Available\",\"status\":\"True\"},{\"type\":\"Progressing\",\"status\":\"True\"}]},"
            "\"spec\":{\"x\":[3]}}",
            "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]},\"status\":{\"conditions\":[{\"type\":"
            "\"Available\",\"status\":\"True\"},{\"type\":\"Progressing\",\"status\":\"True\"}]},"
            "\"spec\":{\"x\":[3]}}");
        /* $patch: replace on a list and on a map; $deleteFromPrimitiveList; $retainKeys */
        smp("Deployment",
            "{\"spec\":{\"template\":{\"spec\":{\"volumes\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}},"
            "\"m\":{\"k\":1,\"j\":2},\"p\":[\"x\",\"y\",\"z\"],\"r\":{\"type\":\"A\",\"a\":1}}",
            "{\"spec\":{\"template\":{\"spec\":{\"volumes\":[{\"name\":\"c\"},{\"$patch\":"
            "\"replace\"}]}}},\"m\":{\"$patch\":\"replace\",\"n\":3},"
            "\"$deleteFromPrimitiveList/p\":[\"y\"],\"r\":{\"$retainKeys\":[\"type\",\"b\"],"
            "\"type\":\"B\",\"b\":2}}",
            "{\"spec\":{\"template\":{\"spec\":{\"volumes\":[{\"name\":\"c\"}]}}},\"m\":{\"n\":3},"
            "\"p\":[\"x\",\"z\"],\"r\":{\"type\":\"B\",\"b\":2}}");
        /* null deletes a field; $patch: delete on a map removes it */
        smp("ConfigMap", "{\"data\":{\"a\":\"1\",\"b\":\"2\"},\"x\":{\"y\":1}}",
            "{\"data\":{\"a\":null},\"x\":{\"$patch\":\"delete\"}}", "{\"data\":{\"b\":\"2\"}}");
}

static void
test_strategic_merge_patch_errors(void **state)
{
        cJSON *d = cJSON_Parse("{\"spec\":{\"ports\":[{\"port\":80}]}}");
        cJSON *p = cJSON_Parse("{\"spec\":{\"ports\":[{\"name\":\"no-key\"}]}}");
        char err[256];

        (void)state;
        /* an element without the merge key is rejected */
        assert_int_equal(kube_smp(&d, p, "Service", err, sizeof(err)), 400);
        assert_non_null(strstr(err, "merge key"));
        cJSON_Delete(p);
        p = cJSON_Parse("[1]");
        assert_int_equal(kube_smp(&d, p, "Service", err, sizeof(err)), 400);
        cJSON_Delete(p);
        p = cJSON_Parse("{\"spec\":{\"$patch\":\"bogus\"}}");
        assert_int_equal(kube_smp(&d, p, "Service", err, sizeof(err)), 400);
        cJSON_Delete(p);
        p = cJSON_Parse("{\"spec\":{\"ports\":[1]}}");
        assert_int_equal(kube_smp(&d, p, "Service", err, sizeof(err)), 400);
        cJSON_Delete(p);
        cJSON_Delete(d);
}

static int
jp(const char *doc, const char *ops, const char *want)
{
        cJSON *d = cJSON_Parse(doc), *o = cJSON_Parse(ops);
        char err[256] = "";
        int rc;

        assert_non_null(d);
        rc = kube_json_patch(&d, o, err, sizeof(err));
        if (!rc && want)
                check_json(d, want);
        if (rc)
                assert_true(err[0] != 0);
        cJSON_Delete(d);
        cJSON_Delete(o);
        return rc;
}

static void
test_json_patch(void **state)
{
        (void)state;
        assert_int_equal(jp("{\"a\":{\"b\":[1,2]}}",
                            "[{\"op\":\"add\",\"path\":\"/a/b/1\",\"value\":9},"
                            "{\"op\":\"add\",\"path\":\"/a/b/-\",\"value\":3},"
                            "{\"op\":\"replace\",\"path\":\"/a/b/0\",\"value\":0},"
                            "{\"op\":\"add\",\"path\":\"/a/c~1d\",\"value\":\"s\"},"
                            "{\"op\":\"test\",\"path\":\"/a/c~1d\",\"value\":\"s\"}]",
                            "{\"a\":{\"b\":[0,9,2,3],\"c/d\":\"s\"}}"),
                         0);
        assert_int_equal(jp("{\"a\":{\"x\":1},\"b\":{}}",
                            "[{\"op\":\"copy\",\"from\":\"/a/x\",\"path\":\"/b/y\"},"
                            "{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/c\"},"
                            "{\"op\":\"remove\",\"path\":\"/b/y\"}]",
                            "{\"b\":{},\"c\":{\"x\":1}}"),
                         0);
        /* operations that cannot apply: 422 */
        assert_int_equal(jp("{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":2}]", NULL),
                         422);
        assert_int_equal(jp("{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/b\"}]", NULL), 422);
        assert_int_equal(
            jp("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/b\",\"value\":1}]", NULL), 422);
        assert_int_equal(
            jp("{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/5\",\"value\":1}]", NULL), 422);
        assert_int_equal(
            jp("{\"a\":{}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/b\"}]", NULL), 422);
        assert_int_equal(jp("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/x/y\",\"value\":1}]", NULL),
                         422);
        /* malformed patches: 400 */
        assert_int_equal(jp("{}", "{\"op\":\"add\"}", NULL), 400);
        assert_int_equal(jp("{}", "[{\"op\":\"frob\",\"path\":\"/a\"}]", NULL), 400);
        assert_int_equal(jp("{}", "[{\"path\":\"/a\"}]", NULL), 400);
        assert_int_equal(jp("{}", "[{\"op\":\"add\",\"path\":\"a\",\"value\":1}]", NULL), 400);
        assert_int_equal(jp("{}", "[{\"op\":\"add\",\"path\":\"/a\"}]", NULL), 400);
        assert_int_equal(jp("{}", "[{\"op\":\"copy\",\"path\":\"/a\"}]", NULL), 400);
        assert_int_equal(jp("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/a~2\",\"value\":1}]", NULL),
                         422);
}

static cJSON *
obj_with_labels(const char *labels)
{
        char text[512];

        snprintf(text, sizeof(text),
                 "{\"metadata\":{\"name\":\"n1\",\"namespace\":\"ns\","
                 "\"labels\":%s},\"type\":\"Opaque\"}",
                 labels);
        return cJSON_Parse(text);
}

static bool
lmatch(const char *sel, const char *labels)
{
        struct kube_sel s = { 0 };
        char err[256];
        cJSON *o = obj_with_labels(labels);
        bool m;

        assert_int_equal(kube_lsel_parse(sel, &s, err, sizeof(err)), 0);
        m = kube_lsel_match(&s, o);
        kube_sel_release(&s);
        cJSON_Delete(o);
        return m;
}

static void
test_label_selectors(void **state)
{
        struct kube_sel s = { 0 };
        char err[256];
        static const char *const bad[] = { "a=b=c", "in (a)",        "a in a,b", "a in (a",
                                           "=b",    "a=b,",          "a!b",      "-a=b",
                                           "a=b c", "a notin (x,)y", "a=-b",     NULL };
        size_t i;

        (void)state;
        assert_true(lmatch("", "{}"));
        assert_true(lmatch("app=web", "{\"app\":\"web\"}"));
        assert_true(lmatch("app==web", "{\"app\":\"web\"}"));
        assert_false(lmatch("app=web", "{\"app\":\"db\"}"));
        assert_true(lmatch("app!=web", "{\"app\":\"db\"}"));
        assert_true(lmatch("app!=web", "{}"));
        assert_true(lmatch("tier in (t0, t1)", "{\"tier\":\"t1\"}"));
        assert_false(lmatch("tier in (t0,t1)", "{}"));
        assert_true(lmatch("tier notin (t0,t1)", "{}"));
        assert_false(lmatch("tier notin (t0,t1)", "{\"tier\":\"t0\"}"));
        assert_true(lmatch("app", "{\"app\":\"\"}"));
        assert_false(lmatch("app", "{}"));
        assert_true(lmatch("!app", "{}"));
        assert_false(lmatch("! app", "{\"app\":\"x\"}"));
        assert_true(lmatch("app=web,tier in (t0),!legacy,example.com/x=1",
                           "{\"app\":\"web\",\"tier\":\"t0\",\"example.com/x\":\"1\"}"));
        assert_false(lmatch("app=web,!legacy", "{\"app\":\"web\",\"legacy\":\"y\"}"));
        assert_true(
            lmatch("kubernetes.io/service-name=web", "{\"kubernetes.io/service-name\":\"web\"}"));
        for (i = 0; bad[i]; i++) {
                err[0] = 0;
                if (kube_lsel_parse(bad[i], &s, err, sizeof(err)) != 400)
                        fail_msg("selector '%s' was accepted", bad[i]);
                assert_true(err[0] != 0);
                assert_int_equal(s.n, 0);
        }
}

static void
test_field_selectors(void **state)
{
        const struct kube_res *ev = kube_res_find("", "v1", "events");
        const struct kube_res *sec = kube_res_find("", "v1", "secrets");
        const struct kube_res *gw = kube_res_find("gateway.networking.k8s.io", "v1", "gateways");
        cJSON *e = cJSON_Parse("{\"metadata\":{\"name\":\"e1\",\"namespace\":\"ns\"},"
                               "\"involvedObject\":{\"kind\":\"Service\",\"name\":\"web\","
                               "\"uid\":\"u1\"},\"reason\":\"Synced\",\"type\":\"Normal\","
                               "\"source\":{\"component\":\"ctrl\"}}");
        cJSON *s = obj_with_labels("{}");
        struct kube_sel sel = { 0 };
        char err[256];

        (void)state;
        assert_int_equal(kube_fsel_parse("involvedObject.name=web,involvedObject.kind==Service,"
                                         "involvedObject.uid=u1,reason=Synced,source=ctrl,"
                                         "type!=Warning,metadata.namespace=ns",
                                         ev, &sel, err, sizeof(err)),
                         0);
        assert_true(kube_fsel_match(&sel, e));
        kube_sel_release(&sel);
        assert_int_equal(kube_fsel_parse("involvedObject.name=db", ev, &sel, err, sizeof(err)), 0);
        assert_false(kube_fsel_match(&sel, e));
        kube_sel_release(&sel);
        /* absent fields compare as "" */
        assert_int_equal(kube_fsel_parse("involvedObject.namespace=", ev, &sel, err, sizeof(err)),
                         0);
        assert_true(kube_fsel_match(&sel, e));
        kube_sel_release(&sel);
        assert_int_equal(
            kube_fsel_parse("type=Opaque,metadata.name=n1", sec, &sel, err, sizeof(err)), 0);
        assert_true(kube_fsel_match(&sel, s));
        kube_sel_release(&sel);
        /* unsupported field, or no operator: 400 */
        assert_int_equal(kube_fsel_parse("spec.foo=1", gw, &sel, err, sizeof(err)), 400);
        assert_string_equal(err, "field label not supported: spec.foo");
        assert_int_equal(kube_fsel_parse("reason=x", gw, &sel, err, sizeof(err)), 400);
        assert_int_equal(kube_fsel_parse("metadata.name", gw, &sel, err, sizeof(err)), 400);
        assert_int_equal(sel.n, 0);
        cJSON_Delete(e);
        cJSON_Delete(s);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_merge_patch),
                cmocka_unit_test(test_strategic_merge_patch),
                cmocka_unit_test(test_strategic_merge_patch_errors),
                cmocka_unit_test(test_json_patch),
                cmocka_unit_test(test_label_selectors),
                cmocka_unit_test(test_field_selectors),
        };

        cc_alloc_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
