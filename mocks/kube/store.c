/* store.c -- objects and their semantics: CRUD, resourceVersion, generation,
 * status subresource, finalizers, garbage collection and namespace deletion.
 *
 * DESIGN
 * ------
 * The store is a flat array (a mock holds tens of objects, so linear scans
 * are fine); lists sort a copy by namespace/name.  Every successful write
 * takes the next value of one global counter as its resourceVersion and
 * appends an event to the ring in watch.c.  A write that changes nothing is
 * a no-op: same resourceVersion, no event.  Garbage collection runs
 * synchronously when an owner disappears (the apiserver does it a moment
 * later; clients must not depend on the timing either way).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/yaml.h"
#include "mocks/kube/kube.h"
#include "core/banned.h"

/* --- small helpers ------------------------------------------------------- */

void
kube_now(const struct kube *k, char *out, size_t n)
{
        time_t t = time(NULL);
        struct tm tm;

        if (k && k->fake_now) {
                snprintf(out, n, "%s", k->fake_now);
                return;
        }
        gmtime_r(&t, &tm);
        strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

const char *
kube_str(const cJSON *obj, const char *a, const char *b)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, a);

        if (b)
                v = cJSON_GetObjectItemCaseSensitive(v, b);
        return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool
kube_is_true(const char *s)
{
        return s && (!strcmp(s, "1") || !strcmp(s, "t") || !strcmp(s, "T") || !strcmp(s, "true") ||
                     !strcmp(s, "TRUE") || !strcmp(s, "True"));
}

static cJSON *
meta(cJSON *obj)
{
        cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "metadata");

        if (!m)
                m = cJSON_AddObjectToObject(obj, "metadata");
        return m;
}

static void
set_str(cJSON *o, const char *name, const char *v)
{
        cJSON *s = cJSON_CreateString(v);

        if (!s)
                return;
        if (cJSON_GetObjectItemCaseSensitive(o, name))
                cJSON_ReplaceItemInObjectCaseSensitive(o, name, s);
        else
                cJSON_AddItemToObject(o, name, s);
}

static void
set_item(cJSON *o, const char *name, cJSON *v)
{
        if (!v)
                return;
        if (cJSON_GetObjectItemCaseSensitive(o, name))
                cJSON_ReplaceItemInObjectCaseSensitive(o, name, v);
        else
                cJSON_AddItemToObject(o, name, v);
}

static void
set_num(cJSON *o, const char *name, double v)
{
        set_item(o, name, cJSON_CreateNumber(v));
}

static void
set_rv(cJSON *obj, unsigned long rv)
{
        char s[32];

        snprintf(s, sizeof(s), "%lu", rv);
        set_str(meta(obj), "resourceVersion", s);
}

static void
new_uid(struct kube *k, char *out, size_t n)
{
        unsigned char b[16];
        size_t i;

        if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
                unsigned seq = ++k->uid_seq;

                for (i = 0; i < sizeof(b); i++)
                        b[i] = (unsigned char)(seq * 131u + i * 17u + (unsigned)time(NULL));
        }
        b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
        b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
        snprintf(out, n, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
                 b[13], b[14], b[15]);
}

unsigned long
kube_current_rv(const struct kube *k)
{
        return k->rv;
}

/* --- Status errors ------------------------------------------------------- */

cJSON *
kube_status(int code, const char *reason, const char *message, const struct kube_res *res,
            const char *name)
{
        cJSON *s = cJSON_CreateObject();

        cJSON_AddStringToObject(s, "kind", "Status");
        cJSON_AddStringToObject(s, "apiVersion", "v1");
        cJSON_AddObjectToObject(s, "metadata");
        cJSON_AddStringToObject(s, "status", code < 400 ? "Success" : "Failure");
        if (message)
                cJSON_AddStringToObject(s, "message", message);
        if (reason && reason[0])
                cJSON_AddStringToObject(s, "reason", reason);
        if (res || name) {
                cJSON *d = cJSON_AddObjectToObject(s, "details");

                if (name)
                        cJSON_AddStringToObject(d, "name", name);
                if (res) {
                        if (res->group[0])
                                cJSON_AddStringToObject(d, "group", res->group);
                        cJSON_AddStringToObject(d, "kind", res->plural);
                }
        }
        cJSON_AddNumberToObject(s, "code", code);
        return s;
}

cJSON *
kube_invalid(const struct kube_res *res, const char *name, const char *field,
             const char *value_json, const char *detail)
{
        char qk[160], msg[1024], cause[768];
        cJSON *s, *d, *causes, *c;

        kube_res_qualified_kind(res, qk, sizeof(qk));
        if (value_json)
                snprintf(cause, sizeof(cause), "Invalid value: %s: %s", value_json, detail);
        else
                snprintf(cause, sizeof(cause), "%s", detail);
        snprintf(msg, sizeof(msg), "%s \"%s\" is invalid: %s: %s", qk, name ? name : "", field,
                 cause);
        s = kube_status(422, "Invalid", msg, NULL, NULL);
        d = cJSON_AddObjectToObject(s, "details");
        cJSON_AddStringToObject(d, "name", name ? name : "");
        if (res->group[0])
                cJSON_AddStringToObject(d, "group", res->group);
        cJSON_AddStringToObject(d, "kind", res->kind);
        causes = cJSON_AddArrayToObject(d, "causes");
        c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "reason",
                                value_json ? "FieldValueInvalid" : "FieldValueForbidden");
        cJSON_AddStringToObject(c, "message", cause);
        cJSON_AddStringToObject(c, "field", field);
        cJSON_AddItemToArray(causes, c);
        return s;
}

static int
fail(cJSON **out, int code, const char *reason, const char *message, const struct kube_res *res,
     const char *name)
{
        *out = kube_status(code, reason, message, res, name);
        return code;
}

static int
not_found(cJSON **out, const struct kube_res *r, const char *name)
{
        char qp[160], msg[512];

        kube_res_qualified_plural(r, qp, sizeof(qp));
        snprintf(msg, sizeof(msg), "%s \"%s\" not found", qp, name);
        return fail(out, 404, "NotFound", msg, r, name);
}

static int
conflict(cJSON **out, const struct kube_res *r, const char *name)
{
        char qp[160], msg[512];

        kube_res_qualified_plural(r, qp, sizeof(qp));
        snprintf(msg, sizeof(msg),
                 "Operation cannot be fulfilled on %s \"%s\": the object has been modified; "
                 "please apply your changes to the latest version and try again",
                 qp, name);
        return fail(out, 409, "Conflict", msg, r, name);
}

/* --- names --------------------------------------------------------------- */

static bool
dns_label(const char *s, size_t len, bool letter_first)
{
        size_t i;

        if (!len || len > 63)
                return false;
        if (letter_first ? !islower((unsigned char)s[0])
                         : !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
                return false;
        if (!(islower((unsigned char)s[len - 1]) || isdigit((unsigned char)s[len - 1])))
                return false;
        for (i = 0; i < len; i++)
                if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
                        return false;
        return true;
}

static bool
dns_subdomain(const char *s)
{
        size_t len = strlen(s);

        if (!len || len > 253)
                return false;
        while (*s) {
                const char *dot = strchr(s, '.');
                size_t l = dot ? (size_t)(dot - s) : strlen(s);

                if (!dns_label(s, l, false))
                        return false;
                s += l;
                if (*s == '.')
                        s++;
                else
                        break;
        }
        return s[-1] != '.';
}

/* NULL when valid, else the apiserver's explanation */
static const char *
name_problem(const struct kube_res *r, const char *name)
{
        if (!strcmp(r->kind, "Namespace")) {
                if (!dns_label(name, strlen(name), false))
                        return "a lowercase RFC 1123 label must consist of lower case alphanumeric "
                               "characters or '-', and must start and end with an alphanumeric "
                               "character (e.g. 'my-name',  or '123-abc', regex used for "
                               "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
                return NULL;
        }
        if (!strcmp(r->kind, "Service")) {
                if (!dns_label(name, strlen(name), true))
                        return "a DNS-1035 label must consist of lower case alphanumeric "
                               "characters "
                               "or '-', start with an alphabetic character, and end with an "
                               "alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used "
                               "for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
                return NULL;
        }
        if (!dns_subdomain(name))
                return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                       "characters, '-' or '.', and must start and end with an alphanumeric "
                       "character (e.g. 'example.com', regex used for validation is "
                       "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
        return NULL;
}

/* --- store --------------------------------------------------------------- */

struct kube_obj *
kube_find(struct kube *k, const struct kube_res *r, const char *ns, const char *name)
{
        size_t i;

        for (i = 0; i < k->nobjs; i++) {
                struct kube_obj *o = &k->objs[i];

                if (o->res == r && !strcmp(o->ns, ns) && !strcmp(o->name, name))
                        return o;
        }
        return NULL;
}

static struct kube_obj *
find_uid(struct kube *k, const char *uid)
{
        size_t i;

        for (i = 0; i < k->nobjs; i++) {
                const char *u = kube_str(k->objs[i].obj, "metadata", "uid");

                if (u && !strcmp(u, uid))
                        return &k->objs[i];
        }
        return NULL;
}

static struct kube_obj *
store_add(struct kube *k, const struct kube_res *r, const char *ns, const char *name, cJSON *obj)
{
        struct kube_obj *o;

        if (CC_GROW(k->objs, k->objs_cap, k->nobjs + 1))
                return NULL;
        o = &k->objs[k->nobjs];
        o->res = r;
        o->ns = cc_strdup(ns);
        o->name = cc_strdup(name);
        o->obj = obj;
        o->deleting_since = 0;
        if (!o->ns || !o->name) {
                cc_free(o->ns);
                cc_free(o->name);
                return NULL;
        }
        k->nobjs++;
        return o;
}

/* detach object i from the array; returns its tree */
static cJSON *
store_take(struct kube *k, struct kube_obj *o)
{
        size_t i = (size_t)(o - k->objs);
        cJSON *obj = o->obj;

        cc_free(o->ns);
        cc_free(o->name);
        memmove(&k->objs[i], &k->objs[i + 1], (k->nobjs - i - 1) * sizeof(*k->objs));
        k->nobjs--;
        return obj;
}

static const struct kube_res *
ns_res(void)
{
        return kube_res_find("", "v1", "namespaces");
}

/* 0 = missing, 1 = active, 2 = terminating */
static int
ns_state(struct kube *k, const char *ns)
{
        struct kube_obj *o = kube_find(k, ns_res(), "", ns);

        if (!o)
                return 0;
        return kube_str(o->obj, "metadata", "deletionTimestamp") ? 2 : 1;
}

static bool
has_finalizers(const cJSON *obj)
{
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "finalizers");

        return cJSON_GetArraySize(f) > 0;
}

