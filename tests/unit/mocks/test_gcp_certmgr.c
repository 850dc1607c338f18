/* test_gcp_certmgr.c -- mock-gcp's Certificate Manager: operation shapes,
 * DNS authorizations, the managed-certificate state machine against the
 * mock's Cloud DNS, in-use deletes, updateMask, admin hooks, lists and
 * persistence. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "mocks/gcp/gcp.h"

extern const struct gcp_module gcp_module_dns;
extern const struct gcp_module gcp_module_certmgr;

static struct gcp g;
static void *dns, *cm;

#define L     "/v1/projects/test-proj/locations/global"
#define LNAME "projects/test-proj/locations/global"

static int
setup(void **unused)
{
        struct cc_diag d;

        memset(&g, 0, sizeof(g));
        snprintf(g.projects[0].id, sizeof(g.projects[0].id), "test-proj");
        snprintf(g.projects[0].number, sizeof(g.projects[0].number), "100000000001");
        g.nprojects = 1;
        g.next_id = 1;
        g.cfg.cert_latency_ms = 0;
        g.cfg.cert_timeout_ms = 3600 * 1000;
        pthread_cond_init(&g.cond, NULL);
        if (gcp_module_dns.create(&g, &dns, &d) != CC_OK ||
            gcp_module_certmgr.create(&g, &cm, &d) != CC_OK)
                return -1;
        return 0;
}

static int
teardown(void **unused)
{
        gcp_module_certmgr.release(cm);
        gcp_module_dns.release(dns);
        pthread_cond_destroy(&g.cond);
        return 0;
}

static cJSON *
call_mod(const struct gcp_module *m, void *state, const char *method, const char *path,
         const char *query, const char *body, int *status)
{
        struct cc_mock_req req = { .method = method,
                                   .path = path,
                                   .raw_query = query ? query : "",
                                   .body = body ? body : "",
                                   .body_len = body ? strlen(body) : 0 };
        struct cc_mock_resp resp;
        cJSON *j;

        cc_mock_resp_init(&resp);
        m->handle(&g, state, &req, &resp);
        *status = resp.status;
        j = cJSON_ParseWithLength(cc_buf_str(&resp.body), resp.body.len);
        cc_mock_resp_release(&resp);
        return j;
}

static cJSON *
call(const char *method, const char *path, const char *query, const char *body, int *status)
{
        return call_mod(&gcp_module_certmgr, cm, method, path, query, body, status);
}

static int
status_of(const char *method, const char *path, const char *query, const char *body)
{
        int st;

        cJSON_Delete(call(method, path, query, body, &st));
        return st;
}

static const char *
sget(const cJSON *j, const char *path)
{
        char key[128];
        const char *p = path;

        while (j && *p) {
                const char *dot = strchr(p, '.');
                size_t n = dot ? (size_t)(dot - p) : strlen(p);

                snprintf(key, sizeof(key), "%.*s", (int)n, p);
                if (cJSON_IsArray(j))
                        j = cJSON_GetArrayItem(j, key[0] - '0');
                else
                        j = cJSON_GetObjectItem(j, key);
                p += n + (dot ? 1 : 0);
        }
        return cJSON_IsString(j) ? j->valuestring : NULL;
}

/* create auth1 for example.com; returns its record data (caller frees) */
static char *
make_auth(void)
{
        int st;
        cJSON *op = call("POST", L "/dnsAuthorizations", "alt=json&dnsAuthorizationId=auth1",
                         "{\"domain\":\"example.com\"}", &st);
        char *data;

        assert_int_equal(st, 200);
        data = cc_strdup(sget(op, "response.dnsResourceRecord.data"));
        cJSON_Delete(op);
        return data;
}

static void
make_cert(void)
{
        assert_int_equal(status_of("POST", L "/certificates", "certificateId=cert1",
                                   "{\"managed\":{\"domains\":[\"example.com\",\"*.example.com\"],"
                                   "\"dnsAuthorizations\":[\"" LNAME
                                   "/dnsAuthorizations/auth1\"]},\"scope\":\"DEFAULT\"}"),
                         200);
}

