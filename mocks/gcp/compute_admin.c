/* compute_admin.c -- /_mock/compute/...: operation rules, quotas, rate limits.
 *
 * Endpoints (JSON bodies; every answer is the current list or {}):
 *
 *   POST   /_mock/compute/ops/hold   {"operationType": "insert",     optional, exact
 *                                     "target": "*backendServices/bs1", optional, fnmatch on
 *                                                the target's projects/... path
 *                                     "polls": 3,                     get/wait calls that still
 *                                                                     see it RUNNING
 *                                     "times": 1}                     rule fires this often
 *                                                                     (0/absent = always)
 *   POST   /_mock/compute/ops/fail   {"operationType", "target", "times" as above,
 *                                     "httpStatus": 403,
 *                                     "code": "QUOTA_EXCEEDED",
 *                                     "message": "Quota 'X' exceeded."}
 *          The matching operation finishes DONE with error{errors[{code,message}]},
 *          httpErrorStatusCode and httpErrorMessage; its mutation is not applied.
 *   GET    /_mock/compute/ops/rules   the rules with how often each fired
 *   DELETE /_mock/compute/ops/rules   remove them
 *
 *   POST   /_mock/compute/quotas     {"project": "test-proj" ("*" = any),
 *                                     "metric": "BACKEND_SERVICES", "limit": 2}
 *          Inserting past the limit -> 403 quotaExceeded
 *          "Quota 'BACKEND_SERVICES' exceeded.  Limit: 2.0 globally."
 *          Metrics: STATIC_ADDRESSES HEALTH_CHECKS BACKEND_SERVICES URL_MAPS
 *          TARGET_HTTP_PROXIES TARGET_HTTPS_PROXIES FORWARDING_RULES
 *          NETWORK_ENDPOINT_GROUPS FIREWALLS SSL_CERTIFICATES
 *   GET / DELETE /_mock/compute/quotas
 *
 *   POST   /_mock/compute/ratelimits {"project": "test-proj" ("*" = any),
 *                                     "group": "read" | "mutate", "perSecond": 5}
 *          Past it within one wall-clock second -> 403 rateLimitExceeded with the
 *          legacy message ("Quota exceeded for quota group 'ReadGroup' ...").
 *          Reads are GETs and the read-only POSTs (wait, listNetworkEndpoints,
 *          getHealth, validate).  perSecond 0 removes the limit.
 *   GET / DELETE /_mock/compute/ratelimits
 *
 *   POST   /_mock/compute/sslCertificates/{project}/{name}
 *                                    {"state": "ACTIVE" | "FAILED",
 *                                     "domainStatus": "FAILED_CAA_FORBIDDEN"}  optional
 *          Force a MANAGED certificate's provisioning outcome.
 *
 *   POST   /_mock/compute/config     {"waitMaxMs": 120000}  operations/wait deadline
 */
#include "mocks/gcp/compute.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/banned.h"

static const char *const quota_metrics[C_NCOLL] = {
        "STATIC_ADDRESSES", "HEALTH_CHECKS",           "BACKEND_SERVICES",
        "URL_MAPS",         "TARGET_HTTP_PROXIES",     "TARGET_HTTPS_PROXIES",
        "FORWARDING_RULES", "NETWORK_ENDPOINT_GROUPS", "FIREWALLS",
        "SSL_CERTIFICATES",
};

static double
jnum(const cJSON *o, const char *key, double dflt)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

        return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static bool
project_matches(const char *rule, const char *project)
{
        return !rule[0] || !strcmp(rule, "*") || !strcmp(rule, project);
}

bool
cmp_quota_check(struct gcp_compute *c, const char *project, enum cmp_coll coll, size_t count,
                struct cc_mock_resp *resp)
{
        size_t i;

        for (i = 0; i < c->nquotas; i++) {
                const struct cmp_quota *q = &c->quotas[i];

                if (!project_matches(q->project, project) || strcmp(q->metric, quota_metrics[coll]))
                        continue;
                if ((double)count + 1 > q->limit) {
                        gcp_error_v1(resp, 403, "quotaExceeded",
                                     "Quota '%s' exceeded.  Limit: %.1f globally.", q->metric,
                                     q->limit);
                        return false;
                }
        }
        return true;
}

