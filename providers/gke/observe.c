/* observe.c -- one filtered, paginated list per collection into the cache, then the graph. */
#include "providers/gke/observe.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/log.h"
#include "providers/gke/gke.h"
#include "providers/gke/naming.h"
#include "core/banned.h"

#define KEYMAX  1024
#define PATHMAX 2048

/* --- the cache ----------------------------------------------------------- */

static void
item_free(struct cc_gke_item *it)
{
        if (!it)
                return;
        cJSON_Delete(it->body);
        cc_free(it->owner);
        cc_free(it);
}

static void
note_dirty(struct cc_gke_cache *c, const char *key)
{
        if (c->dirty && cc_map_put(c->dirty, key, (void *)1))
                c->dirty_lost = true;
}

void
cc_gke_cache_clear(struct cc_gke_cache *c)
{
        size_t iter = 0;
        const char *key;
        void *v;

        if (c->dirty)
                c->dirty_lost = true;

        while (cc_map_next(&c->items, &iter, &key, &v))
                item_free(v);
        cc_map_release(&c->items);
        iter = 0;
        while (cc_map_next(&c->by_owner, &iter, &key, &v)) {
                cc_strv_release(v);
                cc_free(v);
        }
        cc_map_release(&c->by_owner);
        c->warm = false;
}

/* the owner index: key joins or leaves owner's list */
static cc_err
index_add(struct cc_gke_cache *c, const char *owner, const char *key)
{
        struct cc_strv *keys = cc_map_get(&c->by_owner, owner);

        if (!keys) {
                if (!(keys = cc_calloc(1, sizeof(*keys))))
                        return CC_NOMEM;
                if (cc_map_put(&c->by_owner, owner, keys)) {
                        cc_free(keys);
                        return CC_NOMEM;
                }
        }
        return cc_strv_push(keys, key);
}

static void
index_del(struct cc_gke_cache *c, const char *owner, const char *key)
{
        struct cc_strv *keys = cc_map_get(&c->by_owner, owner);
        size_t i;

        if (!keys)
                return;
        for (i = 0; i < keys->n; i++) {
                if (strcmp(keys->v[i], key))
                        continue;
                cc_free(keys->v[i]);
                keys->v[i] = keys->v[--keys->n];
                keys->v[keys->n] = NULL;
                break;
        }
        if (!keys->n) {
                cc_strv_release(keys);
                cc_free(cc_map_del(&c->by_owner, owner));
        }
}

void
cc_gke_cache_release(struct cc_gke_cache *c)
{
        cc_gke_cache_clear(c);
}

struct cc_gke_item *
cc_gke_cache_get(const struct cc_gke_cache *c, const char *key)
{
        return cc_map_get(&c->items, key);
}

cc_err
cc_gke_cache_put(struct cc_gke_cache *c, const struct cc_kind *kind, const char *key, cJSON *body,
                 const char *owner)
{
        struct cc_gke_item *it = cc_calloc(1, sizeof(*it)), *old;

        note_dirty(c, key);
        if (!it || (owner && !(it->owner = cc_strdup(owner)))) {
                cJSON_Delete(body);
                item_free(it);
                return CC_NOMEM;
        }
        it->kind = kind;
        it->body = body;
        old = cc_map_get(&c->items, key);
        if (owner && (!old || !old->owner || strcmp(old->owner, owner)) &&
            index_add(c, owner, key)) {
                item_free(it);
                return CC_NOMEM;
        }
        if (cc_map_put(&c->items, key, it)) {
                if (owner && (!old || !old->owner || strcmp(old->owner, owner)))
                        index_del(c, owner, key);
                item_free(it);
                return CC_NOMEM;
        }
        if (old && old->owner && (!owner || strcmp(old->owner, owner)))
                index_del(c, old->owner, key);
        item_free(old);
        return CC_OK;
}

void
cc_gke_cache_remove(struct cc_gke_cache *c, const char *key)
{
        struct cc_gke_item *it;

        note_dirty(c, key);
        it = cc_map_del(&c->items, key);
        if (it && it->owner)
                index_del(c, it->owner, key);
        item_free(it);
}

/* --- keys and marks ------------------------------------------------------ */

static const char *
jstr(const cJSON *o, const char *k)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

        return cJSON_IsString(v) ? v->valuestring : NULL;
}

void
cc_gke_txt_name(char *out, size_t outsz, const char *type, const char *name)
{
        char lower[16];
        size_t i;

        for (i = 0; type[i] && i < sizeof(lower) - 1; i++)
                lower[i] = (char)(type[i] | 0x20);
        lower[i] = '\0';
        snprintf(out, outsz, "%s%s.%s", CC_GKE_TXT_PREFIX, lower, name);
}

