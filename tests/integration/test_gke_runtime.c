/* test_gke_runtime.c -- the gke runtime (observe, plan, walk, exec) against mock-gcp. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/http.h"
#include "core/json.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/plan.h"
#include "core/walk.h"
#include "lib/testlib.h"
#include "providers/gke/api.h"
#include "providers/gke/auth.h"
#include "providers/gke/exec.h"
#include "providers/gke/gke.h"
#include "providers/gke/observe.h"
#include "core/banned.h"

#define PROJECT "test-proj"
#define FLEET   "fleet1"
#define ZONE    "zone1"
#define OWNER   FLEET "/default/web"

/* --- the mock process ---------------------------------------------------- */

struct mock {
        pid_t pid;
        char url[256];
};

static void seed_bearer_reset(void);

/* the mock of the running test, stopped by the teardown even after a failure */
static pid_t live_mock;

static int
teardown(void **state)
{
        int st;

        (void)state;
        if (live_mock > 0) {
                kill(live_mock, SIGTERM);
                waitpid(live_mock, &st, 0);
        }
        live_mock = 0;
        seed_bearer_reset();
        return 0;
}

static void
mock_start(struct mock *m, const char *const *extra)
{
        const char *bin_dir = getenv("CC_BINARY_DIR");
        char bin[1024];
        const char *argv[16];
        int fds[2], n = 0;
        FILE *f;

        snprintf(bin, sizeof(bin), "%s/bin/mock-gcp", bin_dir ? bin_dir : "build");
        argv[n++] = bin;
        argv[n++] = "--port";
        argv[n++] = "0";
        while (extra && *extra && n < 14)
                argv[n++] = *extra++;
        argv[n] = NULL;
        assert_int_equal(pipe(fds), 0);
        m->pid = fork();
        assert_true(m->pid >= 0);
        if (m->pid == 0) {
                dup2(fds[1], 1);
                close(fds[0]);
                close(fds[1]);
                execv(bin, (char *const *)argv);
                _exit(127);
        }
        close(fds[1]);
        live_mock = m->pid;
        f = fdopen(fds[0], "r");
        assert_non_null(f);
        assert_non_null(fgets(m->url, sizeof(m->url), f));
        m->url[strcspn(m->url, "\r\n")] = '\0';
        fclose(f);
        assert_true(!strncmp(m->url, "http", 4));
}

static void
mock_stop(struct mock *m)
{
        int st;

        kill(m->pid, SIGTERM);
        waitpid(m->pid, &st, 0);
        live_mock = 0;
}

/* the bearer token seed calls carry against a mock with --require-auth */
static char seed_bearer[600];

static void
seed_bearer_reset(void)
{
        seed_bearer[0] = '\0';
}

/* a blocking admin/API call; returns the parsed body (or NULL) */
static cJSON *
mock_call(struct mock *m, const char *method, const char *path, const char *body, long *status)
{
        char url[2048];
        cJSON *out = NULL;
        long st;

        snprintf(url, sizeof(url), "%s%s", m->url, path);
        st = cc_test_http(method, url, NULL, seed_bearer[0] ? seed_bearer : NULL, NULL, body, &out);
        assert_int_not_equal(st, 0); /* an answer came */
        if (status)
                *status = st;
        return out;
}

static void
mock_ok(struct mock *m, const char *method, const char *path, const char *body)
{
        long st = 0;
        cJSON *r = mock_call(m, method, path, body, &st);

        if (st >= 300)
                print_error("%s %s -> %ld\n", method, path, st);
        assert_true(st < 300);
        cJSON_Delete(r);
}

static long
mock_mutations(struct mock *m)
{
        cJSON *c = mock_call(m, "GET", "/_mock/counters", NULL, NULL), *api;
        long n = 0;

        cJSON_ArrayForEach(api, c)
        {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(api, "mutating");

                if (cJSON_IsNumber(v))
                        n += (long)v->valuedouble;
        }
        cJSON_Delete(c);
        return n;
}

static char *
mock_state(struct mock *m)
{
        cJSON *s = mock_call(m, "GET", "/_mock/state", NULL, NULL);
        char *t = cJSON_PrintUnformatted(s);

        cJSON_Delete(s);
        return t;
}

