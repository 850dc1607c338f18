/* gwmodel.c -- parse Kubernetes JSON into the typed Gateway API snapshot.
 *
 * Every string and struct lives in the snapshot's arena, so a parse that
 * fails half-way needs no unwinding: the arena is freed with the snapshot.
 * That is why the parsers return at the first error instead of using the
 * usual single `out:` exit -- nothing they allocate can leak.
 * Field paths in errors are built as the parser descends
 * ("spec.listeners[2].tls.certificateRefs[0].name").
 */
#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/gwmodel.h"
#include "core/banned.h"

#define ARENA_BLOCK  16384
#define PATH_MAX_LEN 192

struct cc_gw_arena_block {
        struct cc_gw_arena_block *next;
        size_t used, cap;
        alignas(max_align_t) unsigned char data[];
};

/* --- arena ---------------------------------------------------------------- */

static void *
arena_alloc(struct cc_gw_snapshot *s, size_t n)
{
        struct cc_gw_arena_block *b = s->arena;
        size_t align = alignof(max_align_t), need;
        void *p;

        if (n == 0)
                n = 1;
        if (n > SIZE_MAX - align)
                return NULL;
        need = (n + align - 1) & ~(align - 1);
        if (!b || b->cap - b->used < need) {
                size_t cap = need > ARENA_BLOCK ? need : ARENA_BLOCK;

                b = cc_malloc(sizeof(*b) + cap);
                if (!b)
                        return NULL;
                b->used = 0;
                b->cap = cap;
                b->next = s->arena;
                s->arena = b;
        }
        p = b->data + b->used;
        b->used += need;
        memset(p, 0, n);
        return p;
}

static void *
arena_array(struct cc_gw_snapshot *s, size_t count, size_t size)
{
        size_t total;

        if (cc_mul_overflows(count, size, &total))
                return NULL;
        return arena_alloc(s, total);
}

static const char *
arena_str(struct cc_gw_snapshot *s, const char *str)
{
        size_t len = strlen(str);
        char *p = arena_alloc(s, len + 1);

        if (p)
                memcpy(p, str, len + 1);
        return p;
}

/* --- parse context and typed getters ------------------------------------- */

struct pctx {
        struct cc_gw_snapshot *s;
        struct cc_diag *d;
        const char *label; /* "gateway" */
        char id[320];      /* "ns/name" or "name" */
};

static const char *
jtype(const cJSON *v)
{
        if (!v || cJSON_IsNull(v))
                return "null";
        if (cJSON_IsBool(v))
                return "boolean";
        if (cJSON_IsNumber(v))
                return "number";
        if (cJSON_IsString(v))
                return "string";
        if (cJSON_IsArray(v))
                return "array";
        return "object";
}

/* fmtpath -- snprintf for field paths; truncation only shortens a message. */
static void fmtpath(char *out, size_t outsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fmtpath(char *out, size_t outsz, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(out, outsz, fmt, ap);
        va_end(ap);
}

static void
join(char *out, size_t outsz, const char *parent, const char *key)
{
        if (parent && parent[0])
                snprintf(out, outsz, "%s.%s", parent, key);
        else
                snprintf(out, outsz, "%s", key);
}

static cc_err field_err(struct pctx *p, const char *parent, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static cc_err
field_err(struct pctx *p, const char *parent, const char *key, const char *fmt, ...)
{
        char path[PATH_MAX_LEN], msg[256];
        va_list ap;

        join(path, sizeof(path), parent, key);
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return cc_diag_set(p->d, CC_INVAL, 0, "%s '%s': field '%s': %s", p->label, p->id, path,
                           msg);
}

static cc_err
nomem(struct pctx *p)
{
        return cc_diag_set(p->d, CC_NOMEM, 0, "cannot parse %s '%s': out of memory", p->label,
                           p->id);
}

static const cJSON *
item(const cJSON *obj, const char *key)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

        return v && !cJSON_IsNull(v) ? v : NULL;
}

/* get_obj -- an optional (or required) object field; *out NULL when absent. */
static cc_err
get_obj(struct pctx *p, const cJSON *obj, const char *parent, const char *key, bool required,
        const cJSON **out)
{
        const cJSON *v = item(obj, key);

        if (!v && required)
                return field_err(p, parent, key, "required field missing");
        if (v && !cJSON_IsObject(v))
                return field_err(p, parent, key, "expected object, got %s", jtype(v));
        *out = v;
        return CC_OK;
}

static cc_err
get_arr(struct pctx *p, const cJSON *obj, const char *parent, const char *key, bool required,
        const cJSON **out)
{
        const cJSON *v = item(obj, key);

        if (!v && required)
                return field_err(p, parent, key, "required field missing");
        if (v && !cJSON_IsArray(v))
                return field_err(p, parent, key, "expected array, got %s", jtype(v));
        *out = v;
        return CC_OK;
}

/* get_str -- a string field copied to the arena; absent gives dflt (which
 * may be NULL) unless required. */
static cc_err
get_str(struct pctx *p, const cJSON *obj, const char *parent, const char *key, bool required,
        const char *dflt, const char **out)
{
        const cJSON *v = item(obj, key);
        const char *src;

        if (!v && required)
                return field_err(p, parent, key, "required field missing");
        if (v && !cJSON_IsString(v))
                return field_err(p, parent, key, "expected string, got %s", jtype(v));
        src = v ? v->valuestring : dflt;
        if (!src) {
                *out = NULL;
                return CC_OK;
        }
        *out = arena_str(p->s, src);
        return *out ? CC_OK : nomem(p);
}

static cc_err
get_int(struct pctx *p, const cJSON *obj, const char *parent, const char *key, bool required,
        long dflt, long *out)
{
        const cJSON *v = item(obj, key);
        double x;

        if (!v) {
                if (required)
                        return field_err(p, parent, key, "required field missing");
                *out = dflt;
                return CC_OK;
        }
        if (!cJSON_IsNumber(v))
                return field_err(p, parent, key, "expected integer, got %s", jtype(v));
        x = v->valuedouble;
        if (x != (double)(long long)x || x < -2147483648.0 || x > 2147483647.0)
                return field_err(p, parent, key, "expected integer, got %g", x);
        *out = (long)x;
        return CC_OK;
}

/* get_enum -- a string field restricted to a NULL-terminated list; returns
 * the index in *out. */
static cc_err
get_enum(struct pctx *p, const cJSON *obj, const char *parent, const char *key,
         const char *const *names, int dflt, int *out)
{
        const cJSON *v = item(obj, key);
        char list[160] = "";
        size_t i, used = 0;

        if (!v) {
                *out = dflt;
                return CC_OK;
        }
        if (!cJSON_IsString(v))
                return field_err(p, parent, key, "expected string, got %s", jtype(v));
        for (i = 0; names[i]; i++) {
                if (strcmp(v->valuestring, names[i]) == 0) {
                        *out = (int)i;
                        return CC_OK;
                }
                if (used < sizeof(list))
                        used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
                                                 i ? ", " : "", names[i]);
        }
        return field_err(p, parent, key, "unsupported value '%s' (expected one of %s)",
                         v->valuestring, list);
}

