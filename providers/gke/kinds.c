/* kinds.c -- how each gke resource kind is compared (and, with ops, executed). */
#include "providers/gke/gke.h"

#include <string.h>

#include "core/banned.h"

static const char *const fw_immutable[] = { "network", "direction", NULL };
static const char *const fw_unordered[] = { "sourceRanges", NULL };
static const struct cc_gke_kind_ops firewall_ops = {
        .family = CC_GKE_FAM_COMPUTE,
        .collection = "firewalls",
        .update = CC_GKE_UPD_PATCH,
};
const struct cc_kind cc_gke_kind_firewall = {
        .ops = &firewall_ops,
        .name = "compute.firewall",
        .label = "firewall",
        .immutable = fw_immutable,
        .unordered = fw_unordered,
};

static const char *const addr_immutable[] = { "address", "ipVersion", "addressType", "networkTier",
                                              NULL };
static const char *const addr_backrefs[] = { "users", NULL };
static const struct cc_gke_kind_ops address_ops = {
        .family = CC_GKE_FAM_COMPUTE,
        .collection = "addresses",
        .update = CC_GKE_UPD_ADDRESS,
};
const struct cc_kind cc_gke_kind_address = {
        .ops = &address_ops,
        .name = "compute.globalAddress",
        .label = "address",
        .immutable = addr_immutable,
        .backrefs = addr_backrefs,
};

static const struct cc_gke_kind_ops health_check_ops = {
        .family = CC_GKE_FAM_COMPUTE,
        .collection = "healthChecks",
        .update = CC_GKE_UPD_PATCH,
};
const struct cc_kind cc_gke_kind_health_check = {
        .ops = &health_check_ops,
        .name = "compute.healthCheck",
        .label = "health check",
};

static const char *const bs_immutable[] = { "loadBalancingScheme", NULL };
static const char *const bs_unordered[] = { "backends", NULL };
static const char *const bs_backrefs[] = { "usedBy", NULL };
static const struct cc_gke_kind_ops backend_service_ops = {
        .family = CC_GKE_FAM_COMPUTE,
        .collection = "backendServices",
        .update = CC_GKE_UPD_PATCH_FP,
};
const struct cc_kind cc_gke_kind_backend_service = {
        .ops = &backend_service_ops,
        .name = "compute.backendService",
        .label = "backend service",
        .flags = CC_KIND_FINGERPRINT,
        .immutable = bs_immutable,
        .unordered = bs_unordered,
        .backrefs = bs_backrefs,
};

static const struct cc_gke_kind_ops url_map_ops = {
        .family = CC_GKE_FAM_COMPUTE,
        .collection = "urlMaps",
        .update = CC_GKE_UPD_PUT_FP,
};
const struct cc_kind cc_gke_kind_url_map = {
        .ops = &url_map_ops,
        .name = "compute.urlMap",
        .label = "url map",
        .flags = CC_KIND_FINGERPRINT,
};

static const struct cc_gke_kind_ops http_proxy_ops = {
        .family = CC_GKE_FAM_COMPUTE,
        .collection = "targetHttpProxies",
        .update = CC_GKE_UPD_HTTP_PROXY,
};
const struct cc_kind cc_gke_kind_http_proxy = {
        .ops = &http_proxy_ops,
        .name = "compute.targetHttpProxy",
        .label = "http proxy",
        .flags = CC_KIND_FINGERPRINT,
};

static const struct cc_gke_kind_ops https_proxy_ops = {
        .family = CC_GKE_FAM_COMPUTE,
        .collection = "targetHttpsProxies",
        .update = CC_GKE_UPD_HTTPS_PROXY,
};
const struct cc_kind cc_gke_kind_https_proxy = {
        .ops = &https_proxy_ops,
        .name = "compute.targetHttpsProxy",
        .label = "https proxy",
        .flags = CC_KIND_FINGERPRINT,
};

static const char *const fr_immutable[] = { "IPAddress",           "IPProtocol",  "portRange",
                                            "loadBalancingScheme", "networkTier", NULL };
static const struct cc_gke_kind_ops forwarding_rule_ops = {
        .family = CC_GKE_FAM_COMPUTE,
        .collection = "forwardingRules",
        .update = CC_GKE_UPD_FORWARDING_RULE,
};
const struct cc_kind cc_gke_kind_forwarding_rule = {
        .ops = &forwarding_rule_ops,
        .name = "compute.globalForwardingRule",
        .label = "forwarding rule",
        .flags = CC_KIND_FINGERPRINT,
        .immutable = fr_immutable,
};

