/* cmd_demo.c -- `cloudctl demo`: the whole system on one machine, in one command.
 *
 * DESIGN
 * ------
 * The demo is a script in C: every step waits for the previous one.  It
 * runs one cc_loop and "waits" by running that loop (uv_run ONCE) until
 * the awaited callback has fired, so HTTP and Kubernetes calls go through
 * the same clients as the controller's, and a signal, the deadline or a
 * helper process dying is noticed at every step (a 100 ms ticker keeps the
 * loop turning and checks the helpers).  The steps:
 *
 *   find mock-gcp and mock-kube (next to this program, or --mocks-dir)
 *   -> private temp dir -> test certificate and token -> mock-gcp ->
 *   mock-kube (--clusters N, HTTPS + token, GKE's NEG controller against
 *   mock-gcp) -> the Cloud DNS zone -> kubeconfig (context demo-<cluster>
 *   per config cluster), gcloud settings, the config (the embedded
 *   fixtures/demo/cloudctl.yaml + endpoints, credentials, kubeconfigs) ->
 *   server-side apply of fixtures/demo/gateway.yaml to the first cluster
 *   -> `cloudctl run` as a child -> poll the Gateway, print each condition
 *   change, until Programmed=True -> the summary, read from the APIs ->
 *   with --keep, how to explore, until SIGINT/SIGTERM -> stop the helpers
 *   (SIGTERM, grace, SIGKILL), remove the temp dir.
 *
 * Helpers are struct cc_proc (cloudctl/proc.h): their output goes to files
 * in the temp dir, and they die with the demo even if it is SIGKILLed.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "cloudctl/cli.h"
#include "cloudctl/demo_fixtures.h"
#include "cloudctl/proc.h"
#include "cloudctl/selfsigned.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/http.h"
#include "core/json.h"
#include "core/loop.h"
#include "core/yaml.h"
#include "kube/client.h"
#include "kube/config.h"
#include "providers/gke/naming.h"
#include "core/banned.h"

#define MAX_CLUSTERS    4
#define MAX_CONDS       24
#define FIELD_MANAGER   "cloudctl-demo"
#define MANAGED_LABEL   "app.kubernetes.io/managed-by=cloudctl"
#define GRACE_MS        5000u
#define TICK_MS         100u
#define POLL_MS         200u
#define START_WAIT_MS   15000u
#define LOG_TAIL        25u
#define DEFAULT_TIMEOUT 120L
#define CERT_WAIT_MS    20000u
#define COND_CERTS      "cloudctl.dev/CertificatesReady"
/* mock-kube's zones for GKE's NEG controller.  One list for every cluster
 * until mock-kube takes per-cluster lists ("z1,z2;z3", cluster i the i-th);
 * then build it from the config's clusters[].zones. */
#define GKE_ZONES "us-east1-b,us-east1-c;europe-west1-b"

enum stop_reason { RUNNING, STOP_SIGNAL, STOP_TIMEOUT, STOP_DIED };

struct cond {
        char type[64];
        char status[16];
        char reason[64];
        char message[256];
};

struct cluster {
        char name[64];
        char region[64];
        char context[80];
        char url[256];
        struct cc_kube_config kcfg;
        bool kcfg_ok;
        struct cc_kube_client *kube;
};

struct demo {
        /* options */
        const char *mocks_dir;
        long timeout_s;
        bool keep;
        /* where things are */
        char self[PATH_MAX];
        char mock_gcp[PATH_MAX];
        char mock_kube[PATH_MAX];
        char tmp[PATH_MAX];
        char gcp_url[256];
        char token[33];
        /* from the fixtures */
        cJSON *config;    /* fixtures/demo/cloudctl.yaml, then filled in */
        cJSON *manifests; /* fixtures/demo/gateway.yaml, an array */
        const char *project, *zone, *dns_name, *fleet;
        const char *gw_ns, *gw_name;
        struct cluster cl[MAX_CLUSTERS];
        size_t ncl;
        /* runtime */
        struct cc_loop loop;
        struct cc_http http;
        uv_signal_t sig[2];
        struct cc_timer *tick;
        bool loop_ok, http_ok, sig_ok;
        struct cc_proc gcp, kube, ctl;
        enum stop_reason stop;
        int signo;
        const struct cc_proc *died;
        const char *waiting_for; /* what the current step waits for (messages) */
        uint64_t deadline_ms, ctl_start_ms;
        double programmed_s; /* seconds from the controller's start to Programmed=True */
        bool tty, spinner_shown;
        unsigned spin;
        /* the Gateway's conditions as last printed */
        struct cond seen[MAX_CONDS];
        size_t nseen;
};

/* --- paths and files ------------------------------------------------------ */

static const char *
tmp_path(const struct demo *dm, const char *file, char *out, size_t size)
{
        /* the temp dir's name is short (mkdtemp under TMPDIR): a cut is not expected */
        if (snprintf(out, size, "%s/%s", dm->tmp, file) >= (int)size)
                out[size - 1] = '\0';
        return out;
}

static cc_err
write_file(const char *path, int mode, const char *text, struct cc_diag *d)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        size_t len = strlen(text), off = 0;
        cc_err rc = CC_OK;

        if (fd < 0)
                return cc_diag_set(d, CC_IO, 0, "cannot write '%s': %s", path, strerror(errno));
        while (off < len) {
                ssize_t n = write(fd, text + off, len - off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        rc = cc_diag_set(d, CC_IO, 0, "cannot write '%s': %s", path,
                                         strerror(errno));
                        break;
                }
                off += (size_t)n;
        }
        close(fd);
        return rc;
}

static cc_err
write_json(const char *path, int mode, const cJSON *obj, struct cc_diag *d)
{
        struct cc_buf b = CC_BUF_INIT(0);
        cc_err rc;

        if ((rc = cc_json_print(obj, true, &b)) == CC_OK && (rc = cc_buf_putc(&b, '\n')) == CC_OK)
                rc = write_file(path, mode, cc_buf_str(&b), d);
        else
                rc = cc_diag_set(d, rc, 0, "cannot write '%s': out of memory", path);
        cc_buf_release(&b);
        return rc;
}

/* the first n lines of path into urls (each at most size bytes); false until there are n */
static bool
read_lines(const char *path, size_t n, char urls[][256])
{
        char line[256];
        size_t got = 0;
        FILE *f = fopen(path, "r");

        if (!f)
                return false;
        while (got < n && fgets(line, sizeof(line), f)) {
                size_t len = strlen(line);

                if (!len || line[len - 1] != '\n')
                        break; /* a line still being written */
                line[len - 1] = '\0';
                snprintf(urls[got++], 256, "%s", line);
        }
        fclose(f);
        return got == n;
}

/* --- the loop: waiting, signals, the ticker ------------------------------- */

static void
clear_spinner(struct demo *dm)
{
        if (dm->spinner_shown) {
                fputs("\r\033[K", stdout);
                dm->spinner_shown = false;
        }
}

/* printf to stdout, clearing a spinner line first; flushed (a pipe reader sees progress) */
static void __attribute__((format(printf, 2, 3))) say(struct demo *dm, const char *fmt, ...)
{
        va_list ap;

        clear_spinner(dm);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        fflush(stdout);
}

static double
elapsed_s(struct demo *dm)
{
        return (double)(cc_loop_now_ms(&dm->loop) - dm->ctl_start_ms) / 1000.0;
}

static void
on_signal(uv_signal_t *h, int signo)
{
        struct demo *dm = h->data;

        if (!dm->signo)
                dm->signo = signo;
        dm->stop = STOP_SIGNAL;
}

static void
on_tick(struct cc_timer *t, void *ud)
{
        static const char frames[] = "|/-\\";
        struct demo *dm = ud;
        struct cc_proc *ps[] = { &dm->gcp, &dm->kube, &dm->ctl };
        size_t i;

        (void)t;
        for (i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
                bool started = ps[i]->pid > 0;

                if (started && cc_proc_poll(ps[i]) && dm->stop == RUNNING) {
                        dm->stop = STOP_DIED;
                        dm->died = ps[i];
                }
        }
        if (dm->stop == RUNNING && dm->deadline_ms && cc_loop_now_ms(&dm->loop) >= dm->deadline_ms)
                dm->stop = STOP_TIMEOUT;
        if (dm->tty && dm->ctl_start_ms && dm->waiting_for && dm->stop == RUNNING) {
                printf("\r\033[K  %c %5.1fs  waiting for %s", frames[dm->spin++ % 4], elapsed_s(dm),
                       dm->waiting_for);
                fflush(stdout);
                dm->spinner_shown = true;
        }
}

