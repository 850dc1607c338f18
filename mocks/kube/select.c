/* select.c -- label and field selectors, parsed and matched like the apiserver. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "mocks/kube/kube.h"
#include "core/banned.h"

void
kube_sel_release(struct kube_sel *s)
{
        size_t i, j;

        for (i = 0; i < s->n; i++) {
                cc_free(s->reqs[i].key);
                for (j = 0; j < s->reqs[i].nvalues; j++)
                        cc_free(s->reqs[i].values[j]);
                cc_free(s->reqs[i].values);
        }
        cc_free(s->reqs);
        memset(s, 0, sizeof(*s));
}

static bool
name_char(char c)
{
        return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

/* a qualified name part or label value: [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, <= 63 */
static bool
valid_name(const char *s, size_t len, bool allow_empty)
{
        size_t i;

        if (!len)
                return allow_empty;
        if (len > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[len - 1]))
                return false;
        for (i = 0; i < len; i++)
                if (!name_char(s[i]))
                        return false;
        return true;
}

static bool
valid_key(const char *k)
{
        const char *slash = strchr(k, '/');

        if (slash) {
                size_t i, plen = (size_t)(slash - k);

                if (!plen || plen > 253)
                        return false;
                for (i = 0; i < plen; i++)
                        if (!(islower((unsigned char)k[i]) || isdigit((unsigned char)k[i]) ||
                              k[i] == '-' || k[i] == '.'))
                                return false;
                k = slash + 1;
        }
        return valid_name(k, strlen(k), false);
}

static bool
add_req(struct kube_sel *s, const char *key, size_t klen, enum kube_sel_op op)
{
        struct kube_req *r;

        if (CC_GROW(s->reqs, s->cap, s->n + 1))
                return false;
        r = &s->reqs[s->n];
        memset(r, 0, sizeof(*r));
        r->key = cc_strndup(key, klen);
        r->op = op;
        if (!r->key)
                return false;
        s->n++;
        return true;
}

static bool
add_value(struct kube_req *r, const char *v, size_t len)
{
        size_t cap = r->nvalues;
        char *copy;

        if (CC_GROW(r->values, cap, r->nvalues + 1))
                return false;
        copy = cc_strndup(v, len);
        if (!copy)
                return false;
        r->values[r->nvalues++] = copy;
        return true;
}

static const char *
skip_ws(const char *p)
{
        while (*p == ' ' || *p == '\t')
                p++;
        return p;
}

