/* auth.c -- Google OAuth2 access tokens: service-account keys, ADC, metadata server. */
#include "providers/gke/auth.h"

#include <curl/curl.h>
#include <errno.h>
#include <jwt.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/log.h"
#include "core/banned.h"

#define CRED_FILE_MAX   ((size_t)64 << 10)
#define TOKEN_RESP_MAX  ((size_t)64 << 10)
#define EXPIRY_MARGIN_S 10

static time_t
now_s(const struct cc_gke_auth *a)
{
        return a->clock ? a->clock(a->clock_ud) : time(NULL);
}

const char *
cc_gke_auth_email(const struct cc_gke_auth *a)
{
        return a->client_email ? a->client_email : "";
}

/* --- the JWT-bearer assertion -------------------------------------------- */

cc_err
cc_gke_jwt_assertion(const char *email, const char *kid, const struct cc_secret *key_pem,
                     const char *scope, const char *aud, time_t iat, struct cc_secret *out,
                     struct cc_diag *d)
{
        jwt_t *jwt = NULL;
        char *enc = NULL;
        cc_err rc = CC_OK;

        if (jwt_new(&jwt)) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "cannot build a jwt assertion: out of memory");
                goto out;
        }
        if (jwt_add_grant(jwt, "iss", email) || jwt_add_grant(jwt, "scope", scope) ||
            jwt_add_grant(jwt, "aud", aud) || jwt_add_grant_int(jwt, "iat", (long)iat) ||
            jwt_add_grant_int(jwt, "exp", (long)iat + 3600) ||
            (kid && kid[0] && jwt_add_header(jwt, "kid", kid))) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "cannot build a jwt assertion: out of memory");
                goto out;
        }
        if (jwt_set_alg(jwt, JWT_ALG_RS256, (const unsigned char *)cc_secret_str(key_pem),
                        (int)key_pem->len)) {
                rc = cc_diag_set(d, CC_INVAL, 0, "cannot sign a jwt assertion for '%s': bad key",
                                 email);
                goto out;
        }
        enc = jwt_encode_str(jwt);
        if (!enc) {
                rc =
                    cc_diag_set(d, CC_INVAL, 0,
                                "cannot sign a jwt assertion for '%s': the key cannot sign", email);
                goto out;
        }
        rc = cc_secret_set_str(out, enc);
        if (rc)
                cc_diag_set(d, rc, 0, "cannot build a jwt assertion: out of memory");
out:
        if (enc) {
                /* libjwt allocates with the C library's malloc; cc_free is a
                 * plain free() (core/alloc.c), the only sanctioned one */
                cc_wipe(enc, strlen(enc));
                cc_free(enc);
        }
        jwt_free(jwt); /* wipes its copy of the key */
        return rc;
}

/* --- set up -------------------------------------------------------------- */

static cc_err
read_file(const char *path, struct cc_secret *out, struct cc_diag *d)
{
        char *buf = NULL;
        size_t len = 0, n;
        FILE *f = fopen(path, "rb");
        cc_err rc = CC_OK;

        if (!f)
                return cc_diag_set(d, CC_IO, 0, "cannot open credentials file '%s': %s", path,
                                   strerror(errno));
        buf = cc_malloc(CRED_FILE_MAX + 1);
        if (!buf) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "cannot read '%s': out of memory", path);
                goto out;
        }
        while ((n = fread(buf + len, 1, CRED_FILE_MAX + 1 - len, f)) > 0)
                len += n;
        if (ferror(f)) {
                rc = cc_diag_set(d, CC_IO, 0, "cannot read credentials file '%s'", path);
                goto out;
        }
        if (len > CRED_FILE_MAX) {
                rc = cc_diag_set(d, CC_TOOBIG, 0, "credentials file '%s' is too big", path);
                goto out;
        }
        buf[len] = '\0';
        cc_secret_take(out, buf, len);
        buf = NULL;
out:
        if (buf) {
                cc_wipe(buf, CRED_FILE_MAX + 1);
                cc_free(buf);
        }
        fclose(f);
        return rc;
}

static cc_err
dup_field(const cJSON *root, const char *field, bool required, char **out, const char *path,
          struct cc_diag *d)
{
        const char *s = NULL;
        cc_err rc = cc_json_get_str_opt(root, field, &s, NULL);

