/* testsrv.c -- libmicrohttpd test server: handlers, delays, cuts, streams, TLS.
 *
 * Server threads never call cc_malloc: the allocation-failure hook in
 * core/alloc.c counts allocations process-wide, and a server thread taking
 * part in that count would make failure-injection tests racy.  Per-request
 * state therefore lives in a static slot pool, and MHD copies response
 * bodies with its own allocator.
 */
#include "lib/testsrv.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/banned.h"

#define SLOTS     512
#define SLOT_BODY 16384

struct cc_testsrv {
        struct MHD_Daemon *d;
        cc_testsrv_handler handler;
        void *ud;
        uint16_t port;
        bool tls;
        atomic_uint seq;
        atomic_uint answered;
        char url[256];
};

struct slot {
        atomic_bool used;
        char body[SLOT_BODY + 1];
        size_t len;
        bool overflow;
        /* response side, for callback bodies */
        const char *rbody;
        size_t rlen, close_after;
        cc_testsrv_stream_fn stream;
        void *stream_ud;
};

static struct slot slots[SLOTS];

static struct slot *
slot_get(void)
{
        size_t i;

        for (i = 0; i < SLOTS; i++) {
                bool expect = false;

                if (atomic_compare_exchange_strong(&slots[i].used, &expect, true)) {
                        slots[i].len = 0;
                        slots[i].overflow = false;
                        slots[i].stream = NULL;
                        slots[i].close_after = 0;
                        return &slots[i];
                }
        }
        return NULL;
}

static uint64_t
mono_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
sleep_ms(unsigned ms)
{
        struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) != 0)
                ;
}

static ssize_t
read_cut(void *cls, uint64_t pos, char *buf, size_t max)
{
        struct slot *s = cls;
        size_t n;

        if (pos >= s->close_after)
                return MHD_CONTENT_READER_END_WITH_ERROR;
        n = s->close_after - (size_t)pos;
        if (n > max)
                n = max;
        memcpy(buf, s->rbody + pos, n);
        return (ssize_t)n;
}

static ssize_t
read_stream(void *cls, uint64_t pos, char *buf, size_t max)
{
        struct slot *s = cls;
        ssize_t n = s->stream(s->stream_ud, pos, buf, max);

        if (n == 0)
                return MHD_CONTENT_READER_END_OF_STREAM;
        if (n < 0)
                return MHD_CONTENT_READER_END_WITH_ERROR;
        return n;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
        struct slot *s = *con_cls;

        if (s)
                atomic_store(&s->used, false);
        *con_cls = NULL;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
           const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
        struct cc_testsrv *srv = cls;
        struct cc_testsrv_resp r = { .status = 200 };
        struct cc_testsrv_req req;
        struct MHD_Response *resp;
        struct slot *s = *con_cls;
        enum MHD_Result ret;
        size_t i;

        if (!s) {
                s = slot_get();
                if (!s)
                        return MHD_NO;
                *con_cls = s;
                return MHD_YES;
        }
        if (*upload_size) {
                size_t n = *upload_size;

                if (s->len + n > SLOT_BODY) {
                        s->overflow = true;
                        n = SLOT_BODY - s->len;
                }
                memcpy(s->body + s->len, upload, n);
                s->len += n;
                *upload_size = 0;
                return MHD_YES;
        }
        s->body[s->len] = '\0';
        req.method = method;
        req.path = url;
        req.body = s->body;
        req.body_len = s->len;
        req.seq = atomic_fetch_add(&srv->seq, 1) + 1;
        req.arrival_ms = mono_ms();
        req.conn = conn;
        srv->handler(&req, &r, srv->ud);
        if (r.delay_ms)
                sleep_ms(r.delay_ms);
        if (r.body && !r.body_len)
                r.body_len = strlen(r.body);
        if (r.stream) {
                s->stream = r.stream;
                s->stream_ud = r.stream_ud;
                resp =
                    MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, read_stream, s, NULL);
        } else if (r.close_after) {
                s->rbody = r.body;
                s->rlen = r.body_len;
                s->close_after = r.close_after < r.body_len ? r.close_after : r.body_len;
                resp = MHD_create_response_from_callback(r.body_len, 4096, read_cut, s, NULL);
        } else {
                resp = MHD_create_response_from_buffer(r.body_len, (void *)(r.body ? r.body : ""),
                                                       MHD_RESPMEM_MUST_COPY);
        }
        if (!resp)
                return MHD_NO;
        for (i = 0; i < CC_TESTSRV_MAX_HEADERS && r.headers[i]; i++) {
                char name[128];
                const char *colon = strchr(r.headers[i], ':');
                const char *v;
                size_t n;

                if (!colon || (n = (size_t)(colon - r.headers[i])) >= sizeof(name))
                        continue;
                memcpy(name, r.headers[i], n);
                name[n] = '\0';
                for (v = colon + 1; *v == ' '; v++)
                        ;
                MHD_add_response_header(resp, name, v);
        }
        ret = MHD_queue_response(conn, (unsigned)r.status, resp);
        MHD_destroy_response(resp);
        atomic_fetch_add(&srv->answered, 1);
        return ret;
}