/* get_labels -- a map of string to string. */
static cc_err
get_labels(struct pctx *p, const cJSON *obj, const char *parent, const char *key,
           struct cc_gw_labels *out)
{
        const cJSON *m = NULL, *e;
        char path[PATH_MAX_LEN];
        size_t n = 0;
        cc_err rc;

        out->v = NULL;
        out->n = 0;
        if ((rc = get_obj(p, obj, parent, key, false, &m)) || !m)
                return rc;
        join(path, sizeof(path), parent, key);
        out->v = arena_array(p->s, (size_t)cJSON_GetArraySize(m), sizeof(*out->v));
        if (!out->v)
                return nomem(p);
        cJSON_ArrayForEach(e, m)
        {
                if (!cJSON_IsString(e))
                        return field_err(p, path, e->string, "expected string, got %s", jtype(e));
                out->v[n].key = arena_str(p->s, e->string);
                out->v[n].value = arena_str(p->s, e->valuestring);
                if (!out->v[n].key || !out->v[n].value)
                        return nomem(p);
                n++;
        }
        out->n = n;
        return CC_OK;
}

/* keep -- copy a JSON value into the snapshot (NULL stays NULL). */
static cc_err
keep(struct pctx *p, const cJSON *v, cJSON **out)
{
        cJSON *copy;

        *out = NULL;
        if (!v)
                return CC_OK;
        copy = cJSON_Duplicate(v, true);
        if (!copy)
                return nomem(p);
        cJSON_AddItemToArray(p->s->keep, copy);
        *out = copy;
        return CC_OK;
}

static cc_err
parse_ref(struct pctx *p, const cJSON *o, const char *path, const char *dkind, struct cc_gw_ref *r)
{
        cc_err rc;

        if (!cJSON_IsObject(o))
                return field_err(p, NULL, path, "expected object, got %s", jtype(o));
        if ((rc = get_str(p, o, path, "group", false, "", &r->group)) ||
            (rc = get_str(p, o, path, "kind", dkind == NULL, dkind, &r->kind)) ||
            (rc = get_str(p, o, path, "name", true, NULL, &r->name)) ||
            (rc = get_str(p, o, path, "namespace", false, NULL, &r->ns)))
                return rc;
        return CC_OK;
}

/* --- label selector ------------------------------------------------------ */

static const char *const op_names[] = { "In", "NotIn", "Exists", "DoesNotExist", NULL };

static cc_err
parse_selector(struct pctx *p, const cJSON *o, const char *path, struct cc_gw_selector *sel)
{
        const cJSON *exprs = NULL, *e, *vals = NULL, *v;
        char ep[PATH_MAX_LEN], vp[PATH_MAX_LEN];
        size_t i = 0, j;
        int op;
        cc_err rc;

        if ((rc = get_labels(p, o, path, "matchLabels", &sel->match_labels)) ||
            (rc = get_arr(p, o, path, "matchExpressions", false, &exprs)) || !exprs)
                return rc;
        sel->exprs = arena_array(p->s, (size_t)cJSON_GetArraySize(exprs), sizeof(*sel->exprs));
        if (!sel->exprs)
                return nomem(p);
        cJSON_ArrayForEach(e, exprs)
        {
                struct cc_gw_expr *x = &sel->exprs[i];

                fmtpath(ep, sizeof(ep), "%s.matchExpressions[%zu]", path, i);
                if (!cJSON_IsObject(e))
                        return field_err(p, NULL, ep, "expected object, got %s", jtype(e));
                if ((rc = get_str(p, e, ep, "key", true, NULL, &x->key)) ||
                    (rc = get_enum(p, e, ep, "operator", op_names, -1, &op)) ||
                    (rc = get_arr(p, e, ep, "values", false, &vals)))
                        return rc;
                if (op < 0)
                        return field_err(p, ep, "operator", "required field missing");
                x->op = (enum cc_gw_op)op;
                if (vals) {
                        x->values =
                            arena_array(p->s, (size_t)cJSON_GetArraySize(vals), sizeof(*x->values));
                        if (!x->values)
                                return nomem(p);
                        j = 0;
                        cJSON_ArrayForEach(v, vals)
                        {
                                fmtpath(vp, sizeof(vp), "%s.values[%zu]", ep, j);
                                if (!cJSON_IsString(v))
                                        return field_err(p, NULL, vp, "expected string, got %s",
                                                         jtype(v));
                                if (!(x->values[j++] = arena_str(p->s, v->valuestring)))
                                        return nomem(p);
                        }
                        x->n_values = j;
                }
                i++;
        }
        sel->n_exprs = i;
        return CC_OK;
}

/* --- metadata ------------------------------------------------------------- */

static cc_err
parse_meta(struct pctx *p, const cJSON *obj, bool namespaced, struct cc_gw_meta *m)
{
        const cJSON *md = NULL;
        long gen;
        cc_err rc;

        if ((rc = get_obj(p, obj, NULL, "metadata", true, &md)) ||
            (rc = get_str(p, md, "metadata", "name", true, NULL, &m->name)))
                return rc;
        if (namespaced) {
                if ((rc = get_str(p, md, "metadata", "namespace", false, "default", &m->ns)))
                        return rc;
                snprintf(p->id, sizeof(p->id), "%s/%s", m->ns, m->name);
        } else {
                m->ns = "";
                snprintf(p->id, sizeof(p->id), "%s", m->name);
        }
        if ((rc = get_int(p, md, "metadata", "generation", false, 1, &gen)) ||
            (rc = get_labels(p, md, "metadata", "labels", &m->labels)) ||
            (rc = get_labels(p, md, "metadata", "annotations", &m->annotations)) ||
            (rc = get_str(p, md, "metadata", "creationTimestamp", false, NULL,
                          &m->creation_timestamp)) ||
            (rc = keep(p, item(obj, "status"), &m->status)))
                return rc;
        m->generation = gen;
        return CC_OK;
}

/* --- GatewayClass --------------------------------------------------------- */

static cc_err
parse_class(struct pctx *p, const cJSON *obj, struct cc_gw_class *c)
{
        const cJSON *spec = NULL, *pr = NULL;
        cc_err rc;

        if ((rc = parse_meta(p, obj, false, &c->meta)) ||
            (rc = get_obj(p, obj, NULL, "spec", true, &spec)) ||
            (rc = get_str(p, spec, "spec", "controllerName", true, NULL, &c->controller_name)) ||
            (rc = get_str(p, spec, "spec", "description", false, NULL, &c->description)) ||
            (rc = get_obj(p, spec, "spec", "parametersRef", false, &pr)))
                return rc;
        if (pr) {
                c->has_params = true;
                if ((rc = parse_ref(p, pr, "spec.parametersRef", NULL, &c->params)))
                        return rc;
        }
        return CC_OK;
}

