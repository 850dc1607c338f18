/* plan.h -- order the graph's changes into a plan of steps.
 *
 * DESIGN
 * ------
 * A plan is data: an array of steps in a topological order, each naming the
 * steps it must come after.  Edges mean "must happen after":
 *   - a create/update/replace comes after the creates/updates/replaces of
 *     the nodes it depends on (a backend service after its health check);
 *   - a delete comes after every change of the nodes that depend on it
 *     (an old backend service is deleted after the url map stops naming it),
 *     so deletes run in reverse dependency order;
 *   - a node depending on a node that is being deleted is a translate bug and
 *     is reported.
 * REPLACE keeps the name (the API cannot rename), so it is executed as
 * delete-then-create; that is only possible when nothing else references the
 * node, else the plan is refused with a message naming the referrer: kinds
 * that others reference carry their immutable inputs in their names, so that
 * a change becomes create-new / repoint / delete-old (make-before-break).
 * Cycles are rejected with the path that closes them.
 */
#ifndef CC_PLAN_H
#define CC_PLAN_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/graph.h"

struct cc_step {
        struct cc_node *node;
        enum cc_action action;
        size_t *after; /* indices of steps that must finish first */
        size_t nafter, after_cap;
};

struct cc_plan {
        struct cc_step *steps; /* topological order, ties broken by key */
        size_t n, cap;
        size_t ncreate, nupdate, nreplace, ndelete;
};

#define CC_PLAN_INIT                   \
        {                              \
                NULL, 0, 0, 0, 0, 0, 0 \
        }

/* cc_plan_build -- diff every node and order the changes.  On error the
 * plan is empty and d says why (cycle path, replace of a referenced node,
 * dependency on a deleted node). */
cc_err cc_plan_build(struct cc_graph *g, struct cc_plan *plan, struct cc_diag *d);
void cc_plan_release(struct cc_plan *plan);

/* cc_plan_print -- one stable line per step:
 *   + url map 'cc1-um-x'
 *   ~ backend service 'cc1-bs-x' (backends, timeoutSec)
 *   ± certificate 'cc1-cert-x' (managed.domains)
 *   - health check 'cc1-hc-old'
 * and a summary line "plan: 1 to create, 1 to update, 1 to replace, 1 to delete". */
cc_err cc_plan_print(const struct cc_plan *plan, struct cc_buf *out);

char cc_action_symbol(enum cc_action a); /* + ~ ! - (ASCII; the printer uses ±) */
const char *cc_action_name(enum cc_action a);

#endif
