/* client.c -- Kubernetes REST operations over core/http, with auth.
 *
 * DESIGN: every operation is a struct cc_kube_op holding what it needs to
 * (re)send its request: method, URL, body.  Before sending, the client
 * makes sure its credential is usable; if not (exec credential missing or
 * expired, token file due for a re-read), the op waits while one refresh
 * runs (a child process or a file read on libuv's thread pool) and all
 * waiting ops go out when it completes.  A 401 invalidates the credential
 * the op was sent with and resubmits the op once.  Lists follow continue
 * tokens inside the same op.  Ops sit on the client's list so that
 * freeing the client can complete them.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "kube/client.h"

#include "core/alloc.h"
#include "core/json.h"
#include "core/log.h"
#include "kube/exec.h"

#include "core/banned.h"

#define TOKEN_REFRESH_MS_DEFAULT 60000
#define LIST_PAGE_DEFAULT        500
#define WATCH_TIMEOUT_DEFAULT_S  300
#define WATCH_SLACK_MS           30000
#define TOKEN_FILE_MAX           ((size_t)1 << 20)

/* --- resources ----------------------------------------------------------- */

static const struct cc_kube_resource resources[] = {
        { "", "v1", "namespaces", "Namespace", false, true },
        { "", "v1", "services", "Service", true, true },
        { "", "v1", "secrets", "Secret", true, false },
        { "", "v1", "configmaps", "ConfigMap", true, false },
        { "", "v1", "serviceaccounts", "ServiceAccount", true, false },
        { "", "v1", "events", "Event", true, false },
        { "", "v1", "pods", "Pod", true, true },
        { "apps", "v1", "deployments", "Deployment", true, true },
        { "discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true, false },
        { "coordination.k8s.io", "v1", "leases", "Lease", true, false },
        { "gateway.networking.k8s.io", "v1", "gatewayclasses", "GatewayClass", false, true },
        { "gateway.networking.k8s.io", "v1", "gateways", "Gateway", true, true },
        { "gateway.networking.k8s.io", "v1", "httproutes", "HTTPRoute", true, true },
        { "gateway.networking.k8s.io", "v1", "grpcroutes", "GRPCRoute", true, true },
        { "gateway.networking.k8s.io", "v1beta1", "referencegrants", "ReferenceGrant", true,
          false },
        { "apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition",
          false, false },
};

const struct cc_kube_resource *
cc_kube_resource_by_kind(const char *kind)
{
        size_t i;

        for (i = 0; kind && i < sizeof(resources) / sizeof(resources[0]); i++)
                if (strcmp(resources[i].kind, kind) == 0)
                        return &resources[i];
        return NULL;
}

const char *
cc_kube_api_version(const struct cc_kube_resource *r, char *buf, size_t size)
{
        if (r->group[0])
                snprintf(buf, size, "%s/%s", r->group, r->version);
        else
                snprintf(buf, size, "%s", r->version);
        return buf;
}

const struct cc_kube_resource *
cc_kube_resource_of(const cJSON *obj)
{
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(obj, "kind");
        const cJSON *av = cJSON_GetObjectItemCaseSensitive(obj, "apiVersion");
        const struct cc_kube_resource *r;
        char buf[128];

        if (!cJSON_IsString(kind) || !cJSON_IsString(av))
                return NULL;
        r = cc_kube_resource_by_kind(kind->valuestring);
        if (r && strcmp(cc_kube_api_version(r, buf, sizeof(buf)), av->valuestring) != 0)
                r = NULL;
        return r;
}

/* --- URLs ---------------------------------------------------------------- */

static cc_err
put_escaped(struct cc_buf *b, const char *s)
{
        char *e = curl_easy_escape(NULL, s, 0);
        cc_err rc;

        if (!e)
                return CC_NOMEM;
        rc = cc_buf_puts(b, e);
        curl_free(e);
        return rc;
}

static cc_err
put_param(struct cc_buf *b, char *sep, const char *name, const char *value)
{
        cc_err rc;

        if (!value)
                return CC_OK;
        rc = cc_buf_putc(b, *sep);
        *sep = '&';
        if (rc == CC_OK)
                rc = cc_buf_puts(b, name);
        if (rc == CC_OK)
                rc = cc_buf_putc(b, '=');
        if (rc == CC_OK)
                rc = put_escaped(b, value);
        return rc;
}

cc_err
cc_kube_url(struct cc_buf *out, const char *server, const struct cc_kube_resource *r,
            const char *ns, const char *name, const char *sub, const struct cc_kube_query *q)
{
        char sep = '?', num[32];
        cc_err rc;

        if ((name && !name[0]) || (sub && (!sub[0] || !name)) || (ns && !ns[0]) ||
            (r->namespaced && name && !ns))
                return CC_INVAL;
        rc = cc_buf_puts(out, server);
        if (rc == CC_OK && r->group[0])
                rc = cc_buf_printf(out, "/apis/%s/%s", r->group, r->version);
        else if (rc == CC_OK)
                rc = cc_buf_printf(out, "/api/%s", r->version);
        if (rc == CC_OK && r->namespaced && ns) {
                rc = cc_buf_puts(out, "/namespaces/");
                if (rc == CC_OK)
                        rc = put_escaped(out, ns);
        }
        if (rc == CC_OK)
                rc = cc_buf_printf(out, "/%s", r->resource);
        if (rc == CC_OK && name) {
                rc = cc_buf_putc(out, '/');
                if (rc == CC_OK)
                        rc = put_escaped(out, name);
        }
        if (rc == CC_OK && sub) {
                rc = cc_buf_putc(out, '/');
                if (rc == CC_OK)
                        rc = put_escaped(out, sub);
        }
        if (!q || rc != CC_OK)
                return rc;
        rc = put_param(out, &sep, "labelSelector", q->label_selector);
        if (rc == CC_OK)
                rc = put_param(out, &sep, "fieldSelector", q->field_selector);
        if (rc == CC_OK && q->limit > 0) {
                snprintf(num, sizeof(num), "%ld", q->limit);
                rc = put_param(out, &sep, "limit", num);
        }
        if (rc == CC_OK)
                rc = put_param(out, &sep, "continue", q->continue_token);
        if (rc == CC_OK)
                rc = put_param(out, &sep, "resourceVersion", q->resource_version);
        if (rc == CC_OK && q->allow_bookmarks)
                rc = put_param(out, &sep, "allowWatchBookmarks", "true");
        if (rc == CC_OK && q->timeout_seconds > 0) {
                snprintf(num, sizeof(num), "%ld", q->timeout_seconds);
                rc = put_param(out, &sep, "timeoutSeconds", num);
        }
        if (rc == CC_OK && q->watch)
                rc = put_param(out, &sep, "watch", "true");
        if (rc == CC_OK)
                rc = put_param(out, &sep, "fieldManager", q->field_manager);
        if (rc == CC_OK && q->force)
                rc = put_param(out, &sep, "force", "true");
        return rc;
}

/* --- Status -------------------------------------------------------------- */

cc_err
cc_kube_status_decode(int http_status, const char *body, size_t len, const char *what,
                      struct cc_diag *d, char *reason, size_t reason_size)
{
        cJSON *root = NULL;
        const cJSON *kind, *msg, *rsn, *code;
        int status = http_status;
        cc_err rc;

        if (reason && reason_size)
                reason[0] = '\0';
        if (body && len && cc_json_parse(body, len, 0, &root, NULL) == CC_OK) {
                kind = cJSON_GetObjectItemCaseSensitive(root, "kind");
                if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "Status") != 0) {
                        cJSON_Delete(root);
                        root = NULL;
                }
        }
        msg = cJSON_GetObjectItemCaseSensitive(root, "message");
        rsn = cJSON_GetObjectItemCaseSensitive(root, "reason");
        code = cJSON_GetObjectItemCaseSensitive(root, "code");
        if (status == 0 && cJSON_IsNumber(code))
                status = (int)code->valuedouble;
        rc = cc_http_status_err(status);
        if (rc == CC_OK) /* no status, or a success code: not an error answer we know */
                rc = CC_INVAL;
        if (reason && reason_size && cJSON_IsString(rsn))
                snprintf(reason, reason_size, "%s", rsn->valuestring);
        if (root && (cJSON_IsString(rsn) || cJSON_IsString(msg)))
                cc_diag_set(d, rc, status, "%s: %s: %s", what,
                            cJSON_IsString(rsn) ? rsn->valuestring : "Failure",
                            cJSON_IsString(msg) ? msg->valuestring : "");
        else
                cc_diag_set(d, rc, status, "%s: http status %d", what, status);
        cJSON_Delete(root);
        return rc;
}

