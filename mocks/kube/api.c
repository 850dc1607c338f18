/* api.c -- mock-kube's HTTP face: routing, auth, content negotiation, Table
 * output, Status errors and the /_mock/ admin endpoints. */

#include <fnmatch.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/alloc.h"
#include "mocks/kube/kube.h"
#include "core/banned.h"

#define MAX_SEGS 10

/* --- Table --------------------------------------------------------------- */

struct column {
        const char *kind;
        const char *name;
        const char *a, *b, *c; /* field path, or a=NULL and c = condition type */
};

static const struct column columns[] = {
        { "Namespace", "Status", "status", "phase", NULL },
        { "Service", "Type", "spec", "type", NULL },
        { "Service", "Cluster-IP", "spec", "clusterIP", NULL },
        { "Lease", "Holder", "spec", "holderIdentity", NULL },
        { "GatewayClass", "Controller", "spec", "controllerName", NULL },
        { "GatewayClass", "Accepted", NULL, NULL, "Accepted" },
        { "Gateway", "Class", "spec", "gatewayClassName", NULL },
        { "Gateway", "Address", "status", "addresses", NULL },
        { "Gateway", "Programmed", NULL, NULL, "Programmed" },
        { "HTTPRoute", "Hostnames", "spec", "hostnames", NULL },
        { "GRPCRoute", "Hostnames", "spec", "hostnames", NULL },
};

static cJSON *
coldef(const char *name, const char *type, const char *format, const char *desc)
{
        cJSON *c = cJSON_CreateObject();

        cJSON_AddStringToObject(c, "name", name);
        cJSON_AddStringToObject(c, "type", type);
        cJSON_AddStringToObject(c, "format", format);
        cJSON_AddStringToObject(c, "description", desc);
        cJSON_AddNumberToObject(c, "priority", 0);
        return c;
}

static cJSON *
cell(const struct column *col, const cJSON *obj)
{
        const cJSON *v, *it;

        if (!col->a) {
                cJSON_ArrayForEach(
                    it, cJSON_GetObjectItemCaseSensitive(
                            cJSON_GetObjectItemCaseSensitive(obj, "status"), "conditions"))
                {
                        const char *t = kube_str(it, "type", NULL),
                                   *s = kube_str(it, "status", NULL);

                        if (t && s && !strcmp(t, col->c))
                                return cJSON_CreateString(s);
                }
                return cJSON_CreateNull();
        }
        v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, col->a), col->b);
        if (cJSON_IsString(v))
                return cJSON_CreateString(v->valuestring);
        if (cJSON_IsNumber(v))
                return cJSON_CreateNumber(v->valuedouble);
        if (cJSON_IsArray(v) && cJSON_GetArraySize(v)) {
                struct cc_buf b = CC_BUF_INIT(4096);
                cJSON *out;
                size_t n = 0;

                cJSON_ArrayForEach(it, v)
                {
                        const char *s =
                            cJSON_IsString(it) ? it->valuestring : kube_str(it, "value", NULL);

                        if (s)
                                cc_buf_printf(&b, "%s%s", n++ ? "," : "", s);
                }
                out = cJSON_CreateString(cc_buf_str(&b));
                cc_buf_release(&b);
                return out;
        }
        return cJSON_CreateNull();
}

