/* config.c -- kubeconfig files (merged like kubectl) and in-cluster config.
 *
 * DESIGN: each file is parsed into a cJSON tree with cc_yaml_load_file and
 * every cluster, user and context entry is run through the same "apply"
 * functions that fill the final configuration, on a scratch struct: that
 * type-checks all entries with messages naming the file and the field.
 * Resolution then looks names up across the files in order, first wins.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "kube/config.h"

#include "core/alloc.h"
#include "core/json.h"
#include "core/yaml.h"

#include "core/banned.h"

#define KUBECONFIG_MAX ((size_t)4 << 20)
#define SMALL_FILE_MAX ((size_t)1 << 20)

extern char **environ;

void
cc_kube_env_read(struct cc_kube_env *e)
{
        memset(e, 0, sizeof(*e));
        e->kubeconfig = getenv("KUBECONFIG");
        e->home = getenv("HOME");
        e->service_host = getenv("KUBERNETES_SERVICE_HOST");
        e->service_port = getenv("KUBERNETES_SERVICE_PORT");
        e->pod_namespace = getenv("POD_NAMESPACE");
        e->environ_base = (const char *const *)environ;
}

/* --- small helpers ---------------------------------------------------------- */

cc_err
cc_kube_read_file(const char *path, size_t max, char **out, size_t *len, struct cc_diag *d)
{
        struct stat st;
        char *buf = NULL;
        size_t n = 0;
        ssize_t r;
        int fd = -1;
        cc_err rc = CC_OK;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                rc = cc_diag_set(d, errno == ENOENT ? CC_NOTFOUND : CC_IO, 0,
                                 "cannot open '%s': %s", path, strerror(errno));
                goto out;
        }
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
                rc = cc_diag_set(d, CC_IO, 0, "cannot read '%s': not a regular file", path);
                goto out;
        }
        if ((size_t)st.st_size > max) {
                rc = cc_diag_set(d, CC_TOOBIG, 0, "cannot read '%s': larger than %zu bytes", path,
                                 max);
                goto out;
        }
        /* one allocation: a secret is never copied by a growing buffer */
        buf = cc_malloc((size_t)st.st_size + 1);
        if (!buf) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "cannot read '%s': out of memory", path);
                goto out;
        }
        while (n < (size_t)st.st_size) {
                r = read(fd, buf + n, (size_t)st.st_size - n);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        rc =
                            cc_diag_set(d, CC_IO, 0, "cannot read '%s': %s", path, strerror(errno));
                        goto out;
                }
                if (r == 0)
                        break;
                n += (size_t)r;
        }
        buf[n] = '\0';
        *out = buf;
        buf = NULL;
        if (len)
                *len = n;
out:
        if (buf) {
                cc_wipe(buf, (size_t)st.st_size + 1);
                cc_free(buf);
        }
        if (fd >= 0)
                close(fd);
        return rc;
}

cc_err
cc_kube_base64_decode(const char *in, char **out, size_t *len)
{
        size_t n = strlen(in), i, m = 0, pad = 0;
        char *clean = NULL, *res = NULL;
        int got;
        cc_err rc = CC_OK;

        clean = cc_malloc(n + 1);
        res = cc_malloc(n / 4 * 3 + 4);
        if (!clean || !res) {
                rc = CC_NOMEM;
                goto out;
        }
        for (i = 0; i < n; i++)
                if (in[i] != ' ' && in[i] != '\n' && in[i] != '\r' && in[i] != '\t')
                        clean[m++] = in[i];
        clean[m] = '\0';
        if (m % 4 != 0) {
                rc = CC_INVAL;
                goto out;
        }
        if (m >= 1 && clean[m - 1] == '=')
                pad++;
        if (m >= 2 && clean[m - 2] == '=')
                pad++;
        got = m ? EVP_DecodeBlock((unsigned char *)res, (const unsigned char *)clean, (int)m) : 0;
        if (got < 0 || (size_t)got < pad) {
                rc = CC_INVAL;
                goto out;
        }
        res[(size_t)got - pad] = '\0';
        if (len)
                *len = (size_t)got - pad;
        *out = res;
        res = NULL;
out:
        if (clean) {
                cc_wipe(clean, n + 1);
                cc_free(clean);
        }
        if (res) {
                cc_wipe(res, n / 4 * 3 + 4);
                cc_free(res);
        }
        return rc;
}