/* --- the client ---------------------------------------------------------- */

enum auth_kind { AUTH_NONE, AUTH_STATIC, AUTH_TOKEN_FILE, AUTH_EXEC };

/* one credential refresh in flight; outlives the client if need be */
struct refresh {
        uv_work_t work;
        struct cc_kube_client *k; /* NULL once the client is gone */
        char *path;
        char *tok;
        size_t len;
        cc_err rc;
        struct cc_diag d;
};

struct cc_kube_client {
        struct cc_http *http;
        struct cc_loop *loop;
        const struct cc_kube_config *cfg;
        bool tls;
        enum auth_kind auth;
        struct cc_kube_cred cred; /* token file or exec credential */
        bool have_cred;
        unsigned cred_gen;
        uint64_t cred_read_ms;
        struct refresh *refresh; /* in flight */
        struct cc_kube_op *ops;  /* every live operation */
        char *user_agent, *rate_group;
        uint64_t token_refresh_ms;
        time_t (*wall_now)(void *);
        void *clock_ud;
};

struct cc_kube_op {
        struct cc_kube_client *k; /* NULL once detached by cc_kube_client_free */
        struct cc_kube_op *prev, *next;
        struct cc_kube_op *wnext; /* while collecting waiting ops */
        const struct cc_kube_resource *r;
        const char *method;
        char *url;
        char *body;
        size_t body_len;
        const char *content_type;
        char what[192];
        cc_kube_done_fn fn;
        cc_kube_event_fn ev;
        void *ud;
        struct cc_http_req *req;
        struct cc_timer *defer;
        long timeout_ms;
        unsigned cred_gen;
        bool waiting, auth_retried, canceled, streaming;
        /* lists */
        bool is_list;
        cJSON *acc;
        size_t base_len; /* URL length without the continue parameter */
};

static time_t
default_now(void *ud)
{
        return time(NULL);
}

