/* provider.h -- the provider module interface.
 *
 * DESIGN
 * ------
 * A provider turns one composite Gateway into cloud resources.  Like curl's
 * TLS backends, a provider is one const struct of function pointers with an
 * ABI number, a name, capability bits and the size of its private state; the
 * core owns the registry (a NULL-terminated table), selection by name and
 * allocation.  New slots are only ever appended.
 *
 *   translate  pure: settings + one Gateway -> desired nodes in the graph
 *              (no I/O, no clock, no randomness; same input, same bytes)
 *   observe    async: fill observed bodies with filtered, paginated lists
 *   apply_step async: execute one plan step and await its completion
 *
 * The input is a provider-facing view of a Gateway (struct cc_lb_gateway):
 * the listeners the load balancer serves and, per member cluster, the NEGs
 * of that cluster's gateway Service.  Gateway API semantics (which listeners
 * are valid, which routes attach) are decided before, in core.
 */
#ifndef CC_PROVIDER_H
#define CC_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/graph.h"

#define CC_PROVIDER_ABI 1

enum cc_lb_protocol { CC_LB_HTTP, CC_LB_HTTPS };
enum cc_cert_mode { CC_CERT_CERTMGR, CC_CERT_NONE };

/* An HTTPS listener's certificate: cert_pem set means the listener names a
 * kubernetes.io/tls Secret, uploaded as a self-managed certificate; NULL
 * means a Google-managed certificate for its hostname (cert_mode CERTMGR).
 * Both PEM strings are borrowed from the caller's inputs and live as long
 * as they do; key_pem is a private key: it goes into the request body of
 * the certificate and nowhere else (no log line, message or plan output). */
struct cc_lb_listener {
        const char *name;
        int port;
        enum cc_lb_protocol protocol;
        const char *hostname; /* NULL: any host */
        const char *cert_pem; /* HTTPS: PEM certificate chain, or NULL */
        const char *key_pem;  /* HTTPS: its PEM private key (with cert_pem) */
};

struct cc_lb_neg {
        const char *zone;
        const char *name;
};

struct cc_lb_cluster {
        const char *name;
        int weight; /* 0..100: the cluster's share, as capacityScaler weight/100 */
        const struct cc_lb_neg *negs;
        size_t nnegs;
};

struct cc_lb_gateway {
        const char *ns;
        const char *name;
        const struct cc_lb_listener *listeners;
        size_t nlisteners;
        const char *address_name; /* the user's reserved global address, or NULL */
        int serving_port;         /* the gateway Service port the NEGs expose (0: 80) */
        const struct cc_lb_cluster *clusters;
        size_t nclusters;
};

struct cc_lb_settings {
        const char *fleet;    /* part of every name's hash and of the owner mark */
        const char *project;  /* project id */
        const char *network;  /* VPC network name ("default") */
        const char *dns_zone; /* Cloud DNS managed zone name, or NULL for no DNS */
        const char *dns_name; /* the zone's dnsName, "example.com." */
        enum cc_cert_mode cert_mode;
};

struct cc_provider;

struct cc_provider_ops {
        unsigned abi;
        const char *name;
        unsigned caps;
        size_t priv_size;
        cc_err (*translate)(const struct cc_lb_settings *s, const struct cc_lb_gateway *gw,
                            struct cc_graph *g, struct cc_diag *d);
};

/* the registry */
extern const struct cc_provider_ops *const cc_providers[];
const struct cc_provider_ops *cc_provider_find(const char *name);

static inline cc_err
cc_provider_translate(const struct cc_provider_ops *ops, const struct cc_lb_settings *s,
                      const struct cc_lb_gateway *gw, struct cc_graph *g, struct cc_diag *d)
{
        return ops->translate(s, gw, g, d);
}

#endif