/* run the loop until *flag, or until the demo must stop (CC_CANCELED) */
static cc_err
spin_until(struct demo *dm, const bool *flag)
{
        while (!*flag) {
                if (dm->stop != RUNNING)
                        return CC_CANCELED;
                uv_run(&dm->loop.uv, UV_RUN_ONCE);
        }
        return CC_OK;
}

/* run the loop until *flag, whatever happens (a canceled operation's callback) */
static void
drain_until(struct demo *dm, const bool *flag)
{
        while (!*flag)
                uv_run(&dm->loop.uv, UV_RUN_ONCE);
}

static void
on_pause(struct cc_timer *t, void *ud)
{
        (void)t;
        *(bool *)ud = true;
}

static cc_err
pause_ms(struct demo *dm, uint64_t ms)
{
        struct cc_timer *t = NULL;
        bool fired = false;
        cc_err rc;

        if ((rc = cc_timer_start(&dm->loop, ms, 0, on_pause, &fired, &t)))
                return rc;
        rc = spin_until(dm, &fired);
        if (!fired)
                cc_timer_cancel(t);
        return rc;
}

/* --- calls: mock-gcp over HTTP, the clusters through the kube client ------- */

struct call {
        bool done;
        cc_err rc;
        int status;
        cJSON *obj;
        struct cc_diag d;
};

static void
http_done(struct cc_http_req *req, cc_err rc, struct cc_http_response *resp, void *ud)
{
        struct call *c = ud;

        (void)req;
        c->rc = rc;
        c->status = resp->status;
        if (rc == CC_OK && resp->body.len)
                c->rc = cc_json_parse(resp->body.data, resp->body.len, 0, &c->obj, &c->d);
        else if (rc != CC_OK)
                c->d = resp->diag;
        c->done = true;
}

/* method path on mock-gcp, with an optional JSON body; *out (may be NULL) the answer */
static cc_err
gcp_call(struct demo *dm, const char *method, const char *path, const cJSON *body, cJSON **out,
         struct cc_diag *d)
{
        char url[1024];
        struct call c = { 0 };
        struct cc_http_request r = { 0 };
        struct cc_http_req *req = NULL;
        cc_err rc;

        snprintf(url, sizeof(url), "%s%s", dm->gcp_url, path);
        r.method = method;
        r.url = url;
        r.json = body;
        r.done = http_done;
        r.ud = &c;
        if ((rc = cc_http_send(&dm->http, &r, &req, d)) != CC_AGAIN)
                return rc;
        if (spin_until(dm, &c.done) != CC_OK) {
                cc_http_cancel(req);
                drain_until(dm, &c.done);
        }
        if (c.rc == CC_OK && out) {
                *out = c.obj;
                c.obj = NULL;
        } else if (c.rc != CC_OK) {
                cc_diag_set(d, c.rc, c.status, "%s %s: %s", method, path,
                            c.d.message[0] ? c.d.message : cc_err_name(c.rc));
        }
        cJSON_Delete(c.obj);
        return c.rc;
}

static void
kube_done(struct cc_kube_op *op, cc_err rc, struct cc_kube_result *res, void *ud)
{
        struct call *c = ud;

        (void)op;
        c->rc = rc;
        c->status = res->status;
        c->obj = res->obj;
        res->obj = NULL;
        c->d = res->diag;
        c->done = true;
}

static cc_err
kube_finish(struct demo *dm, struct call *c, cc_err started, struct cc_kube_op *op, cJSON **out,
            struct cc_diag *d)
{
        if (started != CC_AGAIN)
                return started;
        if (spin_until(dm, &c->done) != CC_OK) {
                cc_kube_cancel(op);
                drain_until(dm, &c->done);
        }
        if (c->rc == CC_OK && out) {
                *out = c->obj;
                c->obj = NULL;
        } else if (c->rc != CC_OK) {
                *d = c->d;
        }
        cJSON_Delete(c->obj);
        return c->rc;
}

static cc_err
kube_get(struct demo *dm, struct cluster *cl, const char *kind, const char *ns, const char *name,
         cJSON **out, struct cc_diag *d)
{
        struct call c = { 0 };
        struct cc_kube_op *op = NULL;
        cc_err rc =
            cc_kube_get(cl->kube, cc_kube_resource_by_kind(kind), ns, name, kube_done, &c, &op, d);

        return kube_finish(dm, &c, rc, op, out, d);
}

static cc_err
kube_list(struct demo *dm, struct cluster *cl, const char *kind, const char *ns,
          const char *selector, cJSON **out, struct cc_diag *d)
{
        struct cc_kube_list_opts lo = { .label_selector = selector };
        struct call c = { 0 };
        struct cc_kube_op *op = NULL;
        cc_err rc =
            cc_kube_list(cl->kube, cc_kube_resource_by_kind(kind), ns, &lo, kube_done, &c, &op, d);

        return kube_finish(dm, &c, rc, op, out, d);
}

/* server-side apply of one manifest (create or update) */
static cc_err
kube_apply(struct demo *dm, struct cluster *cl, const cJSON *obj, struct cc_diag *d)
{
        struct cc_kube_patch_opts po = { .field_manager = FIELD_MANAGER, .force = true };
        const struct cc_kube_resource *r = cc_kube_resource_of(obj);
        const char *ns = NULL, *name = NULL;
        struct call c = { 0 };
        struct cc_kube_op *op = NULL;
        cc_err rc;

        if (!r)
                return cc_diag_set(d, CC_INVAL, 0, "cannot apply a '%s': not a known kind",
                                   cJSON_GetStringValue(cJSON_GetObjectItem(obj, "kind")));
        cc_json_get_str_opt(obj, "metadata.namespace", &ns, NULL);
        if ((rc = cc_json_get_str(obj, "metadata.name", &name, d)))
                return rc;
        rc = cc_kube_patch(cl->kube, r, ns, name, CC_KUBE_PATCH_APPLY, obj, &po, kube_done, &c, &op,
                           d);
        return kube_finish(dm, &c, rc, op, NULL, d);
}

/* --- setup ----------------------------------------------------------------- */

static cc_err
find_programs(struct demo *dm, struct cc_diag *d)
{
        char dir[PATH_MAX - 16], missing[256] = "";
        ssize_t n = readlink("/proc/self/exe", dm->self, sizeof(dm->self) - 1);
        char *slash;

        if (n <= 0)
                return cc_diag_set(d, CC_IO, 0, "cannot find this program: readlink: %s",
                                   strerror(errno));
        dm->self[n] = '\0';
        if (snprintf(dir, sizeof(dir), "%s", dm->mocks_dir ? dm->mocks_dir : dm->self) >=
            (int)sizeof(dir))
                return cc_diag_set(d, CC_INVAL, 0, "path too long: '%s'", dir);
        slash = strrchr(dir, '/');
        if (!dm->mocks_dir && slash)
                *slash = '\0';
        snprintf(dm->mock_gcp, sizeof(dm->mock_gcp), "%s/mock-gcp", dir);
        snprintf(dm->mock_kube, sizeof(dm->mock_kube), "%s/mock-kube", dir);
        if (access(dm->mock_gcp, X_OK) != 0)
                snprintf(missing, sizeof(missing), "'mock-gcp'");
        if (access(dm->mock_kube, X_OK) != 0)
                snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
                         missing[0] ? " and " : "", "'mock-kube'");
        if (missing[0])
                return cc_diag_set(d, CC_NOTFOUND, 0,
                                   "cannot find %s in '%s' (build them with scripts/build, or "
                                   "name their directory with --mocks-dir DIR)",
                                   missing, dir);
        return CC_OK;
}

