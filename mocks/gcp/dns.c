/* dns.c -- mock-gcp: Cloud DNS v1 (managed zones, record sets, changes).
 *
 * DESIGN
 * ------
 * The whole state is one cJSON tree, because it is small, is served as
 * JSON and is dumped as JSON:
 *
 *   {"zones": [{"project": "p",
 *               "zone":    {ManagedZone as served},
 *               "rrsets":  [ResourceRecordSet as served, sorted by name, type],
 *               "changes": [{"change": {Change as served}, "ms": startMs}],
 *               "nextChange": 3}]}
 *
 * Every mutation of record sets goes through apply_change(), which
 * validates all of a change before touching anything (Cloud DNS changes are
 * atomic) and records a Change; rrsets.create/patch/delete are changes of
 * one or two record sets, as in the real service.  A change is "pending"
 * in the response that created it and "done" once cfg.dns_change_latency_ms
 * has passed, evaluated when somebody reads it.
 *
 * Names are compared case-insensitively and stored as received.  Messages
 * follow the recorded real ones (gcp-api.md §3).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "mocks/gcp/gcp.h"
#include "core/banned.h"

#define DNS_DEFAULT_TTL  300
#define DNS_APEX_TTL     21600
#define DNS_PAGE_DEFAULT 1000

struct gcp_dns {
        struct gcp *g;
        cJSON *root;  /* {"zones": [...]} */
        cJSON *zones; /* borrowed from root */
};

/* --- small JSON helpers -------------------------------------------------- */

static int
name_cmp(const char *a, const char *b)
{
        return strcasecmp(a, b);
}

/* --- zones --------------------------------------------------------------- */

static cJSON *
zone_find(struct gcp_dns *s, const char *project, const char *name_or_id)
{
        cJSON *z;

        cJSON_ArrayForEach(z, s->zones)
        {
                const cJSON *mz = gcp_jget(z, "zone");
                const char *p = gcp_jstr(z, "project");

                if (!p || strcmp(p, project))
                        continue;
                if (!strcmp(gcp_jstr(mz, "name") ? gcp_jstr(mz, "name") : "", name_or_id) ||
                    !strcmp(gcp_jstr(mz, "id") ? gcp_jstr(mz, "id") : "", name_or_id))
                        return z;
        }
        return NULL;
}

static bool
valid_zone_name(const char *n)
{
        size_t i, len = strlen(n);

        if (!len || len > 63 || !islower((unsigned char)n[0]) || n[len - 1] == '-')
                return false;
        for (i = 0; i < len; i++)
                if (!islower((unsigned char)n[i]) && !isdigit((unsigned char)n[i]) && n[i] != '-')
                        return false;
        return true;
}

/* a DNS name: labels of [A-Za-z0-9_-*], each 1..63, total <= 253, with the
 * trailing dot when fqdn is set */
static bool
valid_dns_name(const char *n, bool fqdn)
{
        size_t len = strlen(n), label = 0, i;

        if (!len || len > 254)
                return false;
        if (fqdn && n[len - 1] != '.')
                return false;
        if (!strcmp(n, "."))
                return true;
        for (i = 0; i < len; i++) {
                char c = n[i];

                if (c == '.') {
                        if (!label)
                                return false;
                        label = 0;
                        continue;
                }
                if (!isalnum((unsigned char)c) && c != '-' && c != '_' && c != '*')
                        return false;
                if (++label > 63)
                        return false;
        }
        return true;
}

/* is name inside (or equal to) the zone's dnsName? */
static bool
in_zone(const char *name, const char *zone_dns)
{
        size_t nl = strlen(name), zl = strlen(zone_dns);

        if (!strcmp(zone_dns, "."))
                return true;
        if (nl < zl || strcasecmp(name + nl - zl, zone_dns))
                return false;
        return nl == zl || name[nl - zl - 1] == '.';
}

static cJSON *
make_rrset(const char *name, const char *type, int ttl, const cJSON *rrdatas, const cJSON *routing)
{
        cJSON *r = cJSON_CreateObject();

        cJSON_AddStringToObject(r, "kind", "dns#resourceRecordSet");
        cJSON_AddStringToObject(r, "name", name);
        cJSON_AddStringToObject(r, "type", type);
        cJSON_AddNumberToObject(r, "ttl", ttl);
        if (rrdatas)
                cJSON_AddItemToObject(r, "rrdatas", cJSON_Duplicate(rrdatas, 1));
        if (routing)
                cJSON_AddItemToObject(r, "routingPolicy", cJSON_Duplicate(routing, 1));
        cJSON_AddArrayToObject(r, "signatureRrdatas");
        return r;
}

static cJSON *
rrset_find(cJSON *zone, const char *name, const char *type, int *index)
{
        cJSON *r;
        int i = 0;

        cJSON_ArrayForEach(r, gcp_jget(zone, "rrsets"))
        {
                if (!name_cmp(gcp_jstr(r, "name"), name) &&
                    !strcasecmp(gcp_jstr(r, "type"), type)) {
                        if (index)
                                *index = i;
                        return r;
                }
                i++;
        }
        return NULL;
}

/* insert keeping the (name, type) order */
static void
rrset_insert(cJSON *zone, cJSON *rr)
{
        cJSON *arr = gcp_jget(zone, "rrsets");
        cJSON *r;
        int i = 0;

        cJSON_ArrayForEach(r, arr)
        {
                int c = name_cmp(gcp_jstr(r, "name"), gcp_jstr(rr, "name"));

                if (c > 0 || (c == 0 && strcmp(gcp_jstr(r, "type"), gcp_jstr(rr, "type")) > 0))
                        break;
                i++;
        }
        if (r)
                gcp_arr_insert(arr, i, rr);
        else
                cJSON_AddItemToArray(arr, rr);
}

static void
change_refresh(struct gcp_dns *s, cJSON *entry)
{
        cJSON *c = gcp_jget(entry, "change");
        const cJSON *ms = gcp_jget(entry, "ms");
        const char *st = gcp_jstr(c, "status");

        if (!st || strcmp(st, "pending") || !cJSON_IsNumber(ms))
                return;
        if (gcp_now_ms() - (int64_t)ms->valuedouble >= s->g->cfg.dns_change_latency_ms) {
                gcp_jset(c, "status", cJSON_CreateString("done"));
                gcp_jset(c, "isServing", cJSON_CreateBool(true));
        }
}

