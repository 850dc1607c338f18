/* test_kube_http.c -- mock-kube over HTTP: auth (token, client certificates),
 * routing, Status errors, the admin faults (conflicts, dropped watches,
 * compaction), the GKE NEG controller against a fake Compute API that
 * records its calls (hand-made slices, and the slices of a Deployment with
 * a pod hold), and namespace and owner deletion finished by the
 * controllers' worker thread. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "lib/testlib.h"
#include "lib/testsrv.h"
#include "mocks/kube/kube.h"

struct fixture {
        struct kube k;
        struct cc_mocksrv *srv;
};

/* start_opts -- a cluster served with base's TLS options (NULL = plain) */
static struct fixture *
start_opts(const char *token, const struct cc_mocksrv_opts *base)
{
        struct fixture *f = cc_calloc(1, sizeof(*f));
        struct kube_config cfg;
        struct cc_mocksrv_opts o;
        struct cc_mock_app app = kube_app_template;
        struct cc_diag d;

        memset(&cfg, 0, sizeof(cfg));
        memset(&o, 0, sizeof(o));
        if (base)
                o = *base;
        cfg.client_certs = o.client_ca != NULL;
        cfg.crd_defaults = true;
        cfg.window = 50;
        if (token)
                snprintf(cfg.token, sizeof(cfg.token), "%s", token);
        o.max_body = 64 * 1024;
        assert_true(kube_init(&f->k, &cfg));
        app.ud = &f->k;
        assert_int_equal(cc_mocksrv_start(&o, &app, &f->srv, &d), CC_OK);
        f->k.srv = f->srv;
        assert_true(kube_gc_start(&f->k, cc_mocksrv_mutex(f->srv)));
        return f;
}

static struct fixture *
start(const char *token)
{
        return start_opts(token, NULL);
}

static void
stop(struct fixture *f)
{
        kube_gc_stop(&f->k);
        kube_gke_stop(&f->k);
        cc_mocksrv_stop(f->srv);
        kube_release(&f->k);
        cc_free(f);
}

static size_t
collect(char *p, size_t size, size_t n, void *ud)
{
        return cc_buf_append(ud, p, size * n) ? 0 : size * n;
}

/* one request; returns the status, body into out (caller releases) */
static long
req(struct fixture *f, const char *method, const char *path, const char *ctype, const char *body,
    const char *auth, struct cc_buf *out)
{
        CURL *c = curl_easy_init();
        struct curl_slist *h = NULL;
        char url[1024], hdr[300];
        long code = 0;

        cc_buf_init(out, 0);
        snprintf(url, sizeof(url), "%s%s", cc_mocksrv_url(f->srv), path);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        if (body)
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        if (ctype) {
                snprintf(hdr, sizeof(hdr), "Content-Type: %s", ctype);
                h = curl_slist_append(h, hdr);
        }
        if (auth) {
                snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", auth);
                h = curl_slist_append(h, hdr);
        }
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
        if (curl_easy_perform(c) == CURLE_OK)
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        return code;
}

static long
call(struct fixture *f, const char *method, const char *path, const char *body, char *reason,
     size_t rn)
{
        struct cc_buf b;
        long code = req(f, method, path, body ? "application/json" : NULL, body, NULL, &b);
        cJSON *j = cJSON_Parse(cc_buf_str(&b));

        if (reason)
                snprintf(reason, rn, "%s",
                         kube_str(j, "reason", NULL) ? kube_str(j, "reason", NULL) : "");
        cJSON_Delete(j);
        cc_buf_release(&b);
        return code;
}

/* --- client certificates -------------------------------------------------- */

struct tls_files {
        char *ca_cert, *ca_key;       /* the client CA */
        char *srv_cert, *srv_key;     /* the server's (self-signed) */
        char *alice_cert, *alice_key; /* issued by the client CA */
        char *rogue_cert, *rogue_key; /* issued by another CA */
        char srv_cert_path[512], srv_key_path[512], ca_path[512];
};

static void
write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        assert_true(fputs(text, f) >= 0);
        assert_int_equal(fclose(f), 0);
}