bool
cmp_rate_check(struct gcp_compute *c, const char *project, bool mutate, struct cc_mock_resp *resp)
{
        int64_t sec = gcp_now_ms() / 1000;
        size_t i;

        for (i = 0; i < c->nrates; i++) {
                struct cmp_rate *r = &c->rates[i];
                const struct gcp_project *p;

                if (r->mutate != mutate || !project_matches(r->project, project) ||
                    r->per_second <= 0)
                        continue;
                if (r->window != sec) {
                        r->window = sec;
                        r->used = 0;
                }
                if (++r->used <= r->per_second)
                        continue;
                p = gcp_project_find(c->g, project);
                gcp_error_v1(resp, 403, "rateLimitExceeded",
                             "Quota exceeded for quota group '%s' and limit '%s per user per 100 "
                             "seconds' of service 'compute.googleapis.com' for consumer "
                             "'project_number:%s'.",
                             mutate ? "DefaultGroup" : "ReadGroup",
                             mutate ? "Queries" : "Read requests", p ? p->number : "0");
                return false;
        }
        return true;
}

static cJSON *
rules_json(const struct gcp_compute *c)
{
        cJSON *root = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(root, "rules");
        size_t i;

        for (i = 0; arr && i < c->nrules; i++) {
                const struct cmp_op_rule *r = &c->rules[i];
                cJSON *o = cJSON_CreateObject();

                cJSON_AddStringToObject(o, "action", r->fail ? "fail" : "hold");
                cJSON_AddStringToObject(o, "operationType", r->op_type);
                cJSON_AddStringToObject(o, "target", r->target);
                if (r->fail) {
                        cJSON_AddNumberToObject(o, "httpStatus", r->http);
                        cJSON_AddStringToObject(o, "code", r->code);
                        cJSON_AddStringToObject(o, "message", r->message);
                } else {
                        cJSON_AddNumberToObject(o, "polls", r->polls);
                }
                cJSON_AddNumberToObject(o, "times", r->times);
                cJSON_AddNumberToObject(o, "fired", r->fired);
                cJSON_AddItemToArray(arr, o);
        }
        return root;
}

static cJSON *
quotas_json(const struct gcp_compute *c)
{
        cJSON *root = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(root, "quotas");
        size_t i;

        for (i = 0; arr && i < c->nquotas; i++) {
                cJSON *o = cJSON_CreateObject();

                cJSON_AddStringToObject(o, "project", c->quotas[i].project);
                cJSON_AddStringToObject(o, "metric", c->quotas[i].metric);
                cJSON_AddNumberToObject(o, "limit", c->quotas[i].limit);
                cJSON_AddItemToArray(arr, o);
        }
        return root;
}

static cJSON *
rates_json(const struct gcp_compute *c)
{
        cJSON *root = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(root, "ratelimits");
        size_t i;

        for (i = 0; arr && i < c->nrates; i++) {
                cJSON *o = cJSON_CreateObject();

                cJSON_AddStringToObject(o, "project", c->rates[i].project);
                cJSON_AddStringToObject(o, "group", c->rates[i].mutate ? "mutate" : "read");
                cJSON_AddNumberToObject(o, "perSecond", c->rates[i].per_second);
                cJSON_AddItemToArray(arr, o);
        }
        return root;
}

static void
reply(struct cc_mock_resp *resp, cJSON *root)
{
        cc_mock_resp_json(resp, 200, root);
        cJSON_Delete(root);
}

static void
admin_error(struct cc_mock_resp *resp, int status, const char *msg)
{
        cJSON *root = cJSON_CreateObject();

        cJSON_AddStringToObject(root, "error", msg);
        cc_mock_resp_json(resp, status, root);
        cJSON_Delete(root);
}

/* parse a hold/fail rule body into r; NULL or an error message */
static const char *
parse_rule(const cJSON *b, bool fail, struct cmp_op_rule *r)
{
        const char *s;

        memset(r, 0, sizeof(*r));
        r->fail = fail;
        s = gcp_jstr(b, "operationType");
        if (s && strlen(s) >= sizeof(r->op_type))
                return "operationType too long";
        snprintf(r->op_type, sizeof(r->op_type), "%s", s ? s : "");
        s = gcp_jstr(b, "target");
        if (s && strlen(s) >= sizeof(r->target))
                return "target too long";
        snprintf(r->target, sizeof(r->target), "%s", s ? s : "");
        r->times = (int)jnum(b, "times", 0);
        if (r->times < 0)
                return "times must be >= 0";
        if (!fail) {
                r->polls = (int)jnum(b, "polls", 1);
                if (r->polls < 1 || r->polls > 100000)
                        return "polls must be 1..100000";
                return NULL;
        }
        r->http = (int)jnum(b, "httpStatus", 400);
        if (r->http < 400 || r->http > 599)
                return "httpStatus must be 400..599";
        s = gcp_jstr(b, "code");
        snprintf(r->code, sizeof(r->code), "%s", s ? s : "RESOURCE_OPERATION_FAILED");
        s = gcp_jstr(b, "message");
        snprintf(r->message, sizeof(r->message), "%s", s ? s : "The operation failed.");
        return NULL;
}

