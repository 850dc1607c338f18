/* test_selfsigned.c -- the throwaway TLS certificate: it verifies as its own CA for 127.0.0.1. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "cloudctl/selfsigned.h"
#include "lib/testlib.h"

static void
test_certificate(void **state)
{
        char crt[512], key[512];
        struct cc_diag d = { 0 };
        struct stat st;
        X509 *x = NULL;
        EVP_PKEY *k = NULL;
        X509_STORE *store = X509_STORE_new();
        X509_STORE_CTX *ctx = X509_STORE_CTX_new();
        FILE *f;

        (void)state;
        snprintf(crt, sizeof(crt), "%s/tls.crt", cc_test_tmpdir());
        snprintf(key, sizeof(key), "%s/tls.key", cc_test_tmpdir());
        assert_int_equal(cc_selfsigned_write(crt, key, 2, &d), CC_OK);
        assert_int_equal(stat(key, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);

        f = fopen(crt, "r");
        assert_non_null(f);
        x = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
        f = fopen(key, "r");
        assert_non_null(f);
        k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
        assert_non_null(x);
        assert_non_null(k);
        assert_int_equal(X509_check_private_key(x, k), 1);
        assert_int_equal(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
        assert_int_equal(X509_check_host(x, "localhost", 0, 0, NULL), 1);
        assert_int_not_equal(X509_check_ip_asc(x, "10.0.0.1", 0), 1);
        /* trusted as its own CA, for TLS servers */
        assert_int_equal(X509_STORE_add_cert(store, x), 1);
        assert_int_equal(X509_STORE_CTX_init(ctx, store, x, NULL), 1);
        X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
        assert_int_equal(X509_verify_cert(ctx), 1);
        X509_STORE_CTX_free(ctx);
        X509_STORE_free(store);
        EVP_PKEY_free(k);
        X509_free(x);
}

static void
test_unwritable(void **state)
{
        char key[512];
        struct cc_diag d = { 0 };

        (void)state;
        snprintf(key, sizeof(key), "%s/k.key", cc_test_tmpdir());
        assert_int_equal(cc_selfsigned_write("/nonexistent/dir/tls.crt", key, 1, &d), CC_IO);
        assert_non_null(strstr(d.message, "cannot write '/nonexistent/dir/tls.crt'"));
        assert_int_not_equal(access(key, F_OK), 0); /* nothing left behind */
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_certificate),
                cmocka_unit_test(test_unwritable),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
