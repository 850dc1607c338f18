/* graph.c -- resource nodes and field-by-field diff. */
#include "core/graph.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/banned.h"

void
cc_graph_release(struct cc_graph *g)
{
        size_t i;

        for (i = 0; i < g->n; i++) {
                struct cc_node *n = g->nodes[i];

                cc_free(n->key);
                cc_free(n->name);
                cc_free(n->owner);
                cJSON_Delete(n->desired);
                cJSON_Delete(n->observed);
                cc_strv_release(&n->deps);
                cc_strv_release(&n->refs);
                cc_strv_release(&n->changed);
                cc_free(n);
        }
        cc_free(g->nodes);
        cc_map_release(&g->index);
        g->nodes = NULL;
        g->n = g->cap = 0;
}

cc_err
cc_graph_add(struct cc_graph *g, const struct cc_kind *kind, const char *key, struct cc_node **out)
{
        struct cc_node *n = cc_map_get(&g->index, key);

        if (n) {
                if (n->kind != kind)
                        return CC_CONFLICT;
                *out = n;
                return CC_OK;
        }
        if (CC_GROW(g->nodes, g->cap, g->n + 1))
                return CC_NOMEM;
        n = cc_calloc(1, sizeof(*n));
        if (!n)
                return CC_NOMEM;
        n->kind = kind;
        n->key = cc_strdup(key);
        n->name = cc_strdup(strrchr(key, '/') ? strrchr(key, '/') + 1 : key);
        if (!n->key || !n->name || cc_map_put(&g->index, key, n)) {
                cc_free(n->key);
                cc_free(n->name);
                cc_free(n);
                return CC_NOMEM;
        }
        g->nodes[g->n++] = n;
        *out = n;
        return CC_OK;
}

struct cc_node *
cc_graph_get(const struct cc_graph *g, const char *key)
{
        return cc_map_get(&g->index, key);
}

void
cc_node_set_desired(struct cc_node *n, cJSON *desired)
{
        cJSON_Delete(n->desired);
        n->desired = desired;
}

void
cc_node_set_observed(struct cc_node *n, cJSON *observed)
{
        cJSON_Delete(n->observed);
        n->observed = observed;
}

cc_err
cc_node_set_owner(struct cc_node *n, const char *owner)
{
        char *copy = owner ? cc_strdup(owner) : NULL;

        if (owner && !copy)
                return CC_NOMEM;
        cc_free(n->owner);
        n->owner = copy;
        return CC_OK;
}

cc_err
cc_node_set_name(struct cc_node *n, const char *name)
{
        char *copy = cc_strdup(name);

        if (!copy)
                return CC_NOMEM;
        cc_free(n->name);
        n->name = copy;
        return CC_OK;
}

cc_err
cc_node_add_dep(struct cc_node *n, const char *key)
{
        if (!strcmp(key, n->key) || cc_strv_contains(&n->deps, key))
                return CC_OK;
        return cc_strv_push(&n->deps, key);
}

const char *
cc_ref_suffix(const char *s)
{
        const char *p;

        if (!s)
                return NULL;
        /* only URL-ish references: "https://host/compute/v1/projects/...",
         * "//certificatemanager.googleapis.com/projects/..." */
        if (strncmp(s, "https://", 8) && strncmp(s, "http://", 7) && strncmp(s, "//", 2))
                return s;
        p = strstr(s, "/projects/");
        return p ? p + 1 : s;
}

/* --- diff ---------------------------------------------------------------- */

struct diffctx {
        const struct cc_kind *kind;
        struct cc_strv *changed;
        bool replace;
        cc_err rc;
};

static bool
in_list(const char *const *list, const char *path)
{
        if (!list)
                return false;
        for (; *list; list++)
                if (!strcmp(*list, path))
                        return true;
        return false;
}

/* path is entry itself or lies under it ("managed.domains" under "managed") */
static bool
under_list(const char *const *list, const char *path)
{
        if (!list)
                return false;
        for (; *list; list++) {
                size_t n = strlen(*list);

                if (!strncmp(*list, path, n) && (path[n] == '\0' || path[n] == '.'))
                        return true;
        }
        return false;
}

