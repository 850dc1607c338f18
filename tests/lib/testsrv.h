/* testsrv.h -- a small HTTP(S) server on libmicrohttpd for tests.
 *
 * Listens on 127.0.0.1 on a random port (bind to port 0, then ask the
 * daemon).  Each connection gets its own thread, so a handler may block:
 * sleep, wait on a condition variable, stream slowly.  The handler runs on
 * a server thread -- share state with the test through atomics or locks.
 *
 * The handler fills a struct cc_testsrv_resp: a status, headers and a body
 * (copied), optionally a delay before answering, a point at which to cut
 * the connection mid-body, or a stream function producing a chunked body
 * piece by piece.
 */
#ifndef CC_TESTSRV_H
#define CC_TESTSRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CC_TESTSRV_MAX_HEADERS 8

struct cc_testsrv;

struct cc_testsrv_req {
        const char *method;
        const char *path; /* without the query */
        const char *body; /* NUL-terminated copy of the request body */
        size_t body_len;
        unsigned seq;        /* 1-based arrival order across the server's life */
        uint64_t arrival_ms; /* CLOCK_MONOTONIC milliseconds when the request was complete */
        void *conn;          /* the MHD connection, for cc_testsrv_req_header() */
};

/* cc_testsrv_stream_fn -- produce the next piece of a chunked body at
 * offset pos into buf (max bytes).  Return the byte count, 0 to end the
 * body, or -1 to cut the connection.  Runs on the connection's thread and
 * may block. */
typedef ssize_t (*cc_testsrv_stream_fn)(void *ud, uint64_t pos, char *buf, size_t max);

struct cc_testsrv_resp {
        int status;                                  /* default 200 */
        const char *headers[CC_TESTSRV_MAX_HEADERS]; /* "Name: value" */
        const char *body;                            /* copied; NULL = empty */
        size_t body_len;                             /* 0 = strlen(body) */
        unsigned delay_ms;                           /* sleep before answering */
        size_t close_after;          /* > 0: announce body_len, send this many bytes, cut */
        cc_testsrv_stream_fn stream; /* chunked body from this */
        void *stream_ud;
};

typedef void (*cc_testsrv_handler)(const struct cc_testsrv_req *req, struct cc_testsrv_resp *resp,
                                   void *ud);

/* cc_testsrv_start -- serve plain HTTP with handler; NULL on failure. */
struct cc_testsrv *cc_testsrv_start(cc_testsrv_handler handler, void *ud);

/* cc_testsrv_start_tls -- serve HTTPS with a PEM certificate and key. */
struct cc_testsrv *cc_testsrv_start_tls(cc_testsrv_handler handler, void *ud, const char *cert_pem,
                                        const char *key_pem);

/* cc_testsrv_stop -- stop (waits for connection threads) and free. */
void cc_testsrv_stop(struct cc_testsrv *s);

uint16_t cc_testsrv_port(const struct cc_testsrv *s);

/* cc_testsrv_url -- "http://127.0.0.1:<port><path>" (https for TLS) into a
 * buffer owned by the server, valid until the next call. */
const char *cc_testsrv_url(struct cc_testsrv *s, const char *path);

/* cc_testsrv_count -- requests answered so far. */
unsigned cc_testsrv_count(const struct cc_testsrv *s);

/* cc_testsrv_req_header -- a request header (case-insensitive) or NULL. */
const char *cc_testsrv_req_header(const struct cc_testsrv_req *req, const char *name);

/* cc_testsrv_tls_selfsigned -- a fresh self-signed P-256 certificate for
 * CN and IP SAN 127.0.0.1, as cc_malloc'd PEM strings.  Test use only. */
bool cc_testsrv_tls_selfsigned(char **cert_pem, char **key_pem);

/* cc_testsrv_tls_issue -- a fresh P-256 client certificate (CA:FALSE,
 * extendedKeyUsage clientAuth) for subject O=org (org may be NULL), CN=cn,
 * signed by the CA given as PEM (a certificate from
 * cc_testsrv_tls_selfsigned() is a CA), as cc_malloc'd PEM strings.  Test
 * use only. */
bool cc_testsrv_tls_issue(const char *ca_cert_pem, const char *ca_key_pem, const char *cn,
                          const char *org, char **cert_pem, char **key_pem);

#endif