static void
age(const char *ts, char *out, size_t n)
{
        struct tm tm;
        long s;

        memset(&tm, 0, sizeof(tm));
        if (!ts || !strptime(ts, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
                snprintf(out, n, "<unknown>");
                return;
        }
        s = (long)(time(NULL) - timegm(&tm));
        if (s < 0)
                s = 0;
        if (s < 120)
                snprintf(out, n, "%lds", s);
        else if (s < 7200)
                snprintf(out, n, "%ldm", s / 60);
        else if (s < 48 * 3600)
                snprintf(out, n, "%ldh", s / 3600);
        else
                snprintf(out, n, "%ldd", s / 86400);
}

cJSON *
kube_table(struct kube *k, const struct kube_res *r, cJSON *const *objs, size_t n, const char *rv,
           const char *cont, const char *include)
{
        cJSON *t = cJSON_CreateObject(), *md, *cols, *rows;
        size_t i, c;

        (void)k;
        cJSON_AddStringToObject(t, "kind", "Table");
        cJSON_AddStringToObject(t, "apiVersion", "meta.k8s.io/v1");
        md = cJSON_AddObjectToObject(t, "metadata");
        if (rv)
                cJSON_AddStringToObject(md, "resourceVersion", rv);
        if (cont)
                cJSON_AddStringToObject(md, "continue", cont);
        cols = cJSON_AddArrayToObject(t, "columnDefinitions");
        cJSON_AddItemToArray(
            cols, coldef("Name", "string", "name", "Name must be unique within a namespace."));
        for (c = 0; c < sizeof(columns) / sizeof(columns[0]); c++)
                if (!strcmp(columns[c].kind, r->kind))
                        cJSON_AddItemToArray(cols, coldef(columns[c].name, "string", "", ""));
        cJSON_AddItemToArray(cols, coldef("Age", "date", "", "CreationTimestamp"));
        rows = cJSON_AddArrayToObject(t, "rows");
        for (i = 0; i < n; i++) {
                cJSON *row = cJSON_CreateObject(), *cells = cJSON_AddArrayToObject(row, "cells");
                const char *name = kube_str(objs[i], "metadata", "name");
                char a[32];

                cJSON_AddItemToArray(cells, cJSON_CreateString(name ? name : ""));
                for (c = 0; c < sizeof(columns) / sizeof(columns[0]); c++)
                        if (!strcmp(columns[c].kind, r->kind))
                                cJSON_AddItemToArray(cells, cell(&columns[c], objs[i]));
                age(kube_str(objs[i], "metadata", "creationTimestamp"), a, sizeof(a));
                cJSON_AddItemToArray(cells, cJSON_CreateString(a));
                if (include && !strcmp(include, "Object")) {
                        cJSON_AddItemToObject(row, "object", cJSON_Duplicate(objs[i], true));
                } else if (!include || strcmp(include, "None")) {
                        cJSON *po = cJSON_AddObjectToObject(row, "object");
                        const cJSON *m = cJSON_GetObjectItemCaseSensitive(objs[i], "metadata");

                        cJSON_AddStringToObject(po, "kind", "PartialObjectMetadata");
                        cJSON_AddStringToObject(po, "apiVersion", "meta.k8s.io/v1");
                        cJSON_AddItemToObject(po, "metadata",
                                              m ? cJSON_Duplicate(m, true) : cJSON_CreateObject());
                }
                cJSON_AddItemToArray(rows, row);
        }
        return t;
}

/* --- request helpers ----------------------------------------------------- */

static void
reply(struct cc_mock_resp *resp, int code, cJSON *body)
{
        cc_mock_resp_json(resp, code, body);
        snprintf(resp->content_type, sizeof(resp->content_type), "application/json");
        cc_mock_resp_header(resp, "Cache-Control", "no-cache, private");
        cJSON_Delete(body);
}

static void
reply_status(struct cc_mock_resp *resp, int code, const char *reason, const char *msg)
{
        reply(resp, code, kube_status(code, reason, msg, NULL, NULL));
}

static void
not_found_path(struct cc_mock_resp *resp)
{
        reply_status(resp, 404, "NotFound", "the server could not find the requested resource");
}

static bool
accept_has(const struct cc_mock_req *req, const char *needle)
{
        const char *a = cc_mock_req_header(req, "Accept");

        return a && strcasestr(a, needle);
}

static const char *
arg(const struct cc_mock_req *req, const char *name)
{
        const char *v = cc_mock_req_arg(req, name);

        return v && v[0] ? v : NULL;
}

/* fieldManager, else the User-Agent's program name (like the apiserver) */
static void
manager_of(const struct cc_mock_req *req, char *out, size_t n)
{
        const char *fm = arg(req, "fieldManager");
        const char *ua = cc_mock_req_header(req, "User-Agent");
        size_t i = 0;

        if (fm) {
                snprintf(out, n, "%s", fm);
                return;
        }
        if (!ua || !ua[0])
                ua = "unknown";
        while (ua[i] && ua[i] != '/' && i + 1 < n) {
                out[i] = ua[i];
                i++;
        }
        out[i] = 0;
}

static bool
body_is_protobuf(const struct cc_mock_req *req)
{
        const char *ct = cc_mock_req_header(req, "Content-Type");

        return ct && (strcasestr(ct, "protobuf") || strcasestr(ct, "cbor"));
}

/* --- discovery and other fixed documents ---------------------------------- */

static bool
serve_fixed(struct kube *k, const struct cc_mock_req *req, struct cc_mock_resp *resp,
            const char **segs, size_t n)
{
        cJSON *doc = NULL;

        if (!n)
                return false;
        if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD"))
                return false;
        if (n == 1 && !strcmp(segs[0], "version")) {
                char minor[16], git[32];

                snprintf(minor, sizeof(minor), "%d", k->cfg.minor);
                snprintf(git, sizeof(git), "v1.%d.4", k->cfg.minor);
                doc = cJSON_CreateObject();
                cJSON_AddStringToObject(doc, "major", "1");
                cJSON_AddStringToObject(doc, "minor", minor);
                cJSON_AddStringToObject(doc, "gitVersion", git);
                cJSON_AddStringToObject(doc, "gitCommit",
                                        "0000000000000000000000000000000000000000");
                cJSON_AddStringToObject(doc, "gitTreeState", "clean");
                cJSON_AddStringToObject(doc, "buildDate", "2025-01-01T00:00:00Z");
                cJSON_AddStringToObject(doc, "goVersion", "go1.23.8");
                cJSON_AddStringToObject(doc, "compiler", "gc");
                cJSON_AddStringToObject(doc, "platform", "linux/amd64");
                resp->api = "version";
                reply(resp, 200, doc);
                return true;
        }
        if (n == 1 && (!strcmp(segs[0], "healthz") || !strcmp(segs[0], "livez") ||
                       !strcmp(segs[0], "readyz"))) {
                cc_mock_resp_text(resp, 200, "text/plain; charset=utf-8", "ok");
                resp->api = "health";
                return true;
        }
        if (!strcmp(segs[0], "openapi")) {
                resp->api = "openapi";
                if (n == 2 && !strcmp(segs[1], "v3")) {
                        reply(resp, 200, kube_openapi_index());
                        return true;
                }
                if (n >= 3 && !strcmp(segs[1], "v3")) {
                        char p[256];

                        if (n == 4)
                                snprintf(p, sizeof(p), "%s/%s", segs[2], segs[3]);
                        else if (n == 5)
                                snprintf(p, sizeof(p), "%s/%s/%s", segs[2], segs[3], segs[4]);
                        else
                                p[0] = 0;
                        doc = p[0] ? kube_openapi_gv(p) : NULL;
                        if (doc) {
                                reply(resp, 200, doc);
                                return true;
                        }
                }
                not_found_path(resp);
                return true;
        }
        if ((n == 1 && (!strcmp(segs[0], "api") || !strcmp(segs[0], "apis")))) {
                bool core = !strcmp(segs[0], "api");

                resp->api = "discovery";
                if (!k->cfg.legacy_discovery && accept_has(req, "as=APIGroupDiscoveryList")) {
                        reply(resp, 200, kube_disc_aggregated(core));
                        snprintf(resp->content_type, sizeof(resp->content_type),
                                 "application/json;g=apidiscovery.k8s.io;v=v2;"
                                 "as=APIGroupDiscoveryList");
                        return true;
                }
                reply(resp, 200,
                      core ? kube_disc_api_versions(k->srv ? cc_mocksrv_port(k->srv) : 0)
                           : kube_disc_group_list());
                return true;
        }
        if ((n == 2 && !strcmp(segs[0], "api")) || (n == 3 && !strcmp(segs[0], "apis"))) {
                resp->api = "discovery";
                doc = n == 2 ? kube_disc_resource_list("", segs[1])
                             : kube_disc_resource_list(segs[1], segs[2]);
                if (!doc)
                        not_found_path(resp);
                else
                        reply(resp, 200, doc);
                return true;
        }
        return false;
}

/* --- resources ----------------------------------------------------------- */

struct target {
        const struct kube_res *res;
        const char *ns; /* NULL: none in the URL */
        const char *name;
        const char *sub;
};

static bool
parse_target(const char **segs, size_t n, struct target *t)
{
        const char *group, *version;
        const char **rest;
        size_t nr;

        memset(t, 0, sizeof(*t));
        if (n >= 2 && !strcmp(segs[0], "api")) {
                group = "";
                version = segs[1];
                rest = segs + 2;
                nr = n - 2;
        } else if (n >= 3 && !strcmp(segs[0], "apis")) {
                group = segs[1];
                version = segs[2];
                rest = segs + 3;
                nr = n - 3;
        } else {
                return false;
        }
        if (!nr)
                return false;
        if (!strcmp(rest[0], "namespaces") && nr >= 3) {
                const struct kube_res *r = kube_res_find(group, version, rest[2]);

                if (r && r->namespaced) {
                        t->ns = rest[1];
                        rest += 2;
                        nr -= 2;
                } else if (group[0] || nr != 3 ||
                           (strcmp(rest[2], "status") && strcmp(rest[2], "finalize"))) {
                        return false;
                }
        }
        t->res = kube_res_find(group, version, rest[0]);
        if (!t->res || nr > 3)
                return false;
        if (nr >= 2)
                t->name = rest[1];
        if (nr == 3)
                t->sub = rest[2];
        if (t->name && t->res->namespaced && !t->ns)
                return false;
        if (t->sub) {
                if (!strcmp(t->sub, "status") && (t->res->flags & KR_STATUS))
                        return true;
                if (!strcmp(t->sub, "finalize") && (t->res->flags & KR_FINALIZE))
                        return true;
                return false;
        }
        return true;
}

static bool
conflict_fault(struct kube *k, const struct cc_mock_req *req, const struct target *t,
               struct cc_mock_resp *resp)
{
        size_t i;

        for (i = 0; i < k->nconflicts; i++) {
                struct kube_conflict_rule *c = &k->conflicts[i];
                char qp[160], msg[600];

                if (!c->remaining || (c->method[0] && strcasecmp(c->method, req->method)) ||
                    fnmatch(c->path, req->path, 0))
                        continue;
                c->remaining--;
                kube_res_qualified_plural(t->res, qp, sizeof(qp));
                snprintf(msg, sizeof(msg),
                         "Operation cannot be fulfilled on %s \"%s\": the object has been "
                         "modified; please apply your changes to the latest version and try "
                         "again",
                         qp, t->name ? t->name : "");
                reply(resp, 409, kube_status(409, "Conflict", msg, t->res, t->name));
                return true;
        }
        return false;
}

static void
reply_object(struct kube *k, const struct cc_mock_req *req, const struct target *t,
             struct cc_mock_resp *resp, int code, cJSON *obj)
{
        if (code == 200 && !strcmp(req->method, "GET") && !k->cfg.no_table &&
            accept_has(req, "as=Table") && !t->sub) {
                cJSON *const objs[1] = { obj };
                cJSON *tab =
                    kube_table(k, t->res, objs, 1, kube_str(obj, "metadata", "resourceVersion"),
                               NULL, arg(req, "includeObject"));

                cJSON_Delete(obj);
                reply(resp, 200, tab);
                snprintf(resp->content_type, sizeof(resp->content_type),
                         "application/json;as=Table;v=v1;g=meta.k8s.io");
                return;
        }
        reply(resp, code, obj);
}

static void
serve_collection(struct kube *k, const struct cc_mock_req *req, const struct target *t,
                 struct cc_mock_resp *resp)
{
        cJSON *out = NULL;
        int code;

        if (!strcmp(req->method, "GET") && kube_is_true(arg(req, "watch"))) {
                struct kube_watch_opts wo = { 0 };
                const union MHD_ConnectionInfo *ci =
                    req->conn
                        ? MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD)
                        : NULL;

                wo.label_selector = arg(req, "labelSelector");
                wo.field_selector = arg(req, "fieldSelector");
                wo.resource_version = arg(req, "resourceVersion");
                wo.timeout_seconds = arg(req, "timeoutSeconds");
                wo.bookmarks = kube_is_true(arg(req, "allowWatchBookmarks"));
                wo.send_initial = kube_is_true(arg(req, "sendInitialEvents"));
                wo.table = !k->cfg.no_table && accept_has(req, "as=Table");
                wo.include_object = arg(req, "includeObject");
                wo.path = req->path;
                wo.fd = ci ? ci->connect_fd : -1;
                code =
                    kube_watch_start(k, t->res, t->res->namespaced ? t->ns : NULL, &wo, resp, &out);
                if (code != 200)
                        reply(resp, code, out);
                resp->mutating = 0;
                return;
        }
        if (!strcmp(req->method, "GET")) {
                struct kube_list_opts lo = { 0 };

                lo.label_selector = arg(req, "labelSelector");
                lo.field_selector = arg(req, "fieldSelector");
                lo.limit = arg(req, "limit");
                lo.cont = arg(req, "continue");
                lo.resource_version = arg(req, "resourceVersion");
                lo.rv_match = arg(req, "resourceVersionMatch");
                code = kube_list(k, t->res, t->res->namespaced ? t->ns : NULL, &lo, &out);
                if (code == 200 && !k->cfg.no_table && accept_has(req, "as=Table")) {
                        const cJSON *items = cJSON_GetObjectItemCaseSensitive(out, "items");
                        size_t n = (size_t)cJSON_GetArraySize(items), i = 0;
                        cJSON **v = cc_calloc(n + 1, sizeof(*v)), *it, *tab;
                        const cJSON *md = cJSON_GetObjectItemCaseSensitive(out, "metadata");

                        cJSON_ArrayForEach(it, items) if (v) v[i++] = it;
                        tab = kube_table(k, t->res, v, v ? n : 0,
                                         kube_str(md, "resourceVersion", NULL),
                                         kube_str(md, "continue", NULL), arg(req, "includeObject"));
                        cc_free(v);
                        cJSON_Delete(out);
                        reply(resp, 200, tab);
                        snprintf(resp->content_type, sizeof(resp->content_type),
                                 "application/json;as=Table;v=v1;g=meta.k8s.io");
                        return;
                }
                reply(resp, code, out);
                return;
        }
        if (!strcmp(req->method, "POST")) {
                struct kube_write_opts wo = { 0 };
                char mgr[128];
                cJSON *body;

                if (t->res->namespaced && !t->ns) {
                        reply_status(resp, 405, "MethodNotAllowed",
                                     "the server does not allow this method on the requested "
                                     "resource");
                        return;
                }
                if (body_is_protobuf(req)) {
                        reply_status(resp, 415, "UnsupportedMediaType",
                                     "the body of the request was in an unknown format - "
                                     "accepted media types include: application/json");
                        return;
                }
                body = cJSON_ParseWithLength(req->body, req->body_len);
                if (!body) {
                        reply_status(resp, 400, "BadRequest",
                                     "the request body is not valid JSON (mock-kube accepts "
                                     "JSON only)");
                        return;
                }
                manager_of(req, mgr, sizeof(mgr));
                wo.manager = mgr;
                wo.dry_run = arg(req, "dryRun") != NULL;
                wo.sub = "";
                code = kube_create(k, t->res, t->ns ? t->ns : "", body, &wo, &out);
                cJSON_Delete(body);
                reply(resp, code, out);
                return;
        }
        if (!strcmp(req->method, "DELETE")) {
                struct kube_list_opts lo = { 0 };
                cJSON *list = NULL, *it, *res;

                lo.label_selector = arg(req, "labelSelector");
                lo.field_selector = arg(req, "fieldSelector");
                code = kube_list(k, t->res, t->res->namespaced ? t->ns : NULL, &lo, &list);
                if (code != 200) {
                        reply(resp, code, list);
                        return;
                }
                cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(list, "items"))
                {
                        const char *ns = kube_str(it, "metadata", "namespace");

                        res = NULL;
                        kube_delete(k, t->res, ns ? ns : "", kube_str(it, "metadata", "name"), NULL,
                                    arg(req, "propagationPolicy"), arg(req, "dryRun"), &res);
                        cJSON_Delete(res);
                }
                reply(resp, 200, list);
                return;
        }
        reply_status(resp, 405, "MethodNotAllowed",
                     "the server does not allow this method on the requested resource");
}

