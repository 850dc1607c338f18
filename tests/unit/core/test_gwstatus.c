/* test_gwstatus.c -- Gateway API status semantics: listeners, conflicts,
 * allowedRoutes, ReferenceGrant, attachedRoutes, route parents, classes,
 * plan validation, the status merge, and the upstream conformance
 * manifests (status-only checks) for the istio+gke class. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/gwstatus.h"
#include "core/yaml.h"
#include "lib/testlib.h"

#define NOW  "2026-01-01T00:00:00Z"
#define NOW2 "2026-01-02T00:00:00Z"

#define HDR_GW "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
#define HDR_HR "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
#define HDR_GR "apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\n"
#define HDR_RG "apiVersion: gateway.networking.k8s.io/v1\nkind: ReferenceGrant\n"
#define HDR_GC "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\n"
#define CRT_B64 \
        "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJmYWtlCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K"
#define KEY_B64 \
        "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUJmYWtlCi0tLS0tRU5EIFBSSVZBVEUgS0VZLS0tLS0K"
#define SECRET(ns, name)                                                                \
        "apiVersion: v1\nkind: Secret\nmetadata: {name: " name ", namespace: " ns "}\n" \
        "type: kubernetes.io/tls\ndata: {tls.crt: " CRT_B64 ", tls.key: " KEY_B64 "}\n---\n"
#define SERVICE(ns, name)                                                                \
        "apiVersion: v1\nkind: Service\nmetadata: {name: " name ", namespace: " ns "}\n" \
        "spec: {ports: [{port: 8080}]}\n---\n"

/* --- helpers ------------------------------------------------------------------ */

static void
load(struct cc_gw_snapshot *s, const char *yaml)
{
        cJSON *docs = NULL;
        struct cc_diag d;

        cc_gw_snapshot_init(s);
        if (cc_yaml_to_json(yaml, strlen(yaml), &docs, &d) != CC_OK)
                fail_msg("yaml: %s", d.message);
        if (cc_gw_snapshot_add_all(s, docs, &d) != CC_OK)
                fail_msg("snapshot: %s", d.message);
        cJSON_Delete(docs);
}

static const struct cc_gw_address test_addr = { "IPAddress", "192.0.2.10" };

static const struct cc_gw_programmed *
all_programmed(void *arg, const struct cc_gw_gateway *gw)
{
        static const struct cc_gw_programmed p = { CC_GW_PROG_PROGRAMMED, NULL, &test_addr, 1 };

        (void)arg;
        (void)gw;
        return &p;
}

static void
compute(const struct cc_gw_snapshot *s, struct cc_gwstatus *st)
{
        struct cc_diag d;

        *st = (struct cc_gwstatus)CC_GWSTATUS_INIT;
        if (cc_gwstatus_compute(s, NULL, all_programmed, NULL, NOW, st, &d) != CC_OK)
                fail_msg("compute: %s", d.message);
}

static const cJSON *
find_cond(const cJSON *conds, const char *type)
{
        const cJSON *c;

        cJSON_ArrayForEach(c, conds)
        {
                if (strcmp(cJSON_GetObjectItem(c, "type")->valuestring, type) == 0)
                        return c;
        }
        return NULL;
}

/* check_cond -- NULL when conds has type=status/reason, else a description. */
static const char *
check_cond(const cJSON *conds, const char *type, const char *status, const char *reason)
{
        static char why[512];
        const cJSON *c = find_cond(conds, type);

        if (!c) {
                snprintf(why, sizeof(why), "no %s condition", type);
                return why;
        }
        if (strcmp(cJSON_GetObjectItem(c, "status")->valuestring, status) != 0 ||
            (reason && strcmp(cJSON_GetObjectItem(c, "reason")->valuestring, reason) != 0)) {
                snprintf(why, sizeof(why), "%s is %s/%s (%s), want %s/%s", type,
                         cJSON_GetObjectItem(c, "status")->valuestring,
                         cJSON_GetObjectItem(c, "reason")->valuestring,
                         cJSON_GetObjectItem(c, "message")->valuestring, status,
                         reason ? reason : "*");
                return why;
        }
        return NULL;
}

#define assert_cond(conds, type, status, reason)                                    \
        do {                                                                        \
                const char *why_ = check_cond((conds), (type), (status), (reason)); \
                if (why_)                                                           \
                        fail_msg("%s", why_);                                       \
        } while (0)

static const cJSON *
gw_conds(const struct cc_gwstatus *st, const char *ns, const char *name)
{
        const cJSON *s = cc_gwstatus_find(st, CC_GW_GATEWAY, ns, name);

        if (!s)
                fail_msg("no status for gateway '%s/%s'", ns, name);
        return cJSON_GetObjectItem(s, "conditions");
}

static const cJSON *
listener(const struct cc_gwstatus *st, const char *ns, const char *gw, const char *name)
{
        const cJSON *s = cc_gwstatus_find(st, CC_GW_GATEWAY, ns, gw), *l;

        if (!s)
                return NULL;
        cJSON_ArrayForEach(l, cJSON_GetObjectItem(s, "listeners"))
        {
                if (strcmp(cJSON_GetObjectItem(l, "name")->valuestring, name) == 0)
                        return l;
        }
        return NULL;
}

static const cJSON *
lconds(const struct cc_gwstatus *st, const char *ns, const char *gw, const char *name)
{
        const cJSON *l = listener(st, ns, gw, name);

        if (!l)
                fail_msg("no listener '%s' on gateway '%s/%s'", name, ns, gw);
        return cJSON_GetObjectItem(l, "conditions");
}

static long
attached(const struct cc_gwstatus *st, const char *ns, const char *gw, const char *name)
{
        const cJSON *l = listener(st, ns, gw, name);

        if (!l)
                fail_msg("no listener '%s' on gateway '%s/%s'", name, ns, gw);
        return (long)cJSON_GetObjectItem(l, "attachedRoutes")->valuedouble;
}

/* kinds -- the listener's supportedKinds as "HTTPRoute,GRPCRoute". */
static const char *
kinds(const struct cc_gwstatus *st, const char *ns, const char *gw, const char *name)
{
        static char out[128];
        const cJSON *l = listener(st, ns, gw, name), *k;
        size_t used = 0;

        out[0] = '\0';
        if (!l)
                fail_msg("no listener '%s' on gateway '%s/%s'", name, ns, gw);
        cJSON_ArrayForEach(k, cJSON_GetObjectItem(l, "supportedKinds"))
        {
                used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%s", used ? "," : "",
                                         cJSON_GetObjectItem(k, "kind")->valuestring);
        }
        return out;
}

/* parent -- the status.parents entry for gateway gw (and section, if any). */
static const cJSON *
parent(const struct cc_gwstatus *st, enum cc_gw_kind kind, const char *ns, const char *route,
       const char *gw, const char *section)
{
        const cJSON *s = cc_gwstatus_find(st, kind, ns, route), *e;

        if (!s)
                return NULL;
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(s, "parents"))
        {
                const cJSON *pr = cJSON_GetObjectItem(e, "parentRef");
                const cJSON *sn = cJSON_GetObjectItem(pr, "sectionName");

                if (strcmp(cJSON_GetObjectItem(pr, "name")->valuestring, gw) != 0)
                        continue;
                if (section && (!sn || strcmp(sn->valuestring, section) != 0))
                        continue;
                return e;
        }
        return NULL;
}

static const cJSON *
pconds(const struct cc_gwstatus *st, const char *ns, const char *route, const char *gw,
       const char *section)
{
        const cJSON *e = parent(st, CC_GW_HTTPROUTE, ns, route, gw, section);

        if (!e)
                fail_msg("no parent entry for gateway '%s' on httproute '%s/%s'", gw, ns, route);
        return cJSON_GetObjectItem(e, "conditions");
}

static void
release(struct cc_gw_snapshot *s, struct cc_gwstatus *st)
{
        cc_gwstatus_release(st);
        cc_gw_snapshot_release(s);
}

/* --- listeners ---------------------------------------------------------------- */

static void
test_listener_validation(void **state)
{
        struct cc_gw_snapshot s;
        struct cc_gwstatus st;
        const cJSON *c;

        (void)state;
        load(&s, SECRET("infra", "cert") HDR_GW
             "metadata: {name: gw, namespace: infra, generation: 4}\n"
             "spec:\n  gatewayClassName: istio+gke\n  listeners:\n"
             "  - {name: http, port: 80, protocol: HTTP}\n"
             "  - {name: https, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: "
             "cert}]}}\n"
             "  - {name: managed, port: 443, protocol: HTTPS, hostname: www.example.com}\n"
             "  - {name: tcp, port: 9000, protocol: TCP}\n"
             "  - {name: tls, port: 9443, protocol: TLS, tls: {mode: Passthrough}}\n"
             "  - {name: port0, port: 0, protocol: HTTP}\n"
             "  - {name: badhost, port: 8080, protocol: HTTP, hostname: 'Bad_Host'}\n"
             "  - {name: nocert, port: 8443, protocol: HTTPS}\n"
             "  - {name: passthrough, port: 7443, protocol: HTTPS, hostname: a.b, tls: {mode: "
             "Passthrough}}\n"
             "  - {name: httptls, port: 81, protocol: HTTP, tls: {certificateRefs: [{name: "
             "cert}]}}\n"
             "  - name: nosel\n    port: 82\n    protocol: HTTP\n"
             "    allowedRoutes: {namespaces: {from: Selector}}\n");
        compute(&s, &st);
        c = gw_conds(&st, "infra", "gw");
        assert_cond(c, "Accepted", "True", "ListenersNotValid");
        assert_cond(c, "Programmed", "True", "Programmed");
        assert_int_equal(
            cJSON_GetObjectItem(find_cond(c, "Accepted"), "observedGeneration")->valuedouble, 4);
        assert_string_equal(
            cJSON_GetObjectItem(find_cond(c, "Accepted"), "lastTransitionTime")->valuestring, NOW);
        assert_cond(lconds(&st, "infra", "gw", "http"), "Accepted", "True", "Accepted");
        assert_cond(lconds(&st, "infra", "gw", "http"), "Programmed", "True", "Programmed");
        assert_cond(lconds(&st, "infra", "gw", "http"), "ResolvedRefs", "True", "ResolvedRefs");
        assert_cond(lconds(&st, "infra", "gw", "http"), "Conflicted", "False", "NoConflicts");
        assert_string_equal(kinds(&st, "infra", "gw", "http"), "HTTPRoute,GRPCRoute");
        assert_cond(lconds(&st, "infra", "gw", "https"), "Accepted", "True", "Accepted");
        assert_cond(lconds(&st, "infra", "gw", "https"), "ResolvedRefs", "True", NULL);
        assert_cond(lconds(&st, "infra", "gw", "managed"), "Accepted", "True", "Accepted");
        assert_cond(lconds(&st, "infra", "gw", "tcp"), "Accepted", "False", "UnsupportedProtocol");
        assert_cond(lconds(&st, "infra", "gw", "tcp"), "Programmed", "False", "Invalid");
        assert_string_equal(kinds(&st, "infra", "gw", "tcp"), "");
        assert_cond(lconds(&st, "infra", "gw", "tls"), "Accepted", "False", "UnsupportedProtocol");
        assert_cond(lconds(&st, "infra", "gw", "port0"), "Accepted", "False", "PortUnavailable");
        assert_cond(lconds(&st, "infra", "gw", "badhost"), "Accepted", "False", "UnsupportedValue");
        assert_cond(lconds(&st, "infra", "gw", "nocert"), "Accepted", "False", "UnsupportedValue");
        assert_cond(lconds(&st, "infra", "gw", "passthrough"), "Accepted", "False",
                    "UnsupportedValue");
        assert_cond(lconds(&st, "infra", "gw", "httptls"), "Accepted", "False", "UnsupportedValue");
        assert_cond(lconds(&st, "infra", "gw", "nosel"), "Accepted", "False", "UnsupportedValue");
        /* addresses come from the cloud stage */
        assert_string_equal(
            cJSON_GetObjectItem(
                cJSON_GetArrayItem(
                    cJSON_GetObjectItem(cc_gwstatus_find(&st, CC_GW_GATEWAY, "infra", "gw"),
                                        "addresses"),
                    0),
                "value")
                ->valuestring,
            "192.0.2.10");
        release(&s, &st);
}

