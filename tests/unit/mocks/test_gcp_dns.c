/* test_gcp_dns.c -- mock-gcp's Cloud DNS: zone bootstrap, atomic changes
 * (404/412/409), apex SOA replacement, pagination, change status, bad input,
 * persistence and the dns_has_record hook. */
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

static struct gcp g;
static void *dns;

#define Z "/dns/v1/projects/test-proj/managedZones"

static int
setup(void **unused)
{
        struct cc_diag d;

        memset(&g, 0, sizeof(g));
        snprintf(g.projects[0].id, sizeof(g.projects[0].id), "test-proj");
        snprintf(g.projects[0].number, sizeof(g.projects[0].number), "100000000001");
        g.nprojects = 1;
        g.next_id = 1;
        pthread_cond_init(&g.cond, NULL);
        return gcp_module_dns.create(&g, &dns, &d) == CC_OK ? 0 : -1;
}

static int
teardown(void **unused)
{
        gcp_module_dns.release(dns);
        pthread_cond_destroy(&g.cond);
        return 0;
}

/* one request through the module; returns the parsed body (or NULL) */
static cJSON *
call(const char *method, const char *path, const char *query, const char *body, int *status)
{
        struct cc_mock_req req = { .method = method,
                                   .path = path,
                                   .raw_query = query ? query : "",
                                   .body = body ? body : "",
                                   .body_len = body ? strlen(body) : 0 };
        struct cc_mock_resp resp;
        cJSON *j;

        cc_mock_resp_init(&resp);
        gcp_module_dns.handle(&g, dns, &req, &resp);
        *status = resp.status;
        j = cJSON_ParseWithLength(cc_buf_str(&resp.body), resp.body.len);
        cc_mock_resp_release(&resp);
        return j;
}

static int
status_of(const char *method, const char *path, const char *query, const char *body)
{
        int st;

        cJSON_Delete(call(method, path, query, body, &st));
        return st;
}

static const char *
err_msg(const cJSON *j)
{
        const cJSON *m = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "error"), "message");

        return cJSON_IsString(m) ? m->valuestring : "";
}

static const char *
err_reason(const cJSON *j)
{
        const cJSON *e =
            cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "error"), "errors"), 0);
        const cJSON *r = cJSON_GetObjectItem(e, "reason");

        return cJSON_IsString(r) ? r->valuestring : "";
}

static void
make_zone(void)
{
        assert_int_equal(
            status_of("POST", Z, "alt=json", "{\"name\":\"z1\",\"dnsName\":\"example.com.\"}"),
            200);
}

static int
count_rrsets(void)
{
        int st, n;
        cJSON *j = call("GET", Z "/z1/rrsets", NULL, NULL, &st);

        assert_int_equal(st, 200);
        n = cJSON_GetArraySize(cJSON_GetObjectItem(j, "rrsets"));
        cJSON_Delete(j);
        return n;
}

static char *
soa_data(void)
{
        int st;
        cJSON *j = call("GET", Z "/z1/rrsets/example.com./SOA", NULL, NULL, &st);
        char *s;

        assert_int_equal(st, 200);
        s = cc_strdup(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "rrdatas"), 0)->valuestring);
        cJSON_Delete(j);
        return s;
}

