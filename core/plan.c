/* plan.c -- diff, order, and print the changes of a resource graph. */
#include "core/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/banned.h"

const char *
cc_action_name(enum cc_action a)
{
        switch (a) {
        case CC_ACT_CREATE:
                return "create";
        case CC_ACT_UPDATE:
                return "update";
        case CC_ACT_REPLACE:
                return "replace";
        case CC_ACT_DELETE:
                return "delete";
        default:
                return "none";
        }
}

char
cc_action_symbol(enum cc_action a)
{
        switch (a) {
        case CC_ACT_CREATE:
                return '+';
        case CC_ACT_UPDATE:
                return '~';
        case CC_ACT_REPLACE:
                return '!';
        case CC_ACT_DELETE:
                return '-';
        default:
                return ' ';
        }
}

void
cc_plan_release(struct cc_plan *plan)
{
        size_t i;

        for (i = 0; i < plan->n; i++)
                cc_free(plan->steps[i].after);
        cc_free(plan->steps);
        memset(plan, 0, sizeof(*plan));
}

static bool
builds(enum cc_action a)
{
        return a == CC_ACT_CREATE || a == CC_ACT_UPDATE || a == CC_ACT_REPLACE;
}

static const char *
describe(const struct cc_node *n, char *buf, size_t sz)
{
        snprintf(buf, sz, "%s '%s'", n->kind->label, n->name);
        return buf;
}

/* working state: the changed nodes, their edges, in-degrees */
struct work {
        struct cc_node **nodes; /* changed nodes, sorted by key */
        size_t n;
        size_t **succ; /* succ[i]: indices that come after i */
        size_t *nsucc, *succ_cap;
        size_t **pred;
        size_t *npred, *pred_cap;
        struct cc_map idx; /* key -> index + 1 */
};

static void
work_release(struct work *w)
{
        size_t i;

        for (i = 0; i < w->n; i++) {
                if (w->succ)
                        cc_free(w->succ[i]);
                if (w->pred)
                        cc_free(w->pred[i]);
        }
        cc_free(w->succ);
        cc_free(w->nsucc);
        cc_free(w->succ_cap);
        cc_free(w->pred);
        cc_free(w->npred);
        cc_free(w->pred_cap);
        cc_free(w->nodes);
        cc_map_release(&w->idx);
}

static int
cmp_node(const void *a, const void *b)
{
        return strcmp((*(struct cc_node *const *)a)->key, (*(struct cc_node *const *)b)->key);
}

static cc_err
add_edge(struct work *w, size_t before, size_t after)
{
        size_t i;

        for (i = 0; i < w->npred[after]; i++)
                if (w->pred[after][i] == before)
                        return CC_OK;
        if (CC_GROW(w->pred[after], w->pred_cap[after], w->npred[after] + 1) ||
            CC_GROW(w->succ[before], w->succ_cap[before], w->nsucc[before] + 1))
                return CC_NOMEM;
        w->pred[after][w->npred[after]++] = before;
        w->succ[before][w->nsucc[before]++] = after;
        return CC_OK;
}

static long
index_of(const struct work *w, const char *key)
{
        void *v = cc_map_get(&w->idx, key);

        return v ? (long)((size_t)v - 1) : -1;
}

static cc_err
build_edges(struct cc_graph *g, struct work *w, struct cc_diag *d)
{
        size_t i, j;
        char a[320], b[320];
        cc_err rc = CC_OK;

        for (i = 0; i < g->n && !rc; i++) {
                struct cc_node *n = g->nodes[i];
                long ni = index_of(w, n->key);

                /* what n's desired body needs must exist first */
                for (j = 0; j < n->deps.n && !rc && builds(n->action); j++) {
                        struct cc_node *dep = cc_graph_get(g, n->deps.v[j]);
                        long di = index_of(w, n->deps.v[j]);

                        if (!dep)
                                continue; /* outside the graph (a network, a zone): exists */
                        if (dep->action == CC_ACT_DELETE)
                                return cc_diag_set(
                                    d, CC_INTERNAL, 0,
                                    "cannot plan %s: it needs %s, which is being deleted",
                                    describe(n, a, sizeof(a)), describe(dep, b, sizeof(b)));
                        if (di >= 0 && builds(dep->action))
                                rc = add_edge(w, (size_t)di, (size_t)ni);
                }
                /* what n references now may only go once n has let go of it */
                for (j = 0; j < n->refs.n && !rc; j++) {
                        struct cc_node *dep = cc_graph_get(g, n->refs.v[j]);
                        long di = index_of(w, n->refs.v[j]);

                        if (!dep || di < 0 ||
                            (dep->action != CC_ACT_DELETE && dep->action != CC_ACT_REPLACE))
                                continue;
                        if (dep->action == CC_ACT_REPLACE && n->action != CC_ACT_DELETE)
                                return cc_diag_set(
                                    d, CC_INVAL, 0, "cannot replace %s in place: %s references it",
                                    describe(dep, a, sizeof(a)), describe(n, b, sizeof(b)));
                        if (n->action == CC_ACT_NOOP)
                                return cc_diag_set(
                                    d, CC_CONFLICT, 0, "cannot delete %s: %s still references it",
                                    describe(dep, a, sizeof(a)), describe(n, b, sizeof(b)));
                        rc = add_edge(w, (size_t)ni, (size_t)di);
                }
        }
        if (rc)
                return cc_diag_set(d, rc, 0, "out of memory");
        return CC_OK;
}

