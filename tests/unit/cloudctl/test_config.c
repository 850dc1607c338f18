/* test_config.c -- the configuration file: a full example, defaults, and
 * errors that name the file and the field. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "cloudctl/config.h"
#include "core/alloc.h"
#include "lib/testlib.h"
#include "providers/provider.h"

static const char *
write_file(const char *name, const char *text)
{
        static char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", cc_test_tmpdir(), name);
        f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        return path;
}

static void
test_full(void **state)
{
        struct cc_config c;
        struct cc_diag d;
        const char *p =
            write_file("full.yaml", "fleet: prod\n"
                                    "project: my-proj\n"
                                    "network: vpc-1\n"
                                    "dns: {managedZone: example-com, dnsName: example.com.}\n"
                                    "certificates: certificate-manager\n"
                                    "clusters:\n"
                                    "  - name: us-east\n"
                                    "    region: us-east1\n"
                                    "    zones: [us-east1-b, us-east1-c]\n"
                                    "    weight: 60\n"
                                    "    services: east/services.yaml\n"
                                    "  - name: eu-west\n"
                                    "    zones: [europe-west1-b]\n"
                                    "endpoints:\n"
                                    "  compute: http://127.0.0.1:1/compute/v1/\n"
                                    "  dns: http://127.0.0.1:1/dns/v1/\n"
                                    "credentials:\n"
                                    "  type: service-account-key\n"
                                    "  file: /keys/sa.json\n"
                                    "rateLimits: {computeMutate: 5, dns: 2.5}\n");

        assert_int_equal(cc_config_load(p, &c, &d), CC_OK);
        assert_string_equal(c.fleet, "prod");
        assert_string_equal(c.project, "my-proj");
        assert_string_equal(c.network, "vpc-1");
        assert_string_equal(c.dns_zone, "example-com");
        assert_string_equal(c.dns_name, "example.com.");
        assert_int_equal(c.cert_mode, CC_CERT_CERTMGR);
        assert_int_equal(c.nclusters, 2);
        assert_int_equal(c.clusters[0].weight, 60);
        assert_int_equal(c.clusters[0].nzones, 2);
        assert_string_equal(c.clusters[0].zones[1], "us-east1-c");
        /* relative paths resolve against the config file's directory */
        assert_non_null(strstr(c.clusters[0].services, "/east/services.yaml"));
        assert_int_equal(c.clusters[0].services[0], '/');
        assert_int_equal(c.clusters[1].weight, 100);
        assert_string_equal(c.endpoints.compute, "http://127.0.0.1:1/compute/v1/");
        assert_null(c.endpoints.certificatemanager);
        assert_int_equal(c.credentials.type, CC_CRED_SA_KEY);
        assert_string_equal(c.credentials.file, "/keys/sa.json");
        assert_true(c.rates.compute_mutate == 5.0);
        assert_true(c.rates.dns == 2.5);
        assert_true(c.rates.compute_read == CC_CONFIG_RATE_DEFAULT);
        cc_config_release(&c);
}

static void
test_defaults(void **state)
{
        struct cc_config c;
        struct cc_diag d;
        const char *p = write_file("min.yaml", "fleet: f\nproject: p\n");

        assert_int_equal(cc_config_load(p, &c, &d), CC_OK);
        assert_string_equal(c.network, "default");
        assert_null(c.dns_zone);
        assert_int_equal(c.nclusters, 0);
        assert_int_equal(c.credentials.type, CC_CRED_ADC);
        cc_config_release(&c);
}

static void
expect_error(const char *text, const char *msg)
{
        struct cc_config c;
        struct cc_diag d;
        const char *p = write_file("bad.yaml", text);

        assert_int_equal(cc_config_load(p, &c, &d), CC_INVAL);
        if (!strstr(d.message, msg))
                fail_msg("message '%s' lacks '%s'", d.message, msg);
        assert_non_null(strstr(d.message, "bad.yaml"));
}

static void
test_errors(void **state)
{
        expect_error("project: p\n", "field 'fleet'");
        expect_error("fleet: Prod\nproject: p\n", "field 'fleet': must be a lowercase name");
        expect_error("fleet: f\nproject: 7\n", "field 'project': expected string, got number");
        expect_error("fleet: f\nproject: p\ndns: {managedZone: z}\n", "field 'dns.dnsName'");
        expect_error("fleet: f\nproject: p\ndns: {managedZone: z, dnsName: example.com}\n",
                     "must end with a dot");
        expect_error("fleet: f\nproject: p\ncertificates: acme\n", "field 'certificates'");
        expect_error("fleet: f\nproject: p\nclusters: {a: 1}\n",
                     "field 'clusters': must be a list");
        expect_error("fleet: f\nproject: p\nclusters: [{name: a, weight: 101}]\n",
                     "field 'clusters[0].weight': must be an integer 0..100");
        expect_error("fleet: f\nproject: p\nclusters: [{name: a}, {name: a}]\n",
                     "field 'clusters[1]': duplicate cluster name");
        expect_error("fleet: f\nproject: p\nclusters: [{name: a, zones: [1]}]\n",
                     "field 'clusters[0].zones'");
        expect_error("fleet: f\nproject: p\nendpoints: {compute: ftp://x/}\n",
                     "field 'endpoints.compute': must be an http:// or https:// URL");
        expect_error("fleet: f\nproject: p\ncredentials: {type: service-account-key}\n",
                     "field 'credentials.file'");
        expect_error("fleet: f\nproject: p\ncredentials: {type: magic}\n",
                     "field 'credentials.type'");
        expect_error("fleet: f\nproject: p\nrateLimits: {dns: 0}\n",
                     "field 'rateLimits.dns': must be a number of requests per second");
        expect_error("- a\n- b\n", "expected a mapping at the top");
        expect_error("fleet: f\n---\nfleet: g\n", "expected exactly one document");
        expect_error("fleet: [unclosed\n", "yaml: line");
}

static void
test_missing_file(void **state)
{
        struct cc_config c;
        struct cc_diag d;

        assert_int_equal(cc_config_load("/nonexistent/cloudctl.yaml", &c, &d), CC_NOTFOUND);
        assert_non_null(strstr(d.message, "/nonexistent/cloudctl.yaml"));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full),
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_missing_file),
        };
        cc_alloc_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
