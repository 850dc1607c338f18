/* test_loop.c -- timers, child processes, signals and a clean close. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/loop.h"

struct ticks {
        int n;
        int stop_at;
        struct cc_timer *t;
};

static void
on_tick(struct cc_timer *t, void *ud)
{
        struct ticks *k = ud;

        k->n++;
        if (k->stop_at && k->n == k->stop_at)
                cc_timer_cancel(t);
}

static void
test_timers(void **state)
{
        struct cc_loop loop;
        struct ticks once = { 0 }, rep = { .stop_at = 5 }, never = { 0 }, self = { .stop_at = 1 };
        struct cc_timer *t;

        assert_int_equal(cc_loop_init(&loop, NULL), CC_OK);
        assert_int_equal(cc_timer_start(&loop, 1, 0, on_tick, &once, NULL), CC_OK);
        assert_int_equal(cc_timer_start(&loop, 1, 1, on_tick, &rep, NULL), CC_OK);
        /* a one-shot timer canceling itself inside its callback */
        assert_int_equal(cc_timer_start(&loop, 2, 0, on_tick, &self, NULL), CC_OK);
        assert_int_equal(cc_timer_start(&loop, 1, 0, on_tick, &never, &t), CC_OK);
        cc_timer_cancel(t);
        /* returns once the one-shots fired and the repeating one was canceled */
        assert_int_equal(cc_loop_run(&loop), CC_OK);
        assert_int_equal(once.n, 1);
        assert_int_equal(rep.n, 5);
        assert_int_equal(self.n, 1);
        assert_int_equal(never.n, 0);
        assert_int_equal(cc_loop_release(&loop), CC_OK);
}

static void
test_timer_alloc_failure(void **state)
{
        struct cc_loop loop;
        struct ticks k = { 0 };
        struct cc_timer *t = NULL;

        assert_int_equal(cc_loop_init(&loop, NULL), CC_OK);
        cc_alloc_fail_at(1, false);
        assert_int_equal(cc_timer_start(&loop, 1, 0, on_tick, &k, &t), CC_NOMEM);
        cc_alloc_fail_at(0, false);
        assert_null(t);
        assert_int_equal(cc_loop_run(&loop), CC_OK);
        assert_int_equal(k.n, 0);
        assert_int_equal(cc_loop_release(&loop), CC_OK);
}

struct child_out {
        int calls;
        cc_err rc;
        int64_t status;
        int sig;
        char out[256];
        char err[256];
        bool err_truncated;
};

static void
on_child(struct cc_child *c, cc_err rc, struct cc_child_result *r, void *ud)
{
        struct child_out *o = ud;

        o->calls++;
        o->rc = rc;
        o->status = r->exit_status;
        o->sig = r->term_signal;
        o->err_truncated = r->err_truncated;
        snprintf(o->out, sizeof(o->out), "%s", cc_buf_str(&r->out));
        snprintf(o->err, sizeof(o->err), "%s", cc_buf_str(&r->err));
}

static void
test_child_exit_status_and_output(void **state)
{
        const char *const argv[] = { "/bin/sh", "-c", "echo hi; echo oops >&2; exit 3", NULL };
        struct cc_child_opts o = { .argv = argv };
        struct child_out res = { 0 };
        struct cc_loop loop;

        assert_int_equal(cc_loop_init(&loop, NULL), CC_OK);
        assert_int_equal(cc_child_spawn(&loop, &o, on_child, &res, NULL, NULL), CC_AGAIN);
        assert_int_equal(res.calls, 0);
        assert_int_equal(cc_loop_run(&loop), CC_OK);
        assert_int_equal(res.calls, 1);
        assert_int_equal(res.rc, CC_OK);
        assert_int_equal(res.status, 3);
        assert_int_equal(res.sig, 0);
        assert_string_equal(res.out, "hi\n");
        assert_string_equal(res.err, "oops\n");
        assert_int_equal(cc_loop_release(&loop), CC_OK);
}

