/* loop.c -- libuv loop with curl multi, timers, signals and child processes.
 *
 * DESIGN: curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION)
 * and when to call it back (CURLMOPT_TIMERFUNCTION); we map those to one
 * uv_poll_t per socket and one uv_timer_t, and feed events back with
 * curl_multi_socket_action().  Finished transfers are collected with
 * curl_multi_info_read() after every action and handed to their owner.
 *
 * The poll handles and the curl timer are unreferenced: idle keep-alive
 * connections must not keep the loop running.  Instead a uv_prepare_t is
 * active (and referenced) exactly while transfers are in flight.
 */
#include "core/loop.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/banned.h"

#define CHILD_OUT_MAX_DEFAULT ((size_t)1 << 20)
#define CHILD_ERR_MAX_DEFAULT ((size_t)64 << 10)

struct curl_sock {
        uv_poll_t poll;
        curl_socket_t fd;
        struct cc_loop *loop;
};

struct cc_timer {
        uv_timer_t h;
        struct cc_loop *loop;
        cc_timer_fn fn;
        void *ud;
        struct cc_timer *prev, *next;
        bool repeat;
        bool in_cb;
        bool dead;
};

struct cc_child {
        uv_process_t proc;
        uv_pipe_t out, err;
        struct cc_loop *loop;
        struct cc_child *prev, *next;
        cc_child_fn fn;
        void *ud;
        struct cc_child_result res;
        size_t out_max, err_max;
        int open_handles;
        bool spawned, exited, out_eof, err_eof;
        bool toobig, canceled, reported;
        char rbuf[16384];
};

/* --- curl integration ------------------------------------------------------ */

static void check_done(struct cc_loop *loop);

static void
sock_closed(uv_handle_t *h)
{
        cc_free(h->data);
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
        struct curl_sock *cs = p->data;
        struct cc_loop *loop = cs->loop;
        int flags = 0, running = 0;

        if (status < 0) {
                flags = CURL_CSELECT_ERR;
        } else {
                if (events & UV_READABLE)
                        flags |= CURL_CSELECT_IN;
                if (events & UV_WRITABLE)
                        flags |= CURL_CSELECT_OUT;
        }
        curl_multi_socket_action(loop->multi, cs->fd, flags, &running);
        check_done(loop);
}

static int
on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
        struct cc_loop *loop = userp;
        struct curl_sock *cs = socketp;
        int events = 0;

        if (what == CURL_POLL_REMOVE) {
                if (cs) {
                        uv_poll_stop(&cs->poll);
                        curl_multi_assign(loop->multi, s, NULL);
                        uv_close((uv_handle_t *)&cs->poll, sock_closed);
                }
                return 0;
        }
        /* On failure we return 0, not -1: -1 marks the whole multi handle dead
         * (every transfer of the process would fail).  The socket is simply
         * not watched and that one transfer ends at its timeout. */
        if (!cs) {
                cs = cc_calloc(1, sizeof(*cs));
                if (!cs)
                        return 0;
                if (uv_poll_init_socket(&loop->uv, &cs->poll, s) != 0) {
                        /* an uninitialized handle is not registered: plain free */
                        cc_free(cs);
                        return 0;
                }
                cs->fd = s;
                cs->loop = loop;
                cs->poll.data = cs;
                uv_unref((uv_handle_t *)&cs->poll);
                curl_multi_assign(loop->multi, s, cs);
        }
        if (what & CURL_POLL_IN)
                events |= UV_READABLE;
        if (what & CURL_POLL_OUT)
                events |= UV_WRITABLE;
        uv_poll_start(&cs->poll, events, on_poll);
        return 0;
}

static void
on_curl_timeout(uv_timer_t *t)
{
        struct cc_loop *loop = t->data;
        int running = 0;

        curl_multi_socket_action(loop->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        check_done(loop);
}

static int
on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
        struct cc_loop *loop = userp;

        if (timeout_ms < 0)
                uv_timer_stop(&loop->curl_timer);
        else
                uv_timer_start(&loop->curl_timer, on_curl_timeout, (uint64_t)timeout_ms, 0);
        return 0;
}

static void
on_keepalive(uv_prepare_t *p)
{
        /* nothing to do: being active is what keeps uv_run() going */
}

