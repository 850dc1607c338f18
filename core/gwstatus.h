/* gwstatus.h -- Gateway API status semantics for the classes cloudctl serves.
 *
 * DESIGN
 * ------
 * Pure functions over a snapshot (gwmodel.h): no I/O, no clock, no
 * randomness; the caller supplies the time as a string and the cloud stage's
 * outcome per Gateway.  Both `cloudctl plan/apply` and the controller use
 * them, so a Gateway that the controller would mark invalid is the Gateway
 * `plan` refuses to provision.
 *
 * Served objects: Gateways whose gatewayClassName is one of the built-in
 * virtual classes (`istio+gke`, no GatewayClass object exists or can exist)
 * or names a GatewayClass whose spec.controllerName is ours; such
 * GatewayClasses themselves; for routes, only status.parents entries for
 * parentRefs naming a served Gateway.
 *
 * What the istio+gke class implements (the Google global external
 * Application Load Balancer in front of Istio):
 *   - listeners: protocol HTTP or HTTPS (TLS mode Terminate); anything else
 *     is Accepted=False/UnsupportedProtocol with supportedKinds [];
 *   - route kinds HTTPRoute and GRPCRoute;
 *   - an HTTPS listener either names certificate Secrets (tls.certificateRefs)
 *     or, without them, gets a Google-managed certificate for its hostname
 *     (so it needs one); tls.options are passed through;
 *   - spec.addresses: type IPAddress only (a global static address), at most
 *     one IPv4 and one IPv6; spec.infrastructure.parametersRef: a ConfigMap;
 *   - spec.tls.frontend (client certificate validation) is not implemented:
 *     HTTPS listeners are then Accepted=False/UnsupportedValue rather than
 *     silently serving without client validation.
 *
 * Conditions and reasons follow reference/gateway-api-status.md:
 *   GatewayClass  Accepted (Accepted | InvalidParameters), SupportedVersion
 *                 (SupportedVersion | UnsupportedVersion; only when the
 *                 bundle version is known)
 *   Gateway       Accepted (Accepted | ListenersNotValid | Invalid |
 *                 UnsupportedAddress | InvalidParameters), Programmed (from
 *                 the caller's cc_gw_programmed), ResolvedRefs
 *                 (ResolvedRefs | InvalidClientCertificateRef |
 *                 RefNotPermitted | ListenersNotResolved), status.addresses
 *   Listener      supportedKinds, attachedRoutes (routes Accepted through
 *                 it), Accepted (Accepted | UnsupportedProtocol |
 *                 PortUnavailable | UnsupportedValue | HostnameConflict |
 *                 ProtocolConflict), Programmed (Programmed | Invalid |
 *                 Pending), ResolvedRefs (ResolvedRefs | InvalidCertificateRef
 *                 | RefNotPermitted | InvalidRouteKinds), Conflicted
 *                 (NoConflicts | HostnameConflict | ProtocolConflict)
 *   Route parent  Accepted (Accepted | NotAllowedByListeners |
 *                 NoMatchingListenerHostname | NoMatchingParent |
 *                 UnsupportedValue), ResolvedRefs (ResolvedRefs |
 *                 BackendNotFound | RefNotPermitted | InvalidKind); when
 *                 listeners fail differently, NotAllowedByListeners wins
 *                 over NoMatchingListenerHostname.
 * Conflicting listeners (same port with HTTP and HTTPS; same port, protocol
 * and hostname) are all rejected: no winner is picked.
 */
#ifndef CC_GWSTATUS_H
#define CC_GWSTATUS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/gwmodel.h"

#define CC_GW_CONTROLLER_NAME "cloudctl.dev/gateway-controller"
#define CC_GW_VIRTUAL_CLASS   "istio+gke"

/* What cloudctl serves.  NULL fields take the defaults noted. */
struct cc_gw_serve {
        const char *controller_name;        /* NULL = CC_GW_CONTROLLER_NAME */
        const char *const *virtual_classes; /* NULL-terminated; NULL = { "istio+gke" } */
        /* the CRDs' gateway.networking.k8s.io/bundle-version; NULL = the
         * CRDs could not be read: SupportedVersion is then left out */
        const char *bundle_version;
        const char *const *supported_versions; /* NULL-terminated; NULL = { v1.6.0, v1.6.1 } */
};

