/* compute_ops.c -- Compute Operations: lifecycle, get/wait/list/delete, rules. */
#include "mocks/gcp/compute.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/banned.h"

static uint64_t
mix64(uint64_t x)
{
        x += 0x9e3779b97f4a7c15ULL;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
        return x ^ (x >> 31);
}

static const char *
reason_phrase(int status)
{
        switch (status) {
        case 400:
                return "BAD REQUEST";
        case 401:
                return "UNAUTHORIZED";
        case 403:
                return "FORBIDDEN";
        case 404:
                return "NOT FOUND";
        case 409:
                return "CONFLICT";
        case 412:
                return "PRECONDITION FAILED";
        case 429:
                return "TOO MANY REQUESTS";
        case 503:
                return "SERVICE UNAVAILABLE";
        default:
                return status >= 500 ? "INTERNAL SERVER ERROR" : "BAD REQUEST";
        }
}

void
cmp_op_free(struct cmp_op *op)
{
        if (!op)
                return;
        cJSON_Delete(op->obj);
        cc_free(op);
}

struct cmp_op *
cmp_op_find_request(struct gcp_compute *c, const char *project, const char *rid)
{
        size_t i;

        if (!rid || !rid[0])
                return NULL;
        for (i = 0; i < c->nops; i++)
                if (!strcmp(c->ops[i]->request_id, rid) && !strcmp(c->ops[i]->project, project))
                        return c->ops[i];
        return NULL;
}

static struct cmp_op *
op_find(struct gcp_compute *c, const char *project, const char *zone, const char *name)
{
        size_t i;

        for (i = 0; i < c->nops; i++) {
                struct cmp_op *op = c->ops[i];

                if (!strcmp(op->name, name) && !strcmp(op->project, project) &&
                    !strcmp(op->zone, zone))
                        return op;
        }
        return NULL;
}

static bool
rule_matches(const struct cmp_op_rule *r, const char *op_type, const char *target_link)
{
        const char *path = strstr(target_link, "projects/");

        if (r->times && r->fired >= r->times)
                return false;
        if (r->op_type[0] && strcmp(r->op_type, op_type))
                return false;
        if (r->target[0] && fnmatch(r->target, path ? path : target_link, 0))
                return false;
        return true;
}

struct cmp_op *
cmp_op_start(struct gcp_compute *c, const char *project, const char *zone, const char *op_type,
             const char *target_link, const char *target_id, const char *request_id, bool *failed)
{
        struct gcp *g = c->g;
        struct cmp_op *op = NULL;
        cJSON *o = NULL;
        char id[32], ts[48], link[512];
        int64_t now = gcp_now_ms();
        uint64_t r1 = mix64(g->next_id++), r2 = mix64(g->next_id++);
        size_t i;

        *failed = false;
        if (CC_GROW(c->ops, c->ops_cap, c->nops + 1))
                goto fail;
        op = cc_calloc(1, sizeof(*op));
        o = cJSON_CreateObject();
        if (!op || !o)
                goto fail;
        snprintf(op->project, sizeof(op->project), "%s", project);
        snprintf(op->zone, sizeof(op->zone), "%s", zone ? zone : "");
        snprintf(op->name, sizeof(op->name), "operation-%013lld-%013llx-%08x-%08x", (long long)now,
                 (unsigned long long)(r1 & 0xfffffffffffffULL), (unsigned)(r2 >> 32), (unsigned)r2);
        snprintf(op->request_id, sizeof(op->request_id), "%s", request_id ? request_id : "");
        op->done_ms = now + g->cfg.op_latency_ms;
        for (i = 0; i < c->nrules; i++) {
                struct cmp_op_rule *r = &c->rules[i];

                if (!rule_matches(r, op_type, target_link))
                        continue;
                r->fired++;
                if (r->fail) {
                        if (op->err_http)
                                continue;
                        op->err_http = r->http;
                        snprintf(op->err_code, sizeof(op->err_code), "%s", r->code);
                        snprintf(op->err_msg, sizeof(op->err_msg), "%s", r->message);
                        *failed = true;
                } else {
                        op->hold += r->polls;
                }
        }

        gcp_new_id(g, id, sizeof(id));
        cJSON_AddStringToObject(o, "kind", "compute#operation");
        cJSON_AddStringToObject(o, "id", id);
        cJSON_AddStringToObject(o, "name", op->name);
        cJSON_AddStringToObject(o, "operationType", op_type);
        cJSON_AddStringToObject(o, "targetLink", target_link);
        if (target_id && target_id[0])
                cJSON_AddStringToObject(o, "targetId", target_id);
        cJSON_AddStringToObject(o, "status", "RUNNING");
        cJSON_AddNumberToObject(o, "progress", 0);
        cJSON_AddStringToObject(o, "user", "mock-user@example.com");
        gcp_time_compute(now, ts, sizeof(ts));
        cJSON_AddStringToObject(o, "insertTime", ts);
        cJSON_AddStringToObject(o, "startTime", ts);
        if (request_id && request_id[0])
                cJSON_AddStringToObject(o, "clientOperationId", request_id);
        if (op->zone[0]) {
                snprintf(link, sizeof(link), "%sprojects/%s/zones/%s", GCP_COMPUTE_BASE, project,
                         op->zone);
                cJSON_AddStringToObject(o, "zone", link);
                snprintf(link, sizeof(link), "%sprojects/%s/zones/%s/operations/%s",
                         GCP_COMPUTE_BASE, project, op->zone, op->name);
        } else {
                snprintf(link, sizeof(link), "%sprojects/%s/global/operations/%s", GCP_COMPUTE_BASE,
                         project, op->name);
        }
        cJSON_AddStringToObject(o, "selfLink", link);
        op->obj = o;
        c->ops[c->nops++] = op;
        cmp_op_refresh(c, op);
        gcp_changed(g);
        return op;
fail:
        cJSON_Delete(o);
        cc_free(op);
        return NULL;
}

