/* test_config.c -- kubeconfig parsing, merging, errors; in-cluster config. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/log.h"
#include "kube/config.h"
#include "lib/testlib.h"

static const char *
write_file(const char *name, const char *content)
{
        static char paths[8][512];
        static int next;
        char *p = paths[next++ % 8];
        FILE *f;

        snprintf(p, 512, "%s/%s", cc_test_tmpdir(), name);
        f = fopen(p, "w");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
        return p;
}

/* "Y2EtcGVt" = base64("ca-pem"); "Y2VydA==" = "cert"; "a2V5LXNlY3JldA==" = "key-secret" */
static const char basic[] = "apiVersion: v1\n"
                            "kind: Config\n"
                            "current-context: dev\n"
                            "clusters:\n"
                            "- name: c1\n"
                            "  cluster:\n"
                            "    server: https://k.example:6443/prefix/\n"
                            "    certificate-authority-data: Y2EtcGVt\n"
                            "- name: c2\n"
                            "  cluster:\n"
                            "    server: http://127.0.0.1:8080\n"
                            "    insecure-skip-tls-verify: true\n"
                            "users:\n"
                            "- name: u1\n"
                            "  user:\n"
                            "    token: tok-123\n"
                            "- name: u2\n"
                            "  user:\n"
                            "    client-certificate: certs/c.pem\n"
                            "    client-key: /abs/k.pem\n"
                            "- name: u3\n"
                            "  user:\n"
                            "    client-certificate-data: Y2VydA==\n"
                            "    client-key-data: a2V5LXNlY3JldA==\n"
                            "contexts:\n"
                            "- name: dev\n"
                            "  context: {cluster: c1, user: u1, namespace: team-a}\n"
                            "- name: local\n"
                            "  context: {cluster: c2, user: u2}\n"
                            "- name: data\n"
                            "  context: {cluster: c2, user: u3}\n";

static void
load_one(const char *path, const char *ctx, struct cc_kube_config *c)
{
        struct cc_diag d = { 0 };
        const char *paths[] = { path };

        if (cc_kube_config_load_files(c, paths, 1, ctx, NULL, &d) != CC_OK)
                fail_msg("load failed: %s", d.message);
}

static void
test_basic_token_and_ca_data(void **state)
{
        struct cc_kube_config c = { 0 };
        const char *p = write_file("basic.yaml", basic);

        load_one(p, NULL, &c);
        assert_string_equal(c.context, "dev");
        assert_string_equal(c.server, "https://k.example:6443/prefix");
        assert_string_equal(c.namespace, "team-a");
        assert_string_equal(c.ca_pem, "ca-pem");
        assert_string_equal(c.ca_data_b64, "Y2EtcGVt");
        assert_string_equal(cc_secret_str(&c.token), "tok-123");
        assert_null(c.cert_file);
        assert_false(c.has_exec);
        assert_string_equal(c.source, p);
        cc_kube_config_release(&c);
}

static void
test_context_override_and_relative_paths(void **state)
{
        struct cc_kube_config c = { 0 };
        char want[600];
        const char *p = write_file("basic2.yaml", basic);

        load_one(p, "local", &c);
        assert_string_equal(c.context, "local");
        assert_string_equal(c.server, "http://127.0.0.1:8080");
        assert_true(c.insecure);
        assert_string_equal(c.namespace, "default");
        snprintf(want, sizeof(want), "%s/certs/c.pem", cc_test_tmpdir());
        assert_string_equal(c.cert_file, want);
        assert_string_equal(c.key_file, "/abs/k.pem");
        assert_true(cc_secret_empty(&c.token));
        cc_kube_config_release(&c);

        load_one(p, "data", &c);
        assert_string_equal(c.cert_pem, "cert");
        assert_string_equal(cc_secret_str(&c.key_pem), "key-secret");
        cc_kube_config_release(&c);
}

static void
test_exec_user(void **state)
{
        struct cc_kube_config c = { 0 };
        const char *p =
            write_file("exec.yaml", "current-context: x\n"
                                    "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                                    "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
                                    "users:\n"
                                    "- name: u\n"
                                    "  user:\n"
                                    "    exec:\n"
                                    "      apiVersion: client.authentication.k8s.io/v1\n"
                                    "      command: gke-gcloud-auth-plugin\n"
                                    "      args: [--a, b]\n"
                                    "      env: [{name: FOO, value: bar}, {name: E}]\n"
                                    "      interactiveMode: Never\n"
                                    "      provideClusterInfo: true\n"
                                    "      installHint: install it\n");

        load_one(p, NULL, &c);
        assert_true(c.has_exec);
        assert_string_equal(c.exec.api_version, CC_KUBE_EXEC_V1);
        assert_string_equal(c.exec.command, "gke-gcloud-auth-plugin");
        assert_int_equal(c.exec.args.n, 2);
        assert_string_equal(c.exec.args.v[1], "b");
        assert_int_equal(c.exec.env.n, 2);
        assert_string_equal(c.exec.env.v[0], "FOO=bar");
        assert_string_equal(c.exec.env.v[1], "E=");
        assert_true(c.exec.provide_cluster_info);
        assert_string_equal(c.exec.install_hint, "install it");
        cc_kube_config_release(&c);
}