cc_err
cc_kube_client_new(struct cc_http *http, const struct cc_kube_config *cfg,
                   const struct cc_kube_client_opts *o, struct cc_kube_client **out,
                   struct cc_diag *d)
{
        struct cc_kube_client *k = NULL;
        cc_err rc = CC_OK;

        if (!cfg->server || !cfg->server[0])
                return cc_diag_set(d, CC_INVAL, 0, "cannot create kube client: no server");
        k = cc_calloc(1, sizeof(*k));
        if (!k) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "cannot create kube client: out of memory");
                goto out;
        }
        k->http = http;
        k->loop = http->loop;
        k->cfg = cfg;
        k->tls = strncmp(cfg->server, "https://", 8) == 0;
        k->token_refresh_ms =
            o && o->token_refresh_ms ? o->token_refresh_ms : TOKEN_REFRESH_MS_DEFAULT;
        k->wall_now = o && o->wall_now ? o->wall_now : default_now;
        k->clock_ud = o ? o->clock_ud : NULL;
        if (k->tls && cfg->insecure)
                CC_WARN("kube", "server certificate not verified (insecure-skip-tls-verify)",
                        CC_S("server", cfg->server));
        if (k->tls && cfg->tls_server_name) {
                rc = cc_diag_set(d, CC_NOTSUP, 0,
                                 "cannot use cluster '%s': tls-server-name is not supported",
                                 cfg->server);
                goto out;
        }
        if (o && o->user_agent && !(k->user_agent = cc_strdup(o->user_agent)))
                rc = CC_NOMEM;
        if (o && o->rate_group && !(k->rate_group = cc_strdup(o->rate_group)))
                rc = CC_NOMEM;
        if (!k->tls) {
                k->auth = AUTH_NONE;
        } else if (cfg->token_file) {
                k->auth = AUTH_TOKEN_FILE;
                if (!cc_secret_empty(&cfg->token) && rc == CC_OK) {
                        rc = cc_secret_set(&k->cred.token, cfg->token.data, cfg->token.len);
                        k->have_cred = true;
                        k->cred_read_ms = cc_loop_now_ms(k->loop);
                }
        } else if (cc_secret_empty(&cfg->token) && cfg->has_exec) {
                k->auth = AUTH_EXEC;
        } else {
                k->auth = AUTH_STATIC;
        }
        if (rc != CC_OK) {
                rc = cc_diag_set(d, rc, 0, "cannot create kube client: out of memory");
                goto out;
        }
        *out = k;
        k = NULL;
out:
        if (k) {
                cc_kube_cred_release(&k->cred);
                cc_free(k->user_agent);
                cc_free(k->rate_group);
                cc_free(k);
        }
        return rc;
}

const char *
cc_kube_client_namespace(const struct cc_kube_client *k)
{
        return k->cfg->namespace ? k->cfg->namespace : "default";
}

struct cc_loop *
cc_kube_client_loop(const struct cc_kube_client *k)
{
        return k->loop;
}

/* --- op lifecycle ---------------------------------------------------------- */

static void
op_free(struct cc_kube_op *op)
{
        cc_free(op->url);
        if (op->body)
                cc_wipe(op->body, op->body_len); /* a Secret's data may be in it */
        cc_free(op->body);
        cJSON_Delete(op->acc);
        cc_free(op);
}

static void
op_unlink(struct cc_kube_op *op)
{
        struct cc_kube_client *k = op->k;

        if (!k)
                return;
        if (op->prev)
                op->prev->next = op->next;
        else
                k->ops = op->next;
        if (op->next)
                op->next->prev = op->prev;
        op->prev = op->next = NULL;
}

/* complete op: the user's callback, then free */
static void
op_finish(struct cc_kube_op *op, cc_err rc, struct cc_kube_result *res)
{
        struct cc_kube_result local = { 0 };

        if (!res) {
                res = &local;
                cc_diag_clear(&res->diag);
        }
        if (rc != CC_OK && res->diag.code == CC_OK)
                cc_diag_set(&res->diag, rc, res->status, "cannot %s: %s", op->what,
                            cc_err_name(rc));
        if (op->defer) {
                cc_timer_cancel(op->defer);
                op->defer = NULL;
        }
        op_unlink(op);
        op->k = NULL;
        if (op->fn)
                op->fn(op, rc, res, op->ud);
        cJSON_Delete(res->obj);
        op_free(op);
}

static void
on_defer(struct cc_timer *t, void *ud)
{
        struct cc_kube_op *op = ud;
        struct cc_kube_result res = { 0 };

        op->defer = NULL;
        cc_diag_set(&res.diag, CC_CANCELED, 0, "cannot %s: canceled", op->what);
        op_finish(op, CC_CANCELED, &res);
}

void
cc_kube_cancel(struct cc_kube_op *op)
{
        if (!op || op->canceled || !op->k)
                return;
        op->canceled = true;
        if (op->req) {
                cc_http_cancel(op->req);
                return;
        }
        /* waiting for a credential: complete on a zero timer */
        if (!op->defer && cc_timer_start(op->k->loop, 0, 0, on_defer, op, &op->defer) != CC_OK)
                op->defer = NULL; /* out of memory: the refresh completion finishes it */
}

/* --- sending --------------------------------------------------------------- */

static void on_http_done(struct cc_http_req *req, cc_err rc, struct cc_http_response *resp,
                         void *ud);

