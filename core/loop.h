/* loop.h -- the event loop: libuv with curl multi, timers, signals, child processes.
 *
 * cloudctl runs on one libuv loop.  struct cc_loop owns the uv_loop_t and
 * the curl multi handle that every HTTP transfer shares (socket and timer
 * callbacks drive curl from uv_poll and uv_timer handles), plus the timers
 * and child processes created through this API.
 *
 * Async contract (libuv style): cc_child_spawn() returns CC_AGAIN when the
 * process started, and its callback then fires exactly once, later, on the
 * loop thread (never from inside the call); any other return means nothing
 * was registered and the callback never fires.  Timers are handles rather
 * than operations: cc_timer_start() returns CC_OK and the callback fires at
 * every expiry until the timer is canceled (or once, for a one-shot timer).
 *
 * Lifecycle:
 *   cc_loop_init() -> [cc_loop_catch_signals()] -> work -> cc_loop_run()
 *   -> (modules release their objects) -> cc_loop_release().
 *
 * Stopping: cc_loop_stop() (or the first SIGINT/SIGTERM once signals are
 * caught) runs the stop hooks once, in registration order, and cancels
 * every child process (their callbacks fire with CC_CANCELED).  Modules
 * use their hook to cancel outstanding work and stop repeating timers; the
 * loop then drains (the pending callbacks run) and cc_loop_run() returns
 * CC_OK.  A second signal forces: cc_loop_run() returns CC_CANCELED at once,
 * without draining, and the program goes straight to release.
 *
 * Release closes everything the loop still owns (timers, children, which
 * are killed, curl sockets), runs the loop until the close callbacks have
 * run, and closes the uv loop.  It returns CC_OK only when uv_loop_close()
 * succeeded, i.e. no live handle was left behind by any module.
 *
 * Thread safety: none.  Everything runs on the loop thread.
 */
#ifndef CC_LOOP_H
#define CC_LOOP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/buf.h"
#include "core/err.h"

struct cc_loop;
struct cc_timer;
struct cc_child;

/* A stop hook, embedded in the registering module's state (no allocation). */
struct cc_loop_hook {
        struct cc_loop_hook *next;
        void (*fn)(struct cc_loop *loop, void *ud);
        void *ud;
};

/* A curl transfer driven by the loop.  The owner embeds it, sets easy and
 * done, and adds it with cc_loop_xfer_add().  When curl reports the
 * transfer finished, the loop removes the easy handle from the multi handle
 * and calls done(x, result) on the loop thread; the owner may then add it
 * again (a retry) or clean the easy handle up. */
struct cc_loop_xfer {
        CURL *easy;
        void (*done)(struct cc_loop_xfer *x, CURLcode result);
        bool added; /* managed by the loop */
};

struct cc_loop {
        uv_loop_t uv;
        CURLM *multi;
        uv_timer_t curl_timer;
        uv_prepare_t keepalive; /* active while transfers are in flight */
        uv_signal_t sigs[2];
        struct cc_loop_hook *hooks;
        struct cc_timer *timers;
        struct cc_child *children;
        size_t nxfers;
        unsigned nsignals;
        bool signals_on;
        bool stopping;
        bool forced;
};

/* cc_loop_init -- set up the uv loop and the curl multi handle.  Call
 * cc_alloc_init() (or curl_global_init) before.  On error nothing needs
 * releasing. */
cc_err cc_loop_init(struct cc_loop *loop, struct cc_diag *d);

/* cc_loop_catch_signals -- treat SIGINT and SIGTERM as a graceful stop (a
 * second one forces).  The signal handles do not keep the loop alive. */
cc_err cc_loop_catch_signals(struct cc_loop *loop, struct cc_diag *d);

/* cc_loop_run -- run until no work is left (CC_OK), or until a forced stop
 * (CC_CANCELED). */
cc_err cc_loop_run(struct cc_loop *loop);

/* cc_loop_stop -- request a graceful stop: run the stop hooks (once) and
 * cancel child processes.  Safe to call from any callback; idempotent. */
void cc_loop_stop(struct cc_loop *loop);

/* cc_loop_stopping -- true once a stop was requested.  New work should be
 * refused with CC_CANCELED from then on. */
bool cc_loop_stopping(const struct cc_loop *loop);

/* cc_loop_on_stop -- register hook (embedded in the caller's state) to run
 * fn(loop, ud) when the loop stops.  cc_loop_hook_remove() unregisters it;
 * a module must remove its hook before its state goes away. */