static void
publish_cname(const char *data)
{
        char body[512];
        int st;

        cJSON_Delete(call_mod(&gcp_module_dns, dns, "POST",
                              "/dns/v1/projects/test-proj/managedZones", NULL,
                              "{\"name\":\"z1\",\"dnsName\":\"example.com.\"}", &st));
        snprintf(body, sizeof(body),
                 "{\"name\":\"_acme-challenge.example.com.\",\"type\":\"CNAME\",\"ttl\":300,"
                 "\"rrdatas\":[\"%s\"]}",
                 data);
        cJSON_Delete(call_mod(&gcp_module_dns, dns, "POST",
                              "/dns/v1/projects/test-proj/managedZones/z1/rrsets", NULL, body,
                              &st));
        assert_int_equal(st, 200);
}

static char *
cert_state(void)
{
        int st;
        cJSON *c = call("GET", L "/certificates/cert1", NULL, NULL, &st);
        char *s;

        assert_int_equal(st, 200);
        s = cc_strdup(sget(c, "managed.state"));
        cJSON_Delete(c);
        return s;
}

static void
test_operation_shapes(void **unused)
{
        int st;
        cJSON *op, *resp;
        const char *data;
        char path[512];

        op = call("POST", L "/dnsAuthorizations", "dnsAuthorizationId=auth1",
                  "{\"domain\":\"example.com\"}", &st);
        assert_int_equal(st, 200);
        assert_non_null(strstr(sget(op, "name"), LNAME "/operations/operation-"));
        assert_string_equal(sget(op, "metadata.@type"),
                            "type.googleapis.com/google.cloud.certificatemanager.v1."
                            "OperationMetadata");
        assert_string_equal(sget(op, "metadata.verb"), "create");
        assert_string_equal(sget(op, "metadata.target"), LNAME "/dnsAuthorizations/auth1");
        assert_string_equal(sget(op, "metadata.apiVersion"), "v1");
        assert_true(cJSON_IsTrue(cJSON_GetObjectItem(op, "done")));
        resp = cJSON_GetObjectItem(op, "response");
        assert_string_equal(sget(resp, "@type"),
                            "type.googleapis.com/google.cloud.certificatemanager.v1."
                            "DnsAuthorization");
        assert_string_equal(sget(resp, "type"), "FIXED_RECORD");
        assert_string_equal(sget(resp, "dnsResourceRecord.name"), "_acme-challenge.example.com.");
        assert_string_equal(sget(resp, "dnsResourceRecord.type"), "CNAME");
        data = sget(resp, "dnsResourceRecord.data");
        assert_int_equal(strlen(data), 36 + strlen(".N.authorize.certificatemanager.goog."));
        assert_non_null(strstr(data, ".authorize.certificatemanager.goog."));
        cJSON_Delete(op);

        /* a slow operation: "done" is omitted until it finishes */
        g.cfg.op_latency_ms = 3600 * 1000;
        op = call("POST", L "/certificateMaps", "certificateMapId=m1", "{}", &st);
        assert_int_equal(st, 200);
        assert_null(cJSON_GetObjectItem(op, "done"));
        assert_null(cJSON_GetObjectItem(op, "response"));
        snprintf(path, sizeof(path), "/v1/%s", sget(op, "name"));
        cJSON_Delete(op);
        op = call("GET", path, NULL, NULL, &st);
        assert_int_equal(st, 200);
        assert_null(cJSON_GetObjectItem(op, "done"));
        cJSON_Delete(op);
        g.cfg.op_latency_ms = 0;
        op = call("GET", path, NULL, NULL, &st);
        /* the finish time was fixed at creation: still running */
        assert_null(cJSON_GetObjectItem(op, "done"));
        cJSON_Delete(op);

        /* delete answers google.protobuf.Empty */
        op = call("DELETE", L "/dnsAuthorizations/auth1", NULL, NULL, &st);
        assert_int_equal(st, 200);
        assert_string_equal(sget(op, "metadata.verb"), "delete");
        assert_string_equal(sget(op, "response.@type"),
                            "type.googleapis.com/google.protobuf.Empty");
        cJSON_Delete(op);
        op = call("GET", L "/dnsAuthorizations/auth1", NULL, NULL, &st);
        assert_int_equal(st, 404);
        assert_string_equal(sget(op, "error.status"), "NOT_FOUND");
        assert_string_equal(sget(op, "error.message"),
                            "Resource '" LNAME "/dnsAuthorizations/auth1' was not found");
        cJSON_Delete(op);

        /* duplicates are refused synchronously */
        assert_int_equal(status_of("POST", L "/certificateMaps", "certificateMapId=m1", "{}"), 409);
}