static void
tls_files_make(struct tls_files *t)
{
        char *other_cert = NULL, *other_key = NULL;

        memset(t, 0, sizeof(*t));
        assert_true(cc_testsrv_tls_selfsigned(&t->ca_cert, &t->ca_key));
        assert_true(cc_testsrv_tls_selfsigned(&t->srv_cert, &t->srv_key));
        assert_true(cc_testsrv_tls_selfsigned(&other_cert, &other_key));
        assert_true(cc_testsrv_tls_issue(t->ca_cert, t->ca_key, "alice", "system:masters",
                                         &t->alice_cert, &t->alice_key));
        assert_true(cc_testsrv_tls_issue(other_cert, other_key, "mallory", NULL, &t->rogue_cert,
                                         &t->rogue_key));
        cc_free(other_cert);
        cc_free(other_key);
        snprintf(t->srv_cert_path, sizeof(t->srv_cert_path), "%s/srv.pem", cc_test_tmpdir());
        snprintf(t->srv_key_path, sizeof(t->srv_key_path), "%s/srv.key", cc_test_tmpdir());
        snprintf(t->ca_path, sizeof(t->ca_path), "%s/client-ca.pem", cc_test_tmpdir());
        write_file(t->srv_cert_path, t->srv_cert);
        write_file(t->srv_key_path, t->srv_key);
        write_file(t->ca_path, t->ca_cert);
}

static void
tls_files_release(struct tls_files *t)
{
        cc_free(t->ca_cert);
        cc_free(t->ca_key);
        cc_free(t->srv_cert);
        cc_free(t->srv_key);
        cc_free(t->alice_cert);
        cc_free(t->alice_key);
        cc_free(t->rogue_cert);
        cc_free(t->rogue_key);
}

/* GET path over https, with an optional client certificate and token; the
 * status, or 0 when no HTTP answer came back */
static long
get_tls(struct fixture *f, const struct tls_files *t, const char *path, const char *cert,
        const char *key, const char *token, struct cc_buf *out)
{
        CURL *c = curl_easy_init();
        struct curl_slist *h = NULL;
        struct curl_blob ca = { t->srv_cert, strlen(t->srv_cert), CURL_BLOB_COPY };
        struct curl_blob cb, kb;
        char url[1024], hdr[300];
        long code = 0;

        cc_buf_init(out, 0);
        snprintf(url, sizeof(url), "%s%s", cc_mocksrv_url(f->srv), path);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
        if (cert) {
                cb = (struct curl_blob){ (void *)cert, strlen(cert), CURL_BLOB_COPY };
                kb = (struct curl_blob){ (void *)key, strlen(key), CURL_BLOB_COPY };
                curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cb);
                curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
                curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &kb);
                curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
        }
        if (token) {
                snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", token);
                h = curl_slist_append(h, hdr);
                curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        }
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
        if (curl_easy_perform(c) == CURLE_OK)
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        return code;
}

static long
get_status(struct fixture *f, const struct tls_files *t, const char *path, const char *cert,
           const char *key, const char *token)
{
        struct cc_buf b;
        long code = get_tls(f, t, path, cert, key, token, &b);

        cc_buf_release(&b);
        return code;
}

/* the clientSubject the request log holds for the last request to path, or "" */
static void
logged_subject(struct fixture *f, const struct tls_files *t, const char *path, char *out,
               size_t size)
{
        struct cc_buf b;
        cJSON *log, *e;
        const cJSON *last = NULL;

        assert_int_equal(get_tls(f, t, "/_mock/requests", NULL, NULL, NULL, &b), 200);
        log = cJSON_Parse(cc_buf_str(&b));
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(log, "requests"))
        {
                const char *p = kube_str(e, "path", NULL);

                if (p && !strcmp(p, path))
                        last = e;
        }
        assert_non_null(last);
        snprintf(out, size, "%s",
                 kube_str(last, "clientSubject", NULL) ? kube_str(last, "clientSubject", NULL)
                                                       : "");
        cJSON_Delete(log);
        cc_buf_release(&b);
}