/* the finalizers that keep a deleting object: metadata.finalizers, and a
 * Namespace's spec.finalizers */
static bool
held(const struct kube_res *r, const cJSON *obj)
{
        if (has_finalizers(obj))
                return true;
        return !strcmp(r->kind, "Namespace") &&
               cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
                   cJSON_GetObjectItemCaseSensitive(obj, "spec"), "finalizers")) > 0;
}

/* remove o for good: DELETED event with `final` (consumed; NULL = the stored
 * state) at a new RV.  Its dependents and a namespace's contents are left to
 * the controllers (kube_gc_pass), which the event wakes. */
static void
remove_object(struct kube *k, struct kube_obj *o, cJSON *final)
{
        const struct kube_res *r = o->res;
        char ns[256];
        cJSON *prev;

        snprintf(ns, sizeof(ns), "%s", o->ns);
        prev = store_take(k, o);
        if (!final)
                final = cJSON_Duplicate(prev, true);
        if (final) {
                set_rv(final, ++k->rv);
                kube_record(k, KE_DELETED, r, ns, final, prev);
        }
        cJSON_Delete(final);
        cJSON_Delete(prev);
}

/* --- defaulting ---------------------------------------------------------- */

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static bool
b64_encode(const char *in, size_t len, struct cc_buf *out)
{
        size_t i;

        for (i = 0; i < len; i += 3) {
                unsigned v = (unsigned char)in[i] << 16;
                char q[4];

                if (i + 1 < len)
                        v |= (unsigned char)in[i + 1] << 8;
                if (i + 2 < len)
                        v |= (unsigned char)in[i + 2];
                q[0] = b64chars[(v >> 18) & 63];
                q[1] = b64chars[(v >> 12) & 63];
                q[2] = i + 1 < len ? b64chars[(v >> 6) & 63] : '=';
                q[3] = i + 2 < len ? b64chars[v & 63] : '=';
                if (cc_buf_append(out, q, 4))
                        return false;
        }
        return cc_buf_putc(out, 0) == CC_OK;
}

static bool
b64_valid(const char *s)
{
        size_t len = strlen(s), i, pad = 0;

        if (len % 4)
                return false;
        for (i = 0; i < len; i++) {
                if (s[i] == '=') {
                        pad++;
                        if (i < len - 2)
                                return false;
                } else if (pad || !strchr(b64chars, s[i])) {
                        return false;
                }
        }
        return true;
}

static cJSON *
condition_pending(const char *type)
{
        cJSON *c = cJSON_CreateObject();

        cJSON_AddStringToObject(c, "type", type);
        cJSON_AddStringToObject(c, "status", "Unknown");
        cJSON_AddStringToObject(c, "reason", "Pending");
        cJSON_AddStringToObject(c, "message", "Waiting for controller");
        cJSON_AddStringToObject(c, "lastTransitionTime", "1970-01-01T00:00:00Z");
        return c;
}

static void
default_str(cJSON *o, const char *name, const char *v)
{
        if (cJSON_IsObject(o) && !cJSON_GetObjectItemCaseSensitive(o, name))
                cJSON_AddStringToObject(o, name, v);
}

static void
default_ref(cJSON *ref, const char *group, const char *kind)
{
        default_str(ref, "group", group);
        default_str(ref, "kind", kind);
}

static cJSON *
path_prefix_match(void)
{
        cJSON *m = cJSON_CreateObject(), *p = cJSON_AddObjectToObject(m, "path");

        cJSON_AddStringToObject(p, "type", "PathPrefix");
        cJSON_AddStringToObject(p, "value", "/");
        return m;
}

static void
default_backend_refs(cJSON *refs)
{
        cJSON *b;

        cJSON_ArrayForEach(b, refs) if (cJSON_IsObject(b))
        {
                default_ref(b, "", "Service");
                if (!cJSON_GetObjectItemCaseSensitive(b, "weight"))
                        cJSON_AddNumberToObject(b, "weight", 1);
        }
}

static void
default_typed_list(cJSON *list, const char *type)
{
        cJSON *h;

        cJSON_ArrayForEach(h, list) default_str(h, "type", type);
}

static void
gateway_api_defaults(const struct kube_res *r, cJSON *obj)
{
        cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec"), *it, *rule;

        if ((!strcmp(r->kind, "GatewayClass") || !strcmp(r->kind, "Gateway")) &&
            !cJSON_GetObjectItemCaseSensitive(obj, "status")) {
                cJSON *st = cJSON_AddObjectToObject(obj, "status");
                cJSON *conds = cJSON_AddArrayToObject(st, "conditions");

                cJSON_AddItemToArray(conds, condition_pending("Accepted"));
                if (!strcmp(r->kind, "Gateway"))
                        cJSON_AddItemToArray(conds, condition_pending("Programmed"));
        }
        if (!cJSON_IsObject(spec))
                return;
        if (!strcmp(r->kind, "Gateway")) {
                cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(spec, "listeners"))
                {
                        cJSON *ar, *ns, *tls, *ref;

                        if (!cJSON_IsObject(it))
                                continue;
                        ar = cJSON_GetObjectItemCaseSensitive(it, "allowedRoutes");
                        if (!ar)
                                ar = cJSON_AddObjectToObject(it, "allowedRoutes");
                        if (cJSON_IsObject(ar)) {
                                ns = cJSON_GetObjectItemCaseSensitive(ar, "namespaces");
                                if (!ns)
                                        ns = cJSON_AddObjectToObject(ar, "namespaces");
                                default_str(ns, "from", "Same");
                                cJSON_ArrayForEach(ref,
                                                   cJSON_GetObjectItemCaseSensitive(ar, "kinds"))
                                    default_str(ref, "group", "gateway.networking.k8s.io");
                        }
                        tls = cJSON_GetObjectItemCaseSensitive(it, "tls");
                        if (cJSON_IsObject(tls)) {
                                default_str(tls, "mode", "Terminate");
                                cJSON_ArrayForEach(
                                    ref, cJSON_GetObjectItemCaseSensitive(tls, "certificateRefs"))
                                    default_ref(ref, "", "Secret");
                        }
                }
                default_typed_list(cJSON_GetObjectItemCaseSensitive(spec, "addresses"),
                                   "IPAddress");
                return;
        }
        if (strcmp(r->kind, "HTTPRoute") && strcmp(r->kind, "GRPCRoute"))
                return;
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(spec, "parentRefs"))
            default_ref(it, "gateway.networking.k8s.io", "Gateway");
        if (!strcmp(r->kind, "HTTPRoute") && !cJSON_GetObjectItemCaseSensitive(spec, "rules")) {
                cJSON *rules = cJSON_AddArrayToObject(spec, "rules"), *r0 = cJSON_CreateObject();

                cJSON_AddItemToArray(cJSON_AddArrayToObject(r0, "matches"), path_prefix_match());
                cJSON_AddItemToArray(rules, r0);
        }
        cJSON_ArrayForEach(rule, cJSON_GetObjectItemCaseSensitive(spec, "rules"))
        {
                cJSON *m, *f;

                if (!cJSON_IsObject(rule))
                        continue;
                if (!strcmp(r->kind, "HTTPRoute") &&
                    !cJSON_GetObjectItemCaseSensitive(rule, "matches"))
                        cJSON_AddItemToArray(cJSON_AddArrayToObject(rule, "matches"),
                                             path_prefix_match());
                cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(rule, "matches"))
                {
                        cJSON *path;

                        if (!cJSON_IsObject(m))
                                continue;
                        if (!strcmp(r->kind, "HTTPRoute")) {
                                path = cJSON_GetObjectItemCaseSensitive(m, "path");
                                if (!path) {
                                        path = cJSON_AddObjectToObject(m, "path");
                                        default_str(path, "type", "PathPrefix");
                                        default_str(path, "value", "/");
                                } else {
                                        default_str(path, "type", "PathPrefix");
                                        default_str(path, "value", "/");
                                }
                                default_typed_list(
                                    cJSON_GetObjectItemCaseSensitive(m, "queryParams"), "Exact");
                        } else {
                                default_str(cJSON_GetObjectItemCaseSensitive(m, "method"), "type",
                                            "Exact");
                        }
                        default_typed_list(cJSON_GetObjectItemCaseSensitive(m, "headers"), "Exact");
                }
                default_backend_refs(cJSON_GetObjectItemCaseSensitive(rule, "backendRefs"));
                cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(rule, "filters"))
                {
                        cJSON *rr = cJSON_GetObjectItemCaseSensitive(f, "requestRedirect");
                        cJSON *mir = cJSON_GetObjectItemCaseSensitive(f, "requestMirror");

                        if (cJSON_IsObject(rr) &&
                            !cJSON_GetObjectItemCaseSensitive(rr, "statusCode"))
                                cJSON_AddNumberToObject(rr, "statusCode", 302);
                        if (cJSON_IsObject(mir)) {
                                cJSON *frac = cJSON_GetObjectItemCaseSensitive(mir, "fraction");

                                default_ref(cJSON_GetObjectItemCaseSensitive(mir, "backendRef"), "",
                                            "Service");
                                if (cJSON_IsObject(frac) &&
                                    !cJSON_GetObjectItemCaseSensitive(frac, "denominator"))
                                        cJSON_AddNumberToObject(frac, "denominator", 100);
                        }
                }
        }
}

