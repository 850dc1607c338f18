/* selfsigned.h -- a throwaway TLS server certificate for local test servers.
 *
 * `cloudctl demo` serves its mock Kubernetes clusters over HTTPS (kubectl
 * sends credentials over HTTPS only) with a certificate made for the run:
 * an ECDSA P-256 key and a self-signed certificate for IP 127.0.0.1 and
 * DNS localhost, valid from an hour ago for `days` days, usable as its own
 * CA (a kubeconfig's certificate-authority).  Nothing is cached; the key
 * file is written 0600.
 */
#ifndef CC_SELFSIGNED_H
#define CC_SELFSIGNED_H

#include "core/err.h"

/* cc_selfsigned_write -- generate and write cert_path and key_path (PEM).
 * CC_OK; CC_IO (a file could not be written) or CC_INTERNAL (OpenSSL
 * refused) with d filled, in which case neither file is left behind. */
cc_err cc_selfsigned_write(const char *cert_path, const char *key_path, int days,
                           struct cc_diag *d);

#endif
