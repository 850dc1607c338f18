/* apply.c -- server-side apply and managedFields (simplified field ownership).
 *
 * DESIGN
 * ------
 * Ownership is kept where the apiserver keeps it: metadata.managedFields,
 * one entry per (manager, operation, subresource), each with a FieldsV1 set
 * ({"f:spec":{"f:replicas":{}}}).  The simplification: lists are atomic
 * leaves (a manager owns a whole list, never single elements), and a map
 * with members is never a leaf.  Apply then is:
 *   conflicts  a field in the applied config whose live value differs and
 *              that another manager owns -> 409, unless force (which takes
 *              the field away from the other manager);
 *   removal    fields this manager applied last time but not now, and that
 *              nobody else owns, are removed;
 *   merge      every applied leaf is set in the live object.
 * Updates (POST/PUT/PATCH) with a field manager record the leaves they
 * changed under operation "Update", taking them from other managers.
 */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "mocks/kube/kube.h"
#include "core/banned.h"

#define SEP '\x1f'

static bool
skip_top(const char *key, bool in_meta)
{
        if (in_meta)
                return strcmp(key, "labels") && strcmp(key, "annotations") &&
                       strcmp(key, "finalizers") && strcmp(key, "ownerReferences");
        return !strcmp(key, "apiVersion") || !strcmp(key, "kind");
}

static void
fields_walk(const cJSON *obj, cJSON *set, int depth, bool in_meta)
{
        const cJSON *it;

        cJSON_ArrayForEach(it, obj)
        {
                char key[512];
                cJSON *child;

                if (depth == 0 && skip_top(it->string, false))
                        continue;
                if (depth == 1 && in_meta && skip_top(it->string, true))
                        continue;
                snprintf(key, sizeof(key), "f:%s", it->string);
                child = cJSON_AddObjectToObject(set, key);
                if (cJSON_IsObject(it) && it->child &&
                    !(depth == 0 && !strcmp(it->string, "metadata") && false))
                        fields_walk(it, child, depth + 1,
                                    depth == 0 ? !strcmp(it->string, "metadata") : in_meta);
        }
}

cJSON *
kube_fields_of(const cJSON *obj)
{
        cJSON *set = cJSON_CreateObject();
        cJSON *md;

        fields_walk(obj, set, 0, false);
        /* metadata with nothing tracked under it is not a field of its own */
        md = cJSON_GetObjectItemCaseSensitive(set, "f:metadata");
        if (md && !md->child)
                cJSON_DeleteItemFromObjectCaseSensitive(set, "f:metadata");
        return set;
}

/* --- leaf paths: names joined by SEP ------------------------------------- */

struct paths {
        char **v;
        size_t n, cap;
};

static void
paths_release(struct paths *p)
{
        size_t i;

        for (i = 0; i < p->n; i++)
                cc_free(p->v[i]);
        cc_free(p->v);
        memset(p, 0, sizeof(*p));
}

static void
leaves(const cJSON *set, char *prefix, size_t plen, size_t cap, struct paths *out)
{
        const cJSON *it;

        cJSON_ArrayForEach(it, set)
        {
                size_t n, klen;

                if (!it->string || strncmp(it->string, "f:", 2))
                        continue;
                klen = strlen(it->string + 2);
                if (plen + klen + 2 >= cap)
                        continue;
                n = plen;
                if (n)
                        prefix[n++] = SEP;
                memcpy(prefix + n, it->string + 2, klen + 1);
                if (cJSON_IsObject(it) && it->child) {
                        leaves(it, prefix, n + klen, cap, out);
                } else if (!CC_GROW(out->v, out->cap, out->n + 1)) {
                        char *c = cc_strdup(prefix);

                        if (c)
                                out->v[out->n++] = c;
                }
                prefix[plen] = 0;
        }
}

static void
leaf_paths(const cJSON *set, struct paths *out)
{
        char buf[2048] = "";

        leaves(set, buf, 0, sizeof(buf), out);
}

static bool
paths_has(const struct paths *p, const char *s)
{
        size_t i;

        for (i = 0; i < p->n; i++)
                if (!strcmp(p->v[i], s))
                        return true;
        return false;
}

