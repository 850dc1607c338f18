/* test_gcp_compute.c -- mock Compute driven through the module's handler:
 * references, fingerprints, pagination, integrity, operations, faults,
 * quotas, batch, bad input and dump/load. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "mocks/gcp/gcp.h"

extern const struct gcp_module gcp_module_compute;

#define P    "/compute/v1/projects/test-proj"
#define L    "https://www.googleapis.com/compute/v1/projects/test-proj"
#define MOCK "http://127.0.0.1:5555/compute/v1/projects/test-proj"

struct fx {
        struct gcp g;
        void *st;
};

static struct fx *F;
static struct cc_buf last; /* the last response body */

static int
setup(void **state)
{
        struct fx *f = cc_calloc(1, sizeof(*f));

        assert_non_null(f);
        f->g.cfg.check_references = true;
        f->g.cfg.cert_latency_ms = 600000;
        f->g.next_id = 1;
        snprintf(f->g.projects[0].id, sizeof(f->g.projects[0].id), "test-proj");
        snprintf(f->g.projects[0].number, sizeof(f->g.projects[0].number), "123456");
        f->g.nprojects = 1;
        pthread_cond_init(&f->g.cond, NULL);
        assert_int_equal(gcp_module_compute.create(&f->g, &f->st, NULL), CC_OK);
        F = f;
        cc_buf_init(&last, 0);
        *state = f;
        return 0;
}

static int
teardown(void **state)
{
        struct fx *f = *state;

        gcp_module_compute.release(f->st);
        pthread_cond_destroy(&f->g.cond);
        cc_free(f);
        cc_buf_release(&last);
        return 0;
}

/* one request; returns the status, *out = parsed JSON body (may be NULL) */
static int
req(const char *method, const char *url, const char *body, cJSON **out)
{
        struct cc_mock_req r;
        struct cc_mock_resp resp;
        char path[1024];
        const char *q = strchr(url, '?');
        int status;

        snprintf(path, sizeof(path), "%.*s", (int)(q ? (size_t)(q - url) : strlen(url)), url);
        memset(&r, 0, sizeof(r));
        r.method = method;
        r.path = path;
        r.raw_query = q ? q + 1 : "";
        r.body = body ? body : "";
        r.body_len = body ? strlen(body) : 0;
        cc_mock_resp_init(&resp);
        gcp_module_compute.handle(&F->g, F->st, &r, &resp);
        status = resp.status;
        cc_buf_reset(&last);
        cc_buf_append(&last, resp.body.data ? resp.body.data : "", resp.body.len);
        if (out)
                *out = cJSON_ParseWithLength(resp.body.data ? resp.body.data : "", resp.body.len);
        cc_mock_resp_release(&resp);
        return status;
}

static int
req0(const char *method, const char *url, const char *body)
{
        return req(method, url, body, NULL);
}