static void
test_client_certificates(void **state)
{
        struct tls_files t;
        struct cc_mocksrv_opts o;
        struct cc_mocksrv *srv = NULL;
        struct fixture *f;
        struct cc_diag d;
        char subject[256];

        (void)state;
        tls_files_make(&t);
        memset(&o, 0, sizeof(o));
        o.tls_cert = t.srv_cert_path;
        o.tls_key = t.srv_key_path;
        o.client_ca = t.ca_path;

        /* token and client certificates: either one authenticates */
        f = start_opts("sekret", &o);
        assert_int_equal(get_status(f, &t, "/version", t.alice_cert, t.alice_key, NULL), 200);
        logged_subject(f, &t, "/version", subject, sizeof(subject));
        assert_string_equal(subject, "CN=alice,O=system:masters");
        assert_int_equal(get_status(f, &t, "/api", NULL, NULL, NULL), 401);
        assert_int_equal(get_status(f, &t, "/api", NULL, NULL, "sekret"), 200);
        logged_subject(f, &t, "/api", subject, sizeof(subject));
        assert_string_equal(subject, "");
        /* a certificate from another CA authenticates nobody; the token still does */
        assert_int_equal(get_status(f, &t, "/apis", t.rogue_cert, t.rogue_key, NULL), 401);
        logged_subject(f, &t, "/apis", subject, sizeof(subject));
        assert_string_equal(subject, "");
        assert_int_equal(get_status(f, &t, "/apis", t.rogue_cert, t.rogue_key, "sekret"), 200);
        assert_int_equal(get_status(f, &t, "/apis", t.alice_cert, t.alice_key, "wrong"), 200);
        stop(f);

        /* client certificates only: no anonymous access */
        f = start_opts(NULL, &o);
        assert_int_equal(get_status(f, &t, "/version", NULL, NULL, NULL), 401);
        assert_int_equal(get_status(f, &t, "/version", t.rogue_cert, t.rogue_key, NULL), 401);
        assert_int_equal(get_status(f, &t, "/version", t.alice_cert, t.alice_key, NULL), 200);
        stop(f);

        /* without client_ca a certificate is neither asked for nor seen */
        o.client_ca = NULL;
        f = start_opts("sekret", &o);
        assert_int_equal(get_status(f, &t, "/version", t.alice_cert, t.alice_key, NULL), 401);
        logged_subject(f, &t, "/version", subject, sizeof(subject));
        assert_string_equal(subject, "");
        stop(f);

        /* client_ca needs TLS; an unreadable CA file is an error */
        memset(&o, 0, sizeof(o));
        o.client_ca = t.ca_path;
        assert_int_equal(cc_mocksrv_start(&o, &kube_app_template, &srv, &d), CC_INVAL);
        o.tls_cert = t.srv_cert_path;
        o.tls_key = t.srv_key_path;
        o.client_ca = "/nonexistent/ca.pem";
        assert_int_equal(cc_mocksrv_start(&o, &kube_app_template, &srv, &d), CC_IO);
        assert_null(srv);
        tls_files_release(&t);
}

static void
test_auth_routing_errors(void **state)
{
        struct fixture *f = start("sekret");
        struct cc_buf b;
        char big[70 * 1024];

        (void)state;
        assert_int_equal(req(f, "GET", "/version", NULL, NULL, NULL, &b), 401);
        assert_non_null(strstr(cc_buf_str(&b), "\"reason\":\"Unauthorized\""));
        cc_buf_release(&b);
        assert_int_equal(req(f, "GET", "/version", NULL, NULL, "wrong", &b), 401);
        cc_buf_release(&b);
        assert_int_equal(req(f, "GET", "/version", NULL, NULL, "sekret", &b), 200);
        assert_non_null(strstr(cc_buf_str(&b), "\"minor\":\"32\""));
        cc_buf_release(&b);
        /* unknown kind, cluster-scoped kind under a namespace, bad subresource */
        assert_int_equal(req(f, "GET", "/apis/example.com/v1/widgets", NULL, NULL, "sekret", &b),
                         404);
        assert_non_null(strstr(cc_buf_str(&b), "the server could not find the requested resource"));
        cc_buf_release(&b);
        assert_int_equal(
            req(f, "GET", "/api/v1/namespaces/default/namespaces", NULL, NULL, "sekret", &b), 404);
        cc_buf_release(&b);
        assert_int_equal(req(f, "GET", "/api/v1/namespaces/default/configmaps/x/status", NULL, NULL,
                             "sekret", &b),
                         404);
        cc_buf_release(&b);
        /* malformed JSON, protobuf bodies, POST on an item, huge bodies */
        assert_int_equal(req(f, "POST", "/api/v1/namespaces/default/configmaps", "application/json",
                             "{\"metadata\":", "sekret", &b),
                         400);
        cc_buf_release(&b);
        assert_int_equal(req(f, "POST", "/api/v1/namespaces/default/configmaps",
                             "application/vnd.kubernetes.protobuf", "k8s\0", "sekret", &b),
                         415);
        cc_buf_release(&b);
        assert_int_equal(req(f, "POST", "/api/v1/namespaces/default/configmaps/x",
                             "application/json", "{}", "sekret", &b),
                         405);
        cc_buf_release(&b);
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        assert_int_equal(req(f, "POST", "/api/v1/namespaces/default/configmaps", "application/json",
                             big, "sekret", &b),
                         413);
        assert_non_null(strstr(cc_buf_str(&b), "\"kind\":\"Status\""));
        cc_buf_release(&b);
        /* discovery: aggregated by Accept, legacy otherwise; OpenAPI v3 */
        assert_int_equal(
            req(f, "GET", "/apis/gateway.networking.k8s.io/v1", NULL, NULL, "sekret", &b), 200);
        assert_non_null(strstr(cc_buf_str(&b), "\"name\":\"gateways/status\""));
        cc_buf_release(&b);
        assert_int_equal(req(f, "GET", "/openapi/v3/apis/gateway.networking.k8s.io/v1", NULL, NULL,
                             "sekret", &b),
                         200);
        assert_non_null(
            strstr(cc_buf_str(&b),
                   "/apis/gateway.networking.k8s.io/v1/namespaces/{namespace}/gateways/{name}"));
        assert_non_null(strstr(cc_buf_str(&b), "fieldValidation"));
        cc_buf_release(&b);
        /* server-side apply with a YAML body, and a malformed one */
        assert_int_equal(req(f, "PATCH", "/api/v1/namespaces/default/configmaps/cm?fieldManager=t",
                             "application/apply-patch+yaml",
                             "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"
                             "  namespace: default\ndata:\n  a: \"1\"\n",
                             "sekret", &b),
                         201);
        assert_non_null(strstr(cc_buf_str(&b), "\"data\":{\"a\":\"1\"}"));
        cc_buf_release(&b);
        assert_int_equal(req(f, "PATCH", "/api/v1/namespaces/default/configmaps/cm?fieldManager=t",
                             "application/apply-patch+yaml", "a: [", "sekret", &b),
                         400);
        assert_non_null(strstr(cc_buf_str(&b), "error decoding YAML: yaml: line"));
        cc_buf_release(&b);
        stop(f);
}