static void
test_listener_conflicts(void **state)
{
        struct cc_gw_snapshot s;
        struct cc_gwstatus st;

        (void)state;
        load(&s, HDR_GW "metadata: {name: gw, namespace: infra}\n"
                        "spec:\n  gatewayClassName: istio+gke\n  listeners:\n"
                        "  - {name: a, port: 80, protocol: HTTP}\n"
                        "  - {name: b, port: 80, protocol: HTTPS, hostname: x.example.com}\n"
                        "  - {name: c, port: 8080, protocol: HTTP, hostname: a.example.com}\n"
                        "  - {name: d, port: 8080, protocol: HTTP, hostname: a.example.com}\n"
                        "  - {name: e, port: 8080, protocol: HTTP, hostname: b.example.com}\n"
                        "  - {name: f, port: 8080, protocol: HTTP}\n"
                        "  - {name: g, port: 8080, protocol: UDP}\n");
        compute(&s, &st);
        /* no winner is picked: both sides of a conflict are rejected */
        assert_cond(lconds(&st, "infra", "gw", "a"), "Conflicted", "True", "ProtocolConflict");
        assert_cond(lconds(&st, "infra", "gw", "a"), "Accepted", "False", "ProtocolConflict");
        assert_cond(lconds(&st, "infra", "gw", "b"), "Conflicted", "True", "ProtocolConflict");
        assert_cond(lconds(&st, "infra", "gw", "c"), "Conflicted", "True", "HostnameConflict");
        assert_cond(lconds(&st, "infra", "gw", "d"), "Conflicted", "True", "HostnameConflict");
        assert_cond(lconds(&st, "infra", "gw", "d"), "Programmed", "False", "Invalid");
        /* distinct by hostname; the unsupported UDP listener takes no part */
        assert_cond(lconds(&st, "infra", "gw", "e"), "Conflicted", "False", "NoConflicts");
        assert_cond(lconds(&st, "infra", "gw", "e"), "Accepted", "True", "Accepted");
        assert_cond(lconds(&st, "infra", "gw", "f"), "Accepted", "True", "Accepted");
        assert_cond(lconds(&st, "infra", "gw", "g"), "Accepted", "False", "UnsupportedProtocol");
        assert_cond(gw_conds(&st, "infra", "gw"), "Accepted", "True", "ListenersNotValid");
        release(&s, &st);
}

/* --- allowedRoutes and attachment -------------------------------------------- */

static const char *const attach_yaml =
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: infra}\n---\n"
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: app, labels: {env: prod}}\n---\n"
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: dev, labels: {env: dev}}\n---\n" SERVICE(
        "infra", "svc") SERVICE("app", "svc") SERVICE("dev", "svc") SERVICE("nons", "svc") HDR_GW
    "metadata: {name: gw, namespace: infra}\n"
    "spec:\n  gatewayClassName: istio+gke\n  listeners:\n"
    "  - {name: same, port: 80, protocol: HTTP, hostname: same.example.com}\n"
    "  - name: all\n    port: 80\n    protocol: HTTP\n    hostname: '*.all.example.com'\n"
    "    allowedRoutes: {namespaces: {from: All}}\n"
    "  - name: sel\n    port: 80\n    protocol: HTTP\n    hostname: sel.example.com\n"
    "    allowedRoutes:\n      namespaces:\n        from: Selector\n"
    "        selector: {matchLabels: {env: prod}}\n"
    "  - name: byname\n    port: 80\n    protocol: HTTP\n    hostname: byname.example.com\n"
    "    allowedRoutes:\n      namespaces:\n        from: Selector\n"
    "        selector: {matchLabels: {kubernetes.io/metadata.name: nons}}\n"
    "  - name: grpc\n    port: 8080\n    protocol: HTTP\n"
    "    allowedRoutes: {namespaces: {from: All}, kinds: [{kind: GRPCRoute}]}\n"
    "---\n" HDR_HR "metadata: {name: r-same, namespace: infra}\n"
    "spec: {parentRefs: [{name: gw, sectionName: same}], rules: [{backendRefs: [{name: svc, "
    "port: 8080}]}]}\n"
    "---\n" HDR_HR "metadata: {name: r-all, namespace: dev}\n"
    "spec: {hostnames: [x.all.example.com], parentRefs: [{name: gw, namespace: infra}], "
    "rules: [{backendRefs: [{name: svc, port: 8080}]}]}\n"
    "---\n" HDR_HR "metadata: {name: r-sel, namespace: app}\n"
    "spec: {parentRefs: [{name: gw, namespace: infra, sectionName: sel}]}\n"
    "---\n" HDR_HR "metadata: {name: r-sel-dev, namespace: dev}\n"
    "spec: {parentRefs: [{name: gw, namespace: infra, sectionName: sel}]}\n"
    "---\n" HDR_HR "metadata: {name: r-byname, namespace: nons}\n"
    "spec: {parentRefs: [{name: gw, namespace: infra, sectionName: byname}]}\n"
    "---\n" HDR_HR "metadata: {name: r-same-other-ns, namespace: app}\n"
    "spec: {parentRefs: [{name: gw, namespace: infra, sectionName: same}]}\n"
    "---\n" HDR_HR "metadata: {name: r-grpc-only, namespace: app}\n"
    "spec: {parentRefs: [{name: gw, namespace: infra, port: 8080}]}\n"
    "---\n" HDR_GR "metadata: {name: g, namespace: app}\n"
    "spec: {parentRefs: [{name: gw, namespace: infra, port: 8080}]}\n"
    /* matches listeners 'all' and 'sel' (allowed from app) but 'same' only by name */
    "---\n" HDR_HR "metadata: {name: r-multi, namespace: app}\n"
    "spec: {parentRefs: [{name: gw, namespace: infra}]}\n"
    /* the same listener twice: counted once */
    "---\n" HDR_HR "metadata: {name: r-twice, namespace: infra}\n"
    "spec: {parentRefs: [{name: gw, sectionName: same}, {name: gw, port: 80}], hostnames: "
    "[same.example.com]}\n"
    /* hostname failure loses to not-allowed */
    "---\n" HDR_HR "metadata: {name: r-rank, namespace: dev}\n"
    "spec: {hostnames: [nothing.example.org], parentRefs: [{name: gw, namespace: infra, "
    "port: 80}]}\n"
    /* accepted by the listener but invalid itself: not counted */
    "---\n" HDR_HR "metadata: {name: r-invalid, namespace: infra}\n"
    "spec: {parentRefs: [{name: gw, sectionName: same}], rules: [{filters: [{type: "
    "ExtensionRef}]}]}\n"
    "---\n" HDR_HR "metadata: {name: r-badpath, namespace: infra}\n"
    "spec: {parentRefs: [{name: gw, sectionName: same}], rules: [{matches: [{path: {type: "
    "Glob, value: /x}}]}]}\n"
    "---\n" HDR_HR "metadata: {name: r-nosection, namespace: infra}\n"
    "spec: {parentRefs: [{name: gw, sectionName: nope}, {name: gw, port: 81}, {name: gw, "
    "sectionName: same, port: 8080}]}\n"
    /* parents cloudctl does not serve get no entry */
    "---\n" HDR_HR "metadata: {name: r-foreign, namespace: infra}\n"
    "spec: {parentRefs: [{name: missing}, {name: other-class}, {name: svc, kind: Service, "
    "group: ''}]}\n"
    "---\n" HDR_GW "metadata: {name: other-class, namespace: infra}\n"
    "spec: {gatewayClassName: istio, listeners: [{name: http, port: 80, protocol: HTTP}]}\n";

static void
test_allowed_routes_and_attachment(void **state)
{
        struct cc_gw_snapshot s;
        struct cc_gwstatus st;
        const cJSON *r;

        (void)state;
        load(&s, attach_yaml);
        compute(&s, &st);
        assert_cond(pconds(&st, "infra", "r-same", "gw", "same"), "Accepted", "True", "Accepted");
        assert_cond(pconds(&st, "infra", "r-same", "gw", "same"), "ResolvedRefs", "True",
                    "ResolvedRefs");
        assert_cond(pconds(&st, "dev", "r-all", "gw", NULL), "Accepted", "True", "Accepted");
        assert_cond(pconds(&st, "app", "r-sel", "gw", NULL), "Accepted", "True", "Accepted");
        assert_cond(pconds(&st, "dev", "r-sel-dev", "gw", NULL), "Accepted", "False",
                    "NotAllowedByListeners");
        /* a namespace missing from the input still has its metadata.name label */
        assert_cond(pconds(&st, "nons", "r-byname", "gw", NULL), "Accepted", "True", "Accepted");
        assert_cond(pconds(&st, "app", "r-same-other-ns", "gw", NULL), "Accepted", "False",
                    "NotAllowedByListeners");
        assert_cond(pconds(&st, "app", "r-grpc-only", "gw", NULL), "Accepted", "False",
                    "NotAllowedByListeners");
        r = parent(&st, CC_GW_GRPCROUTE, "app", "g", "gw", NULL);
        assert_non_null(r);
        assert_cond(cJSON_GetObjectItem(r, "conditions"), "Accepted", "True", "Accepted");
        assert_cond(pconds(&st, "app", "r-multi", "gw", NULL), "Accepted", "True", "Accepted");
        assert_cond(pconds(&st, "dev", "r-rank", "gw", NULL), "Accepted", "False",
                    "NotAllowedByListeners");
        assert_cond(pconds(&st, "infra", "r-invalid", "gw", NULL), "Accepted", "False",
                    "UnsupportedValue");
        assert_cond(pconds(&st, "infra", "r-badpath", "gw", NULL), "Accepted", "False",
                    "UnsupportedValue");
        assert_cond(pconds(&st, "infra", "r-nosection", "gw", "nope"), "Accepted", "False",
                    "NoMatchingParent");
        assert_cond(pconds(&st, "infra", "r-nosection", "gw", "same"), "Accepted", "False",
                    "NoMatchingParent");
        r = cc_gwstatus_find(&st, CC_GW_HTTPROUTE, "infra", "r-nosection");
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "parents")), 3);
        /* the status parentRef is the spec entry with group and kind filled in */
        r = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(r, "parents"), 1),
                                "parentRef");
        assert_string_equal(cJSON_GetObjectItem(r, "group")->valuestring, CC_GW_GROUP);
        assert_string_equal(cJSON_GetObjectItem(r, "kind")->valuestring, "Gateway");
        assert_int_equal(cJSON_GetObjectItem(r, "port")->valuedouble, 81);
        assert_null(cJSON_GetObjectItem(r, "namespace"));
        assert_string_equal(
            cJSON_GetObjectItem(
                cJSON_GetArrayItem(
                    cJSON_GetObjectItem(cc_gwstatus_find(&st, CC_GW_HTTPROUTE, "infra", "r-same"),
                                        "parents"),
                    0),
                "controllerName")
                ->valuestring,
            CC_GW_CONTROLLER_NAME);
        r = cc_gwstatus_find(&st, CC_GW_HTTPROUTE, "infra", "r-foreign");
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "parents")), 0);
        assert_null(cc_gwstatus_find(&st, CC_GW_GATEWAY, "infra", "other-class"));

        /* attachedRoutes counts routes Accepted through the listener, once each */
        assert_int_equal(attached(&st, "infra", "gw", "same"), 2);   /* r-same, r-twice */
        assert_int_equal(attached(&st, "infra", "gw", "all"), 2);    /* r-all, r-multi */
        assert_int_equal(attached(&st, "infra", "gw", "sel"), 2);    /* r-sel, r-multi */
        assert_int_equal(attached(&st, "infra", "gw", "byname"), 1); /* r-byname */
        assert_int_equal(attached(&st, "infra", "gw", "grpc"), 1);   /* g */
        assert_string_equal(kinds(&st, "infra", "gw", "grpc"), "GRPCRoute");
        release(&s, &st);
}

/* --- references ----------------------------------------------------------------- */