static void
test_zone_bootstrap(void **unused)
{
        int st;
        cJSON *j =
            call("POST", Z, NULL,
                 "{\"name\":\"z1\",\"dnsName\":\"example.com.\",\"description\":\"d\"}", &st);
        char path[256], *soa;
        const cJSON *rr;

        assert_int_equal(st, 200);
        assert_string_equal(cJSON_GetObjectItem(j, "kind")->valuestring, "dns#managedZone");
        assert_string_equal(cJSON_GetObjectItem(j, "visibility")->valuestring, "public");
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "nameServers")), 4);
        /* get by numeric id */
        snprintf(path, sizeof(path), Z "/%s", cJSON_GetObjectItem(j, "id")->valuestring);
        cJSON_Delete(j);
        assert_int_equal(status_of("GET", path, NULL, NULL), 200);

        j = call("GET", Z "/z1/rrsets", NULL, NULL, &st);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "rrsets")), 2);
        cJSON_ArrayForEach(rr, cJSON_GetObjectItem(j, "rrsets"))
        {
                assert_string_equal(cJSON_GetObjectItem(rr, "name")->valuestring, "example.com.");
                assert_int_equal(cJSON_GetObjectItem(rr, "ttl")->valueint, 21600);
                assert_true(cJSON_IsArray(cJSON_GetObjectItem(rr, "signatureRrdatas")));
        }
        cJSON_Delete(j);
        soa = soa_data();
        assert_non_null(strstr(soa, " cloud-dns-hostmaster.google.com. 1 21600 3600 259200 300"));
        cc_free(soa);

        /* change 0 records the bootstrap, done */
        j = call("GET", Z "/z1/changes/0", NULL, NULL, &st);
        assert_int_equal(st, 200);
        assert_string_equal(cJSON_GetObjectItem(j, "status")->valuestring, "done");
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "additions")), 2);
        cJSON_Delete(j);

        j = call("POST", Z, NULL, "{\"name\":\"z1\",\"dnsName\":\"other.com.\"}", &st);
        assert_int_equal(st, 409);
        assert_string_equal(err_reason(j), "alreadyExists");
        cJSON_Delete(j);
        assert_int_equal(status_of("POST", Z, NULL, "{\"name\":\"Bad\",\"dnsName\":\"a.com.\"}"),
                         400);
        assert_int_equal(status_of("POST", Z, NULL, "{\"name\":\"z2\",\"dnsName\":\"a.com\"}"),
                         400);
        j = call("GET", Z "/nope", NULL, NULL, &st);
        assert_int_equal(st, 404);
        assert_string_equal(err_msg(j),
                            "The 'parameters.managedZone' resource named 'nope' does not exist.");
        cJSON_Delete(j);
}

static void
test_change_atomicity(void **unused)
{
        int st;
        cJSON *j;

        make_zone();
        assert_int_equal(status_of("POST", Z "/z1/rrsets", NULL,
                                   "{\"name\":\"www.example.com.\",\"type\":\"A\",\"ttl\":300,"
                                   "\"rrdatas\":[\"1.2.3.4\"]}"),
                         200);
        /* rrsets.create of an existing one */
        j = call(
            "POST", Z "/z1/rrsets", NULL,
            "{\"name\":\"www.example.com.\",\"type\":\"A\",\"ttl\":300,\"rrdatas\":[\"1.2.3.4\"]}",
            &st);
        assert_int_equal(st, 409);
        assert_string_equal(err_msg(j), "The resource 'entity.rrset' named 'www.example.com. (A)' "
                                        "already exists");
        cJSON_Delete(j);

        /* deletion with the wrong ttl: 412, and the addition beside it is not applied */
        j = call("POST", Z "/z1/changes", NULL,
                 "{\"additions\":[{\"name\":\"new.example.com.\",\"type\":\"A\",\"ttl\":60,"
                 "\"rrdatas\":[\"10.0.0.1\"]}],"
                 "\"deletions\":[{\"name\":\"www.example.com.\",\"type\":\"A\",\"ttl\":60,"
                 "\"rrdatas\":[\"1.2.3.4\"]}]}",
                 &st);
        assert_int_equal(st, 412);
        assert_string_equal(err_reason(j), "conditionNotMet");
        assert_string_equal(err_msg(j), "Precondition not met for 'entity.change.deletions[0]'");
        cJSON_Delete(j);
        assert_int_equal(count_rrsets(), 3);

        /* deletion of a missing record set: 404 */
        j = call("POST", Z "/z1/changes", NULL,
                 "{\"deletions\":[{\"name\":\"gone.example.com.\",\"type\":\"A\",\"ttl\":60,"
                 "\"rrdatas\":[\"1.2.3.4\"]}]}",
                 &st);
        assert_int_equal(st, 404);
        assert_string_equal(err_msg(j), "The 'entity.change.deletions[0]' resource named "
                                        "'gone.example.com. (A)' does not exist.");
        cJSON_Delete(j);

        /* an addition that exists: 409; first addition not applied either */
        j = call("POST", Z "/z1/changes", NULL,
                 "{\"additions\":[{\"name\":\"new.example.com.\",\"type\":\"A\",\"ttl\":60,"
                 "\"rrdatas\":[\"10.0.0.1\"]},{\"name\":\"www.example.com.\",\"type\":\"A\","
                 "\"ttl\":60,\"rrdatas\":[\"10.0.0.2\"]}]}",
                 &st);
        assert_int_equal(st, 409);
        assert_string_equal(err_msg(j), "The resource 'entity.change.additions[1]' named "
                                        "'www.example.com. (A)' already exists");
        cJSON_Delete(j);
        assert_int_equal(count_rrsets(), 3);

        /* rrdatas compare as a set; deleted-and-re-added in one change is fine */
        j = call("POST", Z "/z1/changes", NULL,
                 "{\"additions\":[{\"name\":\"www.example.com.\",\"type\":\"A\",\"ttl\":60,"
                 "\"rrdatas\":[\"10.0.0.2\",\"10.0.0.3\"]}],"
                 "\"deletions\":[{\"name\":\"www.example.com.\",\"type\":\"A\",\"ttl\":300,"
                 "\"rrdatas\":[\"1.2.3.4\"]}]}",
                 &st);
        assert_int_equal(st, 200);
        assert_string_equal(cJSON_GetObjectItem(j, "kind")->valuestring, "dns#change");
        assert_string_equal(cJSON_GetObjectItem(j, "status")->valuestring, "pending");
        cJSON_Delete(j);
        j = call("GET", Z "/z1/rrsets/www.example.com./A", NULL, NULL, &st);
        assert_int_equal(cJSON_GetObjectItem(j, "ttl")->valueint, 60);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "rrdatas")), 2);
        cJSON_Delete(j);

        /* bad data: 400 naming the field */
        j = call("POST", Z "/z1/changes", NULL,
                 "{\"additions\":[{\"name\":\"x.other.com.\",\"type\":\"A\",\"ttl\":60,"
                 "\"rrdatas\":[\"10.0.0.1\"]}]}",
                 &st);
        assert_int_equal(st, 400);
        assert_string_equal(err_msg(j),
                            "Invalid value for 'entity.change.additions[0].name': 'x.other.com.'");
        cJSON_Delete(j);
        assert_int_equal(status_of("POST", Z "/z1/changes", NULL,
                                   "{\"additions\":[{\"name\":\"a.example.com.\",\"type\":\"A\","
                                   "\"ttl\":60,\"rrdatas\":[\"not-an-ip\"]}]}"),
                         400);
}