static void
check_done(struct cc_loop *loop)
{
        CURLMsg *msg;
        int left = 0;

        while ((msg = curl_multi_info_read(loop->multi, &left))) {
                struct cc_loop_xfer *x = NULL;
                CURLcode result;

                if (msg->msg != CURLMSG_DONE)
                        continue;
                result = msg->data.result;
                curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
                if (!x)
                        continue;
                cc_loop_xfer_remove(loop, x);
                x->done(x, result);
        }
}

cc_err
cc_loop_xfer_add(struct cc_loop *loop, struct cc_loop_xfer *x)
{
        CURLMcode mc;

        curl_easy_setopt(x->easy, CURLOPT_PRIVATE, (void *)x);
        mc = curl_multi_add_handle(loop->multi, x->easy);
        if (mc != CURLM_OK)
                return mc == CURLM_OUT_OF_MEMORY ? CC_NOMEM : CC_INTERNAL;
        x->added = true;
        if (loop->nxfers++ == 0)
                uv_prepare_start(&loop->keepalive, on_keepalive);
        return CC_OK;
}

void
cc_loop_xfer_remove(struct cc_loop *loop, struct cc_loop_xfer *x)
{
        if (!x->added)
                return;
        curl_multi_remove_handle(loop->multi, x->easy);
        x->added = false;
        if (--loop->nxfers == 0)
                uv_prepare_stop(&loop->keepalive);
}

/* --- init / run / stop ------------------------------------------------------- */