static const char *
s(const cJSON *o, const char *path)
{
        char key[128];
        const char *dot;
        const cJSON *v = o;

        while (v && path) {
                dot = strchr(path, '.');
                snprintf(key, sizeof(key), "%.*s", (int)(dot ? (size_t)(dot - path) : strlen(path)),
                         path);
                v = cJSON_IsArray(v) ? cJSON_GetArrayItem(v, key[0] - '0')
                                     : cJSON_GetObjectItemCaseSensitive(v, key);
                path = dot ? dot + 1 : NULL;
        }
        return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double
num(const cJSON *o, const char *key)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

        return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* managed.domainStatus[domain] (domains hold dots, so not through s()) */
static const char *
domain_status(const cJSON *cert, const char *domain)
{
        const cJSON *ds = cJSON_GetObjectItem(cJSON_GetObjectItem(cert, "managed"), "domainStatus");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(ds, domain);

        return cJSON_IsString(v) ? v->valuestring : "";
}

static void
assert_error(int status, int want, const char *reason, const char *msg_part)
{
        cJSON *o = cJSON_ParseWithLength(last.data, last.len);
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(o, "error");

        assert_int_equal(status, want);
        assert_non_null(err);
        assert_string_equal(s(err, "errors.0.reason"), reason);
        if (msg_part && !strstr(s(err, "message"), msg_part))
                fail_msg("message '%s' lacks '%s'", s(err, "message"), msg_part);
        cJSON_Delete(o);
}

/* a small LB chain: hc1, neg1 (zonal), bs1 -> hc1 + neg1, um1 -> bs1 */
static void
make_chain(void)
{
        assert_int_equal(req0("POST", P "/global/healthChecks",
                              "{\"name\":\"hc1\",\"type\":\"HTTP\",\"httpHealthCheck\":{}}"),
                         200);
        assert_int_equal(req0("POST", P "/zones/us-central1-a/networkEndpointGroups",
                              "{\"name\":\"neg1\",\"network\":\"" MOCK
                              "/global/networks/default\",\"subnetwork\":\"default\","
                              "\"defaultPort\":8080}"),
                         200);
        assert_int_equal(req0("POST", P "/global/backendServices",
                              "{\"name\":\"bs1\",\"loadBalancingScheme\":\"EXTERNAL_MANAGED\","
                              "\"healthChecks\":[\"" MOCK "/global/healthChecks/hc1\"],"
                              "\"backends\":[{\"group\":\"projects/test-proj/zones/us-central1-a/"
                              "networkEndpointGroups/neg1\",\"balancingMode\":\"RATE\","
                              "\"maxRatePerEndpoint\":100}]}"),
                         200);
        assert_int_equal(
            req0("POST", P "/global/urlMaps",
                 "{\"name\":\"um1\",\"defaultService\":\"global/backendServices/bs1\"}"),
            200);
}

static void
insert_get_and_canonical_references(void **state)
{
        cJSON *o = NULL;

        (void)state;
        make_chain();
        assert_int_equal(req("GET", P "/global/backendServices/bs1", NULL, &o), 200);
        assert_string_equal(s(o, "kind"), "compute#backendService");
        assert_string_equal(s(o, "selfLink"), L "/global/backendServices/bs1");
        assert_string_equal(s(o, "healthChecks.0"), L "/global/healthChecks/hc1");
        assert_string_equal(s(o, "backends.0.group"),
                            L "/zones/us-central1-a/networkEndpointGroups/neg1");
        assert_string_equal(s(o, "description"), "");
        assert_string_equal(s(o, "protocol"), "HTTP");
        assert_int_equal(num(o, "timeoutSec"), 30);
        assert_non_null(s(o, "fingerprint"));
        assert_int_equal(strlen(s(o, "fingerprint")), 12);
        assert_int_equal(strlen(s(o, "id")), 19);
        assert_non_null(strstr(s(o, "creationTimestamp"), "-07:00"));
        assert_string_equal(s(o, "usedBy.0.reference"), L "/global/urlMaps/um1");
        cJSON_Delete(o);

        assert_int_equal(req("GET", P "/global/urlMaps/um1", NULL, &o), 200);
        assert_string_equal(s(o, "defaultService"), L "/global/backendServices/bs1");
        cJSON_Delete(o);

        assert_int_equal(req("GET", P "/zones/us-central1-a/networkEndpointGroups/neg1", NULL, &o),
                         200);
        assert_string_equal(s(o, "network"), L "/global/networks/default");
        assert_string_equal(s(o, "subnetwork"), L "/regions/us-central1/subnetworks/default");
        assert_string_equal(s(o, "zone"), L "/zones/us-central1-a");
        assert_int_equal(num(o, "size"), 0);
        cJSON_Delete(o);

        /* health check defaults */
        assert_int_equal(req("GET", P "/global/healthChecks/hc1", NULL, &o), 200);
        assert_int_equal(num(o, "checkIntervalSec"), 5);
        assert_int_equal(num(cJSON_GetObjectItem(o, "httpHealthCheck"), "port"), 80);
        assert_string_equal(s(o, "httpHealthCheck.requestPath"), "/");
        cJSON_Delete(o);
}

static void
names_duplicates_and_missing(void **state)
{
        int st;

        (void)state;
        st = req0("POST", P "/global/addresses", "{\"name\":\"db_vpc\"}");
        assert_error(st, 400, "invalid",
                     "Invalid value for field 'resource.name': 'db_vpc'. Must be a match of regex "
                     "'(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'");
        assert_int_equal(req0("POST", P "/global/addresses", "{\"name\":\"a1\"}"), 200);
        st = req0("POST", P "/global/addresses", "{\"name\":\"a1\"}");
        assert_error(st, 409, "alreadyExists",
                     "The resource 'projects/test-proj/global/addresses/a1' already exists");
        st = req0("GET", P "/global/healthChecks/nope", NULL);
        assert_error(st, 404, "notFound",
                     "The resource 'projects/test-proj/global/healthChecks/nope' was not found");
        st = req0("POST", P "/global/backendServices",
                  "{\"name\":\"bs9\",\"healthChecks\":[\"global/healthChecks/hc9\"]}");
        assert_error(st, 404, "notFound", "'projects/test-proj/global/healthChecks/hc9'");
        F->g.cfg.check_references = false;
        assert_int_equal(req0("POST", P "/global/backendServices",
                              "{\"name\":\"bs9\",\"healthChecks\":[\"global/healthChecks/hc9\"]}"),
                         200);
}

static void
bad_input_gives_real_error_shapes(void **state)
{
        cJSON *o = NULL;
        int st;

        (void)state;
        st = req0("POST", P "/global/healthChecks", "{\"name\":");
        assert_error(st, 400, "parseError", "Invalid JSON payload");
        st = req0("POST", P "/global/healthChecks", "[1,2]");
        assert_error(st, 400, "parseError", NULL);
        st = req0("POST", P "/global/healthChecks",
                  "{\"name\":\"h\",\"type\":\"HTTP\",\"httpHealthCheck\":{\"port\":\"x\"}}");
        assert_error(st, 400, "invalid", "'resource.http_health_check.port' (TYPE_INT32), \"x\"");
        st = req0("POST", P "/global/healthChecks", "{\"name\":\"h\",\"type\":\"BOGUS\"}");
        assert_error(st, 400, "invalid", "TYPE_ENUM");
        st = req0("POST", P "/global/healthChecks", "{\"name\":5}");
        assert_error(st, 400, "invalid", "TYPE_STRING");
        /* numbers as strings are proto3 JSON; unknown fields are ignored */
        assert_int_equal(
            req0("POST", P "/global/healthChecks",
                 "{\"name\":\"h\",\"type\":\"TCP\",\"tcpHealthCheck\":{\"port\":\"443\"},"
                 "\"whatever\":{\"x\":1},\"id\":\"77\",\"kind\":\"junk\"}"),
            200);
        assert_int_equal(req("GET", P "/global/healthChecks/h", NULL, &o), 200);
        assert_int_equal(num(cJSON_GetObjectItem(o, "tcpHealthCheck"), "port"), 443);
        assert_string_equal(s(o, "kind"), "compute#healthCheck");
        assert_string_not_equal(s(o, "id"), "77");
        cJSON_Delete(o);
        st = req0("POST", P "/global/healthChecks",
                  "{\"name\":\"h2\",\"type\":\"TCP\",\"timeoutSec\":10,\"checkIntervalSec\":5}");
        assert_error(st, 400, "invalid", "TimeoutSec should be less than checkIntervalSec");
        st = req0("GET", P "/global/nonsense", NULL);
        assert_int_equal(st, 404);
}

static void
fingerprints(void **state)
{
        cJSON *o = NULL;
        char fp[32], body[1024];
        int st;

        (void)state;
        make_chain();
        assert_int_equal(req("GET", P "/global/backendServices/bs1", NULL, &o), 200);
        snprintf(fp, sizeof(fp), "%s", s(o, "fingerprint"));
        cJSON_Delete(o);
        /* PUT without a fingerprint */
        st = req0("PUT", P "/global/backendServices/bs1",
                  "{\"name\":\"bs1\",\"healthChecks\":[\"global/healthChecks/hc1\"]}");
        assert_error(st, 400, "required", "Required field 'resource.fingerprint' not specified");
        /* stale */
        st = req0("PUT", P "/global/backendServices/bs1",
                  "{\"name\":\"bs1\",\"fingerprint\":\"AAAAAAAAAAA=\","
                  "\"healthChecks\":[\"global/healthChecks/hc1\"]}");
        assert_error(st, 412, "conditionNotMet", NULL);
        /* current: PUT replaces (backends gone, timeout set) */
        snprintf(body, sizeof(body),
                 "{\"name\":\"bs1\",\"fingerprint\":\"%s\",\"timeoutSec\":60,"
                 "\"loadBalancingScheme\":\"EXTERNAL_MANAGED\","
                 "\"healthChecks\":[\"global/healthChecks/hc1\"],\"selfLink\":\"x\"}",
                 fp);
        assert_int_equal(req0("PUT", P "/global/backendServices/bs1", body), 200);
        assert_int_equal(req("GET", P "/global/backendServices/bs1", NULL, &o), 200);
        assert_string_not_equal(s(o, "fingerprint"), fp);
        assert_int_equal(num(o, "timeoutSec"), 60);
        assert_null(cJSON_GetObjectItem(o, "backends"));
        assert_string_equal(s(o, "selfLink"), L "/global/backendServices/bs1");
        cJSON_Delete(o);
        /* the old fingerprint is now stale for PATCH too */
        snprintf(body, sizeof(body), "{\"fingerprint\":\"%s\",\"timeoutSec\":5}", fp);
        assert_error(req0("PATCH", P "/global/backendServices/bs1", body), 412, "conditionNotMet",
                     NULL);
        /* PATCH without fingerprint is accepted unless strict */
        assert_int_equal(req0("PATCH", P "/global/backendServices/bs1", "{\"timeoutSec\":7}"), 200);
        F->g.cfg.strict_patch_fingerprint = true;
        assert_error(req0("PATCH", P "/global/backendServices/bs1", "{\"timeoutSec\":8}"), 400,
                     "required", NULL);
        F->g.cfg.strict_patch_fingerprint = false;

        /* labels: labelFingerprint required, checked, renewed */
        assert_int_equal(req0("POST", P "/global/addresses", "{\"name\":\"a1\"}"), 200);
        assert_int_equal(req("GET", P "/global/addresses/a1", NULL, &o), 200);
        assert_string_equal(s(o, "labelFingerprint"), "42WmSpB8rSM=");
        cJSON_Delete(o);
        assert_error(req0("POST", P "/global/addresses/a1/setLabels", "{\"labels\":{\"a\":\"b\"}}"),
                     400, "required", NULL);
        assert_error(req0("POST", P "/global/addresses/a1/setLabels",
                          "{\"labels\":{\"a\":\"b\"},\"labelFingerprint\":\"AAAAAAAAAAA=\"}"),
                     412, "conditionNotMet", NULL);
        assert_int_equal(req0("POST", P "/global/addresses/a1/setLabels",
                              "{\"labels\":{\"a\":\"b\"},\"labelFingerprint\":\"42WmSpB8rSM=\"}"),
                         200);
        assert_int_equal(req("GET", P "/global/addresses/a1", NULL, &o), 200);
        assert_string_equal(s(o, "labels.a"), "b");
        assert_string_not_equal(s(o, "labelFingerprint"), "42WmSpB8rSM=");
        cJSON_Delete(o);
}

static void
merge_patch_semantics(void **state)
{
        cJSON *o = NULL;

        (void)state;
        assert_int_equal(req0("POST", P "/global/firewalls",
                              "{\"name\":\"fw1\",\"allowed\":[{\"IPProtocol\":\"tcp\",\"ports\":["
                              "\"80\"]}],\"sourceTags\":[\"a\"],\"targetTags\":[\"web\",\"x\"],"
                              "\"logConfig\":{\"enable\":true}}"),
                         200);
        assert_int_equal(req0("PATCH", P "/global/firewalls/fw1",
                              "{\"targetTags\":[\"db\"],\"sourceTags\":null,\"priority\":900,"
                              "\"logConfig\":{\"metadata\":\"INCLUDE_ALL_METADATA\"}}"),
                         200);
        assert_int_equal(req("GET", P "/global/firewalls/fw1", NULL, &o), 200);
        assert_string_equal(s(o, "targetTags.0"), "db");
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "targetTags")), 1);
        assert_null(cJSON_GetObjectItem(o, "sourceTags"));
        assert_int_equal(num(o, "priority"), 900);
        assert_true(
            cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "logConfig"), "enable")));
        assert_string_equal(s(o, "logConfig.metadata"), "INCLUDE_ALL_METADATA");
        assert_string_equal(s(o, "network"), L "/global/networks/default");
        cJSON_Delete(o);
        assert_error(req0("PATCH", P "/global/firewalls/fw1", "{\"name\":\"other\"}"), 400,
                     "invalid", NULL);
}

