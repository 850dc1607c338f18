/* exec.c -- run exec credential plugins and parse their ExecCredential. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "kube/exec.h"

#include "core/alloc.h"
#include "core/json.h"
#include "core/log.h"
#include "core/strv.h"

#include "core/banned.h"

#define EXPIRY_SLACK_S 10
#define EXEC_OUT_MAX   ((size_t)1 << 20)

void
cc_kube_cred_release(struct cc_kube_cred *c)
{
        if (!c)
                return;
        cc_secret_release(&c->token);
        cc_free(c->cert_pem);
        cc_secret_release(&c->key_pem);
        memset(c, 0, sizeof(*c));
}

bool
cc_kube_cred_fresh(const struct cc_kube_cred *c, time_t now)
{
        if (cc_secret_empty(&c->token) && (!c->cert_pem || cc_secret_empty(&c->key_pem)))
                return false;
        return !c->expires || now + EXPIRY_SLACK_S < c->expiry;
}

bool
cc_kube_rfc3339_parse(const char *s, time_t *out)
{
        struct tm tm = { 0 };
        int y, mo, da, h, mi, se, n = 0, oh, om;
        const char *p;
        time_t t;

        if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &da, &n) != 3 || n != 10)
                return false;
        p = s + n;
        if (*p != 'T' && *p != 't' && *p != ' ')
                return false;
        p++;
        n = 0;
        if (sscanf(p, "%2d:%2d:%2d%n", &h, &mi, &se, &n) != 3 || n != 8)
                return false;
        p += n;
        if (*p == '.') {
                p++;
                if (*p < '0' || *p > '9')
                        return false;
                while (*p >= '0' && *p <= '9')
                        p++;
        }
        if (mo < 1 || mo > 12 || da < 1 || da > 31 || h > 23 || mi > 59 || se > 60)
                return false;
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = da;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = se;
        t = timegm(&tm);
        if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
                *out = t;
                return true;
        }
        if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &oh, &om) == 2 && strlen(p) == 6 &&
            oh < 24 && om < 60) {
                long off = (long)oh * 3600 + (long)om * 60;

                *out = *p == '+' ? t - off : t + off;
                return true;
        }
        return false;
}

static cc_err
cred_field(const cJSON *status, const char *plugin, const char *key, const char **out,
           struct cc_diag *d)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(status, key);

        *out = NULL;
        if (!v || cJSON_IsNull(v))
                return CC_OK;
        if (!cJSON_IsString(v))
                return cc_diag_set(d, CC_INVAL, 0,
                                   "exec plugin '%s': field 'status.%s': expected string", plugin,
                                   key);
        *out = v->valuestring;
        return CC_OK;
}

cc_err
cc_kube_exec_cred_parse(const char *buf, size_t len, const char *plugin, const char *api_version,
                        struct cc_kube_cred *out, struct cc_diag *d)
{
        struct cc_kube_cred c = { 0 };
        cJSON *root = NULL;
        const cJSON *status, *v;
        const char *token = NULL, *cert = NULL, *key = NULL, *exp = NULL;
        cc_err rc;

        rc = cc_json_parse(buf, len, EXEC_OUT_MAX, &root, NULL);
        if (rc != CC_OK) {
                /* the parser's message may quote the output, which holds the secret */
                rc = cc_diag_set(d, rc == CC_NOMEM ? CC_NOMEM : CC_INVAL, 0,
                                 "exec plugin '%s': output is not a json object", plugin);
                goto out;
        }
        v = cJSON_GetObjectItemCaseSensitive(root, "kind");
        if (!cJSON_IsObject(root) || !cJSON_IsString(v) ||
            strcmp(v->valuestring, "ExecCredential") != 0) {
                rc = cc_diag_set(d, CC_INVAL, 0,
                                 "exec plugin '%s': field 'kind': expected 'ExecCredential'",
                                 plugin);
                goto out;
        }
        v = cJSON_GetObjectItemCaseSensitive(root, "apiVersion");
        if (!cJSON_IsString(v) || strcmp(v->valuestring, api_version) != 0) {
                rc = cc_diag_set(d, CC_INVAL, 0,
                                 "exec plugin '%s': field 'apiVersion': expected '%s'", plugin,
                                 api_version);
                goto out;
        }
        status = cJSON_GetObjectItemCaseSensitive(root, "status");
        if (!cJSON_IsObject(status)) {
                rc = cc_diag_set(d, CC_INVAL, 0, "exec plugin '%s': field 'status': required",
                                 plugin);
                goto out;
        }
        rc = cred_field(status, plugin, "token", &token, d);
        if (rc == CC_OK)
                rc = cred_field(status, plugin, "clientCertificateData", &cert, d);
        if (rc == CC_OK)
                rc = cred_field(status, plugin, "clientKeyData", &key, d);
        if (rc == CC_OK)
                rc = cred_field(status, plugin, "expirationTimestamp", &exp, d);
        if (rc != CC_OK)
                goto out;
        if ((cert && cert[0]) != (key && key[0])) {
                rc = cc_diag_set(d, CC_INVAL, 0,
                                 "exec plugin '%s': field 'status.clientKeyData': "
                                 "clientCertificateData and clientKeyData go together",
                                 plugin);
                goto out;
        }
        if (!(token && token[0]) && !(cert && cert[0])) {
                rc = cc_diag_set(d, CC_INVAL, 0,
                                 "exec plugin '%s': field 'status.token': required (or "
                                 "clientCertificateData and clientKeyData)",
                                 plugin);
                goto out;
        }
        if (exp && exp[0]) {
                if (!cc_kube_rfc3339_parse(exp, &c.expiry)) {
                        rc = cc_diag_set(d, CC_INVAL, 0,
                                         "exec plugin '%s': field 'status.expirationTimestamp': "
                                         "invalid time '%s'",
                                         plugin, exp);
                        goto out;
                }
                c.expires = true;
        }
        if (token && token[0])
                rc = cc_secret_set_str(&c.token, token);
        if (rc == CC_OK && cert && cert[0]) {
                c.cert_pem = cc_strdup(cert);
                rc = c.cert_pem ? cc_secret_set_str(&c.key_pem, key) : CC_NOMEM;
        }
        if (rc != CC_OK) {
                rc = cc_diag_set(d, rc, 0, "exec plugin '%s': out of memory", plugin);
                goto out;
        }
        *out = c;
        memset(&c, 0, sizeof(c));