static const char *const da_immutable[] = { "domain", "type", NULL };
static const struct cc_gke_kind_ops dns_authorization_ops = {
        .family = CC_GKE_FAM_CERTMGR,
        .collection = "dnsAuthorizations",
        .id_param = "dnsAuthorizationId",
        .update = CC_GKE_UPD_CERTMGR,
};
const struct cc_kind cc_gke_kind_dns_authorization = {
        .ops = &dns_authorization_ops,
        .name = "certificatemanager.dnsAuthorization",
        .label = "dns authorization",
        .immutable = da_immutable,
};

static const char *const cert_immutable[] = { "managed", "scope", NULL };
static const char *const cert_unordered[] = { "managed.domains", "managed.dnsAuthorizations",
                                              NULL };
/* selfManaged is write-only (the API never returns the private key): a
 * self-managed certificate's name hashes its content, so comparing the
 * name is the exact compare */
static const char *const cert_ignore[] = { "selfManaged", NULL };
/* usedBy lists the map entries that name the certificate: not a dependency */
static const char *const cert_backrefs[] = { "usedBy", NULL };
static const struct cc_gke_kind_ops certificate_ops = {
        .family = CC_GKE_FAM_CERTMGR,
        .collection = "certificates",
        .id_param = "certificateId",
        .update = CC_GKE_UPD_CERTMGR,
};
const struct cc_kind cc_gke_kind_certificate = {
        .ops = &certificate_ops,
        .name = "certificatemanager.certificate",
        .label = "certificate",
        .immutable = cert_immutable,
        .ignore = cert_ignore,
        .unordered = cert_unordered,
        .backrefs = cert_backrefs,
};

static const char *const cm_backrefs[] = { "gclbTargets", NULL };
static const struct cc_gke_kind_ops certificate_map_ops = {
        .family = CC_GKE_FAM_CERTMGR,
        .collection = "certificateMaps",
        .id_param = "certificateMapId",
        .update = CC_GKE_UPD_CERTMGR,
};
const struct cc_kind cc_gke_kind_certificate_map = {
        .ops = &certificate_map_ops,
        .name = "certificatemanager.certificateMap",
        .label = "certificate map",
        .backrefs = cm_backrefs,
};

static const char *const cme_immutable[] = { "hostname", "matcher", NULL };
static const struct cc_gke_kind_ops certificate_map_entry_ops = {
        .family = CC_GKE_FAM_CERTMGR,
        .collection = "certificateMapEntries",
        .id_param = "certificateMapEntryId",
        .update = CC_GKE_UPD_CERTMGR,
};
const struct cc_kind cc_gke_kind_certificate_map_entry = {
        .ops = &certificate_map_entry_ops,
        .name = "certificatemanager.certificateMapEntry",
        .label = "certificate map entry",
        .immutable = cme_immutable,
};

static const char *const rr_unordered[] = { "rrdatas", NULL };
static const struct cc_gke_kind_ops rrset_ops = {
        .family = CC_GKE_FAM_DNS,
        .collection = "rrsets",
        .update = CC_GKE_UPD_DNS,
};
const struct cc_kind cc_gke_kind_rrset = {
        .ops = &rrset_ops,
        .name = "dns.resourceRecordSet",
        .label = "dns record",
        .unordered = rr_unordered,
};

const struct cc_kind *const cc_gke_kinds[] = {
        &cc_gke_kind_firewall,
        &cc_gke_kind_address,
        &cc_gke_kind_health_check,
        &cc_gke_kind_backend_service,
        &cc_gke_kind_url_map,
        &cc_gke_kind_http_proxy,
        &cc_gke_kind_https_proxy,
        &cc_gke_kind_forwarding_rule,
        &cc_gke_kind_dns_authorization,
        &cc_gke_kind_certificate,
        &cc_gke_kind_certificate_map,
        &cc_gke_kind_certificate_map_entry,
        &cc_gke_kind_rrset,
        NULL,
};

const struct cc_kind *
cc_gke_kind_find(enum cc_gke_family fam, const char *collection)
{
        const struct cc_kind *const *k;

        for (k = cc_gke_kinds; *k; k++)
                if (cc_gke_kind_ops(*k)->family == fam &&
                    !strcmp(cc_gke_kind_ops(*k)->collection, collection))
                        return *k;
        return NULL;
}