/* a desired value that equals "absent" */
static bool
is_empty(const cJSON *v)
{
        if (cJSON_IsArray(v) || cJSON_IsObject(v))
                return v->child == NULL;
        if (cJSON_IsString(v))
                return v->valuestring[0] == '\0';
        return cJSON_IsNull(v);
}

static bool
num_equal(double a, double b)
{
        double diff = fabs(a - b), scale = fmax(fabs(a), fabs(b));

        return diff <= 1e-9 * (scale > 1 ? scale : 1);
}

static bool equal(const cJSON *d, const cJSON *o);

/* desired object d is satisfied by observed o: every field d names matches */
static bool
obj_covers(const cJSON *d, const cJSON *o)
{
        const cJSON *c;

        for (c = d->child; c; c = c->next) {
                const cJSON *oc = cJSON_GetObjectItemCaseSensitive(o, c->string);

                if (!oc) {
                        if (!is_empty(c))
                                return false;
                        continue;
                }
                if (!equal(c, oc))
                        return false;
        }
        return true;
}

static bool
equal(const cJSON *d, const cJSON *o)
{
        if (cJSON_IsObject(d))
                return cJSON_IsObject(o) && obj_covers(d, o);
        if (cJSON_IsArray(d)) {
                const cJSON *a, *b;

                if (!cJSON_IsArray(o) || cJSON_GetArraySize(d) != cJSON_GetArraySize(o))
                        return false;
                for (a = d->child, b = o->child; a && b; a = a->next, b = b->next)
                        if (!equal(a, b))
                                return false;
                return true;
        }
        if (cJSON_IsString(d))
                return cJSON_IsString(o) &&
                       !strcmp(cc_ref_suffix(d->valuestring), cc_ref_suffix(o->valuestring));
        if (cJSON_IsNumber(d))
                return cJSON_IsNumber(o) && num_equal(d->valuedouble, o->valuedouble);
        if (cJSON_IsBool(d))
                return cJSON_IsBool(o) && cJSON_IsTrue(d) == cJSON_IsTrue(o);
        if (cJSON_IsNull(d))
                return !o || cJSON_IsNull(o);
        return false;
}

/* multiset compare: every desired element matches a distinct observed one */
static bool
unordered_equal(const cJSON *d, const cJSON *o)
{
        bool used[1024];
        const cJSON *a, *b;
        int n = cJSON_GetArraySize(d), i;

        if (!cJSON_IsArray(o) || n != cJSON_GetArraySize(o))
                return false;
        if (n > (int)(sizeof(used) / sizeof(used[0])))
                return equal(d, o);
        memset(used, 0, sizeof(used));
        for (a = d->child; a; a = a->next) {
                bool found = false;

                for (b = o->child, i = 0; b; b = b->next, i++) {
                        if (!used[i] && equal(a, b)) {
                                used[i] = found = true;
                                break;
                        }
                }
                if (!found)
                        return false;
        }
        return true;
}

static void
mark(struct diffctx *dc, const char *path)
{
        if (dc->rc)
                return;
        if (under_list(dc->kind ? dc->kind->immutable : NULL, path))
                dc->replace = true;
        if (!cc_strv_contains(dc->changed, path))
                dc->rc = cc_strv_push(dc->changed, path);
}

/* walk the desired object, recording the dotted path of each difference at
 * the level of the first field that differs inside nested objects */
static void
diff_obj(struct diffctx *dc, const cJSON *d, const cJSON *o, const char *prefix)
{
        const cJSON *c;

        for (c = d->child; c && !dc->rc; c = c->next) {
                char path[512];
                const cJSON *oc = o ? cJSON_GetObjectItemCaseSensitive(o, c->string) : NULL;

                if (snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] ? "." : "",
                             c->string) >= (int)sizeof(path))
                        continue;
                if (under_list(dc->kind ? dc->kind->ignore : NULL, path))
                        continue;
                if (!oc) {
                        if (!is_empty(c))
                                mark(dc, path);
                        continue;
                }
                if (cJSON_IsObject(c) && cJSON_IsObject(oc)) {
                        diff_obj(dc, c, oc, path);
                        continue;
                }
                if (cJSON_IsArray(c) && in_list(dc->kind ? dc->kind->unordered : NULL, path)) {
                        if (!unordered_equal(c, oc))
                                mark(dc, path);
                        continue;
                }
                if (!equal(c, oc))
                        mark(dc, path);
        }
}

