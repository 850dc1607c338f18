/* mocksrv.c -- libmicrohttpd server with request log, counters and faults. */
#include "mocks/common/mocksrv.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fnmatch.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/banned.h"

#define LOG_BODY_MAX 4096
#define MAX_FAULTS   64
#define MAX_APIS     32

struct log_entry {
        unsigned long seq;
        char method[12];
        char *path;
        char *query;
        char *body;
        char *subject; /* verified client certificate subject or NULL */
        int status;
        char api[32];
        bool mutating;
        bool internal;
};

struct counter {
        char api[32];
        unsigned long read, mutating;
};

struct cc_mocksrv {
        struct MHD_Daemon *mhd;
        struct cc_mock_app app;
        pthread_mutex_t lock;
        bool stopping;
        int port;
        char url[64];
        size_t max_body;
        size_t log_max;
        char *tls_cert_pem;
        char *tls_key_pem;
        char *client_ca_pem;

        struct log_entry *log;
        size_t nlog, log_cap;
        unsigned long seq;

        struct counter counters[MAX_APIS];
        size_t ncounters;

        struct cc_mock_fault faults[MAX_FAULTS];
        size_t nfaults;
        unsigned rnd_state;
};

/* per-request state, created by the URI log callback */
struct conn_state {
        char *raw_uri;
        struct cc_buf body;
        bool too_big;
        bool started; /* MHD's first call carries headers only */
};

/* --- response helpers ---------------------------------------------------- */

void
cc_mock_resp_init(struct cc_mock_resp *resp)
{
        memset(resp, 0, sizeof(*resp));
        resp->status = 200;
        cc_buf_init(&resp->body, 256u << 20);
        resp->mutating = -1;
}

void
cc_mock_resp_release(struct cc_mock_resp *resp)
{
        size_t i;

        for (i = 0; i < resp->nheaders; i++) {
                cc_free(resp->headers[i].name);
                cc_free(resp->headers[i].value);
        }
        cc_free(resp->headers);
        resp->headers = NULL;
        resp->nheaders = resp->headers_cap = 0;
        cc_buf_release(&resp->body);
        if (resp->stream_free && resp->stream_ud)
                resp->stream_free(resp->stream_ud);
        resp->stream = NULL;
        resp->stream_ud = NULL;
}

void
cc_mock_resp_header(struct cc_mock_resp *resp, const char *name, const char *value)
{
        char *n, *v;

        if (CC_GROW(resp->headers, resp->headers_cap, resp->nheaders + 1))
                return;
        n = cc_strdup(name);
        v = cc_strdup(value);
        if (!n || !v) {
                cc_free(n);
                cc_free(v);
                return;
        }
        resp->headers[resp->nheaders].name = n;
        resp->headers[resp->nheaders].value = v;
        resp->nheaders++;
}

void
cc_mock_resp_json(struct cc_mock_resp *resp, int status, const cJSON *body)
{
        char *text = body ? cJSON_PrintUnformatted(body) : NULL;

        resp->status = status;
        snprintf(resp->content_type, sizeof(resp->content_type), "application/json; charset=UTF-8");
        cc_buf_reset(&resp->body);
        if (text) {
                cc_buf_puts(&resp->body, text);
                cJSON_free(text);
        }
}

void
cc_mock_resp_text(struct cc_mock_resp *resp, int status, const char *ctype, const char *text)
{
        resp->status = status;
        snprintf(resp->content_type, sizeof(resp->content_type), "%s", ctype);
        cc_buf_reset(&resp->body);
        cc_buf_puts(&resp->body, text);
}

