/* compute.c -- mock Compute Engine v1: collections, references, lists, routing.
 *
 * Serves /compute/v1/projects/{p}/... for globalAddresses, healthChecks,
 * backendServices, urlMaps, targetHttp(s)Proxies, globalForwardingRules,
 * zonal networkEndpointGroups, firewalls and sslCertificates, their
 * operations and aggregated lists, plus /batch/compute/v1 and the admin
 * endpoints under /_mock/compute/ (documented in compute_admin.c and
 * mocks/README.md).  See compute.h for how the files divide the work and
 * when a mutation takes effect.
 *
 * Every reference field is accepted in any form (full URL with any host,
 * "projects/...", "global/...", bare name) and stored in the canonical
 * https://www.googleapis.com/compute/v1/ form; with cfg.check_references
 * the referenced resource must exist (404 naming it), and a resource that
 * is still referenced cannot be deleted (400 resourceInUseByAnotherResource).
 */
#include "mocks/gcp/compute.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "mocks/gcp/filter.h"
#include "core/banned.h"

#define EMPTY_LABEL_FP "42WmSpB8rSM="
#define BIT(c)         (1u << (c))

enum ftype { F_INT, F_NUM, F_BOOL, F_STR, F_ARR, F_OBJ, F_ENUM };

struct fspec {
        const char *path; /* "a.b[].c" */
        enum ftype type;
        const char *values; /* F_ENUM: "|A|B|C|" */
};

struct rspec {
        const char *path;
        unsigned mask; /* collections it may point to */
};

struct coll {
        const char *name;  /* URL segment */
        const char *kind;  /* compute#... */
        const char *snake; /* in "The <snake> resource ... is already being used" */
        const char *quota; /* quota metric */
        bool zonal;
        bool fingerprint;  /* has "fingerprint" */
        bool put_needs_fp; /* PUT without fingerprint -> 400 required */
        bool label_fp;     /* has labels + labelFingerprint + setLabels */
        bool patch, put;   /* PATCH / PUT supported */
        const struct fspec *types;
        const struct rspec *refs;
};

static const struct fspec t_addr[] = {
        { "address", F_STR, NULL },
        { "addressType", F_ENUM, "|EXTERNAL|INTERNAL|" },
        { "ipVersion", F_ENUM, "|IPV4|IPV6|" },
        { "networkTier", F_ENUM, "|PREMIUM|STANDARD|" },
        { "prefixLength", F_INT, NULL },
        { "purpose", F_STR, NULL },
        { NULL, F_STR, NULL },
};

#define HC_SUB(s)                                                                       \
        { s, F_OBJ, NULL }, { s ".port", F_INT, NULL }, { s ".portName", F_STR, NULL }, \
            { s ".requestPath", F_STR, NULL }, { s ".host", F_STR, NULL },              \
            { s ".response", F_STR, NULL },                                             \
        {                                                                               \
                s ".proxyHeader", F_ENUM, "|NONE|PROXY_V1|"                             \
        }

static const struct fspec t_hc[] = {
        { "checkIntervalSec", F_INT, NULL },
        { "timeoutSec", F_INT, NULL },
        { "healthyThreshold", F_INT, NULL },
        { "unhealthyThreshold", F_INT, NULL },
        { "type", F_ENUM, "|TCP|SSL|HTTP|HTTPS|HTTP2|GRPC|" },
        HC_SUB("httpHealthCheck"),
        HC_SUB("httpsHealthCheck"),
        HC_SUB("http2HealthCheck"),
        HC_SUB("tcpHealthCheck"),
        HC_SUB("sslHealthCheck"),
        { "grpcHealthCheck", F_OBJ, NULL },
        { "grpcHealthCheck.port", F_INT, NULL },
        { "logConfig", F_OBJ, NULL },
        { "logConfig.enable", F_BOOL, NULL },
        { NULL, F_STR, NULL },
};

#define SCHEMES "|EXTERNAL|EXTERNAL_MANAGED|INTERNAL|INTERNAL_MANAGED|INTERNAL_SELF_MANAGED|"

static const struct fspec t_bs[] = {
        { "timeoutSec", F_INT, NULL },
        { "port", F_INT, NULL },
        { "portName", F_STR, NULL },
        { "protocol", F_ENUM, "|HTTP|HTTPS|HTTP2|TCP|SSL|GRPC|UDP|H2C|UNSPECIFIED|" },
        { "loadBalancingScheme", F_ENUM, SCHEMES },
        { "healthChecks", F_ARR, NULL },
        { "healthChecks[]", F_STR, NULL },
        { "backends", F_ARR, NULL },
        { "backends[]", F_OBJ, NULL },
        { "backends[].group", F_STR, NULL },
        { "backends[].balancingMode", F_ENUM, "|UTILIZATION|RATE|CONNECTION|CUSTOM_METRICS|" },
        { "backends[].capacityScaler", F_NUM, NULL },
        { "backends[].maxRatePerEndpoint", F_NUM, NULL },
        { "backends[].maxRate", F_INT, NULL },
        { "backends[].maxUtilization", F_NUM, NULL },
        { "backends[].maxConnectionsPerEndpoint", F_INT, NULL },
        { "enableCDN", F_BOOL, NULL },
        { "sessionAffinity", F_STR, NULL },
        { "affinityCookieTtlSec", F_INT, NULL },
        { "connectionDraining", F_OBJ, NULL },
        { "connectionDraining.drainingTimeoutSec", F_INT, NULL },
        { "customRequestHeaders", F_ARR, NULL },
        { "customResponseHeaders", F_ARR, NULL },
        { "logConfig", F_OBJ, NULL },
        { "logConfig.enable", F_BOOL, NULL },
        { "logConfig.sampleRate", F_NUM, NULL },
        { NULL, F_STR, NULL },
};

static const struct fspec t_um[] = {
        { "defaultService", F_STR, NULL },
        { "hostRules", F_ARR, NULL },
        { "hostRules[]", F_OBJ, NULL },
        { "hostRules[].hosts", F_ARR, NULL },
        { "hostRules[].hosts[]", F_STR, NULL },
        { "hostRules[].pathMatcher", F_STR, NULL },
        { "pathMatchers", F_ARR, NULL },
        { "pathMatchers[]", F_OBJ, NULL },
        { "pathMatchers[].name", F_STR, NULL },
        { "pathMatchers[].defaultService", F_STR, NULL },
        { "pathMatchers[].pathRules", F_ARR, NULL },
        { "pathMatchers[].pathRules[]", F_OBJ, NULL },
        { "pathMatchers[].pathRules[].paths", F_ARR, NULL },
        { "pathMatchers[].pathRules[].paths[]", F_STR, NULL },
        { "pathMatchers[].pathRules[].service", F_STR, NULL },
        { "pathMatchers[].routeRules", F_ARR, NULL },
        { "pathMatchers[].routeRules[]", F_OBJ, NULL },
        { "pathMatchers[].routeRules[].priority", F_INT, NULL },
        { "pathMatchers[].routeRules[].service", F_STR, NULL },
        { "pathMatchers[].routeRules[].matchRules", F_ARR, NULL },
        { "pathMatchers[].routeRules[].routeAction.weightedBackendServices", F_ARR, NULL },
        { "pathMatchers[].routeRules[].routeAction.weightedBackendServices[].weight", F_INT, NULL },
        { "tests", F_ARR, NULL },
        { NULL, F_STR, NULL },
};

static const struct fspec t_thp[] = {
        { "urlMap", F_STR, NULL },
        { "httpKeepAliveTimeoutSec", F_INT, NULL },
        { "proxyBind", F_BOOL, NULL },
        { NULL, F_STR, NULL },
};

static const struct fspec t_thsp[] = {
        { "urlMap", F_STR, NULL },
        { "sslCertificates", F_ARR, NULL },
        { "sslCertificates[]", F_STR, NULL },
        { "certificateMap", F_STR, NULL },
        { "quicOverride", F_ENUM, "|NONE|ENABLE|DISABLE|" },
        { "sslPolicy", F_STR, NULL },
        { "tlsEarlyData", F_ENUM, "|DISABLED|STRICT|PERMISSIVE|UNRESTRICTED|" },
        { "httpKeepAliveTimeoutSec", F_INT, NULL },
        { NULL, F_STR, NULL },
};

static const struct fspec t_fr[] = {
        { "IPAddress", F_STR, NULL },
        { "IPProtocol", F_ENUM, "|TCP|UDP|ESP|AH|SCTP|ICMP|L3_DEFAULT|" },
        { "portRange", F_STR, NULL },
        { "ports", F_ARR, NULL },
        { "target", F_STR, NULL },
        { "loadBalancingScheme", F_ENUM, SCHEMES },
        { "networkTier", F_ENUM, "|PREMIUM|STANDARD|" },
        { "labels", F_OBJ, NULL },
        { NULL, F_STR, NULL },
};

static const struct fspec t_neg[] = {
        { "networkEndpointType", F_ENUM,
          "|GCE_VM_IP_PORT|GCE_VM_IP|NON_GCP_PRIVATE_IP_PORT|INTERNET_IP_PORT|"
          "INTERNET_FQDN_PORT|SERVERLESS|PRIVATE_SERVICE_CONNECT|" },
        { "network", F_STR, NULL },
        { "subnetwork", F_STR, NULL },
        { "defaultPort", F_INT, NULL },
        { NULL, F_STR, NULL },
};

static const struct fspec t_fw[] = {
        { "network", F_STR, NULL },
        { "priority", F_INT, NULL },
        { "direction", F_ENUM, "|INGRESS|EGRESS|" },
        { "allowed", F_ARR, NULL },
        { "allowed[]", F_OBJ, NULL },
        { "allowed[].IPProtocol", F_STR, NULL },
        { "allowed[].ports", F_ARR, NULL },
        { "denied", F_ARR, NULL },
        { "denied[]", F_OBJ, NULL },
        { "denied[].IPProtocol", F_STR, NULL },
        { "denied[].ports", F_ARR, NULL },
        { "sourceRanges", F_ARR, NULL },
        { "destinationRanges", F_ARR, NULL },
        { "sourceTags", F_ARR, NULL },
        { "targetTags", F_ARR, NULL },
        { "disabled", F_BOOL, NULL },
        { "logConfig", F_OBJ, NULL },
        { "logConfig.enable", F_BOOL, NULL },
        { NULL, F_STR, NULL },
};

static const struct fspec t_cert[] = {
        { "type", F_ENUM, "|MANAGED|SELF_MANAGED|" },
        { "managed", F_OBJ, NULL },
        { "managed.domains", F_ARR, NULL },
        { "managed.domains[]", F_STR, NULL },
        { "certificate", F_STR, NULL },
        { "privateKey", F_STR, NULL },
        { NULL, F_STR, NULL },
};

static const struct fspec t_common[] = {
        { "name", F_STR, NULL },
        { "description", F_STR, NULL },
        { "labels", F_OBJ, NULL },
        { NULL, F_STR, NULL },
};

static const struct rspec r_none[] = { { NULL, 0 } };
static const struct rspec r_bs[] = {
        { "healthChecks[]", BIT(C_HC) },
        { "backends[].group", BIT(C_NEG) },
        { NULL, 0 },
};
static const struct rspec r_um[] = {
        { "defaultService", BIT(C_BS) },
        { "defaultRouteAction.weightedBackendServices[].backendService", BIT(C_BS) },
        { "pathMatchers[].defaultService", BIT(C_BS) },
        { "pathMatchers[].defaultRouteAction.weightedBackendServices[].backendService", BIT(C_BS) },
        { "pathMatchers[].pathRules[].service", BIT(C_BS) },
        { "pathMatchers[].pathRules[].routeAction.weightedBackendServices[].backendService",
          BIT(C_BS) },
        { "pathMatchers[].routeRules[].service", BIT(C_BS) },
        { "pathMatchers[].routeRules[].routeAction.weightedBackendServices[].backendService",
          BIT(C_BS) },
        { NULL, 0 },
};
static const struct rspec r_thp[] = { { "urlMap", BIT(C_UM) }, { NULL, 0 } };
static const struct rspec r_thsp[] = {
        { "urlMap", BIT(C_UM) },
        { "sslCertificates[]", BIT(C_CERT) },
        { NULL, 0 },
};
static const struct rspec r_fr[] = { { "target", BIT(C_THP) | BIT(C_THSP) }, { NULL, 0 } };

static const struct coll colls[C_NCOLL] = {
        [C_ADDR] = { "addresses", "compute#address", "address", "STATIC_ADDRESSES", false, false,
                     false, true, false, false, t_addr, r_none },
        [C_HC] = { "healthChecks", "compute#healthCheck", "health_check", "HEALTH_CHECKS", false,
                   false, false, false, true, true, t_hc, r_none },
        [C_BS] = { "backendServices", "compute#backendService", "backend_service",
                   "BACKEND_SERVICES", false, true, true, false, true, true, t_bs, r_bs },
        [C_UM] = { "urlMaps", "compute#urlMap", "url_map", "URL_MAPS", false, true, true, false,
                   true, true, t_um, r_um },
        [C_THP] = { "targetHttpProxies", "compute#targetHttpProxy", "target_http_proxy",
                    "TARGET_HTTP_PROXIES", false, true, false, false, true, false, t_thp, r_thp },
        [C_THSP] = { "targetHttpsProxies", "compute#targetHttpsProxy", "target_https_proxy",
                     "TARGET_HTTPS_PROXIES", false, true, false, false, true, false, t_thsp,
                     r_thsp },
        [C_FR] = { "forwardingRules", "compute#forwardingRule", "forwarding_rule",
                   "FORWARDING_RULES", false, true, false, true, true, false, t_fr, r_fr },
        [C_NEG] = { "networkEndpointGroups", "compute#networkEndpointGroup",
                    "network_endpoint_group", "NETWORK_ENDPOINT_GROUPS", true, false, false, false,
                    false, false, t_neg, r_none },
        [C_FW] = { "firewalls", "compute#firewall", "firewall", "FIREWALLS", false, false, false,
                   false, true, true, t_fw, r_none },
        [C_CERT] = { "sslCertificates", "compute#sslCertificate", "ssl_certificate",
                     "SSL_CERTIFICATES", false, false, false, false, false, false, t_cert, r_none },
};

const char *const cmp_coll_names[C_NCOLL] = {
        "addresses",         "healthChecks",       "backendServices", "urlMaps",
        "targetHttpProxies", "targetHttpsProxies", "forwardingRules", "networkEndpointGroups",
        "firewalls",         "sslCertificates",
};

