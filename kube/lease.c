/* lease.c -- leader election: the tryAcquireOrRenew state machine and its driver.
 *
 * DESIGN: one repeating timer (the retry period) drives attempts; an
 * attempt is a chain of at most three requests (fast-path PUT, GET,
 * POST/PUT) with one in flight at a time.  Every tick also checks the
 * renew deadline, so a leader stuck on a hanging request still steps down
 * in time (the request is canceled).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kube/lease.h"

#include "core/alloc.h"
#include "core/json.h"
#include "core/log.h"

#include "core/banned.h"

#define LEASE_COMP "kube.lease"

/* --- the state machine ------------------------------------------------------ */

static void
copy_str(char *dst, size_t size, const cJSON *v)
{
        snprintf(dst, size, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

cc_err
cc_kube_lease_record_parse(const cJSON *lease, struct cc_kube_lease_record *rec)
{
        const cJSON *spec = cJSON_GetObjectItemCaseSensitive(lease, "spec");
        const cJSON *v;

        if (!cJSON_IsObject(lease))
                return CC_INVAL;
        memset(rec, 0, sizeof(*rec));
        copy_str(rec->holder, sizeof(rec->holder),
                 cJSON_GetObjectItemCaseSensitive(spec, "holderIdentity"));
        copy_str(rec->acquire_time, sizeof(rec->acquire_time),
                 cJSON_GetObjectItemCaseSensitive(spec, "acquireTime"));
        copy_str(rec->renew_time, sizeof(rec->renew_time),
                 cJSON_GetObjectItemCaseSensitive(spec, "renewTime"));
        copy_str(rec->rv, sizeof(rec->rv), cc_json_lookup(lease, "metadata.resourceVersion"));
        v = cJSON_GetObjectItemCaseSensitive(spec, "leaseDurationSeconds");
        rec->duration_s = cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
        v = cJSON_GetObjectItemCaseSensitive(spec, "leaseTransitions");
        rec->transitions = cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
        return CC_OK;
}

static bool
same_record(const struct cc_kube_lease_record *a, const struct cc_kube_lease_record *b)
{
        return strcmp(a->holder, b->holder) == 0 && a->duration_s == b->duration_s &&
               strcmp(a->acquire_time, b->acquire_time) == 0 &&
               strcmp(a->renew_time, b->renew_time) == 0 && a->transitions == b->transitions;
}

void
cc_kube_lease_observe(struct cc_kube_lease_view *v, const struct cc_kube_lease_record *rec,
                      uint64_t now_ms)
{
        if (!rec) {
                v->exists = false;
                memset(&v->record, 0, sizeof(v->record));
                v->observed_ms = now_ms;
                return;
        }
        if (!v->exists || !same_record(&v->record, rec))
                v->observed_ms = now_ms;
        v->exists = true;
        v->record = *rec; /* the RV always moves forward */
}

bool
cc_kube_lease_valid(const struct cc_kube_lease_view *v, uint64_t now_ms)
{
        return v->exists && v->observed_ms + (uint64_t)v->record.duration_s * 1000 > now_ms;
}

enum cc_kube_lease_step
cc_kube_lease_decide(const struct cc_kube_lease_view *v, const char *identity, uint64_t now_ms)
{
        if (!v->exists)
                return CC_KUBE_LEASE_CREATE;
        if (strcmp(v->record.holder, identity) == 0)
                return CC_KUBE_LEASE_RENEW;
        if (v->record.holder[0] && cc_kube_lease_valid(v, now_ms))
                return CC_KUBE_LEASE_WAIT;
        return CC_KUBE_LEASE_ACQUIRE;
}

void
cc_kube_micro_time(int64_t wall_us, char *buf, size_t size)
{
        time_t s = (time_t)(wall_us / 1000000);
        struct tm tm;

        gmtime_r(&s, &tm);
        snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(wall_us % 1000000));
}

cJSON *
cc_kube_lease_build(const struct cc_kube_lease_view *v, enum cc_kube_lease_step step, bool release,
                    const char *ns, const char *name, const char *identity, int64_t duration_s,
                    const char *now)
{
        cJSON *o = cJSON_CreateObject(), *md, *spec;
        const struct cc_kube_lease_record *old = &v->record;
        const char *acquire = now;
        int64_t transitions = 0;
        bool ok;

        if (release) {
                transitions = old->transitions;
        } else if (step == CC_KUBE_LEASE_RENEW) {
                acquire = old->acquire_time[0] ? old->acquire_time : now;
                transitions = old->transitions;
        } else if (step == CC_KUBE_LEASE_ACQUIRE) {
                transitions = old->transitions + 1;
        }
        ok = o && cJSON_AddStringToObject(o, "apiVersion", "coordination.k8s.io/v1") &&
             cJSON_AddStringToObject(o, "kind", "Lease");
        md = ok ? cJSON_AddObjectToObject(o, "metadata") : NULL;
        ok = md && cJSON_AddStringToObject(md, "name", name) &&
             cJSON_AddStringToObject(md, "namespace", ns);
        if (ok && step != CC_KUBE_LEASE_CREATE && old->rv[0])
                ok = cJSON_AddStringToObject(md, "resourceVersion", old->rv) != NULL;
        spec = ok ? cJSON_AddObjectToObject(o, "spec") : NULL;
        ok = spec && cJSON_AddStringToObject(spec, "holderIdentity", release ? "" : identity) &&
             cJSON_AddNumberToObject(spec, "leaseDurationSeconds",
                                     (double)(release ? 1 : duration_s)) &&
             cJSON_AddStringToObject(spec, "acquireTime", acquire) &&
             cJSON_AddStringToObject(spec, "renewTime", now) &&
             cJSON_AddNumberToObject(spec, "leaseTransitions", (double)transitions);
        if (!ok) {
                cJSON_Delete(o);
                o = NULL;
        }
        return o;
}

/* --- the driver -------------------------------------------------------------- */

enum phase { PH_IDLE, PH_FAST, PH_GET, PH_WRITE, PH_RELEASE };

struct cc_kube_lease {
        struct cc_kube_client *k;
        struct cc_loop *loop;
        char *ns, *name, *identity;
        uint64_t duration_ms, deadline_ms, retry_ms;
        struct cc_kube_lease_opts o; /* callbacks and clocks */
        struct cc_kube_lease_view view;
        char last_leader[CC_KUBE_LEASE_STR];
        enum phase phase;
        struct cc_kube_op *op;
        struct cc_timer *timer;
        struct cc_loop_hook hook;
        uint64_t last_renew_ms;
        bool leading, started, stopped, zombie, hooked, release_after;
};

static uint64_t
now_ms(struct cc_kube_lease *le)
{
        return le->o.now_ms ? le->o.now_ms(le->o.clock_ud) : cc_loop_now_ms(le->loop);
}

static void
now_str(struct cc_kube_lease *le, char *buf, size_t size)
{
        int64_t us;

        if (le->o.wall_us) {
                us = le->o.wall_us(le->o.clock_ud);
        } else {
                struct timespec ts;

                clock_gettime(CLOCK_REALTIME, &ts);
                us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
        }
        cc_kube_micro_time(us, buf, size);
}

cc_err
cc_kube_lease_new(struct cc_kube_client *k, const struct cc_kube_lease_opts *o,
                  struct cc_kube_lease **out, struct cc_diag *d)
{
        struct cc_kube_lease *le = NULL;
        uint64_t dur, dl, retry;
        cc_err rc = CC_OK;

        if (!o || !o->name || !o->name[0] || !o->identity || !o->identity[0] ||
            strlen(o->identity) >= CC_KUBE_LEASE_STR || !k)
                return cc_diag_set(d, CC_INVAL, 0,
                                   "cannot elect: a client, a name and an identity are required");
        dur = o->lease_duration_ms ? o->lease_duration_ms : 15000;
        dl = o->renew_deadline_ms ? o->renew_deadline_ms : 10000;
        retry = o->retry_period_ms ? o->retry_period_ms : 2000;
        if (dl >= dur || retry >= dl || dur < 1000)
                return cc_diag_set(d, CC_INVAL, 0,
                                   "cannot elect: need retry period < renew deadline < lease "
                                   "duration (>= 1 s)");
        le = cc_calloc(1, sizeof(*le));
        if (!le) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "cannot elect: out of memory");
                goto out;
        }
        le->k = k;
        le->loop = cc_kube_client_loop(k);
        le->o = *o;
        le->duration_ms = dur;
        le->deadline_ms = dl;
        le->retry_ms = retry;
        le->ns = cc_strdup(o->ns ? o->ns : cc_kube_client_namespace(k));
        le->name = cc_strdup(o->name);
        le->identity = cc_strdup(o->identity);
        le->o.ns = le->o.name = le->o.identity = NULL;
        if (!le->ns || !le->name || !le->identity) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "cannot elect: out of memory");
                goto out;
        }
        *out = le;
        le = NULL;