void
cmp_op_refresh(struct gcp_compute *c, struct cmp_op *op)
{
        char ts[48];
        cJSON *err, *errors, *e;
        int64_t now = gcp_now_ms();

        if (op->done || op->hold > 0 || now < op->done_ms)
                return;
        op->done = true;
        cJSON_ReplaceItemInObjectCaseSensitive(op->obj, "status", cJSON_CreateString("DONE"));
        cJSON_ReplaceItemInObjectCaseSensitive(op->obj, "progress", cJSON_CreateNumber(100));
        gcp_time_compute(now, ts, sizeof(ts));
        cJSON_AddStringToObject(op->obj, "endTime", ts);
        if (op->err_http) {
                err = cJSON_AddObjectToObject(op->obj, "error");
                errors = cJSON_AddArrayToObject(err, "errors");
                e = cJSON_CreateObject();
                cJSON_AddStringToObject(e, "code", op->err_code);
                cJSON_AddStringToObject(e, "message", op->err_msg);
                cJSON_AddItemToArray(errors, e);
                cJSON_AddNumberToObject(op->obj, "httpErrorStatusCode", op->err_http);
                cJSON_AddStringToObject(op->obj, "httpErrorMessage", reason_phrase(op->err_http));
        }
        gcp_changed(c->g);
}

void
cmp_op_reply(struct gcp_compute *c, struct cmp_op *op, struct cc_mock_resp *resp)
{
        cmp_op_refresh(c, op);
        cc_mock_resp_json(resp, 200, op->obj);
}

/* one poll of a RUNNING op by get/wait: uses up a hold */
static void
poll_op(struct gcp_compute *c, struct cmp_op *op)
{
        if (!op->done && op->hold > 0) {
                op->hold--;
                gcp_changed(c->g);
                return;
        }
        cmp_op_refresh(c, op);
}

static void
op_wait(struct gcp_compute *c, const char *project, const char *zone, const char *name,
        struct cc_mock_resp *resp)
{
        struct gcp *g = c->g;
        int64_t deadline = gcp_now_ms() + c->wait_max_ms;
        struct cmp_op *op = op_find(c, project, zone, name);

        while (op) {
                int64_t now, until;
                struct timespec ts;

                cmp_op_refresh(c, op);
                if (op->done)
                        break;
                if (op->hold > 0) {
                        poll_op(c, op);
                        break;
                }
                now = gcp_now_ms();
                if (!g->srv || cc_mocksrv_stopping(g->srv) || now >= deadline)
                        break;
                until = now + 100;
                if (op->done_ms < until)
                        until = op->done_ms;
                if (deadline < until)
                        until = deadline;
                ts.tv_sec = (time_t)(until / 1000);
                ts.tv_nsec = (long)(until % 1000) * 1000000L;
                if (ts.tv_nsec < 0)
                        ts.tv_nsec = 0;
                pthread_cond_timedwait(&g->cond, cc_mocksrv_mutex(g->srv), &ts);
                /* the op may have been deleted (or everything reset) meanwhile */
                op = op_find(c, project, zone, name);
        }
        if (!op) {
                gcp_error_v1(resp, 404, "notFound",
                             "The resource 'projects/%s/%s%s/operations/%s' was not found", project,
                             zone[0] ? "zones/" : "global", zone, name);
                return;
        }
        cc_mock_resp_json(resp, 200, op->obj);
}

