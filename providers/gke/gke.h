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

#define CC_GKE_COMPUTE_BASE "https://www.googleapis.com/compute/v1/"
#define CC_GKE_CERTMGR_REF  "//certificatemanager.googleapis.com/"
#define CC_GKE_HC_PORT      15021
#define CC_GKE_HC_PATH      "/healthz/ready"
#define CC_GKE_DNS_TTL      300

/* cc_gke_translate -- the desired graph for one Gateway (pure). */
cc_err cc_gke_translate(const struct cc_lb_settings *s, const struct cc_lb_gateway *gw,
                        struct cc_graph *g, struct cc_diag *d);

#endif