const char *
cc_mock_req_header(const struct cc_mock_req *req, const char *name)
{
        if (!req->conn)
                return NULL;
        return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *
cc_mock_req_arg(const struct cc_mock_req *req, const char *name)
{
        if (!req->conn)
                return NULL;
        return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* --- faults -------------------------------------------------------------- */

cc_err
cc_mock_fault_parse(const char *json, size_t len, struct cc_mock_fault *out, struct cc_diag *d)
{
        struct cc_mock_fault f;
        cJSON *root = cJSON_ParseWithLength(json, len);
        const cJSON *it;
        cc_err rc = CC_OK;

        memset(&f, 0, sizeof(f));
        if (!cJSON_IsObject(root)) {
                rc = cc_diag_set(d, CC_INVAL, 400, "fault rule must be a JSON object");
                goto out;
        }
        it = cJSON_GetObjectItemCaseSensitive(root, "method");
        if (cJSON_IsString(it))
                snprintf(f.method, sizeof(f.method), "%s", it->valuestring);
        it = cJSON_GetObjectItemCaseSensitive(root, "path");
        if (!cJSON_IsString(it) || !it->valuestring[0]) {
                rc = cc_diag_set(d, CC_INVAL, 400, "fault rule needs a 'path' pattern");
                goto out;
        }
        if (strlen(it->valuestring) >= sizeof(f.path)) {
                rc = cc_diag_set(d, CC_INVAL, 400, "fault rule 'path' is too long");
                goto out;
        }
        snprintf(f.path, sizeof(f.path), "%s", it->valuestring);
        it = cJSON_GetObjectItemCaseSensitive(root, "action");
        if (!cJSON_IsString(it) || !strcmp(it->valuestring, "status")) {
                f.action = CC_FAULT_STATUS;
        } else if (!strcmp(it->valuestring, "drop")) {
                f.action = CC_FAULT_DROP;
        } else if (!strcmp(it->valuestring, "delay")) {
                f.action = CC_FAULT_DELAY;
        } else {
                rc = cc_diag_set(d, CC_INVAL, 400, "unknown fault action '%s'", it->valuestring);
                goto out;
        }
        it = cJSON_GetObjectItemCaseSensitive(root, "status");
        f.status = cJSON_IsNumber(it) ? it->valueint : 503;
        if (f.action == CC_FAULT_STATUS && (f.status < 400 || f.status > 599)) {
                rc = cc_diag_set(d, CC_INVAL, 400, "fault status %d is not an error status",
                                 f.status);
                goto out;
        }
        it = cJSON_GetObjectItemCaseSensitive(root, "retryAfter");
        f.retry_after = cJSON_IsNumber(it) ? it->valueint : -1;
        it = cJSON_GetObjectItemCaseSensitive(root, "delayMs");
        f.delay_ms = cJSON_IsNumber(it) ? it->valueint : 0;
        if (f.delay_ms < 0 || f.delay_ms > 600000) {
                rc = cc_diag_set(d, CC_INVAL, 400, "fault delayMs must be 0..600000");
                goto out;
        }
        it = cJSON_GetObjectItemCaseSensitive(root, "nth");
        f.nth = cJSON_IsNumber(it) && it->valuedouble >= 1 ? (unsigned)it->valuedouble : 0;
        it = cJSON_GetObjectItemCaseSensitive(root, "every");
        f.every = cJSON_IsTrue(it);
        it = cJSON_GetObjectItemCaseSensitive(root, "fraction");
        f.fraction = cJSON_IsNumber(it) ? it->valuedouble : 0;
        if (f.fraction < 0 || f.fraction > 1) {
                rc = cc_diag_set(d, CC_INVAL, 400, "fault fraction must be within 0..1");
                goto out;
        }
        it = cJSON_GetObjectItemCaseSensitive(root, "times");
        f.times = cJSON_IsNumber(it) && it->valuedouble >= 1 ? (unsigned)it->valuedouble : 0;
        if (!f.nth && !f.every && f.fraction == 0)
                f.every = true;
        *out = f;
out:
        cJSON_Delete(root);
        return rc;
}

bool
cc_mock_fault_match(struct cc_mock_fault *f, const char *method, const char *path, double rnd)
{
        bool fire;

        if (f->method[0] && strcasecmp(f->method, method))
                return false;
        if (fnmatch(f->path, path, 0))
                return false;
        if (f->times && f->fired >= f->times)
                return false;
        f->matched++;
        if (f->nth)
                fire = f->matched == f->nth;
        else if (f->every)
                fire = true;
        else
                fire = rnd < f->fraction;
        if (fire)
                f->fired++;
        return fire;
}

static double
next_rnd(struct cc_mocksrv *srv)
{
        return (double)rand_r(&srv->rnd_state) / ((double)RAND_MAX + 1.0);
}

/* --- log and counters ---------------------------------------------------- */

static void
log_entry_release(struct log_entry *e)
{
        cc_free(e->path);
        cc_free(e->query);
        cc_free(e->body);
        cc_free(e->subject);
}

static void
log_clear(struct cc_mocksrv *srv)
{
        size_t i;

        for (i = 0; i < srv->nlog; i++)
                log_entry_release(&srv->log[i]);
        srv->nlog = 0;
}

static bool
is_mutating(const struct cc_mock_req *req, const struct cc_mock_resp *resp)
{
        if (resp->mutating >= 0)
                return resp->mutating != 0;
        return strcmp(req->method, "GET") && strcmp(req->method, "HEAD");
}

static void
record(struct cc_mocksrv *srv, const struct cc_mock_req *req, const struct cc_mock_resp *resp)
{
        struct log_entry *e;
        const char *api = resp->api ? resp->api : "other";
        bool mut = is_mutating(req, resp);
        size_t i;

        for (i = 0; i < srv->ncounters; i++)
                if (!strcmp(srv->counters[i].api, api))
                        break;
        if (i == srv->ncounters && srv->ncounters < MAX_APIS) {
                snprintf(srv->counters[i].api, sizeof(srv->counters[i].api), "%s", api);
                srv->ncounters++;
        }
        if (i < srv->ncounters) {
                if (mut)
                        srv->counters[i].mutating++;
                else
                        srv->counters[i].read++;
        }

        if (srv->nlog >= srv->log_max) {
                /* drop the oldest half: amortised O(1) */
                size_t half = srv->nlog / 2;

                for (i = 0; i < half; i++)
                        log_entry_release(&srv->log[i]);
                memmove(srv->log, srv->log + half, (srv->nlog - half) * sizeof(*srv->log));
                srv->nlog -= half;
        }
        if (CC_GROW(srv->log, srv->log_cap, srv->nlog + 1))
                return;
        e = &srv->log[srv->nlog];
        memset(e, 0, sizeof(*e));
        e->seq = ++srv->seq;
        snprintf(e->method, sizeof(e->method), "%s", req->method);
        snprintf(e->api, sizeof(e->api), "%s", api);
        e->path = cc_strdup(req->path);
        e->query = cc_strdup(resp->redact && *req->raw_query ? "<redacted>" : req->raw_query);
        e->body = resp->redact ? cc_strdup("<redacted>")
                               : cc_strndup(req->body, req->body_len < LOG_BODY_MAX ? req->body_len
                                                                                    : LOG_BODY_MAX);
        e->status = resp->drop ? 0 : resp->status;
        e->mutating = mut;
        e->internal = req->internal != 0;
        e->subject = req->client_subject ? cc_strdup(req->client_subject) : NULL;
        if (!e->path || !e->query || !e->body || (req->client_subject && !e->subject)) {
                log_entry_release(e);
                return;
        }
        srv->nlog++;
}

/* --- admin API ----------------------------------------------------------- */

static void
admin_requests(struct cc_mocksrv *srv, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        const char *since_s = cc_mock_req_arg(req, "since");
        unsigned long since = since_s ? strtoul(since_s, NULL, 10) : 0;
        cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "requests");
        size_t i;

        for (i = 0; arr && i < srv->nlog; i++) {
                const struct log_entry *e = &srv->log[i];
                cJSON *o;

                if (e->seq <= since)
                        continue;
                o = cJSON_CreateObject();
                if (!o)
                        break;
                cJSON_AddNumberToObject(o, "seq", (double)e->seq);
                cJSON_AddStringToObject(o, "method", e->method);
                cJSON_AddStringToObject(o, "path", e->path);
                cJSON_AddStringToObject(o, "query", e->query);
                cJSON_AddNumberToObject(o, "status", e->status);
                cJSON_AddStringToObject(o, "api", e->api);
                cJSON_AddBoolToObject(o, "mutating", e->mutating);
                if (e->internal)
                        cJSON_AddBoolToObject(o, "internal", true);
                if (e->subject)
                        cJSON_AddStringToObject(o, "clientSubject", e->subject);
                cJSON_AddStringToObject(o, "body", e->body);
                cJSON_AddItemToArray(arr, o);
        }
        cJSON_AddNumberToObject(root, "last", (double)srv->seq);
        cc_mock_resp_json(resp, 200, root);
        cJSON_Delete(root);
}

static void
admin_counters(struct cc_mocksrv *srv, struct cc_mock_resp *resp)
{
        cJSON *root = cJSON_CreateObject();
        unsigned long tr = 0, tm = 0;
        size_t i;

        for (i = 0; i < srv->ncounters; i++) {
                cJSON *o = cJSON_AddObjectToObject(root, srv->counters[i].api);

                cJSON_AddNumberToObject(o, "read", (double)srv->counters[i].read);
                cJSON_AddNumberToObject(o, "mutating", (double)srv->counters[i].mutating);
                tr += srv->counters[i].read;
                tm += srv->counters[i].mutating;
        }
        {
                cJSON *o = cJSON_AddObjectToObject(root, "total");

                cJSON_AddNumberToObject(o, "read", (double)tr);
                cJSON_AddNumberToObject(o, "mutating", (double)tm);
        }
        cc_mock_resp_json(resp, 200, root);
        cJSON_Delete(root);
}

static void
admin_error(struct cc_mock_resp *resp, int status, const char *msg)
{
        cJSON *root = cJSON_CreateObject();

        cJSON_AddStringToObject(root, "error", msg);
        cc_mock_resp_json(resp, status, root);
        cJSON_Delete(root);
}

static void
admin_faults(struct cc_mocksrv *srv, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        struct cc_diag d;
        size_t i;

        if (!strcmp(req->method, "DELETE")) {
                srv->nfaults = 0;
                cc_mock_resp_text(resp, 200, "application/json", "{}");
                return;
        }
        if (!strcmp(req->method, "POST")) {
                if (srv->nfaults == MAX_FAULTS) {
                        admin_error(resp, 400, "too many fault rules");
                        return;
                }
                if (cc_mock_fault_parse(req->body, req->body_len, &srv->faults[srv->nfaults], &d)) {
                        admin_error(resp, 400, d.message);
                        return;
                }
                srv->nfaults++;
        }
        {
                cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "faults");

                for (i = 0; arr && i < srv->nfaults; i++) {
                        const struct cc_mock_fault *f = &srv->faults[i];
                        cJSON *o = cJSON_CreateObject();

                        cJSON_AddStringToObject(o, "method", f->method);
                        cJSON_AddStringToObject(o, "path", f->path);
                        cJSON_AddStringToObject(o, "action",
                                                f->action == CC_FAULT_DROP    ? "drop"
                                                : f->action == CC_FAULT_DELAY ? "delay"
                                                                              : "status");
                        cJSON_AddNumberToObject(o, "status", f->status);
                        cJSON_AddNumberToObject(o, "matched", f->matched);
                        cJSON_AddNumberToObject(o, "fired", f->fired);
                        cJSON_AddItemToArray(arr, o);
                }
                cc_mock_resp_json(resp, 200, root);
                cJSON_Delete(root);
        }
}