static void
test_soa_replace(void **unused)
{
        char body[1024], *soa, *bumped, *p;
        int st;

        make_zone();
        soa = soa_data();
        bumped = cc_strdup(soa);
        p = strstr(bumped, ".com. 1 ");
        assert_non_null(p);
        p[6] = '2';
        /* the SOA alone may not be deleted */
        snprintf(body, sizeof(body),
                 "{\"deletions\":[{\"name\":\"example.com.\",\"type\":\"SOA\",\"ttl\":21600,"
                 "\"rrdatas\":[\"%s\"]}]}",
                 soa);
        assert_int_equal(status_of("POST", Z "/z1/changes", NULL, body), 400);
        /* but replaced, as `gcloud dns record-sets transaction` does */
        snprintf(body, sizeof(body),
                 "{\"additions\":[{\"name\":\"example.com.\",\"type\":\"SOA\",\"ttl\":21600,"
                 "\"rrdatas\":[\"%s\"]},{\"name\":\"api.example.com.\",\"type\":\"TXT\","
                 "\"ttl\":300,\"rrdatas\":[\"\\\"hi\\\"\"]}],"
                 "\"deletions\":[{\"name\":\"example.com.\",\"type\":\"SOA\",\"ttl\":21600,"
                 "\"rrdatas\":[\"%s\"]}]}",
                 bumped, soa);
        cJSON_Delete(call("POST", Z "/z1/changes", NULL, body, &st));
        assert_int_equal(st, 200);
        cc_free(soa);
        soa = soa_data();
        assert_string_equal(soa, bumped);
        assert_int_equal(count_rrsets(), 3);
        cc_free(soa);
        cc_free(bumped);
}

