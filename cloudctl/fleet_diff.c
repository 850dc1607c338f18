/* fleet_diff.c -- desired-versus-observed comparison and readiness of the per-cluster gateways. */
#include "cloudctl/fleet_diff.h"

#include <stdio.h>
#include <string.h>

#include "core/json.h"
#include "core/banned.h"

#define NEG_STATUS_ANNOT "cloud.google.com/neg-status"

static bool
subset(const cJSON *want, const cJSON *have, int depth)
{
        const cJSON *w, *h;

        if (depth > CC_JSON_MAX_DEPTH || !want || !have)
                return false;
        if (cJSON_IsObject(want)) {
                if (!cJSON_IsObject(have))
                        return false;
                cJSON_ArrayForEach(w, want)
                {
                        h = cJSON_GetObjectItemCaseSensitive(have, w->string);
                        if (!h || !subset(w, h, depth + 1))
                                return false;
                }
                return true;
        }
        if (cJSON_IsArray(want)) {
                if (!cJSON_IsArray(have) || cJSON_GetArraySize(want) != cJSON_GetArraySize(have))
                        return false;
                for (w = want->child, h = have->child; w && h; w = w->next, h = h->next)
                        if (!subset(w, h, depth + 1))
                                return false;
                return true;
        }
        return cc_json_equal(want, have);
}

bool
cc_fleet_subset(const cJSON *desired, const cJSON *observed)
{
        return subset(desired, observed, 0);
}

bool
cc_fleet_neg_status(const char *value, int port, const char *neg, char zones[][64], size_t *nzones,
                    char *why, size_t whysz)
{
        cJSON *root = NULL;
        const cJSON *z, *negs, *e;
        size_t n = 0;
        bool ok = false;
        char key[16];

        if (!value || !(root = cJSON_Parse(value)) || !cJSON_IsObject(root)) {
                snprintf(why, whysz, "not a JSON object");
                goto out;
        }
        negs = cJSON_GetObjectItemCaseSensitive(root, "network_endpoint_groups");
        if (port > 0 && neg && cJSON_IsObject(negs)) {
                snprintf(key, sizeof(key), "%d", port);
                e = cJSON_GetObjectItemCaseSensitive(negs, key);
                if (e && (!cJSON_IsString(e) || strcmp(e->valuestring, neg))) {
                        snprintf(why, whysz, "port %d maps to another NEG than '%s'", port, neg);
                        goto out;
                }
        }
        z = cJSON_GetObjectItemCaseSensitive(root, "zones");
        if (!cJSON_IsArray(z)) {
                snprintf(why, whysz, "no zones");
                goto out;
        }
        cJSON_ArrayForEach(e, z)
        {
                if (!cJSON_IsString(e) || !e->valuestring[0]) {
                        snprintf(why, whysz, "a zone is not a string");
                        goto out;
                }
                if (n < CC_FLEET_MAX_ZONES)
                        snprintf(zones[n++], 64, "%s", e->valuestring);
        }
        if (!n) {
                snprintf(why, whysz, "no zones");
                goto out;
        }
        *nzones = n;
        ok = true;
out:
        cJSON_Delete(root);
        return ok;
}

static long long
num_or(const cJSON *root, const char *a, const char *b, long long dflt)
{
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, a);
        const cJSON *v = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, b) : NULL;

        if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740991.0)
                return dflt;
        return (long long)v->valuedouble;
}

static bool
condition_true(const cJSON *dep, const char *type)
{
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(dep, "status"), *c;
        const cJSON *conds =
            cJSON_IsObject(st) ? cJSON_GetObjectItemCaseSensitive(st, "conditions") : NULL;

        if (!cJSON_IsArray(conds))
                return false;
        cJSON_ArrayForEach(c, conds)
        {
                const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "type");
                const cJSON *s = cJSON_GetObjectItemCaseSensitive(c, "status");

                if (cJSON_IsString(t) && !strcmp(t->valuestring, type) && cJSON_IsString(s) &&
                    !strcmp(s->valuestring, "True"))
                        return true;
        }
        return false;
}

void
cc_fleet_readiness(const cJSON *deployment, const cJSON *service, const char *ns, const char *name,
                   int port, struct cc_fleet_cluster_result *r)
{
        const cJSON *ann = NULL, *v = NULL;
        char why[160];
        bool dep_ok = false, neg_ok = false;
        long long gen, obs, avail, want;

        r->nzones = 0;
        r->state = CC_FLEET_PROGRESSING;
        if (service) {
                ann = cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(service, "metadata"), "annotations");
                v = cJSON_IsObject(ann) ? cJSON_GetObjectItemCaseSensitive(ann, NEG_STATUS_ANNOT)
                                        : NULL;
                if (cJSON_IsString(v))
                        neg_ok = cc_fleet_neg_status(v->valuestring, port, r->neg, r->zones,
                                                     &r->nzones, why, sizeof(why));
                else
                        snprintf(why, sizeof(why), "%s", v ? "not a string" : "");
        }
        if (!deployment) {
                snprintf(r->message, sizeof(r->message), "Deployment '%s/%s' does not exist yet",
                         ns, name);
                return;
        }
        gen = num_or(deployment, "metadata", "generation", 0);
        obs = num_or(deployment, "status", "observedGeneration", 0);
        avail = num_or(deployment, "status", "availableReplicas", 0);
        want = num_or(deployment, "status", "replicas", 1);
        if (want < 1)
                want = 1;
        if (obs < gen) {
                snprintf(r->message, sizeof(r->message),
                         "Deployment '%s/%s' is not observed yet (generation %lld, observed %lld)",
                         ns, name, gen, obs);
                return;
        }
        dep_ok = avail >= 1 || condition_true(deployment, "Available");
        if (!dep_ok) {
                snprintf(r->message, sizeof(r->message),
                         "Deployment '%s/%s' has %lld of %lld replicas available", ns, name, avail,
                         want);
                return;
        }
        if (!service) {
                snprintf(r->message, sizeof(r->message), "Service '%s/%s' does not exist yet", ns,
                         name);
                return;
        }
        if (!v) {
                snprintf(r->message, sizeof(r->message),
                         "Service '%s/%s' has no " NEG_STATUS_ANNOT " yet", ns, name);
                return;
        }
        if (!neg_ok) {
                snprintf(r->message, sizeof(r->message),
                         "Service '%s/%s' has an unusable " NEG_STATUS_ANNOT ": %s", ns, name, why);
                return;
        }
        r->state = CC_FLEET_READY;
        snprintf(r->message, sizeof(r->message), "Deployment '%s/%s' available, NEG in %zu zone%s",
                 ns, name, r->nzones, r->nzones == 1 ? "" : "s");
}