/* record a change (additions/deletions are consumed); returns the entry */
static cJSON *
change_record(struct gcp_dns *s, cJSON *zone, cJSON *additions, cJSON *deletions, bool done)
{
        cJSON *entry = cJSON_CreateObject();
        cJSON *c = cJSON_CreateObject();
        const cJSON *next = gcp_jget(zone, "nextChange");
        int seq = cJSON_IsNumber(next) ? next->valueint : 0;
        int64_t now = gcp_now_ms();
        char id[24], ts[40];

        snprintf(id, sizeof(id), "%d", seq);
        gcp_time_dns(now, ts, sizeof(ts));
        cJSON_AddStringToObject(c, "kind", "dns#change");
        cJSON_AddItemToObject(c, "additions", additions ? additions : cJSON_CreateArray());
        cJSON_AddItemToObject(c, "deletions", deletions ? deletions : cJSON_CreateArray());
        cJSON_AddStringToObject(c, "startTime", ts);
        cJSON_AddStringToObject(c, "id", id);
        cJSON_AddStringToObject(c, "status", done ? "done" : "pending");
        if (done)
                cJSON_AddBoolToObject(c, "isServing", true);
        cJSON_AddItemToObject(entry, "change", c);
        cJSON_AddNumberToObject(entry, "ms", (double)now);
        cJSON_AddItemToArray(gcp_jget(zone, "changes"), entry);
        gcp_jset(zone, "nextChange", cJSON_CreateNumber(seq + 1));
        gcp_changed(s->g);
        return entry;
}

/* --- record-set validation ----------------------------------------------- */

static bool
valid_ipv4(const char *s)
{
        unsigned char buf[16];

        return inet_pton(AF_INET, s, buf) == 1;
}

static bool
valid_ipv6(const char *s)
{
        unsigned char buf[16];

        return inet_pton(AF_INET6, s, buf) == 1;
}

/* Validate an input record set; on error fill resp (400) naming the field
 * under `where` ("entity.rrset", "entity.change.additions[0]") and return
 * false.  Fills *ttl with the TTL to use. */
static bool
rrset_check(const cJSON *rr, const char *zone_dns, const char *where, bool need_data, int *ttl,
            struct cc_mock_resp *resp)
{
        const char *name = gcp_jstr(rr, "name"), *type = gcp_jstr(rr, "type");
        const cJSON *t = gcp_jget(rr, "ttl"), *datas = gcp_jget(rr, "rrdatas");
        const cJSON *routing = gcp_jget(rr, "routingPolicy"), *d;
        int i = 0;

        if (!cJSON_IsObject(rr)) {
                gcp_error_v1(resp, 400, "invalid", "Invalid value for '%s': 'not an object'",
                             where);
                return false;
        }
        if (!name) {
                gcp_error_v1(resp, 400, "required", "Required field '%s.name' not specified",
                             where);
                return false;
        }
        if (!valid_dns_name(name, true) || !in_zone(name, zone_dns)) {
                gcp_error_v1(resp, 400, "invalid", "Invalid value for '%s.name': '%s'", where,
                             name);
                return false;
        }
        if (!type) {
                gcp_error_v1(resp, 400, "required", "Required field '%s.type' not specified",
                             where);
                return false;
        }
        for (i = 0; type[i]; i++) {
                if (!isupper((unsigned char)type[i]) && !isdigit((unsigned char)type[i])) {
                        gcp_error_v1(resp, 400, "invalid", "Invalid value for '%s.type': '%s'",
                                     where, type);
                        return false;
                }
        }
        if (!i || i > 10) {
                gcp_error_v1(resp, 400, "invalid", "Invalid value for '%s.type': '%s'", where,
                             type);
                return false;
        }
        if (t && (!cJSON_IsNumber(t) || t->valuedouble < 0 || t->valuedouble > 2147483647.0 ||
                  t->valuedouble != (double)(long long)t->valuedouble)) {
                gcp_error_v1(resp, 400, "invalid", "Invalid value for '%s.ttl'", where);
                return false;
        }
        *ttl = t ? (int)t->valuedouble : DNS_DEFAULT_TTL;
        if (routing && !cJSON_IsObject(routing)) {
                gcp_error_v1(resp, 400, "invalid", "Invalid value for '%s.routingPolicy'", where);
                return false;
        }
        if (datas && !cJSON_IsArray(datas)) {
                gcp_error_v1(resp, 400, "invalid", "Invalid value for '%s.rrdatas'", where);
                return false;
        }
        if (routing && cJSON_GetArraySize(datas) > 0) {
                gcp_error_v1(resp, 400, "invalid",
                             "Invalid value for '%s': rrdatas and routingPolicy are mutually "
                             "exclusive",
                             where);
                return false;
        }
        if (!need_data)
                return true;
        if (!routing && cJSON_GetArraySize(datas) == 0) {
                gcp_error_v1(resp, 400, "required", "Required field '%s.rrdatas' not specified",
                             where);
                return false;
        }
        i = 0;
        cJSON_ArrayForEach(d, datas)
        {
                const char *v = cJSON_IsString(d) ? d->valuestring : NULL;
                bool ok = v && *v && strlen(v) <= 4096;

                if (ok && !strcmp(type, "A"))
                        ok = valid_ipv4(v);
                else if (ok && !strcmp(type, "AAAA"))
                        ok = valid_ipv6(v);
                else if (ok &&
                         (!strcmp(type, "CNAME") || !strcmp(type, "NS") || !strcmp(type, "PTR")))
                        ok = valid_dns_name(v, true);
                if (!ok) {
                        gcp_error_v1(resp, 400, "invalid",
                                     "Invalid value for '%s.rrdatas[%d]': '%s'", where, i,
                                     v ? v : "");
                        return false;
                }
                i++;
        }
        if (!strcmp(type, "CNAME") && cJSON_GetArraySize(datas) > 1) {
                gcp_error_v1(resp, 400, "invalid",
                             "Invalid value for '%s.rrdatas': a CNAME has exactly one value",
                             where);
                return false;
        }
        if (!strcmp(type, "SOA") && (name_cmp(name, zone_dns) || cJSON_GetArraySize(datas) != 1)) {
                gcp_error_v1(resp, 400, "invalid", "Invalid value for '%s.name': '%s'", where,
                             name);
                return false;
        }
        return true;
}