static void
test_pagination(void **unused)
{
        char body[256], query[128];
        const char *tok = NULL;
        int i, st, total = 0, pages = 0;
        cJSON *j = NULL;

        make_zone();
        for (i = 0; i < 5; i++) {
                snprintf(body, sizeof(body),
                         "{\"name\":\"h%d.example.com.\",\"type\":\"A\",\"ttl\":300,"
                         "\"rrdatas\":[\"10.0.0.%d\"]}",
                         i, i + 1);
                assert_int_equal(status_of("POST", Z "/z1/rrsets", NULL, body), 200);
        }
        do {
                snprintf(query, sizeof(query), "maxResults=2%s%s", tok ? "&pageToken=" : "",
                         tok ? tok : "");
                cJSON_Delete(j);
                j = call("GET", Z "/z1/rrsets", query, NULL, &st);
                assert_int_equal(st, 200);
                assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(j, "rrsets")) <= 2);
                total += cJSON_GetArraySize(cJSON_GetObjectItem(j, "rrsets"));
                tok = cJSON_IsString(cJSON_GetObjectItem(j, "nextPageToken"))
                          ? cJSON_GetObjectItem(j, "nextPageToken")->valuestring
                          : NULL;
                pages++;
        } while (tok && pages < 10);
        cJSON_Delete(j);
        assert_int_equal(total, 7);
        assert_int_equal(pages, 4);

        /* name/type filters; type needs name */
        j = call("GET", Z "/z1/rrsets", "name=h3.example.com.&type=A", NULL, &st);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "rrsets")), 1);
        cJSON_Delete(j);
        assert_int_equal(status_of("GET", Z "/z1/rrsets", "type=A", NULL), 400);
        assert_int_equal(status_of("GET", Z "/z1/rrsets", "maxResults=abc", NULL), 400);

        /* zones list filters by dnsName */
        assert_int_equal(status_of("POST", Z, NULL, "{\"name\":\"z2\",\"dnsName\":\"other.org.\"}"),
                         200);
        j = call("GET", Z, "dnsName=other.org.", NULL, &st);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "managedZones")), 1);
        cJSON_Delete(j);
        j = call("GET", Z, "maxResults=1", NULL, &st);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "managedZones")), 1);
        assert_non_null(cJSON_GetObjectItem(j, "nextPageToken"));
        cJSON_Delete(j);
}

static void
test_change_status_and_delete(void **unused)
{
        int st;
        cJSON *j;

        make_zone();
        g.cfg.dns_change_latency_ms = 3600 * 1000;
        assert_int_equal(status_of("POST", Z "/z1/rrsets", NULL,
                                   "{\"name\":\"www.example.com.\",\"type\":\"A\",\"ttl\":300,"
                                   "\"rrdatas\":[\"1.2.3.4\"]}"),
                         200);
        j = call("GET", Z "/z1/changes/1", NULL, NULL, &st);
        assert_string_equal(cJSON_GetObjectItem(j, "status")->valuestring, "pending");
        cJSON_Delete(j);
        g.cfg.dns_change_latency_ms = 0;
        j = call("GET", Z "/z1/changes/1", NULL, NULL, &st);
        assert_string_equal(cJSON_GetObjectItem(j, "status")->valuestring, "done");
        cJSON_Delete(j);
        j = call("GET", Z "/z1/changes", "sortOrder=descending&maxResults=1", NULL, &st);
        assert_string_equal(
            cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "changes"), 0), "id")
                ->valuestring,
            "1");
        cJSON_Delete(j);

        j = call("DELETE", Z "/z1", NULL, NULL, &st);
        assert_int_equal(st, 400);
        assert_string_equal(err_reason(j), "containerNotEmpty");
        cJSON_Delete(j);
        assert_int_equal(status_of("DELETE", Z "/z1/rrsets/example.com./NS", NULL, NULL), 400);
        assert_int_equal(status_of("DELETE", Z "/z1/rrsets/www.example.com./A", NULL, NULL), 200);
        assert_int_equal(status_of("DELETE", Z "/z1", NULL, NULL), 204);
        assert_int_equal(status_of("GET", Z "/z1", NULL, NULL), 404);
}

