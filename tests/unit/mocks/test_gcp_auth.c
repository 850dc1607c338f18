/* test_gcp_auth.c -- mock-gcp's auth module on a real server (headers need
 * a live connection): JWT-bearer verification (good, expired, too long,
 * wrong key, wrong audience, unknown issuer, garbage, no scope, ID token),
 * the refresh grant, bearer checks with 401 shapes, self-signed JWTs, the
 * metadata server's flavor header, and that credentials stay out of the
 * request log. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/alloc.h"
#include "lib/testlib.h"
#include "mocks/gcp/gcp.h"

extern const struct gcp_module gcp_module_auth;

static struct gcp g;
static void *auth;
static struct cc_mocksrv *srv;
static const char *keyfiles[1];

/* --- the server: auth paths to the module, /api behind the check hook ---- */

static void
handle(void *ud, struct cc_mocksrv *s, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        if (!strncmp(req->path, "/api", 4)) {
                if (g.hooks.check(&g, req, resp, !strcmp(req->path, "/api/rpc")))
                        cc_mock_resp_text(resp, 200, "application/json", "{}");
                return;
        }
        gcp_module_auth.handle(&g, auth, req, resp);
}

static int
setup(void **unused)
{
        struct cc_mock_app app = { .handle = handle, .admin = handle };
        struct cc_mocksrv_opts opts = { 0 };
        struct cc_diag d;
        static char path[4096];

        memset(&g, 0, sizeof(g));
        snprintf(g.projects[0].id, sizeof(g.projects[0].id), "test-proj");
        snprintf(g.projects[0].number, sizeof(g.projects[0].number), "100000000001");
        g.nprojects = 1;
        g.next_id = 1;
        g.cfg.require_auth = true;
        pthread_cond_init(&g.cond, NULL);
        snprintf(path, sizeof(path), "%s", cc_test_path("fixtures/keys/test-sa.json"));
        keyfiles[0] = path;
        g.sa_keys = keyfiles;
        g.nsa_keys = 1;
        if (gcp_module_auth.create(&g, &auth, &d) != CC_OK)
                return -1;
        if (cc_mocksrv_start(&opts, &app, &srv, &d) != CC_OK)
                return -1;
        g.srv = srv;
        return 0;
}

static int
teardown(void **unused)
{
        cc_mocksrv_stop(srv);
        gcp_module_auth.release(auth);
        pthread_cond_destroy(&g.cond);
        return 0;
}

/* --- HTTP ---------------------------------------------------------------- */

struct reply {
        long status;
        struct cc_buf body;
        struct cc_buf headers;
};

static size_t
on_data(char *p, size_t size, size_t n, void *ud)
{
        cc_buf_append(ud, p, size * n);
        return size * n;
}

static void
http(const char *method, const char *path, const char *hdr1, const char *hdr2, const char *body,
     struct reply *r)
{
        CURL *c = curl_easy_init();
        struct curl_slist *h = NULL;
        char url[4096];

        cc_buf_init(&r->body, 1 << 20);
        cc_buf_init(&r->headers, 1 << 20);
        snprintf(url, sizeof(url), "%s%s", cc_mocksrv_url(srv), path);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        if (body)
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        if (hdr1)
                h = curl_slist_append(h, hdr1);
        if (hdr2)
                h = curl_slist_append(h, hdr2);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
        assert_int_equal(curl_easy_perform(c), CURLE_OK);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
}

static void
reply_release(struct reply *r)
{
        cc_buf_release(&r->body);
        cc_buf_release(&r->headers);
}

/* --- JWTs signed with a fixture key -------------------------------------- */

struct key {
        EVP_PKEY *pkey;
        char email[256];
        char kid[128];
};

static void
key_load(const char *rel, struct key *k)
{
        size_t len;
        char *text = cc_test_read_file(cc_test_path(rel), &len);
        cJSON *j = cJSON_Parse(text);
        BIO *b = BIO_new_mem_buf(cJSON_GetObjectItem(j, "private_key")->valuestring, -1);

        k->pkey = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
        assert_non_null(k->pkey);
        snprintf(k->email, sizeof(k->email), "%s",
                 cJSON_GetObjectItem(j, "client_email")->valuestring);
        snprintf(k->kid, sizeof(k->kid), "%s",
                 cJSON_GetObjectItem(j, "private_key_id")->valuestring);
        BIO_free(b);
        cJSON_Delete(j);
        cc_free(text);
}