/* a field path into buf (truncated if need be: it only names the field) */
static void __attribute__((format(printf, 3, 4)))
fieldf(char *buf, size_t size, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, size, fmt, ap);
        va_end(ap);
}

static cc_err
set_str(char **dst, const char *s)
{
        char *p = cc_strdup(s);

        if (!p)
                return CC_NOMEM;
        cc_free(*dst);
        *dst = p;
        return CC_OK;
}

/* --- one kubeconfig file ---------------------------------------------------- */

struct kfile {
        char *path;
        char *dir;
        cJSON *docs; /* owns root */
        const cJSON *root;
};

static void
kfile_release(struct kfile *f)
{
        cc_free(f->path);
        cc_free(f->dir);
        cJSON_Delete(f->docs);
        memset(f, 0, sizeof(*f));
}

static cc_err
field_err(struct cc_diag *d, const struct kfile *f, const char *field, const char *what)
{
        return cc_diag_set(d, CC_INVAL, 0, "kubeconfig '%s': field '%s': %s", f->path, field, what);
}

/* value of key in obj; NULL when absent or JSON null */
static const cJSON *
member(const cJSON *obj, const char *key)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

        return cJSON_IsNull(v) ? NULL : v;
}

static cc_err
kc_str(const struct kfile *f, const cJSON *obj, const char *base, const char *key, const char **out,
       struct cc_diag *d)
{
        const cJSON *v = member(obj, key);
        char field[256];

        *out = NULL;
        if (!v)
                return CC_OK;
        if (!cJSON_IsString(v)) {
                fieldf(field, sizeof(field), "%s.%s", base, key);
                return field_err(d, f, field, "expected string");
        }
        *out = v->valuestring;
        return CC_OK;
}

static cc_err
kc_bool(const struct kfile *f, const cJSON *obj, const char *base, const char *key, bool *out,
        struct cc_diag *d)
{
        const cJSON *v = member(obj, key);
        char field[256];

        if (!v)
                return CC_OK;
        if (!cJSON_IsBool(v)) {
                fieldf(field, sizeof(field), "%s.%s", base, key);
                return field_err(d, f, field, "expected boolean");
        }
        *out = cJSON_IsTrue(v);
        return CC_OK;
}

/* path relative to the kubeconfig's directory */
static cc_err
resolve_path(const struct kfile *f, const char *p, char **dst)
{
        struct cc_buf b = CC_BUF_INIT(4096);
        cc_err rc;

        if (p[0] == '/' || !f->dir)
                return set_str(dst, p);
        rc = cc_buf_printf(&b, "%s/%s", f->dir, p);
        if (rc == CC_OK)
                rc = set_str(dst, cc_buf_str(&b));
        cc_buf_release(&b);
        return rc;
}

static cc_err
decode_field(const struct kfile *f, const char *base, const char *key, const char *val, char **out,
             size_t *len, struct cc_diag *d)
{
        char field[256];
        cc_err rc = cc_kube_base64_decode(val, out, len);

        if (rc == CC_INVAL) {
                fieldf(field, sizeof(field), "%s.%s", base, key);
                rc = field_err(d, f, field, "invalid base64");
        } else if (rc != CC_OK) {
                rc = cc_diag_set(d, rc, 0, "kubeconfig '%s': out of memory", f->path);
        }
        return rc;
}

static cc_err
apply_cluster(const struct kfile *f, const cJSON *cl, const char *base, struct cc_kube_config *c,
              struct cc_diag *d)
{
        const char *server = NULL, *ca = NULL, *ca_data = NULL, *sni = NULL;
        char *pem = NULL;
        cc_err rc;

        rc = kc_str(f, cl, base, "server", &server, d);
        if (rc == CC_OK)
                rc = kc_str(f, cl, base, "certificate-authority", &ca, d);
        if (rc == CC_OK)
                rc = kc_str(f, cl, base, "certificate-authority-data", &ca_data, d);
        if (rc == CC_OK)
                rc = kc_str(f, cl, base, "tls-server-name", &sni, d);
        if (rc == CC_OK)
                rc = kc_bool(f, cl, base, "insecure-skip-tls-verify", &c->insecure, d);
        if (rc == CC_OK && ca_data)
                rc = decode_field(f, base, "certificate-authority-data", ca_data, &pem, NULL, d);
        if (rc != CC_OK)
                goto out;
        if (server) {
                size_t n = strlen(server);

                while (n > 0 && server[n - 1] == '/')
                        n--;
                cc_free(c->server);
                c->server = cc_strndup(server, n);
                if (!c->server)
                        rc = CC_NOMEM;
        }
        if (rc == CC_OK && ca)
                rc = resolve_path(f, ca, &c->ca_file);
        if (rc == CC_OK && ca_data) {
                cc_free(c->ca_pem);
                c->ca_pem = pem;
                pem = NULL;
                rc = set_str(&c->ca_data_b64, ca_data);
        }
        if (rc == CC_OK && sni)
                rc = set_str(&c->tls_server_name, sni);
        if (rc == CC_NOMEM)
                cc_diag_set(d, rc, 0, "kubeconfig '%s': out of memory", f->path);
out:
        cc_free(pem);
        return rc;
}

