/* gwstatus.c -- evaluate served Gateways, listeners and routes; build status.
 *
 * Two passes: evaluate() judges every served Gateway and its listeners
 * (no routes needed), then the routes are judged against those verdicts,
 * which also counts attachedRoutes.  Status JSON is built last, from the
 * verdicts, so validation (plan/apply) and status share one judgement.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/gwstatus.h"
#include "core/banned.h"

#define MSG_MAX   320
#define FIELD_MAX 112

enum { K_HTTP = 1u << 0, K_GRPC = 1u << 1 };

static const char *const default_virtual[] = { CC_GW_VIRTUAL_CLASS, NULL };
static const char *const default_versions[] = { "v1.6.0", "v1.6.1", NULL };

struct lev {
        const char *acc_reason; /* NULL = Accepted */
        char acc_msg[MSG_MAX];
        char acc_field[FIELD_MAX];
        const char *ref_reason; /* NULL = ResolvedRefs */
        char ref_msg[MSG_MAX];
        char ref_field[FIELD_MAX];
        bool cert_bad;        /* a certificateRef problem: Programmed=False/Invalid */
        const char *conflict; /* HostnameConflict / ProtocolConflict */
        unsigned kinds;       /* supported kinds */
        bool emit;            /* has a status entry (first of its name, within 64) */
        long attached;
        size_t last_route; /* route index + 1 that last attached, to count once */
};

struct gev {
        const struct cc_gw_gateway *gw;
        const char *acc_reason; /* Gateway-level failure, NULL = none */
        char acc_msg[MSG_MAX];
        char acc_field[FIELD_MAX];
        bool accepted;
        size_t n_valid; /* listeners Accepted */
        const char *refs_reason;
        char refs_msg[MSG_MAX];
        struct lev *l;
};

struct eval {
        const struct cc_gw_snapshot *s;
        const char *ctrl;
        const char *const *virtual_classes;
        const char *const *versions;
        const char *bundle;
        struct gev *g;
        size_t n;
        struct cc_map by_name; /* "ns/name" -> gev */
};

static void fmt(char *out, size_t outsz, const char *f, ...) __attribute__((format(printf, 3, 4)));

static void
fmt(char *out, size_t outsz, const char *f, ...)
{
        va_list ap;

        va_start(ap, f);
        vsnprintf(out, outsz, f, ap);
        va_end(ap);
}

static bool
streq(const char *a, const char *b)
{
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}

static bool
core_group(const char *g)
{
        return !g || g[0] == '\0' || strcmp(g, "core") == 0;
}

static bool
group_eq(const char *a, const char *b)
{
        if (core_group(a) || core_group(b))
                return core_group(a) && core_group(b);
        return strcmp(a, b) == 0;
}

static bool
in_list(const char *const *list, const char *s)
{
        size_t i;

        for (i = 0; list && list[i]; i++)
                if (streq(list[i], s))
                        return true;
        return false;
}

/* --- classes --------------------------------------------------------------- */

/* class_verdict -- NULL when the class is Accepted, else the reason and msg. */
static const char *
class_verdict(const struct cc_gw_snapshot *s, const struct cc_gw_class *c, char *msg, size_t msgsz)
{
        const struct cc_gw_ref *p = &c->params;

        if (!c->has_params)
                return NULL;
        if (!core_group(p->group) || !streq(p->kind, "ConfigMap")) {
                fmt(msg, msgsz,
                    "spec.parametersRef: unsupported kind '%s%s%s' (expected a core ConfigMap)",
                    core_group(p->group) ? "" : p->group, core_group(p->group) ? "" : "/", p->kind);
                return "InvalidParameters";
        }
        if (!p->ns) {
                fmt(msg, msgsz, "spec.parametersRef: namespace is required for a ConfigMap");
                return "InvalidParameters";
        }
        if (!cc_gw_snapshot_configmap(s, p->ns, p->name)) {
                fmt(msg, msgsz, "spec.parametersRef: configmap '%s/%s' not found", p->ns, p->name);
                return "InvalidParameters";
        }
        return NULL;
}

static bool
our_class(const struct eval *ev, const struct cc_gw_class *c)
{
        return c && streq(c->controller_name, ev->ctrl);
}

/* --- reference grants ------------------------------------------------------ */

static bool
granted(const struct cc_gw_snapshot *s, const char *from_kind, const char *from_ns,
        const char *to_kind, const char *to_ns, const char *to_name)
{
        size_t i, j;

        for (i = 0; i < s->n_grants; i++) {
                const struct cc_gw_grant *g = s->grants[i];
                bool from_ok = false, to_ok = false;

                if (!streq(g->meta.ns, to_ns))
                        continue;
                for (j = 0; j < g->n_from && !from_ok; j++)
                        from_ok = group_eq(g->from[j].group, CC_GW_GROUP) &&
                                  streq(g->from[j].kind, from_kind) &&
                                  streq(g->from[j].ns, from_ns);
                for (j = 0; j < g->n_to && !to_ok; j++)
                        to_ok = core_group(g->to[j].group) && streq(g->to[j].kind, to_kind) &&
                                (!g->to[j].name || streq(g->to[j].name, to_name));
                if (from_ok && to_ok)
                        return true;
        }
        return false;
}

/* secret_ref -- check a Gateway's reference to a TLS Secret.  NULL when
 * fine, else "RefNotPermitted" or bad_reason, with msg. */
static const char *
secret_ref(const struct cc_gw_snapshot *s, const struct cc_gw_gateway *gw,
           const struct cc_gw_ref *r, const char *bad_reason, char *msg, size_t msgsz)
{
        const char *ns = r->ns ? r->ns : gw->meta.ns;
        const struct cc_gw_secret *sec;

        if (strcmp(ns, gw->meta.ns) != 0 &&
            !granted(s, "Gateway", gw->meta.ns, r->kind, ns, r->name)) {
                fmt(msg, msgsz, "reference to %s '%s/%s' is not permitted by any ReferenceGrant",
                    r->kind, ns, r->name);
                return "RefNotPermitted";
        }
        if (!core_group(r->group) || !streq(r->kind, "Secret")) {
                fmt(msg, msgsz, "unsupported reference kind '%s%s%s' (expected a core Secret)",
                    core_group(r->group) ? "" : r->group, core_group(r->group) ? "" : "/", r->kind);
                return bad_reason;
        }
        sec = cc_gw_snapshot_secret(s, ns, r->name);
        if (!sec) {
                fmt(msg, msgsz, "secret '%s/%s' not found", ns, r->name);
                return bad_reason;
        }
        if (!sec->crt_pem || !sec->key_pem) {
                fmt(msg, msgsz,
                    "secret '%s/%s' does not hold a PEM certificate and private key "
                    "(tls.crt, tls.key)",
                    ns, r->name);
                return bad_reason;
        }
        return NULL;
}