out:
        cc_kube_cred_release(&c);
        if (root) {
                /* wipe the token strings before the tree goes back to the heap */
                cJSON *st = cJSON_GetObjectItemCaseSensitive(root, "status"), *it;

                cJSON_ArrayForEach(it, st)
                {
                        if (cJSON_IsString(it))
                                cc_wipe(it->valuestring, strlen(it->valuestring));
                }
                cJSON_Delete(root);
        }
        return rc;
}

/* --- running the plugin ---------------------------------------------------- */

struct exec_run {
        cc_kube_exec_fn fn;
        void *ud;
        char *plugin;
        char *api_version;
};

static void
plugin_exited(struct cc_child *child, cc_err rc, struct cc_child_result *r, void *ud)
{
        struct exec_run *x = ud;
        struct cc_kube_cred cred = { 0 };
        struct cc_diag d;
        size_t n;

        cc_diag_clear(&d);
        if (rc == CC_OK && (r->term_signal != 0 || r->exit_status != 0)) {
                n = r->err.len;
                while (n > 0 && (r->err.data[n - 1] == '\n' || r->err.data[n - 1] == '\r'))
                        n--;
                if (r->term_signal)
                        rc = cc_diag_set(&d, CC_AUTH, 0, "exec plugin '%s' killed by signal %d",
                                         x->plugin, r->term_signal);
                else
                        rc = cc_diag_set(
                            &d, CC_AUTH, 0, "exec plugin '%s' failed: exit status %lld: %.*s",
                            x->plugin, (long long)r->exit_status, (int)n, n ? r->err.data : "");
        } else if (rc == CC_OK) {
                rc = cc_kube_exec_cred_parse(cc_buf_str(&r->out), r->out.len, x->plugin,
                                             x->api_version, &cred, &d);
                if (rc == CC_INVAL)
                        rc = CC_AUTH;
        } else {
                cc_diag_set(&d, rc, 0, "exec plugin '%s' failed: %s", x->plugin,
                            rc == CC_TOOBIG ? "output too large" : cc_err_name(rc));
        }
        if (r->out.data)
                cc_wipe(r->out.data, r->out.len);
        d.code = rc;
        x->fn(rc, rc == CC_OK ? &cred : NULL, &d, x->ud);
        cc_kube_cred_release(&cred);
        cc_free(x->plugin);
        cc_free(x->api_version);
        cc_free(x);
}