static cc_err
apply_exec(const struct kfile *f, const cJSON *x, const char *base, struct cc_kube_config *c,
           struct cc_diag *d)
{
        const char *api = NULL, *cmd = NULL, *hint = NULL, *mode = NULL;
        const cJSON *args, *env, *it;
        char field[256];
        int i;
        cc_err rc;

        if (!cJSON_IsObject(x))
                return field_err(d, f, base, "expected object");
        rc = kc_str(f, x, base, "apiVersion", &api, d);
        if (rc == CC_OK)
                rc = kc_str(f, x, base, "command", &cmd, d);
        if (rc == CC_OK)
                rc = kc_str(f, x, base, "installHint", &hint, d);
        if (rc == CC_OK)
                rc = kc_str(f, x, base, "interactiveMode", &mode, d); /* checked, then ignored */
        if (rc == CC_OK)
                rc = kc_bool(f, x, base, "provideClusterInfo", &c->exec.provide_cluster_info, d);
        if (rc != CC_OK)
                return rc;
        fieldf(field, sizeof(field), "%s.apiVersion", base);
        if (!api || !api[0])
                return field_err(d, f, field, "required");
        if (strcmp(api, CC_KUBE_EXEC_V1) != 0 && strcmp(api, CC_KUBE_EXEC_V1BETA1) != 0)
                return cc_diag_set(d, CC_NOTSUP, 0,
                                   "kubeconfig '%s': field '%s': unsupported version '%s'", f->path,
                                   field, api);
        fieldf(field, sizeof(field), "%s.command", base);
        if (!cmd || !cmd[0])
                return field_err(d, f, field, "required");
        args = member(x, "args");
        if (args && !cJSON_IsArray(args)) {
                fieldf(field, sizeof(field), "%s.args", base);
                return field_err(d, f, field, "expected array");
        }
        env = member(x, "env");
        if (env && !cJSON_IsArray(env)) {
                fieldf(field, sizeof(field), "%s.env", base);
                return field_err(d, f, field, "expected array");
        }
        cc_strv_release(&c->exec.args);
        cc_strv_release(&c->exec.env);
        c->has_exec = true;
        rc = set_str(&c->exec.api_version, api);
        if (rc == CC_OK)
                rc = set_str(&c->exec.command, cmd);
        if (rc == CC_OK && hint)
                rc = set_str(&c->exec.install_hint, hint);
        i = 0;
        cJSON_ArrayForEach(it, args)
        {
                if (rc != CC_OK)
                        break;
                if (!cJSON_IsString(it)) {
                        fieldf(field, sizeof(field), "%s.args[%d]", base, i);
                        return field_err(d, f, field, "expected string");
                }
                rc = cc_strv_push(&c->exec.args, it->valuestring);
                i++;
        }
        i = 0;
        cJSON_ArrayForEach(it, env)
        {
                const char *name = NULL, *value = NULL;
                char ebase[256];

                if (rc != CC_OK)
                        break;
                fieldf(ebase, sizeof(ebase), "%s.env[%d]", base, i);
                if (!cJSON_IsObject(it))
                        return field_err(d, f, ebase, "expected object");
                rc = kc_str(f, it, ebase, "name", &name, d);
                if (rc == CC_OK)
                        rc = kc_str(f, it, ebase, "value", &value, d);
                if (rc != CC_OK)
                        return rc;
                if (!name || !name[0] || strchr(name, '=')) {
                        fieldf(field, sizeof(field), "%s.name", ebase);
                        return field_err(d, f, field, "expected a variable name");
                }
                rc = cc_strv_pushf(&c->exec.env, "%s=%s", name, value ? value : "");
                i++;
        }
        if (rc == CC_NOMEM)
                cc_diag_set(d, rc, 0, "kubeconfig '%s': out of memory", f->path);
        return rc;
}

