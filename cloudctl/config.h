/* config.h -- the cloudctl configuration file (format: docs/config.md).
 *
 * Parsed once, in the program, into plain structs; nothing below cloudctl/
 * reads files or the environment for configuration.
 */
#ifndef CC_CONFIG_H
#define CC_CONFIG_H

#include <stddef.h>

#include "core/err.h"

#define CC_CONFIG_MAX_CLUSTERS 64
#define CC_CONFIG_MAX_ZONES    8

enum cc_cred_type { CC_CRED_NONE, CC_CRED_SA_KEY, CC_CRED_ADC, CC_CRED_METADATA };

struct cc_config_cluster {
        char *name;
        char *region;
        char *zones[CC_CONFIG_MAX_ZONES];
        size_t nzones;
        int weight; /* 0..100, default 100 */
        char *kubeconfig;
        char *context;
        char *services; /* plan/apply: file or directory with the cluster's gateway Services */
};

struct cc_config {
        char *path; /* the file it came from */
        char *fleet;
        char *project;
        char *network;
        char *dns_zone; /* NULL: no DNS records */
        char *dns_name; /* "example.com." */
        int cert_mode;  /* enum cc_cert_mode (providers/provider.h) */
        /* cloudctl run: a cluster removed from the fleet keeps its backends
         * at capacityScaler 0 this long before they are detached */
        int drain_seconds;
        struct cc_config_cluster clusters[CC_CONFIG_MAX_CLUSTERS];
        size_t nclusters;
        struct {
                char *compute, *certificatemanager, *dns, *token, *metadata;
        } endpoints;
        struct {
                enum cc_cred_type type;
                char *file;
        } credentials;
        /* requests per second per quota group (bursts of the same size) */
        struct {
                double compute_read, compute_mutate, compute_ops, certmgr, dns;
        } rates;
};

#define CC_CONFIG_DRAIN_DEFAULT 30
#define CC_CONFIG_RATE_DEFAULT  20.0 /* GCP's default quotas are 1,500 a minute */

/* cc_config_load -- parse a YAML or JSON config file.  Errors name the file
 * and the field: "config 'c.yaml': field 'clusters[1].weight': must be
 * 0..100".  Relative paths inside the file are resolved against its
 * directory.  On error *cfg is released. */
cc_err cc_config_load(const char *path, struct cc_config *cfg, struct cc_diag *d);
void cc_config_release(struct cc_config *cfg);

#endif