/* --- listeners --------------------------------------------------------------- */

static void lreject(struct lev *l, const char *reason, size_t i, const char *field, const char *f,
                    ...) __attribute__((format(printf, 5, 6)));

static void
lreject(struct lev *l, const char *reason, size_t i, const char *field, const char *f, ...)
{
        va_list ap;

        if (l->acc_reason)
                return; /* the first problem is the one reported */
        l->acc_reason = reason;
        fmt(l->acc_field, sizeof(l->acc_field), "spec.listeners[%zu]%s%s", i, field[0] ? "." : "",
            field);
        va_start(ap, f);
        vsnprintf(l->acc_msg, sizeof(l->acc_msg), f, ap);
        va_end(ap);
}

static void
lref(struct lev *l, const char *reason, const char *field, const char *msg)
{
        if (l->ref_reason)
                return;
        l->ref_reason = reason;
        fmt(l->ref_field, sizeof(l->ref_field), "%s", field);
        fmt(l->ref_msg, sizeof(l->ref_msg), "%s", msg);
}

static void
eval_listener(const struct eval *ev, const struct cc_gw_gateway *gw, size_t i, struct lev *l)
{
        const struct cc_gw_listener *ls = &gw->listeners[i];
        bool http = streq(ls->protocol, "HTTP"), https = streq(ls->protocol, "HTTPS");
        char field[FIELD_MAX], msg[MSG_MAX];
        const char *why;
        size_t j;

        l->kinds = http || https ? K_HTTP | K_GRPC : 0;
        if (!http && !https)
                lreject(l, "UnsupportedProtocol", i, "protocol",
                        "protocol '%s' is not supported by class '%s' (HTTP and HTTPS are)",
                        ls->protocol, gw->class_name);
        if (ls->port < 1 || ls->port > 65535)
                lreject(l, "PortUnavailable", i, "port", "port %ld is out of range 1-65535",
                        ls->port);
        if (ls->hostname && !cc_gw_hostname_valid(ls->hostname))
                lreject(l, "UnsupportedValue", i, "hostname",
                        "invalid hostname '%s' (RFC 1123 DNS name, optionally prefixed by '*.')",
                        ls->hostname);
        if (http && ls->has_tls)
                lreject(l, "UnsupportedValue", i, "tls", "tls is not allowed on an HTTP listener");
        if (https && ls->has_tls && ls->tls_mode != CC_GW_TLS_TERMINATE)
                lreject(l, "UnsupportedValue", i, "tls.mode",
                        "tls mode Passthrough is not supported on an HTTPS listener");
        if (https && ls->n_cert_refs == 0 && ls->n_tls_options == 0 && !ls->hostname)
                lreject(l, "UnsupportedValue", i, "tls.certificateRefs",
                        "an HTTPS listener without tls.certificateRefs gets a Google-managed "
                        "certificate and needs a hostname");
        if (https && gw->has_frontend_validation)
                lreject(l, "UnsupportedValue", i, "",
                        "spec.tls.frontend client certificate validation is not supported by "
                        "class '%s'",
                        gw->class_name);
        if (ls->from == CC_GW_FROM_SELECTOR && !ls->has_selector)
                lreject(l, "UnsupportedValue", i, "allowedRoutes.namespaces.selector",
                        "a selector is required when allowedRoutes.namespaces.from is Selector");

        /* certificate references */
        for (j = 0; https && j < ls->n_cert_refs; j++) {
                why = secret_ref(ev->s, gw, &ls->cert_refs[j], "InvalidCertificateRef", msg,
                                 sizeof(msg));
                if (why) {
                        l->cert_bad = true;
                        fmt(field, sizeof(field), "spec.listeners[%zu].tls.certificateRefs[%zu]", i,
                            j);
                        lref(l, why, field, msg);
                }
        }

        /* route kinds: the listed ones we support for this protocol */
        if (ls->n_kinds) {
                unsigned want = 0, bit;

                for (j = 0; j < ls->n_kinds; j++) {
                        const struct cc_gw_group_kind *gk = &ls->kinds[j];

                        bit = 0;
                        if (streq(gk->group, CC_GW_GROUP) && streq(gk->kind, "HTTPRoute"))
                                bit = K_HTTP;
                        else if (streq(gk->group, CC_GW_GROUP) && streq(gk->kind, "GRPCRoute"))
                                bit = K_GRPC;
                        if (bit & l->kinds) {
                                want |= bit;
                                continue;
                        }
                        fmt(field, sizeof(field), "spec.listeners[%zu].allowedRoutes.kinds[%zu]", i,
                            j);
                        fmt(msg, sizeof(msg), "route kind '%s/%s' is not supported on %s listener",
                            gk->group, gk->kind, ls->protocol);
                        lref(l, "InvalidRouteKinds", field, msg);
                }
                l->kinds = want;
        }
}

/* conflicts -- listeners that are not distinct are all rejected. */
static void
conflicts(const struct cc_gw_gateway *gw, struct lev *lv)
{
        size_t i, j;

        for (i = 0; i < gw->n_listeners; i++) {
                const struct cc_gw_listener *a = &gw->listeners[i];

                if (lv[i].acc_reason && !lv[i].conflict)
                        continue;
                for (j = 0; j < gw->n_listeners; j++) {
                        const struct cc_gw_listener *b = &gw->listeners[j];

                        if (i == j || a->port != b->port || (lv[j].acc_reason && !lv[j].conflict))
                                continue;
                        if (!streq(a->protocol, b->protocol)) {
                                lv[i].conflict = "ProtocolConflict";
                                break;
                        }
                        if (streq(a->hostname, b->hostname) && !lv[i].conflict)
                                lv[i].conflict = "HostnameConflict";
                }
        }
        for (i = 0; i < gw->n_listeners; i++) {
                const struct cc_gw_listener *a = &gw->listeners[i];
                bool proto;

                if (!lv[i].conflict || lv[i].acc_reason)
                        continue;
                proto = strcmp(lv[i].conflict, "ProtocolConflict") == 0;
                lreject(&lv[i], lv[i].conflict, i, proto ? "protocol" : "hostname",
                        proto ? "another listener uses port %ld with a different protocol"
                              : "another listener uses port %ld with the same protocol and "
                                "hostname",
                        a->port);
        }
}

/* --- gateways ---------------------------------------------------------------- */