static void
test_cert_active_once_cname_exists(void **unused)
{
        char *data = make_auth(), *s;
        cJSON *c;
        int st;

        make_cert();
        s = cert_state();
        assert_string_equal(s, "PROVISIONING");
        cc_free(s);
        c = call("GET", L "/certificates/cert1", NULL, NULL, &st);
        assert_string_equal(sget(c, "managed.authorizationAttemptInfo.0.state"), "AUTHORIZING");
        assert_string_equal(sget(c, "sanDnsnames.1"), "*.example.com");
        assert_null(cJSON_GetObjectItem(c, "pemCertificate"));
        cJSON_Delete(c);

        /* a CNAME with other data does not count */
        publish_cname("wrong.authorize.certificatemanager.goog.");
        s = cert_state();
        assert_string_equal(s, "PROVISIONING");
        cc_free(s);
        assert_int_equal(status_of("DELETE", "/nothing", NULL, NULL),
                         404); /* unknown path, no crash */
        cJSON_Delete(call_mod(&gcp_module_dns, dns, "DELETE",
                              "/dns/v1/projects/test-proj/managedZones/z1/rrsets/"
                              "_acme-challenge.example.com./CNAME",
                              NULL, NULL, &st));
        cJSON_Delete(call_mod(&gcp_module_dns, dns, "DELETE",
                              "/dns/v1/projects/test-proj/managedZones/z1", NULL, NULL, &st));
        assert_int_equal(st, 204);

        /* with a latency it stays PROVISIONING though the record is there */
        g.cfg.cert_latency_ms = 3600 * 1000;
        publish_cname(data);
        s = cert_state();
        assert_string_equal(s, "PROVISIONING");
        cc_free(s);
        c = call("GET", L "/certificates/cert1", NULL, NULL, &st);
        assert_string_equal(sget(c, "managed.authorizationAttemptInfo.0.state"), "AUTHORIZED");
        cJSON_Delete(c);

        g.cfg.cert_latency_ms = 0;
        c = call("GET", L "/certificates/cert1", NULL, NULL, &st);
        assert_string_equal(sget(c, "managed.state"), "ACTIVE");
        assert_string_equal(sget(c, "managed.authorizationAttemptInfo.1.state"), "AUTHORIZED");
        assert_non_null(strstr(sget(c, "pemCertificate"), "-----BEGIN CERTIFICATE-----"));
        assert_non_null(sget(c, "expireTime"));
        assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "managed"), "provisioningIssue"));
        cJSON_Delete(c);

        /* ACTIVE is final: removing the record does not change it */
        cJSON_Delete(call_mod(&gcp_module_dns, dns, "DELETE",
                              "/dns/v1/projects/test-proj/managedZones/z1/rrsets/"
                              "_acme-challenge.example.com./CNAME",
                              NULL, NULL, &st));
        s = cert_state();
        assert_string_equal(s, "ACTIVE");
        cc_free(s);
        cc_free(data);
}