static bool
serve_admin(struct cc_mocksrv *srv, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        const char *p = req->path + strlen("/_mock/");

        resp->api = "_mock";
        resp->mutating = 0;
        if (!strcmp(p, "requests")) {
                if (!strcmp(req->method, "DELETE")) {
                        log_clear(srv);
                        cc_mock_resp_text(resp, 200, "application/json", "{}");
                } else {
                        admin_requests(srv, req, resp);
                }
        } else if (!strcmp(p, "counters")) {
                admin_counters(srv, resp);
        } else if (!strcmp(p, "faults")) {
                admin_faults(srv, req, resp);
        } else if (!strcmp(p, "reset") && !strcmp(req->method, "POST")) {
                log_clear(srv);
                srv->ncounters = 0;
                srv->nfaults = 0;
                if (srv->app.reset)
                        srv->app.reset(srv->app.ud);
                cc_mock_resp_text(resp, 200, "application/json", "{}");
        } else if (srv->app.admin) {
                srv->app.admin(srv->app.ud, srv, req, resp);
        } else {
                admin_error(resp, 404, "no such admin endpoint");
        }
        return true;
}

/* --- MHD glue ------------------------------------------------------------ */

static void *
uri_logger(void *cls, const char *uri, struct MHD_Connection *con)
{
        struct conn_state *cs = cc_calloc(1, sizeof(*cs));

        (void)cls;
        (void)con;
        if (!cs)
                return NULL;
        cs->raw_uri = cc_strdup(uri ? uri : "/");
        cc_buf_init(&cs->body, 0);
        return cs;
}

