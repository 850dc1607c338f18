/* test_exec.c -- ExecCredential parsing, expiry, and running a plugin. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/log.h"
#include "kube/exec.h"
#include "lib/testlib.h"

#define V1B1 CC_KUBE_EXEC_V1BETA1

static cc_err
parse(const char *json, struct cc_kube_cred *c, struct cc_diag *d)
{
        return cc_kube_exec_cred_parse(json, strlen(json), "plug", V1B1, c, d);
}

static void
test_parse_token_and_expiry(void **state)
{
        struct cc_kube_cred c = { 0 };
        struct cc_diag d = { 0 };
        time_t t;

        assert_int_equal(parse("{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\","
                               "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"tk\","
                               "\"expirationTimestamp\":\"2025-01-01T01:00:00Z\"}}",
                               &c, &d),
                         CC_OK);
        assert_string_equal(cc_secret_str(&c.token), "tk");
        assert_true(c.expires);
        assert_true(cc_kube_rfc3339_parse("2025-01-01T01:00:00Z", &t));
        assert_int_equal(c.expiry, t);
        assert_int_equal(t, 1735693200);
        assert_true(cc_kube_cred_fresh(&c, t - 3600));
        assert_false(cc_kube_cred_fresh(&c, t));
        assert_false(cc_kube_cred_fresh(&c, t - 5)); /* expires within the slack */
        cc_kube_cred_release(&c);

        /* no expiry: fresh until a 401 drops it */
        assert_int_equal(parse("{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\","
                               "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"tk\"}}",
                               &c, &d),
                         CC_OK);
        assert_false(c.expires);
        assert_true(cc_kube_cred_fresh(&c, 4000000000));
        cc_kube_cred_release(&c);
        assert_false(cc_kube_cred_fresh(&c, 0)); /* empty */
}

static void
test_parse_client_cert(void **state)
{
        struct cc_kube_cred c = { 0 };
        struct cc_diag d = { 0 };

        assert_int_equal(parse("{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\","
                               "\"kind\":\"ExecCredential\",\"status\":{"
                               "\"clientCertificateData\":\"CERT\",\"clientKeyData\":\"KEY\"}}",
                               &c, &d),
                         CC_OK);
        assert_true(cc_secret_empty(&c.token));
        assert_string_equal(c.cert_pem, "CERT");
        assert_string_equal(cc_secret_str(&c.key_pem), "KEY");
        assert_true(cc_kube_cred_fresh(&c, 0));
        cc_kube_cred_release(&c);
}

static void
test_parse_errors(void **state)
{
        static const struct {
                const char *json, *msg;
        } cases[] = {
                { "not json secret-token", "exec plugin 'plug': output is not a json object" },
                { "{\"kind\":\"Other\"}", "exec plugin 'plug': field 'kind': expected "
                                          "'ExecCredential'" },
                { "{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/"
                  "v1\",\"status\":{\"token\":\"t\"}}",
                  "exec plugin 'plug': field 'apiVersion': expected "
                  "'client.authentication.k8s.io/v1beta1'" },
                { "{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/"
                  "v1beta1\"}",
                  "exec plugin 'plug': field 'status': required" },
                { "{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/"
                  "v1beta1\",\"status\":{\"token\":5}}",
                  "exec plugin 'plug': field 'status.token': expected string" },
                { "{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/"
                  "v1beta1\",\"status\":{}}",
                  "exec plugin 'plug': field 'status.token': required" },
                { "{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/"
                  "v1beta1\",\"status\":{\"clientCertificateData\":\"c\"}}",
                  "exec plugin 'plug': field 'status.clientKeyData'" },
                { "{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/"
                  "v1beta1\",\"status\":{\"token\":\"secret-token\",\"expirationTimestamp\":"
                  "\"tomorrow\"}}",
                  "exec plugin 'plug': field 'status.expirationTimestamp': invalid time" },
        };
        size_t i;

        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct cc_kube_cred c = { 0 };
                struct cc_diag d = { 0 };

                assert_int_equal(parse(cases[i].json, &c, &d), CC_INVAL);
                if (strncmp(d.message, cases[i].msg, strlen(cases[i].msg)) != 0)
                        fail_msg("case %zu: got '%s'", i, d.message);
                assert_null(strstr(d.message, "secret-token"));
                assert_null(c.cert_pem);
        }
}