static void
test_admin_faults(void **state)
{
        struct fixture *f = start(NULL);
        char reason[64];
        struct cc_buf b;

        (void)state;
        assert_int_equal(call(f, "POST", "/api/v1/namespaces/default/configmaps",
                              "{\"metadata\":{\"name\":\"c\"}}", NULL, 0),
                         201);
        /* the next 2 matching writes get 409 Conflict, then it passes */
        assert_int_equal(
            call(f, "POST", "/_mock/conflicts",
                 "{\"method\":\"PATCH\",\"path\":\"/api/v1/namespaces/*/configmaps/*\","
                 "\"times\":2}",
                 NULL, 0),
            200);
        assert_int_equal(req(f, "PATCH", "/api/v1/namespaces/default/configmaps/c",
                             "application/merge-patch+json", "{\"data\":{\"a\":\"1\"}}", NULL, &b),
                         409);
        assert_non_null(strstr(cc_buf_str(&b), "Operation cannot be fulfilled on configmaps "
                                               "\\\"c\\\""));
        cc_buf_release(&b);
        assert_int_equal(req(f, "PATCH", "/api/v1/namespaces/default/configmaps/c",
                             "application/merge-patch+json", "{\"data\":{\"a\":\"1\"}}", NULL, &b),
                         409);
        cc_buf_release(&b);
        assert_int_equal(req(f, "PATCH", "/api/v1/namespaces/default/configmaps/c",
                             "application/merge-patch+json", "{\"data\":{\"a\":\"1\"}}", NULL, &b),
                         200);
        cc_buf_release(&b);
        /* GET is not a write: unaffected */
        assert_int_equal(call(f, "POST", "/_mock/conflicts",
                              "{\"path\":\"/api/v1/namespaces/*/configmaps/*\"}", NULL, 0),
                         200);
        assert_int_equal(call(f, "GET", "/api/v1/namespaces/default/configmaps/c", NULL, NULL, 0),
                         200);
        assert_int_equal(call(f, "DELETE", "/_mock/conflicts", NULL, NULL, 0), 200);
        /* generic fault rules answer with a Status in the apiserver's shape */
        assert_int_equal(call(f, "POST", "/_mock/faults",
                              "{\"path\":\"/api/v1/namespaces/default/configmaps\",\"status\":429,"
                              "\"times\":1}",
                              NULL, 0),
                         200);
        assert_int_equal(
            call(f, "GET", "/api/v1/namespaces/default/configmaps", NULL, reason, sizeof(reason)),
            429);
        assert_string_equal(reason, "TooManyRequests");
        /* compact: a watch from an old RV gets an ERROR 410 event and the stream ends */
        assert_int_equal(call(f, "POST", "/_mock/compact", NULL, NULL, 0), 200);
        assert_int_equal(req(f, "GET",
                             "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=101",
                             NULL, NULL, NULL, &b),
                         200);
        assert_non_null(strstr(cc_buf_str(&b), "\"type\":\"ERROR\""));
        assert_non_null(strstr(cc_buf_str(&b), "\"code\":410"));
        cc_buf_release(&b);
        /* drop-watches: a future watch is closed abruptly; the count is reported */
        assert_int_equal(call(f, "POST", "/_mock/drop-watches",
                              "{\"path\":\"/api/v1/namespaces/*/configmaps\",\"count\":0,"
                              "\"future\":1}",
                              NULL, 0),
                         200);
        req(f, "GET", "/api/v1/namespaces/default/configmaps?watch=1", NULL, NULL, NULL, &b);
        assert_null(strstr(cc_buf_str(&b), "ADDED"));
        cc_buf_release(&b);
        /* timeoutSeconds ends a watch cleanly after the initial events */
        assert_int_equal(req(f, "GET",
                             "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1",
                             NULL, NULL, NULL, &b),
                         200);
        assert_non_null(strstr(cc_buf_str(&b), "\"type\":\"ADDED\""));
        cc_buf_release(&b);
        assert_int_equal(call(f, "GET", "/_mock/watches", NULL, NULL, 0), 200);
        assert_int_equal(call(f, "GET", "/_mock/nope", NULL, NULL, 0), 404);
        stop(f);
}

