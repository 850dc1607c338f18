/* auth.c -- mock-gcp: the OAuth2 token endpoint, bearer-token checks and
 * the GCE metadata server.
 *
 * DESIGN
 * ------
 * Service accounts are the --sa-key JSON key files: at start each is read,
 * its client_email, private_key_id and client_id kept, and its private key
 * parsed into an EVP_PKEY (the PEM text is wiped at once).  The public half
 * verifies the RS256 assertions clients sign with the same file; the
 * private half signs the ID tokens this mock issues for that account.
 *
 * POST /token implements the two grants clients use (gcp-api.md §4.2, §4.4):
 *   - jwt-bearer: the assertion must be an RS256 JWT whose signature
 *     verifies with a registered key (found by iss = client_email and the
 *     header kid), with aud the Google token URL or this mock's own, iat and
 *     exp present, exp - iat <= 3600 and now within [iat, exp] give or take
 *     GCP_AUTH_SKEW_S, and a scope; with target_audience instead of scope
 *     the answer is an ID token.
 *   - refresh_token: any non-empty refresh token is accepted until one is
 *     registered through POST /_mock/auth/refresh-tokens; from then on only
 *     registered, unrevoked ones are.
 * Access tokens are "ya29.<64 hex>" valid for an hour, kept (with their
 * expiry, account and scope) in the module state, which is saved with
 * --state.
 *
 * With --require-auth the check hook accepts `Authorization: Bearer <t>`
 * when t is an unexpired token issued here or a self-signed JWT (AIP-4111)
 * that verifies with a registered key; otherwise it answers 401 in the
 * API's error shape with WWW-Authenticate.
 *
 * The metadata server (/computeMetadata/v1/...) needs `Metadata-Flavor:
 * Google` (403 without) and sends it on every answer.  Its default account
 * is the first registered key's, or <number>-compute@developer.gserviceaccount.com
 * with a key generated on first use when none is registered.
 *
 * Secrets: tokens, assertions and keys never reach a log line; handlers that
 * receive credentials set resp->redact so the request log drops the body.
 */
#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/secret.h"
#include "mocks/gcp/gcp.h"
#include "core/banned.h"

#define GCP_AUTH_SKEW_S      300
#define GCP_AUTH_TOKEN_TTL_S 3600
#define GCP_AUTH_GOOGLE_AUD  "https://oauth2.googleapis.com/token"
#define GCP_AUTH_FORM_MAX    8192

struct sa_key {
        char email[256];
        char kid[128];
        char client_id[64];
        EVP_PKEY *pkey;
};

struct token {
        char value[80]; /* "ya29." + 64 hex */
        int64_t exp_ms;
        char email[256];
        char scope[1024];
};

struct gcp_auth {
        struct gcp *g;
        struct sa_key *keys;
        size_t nkeys;
        struct token *tokens;
        size_t ntokens, tokens_cap;
        cJSON *refresh;    /* {"registered": [..], "revoked": [..]} */
        EVP_PKEY *mds_key; /* signs metadata ID tokens when no key is registered */
};

enum jwt_status { JWT_OK, JWT_MALFORMED, JWT_SIGNATURE, JWT_UNKNOWN_ISS, JWT_TIME };

/* --- base64url ----------------------------------------------------------- */

static cc_err
b64url_encode(const unsigned char *in, size_t n, struct cc_buf *out)
{
        unsigned char *tmp = cc_malloc(4 * ((n + 2) / 3) + 1);
        int len, i;
        cc_err rc = CC_OK;

        if (!tmp)
                return CC_NOMEM;
        len = EVP_EncodeBlock(tmp, in, (int)n);
        for (i = 0; i < len; i++) {
                if (tmp[i] == '+')
                        tmp[i] = '-';
                else if (tmp[i] == '/')
                        tmp[i] = '_';
        }
        while (len > 0 && tmp[len - 1] == '=')
                len--;
        rc = cc_buf_append(out, tmp, (size_t)len);
        cc_free(tmp);
        return rc;
}

/* decode into a cc_malloc'd, NUL-terminated buffer; NULL when invalid */
static unsigned char *
b64url_decode(const char *in, size_t n, size_t *outlen)
{
        char *tmp = NULL;
        unsigned char *out = NULL;
        size_t padded = (n + 3) / 4 * 4, i;
        int len;

        if (!n || n % 4 == 1 || n > (1u << 20))
                return NULL;
        tmp = cc_malloc(padded + 1);
        out = cc_malloc(padded / 4 * 3 + 1);
        if (!tmp || !out)
                goto fail;
        for (i = 0; i < n; i++) {
                char c = in[i];

                if (c == '-')
                        c = '+';
                else if (c == '_')
                        c = '/';
                else if (!isalnum((unsigned char)c))
                        goto fail;
                tmp[i] = c;
        }
        for (; i < padded; i++)
                tmp[i] = '=';
        tmp[padded] = '\0';
        len = EVP_DecodeBlock(out, (unsigned char *)tmp, (int)padded);
        if (len < 0)
                goto fail;
        len -= (int)(padded - n);
        out[len] = '\0';
        *outlen = (size_t)len;
        cc_free(tmp);
        return out;
fail:
        cc_free(tmp);
        cc_free(out);
        return NULL;
}

static void
random_hex(char *out, size_t nbytes)
{
        unsigned char b[32];
        size_t i;

        if (nbytes > sizeof(b))
                nbytes = sizeof(b);
        if (RAND_bytes(b, (int)nbytes) != 1)
                memset(b, 0x5a, nbytes);
        for (i = 0; i < nbytes; i++)
                snprintf(out + 2 * i, 3, "%02x", b[i]);
        cc_wipe(b, sizeof(b));
}