static void
test_token_file(void **state)
{
        struct cc_kube_config c = { 0 };
        const char *tf = write_file("tok", "file-token\n");
        char yaml[1024];
        const char *p;

        snprintf(yaml, sizeof(yaml),
                 "current-context: x\n"
                 "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                 "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
                 "users: [{name: u, user: {tokenFile: %s}}]\n",
                 tf);
        p = write_file("tokfile.yaml", yaml);
        load_one(p, NULL, &c);
        assert_string_equal(cc_secret_str(&c.token), "file-token");
        assert_string_equal(c.token_file, tf);
        cc_kube_config_release(&c);
}

/* KUBECONFIG=a:b -- first file wins per name and for current-context */
static void
test_merge_first_wins(void **state)
{
        struct cc_kube_config c = { 0 };
        struct cc_kube_env e = { 0 };
        struct cc_diag d = { 0 };
        char list[1200];
        const char *a, *b;

        a = write_file("a.yaml", "clusters: [{name: shared, cluster: {server: 'https://first'}}]\n"
                                 "users: [{name: u, user: {token: from-a}}]\n"
                                 "contexts: [{name: ctx, context: {cluster: shared, user: u}}]\n");
        b = write_file("b.yaml", "current-context: ctx\n"
                                 "clusters:\n"
                                 "- {name: shared, cluster: {server: 'https://second'}}\n"
                                 "- {name: only-b, cluster: {server: 'https://b'}}\n"
                                 "users: [{name: u, user: {token: from-b}}]\n"
                                 "contexts:\n"
                                 "- {name: ctx, context: {cluster: only-b, user: u}}\n"
                                 "- {name: other, context: {cluster: shared, user: u, "
                                 "namespace: ns-b}}\n");
        snprintf(list, sizeof(list), "%s:%s/missing.yaml:%s", a, cc_test_tmpdir(), b);
        e.kubeconfig = list;
        assert_int_equal(cc_kube_config_load(&c, &e, NULL, NULL, &d), CC_OK);
        assert_string_equal(c.context, "ctx");
        assert_string_equal(c.server, "https://first"); /* a's ctx -> shared -> a's shared */
        assert_string_equal(cc_secret_str(&c.token), "from-a");
        cc_kube_config_release(&c);

        assert_int_equal(cc_kube_config_load(&c, &e, NULL, "other", &d), CC_OK);
        assert_string_equal(c.server, "https://first");
        assert_string_equal(c.namespace, "ns-b");
        assert_string_equal(c.source, b);
        cc_kube_config_release(&c);

        /* the explicit path beats KUBECONFIG */
        assert_int_equal(cc_kube_config_load(&c, &e, b, NULL, &d), CC_OK);
        assert_string_equal(c.server, "https://b");
        cc_kube_config_release(&c);
}

struct bad_case {
        const char *yaml;
        cc_err code;
        const char *msg; /* after "kubeconfig '<path>': " */
};

