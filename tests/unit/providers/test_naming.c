/* test_naming.c -- deterministic names and the ownership mark. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "providers/gke/naming.h"

static void
test_shape_and_determinism(void **state)
{
        char a[64], b[64];

        assert_int_equal(cc_gke_name(a, sizeof(a), "um", "prod", "shop", "web", NULL), CC_OK);
        assert_int_equal(cc_gke_name(b, sizeof(b), "um", "prod", "shop", "web", NULL), CC_OK);
        assert_string_equal(a, b);
        assert_int_equal(strncmp(a, "cc1-um-shop-web-", 16), 0);
        assert_int_equal(strlen(a), 16 + 10);
        assert_true(cc_gke_valid_name(a));
}

static void
test_no_collisions(void **state)
{
        char a[64], b[64];

        /* "a-b"/"c" and "a"/"b-c" sanitize alike but hash apart */
        cc_gke_name(a, sizeof(a), "bs", "f", "a-b", "c", NULL);
        cc_gke_name(b, sizeof(b), "bs", "f", "a", "b-c", NULL);
        assert_string_not_equal(a, b);
        /* another fleet, another name */
        cc_gke_name(b, sizeof(b), "bs", "g", "a-b", "c", NULL);
        assert_string_not_equal(a, b);
        /* a discriminator (listener port) changes it */
        cc_gke_name(a, sizeof(a), "fr", "f", "ns", "gw", "443");
        cc_gke_name(b, sizeof(b), "fr", "f", "ns", "gw", "80");
        assert_string_not_equal(a, b);
}

static void
test_long_and_odd_inputs(void **state)
{
        char a[64];
        const char *ns = "a-very-long-namespace-name-that-goes-on-and-on-and-on-forever";
        const char *nm = "Gateway.With_Odd--Chars-and-a-long-long-long-long-name-too";

        assert_int_equal(cc_gke_name(a, sizeof(a), "cme", "fleet", ns, nm, "www.example.com"),
                         CC_OK);
        assert_true(strlen(a) <= 63);
        assert_true(cc_gke_valid_name(a));
        assert_null(strstr(a, "--"));
        assert_int_equal(cc_gke_name(a, sizeof(a), "ip", "fleet", "", "---", NULL), CC_OK);
        assert_true(cc_gke_valid_name(a));
        assert_int_equal(cc_gke_name(a, sizeof(a), "UM", "f", "n", "m", NULL), CC_INVAL);
        assert_int_equal(cc_gke_name(a, sizeof(a), "toolong", "f", "n", "m", NULL), CC_INVAL);
        assert_int_equal(cc_gke_name(a, 10, "um", "f", "n", "m", NULL), CC_INVAL);
}

static void
test_valid_name(void **state)
{
        assert_true(cc_gke_valid_name("a"));
        assert_true(cc_gke_valid_name("a-1"));
        assert_false(cc_gke_valid_name("1a"));
        assert_false(cc_gke_valid_name("a-"));
        assert_false(cc_gke_valid_name("a_b"));
        assert_false(cc_gke_valid_name(""));
        assert_false(
            cc_gke_valid_name("a234567890123456789012345678901234567890123456789012345678901234"));
}

static void
test_ownership(void **state)
{
        char desc[256], owner[128];

        cc_gke_owner(owner, sizeof(owner), "prod", "shop", "web");
        assert_string_equal(owner, "prod/shop/web");
        assert_int_equal(cc_gke_description(desc, sizeof(desc), owner), CC_OK);
        assert_string_equal(
            desc, "{\"cloudctl.dev/owner\":\"prod/shop/web\",\"cloudctl.dev/version\":1}");
        memset(owner, 0, sizeof(owner));
        assert_true(cc_gke_parse_owner(desc, owner, sizeof(owner)));
        assert_string_equal(owner, "prod/shop/web");
        assert_true(cc_gke_owner_in_fleet(owner, "prod"));
        assert_false(cc_gke_owner_in_fleet(owner, "pro"));
        assert_false(cc_gke_owner_in_fleet(owner, "staging"));
        /* foreign descriptions are not ours */
        assert_false(cc_gke_parse_owner("", owner, sizeof(owner)));
        assert_false(cc_gke_parse_owner(NULL, owner, sizeof(owner)));
        assert_false(cc_gke_parse_owner("made by hand", owner, sizeof(owner)));
        assert_false(
            cc_gke_parse_owner("{\"kubernetes.io/ingress-name\":\"a/b\"}", owner, sizeof(owner)));
        assert_false(cc_gke_parse_owner("{\"cloudctl.dev/owner\":\"x\"}", owner, sizeof(owner)));
        assert_false(cc_gke_parse_owner("{broken", owner, sizeof(owner)));
        assert_int_equal(cc_gke_description(desc, 10, "prod/shop/web"), CC_TOOBIG);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_shape_and_determinism),
                cmocka_unit_test(test_no_collisions),
                cmocka_unit_test(test_long_and_odd_inputs),
                cmocka_unit_test(test_valid_name),
                cmocka_unit_test(test_ownership),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