static void
test_rfc3339(void **state)
{
        time_t t;

        assert_true(cc_kube_rfc3339_parse("1970-01-01T00:00:00Z", &t));
        assert_int_equal(t, 0);
        assert_true(cc_kube_rfc3339_parse("2025-01-01T02:00:00.123456+01:00", &t));
        assert_int_equal(t, 1735693200);
        assert_true(cc_kube_rfc3339_parse("2024-12-31T20:00:00-05:00", &t));
        assert_int_equal(t, 1735693200);
        assert_false(cc_kube_rfc3339_parse("2025-01-01", &t));
        assert_false(cc_kube_rfc3339_parse("2025-01-01T01:00:00", &t));
        assert_false(cc_kube_rfc3339_parse("2025-13-01T01:00:00Z", &t));
        assert_false(cc_kube_rfc3339_parse("2025-01-01T01:00:00Zjunk", &t));
}

/* --- running a plugin ------------------------------------------------------------- */

struct run_result {
        int calls;
        cc_err rc;
        char token[64];
        char msg[CC_DIAG_MSG_MAX];
};

static void
on_cred(cc_err rc, struct cc_kube_cred *cred, const struct cc_diag *d, void *ud)
{
        struct run_result *r = ud;

        r->calls++;
        r->rc = rc;
        snprintf(r->msg, sizeof(r->msg), "%s", d->message);
        if (cred)
                snprintf(r->token, sizeof(r->token), "%s", cc_secret_str(&cred->token));
}

static const char *
write_script(const char *name, const char *body)
{
        static char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", cc_test_tmpdir(), name);
        f = fopen(path, "w");
        assert_non_null(f);
        fputs(body, f);
        fclose(f);
        chmod(path, 0755);
        return path;
}

static void
run(struct cc_kube_config *cfg, struct run_result *res, cc_err want_start)
{
        struct cc_loop loop;
        struct cc_diag d = { 0 };

        assert_int_equal(cc_loop_init(&loop, NULL), CC_OK);
        assert_int_equal(cc_kube_exec_run(&loop, cfg, on_cred, res, &d), want_start);
        if (want_start != CC_AGAIN)
                snprintf(res->msg, sizeof(res->msg), "%s", d.message);
        assert_int_equal(cc_loop_run(&loop), CC_OK);
        assert_int_equal(cc_loop_release(&loop), CC_OK);
}

static void
test_run_plugin(void **state)
{
        static const char *const env[] = { "PATH=/usr/bin:/bin", NULL };
        struct cc_kube_config cfg = { 0 };
        struct run_result res = { 0 };
        const char *script;

        /* the token echoes an arg, an env entry and the cluster info: all passed */
        script = write_script("plugin.sh",
                              "#!/bin/sh\n"
                              "case \"$KUBERNETES_EXEC_INFO\" in *'\"server\":\"https://h\"'*) ;; "
                              "*) echo no-info >&2; exit 3;; esac\n"
                              "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\","
                              "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s-%s\"}}' "
                              "\"$1\" \"$EXTRA\"\n");
        cfg.server = "https://h";
        cfg.has_exec = true;
        cfg.exec.api_version = CC_KUBE_EXEC_V1;
        cfg.exec.command = (char *)script;
        cfg.exec.provide_cluster_info = true;
        assert_int_equal(cc_strv_push(&cfg.exec.args, "arg1"), CC_OK);
        assert_int_equal(cc_strv_push(&cfg.exec.env, "EXTRA=env1"), CC_OK);
        cfg.environ_base = env;
        run(&cfg, &res, CC_AGAIN);
        assert_int_equal(res.calls, 1);
        assert_int_equal(res.rc, CC_OK);
        assert_string_equal(res.token, "arg1-env1");

        /* without cluster info the script fails: exit status and stderr reported */
        cfg.exec.provide_cluster_info = false;
        memset(&res, 0, sizeof(res));
        run(&cfg, &res, CC_AGAIN);
        assert_int_equal(res.rc, CC_AUTH);
        assert_non_null(strstr(res.msg, "exit status 3: no-info"));

        /* missing program: the install hint */
        cfg.exec.command = "/nonexistent/plugin";
        cfg.exec.install_hint = "install the plugin";
        memset(&res, 0, sizeof(res));
        run(&cfg, &res, CC_NOTFOUND);
        assert_int_equal(res.calls, 0);
        assert_non_null(strstr(res.msg, "install the plugin"));
        cc_strv_release(&cfg.exec.args);
        cc_strv_release(&cfg.exec.env);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_token_and_expiry),
                cmocka_unit_test(test_parse_client_cert),
                cmocka_unit_test(test_parse_errors),
                cmocka_unit_test(test_rfc3339),
                cmocka_unit_test(test_run_plugin),
        };

        cc_alloc_init();
        cc_log_configure("off", NULL);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
