/* client.h -- the Kubernetes REST client on the shared loop.
 *
 * One struct cc_kube_client per cluster.  It turns resource operations
 * (get, list, create, update, delete, patch, status writes, watch) into
 * requests through core/http, applies the credentials of its
 * configuration to each one, and decodes the answers: the object, a list
 * with every page collected, or a Kubernetes Status turned into a diag.
 *
 * Async contract: every operation returns CC_AGAIN when it was accepted;
 * its done callback then fires exactly once, later, on the loop thread.
 * Any other return (CC_INVAL, CC_NOMEM, CC_CANCELED while the loop stops)
 * means the callback never fires.  *out (may be NULL) identifies the
 * operation for cc_kube_cancel() until the callback has returned.
 *
 * Outcome codes (rc of the done callback): CC_OK; CC_NOTFOUND (404, 410);
 * CC_CONFLICT (409: Conflict or AlreadyExists); CC_INVAL (400, 422, other
 * 4xx, a malformed answer); CC_AUTH (401, 403, a failing exec plugin);
 * CC_RATELIMIT, CC_TRANSIENT (after core/http's retries); CC_IO;
 * CC_CANCELED; CC_NOMEM; CC_TOOBIG.  res->status and res->reason (the
 * Status reason: "NotFound", "Conflict", "AlreadyExists", "Expired",
 * "Invalid", ...) tell the cases apart; res->diag.message reads
 *   cannot update gateways 'default/x': Conflict: Operation cannot be ...
 *
 * Authentication (applied per request, and only over https, as client-go
 * does: a plain http:// server never receives credentials):
 *   - a static token, or a token file re-read every token_refresh_ms (the
 *     in-cluster service-account token rotates) and after a 401;
 *   - a client certificate and key (files or PEM data);
 *   - an exec plugin, run (cc_child_spawn) when no credential is cached or
 *     the cached one expired; the credential is cached until its
 *     expirationTimestamp; a 401 invalidates it and the request is sent
 *     once more with a fresh one.  Requests made while the plugin runs wait
 *     for it.
 * Server verification uses the CA file or data of the configuration, else
 * the system store.  insecure-skip-tls-verify and tls-server-name are not
 * supported over https (core/http has no such switch): client creation
 * fails with CC_NOTSUP.
 *
 * Lifetime: the client must be freed before the http client and the loop.
 * cc_kube_client_free() completes every outstanding operation with
 * CC_CANCELED (callbacks fire before it returns).
 */
#ifndef CC_KUBE_CLIENT_H
#define CC_KUBE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/http.h"
#include "core/loop.h"
#include "kube/config.h"

/* --- resources ----------------------------------------------------------- */

struct cc_kube_resource {
        const char *group;    /* "" for the core group */
        const char *version;  /* "v1" */
        const char *resource; /* plural, "gateways" */
        const char *kind;     /* "Gateway" */
        bool namespaced;
        bool has_status; /* has the /status subresource */
};

/* The kinds cloudctl uses: Namespace, Service, Secret, ConfigMap,
 * ServiceAccount, Event, Pod, Deployment, EndpointSlice, Lease,
 * GatewayClass, Gateway, HTTPRoute, GRPCRoute, ReferenceGrant,
 * CustomResourceDefinition (read: the Gateway API bundle version). */
const struct cc_kube_resource *cc_kube_resource_by_kind(const char *kind);

/* cc_kube_resource_of -- the entry matching obj's apiVersion and kind, or
 * NULL. */
const struct cc_kube_resource *cc_kube_resource_of(const cJSON *obj);

/* cc_kube_api_version -- "v1" or "group/version" into buf. */
const char *cc_kube_api_version(const struct cc_kube_resource *r, char *buf, size_t size);

/* --- URLs ---------------------------------------------------------------- */

struct cc_kube_query {
        const char *label_selector;
        const char *field_selector;
        long limit;                   /* 0 = none */
        const char *continue_token;   /* "continue" */
        const char *resource_version; /* list/watch start point */
        bool watch;
        bool allow_bookmarks;
        long timeout_seconds; /* watch; 0 = none */
        const char *field_manager;
        bool force; /* apply patches only */
};

