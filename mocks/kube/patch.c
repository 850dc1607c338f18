/* patch.c -- merge patch, strategic merge patch and JSON patch on cJSON trees. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mocks/kube/kube.h"
#include "core/banned.h"

/* --- RFC 7386 ------------------------------------------------------------ */

static cJSON *
strip_nulls(const cJSON *patch)
{
        cJSON *out = cJSON_Duplicate(patch, true), *it, *next;

        if (!out || !cJSON_IsObject(out))
                return out;
        for (it = out->child; it; it = next) {
                next = it->next;
                if (cJSON_IsNull(it)) {
                        cJSON_DeleteItemFromObjectCaseSensitive(out, it->string);
                } else if (cJSON_IsObject(it)) {
                        cJSON *clean = strip_nulls(it);

                        if (clean)
                                cJSON_ReplaceItemViaPointer(out, it, clean);
                }
        }
        return out;
}

static bool
merge_into(cJSON *target, const cJSON *patch)
{
        const cJSON *p;

        for (p = patch->child; p; p = p->next) {
                cJSON *t = cJSON_GetObjectItemCaseSensitive(target, p->string);

                if (cJSON_IsNull(p)) {
                        if (t)
                                cJSON_DeleteItemFromObjectCaseSensitive(target, p->string);
                } else if (cJSON_IsObject(p) && cJSON_IsObject(t)) {
                        if (!merge_into(t, p))
                                return false;
                } else {
                        cJSON *v = strip_nulls(p);

                        if (!v)
                                return false;
                        if (t)
                                cJSON_ReplaceItemViaPointer(target, t, v);
                        else
                                cJSON_AddItemToObject(target, p->string, v);
                }
        }
        return true;
}

bool
kube_merge_patch(cJSON **target, const cJSON *patch)
{
        if (!cJSON_IsObject(patch)) {
                cJSON *v = cJSON_Duplicate(patch, true);

                if (!v)
                        return false;
                cJSON_Delete(*target);
                *target = v;
                return true;
        }
        if (!cJSON_IsObject(*target)) {
                cJSON *o = cJSON_CreateObject();

                if (!o)
                        return false;
                cJSON_Delete(*target);
                *target = o;
        }
        return merge_into(*target, patch);
}

cJSON *
kube_merge_diff(const cJSON *a, const cJSON *b)
{
        cJSON *out = cJSON_CreateObject();
        const cJSON *it;

        if (!out)
                return NULL;
        for (it = a ? a->child : NULL; it; it = it->next)
                if (!cJSON_GetObjectItemCaseSensitive(b, it->string))
                        cJSON_AddNullToObject(out, it->string);
        for (it = b ? b->child : NULL; it; it = it->next) {
                const cJSON *old = cJSON_GetObjectItemCaseSensitive(a, it->string);

                if (old && cJSON_Compare(old, it, true))
                        continue;
                if (cJSON_IsObject(old) && cJSON_IsObject(it))
                        cJSON_AddItemToObject(out, it->string, kube_merge_diff(old, it));
                else
                        cJSON_AddItemToObject(out, it->string, cJSON_Duplicate(it, true));
        }
        return out;
}

/* --- strategic merge patch ----------------------------------------------- */

/* the merge key of list `field` whose parent object is reached by `path`
 * (dot-joined field names), or NULL when the list is atomic */
static const char *
smp_key(const char *kind, const char *path, const char *field)
{
        if (!strcmp(field, "containers") || !strcmp(field, "initContainers") ||
            !strcmp(field, "ephemeralContainers") || !strcmp(field, "env") ||
            !strcmp(field, "volumes") || !strcmp(field, "imagePullSecrets"))
                return "name";
        if (!strcmp(field, "volumeMounts") || !strcmp(field, "volumeDevices"))
                return !strcmp(field, "volumeMounts") ? "mountPath" : "devicePath";
        if (!strcmp(field, "ownerReferences"))
                return "uid";
        if (!strcmp(field, "conditions"))
                return "type";
        if (!strcmp(field, "secrets") && !strcmp(kind, "ServiceAccount"))
                return "name";
        if (!strcmp(field, "ports")) {
                if (strstr(path, "ontainers"))
                        return "containerPort";
                if (!strcmp(kind, "Service") && !strcmp(path, "spec"))
                        return "port";
        }
        return NULL;
}

static bool
is_directive(const char *name)
{
        return name[0] == '$';
}

