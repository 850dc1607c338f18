/* resources.c -- the kinds mock-kube serves, discovery and minimal OpenAPI v3. */
#include <stdio.h>
#include <string.h>

#include "mocks/kube/kube.h"
#include "core/banned.h"

#define GW "gateway.networking.k8s.io"

static const struct kube_res r_namespaces = { "",          "v1",        "namespaces",
                                              "namespace", "Namespace", false,
                                              { "ns" },    { NULL },    KR_STATUS | KR_FINALIZE,
                                              NULL };
static const struct kube_res r_services = { "",   "v1",      "services", "service", "Service",
                                            true, { "svc" }, { "all" },  KR_STATUS, NULL };
static const struct kube_res r_secrets = { "",   "v1",     "secrets", "secret", "Secret",
                                           true, { NULL }, { NULL },  0,        NULL };
static const struct kube_res r_configmaps = { "",          "v1", "configmaps", "configmap",
                                              "ConfigMap", true, { "cm" },     { NULL },
                                              0,           NULL };
static const struct kube_res r_events = { "",   "v1",     "events", "event", "Event",
                                          true, { "ev" }, { NULL }, 0,       NULL };
static const struct kube_res r_serviceaccounts = {
        "",   "v1",     "serviceaccounts", "serviceaccount",  "ServiceAccount",
        true, { "sa" }, { NULL },          KR_RETURN_DELETED, NULL
};
static const struct kube_res r_pods = { "",       "v1",      "pods",
                                        "pod",    "Pod",     true,
                                        { "po" }, { "all" }, KR_STATUS | KR_RETURN_DELETED,
                                        NULL };
static const struct kube_res r_deployments = {
        "apps",       "v1",         "deployments",
        "deployment", "Deployment", true,
        { "deploy" }, { "all" },    KR_STATUS | KR_GENERATION | KR_GEN_ANNOT | KR_SCALE,
        NULL
};
static const struct kube_res r_endpointslices = { "discovery.k8s.io",
                                                  "v1",
                                                  "endpointslices",
                                                  "endpointslice",
                                                  "EndpointSlice",
                                                  true,
                                                  { NULL },
                                                  { NULL },
                                                  0,
                                                  NULL };
static const struct kube_res r_leases = {
        "coordination.k8s.io", "v1", "leases", "lease", "Lease", true, { NULL }, { NULL },
        KR_NO_UNCOND,          NULL
};
static const struct kube_res r_gatewayclasses = { GW,
                                                  "v1",
                                                  "gatewayclasses",
                                                  "gatewayclass",
                                                  "GatewayClass",
                                                  false,
                                                  { "gc" },
                                                  { "gateway-api" },
                                                  KR_STATUS | KR_GENERATION | KR_CRD | KR_NO_UNCOND,
                                                  NULL };
static const struct kube_res r_gateways = { GW,
                                            "v1",
                                            "gateways",
                                            "gateway",
                                            "Gateway",
                                            true,
                                            { "gtw" },
                                            { "gateway-api" },
                                            KR_STATUS | KR_GENERATION | KR_CRD | KR_NO_UNCOND,
                                            NULL };
static const struct kube_res r_httproutes = { GW,
                                              "v1",
                                              "httproutes",
                                              "httproute",
                                              "HTTPRoute",
                                              true,
                                              { NULL },
                                              { "gateway-api" },
                                              KR_STATUS | KR_GENERATION | KR_CRD | KR_NO_UNCOND,
                                              NULL };
static const struct kube_res r_grpcroutes = { GW,
                                              "v1",
                                              "grpcroutes",
                                              "grpcroute",
                                              "GRPCRoute",
                                              true,
                                              { NULL },
                                              { "gateway-api" },
                                              KR_STATUS | KR_GENERATION | KR_CRD | KR_NO_UNCOND,
                                              NULL };
static const struct kube_res r_referencegrants = { GW,
                                                   "v1beta1",
                                                   "referencegrants",
                                                   "referencegrant",
                                                   "ReferenceGrant",
                                                   true,
                                                   { "refgrant" },
                                                   { "gateway-api" },
                                                   KR_GENERATION | KR_CRD | KR_NO_UNCOND,
                                                   NULL };

