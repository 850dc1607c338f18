/* gc.c -- the worker thread that runs mock-kube's controllers: garbage
 * collector, namespace controller, Deployment and EndpointSlice.
 *
 * DESIGN
 * ------
 * On a real cluster these are controllers in kube-controller-manager: a
 * DELETE only marks or removes the one object, and dependents and namespace
 * contents go a moment later.  Here one thread per cluster plays both.  It
 * runs a pass (kube_gc_pass, store.c) whenever the store changed
 * (k->gc.dirty, set by kube_record, which also broadcasts k->cond) and every
 * PERIOD_MS besides, and repeats a pass at once while the previous one
 * changed something, so a cascade settles within milliseconds of the
 * request that started it.  The Deployment and EndpointSlice controllers
 * (workload.c) run in the same pass, after the collector, so a slice sees
 * the Deployment status written just before it; the periodic pass is what
 * makes pods ready once --pod-ready-ms has gone by.  Passes run under the cluster's lock and make
 * ordinary writes, so every change has its watch event.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "mocks/kube/kube.h"
#include "core/banned.h"

#define PERIOD_MS 50

static void
deadline_in(struct timespec *ts, long ms)
{
        clock_gettime(CLOCK_REALTIME, ts);
        ts->tv_sec += ms / 1000;
        ts->tv_nsec += (ms % 1000) * 1000000L;
        if (ts->tv_nsec >= 1000000000L) {
                ts->tv_sec++;
                ts->tv_nsec -= 1000000000L;
        }
}

static void *
worker(void *arg)
{
        struct kube *k = arg;
        pthread_mutex_t *m = k->gc.lock;

        pthread_mutex_lock(m);
        while (!k->gc.stop) {
                struct timespec until;

                k->gc.dirty = false;
                kube_gc_pass(k);
                kube_deploy_pass(k);
                kube_slice_pass(k);
                k->gc.passes++;
                if (k->gc.dirty)
                        continue; /* the pass changed something: look again */
                deadline_in(&until, PERIOD_MS);
                while (!k->gc.stop && !k->gc.dirty)
                        if (pthread_cond_timedwait(&k->cond, m, &until) == ETIMEDOUT)
                                break;
        }
        pthread_mutex_unlock(m);
        return NULL;
}

bool
kube_gc_start(struct kube *k, pthread_mutex_t *lock)
{
        if (k->gc.running)
                return true;
        k->gc.lock = lock;
        k->gc.stop = false;
        k->gc.dirty = true;
        if (pthread_create(&k->gc.thread, NULL, worker, k)) {
                k->gc.lock = NULL;
                return false;
        }
        k->gc.running = true;
        return true;
}

void
kube_gc_stop(struct kube *k)
{
        if (!k->gc.running)
                return;
        pthread_mutex_lock(k->gc.lock);
        k->gc.stop = true;
        pthread_cond_broadcast(&k->cond);
        pthread_mutex_unlock(k->gc.lock);
        pthread_join(k->gc.thread, NULL);
        k->gc.running = false;
        k->gc.stop = false;
        k->gc.lock = NULL;
}