void
cmp_admin_handle(struct gcp_compute *c, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        const char *p = req->path + strlen("/_mock/compute/");
        bool post = !strcmp(req->method, "POST"), del = !strcmp(req->method, "DELETE");
        cJSON *b = NULL;
        const char *err = NULL;

        if (post) {
                b = cJSON_ParseWithLength(req->body, req->body_len);
                if (!cJSON_IsObject(b)) {
                        admin_error(resp, 400, "body must be a JSON object");
                        goto out;
                }
        }
        if (!strcmp(p, "ops/hold") || !strcmp(p, "ops/fail")) {
                struct cmp_op_rule r;

                if (!post) {
                        admin_error(resp, 405, "use POST");
                        goto out;
                }
                err = parse_rule(b, !strcmp(p, "ops/fail"), &r);
                if (!err && c->nrules == sizeof(c->rules) / sizeof(c->rules[0]))
                        err = "too many rules";
                if (err) {
                        admin_error(resp, 400, err);
                        goto out;
                }
                c->rules[c->nrules++] = r;
                gcp_changed(c->g);
                reply(resp, rules_json(c));
        } else if (!strcmp(p, "ops/rules")) {
                if (del) {
                        c->nrules = 0;
                        gcp_changed(c->g);
                }
                reply(resp, rules_json(c));
        } else if (!strcmp(p, "quotas")) {
                if (post) {
                        const char *proj = gcp_jstr(b, "project"), *metric = gcp_jstr(b, "metric");
                        double limit = jnum(b, "limit", -1);
                        struct cmp_quota *q = NULL;
                        size_t i;

                        if (!metric || strlen(metric) >= sizeof(q->metric) || limit < 0 ||
                            (proj && strlen(proj) >= sizeof(q->project))) {
                                admin_error(resp, 400, "need metric and limit >= 0");
                                goto out;
                        }
                        for (i = 0; i < c->nquotas; i++)
                                if (!strcmp(c->quotas[i].metric, metric) &&
                                    !strcmp(c->quotas[i].project, proj ? proj : "*"))
                                        q = &c->quotas[i];
                        if (!q && c->nquotas == sizeof(c->quotas) / sizeof(c->quotas[0])) {
                                admin_error(resp, 400, "too many quotas");
                                goto out;
                        }
                        if (!q)
                                q = &c->quotas[c->nquotas++];
                        snprintf(q->project, sizeof(q->project), "%s", proj ? proj : "*");
                        snprintf(q->metric, sizeof(q->metric), "%s", metric);
                        q->limit = limit;
                        gcp_changed(c->g);
                } else if (del) {
                        c->nquotas = 0;
                        gcp_changed(c->g);
                }
                reply(resp, quotas_json(c));
        } else if (!strcmp(p, "ratelimits")) {
                if (post) {
                        const char *proj = gcp_jstr(b, "project"), *group = gcp_jstr(b, "group");
                        int per = (int)jnum(b, "perSecond", -1);
                        struct cmp_rate *r = NULL;
                        bool mutate;
                        size_t i;

                        if (!group || (strcmp(group, "read") && strcmp(group, "mutate")) ||
                            per < 0 || (proj && strlen(proj) >= sizeof(r->project))) {
                                admin_error(resp, 400, "need group read|mutate and perSecond >= 0");
                                goto out;
                        }
                        mutate = !strcmp(group, "mutate");
                        for (i = 0; i < c->nrates; i++)
                                if (c->rates[i].mutate == mutate &&
                                    !strcmp(c->rates[i].project, proj ? proj : "*"))
                                        r = &c->rates[i];
                        if (!r && c->nrates == sizeof(c->rates) / sizeof(c->rates[0])) {
                                admin_error(resp, 400, "too many rate limits");
                                goto out;
                        }
                        if (!r)
                                r = &c->rates[c->nrates++];
                        memset(r, 0, sizeof(*r));
                        snprintf(r->project, sizeof(r->project), "%s", proj ? proj : "*");
                        r->mutate = mutate;
                        r->per_second = per;
                        gcp_changed(c->g);
                } else if (del) {
                        c->nrates = 0;
                        gcp_changed(c->g);
                }
                reply(resp, rates_json(c));
        } else if (!strncmp(p, "sslCertificates/", 16) && post) {
                char proj[64], name[64];
                const char *rest = p + 16, *slash = strchr(rest, '/');
                const char *state = gcp_jstr(b, "state");

                if (!slash || (size_t)(slash - rest) >= sizeof(proj) ||
                    strlen(slash + 1) >= sizeof(name) || !state ||
                    (strcmp(state, "ACTIVE") && strcmp(state, "FAILED"))) {
                        admin_error(resp, 400,
                                    "use /_mock/compute/sslCertificates/{project}/{name} with "
                                    "{\"state\": \"ACTIVE\"|\"FAILED\"}");
                        goto out;
                }
                snprintf(proj, sizeof(proj), "%.*s", (int)(slash - rest), rest);
                snprintf(name, sizeof(name), "%s", slash + 1);
                if (!cmp_cert_force(c, proj, name, state, gcp_jstr(b, "domainStatus"))) {
                        admin_error(resp, 404, "no such MANAGED sslCertificate");
                        goto out;
                }
                cc_mock_resp_text(resp, 200, "application/json", "{}");
        } else if (!strcmp(p, "config") && post) {
                double w = jnum(b, "waitMaxMs", -1);

                if (w < 0 || w > 600000) {
                        admin_error(resp, 400, "waitMaxMs must be 0..600000");
                        goto out;
                }
                c->wait_max_ms = (int)w;
                cc_mock_resp_text(resp, 200, "application/json", "{}");
        } else {
                admin_error(resp, 404, "no such compute admin endpoint");
        }
out:
        cJSON_Delete(b);
}