/* wipe every string in a parsed tree before deleting it (key files) */
static void
json_wipe_delete(cJSON *j)
{
        cJSON *c;

        if (!j)
                return;
        cJSON_ArrayForEach(c, j)
        {
                if (cJSON_IsString(c) && c->valuestring)
                        cc_wipe(c->valuestring, strlen(c->valuestring));
        }
        cJSON_Delete(j);
}

/* --- keys ---------------------------------------------------------------- */

static cc_err
load_key(const char *path, struct sa_key *k, struct cc_diag *d)
{
        FILE *f = fopen(path, "rb");
        struct cc_buf b = CC_BUF_INIT(1u << 20);
        char chunk[4096];
        cJSON *j = NULL;
        BIO *bio = NULL;
        const char *email, *kid, *pem, *type, *cid;
        size_t n;
        cc_err rc = CC_OK;

        memset(k, 0, sizeof(*k));
        if (!f) {
                rc = cc_diag_set(d, CC_IO, 0, "cannot open service-account key '%s': %s", path,
                                 strerror(errno));
                goto out;
        }
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
                if (cc_buf_append(&b, chunk, n)) {
                        rc = cc_diag_set(d, CC_TOOBIG, 0, "service-account key '%s' is too big",
                                         path);
                        goto out;
                }
        }
        j = cJSON_ParseWithLength(cc_buf_str(&b), b.len);
        type = gcp_jstr(j, "type");
        email = gcp_jstr(j, "client_email");
        kid = gcp_jstr(j, "private_key_id");
        pem = gcp_jstr(j, "private_key");
        cid = gcp_jstr(j, "client_id");
        if (!type || strcmp(type, "service_account") || !email || !kid || !pem ||
            strlen(email) >= sizeof(k->email) || strlen(kid) >= sizeof(k->kid)) {
                rc = cc_diag_set(d, CC_INVAL, 0,
                                 "cannot load service-account key '%s': not a service_account "
                                 "key file",
                                 path);
                goto out;
        }
        bio = BIO_new_mem_buf(pem, -1);
        k->pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
        if (!k->pkey || EVP_PKEY_get_base_id(k->pkey) != EVP_PKEY_RSA) {
                rc = cc_diag_set(d, CC_INVAL, 0,
                                 "cannot load service-account key '%s': bad RSA private_key", path);
                goto out;
        }
        snprintf(k->email, sizeof(k->email), "%s", email);
        snprintf(k->kid, sizeof(k->kid), "%s", kid);
        snprintf(k->client_id, sizeof(k->client_id), "%s", cid ? cid : "100000000000000000001");
out:
        if (rc != CC_OK) {
                EVP_PKEY_free(k->pkey);
                k->pkey = NULL;
        }
        BIO_free(bio);
        if (f)
                fclose(f);
        if (b.data)
                cc_wipe(b.data, b.len);
        cc_buf_release(&b);
        json_wipe_delete(j);
        cc_wipe(chunk, sizeof(chunk));
        return rc;
}

static const struct sa_key *
key_find(const struct gcp_auth *a, const char *email, const char *kid, size_t start)
{
        size_t i;

        for (i = start; i < a->nkeys; i++)
                if (!strcmp(a->keys[i].email, email) && (!kid || !strcmp(a->keys[i].kid, kid)))
                        return &a->keys[i];
        return NULL;
}

/* --- JWTs ---------------------------------------------------------------- */

static bool
rs256_verify(EVP_PKEY *key, const char *data, size_t len, const unsigned char *sig, size_t siglen)
{
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
                  EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)data, len) == 1;

        EVP_MD_CTX_free(ctx);
        return ok;
}

/* sign header.claims with RS256 into out (a complete JWT) */
static cc_err
jwt_sign(EVP_PKEY *key, const char *kid, const cJSON *claims, struct cc_buf *out)
{
        cJSON *hdr = cJSON_CreateObject();
        char *h = NULL, *c = NULL;
        unsigned char *sig = NULL;
        size_t siglen = 0;
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        cc_err rc = CC_NOMEM;

        cJSON_AddStringToObject(hdr, "alg", "RS256");
        cJSON_AddStringToObject(hdr, "kid", kid);
        cJSON_AddStringToObject(hdr, "typ", "JWT");
        h = cJSON_PrintUnformatted(hdr);
        c = cJSON_PrintUnformatted(claims);
        if (!ctx || !h || !c)
                goto out;
        if (b64url_encode((const unsigned char *)h, strlen(h), out) || cc_buf_putc(out, '.') ||
            b64url_encode((const unsigned char *)c, strlen(c), out))
                goto out;
        rc = CC_INTERNAL;
        if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
            EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)cc_buf_str(out), out->len) !=
                1)
                goto out;
        sig = cc_malloc(siglen);
        if (!sig || EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)cc_buf_str(out),
                                   out->len) != 1)
                goto out;
        rc = cc_buf_putc(out, '.');
        if (!rc)
                rc = b64url_encode(sig, siglen, out);
out:
        EVP_MD_CTX_free(ctx);
        cc_free(sig);
        cJSON_free(h);
        cJSON_free(c);
        cJSON_Delete(hdr);
        return rc;
}

/* Parse a JWT and verify its RS256 signature with the registered key of
 * its issuer.  On JWT_OK *claims (caller deletes) and *key are set. */