static void
test_reference_grants(void **state)
{
        struct cc_gw_snapshot s;
        struct cc_gwstatus st;

        (void)state;
        load(&s, SECRET("certs", "c1") SECRET("certs", "c2") SECRET("infra", "c3")
                     SERVICE("be", "s1") SERVICE("be", "s2") SERVICE("be2", "s3") HDR_RG
             "metadata: {name: certs, namespace: certs}\n"
             "spec:\n  from: [{group: gateway.networking.k8s.io, kind: Gateway, "
             "namespace: infra}]\n"
             "  to: [{group: '', kind: Secret, name: c1}]\n"
             "---\n" HDR_RG "metadata: {name: be, namespace: be}\n"
             "spec:\n  from: [{group: gateway.networking.k8s.io, kind: "
             "HTTPRoute, namespace: infra}]\n"
             "  to: [{group: '', kind: Service}]\n"
             "---\n" HDR_RG "metadata: {name: wrongkind, namespace: be2}\n"
             "spec:\n  from: [{group: gateway.networking.k8s.io, kind: "
             "GRPCRoute, namespace: infra}]\n"
             "  to: [{group: '', kind: Service}]\n"
             "---\n" HDR_GW "metadata: {name: gw, namespace: infra}\n"
             "spec:\n  gatewayClassName: istio+gke\n  listeners:\n"
             "  - {name: granted, port: 443, protocol: HTTPS, hostname: a.b, tls: "
             "{certificateRefs: [{name: c1, namespace: certs}]}}\n"
             "  - {name: notgranted, port: 443, protocol: HTTPS, hostname: c.d, "
             "tls: {certificateRefs: [{name: c2, namespace: certs}]}}\n"
             "  - {name: local, port: 443, protocol: HTTPS, hostname: e.f, tls: "
             "{certificateRefs: [{name: c3}]}}\n"
             "  - {name: missing, port: 443, protocol: HTTPS, hostname: g.h, tls: "
             "{certificateRefs: [{name: nope}]}}\n"
             "  - {name: kind, port: 443, protocol: HTTPS, hostname: i.j, tls: "
             "{certificateRefs: [{name: c3, kind: ConfigMap}]}}\n"
             "---\n" HDR_HR "metadata: {name: ok, namespace: infra}\n"
             "spec: {parentRefs: [{name: gw, sectionName: local}], rules: "
             "[{backendRefs: [{name: s1, namespace: be, port: 8080}, {name: s2, "
             "namespace: be, port: 8080}]}]}\n"
             "---\n" HDR_HR "metadata: {name: wrongkind, namespace: infra}\n"
             "spec: {parentRefs: [{name: gw, sectionName: local}], rules: "
             "[{backendRefs: [{name: s3, namespace: be2, port: 8080}]}]}\n"
             "---\n" HDR_HR "metadata: {name: partial, namespace: infra}\n"
             "spec: {parentRefs: [{name: gw, sectionName: local}], rules: "
             "[{backendRefs: [{name: s1, namespace: be, port: 8080}]}, "
             "{backendRefs: [{name: s3, namespace: be2, port: 8080}]}]}\n"
             "---\n" HDR_HR "metadata: {name: mirror, namespace: infra}\n"
             "spec: {parentRefs: [{name: gw, sectionName: local}], rules: "
             "[{filters: [{type: RequestMirror, requestMirror: {backendRef: "
             "{name: s3, namespace: be2, port: 8080}}}]}]}\n"
             "---\n" HDR_HR "metadata: {name: badport, namespace: infra}\n"
             "spec: {parentRefs: [{name: gw, sectionName: local}], rules: "
             "[{backendRefs: [{name: s1, namespace: be, port: 9090}]}]}\n");
        compute(&s, &st);
        assert_cond(lconds(&st, "infra", "gw", "granted"), "ResolvedRefs", "True", NULL);
        assert_cond(lconds(&st, "infra", "gw", "granted"), "Programmed", "True", NULL);
        assert_cond(lconds(&st, "infra", "gw", "notgranted"), "ResolvedRefs", "False",
                    "RefNotPermitted");
        assert_cond(lconds(&st, "infra", "gw", "notgranted"), "Programmed", "False", "Invalid");
        /* a reference problem does not reject the listener */
        assert_cond(lconds(&st, "infra", "gw", "notgranted"), "Accepted", "True", "Accepted");
        assert_cond(lconds(&st, "infra", "gw", "local"), "ResolvedRefs", "True", NULL);
        assert_cond(lconds(&st, "infra", "gw", "missing"), "ResolvedRefs", "False",
                    "InvalidCertificateRef");
        assert_cond(lconds(&st, "infra", "gw", "kind"), "ResolvedRefs", "False",
                    "InvalidCertificateRef");
        assert_cond(gw_conds(&st, "infra", "gw"), "Accepted", "True", "Accepted");
        assert_cond(gw_conds(&st, "infra", "gw"), "Programmed", "True", "Programmed");
        assert_cond(gw_conds(&st, "infra", "gw"), "ResolvedRefs", "False", "ListenersNotResolved");
        assert_cond(pconds(&st, "infra", "ok", "gw", NULL), "ResolvedRefs", "True", NULL);
        assert_cond(pconds(&st, "infra", "wrongkind", "gw", NULL), "ResolvedRefs", "False",
                    "RefNotPermitted");
        assert_cond(pconds(&st, "infra", "wrongkind", "gw", NULL), "Accepted", "True", NULL);
        assert_cond(pconds(&st, "infra", "partial", "gw", NULL), "ResolvedRefs", "False",
                    "RefNotPermitted");
        assert_cond(pconds(&st, "infra", "mirror", "gw", NULL), "ResolvedRefs", "False",
                    "RefNotPermitted");
        assert_cond(pconds(&st, "infra", "badport", "gw", NULL), "ResolvedRefs", "False",
                    "BackendNotFound");
        /* routes with unresolved backends are still attached */
        assert_int_equal(attached(&st, "infra", "gw", "local"), 5);
        release(&s, &st);
}

/* --- Gateway-level and class conditions --------------------------------------- */

static const struct cc_gw_programmed *
by_name(void *arg, const struct cc_gw_gateway *gw)
{
        static const struct cc_gw_programmed noaddr = { CC_GW_PROG_NO_ADDRESS, "address pending",
                                                        NULL, 0 };
        static const struct cc_gw_programmed unusable = { CC_GW_PROG_ADDRESS_UNUSABLE, NULL, NULL,
                                                          0 };

        (void)arg;
        if (strcmp(gw->meta.name, "noaddr") == 0)
                return &noaddr;
        if (strcmp(gw->meta.name, "unusable") == 0)
                return &unusable;
        return NULL;
}

static void
test_gateway_and_class_conditions(void **state)
{
        static const char *const versions[] = { "v1.6.1", NULL };
        struct cc_gw_serve serve = { .bundle_version = "v1.6.1", .supported_versions = versions };
        struct cc_gw_snapshot s;
        struct cc_gwstatus st = CC_GWSTATUS_INIT;
        struct cc_buf b = CC_BUF_INIT(0);
        struct cc_diag d;
        const cJSON *c;
        int i;

        (void)state;
        assert_int_equal(
            cc_buf_puts(
                &b,
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: params, namespace: infra}\n"
                "---\n" HDR_GC "metadata: {name: good, generation: 2}\n"
                "spec: {controllerName: cloudctl.dev/gateway-controller, parametersRef: {group: "
                "'', kind: ConfigMap, name: params, namespace: infra}}\n"
                "---\n" HDR_GC "metadata: {name: badparams}\n"
                "spec: {controllerName: cloudctl.dev/gateway-controller, parametersRef: {group: "
                "example.com, kind: Params, name: p}}\n"
                "---\n" HDR_GC "metadata: {name: noparams}\n"
                "spec: {controllerName: cloudctl.dev/gateway-controller, parametersRef: {group: "
                "'', kind: ConfigMap, name: nope, namespace: infra}}\n"
                "---\n" HDR_GC "metadata: {name: istio}\n"
                "spec: {controllerName: istio.io/gateway-controller}\n"
                "---\n" HDR_GW "metadata: {name: viaclass, namespace: infra}\n"
                "spec: {gatewayClassName: good, listeners: [{name: h, port: 80, protocol: "
                "HTTP}]}\n"
                "---\n" HDR_GW "metadata: {name: badclass, namespace: infra}\n"
                "spec: {gatewayClassName: badparams, listeners: [{name: h, port: 80, protocol: "
                "HTTP}]}\n"
                "---\n" HDR_GW "metadata: {name: hostaddr, namespace: infra}\n"
                "spec: {gatewayClassName: istio+gke, addresses: [{type: Hostname, value: a.b}], "
                "listeners: [{name: h, port: 80, protocol: HTTP}]}\n"
                "---\n" HDR_GW "metadata: {name: twoaddr, namespace: infra}\n"
                "spec: {gatewayClassName: istio+gke, addresses: [{value: 192.0.2.1}, {value: "
                "192.0.2.2}], listeners: [{name: h, port: 80, protocol: HTTP}]}\n"
                "---\n" HDR_GW "metadata: {name: dualstack, namespace: infra}\n"
                "spec: {gatewayClassName: istio+gke, addresses: [{value: 192.0.2.1}, {value: "
                "'2001:db8::1'}], listeners: [{name: h, port: 80, protocol: HTTP}]}\n"
                "---\n" HDR_GW "metadata: {name: infraparams, namespace: infra}\n"
                "spec: {gatewayClassName: istio+gke, infrastructure: {parametersRef: {group: "
                "invalid.io, kind: InvalidParameters, name: invalid}}, listeners: [{name: h, "
                "port: 80, protocol: HTTP}]}\n"
                "---\n" HDR_GW "metadata: {name: infraok, namespace: infra}\n"
                "spec: {gatewayClassName: istio+gke, infrastructure: {parametersRef: {group: "
                "'', kind: ConfigMap, name: params}}, listeners: [{name: h, port: 80, "
                "protocol: HTTP}]}\n"
                "---\n" HDR_GW "metadata: {name: dup, namespace: infra}\n"
                "spec: {gatewayClassName: istio+gke, listeners: [{name: h, port: 80, protocol: "
                "HTTP}, {name: h, port: 81, protocol: HTTP}]}\n"
                "---\n" HDR_GW "metadata: {name: noaddr, namespace: infra}\n"
                "spec: {gatewayClassName: istio+gke, listeners: [{name: h, port: 80, protocol: "
                "HTTP}]}\n"
                "---\n" HDR_GW "metadata: {name: unusable, namespace: infra}\n"
                "spec: {gatewayClassName: istio+gke, listeners: [{name: h, port: 80, protocol: "
                "HTTP}]}\n"
                "---\n" HDR_GW "metadata: {name: many, namespace: infra}\n"
                "spec:\n  gatewayClassName: istio+gke\n  listeners:\n"),
            CC_OK);
        for (i = 0; i < 65; i++)
                assert_int_equal(
                    cc_buf_printf(&b, "  - {name: l%d, port: %d, protocol: HTTP}\n", i, 1000 + i),
                    CC_OK);
        load(&s, cc_buf_str(&b));
        cc_buf_release(&b);
        assert_int_equal(cc_gwstatus_compute(&s, &serve, by_name, NULL, NOW, &st, &d), CC_OK);

        c = cJSON_GetObjectItem(cc_gwstatus_find(&st, CC_GW_GATEWAYCLASS, "", "good"),
                                "conditions");
        assert_cond(c, "Accepted", "True", "Accepted");
        assert_cond(c, "SupportedVersion", "True", "SupportedVersion");
        assert_int_equal(
            cJSON_GetObjectItem(find_cond(c, "Accepted"), "observedGeneration")->valuedouble, 2);
        c = cJSON_GetObjectItem(cc_gwstatus_find(&st, CC_GW_GATEWAYCLASS, "", "badparams"),
                                "conditions");
        assert_cond(c, "Accepted", "False", "InvalidParameters");
        c = cJSON_GetObjectItem(cc_gwstatus_find(&st, CC_GW_GATEWAYCLASS, "", "noparams"),
                                "conditions");
        assert_cond(c, "Accepted", "False", "InvalidParameters");
        assert_null(cc_gwstatus_find(&st, CC_GW_GATEWAYCLASS, "", "istio"));

        assert_cond(gw_conds(&st, "infra", "viaclass"), "Accepted", "True", "Accepted");
        assert_cond(gw_conds(&st, "infra", "viaclass"), "Programmed", "False", "Pending");
        assert_null(cJSON_GetObjectItem(cc_gwstatus_find(&st, CC_GW_GATEWAY, "infra", "viaclass"),
                                        "addresses"));
        assert_cond(gw_conds(&st, "infra", "badclass"), "Accepted", "False", "Invalid");
        assert_cond(gw_conds(&st, "infra", "badclass"), "Programmed", "False", "Invalid");
        assert_cond(gw_conds(&st, "infra", "hostaddr"), "Accepted", "False", "UnsupportedAddress");
        assert_cond(gw_conds(&st, "infra", "twoaddr"), "Accepted", "False", "UnsupportedAddress");
        assert_cond(gw_conds(&st, "infra", "dualstack"), "Accepted", "True", "Accepted");
        assert_cond(gw_conds(&st, "infra", "infraparams"), "Accepted", "False",
                    "InvalidParameters");
        assert_cond(gw_conds(&st, "infra", "infraok"), "Accepted", "True", "Accepted");
        assert_cond(gw_conds(&st, "infra", "dup"), "Accepted", "False", "Invalid");
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(
                             cc_gwstatus_find(&st, CC_GW_GATEWAY, "infra", "dup"), "listeners")),
                         1);
        assert_cond(gw_conds(&st, "infra", "noaddr"), "Programmed", "False", "AddressNotAssigned");
        assert_string_equal(
            cJSON_GetObjectItem(find_cond(gw_conds(&st, "infra", "noaddr"), "Programmed"),
                                "message")
                ->valuestring,
            "address pending");
        assert_cond(gw_conds(&st, "infra", "unusable"), "Programmed", "False", "AddressNotUsable");
        assert_cond(lconds(&st, "infra", "unusable", "h"), "Programmed", "False", "Pending");
        assert_cond(gw_conds(&st, "infra", "many"), "Accepted", "False", "Invalid");
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(
                             cc_gwstatus_find(&st, CC_GW_GATEWAY, "infra", "many"), "listeners")),
                         CC_GW_MAX_LISTENERS);
        cc_gwstatus_release(&st);

        /* an unknown bundle version: best effort, still Accepted */
        serve.bundle_version = "v1.2.0";
        assert_int_equal(cc_gwstatus_compute(&s, &serve, NULL, NULL, NOW, &st, &d), CC_OK);
        c = cJSON_GetObjectItem(cc_gwstatus_find(&st, CC_GW_GATEWAYCLASS, "", "good"),
                                "conditions");
        assert_cond(c, "Accepted", "True", "Accepted");
        assert_cond(c, "SupportedVersion", "False", "UnsupportedVersion");
        assert_non_null(
            strstr(cJSON_GetObjectItem(find_cond(c, "SupportedVersion"), "message")->valuestring,
                   "v1.2.0"));
        cc_gwstatus_release(&st);

        /* the CRDs could not be read: no SupportedVersion at all */
        serve.bundle_version = NULL;
        assert_int_equal(cc_gwstatus_compute(&s, &serve, NULL, NULL, NOW, &st, &d), CC_OK);
        c = cJSON_GetObjectItem(cc_gwstatus_find(&st, CC_GW_GATEWAYCLASS, "", "good"),
                                "conditions");
        assert_cond(c, "Accepted", "True", "Accepted");
        assert_null(find_cond(c, "SupportedVersion"));
        release(&s, &st);
}