static cc_err
apply_user(const struct kfile *f, const cJSON *u, const char *base, struct cc_kube_config *c,
           struct cc_diag *d)
{
        const char *token = NULL, *token_file = NULL, *cert = NULL, *key = NULL, *cert_data = NULL,
                   *key_data = NULL, *username = NULL, *password = NULL;
        const cJSON *x, *ap;
        char field[256];
        char *cert_pem = NULL, *key_pem = NULL;
        size_t key_len = 0;
        cc_err rc;

        rc = kc_str(f, u, base, "token", &token, d);
        if (rc == CC_OK)
                rc = kc_str(f, u, base, "tokenFile", &token_file, d);
        if (rc == CC_OK)
                rc = kc_str(f, u, base, "client-certificate", &cert, d);
        if (rc == CC_OK)
                rc = kc_str(f, u, base, "client-key", &key, d);
        if (rc == CC_OK)
                rc = kc_str(f, u, base, "client-certificate-data", &cert_data, d);
        if (rc == CC_OK)
                rc = kc_str(f, u, base, "client-key-data", &key_data, d);
        if (rc == CC_OK)
                rc = kc_str(f, u, base, "username", &username, d);
        if (rc == CC_OK)
                rc = kc_str(f, u, base, "password", &password, d);
        if (rc != CC_OK)
                goto out;
        ap = member(u, "auth-provider");
        if (ap && !cJSON_IsObject(ap)) {
                fieldf(field, sizeof(field), "%s.auth-provider", base);
                rc = field_err(d, f, field, "expected object");
                goto out;
        }
        if (cert_data) {
                rc =
                    decode_field(f, base, "client-certificate-data", cert_data, &cert_pem, NULL, d);
                if (rc != CC_OK)
                        goto out;
        }
        if (key_data) {
                rc = decode_field(f, base, "client-key-data", key_data, &key_pem, &key_len, d);
                if (rc != CC_OK)
                        goto out;
        }
        x = member(u, "exec");
        if (x) {
                fieldf(field, sizeof(field), "%s.exec", base);
                rc = apply_exec(f, x, field, c, d);
                if (rc != CC_OK)
                        goto out;
        }
        if ((username && username[0]) || (password && password[0])) {
                rc =
                    cc_diag_set(d, CC_NOTSUP, 0,
                                "kubeconfig '%s': field '%s.username': basic auth is not supported",
                                f->path, base);
                goto out;
        }
        if (ap) {
                rc = cc_diag_set(d, CC_NOTSUP, 0,
                                 "kubeconfig '%s': field '%s.auth-provider': not supported, use "
                                 "an exec plugin",
                                 f->path, base);
                goto out;
        }
        if (token && token[0])
                rc = cc_secret_set_str(&c->token, token);
        if (rc == CC_OK && token_file)
                rc = resolve_path(f, token_file, &c->token_file);
        if (rc == CC_OK && cert)
                rc = resolve_path(f, cert, &c->cert_file);
        if (rc == CC_OK && key)
                rc = resolve_path(f, key, &c->key_file);
        if (rc == CC_OK && cert_pem) {
                cc_free(c->cert_pem);
                c->cert_pem = cert_pem;
                cert_pem = NULL;
        }
        if (rc == CC_OK && key_pem) {
                cc_secret_release(&c->key_pem);
                cc_secret_take(&c->key_pem, key_pem, key_len);
                key_pem = NULL;
        }
        if (rc == CC_NOMEM)
                cc_diag_set(d, rc, 0, "kubeconfig '%s': out of memory", f->path);
out:
        cc_free(cert_pem);
        if (key_pem) {
                cc_wipe(key_pem, key_len);
                cc_free(key_pem);
        }
        return rc;
}

static cc_err
apply_context(const struct kfile *f, const cJSON *ctx, const char *base, const char **cluster,
              const char **user, const char **ns, struct cc_diag *d)
{
        cc_err rc = kc_str(f, ctx, base, "cluster", cluster, d);

        if (rc == CC_OK)
                rc = kc_str(f, ctx, base, "user", user, d);
        if (rc == CC_OK)
                rc = kc_str(f, ctx, base, "namespace", ns, d);
        return rc;
}

enum kind { K_CLUSTER, K_USER, K_CONTEXT };
static const char *const kind_list[] = { "clusters", "users", "contexts" };
static const char *const kind_item[] = { "cluster", "user", "context" };