static void
completed(void *cls, struct MHD_Connection *con, void **con_cls, enum MHD_RequestTerminationCode t)
{
        struct conn_state *cs = *con_cls;

        (void)cls;
        (void)con;
        (void)t;
        if (!cs)
                return;
        cc_free(cs->raw_uri);
        cc_buf_release(&cs->body);
        cc_free(cs);
        *con_cls = NULL;
}

struct stream_ctx {
        struct cc_mocksrv *srv;
        bool (*stream)(void *ud, struct cc_buf *out);
        void (*stream_free)(void *ud);
        void *ud;
        struct cc_buf pending;
        bool ended;
};

static ssize_t
stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
        struct stream_ctx *sc = cls;
        size_t n;

        (void)pos;
        while (!sc->pending.len) {
                if (sc->ended || sc->srv->stopping)
                        return MHD_CONTENT_READER_END_OF_STREAM;
                if (!sc->stream(sc->ud, &sc->pending))
                        sc->ended = true;
        }
        n = sc->pending.len < max ? sc->pending.len : max;
        memcpy(buf, sc->pending.data, n);
        cc_buf_consume(&sc->pending, n);
        return (ssize_t)n;
}

static void
stream_free(void *cls)
{
        struct stream_ctx *sc = cls;

        if (sc->stream_free)
                sc->stream_free(sc->ud);
        cc_buf_release(&sc->pending);
        cc_free(sc);
}