/* live resources (lists of every collection, not the history) that
 * mention needle; names of those found go to stderr */
static int
live_count(struct mock *m, const char *needle)
{
        static const char *const paths[] = {
                "/compute/v1/projects/" PROJECT "/global/firewalls",
                "/compute/v1/projects/" PROJECT "/global/addresses",
                "/compute/v1/projects/" PROJECT "/global/healthChecks",
                "/compute/v1/projects/" PROJECT "/global/backendServices",
                "/compute/v1/projects/" PROJECT "/global/urlMaps",
                "/compute/v1/projects/" PROJECT "/global/targetHttpProxies",
                "/compute/v1/projects/" PROJECT "/global/targetHttpsProxies",
                "/compute/v1/projects/" PROJECT "/global/forwardingRules",
                "/v1/projects/" PROJECT "/locations/global/dnsAuthorizations",
                "/v1/projects/" PROJECT "/locations/global/certificates",
                "/v1/projects/" PROJECT "/locations/global/certificateMaps",
                "/dns/v1/projects/" PROJECT "/managedZones/" ZONE "/rrsets",
        };
        size_t i;
        int n = 0;

        for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
                cJSON *l = mock_call(m, "GET", paths[i], NULL, NULL), *arr, *it;

                cJSON_ArrayForEach(arr, l)
                {
                        cJSON_ArrayForEach(it, arr)
                        {
                                char *t = cJSON_IsObject(it) ? cJSON_PrintUnformatted(it) : NULL;

                                if (t && strstr(t, needle)) {
                                        print_error("live: %.200s\n", t);
                                        n++;
                                }
                                cJSON_free(t);
                        }
                }
                cJSON_Delete(l);
        }
        return n;
}

static void
seed(struct mock *m)
{
        mock_ok(m, "POST", "/dns/v1/projects/" PROJECT "/managedZones",
                "{\"name\":\"" ZONE "\",\"dnsName\":\"example.com.\",\"description\":\"\"}");
        mock_ok(m, "POST",
                "/compute/v1/projects/" PROJECT "/zones/us-central1-a/networkEndpointGroups",
                "{\"name\":\"k8s1-neg-a\",\"networkEndpointType\":\"GCE_VM_IP_PORT\","
                "\"defaultPort\":8080}");
        mock_ok(m, "POST",
                "/compute/v1/projects/" PROJECT "/zones/us-central1-b/networkEndpointGroups",
                "{\"name\":\"k8s1-neg-a\",\"networkEndpointType\":\"GCE_VM_IP_PORT\","
                "\"defaultPort\":8080}");
}

/* --- the runtime --------------------------------------------------------- */

struct rt {
        struct cc_loop loop;
        struct cc_http http;
        struct cc_gke_auth auth;
        struct cc_gke_api api;
        struct cc_gke_cache cache;
        struct cc_gke_exec exec;
};

static void
rt_init(struct rt *r, struct mock *m, const struct cc_gke_auth_opts *ao)
{
        struct cc_http_opts ho = { 0 };
        struct cc_gke_auth_opts none = { .type = CC_GKE_AUTH_NONE };
        struct cc_gke_endpoints ep;
        struct cc_retry_policy rp = { .max_attempts = 8, .base_ms = 20, .cap_ms = 300 };
        char compute[300], dns[300];
        struct cc_diag d;

        memset(r, 0, sizeof(*r));
        ho.retry = rp;
        ho.seed = 7;
        snprintf(compute, sizeof(compute), "%s/compute/v1/", m->url);
        snprintf(dns, sizeof(dns), "%s/dns/v1/", m->url);
        ep.compute = compute;
        ep.dns = dns;
        ep.certmgr = m->url;
        assert_int_equal(cc_loop_init(&r->loop, &d), CC_OK);
        assert_int_equal(cc_http_init(&r->http, &r->loop, &ho, &d), CC_OK);
        assert_int_equal(cc_gke_auth_init(&r->auth, &r->http, ao ? ao : &none, &d), CC_OK);
        assert_int_equal(cc_gke_api_init(&r->api, &r->loop, &r->http, &r->auth, &ep, &rp, &d),
                         CC_OK);
        r->exec.api = &r->api;
        r->exec.cache = &r->cache;
        r->exec.loop = &r->loop;
        r->exec.poll_base_ms = 20;
        r->exec.poll_cap_ms = 200;
}