/* --- plan/apply validation ------------------------------------------------------- */

static void
test_validate(void **state)
{
        struct cc_gw_snapshot s;
        struct cc_gw_verdict *v = NULL;
        struct cc_diag d;
        size_t n = 0;

        (void)state;
        load(&s, HDR_GW "metadata: {name: ok, namespace: a}\n"
                        "spec: {gatewayClassName: istio+gke, listeners: [{name: h, port: 80, "
                        "protocol: HTTP}]}\n"
                        "---\n" HDR_GW "metadata: {name: tcp, namespace: a}\n"
                        "spec: {gatewayClassName: istio+gke, listeners: [{name: h, port: 80, "
                        "protocol: HTTP}, {name: h2, port: 81, protocol: HTTP}, {name: t, port: "
                        "9000, protocol: TCP}]}\n"
                        "---\n" HDR_GW "metadata: {name: host, namespace: a}\n"
                        "spec: {gatewayClassName: istio+gke, listeners: [{name: h, port: 80, "
                        "protocol: HTTP, hostname: 'x..y'}]}\n"
                        "---\n" HDR_GW "metadata: {name: cert, namespace: a}\n"
                        "spec: {gatewayClassName: istio+gke, listeners: [{name: s, port: 443, "
                        "protocol: HTTPS, tls: {certificateRefs: [{name: missing}]}}]}\n"
                        "---\n" HDR_GW "metadata: {name: notours, namespace: a}\n"
                        "spec: {gatewayClassName: istio, listeners: [{name: t, port: 1, "
                        "protocol: TCP}]}\n");
        assert_int_equal(cc_gwstatus_validate(&s, NULL, 0, &v, &n, &d), CC_OK);
        assert_int_equal(n, 4);
        assert_null(v[0].reason);
        assert_string_equal(v[1].reason, "UnsupportedProtocol");
        assert_string_equal(v[1].message,
                            "gateway 'a/tcp': field 'spec.listeners[2].protocol': protocol 'TCP' "
                            "is not supported by class 'istio+gke' (HTTP and HTTPS are)");
        assert_string_equal(v[2].reason, "UnsupportedValue");
        assert_non_null(strstr(v[2].message, "field 'spec.listeners[0].hostname'"));
        assert_string_equal(v[3].reason, "InvalidCertificateRef");
        assert_string_equal(v[3].message, "gateway 'a/cert': field "
                                          "'spec.listeners[0].tls.certificateRefs[0]': secret "
                                          "'a/missing' not found");
        cc_free(v);
        /* files need not carry the Secrets */
        assert_int_equal(cc_gwstatus_validate(&s, NULL, CC_GW_VALIDATE_SKIP_REFS, &v, &n, &d),
                         CC_OK);
        assert_null(v[3].reason);
        cc_free(v);
        cc_gw_snapshot_release(&s);
}

/* PARTIAL: an Accepted Gateway is provisioned with its good listeners */
static void
test_validate_partial(void **state)
{
        struct cc_gw_snapshot s;
        struct cc_gw_verdict *v = NULL;
        struct cc_diag d;
        size_t n = 0;

        (void)state;
        load(&s, HDR_GW "metadata: {name: mixed, namespace: a}\n"
                        "spec: {gatewayClassName: istio+gke, listeners: ["
                        "{name: h, port: 80, protocol: HTTP}, "
                        "{name: t, port: 81, protocol: TCP}, "
                        "{name: s, port: 443, protocol: HTTPS, hostname: a.example.com, "
                        "tls: {certificateRefs: [{name: missing}]}}]}\n"
                        "---\n" HDR_GW "metadata: {name: allbad, namespace: a}\n"
                        "spec: {gatewayClassName: istio+gke, listeners: ["
                        "{name: t, port: 81, protocol: TCP}]}\n"
                        "---\n" HDR_GW "metadata: {name: nocert, namespace: a}\n"
                        "spec: {gatewayClassName: istio+gke, listeners: ["
                        "{name: s, port: 443, protocol: HTTPS, "
                        "tls: {certificateRefs: [{name: missing}]}}]}\n");
        assert_int_equal(cc_gwstatus_validate(&s, NULL,
                                              CC_GW_VALIDATE_PARTIAL | CC_GW_VALIDATE_SKIP_REFS, &v,
                                              &n, &d),
                         CC_OK);
        assert_int_equal(n, 3);
        /* mixed: h provisioned; t rejected; s's certificate cannot be read */
        assert_null(v[0].reason);
        assert_true(v[0].listeners == 1ull);
        assert_null(v[0].lreason[0]);
        assert_string_equal(v[0].lreason[1], "UnsupportedProtocol");
        assert_string_equal(v[0].lreason[2], "InvalidCertificateRef");
        /* no valid listener: the Gateway is not Accepted */
        assert_string_equal(v[1].reason, "UnsupportedProtocol");
        assert_true(v[1].listeners == 0);
        /* Accepted with nothing to serve: provisioned without listeners */
        assert_null(v[2].reason);
        assert_true(v[2].listeners == 0);
        assert_string_equal(v[2].lreason[0], "InvalidCertificateRef");
        cc_free(v);
        /* without PARTIAL the first bad listener fails the Gateway */
        assert_int_equal(cc_gwstatus_validate(&s, NULL, CC_GW_VALIDATE_SKIP_REFS, &v, &n, &d),
                         CC_OK);
        assert_string_equal(v[0].reason, "UnsupportedProtocol");
        assert_true(v[0].listeners == 0);
        assert_null(v[2].reason);
        cc_free(v);
        cc_gw_snapshot_release(&s);
}

/* --- merge --------------------------------------------------------------------------- */

static cJSON *
json(const char *text)
{
        cJSON *j = cJSON_Parse(text);

        assert_non_null(j);
        return j;
}

static void
test_merge_conditions(void **state)
{
        cJSON *existing, *computed, *m = NULL, *m2 = NULL;
        const cJSON *c;
        bool changed;
        struct cc_diag d;

        (void)state;
        existing =
            json("{\"conditions\": ["
                 "{\"type\": \"special.io/SomeField\", \"status\": \"True\", \"reason\": \"X\"},"
                 "{\"type\": \"Accepted\", \"status\": \"True\", \"reason\": \"Accepted\", "
                 "\"message\": \"old\", \"observedGeneration\": 1, \"lastTransitionTime\": \"T0\"},"
                 "{\"type\": \"Programmed\", \"status\": \"False\", \"reason\": \"Pending\", "
                 "\"observedGeneration\": 1, \"lastTransitionTime\": \"T0\"},"
                 "{\"type\": \"cloudctl.dev/Stale\", \"status\": \"True\"}],"
                 " \"foreignField\": 7}");
        computed = json("{\"conditions\": ["
                        "{\"type\": \"Accepted\", \"status\": \"True\", \"reason\": \"Accepted\", "
                        "\"message\": \"new\", \"observedGeneration\": 2, "
                        "\"lastTransitionTime\": \"" NOW "\"},"
                        "{\"type\": \"Programmed\", \"status\": \"True\", \"reason\": "
                        "\"Programmed\", \"observedGeneration\": 2, \"lastTransitionTime\": "
                        "\"" NOW "\"},"
                        "{\"type\": \"ResolvedRefs\", \"status\": \"True\", \"reason\": "
                        "\"ResolvedRefs\", \"observedGeneration\": 2, \"lastTransitionTime\": "
                        "\"" NOW "\"}]}");
        assert_int_equal(cc_gwstatus_merge(existing, computed, NULL, NOW2, &m, &changed, &d),
                         CC_OK);
        assert_true(changed);
        c = cJSON_GetObjectItem(m, "conditions");
        assert_int_equal(cJSON_GetArraySize(c), 4);
        /* the foreign condition is kept, in place; the stale owned one is gone */
        assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(c, 0), "type")->valuestring,
                            "special.io/SomeField");
        assert_null(find_cond(c, "cloudctl.dev/Stale"));
        assert_int_equal(cJSON_GetObjectItem(m, "foreignField")->valuedouble, 7);
        /* same status: transition time kept; changed status: now */
        assert_string_equal(
            cJSON_GetObjectItem(find_cond(c, "Accepted"), "lastTransitionTime")->valuestring, "T0");
        assert_string_equal(cJSON_GetObjectItem(find_cond(c, "Accepted"), "message")->valuestring,
                            "new");
        assert_int_equal(
            cJSON_GetObjectItem(find_cond(c, "Accepted"), "observedGeneration")->valuedouble, 2);
        assert_string_equal(
            cJSON_GetObjectItem(find_cond(c, "Programmed"), "lastTransitionTime")->valuestring,
            NOW2);
        assert_string_equal(
            cJSON_GetObjectItem(find_cond(c, "ResolvedRefs"), "lastTransitionTime")->valuestring,
            NOW2);

        /* merging the same computed status again changes nothing */
        assert_int_equal(cc_gwstatus_merge(m, computed, NULL, "T9", &m2, &changed, &d), CC_OK);
        assert_false(changed);
        assert_true(cJSON_Compare(m, m2, true));
        cJSON_Delete(m2);
        cJSON_Delete(m);
        cJSON_Delete(existing);

        /* a condition written at a newer generation is never lowered */
        existing = json("{\"conditions\": [{\"type\": \"Accepted\", \"status\": \"False\", "
                        "\"reason\": \"Invalid\", \"observedGeneration\": 5, "
                        "\"lastTransitionTime\": \"T5\"}]}");
        assert_int_equal(cc_gwstatus_merge(existing, computed, NULL, NOW2, &m, &changed, &d),
                         CC_OK);
        c = find_cond(cJSON_GetObjectItem(m, "conditions"), "Accepted");
        assert_int_equal(cJSON_GetObjectItem(c, "observedGeneration")->valuedouble, 5);
        assert_string_equal(cJSON_GetObjectItem(c, "reason")->valuestring, "Invalid");
        cJSON_Delete(m);
        cJSON_Delete(existing);

        /* no existing status */
        assert_int_equal(cc_gwstatus_merge(NULL, computed, NULL, NOW2, &m, &changed, &d), CC_OK);
        assert_true(changed);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(m, "conditions")), 3);
        cJSON_Delete(m);
        cJSON_Delete(computed);
        assert_int_equal(cc_gwstatus_merge(NULL, NULL, NULL, NOW2, &m, &changed, &d), CC_INVAL);
}

