/* config.h -- where the Kubernetes API is and how to authenticate to it.
 *
 * Two sources, with the rules of client-go's clientcmd:
 *
 * kubeconfig files.  Clusters (server, certificate-authority[-data],
 * insecure-skip-tls-verify, tls-server-name), users (token, tokenFile,
 * client-certificate[-data], client-key[-data], exec credential plugins of
 * apiVersion client.authentication.k8s.io/v1 or v1beta1), contexts
 * (cluster, user, namespace) and current-context.  Several files (the
 * KUBECONFIG list) are merged the way kubectl merges them: for clusters,
 * users and contexts the first file that defines a name wins, and the first
 * file that sets current-context wins.  Relative paths are resolved against
 * the directory of the file that holds them.  Every entry of every file is
 * type-checked, used or not; errors name the file and the field:
 *   kubeconfig '/x/config': field 'users[0].user.exec.command': expected string
 * Basic auth (username/password) and auth-provider are refused (CC_NOTSUP)
 * when the selected user carries them.
 *
 * In-cluster.  KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT give the
 * server (https, IPv6 hosts bracketed); the service-account directory holds
 * token (the client re-reads it, since bound tokens rotate), ca.crt and
 * namespace (POD_NAMESPACE overrides it).  The directory is a field of
 * struct cc_kube_env so that tests can point it at a temp dir.
 *
 * The process environment is read in exactly one place,
 * cc_kube_env_read(), which the program calls at start; everything else
 * takes a struct cc_kube_env.
 *
 * Secrets (tokens, private keys) are held in struct cc_secret and never
 * appear in a message or a log line.  Loading reads files and is meant to
 * run at start, before the loop; it blocks.
 */
#ifndef CC_KUBE_CONFIG_H
#define CC_KUBE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/secret.h"
#include "core/strv.h"

#define CC_KUBE_SA_DIR_DEFAULT "/var/run/secrets/kubernetes.io/serviceaccount"
#define CC_KUBE_EXEC_V1        "client.authentication.k8s.io/v1"
#define CC_KUBE_EXEC_V1BETA1   "client.authentication.k8s.io/v1beta1"

/* The process inputs, borrowed pointers valid as long as the environment. */
struct cc_kube_env {
        const char *kubeconfig;          /* KUBECONFIG: colon-separated paths, or NULL */
        const char *home;                /* HOME, for ~/.kube/config */
        const char *service_host;        /* KUBERNETES_SERVICE_HOST */
        const char *service_port;        /* KUBERNETES_SERVICE_PORT */
        const char *pod_namespace;       /* POD_NAMESPACE */
        const char *sa_dir;              /* service-account dir; NULL = CC_KUBE_SA_DIR_DEFAULT */
        const char *const *environ_base; /* "K=V" list handed to exec plugins (NULL = none) */
};

/* An exec credential plugin as configured (users[].user.exec). */
struct cc_kube_exec {
        char *api_version;   /* CC_KUBE_EXEC_V1 or CC_KUBE_EXEC_V1BETA1 */
        char *command;       /* program; PATH is searched unless it holds a '/' */
        struct cc_strv args; /* argv[1..] */
        struct cc_strv env;  /* extra "NAME=value" entries */
        char *install_hint;  /* shown when the program is missing; may be NULL */
        bool provide_cluster_info;
};

struct cc_kube_config {
        char *source;    /* file that selected the context, or "in-cluster" (messages) */
        char *context;   /* selected context name ("" in-cluster) */
        char *server;    /* base URL without a trailing slash; a path prefix is kept */
        char *namespace; /* default namespace, "default" if unset */
        /* server verification */
        char *ca_file;     /* absolute or as given */
        char *ca_pem;      /* certificate-authority-data, decoded */
        char *ca_data_b64; /* certificate-authority-data as given (exec cluster info) */
        bool insecure;     /* insecure-skip-tls-verify */
        char *tls_server_name;
        /* credentials */
        struct cc_secret token;
        char *token_file; /* tokenFile or the in-cluster token: re-read by the client */
        char *cert_file, *key_file;
        char *cert_pem;           /* client-certificate-data, decoded */
        struct cc_secret key_pem; /* client-key-data, decoded */
        bool has_exec;
        struct cc_kube_exec exec;
        const char *const *environ_base; /* from the env, for exec plugins (borrowed) */
};

/* cc_kube_env_read -- fill e from the process environment.  The only
 * function of the kube module that reads it.  Pointers stay valid while
 * the environment is not modified. */
void cc_kube_env_read(struct cc_kube_env *e);

/* cc_kube_config_load -- pick the configuration the way controller-runtime
 * does: the explicit kubeconfig path if given; else the KUBECONFIG list;
 * else in-cluster when KUBERNETES_SERVICE_HOST is set; else
 * $HOME/.kube/config.  context (NULL = current-context) overrides the
 * context for kubeconfig sources.  On CC_OK c is filled and must be
 * released; on error c is untouched and d says why.  Codes: CC_NOTFOUND
 * (no file, no such context/cluster/user), CC_INVAL (malformed), CC_NOTSUP,
 * CC_IO, CC_NOMEM. */
cc_err cc_kube_config_load(struct cc_kube_config *c, const struct cc_kube_env *e,
                           const char *kubeconfig, const char *context, struct cc_diag *d);

/* cc_kube_config_load_files -- merge paths[0..n) (kubectl rules; files that
 * do not exist are skipped, but at least one must exist) and resolve
 * context (NULL = current-context).  e may be NULL (no exec base env). */
cc_err cc_kube_config_load_files(struct cc_kube_config *c, const char *const *paths, size_t n,
                                 const char *context, const struct cc_kube_env *e,
                                 struct cc_diag *d);

/* cc_kube_config_in_cluster -- the in-cluster configuration.  CC_NOTFOUND
 * when the service variables are not both set or the token is missing. */
cc_err cc_kube_config_in_cluster(struct cc_kube_config *c, const struct cc_kube_env *e,
                                 struct cc_diag *d);

/* cc_kube_config_release -- free everything, wiping secrets; NULL-safe,
 * leaves c zeroed. */
void cc_kube_config_release(struct cc_kube_config *c);

/* --- helpers shared with the client, exposed for tests ------------------- */

/* cc_kube_read_file -- read a small file (at most max bytes) into a fresh
 * NUL-terminated cc_malloc'd string; trailing whitespace is kept.  Blocks.
 * CC_NOTFOUND, CC_IO, CC_TOOBIG, CC_NOMEM. */
cc_err cc_kube_read_file(const char *path, size_t max, char **out, size_t *len, struct cc_diag *d);

/* cc_kube_base64_decode -- standard base64 (whitespace ignored) into a
 * fresh NUL-terminated cc_malloc'd buffer.  CC_INVAL or CC_NOMEM. */
cc_err cc_kube_base64_decode(const char *in, char **out, size_t *len);

#endif
