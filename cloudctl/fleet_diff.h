/* fleet_diff.h -- desired-versus-observed comparison and readiness of the per-cluster gateways.
 *
 * Pure helpers of cloudctl/fleet.c, exposed for its unit tests.
 *
 * cc_fleet_subset() decides whether a write is needed: the desired object
 * is a "subset" of the observed one when every field cloudctl sets has the
 * same value in the observed object (objects: every desired key present
 * and equal, extra observed keys ignored, since the server defaults many;
 * arrays: the same length, compared element-wise with the same rule;
 * scalars: equal types and values, numbers as doubles).
 *
 * cc_fleet_neg_status() reads the annotation cloud.google.com/neg-status
 * that GKE's NEG controller writes on a Service:
 *   {"network_endpoint_groups":{"80":"cc1-neg-..."},"zones":["us-central1-a"]}
 * cc_fleet_readiness() combines it with the Deployment's status.
 */
#ifndef CC_FLEET_DIFF_H
#define CC_FLEET_DIFF_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "cloudctl/fleet.h"

/* cc_fleet_subset -- true when desired is a subset of observed (above).
 * Trees deeper than CC_JSON_MAX_DEPTH are never a subset. */
bool cc_fleet_subset(const cJSON *desired, const cJSON *observed);

/* cc_fleet_neg_status -- parse a neg-status annotation value.  port and
 * neg (both may be 0/NULL) name the expected entry: when the status maps
 * that port to another NEG name it is not the current one.  On true,
 * zones[0..*nzones) are filled (at most CC_FLEET_MAX_ZONES, each
 * truncated to 63 characters).  On false, why (>= 128 bytes) says what is
 * wrong: "not JSON", "no zones", ... */
bool cc_fleet_neg_status(const char *value, int port, const char *neg, char zones[][64],
                         size_t *nzones, char *why, size_t whysz);

/* cc_fleet_readiness -- fill r->state (READY or PROGRESSING), r->message,
 * r->zones and r->nzones from the observed Deployment and Service (either
 * may be NULL: not there yet) named ns/name.  port is the serving port;
 * r->neg the expected NEG name.  Zones are filled whenever the NEG status
 * is usable, also while the Deployment is not available. */
void cc_fleet_readiness(const cJSON *deployment, const cJSON *service, const char *ns,
                        const char *name, int port, struct cc_fleet_cluster_result *r);

#endif