/* --- small helpers ------------------------------------------------------- */

static void
jset_str(cJSON *o, const char *key, const char *s)
{
        gcp_jset(o, key, cJSON_CreateString(s));
}

static void
jdefault(cJSON *o, const char *key, cJSON *v)
{
        if (cJSON_GetObjectItemCaseSensitive(o, key) &&
            !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, key))) {
                cJSON_Delete(v);
                return;
        }
        gcp_jset(o, key, v);
}

static bool
name_ok(const char *s)
{
        size_t n = s ? strlen(s) : 0, i;

        if (n < 1 || n > 63 || !islower((unsigned char)s[0]))
                return false;
        for (i = 1; i < n; i++)
                if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '-')
                        return false;
        return s[n - 1] != '-';
}

static void
bad_name(struct cc_mock_resp *resp, const char *field, const char *v)
{
        gcp_error_v1(resp, 400, "invalid",
                     "Invalid value for field '%s': '%s'. Must be a match of regex "
                     "'(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'",
                     field, v);
}

static void
region_of(const char *zone, char *out, size_t n)
{
        const char *dash = strrchr(zone, '-');

        snprintf(out, n, "%.*s", (int)(dash ? (size_t)(dash - zone) : strlen(zone)), zone);
}

void
cmp_res_path(const struct cmp_res *r, char *out, size_t n)
{
        if (r->zone[0])
                snprintf(out, n, "projects/%s/zones/%s/%s/%s", r->project, r->zone,
                         colls[r->coll].name, r->name);
        else
                snprintf(out, n, "projects/%s/global/%s/%s", r->project, colls[r->coll].name,
                         r->name);
}

static void
res_link(const struct cmp_res *r, char *out, size_t n)
{
        char path[320];

        cmp_res_path(r, path, sizeof(path));
        snprintf(out, n, "%s%s", GCP_COMPUTE_BASE, path);
}

struct cmp_res *
cmp_res_find(struct gcp_compute *c, enum cmp_coll coll, const char *project, const char *zone,
             const char *name)
{
        size_t i;

        for (i = 0; i < c->nres; i++) {
                struct cmp_res *r = c->res[i];

                if (r->coll == coll && !strcmp(r->name, name) && !strcmp(r->project, project) &&
                    !strcmp(r->zone, zone ? zone : ""))
                        return r;
        }
        return NULL;
}

void
cmp_res_free(struct cmp_res *r)
{
        if (!r)
                return;
        cJSON_Delete(r->obj);
        cJSON_Delete(r->endpoints);
        cc_free(r);
}

static void
not_found(struct cc_mock_resp *resp, const char *path)
{
        gcp_error_v1(resp, 404, "notFound", "The resource '%s' was not found", path);
}

/* RFC 7386 JSON merge patch: objects merge, null deletes, the rest replaces */
static void
merge_patch(cJSON *target, const cJSON *patch)
{
        const cJSON *it;

        cJSON_ArrayForEach(it, patch)
        {
                cJSON *cur = cJSON_GetObjectItemCaseSensitive(target, it->string);

                if (cJSON_IsNull(it)) {
                        cJSON_DeleteItemFromObjectCaseSensitive(target, it->string);
                } else if (cJSON_IsObject(it) && cJSON_IsObject(cur)) {
                        merge_patch(cur, it);
                } else {
                        gcp_jset(target, it->string, cJSON_Duplicate(it, 1));
                }
        }
}

/* output-only fields clients send back on update: dropped, never rejected */
static void
strip_output_only(cJSON *o, enum cmp_coll coll)
{
        static const char *const common[] = { "kind",
                                              "id",
                                              "creationTimestamp",
                                              "selfLink",
                                              "selfLinkWithId",
                                              "fingerprint",
                                              "labelFingerprint",
                                              "region",
                                              "zone",
                                              "status",
                                              "users",
                                              "usedBy",
                                              "size",
                                              "loadBalancer",
                                              NULL };
        cJSON *m;
        size_t i;

        for (i = 0; common[i]; i++)
                cJSON_DeleteItemFromObjectCaseSensitive(o, common[i]);
        if (coll == C_CERT) {
                cJSON_DeleteItemFromObjectCaseSensitive(o, "expireTime");
                cJSON_DeleteItemFromObjectCaseSensitive(o, "subjectAlternativeNames");
                m = cJSON_GetObjectItemCaseSensitive(o, "managed");
                if (cJSON_IsObject(m)) {
                        cJSON_DeleteItemFromObjectCaseSensitive(m, "status");
                        cJSON_DeleteItemFromObjectCaseSensitive(m, "domainStatus");
                }
        }
}

/* --- field walker -------------------------------------------------------- */

/* visit every node at a "a.b[].c" path; fn returns false to stop (walk
 * then returns false too).  path receives "a.b[2].c" for messages. */
typedef bool (*visit_fn)(void *ud, cJSON *parent, cJSON *item, const char *path);

static bool
walk(cJSON *node, const char *spec, char *path, size_t plen, visit_fn fn, void *ud)
{
        char seg[96];
        const char *dot = strchr(spec, '.');
        size_t len = dot ? (size_t)(dot - spec) : strlen(spec);
        bool arr = len > 2 && !strncmp(spec + len - 2, "[]", 2);
        size_t base = strlen(path);
        cJSON *child;
        bool ok = true;

        if (!cJSON_IsObject(node))
                return true;
        snprintf(seg, sizeof(seg), "%.*s", (int)(arr ? len - 2 : len), spec);
        child = cJSON_GetObjectItemCaseSensitive(node, seg);
        if (!child || cJSON_IsNull(child))
                return true;
        snprintf(path + base, plen - base, "%s%s", base ? "." : "", seg);
        if (arr && cJSON_IsArray(child)) {
                cJSON *el;
                int i = 0;

                cJSON_ArrayForEach(el, child)
                {
                        size_t b2 = strlen(path);

                        snprintf(path + b2, plen - b2, "[%d]", i++);
                        ok = dot ? walk(el, dot + 1, path, plen, fn, ud) : fn(ud, child, el, path);
                        path[b2] = '\0';
                        if (!ok)
                                break;
                }
        } else if (!arr) {
                ok = dot ? walk(child, dot + 1, path, plen, fn, ud) : fn(ud, node, child, path);
        }
        path[base] = '\0';
        return ok;
}

static void
snake_path(const char *in, char *out, size_t n)
{
        size_t j = 0;

        for (; *in && j + 2 < n; in++) {
                if (isupper((unsigned char)*in) && j && out[j - 1] != '.' &&
                    !isupper((unsigned char)in[-1])) {
                        out[j++] = '_';
                }
                out[j++] = (char)tolower((unsigned char)*in);
        }
        out[j] = '\0';
}

struct type_ctx {
        const struct fspec *spec;
        struct cc_mock_resp *resp;
};

static bool
type_bad(struct type_ctx *t, const char *path, const char *tname, const cJSON *v)
{
        char sp[256], *txt = cJSON_PrintUnformatted(v);

        snake_path(path, sp, sizeof(sp));
        gcp_error_v1(t->resp, 400, "invalid", "Invalid value at 'resource.%s' (%s), %s", sp, tname,
                     txt ? txt : "?");
        if (txt)
                cJSON_free(txt);
        return false;
}

static bool
type_visit(void *ud, cJSON *parent, cJSON *item, const char *path)
{
        struct type_ctx *t = ud;
        const struct fspec *f = t->spec;

        switch (f->type) {
        case F_INT:
        case F_NUM:
                if (cJSON_IsString(item)) {
                        /* proto3 JSON takes numbers as strings too */
                        char *end;
                        double x = strtod(item->valuestring, &end);

                        if (!item->valuestring[0] || *end ||
                            (f->type == F_INT && x != (double)(long long)x))
                                return type_bad(
                                    t, path, f->type == F_INT ? "TYPE_INT32" : "TYPE_DOUBLE", item);
                        cJSON_SetNumberValue(item, x);
                        item->type = cJSON_Number;
                        cJSON_free(item->valuestring);
                        item->valuestring = NULL;
                        return true;
                }
                if (!cJSON_IsNumber(item) ||
                    (f->type == F_INT && item->valuedouble != (double)(long long)item->valuedouble))
                        return type_bad(t, path, f->type == F_INT ? "TYPE_INT32" : "TYPE_DOUBLE",
                                        item);
                return true;
        case F_BOOL:
                return cJSON_IsBool(item) ? true : type_bad(t, path, "TYPE_BOOL", item);
        case F_STR:
                return cJSON_IsString(item) ? true : type_bad(t, path, "TYPE_STRING", item);
        case F_ARR:
                return cJSON_IsArray(item) ? true : type_bad(t, path, "TYPE_LIST", item);
        case F_OBJ:
                return cJSON_IsObject(item) ? true : type_bad(t, path, "TYPE_MESSAGE", item);
        case F_ENUM: {
                char probe[96];

                if (!cJSON_IsString(item))
                        return type_bad(t, path, "TYPE_ENUM", item);
                snprintf(probe, sizeof(probe), "|%s|", item->valuestring);
                if (strlen(item->valuestring) > 80 || !strstr(f->values, probe))
                        return type_bad(t, path, "TYPE_ENUM", item);
                return true;
        }
        }
        (void)parent;
        return true;
}

static bool
check_types(cJSON *o, const struct fspec *specs, struct cc_mock_resp *resp)
{
        struct type_ctx t = { NULL, resp };
        char path[512];

        for (; specs->path; specs++) {
                path[0] = '\0';
                t.spec = specs;
                if (!walk(o, specs->path, path, sizeof(path), type_visit, &t))
                        return false;
        }
        return true;
}

/* --- references ---------------------------------------------------------- */

struct ref {
        enum cmp_coll coll;
        char project[64];
        char zone[64];
        char name[64];
        char path[320]; /* projects/... */
        char link[512]; /* canonical URL */
};

/* parse a reference in any accepted form into a canonical one */
static bool
ref_parse(const char *in, const char *project, unsigned mask, const char *zone, struct ref *out)
{
        char rest[512], buf[512];
        char *segs[8];
        const char *p = strstr(in, "projects/");
        int n, ci, first = -1;

        for (ci = 0; ci < C_NCOLL; ci++)
                if (mask & BIT(ci)) {
                        first = ci;
                        break;
                }
        if (first < 0 || !in[0])
                return false;
        if (p)
                snprintf(rest, sizeof(rest), "%s", p);
        else if (!strncmp(in, "global/", 7) || !strncmp(in, "zones/", 6))
                snprintf(rest, sizeof(rest), "projects/%s/%s", project, in);
        else if (!strchr(in, '/') && colls[first].zonal && zone && zone[0])
                snprintf(rest, sizeof(rest), "projects/%s/zones/%s/%s/%s", project, zone,
                         colls[first].name, in);
        else if (!strchr(in, '/'))
                snprintf(rest, sizeof(rest), "projects/%s/global/%s/%s", project, colls[first].name,
                         in);
        else
                return false;
        n = gcp_path_split(rest, buf, sizeof(buf), segs, 8);
        memset(out, 0, sizeof(*out));
        if (n == 5 && !strcmp(segs[2], "global")) {
                snprintf(out->project, sizeof(out->project), "%s", segs[1]);
                for (ci = 0; ci < C_NCOLL; ci++)
                        if ((mask & BIT(ci)) && !colls[ci].zonal &&
                            !strcmp(segs[3], colls[ci].name))
                                break;
                snprintf(out->name, sizeof(out->name), "%s", segs[4]);
        } else if (n == 6 && !strcmp(segs[2], "zones")) {
                snprintf(out->project, sizeof(out->project), "%s", segs[1]);
                snprintf(out->zone, sizeof(out->zone), "%s", segs[3]);
                for (ci = 0; ci < C_NCOLL; ci++)
                        if ((mask & BIT(ci)) && colls[ci].zonal && !strcmp(segs[4], colls[ci].name))
                                break;
                snprintf(out->name, sizeof(out->name), "%s", segs[5]);
        } else {
                return false;
        }
        if (ci == C_NCOLL || strcmp(segs[0], "projects") || !name_ok(out->name))
                return false;
        out->coll = (enum cmp_coll)ci;
        if (out->zone[0])
                snprintf(out->path, sizeof(out->path), "projects/%s/zones/%s/%s/%s", out->project,
                         out->zone, colls[ci].name, out->name);
        else
                snprintf(out->path, sizeof(out->path), "projects/%s/global/%s/%s", out->project,
                         colls[ci].name, out->name);
        snprintf(out->link, sizeof(out->link), "%s%s", GCP_COMPUTE_BASE, out->path);
        return true;
}

/* network / subnetwork / sslPolicy references: canonical, never checked */
static bool
canon_simple(cJSON *o, const char *key, const char *project, const char *scope,
             const char *collname)
{
        const char *v = gcp_jstr(o, key);
        char out[512];
        const char *p;

        if (!v)
                return true;
        p = strstr(v, "projects/");
        if (p)
                snprintf(out, sizeof(out), "%s%s", GCP_COMPUTE_BASE, p);
        else if (!strncmp(v, "global/", 7) || !strncmp(v, "regions/", 8))
                snprintf(out, sizeof(out), "%sprojects/%s/%s", GCP_COMPUTE_BASE, project, v);
        else if (!strchr(v, '/') && name_ok(v))
                snprintf(out, sizeof(out), "%sprojects/%s/%s/%s/%s", GCP_COMPUTE_BASE, project,
                         scope, collname, v);
        else
                return false;
        jset_str(o, key, out);
        return true;
}

struct ref_ctx {
        struct gcp_compute *c;
        const char *project;
        const char *zone;
        unsigned mask;
        struct cc_mock_resp *resp;
        bool check;
};

static bool
ref_visit(void *ud, cJSON *parent, cJSON *item, const char *path)
{
        struct ref_ctx *x = ud;
        struct ref r;

        (void)parent;
        if (!cJSON_IsString(item) ||
            !ref_parse(item->valuestring, x->project, x->mask, x->zone, &r)) {
                char *txt = cJSON_PrintUnformatted(item);

                gcp_error_v1(x->resp, 400, "invalid",
                             "Invalid value for field 'resource.%s': %s. The URL is malformed.",
                             path, txt ? txt : "?");
                if (txt)
                        cJSON_free(txt);
                return false;
        }
        if (x->check && x->c->g->cfg.check_references &&
            !cmp_res_find(x->c, r.coll, r.project, r.zone, r.name)) {
                not_found(x->resp, r.path);
                return false;
        }
        cJSON_SetValuestring(item, r.link);
        return true;
}

