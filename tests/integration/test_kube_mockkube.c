/* test_kube_mockkube.c -- the kube client against the real mock-kube binary.
 *
 * Each test starts $CC_BINARY_DIR/bin/mock-kube as a child process (HTTPS
 * with a throwaway self-signed certificate, a bearer token and a client CA,
 * port 0), reads its URL from the first stdout line, writes a kubeconfig
 * and drives kube/ (client, informer, lease, events) on the loop.  The
 * mock's admin API (/_mock/...) is called with blocking curl requests from
 * the test itself; they are test scaffolding, not loop work.  Teardown
 * sends SIGTERM to the process by its pid and checks that it exited 0 (so
 * under ASan a leak in mock-kube fails the test too); the child also gets
 * PR_SET_PDEATHSIG, so a crashed test leaves no process behind.  One test
 * starts two clusters with a zone list each and checks the EndpointSlices
 * their Deployment and EndpointSlice controllers write, over plain curl.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/log.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/events.h"
#include "kube/informer.h"
#include "kube/lease.h"
#include "lib/testlib.h"
#include "lib/testsrv.h"

#define TOKEN "mock-kube-test-token"

/* --- files shared by every test (made once) ---------------------------------- */

struct files {
        char srv_cert[512], srv_key[512]; /* the server's self-signed certificate */
        char client_ca[512];              /* the CA mock-kube trusts for clients */
        char alice_cert[512], alice_key[512];
        char rogue_cert[512], rogue_key[512]; /* issued by a CA nobody trusts */
        char *alice_cert_pem, *alice_key_pem;
};

static struct files g;

static void
write_text(const char *path, const char *text, mode_t mode)
{
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        assert_true(fputs(text, f) >= 0);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(chmod(path, mode), 0);
}

static void
tmp_path(char *out, size_t size, const char *name)
{
        snprintf(out, size, "%s/%s", cc_test_tmpdir(), name);
}

static int
group_setup(void **state)
{
        char *srv_cert = NULL, *srv_key = NULL, *ca = NULL, *ca_key = NULL;
        char *other = NULL, *other_key = NULL, *rogue = NULL, *rogue_key = NULL;

        (void)state;
        assert_true(cc_testsrv_tls_selfsigned(&srv_cert, &srv_key));
        assert_true(cc_testsrv_tls_selfsigned(&ca, &ca_key));
        assert_true(cc_testsrv_tls_selfsigned(&other, &other_key));
        assert_true(cc_testsrv_tls_issue(ca, ca_key, "cloudctl-test", "system:masters",
                                         &g.alice_cert_pem, &g.alice_key_pem));
        assert_true(cc_testsrv_tls_issue(other, other_key, "cloudctl-test", "system:masters",
                                         &rogue, &rogue_key));
        tmp_path(g.srv_cert, sizeof(g.srv_cert), "server.pem");
        tmp_path(g.srv_key, sizeof(g.srv_key), "server.key");
        tmp_path(g.client_ca, sizeof(g.client_ca), "client-ca.pem");
        tmp_path(g.alice_cert, sizeof(g.alice_cert), "alice.pem");
        tmp_path(g.alice_key, sizeof(g.alice_key), "alice.key");
        tmp_path(g.rogue_cert, sizeof(g.rogue_cert), "rogue.pem");
        tmp_path(g.rogue_key, sizeof(g.rogue_key), "rogue.key");
        write_text(g.srv_cert, srv_cert, 0644);
        write_text(g.srv_key, srv_key, 0600);
        write_text(g.client_ca, ca, 0644);
        write_text(g.alice_cert, g.alice_cert_pem, 0644);
        write_text(g.alice_key, g.alice_key_pem, 0600);
        write_text(g.rogue_cert, rogue, 0644);
        write_text(g.rogue_key, rogue_key, 0600);
        cc_free(srv_cert);
        cc_free(srv_key);
        cc_free(ca);
        cc_free(ca_key);
        cc_free(other);
        cc_free(other_key);
        cc_free(rogue);
        cc_free(rogue_key);
        return 0;
}

static int
group_teardown(void **state)
{
        (void)state;
        cc_free(g.alice_cert_pem);
        cc_free(g.alice_key_pem);
        return 0;
}

/* --- the mock-kube process ----------------------------------------------------- */

struct fx {
        pid_t pid;
        char url[128];
        char url2[128]; /* the second cluster's, with mock_args asking for two */
        struct cc_loop loop;
        struct cc_http http;
        struct cc_kube_config cfg; /* the token kubeconfig */
        struct cc_kube_client *k;
};

static uint64_t
mono_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* extra mock-kube arguments for the next mock_start (NULL-terminated; NULL =
 * none) and how many clusters (URL lines) they make */
static const char *const *mock_args;
static int mock_clusters = 1;

static void
mock_start(struct fx *f)
{
        const char *dir = getenv("CC_BINARY_DIR");
        const char *argv[32];
        char bin[1024], lines[256];
        size_t n = 0, a = 0, i;
        int nl = 0;
        uint64_t deadline;
        int fds[2];

        if (!dir)
                fail_msg("CC_BINARY_DIR is not set (run the test through ctest)");
        snprintf(bin, sizeof(bin), "%s/bin/mock-kube", dir);
        if (access(bin, X_OK))
                fail_msg("cannot run '%s': %s", bin, strerror(errno));
        argv[a++] = "mock-kube";
        argv[a++] = "--port";
        argv[a++] = "0";
        argv[a++] = "--tls-cert";
        argv[a++] = g.srv_cert;
        argv[a++] = "--tls-key";
        argv[a++] = g.srv_key;
        argv[a++] = "--token";
        argv[a++] = TOKEN;
        argv[a++] = "--client-ca";
        argv[a++] = g.client_ca;
        for (i = 0; mock_args && mock_args[i] && a < 31; i++)
                argv[a++] = mock_args[i];
        argv[a] = NULL;
        assert_int_equal(pipe(fds), 0);
        f->pid = fork();
        assert_true(f->pid >= 0);
        if (f->pid == 0) {
                /* only async-signal-safe calls until exec */
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                dup2(fds[1], STDOUT_FILENO);
                close(fds[0]);
                close(fds[1]);
                execv(bin, (char *const *)argv);
                _exit(127);
        }
        close(fds[1]);
        /* the first stdout lines are the URLs, one per cluster */
        deadline = mono_ms() + 15000;
        while (n < sizeof(lines) - 1 && nl < mock_clusters) {
                struct pollfd p = { .fd = fds[0], .events = POLLIN };
                uint64_t now = mono_ms();
                ssize_t r;

                if (now >= deadline)
                        break;
                if (poll(&p, 1, (int)(deadline - now)) <= 0)
                        continue;
                r = read(fds[0], lines + n, 1);
                if (r <= 0)
                        break;
                if (lines[n] == '\n')
                        nl++;
                n += (size_t)r;
        }
        close(fds[0]);
        lines[n] = '\0';
        if (nl < mock_clusters)
                fail_msg("mock-kube printed no URL lines (got '%s')", lines);
        i = strcspn(lines, "\n");
        snprintf(f->url, sizeof(f->url), "%.*s", (int)i, lines);
        if (mock_clusters > 1)
                snprintf(f->url2, sizeof(f->url2), "%.*s", (int)strcspn(lines + i + 1, "\n"),
                         lines + i + 1);
        assert_int_equal(strncmp(f->url, "https://127.0.0.1:", 18), 0);
}

