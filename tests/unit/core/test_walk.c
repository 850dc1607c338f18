/* test_walk.c -- plan execution: order, concurrency, failures blocking only
 * their dependents, deferred values, cancel. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "core/alloc.h"
#include "core/loop.h"
#include "core/walk.h"

static const struct cc_kind k = { .name = "test", .label = "thing" };

struct fake {
        struct cc_loop loop;
        struct cc_graph g;
        struct cc_plan plan;
        struct cc_walk w;
        const char *fail_key; /* this step fails */
        bool sync_ok;         /* finish synchronously */
        size_t running, max_running;
        size_t order[64], norder;
        bool finished;
        struct pending {
                struct fake *f;
                size_t i;
        } pend[64];
};

static void
later(struct cc_timer *t, void *ud)
{
        struct pending *p = ud;
        struct fake *f = p->f;
        struct cc_node *n = f->plan.steps[p->i].node;
        struct cc_diag d;

        (void)t;
        f->running--;
        f->order[f->norder++] = p->i;
        if (f->fail_key && !strcmp(n->key, f->fail_key)) {
                cc_diag_set(&d, CC_QUOTA, 403, "cannot create thing '%s': quota exceeded", n->name);
                cc_walk_step_done(&f->w, p->i, CC_QUOTA, &d);
                return;
        }
        /* "the cloud" now has it: observed = desired (+ an address for ip) */
        cc_node_set_observed(n, cJSON_Duplicate(n->desired, 1));
        if (!strcmp(n->name, "ip"))
                cJSON_AddStringToObject(n->observed, "address", "10.9.8.7");
        cc_walk_step_done(&f->w, p->i, CC_OK, NULL);
}

static cc_err
exec(struct cc_walk *w, size_t i, void *ud, struct cc_diag *d)
{
        struct fake *f = ud;
        struct cc_timer *t;

        if (f->sync_ok) {
                struct cc_node *n = f->plan.steps[i].node;

                f->order[f->norder++] = i;
                cc_node_set_observed(n, cJSON_Duplicate(n->desired, 1));
                if (!strcmp(n->name, "ip"))
                        cJSON_AddStringToObject(n->observed, "address", "10.9.8.7");
                return CC_OK;
        }
        f->running++;
        if (f->running > f->max_running)
                f->max_running = f->running;
        f->pend[i].f = f;
        f->pend[i].i = i;
        /* finish in a few ms, later steps sooner, to shake the ordering */
        assert_int_equal(cc_timer_start(&f->loop, 5 + (10 - i % 10), 0, later, &f->pend[i], &t),
                         CC_OK);
        return CC_AGAIN;
}

static void
finished(struct cc_walk *w, void *ud)
{
        ((struct fake *)ud)->finished = true;
}

static void
node(struct fake *f, const char *key, const char *dep, const char *body)
{
        struct cc_node *n = NULL;

        assert_int_equal(cc_graph_add(&f->g, &k, key, &n), CC_OK);
        cc_node_set_desired(n, cJSON_Parse(body ? body : "{}"));
        if (dep)
                cc_node_add_dep(n, dep);
}

static void
setup_fake(struct fake *f)
{
        struct cc_diag d;

        memset(f, 0, sizeof(*f));
        assert_int_equal(cc_loop_init(&f->loop, &d), CC_OK);
        /* chain ip <- fr <- dns, and two independent branches */
        node(f, "ip", NULL, NULL);
        node(f, "fr", "ip", "{\"IPAddress\":\"${ref:ip:address}\"}");
        node(f, "dns", "fr", "{\"rrdatas\":[\"${ref:ip:address}\"]}");
        cc_node_add_dep(cc_graph_get(&f->g, "dns"), "ip");
        node(f, "hc", NULL, NULL);
        node(f, "bs", "hc", NULL);
        node(f, "fw", NULL, NULL);
        assert_int_equal(cc_plan_build(&f->g, &f->plan, &d), CC_OK);
        assert_int_equal(f->plan.n, 6);
}

static void
teardown_fake(struct fake *f)
{
        cc_walk_release(&f->w);
        cc_plan_release(&f->plan);
        cc_graph_release(&f->g);
        assert_int_equal(cc_loop_release(&f->loop), CC_OK);
}

static size_t
pos(const struct fake *f, const char *key)
{
        size_t i;

        for (i = 0; i < f->norder; i++)
                if (!strcmp(f->plan.steps[f->order[i]].node->key, key))
                        return i;
        return 999;
}

static void
test_order_and_concurrency(void **state)
{
        static struct fake f;
        struct cc_walk_opts o = { .exec = exec, .finished = finished, .ud = &f };
        struct cc_diag d;

        setup_fake(&f);
        o.ud = &f;
        assert_int_equal(cc_walk_start(&f.w, &f.loop, &f.g, &f.plan, &o, &d), CC_AGAIN);
        assert_false(f.finished); /* never from inside start */
        assert_int_equal(cc_loop_run(&f.loop), CC_OK);
        assert_true(f.finished);
        assert_int_equal(f.w.ndone, 6);
        assert_true(pos(&f, "ip") < pos(&f, "fr"));
        assert_true(pos(&f, "fr") < pos(&f, "dns"));
        assert_true(pos(&f, "hc") < pos(&f, "bs"));
        /* the independent roots ran at the same time */
        assert_true(f.max_running >= 3);
        /* the deferred value was filled in from the address created first */
        assert_string_equal(
            cJSON_GetObjectItem(cc_graph_get(&f.g, "fr")->desired, "IPAddress")->valuestring,
            "10.9.8.7");
        assert_string_equal(
            cJSON_GetArrayItem(cJSON_GetObjectItem(cc_graph_get(&f.g, "dns")->desired, "rrdatas"),
                               0)
                ->valuestring,
            "10.9.8.7");
        teardown_fake(&f);
}