static enum jwt_status
jwt_verify(const struct gcp_auth *a, const char *jwt, cJSON **claims, const struct sa_key **key)
{
        const char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
        unsigned char *hraw = NULL, *craw = NULL, *sig = NULL;
        size_t hlen, clen, siglen;
        cJSON *hdr = NULL, *cl = NULL;
        const char *alg, *iss, *kid;
        const struct sa_key *k = NULL;
        enum jwt_status st = JWT_MALFORMED;
        size_t i;

        if (!d1 || !d2 || strchr(d2 + 1, '.'))
                goto out;
        hraw = b64url_decode(jwt, (size_t)(d1 - jwt), &hlen);
        craw = b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &clen);
        sig = b64url_decode(d2 + 1, strlen(d2 + 1), &siglen);
        if (!hraw || !craw)
                goto out;
        hdr = cJSON_ParseWithLength((const char *)hraw, hlen);
        cl = cJSON_ParseWithLength((const char *)craw, clen);
        if (!cJSON_IsObject(hdr) || !cJSON_IsObject(cl))
                goto out;
        st = JWT_SIGNATURE;
        alg = gcp_jstr(hdr, "alg");
        if (!alg || strcmp(alg, "RS256") || !sig)
                goto out;
        iss = gcp_jstr(cl, "iss");
        if (!iss || !key_find(a, iss, NULL, 0)) {
                st = JWT_UNKNOWN_ISS;
                goto out;
        }
        kid = gcp_jstr(hdr, "kid");
        for (i = 0; i < a->nkeys; i++) {
                const struct sa_key *c = &a->keys[i];

                if (strcmp(c->email, iss) || (kid && strcmp(c->kid, kid)))
                        continue;
                if (rs256_verify(c->pkey, jwt, (size_t)(d2 - jwt), sig, siglen)) {
                        k = c;
                        break;
                }
        }
        if (!k)
                goto out;
        st = JWT_OK;
        *claims = cl;
        *key = k;
        cl = NULL;
out:
        cJSON_Delete(hdr);
        cJSON_Delete(cl);
        cc_free(hraw);
        cc_free(craw);
        cc_free(sig);
        return st;
}

/* iat/exp present, short-lived and current */
static bool
jwt_times_ok(const cJSON *claims)
{
        const cJSON *iat = cJSON_GetObjectItemCaseSensitive(claims, "iat");
        const cJSON *exp = cJSON_GetObjectItemCaseSensitive(claims, "exp");
        double now = (double)(gcp_now_ms() / 1000);

        if (!cJSON_IsNumber(iat) || !cJSON_IsNumber(exp))
                return false;
        if (exp->valuedouble <= iat->valuedouble ||
            exp->valuedouble - iat->valuedouble > GCP_AUTH_TOKEN_TTL_S)
                return false;
        return iat->valuedouble <= now + GCP_AUTH_SKEW_S &&
               exp->valuedouble >= now - GCP_AUTH_SKEW_S;
}

/* --- tokens -------------------------------------------------------------- */

static struct token *
token_find(struct gcp_auth *a, const char *value)
{
        int64_t now = gcp_now_ms();
        size_t i;

        for (i = 0; i < a->ntokens; i++)
                if (!strcmp(a->tokens[i].value, value) && a->tokens[i].exp_ms > now)
                        return &a->tokens[i];
        return NULL;
}

static void
tokens_prune(struct gcp_auth *a)
{
        int64_t now = gcp_now_ms();
        size_t i, j = 0;

        for (i = 0; i < a->ntokens; i++) {
                if (a->tokens[i].exp_ms > now)
                        a->tokens[j++] = a->tokens[i];
        }
        for (i = j; i < a->ntokens; i++)
                cc_wipe(&a->tokens[i], sizeof(a->tokens[i]));
        a->ntokens = j;
}

static struct token *
token_issue(struct gcp_auth *a, const char *email, const char *scope, int ttl_s)
{
        struct token *t;
        char hex[65];

        tokens_prune(a);
        if (CC_GROW(a->tokens, a->tokens_cap, a->ntokens + 1))
                return NULL;
        t = &a->tokens[a->ntokens++];
        memset(t, 0, sizeof(*t));
        random_hex(hex, 32);
        snprintf(t->value, sizeof(t->value), "ya29.%s", hex);
        cc_wipe(hex, sizeof(hex));
        t->exp_ms = gcp_now_ms() + (int64_t)ttl_s * 1000;
        snprintf(t->email, sizeof(t->email), "%s", email ? email : "");
        snprintf(t->scope, sizeof(t->scope), "%s", scope ? scope : "");
        gcp_changed(a->g);
        return t;
}

static void
token_reply(struct cc_mock_resp *resp, const struct token *t, const char *id_token)
{
        cJSON *o = cJSON_CreateObject();

        cJSON_AddStringToObject(o, "access_token", t->value);
        cJSON_AddNumberToObject(o, "expires_in", (double)((t->exp_ms - gcp_now_ms()) / 1000 - 1));
        if (*t->scope)
                cJSON_AddStringToObject(o, "scope", t->scope);
        cJSON_AddStringToObject(o, "token_type", "Bearer");
        if (id_token)
                cJSON_AddStringToObject(o, "id_token", id_token);
        cc_mock_resp_json(resp, 200, o);
        cc_mock_resp_header(resp, "Cache-Control",
                            "no-cache, no-store, max-age=0, must-revalidate");
        cc_mock_resp_header(resp, "Pragma", "no-cache");
        cJSON_Delete(o);
}

static void
oauth_error(struct cc_mock_resp *resp, int status, const char *error, const char *desc)
{
        cJSON *o = cJSON_CreateObject();

        cJSON_AddStringToObject(o, "error", error);
        cJSON_AddStringToObject(o, "error_description", desc);
        cc_mock_resp_json(resp, status, o);
        cJSON_Delete(o);
}