/* SIGTERM, then wait (bounded) for a clean exit */
static void
mock_stop(struct fx *f)
{
        uint64_t deadline = mono_ms() + 10000;
        int status = 0;
        pid_t r = 0;

        if (f->pid <= 0)
                return;
        assert_int_equal(kill(f->pid, SIGTERM), 0);
        while ((r = waitpid(f->pid, &status, WNOHANG)) == 0 && mono_ms() < deadline) {
                struct timespec ts = { 0, 10 * 1000000L };

                nanosleep(&ts, NULL);
        }
        if (r == 0) {
                kill(f->pid, SIGKILL);
                waitpid(f->pid, &status, 0);
                f->pid = 0;
                fail_msg("mock-kube did not stop within 10 s of SIGTERM");
        }
        f->pid = 0;
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

/* --- the admin API (blocking, test side) -------------------------------------- */

/* admin -- method /_mock/<what> with an optional JSON body; the answer is
 * parsed into *out (may be NULL).  Returns the HTTP status. */
static long
admin(struct fx *f, const char *method, const char *what, const char *body, cJSON **out)
{
        char url[256];

        snprintf(url, sizeof(url), "%s/_mock/%s", f->url, what);
        return cc_test_http(method, url, g.srv_cert, NULL, NULL, body, out);
}

static double
admin_num(struct fx *f, const char *method, const char *what, const char *body, const char *field)
{
        cJSON *o = NULL;
        const cJSON *v;
        double n = -1;

        if (admin(f, method, what, body, &o) == 200) {
                v = cJSON_GetObjectItemCaseSensitive(o, field);
                if (cJSON_IsNumber(v))
                        n = v->valuedouble;
        }
        cJSON_Delete(o);
        return n;
}

/* count_requests -- entries of the mock's request log with this method,
 * a path ending in suffix and (status != 0) this status */
static int
count_requests(struct fx *f, const char *method, const char *suffix, int status,
               const char *subject)
{
        cJSON *log = NULL, *e;
        size_t sl = strlen(suffix);
        int n = 0;

        assert_int_equal(admin(f, "GET", "requests", NULL, &log), 200);
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(log, "requests"))
        {
                const cJSON *m = cJSON_GetObjectItem(e, "method"),
                            *p = cJSON_GetObjectItem(e, "path");
                const cJSON *s = cJSON_GetObjectItem(e, "status");
                const cJSON *who = cJSON_GetObjectItem(e, "clientSubject");
                size_t pl = cJSON_IsString(p) ? strlen(p->valuestring) : 0;

                if (!cJSON_IsString(m) || strcmp(m->valuestring, method) || pl < sl ||
                    strcmp(p->valuestring + pl - sl, suffix))
                        continue;
                if (status && (!cJSON_IsNumber(s) || s->valueint != status))
                        continue;
                if (subject && (!cJSON_IsString(who) || strcmp(who->valuestring, subject)))
                        continue;
                n++;
        }
        cJSON_Delete(log);
        return n;
}

/* --- kubeconfig and clients ---------------------------------------------------- */

static const char *const plugin_env[] = { "PATH=/usr/bin:/bin", NULL };

/* load_config -- write a kubeconfig for the mock with this user block
 * (lines indented by four spaces) and load it */
/* the cluster's TLS lines: the CA by default, or whatever a test sets */
static const char *tls_lines;

static void
load_config(struct fx *f, const char *name, const char *user, struct cc_kube_config *cfg)
{
        const struct cc_kube_env env = { .environ_base = plugin_env };
        char path[512], text[16384], tls[600];
        const char *paths[1] = { path };
        struct cc_diag d;
        cc_err rc;

        if (tls_lines)
                snprintf(tls, sizeof(tls), "%s", tls_lines);
        else
                snprintf(tls, sizeof(tls), "    certificate-authority: %s\n", g.srv_cert);
        snprintf(path, sizeof(path), "%s/%s.kubeconfig", cc_test_tmpdir(), name);
        snprintf(text, sizeof(text),
                 "apiVersion: v1\n"
                 "kind: Config\n"
                 "clusters:\n"
                 "- name: mock\n"
                 "  cluster:\n"
                 "    server: %s\n"
                 "%s"
                 "users:\n"
                 "- name: %s\n"
                 "  user:\n"
                 "%s"
                 "contexts:\n"
                 "- name: test\n"
                 "  context:\n"
                 "    cluster: mock\n"
                 "    user: %s\n"
                 "    namespace: default\n"
                 "current-context: test\n",
                 f->url, tls, name, user, name);
        write_text(path, text, 0600);
        memset(cfg, 0, sizeof(*cfg));
        rc = cc_kube_config_load_files(cfg, paths, 1, NULL, &env, &d);
        if (rc != CC_OK)
                fail_msg("cannot load kubeconfig: %s", d.message);
}

static void
new_client(struct fx *f, const struct cc_kube_config *cfg, const char *agent, const char *group,
           struct cc_kube_client **out)
{
        const struct cc_kube_client_opts ko = { .user_agent = agent, .rate_group = group };
        struct cc_diag d;

        if (cc_kube_client_new(&f->http, cfg, &ko, out, &d) != CC_OK)
                fail_msg("cannot create client: %s", d.message);
}

static int
setup(void **state)
{
        struct fx *f = cc_calloc(1, sizeof(*f));
        struct cc_http_opts ho = { .retry = { .max_attempts = 2, .base_ms = 20, .cap_ms = 50 } };
        char user[256];

        assert_non_null(f);
        *state = f;
        mock_start(f);
        assert_int_equal(cc_loop_init(&f->loop, NULL), CC_OK);
        assert_int_equal(cc_http_init(&f->http, &f->loop, &ho, NULL), CC_OK);
        snprintf(user, sizeof(user), "    token: %s\n", TOKEN);
        load_config(f, "token", user, &f->cfg);
        new_client(f, &f->cfg, "kube-mockkube-test", NULL, &f->k);
        return 0;
}