static void
serve_item(struct kube *k, const struct cc_mock_req *req, const struct target *t,
           struct cc_mock_resp *resp)
{
        const char *ns = t->res->namespaced ? t->ns : "";
        struct kube_write_opts wo = { 0 };
        char mgr[128];
        cJSON *out = NULL, *body = NULL;
        int code;

        manager_of(req, mgr, sizeof(mgr));
        wo.manager = mgr;
        wo.dry_run = arg(req, "dryRun") != NULL;
        wo.force = kube_is_true(arg(req, "force"));
        wo.sub = t->sub && !strcmp(t->sub, "status") ? "status" : "";
        if (!strcmp(req->method, "GET")) {
                code = kube_get(k, t->res, ns, t->name, &out);
                reply_object(k, req, t, resp, code, out);
                return;
        }
        if (strcmp(req->method, "PUT") && strcmp(req->method, "PATCH") &&
            strcmp(req->method, "DELETE")) {
                reply_status(resp, 405, "MethodNotAllowed",
                             "the server does not allow this method on the requested resource");
                return;
        }
        if (conflict_fault(k, req, t, resp))
                return;
        if (body_is_protobuf(req)) {
                reply_status(resp, 415, "UnsupportedMediaType",
                             "the body of the request was in an unknown format - accepted media "
                             "types include: application/json");
                return;
        }
        if (!strcmp(req->method, "PATCH")) {
                code = kube_patch(k, t->res, ns, t->name, cc_mock_req_header(req, "Content-Type"),
                                  req->body, req->body_len, &wo, &out);
                reply(resp, code, out);
                return;
        }
        if (req->body_len) {
                body = cJSON_ParseWithLength(req->body, req->body_len);
                if (!body) {
                        reply_status(resp, 400, "BadRequest",
                                     "the request body is not valid JSON (mock-kube accepts "
                                     "JSON only)");
                        return;
                }
        }
        if (!strcmp(req->method, "PUT")) {
                if (!body) {
                        reply_status(resp, 400, "BadRequest", "the request body is empty");
                        return;
                }
                code = kube_update(k, t->res, ns, t->name, body, &wo, &out);
        } else {
                code = kube_delete(k, t->res, ns, t->name, body, arg(req, "propagationPolicy"),
                                   wo.dry_run, &out);
        }
        cJSON_Delete(body);
        reply(resp, code, out);
}