static void greject(struct gev *g, const char *reason, const char *field, const char *f, ...)
    __attribute__((format(printf, 4, 5)));

static void
greject(struct gev *g, const char *reason, const char *field, const char *f, ...)
{
        va_list ap;

        if (g->acc_reason)
                return;
        g->acc_reason = reason;
        fmt(g->acc_field, sizeof(g->acc_field), "%s", field);
        va_start(ap, f);
        vsnprintf(g->acc_msg, sizeof(g->acc_msg), f, ap);
        va_end(ap);
}

static void
eval_addresses(const struct cc_gw_gateway *gw, struct gev *g)
{
        unsigned char buf[16];
        char field[FIELD_MAX];
        size_t i, v4 = 0, v6 = 0;

        for (i = 0; i < gw->n_addresses; i++) {
                const struct cc_gw_address *a = &gw->addresses[i];

                /* NamedAddress names a global address reserved by the user
                 * (as GKE's classes accept): used, never created or deleted */
                if (streq(a->type, "NamedAddress")) {
                        if (!a->value || !a->value[0]) {
                                fmt(field, sizeof(field), "spec.addresses[%zu].value", i);
                                greject(
                                    g, "UnsupportedAddress", field,
                                    "a NamedAddress needs the name of a reserved global address");
                        }
                        v4++;
                        continue;
                }
                if (!streq(a->type, "IPAddress")) {
                        fmt(field, sizeof(field), "spec.addresses[%zu].type", i);
                        greject(g, "UnsupportedAddress", field,
                                "address type '%s' is not supported by class '%s' (only "
                                "IPAddress and NamedAddress are)",
                                a->type, gw->class_name);
                        continue;
                }
                if (!a->value || inet_pton(AF_INET, a->value, buf) == 1) {
                        v4++;
                } else if (inet_pton(AF_INET6, a->value, buf) == 1) {
                        v6++;
                } else {
                        fmt(field, sizeof(field), "spec.addresses[%zu].value", i);
                        greject(g, "UnsupportedAddress", field, "'%s' is not an IP address",
                                a->value);
                }
        }
        if (v4 > 1 || v6 > 1)
                greject(g, "UnsupportedAddress", "spec.addresses",
                        "a global load balancer takes at most one IPv4 and one IPv6 address");
}

static void
eval_gateway(const struct eval *ev, struct gev *g)
{
        const struct cc_gw_gateway *gw = g->gw;
        const struct cc_gw_class *cls = cc_gw_snapshot_class(ev->s, gw->class_name);
        char msg[MSG_MAX], field[FIELD_MAX];
        const char *why;
        size_t i, j, emitted = 0;

        if (!in_list(ev->virtual_classes, gw->class_name) && cls &&
            class_verdict(ev->s, cls, msg, sizeof(msg)))
                greject(g, "Invalid", "spec.gatewayClassName", "gatewayclass '%s' is not accepted",
                        gw->class_name);
        if (gw->n_listeners == 0)
                greject(g, "Invalid", "spec.listeners", "at least one listener is required");
        if (gw->n_listeners > CC_GW_MAX_LISTENERS)
                greject(g, "Invalid", "spec.listeners", "%zu listeners, at most %d are allowed",
                        gw->n_listeners, CC_GW_MAX_LISTENERS);
        for (i = 0; i < gw->n_listeners; i++) {
                g->l[i].emit = emitted < CC_GW_MAX_LISTENERS;
                for (j = 0; j < i; j++) {
                        if (streq(gw->listeners[i].name, gw->listeners[j].name)) {
                                fmt(field, sizeof(field), "spec.listeners[%zu].name", i);
                                greject(g, "Invalid", field, "duplicate listener name '%s'",
                                        gw->listeners[i].name);
                                g->l[i].emit = false;
                                break;
                        }
                }
                if (g->l[i].emit)
                        emitted++;
        }
        eval_addresses(gw, g);
        if (gw->has_infra_params) {
                const struct cc_gw_ref *p = &gw->infra_params;

                if (!core_group(p->group) || !streq(p->kind, "ConfigMap"))
                        greject(g, "InvalidParameters", "spec.infrastructure.parametersRef",
                                "unsupported kind '%s%s%s' (expected a core ConfigMap)",
                                core_group(p->group) ? "" : p->group,
                                core_group(p->group) ? "" : "/", p->kind);
                else if (!cc_gw_snapshot_configmap(ev->s, gw->meta.ns, p->name))
                        greject(g, "InvalidParameters", "spec.infrastructure.parametersRef",
                                "configmap '%s/%s' not found", gw->meta.ns, p->name);
        }

        for (i = 0; i < gw->n_listeners; i++)
                eval_listener(ev, gw, i, &g->l[i]);
        conflicts(gw, g->l);
        for (i = 0; i < gw->n_listeners; i++)
                if (!g->l[i].acc_reason)
                        g->n_valid++;
        if (!g->acc_reason && gw->n_listeners && g->n_valid == 0)
                greject(g, "ListenersNotValid", "spec.listeners", "no listener is valid");
        g->accepted = g->acc_reason == NULL;

        /* Gateway ResolvedRefs: the backend client certificate, then listeners */
        if (gw->has_client_cert) {
                why = secret_ref(ev->s, gw, &gw->client_cert, "InvalidClientCertificateRef", msg,
                                 sizeof(msg));
                if (why) {
                        g->refs_reason = why;
                        fmt(g->refs_msg, sizeof(g->refs_msg), "%s", msg);
                }
        }
        for (i = 0; i < gw->n_listeners && !g->refs_reason; i++) {
                if (g->l[i].ref_reason) {
                        g->refs_reason = "ListenersNotResolved";
                        fmt(g->refs_msg, sizeof(g->refs_msg),
                            "listener '%s' has unresolved references", gw->listeners[i].name);
                }
        }
}

bool
cc_gw_serves(const struct cc_gw_snapshot *s, const struct cc_gw_serve *serve,
             const struct cc_gw_gateway *gw)
{
        const char *const *virt =
            serve && serve->virtual_classes ? serve->virtual_classes : default_virtual;
        const char *ctrl =
            serve && serve->controller_name ? serve->controller_name : CC_GW_CONTROLLER_NAME;
        const struct cc_gw_class *c;

        if (in_list(virt, gw->class_name))
                return true;
        c = cc_gw_snapshot_class(s, gw->class_name);
        return c && streq(c->controller_name, ctrl);
}

static void
eval_release(struct eval *ev)
{
        size_t i;

        for (i = 0; i < ev->n; i++)
                cc_free(ev->g[i].l);
        cc_free(ev->g);
        cc_map_release(&ev->by_name);
        memset(ev, 0, sizeof(*ev));
}