static int
teardown(void **state)
{
        struct fx *f = *state;

        cc_kube_client_free(f->k);
        cc_kube_config_release(&f->cfg);
        if (f->http.loop)
                cc_http_release(&f->http);
        assert_int_equal(cc_loop_release(&f->loop), CC_OK);
        mock_stop(f);
        cc_free(f);
        return 0;
}

/* --- one request at a time ----------------------------------------------------- */

struct res {
        int calls;
        cc_err rc;
        int status;
        char reason[64];
        cJSON *obj;
};

static void
res_done(struct cc_kube_op *op, cc_err rc, struct cc_kube_result *r, void *ud)
{
        struct res *x = ud;

        (void)op;
        x->calls++;
        x->rc = rc;
        x->status = r->status;
        snprintf(x->reason, sizeof(x->reason), "%s", r->reason);
        cJSON_Delete(x->obj);
        x->obj = r->obj;
        r->obj = NULL;
}

/* run the loop until the operation just started has completed */
static void
res_wait(struct fx *f, struct res *x)
{
        assert_int_equal(cc_loop_run(&f->loop), CC_OK);
        assert_int_equal(x->calls, 1);
        x->calls = 0;
}

static void
res_release(struct res *x)
{
        cJSON_Delete(x->obj);
        x->obj = NULL;
}

static cJSON *
configmap(const char *name, const char *v)
{
        cJSON *o = cJSON_CreateObject();

        assert_non_null(o);
        assert_int_equal(cc_json_set_str(o, "apiVersion", "v1"), CC_OK);
        assert_int_equal(cc_json_set_str(o, "kind", "ConfigMap"), CC_OK);
        assert_int_equal(cc_json_set_str(o, "metadata.name", name), CC_OK);
        assert_int_equal(cc_json_set_str(o, "metadata.namespace", "default"), CC_OK);
        assert_int_equal(cc_json_set_str(o, "data.v", v), CC_OK);
        return o;
}

static void
create_sync(struct fx *f, const char *name, const char *v, struct res *x)
{
        cJSON *o = configmap(name, v);

        assert_int_equal(cc_kube_create(f->k, cc_kube_resource_by_kind("ConfigMap"), NULL, o,
                                        res_done, x, NULL, NULL),
                         CC_AGAIN);
        cJSON_Delete(o);
        res_wait(f, x);
        assert_int_equal(x->rc, CC_OK);
}

/* --- informer: every change exactly once, across a dropped watch and a 410 ---- */

#define CM_PATH "/api/v1/namespaces/default/configmaps"

struct inf_test {
        struct fx *f;
        struct cc_kube_informer *inf;
        char log[64][48];
        int n;
        int step;
        int pending;
        unsigned watches_before, relists_before;
        uint64_t deadline;
        char failed[640];
};

static void
logit(struct inf_test *t, const char *what, const cJSON *obj)
{
        const cJSON *nm = cc_json_lookup(obj, "metadata.name");
        const cJSON *v = cc_json_lookup(obj, "data.v");

        if (t->n == 64)
                return;
        snprintf(t->log[t->n++], sizeof(t->log[0]), "%s %s=%s", what,
                 cJSON_IsString(nm) ? nm->valuestring : "?",
                 cJSON_IsString(v) ? v->valuestring : "");
}

static void
i_add(const cJSON *o, void *ud)
{
        logit(ud, "add", o);
}

static void
i_update(const cJSON *old, const cJSON *o, void *ud)
{
        (void)old;
        logit(ud, "update", o);
}

static void
i_delete(const cJSON *o, void *ud)
{
        logit(ud, "delete", o);
}

static int
times_seen(const struct inf_test *t, const char *line)
{
        int i, c = 0;

        for (i = 0; i < t->n; i++)
                c += strcmp(t->log[i], line) == 0;
        return c;
}

static bool
seen(const struct inf_test *t, const char *line)
{
        return times_seen(t, line) > 0;
}

static void
inf_fail(struct inf_test *t, const char *why)
{
        if (!t->failed[0])
                snprintf(t->failed, sizeof(t->failed), "step %d: %s", t->step, why);
}

static void
inf_op_done(struct cc_kube_op *op, cc_err rc, struct cc_kube_result *r, void *ud)
{
        struct inf_test *t = ud;

        (void)op;
        t->pending--;
        if (rc != CC_OK)
                inf_fail(t, r->diag.message);
}

static void
cm_create(struct inf_test *t, const char *name, const char *v)
{
        cJSON *o = configmap(name, v);

        if (cc_kube_create(t->f->k, cc_kube_resource_by_kind("ConfigMap"), NULL, o, inf_op_done, t,
                           NULL, NULL) == CC_AGAIN)
                t->pending++;
        else
                inf_fail(t, "create refused");
        cJSON_Delete(o);
}

/* update from the informer's cache: the cached resourceVersion is the latest
 * one because every step waits until the informer has seen the last change */
static void
cm_update(struct inf_test *t, const char *name, const char *v)
{
        const cJSON *cached = cc_kube_informer_get(t->inf, "default", name);
        cJSON *o = cached ? cJSON_Duplicate(cached, true) : NULL;

        if (!o || cc_json_set_str(o, "data.v", v) != CC_OK) {
                inf_fail(t, "not in the cache");
        } else if (cc_kube_update(t->f->k, cc_kube_resource_by_kind("ConfigMap"), o, inf_op_done, t,
                                  NULL, NULL) == CC_AGAIN) {
                t->pending++;
        } else {
                inf_fail(t, "update refused");
        }
        cJSON_Delete(o);
}

static void
cm_delete(struct inf_test *t, const char *name)
{
        if (cc_kube_delete(t->f->k, cc_kube_resource_by_kind("ConfigMap"), NULL, name, NULL,
                           inf_op_done, t, NULL, NULL) == CC_AGAIN)
                t->pending++;
        else
                inf_fail(t, "delete refused");
}

/* drop the informer's open watch stream (once it has one) */
static bool
drop_watch(struct inf_test *t)
{
        double dropped;

        if (admin_num(t->f, "GET", "watches", NULL, "open") < 1)
                return false; /* not re-established yet: try on the next tick */
        dropped = admin_num(t->f, "POST", "drop-watches", "{\"path\":\"" CM_PATH "\",\"all\":true}",
                            "dropped");
        if (dropped != 1)
                inf_fail(t, "drop-watches did not drop exactly one stream");
        return true;
}