/* authorized -- as the apiserver's authenticators: a client certificate
 * verified against --client-ca, or the bearer token.  With neither
 * configured, everyone is let in (anonymous). */
static bool
authorized(struct kube *k, const struct cc_mock_req *req)
{
        const char *h;

        if (!k->cfg.token[0] && !k->cfg.client_certs)
                return true;
        if (k->cfg.client_certs && req->client_subject)
                return true;
        if (!k->cfg.token[0])
                return false;
        h = cc_mock_req_header(req, "Authorization");
        return h && !strncmp(h, "Bearer ", 7) && !strcmp(h + 7, k->cfg.token);
}

void
kube_handle(void *ud, struct cc_mocksrv *srv, const struct cc_mock_req *req,
            struct cc_mock_resp *resp)
{
        struct kube *k = ud;
        char path[2048];
        const char *segs[MAX_SEGS];
        size_t n = 0;
        char *p, *save = NULL;
        const struct kube_res *served;
        struct target t;

        (void)srv;
        resp->api = "kube";
        if (!authorized(k, req)) {
                resp->api = "unauthorized";
                reply_status(resp, 401, "Unauthorized", "Unauthorized");
                return;
        }
        if (strlen(req->path) >= sizeof(path)) {
                not_found_path(resp);
                return;
        }
        snprintf(path, sizeof(path), "%s", req->path);
        for (p = strtok_r(path, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
                if (n == MAX_SEGS) {
                        not_found_path(resp);
                        return;
                }
                segs[n++] = p;
        }
        if (serve_fixed(k, req, resp, segs, n) || kube_crd_serve(req, resp, segs, n))
                return;
        if (!parse_target(segs, n, &t)) {
                not_found_path(resp);
                return;
        }
        resp->api = t.res->plural;
        served = t.res->storage ? t.res : NULL;
        if (served)
                t.res = served->storage;
        if (t.name)
                serve_item(k, req, &t, resp);
        else
                serve_collection(k, req, &t, resp);
        if (served && resp->stream_ud)
                kube_watch_serve_as(resp->stream_ud, served);
        if (served && !resp->stream && resp->body.len) {
                /* answer in the version that was asked for */
                cJSON *doc = cJSON_ParseWithLength(resp->body.data, resp->body.len);
                char from[128], to[128];
                char *text;

                kube_res_api_version(served->storage, from, sizeof(from));
                kube_res_api_version(served, to, sizeof(to));
                kube_rewrite_api_version(doc, from, to);
                text = doc ? cJSON_PrintUnformatted(doc) : NULL;
                if (text) {
                        cc_buf_reset(&resp->body);
                        cc_buf_puts(&resp->body, text);
                        cJSON_free(text);
                }
                cJSON_Delete(doc);
        }
}

void
kube_rewrite_api_version(cJSON *o, const char *from, const char *to)
{
        cJSON *it;

        if (!o)
                return;
        for (it = o->child; it; it = it->next) {
                if (it->string && !strcmp(it->string, "apiVersion") && cJSON_IsString(it) &&
                    !strcmp(it->valuestring, from))
                        cJSON_SetValuestring(it, to);
                else if (cJSON_IsObject(it) || cJSON_IsArray(it))
                        kube_rewrite_api_version(it, from, to);
        }
}

/* --- admin --------------------------------------------------------------- */

static void
admin_json(struct cc_mock_resp *resp, int code, cJSON *body)
{
        cc_mock_resp_json(resp, code, body);
        cJSON_Delete(body);
}

static void
admin_error(struct cc_mock_resp *resp, int code, const char *msg)
{
        cJSON *e = cJSON_CreateObject();

        cJSON_AddStringToObject(e, "error", msg);
        admin_json(resp, code, e);
}

static void
kube_admin(void *ud, struct cc_mocksrv *srv, const struct cc_mock_req *req,
           struct cc_mock_resp *resp)
{
        struct kube *k = ud;
        const char *p = req->path + strlen("/_mock/");
        cJSON *body = req->body_len ? cJSON_ParseWithLength(req->body, req->body_len) : NULL;
        cJSON *out = cJSON_CreateObject();
        const char *path = kube_str(body, "path", NULL);