static void
rt_release(struct rt *r)
{
        cc_gke_auth_release(&r->auth);
        cc_http_release(&r->http);
        cc_gke_api_release(&r->api);
        cc_gke_cache_release(&r->cache);
        cc_gke_exec_release(&r->exec);
        assert_int_equal(cc_loop_release(&r->loop), CC_OK);
}

struct gwspec {
        const char *host;
        bool destroy;
        const char *address_name;
};

struct pass {
        struct rt *rt;
        struct cc_graph g;
        struct cc_plan plan;
        struct cc_walk w;
        struct cc_gke_observe_result ores;
        struct cc_gke_scope scope;
        bool walked, done;
        cc_err rc;
        struct cc_diag d;
        size_t failed, blocked;
        char fail_msgs[4096];
        char plan_text[8192];
        unsigned long mut_calls, read_calls;
};

static void
walk_finished(struct cc_walk *w, void *ud)
{
        struct pass *p = ud;
        size_t i;

        for (i = 0; i < w->plan->n; i++) {
                size_t len = strlen(p->fail_msgs);

                if (w->steps[i].state == CC_STEP_FAILED) {
                        p->failed++;
                        snprintf(p->fail_msgs + len, sizeof(p->fail_msgs) - len, "%s\n",
                                 w->steps[i].diag.message);
                } else if (w->steps[i].state == CC_STEP_BLOCKED) {
                        p->blocked++;
                }
        }
        p->done = true;
}

static cc_err
exec_step(struct cc_walk *w, size_t i, void *ud, struct cc_diag *d)
{
        struct pass *p = ud;

        return cc_gke_exec_step(w, i, &p->rt->exec, d);
}

static void
observed(struct cc_gke_observe_result *res, void *ud)
{
        struct pass *p = ud;
        struct cc_walk_opts wo = { 0 };
        struct cc_buf b = CC_BUF_INIT(0);

        if (res->rc) {
                p->rc = res->rc;
                p->d = res->d;
                p->done = true;
                return;
        }
        if (cc_graph_resolve(&p->g, NULL) || cc_graph_observed_refs(&p->g) ||
            cc_plan_build(&p->g, &p->plan, &p->d)) {
                p->rc = p->d.code ? p->d.code : CC_INTERNAL;
                p->done = true;
                return;
        }
        cc_plan_print(&p->plan, &b);
        snprintf(p->plan_text, sizeof(p->plan_text), "%s", cc_buf_str(&b));
        cc_buf_release(&b);
        wo.exec = exec_step;
        wo.ud = p;
        wo.finished = walk_finished;
        wo.max_parallel = 16;
        p->rc = cc_walk_start(&p->w, &p->rt->loop, &p->g, &p->plan, &wo, &p->d);
        if (p->rc != CC_AGAIN) {
                p->done = true;
                return;
        }
        p->rc = CC_OK;
        p->walked = true;
}

static void
translate(const struct gwspec *gs, struct cc_graph *g)
{
        struct cc_lb_settings s = { .fleet = FLEET,
                                    .project = PROJECT,
                                    .network = "default",
                                    .dns_zone = ZONE,
                                    .dns_name = "example.com.",
                                    .cert_mode = CC_CERT_CERTMGR };
        struct cc_lb_listener ls[2] = {
                { .name = "https", .port = 443, .protocol = CC_LB_HTTPS, .hostname = gs->host },
                { .name = "http", .port = 80, .protocol = CC_LB_HTTP, .hostname = gs->host },
        };
        struct cc_lb_neg negs[2] = { { "us-central1-a", "k8s1-neg-a" },
                                     { "us-central1-b", "k8s1-neg-a" } };
        struct cc_lb_cluster cl = { .name = "c1", .weight = 100, .negs = negs, .nnegs = 2 };
        struct cc_lb_gateway gw = { .ns = "default",
                                    .name = "web",
                                    .listeners = ls,
                                    .nlisteners = 2,
                                    .address_name = gs->address_name,
                                    .clusters = &cl,
                                    .nclusters = 1 };
        struct cc_diag d;

        if (gs->destroy)
                return;
        assert_int_equal(cc_gke_translate(&s, &gw, g, &d), CC_OK);
}