/* cc_kube_url -- append server + the resource path + query to out.
 *   core:  /api/v1[/namespaces/{ns}]/{plural}[/{name}[/{sub}]]
 *   group: /apis/{g}/{v}[/namespaces/{ns}]/{plural}[/{name}[/{sub}]]
 * ns is ignored for cluster-scoped kinds; for namespaced kinds NULL means
 * all namespaces (collections only).  Path segments and query values are
 * escaped with curl's escaper.  CC_INVAL (a namespaced item without ns,
 * a sub without name, empty segments), CC_NOMEM, CC_TOOBIG. */
cc_err cc_kube_url(struct cc_buf *out, const char *server, const struct cc_kube_resource *r,
                   const char *ns, const char *name, const char *sub,
                   const struct cc_kube_query *q);

/* --- Status errors ------------------------------------------------------- */

/* cc_kube_status_decode -- an error answer into d.  http_status is the
 * HTTP status (0 for a watch ERROR event: the Status's code is used).
 * body[0..len) is decoded as a Status if it is one; reason (may be NULL)
 * receives Status.reason or "".  The message is "<what>: <reason>:
 * <message>" or "<what>: http status N" for a body that is not a Status.
 * Returns the code it set (see the outcome codes above). */
cc_err cc_kube_status_decode(int http_status, const char *body, size_t len, const char *what,
                             struct cc_diag *d, char *reason, size_t reason_size);

/* --- the client ---------------------------------------------------------- */

struct cc_kube_client;
struct cc_kube_op;

struct cc_kube_client_opts {
        const char *user_agent;     /* NULL = the http client's */
        const char *rate_group;     /* core/http rate limit group; NULL = none */
        uint64_t token_refresh_ms;  /* token file re-read period; 0 = 60 s */
        time_t (*wall_now)(void *); /* wall clock for credential expiry; NULL = time() */
        void *clock_ud;
};

struct cc_kube_result {
        int status;          /* HTTP status, 0 if none */
        cJSON *obj;          /* the decoded answer or NULL; the callback may take it (set NULL) */
        struct cc_diag diag; /* the error, code CC_OK on success */
        char reason[64];     /* Status.reason on error, "" otherwise */
};

typedef void (*cc_kube_done_fn)(struct cc_kube_op *op, cc_err rc, struct cc_kube_result *res,
                                void *ud);

/* A watch event: type is ADDED, MODIFIED, DELETED, BOOKMARK or ERROR;
 * *object is the event's object, which the callback may take (set it to
 * NULL; free it with cJSON_Delete).  Returning anything but CC_OK stops
 * the watch; the done callback then fires with that code. */
typedef cc_err (*cc_kube_event_fn)(struct cc_kube_op *op, const char *type, cJSON **object,
                                   void *ud);

/* cc_kube_client_new -- a client for cfg on http; both are borrowed and
 * must outlive the client.  o may be NULL.  CC_OK, CC_NOMEM, CC_NOTSUP. */
cc_err cc_kube_client_new(struct cc_http *http, const struct cc_kube_config *cfg,
                          const struct cc_kube_client_opts *o, struct cc_kube_client **out,
                          struct cc_diag *d);

/* cc_kube_client_free -- cancel everything (callbacks fire with
 * CC_CANCELED before this returns) and free.  NULL-safe.  Not to be called
 * from inside a callback of this client's operations. */
void cc_kube_client_free(struct cc_kube_client *k);

/* cc_kube_client_namespace -- the configuration's default namespace. */
const char *cc_kube_client_namespace(const struct cc_kube_client *k);
struct cc_loop *cc_kube_client_loop(const struct cc_kube_client *k);

/* Namespaces: for namespaced kinds a NULL ns means the client's default
 * namespace (for list and watch: all namespaces); for cluster-scoped kinds
 * ns is ignored.  create/update take ns and name from the object's
 * metadata when the argument is NULL. */

cc_err cc_kube_get(struct cc_kube_client *k, const struct cc_kube_resource *r, const char *ns,
                   const char *name, cc_kube_done_fn fn, void *ud, struct cc_kube_op **out,
                   struct cc_diag *d);

struct cc_kube_list_opts {
        const char *label_selector;
        const char *field_selector;
        long page_size; /* limit per request; 0 = 500 */
};