static void
test_malformed_names_file_and_field(void **state)
{
        static const struct bad_case cases[] = {
                { "current-context: 3\n", CC_INVAL, "field 'current-context': expected string" },
                { "clusters: x\n", CC_INVAL, "field 'clusters': expected array" },
                { "clusters: [{name: c, cluster: {server: 5}}]\n", CC_INVAL,
                  "field 'clusters[0].cluster.server': expected string" },
                { "clusters: [{cluster: {server: x}}]\n", CC_INVAL,
                  "field 'clusters[0].name': required" },
                { "clusters: [{name: a, cluster: {}}, {name: b, cluster: []}]\n", CC_INVAL,
                  "field 'clusters[1].cluster': expected object" },
                { "clusters: [{name: c, cluster: {certificate-authority-data: '%%%'}}]\n", CC_INVAL,
                  "field 'clusters[0].cluster.certificate-authority-data': invalid "
                  "base64" },
                { "clusters: [{name: c, cluster: {insecure-skip-tls-verify: 'yes'}}]\n", CC_INVAL,
                  "field 'clusters[0].cluster.insecure-skip-tls-verify': expected boolean" },
                { "users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, "
                  "command: [a]}}}]\n",
                  CC_INVAL, "field 'users[0].user.exec.command': expected string" },
                { "users: [{name: u, user: {exec: {command: p}}}]\n", CC_INVAL,
                  "field 'users[0].user.exec.apiVersion': required" },
                { "users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, "
                  "command: p, args: [1]}}}]\n",
                  CC_INVAL, "field 'users[0].user.exec.args[0]': expected string" },
                { "users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, "
                  "command: p, env: [{value: x}]}}}]\n",
                  CC_INVAL, "field 'users[0].user.exec.env[0].name': expected a variable name" },
                { "users: [{name: u, user: {token: [x]}}]\n", CC_INVAL,
                  "field 'users[0].user.token': expected string" },
                { "users: [{name: u, user: {client-key-data: 'not base64!'}}]\n", CC_INVAL,
                  "field 'users[0].user.client-key-data': invalid base64" },
                { "contexts: [{name: x, context: {namespace: {}}}]\n", CC_INVAL,
                  "field 'contexts[0].context.namespace': expected string" },
                { "- a\n- b\n", CC_INVAL, "expected a mapping" },
                /* resolution */
                { "clusters: []\n", CC_NOTFOUND, "no current-context is set" },
                { "current-context: nope\n", CC_NOTFOUND, "context 'nope' not found" },
                { "current-context: x\ncontexts: [{name: x, context: {user: u}}]\n", CC_INVAL,
                  "field 'contexts[0].context.cluster': required" },
                { "current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n", CC_NOTFOUND,
                  "cluster 'c' of context 'x' not found" },
                { "current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
                  "clusters: [{name: c, cluster: {certificate-authority: /ca}}]\n",
                  CC_INVAL, "field 'clusters[0].cluster.server': required" },
                { "current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
                  "clusters: [{name: c, cluster: {server: 'https://h', "
                  "certificate-authority: /ca, insecure-skip-tls-verify: true}}]\n",
                  CC_INVAL,
                  "field 'clusters[0].cluster.insecure-skip-tls-verify': specifying a root "
                  "certificates file with the insecure flag is not allowed" },
                { "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
                  "clusters: [{name: c, cluster: {server: 'https://h'}}]\n",
                  CC_NOTFOUND, "user 'u' of context 'x' not found" },
                { "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
                  "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                  "users: [{name: u, user: {username: a, password: b}}]\n",
                  CC_NOTSUP, "field 'users[0].user.username': basic auth is not supported" },
                { "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
                  "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                  "users: [{name: u, user: {auth-provider: {name: gcp}}}]\n",
                  CC_NOTSUP, "field 'users[0].user.auth-provider': not supported" },
                { "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
                  "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                  "users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/"
                  "v1alpha1, command: p}}}]\n",
                  CC_NOTSUP, "field 'users[0].user.exec.apiVersion': unsupported version" },
        };
        size_t i;

        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct cc_kube_config c = { 0 };
                struct cc_diag d = { 0 };
                char want[1024];
                const char *p = write_file("bad.yaml", cases[i].yaml);
                const char *paths[] = { p };
                cc_err rc = cc_kube_config_load_files(&c, paths, 1, NULL, NULL, &d);

                snprintf(want, sizeof(want), "kubeconfig '%s': %s", p, cases[i].msg);
                if (rc != cases[i].code || strncmp(d.message, want, strlen(want)) != 0)
                        fail_msg("case %zu: got %s '%s', want %s '%s'", i, cc_err_name(rc),
                                 d.message, cc_err_name(cases[i].code), want);
                assert_null(c.server); /* untouched on error */
        }
}