/* --- Gateway --------------------------------------------------------------- */

static const char *const from_names[] = { "Same", "All", "Selector", NULL };
static const char *const mode_names[] = { "Terminate", "Passthrough", NULL };

static cc_err
parse_listener(struct pctx *p, const cJSON *o, const char *path, struct cc_gw_listener *l)
{
        const cJSON *tls = NULL, *refs = NULL, *opts = NULL, *ar = NULL, *ns = NULL, *sel = NULL,
                    *kinds = NULL, *e;
        char sub[PATH_MAX_LEN];
        size_t i;
        int v;
        cc_err rc;

        if (!cJSON_IsObject(o))
                return field_err(p, NULL, path, "expected object, got %s", jtype(o));
        if ((rc = get_str(p, o, path, "name", true, NULL, &l->name)) ||
            (rc = get_str(p, o, path, "hostname", false, NULL, &l->hostname)) ||
            (rc = get_int(p, o, path, "port", true, 0, &l->port)) ||
            (rc = get_str(p, o, path, "protocol", true, NULL, &l->protocol)) ||
            (rc = get_obj(p, o, path, "tls", false, &tls)) ||
            (rc = get_obj(p, o, path, "allowedRoutes", false, &ar)))
                return rc;
        if (tls) {
                l->has_tls = true;
                fmtpath(sub, sizeof(sub), "%s.tls", path);
                if ((rc = get_enum(p, tls, sub, "mode", mode_names, 0, &v)) ||
                    (rc = get_arr(p, tls, sub, "certificateRefs", false, &refs)) ||
                    (rc = get_obj(p, tls, sub, "options", false, &opts)))
                        return rc;
                l->tls_mode = (enum cc_gw_tls_mode)v;
                l->n_tls_options = opts ? (size_t)cJSON_GetArraySize(opts) : 0;
                if (refs) {
                        l->cert_refs = arena_array(p->s, (size_t)cJSON_GetArraySize(refs),
                                                   sizeof(*l->cert_refs));
                        if (!l->cert_refs)
                                return nomem(p);
                        i = 0;
                        cJSON_ArrayForEach(e, refs)
                        {
                                fmtpath(sub, sizeof(sub), "%s.tls.certificateRefs[%zu]", path, i);
                                if ((rc = parse_ref(p, e, sub, "Secret", &l->cert_refs[i++])))
                                        return rc;
                        }
                        l->n_cert_refs = i;
                }
        }
        l->from = CC_GW_FROM_SAME;
        if (!ar)
                return CC_OK;
        fmtpath(sub, sizeof(sub), "%s.allowedRoutes", path);
        if ((rc = get_obj(p, ar, sub, "namespaces", false, &ns)) ||
            (rc = get_arr(p, ar, sub, "kinds", false, &kinds)))
                return rc;
        if (ns) {
                fmtpath(sub, sizeof(sub), "%s.allowedRoutes.namespaces", path);
                if ((rc = get_enum(p, ns, sub, "from", from_names, 0, &v)) ||
                    (rc = get_obj(p, ns, sub, "selector", false, &sel)))
                        return rc;
                l->from = (enum cc_gw_from)v;
                if (sel) {
                        l->has_selector = true;
                        fmtpath(sub, sizeof(sub), "%s.allowedRoutes.namespaces.selector", path);
                        if ((rc = parse_selector(p, sel, sub, &l->selector)))
                                return rc;
                }
        }
        if (kinds) {
                l->kinds = arena_array(p->s, (size_t)cJSON_GetArraySize(kinds), sizeof(*l->kinds));
                if (!l->kinds)
                        return nomem(p);
                i = 0;
                cJSON_ArrayForEach(e, kinds)
                {
                        struct cc_gw_group_kind *gk = &l->kinds[i];

                        fmtpath(sub, sizeof(sub), "%s.allowedRoutes.kinds[%zu]", path, i);
                        if (!cJSON_IsObject(e))
                                return field_err(p, NULL, sub, "expected object, got %s", jtype(e));
                        if ((rc = get_str(p, e, sub, "group", false, CC_GW_GROUP, &gk->group)) ||
                            (rc = get_str(p, e, sub, "kind", true, NULL, &gk->kind)))
                                return rc;
                        i++;
                }
                l->n_kinds = i;
        }
        return CC_OK;
}

static cc_err
parse_gateway(struct pctx *p, const cJSON *obj, struct cc_gw_gateway *g)
{
        const cJSON *spec = NULL, *ls = NULL, *addrs = NULL, *infra = NULL, *pr = NULL, *tls = NULL,
                    *be = NULL, *cc = NULL, *e;
        char path[PATH_MAX_LEN];
        size_t i;
        cc_err rc;

        if ((rc = parse_meta(p, obj, true, &g->meta)) ||
            (rc = get_obj(p, obj, NULL, "spec", true, &spec)) ||
            (rc = get_str(p, spec, "spec", "gatewayClassName", true, NULL, &g->class_name)) ||
            (rc = get_arr(p, spec, "spec", "listeners", true, &ls)) ||
            (rc = get_arr(p, spec, "spec", "addresses", false, &addrs)) ||
            (rc = get_obj(p, spec, "spec", "infrastructure", false, &infra)) ||
            (rc = get_obj(p, spec, "spec", "tls", false, &tls)))
                return rc;
        g->listeners = arena_array(p->s, (size_t)cJSON_GetArraySize(ls), sizeof(*g->listeners));
        if (!g->listeners)
                return nomem(p);
        i = 0;
        cJSON_ArrayForEach(e, ls)
        {
                fmtpath(path, sizeof(path), "spec.listeners[%zu]", i);
                if ((rc = parse_listener(p, e, path, &g->listeners[i++])))
                        return rc;
        }
        g->n_listeners = i;
        if (addrs) {
                g->addresses =
                    arena_array(p->s, (size_t)cJSON_GetArraySize(addrs), sizeof(*g->addresses));
                if (!g->addresses)
                        return nomem(p);
                i = 0;
                cJSON_ArrayForEach(e, addrs)
                {
                        fmtpath(path, sizeof(path), "spec.addresses[%zu]", i);
                        if (!cJSON_IsObject(e))
                                return field_err(p, NULL, path, "expected object, got %s",
                                                 jtype(e));
                        if ((rc = get_str(p, e, path, "type", false, "IPAddress",
                                          &g->addresses[i].type)) ||
                            (rc =
                                 get_str(p, e, path, "value", false, NULL, &g->addresses[i].value)))
                                return rc;
                        i++;
                }
                g->n_addresses = i;
        }
        if (infra) {
                if ((rc =
                         get_labels(p, infra, "spec.infrastructure", "labels", &g->infra_labels)) ||
                    (rc = get_labels(p, infra, "spec.infrastructure", "annotations",
                                     &g->infra_annotations)) ||
                    (rc = get_obj(p, infra, "spec.infrastructure", "parametersRef", false, &pr)))
                        return rc;
                if (pr) {
                        g->has_infra_params = true;
                        if ((rc = parse_ref(p, pr, "spec.infrastructure.parametersRef", NULL,
                                            &g->infra_params)))
                                return rc;
                        g->infra_params.ns = NULL; /* LocalParametersReference */
                }
        }
        if (tls) {
                if ((rc = get_obj(p, tls, "spec.tls", "backend", false, &be)))
                        return rc;
                if (be &&
                    (rc = get_obj(p, be, "spec.tls.backend", "clientCertificateRef", false, &cc)))
                        return rc;
                if (cc) {
                        g->has_client_cert = true;
                        if ((rc = parse_ref(p, cc, "spec.tls.backend.clientCertificateRef",
                                            "Secret", &g->client_cert)))
                                return rc;
                }
                g->has_frontend_validation = item(tls, "frontend") != NULL;
        }
        return CC_OK;
}