/* one reconcile pass: translate, observe (lists), plan, walk */
/* opts.max_lists of the next passes (0 = no limit) */
static size_t g_max_lists;

static void
run_pass(struct rt *rt, const struct gwspec *gs, struct pass *p, bool use_cache)
{
        struct cc_gke_observe_opts oo = { 0 };
        struct cc_diag d;
        unsigned long m0, r0;
        size_t i;
        cc_err rc;

        memset(p, 0, sizeof(*p));
        p->rt = rt;
        translate(gs, &p->g);
        oo.scope.project = PROJECT;
        oo.scope.fleet = FLEET;
        oo.scope.dns_zone = ZONE;
        oo.use_cache = use_cache;
        oo.max_lists = g_max_lists;
        m0 = r0 = 0;
        for (i = 0; i < CC_GKE_API__COUNT; i++) {
                m0 += rt->api.counts.mutating[i];
                r0 += rt->api.counts.read[i];
        }
        rc = cc_gke_observe(&rt->api, &rt->cache, &oo, &p->g, &p->ores, observed, p, &d);
        if (rc == CC_OK)
                observed(&p->ores, p);
        else
                assert_int_equal(rc, CC_AGAIN);
        cc_loop_run(&rt->loop);
        assert_true(p->done || !p->walked);
        for (i = 0; i < CC_GKE_API__COUNT; i++) {
                p->mut_calls += rt->api.counts.mutating[i];
                p->read_calls += rt->api.counts.read[i];
        }
        p->mut_calls -= m0;
        p->read_calls -= r0;
}

static void
pass_release(struct pass *p)
{
        if (p->walked)
                cc_walk_release(&p->w);
        cc_plan_release(&p->plan);
        cc_graph_release(&p->g);
        cc_gke_observe_result_release(&p->ores);
}

/* run passes until one has nothing to do (at most n) */
static int
converge(struct rt *rt, const struct gwspec *gs, int n)
{
        int k;

        for (k = 1; k <= n; k++) {
                struct pass p;
                bool empty;

                run_pass(rt, gs, &p, false);
                empty = p.rc == CC_OK && p.plan.n == 0;
                if (getenv("CC_TEST_VERBOSE"))
                        print_message("pass %d: rc %d (%s), %zu steps, %zu failed\n%s", k, p.rc,
                                      p.d.message, p.plan.n, p.failed, p.fail_msgs);
                pass_release(&p);
                if (empty)
                        return k;
        }
        return -1;
}

static const char *
cert_state(struct mock *m, const char *state_text)
{
        /* the certificate's name: find "certificates/cc1-ce-" in the state */
        static char st[64];
        const char *p = strstr(state_text, "locations/global/certificates/cc1-ce-");
        char name[128], path[512];
        size_t n;
        cJSON *c;
        const char *s;

        if (!p)
                return "absent";
        p += strlen("locations/global/certificates/");
        n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789-");
        snprintf(name, sizeof(name), "%.*s", (int)n, p);
        snprintf(path, sizeof(path), "/v1/projects/" PROJECT "/locations/global/certificates/%s",
                 name);
        c = mock_call(m, "GET", path, NULL, NULL);
        s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(c, "managed"), "state"));
        snprintf(st, sizeof(st), "%s", s ? s : "?");
        cJSON_Delete(c);
        return st;
}

static void
negs_done(struct cc_gke_negs_result *res, void *ud)
{
        *(bool *)ud = true;
        (void)res;
}

static void
token_done(struct cc_gke_auth_waiter *w, cc_err rc, const struct cc_secret *tok,
           const struct cc_diag *d, void *ud)
{
        (void)w;
        (void)d;
        (void)ud;
        assert_int_equal(rc, CC_OK);
        snprintf(seed_bearer, sizeof(seed_bearer), "%s", cc_secret_str(tok));
}

/* --- tests --------------------------------------------------------------- */

