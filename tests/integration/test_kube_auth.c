/* test_kube_auth.c -- kube client credentials over HTTPS: token, token file, exec plugin, client
 * cert. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/log.h"
#include "kube/client.h"
#include "kube/config.h"
#include "lib/testlib.h"
#include "lib/testsrv.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char want_auth[128]; /* the Authorization value the server accepts */
static int n401;

static const char ok_body[] = "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{"
                              "\"name\":\"x\",\"namespace\":\"default\"}}";
static const char unauth_body[] = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":"
                                  "\"Failure\",\"message\":\"Unauthorized\",\"reason\":"
                                  "\"Unauthorized\",\"code\":401}";

static void
set_want(const char *token)
{
        pthread_mutex_lock(&mu);
        snprintf(want_auth, sizeof(want_auth), "Bearer %s", token);
        pthread_mutex_unlock(&mu);
}

static void
h_token(const struct cc_testsrv_req *q, struct cc_testsrv_resp *r, void *ud)
{
        const char *a = cc_testsrv_req_header(q, "Authorization");
        bool ok;

        pthread_mutex_lock(&mu);
        ok = a && strcmp(a, want_auth) == 0;
        if (!ok)
                n401++;
        pthread_mutex_unlock(&mu);
        r->status = ok ? 200 : 401;
        r->body = ok ? ok_body : unauth_body;
        r->headers[0] = "Content-Type: application/json";
}

struct env {
        struct cc_loop loop;
        struct cc_http http;
        struct cc_testsrv *srv;
        char *cert, *key;
        char server[128];
};

static void
env_start(struct env *e)
{
        memset(e, 0, sizeof(*e));
        assert_true(cc_testsrv_tls_selfsigned(&e->cert, &e->key));
        e->srv = cc_testsrv_start_tls(h_token, NULL, e->cert, e->key);
        assert_non_null(e->srv);
        snprintf(e->server, sizeof(e->server), "%s", cc_testsrv_url(e->srv, ""));
        assert_int_equal(cc_loop_init(&e->loop, NULL), CC_OK);
        assert_int_equal(cc_http_init(&e->http, &e->loop, NULL, NULL), CC_OK);
        pthread_mutex_lock(&mu);
        n401 = 0;
        pthread_mutex_unlock(&mu);
}

static void
env_stop(struct env *e)
{
        cc_http_release(&e->http);
        assert_int_equal(cc_loop_release(&e->loop), CC_OK);
        cc_testsrv_stop(e->srv);
        cc_free(e->cert);
        cc_free(e->key);
}

struct res {
        int calls;
        cc_err rc;
        int status;
};

static void
done(struct cc_kube_op *op, cc_err rc, struct cc_kube_result *r, void *ud)
{
        struct res *x = ud;

        x->calls++;
        x->rc = rc;
        x->status = r->status;
}

static cc_err
get_once(struct env *e, struct cc_kube_client *k)
{
        struct res x = { 0 };

        assert_int_equal(
            cc_kube_get(k, cc_kube_resource_by_kind("ConfigMap"), NULL, "x", done, &x, NULL, NULL),
            CC_AGAIN);
        assert_int_equal(cc_loop_run(&e->loop), CC_OK);
        assert_int_equal(x.calls, 1);
        return x.rc;
}

static const char *
tmp_path(const char *name)
{
        static char p[4][512];
        static int i;
        char *s = p[i++ % 4];

        snprintf(s, 512, "%s/%s", cc_test_tmpdir(), name);
        return s;
}

static void
write_text(const char *path, const char *text, mode_t mode)
{
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        chmod(path, mode);
}

static void
test_static_token(void **state)
{
        struct cc_kube_config cfg = { 0 };
        struct cc_kube_client *k = NULL;
        struct env e;

        env_start(&e);
        cfg.server = e.server;
        cfg.ca_pem = e.cert;
        assert_int_equal(cc_secret_set_str(&cfg.token, "tok-a"), CC_OK);
        assert_int_equal(cc_kube_client_new(&e.http, &cfg, NULL, &k, NULL), CC_OK);
        set_want("tok-a");
        assert_int_equal(get_once(&e, k), CC_OK);
        set_want("tok-b");
        assert_int_equal(get_once(&e, k), CC_AUTH); /* a static token is not retried */
        assert_int_equal(n401, 1);
        cc_kube_client_free(k);
        cc_secret_release(&cfg.token);
        env_stop(&e);
}

