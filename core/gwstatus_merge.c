/* gwstatus_merge.c -- read-modify-write of Gateway API status (cc_gwstatus_merge).
 *
 * The rules every status writer must follow (reference/gateway-api-status.md
 * §1, §4): merge conditions by type, keep what other controllers own, keep
 * lastTransitionTime while a condition's status holds, never overwrite a
 * condition written at a newer generation, keep other controllers'
 * status.parents entries.  Existing order is preserved so that a converged
 * object compares equal and the controller writes nothing.
 */
#include <string.h>

#include "core/alloc.h"
#include "core/gwstatus.h"
#include "core/banned.h"

static const char *const owned_types[] = { "Accepted",
                                           "Programmed",
                                           "ResolvedRefs",
                                           "Conflicted",
                                           "OverlappingTLSConfig",
                                           "SupportedVersion",
                                           "PartiallyInvalid",
                                           NULL };

static const char *
str_of(const cJSON *o, const char *key)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

        return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double
num_of(const cJSON *o, const char *key)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

        return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static bool
owned(const char *type)
{
        size_t i;

        if (!type)
                return false;
        if (strncmp(type, "cloudctl.dev/", 13) == 0)
                return true;
        for (i = 0; owned_types[i]; i++)
                if (strcmp(type, owned_types[i]) == 0)
                        return true;
        return false;
}

static const cJSON *
find_by(const cJSON *arr, const char *key, const char *value)
{
        const cJSON *e;

        if (!value)
                return NULL;
        cJSON_ArrayForEach(e, arr)
        {
                const char *v = str_of(e, key);

                if (v && strcmp(v, value) == 0)
                        return e;
        }
        return NULL;
}

/* put -- add or replace o[key] = v; false (v not taken) on failure. */
static bool
put(cJSON *o, const char *key, cJSON *v)
{
        if (!v)
                return false;
        if (cJSON_GetObjectItemCaseSensitive(o, key))
                return cJSON_ReplaceItemInObjectCaseSensitive(o, key, v);
        return cJSON_AddItemToObject(o, key, v);
}

static bool
set_str(cJSON *o, const char *key, const char *value)
{
        cJSON *v = cJSON_CreateString(value);

        if (put(o, key, v))
                return true;
        cJSON_Delete(v);
        return false;
}

/* merge_one -- the condition to write for type T given the existing one (or
 * NULL) and the computed one. */
static cJSON *
merge_one(const cJSON *e, const cJSON *c, const char *now)
{
        const char *ltt;
        cJSON *n;

        if (e && num_of(e, "observedGeneration") > num_of(c, "observedGeneration"))
                return cJSON_Duplicate(e, true); /* our view is stale: leave it */
        if (!(n = cJSON_Duplicate(c, true)))
                return NULL;
        ltt = e ? str_of(e, "lastTransitionTime") : NULL;
        if (!(e && ltt &&
              strcmp(str_of(e, "status") ? str_of(e, "status") : "",
                     str_of(c, "status") ? str_of(c, "status") : "") == 0))
                ltt = now;
        if (ltt && !set_str(n, "lastTransitionTime", ltt)) {
                cJSON_Delete(n);
                return NULL;
        }
        return n;
}

/* merge_conditions -- a new conditions array: existing order kept, foreign
 * types untouched, owned types replaced or dropped, new types appended. */
static cJSON *
merge_conditions(const cJSON *existing, const cJSON *computed, const char *now)
{
        const cJSON *ex = cJSON_IsArray(existing) ? existing : NULL, *e, *c;
        cJSON *out = cJSON_CreateArray(), *n;

        if (!out)
                return NULL;

        cJSON_ArrayForEach(e, ex)
        {
                const char *type = str_of(e, "type");

                c = find_by(computed, "type", type);
                if (!c && owned(type))
                        continue;
                n = c ? merge_one(e, c, now) : cJSON_Duplicate(e, true);
                if (!n)
                        goto fail;
                cJSON_AddItemToArray(out, n);
        }
        cJSON_ArrayForEach(c, computed)
        {
                if (cJSON_IsArray(existing) && find_by(existing, "type", str_of(c, "type")))
                        continue;
                if (!(n = merge_one(NULL, c, now)))
                        goto fail;
                cJSON_AddItemToArray(out, n);
        }
        return out;
fail:
        cJSON_Delete(out);
        return NULL;
}

/* merge_entry -- a copy of computed entry c with its conditions merged with
 * those of the existing entry e (may be NULL). */
static cJSON *
merge_entry(const cJSON *e, const cJSON *c, const char *now)
{
        cJSON *n = cJSON_Duplicate(c, true), *conds;

        if (!n)
                return NULL;
        conds = merge_conditions(e ? cJSON_GetObjectItemCaseSensitive(e, "conditions") : NULL,
                                 cJSON_GetObjectItemCaseSensitive(c, "conditions"), now);
        if (!conds || !cJSON_ReplaceItemInObjectCaseSensitive(n, "conditions", conds)) {
                cJSON_Delete(conds);
                cJSON_Delete(n);
                return NULL;
        }
        return n;
}