/* --- HTTPRoute / GRPCRoute ---------------------------------------------- */

static cc_err
parse_parent(struct pctx *p, const cJSON *o, const char *path, struct cc_gw_parent_ref *r)
{
        cc_err rc;

        if (!cJSON_IsObject(o))
                return field_err(p, NULL, path, "expected object, got %s", jtype(o));
        if ((rc = get_str(p, o, path, "group", false, CC_GW_GROUP, &r->group)) ||
            (rc = get_str(p, o, path, "kind", false, "Gateway", &r->kind)) ||
            (rc = get_str(p, o, path, "name", true, NULL, &r->name)) ||
            (rc = get_str(p, o, path, "namespace", false, NULL, &r->ns)) ||
            (rc = get_str(p, o, path, "sectionName", false, NULL, &r->section)) ||
            (rc = get_int(p, o, path, "port", false, 0, &r->port)))
                return rc;
        return CC_OK;
}

static cc_err
parse_backend(struct pctx *p, const cJSON *o, const char *path, struct cc_gw_backend_ref *b)
{
        const cJSON *f = NULL;
        cc_err rc;

        if (!cJSON_IsObject(o))
                return field_err(p, NULL, path, "expected object, got %s", jtype(o));
        if ((rc = get_str(p, o, path, "group", false, "", &b->group)) ||
            (rc = get_str(p, o, path, "kind", false, "Service", &b->kind)) ||
            (rc = get_str(p, o, path, "name", true, NULL, &b->name)) ||
            (rc = get_str(p, o, path, "namespace", false, NULL, &b->ns)) ||
            (rc = get_int(p, o, path, "port", false, 0, &b->port)) ||
            (rc = get_int(p, o, path, "weight", false, 1, &b->weight)) ||
            (rc = get_arr(p, o, path, "filters", false, &f)) || (rc = keep(p, f, &b->filters)))
                return rc;
        return CC_OK;
}

/* parse_match -- an HTTPRoute match with the path defaulted; the copy kept
 * in m->json carries the defaults too. */
static cc_err
parse_match(struct pctx *p, const cJSON *o, const char *path, bool http, struct cc_gw_match *m)
{
        const cJSON *pa = NULL;
        cJSON *copy, *jp;
        char sub[PATH_MAX_LEN];
        cc_err rc;

        if (o && !cJSON_IsObject(o))
                return field_err(p, NULL, path, "expected object, got %s", jtype(o));
        if (!http)
                return keep(p, o, &m->json);
        if (o && (rc = get_obj(p, o, path, "path", false, &pa)))
                return rc;
        fmtpath(sub, sizeof(sub), "%s.path", path);
        if (pa) {
                if ((rc = get_str(p, pa, sub, "type", false, "PathPrefix", &m->path_type)) ||
                    (rc = get_str(p, pa, sub, "value", false, "/", &m->path_value)))
                        return rc;
        } else {
                m->path_type = "PathPrefix";
                m->path_value = "/";
        }
        copy = o ? cJSON_Duplicate(o, true) : cJSON_CreateObject();
        if (!copy)
                return nomem(p);
        cJSON_AddItemToArray(p->s->keep, copy);
        cJSON_DeleteItemFromObjectCaseSensitive(copy, "path");
        jp = cJSON_AddObjectToObject(copy, "path");
        if (!jp || !cJSON_AddStringToObject(jp, "type", m->path_type) ||
            !cJSON_AddStringToObject(jp, "value", m->path_value))
                return nomem(p);
        m->json = copy;
        return CC_OK;
}

static cc_err
parse_rule(struct pctx *p, const cJSON *o, const char *path, bool http, struct cc_gw_rule *r)
{
        const cJSON *ms = NULL, *bs = NULL, *fs = NULL, *e;
        char sub[PATH_MAX_LEN];
        size_t i, n;
        cc_err rc;

        if (o && !cJSON_IsObject(o))
                return field_err(p, NULL, path, "expected object, got %s", jtype(o));
        if (o &&
            ((rc = get_arr(p, o, path, "matches", false, &ms)) ||
             (rc = get_arr(p, o, path, "backendRefs", false, &bs)) ||
             (rc = get_arr(p, o, path, "filters", false, &fs)) || (rc = keep(p, fs, &r->filters))))
                return rc;
        n = ms ? (size_t)cJSON_GetArraySize(ms) : 0;
        if (n == 0 && http) {
                /* CRD default: one match, PathPrefix "/" */
                r->matches = arena_alloc(p->s, sizeof(*r->matches));
                if (!r->matches)
                        return nomem(p);
                fmtpath(sub, sizeof(sub), "%s.matches[0]", path);
                if ((rc = parse_match(p, NULL, sub, true, &r->matches[0])))
                        return rc;
                r->n_matches = 1;
        } else if (n) {
                r->matches = arena_array(p->s, n, sizeof(*r->matches));
                if (!r->matches)
                        return nomem(p);
                i = 0;
                cJSON_ArrayForEach(e, ms)
                {
                        fmtpath(sub, sizeof(sub), "%s.matches[%zu]", path, i);
                        if ((rc = parse_match(p, e, sub, http, &r->matches[i++])))
                                return rc;
                }
                r->n_matches = i;
        }
        if (bs) {
                r->backends =
                    arena_array(p->s, (size_t)cJSON_GetArraySize(bs), sizeof(*r->backends));
                if (!r->backends)
                        return nomem(p);
                i = 0;
                cJSON_ArrayForEach(e, bs)
                {
                        fmtpath(sub, sizeof(sub), "%s.backendRefs[%zu]", path, i);
                        if ((rc = parse_backend(p, e, sub, &r->backends[i++])))
                                return rc;
                }
                r->n_backends = i;
        }
        return CC_OK;
}