/* check list kind of f: an array of {name: string, <item>: object}.  With
 * want != NULL, *found receives the entry named want (its <item> object)
 * and *idx its index. */
static cc_err
scan_list(const struct kfile *f, enum kind k, const char *want, const cJSON **found, int *idx,
          struct cc_diag *d)
{
        const cJSON *list = member(f->root, kind_list[k]), *it;
        char base[128], field[160];
        int i = 0;
        cc_err rc = CC_OK;

        if (list && !cJSON_IsArray(list))
                return field_err(d, f, kind_list[k], "expected array");
        cJSON_ArrayForEach(it, list)
        {
                const char *name = NULL;
                const cJSON *body;

                fieldf(base, sizeof(base), "%s[%d]", kind_list[k], i);
                if (!cJSON_IsObject(it))
                        return field_err(d, f, base, "expected object");
                rc = kc_str(f, it, base, "name", &name, d);
                if (rc != CC_OK)
                        return rc;
                fieldf(field, sizeof(field), "%s.name", base);
                if (!name || !name[0])
                        return field_err(d, f, field, "required");
                body = member(it, kind_item[k]);
                fieldf(field, sizeof(field), "%s.%s", base, kind_item[k]);
                if (body && !cJSON_IsObject(body))
                        return field_err(d, f, field, "expected object");
                if (want && !*found && strcmp(name, want) == 0) {
                        static const cJSON empty = { 0 };

                        *found = body ? body : &empty;
                        *idx = i;
                }
                i++;
        }
        return rc;
}

/* type-check every entry of f by applying it to a scratch config */
static cc_err
validate_file(const struct kfile *f, struct cc_diag *d)
{
        const cJSON *list, *it, *cur;
        char base[160];
        const char *a, *b, *n;
        int i;
        cc_err rc = CC_OK;
        enum kind k;

        if (!cJSON_IsObject(f->root))
                return cc_diag_set(d, CC_INVAL, 0, "kubeconfig '%s': expected a mapping", f->path);
        cur = member(f->root, "current-context");
        if (cur && !cJSON_IsString(cur))
                return field_err(d, f, "current-context", "expected string");
        for (k = K_CLUSTER; k <= K_CONTEXT && rc == CC_OK; k++) {
                const cJSON *none = NULL;
                int idx = -1;

                rc = scan_list(f, k, NULL, &none, &idx, d);
                if (rc != CC_OK)
                        break;
                list = member(f->root, kind_list[k]);
                i = 0;
                cJSON_ArrayForEach(it, list)
                {
                        struct cc_kube_config scratch = { 0 };
                        const cJSON *body = member(it, kind_item[k]);

                        fieldf(base, sizeof(base), "%s[%d].%s", kind_list[k], i, kind_item[k]);
                        i++;
                        if (!body)
                                continue;
                        if (k == K_CLUSTER)
                                rc = apply_cluster(f, body, base, &scratch, d);
                        else if (k == K_USER)
                                rc = apply_user(f, body, base, &scratch, d);
                        else
                                rc = apply_context(f, body, base, &a, &b, &n, d);
                        cc_kube_config_release(&scratch);
                        if (rc == CC_NOTSUP) {
                                /* refused only when selected (resolve) */
                                cc_diag_clear(d);
                                rc = CC_OK;
                        }
                        if (rc != CC_OK)
                                break;
                }
        }
        return rc;
}

static cc_err
kfile_load(struct kfile *f, const char *path, struct cc_diag *d)
{
        const char *slash;
        cc_err rc;

        memset(f, 0, sizeof(*f));
        f->path = cc_strdup(path);
        slash = strrchr(path, '/');
        f->dir =
            slash ? cc_strndup(path, slash == path ? 1 : (size_t)(slash - path)) : cc_strdup(".");
        if (!f->path || !f->dir) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "kubeconfig '%s': out of memory", path);
                goto out;
        }
        rc = cc_yaml_load_file(path, &f->docs, d);
        if (rc != CC_OK)
                goto out;
        if (cJSON_GetArraySize(f->docs) > 1) {
                rc = cc_diag_set(d, CC_INVAL, 0, "kubeconfig '%s': expected one document", path);
                goto out;
        }
        f->root = cJSON_GetArrayItem(f->docs, 0);
        if (!f->root) {
                static const cJSON empty = { .type = cJSON_Object };

                f->root = &empty; /* an empty file is an empty config */
        }
        rc = validate_file(f, d);