static cc_err
load_fixtures(struct demo *dm, struct cc_diag *d)
{
        cJSON *docs = NULL, *c;
        const cJSON *clusters;
        cc_err rc;
        size_t i;

        if ((rc = cc_yaml_to_json(cc_demo_fixture_cloudctl_yaml,
                                  strlen(cc_demo_fixture_cloudctl_yaml), &docs, d)))
                goto out;
        dm->config = cJSON_DetachItemFromArray(docs, 0);
        if ((rc = cc_yaml_to_json(cc_demo_fixture_gateway_yaml,
                                  strlen(cc_demo_fixture_gateway_yaml), &dm->manifests, d)))
                goto out;
        if (!cJSON_IsObject(dm->config) ||
            (rc = cc_json_get_str(dm->config, "project", &dm->project, d)) ||
            (rc = cc_json_get_str(dm->config, "fleet", &dm->fleet, d)) ||
            (rc = cc_json_get_str(dm->config, "dns.managedZone", &dm->zone, d)) ||
            (rc = cc_json_get_str(dm->config, "dns.dnsName", &dm->dns_name, d)) ||
            (rc = cc_json_get_arr(dm->config, "clusters", &clusters, d))) {
                rc = cc_diag_set(d, CC_INTERNAL, 0, "the built-in demo config is unusable: %s",
                                 d->message);
                goto out;
        }
        i = 0;
        cJSON_ArrayForEach(c, clusters)
        {
                const char *name = NULL, *region = "";

                if (i == MAX_CLUSTERS || cc_json_get_str(c, "name", &name, d) != CC_OK) {
                        rc = cc_diag_set(d, CC_INTERNAL, 0, "the built-in demo config is unusable");
                        goto out;
                }
                cc_json_get_str_opt(c, "region", &region, NULL);
                snprintf(dm->cl[i].name, sizeof(dm->cl[i].name), "%s", name);
                snprintf(dm->cl[i].region, sizeof(dm->cl[i].region), "%s", region);
                snprintf(dm->cl[i].context, sizeof(dm->cl[i].context), "demo-%s", name);
                i++;
        }
        dm->ncl = i;
        cJSON_ArrayForEach(c, dm->manifests)
        {
                if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(c, "kind")) ?: "",
                            "Gateway")) {
                        cc_json_get_str_opt(c, "metadata.namespace", &dm->gw_ns, NULL);
                        cc_json_get_str_opt(c, "metadata.name", &dm->gw_name, NULL);
                        break;
                }
        }
        if (!dm->ncl || !dm->gw_ns || !dm->gw_name)
                rc = cc_diag_set(d, CC_INTERNAL, 0,
                                 "the built-in demo has no cluster or no namespaced Gateway");
out:
        cJSON_Delete(docs);
        return rc;
}

static cc_err
make_tmp(struct demo *dm, struct cc_diag *d)
{
        const char *base = getenv("TMPDIR");

        if (!base || !base[0])
                base = "/tmp";
        snprintf(dm->tmp, sizeof(dm->tmp), "%s/cloudctl-demo.XXXXXX", base);
        if (!mkdtemp(dm->tmp)) {
                cc_err rc = cc_diag_set(d, CC_IO, 0, "cannot make a temp dir in '%s': %s", base,
                                        strerror(errno));
                dm->tmp[0] = '\0';
                return rc;
        }
        return CC_OK;
}

static cc_err
make_token(struct demo *dm, struct cc_diag *d)
{
        unsigned char raw[16];
        size_t i;

        if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
                return cc_diag_set(d, CC_IO, 0, "cannot make a token: getrandom: %s",
                                   strerror(errno));
        for (i = 0; i < sizeof(raw); i++)
                snprintf(dm->token + 2 * i, 3, "%02x", raw[i]);
        return CC_OK;
}

/* start a mock and wait for its n URL lines on stdout */
static cc_err
start_mock(struct demo *dm, struct cc_proc *p, const char *name, const char *const *argv, size_t n,
           char urls[][256], struct cc_diag *d)
{
        char out[PATH_MAX], log[PATH_MAX], file[64];
        uint64_t until;
        cc_err rc;

        snprintf(file, sizeof(file), "%s.urls", name);
        tmp_path(dm, file, out, sizeof(out));
        snprintf(file, sizeof(file), "%s.log", name);
        tmp_path(dm, file, log, sizeof(log));
        if ((rc = cc_proc_start(p, name, argv, out, log, d)))
                return rc;
        until = cc_loop_now_ms(&dm->loop) + START_WAIT_MS;
        while (!read_lines(out, n, urls)) {
                if (cc_proc_poll(p)) {
                        say(dm, "%s %s; its log (%s):\n", name, p->desc, log);
                        cc_proc_tail(log, LOG_TAIL, "  | ", stdout);
                        return cc_diag_set(d, CC_IO, 0, "%s did not start: %s", name, p->desc);
                }
                if (cc_loop_now_ms(&dm->loop) >= until)
                        return cc_diag_set(d, CC_TRANSIENT, 0,
                                           "%s printed no URL within %u s (log: %s)", name,
                                           START_WAIT_MS / 1000, log);
                if ((rc = pause_ms(dm, 20)))
                        return cc_diag_set(d, rc, 0, "interrupted");
        }
        return CC_OK;
}

static cc_err
start_mocks(struct demo *dm, struct cc_diag *d)
{
        char crt[PATH_MAX], key[PATH_MAX], urls[MAX_CLUSTERS][256], nclusters[8];
        const char *gargv[] = { dm->mock_gcp, "--port", "0", "--project", dm->project, NULL };
        cc_err rc;
        size_t i;

        dm->waiting_for = "mock-gcp";
        if ((rc = start_mock(dm, &dm->gcp, "mock-gcp", gargv, 1, urls, d)))
                return rc;
        snprintf(dm->gcp_url, sizeof(dm->gcp_url), "%s", urls[0]);
        say(dm, "  mock-gcp      %s  (Compute, Certificate Manager, Cloud DNS; pid %d)\n",
            dm->gcp_url, (int)dm->gcp.pid);

        tmp_path(dm, "kube-tls.crt", crt, sizeof(crt));
        tmp_path(dm, "kube-tls.key", key, sizeof(key));
        if ((rc = cc_selfsigned_write(crt, key, 30, d)) || (rc = make_token(dm, d)))
                return rc;
        snprintf(nclusters, sizeof(nclusters), "%zu", dm->ncl);
        {
                const char *kargv[] = { dm->mock_kube, "--port",        "0",
                                        "--clusters",  nclusters,       "--tls-cert",
                                        crt,           "--tls-key",     key,
                                        "--token",     dm->token,       "--gke-neg-gcp",
                                        dm->gcp_url,   "--gke-project", dm->project,
                                        "--gke-zones", GKE_ZONES,       NULL };

                dm->waiting_for = "mock-kube";
                if ((rc = start_mock(dm, &dm->kube, "mock-kube", kargv, dm->ncl, urls, d)))
                        return rc;
        }
        for (i = 0; i < dm->ncl; i++) {
                snprintf(dm->cl[i].url, sizeof(dm->cl[i].url), "%s", urls[i]);
                say(dm, "  mock-kube     %s  (context %s%s; pid %d)\n", dm->cl[i].url,
                    dm->cl[i].context, i == 0 ? ", holds the Gateway" : "", (int)dm->kube.pid);
        }
        return CC_OK;
}

static cc_err
create_zone(struct demo *dm, struct cc_diag *d)
{
        char path[256];
        cJSON *zone = cJSON_CreateObject();
        cc_err rc;

        if (!zone || !cJSON_AddStringToObject(zone, "name", dm->zone) ||
            !cJSON_AddStringToObject(zone, "dnsName", dm->dns_name) ||
            !cJSON_AddStringToObject(zone, "description", "cloudctl demo") ||
            !cJSON_AddStringToObject(zone, "visibility", "public")) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "out of memory");
                goto out;
        }
        snprintf(path, sizeof(path), "/dns/v1/projects/%s/managedZones", dm->project);
        dm->waiting_for = "the DNS zone";
        if ((rc = gcp_call(dm, "POST", path, zone, NULL, d)))
                goto out;
        say(dm, "  DNS zone      %s (%s) in Cloud DNS\n", dm->zone, dm->dns_name);
