/* test_gke_runtime.c -- gke runtime pieces: JWT, token cache, errors, request ids, keys, marks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/http.h"
#include "core/json.h"
#include "core/loop.h"
#include "lib/testlib.h"
#include "lib/testsrv.h"
#include "providers/gke/api.h"
#include "providers/gke/auth.h"
#include "providers/gke/exec.h"
#include "providers/gke/gke.h"
#include "providers/gke/observe.h"
#include "core/banned.h"

/* --- JWT assertion ------------------------------------------------------- */

static void
load_key(struct cc_secret *key, char *pub, size_t pubsz)
{
        char *text = cc_test_read_file(cc_test_path("fixtures/keys/test-sa.json"), NULL);
        cJSON *root = NULL;
        const char *pem = NULL;
        BIO *in, *out;
        EVP_PKEY *pk;
        int n;

        assert_non_null(text);
        assert_int_equal(cc_json_parse(text, strlen(text), 0, &root, NULL), CC_OK);
        assert_int_equal(cc_json_get_str(root, "private_key", &pem, NULL), CC_OK);
        assert_int_equal(cc_secret_set_str(key, pem), CC_OK);
        in = BIO_new_mem_buf(pem, -1);
        pk = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL);
        assert_non_null(pk);
        out = BIO_new(BIO_s_mem());
        assert_int_equal(PEM_write_bio_PUBKEY(out, pk), 1);
        n = BIO_read(out, pub, (int)pubsz - 1);
        assert_true(n > 0);
        pub[n] = '\0';
        BIO_free(in);
        BIO_free(out);
        EVP_PKEY_free(pk);
        cJSON_Delete(root);
        cc_free(text);
}

static void
test_jwt_assertion(void **state)
{
        struct cc_secret key = CC_SECRET_INIT, out = CC_SECRET_INIT;
        char pub[2048];
        jwt_t *jwt = NULL;
        struct cc_diag d;

        (void)state;
        load_key(&key, pub, sizeof(pub));
        assert_int_equal(cc_gke_jwt_assertion("sa@test-proj.iam.gserviceaccount.com", "kid123",
                                              &key, CC_GKE_SCOPE_CLOUD, CC_GKE_TOKEN_AUD,
                                              1700000000, &out, &d),
                         CC_OK);
        /* decode and verify with the public half */
        assert_int_equal(
            jwt_decode(&jwt, cc_secret_str(&out), (const unsigned char *)pub, (int)strlen(pub)), 0);
        assert_int_equal(jwt_get_alg(jwt), JWT_ALG_RS256);
        assert_string_equal(jwt_get_header(jwt, "kid"), "kid123");
        assert_string_equal(jwt_get_header(jwt, "typ"), "JWT");
        assert_string_equal(jwt_get_grant(jwt, "iss"), "sa@test-proj.iam.gserviceaccount.com");
        assert_string_equal(jwt_get_grant(jwt, "scope"), CC_GKE_SCOPE_CLOUD);
        assert_string_equal(jwt_get_grant(jwt, "aud"), "https://oauth2.googleapis.com/token");
        assert_int_equal(jwt_get_grant_int(jwt, "iat"), 1700000000);
        assert_int_equal(jwt_get_grant_int(jwt, "exp"), 1700003600);
        jwt_free(jwt);
        cc_secret_release(&out);
        /* a key that cannot sign */
        cc_secret_set_str(&key, "not a key");
        assert_int_equal(cc_gke_jwt_assertion("x", "k", &key, "s", "a", 1, &out, &d), CC_INVAL);
        assert_null(strstr(d.message, "not a key"));
        cc_secret_release(&key);
}

/* --- token cache --------------------------------------------------------- */

static time_t fake_now = 1000000;
static int token_seq;

static time_t
fake_clock(void *ud)
{
        (void)ud;
        return fake_now;
}