static bool
canon_refs(struct gcp_compute *c, cJSON *o, enum cmp_coll coll, const char *project,
           const char *zone, struct cc_mock_resp *resp)
{
        const struct rspec *s;
        struct ref_ctx x = { c, project, zone, 0, resp, true };
        char path[512];

        for (s = colls[coll].refs; s->path; s++) {
                path[0] = '\0';
                x.mask = s->mask;
                if (!walk(o, s->path, path, sizeof(path), ref_visit, &x))
                        return false;
        }
        return true;
}

struct use_ctx {
        const char *link;
        bool found;
};

static bool
use_visit(void *ud, cJSON *parent, cJSON *item, const char *path)
{
        struct use_ctx *u = ud;

        (void)parent;
        (void)path;
        if (cJSON_IsString(item) && !strcmp(item->valuestring, u->link)) {
                u->found = true;
                return false;
        }
        return true;
}

/* does r reference the resource at link? */
static bool
res_uses(const struct cmp_res *r, const char *link)
{
        const struct rspec *s;
        struct use_ctx u = { link, false };
        char path[512];

        if (r->coll == C_FR && !strcmp(r->addr_link, link))
                return true;
        for (s = colls[r->coll].refs; s->path && !u.found; s++) {
                path[0] = '\0';
                walk(r->obj, s->path, path, sizeof(path), use_visit, &u);
        }
        return u.found;
}

/* the first resource that references target, or NULL */
static struct cmp_res *
first_user(struct gcp_compute *c, const struct cmp_res *target)
{
        char link[400];
        size_t i;

        res_link(target, link, sizeof(link));
        for (i = 0; i < c->nres; i++)
                if (c->res[i] != target && res_uses(c->res[i], link))
                        return c->res[i];
        return NULL;
}

/* --- certificates -------------------------------------------------------- */

static void
asn1_to_compute(const ASN1_TIME *t, char *out, size_t n)
{
        struct tm tm;

        memset(&tm, 0, sizeof(tm));
        if (!ASN1_TIME_to_tm(t, &tm)) {
                snprintf(out, n, "%s", "");
                return;
        }
        gcp_time_compute((int64_t)timegm(&tm) * 1000, out, n);
}

/* expireTime and subjectAlternativeNames of a PEM certificate */
static bool
cert_describe(const char *pem, cJSON *o)
{
        BIO *b = BIO_new_mem_buf(pem, -1);
        X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
        GENERAL_NAMES *sans = NULL;
        cJSON *arr;
        char ts[48];
        int i;

        BIO_free(b);
        if (!x)
                return false;
        asn1_to_compute(X509_get0_notAfter(x), ts, sizeof(ts));
        jset_str(o, "expireTime", ts);
        arr = cJSON_CreateArray();
        sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
        for (i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
                const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);

                if (gn->type == GEN_DNS)
                        cJSON_AddItemToArray(
                            arr,
                            cJSON_CreateString((const char *)ASN1_STRING_get0_data(gn->d.dNSName)));
        }
        GENERAL_NAMES_free(sans);
        X509_free(x);
        gcp_jset(o, "subjectAlternativeNames", arr);
        return true;
}

static bool
key_parses(const char *pem)
{
        BIO *b = BIO_new_mem_buf(pem, -1);
        EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;

        BIO_free(b);
        EVP_PKEY_free(k);
        return k != NULL;
}

/* a self-signed certificate for the managed domains, as the provisioned
 * certificate (the PEM is real so clients that parse it can) */
static char *
issue_pem(const cJSON *domains, long serial)
{
        EVP_PKEY *pk = EVP_EC_gen("P-256");
        X509 *x = X509_new();
        X509_EXTENSION *ext = NULL;
        BIO *b = NULL;
        struct cc_buf san = CC_BUF_INIT(1 << 16);
        const cJSON *d;
        char *data = NULL, *out = NULL;
        long len;
        X509_NAME *nm;

        if (!pk || !x)
                goto out;
        cJSON_ArrayForEach(d, domains)
        {
                if (cJSON_IsString(d))
                        cc_buf_printf(&san, "%sDNS:%s", san.len ? "," : "", d->valuestring);
        }
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
        X509_gmtime_adj(X509_getm_notBefore(x), 0);
        X509_gmtime_adj(X509_getm_notAfter(x), 90L * 86400);
        X509_set_pubkey(x, pk);
        nm = X509_get_subject_name(x);
        X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
                                   (const unsigned char *)(san.len ? cc_buf_str(&san) + 4 : "mock"),
                                   -1, -1, 0);
        X509_set_issuer_name(x, nm);
        if (san.len) {
                ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, cc_buf_str(&san));
                if (ext)
                        X509_add_ext(x, ext, -1);
        }
        if (!X509_sign(x, pk, EVP_sha256()))
                goto out;
        b = BIO_new(BIO_s_mem());
        if (!b || !PEM_write_bio_X509(b, x))
                goto out;
        len = BIO_get_mem_data(b, &data);
        if (len > 0)
                out = cc_strndup(data, (size_t)len);
out:
        X509_EXTENSION_free(ext);
        BIO_free(b);
        X509_free(x);
        EVP_PKEY_free(pk);
        cc_buf_release(&san);
        return out;
}

/* bring a MANAGED certificate's provisioning state up to date */
static void
cert_eval(struct gcp_compute *c, struct cmp_res *r)
{
        cJSON *m = cJSON_GetObjectItemCaseSensitive(r->obj, "managed");
        const cJSON *domains = cJSON_GetObjectItemCaseSensitive(m, "domains");
        const char *cur = gcp_jstr(m, "status");
        const char *want, *dstate;
        cJSON *ds;
        const cJSON *d;

        if (!cJSON_IsObject(m) || !gcp_jstr(r->obj, "type") ||
            strcmp(gcp_jstr(r->obj, "type"), "MANAGED"))
                return;
        if (!strcmp(r->cert_forced, "FAILED")) {
                want = "PROVISIONING_FAILED";
                dstate = r->cert_domain_state[0] ? r->cert_domain_state : "FAILED_NOT_VISIBLE";
        } else if (!strcmp(r->cert_forced, "ACTIVE") ||
                   gcp_now_ms() >= r->created_ms + c->g->cfg.cert_latency_ms) {
                want = "ACTIVE";
                dstate = "ACTIVE";
        } else {
                want = "PROVISIONING";
                dstate = "PROVISIONING";
        }
        if (cur && !strcmp(cur, want))
                return;
        jset_str(m, "status", want);
        ds = cJSON_CreateObject();
        cJSON_ArrayForEach(d, domains)
        {
                if (cJSON_IsString(d))
                        cJSON_AddStringToObject(ds, d->valuestring, dstate);
        }
        gcp_jset(m, "domainStatus", ds);
        if (!strcmp(want, "ACTIVE") && !gcp_jstr(r->obj, "certificate")) {
                char *pem = issue_pem(domains, (long)(c->g->next_id++ & 0x7fffffff));

                if (pem) {
                        jset_str(r->obj, "certificate", pem);
                        cert_describe(pem, r->obj);
                        cc_free(pem);
                }
        }
        gcp_changed(c->g);
}

bool
cmp_cert_force(struct gcp_compute *c, const char *project, const char *name, const char *state,
               const char *domain_state)
{
        struct cmp_res *r = cmp_res_find(c, C_CERT, project, "", name);

        if (!r || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(r->obj, "managed")))
                return false;
        snprintf(r->cert_forced, sizeof(r->cert_forced), "%s", state);
        snprintf(r->cert_domain_state, sizeof(r->cert_domain_state), "%s",
                 domain_state ? domain_state : "");
        cert_eval(c, r);
        gcp_changed(c->g);
        return true;
}

/* --- rendering ----------------------------------------------------------- */

static cJSON *
render(struct gcp_compute *c, struct cmp_res *r)
{
        cJSON *o;
        char link[400];
        size_t i;

        if (r->coll == C_CERT)
                cert_eval(c, r);
        o = cJSON_Duplicate(r->obj, 1);
        if (!o)
                return NULL;
        res_link(r, link, sizeof(link));
        if (r->coll == C_ADDR) {
                cJSON *users = cJSON_CreateArray();

                for (i = 0; i < c->nres; i++) {
                        char ul[400];

                        if (c->res[i]->coll != C_FR || strcmp(c->res[i]->addr_link, link))
                                continue;
                        res_link(c->res[i], ul, sizeof(ul));
                        cJSON_AddItemToArray(users, cJSON_CreateString(ul));
                }
                jset_str(o, "status", cJSON_GetArraySize(users) ? "IN_USE" : "RESERVED");
                if (cJSON_GetArraySize(users))
                        cJSON_AddItemToObject(o, "users", users);
                else
                        cJSON_Delete(users);
        } else if (r->coll == C_BS) {
                cJSON *used = cJSON_CreateArray();

                for (i = 0; i < c->nres; i++) {
                        char ul[400];
                        cJSON *u;

                        if (c->res[i]->coll != C_UM || !res_uses(c->res[i], link))
                                continue;
                        res_link(c->res[i], ul, sizeof(ul));
                        u = cJSON_CreateObject();
                        cJSON_AddStringToObject(u, "reference", ul);
                        cJSON_AddItemToArray(used, u);
                }
                if (cJSON_GetArraySize(used))
                        cJSON_AddItemToObject(o, "usedBy", used);
                else
                        cJSON_Delete(used);
        } else if (r->coll == C_NEG) {
                gcp_jset(o, "size", cJSON_CreateNumber(cJSON_GetArraySize(r->endpoints)));
        }
        return o;
}

/* --- per-collection normalization ---------------------------------------- */

struct norm {
        struct gcp_compute *c;
        struct cmp_res *self; /* NULL on insert */
        const char *project;
        const char *zone;
        const char *name;
        struct cc_mock_resp *resp;
        char addr_link[512]; /* out: forwarding rule's reserved address */
};