/* do two rrdatas arrays hold the same set of strings? */
static bool
rrdatas_equal(const cJSON *a, const cJSON *b)
{
        const cJSON *x, *y;

        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
                return false;
        cJSON_ArrayForEach(x, a)
        {
                bool found = false;

                cJSON_ArrayForEach(y, b)
                {
                        if (cJSON_IsString(x) && cJSON_IsString(y) &&
                            !strcmp(x->valuestring, y->valuestring)) {
                                found = true;
                                break;
                        }
                }
                if (!found)
                        return false;
        }
        return true;
}

static bool
is_apex_locked(const cJSON *rr, const char *zone_dns)
{
        const char *type = gcp_jstr(rr, "type");

        return !name_cmp(gcp_jstr(rr, "name"), zone_dns) &&
               (!strcmp(type, "SOA") || !strcmp(type, "NS"));
}

/* Validate and apply {additions, deletions} against zone, atomically.
 * `where` is "entity.change" for changes.create.  On success returns the
 * change log entry; on error fills resp and returns NULL. */
static cJSON *
apply_change(struct gcp_dns *s, cJSON *zone, const cJSON *additions, const cJSON *deletions,
             const char *where, struct cc_mock_resp *resp)
{
        const char *zone_dns = gcp_jstr(gcp_jget(zone, "zone"), "dnsName");
        cJSON *adds = NULL, *dels = NULL, *entry = NULL;
        const cJSON *rr;
        char at[128];
        int i = 0, ttl;

        if ((additions && !cJSON_IsArray(additions)) || (deletions && !cJSON_IsArray(deletions))) {
                gcp_error_v1(resp, 400, "invalid", "Invalid value for '%s'", where);
                goto out;
        }
        if (!cJSON_GetArraySize(additions) && !cJSON_GetArraySize(deletions)) {
                gcp_error_v1(resp, 400, "required",
                             "The '%s' resource must contain at least one addition or deletion.",
                             where);
                goto out;
        }
        /* 1. deletions must match exactly */
        cJSON_ArrayForEach(rr, deletions)
        {
                const cJSON *cur;

                snprintf(at, sizeof(at), "%s.deletions[%d]", where, i);
                if (!rrset_check(rr, zone_dns, at, false, &ttl, resp))
                        goto out;
                cur = rrset_find(zone, gcp_jstr(rr, "name"), gcp_jstr(rr, "type"), NULL);
                if (!cur) {
                        gcp_error_v1(resp, 404, "notFound",
                                     "The '%s' resource named '%s (%s)' does not exist.", at,
                                     gcp_jstr(rr, "name"), gcp_jstr(rr, "type"));
                        goto out;
                }
                if ((gcp_jget(rr, "ttl") && gcp_jget(cur, "ttl")->valueint != ttl) ||
                    !rrdatas_equal(gcp_jget(rr, "rrdatas"), gcp_jget(cur, "rrdatas"))) {
                        gcp_error_v1(resp, 412, "conditionNotMet", "Precondition not met for '%s'",
                                     at);
                        goto out;
                }
                /* the same record set twice in deletions */
                {
                        const cJSON *o;
                        int j = 0;

                        cJSON_ArrayForEach(o, deletions)
                        {
                                if (j++ >= i)
                                        break;
                                if (!name_cmp(gcp_jstr(o, "name"), gcp_jstr(rr, "name")) &&
                                    !strcasecmp(gcp_jstr(o, "type"), gcp_jstr(rr, "type"))) {
                                        gcp_error_v1(resp, 404, "notFound",
                                                     "The '%s' resource named '%s (%s)' does not "
                                                     "exist.",
                                                     at, gcp_jstr(rr, "name"),
                                                     gcp_jstr(rr, "type"));
                                        goto out;
                                }
                        }
                }
                i++;
        }
        /* 2. additions must not exist unless deleted in this change */
        i = 0;
        cJSON_ArrayForEach(rr, additions)
        {
                const cJSON *o;
                bool deleted = false, twice = false;
                int j = 0;

                snprintf(at, sizeof(at), "%s.additions[%d]", where, i);
                if (!rrset_check(rr, zone_dns, at, true, &ttl, resp))
                        goto out;
                cJSON_ArrayForEach(o, deletions)
                {
                        if (!name_cmp(gcp_jstr(o, "name"), gcp_jstr(rr, "name")) &&
                            !strcmp(gcp_jstr(o, "type"), gcp_jstr(rr, "type")))
                                deleted = true;
                }
                cJSON_ArrayForEach(o, additions)
                {
                        /* the same record set added twice in one change */
                        if (j++ >= i)
                                break;
                        if (!name_cmp(gcp_jstr(o, "name"), gcp_jstr(rr, "name")) &&
                            !strcmp(gcp_jstr(o, "type"), gcp_jstr(rr, "type")))
                                twice = true;
                }
                if (twice || (rrset_find(zone, gcp_jstr(rr, "name"), gcp_jstr(rr, "type"), NULL) &&
                              !deleted)) {
                        gcp_error_v1(resp, 409, "alreadyExists",
                                     "The resource '%s' named '%s (%s)' already exists", at,
                                     gcp_jstr(rr, "name"), gcp_jstr(rr, "type"));
                        goto out;
                }
                i++;
        }
        /* 3. the apex SOA and NS may be replaced but not removed */
        i = 0;
        cJSON_ArrayForEach(rr, deletions)
        {
                const cJSON *o;
                bool readded = false;

                if (is_apex_locked(rr, zone_dns)) {
                        cJSON_ArrayForEach(o, additions)
                        {
                                if (!name_cmp(gcp_jstr(o, "name"), gcp_jstr(rr, "name")) &&
                                    !strcmp(gcp_jstr(o, "type"), gcp_jstr(rr, "type")))
                                        readded = true;
                        }
                        if (!readded) {
                                gcp_error_v1(resp, 400, "invalid",
                                             "The resource '%s.deletions[%d]' named '%s (%s)' "
                                             "cannot be deleted",
                                             where, i, gcp_jstr(rr, "name"), gcp_jstr(rr, "type"));
                                goto out;
                        }
                }
                i++;
        }

        /* apply: deletions then additions */
        adds = cJSON_CreateArray();
        dels = cJSON_CreateArray();
        if (!adds || !dels) {
                gcp_error_v1(resp, 500, "internalError", "out of memory");
                goto out;
        }
        cJSON_ArrayForEach(rr, deletions)
        {
                int idx = -1;
                cJSON *cur = rrset_find(zone, gcp_jstr(rr, "name"), gcp_jstr(rr, "type"), &idx);

                if (cur)
                        cJSON_AddItemToArray(
                            dels, cJSON_DetachItemFromArray(gcp_jget(zone, "rrsets"), idx));
        }
        cJSON_ArrayForEach(rr, additions)
        {
                const cJSON *t = gcp_jget(rr, "ttl");
                cJSON *n = make_rrset(gcp_jstr(rr, "name"), gcp_jstr(rr, "type"),
                                      t ? (int)t->valuedouble : DNS_DEFAULT_TTL,
                                      gcp_jget(rr, "rrdatas"), gcp_jget(rr, "routingPolicy"));

                if (!n)
                        continue;
                cJSON_AddItemToArray(adds, cJSON_Duplicate(n, 1));
                rrset_insert(zone, n);
        }
        entry = change_record(s, zone, adds, dels, false);
        adds = dels = NULL;
out:
        cJSON_Delete(adds);
        cJSON_Delete(dels);
        return entry;
}