/* find and describe a cycle among the nodes not yet ordered */
static void
report_cycle(struct work *w, const bool *done, struct cc_diag *d)
{
        size_t *path = cc_calloc(w->n + 1, sizeof(*path));
        bool *on = cc_calloc(w->n + 1, sizeof(*on));
        struct cc_buf msg = CC_BUF_INIT(4096);
        size_t len = 0, cur = 0, i, start = 0;
        char a[320];

        if (!path || !on)
                goto out;
        for (cur = 0; cur < w->n && done[cur]; cur++)
                ;
        /* walk predecessors that are not done; in a stuck set every node has one */
        while (cur < w->n && !on[cur]) {
                on[cur] = true;
                path[len++] = cur;
                for (i = 0; i < w->npred[cur]; i++)
                        if (!done[w->pred[cur][i]])
                                break;
                if (i == w->npred[cur])
                        goto out;
                cur = w->pred[cur][i];
        }
        for (i = 0; i < len; i++)
                if (path[i] == cur)
                        start = i;
        cc_buf_puts(&msg, "dependency cycle: ");
        /* print in "must come after" order reversed: a -> b means a needs b */
        for (i = start; i < len; i++) {
                cc_buf_printf(&msg, "%s -> ", describe(w->nodes[path[i]], a, sizeof(a)));
        }
        cc_buf_puts(&msg, describe(w->nodes[cur], a, sizeof(a)));
out:
        cc_diag_set(d, CC_INVAL, 0, "%s", msg.len ? cc_buf_str(&msg) : "dependency cycle");
        cc_buf_release(&msg);
        cc_free(path);
        cc_free(on);
}

