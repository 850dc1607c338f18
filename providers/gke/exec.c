/* exec.c -- execute one plan step: compute Operations, CertMgr LROs, DNS changes. */
#include "providers/gke/exec.h"

#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/log.h"
#include "providers/gke/gke.h"
#include "core/secret.h"
#include "core/banned.h"

#define PATHMAX  2048
#define MAX_412  2
#define MAX_SUBS 6

enum sub {
        SUB_PUT,
        SUB_PATCH,
        SUB_SET_URL_MAP,
        SUB_SET_CERT_MAP,
        SUB_SET_QUIC,
        SUB_SET_TARGET,
        SUB_SET_LABELS,
};

struct job {
        struct cc_gke_exec *x;
        struct cc_walk *w;
        size_t i;
        struct cc_node *n;
        const struct cc_gke_kind_ops *ops;
        enum cc_action act;
        bool deleting;  /* the delete half of a REPLACE, or a DELETE */
        bool in_exec;   /* still inside cc_gke_exec_step: report, don't call back */
        cc_err sync_rc; /* an error found while in_exec */
        struct cc_diag sync_d;
        int tries412;
        int salt;
        enum sub subs[MAX_SUBS];
        size_t nsubs, sub;
        char opref[PATHMAX + 64]; /* operation to wait for / poll */
        unsigned polls;
        uint64_t poll_ms;
        char what[512];
        const char *verb;
        char rid[37];        /* requestId of the last compute mutation */
        struct cc_node *txt; /* DNS: the ownership record written with this one */
        bool txt_alone;      /* DNS delete: the record was gone, its mark goes alone */
};

void
cc_gke_exec_new_run(struct cc_gke_exec *x)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(x->run_salt, sizeof(x->run_salt), "%llx-%lx-%ld", (unsigned long long)ts.tv_sec,
                 (unsigned long)ts.tv_nsec, (long)getpid());
}

void
cc_gke_exec_release(struct cc_gke_exec *x)
{
        cc_strv_release(&x->failed_ids);
}

/* a requestId for key/what/body that did not fail before in this process */
static void
fresh_id(struct job *j, const char *what, const cJSON *body)
{
        char salt[400];
        int k;

        for (k = 0; k < 100; k++) {
                snprintf(salt, sizeof(salt), "%s/%d/%s", what, k, j->x->run_salt);
                cc_gke_request_id(j->n->key, salt, body, j->rid);
                if (!cc_strv_contains(&j->x->failed_ids, j->rid))
                        return;
        }
}

/* --- small helpers ------------------------------------------------------- */

void
cc_gke_request_id(const char *key, const char *salt, const cJSON *body, char out[37])
{
        unsigned char md[SHA256_DIGEST_LENGTH];
        char *text = body ? cJSON_PrintUnformatted(body) : NULL;
        struct cc_buf in = CC_BUF_INIT(0);

        /* on allocation failure the id is still deterministic, just weaker */
        if (cc_buf_printf(&in, "%s\n%s\n%s", key, salt ? salt : "", text ? text : ""))
                cc_buf_printf(&in, "%s\n%s", key, salt ? salt : "");
        SHA256((const unsigned char *)cc_buf_str(&in), in.len, md);
        /* a certificate's body holds its private key: wipe the copies */
        if (in.data)
                cc_wipe(in.data, in.len);
        cc_buf_release(&in);
        if (text)
                cc_wipe(text, strlen(text));
        cJSON_free(text);
        md[6] = (unsigned char)((md[6] & 0x0f) | 0x40); /* looks like a v4 UUID */
        md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
        snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7], md[8], md[9], md[10],
                 md[11], md[12], md[13], md[14], md[15]);
}

static const char *
jstr(const cJSON *o, const char *k)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

        return cJSON_IsString(v) ? v->valuestring : NULL;
}

static enum cc_gke_api_id
api_of(const struct job *j)
{
        return j->ops->family == CC_GKE_FAM_COMPUTE   ? CC_GKE_API_COMPUTE
               : j->ops->family == CC_GKE_FAM_CERTMGR ? CC_GKE_API_CERTMGR
                                                      : CC_GKE_API_DNS;
}

static void
set_what(struct job *j, const char *verb)
{
        j->verb = verb;
        snprintf(j->what, sizeof(j->what), "cannot %s %s '%s'", verb, j->n->kind->label,
                 j->n->name);
}

static void
job_free(struct job *j)
{
        cc_free(j);
}

static void
job_end(struct job *j, cc_err rc, const struct cc_diag *d)
{
        struct cc_diag dd;

        if (j->in_exec) {
                j->sync_rc = rc;
                if (d)
                        j->sync_d = *d;
                return;
        }
        if (rc == CC_OK)
                CC_INFO("gke",
                        j->act == CC_ACT_DELETE    ? "resource deleted"
                        : j->act == CC_ACT_CREATE  ? "resource created"
                        : j->act == CC_ACT_REPLACE ? "resource replaced"
                                                   : "resource updated",
                        CC_S("kind", j->n->kind->label), CC_S("name", j->n->name));
        else
                CC_WARN("gke", "step failed", CC_S("kind", j->n->kind->label),
                        CC_S("name", j->n->name), CC_S("request_id", j->rid),
                        CC_S("error", d ? d->message : ""));
        j->x->running--;
        if (!d) {
                cc_diag_clear(&dd);
                d = &dd;
        }
        cc_walk_step_done(j->w, j->i, rc, d);
        job_free(j);
}

