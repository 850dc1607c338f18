/* inputs.h -- from manifests and the config to the provider's inputs.
 *
 * DESIGN
 * ------
 * plan/apply/destroy read Gateways, HTTPRoutes, Secrets and Services from
 * files, and each member cluster's gateway Services from the files the
 * config names.  This module turns them into one struct cc_lb_gateway per
 * Gateway cloudctl should provision:
 *   - Gateways of classes cloudctl does not serve are skipped, with a note;
 *   - invalid Gateways (parse errors, or a Gateway API reason from
 *     core/gwstatus.h) get an error naming the object and field, and nothing
 *     is provisioned for them -- the valid ones go on;
 *   - an Accepted Gateway with some invalid listeners is provisioned with
 *     the others (CC_GW_VALIDATE_PARTIAL); each listener left out gets a
 *     note with its reason.  An HTTPS listener is left out too when its
 *     certificate Secret is not in the inputs (or not permitted, or not
 *     PEM): it could not be served;
 *   - an HTTPS listener with certificateRefs carries the PEMs of the first
 *     one's Secret (cc_lb_listener.cert_pem/key_pem), borrowed from the
 *     snapshot: valid until cc_inputs_reset/cc_inputs_release;
 *   - per cluster, the NEG names come from the `cloud.google.com/neg`
 *     annotation of the cluster's gateway Service (labelled
 *     gateway.networking.k8s.io/gateway-name=<gateway> in its namespace);
 *     their zones are discovered from the cloud later (cc_inputs_set_zones).
 */
#ifndef CC_INPUTS_H
#define CC_INPUTS_H

#include <stdbool.h>
#include <stddef.h>

#include "cloudctl/config.h"
#include "cloudctl/manifests.h"
#include "core/gwmodel.h"
#include "core/strv.h"
#include "providers/provider.h"

/* one Gateway to provision, with the storage its cc_lb_gateway points into */
struct cc_input_gw {
        struct cc_lb_gateway lb;
        struct cc_lb_listener *listeners;
        struct cc_lb_cluster *clusters; /* one per config cluster */
        struct cc_strv *neg_names;      /* per cluster: the NEG names its Service names */
        struct cc_lb_neg **negs;        /* per cluster: (zone, name) once discovered */
        size_t *nnegs;
        size_t ncluster_slots; /* entries in the per-cluster arrays */
};

struct cc_inputs {
        struct cc_manifests manifests;
        struct cc_manifests *cluster_services; /* per config cluster */
        size_t nclusters;
        struct cc_gw_snapshot snap;
        struct cc_input_gw *gws;
        size_t ngws;
        struct cc_strv notes;  /* skipped Gateways, clusters without a Service */
        struct cc_strv errors; /* invalid Gateways: nothing provisioned for them */
};

/* cc_inputs_load -- read paths (files or directories) and the clusters'
 * Service files, classify and validate every Gateway.  Returns CC_OK even
 * when some Gateways are invalid (see errors); an error return means the
 * inputs could not be read at all (malformed YAML, a missing file). */
cc_err cc_inputs_load(struct cc_inputs *in, const struct cc_config *cfg, const char *const *paths,
                      size_t npaths, struct cc_diag *d);
void cc_inputs_release(struct cc_inputs *in);

/* The controller (cmd_run.c) fills the snapshot from informers instead of
 * files.  Its sequence: memset(in, 0) + cc_gw_snapshot_init(&in->snap) +
 * cc_inputs_load_services() once; then per pass cc_inputs_reset(), objects
 * into in->snap (cc_gw_snapshot_add), cc_inputs_classify().
 *
 * cc_inputs_load_services -- read every cluster's `services` file (blocks;
 * at start and on a config reload, replacing what was read before).
 * Clusters past the ones it read (the controller appends clusters that
 * are leaving the fleet) have no Services.  cc_inputs_classify -- skip, validate and build the
 * per-Gateway inputs from in->snap (what cc_inputs_load does after
 * parsing); same results and errors.  cc_inputs_reset -- drop the
 * snapshot, the per-Gateway inputs, notes and errors; keep the cluster
 * Services and manifests. */
cc_err cc_inputs_load_services(struct cc_inputs *in, const struct cc_config *cfg,
                               struct cc_diag *d);
cc_err cc_inputs_classify(struct cc_inputs *in, const struct cc_config *cfg, struct cc_diag *d);
void cc_inputs_reset(struct cc_inputs *in);

/* cc_inputs_set_zones -- for every cluster, resolve NEG names to (zone,
 * name) pairs through lookup(name) -> NULL-terminated zone list (the zone
 * strings must outlive the inputs); names found in no zone are noted and
 * left out, never fabricated. */
typedef const char *const *(*cc_neg_zones_fn)(const char *neg_name, void *ud);
cc_err cc_inputs_set_zones(struct cc_inputs *in, const struct cc_config *cfg,
                           cc_neg_zones_fn lookup, void *ud);
/* cc_inputs_set_zones_gw -- the same for one Gateway (the controller's pass
 * touches only its own); the notes go to notes, or nowhere when NULL. */
cc_err cc_inputs_set_zones_gw(struct cc_input_gw *ig, const struct cc_config *cfg,
                              cc_neg_zones_fn lookup, void *ud, struct cc_strv *notes);

/* cc_inputs_neg_names -- every NEG name any Gateway needs (for one
 * filtered list of the cloud's NEGs). */
cc_err cc_inputs_neg_names(const struct cc_inputs *in, struct cc_strv *out);

/* cc_neg_annotation_parse -- the NEG name and service port of a
 * `cloud.google.com/neg` annotation value
 * ({"exposed_ports":{"80":{"name":"neg"}}}); false when absent or malformed.
 * With several ports the lowest port wins. */
bool cc_neg_annotation_parse(const char *value, char *name, size_t namesz, int *port);

#endif
