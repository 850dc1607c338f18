/* err.h -- one error vocabulary and a fixed-size diagnostics record.
 *
 * Every fallible function returns a cc_err.  When the caller passes a
 * struct cc_diag, the callee fills it with the details a human needs:
 * the code, the HTTP status if one was involved, a message and the
 * server's request id.  Filling a diag never allocates, so reporting an
 * out-of-memory condition cannot itself fail.
 *
 * Message grammar: lowercase, no full stop, error first, subject in quotes:
 *   cannot create url map 'cc1-um-abc': quota exceeded
 */
#ifndef CC_ERR_H
#define CC_ERR_H

#include <stdarg.h>
#include <stddef.h>

typedef enum cc_err {
        CC_OK = 0,
        CC_NOMEM,     /* an allocation failed */
        CC_INVAL,     /* bad input: malformed document, invalid argument */
        CC_NOTFOUND,  /* the thing does not exist */
        CC_CONFLICT,  /* exists already, or a precondition (fingerprint, resourceVersion) failed */
        CC_RATELIMIT, /* throttled (429, rateLimitExceeded) */
        CC_TRANSIENT, /* worth retrying: 5xx, reset, timeout */
        CC_AUTH,      /* authentication or permission failure */
        CC_QUOTA,     /* a quota is exhausted; retrying will not help */
        CC_NOTSUP,    /* not supported */
        CC_AGAIN,     /* async: the callback fires later */
        CC_INTERNAL,  /* a bug or an impossible state */
        CC_TOOBIG,    /* a size cap was hit */
        CC_IO,        /* a local I/O error (file, socket) */
        CC_CANCELED,  /* the operation was canceled (shutdown) */
        CC_ERR__COUNT
} cc_err;

#define CC_DIAG_MSG_MAX 512
#define CC_DIAG_RID_MAX 96

struct cc_diag {
        cc_err code;
        int http_status;                  /* 0 when no HTTP exchange was involved */
        char message[CC_DIAG_MSG_MAX];    /* truncated, always NUL-terminated */
        char request_id[CC_DIAG_RID_MAX]; /* server request id, "" if none */
};

/* cc_err_name -- a stable lowercase name for a code ("nomem", "quota", ...). */
const char *cc_err_name(cc_err code);

/* cc_diag_clear -- reset a diag to CC_OK with empty strings.  NULL-safe. */
void cc_diag_clear(struct cc_diag *d);

/* cc_diag_set -- record an error and return its code, so that callers can
 * write `return cc_diag_set(d, CC_INVAL, 0, "bad '%s'", x);`.  d may be NULL. */
cc_err cc_diag_set(struct cc_diag *d, cc_err code, int http_status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
cc_err cc_diag_vset(struct cc_diag *d, cc_err code, int http_status, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* cc_diag_prefix -- prepend context to an existing message:
 * "cannot load 'x.yaml'" + ": " + old message.  Keeps code and status. */
void cc_diag_prefix(struct cc_diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* cc_diag_set_request_id -- copy a server request id (truncated). */
void cc_diag_set_request_id(struct cc_diag *d, const char *rid);

#endif