/* an ID token for the account, audience aud */
static cc_err
id_token_make(EVP_PKEY *key, const char *kid, const char *email, const char *sub, const char *aud,
              struct cc_buf *out)
{
        cJSON *c = cJSON_CreateObject();
        double now = (double)(gcp_now_ms() / 1000);
        cc_err rc;

        cJSON_AddStringToObject(c, "aud", aud);
        cJSON_AddStringToObject(c, "azp", email);
        cJSON_AddStringToObject(c, "email", email);
        cJSON_AddBoolToObject(c, "email_verified", true);
        cJSON_AddNumberToObject(c, "exp", now + GCP_AUTH_TOKEN_TTL_S);
        cJSON_AddNumberToObject(c, "iat", now);
        cJSON_AddStringToObject(c, "iss", "https://accounts.google.com");
        cJSON_AddStringToObject(c, "sub", sub);
        rc = jwt_sign(key, kid, c, out);
        cJSON_Delete(c);
        return rc;
}

/* --- the token endpoint -------------------------------------------------- */

static bool
form_get(const struct cc_mock_req *req, const char *name, char *out, size_t n)
{
        struct cc_mock_req form = { .method = "POST", .path = "", .raw_query = req->body };

        return gcp_query(&form, name, out, n);
}

static void
grant_jwt(struct gcp_auth *a, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        char *assertion = cc_malloc(GCP_AUTH_FORM_MAX);
        cJSON *claims = NULL;
        const struct sa_key *key = NULL;
        const char *aud, *scope, *target;
        char own[256];
        struct cc_buf idt = CC_BUF_INIT(64 << 10);
        struct token *t;

        if (!assertion) {
                oauth_error(resp, 500, "internal_failure", "out of memory");
                goto out;
        }
        if (!form_get(req, "assertion", assertion, GCP_AUTH_FORM_MAX) || !*assertion) {
                oauth_error(resp, 400, "invalid_request", "Missing required parameter: assertion");
                goto out;
        }
        switch (jwt_verify(a, assertion, &claims, &key)) {
        case JWT_OK:
                break;
        case JWT_UNKNOWN_ISS:
                oauth_error(resp, 400, "invalid_grant", "Invalid grant: account not found");
                goto out;
        case JWT_MALFORMED:
        case JWT_SIGNATURE:
        default:
                oauth_error(resp, 400, "invalid_grant", "Invalid JWT Signature.");
                goto out;
        }
        if (!jwt_times_ok(claims)) {
                oauth_error(resp, 400, "invalid_grant",
                            "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                            "reasonable timeframe. Check your iat and exp values in the JWT "
                            "claim.");
                goto out;
        }
        aud = gcp_jstr(claims, "aud");
        snprintf(own, sizeof(own), "%s/token", a->g->srv ? cc_mocksrv_url(a->g->srv) : "");
        if (!aud || (strcmp(aud, GCP_AUTH_GOOGLE_AUD) && strcmp(aud, own))) {
                oauth_error(resp, 400, "invalid_grant", "Invalid JWT: Failed audience check.");
                goto out;
        }
        target = gcp_jstr(claims, "target_audience");
        if (target && *target) {
                cJSON *o;

                if (id_token_make(key->pkey, key->kid, key->email, key->client_id, target, &idt)) {
                        oauth_error(resp, 500, "internal_failure", "cannot sign the ID token");
                        goto out;
                }
                o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "id_token", cc_buf_str(&idt));
                cc_mock_resp_json(resp, 200, o);
                cJSON_Delete(o);
                goto out;
        }
        scope = gcp_jstr(claims, "scope");
        if (!scope || !*scope) {
                oauth_error(resp, 400, "invalid_scope", "Empty or missing scope not allowed.");
                goto out;
        }
        t = token_issue(a, key->email, scope, GCP_AUTH_TOKEN_TTL_S);
        if (!t) {
                oauth_error(resp, 500, "internal_failure", "out of memory");
                goto out;
        }
        token_reply(resp, t, NULL);
out:
        if (idt.data)
                cc_wipe(idt.data, idt.len);
        cc_buf_release(&idt);
        if (assertion) {
                cc_wipe(assertion, GCP_AUTH_FORM_MAX);
                cc_free(assertion);
        }
        cJSON_Delete(claims);
}

static bool
refresh_listed(const struct gcp_auth *a, const char *list, const char *value)
{
        const cJSON *v;

        cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(a->refresh, list))
        {
                if (cJSON_IsString(v) && !strcmp(v->valuestring, value))
                        return true;
        }
        return false;
}

static void
grant_refresh(struct gcp_auth *a, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        char rt[1024] = "", scope[1024] = "", client[256] = "";
        struct token *t;

        if (!form_get(req, "refresh_token", rt, sizeof(rt)) || !*rt) {
                oauth_error(resp, 400, "invalid_request",
                            "Missing required parameter: refresh_token");
                goto out;
        }
        if (refresh_listed(a, "revoked", rt) ||
            (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(a->refresh, "registered")) > 0 &&
             !refresh_listed(a, "registered", rt))) {
                oauth_error(resp, 400, "invalid_grant", "Token has been expired or revoked.");
                goto out;
        }
        form_get(req, "scope", scope, sizeof(scope));
        form_get(req, "client_id", client, sizeof(client));
        t = token_issue(a, "user@example.com",
                        *scope ? scope : "https://www.googleapis.com/auth/cloud-platform",
                        GCP_AUTH_TOKEN_TTL_S);
        if (!t) {
                oauth_error(resp, 500, "internal_failure", "out of memory");
                goto out;
        }
        token_reply(resp, t, NULL);