static enum MHD_Result
queue(struct MHD_Connection *con, struct cc_mocksrv *srv, struct cc_mock_resp *resp)
{
        struct MHD_Response *r = NULL;
        enum MHD_Result ret;
        size_t i;

        if (resp->stream) {
                struct stream_ctx *sc = cc_calloc(1, sizeof(*sc));

                if (!sc)
                        return MHD_NO;
                sc->srv = srv;
                sc->stream = resp->stream;
                sc->stream_free = resp->stream_free;
                sc->ud = resp->stream_ud;
                cc_buf_init(&sc->pending, 0);
                /* the stream context owns ud now */
                resp->stream = NULL;
                resp->stream_free = NULL;
                resp->stream_ud = NULL;
                r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, stream_reader,
                                                      sc, stream_free);
                if (!r) {
                        stream_free(sc);
                        return MHD_NO;
                }
        } else {
                r = MHD_create_response_from_buffer(resp->body.len, resp->body.data,
                                                    MHD_RESPMEM_MUST_COPY);
                if (!r)
                        return MHD_NO;
        }
        if (resp->content_type[0])
                MHD_add_response_header(r, "Content-Type", resp->content_type);
        for (i = 0; i < resp->nheaders; i++)
                MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
        ret = MHD_queue_response(con, (unsigned)resp->status, r);
        MHD_destroy_response(r);
        return ret;
}