out:
        cJSON_Delete(zone);
        return rc;
}

static cc_err
write_kubeconfig(struct demo *dm, struct cc_diag *d)
{
        char path[PATH_MAX], crt[PATH_MAX];
        cJSON *kc = cJSON_CreateObject(), *clusters, *users, *contexts, *u;
        cc_err rc = CC_NOMEM;
        size_t i;

        tmp_path(dm, "kube-tls.crt", crt, sizeof(crt));
        if (!kc || !cJSON_AddStringToObject(kc, "apiVersion", "v1") ||
            !cJSON_AddStringToObject(kc, "kind", "Config") ||
            !(clusters = cJSON_AddArrayToObject(kc, "clusters")) ||
            !(users = cJSON_AddArrayToObject(kc, "users")) ||
            !(contexts = cJSON_AddArrayToObject(kc, "contexts")) ||
            !cJSON_AddStringToObject(kc, "current-context", dm->cl[0].context))
                goto out;
        u = cJSON_CreateObject();
        cJSON_AddItemToArray(users, u);
        if (!u || !cJSON_AddStringToObject(u, "name", "demo") ||
            cc_json_set_str(u, "user.token", dm->token))
                goto out;
        for (i = 0; i < dm->ncl; i++) {
                cJSON *c = cJSON_CreateObject(), *x = cJSON_CreateObject();

                cJSON_AddItemToArray(clusters, c);
                cJSON_AddItemToArray(contexts, x);
                if (!c || !x || !cJSON_AddStringToObject(c, "name", dm->cl[i].context) ||
                    cc_json_set_str(c, "cluster.server", dm->cl[i].url) ||
                    cc_json_set_str(c, "cluster.certificate-authority", crt) ||
                    !cJSON_AddStringToObject(x, "name", dm->cl[i].context) ||
                    cc_json_set_str(x, "context.cluster", dm->cl[i].context) ||
                    cc_json_set_str(x, "context.user", "demo") ||
                    cc_json_set_str(x, "context.namespace", dm->gw_ns))
                        goto out;
        }
        rc = write_json(tmp_path(dm, "kubeconfig", path, sizeof(path)), 0600, kc, d);
out:
        if (rc == CC_NOMEM)
                cc_diag_set(d, rc, 0, "out of memory");
        cJSON_Delete(kc);
        return rc;
}

static cc_err
connect_clusters(struct demo *dm, struct cc_diag *d)
{
        char path[PATH_MAX];
        const char *paths[] = { path };
        cc_err rc;
        size_t i;

        tmp_path(dm, "kubeconfig", path, sizeof(path));
        for (i = 0; i < dm->ncl; i++) {
                struct cluster *cl = &dm->cl[i];
                struct cc_kube_client_opts ko = { .user_agent = "cloudctl-demo" };

                if ((rc = cc_kube_config_load_files(&cl->kcfg, paths, 1, cl->context, NULL, d)))
                        return rc;
                cl->kcfg_ok = true;
                if ((rc = cc_kube_client_new(&dm->http, &cl->kcfg, &ko, &cl->kube, d)))
                        return rc;
        }
        return CC_OK;
}

/* The gcloud settings of tests/interop/lib.sh, as a file to source. */
static cc_err
write_env(struct demo *dm, struct cc_diag *d)
{
        char path[PATH_MAX], gdir[PATH_MAX], gce[PATH_MAX + 8];
        struct cc_buf b = CC_BUF_INIT(0);
        cc_err rc;

        tmp_path(dm, "gcloud", gdir, sizeof(gdir));
        snprintf(gce, sizeof(gce), "%s/gce", gdir);
        if (mkdir(gdir, 0700) != 0)
                return cc_diag_set(d, CC_IO, 0, "cannot make '%s': %s", gdir, strerror(errno));
        if ((rc = write_file(gce, 0600, "False\n", d)))
                return rc;
        cc_buf_printf(&b,
                      "# cloudctl demo: kubectl and gcloud against this run's mocks\n"
                      "export KUBECONFIG='%s/kubeconfig'\n"
                      "export CLOUDSDK_CONFIG='%s'\n"
                      "export CLOUDSDK_CORE_PROJECT='%s'\n"
                      "export CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE='%s/compute/v1/'\n"
                      "export CLOUDSDK_API_ENDPOINT_OVERRIDES_DNS='%s/dns/v1/'\n"
                      "export CLOUDSDK_API_ENDPOINT_OVERRIDES_CERTIFICATEMANAGER='%s/'\n"
                      "export CLOUDSDK_AUTH_DISABLE_CREDENTIALS=true\n"
                      "export CLOUDSDK_CORE_DISABLE_PROMPTS=1\n"
                      "export CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=true\n",
                      dm->tmp, gdir, dm->project, dm->gcp_url, dm->gcp_url, dm->gcp_url);
        if (!b.data)
                rc = cc_diag_set(d, CC_NOMEM, 0, "out of memory");
        else
                rc =
                    write_file(tmp_path(dm, "env.sh", path, sizeof(path)), 0600, cc_buf_str(&b), d);
        cc_buf_release(&b);
        return rc;
}

static cc_err
write_config(struct demo *dm, struct cc_diag *d)
{
        char path[PATH_MAX], kc[PATH_MAX], url[512];
        cJSON *clusters = cJSON_GetObjectItem(dm->config, "clusters"), *c;
        cc_err rc = CC_OK;
        size_t i = 0;

        tmp_path(dm, "kubeconfig", kc, sizeof(kc));
        cJSON_ArrayForEach(c, clusters)
        {
                if (cc_json_set_str(c, "kubeconfig", kc) ||
                    cc_json_set_str(c, "context", dm->cl[i++].context))
                        rc = CC_NOMEM;
        }
        snprintf(url, sizeof(url), "%s/compute/v1/", dm->gcp_url);
        rc = rc ?: cc_json_set_str(dm->config, "endpoints.compute", url);
        snprintf(url, sizeof(url), "%s/", dm->gcp_url);
        rc = rc ?: cc_json_set_str(dm->config, "endpoints.certificatemanager", url);
        snprintf(url, sizeof(url), "%s/dns/v1/", dm->gcp_url);
        rc = rc ?: cc_json_set_str(dm->config, "endpoints.dns", url);
        snprintf(url, sizeof(url), "%s/token", dm->gcp_url);
        rc = rc ?: cc_json_set_str(dm->config, "endpoints.token", url);
        rc = rc ?: cc_json_set_str(dm->config, "credentials.type", "none");
        if (rc)
                return cc_diag_set(d, rc, 0, "out of memory");
        return write_json(tmp_path(dm, "cloudctl.yaml", path, sizeof(path)), 0600, dm->config, d);
}

static cc_err
apply_manifests(struct demo *dm, struct cc_diag *d)
{
        struct cc_buf what = CC_BUF_INIT(4096);
        const cJSON *m;
        cc_err rc = CC_OK;

        dm->waiting_for = "the manifests to apply";
        cJSON_ArrayForEach(m, dm->manifests)
        {
                const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(m, "kind"));
                const char *name = NULL;

                cc_json_get_str_opt(m, "metadata.name", &name, NULL);
                if ((rc = kube_apply(dm, &dm->cl[0], m, d)))
                        goto out;
                cc_buf_printf(&what, "%s%s/%s", what.len ? ", " : "", kind ? kind : "?",
                              name ? name : "?");
        }
        say(dm, "  applied       %s  (context %s)\n", cc_buf_str(&what), dm->cl[0].context);
out:
        cc_buf_release(&what);
        return rc;
}