static unsigned service_ip_seq;

/* kind-specific defaulting and normalisation; old is the stored state on
 * update (NULL on create).  Returns 0 or an HTTP status with *out set. */
static int
defaults(struct kube *k, const struct kube_res *r, cJSON *obj, const cJSON *old, cJSON **out)
{
        cJSON *m = meta(obj);
        const char *name = kube_str(obj, "metadata", "name");

        if (!strcmp(r->kind, "Secret")) {
                cJSON *sd = cJSON_GetObjectItemCaseSensitive(obj, "stringData");
                cJSON *data = cJSON_GetObjectItemCaseSensitive(obj, "data"), *it;

                if (data && !cJSON_IsObject(data) && !cJSON_IsNull(data))
                        return fail(out, 400, "BadRequest",
                                    "Secret in version \"v1\" cannot be handled as a Secret: "
                                    "data must be an object",
                                    NULL, NULL);
                cJSON_ArrayForEach(it, data) if (
                    !cJSON_IsString(it) ||
                    !b64_valid(it->valuestring)) return fail(out, 400, "BadRequest",
                                                             "Secret in version \"v1\" cannot be "
                                                             "handled as a Secret: illegal base64 "
                                                             "data in 'data'",
                                                             NULL, NULL);
                if (cJSON_IsObject(sd)) {
                        if (!cJSON_IsObject(data)) {
                                cJSON_DeleteItemFromObjectCaseSensitive(obj, "data");
                                data = cJSON_AddObjectToObject(obj, "data");
                        }
                        cJSON_ArrayForEach(it, sd)
                        {
                                struct cc_buf b = CC_BUF_INIT(0);

                                if (!cJSON_IsString(it))
                                        continue;
                                if (b64_encode(it->valuestring, strlen(it->valuestring), &b))
                                        set_str(data, it->string, cc_buf_str(&b));
                                cc_buf_release(&b);
                        }
                }
                if (sd)
                        cJSON_DeleteItemFromObjectCaseSensitive(obj, "stringData");
                default_str(obj, "type", "Opaque");
        } else if (!strcmp(r->kind, "Namespace")) {
                cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec"), *labels, *st;

                if (!cJSON_IsObject(spec)) {
                        cJSON_DeleteItemFromObjectCaseSensitive(obj, "spec");
                        spec = cJSON_AddObjectToObject(obj, "spec");
                }
                if (!cJSON_GetObjectItemCaseSensitive(spec, "finalizers"))
                        cJSON_AddItemToArray(cJSON_AddArrayToObject(spec, "finalizers"),
                                             cJSON_CreateString("kubernetes"));
                labels = cJSON_GetObjectItemCaseSensitive(m, "labels");
                if (!labels)
                        labels = cJSON_AddObjectToObject(m, "labels");
                if (name && cJSON_IsObject(labels))
                        set_str(labels, "kubernetes.io/metadata.name", name);
                st = cJSON_GetObjectItemCaseSensitive(obj, "status");
                if (!cJSON_IsObject(st)) {
                        cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
                        st = cJSON_AddObjectToObject(obj, "status");
                }
                set_str(st, "phase",
                        kube_str(obj, "metadata", "deletionTimestamp") ? "Terminating" : "Active");
        } else if (!strcmp(r->kind, "Service")) {
                cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec"), *p;
                const cJSON *ospec = cJSON_GetObjectItemCaseSensitive(old, "spec");
                const char *ip;

                if (!spec)
                        spec = cJSON_AddObjectToObject(obj, "spec");
                if (!cJSON_IsObject(spec))
                        return fail(out, 400, "BadRequest", "spec must be an object", NULL, NULL);
                default_str(spec, "type", "ClusterIP");
                ip = kube_str(ospec, "clusterIP", NULL);
                if (!cJSON_GetObjectItemCaseSensitive(spec, "clusterIP")) {
                        char fresh[32];

                        if (!ip) {
                                unsigned n = ++service_ip_seq;

                                snprintf(fresh, sizeof(fresh), "10.96.%u.%u", (n / 250) % 250,
                                         n % 250 + 1);
                                ip = fresh;
                        }
                        cJSON_AddStringToObject(spec, "clusterIP", ip);
                }
                ip = kube_str(spec, "clusterIP", NULL);
                if (ip && !cJSON_GetObjectItemCaseSensitive(spec, "clusterIPs"))
                        cJSON_AddItemToArray(cJSON_AddArrayToObject(spec, "clusterIPs"),
                                             cJSON_CreateString(ip));
                cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(spec, "ports"))
                {
                        const cJSON *port = cJSON_GetObjectItemCaseSensitive(p, "port");

                        if (!cJSON_IsObject(p))
                                continue;
                        default_str(p, "protocol", "TCP");
                        if (cJSON_IsNumber(port) &&
                            !cJSON_GetObjectItemCaseSensitive(p, "targetPort"))
                                cJSON_AddNumberToObject(p, "targetPort", port->valuedouble);
                }
                default_str(spec, "sessionAffinity", "None");
                if (!cJSON_GetObjectItemCaseSensitive(spec, "ipFamilies"))
                        cJSON_AddItemToArray(cJSON_AddArrayToObject(spec, "ipFamilies"),
                                             cJSON_CreateString("IPv4"));
                default_str(spec, "ipFamilyPolicy", "SingleStack");
                default_str(spec, "internalTrafficPolicy", "Cluster");
        } else if (!strcmp(r->kind, "EndpointSlice")) {
                if (!kube_str(obj, "addressType", NULL))
                        return fail(out, 422, "Invalid",
                                    "EndpointSlice.discovery.k8s.io is invalid: addressType: "
                                    "Required value",
                                    NULL, NULL);
        } else if (r->flags & KR_CRD) {
                if (k->cfg.crd_defaults)
                        gateway_api_defaults(r, obj);
        }
        return 0;
}

/* the metadata.labels/annotations/finalizers type checks a Go decoder does */
static int
check_meta_types(const struct kube_res *r, const cJSON *obj, cJSON **out)
{
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "metadata"), *f, *it;
        static const char *const maps[] = { "labels", "annotations" };
        char qk[160], msg[512];
        size_t i;

        kube_res_qualified_kind(r, qk, sizeof(qk));
        if (m && !cJSON_IsObject(m)) {
                snprintf(msg, sizeof(msg),
                         "%s in version \"%s\" cannot be handled as a %s: metadata must be an "
                         "object",
                         r->kind, r->version, r->kind);
                return fail(out, 400, "BadRequest", msg, NULL, NULL);
        }
        for (i = 0; i < 2; i++) {
                f = cJSON_GetObjectItemCaseSensitive(m, maps[i]);
                if (!f || cJSON_IsNull(f))
                        continue;
                if (!cJSON_IsObject(f))
                        goto bad;
                cJSON_ArrayForEach(it, f) if (!cJSON_IsString(it)) goto bad;
        }
        f = cJSON_GetObjectItemCaseSensitive(m, "finalizers");
        if (f && !cJSON_IsNull(f)) {
                if (!cJSON_IsArray(f))
                        goto bad;
                cJSON_ArrayForEach(it, f) if (!cJSON_IsString(it)) goto bad;
        }
        f = cJSON_GetObjectItemCaseSensitive(m, "ownerReferences");
        if (f && !cJSON_IsNull(f) && !cJSON_IsArray(f))
                goto bad;
        f = cJSON_GetObjectItemCaseSensitive(m, "name");
        if (f && !cJSON_IsString(f))
                goto bad;
        return 0;
bad:
        snprintf(msg, sizeof(msg),
                 "%s in version \"%s\" cannot be handled as a %s: json: cannot unmarshal a "
                 "value of the wrong type into metadata",
                 r->kind, r->version, r->kind);
        return fail(out, 400, "BadRequest", msg, NULL, NULL);
}