static void
b64url(const unsigned char *in, size_t n, struct cc_buf *out)
{
        unsigned char tmp[2048];
        int len = EVP_EncodeBlock(tmp, in, (int)n), i;

        for (i = 0; i < len; i++)
                tmp[i] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : tmp[i];
        while (len > 0 && tmp[len - 1] == '=')
                len--;
        cc_buf_append(out, tmp, (size_t)len);
}

/* a JWT with the given claims JSON, header kid, signed by k */
static char *
jwt(const struct key *k, const char *kid, const char *claims)
{
        struct cc_buf b = CC_BUF_INIT(1 << 20);
        char hdr[256];
        unsigned char sig[512];
        size_t siglen = sizeof(sig);
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();

        snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kid);
        b64url((const unsigned char *)hdr, strlen(hdr), &b);
        cc_buf_putc(&b, '.');
        b64url((const unsigned char *)claims, strlen(claims), &b);
        assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k->pkey), 1);
        assert_int_equal(
            EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)cc_buf_str(&b), b.len), 1);
        EVP_MD_CTX_free(ctx);
        cc_buf_putc(&b, '.');
        b64url(sig, siglen, &b);
        return cc_buf_detach(&b, NULL);
}

static char *
claims(const char *iss, const char *aud, long iat, long exp, const char *extra)
{
        struct cc_buf b = CC_BUF_INIT(1 << 20);

        cc_buf_printf(&b, "{\"iss\":\"%s\",\"aud\":\"%s\",\"iat\":%ld,\"exp\":%ld%s%s}", iss, aud,
                      iat, exp, extra ? "," : "", extra ? extra : "");
        return cc_buf_detach(&b, NULL);
}

#define GOOGLE_AUD "https://oauth2.googleapis.com/token"
#define SCOPE      "\"scope\":\"https://www.googleapis.com/auth/cloud-platform\""

/* POST the assertion; returns the parsed reply */
static cJSON *
exchange(const char *assertion, long *status)
{
        struct cc_buf form = CC_BUF_INIT(1 << 20);
        struct reply r;
        cJSON *j;

        cc_buf_printf(&form,
                      "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3Ajwt-bearer"
                      "&assertion=%s",
                      assertion);
        http("POST", "/token", "Content-Type: application/x-www-form-urlencoded", NULL,
             cc_buf_str(&form), &r);
        *status = r.status;
        j = cJSON_Parse(cc_buf_str(&r.body));
        reply_release(&r);
        cc_buf_release(&form);
        return j;
}

static void
expect_grant_error(const char *assertion, const char *error, const char *desc)
{
        long st;
        cJSON *j = exchange(assertion, &st);

        assert_int_equal(st, 400);
        assert_string_equal(cJSON_GetObjectItem(j, "error")->valuestring, error);
        assert_string_equal(cJSON_GetObjectItem(j, "error_description")->valuestring, desc);
        cJSON_Delete(j);
}

static long
api_status(const char *authz, struct reply *out)
{
        struct reply r;
        long st;

        http("GET", "/api", authz, NULL, NULL, &r);
        st = r.status;
        if (out)
                *out = r;
        else
                reply_release(&r);
        return st;
}

/* --- tests --------------------------------------------------------------- */

