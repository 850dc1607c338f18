/* api.c -- GCP REST calls: token, rate groups, JSON, error mapping, extra retries. */
#include "providers/gke/api.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/log.h"
#include "core/banned.h"

#define API_URL_MAX  4096
#define API_RESP_MAX ((size_t)32 << 20)

struct call {
        struct cc_gke_api *api;
        enum cc_gke_api_id id;
        char *method;
        char *url;
        char *what;
        char *group;
        cJSON *body;
        bool read, retry_unsafe;
        unsigned attempts; /* sends so far */
        bool reauthed;     /* a 401 was answered with one fresh token */
        char *sent_token;  /* the token the last attempt carried (for invalidate) */
        struct cc_gke_auth_waiter waiter;
        cc_gke_call_fn fn;
        void *ud;
};

static const char *const api_names[CC_GKE_API__COUNT] = { "compute", "certificatemanager", "dns" };

static void
call_free(struct call *c)
{
        if (!c)
                return;
        cc_free(c->method);
        cc_free(c->url);
        cc_free(c->what);
        cc_free(c->group);
        cJSON_Delete(c->body);
        if (c->sent_token) {
                cc_wipe(c->sent_token, strlen(c->sent_token));
                cc_free(c->sent_token);
        }
        cc_free(c);
}

static void
finish(struct call *c, struct cc_gke_result *res)
{
        c->fn(res, c->ud);
        cJSON_Delete(res->body);
        call_free(c);
}

static void
finish_err(struct call *c, const struct cc_diag *d)
{
        struct cc_gke_result res;

        memset(&res, 0, sizeof(res));
        res.rc = d->code ? d->code : CC_INTERNAL;
        res.d = *d;
        res.d.code = res.rc;
        finish(c, &res);
}

/* --- errors -------------------------------------------------------------- */

void
cc_gke_error_parse(const cJSON *body, char *reason, size_t reasonsz, char *msg, size_t msgsz)
{
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(body, "error");
        const cJSON *v, *e;

        reason[0] = msg[0] = '\0';
        if (!cJSON_IsObject(err))
                return;
        v = cJSON_GetObjectItemCaseSensitive(err, "message");
        if (cJSON_IsString(v))
                snprintf(msg, msgsz, "%s", v->valuestring);
        /* v1: errors[0].reason; rpc: details[].reason (ErrorInfo), then status */
        e = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(err, "errors"), 0);
        v = cJSON_GetObjectItemCaseSensitive(e, "reason");
        if (cJSON_IsString(v)) {
                snprintf(reason, reasonsz, "%s", v->valuestring);
                return;
        }
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(err, "details"))
        {
                v = cJSON_GetObjectItemCaseSensitive(e, "reason");
                if (cJSON_IsString(v)) {
                        snprintf(reason, reasonsz, "%s", v->valuestring);
                        return;
                }
        }
        v = cJSON_GetObjectItemCaseSensitive(err, "status");
        if (cJSON_IsString(v))
                snprintf(reason, reasonsz, "%s", v->valuestring);
}

static bool
reason_is(const char *reason, const char *a, const char *b)
{
        return (a && !strcmp(reason, a)) || (b && !strcmp(reason, b));
}

cc_err
cc_gke_error_code(int status, const char *reason)
{
        if (reason_is(reason, "quotaExceeded", "QUOTA_EXCEEDED"))
                return CC_QUOTA;
        if (reason_is(reason, "rateLimitExceeded", "RATE_LIMIT_EXCEEDED") ||
            reason_is(reason, "userRateLimitExceeded", NULL))
                return CC_RATELIMIT;
        if (reason_is(reason, "alreadyExists", "ALREADY_EXISTS"))
                return CC_CONFLICT;
        if (reason_is(reason, "conditionNotMet", NULL))
                return CC_CONFLICT;
        if (reason_is(reason, "notFound", "NOT_FOUND"))
                return CC_NOTFOUND;
        if (reason_is(reason, "resourceNotReady", NULL))
                return CC_TRANSIENT;
        if (status == 429)
                return CC_RATELIMIT;
        return cc_http_status_err(status);
}

bool
cc_gke_error_retryable(int status, const char *reason)
{
        return (status == 403 && reason_is(reason, "rateLimitExceeded", "RATE_LIMIT_EXCEEDED")) ||
               (status == 400 && reason_is(reason, "resourceNotReady", NULL));
}

/* --- set up -------------------------------------------------------------- */

static cc_err
set_base(char **out, const char *url)
{
        size_t n = strlen(url);
        struct cc_buf b = CC_BUF_INIT(API_URL_MAX);

        if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
                return CC_INVAL;
        if (cc_buf_puts(&b, url) || (n && url[n - 1] != '/' && cc_buf_putc(&b, '/')))
                return CC_NOMEM;
        *out = cc_buf_detach(&b, NULL);
        cc_buf_release(&b);
        return *out ? CC_OK : CC_NOMEM;
}