static void
test_cert_failed_after_timeout(void **unused)
{
        char *data = make_auth();
        cJSON *c, *a;
        int st;

        make_cert();
        g.cfg.cert_timeout_ms = 0;
        c = call("GET", L "/certificates/cert1", NULL, NULL, &st);
        assert_string_equal(sget(c, "managed.state"), "FAILED");
        assert_string_equal(sget(c, "managed.provisioningIssue.reason"), "AUTHORIZATION_ISSUE");
        a = cJSON_GetObjectItem(cJSON_GetObjectItem(c, "managed"), "authorizationAttemptInfo");
        assert_int_equal(cJSON_GetArraySize(a), 2);
        assert_string_equal(sget(a, "0.domain"), "example.com");
        assert_string_equal(sget(a, "0.state"), "FAILED");
        assert_string_equal(sget(a, "0.failureReason"), "CONFIG");
        assert_non_null(strstr(sget(a, "0.details"), "_acme-challenge.example.com."));
        cJSON_Delete(c);

        /* FAILED is final, even once the record appears */
        g.cfg.cert_timeout_ms = 3600 * 1000;
        publish_cname(data);
        c = call("GET", L "/certificates/-", NULL, NULL, &st);
        assert_int_equal(st, 404);
        cJSON_Delete(c);
        c = call("GET", "/v1/projects/test-proj/locations/-/certificates", NULL, NULL, &st);
        assert_int_equal(st, 200);
        assert_string_equal(sget(c, "certificates.0.managed.state"), "FAILED");
        cJSON_Delete(c);
        cc_free(data);
}

static void
test_in_use_deletes(void **unused)
{
        char *data = make_auth();
        cJSON *j;
        int st;

        make_cert();
        assert_int_equal(status_of("POST", L "/certificateMaps", "certificateMapId=m1", "{}"), 200);
        assert_int_equal(status_of("POST", L "/certificateMaps/m1/certificateMapEntries",
                                   "certificateMapEntryId=e1",
                                   "{\"hostname\":\"www.example.com\",\"certificates\":[\"" LNAME
                                   "/certificates/cert1\"]}"),
                         200);
        assert_true(g.hooks.certmap_exists(&g, "test-proj", "global", "m1"));
        assert_false(g.hooks.certmap_exists(&g, "test-proj", "global", "m2"));

        j = call("DELETE", L "/certificates/cert1", NULL, NULL, &st);
        assert_int_equal(st, 400);
        assert_string_equal(sget(j, "error.status"), "FAILED_PRECONDITION");
        assert_non_null(strstr(sget(j, "error.message"), "certificateMapEntries/e1"));
        cJSON_Delete(j);
        j = call("DELETE", L "/dnsAuthorizations/auth1", NULL, NULL, &st);
        assert_int_equal(st, 400);
        assert_string_equal(sget(j, "error.status"), "FAILED_PRECONDITION");
        cJSON_Delete(j);
        assert_int_equal(status_of("DELETE", L "/certificateMaps/m1", NULL, NULL), 400);

        /* usedBy shows the entry */
        j = call("GET", L "/certificates/cert1", NULL, NULL, &st);
        assert_string_equal(sget(j, "usedBy.0.name"),
                            LNAME "/certificateMaps/m1/certificateMapEntries/e1");
        cJSON_Delete(j);

        /* entry validation */
        assert_int_equal(status_of("POST", L "/certificateMaps/m1/certificateMapEntries",
                                   "certificateMapEntryId=e2",
                                   "{\"hostname\":\"a.example.com\",\"matcher\":\"PRIMARY\"}"),
                         400);
        assert_int_equal(status_of("POST", L "/certificateMaps/m1/certificateMapEntries",
                                   "certificateMapEntryId=e2",
                                   "{\"matcher\":\"PRIMARY\",\"certificates\":[\"" LNAME
                                   "/certificates/nope\"]}"),
                         404);
        assert_int_equal(status_of("POST", L "/certificateMaps/nomap/certificateMapEntries",
                                   "certificateMapEntryId=e2", "{\"matcher\":\"PRIMARY\"}"),
                         404);

        assert_int_equal(
            status_of("DELETE", L "/certificateMaps/m1/certificateMapEntries/e1", NULL, NULL), 200);
        assert_int_equal(status_of("DELETE", L "/certificateMaps/m1", NULL, NULL), 200);
        assert_int_equal(status_of("DELETE", L "/certificates/cert1", NULL, NULL), 200);
        assert_int_equal(status_of("DELETE", L "/dnsAuthorizations/auth1", NULL, NULL), 200);
        cc_free(data);
}

