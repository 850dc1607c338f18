/* graph.h -- the resource graph: nodes, kind descriptors, and diff.
 *
 * DESIGN
 * ------
 * Everything cloudctl manages is a node: a compute resource, a Certificate
 * Manager resource, a DNS record set, a Kubernetes object.  A node is keyed
 * by its canonical path -- the part of its URL from "projects/" on
 * ("projects/p/global/urlMaps/cc1-um-x"), or "k8s/<cluster>/<ns>/<kind>/<name>"
 * for Kubernetes objects -- so the same resource found through any endpoint
 * or URL form is the same node.
 *
 * A node carries its desired body (what translate wants; NULL = not wanted)
 * and its observed body (what the cloud has; NULL = absent), the keys of the
 * nodes it must come after, and its owner.  The kind descriptor, a const
 * table entry owned by the module that knows the API, says how to compare
 * and how to execute.  The engine never looks inside a provider.
 *
 * diff compares desired fields against observed ones: fields the desired body
 * does not name are ignored (output-only fields, server defaults); a desired
 * empty array, object or string equals an absent field (GCP omits empty
 * repeated fields); strings that name resources are compared by their
 * "projects/..." suffix; numbers with a relative tolerance.
 */
#ifndef CC_GRAPH_H
#define CC_GRAPH_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/map.h"
#include "core/strv.h"

enum cc_action {
        CC_ACT_NOOP = 0,
        CC_ACT_CREATE,
        CC_ACT_UPDATE,
        CC_ACT_REPLACE, /* same name: delete then create (see plan.h) */
        CC_ACT_DELETE,
};

/* kind flags */
enum {
        CC_KIND_NO_UPDATE = 1u << 0,   /* the API has no update: any change replaces */
        CC_KIND_FINGERPRINT = 1u << 1, /* updates carry the observed fingerprint */
};

struct cc_kind {
        const char *name;  /* "compute.urlMap" */
        const char *label; /* "url map", for plan lines and messages */
        unsigned flags;
        /* dotted JSON paths (NULL-terminated lists, or NULL) */
        const char *const *immutable; /* a change forces a replace */
        const char *const *ignore;    /* never compared (write-only secrets, ...) */
        const char *const *unordered; /* arrays compared as multisets */
        /* top-level fields of observed bodies that point back at users
         * (address.users, backendService.usedBy): not dependencies */
        const char *const *backrefs;
        const void *ops; /* execution hooks, owned by the provider (walk) */
};

/* node flags */
enum {
        CC_NODE_EXTERNAL = 1u << 0, /* not ours (user's address): read, never written */
        CC_NODE_OWNED = 1u << 1,    /* observed and carries our ownership mark */
};

struct cc_node {
        const struct cc_kind *kind;
        char *key;           /* canonical path, unique in the graph */
        char *name;          /* display name (default: the key's last segment) */
        char *owner;         /* "fleet/ns/name" of the owning Gateway, or NULL */
        cJSON *desired;      /* owned; NULL = not wanted */
        cJSON *observed;     /* owned; NULL = absent */
        struct cc_strv deps; /* keys of nodes its desired body needs (from translate) */
        struct cc_strv refs; /* keys of nodes its observed body references */
        unsigned flags;
        /* filled by cc_node_diff / the planner */
        enum cc_action action;
        struct cc_strv changed; /* changed field paths for UPDATE/REPLACE */
};

struct cc_graph {
        struct cc_node **nodes;
        size_t n, cap;
        struct cc_map index; /* key -> node */
};

#define CC_GRAPH_INIT                   \
        {                               \
                NULL, 0, 0, CC_MAP_INIT \
        }

void cc_graph_release(struct cc_graph *g);

/* cc_graph_add -- the node with this key, created if new (kind must match
 * an existing node's kind, else CC_CONFLICT). */
cc_err cc_graph_add(struct cc_graph *g, const struct cc_kind *kind, const char *key,
                    struct cc_node **out);
struct cc_node *cc_graph_get(const struct cc_graph *g, const char *key);

/* ownership of the JSON trees passes to the node (NULL clears) */
void cc_node_set_desired(struct cc_node *n, cJSON *desired);
void cc_node_set_observed(struct cc_node *n, cJSON *observed);
cc_err cc_node_set_owner(struct cc_node *n, const char *owner);
cc_err cc_node_set_name(struct cc_node *n, const char *name);
cc_err cc_node_add_dep(struct cc_node *n, const char *key);

/* cc_ref_suffix -- the "projects/..." part of a resource reference, or the
 * string itself when it has none; NULL-safe. */
const char *cc_ref_suffix(const char *s);

/* cc_diff -- compare desired against observed under kind's rules.  Appends
 * changed paths (sorted) to changed; sets *replace when an immutable field
 * changed.  Returns CC_OK or CC_NOMEM. */
cc_err cc_diff(const struct cc_kind *kind, const cJSON *desired, const cJSON *observed,
               struct cc_strv *changed, bool *replace);

/* cc_node_diff -- decide the node's action from desired/observed/flags. */
cc_err cc_node_diff(struct cc_node *n);

/* Deferred values.  A desired string of the form
 *   ${ref:<key>:<dotted.path>}
 * stands for a value only known once another resource exists (the address's
 * IP for a forwarding rule or an A record; a DNS authorization's CNAME data).
 * cc_graph_resolve replaces every such string whose target node is observed
 * and has the field; the rest stay as they are (diff then sees a change, and
 * the walk resolves them again once the target's step has run).  The target
 * must also be in the node's deps.  Returns the number left unresolved in
 * *unresolved (may be NULL). */
#define CC_REF_PREFIX "${ref:"
cc_err cc_graph_resolve(struct cc_graph *g, size_t *unresolved);
cc_err cc_node_resolve(const struct cc_graph *g, struct cc_node *n, size_t *unresolved);
/* cc_ref_make -- format "${ref:key:path}" into out */
void cc_ref_make(char *out, size_t outsz, const char *key, const char *path);

/* cc_graph_observed_refs -- fill each node's refs with the keys of the other
 * nodes its observed body references (so that deletes of orphans, which
 * have no desired body, still know their edges). */
cc_err cc_graph_observed_refs(struct cc_graph *g);

#endif