/* the content a generation bump looks at */
static bool
spec_changed(const struct kube_res *r, const cJSON *a, const cJSON *b)
{
        const cJSON *x, *y;

        if (r->flags & KR_CRD) {
                for (x = a->child; x; x = x->next) {
                        if (!strcmp(x->string, "metadata") ||
                            (!strcmp(x->string, "status") && (r->flags & KR_STATUS)))
                                continue;
                        y = cJSON_GetObjectItemCaseSensitive(b, x->string);
                        if (!y || !cJSON_Compare(x, y, true))
                                return true;
                }
                for (y = b->child; y; y = y->next) {
                        if (!strcmp(y->string, "metadata") ||
                            (!strcmp(y->string, "status") && (r->flags & KR_STATUS)))
                                continue;
                        if (!cJSON_GetObjectItemCaseSensitive(a, y->string))
                                return true;
                }
                return false;
        }
        x = cJSON_GetObjectItemCaseSensitive(a, "spec");
        y = cJSON_GetObjectItemCaseSensitive(b, "spec");
        if ((x || y) && (!x || !y || !cJSON_Compare(x, y, true)))
                return true;
        if (r->flags & KR_GEN_ANNOT) {
                x = cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(a, "metadata"), "annotations");
                y = cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(b, "metadata"), "annotations");
                if ((x || y) && (!x || !y || !cJSON_Compare(x, y, true)))
                        return true;
        }
        return false;
}

/* equal except resourceVersion and managedFields */
static bool
same_object(const cJSON *a, const cJSON *b)
{
        cJSON *x = cJSON_Duplicate(a, true), *y = cJSON_Duplicate(b, true);
        bool eq;

        cJSON_DeleteItemFromObjectCaseSensitive(meta(x), "resourceVersion");
        cJSON_DeleteItemFromObjectCaseSensitive(meta(y), "resourceVersion");
        cJSON_DeleteItemFromObjectCaseSensitive(meta(x), "managedFields");
        cJSON_DeleteItemFromObjectCaseSensitive(meta(y), "managedFields");
        eq = cJSON_Compare(x, y, true);
        cJSON_Delete(x);
        cJSON_Delete(y);
        return eq;
}

static void
copy_field(cJSON *dst, const cJSON *src, const char *name)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, name);

        cJSON_DeleteItemFromObjectCaseSensitive(dst, name);
        if (v)
                cJSON_AddItemToObject(dst, name, cJSON_Duplicate(v, true));
}

static void
set_type_meta(const struct kube_res *r, cJSON *obj)
{
        char av[128];

        kube_res_api_version(r, av, sizeof(av));
        set_str(obj, "apiVersion", av);
        set_str(obj, "kind", r->kind);
        /* keep apiVersion and kind first, like the apiserver prints them */
        {
                cJSON *a = cJSON_DetachItemFromObjectCaseSensitive(obj, "apiVersion");
                cJSON *kd = cJSON_DetachItemFromObjectCaseSensitive(obj, "kind");

                if (kd)
                        kube_json_insert(obj, 0, kd);
                if (a)
                        kube_json_insert(obj, 0, a);
        }
}

/* check the body's apiVersion/kind against the URL's */
static int
check_type_meta(const struct kube_res *r, const cJSON *body, cJSON **out)
{
        const char *av = kube_str(body, "apiVersion", NULL);
        const char *kind = kube_str(body, "kind", NULL);
        char want[128], msg[512];

        kube_res_api_version(r, want, sizeof(want));
        if (av && av[0] && strcmp(av, want)) {
                size_t i;

                /* another served version of the same kind is fine */
                for (i = 0; kube_resources[i]; i++) {
                        char alias[128];

                        if (kube_resources[i]->storage != r)
                                continue;
                        kube_res_api_version(kube_resources[i], alias, sizeof(alias));
                        if (!strcmp(av, alias))
                                av = NULL;
                }
        }
        if (av && av[0] && strcmp(av, want)) {
                snprintf(msg, sizeof(msg),
                         "the API version in the data (%s) does not match the expected API "
                         "version (%s)",
                         av, want);
                return fail(out, 400, "BadRequest", msg, NULL, NULL);
        }
        if (kind && kind[0] && strcmp(kind, r->kind)) {
                snprintf(msg, sizeof(msg),
                         "the kind in the data (%s) does not match the expected kind (%s)", kind,
                         r->kind);
                return fail(out, 400, "BadRequest", msg, NULL, NULL);
        }
        return 0;
}

/* --- verbs --------------------------------------------------------------- */

int
kube_get(struct kube *k, const struct kube_res *r, const char *ns, const char *name, cJSON **out)
{
        struct kube_obj *o = kube_find(k, r, ns, name);

        if (!o)
                return not_found(out, r, name);
        *out = cJSON_Duplicate(o->obj, true);
        return 200;
}

static int
cmp_obj(const void *a, const void *b)
{
        const struct kube_obj *x = *(const struct kube_obj *const *)a;
        const struct kube_obj *y = *(const struct kube_obj *const *)b;
        int c = strcmp(x->ns, y->ns);

        return c ? c : strcmp(x->name, y->name);
}

static void
hex_encode(const char *s, char *out, size_t n)
{
        size_t i = 0;

        while (*s && i + 3 < n) {
                snprintf(out + i, n - i, "%02x", (unsigned char)*s++);
                i += 2;
        }
        out[i] = 0;
}

static bool
hex_decode(const char *s, char *out, size_t n)
{
        size_t i = 0;

        if (strlen(s) % 2)
                return false;
        while (*s) {
                unsigned v;

                if (i + 1 >= n || !isxdigit((unsigned char)s[0]) ||
                    !isxdigit((unsigned char)s[1]) || sscanf(s, "%2x", &v) != 1)
                        return false;
                out[i++] = (char)v;
                s += 2;
        }
        out[i] = 0;
        return true;
}

int
kube_list(struct kube *k, const struct kube_res *r, const char *ns, const struct kube_list_opts *o,
          cJSON **out)
{
        struct kube_sel ls = { 0 }, fs = { 0 };
        struct kube_obj **v = NULL;
        size_t nv = 0, i, start = 0, limit = 0;
        unsigned long list_rv = k->rv;
        char err[512], after_ns[256] = "", after_name[256] = "";
        bool have_after = false;
        cJSON *list = NULL, *items, *md;
        char av[128], kind[96], rvs[32];
        int rc;

        if ((rc = kube_lsel_parse(o->label_selector, &ls, err, sizeof(err))) ||
            (rc = kube_fsel_parse(o->field_selector, r, &fs, err, sizeof(err)))) {
                fail(out, rc, "BadRequest", err, NULL, NULL);
                goto out;
        }
        if (o->limit && o->limit[0]) {
                char *end;
                long l = strtol(o->limit, &end, 10);

                if (*end || l < 0) {
                        rc = fail(out, 400, "BadRequest", "limit must be a non-negative integer",
                                  NULL, NULL);
                        goto out;
                }
                limit = (size_t)l;
        }
        if (o->cont && o->cont[0]) {
                char tok[600], *bar, *slash;

                if (!hex_decode(o->cont, tok, sizeof(tok)) || !(bar = strchr(tok, '|')) ||
                    !(slash = strchr(bar, '/'))) {
                        rc = fail(out, 400, "BadRequest",
                                  "continue key is not valid: incorrect encoded start "
                                  "resourceVersion",
                                  NULL, NULL);
                        goto out;
                }
                *bar = 0;
                *slash = 0;
                list_rv = strtoul(tok, NULL, 10);
                if (list_rv < k->compacted) {
                        rc = fail(out, 410, "Expired",
                                  "The provided continue parameter is too old to display a "
                                  "consistent list result. You can start a new list without the "
                                  "continue parameter, or use the continue token in this response "
                                  "to retrieve the remainder of the results. Continuing with the "
                                  "provided token results in an inconsistent list - objects that "
                                  "were created, modified, or deleted between the time the first "
                                  "chunk was returned and now may show up in the list.",
                                  NULL, NULL);
                        goto out;
                }
                snprintf(after_ns, sizeof(after_ns), "%s", bar + 1);
                snprintf(after_name, sizeof(after_name), "%s", slash + 1);
                have_after = true;
        }
        if (o->rv_match && !strcmp(o->rv_match, "Exact") && o->resource_version &&
            strtoul(o->resource_version, NULL, 10) != k->rv) {
                char msg[160];

                snprintf(msg, sizeof(msg), "too old resource version: %s (%lu)",
                         o->resource_version, k->rv);
                rc = fail(out, 410, "Expired", msg, NULL, NULL);
                goto out;
        }
        v = cc_calloc(k->nobjs + 1, sizeof(*v));
        if (!v) {
                rc = fail(out, 500, "InternalError", "out of memory", NULL, NULL);
                goto out;
        }
        for (i = 0; i < k->nobjs; i++) {
                struct kube_obj *x = &k->objs[i];

                if (x->res != r || (ns && r->namespaced && strcmp(x->ns, ns)))
                        continue;
                if (!kube_lsel_match(&ls, x->obj) || !kube_fsel_match(&fs, x->obj))
                        continue;
                v[nv++] = x;
        }
        qsort(v, nv, sizeof(*v), cmp_obj);
        if (have_after)
                while (start < nv) {
                        int c = strcmp(v[start]->ns, after_ns);

                        if (c > 0 || (!c && strcmp(v[start]->name, after_name) > 0))
                                break;
                        start++;
                }
        list = cJSON_CreateObject();
        kube_res_api_version(r, av, sizeof(av));
        snprintf(kind, sizeof(kind), "%sList", r->kind);
        cJSON_AddStringToObject(list, "kind", kind);
        cJSON_AddStringToObject(list, "apiVersion", av);
        md = cJSON_AddObjectToObject(list, "metadata");
        snprintf(rvs, sizeof(rvs), "%lu", list_rv);
        cJSON_AddStringToObject(md, "resourceVersion", rvs);
        items = cJSON_AddArrayToObject(list, "items");
        for (i = start; i < nv && (!limit || i - start < limit); i++)
                cJSON_AddItemToArray(items, cJSON_Duplicate(v[i]->obj, true));
        if (i < nv) {
                char tok[600], enc[1300];

                snprintf(tok, sizeof(tok), "%lu|%s/%s", list_rv, v[i - 1]->ns, v[i - 1]->name);
                hex_encode(tok, enc, sizeof(enc));
                cJSON_AddStringToObject(md, "continue", enc);
                cJSON_AddNumberToObject(md, "remainingItemCount", (double)(nv - i));
        }
        *out = list;
        rc = 200;
out:
        cc_free(v);
        kube_sel_release(&ls);
        kube_sel_release(&fs);
        return rc;
}