static bool
ip_literal(const char *s)
{
        unsigned char buf[16];

        return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static bool
ip_taken(struct gcp_compute *c, const char *ip)
{
        size_t i;

        for (i = 0; i < c->nres; i++) {
                const char *a = c->res[i]->coll == C_ADDR ? gcp_jstr(c->res[i]->obj, "address")
                                : c->res[i]->coll == C_FR ? gcp_jstr(c->res[i]->obj, "IPAddress")
                                                          : NULL;

                if (a && !strcmp(a, ip))
                        return true;
        }
        return false;
}

static void
alloc_ip(struct gcp_compute *c, bool v6, const char *prefix, char *out, size_t n)
{
        do {
                unsigned k = c->next_ip++;

                if (v6)
                        snprintf(out, n, "2600:1901:0:%x::", k & 0xffff);
                else
                        snprintf(out, n, "%s.%u.%u", prefix, (k / 250) % 250, k % 250 + 2);
        } while (ip_taken(c, out));
}

static bool
norm_addr(struct norm *x, cJSON *o)
{
        const char *ip = gcp_jstr(o, "address");
        const char *ver = gcp_jstr(o, "ipVersion");
        char buf[64];

        if (ip && (!ip_literal(ip) || (!x->self && ip_taken(x->c, ip)))) {
                gcp_error_v1(x->resp, 400, "invalid",
                             "Invalid value for field 'resource.address': '%s'. Specified IP "
                             "address is in-use and would result in a conflict.",
                             ip);
                return false;
        }
        if (!ip) {
                alloc_ip(x->c, ver && !strcmp(ver, "IPV6"), "34.120", buf, sizeof(buf));
                jset_str(o, "address", buf);
        }
        jdefault(o, "addressType", cJSON_CreateString("EXTERNAL"));
        jdefault(o, "ipVersion",
                 cJSON_CreateString(strchr(gcp_jstr(o, "address"), ':') ? "IPV6" : "IPV4"));
        jdefault(o, "networkTier", cJSON_CreateString("PREMIUM"));
        return true;
}

static bool
norm_hc(struct norm *x, cJSON *o)
{
        static const char *const types[] = {
                "HTTP", "httpHealthCheck", "HTTPS", "httpsHealthCheck", "HTTP2", "http2HealthCheck",
                "TCP",  "tcpHealthCheck",  "SSL",   "sslHealthCheck",   "GRPC",  "grpcHealthCheck",
                NULL
        };
        const char *type = gcp_jstr(o, "type");
        const char *sub = NULL;
        cJSON *so;
        double ci, to;
        size_t i;

        for (i = 0; types[i]; i += 2) {
                if (type && !strcmp(type, types[i]))
                        sub = types[i + 1];
                if (!type && cJSON_GetObjectItemCaseSensitive(o, types[i + 1])) {
                        type = types[i];
                        sub = types[i + 1];
                        jset_str(o, "type", type);
                }
        }
        if (!sub) {
                gcp_error_v1(x->resp, 400, "invalid",
                             "Invalid value for field 'resource.type': '%s'. Health check type "
                             "must be specified.",
                             type ? type : "");
                return false;
        }
        jdefault(o, "checkIntervalSec", cJSON_CreateNumber(5));
        jdefault(o, "timeoutSec", cJSON_CreateNumber(5));
        jdefault(o, "healthyThreshold", cJSON_CreateNumber(2));
        jdefault(o, "unhealthyThreshold", cJSON_CreateNumber(2));
        so = cJSON_GetObjectItemCaseSensitive(o, sub);
        if (!so) {
                so = cJSON_CreateObject();
                cJSON_AddItemToObject(o, sub, so);
        }
        if (!gcp_jstr(so, "portName"))
                jdefault(
                    so, "port",
                    cJSON_CreateNumber(!strcmp(type, "HTTPS") || !strcmp(type, "SSL") ? 443 : 80));
        if (!strncmp(type, "HTTP", 4))
                jdefault(so, "requestPath", cJSON_CreateString("/"));
        if (strcmp(type, "GRPC"))
                jdefault(so, "proxyHeader", cJSON_CreateString("NONE"));
        ci = cJSON_GetObjectItemCaseSensitive(o, "checkIntervalSec")->valuedouble;
        to = cJSON_GetObjectItemCaseSensitive(o, "timeoutSec")->valuedouble;
        if (to > ci) {
                gcp_error_v1(x->resp, 400, "invalid",
                             "Invalid value for field 'resource.timeoutSec': '%.0f'. TimeoutSec "
                             "should be less than checkIntervalSec.",
                             to);
                return false;
        }
        return true;
}

static bool
norm_bs(struct norm *x, cJSON *o)
{
        cJSON *backends = cJSON_GetObjectItemCaseSensitive(o, "backends");
        cJSON *hcs = cJSON_GetObjectItemCaseSensitive(o, "healthChecks");
        cJSON *b;
        int i = 0;
        bool negs = false;

        jdefault(o, "loadBalancingScheme", cJSON_CreateString("EXTERNAL"));
        jdefault(o, "protocol", cJSON_CreateString("HTTP"));
        jdefault(o, "timeoutSec", cJSON_CreateNumber(30));
        jdefault(o, "port", cJSON_CreateNumber(80));
        jdefault(o, "portName", cJSON_CreateString("http"));
        jdefault(o, "sessionAffinity", cJSON_CreateString("NONE"));
        jdefault(o, "affinityCookieTtlSec", cJSON_CreateNumber(0));
        jdefault(o, "enableCDN", cJSON_CreateFalse());
        if (!cJSON_GetObjectItemCaseSensitive(o, "connectionDraining")) {
                cJSON *cd = cJSON_CreateObject();

                cJSON_AddNumberToObject(cd, "drainingTimeoutSec", 0);
                cJSON_AddItemToObject(o, "connectionDraining", cd);
        }
        if (cJSON_GetArraySize(hcs) > 1) {
                gcp_error_v1(x->resp, 400, "invalid",
                             "Invalid value for field 'resource.healthChecks': ''. At most one "
                             "health check can be specified.");
                return false;
        }
        cJSON_ArrayForEach(b, backends)
        {
                const cJSON *cs = cJSON_GetObjectItemCaseSensitive(b, "capacityScaler");
                const char *grp = gcp_jstr(b, "group");
                cJSON *b2;
                int j = 0;

                if (!grp) {
                        gcp_error_v1(x->resp, 400, "required",
                                     "Required field 'resource.backends[%d].group' not specified",
                                     i);
                        return false;
                }
                if (strstr(grp, "/networkEndpointGroups/"))
                        negs = true;
                if (cs && (cs->valuedouble < 0 || cs->valuedouble > 1 ||
                           (cs->valuedouble > 0 && cs->valuedouble < 0.1))) {
                        gcp_error_v1(x->resp, 400, "invalid",
                                     "Invalid value for field 'resource.backends[%d]."
                                     "capacityScaler': '%g'. Must be 0.0 or in range [0.1, 1.0].",
                                     i, cs->valuedouble);
                        return false;
                }
                cJSON_ArrayForEach(b2, backends)
                {
                        if (j++ < i + 1)
                                continue;
                        if (gcp_jstr(b2, "group") && !strcmp(gcp_jstr(b2, "group"), grp) &&
                            i != j - 1) {
                                gcp_error_v1(x->resp, 400, "invalid",
                                             "Invalid value for field 'resource.backends[%d]."
                                             "group': '%s'. Duplicate backend group.",
                                             j - 1, grp);
                                return false;
                        }
                }
                jdefault(b, "balancingMode", cJSON_CreateString("UTILIZATION"));
                jdefault(b, "capacityScaler", cJSON_CreateNumber(1));
                i++;
        }
        if (negs && cJSON_GetArraySize(hcs) == 0) {
                gcp_error_v1(x->resp, 400, "invalid",
                             "Invalid value for field 'resource.healthChecks': ''. A health check "
                             "must be specified for backend services with network endpoint group "
                             "backends.");
                return false;
        }
        return true;
}

static bool
norm_um(struct norm *x, cJSON *o)
{
        const cJSON *hr, *pm, *pr, *rr, *p;
        int i = 0;

        cJSON_ArrayForEach(hr, cJSON_GetObjectItemCaseSensitive(o, "hostRules"))
        {
                const char *want = gcp_jstr(hr, "pathMatcher");
                bool found = false;

                cJSON_ArrayForEach(pm, cJSON_GetObjectItemCaseSensitive(o, "pathMatchers"))
                {
                        if (want && gcp_jstr(pm, "name") && !strcmp(gcp_jstr(pm, "name"), want))
                                found = true;
                }
                if (!found) {
                        gcp_error_v1(x->resp, 400, "invalid",
                                     "Invalid value for field 'resource.hostRules[%d].pathMatcher'"
                                     ": '%s'. The path matcher name does not match any path "
                                     "matcher.",
                                     i, want ? want : "");
                        return false;
                }
                i++;
        }
        i = 0;
        cJSON_ArrayForEach(pm, cJSON_GetObjectItemCaseSensitive(o, "pathMatchers"))
        {
                int j = 0;

                cJSON_ArrayForEach(pr, cJSON_GetObjectItemCaseSensitive(pm, "pathRules"))
                {
                        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(pr, "paths"))
                        {
                                if (!cJSON_IsString(p) || p->valuestring[0] != '/') {
                                        gcp_error_v1(
                                            x->resp, 400, "invalid",
                                            "Invalid value for field 'resource.pathMatchers[%d]."
                                            "pathRules[%d].paths': '%s'. Paths must start with "
                                            "'/'.",
                                            i, j, cJSON_IsString(p) ? p->valuestring : "");
                                        return false;
                                }
                        }
                        j++;
                }
                j = 0;
                cJSON_ArrayForEach(rr, cJSON_GetObjectItemCaseSensitive(pm, "routeRules"))
                {
                        const cJSON *r2;
                        const cJSON *pri = cJSON_GetObjectItemCaseSensitive(rr, "priority");
                        int k = 0;

                        cJSON_ArrayForEach(r2, cJSON_GetObjectItemCaseSensitive(pm, "routeRules"))
                        {
                                const cJSON *p2 = cJSON_GetObjectItemCaseSensitive(r2, "priority");

                                if (k++ > j && pri && p2 && pri->valuedouble == p2->valuedouble) {
                                        gcp_error_v1(
                                            x->resp, 400, "invalid",
                                            "Invalid value for field 'resource.pathMatchers[%d]."
                                            "routeRules[%d].priority': '%.0f'. Route rule "
                                            "priorities must be unique within a path matcher.",
                                            i, k - 1, p2->valuedouble);
                                        return false;
                                }
                        }
                        j++;
                }
                i++;
        }
        return true;
}

static bool
norm_proxy(struct norm *x, cJSON *o, bool https)
{
        const char *cm;

        if (!gcp_jstr(o, "urlMap")) {
                gcp_error_v1(x->resp, 400, "required",
                             "Required field 'resource.urlMap' not specified");
                return false;
        }
        if (!https)
                return true;
        jdefault(o, "quicOverride", cJSON_CreateString("NONE"));
        jdefault(o, "tlsEarlyData", cJSON_CreateString("DISABLED"));
        if (gcp_jstr(o, "sslPolicy") &&
            !canon_simple(o, "sslPolicy", x->project, "global", "sslPolicies")) {
                gcp_error_v1(x->resp, 400, "invalid",
                             "Invalid value for field 'resource.sslPolicy': '%s'. The URL is "
                             "malformed.",
                             gcp_jstr(o, "sslPolicy"));
                return false;
        }
        cm = gcp_jstr(o, "certificateMap");
        if (cm) {
                char buf[512], *segs[8], canon[512];
                const char *p = strstr(cm, "projects/");
                int n = p ? gcp_path_split(p, buf, sizeof(buf), segs, 8) : -1;

                if (n != 6 || strcmp(segs[2], "locations") || strcmp(segs[4], "certificateMaps") ||
                    !segs[5][0]) {
                        gcp_error_v1(x->resp, 400, "invalid",
                                     "Invalid value for field 'resource.certificateMap': '%s'. "
                                     "The URL is malformed.",
                                     cm);
                        return false;
                }
                if (x->c->g->cfg.check_references && x->c->g->hooks.certmap_exists &&
                    !x->c->g->hooks.certmap_exists(x->c->g, segs[1], segs[3], segs[5])) {
                        not_found(x->resp, p);
                        return false;
                }
                snprintf(canon, sizeof(canon),
                         "//certificatemanager.googleapis.com/projects/%s/locations/%s/"
                         "certificateMaps/%s",
                         segs[1], segs[3], segs[5]);
                jset_str(o, "certificateMap", canon);
        } else if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "sslCertificates")) ==
                   0) {
                gcp_error_v1(x->resp, 400, "invalid",
                             "Invalid value for field 'resource.sslCertificates': ''. At least "
                             "one SSL certificate or a certificate map must be specified.");
                return false;
        }
        if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "sslCertificates")) > 15) {
                gcp_error_v1(x->resp, 400, "invalid",
                             "Invalid value for field 'resource.sslCertificates': ''. At most 15 "
                             "SSL certificates can be specified.");
                return false;
        }
        return true;
}

static bool
norm_fr(struct norm *x, cJSON *o)
{
        const char *ip = gcp_jstr(o, "IPAddress");
        const char *pr = gcp_jstr(o, "portRange");
        char buf[64];
        size_t i;

        x->addr_link[0] = '\0';
        if (!gcp_jstr(o, "target")) {
                gcp_error_v1(x->resp, 400, "required",
                             "Required field 'resource.target' not specified");
                return false;
        }
        if (ip && ip_literal(ip)) {
                for (i = 0; i < x->c->nres; i++) {
                        struct cmp_res *a = x->c->res[i];

                        if (a->coll == C_ADDR && !strcmp(a->project, x->project) &&
                            gcp_jstr(a->obj, "address") && !strcmp(gcp_jstr(a->obj, "address"), ip))
                                res_link(a, x->addr_link, sizeof(x->addr_link));
                }
        } else if (ip) {
                struct ref r;
                struct cmp_res *a;

                if (!ref_parse(ip, x->project, BIT(C_ADDR), NULL, &r)) {
                        gcp_error_v1(x->resp, 400, "invalid",
                                     "Invalid value for field 'resource.IPAddress': '%s'. The "
                                     "URL is malformed.",
                                     ip);
                        return false;
                }
                a = cmp_res_find(x->c, C_ADDR, r.project, "", r.name);
                if (!a) {
                        not_found(x->resp, r.path);
                        return false;
                }
                snprintf(x->addr_link, sizeof(x->addr_link), "%s", r.link);
                jset_str(o, "IPAddress", gcp_jstr(a->obj, "address"));
        } else {
                alloc_ip(x->c, false, "34.149", buf, sizeof(buf));
                jset_str(o, "IPAddress", buf);
        }
        if (pr) {
                unsigned lo, hi;
                char tail;

                if (sscanf(pr, "%u-%u%c", &lo, &hi, &tail) == 2 && lo <= hi && hi <= 65535) {
                        /* already a range */
                } else if (sscanf(pr, "%u%c", &lo, &tail) == 1 && lo >= 1 && lo <= 65535) {
                        snprintf(buf, sizeof(buf), "%u-%u", lo, lo);
                        jset_str(o, "portRange", buf);
                } else {
                        gcp_error_v1(x->resp, 400, "invalid",
                                     "Invalid value for field 'resource.portRange': '%s'. Invalid "
                                     "port range.",
                                     pr);
                        return false;
                }
        }
        jdefault(o, "IPProtocol", cJSON_CreateString("TCP"));
        jdefault(o, "loadBalancingScheme", cJSON_CreateString("EXTERNAL"));
        jdefault(o, "networkTier", cJSON_CreateString("PREMIUM"));
        return true;
}

static bool
norm_neg(struct norm *x, cJSON *o)
{
        char region[64], scope[96];

        region_of(x->zone, region, sizeof(region));
        snprintf(scope, sizeof(scope), "regions/%s", region);
        jdefault(o, "networkEndpointType", cJSON_CreateString("GCE_VM_IP_PORT"));
        jdefault(o, "network", cJSON_CreateString("global/networks/default"));
        if (!canon_simple(o, "network", x->project, "global", "networks") ||
            !canon_simple(o, "subnetwork", x->project, scope, "subnetworks")) {
                gcp_error_v1(x->resp, 400, "invalid",
                             "Invalid value for field 'resource.network': ''. The URL is "
                             "malformed.");
                return false;
        }
        return true;
}

static bool
norm_fw(struct norm *x, cJSON *o)
{
        const cJSON *pri = cJSON_GetObjectItemCaseSensitive(o, "priority");
        const char *dir;

        jdefault(o, "network", cJSON_CreateString("global/networks/default"));
        if (!canon_simple(o, "network", x->project, "global", "networks")) {
                gcp_error_v1(x->resp, 400, "invalid",
                             "Invalid value for field 'resource.network': '%s'. The URL is "
                             "malformed.",
                             gcp_jstr(o, "network"));
                return false;
        }
        jdefault(o, "direction", cJSON_CreateString("INGRESS"));
        jdefault(o, "priority", cJSON_CreateNumber(1000));
        jdefault(o, "disabled", cJSON_CreateFalse());
        if (!cJSON_GetObjectItemCaseSensitive(o, "logConfig")) {
                cJSON *lc = cJSON_CreateObject();

                cJSON_AddFalseToObject(lc, "enable");
                cJSON_AddItemToObject(o, "logConfig", lc);
        }
        pri = cJSON_GetObjectItemCaseSensitive(o, "priority");
        if (pri->valuedouble < 0 || pri->valuedouble > 65535) {
                gcp_error_v1(x->resp, 400, "invalid",
                             "Invalid value for field 'resource.priority': '%.0f'. Must be less "
                             "than or equal to 65535",
                             pri->valuedouble);
                return false;
        }
        if ((cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "allowed")) > 0) ==
            (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "denied")) > 0)) {
                gcp_error_v1(x->resp, 400, "invalid",
                             "Invalid value for field 'resource.allowed': ''. Exactly one of "
                             "'allowed' or 'denied' must be specified.");
                return false;
        }
        dir = gcp_jstr(o, "direction");
        if (!strcmp(dir, "INGRESS") && !cJSON_GetObjectItemCaseSensitive(o, "sourceRanges") &&
            !cJSON_GetObjectItemCaseSensitive(o, "sourceTags") &&
            !cJSON_GetObjectItemCaseSensitive(o, "sourceServiceAccounts")) {
                cJSON *a = cJSON_CreateArray();

                cJSON_AddItemToArray(a, cJSON_CreateString("0.0.0.0/0"));
                cJSON_AddItemToObject(o, "sourceRanges", a);
        }
        if (!strcmp(dir, "EGRESS") && !cJSON_GetObjectItemCaseSensitive(o, "destinationRanges")) {
                cJSON *a = cJSON_CreateArray();

                cJSON_AddItemToArray(a, cJSON_CreateString("0.0.0.0/0"));
                cJSON_AddItemToObject(o, "destinationRanges", a);
        }
        return true;
}