static cJSON *
strip_directives(const cJSON *v)
{
        cJSON *out = cJSON_Duplicate(v, true), *it, *next;

        if (!out)
                return NULL;
        if (cJSON_IsObject(out)) {
                for (it = out->child; it; it = next) {
                        next = it->next;
                        if (is_directive(it->string) || cJSON_IsNull(it)) {
                                cJSON_DeleteItemFromObjectCaseSensitive(out, it->string);
                        } else if (cJSON_IsObject(it) || cJSON_IsArray(it)) {
                                cJSON *c = strip_directives(it);

                                if (c)
                                        cJSON_ReplaceItemViaPointer(out, it, c);
                        }
                }
        } else if (cJSON_IsArray(out)) {
                for (it = out->child; it; it = next) {
                        next = it->next;
                        if (cJSON_IsObject(it)) {
                                cJSON *c = strip_directives(it);

                                if (c)
                                        cJSON_ReplaceItemViaPointer(out, it, c);
                        }
                }
        }
        return out;
}

static const char *
patch_directive(const cJSON *o)
{
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "$patch");

        return cJSON_IsString(d) ? d->valuestring : NULL;
}

static int smp_map(cJSON *target, const cJSON *patch, const char *kind, const char *path, char *err,
                   size_t errlen);

static cJSON *
find_by_key(cJSON *list, const char *key, const cJSON *val)
{
        cJSON *it;

        cJSON_ArrayForEach(it, list)
        {
                const cJSON *k = cJSON_GetObjectItemCaseSensitive(it, key);

                if (k && cJSON_Compare(k, val, true))
                        return it;
        }
        return NULL;
}

static int
smp_keyed_list(cJSON *target, const cJSON *patch, const char *key, const char *kind,
               const char *path, char *err, size_t errlen)
{
        const cJSON *p;

        cJSON_ArrayForEach(p, patch)
        {
                const cJSON *kv;
                const char *dir;
                cJSON *t;

                if (!cJSON_IsObject(p)) {
                        snprintf(err, errlen,
                                 "invalid strategic merge patch: list '%s' needs "
                                 "objects",
                                 path);
                        return 400;
                }
                dir = patch_directive(p);
                kv = cJSON_GetObjectItemCaseSensitive(p, key);
                if (!kv) {
                        if (dir && !strcmp(dir, "replace"))
                                continue; /* handled by the caller */
                        snprintf(err, errlen, "map: %s does not contain declared merge key: %s",
                                 "element", key);
                        return 400;
                }
                t = find_by_key(target, key, kv);
                if (dir && !strcmp(dir, "delete")) {
                        if (t)
                                cJSON_Delete(cJSON_DetachItemViaPointer(target, t));
                        continue;
                }
                if (t) {
                        int rc = smp_map(t, p, kind, path, err, errlen);

                        if (rc)
                                return rc;
                } else {
                        cJSON *v = strip_directives(p);

                        if (!v)
                                return 500;
                        cJSON_AddItemToArray(target, v);
                }
        }
        return 0;
}

static bool
list_has_replace(const cJSON *list)
{
        const cJSON *it;

        cJSON_ArrayForEach(it, list)
        {
                const char *d = cJSON_IsObject(it) ? patch_directive(it) : NULL;

                if (d && !strcmp(d, "replace"))
                        return true;
        }
        return false;
}

static void
set_merge(cJSON *target, const cJSON *patch)
{
        const cJSON *p;

        cJSON_ArrayForEach(p, patch)
        {
                const cJSON *t;
                bool found = false;

                cJSON_ArrayForEach(t, target) if (cJSON_Compare(t, p, true)) found = true;
                if (!found)
                        cJSON_AddItemToArray(target, cJSON_Duplicate(p, true));
        }
}

static void
delete_from_primitive(cJSON *target, const cJSON *values)
{
        const cJSON *v;

        if (!cJSON_IsArray(target))
                return;
        cJSON_ArrayForEach(v, values)
        {
                cJSON *t, *next;

                for (t = target->child; t; t = next) {
                        next = t->next;
                        if (cJSON_Compare(t, v, true))
                                cJSON_Delete(cJSON_DetachItemViaPointer(target, t));
                }
        }
}