static const struct kube_res r_referencegrants_v1 = { GW,
                                                      "v1",
                                                      "referencegrants",
                                                      "referencegrant",
                                                      "ReferenceGrant",
                                                      true,
                                                      { "refgrant" },
                                                      { "gateway-api" },
                                                      KR_GENERATION | KR_CRD | KR_NO_UNCOND,
                                                      &r_referencegrants };

const struct kube_res *const kube_resources[] = {
        &r_namespaces,         &r_services, &r_secrets,     &r_configmaps,     &r_events,
        &r_serviceaccounts,    &r_pods,     &r_deployments, &r_endpointslices, &r_leases,
        &r_gatewayclasses,     &r_gateways, &r_httproutes,  &r_grpcroutes,     &r_referencegrants,
        &r_referencegrants_v1, NULL
};

static const char *const verbs[] = { "create", "delete", "deletecollection", "get",
                                     "list",   "patch",  "update",           "watch" };

const struct kube_res *
kube_res_find(const char *group, const char *version, const char *plural)
{
        size_t i;

        for (i = 0; kube_resources[i]; i++) {
                const struct kube_res *r = kube_resources[i];

                if (!strcmp(r->group, group) && !strcmp(r->version, version) &&
                    !strcmp(r->plural, plural))
                        return r;
        }
        return NULL;
}

const struct kube_res *
kube_res_by_kind(const char *api_version, const char *kind)
{
        char av[128];
        size_t i;

        for (i = 0; kube_resources[i]; i++) {
                kube_res_api_version(kube_resources[i], av, sizeof(av));
                if (!strcmp(av, api_version) && !strcmp(kube_resources[i]->kind, kind))
                        return kube_resources[i];
        }
        return NULL;
}

void
kube_res_qualified_plural(const struct kube_res *r, char *out, size_t n)
{
        if (r->group[0])
                snprintf(out, n, "%s.%s", r->plural, r->group);
        else
                snprintf(out, n, "%s", r->plural);
}

void
kube_res_qualified_kind(const struct kube_res *r, char *out, size_t n)
{
        if (r->group[0])
                snprintf(out, n, "%s.%s", r->kind, r->group);
        else
                snprintf(out, n, "%s", r->kind);
}

void
kube_res_api_version(const struct kube_res *r, char *out, size_t n)
{
        if (r->group[0])
                snprintf(out, n, "%s/%s", r->group, r->version);
        else
                snprintf(out, n, "%s", r->version);
}

static void
add_strings(cJSON *o, const char *name, const char *const *v, size_t n)
{
        cJSON *a = cJSON_AddArrayToObject(o, name);
        size_t i;

        for (i = 0; a && i < n && v[i]; i++)
                cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
}

static size_t
count(const char *const *v, size_t max)
{
        size_t n = 0;

        while (n < max && v[n])
                n++;
        return n;
}

static cJSON *
gvk(const char *g, const char *v, const char *k)
{
        cJSON *o = cJSON_CreateObject();

        cJSON_AddStringToObject(o, "group", g);
        cJSON_AddStringToObject(o, "version", v);
        cJSON_AddStringToObject(o, "kind", k);
        return o;
}

static void
add_subresource(cJSON *subs, const struct kube_res *r, const char *sub)
{
        static const char *const sv[] = { "get", "patch", "update" };
        static const char *const fv[] = { "update" };
        cJSON *s = cJSON_CreateObject();

        cJSON_AddStringToObject(s, "subresource", sub);
        if (!strcmp(sub, "scale"))
                cJSON_AddItemToObject(s, "responseKind", gvk("autoscaling", "v1", "Scale"));
        else
                cJSON_AddItemToObject(s, "responseKind", gvk(r->group, r->version, r->kind));
        if (!strcmp(sub, "finalize"))
                add_strings(s, "verbs", fv, 1);
        else
                add_strings(s, "verbs", sv, 3);
        cJSON_AddItemToArray(subs, s);
}