static void
test_token_file_rotation(void **state)
{
        struct cc_kube_config cfg = { 0 };
        struct cc_kube_client *k = NULL;
        struct cc_kube_client_opts ko = { .token_refresh_ms = 600000 };
        struct env e;
        char *path = cc_strdup(tmp_path("sa-token"));

        env_start(&e);
        write_text(path, "file-1\n", 0600);
        cfg.server = e.server;
        cfg.ca_pem = e.cert;
        cfg.token_file = path;
        assert_int_equal(cc_secret_set_str(&cfg.token, "file-1"), CC_OK);
        assert_int_equal(cc_kube_client_new(&e.http, &cfg, &ko, &k, NULL), CC_OK);
        set_want("file-1");
        assert_int_equal(get_once(&e, k), CC_OK);
        /* rotated: the stale token gets a 401, the client re-reads the file and retries */
        write_text(path, "file-2\n", 0600);
        set_want("file-2");
        assert_int_equal(get_once(&e, k), CC_OK);
        assert_int_equal(n401, 1);
        cc_kube_client_free(k);

        /* with a short refresh period the file is re-read before a request, no 401 */
        ko.token_refresh_ms = 1;
        assert_int_equal(cc_kube_client_new(&e.http, &cfg, &ko, &k, NULL), CC_OK);
        write_text(path, "file-3\n", 0600);
        set_want("file-3");
        uv_sleep(5);
        uv_update_time(&e.loop.uv);
        assert_int_equal(get_once(&e, k), CC_OK);
        assert_int_equal(n401, 1);
        cc_kube_client_free(k);
        cc_secret_release(&cfg.token);
        cc_free(path);
        env_stop(&e);
}

static void
test_exec_plugin(void **state)
{
        static const char *const env[] = { "PATH=/usr/bin:/bin", NULL };
        struct cc_kube_config cfg = { 0 };
        struct cc_kube_client *k = NULL;
        struct env e;
        char script[2048], *count = cc_strdup(tmp_path("exec-count"));
        char *plugin = cc_strdup(tmp_path("plugin.sh"));
        char *got = NULL;

        env_start(&e);
        /* each run prints token exec-<run number>; the EXPIRY env sets the expiry */
        snprintf(script, sizeof(script),
                 "#!/bin/sh\n"
                 "n=$(cat '%s' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '%s'\n"
                 "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\","
                 "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"exec-%%s\"%%s}}' \"$n\" "
                 "\"$EXPIRY\"\n",
                 count, count);
        write_text(plugin, script, 0755);
        cfg.server = e.server;
        cfg.ca_pem = e.cert;
        cfg.has_exec = true;
        cfg.exec.api_version = CC_KUBE_EXEC_V1BETA1;
        cfg.exec.command = plugin;
        cfg.environ_base = env;
        assert_int_equal(cc_kube_client_new(&e.http, &cfg, NULL, &k, NULL), CC_OK);
        /* the first credential is refused: the plugin runs again once and the retry passes */
        set_want("exec-2");
        assert_int_equal(get_once(&e, k), CC_OK);
        assert_int_equal(n401, 1);
        /* cached (no expiry): no new run */
        assert_int_equal(get_once(&e, k), CC_OK);
        got = cc_test_read_file(count, NULL);
        assert_string_equal(got, "2\n");
        cc_free(got);
        /* a plugin that keeps failing auth: one retry, then CC_AUTH */
        set_want("never");
        assert_int_equal(get_once(&e, k), CC_AUTH);
        got = cc_test_read_file(count, NULL);
        assert_string_equal(got, "3\n");
        cc_free(got);
        cc_kube_client_free(k);

        /* an expired credential is renewed before each request */
        assert_int_equal(
            cc_strv_push(&cfg.exec.env, "EXPIRY=,\"expirationTimestamp\":\"2001-01-01T00:00:00Z\""),
            CC_OK);
        assert_int_equal(cc_kube_client_new(&e.http, &cfg, NULL, &k, NULL), CC_OK);
        set_want("exec-4");
        assert_int_equal(get_once(&e, k), CC_OK);
        set_want("exec-5");
        assert_int_equal(get_once(&e, k), CC_OK);
        assert_int_equal(n401, 3); /* 1 + 2 from the "never" round; none here */
        cc_kube_client_free(k);
        cc_strv_release(&cfg.exec.env);

        /* a missing plugin fails the request with CC_AUTH */
        cfg.exec.command = "/nonexistent/plugin";
        assert_int_equal(cc_kube_client_new(&e.http, &cfg, NULL, &k, NULL), CC_OK);
        {
                struct res x = { 0 };

                assert_int_equal(cc_kube_get(k, cc_kube_resource_by_kind("ConfigMap"), NULL, "x",
                                             done, &x, NULL, NULL),
                                 CC_AUTH);
        }
        cc_kube_client_free(k);
        cc_free(count);
        cc_free(plugin);
        env_stop(&e);
}

/* --- client certificates: a server of our own that asks for and verifies them ------ */

