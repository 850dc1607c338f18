/* walk.h -- execute a plan: every ready step concurrently on the loop.
 *
 * DESIGN
 * ------
 * The walk knows nothing about clouds.  It hands each step to an executor
 * (the provider's apply_step) as soon as every step it comes after has
 * succeeded, with at most max_parallel in flight.  A step that fails stops
 * only its dependents: they are marked BLOCKED and name the failed step as
 * their cause; independent branches go on.  Before a step runs, deferred
 * values in its node's desired body are resolved (core/graph.h), since the
 * steps it came after may have just produced them (an address's IP).
 *
 * Executor contract: exec(w, i, ud, d) starts step i and returns
 *   CC_AGAIN  it will call cc_walk_step_done(w, i, rc, diag) later, on the
 *             loop thread (never from inside exec);
 *   CC_OK     the step is already done (no call to cc_walk_step_done);
 *   other     the step failed with d filled.
 * The executor updates the node's observed body on success, so that later
 * resolutions and the next plan see the new state.
 *
 * finished(w, ud) fires once, on the loop thread, when no step is running
 * and none can start: all done, or the rest blocked, or canceled.
 */
#ifndef CC_WALK_H
#define CC_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/graph.h"
#include "core/loop.h"
#include "core/plan.h"

enum cc_step_state {
        CC_STEP_PENDING = 0,
        CC_STEP_RUNNING,
        CC_STEP_DONE,
        CC_STEP_FAILED,
        CC_STEP_BLOCKED, /* a step it depends on failed (blocked_by) */
        CC_STEP_CANCELED,
};

struct cc_walk_step {
        enum cc_step_state state;
        struct cc_diag diag; /* for FAILED */
        size_t blocked_by;   /* for BLOCKED: index of the failed step */
        uint64_t started_ms, ended_ms;
        size_t npending; /* prerequisites not yet done */
        size_t *succ;    /* steps that come after this one */
        size_t nsucc, succ_cap;
};

struct cc_walk;

typedef cc_err (*cc_walk_exec_fn)(struct cc_walk *w, size_t i, void *ud, struct cc_diag *d);

struct cc_walk_opts {
        size_t max_parallel; /* 0 = no limit */
        cc_walk_exec_fn exec;
        void (*progress)(struct cc_walk *w, size_t i,
                         void *ud); /* a step changed state; may be NULL */
        void (*finished)(struct cc_walk *w, void *ud);
        void *ud;
};

struct cc_walk {
        struct cc_loop *loop;
        struct cc_graph *graph;
        struct cc_plan *plan;
        struct cc_walk_opts opts;
        struct cc_walk_step *steps; /* parallel to plan->steps */
        size_t *ready;
        size_t nready;
        size_t running;
        size_t ndone, nfailed, nblocked, ncanceled;
        struct cc_timer *kick; /* deferred finish/dispatch */
        bool canceled;
        bool finished;
        bool dispatching;
};

/* cc_walk_start -- begin executing plan (which, like graph, must outlive the
 * walk).  Returns CC_AGAIN: finished fires later (also for an empty plan).
 * CC_NOMEM / CC_INVAL: nothing started, finished never fires. */
cc_err cc_walk_start(struct cc_walk *w, struct cc_loop *loop, struct cc_graph *graph,
                     struct cc_plan *plan, const struct cc_walk_opts *o, struct cc_diag *d);

/* cc_walk_step_done -- the executor reports step i finished (rc CC_OK or an
 * error with d; d may be NULL). */
void cc_walk_step_done(struct cc_walk *w, size_t i, cc_err rc, const struct cc_diag *d);

/* cc_walk_cancel -- start nothing new; steps not started become CANCELED.
 * Running steps finish (their executors should be canceled by the caller). */
void cc_walk_cancel(struct cc_walk *w);

/* cc_walk_release -- free the walk's memory (after finished fired, or
 * before starting).  NULL-safe. */
void cc_walk_release(struct cc_walk *w);

const char *cc_step_state_name(enum cc_step_state s);

#endif