cc_err
cc_plan_build(struct cc_graph *g, struct cc_plan *plan, struct cc_diag *d)
{
        struct work w;
        struct cc_plan p = CC_PLAN_INIT;
        size_t i, j, *ready = NULL, nready = 0, *indeg = NULL;
        bool *done = NULL;
        cc_err rc = CC_OK;

        memset(&w, 0, sizeof(w));
        rc = cc_graph_resolve(g, NULL);
        if (!rc)
                rc = cc_graph_observed_refs(g);
        for (i = 0; i < g->n && !rc; i++)
                rc = cc_node_diff(g->nodes[i]);
        if (rc) {
                cc_diag_set(d, rc, 0, "out of memory");
                goto out;
        }
        for (i = 0; i < g->n; i++)
                if (g->nodes[i]->action != CC_ACT_NOOP)
                        w.n++;
        w.nodes = cc_calloc(w.n + 1, sizeof(*w.nodes));
        w.succ = cc_calloc(w.n + 1, sizeof(*w.succ));
        w.nsucc = cc_calloc(w.n + 1, sizeof(*w.nsucc));
        w.succ_cap = cc_calloc(w.n + 1, sizeof(*w.succ_cap));
        w.pred = cc_calloc(w.n + 1, sizeof(*w.pred));
        w.npred = cc_calloc(w.n + 1, sizeof(*w.npred));
        w.pred_cap = cc_calloc(w.n + 1, sizeof(*w.pred_cap));
        ready = cc_calloc(w.n + 1, sizeof(*ready));
        indeg = cc_calloc(w.n + 1, sizeof(*indeg));
        done = cc_calloc(w.n + 1, sizeof(*done));
        if (!w.nodes || !w.succ || !w.nsucc || !w.succ_cap || !w.pred || !w.npred || !w.pred_cap ||
            !ready || !indeg || !done) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "out of memory");
                goto out;
        }
        for (i = 0, j = 0; i < g->n; i++)
                if (g->nodes[i]->action != CC_ACT_NOOP)
                        w.nodes[j++] = g->nodes[i];
        if (w.n > 1)
                qsort(w.nodes, w.n, sizeof(*w.nodes), cmp_node);
        for (i = 0; i < w.n; i++) {
                if (cc_map_put(&w.idx, w.nodes[i]->key, (void *)(i + 1))) {
                        rc = cc_diag_set(d, CC_NOMEM, 0, "out of memory");
                        goto out;
                }
        }
        rc = build_edges(g, &w, d);
        if (rc)
                goto out;

        /* Kahn's algorithm; the ready set is kept sorted by index (= by key) so
         * the order is stable */
        if (w.n && CC_GROW(p.steps, p.cap, w.n)) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "out of memory");
                goto out;
        }
        for (i = 0; i < w.n; i++) {
                indeg[i] = w.npred[i];
                if (!indeg[i])
                        ready[nready++] = i;
        }
        {
                size_t *pos = cc_calloc(w.n + 1, sizeof(*pos)); /* node index -> step index */

                if (!pos) {
                        rc = cc_diag_set(d, CC_NOMEM, 0, "out of memory");
                        goto out;
                }
                while (nready) {
                        size_t k, best = 0, cur;
                        struct cc_step *s;

                        for (k = 1; k < nready; k++)
                                if (ready[k] < ready[best])
                                        best = k;
                        cur = ready[best];
                        ready[best] = ready[--nready];
                        done[cur] = true;
                        pos[cur] = p.n;
                        s = &p.steps[p.n++];
                        memset(s, 0, sizeof(*s));
                        s->node = w.nodes[cur];
                        s->action = w.nodes[cur]->action;
                        for (k = 0; k < w.npred[cur] && !rc; k++) {
                                if (CC_GROW(s->after, s->after_cap, s->nafter + 1))
                                        rc = CC_NOMEM;
                                else
                                        s->after[s->nafter++] = pos[w.pred[cur][k]];
                        }
                        for (k = 0; k < w.nsucc[cur]; k++)
                                if (--indeg[w.succ[cur][k]] == 0)
                                        ready[nready++] = w.succ[cur][k];
                }
                cc_free(pos);
                if (rc) {
                        cc_diag_set(d, rc, 0, "out of memory");
                        goto out;
                }
        }
        if (p.n != w.n) {
                report_cycle(&w, done, d);
                rc = CC_INVAL;
                goto out;
        }
        for (i = 0; i < p.n; i++) {
                switch (p.steps[i].action) {
                case CC_ACT_CREATE:
                        p.ncreate++;
                        break;
                case CC_ACT_UPDATE:
                        p.nupdate++;
                        break;
                case CC_ACT_REPLACE:
                        p.nreplace++;
                        break;
                case CC_ACT_DELETE:
                        p.ndelete++;
                        break;
                default:
                        break;
                }
        }
        *plan = p;
        memset(&p, 0, sizeof(p));
out:
        cc_plan_release(&p);
        work_release(&w);
        cc_free(ready);
        cc_free(indeg);
        cc_free(done);
        return rc;
}

cc_err
cc_plan_print(const struct cc_plan *plan, struct cc_buf *out)
{
        size_t i, j;
        cc_err rc = CC_OK;

        for (i = 0; i < plan->n && !rc; i++) {
                const struct cc_step *s = &plan->steps[i];
                const char *sym = s->action == CC_ACT_REPLACE ? "\xc2\xb1" : NULL;
                char c[2] = { cc_action_symbol(s->action), '\0' };

                rc = cc_buf_printf(out, "%s %s '%s'", sym ? sym : c, s->node->kind->label,
                                   s->node->name);
                if (!rc && s->node->changed.n &&
                    (s->action == CC_ACT_UPDATE || s->action == CC_ACT_REPLACE)) {
                        rc = cc_buf_puts(out, " (");
                        for (j = 0; j < s->node->changed.n && !rc; j++)
                                rc = cc_buf_printf(out, "%s%s", j ? ", " : "",
                                                   s->node->changed.v[j]);
                        if (!rc)
                                rc = cc_buf_putc(out, ')');
                }
                if (!rc)
                        rc = cc_buf_putc(out, '\n');
        }
        if (!rc)
                rc = cc_buf_printf(out,
                                   "plan: %zu to create, %zu to update, %zu to replace, %zu to "
                                   "delete\n",
                                   plan->ncreate, plan->nupdate, plan->nreplace, plan->ndelete);
        return rc;
}