static int
smp_map(cJSON *target, const cJSON *patch, const char *kind, const char *path, char *err,
        size_t errlen)
{
        const cJSON *p;
        const cJSON *retain = cJSON_GetObjectItemCaseSensitive(patch, "$retainKeys");
        const char *dir = patch_directive(patch);

        if (dir && !strcmp(dir, "replace")) {
                cJSON *v = strip_directives(patch), *c;

                if (!v)
                        return 500;
                while ((c = target->child))
                        cJSON_Delete(cJSON_DetachItemViaPointer(target, c));
                while ((c = v->child))
                        cJSON_AddItemToObject(target, c->string, cJSON_DetachItemViaPointer(v, c));
                cJSON_Delete(v);
                return 0;
        }
        if (dir && strcmp(dir, "merge") && strcmp(dir, "delete")) {
                snprintf(err, errlen, "unknown patch type: %s in map: %s", dir, path);
                return 400;
        }
        for (p = patch->child; p; p = p->next) {
                char sub[512];
                cJSON *t;

                if (!strncmp(p->string, "$deleteFromPrimitiveList/", 25)) {
                        delete_from_primitive(
                            cJSON_GetObjectItemCaseSensitive(target, p->string + 25), p);
                        continue;
                }
                if (is_directive(p->string))
                        continue;
                t = cJSON_GetObjectItemCaseSensitive(target, p->string);
                snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", p->string);
                if (cJSON_IsNull(p)) {
                        if (t)
                                cJSON_DeleteItemFromObjectCaseSensitive(target, p->string);
                        continue;
                }
                if (cJSON_IsObject(p)) {
                        const char *d = patch_directive(p);

                        if (d && !strcmp(d, "delete")) {
                                if (t)
                                        cJSON_DeleteItemFromObjectCaseSensitive(target, p->string);
                                continue;
                        }
                        if (cJSON_IsObject(t)) {
                                int rc = smp_map(t, p, kind, sub, err, errlen);

                                if (rc)
                                        return rc;
                                continue;
                        }
                } else if (cJSON_IsArray(p)) {
                        const char *key = smp_key(kind, path, p->string);

                        if (!strcmp(p->string, "finalizers") && cJSON_IsArray(t)) {
                                set_merge(t, p);
                                continue;
                        }
                        if (key && cJSON_IsArray(t) && !list_has_replace(p)) {
                                int rc = smp_keyed_list(t, p, key, kind, sub, err, errlen);

                                if (rc)
                                        return rc;
                                continue;
                        }
                        if (key && !cJSON_IsArray(t)) {
                                /* new keyed list: drop $patch: delete elements */
                                cJSON *v = cJSON_CreateArray();
                                const cJSON *e;

                                cJSON_ArrayForEach(e, p)
                                {
                                        const char *d =
                                            cJSON_IsObject(e) ? patch_directive(e) : NULL;

                                        if (d && (!strcmp(d, "delete") || !strcmp(d, "replace")))
                                                continue;
                                        cJSON_AddItemToArray(v, strip_directives(e));
                                }
                                if (t)
                                        cJSON_ReplaceItemViaPointer(target, t, v);
                                else
                                        cJSON_AddItemToObject(target, p->string, v);
                                continue;
                        }
                }
                {
                        cJSON *v = strip_directives(p);

                        if (!v)
                                return 500;
                        if (cJSON_IsArray(v) && list_has_replace(p)) {
                                /* a replaced list drops its {"$patch": "replace"} marker */
                                cJSON *e, *next;

                                for (e = v->child; e; e = next) {
                                        next = e->next;
                                        if (cJSON_IsObject(e) && !e->child)
                                                cJSON_Delete(cJSON_DetachItemViaPointer(v, e));
                                }
                        }
                        if (t)
                                cJSON_ReplaceItemViaPointer(target, t, v);
                        else
                                cJSON_AddItemToObject(target, p->string, v);
                }
        }
        if (cJSON_IsArray(retain)) {
                cJSON *t, *next;

                for (t = target->child; t; t = next) {
                        const cJSON *r;
                        bool keep = false;

                        next = t->next;
                        cJSON_ArrayForEach(r, retain) if (cJSON_IsString(r) &&
                                                          !strcmp(r->valuestring, t->string)) keep =
                            true;
                        if (!keep)
                                cJSON_Delete(cJSON_DetachItemViaPointer(target, t));
                }
        }
        return 0;
}

int
kube_smp(cJSON **target, const cJSON *patch, const char *kind, char *err, size_t errlen)
{
        if (!cJSON_IsObject(patch)) {
                snprintf(err, errlen, "strategic merge patch must be a JSON object");
                return 400;
        }
        if (!cJSON_IsObject(*target)) {
                cJSON *o = cJSON_CreateObject();

                if (!o)
                        return 500;
                cJSON_Delete(*target);
                *target = o;
        }
        return smp_map(*target, patch, kind, "", err, errlen);
}