/* --- handlers ------------------------------------------------------------ */

static int
page_params(const struct cc_mock_req *req, struct cc_mock_resp *resp, int *offset, int *max)
{
        char v[64], *end;
        long n;

        *offset = 0;
        *max = DNS_PAGE_DEFAULT;
        if (gcp_query(req, "maxResults", v, sizeof(v)) && *v) {
                n = strtol(v, &end, 10);
                if (*end || n <= 0) {
                        gcp_error_v1(resp, 400, "invalid",
                                     "Invalid value for parameter 'maxResults': '%s'", v);
                        return -1;
                }
                *max = n > DNS_PAGE_DEFAULT ? DNS_PAGE_DEFAULT : (int)n;
        }
        if (gcp_query(req, "pageToken", v, sizeof(v)) && *v) {
                n = strtol(v, &end, 10);
                if (*end || n < 0 || n > 100000000) {
                        gcp_error_v1(resp, 400, "invalid", "Invalid value for 'pageToken': '%s'",
                                     v);
                        return -1;
                }
                *offset = (int)n;
        }
        return 0;
}

/* add items[offset..offset+max) of the matching ones to out under key */
static void
page_finish(cJSON *out, const char *key, cJSON *matches, int offset, int max)
{
        cJSON *arr = cJSON_CreateArray();
        int total = cJSON_GetArraySize(matches), i;

        for (i = offset; i < total && i < offset + max; i++)
                cJSON_AddItemToArray(arr, cJSON_Duplicate(cJSON_GetArrayItem(matches, i), 1));
        if (cJSON_GetArraySize(arr) > 0)
                cJSON_AddItemToObject(out, key, arr);
        else
                cJSON_Delete(arr);
        if (offset + max < total) {
                char tok[24];

                snprintf(tok, sizeof(tok), "%d", offset + max);
                cJSON_AddStringToObject(out, "nextPageToken", tok);
        }
}

static void
zone_create(struct gcp_dns *s, const char *project, const struct cc_mock_req *req,
            struct cc_mock_resp *resp)
{
        cJSON *body = gcp_parse_body(req, resp, false);
        cJSON *entry = NULL, *mz = NULL, *ns = NULL, *soa_data = NULL, *adds = NULL;
        const char *name, *dns, *desc, *vis;
        const cJSON *labels;
        char id[32], ts[40], soa[256], letter;
        int k;

        if (!body)
                return;
        name = gcp_jstr(body, "name");
        dns = gcp_jstr(body, "dnsName");
        desc = gcp_jstr(body, "description");
        vis = gcp_jstr(body, "visibility");
        labels = gcp_jget(body, "labels");
        if (!name) {
                gcp_error_v1(resp, 400, "required",
                             "Required field 'entity.managedZone.name' not specified");
                goto out;
        }
        if (!valid_zone_name(name)) {
                gcp_error_v1(resp, 400, "invalid",
                             "Invalid value for 'entity.managedZone.name': '%s'", name);
                goto out;
        }
        if (!dns) {
                gcp_error_v1(resp, 400, "required",
                             "Required field 'entity.managedZone.dnsName' not specified");
                goto out;
        }
        if (!valid_dns_name(dns, true) || strchr(dns, '*')) {
                gcp_error_v1(resp, 400, "invalid",
                             "Invalid value for 'entity.managedZone.dnsName': '%s'", dns);
                goto out;
        }
        if ((gcp_jget(body, "description") && !desc) || (desc && strlen(desc) > 1024)) {
                gcp_error_v1(resp, 400, "invalid",
                             "Invalid value for 'entity.managedZone.description'");
                goto out;
        }
        if ((gcp_jget(body, "visibility") && !vis) ||
            (vis && strcmp(vis, "public") && strcmp(vis, "private"))) {
                gcp_error_v1(resp, 400, "invalid",
                             "Invalid value for 'entity.managedZone.visibility': '%s'",
                             vis ? vis : "");
                goto out;
        }
        if (labels && !cJSON_IsObject(labels)) {
                gcp_error_v1(resp, 400, "invalid", "Invalid value for 'entity.managedZone.labels'");
                goto out;
        }
        if (zone_find(s, project, name)) {
                gcp_error_v1(resp, 409, "alreadyExists",
                             "The resource 'entity.managedZone' named '%s' already exists", name);
                goto out;
        }

