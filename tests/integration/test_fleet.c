/* test_fleet.c -- cc_fleet against the real mock-kube serving two clusters.
 *
 * mock-kube runs as a child process with --clusters 2 (HTTPS with a
 * throwaway self-signed certificate and a bearer token); a kubeconfig with
 * three contexts (west, east, and dead: a closed port) points cloudctl at
 * them.  The fleet runs on the loop; the test steps the loop until the
 * operation it started has reported, and checks the clusters through the
 * mock's request log and plain REST calls (blocking curl, test scaffolding
 * outside the loop).  Readiness is driven by hand: the test writes the
 * Deployment status and the Service's NEG status itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cloudctl/fleet.h"
#include "core/alloc.h"
#include "core/json.h"
#include "lib/testlib.h"
#include "lib/testsrv.h"

#define TOKEN "fleet-test-token"

struct fx {
        pid_t pid;
        char url[2][128];
        char cert[512], key[512], kubeconfig[512];
        struct cc_loop loop;
        struct cc_http http;
        struct cc_kube_env env;
        struct cc_fleet *fleet;
        int changed;
        char changed_gw[300];
        /* the last result */
        bool got;
        cc_err rc;
        size_t n;
        struct cc_fleet_cluster_result r[4];
        /* what p_both_ready syncs */
        const cJSON *gw;
        const cJSON *const *routes;
        size_t nroutes;
};

static const char *const plugin_env[] = { "PATH=/usr/bin:/bin", NULL };

static uint64_t
mono_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
write_text(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        assert_true(fputs(text, f) >= 0);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(chmod(path, 0600), 0);
}

static bool
read_line(int fd, char *out, size_t size, uint64_t deadline)
{
        size_t n = 0;

        while (n < size - 1) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                uint64_t now = mono_ms();

                if (now >= deadline || poll(&p, 1, (int)(deadline - now)) <= 0 ||
                    read(fd, out + n, 1) != 1)
                        return false;
                if (out[n] == '\n') {
                        out[n] = '\0';
                        return true;
                }
                n++;
        }
        return false;
}

static int
closed_port(void)
{
        struct sockaddr_in a = { .sin_family = AF_INET };
        socklen_t len = sizeof(a);
        int s = socket(AF_INET, SOCK_STREAM, 0), port;

        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_true(s >= 0);
        assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
        port = ntohs(a.sin_port);
        close(s);
        return port;
}

static void
mock_start(struct fx *f)
{
        const char *dir = getenv("CC_BINARY_DIR");
        char bin[1024];
        uint64_t deadline;
        int fds[2], i;

        if (!dir)
                fail_msg("CC_BINARY_DIR is not set (run the test through ctest)");
        snprintf(bin, sizeof(bin), "%s/bin/mock-kube", dir);
        if (access(bin, X_OK))
                fail_msg("cannot run '%s': %s", bin, strerror(errno));
        assert_int_equal(pipe(fds), 0);
        f->pid = fork();
        assert_true(f->pid >= 0);
        if (f->pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                dup2(fds[1], STDOUT_FILENO);
                close(fds[0]);
                close(fds[1]);
                execl(bin, "mock-kube", "--port", "0", "--clusters", "2", "--tls-cert", f->cert,
                      "--tls-key", f->key, "--token", TOKEN, (char *)NULL);
                _exit(127);
        }
        close(fds[1]);
        deadline = mono_ms() + 15000;
        for (i = 0; i < 2; i++)
                if (!read_line(fds[0], f->url[i], sizeof(f->url[i]), deadline))
                        fail_msg("mock-kube printed no URL line %d", i);
        close(fds[0]);
}