static void
pagination(void **state)
{
        char url[512], token[128] = "", names[256] = "", body[64];
        cJSON *o = NULL;
        const cJSON *it;
        int i, pages = 0;

        (void)state;
        for (i = 5; i >= 1; i--) {
                snprintf(body, sizeof(body), "{\"name\":\"a%d\"}", i);
                assert_int_equal(req0("POST", P "/global/addresses", body), 200);
        }
        do {
                snprintf(url, sizeof(url), P "/global/addresses?maxResults=2%s%s",
                         token[0] ? "&pageToken=" : "", token);
                assert_int_equal(req("GET", url, NULL, &o), 200);
                assert_string_equal(s(o, "kind"), "compute#addressList");
                assert_string_equal(s(o, "id"), "projects/test-proj/global/addresses");
                cJSON_ArrayForEach(it, cJSON_GetObjectItem(o, "items"))
                {
                        snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s ",
                                 s(it, "name"));
                }
                snprintf(token, sizeof(token), "%s",
                         s(o, "nextPageToken") ? s(o, "nextPageToken") : "");
                cJSON_Delete(o);
                pages++;
        } while (token[0] && pages < 10);
        assert_int_equal(pages, 3);
        assert_string_equal(names, "a1 a2 a3 a4 a5 ");
        /* no nextPageToken when everything fits; no items key when empty */
        assert_int_equal(req("GET", P "/global/urlMaps", NULL, &o), 200);
        assert_null(cJSON_GetObjectItem(o, "items"));
        assert_null(cJSON_GetObjectItem(o, "nextPageToken"));
        cJSON_Delete(o);
        assert_error(req0("GET", P "/global/addresses?maxResults=501", NULL), 400, "invalid", NULL);
        assert_error(req0("GET", P "/global/addresses?pageToken=garbage", NULL), 400, "invalid",
                     NULL);
        assert_error(req0("GET", P "/global/addresses?orderBy=address", NULL), 400, "invalid",
                     NULL);
        assert_error(req0("GET", P "/global/addresses?filter=name%20eq", NULL), 400, "invalid",
                     NULL);
        /* server-side filter, gcloud form */
        assert_int_equal(
            req("GET", P "/global/addresses?filter=name+eq+%22.*%5Cba3%5Cb.*%22", NULL, &o), 200);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "items")), 1);
        assert_string_equal(s(o, "items.0.name"), "a3");
        cJSON_Delete(o);
        assert_int_equal(req("GET",
                             P "/global/addresses?orderBy=creationTimestamp%20desc&maxResults=1",
                             NULL, &o),
                         200);
        assert_string_equal(s(o, "items.0.name"), "a1"); /* created last */
        cJSON_Delete(o);
}