static void
test_merge_listeners_and_parents(void **state)
{
        cJSON *existing, *computed, *m = NULL, *p;
        bool changed;
        struct cc_diag d;

        (void)state;
        existing =
            json("{\"listeners\": [{\"name\": \"gone\", \"attachedRoutes\": 1, \"conditions\": []},"
                 "{\"name\": \"http\", \"attachedRoutes\": 1, \"conditions\": [{\"type\": "
                 "\"Accepted\", \"status\": \"True\", \"reason\": \"Accepted\", "
                 "\"observedGeneration\": 1, \"lastTransitionTime\": \"T0\"}]}],"
                 " \"addresses\": [{\"type\": \"IPAddress\", \"value\": \"192.0.2.1\"}]}");
        computed = json("{\"listeners\": [{\"name\": \"http\", \"attachedRoutes\": 3, "
                        "\"conditions\": [{\"type\": \"Accepted\", \"status\": \"True\", "
                        "\"reason\": \"Accepted\", \"observedGeneration\": 1, "
                        "\"lastTransitionTime\": \"" NOW "\"}]}]}");
        assert_int_equal(cc_gwstatus_merge(existing, computed, NULL, NOW2, &m, &changed, &d),
                         CC_OK);
        assert_true(changed);
        p = cJSON_GetObjectItem(m, "listeners");
        assert_int_equal(cJSON_GetArraySize(p), 1); /* pruned to the computed listeners */
        p = cJSON_GetArrayItem(p, 0);
        assert_int_equal(cJSON_GetObjectItem(p, "attachedRoutes")->valuedouble, 3);
        assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(p, "conditio"
                                                                                          "ns"),
                                                                   0),
                                                "lastTransitionTime")
                                ->valuestring,
                            "T0");
        /* addresses absent from computed: kept */
        assert_non_null(cJSON_GetObjectItem(m, "addresses"));
        cJSON_Delete(m);
        cJSON_Delete(existing);
        cJSON_Delete(computed);

        existing = json(
            "{\"parents\": ["
            "{\"parentRef\": {\"group\": \"gateway.networking.k8s.io\", \"kind\": \"Gateway\", "
            "\"name\": \"theirs\"}, \"controllerName\": \"example.com/other\", \"conditions\": "
            "[{\"type\": \"Accepted\", \"status\": \"True\"}]},"
            "{\"parentRef\": {\"group\": \"gateway.networking.k8s.io\", \"kind\": \"Gateway\", "
            "\"name\": \"old\"}, \"controllerName\": \"cloudctl.dev/gateway-controller\", "
            "\"conditions\": [{\"type\": \"Accepted\", \"status\": \"True\"}]},"
            "{\"parentRef\": {\"group\": \"gateway.networking.k8s.io\", \"kind\": \"Gateway\", "
            "\"name\": \"gw\"}, \"controllerName\": \"cloudctl.dev/gateway-controller\", "
            "\"conditions\": [{\"type\": \"Accepted\", \"status\": \"True\", \"reason\": "
            "\"Accepted\", \"observedGeneration\": 1, \"lastTransitionTime\": \"T0\"}]}]}");
        computed = json(
            "{\"parents\": ["
            "{\"parentRef\": {\"group\": \"gateway.networking.k8s.io\", \"kind\": \"Gateway\", "
            "\"name\": \"gw\"}, \"controllerName\": \"cloudctl.dev/gateway-controller\", "
            "\"conditions\": [{\"type\": \"Accepted\", \"status\": \"True\", \"reason\": "
            "\"Accepted\", \"observedGeneration\": 1, \"lastTransitionTime\": \"" NOW "\"}]},"
            "{\"parentRef\": {\"group\": \"gateway.networking.k8s.io\", \"kind\": \"Gateway\", "
            "\"name\": \"new\"}, \"controllerName\": \"cloudctl.dev/gateway-controller\", "
            "\"conditions\": [{\"type\": \"Accepted\", \"status\": \"False\", \"reason\": "
            "\"NoMatchingParent\", \"observedGeneration\": 1, \"lastTransitionTime\": \"" NOW
            "\"}]}]}");
        assert_int_equal(cc_gwstatus_merge(existing, computed, NULL, NOW2, &m, &changed, &d),
                         CC_OK);
        assert_true(changed);
        p = cJSON_GetObjectItem(m, "parents");
        assert_int_equal(cJSON_GetArraySize(p), 3);
        assert_string_equal(
            cJSON_GetObjectItem(cJSON_GetArrayItem(p, 0), "controllerName")->valuestring,
            "example.com/other");
        assert_string_equal(
            cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(p, 1), "parentRef"), "name")
                ->valuestring,
            "gw");
        assert_string_equal(
            cJSON_GetObjectItem(
                cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(p, 1), "conditions"), 0),
                "lastTransitionTime")
                ->valuestring,
            "T0");
        assert_string_equal(
            cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(p, 2), "parentRef"), "name")
                ->valuestring,
            "new");
        cJSON_Delete(m);
        cJSON_Delete(existing);
        cJSON_Delete(computed);

        /* a route that none of our Gateways serves: nothing to write */
        computed = json("{\"parents\": []}");
        assert_int_equal(cc_gwstatus_merge(NULL, computed, NULL, NOW2, &m, &changed, &d), CC_OK);
        assert_false(changed);
        cJSON_Delete(m);
        cJSON_Delete(computed);
}

/* compute -> merge -> compute again is a fixed point; a spec change moves
 * every observedGeneration and only changed conditions' transition times */
static void
test_second_pass_writes_nothing(void **state)
{
        struct cc_gw_snapshot s;
        struct cc_gwstatus st, st2;
        cJSON *first, *second = NULL;
        const cJSON *c;
        bool changed;
        struct cc_diag d;

        (void)state;
        load(&s, attach_yaml);
        compute(&s, &st);
        assert_int_equal(cc_gwstatus_merge(NULL,
                                           cc_gwstatus_find(&st, CC_GW_GATEWAY, "infra", "gw"),
                                           NULL, NOW, &first, &changed, &d),
                         CC_OK);
        assert_true(changed);
        st2 = (struct cc_gwstatus)CC_GWSTATUS_INIT;
        assert_int_equal(cc_gwstatus_compute(&s, NULL, all_programmed, NULL, NOW2, &st2, &d),
                         CC_OK);
        assert_int_equal(cc_gwstatus_merge(first,
                                           cc_gwstatus_find(&st2, CC_GW_GATEWAY, "infra", "gw"),
                                           NULL, NOW2, &second, &changed, &d),
                         CC_OK);
        assert_false(changed);
        cJSON_Delete(second);
        cc_gwstatus_release(&st2);
        cc_gw_snapshot_release(&s);

        /* generation 2 with the 'same' listener now on a conflicting protocol */
        load(&s, attach_yaml);
        ((struct cc_gw_gateway *)cc_gw_snapshot_gateway(&s, "infra", "gw"))->meta.generation = 2;
        ((struct cc_gw_gateway *)cc_gw_snapshot_gateway(&s, "infra", "gw"))->listeners[0].protocol =
            "HTTPS";
        st2 = (struct cc_gwstatus)CC_GWSTATUS_INIT;
        assert_int_equal(cc_gwstatus_compute(&s, NULL, all_programmed, NULL, NOW2, &st2, &d),
                         CC_OK);
        assert_int_equal(cc_gwstatus_merge(first,
                                           cc_gwstatus_find(&st2, CC_GW_GATEWAY, "infra", "gw"),
                                           NULL, NOW2, &second, &changed, &d),
                         CC_OK);
        assert_true(changed);
        c = find_cond(cJSON_GetObjectItem(second, "conditions"), "Accepted");
        assert_int_equal(cJSON_GetObjectItem(c, "observedGeneration")->valuedouble, 2);
        assert_string_equal(cJSON_GetObjectItem(c, "reason")->valuestring, "ListenersNotValid");
        assert_string_equal(cJSON_GetObjectItem(c, "lastTransitionTime")->valuestring, NOW);
        c = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(second, "listeners"), 0),
                                "conditions");
        assert_cond(c, "Accepted", "False", "ProtocolConflict");
        assert_string_equal(
            cJSON_GetObjectItem(find_cond(c, "Accepted"), "lastTransitionTime")->valuestring, NOW2);
        cJSON_Delete(second);
        cJSON_Delete(first);
        cc_gwstatus_release(&st2);
        release(&s, &st);
}

static void
test_compute_alloc_failure(void **state)
{
        struct cc_gw_snapshot s;
        struct cc_gwstatus st = CC_GWSTATUS_INIT;
        struct cc_gw_verdict *v = NULL;
        struct cc_diag d;
        unsigned long n;
        size_t nv;
        cc_err rc;

        (void)state;
        load(&s, attach_yaml);
        for (n = 1;; n++) {
                cc_alloc_fail_at(n, false);
                rc = cc_gwstatus_compute(&s, NULL, all_programmed, NULL, NOW, &st, &d);
                cc_alloc_fail_at(0, false);
                if (rc == CC_OK)
                        break;
                assert_int_equal(rc, CC_NOMEM);
                assert_int_equal(st.n, 0);
        }
        assert_true(n > 50);
        cc_gwstatus_release(&st);
        for (n = 1;; n++) {
                cc_alloc_fail_at(n, false);
                rc = cc_gwstatus_validate(&s, NULL, 0, &v, &nv, &d);
                cc_alloc_fail_at(0, false);
                if (rc == CC_OK)
                        break;
                assert_int_equal(rc, CC_NOMEM);
        }
        cc_free(v);
        cc_gw_snapshot_release(&s);
}

/* --- conformance ------------------------------------------------------------------------ */
/* The status-only checks of the upstream conformance tests (reference
 * gateway-api-status.md §8), run on the upstream manifests for the class
 * istio+gke and again for a GatewayClass object naming our controller.
 * Expected values are the ones the upstream tests assert.  The suite
 * generates the TLS Secrets at setup; the harness adds them the same way.
 *
 * Out of scope for a composite class whose data plane is an L7 HTTP(S)
 * load balancer (listed by the test when it runs):
 *   TLSRoute* and TCPRoute* (TLS and TCP listeners are UnsupportedProtocol);
 *   GatewayInvalidFrontendClientCertificateValidation (spec.tls.frontend is
 *   not implemented: HTTPS listeners are rejected with UnsupportedValue
 *   instead of the CA-reference reasons the test expects);
 *   the later steps of GatewayStaticAddresses (usable/unusable addresses are
 *   judged by the cloud stage and passed in as cc_gw_programmed) and every
 *   data-plane (traffic) check. */

#define INFRA     "gateway-conformance-infra"
#define OUR_CLASS "cloudctl-conformance"

enum ewhat { E_GW, E_LST, E_ATT, E_KINDS, E_NOLST, E_RT, E_CLASS, E_OG, E_ADDR };

struct expect {
        enum ewhat what;
        const char *ns, *obj, *sub; /* sub: listener, or a route's parent gateway */
        const char *section;        /* route parent's sectionName, NULL = any */
        const char *type, *status, *reason;
        long n;
        enum cc_gw_kind kind; /* for E_OG */
};

#define G(gw, t, s, r)                                     \
        {                                                  \
                E_GW, INFRA, gw, NULL, NULL, t, s, r, 0, 0 \
        }