cc_err
cc_gke_item_key(const struct cc_kind *kind, const cJSON *body, const char *project,
                const char *zone, char *out, size_t outsz)
{
        const struct cc_gke_kind_ops *ops = cc_gke_kind_ops(kind);
        const char *s;

        switch (ops->family) {
        case CC_GKE_FAM_COMPUTE:
                s = jstr(body, "selfLink");
                if (s && strstr(s, "/projects/")) {
                        snprintf(out, outsz, "%s", cc_ref_suffix(s));
                        return CC_OK;
                }
                s = jstr(body, "name");
                if (!s || !project)
                        return CC_INVAL;
                snprintf(out, outsz, "projects/%s/global/%s/%s", project, ops->collection, s);
                return CC_OK;
        case CC_GKE_FAM_CERTMGR:
                s = jstr(body, "name");
                if (!s || strncmp(s, "projects/", 9))
                        return CC_INVAL;
                snprintf(out, outsz, "%s", s);
                return CC_OK;
        case CC_GKE_FAM_DNS: {
                const char *type = jstr(body, "type");

                s = jstr(body, "name");
                if (!s || !type || !project || !zone)
                        return CC_INVAL;
                snprintf(out, outsz, "projects/%s/managedZones/%s/rrsets/%s/%s", project, zone, s,
                         type);
                return CC_OK;
        }
        }
        return CC_INVAL;
}

bool
cc_gke_item_mark(const struct cc_kind *kind, const cJSON *body, char *owner, size_t ownersz)
{
        const char *s;
        size_t n;

        if (cc_gke_kind_ops(kind)->family != CC_GKE_FAM_DNS)
                return cc_gke_parse_owner(jstr(body, "description"), owner, ownersz);
        s = jstr(body, "type");
        if (!s || strcmp(s, "TXT"))
                return false;
        s = jstr(body, "name");
        if (!s || strncmp(s, CC_GKE_TXT_PREFIX, strlen(CC_GKE_TXT_PREFIX)))
                return false;
        s = cJSON_IsString(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(body, "rrdatas"), 0))
                ? cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(body, "rrdatas"), 0)
                      ->valuestring
                : NULL;
        if (!s)
                return false;
        if (*s == '"')
                s++;
        if (strncmp(s, CC_GKE_TXT_MARK, strlen(CC_GKE_TXT_MARK)))
                return false;
        s += strlen(CC_GKE_TXT_MARK);
        n = strlen(s);
        if (n && s[n - 1] == '"')
                n--;
        if (!n || n >= ownersz)
                return false;
        memcpy(owner, s, n);
        owner[n] = '\0';
        return true;
}

/* --- applying the cache to a graph --------------------------------------- */

void
cc_gke_observe_result_release(struct cc_gke_observe_result *r)
{
        cc_strv_release(&r->conflicts);
}

static bool
in_scope(const struct cc_gke_scope *s, const char *owner)
{
        size_t i;

        if (!owner || !cc_gke_owner_in_fleet(owner, s->fleet))
                return false;
        if (!s->owners)
                return true;
        for (i = 0; i < s->nowners; i++)
                if (!strcmp(s->owners[i], owner))
                        return true;
        return false;
}

static bool
is_gke_kind(const struct cc_kind *k)
{
        const struct cc_kind *const *p;

        for (p = cc_gke_kinds; *p; p++)
                if (*p == k)
                        return true;
        return false;
}

static cc_err
adopt(struct cc_graph *g, const char *key, const struct cc_gke_item *it)
{
        struct cc_node *n = NULL;
        cJSON *body = cJSON_Duplicate(it->body, 1);
        cc_err rc;

        if (!body)
                return CC_NOMEM;
        rc = cc_graph_add(g, it->kind, key, &n);
        if (rc) {
                cJSON_Delete(body);
                return rc;
        }
        cc_node_set_observed(n, body);
        n->flags |= CC_NODE_OWNED;
        rc = cc_node_set_owner(n, it->owner);
        if (!rc && it->kind == &cc_gke_kind_rrset) {
                char disp[600];

                snprintf(disp, sizeof(disp), "%s %s", jstr(it->body, "name"),
                         jstr(it->body, "type"));
                rc = cc_node_set_name(n, disp);
        }
        return rc;
}

/* A forwarding rule's observed IPAddress is the literal IP, not the
 * address's URL, so the graph would not see that it uses the address and a
 * destroy could delete the address first (400 in use).  Record the link as
 * a reference the planner follows (cc_graph_observed_refs); diff ignores
 * it, since no desired body names the field. */
static cc_err
link_address(struct cc_graph *g, struct cc_node *fr)
{
        const char *ip;
        size_t i;

        if (fr->kind != &cc_gke_kind_forwarding_rule || !fr->observed)
                return CC_OK;
        ip = jstr(fr->observed, "IPAddress");
        if (!ip)
                return CC_OK;
        for (i = 0; i < g->n; i++) {
                const struct cc_node *a = g->nodes[i];
                const char *aip =
                    a->kind == &cc_gke_kind_address ? jstr(a->observed, "address") : NULL;

                if (!aip || strcmp(aip, ip))
                        continue;
                cJSON_DeleteItemFromObjectCaseSensitive(fr->observed, CC_GKE_ADDRESS_REF);
                return cJSON_AddStringToObject(fr->observed, CC_GKE_ADDRESS_REF, a->key) ? CC_OK
                                                                                         : CC_NOMEM;
        }
        return CC_OK;
}