        (void)srv;
        if (!strcmp(p, "compact") && !strcmp(req->method, "POST")) {
                kube_compact(k);
                cJSON_AddNumberToObject(out, "compacted", (double)k->compacted);
        } else if (!strcmp(p, "conflicts")) {
                if (!strcmp(req->method, "POST")) {
                        const cJSON *times = cJSON_GetObjectItemCaseSensitive(body, "times");
                        struct kube_conflict_rule *c;

                        if (!path || k->nconflicts == 16) {
                                admin_error(resp, 400,
                                            "conflict rule needs a 'path' pattern "
                                            "(at most 16 rules)");
                                goto out;
                        }
                        c = &k->conflicts[k->nconflicts++];
                        memset(c, 0, sizeof(*c));
                        snprintf(c->method, sizeof(c->method), "%s",
                                 kube_str(body, "method", NULL) ? kube_str(body, "method", NULL)
                                                                : "");
                        snprintf(c->path, sizeof(c->path), "%s", path);
                        c->remaining = cJSON_IsNumber(times) && times->valuedouble >= 1
                                           ? (unsigned)times->valuedouble
                                           : 1;
                } else if (!strcmp(req->method, "DELETE")) {
                        k->nconflicts = 0;
                }
                {
                        cJSON *arr = cJSON_AddArrayToObject(out, "conflicts");
                        size_t i;

                        for (i = 0; i < k->nconflicts; i++) {
                                cJSON *c = cJSON_CreateObject();

                                cJSON_AddStringToObject(c, "method", k->conflicts[i].method);
                                cJSON_AddStringToObject(c, "path", k->conflicts[i].path);
                                cJSON_AddNumberToObject(c, "remaining", k->conflicts[i].remaining);
                                cJSON_AddItemToArray(arr, c);
                        }
                }
        } else if (!strcmp(p, "drop-watches") && !strcmp(req->method, "POST")) {
                const cJSON *cnt = cJSON_GetObjectItemCaseSensitive(body, "count");
                const cJSON *fut = cJSON_GetObjectItemCaseSensitive(body, "future");
                size_t n = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "all")) ? (size_t)-1
                           : cJSON_IsNumber(cnt) && cnt->valuedouble >= 0 ? (size_t)cnt->valuedouble
                                                                          : 1;