static bool
norm_cert(struct norm *x, cJSON *o)
{
        cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "managed");
        const char *type = gcp_jstr(o, "type");
        const char *pem = gcp_jstr(o, "certificate"), *key = gcp_jstr(o, "privateKey");

        if (!type)
                jset_str(o, "type", cJSON_IsObject(m) ? "MANAGED" : "SELF_MANAGED");
        type = gcp_jstr(o, "type");
        if (!strcmp(type, "MANAGED")) {
                int nd = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(m, "domains"));

                if (nd < 1 || nd > 100) {
                        gcp_error_v1(x->resp, 400, "invalid",
                                     "Invalid value for field 'resource.managed.domains': ''. "
                                     "Between 1 and 100 domains must be specified.");
                        return false;
                }
                cJSON_DeleteItemFromObjectCaseSensitive(o, "certificate");
                cJSON_DeleteItemFromObjectCaseSensitive(o, "privateKey");
                return true;
        }
        if (!pem || !key) {
                gcp_error_v1(x->resp, 400, "required", "Required field 'resource.%s' not specified",
                             pem ? "privateKey" : "certificate");
                return false;
        }
        if (!cert_describe(pem, o)) {
                gcp_error_v1(x->resp, 400, "invalid",
                             "Invalid value for field 'resource.certificate': ''. The SSL "
                             "certificate could not be parsed.");
                return false;
        }
        if (!key_parses(key)) {
                gcp_error_v1(x->resp, 400, "invalid",
                             "Invalid value for field 'resource.privateKey': ''. The SSL key "
                             "could not be parsed.");
                return false;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(o, "privateKey"); /* input only */
        cJSON_DeleteItemFromObjectCaseSensitive(o, "managed");
        return true;
}

/* validate, fill defaults and canonicalize o (the would-be stored resource) */
static bool
normalize(struct norm *x, enum cmp_coll coll, cJSON *o)
{
        const char *name = gcp_jstr(o, "name");

        if (!check_types(o, t_common, x->resp) || !check_types(o, colls[coll].types, x->resp))
                return false;
        if (!name) {
                gcp_error_v1(x->resp, 400, "required",
                             "Required field 'resource.name' not specified");
                return false;
        }
        if (!name_ok(name)) {
                bad_name(x->resp, "resource.name", name);
                return false;
        }
        jdefault(o, "description", cJSON_CreateString(""));
        if (!canon_refs(x->c, o, coll, x->project, x->zone, x->resp))
                return false;
        switch (coll) {
        case C_ADDR:
                return norm_addr(x, o);
        case C_HC:
                return norm_hc(x, o);
        case C_BS:
                return norm_bs(x, o);
        case C_UM:
                return norm_um(x, o);
        case C_THP:
                return norm_proxy(x, o, false);
        case C_THSP:
                return norm_proxy(x, o, true);
        case C_FR:
                return norm_fr(x, o);
        case C_NEG:
                return norm_neg(x, o);
        case C_FW:
                return norm_fw(x, o);
        case C_CERT:
                return norm_cert(x, o);
        case C_NCOLL:
                break;
        }
        return false;
}

/* the API's bytes fields are URL-safe base64 (gcloud re-encodes them that
 * way too), so fingerprints use that alphabet and compare across both */
static void
urlsafe(char *s)
{
        for (; *s; s++)
                *s = *s == '+' ? '-' : *s == '/' ? '_' : *s;
}

static bool
fp_equal(const char *a, const char *b)
{
        for (; *a && *b; a++, b++) {
                char x = *a == '+' ? '-' : *a == '/' ? '_' : *a;
                char y = *b == '+' ? '-' : *b == '/' ? '_' : *b;

                if (x != y)
                        return false;
        }
        return *a == *b;
}

static void
set_label_fp(struct gcp *g, cJSON *o)
{
        const cJSON *labels = cJSON_GetObjectItemCaseSensitive(o, "labels");
        char fp[32];

        if (cJSON_GetArraySize(labels) == 0)
                snprintf(fp, sizeof(fp), "%s", EMPTY_LABEL_FP);
        else
                gcp_fingerprint(g, labels, fp, sizeof(fp));
        urlsafe(fp);
        jset_str(o, "labelFingerprint", fp);
}

static void
set_fp(struct gcp *g, enum cmp_coll coll, cJSON *o)
{
        char fp[32];

        if (!colls[coll].fingerprint)
                return;
        cJSON_DeleteItemFromObjectCaseSensitive(o, "fingerprint");
        gcp_fingerprint(g, o, fp, sizeof(fp));
        urlsafe(fp);
        jset_str(o, "fingerprint", fp);
}

/* --- request context and mutation tail ----------------------------------- */

struct rq {
        struct gcp_compute *c;
        const struct cc_mock_req *req;
        struct cc_mock_resp *resp;
        const char *project;
        const char *zone; /* "" for global */
        enum cmp_coll coll;
        const char *name;
        char request_id[128];
};

static void
res_remove(struct gcp_compute *c, struct cmp_res *r)
{
        size_t i;

        for (i = 0; i < c->nres; i++)
                if (c->res[i] == r)
                        break;
        if (i == c->nres)
                return;
        memmove(c->res + i, c->res + i + 1, (c->nres - i - 1) * sizeof(*c->res));
        c->nres--;
        cmp_res_free(r);
}

/* start the op for a mutation of r; false when a fail rule says the
 * mutation must not be applied (the op is already in resp) */
static bool
mutation_op(struct rq *q, struct cmp_res *r, const char *op_type, struct cmp_op **out)
{
        char link[400];
        const char *id = gcp_jstr(r->obj, "id");
        bool failed = false;
        struct cmp_op *op;

        res_link(r, link, sizeof(link));
        op = cmp_op_start(q->c, q->project, q->zone, op_type, link, id, q->request_id, &failed);
        if (!op) {
                gcp_error_v1(q->resp, 500, "internalError", "out of memory");
                return false;
        }
        *out = op;
        if (failed)
                cmp_op_reply(q->c, op, q->resp);
        return !failed;
}

static void
res_insert(struct rq *q)
{
        struct gcp_compute *c = q->c;
        struct gcp *g = c->g;
        cJSON *o = gcp_parse_body(q->req, q->resp, false);
        struct cmp_res *r = NULL;
        struct norm x;
        struct cmp_op *op;
        const char *name;
        char id[32], ts[48], link[400], path[320];
        size_t i, count = 0;

        if (!o)
                return;
        strip_output_only(o, q->coll);
        memset(&x, 0, sizeof(x));
        x.c = c;
        x.project = q->project;
        x.zone = q->zone;
        x.resp = q->resp;
        name = gcp_jstr(o, "name");
        if (name && name_ok(name) && cmp_res_find(c, q->coll, q->project, q->zone, name)) {
                struct cmp_res probe;

                memset(&probe, 0, sizeof(probe));
                probe.coll = q->coll;
                snprintf(probe.project, sizeof(probe.project), "%s", q->project);
                snprintf(probe.zone, sizeof(probe.zone), "%s", q->zone);
                snprintf(probe.name, sizeof(probe.name), "%s", name);
                cmp_res_path(&probe, path, sizeof(path));
                gcp_error_v1(q->resp, 409, "alreadyExists", "The resource '%s' already exists",
                             path);
                goto out;
        }
        for (i = 0; i < c->nres; i++)
                if (c->res[i]->coll == q->coll && !strcmp(c->res[i]->project, q->project))
                        count++;
        if (!cmp_quota_check(c, q->project, q->coll, count, q->resp))
                goto out;
        if (!normalize(&x, q->coll, o))
                goto out;
        r = cc_calloc(1, sizeof(*r));
        if (!r || CC_GROW(c->res, c->res_cap, c->nres + 1)) {
                gcp_error_v1(q->resp, 500, "internalError", "out of memory");
                goto out;
        }
        r->coll = q->coll;
        snprintf(r->project, sizeof(r->project), "%s", q->project);
        snprintf(r->zone, sizeof(r->zone), "%s", q->zone);
        snprintf(r->name, sizeof(r->name), "%s", gcp_jstr(o, "name"));
        snprintf(r->addr_link, sizeof(r->addr_link), "%s", x.addr_link);
        r->created_ms = gcp_now_ms();
        gcp_new_id(g, id, sizeof(id));
        gcp_time_compute(r->created_ms, ts, sizeof(ts));
        res_link(r, link, sizeof(link));
        jset_str(o, "kind", colls[q->coll].kind);
        jset_str(o, "id", id);
        jset_str(o, "creationTimestamp", ts);
        jset_str(o, "selfLink", link);
        if (q->zone[0]) {
                char zl[256];

                snprintf(zl, sizeof(zl), "%sprojects/%s/zones/%s", GCP_COMPUTE_BASE, q->project,
                         q->zone);
                jset_str(o, "zone", zl);
        }
        if (colls[q->coll].label_fp)
                set_label_fp(g, o);
        set_fp(g, q->coll, o);
        r->obj = o;
        o = NULL;
        if (q->coll == C_NEG)
                r->endpoints = cJSON_CreateArray();
        if (!mutation_op(q, r, "insert", &op))
                goto out;
        c->res[c->nres++] = r;
        r = NULL;
        gcp_changed(g);
        cmp_op_reply(c, op, q->resp);
out:
        cmp_res_free(r);
        cJSON_Delete(o);
}

static struct cmp_res *
lookup(struct rq *q)
{
        struct cmp_res *r = cmp_res_find(q->c, q->coll, q->project, q->zone, q->name);

        if (!r) {
                struct cmp_res probe;
                char path[320];

                memset(&probe, 0, sizeof(probe));
                probe.coll = q->coll;
                snprintf(probe.project, sizeof(probe.project), "%s", q->project);
                snprintf(probe.zone, sizeof(probe.zone), "%s", q->zone);
                snprintf(probe.name, sizeof(probe.name), "%s", q->name);
                cmp_res_path(&probe, path, sizeof(path));
                not_found(q->resp, path);
        }
        return r;
}

static void
res_get(struct rq *q)
{
        struct cmp_res *r = lookup(q);
        cJSON *o;

        if (!r)
                return;
        o = render(q->c, r);
        cc_mock_resp_json(q->resp, 200, o);
        cJSON_Delete(o);
}

static void
res_delete(struct rq *q)
{
        struct cmp_res *r = lookup(q), *user;
        struct cmp_op *op;
        char p1[320], p2[320];

        if (!r)
                return;
        user = first_user(q->c, r);
        if (user) {
                cmp_res_path(r, p1, sizeof(p1));
                cmp_res_path(user, p2, sizeof(p2));
                gcp_error_v1(q->resp, 400, "resourceInUseByAnotherResource",
                             "The %s resource '%s' is already being used by '%s'",
                             colls[r->coll].snake, p1, p2);
                return;
        }
        if (!mutation_op(q, r, "delete", &op))
                return;
        res_remove(q->c, r);
        gcp_changed(q->c->g);
        cmp_op_reply(q->c, op, q->resp);
}

/* check a body fingerprint against the stored one */
static bool
fp_ok(struct rq *q, const struct cmp_res *r, const cJSON *body, const char *field, bool required)
{
        const char *want = gcp_jstr(r->obj, field);
        const cJSON *got = cJSON_GetObjectItemCaseSensitive(body, field);

        if (!got || cJSON_IsNull(got)) {
                if (!required)
                        return true;
                gcp_error_v1(q->resp, 400, "required", "Required field '%s%s' not specified",
                             strcmp(field, "fingerprint") ? "" : "resource.", field);
                return false;
        }
        if (!cJSON_IsString(got) || !want || !fp_equal(got->valuestring, want)) {
                if (!strcmp(field, "labelFingerprint"))
                        gcp_error_v1(q->resp, 412, "conditionNotMet",
                                     "Labels fingerprint either invalid or resource labels have "
                                     "changed");
                else
                        gcp_error_v1(q->resp, 412, "conditionNotMet",
                                     "Invalid fingerprint: the resource has changed since it was "
                                     "read. Get it again and retry.");
                return false;
        }
        return true;
}

/* replace r's stored object with o (already normalized) after an op */
static void
apply_update(struct rq *q, struct cmp_res *r, cJSON *o, const char *op_type, const char *addr)
{
        struct cmp_op *op;
        cJSON *old = r->obj;

        r->obj = o;
        if (!mutation_op(q, r, op_type, &op)) {
                r->obj = old;
                cJSON_Delete(o);
                return;
        }
        cJSON_Delete(old);
        if (addr)
                snprintf(r->addr_link, sizeof(r->addr_link), "%s", addr);
        set_fp(q->c->g, r->coll, r->obj);
        gcp_changed(q->c->g);
        cmp_op_reply(q->c, op, q->resp);
}

static void
keep_output_only(cJSON *dst, const cJSON *src)
{
        static const char *const keep[] = { "kind",        "id",   "creationTimestamp",
                                            "selfLink",    "zone", "labelFingerprint",
                                            "fingerprint", NULL };
        size_t i;

        for (i = 0; keep[i]; i++) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, keep[i]);

                if (v)
                        gcp_jset(dst, keep[i], cJSON_Duplicate(v, 1));
        }
}

