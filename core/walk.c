/* walk.c -- run the steps of a plan concurrently, dependents after their prerequisites. */
#include "core/walk.h"

#include <string.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/banned.h"

const char *
cc_step_state_name(enum cc_step_state s)
{
        static const char *const names[] = { "pending", "running", "done",
                                             "failed",  "blocked", "canceled" };

        return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

static void dispatch(struct cc_walk *w);

static void
notify(struct cc_walk *w, size_t i)
{
        if (w->opts.progress)
                w->opts.progress(w, i, w->opts.ud);
}

static void
kick_cb(struct cc_timer *t, void *ud)
{
        struct cc_walk *w = ud;

        (void)t;
        w->kick = NULL;
        dispatch(w);
}

/* run dispatch on the next loop iteration (never re-enter the executor) */
static void
kick(struct cc_walk *w)
{
        if (w->kick || w->finished)
                return;
        if (cc_timer_start(w->loop, 0, 0, kick_cb, w, &w->kick) != CC_OK)
                w->kick = NULL;
}

/* mark every step after i (transitively) blocked by root */
static void
block_dependents(struct cc_walk *w, size_t i, size_t root)
{
        size_t k;

        for (k = 0; k < w->steps[i].nsucc; k++) {
                size_t s = w->steps[i].succ[k];

                if (w->steps[s].state != CC_STEP_PENDING)
                        continue;
                w->steps[s].state = CC_STEP_BLOCKED;
                w->steps[s].blocked_by = root;
                w->nblocked++;
                CC_INFO("walk", "step blocked", CC_S("step", w->plan->steps[s].node->key),
                        CC_S("by", w->plan->steps[root].node->key));
                notify(w, s);
                block_dependents(w, s, root);
        }
}

static void
finish_step(struct cc_walk *w, size_t i, cc_err rc, const struct cc_diag *d)
{
        struct cc_walk_step *st = &w->steps[i];
        size_t k;

        st->ended_ms = cc_loop_now_ms(w->loop);
        if (rc == CC_OK) {
                st->state = CC_STEP_DONE;
                w->ndone++;
                for (k = 0; k < st->nsucc; k++) {
                        size_t s = st->succ[k];

                        if (w->steps[s].state == CC_STEP_PENDING && --w->steps[s].npending == 0)
                                w->ready[w->nready++] = s;
                }
        } else {
                st->state = CC_STEP_FAILED;
                if (d && d->code != CC_OK)
                        st->diag = *d;
                else
                        cc_diag_set(&st->diag, rc, 0, "%s %s '%s' failed: %s",
                                    cc_action_name(w->plan->steps[i].action),
                                    w->plan->steps[i].node->kind->label,
                                    w->plan->steps[i].node->name, cc_err_name(rc));
                st->diag.code = rc;
                w->nfailed++;
                block_dependents(w, i, i);
        }
        notify(w, i);
}

static void
dispatch(struct cc_walk *w)
{
        if (w->dispatching || w->finished)
                return;
        w->dispatching = true;
        while (w->nready && !w->canceled &&
               (!w->opts.max_parallel || w->running < w->opts.max_parallel)) {
                /* lowest index first: the plan's stable order */
                size_t k, best = 0, i;
                struct cc_walk_step *st;
                struct cc_diag d;
                size_t unresolved = 0;
                cc_err rc;

                for (k = 1; k < w->nready; k++)
                        if (w->ready[k] < w->ready[best])
                                best = k;
                i = w->ready[best];
                w->ready[best] = w->ready[--w->nready];
                st = &w->steps[i];
                st->state = CC_STEP_RUNNING;
                st->started_ms = cc_loop_now_ms(w->loop);
                w->running++;
                notify(w, i);

                cc_diag_clear(&d);
                rc = cc_node_resolve(w->graph, w->plan->steps[i].node, &unresolved);
                if (rc == CC_OK && unresolved && w->plan->steps[i].action != CC_ACT_DELETE)
                        rc = cc_diag_set(&d, CC_INTERNAL, 0,
                                         "cannot %s %s '%s': a value it needs is not known yet",
                                         cc_action_name(w->plan->steps[i].action),
                                         w->plan->steps[i].node->kind->label,
                                         w->plan->steps[i].node->name);
                if (rc == CC_OK)
                        rc = w->opts.exec(w, i, w->opts.ud, &d);
                if (rc == CC_AGAIN)
                        continue;
                w->running--;
                finish_step(w, i, rc, &d);
        }
        w->dispatching = false;
        if (!w->running && (!w->nready || w->canceled) && !w->finished) {
                size_t i;

                for (i = 0; i < w->plan->n; i++) {
                        if (w->steps[i].state == CC_STEP_PENDING) {
                                w->steps[i].state = CC_STEP_CANCELED;
                                w->ncanceled++;
                        }
                }
                w->nready = 0;
                w->finished = true;
                if (w->kick) {
                        cc_timer_cancel(w->kick);
                        w->kick = NULL;
                }
                w->opts.finished(w, w->opts.ud);
        }
}

void
cc_walk_step_done(struct cc_walk *w, size_t i, cc_err rc, const struct cc_diag *d)
{
        if (i >= w->plan->n || w->steps[i].state != CC_STEP_RUNNING)
                return;
        w->running--;
        finish_step(w, i, rc, d);
        dispatch(w);
}

void
cc_walk_cancel(struct cc_walk *w)
{
        w->canceled = true;
        kick(w);
}

void
cc_walk_release(struct cc_walk *w)
{
        size_t i;

        if (!w)
                return;
        if (w->kick) {
                cc_timer_cancel(w->kick);
                w->kick = NULL;
        }
        for (i = 0; w->steps && i < w->plan->n; i++)
                cc_free(w->steps[i].succ);
        cc_free(w->steps);
        cc_free(w->ready);
        w->steps = NULL;
        w->ready = NULL;
}

cc_err
cc_walk_start(struct cc_walk *w, struct cc_loop *loop, struct cc_graph *graph, struct cc_plan *plan,
              const struct cc_walk_opts *o, struct cc_diag *d)
{
        size_t i, k;

        memset(w, 0, sizeof(*w));
        if (!o || !o->exec || !o->finished)
                return cc_diag_set(d, CC_INVAL, 0,
                                   "walk needs an executor and a finished callback");
        w->loop = loop;
        w->graph = graph;
        w->plan = plan;
        w->opts = *o;
        w->steps = cc_calloc(plan->n + 1, sizeof(*w->steps));
        w->ready = cc_calloc(plan->n + 1, sizeof(*w->ready));
        if (!w->steps || !w->ready)
                goto nomem;
        for (i = 0; i < plan->n; i++) {
                const struct cc_step *s = &plan->steps[i];

                w->steps[i].npending = s->nafter;
                for (k = 0; k < s->nafter; k++) {
                        struct cc_walk_step *pre = &w->steps[s->after[k]];

                        if (s->after[k] >= i) {
                                cc_walk_release(w);
                                return cc_diag_set(d, CC_INVAL, 0,
                                                   "plan is not in dependency order");
                        }
                        if (CC_GROW(pre->succ, pre->succ_cap, pre->nsucc + 1))
                                goto nomem;
                        pre->succ[pre->nsucc++] = i;
                }
                if (!s->nafter)
                        w->ready[w->nready++] = i;
        }
        if (cc_timer_start(loop, 0, 0, kick_cb, w, &w->kick) != CC_OK)
                goto nomem;
        return CC_AGAIN;
nomem:
        cc_walk_release(w);
        return cc_diag_set(d, CC_NOMEM, 0, "out of memory");
}