static void job_fail(struct job *j, cc_err rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
job_fail(struct job *j, cc_err rc, const char *fmt, ...)
{
        struct cc_diag d;
        char msg[CC_DIAG_MSG_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        cc_diag_clear(&d);
        cc_diag_set(&d, rc, 0, "%s: %s", j->what, msg);
        job_end(j, rc, &d);
}

static void
job_fail_d(struct job *j, const struct cc_diag *d)
{
        job_end(j, d->code ? d->code : CC_INTERNAL, d);
}

/* send a call; on a synchronous error the job ends */
static void
job_call(struct job *j, const char *method, const char *path, const cJSON *body, bool read,
         bool unsafe, const char *group, cc_gke_call_fn fn)
{
        struct cc_gke_call_req r = { 0 };
        struct cc_diag d;

        cc_diag_clear(&d);
        r.api = api_of(j);
        r.method = method;
        r.path = path;
        r.body = body;
        r.read = read;
        r.retry_unsafe = unsafe;
        r.group = group;
        r.what = j->what;
        if (cc_gke_api_call(j->x->api, &r, fn, j, &d) != CC_AGAIN)
                job_fail_d(j, &d);
}

static const char *
owner_of(const cJSON *body, const struct cc_kind *kind, char *buf, size_t n)
{
        return cc_gke_item_mark(kind, body, buf, n) ? buf : NULL;
}

/* the step succeeded with body observed (taken; NULL = gone) */
static void
job_observed(struct job *j, cJSON *body)
{
        if (j->x->cache) {
                if (body) {
                        cJSON *copy = cJSON_Duplicate(body, 1);

                        if (!copy ||
                            cc_gke_cache_put(j->x->cache, j->n->kind, j->n->key, copy, j->n->owner))
                                j->x->cache->warm = false;
                } else {
                        cc_gke_cache_remove(j->x->cache, j->n->key);
                }
        }
        cc_node_set_observed(j->n, body);
        if (body)
                j->n->flags |= CC_NODE_OWNED;
        else
                j->n->flags &= ~(unsigned)CC_NODE_OWNED;
}

static void start_create(struct job *j);
static void start_update(struct job *j);
static void start_delete(struct job *j);

/* after a delete: REPLACE goes on with the create */
static void
deleted(struct job *j)
{
        job_observed(j, NULL);
        if (j->act == CC_ACT_REPLACE) {
                j->deleting = false;
                start_create(j);
                return;
        }
        job_end(j, CC_OK, NULL);
}

/* --- polling with backoff ------------------------------------------------ */

static void poll_certmgr(struct job *j);
static void poll_dns(struct job *j);

static void
poll_timer(struct cc_timer *t, void *ud)
{
        struct job *j = ud;

        (void)t;
        if (j->ops->family == CC_GKE_FAM_CERTMGR)
                poll_certmgr(j);
        else
                poll_dns(j);
}

static void
poll_later(struct job *j)
{
        uint64_t base = j->x->poll_base_ms ? j->x->poll_base_ms : 50;
        uint64_t cap = j->x->poll_cap_ms ? j->x->poll_cap_ms : 2000;
        unsigned max = j->x->max_polls ? j->x->max_polls : 2000;

        if (++j->polls > max) {
                job_fail(j, CC_TRANSIENT, "the operation is still running after %u polls",
                         j->polls);
                return;
        }
        /* grow by half: an operation is noticed at most ~1/3 of its
         * duration late, for a handful more cheap reads than doubling */
        j->poll_ms = j->poll_ms ? j->poll_ms + j->poll_ms / 2 : base;
        if (j->poll_ms > cap)
                j->poll_ms = cap;
        if (cc_timer_start(j->x->loop, j->poll_ms, 0, poll_timer, j, NULL))
                job_fail(j, CC_NOMEM, "out of memory");
}

/* --- compute ------------------------------------------------------------- */

static void compute_op(struct cc_gke_result *r, void *ud);
static void compute_read(struct cc_gke_result *r, void *ud);

static void
compute_wait(struct job *j)
{
        char path[PATHMAX + 128];

        snprintf(path, sizeof(path), "%s/wait", j->opref);
        job_call(j, "POST", path, NULL, true, true, CC_GKE_RL_COMPUTE_OP, compute_op);
}

static void
compute_get(struct job *j)
{
        job_call(j, "GET", j->n->key, NULL, true, false, NULL, compute_read);
}

static cc_err
op_error(const cJSON *op, char *msg, size_t msgsz)
{
        const cJSON *e =
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
                                   cJSON_GetObjectItemCaseSensitive(op, "error"), "errors"),
                               0);
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(op, "httpErrorStatusCode");
        const char *code = jstr(e, "code"), *m = jstr(e, "message");
        int status = cJSON_IsNumber(st) ? st->valueint : 400;
        cc_err rc;

        if (!cJSON_GetObjectItemCaseSensitive(op, "error"))
                return CC_OK;
        snprintf(msg, msgsz, "%s", m ? m : code ? code : "the operation failed");
        rc = cc_gke_error_code(status, code ? code : "");
        if (rc == CC_OK || rc == CC_INVAL)
                rc = code && !strcmp(code, "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE") ? CC_CONFLICT
                     : code && !strcmp(code, "QUOTA_EXCEEDED")                    ? CC_QUOTA
                                                                                  : CC_INVAL;
        return rc;
}

static void compute_sub(struct job *j);