/* the cause the namespace lifecycle admission adds to its 403 */
static void
terminating_cause(cJSON *status, const char *ns)
{
        cJSON *d = cJSON_GetObjectItemCaseSensitive(status, "details");
        cJSON *c = cJSON_CreateObject();
        char msg[300];

        if (!d || !c) {
                cJSON_Delete(c);
                return;
        }
        snprintf(msg, sizeof(msg), "namespace %s is being terminated", ns);
        cJSON_AddStringToObject(c, "reason", "NamespaceTerminating");
        cJSON_AddStringToObject(c, "message", msg);
        cJSON_AddStringToObject(c, "field", "metadata.namespace");
        cJSON_AddItemToArray(cJSON_AddArrayToObject(d, "causes"), c);
}

int
kube_create(struct kube *k, const struct kube_res *r, const char *ns, const cJSON *body,
            const struct kube_write_opts *wo, cJSON **out)
{
        cJSON *obj = NULL, *m;
        const char *name, *bns, *problem;
        char namebuf[300], uid[64], now[40], av[128];
        int rc;

        if (!cJSON_IsObject(body))
                return fail(out, 400, "BadRequest", "the request body must be a JSON object", NULL,
                            NULL);
        if ((rc = check_type_meta(r, body, out)) || (rc = check_meta_types(r, body, out)))
                return rc;
        obj = cJSON_Duplicate(body, true);
        if (!obj)
                return fail(out, 500, "InternalError", "out of memory", NULL, NULL);
        m = meta(obj);
        name = kube_str(obj, "metadata", "name");
        if ((!name || !name[0]) && kube_str(obj, "metadata", "generateName")) {
                static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
                char suffix[6];
                unsigned char rnd[5];
                size_t i;

                if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
                        memset(rnd, (int)(k->rv & 0xff), sizeof(rnd));
                for (i = 0; i < 5; i++)
                        suffix[i] = alphabet[rnd[i] % (sizeof(alphabet) - 1)];
                suffix[5] = 0;
                snprintf(namebuf, sizeof(namebuf), "%s%s",
                         kube_str(obj, "metadata", "generateName"), suffix);
                set_str(m, "name", namebuf);
                name = kube_str(obj, "metadata", "name");
        }
        if (!name || !name[0]) {
                *out = kube_invalid(r, "", "metadata.name", NULL,
                                    "Required value: name or generateName is required");
                rc = 422;
                goto out;
        }
        snprintf(namebuf, sizeof(namebuf), "%s", name);
        name = namebuf;
        bns = kube_str(obj, "metadata", "namespace");
        if (r->namespaced) {
                if (bns && bns[0] && strcmp(bns, ns)) {
                        rc = fail(out, 400, "BadRequest",
                                  "the namespace of the provided object does not match the "
                                  "namespace sent on the request",
                                  NULL, NULL);
                        goto out;
                }
                set_str(m, "namespace", ns);
        } else {
                cJSON_DeleteItemFromObjectCaseSensitive(m, "namespace");
        }
        if ((problem = name_problem(r, name))) {
                char val[300];

                snprintf(val, sizeof(val), "\"%.250s\"", name);
                *out = kube_invalid(r, name, "metadata.name", val, problem);
                rc = 422;
                goto out;
        }
        if (r->namespaced) {
                int st = ns_state(k, ns);

                if (st == 0) {
                        char msg[400];

                        snprintf(msg, sizeof(msg), "namespaces \"%s\" not found", ns);
                        rc = fail(out, 404, "NotFound", msg, ns_res(), ns);
                        goto out;
                }
                if (st == 2) {
                        char qp[160], msg[600];

                        kube_res_qualified_plural(r, qp, sizeof(qp));
                        snprintf(msg, sizeof(msg),
                                 "%s \"%s\" is forbidden: unable to create new content in "
                                 "namespace %s because it is being terminated",
                                 qp, name, ns);
                        rc = fail(out, 403, "Forbidden", msg, r, name);
                        terminating_cause(*out, ns);
                        goto out;
                }
        }
        if (kube_find(k, r, r->namespaced ? ns : "", name)) {
                char qp[160], msg[600];

                kube_res_qualified_plural(r, qp, sizeof(qp));
                snprintf(msg, sizeof(msg), "%s \"%s\" already exists", qp, name);
                rc = fail(out, 409, "AlreadyExists", msg, r, name);
                goto out;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(m, "uid");
        cJSON_DeleteItemFromObjectCaseSensitive(m, "resourceVersion");
        cJSON_DeleteItemFromObjectCaseSensitive(m, "deletionTimestamp");
        cJSON_DeleteItemFromObjectCaseSensitive(m, "deletionGracePeriodSeconds");
        cJSON_DeleteItemFromObjectCaseSensitive(m, "generation");
        cJSON_DeleteItemFromObjectCaseSensitive(m, "creationTimestamp");
        cJSON_DeleteItemFromObjectCaseSensitive(m, "selfLink");
        if (!wo || !wo->apply)
                cJSON_DeleteItemFromObjectCaseSensitive(m, "managedFields");
        if (r->flags & KR_STATUS) {
                cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
                if (!strcmp(r->kind, "Deployment"))
                        cJSON_AddObjectToObject(obj, "status");
                else if (!strcmp(r->kind, "Service"))
                        cJSON_AddObjectToObject(cJSON_AddObjectToObject(obj, "status"),
                                                "loadBalancer");
                else if (!strcmp(r->kind, "Pod"))
                        cJSON_AddStringToObject(cJSON_AddObjectToObject(obj, "status"), "phase",
                                                "Pending");
        }
        if ((rc = defaults(k, r, obj, NULL, out)))
                goto out;
        new_uid(k, uid, sizeof(uid));
        set_str(m, "uid", uid);
        kube_now(k, now, sizeof(now));
        set_str(m, "creationTimestamp", now);
        if (r->flags & KR_GENERATION)
                set_num(m, "generation", 1);
        set_type_meta(r, obj);
        kube_res_api_version(r, av, sizeof(av));
        if (wo && !wo->apply && wo->manager && wo->manager[0])
                kube_fields_record_update(obj, NULL, wo->manager, av, "", now);
        if (wo && wo->dry_run) {
                *out = obj;
                obj = NULL;
                rc = 201;
                goto out;
        }
        set_rv(obj, ++k->rv);
        if (!store_add(k, r, r->namespaced ? ns : "", name, obj)) {
                k->rv--;
                rc = fail(out, 500, "InternalError", "out of memory", NULL, NULL);
                goto out;
        }
        kube_record(k, KE_ADDED, r, r->namespaced ? ns : "", obj, NULL);
        *out = cJSON_Duplicate(obj, true);
        obj = NULL;
        rc = 201;
out:
        cJSON_Delete(obj);
        return rc;
}

static bool
finalizers_subset(const cJSON *next, const cJSON *old)
{
        const cJSON *nf = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(next, "metadata"), "finalizers");
        const cJSON *of = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(old, "metadata"), "finalizers");
        const cJSON *f, *g;

        cJSON_ArrayForEach(f, nf)
        {
                bool found = false;

                cJSON_ArrayForEach(g, of) if (cJSON_Compare(f, g, true)) found = true;
                if (!found)
                        return false;
        }
        return true;
}