static cc_err
on_record(struct cc_http_req *req, const char *rec, size_t len, void *ud)
{
        struct cc_kube_op *op = ud;
        cJSON *root = NULL, *obj = NULL;
        const cJSON *type;
        cc_err rc;

        if (!op->k || op->canceled)
                return CC_CANCELED;
        rc = cc_json_parse(rec, len, 0, &root, NULL);
        if (rc != CC_OK)
                return rc;
        type = cJSON_GetObjectItemCaseSensitive(root, "type");
        obj = cJSON_DetachItemFromObjectCaseSensitive(root, "object");
        if (!cJSON_IsString(type) || !cJSON_IsObject(obj))
                rc = CC_INVAL;
        else
                rc = op->ev(op, type->valuestring, &obj, op->ud);
        cJSON_Delete(obj);
        cJSON_Delete(root);
        return rc;
}

static cc_err
op_send(struct cc_kube_op *op, struct cc_diag *d)
{
        struct cc_kube_client *k = op->k;
        const struct cc_kube_config *cfg = k->cfg;
        struct cc_http_request hr = { 0 };
        const char *headers[] = { "Accept: application/json", NULL };

        hr.method = op->method;
        hr.url = op->url;
        hr.headers = headers;
        hr.body = op->body;
        hr.body_len = op->body_len;
        hr.content_type = op->content_type;
        hr.ca_file = cfg->ca_file;
        hr.ca_pem = cfg->ca_pem;
        hr.insecure_skip_verify = cfg->insecure;
        if (k->tls) {
                if (k->auth == AUTH_STATIC && !cc_secret_empty(&cfg->token))
                        hr.bearer = &cfg->token;
                else if ((k->auth == AUTH_TOKEN_FILE || k->auth == AUTH_EXEC) &&
                         !cc_secret_empty(&k->cred.token))
                        hr.bearer = &k->cred.token;
                if (k->auth == AUTH_EXEC && k->cred.cert_pem) {
                        hr.cert_pem = k->cred.cert_pem;
                        hr.key_pem = &k->cred.key_pem;
                } else {
                        hr.cert_file = cfg->cert_file;
                        hr.key_file = cfg->key_file;
                        hr.cert_pem = cfg->cert_pem;
                        hr.key_pem = cc_secret_empty(&cfg->key_pem) ? NULL : &cfg->key_pem;
                }
        }
        hr.timeout_ms = op->timeout_ms;
        hr.group = k->rate_group;
        hr.user_agent = k->user_agent;
        hr.on_record = op->streaming ? on_record : NULL;
        hr.done = on_http_done;
        hr.ud = op;
        op->cred_gen = k->cred_gen;
        return cc_http_send(k->http, &hr, &op->req, d);
}

static bool
cred_due(struct cc_kube_client *k)
{
        if (k->auth == AUTH_TOKEN_FILE)
                return !k->have_cred ||
                       cc_loop_now_ms(k->loop) - k->cred_read_ms >= k->token_refresh_ms;
        if (k->auth == AUTH_EXEC)
                return !k->have_cred || !cc_kube_cred_fresh(&k->cred, k->wall_now(k->clock_ud));
        return false;
}

static cc_err start_refresh(struct cc_kube_client *k, struct cc_diag *d);

/* send now, or wait for a fresh credential.  CC_AGAIN when accepted. */
static cc_err
op_submit(struct cc_kube_op *op, struct cc_diag *d)
{
        struct cc_kube_client *k = op->k;
        cc_err rc;

        if (!cred_due(k))
                return op_send(op, d);
        if (!k->refresh) {
                rc = start_refresh(k, d);
                if (rc != CC_AGAIN) {
                        if (k->auth == AUTH_TOKEN_FILE && k->have_cred) {
                                /* keep using the token we have */
                                CC_WARN("kube", "cannot re-read the token file",
                                        CC_S("error", d ? d->message : cc_err_name(rc)));
                                k->cred_read_ms = cc_loop_now_ms(k->loop);
                                return op_send(op, d);
                        }
                        return rc;
                }
        }
        op->waiting = true;
        return CC_AGAIN;
}

static void
refresh_done(struct cc_kube_client *k, cc_err rc, struct cc_kube_cred *cred,
             const struct cc_diag *d)
{
        struct cc_kube_op *op, *list = NULL, **tail = &list;
        struct cc_diag sd;

        k->refresh = NULL;
        if (rc == CC_OK) {
                cc_kube_cred_release(&k->cred);
                k->cred = *cred;
                memset(cred, 0, sizeof(*cred));
                k->have_cred = true;
                k->cred_gen++;
                k->cred_read_ms = cc_loop_now_ms(k->loop);
        } else if (k->auth == AUTH_TOKEN_FILE && k->have_cred && rc != CC_CANCELED) {
                CC_WARN("kube", "cannot re-read the token file, keeping the current token",
                        CC_S("error", d->message));
                k->cred_read_ms = cc_loop_now_ms(k->loop);
                rc = CC_OK;
        } else {
                CC_WARN("kube", "cannot get a credential", CC_S("error", d->message));
        }
        /* collect first: callbacks may submit new ops (which may wait again) */
        for (op = k->ops; op; op = op->next) {
                if (op->waiting) {
                        op->waiting = false;
                        *tail = op;
                        tail = &op->wnext;
                }
        }
        *tail = NULL;
        while (list) {
                struct cc_kube_result res = { 0 };
                cc_err src = rc;

                op = list;
                list = op->wnext;
                op->wnext = NULL;
                if (op->canceled && op->defer)
                        continue; /* its timer completes it */
                if (op->canceled) {
                        op_finish(op, CC_CANCELED, NULL);
                        continue;
                }
                if (src == CC_OK) {
                        cc_diag_clear(&sd);
                        src = op_send(op, &sd);
                        if (src == CC_AGAIN)
                                continue;
                        res.diag = sd;
                } else {
                        res.diag = *d;
                }
                cc_diag_prefix(&res.diag, "cannot %s", op->what);
                op_finish(op, src, &res);
        }
}