        gcp_new_id(s->g, id, sizeof(id));
        gcp_time_dns(gcp_now_ms(), ts, sizeof(ts));
        letter = (char)('a' + (id[strlen(id) - 1] - '0') % 5);
        mz = cJSON_CreateObject();
        ns = cJSON_CreateArray();
        cJSON_AddStringToObject(mz, "kind", "dns#managedZone");
        cJSON_AddStringToObject(mz, "name", name);
        cJSON_AddStringToObject(mz, "dnsName", dns);
        cJSON_AddStringToObject(mz, "description", desc ? desc : "");
        cJSON_AddStringToObject(mz, "id", id);
        for (k = 1; k <= 4; k++) {
                char n[64];

                snprintf(n, sizeof(n), "ns-cloud-%c%d.googledomains.com.", letter, k);
                cJSON_AddItemToArray(ns, cJSON_CreateString(n));
        }
        cJSON_AddItemToObject(mz, "nameServers", cJSON_Duplicate(ns, 1));
        cJSON_AddStringToObject(mz, "creationTime", ts);
        cJSON_AddStringToObject(mz, "visibility", vis ? vis : "public");
        if (labels)
                cJSON_AddItemToObject(mz, "labels", cJSON_Duplicate(labels, 1));
        if (vis && !strcmp(vis, "private") &&
            cJSON_IsObject(gcp_jget(body, "privateVisibilityConfig")))
                cJSON_AddItemToObject(
                    mz, "privateVisibilityConfig",
                    cJSON_Duplicate(gcp_jget(body, "privateVisibilityConfig"), 1));
        cJSON_AddItemToObject(mz, "cloudLoggingConfig", cJSON_CreateObject());
        cJSON_AddStringToObject(gcp_jget(mz, "cloudLoggingConfig"), "kind",
                                "dns#managedZoneCloudLoggingConfig");

        entry = cJSON_CreateObject();
        cJSON_AddStringToObject(entry, "project", project);
        cJSON_AddItemToObject(entry, "zone", mz);
        cJSON_AddArrayToObject(entry, "rrsets");
        cJSON_AddArrayToObject(entry, "changes");
        cJSON_AddNumberToObject(entry, "nextChange", 0);
        snprintf(soa, sizeof(soa),
                 "ns-cloud-%c1.googledomains.com. cloud-dns-hostmaster.google.com. 1 21600 3600 "
                 "259200 300",
                 letter);
        soa_data = cJSON_CreateArray();
        cJSON_AddItemToArray(soa_data, cJSON_CreateString(soa));
        adds = cJSON_CreateArray();
        cJSON_AddItemToArray(adds, make_rrset(dns, "NS", DNS_APEX_TTL, ns, NULL));
        cJSON_AddItemToArray(adds, make_rrset(dns, "SOA", DNS_APEX_TTL, soa_data, NULL));
        rrset_insert(entry, make_rrset(dns, "NS", DNS_APEX_TTL, ns, NULL));
        rrset_insert(entry, make_rrset(dns, "SOA", DNS_APEX_TTL, soa_data, NULL));
        if (!cJSON_IsObject(entry) || !cJSON_AddItemToArray(s->zones, entry)) {
                cJSON_Delete(entry);
                cJSON_Delete(adds);
                gcp_error_v1(resp, 500, "internalError", "out of memory");
                goto out;
        }
        /* change 0: the zone's bootstrap records, done at once */
        change_record(s, entry, adds, NULL, true);
        cc_mock_resp_json(resp, 200, mz);
out:
        cJSON_Delete(ns);
        cJSON_Delete(soa_data);
        cJSON_Delete(body);
}

static void
zone_list(struct gcp_dns *s, const char *project, const struct cc_mock_req *req,
          struct cc_mock_resp *resp)
{
        cJSON *out = NULL, *matches = cJSON_CreateArray();
        const cJSON *z;
        char dns[300];
        bool by_dns = gcp_query(req, "dnsName", dns, sizeof(dns)) && *dns;
        int offset, max;

        if (page_params(req, resp, &offset, &max))
                goto out;
        if (by_dns && dns[strlen(dns) - 1] != '.' && strlen(dns) + 2 < sizeof(dns))
                memcpy(dns + strlen(dns), ".", 2);
        cJSON_ArrayForEach(z, s->zones)
        {
                const cJSON *mz = gcp_jget(z, "zone");

                if (strcmp(gcp_jstr(z, "project"), project))
                        continue;
                if (by_dns && name_cmp(gcp_jstr(mz, "dnsName"), dns))
                        continue;
                cJSON_AddItemReferenceToArray(matches, (cJSON *)mz);
        }
        out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "kind", "dns#managedZonesListResponse");
        page_finish(out, "managedZones", matches, offset, max);
        cc_mock_resp_json(resp, 200, out);
out:
        cJSON_Delete(matches);
        cJSON_Delete(out);
}

static void
zone_patch(struct gcp_dns *s, cJSON *zone, const struct cc_mock_req *req, bool put,
           struct cc_mock_resp *resp)
{
        cJSON *body = gcp_parse_body(req, resp, false);
        cJSON *mz = gcp_jget(zone, "zone"), *old = NULL, *op = NULL;
        const cJSON *v;
        char id[32], ts[40];

        if (!body)
                return;
        old = cJSON_Duplicate(mz, 1);
        v = gcp_jget(body, "dnsName");
        if (v && (!cJSON_IsString(v) || name_cmp(v->valuestring, gcp_jstr(mz, "dnsName")))) {
                gcp_error_v1(resp, 400, "invalid",
                             "Invalid value for 'entity.managedZone.dnsName': '%s'",
                             cJSON_IsString(v) ? v->valuestring : "");
                goto out;
        }
        v = gcp_jget(body, "name");
        if (v && (!cJSON_IsString(v) || strcmp(v->valuestring, gcp_jstr(mz, "name")))) {
                gcp_error_v1(resp, 400, "invalid",
                             "Invalid value for 'entity.managedZone.name': '%s'",
                             cJSON_IsString(v) ? v->valuestring : "");
                goto out;
        }
        v = gcp_jget(body, "description");
        if (v && (!cJSON_IsString(v) || strlen(v->valuestring) > 1024)) {
                gcp_error_v1(resp, 400, "invalid",
                             "Invalid value for 'entity.managedZone.description'");
                goto out;
        }
        if (gcp_jget(body, "labels") && !cJSON_IsObject(gcp_jget(body, "labels"))) {
                gcp_error_v1(resp, 400, "invalid", "Invalid value for 'entity.managedZone.labels'");
                goto out;
        }
        if (v)
                gcp_jset(mz, "description", cJSON_CreateString(v->valuestring));
        else if (put)
                gcp_jset(mz, "description", cJSON_CreateString(""));
        if (gcp_jget(body, "labels"))
                gcp_jset(mz, "labels", cJSON_Duplicate(gcp_jget(body, "labels"), 1));
        else if (put)
                cJSON_DeleteItemFromObjectCaseSensitive(mz, "labels");
        gcp_changed(s->g);