static void
res_patch_put(struct rq *q, bool put)
{
        struct cmp_res *r = lookup(q);
        cJSON *body = NULL, *o = NULL;
        const char *bname;
        struct norm x;
        bool need_fp;

        if (!r)
                return;
        body = gcp_parse_body(q->req, q->resp, false);
        if (!body)
                return;
        need_fp = colls[q->coll].fingerprint && ((put && colls[q->coll].put_needs_fp) ||
                                                 (!put && q->c->g->cfg.strict_patch_fingerprint));
        if (colls[q->coll].fingerprint && !fp_ok(q, r, body, "fingerprint", need_fp))
                goto out;
        bname = gcp_jstr(body, "name");
        if (bname && strcmp(bname, r->name)) {
                gcp_error_v1(q->resp, 400, "invalid",
                             "Invalid value for field 'resource.name': '%s'. The name of a "
                             "resource cannot be changed.",
                             bname);
                goto out;
        }
        strip_output_only(body, q->coll);
        if (put) {
                o = body;
                body = NULL;
        } else {
                o = cJSON_Duplicate(r->obj, 1);
                if (!o)
                        goto out;
                strip_output_only(o, q->coll);
                merge_patch(o, body);
        }
        jset_str(o, "name", r->name);
        if (colls[q->coll].label_fp && !put && !cJSON_GetObjectItemCaseSensitive(o, "labels") &&
            cJSON_GetObjectItemCaseSensitive(r->obj, "labels"))
                gcp_jset(o, "labels",
                         cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(r->obj, "labels"), 1));
        memset(&x, 0, sizeof(x));
        x.c = q->c;
        x.self = r;
        x.project = q->project;
        x.zone = q->zone;
        x.resp = q->resp;
        if (!normalize(&x, q->coll, o))
                goto out;
        keep_output_only(o, r->obj);
        /* the label fingerprint changes only with the labels */
        if (colls[q->coll].label_fp &&
            !cJSON_Compare(cJSON_GetObjectItemCaseSensitive(o, "labels"),
                           cJSON_GetObjectItemCaseSensitive(r->obj, "labels"), 1))
                set_label_fp(q->c->g, o);
        apply_update(q, r, o, put ? "update" : "patch", q->coll == C_FR ? x.addr_link : NULL);
        o = NULL;
out:
        cJSON_Delete(body);
        cJSON_Delete(o);
}

/* set* verbs: a field (or fields) of the resource replaced from the body */
static void
res_set_field(struct rq *q, struct cmp_res *r, const char *field, const char *op_type,
              bool required)
{
        cJSON *body = gcp_parse_body(q->req, q->resp, false);
        cJSON *o = NULL;
        const cJSON *v;
        struct norm x;

        if (!body)
                return;
        v = cJSON_GetObjectItemCaseSensitive(body, field);
        if (required && (!v || cJSON_IsNull(v))) {
                gcp_error_v1(q->resp, 400, "required", "Required field '%s' not specified", field);
                goto out;
        }
        o = cJSON_Duplicate(r->obj, 1);
        if (!o)
                goto out;
        strip_output_only(o, r->coll);
        if (v && !cJSON_IsNull(v))
                gcp_jset(o, field, cJSON_Duplicate(v, 1));
        else
                cJSON_DeleteItemFromObjectCaseSensitive(o, field);
        if (!strcmp(field, "certificateMap") && v && !cJSON_IsNull(v))
                cJSON_DeleteItemFromObjectCaseSensitive(o, "sslCertificates");
        memset(&x, 0, sizeof(x));
        x.c = q->c;
        x.self = r;
        x.project = q->project;
        x.zone = q->zone;
        x.resp = q->resp;
        if (!normalize(&x, r->coll, o))
                goto out;
        keep_output_only(o, r->obj);
        apply_update(q, r, o, op_type, r->coll == C_FR ? x.addr_link : NULL);
        o = NULL;
out:
        cJSON_Delete(body);
        cJSON_Delete(o);
}

static void
res_set_labels(struct rq *q, struct cmp_res *r)
{
        cJSON *body = gcp_parse_body(q->req, q->resp, false);
        const cJSON *labels;
        cJSON *o = NULL;

        if (!body)
                return;
        if (!fp_ok(q, r, body, "labelFingerprint", true))
                goto out;
        labels = cJSON_GetObjectItemCaseSensitive(body, "labels");
        if (labels && !cJSON_IsObject(labels)) {
                gcp_error_v1(q->resp, 400, "invalid",
                             "Invalid value at 'labels' (TYPE_MESSAGE), not an object");
                goto out;
        }
        o = cJSON_Duplicate(r->obj, 1);
        if (!o)
                goto out;
        if (cJSON_GetArraySize(labels))
                gcp_jset(o, "labels", cJSON_Duplicate(labels, 1));
        else
                cJSON_DeleteItemFromObjectCaseSensitive(o, "labels");
        set_label_fp(q->c->g, o);
        apply_update(q, r, o, "setLabels", NULL);
        o = NULL;
out:
        cJSON_Delete(body);
        cJSON_Delete(o);
}

/* --- NEG endpoints ------------------------------------------------------- */

static bool
ep_same(const cJSON *a, const cJSON *b)
{
        const char *ia = gcp_jstr(a, "instance"), *ib = gcp_jstr(b, "instance");
        const char *pa = gcp_jstr(a, "ipAddress"), *pb = gcp_jstr(b, "ipAddress");
        const cJSON *qa = cJSON_GetObjectItemCaseSensitive(a, "port");
        const cJSON *qb = cJSON_GetObjectItemCaseSensitive(b, "port");

        return !strcmp(ia ? ia : "", ib ? ib : "") && !strcmp(pa ? pa : "", pb ? pb : "") &&
               (qa ? qa->valuedouble : -1) == (qb ? qb->valuedouble : -1);
}

static void
neg_endpoints(struct rq *q, struct cmp_res *r, bool attach)
{
        cJSON *body = gcp_parse_body(q->req, q->resp, false);
        cJSON *list, *eps = NULL, *e;
        const cJSON *dp = cJSON_GetObjectItemCaseSensitive(r->obj, "defaultPort");
        const char *type = gcp_jstr(r->obj, "networkEndpointType");
        struct cmp_op *op;
        int i = 0;

        if (!body)
                return;
        list = cJSON_GetObjectItemCaseSensitive(body, "networkEndpoints");
        if (!cJSON_IsArray(list)) {
                gcp_error_v1(q->resp, 400, "required",
                             "Required field 'networkEndpoints' not specified");
                goto out;
        }
        eps = cJSON_Duplicate(r->endpoints, 1);
        cJSON_ArrayForEach(e, list)
        {
                cJSON *ne, *cur;
                const char *inst = gcp_jstr(e, "instance"), *ip = gcp_jstr(e, "ipAddress");
                const cJSON *port = cJSON_GetObjectItemCaseSensitive(e, "port");
                bool found = false;
                int idx = 0, at = -1;

                if (!cJSON_IsObject(e) || (port && !cJSON_IsNumber(port)) ||
                    (ip && !ip_literal(ip)) ||
                    (cJSON_GetObjectItemCaseSensitive(e, "instance") && !inst)) {
                        gcp_error_v1(q->resp, 400, "invalid",
                                     "Invalid value for field 'networkEndpoints[%d]': ''. Invalid "
                                     "network endpoint.",
                                     i);
                        goto out;
                }
                if (type && !strcmp(type, "GCE_VM_IP_PORT") && !inst && attach) {
                        gcp_error_v1(q->resp, 400, "required",
                                     "Required field 'networkEndpoints[%d].instance' not "
                                     "specified",
                                     i);
                        goto out;
                }
                if (!port && !dp && attach && strcmp(type ? type : "", "GCE_VM_IP")) {
                        gcp_error_v1(q->resp, 400, "invalid",
                                     "Invalid value for field 'networkEndpoints[%d].port': ''. "
                                     "Port must be specified when the network endpoint group has "
                                     "no default port.",
                                     i);
                        goto out;
                }
                ne = cJSON_CreateObject();
                if (inst) {
                        const char *slash = strrchr(inst, '/');

                        cJSON_AddStringToObject(ne, "instance", slash ? slash + 1 : inst);
                }
                if (ip)
                        cJSON_AddStringToObject(ne, "ipAddress", ip);
                if (port || dp)
                        cJSON_AddNumberToObject(ne, "port", (port ? port : dp)->valuedouble);
                cJSON_ArrayForEach(cur, eps)
                {
                        if (ep_same(cur, ne)) {
                                found = true;
                                at = idx;
                        }
                        idx++;
                }
                if (attach && !found) {
                        cJSON_AddItemToArray(eps, ne);
                } else if (!attach && !found) {
                        char *txt = cJSON_PrintUnformatted(ne);

                        gcp_error_v1(q->resp, 400, "invalid",
                                     "Invalid value for field 'networkEndpoints[%d]': '%s'. The "
                                     "network endpoint is not in the network endpoint group.",
                                     i, txt ? txt : "");
                        if (txt)
                                cJSON_free(txt);
                        cJSON_Delete(ne);
                        goto out;
                } else {
                        if (!attach)
                                cJSON_DeleteItemFromArray(eps, at);
                        cJSON_Delete(ne);
                }
                i++;
        }
        if (!mutation_op(q, r, attach ? "attachNetworkEndpoints" : "detachNetworkEndpoints", &op))
                goto out;
        cJSON_Delete(r->endpoints);
        r->endpoints = eps;
        eps = NULL;
        gcp_changed(q->c->g);
        cmp_op_reply(q->c, op, q->resp);
out:
        cJSON_Delete(eps);
        cJSON_Delete(body);
}

static void
neg_list_endpoints(struct rq *q, struct cmp_res *r)
{
        cJSON *body = NULL, *items = cJSON_CreateArray();
        const cJSON *e;
        const char *hs = NULL;
        char link[400], path[400];
        size_t i;

        if (q->req->body_len) {
                body = gcp_parse_body(q->req, q->resp, false);
                if (!body) {
                        cJSON_Delete(items);
                        return;
                }
                hs = gcp_jstr(body, "healthStatus");
        }
        res_link(r, link, sizeof(link));
        cJSON_ArrayForEach(e, r->endpoints)
        {
                cJSON *it = cJSON_CreateObject();

                cJSON_AddItemToObject(it, "networkEndpoint", cJSON_Duplicate(e, 1));
                if (hs && !strcmp(hs, "SHOW")) {
                        cJSON *healths = cJSON_AddArrayToObject(it, "healths");

                        for (i = 0; i < q->c->nres; i++) {
                                cJSON *h, *bs;
                                char bl[400];

                                if (q->c->res[i]->coll != C_BS || !res_uses(q->c->res[i], link))
                                        continue;
                                res_link(q->c->res[i], bl, sizeof(bl));
                                h = cJSON_CreateObject();
                                cJSON_AddStringToObject(h, "healthState", "HEALTHY");
                                bs = cJSON_AddObjectToObject(h, "backendService");
                                cJSON_AddStringToObject(bs, "backendService", bl);
                                cJSON_AddItemToArray(healths, h);
                        }
                }
                cJSON_AddItemToArray(items, it);
        }
        cmp_res_path(r, path, sizeof(path));
        cmp_list_reply(q->req, q->resp, items, "compute#networkEndpointGroupsListNetworkEndpoints",
                       path);
        /* this envelope has no id/selfLink in the real API: drop them */
        {
                cJSON *out = cJSON_ParseWithLength(q->resp->body.data, q->resp->body.len);

                if (out && q->resp->status == 200) {
                        cJSON_DeleteItemFromObjectCaseSensitive(out, "id");
                        cJSON_DeleteItemFromObjectCaseSensitive(out, "selfLink");
                        cc_mock_resp_json(q->resp, 200, out);
                }
                cJSON_Delete(out);
        }
        cJSON_Delete(body);
}

static void
bs_get_health(struct rq *q, struct cmp_res *r)
{
        cJSON *body = gcp_parse_body(q->req, q->resp, false);
        cJSON *out = NULL, *hs;
        const cJSON *e;
        struct cmp_res *neg;
        struct ref ref;
        char link[400];

        if (!body)
                return;
        if (!gcp_jstr(body, "group") ||
            !ref_parse(gcp_jstr(body, "group"), q->project, BIT(C_NEG), NULL, &ref)) {
                gcp_error_v1(q->resp, 400, "invalid",
                             "Invalid value for field 'resourceGroupReference.group': '%s'. The "
                             "URL is malformed.",
                             gcp_jstr(body, "group") ? gcp_jstr(body, "group") : "");
                goto out;
        }
        neg = cmp_res_find(q->c, C_NEG, ref.project, ref.zone, ref.name);
        if (!neg || !res_uses(r, ref.link)) {
                gcp_error_v1(q->resp, 400, "invalid",
                             "Invalid value for field 'resourceGroupReference.group': '%s'. "
                             "Resource is not a backend of '%s'.",
                             ref.link, r->name);
                goto out;
        }
        out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "kind", "compute#backendServiceGroupHealth");
        hs = cJSON_AddArrayToObject(out, "healthStatus");
        cJSON_ArrayForEach(e, neg->endpoints)
        {
                cJSON *h = cJSON_CreateObject();
                const cJSON *port = cJSON_GetObjectItemCaseSensitive(e, "port");

                if (gcp_jstr(e, "ipAddress"))
                        cJSON_AddStringToObject(h, "ipAddress", gcp_jstr(e, "ipAddress"));
                if (port)
                        cJSON_AddNumberToObject(h, "port", port->valuedouble);
                if (gcp_jstr(e, "instance")) {
                        snprintf(link, sizeof(link), "%sprojects/%s/zones/%s/instances/%s",
                                 GCP_COMPUTE_BASE, neg->project, neg->zone,
                                 gcp_jstr(e, "instance"));
                        cJSON_AddStringToObject(h, "instance", link);
                }
                cJSON_AddStringToObject(h, "healthState", "HEALTHY");
                cJSON_AddItemToArray(hs, h);
        }
        if (!cJSON_GetArraySize(hs))
                cJSON_DeleteItemFromObjectCaseSensitive(out, "healthStatus");
        cc_mock_resp_json(q->resp, 200, out);
out:
        cJSON_Delete(out);
        cJSON_Delete(body);
}

static void
um_validate(struct rq *q)
{
        cJSON *body = gcp_parse_body(q->req, q->resp, false);
        cJSON *res, *out = NULL, *result;
        struct cc_mock_resp tmp;
        struct norm x;

        if (!body)
                return;
        res = cJSON_DetachItemFromObjectCaseSensitive(body, "resource");
        out = cJSON_CreateObject();
        result = cJSON_AddObjectToObject(out, "result");
        cc_mock_resp_init(&tmp);
        memset(&x, 0, sizeof(x));
        x.c = q->c;
        x.project = q->project;
        x.zone = "";
        x.resp = &tmp;
        if (!cJSON_IsObject(res)) {
                gcp_error_v1(q->resp, 400, "required", "Required field 'resource' not specified");
        } else {
                strip_output_only(res, C_UM);
                if (normalize(&x, C_UM, res)) {
                        cJSON_AddTrueToObject(result, "loadSucceeded");
                        cJSON_AddTrueToObject(result, "testPassed");
                } else {
                        cJSON *err = cJSON_ParseWithLength(tmp.body.data, tmp.body.len);
                        const char *msg =
                            err ? gcp_jstr(cJSON_GetObjectItemCaseSensitive(err, "error"),
                                           "message")
                                : NULL;
                        cJSON *le = cJSON_AddArrayToObject(result, "loadErrors");

                        cJSON_AddFalseToObject(result, "loadSucceeded");
                        cJSON_AddItemToArray(le, cJSON_CreateString(msg ? msg : "invalid"));
                        cJSON_Delete(err);
                }
                cc_mock_resp_json(q->resp, 200, out);
        }
        cc_mock_resp_release(&tmp);
        cJSON_Delete(res);
        cJSON_Delete(out);
        cJSON_Delete(body);
}