static void
compute_op_started(struct job *j, const cJSON *op)
{
        const char *self = jstr(op, "selfLink"), *name = jstr(op, "name");
        char msg[CC_DIAG_MSG_MAX];
        cc_err rc;

        if (self && strstr(self, "/projects/")) {
                snprintf(j->opref, sizeof(j->opref), "%s", cc_ref_suffix(self));
        } else if (name) {
                const char *p = strchr(j->n->key + 9, '/'); /* projects/P/... */

                snprintf(j->opref, sizeof(j->opref), "%.*s/global/operations/%s",
                         p ? (int)(p - j->n->key) : 0, j->n->key, name);
        } else {
                job_fail(j, CC_INVAL, "the API answered without an operation");
                return;
        }
        rc = op_error(op, msg, sizeof(msg));
        if (rc) {
                struct cc_diag d;

                if (j->rid[0] && cc_strv_push(&j->x->failed_ids, j->rid))
                        CC_WARN("gke", "cannot remember a failed request id");
                cc_diag_clear(&d);
                cc_diag_set(&d, rc, 0, "%s: %s", j->what, msg);
                job_fail_d(j, &d);
                return;
        }
        if (!jstr(op, "status") || strcmp(jstr(op, "status"), "DONE")) {
                compute_wait(j);
                return;
        }
        /* DONE */
        if (j->deleting) {
                deleted(j);
                return;
        }
        if (j->nsubs && ++j->sub < j->nsubs) {
                compute_sub(j);
                return;
        }
        compute_get(j);
}

static void
compute_op(struct cc_gke_result *r, void *ud)
{
        struct job *j = ud;

        if (r->rc) {
                job_fail_d(j, &r->d);
                return;
        }
        if (++j->polls > (j->x->max_polls ? j->x->max_polls : 2000)) {
                job_fail(j, CC_TRANSIENT, "the operation is still running");
                return;
        }
        compute_op_started(j, r->body);
}

/* the GET after a create/update */
static void
compute_read(struct cc_gke_result *r, void *ud)
{
        struct job *j = ud;

        if (r->rc == CC_NOTFOUND && j->act != CC_ACT_UPDATE && j->salt < 1) {
                /* an old requestId answered with its old operation (the
                 * resource was deleted since): create afresh */
                j->salt++;
                start_create(j);
                return;
        }
        if (r->rc) {
                job_fail_d(j, &r->d);
                return;
        }
        if (j->tries412 < 0) {
                /* alreadyExists: ours only with our owner's mark */
                char owner[256];
                const char *o = owner_of(r->body, j->n->kind, owner, sizeof(owner));

                if (!o || !j->n->owner || strcmp(o, j->n->owner)) {
                        job_fail(j, CC_CONFLICT,
                                 "it already exists and is not managed by cloudctl");
                        return;
                }
        }
        job_observed(j, r->body);
        r->body = NULL;
        job_end(j, CC_OK, NULL);
}

static void
compute_inserted(struct cc_gke_result *r, void *ud)
{
        struct job *j = ud;

        if (r->rc == CC_CONFLICT && !strcmp(r->reason, "alreadyExists")) {
                /* ours from an earlier pass that crashed, or someone else's */
                j->act = j->act == CC_ACT_REPLACE ? CC_ACT_REPLACE : CC_ACT_CREATE;
                j->tries412 = -1; /* marks "adopt check" for compute_adopt */
                compute_get(j);
                return;
        }
        if (r->rc) {
                job_fail_d(j, &r->d);
                return;
        }
        compute_op_started(j, r->body);
}

static void
start_create_compute(struct job *j)
{
        char path[PATHMAX + 64], what[32];
        const char *slash = strrchr(j->n->key, '/');

        snprintf(what, sizeof(what), "create%d", j->salt);
        fresh_id(j, what, j->n->desired);
        snprintf(path, sizeof(path), "%.*s?requestId=%s", (int)(slash - j->n->key), j->n->key,
                 j->rid);
        j->nsubs = j->sub = 0;
        j->polls = 0;
        job_call(j, "POST", path, j->n->desired, false, true, NULL, compute_inserted);
}

static void
compute_refreshed(struct cc_gke_result *r, void *ud)
{
        struct job *j = ud;

        if (r->rc) {
                job_fail_d(j, &r->d);
                return;
        }
        /* fresh fingerprint: observed only (the cache keeps the listed body) */
        cc_node_set_observed(j->n, r->body);
        r->body = NULL;
        compute_sub(j);
}

static void
compute_sub_done(struct cc_gke_result *r, void *ud)
{
        struct job *j = ud;

        if (r->rc == CC_CONFLICT && !strcmp(r->reason, "conditionNotMet") &&
            j->tries412 < MAX_412) {
                j->tries412++;
                job_call(j, "GET", j->n->key, NULL, true, false, NULL, compute_refreshed);
                return;
        }
        if (r->rc) {
                job_fail_d(j, &r->d);
                return;
        }
        j->polls = 0;
        compute_op_started(j, r->body);
}

static cJSON *
field_body(const char *field, const cJSON *v)
{
        cJSON *b = cJSON_CreateObject();
        cJSON *c = v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();

        if (!b || !c || !cJSON_AddItemToObject(b, field, c)) {
                cJSON_Delete(b);
                cJSON_Delete(c);
                return NULL;
        }
        return b;
}