        gcp_new_id(s->g, id, sizeof(id));
        gcp_time_dns(gcp_now_ms(), ts, sizeof(ts));
        op = cJSON_CreateObject();
        cJSON_AddStringToObject(op, "kind", "dns#operation");
        cJSON_AddStringToObject(op, "id", id);
        cJSON_AddStringToObject(op, "startTime", ts);
        cJSON_AddStringToObject(op, "status", "done");
        cJSON_AddStringToObject(op, "type", "UPDATE");
        cJSON_AddStringToObject(op, "user", "cloud-dns-system");
        cJSON_AddItemToObject(op, "zoneContext", cJSON_CreateObject());
        cJSON_AddItemToObject(gcp_jget(op, "zoneContext"), "oldValue", old);
        old = NULL;
        cJSON_AddItemToObject(gcp_jget(op, "zoneContext"), "newValue", cJSON_Duplicate(mz, 1));
        cc_mock_resp_json(resp, 200, op);
out:
        cJSON_Delete(op);
        cJSON_Delete(old);
        cJSON_Delete(body);
}

static void
zone_delete(struct gcp_dns *s, cJSON *zone, struct cc_mock_resp *resp)
{
        const char *dns = gcp_jstr(gcp_jget(zone, "zone"), "dnsName");
        const cJSON *rr;
        cJSON *z;
        int i = 0;

        cJSON_ArrayForEach(rr, gcp_jget(zone, "rrsets"))
        {
                if (!is_apex_locked(rr, dns)) {
                        gcp_error_v1(resp, 400, "containerNotEmpty",
                                     "The resource named '%s' cannot be deleted because it "
                                     "contains one or more 'resource records'.",
                                     gcp_jstr(gcp_jget(zone, "zone"), "name"));
                        return;
                }
        }
        cJSON_ArrayForEach(z, s->zones)
        {
                if (z == zone)
                        break;
                i++;
        }
        cJSON_DeleteItemFromArray(s->zones, i);
        gcp_changed(s->g);
        cc_mock_resp_text(resp, 204, "application/json; charset=UTF-8", "");
}

static void
rrset_list(struct gcp_dns *s, cJSON *zone, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        cJSON *out = NULL, *matches = cJSON_CreateArray();
        const cJSON *rr;
        char name[300], type[32];
        bool by_name = gcp_query(req, "name", name, sizeof(name)) && *name;
        bool by_type = gcp_query(req, "type", type, sizeof(type)) && *type;
        int offset, max;

        if (page_params(req, resp, &offset, &max))
                goto out;
        if (by_type && !by_name) {
                gcp_error_v1(resp, 400, "invalid",
                             "Invalid value for 'parameters.type': '%s'. It may only be used "
                             "together with 'parameters.name'.",
                             type);
                goto out;
        }
        cJSON_ArrayForEach(rr, gcp_jget(zone, "rrsets"))
        {
                if (by_name && name_cmp(gcp_jstr(rr, "name"), name))
                        continue;
                if (by_type && strcasecmp(gcp_jstr(rr, "type"), type))
                        continue;
                cJSON_AddItemReferenceToArray(matches, (cJSON *)rr);
        }
        out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "kind", "dns#resourceRecordSetsListResponse");
        page_finish(out, "rrsets", matches, offset, max);
        cc_mock_resp_json(resp, 200, out);
out:
        cJSON_Delete(matches);
        cJSON_Delete(out);
}

static void
rrset_create(struct gcp_dns *s, cJSON *zone, const struct cc_mock_req *req,
             struct cc_mock_resp *resp)
{
        cJSON *body = gcp_parse_body(req, resp, false);
        cJSON *adds = NULL;
        const char *zone_dns = gcp_jstr(gcp_jget(zone, "zone"), "dnsName");
        int ttl;

        if (!body)
                return;
        if (!rrset_check(body, zone_dns, "entity.rrset", true, &ttl, resp))
                goto out;
        if (rrset_find(zone, gcp_jstr(body, "name"), gcp_jstr(body, "type"), NULL)) {
                gcp_error_v1(resp, 409, "alreadyExists",
                             "The resource 'entity.rrset' named '%s (%s)' already exists",
                             gcp_jstr(body, "name"), gcp_jstr(body, "type"));
                goto out;
        }
        adds = cJSON_CreateArray();
        cJSON_AddItemReferenceToArray(adds, body);
        if (apply_change(s, zone, adds, NULL, "entity.change", resp))
                cc_mock_resp_json(
                    resp, 200,
                    rrset_find(zone, gcp_jstr(body, "name"), gcp_jstr(body, "type"), NULL));
out:
        cJSON_Delete(adds);
        cJSON_Delete(body);
}

