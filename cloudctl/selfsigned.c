/* selfsigned.c -- a throwaway self-signed TLS certificate (OpenSSL). */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cloudctl/selfsigned.h"
#include "core/banned.h"

static bool
add_ext(X509 *crt, int nid, const char *value)
{
        X509V3_CTX ctx;
        X509_EXTENSION *ext;
        bool ok;

        X509V3_set_ctx_nodb(&ctx);
        X509V3_set_ctx(&ctx, crt, crt, NULL, NULL, 0);
        ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
        if (!ext)
                return false;
        ok = X509_add_ext(crt, ext, -1) == 1;
        X509_EXTENSION_free(ext);
        return ok;
}

static X509 *
make_cert(EVP_PKEY *key, int days)
{
        X509 *crt = X509_new();
        X509_NAME *name;
        unsigned char serial[16];
        BIGNUM *bn = NULL;
        bool ok = false;

        if (!crt || RAND_bytes(serial, sizeof(serial)) != 1)
                goto out;
        serial[0] &= 0x7f; /* a positive serial */
        bn = BN_bin2bn(serial, sizeof(serial), NULL);
        if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(crt)))
                goto out;
        if (X509_set_version(crt, 2) != 1 || !X509_gmtime_adj(X509_getm_notBefore(crt), -3600) ||
            !X509_gmtime_adj(X509_getm_notAfter(crt), (long)days * 86400) ||
            X509_set_pubkey(crt, key) != 1)
                goto out;
        name = X509_get_subject_name(crt);
        if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                       (const unsigned char *)"cloudctl demo", -1, -1, 0) != 1 ||
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1",
                                       -1, -1, 0) != 1 ||
            X509_set_issuer_name(crt, name) != 1)
                goto out;
        if (!add_ext(crt, NID_basic_constraints, "critical,CA:TRUE") ||
            !add_ext(crt, NID_key_usage, "critical,digitalSignature,keyCertSign") ||
            !add_ext(crt, NID_ext_key_usage, "serverAuth") ||
            !add_ext(crt, NID_subject_key_identifier, "hash") ||
            !add_ext(crt, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"))
                goto out;
        if (X509_sign(crt, key, EVP_sha256()) <= 0)
                goto out;
        ok = true;
out:
        BN_free(bn);
        if (!ok) {
                X509_free(crt);
                crt = NULL;
        }
        return crt;
}

static cc_err
write_pem(const char *path, int mode, EVP_PKEY *key, X509 *crt, struct cc_diag *d)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        bool ok;

        if (!f) {
                if (fd >= 0)
                        close(fd);
                return cc_diag_set(d, CC_IO, 0, "cannot write '%s': %s", path, strerror(errno));
        }
        ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1
                 : PEM_write_X509(f, crt) == 1;
        if (fclose(f) != 0)
                ok = false;
        if (!ok) {
                unlink(path);
                return cc_diag_set(d, CC_IO, 0, "cannot write '%s'", path);
        }
        return CC_OK;
}

cc_err
cc_selfsigned_write(const char *cert_path, const char *key_path, int days, struct cc_diag *d)
{
        EVP_PKEY *key = EVP_EC_gen("P-256");
        X509 *crt = NULL;
        cc_err rc;

        if (!key || !(crt = make_cert(key, days))) {
                rc = cc_diag_set(d, CC_INTERNAL, 0,
                                 "cannot make a test certificate: openssl failed");
                goto out;
        }
        if ((rc = write_pem(key_path, 0600, key, NULL, d)))
                goto out;
        if ((rc = write_pem(cert_path, 0644, NULL, crt, d))) {
                unlink(key_path);
                goto out;
        }
out:
        X509_free(crt);
        EVP_PKEY_free(key);
        return rc;
}
