/* observe.h -- observed cloud state from filtered, paginated lists.
 *
 * DESIGN
 * ------
 * One list per collection, never a GET per resource to discover state:
 *   compute   firewalls, addresses, healthChecks, backendServices, urlMaps,
 *             targetHttpProxies, targetHttpsProxies, forwardingRules of the
 *             project, server-side filter `name eq "cc1-.*"`;
 *   certmgr   dnsAuthorizations, certificates, certificateMaps filtered on
 *             the label `managed-by=cloudctl` (AIP-160), then the
 *             certificateMapEntries of each map we own;
 *   dns       every rrset of the configured zone;
 * all pages of each (pageToken loops).  The only GETs are for external
 * nodes (the user's own address), which no filter of ours can find.
 *
 * Every listed resource goes into the cache (struct cc_gke_cache) under its
 * canonical key -- the "projects/..." suffix of its selfLink (compute), its
 * name (certmgr), projects/P/managedZones/Z/rrsets/<name>/<TYPE> (dns) --
 * with its owner: the description mark (naming.h) for compute and certmgr;
 * for DNS the companion TXT record "cloudctl-owner-<type>.<name>" holding
 * "cloudctl.dev/owner=<owner>" (a TXT ownership record owns itself).
 *
 * Applying the cache to a graph (cc_gke_observe_apply):
 *   - a desired node whose resource carries the mark of its own owner gets
 *     the observed body and CC_NODE_OWNED;
 *   - a desired node whose resource has no mark or another owner's gets the
 *     observed body without CC_NODE_OWNED and a conflict is reported: the
 *     executor refuses to update or delete it;
 *   - an owned resource no node wants, whose owner is in this fleet (and in
 *     the scope's owner list when one is given, for a destroy of some
 *     Gateways) becomes an observed-only node of its kind, so the planner
 *     deletes it in reverse dependency order;
 *   - external nodes get the observed body, never the owned flag.
 *
 * The executor updates the cache with the results of its own writes (the
 * GET after a create or update; removal after a delete), so a caller that
 * keeps the cache between passes (the controller) can skip the lists with
 * use_cache; `cloudctl apply` lists every time.
 *
 * NEG discovery: one aggregated list of networkEndpointGroups filtered by
 * name gives each named NEG's zones; a NEG found in no zone is reported
 * missing and left out, never made up.
 */
#ifndef CC_GKE_OBSERVE_H
#define CC_GKE_OBSERVE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/graph.h"
#include "core/map.h"
#include "core/strv.h"
#include "providers/gke/api.h"

#define CC_GKE_NAME_FILTER  "name eq \"cc1-.*\""
#define CC_GKE_LABEL_FILTER "labels.managed-by=\"cloudctl\""
#define CC_GKE_TXT_PREFIX   "cloudctl-owner-"
#define CC_GKE_TXT_MARK     "cloudctl.dev/owner="
/* added to a forwarding rule's observed body: the key of the address whose
 * IP it uses (the API returns only the IP) */
#define CC_GKE_ADDRESS_REF "cloudctl.dev/addressRef"

struct cc_gke_item {
        const struct cc_kind *kind;
        cJSON *body; /* owned */
        char *owner; /* "fleet/ns/name" from the mark, NULL when unmarked or not ours */
};

struct cc_gke_cache {
        struct cc_map items; /* key -> struct cc_gke_item * */
        bool warm;           /* filled by a complete observe */
        /* owner -> struct cc_strv * of the keys of its items: applying the
         * cache for some owners reads their items, not the whole cache */
        struct cc_map by_owner;
        /* when set, every put and remove notes its key here, and a clear
         * sets dirty_lost: a list running meanwhile into another cache can
         * take these newer writes over before it replaces this one */
        struct cc_map *dirty;
        bool dirty_lost;
};

#define CC_GKE_CACHE_INIT                                    \
        {                                                    \
                CC_MAP_INIT, false, CC_MAP_INIT, NULL, false \
        }

void cc_gke_cache_release(struct cc_gke_cache *c);
void cc_gke_cache_clear(struct cc_gke_cache *c);
/* cc_gke_cache_put -- record a resource (body is taken in every case;
 * owner may be NULL).  CC_OK or CC_NOMEM. */
cc_err cc_gke_cache_put(struct cc_gke_cache *c, const struct cc_kind *kind, const char *key,
                        cJSON *body, const char *owner);
void cc_gke_cache_remove(struct cc_gke_cache *c, const char *key);
struct cc_gke_item *cc_gke_cache_get(const struct cc_gke_cache *c, const char *key);

