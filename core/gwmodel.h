/* gwmodel.h -- a typed snapshot of the Gateway API objects cloudctl reads.
 *
 * DESIGN
 * ------
 * Both `cloudctl plan/apply` (manifests from files) and `cloudctl run`
 * (objects from informers) feed Kubernetes JSON objects into one snapshot;
 * the Gateway API semantics (gwstatus.h) then work on typed structs only.
 * Parsing is pure: no I/O, no clock.
 *
 * Objects read: GatewayClass, Gateway, HTTPRoute, GRPCRoute, ReferenceGrant
 * (gateway.networking.k8s.io, v1 or v1beta1), Namespace, Service, Secret,
 * ConfigMap (core v1).  Other kinds are ignored.  An object whose kind,
 * namespace and name equal an earlier one's replaces it (later wins, as with
 * repeated `kubectl apply`).
 *
 * CRD and apiserver defaults that a file lacks are applied while parsing, so
 * the model looks the same whichever way the object came in:
 *   - metadata.namespace "default" for namespaced kinds, metadata.generation 1;
 *   - Namespace label kubernetes.io/metadata.name=<name>;
 *   - listener allowedRoutes.namespaces.from Same, kinds group
 *     gateway.networking.k8s.io, tls.mode Terminate, certificateRef group ""
 *     and kind Secret, address type IPAddress;
 *   - parentRef group gateway.networking.k8s.io and kind Gateway;
 *   - HTTPRoute rules default to [{matches: [{path: PathPrefix "/"}]}], a
 *     match without path gets PathPrefix "/", a path without type PathPrefix;
 *   - backendRef group "", kind Service, weight 1.
 * Values the CRD would reject but that are well-typed (more than 64
 * listeners, a bad hostname, an unknown protocol or path type) are kept: the
 * semantics layer reports them with the Gateway API reason, so that one bad
 * Gateway in a file does not hide the others.  Type errors fail the object
 * with a message naming it and the field:
 *   gateway 'ns/name': field 'spec.listeners[2].port': expected integer, got string
 *
 * Memory: everything a snapshot holds lives in its arena and is freed by
 * cc_gw_snapshot_release(); the cJSON values it keeps (filters, matches,
 * existing status) are copies owned by the snapshot.  Of a Secret's data
 * only tls.crt and tls.key are kept, decoded, and only when they hold PEM
 * blocks (a listener's certificate goes to the cloud): in struct cc_secret
 * storage of the snapshot (core/secret.h), wiped when the snapshot is
 * released; never in the arena, never in a message.
 */
#ifndef CC_GWMODEL_H
#define CC_GWMODEL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/map.h"
#include "core/secret.h"

#define CC_GW_GROUP         "gateway.networking.k8s.io"
#define CC_GW_MAX_LISTENERS 64 /* spec.listeners MaxItems */

enum cc_gw_kind {
        CC_GW_GATEWAYCLASS = 0,
        CC_GW_GATEWAY,
        CC_GW_HTTPROUTE,
        CC_GW_GRPCROUTE,
        CC_GW_REFERENCEGRANT,
        CC_GW_NAMESPACE,
        CC_GW_SERVICE,
        CC_GW_SECRET,
        CC_GW_CONFIGMAP,
        CC_GW_KIND__COUNT
};

struct cc_gw_kv {
        const char *key;
        const char *value;
};

struct cc_gw_labels {
        struct cc_gw_kv *v;
        size_t n;
};

struct cc_gw_meta {
        const char *ns; /* "" for cluster-scoped kinds */
        const char *name;
        long long generation; /* 1 when absent */
        struct cc_gw_labels labels;
        struct cc_gw_labels annotations;
        const char *creation_timestamp; /* NULL when absent */
        cJSON *status;                  /* copy of .status, NULL when absent */
};

/* A reference to another object: certificateRefs, parametersRef, Gateway
 * tls.backend.clientCertificateRef.  ns is NULL when the spec leaves it
 * unset (meaning "the referrer's namespace"). */
struct cc_gw_ref {
        const char *group; /* "" = core */
        const char *kind;
        const char *name;
        const char *ns;
};

enum cc_gw_from {
        CC_GW_FROM_SAME = 0,
        CC_GW_FROM_ALL,
        CC_GW_FROM_SELECTOR,
};

enum cc_gw_op {
        CC_GW_OP_IN = 0,
        CC_GW_OP_NOTIN,
        CC_GW_OP_EXISTS,
        CC_GW_OP_DOESNOTEXIST,
};

struct cc_gw_expr {
        const char *key;
        enum cc_gw_op op;
        const char **values;
        size_t n_values;
};

/* A metav1.LabelSelector; an empty selector matches everything. */
struct cc_gw_selector {
        struct cc_gw_labels match_labels;
        struct cc_gw_expr *exprs;
        size_t n_exprs;
};

struct cc_gw_group_kind {
        const char *group;
        const char *kind;
};