/* --- RFC 6902 ------------------------------------------------------------ */

/* cJSON_InsertItemInArray of cJSON 1.7.15 refuses parsed arrays (their head
 * has no prev link) and then leaks the item: detach the tail, append, re-add */
void
kube_json_insert(cJSON *container, int idx, cJSON *item)
{
        cJSON *tail = cJSON_CreateArray(), *it;

        while (tail && cJSON_GetArraySize(container) > idx) {
                it = cJSON_DetachItemFromArray(container, idx);
                if (!it)
                        break;
                cJSON_AddItemToArray(tail, it);
        }
        cJSON_AddItemToArray(container, item);
        while (tail && (it = cJSON_DetachItemFromArray(tail, 0)))
                cJSON_AddItemToArray(container, it);
        cJSON_Delete(tail);
}

/* decode one reference token (~1 -> /, ~0 -> ~) into out */
static bool
token(const char **pp, char *out, size_t n)
{
        const char *p = *pp;
        size_t len = 0;

        while (*p && *p != '/') {
                char c = *p++;

                if (c == '~') {
                        if (*p == '0')
                                c = '~';
                        else if (*p == '1')
                                c = '/';
                        else
                                return false;
                        p++;
                }
                if (len + 1 >= n)
                        return false;
                out[len++] = c;
        }
        out[len] = 0;
        *pp = p;
        return true;
}

/* the parent container of pointer ptr and its last token; NULL if absent */
static cJSON *
resolve_parent(cJSON *doc, const char *ptr, char *last, size_t n)
{
        cJSON *cur = doc;
        const char *p = ptr;
        char tok[512];

        if (*p != '/')
                return NULL;
        for (;;) {
                p++;
                if (!token(&p, tok, sizeof(tok)))
                        return NULL;
                if (!*p) {
                        snprintf(last, n, "%s", tok);
                        return cur;
                }
                if (cJSON_IsObject(cur)) {
                        cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
                } else if (cJSON_IsArray(cur)) {
                        char *end;
                        long i;

                        errno = 0;
                        i = strtol(tok, &end, 10);
                        if (!tok[0] || *end || errno || i < 0)
                                return NULL;
                        cur = cJSON_GetArrayItem(cur, (int)i);
                } else {
                        return NULL;
                }
                if (!cur)
                        return NULL;
        }
}

static bool
array_index(const cJSON *arr, const char *tok, bool allow_end, int *out)
{
        char *end;
        long i;
        int size = cJSON_GetArraySize(arr);

        if (allow_end && !strcmp(tok, "-")) {
                *out = size;
                return true;
        }
        if (!tok[0] || (tok[0] == '0' && tok[1]))
                return false;
        errno = 0;
        i = strtol(tok, &end, 10);
        if (*end || errno || i < 0 || i > size || (!allow_end && i == size))
                return false;
        *out = (int)i;
        return true;
}

static cJSON *
get_ptr(cJSON *doc, const char *ptr)
{
        char last[512];
        cJSON *parent;
        int i;

        if (!ptr[0])
                return doc;
        parent = resolve_parent(doc, ptr, last, sizeof(last));
        if (cJSON_IsObject(parent))
                return cJSON_GetObjectItemCaseSensitive(parent, last);
        if (cJSON_IsArray(parent) && array_index(parent, last, false, &i))
                return cJSON_GetArrayItem(parent, i);
        return NULL;
}

/* remove the value at ptr and return it (detached), NULL if absent */
static cJSON *
detach_ptr(cJSON *doc, const char *ptr)
{
        char last[512];
        cJSON *parent = resolve_parent(doc, ptr, last, sizeof(last));
        int i;

        if (cJSON_IsObject(parent))
                return cJSON_DetachItemFromObjectCaseSensitive(parent, last);
        if (cJSON_IsArray(parent) && array_index(parent, last, false, &i))
                return cJSON_DetachItemFromArray(parent, i);
        return NULL;
}