static void
referential_integrity(void **state)
{
        cJSON *o = NULL;

        (void)state;
        make_chain();
        assert_error(req0("DELETE", P "/global/healthChecks/hc1", NULL), 400,
                     "resourceInUseByAnotherResource",
                     "The health_check resource 'projects/test-proj/global/healthChecks/hc1' is "
                     "already being used by 'projects/test-proj/global/backendServices/bs1'");
        assert_error(req0("DELETE", P "/global/backendServices/bs1", NULL), 400,
                     "resourceInUseByAnotherResource", "'projects/test-proj/global/urlMaps/um1'");
        assert_error(req0("DELETE", P "/zones/us-central1-a/networkEndpointGroups/neg1", NULL), 400,
                     "resourceInUseByAnotherResource", "network_endpoint_group");
        /* address in use by a forwarding rule */
        assert_int_equal(req0("POST", P "/global/addresses", "{\"name\":\"ip1\"}"), 200);
        assert_int_equal(
            req0("POST", P "/global/targetHttpProxies",
                 "{\"name\":\"thp1\",\"urlMap\":\"https://compute.googleapis.com/compute/v1/"
                 "projects/test-proj/global/urlMaps/um1\"}"),
            200);
        assert_int_equal(req0("POST", P "/global/forwardingRules",
                              "{\"name\":\"fr1\",\"IPAddress\":\"" MOCK "/global/addresses/ip1\","
                              "\"portRange\":\"80\",\"target\":\"" MOCK
                              "/global/targetHttpProxies/thp1\"}"),
                         200);
        assert_int_equal(req("GET", P "/global/forwardingRules/fr1", NULL, &o), 200);
        assert_string_equal(s(o, "portRange"), "80-80");
        assert_string_equal(s(o, "IPProtocol"), "TCP");
        assert_string_equal(s(o, "target"), L "/global/targetHttpProxies/thp1");
        assert_non_null(strstr(s(o, "IPAddress"), "34.120."));
        cJSON_Delete(o);
        assert_int_equal(req("GET", P "/global/addresses/ip1", NULL, &o), 200);
        assert_string_equal(s(o, "status"), "IN_USE");
        assert_string_equal(s(o, "users.0"), L "/global/forwardingRules/fr1");
        cJSON_Delete(o);
        assert_error(req0("DELETE", P "/global/addresses/ip1", NULL), 400,
                     "resourceInUseByAnotherResource", "The address resource");
        assert_error(req0("DELETE", P "/global/targetHttpProxies/thp1", NULL), 400,
                     "resourceInUseByAnotherResource", "target_http_proxy");
        /* in order */
        assert_int_equal(req0("DELETE", P "/global/forwardingRules/fr1", NULL), 200);
        assert_int_equal(req("GET", P "/global/addresses/ip1", NULL, &o), 200);
        assert_string_equal(s(o, "status"), "RESERVED");
        cJSON_Delete(o);
        assert_int_equal(req0("DELETE", P "/global/targetHttpProxies/thp1", NULL), 200);
        assert_int_equal(req0("DELETE", P "/global/urlMaps/um1", NULL), 200);
        assert_int_equal(req0("DELETE", P "/global/backendServices/bs1", NULL), 200);
        assert_int_equal(req0("DELETE", P "/global/healthChecks/hc1", NULL), 200);
        assert_int_equal(req0("DELETE", P "/zones/us-central1-a/networkEndpointGroups/neg1", NULL),
                         200);
        assert_int_equal(req0("GET", P "/global/healthChecks/hc1", NULL), 404);
}