void
cmp_ops_handle(struct gcp_compute *c, const char *project, const char *zone, const char *opname,
               const char *verb, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        struct cmp_op *op;
        char path[256];
        size_t i;

        if (zone[0])
                snprintf(path, sizeof(path), "projects/%s/zones/%s/operations", project, zone);
        else
                snprintf(path, sizeof(path), "projects/%s/global/operations", project);
        resp->mutating = strcmp(req->method, "DELETE") ? 0 : 1;
        if (!opname) {
                cJSON *items;

                if (strcmp(req->method, "GET")) {
                        gcp_error_v1(resp, 405, "badRequest", "Method %s not allowed on %s",
                                     req->method, path);
                        return;
                }
                items = cJSON_CreateArray();
                for (i = 0; items && i < c->nops; i++) {
                        op = c->ops[i];
                        if (strcmp(op->project, project) || strcmp(op->zone, zone))
                                continue;
                        cmp_op_refresh(c, op);
                        cJSON_AddItemToArray(items, cJSON_Duplicate(op->obj, 1));
                }
                cmp_list_reply(req, resp, items, "compute#operationList", path);
                return;
        }
        op = op_find(c, project, zone, opname);
        if (!op) {
                gcp_error_v1(resp, 404, "notFound", "The resource '%s/%s' was not found", path,
                             opname);
                return;
        }
        if (verb && !strcmp(verb, "wait") && !strcmp(req->method, "POST")) {
                op_wait(c, project, zone, opname, resp);
        } else if (!verb && !strcmp(req->method, "GET")) {
                poll_op(c, op);
                cc_mock_resp_json(resp, 200, op->obj);
        } else if (!verb && !strcmp(req->method, "DELETE")) {
                for (i = 0; i < c->nops; i++)
                        if (c->ops[i] == op)
                                break;
                memmove(c->ops + i, c->ops + i + 1, (c->nops - i - 1) * sizeof(*c->ops));
                c->nops--;
                cmp_op_free(op);
                gcp_changed(c->g);
                cc_mock_resp_text(resp, 204, "application/json; charset=UTF-8", "");
        } else {
                gcp_error_v1(resp, 404, "notFound", "The requested URL %s was not found",
                             req->path);
        }
}

cJSON *
cmp_op_dump(const struct cmp_op *op)
{
        cJSON *o = cJSON_CreateObject();

        if (!o)
                return NULL;
        cJSON_AddStringToObject(o, "project", op->project);
        cJSON_AddStringToObject(o, "zone", op->zone);
        cJSON_AddStringToObject(o, "name", op->name);
        cJSON_AddItemToObject(o, "op", cJSON_Duplicate(op->obj, 1));
        cJSON_AddNumberToObject(o, "doneMs", (double)op->done_ms);
        cJSON_AddNumberToObject(o, "hold", op->hold);
        cJSON_AddBoolToObject(o, "done", op->done);
        cJSON_AddNumberToObject(o, "errHttp", op->err_http);
        cJSON_AddStringToObject(o, "errCode", op->err_code);
        cJSON_AddStringToObject(o, "errMessage", op->err_msg);
        cJSON_AddStringToObject(o, "requestId", op->request_id);
        return o;
}

static void
copy_str(const cJSON *o, const char *key, char *out, size_t n)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

        snprintf(out, n, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

static double
get_num(const cJSON *o, const char *key)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

        return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

struct cmp_op *
cmp_op_load(const cJSON *saved)
{
        const cJSON *obj = cJSON_GetObjectItemCaseSensitive(saved, "op");
        struct cmp_op *op;

        if (!cJSON_IsObject(obj))
                return NULL;
        op = cc_calloc(1, sizeof(*op));
        if (!op)
                return NULL;
        copy_str(saved, "project", op->project, sizeof(op->project));
        copy_str(saved, "zone", op->zone, sizeof(op->zone));
        copy_str(saved, "name", op->name, sizeof(op->name));
        copy_str(saved, "errCode", op->err_code, sizeof(op->err_code));
        copy_str(saved, "errMessage", op->err_msg, sizeof(op->err_msg));
        copy_str(saved, "requestId", op->request_id, sizeof(op->request_id));
        op->done_ms = (int64_t)get_num(saved, "doneMs");
        op->hold = (int)get_num(saved, "hold");
        op->err_http = (int)get_num(saved, "errHttp");
        op->done = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(saved, "done"));
        op->obj = cJSON_Duplicate(obj, 1);
        if (!op->obj || !op->name[0] || !op->project[0]) {
                cmp_op_free(op);
                return NULL;
        }
        return op;
}