/* one cached item against the graph: observed body, owned flag or a
 * conflict; an item no node wants is adopted when its owner is in scope */
static cc_err
apply_item(const struct cc_gke_scope *s, struct cc_graph *g, const char *key,
           const struct cc_gke_item *it, struct cc_gke_observe_result *res)
{
        struct cc_node *n = cc_graph_get(g, key);
        cJSON *body;
        cc_err rc;

        if (!n) {
                if (!in_scope(s, it->owner))
                        return CC_OK;
                rc = adopt(g, key, it);
                if (!rc)
                        res->adopted++;
                return rc;
        }
        if (n->kind != it->kind)
                return CC_OK;
        if (!(body = cJSON_Duplicate(it->body, 1)))
                return CC_NOMEM;
        cc_node_set_observed(n, body);
        if (n->flags & CC_NODE_EXTERNAL)
                return CC_OK;
        if (it->owner && n->owner && !strcmp(it->owner, n->owner)) {
                n->flags |= CC_NODE_OWNED;
                return CC_OK;
        }
        if (!n->desired && !it->owner)
                return CC_OK;
        return it->owner
                   ? cc_strv_pushf(&res->conflicts,
                                   "%s '%s' exists and belongs to '%s', not to '%s'",
                                   n->kind->label, n->name, it->owner, n->owner ? n->owner : "")
                   : cc_strv_pushf(&res->conflicts, "%s '%s' exists and is not managed by cloudctl",
                                   n->kind->label, n->name);
}

cc_err
cc_gke_observe_apply(const struct cc_gke_cache *cache, const struct cc_gke_scope *s,
                     struct cc_graph *g, struct cc_gke_observe_result *res)
{
        size_t i, k, n0, iter = 0;
        const char *key;
        void *v;
        cc_err rc = CC_OK;

        for (i = 0; i < g->n; i++) {
                struct cc_node *n = g->nodes[i];

                if (!is_gke_kind(n->kind))
                        continue;
                cc_node_set_observed(n, NULL);
                n->flags &= ~(unsigned)CC_NODE_OWNED;
        }
        if (!s->owners) {
                /* the whole fleet: every cached item */
                while (!rc && cc_map_next(&cache->items, &iter, &key, &v))
                        rc = apply_item(s, g, key, v, res);
        } else {
                /* the graph's own keys, then the scope owners' other items */
                n0 = g->n;
                for (i = 0; !rc && i < n0; i++) {
                        const struct cc_gke_item *it = cc_map_get(&cache->items, g->nodes[i]->key);

                        if (it)
                                rc = apply_item(s, g, g->nodes[i]->key, it, res);
                }
                for (k = 0; !rc && k < s->nowners; k++) {
                        const struct cc_strv *keys = cc_map_get(&cache->by_owner, s->owners[k]);

                        for (i = 0; !rc && keys && i < keys->n; i++) {
                                const struct cc_gke_item *it =
                                    cc_map_get(&cache->items, keys->v[i]);

                                if (it && !cc_graph_get(g, keys->v[i]))
                                        rc = apply_item(s, g, keys->v[i], it, res);
                        }
                }
        }
        for (i = 0; !rc && i < g->n; i++)
                rc = link_address(g, g->nodes[i]);
        for (i = 0; !rc && i < g->n; i++) {
                struct cc_node *n = g->nodes[i];

                if ((n->flags & CC_NODE_EXTERNAL) && !n->observed && is_gke_kind(n->kind))
                        rc = cc_strv_pushf(&res->conflicts, "%s '%s' does not exist",
                                           n->kind->label, n->name);
        }
        return rc;
}

/* DNS records are owned through their companion TXT record */
static void
dns_owners(struct cc_gke_cache *cache)
{
        size_t iter = 0;
        const char *key;
        void *v;

        while (cc_map_next(&cache->items, &iter, &key, &v)) {
                struct cc_gke_item *it = v, *txt;
                const char *name = jstr(it->body, "name"), *type = jstr(it->body, "type");
                char tname[600], tkey[KEYMAX + 600];
                const char *slash;

                if (it->kind != &cc_gke_kind_rrset || it->owner || !name || !type)
                        continue;
                if (!strcmp(type, "TXT") &&
                    !strncmp(name, CC_GKE_TXT_PREFIX, strlen(CC_GKE_TXT_PREFIX)))
                        continue;
                /* key: projects/P/managedZones/Z/rrsets/<name>/<type> */
                slash = strstr(key, "/rrsets/");
                if (!slash)
                        continue;
                cc_gke_txt_name(tname, sizeof(tname), type, name);
                snprintf(tkey, sizeof(tkey), "%.*s/rrsets/%s/TXT", (int)(slash - key), key, tname);
                txt = cc_map_get(&cache->items, tkey);
                if (txt && txt->owner && (it->owner = cc_strdup(txt->owner)) &&
                    index_add(cache, it->owner, key)) {
                        /* not indexed: not owned (the next list tries again) */
                        CC_FREE(it->owner);
                }
        }
}

