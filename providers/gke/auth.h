/* auth.h -- Google OAuth2 access tokens on the event loop.
 *
 * DESIGN
 * ------
 * A token source (struct cc_gke_auth) hands out the bearer token every API
 * call carries.  Sources:
 *   NONE      no Authorization header at all (mocks without --require-auth);
 *   FILE      a JSON credentials file whose "type" decides:
 *               service_account  JWT-bearer grant (RFC 7523): an RS256
 *                                assertion signed with the file's key, POSTed
 *                                to the file's token_uri (or the override);
 *               authorized_user  refresh_token grant (an ADC file written by
 *                                `gcloud auth application-default login`);
 *   METADATA  the GCE metadata server's default service account (Workload
 *             Identity), GET .../service-accounts/default/token with
 *             Metadata-Flavor: Google.
 * Finding the ADC file (GOOGLE_APPLICATION_CREDENTIALS, the gcloud config
 * directory) is the caller's business: it passes the path as key_file.
 *
 * Caching: the token lives in a struct cc_secret.  It is handed out until it
 * expires (less a small safety margin); from refresh_early_s before expiry
 * (or half its lifetime, if shorter) a call still gets the cached token at
 * once and a refresh starts in the background.  At most one fetch is in
 * flight: callers that need a token meanwhile are queued as waiters and all
 * fire when it completes.  cc_gke_auth_invalidate() drops a token an API
 * rejected with 401, so the next call fetches a new one.
 *
 * Secrets: the private key, client secret, refresh token, assertion and
 * access token are kept in struct cc_secret (wiped on release) and never
 * logged; token endpoint errors are reported with the endpoint's error code
 * and description only.
 */
#ifndef CC_GKE_AUTH_H
#define CC_GKE_AUTH_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/err.h"
#include "core/http.h"
#include "core/secret.h"

#define CC_GKE_SCOPE_CLOUD     "https://www.googleapis.com/auth/cloud-platform"
#define CC_GKE_TOKEN_AUD       "https://oauth2.googleapis.com/token"
#define CC_GKE_METADATA_ROOT   "http://169.254.169.254"
#define CC_GKE_REFRESH_EARLY_S 300

enum cc_gke_auth_type {
        CC_GKE_AUTH_NONE = 0,
        CC_GKE_AUTH_FILE,     /* service_account or authorized_user JSON */
        CC_GKE_AUTH_METADATA, /* GCE metadata server */
};

/* the credential kind a FILE source turned out to be */
enum cc_gke_cred {
        CC_GKE_CRED_NONE = 0,
        CC_GKE_CRED_SERVICE_ACCOUNT,
        CC_GKE_CRED_AUTHORIZED_USER,
        CC_GKE_CRED_METADATA,
};

struct cc_gke_auth_opts {
        enum cc_gke_auth_type type;
        const char *key_file;      /* FILE: the credentials JSON */
        const char *token_uri;     /* overrides the file's token_uri (and the default) */
        const char *metadata_root; /* METADATA: NULL = CC_GKE_METADATA_ROOT */
        const char *scope;         /* NULL = CC_GKE_SCOPE_CLOUD */
        uint64_t refresh_early_s;  /* 0 = CC_GKE_REFRESH_EARLY_S */
        const char *rate_group;    /* rate limit group for token calls, may be NULL */
        /* wall clock in seconds; NULL = time(NULL).  Tests pass a fake. */
        time_t (*clock)(void *ud);
        void *clock_ud;
};

struct cc_gke_auth_waiter;

/* A waiter's callback: rc CC_OK with tok (valid during the call; NULL for
 * a NONE source), or the error with d. */
typedef void (*cc_gke_auth_fn)(struct cc_gke_auth_waiter *w, cc_err rc, const struct cc_secret *tok,
                               const struct cc_diag *d, void *ud);

/* Embedded in the caller's state; no allocation. */
struct cc_gke_auth_waiter {
        struct cc_gke_auth_waiter *next;
        cc_gke_auth_fn fn;
        void *ud;
        bool queued;
};

struct cc_gke_auth {
        struct cc_http *http;
        enum cc_gke_auth_type type;
        enum cc_gke_cred cred;
        char *token_uri;
        char *metadata_url;
        char *scope;
        char *client_email; /* service_account */
        char *key_id;
        char *client_id; /* authorized_user */
        struct cc_secret private_key;
        struct cc_secret client_secret;
        struct cc_secret refresh_token;
        char *rate_group;
        uint64_t refresh_early_s;
        time_t (*clock)(void *ud);
        void *clock_ud;
        /* cache */
        struct cc_secret token;
        time_t refresh_at, expires_at;
        struct cc_http_req *inflight;
        struct cc_gke_auth_waiter *waiters;
        unsigned long fetches; /* token requests sent, for tests and metrics */
};

/* cc_gke_auth_init -- set up a source on http (which must outlive it).
 * FILE reads and validates the file now (CC_IO unreadable, CC_INVAL
 * malformed or of an unsupported type, with the path in d).  Nothing is
 * fetched yet.  On error nothing needs releasing. */
cc_err cc_gke_auth_init(struct cc_gke_auth *a, struct cc_http *http,
                        const struct cc_gke_auth_opts *o, struct cc_diag *d);

/* cc_gke_auth_release -- cancel a fetch in flight (waiters are dropped
 * without a call) and wipe every secret.  NULL-safe, idempotent.  The
 * canceled fetch's callback still reads a (and finds it released), so a
 * must stay in memory until that callback ran: release the http client
 * (which runs it) or run the loop before freeing a. */
void cc_gke_auth_release(struct cc_gke_auth *a);

/* cc_gke_auth_token -- a token for the next API call.
 *   CC_OK     *tok is the current token (NULL for a NONE source), valid
 *             until control returns to the loop; w is not used;
 *   CC_AGAIN  w (embedded in the caller, set up with fn/ud) is queued and
 *             w->fn fires exactly once later, on the loop thread, unless
 *             cc_gke_auth_cancel(a, w) is called first;
 *   other     error in d; w->fn never fires. */
cc_err cc_gke_auth_token(struct cc_gke_auth *a, struct cc_gke_auth_waiter *w,
                         const struct cc_secret **tok, struct cc_diag *d);

/* cc_gke_auth_cancel -- unqueue w; its fn will not fire.  No-op if not queued. */
void cc_gke_auth_cancel(struct cc_gke_auth *a, struct cc_gke_auth_waiter *w);

/* cc_gke_auth_invalidate -- an API answered 401 to a call made with
 * rejected: forget the cached token if it still is that one. */
void cc_gke_auth_invalidate(struct cc_gke_auth *a, const char *rejected);

/* cc_gke_auth_email -- the service account's email ("" when unknown). */
const char *cc_gke_auth_email(const struct cc_gke_auth *a);

/* --- helpers, exposed for tests ----------------------------------------- */

/* cc_gke_jwt_assertion -- the RS256 JWT-bearer assertion for a service
 * account: header {alg RS256, typ JWT, kid}, claims {iss, scope, aud, iat,
 * exp = iat + 3600}.  key_pem is the PKCS#8 private key.  The result goes
 * into out (wiped on release).  CC_INVAL when the key cannot sign. */
cc_err cc_gke_jwt_assertion(const char *email, const char *kid, const struct cc_secret *key_pem,
                            const char *scope, const char *aud, time_t iat, struct cc_secret *out,
                            struct cc_diag *d);

/* cc_gke_auth_store -- record a token fetched at now valid for expires_in
 * seconds (the cache logic, exposed for tests). */
cc_err cc_gke_auth_store(struct cc_gke_auth *a, const char *token, long expires_in, time_t now);

#endif