void cc_loop_on_stop(struct cc_loop *loop, struct cc_loop_hook *hook,
                     void (*fn)(struct cc_loop *loop, void *ud), void *ud);
void cc_loop_hook_remove(struct cc_loop *loop, struct cc_loop_hook *hook);

/* cc_loop_release -- close everything the loop owns and the uv loop itself.
 * Runs outstanding child callbacks (CC_CANCELED).  Returns CC_INTERNAL when
 * a handle the loop does not own was left open (a module's leak); the loop
 * is unusable afterwards in every case. */
cc_err cc_loop_release(struct cc_loop *loop);

/* cc_loop_now_ms -- the loop's cached monotonic time in milliseconds. */
uint64_t cc_loop_now_ms(struct cc_loop *loop);

/* --- curl transfers (used by core/http.c) -------------------------------- */

/* cc_loop_xfer_add -- start x->easy on the shared multi handle.  The loop
 * sets CURLOPT_PRIVATE; the owner must not.  Returns CC_NOMEM or
 * CC_INTERNAL when curl refuses (done never fires then). */
cc_err cc_loop_xfer_add(struct cc_loop *loop, struct cc_loop_xfer *x);

/* cc_loop_xfer_remove -- stop a transfer without calling done.  Must not be
 * called from inside a curl callback (write, header, debug); no-op when x
 * is not added. */
void cc_loop_xfer_remove(struct cc_loop *loop, struct cc_loop_xfer *x);

/* --- timers -------------------------------------------------------------- */

typedef void (*cc_timer_fn)(struct cc_timer *t, void *ud);

/* cc_timer_start -- call fn(t, ud) after timeout_ms, then every repeat_ms
 * (0 = one shot).  A one-shot timer is freed when fn returns; a repeating
 * one lives until cc_timer_cancel().  A pending timer keeps the loop alive.
 * *out (may be NULL) receives the handle.  Returns CC_OK or CC_NOMEM. */
cc_err cc_timer_start(struct cc_loop *loop, uint64_t timeout_ms, uint64_t repeat_ms, cc_timer_fn fn,
                      void *ud, struct cc_timer **out);

/* cc_timer_cancel -- fn will not fire again; t is invalid afterwards.
 * NULL-safe; allowed inside fn (also for a one-shot timer). */
void cc_timer_cancel(struct cc_timer *t);

/* --- child processes ----------------------------------------------------- */

struct cc_child_opts {
        const char *const *argv; /* argv[0] is the program (PATH is searched); NULL-terminated */
        const char *const *env;  /* "K=V" list, NULL-terminated; NULL inherits the environment */
        const char *cwd;         /* NULL = current directory */
        size_t out_max;          /* stdout cap in bytes; 0 = 1 MiB */
        size_t err_max;          /* stderr cap in bytes; 0 = 64 KiB */
};

struct cc_child_result {
        int64_t exit_status; /* valid when term_signal == 0 */
        int term_signal;     /* the signal that ended the process, 0 if it exited */
        struct cc_buf out;   /* captured stdout, up to out_max bytes */
        struct cc_buf err;   /* captured stderr, up to err_max bytes (rest dropped) */
        bool err_truncated;
};

/* rc: CC_OK when the process ran to its end (whatever its exit status);
 * CC_TOOBIG when stdout exceeded out_max (the process was killed);
 * CC_CANCELED after cc_child_kill(), a loop stop or release.
 * r and its buffers are valid during the call; the callback may take the
 * buffers' contents with cc_buf_detach(). */
typedef void (*cc_child_fn)(struct cc_child *c, cc_err rc, struct cc_child_result *r, void *ud);

/* cc_child_spawn -- start a process with stdin on /dev/null and stdout/
 * stderr captured.  Returns CC_AGAIN (fn fires once, later), or CC_NOMEM,
 * CC_NOTFOUND (no such program), CC_IO, CC_INVAL, CC_CANCELED (loop
 * stopping) with d filled, and fn never fires.  *out (may be NULL) is
 * valid until fn returns. */
cc_err cc_child_spawn(struct cc_loop *loop, const struct cc_child_opts *o, cc_child_fn fn, void *ud,
                      struct cc_child **out, struct cc_diag *d);

/* cc_child_kill -- SIGKILL the process; fn fires later with CC_CANCELED
 * (unless it already fired, in which case c must not be used at all). */
void cc_child_kill(struct cc_child *c);

#endif