static void
on_exec_done(cc_err rc, struct cc_kube_cred *cred, const struct cc_diag *d, void *ud)
{
        struct refresh *r = ud;

        if (r->k)
                refresh_done(r->k, rc, cred, d);
        cc_free(r);
}

static void
token_work(uv_work_t *w)
{
        struct refresh *r = w->data;

        cc_diag_clear(&r->d);
        r->rc = cc_kube_read_file(r->path, TOKEN_FILE_MAX, &r->tok, &r->len, &r->d);
        if (r->rc == CC_OK) {
                while (r->len > 0 && (r->tok[r->len - 1] == '\n' || r->tok[r->len - 1] == '\r' ||
                                      r->tok[r->len - 1] == ' '))
                        r->tok[--r->len] = '\0';
                if (r->len == 0)
                        r->rc = cc_diag_set(&r->d, CC_AUTH, 0, "token file '%s' is empty", r->path);
        }
}

static void
token_work_done(uv_work_t *w, int status)
{
        struct refresh *r = w->data;
        struct cc_kube_cred cred = { 0 };

        if (status == UV_ECANCELED && r->rc == CC_OK && !r->tok)
                r->rc = cc_diag_set(&r->d, CC_CANCELED, 0, "token file read canceled");
        if (r->rc == CC_OK) {
                cc_secret_take(&cred.token, r->tok, r->len);
                r->tok = NULL;
        }
        if (r->k)
                refresh_done(r->k, r->rc, &cred, &r->d);
        cc_kube_cred_release(&cred);
        if (r->tok) {
                cc_wipe(r->tok, r->len);
                cc_free(r->tok);
        }
        cc_free(r->path);
        cc_free(r);
}

static cc_err
start_refresh(struct cc_kube_client *k, struct cc_diag *d)
{
        struct refresh *r;
        cc_err rc;
        int e;

        r = cc_calloc(1, sizeof(*r));
        if (!r)
                return cc_diag_set(d, CC_NOMEM, 0, "cannot refresh the credential: out of memory");
        r->k = k;
        if (k->auth == AUTH_EXEC) {
                rc = cc_kube_exec_run(k->loop, k->cfg, on_exec_done, r, d);
                if (rc != CC_AGAIN) {
                        cc_free(r);
                        if (rc == CC_NOTFOUND) { /* no such plugin: an auth failure */
                                rc = CC_AUTH;
                                if (d)
                                        d->code = rc;
                        }
                        return rc;
                }
                k->refresh = r;
                return CC_AGAIN;
        }
        r->path = cc_strdup(k->cfg->token_file);
        r->work.data = r;
        if (!r->path) {
                cc_free(r);
                return cc_diag_set(d, CC_NOMEM, 0, "cannot refresh the credential: out of memory");
        }
        e = uv_queue_work(&k->loop->uv, &r->work, token_work, token_work_done);
        if (e != 0) {
                cc_free(r->path);
                cc_free(r);
                return cc_diag_set(d, CC_INTERNAL, 0, "cannot read the token file: %s",
                                   uv_strerror(e));
        }
        k->refresh = r;
        return CC_AGAIN;
}

/* append the items of page to op->acc (the first page becomes acc) */
static cc_err
list_merge(struct cc_kube_op *op, cJSON *page)
{
        cJSON *items, *dst, *it;

        if (!op->acc) {
                op->acc = page;
                if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(page, "items"))) {
                        cJSON_DeleteItemFromObjectCaseSensitive(page, "items");
                        if (!cJSON_AddArrayToObject(page, "items"))
                                return CC_NOMEM;
                }
                return CC_OK;
        }
        dst = cJSON_GetObjectItemCaseSensitive(op->acc, "items");
        items = cJSON_GetObjectItemCaseSensitive(page, "items");
        while (cJSON_IsArray(items) && (it = cJSON_DetachItemFromArray(items, 0)) != NULL)
                cJSON_AddItemToArray(dst, it);
        cJSON_Delete(page);
        return CC_OK;
}