static void
i_tick(struct cc_timer *tm, void *ud)
{
        struct inf_test *t = ud;
        struct cc_kube_informer_stats st;

        if (cc_loop_now_ms(&t->f->loop) > t->deadline)
                inf_fail(t, "timed out");
        if (t->failed[0])
                goto finish;
        cc_kube_informer_stats(t->inf, &st);
        switch (t->step) {
        case 0:
                if (!cc_kube_informer_has_synced(t->inf))
                        return;
                cm_create(t, "d", "1");
                cm_update(t, "a", "2");
                t->step++;
                return;
        case 1: /* a dropped stream: the informer resumes from its resourceVersion */
                if (t->pending || !seen(t, "add d=1") || !seen(t, "update a=2"))
                        return;
                if (!drop_watch(t))
                        return;
                t->watches_before = st.watches;
                cm_update(t, "a", "3");
                cm_delete(t, "b");
                t->step++;
                return;
        case 2: /* the watch is down (503s) while things change, then compaction */
                if (t->pending || !seen(t, "update a=3") || !seen(t, "delete b=1") ||
                    st.watches <= t->watches_before)
                        return;
                if (admin_num(t->f, "GET", "watches", NULL, "open") < 1)
                        return; /* the resumed watch is not open yet */
                if (admin(t->f, "POST", "faults",
                          "{\"method\":\"GET\",\"path\":\"" CM_PATH "\",\"status\":503,"
                          "\"every\":true}",
                          NULL) != 200) {
                        inf_fail(t, "cannot add the fault rule");
                        goto finish;
                }
                if (!drop_watch(t))
                        inf_fail(t, "no open watch to drop");
                t->relists_before = st.relists410;
                cm_update(t, "c", "2");
                cm_create(t, "e", "1");
                cm_delete(t, "d");
                t->step++;
                return;
        case 3:
                if (t->pending)
                        return;
                /* the informer's resourceVersion is now older than the retained events */
                if (admin_num(t->f, "POST", "compact", NULL, "compacted") <= 0 ||
                    admin(t->f, "DELETE", "faults", NULL, NULL) != 200) {
                        inf_fail(t, "cannot compact or remove the fault");
                        goto finish;
                }
                t->step++;
                return;
        case 4: /* 410 -> relist: the changes made while it was down, once each */
                if (!seen(t, "update c=2") || !seen(t, "add e=1") || !seen(t, "delete d=1") ||
                    st.relists410 <= t->relists_before)
                        return;
                cm_update(t, "e", "2");
                t->step++;
                return;
        case 5: /* and the watch after the relist delivers again */
                if (t->pending || !seen(t, "update e=2"))
                        return;
                t->step++;
                goto finish;
        }
        return;
finish:
        cc_kube_informer_stop(t->inf);
        cc_timer_cancel(tm);
}

static void
test_informer_exactly_once(void **state)
{
        static const char *const want[] = {
                "add a=1",    "add b=1",    "add c=1", "add d=1",    "update a=2", "update a=3",
                "delete b=1", "update c=2", "add e=1", "delete d=1", "update e=2",
        };
        const size_t nwant = sizeof(want) / sizeof(want[0]);
        const struct cc_kube_informer_handlers h = { i_add, i_update, i_delete, NULL };
        const struct cc_kube_informer_opts o = {
                .ns = "default",
                .page_size = 2,
                .backoff_base_ms = 20,
                .backoff_cap_ms = 100,
        };
        struct fx *f = *state;
        struct inf_test t = { 0 };
        struct cc_kube_informer_stats st;
        struct res x = { 0 };
        const cJSON *it;
        size_t i;
        int listed = 0;

        t.f = f;
        create_sync(f, "a", "1", &x);
        create_sync(f, "b", "1", &x);
        create_sync(f, "c", "1", &x);
        assert_int_equal(cc_kube_informer_new(f->k, cc_kube_resource_by_kind("ConfigMap"), &o, &h,
                                              &t, &t.inf, NULL),
                         CC_OK);
        assert_int_equal(cc_kube_informer_start(t.inf, NULL), CC_OK);
        t.deadline = cc_loop_now_ms(&f->loop) + 20000;
        assert_int_equal(cc_timer_start(&f->loop, 20, 20, i_tick, &t, NULL), CC_OK);
        assert_int_equal(cc_loop_run(&f->loop), CC_OK);
        if (t.failed[0])
                fail_msg("%s", t.failed);
        assert_int_equal(t.step, 6);
        /* every change exactly once (the initial adds in any order) */
        for (i = 0; i < nwant; i++)
                if (times_seen(&t, want[i]) != 1)
                        fail_msg("'%s' seen %d times", want[i], times_seen(&t, want[i]));
        assert_int_equal(t.n, (int)nwant);
        cc_kube_informer_stats(t.inf, &st);
        assert_true(st.relists410 >= 1);
        assert_true(st.lists >= 2);
        assert_true(st.watches >= 3);
        /* the cache agrees with the server */
        assert_int_equal(cc_kube_informer_len(t.inf), 3);
        assert_int_equal(cc_kube_list(f->k, cc_kube_resource_by_kind("ConfigMap"), "default", NULL,
                                      res_done, &x, NULL, NULL),
                         CC_AGAIN);
        res_wait(f, &x);
        assert_int_equal(x.rc, CC_OK);
        cJSON_ArrayForEach(it, cJSON_GetObjectItem(x.obj, "items"))
        {
                const cJSON *name = cc_json_lookup(it, "metadata.name");
                const cJSON *cached = cc_kube_informer_get(t.inf, "default", name->valuestring);

                assert_non_null(cached);
                assert_string_equal(cc_json_lookup(cached, "metadata.resourceVersion")->valuestring,
                                    cc_json_lookup(it, "metadata.resourceVersion")->valuestring);
                listed++;
        }
        assert_int_equal(listed, 3);
        res_release(&x);
        cc_kube_informer_free(t.inf);
}

/* --- read-modify-write under 409s: no update lost ------------------------------ */

#define WORKERS 4

struct rmw;

struct worker {
        struct rmw *m;
        int attempts;
        bool done;
};

struct rmw {
        struct fx *f;
        struct worker w[WORKERS];
        int conflicts, finished;
        char failed[640];
};

static void w_get(struct worker *w);

static void
w_put_done(struct cc_kube_op *op, cc_err rc, struct cc_kube_result *r, void *ud)
{
        struct worker *w = ud;

        (void)op;
        if (rc == CC_CONFLICT && !strcmp(r->reason, "Conflict") && w->attempts < 20) {
                w->m->conflicts++;
                w_get(w); /* read again, modify again */
                return;
        }
        if (rc != CC_OK && !w->m->failed[0])
                snprintf(w->m->failed, sizeof(w->m->failed), "%s", r->diag.message);
        w->done = true;
        w->m->finished++;
}