cc_err
cc_gke_api_init(struct cc_gke_api *api, struct cc_loop *loop, struct cc_http *http,
                struct cc_gke_auth *auth, const struct cc_gke_endpoints *ep,
                const struct cc_retry_policy *retry, struct cc_diag *d)
{
        const char *urls[CC_GKE_API__COUNT] = { CC_GKE_COMPUTE_ENDPOINT, CC_GKE_CERTMGR_ENDPOINT,
                                                CC_GKE_DNS_ENDPOINT };
        size_t i;
        cc_err rc = CC_OK;

        memset(api, 0, sizeof(*api));
        api->loop = loop;
        api->http = http;
        api->auth = auth;
        if (ep) {
                if (ep->compute)
                        urls[CC_GKE_API_COMPUTE] = ep->compute;
                if (ep->certmgr)
                        urls[CC_GKE_API_CERTMGR] = ep->certmgr;
                if (ep->dns)
                        urls[CC_GKE_API_DNS] = ep->dns;
        }
        for (i = 0; i < CC_GKE_API__COUNT; i++) {
                rc = set_base(&api->base[i], urls[i]);
                if (rc) {
                        cc_diag_set(d, rc, 0,
                                    rc == CC_INVAL ? "invalid %s endpoint '%s': not an http(s) URL"
                                                   : "cannot set the %s endpoint '%s'",
                                    api_names[i], urls[i]);
                        cc_gke_api_release(api);
                        return rc;
                }
        }
        if (retry)
                api->retry = *retry;
        if (!api->retry.max_attempts)
                api->retry.max_attempts = 6;
        if (!api->retry.base_ms)
                api->retry.base_ms = 250;
        if (!api->retry.cap_ms)
                api->retry.cap_ms = 8000;
        api->rng = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)api;
        return rc;
}

void
cc_gke_api_release(struct cc_gke_api *api)
{
        size_t i;

        for (i = 0; i < CC_GKE_API__COUNT; i++) {
                cc_free(api->base[i]);
                api->base[i] = NULL;
        }
}

cc_err
cc_gke_api_set_rate(struct cc_gke_api *api, const char *group, double rate, double burst)
{
        return cc_http_set_rate(api->http, group, rate, burst);
}

void
cc_gke_api_url(const struct cc_gke_api *api, enum cc_gke_api_id id, const char *path, char *out,
               size_t outsz)
{
        snprintf(out, outsz, "%s%s", api->base[id], path);
}

/* --- a call -------------------------------------------------------------- */

static cc_err send_now(struct call *c, const struct cc_secret *tok, struct cc_diag *d);
static cc_err attempt(struct call *c, struct cc_diag *d);

static void
retry_timer(struct cc_timer *t, void *ud)
{
        struct call *c = ud;
        struct cc_diag d;
        cc_err rc;

        (void)t;
        cc_diag_clear(&d);
        rc = attempt(c, &d);
        if (rc != CC_AGAIN)
                finish_err(c, &d);
}

static void
http_done(struct cc_http_req *req, cc_err rc, struct cc_http_response *resp, void *ud)
{
        struct call *c = ud;
        struct cc_gke_result res;
        char msg[CC_DIAG_MSG_MAX];

        (void)req;
        memset(&res, 0, sizeof(res));
        res.status = resp->status;
        if (resp->body.len) {
                cc_err prc =
                    cc_json_parse(resp->body.data, resp->body.len, API_RESP_MAX, &res.body, NULL);

                if (prc && rc == CC_OK) {
                        rc = cc_diag_set(&res.d, CC_INVAL, resp->status,
                                         "%s: the %s API sent a response that is not JSON", c->what,
                                         api_names[c->id]);
                        res.rc = rc;
                        cc_diag_set_request_id(&res.d, cc_http_response_request_id(resp));
                        finish(c, &res);
                        return;
                }
        }
        if (rc == CC_OK) {
                res.rc = CC_OK;
                finish(c, &res);
                return;
        }
        cc_gke_error_parse(res.body, res.reason, sizeof(res.reason), msg, sizeof(msg));
        if (resp->status == 401 && !c->reauthed && c->api->auth &&
            c->api->auth->type != CC_GKE_AUTH_NONE) {
                struct cc_diag d;

                /* the token was refused: one more try with a fresh one */
                c->reauthed = true;
                cc_gke_auth_invalidate(c->api->auth, c->sent_token);
                cJSON_Delete(res.body);
                cc_diag_clear(&d);
                if (attempt(c, &d) != CC_AGAIN)
                        finish_err(c, &d);
                return;
        }
        if (cc_gke_error_retryable(resp->status, res.reason) &&
            c->attempts < c->api->retry.max_attempts) {
                uint64_t ms =
                    cc_backoff_ms(&c->api->retry, c->attempts, cc_rand_next(&c->api->rng));

                CC_WARN("gke.api", "retrying", CC_S("api", api_names[c->id]),
                        CC_S("reason", res.reason), CC_I("attempt", c->attempts),
                        CC_I("wait_ms", ms));
                cJSON_Delete(res.body);
                if (cc_timer_start(c->api->loop, ms, 0, retry_timer, c, NULL) == CC_OK)
                        return;
                memset(&res, 0, sizeof(res));
                cc_diag_set(&res.d, CC_NOMEM, 0, "%s: out of memory", c->what);
                finish_err(c, &res.d);
                return;
        }
        if (rc == CC_CANCELED || rc == CC_NOMEM || resp->status == 0) {
                res.rc = rc;
                cc_diag_set(&res.d, rc, 0, "%s: %s", c->what,
                            resp->diag.message[0] ? resp->diag.message : cc_err_name(rc));
        } else {
                res.rc = cc_gke_error_code(resp->status, res.reason);
                if (res.rc == CC_OK)
                        res.rc = rc;
                cc_diag_set(
                    &res.d, res.rc, resp->status, "%s: %s", c->what,
                    msg[0] ? msg
                           : (resp->diag.message[0] ? resp->diag.message : cc_err_name(res.rc)));
        }
        cc_diag_set_request_id(&res.d, cc_http_response_request_id(resp));
        finish(c, &res);
}