static void
test_failure_blocks_only_dependents(void **state)
{
        static struct fake f;
        struct cc_walk_opts o = { .exec = exec, .finished = finished };
        struct cc_diag d;
        size_t i;

        setup_fake(&f);
        f.fail_key = "fr";
        o.ud = &f;
        assert_int_equal(cc_walk_start(&f.w, &f.loop, &f.g, &f.plan, &o, &d), CC_AGAIN);
        assert_int_equal(cc_loop_run(&f.loop), CC_OK);
        assert_true(f.finished);
        assert_int_equal(f.w.nfailed, 1);
        assert_int_equal(f.w.nblocked, 1);
        assert_int_equal(f.w.ndone, 4);
        for (i = 0; i < f.plan.n; i++) {
                const char *key = f.plan.steps[i].node->key;

                if (!strcmp(key, "fr")) {
                        assert_int_equal(f.w.steps[i].state, CC_STEP_FAILED);
                        assert_int_equal(f.w.steps[i].diag.code, CC_QUOTA);
                        assert_non_null(strstr(f.w.steps[i].diag.message, "quota exceeded"));
                } else if (!strcmp(key, "dns")) {
                        assert_int_equal(f.w.steps[i].state, CC_STEP_BLOCKED);
                        assert_string_equal(f.plan.steps[f.w.steps[i].blocked_by].node->key, "fr");
                } else {
                        assert_int_equal(f.w.steps[i].state, CC_STEP_DONE);
                }
        }
        teardown_fake(&f);
}

static void
test_max_parallel_and_sync(void **state)
{
        static struct fake f;
        struct cc_walk_opts o = { .exec = exec, .finished = finished, .max_parallel = 1 };
        struct cc_diag d;

        setup_fake(&f);
        o.ud = &f;
        assert_int_equal(cc_walk_start(&f.w, &f.loop, &f.g, &f.plan, &o, &d), CC_AGAIN);
        assert_int_equal(cc_loop_run(&f.loop), CC_OK);
        assert_int_equal(f.max_running, 1);
        assert_int_equal(f.w.ndone, 6);
        teardown_fake(&f);

        /* an executor that finishes at once */
        setup_fake(&f);
        f.sync_ok = true;
        o.ud = &f;
        o.max_parallel = 0;
        assert_int_equal(cc_walk_start(&f.w, &f.loop, &f.g, &f.plan, &o, &d), CC_AGAIN);
        assert_int_equal(cc_loop_run(&f.loop), CC_OK);
        assert_true(f.finished);
        assert_int_equal(f.w.ndone, 6);
        teardown_fake(&f);

        /* a value that never becomes known fails the step, not the walk */
        setup_fake(&f);
        f.sync_ok = true;
        cJSON_AddStringToObject(cc_graph_get(&f.g, "bs")->desired, "x", "${ref:nowhere:address}");
        o.ud = &f;
        assert_int_equal(cc_walk_start(&f.w, &f.loop, &f.g, &f.plan, &o, &d), CC_AGAIN);
        assert_int_equal(cc_loop_run(&f.loop), CC_OK);
        assert_int_equal(f.w.ndone, 5);
        assert_int_equal(f.w.nfailed, 1);
        teardown_fake(&f);
}

static void
test_cancel(void **state)
{
        static struct fake f;
        struct cc_walk_opts o = { .exec = exec, .finished = finished, .max_parallel = 1 };
        struct cc_diag d;

        setup_fake(&f);
        o.ud = &f;
        assert_int_equal(cc_walk_start(&f.w, &f.loop, &f.g, &f.plan, &o, &d), CC_AGAIN);
        cc_walk_cancel(&f.w);
        assert_int_equal(cc_loop_run(&f.loop), CC_OK);
        assert_true(f.finished);
        assert_int_equal(f.w.ndone + f.w.ncanceled, 6);
        assert_true(f.w.ncanceled >= 5);
        teardown_fake(&f);
}

static void
test_empty_plan(void **state)
{
        static struct fake f;
        struct cc_walk_opts o = { .exec = exec, .finished = finished };
        struct cc_plan empty = CC_PLAN_INIT;
        struct cc_diag d;

        memset(&f, 0, sizeof(f));
        assert_int_equal(cc_loop_init(&f.loop, &d), CC_OK);
        o.ud = &f;
        assert_int_equal(cc_walk_start(&f.w, &f.loop, &f.g, &empty, &o, &d), CC_AGAIN);
        assert_int_equal(cc_loop_run(&f.loop), CC_OK);
        assert_true(f.finished);
        cc_walk_release(&f.w);
        assert_int_equal(cc_loop_release(&f.loop), CC_OK);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_order_and_concurrency),
                cmocka_unit_test(test_failure_blocks_only_dependents),
                cmocka_unit_test(test_max_parallel_and_sync),
                cmocka_unit_test(test_cancel),
                cmocka_unit_test(test_empty_plan),
        };
        cc_alloc_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