static void
token_handler(const struct cc_testsrv_req *req, struct cc_testsrv_resp *resp, void *ud)
{
        static char body[128];
        int n = __atomic_add_fetch(&token_seq, 1, __ATOMIC_SEQ_CST);

        (void)ud;
        assert_non_null(
            strstr(req->body, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"));
        assert_non_null(strstr(req->body, "assertion="));
        snprintf(body, sizeof(body),
                 "{\"access_token\":\"tok-%d\",\"expires_in\":3600,\"token_type\":\"Bearer\"}", n);
        resp->body = body;
        resp->headers[0] = "Content-Type: application/json";
}

struct waits {
        int fired;
        char last[64];
};

static void
waiter_fn(struct cc_gke_auth_waiter *w, cc_err rc, const struct cc_secret *tok,
          const struct cc_diag *d, void *ud)
{
        struct waits *ws = ud;

        (void)w;
        (void)d;
        assert_int_equal(rc, CC_OK);
        ws->fired++;
        snprintf(ws->last, sizeof(ws->last), "%s", cc_secret_str(tok));
}

static void
test_token_cache(void **state)
{
        struct cc_testsrv *srv = cc_testsrv_start(token_handler, NULL);
        struct cc_loop loop;
        struct cc_http http;
        struct cc_gke_auth a;
        struct cc_gke_auth_opts o = { .type = CC_GKE_AUTH_FILE };
        struct cc_gke_auth_waiter w1 = { .fn = waiter_fn }, w2 = { .fn = waiter_fn };
        struct waits ws = { 0 };
        const struct cc_secret *tok = NULL;
        struct cc_diag d;
        char key[1024], uri[256];

        (void)state;
        assert_non_null(srv);
        snprintf(key, sizeof(key), "%s", cc_test_path("fixtures/keys/test-sa.json"));
        snprintf(uri, sizeof(uri), "%s", cc_testsrv_url(srv, "/token"));
        o.key_file = key;
        o.token_uri = uri;
        o.clock = fake_clock;
        assert_int_equal(cc_loop_init(&loop, &d), CC_OK);
        assert_int_equal(cc_http_init(&http, &loop, NULL, &d), CC_OK);
        assert_int_equal(cc_gke_auth_init(&a, &http, &o, &d), CC_OK);
        assert_int_equal(a.cred, CC_GKE_CRED_SERVICE_ACCOUNT);

        /* two callers while no token: one fetch, both fire */
        w1.ud = w2.ud = &ws;
        assert_int_equal(cc_gke_auth_token(&a, &w1, &tok, &d), CC_AGAIN);
        assert_int_equal(cc_gke_auth_token(&a, &w2, &tok, &d), CC_AGAIN);
        cc_loop_run(&loop);
        assert_int_equal(ws.fired, 2);
        assert_string_equal(ws.last, "tok-1");
        assert_int_equal(a.fetches, 1);

        /* cached until 5 minutes before expiry */
        fake_now += 3600 - 301;
        assert_int_equal(cc_gke_auth_token(&a, &w1, &tok, &d), CC_OK);
        assert_string_equal(cc_secret_str(tok), "tok-1");
        assert_int_equal(a.fetches, 1);
        /* then still served, refreshed in the background */
        fake_now += 2;
        assert_int_equal(cc_gke_auth_token(&a, &w1, &tok, &d), CC_OK);
        assert_string_equal(cc_secret_str(tok), "tok-1");
        assert_int_equal(a.fetches, 2);
        cc_loop_run(&loop);
        assert_int_equal(cc_gke_auth_token(&a, &w1, &tok, &d), CC_OK);
        assert_string_equal(cc_secret_str(tok), "tok-2");

        /* a 401 with an old token does not drop the new one; with it, it does */
        cc_gke_auth_invalidate(&a, "tok-1");
        assert_int_equal(cc_gke_auth_token(&a, &w1, &tok, &d), CC_OK);
        cc_gke_auth_invalidate(&a, "tok-2");
        ws.fired = 0;
        assert_int_equal(cc_gke_auth_token(&a, &w1, &tok, &d), CC_AGAIN);
        cc_loop_run(&loop);
        assert_int_equal(ws.fired, 1);
        assert_string_equal(ws.last, "tok-3");

        /* past expiry without a refresh: wait for a new one */
        fake_now += 7200;
        ws.fired = 0;
        assert_int_equal(cc_gke_auth_token(&a, &w1, &tok, &d), CC_AGAIN);
        cc_gke_auth_cancel(&a, &w1);
        cc_loop_run(&loop);
        assert_int_equal(ws.fired, 0); /* canceled waiter never fires */
        assert_int_equal(a.fetches, 4);

        cc_gke_auth_release(&a);
        cc_http_release(&http);
        assert_int_equal(cc_loop_release(&loop), CC_OK);
        cc_testsrv_stop(srv);
}

static void
test_auth_file_errors(void **state)
{
        struct cc_gke_auth a;
        struct cc_gke_auth_opts o = { .type = CC_GKE_AUTH_FILE, .key_file = "/nonexistent.json" };
        struct cc_diag d;
        const struct cc_secret *tok = (const struct cc_secret *)1;
        struct cc_gke_auth_opts none = { .type = CC_GKE_AUTH_NONE };

        (void)state;
        assert_int_equal(cc_gke_auth_init(&a, NULL, &o, &d), CC_IO);
        assert_non_null(strstr(d.message, "/nonexistent.json"));
        assert_int_equal(cc_gke_auth_init(&a, NULL, &none, &d), CC_OK);
        assert_int_equal(cc_gke_auth_token(&a, NULL, &tok, &d), CC_OK);
        assert_null(tok);
        cc_gke_auth_release(&a);
}

/* --- errors -------------------------------------------------------------- */

static void
test_error_mapping(void **state)
{
        static const struct {
                int status;
                const char *body;
                const char *reason;
                cc_err rc;
        } cases[] = {
                { 403,
                  "{\"error\":{\"code\":403,\"message\":\"Quota 'BACKEND_SERVICES' exceeded.\","
                  "\"errors\":[{\"reason\":\"quotaExceeded\"}]}}",
                  "quotaExceeded", CC_QUOTA },
                { 403, "{\"error\":{\"code\":403,\"errors\":[{\"reason\":\"rateLimitExceeded\"}]}}",
                  "rateLimitExceeded", CC_RATELIMIT },
                { 409, "{\"error\":{\"code\":409,\"errors\":[{\"reason\":\"alreadyExists\"}]}}",
                  "alreadyExists", CC_CONFLICT },
                { 412, "{\"error\":{\"code\":412,\"errors\":[{\"reason\":\"conditionNotMet\"}]}}",
                  "conditionNotMet", CC_CONFLICT },
                { 404, "{\"error\":{\"code\":404,\"message\":\"x\",\"status\":\"NOT_FOUND\"}}",
                  "NOT_FOUND", CC_NOTFOUND },
                { 409, "{\"error\":{\"code\":409,\"status\":\"ALREADY_EXISTS\"}}", "ALREADY_EXISTS",
                  CC_CONFLICT },
                { 429,
                  "{\"error\":{\"code\":429,\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{"
                  "\"reason\":\"RATE_LIMIT_EXCEEDED\"}]}}",
                  "RATE_LIMIT_EXCEEDED", CC_RATELIMIT },
                { 400, "{\"error\":{\"code\":400,\"errors\":[{\"reason\":\"resourceNotReady\"}]}}",
                  "resourceNotReady", CC_TRANSIENT },
                { 400, "{\"error\":{\"code\":400,\"errors\":[{\"reason\":\"invalid\"}]}}",
                  "invalid", CC_INVAL },
                { 401, "{}", "", CC_AUTH },
        };
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                cJSON *b = cJSON_Parse(cases[i].body);
                char reason[64], msg[256];

                cc_gke_error_parse(b, reason, sizeof(reason), msg, sizeof(msg));
                assert_string_equal(reason, cases[i].reason);
                assert_int_equal(cc_gke_error_code(cases[i].status, reason), cases[i].rc);
                cJSON_Delete(b);
        }
        assert_true(cc_gke_error_retryable(403, "rateLimitExceeded"));
        assert_true(cc_gke_error_retryable(400, "resourceNotReady"));
        assert_false(cc_gke_error_retryable(403, "quotaExceeded"));
        assert_false(cc_gke_error_retryable(409, "alreadyExists"));
}

/* --- request ids --------------------------------------------------------- */

static void
test_request_id(void **state)
{
        cJSON *a = cJSON_Parse("{\"name\":\"x\",\"port\":1}");
        cJSON *b = cJSON_Parse("{\"name\":\"x\",\"port\":2}");
        char r1[37], r2[37], r3[37], r4[37];

        (void)state;
        cc_gke_request_id("projects/p/global/urlMaps/x", "create0", a, r1);
        cc_gke_request_id("projects/p/global/urlMaps/x", "create0", a, r2);
        cc_gke_request_id("projects/p/global/urlMaps/x", "create0", b, r3);
        cc_gke_request_id("projects/p/global/urlMaps/y", "create0", a, r4);
        assert_string_equal(r1, r2);
        assert_string_not_equal(r1, r3);
        assert_string_not_equal(r1, r4);
        assert_int_equal(strlen(r1), 36);
        assert_true(r1[8] == '-' && r1[13] == '-' && r1[18] == '-' && r1[23] == '-');
        assert_true(r1[14] == '4');
        cJSON_Delete(a);
        cJSON_Delete(b);
}

/* --- keys and ownership -------------------------------------------------- */

static void
test_keys_and_marks(void **state)
{
        static const char *mark = "{\\\"cloudctl.dev/owner\\\":\\\"f1/ns/gw\\\","
                                  "\\\"cloudctl.dev/version\\\":1}";
        char body[1024], key[512], owner[128];
        cJSON *b;

        (void)state;
        /* compute: the selfLink's projects/ suffix, whatever the host and version */
        snprintf(body, sizeof(body),
                 "{\"name\":\"cc1-um-x\",\"selfLink\":\"https://www.googleapis.com/compute/beta/"
                 "projects/p/global/urlMaps/cc1-um-x\",\"description\":\"%s\"}",
                 mark);
        b = cJSON_Parse(body);
        assert_int_equal(cc_gke_item_key(&cc_gke_kind_url_map, b, "p", NULL, key, sizeof(key)),
                         CC_OK);
        assert_string_equal(key, "projects/p/global/urlMaps/cc1-um-x");
        assert_true(cc_gke_item_mark(&cc_gke_kind_url_map, b, owner, sizeof(owner)));
        assert_string_equal(owner, "f1/ns/gw");
        cJSON_Delete(b);
        /* no mark / a foreign description */
        b = cJSON_Parse("{\"name\":\"cc1-fw-x\",\"description\":\"made by hand\"}");
        assert_int_equal(cc_gke_item_key(&cc_gke_kind_firewall, b, "p", NULL, key, sizeof(key)),
                         CC_OK);
        assert_string_equal(key, "projects/p/global/firewalls/cc1-fw-x");
        assert_false(cc_gke_item_mark(&cc_gke_kind_firewall, b, owner, sizeof(owner)));
        cJSON_Delete(b);
        /* certmgr: its name */
        snprintf(body, sizeof(body),
                 "{\"name\":\"projects/p/locations/global/certificateMaps/m/"
                 "certificateMapEntries/e\",\"description\":\"%s\"}",
                 mark);
        b = cJSON_Parse(body);
        assert_int_equal(
            cc_gke_item_key(&cc_gke_kind_certificate_map_entry, b, "p", NULL, key, sizeof(key)),
            CC_OK);
        assert_string_equal(key, "projects/p/locations/global/certificateMaps/m/"
                                 "certificateMapEntries/e");
        assert_true(cc_gke_item_mark(&cc_gke_kind_certificate_map_entry, b, owner, sizeof(owner)));
        cJSON_Delete(b);
        /* dns: zone/name/type; a TXT ownership record owns itself */
        b = cJSON_Parse("{\"name\":\"cloudctl-owner-a.www.example.com.\",\"type\":\"TXT\","
                        "\"rrdatas\":[\"\\\"cloudctl.dev/owner=f1/ns/gw\\\"\"]}");
        assert_int_equal(cc_gke_item_key(&cc_gke_kind_rrset, b, "p", "z", key, sizeof(key)), CC_OK);
        assert_string_equal(
            key, "projects/p/managedZones/z/rrsets/cloudctl-owner-a.www.example.com./TXT");
        assert_true(cc_gke_item_mark(&cc_gke_kind_rrset, b, owner, sizeof(owner)));
        assert_string_equal(owner, "f1/ns/gw");
        cJSON_Delete(b);
        b = cJSON_Parse("{\"name\":\"www.example.com.\",\"type\":\"A\",\"rrdatas\":[\"1.2.3.4\"]}");
        assert_false(cc_gke_item_mark(&cc_gke_kind_rrset, b, owner, sizeof(owner)));
        cJSON_Delete(b);
        cc_gke_txt_name(key, sizeof(key), "CNAME", "_acme-challenge.x.com.");
        assert_string_equal(key, "cloudctl-owner-cname._acme-challenge.x.com.");
}

/* the cache applied to a graph: ours, foreign, orphan, scope */
static void
test_apply(void **state)
{
        struct cc_gke_cache c = CC_GKE_CACHE_INIT;
        struct cc_graph g = CC_GRAPH_INIT;
        struct cc_gke_scope s = { .project = "p", .fleet = "f1" };
        struct cc_gke_observe_result res = { 0 };
        struct cc_node *n;
        const char *only[] = { "f1/ns/other" };

        (void)state;
        assert_int_equal(cc_graph_add(&g, &cc_gke_kind_url_map, "projects/p/global/urlMaps/a", &n),
                         CC_OK);
        cc_node_set_desired(n, cJSON_Parse("{\"name\":\"a\"}"));
        cc_node_set_owner(n, "f1/ns/gw");
        assert_int_equal(
            cc_graph_add(&g, &cc_gke_kind_health_check, "projects/p/global/healthChecks/b", &n),
            CC_OK);
        cc_node_set_desired(n, cJSON_Parse("{\"name\":\"b\"}"));
        cc_node_set_owner(n, "f1/ns/gw");
        cc_gke_cache_put(&c, &cc_gke_kind_url_map, "projects/p/global/urlMaps/a",
                         cJSON_Parse("{\"name\":\"a\"}"), "f1/ns/gw");
        cc_gke_cache_put(&c, &cc_gke_kind_health_check, "projects/p/global/healthChecks/b",
                         cJSON_Parse("{\"name\":\"b\"}"), NULL);
        cc_gke_cache_put(&c, &cc_gke_kind_firewall, "projects/p/global/firewalls/old",
                         cJSON_Parse("{\"name\":\"old\"}"), "f1/ns/gone");
        cc_gke_cache_put(&c, &cc_gke_kind_firewall, "projects/p/global/firewalls/fleet2",
                         cJSON_Parse("{\"name\":\"fleet2\"}"), "f2/ns/gone");
        assert_int_equal(cc_gke_observe_apply(&c, &s, &g, &res), CC_OK);
        n = cc_graph_get(&g, "projects/p/global/urlMaps/a");
        assert_true(n->observed && (n->flags & CC_NODE_OWNED));
        n = cc_graph_get(&g, "projects/p/global/healthChecks/b");
        assert_true(n->observed && !(n->flags & CC_NODE_OWNED));
        assert_int_equal(res.conflicts.n, 1);
        assert_non_null(strstr(res.conflicts.v[0], "not managed by cloudctl"));
        n = cc_graph_get(&g, "projects/p/global/firewalls/old");
        assert_non_null(n);
        assert_true(!n->desired && (n->flags & CC_NODE_OWNED));
        assert_null(cc_graph_get(&g, "projects/p/global/firewalls/fleet2"));
        assert_int_equal(res.adopted, 1);
        cc_gke_observe_result_release(&res);
        cc_graph_release(&g);

        /* a destroy scoped to another Gateway adopts nothing of this one */
        memset(&res, 0, sizeof(res));
        s.owners = only;
        s.nowners = 1;
        assert_int_equal(cc_gke_observe_apply(&c, &s, &g, &res), CC_OK);
        assert_int_equal(res.adopted, 0);
        assert_int_equal(g.n, 0);
        cc_gke_observe_result_release(&res);
        cc_graph_release(&g);
        cc_gke_cache_release(&c);
}

/* scoped to owners, the apply reads the graph's keys and those owners'
 * items through the owner index, which follows puts and removals */
static void
test_apply_scoped(void **state)
{
        struct cc_gke_cache c = CC_GKE_CACHE_INIT;
        struct cc_graph g = CC_GRAPH_INIT;
        const char *mine[] = { "f1/ns/gw" };
        struct cc_gke_scope s = { .project = "p", .fleet = "f1", .owners = mine, .nowners = 1 };
        struct cc_gke_observe_result res = { 0 };
        struct cc_node *n;

        (void)state;
        assert_int_equal(cc_graph_add(&g, &cc_gke_kind_url_map, "projects/p/global/urlMaps/a", &n),
                         CC_OK);
        cc_node_set_desired(n, cJSON_Parse("{\"name\":\"a\"}"));
        cc_node_set_owner(n, "f1/ns/gw");
        assert_int_equal(
            cc_graph_add(&g, &cc_gke_kind_health_check, "projects/p/global/healthChecks/b", &n),
            CC_OK);
        cc_node_set_desired(n, cJSON_Parse("{\"name\":\"b\"}"));
        cc_node_set_owner(n, "f1/ns/gw");
        assert_int_equal(cc_gke_cache_put(&c, &cc_gke_kind_url_map, "projects/p/global/urlMaps/a",
                                          cJSON_Parse("{\"name\":\"a\"}"), "f1/ns/gw"),
                         CC_OK);
        /* b belongs to another Gateway of the fleet: a conflict */
        assert_int_equal(cc_gke_cache_put(&c, &cc_gke_kind_health_check,
                                          "projects/p/global/healthChecks/b",
                                          cJSON_Parse("{\"name\":\"b\"}"), "f1/ns/other"),
                         CC_OK);
        /* ours, no longer wanted: adopted; then moved to another owner and
         * back, then removed */
        assert_int_equal(cc_gke_cache_put(&c, &cc_gke_kind_firewall,
                                          "projects/p/global/firewalls/old",
                                          cJSON_Parse("{\"name\":\"old\"}"), "f1/ns/gw"),
                         CC_OK);
        assert_int_equal(cc_gke_cache_put(&c, &cc_gke_kind_firewall,
                                          "projects/p/global/firewalls/x",
                                          cJSON_Parse("{\"name\":\"x\"}"), "f1/ns/other"),
                         CC_OK);
        assert_int_equal(cc_gke_observe_apply(&c, &s, &g, &res), CC_OK);
        n = cc_graph_get(&g, "projects/p/global/urlMaps/a");
        assert_true(n->observed && (n->flags & CC_NODE_OWNED));
        n = cc_graph_get(&g, "projects/p/global/healthChecks/b");
        assert_true(n->observed && !(n->flags & CC_NODE_OWNED));
        assert_int_equal(res.conflicts.n, 1);
        assert_non_null(strstr(res.conflicts.v[0], "belongs to 'f1/ns/other'"));
        n = cc_graph_get(&g, "projects/p/global/firewalls/old");
        assert_true(n && !n->desired && (n->flags & CC_NODE_OWNED));
        assert_null(cc_graph_get(&g, "projects/p/global/firewalls/x"));
        assert_int_equal(res.adopted, 1);
        assert_int_equal(g.n, 3);
        cc_gke_observe_result_release(&res);
        cc_graph_release(&g);

        /* x becomes ours, old another's: the index follows */
        assert_int_equal(cc_gke_cache_put(&c, &cc_gke_kind_firewall,
                                          "projects/p/global/firewalls/x",
                                          cJSON_Parse("{\"name\":\"x\"}"), "f1/ns/gw"),
                         CC_OK);
        assert_int_equal(cc_gke_cache_put(&c, &cc_gke_kind_firewall,
                                          "projects/p/global/firewalls/old",
                                          cJSON_Parse("{\"name\":\"old\"}"), "f1/ns/other"),
                         CC_OK);
        memset(&res, 0, sizeof(res));
        assert_int_equal(cc_gke_observe_apply(&c, &s, &g, &res), CC_OK);
        assert_int_equal(res.adopted, 2); /* the url map and x */
        assert_non_null(cc_graph_get(&g, "projects/p/global/firewalls/x"));
        assert_non_null(cc_graph_get(&g, "projects/p/global/urlMaps/a"));
        assert_null(cc_graph_get(&g, "projects/p/global/firewalls/old"));
        cc_gke_observe_result_release(&res);
        cc_graph_release(&g);

        /* removed, and an unmarked put: no longer ours */
        cc_gke_cache_remove(&c, "projects/p/global/firewalls/x");
        assert_int_equal(cc_gke_cache_put(&c, &cc_gke_kind_url_map, "projects/p/global/urlMaps/a",
                                          cJSON_Parse("{\"name\":\"a\"}"), NULL),
                         CC_OK);
        memset(&res, 0, sizeof(res));
        assert_int_equal(cc_gke_observe_apply(&c, &s, &g, &res), CC_OK);
        assert_int_equal(res.adopted, 0);
        assert_int_equal(g.n, 0);
        cc_gke_observe_result_release(&res);
        cc_graph_release(&g);
        cc_gke_cache_release(&c);
}

/* a cache with a dirty map notes every key put or removed, and a clear
 * marks the notes lost (the controller's background drift list relies on
 * it to carry newer writes over) */
static void
test_cache_dirty(void **state)
{
        struct cc_gke_cache c = CC_GKE_CACHE_INIT;
        struct cc_map dirty = CC_MAP_INIT;

        (void)state;
        assert_int_equal(cc_gke_cache_put(&c, &cc_gke_kind_url_map, "projects/p/global/urlMaps/a",
                                          cJSON_CreateObject(), NULL),
                         CC_OK);
        assert_int_equal(dirty.n, 0); /* not tracking yet */
        c.dirty = &dirty;
        assert_int_equal(cc_gke_cache_put(&c, &cc_gke_kind_firewall,
                                          "projects/p/global/firewalls/f", cJSON_CreateObject(),
                                          "demo/ns/gw"),
                         CC_OK);
        cc_gke_cache_remove(&c, "projects/p/global/urlMaps/a");
        cc_gke_cache_remove(&c, "projects/p/global/urlMaps/never");
        assert_int_equal(dirty.n, 3);
        assert_non_null(cc_map_get(&dirty, "projects/p/global/firewalls/f"));
        assert_non_null(cc_map_get(&dirty, "projects/p/global/urlMaps/a"));
        assert_false(c.dirty_lost);
        assert_null(cc_gke_cache_get(&c, "projects/p/global/urlMaps/a"));
        cc_gke_cache_clear(&c);
        assert_true(c.dirty_lost);
        c.dirty = NULL;
        cc_gke_cache_release(&c);
        cc_map_release(&dirty);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_jwt_assertion),  cmocka_unit_test(test_cache_dirty),
                cmocka_unit_test(test_token_cache),    cmocka_unit_test(test_auth_file_errors),
                cmocka_unit_test(test_error_mapping),  cmocka_unit_test(test_request_id),
                cmocka_unit_test(test_keys_and_marks), cmocka_unit_test(test_apply),
                cmocka_unit_test(test_apply_scoped),
        };

        cc_alloc_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