cc_err
cc_diff(const struct cc_kind *kind, const cJSON *desired, const cJSON *observed,
        struct cc_strv *changed, bool *replace)
{
        struct diffctx dc = { .kind = kind, .changed = changed, .replace = false, .rc = CC_OK };

        if (cJSON_IsObject(desired))
                diff_obj(&dc, desired, observed, "");
        if (dc.rc)
                return dc.rc;
        cc_strv_sort(changed);
        *replace = dc.replace;
        return CC_OK;
}

cc_err
cc_node_diff(struct cc_node *n)
{
        bool replace = false;
        cc_err rc;

        cc_strv_release(&n->changed);
        n->action = CC_ACT_NOOP;
        if (n->flags & CC_NODE_EXTERNAL)
                return CC_OK;
        if (n->desired && !n->observed) {
                n->action = CC_ACT_CREATE;
                return CC_OK;
        }
        if (!n->desired) {
                /* only what carries our mark is ever deleted */
                if (n->observed && (n->flags & CC_NODE_OWNED))
                        n->action = CC_ACT_DELETE;
                return CC_OK;
        }
        rc = cc_diff(n->kind, n->desired, n->observed, &n->changed, &replace);
        if (rc)
                return rc;
        if (n->changed.n)
                n->action = replace || (n->kind->flags & CC_KIND_NO_UPDATE) ? CC_ACT_REPLACE
                                                                            : CC_ACT_UPDATE;
        return CC_OK;
}

/* --- references in observed bodies --------------------------------------- */

static cc_err
scan_refs(struct cc_graph *g, struct cc_node *n, const cJSON *v)
{
        const cJSON *c;
        cc_err rc = CC_OK;

        if (cJSON_IsString(v)) {
                struct cc_node *target = cc_graph_get(g, cc_ref_suffix(v->valuestring));

                if (target && target != n && !cc_strv_contains(&n->refs, target->key))
                        rc = cc_strv_push(&n->refs, target->key);
                return rc;
        }
        for (c = v ? v->child : NULL; c && !rc; c = c->next)
                rc = scan_refs(g, n, c);
        return rc;
}

cc_err
cc_graph_observed_refs(struct cc_graph *g)
{
        size_t i;
        cc_err rc = CC_OK;

        for (i = 0; i < g->n && !rc; i++) {
                struct cc_node *n = g->nodes[i];
                const cJSON *c;

                cc_strv_release(&n->refs);
                if (!n->observed)
                        continue;
                /* a child resource ("…/certificateMaps/m/certificateMapEntries/e")
                 * references its parent ("…/certificateMaps/m") by its very key */
                {
                        char parent[1024];
                        char *slash;
                        struct cc_node *p;

                        if (snprintf(parent, sizeof(parent), "%s", n->key) < (int)sizeof(parent) &&
                            (slash = strrchr(parent, '/')) != NULL) {
                                *slash = '\0';
                                slash = strrchr(parent, '/');
                                if (slash) {
                                        *slash = '\0';
                                        p = cc_graph_get(g, parent);
                                        if (p && p != n && !cc_strv_contains(&n->refs, p->key))
                                                rc = cc_strv_push(&n->refs, p->key);
                                }
                        }
                }
                for (c = n->observed->child; c && !rc; c = c->next) {
                        if (c->string && (!strcmp(c->string, "selfLink") ||
                                          in_list(n->kind->backrefs, c->string)))
                                continue;
                        rc = scan_refs(g, n, c);
                }
        }
        return rc;
}

/* --- deferred values ----------------------------------------------------- */