static void
compute_sub(struct job *j)
{
        const cJSON *des = j->n->desired, *obs = j->n->observed;
        char path[PATHMAX + 128], salt[320];
        const char *method = "POST";
        cJSON *body = NULL;
        const char *fp;

        switch (j->subs[j->sub]) {
        case SUB_PUT:
        case SUB_PATCH:
                method = j->subs[j->sub] == SUB_PUT ? "PUT" : "PATCH";
                body = cJSON_Duplicate(des, 1);
                fp = jstr(obs, "fingerprint");
                if (body && fp && (j->n->kind->flags & CC_KIND_FINGERPRINT) &&
                    !cJSON_AddStringToObject(body, "fingerprint", fp)) {
                        cJSON_Delete(body);
                        body = NULL;
                }
                snprintf(path, sizeof(path), "%s", j->n->key);
                break;
        case SUB_SET_URL_MAP: {
                /* the legacy path without "global/": projects/P/<coll>/<name>/setUrlMap */
                const char *g = strstr(j->n->key, "/global/");

                body = field_body("urlMap", cJSON_GetObjectItemCaseSensitive(des, "urlMap"));
                snprintf(path, sizeof(path), "%.*s/%s/setUrlMap", g ? (int)(g - j->n->key) : 0,
                         j->n->key, g ? g + strlen("/global/") : j->n->key);
                break;
        }
        case SUB_SET_CERT_MAP:
                body = field_body("certificateMap",
                                  cJSON_GetObjectItemCaseSensitive(des, "certificateMap"));
                snprintf(path, sizeof(path), "%s/setCertificateMap", j->n->key);
                break;
        case SUB_SET_QUIC:
                body = field_body("quicOverride",
                                  cJSON_GetObjectItemCaseSensitive(des, "quicOverride"));
                snprintf(path, sizeof(path), "%s/setQuicOverride", j->n->key);
                break;
        case SUB_SET_TARGET:
                body = field_body("target", cJSON_GetObjectItemCaseSensitive(des, "target"));
                snprintf(path, sizeof(path), "%s/setTarget", j->n->key);
                break;
        case SUB_SET_LABELS:
                body = field_body("labels", cJSON_GetObjectItemCaseSensitive(des, "labels"));
                fp = jstr(obs, "labelFingerprint");
                if (body && fp && !cJSON_AddStringToObject(body, "labelFingerprint", fp)) {
                        cJSON_Delete(body);
                        body = NULL;
                }
                snprintf(path, sizeof(path), "%s/setLabels", j->n->key);
                break;
        }
        if (!body) {
                job_fail(j, CC_NOMEM, "out of memory");
                return;
        }
        /* the same change to another incarnation of the resource (deleted
         * and made again) or to this one after it changed (a revert) is a
         * new request: the API would answer a repeated id with the old
         * operation and change nothing */
        snprintf(salt, sizeof(salt), "update%d/%s/%s", (int)j->subs[j->sub],
                 jstr(obs, "id") ? jstr(obs, "id") : "",
                 jstr(obs, "fingerprint") ? jstr(obs, "fingerprint") : "");
        fresh_id(j, salt, body);
        {
                size_t len = strlen(path);

                snprintf(path + len, sizeof(path) - len, "?requestId=%s", j->rid);
        }
        job_call(j, method, path, body, false, true, NULL, compute_sub_done);
        cJSON_Delete(body);
}

static bool
changed_top(const struct job *j, const char *field)
{
        size_t i, n = strlen(field);

        for (i = 0; i < j->n->changed.n; i++) {
                const char *c = j->n->changed.v[i];

                if (!strncmp(c, field, n) && (c[n] == '\0' || c[n] == '.'))
                        return true;
        }
        return false;
}

/* changed top-level fields other than the listed ones */
static const char *
changed_other(const struct job *j, const char *const *handled)
{
        size_t i;

        for (i = 0; i < j->n->changed.n; i++) {
                const char *c = j->n->changed.v[i];
                const char *const *h;
                bool ok = false;

                for (h = handled; *h && !ok; h++) {
                        size_t n = strlen(*h);

                        ok = !strncmp(c, *h, n) && (c[n] == '\0' || c[n] == '.');
                }
                if (!ok)
                        return c;
        }
        return NULL;
}

static void
start_update_compute(struct job *j)
{
        static const char *const proxy_fields[] = { "urlMap", "certificateMap", "quicOverride",
                                                    NULL };
        static const char *const fr_fields[] = { "target", "labels", NULL };
        static const char *const addr_fields[] = { "labels", NULL };
        const char *other = NULL;

        j->nsubs = j->sub = 0;
        j->polls = 0;
        switch (j->ops->update) {
        case CC_GKE_UPD_PUT_FP:
                j->subs[j->nsubs++] = SUB_PUT;
                break;
        case CC_GKE_UPD_PATCH_FP:
        case CC_GKE_UPD_PATCH:
                j->subs[j->nsubs++] = SUB_PATCH;
                break;
        case CC_GKE_UPD_HTTP_PROXY:
        case CC_GKE_UPD_HTTPS_PROXY:
                if (changed_top(j, "urlMap"))
                        j->subs[j->nsubs++] = SUB_SET_URL_MAP;
                if (changed_top(j, "certificateMap"))
                        j->subs[j->nsubs++] = SUB_SET_CERT_MAP;
                if (changed_top(j, "quicOverride"))
                        j->subs[j->nsubs++] = SUB_SET_QUIC;
                if (changed_other(j, proxy_fields))
                        j->subs[j->nsubs++] = SUB_PATCH;
                break;
        case CC_GKE_UPD_FORWARDING_RULE:
                if (changed_top(j, "target"))
                        j->subs[j->nsubs++] = SUB_SET_TARGET;
                if (changed_top(j, "labels"))
                        j->subs[j->nsubs++] = SUB_SET_LABELS;
                other = changed_other(j, fr_fields);
                break;
        case CC_GKE_UPD_ADDRESS:
                if (changed_top(j, "labels"))
                        j->subs[j->nsubs++] = SUB_SET_LABELS;
                other = changed_other(j, addr_fields);
                break;
        default:
                other = j->n->changed.n ? j->n->changed.v[0] : "?";
        }
        if (other) {
                job_fail(j, CC_NOTSUP, "field '%s' cannot be changed in place", other);
                return;
        }
        if (!j->nsubs) {
                compute_get(j);
                return;
        }
        compute_sub(j);
}