static cc_err
start_controller(struct demo *dm, struct cc_diag *d)
{
        char cfg[PATH_MAX], kc[PATH_MAX], log[PATH_MAX];
        const char *argv[] = { dm->self,   "--log=info", "run",
                               "--config", cfg,          "--kubeconfig",
                               kc,         "--context",  dm->cl[0].context,
                               "--resync", "60",         NULL };
        cc_err rc;

        tmp_path(dm, "cloudctl.yaml", cfg, sizeof(cfg));
        tmp_path(dm, "kubeconfig", kc, sizeof(kc));
        tmp_path(dm, "controller.log", log, sizeof(log));
        if ((rc = cc_proc_start(&dm->ctl, "the controller", argv, log, log, d)))
                return rc;
        dm->ctl_start_ms = cc_loop_now_ms(&dm->loop);
        say(dm, "  controller    cloudctl run --context %s (pid %d), log: %s\n", dm->cl[0].context,
            (int)dm->ctl.pid, log);
        return CC_OK;
}

/* --- progress -------------------------------------------------------------- */

static const char *
str_at(const cJSON *o, const char *key)
{
        const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));

        return s ? s : "";
}

static struct cond *
seen_cond(struct demo *dm, const char *type)
{
        size_t i;

        for (i = 0; i < dm->nseen; i++)
                if (!strcmp(dm->seen[i].type, type))
                        return &dm->seen[i];
        if (dm->nseen == MAX_CONDS)
                return NULL;
        memset(&dm->seen[dm->nseen], 0, sizeof(dm->seen[0]));
        snprintf(dm->seen[dm->nseen].type, sizeof(dm->seen[0].type), "%s", type);
        return &dm->seen[dm->nseen++];
}

/* print the conditions that changed since the last look; *certs: CertificatesReady=True;
 * true when Programmed=True */
static bool
show_transitions(struct demo *dm, const cJSON *gw, bool *certs)
{
        const cJSON *conds = cc_json_lookup(gw, "status.conditions"), *c;
        bool programmed = false;

        cJSON_ArrayForEach(c, conds)
        {
                const char *type = str_at(c, "type"), *status = str_at(c, "status");
                const char *reason = str_at(c, "reason"), *message = str_at(c, "message");
                struct cond *s = seen_cond(dm, type);

                if (!strcmp(type, "Programmed") && !strcmp(status, "True"))
                        programmed = true;
                if (!strcmp(type, COND_CERTS) && !strcmp(status, "True"))
                        *certs = true;
                if (!s || (!strcmp(s->status, status) && !strcmp(s->reason, reason) &&
                           !strncmp(s->message, message, sizeof(s->message) - 1)))
                        continue;
                snprintf(s->status, sizeof(s->status), "%s", status);
                snprintf(s->reason, sizeof(s->reason), "%s", reason);
                snprintf(s->message, sizeof(s->message), "%s", message);
                say(dm, "  %5.1fs  %-32s %-7s %s%s%s\n", elapsed_s(dm), type, status, reason,
                    message[0] ? ": " : "", message);
        }
        return programmed;
}

static void
print_conditions(struct demo *dm, const cJSON *gw)
{
        const cJSON *c;

        cJSON_ArrayForEach(c, cc_json_lookup(gw, "status.conditions"))
        {
                say(dm, "  %-32s %-7s %s: %s\n", str_at(c, "type"), str_at(c, "status"),
                    str_at(c, "reason"), str_at(c, "message"));
        }
}

/* poll the Gateway until Programmed=True, then at most CERT_WAIT_MS more until
 * CertificatesReady=True as well; *gw_out the last object read */
static cc_err
follow_gateway(struct demo *dm, cJSON **gw_out, struct cc_diag *d)
{
        cJSON *gw = NULL;
        uint64_t programmed_ms = 0;
        cc_err rc;

        say(dm, "\nGateway %s/%s (class istio+gke), as the controller reports it:\n", dm->gw_ns,
            dm->gw_name);
        dm->waiting_for = "Programmed=True";
        for (;;) {
                cJSON *next = NULL;
                bool certs = false;

                rc = kube_get(dm, &dm->cl[0], "Gateway", dm->gw_ns, dm->gw_name, &next, d);
                if (rc == CC_OK) {
                        cJSON_Delete(gw);
                        gw = next;
                        if (show_transitions(dm, gw, &certs) && !programmed_ms) {
                                programmed_ms = cc_loop_now_ms(&dm->loop);
                                dm->programmed_s = elapsed_s(dm);
                                dm->waiting_for = "the certificate (" COND_CERTS "=True)";
                        }
                        if (programmed_ms &&
                            (certs || cc_loop_now_ms(&dm->loop) - programmed_ms >= CERT_WAIT_MS))
                                break;
                } else if (dm->stop != RUNNING) {
                        break;
                }
                /* a failed read is shown by the timeout's diagnosis; keep polling */
                if ((rc = pause_ms(dm, POLL_MS)))
                        break;
        }
        clear_spinner(dm);
        if (dm->stop == STOP_TIMEOUT && programmed_ms)
                dm->stop = RUNNING; /* the certificate is extra: the summary shows its state */
        if (dm->stop == RUNNING)
                dm->waiting_for = NULL; /* else the diagnosis says what was awaited */
        *gw_out = gw;
        return dm->stop == RUNNING ? CC_OK : CC_CANCELED;
}

/* --- the summary ----------------------------------------------------------- */

static const char *
last_segment(const char *s)
{
        const char *slash = strrchr(s, '/');

        return slash ? slash + 1 : s;
}

static void
join_strings(const cJSON *arr, char *out, size_t size)
{
        const cJSON *x;
        size_t len = 0;

        out[0] = '\0';
        cJSON_ArrayForEach(x, arr)
        {
                if (cJSON_IsString(x) && len < size)
                        len += (size_t)snprintf(out + len, size - len, "%s%s", len ? ", " : "",
                                                x->valuestring);
        }
}

static void
summary_certificates(struct demo *dm)
{
        char path[256], domains[256];
        cJSON *list = NULL;
        const cJSON *c;
        struct cc_diag d = { 0 };

        snprintf(path, sizeof(path), "/v1/projects/%s/locations/global/certificates", dm->project);
        if (gcp_call(dm, "GET", path, NULL, &list, &d) != CC_OK) {
                say(dm, "  certificate   cannot list: %s\n", d.message);
                return;
        }
        if (!cJSON_GetArraySize(cJSON_GetObjectItem(list, "certificates")))
                say(dm, "  certificate   none in Certificate Manager\n");
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(list, "certificates"))
        {
                const char *state = "";

                cc_json_get_str_opt(c, "managed.state", &state, NULL);
                join_strings(cc_json_lookup(c, "managed.domains"), domains, sizeof(domains));
                say(dm, "  certificate   %s: %s (Google-managed, DNS authorization; %s)\n",
                    last_segment(str_at(c, "name")), state[0] ? state : "self-managed", domains);
        }
        cJSON_Delete(list);
}

static void
summary_dns(struct demo *dm)
{
        char path[256], data[512];
        cJSON *list = NULL;
        const cJSON *r;
        struct cc_diag d = { 0 };

        snprintf(path, sizeof(path), "/dns/v1/projects/%s/managedZones/%s/rrsets", dm->project,
                 dm->zone);
        if (gcp_call(dm, "GET", path, NULL, &list, &d) != CC_OK) {
                say(dm, "  DNS           cannot list: %s\n", d.message);
                return;
        }
        say(dm, "  DNS records   zone %s (%s), besides its NS and SOA:\n", dm->zone, dm->dns_name);
        cJSON_ArrayForEach(r, cJSON_GetObjectItem(list, "rrsets"))
        {
                const char *type = str_at(r, "type");

                if (!strcmp(type, "NS") || !strcmp(type, "SOA"))
                        continue;
                join_strings(cJSON_GetObjectItem(r, "rrdatas"), data, sizeof(data));
                say(dm, "                %s %s %d %s\n", str_at(r, "name"), type,
                    cJSON_GetObjectItem(r, "ttl") ? cJSON_GetObjectItem(r, "ttl")->valueint : 0,
                    data);
        }
        cJSON_Delete(list);
}

static const char *
cond_status(const cJSON *obj, const char *type)
{
        const cJSON *c;

        cJSON_ArrayForEach(c, cc_json_lookup(obj, "status.conditions"))
        {
                if (!strcmp(str_at(c, "type"), type))
                        return str_at(c, "status");
        }
        return "Unknown";
}