out:
        cc_wipe(rt, sizeof(rt));
}

static void
token_endpoint(struct gcp_auth *a, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        char grant[128] = "";

        resp->redact = true;
        if (strcmp(req->method, "POST")) {
                oauth_error(resp, 405, "invalid_request", "The token endpoint needs POST");
                return;
        }
        if (!form_get(req, "grant_type", grant, sizeof(grant)) || !*grant) {
                oauth_error(resp, 400, "unsupported_grant_type", "Invalid grant_type: ");
                return;
        }
        if (!strcmp(grant, "urn:ietf:params:oauth:grant-type:jwt-bearer"))
                grant_jwt(a, req, resp);
        else if (!strcmp(grant, "refresh_token"))
                grant_refresh(a, req, resp);
        else {
                char desc[192];

                snprintf(desc, sizeof(desc), "Invalid grant_type: %s", grant);
                oauth_error(resp, 400, "unsupported_grant_type", desc);
        }
}

/* GET/POST /oauth2/v3/tokeninfo?access_token=... */
static void
tokeninfo(struct gcp_auth *a, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        char tok[256] = "";
        const struct token *t;
        cJSON *o;
        char n[32];

        resp->redact = true;
        if (!gcp_query(req, "access_token", tok, sizeof(tok)))
                form_get(req, "access_token", tok, sizeof(tok));
        t = *tok ? token_find(a, tok) : NULL;
        cc_wipe(tok, sizeof(tok));
        if (!t) {
                cJSON *e = cJSON_CreateObject();

                cJSON_AddStringToObject(e, "error", "invalid_token");
                cJSON_AddStringToObject(e, "error_description", "Invalid Value");
                cc_mock_resp_json(resp, 400, e);
                cJSON_Delete(e);
                return;
        }
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "azp", "mock-gcp");
        cJSON_AddStringToObject(o, "aud", "mock-gcp");
        cJSON_AddStringToObject(o, "scope", t->scope);
        snprintf(n, sizeof(n), "%lld", (long long)(t->exp_ms / 1000));
        cJSON_AddStringToObject(o, "exp", n);
        snprintf(n, sizeof(n), "%lld", (long long)((t->exp_ms - gcp_now_ms()) / 1000));
        cJSON_AddStringToObject(o, "expires_in", n);
        if (*t->email) {
                cJSON_AddStringToObject(o, "email", t->email);
                cJSON_AddStringToObject(o, "email_verified", "true");
        }
        cJSON_AddStringToObject(o, "access_type", "online");
        cc_mock_resp_json(resp, 200, o);
        cJSON_Delete(o);
}

/* --- bearer check (--require-auth) --------------------------------------- */

#define MSG_MISSING                                                                       \
        "Request is missing required authentication credential. Expected OAuth 2 access " \
        "token, login cookie or other valid authentication credential. See "              \
        "https://developers.google.com/identity/sign-in/web/devconsole-project."
#define MSG_INVALID                                                                       \
        "Request had invalid authentication credentials. Expected OAuth 2 access token, " \
        "login cookie or other valid authentication credential. See "                     \
        "https://developers.google.com/identity/sign-in/web/devconsole-project."

static void
unauthenticated(struct cc_mock_resp *resp, bool rpc, bool missing)
{
        const char *msg = missing ? MSG_MISSING : MSG_INVALID;
        cJSON *root = cJSON_CreateObject();
        cJSON *err = cJSON_AddObjectToObject(root, "error");

        cJSON_AddNumberToObject(err, "code", 401);
        cJSON_AddStringToObject(err, "message", msg);
        if (!rpc) {
                cJSON *errors = cJSON_AddArrayToObject(err, "errors");
                cJSON *e = cJSON_CreateObject();

                cJSON_AddStringToObject(e, "message", msg);
                cJSON_AddStringToObject(e, "domain", "global");
                cJSON_AddStringToObject(e, "reason", missing ? "required" : "authError");
                cJSON_AddStringToObject(e, "location", "Authorization");
                cJSON_AddStringToObject(e, "locationType", "header");
                cJSON_AddItemToArray(errors, e);
        }
        cJSON_AddStringToObject(err, "status", "UNAUTHENTICATED");
        cc_mock_resp_json(resp, 401, root);
        cJSON_Delete(root);
        cc_mock_resp_header(resp, "WWW-Authenticate",
                            missing ? "Bearer realm=\"https://accounts.google.com/\""
                                    : "Bearer realm=\"https://accounts.google.com/\", "
                                      "error=\"invalid_token\"");
}

/* a self-signed JWT access token (AIP-4111) */
static bool
self_signed_ok(const struct gcp_auth *a, const char *tok)
{
        cJSON *claims = NULL;
        const struct sa_key *key = NULL;
        bool ok;

        if (jwt_verify(a, tok, &claims, &key) != JWT_OK)
                return false;
        ok = jwt_times_ok(claims) && ((gcp_jstr(claims, "aud") && *gcp_jstr(claims, "aud")) ||
                                      (gcp_jstr(claims, "scope") && *gcp_jstr(claims, "scope")));
        cJSON_Delete(claims);
        return ok;
}

static bool
auth_check(struct gcp *g, const struct cc_mock_req *req, struct cc_mock_resp *resp, bool rpc)
{
        struct gcp_auth *a = g->auth;
        const char *h;
        const char *tok;

        if (req->internal)
                return true; /* the outer (batch) request was checked */
        h = cc_mock_req_header(req, "Authorization");
        if (!h || strncasecmp(h, "Bearer ", 7)) {
                unauthenticated(resp, rpc, true);
                return false;
        }
        tok = h + 7;
        while (*tok == ' ')
                tok++;
        if (!*tok) {
                unauthenticated(resp, rpc, true);
                return false;
        }
        if (a && (token_find(a, tok) || self_signed_ok(a, tok)))
                return true;
        unauthenticated(resp, rpc, false);
        return false;
}