int
kube_lsel_parse(const char *s, struct kube_sel *out, char *err, size_t errlen)
{
        struct kube_sel sel = { 0 };
        const char *p = s ? s : "";
        int rc = 0;

        p = skip_ws(p);
        while (*p) {
                const char *k;
                size_t klen;
                bool neg = false;
                struct kube_req *r;

                if (*p == '!') {
                        neg = true;
                        p = skip_ws(p + 1);
                }
                k = p;
                while (*p && *p != ' ' && *p != '=' && *p != '!' && *p != ',' && *p != '(' &&
                       *p != ')')
                        p++;
                klen = (size_t)(p - k);
                {
                        char key[320];

                        if (!klen || klen >= sizeof(key)) {
                                snprintf(err, errlen,
                                         "unable to parse requirement: found '%s', "
                                         "expected: identifier",
                                         *p ? p : "");
                                rc = 400;
                                goto out;
                        }
                        memcpy(key, k, klen);
                        key[klen] = 0;
                        if (!valid_key(key)) {
                                snprintf(err, errlen,
                                         "unable to parse requirement: invalid label key \"%s\": "
                                         "name part must consist of alphanumeric characters, "
                                         "'-', '_' or '.', and must start and end with an "
                                         "alphanumeric character",
                                         key);
                                rc = 400;
                                goto out;
                        }
                }
                p = skip_ws(p);
                if (neg) {
                        if (!add_req(&sel, k, klen, KS_NOTEXISTS))
                                goto nomem;
                } else if (!*p || *p == ',') {
                        if (!add_req(&sel, k, klen, KS_EXISTS))
                                goto nomem;
                } else if (*p == '=' || (*p == '!' && p[1] == '=')) {
                        enum kube_sel_op op = *p == '!' ? KS_NEQ : KS_EQ;
                        const char *v;

                        p += (*p == '!' || p[1] == '=') ? 2 : 1;
                        p = skip_ws(p);
                        v = p;
                        while (*p && *p != ',' && *p != ' ')
                                p++;
                        if (!valid_name(v, (size_t)(p - v), true)) {
                                snprintf(err, errlen,
                                         "unable to parse requirement: invalid label value: "
                                         "\"%.*s\"",
                                         (int)(p - v), v);
                                rc = 400;
                                goto out;
                        }
                        if (!add_req(&sel, k, klen, op) ||
                            !add_value(&sel.reqs[sel.n - 1], v, (size_t)(p - v)))
                                goto nomem;
                } else if (!strncmp(p, "in", 2) || !strncmp(p, "notin", 5)) {
                        enum kube_sel_op op = p[0] == 'i' ? KS_IN : KS_NOTIN;

                        p = skip_ws(p + (op == KS_IN ? 2 : 5));
                        if (*p != '(') {
                                snprintf(err, errlen,
                                         "unable to parse requirement: found '%s', "
                                         "expected: '('",
                                         p);
                                rc = 400;
                                goto out;
                        }
                        if (!add_req(&sel, k, klen, op))
                                goto nomem;
                        r = &sel.reqs[sel.n - 1];
                        p++;
                        for (;;) {
                                const char *v;
                                size_t vlen;

                                p = skip_ws(p);
                                v = p;
                                while (*p && *p != ',' && *p != ')' && *p != ' ')
                                        p++;
                                vlen = (size_t)(p - v);
                                p = skip_ws(p);
                                if (!valid_name(v, vlen, true) || (*p != ',' && *p != ')')) {
                                        snprintf(err, errlen,
                                                 "unable to parse requirement: invalid value "
                                                 "list near '%s'",
                                                 v);
                                        rc = 400;
                                        goto out;
                                }
                                if (!add_value(r, v, vlen))
                                        goto nomem;
                                if (*p == ')') {
                                        p++;
                                        break;
                                }
                                p++;
                        }
                } else {
                        snprintf(err, errlen,
                                 "unable to parse requirement: found '%s', expected: in, notin, "
                                 "=, ==, !=, gt, lt",
                                 p);
                        rc = 400;
                        goto out;
                }
                p = skip_ws(p);
                if (*p == ',') {
                        p = skip_ws(p + 1);
                        if (!*p) {
                                snprintf(err, errlen, "found '', expected: identifier after ','");
                                rc = 400;
                                goto out;
                        }
                } else if (*p) {
                        snprintf(err, errlen, "found '%s', expected: ',' or 'end of string'", p);
                        rc = 400;
                        goto out;
                }
        }
        *out = sel;
        memset(&sel, 0, sizeof(sel));
        goto out;
nomem:
        snprintf(err, errlen, "out of memory");
        rc = 500;
out:
        kube_sel_release(&sel);
        return rc;
}

static bool
field_supported(const struct kube_res *r, const char *f)
{
        static const char *const events[] = { "involvedObject.kind",
                                              "involvedObject.namespace",
                                              "involvedObject.name",
                                              "involvedObject.uid",
                                              "involvedObject.apiVersion",
                                              "involvedObject.resourceVersion",
                                              "involvedObject.fieldPath",
                                              "reason",
                                              "reportingComponent",
                                              "source",
                                              "type",
                                              NULL };
        size_t i;

        if (!strcmp(f, "metadata.name") || !strcmp(f, "metadata.namespace"))
                return true;
        if (!strcmp(r->kind, "Event"))
                for (i = 0; events[i]; i++)
                        if (!strcmp(f, events[i]))
                                return true;
        if (!strcmp(r->kind, "Secret") && !strcmp(f, "type"))
                return true;
        if (!strcmp(r->kind, "Namespace") && !strcmp(f, "status.phase"))
                return true;
        if (!strcmp(r->kind, "Pod") &&
            (!strcmp(f, "spec.nodeName") || !strcmp(f, "status.phase") ||
             !strcmp(f, "spec.serviceAccountName") || !strcmp(f, "status.podIP")))
                return true;
        return false;
}