/* the NEG names and zones of a Service: neg-status if GKE wrote it, else the annotation */
static void
service_negs(const cJSON *svc, char *out, size_t size)
{
        const char *st = NULL, *want = NULL;
        cJSON *j = NULL;
        const cJSON *x;
        char zones[256] = "";
        size_t len = 0;

        out[0] = '\0';
        cc_json_get_str_opt(svc, "metadata.annotations[\"cloud.google.com/neg-status\"]", &st,
                            NULL);
        if (st && (j = cJSON_Parse(st))) {
                cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "network_endpoint_groups"))
                {
                        if (cJSON_IsString(x) && len < size)
                                len += (size_t)snprintf(out + len, size - len, "%sNEG %s",
                                                        len ? ", " : "", x->valuestring);
                }
                join_strings(cJSON_GetObjectItem(j, "zones"), zones, sizeof(zones));
                if (len < size)
                        snprintf(out + len, size - len, " in %s", zones);
        } else {
                cc_json_get_str_opt(svc, "metadata.annotations[\"cloud.google.com/neg\"]", &want,
                                    NULL);
                if (want && (j = cJSON_Parse(want)))
                        cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "exposed_ports"))
                        {
                                if (len < size)
                                        len += (size_t)snprintf(out + len, size - len,
                                                                "%sNEG %s (no neg-status yet)",
                                                                len ? ", " : "", str_at(x, "name"));
                        }
        }
        cJSON_Delete(j);
}

static void
summary_cluster(struct demo *dm, struct cluster *cl)
{
        static const char *const kinds[] = { "Deployment", "Service", "Gateway" };
        char line[512];
        struct cc_diag d = { 0 };
        size_t k, found = 0;

        say(dm, "  cluster %s  (context %s, %s)\n", cl->name, cl->context, cl->region);
        for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
                cJSON *list = NULL;
                const cJSON *o;

                if (kube_list(dm, cl, kinds[k], dm->gw_ns, MANAGED_LABEL, &list, &d) != CC_OK) {
                        say(dm, "    %-10s cannot list: %s\n", kinds[k], d.message);
                        continue;
                }
                cJSON_ArrayForEach(o, cJSON_GetObjectItem(list, "items"))
                {
                        const char *name = "";

                        cc_json_get_str_opt(o, "metadata.name", &name, NULL);
                        found++;
                        if (!strcmp(kinds[k], "Deployment")) {
                                int64_t want = 1, avail = 0;

                                cc_json_get_int_opt(o, "spec.replicas", 0, INT32_MAX, &want, NULL);
                                cc_json_get_int_opt(o, "status.availableReplicas", 0, INT32_MAX,
                                                    &avail, NULL);
                                snprintf(line, sizeof(line), "%lld/%lld available, Available=%s",
                                         (long long)avail, (long long)want,
                                         cond_status(o, "Available"));
                        } else if (!strcmp(kinds[k], "Service")) {
                                service_negs(o, line, sizeof(line));
                        } else {
                                snprintf(line, sizeof(line), "class %s, Programmed=%s",
                                         str_at(cJSON_GetObjectItem(o, "spec"), "gatewayClassName"),
                                         cond_status(o, "Programmed"));
                        }
                        say(dm, "    %-10s %s/%s  %s\n", kinds[k], dm->gw_ns, name, line);
                }
                cJSON_Delete(list);
        }
        if (!found)
                say(dm, "    no objects labelled %s in namespace %s\n", MANAGED_LABEL, dm->gw_ns);
}

/* names of one list answer's items under key ("items", "certificates", ...) */
static void
print_names(struct demo *dm, const char *kind, const cJSON *items, const char *zone, size_t *n)
{
        const cJSON *x;

        cJSON_ArrayForEach(x, items)
        {
                say(dm, "    %-34s %s%s%s%s\n", kind, last_segment(str_at(x, "name")),
                    zone ? " (" : "", zone ? zone : "", zone ? ")" : "");
                (*n)++;
        }
}

static void
summary_resources(struct demo *dm)
{
        static const char *const global[] = {
                "addresses",       "healthChecks",      "backendServices",
                "urlMaps",         "targetHttpProxies", "targetHttpsProxies",
                "forwardingRules", "sslCertificates",   "firewalls",
        };
        static const char *const certmgr[] = { "dnsAuthorizations", "certificates",
                                               "certificateMaps" };
        char path[512], kind[96];
        struct cc_diag d = { 0 };
        cJSON *list = NULL;
        const cJSON *x, *m;
        size_t i, n = 0;

        say(dm, "  cloud resources (project %s):\n", dm->project);
        for (i = 0; i < sizeof(global) / sizeof(global[0]); i++) {
                snprintf(path, sizeof(path), "/compute/v1/projects/%s/global/%s", dm->project,
                         global[i]);
                snprintf(kind, sizeof(kind), "compute %s", global[i]);
                if (gcp_call(dm, "GET", path, NULL, &list, &d) == CC_OK)
                        print_names(dm, kind, cJSON_GetObjectItem(list, "items"), NULL, &n);
                cJSON_Delete(list);
                list = NULL;
        }
        snprintf(path, sizeof(path), "/compute/v1/projects/%s/aggregated/networkEndpointGroups",
                 dm->project);
        if (gcp_call(dm, "GET", path, NULL, &list, &d) == CC_OK)
                cJSON_ArrayForEach(x, cJSON_GetObjectItem(list, "items"))
                {
                        print_names(dm, "compute networkEndpointGroups",
                                    cJSON_GetObjectItem(x, "networkEndpointGroups"),
                                    last_segment(x->string), &n);
                }
        cJSON_Delete(list);
        list = NULL;
        for (i = 0; i < sizeof(certmgr) / sizeof(certmgr[0]); i++) {
                snprintf(path, sizeof(path), "/v1/projects/%s/locations/global/%s", dm->project,
                         certmgr[i]);
                snprintf(kind, sizeof(kind), "certificatemanager %s", certmgr[i]);
                if (gcp_call(dm, "GET", path, NULL, &list, &d) == CC_OK)
                        print_names(dm, kind, cJSON_GetObjectItem(list, certmgr[i]), NULL, &n);
                if (!strcmp(certmgr[i], "certificateMaps"))
                        cJSON_ArrayForEach(m, cJSON_GetObjectItem(list, "certificateMaps"))
                        {
                                cJSON *entries = NULL;

                                snprintf(path, sizeof(path), "/v1/%s/certificateMapEntries",
                                         str_at(m, "name"));
                                if (gcp_call(dm, "GET", path, NULL, &entries, &d) == CC_OK)
                                        print_names(
                                            dm, "certificatemanager certificateMapEntries",
                                            cJSON_GetObjectItem(entries, "certificateMapEntries"),
                                            NULL, &n);
                                cJSON_Delete(entries);
                        }
                cJSON_Delete(list);
                list = NULL;
        }
        snprintf(path, sizeof(path), "/dns/v1/projects/%s/managedZones/%s/rrsets", dm->project,
                 dm->zone);
        if (gcp_call(dm, "GET", path, NULL, &list, &d) == CC_OK)
                cJSON_ArrayForEach(x, cJSON_GetObjectItem(list, "rrsets"))
                {
                        if (strcmp(str_at(x, "type"), "NS") && strcmp(str_at(x, "type"), "SOA")) {
                                say(dm, "    %-34s %s %s\n", "dns resourceRecordSets",
                                    str_at(x, "name"), str_at(x, "type"));
                                n++;
                        }
                }
        cJSON_Delete(list);
        say(dm, "    (%zu resources)\n", n);
}