static void
w_got(struct cc_kube_op *op, cc_err rc, struct cc_kube_result *r, void *ud)
{
        struct worker *w = ud;
        const cJSON *v = cc_json_lookup(r->obj, "data.v");
        char next[16];

        (void)op;
        if (rc != CC_OK || !cJSON_IsString(v)) {
                snprintf(w->m->failed, sizeof(w->m->failed), "get: %s", r->diag.message);
                w->m->finished++;
                return;
        }
        snprintf(next, sizeof(next), "%d", atoi(v->valuestring) + 1);
        if (cc_json_set_str(r->obj, "data.v", next) != CC_OK ||
            cc_kube_update(w->m->f->k, cc_kube_resource_by_kind("ConfigMap"), r->obj, w_put_done, w,
                           NULL, NULL) != CC_AGAIN) {
                snprintf(w->m->failed, sizeof(w->m->failed), "cannot send the update");
                w->m->finished++;
        }
}

static void
w_get(struct worker *w)
{
        w->attempts++;
        if (cc_kube_get(w->m->f->k, cc_kube_resource_by_kind("ConfigMap"), NULL, "counter", w_got,
                        w, NULL, NULL) != CC_AGAIN) {
                snprintf(w->m->failed, sizeof(w->m->failed), "cannot send the get");
                w->m->finished++;
        }
}

static void
test_conflict_read_modify_write(void **state)
{
        struct fx *f = *state;
        struct rmw m = { 0 };
        struct res x = { 0 };
        cJSON *rules = NULL;
        int i;

        m.f = f;
        create_sync(f, "counter", "0", &x);
        /* the next two updates of the counter meet a 409, on top of the workers' own races */
        assert_int_equal(admin(f, "POST", "conflicts",
                               "{\"method\":\"PUT\",\"path\":\"" CM_PATH "/counter\",\"times\":2}",
                               NULL),
                         200);
        for (i = 0; i < WORKERS; i++) {
                m.w[i].m = &m;
                w_get(&m.w[i]);
        }
        assert_int_equal(cc_loop_run(&f->loop), CC_OK);
        if (m.failed[0])
                fail_msg("%s", m.failed);
        assert_int_equal(m.finished, WORKERS);
        assert_true(m.conflicts >= 2);
        /* every increment landed */
        assert_int_equal(cc_kube_get(f->k, cc_kube_resource_by_kind("ConfigMap"), NULL, "counter",
                                     res_done, &x, NULL, NULL),
                         CC_AGAIN);
        res_wait(f, &x);
        assert_string_equal(cc_json_lookup(x.obj, "data.v")->valuestring, "4");
        /* and the mock agrees: WORKERS accepted PUTs, one 409 per conflict seen */
        assert_int_equal(count_requests(f, "PUT", "/configmaps/counter", 200, NULL), WORKERS);
        assert_int_equal(count_requests(f, "PUT", "/configmaps/counter", 409, NULL), m.conflicts);
        assert_int_equal(admin(f, "GET", "conflicts", NULL, &rules), 200);
        assert_int_equal(
            cc_json_lookup(cJSON_GetArrayItem(cJSON_GetObjectItem(rules, "conflicts"), 0),
                           "remaining")
                ->valueint,
            0);
        cJSON_Delete(rules);
        res_release(&x);
}

/* --- leader election ------------------------------------------------------------ */

#define DUR_MS      2000
#define DEADLINE_MS 1500
#define RETRY_MS    200

struct election;

struct cand {
        struct election *el;
        const char *id;
        char group[16];
        struct cc_kube_client *k;
        struct cc_kube_lease *le;
        bool leading;
        int started, stopped;
        uint64_t started_ms, stopped_ms;
        char seen_holder[64];
};

struct election {
        struct fx *f;
        struct cand c[3]; /* a, b race first; c joins later */
        struct cand *partitioned, *successor;
        int overlap; /* moments with two leaders */
        int step;
        uint64_t t0, deadline;
        uint64_t failover_ms, handover_ms;
        char failed[640];
};

static int
leaders(const struct election *el)
{
        int i, n = 0;

        for (i = 0; i < 3; i++)
                n += el->c[i].leading;
        return n;
}

static void
started(void *ud)
{
        struct cand *c = ud;

        c->leading = true;
        c->started++;
        c->started_ms = cc_loop_now_ms(&c->el->f->loop);
        if (leaders(c->el) > 1)
                c->el->overlap++;
}

static void
stopped(void *ud)
{
        struct cand *c = ud;

        c->leading = false;
        c->stopped++;
        c->stopped_ms = cc_loop_now_ms(&c->el->f->loop);
}

static void
new_leader(const char *identity, void *ud)
{
        struct cand *c = ud;

        snprintf(c->seen_holder, sizeof(c->seen_holder), "%s", identity);
}

static void
cand_start(struct election *el, struct cand *c)
{
        const struct cc_kube_lease_opts o = {
                .name = "leader",
                .identity = c->id,
                .lease_duration_ms = DUR_MS,
                .renew_deadline_ms = DEADLINE_MS,
                .retry_period_ms = RETRY_MS,
                .on_started_leading = started,
                .on_stopped_leading = stopped,
                .on_new_leader = new_leader,
                .ud = c,
        };

        c->el = el;
        snprintf(c->group, sizeof(c->group), "cand-%s", c->id);
        new_client(el->f, &el->f->cfg, c->id, c->group, &c->k);
        assert_int_equal(cc_kube_lease_new(c->k, &o, &c->le, NULL), CC_OK);
        assert_int_equal(cc_kube_lease_start(c->le, NULL), CC_OK);
}

static void
el_fail(struct election *el, const char *why)
{
        if (!el->failed[0])
                snprintf(el->failed, sizeof(el->failed), "step %d: %s", el->step, why);
}

static void
el_tick(struct cc_timer *tm, void *ud)
{
        struct election *el = ud;
        struct fx *f = el->f;
        uint64_t now = cc_loop_now_ms(&f->loop);
        int i;

        if (leaders(el) > 1)
                el->overlap++;
        if (now > el->deadline)
                el_fail(el, "timed out");
        if (el->failed[0])
                goto finish;
        switch (el->step) {
        case 0: /* a first leader; then it stops renewing: its requests hang (no release) */
                if (leaders(el) != 1)
                        return;
                el->partitioned = el->c[0].leading ? &el->c[0] : &el->c[1];
                el->successor = el->partitioned == &el->c[0] ? &el->c[1] : &el->c[0];
                /* a token bucket that refills once in ~12 days, drained now */
                if (cc_http_set_rate(&f->http, el->partitioned->group, 1e-6, 1) != CC_OK) {
                        el_fail(el, "cannot rate limit");
                        goto finish;
                }
                (void)cc_ratelimit_reserve(&f->http.rl, el->partitioned->group);
                el->t0 = now;
                el->step++;
                return;
        case 1: /* the other candidate takes over once the lease expired */
                if (!el->successor->leading)
                        return;
                el->failover_ms = el->successor->started_ms - el->t0;
                if (el->partitioned->stopped != 1 ||
                    el->partitioned->stopped_ms > el->successor->started_ms)
                        el_fail(el, "the old leader did not step down first");
                /* the partitioned one is done; a third candidate joins and waits */
                cc_kube_lease_stop(el->partitioned->le);
                el->c[2].id = "c";
                cand_start(el, &el->c[2]);
                el->step++;
                return;
        case 2: /* once c has seen the leader, the leader stops gracefully */
                if (strcmp(el->c[2].seen_holder, el->successor->id))
                        return;
                cc_kube_lease_stop(el->successor->le);
                el->t0 = now;
                el->step++;
                return;
        case 3: /* the release hands over at c's next retry */
                if (!el->c[2].leading)
                        return;
                el->handover_ms = el->c[2].started_ms - el->t0;
                el->step++;
                goto finish;
        }
        return;
finish:
        for (i = 0; i < 3; i++)
                if (el->c[i].le)
                        cc_kube_lease_stop(el->c[i].le);
        cc_timer_cancel(tm);
}