/* add v (consumed) at ptr; false if the parent is missing */
static bool
add_ptr(cJSON **doc, const char *ptr, cJSON *v)
{
        char last[512];
        cJSON *parent;
        int i;

        if (!ptr[0]) {
                cJSON_Delete(*doc);
                *doc = v;
                return true;
        }
        parent = resolve_parent(*doc, ptr, last, sizeof(last));
        if (cJSON_IsObject(parent)) {
                if (cJSON_GetObjectItemCaseSensitive(parent, last))
                        cJSON_ReplaceItemInObjectCaseSensitive(parent, last, v);
                else
                        cJSON_AddItemToObject(parent, last, v);
                return true;
        }
        if (cJSON_IsArray(parent) && array_index(parent, last, true, &i)) {
                if (i == cJSON_GetArraySize(parent))
                        cJSON_AddItemToArray(parent, v);
                else
                        kube_json_insert(parent, i, v);
                return true;
        }
        cJSON_Delete(v);
        return false;
}

int
kube_json_patch(cJSON **doc, const cJSON *ops, char *err, size_t errlen)
{
        const cJSON *op;
        int idx = 0;

        if (!cJSON_IsArray(ops)) {
                snprintf(err, errlen, "json patch must be an array of operations");
                return 400;
        }
        cJSON_ArrayForEach(op, ops)
        {
                const char *name = kube_str(op, "op", NULL);
                const char *path = kube_str(op, "path", NULL);
                const char *from = kube_str(op, "from", NULL);
                const cJSON *value = cJSON_GetObjectItemCaseSensitive(op, "value");

                if (!cJSON_IsObject(op) || !name || !path) {
                        snprintf(err, errlen, "json patch operation %d needs 'op' and 'path'", idx);
                        return 400;
                }
                if (path[0] && path[0] != '/') {
                        snprintf(err, errlen, "json patch operation %d: invalid path '%s'", idx,
                                 path);
                        return 400;
                }
                if (!strcmp(name, "add") || !strcmp(name, "replace")) {
                        cJSON *v;

                        if (!value) {
                                snprintf(err, errlen, "json patch operation %d: missing value",
                                         idx);
                                return 400;
                        }
                        if (!strcmp(name, "replace") && !get_ptr(*doc, path)) {
                                snprintf(err, errlen,
                                         "replace operation does not apply: doc is missing key: "
                                         "%s",
                                         path);
                                return 422;
                        }
                        if (!strcmp(name, "replace") && path[0])
                                cJSON_Delete(detach_ptr(*doc, path));
                        v = cJSON_Duplicate(value, true);
                        if (!v || !add_ptr(doc, path, v)) {
                                snprintf(err, errlen,
                                         "add operation does not apply: doc is missing path: %s",
                                         path);
                                return 422;
                        }
                } else if (!strcmp(name, "remove")) {
                        cJSON *v = path[0] ? detach_ptr(*doc, path) : NULL;

                        if (!v) {
                                snprintf(err, errlen,
                                         "remove operation does not apply: doc is missing path: "
                                         "\"%s\"",
                                         path);
                                return 422;
                        }
                        cJSON_Delete(v);
                } else if (!strcmp(name, "test")) {
                        cJSON *cur = get_ptr(*doc, path);

                        if (!value) {
                                snprintf(err, errlen, "json patch operation %d: missing value",
                                         idx);
                                return 400;
                        }
                        if (!cur || !cJSON_Compare(cur, value, true)) {
                                snprintf(err, errlen, "testing value %s failed: test failed", path);
                                return 422;
                        }
                } else if (!strcmp(name, "move") || !strcmp(name, "copy")) {
                        cJSON *v;

                        if (!from || (from[0] && from[0] != '/')) {
                                snprintf(err, errlen, "json patch operation %d: missing 'from'",
                                         idx);
                                return 400;
                        }
                        if (!strcmp(name, "move") && strlen(path) > strlen(from) &&
                            !strncmp(path, from, strlen(from)) && path[strlen(from)] == '/') {
                                snprintf(err, errlen,
                                         "move operation: cannot move %s into "
                                         "itself",
                                         from);
                                return 422;
                        }
                        if (!strcmp(name, "move"))
                                v = from[0] ? detach_ptr(*doc, from) : NULL;
                        else
                                v = get_ptr(*doc, from) ? cJSON_Duplicate(get_ptr(*doc, from), true)
                                                        : NULL;
                        if (!v) {
                                snprintf(err, errlen,
                                         "%s operation does not apply: doc is missing from "
                                         "path: %s",
                                         name, from);
                                return 422;
                        }
                        if (!add_ptr(doc, path, v)) {
                                snprintf(err, errlen,
                                         "%s operation does not apply: doc is missing destination "
                                         "path: %s",
                                         name, path);
                                return 422;
                        }
                } else {
                        snprintf(err, errlen, "Unexpected kind: %s", name);
                        return 400;
                }
                idx++;
        }
        return 0;
}