static cc_err
evaluate(const struct cc_gw_snapshot *s, const struct cc_gw_serve *serve, struct eval *ev)
{
        char key[600];
        size_t i, n = 0;
        cc_err rc = CC_NOMEM;

        memset(ev, 0, sizeof(*ev));
        ev->s = s;
        ev->ctrl = serve && serve->controller_name ? serve->controller_name : CC_GW_CONTROLLER_NAME;
        ev->virtual_classes =
            serve && serve->virtual_classes ? serve->virtual_classes : default_virtual;
        ev->versions =
            serve && serve->supported_versions ? serve->supported_versions : default_versions;
        ev->bundle = serve ? serve->bundle_version : NULL;
        if (s->n_gateways) {
                ev->g = cc_calloc(s->n_gateways, sizeof(*ev->g));
                if (!ev->g)
                        goto out;
        }
        for (i = 0; i < s->n_gateways; i++) {
                const struct cc_gw_gateway *gw = s->gateways[i];
                struct gev *g = &ev->g[n];

                if (!cc_gw_serves(s, serve, gw))
                        continue;
                g->gw = gw;
                if (gw->n_listeners) {
                        g->l = cc_calloc(gw->n_listeners, sizeof(*g->l));
                        if (!g->l)
                                goto out;
                }
                ev->n = ++n;
                eval_gateway(ev, g);
                fmt(key, sizeof(key), "%s/%s", gw->meta.ns, gw->meta.name);
                if (cc_map_put(&ev->by_name, key, g))
                        goto out;
        }
        rc = CC_OK;
out:
        if (rc)
                eval_release(ev);
        return rc;
}

/* --- routes ------------------------------------------------------------------ */

struct rev {
        const char *acc_reason; /* route-wide invalidity: UnsupportedValue */
        char acc_msg[MSG_MAX];
        const char *ref_reason;
        char ref_msg[MSG_MAX];
};

static bool
filter_known(bool http, const char *type)
{
        static const char *const http_types[] = { "RequestHeaderModifier",
                                                  "ResponseHeaderModifier",
                                                  "RequestRedirect",
                                                  "URLRewrite",
                                                  "RequestMirror",
                                                  "CORS",
                                                  NULL };
        static const char *const grpc_types[] = { "RequestHeaderModifier", "ResponseHeaderModifier",
                                                  "RequestMirror", NULL };

        return in_list(http ? http_types : grpc_types, type);
}

static void rreject(struct rev *r, const char *f, ...) __attribute__((format(printf, 2, 3)));

static void
rreject(struct rev *r, const char *f, ...)
{
        va_list ap;

        if (r->acc_reason)
                return;
        r->acc_reason = "UnsupportedValue";
        va_start(ap, f);
        vsnprintf(r->acc_msg, sizeof(r->acc_msg), f, ap);
        va_end(ap);
}

static void rref(struct rev *r, const char *reason, const char *f, ...)
    __attribute__((format(printf, 3, 4)));

static void
rref(struct rev *r, const char *reason, const char *f, ...)
{
        va_list ap;

        if (r->ref_reason)
                return;
        r->ref_reason = reason;
        va_start(ap, f);
        vsnprintf(r->ref_msg, sizeof(r->ref_msg), f, ap);
        va_end(ap);
}

/* check_backend -- one backendRef (or a RequestMirror's backendRef). */
static void
check_backend(const struct cc_gw_snapshot *s, const struct cc_gw_route *rt, const char *field,
              const char *group, const char *kind, const char *name, const char *ns_opt, long port,
              struct rev *r)
{
        const char *ns = ns_opt ? ns_opt : rt->meta.ns;
        const struct cc_gw_service *svc;
        size_t i;

        if (!core_group(group) || !streq(kind, "Service")) {
                rref(r, "InvalidKind", "%s: unsupported backend kind '%s%s%s'", field,
                     core_group(group) ? "" : group, core_group(group) ? "" : "/", kind);
                return;
        }
        if (port == 0) {
                rreject(r, "%s.port: required for a Service backend", field);
                return;
        }
        if (strcmp(ns, rt->meta.ns) != 0 &&
            !granted(s, cc_gw_kind_name(rt->kind), rt->meta.ns, "Service", ns, name)) {
                rref(r, "RefNotPermitted",
                     "%s: reference to service '%s/%s' is not permitted by any ReferenceGrant",
                     field, ns, name);
                return;
        }
        svc = cc_gw_snapshot_service(s, ns, name);
        if (!svc) {
                rref(r, "BackendNotFound", "%s: service '%s/%s' not found", field, ns, name);
                return;
        }
        for (i = 0; i < svc->n_ports; i++)
                if (svc->ports[i].port == port)
                        return;
        rref(r, "BackendNotFound", "%s: service '%s/%s' has no port %ld", field, ns, name, port);
}

static void
check_filters(const struct cc_gw_snapshot *s, const struct cc_gw_route *rt, const cJSON *filters,
              const char *field, struct rev *r)
{
        const cJSON *f, *type, *mirror, *be;
        char path[FIELD_MAX];
        size_t i = 0;

        cJSON_ArrayForEach(f, filters)
        {
                fmt(path, sizeof(path), "%s.filters[%zu]", field, i++);
                type = cJSON_GetObjectItemCaseSensitive(f, "type");
                if (!cJSON_IsString(type) ||
                    !filter_known(rt->kind == CC_GW_HTTPROUTE, type->valuestring)) {
                        rreject(r, "%s.type: unsupported filter type '%s'", path,
                                cJSON_IsString(type) ? type->valuestring : "");
                        continue;
                }
                mirror = cJSON_GetObjectItemCaseSensitive(f, "requestMirror");
                be = mirror ? cJSON_GetObjectItemCaseSensitive(mirror, "backendRef") : NULL;
                if (be) {
                        const cJSON *g = cJSON_GetObjectItemCaseSensitive(be, "group"),
                                    *k = cJSON_GetObjectItemCaseSensitive(be, "kind"),
                                    *n = cJSON_GetObjectItemCaseSensitive(be, "name"),
                                    *ns = cJSON_GetObjectItemCaseSensitive(be, "namespace"),
                                    *p = cJSON_GetObjectItemCaseSensitive(be, "port");
                        char bpath[FIELD_MAX];

                        fmt(bpath, sizeof(bpath), "%s.requestMirror.backendRef", path);
                        if (!cJSON_IsString(n)) {
                                rreject(r, "%s.name: required", bpath);
                                continue;
                        }
                        check_backend(s, rt, bpath, cJSON_IsString(g) ? g->valuestring : "",
                                      cJSON_IsString(k) ? k->valuestring : "Service",
                                      n->valuestring, cJSON_IsString(ns) ? ns->valuestring : NULL,
                                      cJSON_IsNumber(p) ? (long)p->valuedouble : 0, r);
                }
        }
}