static void
test_leader_election(void **state)
{
        struct fx *f = *state;
        struct election el = { 0 };
        struct res x = { 0 };
        const cJSON *holder, *transitions;
        int i;

        el.f = f;
        el.c[0].id = "a";
        el.c[1].id = "b";
        cand_start(&el, &el.c[0]);
        cand_start(&el, &el.c[1]);
        el.deadline = cc_loop_now_ms(&f->loop) + 20000;
        assert_int_equal(cc_timer_start(&f->loop, 20, 20, el_tick, &el, NULL), CC_OK);
        assert_int_equal(cc_loop_run(&f->loop), CC_OK);
        if (el.failed[0])
                fail_msg("%s", el.failed);
        assert_int_equal(el.step, 4);
        assert_int_equal(el.overlap, 0);
        /* failover within the lease duration plus a retry period (and slack for scheduling) */
        print_message("failover %llu ms, hand-over %llu ms\n", (unsigned long long)el.failover_ms,
                      (unsigned long long)el.handover_ms);
        assert_true(el.failover_ms <= DUR_MS + RETRY_MS + 1000);
        /* ...and not before the lease expired: the last renewal was at most a retry
         * period before the partition */
        assert_true(el.failover_ms >= DUR_MS - 2 * RETRY_MS);
        /* a release hands over at the successor's next retry, well within the duration */
        assert_true(el.handover_ms < DUR_MS);
        for (i = 0; i < 3; i++) {
                assert_int_equal(el.c[i].started, el.c[i].stopped);
                assert_false(cc_kube_lease_is_leader(el.c[i].le));
        }
        assert_int_equal(el.partitioned->started, 1);
        assert_int_equal(el.successor->started, 1);
        assert_int_equal(el.c[2].started, 1);
        /* the Lease as the server has it: released by c, three holders so far */
        assert_int_equal(cc_kube_get(f->k, cc_kube_resource_by_kind("Lease"), NULL, "leader",
                                     res_done, &x, NULL, NULL),
                         CC_AGAIN);
        res_wait(f, &x);
        assert_int_equal(x.rc, CC_OK);
        holder = cc_json_lookup(x.obj, "spec.holderIdentity");
        transitions = cc_json_lookup(x.obj, "spec.leaseTransitions");
        assert_true(!holder || (cJSON_IsString(holder) && !holder->valuestring[0]));
        assert_true(cJSON_IsNumber(transitions) && transitions->valuedouble >= 2);
        res_release(&x);
        for (i = 0; i < 3; i++) {
                cc_kube_lease_free(el.c[i].le);
                cc_kube_client_free(el.c[i].k);
        }
}

/* --- events: repeats aggregate into one Event with a count ---------------------- */

static void
test_events_aggregate(void **state)
{
        const struct cc_kube_events_opts o = { .component = "cloudctl-test" };
        const struct cc_kube_list_opts lo = { .field_selector = "involvedObject.name=subject" };
        struct fx *f = *state;
        struct cc_kube_events *ev = NULL;
        struct res x = { 0 }, subject = { 0 };
        const cJSON *it;
        char uid[64];
        int i, n = 0;

        create_sync(f, "subject", "1", &subject);
        snprintf(uid, sizeof(uid), "%s", cc_json_lookup(subject.obj, "metadata.uid")->valuestring);
        assert_int_equal(cc_kube_events_new(f->k, &o, &ev, NULL), CC_OK);
        /* three at once (one create, the rest folded into the next patch), then two more */
        for (i = 0; i < 3; i++)
                assert_int_equal(
                    cc_kube_event(ev, subject.obj, "Warning", "SyncFailed", "quota exceeded"),
                    CC_OK);
        assert_int_equal(cc_loop_run(&f->loop), CC_OK);
        for (i = 0; i < 2; i++) {
                assert_int_equal(
                    cc_kube_event(ev, subject.obj, "Warning", "SyncFailed", "quota exceeded"),
                    CC_OK);
                assert_int_equal(cc_loop_run(&f->loop), CC_OK);
        }
        assert_int_equal(cc_kube_event(ev, subject.obj, "Normal", "Synced", "ok"), CC_OK);
        assert_int_equal(cc_loop_run(&f->loop), CC_OK);
        /* what the server holds */
        assert_int_equal(cc_kube_list(f->k, cc_kube_resource_by_kind("Event"), "default", &lo,
                                      res_done, &x, NULL, NULL),
                         CC_AGAIN);
        res_wait(f, &x);
        assert_int_equal(x.rc, CC_OK);
        cJSON_ArrayForEach(it, cJSON_GetObjectItem(x.obj, "items"))
        {
                const char *reason = cc_json_lookup(it, "reason")->valuestring;

                assert_string_equal(cc_json_lookup(it, "involvedObject.kind")->valuestring,
                                    "ConfigMap");
                assert_string_equal(cc_json_lookup(it, "involvedObject.uid")->valuestring, uid);
                assert_string_equal(cc_json_lookup(it, "source.component")->valuestring,
                                    "cloudctl-test");
                if (!strcmp(reason, "SyncFailed")) {
                        assert_int_equal(cc_json_lookup(it, "count")->valueint, 5);
                        assert_string_equal(cc_json_lookup(it, "type")->valuestring, "Warning");
                        assert_string_equal(cc_json_lookup(it, "message")->valuestring,
                                            "quota exceeded");
                } else {
                        assert_string_equal(reason, "Synced");
                        assert_int_equal(cc_json_lookup(it, "count")->valueint, 1);
                }
                n++;
        }
        assert_int_equal(n, 2);
        /* one create per distinct event; the repeats were patches */
        assert_int_equal(count_requests(f, "POST", "/namespaces/default/events", 201, NULL), 2);
        n = count_requests(f, "PATCH", "", 200, NULL);
        assert_true(n >= 1 && n <= 4);
        cc_kube_events_free(ev);
        res_release(&x);
        res_release(&subject);
}