cc_err
cc_loop_init(struct cc_loop *loop, struct cc_diag *d)
{
        cc_err rc = CC_OK;
        int r;

        memset(loop, 0, sizeof(*loop));
        r = uv_loop_init(&loop->uv);
        if (r != 0) {
                rc = cc_diag_set(d, CC_IO, 0, "cannot create event loop: %s", uv_strerror(r));
                goto out;
        }
        loop->multi = curl_multi_init();
        if (!loop->multi) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "cannot create curl multi handle: out of memory");
                goto fail_uv;
        }
        curl_multi_setopt(loop->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
        curl_multi_setopt(loop->multi, CURLMOPT_SOCKETDATA, loop);
        curl_multi_setopt(loop->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
        curl_multi_setopt(loop->multi, CURLMOPT_TIMERDATA, loop);
        /* these cannot fail on unix for a fresh loop */
        uv_timer_init(&loop->uv, &loop->curl_timer);
        loop->curl_timer.data = loop;
        uv_unref((uv_handle_t *)&loop->curl_timer);
        uv_prepare_init(&loop->uv, &loop->keepalive);
        loop->keepalive.data = loop;
        goto out;
fail_uv:
        uv_loop_close(&loop->uv);
out:
        return rc;
}

static void
on_signal(uv_signal_t *s, int signum)
{
        struct cc_loop *loop = s->data;

        loop->nsignals++;
        if (loop->nsignals == 1) {
                CC_INFO("loop", "stopping", CC_S("signal", signum == SIGINT ? "INT" : "TERM"));
                cc_loop_stop(loop);
        } else {
                CC_WARN("loop", "forced stop", CC_S("signal", signum == SIGINT ? "INT" : "TERM"));
                loop->forced = true;
                uv_stop(&loop->uv);
        }
}

cc_err
cc_loop_catch_signals(struct cc_loop *loop, struct cc_diag *d)
{
        static const int signums[2] = { SIGINT, SIGTERM };
        cc_err rc = CC_OK;
        int i, r;

        if (loop->signals_on)
                goto out;
        for (i = 0; i < 2; i++) {
                uv_signal_init(&loop->uv, &loop->sigs[i]);
                loop->sigs[i].data = loop;
                r = uv_signal_start(&loop->sigs[i], on_signal, signums[i]);
                if (r != 0) {
                        rc = cc_diag_set(d, CC_IO, 0, "cannot catch signal %d: %s", signums[i],
                                         uv_strerror(r));
                        /* close what was initialized; release walks the rest */
                        for (; i >= 0; i--)
                                uv_close((uv_handle_t *)&loop->sigs[i], NULL);
                        goto out;
                }
                uv_unref((uv_handle_t *)&loop->sigs[i]);
        }
        loop->signals_on = true;
out:
        return rc;
}

cc_err
cc_loop_run(struct cc_loop *loop)
{
        loop->forced = false;
        uv_run(&loop->uv, UV_RUN_DEFAULT);
        return loop->forced ? CC_CANCELED : CC_OK;
}

bool
cc_loop_stopping(const struct cc_loop *loop)
{
        return loop->stopping;
}

void
cc_loop_on_stop(struct cc_loop *loop, struct cc_loop_hook *hook,
                void (*fn)(struct cc_loop *loop, void *ud), void *ud)
{
        struct cc_loop_hook **pp = &loop->hooks;

        hook->fn = fn;
        hook->ud = ud;
        hook->next = NULL;
        while (*pp)
                pp = &(*pp)->next;
        *pp = hook;
}

void
cc_loop_hook_remove(struct cc_loop *loop, struct cc_loop_hook *hook)
{
        struct cc_loop_hook **pp;

        for (pp = &loop->hooks; *pp; pp = &(*pp)->next) {
                if (*pp == hook) {
                        *pp = hook->next;
                        hook->next = NULL;
                        return;
                }
        }
}

void
cc_loop_stop(struct cc_loop *loop)
{
        struct cc_loop_hook *h, *next;
        struct cc_child *c, *cnext;

        if (loop->stopping)
                return;
        loop->stopping = true;
        /* a hook may remove itself: read next first */
        for (h = loop->hooks; h; h = next) {
                next = h->next;
                h->fn(loop, h->ud);
        }
        for (c = loop->children; c; c = cnext) {
                cnext = c->next;
                cc_child_kill(c);
        }
}

uint64_t
cc_loop_now_ms(struct cc_loop *loop)
{
        return uv_now(&loop->uv);
}

/* --- timers ------------------------------------------------------------------ */

static void
timer_closed(uv_handle_t *h)
{
        cc_free(h->data);
}

static void
timer_close(struct cc_timer *t)
{
        struct cc_loop *loop = t->loop;

        if (t->prev)
                t->prev->next = t->next;
        else
                loop->timers = t->next;
        if (t->next)
                t->next->prev = t->prev;
        t->prev = t->next = NULL;
        uv_close((uv_handle_t *)&t->h, timer_closed);
}

static void
on_timer(uv_timer_t *h)
{
        struct cc_timer *t = h->data;

        t->in_cb = true;
        t->fn(t, t->ud);
        t->in_cb = false;
        if (!t->repeat || t->dead) {
                t->dead = true;
                uv_timer_stop(&t->h);
                timer_close(t);
        }
}

cc_err
cc_timer_start(struct cc_loop *loop, uint64_t timeout_ms, uint64_t repeat_ms, cc_timer_fn fn,
               void *ud, struct cc_timer **out)
{
        struct cc_timer *t;
        cc_err rc = CC_OK;

        t = cc_calloc(1, sizeof(*t));
        if (!t) {
                rc = CC_NOMEM;
                goto out;
        }
        uv_timer_init(&loop->uv, &t->h);
        t->h.data = t;
        t->loop = loop;
        t->fn = fn;
        t->ud = ud;
        t->repeat = repeat_ms > 0;
        t->next = loop->timers;
        if (loop->timers)
                loop->timers->prev = t;
        loop->timers = t;
        uv_timer_start(&t->h, on_timer, timeout_ms, repeat_ms);
        if (out)
                *out = t;
out:
        return rc;
}

void
cc_timer_cancel(struct cc_timer *t)
{
        if (!t || t->dead)
                return;
        t->dead = true;
        uv_timer_stop(&t->h);
        if (!t->in_cb)
                timer_close(t);
}

/* --- child processes --------------------------------------------------------- */

static void
child_unlink(struct cc_child *c)
{
        struct cc_loop *loop = c->loop;

        if (c->prev)
                c->prev->next = c->next;
        else if (loop->children == c)
                loop->children = c->next;
        if (c->next)
                c->next->prev = c->prev;
        c->prev = c->next = NULL;
}

static void
child_handle_closed(uv_handle_t *h)
{
        struct cc_child *c = h->data;

        if (--c->open_handles == 0) {
                cc_buf_release(&c->res.out);
                cc_buf_release(&c->res.err);
                cc_free(c);
        }
}

static void
child_close_pipe(struct cc_child *c, uv_pipe_t *p)
{
        if (!uv_is_closing((uv_handle_t *)p)) {
                uv_read_stop((uv_stream_t *)p);
                uv_close((uv_handle_t *)p, child_handle_closed);
        }
}

static void
child_maybe_finish(struct cc_child *c)
{
        cc_err rc = CC_OK;

        if (c->reported || !c->exited || !c->out_eof || !c->err_eof)
                return;
        c->reported = true;
        child_unlink(c);
        if (c->canceled)
                rc = CC_CANCELED;
        else if (c->toobig)
                rc = CC_TOOBIG;
        c->fn(c, rc, &c->res, c->ud);
        child_close_pipe(c, &c->out);
        child_close_pipe(c, &c->err);
        uv_close((uv_handle_t *)&c->proc, child_handle_closed);
}

static void
on_child_exit(uv_process_t *p, int64_t status, int term_signal)
{
        struct cc_child *c = p->data;

        c->exited = true;
        c->res.exit_status = status;
        c->res.term_signal = term_signal;
        child_maybe_finish(c);
}

static void
child_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        struct cc_child *c = h->data;

        buf->base = c->rbuf;
        buf->len = sizeof(c->rbuf);
}