#define L(gw, l, t, s, r)                                \
        {                                                \
                E_LST, INFRA, gw, l, NULL, t, s, r, 0, 0 \
        }
#define A(gw, l, num)                                               \
        {                                                           \
                E_ATT, INFRA, gw, l, NULL, NULL, NULL, NULL, num, 0 \
        }
#define K(gw, l, k)                                              \
        {                                                        \
                E_KINDS, INFRA, gw, l, NULL, k, NULL, NULL, 0, 0 \
        }
#define NOL(gw, l)                                                  \
        {                                                           \
                E_NOLST, INFRA, gw, l, NULL, NULL, NULL, NULL, 0, 0 \
        }
#define R(rt, gw, t, s, r)                               \
        {                                                \
                E_RT, INFRA, rt, gw, NULL, t, s, r, 0, 0 \
        }
#define RS(rt, gw, sec, t, s, r)                        \
        {                                               \
                E_RT, INFRA, rt, gw, sec, t, s, r, 0, 0 \
        }
#define RNS(ns, rt, gw, t, s, r)                      \
        {                                             \
                E_RT, ns, rt, gw, NULL, t, s, r, 0, 0 \
        }
#define C(cls, t, s, r)                                     \
        {                                                   \
                E_CLASS, "", cls, NULL, NULL, t, s, r, 0, 0 \
        }
#define OG(kind, ns, obj, num)                                         \
        {                                                              \
                E_OG, ns, obj, NULL, NULL, NULL, NULL, NULL, num, kind \
        }
#define ADDR(gw)                                                      \
        {                                                             \
                E_ADDR, INFRA, gw, NULL, NULL, NULL, NULL, NULL, 0, 0 \
        }
#define ACCEPTED_PROGRAMMED(gw) \
        G(gw, "Accepted", "True", "Accepted"), G(gw, "Programmed", "True", "Programmed")

struct ccase {
        const char *test; /* upstream test name */
        const char *file; /* tests/<file>, NULL = base only */
        /* a spec change applied before a second pass (generation 2), NULL = none */
        void (*change)(cJSON *docs);
        struct expect ex[24];
};

static cJSON *
find_doc(cJSON *docs, const char *kind, const char *name)
{
        cJSON *d;

        cJSON_ArrayForEach(d, docs)
        {
                const cJSON *k = cJSON_GetObjectItem(d, "kind");
                const cJSON *n = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "metadata"), "name");

                if (cJSON_IsString(k) && cJSON_IsString(n) && strcmp(k->valuestring, kind) == 0 &&
                    strcmp(n->valuestring, name) == 0)
                        return d;
        }
        fail_msg("no %s '%s' in the manifests", kind, name);
        return NULL;
}

static void
bump(cJSON *doc)
{
        cJSON *md = cJSON_GetObjectItem(doc, "metadata");

        cJSON_DeleteItemFromObject(md, "generation");
        assert_non_null(cJSON_AddNumberToObject(md, "generation", 2));
}

static void
add_listener(cJSON *gw, const char *json_text)
{
        cJSON *l = cJSON_Parse(json_text);

        assert_non_null(l);
        cJSON_AddItemToArray(cJSON_GetObjectItem(cJSON_GetObjectItem(gw, "spec"), "listeners"), l);
}

static void
change_modify_listeners(cJSON *docs)
{
        cJSON *add = find_doc(docs, "Gateway", "gateway-add-listener");
        cJSON *rm = find_doc(docs, "Gateway", "gateway-remove-listener");

        add_listener(add, "{\"name\": \"http\", \"port\": 80, \"protocol\": \"HTTP\", "
                          "\"allowedRoutes\": {\"namespaces\": {\"from\": \"All\"}}}");
        cJSON_DeleteItemFromArray(cJSON_GetObjectItem(cJSON_GetObjectItem(rm, "spec"), "listeners"),
                                  0);
        bump(add);
        bump(rm);
}

static void
change_gateway_generation(cJSON *docs)
{
        cJSON *gw = find_doc(docs, "Gateway", "gateway-observed-generation-bump");

        add_listener(gw, "{\"name\": \"http-2\", \"hostname\": \"foo.com\", \"port\": 8080, "
                         "\"protocol\": \"HTTP\"}");
        bump(gw);
}

static void
change_class_generation(cJSON *docs)
{
        cJSON *gc = find_doc(docs, "GatewayClass", "gatewayclass-observed-generation-bump");
        cJSON *spec = cJSON_GetObjectItem(gc, "spec");

        cJSON_DeleteItemFromObject(spec, "description");
        assert_non_null(cJSON_AddStringToObject(spec, "description", "new"));
        bump(gc);
}

static void
change_route_generation(cJSON *docs)
{
        cJSON *rt = find_doc(docs, "HTTPRoute", "observed-generation-bump");
        cJSON *rule =
            cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(rt, "spec"), "rules"), 0);
        cJSON *m = cJSON_Parse("[{\"path\": {\"type\": \"PathPrefix\", \"value\": \"/bump\"}}]");

        assert_non_null(m);
        cJSON_AddItemToObject(rule, "matches", m);
        bump(rt);
}