static cc_err
parse_route(struct pctx *p, const cJSON *obj, struct cc_gw_route *r)
{
        const cJSON *spec = NULL, *prs = NULL, *hs = NULL, *rs = NULL, *e;
        bool http = r->kind == CC_GW_HTTPROUTE;
        char path[PATH_MAX_LEN];
        size_t i;
        cc_err rc;

        if ((rc = parse_meta(p, obj, true, &r->meta)) ||
            (rc = get_obj(p, obj, NULL, "spec", true, &spec)) ||
            (rc = get_arr(p, spec, "spec", "parentRefs", false, &prs)) ||
            (rc = get_arr(p, spec, "spec", "hostnames", false, &hs)) ||
            (rc = get_arr(p, spec, "spec", "rules", false, &rs)))
                return rc;
        if (prs) {
                r->parents =
                    arena_array(p->s, (size_t)cJSON_GetArraySize(prs), sizeof(*r->parents));
                if (!r->parents)
                        return nomem(p);
                i = 0;
                cJSON_ArrayForEach(e, prs)
                {
                        fmtpath(path, sizeof(path), "spec.parentRefs[%zu]", i);
                        if ((rc = parse_parent(p, e, path, &r->parents[i++])))
                                return rc;
                }
                r->n_parents = i;
        }
        if (hs) {
                r->hostnames =
                    arena_array(p->s, (size_t)cJSON_GetArraySize(hs), sizeof(*r->hostnames));
                if (!r->hostnames)
                        return nomem(p);
                i = 0;
                cJSON_ArrayForEach(e, hs)
                {
                        fmtpath(path, sizeof(path), "spec.hostnames[%zu]", i);
                        if (!cJSON_IsString(e))
                                return field_err(p, NULL, path, "expected string, got %s",
                                                 jtype(e));
                        if (!(r->hostnames[i++] = arena_str(p->s, e->valuestring)))
                                return nomem(p);
                }
                r->n_hostnames = i;
        }
        if (rs && cJSON_GetArraySize(rs) > 0) {
                r->rules = arena_array(p->s, (size_t)cJSON_GetArraySize(rs), sizeof(*r->rules));
                if (!r->rules)
                        return nomem(p);
                i = 0;
                cJSON_ArrayForEach(e, rs)
                {
                        fmtpath(path, sizeof(path), "spec.rules[%zu]", i);
                        if ((rc = parse_rule(p, e, path, http, &r->rules[i++])))
                                return rc;
                }
                r->n_rules = i;
        } else if (http) {
                /* CRD default: rules [{matches: [{path: PathPrefix "/"}]}] */
                r->rules = arena_alloc(p->s, sizeof(*r->rules));
                if (!r->rules)
                        return nomem(p);
                if ((rc = parse_rule(p, NULL, "spec.rules[0]", true, &r->rules[0])))
                        return rc;
                r->n_rules = 1;
        }
        return CC_OK;
}

/* --- ReferenceGrant, Namespace, Service, Secret, ConfigMap -------------- */

static cc_err
parse_grant(struct pctx *p, const cJSON *obj, struct cc_gw_grant *g)
{
        const cJSON *spec = NULL, *from = NULL, *to = NULL, *e;
        char path[PATH_MAX_LEN];
        size_t i;
        cc_err rc;

        if ((rc = parse_meta(p, obj, true, &g->meta)) ||
            (rc = get_obj(p, obj, NULL, "spec", true, &spec)) ||
            (rc = get_arr(p, spec, "spec", "from", true, &from)) ||
            (rc = get_arr(p, spec, "spec", "to", true, &to)))
                return rc;
        g->from = arena_array(p->s, (size_t)cJSON_GetArraySize(from), sizeof(*g->from));
        g->to = arena_array(p->s, (size_t)cJSON_GetArraySize(to), sizeof(*g->to));
        if (!g->from || !g->to)
                return nomem(p);
        i = 0;
        cJSON_ArrayForEach(e, from)
        {
                struct cc_gw_grant_from *f = &g->from[i];

                fmtpath(path, sizeof(path), "spec.from[%zu]", i);
                if (!cJSON_IsObject(e))
                        return field_err(p, NULL, path, "expected object, got %s", jtype(e));
                if ((rc = get_str(p, e, path, "group", true, NULL, &f->group)) ||
                    (rc = get_str(p, e, path, "kind", true, NULL, &f->kind)) ||
                    (rc = get_str(p, e, path, "namespace", true, NULL, &f->ns)))
                        return rc;
                i++;
        }
        g->n_from = i;
        i = 0;
        cJSON_ArrayForEach(e, to)
        {
                struct cc_gw_grant_to *t = &g->to[i];

                fmtpath(path, sizeof(path), "spec.to[%zu]", i);
                if (!cJSON_IsObject(e))
                        return field_err(p, NULL, path, "expected object, got %s", jtype(e));
                if ((rc = get_str(p, e, path, "group", true, NULL, &t->group)) ||
                    (rc = get_str(p, e, path, "kind", true, NULL, &t->kind)) ||
                    (rc = get_str(p, e, path, "name", false, NULL, &t->name)))
                        return rc;
                i++;
        }
        g->n_to = i;
        return CC_OK;
}

static cc_err
parse_namespace(struct pctx *p, const cJSON *obj, struct cc_gw_namespace *n)
{
        struct cc_gw_labels *l = &n->meta.labels;
        struct cc_gw_kv *v;
        cc_err rc;

        if ((rc = parse_meta(p, obj, false, &n->meta)))
                return rc;
        if (cc_gw_labels_get(l, "kubernetes.io/metadata.name"))
                return CC_OK;
        /* the apiserver sets this label on every Namespace (Kubernetes >= 1.22) */
        v = arena_array(p->s, l->n + 1, sizeof(*v));
        if (!v)
                return nomem(p);
        if (l->n)
                memcpy(v, l->v, l->n * sizeof(*v));
        v[l->n].key = "kubernetes.io/metadata.name";
        v[l->n].value = n->meta.name;
        l->v = v;
        l->n++;
        return CC_OK;
}