/* the versions of a group in preference order (v1 before v1beta1) */
static size_t
group_versions(const char *group, const char **out, size_t max)
{
        size_t i, j, n = 0;

        for (i = 0; kube_resources[i]; i++) {
                const struct kube_res *r = kube_resources[i];

                if (strcmp(r->group, group))
                        continue;
                for (j = 0; j < n; j++)
                        if (!strcmp(out[j], r->version))
                                break;
                if (j == n && n < max)
                        out[n++] = r->version;
        }
        /* "v1" first */
        for (j = 1; j < n; j++) {
                if (!strcmp(out[j], "v1")) {
                        const char *t = out[0];

                        out[0] = out[j];
                        out[j] = t;
                }
        }
        return n;
}

static size_t
groups(const char **out, size_t max)
{
        size_t i, j, n = 0;

        for (i = 0; kube_resources[i]; i++) {
                for (j = 0; j < n; j++)
                        if (!strcmp(out[j], kube_resources[i]->group))
                                break;
                if (j == n && n < max)
                        out[n++] = kube_resources[i]->group;
        }
        return n;
}

cJSON *
kube_disc_aggregated(bool core)
{
        cJSON *root = cJSON_CreateObject(), *items;
        const char *gs[16], *vs[8];
        size_t ng, nv, gi, vi, i;

        cJSON_AddStringToObject(root, "kind", "APIGroupDiscoveryList");
        cJSON_AddStringToObject(root, "apiVersion", "apidiscovery.k8s.io/v2");
        cJSON_AddObjectToObject(root, "metadata");
        items = cJSON_AddArrayToObject(root, "items");
        ng = groups(gs, 16);
        for (gi = 0; gi < ng; gi++) {
                cJSON *item, *md, *versions;

                if ((gs[gi][0] == 0) != core)
                        continue;
                item = cJSON_CreateObject();
                md = cJSON_AddObjectToObject(item, "metadata");
                cJSON_AddStringToObject(md, "name", gs[gi]);
                cJSON_AddNullToObject(md, "creationTimestamp");
                versions = cJSON_AddArrayToObject(item, "versions");
                nv = group_versions(gs[gi], vs, 8);
                for (vi = 0; vi < nv; vi++) {
                        cJSON *ver = cJSON_CreateObject(), *rs;

                        cJSON_AddStringToObject(ver, "version", vs[vi]);
                        rs = cJSON_AddArrayToObject(ver, "resources");
                        for (i = 0; kube_resources[i]; i++) {
                                const struct kube_res *r = kube_resources[i];
                                cJSON *e, *subs;

                                if (strcmp(r->group, gs[gi]) || strcmp(r->version, vs[vi]))
                                        continue;
                                e = cJSON_CreateObject();
                                cJSON_AddStringToObject(e, "resource", r->plural);
                                cJSON_AddItemToObject(e, "responseKind",
                                                      gvk(r->group, r->version, r->kind));
                                cJSON_AddStringToObject(e, "scope",
                                                        r->namespaced ? "Namespaced" : "Cluster");
                                cJSON_AddStringToObject(e, "singularResource", r->singular);
                                add_strings(e, "verbs", verbs, 8);
                                if (r->short_names[0])
                                        add_strings(e, "shortNames", r->short_names,
                                                    count(r->short_names, 3));
                                if (r->categories[0])
                                        add_strings(e, "categories", r->categories,
                                                    count(r->categories, 2));
                                if (r->flags & (KR_STATUS | KR_SCALE | KR_FINALIZE)) {
                                        subs = cJSON_AddArrayToObject(e, "subresources");
                                        if (r->flags & KR_STATUS)
                                                add_subresource(subs, r, "status");
                                        if (r->flags & KR_SCALE)
                                                add_subresource(subs, r, "scale");
                                        if (r->flags & KR_FINALIZE)
                                                add_subresource(subs, r, "finalize");
                                }
                                cJSON_AddItemToArray(rs, e);
                        }
                        cJSON_AddStringToObject(ver, "freshness", "Current");
                        cJSON_AddItemToArray(versions, ver);
                }
                cJSON_AddItemToArray(items, item);
        }
        return root;
}