static void
mock_stop(struct fx *f)
{
        uint64_t deadline = mono_ms() + 10000;
        int status = 0;
        pid_t r = 0;

        if (f->pid <= 0)
                return;
        kill(f->pid, SIGTERM);
        while ((r = waitpid(f->pid, &status, WNOHANG)) == 0 && mono_ms() < deadline) {
                struct timespec ts = { 0, 10 * 1000000L };

                nanosleep(&ts, NULL);
        }
        if (r == 0) {
                kill(f->pid, SIGKILL);
                waitpid(f->pid, &status, 0);
                fail_msg("mock-kube did not stop within 10 s of SIGTERM");
        }
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

/* --- blocking REST calls to a cluster (test side) --------------------------------- */

static long
rest(struct fx *f, int cl, const char *method, const char *path, const char *ctype,
     const char *body, cJSON **out)
{
        char url[512];

        snprintf(url, sizeof(url), "%s%s", f->url[cl], path);
        return cc_test_http(method, url, f->cert, TOKEN, ctype, body, out);
}

/* mutating API requests in cluster cl's log since the last clear */
static int
mutations(struct fx *f, int cl)
{
        cJSON *log = NULL, *e;
        int n = 0;

        assert_int_equal(rest(f, cl, "GET", "/_mock/requests", NULL, NULL, &log), 200);
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(log, "requests"))
        {
                const cJSON *m = cJSON_GetObjectItem(e, "method"),
                            *p = cJSON_GetObjectItem(e, "path");

                if (!cJSON_IsString(m) || !cJSON_IsString(p) ||
                    !strncmp(p->valuestring, "/_mock", 6) || !strcmp(m->valuestring, "GET"))
                        continue;
                n++;
        }
        cJSON_Delete(log);
        return n;
}

static void
clear_log(struct fx *f)
{
        assert_int_equal(rest(f, 0, "DELETE", "/_mock/requests", NULL, NULL, NULL), 200);
        assert_int_equal(rest(f, 1, "DELETE", "/_mock/requests", NULL, NULL, NULL), 200);
}

static long
get_status(struct fx *f, int cl, const char *path)
{
        return rest(f, cl, "GET", path, NULL, NULL, NULL);
}

/* --- the loop ------------------------------------------------------------------------ */

static void
tick(struct cc_timer *t, void *ud)
{
        (void)t;
        (void)ud;
}

/* step the loop until pred holds (fails after 20 s) */
static void
run_until(struct fx *f, bool (*pred)(struct fx *), const char *what)
{
        uint64_t deadline = mono_ms() + 20000;
        struct cc_timer *t = NULL;

        assert_int_equal(cc_timer_start(&f->loop, 20, 20, tick, NULL, &t), CC_OK);
        while (!pred(f) && mono_ms() < deadline)
                uv_run(&f->loop.uv, UV_RUN_ONCE);
        cc_timer_cancel(t);
        if (!pred(f))
                fail_msg("timed out waiting for %s", what);
}

static bool
p_got(struct fx *f)
{
        return f->got;
}

static bool
p_synced(struct fx *f)
{
        return cc_fleet_synced(f->fleet);
}

static void
on_changed(const char *ns, const char *name, void *ud)
{
        struct fx *f = ud;

        f->changed++;
        snprintf(f->changed_gw, sizeof(f->changed_gw), "%s/%s", ns, name);
}

static void
on_done(struct cc_fleet_result *res, void *ud)
{
        struct fx *f = ud;
        size_t i;

        assert_false(f->got);
        f->got = true;
        f->rc = res->rc;
        f->n = res->nclusters;
        assert_true(f->n <= 4);
        for (i = 0; i < f->n; i++)
                f->r[i] = res->clusters[i];
}

static const struct cc_fleet_cluster_result *
result(struct fx *f, const char *cluster)
{
        size_t i;

        for (i = 0; i < f->n; i++)
                if (!strcmp(f->r[i].cluster, cluster))
                        return &f->r[i];
        fail_msg("no result for cluster '%s'", cluster);
        return NULL;
}

static cJSON *
gateway(const char *name)
{
        char text[1024];
        cJSON *o;

        snprintf(text, sizeof(text),
                 "{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"Gateway\","
                 "\"metadata\":{\"name\":\"%s\",\"namespace\":\"demo\"},"
                 "\"spec\":{\"gatewayClassName\":\"istio-gke\","
                 "\"infrastructure\":{\"labels\":{\"team\":\"blue\"}},"
                 "\"listeners\":[{\"name\":\"http\",\"port\":80,\"protocol\":\"HTTP\","
                 "\"hostname\":\"a.example.com\"},{\"name\":\"https\",\"port\":443,"
                 "\"protocol\":\"HTTPS\",\"hostname\":\"a.example.com\"}]}}",
                 name);
        assert_non_null(o = cJSON_Parse(text));
        return o;
}