static cc_err
parse_service(struct pctx *p, const cJSON *obj, struct cc_gw_service *svc)
{
        const cJSON *spec = NULL, *ports = NULL, *e;
        char path[PATH_MAX_LEN];
        size_t i;
        cc_err rc;

        if ((rc = parse_meta(p, obj, true, &svc->meta)) ||
            (rc = get_obj(p, obj, NULL, "spec", false, &spec)))
                return rc;
        if (spec && (rc = get_arr(p, spec, "spec", "ports", false, &ports)))
                return rc;
        if (!ports)
                return CC_OK;
        svc->ports = arena_array(p->s, (size_t)cJSON_GetArraySize(ports), sizeof(*svc->ports));
        if (!svc->ports)
                return nomem(p);
        i = 0;
        cJSON_ArrayForEach(e, ports)
        {
                struct cc_gw_service_port *sp = &svc->ports[i];

                fmtpath(path, sizeof(path), "spec.ports[%zu]", i);
                if (!cJSON_IsObject(e))
                        return field_err(p, NULL, path, "expected object, got %s", jtype(e));
                if ((rc = get_str(p, e, path, "name", false, NULL, &sp->name)) ||
                    (rc = get_int(p, e, path, "port", true, 0, &sp->port)) ||
                    (rc = get_str(p, e, path, "protocol", false, "TCP", &sp->protocol)) ||
                    (rc = get_str(p, e, path, "appProtocol", false, NULL, &sp->app_protocol)))
                        return rc;
                i++;
        }
        svc->n_ports = i;
        return CC_OK;
}

/* vault_keep -- a copy of text[0..len) in the snapshot's secret storage */
static cc_err
vault_keep(struct pctx *p, const char *text, size_t len, const char **out)
{
        struct cc_gw_snapshot *s = p->s;
        struct cc_secret *sec;

        if (CC_GROW(s->vault, s->cap_vault, s->n_vault + 1))
                return nomem(p);
        sec = &s->vault[s->n_vault];
        memset(sec, 0, sizeof(*sec));
        if (cc_secret_set(sec, text, len))
                return nomem(p);
        s->n_vault++;
        *out = cc_secret_str(sec);
        return CC_OK;
}

/* pem_has -- does the (base64 when b64) value contain every marker?  When
 * it does, *data (if not NULL) gets the decoded text, kept in the vault.
 * The decoded bytes are secret material: wiped before they are freed. */
static cc_err
pem_has(struct pctx *p, const char *value, bool b64, const char *m1, const char *m2, bool *out,
        const char **data)
{
        size_t len = strlen(value), cap;
        unsigned char *buf = NULL;
        cc_err rc = CC_OK;
        int n;

        *out = false;
        if (!b64) {
                *out = strstr(value, m1) && (!m2 || strstr(value, m2));
                if (*out && data)
                        rc = vault_keep(p, value, len, data);
                return rc;
        }
        cap = len / 4 * 3 + 4;
        buf = cc_malloc(cap);
        if (!buf)
                return nomem(p);
        n = len % 4 == 0 ? EVP_DecodeBlock(buf, (const unsigned char *)value, (int)len) : -1;
        if (n >= 0) {
                /* EVP_DecodeBlock counts the padding as zero bytes */
                while (len >= 1 && n > 0 && value[len - 1] == '=') {
                        n--;
                        len--;
                }
                buf[n] = '\0';
                *out = strstr((char *)buf, m1) && (!m2 || strstr((char *)buf, m2));
                if (*out && data)
                        rc = vault_keep(p, (const char *)buf, strlen((char *)buf), data);
        }
        OPENSSL_cleanse(buf, cap);
        cc_free(buf);
        return rc;
}

static cc_err
parse_secret(struct pctx *p, const cJSON *obj, struct cc_gw_secret *sec)
{
        const cJSON *data = NULL, *sdata = NULL, *src, *crt, *key;
        bool b64;
        cc_err rc;

        if ((rc = parse_meta(p, obj, true, &sec->meta)) ||
            (rc = get_str(p, obj, NULL, "type", false, "Opaque", &sec->type)) ||
            (rc = get_obj(p, obj, NULL, "data", false, &data)) ||
            (rc = get_obj(p, obj, NULL, "stringData", false, &sdata)))
                return rc;
        for (int pass = 0; pass < 2; pass++) {
                src = pass == 0 ? data : sdata;
                b64 = pass == 0;
                if (!src)
                        continue;
                crt = item(src, "tls.crt");
                key = item(src, "tls.key");
                if (crt && cJSON_IsString(crt)) {
                        sec->has_crt = true;
                        if ((rc = pem_has(p, crt->valuestring, b64, "-----BEGIN CERTIFICATE-----",
                                          NULL, &sec->crt_pem, &sec->crt_data)))
                                return rc;
                        if (!sec->crt_pem)
                                sec->crt_data = NULL;
                }
                if (key && cJSON_IsString(key)) {
                        sec->has_key = true;
                        if ((rc = pem_has(p, key->valuestring, b64, "-----BEGIN ",
                                          "PRIVATE KEY-----", &sec->key_pem, &sec->key_data)))
                                return rc;
                        if (!sec->key_pem)
                                sec->key_data = NULL;
                }
        }
        return CC_OK;
}

static cc_err
parse_configmap(struct pctx *p, const cJSON *obj, struct cc_gw_configmap *cm)
{
        const cJSON *data = NULL;
        cc_err rc;

        if ((rc = parse_meta(p, obj, true, &cm->meta)) ||
            (rc = get_obj(p, obj, NULL, "data", false, &data)) || (rc = keep(p, data, &cm->data)))
                return rc;
        return CC_OK;
}

/* --- snapshot --------------------------------------------------------------- */

static const struct {
        const char *name, *label, *group; /* group "" = core v1 */
        bool namespaced;
} kinds[CC_GW_KIND__COUNT] = {
        [CC_GW_GATEWAYCLASS] = { "GatewayClass", "gatewayclass", CC_GW_GROUP, false },
        [CC_GW_GATEWAY] = { "Gateway", "gateway", CC_GW_GROUP, true },
        [CC_GW_HTTPROUTE] = { "HTTPRoute", "httproute", CC_GW_GROUP, true },
        [CC_GW_GRPCROUTE] = { "GRPCRoute", "grpcroute", CC_GW_GROUP, true },
        [CC_GW_REFERENCEGRANT] = { "ReferenceGrant", "referencegrant", CC_GW_GROUP, true },
        [CC_GW_NAMESPACE] = { "Namespace", "namespace", "", false },
        [CC_GW_SERVICE] = { "Service", "service", "", true },
        [CC_GW_SECRET] = { "Secret", "secret", "", true },
        [CC_GW_CONFIGMAP] = { "ConfigMap", "configmap", "", true },
};

const char *
cc_gw_kind_name(enum cc_gw_kind kind)
{
        return kind < CC_GW_KIND__COUNT ? kinds[kind].name : "Unknown";
}

const char *
cc_gw_kind_label(enum cc_gw_kind kind)
{
        return kind < CC_GW_KIND__COUNT ? kinds[kind].label : "object";
}

void
cc_gw_snapshot_init(struct cc_gw_snapshot *s)
{
        memset(s, 0, sizeof(*s));
}