        if (rc == CC_NOTFOUND || (rc == CC_OK && !s[0])) {
                if (required)
                        return cc_diag_set(d, CC_INVAL, 0,
                                           "credentials file '%s': field '%s' is required", path,
                                           field);
                return CC_OK;
        }
        if (rc)
                return cc_diag_set(d, CC_INVAL, 0,
                                   "credentials file '%s': field '%s' must be a string", path,
                                   field);
        *out = cc_strdup(s);
        return *out ? CC_OK : cc_diag_set(d, CC_NOMEM, 0, "out of memory");
}

static cc_err
secret_field(const cJSON *root, const char *field, struct cc_secret *out, const char *path,
             struct cc_diag *d)
{
        const char *s = NULL;

        if (cc_json_get_str_opt(root, field, &s, NULL) || !s[0])
                return cc_diag_set(d, CC_INVAL, 0, "credentials file '%s': field '%s' is required",
                                   path, field);
        return cc_secret_set_str(out, s) ? cc_diag_set(d, CC_NOMEM, 0, "out of memory") : CC_OK;
}

/* wipe every string of a parsed credentials document before freeing it */
static void
wipe_tree(cJSON *v)
{
        cJSON *c;

        if (cJSON_IsString(v) && v->valuestring)
                cc_wipe(v->valuestring, strlen(v->valuestring));
        for (c = v ? v->child : NULL; c; c = c->next)
                wipe_tree(c);
}

static cc_err
load_file(struct cc_gke_auth *a, const char *path, struct cc_diag *d)
{
        struct cc_secret text = CC_SECRET_INIT;
        cJSON *root = NULL;
        const char *type = NULL;
        cc_err rc;

        rc = read_file(path, &text, d);
        if (rc)
                goto out;
        rc = cc_json_parse(cc_secret_str(&text), text.len, CRED_FILE_MAX, &root, NULL);
        if (rc) {
                /* the parser's message may quote the key: keep it out */
                rc = cc_diag_set(d, CC_INVAL, 0, "credentials file '%s' is not valid JSON", path);
                goto out;
        }
        if (cc_json_get_str_opt(root, "type", &type, NULL)) {
                rc = cc_diag_set(d, CC_INVAL, 0, "credentials file '%s': field 'type' is required",
                                 path);
                goto out;
        }
        if (!strcmp(type, "service_account")) {
                a->cred = CC_GKE_CRED_SERVICE_ACCOUNT;
                if ((rc = dup_field(root, "client_email", true, &a->client_email, path, d)) ||
                    (rc = dup_field(root, "private_key_id", false, &a->key_id, path, d)) ||
                    (rc = secret_field(root, "private_key", &a->private_key, path, d)))
                        goto out;
                if (!a->token_uri &&
                    (rc = dup_field(root, "token_uri", false, &a->token_uri, path, d)))
                        goto out;
        } else if (!strcmp(type, "authorized_user")) {
                a->cred = CC_GKE_CRED_AUTHORIZED_USER;
                if ((rc = dup_field(root, "client_id", true, &a->client_id, path, d)) ||
                    (rc = secret_field(root, "client_secret", &a->client_secret, path, d)) ||
                    (rc = secret_field(root, "refresh_token", &a->refresh_token, path, d)))
                        goto out;
                if (!a->token_uri &&
                    (rc = dup_field(root, "token_uri", false, &a->token_uri, path, d)))
                        goto out;
        } else {
                rc = cc_diag_set(d, CC_INVAL, 0,
                                 "credentials file '%s': unsupported credential type '%s'", path,
                                 type);
                goto out;
        }
        if (!a->token_uri) {
                a->token_uri = cc_strdup(CC_GKE_TOKEN_AUD);
                if (!a->token_uri)
                        rc = cc_diag_set(d, CC_NOMEM, 0, "out of memory");
        }
out:
        wipe_tree(root);
        cJSON_Delete(root);
        cc_secret_release(&text);
        return rc;
}

cc_err
cc_gke_auth_init(struct cc_gke_auth *a, struct cc_http *http, const struct cc_gke_auth_opts *o,
                 struct cc_diag *d)
{
        cc_err rc = CC_OK;