static cJSON *
route(const char *ns, const char *name, const char *gw)
{
        char text[1024];
        cJSON *o;

        snprintf(text, sizeof(text),
                 "{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"HTTPRoute\","
                 "\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\"},"
                 "\"spec\":{\"parentRefs\":[{\"name\":\"%s\",\"namespace\":\"demo\","
                 "\"sectionName\":\"https\"}],\"hostnames\":[\"a.example.com\"],"
                 "\"rules\":[{\"backendRefs\":[{\"name\":\"app\",\"port\":8080}]}]}}",
                 name, ns, gw);
        assert_non_null(o = cJSON_Parse(text));
        return o;
}

static void
sync_gw(struct fx *f, const cJSON *gw, const cJSON *const *routes, size_t n)
{
        const struct cc_fleet_input in = {
                .fleet = "f1", .gateway = gw, .routes = routes, .nroutes = n
        };
        struct cc_diag d;

        f->got = false;
        if (cc_fleet_sync(f->fleet, &in, on_done, f, &d) != CC_AGAIN)
                fail_msg("sync: %s", d.message);
        assert_false(f->got); /* never from inside the call */
        run_until(f, p_got, "the sync result");
        assert_int_equal(f->rc, CC_OK);
}

static void
remove_gw(struct fx *f, const char *name, const char *cluster)
{
        struct cc_diag d;

        f->got = false;
        if (cc_fleet_remove(f->fleet, "f1", "demo", name, cluster, on_done, f, &d) != CC_AGAIN)
                fail_msg("remove: %s", d.message);
        run_until(f, p_got, "the remove result");
        assert_int_equal(f->rc, CC_OK);
}

static void
set_clusters(struct fx *f, const char *const *names, size_t n)
{
        struct cc_config_cluster cl[3];
        size_t i;

        memset(cl, 0, sizeof(cl));
        for (i = 0; i < n; i++) {
                cl[i].name = (char *)names[i];
                cl[i].region = (char *)"us-central1";
                cl[i].weight = 100;
                cl[i].kubeconfig = f->kubeconfig;
                cl[i].context = (char *)names[i];
        }
        assert_int_equal(cc_fleet_set_clusters(f->fleet, cl, n, NULL), CC_OK);
}

/* --- setup -------------------------------------------------------------------------- */

static int
setup(void **state)
{
        struct fx *f = cc_calloc(1, sizeof(*f));
        struct cc_http_opts ho = { .retry = { .max_attempts = 2, .base_ms = 20, .cap_ms = 50 },
                                   .connect_timeout_ms = 2000 };
        char *cert = NULL, *key = NULL, text[4096];

        assert_non_null(f);
        *state = f;
        assert_true(cc_testsrv_tls_selfsigned(&cert, &key));
        snprintf(f->cert, sizeof(f->cert), "%s/server.pem", cc_test_tmpdir());
        snprintf(f->key, sizeof(f->key), "%s/server.key", cc_test_tmpdir());
        write_text(f->cert, cert);
        write_text(f->key, key);
        cc_free(cert);
        cc_free(key);
        mock_start(f);
        snprintf(f->kubeconfig, sizeof(f->kubeconfig), "%s/fleet.kubeconfig", cc_test_tmpdir());
        snprintf(text, sizeof(text),
                 "apiVersion: v1\nkind: Config\n"
                 "clusters:\n"
                 "- name: west\n  cluster:\n    server: %s\n    certificate-authority: %s\n"
                 "- name: east\n  cluster:\n    server: %s\n    certificate-authority: %s\n"
                 "- name: dead\n  cluster:\n    server: https://127.0.0.1:%d\n"
                 "    certificate-authority: %s\n"
                 "users:\n- name: u\n  user:\n    token: %s\n"
                 "contexts:\n"
                 "- name: west\n  context:\n    cluster: west\n    user: u\n"
                 "- name: east\n  context:\n    cluster: east\n    user: u\n"
                 "- name: dead\n  context:\n    cluster: dead\n    user: u\n"
                 "current-context: west\n",
                 f->url[0], f->cert, f->url[1], f->cert, closed_port(), f->cert, TOKEN);
        write_text(f->kubeconfig, text);
        f->env.environ_base = plugin_env;
        assert_int_equal(cc_loop_init(&f->loop, NULL), CC_OK);
        assert_int_equal(cc_http_init(&f->http, &f->loop, &ho, NULL), CC_OK);
        assert_int_equal(cc_fleet_new(&f->loop, &f->http, &f->env, on_changed, f, &f->fleet, NULL),
                         CC_OK);
        return 0;
}

