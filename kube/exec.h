/* exec.h -- exec credential plugins (client.authentication.k8s.io).
 *
 * A kubeconfig user may name a program that prints an ExecCredential on
 * stdout (gke-gcloud-auth-plugin and the like).  cc_kube_exec_run() starts
 * it on the loop with cc_child_spawn(): argv is the command and its args,
 * the environment is the base environment plus the configured env entries
 * plus KUBERNETES_EXEC_INFO (an ExecCredential with spec.interactive=false
 * and, with provideClusterInfo, spec.cluster.server and
 * certificate-authority-data).  stdin is /dev/null: interactiveMode is
 * ignored, plugins run non-interactively.
 *
 * The output must be an ExecCredential of the configured apiVersion with
 * status.token, or status.clientCertificateData and status.clientKeyData
 * (PEM), and optionally status.expirationTimestamp (RFC 3339).  Without an
 * expiry the credential is good until the server answers 401.
 */
#ifndef CC_KUBE_EXEC_H
#define CC_KUBE_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/err.h"
#include "core/loop.h"
#include "core/secret.h"
#include "kube/config.h"

struct cc_kube_cred {
        struct cc_secret token;
        char *cert_pem;           /* client certificate (PEM) or NULL */
        struct cc_secret key_pem; /* its key */
        bool expires;
        time_t expiry; /* wall clock, valid when expires */
};

/* cc_kube_cred_release -- wipe and free; NULL-safe; leaves c zeroed. */
void cc_kube_cred_release(struct cc_kube_cred *c);

/* cc_kube_cred_fresh -- true while c holds a credential that has not
 * expired at now (wall clock seconds).  A credential is treated as expired
 * 10 seconds early, so a request does not race the expiry. */
bool cc_kube_cred_fresh(const struct cc_kube_cred *c, time_t now);

/* cc_kube_exec_cred_parse -- parse a plugin's stdout.  api_version is the
 * one configured (the output must carry the same).  On CC_OK *out is filled
 * (release it); on CC_INVAL d names the problem without quoting secrets:
 *   "exec plugin 'p': field 'status.token': expected string". */
cc_err cc_kube_exec_cred_parse(const char *buf, size_t len, const char *plugin,
                               const char *api_version, struct cc_kube_cred *out,
                               struct cc_diag *d);

/* cc_kube_rfc3339_parse -- "2025-01-01T01:00:00Z", with optional fraction
 * and a Z or +hh:mm/-hh:mm offset, as seconds since the epoch.  False when
 * malformed. */
bool cc_kube_rfc3339_parse(const char *s, time_t *out);

/* Called once on the loop thread: rc CC_OK with cred filled (the callback
 * owns it and must release it), or an error with d saying why (non-zero
 * exit with the plugin's stderr, missing program with the install hint,
 * malformed output, CC_CANCELED at a loop stop). */
typedef void (*cc_kube_exec_fn)(cc_err rc, struct cc_kube_cred *cred, const struct cc_diag *d,
                                void *ud);

/* cc_kube_exec_run -- run the plugin of cfg (cfg->has_exec must be true).
 * CC_AGAIN: fn fires later exactly once.  Any other code: fn never fires
 * (CC_NOTFOUND when the program does not exist, with the install hint). */
cc_err cc_kube_exec_run(struct cc_loop *loop, const struct cc_kube_config *cfg, cc_kube_exec_fn fn,
                        void *ud, struct cc_diag *d);

#endif