out:
        if (rc != CC_OK)
                kfile_release(f);
        return rc;
}

/* --- resolution ---------------------------------------------------------------- */

static cc_err
find_entry(struct kfile *fs, size_t n, enum kind k, const char *name, const cJSON **body,
           size_t *fi, int *idx, struct cc_diag *d)
{
        size_t i;
        cc_err rc;

        for (i = 0; i < n; i++) {
                const cJSON *found = NULL;

                rc = scan_list(&fs[i], k, name, &found, idx, d);
                if (rc != CC_OK)
                        return rc;
                if (found) {
                        *body = found;
                        *fi = i;
                        return CC_OK;
                }
        }
        return CC_NOTFOUND;
}

static cc_err
resolve(struct kfile *fs, size_t n, const char *ctx_name, struct cc_kube_config *c,
        const struct cc_kube_env *e, struct cc_diag *d)
{
        const cJSON *ctx = NULL, *cl = NULL, *us = NULL;
        const char *cluster = NULL, *user = NULL, *ns = NULL;
        char base[160];
        size_t i, cfi = 0, clfi = 0, ufi = 0;
        int idx = 0;
        cc_err rc = CC_OK;

        for (i = 0; !ctx_name && i < n; i++) {
                const cJSON *cur = member(fs[i].root, "current-context");

                if (cur && cur->valuestring[0])
                        ctx_name = cur->valuestring;
        }
        if (!ctx_name) {
                rc = cc_diag_set(d, CC_NOTFOUND, 0, "kubeconfig '%s': no current-context is set",
                                 fs[0].path);
                goto out;
        }
        rc = find_entry(fs, n, K_CONTEXT, ctx_name, &ctx, &cfi, &idx, d);
        if (rc == CC_NOTFOUND)
                cc_diag_set(d, rc, 0, "kubeconfig '%s': context '%s' not found", fs[0].path,
                            ctx_name);
        if (rc != CC_OK)
                goto out;
        fieldf(base, sizeof(base), "contexts[%d].context", idx);
        rc = apply_context(&fs[cfi], ctx, base, &cluster, &user, &ns, d);
        if (rc != CC_OK)
                goto out;
        if (!cluster || !cluster[0]) {
                rc = cc_diag_set(d, CC_INVAL, 0, "kubeconfig '%s': field '%s.cluster': required",
                                 fs[cfi].path, base);
                goto out;
        }
        rc = find_entry(fs, n, K_CLUSTER, cluster, &cl, &clfi, &idx, d);
        if (rc == CC_NOTFOUND)
                cc_diag_set(d, rc, 0, "kubeconfig '%s': cluster '%s' of context '%s' not found",
                            fs[cfi].path, cluster, ctx_name);
        if (rc != CC_OK)
                goto out;
        fieldf(base, sizeof(base), "clusters[%d].cluster", idx);
        rc = apply_cluster(&fs[clfi], cl, base, c, d);
        if (rc != CC_OK)
                goto out;
        if (!c->server || !c->server[0]) {
                rc = cc_diag_set(d, CC_INVAL, 0, "kubeconfig '%s': field '%s.server': required",
                                 fs[clfi].path, base);
                goto out;
        }
        if (c->insecure && (c->ca_file || c->ca_pem)) {
                rc = cc_diag_set(d, CC_INVAL, 0,
                                 "kubeconfig '%s': field '%s.insecure-skip-tls-verify': "
                                 "specifying a root certificates file with the insecure flag is "
                                 "not allowed",
                                 fs[clfi].path, base);
                goto out;
        }
        if (user && user[0]) {
                rc = find_entry(fs, n, K_USER, user, &us, &ufi, &idx, d);
                if (rc == CC_NOTFOUND)
                        cc_diag_set(d, rc, 0,
                                    "kubeconfig '%s': user '%s' of context '%s' not found",
                                    fs[cfi].path, user, ctx_name);
                if (rc != CC_OK)
                        goto out;
                fieldf(base, sizeof(base), "users[%d].user", idx);
                rc = apply_user(&fs[ufi], us, base, c, d);
                if (rc != CC_OK)
                        goto out;
        }
        rc = set_str(&c->namespace, ns && ns[0] ? ns : "default");
        if (rc == CC_OK)
                rc = set_str(&c->context, ctx_name);
        if (rc == CC_OK)
                rc = set_str(&c->source, fs[cfi].path);
        if (rc == CC_NOMEM)
                cc_diag_set(d, rc, 0, "kubeconfig '%s': out of memory", fs[cfi].path);
        c->environ_base = e ? e->environ_base : NULL;
out:
        return rc;
}