        memset(a, 0, sizeof(*a));
        a->http = http;
        a->type = o->type;
        a->clock = o->clock;
        a->clock_ud = o->clock_ud;
        a->refresh_early_s = o->refresh_early_s ? o->refresh_early_s : CC_GKE_REFRESH_EARLY_S;
        a->scope = cc_strdup(o->scope ? o->scope : CC_GKE_SCOPE_CLOUD);
        if (!a->scope || (o->rate_group && !(a->rate_group = cc_strdup(o->rate_group))) ||
            (o->token_uri && !(a->token_uri = cc_strdup(o->token_uri)))) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "out of memory");
                goto out;
        }
        switch (o->type) {
        case CC_GKE_AUTH_NONE:
                break;
        case CC_GKE_AUTH_FILE:
                if (!o->key_file) {
                        rc = cc_diag_set(d, CC_INVAL, 0, "file credentials need a key file");
                        goto out;
                }
                rc = load_file(a, o->key_file, d);
                break;
        case CC_GKE_AUTH_METADATA: {
                struct cc_buf u = CC_BUF_INIT(4096);
                const char *root = o->metadata_root ? o->metadata_root : CC_GKE_METADATA_ROOT;
                size_t n = strlen(root);

                a->cred = CC_GKE_CRED_METADATA;
                if (cc_buf_printf(&u,
                                  "%.*s/computeMetadata/v1/instance/service-accounts/default/token",
                                  (int)(n && root[n - 1] == '/' ? n - 1 : n), root) ||
                    !(a->metadata_url = cc_buf_detach(&u, NULL)))
                        rc = cc_diag_set(d, CC_NOMEM, 0, "out of memory");
                cc_buf_release(&u);
                break;
        }
        default:
                rc = cc_diag_set(d, CC_INVAL, 0, "unknown credential source %d", (int)o->type);
        }
out:
        if (rc)
                cc_gke_auth_release(a);
        return rc;
}

void
cc_gke_auth_release(struct cc_gke_auth *a)
{
        if (!a)
                return;
        a->waiters = NULL;
        if (a->inflight) {
                struct cc_http_req *r = a->inflight;

                /* the done callback still fires (CC_CANCELED); it must not
                 * find the state it would touch: clear the link first */
                a->inflight = NULL;
                cc_http_cancel(r);
        }
        cc_free(a->token_uri);
        cc_free(a->metadata_url);
        cc_free(a->scope);
        cc_free(a->client_email);
        cc_free(a->key_id);
        cc_free(a->client_id);
        cc_free(a->rate_group);
        cc_secret_release(&a->private_key);
        cc_secret_release(&a->client_secret);
        cc_secret_release(&a->refresh_token);
        cc_secret_release(&a->token);
        a->token_uri = a->metadata_url = a->scope = a->client_email = a->key_id = a->client_id =
            a->rate_group = NULL;
}

/* --- the cache ----------------------------------------------------------- */

cc_err
cc_gke_auth_store(struct cc_gke_auth *a, const char *token, long expires_in, time_t now)
{
        long early = (long)a->refresh_early_s;

        if (cc_secret_set_str(&a->token, token))
                return CC_NOMEM;
        if (expires_in <= 0)
                expires_in = 3600;
        if (early > expires_in / 2)
                early = expires_in / 2;
        a->refresh_at = now + expires_in - early;
        a->expires_at = now + expires_in;
        return CC_OK;
}

static bool
token_usable(const struct cc_gke_auth *a, time_t now)
{
        long margin = EXPIRY_MARGIN_S;

        if (cc_secret_empty(&a->token))
                return false;
        if (a->expires_at - a->refresh_at < margin)
                margin = (long)(a->expires_at - a->refresh_at);
        return now < a->expires_at - margin;
}

static void
fire_waiters(struct cc_gke_auth *a, cc_err rc, const struct cc_diag *d)
{
        /* a waiter may queue itself again (another call): detach the list */
        struct cc_gke_auth_waiter *w = a->waiters, *next;

        a->waiters = NULL;
        for (; w; w = next) {
                next = w->next;
                w->queued = false;
                w->next = NULL;
                w->fn(w, rc, rc ? NULL : &a->token, d, w->ud);
        }
}