/* an unused user with auth-provider does not break loading; a yaml error names the file */
static void
test_unused_unsupported_and_yaml_error(void **state)
{
        struct cc_kube_config c = { 0 };
        struct cc_diag d = { 0 };
        const char *p =
            write_file("ok.yaml", "current-context: x\n"
                                  "contexts: [{name: x, context: {cluster: c}}]\n"
                                  "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                                  "users: [{name: old, user: {auth-provider: {name: gcp}}}]\n");
        const char *paths[1];

        load_one(p, NULL, &c);
        assert_string_equal(c.server, "https://h");
        cc_kube_config_release(&c);

        paths[0] = write_file("syntax.yaml", "clusters: [\n  - a: b: c\n");
        assert_int_equal(cc_kube_config_load_files(&c, paths, 1, NULL, NULL, &d), CC_INVAL);
        assert_non_null(strstr(d.message, paths[0]));
        assert_non_null(strstr(d.message, "line"));

        paths[0] = "/nonexistent/kubeconfig";
        assert_int_equal(cc_kube_config_load_files(&c, paths, 1, NULL, NULL, &d), CC_NOTFOUND);
        assert_non_null(strstr(d.message, "/nonexistent/kubeconfig"));
}

static void
test_secrets_not_in_messages(void **state)
{
        struct cc_kube_config c = { 0 };
        struct cc_diag d = { 0 };
        const char *p =
            write_file("sec.yaml", "current-context: x\n"
                                   "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
                                   "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                                   "users: [{name: u, user: {token: canary-s3cr3t, "
                                   "client-key-data: 'canary-s3cr3t!'}}]\n");
        const char *paths[] = { p };

        assert_int_equal(cc_kube_config_load_files(&c, paths, 1, NULL, NULL, &d), CC_INVAL);
        assert_null(strstr(d.message, "canary"));
}

static void
mkdir_sa(const char *dir)
{
        char path[600];
        FILE *f;

        mkdir(dir, 0700);
        snprintf(path, sizeof(path), "%s/token", dir);
        f = fopen(path, "w");
        fputs("sa-token\n", f);
        fclose(f);
        snprintf(path, sizeof(path), "%s/ca.crt", dir);
        f = fopen(path, "w");
        fputs("pem", f);
        fclose(f);
        snprintf(path, sizeof(path), "%s/namespace", dir);
        f = fopen(path, "w");
        fputs("gw-system", f);
        fclose(f);
}

static void
test_in_cluster(void **state)
{
        struct cc_kube_config c = { 0 };
        struct cc_kube_env e = { 0 };
        struct cc_diag d = { 0 };
        char dir[512], want[600];

        snprintf(dir, sizeof(dir), "%s/sa", cc_test_tmpdir());
        mkdir_sa(dir);
        e.sa_dir = dir;
        assert_int_equal(cc_kube_config_in_cluster(&c, &e, &d), CC_NOTFOUND);
        e.service_host = "10.0.0.1";
        e.service_port = "443";
        /* no kubeconfig anywhere: the in-cluster config is picked */
        assert_int_equal(cc_kube_config_load(&c, &e, NULL, NULL, &d), CC_OK);
        assert_string_equal(c.server, "https://10.0.0.1:443");
        assert_string_equal(cc_secret_str(&c.token), "sa-token");
        snprintf(want, sizeof(want), "%s/token", dir);
        assert_string_equal(c.token_file, want);
        snprintf(want, sizeof(want), "%s/ca.crt", dir);
        assert_string_equal(c.ca_file, want);
        assert_string_equal(c.namespace, "gw-system");
        assert_string_equal(c.source, "in-cluster");
        cc_kube_config_release(&c);

        e.service_host = "fd00::1";
        e.pod_namespace = "from-env";
        assert_int_equal(cc_kube_config_in_cluster(&c, &e, &d), CC_OK);
        assert_string_equal(c.server, "https://[fd00::1]:443");
        assert_string_equal(c.namespace, "from-env");
        cc_kube_config_release(&c);

        snprintf(dir, sizeof(dir), "%s/no-sa", cc_test_tmpdir());
        e.sa_dir = dir;
        assert_int_equal(cc_kube_config_in_cluster(&c, &e, &d), CC_NOTFOUND);
        assert_non_null(strstr(d.message, "token"));
}

static void
test_base64(void **state)
{
        char *out = NULL;
        size_t len = 0;

        assert_int_equal(cc_kube_base64_decode("aGVs\nbG8=", &out, &len), CC_OK);
        assert_int_equal(len, 5);
        assert_string_equal(out, "hello");
        cc_free(out);
        assert_int_equal(cc_kube_base64_decode("", &out, &len), CC_OK);
        assert_int_equal(len, 0);
        cc_free(out);
        assert_int_equal(cc_kube_base64_decode("abc", &out, &len), CC_INVAL);
        assert_int_equal(cc_kube_base64_decode("a*c=", &out, &len), CC_INVAL);
}

static void
test_allocation_failures(void **state)
{
        const char *p = write_file("alloc.yaml", basic);
        const char *paths[] = { p };
        unsigned long n;

        for (n = 1; n < 2000; n++) {
                struct cc_kube_config c = { 0 };
                struct cc_diag d = { 0 };
                cc_err rc;

                cc_alloc_fail_at(n, false);
                rc = cc_kube_config_load_files(&c, paths, 1, "data", NULL, &d);
                cc_alloc_fail_at(0, false);
                if (rc == CC_OK) {
                        cc_kube_config_release(&c);
                        if (!cc_alloc_failed())
                                break;
                        continue;
                }
                assert_int_equal(rc, CC_NOMEM);
        }
        assert_true(n < 2000);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_basic_token_and_ca_data),
                cmocka_unit_test(test_context_override_and_relative_paths),
                cmocka_unit_test(test_exec_user),
                cmocka_unit_test(test_token_file),
                cmocka_unit_test(test_merge_first_wins),
                cmocka_unit_test(test_malformed_names_file_and_field),
                cmocka_unit_test(test_unused_unsupported_and_yaml_error),
                cmocka_unit_test(test_secrets_not_in_messages),
                cmocka_unit_test(test_in_cluster),
                cmocka_unit_test(test_base64),
                cmocka_unit_test(test_allocation_failures),
        };

        cc_alloc_init();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