static void
test_create_noop_change_destroy(void **state)
{
        size_t listed;
        struct mock m;
        struct rt rt;
        struct pass p;
        struct gwspec gs = { .host = "www.example.com" };
        char *text;
        long before;
        int k;

        (void)state;
        mock_start(&m, NULL);
        seed(&m);
        /* a foreign firewall with one of our names' shape, without our mark */
        mock_ok(&m, "POST", "/compute/v1/projects/" PROJECT "/global/firewalls",
                "{\"name\":\"cc1-fw-someone-else\",\"sourceRanges\":[\"10.0.0.0/8\"],"
                "\"allowed\":[{\"IPProtocol\":\"tcp\"}]}");
        rt_init(&rt, &m, NULL);

        /* NEG zones are discovered from the cloud; a missing one is reported */
        {
                const char *names[] = { "k8s1-neg-a", "k8s1-neg-missing" };
                struct cc_gke_negs_result nr;
                struct cc_diag d;
                bool fired = false;

                assert_int_equal(
                    cc_gke_negs_discover(&rt.api, PROJECT, names, 2, &nr, negs_done, &fired, &d),
                    CC_AGAIN);
                cc_loop_run(&rt.loop);
                assert_true(fired);
                assert_int_equal(nr.rc, CC_OK);
                assert_int_equal(nr.nfound, 2);
                assert_string_equal(nr.found[0].zone, "us-central1-a");
                assert_string_equal(nr.found[1].zone, "us-central1-b");
                assert_int_equal(nr.missing.n, 1);
                assert_string_equal(nr.missing.v[0], "k8s1-neg-missing");
                cc_gke_negs_result_release(&nr);
        }

        /* full create */
        run_pass(&rt, &gs, &p, false);
        assert_int_equal(p.rc, CC_OK);
        if (p.failed)
                print_error("failures:\n%s", p.fail_msgs);
        assert_int_equal(p.failed, 0);
        assert_int_equal(p.plan.ncreate, 18);
        print_message("full create: %zu steps, %lu mutating calls, %lu reads\n", p.plan.n,
                      p.mut_calls, p.read_calls);
        pass_release(&p);

        /* second pass: empty plan, zero mutating calls (the mock agrees) */
        before = mock_mutations(&m);
        run_pass(&rt, &gs, &p, false);
        assert_int_equal(p.rc, CC_OK);
        if (p.plan.n) {
                cJSON *l = mock_call(&m, "GET",
                                     "/dns/v1/projects/" PROJECT "/managedZones/" ZONE "/rrsets",
                                     NULL, NULL),
                      *it;

                print_error("second plan:\n%s\n", p.plan_text);
                cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(l, "rrsets"))
                    print_error("rr %s %s\n",
                                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "name")),
                                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "type")));
                cJSON_Delete(l);
        }
        assert_int_equal(p.plan.n, 0);
        assert_int_equal(p.mut_calls, 0);
        assert_int_equal(mock_mutations(&m), before);
        print_message("no-op pass: %lu mutating calls, %lu reads\n", p.mut_calls, p.read_calls);
        listed = p.ores.listed;
        pass_release(&p);

        /* the same list one list at a time (a background drift check's
         * way): the same resources, the same empty plan */
        {
                g_max_lists = 1;
                run_pass(&rt, &gs, &p, false);
                g_max_lists = 0;
                assert_int_equal(p.rc, CC_OK);
                assert_int_equal(p.plan.n, 0);
                assert_int_equal(p.ores.listed, listed);
                assert_true(listed > 0);
                pass_release(&p);
        }

        /* warm cache: no call at all */
        run_pass(&rt, &gs, &p, true);
        assert_int_equal(p.plan.n, 0);
        assert_int_equal(p.mut_calls + p.read_calls, 0);
        pass_release(&p);

        /* the certificate becomes ACTIVE once its CNAME exists */
        text = mock_state(&m);
        for (k = 0; k < 100 && strcmp(cert_state(&m, text), "ACTIVE"); k++)
                usleep(50 * 1000);
        assert_string_equal(cert_state(&m, text), "ACTIVE");
        assert_non_null(strstr(text, "cloudctl-owner-a.www.example.com."));
        cJSON_free(text);

        /* a hostname change touches neither the address nor the forwarding rules */
        gs.host = "shop.example.com";
        run_pass(&rt, &gs, &p, false);
        if (p.rc)
                print_error("%s\n", p.d.message);
        assert_int_equal(p.rc, CC_OK);
        if (p.failed)
                print_error("failures:\n%s", p.fail_msgs);
        assert_int_equal(p.failed, 0);
        assert_null(strstr(p.plan_text, "address '"));
        assert_null(strstr(p.plan_text, "forwarding rule '"));
        assert_non_null(strstr(p.plan_text, "url map '"));
        pass_release(&p);
        assert_int_equal(converge(&rt, &gs, 3), 1);

        /* destroy: nothing of ours is left, the foreign firewall is */
        gs.destroy = true;
        run_pass(&rt, &gs, &p, false);
        assert_int_equal(p.rc, CC_OK);
        if (p.failed)
                print_error("failures:\n%s", p.fail_msgs);
        assert_int_equal(p.failed, 0);
        assert_int_equal(p.plan.ndelete, 18);
        pass_release(&p);
        assert_int_equal(converge(&rt, &gs, 2), 1);
        assert_int_equal(live_count(&m, OWNER), 0);
        assert_int_equal(live_count(&m, "cloudctl-owner-"), 0);
        assert_int_equal(live_count(&m, "\"name\":\"cc1-fw-someone-else\""), 1);

        rt_release(&rt);
        mock_stop(&m);
}