void
cc_ref_make(char *out, size_t outsz, const char *key, const char *path)
{
        snprintf(out, outsz, "%s%s:%s}", CC_REF_PREFIX, key, path);
}

static const cJSON *
lookup_dotted(const cJSON *root, const char *path)
{
        char seg[128];
        const char *p = path;

        while (root && *p) {
                const char *dot = strchr(p, '.');
                size_t n = dot ? (size_t)(dot - p) : strlen(p);

                if (n >= sizeof(seg))
                        return NULL;
                memcpy(seg, p, n);
                seg[n] = '\0';
                root = cJSON_GetObjectItemCaseSensitive(root, seg);
                p = dot ? dot + 1 : p + n;
        }
        return root;
}

/* the value a "${ref:key:path}" string stands for, formatted, or NULL */
static cc_err
resolve_one(const struct cc_graph *g, const char *ref, char **out)
{
        char key[1024];
        const char *body = ref + strlen(CC_REF_PREFIX), *colon, *end;
        const struct cc_node *target;
        const cJSON *v;
        char num[64];

        *out = NULL;
        end = strrchr(body, '}');
        colon = end ? memchr(body, ':', (size_t)(end - body)) : NULL;
        /* the key itself has no ':'; the path follows the first one */
        if (!colon || (size_t)(colon - body) >= sizeof(key))
                return CC_OK;
        memcpy(key, body, (size_t)(colon - body));
        key[colon - body] = '\0';
        target = cc_graph_get(g, key);
        if (!target || !target->observed)
                return CC_OK;
        {
                char path[256];
                size_t plen = (size_t)(end - colon - 1);

                if (plen >= sizeof(path))
                        return CC_OK;
                memcpy(path, colon + 1, plen);
                path[plen] = '\0';
                v = lookup_dotted(target->observed, path);
        }
        if (cJSON_IsString(v) && v->valuestring[0]) {
                *out = cc_strdup(v->valuestring);
        } else if (cJSON_IsNumber(v)) {
                snprintf(num, sizeof(num), "%.17g", v->valuedouble);
                *out = cc_strdup(num);
        } else {
                return CC_OK;
        }
        return *out ? CC_OK : CC_NOMEM;
}

static cc_err
resolve_tree(const struct cc_graph *g, cJSON *v, size_t *left)
{
        cJSON *c;
        cc_err rc = CC_OK;

        if (cJSON_IsString(v) && !strncmp(v->valuestring, CC_REF_PREFIX, strlen(CC_REF_PREFIX))) {
                char *val = NULL;

                rc = resolve_one(g, v->valuestring, &val);
                if (rc)
                        return rc;
                if (!val) {
                        (*left)++;
                        return CC_OK;
                }
                /* cJSON_SetValuestring only shrinks in place; swap the buffer */
                cJSON_free(v->valuestring);
                v->valuestring = cJSON_malloc(strlen(val) + 1);
                if (!v->valuestring) {
                        cc_free(val);
                        v->valuestring = NULL;
                        v->type = cJSON_NULL;
                        return CC_NOMEM;
                }
                memcpy(v->valuestring, val, strlen(val) + 1);
                cc_free(val);
                return CC_OK;
        }
        for (c = v ? v->child : NULL; c && !rc; c = c->next)
                rc = resolve_tree(g, c, left);
        return rc;
}

cc_err
cc_node_resolve(const struct cc_graph *g, struct cc_node *n, size_t *unresolved)
{
        size_t left = 0;
        cc_err rc = n->desired ? resolve_tree(g, n->desired, &left) : CC_OK;

        if (unresolved)
                *unresolved = left;
        return rc;
}

cc_err
cc_graph_resolve(struct cc_graph *g, size_t *unresolved)
{
        size_t i, total = 0;
        cc_err rc = CC_OK;

        for (i = 0; i < g->n && !rc; i++) {
                size_t left = 0;

                rc = cc_node_resolve(g, g->nodes[i], &left);
                total += left;
        }
        if (unresolved)
                *unresolved = total;
        return rc;
}