static void
eval_route(const struct cc_gw_snapshot *s, const struct cc_gw_route *rt, struct rev *r)
{
        bool http = rt->kind == CC_GW_HTTPROUTE;
        char field[FIELD_MAX];
        size_t i, j;

        for (i = 0; i < rt->n_hostnames; i++)
                if (!cc_gw_hostname_valid(rt->hostnames[i]))
                        rreject(r, "spec.hostnames[%zu]: invalid hostname '%s'", i,
                                rt->hostnames[i]);
        for (i = 0; i < rt->n_rules; i++) {
                const struct cc_gw_rule *ru = &rt->rules[i];

                for (j = 0; http && j < ru->n_matches; j++) {
                        const struct cc_gw_match *m = &ru->matches[j];

                        if (!in_list((const char *const[]){ "Exact", "PathPrefix",
                                                            "RegularExpression", NULL },
                                     m->path_type))
                                rreject(r,
                                        "spec.rules[%zu].matches[%zu].path.type: unsupported "
                                        "value '%s'",
                                        i, j, m->path_type);
                        else if (strcmp(m->path_type, "RegularExpression") != 0 &&
                                 m->path_value[0] != '/')
                                rreject(r,
                                        "spec.rules[%zu].matches[%zu].path.value: must start "
                                        "with '/'",
                                        i, j);
                }
                fmt(field, sizeof(field), "spec.rules[%zu]", i);
                check_filters(s, rt, ru->filters, field, r);
                for (j = 0; j < ru->n_backends; j++) {
                        const struct cc_gw_backend_ref *b = &ru->backends[j];

                        fmt(field, sizeof(field), "spec.rules[%zu].backendRefs[%zu]", i, j);
                        if (b->weight < 0 || b->weight > 1000000)
                                rreject(r, "%s.weight: %ld is out of range 0-1000000", field,
                                        b->weight);
                        check_backend(s, rt, field, b->group, b->kind, b->name, b->ns, b->port, r);
                        check_filters(s, rt, b->filters, field, r);
                }
        }
}

static bool
ns_allowed(const struct cc_gw_snapshot *s, const struct cc_gw_gateway *gw,
           const struct cc_gw_listener *ls, const char *route_ns)
{
        const struct cc_gw_namespace *ns;
        struct cc_gw_kv only = { "kubernetes.io/metadata.name", route_ns };
        struct cc_gw_labels synth = { &only, 1 };

        switch (ls->from) {
        case CC_GW_FROM_ALL:
                return true;
        case CC_GW_FROM_SAME:
                return strcmp(route_ns, gw->meta.ns) == 0;
        case CC_GW_FROM_SELECTOR:
                if (!ls->has_selector)
                        return false;
                ns = cc_gw_snapshot_namespace(s, route_ns);
                return cc_gw_selector_matches(&ls->selector, ns ? &ns->meta.labels : &synth);
        }
        return false;
}

static bool
hosts_intersect(const struct cc_gw_listener *ls, const struct cc_gw_route *rt)
{
        const char *out;
        size_t i;

        if (rt->n_hostnames == 0)
                return true;
        for (i = 0; i < rt->n_hostnames; i++)
                if (cc_gw_hostname_intersect(ls->hostname, rt->hostnames[i], &out))
                        return true;
        return false;
}

/* --- JSON building ------------------------------------------------------------- */

static cJSON *
cond(cJSON *arr, const char *type, const char *status, const char *reason, const char *msg,
     long long gen, const char *now)
{
        cJSON *c = cJSON_CreateObject();

        if (!c)
                return NULL;
        cJSON_AddItemToArray(arr, c);
        if (!cJSON_AddStringToObject(c, "type", type) ||
            !cJSON_AddStringToObject(c, "status", status) ||
            !cJSON_AddNumberToObject(c, "observedGeneration", (double)gen) ||
            !cJSON_AddStringToObject(c, "lastTransitionTime", now) ||
            !cJSON_AddStringToObject(c, "reason", reason) ||
            !cJSON_AddStringToObject(c, "message", msg))
                return NULL;
        return c;
}

static cJSON *
ok_or(cJSON *arr, const char *type, const char *bad_reason, const char *bad_msg, const char *ok_msg,
      long long gen, const char *now)
{
        if (bad_reason)
                return cond(arr, type, "False", bad_reason, bad_msg, gen, now);
        return cond(arr, type, "True", type, ok_msg, gen, now);
}

static cc_err
push_entry(struct cc_gwstatus *st, enum cc_gw_kind kind, const struct cc_gw_meta *m, cJSON *status)
{
        if (CC_GROW(st->v, st->cap, st->n + 1)) {
                cJSON_Delete(status);
                return CC_NOMEM;
        }
        st->v[st->n++] = (struct cc_gwstatus_entry){ .kind = kind,
                                                     .ns = m->ns,
                                                     .name = m->name,
                                                     .generation = m->generation,
                                                     .status = status };
        return CC_OK;
}

static cJSON *
class_status(const struct eval *ev, const struct cc_gw_class *c, const char *now)
{
        cJSON *st = cJSON_CreateObject(), *conds;
        char msg[MSG_MAX], vmsg[MSG_MAX], list[200] = "";
        const char *why = class_verdict(ev->s, c, msg, sizeof(msg));
        bool vok = ev->bundle && in_list(ev->versions, ev->bundle);
        size_t i, used = 0;
        long long gen = c->meta.generation;

        for (i = 0; ev->versions[i] && used < sizeof(list); i++)
                used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
                                         ev->versions[i]);
        fmt(vmsg, sizeof(vmsg), "gateway API bundle version %s; supported: %s",
            ev->bundle ? ev->bundle : "unknown", list);
        if (!st || !(conds = cJSON_AddArrayToObject(st, "conditions")) ||
            !ok_or(conds, "Accepted", why, msg, "Handled by cloudctl", gen, now) ||
            (ev->bundle &&
             !cond(conds, "SupportedVersion", vok ? "True" : "False",
                   vok ? "SupportedVersion" : "UnsupportedVersion", vmsg, gen, now))) {
                cJSON_Delete(st);
                return NULL;
        }
        return st;
}