static void
on_http_done(struct cc_http_req *req, cc_err rc, struct cc_http_response *resp, void *ud)
{
        struct cc_kube_op *op = ud;
        struct cc_kube_client *k = op->k;
        struct cc_kube_result res = { 0 };
        const char *cont;
        cJSON *page = NULL;
        cc_err src;

        op->req = NULL;
        if (!k) { /* the client went away; the user heard CC_CANCELED */
                op_free(op);
                return;
        }
        res.status = resp->status;
        cc_diag_clear(&res.diag);
        if (rc == CC_AUTH && resp->status == 401 && !op->auth_retried && !op->canceled &&
            (k->auth == AUTH_EXEC || k->auth == AUTH_TOKEN_FILE)) {
                op->auth_retried = true;
                if (op->cred_gen == k->cred_gen)
                        k->have_cred = false; /* this credential was refused */
                CC_DEBUG("kube", "401, refreshing the credential", CC_S("op", op->what));
                src = op_submit(op, &res.diag);
                if (src != CC_AGAIN) {
                        cc_diag_prefix(&res.diag, "cannot %s", op->what);
                        op_finish(op, src, &res);
                }
                return;
        }
        if (rc != CC_OK) {
                if (resp->status >= 400)
                        rc = cc_kube_status_decode(resp->status, resp->body.data, resp->body.len,
                                                   op->what, &res.diag, res.reason,
                                                   sizeof(res.reason));
                if (res.diag.code == CC_OK) {
                        res.diag = resp->diag;
                        res.diag.code = rc;
                        cc_diag_prefix(&res.diag, "cannot %s", op->what);
                }
                op_finish(op, rc, &res);
                return;
        }
        if (op->streaming || resp->body.len == 0) {
                op_finish(op, CC_OK, &res);
                return;
        }
        src = cc_json_parse(resp->body.data, resp->body.len, 0, &page, &res.diag);
        if (src != CC_OK) {
                cc_diag_prefix(&res.diag, "cannot %s: invalid answer", op->what);
                op_finish(op, src, &res);
                return;
        }
        if (!op->is_list) {
                res.obj = page;
                op_finish(op, CC_OK, &res);
                return;
        }
        cont = NULL;
        {
                const cJSON *c = cc_json_lookup(page, "metadata.continue");

                if (cJSON_IsString(c) && c->valuestring[0])
                        cont = c->valuestring;
        }
        if (cont) {
                struct cc_buf b = CC_BUF_INIT(0);

                src = cc_buf_append(&b, op->url, op->base_len);
                if (src == CC_OK)
                        src = cc_buf_puts(&b, "&continue=");
                if (src == CC_OK)
                        src = put_escaped(&b, cont);
                if (src == CC_OK) {
                        cc_free(op->url);
                        op->url = cc_buf_detach(&b, NULL);
                        src = op->url ? CC_OK : CC_NOMEM;
                }
                cc_buf_release(&b);
        } else {
                src = CC_OK;
        }
        if (src == CC_OK)
                src = list_merge(op, page);
        else
                cJSON_Delete(page);
        if (src == CC_OK && cont) {
                src = op_send(op, &res.diag);
                if (src == CC_AGAIN)
                        return;
        }
        if (src != CC_OK) {
                if (res.diag.code == CC_OK)
                        cc_diag_set(&res.diag, src, 0, "cannot %s: %s", op->what, cc_err_name(src));
                op_finish(op, src, &res);
                return;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(op->acc, "metadata"), "continue");
        cJSON_DeleteItemFromObjectCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(op->acc, "metadata"), "remainingItemCount");
        res.obj = op->acc;
        op->acc = NULL;
        op_finish(op, CC_OK, &res);
}

/* --- operations ------------------------------------------------------------ */

struct op_spec {
        const char *verb; /* for messages */
        const char *method;
        const struct cc_kube_resource *r;
        const char *ns, *name, *sub;
        const struct cc_kube_query *q;
        const cJSON *body;
        const char *content_type;
        bool is_list, streaming;
        long timeout_ms;
        cc_kube_event_fn ev;
};

static cc_err
op_start(struct cc_kube_client *k, const struct op_spec *s, cc_kube_done_fn fn, void *ud,
         struct cc_kube_op **out, struct cc_diag *d)
{
        struct cc_kube_op *op = NULL;
        struct cc_buf url = CC_BUF_INIT(0), body = CC_BUF_INIT(0);
        const char *ns = s->ns;
        cc_err rc;

        if (!fn || !s->r)
                return cc_diag_set(d, CC_INVAL, 0, "invalid kube operation");
        if (cc_loop_stopping(k->loop))
                return cc_diag_set(d, CC_CANCELED, 0, "cannot %s %s: shutting down", s->verb,
                                   s->r->resource);
        if (!s->r->namespaced)
                ns = NULL;
        else if (!ns && (s->name || !(s->is_list || s->streaming)))
                ns = cc_kube_client_namespace(k);
        op = cc_calloc(1, sizeof(*op));
        if (!op) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "cannot %s %s: out of memory", s->verb,
                                 s->r->resource);
                goto out;
        }
        if (s->name)
                snprintf(op->what, sizeof(op->what), "%s %s '%s%s%s'", s->verb, s->r->resource,
                         ns ? ns : "", ns ? "/" : "", s->name);
        else
                snprintf(op->what, sizeof(op->what), "%s %s in '%s'", s->verb, s->r->resource,
                         ns ? ns : "*");
        rc = cc_kube_url(&url, k->cfg->server, s->r, ns, s->name, s->sub, s->q);
        if (rc == CC_INVAL) {
                rc = cc_diag_set(d, rc, 0, "cannot %s: invalid name or namespace", op->what);
                goto out;
        }
        if (rc == CC_OK && s->body)
                rc = cc_json_print(s->body, false, &body);
        if (rc != CC_OK) {
                rc = cc_diag_set(d, rc, 0, "cannot %s: %s", op->what, cc_err_name(rc));
                goto out;
        }
        op->base_len = url.len;
        op->url = cc_buf_detach(&url, NULL);
        if (s->body)
                op->body = cc_buf_detach(&body, &op->body_len);
        if (!op->url || (s->body && !op->body)) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "cannot %s: out of memory", op->what);
                goto out;
        }
        op->k = k;
        op->r = s->r;
        op->method = s->method;
        op->content_type = s->content_type;
        op->fn = fn;
        op->ev = s->ev;
        op->ud = ud;
        op->is_list = s->is_list;
        op->streaming = s->streaming;
        op->timeout_ms = s->timeout_ms;
        rc = op_submit(op, d);
        if (rc != CC_AGAIN) {
                op->k = NULL;
                goto out;
        }
        op->next = k->ops;
        if (k->ops)
                k->ops->prev = op;
        k->ops = op;
        CC_DEBUG("kube", "request", CC_S("op", op->what));
        if (out)
                *out = op;
        op = NULL;