static cc_err
exec_info(const struct cc_kube_config *cfg, struct cc_buf *b)
{
        cJSON *root = cJSON_CreateObject(), *spec, *cl;
        cc_err rc = CC_NOMEM;

        if (!root || !cJSON_AddStringToObject(root, "kind", "ExecCredential") ||
            !cJSON_AddStringToObject(root, "apiVersion", cfg->exec.api_version))
                goto out;
        spec = cJSON_AddObjectToObject(root, "spec");
        if (!spec || !cJSON_AddBoolToObject(spec, "interactive", 0))
                goto out;
        if (cfg->exec.provide_cluster_info) {
                cl = cJSON_AddObjectToObject(spec, "cluster");
                if (!cl || !cJSON_AddStringToObject(cl, "server", cfg->server))
                        goto out;
                if (cfg->ca_data_b64 &&
                    !cJSON_AddStringToObject(cl, "certificate-authority-data", cfg->ca_data_b64))
                        goto out;
                if (cfg->insecure && !cJSON_AddBoolToObject(cl, "insecure-skip-tls-verify", 1))
                        goto out;
        }
        rc = cc_json_print(root, false, b);
out:
        cJSON_Delete(root);
        return rc;
}

cc_err
cc_kube_exec_run(struct cc_loop *loop, const struct cc_kube_config *cfg, cc_kube_exec_fn fn,
                 void *ud, struct cc_diag *d)
{
        struct cc_strv argv = CC_STRV_INIT, env = CC_STRV_INIT;
        struct cc_buf info = CC_BUF_INIT(0);
        struct cc_child_opts o = { 0 };
        struct exec_run *x = NULL;
        const char *const *e;
        size_t i;
        cc_err rc = CC_OK;

        if (!cfg->has_exec)
                return cc_diag_set(d, CC_INVAL, 0, "no exec plugin configured");
        rc = cc_strv_push(&argv, cfg->exec.command);
        for (i = 0; rc == CC_OK && i < cfg->exec.args.n; i++)
                rc = cc_strv_push(&argv, cfg->exec.args.v[i]);
        for (e = cfg->environ_base; rc == CC_OK && e && *e; e++) {
                if (strncmp(*e, "KUBERNETES_EXEC_INFO=", 21) != 0)
                        rc = cc_strv_push(&env, *e);
        }
        for (i = 0; rc == CC_OK && i < cfg->exec.env.n; i++)
                rc = cc_strv_push(&env, cfg->exec.env.v[i]);
        if (rc == CC_OK)
                rc = exec_info(cfg, &info);
        if (rc == CC_OK)
                rc = cc_strv_pushf(&env, "KUBERNETES_EXEC_INFO=%s", cc_buf_str(&info));
        if (rc == CC_OK) {
                x = cc_calloc(1, sizeof(*x));
                if (x) {
                        x->plugin = cc_strdup(cfg->exec.command);
                        x->api_version = cc_strdup(cfg->exec.api_version);
                }
                if (!x || !x->plugin || !x->api_version)
                        rc = CC_NOMEM;
        }
        if (rc != CC_OK) {
                rc = cc_diag_set(d, rc, 0, "cannot run exec plugin '%s': out of memory",
                                 cfg->exec.command);
                goto out;
        }
        x->fn = fn;
        x->ud = ud;
        o.argv = (const char *const *)argv.v;
        o.env = (const char *const *)env.v;
        o.out_max = EXEC_OUT_MAX;
        rc = cc_child_spawn(loop, &o, plugin_exited, x, NULL, d);
        if (rc == CC_NOTFOUND && cfg->exec.install_hint)
                cc_diag_prefix(d, "%s", cfg->exec.install_hint);
        if (rc == CC_AGAIN)
                x = NULL;
        else
                CC_WARN("kube.exec", "cannot run exec plugin", CC_S("plugin", cfg->exec.command),
                        CC_S("error", d ? d->message : cc_err_name(rc)));
out:
        if (x) {
                cc_free(x->plugin);
                cc_free(x->api_version);
                cc_free(x);
        }
        cc_buf_release(&info);
        cc_strv_release(&argv);
        cc_strv_release(&env);
        return rc;
}