static enum MHD_Result
h_cert(void *cls, struct MHD_Connection *c, const char *url, const char *method,
       const char *version, const char *upload, size_t *upload_size, void **ptr)
{
        const union MHD_ConnectionInfo *ci;
        struct MHD_Response *resp;
        unsigned int status = 1, n = 0;
        bool ok = false;
        enum MHD_Result r;

        if (!*ptr) {
                *ptr = c;
                return MHD_YES;
        }
        ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
        if (ci && ci->tls_session) {
                gnutls_session_t s = (gnutls_session_t)ci->tls_session;

                ok = gnutls_certificate_get_peers(s, &n) && n > 0 &&
                     gnutls_certificate_verify_peers2(s, &status) == 0 && status == 0;
        }
        resp = MHD_create_response_from_buffer(ok ? strlen(ok_body) : strlen(unauth_body),
                                               (void *)(ok ? ok_body : unauth_body),
                                               MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(resp, "Content-Type", "application/json");
        r = MHD_queue_response(c, ok ? 200 : 401, resp);
        MHD_destroy_response(resp);
        return r;
}

static void
test_client_certificate(void **state)
{
        struct cc_kube_config cfg = { 0 };
        struct cc_kube_client *k = NULL;
        struct sockaddr_in sa = { 0 };
        struct MHD_Daemon *d;
        const union MHD_DaemonInfo *di;
        struct env e;
        char cmd[4096], *ca = NULL, *cert = NULL, *key = NULL;
        const char *dir = cc_test_tmpdir();

        env_start(&e);
        snprintf(cmd, sizeof(cmd),
                 "cd '%s' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
                 "-nodes -keyout ca.key -out ca.pem -days 1 -subj /CN=test-ca 2>/dev/null && "
                 "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "
                 "client.key -out client.csr -subj /CN=cloudctl 2>/dev/null && "
                 "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
                 "-out client.pem -days 1 2>/dev/null",
                 dir);
        assert_int_equal(system(cmd), 0);
        ca = cc_test_read_file(tmp_path("ca.pem"), NULL);
        assert_non_null(ca);
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        d = MHD_start_daemon(
            MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_TLS, 0, NULL,
            NULL, h_cert, NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_HTTPS_MEM_CERT, e.cert,
            MHD_OPTION_HTTPS_MEM_KEY, e.key, MHD_OPTION_HTTPS_MEM_TRUST, ca, MHD_OPTION_END);
        assert_non_null(d);
        di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        snprintf(e.server, sizeof(e.server), "https://127.0.0.1:%u", (unsigned)di->port);
        cfg.server = e.server;
        cfg.ca_pem = e.cert;

        /* no certificate: refused */
        assert_int_equal(cc_kube_client_new(&e.http, &cfg, NULL, &k, NULL), CC_OK);
        assert_int_equal(get_once(&e, k), CC_AUTH);
        cc_kube_client_free(k);
        /* files */
        cfg.cert_file = cc_strdup(tmp_path("client.pem"));
        cfg.key_file = cc_strdup(tmp_path("client.key"));
        assert_int_equal(cc_kube_client_new(&e.http, &cfg, NULL, &k, NULL), CC_OK);
        assert_int_equal(get_once(&e, k), CC_OK);
        cc_kube_client_free(k);
        /* PEM data (client-certificate-data / client-key-data) */
        cert = cc_test_read_file(cfg.cert_file, NULL);
        key = cc_test_read_file(cfg.key_file, NULL);
        cc_free(cfg.cert_file);
        cc_free(cfg.key_file);
        cfg.cert_file = cfg.key_file = NULL;
        cfg.cert_pem = cert;
        assert_int_equal(cc_secret_set_str(&cfg.key_pem, key), CC_OK);
        assert_int_equal(cc_kube_client_new(&e.http, &cfg, NULL, &k, NULL), CC_OK);
        assert_int_equal(get_once(&e, k), CC_OK);
        cc_kube_client_free(k);
        cc_secret_release(&cfg.key_pem);
        MHD_stop_daemon(d);
        cc_free(ca);
        cc_free(cert);
        cc_free(key);
        env_stop(&e);
}

/* over plain http no credential is sent, and a token never reaches the logs */
static void
test_http_sends_no_credentials(void **state)
{
        struct cc_kube_config cfg = { 0 };
        struct cc_kube_client *k = NULL;
        struct cc_testsrv *srv = cc_testsrv_start(h_token, NULL);
        struct env e;
        char url[128];

        env_start(&e);
        snprintf(url, sizeof(url), "%s", cc_testsrv_url(srv, ""));
        cfg.server = url;
        assert_int_equal(cc_secret_set_str(&cfg.token, "canary-token-42"), CC_OK);
        assert_int_equal(cc_kube_client_new(&e.http, &cfg, NULL, &k, NULL), CC_OK);
        set_want("canary-token-42");
        cc_test_log_capture_start("trace");
        assert_int_equal(get_once(&e, k), CC_AUTH);
        cc_test_log_capture_stop();
        assert_null(strstr(cc_test_log_captured(), "canary-token-42"));
        cc_kube_client_free(k);
        cc_secret_release(&cfg.token);
        cc_testsrv_stop(srv);
        env_stop(&e);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_static_token),
                cmocka_unit_test(test_token_file_rotation),
                cmocka_unit_test(test_exec_plugin),
                cmocka_unit_test(test_client_certificate),
                cmocka_unit_test(test_http_sends_no_credentials),
        };

        cc_alloc_init();
        cc_log_configure("off", NULL);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