static cJSON *
merge_listeners(const cJSON *existing, const cJSON *computed, const char *now)
{
        cJSON *out = cJSON_CreateArray(), *n;
        const cJSON *c;

        if (!out)
                return NULL;
        cJSON_ArrayForEach(c, computed)
        {
                const cJSON *e =
                    cJSON_IsArray(existing) ? find_by(existing, "name", str_of(c, "name")) : NULL;

                if (!(n = merge_entry(e, c, now))) {
                        cJSON_Delete(out);
                        return NULL;
                }
                cJSON_AddItemToArray(out, n);
        }
        return out;
}

static const cJSON *
find_parent(const cJSON *arr, const cJSON *entry, const char *ctrl)
{
        const cJSON *ref = cJSON_GetObjectItemCaseSensitive(entry, "parentRef"), *e;

        cJSON_ArrayForEach(e, arr)
        {
                const char *cn = str_of(e, "controllerName");

                if (cn && strcmp(cn, ctrl) == 0 &&
                    cJSON_Compare(ref, cJSON_GetObjectItemCaseSensitive(e, "parentRef"), true))
                        return e;
        }
        return NULL;
}

/* merge_parents -- foreign entries kept in place; ours replaced where the
 * parentRef still exists, dropped where it does not; new ones appended. */
static cJSON *
merge_parents(const cJSON *existing, const cJSON *computed, const char *ctrl, const char *now)
{
        const cJSON *ex = cJSON_IsArray(existing) ? existing : NULL, *e, *c;
        cJSON *out = cJSON_CreateArray(), *n;

        if (!out)
                return NULL;

        cJSON_ArrayForEach(e, ex)
        {
                const char *cn = str_of(e, "controllerName");

                if (!cn || strcmp(cn, ctrl) != 0) {
                        n = cJSON_Duplicate(e, true);
                } else {
                        if (!(c = find_parent(computed, e, ctrl)))
                                continue;
                        /* a duplicate of ours already merged is dropped */
                        if (find_parent(out, e, ctrl))
                                continue;
                        n = merge_entry(e, c, now);
                }
                if (!n)
                        goto fail;
                cJSON_AddItemToArray(out, n);
        }
        cJSON_ArrayForEach(c, computed)
        {
                if (find_parent(out, c, ctrl))
                        continue;
                if (!(n = merge_entry(NULL, c, now)))
                        goto fail;
                cJSON_AddItemToArray(out, n);
        }
        return out;
fail:
        cJSON_Delete(out);
        return NULL;
}

/* has_content -- anything but empty arrays (a route none of whose parents
 * we serve computes {"parents": []}: nothing to write on a fresh object) */
static bool
has_content(const cJSON *o)
{
        const cJSON *c;

        cJSON_ArrayForEach(c, o)
        {
                if (!cJSON_IsArray(c) || cJSON_GetArraySize(c) > 0)
                        return true;
        }
        return false;
}

cc_err
cc_gwstatus_merge(const cJSON *existing, const cJSON *computed, const char *controller_name,
                  const char *now, cJSON **merged, bool *changed, struct cc_diag *d)
{
        const char *ctrl = controller_name ? controller_name : CC_GW_CONTROLLER_NAME;
        const cJSON *c, *ex;
        cJSON *m = NULL, *v;
        cc_err rc = CC_NOMEM;

        if (!cJSON_IsObject(computed))
                return cc_diag_set(d, CC_INVAL, 0,
                                   "cannot merge status: computed is not an object");
        if (!cJSON_IsObject(existing))
                existing = NULL;
        m = existing ? cJSON_Duplicate(existing, true) : cJSON_CreateObject();
        if (!m)
                goto out;
        cJSON_ArrayForEach(c, computed)
        {
                ex = existing ? cJSON_GetObjectItemCaseSensitive(existing, c->string) : NULL;
                if (strcmp(c->string, "conditions") == 0)
                        v = merge_conditions(ex, c, now);
                else if (strcmp(c->string, "listeners") == 0)
                        v = merge_listeners(ex, c, now);
                else if (strcmp(c->string, "parents") == 0)
                        v = merge_parents(ex, c, ctrl, now);
                else
                        v = cJSON_Duplicate(c, true);
                if (!put(m, c->string, v)) {
                        cJSON_Delete(v);
                        goto out;
                }
        }
        rc = CC_OK;
out:
        if (rc) {
                cJSON_Delete(m);
                return cc_diag_set(d, rc, 0, "cannot merge status: out of memory");
        }
        *changed = existing ? !cJSON_Compare(existing, m, true) : has_content(m);
        *merged = m;
        return CC_OK;
}
