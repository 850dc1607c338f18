/* kinds.c -- how each gke resource kind is compared (and, with ops, executed). */
#include "providers/gke/gke.h"

#include "core/banned.h"

static const char *const fw_immutable[] = { "network", "direction", NULL };
static const char *const fw_unordered[] = { "sourceRanges", NULL };
const struct cc_kind cc_gke_kind_firewall = {
        .name = "compute.firewall",
        .label = "firewall",
        .immutable = fw_immutable,
        .unordered = fw_unordered,
};

static const char *const addr_immutable[] = { "address", "ipVersion", "addressType", "networkTier",
                                              NULL };
static const char *const addr_backrefs[] = { "users", NULL };
const struct cc_kind cc_gke_kind_address = {
        .name = "compute.globalAddress",
        .label = "address",
        .immutable = addr_immutable,
        .backrefs = addr_backrefs,
};

const struct cc_kind cc_gke_kind_health_check = {
        .name = "compute.healthCheck",
        .label = "health check",
};

static const char *const bs_immutable[] = { "loadBalancingScheme", NULL };
static const char *const bs_unordered[] = { "backends", NULL };
static const char *const bs_backrefs[] = { "usedBy", NULL };
const struct cc_kind cc_gke_kind_backend_service = {
        .name = "compute.backendService",
        .label = "backend service",
        .flags = CC_KIND_FINGERPRINT,
        .immutable = bs_immutable,
        .unordered = bs_unordered,
        .backrefs = bs_backrefs,
};

const struct cc_kind cc_gke_kind_url_map = {
        .name = "compute.urlMap",
        .label = "url map",
        .flags = CC_KIND_FINGERPRINT,
};

const struct cc_kind cc_gke_kind_http_proxy = {
        .name = "compute.targetHttpProxy",
        .label = "http proxy",
        .flags = CC_KIND_FINGERPRINT,
};

const struct cc_kind cc_gke_kind_https_proxy = {
        .name = "compute.targetHttpsProxy",
        .label = "https proxy",
        .flags = CC_KIND_FINGERPRINT,
};

static const char *const fr_immutable[] = { "IPAddress",           "IPProtocol",  "portRange",
                                            "loadBalancingScheme", "networkTier", NULL };
const struct cc_kind cc_gke_kind_forwarding_rule = {
        .name = "compute.globalForwardingRule",
        .label = "forwarding rule",
        .flags = CC_KIND_FINGERPRINT,
        .immutable = fr_immutable,
};

static const char *const da_immutable[] = { "domain", "type", NULL };
const struct cc_kind cc_gke_kind_dns_authorization = {
        .name = "certificatemanager.dnsAuthorization",
        .label = "dns authorization",
        .immutable = da_immutable,
};

static const char *const cert_immutable[] = { "managed", "scope", NULL };
static const char *const cert_unordered[] = { "managed.domains", "managed.dnsAuthorizations",
                                              NULL };
const struct cc_kind cc_gke_kind_certificate = {
        .name = "certificatemanager.certificate",
        .label = "certificate",
        .immutable = cert_immutable,
        .unordered = cert_unordered,
};

static const char *const cm_backrefs[] = { "gclbTargets", NULL };
const struct cc_kind cc_gke_kind_certificate_map = {
        .name = "certificatemanager.certificateMap",
        .label = "certificate map",
        .backrefs = cm_backrefs,
};

static const char *const cme_immutable[] = { "hostname", "matcher", NULL };
const struct cc_kind cc_gke_kind_certificate_map_entry = {
        .name = "certificatemanager.certificateMapEntry",
        .label = "certificate map entry",
        .immutable = cme_immutable,
};

static const char *const rr_unordered[] = { "rrdatas", NULL };
const struct cc_kind cc_gke_kind_rrset = {
        .name = "dns.resourceRecordSet",
        .label = "dns record",
        .unordered = rr_unordered,
};