int
kube_commit_update(struct kube *k, struct kube_obj *o, cJSON *proposed, const char *sub,
                   bool require_rv, const struct kube_write_opts *wo, cJSON **out)
{
        const struct kube_res *r = o->res;
        const cJSON *old = o->obj;
        cJSON *next = NULL, *m;
        const cJSON *om = cJSON_GetObjectItemCaseSensitive(old, "metadata");
        const char *rvp, *bname, *bns;
        static const char *const owned[] = { "name",
                                             "namespace",
                                             "uid",
                                             "creationTimestamp",
                                             "deletionTimestamp",
                                             "deletionGracePeriodSeconds",
                                             "generation",
                                             "resourceVersion",
                                             NULL };
        char now[40], av[128];
        bool status_only = sub && !strcmp(sub, "status");
        size_t i;
        int rc;

        if (!cJSON_IsObject(proposed)) {
                rc = fail(out, 400, "BadRequest", "the request body must be a JSON object", NULL,
                          NULL);
                goto out;
        }
        if ((rc = check_type_meta(r, proposed, out)) || (rc = check_meta_types(r, proposed, out)))
                goto out;
        rvp = kube_str(proposed, "metadata", "resourceVersion");
        if (rvp && rvp[0]) {
                if (strcmp(rvp, kube_str(old, "metadata", "resourceVersion"))) {
                        rc = conflict(out, r, o->name);
                        goto out;
                }
        } else if (require_rv && (r->flags & KR_NO_UNCOND)) {
                char qp[160], msg[600];

                kube_res_qualified_plural(r, qp, sizeof(qp));
                snprintf(msg, sizeof(msg),
                         "%s \"%s\" is invalid: metadata.resourceVersion: Invalid value: 0x0: "
                         "must be specified for an update",
                         qp, o->name);
                *out = kube_invalid(r, o->name, "metadata.resourceVersion", "0x0",
                                    "must be specified for an update");
                cJSON_ReplaceItemInObjectCaseSensitive(*out, "message", cJSON_CreateString(msg));
                rc = 422;
                goto out;
        }
        bname = kube_str(proposed, "metadata", "name");
        if (!status_only && bname && strcmp(bname, o->name)) {
                char msg[700];

                snprintf(msg, sizeof(msg),
                         "the name of the object (%.250s) does not match the name on the URL "
                         "(%.250s)",
                         bname, o->name);
                rc = fail(out, 400, "BadRequest", msg, NULL, NULL);
                goto out;
        }
        bns = kube_str(proposed, "metadata", "namespace");
        if (!status_only && r->namespaced && bns && bns[0] && strcmp(bns, o->ns)) {
                rc = fail(out, 400, "BadRequest",
                          "the namespace of the provided object does not match the namespace "
                          "sent on the request",
                          NULL, NULL);
                goto out;
        }
        if (status_only) {
                const cJSON *st = cJSON_GetObjectItemCaseSensitive(proposed, "status");

                next = cJSON_Duplicate(old, true);
                cJSON_DeleteItemFromObjectCaseSensitive(next, "status");
                if (st)
                        cJSON_AddItemToObject(next, "status", cJSON_Duplicate(st, true));
                /* managedFields may change through /status (apply) */
                if (wo && wo->apply)
                        copy_field(meta(next),
                                   cJSON_GetObjectItemCaseSensitive(proposed, "metadata"),
                                   "managedFields");
                cJSON_Delete(proposed);
                proposed = NULL;
        } else {
                next = proposed;
                proposed = NULL;
                if (r->flags & KR_STATUS)
                        copy_field(next, old, "status");
        }
        m = meta(next);
        for (i = 0; owned[i]; i++)
                copy_field(m, om, owned[i]);
        if (!cJSON_GetObjectItemCaseSensitive(m, "managedFields"))
                copy_field(m, om, "managedFields");
        if (!r->namespaced)
                cJSON_DeleteItemFromObjectCaseSensitive(m, "namespace");
        set_type_meta(r, next);
        if (kube_str(old, "metadata", "deletionTimestamp") && !finalizers_subset(next, old)) {
                *out = kube_invalid(r, o->name, "metadata.finalizers", NULL,
                                    "Forbidden: no new finalizers can be added if the object is "
                                    "being deleted");
                rc = 422;
                goto out;
        }
        if ((rc = defaults(k, r, next, old, out)))
                goto out;
        if (same_object(next, old)) {
                *out = cJSON_Duplicate(old, true);
                rc = 200;
                goto out;
        }
        if ((r->flags & KR_GENERATION) && spec_changed(r, old, next)) {
                const cJSON *g = cJSON_GetObjectItemCaseSensitive(m, "generation");

                set_num(m, "generation", cJSON_IsNumber(g) ? g->valuedouble + 1 : 1);
        }
        kube_now(k, now, sizeof(now));
        kube_res_api_version(r, av, sizeof(av));
        if (wo && !wo->apply && wo->manager && wo->manager[0])
                kube_fields_record_update(next, old, wo->manager, av, status_only ? "status" : "",
                                          now);
        if (wo && wo->dry_run) {
                *out = next;
                next = NULL;
                rc = 200;
                goto out;
        }
        if (kube_str(next, "metadata", "deletionTimestamp") && !held(r, next)) {
                /* the last finalizer is gone: the object goes (DELETED only) */
                *out = cJSON_Duplicate(next, true);
                remove_object(k, o, next);
                next = NULL;
                rc = 200;
                goto out;
        }
        set_rv(next, ++k->rv);
        kube_record(k, KE_MODIFIED, r, o->ns, next, o->obj);
        cJSON_Delete(o->obj);
        o->obj = next;
        *out = cJSON_Duplicate(next, true);
        next = NULL;
        rc = 200;
out:
        cJSON_Delete(proposed);
        cJSON_Delete(next);
        return rc;
}

int
kube_update(struct kube *k, const struct kube_res *r, const char *ns, const char *name,
            const cJSON *body, const struct kube_write_opts *wo, cJSON **out)
{
        struct kube_obj *o = kube_find(k, r, ns, name);

        if (!o)
                return not_found(out, r, name);
        return kube_commit_update(k, o, cJSON_Duplicate(body, true), wo ? wo->sub : "", true, wo,
                                  out);
}

static void
base_type(const char *ctype, char *out, size_t n)
{
        size_t i = 0;

        while (ctype && ctype[i] && ctype[i] != ';' && i + 1 < n) {
                out[i] = (char)tolower((unsigned char)ctype[i]);
                i++;
        }
        while (i && out[i - 1] == ' ')
                i--;
        out[i] = 0;
}

int
kube_patch(struct kube *k, const struct kube_res *r, const char *ns, const char *name,
           const char *ctype, const char *body, size_t len, const struct kube_write_opts *wo,
           cJSON **out)
{
        struct kube_obj *o;
        cJSON *patch = NULL, *work = NULL;
        char type[96], err[512];
        int rc;

        base_type(ctype, type, sizeof(type));
        if (strcmp(type, "application/merge-patch+json") &&
            strcmp(type, "application/json-patch+json") &&
            strcmp(type, "application/strategic-merge-patch+json") &&
            strcmp(type, "application/apply-patch+yaml") &&
            strcmp(type, "application/apply-patch+cbor")) {
                char msg[400];

                snprintf(msg, sizeof(msg),
                         "the body of the request was in an unknown format - accepted media types "
                         "include: application/json-patch+json, application/merge-patch+json, "
                         "application/apply-patch+yaml%s",
                         (r->flags & KR_CRD) ? "" : ", application/strategic-merge-patch+json");
                return fail(out, 415, "UnsupportedMediaType", msg, NULL, NULL);
        }
        if ((r->flags & KR_CRD) && !strcmp(type, "application/strategic-merge-patch+json"))
                return fail(out, 415, "UnsupportedMediaType",
                            "the body of the request was in an unknown format - accepted media "
                            "types include: application/json-patch+json, "
                            "application/merge-patch+json, application/apply-patch+yaml",
                            NULL, NULL);
        patch = cJSON_ParseWithLength(body, len);
        if (!strcmp(type, "application/apply-patch+yaml") ||
            !strcmp(type, "application/apply-patch+cbor")) {
                if (!patch && !strcmp(type, "application/apply-patch+yaml")) {
                        /* kubectl sends JSON, which is YAML too; other clients send YAML */
                        cJSON *docs = NULL;
                        struct cc_diag yd;

                        if (cc_yaml_to_json(body, len, &docs, &yd) != CC_OK) {
                                char msg[CC_DIAG_MSG_MAX + 64];

                                snprintf(msg, sizeof(msg), "error decoding YAML: %s", yd.message);
                                return fail(out, 400, "BadRequest", msg, NULL, NULL);
                        }
                        if (cJSON_GetArraySize(docs) == 1)
                                patch = cJSON_DetachItemFromArray(docs, 0);
                        cJSON_Delete(docs);
                }
                if (!patch || !cJSON_IsObject(patch)) {
                        cJSON_Delete(patch);
                        return fail(out, 400, "BadRequest",
                                    "error decoding apply patch: expected one YAML or JSON object",
                                    NULL, NULL);
                }
                if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(patch, "kind")) ||
                    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(patch, "apiVersion"))) {
                        cJSON_Delete(patch);
                        return fail(out, 400, "BadRequest",
                                    "error decoding apply patch: Object 'Kind' is missing or "
                                    "'apiVersion' is not set",
                                    NULL, NULL);
                }
                return kube_apply(k, r, ns, name, patch, wo, out);
        }
        if (!patch) {
                rc = fail(out, 400, "BadRequest",
                          "error decoding patch: the request body is not valid JSON", NULL, NULL);
                goto out;
        }
        o = kube_find(k, r, ns, name);
        if (!o) {
                rc = not_found(out, r, name);
                goto out;
        }
        work = cJSON_Duplicate(o->obj, true);
        if (!strcmp(type, "application/merge-patch+json")) {
                if (!cJSON_IsObject(patch)) {
                        rc = fail(out, 400, "BadRequest", "merge patch must be a JSON object", NULL,
                                  NULL);
                        goto out;
                }
                if (!kube_merge_patch(&work, patch)) {
                        rc = fail(out, 500, "InternalError", "out of memory", NULL, NULL);
                        goto out;
                }
        } else if (!strcmp(type, "application/json-patch+json")) {
                rc = kube_json_patch(&work, patch, err, sizeof(err));
                if (rc) {
                        if (rc == 422)
                                *out = kube_invalid(r, name, "", NULL, err);
                        else
                                fail(out, rc, "BadRequest", err, NULL, NULL);
                        goto out;
                }
        } else {
                rc = kube_smp(&work, patch, r->kind, err, sizeof(err));
                if (rc) {
                        fail(out, rc, rc == 400 ? "BadRequest" : "InternalError", err, NULL, NULL);
                        goto out;
                }
        }
        rc = kube_commit_update(k, o, work, wo ? wo->sub : "", false, wo, out);
        work = NULL;