static void
https_proxy_certificate_map_and_legacy_paths(void **state)
{
        cJSON *o = NULL;

        (void)state;
        make_chain();
        assert_int_equal(req0("POST", P "/global/sslCertificates",
                              "{\"name\":\"c1\",\"type\":\"MANAGED\",\"managed\":{\"domains\":["
                              "\"a.example.com\"]}}"),
                         200);
        assert_error(req0("POST", P "/global/targetHttpsProxies",
                          "{\"name\":\"t1\",\"urlMap\":\"global/urlMaps/um1\"}"),
                     400, "invalid", NULL);
        assert_int_equal(
            req0("POST", P "/global/targetHttpsProxies",
                 "{\"name\":\"t1\",\"urlMap\":\"global/urlMaps/um1\",\"certificateMap\":"
                 "\"http://127.0.0.1:5555/v1/projects/test-proj/locations/global/certificateMaps/"
                 "m1\"}"),
            200);
        assert_int_equal(req("GET", P "/global/targetHttpsProxies/t1", NULL, &o), 200);
        assert_string_equal(s(o, "certificateMap"),
                            "//certificatemanager.googleapis.com/projects/test-proj/locations/"
                            "global/certificateMaps/m1");
        assert_string_equal(s(o, "quicOverride"), "NONE");
        cJSON_Delete(o);
        /* legacy path without global/ */
        assert_int_equal(req("POST", P "/targetHttpsProxies/t1/setSslCertificates",
                             "{\"sslCertificates\":[\"c1\"]}", &o),
                         200);
        assert_string_equal(s(o, "operationType"), "setSslCertificates");
        cJSON_Delete(o);
        assert_int_equal(req("POST", P "/global/targetHttpsProxies/t1/setQuicOverride",
                             "{\"quicOverride\":\"ENABLE\"}", &o),
                         200);
        assert_string_equal(s(o, "operationType"), "compute.targetHttpsProxies.setQuicOverride");
        cJSON_Delete(o);
        assert_int_equal(req("GET", P "/global/targetHttpsProxies/t1", NULL, &o), 200);
        assert_string_equal(s(o, "sslCertificates.0"), L "/global/sslCertificates/c1");
        assert_string_equal(s(o, "quicOverride"), "ENABLE");
        cJSON_Delete(o);
        assert_error(req0("DELETE", P "/global/sslCertificates/c1", NULL), 400,
                     "resourceInUseByAnotherResource", "ssl_certificate");
        assert_int_equal(
            req0("POST", P "/global/urlMaps", "{\"name\":\"um2\",\"defaultService\":\"bs1\"}"),
            200);
        assert_int_equal(
            req0("POST", P "/global/targetHttpProxies", "{\"name\":\"h1\",\"urlMap\":\"um1\"}"),
            200);
        assert_int_equal(req("POST", P "/targetHttpProxies/h1/setUrlMap",
                             "{\"urlMap\":\"global/urlMaps/um2\"}", &o),
                         200);
        assert_string_equal(s(o, "operationType"), "SetUrlMap");
        cJSON_Delete(o);
        assert_int_equal(req("GET", P "/global/targetHttpProxies/h1", NULL, &o), 200);
        assert_string_equal(s(o, "urlMap"), L "/global/urlMaps/um2");
        cJSON_Delete(o);
}

static void
operations_lifecycle(void **state)
{
        cJSON *o = NULL;
        char opurl[512];

        (void)state;
        /* a hold rule keeps the op RUNNING for 2 polls */
        assert_int_equal(req0("POST", "/_mock/compute/ops/hold",
                              "{\"operationType\":\"insert\",\"target\":\"*/healthChecks/*\","
                              "\"polls\":2,\"times\":1}"),
                         200);
        assert_int_equal(
            req("POST", P "/global/healthChecks", "{\"name\":\"hc1\",\"type\":\"TCP\"}", &o), 200);
        assert_string_equal(s(o, "status"), "RUNNING");
        assert_string_equal(s(o, "operationType"), "insert");
        assert_string_equal(s(o, "targetLink"), L "/global/healthChecks/hc1");
        assert_null(cJSON_GetObjectItem(o, "zone"));
        assert_non_null(s(o, "targetId"));
        assert_int_equal(strlen(s(o, "name")), strlen("operation-1456793689649-52cf23661ef68-"
                                                      "233b41fc-763f2729"));
        snprintf(opurl, sizeof(opurl), P "/global/operations/%s", s(o, "name"));
        assert_string_equal(strstr(s(o, "selfLink"), "/global/operations/"),
                            strstr(opurl, "/global/operations/"));
        cJSON_Delete(o);
        /* the resource is visible while the op runs */
        assert_int_equal(req0("GET", P "/global/healthChecks/hc1", NULL), 200);
        assert_int_equal(req("GET", opurl, NULL, &o), 200);
        assert_string_equal(s(o, "status"), "RUNNING");
        cJSON_Delete(o);
        assert_int_equal(req("GET", opurl, NULL, &o), 200);
        assert_string_equal(s(o, "status"), "RUNNING");
        cJSON_Delete(o);
        snprintf(opurl + strlen(opurl), sizeof(opurl) - strlen(opurl), "/wait");
        assert_int_equal(req("POST", opurl, NULL, &o), 200);
        assert_string_equal(s(o, "status"), "DONE");
        assert_int_equal(num(o, "progress"), 100);
        assert_non_null(s(o, "endTime"));
        cJSON_Delete(o);

        /* a fail rule: op DONE with error, mutation not applied */
        assert_int_equal(req0("POST", "/_mock/compute/ops/fail",
                              "{\"target\":\"*/healthChecks/hc2\",\"httpStatus\":400,\"code\":"
                              "\"RESOURCE_IN_USE_BY_ANOTHER_RESOURCE\",\"message\":\"nope\"}"),
                         200);
        assert_int_equal(
            req("POST", P "/global/healthChecks", "{\"name\":\"hc2\",\"type\":\"TCP\"}", &o), 200);
        assert_string_equal(s(o, "status"), "DONE");
        assert_string_equal(s(o, "error.errors.0.code"), "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE");
        assert_string_equal(s(o, "error.errors.0.message"), "nope");
        assert_int_equal(num(o, "httpErrorStatusCode"), 400);
        assert_string_equal(s(o, "httpErrorMessage"), "BAD REQUEST");
        cJSON_Delete(o);
        assert_int_equal(req0("GET", P "/global/healthChecks/hc2", NULL), 404);

        /* zonal ops carry zone and live under zones/ */
        assert_int_equal(req("POST", P "/zones/europe-west1-b/networkEndpointGroups",
                             "{\"name\":\"n1\",\"defaultPort\":80}", &o),
                         200);
        assert_string_equal(s(o, "zone"), L "/zones/europe-west1-b");
        assert_non_null(strstr(s(o, "selfLink"), "/zones/europe-west1-b/operations/operation-"));
        snprintf(opurl, sizeof(opurl), P "/zones/europe-west1-b/operations/%s", s(o, "name"));
        cJSON_Delete(o);
        assert_int_equal(req0("GET", opurl, NULL), 200);
        assert_int_equal(req("GET", P "/zones/europe-west1-b/operations", NULL, &o), 200);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "items")), 1);
        cJSON_Delete(o);
        assert_int_equal(req("GET", P "/aggregated/operations", NULL, &o), 200);
        assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "items"), "global"));
        assert_non_null(
            cJSON_GetObjectItem(cJSON_GetObjectItem(o, "items"), "zones/europe-west1-b"));
        cJSON_Delete(o);
        assert_int_equal(req0("DELETE", opurl, NULL), 204);
        assert_int_equal(req0("GET", opurl, NULL), 404);

        /* requestId: a repeat returns the original op and does nothing */
        assert_int_equal(req("POST", P "/global/addresses?requestId=r-1", "{\"name\":\"x1\"}", &o),
                         200);
        snprintf(opurl, sizeof(opurl), "%s", s(o, "name"));
        assert_string_equal(s(o, "clientOperationId"), "r-1");
        cJSON_Delete(o);
        assert_int_equal(req("POST", P "/global/addresses?requestId=r-1", "{\"name\":\"x1\"}", &o),
                         200);
        assert_string_equal(s(o, "name"), opurl);
        cJSON_Delete(o);
}