/* --- GKE NEG emulation against a recording fake ---------------------------- */

struct fake_gcp {
        struct cc_buf log; /* "POST path body\n" per call */
        int calls;
};

static void
fake_handle(void *ud, struct cc_mocksrv *srv, const struct cc_mock_req *r,
            struct cc_mock_resp *resp)
{
        struct fake_gcp *g = ud;

        (void)srv;
        g->calls++;
        cc_buf_printf(&g->log, "%s %s %s\n", r->method, r->path, r->body);
        cc_mock_resp_text(resp, 200, "application/json", "{\"kind\":\"compute#operation\"}");
}

static bool
wait_for(struct fixture *f, struct fake_gcp *g, const char *needle)
{
        int i;
        bool found = false;

        for (i = 0; i < 100 && !found; i++) {
                struct timespec ts = { 0, 50 * 1000000L };

                pthread_mutex_lock(cc_mocksrv_mutex(f->srv));
                found = strstr(cc_buf_str(&g->log), needle) != NULL;
                pthread_mutex_unlock(cc_mocksrv_mutex(f->srv));
                if (!found)
                        nanosleep(&ts, NULL);
        }
        return found;
}

static void
test_gke_neg(void **state)
{
        struct fake_gcp g;
        struct cc_mock_app app = { .ud = &g, .handle = fake_handle };
        struct cc_mocksrv_opts o;
        struct cc_mocksrv *gsrv = NULL;
        struct cc_diag d;
        struct fixture *f = start(NULL);
        struct cc_buf b;
        const char *zones[] = { "zone-a", "zone-b" };
        int i, before;
        bool status_ok = false;

        (void)state;
        memset(&g, 0, sizeof(g));
        memset(&o, 0, sizeof(o));
        cc_buf_init(&g.log, 0);
        assert_int_equal(cc_mocksrv_start(&o, &app, &gsrv, &d), CC_OK);
        f->k.gke.gcp_url = cc_strdup(cc_mocksrv_url(gsrv));
        f->k.gke.project = cc_strdup("p1");
        f->k.gke.zones = cc_calloc(2, sizeof(char *));
        for (i = 0; i < 2; i++)
                f->k.gke.zones[i] = cc_strdup(zones[i]);
        f->k.gke.nzones = 2;
        assert_true(kube_gke_start(&f->k));

        assert_int_equal(call(f, "POST", "/api/v1/namespaces/default/services",
                              "{\"metadata\":{\"name\":\"web\",\"annotations\":{"
                              "\"cloud.google.com/neg\":\"{\\\"exposed_ports\\\":{\\\"80\\\":{"
                              "\\\"name\\\":\\\"neg-web\\\"}}}\"}},\"spec\":{\"ports\":[{\"name\":"
                              "\"http\",\"port\":80,\"targetPort\":8080}]}}",
                              NULL, 0),
                         201);
        assert_int_equal(call(f, "POST",
                              "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
                              "{\"metadata\":{\"name\":\"web-1\",\"labels\":{"
                              "\"kubernetes.io/service-name\":\"web\"}},\"addressType\":\"IPv4\","
                              "\"ports\":[{\"name\":\"http\",\"port\":8080}],\"endpoints\":[{"
                              "\"addresses\":[\"10.0.0.5\"],\"zone\":\"zone-b\",\"nodeName\":"
                              "\"node-1\"},{\"addresses\":[\"10.0.0.6\"],\"conditions\":{"
                              "\"ready\":false}}]}",
                              NULL, 0),
                         201);
        assert_true(wait_for(f, &g,
                             "POST /compute/v1/projects/p1/zones/zone-a/"
                             "networkEndpointGroups {"));
        assert_true(wait_for(f, &g,
                             "POST /compute/v1/projects/p1/zones/zone-b/"
                             "networkEndpointGroups {"));
        assert_true(wait_for(f, &g, "\"networkEndpointType\":\"GCE_VM_IP_PORT\""));
        assert_true(wait_for(f, &g,
                             "POST /compute/v1/projects/p1/zones/zone-b/"
                             "networkEndpointGroups/neg-web/attachNetworkEndpoints "
                             "{\"networkEndpoints\":[{\"ipAddress\":\"10.0.0.5\",\"port\":"
                             "8080,\"instance\":\"node-1\"}]}"));
        for (i = 0; i < 100 && !status_ok; i++) {
                struct timespec ts = { 0, 50 * 1000000L };

                req(f, "GET", "/api/v1/namespaces/default/services/web", NULL, NULL, NULL, &b);
                status_ok =
                    strstr(cc_buf_str(&b),
                           "\"cloud.google.com/neg-status\":\"{\\\"network_endpoint_groups"
                           "\\\":{\\\"80\\\":\\\"neg-web\\\"},\\\"zones\\\":[\\\"zone-a\\\","
                           "\\\"zone-b\\\"]}\"") != NULL;
                cc_buf_release(&b);
                if (!status_ok)
                        nanosleep(&ts, NULL);
        }
        assert_true(status_ok);
        /* the not-ready endpoint was never attached */
        pthread_mutex_lock(cc_mocksrv_mutex(f->srv));
        assert_null(strstr(cc_buf_str(&g.log), "10.0.0.6"));
        pthread_mutex_unlock(cc_mocksrv_mutex(f->srv));
        /* an endpoint that goes away is detached */
        assert_int_equal(req(f, "PATCH",
                             "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/web-1",
                             "application/merge-patch+json", "{\"endpoints\":[]}", NULL, &b),
                         200);
        cc_buf_release(&b);
        assert_true(wait_for(f, &g,
                             "zone-b/networkEndpointGroups/neg-web/detachNetworkEndpoints "
                             "{\"networkEndpoints\":[{\"ipAddress\":\"10.0.0.5\""));
        /* converged: another pass makes no call */
        pthread_mutex_lock(cc_mocksrv_mutex(f->srv));
        before = g.calls;
        f->k.gke.dirty = true;
        pthread_cond_broadcast(&f->k.cond);
        pthread_mutex_unlock(cc_mocksrv_mutex(f->srv));
        {
                struct timespec ts = { 0, 300 * 1000000L };

                nanosleep(&ts, NULL);
        }
        pthread_mutex_lock(cc_mocksrv_mutex(f->srv));
        assert_int_equal(g.calls, before);
        pthread_mutex_unlock(cc_mocksrv_mutex(f->srv));
        stop(f);
        cc_mocksrv_stop(gsrv);
        cc_buf_release(&g.log);
}