out:
        if (op)
                op_free(op);
        cc_buf_release(&url);
        if (body.data)
                cc_wipe(body.data, body.len);
        cc_buf_release(&body);
        return rc;
}

cc_err
cc_kube_get(struct cc_kube_client *k, const struct cc_kube_resource *r, const char *ns,
            const char *name, cc_kube_done_fn fn, void *ud, struct cc_kube_op **out,
            struct cc_diag *d)
{
        struct op_spec s = { .verb = "get", .method = "GET", .r = r, .ns = ns, .name = name };

        if (!name)
                return cc_diag_set(d, CC_INVAL, 0, "cannot get: no name");
        return op_start(k, &s, fn, ud, out, d);
}

cc_err
cc_kube_list(struct cc_kube_client *k, const struct cc_kube_resource *r, const char *ns,
             const struct cc_kube_list_opts *lo, cc_kube_done_fn fn, void *ud,
             struct cc_kube_op **out, struct cc_diag *d)
{
        struct cc_kube_query q = { 0 };
        struct op_spec s = { .verb = "list", .method = "GET", .r = r, .ns = ns, .q = &q };

        q.label_selector = lo ? lo->label_selector : NULL;
        q.field_selector = lo ? lo->field_selector : NULL;
        q.limit = lo && lo->page_size > 0 ? lo->page_size : LIST_PAGE_DEFAULT;
        s.is_list = true;
        return op_start(k, &s, fn, ud, out, d);
}

static const char *
meta_str(const cJSON *obj, const char *key)
{
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, key);

        return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

cc_err
cc_kube_create(struct cc_kube_client *k, const struct cc_kube_resource *r, const char *ns,
               const cJSON *obj, cc_kube_done_fn fn, void *ud, struct cc_kube_op **out,
               struct cc_diag *d)
{
        struct op_spec s = { .verb = "create", .method = "POST", .r = r, .body = obj };

        s.ns = ns ? ns : meta_str(obj, "namespace");
        s.content_type = "application/json";
        if (r && r->namespaced && !s.ns)
                s.ns = cc_kube_client_namespace(k);
        return op_start(k, &s, fn, ud, out, d);
}

static cc_err
update(struct cc_kube_client *k, const struct cc_kube_resource *r, const cJSON *obj,
       const char *sub, cc_kube_done_fn fn, void *ud, struct cc_kube_op **out, struct cc_diag *d)
{
        struct op_spec s = { .verb = sub ? "update status of" : "update",
                             .method = "PUT",
                             .r = r,
                             .sub = sub,
                             .body = obj };

        s.ns = meta_str(obj, "namespace");
        s.name = meta_str(obj, "name");
        s.content_type = "application/json";
        if (!s.name)
                return cc_diag_set(d, CC_INVAL, 0, "cannot update: object has no metadata.name");
        if (!meta_str(obj, "resourceVersion"))
                return cc_diag_set(d, CC_INVAL, 0,
                                   "cannot update '%s': metadata.resourceVersion is required",
                                   s.name);
        return op_start(k, &s, fn, ud, out, d);
}

cc_err
cc_kube_update(struct cc_kube_client *k, const struct cc_kube_resource *r, const cJSON *obj,
               cc_kube_done_fn fn, void *ud, struct cc_kube_op **out, struct cc_diag *d)
{
        return update(k, r, obj, NULL, fn, ud, out, d);
}

cc_err
cc_kube_update_status(struct cc_kube_client *k, const struct cc_kube_resource *r, const cJSON *obj,
                      cc_kube_done_fn fn, void *ud, struct cc_kube_op **out, struct cc_diag *d)
{
        return update(k, r, obj, "status", fn, ud, out, d);
}

cc_err
cc_kube_delete(struct cc_kube_client *k, const struct cc_kube_resource *r, const char *ns,
               const char *name, const struct cc_kube_delete_opts *o, cc_kube_done_fn fn, void *ud,
               struct cc_kube_op **out, struct cc_diag *d)
{
        struct op_spec s = { .verb = "delete", .method = "DELETE", .r = r, .ns = ns, .name = name };
        cJSON *body = NULL, *pre;
        cc_err rc = CC_OK;