/* --- metadata server ----------------------------------------------------- */

static void
mds_text(struct cc_mock_resp *resp, int status, const char *text)
{
        cc_mock_resp_text(resp, status, "application/text", text);
}

static const char *
mds_email(const struct gcp_auth *a, char *buf, size_t n)
{
        if (a->nkeys)
                return a->keys[0].email;
        snprintf(buf, n, "%s-compute@developer.gserviceaccount.com",
                 a->g->nprojects ? a->g->projects[0].number : "100000000001");
        return buf;
}

static const char *const mds_scopes[] = { "https://www.googleapis.com/auth/cloud-platform",
                                          "https://www.googleapis.com/auth/userinfo.email", NULL };

static void
mds_account(struct gcp_auth *a, const char *acct, const char *rest, const struct cc_mock_req *req,
            struct cc_mock_resp *resp)
{
        char def[256], q[2048];
        const char *email = mds_email(a, def, sizeof(def));
        size_t i;

        if (strcmp(acct, "default") && strcmp(acct, email)) {
                mds_text(resp, 404, "Not Found\n");
                return;
        }
        if (!*rest && gcp_query(req, "recursive", q, sizeof(q)) && !strcmp(q, "true")) {
                cJSON *o = cJSON_CreateObject(), *al = cJSON_AddArrayToObject(o, "aliases");
                cJSON *sc;

                cJSON_AddItemToArray(al, cJSON_CreateString("default"));
                cJSON_AddStringToObject(o, "email", email);
                sc = cJSON_AddArrayToObject(o, "scopes");
                for (i = 0; mds_scopes[i]; i++)
                        cJSON_AddItemToArray(sc, cJSON_CreateString(mds_scopes[i]));
                cc_mock_resp_json(resp, 200, o);
                cJSON_Delete(o);
                return;
        }
        if (!*rest) {
                mds_text(resp, 200, "aliases\nemail\nidentity\nscopes\ntoken\n");
                return;
        }
        if (!strcmp(rest, "email")) {
                mds_text(resp, 200, email);
                return;
        }
        if (!strcmp(rest, "aliases")) {
                mds_text(resp, 200, "default\n");
                return;
        }
        if (!strcmp(rest, "scopes")) {
                struct cc_buf b = CC_BUF_INIT(4096);

                for (i = 0; mds_scopes[i]; i++)
                        cc_buf_printf(&b, "%s\n", mds_scopes[i]);
                mds_text(resp, 200, cc_buf_str(&b));
                cc_buf_release(&b);
                return;
        }
        if (!strcmp(rest, "token")) {
                struct token *t;
                char *c;

                if (!gcp_query(req, "scopes", q, sizeof(q)) || !*q)
                        snprintf(q, sizeof(q), "%s", mds_scopes[0]);
                for (c = q; *c; c++)
                        if (*c == ',')
                                *c = ' ';
                t = token_issue(a, email, q, GCP_AUTH_TOKEN_TTL_S);
                if (!t) {
                        mds_text(resp, 500, "out of memory\n");
                        return;
                }
                token_reply(resp, t, NULL);
                return;
        }
        if (!strcmp(rest, "identity")) {
                struct cc_buf b = CC_BUF_INIT(64 << 10);
                EVP_PKEY *key = a->nkeys ? a->keys[0].pkey : a->mds_key;
                const char *kid = a->nkeys ? a->keys[0].kid : "mock-gcp-metadata";

                if (!gcp_query(req, "audience", q, sizeof(q)) || !*q) {
                        mds_text(resp, 400, "non-empty audience parameter required\n");
                        return;
                }
                if (!key) {
                        a->mds_key = EVP_RSA_gen(2048);
                        key = a->mds_key;
                }
                if (!key || id_token_make(key, kid, email,
                                          a->nkeys ? a->keys[0].client_id : "100000000000000000002",
                                          q, &b)) {
                        mds_text(resp, 500, "cannot sign the identity token\n");
                } else {
                        mds_text(resp, 200, cc_buf_str(&b));
                }
                if (b.data)
                        cc_wipe(b.data, b.len);
                cc_buf_release(&b);
                return;
        }
        mds_text(resp, 404, "Not Found\n");
}