/* walk obj along path; create intermediate objects when create is set */
static cJSON *
walk(cJSON *obj, const char *path, bool create, cJSON **parent, char *last, size_t lastn)
{
        cJSON *cur = obj;
        const char *p = path;

        for (;;) {
                const char *sep = strchr(p, SEP);
                size_t len = sep ? (size_t)(sep - p) : strlen(p);
                char key[512];
                cJSON *next;

                if (len >= sizeof(key))
                        return NULL;
                memcpy(key, p, len);
                key[len] = 0;
                if (!cJSON_IsObject(cur))
                        return NULL;
                next = cJSON_GetObjectItemCaseSensitive(cur, key);
                if (!sep) {
                        if (parent)
                                *parent = cur;
                        if (last)
                                snprintf(last, lastn, "%s", key);
                        return next;
                }
                if (!next || (create && !cJSON_IsObject(next))) {
                        if (!create)
                                return NULL;
                        if (next)
                                cJSON_DeleteItemFromObjectCaseSensitive(cur, key);
                        next = cJSON_AddObjectToObject(cur, key);
                }
                cur = next;
                p = sep + 1;
        }
}

static cJSON *
value_at(const cJSON *obj, const char *path)
{
        return walk((cJSON *)obj, path, false, NULL, NULL, 0);
}

static void
set_at(cJSON *obj, const char *path, const cJSON *v)
{
        cJSON *parent = NULL, *dup;
        char last[512];
        cJSON *cur = walk(obj, path, true, &parent, last, sizeof(last));

        if (!parent)
                return;
        dup = cJSON_Duplicate(v, true);
        if (!dup)
                return;
        if (cur)
                cJSON_ReplaceItemViaPointer(parent, cur, dup);
        else
                cJSON_AddItemToObject(parent, last, dup);
}

static void
remove_at(cJSON *obj, const char *path)
{
        cJSON *parent = NULL;
        char last[512];

        if (walk(obj, path, false, &parent, last, sizeof(last)) && parent)
                cJSON_DeleteItemFromObjectCaseSensitive(parent, last);
}

/* fieldsV1 set <-> leaf paths */
static cJSON *
set_from_paths(const struct paths *p)
{
        cJSON *set = cJSON_CreateObject();
        size_t i;

        for (i = 0; i < p->n; i++) {
                char fpath[2048];
                size_t j = 0, o = 0;
                const char *s = p->v[i];
                cJSON *empty = cJSON_CreateObject();

                /* prefix every segment with "f:" */
                fpath[o++] = 'f';
                fpath[o++] = ':';
                while (s[j] && o + 4 < sizeof(fpath)) {
                        fpath[o++] = s[j];
                        if (s[j] == SEP) {
                                fpath[o++] = 'f';
                                fpath[o++] = ':';
                        }
                        j++;
                }
                fpath[o] = 0;
                set_at(set, fpath, empty);
                cJSON_Delete(empty);
        }
        return set;
}

static cJSON *
managed_fields(cJSON *obj)
{
        cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "metadata"), *mf;

        if (!cJSON_IsObject(m))
                return NULL;
        mf = cJSON_GetObjectItemCaseSensitive(m, "managedFields");
        if (!cJSON_IsArray(mf)) {
                cJSON_DeleteItemFromObjectCaseSensitive(m, "managedFields");
                mf = cJSON_AddArrayToObject(m, "managedFields");
        }
        return mf;
}

static bool
entry_is(const cJSON *e, const char *manager, const char *op, const char *sub)
{
        const char *m = kube_str(e, "manager", NULL), *o = kube_str(e, "operation", NULL);
        const char *s = kube_str(e, "subresource", NULL);

        return m && o && !strcmp(m, manager) && !strcmp(o, op) && !strcmp(s ? s : "", sub);
}