static void
sleep_ms(int ms)
{
        struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) && errno == EINTR)
                ;
}

static void
default_fault_body(const struct cc_mock_req *req, int status, struct cc_mock_resp *resp)
{
        char text[128];

        (void)req;
        snprintf(text, sizeof(text), "{\"error\":{\"code\":%d,\"message\":\"injected fault\"}}",
                 status);
        cc_mock_resp_text(resp, status, "application/json; charset=UTF-8", text);
}

static void
fill_error(struct cc_mocksrv *srv, const struct cc_mock_req *req, int status,
           struct cc_mock_resp *resp)
{
        cc_buf_reset(&resp->body);
        if (srv->app.fault_body)
                srv->app.fault_body(srv->app.ud, req, status, resp);
        else
                default_fault_body(req, status, resp);
        resp->status = status;
}

/* peer_subject -- the subject of the client certificate of con if it
 * verifies against the trusted CAs (MHD_OPTION_HTTPS_MEM_TRUST).  MHD only
 * asks for the certificate; checking it is up to us. */
static bool
peer_subject(struct MHD_Connection *con, char *out, size_t size)
{
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(con, MHD_CONNECTION_INFO_GNUTLS_SESSION);
        gnutls_session_t s;
        const gnutls_datum_t *certs;
        gnutls_x509_crt_t crt = NULL;
        gnutls_datum_t dn = { NULL, 0 };
        unsigned int n = 0, status = 1;
        bool ok = false;

        if (!ci || !ci->tls_session)
                goto out;
        s = (gnutls_session_t)ci->tls_session;
        certs = gnutls_certificate_get_peers(s, &n);
        if (!certs || !n)
                goto out;
        if (gnutls_certificate_verify_peers2(s, &status) != GNUTLS_E_SUCCESS || status)
                goto out;
        if (gnutls_x509_crt_init(&crt) != GNUTLS_E_SUCCESS) {
                crt = NULL;
                goto out;
        }
        if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) != GNUTLS_E_SUCCESS)
                goto out;
        /* RFC 4514 order, most specific first: "CN=alice,O=team" */
        if (gnutls_x509_crt_get_dn3(crt, &dn, 0) != GNUTLS_E_SUCCESS || dn.size >= size)
                goto out;
        memcpy(out, dn.data, dn.size);
        out[dn.size] = '\0';
        ok = true;
out:
        if (dn.data)
                gnutls_free(dn.data);
        if (crt)
                gnutls_x509_crt_deinit(crt);
        return ok;
}

void
cc_mocksrv_dispatch(struct cc_mocksrv *srv, const struct cc_mock_req *req,
                    struct cc_mock_resp *resp)
{
        srv->app.handle(srv->app.ud, srv, req, resp);
        record(srv, req, resp);
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *con, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
        struct cc_mocksrv *srv = cls;
        struct conn_state *cs = *con_cls;
        struct cc_mock_req req;
        struct cc_mock_resp resp;
        const char *q;
        enum MHD_Result ret = MHD_NO;
        char subject[512];
        int delay = 0;
        bool faulted = false;
        size_t i;