static const struct ccase conformance_cases[] = {
        { "BaseManifestsReady",
          NULL,
          NULL,
          { ACCEPTED_PROGRAMMED("same-namespace"),
            ACCEPTED_PROGRAMMED("same-namespace-with-https-listener"),
            ACCEPTED_PROGRAMMED("all-namespaces"), ACCEPTED_PROGRAMMED("backend-namespaces"),
            L("same-namespace-with-https-listener", "https-with-wildcard-hostname", "Programmed",
              "True", "Programmed"),
            L("same-namespace-with-https-listener", "https", "ResolvedRefs", "True",
              "ResolvedRefs") } },
        { "GatewayListenerUnsupportedProtocol",
          "gateway-invalid-listeners-unsupported-protocol",
          NULL,
          { G("gateway-only-unsupported-protocols", "Accepted", "False", "ListenersNotValid"),
            L("gateway-only-unsupported-protocols", "invalid", "Accepted", "False",
              "UnsupportedProtocol"),
            K("gateway-only-unsupported-protocols", "invalid", ""),
            G("gateway-supported-and-unsupported-protocols", "Accepted", "True",
              "ListenersNotValid"),
            G("gateway-supported-and-unsupported-protocols", "Programmed", "True", "Programmed"),
            L("gateway-supported-and-unsupported-protocols", "http", "Accepted", "True",
              "Accepted"),
            L("gateway-supported-and-unsupported-protocols", "invalid", "Accepted", "False",
              "UnsupportedProtocol"),
            K("gateway-supported-and-unsupported-protocols", "invalid", "") } },
        { "GatewayInvalidRouteKind",
          "gateway-invalid-route-kind",
          NULL,
          { L("gateway-only-invalid-route-kind", "http", "ResolvedRefs", "False",
              "InvalidRouteKinds"),
            K("gateway-only-invalid-route-kind", "http", ""),
            A("gateway-only-invalid-route-kind", "http", 0),
            L("gateway-supported-and-invalid-route-kind", "http", "ResolvedRefs", "False",
              "InvalidRouteKinds"),
            K("gateway-supported-and-invalid-route-kind", "http", "HTTPRoute"),
            A("gateway-supported-and-invalid-route-kind", "http", 0) } },
        { "GatewayInvalidTLSConfiguration",
          "gateway-invalid-tls-configuration",
          NULL,
          { L("gateway-certificate-nonexistent-secret", "https", "ResolvedRefs", "False",
              "InvalidCertificateRef"),
            K("gateway-certificate-nonexistent-secret", "https", "HTTPRoute,GRPCRoute"),
            A("gateway-certificate-nonexistent-secret", "https", 0),
            L("gateway-certificate-unsupported-group", "https", "ResolvedRefs", "False",
              "InvalidCertificateRef"),
            A("gateway-certificate-unsupported-group", "https", 0),
            L("gateway-certificate-unsupported-kind", "https", "ResolvedRefs", "False",
              "InvalidCertificateRef"),
            A("gateway-certificate-unsupported-kind", "https", 0),
            L("gateway-certificate-malformed-secret", "https", "ResolvedRefs", "False",
              "InvalidCertificateRef"),
            A("gateway-certificate-malformed-secret", "https", 0) } },
        { "GatewaySecretMissingReferenceGrant",
          "gateway-secret-missing-reference-grant",
          NULL,
          { L("gateway-secret-missing-reference-grant", "https", "ResolvedRefs", "False",
              "RefNotPermitted"),
            A("gateway-secret-missing-reference-grant", "https", 0),
            ACCEPTED_PROGRAMMED("gateway-secret-missing-reference-grant") } },
        { "GatewaySecretInvalidReferenceGrant",
          "gateway-secret-invalid-reference-grant",
          NULL,
          { L("gateway-secret-invalid-reference-grant", "https", "ResolvedRefs", "False",
              "RefNotPermitted"),
            A("gateway-secret-invalid-reference-grant", "https", 0),
            ACCEPTED_PROGRAMMED("gateway-secret-invalid-reference-grant") } },
        { "GatewaySecretReferenceGrantAllInNamespace",
          "gateway-secret-reference-grant-all-in-namespace",
          NULL,
          { L("gateway-secret-reference-grant-all-in-namespace", "https", "Programmed", "True",
              "Programmed"),
            L("gateway-secret-reference-grant-all-in-namespace", "https", "ResolvedRefs", "True",
              "ResolvedRefs"),
            L("gateway-secret-reference-grant-all-in-namespace", "https", "Accepted", "True",
              "Accepted"),
            ACCEPTED_PROGRAMMED("gateway-secret-reference-grant-all-in-namespace") } },
        { "GatewaySecretReferenceGrantSpecific",
          "gateway-secret-reference-grant-specific",
          NULL,
          { L("gateway-secret-reference-grant-specific", "https", "Programmed", "True",
              "Programmed"),
            L("gateway-secret-reference-grant-specific", "https", "ResolvedRefs", "True",
              "ResolvedRefs"),
            ACCEPTED_PROGRAMMED("gateway-secret-reference-grant-specific") } },
        { "GatewayWithAttachedRoutes",
          "gateway-with-attached-routes",
          NULL,
          { A("gateway-with-one-attached-route", "http", 1),
            L("gateway-with-one-attached-route", "http", "Accepted", "True", "Accepted"),
            K("gateway-with-one-attached-route", "http", "HTTPRoute"),
            A("gateway-with-two-attached-routes", "http", 2),
            R("http-route-not-accepted", "gateway-with-two-attached-routes", "Accepted", "False",
              "NoMatchingListenerHostname"),
            A("unresolved-gateway-with-one-attached-unresolved-route", "tls", 1),
            L("unresolved-gateway-with-one-attached-unresolved-route", "tls", "Programmed", "False",
              "Invalid"),
            L("unresolved-gateway-with-one-attached-unresolved-route", "tls", "ResolvedRefs",
              "False", "InvalidCertificateRef"),
            R("http-route-4", "unresolved-gateway-with-one-attached-unresolved-route", "Accepted",
              "True", "Accepted"),
            R("http-route-4", "unresolved-gateway-with-one-attached-unresolved-route",
              "ResolvedRefs", "False", "BackendNotFound") } },
        { "GatewayWithAttachedRoutesWithPort8080",
          "gateway-with-attached-routes-with-port-8080",
          NULL,
          { A("gateway-with-two-listeners-and-one-attached-route", "http", 1),
            A("gateway-with-two-listeners-and-one-attached-route", "http-unattached", 0),
            R("http-route-4-port-8080", "gateway-with-two-listeners-and-one-attached-route",
              "Accepted", "True", "Accepted") } },
        { "GatewayModifyListeners (before)",
          "gateway-modify-listeners",
          NULL,
          { A("gateway-add-listener", "https", 1), A("gateway-remove-listener", "https", 1),
            A("gateway-remove-listener", "http", 1),
            ACCEPTED_PROGRAMMED("gateway-add-listener") } },
        { "GatewayModifyListeners (after)",
          "gateway-modify-listeners",
          change_modify_listeners,
          { A("gateway-add-listener", "https", 1), A("gateway-add-listener", "http", 1),
            A("gateway-remove-listener", "http", 1), NOL("gateway-remove-listener", "https"),
            OG(CC_GW_GATEWAY, INFRA, "gateway-add-listener", 2),
            OG(CC_GW_GATEWAY, INFRA, "gateway-remove-listener", 2),
            ACCEPTED_PROGRAMMED("gateway-add-listener"),
            ACCEPTED_PROGRAMMED("gateway-remove-listener") } },
        { "GatewayInvalidParametersRef",
          "gateway-invalid-parameters-ref",
          NULL,
          { G("gateway-invalid-parameters-ref", "Accepted", "False", "InvalidParameters") } },
        { "GatewayObservedGenerationBump",
          "gateway-observed-generation-bump",
          change_gateway_generation,
          { OG(CC_GW_GATEWAY, INFRA, "gateway-observed-generation-bump", 2),
            ACCEPTED_PROGRAMMED("gateway-observed-generation-bump"),
            L("gateway-observed-generation-bump", "http-2", "Accepted", "True", "Accepted") } },
        { "GatewayClassObservedGenerationBump",
          "gatewayclass-observed-generation-bump",
          change_class_generation,
          { C("gatewayclass-observed-generation-bump", "Accepted", "True", "Accepted"),
            OG(CC_GW_GATEWAYCLASS, "", "gatewayclass-observed-generation-bump", 2) } },
        { "HTTPRouteObservedGenerationBump",
          "httproute-observed-generation-bump",
          change_route_generation,
          { R("observed-generation-bump", "same-namespace", "Accepted", "True", "Accepted"),
            OG(CC_GW_HTTPROUTE, INFRA, "observed-generation-bump", 2) } },
        { "HTTPRouteDisallowedKind",
          "httproute-disallowed-kind",
          NULL,
          { R("disallowed-kind", "tlsroutes-only", "Accepted", "False", "NotAllowedByListeners"),
            R("disallowed-kind", "tlsroutes-only", "ResolvedRefs", "True", "ResolvedRefs") } },
        { "HTTPRouteHostnameIntersection",
          "httproute-hostname-intersection",
          NULL,
          { A("httproute-hostname-intersection", "listener-1", 2),
            A("httproute-hostname-intersection", "listener-2", 1),
            A("httproute-hostname-intersection", "listener-3", 1),
            R("specific-host-matches-listener-specific-host", "httproute-hostname-intersection",
              "Accepted", "True", "Accepted"),
            R("specific-host-matches-listener-wildcard-host", "httproute-hostname-intersection",
              "Accepted", "True", "Accepted"),
            R("wildcard-host-matches-listener-specific-host", "httproute-hostname-intersection",
              "Accepted", "True", "Accepted"),
            R("wildcard-host-matches-listener-wildcard-host", "httproute-hostname-intersection",
              "Accepted", "True", "Accepted"),
            R("no-intersecting-hosts", "httproute-hostname-intersection", "Accepted", "False",
              "NoMatchingListenerHostname"),
            A("httproute-hostname-intersection-all", "listener-1", 1) } },
        { "HTTPRouteInvalidBackendRefUnknownKind",
          "httproute-invalid-backendref-unknown-kind",
          NULL,
          { R("invalid-backend-ref-unknown-kind", "same-namespace", "Accepted", "True", "Accepted"),
            R("invalid-backend-ref-unknown-kind", "same-namespace", "ResolvedRefs", "False",
              "InvalidKind") } },
        { "HTTPRouteInvalidCrossNamespaceBackendRef",
          "httproute-invalid-cross-namespace-backend-ref",
          NULL,
          { R("invalid-cross-namespace-backend-ref", "same-namespace", "Accepted", "True",
              "Accepted"),
            R("invalid-cross-namespace-backend-ref", "same-namespace", "ResolvedRefs", "False",
              "RefNotPermitted") } },
        { "HTTPRouteInvalidCrossNamespaceParentRef",
          "httproute-invalid-cross-namespace-parent-ref",
          NULL,
          { RNS("gateway-conformance-web-backend", "invalid-cross-namespace-parent-ref",
                "same-namespace", "Accepted", "False", "NotAllowedByListeners"),
            RNS("gateway-conformance-web-backend", "invalid-cross-namespace-parent-ref",
                "same-namespace", "ResolvedRefs", "True", "ResolvedRefs"),
            A("same-namespace", "http", 0) } },
        { "HTTPRouteInvalidNonExistentBackendRef",
          "httproute-invalid-nonexistent-backendref",
          NULL,
          { R("invalid-nonexistent-backend-ref", "same-namespace", "Accepted", "True", "Accepted"),
            R("invalid-nonexistent-backend-ref", "same-namespace", "ResolvedRefs", "False",
              "BackendNotFound") } },
        { "HTTPRouteInvalidParentRefNotMatchingListenerPort",
          "httproute-invalid-parentref-not-matching-listener-port",
          NULL,
          { R("httproute-listener-not-matching-route-port", "same-namespace", "Accepted", "False",
              "NoMatchingParent"),
            A("same-namespace", "http", 0) } },
        { "HTTPRouteInvalidParentRefNotMatchingSectionName",
          "httproute-invalid-parentref-not-matching-section-name",
          NULL,
          { R("httproute-listener-not-matching-section-name", "same-namespace", "Accepted", "False",
              "NoMatchingParent"),
            A("same-namespace", "http", 0) } },
        { "HTTPRouteInvalidParentRefSectionNameNotMatchingPort",
          "httproute-invalid-parentref-section-name-not-matching-port",
          NULL,
          { R("httproute-listener-section-name-not-matching-port",
              "gateway-with-one-not-matching-port-and-section-name-route", "Accepted", "False",
              "NoMatchingParent"),
            A("gateway-with-one-not-matching-port-and-section-name-route", "http", 0) } },
        { "HTTPRouteInvalidReferenceGrant",
          "httproute-invalid-reference-grant",
          NULL,
          { R("reference-grant", "same-namespace", "Accepted", "True", "Accepted"),
            R("reference-grant", "same-namespace", "ResolvedRefs", "False", "RefNotPermitted") } },
        { "HTTPRouteReferenceGrant",
          "httproute-reference-grant",
          NULL,
          { R("reference-grant", "same-namespace", "Accepted", "True", "Accepted"),
            R("reference-grant", "same-namespace", "ResolvedRefs", "True", "ResolvedRefs") } },
        { "HTTPRoutePartiallyInvalidViaInvalidReferenceGrant",
          "httproute-partially-invalid-via-invalid-reference-grant",
          NULL,
          { R("invalid-reference-grant", "same-namespace", "Accepted", "True", "Accepted"),
            R("invalid-reference-grant", "same-namespace", "ResolvedRefs", "False",
              "RefNotPermitted") } },
        { "HTTPRouteListenerHostnameMatching",
          "httproute-listener-hostname-matching",
          NULL,
          { RS("backend-v1", "httproute-listener-hostname-matching", "listener-1", "Accepted",
               "True", "Accepted"),
            RS("backend-v2", "httproute-listener-hostname-matching", "listener-2", "Accepted",
               "True", "Accepted"),
            RS("backend-v3", "httproute-listener-hostname-matching", "listener-3", "Accepted",
               "True", "Accepted"),
            RS("backend-v3", "httproute-listener-hostname-matching", "listener-4", "Accepted",
               "True", "Accepted"),
            A("httproute-listener-hostname-matching", "listener-1", 1),
            A("httproute-listener-hostname-matching", "listener-2", 1),
            A("httproute-listener-hostname-matching", "listener-3", 1),
            A("httproute-listener-hostname-matching", "listener-4", 1) } },
        { "GatewayInvalidTLSBackendConfiguration",
          "gateway-invalid-tls-backend-configuration",
          NULL,
          { G("gateway-client-certificate-nonexistent-secret", "ResolvedRefs", "False",
              "InvalidClientCertificateRef"),
            G("gateway-client-certificate-nonexistent-secret", "Accepted", "True", "Accepted"),
            G("gateway-client-certificate-unsupported-group", "ResolvedRefs", "False",
              "InvalidClientCertificateRef"),
            G("gateway-client-certificate-unsupported-kind", "ResolvedRefs", "False",
              "InvalidClientCertificateRef"),
            G("gateway-client-certificate-malformed-secret", "ResolvedRefs", "False",
              "InvalidClientCertificateRef"),
            G("gateway-client-certificate-missing-reference-grant", "ResolvedRefs", "False",
              "RefNotPermitted"),
            G("gateway-client-certificate-missing-reference-grant", "Accepted", "True",
              "Accepted") } },
        { "GatewayStaticAddresses (unsupported address type)",
          "gateway-static-addresses",
          NULL,
          { G("gateway-static-addresses", "Accepted", "False", "UnsupportedAddress") } },
        { "GatewayOptionalAddressValue",
          "gateway-optional-address-value",
          NULL,
          { ACCEPTED_PROGRAMMED("gateway-without-address-value"),
            ADDR("gateway-without-address-value") } },
        { "GatewayInfrastructure",
          "gateway-infrastructure",
          NULL,
          { ACCEPTED_PROGRAMMED("gateway-with-infrastructure-metadata") } },
};

static const char *const out_of_scope[] = {
        "GatewayInvalidFrontendClientCertificateValidation: spec.tls.frontend is not "
        "implemented (listeners get UnsupportedValue)",
        "TLSRoute* (9 tests) and TCPRoute* (3): TLS/TCP listeners are UnsupportedProtocol on an "
        "L7 HTTP(S) load balancer",
        "GatewayStaticAddresses after step 1: usable/unusable addresses are the cloud stage's "
        "verdict (cc_gw_programmed)",
        "all data-plane (traffic) checks",
};

/* rewrite -- what the upstream applier does: the class under test, our
 * controllerName, the address pools; plus the Secrets generated at setup. */
static void
rewrite(cJSON *docs, const char *cls)
{
        static const char *const secrets[][2] = { { INFRA, "tls-validity-checks-certificate" },
                                                  { "gateway-conformance-web-backend",
                                                    "certificate" } };
        cJSON *d, *spec, *a, *v, *sec;
        size_t i;

        cJSON_ArrayForEach(d, docs)
        {
                const char *kind = cJSON_GetObjectItem(d, "kind")->valuestring;

                spec = cJSON_GetObjectItem(d, "spec");
                if (strcmp(kind, "Gateway") == 0) {
                        cJSON_DeleteItemFromObject(spec, "gatewayClassName");
                        assert_non_null(cJSON_AddStringToObject(spec, "gatewayClassName", cls));
                        cJSON_ArrayForEach(a, cJSON_GetObjectItem(spec, "addresses"))
                        {
                                v = cJSON_GetObjectItem(a, "value");
                                if (cJSON_IsString(v) && strstr(v->valuestring, "PLACEHOLDER")) {
                                        bool usable = strstr(v->valuestring, "UNUSABLE") == NULL;

                                        cJSON_DeleteItemFromObject(a, "value");
                                        assert_non_null(cJSON_AddStringToObject(
                                            a, "value", usable ? "192.0.2.10" : "198.51.100.7"));
                                }
                        }
                } else if (strcmp(kind, "GatewayClass") == 0) {
                        cJSON_DeleteItemFromObject(spec, "controllerName");
                        assert_non_null(
                            cJSON_AddStringToObject(spec, "controllerName", CC_GW_CONTROLLER_NAME));
                }
        }
        for (i = 0; i < 2; i++) {
                char text[512];

                snprintf(text, sizeof(text),
                         "{\"apiVersion\": \"v1\", \"kind\": \"Secret\", \"type\": "
                         "\"kubernetes.io/tls\", \"metadata\": {\"name\": \"%s\", \"namespace\": "
                         "\"%s\"}, \"data\": {\"tls.crt\": \"%s\", \"tls.key\": \"%s\"}}",
                         secrets[i][1], secrets[i][0], CRT_B64, KEY_B64);
                assert_non_null(sec = cJSON_Parse(text));
                cJSON_AddItemToArray(docs, sec);
        }
        if (strcmp(cls, OUR_CLASS) == 0) {
                assert_non_null(sec = cJSON_Parse("{\"apiVersion\": "
                                                  "\"gateway.networking.k8s.io/v1\", \"kind\": "
                                                  "\"GatewayClass\", \"metadata\": {\"name\": "
                                                  "\"" OUR_CLASS "\"}, \"spec\": "
                                                  "{\"controllerName\": "
                                                  "\"" CC_GW_CONTROLLER_NAME "\"}}"));
                cJSON_AddItemToArray(docs, sec);
        }
}