static void
test_patch_and_bad_input(void **unused)
{
        int st;
        cJSON *j;

        make_zone();
        assert_int_equal(status_of("POST", Z "/z1/rrsets", NULL,
                                   "{\"name\":\"www.example.com.\",\"type\":\"A\",\"ttl\":300,"
                                   "\"rrdatas\":[\"1.2.3.4\"]}"),
                         200);
        j = call("PATCH", Z "/z1/rrsets/www.example.com./A", NULL,
                 "{\"kind\":\"dns#resourceRecordSet\",\"ttl\":30,\"rrdatas\":[\"5.6.7.8\"]}", &st);
        assert_int_equal(st, 200);
        assert_int_equal(cJSON_GetObjectItem(j, "ttl")->valueint, 30);
        cJSON_Delete(j);
        j = call("PATCH", Z "/z1", NULL, "{\"description\":\"new\",\"id\":\"123\"}", &st);
        assert_int_equal(st, 200);
        assert_string_equal(cJSON_GetObjectItem(j, "kind")->valuestring, "dns#operation");
        cJSON_Delete(j);

        assert_int_equal(status_of("POST", Z, NULL, "{not json"), 400);
        assert_int_equal(status_of("POST", Z, NULL, "[1,2]"), 400);
        assert_int_equal(status_of("POST", Z, NULL, ""), 400);
        assert_int_equal(status_of("POST", Z, NULL, "{\"name\":5,\"dnsName\":[]}"), 400);
        assert_int_equal(status_of("POST", Z "/z1/rrsets", NULL,
                                   "{\"name\":\"a.example.com.\",\"type\":\"A\",\"ttl\":\"x\","
                                   "\"rrdatas\":[\"1.2.3.4\"]}"),
                         400);
        assert_int_equal(status_of("POST", Z "/z1/rrsets", NULL,
                                   "{\"name\":\"a.example.com.\",\"type\":\"A\",\"rrdatas\":{}}"),
                         400);
        assert_int_equal(
            status_of("POST", Z "/z1/changes", NULL, "{\"additions\":{\"a\":1},\"deletions\":7}"),
            400);
        assert_int_equal(status_of("POST", Z "/z1/changes", NULL, "{\"additions\":[5,null]}"), 400);
        assert_int_equal(status_of("PUT", Z "/z1/rrsets", NULL, "{}"), 405);
        assert_int_equal(status_of("GET", "/dns/v1/projects/test-proj/other", NULL, NULL), 404);
}

static void
test_persistence_and_hook(void **unused)
{
        cJSON *saved;
        int st;

        make_zone();
        assert_int_equal(status_of("POST", Z "/z1/rrsets", NULL,
                                   "{\"name\":\"_acme-challenge.example.com.\",\"type\":\"CNAME\","
                                   "\"ttl\":300,\"rrdatas\":[\"x.authorize.example.\"]}"),
                         200);
        assert_true(g.hooks.dns_has_record(&g, "test-proj", "_acme-challenge.example.com.", "CNAME",
                                           "x.authorize.example."));
        assert_false(g.hooks.dns_has_record(&g, "test-proj", "_acme-challenge.example.com.",
                                            "CNAME", "y.authorize.example."));
        assert_false(
            g.hooks.dns_has_record(&g, "other", "_acme-challenge.example.com.", "CNAME", NULL));

        saved = gcp_module_dns.dump(dns);
        assert_non_null(saved);
        gcp_module_dns.reset(dns);
        assert_int_equal(status_of("GET", Z "/z1", NULL, NULL), 404);
        assert_int_equal(gcp_module_dns.load(dns, saved), CC_OK);
        cJSON_Delete(saved);
        assert_int_equal(status_of("GET", Z "/z1", NULL, NULL), 200);
        assert_int_equal(count_rrsets(), 3);
        /* the next change id continues after a reload */
        cJSON_Delete(
            call("DELETE", Z "/z1/rrsets/_acme-challenge.example.com./CNAME", NULL, NULL, &st));
        assert_int_equal(status_of("GET", Z "/z1/changes/2", NULL, NULL), 200);

        saved = cJSON_Parse("{\"zones\":[{\"project\":\"p\"}]}");
        assert_int_equal(gcp_module_dns.load(dns, saved), CC_INVAL);
        cJSON_Delete(saved);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_zone_bootstrap, setup, teardown),
                cmocka_unit_test_setup_teardown(test_change_atomicity, setup, teardown),
                cmocka_unit_test_setup_teardown(test_soa_replace, setup, teardown),
                cmocka_unit_test_setup_teardown(test_pagination, setup, teardown),
                cmocka_unit_test_setup_teardown(test_change_status_and_delete, setup, teardown),
                cmocka_unit_test_setup_teardown(test_patch_and_bad_input, setup, teardown),
                cmocka_unit_test_setup_teardown(test_persistence_and_hook, setup, teardown),
        };

        cc_alloc_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