static int
teardown(void **state)
{
        struct fx *f = *state;

        cc_fleet_free(f->fleet);
        cc_http_release(&f->http);
        assert_int_equal(cc_loop_release(&f->loop), CC_OK);
        mock_stop(f);
        cc_free(f);
        return 0;
}

/* --- the scenario ---------------------------------------------------------------------- */

#define DEP_PATH "/apis/apps/v1/namespaces/demo/deployments/web-istio"
#define SVC_PATH "/api/v1/namespaces/demo/services/web-istio"
#define RT2_PATH "/apis/gateway.networking.k8s.io/v1/namespaces/apps/httproutes/web-istio-r2"

static bool
p_dep_seen_deleted(struct fx *f)
{
        return f->changed > 0;
}

static void
make_ready(struct fx *f, int cl, const char *neg)
{
        cJSON *dep = NULL;
        const cJSON *gen;
        char body[512];

        assert_int_equal(rest(f, cl, "GET", DEP_PATH, NULL, NULL, &dep), 200);
        gen = cc_json_lookup(dep, "metadata.generation");
        assert_true(cJSON_IsNumber(gen));
        assert_int_equal(cc_json_set_int(dep, "status.observedGeneration", gen->valueint), CC_OK);
        assert_int_equal(cc_json_set_int(dep, "status.replicas", 1), CC_OK);
        assert_int_equal(cc_json_set_int(dep, "status.availableReplicas", 1), CC_OK);
        {
                char *text = cJSON_PrintUnformatted(dep);

                assert_int_equal(rest(f, cl, "PUT", DEP_PATH "/status", NULL, text, NULL), 200);
                cJSON_free(text);
        }
        cJSON_Delete(dep);
        snprintf(body, sizeof(body),
                 "{\"metadata\":{\"annotations\":{\"cloud.google.com/neg-status\":"
                 "\"{\\\"network_endpoint_groups\\\":{\\\"80\\\":\\\"%s\\\"},"
                 "\\\"zones\\\":[\\\"us-central1-a\\\"]}\"}}}",
                 neg);
        assert_int_equal(rest(f, cl, "PATCH", SVC_PATH, "application/merge-patch+json", body, NULL),
                         200);
}

static bool
p_both_ready(struct fx *f)
{
        const struct cc_fleet_input in = {
                .fleet = "f1", .gateway = f->gw, .routes = f->routes, .nroutes = f->nroutes
        };
        struct cc_diag d;

        if (!f->got)
                return false;
        if (result(f, "west")->state == CC_FLEET_READY &&
            result(f, "east")->state == CC_FLEET_READY)
                return true;
        /* ask again once the informers had a chance to see the change */
        f->got = false;
        assert_int_equal(cc_fleet_sync(f->fleet, &in, on_done, f, &d), CC_AGAIN);
        return false;
}