static void
metadata(struct gcp_auth *a, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        const char *flavor = cc_mock_req_header(req, "Metadata-Flavor");
        const char *p = req->path + strlen("/computeMetadata/v1/");
        const struct gcp_project *proj = a->g->nprojects ? &a->g->projects[0] : NULL;
        char email[256], out[512];

        resp->redact = true;
        if (!flavor || strcmp(flavor, "Google")) {
                mds_text(resp, 403, "Missing required header \"Metadata-Flavor\": \"Google\"\n");
                goto out;
        }
        if (strncmp(req->path, "/computeMetadata/v1/", 20) &&
            strcmp(req->path, "/computeMetadata/v1")) {
                mds_text(resp, 404, "Not Found\n");
                goto out;
        }
        if (strcmp(req->method, "GET")) {
                mds_text(resp, 405, "Method Not Allowed\n");
                goto out;
        }
        if (!strcmp(p, "project/project-id")) {
                mds_text(resp, 200, proj ? proj->id : "test-proj");
        } else if (!strcmp(p, "project/numeric-project-id")) {
                mds_text(resp, 200, proj ? proj->number : "100000000001");
        } else if (!strcmp(p, "instance/zone")) {
                snprintf(out, sizeof(out), "projects/%s/zones/us-central1-a",
                         proj ? proj->number : "100000000001");
                mds_text(resp, 200, out);
        } else if (!strcmp(p, "instance/id")) {
                mds_text(resp, 200, "1000000000000000001");
        } else if (!strcmp(p, "instance/hostname")) {
                mds_text(resp, 200, "mock-vm.us-central1-a.c.test-proj.internal");
        } else if (!strcmp(p, "universe/universe-domain")) {
                mds_text(resp, 200, "googleapis.com");
        } else if (!strcmp(p, "instance/service-accounts") ||
                   !strcmp(p, "instance/service-accounts/")) {
                snprintf(out, sizeof(out), "default/\n%s/\n", mds_email(a, email, sizeof(email)));
                mds_text(resp, 200, out);
        } else if (!strncmp(p, "instance/service-accounts/", 26)) {
                char acct[256];
                const char *s = p + 26, *slash = strchr(s, '/');

                snprintf(acct, sizeof(acct), "%.*s", (int)(slash ? (size_t)(slash - s) : strlen(s)),
                         s);
                mds_account(a, acct, slash ? slash + 1 : "", req, resp);
        } else {
                mds_text(resp, 404, "Not Found\n");
        }
out:
        cc_mock_resp_header(resp, "Metadata-Flavor", "Google");
        cc_mock_resp_header(resp, "Server", "Metadata Server for VM");
}

/* --- admin: /_mock/auth/... ---------------------------------------------- */

static void
admin(struct gcp_auth *a, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        const char *sub = req->path + strlen("/_mock/auth/");
        cJSON *body = NULL, *o = NULL;
        const char *v;

        resp->redact = true;
        if (strcmp(req->method, "POST")) {
                gcp_error_v1(resp, 405, "httpMethodNotAllowed", "admin endpoints take POST");
                return;
        }
        body = cJSON_ParseWithLength(req->body, req->body_len);
        if (!cJSON_IsObject(body)) {
                gcp_error_v1(resp, 400, "parseError", "admin body must be a JSON object");
                goto out;
        }
        if (!strcmp(sub, "refresh-tokens")) {
                v = gcp_jstr(body, "refreshToken");
                if (!v || !*v) {
                        gcp_error_v1(resp, 400, "required", "want {\"refreshToken\": \"...\"}");
                        goto out;
                }
                cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(a->refresh, "registered"),
                                     cJSON_CreateString(v));
                gcp_changed(a->g);
                o = cJSON_CreateObject();
                cc_mock_resp_json(resp, 200, o);
        } else if (!strcmp(sub, "revoke")) {
                size_t i;

                v = gcp_jstr(body, "token");
                if (!v || !*v) {
                        gcp_error_v1(resp, 400, "required", "want {\"token\": \"...\"}");
                        goto out;
                }
                for (i = 0; i < a->ntokens; i++)
                        if (!strcmp(a->tokens[i].value, v))
                                a->tokens[i].exp_ms = 0;
                if (strncmp(v, "ya29.", 5))
                        cJSON_AddItemToArray(
                            cJSON_GetObjectItemCaseSensitive(a->refresh, "revoked"),
                            cJSON_CreateString(v));
                tokens_prune(a);
                gcp_changed(a->g);
                o = cJSON_CreateObject();
                cc_mock_resp_json(resp, 200, o);
        } else if (!strcmp(sub, "tokens")) {
                const cJSON *ttl = cJSON_GetObjectItemCaseSensitive(body, "expiresIn");
                struct token *t;

                if (ttl &&
                    (!cJSON_IsNumber(ttl) || ttl->valuedouble < 1 || ttl->valuedouble > 86400)) {
                        gcp_error_v1(resp, 400, "invalid", "expiresIn must be 1..86400 seconds");
                        goto out;
                }
                t = token_issue(
                    a, gcp_jstr(body, "email") ? gcp_jstr(body, "email") : "test@example.com",
                    gcp_jstr(body, "scope") ? gcp_jstr(body, "scope")
                                            : "https://www.googleapis.com/auth/cloud-platform",
                    ttl ? (int)ttl->valuedouble : GCP_AUTH_TOKEN_TTL_S);
                if (!t) {
                        gcp_error_v1(resp, 500, "internalError", "out of memory");
                        goto out;
                }
                token_reply(resp, t, NULL);
        } else {
                gcp_error_v1(resp, 404, "notFound", "no admin endpoint %s", req->path);
        }
out:
        cJSON_Delete(o);
        json_wipe_delete(body);
}

static void
auth_handle(struct gcp *g, void *state, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        struct gcp_auth *a = state;

        resp->api = "auth";
        if (!strncmp(req->path, "/_mock/", 7))
                admin(a, req, resp);
        else if (!strcmp(req->path, "/token") || !strcmp(req->path, "/oauth2/v4/token") ||
                 !strcmp(req->path, "/o/oauth2/token"))
                token_endpoint(a, req, resp);
        else if (!strcmp(req->path, "/oauth2/v3/tokeninfo") ||
                 !strcmp(req->path, "/oauth2/v1/tokeninfo"))
                tokeninfo(a, req, resp);
        else if (!strncmp(req->path, "/computeMetadata/", 17))
                metadata(a, req, resp);
        else
                gcp_error_v1(resp, 404, "notFound",
                             "The requested URL %s was not found on this server", req->path);
}

/* --- lifecycle and persistence ------------------------------------------- */