static void
test_update_mask_and_validation(void **unused)
{
        char *data = make_auth();
        cJSON *j;
        int st;

        make_cert();
        j = call("PATCH", L "/certificates/cert1", "updateMask=managed", "{\"managed\":{}}", &st);
        assert_int_equal(st, 400);
        assert_string_equal(sget(j, "error.message"), "paths not permitted to be updated: managed");
        assert_string_equal(sget(j, "error.status"), "INVALID_ARGUMENT");
        cJSON_Delete(j);
        j = call("PATCH", L "/certificates/cert1", "updateMask=description,labels",
                 "{\"description\":\"hello\",\"labels\":{\"a\":\"b\"},\"name\":\"ignored\"}", &st);
        assert_int_equal(st, 200);
        assert_string_equal(sget(j, "metadata.verb"), "update");
        assert_string_equal(sget(j, "response.description"), "hello");
        assert_string_equal(sget(j, "response.labels.a"), "b");
        cJSON_Delete(j);

        /* filter and paging on lists */
        j = call("GET", "/v1/projects/test-proj/locations/-/certificates",
                 "filter=labels.a%3D%22b%22", NULL, &st);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "certificates")), 1);
        cJSON_Delete(j);
        j = call("GET", "/v1/projects/test-proj/locations/-/certificates",
                 "filter=labels.a%3D%22c%22", NULL, &st);
        assert_int_equal(st, 200);
        assert_null(cJSON_GetObjectItem(j, "certificates"));
        cJSON_Delete(j);
        assert_int_equal(status_of("GET", L "/certificates", "filter=%3D%3D", NULL), 400);
        assert_int_equal(status_of("POST", L "/certificateMaps", "certificateMapId=m2", "{}"), 200);
        assert_int_equal(status_of("POST", L "/certificateMaps", "certificateMapId=m3", "{}"), 200);
        j = call("GET", L "/certificateMaps", "pageSize=1&orderBy=name%20desc", NULL, &st);
        assert_string_equal(sget(j, "certificateMaps.0.name"), LNAME "/certificateMaps/m3");
        assert_string_equal(sget(j, "nextPageToken"), "1");
        cJSON_Delete(j);

        /* bad input */
        assert_int_equal(status_of("POST", L "/certificates", "certificateId=c2", "{bad"), 400);
        assert_int_equal(status_of("POST", L "/certificates", "certificateId=c2", "{}"), 400);
        assert_int_equal(status_of("POST", L "/certificates", NULL, "{}"), 400);
        assert_int_equal(status_of("POST", L "/certificates", "certificateId=Bad_", "{}"), 400);
        assert_int_equal(status_of("POST", L "/certificates", "certificateId=c2",
                                   "{\"managed\":{\"domains\":\"x\"}}"),
                         400);
        /* a wildcard without DNS authorization */
        assert_int_equal(status_of("POST", L "/certificates", "certificateId=c2",
                                   "{\"managed\":{\"domains\":[\"*.example.com\"]}}"),
                         400);
        /* a domain the given authorization does not cover */
        assert_int_equal(status_of("POST", L "/certificates", "certificateId=c2",
                                   "{\"managed\":{\"domains\":[\"other.org\"],"
                                   "\"dnsAuthorizations\":[\"" LNAME
                                   "/dnsAuthorizations/auth1\"]}}"),
                         400);
        assert_int_equal(
            status_of("POST", L "/dnsAuthorizations", "dnsAuthorizationId=a2", "{\"domain\":7}"),
            400);
        assert_int_equal(status_of("POST", "/v1/projects/test-proj/locations/-/certificateMaps",
                                   "certificateMapId=m9", "{}"),
                         400);
        cc_free(data);
}