/* --- lists --------------------------------------------------------------- */

static int
cmp_by_name(const void *a, const void *b)
{
        const char *x = gcp_jstr(*(const cJSON *const *)a, "name");
        const char *y = gcp_jstr(*(const cJSON *const *)b, "name");

        return strcmp(x ? x : "", y ? y : "");
}

static int
cmp_by_time_desc(const void *a, const void *b)
{
        const char *x = gcp_jstr(*(const cJSON *const *)a, "creationTimestamp");
        const char *y = gcp_jstr(*(const cJSON *const *)b, "creationTimestamp");
        int c;

        if (!x)
                x = gcp_jstr(*(const cJSON *const *)a, "insertTime");
        if (!y)
                y = gcp_jstr(*(const cJSON *const *)b, "insertTime");
        c = strcmp(y ? y : "", x ? x : "");
        return c ? c : cmp_by_name(a, b);
}

/* list paging shared by plain and aggregated lists: the selected items
 * (filtered, ordered), sliced; false with an error in resp */
struct page {
        cJSON **v;
        size_t n;
        size_t start, end;
        char next[64];
};

static bool
page_select(const struct cc_mock_req *req, struct cc_mock_resp *resp, cJSON *items, struct page *pg)
{
        char filter[4096] = "", order[128] = "", maxr[32] = "", token[128] = "";
        struct gcp_filter *f = NULL;
        struct cc_diag d;
        cJSON *it;
        long max = 500;
        bool ok = false;

        memset(pg, 0, sizeof(*pg));
        gcp_query(req, "filter", filter, sizeof(filter));
        gcp_query(req, "orderBy", order, sizeof(order));
        gcp_query(req, "pageToken", token, sizeof(token));
        if (gcp_query(req, "maxResults", maxr, sizeof(maxr)) && maxr[0]) {
                char *end;

                max = strtol(maxr, &end, 10);
                if (*end || max < 0 || max > 500) {
                        gcp_error_v1(resp, 400, "invalid",
                                     "Invalid value for field 'maxResults': '%s'. Must be less "
                                     "than or equal to 500",
                                     maxr);
                        goto out;
                }
                if (max == 0)
                        max = 500;
        }
        if (gcp_filter_parse(filter, &f, &d) != CC_OK) {
                gcp_error_v1(resp, 400, "invalid",
                             "Invalid value for field 'filter': '%s'. Invalid list filter "
                             "expression.",
                             filter);
                goto out;
        }
        if (order[0] && strcmp(order, "name") && strcmp(order, "creationTimestamp desc")) {
                gcp_error_v1(resp, 400, "invalid",
                             "Invalid value for field 'orderBy': '%s'. Allowed values are "
                             "'name' and 'creationTimestamp desc'.",
                             order);
                goto out;
        }
        pg->v = cc_calloc((size_t)cJSON_GetArraySize(items) + 1, sizeof(*pg->v));
        if (!pg->v) {
                gcp_error_v1(resp, 500, "internalError", "out of memory");
                goto out;
        }
        cJSON_ArrayForEach(it, items)
        {
                if (gcp_filter_match(f, it))
                        pg->v[pg->n++] = it;
        }
        qsort(pg->v, pg->n, sizeof(*pg->v),
              !strcmp(order, "creationTimestamp desc") ? cmp_by_time_desc : cmp_by_name);
        if (token[0]) {
                unsigned char raw[96];
                int len = EVP_DecodeBlock(raw, (const unsigned char *)token, (int)strlen(token));
                unsigned long off = 0;
                int used = 0;

                if (len > 0 && len < (int)sizeof(raw)) {
                        raw[len] = '\0';
                        if (sscanf((char *)raw, "page:%lu%n", &off, &used) != 1)
                                used = 0;
                        while (used && raw[used] == ' ')
                                used++;
                }
                if (!used || raw[used] || off > pg->n) {
                        gcp_error_v1(resp, 400, "invalid",
                                     "Invalid value for field 'pageToken': '%s'. Invalid page "
                                     "token.",
                                     token);
                        goto out;
                }
                pg->start = off;
        }
        pg->end = pg->start + (size_t)max < pg->n ? pg->start + (size_t)max : pg->n;
        if (pg->end < pg->n) {
                char raw[48];

                /* pad with spaces so the base64 has no '=' (safe in a query) */
                snprintf(raw, sizeof(raw), "page:%zu", pg->end);
                while (strlen(raw) % 3)
                        snprintf(raw + strlen(raw), sizeof(raw) - strlen(raw), " ");
                EVP_EncodeBlock((unsigned char *)pg->next, (const unsigned char *)raw,
                                (int)strlen(raw));
        }
        ok = true;
out:
        gcp_filter_free(f);
        if (!ok) {
                cc_free(pg->v);
                pg->v = NULL;
        }
        return ok;
}

void
cmp_list_reply(const struct cc_mock_req *req, struct cc_mock_resp *resp, cJSON *items,
               const char *kind, const char *path)
{
        cJSON *out = NULL, *arr;
        struct page pg;
        char link[512];
        size_t i;

        if (!items) {
                gcp_error_v1(resp, 500, "internalError", "out of memory");
                return;
        }
        if (!page_select(req, resp, items, &pg))
                goto out;
        out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "kind", kind);
        cJSON_AddStringToObject(out, "id", path);
        if (pg.end > pg.start) {
                arr = cJSON_AddArrayToObject(out, "items");
                for (i = pg.start; i < pg.end; i++)
                        cJSON_AddItemToArray(arr, cJSON_Duplicate(pg.v[i], 1));
        }
        if (pg.next[0])
                cJSON_AddStringToObject(out, "nextPageToken", pg.next);
        snprintf(link, sizeof(link), "%s%s", GCP_COMPUTE_BASE, path);
        cJSON_AddStringToObject(out, "selfLink", link);
        cc_mock_resp_json(resp, 200, out);
        cc_free(pg.v);
out:
        cJSON_Delete(out);
        cJSON_Delete(items);
}

static void
res_list(struct rq *q)
{
        cJSON *items = cJSON_CreateArray();
        char kind[96], path[256];
        size_t i;

        for (i = 0; items && i < q->c->nres; i++) {
                struct cmp_res *r = q->c->res[i];

                if (r->coll == q->coll && !strcmp(r->project, q->project) &&
                    !strcmp(r->zone, q->zone))
                        cJSON_AddItemToArray(items, render(q->c, r));
        }
        snprintf(kind, sizeof(kind), "%sList", colls[q->coll].kind);
        if (q->zone[0])
                snprintf(path, sizeof(path), "projects/%s/zones/%s/%s", q->project, q->zone,
                         colls[q->coll].name);
        else
                snprintf(path, sizeof(path), "projects/%s/global/%s", q->project,
                         colls[q->coll].name);
        cmp_list_reply(q->req, q->resp, items, kind, path);
}

/* projects/{p}/aggregated/{what}: items grouped by scope */
static void
aggregated(struct gcp_compute *c, const char *project, const char *what,
           const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        cJSON *items = cJSON_CreateArray(), *out = NULL, *groups, *it;
        struct page pg;
        char kind[128], path[256], link[512];
        int coll = -1;
        size_t i;

        for (i = 0; i < C_NCOLL; i++)
                if (!strcmp(what, colls[i].name) && i != C_FW)
                        coll = (int)i;
        if (coll < 0 && strcmp(what, "operations")) {
                cJSON_Delete(items);
                gcp_error_v1(resp, 404, "notFound", "The requested URL %s was not found",
                             req->path);
                return;
        }
        /* each item carries its scope in a side field while paging */
        if (coll >= 0) {
                for (i = 0; items && i < c->nres; i++) {
                        struct cmp_res *r = c->res[i];

                        if ((int)r->coll != coll || strcmp(r->project, project))
                                continue;
                        it = render(c, r);
                        cJSON_AddItemToArray(items, it);
                }
                snprintf(kind, sizeof(kind), "%sAggregatedList", colls[coll].kind);
        } else {
                for (i = 0; items && i < c->nops; i++) {
                        if (strcmp(c->ops[i]->project, project))
                                continue;
                        cmp_op_refresh(c, c->ops[i]);
                        cJSON_AddItemToArray(items, cJSON_Duplicate(c->ops[i]->obj, 1));
                }
                snprintf(kind, sizeof(kind), "compute#operationAggregatedList");
        }
        if (!items || !page_select(req, resp, items, &pg))
                goto out;
        out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "kind", kind);
        snprintf(path, sizeof(path), "projects/%s/aggregated/%s", project, what);
        cJSON_AddStringToObject(out, "id", path);
        groups = cJSON_AddObjectToObject(out, "items");
        for (i = pg.start; i < pg.end; i++) {
                const char *z = gcp_jstr(pg.v[i], "zone");
                char scope[128];
                cJSON *g, *arr;

                if (z && strstr(z, "/zones/"))
                        snprintf(scope, sizeof(scope), "zones/%s", strstr(z, "/zones/") + 7);
                else
                        snprintf(scope, sizeof(scope), "global");
                g = cJSON_GetObjectItemCaseSensitive(groups, scope);
                if (!g)
                        g = cJSON_AddObjectToObject(groups, scope);
                arr = cJSON_GetObjectItemCaseSensitive(g, what);
                if (!arr)
                        arr = cJSON_AddArrayToObject(g, what);
                cJSON_AddItemToArray(arr, cJSON_Duplicate(pg.v[i], 1));
        }
        if (pg.next[0])
                cJSON_AddStringToObject(out, "nextPageToken", pg.next);
        snprintf(link, sizeof(link), "%s%s", GCP_COMPUTE_BASE, path);
        cJSON_AddStringToObject(out, "selfLink", link);
        cc_mock_resp_json(resp, 200, out);
        cc_free(pg.v);
out:
        cJSON_Delete(out);
        cJSON_Delete(items);
}

/* global/networks: only "default" exists (firewalls and NEGs refer to it) */
static void
networks(const char *project, const char *name, const struct cc_mock_req *req,
         struct cc_mock_resp *resp)
{
        cJSON *net, *items;
        char link[256], path[160];

        if (strcmp(req->method, "GET") || (name && strcmp(name, "default"))) {
                snprintf(path, sizeof(path), "projects/%s/global/networks/%s", project,
                         name ? name : "");
                not_found(resp, path);
                return;
        }
        net = cJSON_CreateObject();
        cJSON_AddStringToObject(net, "kind", "compute#network");
        cJSON_AddStringToObject(net, "id", "1000000000000000001");
        cJSON_AddStringToObject(net, "name", "default");
        cJSON_AddStringToObject(net, "description", "Default network for the project");
        cJSON_AddBoolToObject(net, "autoCreateSubnetworks", true);
        cJSON_AddStringToObject(net, "creationTimestamp", "2020-01-01T00:00:00.000-07:00");
        snprintf(link, sizeof(link), "%sprojects/%s/global/networks/default", GCP_COMPUTE_BASE,
                 project);
        cJSON_AddStringToObject(net, "selfLink", link);
        if (name) {
                cc_mock_resp_json(resp, 200, net);
                cJSON_Delete(net);
                return;
        }
        items = cJSON_CreateArray();
        cJSON_AddItemToArray(items, net);
        snprintf(path, sizeof(path), "projects/%s/global/networks", project);
        cmp_list_reply(req, resp, items, "compute#networkList", path);
}

/* --- routing ------------------------------------------------------------- */

static int
coll_by_name(const char *s, bool zonal)
{
        int i;

        for (i = 0; i < C_NCOLL; i++)
                if (!strcmp(colls[i].name, s) && colls[i].zonal == zonal)
                        return i;
        return -1;
}

static bool
is_read_verb(const char *method, const char *verb)
{
        if (!strcmp(method, "GET"))
                return true;
        return verb && (!strcmp(verb, "wait") || !strcmp(verb, "listNetworkEndpoints") ||
                        !strcmp(verb, "getHealth") || !strcmp(verb, "validate"));
}

static void
unknown_url(const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        gcp_error_v1(resp, 404, "notFound", "The requested URL %s was not found on this server",
                     req->path);
}

/* a verb on one resource (POST .../{name}/{verb}) */
static void
res_verb(struct rq *q, const char *verb)
{
        struct cmp_res *r;
        enum cmp_coll cl = q->coll;

        if (strcmp(q->req->method, "POST")) {
                unknown_url(q->req, q->resp);
                return;
        }
        r = lookup(q);
        if (!r)
                return;
        if (!strcmp(verb, "setLabels") && colls[cl].label_fp) {
                res_set_labels(q, r);
        } else if (!strcmp(verb, "setTarget") && cl == C_FR) {
                res_set_field(q, r, "target", "setTarget", true);
        } else if (!strcmp(verb, "setUrlMap") && (cl == C_THP || cl == C_THSP)) {
                res_set_field(q, r, "urlMap", "SetUrlMap", true);
        } else if (!strcmp(verb, "setSslCertificates") && cl == C_THSP) {
                res_set_field(q, r, "sslCertificates", "setSslCertificates", true);
        } else if (!strcmp(verb, "setCertificateMap") && cl == C_THSP) {
                res_set_field(q, r, "certificateMap", "setCertificateMap", false);
        } else if (!strcmp(verb, "setQuicOverride") && cl == C_THSP) {
                res_set_field(q, r, "quicOverride", "compute.targetHttpsProxies.setQuicOverride",
                              true);
        } else if (!strcmp(verb, "setSslPolicy") && cl == C_THSP) {
                res_set_field(q, r, "sslPolicy", "setSslPolicy", false);
        } else if (!strcmp(verb, "getHealth") && cl == C_BS) {
                bs_get_health(q, r);
        } else if (!strcmp(verb, "validate") && cl == C_UM) {
                um_validate(q);
        } else if (!strcmp(verb, "attachNetworkEndpoints") && cl == C_NEG) {
                neg_endpoints(q, r, true);
        } else if (!strcmp(verb, "detachNetworkEndpoints") && cl == C_NEG) {
                neg_endpoints(q, r, false);
        } else if (!strcmp(verb, "listNetworkEndpoints") && cl == C_NEG) {
                neg_list_endpoints(q, r);
        } else {
                unknown_url(q->req, q->resp);
        }
}