static void
compute_deleted(struct cc_gke_result *r, void *ud)
{
        struct job *j = ud;

        if (r->rc == CC_NOTFOUND) {
                deleted(j);
                return;
        }
        if (r->rc) {
                job_fail_d(j, &r->d);
                return;
        }
        j->polls = 0;
        compute_op_started(j, r->body);
}

/* --- certificate manager ------------------------------------------------- */

static void certmgr_op(struct cc_gke_result *r, void *ud);
static void certmgr_read(struct cc_gke_result *r, void *ud);

static cc_err
lro_error(const cJSON *op, char *msg, size_t msgsz)
{
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(op, "error");
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "code");
        const char *m = jstr(e, "message");

        if (!e)
                return CC_OK;
        snprintf(msg, msgsz, "%s", m ? m : "the operation failed");
        switch (cJSON_IsNumber(c) ? c->valueint : 2) {
        case 5:
                return CC_NOTFOUND;
        case 6:
        case 9:
        case 10:
                return CC_CONFLICT;
        case 8:
                return CC_QUOTA;
        case 7:
        case 16:
                return CC_AUTH;
        case 4:
        case 14:
                return CC_TRANSIENT;
        default:
                return CC_INVAL;
        }
}

static void
certmgr_get(struct job *j)
{
        char path[PATHMAX];

        snprintf(path, sizeof(path), "v1/%s", j->n->key);
        job_call(j, "GET", path, NULL, true, false, NULL, certmgr_read);
}

static void
certmgr_lro(struct job *j, const cJSON *op)
{
        char msg[CC_DIAG_MSG_MAX];
        cc_err rc;

        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(op, "done"))) {
                const char *name = jstr(op, "name");

                if (!name) {
                        job_fail(j, CC_INVAL, "the API answered without an operation");
                        return;
                }
                snprintf(j->opref, sizeof(j->opref), "v1/%s", name);
                poll_later(j);
                return;
        }
        rc = lro_error(op, msg, sizeof(msg));
        if (rc) {
                struct cc_diag d;

                cc_diag_clear(&d);
                cc_diag_set(&d, rc, 0, "%s: %s", j->what, msg);
                job_fail_d(j, &d);
                return;
        }
        if (j->deleting) {
                deleted(j);
                return;
        }
        certmgr_get(j);
}

static void
poll_certmgr(struct job *j)
{
        job_call(j, "GET", j->opref, NULL, true, false, NULL, certmgr_op);
}

static void
certmgr_op(struct cc_gke_result *r, void *ud)
{
        struct job *j = ud;

        if (r->rc == CC_NOTFOUND && j->deleting) {
                deleted(j);
                return;
        }
        if (r->rc) {
                job_fail_d(j, &r->d);
                return;
        }
        certmgr_lro(j, r->body);
}

static void
certmgr_read(struct cc_gke_result *r, void *ud)
{
        struct job *j = ud;
        char owner[256];

        if (r->rc) {
                job_fail_d(j, &r->d);
                return;
        }
        if (j->tries412 < 0) {
                /* alreadyExists: ours only with our owner's mark */
                const char *o = owner_of(r->body, j->n->kind, owner, sizeof(owner));

                if (!o || !j->n->owner || strcmp(o, j->n->owner)) {
                        job_fail(j, CC_CONFLICT,
                                 "it already exists and is not managed by cloudctl");
                        return;
                }
        }
        job_observed(j, r->body);
        r->body = NULL;
        job_end(j, CC_OK, NULL);
}

static void
certmgr_started(struct cc_gke_result *r, void *ud)
{
        struct job *j = ud;

        if (r->rc == CC_CONFLICT && !j->deleting && j->act != CC_ACT_UPDATE) {
                j->tries412 = -1;
                certmgr_get(j);
                return;
        }
        if (r->rc == CC_NOTFOUND && j->deleting) {
                deleted(j);
                return;
        }
        if (r->rc) {
                job_fail_d(j, &r->d);
                return;
        }
        j->polls = 0;
        j->poll_ms = 0;
        certmgr_lro(j, r->body);
}

static void
start_create_certmgr(struct job *j)
{
        char path[PATHMAX + 128];
        const char *slash = strrchr(j->n->key, '/');
        const char *coll = j->ops->collection;
        size_t plen = (size_t)(slash - j->n->key) - strlen(coll) - 1; /* parent */

        snprintf(path, sizeof(path), "v1/%.*s/%s?%s=%s", (int)plen, j->n->key, coll,
                 j->ops->id_param, slash + 1);
        /* a repeated create answers ALREADY_EXISTS, which is checked: safe to retry */
        job_call(j, "POST", path, j->n->desired, false, true, NULL, certmgr_started);
}