static void
rrset_one(struct gcp_dns *s, cJSON *zone, const char *name, const char *type,
          const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        cJSON *cur = rrset_find(zone, name, type, NULL);
        cJSON *body = NULL, *adds = NULL, *dels = NULL, *n = NULL;
        const char *zone_dns = gcp_jstr(gcp_jget(zone, "zone"), "dnsName");
        int ttl;

        if (!cur) {
                gcp_error_v1(resp, 404, "notFound",
                             "The 'parameters.name' resource named '%s (%s)' does not exist.", name,
                             type);
                return;
        }
        if (!strcmp(req->method, "GET")) {
                cc_mock_resp_json(resp, 200, cur);
                return;
        }
        dels = cJSON_CreateArray();
        cJSON_AddItemToArray(dels, cJSON_Duplicate(cur, 1));
        if (!strcmp(req->method, "DELETE")) {
                if (is_apex_locked(cur, zone_dns)) {
                        gcp_error_v1(resp, 400, "invalid",
                                     "The resource 'entity.change.deletions[0]' named '%s (%s)' "
                                     "cannot be deleted",
                                     name, type);
                        goto out;
                }
                if (apply_change(s, zone, NULL, dels, "entity.change", resp)) {
                        cJSON *o = cJSON_CreateObject();

                        cc_mock_resp_json(resp, 200, o);
                        cJSON_Delete(o);
                }
                goto out;
        }
        if (strcmp(req->method, "PATCH")) {
                gcp_error_v1(resp, 405, "httpMethodNotAllowed", "HTTP method %s is not supported",
                             req->method);
                goto out;
        }
        body = gcp_parse_body(req, resp, false);
        if (!body)
                goto out;
        if ((gcp_jget(body, "name") &&
             (!gcp_jstr(body, "name") || name_cmp(gcp_jstr(body, "name"), name))) ||
            (gcp_jget(body, "type") &&
             (!gcp_jstr(body, "type") || strcmp(gcp_jstr(body, "type"), type)))) {
                gcp_error_v1(resp, 400, "invalid", "Invalid value for 'entity.rrset.name': '%s'",
                             gcp_jstr(body, "name") ? gcp_jstr(body, "name") : "");
                goto out;
        }
        /* the patched record set: the body's fields over the current ones */
        n = cJSON_Duplicate(cur, 1);
        if (gcp_jget(body, "ttl"))
                gcp_jset(n, "ttl", cJSON_Duplicate(gcp_jget(body, "ttl"), 1));
        if (gcp_jget(body, "rrdatas")) {
                gcp_jset(n, "rrdatas", cJSON_Duplicate(gcp_jget(body, "rrdatas"), 1));
                cJSON_DeleteItemFromObjectCaseSensitive(n, "routingPolicy");
        }
        if (gcp_jget(body, "routingPolicy")) {
                gcp_jset(n, "routingPolicy", cJSON_Duplicate(gcp_jget(body, "routingPolicy"), 1));
                cJSON_DeleteItemFromObjectCaseSensitive(n, "rrdatas");
        }
        if (!rrset_check(n, zone_dns, "entity.rrset", true, &ttl, resp))
                goto out;
        adds = cJSON_CreateArray();
        cJSON_AddItemToArray(adds, n);
        n = NULL;
        if (apply_change(s, zone, adds, dels, "entity.change", resp))
                cc_mock_resp_json(resp, 200, rrset_find(zone, name, type, NULL));
out:
        cJSON_Delete(n);
        cJSON_Delete(adds);
        cJSON_Delete(dels);
        cJSON_Delete(body);
}

static void
change_create(struct gcp_dns *s, cJSON *zone, const struct cc_mock_req *req,
              struct cc_mock_resp *resp)
{
        cJSON *body = gcp_parse_body(req, resp, false);
        cJSON *entry;

        if (!body)
                return;
        entry = apply_change(s, zone, gcp_jget(body, "additions"), gcp_jget(body, "deletions"),
                             "entity.change", resp);
        if (entry)
                cc_mock_resp_json(resp, 200, gcp_jget(entry, "change"));
        cJSON_Delete(body);
}

static void
change_list(struct gcp_dns *s, cJSON *zone, const struct cc_mock_req *req,
            struct cc_mock_resp *resp)
{
        cJSON *out = NULL, *matches = cJSON_CreateArray();
        cJSON *e;
        char order[32];
        bool desc =
            gcp_query(req, "sortOrder", order, sizeof(order)) && !strcmp(order, "descending");
        int offset, max;

        if (page_params(req, resp, &offset, &max))
                goto out;
        cJSON_ArrayForEach(e, gcp_jget(zone, "changes"))
        {
                change_refresh(s, e);
                if (desc)
                        gcp_arr_insert(matches, 0,
                                       cJSON_CreateObjectReference(gcp_jget(e, "change")->child));
                else
                        cJSON_AddItemReferenceToArray(matches, gcp_jget(e, "change"));
        }
        out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "kind", "dns#changesListResponse");
        page_finish(out, "changes", matches, offset, max);
        cc_mock_resp_json(resp, 200, out);
out:
        cJSON_Delete(matches);
        cJSON_Delete(out);
}

static void
change_get(struct gcp_dns *s, cJSON *zone, const char *id, struct cc_mock_resp *resp)
{
        cJSON *e;

        cJSON_ArrayForEach(e, gcp_jget(zone, "changes"))
        {
                if (!strcmp(gcp_jstr(gcp_jget(e, "change"), "id"), id)) {
                        change_refresh(s, e);
                        cc_mock_resp_json(resp, 200, gcp_jget(e, "change"));
                        return;
                }
        }
        gcp_error_v1(resp, 404, "notFound",
                     "The 'parameters.changeId' resource named '%s' does not exist.", id);
}

static void
not_allowed(const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        gcp_error_v1(resp, 405, "httpMethodNotAllowed", "HTTP method %s is not supported",
                     req->method);
}