static void
collection(struct rq *q, const char *verb)
{
        const char *m = q->req->method;

        if (!q->name) {
                if (!strcmp(m, "GET"))
                        res_list(q);
                else if (!strcmp(m, "POST"))
                        res_insert(q);
                else
                        unknown_url(q->req, q->resp);
                return;
        }
        if (!name_ok(q->name)) {
                bad_name(q->resp, "resourceId", q->name);
                return;
        }
        if (verb) {
                res_verb(q, verb);
        } else if (!strcmp(m, "GET")) {
                res_get(q);
        } else if (!strcmp(m, "DELETE")) {
                res_delete(q);
        } else if (!strcmp(m, "PATCH") && colls[q->coll].patch) {
                res_patch_put(q, false);
        } else if (!strcmp(m, "PUT") && colls[q->coll].put) {
                res_patch_put(q, true);
        } else {
                unknown_url(q->req, q->resp);
        }
}

void
cmp_handle(struct gcp *g, void *state, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        struct gcp_compute *c = state;
        char buf[1024];
        char *s[10];
        int n;
        struct rq q;
        const char *verb = NULL;
        int coll = -1;

        (void)g;
        if (!strncmp(req->path, "/_mock/", 7)) {
                cmp_admin_handle(c, req, resp);
                return;
        }
        if (!strncmp(req->path, "/batch/compute/v1", 17)) {
                resp->mutating = 0;
                if (strcmp(req->method, "POST"))
                        unknown_url(req, resp);
                else
                        cmp_batch_handle(c, req, resp);
                return;
        }
        n = gcp_path_split(req->path + strlen("/compute/v1"), buf, sizeof(buf), s, 10);
        if (n < 2 || strcmp(s[0], "projects")) {
                unknown_url(req, resp);
                return;
        }
        memset(&q, 0, sizeof(q));
        q.c = c;
        q.req = req;
        q.resp = resp;
        q.project = s[1];
        q.zone = "";
        gcp_query(req, "requestId", q.request_id, sizeof(q.request_id));

        /* which verb, for the rate limit and the counters */
        if (n >= 4 && !strcmp(s[2], "global"))
                verb = n >= 6 ? s[5] : NULL;
        else if (n >= 5 && !strcmp(s[2], "zones"))
                verb = n >= 7 ? s[6] : NULL;
        else if (n == 5)
                verb = s[4];
        if (is_read_verb(req->method, verb))
                resp->mutating = 0;
        if (!cmp_rate_check(c, q.project, !is_read_verb(req->method, verb), resp))
                return;
        if (!is_read_verb(req->method, verb) && q.request_id[0]) {
                struct cmp_op *op = cmp_op_find_request(c, q.project, q.request_id);

                if (op) {
                        cmp_op_reply(c, op, resp);
                        return;
                }
        }

        if (n == 2 && !strcmp(req->method, "GET")) {
                const struct gcp_project *p = gcp_project_find(c->g, q.project);
                cJSON *o = cJSON_CreateObject();
                char link[256];

                cJSON_AddStringToObject(o, "kind", "compute#project");
                cJSON_AddStringToObject(o, "id", p ? p->number : "0");
                cJSON_AddStringToObject(o, "name", q.project);
                snprintf(link, sizeof(link), "%sprojects/%s", GCP_COMPUTE_BASE, q.project);
                cJSON_AddStringToObject(o, "selfLink", link);
                cc_mock_resp_json(resp, 200, o);
                cJSON_Delete(o);
                return;
        }
        if (n >= 4 && n <= 6 && !strcmp(s[2], "global")) {
                if (!strcmp(s[3], "operations") && n <= 6) {
                        cmp_ops_handle(c, q.project, "", n >= 5 ? s[4] : NULL, n == 6 ? s[5] : NULL,
                                       req, resp);
                        return;
                }
                if (!strcmp(s[3], "networks") && n <= 5) {
                        networks(q.project, n == 5 ? s[4] : NULL, req, resp);
                        return;
                }
                coll = coll_by_name(s[3], false);
                if (coll < 0) {
                        unknown_url(req, resp);
                        return;
                }
                q.coll = (enum cmp_coll)coll;
                q.name = n >= 5 ? s[4] : NULL;
                collection(&q, n == 6 ? s[5] : NULL);
                return;
        }
        if (n >= 4 && n <= 7 && !strcmp(s[2], "zones")) {
                q.zone = s[3];
                if (n == 4 && !strcmp(req->method, "GET")) {
                        cJSON *o = cJSON_CreateObject();
                        char link[256], region[64];

                        region_of(q.zone, region, sizeof(region));
                        cJSON_AddStringToObject(o, "kind", "compute#zone");
                        cJSON_AddStringToObject(o, "name", q.zone);
                        cJSON_AddStringToObject(o, "status", "UP");
                        snprintf(link, sizeof(link), "%sprojects/%s/regions/%s", GCP_COMPUTE_BASE,
                                 q.project, region);
                        cJSON_AddStringToObject(o, "region", link);
                        snprintf(link, sizeof(link), "%sprojects/%s/zones/%s", GCP_COMPUTE_BASE,
                                 q.project, q.zone);
                        cJSON_AddStringToObject(o, "selfLink", link);
                        cc_mock_resp_json(resp, 200, o);
                        cJSON_Delete(o);
                        return;
                }
                if (n >= 5 && !strcmp(s[4], "operations")) {
                        cmp_ops_handle(c, q.project, q.zone, n >= 6 ? s[5] : NULL,
                                       n == 7 ? s[6] : NULL, req, resp);
                        return;
                }
                coll = n >= 5 ? coll_by_name(s[4], true) : -1;
                if (coll < 0) {
                        unknown_url(req, resp);
                        return;
                }
                q.coll = (enum cmp_coll)coll;
                q.name = n >= 6 ? s[5] : NULL;
                collection(&q, n == 7 ? s[6] : NULL);
                return;
        }
        if (n == 4 && !strcmp(s[2], "aggregated") && !strcmp(req->method, "GET")) {
                aggregated(c, q.project, s[3], req, resp);
                return;
        }
        /* legacy paths without global/: targetHttp(s)Proxies/{t}/setUrlMap ... */
        if (n == 5 && (!strcmp(s[2], "targetHttpProxies") || !strcmp(s[2], "targetHttpsProxies")) &&
            (!strcmp(s[4], "setUrlMap") || !strcmp(s[4], "setSslCertificates"))) {
                q.coll = !strcmp(s[2], "targetHttpProxies") ? C_THP : C_THSP;
                q.name = s[3];
                collection(&q, s[4]);
                return;
        }
        unknown_url(req, resp);
}

/* --- module -------------------------------------------------------------- */

cJSON *
cmp_res_dump(const struct cmp_res *r)
{
        cJSON *o = cJSON_CreateObject();

        if (!o)
                return NULL;
        cJSON_AddStringToObject(o, "collection", colls[r->coll].name);
        cJSON_AddStringToObject(o, "project", r->project);
        cJSON_AddStringToObject(o, "zone", r->zone);
        cJSON_AddStringToObject(o, "name", r->name);
        cJSON_AddNumberToObject(o, "createdMs", (double)r->created_ms);
        cJSON_AddItemToObject(o, "resource", cJSON_Duplicate(r->obj, 1));
        if (r->endpoints)
                cJSON_AddItemToObject(o, "endpoints", cJSON_Duplicate(r->endpoints, 1));
        if (r->addr_link[0])
                cJSON_AddStringToObject(o, "addressLink", r->addr_link);
        if (r->cert_forced[0])
                cJSON_AddStringToObject(o, "certForced", r->cert_forced);
        if (r->cert_domain_state[0])
                cJSON_AddStringToObject(o, "certDomainState", r->cert_domain_state);
        return o;
}

struct cmp_res *
cmp_res_load(const cJSON *s)
{
        struct cmp_res *r;
        const char *cn = gcp_jstr(s, "collection");
        const cJSON *obj = cJSON_GetObjectItemCaseSensitive(s, "resource");
        const cJSON *eps = cJSON_GetObjectItemCaseSensitive(s, "endpoints");
        const cJSON *cm = cJSON_GetObjectItemCaseSensitive(s, "createdMs");
        int coll = -1, i;

        for (i = 0; cn && i < C_NCOLL; i++)
                if (!strcmp(cn, colls[i].name))
                        coll = i;
        if (coll < 0 || !cJSON_IsObject(obj) || !gcp_jstr(s, "project") || !gcp_jstr(s, "name") ||
            !name_ok(gcp_jstr(s, "name")))
                return NULL;
        r = cc_calloc(1, sizeof(*r));
        if (!r)
                return NULL;
        r->coll = (enum cmp_coll)coll;
        snprintf(r->project, sizeof(r->project), "%s", gcp_jstr(s, "project"));
        snprintf(r->zone, sizeof(r->zone), "%s", gcp_jstr(s, "zone") ? gcp_jstr(s, "zone") : "");
        snprintf(r->name, sizeof(r->name), "%s", gcp_jstr(s, "name"));
        snprintf(r->addr_link, sizeof(r->addr_link), "%s",
                 gcp_jstr(s, "addressLink") ? gcp_jstr(s, "addressLink") : "");
        snprintf(r->cert_forced, sizeof(r->cert_forced), "%s",
                 gcp_jstr(s, "certForced") ? gcp_jstr(s, "certForced") : "");
        snprintf(r->cert_domain_state, sizeof(r->cert_domain_state), "%s",
                 gcp_jstr(s, "certDomainState") ? gcp_jstr(s, "certDomainState") : "");
        r->created_ms = cJSON_IsNumber(cm) ? (int64_t)cm->valuedouble : gcp_now_ms();
        r->obj = cJSON_Duplicate(obj, 1);
        if (coll == C_NEG)
                r->endpoints = cJSON_IsArray(eps) ? cJSON_Duplicate(eps, 1) : cJSON_CreateArray();
        if (!r->obj || (coll == C_NEG && !r->endpoints)) {
                cmp_res_free(r);
                return NULL;
        }
        return r;
}

static void
compute_reset(void *state)
{
        struct gcp_compute *c = state;
        size_t i;

        for (i = 0; i < c->nres; i++)
                cmp_res_free(c->res[i]);
        for (i = 0; i < c->nops; i++)
                cmp_op_free(c->ops[i]);
        c->nres = c->nops = 0;
        c->nrules = c->nquotas = c->nrates = 0;
        c->next_ip = 10;
        c->wait_max_ms = 120000;
}

static cc_err
compute_create(struct gcp *g, void **state, struct cc_diag *d)
{
        struct gcp_compute *c = cc_calloc(1, sizeof(*c));

        if (!c)
                return cc_diag_set(d, CC_NOMEM, 0, "out of memory");
        c->g = g;
        compute_reset(c);
        g->compute = c;
        *state = c;
        return CC_OK;
}

static void
compute_release(void *state)
{
        struct gcp_compute *c = state;

        if (!c)
                return;
        compute_reset(c);
        if (c->g && c->g->compute == c)
                c->g->compute = NULL;
        cc_free(c->res);
        cc_free(c->ops);
        cc_free(c);
}

static cJSON *
compute_dump(const void *state)
{
        const struct gcp_compute *c = state;
        cJSON *root = cJSON_CreateObject();
        cJSON *res = cJSON_AddArrayToObject(root, "resources");
        cJSON *ops = cJSON_AddArrayToObject(root, "operations");
        size_t i;

        if (!root || !res || !ops)
                goto fail;
        for (i = 0; i < c->nres; i++) {
                cJSON *o = cmp_res_dump(c->res[i]);

                if (!o)
                        goto fail;
                cJSON_AddItemToArray(res, o);
        }
        for (i = 0; i < c->nops; i++) {
                cJSON *o = cmp_op_dump(c->ops[i]);

                if (!o)
                        goto fail;
                cJSON_AddItemToArray(ops, o);
        }
        cJSON_AddNumberToObject(root, "nextIp", c->next_ip);
        cJSON_AddItemToObject(root, "admin", cmp_admin_dump(c));
        return root;
fail:
        cJSON_Delete(root);
        return NULL;
}

static cc_err
compute_load(void *state, const cJSON *saved)
{
        struct gcp_compute *c = state;
        const cJSON *it;
        const cJSON *ni = cJSON_GetObjectItemCaseSensitive(saved, "nextIp");

        compute_reset(c);
        if (!cJSON_IsObject(saved))
                return CC_INVAL;
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(saved, "resources"))
        {
                struct cmp_res *r = cmp_res_load(it);

                if (!r || CC_GROW(c->res, c->res_cap, c->nres + 1)) {
                        cmp_res_free(r);
                        compute_reset(c);
                        return CC_INVAL;
                }
                c->res[c->nres++] = r;
        }
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(saved, "operations"))
        {
                struct cmp_op *op = cmp_op_load(it);

                if (!op || CC_GROW(c->ops, c->ops_cap, c->nops + 1)) {
                        cmp_op_free(op);
                        compute_reset(c);
                        return CC_INVAL;
                }
                c->ops[c->nops++] = op;
        }
        if (cJSON_IsNumber(ni))
                c->next_ip = (unsigned)ni->valuedouble;
        cmp_admin_load(c, cJSON_GetObjectItemCaseSensitive(saved, "admin"));
        return CC_OK;
}

static void
compute_handle(struct gcp *g, void *state, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        cmp_handle(g, state, req, resp);
}

static const char *const compute_prefixes[] = { "/compute/v1/", "/batch/compute/v1", NULL };

const struct gcp_module gcp_module_compute = {
        .name = "compute",
        .prefixes = compute_prefixes,
        .rpc_errors = false,
        .public_paths = false,
        .create = compute_create,
        .release = compute_release,
        .reset = compute_reset,
        .handle = compute_handle,
        .dump = compute_dump,
        .load = compute_load,
};