static cJSON *
kinds_json(unsigned kinds)
{
        cJSON *a = cJSON_CreateArray(), *k;

        if (!a)
                return NULL;
        if (kinds & K_HTTP) {
                if (!(k = cJSON_CreateObject()))
                        goto fail;
                cJSON_AddItemToArray(a, k);
                if (!cJSON_AddStringToObject(k, "group", CC_GW_GROUP) ||
                    !cJSON_AddStringToObject(k, "kind", "HTTPRoute"))
                        goto fail;
        }
        if (kinds & K_GRPC) {
                if (!(k = cJSON_CreateObject()))
                        goto fail;
                cJSON_AddItemToArray(a, k);
                if (!cJSON_AddStringToObject(k, "group", CC_GW_GROUP) ||
                    !cJSON_AddStringToObject(k, "kind", "GRPCRoute"))
                        goto fail;
        }
        return a;
fail:
        cJSON_Delete(a);
        return NULL;
}

static const char *
prog_reason(enum cc_gw_prog p)
{
        switch (p) {
        case CC_GW_PROG_PROGRAMMED:
                return "Programmed";
        case CC_GW_PROG_NO_ADDRESS:
                return "AddressNotAssigned";
        case CC_GW_PROG_ADDRESS_UNUSABLE:
                return "AddressNotUsable";
        case CC_GW_PROG_NO_RESOURCES:
                return "NoResources";
        case CC_GW_PROG_INVALID:
                return "Invalid";
        case CC_GW_PROG_PENDING:
                break;
        }
        return "Pending";
}

static cJSON *
listener_status(const struct gev *g, size_t i, bool gw_programmed, const char *now)
{
        const struct lev *l = &g->l[i];
        long long gen = g->gw->meta.generation;
        cJSON *o = cJSON_CreateObject(), *conds, *kinds;
        char pmsg[MSG_MAX];
        const char *preason = NULL;

        if (!o)
                return NULL;
        if (!g->accepted)
                preason = "Invalid", fmt(pmsg, sizeof(pmsg), "the gateway is not accepted");
        else if (l->acc_reason)
                preason = "Invalid", fmt(pmsg, sizeof(pmsg), "the listener is not accepted");
        else if (l->cert_bad)
                preason = "Invalid",
                fmt(pmsg, sizeof(pmsg), "bad TLS configuration: %s", l->ref_msg);
        else if (!gw_programmed)
                preason = "Pending", fmt(pmsg, sizeof(pmsg), "waiting for the load balancer");
        if (!cJSON_AddStringToObject(o, "name", g->gw->listeners[i].name) ||
            !(kinds = kinds_json(l->kinds)))
                goto fail;
        if (!cJSON_AddItemToObject(o, "supportedKinds", kinds)) {
                cJSON_Delete(kinds);
                goto fail;
        }
        if (!cJSON_AddNumberToObject(o, "attachedRoutes", (double)l->attached) ||
            !(conds = cJSON_AddArrayToObject(o, "conditions")) ||
            !ok_or(conds, "Accepted", l->acc_reason, l->acc_msg, "Listener accepted", gen, now) ||
            !ok_or(conds, "Programmed", preason, pmsg, "Listener programmed", gen, now) ||
            !ok_or(conds, "ResolvedRefs", l->ref_reason, l->ref_msg, "All references resolved", gen,
                   now) ||
            !(l->conflict
                  ? cond(conds, "Conflicted", "True", l->conflict, l->acc_msg, gen, now)
                  : cond(conds, "Conflicted", "False", "NoConflicts", "No conflicts", gen, now)))
                goto fail;
        return o;
fail:
        cJSON_Delete(o);
        return NULL;
}

static cJSON *
gateway_status(const struct gev *g, const struct cc_gw_programmed *pg, const char *now)
{
        const struct cc_gw_gateway *gw = g->gw;
        long long gen = gw->meta.generation;
        cJSON *st = cJSON_CreateObject(), *conds, *ls, *addrs, *a, *x;
        char amsg[MSG_MAX + FIELD_MAX + 8], pmsg[MSG_MAX], lmsg[MSG_MAX] = "", rmsg[MSG_MAX + 48];
        const char *areason = g->acc_reason, *preason;
        bool programmed = false, partial = false;
        size_t i, used = 0;

        if (!st)
                return NULL;
        for (i = 0; i < gw->n_listeners; i++) {
                if (!g->l[i].acc_reason || used >= sizeof(lmsg))
                        continue;
                partial = true;
                used +=
                    (size_t)snprintf(lmsg + used, sizeof(lmsg) - used, "%s%s (%s)",
                                     used ? ", " : "", gw->listeners[i].name, g->l[i].acc_reason);
        }
        if (areason && strcmp(areason, "ListenersNotValid") == 0)
                fmt(amsg, sizeof(amsg), "no listener is valid: %s", lmsg);
        else if (areason)
                fmt(amsg, sizeof(amsg), "%s: %s", g->acc_field, g->acc_msg);
        else if (partial)
                fmt(amsg, sizeof(amsg), "invalid listeners: %s", lmsg);
        else
                fmt(amsg, sizeof(amsg), "Gateway accepted");

        if (!g->accepted) {
                preason = "Invalid";
                fmt(pmsg, sizeof(pmsg), "the gateway is not accepted");
        } else {
                preason = prog_reason(pg ? pg->state : CC_GW_PROG_PENDING);
                programmed = pg && pg->state == CC_GW_PROG_PROGRAMMED;
                fmt(pmsg, sizeof(pmsg), "%s",
                    pg && pg->message ? pg->message
                    : programmed      ? "Gateway programmed"
                                      : "waiting for the load balancer");
        }

        if (g->accepted && pg && pg->n_addresses) {
                if (!(addrs = cJSON_AddArrayToObject(st, "addresses")))
                        goto fail;
                for (i = 0; i < pg->n_addresses && i < 16; i++) {
                        if (!(a = cJSON_CreateObject()))
                                goto fail;
                        cJSON_AddItemToArray(addrs, a);
                        if (!cJSON_AddStringToObject(a, "type",
                                                     pg->addresses[i].type ? pg->addresses[i].type
                                                                           : "IPAddress") ||
                            !cJSON_AddStringToObject(
                                a, "value", pg->addresses[i].value ? pg->addresses[i].value : ""))
                                goto fail;
                }
        }
        if (g->refs_reason && strcmp(g->refs_reason, "ListenersNotResolved") != 0)
                fmt(rmsg, sizeof(rmsg), "spec.tls.backend.clientCertificateRef: %s", g->refs_msg);
        else
                fmt(rmsg, sizeof(rmsg), "%s", g->refs_msg);
        if (!(conds = cJSON_AddArrayToObject(st, "conditions")))
                goto fail;
        if (areason)
                x = cond(conds, "Accepted", "False", areason, amsg, gen, now);
        else
                x = cond(conds, "Accepted", "True", partial ? "ListenersNotValid" : "Accepted",
                         amsg, gen, now);
        if (!x ||
            !cond(conds, "Programmed", programmed ? "True" : "False", preason, pmsg, gen, now) ||
            !ok_or(conds, "ResolvedRefs", g->refs_reason, rmsg, "All references resolved", gen,
                   now) ||
            !(ls = cJSON_AddArrayToObject(st, "listeners")))
                goto fail;
        for (i = 0; i < gw->n_listeners; i++) {
                if (!g->l[i].emit)
                        continue;
                if (!(x = listener_status(g, i, programmed, now)))
                        goto fail;
                cJSON_AddItemToArray(ls, x);
        }
        return st;
fail:
        cJSON_Delete(st);
        return NULL;
}

