/* informer.h -- list then watch one kind, keep a cache, report changes once.
 *
 * An informer lists a collection (pages collected), then watches it from
 * the list's resourceVersion with bookmarks, keeping a cache of the
 * objects keyed "namespace/name" (or "name" for cluster-scoped kinds).
 * Handlers fire exactly once per change, also across relists:
 *
 *   - a watch event whose object has the resourceVersion already cached
 *     is a duplicate and fires nothing;
 *   - a relist compares each listed object with the cache: new -> add,
 *     different resourceVersion -> update, same -> nothing; objects cached
 *     but missing from the list get a synthesized delete (with their last
 *     known state).
 *
 * Recovery: a watch that ends cleanly is resumed from the last
 * resourceVersion seen (event or bookmark).  410 Gone, as the HTTP status
 * or as an ERROR event with code 410, triggers a relist at once.  Other
 * failures (list or watch) retry after an exponential backoff with full
 * jitter; the backoff resets once a list succeeds or a watch delivers.
 *
 * Handlers run on the loop thread; the objects they get are valid during
 * the call only (the cache owns them).  Handlers may read the informer
 * (get, iterate) and call cc_kube_informer_stop(), but must not free it.
 *
 * Lifecycle: new -> start -> ... -> stop -> free.  Stop the informer before
 * freeing its client.  A loop stop stops it too.  Free may be called with
 * a request still completing; the memory goes when it has.
 */
#ifndef CC_KUBE_INFORMER_H
#define CC_KUBE_INFORMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/err.h"
#include "kube/client.h"

struct cc_kube_informer;

struct cc_kube_informer_handlers {
        void (*on_add)(const cJSON *obj, void *ud);
        void (*on_update)(const cJSON *old, const cJSON *obj, void *ud);
        void (*on_delete)(const cJSON *obj, void *ud); /* the last known state */
        void (*on_synced)(void *ud);                   /* once, after the first list */
};

struct cc_kube_informer_opts {
        const char *ns; /* namespaced kinds: NULL = all namespaces */
        const char *label_selector;
        const char *field_selector;
        long page_size;           /* list limit; 0 = 500 */
        long watch_timeout_s;     /* server-side watch timeout; 0 = random 300..600 */
        uint64_t backoff_base_ms; /* 0 = 200 */
        uint64_t backoff_cap_ms;  /* 0 = 30000 */
        uint64_t seed;            /* jitter seed; 0 = from the clock */
};

struct cc_kube_informer_stats {
        unsigned lists;      /* list operations completed successfully */
        unsigned watches;    /* watch requests started */
        unsigned relists410; /* relists caused by 410 Gone */
        unsigned failures;   /* list or watch failures (backoff applied) */
};

/* cc_kube_informer_new -- an informer for r through k.  k may be NULL for
 * tests that feed the bookkeeping functions below by hand (start then
 * fails with CC_INVAL).  h and o are copied (strings too); h may have NULL
 * members.  CC_OK, CC_NOMEM, CC_INVAL. */
cc_err cc_kube_informer_new(struct cc_kube_client *k, const struct cc_kube_resource *r,
                            const struct cc_kube_informer_opts *o,
                            const struct cc_kube_informer_handlers *h, void *ud,
                            struct cc_kube_informer **out, struct cc_diag *d);

/* cc_kube_informer_start -- begin listing.  CC_OK (work continues on the
 * loop until stop), CC_INVAL (no client, already started), or the list's
 * error (CC_NOMEM, CC_CANCELED). */
cc_err cc_kube_informer_start(struct cc_kube_informer *inf, struct cc_diag *d);

/* cc_kube_informer_stop -- cancel the request in flight and any retry
 * timer; no handler fires afterwards.  Idempotent. */
void cc_kube_informer_stop(struct cc_kube_informer *inf);

/* cc_kube_informer_free -- stop and free (the cache too).  NULL-safe. */
void cc_kube_informer_free(struct cc_kube_informer *inf);

bool cc_kube_informer_has_synced(const struct cc_kube_informer *inf);

/* cc_kube_informer_get -- the cached object or NULL (ns ignored for
 * cluster-scoped kinds).  Valid until the loop runs again. */
const cJSON *cc_kube_informer_get(const struct cc_kube_informer *inf, const char *ns,
                                  const char *name);

size_t cc_kube_informer_len(const struct cc_kube_informer *inf);

/* iteration: for (i = 0; cc_kube_informer_next(inf, &i, &obj);) */
bool cc_kube_informer_next(const struct cc_kube_informer *inf, size_t *iter, const cJSON **obj);

/* cc_kube_informer_resource_version -- where the next watch starts ("" before the first list). */
const char *cc_kube_informer_resource_version(const struct cc_kube_informer *inf);

void cc_kube_informer_stats(const struct cc_kube_informer *inf, struct cc_kube_informer_stats *s);

/* --- bookkeeping, used by the list/watch driver and by tests -------------- */

/* cc_kube_informer_replace -- apply a (re)list: list is a List object, taken
 * over in every case.  Fires the handlers as described at the top and
 * on_synced after the first one.  CC_OK, CC_INVAL (not a list), CC_NOMEM. */
cc_err cc_kube_informer_replace(struct cc_kube_informer *inf, cJSON *list);

/* cc_kube_informer_event -- apply one watch event.  *obj may be taken (set
 * to NULL).  Returns CC_OK, CC_NOTFOUND when the event asks for a relist
 * (ERROR with code 410), CC_TRANSIENT for another ERROR event, CC_INVAL for
 * an unknown type or an object without a name, CC_NOMEM. */
cc_err cc_kube_informer_event(struct cc_kube_informer *inf, const char *type, cJSON **obj);

#endif