/* --- the lists ----------------------------------------------------------- */

struct obs;

struct lister {
        struct obs *o;
        const struct cc_kind *kind; /* NULL for a GET of an external node */
        enum cc_gke_api_id api;
        char path[PATHMAX]; /* without pageToken */
        const char *items;  /* list member holding the items */
        char what[256];
        bool refresh; /* a GET for opts.refresh: items holds the node's key */
        bool slot;    /* counted in obs.inflight (a list started by start_list) */
};

struct obs {
        struct cc_gke_api *api;
        struct cc_gke_cache *cache;
        struct cc_gke_observe_opts opts;
        struct cc_graph *g;
        struct cc_gke_observe_result *res;
        cc_gke_observe_fn fn;
        void *ud;
        size_t pending;
        bool externals_done;
        /* opts.max_lists: lists in flight, and those waiting their turn */
        size_t inflight;
        struct lister **waiting;
        size_t nwaiting, whead, wcap;
};

static void list_done(struct cc_gke_result *r, void *ud);

static cc_err
list_send(struct lister *l, const char *token, struct cc_diag *d)
{
        char path[PATHMAX + 512];
        struct cc_gke_call_req r = { 0 };

        if (token) {
                char *esc = curl_easy_escape(NULL, token, 0);

                if (!esc)
                        return cc_diag_set(d, CC_NOMEM, 0, "%s: out of memory", l->what);
                snprintf(path, sizeof(path), "%s%spageToken=%s", l->path,
                         strchr(l->path, '?') ? "&" : "?", esc);
                curl_free(esc);
        } else {
                snprintf(path, sizeof(path), "%s", l->path);
        }
        r.api = l->api;
        r.method = "GET";
        r.path = path;
        r.what = l->what;
        return cc_gke_api_call(l->o->api, &r, list_done, l, d);
}

static void obs_step(struct obs *o);

static void
obs_fail(struct obs *o, const struct cc_diag *d)
{
        if (o->res->rc == CC_OK) {
                o->res->rc = d->code ? d->code : CC_INTERNAL;
                o->res->d = *d;
        }
}

static cc_err
start_list(struct obs *o, const struct cc_kind *kind, enum cc_gke_api_id api, const char *path,
           const char *items, const char *what)
{
        struct lister *l = cc_calloc(1, sizeof(*l));
        struct cc_diag d;
        cc_err rc;

        cc_diag_clear(&d);
        if (!l) {
                cc_diag_set(&d, CC_NOMEM, 0, "%s: out of memory", what);
                obs_fail(o, &d);
                return CC_NOMEM;
        }
        l->o = o;
        l->kind = kind;
        l->api = api;
        l->items = items;
        snprintf(l->path, sizeof(l->path), "%s", path);
        snprintf(l->what, sizeof(l->what), "%s", what);
        l->slot = true;
        if (o->opts.max_lists && o->inflight >= o->opts.max_lists) {
                if (CC_GROW(o->waiting, o->wcap, o->nwaiting + 1)) {
                        cc_diag_set(&d, CC_NOMEM, 0, "%s: out of memory", what);
                        obs_fail(o, &d);
                        cc_free(l);
                        return CC_NOMEM;
                }
                o->waiting[o->nwaiting++] = l;
                o->pending++;
                return CC_AGAIN;
        }
        rc = list_send(l, NULL, &d);
        if (rc != CC_AGAIN) {
                obs_fail(o, &d);
                cc_free(l);
                return rc;
        }
        o->inflight++;
        o->pending++;
        return CC_AGAIN;
}

/* a list ended: start the waiting ones that now have a turn (after a
 * failure they are dropped: the observe fails anyway) */
static void
pump(struct obs *o)
{
        while (o->whead < o->nwaiting &&
               (o->res->rc || !o->opts.max_lists || o->inflight < o->opts.max_lists)) {
                struct lister *l = o->waiting[o->whead++];
                struct cc_diag d;

                cc_diag_clear(&d);
                if (!o->res->rc && list_send(l, NULL, &d) == CC_AGAIN) {
                        o->inflight++;
                        continue;
                }
                if (!o->res->rc)
                        obs_fail(o, &d);
                cc_free(l);
                o->pending--;
        }
}

static cc_err
take_item(struct obs *o, const struct cc_kind *kind, cJSON *it)
{
        char key[KEYMAX], owner[256];
        bool marked;

        if (cc_gke_item_key(kind, it, o->opts.scope.project, o->opts.scope.dns_zone, key,
                            sizeof(key))) {
                cJSON_Delete(it);
                return CC_OK; /* not a resource we can name: not ours */
        }
        marked = cc_gke_item_mark(kind, it, owner, sizeof(owner));
        o->res->listed++;
        return cc_gke_cache_put(o->cache, kind, key, it, marked ? owner : NULL);
}