out:
        cJSON_Delete(patch);
        cJSON_Delete(work);
        return rc;
}

/* --- delete, GC, namespaces ---------------------------------------------- */

#define FIN_FOREGROUND "foregroundDeletion"
#define FIN_ORPHAN     "orphan"
#define FIN_NAMESPACE  "kubernetes"

struct ref {
        const struct kube_res *res;
        char ns[256];
        char name[256];
};

static bool
deleting(const cJSON *obj)
{
        return kube_str(obj, "metadata", "deletionTimestamp") != NULL;
}

static bool
str_in(const cJSON *arr, const char *v)
{
        const cJSON *it;

        cJSON_ArrayForEach(it,
                           arr) if (cJSON_IsString(it) && !strcmp(it->valuestring, v)) return true;
        return false;
}

static bool
has_finalizer(const cJSON *obj, const char *f)
{
        return str_in(cJSON_GetObjectItemCaseSensitive(
                          cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "finalizers"),
                      f);
}

static const char *
uid_of(const cJSON *obj)
{
        const char *u = kube_str(obj, "metadata", "uid");

        return u ? u : "";
}

/* the ownerReference of obj that names uid, or NULL */
static const cJSON *
owner_ref(const cJSON *obj, const char *uid)
{
        const cJSON *ors = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "ownerReferences");
        const cJSON * or ;

        cJSON_ArrayForEach(or, ors)
        {
                const char *u = kube_str(or, "uid", NULL);

                if (u && uid[0] && !strcmp(u, uid))
                        return or ;
        }
        return NULL;
}

static bool
ref_add(struct ref **refs, size_t *n, size_t *cap, const struct kube_obj *o)
{
        if (CC_GROW(*refs, *cap, *n + 1))
                return false;
        (*refs)[*n].res = o->res;
        snprintf((*refs)[*n].ns, sizeof((*refs)[*n].ns), "%s", o->ns);
        snprintf((*refs)[*n].name, sizeof((*refs)[*n].name), "%s", o->name);
        (*n)++;
        return true;
}

static struct kube_obj *
ref_find(struct kube *k, const struct ref *r)
{
        return kube_find(k, r->res, r->ns, r->name);
}

/* the objects whose ownerReferences name uid (caller frees *out) */
static size_t
dependents(struct kube *k, const char *uid, struct ref **out)
{
        size_t n = 0, cap = 0, i;

        *out = NULL;
        for (i = 0; i < k->nobjs; i++)
                if (owner_ref(k->objs[i].obj, uid) && !ref_add(out, &n, &cap, &k->objs[i]))
                        break;
        return n;
}

static bool
has_dependents(struct kube *k, const char *uid)
{
        size_t i;

        for (i = 0; i < k->nobjs; i++)
                if (owner_ref(k->objs[i].obj, uid))
                        return true;
        return false;
}

static uint64_t
mono_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u + 1u;
}

/* start deleting o: deletionTimestamp, deletionGracePeriodSeconds 0,
 * generation+1, a Namespace goes Terminating, and the finalizer `extra`
 * (NULL = none) is added; one MODIFIED event */
static void
mark_deleting(struct kube *k, struct kube_obj *o, const char *extra)
{
        char now[40];
        cJSON *next = cJSON_Duplicate(o->obj, true), *m;

        if (!next)
                return;
        m = meta(next);
        kube_now(k, now, sizeof(now));
        set_str(m, "deletionTimestamp", now);
        set_num(m, "deletionGracePeriodSeconds", 0);
        if (o->res->flags & KR_GENERATION) {
                const cJSON *g = cJSON_GetObjectItemCaseSensitive(m, "generation");

                set_num(m, "generation", cJSON_IsNumber(g) ? g->valuedouble + 1 : 1);
        }
        if (!strcmp(o->res->kind, "Namespace"))
                set_str(cJSON_GetObjectItemCaseSensitive(next, "status"), "phase", "Terminating");
        if (extra && !has_finalizer(next, extra)) {
                cJSON *f = cJSON_GetObjectItemCaseSensitive(m, "finalizers");

                if (!cJSON_IsArray(f)) {
                        cJSON_DeleteItemFromObjectCaseSensitive(m, "finalizers");
                        f = cJSON_AddArrayToObject(m, "finalizers");
                }
                cJSON_AddItemToArray(f, cJSON_CreateString(extra));
        }
        set_rv(next, ++k->rv);
        kube_record(k, KE_MODIFIED, o->res, o->ns, next, o->obj);
        cJSON_Delete(o->obj);
        o->obj = next;
        o->deleting_since = mono_ms();
}

/* delete o as a controller does (Background, or Foreground when fg):
 * removed at once when nothing holds it; returns the changes made */
static size_t
ctl_delete(struct kube *k, struct kube_obj *o, bool fg)
{
        if (deleting(o->obj))
                return 0;
        if (!fg && !held(o->res, o->obj) && strcmp(o->res->kind, "Namespace"))
                remove_object(k, o, NULL);
        else
                mark_deleting(k, o, fg ? FIN_FOREGROUND : NULL);
        return 1;
}

/* store o with `next` (consumed) through the ordinary update path, which
 * removes a deleting object once nothing holds it */
static size_t
ctl_update(struct kube *k, struct kube_obj *o, cJSON *next)
{
        cJSON *res = NULL;
        unsigned long before = k->rv;

        if (!next)
                return 0;
        kube_commit_update(k, o, next, "", false, NULL, &res);
        cJSON_Delete(res);
        return k->rv != before ? 1 : 0;
}

/* drop string v from the array obj.a.b */
static void
drop_str(cJSON *obj, const char *a, const char *b, const char *v)
{
        cJSON *arr = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, a), b);
        cJSON *it = arr ? arr->child : NULL;

        while (it) {
                cJSON *nx = it->next;

                if (cJSON_IsString(it) && !strcmp(it->valuestring, v))
                        cJSON_Delete(cJSON_DetachItemViaPointer(arr, it));
                it = nx;
        }
}

static size_t
drop_finalizer(struct kube *k, struct kube_obj *o, const char *f)
{
        cJSON *next = cJSON_Duplicate(o->obj, true);

        if (!next)
                return 0;
        drop_str(next, "metadata", "finalizers", f);
        if (!cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(meta(next), "finalizers")))
                cJSON_DeleteItemFromObjectCaseSensitive(meta(next), "finalizers");
        return ctl_update(k, o, next);
}

/* strip every ownerReference to uid from o */
static size_t
strip_owner(struct kube *k, struct kube_obj *o, const char *uid)
{
        cJSON *next = cJSON_Duplicate(o->obj, true), *arr, * or ;

        if (!next)
                return 0;
        arr = cJSON_GetObjectItemCaseSensitive(meta(next), "ownerReferences");
        for (or = arr ? arr->child : NULL; or ;) {
                cJSON *nx = or->next;
                const char *u = kube_str(or, "uid", NULL);

                if (u && !strcmp(u, uid))
                        cJSON_Delete(cJSON_DetachItemViaPointer(arr, or));
                or = nx;
        }
        if (!cJSON_GetArraySize(arr))
                cJSON_DeleteItemFromObjectCaseSensitive(meta(next), "ownerReferences");
        return ctl_update(k, o, next);
}

/* an owner deleting with `orphan`: free its dependents, then let it go */
static size_t
orphan_step(struct kube *k, struct kube_obj *o, const struct ref *self)
{
        struct ref *deps;
        char uid[64];
        size_t n, i, changes = 0;

        snprintf(uid, sizeof(uid), "%s", uid_of(o->obj));
        n = dependents(k, uid, &deps);
        for (i = 0; i < n; i++) {
                struct kube_obj *d = ref_find(k, &deps[i]);

                if (d)
                        changes += strip_owner(k, d, uid);
        }
        cc_free(deps);
        if ((o = ref_find(k, self)) && !has_dependents(k, uid))
                changes += drop_finalizer(k, o, FIN_ORPHAN);
        return changes;
}

/* an owner deleting with `foregroundDeletion`: delete its dependents, and
 * let it go once none with blockOwnerDeletion is left */
static size_t
foreground_step(struct kube *k, struct kube_obj *o, const struct ref *self)
{
        struct ref *deps;
        char uid[64];
        size_t n, i, changes = 0, blocking = 0;

        snprintf(uid, sizeof(uid), "%s", uid_of(o->obj));
        n = dependents(k, uid, &deps);
        for (i = 0; i < n; i++) {
                struct kube_obj *d = ref_find(k, &deps[i]);

                if (d && !deleting(d->obj))
                        changes += ctl_delete(k, d, has_dependents(k, uid_of(d->obj)));
                d = ref_find(k, &deps[i]);
                if (d && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(owner_ref(d->obj, uid),
                                                                       "blockOwnerDeletion")))
                        blocking++;
        }
        cc_free(deps);
        if (!blocking && (o = ref_find(k, self)))
                changes += drop_finalizer(k, o, FIN_FOREGROUND);
        return changes;
}

/* a dependent: deleted once no owner it names is left standing (absent, or
 * itself waiting for its dependents in the foreground) */