/* the initial token of a tokenFile user */
static cc_err
read_token(struct cc_kube_config *c, const char *what, struct cc_diag *d)
{
        char *tok = NULL;
        size_t len = 0;
        cc_err rc;

        rc = cc_kube_read_file(c->token_file, SMALL_FILE_MAX, &tok, &len, d);
        if (rc != CC_OK) {
                cc_diag_prefix(d, "cannot read the token of %s", what);
                return rc;
        }
        while (len > 0 && (tok[len - 1] == '\n' || tok[len - 1] == '\r' || tok[len - 1] == ' '))
                tok[--len] = '\0';
        cc_secret_release(&c->token);
        cc_secret_take(&c->token, tok, len);
        return CC_OK;
}

cc_err
cc_kube_config_load_files(struct cc_kube_config *c, const char *const *paths, size_t n,
                          const char *context, const struct cc_kube_env *e, struct cc_diag *d)
{
        struct cc_kube_config tmp = { 0 };
        struct kfile *fs = NULL;
        size_t i, nf = 0;
        cc_err rc = CC_OK;

        fs = cc_calloc(n ? n : 1, sizeof(*fs));
        if (!fs) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "cannot load kubeconfig: out of memory");
                goto out;
        }
        for (i = 0; i < n; i++) {
                if (!paths[i] || !paths[i][0])
                        continue;
                rc = kfile_load(&fs[nf], paths[i], d);
                if (rc == CC_NOTFOUND && n > 1) {
                        rc = CC_OK; /* kubectl skips missing KUBECONFIG entries */
                        continue;
                }
                if (rc != CC_OK)
                        goto out;
                nf++;
        }
        if (nf == 0) {
                rc = cc_diag_set(d, CC_NOTFOUND, 0, "cannot load kubeconfig '%s': no such file",
                                 n ? paths[0] : "");
                goto out;
        }
        rc = resolve(fs, nf, context, &tmp, e, d);
        if (rc == CC_OK && tmp.token_file && cc_secret_empty(&tmp.token))
                rc = read_token(&tmp, "the kubeconfig user", d);
        else if (tmp.token_file && !cc_secret_empty(&tmp.token))
                CC_FREE(tmp.token_file); /* a literal token wins, as in client-go */
        if (rc != CC_OK)
                goto out;
        *c = tmp;
        memset(&tmp, 0, sizeof(tmp));
out:
        cc_kube_config_release(&tmp);
        for (i = 0; fs && i < nf; i++)
                kfile_release(&fs[i]);
        cc_free(fs);
        return rc;
}

cc_err
cc_kube_config_in_cluster(struct cc_kube_config *c, const struct cc_kube_env *e, struct cc_diag *d)
{
        struct cc_kube_config tmp = { 0 };
        struct cc_buf b = CC_BUF_INIT(4096);
        const char *dir = e->sa_dir ? e->sa_dir : CC_KUBE_SA_DIR_DEFAULT;
        char *ns = NULL;
        size_t len = 0;
        cc_err rc;

        if (!e->service_host || !e->service_host[0] || !e->service_port || !e->service_port[0]) {
                rc = cc_diag_set(d, CC_NOTFOUND, 0,
                                 "cannot load in-cluster config: KUBERNETES_SERVICE_HOST and "
                                 "KUBERNETES_SERVICE_PORT must be set");
                goto out;
        }
        rc = cc_buf_printf(&b, strchr(e->service_host, ':') ? "https://[%s]:%s" : "https://%s:%s",
                           e->service_host, e->service_port);
        if (rc == CC_OK)
                rc = set_str(&tmp.server, cc_buf_str(&b));
        cc_buf_reset(&b);
        if (rc == CC_OK)
                rc = cc_buf_printf(&b, "%s/token", dir);
        if (rc == CC_OK)
                rc = set_str(&tmp.token_file, cc_buf_str(&b));
        cc_buf_reset(&b);
        if (rc == CC_OK)
                rc = cc_buf_printf(&b, "%s/ca.crt", dir);
        if (rc == CC_OK)
                rc = set_str(&tmp.ca_file, cc_buf_str(&b));
        cc_buf_reset(&b);
        if (rc == CC_OK)
                rc = set_str(&tmp.source, "in-cluster");
        if (rc == CC_OK)
                rc = set_str(&tmp.context, "");
        if (rc != CC_OK) {
                rc = cc_diag_set(d, rc, 0, "cannot load in-cluster config: out of memory");
                goto out;
        }
        rc = read_token(&tmp, "the service account", d);
        if (rc != CC_OK)
                goto out;
        if (e->pod_namespace && e->pod_namespace[0]) {
                rc = set_str(&tmp.namespace, e->pod_namespace);
        } else {
                rc = cc_buf_printf(&b, "%s/namespace", dir);
                if (rc == CC_OK &&
                    cc_kube_read_file(cc_buf_str(&b), SMALL_FILE_MAX, &ns, &len, NULL) == CC_OK) {
                        while (len > 0 && (ns[len - 1] == '\n' || ns[len - 1] == ' '))
                                ns[--len] = '\0';
                }
                if (rc == CC_OK)
                        rc = set_str(&tmp.namespace, ns && ns[0] ? ns : "default");
        }
        if (rc != CC_OK) {
                rc = cc_diag_set(d, rc, 0, "cannot load in-cluster config: out of memory");
                goto out;
        }
        tmp.environ_base = e->environ_base;
        *c = tmp;
        memset(&tmp, 0, sizeof(tmp));
out:
        cc_free(ns);
        cc_buf_release(&b);
        cc_kube_config_release(&tmp);
        return rc;
}