        if (!name)
                return cc_diag_set(d, CC_INVAL, 0, "cannot delete: no name");
        if (o && (o->propagation || o->resource_version || o->uid)) {
                body = cJSON_CreateObject();
                if (!body || !cJSON_AddStringToObject(body, "kind", "DeleteOptions") ||
                    !cJSON_AddStringToObject(body, "apiVersion", "v1"))
                        rc = CC_NOMEM;
                if (rc == CC_OK && o->propagation &&
                    !cJSON_AddStringToObject(body, "propagationPolicy", o->propagation))
                        rc = CC_NOMEM;
                if (rc == CC_OK && (o->resource_version || o->uid)) {
                        pre = cJSON_AddObjectToObject(body, "preconditions");
                        if (!pre ||
                            (o->resource_version &&
                             !cJSON_AddStringToObject(pre, "resourceVersion",
                                                      o->resource_version)) ||
                            (o->uid && !cJSON_AddStringToObject(pre, "uid", o->uid)))
                                rc = CC_NOMEM;
                }
                if (rc != CC_OK) {
                        rc = cc_diag_set(d, rc, 0, "cannot delete '%s': out of memory", name);
                        goto out;
                }
                s.body = body;
                s.content_type = "application/json";
        }
        rc = op_start(k, &s, fn, ud, out, d);
out:
        cJSON_Delete(body);
        return rc;
}

cc_err
cc_kube_patch(struct cc_kube_client *k, const struct cc_kube_resource *r, const char *ns,
              const char *name, enum cc_kube_patch_type type, const cJSON *patch,
              const struct cc_kube_patch_opts *o, cc_kube_done_fn fn, void *ud,
              struct cc_kube_op **out, struct cc_diag *d)
{
        static const char *const types[] = {
                [CC_KUBE_PATCH_MERGE] = "application/merge-patch+json",
                [CC_KUBE_PATCH_JSON] = "application/json-patch+json",
                [CC_KUBE_PATCH_STRATEGIC] = "application/strategic-merge-patch+json",
                [CC_KUBE_PATCH_APPLY] = "application/apply-patch+yaml",
        };
        struct cc_kube_query q = { 0 };
        struct op_spec s = { .verb = "patch", .method = "PATCH", .r = r, .ns = ns, .name = name };

        if (!name || !patch || (unsigned)type > CC_KUBE_PATCH_APPLY)
                return cc_diag_set(d, CC_INVAL, 0, "cannot patch: no name, patch or type");
        if (type == CC_KUBE_PATCH_JSON ? !cJSON_IsArray(patch) : !cJSON_IsObject(patch))
                return cc_diag_set(d, CC_INVAL, 0, "cannot patch '%s': wrong patch shape", name);
        if (type == CC_KUBE_PATCH_APPLY && (!o || !o->field_manager || !o->field_manager[0]))
                return cc_diag_set(d, CC_INVAL, 0, "cannot apply '%s': a field manager is required",
                                   name);
        q.field_manager = o ? o->field_manager : NULL;
        q.force = type == CC_KUBE_PATCH_APPLY && o && o->force;
        s.sub = o ? o->subresource : NULL;
        s.q = &q;
        s.body = patch; /* apply-patch+yaml takes JSON, a subset of YAML */
        s.content_type = types[type];
        if (type == CC_KUBE_PATCH_APPLY)
                s.verb = "apply";
        return op_start(k, &s, fn, ud, out, d);
}

cc_err
cc_kube_watch(struct cc_kube_client *k, const struct cc_kube_resource *r, const char *ns,
              const struct cc_kube_watch_opts *o, cc_kube_event_fn ev, cc_kube_done_fn fn, void *ud,
              struct cc_kube_op **out, struct cc_diag *d)
{
        struct cc_kube_query q = { 0 };
        struct op_spec s = { .verb = "watch", .method = "GET", .r = r, .ns = ns, .q = &q };

        if (!ev)
                return cc_diag_set(d, CC_INVAL, 0, "cannot watch: no event callback");
        q.watch = true;
        q.label_selector = o ? o->label_selector : NULL;
        q.field_selector = o ? o->field_selector : NULL;
        q.resource_version = o && o->resource_version ? o->resource_version : NULL;
        q.allow_bookmarks = o && o->allow_bookmarks;
        q.timeout_seconds =
            o && o->timeout_seconds > 0 ? o->timeout_seconds : WATCH_TIMEOUT_DEFAULT_S;
        s.streaming = true;
        s.ev = ev;
        s.timeout_ms = q.timeout_seconds * 1000 + WATCH_SLACK_MS;
        return op_start(k, &s, fn, ud, out, d);
}

void
cc_kube_client_free(struct cc_kube_client *k)
{
        struct cc_kube_op *op;

        if (!k)
                return;
        while ((op = k->ops) != NULL) {
                struct cc_kube_result res = { 0 };
                cc_kube_done_fn fn = op->fn;

                op_unlink(op);
                op->k = NULL;
                op->canceled = true;
                if (op->defer) {
                        cc_timer_cancel(op->defer);
                        op->defer = NULL;
                }
                cc_diag_set(&res.diag, CC_CANCELED, 0, "cannot %s: canceled", op->what);
                op->fn = NULL;
                if (fn)
                        fn(op, CC_CANCELED, &res, op->ud);
                cJSON_Delete(res.obj);
                if (op->req)
                        cc_http_cancel(op->req); /* its done callback frees op */
                else
                        op_free(op);
        }
        if (k->refresh) {
                k->refresh->k = NULL;
                if (k->auth == AUTH_TOKEN_FILE)
                        uv_cancel((uv_req_t *)&k->refresh->work);
        }
        cc_kube_cred_release(&k->cred);
        cc_free(k->user_agent);
        cc_free(k->rate_group);
        cc_free(k);
}