static void
neg_endpoints_and_aggregated(void **state)
{
        cJSON *o = NULL;
        const char *neg = P "/zones/us-central1-a/networkEndpointGroups/neg1";
        char url[256];

        (void)state;
        make_chain();
        snprintf(url, sizeof(url), "%s/attachNetworkEndpoints", neg);
        assert_int_equal(req0("POST", url,
                              "{\"networkEndpoints\":[{\"instance\":\"vm1\",\"ipAddress\":"
                              "\"10.0.0.5\",\"port\":8080},{\"instance\":\"vm2\",\"ipAddress\":"
                              "\"10.0.0.6\"}]}"),
                         200);
        /* attach is idempotent */
        assert_int_equal(req0("POST", url,
                              "{\"networkEndpoints\":[{\"instance\":\"vm1\",\"ipAddress\":"
                              "\"10.0.0.5\",\"port\":8080}]}"),
                         200);
        assert_error(req0("POST", url, "{\"networkEndpoints\":[{\"ipAddress\":\"10.0.0.7\"}]}"),
                     400, "required", NULL);
        snprintf(url, sizeof(url), "%s/detachNetworkEndpoints", neg);
        assert_error(req0("POST", url,
                          "{\"networkEndpoints\":[{\"instance\":\"vm9\",\"ipAddress\":\"10.0.0."
                          "9\",\"port\":1}]}"),
                     400, "invalid", NULL);
        assert_int_equal(req0("POST", url,
                              "{\"networkEndpoints\":[{\"instance\":\"vm2\",\"ipAddress\":"
                              "\"10.0.0.6\",\"port\":8080}]}"),
                         200);
        snprintf(url, sizeof(url), "%s/listNetworkEndpoints", neg);
        assert_int_equal(req("POST", url, "{\"healthStatus\":\"SHOW\"}", &o), 200);
        assert_string_equal(s(o, "kind"), "compute#networkEndpointGroupsListNetworkEndpoints");
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "items")), 1);
        assert_string_equal(s(o, "items.0.networkEndpoint.instance"), "vm1");
        assert_string_equal(s(o, "items.0.healths.0.healthState"), "HEALTHY");
        assert_string_equal(s(o, "items.0.healths.0.backendService.backendService"),
                            L "/global/backendServices/bs1");
        cJSON_Delete(o);
        assert_int_equal(req("GET", neg, NULL, &o), 200);
        assert_int_equal(num(o, "size"), 1);
        cJSON_Delete(o);
        assert_int_equal(req("POST", P "/global/backendServices/bs1/getHealth",
                             "{\"group\":\"zones/us-central1-a/networkEndpointGroups/neg1\"}", &o),
                         200);
        assert_string_equal(s(o, "healthStatus.0.ipAddress"), "10.0.0.5");
        assert_string_equal(s(o, "healthStatus.0.healthState"), "HEALTHY");
        cJSON_Delete(o);
        assert_int_equal(req("GET", P "/aggregated/networkEndpointGroups", NULL, &o), 200);
        assert_string_equal(
            s(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "items"), "zones/us-central1-a"),
              "networkEndpointGroups.0.name"),
            "neg1");
        cJSON_Delete(o);
        assert_int_equal(req("POST", P "/global/urlMaps/um1/validate",
                             "{\"resource\":{\"name\":\"um1\",\"defaultService\":\"bs1\","
                             "\"hostRules\":[{\"hosts\":[\"a\"],\"pathMatcher\":\"nope\"}]}}",
                             &o),
                         200);
        assert_false(
            cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "result"), "loadSucceeded")));
        cJSON_Delete(o);
}