/* a Deployment behind a NEG-annotated Service: the EndpointSlice controller
 * lists its ready pods and the NEG controller attaches them, node names as
 * instances; an admin hold (/_mock/pods) detaches them */
static void
test_gke_neg_deployment(void **state)
{
        struct fake_gcp g;
        struct cc_mock_app app = { .ud = &g, .handle = fake_handle };
        struct cc_mocksrv_opts o;
        struct cc_mocksrv *gsrv = NULL;
        struct cc_diag d;
        struct fixture *f = start(NULL);
        struct cc_buf b;
        char err[200];

        (void)state;
        memset(&g, 0, sizeof(g));
        memset(&o, 0, sizeof(o));
        cc_buf_init(&g.log, 0);
        assert_int_equal(cc_mocksrv_start(&o, &app, &gsrv, &d), CC_OK);
        pthread_mutex_lock(cc_mocksrv_mutex(f->srv));
        f->k.gke.gcp_url = cc_strdup(cc_mocksrv_url(gsrv));
        f->k.gke.project = cc_strdup("p1");
        assert_true(kube_gke_set_zones(&f->k.gke, "zone-a;zone-x,zone-b", 1, 2, err, sizeof(err)));
        f->k.cfg.index = 1;
        pthread_mutex_unlock(cc_mocksrv_mutex(f->srv));
        assert_true(kube_gke_start(&f->k));

        assert_int_equal(call(f, "POST", "/apis/apps/v1/namespaces/default/deployments",
                              "{\"metadata\":{\"name\":\"gw\"},\"spec\":{\"replicas\":2,"
                              "\"template\":{\"metadata\":{\"labels\":{\"app\":\"gw\"}}}}}",
                              NULL, 0),
                         201);
        assert_int_equal(call(f, "POST", "/api/v1/namespaces/default/services",
                              "{\"metadata\":{\"name\":\"gw\",\"annotations\":{"
                              "\"cloud.google.com/neg\":\"{\\\"exposed_ports\\\":{\\\"80\\\":{"
                              "\\\"name\\\":\\\"neg-gw\\\"}}}\"}},\"spec\":{\"selector\":{"
                              "\"app\":\"gw\"},\"ports\":[{\"name\":\"http\",\"port\":80,"
                              "\"targetPort\":8080}]}}",
                              NULL, 0),
                         201);
        assert_true(wait_for(f, &g,
                             "POST /compute/v1/projects/p1/zones/zone-x/"
                             "networkEndpointGroups/neg-gw/attachNetworkEndpoints "
                             "{\"networkEndpoints\":[{\"ipAddress\":\"10.1.1.1\",\"port\":"
                             "8080,\"instance\":\"gke-1-node-0\"}]}"));
        assert_true(wait_for(f, &g,
                             "POST /compute/v1/projects/p1/zones/zone-b/"
                             "networkEndpointGroups/neg-gw/attachNetworkEndpoints "
                             "{\"networkEndpoints\":[{\"ipAddress\":\"10.1.1.2\",\"port\":"
                             "8080,\"instance\":\"gke-1-node-1\"}]}"));
        /* the admin hold: validated, listed, and the endpoints detached */
        assert_int_equal(call(f, "PUT", "/_mock/pods", "{\"namespace\":\"default\"}", NULL, 0),
                         400);
        assert_int_equal(req(f, "PUT", "/_mock/pods", "application/json",
                             "{\"namespace\":\"default\",\"deployment\":\"gw\",\"ready\":false}",
                             NULL, &b),
                         200);
        cc_buf_release(&b);
        assert_int_equal(req(f, "GET", "/_mock/pods", NULL, NULL, NULL, &b), 200);
        assert_non_null(strstr(cc_buf_str(&b), "{\"namespace\":\"default\",\"deployment\":\"gw\","
                                               "\"ready\":false}"));
        cc_buf_release(&b);
        assert_true(wait_for(f, &g,
                             "zone-x/networkEndpointGroups/neg-gw/detachNetworkEndpoints "
                             "{\"networkEndpoints\":[{\"ipAddress\":\"10.1.1.1\""));
        assert_true(wait_for(f, &g,
                             "zone-b/networkEndpointGroups/neg-gw/detachNetworkEndpoints "
                             "{\"networkEndpoints\":[{\"ipAddress\":\"10.1.1.2\""));
        assert_int_equal(
            req(f, "GET", "/apis/apps/v1/namespaces/default/deployments/gw", NULL, NULL, NULL, &b),
            200);
        assert_non_null(strstr(cc_buf_str(&b), "\"unavailableReplicas\":2"));
        cc_buf_release(&b);
        assert_int_equal(req(f, "PUT", "/_mock/pods", "application/json",
                             "{\"namespace\":\"default\",\"deployment\":\"gw\",\"ready\":true}",
                             NULL, &b),
                         200);
        assert_non_null(strstr(cc_buf_str(&b), "\"holds\":[]"));
        cc_buf_release(&b);
        stop(f);
        cc_mocksrv_stop(gsrv);
        cc_buf_release(&g.log);
}