struct cc_gke_scope {
        const char *project;
        const char *fleet;
        const char *dns_zone;      /* NULL = no DNS */
        const char *const *owners; /* destroy scope: only these owners' orphans; NULL = fleet.
                                    * Borrowed, and kept until the observe callback fired:
                                    * it must outlive the call (not a stack array) */
        size_t nowners;
};

struct cc_gke_observe_opts {
        struct cc_gke_scope scope;
        bool use_cache; /* a warm cache is applied as is, without a call */
        /* with use_cache and a warm cache: GET every desired node of this
         * kind in the graph first (a certificate whose state may have
         * changed), update the cache with the result (removed on 404), then
         * apply -- one call per such node instead of every list.  NULL =
         * none.  Certificate Manager and compute kinds only. */
        const struct cc_kind *refresh;
        /* at most this many lists in flight at once (their pages one after
         * another), the rest wait their turn: a background list leaves the
         * connections to the foreground's calls.  0 = no limit. */
        size_t max_lists;
};

struct cc_gke_observe_result {
        cc_err rc; /* CC_OK, or the first list that failed */
        struct cc_diag d;
        struct cc_strv conflicts; /* one message per resource we may not touch */
        size_t listed;            /* resources the lists returned */
        size_t adopted;           /* observed-only nodes added (to be deleted) */
        bool from_cache;          /* no list ran (refreshed nodes may have been read) */
        size_t refreshed;         /* nodes read for opts.refresh */
};

void cc_gke_observe_result_release(struct cc_gke_observe_result *r);

typedef void (*cc_gke_observe_fn)(struct cc_gke_observe_result *res, void *ud);

/* cc_gke_observe -- fill g's observed state.  res (the caller's, cleared
 * here) receives the outcome.  CC_OK: done from the warm cache, fn never
 * fires.  CC_AGAIN: lists are running, fn(res, ud) fires once when all have
 * finished (g and res must live until then).  Other: nothing started. */
cc_err cc_gke_observe(struct cc_gke_api *api, struct cc_gke_cache *cache,
                      const struct cc_gke_observe_opts *o, struct cc_graph *g,
                      struct cc_gke_observe_result *res, cc_gke_observe_fn fn, void *ud,
                      struct cc_diag *d);

/* cc_gke_observe_apply -- apply the cache to g (the synchronous part).
 * With scope owners it reads the graph's keys and those owners' items (by
 * the owner index), so its cost does not grow with the cache. */
cc_err cc_gke_observe_apply(const struct cc_gke_cache *cache, const struct cc_gke_scope *s,
                            struct cc_graph *g, struct cc_gke_observe_result *res);

/* --- parsing, exposed for tests ------------------------------------------ */

/* cc_gke_item_key -- the canonical key of a listed resource of kind (zone:
 * the DNS zone for rrsets).  CC_INVAL when the body lacks what it needs. */
cc_err cc_gke_item_key(const struct cc_kind *kind, const cJSON *body, const char *project,
                       const char *zone, char *out, size_t outsz);

/* cc_gke_item_mark -- the owner recorded in a compute or certmgr body's
 * description, or in a TXT ownership record's rrdatas.  False when none. */
bool cc_gke_item_mark(const struct cc_kind *kind, const cJSON *body, char *owner, size_t ownersz);

/* cc_gke_txt_name -- the ownership record name for a record: type "A",
 * name "www.example.com." -> "cloudctl-owner-a.www.example.com.". */
void cc_gke_txt_name(char *out, size_t outsz, const char *type, const char *name);

/* --- NEG zones ----------------------------------------------------------- */

struct cc_gke_neg_zone {
        char *name;
        char *zone;
};

struct cc_gke_negs_result {
        cc_err rc;
        struct cc_diag d;
        struct cc_gke_neg_zone *found; /* every (name, zone) pair, sorted */
        size_t nfound;
        struct cc_strv missing; /* names found in no zone */
};

void cc_gke_negs_result_release(struct cc_gke_negs_result *r);

typedef void (*cc_gke_negs_fn)(struct cc_gke_negs_result *res, void *ud);

/* cc_gke_negs_discover -- the zones of the named NEGs (names are
 * [a-z0-9-]).  CC_AGAIN: fn(res) fires later (res is the caller's). */
cc_err cc_gke_negs_discover(struct cc_gke_api *api, const char *project, const char *const *names,
                            size_t n, struct cc_gke_negs_result *res, cc_gke_negs_fn fn, void *ud,
                            struct cc_diag *d);

#endif