static void
start_update_certmgr(struct job *j)
{
        struct cc_buf mask = CC_BUF_INIT(4096);
        cJSON *body = cJSON_CreateObject();
        char path[PATHMAX + 512];
        size_t i;
        bool bad = !body;

        for (i = 0; !bad && i < j->n->changed.n; i++) {
                char top[128];
                const char *c = j->n->changed.v[i];
                size_t n = strcspn(c, ".");
                const cJSON *v;

                snprintf(top, sizeof(top), "%.*s", (int)n, c);
                if (cJSON_GetObjectItemCaseSensitive(body, top))
                        continue;
                v = cJSON_GetObjectItemCaseSensitive(j->n->desired, top);
                bad = (v && !cJSON_AddItemToObject(body, top, cJSON_Duplicate(v, 1))) ||
                      cc_buf_printf(&mask, "%s%s", mask.len ? "," : "", top);
        }
        if (bad) {
                cJSON_Delete(body);
                cc_buf_release(&mask);
                job_fail(j, CC_NOMEM, "out of memory");
                return;
        }
        snprintf(path, sizeof(path), "v1/%s?updateMask=%s", j->n->key, cc_buf_str(&mask));
        job_call(j, "PATCH", path, body, false, false, NULL, certmgr_started);
        cJSON_Delete(body);
        cc_buf_release(&mask);
}

/* --- dns ----------------------------------------------------------------- */

static void dns_change(struct cc_gke_result *r, void *ud);

/* name, type, ttl, rrdatas only: what a change must match exactly */
static cJSON *
rr_of(const cJSON *b)
{
        cJSON *o = cJSON_CreateObject();
        static const char *const f[] = { "name", "type", "ttl", "rrdatas" };
        size_t i;

        for (i = 0; o && i < 4; i++) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(b, f[i]);

                if (v && !cJSON_AddItemToObject(o, f[i], cJSON_Duplicate(v, 1))) {
                        cJSON_Delete(o);
                        return NULL;
                }
        }
        if (o && !cJSON_AddStringToObject(o, "kind", "dns#resourceRecordSet")) {
                cJSON_Delete(o);
                return NULL;
        }
        return o;
}

static void
zone_path(const struct job *j, char *out, size_t outsz)
{
        const char *p = strstr(j->n->key, "/rrsets/");

        snprintf(out, outsz, "%.*s", p ? (int)(p - j->n->key) : 0, j->n->key);
}

/* the ownership TXT record ("cloudctl-owner-<type>.<name>") of a DNS
 * record node, when the graph holds it */
static struct cc_node *
txt_partner(const struct job *j)
{
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(
            j->n->desired ? j->n->desired : j->n->observed, "type");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(
            j->n->desired ? j->n->desired : j->n->observed, "name");
        char zone[PATHMAX], txt[PATHMAX], key[PATHMAX * 2 + 16];

        if (!cJSON_IsString(type) || !cJSON_IsString(name) || !strcmp(type->valuestring, "TXT"))
                return NULL;
        zone_path(j, zone, sizeof(zone));
        cc_gke_txt_name(txt, sizeof(txt), type->valuestring, name->valuestring);
        snprintf(key, sizeof(key), "%s/rrsets/%s/TXT", zone, txt);
        return cc_graph_get(j->w->graph, key);
}

/* the record node a TXT ownership node stands for, when the graph holds it */
static struct cc_node *
record_partner(const struct job *j)
{
        const cJSON *b = j->n->desired ? j->n->desired : j->n->observed;
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(b, "name");
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(b, "type");
        const char *p, *dot;
        char zone[PATHMAX], key[PATHMAX * 2], rtype[16];
        size_t i, n;

        if (!cJSON_IsString(name) || !cJSON_IsString(type) || strcmp(type->valuestring, "TXT") ||
            strncmp(name->valuestring, CC_GKE_TXT_PREFIX, strlen(CC_GKE_TXT_PREFIX)))
                return NULL;
        p = name->valuestring + strlen(CC_GKE_TXT_PREFIX);
        dot = strchr(p, '.');
        n = dot ? (size_t)(dot - p) : 0;
        if (!n || n >= sizeof(rtype))
                return NULL;
        for (i = 0; i < n; i++)
                rtype[i] = (char)(p[i] >= 'a' && p[i] <= 'z' ? p[i] - 'a' + 'A' : p[i]);
        rtype[n] = '\0';
        zone_path(j, zone, sizeof(zone));
        snprintf(key, sizeof(key), "%s/rrsets/%s/%s", zone, dot + 1, rtype);
        return cc_graph_get(j->w->graph, key);
}

/* One atomic change.  A record and its ownership TXT record are created
 * and deleted together (txt_add / txt_del), so that no crash can leave a
 * record we made without the mark that says it is ours, nor a mark over a
 * record somebody else made. */
static void
dns_send_txt(struct job *j, const cJSON *add, const cJSON *del, const cJSON *txt_add,
             const cJSON *txt_del)
{
        cJSON *ch = cJSON_CreateObject(), *a = NULL, *dl = NULL;
        char path[PATHMAX];
        bool bad = !ch;

        if (!bad && (add || txt_add)) {
                a = cJSON_AddArrayToObject(ch, "additions");
                bad = !a || (add && !cJSON_AddItemToArray(a, rr_of(add))) ||
                      (txt_add && !cJSON_AddItemToArray(a, rr_of(txt_add))) || !a->child;
        }
        if (!bad && (del || txt_del)) {
                dl = cJSON_AddArrayToObject(ch, "deletions");
                bad = !dl || (del && !cJSON_AddItemToArray(dl, rr_of(del))) ||
                      (txt_del && !cJSON_AddItemToArray(dl, rr_of(txt_del))) || !dl->child;
        }
        if (bad) {
                cJSON_Delete(ch);
                job_fail(j, CC_NOMEM, "out of memory");
                return;
        }
        zone_path(j, path, sizeof(path));
        snprintf(path + strlen(path), sizeof(path) - strlen(path), "/changes");
        j->polls = 0;
        j->poll_ms = 0;
        /* a repeated change fails with 409/404, which is handled: safe to retry */
        job_call(j, "POST", path, ch, false, true, NULL, dns_change);
        cJSON_Delete(ch);
}