static void
test_admin_hooks(void **unused)
{
        char *data = make_auth(), path[512];
        cJSON *j;
        int st;

        /* the next create fails in its operation and applies nothing */
        j = call("POST", "/_mock/certmgr/operation-errors", NULL,
                 "{\"verb\":\"create\",\"target\":\"*/certificateMaps/*\",\"code\":9,"
                 "\"message\":\"boom\"}",
                 &st);
        assert_int_equal(st, 200);
        cJSON_Delete(j);
        j = call("POST", L "/certificateMaps", "certificateMapId=m1", "{}", &st);
        assert_int_equal(st, 200);
        assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "done")));
        assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "error"), "code")->valueint, 9);
        assert_string_equal(sget(j, "error.message"), "boom");
        assert_null(cJSON_GetObjectItem(j, "response"));
        snprintf(path, sizeof(path), "/v1/%s", sget(j, "name"));
        cJSON_Delete(j);
        assert_int_equal(status_of("GET", L "/certificateMaps/m1", NULL, NULL), 404);
        assert_int_equal(status_of("GET", path, NULL, NULL), 200);
        /* the rule was used up */
        assert_int_equal(status_of("POST", L "/certificateMaps", "certificateMapId=m1", "{}"), 200);
        assert_int_equal(status_of("GET", L "/certificateMaps/m1", NULL, NULL), 200);

        /* force a certificate FAILED */
        make_cert();
        j = call("POST", "/_mock/certmgr/certificate-state", NULL,
                 "{\"name\":\"" LNAME "/certificates/cert1\",\"state\":\"FAILED\"}", &st);
        assert_int_equal(st, 200);
        assert_string_equal(sget(j, "managed.state"), "FAILED");
        assert_string_equal(sget(j, "managed.authorizationAttemptInfo.0.failureReason"), "CONFIG");
        cJSON_Delete(j);
        j = call("POST", "/_mock/certmgr/certificate-state", NULL,
                 "{\"name\":\"" LNAME "/certificates/cert1\",\"state\":\"ACTIVE\"}", &st);
        assert_string_equal(sget(j, "managed.state"), "ACTIVE");
        cJSON_Delete(j);
        assert_int_equal(status_of("POST", "/_mock/certmgr/certificate-state", NULL,
                                   "{\"name\":\"x\",\"state\":\"ACTIVE\"}"),
                         404);
        assert_int_equal(status_of("POST", "/_mock/certmgr/certificate-state", NULL, "[]"), 400);
        cc_free(data);
}

static void
test_persistence(void **unused)
{
        char *data = make_auth();
        cJSON *saved;

        make_cert();
        saved = gcp_module_certmgr.dump(cm);
        assert_non_null(saved);
        gcp_module_certmgr.reset(cm);
        assert_int_equal(status_of("GET", L "/certificates/cert1", NULL, NULL), 404);
        assert_int_equal(gcp_module_certmgr.load(cm, saved), CC_OK);
        cJSON_Delete(saved);
        assert_int_equal(status_of("GET", L "/certificates/cert1", NULL, NULL), 200);
        saved = cJSON_Parse("{\"certificates\":7}");
        assert_int_equal(gcp_module_certmgr.load(cm, saved), CC_INVAL);
        cJSON_Delete(saved);
        cc_free(data);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_operation_shapes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cert_active_once_cname_exists, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_cert_failed_after_timeout, setup, teardown),
                cmocka_unit_test_setup_teardown(test_in_use_deletes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_update_mask_and_validation, setup, teardown),
                cmocka_unit_test_setup_teardown(test_admin_hooks, setup, teardown),
                cmocka_unit_test_setup_teardown(test_persistence, setup, teardown),
        };

        cc_alloc_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