static void
quotas_rates_and_cert_hooks(void **state)
{
        cJSON *o = NULL;
        int i, denied = 0;

        (void)state;
        assert_int_equal(req0("POST", "/_mock/compute/quotas",
                              "{\"project\":\"test-proj\",\"metric\":\"STATIC_ADDRESSES\","
                              "\"limit\":1}"),
                         200);
        assert_int_equal(req0("POST", P "/global/addresses", "{\"name\":\"a1\"}"), 200);
        assert_error(req0("POST", P "/global/addresses", "{\"name\":\"a2\"}"), 403, "quotaExceeded",
                     "Quota 'STATIC_ADDRESSES' exceeded.  Limit: 1.0 globally.");
        assert_int_equal(req0("DELETE", "/_mock/compute/quotas", NULL), 200);
        assert_int_equal(req0("POST", P "/global/addresses", "{\"name\":\"a2\"}"), 200);

        /* one read a second: of three quick reads at least one is refused */
        assert_int_equal(
            req0("POST", "/_mock/compute/ratelimits", "{\"group\":\"read\",\"perSecond\":1}"), 200);
        for (i = 0; i < 3 && !denied; i++)
                if (req0("GET", P "/global/addresses/a1", NULL) == 403)
                        denied++;
        assert_int_equal(denied, 1);
        assert_error(403, 403, "rateLimitExceeded",
                     "Quota exceeded for quota group 'ReadGroup' and limit 'Read requests per "
                     "user per 100 seconds' of service 'compute.googleapis.com' for consumer "
                     "'project_number:123456'.");
        assert_int_equal(req0("DELETE", "/_mock/compute/ratelimits", NULL), 200);

        /* managed certificate: PROVISIONING until forced */
        assert_int_equal(req0("POST", P "/global/sslCertificates",
                              "{\"name\":\"c1\",\"managed\":{\"domains\":[\"a.example.com\","
                              "\"b.example.com\"]}}"),
                         200);
        assert_int_equal(req("GET", P "/global/sslCertificates/c1", NULL, &o), 200);
        assert_string_equal(s(o, "type"), "MANAGED");
        assert_string_equal(s(o, "managed.status"), "PROVISIONING");
        assert_string_equal(domain_status(o, "a.example.com"), "PROVISIONING");
        cJSON_Delete(o);
        assert_int_equal(
            req0("POST", "/_mock/compute/sslCertificates/test-proj/c1", "{\"state\":\"ACTIVE\"}"),
            200);
        assert_int_equal(req("GET", P "/global/sslCertificates/c1", NULL, &o), 200);
        assert_string_equal(s(o, "managed.status"), "ACTIVE");
        assert_string_equal(domain_status(o, "b.example.com"), "ACTIVE");
        assert_non_null(strstr(s(o, "certificate"), "-----BEGIN CERTIFICATE-----"));
        assert_string_equal(s(o, "subjectAlternativeNames.1"), "b.example.com");
        assert_non_null(s(o, "expireTime"));
        cJSON_Delete(o);
        assert_int_equal(req0("POST", P "/global/sslCertificates",
                              "{\"name\":\"c2\",\"managed\":{\"domains\":[\"c.example.com\"]}}"),
                         200);
        assert_int_equal(req0("POST", "/_mock/compute/sslCertificates/test-proj/c2",
                              "{\"state\":\"FAILED\",\"domainStatus\":\"FAILED_CAA_FORBIDDEN\"}"),
                         200);
        assert_int_equal(req("GET", P "/global/sslCertificates/c2", NULL, &o), 200);
        assert_string_equal(s(o, "managed.status"), "PROVISIONING_FAILED");
        assert_string_equal(domain_status(o, "c.example.com"), "FAILED_CAA_FORBIDDEN");
        cJSON_Delete(o);
        assert_int_equal(
            req0("POST", "/_mock/compute/sslCertificates/test-proj/nope", "{\"state\":\"ACTIVE\"}"),
            404);
        assert_error(req0("POST", P "/global/sslCertificates",
                          "{\"name\":\"c3\",\"certificate\":\"junk\",\"privateKey\":\"junk\"}"),
                     400, "invalid", "could not be parsed");
}

static void
batch_requests(void **state)
{
        const char *body =
            "--===============42==\r\n"
            "Content-Type: application/http\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-ID: <abc+0>\r\n"
            "\r\n"
            "POST /compute/v1/projects/test-proj/global/addresses?alt=json HTTP/1.1\r\n"
            "Content-Type: application/json\r\n"
            "content-length: 15\r\n"
            "\r\n"
            "{\"name\": \"b1\"}\r\n"
            "--===============42==\r\n"
            "Content-Type: application/http\r\n"
            "Content-ID: <abc+1>\r\n"
            "\r\n"
            "POST /compute/v1/projects/test-proj/global/addresses?alt=json HTTP/1.1\r\n"
            "Content-Type: application/json\r\n"
            "\r\n"
            "{\"name\": \"b1\"}\r\n"
            "--===============42==\n"
            "Content-Type: application/http\n"
            "Content-ID: <abc+2>\n"
            "\n"
            "GET /compute/v1/projects/test-proj/global/addresses/b1?alt=json HTTP/1.1\n"
            "\n"
            "\n"
            "--===============42==--\r\n";
        const char *p;

        (void)state;
        assert_int_equal(req0("POST", "/batch/compute/v1", body), 200);
        p = cc_buf_str(&last);
        assert_non_null(strstr(p, "Content-ID: <response-abc+0>\r\n\r\nHTTP/1.1 200 OK"));
        assert_non_null(strstr(p, "Content-ID: <response-abc+1>\r\n\r\nHTTP/1.1 409 Conflict"));
        assert_non_null(strstr(p, "Content-ID: <response-abc+2>\r\n\r\nHTTP/1.1 200 OK"));
        assert_non_null(strstr(p, "\"kind\":\"compute#address\""));
        assert_non_null(strstr(p, "--\r\n"));
        assert_int_equal(req0("GET", P "/global/addresses/b1", NULL), 200);
        assert_int_equal(req0("POST", "/batch/compute/v1", "not multipart"), 400);
}

static void
dump_load_round_trip(void **state)
{
        cJSON *d1, *d2, *o = NULL;
        char *t1, *t2;
        void *st2 = NULL;

        (void)state;
        make_chain();
        assert_int_equal(req0("POST",
                              P "/zones/us-central1-a/networkEndpointGroups/neg1/"
                                "attachNetworkEndpoints",
                              "{\"networkEndpoints\":[{\"instance\":\"vm1\",\"ipAddress\":"
                              "\"10.0.0.5\"}]}"),
                         200);
        assert_int_equal(
            req0("POST", "/_mock/compute/quotas", "{\"metric\":\"URL_MAPS\",\"limit\":3}"), 200);
        d1 = gcp_module_compute.dump(F->st);
        assert_non_null(d1);
        assert_int_equal(gcp_module_compute.create(&F->g, &st2, NULL), CC_OK);
        assert_int_equal(gcp_module_compute.load(st2, d1), CC_OK);
        d2 = gcp_module_compute.dump(st2);
        t1 = cJSON_PrintUnformatted(d1);
        t2 = cJSON_PrintUnformatted(d2);
        assert_string_equal(t1, t2);
        cJSON_free(t1);
        cJSON_free(t2);
        /* the loaded state serves requests */
        gcp_module_compute.release(F->st);
        F->st = st2;
        assert_int_equal(req("GET", P "/zones/us-central1-a/networkEndpointGroups/neg1", NULL, &o),
                         200);
        assert_int_equal(num(o, "size"), 1);
        cJSON_Delete(o);
        assert_error(req0("DELETE", P "/global/healthChecks/hc1", NULL), 400,
                     "resourceInUseByAnotherResource", NULL);
        assert_int_equal(req("GET", "/_mock/compute/quotas", NULL, &o), 200);
        assert_string_equal(s(o, "quotas.0.metric"), "URL_MAPS");
        cJSON_Delete(o);
        /* a bad section is refused */
        cJSON_Delete(d2);
        d2 = cJSON_Parse("{\"resources\":[{\"collection\":\"bogus\"}]}");
        assert_int_equal(gcp_module_compute.load(F->st, d2), CC_INVAL);
        cJSON_Delete(d2);
        cJSON_Delete(d1);
}