static void
child_stop_reading(struct cc_child *c, uv_pipe_t *p)
{
        uv_read_stop((uv_stream_t *)p);
        if (p == &c->out)
                c->out_eof = true;
        else
                c->err_eof = true;
}

static void
on_child_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
        struct cc_child *c = s->data;
        bool is_out = s == (uv_stream_t *)&c->out;
        struct cc_buf *b = is_out ? &c->res.out : &c->res.err;
        size_t max = is_out ? c->out_max : c->err_max;
        size_t room, take;

        if (n == 0)
                return;
        if (n < 0) {
                child_stop_reading(c, (uv_pipe_t *)s);
                child_maybe_finish(c);
                return;
        }
        room = max - b->len;
        take = (size_t)n < room ? (size_t)n : room;
        if (take && cc_buf_append(b, buf->base, take) != CC_OK) {
                /* out of memory: treat like an over-cap stream, fail the run */
                c->toobig = true;
        }
        if (take < (size_t)n) {
                if (is_out) {
                        c->toobig = true;
                } else {
                        c->res.err_truncated = true;
                        return; /* keep draining stderr so the child does not block */
                }
        }
        if (c->toobig) {
                if (!c->exited)
                        uv_process_kill(&c->proc, SIGKILL);
                child_stop_reading(c, &c->out);
                child_stop_reading(c, &c->err);
        }
        child_maybe_finish(c);
}

cc_err
cc_child_spawn(struct cc_loop *loop, const struct cc_child_opts *o, cc_child_fn fn, void *ud,
               struct cc_child **out, struct cc_diag *d)
{
        uv_process_options_t po;
        uv_stdio_container_t stdio[3];
        struct cc_child *c = NULL;
        cc_err rc = CC_OK;
        int r;