                if (!path)
                        path = "*";
                cJSON_AddNumberToObject(out, "dropped", (double)kube_watch_drop(k, path, n));
                if (cJSON_IsNumber(fut) && fut->valuedouble >= 1) {
                        if (k->ndrops == 16) {
                                admin_error(resp, 400, "too many drop rules");
                                goto out;
                        }
                        snprintf(k->drops[k->ndrops].path, sizeof(k->drops[0].path), "%s", path);
                        k->drops[k->ndrops].remaining = (unsigned)fut->valuedouble;
                        k->ndrops++;
                }
        } else if (!strcmp(p, "watches")) {
                cJSON_AddNumberToObject(out, "open", (double)kube_watch_count(k));
        } else if (!strcmp(p, "objects")) {
                cJSON *arr = cJSON_AddArrayToObject(out, "objects");
                size_t i;

                for (i = 0; i < k->nobjs; i++)
                        cJSON_AddItemToArray(arr, cJSON_Duplicate(k->objs[i].obj, true));
                cJSON_AddNumberToObject(out, "resourceVersion", (double)k->rv);
        } else if (!strcmp(p, "pods")) {
                if (!strcmp(req->method, "PUT")) {
                        const char *ns = kube_str(body, "namespace", NULL);
                        const char *dep = kube_str(body, "deployment", NULL);
                        const cJSON *ready = cJSON_GetObjectItemCaseSensitive(body, "ready");

                        if (!ns || !ns[0] || !dep || !dep[0] || !cJSON_IsBool(ready)) {
                                admin_error(resp, 400,
                                            "pods needs 'namespace', 'deployment' and a boolean "
                                            "'ready'");
                                goto out;
                        }
                        if (!kube_pod_hold(k, ns, dep, cJSON_IsTrue(ready))) {
                                admin_error(resp, 500, "out of memory");
                                goto out;
                        }
                        /* the Deployment controller acts on its next pass */
                        k->gc.dirty = true;
                        pthread_cond_broadcast(&k->cond);
                } else if (strcmp(req->method, "GET")) {
                        admin_error(resp, 405, "pods takes GET or PUT");
                        goto out;
                }
                cJSON_AddItemToObject(out, "holds", kube_pod_holds(k));
        } else if (!strcmp(p, "gke")) {
                cJSON_AddNumberToObject(out, "syncs", (double)k->gke.syncs);
                cJSON_AddBoolToObject(out, "enabled", k->gke.gcp_url != NULL);
                cJSON_AddItemToObject(out, "negs",
                                      k->gke.state ? cJSON_Duplicate(k->gke.state, true)
                                                   : cJSON_CreateObject());
        } else {
                admin_error(resp, 404, "no such admin endpoint");
                goto out;
        }
        admin_json(resp, 200, out);
        out = NULL;