out:
        if (le) {
                cc_free(le->ns);
                cc_free(le->name);
                cc_free(le->identity);
                cc_free(le);
        }
        return rc;
}

static void
really_free(struct cc_kube_lease *le)
{
        cc_free(le->ns);
        cc_free(le->name);
        cc_free(le->identity);
        cc_free(le);
}

static void
note_leader(struct cc_kube_lease *le)
{
        if (strcmp(le->last_leader, le->view.record.holder) == 0)
                return;
        snprintf(le->last_leader, sizeof(le->last_leader), "%s", le->view.record.holder);
        CC_INFO(LEASE_COMP, "leader observed", CC_S("lease", le->name),
                CC_S("leader", le->last_leader));
        if (le->o.on_new_leader)
                le->o.on_new_leader(le->last_leader, le->o.ud);
}

static void
step_down(struct cc_kube_lease *le, const char *why)
{
        if (!le->leading)
                return;
        le->leading = false;
        CC_WARN(LEASE_COMP, "stopped leading", CC_S("lease", le->name),
                CC_S("identity", le->identity), CC_S("reason", why));
        if (le->o.on_stopped_leading)
                le->o.on_stopped_leading(le->o.ud);
}

static void
check_deadline(struct cc_kube_lease *le)
{
        if (le->leading && now_ms(le) - le->last_renew_ms >= le->deadline_ms) {
                if (le->op && le->phase != PH_RELEASE)
                        cc_kube_cancel(le->op);
                step_down(le, "renew deadline passed");
        }
}