cc_err
cc_kube_config_load(struct cc_kube_config *c, const struct cc_kube_env *e, const char *kubeconfig,
                    const char *context, struct cc_diag *d)
{
        struct cc_strv paths = CC_STRV_INIT;
        struct cc_buf b = CC_BUF_INIT(4096);
        const char *p, *colon;
        cc_err rc = CC_OK;

        if (kubeconfig && kubeconfig[0]) {
                rc = cc_strv_push(&paths, kubeconfig);
        } else if (e->kubeconfig && e->kubeconfig[0]) {
                for (p = e->kubeconfig; rc == CC_OK && *p; p = colon ? colon + 1 : p + strlen(p)) {
                        colon = strchr(p, ':');
                        cc_buf_reset(&b);
                        rc = cc_buf_append(&b, p, colon ? (size_t)(colon - p) : strlen(p));
                        if (rc == CC_OK && b.len)
                                rc = cc_strv_push(&paths, cc_buf_str(&b));
                        if (!colon)
                                break;
                }
        } else if (e->service_host && e->service_host[0]) {
                rc = cc_kube_config_in_cluster(c, e, d);
                goto out;
        } else if (e->home && e->home[0]) {
                rc = cc_strv_pushf(&paths, "%s/.kube/config", e->home);
        } else {
                rc = cc_diag_set(d, CC_NOTFOUND, 0,
                                 "cannot find a kubeconfig: no KUBECONFIG, no in-cluster "
                                 "environment and no HOME");
                goto out;
        }
        if (rc != CC_OK) {
                rc = cc_diag_set(d, rc, 0, "cannot load kubeconfig: out of memory");
                goto out;
        }
        if (paths.n == 0) {
                rc = cc_diag_set(d, CC_NOTFOUND, 0, "cannot load kubeconfig: KUBECONFIG is empty");
                goto out;
        }
        rc = cc_kube_config_load_files(c, (const char *const *)paths.v, paths.n, context, e, d);
out:
        cc_buf_release(&b);
        cc_strv_release(&paths);
        return rc;
}

void
cc_kube_config_release(struct cc_kube_config *c)
{
        if (!c)
                return;
        cc_free(c->source);
        cc_free(c->context);
        cc_free(c->server);
        cc_free(c->namespace);
        cc_free(c->ca_file);
        cc_free(c->ca_pem);
        cc_free(c->ca_data_b64);
        cc_free(c->tls_server_name);
        cc_secret_release(&c->token);
        cc_free(c->token_file);
        cc_free(c->cert_file);
        cc_free(c->key_file);
        cc_free(c->cert_pem);
        cc_secret_release(&c->key_pem);
        cc_free(c->exec.api_version);
        cc_free(c->exec.command);
        cc_strv_release(&c->exec.args);
        cc_strv_release(&c->exec.env);
        cc_free(c->exec.install_hint);
        memset(c, 0, sizeof(*c));
}