cJSON *
kube_disc_api_versions(int port)
{
        cJSON *root = cJSON_CreateObject(), *a, *e;
        char addr[64];

        cJSON_AddStringToObject(root, "kind", "APIVersions");
        a = cJSON_AddArrayToObject(root, "versions");
        cJSON_AddItemToArray(a, cJSON_CreateString("v1"));
        a = cJSON_AddArrayToObject(root, "serverAddressByClientCIDRs");
        e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "clientCIDR", "0.0.0.0/0");
        snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
        cJSON_AddStringToObject(e, "serverAddress", addr);
        cJSON_AddItemToArray(a, e);
        return root;
}

cJSON *
kube_disc_group_list(void)
{
        cJSON *root = cJSON_CreateObject(), *gl;
        const char *gs[16], *vs[8];
        size_t ng, nv, gi, vi;

        cJSON_AddStringToObject(root, "kind", "APIGroupList");
        cJSON_AddStringToObject(root, "apiVersion", "v1");
        gl = cJSON_AddArrayToObject(root, "groups");
        ng = groups(gs, 16);
        for (gi = 0; gi < ng; gi++) {
                cJSON *g, *va;
                char gv[160];

                if (!gs[gi][0])
                        continue;
                g = cJSON_CreateObject();
                cJSON_AddStringToObject(g, "name", gs[gi]);
                va = cJSON_AddArrayToObject(g, "versions");
                nv = group_versions(gs[gi], vs, 8);
                for (vi = 0; vi < nv; vi++) {
                        cJSON *v = cJSON_CreateObject();

                        snprintf(gv, sizeof(gv), "%s/%s", gs[gi], vs[vi]);
                        cJSON_AddStringToObject(v, "groupVersion", gv);
                        cJSON_AddStringToObject(v, "version", vs[vi]);
                        cJSON_AddItemToArray(va, v);
                        if (vi == 0)
                                cJSON_AddItemToObject(g, "preferredVersion",
                                                      cJSON_Duplicate(v, true));
                }
                cJSON_AddItemToArray(gl, g);
        }
        return root;
}

cJSON *
kube_disc_resource_list(const char *group, const char *version)
{
        cJSON *root = NULL, *rs;
        char gv[160];
        size_t i;

        for (i = 0; kube_resources[i]; i++)
                if (!strcmp(kube_resources[i]->group, group) &&
                    !strcmp(kube_resources[i]->version, version))
                        break;
        if (!kube_resources[i])
                return NULL;
        root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "kind", "APIResourceList");
        cJSON_AddStringToObject(root, "apiVersion", "v1");
        kube_res_api_version(kube_resources[i], gv, sizeof(gv));
        cJSON_AddStringToObject(root, "groupVersion", gv);
        rs = cJSON_AddArrayToObject(root, "resources");
        for (i = 0; kube_resources[i]; i++) {
                const struct kube_res *r = kube_resources[i];
                static const char *const subs[] = { "status", "scale", "finalize" };
                static const unsigned subflags[] = { KR_STATUS, KR_SCALE, KR_FINALIZE };
                static const char *const sv[] = { "get", "patch", "update" };
                cJSON *e;
                size_t s;

                if (strcmp(r->group, group) || strcmp(r->version, version))
                        continue;
                e = cJSON_CreateObject();
                cJSON_AddStringToObject(e, "name", r->plural);
                cJSON_AddStringToObject(e, "singularName", r->singular);
                cJSON_AddBoolToObject(e, "namespaced", r->namespaced);
                cJSON_AddStringToObject(e, "kind", r->kind);
                add_strings(e, "verbs", verbs, 8);
                if (r->short_names[0])
                        add_strings(e, "shortNames", r->short_names, count(r->short_names, 3));
                if (r->categories[0])
                        add_strings(e, "categories", r->categories, count(r->categories, 2));
                cJSON_AddItemToArray(rs, e);
                for (s = 0; s < 3; s++) {
                        char name[96];

                        if (!(r->flags & subflags[s]))
                                continue;
                        e = cJSON_CreateObject();
                        snprintf(name, sizeof(name), "%s/%s", r->plural, subs[s]);
                        cJSON_AddStringToObject(e, "name", name);
                        cJSON_AddStringToObject(e, "singularName", "");
                        cJSON_AddBoolToObject(e, "namespaced", r->namespaced);
                        if (subflags[s] == KR_SCALE) {
                                cJSON_AddStringToObject(e, "group", "autoscaling");
                                cJSON_AddStringToObject(e, "version", "v1");
                                cJSON_AddStringToObject(e, "kind", "Scale");
                        } else {
                                cJSON_AddStringToObject(e, "kind", r->kind);
                        }
                        if (subflags[s] == KR_FINALIZE)
                                add_strings(e, "verbs", sv + 2, 1);
                        else
                                add_strings(e, "verbs", sv, 3);
                        cJSON_AddItemToArray(rs, e);
                }
        }
        return root;
}