static void
snapshot_of(const cJSON *docs, struct cc_gw_snapshot *s, struct cc_gwstatus *st)
{
        struct cc_diag d;

        cc_gw_snapshot_init(s);
        if (cc_gw_snapshot_add_all(s, docs, &d))
                fail_msg("snapshot: %s", d.message);
        compute(s, st);
}

/* all_at -- every condition of the status object at generation n. */
static bool
all_at(const cJSON *o, long n)
{
        const cJSON *c;

        if (cJSON_IsArray(o) || cJSON_IsObject(o)) {
                cJSON_ArrayForEach(c, o)
                {
                        if (!all_at(c, n))
                                return false;
                }
        }
        if (cJSON_IsObject(o) && cJSON_GetObjectItem(o, "observedGeneration"))
                return (long)cJSON_GetObjectItem(o, "observedGeneration")->valuedouble == n;
        return true;
}

/* check -- NULL when the expectation holds, else why not. */
static const char *
check(const struct cc_gwstatus *st, const struct expect *e)
{
        static char why[600];
        const cJSON *o, *conds;
        const char *w;

        switch (e->what) {
        case E_GW:
                if (!(o = cc_gwstatus_find(st, CC_GW_GATEWAY, e->ns, e->obj)))
                        break;
                w = check_cond(cJSON_GetObjectItem(o, "conditions"), e->type, e->status, e->reason);
                if (w)
                        snprintf(why, sizeof(why), "gateway %s: %s", e->obj, w);
                return w ? why : NULL;
        case E_LST:
        case E_ATT:
        case E_KINDS:
        case E_NOLST:
                o = listener(st, e->ns, e->obj, e->sub);
                if (e->what == E_NOLST) {
                        snprintf(why, sizeof(why), "gateway %s: listener %s still listed", e->obj,
                                 e->sub);
                        return o ? why : NULL;
                }
                if (!o)
                        break;
                if (e->what == E_ATT) {
                        long n = (long)cJSON_GetObjectItem(o, "attachedRoutes")->valuedouble;

                        snprintf(why, sizeof(why),
                                 "gateway %s listener %s: attachedRoutes %ld, "
                                 "want %ld",
                                 e->obj, e->sub, n, e->n);
                        return n == e->n ? NULL : why;
                }
                if (e->what == E_KINDS) {
                        const char *k = kinds(st, e->ns, e->obj, e->sub);

                        snprintf(why, sizeof(why),
                                 "gateway %s listener %s: supportedKinds [%s], "
                                 "want [%s]",
                                 e->obj, e->sub, k, e->type);
                        return strcmp(k, e->type) == 0 ? NULL : why;
                }
                w = check_cond(cJSON_GetObjectItem(o, "conditions"), e->type, e->status, e->reason);
                if (w)
                        snprintf(why, sizeof(why), "gateway %s listener %s: %s", e->obj, e->sub, w);
                return w ? why : NULL;
        case E_RT:
                o = parent(st, CC_GW_HTTPROUTE, e->ns, e->obj, e->sub, e->section);
                if (!o)
                        break;
                conds = cJSON_GetObjectItem(o, "conditions");
                w = check_cond(conds, e->type, e->status, e->reason);
                if (w)
                        snprintf(why, sizeof(why), "httproute %s parent %s: %s", e->obj, e->sub, w);
                return w ? why : NULL;
        case E_CLASS:
                if (!(o = cc_gwstatus_find(st, CC_GW_GATEWAYCLASS, "", e->obj)))
                        break;
                w = check_cond(cJSON_GetObjectItem(o, "conditions"), e->type, e->status, e->reason);
                if (w)
                        snprintf(why, sizeof(why), "gatewayclass %s: %s", e->obj, w);
                return w ? why : NULL;
        case E_OG:
                if (!(o = cc_gwstatus_find(st, e->kind, e->ns, e->obj)))
                        break;
                snprintf(why, sizeof(why), "%s %s: not every condition at generation %ld",
                         cc_gw_kind_label(e->kind), e->obj, e->n);
                return all_at(o, e->n) ? NULL : why;
        case E_ADDR:
                if (!(o = cc_gwstatus_find(st, CC_GW_GATEWAY, e->ns, e->obj)))
                        break;
                snprintf(why, sizeof(why), "gateway %s: no status.addresses", e->obj);
                return cJSON_GetArraySize(cJSON_GetObjectItem(o, "addresses")) > 0 ? NULL : why;
        }
        snprintf(why, sizeof(why), "no status for %s%s%s", e->obj, e->sub ? " / " : "",
                 e->sub ? e->sub : "");
        return why;
}

/* merge_all -- replace every computed status by its merge onto prev's. */
static void
merge_all(struct cc_gwstatus *st, const struct cc_gwstatus *prev, const char *now)
{
        struct cc_diag d;
        bool changed;
        size_t i;

        for (i = 0; i < st->n; i++) {
                struct cc_gwstatus_entry *e = &st->v[i];
                const cJSON *old = prev ? cc_gwstatus_find(prev, e->kind, e->ns, e->name) : NULL;
                cJSON *m = NULL;

                assert_int_equal(cc_gwstatus_merge(old, e->status, NULL, now, &m, &changed, &d),
                                 CC_OK);
                cJSON_Delete(e->status);
                e->status = m;
        }
}

static bool
run_case(const struct ccase *cc, const cJSON *base, const char *dir, const char *cls)
{
        struct cc_gw_snapshot s, s2;
        struct cc_gwstatus st, st2;
        cJSON *docs = cJSON_Duplicate(base, true), *extra = NULL, *d;
        struct cc_diag diag;
        char path[1200];
        bool ok = true;
        size_t i;

        assert_non_null(docs);
        if (cc->file) {
                snprintf(path, sizeof(path), "%s/tests/%s.yaml", dir, cc->file);
                if (cc_yaml_load_file(path, &extra, &diag) != CC_OK)
                        fail_msg("%s", diag.message);
                cJSON_ArrayForEach(d, extra)
                {
                        cJSON_AddItemToArray(docs, cJSON_Duplicate(d, true));
                }
                cJSON_Delete(extra);
        }
        rewrite(docs, cls);
        snapshot_of(docs, &s, &st);
        if (cc->change) {
                /* pass 1 written; the spec changes; pass 2 merged onto pass 1 */
                merge_all(&st, NULL, NOW);
                cc->change(docs);
                snapshot_of(docs, &s2, &st2);
                merge_all(&st2, &st, NOW2);
                cc_gwstatus_release(&st);
                cc_gw_snapshot_release(&s);
                st = st2;
                s = s2;
        }
        for (i = 0; i < sizeof(cc->ex) / sizeof(cc->ex[0]) && cc->ex[i].obj; i++) {
                const char *why = check(&st, &cc->ex[i]);

                if (why) {
                        print_message("conformance: FAIL %s [%s]: %s\n", cc->test, cls, why);
                        ok = false;
                }
        }
        release(&s, &st);
        cJSON_Delete(docs);
        return ok;
}

static void
test_conformance(void **state)
{
        const char *dir = getenv("CC_CONFORMANCE_DIR");
        static const char *const classes[] = { CC_GW_VIRTUAL_CLASS, OUR_CLASS };
        char dflt[900], path[1100];
        cJSON *base = NULL;
        struct cc_diag d;
        struct stat sb;
        size_t i, j, passed = 0, total = 0;

        (void)state;
        if (!dir) {
                snprintf(dflt, sizeof(dflt), "%s/../shared/gateway-api-conformance",
                         getenv("CC_SOURCE_DIR") ? getenv("CC_SOURCE_DIR") : ".");
                dir = dflt;
        }
        snprintf(path, sizeof(path), "%s/base/manifests.yaml", dir);
        if (stat(path, &sb) != 0) {
                print_message("conformance: manifests not found in '%s' (set CC_CONFORMANCE_DIR); "
                              "skipped\n",
                              dir);
                skip();
        }
        if (cc_yaml_load_file(path, &base, &d) != CC_OK)
                fail_msg("%s", d.message);
        for (i = 0; i < sizeof(conformance_cases) / sizeof(conformance_cases[0]); i++) {
                for (j = 0; j < 2; j++) {
                        total++;
                        if (run_case(&conformance_cases[i], base, dir, classes[j]))
                                passed++;
                }
        }
        cJSON_Delete(base);
        for (i = 0; i < sizeof(out_of_scope) / sizeof(out_of_scope[0]); i++)
                print_message("conformance: out of scope: %s\n", out_of_scope[i]);
        print_message("conformance: %zu passed out of %zu (%zu upstream tests x 2 classes: %s, "
                      "GatewayClass '%s')\n",
                      passed, total, total / 2, CC_GW_VIRTUAL_CLASS, OUR_CLASS);
        assert_int_equal(passed, total);
}

/* a route of the scope: one naming infra/gw in its parentRefs */
static bool
names_infra_gw(void *arg, const struct cc_gw_route *rt)
{
        size_t i;

        (void)arg;
        for (i = 0; i < rt->n_parents; i++) {
                const char *ns = rt->parents[i].ns ? rt->parents[i].ns : rt->meta.ns;

                if (!strcmp(rt->parents[i].name, "gw") && !strcmp(ns, "infra"))
                        return true;
        }
        return false;
}

/* a scoped compute gives exactly the scope's objects, with the status the
 * full compute gives them (attachedRoutes included) */
static void
test_compute_scoped(void **state)
{
        struct cc_gw_snapshot s;
        struct cc_gwstatus full, st = CC_GWSTATUS_INIT;
        struct cc_gwstatus_scope sc = { .gw_ns = "infra",
                                        .gw_name = "gw",
                                        .route = names_infra_gw };
        struct cc_diag d;
        size_t i, nroutes = 0;

        (void)state;
        load(&s, attach_yaml);
        compute(&s, &full);
        assert_int_equal(
            cc_gwstatus_compute_scoped(&s, NULL, &sc, all_programmed, NULL, NOW, &st, &d), CC_OK);
        for (i = 0; i < st.n; i++) {
                const struct cc_gwstatus_entry *e = &st.v[i];

                assert_int_not_equal(e->kind, CC_GW_GATEWAYCLASS);
                if (e->kind == CC_GW_GATEWAY) {
                        assert_string_equal(e->name, "gw");
                        assert_string_equal(e->ns, "infra");
                } else {
                        nroutes++;
                }
                assert_true(cJSON_Compare(e->status,
                                          cc_gwstatus_find(&full, e->kind, e->ns, e->name), true));
        }
        assert_non_null(cc_gwstatus_find(&st, CC_GW_GATEWAY, "infra", "gw"));
        for (i = 0; i < s.n_routes; i++)
                if (names_infra_gw(NULL, s.routes[i]))
                        assert_non_null(cc_gwstatus_find(
                            &st, s.routes[i]->kind, s.routes[i]->meta.ns, s.routes[i]->meta.name));
        assert_true(nroutes > 0 && nroutes < s.n_routes + 1);
        cc_gwstatus_release(&st);
        /* classes only */
        sc = (struct cc_gwstatus_scope){ .classes = true };
        assert_int_equal(cc_gwstatus_compute_scoped(&s, NULL, &sc, NULL, NULL, NOW, &st, &d),
                         CC_OK);
        for (i = 0; i < st.n; i++)
                assert_int_equal(st.v[i].kind, CC_GW_GATEWAYCLASS);
        cc_gwstatus_release(&st);
        cc_gwstatus_release(&full);
        cc_gw_snapshot_release(&s);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_listener_validation),
                cmocka_unit_test(test_listener_conflicts),
                cmocka_unit_test(test_allowed_routes_and_attachment),
                cmocka_unit_test(test_compute_scoped),
                cmocka_unit_test(test_reference_grants),
                cmocka_unit_test(test_gateway_and_class_conditions),
                cmocka_unit_test(test_validate),
                cmocka_unit_test(test_validate_partial),
                cmocka_unit_test(test_merge_conditions),
                cmocka_unit_test(test_merge_listeners_and_parents),
                cmocka_unit_test(test_second_pass_writes_nothing),
                cmocka_unit_test(test_compute_alloc_failure),
                cmocka_unit_test(test_conformance),
        };
        cc_alloc_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