out:
        cJSON_Delete(out);
        cJSON_Delete(body);
}

static void
kube_fault_body(void *ud, const struct cc_mock_req *req, int status, struct cc_mock_resp *resp)
{
        const char *reason = "";
        const char *msg = "injected fault";

        (void)ud;
        (void)req;
        switch (status) {
        case 409:
                reason = "Conflict";
                msg = "Operation cannot be fulfilled: the object has been modified; please apply "
                      "your changes to the latest version and try again";
                break;
        case 413:
                reason = "RequestEntityTooLarge";
                msg = "Request entity too large";
                break;
        case 429:
                reason = "TooManyRequests";
                msg = "the server has received too many requests and has asked us to try again "
                      "later";
                break;
        case 500:
                reason = "InternalError";
                msg = "an error on the server (\"injected fault\") has prevented the request from "
                      "succeeding";
                break;
        case 503:
                reason = "ServiceUnavailable";
                msg = "the server is currently unable to handle the request";
                break;
        case 504:
                reason = "Timeout";
                msg = "the server was unable to return a response in the time allotted, but may "
                      "still be processing the request";
                break;
        default:
                break;
        }
        reply(resp, status, kube_status(status, reason, msg, NULL, NULL));
}

static void
kube_app_reset(void *ud)
{
        kube_reset(ud);
}

const struct cc_mock_app kube_app_template = {
        .ud = NULL,
        .handle = kube_handle,
        .admin = kube_admin,
        .fault_body = kube_fault_body,
        .reset = kube_app_reset,
};
