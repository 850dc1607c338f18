/* crds.c -- read-only CustomResourceDefinitions of the Gateway API kinds. */
#include <stdio.h>
#include <string.h>

#include "mocks/kube/kube.h"
#include "core/banned.h"

#define CRD_GROUP "apiextensions.k8s.io"

/* the CRD object of a Gateway API kind (every version of it served) */
static cJSON *
crd_of(const struct kube_res *r)
{
        cJSON *o = cJSON_CreateObject(), *md, *ann, *spec, *names, *vers, *v;
        char name[200];
        size_t i;

        kube_res_qualified_plural(r, name, sizeof(name));
        cJSON_AddStringToObject(o, "apiVersion", CRD_GROUP "/v1");
        cJSON_AddStringToObject(o, "kind", "CustomResourceDefinition");
        md = cJSON_AddObjectToObject(o, "metadata");
        cJSON_AddStringToObject(md, "name", name);
        cJSON_AddStringToObject(md, "resourceVersion", "1");
        cJSON_AddNumberToObject(md, "generation", 1);
        ann = cJSON_AddObjectToObject(md, "annotations");
        cJSON_AddStringToObject(ann, "gateway.networking.k8s.io/bundle-version",
                                KUBE_GATEWAY_API_BUNDLE);
        cJSON_AddStringToObject(ann, "gateway.networking.k8s.io/channel", "standard");
        spec = cJSON_AddObjectToObject(o, "spec");
        cJSON_AddStringToObject(spec, "group", r->group);
        cJSON_AddStringToObject(spec, "scope", r->namespaced ? "Namespaced" : "Cluster");
        names = cJSON_AddObjectToObject(spec, "names");
        cJSON_AddStringToObject(names, "kind", r->kind);
        cJSON_AddStringToObject(names, "plural", r->plural);
        cJSON_AddStringToObject(names, "singular", r->singular);
        vers = cJSON_AddArrayToObject(spec, "versions");
        for (i = 0; kube_resources[i]; i++) {
                const struct kube_res *x = kube_resources[i];

                if (strcmp(x->group, r->group) || strcmp(x->plural, r->plural))
                        continue;
                v = cJSON_CreateObject();
                cJSON_AddStringToObject(v, "name", x->version);
                cJSON_AddBoolToObject(v, "served", 1);
                cJSON_AddBoolToObject(v, "storage", !x->storage);
                cJSON_AddItemToArray(vers, v);
        }
        return o;
}

/* the first entry of each Gateway API kind (ReferenceGrant has two) */
static bool
first_of_kind(size_t i)
{
        size_t j;

        if (strcmp(kube_resources[i]->group, KUBE_GATEWAY_API_GROUP))
                return false;
        for (j = 0; j < i; j++)
                if (!strcmp(kube_resources[j]->group, KUBE_GATEWAY_API_GROUP) &&
                    !strcmp(kube_resources[j]->plural, kube_resources[i]->plural))
                        return false;
        return true;
}

static void
reply(struct cc_mock_resp *resp, int code, cJSON *body)
{
        cc_mock_resp_json(resp, code, body);
        snprintf(resp->content_type, sizeof(resp->content_type), "application/json");
        cJSON_Delete(body);
}

bool
kube_crd_serve(const struct cc_mock_req *req, struct cc_mock_resp *resp, const char *const *segs,
               size_t n)
{
        char name[200], msg[300];
        size_t i;

        if (n < 4 || n > 5 || strcmp(segs[0], "apis") || strcmp(segs[1], CRD_GROUP) ||
            strcmp(segs[2], "v1") || strcmp(segs[3], "customresourcedefinitions"))
                return false;
        resp->api = "customresourcedefinitions";
        if (strcmp(req->method, "GET")) {
                reply(resp, 405,
                      kube_status(405, "MethodNotAllowed",
                                  "the server does not allow this method on the requested "
                                  "resource (mock-kube serves CustomResourceDefinitions "
                                  "read-only)",
                                  NULL, NULL));
                return true;
        }
        if (n == 4) {
                cJSON *list = cJSON_CreateObject(), *items, *md;

                cJSON_AddStringToObject(list, "apiVersion", CRD_GROUP "/v1");
                cJSON_AddStringToObject(list, "kind", "CustomResourceDefinitionList");
                md = cJSON_AddObjectToObject(list, "metadata");
                cJSON_AddStringToObject(md, "resourceVersion", "1");
                items = cJSON_AddArrayToObject(list, "items");
                for (i = 0; kube_resources[i]; i++)
                        if (first_of_kind(i))
                                cJSON_AddItemToArray(items, crd_of(kube_resources[i]));
                reply(resp, 200, list);
                return true;
        }
        for (i = 0; kube_resources[i]; i++) {
                if (!first_of_kind(i))
                        continue;
                kube_res_qualified_plural(kube_resources[i], name, sizeof(name));
                if (!strcmp(name, segs[4])) {
                        reply(resp, 200, crd_of(kube_resources[i]));
                        return true;
                }
        }
        snprintf(msg, sizeof(msg),
                 "customresourcedefinitions.apiextensions.k8s.io \"%.200s\" not found", segs[4]);
        reply(resp, 404, kube_status(404, "NotFound", msg, NULL, NULL));
        return true;
}