/* cc_kube_list -- every page (limit/continue) collected into one List
 * object: {"kind":"<Kind>List","metadata":{"resourceVersion": first
 * page's},"items":[...]}. */
cc_err cc_kube_list(struct cc_kube_client *k, const struct cc_kube_resource *r, const char *ns,
                    const struct cc_kube_list_opts *lo, cc_kube_done_fn fn, void *ud,
                    struct cc_kube_op **out, struct cc_diag *d);

cc_err cc_kube_create(struct cc_kube_client *k, const struct cc_kube_resource *r, const char *ns,
                      const cJSON *obj, cc_kube_done_fn fn, void *ud, struct cc_kube_op **out,
                      struct cc_diag *d);

/* cc_kube_update -- PUT obj (optimistic concurrency: obj must carry
 * metadata.resourceVersion, else CC_INVAL; a stale one gives CC_CONFLICT).
 * cc_kube_update_status PUTs to /status. */
cc_err cc_kube_update(struct cc_kube_client *k, const struct cc_kube_resource *r, const cJSON *obj,
                      cc_kube_done_fn fn, void *ud, struct cc_kube_op **out, struct cc_diag *d);
cc_err cc_kube_update_status(struct cc_kube_client *k, const struct cc_kube_resource *r,
                             const cJSON *obj, cc_kube_done_fn fn, void *ud,
                             struct cc_kube_op **out, struct cc_diag *d);

struct cc_kube_delete_opts {
        const char *propagation;      /* "Background", "Foreground", "Orphan"; NULL = server's */
        const char *resource_version; /* precondition; NULL = none */
        const char *uid;              /* precondition; NULL = none */
};

cc_err cc_kube_delete(struct cc_kube_client *k, const struct cc_kube_resource *r, const char *ns,
                      const char *name, const struct cc_kube_delete_opts *o, cc_kube_done_fn fn,
                      void *ud, struct cc_kube_op **out, struct cc_diag *d);

enum cc_kube_patch_type {
        CC_KUBE_PATCH_MERGE,     /* application/merge-patch+json */
        CC_KUBE_PATCH_JSON,      /* application/json-patch+json */
        CC_KUBE_PATCH_STRATEGIC, /* application/strategic-merge-patch+json (built-ins only) */
        CC_KUBE_PATCH_APPLY,     /* application/apply-patch+yaml (server-side apply) */
};

struct cc_kube_patch_opts {
        const char *subresource;   /* NULL or "status" */
        const char *field_manager; /* required for APPLY */
        bool force;                /* APPLY: take fields owned by other managers */
};

/* cc_kube_patch -- PATCH name with patch (an object, or an array for JSON
 * patch).  A metadata.resourceVersion inside a merge patch is a
 * precondition on the server. */
cc_err cc_kube_patch(struct cc_kube_client *k, const struct cc_kube_resource *r, const char *ns,
                     const char *name, enum cc_kube_patch_type type, const cJSON *patch,
                     const struct cc_kube_patch_opts *o, cc_kube_done_fn fn, void *ud,
                     struct cc_kube_op **out, struct cc_diag *d);

struct cc_kube_watch_opts {
        const char *label_selector;
        const char *field_selector;
        const char *resource_version; /* start after this RV; NULL/"0" = from the current state */
        bool allow_bookmarks;
        long timeout_seconds; /* server-side end of the stream; 0 = 300 */
};

/* cc_kube_watch -- stream events to ev until the server ends the stream
 * (done with CC_OK), an error, ev's refusal, or cc_kube_cancel().  An HTTP
 * 410 ends it with CC_NOTFOUND and status 410; an ERROR event is passed to
 * ev like any other. */
cc_err cc_kube_watch(struct cc_kube_client *k, const struct cc_kube_resource *r, const char *ns,
                     const struct cc_kube_watch_opts *o, cc_kube_event_fn ev, cc_kube_done_fn fn,
                     void *ud, struct cc_kube_op **out, struct cc_diag *d);

/* cc_kube_cancel -- the operation completes with CC_CANCELED (later, on
 * the loop thread); no event callback fires after this call.  No-op once
 * the done callback has started. */
void cc_kube_cancel(struct cc_kube_op *op);

#endif