/* the API counters of mock-gcp: {"compute": {"read": n, "mutating": n}, ..., "total": ...} */
static void
summary_calls(struct demo *dm, const cJSON *before, const cJSON *after, double secs)
{
        char per[512] = "";
        const cJSON *a;
        size_t len = 0;
        long total = 0, reads = 0, muts = 0;

        cJSON_ArrayForEach(a, after)
        {
                const cJSON *b = cJSON_GetObjectItem(before, a->string);
                long r = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(a, "read")) -
                         (b ? (long)cJSON_GetNumberValue(cJSON_GetObjectItem(b, "read")) : 0);
                long m = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(a, "mutating")) -
                         (b ? (long)cJSON_GetNumberValue(cJSON_GetObjectItem(b, "mutating")) : 0);

                if (!strcmp(a->string, "total")) {
                        reads = r;
                        muts = m;
                        total = r + m;
                } else if (r + m > 0 && len < sizeof(per)) {
                        len += (size_t)snprintf(per + len, sizeof(per) - len, "%s%s %ld",
                                                len ? ", " : "", a->string, r + m);
                }
        }
        say(dm,
            "  API calls     %ld to mock-gcp while the controller worked (%.1f s): %ld reads, "
            "%ld mutating (%s); GKE's NEG controller's included\n",
            total, secs, reads, muts, per);
}

static void
print_summary(struct demo *dm, const cJSON *gw, const cJSON *before, const cJSON *after,
              double secs)
{
        const cJSON *a;
        size_t i;

        say(dm, "\nSummary\n");
        cJSON_ArrayForEach(a, cc_json_lookup(gw, "status.addresses"))
        {
                say(dm, "  address       %s (anycast %s, Gateway status.addresses)\n",
                    str_at(a, "value"), str_at(a, "type"));
        }
        summary_certificates(dm);
        summary_dns(dm);
        for (i = 0; i < dm->ncl; i++)
                summary_cluster(dm, &dm->cl[i]);
        summary_resources(dm);
        summary_calls(dm, before, after, secs);
}

static void
print_explore(struct demo *dm)
{
        size_t i;

        say(dm,
            "\nEverything keeps running.  Explore it from another shell:\n"
            "  source %s/env.sh        # KUBECONFIG and the gcloud settings below\n"
            "  export KUBECONFIG=%s/kubeconfig\n",
            dm->tmp, dm->tmp);
        say(dm, "  kubectl --context %s get gateway,httproute -n %s\n", dm->cl[0].context,
            dm->gw_ns);
        say(dm, "  kubectl --context %s describe gateway %s -n %s\n", dm->cl[0].context,
            dm->gw_name, dm->gw_ns);
        say(dm, "  kubectl --context %s get events -n %s\n", dm->cl[0].context, dm->gw_ns);
        for (i = 0; i < dm->ncl; i++)
                say(dm, "  kubectl --context %s get deployment,service,gateway -n %s -l %s\n",
                    dm->cl[i].context, dm->gw_ns, MANAGED_LABEL);
        say(dm,
            "gcloud (what env.sh sets; or `gcloud config set api_endpoint_overrides/...`):\n"
            "  export CLOUDSDK_CONFIG=%s/gcloud CLOUDSDK_CORE_PROJECT=%s\n"
            "  export CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE=%s/compute/v1/\n"
            "  export CLOUDSDK_API_ENDPOINT_OVERRIDES_DNS=%s/dns/v1/\n"
            "  export CLOUDSDK_API_ENDPOINT_OVERRIDES_CERTIFICATEMANAGER=%s/\n"
            "  export CLOUDSDK_AUTH_DISABLE_CREDENTIALS=true\n"
            "  gcloud compute forwarding-rules list\n"
            "  gcloud compute backend-services describe --global $(gcloud compute "
            "backend-services list --format='value(name)' | head -1)\n"
            "  gcloud certificate-manager certificates list\n"
            "  gcloud dns record-sets list --zone %s\n"
            "  curl -s %s/_mock/counters    # mock-gcp's API call counters\n"
            "controller log: tail -f %s/controller.log\n"
            "Press Ctrl-C to stop everything and remove %s\n",
            dm->tmp, dm->project, dm->gcp_url, dm->gcp_url, dm->gcp_url, dm->zone, dm->gcp_url,
            dm->tmp, dm->tmp);
}

/* --- failure reports ------------------------------------------------------- */

static void
diagnose(struct demo *dm, const char *what, bool have_gw)
{
        char log[PATH_MAX];
        cJSON *gw = NULL;
        struct cc_diag d = { 0 };
        enum stop_reason why = dm->stop;

        clear_spinner(dm);
        if (why == STOP_TIMEOUT)
                fprintf(stderr, "cloudctl demo: timed out after %ld s waiting for %s\n",
                        dm->timeout_s, what ? what : "the demo");
        else if (why == STOP_DIED)
                fprintf(stderr, "cloudctl demo: %s %s while waiting for %s\n", dm->died->name,
                        dm->died->desc, what ? what : "the demo");
        if (have_gw) {
                /* one more read, past the deadline */
                dm->stop = RUNNING;
                dm->deadline_ms = 0;
                if (kube_get(dm, &dm->cl[0], "Gateway", dm->gw_ns, dm->gw_name, &gw, &d) == CC_OK) {
                        say(dm, "Gateway %s/%s conditions:\n", dm->gw_ns, dm->gw_name);
                        print_conditions(dm, gw);
                } else {
                        say(dm, "Gateway %s/%s: cannot read: %s\n", dm->gw_ns, dm->gw_name,
                            d.message);
                }
                cJSON_Delete(gw);
                dm->stop = why;
        }
        if (dm->ctl.pid > 0 || dm->ctl.ended) {
                say(dm, "controller log (last %u lines of %s):\n", LOG_TAIL,
                    tmp_path(dm, "controller.log", log, sizeof(log)));
                cc_proc_tail(log, LOG_TAIL, "  | ", stdout);
        } else if (why == STOP_DIED) {
                char file[64];

                snprintf(file, sizeof(file), "%s.log", dm->died->name);
                say(dm, "%s log:\n", dm->died->name);
                cc_proc_tail(tmp_path(dm, file, log, sizeof(log)), LOG_TAIL, "  | ", stdout);
        }
}

/* --- the command ----------------------------------------------------------- */

static const char demo_usage[] =
    "usage: cloudctl demo [--keep] [--timeout SECONDS] [--mocks-dir DIR]\n"
    "\n"
    "Run the whole system on this machine, against local stand-ins for Google Cloud\n"
    "and Kubernetes, and show what cloudctl does:\n"
    "\n"
    "  1. start mock-gcp (Compute, Certificate Manager, Cloud DNS) and mock-kube with\n"
    "     two clusters (HTTPS + token; GKE's NEG controller emulated), each on a free\n"
    "     loopback port, in a private temp dir under $TMPDIR (default /tmp);\n"
    "  2. create the Cloud DNS zone demo.example.com., write a kubeconfig with the\n"
    "     contexts demo-east (also holds the Gateway) and demo-west, and the cloudctl\n"
    "     config (fleet 'demo', clusters east/us-east1 and west/europe-west1);\n"
    "  3. apply the built-in fixtures/demo/gateway.yaml to demo-east: namespace demo,\n"
    "     the istio+gke Gateway 'web' (HTTPS for www.demo.example.com, HTTP on 80) and\n"
    "     the HTTPRoute 'web' to the Service 'frontend';\n"
    "  4. run the controller (`cloudctl run`, its log in the temp dir) and print each\n"
    "     Gateway condition change with the time since the controller started, until\n"
    "     Programmed=True, then (at most 20 s more) until the managed certificate is\n"
    "     ACTIVE (cloudctl.dev/CertificatesReady=True);\n"
    "  5. print a summary read from the APIs: the anycast address, the certificate,\n"
    "     the DNS records, per cluster the gateway objects and their NEGs, the cloud\n"
    "     resources by kind, and the API calls mock-gcp served;\n"
    "  6. stop everything and remove the temp dir (or, with --keep, leave it running\n"
    "     and print how to explore it with kubectl and gcloud).\n"
    "\n"
    "mock-gcp and mock-kube are looked for next to this program (build/bin/) unless\n"
    "--mocks-dir is given.  Nothing outside the temp dir and 127.0.0.1 is touched.\n"
    "\n"
    "options:\n"
    "  --keep               after the summary, keep everything running until SIGINT\n"
    "                       (Ctrl-C) or SIGTERM\n"
    "  --timeout SECONDS    give up when the Gateway is not Programmed SECONDS after\n"
    "                       the demo started (default 120): print its conditions and\n"
    "                       the controller log's last lines, exit 1\n"
    "  --mocks-dir DIR      where mock-gcp and mock-kube are\n"
    "  -h, --help           this help\n"
    "\n"
    "Ctrl-C (SIGINT) or SIGTERM at any moment stops the controller and the mocks\n"
    "(SIGTERM, then SIGKILL after 5 s) and removes the temp dir.\n"
    "\n"
    "exit codes: 0 the Gateway was programmed and everything stopped cleanly,\n"
    "1 failure or timeout, 2 usage error, 130 stopped by SIGINT, 143 by SIGTERM\n"
    "(with --keep a signal is the normal end, so 130 or 143 there too)\n";