static void
take_from_others(cJSON *mf, const cJSON *self, const struct paths *taken)
{
        cJSON *e, *next;

        for (e = mf ? mf->child : NULL; e; e = next) {
                struct paths own = { 0 }, keep = { 0 };
                size_t i;

                next = e->next;
                if (e == self)
                        continue;
                leaf_paths(cJSON_GetObjectItemCaseSensitive(e, "fieldsV1"), &own);
                for (i = 0; i < own.n; i++) {
                        if (paths_has(taken, own.v[i]))
                                continue;
                        if (!CC_GROW(keep.v, keep.cap, keep.n + 1))
                                keep.v[keep.n++] = cc_strdup(own.v[i]);
                }
                if (keep.n != own.n) {
                        if (!keep.n)
                                cJSON_Delete(cJSON_DetachItemViaPointer(mf, e));
                        else
                                cJSON_ReplaceItemInObjectCaseSensitive(e, "fieldsV1",
                                                                       set_from_paths(&keep));
                }
                paths_release(&own);
                paths_release(&keep);
        }
}

static cJSON *
new_entry(cJSON *mf, const char *manager, const char *op, const char *av, const char *sub)
{
        cJSON *e = cJSON_CreateObject();

        cJSON_AddStringToObject(e, "manager", manager);
        cJSON_AddStringToObject(e, "operation", op);
        cJSON_AddStringToObject(e, "apiVersion", av);
        cJSON_AddStringToObject(e, "time", "");
        cJSON_AddStringToObject(e, "fieldsType", "FieldsV1");
        cJSON_AddObjectToObject(e, "fieldsV1");
        if (sub[0])
                cJSON_AddStringToObject(e, "subresource", sub);
        cJSON_AddItemToArray(mf, e);
        return e;
}

static void
filter_sub(cJSON *set, const char *sub, bool has_status)
{
        cJSON *it, *next;

        for (it = set->child; it; it = next) {
                bool is_status = !strcmp(it->string, "f:status");

                next = it->next;
                if (sub[0] ? !is_status : (is_status && has_status))
                        cJSON_Delete(cJSON_DetachItemViaPointer(set, it));
        }
}

void
kube_fields_record_update(cJSON *next, const cJSON *old, const char *manager,
                          const char *api_version, const char *sub, const char *now)
{
        cJSON *all = kube_fields_of(next), *mf, *e, *self = NULL;
        struct paths p = { 0 }, changed = { 0 }, own = { 0 };
        size_t i;

        filter_sub(all, sub, true);
        leaf_paths(all, &p);
        for (i = 0; i < p.n; i++) {
                const cJSON *a = old ? value_at(old, p.v[i]) : NULL;
                const cJSON *b = value_at(next, p.v[i]);

                if (a && b && cJSON_Compare(a, b, true))
                        continue;
                if (!CC_GROW(changed.v, changed.cap, changed.n + 1))
                        changed.v[changed.n++] = cc_strdup(p.v[i]);
        }
        if (!changed.n)
                goto out;
        mf = managed_fields(next);
        if (!mf)
                goto out;
        cJSON_ArrayForEach(e, mf) if (entry_is(e, manager, "Update", sub)) self = e;
        if (!self)
                self = new_entry(mf, manager, "Update", api_version, sub);
        leaf_paths(cJSON_GetObjectItemCaseSensitive(self, "fieldsV1"), &own);
        for (i = 0; i < changed.n; i++)
                if (!paths_has(&own, changed.v[i]) && !CC_GROW(own.v, own.cap, own.n + 1))
                        own.v[own.n++] = cc_strdup(changed.v[i]);
        cJSON_ReplaceItemInObjectCaseSensitive(self, "fieldsV1", set_from_paths(&own));
        cJSON_ReplaceItemInObjectCaseSensitive(self, "time", cJSON_CreateString(now));
        take_from_others(mf, self, &changed);
out:
        paths_release(&p);
        paths_release(&changed);
        paths_release(&own);
        cJSON_Delete(all);
}