static void
test_foreign_resource_conflict(void **state)
{
        struct mock m;
        struct rt rt;
        struct pass p;
        struct gwspec gs = { .host = "www.example.com" };
        struct cc_graph g = CC_GRAPH_INIT;
        char body[512];
        size_t i;
        const char *hc = NULL;

        (void)state;
        mock_start(&m, NULL);
        seed(&m);
        /* someone else's health check under our health check's name */
        translate(&gs, &g);
        for (i = 0; i < g.n; i++)
                if (g.nodes[i]->kind == &cc_gke_kind_health_check)
                        hc = g.nodes[i]->name;
        assert_non_null(hc);
        snprintf(body, sizeof(body),
                 "{\"name\":\"%s\",\"type\":\"TCP\",\"tcpHealthCheck\":{\"port\":1}}", hc);
        mock_ok(&m, "POST", "/compute/v1/projects/" PROJECT "/global/healthChecks", body);
        rt_init(&rt, &m, NULL);
        run_pass(&rt, &gs, &p, false);
        assert_int_equal(p.rc, CC_OK);
        assert_true(p.ores.conflicts.n >= 1);
        assert_true(p.failed >= 1);
        assert_non_null(strstr(p.fail_msgs, "not managed by cloudctl"));
        pass_release(&p);
        /* destroy never deletes it */
        gs.destroy = true;
        converge(&rt, &gs, 3);
        {
                char needle[128];

                snprintf(needle, sizeof(needle), "\"name\":\"%s\"", hc);
                assert_int_equal(live_count(&m, needle), 1);
                assert_int_equal(live_count(&m, OWNER), 0);
        }
        cc_graph_release(&g);
        rt_release(&rt);
        mock_stop(&m);
}

static void
test_faults_converge(void **state)
{
        struct mock m;
        struct rt rt;
        struct gwspec gs = { .host = "www.example.com" };
        int k;

        (void)state;
        mock_start(&m, NULL);
        seed(&m);
        rt_init(&rt, &m, NULL);
        mock_ok(&m, "POST", "/_mock/faults",
                "{\"path\":\"/compute/v1/*\",\"action\":\"status\",\"status\":503,"
                "\"fraction\":0.1}");
        mock_ok(&m, "POST", "/_mock/faults",
                "{\"path\":\"/*\",\"action\":\"status\",\"status\":429,\"retryAfter\":0,"
                "\"fraction\":0.05}");
        mock_ok(&m, "POST", "/_mock/faults",
                "{\"path\":\"/v1/*\",\"action\":\"drop\",\"fraction\":0.05}");
        /* a slow operation and one that ends in an error */
        mock_ok(&m, "POST", "/_mock/compute/ops/hold",
                "{\"operationType\":\"insert\",\"target\":\"*urlMaps*\",\"polls\":3,\"times\":1}");
        mock_ok(&m, "POST", "/_mock/compute/ops/fail",
                "{\"operationType\":\"insert\",\"target\":\"*healthChecks*\",\"times\":1,"
                "\"httpStatus\":400,\"code\":\"INVALID_FIELD_VALUE\",\"message\":\"injected\"}");
        k = converge(&rt, &gs, 8);
        assert_true(k > 1);
        /* faults off: converged means a further pass changes nothing */
        mock_ok(&m, "DELETE", "/_mock/faults", NULL);
        assert_int_equal(converge(&rt, &gs, 2), 1);
        print_message("converged under faults after %d passes\n", k);
        gs.destroy = true;
        assert_true(converge(&rt, &gs, 4) >= 1);
        rt_release(&rt);
        mock_stop(&m);
}