static cJSON *
parent_ref_json(const struct cc_gw_parent_ref *p)
{
        cJSON *o = cJSON_CreateObject();

        if (!o || !cJSON_AddStringToObject(o, "group", p->group) ||
            !cJSON_AddStringToObject(o, "kind", p->kind) ||
            (p->ns && !cJSON_AddStringToObject(o, "namespace", p->ns)) ||
            !cJSON_AddStringToObject(o, "name", p->name) ||
            (p->section && !cJSON_AddStringToObject(o, "sectionName", p->section)) ||
            (p->port && !cJSON_AddNumberToObject(o, "port", (double)p->port))) {
                cJSON_Delete(o);
                return NULL;
        }
        return o;
}

/* route_parent -- judge one parentRef against a served Gateway; counts
 * attachedRoutes on success.  Returns the status.parents entry or NULL on
 * allocation failure. */
static cJSON *
route_parent(struct eval *ev, const struct cc_gw_route *rt, size_t ri,
             const struct cc_gw_parent_ref *p, struct gev *g, const struct rev *r, const char *now)
{
        const struct cc_gw_gateway *gw = g->gw;
        unsigned bit = rt->kind == CC_GW_HTTPROUTE ? K_HTTP : K_GRPC;
        const char *reason = "NoMatchingParent";
        char msg[MSG_MAX];
        int rank = 0; /* 0 no candidate, 1 hostname, 2 not allowed */
        size_t i, attached = 0;
        long long gen = rt->meta.generation;
        cJSON *e = NULL, *conds, *pr;

        if (p->section && p->port)
                fmt(msg, sizeof(msg), "no listener named '%s' on port %ld", p->section, p->port);
        else if (p->section)
                fmt(msg, sizeof(msg), "no listener named '%s'", p->section);
        else if (p->port)
                fmt(msg, sizeof(msg), "no listener on port %ld", p->port);
        else
                fmt(msg, sizeof(msg), "the gateway has no listeners");
        for (i = 0; i < gw->n_listeners; i++) {
                const struct cc_gw_listener *ls = &gw->listeners[i];
                struct lev *l = &g->l[i];

                if ((p->section && !streq(p->section, ls->name)) ||
                    (p->port && p->port != ls->port))
                        continue;
                if (l->acc_reason || !(l->kinds & bit) || !ns_allowed(ev->s, gw, ls, rt->meta.ns)) {
                        if (rank < 2) {
                                rank = 2;
                                reason = "NotAllowedByListeners";
                                if (l->acc_reason)
                                        fmt(msg, sizeof(msg), "listener '%s' is not accepted",
                                            ls->name);
                                else if (!(l->kinds & bit))
                                        fmt(msg, sizeof(msg),
                                            "listener '%s' does not allow kind %s", ls->name,
                                            cc_gw_kind_name(rt->kind));
                                else
                                        fmt(msg, sizeof(msg),
                                            "listener '%s' does not allow routes from namespace "
                                            "'%s'",
                                            ls->name, rt->meta.ns);
                        }
                        continue;
                }
                if (!hosts_intersect(ls, rt)) {
                        if (rank < 1) {
                                rank = 1;
                                reason = "NoMatchingListenerHostname";
                                fmt(msg, sizeof(msg),
                                    "no route hostname matches the hostname of listener '%s'",
                                    ls->name);
                        }
                        continue;
                }
                if (!g->accepted) {
                        /* a Gateway-level failure: nothing is served */
                        if (rank == 0)
                                fmt(msg, sizeof(msg), "gateway '%s/%s' is not accepted",
                                    gw->meta.ns, gw->meta.name);
                        continue;
                }
                attached++;
                if (!r->acc_reason && l->last_route != ri + 1) {
                        l->last_route = ri + 1;
                        l->attached++;
                }
        }
        if (!(e = cJSON_CreateObject()) || !(pr = parent_ref_json(p)))
                goto fail;
        if (!cJSON_AddItemToObject(e, "parentRef", pr)) {
                cJSON_Delete(pr);
                goto fail;
        }
        if (!cJSON_AddStringToObject(e, "controllerName", ev->ctrl) ||
            !(conds = cJSON_AddArrayToObject(e, "conditions")))
                goto fail;
        if (attached && r->acc_reason) {
                if (!cond(conds, "Accepted", "False", r->acc_reason, r->acc_msg, gen, now))
                        goto fail;
        } else if (attached) {
                if (!cond(conds, "Accepted", "True", "Accepted", "Route accepted", gen, now))
                        goto fail;
        } else if (!cond(conds, "Accepted", "False", reason, msg, gen, now)) {
                goto fail;
        }
        if (!ok_or(conds, "ResolvedRefs", r->ref_reason, r->ref_msg, "All references resolved", gen,
                   now))
                goto fail;
        return e;
fail:
        cJSON_Delete(e);
        return NULL;
}

static cJSON *
route_status(struct eval *ev, const struct cc_gw_route *rt, size_t ri, const char *now)
{
        struct rev r = { 0 };
        cJSON *st = cJSON_CreateObject(), *parents, *e;
        char key[600];
        size_t j;

        if (!st || !(parents = cJSON_AddArrayToObject(st, "parents")))
                goto fail;
        eval_route(ev->s, rt, &r);
        for (j = 0; j < rt->n_parents; j++) {
                const struct cc_gw_parent_ref *p = &rt->parents[j];
                struct gev *g;

                if (!streq(p->group, CC_GW_GROUP) || !streq(p->kind, "Gateway"))
                        continue;
                fmt(key, sizeof(key), "%s/%s", p->ns ? p->ns : rt->meta.ns, p->name);
                if (!(g = cc_map_get(&ev->by_name, key)))
                        continue; /* not a Gateway we serve */
                if (!(e = route_parent(ev, rt, ri, p, g, &r, now)))
                        goto fail;
                cJSON_AddItemToArray(parents, e);
        }
        return st;
fail:
        cJSON_Delete(st);
        return NULL;
}

