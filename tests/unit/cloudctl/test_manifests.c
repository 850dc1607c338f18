/* test_manifests.c -- loading manifests from files, directories and Lists. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cloudctl/manifests.h"
#include "core/alloc.h"
#include "lib/testlib.h"

static void
write_at(const char *rel, const char *text)
{
        char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", cc_test_tmpdir(), rel);
        f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void
test_dir_and_list(void **state)
{
        struct cc_manifests m = CC_MANIFESTS_INIT;
        struct cc_diag d;
        char dir[512];
        size_t i = 0, n = 0;
        const struct cc_manifest *it;

        snprintf(dir, sizeof(dir), "%s/m", cc_test_tmpdir());
        mkdir(dir, 0700);
        write_at("m/b.yaml", "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
                             "metadata: {name: gw, namespace: ns}\n---\n"
                             "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
                             "metadata: {name: r}\n");
        write_at("m/a.json",
                 "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":["
                 "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"s\"}},"
                 "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"t\"}}]}");
        write_at("m/notes.txt", "not a manifest");
        assert_int_equal(cc_manifests_load(&m, dir, &d), CC_OK);
        assert_int_equal(m.n, 4);
        /* files in name order */
        assert_non_null(strstr(m.items[0].source, "a.json"));
        assert_non_null(strstr(m.items[3].source, "b.yaml#2"));
        while ((it = cc_manifests_next(&m, "Gateway", &i)) != NULL)
                n++;
        assert_int_equal(n, 1);
        cc_manifests_release(&m);
}

static void
test_errors(void **state)
{
        struct cc_manifests m = CC_MANIFESTS_INIT;
        struct cc_diag d;
        char path[512];

        write_at("bad1.yaml", "apiVersion: v1\nkind: Service\nmetadata: {}\n");
        snprintf(path, sizeof(path), "%s/bad1.yaml", cc_test_tmpdir());
        assert_int_equal(cc_manifests_load(&m, path, &d), CC_INVAL);
        assert_non_null(strstr(d.message, "Service in document 1 has no metadata.name"));
        cc_manifests_release(&m);

        write_at("bad2.yaml", "a: b\n---\n- 1\n");
        snprintf(path, sizeof(path), "%s/bad2.yaml", cc_test_tmpdir());
        assert_int_equal(cc_manifests_load(&m, path, &d), CC_INVAL);
        assert_non_null(strstr(d.message, "document 1 is not a Kubernetes object"));
        cc_manifests_release(&m);

        write_at("bad3.yaml", "kind: Gateway\n  metadata: x: y\n");
        snprintf(path, sizeof(path), "%s/bad3.yaml", cc_test_tmpdir());
        assert_int_equal(cc_manifests_load(&m, path, &d), CC_INVAL);
        assert_non_null(strstr(d.message, "yaml: line 2"));
        assert_non_null(strstr(d.message, "bad3.yaml"));
        cc_manifests_release(&m);

        assert_int_equal(cc_manifests_load(&m, "/nonexistent/x.yaml", &d), CC_NOTFOUND);
        assert_non_null(strstr(d.message, "/nonexistent/x.yaml"));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dir_and_list),
                cmocka_unit_test(test_errors),
        };
        cc_alloc_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