static void
token_done(struct cc_http_req *req, cc_err rc, struct cc_http_response *resp, void *ud)
{
        struct cc_gke_auth *a = ud;
        struct cc_diag d;
        cJSON *root = NULL;
        const char *tok = NULL, *err = NULL, *desc = NULL;
        int64_t expires = 3600;
        const char *who = a->cred == CC_GKE_CRED_METADATA ? "the metadata server"
                          : a->client_email               ? a->client_email
                                                          : "the user credentials";

        (void)req;
        if (a->inflight != req)
                return; /* released */
        a->inflight = NULL;
        cc_diag_clear(&d);
        if (resp->body.len)
                cc_json_parse(resp->body.data, resp->body.len, TOKEN_RESP_MAX, &root, NULL);
        if (rc == CC_OK) {
                if (cc_json_get_str_opt(root, "access_token", &tok, NULL) || !tok[0]) {
                        rc = cc_diag_set(&d, CC_AUTH, resp->status,
                                         "cannot get an access token for '%s': the token "
                                         "endpoint sent no access_token",
                                         who);
                } else {
                        if (cc_json_get_int_opt(root, "expires_in", 1, 365L * 86400, &expires,
                                                NULL))
                                expires = 3600;
                        if (cc_gke_auth_store(a, tok, (long)expires, now_s(a)))
                                rc = cc_diag_set(&d, CC_NOMEM, 0, "out of memory");
                        else
                                CC_DEBUG("gke.auth", "access token refreshed", CC_S("for", who),
                                         CC_I("expires_in", expires));
                }
        } else if (rc == CC_CANCELED) {
                cc_diag_set(&d, rc, 0, "cannot get an access token for '%s': canceled", who);
        } else {
                cc_json_get_str_opt(root, "error", &err, NULL);
                cc_json_get_str_opt(root, "error_description", &desc, NULL);
                if (err)
                        cc_diag_set(&d, rc == CC_INVAL ? CC_AUTH : rc, resp->status,
                                    "cannot get an access token for '%s': %s%s%s", who, err,
                                    desc ? ": " : "", desc ? desc : "");
                else
                        cc_diag_set(&d, rc == CC_INVAL ? CC_AUTH : rc, resp->status,
                                    "cannot get an access token for '%s': %s", who,
                                    resp->diag.message[0] ? resp->diag.message : cc_err_name(rc));
                rc = d.code;
        }
        if (root) {
                wipe_tree(root);
                cJSON_Delete(root);
        }
        if (resp->body.data)
                cc_wipe(resp->body.data, resp->body.len);
        if (rc && token_usable(a, now_s(a)))
                /* a background refresh failed: the old token still serves */
                CC_WARN("gke.auth", "cannot refresh the access token", CC_S("error", d.message));
        fire_waiters(a, rc, &d);
}

/* "k=v&k=v" with escaped values, into a secret sized exactly */
static cc_err
form(struct cc_secret *out, const char *const *kv, size_t n)
{
        char *esc[8] = { 0 };
        size_t i, len = 0, off = 0;
        char *buf = NULL;
        cc_err rc = CC_OK;

        for (i = 0; i < n; i++) {
                esc[i] = curl_easy_escape(NULL, kv[2 * i + 1], 0);
                if (!esc[i]) {
                        rc = CC_NOMEM;
                        goto out;
                }
                len += strlen(kv[2 * i]) + 1 + strlen(esc[i]) + 1;
        }
        buf = cc_malloc(len + 1);
        if (!buf) {
                rc = CC_NOMEM;
                goto out;
        }
        for (i = 0; i < n; i++)
                off += (size_t)snprintf(buf + off, len + 1 - off, "%s%s=%s", i ? "&" : "",
                                        kv[2 * i], esc[i]);
        cc_secret_take(out, buf, off);
out:
        for (i = 0; i < n; i++) {
                if (esc[i]) {
                        cc_wipe(esc[i], strlen(esc[i]));
                        curl_free(esc[i]);
                }
        }
        return rc;
}