/* The cloud stage's outcome for one Gateway, from the caller. */
enum cc_gw_prog {
        CC_GW_PROG_PENDING = 0,      /* nothing known yet: Programmed=False/Pending */
        CC_GW_PROG_PROGRAMMED,       /* Programmed=True/Programmed */
        CC_GW_PROG_NO_ADDRESS,       /* Programmed=False/AddressNotAssigned */
        CC_GW_PROG_ADDRESS_UNUSABLE, /* Programmed=False/AddressNotUsable */
        CC_GW_PROG_NO_RESOURCES,     /* Programmed=False/NoResources */
        CC_GW_PROG_INVALID,          /* Programmed=False/Invalid */
};

struct cc_gw_programmed {
        enum cc_gw_prog state;
        const char *message;                   /* NULL = a default message */
        const struct cc_gw_address *addresses; /* reported in status.addresses */
        size_t n_addresses;
};

/* cc_gw_programmed_fn -- the cloud stage's outcome for a served Gateway, or
 * NULL for "pending".  Called during cc_gwstatus_compute only; the returned
 * struct must stay valid until the callback is called again. */
typedef const struct cc_gw_programmed *(*cc_gw_programmed_fn)(void *arg,
                                                              const struct cc_gw_gateway *gw);

struct cc_gwstatus_entry {
        enum cc_gw_kind kind; /* GATEWAYCLASS, GATEWAY, HTTPROUTE or GRPCROUTE */
        const char *ns;       /* borrowed from the snapshot; "" for classes */
        const char *name;
        long long generation;
        cJSON *status; /* owned: the computed status object */
};

struct cc_gwstatus {
        struct cc_gwstatus_entry *v;
        size_t n, cap;
};

#define CC_GWSTATUS_INIT   \
        {                  \
                NULL, 0, 0 \
        }

/* cc_gw_serves -- is this Gateway cloudctl's (virtual class, or a class
 * object naming our controller)? */
bool cc_gw_serves(const struct cc_gw_snapshot *s, const struct cc_gw_serve *serve,
                  const struct cc_gw_gateway *gw);

/* cc_gwstatus_compute -- the status cloudctl owns for every served
 * GatewayClass and Gateway, and for every HTTPRoute/GRPCRoute of the
 * snapshot (`{"parents": [...]}` holding only our entries, possibly none,
 * so that a merge can prune our stale entries).  Every condition carries
 * observedGeneration = the object's metadata.generation and
 * lastTransitionTime = now.  A Gateway's status has "addresses" only when
 * the cloud stage reported some.  programmed may be NULL (all pending).
 * out must be empty (CC_GWSTATUS_INIT); on error it stays empty.
 * Errors: CC_NOMEM. */
cc_err cc_gwstatus_compute(const struct cc_gw_snapshot *s, const struct cc_gw_serve *serve,
                           cc_gw_programmed_fn programmed, void *arg, const char *now,
                           struct cc_gwstatus *out, struct cc_diag *d);

/* cc_gwstatus_compute_scoped -- the same for some objects only (a pass
 * writes one Gateway's status and its routes'): GatewayClasses when
 * scope->classes, the Gateway gw_ns/gw_name (none when gw_name is NULL),
 * and the routes for which scope->route(arg, route) is true (none when it
 * is NULL).  Every route that can attach to that Gateway must be in scope,
 * or its listeners' attachedRoutes come out short.  scope NULL = every
 * object, as cc_gwstatus_compute. */
struct cc_gwstatus_scope {
        bool classes;
        const char *gw_ns, *gw_name;
        bool (*route)(void *arg, const struct cc_gw_route *rt);
        void *arg;
};

cc_err cc_gwstatus_compute_scoped(const struct cc_gw_snapshot *s, const struct cc_gw_serve *serve,
                                  const struct cc_gwstatus_scope *scope,
                                  cc_gw_programmed_fn programmed, void *arg, const char *now,
                                  struct cc_gwstatus *out, struct cc_diag *d);