/* --- credentials from kubeconfigs --------------------------------------------- */

/* get the default namespace through a client made from cfg */
static cc_err
get_ns(struct fx *f, const struct cc_kube_config *cfg, struct res *x)
{
        struct cc_kube_client *k = NULL;

        new_client(f, cfg, "kube-mockkube-auth", NULL, &k);
        assert_int_equal(cc_kube_get(k, cc_kube_resource_by_kind("Namespace"), NULL, "default",
                                     res_done, x, NULL, NULL),
                         CC_AGAIN);
        res_wait(f, x);
        cc_kube_client_free(k);
        res_release(x);
        return x->rc;
}

static char *
base64(const char *s)
{
        size_t n = strlen(s), cap = 4 * ((n + 2) / 3) + 1;
        char *out = cc_malloc(cap);

        assert_non_null(out);
        EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
        return out;
}

static void
test_auth_token_and_exec(void **state)
{
        struct fx *f = *state;
        struct cc_kube_config cfg;
        struct res x = { 0 };
        char user[1024], plugin[512], count[512], script[2048];
        char *runs = NULL;

        /* the fixture's token */
        assert_int_equal(get_ns(f, &f->cfg, &x), CC_OK);
        /* a wrong token, and none at all: 401 Unauthorized */
        load_config(f, "wrong", "    token: not-the-token\n", &cfg);
        assert_int_equal(get_ns(f, &cfg, &x), CC_AUTH);
        assert_int_equal(x.status, 401);
        assert_string_equal(x.reason, "Unauthorized");
        cc_kube_config_release(&cfg);
        load_config(f, "anonymous", "    {}\n", &cfg);
        assert_int_equal(get_ns(f, &cfg, &x), CC_AUTH);
        cc_kube_config_release(&cfg);

        /* without the CA the server's certificate is refused; with
         * insecure-skip-tls-verify it is not checked (as kubectl does) */
        tls_lines = "";
        load_config(f, "no-ca", "    token: " TOKEN "\n", &cfg);
        assert_int_equal(get_ns(f, &cfg, &x), CC_IO);
        cc_kube_config_release(&cfg);
        tls_lines = "    insecure-skip-tls-verify: true\n";
        load_config(f, "insecure", "    token: " TOKEN "\n", &cfg);
        assert_int_equal(get_ns(f, &cfg, &x), CC_OK);
        cc_kube_config_release(&cfg);
        tls_lines = NULL;

        /* an exec plugin printing the token: run once, the credential then cached */
        tmp_path(plugin, sizeof(plugin), "plugin.sh");
        tmp_path(count, sizeof(count), "plugin-runs");
        snprintf(script, sizeof(script),
                 "#!/bin/sh\n"
                 "echo run >> '%s'\n"
                 "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\","
                 "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%%s\"}}' \"$TOKEN\"\n",
                 count);
        write_text(plugin, script, 0755);
        snprintf(user, sizeof(user),
                 "    exec:\n"
                 "      apiVersion: client.authentication.k8s.io/v1\n"
                 "      command: %s\n"
                 "      interactiveMode: Never\n"
                 "      env:\n"
                 "      - name: TOKEN\n"
                 "        value: %s\n",
                 plugin, TOKEN);
        load_config(f, "exec", user, &cfg);
        {
                struct cc_kube_client *k = NULL;
                int i;

                new_client(f, &cfg, "kube-mockkube-exec", NULL, &k);
                for (i = 0; i < 2; i++) {
                        assert_int_equal(cc_kube_get(k, cc_kube_resource_by_kind("Namespace"), NULL,
                                                     "default", res_done, &x, NULL, NULL),
                                         CC_AGAIN);
                        res_wait(f, &x);
                        assert_int_equal(x.rc, CC_OK);
                        res_release(&x);
                }
                cc_kube_client_free(k);
        }
        runs = cc_test_read_file(count, NULL);
        assert_non_null(runs);
        assert_string_equal(runs, "run\n");
        cc_free(runs);
        cc_kube_config_release(&cfg);

        /* a plugin with the wrong token: refused (after one fresh run) */
        snprintf(user, sizeof(user),
                 "    exec:\n"
                 "      apiVersion: client.authentication.k8s.io/v1\n"
                 "      command: %s\n"
                 "      interactiveMode: Never\n"
                 "      env:\n"
                 "      - name: TOKEN\n"
                 "        value: stale\n",
                 plugin);
        load_config(f, "exec-wrong", user, &cfg);
        assert_int_equal(get_ns(f, &cfg, &x), CC_AUTH);
        assert_int_equal(x.status, 401);
        runs = cc_test_read_file(count, NULL);
        assert_non_null(runs);
        assert_string_equal(runs, "run\nrun\nrun\n");
        cc_free(runs);
        cc_kube_config_release(&cfg);
        /* every bearer-authenticated request went without a client certificate */
        assert_int_equal(count_requests(f, "GET", "/namespaces/default", 200,
                                        "CN=cloudctl-test,O=system:masters"),
                         0);
}

static void
test_auth_client_certificate(void **state)
{
        struct fx *f = *state;
        struct cc_kube_config cfg;
        struct res x = { 0 };
        char user[16384];
        char *cert64 = base64(g.alice_cert_pem), *key64 = base64(g.alice_key_pem);

        /* client-certificate / client-key files, no token */
        snprintf(user, sizeof(user), "    client-certificate: %s\n    client-key: %s\n",
                 g.alice_cert, g.alice_key);
        load_config(f, "cert-files", user, &cfg);
        assert_int_equal(get_ns(f, &cfg, &x), CC_OK);
        cc_kube_config_release(&cfg);
        assert_int_equal(count_requests(f, "GET", "/namespaces/default", 200,
                                        "CN=cloudctl-test,O=system:masters"),
                         1);
        /* the -data forms */
        snprintf(user, sizeof(user), "    client-certificate-data: %s\n    client-key-data: %s\n",
                 cert64, key64);
        load_config(f, "cert-data", user, &cfg);
        assert_int_equal(get_ns(f, &cfg, &x), CC_OK);
        cc_kube_config_release(&cfg);
        assert_int_equal(count_requests(f, "GET", "/namespaces/default", 200,
                                        "CN=cloudctl-test,O=system:masters"),
                         2);
        /* the same subject from a CA the server does not trust: 401 */
        snprintf(user, sizeof(user), "    client-certificate: %s\n    client-key: %s\n",
                 g.rogue_cert, g.rogue_key);
        load_config(f, "cert-rogue", user, &cfg);
        assert_int_equal(get_ns(f, &cfg, &x), CC_AUTH);
        assert_int_equal(x.status, 401);
        cc_kube_config_release(&cfg);
        /* a watch with the certificate works too (the informer's path) */
        snprintf(user, sizeof(user), "    client-certificate: %s\n    client-key: %s\n",
                 g.alice_cert, g.alice_key);
        load_config(f, "cert-list", user, &cfg);
        {
                struct cc_kube_client *k = NULL;

                new_client(f, &cfg, "kube-mockkube-cert", NULL, &k);
                assert_int_equal(cc_kube_list(k, cc_kube_resource_by_kind("Namespace"), NULL, NULL,
                                              res_done, &x, NULL, NULL),
                                 CC_AGAIN);
                res_wait(f, &x);
                assert_int_equal(x.rc, CC_OK);
                assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(x.obj, "items")) >= 4);
                res_release(&x);
                cc_kube_client_free(k);
        }
        cc_kube_config_release(&cfg);
        cc_free(cert64);
        cc_free(key64);
}