        (void)version;
        if (!cs)
                return MHD_NO;
        if (!cs->started) {
                cs->started = true;
                return MHD_YES;
        }
        if (*upload_size) {
                if (!cs->too_big && cs->body.len + *upload_size > srv->max_body)
                        cs->too_big = true;
                if (!cs->too_big && cc_buf_append(&cs->body, upload_data, *upload_size))
                        cs->too_big = true;
                *upload_size = 0;
                return MHD_YES;
        }

        q = strchr(cs->raw_uri, '?');
        memset(&req, 0, sizeof(req));
        req.method = method;
        req.path = url;
        req.raw_query = q ? q + 1 : "";
        req.body = cc_buf_str(&cs->body);
        req.body_len = cs->body.len;
        req.conn = con;
        if (srv->client_ca_pem && peer_subject(con, subject, sizeof(subject)))
                req.client_subject = subject;
        cc_mock_resp_init(&resp);

        pthread_mutex_lock(&srv->lock);
        if (!strncmp(url, "/_mock/", 7)) {
                serve_admin(srv, &req, &resp);
                pthread_mutex_unlock(&srv->lock);
                goto send;
        }
        if (cs->too_big) {
                fill_error(srv, &req, 413, &resp);
                record(srv, &req, &resp);
                pthread_mutex_unlock(&srv->lock);
                goto send;
        }
        for (i = 0; i < srv->nfaults; i++) {
                struct cc_mock_fault *f = &srv->faults[i];

                if (!cc_mock_fault_match(f, method, url, next_rnd(srv)))
                        continue;
                if (f->action == CC_FAULT_DELAY) {
                        delay += f->delay_ms;
                        continue;
                }
                faulted = true;
                if (f->action == CC_FAULT_DROP) {
                        resp.drop = true;
                } else {
                        fill_error(srv, &req, f->status, &resp);
                        if (f->retry_after >= 0) {
                                char ra[16];

                                snprintf(ra, sizeof(ra), "%d", f->retry_after);
                                cc_mock_resp_header(&resp, "Retry-After", ra);
                        }
                }
                break;
        }
        if (faulted) {
                record(srv, &req, &resp);
                pthread_mutex_unlock(&srv->lock);
                goto send;
        }
        if (delay) {
                pthread_mutex_unlock(&srv->lock);
                sleep_ms(delay);
                pthread_mutex_lock(&srv->lock);
        }
        cc_mocksrv_dispatch(srv, &req, &resp);
        pthread_mutex_unlock(&srv->lock);
send:
        if (!resp.drop)
                ret = queue(con, srv, &resp);
        cc_mock_resp_release(&resp);
        return ret;
}

/* --- lifecycle ----------------------------------------------------------- */

static char *
read_pem(const char *path, struct cc_diag *d)
{
        struct cc_buf b = CC_BUF_INIT(1 << 20);
        char chunk[4096];
        size_t n;
        FILE *f = fopen(path, "rb");

        if (!f) {
                cc_diag_set(d, CC_IO, 0, "cannot open '%s': %s", path, strerror(errno));
                return NULL;
        }
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
                if (cc_buf_append(&b, chunk, n)) {
                        fclose(f);
                        cc_diag_set(d, CC_TOOBIG, 0, "cannot read '%s': too big", path);
                        return NULL;
                }
        }
        fclose(f);
        return cc_buf_detach(&b, NULL);
}

cc_err
cc_mocksrv_start(const struct cc_mocksrv_opts *opts, const struct cc_mock_app *app,
                 struct cc_mocksrv **out, struct cc_diag *d)
{
        struct cc_mocksrv *srv = NULL;
        struct sockaddr_in sa;
        struct MHD_OptionItem tls[4];
        size_t ntls = 0;
        const union MHD_DaemonInfo *info;
        unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                         MHD_USE_POLL | MHD_USE_ERROR_LOG;
        cc_err rc = CC_OK;