/* --- through a real server: wait blocks on the condition variable -------- */

static void
srv_handle(void *ud, struct cc_mocksrv *srv, const struct cc_mock_req *r, struct cc_mock_resp *resp)
{
        struct fx *f = ud;

        (void)srv;
        resp->api = "compute";
        gcp_module_compute.handle(&f->g, f->st, r, resp);
}

static void
srv_admin(void *ud, struct cc_mocksrv *srv, const struct cc_mock_req *r, struct cc_mock_resp *resp)
{
        srv_handle(ud, srv, r, resp);
}

static size_t
sink(char *p, size_t sz, size_t n, void *ud)
{
        cc_buf_append(ud, p, sz * n);
        return sz * n;
}

static long
http(const char *method, const char *url, const char *ctype, const char *body, struct cc_buf *out)
{
        CURL *c = curl_easy_init();
        struct curl_slist *h = NULL;
        char hdr[256];
        long code = 0;

        assert_non_null(c);
        cc_buf_reset(out);
        snprintf(hdr, sizeof(hdr), "Content-Type: %s", ctype ? ctype : "application/json");
        h = curl_slist_append(h, hdr);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
        assert_int_equal(curl_easy_perform(c), CURLE_OK);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        return code;
}

static void
server_wait_and_batch(void **state)
{
        struct fx *f = *state;
        struct cc_mocksrv_opts opts = { 0 };
        struct cc_mock_app app = { .ud = f, .handle = srv_handle, .admin = srv_admin };
        struct cc_buf out = CC_BUF_INIT(0);
        char url[512], base[128], name[96];
        cJSON *o;

        assert_int_equal(cc_mocksrv_start(&opts, &app, &f->g.srv, NULL), CC_OK);
        snprintf(base, sizeof(base), "%s", cc_mocksrv_url(f->g.srv));
        f->g.cfg.op_latency_ms = 300;
        snprintf(url, sizeof(url), "%s/_mock/compute/ops/hold", base);
        assert_int_equal(http("POST", url, NULL, "{\"polls\":1}", &out), 200);
        snprintf(url, sizeof(url), "%s" P "/global/addresses", base);
        assert_int_equal(http("POST", url, NULL, "{\"name\":\"w1\"}", &out), 200);
        o = cJSON_Parse(cc_buf_str(&out));
        snprintf(name, sizeof(name), "%s", s(o, "name"));
        cJSON_Delete(o);
        /* the hold makes this poll RUNNING whatever the clock says */
        snprintf(url, sizeof(url), "%s" P "/global/operations/%s", base, name);
        assert_int_equal(http("GET", url, NULL, NULL, &out), 200);
        assert_non_null(strstr(cc_buf_str(&out), "\"status\":\"RUNNING\""));
        /* wait blocks (lock released) until the latency has passed */
        snprintf(url, sizeof(url), "%s" P "/global/operations/%s/wait", base, name);
        assert_int_equal(http("POST", url, NULL, NULL, &out), 200);
        assert_non_null(strstr(cc_buf_str(&out), "\"status\":\"DONE\""));
        /* a batch with the boundary in the Content-Type header */
        snprintf(url, sizeof(url), "%s/batch/compute/v1", base);
        assert_int_equal(http("POST", url, "multipart/mixed; boundary=\"=b=\"",
                              "--=b=\r\nContent-Type: application/http\r\nContent-ID: <z+0>\r\n\r\n"
                              "GET " P
                              "/global/addresses/w1?alt=json HTTP/1.1\r\n\r\n\r\n--=b=--\r\n",
                              &out),
                         200);
        assert_non_null(strstr(cc_buf_str(&out), "<response-z+0>"));
        assert_non_null(strstr(cc_buf_str(&out), "\"name\":\"w1\""));
        cc_mocksrv_stop(f->g.srv);
        f->g.srv = NULL;
        cc_buf_release(&out);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(insert_get_and_canonical_references, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(names_duplicates_and_missing, setup, teardown),
                cmocka_unit_test_setup_teardown(bad_input_gives_real_error_shapes, setup, teardown),
                cmocka_unit_test_setup_teardown(fingerprints, setup, teardown),
                cmocka_unit_test_setup_teardown(merge_patch_semantics, setup, teardown),
                cmocka_unit_test_setup_teardown(pagination, setup, teardown),
                cmocka_unit_test_setup_teardown(referential_integrity, setup, teardown),
                cmocka_unit_test_setup_teardown(https_proxy_certificate_map_and_legacy_paths, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(operations_lifecycle, setup, teardown),
                cmocka_unit_test_setup_teardown(neg_endpoints_and_aggregated, setup, teardown),
                cmocka_unit_test_setup_teardown(quotas_rates_and_cert_hooks, setup, teardown),
                cmocka_unit_test_setup_teardown(batch_requests, setup, teardown),
                cmocka_unit_test_setup_teardown(dump_load_round_trip, setup, teardown),
                cmocka_unit_test_setup_teardown(server_wait_and_batch, setup, teardown),
        };

        cc_alloc_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