void
cc_gw_snapshot_release(struct cc_gw_snapshot *s)
{
        struct cc_gw_arena_block *b = s->arena, *next;

        while (b) {
                next = b->next;
                cc_free(b);
                b = next;
        }
        cc_free(s->classes);
        cc_free(s->gateways);
        cc_free(s->routes);
        cc_free(s->grants);
        cc_free(s->namespaces);
        cc_free(s->services);
        cc_free(s->secrets);
        cc_free(s->configmaps);
        cc_map_release(&s->index);
        cJSON_Delete(s->keep);
        for (size_t i = 0; i < s->n_vault; i++)
                cc_secret_release(&s->vault[i]);
        cc_free(s->vault);
        memset(s, 0, sizeof(*s));
}

static void
index_key(char *out, size_t outsz, enum cc_gw_kind kind, const char *ns, const char *name)
{
        snprintf(out, outsz, "%d/%s/%s", (int)kind, kinds[kind].namespaced ? ns : "", name);
}

/* insert -- add obj to its kind's array and the index, or replace the
 * object with the same key. */
static cc_err
insert(struct cc_gw_snapshot *s, enum cc_gw_kind kind, const struct cc_gw_meta *m, void *obj,
       void ***arrp, size_t *n, size_t *cap)
{
        char key[600];
        void *old;
        size_t i;

        index_key(key, sizeof(key), kind, m->ns, m->name);
        old = cc_map_get(&s->index, key);
        if (old) {
                for (i = 0; i < *n; i++)
                        if ((*arrp)[i] == old)
                                (*arrp)[i] = obj;
                return cc_map_put(&s->index, key, obj); /* replacing never allocates */
        }
        if (cc_grow((void **)arrp, cap, *n + 1, sizeof(void *)))
                return CC_NOMEM;
        if (cc_map_put(&s->index, key, obj))
                return CC_NOMEM;
        (*arrp)[(*n)++] = obj;
        return CC_OK;
}

/* classify -- which kind this apiVersion/kind names, or __COUNT. */
static enum cc_gw_kind
classify(const char *api_version, const char *kind)
{
        const char *slash = strchr(api_version, '/');
        size_t glen = slash ? (size_t)(slash - api_version) : 0;
        int k;

        for (k = 0; k < CC_GW_KIND__COUNT; k++) {
                if (strcmp(kind, kinds[k].name) != 0)
                        continue;
                if (kinds[k].group[0] == '\0')
                        return slash ? CC_GW_KIND__COUNT : (enum cc_gw_kind)k;
                if (slash && glen == strlen(kinds[k].group) &&
                    strncmp(api_version, kinds[k].group, glen) == 0)
                        return (enum cc_gw_kind)k;
        }
        return CC_GW_KIND__COUNT;
}

#define INSERT(arr, n, cap) insert(s, kind, meta, obj, (void ***)&s->arr, &s->n, &s->cap)

cc_err
cc_gw_snapshot_add(struct cc_gw_snapshot *s, const cJSON *o, enum cc_gw_kind *kind_out,
                   struct cc_diag *d)
{
        struct pctx p = { .s = s, .d = d };
        const cJSON *av, *k;
        enum cc_gw_kind kind;
        const struct cc_gw_meta *meta = NULL;
        void *obj = NULL;
        cc_err rc = CC_OK;

        if (!cJSON_IsObject(o))
                return cc_diag_set(d, CC_INVAL, 0, "invalid object: expected object, got %s",
                                   jtype(o));
        av = cJSON_GetObjectItemCaseSensitive(o, "apiVersion");
        k = cJSON_GetObjectItemCaseSensitive(o, "kind");
        if (!cJSON_IsString(av) || !cJSON_IsString(k))
                return cc_diag_set(
                    d, CC_INVAL, 0, "invalid object: field '%s': expected string, got %s",
                    cJSON_IsString(av) ? "kind" : "apiVersion", jtype(cJSON_IsString(av) ? k : av));
        kind = classify(av->valuestring, k->valuestring);
        if (kind == CC_GW_KIND__COUNT)
                goto out;
        if (!s->keep && !(s->keep = cJSON_CreateArray()))
                return cc_diag_set(d, CC_NOMEM, 0, "cannot parse object: out of memory");
        p.label = kinds[kind].label;
        snprintf(p.id, sizeof(p.id), "?");
        switch (kind) {
        case CC_GW_GATEWAYCLASS: {
                struct cc_gw_class *x = arena_alloc(s, sizeof(*x));

                if (!x)
                        return nomem(&p);
                if ((rc = parse_class(&p, o, x)))
                        return rc;
                obj = x, meta = &x->meta;
                rc = INSERT(classes, n_classes, cap_classes);
                break;
        }
        case CC_GW_GATEWAY: {
                struct cc_gw_gateway *x = arena_alloc(s, sizeof(*x));

                if (!x)
                        return nomem(&p);
                if ((rc = parse_gateway(&p, o, x)))
                        return rc;
                obj = x, meta = &x->meta;
                rc = INSERT(gateways, n_gateways, cap_gateways);
                break;
        }
        case CC_GW_HTTPROUTE:
        case CC_GW_GRPCROUTE: {
                struct cc_gw_route *x = arena_alloc(s, sizeof(*x));

                if (!x)
                        return nomem(&p);
                x->kind = kind;
                if ((rc = parse_route(&p, o, x)))
                        return rc;
                obj = x, meta = &x->meta;
                rc = INSERT(routes, n_routes, cap_routes);
                break;
        }
        case CC_GW_REFERENCEGRANT: {
                struct cc_gw_grant *x = arena_alloc(s, sizeof(*x));

                if (!x)
                        return nomem(&p);
                if ((rc = parse_grant(&p, o, x)))
                        return rc;
                obj = x, meta = &x->meta;
                rc = INSERT(grants, n_grants, cap_grants);
                break;
        }
        case CC_GW_NAMESPACE: {
                struct cc_gw_namespace *x = arena_alloc(s, sizeof(*x));

                if (!x)
                        return nomem(&p);
                if ((rc = parse_namespace(&p, o, x)))
                        return rc;
                obj = x, meta = &x->meta;
                rc = INSERT(namespaces, n_namespaces, cap_namespaces);
                break;
        }
        case CC_GW_SERVICE: {
                struct cc_gw_service *x = arena_alloc(s, sizeof(*x));

                if (!x)
                        return nomem(&p);
                if ((rc = parse_service(&p, o, x)))
                        return rc;
                obj = x, meta = &x->meta;
                rc = INSERT(services, n_services, cap_services);
                break;
        }
        case CC_GW_SECRET: {
                struct cc_gw_secret *x = arena_alloc(s, sizeof(*x));

                if (!x)
                        return nomem(&p);
                if ((rc = parse_secret(&p, o, x)))
                        return rc;
                obj = x, meta = &x->meta;
                rc = INSERT(secrets, n_secrets, cap_secrets);
                break;
        }
        case CC_GW_CONFIGMAP: {
                struct cc_gw_configmap *x = arena_alloc(s, sizeof(*x));

                if (!x)
                        return nomem(&p);
                if ((rc = parse_configmap(&p, o, x)))
                        return rc;
                obj = x, meta = &x->meta;
                rc = INSERT(configmaps, n_configmaps, cap_configmaps);
                break;
        }
        default:
                break;
        }
        if (rc)
                return nomem(&p);
out:
        if (kind_out)
                *kind_out = kind;
        return CC_OK;
}