static void
attempt_done(struct cc_kube_lease *le, bool ok)
{
        le->phase = PH_IDLE;
        if (!ok) {
                check_deadline(le);
                return;
        }
        le->last_renew_ms = now_ms(le);
        if (!le->leading && !le->stopped) {
                le->leading = true;
                CC_INFO(LEASE_COMP, "started leading", CC_S("lease", le->name),
                        CC_S("identity", le->identity),
                        CC_I("transitions", le->view.record.transitions));
                if (le->o.on_started_leading)
                        le->o.on_started_leading(le->o.ud);
        }
}

static void send_release(struct cc_kube_lease *le);
static void start_get(struct cc_kube_lease *le);

/* after our own successful write: that record is what we observed, now */
static void
observe_written(struct cc_kube_lease *le, const cJSON *obj)
{
        struct cc_kube_lease_record rec;

        if (cc_kube_lease_record_parse(obj, &rec) == CC_OK) {
                le->view.exists = true;
                le->view.record = rec;
                le->view.observed_ms = now_ms(le);
                note_leader(le);
        }
}

/* common entry of every callback: true when the elector is gone or done */
static bool
settle(struct cc_kube_lease *le)
{
        le->op = NULL;
        if (!le->stopped)
                return false;
        le->phase = PH_IDLE;
        if (le->release_after) {
                le->release_after = false;
                send_release(le);
        }
        if (le->zombie && !le->op)
                really_free(le);
        return true;
}

static void
on_write(struct cc_kube_op *op, cc_err rc, struct cc_kube_result *res, void *ud)
{
        struct cc_kube_lease *le = ud;
        enum phase ph = le->phase;

        if (settle(le))
                return;
        if (rc == CC_OK) {
                observe_written(le, res->obj);
                attempt_done(le, true);
                return;
        }
        CC_DEBUG(LEASE_COMP, "lease write failed", CC_S("lease", le->name),
                 CC_S("error", res->diag.message));
        if (ph == PH_FAST && rc != CC_CANCELED) {
                start_get(le); /* client-go falls back to the slow path */
                return;
        }
        attempt_done(le, false);
}

static void
write_step(struct cc_kube_lease *le, enum cc_kube_lease_step step, enum phase ph)
{
        const struct cc_kube_resource *r = cc_kube_resource_by_kind("Lease");
        char now[40];
        cJSON *body;
        cc_err rc;

        now_str(le, now, sizeof(now));
        body = cc_kube_lease_build(&le->view, step, false, le->ns, le->name, le->identity,
                                   (int64_t)(le->duration_ms / 1000), now);
        if (!body) {
                attempt_done(le, false);
                return;
        }
        le->phase = ph;
        if (step == CC_KUBE_LEASE_CREATE)
                rc = cc_kube_create(le->k, r, le->ns, body, on_write, le, &le->op, NULL);
        else
                rc = cc_kube_update(le->k, r, body, on_write, le, &le->op, NULL);
        cJSON_Delete(body);
        if (rc != CC_AGAIN) {
                le->op = NULL;
                attempt_done(le, false);
        }
}