static void
test_child_env_and_caps(void **state)
{
        const char *const argv[] = { "sh", "-c",
                                     "printf %s \"$GREETING\"; head -c 5000 /dev/zero >&2", NULL };
        const char *const env[] = { "GREETING=hello", "PATH=/usr/bin:/bin", NULL };
        const char *const big[] = { "/bin/sh", "-c", "head -c 100000 /dev/zero; sleep 5", NULL };
        struct cc_child_opts o = { .argv = argv, .env = env, .err_max = 100 };
        struct cc_child_opts ob = { .argv = big, .out_max = 1000 };
        struct child_out r1 = { 0 }, r2 = { 0 };
        struct cc_loop loop;

        assert_int_equal(cc_loop_init(&loop, NULL), CC_OK);
        assert_int_equal(cc_child_spawn(&loop, &o, on_child, &r1, NULL, NULL), CC_AGAIN);
        /* stdout over its cap: the run fails with TOOBIG and the process is killed
         * (it would otherwise sleep for 5 s) */
        assert_int_equal(cc_child_spawn(&loop, &ob, on_child, &r2, NULL, NULL), CC_AGAIN);
        assert_int_equal(cc_loop_run(&loop), CC_OK);
        assert_int_equal(r1.calls, 1);
        assert_int_equal(r1.rc, CC_OK);
        assert_string_equal(r1.out, "hello");
        assert_true(r1.err_truncated);
        assert_int_equal(r2.calls, 1);
        assert_int_equal(r2.rc, CC_TOOBIG);
        assert_int_equal(r2.sig, SIGKILL);
        assert_int_equal(cc_loop_release(&loop), CC_OK);
}

static void
test_child_spawn_errors(void **state)
{
        const char *const argv[] = { "/nonexistent/program", NULL };
        const char *const ok[] = { "/bin/true", NULL };
        struct cc_child_opts o = { .argv = argv }, ook = { .argv = ok };
        struct child_out res = { 0 };
        struct cc_child *c = NULL;
        struct cc_diag d;
        struct cc_loop loop;
        unsigned long n;
        cc_err rc;

        assert_int_equal(cc_loop_init(&loop, NULL), CC_OK);
        assert_int_equal(cc_child_spawn(&loop, &o, on_child, &res, &c, &d), CC_NOTFOUND);
        assert_null(c);
        assert_non_null(strstr(d.message, "cannot spawn '/nonexistent/program'"));
        assert_int_equal(cc_child_spawn(&loop, NULL, on_child, &res, NULL, NULL), CC_INVAL);
        for (n = 1; n < 10; n++) {
                cc_alloc_fail_at(n, false);
                rc = cc_child_spawn(&loop, &ook, on_child, &res, NULL, NULL);
                cc_alloc_fail_at(0, false);
                assert_true(rc == CC_AGAIN || rc == CC_NOMEM);
                assert_int_equal(cc_loop_run(&loop), CC_OK);
                assert_int_equal(res.calls, rc == CC_AGAIN ? 1 : 0);
                res.calls = 0;
        }
        assert_int_equal(cc_loop_release(&loop), CC_OK);
}

static void
test_child_kill_and_release(void **state)
{
        const char *const argv[] = { "/bin/sh", "-c", "sleep 30", NULL };
        struct cc_child_opts o = { .argv = argv };
        struct child_out r1 = { 0 }, r2 = { 0 };
        struct cc_child *c = NULL;
        struct cc_loop loop;

        assert_int_equal(cc_loop_init(&loop, NULL), CC_OK);
        assert_int_equal(cc_child_spawn(&loop, &o, on_child, &r1, &c, NULL), CC_AGAIN);
        cc_child_kill(c);
        assert_int_equal(r1.calls, 0); /* fires later, from the loop */
        assert_int_equal(cc_loop_run(&loop), CC_OK);
        assert_int_equal(r1.calls, 1);
        assert_int_equal(r1.rc, CC_CANCELED);
        /* a child still running at release is killed and reported */
        assert_int_equal(cc_child_spawn(&loop, &o, on_child, &r2, NULL, NULL), CC_AGAIN);
        assert_int_equal(cc_loop_release(&loop), CC_OK);
        assert_int_equal(r2.calls, 1);
        assert_int_equal(r2.rc, CC_CANCELED);
}