static size_t
dependent_step(struct kube *k, struct kube_obj *o)
{
        const cJSON *ors = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(o->obj, "metadata"), "ownerReferences");
        const cJSON * or ;
        bool any = false, waiting = false;

        if (deleting(o->obj))
                return 0;
        cJSON_ArrayForEach(or, ors)
        {
                const char *u = kube_str(or, "uid", NULL);
                struct kube_obj *owner;

                if (!u || !u[0])
                        continue;
                any = true;
                owner = find_uid(k, u);
                if (!owner)
                        continue;
                if (!deleting(owner->obj) || !has_finalizer(owner->obj, FIN_FOREGROUND))
                        return 0; /* a solid owner */
                waiting = true;
        }
        if (!any)
                return 0;
        return ctl_delete(k, o, waiting && has_dependents(k, uid_of(o->obj)));
}

/* a Terminating namespace: delete its contents; once it is empty, remove
 * the `kubernetes` finalizer (and with it the namespace, when nothing else
 * holds it) */
static size_t
namespace_step(struct kube *k, struct kube_obj *nso, const struct ref *self)
{
        struct ref *in = NULL;
        size_t n = 0, cap = 0, i, changes = 0;
        char ns[256];
        cJSON *next;

        if (!str_in(cJSON_GetObjectItemCaseSensitive(
                        cJSON_GetObjectItemCaseSensitive(nso->obj, "spec"), "finalizers"),
                    FIN_NAMESPACE)) {
                if (held(nso->res, nso->obj))
                        return 0; /* waiting for other finalizers */
                remove_object(k, nso, NULL);
                return 1;
        }
        if (k->cfg.ns_grace_ms > 0 && nso->deleting_since &&
            mono_ms() - nso->deleting_since < (uint64_t)k->cfg.ns_grace_ms)
                return 0; /* the controller's grace period */
        snprintf(ns, sizeof(ns), "%s", nso->name);
        for (i = 0; i < k->nobjs; i++)
                if (k->objs[i].res->namespaced && !strcmp(k->objs[i].ns, ns) &&
                    !ref_add(&in, &n, &cap, &k->objs[i]))
                        break;
        for (i = 0; i < n; i++) {
                struct kube_obj *o = ref_find(k, &in[i]);

                if (o)
                        changes += ctl_delete(k, o, false);
        }
        cc_free(in);
        for (i = 0; i < k->nobjs; i++)
                if (k->objs[i].res->namespaced && !strcmp(k->objs[i].ns, ns))
                        return changes;
        if (!(nso = ref_find(k, self)) || !(next = cJSON_Duplicate(nso->obj, true)))
                return changes;
        drop_str(next, "spec", "finalizers", FIN_NAMESPACE);
        return changes + ctl_update(k, nso, next);
}

size_t
kube_gc_pass(struct kube *k)
{
        struct ref *todo = NULL;
        size_t n = 0, cap = 0, i, changes = 0;

        for (i = 0; i < k->nobjs; i++) {
                const cJSON *o = k->objs[i].obj;

                if ((deleting(o) &&
                     (has_finalizer(o, FIN_ORPHAN) || has_finalizer(o, FIN_FOREGROUND) ||
                      !strcmp(k->objs[i].res->kind, "Namespace"))) ||
                    cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
                        cJSON_GetObjectItemCaseSensitive(o, "metadata"), "ownerReferences")) > 0) {
                        if (!ref_add(&todo, &n, &cap, &k->objs[i]))
                                break;
                }
        }
        for (i = 0; i < n; i++) {
                struct kube_obj *o = ref_find(k, &todo[i]);

                if (o && deleting(o->obj) && has_finalizer(o->obj, FIN_ORPHAN))
                        changes += orphan_step(k, o, &todo[i]);
                o = ref_find(k, &todo[i]);
                if (o && deleting(o->obj) && has_finalizer(o->obj, FIN_FOREGROUND))
                        changes += foreground_step(k, o, &todo[i]);
                o = ref_find(k, &todo[i]);
                if (o && deleting(o->obj) && !strcmp(o->res->kind, "Namespace"))
                        changes += namespace_step(k, o, &todo[i]);
                o = ref_find(k, &todo[i]);
                if (o)
                        changes += dependent_step(k, o);
        }
        cc_free(todo);
        return changes;
}

int
kube_delete(struct kube *k, const struct kube_res *r, const char *ns, const char *name,
            const cJSON *opts, const char *policy, bool dry_run, cJSON **out)
{
        struct kube_obj *o = kube_find(k, r, ns, name);
        const cJSON *pre = cJSON_GetObjectItemCaseSensitive(opts, "preconditions");
        const cJSON *orphan = cJSON_GetObjectItemCaseSensitive(opts, "orphanDependents");
        const char *puid = kube_str(pre, "uid", NULL),
                   *prv = kube_str(pre, "resourceVersion", NULL);
        const char *extra = NULL;
        char uidbuf[64];

        if (!o)
                return not_found(out, r, name);
        snprintf(uidbuf, sizeof(uidbuf), "%s", uid_of(o->obj));
        if (puid && strcmp(puid, uidbuf)) {
                char msg[300];

                snprintf(msg, sizeof(msg),
                         "Precondition failed: UID in precondition: %s, UID in object meta: %s",
                         puid, uidbuf);
                return fail(out, 409, "Conflict", msg, r, name);
        }
        if (prv && strcmp(prv, kube_str(o->obj, "metadata", "resourceVersion"))) {
                char msg[300];

                snprintf(msg, sizeof(msg),
                         "Precondition failed: ResourceVersion in precondition: %s, "
                         "ResourceVersion in object meta: %s",
                         prv, kube_str(o->obj, "metadata", "resourceVersion"));
                return fail(out, 409, "Conflict", msg, r, name);
        }
        if (!policy)
                policy = kube_str(opts, "propagationPolicy", NULL);
        if (!policy && cJSON_IsTrue(orphan))
                policy = "Orphan";
        if (policy && strcmp(policy, "Background") && strcmp(policy, "Foreground") &&
            strcmp(policy, "Orphan")) {
                char msg[200];

                snprintf(msg, sizeof(msg),
                         "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: "
                         "Unsupported value: \"%.60s\"",
                         policy);
                return fail(out, 422, "Invalid", msg, NULL, NULL);
        }
        if (dry_run) {
                *out = cJSON_Duplicate(o->obj, true);
                return 200;
        }
        if (policy && !strcmp(policy, "Orphan"))
                extra = FIN_ORPHAN;
        else if (policy && !strcmp(policy, "Foreground"))
                extra = FIN_FOREGROUND;
        if (deleting(o->obj)) {
                /* already going: no change */
                *out = cJSON_Duplicate(o->obj, true);
                return 200;
        }
        if (extra || held(r, o->obj) || !strcmp(r->kind, "Namespace")) {
                /* the controllers finish it (kube_gc_pass) */
                mark_deleting(k, o, extra);
                *out = cJSON_Duplicate(o->obj, true);
                return 200;
        }
        if (r->flags & KR_RETURN_DELETED) {
                *out = cJSON_Duplicate(o->obj, true);
                remove_object(k, o, NULL);
                return 200;
        }
        remove_object(k, o, NULL);
        *out = kube_status(200, NULL, NULL, r, name);
        cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(*out, "details"), "uid", uidbuf);
        return 200;
}

/* --- lifecycle ----------------------------------------------------------- */

static void
seed(struct kube *k)
{
        static const char *const names[] = { "default", "kube-system", "kube-public",
                                             "kube-node-lease" };
        size_t i;

        for (i = 0; i < 4; i++) {
                cJSON *body = cJSON_CreateObject(), *out = NULL, *md;

                cJSON_AddStringToObject(body, "apiVersion", "v1");
                cJSON_AddStringToObject(body, "kind", "Namespace");
                md = cJSON_AddObjectToObject(body, "metadata");
                cJSON_AddStringToObject(md, "name", names[i]);
                kube_create(k, ns_res(), "", body, NULL, &out);
                cJSON_Delete(out);
                cJSON_Delete(body);
        }
}

bool
kube_init(struct kube *k, const struct kube_config *cfg)
{
        memset(k, 0, sizeof(*k));
        k->cfg = *cfg;
        if (!k->cfg.window)
                k->cfg.window = 1000;
        if (!k->cfg.minor)
                k->cfg.minor = 32;
        if (!k->cfg.bookmark_interval)
                k->cfg.bookmark_interval = 60;
        pthread_cond_init(&k->cond, NULL);
        k->rv = 100;
        seed(k);
        return k->nobjs == 4;
}

static void
clear_state(struct kube *k)
{
        size_t i;

        for (i = 0; i < k->nobjs; i++) {
                cc_free(k->objs[i].ns);
                cc_free(k->objs[i].name);
                cJSON_Delete(k->objs[i].obj);
        }
        k->nobjs = 0;
        for (i = 0; i < k->nevents; i++) {
                cc_free(k->events[i].ns);
                cJSON_Delete(k->events[i].obj);
                cJSON_Delete(k->events[i].prev);
        }
        k->nevents = 0;
}

void
kube_reset(struct kube *k)
{
        clear_state(k);
        k->compacted = k->rv;
        k->nconflicts = 0;
        k->ndrops = 0;
        kube_workload_clear(k);
        seed(k);
}

void
kube_release(struct kube *k)
{
        clear_state(k);
        kube_workload_clear(k);
        cc_free(k->objs);
        cc_free(k->events);
        k->objs = NULL;
        k->events = NULL;
        pthread_cond_destroy(&k->cond);
}