static void
test_fleet_lifecycle(void **state)
{
        static const char *const two[] = { "west", "east" };
        static const char *const three[] = { "west", "east", "dead" };
        static const char *const west_dead[] = { "west", "dead" };
        struct fx *f = *state;
        cJSON *gw = gateway("web"), *other = gateway("other"), *third = gateway("third");
        cJSON *r1 = route("demo", "r1", "web"), *r2 = route("apps", "r2", "web");
        const cJSON *routes[2] = { r1, r2 };
        const cJSON *thr[1];
        cJSON *o = NULL;
        const struct cc_fleet_member *m;
        int cl;

        /* connect; the caches list once */
        set_clusters(f, two, 2);
        assert_int_equal(cc_fleet_count(f->fleet), 2);
        run_until(f, p_synced, "the caches");
        m = cc_fleet_member(f->fleet, 0);
        assert_string_equal(m->name, "west");
        assert_true(m->synced);
        assert_false(m->leaving);

        /* first sync: everything created in both clusters (namespaces demo and apps too) */
        clear_log(f);
        sync_gw(f, gw, routes, 2);
        assert_int_equal(f->n, 2);
        for (cl = 0; cl < 2; cl++) {
                const struct cc_fleet_cluster_result *r = result(f, cl ? "east" : "west");

                assert_int_equal(r->state, CC_FLEET_PROGRESSING);
                assert_true(r->writes >= 6);
                assert_int_equal((int)r->writes, mutations(f, cl));
                assert_int_equal(strncmp(r->neg, "cc1-neg-demo-web-", 17), 0);
                assert_int_equal(get_status(f, cl, DEP_PATH), 200);
                assert_int_equal(get_status(f, cl, SVC_PATH), 200);
                assert_int_equal(
                    get_status(f, cl, "/api/v1/namespaces/demo/serviceaccounts/web-istio"), 200);
                assert_int_equal(
                    get_status(
                        f, cl,
                        "/apis/gateway.networking.k8s.io/v1/namespaces/demo/gateways/web-istio"),
                    200);
                assert_int_equal(get_status(f, cl, RT2_PATH), 200);
                assert_int_equal(get_status(f, cl,
                                            "/apis/gateway.networking.k8s.io/v1/namespaces/demo/"
                                            "httproutes/web-istio-r1"),
                                 200);
        }
        /* just created: whether the mock's Deployment controller has
         * written its first status yet or not, it is not ready */
        assert_int_equal(result(f, "west")->state, CC_FLEET_PROGRESSING);
        assert_int_equal(strncmp(result(f, "west")->message, "Deployment 'demo/web-istio' ", 28),
                         0);
        assert_int_equal(rest(f, 1, "GET", RT2_PATH, NULL, NULL, &o), 200);
        assert_string_equal(cJSON_GetStringValue(cc_json_lookup(o, "spec.parentRefs[0].name")),
                            "web-istio");
        assert_string_equal(
            cJSON_GetStringValue(cc_json_lookup(o, "spec.parentRefs[0].sectionName")), "http");
        cJSON_Delete(o);

        /* an immediate second pass makes no call */
        clear_log(f);
        sync_gw(f, gw, routes, 2);
        assert_int_equal(result(f, "west")->writes, 0);
        assert_int_equal(result(f, "east")->writes, 0);
        assert_int_equal(mutations(f, 0), 0);
        assert_int_equal(mutations(f, 1), 0);

        /* a Deployment deleted behind its back: the owner is told, and it comes back */
        run_until(f, p_synced, "the caches");
        assert_int_equal(rest(f, 0, "DELETE", DEP_PATH, NULL, NULL, NULL), 200);
        f->changed = 0;
        run_until(f, p_dep_seen_deleted, "the delete event");
        assert_string_equal(f->changed_gw, "demo/web");
        clear_log(f);
        sync_gw(f, gw, routes, 2);
        assert_int_equal(result(f, "west")->writes, 1);
        assert_int_equal(result(f, "east")->writes, 0);
        assert_int_equal(mutations(f, 0), 1);
        assert_int_equal(get_status(f, 0, DEP_PATH), 200);

        /* readiness from the Deployment status and the NEG status */
        make_ready(f, 0, result(f, "west")->neg);
        make_ready(f, 1, result(f, "east")->neg);
        f->gw = gw;
        f->routes = routes;
        f->nroutes = 2;
        run_until(f, p_both_ready, "both clusters ready");
        assert_int_equal(result(f, "west")->nzones, 1);
        assert_string_equal(result(f, "west")->zones[0], "us-central1-a");
        assert_int_equal(result(f, "west")->writes, 0);

        /* a route detached: its copies are deleted */
        clear_log(f);
        sync_gw(f, gw, routes, 1);
        assert_int_equal(result(f, "west")->writes, 1);
        assert_int_equal(result(f, "east")->writes, 1);
        assert_int_equal(get_status(f, 0, RT2_PATH), 404);
        assert_int_equal(get_status(f, 1, RT2_PATH), 404);
        sync_gw(f, gw, routes, 1);
        assert_int_equal(result(f, "west")->writes, 0);

        /* a foreign unlabelled Service of the same name blocks the cluster, untouched */
        assert_int_equal(rest(f, 1, "POST", "/api/v1/namespaces/demo/services", NULL,
                              "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":"
                              "{\"name\":\"other-istio\",\"labels\":{\"app\":\"mine\"}},"
                              "\"spec\":{\"ports\":[{\"port\":9}]}}",
                              NULL),
                         201);
        sync_gw(f, other, NULL, 0);
        assert_int_equal(result(f, "east")->state, CC_FLEET_BLOCKED);
        assert_string_equal(result(f, "east")->message,
                            "Service 'demo/other-istio' exists in cluster 'east' without the "
                            "label app.kubernetes.io/managed-by=cloudctl; cloudctl does not adopt "
                            "it: delete or rename it");
        assert_int_equal(result(f, "west")->state, CC_FLEET_PROGRESSING);
        assert_int_equal(
            rest(f, 1, "GET", "/api/v1/namespaces/demo/services/other-istio", NULL, NULL, &o), 200);
        assert_null(cc_json_lookup(o, "metadata.labels[\"app.kubernetes.io/managed-by\"]"));
        assert_int_equal(cJSON_GetArraySize(cc_json_lookup(o, "spec.ports")), 1);
        cJSON_Delete(o);
        assert_int_equal(get_status(f, 1, "/apis/apps/v1/namespaces/demo/deployments/other-istio"),
                         404);

        /* remove: everything of web goes, in both clusters */
        remove_gw(f, "web", NULL);
        for (cl = 0; cl < 2; cl++) {
                const struct cc_fleet_cluster_result *r = result(f, cl ? "east" : "west");

                assert_int_equal(r->state, CC_FLEET_GONE);
                assert_int_equal(r->writes, 5); /* SA, Service, Deployment, Gateway, r1 copy */
                assert_int_equal(get_status(f, cl, DEP_PATH), 404);
                assert_int_equal(get_status(f, cl, SVC_PATH), 404);
        }
        remove_gw(f, "web", NULL);
        assert_int_equal(result(f, "west")->state, CC_FLEET_GONE);
        assert_int_equal(result(f, "west")->writes, 0);

        /* an unreachable cluster does not hold the others back */
        set_clusters(f, three, 3);
        run_until(f, p_synced, "the caches (dead fails)");
        assert_false(cc_fleet_member(f->fleet, 2)->synced);
        thr[0] = NULL;
        sync_gw(f, third, thr, 0);
        assert_int_equal(f->n, 3);
        assert_int_equal(result(f, "dead")->state, CC_FLEET_UNREACHABLE);
        assert_int_equal(result(f, "dead")->writes, 0);
        assert_int_equal(result(f, "west")->state, CC_FLEET_PROGRESSING);
        assert_true(result(f, "east")->writes >= 4);

        /* east dropped from the config: LEAVING, reported, never written */
        set_clusters(f, west_dead, 2);
        assert_int_equal(cc_fleet_count(f->fleet), 3);
        m = cc_fleet_member(f->fleet, 2);
        assert_string_equal(m->name, "east");
        assert_true(m->leaving);
        assert_int_equal(rest(f, 1, "DELETE",
                              "/apis/apps/v1/namespaces/demo/deployments/third-istio", NULL, NULL,
                              NULL),
                         200);
        clear_log(f);
        sync_gw(f, third, thr, 0);
        assert_true(result(f, "east")->leaving);
        assert_int_equal(result(f, "east")->writes, 0);
        assert_int_equal(mutations(f, 1), 0);
        assert_false(result(f, "west")->leaving);

        /* forget */
        cc_fleet_forget(f->fleet, "east");
        assert_int_equal(cc_fleet_count(f->fleet), 2);
        cc_fleet_forget(f->fleet, "west"); /* not leaving: kept */
        assert_int_equal(cc_fleet_count(f->fleet), 2);

        cJSON_Delete(gw);
        cJSON_Delete(other);
        cJSON_Delete(third);
        cJSON_Delete(r1);
        cJSON_Delete(r2);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_fleet_lifecycle, setup, teardown),
        };

        cc_alloc_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