struct sigtest {
        struct cc_loop *loop;
        struct cc_loop_hook hook;
        struct cc_timer *rep;
        int hooks_run;
        int ticks;
        bool stop_rep_in_hook;
        int kills;
};

static void
on_stop_hook(struct cc_loop *loop, void *ud)
{
        struct sigtest *s = ud;

        s->hooks_run++;
        if (s->stop_rep_in_hook)
                cc_timer_cancel(s->rep);
}

static void
on_rep(struct cc_timer *t, void *ud)
{
        struct sigtest *s = ud;

        s->ticks++;
        /* send ourselves SIGTERM on the first tick (and on the fifth when
         * testing the forced stop) */
        if (s->ticks == 1 || (!s->stop_rep_in_hook && s->ticks == 5)) {
                s->kills++;
                kill(getpid(), SIGTERM);
        }
}

static void
run_signal_case(bool graceful)
{
        const char *const argv[] = { "/bin/sh", "-c", "sleep 30", NULL };
        struct cc_child_opts o = { .argv = argv };
        struct sigtest s = { .stop_rep_in_hook = graceful };
        struct child_out child = { 0 };
        struct cc_loop loop;

        assert_int_equal(cc_loop_init(&loop, NULL), CC_OK);
        s.loop = &loop;
        assert_int_equal(cc_loop_catch_signals(&loop, NULL), CC_OK);
        cc_loop_on_stop(&loop, &s.hook, on_stop_hook, &s);
        assert_int_equal(cc_timer_start(&loop, 5, 5, on_rep, &s, &s.rep), CC_OK);
        assert_int_equal(cc_child_spawn(&loop, &o, on_child, &child, NULL, NULL), CC_AGAIN);
        if (graceful) {
                /* first signal: hooks run, the child is canceled, the loop drains */
                assert_int_equal(cc_loop_run(&loop), CC_OK);
                assert_int_equal(s.kills, 1);
                assert_int_equal(child.calls, 1);
                assert_int_equal(child.rc, CC_CANCELED);
        } else {
                /* the hook leaves the timer running; the second signal forces */
                assert_int_equal(cc_loop_run(&loop), CC_CANCELED);
                assert_int_equal(s.kills, 2);
        }
        assert_true(cc_loop_stopping(&loop));
        assert_int_equal(s.hooks_run, 1);
        assert_int_equal(cc_loop_release(&loop), CC_OK);
        assert_int_equal(child.calls, 1);
}

static void
test_signal_graceful(void **state)
{
        run_signal_case(true);
}

static void
test_signal_forced(void **state)
{
        run_signal_case(false);
}

static void
test_leaked_handle_is_reported(void **state)
{
        struct cc_loop loop;
        uv_timer_t foreign;

        assert_int_equal(cc_loop_init(&loop, NULL), CC_OK);
        uv_timer_init(&loop.uv, &foreign);
        assert_int_equal(cc_loop_release(&loop), CC_INTERNAL);
        /* clean up by hand so the test itself does not leak */
        uv_close((uv_handle_t *)&foreign, NULL);
        uv_run(&loop.uv, UV_RUN_NOWAIT);
        assert_int_equal(uv_loop_close(&loop.uv), 0);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_timers),
                cmocka_unit_test(test_timer_alloc_failure),
                cmocka_unit_test(test_child_exit_status_and_output),
                cmocka_unit_test(test_child_env_and_caps),
                cmocka_unit_test(test_child_spawn_errors),
                cmocka_unit_test(test_child_kill_and_release),
                cmocka_unit_test(test_signal_graceful),
                cmocka_unit_test(test_signal_forced),
                cmocka_unit_test(test_leaked_handle_is_reported),
        };

        cc_alloc_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