static void
dns_send(struct job *j, const cJSON *add, const cJSON *del)
{
        j->txt = NULL;
        dns_send_txt(j, add, del, NULL, NULL);
}

/* create a record, with its ownership record when that does not exist yet */
static void
dns_create(struct job *j)
{
        struct cc_node *t = txt_partner(j);

        if (t && t->desired && !t->observed) {
                j->txt = t;
                dns_send_txt(j, j->n->desired, NULL, t->desired, NULL);
                return;
        }
        dns_send(j, j->n->desired, NULL);
}

/* delete a record, with its ownership record when we see it */
static void
dns_delete(struct job *j)
{
        struct cc_node *t = txt_partner(j);

        if (t && t->observed && (t->flags & CC_NODE_OWNED)) {
                j->txt = t;
                dns_send_txt(j, NULL, j->n->observed, NULL, t->observed);
                return;
        }
        dns_send(j, NULL, j->n->observed);
}

/* the ownership record rode along: record its new state too */
static void
txt_observed(struct job *j, cJSON *body)
{
        struct cc_node *t = j->txt;

        j->txt = NULL;
        if (!t)
                return;
        if (j->x->cache) {
                if (body) {
                        cJSON *copy = cJSON_Duplicate(body, 1);

                        if (!copy || cc_gke_cache_put(j->x->cache, t->kind, t->key, copy, t->owner))
                                j->x->cache->warm = false;
                } else {
                        cc_gke_cache_remove(j->x->cache, t->key);
                }
        }
        cc_node_set_observed(t, body);
        if (body)
                t->flags |= CC_NODE_OWNED;
        else
                t->flags &= ~(unsigned)CC_NODE_OWNED;
}

static void dns_read(struct cc_gke_result *r, void *ud);

static void
dns_get(struct job *j)
{
        char path[PATHMAX];
        const char *p = strstr(j->n->key, "/rrsets/");

        snprintf(path, sizeof(path), "%s", j->n->key);
        (void)p;
        job_call(j, "GET", path, NULL, true, false, NULL, dns_read);
}

static bool
same_rrdatas(const cJSON *a, const cJSON *b)
{
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, "rrdatas");
        const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, "rrdatas");
        const cJSON *e, *f;

        if (cJSON_GetArraySize(x) != cJSON_GetArraySize(y))
                return false;
        cJSON_ArrayForEach(e, x)
        {
                bool found = false;

                cJSON_ArrayForEach(f, y) found |= cJSON_IsString(e) && cJSON_IsString(f) &&
                                                  !strcmp(e->valuestring, f->valuestring);
                if (!found)
                        return false;
        }
        return true;
}

static void
dns_done(struct job *j)
{
        if (j->txt)
                txt_observed(j, j->deleting ? NULL : rr_of(j->txt->desired));
        if (j->deleting) {
                deleted(j);
                return;
        }
        job_observed(j, rr_of(j->n->desired));
        if (!j->n->observed) {
                job_fail(j, CC_NOMEM, "out of memory");
                return;
        }
        job_end(j, CC_OK, NULL);
}

/* GET of the record set: after a 409 (adopt?) or a 412/404 (refresh) */
static void
dns_read(struct cc_gke_result *r, void *ud)
{
        struct job *j = ud;

        if (r->rc == CC_NOTFOUND) {
                if (j->deleting) {
                        deleted(j);
                        return;
                }
                /* gone meanwhile: a plain create */
                cc_node_set_observed(j->n, NULL);
                dns_send(j, j->n->desired, NULL);
                return;
        }
        if (r->rc) {
                job_fail_d(j, &r->d);
                return;
        }
        if (j->tries412 < 0) {
                j->tries412 = 0;
                if (!same_rrdatas(r->body, j->n->desired)) {
                        job_fail(j, CC_CONFLICT,
                                 "a record set of that name and type already exists");
                        return;
                }
                job_observed(j, r->body);
                r->body = NULL;
                job_end(j, CC_OK, NULL);
                return;
        }
        cc_node_set_observed(j->n, r->body);
        r->body = NULL;
        if (j->deleting)
                dns_delete(j);
        else
                dns_send(j, j->n->desired, j->n->observed);
}

static void
poll_dns(struct job *j)
{
        job_call(j, "GET", j->opref, NULL, true, false, NULL, dns_change);
}

static void
dns_change(struct cc_gke_result *r, void *ud)
{
        struct job *j = ud;
        const char *status, *id;

        if (r->rc == CC_CONFLICT && !strcmp(r->reason, "alreadyExists") && !j->deleting &&
            !j->n->observed) {
                j->tries412 = -1;
                dns_get(j);
                return;
        }
        if (r->rc == CC_NOTFOUND && j->deleting && !j->opref[0] && j->txt && !j->txt_alone &&
            j->txt->observed) {
                /* the record is gone already; its ownership record goes alone */
                struct cc_node *t = j->txt;

                j->txt_alone = true;
                dns_send_txt(j, NULL, NULL, NULL, t->observed);
                j->txt = t;
                return;
        }
        if (r->rc == CC_NOTFOUND && j->deleting && !j->opref[0]) {
                if (j->txt)
                        txt_observed(j, NULL);
                deleted(j); /* the deletion found nothing: already gone */
                return;
        }
        if ((r->rc == CC_CONFLICT || r->rc == CC_NOTFOUND) && !j->opref[0] &&
            j->tries412 < MAX_412) {
                /* the observed record set is stale: read it and retry */
                j->tries412++;
                dns_get(j);
                return;
        }
        if (r->rc) {
                job_fail_d(j, &r->d);
                return;
        }
        status = jstr(r->body, "status");
        id = jstr(r->body, "id");
        if (status && !strcmp(status, "done")) {
                dns_done(j);
                return;
        }
        if (!id) {
                job_fail(j, CC_INVAL, "the API answered without a change id");
                return;
        }
        if (!j->opref[0]) {
                char zp[PATHMAX];

                zone_path(j, zp, sizeof(zp));
                snprintf(j->opref, sizeof(j->opref), "%s/changes/%s", zp, id);
        }
        poll_later(j);
}