        if (!o || !o->argv || !o->argv[0] || !fn) {
                rc = cc_diag_set(d, CC_INVAL, 0, "cannot spawn process: no program given");
                goto out;
        }
        if (loop->stopping) {
                rc = cc_diag_set(d, CC_CANCELED, 0, "cannot spawn '%s': shutting down", o->argv[0]);
                goto out;
        }
        c = cc_calloc(1, sizeof(*c));
        if (!c) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "cannot spawn '%s': out of memory", o->argv[0]);
                goto out;
        }
        c->loop = loop;
        c->fn = fn;
        c->ud = ud;
        c->out_max = o->out_max ? o->out_max : CHILD_OUT_MAX_DEFAULT;
        c->err_max = o->err_max ? o->err_max : CHILD_ERR_MAX_DEFAULT;
        cc_buf_init(&c->res.out, c->out_max);
        cc_buf_init(&c->res.err, c->err_max);
        uv_pipe_init(&loop->uv, &c->out, 0);
        uv_pipe_init(&loop->uv, &c->err, 0);
        c->out.data = c->err.data = c->proc.data = c;
        c->open_handles = 3;

        memset(&po, 0, sizeof(po));
        memset(stdio, 0, sizeof(stdio));
        stdio[0].flags = UV_IGNORE;
        stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
        stdio[1].data.stream = (uv_stream_t *)&c->out;
        stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
        stdio[2].data.stream = (uv_stream_t *)&c->err;
        po.exit_cb = on_child_exit;
        po.file = o->argv[0];
        /* libuv does not modify these; its prototypes just lack const */
        po.args = (char **)o->argv;
        po.env = (char **)o->env;
        po.cwd = o->cwd;
        po.stdio = stdio;
        po.stdio_count = 3;
        r = uv_spawn(&loop->uv, &c->proc, &po);
        if (r != 0) {
                rc = cc_diag_set(d, r == UV_ENOENT ? CC_NOTFOUND : CC_IO, 0,
                                 "cannot spawn '%s': %s", o->argv[0], uv_strerror(r));
                /* the handles must be closed even though the spawn failed;
                 * the last close callback frees c */
                uv_close((uv_handle_t *)&c->out, child_handle_closed);
                uv_close((uv_handle_t *)&c->err, child_handle_closed);
                uv_close((uv_handle_t *)&c->proc, child_handle_closed);
                c = NULL;
                goto out;
        }
        c->spawned = true;
        uv_read_start((uv_stream_t *)&c->out, child_alloc, on_child_read);
        uv_read_start((uv_stream_t *)&c->err, child_alloc, on_child_read);
        c->next = loop->children;
        if (loop->children)
                loop->children->prev = c;
        loop->children = c;
        if (out)
                *out = c;
        c = NULL;
        rc = CC_AGAIN;
out:
        cc_free(c);
        return rc;
}

void
cc_child_kill(struct cc_child *c)
{
        if (!c || c->reported || c->canceled)
                return;
        c->canceled = true;
        if (!c->exited)
                uv_process_kill(&c->proc, SIGKILL);
        /* a grandchild may hold the pipes open: do not wait for their EOF */
        child_stop_reading(c, &c->out);
        child_stop_reading(c, &c->err);
        child_maybe_finish(c);
}

/* --- release ------------------------------------------------------------------ */

static void
close_leftover(uv_handle_t *h, void *arg)
{
        struct cc_loop *loop = arg;

        if (uv_is_closing(h))
                return;
        /* only our own handles are closed here; anything else is a leak by
         * the module that opened it and makes uv_loop_close() fail */
        if (h->type == UV_POLL)
                uv_close(h, sock_closed);
        else if (h == (uv_handle_t *)&loop->curl_timer || h == (uv_handle_t *)&loop->keepalive ||
                 h == (uv_handle_t *)&loop->sigs[0] || h == (uv_handle_t *)&loop->sigs[1])
                uv_close(h, NULL);
}

static void
report_leftover(uv_handle_t *h, void *arg)
{
        if (!uv_is_closing(h))
                CC_ERROR("loop", "handle left open at release",
                         CC_S("type", uv_handle_type_name(h->type)));
}

cc_err
cc_loop_release(struct cc_loop *loop)
{
        struct cc_child *c, *cnext;
        cc_err rc = CC_OK;

        for (c = loop->children; c; c = cnext) {
                cnext = c->next;
                cc_child_kill(c);
        }
        /* their callbacks fire once the exits are reaped */
        while (loop->children)
                uv_run(&loop->uv, UV_RUN_ONCE);
        while (loop->timers)
                cc_timer_cancel(loop->timers);
        if (loop->multi) {
                curl_multi_cleanup(loop->multi);
                loop->multi = NULL;
        }
        uv_walk(&loop->uv, close_leftover, loop);
        /* close callbacks run in the closing phase of one iteration; NOWAIT so
         * that a handle leaked by a module cannot make release block */
        uv_run(&loop->uv, UV_RUN_NOWAIT);
        uv_run(&loop->uv, UV_RUN_NOWAIT);
        if (uv_loop_close(&loop->uv) != 0) {
                uv_walk(&loop->uv, report_leftover, NULL);
                /* close them anyway so that the memory of the loop is consistent */
                rc = CC_INTERNAL;
        }
        loop->hooks = NULL;
        return rc;
}