static void
gv_path(const struct kube_res *r, char *out, size_t n)
{
        if (r->group[0])
                snprintf(out, n, "apis/%s/%s", r->group, r->version);
        else
                snprintf(out, n, "api/%s", r->version);
}

cJSON *
kube_openapi_index(void)
{
        cJSON *root = cJSON_CreateObject(), *paths = cJSON_AddObjectToObject(root, "paths");
        size_t i;

        for (i = 0; kube_resources[i]; i++) {
                char p[160], url[200];
                cJSON *e;

                gv_path(kube_resources[i], p, sizeof(p));
                if (cJSON_GetObjectItemCaseSensitive(paths, p))
                        continue;
                snprintf(url, sizeof(url), "/openapi/v3/%s?hash=0000000000000000", p);
                e = cJSON_AddObjectToObject(paths, p);
                cJSON_AddStringToObject(e, "serverRelativeURL", url);
        }
        return root;
}

static cJSON *
query_param(const char *name)
{
        cJSON *p = cJSON_CreateObject(), *s;

        cJSON_AddStringToObject(p, "name", name);
        cJSON_AddStringToObject(p, "in", "query");
        s = cJSON_AddObjectToObject(p, "schema");
        cJSON_AddStringToObject(s, "type", "string");
        return p;
}

cJSON *
kube_openapi_gv(const char *gvp)
{
        cJSON *root = NULL, *paths = NULL, *info;
        size_t i;

        for (i = 0; kube_resources[i]; i++) {
                const struct kube_res *r = kube_resources[i];
                char p[160], path[320];
                cJSON *item, *patch, *params, *resp;

                gv_path(r, p, sizeof(p));
                if (strcmp(p, gvp))
                        continue;
                if (!root) {
                        root = cJSON_CreateObject();
                        cJSON_AddStringToObject(root, "openapi", "3.0.0");
                        info = cJSON_AddObjectToObject(root, "info");
                        cJSON_AddStringToObject(info, "title", "Kubernetes");
                        cJSON_AddStringToObject(info, "version", "v1.32.4");
                        paths = cJSON_AddObjectToObject(root, "paths");
                        cJSON_AddObjectToObject(cJSON_AddObjectToObject(root, "components"),
                                                "schemas");
                }
                snprintf(path, sizeof(path), "/%s%s/%s/{name}", p,
                         r->namespaced ? "/namespaces/{namespace}" : "", r->plural);
                item = cJSON_AddObjectToObject(paths, path);
                patch = cJSON_AddObjectToObject(item, "patch");
                cJSON_AddItemToObject(patch, "x-kubernetes-group-version-kind",
                                      gvk(r->group, r->version, r->kind));
                params = cJSON_AddArrayToObject(patch, "parameters");
                cJSON_AddItemToArray(params, query_param("fieldValidation"));
                cJSON_AddItemToArray(params, query_param("fieldManager"));
                cJSON_AddItemToArray(params, query_param("dryRun"));
                resp = cJSON_AddObjectToObject(cJSON_AddObjectToObject(patch, "responses"), "200");
                cJSON_AddStringToObject(resp, "description", "OK");
        }
        return root;
}