/* poll GET path until it answers want (a bound on a hang, not a timing check) */
static long
poll_status(struct fixture *f, const char *path, long want)
{
        long code = 0;
        int i;

        for (i = 0; i < 500; i++) {
                struct timespec ts = { 0, 20 * 1000000L };

                code = call(f, "GET", path, NULL, NULL, 0);
                if (code == want)
                        break;
                nanosleep(&ts, NULL);
        }
        return code;
}

/* deletion over HTTP goes through the controllers' worker thread */
static void
test_async_deletion(void **state)
{
        struct fixture *f = start(NULL);
        struct cc_buf b;
        cJSON *j;
        char reason[64];

        (void)state;
        assert_int_equal(
            call(f, "POST", "/api/v1/namespaces", "{\"metadata\":{\"name\":\"team\"}}", NULL, 0),
            201);
        assert_int_equal(call(f, "POST", "/api/v1/namespaces/team/configmaps",
                              "{\"metadata\":{\"name\":\"held\",\"finalizers\":[\"x/y\"]}}", NULL,
                              0),
                         201);
        assert_int_equal(call(f, "POST", "/api/v1/namespaces/team/configmaps",
                              "{\"metadata\":{\"name\":\"a\"}}", NULL, 0),
                         201);
        /* the DELETE answers 200 with the Terminating Namespace */
        assert_int_equal(req(f, "DELETE", "/api/v1/namespaces/team", NULL, NULL, NULL, &b), 200);
        j = cJSON_Parse(cc_buf_str(&b));
        assert_string_equal(kube_str(j, "kind", NULL), "Namespace");
        assert_string_equal(kube_str(j, "status", "phase"), "Terminating");
        cJSON_Delete(j);
        cc_buf_release(&b);
        /* the worker empties it but for the held object; creates get 403 */
        assert_int_equal(poll_status(f, "/api/v1/namespaces/team/configmaps/a", 404), 404);
        assert_int_equal(call(f, "POST", "/api/v1/namespaces/team/configmaps",
                              "{\"metadata\":{\"name\":\"b\"}}", reason, sizeof(reason)),
                         403);
        assert_string_equal(reason, "Forbidden");
        assert_int_equal(call(f, "GET", "/api/v1/namespaces/team", NULL, NULL, 0), 200);
        assert_int_equal(req(f, "PATCH", "/api/v1/namespaces/team/configmaps/held",
                             "application/merge-patch+json", "{\"metadata\":{\"finalizers\":null}}",
                             NULL, &b),
                         200);
        cc_buf_release(&b);
        assert_int_equal(poll_status(f, "/api/v1/namespaces/team", 404), 404);
        /* a Deployment's dependent follows it */
        assert_int_equal(call(f, "POST", "/apis/apps/v1/namespaces/default/deployments",
                              "{\"metadata\":{\"name\":\"d\"},\"spec\":{}}", NULL, 0),
                         201);
        pthread_mutex_lock(cc_mocksrv_mutex(f->srv));
        {
                struct kube_obj *o =
                    kube_find(&f->k, kube_res_find("apps", "v1", "deployments"), "default", "d");
                char body[256];

                assert_non_null(o);
                snprintf(body, sizeof(body),
                         "{\"metadata\":{\"name\":\"dep\",\"ownerReferences\":[{"
                         "\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"d\","
                         "\"uid\":\"%s\"}]}}",
                         kube_str(o->obj, "metadata", "uid"));
                pthread_mutex_unlock(cc_mocksrv_mutex(f->srv));
                assert_int_equal(
                    call(f, "POST", "/api/v1/namespaces/default/configmaps", body, NULL, 0), 201);
        }
        assert_int_equal(
            call(f, "DELETE", "/apis/apps/v1/namespaces/default/deployments/d", NULL, NULL, 0),
            200);
        assert_int_equal(poll_status(f, "/api/v1/namespaces/default/configmaps/dep", 404), 404);
        stop(f);
}