int
kube_apply(struct kube *k, const struct kube_res *r, const char *ns, const char *name,
           cJSON *applied, const struct kube_write_opts *wo, cJSON **out)
{
        struct kube_write_opts w = { 0 };
        struct kube_obj *o;
        cJSON *set = NULL, *live = NULL, *mf, *e, *self = NULL, *conf = NULL;
        struct paths s = { 0 }, prev = { 0 }, conflicts = { 0 };
        const char *sub = wo && wo->sub ? wo->sub : "";
        const char *bname;
        char av[128], now[40];
        size_t i;
        int rc;

        if (wo)
                w = *wo;
        w.apply = true;
        w.sub = sub;
        if (!w.manager || !w.manager[0]) {
                *out = kube_status(400, "BadRequest",
                                   "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: "
                                   "Required value: is required for apply patch",
                                   NULL, NULL);
                rc = 400;
                goto out;
        }
        if (!cJSON_IsObject(applied)) {
                *out =
                    kube_status(400, "BadRequest", "apply patch must be a JSON object", NULL, NULL);
                rc = 400;
                goto out;
        }
        bname = kube_str(applied, "metadata", "name");
        if (bname && strcmp(bname, name)) {
                *out = kube_status(400, "BadRequest",
                                   "the name of the object does not match the name on the URL",
                                   NULL, NULL);
                rc = 400;
                goto out;
        }
        kube_res_api_version(r, av, sizeof(av));
        kube_now(k, now, sizeof(now));
        set = kube_fields_of(applied);
        filter_sub(set, sub, (r->flags & KR_STATUS) != 0);
        leaf_paths(set, &s);
        o = kube_find(k, r, ns, name);
        if (!o) {
                cJSON *md;

                if (sub[0]) {
                        char qp[160], msg[400];

                        kube_res_qualified_plural(r, qp, sizeof(qp));
                        snprintf(msg, sizeof(msg), "%s \"%s\" not found", qp, name);
                        *out = kube_status(404, "NotFound", msg, r, name);
                        rc = 404;
                        goto out;
                }
                md = cJSON_GetObjectItemCaseSensitive(applied, "metadata");
                if (!md)
                        md = cJSON_AddObjectToObject(applied, "metadata");
                if (!cJSON_IsObject(md)) {
                        *out = kube_status(400, "BadRequest", "metadata must be an object", NULL,
                                           NULL);
                        rc = 400;
                        goto out;
                }
                if (!kube_str(applied, "metadata", "name"))
                        cJSON_AddStringToObject(md, "name", name);
                cJSON_DeleteItemFromObjectCaseSensitive(md, "managedFields");
                mf = cJSON_AddArrayToObject(md, "managedFields");
                e = new_entry(mf, w.manager, "Apply", av, "");
                cJSON_ReplaceItemInObjectCaseSensitive(e, "fieldsV1", set);
                set = NULL;
                cJSON_ReplaceItemInObjectCaseSensitive(e, "time", cJSON_CreateString(now));
                rc = kube_create(k, r, ns, applied, &w, out);
                goto out;
        }
        live = cJSON_Duplicate(o->obj, true);
        mf = managed_fields(live);
        if (!mf) {
                *out = kube_status(500, "InternalError", "metadata is not an object", NULL, NULL);
                rc = 500;
                goto out;
        }
        cJSON_ArrayForEach(e, mf) if (entry_is(e, w.manager, "Apply", sub)) self = e;
        /* conflicts: differing values owned by someone else */
        for (i = 0; i < s.n; i++) {
                const cJSON *lv = value_at(live, s.v[i]), *nv = value_at(applied, s.v[i]);
                const cJSON *other;

                if (!lv || (nv && cJSON_Compare(lv, nv, true)))
                        continue;
                cJSON_ArrayForEach(other, mf)
                {
                        struct paths own = { 0 };
                        const char *osub = kube_str(other, "subresource", NULL);

                        if (other == self || strcmp(osub ? osub : "", sub) ||
                            !kube_str(other, "manager", NULL))
                                continue;
                        leaf_paths(cJSON_GetObjectItemCaseSensitive(other, "fieldsV1"), &own);
                        if (paths_has(&own, s.v[i])) {
                                char field[1024], cause[1200];
                                size_t j, n = 0;

                                for (j = 0; s.v[i][j] && n + 2 < sizeof(field); j++)
                                        field[n++] = s.v[i][j] == SEP ? '.' : s.v[i][j];
                                field[n] = 0;
                                if (!conf)
                                        conf = cJSON_CreateArray();
                                if (entry_is(other, kube_str(other, "manager", NULL), "Update",
                                             osub ? osub : ""))
                                        snprintf(cause, sizeof(cause),
                                                 "conflict with \"%s\" using %s",
                                                 kube_str(other, "manager", NULL),
                                                 kube_str(other, "apiVersion", NULL)
                                                     ? kube_str(other, "apiVersion", NULL)
                                                     : av);
                                else
                                        snprintf(cause, sizeof(cause), "conflict with \"%s\"",
                                                 kube_str(other, "manager", NULL));
                                {
                                        cJSON *c = cJSON_CreateObject();
                                        char dotted[1030];

                                        snprintf(dotted, sizeof(dotted), ".%s", field);
                                        cJSON_AddStringToObject(c, "reason",
                                                                "FieldManagerConflict");
                                        cJSON_AddStringToObject(c, "message", cause);
                                        cJSON_AddStringToObject(c, "field", dotted);
                                        cJSON_AddItemToArray(conf, c);
                                }
                                if (!CC_GROW(conflicts.v, conflicts.cap, conflicts.n + 1))
                                        conflicts.v[conflicts.n++] = cc_strdup(s.v[i]);
                        }
                        paths_release(&own);
                }
        }
        if (conflicts.n && !w.force) {
                struct cc_buf msg = CC_BUF_INIT(8192);
                cJSON *c, *d;
                size_t n = 0;

                cc_buf_printf(
                    &msg, "Apply failed with %zu conflict%s: ", (size_t)cJSON_GetArraySize(conf),
                    cJSON_GetArraySize(conf) == 1 ? "" : "s");
                cJSON_ArrayForEach(c, conf)
                {
                        cc_buf_printf(&msg, "%s%s: %s", n++ ? "\n" : "",
                                      kube_str(c, "message", NULL), kube_str(c, "field", NULL));
                }
                *out = kube_status(409, "Conflict", cc_buf_str(&msg), r, name);
                d = cJSON_GetObjectItemCaseSensitive(*out, "details");
                cJSON_AddItemToObject(d, "causes", conf);
                conf = NULL;
                cc_buf_release(&msg);
                rc = 409;
                goto out;
        }
        /* removal of fields this manager dropped */
        if (self)
                leaf_paths(cJSON_GetObjectItemCaseSensitive(self, "fieldsV1"), &prev);
        for (i = 0; i < prev.n; i++) {
                const cJSON *other;
                bool shared = false;

                if (paths_has(&s, prev.v[i]))
                        continue;
                cJSON_ArrayForEach(other, mf)
                {
                        struct paths own = { 0 };

                        if (other == self)
                                continue;
                        leaf_paths(cJSON_GetObjectItemCaseSensitive(other, "fieldsV1"), &own);
                        if (paths_has(&own, prev.v[i]))
                                shared = true;
                        paths_release(&own);
                }
                if (!shared)
                        remove_at(live, prev.v[i]);
        }
        for (i = 0; i < s.n; i++) {
                const cJSON *nv = value_at(applied, s.v[i]);

                if (nv)
                        set_at(live, s.v[i], nv);
        }
        if (!self)
                self = new_entry(mf, w.manager, "Apply", av, sub);
        cJSON_ReplaceItemInObjectCaseSensitive(self, "fieldsV1", set);
        set = NULL;
        cJSON_ReplaceItemInObjectCaseSensitive(self, "time", cJSON_CreateString(now));
        if (conflicts.n)
                take_from_others(mf, self, &conflicts);
        rc = kube_commit_update(k, o, live, sub, false, &w, out);
        live = NULL;
out:
        paths_release(&s);
        paths_release(&prev);
        paths_release(&conflicts);
        cJSON_Delete(conf);
        cJSON_Delete(set);
        cJSON_Delete(live);
        cJSON_Delete(applied);
        return rc;
}