static void
start_entries(struct obs *o)
{
        size_t iter = 0;
        const char *key;
        void *v;
        char path[PATHMAX], what[KEYMAX + 64];
        char *esc = curl_easy_escape(NULL, CC_GKE_LABEL_FILTER, 0);

        if (!esc) {
                struct cc_diag d;

                cc_diag_set(&d, CC_NOMEM, 0, "cannot list certificate map entries: out of memory");
                obs_fail(o, &d);
                return;
        }
        while (cc_map_next(&o->cache->items, &iter, &key, &v)) {
                struct cc_gke_item *it = v;

                if (it->kind != &cc_gke_kind_certificate_map || !it->owner ||
                    !cc_gke_owner_in_fleet(it->owner, o->opts.scope.fleet))
                        continue;
                snprintf(path, sizeof(path), "v1/%s/certificateMapEntries?filter=%s", key, esc);
                snprintf(what, sizeof(what), "cannot list the entries of certificate map '%s'",
                         strrchr(key, '/') + 1);
                start_list(o, &cc_gke_kind_certificate_map_entry, CC_GKE_API_CERTMGR, path,
                           "certificateMapEntries", what);
        }
        curl_free(esc);
}

static void
list_done(struct cc_gke_result *r, void *ud)
{
        struct lister *l = ud;
        struct obs *o = l->o;
        const char *next;
        cJSON *arr, *it;

        if (l->refresh) {
                const struct cc_node *n = cc_graph_get(o->g, l->items);
                char owner[256];
                bool marked;

                if (r->rc == CC_NOTFOUND) {
                        if (n)
                                cc_gke_cache_remove(o->cache, n->key);
                } else if (r->rc) {
                        obs_fail(o, &r->d);
                } else if (n && r->body) {
                        cJSON *body = r->body;

                        r->body = NULL;
                        marked = cc_gke_item_mark(n->kind, body, owner, sizeof(owner));
                        o->res->refreshed++;
                        if (cc_gke_cache_put(o->cache, n->kind, n->key, body,
                                             marked ? owner : NULL))
                                obs_fail(o, &(struct cc_diag){ .code = CC_NOMEM,
                                                               .message = "out of memory" });
                }
                goto done;
        }
        if (r->rc) {
                if (!l->kind && r->rc == CC_NOTFOUND)
                        goto done; /* an external resource that does not exist */
                obs_fail(o, &r->d);
                goto done;
        }
        if (!l->kind) {
                /* GET of an external node: l->items holds its key */
                const struct cc_node *n = cc_graph_get(o->g, l->items);

                if (n && r->body) {
                        cJSON *body = r->body;

                        r->body = NULL;
                        if (cc_gke_cache_put(o->cache, n->kind, n->key, body, NULL))
                                obs_fail(o, &(struct cc_diag){ .code = CC_NOMEM,
                                                               .message = "out of memory" });
                }
                goto done;
        }
        arr = cJSON_GetObjectItemCaseSensitive(r->body, l->items);
        if (!strcmp(l->items, "items") && cJSON_IsObject(arr)) {
                /* aggregated: {"zones/z": {"<coll>": [...]}} -- not used here */
                arr = NULL;
        }
        while (cJSON_IsArray(arr) && arr->child) {
                it = cJSON_DetachItemViaPointer(arr, arr->child);
                if (take_item(o, l->kind, it)) {
                        obs_fail(o,
                                 &(struct cc_diag){ .code = CC_NOMEM, .message = "out of memory" });
                        break;
                }
        }
        next = jstr(r->body, "nextPageToken");
        if (next && next[0] && o->res->rc == CC_OK) {
                struct cc_diag d;

                cc_diag_clear(&d);
                if (list_send(l, next, &d) == CC_AGAIN)
                        return;
                obs_fail(o, &d);
        }
        if (l->kind == &cc_gke_kind_certificate_map && o->res->rc == CC_OK)
                start_entries(o);
done:
        if (l->slot) {
                o->inflight--;
                pump(o);
        }
        cc_free(l);
        o->pending--;
        obs_step(o);
}

static void
obs_finish(struct obs *o)
{
        if (o->res->rc == CC_OK) {
                cc_err rc = cc_gke_observe_apply(o->cache, &o->opts.scope, o->g, o->res);

                if (rc) {
                        o->res->rc = rc;
                        cc_diag_set(&o->res->d, rc, 0, "cannot apply observed state: %s",
                                    cc_err_name(rc));
                } else {
                        o->cache->warm = true;
                }
        }
        if (o->res->rc)
                o->cache->warm = false;
        o->fn(o->res, o->ud);
        cc_free(o->waiting);
        cc_free(o);
}