cc_err
cc_gw_snapshot_add_all(struct cc_gw_snapshot *s, const cJSON *array, struct cc_diag *d)
{
        const cJSON *e;
        cc_err rc;

        if (!cJSON_IsArray(array))
                return cc_diag_set(d, CC_INVAL, 0, "invalid object list: expected array, got %s",
                                   jtype(array));
        cJSON_ArrayForEach(e, array)
        {
                if ((rc = cc_gw_snapshot_add(s, e, NULL, d)))
                        return rc;
        }
        return CC_OK;
}

static const void *
lookup(const struct cc_gw_snapshot *s, enum cc_gw_kind kind, const char *ns, const char *name)
{
        char key[600];

        if (!name)
                return NULL;
        index_key(key, sizeof(key), kind, ns ? ns : "", name);
        return cc_map_get(&s->index, key);
}

const struct cc_gw_class *
cc_gw_snapshot_class(const struct cc_gw_snapshot *s, const char *name)
{
        return lookup(s, CC_GW_GATEWAYCLASS, "", name);
}

const struct cc_gw_gateway *
cc_gw_snapshot_gateway(const struct cc_gw_snapshot *s, const char *ns, const char *name)
{
        return lookup(s, CC_GW_GATEWAY, ns, name);
}

const struct cc_gw_route *
cc_gw_snapshot_route(const struct cc_gw_snapshot *s, enum cc_gw_kind kind, const char *ns,
                     const char *name)
{
        if (kind != CC_GW_HTTPROUTE && kind != CC_GW_GRPCROUTE)
                return NULL;
        return lookup(s, kind, ns, name);
}

const struct cc_gw_namespace *
cc_gw_snapshot_namespace(const struct cc_gw_snapshot *s, const char *name)
{
        return lookup(s, CC_GW_NAMESPACE, "", name);
}

const struct cc_gw_service *
cc_gw_snapshot_service(const struct cc_gw_snapshot *s, const char *ns, const char *name)
{
        return lookup(s, CC_GW_SERVICE, ns, name);
}

const struct cc_gw_secret *
cc_gw_snapshot_secret(const struct cc_gw_snapshot *s, const char *ns, const char *name)
{
        return lookup(s, CC_GW_SECRET, ns, name);
}

const struct cc_gw_configmap *
cc_gw_snapshot_configmap(const struct cc_gw_snapshot *s, const char *ns, const char *name)
{
        return lookup(s, CC_GW_CONFIGMAP, ns, name);
}

/* --- hostnames, selectors, labels --------------------------------------- */

static bool
label_valid(const char *l, size_t n)
{
        size_t i;

        if (n == 0 || n > 63 || l[0] == '-' || l[n - 1] == '-')
                return false;
        for (i = 0; i < n; i++)
                if (!((l[i] >= 'a' && l[i] <= 'z') || (l[i] >= '0' && l[i] <= '9') || l[i] == '-'))
                        return false;
        return true;
}

bool
cc_gw_hostname_valid(const char *h)
{
        unsigned char addr[16];
        const char *p, *dot;

        if (!h || !h[0] || strlen(h) > 253)
                return false;
        if (inet_pton(AF_INET, h, addr) == 1 || inet_pton(AF_INET6, h, addr) == 1)
                return false;
        p = h;
        if (p[0] == '*') {
                if (p[1] != '.')
                        return false;
                p += 2;
        }
        for (;;) {
                dot = strchr(p, '.');
                if (!label_valid(p, dot ? (size_t)(dot - p) : strlen(p)))
                        return false;
                if (!dot)
                        return true;
                p = dot + 1;
        }
}

/* below -- is host strictly below the wildcard's suffix ("*.x.com" -> ".x.com")? */
static bool
below(const char *host, const char *wildcard)
{
        const char *sfx = wildcard + 1; /* ".x.com" */
        size_t hl = strlen(host), sl = strlen(sfx);

        return hl > sl && strcasecmp(host + hl - sl, sfx) == 0 && host[0] != '.';
}

bool
cc_gw_hostname_intersect(const char *listener, const char *route, const char **out)
{
        bool lw, rw;

        if (!listener || !listener[0]) {
                *out = route;
                return true;
        }
        if (!route || !route[0]) {
                *out = listener;
                return true;
        }
        lw = listener[0] == '*';
        rw = route[0] == '*';
        if (!lw && !rw) {
                if (strcasecmp(listener, route) != 0)
                        return false;
                *out = route;
                return true;
        }
        if (lw && !rw) {
                if (!below(route, listener))
                        return false;
                *out = route;
                return true;
        }
        if (!lw && rw) {
                if (!below(listener, route))
                        return false;
                *out = listener;
                return true;
        }
        /* both wildcards: the longer suffix must sit below or equal the shorter */
        if (strcasecmp(listener, route) == 0) {
                *out = route;
                return true;
        }
        if (strlen(route) > strlen(listener)) {
                if (!below(route + 2, listener))
                        return false;
                *out = route;
                return true;
        }
        if (!below(listener + 2, route))
                return false;
        *out = listener;
        return true;
}

const char *
cc_gw_labels_get(const struct cc_gw_labels *l, const char *key)
{
        size_t i;

        for (i = 0; i < l->n; i++)
                if (strcmp(l->v[i].key, key) == 0)
                        return l->v[i].value;
        return NULL;
}

bool
cc_gw_selector_matches(const struct cc_gw_selector *sel, const struct cc_gw_labels *labels)
{
        size_t i, j;

        for (i = 0; i < sel->match_labels.n; i++) {
                const char *v = cc_gw_labels_get(labels, sel->match_labels.v[i].key);

                if (!v || strcmp(v, sel->match_labels.v[i].value) != 0)
                        return false;
        }
        for (i = 0; i < sel->n_exprs; i++) {
                const struct cc_gw_expr *x = &sel->exprs[i];
                const char *v = cc_gw_labels_get(labels, x->key);
                bool in = false;

                for (j = 0; v && j < x->n_values; j++)
                        if (strcmp(v, x->values[j]) == 0)
                                in = true;
                switch (x->op) {
                case CC_GW_OP_IN:
                        if (!in)
                                return false;
                        break;
                case CC_GW_OP_NOTIN:
                        if (in)
                                return false;
                        break;
                case CC_GW_OP_EXISTS:
                        if (!v)
                                return false;
                        break;
                case CC_GW_OP_DOESNOTEXIST:
                        if (v)
                                return false;
                        break;
                }
        }
        return true;
}