/* --- Deployments and EndpointSlices in the real binary ---------------------- */

/* method base+path with the token and an optional JSON body; the answer is
 * parsed into *out (may be NULL).  Returns the HTTP status. */
static long
api(const char *base, const char *method, const char *path, const char *body, cJSON **out)
{
        char url[512];

        snprintf(url, sizeof(url), "%s%s", base, path);
        return cc_test_http(method, url, g.srv_cert, TOKEN, NULL, body, out);
}

/* deploy gw (2 replicas) and a Service selecting it into the cluster at base,
 * and wait (bounded) for the slice to list both pods; returns its endpoints
 * as "addr node zone;..." */
static void
deploy_and_wait(const char *base, char *out, size_t n)
{
        uint64_t deadline = mono_ms() + 20000;
        cJSON *l = NULL;
        const cJSON *eps = NULL, *e;
        size_t len = 0;

        assert_int_equal(api(base, "POST", "/apis/apps/v1/namespaces/default/deployments",
                             "{\"metadata\":{\"name\":\"gw\"},\"spec\":{\"replicas\":2,"
                             "\"template\":{\"metadata\":{\"labels\":{\"app\":\"gw\"}}}}}",
                             NULL),
                         201);
        assert_int_equal(api(base, "POST", "/api/v1/namespaces/default/services",
                             "{\"metadata\":{\"name\":\"gw\"},\"spec\":{\"selector\":{\"app\":"
                             "\"gw\"},\"ports\":[{\"port\":80}]}}",
                             NULL),
                         201);
        while (mono_ms() < deadline) {
                struct timespec ts = { 0, 50 * 1000000L };

                cJSON_Delete(l);
                assert_int_equal(api(base, "GET",
                                     "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices"
                                     "?labelSelector=kubernetes.io/service-name%3Dgw",
                                     NULL, &l),
                                 200);
                eps = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(l, "items"), 0),
                                          "endpoints");
                if (cJSON_GetArraySize(eps) == 2)
                        break;
                nanosleep(&ts, NULL);
        }
        assert_int_equal(cJSON_GetArraySize(eps), 2);
        out[0] = 0;
        cJSON_ArrayForEach(e, eps)
        {
                len += (size_t)snprintf(
                    out + len, n - len, "%s %s %s;",
                    cJSON_GetArrayItem(cJSON_GetObjectItem(e, "addresses"), 0)->valuestring,
                    cJSON_GetStringValue(cJSON_GetObjectItem(e, "nodeName")),
                    cJSON_GetStringValue(cJSON_GetObjectItem(e, "zone")));
                assert_true(len < n);
        }
        cJSON_Delete(l);
}

static const char *const two_clusters[] = { "--clusters", "2", "--gke-zones",
                                            "us-east1-b,us-east1-c;europe-west1-b", NULL };

static int
setup_two(void **state)
{
        mock_args = two_clusters;
        mock_clusters = 2;
        setup(state);
        mock_args = NULL;
        mock_clusters = 1;
        return 0;
}

/* exit status of mock-kube run with args (it must not start serving) */
static int
mock_exit(const char *const *args)
{
        const char *dir = getenv("CC_BINARY_DIR");
        const char *argv[16];
        char bin[1024];
        size_t a = 0;
        int status = 0;
        pid_t pid;

        snprintf(bin, sizeof(bin), "%s/bin/mock-kube", dir ? dir : ".");
        argv[a++] = "mock-kube";
        while (*args && a < 15)
                argv[a++] = *args++;
        argv[a] = NULL;
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int fd = open("/dev/null", O_WRONLY);

                prctl(PR_SET_PDEATHSIG, SIGKILL);
                dup2(fd, STDOUT_FILENO);
                dup2(fd, STDERR_FILENO);
                execv(bin, (char *const *)argv);
                _exit(127);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* each cluster's EndpointSlices carry its own index and zones (--gke-zones
 * with one list per cluster); a Deployment becomes Available after the
 * default --pod-ready-ms */
static void
test_workloads_per_cluster(void **state)
{
        struct fx *f = *state;
        static const char *const mismatch[] = { "--clusters", "3", "--gke-zones", "a;b", NULL };
        static const char *const one_list[] = { "--clusters", "2", "--gke-zones", "a;", NULL };
        char eps[512];
        cJSON *d = NULL;

        assert_true(f->url2[0] != 0);
        deploy_and_wait(f->url, eps, sizeof(eps));
        assert_string_equal(eps, "10.0.1.1 gke-0-node-0 us-east1-b;"
                                 "10.0.1.2 gke-0-node-1 us-east1-c;");
        deploy_and_wait(f->url2, eps, sizeof(eps));
        assert_string_equal(eps, "10.1.1.1 gke-1-node-0 europe-west1-b;"
                                 "10.1.1.2 gke-1-node-1 europe-west1-b;");
        assert_int_equal(
            api(f->url, "GET", "/apis/apps/v1/namespaces/default/deployments/gw", NULL, &d), 200);
        assert_int_equal(
            cJSON_GetObjectItem(cJSON_GetObjectItem(d, "status"), "readyReplicas")->valueint, 2);
        cJSON_Delete(d);
        /* the zone lists must match the clusters */
        assert_int_equal(mock_exit(mismatch), 2);
        assert_int_equal(mock_exit(one_list), 2);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_informer_exactly_once, setup, teardown),
                cmocka_unit_test_setup_teardown(test_conflict_read_modify_write, setup, teardown),
                cmocka_unit_test_setup_teardown(test_leader_election, setup, teardown),
                cmocka_unit_test_setup_teardown(test_events_aggregate, setup, teardown),
                cmocka_unit_test_setup_teardown(test_auth_token_and_exec, setup, teardown),
                cmocka_unit_test_setup_teardown(test_auth_client_certificate, setup, teardown),
                cmocka_unit_test_setup_teardown(test_workloads_per_cluster, setup_two, teardown),
        };

        cc_alloc_init();
        cc_log_configure("off", NULL);
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