enum cc_gw_tls_mode {
        CC_GW_TLS_TERMINATE = 0,
        CC_GW_TLS_PASSTHROUGH,
};

struct cc_gw_listener {
        const char *name;
        const char *hostname; /* NULL = any */
        long port;            /* as given; range is checked by the semantics */
        const char *protocol; /* as given: HTTP, HTTPS, TLS, TCP, UDP, x/y ... */
        bool has_tls;
        enum cc_gw_tls_mode tls_mode;
        struct cc_gw_ref *cert_refs;
        size_t n_cert_refs;
        size_t n_tls_options;
        enum cc_gw_from from;
        bool has_selector;
        struct cc_gw_selector selector;
        struct cc_gw_group_kind *kinds; /* allowedRoutes.kinds; n_kinds 0 = by protocol */
        size_t n_kinds;
};

struct cc_gw_address {
        const char *type;  /* IPAddress (default), Hostname, NamedAddress, domain/x */
        const char *value; /* NULL = auto-assign */
};

struct cc_gw_class {
        struct cc_gw_meta meta;
        const char *controller_name;
        const char *description;
        bool has_params;
        struct cc_gw_ref params;
};

struct cc_gw_gateway {
        struct cc_gw_meta meta;
        const char *class_name;
        struct cc_gw_address *addresses;
        size_t n_addresses;
        struct cc_gw_listener *listeners;
        size_t n_listeners;
        struct cc_gw_labels infra_labels;
        struct cc_gw_labels infra_annotations;
        bool has_infra_params;
        struct cc_gw_ref infra_params; /* local: ns is always NULL */
        bool has_client_cert;          /* spec.tls.backend.clientCertificateRef */
        struct cc_gw_ref client_cert;
        bool has_frontend_validation; /* spec.tls.frontend (default or perPort) */
};

struct cc_gw_parent_ref {
        const char *group;
        const char *kind;
        const char *name;
        const char *ns;      /* NULL = the route's namespace */
        const char *section; /* NULL = unset */
        long port;           /* 0 = unset */
};

struct cc_gw_backend_ref {
        const char *group;
        const char *kind;
        const char *name;
        const char *ns; /* NULL = the route's namespace */
        long port;      /* 0 = unset */
        long weight;
        cJSON *filters; /* copy, NULL when absent */
};

struct cc_gw_match {
        const char *path_type; /* HTTPRoute: Exact, PathPrefix, RegularExpression, ... */
        const char *path_value;
        cJSON *json; /* the whole match with defaults applied (copy) */
};

struct cc_gw_rule {
        struct cc_gw_match *matches;
        size_t n_matches;
        struct cc_gw_backend_ref *backends;
        size_t n_backends;
        cJSON *filters; /* copy, NULL when absent */
};

/* HTTPRoute and GRPCRoute share one shape; kind tells them apart. */
struct cc_gw_route {
        enum cc_gw_kind kind; /* CC_GW_HTTPROUTE or CC_GW_GRPCROUTE */
        struct cc_gw_meta meta;
        struct cc_gw_parent_ref *parents;
        size_t n_parents;
        const char **hostnames;
        size_t n_hostnames;
        struct cc_gw_rule *rules;
        size_t n_rules;
};

struct cc_gw_grant_from {
        const char *group;
        const char *kind;
        const char *ns;
};

struct cc_gw_grant_to {
        const char *group;
        const char *kind;
        const char *name; /* NULL = every object of that kind */
};

struct cc_gw_grant {
        struct cc_gw_meta meta;
        struct cc_gw_grant_from *from;
        size_t n_from;
        struct cc_gw_grant_to *to;
        size_t n_to;
};

struct cc_gw_namespace {
        struct cc_gw_meta meta;
};

struct cc_gw_service_port {
        const char *name; /* NULL when unnamed */
        long port;
        const char *protocol;
        const char *app_protocol; /* NULL when absent */
};

struct cc_gw_service {
        struct cc_gw_meta meta;
        struct cc_gw_service_port *ports;
        size_t n_ports;
};

struct cc_gw_secret {
        struct cc_gw_meta meta;
        const char *type; /* "Opaque" when absent */
        bool has_crt, has_key;
        bool crt_pem, key_pem; /* tls.crt holds a CERTIFICATE block, tls.key a PRIVATE KEY */
        /* the decoded PEM text when crt_pem / key_pem (else NULL), owned by
         * the snapshot's secret storage: valid until release, then wiped.
         * key_data is a private key: never log it or put it in a message. */
        const char *crt_data;
        const char *key_data;
};

struct cc_gw_configmap {
        struct cc_gw_meta meta;
        cJSON *data; /* copy of .data, NULL when absent */
};

struct cc_gw_arena_block;

/* The snapshot: arrays of pointers per kind (pointers stay valid until
 * release) and an index by kind/namespace/name. */