/* after the lists: GET the external nodes the lists could not find */
static void
obs_step(struct obs *o)
{
        size_t i;

        if (o->pending)
                return;
        if (!o->externals_done && o->res->rc == CC_OK) {
                o->externals_done = true;
                dns_owners(o->cache);
                for (i = 0; i < o->g->n; i++) {
                        struct cc_node *n = o->g->nodes[i];
                        struct lister *l;
                        struct cc_diag d;
                        const struct cc_gke_kind_ops *ops;

                        if (!(n->flags & CC_NODE_EXTERNAL) || !is_gke_kind(n->kind) ||
                            cc_gke_cache_get(o->cache, n->key))
                                continue;
                        ops = cc_gke_kind_ops(n->kind);
                        l = cc_calloc(1, sizeof(*l));
                        if (!l) {
                                obs_fail(o, &(struct cc_diag){ .code = CC_NOMEM,
                                                               .message = "out of memory" });
                                break;
                        }
                        l->o = o;
                        l->api = ops->family == CC_GKE_FAM_COMPUTE   ? CC_GKE_API_COMPUTE
                                 : ops->family == CC_GKE_FAM_CERTMGR ? CC_GKE_API_CERTMGR
                                                                     : CC_GKE_API_DNS;
                        l->items = n->key; /* lives in the graph */
                        snprintf(l->path, sizeof(l->path), "%s%s",
                                 ops->family == CC_GKE_FAM_CERTMGR ? "v1/" : "", n->key);
                        snprintf(l->what, sizeof(l->what), "cannot read %s '%s'", n->kind->label,
                                 n->name);
                        cc_diag_clear(&d);
                        if (list_send(l, NULL, &d) != CC_AGAIN) {
                                obs_fail(o, &d);
                                cc_free(l);
                                continue;
                        }
                        o->pending++;
                }
                if (o->pending)
                        return;
        }
        obs_finish(o);
}

/* a new observe, with one count held while it starts (so nothing
 * completes it early); NULL when out of memory */
static struct obs *
obs_new(struct cc_gke_api *api, struct cc_gke_cache *cache, const struct cc_gke_observe_opts *opts,
        struct cc_graph *g, struct cc_gke_observe_result *res, cc_gke_observe_fn fn, void *ud)
{
        struct obs *o = cc_calloc(1, sizeof(*o));

        if (!o)
                return NULL;
        o->api = api;
        o->cache = cache;
        o->opts = *opts;
        o->g = g;
        o->res = res;
        o->fn = fn;
        o->ud = ud;
        o->pending = 1;
        return o;
}

/* GET the graph's desired nodes of opts->refresh into the warm cache, then
 * apply it */
static cc_err
refresh(struct cc_gke_api *api, struct cc_gke_cache *cache, const struct cc_gke_observe_opts *opts,
        struct cc_graph *g, struct cc_gke_observe_result *res, cc_gke_observe_fn fn, void *ud,
        struct cc_diag *d)
{
        struct obs *o = obs_new(api, cache, opts, g, res, fn, ud);
        size_t i;
        cc_err rc;

        if (!o)
                return cc_diag_set(d, CC_NOMEM, 0, "cannot observe: out of memory");
        o->externals_done = true; /* as for the cache alone: no GET of them */
        res->from_cache = true;
        for (i = 0; i < g->n; i++) {
                const struct cc_node *n = g->nodes[i];
                const struct cc_gke_kind_ops *ops = cc_gke_kind_ops(n->kind);
                struct lister *l;

                if (n->kind != opts->refresh || !n->desired || (n->flags & CC_NODE_EXTERNAL) ||
                    !ops || ops->family == CC_GKE_FAM_DNS)
                        continue;
                if (!(l = cc_calloc(1, sizeof(*l)))) {
                        obs_fail(o,
                                 &(struct cc_diag){ .code = CC_NOMEM, .message = "out of memory" });
                        break;
                }
                l->o = o;
                l->refresh = true;
                l->api =
                    ops->family == CC_GKE_FAM_COMPUTE ? CC_GKE_API_COMPUTE : CC_GKE_API_CERTMGR;
                l->items = n->key; /* lives in the graph */
                snprintf(l->path, sizeof(l->path), "%s%s",
                         ops->family == CC_GKE_FAM_CERTMGR ? "v1/" : "", n->key);
                snprintf(l->what, sizeof(l->what), "cannot read %s '%s'", n->kind->label, n->name);
                if (list_send(l, NULL, d) != CC_AGAIN) {
                        obs_fail(o, d);
                        cc_free(l);
                        break;
                }
                o->pending++;
        }
        o->pending--;
        if (o->pending)
                return CC_AGAIN; /* obs_step finishes once the GETs have */
        /* nothing started: the cache alone, or the first failure */
        rc = res->rc;
        cc_free(o);
        if (rc)
                return rc;
        rc = cc_gke_observe_apply(cache, &opts->scope, g, res);
        if (rc)
                cc_diag_set(d, rc, 0, "cannot apply observed state: %s", cc_err_name(rc));
        return rc;
}