static void
test_quota_fails_only_its_branch(void **state)
{
        struct mock m;
        struct rt rt;
        struct pass p;
        struct gwspec gs = { .host = "www.example.com" };

        (void)state;
        mock_start(&m, NULL);
        seed(&m);
        mock_ok(&m, "POST", "/_mock/compute/quotas",
                "{\"project\":\"*\",\"metric\":\"BACKEND_SERVICES\",\"limit\":0}");
        rt_init(&rt, &m, NULL);
        run_pass(&rt, &gs, &p, false);
        assert_int_equal(p.rc, CC_OK);
        assert_int_equal(p.failed, 1);
        assert_non_null(strstr(p.fail_msgs, "cannot create backend service 'cc1-bs-"));
        assert_non_null(strstr(p.fail_msgs, "BACKEND_SERVICES"));
        /* url map, proxies, forwarding rules are blocked; the rest was created */
        assert_true(p.blocked >= 4);
        assert_true(p.plan.n - p.failed - p.blocked >= 10);
        pass_release(&p);
        rt_release(&rt);
        mock_stop(&m);
}

static void
test_service_account_auth(void **state)
{
        struct mock m;
        struct rt rt;
        struct pass p;
        struct gwspec gs = { .host = "www.example.com" };
        const char *extra[] = { "--sa-key", NULL, "--require-auth", NULL };
        char key[1024], tok[512];
        struct cc_gke_auth_opts ao = { .type = CC_GKE_AUTH_FILE };

        (void)state;
        snprintf(key, sizeof(key), "%s", cc_test_path("fixtures/keys/test-sa.json"));
        extra[1] = key;
        mock_start(&m, extra);
        /* without credentials the API refuses */
        {
                long st = 0;
                cJSON *r = mock_call(&m, "GET", "/compute/v1/projects/" PROJECT "/global/urlMaps",
                                     NULL, &st);

                assert_int_equal(st, 401);
                cJSON_Delete(r);
        }
        snprintf(tok, sizeof(tok), "%s/token", m.url);
        ao.key_file = key;
        ao.token_uri = tok;
        rt_init(&rt, &m, &ao);
        {
                struct cc_gke_auth_waiter w = { .fn = token_done };
                const struct cc_secret *t = NULL;
                struct cc_diag d;

                assert_int_equal(cc_gke_auth_token(&rt.auth, &w, &t, &d), CC_AGAIN);
                cc_loop_run(&rt.loop);
                assert_true(seed_bearer[0] != '\0');
        }
        seed(&m);
        seed_bearer[0] = '\0';
        run_pass(&rt, &gs, &p, false);
        if (p.rc)
                print_error("%s\n", p.d.message);
        assert_int_equal(p.rc, CC_OK);
        assert_true(p.plan.n > 0);
        assert_int_equal(p.failed, 0);
        /* one token served every call */
        assert_int_equal(rt.auth.fetches, 1);
        pass_release(&p);
        rt_release(&rt);
        mock_stop(&m);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_create_noop_change_destroy, teardown),
                cmocka_unit_test_teardown(test_foreign_resource_conflict, teardown),
                cmocka_unit_test_teardown(test_faults_converge, teardown),
                cmocka_unit_test_teardown(test_quota_fails_only_its_branch, teardown),
                cmocka_unit_test_teardown(test_service_account_auth, teardown),
        };

        cc_alloc_init();
        if (getenv("CC_TEST_FILTER"))
                cmocka_set_test_filter(getenv("CC_TEST_FILTER"));
        return cmocka_run_group_tests(tests, NULL, NULL);
}