static cc_err
send_now(struct call *c, const struct cc_secret *tok, struct cc_diag *d)
{
        struct cc_http_request r = { 0 };
        cc_err rc;

        if (c->sent_token) {
                cc_wipe(c->sent_token, strlen(c->sent_token));
                cc_free(c->sent_token);
                c->sent_token = NULL;
        }
        if (tok && !cc_secret_empty(tok) && !(c->sent_token = cc_strdup(cc_secret_str(tok))))
                return cc_diag_set(d, CC_NOMEM, 0, "%s: out of memory", c->what);
        r.method = c->method;
        r.url = c->url;
        r.json = c->body;
        r.bearer = tok && !cc_secret_empty(tok) ? tok : NULL;
        r.group = c->group;
        r.retry_unsafe = c->retry_unsafe;
        r.done = http_done;
        r.ud = c;
        c->attempts++;
        rc = cc_http_send(c->api->http, &r, NULL, d);
        if (rc != CC_AGAIN) {
                cc_diag_prefix(d, "%s", c->what);
                return rc;
        }
        if (c->read)
                c->api->counts.read[c->id]++;
        else
                c->api->counts.mutating[c->id]++;
        return CC_AGAIN;
}

static void
token_ready(struct cc_gke_auth_waiter *w, cc_err rc, const struct cc_secret *tok,
            const struct cc_diag *d, void *ud)
{
        struct call *c = ud;
        struct cc_diag sd;

        (void)w;
        cc_diag_clear(&sd);
        if (rc) {
                sd = *d;
                cc_diag_prefix(&sd, "%s", c->what);
                finish_err(c, &sd);
                return;
        }
        if (send_now(c, tok, &sd) != CC_AGAIN)
                finish_err(c, &sd);
}

static cc_err
attempt(struct call *c, struct cc_diag *d)
{
        const struct cc_secret *tok = NULL;
        cc_err rc = CC_OK;

        if (c->api->auth) {
                c->waiter.fn = token_ready;
                c->waiter.ud = c;
                rc = cc_gke_auth_token(c->api->auth, &c->waiter, &tok, d);
                if (rc == CC_AGAIN)
                        return CC_AGAIN;
                if (rc) {
                        cc_diag_prefix(d, "%s", c->what);
                        return rc;
                }
        }
        return send_now(c, tok, d);
}

cc_err
cc_gke_api_call(struct cc_gke_api *api, const struct cc_gke_call_req *r, cc_gke_call_fn fn,
                void *ud, struct cc_diag *d)
{
        struct call *c = NULL;
        struct cc_buf u = CC_BUF_INIT(API_URL_MAX);
        const char *method = r->method ? r->method : r->body ? "POST" : "GET";
        const char *group = r->group;
        cc_err rc;

        if (!group) {
                if (r->api == CC_GKE_API_COMPUTE)
                        group = r->read || !strcmp(method, "GET") ? CC_GKE_RL_COMPUTE_READ
                                                                  : CC_GKE_RL_COMPUTE_MUTATE;
                else
                        group = r->api == CC_GKE_API_CERTMGR ? CC_GKE_RL_CERTMGR : CC_GKE_RL_DNS;
        }
        c = cc_calloc(1, sizeof(*c));
        if (!c || cc_buf_printf(&u, "%s%s", api->base[r->api], r->path)) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "%s: out of memory", r->what ? r->what : "call");
                goto fail;
        }
        c->api = api;
        c->id = r->api;
        c->fn = fn;
        c->ud = ud;
        c->read = r->read || !strcmp(method, "GET");
        c->retry_unsafe = r->retry_unsafe;
        c->method = cc_strdup(method);
        c->url = cc_buf_detach(&u, NULL);
        c->what = cc_strdup(r->what ? r->what : "call");
        c->group = cc_strdup(group);
        if (r->body)
                c->body = cJSON_Duplicate(r->body, 1);
        if (!c->method || !c->url || !c->what || !c->group || (r->body && !c->body)) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "%s: out of memory", r->what ? r->what : "call");
                goto fail;
        }
        rc = attempt(c, d);
        if (rc == CC_AGAIN)
                return rc;
fail:
        cc_buf_release(&u);
        call_free(c);
        return rc;
}