static struct cc_testsrv *
start(cc_testsrv_handler handler, void *ud, const char *cert, const char *key)
{
        struct cc_testsrv *srv = cc_calloc(1, sizeof(*srv));
        struct sockaddr_in sa;
        const union MHD_DaemonInfo *info;
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                         MHD_USE_POLL | MHD_USE_ITC;

        if (!srv)
                return NULL;
        srv->handler = handler;
        srv->ud = ud;
        srv->tls = cert != NULL;
        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_port = 0;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (cert)
                srv->d = MHD_start_daemon(
                    flags | MHD_USE_TLS, 0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR,
                    (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
                    MHD_OPTION_CONNECTION_LIMIT, (unsigned)SLOTS, MHD_OPTION_HTTPS_MEM_CERT, cert,
                    MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
        else
                srv->d = MHD_start_daemon(
                    flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR,
                    (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
                    MHD_OPTION_CONNECTION_LIMIT, (unsigned)SLOTS, MHD_OPTION_END);
        if (!srv->d)
                goto fail;
        info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
        if (!info || !info->port)
                goto fail;
        srv->port = info->port;
        return srv;
fail:
        if (srv->d)
                MHD_stop_daemon(srv->d);
        cc_free(srv);
        return NULL;
}

struct cc_testsrv *
cc_testsrv_start(cc_testsrv_handler handler, void *ud)
{
        return start(handler, ud, NULL, NULL);
}

struct cc_testsrv *
cc_testsrv_start_tls(cc_testsrv_handler handler, void *ud, const char *cert_pem,
                     const char *key_pem)
{
        if (!cert_pem || !key_pem || MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
                return NULL;
        return start(handler, ud, cert_pem, key_pem);
}

void
cc_testsrv_stop(struct cc_testsrv *s)
{
        if (!s)
                return;
        MHD_stop_daemon(s->d);
        cc_free(s);
}

uint16_t
cc_testsrv_port(const struct cc_testsrv *s)
{
        return s->port;
}

const char *
cc_testsrv_url(struct cc_testsrv *s, const char *path)
{
        snprintf(s->url, sizeof(s->url), "%s://127.0.0.1:%u%s", s->tls ? "https" : "http",
                 (unsigned)s->port, path ? path : "/");
        return s->url;
}

unsigned
cc_testsrv_count(const struct cc_testsrv *s)
{
        return atomic_load(&s->answered);
}

const char *
cc_testsrv_req_header(const struct cc_testsrv_req *req, const char *name)
{
        return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

static char *
bio_to_string(BIO *b)
{
        char *data = NULL, *out;
        long n = BIO_get_mem_data(b, &data);

        if (n <= 0)
                return NULL;
        out = cc_malloc((size_t)n + 1);
        if (!out)
                return NULL;
        memcpy(out, data, (size_t)n);
        out[n] = '\0';
        return out;
}

static bool
add_ext(X509 *x, int nid, const char *value)
{
        X509V3_CTX ctx;
        X509_EXTENSION *ext;
        bool ok;

        X509V3_set_ctx_nodb(&ctx);
        X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
        ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
        if (!ext)
                return false;
        ok = X509_add_ext(x, ext, -1) == 1;
        X509_EXTENSION_free(ext);
        return ok;
}

bool
cc_testsrv_tls_selfsigned(char **cert_pem, char **key_pem)
{
        EVP_PKEY *pkey = EVP_EC_gen("P-256");
        X509 *x = X509_new();
        X509_NAME *name;
        BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
        char *c = NULL, *k = NULL;
        bool ok = false;

        if (!pkey || !x || !cb || !kb)
                goto out;
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(time(NULL) & 0x7fffffff));
        X509_gmtime_adj(X509_getm_notBefore(x), -3600);
        X509_gmtime_adj(X509_getm_notAfter(x), 86400);
        X509_set_pubkey(x, pkey);
        name = X509_get_subject_name(x);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1,
                                   -1, 0);
        X509_set_issuer_name(x, name);
        if (!add_ext(x, NID_basic_constraints, "critical,CA:TRUE") ||
            !add_ext(x, NID_key_usage, "critical,digitalSignature,keyCertSign") ||
            !add_ext(x, NID_subject_key_identifier, "hash") ||
            !add_ext(x, NID_subject_alt_name, "IP:127.0.0.1"))
                goto out;
        if (!X509_sign(x, pkey, EVP_sha256()))
                goto out;
        if (!PEM_write_bio_X509(cb, x) ||
            !PEM_write_bio_PrivateKey(kb, pkey, NULL, NULL, 0, NULL, NULL))
                goto out;
        c = bio_to_string(cb);
        k = bio_to_string(kb);
        if (!c || !k)
                goto out;
        *cert_pem = c;
        *key_pem = k;
        c = k = NULL;
        ok = true;
out:
        cc_free(c);
        cc_free(k);
        BIO_free(cb);
        BIO_free(kb);
        X509_free(x);
        EVP_PKEY_free(pkey);
        return ok;
}

static X509 *
pem_cert(const char *pem)
{
        BIO *b = BIO_new_mem_buf(pem, -1);
        X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

        BIO_free(b);
        return x;
}

static EVP_PKEY *
pem_key(const char *pem)
{
        BIO *b = BIO_new_mem_buf(pem, -1);
        EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;

        BIO_free(b);
        return k;
}

bool
cc_testsrv_tls_issue(const char *ca_cert_pem, const char *ca_key_pem, const char *cn,
                     const char *org, char **cert_pem, char **key_pem)
{
        static long serial = 1000;
        X509 *ca = pem_cert(ca_cert_pem);
        EVP_PKEY *ca_key = pem_key(ca_key_pem);
        EVP_PKEY *pkey = EVP_EC_gen("P-256");
        X509 *x = X509_new();
        X509_NAME *name;
        BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
        char *c = NULL, *k = NULL;
        bool ok = false;

        if (!ca || !ca_key || !pkey || !x || !cb || !kb)
                goto out;
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), ++serial);
        X509_gmtime_adj(X509_getm_notBefore(x), -3600);
        X509_gmtime_adj(X509_getm_notAfter(x), 86400);
        X509_set_pubkey(x, pkey);
        name = X509_get_subject_name(x);
        if (org)
                X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)org, -1,
                                           -1, 0);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
        X509_set_issuer_name(x, X509_get_subject_name(ca));
        if (!add_ext(x, NID_basic_constraints, "critical,CA:FALSE") ||
            !add_ext(x, NID_key_usage, "critical,digitalSignature") ||
            !add_ext(x, NID_ext_key_usage, "clientAuth"))
                goto out;
        if (!X509_sign(x, ca_key, EVP_sha256()))
                goto out;
        if (!PEM_write_bio_X509(cb, x) ||
            !PEM_write_bio_PrivateKey(kb, pkey, NULL, NULL, 0, NULL, NULL))
                goto out;
        c = bio_to_string(cb);
        k = bio_to_string(kb);
        if (!c || !k)
                goto out;
        *cert_pem = c;
        *key_pem = k;
        c = k = NULL;
        ok = true;
out:
        cc_free(c);
        cc_free(k);
        BIO_free(cb);
        BIO_free(kb);
        X509_free(x);
        X509_free(ca);
        EVP_PKEY_free(pkey);
        EVP_PKEY_free(ca_key);
        return ok;
}