static void
dns_handle(struct gcp *g, void *state, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        struct gcp_dns *s = state;
        char buf[2048];
        char *seg[12];
        const char *m = req->method;
        cJSON *zone;
        int n;

        resp->api = "dns";
        if (!strncmp(req->path, "/_mock/", 7)) {
                gcp_error_v1(resp, 404, "notFound", "no admin endpoint %s", req->path);
                return;
        }
        n = gcp_path_split(req->path, buf, sizeof(buf), seg, 12);
        /* dns v1 projects P managedZones [Z [rrsets|changes [..]]] */
        if (n < 5 || strcmp(seg[0], "dns") || strcmp(seg[1], "v1") || strcmp(seg[2], "projects") ||
            strcmp(seg[4], "managedZones")) {
                gcp_error_v1(resp, 404, "notFound",
                             "The requested URL %s was not found on this server", req->path);
                return;
        }
        if (n == 5) {
                if (!strcmp(m, "POST"))
                        zone_create(s, seg[3], req, resp);
                else if (!strcmp(m, "GET"))
                        zone_list(s, seg[3], req, resp);
                else
                        not_allowed(req, resp);
                return;
        }
        zone = zone_find(s, seg[3], seg[5]);
        if (!zone) {
                gcp_error_v1(resp, 404, "notFound",
                             "The 'parameters.managedZone' resource named '%s' does not exist.",
                             seg[5]);
                return;
        }
        if (n == 6) {
                if (!strcmp(m, "GET"))
                        cc_mock_resp_json(resp, 200, gcp_jget(zone, "zone"));
                else if (!strcmp(m, "PATCH") || !strcmp(m, "PUT"))
                        zone_patch(s, zone, req, !strcmp(m, "PUT"), resp);
                else if (!strcmp(m, "DELETE"))
                        zone_delete(s, zone, resp);
                else
                        not_allowed(req, resp);
                return;
        }
        if (!strcmp(seg[6], "rrsets")) {
                if (n == 7 && !strcmp(m, "GET"))
                        rrset_list(s, zone, req, resp);
                else if (n == 7 && !strcmp(m, "POST"))
                        rrset_create(s, zone, req, resp);
                else if (n == 9)
                        rrset_one(s, zone, seg[7], seg[8], req, resp);
                else if (n == 7)
                        not_allowed(req, resp);
                else
                        gcp_error_v1(resp, 404, "notFound",
                                     "The requested URL %s was not found on this server",
                                     req->path);
                return;
        }
        if (!strcmp(seg[6], "changes")) {
                if (n == 7 && !strcmp(m, "POST"))
                        change_create(s, zone, req, resp);
                else if (n == 7 && !strcmp(m, "GET"))
                        change_list(s, zone, req, resp);
                else if (n == 8 && !strcmp(m, "GET"))
                        change_get(s, zone, seg[7], resp);
                else if (n <= 8)
                        not_allowed(req, resp);
                else
                        gcp_error_v1(resp, 404, "notFound",
                                     "The requested URL %s was not found on this server",
                                     req->path);
                return;
        }
        gcp_error_v1(resp, 404, "notFound", "The requested URL %s was not found on this server",
                     req->path);
}

/* --- hook, lifecycle, persistence ---------------------------------------- */

static bool
dns_has_record(struct gcp *g, const char *project, const char *name, const char *type,
               const char *rrdata)
{
        struct gcp_dns *s = g->dns;
        const cJSON *z;

        if (!s)
                return false;
        cJSON_ArrayForEach(z, s->zones)
        {
                const cJSON *rr, *d;

                if (strcmp(gcp_jstr(z, "project"), project))
                        continue;
                rr = rrset_find((cJSON *)z, name, type, NULL);
                if (!rr)
                        continue;
                if (!rrdata)
                        return true;
                cJSON_ArrayForEach(d, gcp_jget(rr, "rrdatas"))
                {
                        if (cJSON_IsString(d) && !strcasecmp(d->valuestring, rrdata))
                                return true;
                }
        }
        return false;
}

static cJSON *
empty_root(void)
{
        cJSON *root = cJSON_CreateObject();

        if (root && !cJSON_AddArrayToObject(root, "zones")) {
                cJSON_Delete(root);
                root = NULL;
        }
        return root;
}

static cc_err
dns_create(struct gcp *g, void **state, struct cc_diag *d)
{
        struct gcp_dns *s = cc_calloc(1, sizeof(*s));

        if (!s || !(s->root = empty_root())) {
                cc_free(s);
                return cc_diag_set(d, CC_NOMEM, 0, "cannot create the dns module: out of memory");
        }
        s->g = g;
        s->zones = gcp_jget(s->root, "zones");
        g->dns = s;
        g->hooks.dns_has_record = dns_has_record;
        *state = s;
        return CC_OK;
}

static void
dns_release(void *state)
{
        struct gcp_dns *s = state;

        if (!s)
                return;
        if (s->g && s->g->dns == s) {
                s->g->dns = NULL;
                s->g->hooks.dns_has_record = NULL;
        }
        cJSON_Delete(s->root);
        cc_free(s);
}

static void
dns_reset(void *state)
{
        struct gcp_dns *s = state;
        cJSON *root = empty_root();

        if (!root)
                return;
        cJSON_Delete(s->root);
        s->root = root;
        s->zones = gcp_jget(root, "zones");
}

static cJSON *
dns_dump(const void *state)
{
        const struct gcp_dns *s = state;

        return cJSON_Duplicate(s->root, 1);
}

/* the saved tree must have the shape dns_handle relies on */
static bool
zone_entry_ok(const cJSON *z)
{
        const cJSON *mz = gcp_jget(z, "zone"), *e;

        if (!gcp_jstr(z, "project") || !cJSON_IsObject(mz) || !gcp_jstr(mz, "name") ||
            !gcp_jstr(mz, "dnsName") || !gcp_jstr(mz, "id") ||
            !cJSON_IsArray(gcp_jget(z, "rrsets")) || !cJSON_IsArray(gcp_jget(z, "changes")) ||
            !cJSON_IsNumber(gcp_jget(z, "nextChange")))
                return false;
        cJSON_ArrayForEach(e, gcp_jget(z, "rrsets"))
        {
                if (!gcp_jstr(e, "name") || !gcp_jstr(e, "type") ||
                    !cJSON_IsNumber(gcp_jget(e, "ttl")))
                        return false;
        }
        cJSON_ArrayForEach(e, gcp_jget(z, "changes"))
        {
                if (!gcp_jstr(gcp_jget(e, "change"), "id") ||
                    !gcp_jstr(gcp_jget(e, "change"), "status"))
                        return false;
        }
        return true;
}

static cc_err
dns_load(void *state, const cJSON *saved)
{
        struct gcp_dns *s = state;
        const cJSON *z;
        cJSON *root;

        if (!cJSON_IsArray(gcp_jget(saved, "zones")))
                return CC_INVAL;
        cJSON_ArrayForEach(z, gcp_jget(saved, "zones"))
        {
                if (!zone_entry_ok(z))
                        return CC_INVAL;
        }
        root = cJSON_Duplicate(saved, 1);
        if (!root)
                return CC_NOMEM;
        cJSON_Delete(s->root);
        s->root = root;
        s->zones = gcp_jget(root, "zones");
        return CC_OK;
}

static const char *const dns_prefixes[] = { "/dns/v1/", NULL };

const struct gcp_module gcp_module_dns = {
        .name = "dns",
        .prefixes = dns_prefixes,
        .rpc_errors = false,
        .public_paths = false,
        .create = dns_create,
        .release = dns_release,
        .reset = dns_reset,
        .handle = dns_handle,
        .dump = dns_dump,
        .load = dns_load,
};