static void
test_jwt_bearer(void **unused)
{
        struct key good, other;
        long now = (long)time(NULL), st;
        char *c, *a, hdr[512];
        cJSON *j;
        struct reply r;

        key_load("fixtures/keys/test-sa.json", &good);
        key_load("fixtures/keys/other-sa.json", &other);

        /* good */
        c = claims(good.email, GOOGLE_AUD, now, now + 3600, SCOPE);
        a = jwt(&good, good.kid, c);
        j = exchange(a, &st);
        assert_int_equal(st, 200);
        assert_string_equal(cJSON_GetObjectItem(j, "token_type")->valuestring, "Bearer");
        assert_int_equal(strncmp(cJSON_GetObjectItem(j, "access_token")->valuestring, "ya29.", 5),
                         0);
        assert_true(cJSON_GetObjectItem(j, "expires_in")->valueint > 3500);
        snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s",
                 cJSON_GetObjectItem(j, "access_token")->valuestring);
        cJSON_Delete(j);
        cc_free(a);
        cc_free(c);
        assert_int_equal(api_status(hdr, NULL), 200);

        /* the request log kept neither the assertion nor the token */
        http("GET", "/_mock/requests", NULL, NULL, NULL, &r);
        assert_non_null(strstr(cc_buf_str(&r.body), "\"/token\""));
        assert_null(strstr(cc_buf_str(&r.body), "assertion"));
        assert_null(strstr(cc_buf_str(&r.body), "ya29."));
        reply_release(&r);

        /* expired */
        c = claims(good.email, GOOGLE_AUD, now - 7200, now - 3600, SCOPE);
        a = jwt(&good, good.kid, c);
        expect_grant_error(a, "invalid_grant",
                           "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                           "reasonable timeframe. Check your iat and exp values in the JWT claim.");
        cc_free(a);
        cc_free(c);
        /* longer than an hour */
        c = claims(good.email, GOOGLE_AUD, now, now + 7200, SCOPE);
        a = jwt(&good, good.kid, c);
        expect_grant_error(a, "invalid_grant",
                           "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                           "reasonable timeframe. Check your iat and exp values in the JWT claim.");
        cc_free(a);
        cc_free(c);
        /* wrong key: test-sa's identity, other-sa's signature */
        c = claims(good.email, GOOGLE_AUD, now, now + 3600, SCOPE);
        a = jwt(&other, good.kid, c);
        expect_grant_error(a, "invalid_grant", "Invalid JWT Signature.");
        cc_free(a);
        cc_free(c);
        /* wrong audience */
        c = claims(good.email, "https://example.com/token", now, now + 3600, SCOPE);
        a = jwt(&good, good.kid, c);
        expect_grant_error(a, "invalid_grant", "Invalid JWT: Failed audience check.");
        cc_free(a);
        cc_free(c);
        /* unknown issuer */
        c = claims(other.email, GOOGLE_AUD, now, now + 3600, SCOPE);
        a = jwt(&other, other.kid, c);
        expect_grant_error(a, "invalid_grant", "Invalid grant: account not found");
        cc_free(a);
        cc_free(c);
        /* garbage */
        expect_grant_error("not.a.jwt", "invalid_grant", "Invalid JWT Signature.");
        expect_grant_error("%01%02garbage", "invalid_grant", "Invalid JWT Signature.");
        /* no scope */
        c = claims(good.email, GOOGLE_AUD, now, now + 3600, NULL);
        a = jwt(&good, good.kid, c);
        expect_grant_error(a, "invalid_scope", "Empty or missing scope not allowed.");
        cc_free(a);
        cc_free(c);

        /* the mock's own token URL is an accepted audience; target_audience
         * asks for an ID token */
        snprintf(hdr, sizeof(hdr), "%s/token", cc_mocksrv_url(srv));
        c = claims(good.email, hdr, now, now + 3600, "\"target_audience\":\"https://svc.example\"");
        a = jwt(&good, good.kid, c);
        j = exchange(a, &st);
        assert_int_equal(st, 200);
        assert_null(cJSON_GetObjectItem(j, "access_token"));
        {
                const char *idt = cJSON_GetObjectItem(j, "id_token")->valuestring;
                const char *d1 = strchr(idt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;

                assert_non_null(d2);
        }
        cJSON_Delete(j);
        cc_free(a);
        cc_free(c);

        /* a self-signed JWT (AIP-4111) is a valid bearer */
        c = claims(good.email, "https://certificatemanager.googleapis.com/", now, now + 3600, NULL);
        a = jwt(&good, good.kid, c);
        {
                struct cc_buf h = CC_BUF_INIT(1 << 20);

                cc_buf_printf(&h, "Authorization: Bearer %s", a);
                assert_int_equal(api_status(cc_buf_str(&h), NULL), 200);
                cc_buf_release(&h);
        }
        cc_free(a);
        cc_free(c);
        EVP_PKEY_free(good.pkey);
        EVP_PKEY_free(other.pkey);
}

static void
test_bearer_check(void **unused)
{
        struct reply r;
        cJSON *j;

        /* missing: v1 shape, reason required, WWW-Authenticate */
        assert_int_equal(api_status(NULL, &r), 401);
        j = cJSON_Parse(cc_buf_str(&r.body));
        assert_string_equal(
            cJSON_GetObjectItem(cJSON_GetObjectItem(j, "error"), "status")->valuestring,
            "UNAUTHENTICATED");
        {
                const cJSON *e = cJSON_GetArrayItem(
                    cJSON_GetObjectItem(cJSON_GetObjectItem(j, "error"), "errors"), 0);

                assert_string_equal(cJSON_GetObjectItem(e, "reason")->valuestring, "required");
                assert_string_equal(cJSON_GetObjectItem(e, "location")->valuestring,
                                    "Authorization");
                assert_string_equal(cJSON_GetObjectItem(e, "locationType")->valuestring, "header");
        }
        assert_non_null(
            strcasestr(cc_buf_str(&r.headers),
                       "WWW-Authenticate: Bearer realm=\"https://accounts.google.com/\""));
        cJSON_Delete(j);
        reply_release(&r);

        /* invalid */
        assert_int_equal(api_status("Authorization: Bearer ya29.made-up", &r), 401);
        assert_non_null(strstr(cc_buf_str(&r.body), "\"authError\""));
        assert_non_null(
            strstr(cc_buf_str(&r.body), "Request had invalid authentication credentials"));
        reply_release(&r);
        assert_int_equal(api_status("Authorization: Basic dXNlcjpwYXNz", NULL), 401);

        /* rpc shape: no errors[] */
        http("GET", "/api/rpc", NULL, NULL, NULL, &r);
        assert_int_equal(r.status, 401);
        assert_null(strstr(cc_buf_str(&r.body), "errors"));
        assert_non_null(strstr(cc_buf_str(&r.body), "UNAUTHENTICATED"));
        reply_release(&r);

        /* a token minted by the admin endpoint works, and revoked stops working */
        http("POST", "/_mock/auth/tokens", NULL, NULL, "{\"email\":\"a@b.c\"}", &r);
        assert_int_equal(r.status, 200);
        j = cJSON_Parse(cc_buf_str(&r.body));
        reply_release(&r);
        {
                char hdr[256], body[256];
                const char *tok = cJSON_GetObjectItem(j, "access_token")->valuestring;

                snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", tok);
                assert_int_equal(api_status(hdr, NULL), 200);
                snprintf(body, sizeof(body), "{\"token\":\"%s\"}", tok);
                http("POST", "/_mock/auth/revoke", NULL, NULL, body, &r);
                reply_release(&r);
                assert_int_equal(api_status(hdr, NULL), 401);
        }
        cJSON_Delete(j);
}

static void
test_refresh_grant(void **unused)
{
        struct reply r;

        http("POST", "/token", NULL, NULL,
             "grant_type=refresh_token&client_id=x.apps.googleusercontent.com&client_secret=s"
             "&refresh_token=1%2F%2Fanything",
             &r);
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(cc_buf_str(&r.body), "\"access_token\":\"ya29."));
        reply_release(&r);
        http("POST", "/token", NULL, NULL, "grant_type=refresh_token&client_id=x", &r);
        assert_int_equal(r.status, 400);
        assert_non_null(strstr(cc_buf_str(&r.body), "invalid_request"));
        reply_release(&r);

        /* once one is registered, only registered ones pass */
        http("POST", "/_mock/auth/refresh-tokens", NULL, NULL, "{\"refreshToken\":\"1//good\"}",
             &r);
        assert_int_equal(r.status, 200);
        reply_release(&r);
        http("POST", "/token", NULL, NULL, "grant_type=refresh_token&refresh_token=1%2F%2Fother",
             &r);
        assert_int_equal(r.status, 400);
        assert_non_null(strstr(cc_buf_str(&r.body), "Token has been expired or revoked."));
        reply_release(&r);
        http("POST", "/token", NULL, NULL, "grant_type=refresh_token&refresh_token=1%2F%2Fgood",
             &r);
        assert_int_equal(r.status, 200);
        reply_release(&r);

        http("POST", "/token", NULL, NULL, "grant_type=password&username=u", &r);
        assert_int_equal(r.status, 400);
        assert_non_null(strstr(cc_buf_str(&r.body), "unsupported_grant_type"));
        reply_release(&r);
}

static void
test_metadata(void **unused)
{
        struct reply r;
        cJSON *j;

        http("GET", "/computeMetadata/v1/project/project-id", NULL, NULL, NULL, &r);
        assert_int_equal(r.status, 403);
        assert_non_null(strcasestr(cc_buf_str(&r.headers), "Metadata-Flavor: Google"));
        reply_release(&r);

        http("GET", "/computeMetadata/v1/project/project-id", "Metadata-Flavor: Google", NULL, NULL,
             &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(cc_buf_str(&r.body), "test-proj");
        assert_non_null(strcasestr(cc_buf_str(&r.headers), "Metadata-Flavor: Google"));
        reply_release(&r);
        http("GET", "/computeMetadata/v1/project/numeric-project-id", "Metadata-Flavor: Google",
             NULL, NULL, &r);
        assert_string_equal(cc_buf_str(&r.body), "100000000001");
        reply_release(&r);
        http("GET", "/computeMetadata/v1/instance/service-accounts/default/email",
             "Metadata-Flavor: Google", NULL, NULL, &r);
        assert_string_equal(cc_buf_str(&r.body), "lb-controller@test-proj.iam.gserviceaccount.com");
        reply_release(&r);
        http("GET",
             "/computeMetadata/v1/instance/service-accounts/"
             "lb-controller@test-proj.iam.gserviceaccount.com/?recursive=true",
             "Metadata-Flavor: Google", NULL, NULL, &r);
        j = cJSON_Parse(cc_buf_str(&r.body));
        assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "aliases"), 0)->valuestring,
                            "default");
        cJSON_Delete(j);
        reply_release(&r);
        http("GET", "/computeMetadata/v1/universe/universe-domain", "Metadata-Flavor: Google", NULL,
             NULL, &r);
        assert_string_equal(cc_buf_str(&r.body), "googleapis.com");
        reply_release(&r);
        http("GET", "/computeMetadata/v1/instance/service-accounts/default/identity?audience=x",
             "Metadata-Flavor: Google", NULL, NULL, &r);
        assert_int_equal(r.status, 200);
        assert_int_equal(strncmp(cc_buf_str(&r.body), "eyJ", 3), 0);
        reply_release(&r);

        /* a metadata token is a valid bearer */
        http("GET", "/computeMetadata/v1/instance/service-accounts/default/token?scopes=a,b",
             "Metadata-Flavor: Google", NULL, NULL, &r);
        assert_int_equal(r.status, 200);
        j = cJSON_Parse(cc_buf_str(&r.body));
        reply_release(&r);
        {
                char hdr[256];

                snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s",
                         cJSON_GetObjectItem(j, "access_token")->valuestring);
                assert_int_equal(api_status(hdr, NULL), 200);
        }
        assert_string_equal(cJSON_GetObjectItem(j, "scope")->valuestring, "a b");
        cJSON_Delete(j);

        http("GET", "/computeMetadata/v1/instance/nope", "Metadata-Flavor: Google", NULL, NULL, &r);
        assert_int_equal(r.status, 404);
        reply_release(&r);
}