/* cc_gwstatus_find -- the computed status of one object, or NULL. */
const cJSON *cc_gwstatus_find(const struct cc_gwstatus *st, enum cc_gw_kind kind, const char *ns,
                              const char *name);

void cc_gwstatus_release(struct cc_gwstatus *st);

/* --- validation for `cloudctl plan/apply` -------------------------------- */

enum {
        /* do not fail a Gateway for unresolved certificate refs or route
         * kinds (input files need not carry the Secrets) */
        CC_GW_VALIDATE_SKIP_REFS = 1u << 0,
        /* an Accepted Gateway is valid for provisioning even when some of
         * its listeners are not: only the provisioned listeners (see
         * cc_gw_verdict.listeners) go to the cloud */
        CC_GW_VALIDATE_PARTIAL = 1u << 1,
};

struct cc_gw_verdict {
        const struct cc_gw_gateway *gw; /* borrowed from the snapshot */
        const char *reason;             /* NULL = valid for provisioning */
        char message[CC_DIAG_MSG_MAX];  /* "gateway 'ns/n': field 'spec...': ..." */
        /* bit i set: listener i is provisioned (only when reason is NULL).
         * A listener is provisioned when it is Accepted and its
         * certificateRefs resolve (an HTTPS listener whose certificate
         * cannot be read cannot be served, whatever the flags say);
         * lreason[i] is the Gateway API reason of one that is not. */
        unsigned long long listeners;
        const char *lreason[CC_GW_MAX_LISTENERS];
};

/* cc_gwstatus_validate -- one verdict per served Gateway, in snapshot order:
 * valid for provisioning, or the Gateway API reason of the first problem
 * (Gateway-level first, then listeners in order) with a message naming the
 * object and the field.  A Gateway is valid only when it is Accepted and
 * every listener is Accepted (and, without SKIP_REFS, ResolvedRefs); with
 * PARTIAL, when it is Accepted (its Accepted reason may be
 * ListenersNotValid) and, without SKIP_REFS, its own references resolve --
 * possibly with no listener provisioned at all (Programmed then means the
 * address is assigned, as upstream conformance expects of a Gateway whose
 * only listener has an unresolved certificate).
 * *out is cc_malloc'd (free with cc_free); written only on success.
 * Errors: CC_NOMEM. */
cc_err cc_gwstatus_validate(const struct cc_gw_snapshot *s, const struct cc_gw_serve *serve,
                            unsigned flags, struct cc_gw_verdict **out, size_t *n_out,
                            struct cc_diag *d);

/* --- read-modify-write merge (gwstatus_merge.c) -------------------------- */

/* cc_gwstatus_merge -- write computed on top of existing (the object's
 * current .status, NULL when absent) following the Gateway API rules for
 * status writers:
 *   - conditions are merged by type; types we do not own (anything but the
 *     Gateway API types Accepted, Programmed, ResolvedRefs, Conflicted,
 *     OverlappingTLSConfig, SupportedVersion, PartiallyInvalid and
 *     "cloudctl.dev/..." types) are kept untouched and in place; owned types
 *     absent from computed are removed;
 *   - lastTransitionTime is kept when a condition's status did not change,
 *     else set to now;
 *   - a condition whose existing observedGeneration is greater than the
 *     computed one is kept as it is (our snapshot is stale);
 *   - status.listeners is replaced by computed's, conditions merged per
 *     listener name as above; status.addresses is replaced when computed
 *     has it; other top-level fields of existing are kept;
 *   - status.parents: entries whose controllerName is not controller_name
 *     are kept as they are; ours are replaced by computed's (conditions
 *     merged per matching parentRef), stale ones of ours dropped.
 * *merged is a new object (cJSON_Delete it); *changed tells whether it
 * differs from existing, so that a caller writes nothing when nothing
 * changed.  Outputs written only on success.  Errors: CC_NOMEM, CC_INVAL
 * (computed is not an object). */
cc_err cc_gwstatus_merge(const cJSON *existing, const cJSON *computed, const char *controller_name,
                         const char *now, cJSON **merged, bool *changed, struct cc_diag *d);

#endif
