/* gke.h -- the gke provider: Google Cloud global external Application Load
 * Balancer, Certificate Manager and Cloud DNS in front of per-cluster gateways.
 *
 * The resource chain one Gateway becomes (translate.c):
 *
 *   firewall ─┐
 *   address ──┼────────────────────────────────────────┐
 *   health check ─► backend service ─► url map ─► https proxy ─► forwarding rule :443
 *                                       └─► redirect map ─► http proxy ─► forwarding rule :80
 *   dns authorization ─► certificate ─► map entry ─► certificate map ─┘ (https proxy)
 *   dns authorization ─► CNAME record      address ─► A records (+ TXT ownership records)
 */
#ifndef CC_GKE_H
#define CC_GKE_H

#include "core/graph.h"
#include "providers/provider.h"

extern const struct cc_provider_ops cc_gke_provider;

/* kind descriptors (kinds.c) */
extern const struct cc_kind cc_gke_kind_firewall;
extern const struct cc_kind cc_gke_kind_address;
extern const struct cc_kind cc_gke_kind_health_check;
extern const struct cc_kind cc_gke_kind_backend_service;
extern const struct cc_kind cc_gke_kind_url_map;
extern const struct cc_kind cc_gke_kind_http_proxy;
extern const struct cc_kind cc_gke_kind_https_proxy;
extern const struct cc_kind cc_gke_kind_forwarding_rule;
extern const struct cc_kind cc_gke_kind_dns_authorization;
extern const struct cc_kind cc_gke_kind_certificate;
extern const struct cc_kind cc_gke_kind_certificate_map;
extern const struct cc_kind cc_gke_kind_certificate_map_entry;
extern const struct cc_kind cc_gke_kind_rrset;

/* Execution hooks of a kind (struct cc_kind.ops): which API serves it, its
 * collection, and how an update is carried out (exec.c). */
enum cc_gke_family {
        CC_GKE_FAM_COMPUTE = 1, /* projects/P/global/<collection>/<name>, Operations */
        CC_GKE_FAM_CERTMGR,     /* projects/P/locations/global/<collection>/<name>, LROs */
        CC_GKE_FAM_DNS,         /* projects/P/managedZones/Z/rrsets/<name.>/<TYPE>, changes */
};

enum cc_gke_update {
        CC_GKE_UPD_NONE = 0,        /* nothing mutable in place */
        CC_GKE_UPD_PUT_FP,          /* PUT the whole body with the fingerprint (url maps) */
        CC_GKE_UPD_PATCH_FP,        /* PATCH with the fingerprint (backend services) */
        CC_GKE_UPD_PATCH,           /* PATCH, last write wins (health checks, firewalls) */
        CC_GKE_UPD_HTTP_PROXY,      /* setUrlMap, else PATCH with the fingerprint */
        CC_GKE_UPD_HTTPS_PROXY,     /* setUrlMap, setCertificateMap, setQuicOverride, PATCH */
        CC_GKE_UPD_FORWARDING_RULE, /* setTarget, setLabels */
        CC_GKE_UPD_ADDRESS,         /* setLabels */
        CC_GKE_UPD_CERTMGR,         /* PATCH ?updateMask=<changed top-level fields> */
        CC_GKE_UPD_DNS,             /* changes.create: deletion of observed + addition */
};

struct cc_gke_kind_ops {
        enum cc_gke_family family;
        const char *collection; /* URL segment: "urlMaps", "certificates", "rrsets" */
        const char *id_param;   /* Certificate Manager create: "certificateId" */
        enum cc_gke_update update;
};

/* every gke kind, NULL-terminated, and lookup by family and collection */
extern const struct cc_kind *const cc_gke_kinds[];
const struct cc_kind *cc_gke_kind_find(enum cc_gke_family fam, const char *collection);

static inline const struct cc_gke_kind_ops *
cc_gke_kind_ops(const struct cc_kind *k)
{
        return (const struct cc_gke_kind_ops *)k->ops;
}

#define CC_GKE_COMPUTE_BASE "https://www.googleapis.com/compute/v1/"
#define CC_GKE_CERTMGR_REF  "//certificatemanager.googleapis.com/"
#define CC_GKE_HC_PORT      15021
#define CC_GKE_HC_PATH      "/healthz/ready"
#define CC_GKE_DNS_TTL      300

/* cc_gke_translate -- the desired graph for one Gateway (pure). */
cc_err cc_gke_translate(const struct cc_lb_settings *s, const struct cc_lb_gateway *gw,
                        struct cc_graph *g, struct cc_diag *d);

#endif