static void
test_persistence_and_bad_keys(void **unused)
{
        struct reply r;
        cJSON *saved, *j;
        char hdr[256];
        struct gcp g2;
        void *st2 = NULL;
        struct cc_diag d;
        const char *bad[1] = { cc_test_path("fixtures/keys/README.md") };

        http("POST", "/_mock/auth/tokens", NULL, NULL, "{}", &r);
        j = cJSON_Parse(cc_buf_str(&r.body));
        reply_release(&r);
        snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s",
                 cJSON_GetObjectItem(j, "access_token")->valuestring);
        cJSON_Delete(j);
        saved = gcp_module_auth.dump(auth);
        assert_non_null(saved);
        gcp_module_auth.reset(auth);
        assert_int_equal(api_status(hdr, NULL), 401);
        assert_int_equal(gcp_module_auth.load(auth, saved), CC_OK);
        cJSON_Delete(saved);
        assert_int_equal(api_status(hdr, NULL), 200);

        /* a file that is not a key fails create, naming the file */
        memset(&g2, 0, sizeof(g2));
        g2.sa_keys = bad;
        g2.nsa_keys = 1;
        assert_int_not_equal(gcp_module_auth.create(&g2, &st2, &d), CC_OK);
        assert_non_null(strstr(d.message, "README.md"));
        assert_null(st2);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_jwt_bearer, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bearer_check, setup, teardown),
                cmocka_unit_test_setup_teardown(test_refresh_grant, setup, teardown),
                cmocka_unit_test_setup_teardown(test_metadata, setup, teardown),
                cmocka_unit_test_setup_teardown(test_persistence_and_bad_keys, setup, teardown),
        };
        int rc;

        cc_alloc_init();
        curl_global_init(CURL_GLOBAL_DEFAULT);
        rc = cmocka_run_group_tests(tests, NULL, NULL);
        curl_global_cleanup();
        return rc;
}