/* --- dispatch ------------------------------------------------------------ */

static void
start_create(struct job *j)
{
        set_what(j, j->act == CC_ACT_REPLACE ? "replace" : "create");
        j->opref[0] = '\0';
        j->polls = 0;
        j->poll_ms = 0;
        j->tries412 = 0;
        switch (j->ops->family) {
        case CC_GKE_FAM_COMPUTE:
                start_create_compute(j);
                break;
        case CC_GKE_FAM_CERTMGR:
                start_create_certmgr(j);
                break;
        case CC_GKE_FAM_DNS:
                dns_create(j);
                break;
        }
}

static void
start_update(struct job *j)
{
        set_what(j, "update");
        switch (j->ops->family) {
        case CC_GKE_FAM_COMPUTE:
                start_update_compute(j);
                break;
        case CC_GKE_FAM_CERTMGR:
                start_update_certmgr(j);
                break;
        case CC_GKE_FAM_DNS:
                dns_send(j, j->n->desired, j->n->observed);
                break;
        }
}

static void
start_delete(struct job *j)
{
        char path[PATHMAX];

        set_what(j, j->act == CC_ACT_REPLACE ? "replace" : "delete");
        j->deleting = true;
        j->opref[0] = '\0';
        j->polls = 0;
        j->poll_ms = 0;
        switch (j->ops->family) {
        case CC_GKE_FAM_COMPUTE:
                j->rid[0] = '\0';
                job_call(j, "DELETE", j->n->key, NULL, false, false, NULL, compute_deleted);
                break;
        case CC_GKE_FAM_CERTMGR:
                snprintf(path, sizeof(path), "v1/%s", j->n->key);
                job_call(j, "DELETE", path, NULL, false, false, NULL, certmgr_started);
                break;
        case CC_GKE_FAM_DNS:
                dns_delete(j);
                break;
        }
}

cc_err
cc_gke_exec_step(struct cc_walk *w, size_t i, void *ud, struct cc_diag *d)
{
        struct cc_gke_exec *x = ud;
        struct cc_step *st = &w->plan->steps[i];
        struct cc_node *n = st->node;
        const struct cc_gke_kind_ops *ops = n->kind->ops;
        struct job *j;
        cc_err rc;

        if (!ops)
                return cc_diag_set(d, CC_INTERNAL, 0, "%s '%s': no executor for kind '%s'",
                                   n->kind->label, n->name, n->kind->name);
        if (st->action != CC_ACT_CREATE && n->observed &&
            (!(n->flags & CC_NODE_OWNED) || (n->flags & CC_NODE_EXTERNAL)))
                return cc_diag_set(d, CC_CONFLICT, 0,
                                   "cannot %s %s '%s': it exists and is not managed by cloudctl "
                                   "for this gateway",
                                   cc_action_name(st->action), n->kind->label, n->name);
        if (st->action == CC_ACT_NOOP)
                return CC_OK;
        if (ops->family == CC_GKE_FAM_DNS) {
                /* an ownership record is written in one change with its record
                 * (dns_create/dns_delete): nothing left to do when that
                 * happened, or will happen, in this walk */
                struct job probe = { .x = x, .w = w, .i = i, .n = n };
                struct cc_node *rec = record_partner(&probe);

                if (st->action == CC_ACT_CREATE && n->observed && n->desired &&
                    same_rrdatas(n->observed, n->desired))
                        return CC_OK;
                if (st->action == CC_ACT_DELETE && rec && rec->action == CC_ACT_DELETE &&
                    rec->observed)
                        return CC_OK;
        }
        j = cc_calloc(1, sizeof(*j));
        if (!j)
                return cc_diag_set(d, CC_NOMEM, 0, "cannot %s %s '%s': out of memory",
                                   cc_action_name(st->action), n->kind->label, n->name);
        j->x = x;
        j->w = w;
        j->i = i;
        j->n = n;
        j->ops = ops;
        j->act = st->action;
        j->in_exec = true;
        x->running++;
        switch (st->action) {
        case CC_ACT_CREATE:
                start_create(j);
                break;
        case CC_ACT_UPDATE:
                start_update(j);
                break;
        case CC_ACT_REPLACE:
        case CC_ACT_DELETE:
                start_delete(j);
                break;
        default:
                break;
        }
        /* everything after the first send happens in callbacks; a failure
         * before any send was recorded in sync_rc */
        if (j->sync_rc || j->sync_d.code) {
                rc = j->sync_rc ? j->sync_rc : j->sync_d.code;
                if (d)
                        *d = j->sync_d;
                x->running--;
                job_free(j);
                return rc;
        }
        j->in_exec = false;
        return CC_AGAIN;
}