struct cc_gw_snapshot {
        struct cc_gw_class **classes;
        size_t n_classes, cap_classes;
        struct cc_gw_gateway **gateways;
        size_t n_gateways, cap_gateways;
        struct cc_gw_route **routes; /* HTTPRoutes and GRPCRoutes, in input order */
        size_t n_routes, cap_routes;
        struct cc_gw_grant **grants;
        size_t n_grants, cap_grants;
        struct cc_gw_namespace **namespaces;
        size_t n_namespaces, cap_namespaces;
        struct cc_gw_service **services;
        size_t n_services, cap_services;
        struct cc_gw_secret **secrets;
        size_t n_secrets, cap_secrets;
        struct cc_gw_configmap **configmaps;
        size_t n_configmaps, cap_configmaps;
        struct cc_map index; /* "<kind>/<ns>/<name>" -> object */
        struct cc_gw_arena_block *arena;
        struct cc_secret *vault; /* Secrets' PEM text (crt_data, key_data) */
        size_t n_vault, cap_vault;
        cJSON *keep; /* owns every cJSON copy held by the model */
};

#define CC_GW_SNAPSHOT_INIT \
        {                   \
                0           \
        }

void cc_gw_snapshot_init(struct cc_gw_snapshot *s);
/* cc_gw_snapshot_release -- free everything; the snapshot is then empty and
 * may be reused. */
void cc_gw_snapshot_release(struct cc_gw_snapshot *s);

/* cc_gw_snapshot_add -- parse one Kubernetes object (apiVersion, kind,
 * metadata, spec, status) and add it.  A kind cloudctl does not read is
 * skipped (CC_OK, *kind_out = CC_GW_KIND__COUNT).  CC_INVAL with d naming
 * the object and the field when a field has the wrong type or a required
 * field is missing; the snapshot is then unchanged except for arena memory.
 * kind_out may be NULL.  Errors: CC_INVAL, CC_NOMEM. */
cc_err cc_gw_snapshot_add(struct cc_gw_snapshot *s, const cJSON *obj, enum cc_gw_kind *kind_out,
                          struct cc_diag *d);

/* cc_gw_snapshot_add_all -- add every object of a JSON array (a List's
 * items or the documents of a YAML stream) and stop at the first error. */
cc_err cc_gw_snapshot_add_all(struct cc_gw_snapshot *s, const cJSON *array, struct cc_diag *d);

/* Lookups; ns is ignored for cluster-scoped kinds.  NULL when absent. */
const struct cc_gw_class *cc_gw_snapshot_class(const struct cc_gw_snapshot *s, const char *name);
const struct cc_gw_gateway *cc_gw_snapshot_gateway(const struct cc_gw_snapshot *s, const char *ns,
                                                   const char *name);
const struct cc_gw_route *cc_gw_snapshot_route(const struct cc_gw_snapshot *s, enum cc_gw_kind kind,
                                               const char *ns, const char *name);
const struct cc_gw_namespace *cc_gw_snapshot_namespace(const struct cc_gw_snapshot *s,
                                                       const char *name);
const struct cc_gw_service *cc_gw_snapshot_service(const struct cc_gw_snapshot *s, const char *ns,
                                                   const char *name);
const struct cc_gw_secret *cc_gw_snapshot_secret(const struct cc_gw_snapshot *s, const char *ns,
                                                 const char *name);
const struct cc_gw_configmap *cc_gw_snapshot_configmap(const struct cc_gw_snapshot *s,
                                                       const char *ns, const char *name);

/* cc_gw_kind_name -- "Gateway", "HTTPRoute", ...; cc_gw_kind_label --
 * "gateway", "httproute", ... as used in messages. */
const char *cc_gw_kind_name(enum cc_gw_kind kind);
const char *cc_gw_kind_label(enum cc_gw_kind kind);

/* cc_gw_hostname_valid -- an RFC 1123 DNS name of at most 253 characters,
 * lowercase, optionally prefixed by a single "*." label; IP addresses are
 * not hostnames. */
bool cc_gw_hostname_valid(const char *h);

/* cc_gw_hostname_intersect -- the hostname both a listener and a route
 * hostname admit (Gateway API hostname intersection):
 *   listener NULL/""            -> the route hostname
 *   exact vs exact              -> equal ones (case-insensitive)
 *   "*.example.com" vs exact    -> the exact one if it is below the suffix
 *   "*.com" vs "*.example.com"  -> the more specific wildcard
 * A wildcard matches one or more labels, never the bare suffix.  Returns
 * false when they do not intersect; otherwise *out points at whichever
 * input is the intersection. */
bool cc_gw_hostname_intersect(const char *listener, const char *route, const char **out);

/* cc_gw_selector_matches -- does the label set satisfy the selector? */
bool cc_gw_selector_matches(const struct cc_gw_selector *sel, const struct cc_gw_labels *labels);

/* cc_gw_labels_get -- a label's value or NULL. */
const char *cc_gw_labels_get(const struct cc_gw_labels *l, const char *key);

#endif
