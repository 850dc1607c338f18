/* events.h -- Kubernetes Events about an object, aggregated like client-go's recorder.
 *
 * cc_kube_event() records (type, reason, message) about an involved
 * object.  The first occurrence creates a core/v1 Event named
 * "<object name>.<16 hex digits>" in the object's namespace (or "default"
 * for cluster-scoped objects) with count 1.  When the same (object, type,
 * reason, message) repeats within the window, the existing Event gets a
 * merge patch of count and lastTimestamp instead of a new object.
 * Occurrences made while the create or patch is still in flight are
 * counted and folded into the next patch.  If the Event disappeared
 * (404), the next occurrence creates a fresh one.  This is client-go's
 * EventCorrelator reduced to its deduplication; the spam filter and the
 * "similar events" combining are not implemented.
 *
 * Recording is fire and forget: failures are logged (component
 * "kube.events", warn), never reported to the caller, since an Event is
 * for humans and must not block reconciliation.
 */
#ifndef CC_KUBE_EVENTS_H
#define CC_KUBE_EVENTS_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/err.h"
#include "kube/client.h"

struct cc_kube_events;

struct cc_kube_events_opts {
        const char *component; /* source.component and reportingComponent, required */
        const char *instance;  /* reportingInstance (e.g. the pod name); may be NULL */
        uint64_t window_ms;    /* aggregation window; 0 = 10 minutes */
        /* clocks (tests): monotonic ms for the window (NULL = the loop's) and
         * wall seconds for the timestamps (NULL = time()) */
        uint64_t (*now_ms)(void *clock_ud);
        int64_t (*wall_s)(void *clock_ud);
        void *clock_ud;
};

/* cc_kube_events_new -- a recorder writing through k (borrowed; free the
 * recorder before k).  CC_OK, CC_INVAL, CC_NOMEM. */
cc_err cc_kube_events_new(struct cc_kube_client *k, const struct cc_kube_events_opts *o,
                          struct cc_kube_events **out, struct cc_diag *d);

/* cc_kube_events_free -- forget the aggregation state; requests in flight
 * complete on the loop (their memory goes then).  NULL-safe. */
void cc_kube_events_free(struct cc_kube_events *ev);

/* cc_kube_event -- record an event about obj (apiVersion, kind,
 * metadata.name/namespace/uid/resourceVersion are used).  type is "Normal"
 * or "Warning".  CC_OK when recorded or queued; CC_INVAL for a bad object
 * or arguments; CC_NOMEM. */
cc_err cc_kube_event(struct cc_kube_events *ev, const cJSON *obj, const char *type,
                     const char *reason, const char *message);

/* cc_kube_event_build -- the Event object for a first occurrence (exposed
 * for tests).  NULL on a bad object or allocation failure. */
cJSON *cc_kube_event_build(const cJSON *obj, const char *name, const char *type, const char *reason,
                           const char *message, const char *component, const char *instance,
                           const char *timestamp);

#endif