static cJSON *
refresh_empty(void)
{
        cJSON *r = cJSON_CreateObject();

        if (r &&
            (!cJSON_AddArrayToObject(r, "registered") || !cJSON_AddArrayToObject(r, "revoked"))) {
                cJSON_Delete(r);
                r = NULL;
        }
        return r;
}

static void
auth_release(void *state)
{
        struct gcp_auth *a = state;
        size_t i;

        if (!a)
                return;
        if (a->g && a->g->auth == a) {
                a->g->auth = NULL;
                a->g->hooks.check = NULL;
        }
        for (i = 0; i < a->nkeys; i++)
                EVP_PKEY_free(a->keys[i].pkey);
        cc_free(a->keys);
        if (a->tokens)
                cc_wipe(a->tokens, a->tokens_cap * sizeof(*a->tokens));
        cc_free(a->tokens);
        json_wipe_delete(a->refresh);
        EVP_PKEY_free(a->mds_key);
        cc_free(a);
}

static cc_err
auth_create(struct gcp *g, void **state, struct cc_diag *d)
{
        struct gcp_auth *a = cc_calloc(1, sizeof(*a));
        cc_err rc = CC_OK;
        size_t i;

        if (!a || !(a->refresh = refresh_empty())) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "cannot create the auth module: out of memory");
                goto out;
        }
        a->g = g;
        if (g->nsa_keys) {
                a->keys = cc_calloc(g->nsa_keys, sizeof(*a->keys));
                if (!a->keys) {
                        rc = cc_diag_set(d, CC_NOMEM, 0,
                                         "cannot create the auth module: out of memory");
                        goto out;
                }
        }
        for (i = 0; i < g->nsa_keys; i++) {
                rc = load_key(g->sa_keys[i], &a->keys[i], d);
                if (rc != CC_OK)
                        goto out;
                a->nkeys++;
        }
        g->auth = a;
        g->hooks.check = auth_check;
        *state = a;
out:
        if (rc != CC_OK)
                auth_release(a);
        return rc;
}

static void
auth_reset(void *state)
{
        struct gcp_auth *a = state;
        cJSON *r = refresh_empty();

        if (a->tokens)
                cc_wipe(a->tokens, a->tokens_cap * sizeof(*a->tokens));
        a->ntokens = 0;
        if (r) {
                json_wipe_delete(a->refresh);
                a->refresh = r;
        }
}

static cJSON *
auth_dump(const void *state)
{
        const struct gcp_auth *a = state;
        cJSON *root = cJSON_CreateObject(), *arr;
        int64_t now = gcp_now_ms();
        size_t i;

        if (!root)
                return NULL;
        arr = cJSON_AddArrayToObject(root, "tokens");
        for (i = 0; arr && i < a->ntokens; i++) {
                const struct token *t = &a->tokens[i];
                cJSON *o;

                if (t->exp_ms <= now)
                        continue;
                o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "token", t->value);
                cJSON_AddNumberToObject(o, "expMs", (double)t->exp_ms);
                cJSON_AddStringToObject(o, "email", t->email);
                cJSON_AddStringToObject(o, "scope", t->scope);
                cJSON_AddItemToArray(arr, o);
        }
        cJSON_AddItemToObject(root, "refreshTokens", cJSON_Duplicate(a->refresh, 1));
        if (!arr || !cJSON_GetObjectItemCaseSensitive(root, "refreshTokens")) {
                cJSON_Delete(root);
                return NULL;
        }
        return root;
}

static cc_err
auth_load(void *state, const cJSON *saved)
{
        struct gcp_auth *a = state;
        const cJSON *tokens = cJSON_GetObjectItemCaseSensitive(saved, "tokens");
        const cJSON *rt = cJSON_GetObjectItemCaseSensitive(saved, "refreshTokens");
        const cJSON *t;
        cJSON *refresh;

        if (!cJSON_IsArray(tokens) ||
            !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(rt, "registered")) ||
            !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(rt, "revoked")))
                return CC_INVAL;
        cJSON_ArrayForEach(t, tokens)
        {
                if (!gcp_jstr(t, "token") ||
                    !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(t, "expMs")))
                        return CC_INVAL;
        }
        refresh = cJSON_Duplicate(rt, 1);
        if (!refresh)
                return CC_NOMEM;
        json_wipe_delete(a->refresh);
        a->refresh = refresh;
        a->ntokens = 0;
        cJSON_ArrayForEach(t, tokens)
        {
                struct token *n;

                if (CC_GROW(a->tokens, a->tokens_cap, a->ntokens + 1))
                        return CC_NOMEM;
                n = &a->tokens[a->ntokens++];
                memset(n, 0, sizeof(*n));
                snprintf(n->value, sizeof(n->value), "%s", gcp_jstr(t, "token"));
                n->exp_ms = (int64_t)cJSON_GetObjectItemCaseSensitive(t, "expMs")->valuedouble;
                snprintf(n->email, sizeof(n->email), "%s",
                         gcp_jstr(t, "email") ? gcp_jstr(t, "email") : "");
                snprintf(n->scope, sizeof(n->scope), "%s",
                         gcp_jstr(t, "scope") ? gcp_jstr(t, "scope") : "");
        }
        return CC_OK;
}

static const char *const auth_prefixes[] = { "/token", "/oauth2/", "/o/oauth2/",
                                             "/computeMetadata/", NULL };

const struct gcp_module gcp_module_auth = {
        .name = "auth",
        .prefixes = auth_prefixes,
        .rpc_errors = false,
        .public_paths = true,
        .create = auth_create,
        .release = auth_release,
        .reset = auth_reset,
        .handle = auth_handle,
        .dump = auth_dump,
        .load = auth_load,
};