int
kube_fsel_parse(const char *s, const struct kube_res *r, struct kube_sel *out, char *err,
                size_t errlen)
{
        struct kube_sel sel = { 0 };
        const char *p = s ? s : "";
        int rc = 0;

        while (*p) {
                const char *end = strchr(p, ',');
                const char *op;
                size_t len = end ? (size_t)(end - p) : strlen(p);
                char term[512], key[256];
                const char *v;
                enum kube_sel_op kop;
                size_t klen;

                if (len >= sizeof(term)) {
                        snprintf(err, errlen, "invalid field selector: term too long");
                        rc = 400;
                        goto out;
                }
                memcpy(term, p, len);
                term[len] = 0;
                op = strstr(term, "!=");
                if (op) {
                        kop = KS_NEQ;
                        v = op + 2;
                } else if ((op = strstr(term, "=="))) {
                        kop = KS_EQ;
                        v = op + 2;
                } else if ((op = strchr(term, '='))) {
                        kop = KS_EQ;
                        v = op + 1;
                } else {
                        snprintf(err, errlen, "invalid selector: '%s'; can't understand '%s'", s,
                                 term);
                        rc = 400;
                        goto out;
                }
                klen = (size_t)(op - term);
                while (klen && term[klen - 1] == ' ')
                        klen--;
                if (klen >= sizeof(key))
                        klen = sizeof(key) - 1;
                memcpy(key, term, klen);
                key[klen] = 0;
                while (*v == ' ')
                        v++;
                if (!field_supported(r, key)) {
                        snprintf(err, errlen, "field label not supported: %s", key);
                        rc = 400;
                        goto out;
                }
                if (!add_req(&sel, key, klen, kop) ||
                    !add_value(&sel.reqs[sel.n - 1], v, strlen(v))) {
                        snprintf(err, errlen, "out of memory");
                        rc = 500;
                        goto out;
                }
                p += len;
                if (*p == ',')
                        p++;
        }
        *out = sel;
        memset(&sel, 0, sizeof(sel));
out:
        kube_sel_release(&sel);
        return rc;
}

static bool
in_values(const struct kube_req *r, const char *v)
{
        size_t i;

        for (i = 0; i < r->nvalues; i++)
                if (!strcmp(r->values[i], v))
                        return true;
        return false;
}

bool
kube_lsel_match(const struct kube_sel *s, const cJSON *obj)
{
        const cJSON *labels = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "labels");
        size_t i;

        for (i = 0; i < s->n; i++) {
                const struct kube_req *r = &s->reqs[i];
                const cJSON *l = cJSON_GetObjectItemCaseSensitive(labels, r->key);
                const char *v = cJSON_IsString(l) ? l->valuestring : NULL;

                switch (r->op) {
                case KS_EQ:
                case KS_IN:
                        if (!v || !in_values(r, v))
                                return false;
                        break;
                case KS_NEQ:
                case KS_NOTIN:
                        if (v && in_values(r, v))
                                return false;
                        break;
                case KS_EXISTS:
                        if (!v)
                                return false;
                        break;
                case KS_NOTEXISTS:
                        if (v)
                                return false;
                        break;
                }
        }
        return true;
}

/* the string value of a dotted field path ("" when absent, like the apiserver) */
static void
field_value(const cJSON *obj, const char *path, char *out, size_t n)
{
        const cJSON *cur = obj;
        char part[128];
        const char *p = path;

        if (!strcmp(path, "source"))
                path = p = "source.component";
        out[0] = 0;
        while (*p && cur) {
                const char *dot = strchr(p, '.');
                size_t len = dot ? (size_t)(dot - p) : strlen(p);

                if (len >= sizeof(part))
                        return;
                memcpy(part, p, len);
                part[len] = 0;
                cur = cJSON_GetObjectItemCaseSensitive(cur, part);
                p += len;
                if (*p == '.')
                        p++;
        }
        if (cJSON_IsString(cur))
                snprintf(out, n, "%s", cur->valuestring);
        else if (cJSON_IsNumber(cur))
                snprintf(out, n, "%.0f", cur->valuedouble);
        else if (cJSON_IsBool(cur))
                snprintf(out, n, "%s", cJSON_IsTrue(cur) ? "true" : "false");
}

bool
kube_fsel_match(const struct kube_sel *s, const cJSON *obj)
{
        size_t i;

        for (i = 0; i < s->n; i++) {
                char v[512];
                bool eq;

                field_value(obj, s->reqs[i].key, v, sizeof(v));
                eq = !strcmp(v, s->reqs[i].values[0]);
                if (s->reqs[i].op == KS_EQ ? !eq : eq)
                        return false;
        }
        return true;
}