/* the Gateway API CRDs: read-only, with the bundle version */
static void
test_gateway_api_crds(void **state)
{
        struct fixture *f = start(NULL);
        struct cc_buf b;
        cJSON *j;
        char reason[64];

        (void)state;
        assert_int_equal(req(f, "GET",
                             "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                             "gateways.gateway.networking.k8s.io",
                             NULL, NULL, NULL, &b),
                         200);
        j = cJSON_Parse(cc_buf_str(&b));
        assert_string_equal(kube_str(j, "kind", NULL), "CustomResourceDefinition");
        assert_string_equal(
            cJSON_GetObjectItem(
                cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metadata"), "annotations"),
                "gateway.networking.k8s.io/bundle-version")
                ->valuestring,
            KUBE_GATEWAY_API_BUNDLE);
        assert_string_equal(kube_str(j, "spec", "scope"), "Namespaced");
        cJSON_Delete(j);
        cc_buf_release(&b);
        /* ReferenceGrant: one CRD, two versions, v1beta1 stored */
        assert_int_equal(req(f, "GET",
                             "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                             "referencegrants.gateway.networking.k8s.io",
                             NULL, NULL, NULL, &b),
                         200);
        j = cJSON_Parse(cc_buf_str(&b));
        assert_int_equal(
            cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "spec"), "versions")), 2);
        cJSON_Delete(j);
        cc_buf_release(&b);
        assert_int_equal(req(f, "GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                             NULL, NULL, NULL, &b),
                         200);
        j = cJSON_Parse(cc_buf_str(&b));
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "items")), 5);
        cJSON_Delete(j);
        cc_buf_release(&b);
        assert_int_equal(call(f, "GET",
                              "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                              "widgets.example.com",
                              NULL, reason, sizeof(reason)),
                         404);
        assert_string_equal(reason, "NotFound");
        assert_int_equal(call(f, "DELETE",
                              "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                              "gateways.gateway.networking.k8s.io",
                              NULL, reason, sizeof(reason)),
                         405);
        assert_string_equal(reason, "MethodNotAllowed");
        stop(f);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_auth_routing_errors),
                cmocka_unit_test(test_client_certificates),
                cmocka_unit_test(test_admin_faults),
                cmocka_unit_test(test_gateway_api_crds),
                cmocka_unit_test(test_gke_neg),
                cmocka_unit_test(test_gke_neg_deployment),
                cmocka_unit_test(test_async_deletion),
        };
        int rc;

        cc_alloc_init();
        curl_global_init(CURL_GLOBAL_DEFAULT);
        rc = cmocka_run_group_tests(tests, NULL, NULL);
        curl_global_cleanup();
        return rc;
}