cc_err
cc_gke_observe(struct cc_gke_api *api, struct cc_gke_cache *cache,
               const struct cc_gke_observe_opts *opts, struct cc_graph *g,
               struct cc_gke_observe_result *res, cc_gke_observe_fn fn, void *ud, struct cc_diag *d)
{
        static const char *const compute_colls[] = {
                "firewalls", "addresses",         "healthChecks",       "backendServices",
                "urlMaps",   "targetHttpProxies", "targetHttpsProxies", "forwardingRules",
        };
        static const char *const certmgr_colls[] = { "dnsAuthorizations", "certificates",
                                                     "certificateMaps" };
        const struct cc_gke_scope *s = &opts->scope;
        struct obs *o = NULL;
        char path[PATHMAX], what[256];
        char *fname = NULL, *flabel = NULL;
        size_t i;
        cc_err rc = CC_OK;

        memset(res, 0, sizeof(*res));
        if (opts->use_cache && cache->warm && opts->refresh)
                return refresh(api, cache, opts, g, res, fn, ud, d);
        if (opts->use_cache && cache->warm) {
                res->from_cache = true;
                rc = cc_gke_observe_apply(cache, s, g, res);
                if (rc)
                        cc_diag_set(d, rc, 0, "cannot apply observed state: %s", cc_err_name(rc));
                return rc;
        }
        o = obs_new(api, cache, opts, g, res, fn, ud);
        fname = curl_easy_escape(NULL, CC_GKE_NAME_FILTER, 0);
        flabel = curl_easy_escape(NULL, CC_GKE_LABEL_FILTER, 0);
        if (!o || !fname || !flabel) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "cannot observe: out of memory");
                goto out;
        }
        cc_gke_cache_clear(cache);
        for (i = 0; i < sizeof(compute_colls) / sizeof(compute_colls[0]); i++) {
                const struct cc_kind *k = cc_gke_kind_find(CC_GKE_FAM_COMPUTE, compute_colls[i]);

                snprintf(path, sizeof(path), "projects/%s/global/%s?filter=%s&maxResults=500",
                         s->project, compute_colls[i], fname);
                snprintf(what, sizeof(what), "cannot list %ss", k->label);
                start_list(o, k, CC_GKE_API_COMPUTE, path, "items", what);
        }
        for (i = 0; i < sizeof(certmgr_colls) / sizeof(certmgr_colls[0]); i++) {
                const struct cc_kind *k = cc_gke_kind_find(CC_GKE_FAM_CERTMGR, certmgr_colls[i]);

                snprintf(path, sizeof(path), "v1/projects/%s/locations/global/%s?filter=%s",
                         s->project, certmgr_colls[i], flabel);
                snprintf(what, sizeof(what), "cannot list %ss", k->label);
                start_list(o, k, CC_GKE_API_CERTMGR, path, certmgr_colls[i], what);
        }
        if (s->dns_zone) {
                snprintf(path, sizeof(path), "projects/%s/managedZones/%s/rrsets?maxResults=1000",
                         s->project, s->dns_zone);
                snprintf(what, sizeof(what), "cannot list the records of dns zone '%s'",
                         s->dns_zone);
                start_list(o, &cc_gke_kind_rrset, CC_GKE_API_DNS, path, "rrsets", what);
        }
        o->pending--;
        if (!o->pending) {
                /* nothing started */
                rc = res->rc ? res->rc : CC_INTERNAL;
                if (d)
                        *d = res->d;
                goto out;
        }
        o = NULL;
        rc = CC_AGAIN;
out:
        cc_free(o);
        curl_free(fname);
        curl_free(flabel);
        return rc;
}

/* --- NEG zones ----------------------------------------------------------- */

struct negs {
        struct cc_gke_api *api;
        struct cc_gke_negs_result *res;
        cc_gke_negs_fn fn;
        void *ud;
        struct cc_strv names;
        char path[PATHMAX * 2];
};

void
cc_gke_negs_result_release(struct cc_gke_negs_result *r)
{
        size_t i;

        for (i = 0; i < r->nfound; i++) {
                cc_free(r->found[i].name);
                cc_free(r->found[i].zone);
        }
        cc_free(r->found);
        r->found = NULL;
        r->nfound = 0;
        cc_strv_release(&r->missing);
}

static int
neg_cmp(const void *a, const void *b)
{
        const struct cc_gke_neg_zone *x = a, *y = b;
        int c = strcmp(x->name, y->name);

        return c ? c : strcmp(x->zone, y->zone);
}

static cc_err negs_send(struct negs *n, const char *token, struct cc_diag *d);