static void
move_list(cJSON *dst, cJSON *src, const char *key)
{
        if (src)
                cJSON_AddItemToObject(dst, key, cJSON_DetachItemFromObject(src, key));
        cJSON_Delete(src);
}

cJSON *
cmp_admin_dump(const struct gcp_compute *c)
{
        cJSON *root = cJSON_CreateObject();

        if (!root)
                return NULL;
        move_list(root, rules_json(c), "rules");
        move_list(root, quotas_json(c), "quotas");
        move_list(root, rates_json(c), "ratelimits");
        cJSON_AddNumberToObject(root, "waitMaxMs", c->wait_max_ms);
        return root;
}

void
cmp_admin_load(struct gcp_compute *c, const cJSON *saved)
{
        const cJSON *it;

        if (!cJSON_IsObject(saved))
                return;
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(saved, "rules"))
        {
                struct cmp_op_rule r;
                const char *a = gcp_jstr(it, "action");

                if (c->nrules == sizeof(c->rules) / sizeof(c->rules[0]) || !a ||
                    parse_rule(it, !strcmp(a, "fail"), &r))
                        continue;
                r.fired = (int)jnum(it, "fired", 0);
                c->rules[c->nrules++] = r;
        }
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(saved, "quotas"))
        {
                struct cmp_quota *q;

                if (c->nquotas == sizeof(c->quotas) / sizeof(c->quotas[0]) ||
                    !gcp_jstr(it, "metric"))
                        continue;
                q = &c->quotas[c->nquotas++];
                snprintf(q->project, sizeof(q->project), "%s",
                         gcp_jstr(it, "project") ? gcp_jstr(it, "project") : "*");
                snprintf(q->metric, sizeof(q->metric), "%s", gcp_jstr(it, "metric"));
                q->limit = jnum(it, "limit", 0);
        }
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(saved, "ratelimits"))
        {
                struct cmp_rate *r;

                if (c->nrates == sizeof(c->rates) / sizeof(c->rates[0]) || !gcp_jstr(it, "group"))
                        continue;
                r = &c->rates[c->nrates++];
                memset(r, 0, sizeof(*r));
                snprintf(r->project, sizeof(r->project), "%s",
                         gcp_jstr(it, "project") ? gcp_jstr(it, "project") : "*");
                r->mutate = !strcmp(gcp_jstr(it, "group"), "mutate");
                r->per_second = (int)jnum(it, "perSecond", 0);
        }
        c->wait_max_ms = (int)jnum(saved, "waitMaxMs", 120000);
}