static void
on_get(struct cc_kube_op *op, cc_err rc, struct cc_kube_result *res, void *ud)
{
        struct cc_kube_lease *le = ud;
        struct cc_kube_lease_record rec;
        enum cc_kube_lease_step step;

        if (settle(le))
                return;
        if (rc == CC_NOTFOUND && res->status == 404) {
                cc_kube_lease_observe(&le->view, NULL, now_ms(le));
        } else if (rc != CC_OK || cc_kube_lease_record_parse(res->obj, &rec) != CC_OK) {
                CC_DEBUG(LEASE_COMP, "lease read failed", CC_S("lease", le->name),
                         CC_S("error", res->diag.message));
                attempt_done(le, false);
                return;
        } else {
                cc_kube_lease_observe(&le->view, &rec, now_ms(le));
                note_leader(le);
        }
        step = cc_kube_lease_decide(&le->view, le->identity, now_ms(le));
        if (step == CC_KUBE_LEASE_WAIT) {
                attempt_done(le, false);
                return;
        }
        write_step(le, step, PH_WRITE);
}

static void
start_get(struct cc_kube_lease *le)
{
        le->phase = PH_GET;
        if (cc_kube_get(le->k, cc_kube_resource_by_kind("Lease"), le->ns, le->name, on_get, le,
                        &le->op, NULL) != CC_AGAIN) {
                le->op = NULL;
                attempt_done(le, false);
        }
}

static void
on_tick(struct cc_timer *t, void *ud)
{
        struct cc_kube_lease *le = ud;

        if (le->stopped)
                return;
        check_deadline(le);
        if (le->op)
                return; /* the previous attempt is still running */
        if (le->leading && cc_kube_lease_valid(&le->view, now_ms(le)) &&
            strcmp(le->view.record.holder, le->identity) == 0)
                write_step(le, CC_KUBE_LEASE_RENEW, PH_FAST);
        else
                start_get(le);
}

static void
on_loop_stop(struct cc_loop *loop, void *ud)
{
        cc_kube_lease_stop(ud);
}

cc_err
cc_kube_lease_start(struct cc_kube_lease *le, struct cc_diag *d)
{
        cc_err rc;

        if (le->started)
                return cc_diag_set(d, CC_INVAL, 0, "cannot elect: started already");
        rc = cc_timer_start(le->loop, 0, le->retry_ms, on_tick, le, &le->timer);
        if (rc != CC_OK)
                return cc_diag_set(d, rc, 0, "cannot elect: out of memory");
        le->started = true;
        cc_loop_on_stop(le->loop, &le->hook, on_loop_stop, le);
        le->hooked = true;
        return CC_OK;
}

static void
on_release(struct cc_kube_op *op, cc_err rc, struct cc_kube_result *res, void *ud)
{
        struct cc_kube_lease *le = ud;

        le->op = NULL;
        le->phase = PH_IDLE;
        if (rc != CC_OK)
                CC_WARN(LEASE_COMP, "cannot release the lease", CC_S("lease", le->name),
                        CC_S("error", res->diag.message));
        else
                CC_INFO(LEASE_COMP, "lease released", CC_S("lease", le->name));
        step_down(le, "stopped");
        if (le->zombie)
                really_free(le);
}

static void
send_release(struct cc_kube_lease *le)
{
        char now[40];
        cJSON *body;
        cc_err rc = CC_NOMEM;

        if (!le->leading || strcmp(le->view.record.holder, le->identity) != 0) {
                step_down(le, "stopped");
                return;
        }
        now_str(le, now, sizeof(now));
        body = cc_kube_lease_build(&le->view, CC_KUBE_LEASE_RENEW, true, le->ns, le->name,
                                   le->identity, 1, now);
        le->phase = PH_RELEASE;
        if (body)
                rc = cc_kube_update(le->k, cc_kube_resource_by_kind("Lease"), body, on_release, le,
                                    &le->op, NULL);
        cJSON_Delete(body);
        if (rc != CC_AGAIN) {
                le->op = NULL;
                le->phase = PH_IDLE;
                step_down(le, "stopped");
        }
}

void
cc_kube_lease_stop(struct cc_kube_lease *le)
{
        if (!le || le->stopped)
                return;
        le->stopped = true;
        if (le->timer) {
                cc_timer_cancel(le->timer);
                le->timer = NULL;
        }
        if (le->op) {
                /* release once the attempt in flight has completed */
                le->release_after = le->leading;
                cc_kube_cancel(le->op);
                return;
        }
        send_release(le);
}

void
cc_kube_lease_free(struct cc_kube_lease *le)
{
        if (!le)
                return;
        cc_kube_lease_stop(le);
        if (le->hooked) {
                cc_loop_hook_remove(le->loop, &le->hook);
                le->hooked = false;
        }
        if (le->op) {
                le->zombie = true;
                return;
        }
        really_free(le);
}

bool
cc_kube_lease_is_leader(const struct cc_kube_lease *le)
{
        return le->leading;
}