cc_err
cc_gwstatus_compute(const struct cc_gw_snapshot *s, const struct cc_gw_serve *serve,
                    cc_gw_programmed_fn programmed, void *arg, const char *now,
                    struct cc_gwstatus *out, struct cc_diag *d)
{
        return cc_gwstatus_compute_scoped(s, serve, NULL, programmed, arg, now, out, d);
}

cc_err
cc_gwstatus_compute_scoped(const struct cc_gw_snapshot *s, const struct cc_gw_serve *serve,
                           const struct cc_gwstatus_scope *scope, cc_gw_programmed_fn programmed,
                           void *arg, const char *now, struct cc_gwstatus *out, struct cc_diag *d)
{
        struct cc_gwstatus st = CC_GWSTATUS_INIT;
        struct eval ev;
        cJSON *x;
        size_t i;
        cc_err rc;

        if ((rc = evaluate(s, serve, &ev)))
                goto out;
        rc = CC_NOMEM;
        for (i = 0; i < s->n_classes; i++) {
                const struct cc_gw_class *c = s->classes[i];

                if (!our_class(&ev, c) || (scope && !scope->classes))
                        continue;
                if (!(x = class_status(&ev, c, now)) ||
                    push_entry(&st, CC_GW_GATEWAYCLASS, &c->meta, x))
                        goto out;
        }
        /* routes first: they count attachedRoutes on the listeners */
        for (i = 0; i < s->n_routes; i++) {
                const struct cc_gw_route *rt = s->routes[i];

                if (scope && (!scope->route || !scope->route(scope->arg, rt)))
                        continue;
                if (!(x = route_status(&ev, rt, i, now)) || push_entry(&st, rt->kind, &rt->meta, x))
                        goto out;
        }
        for (i = 0; i < ev.n; i++) {
                const struct cc_gw_programmed *pg;

                if (scope && (!scope->gw_name || !streq(ev.g[i].gw->meta.name, scope->gw_name) ||
                              !streq(ev.g[i].gw->meta.ns, scope->gw_ns)))
                        continue;
                pg = programmed ? programmed(arg, ev.g[i].gw) : NULL;

                if (!(x = gateway_status(&ev.g[i], pg, now)) ||
                    push_entry(&st, CC_GW_GATEWAY, &ev.g[i].gw->meta, x))
                        goto out;
        }
        rc = CC_OK;
out:
        eval_release(&ev);
        if (rc) {
                cc_gwstatus_release(&st);
                return cc_diag_set(d, rc, 0, "cannot compute gateway status: out of memory");
        }
        *out = st;
        return CC_OK;
}

const cJSON *
cc_gwstatus_find(const struct cc_gwstatus *st, enum cc_gw_kind kind, const char *ns,
                 const char *name)
{
        size_t i;

        for (i = 0; i < st->n; i++) {
                const struct cc_gwstatus_entry *e = &st->v[i];

                if (e->kind == kind && streq(e->name, name) &&
                    (kind == CC_GW_GATEWAYCLASS || streq(e->ns, ns)))
                        return e->status;
        }
        return NULL;
}

void
cc_gwstatus_release(struct cc_gwstatus *st)
{
        size_t i;

        for (i = 0; i < st->n; i++)
                cJSON_Delete(st->v[i].status);
        cc_free(st->v);
        st->v = NULL;
        st->n = st->cap = 0;
}

/* --- validation for plan/apply ----------------------------------------------- */

cc_err
cc_gwstatus_validate(const struct cc_gw_snapshot *s, const struct cc_gw_serve *serve,
                     unsigned flags, struct cc_gw_verdict **out, size_t *n_out, struct cc_diag *d)
{
        struct cc_gw_verdict *v = NULL;
        struct eval ev;
        size_t i, j;
        cc_err rc;

        if ((rc = evaluate(s, serve, &ev)))
                return cc_diag_set(d, rc, 0, "cannot validate gateways: out of memory");
        if (ev.n && !(v = cc_calloc(ev.n, sizeof(*v)))) {
                eval_release(&ev);
                return cc_diag_set(d, CC_NOMEM, 0, "cannot validate gateways: out of memory");
        }
        for (i = 0; i < ev.n; i++) {
                const struct gev *g = &ev.g[i];
                const struct cc_gw_gateway *gw = g->gw;
                const char *reason = NULL, *field = NULL, *msg = NULL;
                bool partial;

                v[i].gw = gw;
                if (g->acc_reason && strcmp(g->acc_reason, "ListenersNotValid") != 0) {
                        reason = g->acc_reason, field = g->acc_field, msg = g->acc_msg;
                }
                /* with no valid listener (ListenersNotValid) the Gateway is
                 * not Accepted: the first listener's problem is reported */
                partial = (flags & CC_GW_VALIDATE_PARTIAL) && !g->acc_reason;
                for (j = 0; !reason && j < gw->n_listeners && j < CC_GW_MAX_LISTENERS; j++) {
                        const struct lev *l = &g->l[j];

                        if (!l->acc_reason && !l->cert_bad)
                                v[i].listeners |= 1ull << j;
                        else
                                v[i].lreason[j] = l->acc_reason ? l->acc_reason : l->ref_reason;
                        if (partial)
                                continue;
                        if (l->acc_reason)
                                reason = l->acc_reason, field = l->acc_field, msg = l->acc_msg;
                        else if (l->ref_reason && !(flags & CC_GW_VALIDATE_SKIP_REFS))
                                reason = l->ref_reason, field = l->ref_field, msg = l->ref_msg;
                }
                if (!reason && g->refs_reason && !(flags & CC_GW_VALIDATE_SKIP_REFS) &&
                    strcmp(g->refs_reason, "ListenersNotResolved") != 0) {
                        reason = g->refs_reason, field = "spec.tls.backend.clientCertificateRef";
                        msg = g->refs_msg;
                }
                if (reason) {
                        v[i].listeners = 0;
                        memset(v[i].lreason, 0, sizeof(v[i].lreason));
                }
                v[i].reason = reason;
                if (reason)
                        fmt(v[i].message, sizeof(v[i].message), "gateway '%s/%s': field '%s': %s",
                            gw->meta.ns, gw->meta.name, field, msg);
        }
        *out = v;
        *n_out = ev.n;
        eval_release(&ev);
        return CC_OK;
}