static void
negs_done(struct cc_gke_result *r, void *ud)
{
        struct negs *n = ud;
        struct cc_gke_negs_result *res = n->res;
        const cJSON *scope, *it;
        const char *next;
        size_t i, j, cap = res->nfound;

        if (r->rc) {
                res->rc = r->rc;
                res->d = r->d;
                goto done;
        }
        cJSON_ArrayForEach(scope, cJSON_GetObjectItemCaseSensitive(r->body, "items"))
        {
                cJSON_ArrayForEach(it,
                                   cJSON_GetObjectItemCaseSensitive(scope, "networkEndpointGroups"))
                {
                        const char *name = jstr(it, "name"), *zone = jstr(it, "zone");

                        if (!name || !zone || !cc_strv_contains(&n->names, name))
                                continue;
                        zone = strrchr(zone, '/') ? strrchr(zone, '/') + 1 : zone;
                        if (CC_GROW(res->found, cap, res->nfound + 1)) {
                                res->rc = cc_diag_set(&res->d, CC_NOMEM, 0, "out of memory");
                                goto done;
                        }
                        res->found[res->nfound].name = cc_strdup(name);
                        res->found[res->nfound].zone = cc_strdup(zone);
                        if (!res->found[res->nfound].name || !res->found[res->nfound].zone) {
                                cc_free(res->found[res->nfound].name);
                                cc_free(res->found[res->nfound].zone);
                                res->rc = cc_diag_set(&res->d, CC_NOMEM, 0, "out of memory");
                                goto done;
                        }
                        res->nfound++;
                }
        }
        next = jstr(r->body, "nextPageToken");
        if (next && next[0]) {
                struct cc_diag d;

                cc_diag_clear(&d);
                if (negs_send(n, next, &d) == CC_AGAIN)
                        return;
                res->rc = d.code;
                res->d = d;
                goto done;
        }
        qsort(res->found, res->nfound, sizeof(res->found[0]), neg_cmp);
        for (i = 0; i < n->names.n; i++) {
                bool seen = false;

                for (j = 0; j < res->nfound && !seen; j++)
                        seen = !strcmp(res->found[j].name, n->names.v[i]);
                if (!seen && cc_strv_push(&res->missing, n->names.v[i])) {
                        res->rc = cc_diag_set(&res->d, CC_NOMEM, 0, "out of memory");
                        goto done;
                }
        }
        if (res->missing.n)
                CC_WARN("gke.observe", "network endpoint groups not found in any zone",
                        CC_I("missing", res->missing.n), CC_S("first", res->missing.v[0]));
done:
        n->fn(res, n->ud);
        cc_strv_release(&n->names);
        cc_free(n);
}

static cc_err
negs_send(struct negs *n, const char *token, struct cc_diag *d)
{
        char path[sizeof(n->path) + 512];
        struct cc_gke_call_req r = { 0 };

        if (token) {
                char *esc = curl_easy_escape(NULL, token, 0);

                if (!esc)
                        return cc_diag_set(d, CC_NOMEM, 0, "out of memory");
                snprintf(path, sizeof(path), "%s&pageToken=%s", n->path, esc);
                curl_free(esc);
        } else {
                snprintf(path, sizeof(path), "%s", n->path);
        }
        r.api = CC_GKE_API_COMPUTE;
        r.path = path;
        r.what = "cannot list network endpoint groups";
        return cc_gke_api_call(n->api, &r, negs_done, n, d);
}

cc_err
cc_gke_negs_discover(struct cc_gke_api *api, const char *project, const char *const *names,
                     size_t count, struct cc_gke_negs_result *res, cc_gke_negs_fn fn, void *ud,
                     struct cc_diag *d)
{
        struct negs *n = cc_calloc(1, sizeof(*n));
        struct cc_buf f = CC_BUF_INIT(1000); /* escaped, it must fit n->path */
        bool unfiltered = false;
        char *esc = NULL;
        size_t i;
        cc_err rc;

        memset(res, 0, sizeof(*res));
        if (!n) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "out of memory");
                goto out;
        }
        /* name eq "(a|b|c)": the filter is a full-match RE2 */
        rc = cc_buf_puts(&f, "name eq \"(");
        for (i = 0; !rc && i < count; i++) {
                const char *p;

                for (p = names[i]; *p; p++) {
                        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-')) {
                                rc = cc_diag_set(d, CC_INVAL, 0,
                                                 "invalid network endpoint group name '%s'",
                                                 names[i]);
                                goto out;
                        }
                }
                rc = cc_strv_push(&n->names, names[i]);
                /* a filter too long for a URL is dropped (the buffer is
                 * released on TOOBIG): the list then holds every NEG of the
                 * project, matched here by name */
                if (!rc && !unfiltered &&
                    cc_buf_printf(&f, "%s%s", i ? "|" : "", names[i]) == CC_TOOBIG)
                        unfiltered = true;
        }
        if (!rc && !unfiltered && cc_buf_puts(&f, ")\"") == CC_TOOBIG)
                unfiltered = true;
        if (rc || (!unfiltered && !(esc = curl_easy_escape(NULL, cc_buf_str(&f), 0)))) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "cannot build the network endpoint group filter");
                goto out;
        }
        n->api = api;
        n->res = res;
        n->fn = fn;
        n->ud = ud;
        if (esc)
                snprintf(n->path, sizeof(n->path),
                         "projects/%s/aggregated/networkEndpointGroups?filter=%s&maxResults=500",
                         project, esc);
        else
                snprintf(n->path, sizeof(n->path),
                         "projects/%s/aggregated/networkEndpointGroups?maxResults=500", project);
        rc = negs_send(n, NULL, d);
        if (rc == CC_AGAIN)
                n = NULL;
out:
        if (n)
                cc_strv_release(&n->names);
        cc_free(n);
        curl_free(esc);
        cc_buf_release(&f);
        return rc;
}