        if (!app || !app->handle)
                return cc_diag_set(d, CC_INVAL, 0, "mock server needs a handler");
        if ((opts->tls_cert == NULL) != (opts->tls_key == NULL))
                return cc_diag_set(d, CC_INVAL, 0, "--tls-cert and --tls-key go together");
        if (opts->client_ca && !opts->tls_cert)
                return cc_diag_set(d, CC_INVAL, 0, "--client-ca needs --tls-cert and --tls-key");
        srv = cc_calloc(1, sizeof(*srv));
        if (!srv)
                return cc_diag_set(d, CC_NOMEM, 0, "out of memory");
        pthread_mutex_init(&srv->lock, NULL);
        srv->app = *app;
        srv->max_body = opts->max_body ? opts->max_body : (8u << 20);
        srv->log_max = opts->log_max ? opts->log_max : 100000;
        srv->rnd_state = opts->seed ? opts->seed : 12345;

        if (opts->tls_cert) {
                if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
                        rc = cc_diag_set(d, CC_NOTSUP, 0, "libmicrohttpd was built without TLS");
                        goto out;
                }
                srv->tls_cert_pem = read_pem(opts->tls_cert, d);
                srv->tls_key_pem = srv->tls_cert_pem ? read_pem(opts->tls_key, d) : NULL;
                if (!srv->tls_cert_pem || !srv->tls_key_pem) {
                        rc = d ? d->code : CC_IO;
                        goto out;
                }
                flags |= MHD_USE_TLS;
                tls[ntls++] =
                    (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert_pem };
                tls[ntls++] =
                    (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key_pem };
        }
        if (opts->client_ca) {
                srv->client_ca_pem = read_pem(opts->client_ca, d);
                if (!srv->client_ca_pem) {
                        rc = d ? d->code : CC_IO;
                        goto out;
                }
                /* MHD then asks for a client certificate in the handshake */
                tls[ntls++] =
                    (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, srv->client_ca_pem };
        }
        tls[ntls] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_port = htons((uint16_t)opts->port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        srv->mhd = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, srv, MHD_OPTION_SOCK_ADDR, &sa,
                                    MHD_OPTION_URI_LOG_CALLBACK, uri_logger, srv,
                                    MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
                                    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)600, MHD_OPTION_ARRAY,
                                    tls, MHD_OPTION_END);
        if (!srv->mhd) {
                rc = cc_diag_set(d, CC_IO, 0, "cannot listen on 127.0.0.1:%d", opts->port);
                goto out;
        }
        info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
        srv->port = info ? info->port : opts->port;
        snprintf(srv->url, sizeof(srv->url), "%s://127.0.0.1:%d",
                 srv->tls_cert_pem ? "https" : "http", srv->port);
        *out = srv;
        srv = NULL;
out:
        if (srv) {
                cc_free(srv->tls_cert_pem);
                cc_free(srv->tls_key_pem);
                cc_free(srv->client_ca_pem);
                pthread_mutex_destroy(&srv->lock);
                cc_free(srv);
        }
        return rc;
}

void
cc_mocksrv_stop(struct cc_mocksrv *srv)
{
        if (!srv)
                return;
        pthread_mutex_lock(&srv->lock);
        srv->stopping = true;
        pthread_mutex_unlock(&srv->lock);
        if (srv->mhd)
                MHD_stop_daemon(srv->mhd);
        log_clear(srv);
        cc_free(srv->log);
        cc_free(srv->tls_cert_pem);
        cc_free(srv->tls_key_pem);
        cc_free(srv->client_ca_pem);
        pthread_mutex_destroy(&srv->lock);
        cc_free(srv);
}

int
cc_mocksrv_port(const struct cc_mocksrv *srv)
{
        return srv->port;
}

const char *
cc_mocksrv_url(const struct cc_mocksrv *srv)
{
        return srv->url;
}

pthread_mutex_t *
cc_mocksrv_mutex(struct cc_mocksrv *srv)
{
        return &srv->lock;
}

bool
cc_mocksrv_stopping(const struct cc_mocksrv *srv)
{
        return srv->stopping;
}