static int
parse_args(struct demo *dm, int argc, char **argv)
{
        int i;

        dm->timeout_s = DEFAULT_TIMEOUT;
        for (i = 1; i < argc; i++) {
                const char *a = argv[i], *val = NULL;

                if (!strcmp(a, "--keep")) {
                        dm->keep = true;
                        continue;
                }
                if (!strncmp(a, "--timeout=", 10))
                        val = a + 10;
                else if (!strncmp(a, "--mocks-dir=", 12))
                        val = a + 12;
                else if (!strcmp(a, "--timeout") || !strcmp(a, "--mocks-dir")) {
                        if (i + 1 >= argc)
                                return cc_cli_usage_error("demo", "%s needs a value", a);
                        val = argv[++i];
                } else {
                        return cc_cli_usage_error("demo", "unexpected argument '%s'", a);
                }
                if (!strncmp(a, "--timeout", 9)) {
                        char *end = NULL;
                        long v;

                        errno = 0;
                        v = strtol(val, &end, 10);
                        if (errno || end == val || *end || v < 1 || v > 86400)
                                return cc_cli_usage_error(
                                    "demo", "--timeout needs whole seconds 1..86400, got '%s'",
                                    val);
                        dm->timeout_s = v;
                } else {
                        dm->mocks_dir = val;
                }
        }
        return CC_EXIT_OK;
}

static cc_err
loop_up(struct demo *dm, struct cc_diag *d)
{
        static const int sigs[2] = { SIGINT, SIGTERM };
        cc_err rc;
        int i;

        if ((rc = cc_loop_init(&dm->loop, d)))
                return rc;
        dm->loop_ok = true;
        if ((rc = cc_http_init(&dm->http, &dm->loop, NULL, d)))
                return rc;
        dm->http_ok = true;
        for (i = 0; i < 2; i++) {
                uv_signal_init(&dm->loop.uv, &dm->sig[i]);
                dm->sig[i].data = dm;
                uv_signal_start(&dm->sig[i], on_signal, sigs[i]);
        }
        dm->sig_ok = true;
        if ((rc = cc_timer_start(&dm->loop, TICK_MS, TICK_MS, on_tick, dm, &dm->tick)))
                return cc_diag_set(d, rc, 0, "out of memory");
        dm->deadline_ms = cc_loop_now_ms(&dm->loop) + (uint64_t)dm->timeout_s * 1000;
        return CC_OK;
}

static void
tear_down(struct demo *dm)
{
        struct cc_proc *ps[] = { &dm->ctl, &dm->kube, &dm->gcp };
        struct cc_diag d = { 0 };
        size_t i;

        /* our own connections go first (a mock waits for open connections when it stops) */
        for (i = 0; i < dm->ncl; i++) {
                cc_kube_client_free(dm->cl[i].kube);
                dm->cl[i].kube = NULL;
                if (dm->cl[i].kcfg_ok)
                        cc_kube_config_release(&dm->cl[i].kcfg);
        }
        cc_timer_cancel(dm->tick);
        dm->tick = NULL;
        if (dm->sig_ok) {
                uv_close((uv_handle_t *)&dm->sig[0], NULL);
                uv_close((uv_handle_t *)&dm->sig[1], NULL);
        }
        if (dm->http_ok)
                cc_http_release(&dm->http);
        if (dm->loop_ok)
                cc_loop_release(&dm->loop);
        /* the stop is bounded (two grace periods) and must not be cut short by a
         * second Ctrl-C: that would leave the temp dir behind */
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        /* the controller first: it may still be talking to the mocks */
        cc_proc_stop(ps, 1, GRACE_MS);
        cc_proc_stop(ps + 1, 2, GRACE_MS);
        if (dm->tmp[0] && cc_proc_rmtree(dm->tmp, &d) != CC_OK)
                fprintf(stderr, "cloudctl demo: %s\n", d.message);
        cJSON_Delete(dm->config);
        cJSON_Delete(dm->manifests);
}

static cc_err
counters(struct demo *dm, cJSON **out, struct cc_diag *d)
{
        return gcp_call(dm, "GET", "/_mock/counters", NULL, out, d);
}

static int
run_demo(int argc, char **argv)
{
        struct demo *dm = cc_calloc(1, sizeof(*dm));
        struct cc_diag d = { 0 };
        cJSON *gw = NULL, *before = NULL, *after = NULL;
        bool have_gw = false;
        double secs = 0;
        int code;
        cc_err rc;

        if (!dm) {
                fputs("cloudctl demo: out of memory\n", stderr);
                return CC_EXIT_FAIL;
        }
        if ((code = parse_args(dm, argc, argv)) != CC_EXIT_OK)
                goto out;
        code = CC_EXIT_FAIL;
        dm->tty = isatty(STDOUT_FILENO) == 1;
        if ((rc = find_programs(dm, &d)) || (rc = load_fixtures(dm, &d)) ||
            (rc = loop_up(dm, &d)) || (rc = make_tmp(dm, &d)))
                goto fail;
        say(dm,
            "cloudctl demo: an istio+gke Gateway on %zu local clusters behind a mock Google "
            "Cloud load balancer\n  work dir      %s\n",
            dm->ncl, dm->tmp);
        if ((rc = start_mocks(dm, &d)) || (rc = create_zone(dm, &d)) ||
            (rc = write_kubeconfig(dm, &d)) || (rc = write_env(dm, &d)) ||
            (rc = connect_clusters(dm, &d)))
                goto fail;
        have_gw = true; /* from here on the diagnosis reads the Gateway */
        if ((rc = apply_manifests(dm, &d)) || (rc = write_config(dm, &d)) ||
            (rc = counters(dm, &before, &d)) || (rc = start_controller(dm, &d)))
                goto fail;
        if ((rc = follow_gateway(dm, &gw, &d)))
                goto fail;
        secs = elapsed_s(dm);
        say(dm, "Programmed %.1f s after the controller started.\n", dm->programmed_s);
        if ((rc = counters(dm, &after, &d)))
                goto fail;
        print_summary(dm, gw, before, after, secs);
        if (dm->stop != RUNNING)
                goto fail;
        if (dm->keep) {
                bool never = false;

                print_explore(dm);
                dm->deadline_ms = 0; /* --keep runs until a signal */
                spin_until(dm, &never);
                goto fail;
        }
        say(dm, "\nStopping the controller and the mocks (run with --keep to explore).\n");
        code = CC_EXIT_OK;
        goto out;
fail:
        if (dm->stop == STOP_SIGNAL) {
                clear_spinner(dm);
                say(dm, "\ncloudctl demo: %s: stopping everything\n",
                    dm->signo == SIGTERM ? "terminated" : "interrupted");
                code = 128 + dm->signo;
        } else if (dm->stop == STOP_TIMEOUT || dm->stop == STOP_DIED) {
                diagnose(dm, dm->waiting_for, have_gw);
        } else {
                clear_spinner(dm);
                fprintf(stderr, "cloudctl demo: %s\n", d.message);
                if (have_gw)
                        diagnose(dm, NULL, have_gw);
        }
out:
        cJSON_Delete(gw);
        cJSON_Delete(before);
        cJSON_Delete(after);
        tear_down(dm);
        cc_free(dm);
        return code;
}

const struct cc_cmd cc_cmd_demo = {
        .name = "demo",
        .summary = "run everything locally against the mocks and show what cloudctl does",
        .usage = demo_usage,
        .run = run_demo,
};