static cc_err
start_fetch(struct cc_gke_auth *a, struct cc_diag *d)
{
        struct cc_secret body = CC_SECRET_INIT, assertion = CC_SECRET_INIT;
        static const char *const mds_headers[] = { "Metadata-Flavor: Google", NULL };
        struct cc_http_request r = { 0 };
        cc_err rc = CC_OK;

        if (a->inflight)
                return CC_AGAIN;
        r.done = token_done;
        r.ud = a;
        r.group = a->rate_group;
        if (a->cred == CC_GKE_CRED_METADATA) {
                r.method = "GET";
                r.url = a->metadata_url;
                r.headers = mds_headers;
        } else if (a->cred == CC_GKE_CRED_SERVICE_ACCOUNT) {
                const char *kv[4];

                rc = cc_gke_jwt_assertion(a->client_email, a->key_id, &a->private_key, a->scope,
                                          CC_GKE_TOKEN_AUD, now_s(a), &assertion, d);
                if (rc)
                        goto out;
                kv[0] = "grant_type";
                kv[1] = "urn:ietf:params:oauth:grant-type:jwt-bearer";
                kv[2] = "assertion";
                kv[3] = cc_secret_str(&assertion);
                rc = form(&body, kv, 2);
        } else if (a->cred == CC_GKE_CRED_AUTHORIZED_USER) {
                const char *kv[8];

                kv[0] = "grant_type";
                kv[1] = "refresh_token";
                kv[2] = "client_id";
                kv[3] = a->client_id;
                kv[4] = "client_secret";
                kv[5] = cc_secret_str(&a->client_secret);
                kv[6] = "refresh_token";
                kv[7] = cc_secret_str(&a->refresh_token);
                rc = form(&body, kv, 4);
        } else {
                rc = cc_diag_set(d, CC_INTERNAL, 0, "no credentials to fetch a token with");
                goto out;
        }
        if (rc) {
                cc_diag_set(d, rc, 0, "out of memory");
                goto out;
        }
        if (a->cred != CC_GKE_CRED_METADATA) {
                r.method = "POST";
                r.url = a->token_uri;
                r.body = cc_secret_str(&body);
                r.body_len = body.len;
                r.content_type = "application/x-www-form-urlencoded";
                /* a token grant has no side effect worth guarding */
                r.retry_unsafe = true;
        }
        rc = cc_http_send(a->http, &r, &a->inflight, d);
        if (rc == CC_AGAIN)
                a->fetches++;
out:
        cc_secret_release(&assertion);
        cc_secret_release(&body);
        return rc;
}

cc_err
cc_gke_auth_token(struct cc_gke_auth *a, struct cc_gke_auth_waiter *w, const struct cc_secret **tok,
                  struct cc_diag *d)
{
        time_t now = now_s(a);
        cc_err rc;

        if (a->type == CC_GKE_AUTH_NONE) {
                *tok = NULL;
                return CC_OK;
        }
        if (token_usable(a, now)) {
                if (now >= a->refresh_at && !a->inflight) {
                        struct cc_diag bd;

                        /* refresh early in the background; the current token serves */
                        rc = start_fetch(a, &bd);
                        if (rc != CC_AGAIN)
                                CC_WARN("gke.auth", "cannot refresh the access token",
                                        CC_S("error", bd.message));
                }
                *tok = &a->token;
                return CC_OK;
        }
        rc = start_fetch(a, d);
        if (rc != CC_AGAIN)
                return rc;
        w->next = a->waiters;
        w->queued = true;
        a->waiters = w;
        return CC_AGAIN;
}

void
cc_gke_auth_cancel(struct cc_gke_auth *a, struct cc_gke_auth_waiter *w)
{
        struct cc_gke_auth_waiter **p;

        if (!w->queued)
                return;
        for (p = &a->waiters; *p; p = &(*p)->next) {
                if (*p == w) {
                        *p = w->next;
                        break;
                }
        }
        w->queued = false;
        w->next = NULL;
}

void
cc_gke_auth_invalidate(struct cc_gke_auth *a, const char *rejected)
{
        if (cc_secret_empty(&a->token))
                return;
        if (rejected && strcmp(rejected, cc_secret_str(&a->token)))
                return; /* already replaced */
        cc_secret_release(&a->token);
        a->refresh_at = a->expires_at = 0;
}
