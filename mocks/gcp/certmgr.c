/* certmgr.c -- mock-gcp: Certificate Manager v1 (DNS authorizations,
 * certificates, certificate maps and entries, long-running operations).
 *
 * DESIGN
 * ------
 * State is one cJSON tree: one array per collection, each element a
 * wrapper {"r": resource as served, "ms": createMs, ...} (certificates add
 * "readyMs" and "force"), plus "operations" ({"r": op, "doneMs", "response"
 * | "error"}) and "opErrors" (admin rules that make the next matching
 * operation fail).
 *
 * Mutations are validated and applied when the request arrives (conflicts
 * are synchronous, as in the real API: ALREADY_EXISTS on create,
 * FAILED_PRECONDITION on an in-use delete); the returned operation then
 * reports done after cfg.op_latency_ms (at once when 0).  An operation made
 * to fail by an admin rule applies nothing.
 *
 * A managed certificate is a small state machine evaluated whenever it is
 * read: PROVISIONING until every domain's authorization record exists in
 * this mock's Cloud DNS (the `_acme-challenge` CNAME of its
 * DnsAuthorization; for a certificate without DNS authorizations, an A or
 * AAAA record of the domain, standing in for load-balancer authorization)
 * and cfg.cert_latency_ms has passed since that was first seen; FAILED with
 * provisioningIssue and per-domain authorizationAttemptInfo when the
 * records are still missing cfg.cert_timeout_ms after creation.  ACTIVE and
 * FAILED are final (the real service needs a new certificate after FAILED).
 */
#include <ctype.h>
#include <fnmatch.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/alloc.h"
#include "mocks/gcp/gcp.h"
#include "core/banned.h"

#define CM_TYPE_PREFIX "type.googleapis.com/google.cloud.certificatemanager.v1."
#define CM_MAX_CERTS   4
#define CM_PAGE_MAX    1000

enum coll { C_AUTH, C_CERT, C_MAP, C_ENTRY, C_COUNT };

static const struct {
        const char *name;     /* collection segment and state key */
        const char *id_param; /* create query parameter */
        const char *id_snake;
        const char *type; /* message type in @type */
} colls[C_COUNT] = {
        { "dnsAuthorizations", "dnsAuthorizationId", "dns_authorization_id", "DnsAuthorization" },
        { "certificates", "certificateId", "certificate_id", "Certificate" },
        { "certificateMaps", "certificateMapId", "certificate_map_id", "CertificateMap" },
        { "certificateMapEntries", "certificateMapEntryId", "certificate_map_entry_id",
          "CertificateMapEntry" },
};

struct gcp_certmgr {
        struct gcp *g;
        cJSON *root;
};

/* --- helpers ------------------------------------------------------------- */

static cJSON *
coll_arr(const struct gcp_certmgr *s, enum coll c)
{
        return gcp_jget(s->root, colls[c].name);
}

static void
now_str(int64_t ms, char *out, size_t n)
{
        gcp_time_certmgr(ms, out, n);
}

static void
random_hex(char *out, size_t nbytes)
{
        unsigned char b[32];
        size_t i;

        if (nbytes > sizeof(b))
                nbytes = sizeof(b);
        if (RAND_bytes(b, (int)nbytes) != 1)
                memset(b, 0x42, nbytes);
        for (i = 0; i < nbytes; i++)
                snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* "projects/P/locations/L/..." -> P (and L) */
static bool
name_parts(const char *name, char *project, size_t pn, char *location, size_t ln)
{
        const char *p, *e, *l, *le;

        if (strncmp(name, "projects/", 9))
                return false;
        p = name + 9;
        e = strchr(p, '/');
        if (!e || strncmp(e, "/locations/", 11))
                return false;
        l = e + 11;
        le = strchr(l, '/');
        snprintf(project, pn, "%.*s", (int)(e - p), p);
        if (location)
                snprintf(location, ln, "%.*s", (int)(le ? (size_t)(le - l) : strlen(l)), l);
        return true;
}

static bool
valid_id(const char *id)
{
        size_t i, n = strlen(id);

        if (!n || n > 63 || !islower((unsigned char)id[0]) || id[n - 1] == '-')
                return false;
        for (i = 0; i < n; i++)
                if (!islower((unsigned char)id[i]) && !isdigit((unsigned char)id[i]) &&
                    id[i] != '-' && id[i] != '_')
                        return false;
        return true;
}

static bool
valid_location(const char *l)
{
        size_t i;

        if (!*l || strlen(l) > 40)
                return false;
        for (i = 0; l[i]; i++)
                if (!islower((unsigned char)l[i]) && !isdigit((unsigned char)l[i]) && l[i] != '-')
                        return false;
        return true;
}

/* a hostname without trailing dot; with wildcard, "*." may lead */
static bool
valid_host(const char *h, bool wildcard)
{
        size_t label = 0, i, n;

        if (wildcard && !strncmp(h, "*.", 2))
                h += 2;
        n = strlen(h);
        if (!n || n > 253 || h[n - 1] == '.' || !strchr(h, '.'))
                return false;
        for (i = 0; i < n; i++) {
                if (h[i] == '.') {
                        if (!label || h[i - 1] == '-')
                                return false;
                        label = 0;
                        continue;
                }
                if (!isalnum((unsigned char)h[i]) && h[i] != '-')
                        return false;
                if (!label && h[i] == '-')
                        return false;
                if (++label > 63)
                        return false;
        }
        return true;
}

static bool
labels_ok(const cJSON *labels)
{
        const cJSON *l;

        if (!labels)
                return true;
        if (!cJSON_IsObject(labels))
                return false;
        cJSON_ArrayForEach(l, labels)
        {
                if (!cJSON_IsString(l) || !l->string || strlen(l->string) > 63 ||
                    strlen(l->valuestring) > 63)
                        return false;
        }
        return true;
}

static cJSON *
wrapper_find(const struct gcp_certmgr *s, enum coll c, const char *name)
{
        cJSON *w;

        cJSON_ArrayForEach(w, coll_arr(s, c))
        {
                if (!strcmp(gcp_jstr(gcp_jget(w, "r"), "name"), name))
                        return w;
        }
        return NULL;
}

static void
wrapper_remove(struct gcp_certmgr *s, enum coll c, const cJSON *victim)
{
        cJSON *w;
        int i = 0;

        cJSON_ArrayForEach(w, coll_arr(s, c))
        {
                if (w == victim) {
                        cJSON_DeleteItemFromArray(coll_arr(s, c), i);
                        return;
                }
                i++;
        }
}

/* --- certificates: the provisioning state machine ------------------------ */

/* a self-signed certificate for the domains, so that pemCertificate parses */
static char *
make_pem(const cJSON *domains, int64_t expire_ms)
{
        EVP_PKEY *key = EVP_EC_gen("P-256");
        X509 *x = X509_new();
        X509_EXTENSION *ext = NULL;
        BIO *bio = BIO_new(BIO_s_mem());
        struct cc_buf san = CC_BUF_INIT(64 << 10);
        const cJSON *d;
        char *pem = NULL, *data;
        long len;

        if (!key || !x || !bio)
                goto out;
        cJSON_ArrayForEach(d, domains)
        {
                if (cJSON_IsString(d))
                        cc_buf_printf(&san, "%sDNS:%s", san.len ? "," : "", d->valuestring);
        }
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(expire_ms / 1000) & 0x7fffffff);
        X509_gmtime_adj(X509_getm_notBefore(x), 0);
        X509_time_adj_ex(X509_getm_notAfter(x), 0, (long)((expire_ms - gcp_now_ms()) / 1000), NULL);
        X509_set_pubkey(x, key);
        X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                                   (const unsigned char *)"mock-gcp managed certificate", -1, -1,
                                   0);
        X509_NAME_add_entry_by_txt(X509_get_issuer_name(x), "CN", MBSTRING_ASC,
                                   (const unsigned char *)"mock-gcp CA", -1, -1, 0);
        if (san.len) {
                ext =
                    X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, (char *)cc_buf_str(&san));
                if (ext)
                        X509_add_ext(x, ext, -1);
        }
        if (!X509_sign(x, key, EVP_sha256()) || !PEM_write_bio_X509(bio, x))
                goto out;
        len = BIO_get_mem_data(bio, &data);
        if (len > 0)
                pem = cc_strndup(data, (size_t)len);
out:
        X509_EXTENSION_free(ext);
        BIO_free(bio);
        X509_free(x);
        EVP_PKEY_free(key);
        cc_buf_release(&san);
        return pem;
}

/* the authorization (wrapper) covering domain among the certificate's */
static cJSON *
cert_auth_for(const struct gcp_certmgr *s, const cJSON *auths, const char *domain)
{
        const char *base = !strncmp(domain, "*.", 2) ? domain + 2 : domain;
        const cJSON *a;

        cJSON_ArrayForEach(a, auths)
        {
                cJSON *w = cJSON_IsString(a) ? wrapper_find(s, C_AUTH, a->valuestring) : NULL;

                if (w && !strcasecmp(gcp_jstr(gcp_jget(w, "r"), "domain"), base))
                        return w;
        }
        return NULL;
}

/* is the domain's authorization visible in the mock's DNS?  Fills what
 * with what was looked for (for FAILED details) */
static bool
domain_ready(const struct gcp_certmgr *s, const char *project, const cJSON *managed,
             const char *domain, char *what, size_t n)
{
        struct gcp *g = s->g;
        const cJSON *auths = gcp_jget(managed, "dnsAuthorizations");
        char fqdn[300];

        if (cJSON_GetArraySize(auths) > 0) {
                const cJSON *w = cert_auth_for(s, auths, domain);
                const cJSON *rec = w ? gcp_jget(gcp_jget(w, "r"), "dnsResourceRecord") : NULL;

                if (!rec) {
                        snprintf(what, n, "no DNS authorization covers the domain");
                        return false;
                }
                snprintf(what, n, "CNAME record '%s' with data '%s' was not found",
                         gcp_jstr(rec, "name"), gcp_jstr(rec, "data"));
                return g->hooks.dns_has_record &&
                       g->hooks.dns_has_record(g, project, gcp_jstr(rec, "name"), "CNAME",
                                               gcp_jstr(rec, "data"));
        }
        snprintf(fqdn, sizeof(fqdn), "%s.", domain);
        snprintf(what, n, "no A or AAAA record for '%s' points at a load balancer", domain);
        return g->hooks.dns_has_record && (g->hooks.dns_has_record(g, project, fqdn, "A", NULL) ||
                                           g->hooks.dns_has_record(g, project, fqdn, "AAAA", NULL));
}

/* set managed.state and the per-domain attempts; final: ACTIVE or FAILED */
static void
cert_set_state(struct gcp_certmgr *s, cJSON *w, const char *state, bool all_failed)
{
        cJSON *r = gcp_jget(w, "r"), *managed = gcp_jget(r, "managed");
        cJSON *attempts = cJSON_CreateArray();
        const cJSON *d;
        char project[64] = "", ts[48], what[512];
        int64_t now = gcp_now_ms();
        bool changed =
            strcmp(gcp_jstr(managed, "state") ? gcp_jstr(managed, "state") : "", state) != 0;

        name_parts(gcp_jstr(r, "name"), project, sizeof(project), NULL, 0);
        cJSON_ArrayForEach(d, gcp_jget(managed, "domains"))
        {
                cJSON *a = cJSON_CreateObject();
                bool ok = !all_failed &&
                          (!strcmp(state, "ACTIVE") ||
                           domain_ready(s, project, managed, d->valuestring, what, sizeof(what)));

                if (all_failed)
                        snprintf(what, sizeof(what), "the authorization attempt failed");
                cJSON_AddStringToObject(a, "domain", d->valuestring);
                if (ok) {
                        cJSON_AddStringToObject(a, "state", "AUTHORIZED");
                } else if (!strcmp(state, "FAILED")) {
                        cJSON_AddStringToObject(a, "state", "FAILED");
                        cJSON_AddStringToObject(a, "failureReason", "CONFIG");
                        cJSON_AddStringToObject(a, "details", what);
                } else {
                        cJSON_AddStringToObject(a, "state", "AUTHORIZING");
                }
                cJSON_AddItemToArray(attempts, a);
        }
        gcp_jset(managed, "authorizationAttemptInfo", attempts);
        gcp_jset(managed, "state", cJSON_CreateString(state));
        if (!strcmp(state, "FAILED")) {
                cJSON *issue = cJSON_CreateObject();

                cJSON_AddStringToObject(issue, "reason", "AUTHORIZATION_ISSUE");
                cJSON_AddStringToObject(issue, "details",
                                        "Authorization attempt failed for one or more domains; "
                                        "see authorizationAttemptInfo");
                gcp_jset(managed, "provisioningIssue", issue);
        } else {
                cJSON_DeleteItemFromObjectCaseSensitive(managed, "provisioningIssue");
        }
        if (!strcmp(state, "ACTIVE") && changed) {
                int64_t expire = now + 90LL * 86400 * 1000;
                char *pem = make_pem(gcp_jget(managed, "domains"), expire);

                if (pem)
                        gcp_jset(r, "pemCertificate", cJSON_CreateString(pem));
                cc_free(pem);
                now_str(expire, ts, sizeof(ts));
                gcp_jset(r, "expireTime", cJSON_CreateString(ts));
        }
        if (changed) {
                now_str(now, ts, sizeof(ts));
                gcp_jset(r, "updateTime", cJSON_CreateString(ts));
        }
        gcp_changed(s->g);
}

static void
cert_eval(struct gcp_certmgr *s, cJSON *w)
{
        cJSON *r = gcp_jget(w, "r"), *managed = gcp_jget(r, "managed");
        const char *state = gcp_jstr(managed, "state"), *force = gcp_jstr(w, "force");
        const cJSON *d, *ms = gcp_jget(w, "ms"), *ready = gcp_jget(w, "readyMs");
        char project[64] = "", what[512];
        int64_t now = gcp_now_ms();
        bool all = true;

        if (!managed || !state || strcmp(state, "PROVISIONING"))
                return;
        if (force) {
                cert_set_state(s, w, !strcmp(force, "ACTIVE") ? "ACTIVE" : "FAILED",
                               strcmp(force, "ACTIVE") != 0);
                cJSON_DeleteItemFromObjectCaseSensitive(w, "force");
                return;
        }
        name_parts(gcp_jstr(r, "name"), project, sizeof(project), NULL, 0);
        cJSON_ArrayForEach(d, gcp_jget(managed, "domains"))
        {
                if (!domain_ready(s, project, managed, d->valuestring, what, sizeof(what)))
                        all = false;
        }
        if (all) {
                if (!cJSON_IsNumber(ready)) {
                        gcp_jset(w, "readyMs", cJSON_CreateNumber((double)now));
                        ready = gcp_jget(w, "readyMs");
                        gcp_changed(s->g);
                }
                if (now - (int64_t)ready->valuedouble >= s->g->cfg.cert_latency_ms) {
                        cert_set_state(s, w, "ACTIVE", false);
                        return;
                }
        } else if (ready) {
                cJSON_DeleteItemFromObjectCaseSensitive(w, "readyMs");
                gcp_changed(s->g);
        }
        if (!all && cJSON_IsNumber(ms) &&
            now - (int64_t)ms->valuedouble >= s->g->cfg.cert_timeout_ms) {
                cert_set_state(s, w, "FAILED", false);
                return;
        }
        /* still provisioning: refresh the per-domain attempts */
        {
                cJSON *before = cJSON_Duplicate(gcp_jget(managed, "authorizationAttemptInfo"), 1);
                unsigned long seq = s->g->change_seq;

                cert_set_state(s, w, "PROVISIONING", false);
                if (cJSON_Compare(before, gcp_jget(managed, "authorizationAttemptInfo"), 1))
                        s->g->change_seq = seq; /* nothing new to save */
                cJSON_Delete(before);
        }
}

/* --- rendering ----------------------------------------------------------- */

/* the resource as served: evaluated, plus computed usedBy */
static cJSON *
render(struct gcp_certmgr *s, enum coll c, cJSON *w)
{
        cJSON *out;

        if (c == C_CERT)
                cert_eval(s, w);
        out = cJSON_Duplicate(gcp_jget(w, "r"), 1);
        if (out && c == C_CERT) {
                const char *name = gcp_jstr(out, "name");
                cJSON *used = cJSON_CreateArray();
                const cJSON *e, *cert;

                cJSON_ArrayForEach(e, coll_arr(s, C_ENTRY))
                {
                        cJSON_ArrayForEach(cert, gcp_jget(gcp_jget(e, "r"), "certificates"))
                        {
                                if (cJSON_IsString(cert) && !strcmp(cert->valuestring, name)) {
                                        cJSON *u = cJSON_CreateObject();

                                        cJSON_AddStringToObject(u, "name",
                                                                gcp_jstr(gcp_jget(e, "r"), "name"));
                                        cJSON_AddItemToArray(used, u);
                                }
                        }
                }
                if (cJSON_GetArraySize(used))
                        cJSON_AddItemToObject(out, "usedBy", used);
                else
                        cJSON_Delete(used);
        }
        return out;
}

/* body with "@type" first, as proto JSON prints it (body is consumed) */
static cJSON *
typed(const char *type, cJSON *body)
{
        cJSON *out = cJSON_CreateObject();
        char t[160];

        snprintf(t, sizeof(t), "%s%s", CM_TYPE_PREFIX, type);
        cJSON_AddStringToObject(out, "@type", t);
        while (body && body->child) {
                cJSON *item = body->child;
                char *key = item->string;

                item = cJSON_DetachItemViaPointer(body, item);
                cJSON_AddItemToObject(out, key, item);
        }
        cJSON_Delete(body);
        return out;
}

/* --- operations ---------------------------------------------------------- */

static cJSON *
op_render(struct gcp_certmgr *s, cJSON *w)
{
        cJSON *out = cJSON_Duplicate(gcp_jget(w, "r"), 1);
        const cJSON *dm = gcp_jget(w, "doneMs");
        char ts[48];

        if (!out || !cJSON_IsNumber(dm) || gcp_now_ms() < (int64_t)dm->valuedouble)
                return out;
        now_str((int64_t)dm->valuedouble, ts, sizeof(ts));
        cJSON_AddStringToObject(gcp_jget(out, "metadata"), "endTime", ts);
        cJSON_AddBoolToObject(out, "done", true);
        if (gcp_jget(w, "error"))
                cJSON_AddItemToObject(out, "error", cJSON_Duplicate(gcp_jget(w, "error"), 1));
        else if (gcp_jget(w, "response"))
                cJSON_AddItemToObject(out, "response", cJSON_Duplicate(gcp_jget(w, "response"), 1));
        return out;
}

/* the first admin rule matching (verb, target), removed; NULL when none */
static cJSON *
op_error_take(struct gcp_certmgr *s, const char *verb, const char *target)
{
        cJSON *rules = gcp_jget(s->root, "opErrors"), *r;
        int i = 0;

        cJSON_ArrayForEach(r, rules)
        {
                const char *v = gcp_jstr(r, "verb"), *t = gcp_jstr(r, "target");

                if ((!v || !strcmp(v, verb)) && (!t || !fnmatch(t, target, 0)))
                        return cJSON_DetachItemFromArray(rules, i);
                i++;
        }
        return NULL;
}

/* Record an operation and answer the request with it.  response is
 * consumed; err (a taken rule) is consumed. */
static void
op_respond(struct gcp_certmgr *s, const char *project, const char *location, const char *verb,
           const char *target, cJSON *response, cJSON *err, struct cc_mock_resp *resp)
{
        cJSON *w = cJSON_CreateObject(), *op = cJSON_CreateObject(), *md, *out;
        int64_t now = gcp_now_ms();
        char name[512], hex[20], ts[48];

        random_hex(hex, 8);
        snprintf(name, sizeof(name), "projects/%s/locations/%s/operations/operation-%lld-%s",
                 project, location, (long long)now, hex);
        now_str(now, ts, sizeof(ts));
        cJSON_AddStringToObject(op, "name", name);
        md = typed("OperationMetadata", NULL);
        cJSON_AddStringToObject(md, "createTime", ts);
        cJSON_AddStringToObject(md, "target", target);
        cJSON_AddStringToObject(md, "verb", verb);
        cJSON_AddBoolToObject(md, "requestedCancellation", false);
        cJSON_AddStringToObject(md, "apiVersion", "v1");
        cJSON_AddItemToObject(op, "metadata", md);
        cJSON_AddItemToObject(w, "r", op);
        cJSON_AddNumberToObject(w, "doneMs", (double)(now + s->g->cfg.op_latency_ms));
        if (err) {
                cJSON *e = cJSON_CreateObject();
                const cJSON *code = gcp_jget(err, "code");

                cJSON_AddNumberToObject(e, "code", cJSON_IsNumber(code) ? code->valueint : 13);
                cJSON_AddStringToObject(e, "message",
                                        gcp_jstr(err, "message") ? gcp_jstr(err, "message")
                                                                 : "internal error");
                cJSON_AddArrayToObject(e, "details");
                cJSON_AddItemToObject(w, "error", e);
                cJSON_Delete(response);
        } else {
                cJSON_AddItemToObject(w, "response", response);
        }
        cJSON_Delete(err);
        cJSON_AddItemToArray(gcp_jget(s->root, "operations"), w);
        gcp_changed(s->g);
        out = op_render(s, w);
        cc_mock_resp_json(resp, 200, out);
        cJSON_Delete(out);
}

/* --- validation and construction ----------------------------------------- */

static void
bad(struct cc_mock_resp *resp, const char *msg, const char *what)
{
        gcp_error_rpc(resp, 400, "INVALID_ARGUMENT", "%s%s%s%s", msg, what ? " '" : "",
                      what ? what : "", what ? "'" : "");
}

static bool
common_fields(const cJSON *body, cJSON *r, struct cc_mock_resp *resp)
{
        const cJSON *desc = gcp_jget(body, "description"), *labels = gcp_jget(body, "labels");

        if (desc && (!cJSON_IsString(desc) || strlen(desc->valuestring) > 2048)) {
                bad(resp, "invalid description", NULL);
                return false;
        }
        if (!labels_ok(labels)) {
                bad(resp, "invalid labels", NULL);
                return false;
        }
        if (desc && *desc->valuestring)
                cJSON_AddStringToObject(r, "description", desc->valuestring);
        if (labels && cJSON_GetArraySize(labels))
                cJSON_AddItemToObject(r, "labels", cJSON_Duplicate(labels, 1));
        return true;
}

static bool
build_auth(struct gcp_certmgr *s, const cJSON *body, const char *location, cJSON *r,
           struct cc_mock_resp *resp)
{
        const char *domain = gcp_jstr(body, "domain"), *type = gcp_jstr(body, "type");
        cJSON *rec;
        char uuid[48], hex[40], name[320], data[320];

        if (!domain) {
                bad(resp, "domain is required", NULL);
                return false;
        }
        if (!valid_host(domain, false)) {
                bad(resp, "invalid domain", domain);
                return false;
        }
        if ((gcp_jget(body, "type") && !type) ||
            (type && strcmp(type, "FIXED_RECORD") && strcmp(type, "PER_PROJECT_RECORD"))) {
                bad(resp, "invalid type", type);
                return false;
        }
        if (!type)
                type = strcmp(location, "global") ? "PER_PROJECT_RECORD" : "FIXED_RECORD";
        if (!strcmp(type, "FIXED_RECORD") && strcmp(location, "global")) {
                bad(resp, "FIXED_RECORD DNS authorizations are only supported in location",
                    "global");
                return false;
        }
        cJSON_AddStringToObject(r, "domain", domain);
        cJSON_AddStringToObject(r, "type", type);
        random_hex(hex, 16);
        snprintf(uuid, sizeof(uuid), "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
                 hex + 20);
        if (!strcmp(type, "FIXED_RECORD"))
                snprintf(name, sizeof(name), "_acme-challenge.%s.", domain);
        else
                snprintf(name, sizeof(name), "_acme-challenge_%.16s.%s.", hex + 16, domain);
        if (!strcmp(location, "global"))
                snprintf(data, sizeof(data), "%s.%d.authorize.certificatemanager.goog.", uuid,
                         1 + (hex[0] % 9));
        else
                snprintf(data, sizeof(data), "%s.0.%s.authorize.certificatemanager.goog.", uuid,
                         location);
        rec = cJSON_AddObjectToObject(r, "dnsResourceRecord");
        cJSON_AddStringToObject(rec, "name", name);
        cJSON_AddStringToObject(rec, "type", "CNAME");
        cJSON_AddStringToObject(rec, "data", data);
        (void)s;
        return true;
}

/* parse a PEM certificate: SAN DNS names and notAfter; checks the key */
static bool
self_managed(const char *pem_cert, const char *pem_key, cJSON *sans, int64_t *expire_ms,
             struct cc_mock_resp *resp)
{
        BIO *cb = BIO_new_mem_buf(pem_cert, -1), *kb = BIO_new_mem_buf(pem_key, -1);
        X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
        EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
        GENERAL_NAMES *names = NULL;
        struct tm tm;
        bool ok = false;
        int i;

        if (!x) {
                bad(resp, "invalid pemCertificate: cannot parse PEM", NULL);
                goto out;
        }
        if (!k || X509_check_private_key(x, k) != 1) {
                bad(resp, "invalid pemPrivateKey: it does not match the certificate", NULL);
                goto out;
        }
        names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
        for (i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
                const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);

                if (gn->type == GEN_DNS) {
                        const unsigned char *d = ASN1_STRING_get0_data(gn->d.dNSName);
                        int len = ASN1_STRING_length(gn->d.dNSName);
                        char host[300];

                        snprintf(host, sizeof(host), "%.*s", len, (const char *)d);
                        cJSON_AddItemToArray(sans, cJSON_CreateString(host));
                }
        }
        memset(&tm, 0, sizeof(tm));
        if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1) {
                bad(resp, "invalid pemCertificate: bad notAfter", NULL);
                goto out;
        }
        *expire_ms = (int64_t)timegm(&tm) * 1000;
        ok = true;
out:
        GENERAL_NAMES_free(names);
        EVP_PKEY_free(k);
        X509_free(x);
        BIO_free(cb);
        BIO_free(kb);
        return ok;
}

static bool
build_cert(struct gcp_certmgr *s, const cJSON *body, const char *project, cJSON *r,
           struct cc_mock_resp *resp)
{
        const cJSON *managed = gcp_jget(body, "managed"), *sm = gcp_jget(body, "selfManaged");
        const char *scope = gcp_jstr(body, "scope");
        const cJSON *d, *a;
        cJSON *m, *sans = cJSON_CreateArray();
        bool ok = false;
        char ts[48];

        if ((gcp_jget(body, "scope") && !scope) ||
            (scope && strcmp(scope, "DEFAULT") && strcmp(scope, "EDGE_CACHE") &&
             strcmp(scope, "ALL_REGIONS") && strcmp(scope, "CLIENT_AUTH"))) {
                bad(resp, "invalid scope", scope);
                goto out;
        }
        cJSON_AddStringToObject(r, "scope", scope ? scope : "DEFAULT");
        if (!managed == !sm || (managed && !cJSON_IsObject(managed)) ||
            (sm && !cJSON_IsObject(sm))) {
                bad(resp, "exactly one of managed or selfManaged must be set", NULL);
                goto out;
        }
        if (sm) {
                const char *pc = gcp_jstr(sm, "pemCertificate"),
                           *pk = gcp_jstr(sm, "pemPrivateKey");
                int64_t exp = 0;

                if (!pc || !pk) {
                        bad(resp, "selfManaged needs pemCertificate and pemPrivateKey", NULL);
                        goto out;
                }
                if (!self_managed(pc, pk, sans, &exp, resp))
                        goto out;
                cJSON_AddStringToObject(r, "pemCertificate", pc);
                cJSON_AddItemToObject(r, "sanDnsnames", sans);
                sans = NULL;
                now_str(exp, ts, sizeof(ts));
                cJSON_AddStringToObject(r, "expireTime", ts);
                ok = true;
                goto out;
        }
        if (!cJSON_IsArray(gcp_jget(managed, "domains")) ||
            !cJSON_GetArraySize(gcp_jget(managed, "domains"))) {
                bad(resp, "managed.domains is required", NULL);
                goto out;
        }
        if (gcp_jget(managed, "dnsAuthorizations") &&
            !cJSON_IsArray(gcp_jget(managed, "dnsAuthorizations"))) {
                bad(resp, "invalid managed.dnsAuthorizations", NULL);
                goto out;
        }
        cJSON_ArrayForEach(a, gcp_jget(managed, "dnsAuthorizations"))
        {
                char p[64] = "";

                if (!cJSON_IsString(a) || !name_parts(a->valuestring, p, sizeof(p), NULL, 0) ||
                    !strstr(a->valuestring, "/dnsAuthorizations/")) {
                        bad(resp, "invalid DNS authorization name",
                            cJSON_IsString(a) ? a->valuestring : "");
                        goto out;
                }
                if (strcmp(p, project) || !wrapper_find(s, C_AUTH, a->valuestring)) {
                        gcp_error_rpc(resp, 404, "NOT_FOUND", "Resource '%s' was not found",
                                      a->valuestring);
                        goto out;
                }
        }
        cJSON_ArrayForEach(d, gcp_jget(managed, "domains"))
        {
                bool has_auth = cJSON_GetArraySize(gcp_jget(managed, "dnsAuthorizations")) > 0;

                if (!cJSON_IsString(d) || !valid_host(d->valuestring, true)) {
                        bad(resp, "invalid domain", cJSON_IsString(d) ? d->valuestring : "");
                        goto out;
                }
                if (!strncmp(d->valuestring, "*.", 2) && !has_auth) {
                        bad(resp, "wildcard domains need a DNS authorization:", d->valuestring);
                        goto out;
                }
                if (has_auth &&
                    !cert_auth_for(s, gcp_jget(managed, "dnsAuthorizations"), d->valuestring)) {
                        bad(resp, "no DNS authorization given covers domain", d->valuestring);
                        goto out;
                }
                cJSON_AddItemToArray(sans, cJSON_CreateString(d->valuestring));
        }
        cJSON_AddItemToObject(r, "sanDnsnames", sans);
        sans = NULL;
        m = cJSON_AddObjectToObject(r, "managed");
        cJSON_AddItemToObject(m, "domains", cJSON_Duplicate(gcp_jget(managed, "domains"), 1));
        if (cJSON_GetArraySize(gcp_jget(managed, "dnsAuthorizations")))
                cJSON_AddItemToObject(m, "dnsAuthorizations",
                                      cJSON_Duplicate(gcp_jget(managed, "dnsAuthorizations"), 1));
        if (gcp_jstr(managed, "issuanceConfig"))
                cJSON_AddStringToObject(m, "issuanceConfig", gcp_jstr(managed, "issuanceConfig"));
        cJSON_AddStringToObject(m, "state", "PROVISIONING");
        ok = true;
out:
        cJSON_Delete(sans);
        return ok;
}

static bool
check_cert_refs(const struct gcp_certmgr *s, const cJSON *certs, const char *project,
                struct cc_mock_resp *resp)
{
        const cJSON *c;

        if (!cJSON_IsArray(certs) || cJSON_GetArraySize(certs) > CM_MAX_CERTS) {
                bad(resp, "certificates must be a list of at most 4 certificate names", NULL);
                return false;
        }
        cJSON_ArrayForEach(c, certs)
        {
                char p[64] = "";

                if (!cJSON_IsString(c) || !name_parts(c->valuestring, p, sizeof(p), NULL, 0) ||
                    !strstr(c->valuestring, "/certificates/")) {
                        bad(resp, "invalid certificate name",
                            cJSON_IsString(c) ? c->valuestring : "");
                        return false;
                }
                if (strcmp(p, project) || !wrapper_find(s, C_CERT, c->valuestring)) {
                        gcp_error_rpc(resp, 404, "NOT_FOUND", "Resource '%s' was not found",
                                      c->valuestring);
                        return false;
                }
        }
        return true;
}

static bool
build_entry(struct gcp_certmgr *s, const cJSON *body, const char *project, cJSON *r,
            struct cc_mock_resp *resp)
{
        const char *host = gcp_jstr(body, "hostname"), *matcher = gcp_jstr(body, "matcher");
        const cJSON *certs = gcp_jget(body, "certificates");

        if (!host == !matcher || (gcp_jget(body, "hostname") && !host) ||
            (gcp_jget(body, "matcher") && !matcher)) {
                bad(resp, "exactly one of hostname or matcher must be set", NULL);
                return false;
        }
        if (host && !valid_host(host, true)) {
                bad(resp, "invalid hostname", host);
                return false;
        }
        if (matcher && strcmp(matcher, "PRIMARY")) {
                bad(resp, "invalid matcher", matcher);
                return false;
        }
        if (certs && !check_cert_refs(s, certs, project, resp))
                return false;
        if (host)
                cJSON_AddStringToObject(r, "hostname", host);
        else
                cJSON_AddStringToObject(r, "matcher", matcher);
        if (cJSON_GetArraySize(certs))
                cJSON_AddItemToObject(r, "certificates", cJSON_Duplicate(certs, 1));
        cJSON_AddStringToObject(r, "state", "ACTIVE");
        return true;
}

/* --- handlers ------------------------------------------------------------ */

static void
res_create(struct gcp_certmgr *s, enum coll c, const char *project, const char *location,
           const char *parent, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        cJSON *body = NULL, *r = NULL, *w = NULL, *err;
        char id[128], name[600], ts[48];
        bool ok = false;
        int64_t now = gcp_now_ms();

        if (!gcp_query(req, colls[c].id_param, id, sizeof(id)) &&
            !gcp_query(req, colls[c].id_snake, id, sizeof(id))) {
                gcp_error_rpc(resp, 400, "INVALID_ARGUMENT", "%s is required", colls[c].id_snake);
                goto out;
        }
        if (!valid_id(id)) {
                gcp_error_rpc(resp, 400, "INVALID_ARGUMENT", "invalid %s '%s'", colls[c].id_snake,
                              id);
                goto out;
        }
        if (!strcmp(location, "-") || !valid_location(location)) {
                gcp_error_rpc(resp, 400, "INVALID_ARGUMENT", "invalid location '%s'", location);
                goto out;
        }
        if (c == C_ENTRY && !wrapper_find(s, C_MAP, parent)) {
                gcp_error_rpc(resp, 404, "NOT_FOUND", "Resource '%s' was not found", parent);
                goto out;
        }
        snprintf(name, sizeof(name), "%s/%s/%s", parent, colls[c].name, id);
        body = gcp_parse_body(req, resp, true);
        if (!body)
                goto out;
        if (wrapper_find(s, c, name)) {
                gcp_error_rpc(resp, 409, "ALREADY_EXISTS", "Resource '%s' already exists", name);
                goto out;
        }
        r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "name", name);
        now_str(now, ts, sizeof(ts));
        cJSON_AddStringToObject(r, "createTime", ts);
        cJSON_AddStringToObject(r, "updateTime", ts);
        if (!common_fields(body, r, resp))
                goto out;
        switch (c) {
        case C_AUTH:
                ok = build_auth(s, body, location, r, resp);
                break;
        case C_CERT:
                ok = build_cert(s, body, project, r, resp);
                break;
        case C_MAP:
                ok = true;
                break;
        case C_ENTRY:
                ok = build_entry(s, body, project, r, resp);
                break;
        default:
                break;
        }
        if (!ok)
                goto out;
        err = op_error_take(s, "create", name);
        if (err) {
                op_respond(s, project, location, "create", name, NULL, err, resp);
                goto out;
        }
        w = cJSON_CreateObject();
        cJSON_AddItemToObject(w, "r", r);
        r = NULL;
        cJSON_AddNumberToObject(w, "ms", (double)now);
        if (!cJSON_AddItemToArray(coll_arr(s, c), w)) {
                cJSON_Delete(w);
                gcp_error_rpc(resp, 500, "INTERNAL", "out of memory");
                goto out;
        }
        op_respond(s, project, location, "create", name, typed(colls[c].type, render(s, c, w)),
                   NULL, resp);
out:
        cJSON_Delete(r);
        cJSON_Delete(body);
}

/* what updateMask may name, per collection */
static bool
mask_allowed(enum coll c, const char *path, bool self_managed_cert)
{
        if (!strcmp(path, "description") || !strcmp(path, "labels"))
                return true;
        if (c == C_CERT && self_managed_cert && !strcmp(path, "selfManaged"))
                return true;
        if (c == C_ENTRY && !strcmp(path, "certificates"))
                return true;
        return false;
}

static void
res_patch(struct gcp_certmgr *s, enum coll c, cJSON *w, const char *project, const char *location,
          const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        cJSON *body = gcp_parse_body(req, resp, true), *r = gcp_jget(w, "r"), *nr = NULL, *err;
        char mask[1024], bad_paths[1024] = "", ts[48];
        const char *p;
        bool sm = c == C_CERT && !gcp_jget(r, "managed");

        if (!body)
                return;
        if (!gcp_query(req, "updateMask", mask, sizeof(mask)) &&
            !gcp_query(req, "update_mask", mask, sizeof(mask))) {
                /* no mask: every mutable field the body carries */
                snprintf(mask, sizeof(mask), "%s%s%s",
                         gcp_jget(body, "description") ? "description," : "",
                         gcp_jget(body, "labels") ? "labels," : "",
                         c == C_ENTRY && gcp_jget(body, "certificates") ? "certificates" : "");
        }
        for (p = mask; *p;) {
                const char *e = strchr(p, ',');
                size_t n = e ? (size_t)(e - p) : strlen(p);
                char path[128];

                snprintf(path, sizeof(path), "%.*s", (int)n, p);
                if (*path && !mask_allowed(c, path, sm)) {
                        size_t used = strlen(bad_paths);

                        snprintf(bad_paths + used, sizeof(bad_paths) - used, "%s%s",
                                 used ? ", " : "", path);
                }
                p += n + (e ? 1 : 0);
        }
        if (*bad_paths) {
                gcp_error_rpc(resp, 400, "INVALID_ARGUMENT",
                              "paths not permitted to be updated: %s", bad_paths);
                goto out;
        }
        nr = cJSON_Duplicate(r, 1);
        for (p = mask; *p;) {
                const char *e = strchr(p, ',');
                size_t n = e ? (size_t)(e - p) : strlen(p);
                char path[128];
                const cJSON *v;

                snprintf(path, sizeof(path), "%.*s", (int)n, p);
                p += n + (e ? 1 : 0);
                if (!*path)
                        continue;
                v = gcp_jget(body, path);
                if (!strcmp(path, "description") && v &&
                    (!cJSON_IsString(v) || strlen(v->valuestring) > 2048)) {
                        bad(resp, "invalid description", NULL);
                        goto out;
                }
                if (!strcmp(path, "labels") && !labels_ok(v)) {
                        bad(resp, "invalid labels", NULL);
                        goto out;
                }
                if (!strcmp(path, "certificates") && v && !check_cert_refs(s, v, project, resp))
                        goto out;
                if (!strcmp(path, "selfManaged")) {
                        /* a self-managed certificate is rebuilt from the new PEMs */
                        cJSON *tmp = cJSON_CreateObject(), *fake = cJSON_CreateObject();

                        cJSON_AddItemToObject(fake, "selfManaged", cJSON_Duplicate(v, 1));
                        if (!build_cert(s, fake, project, tmp, resp)) {
                                cJSON_Delete(tmp);
                                cJSON_Delete(fake);
                                goto out;
                        }
                        gcp_jset(nr, "pemCertificate",
                                 cJSON_Duplicate(gcp_jget(tmp, "pemCertificate"), 1));
                        gcp_jset(nr, "sanDnsnames",
                                 cJSON_Duplicate(gcp_jget(tmp, "sanDnsnames"), 1));
                        gcp_jset(nr, "expireTime", cJSON_Duplicate(gcp_jget(tmp, "expireTime"), 1));
                        cJSON_Delete(tmp);
                        cJSON_Delete(fake);
                        continue;
                }
                if (v && !(cJSON_IsString(v) && !*v->valuestring) &&
                    !(cJSON_IsArray(v) && !cJSON_GetArraySize(v)))
                        gcp_jset(nr, path, cJSON_Duplicate(v, 1));
                else
                        cJSON_DeleteItemFromObjectCaseSensitive(nr, path);
        }
        err = op_error_take(s, "update", gcp_jstr(r, "name"));
        if (err) {
                op_respond(s, project, location, "update", gcp_jstr(r, "name"), NULL, err, resp);
                goto out;
        }
        now_str(gcp_now_ms(), ts, sizeof(ts));
        gcp_jset(nr, "updateTime", cJSON_CreateString(ts));
        cJSON_ReplaceItemInObjectCaseSensitive(w, "r", nr);
        nr = NULL;
        gcp_changed(s->g);
        op_respond(s, project, location, "update", gcp_jstr(gcp_jget(w, "r"), "name"),
                   typed(colls[c].type, render(s, c, w)), NULL, resp);
out:
        cJSON_Delete(nr);
        cJSON_Delete(body);
}

/* who uses the resource (for FAILED_PRECONDITION on delete); NULL if nobody */
static const char *
used_by(const struct gcp_certmgr *s, enum coll c, const char *name)
{
        const cJSON *w, *v;
        size_t n = strlen(name);

        switch (c) {
        case C_AUTH:
                cJSON_ArrayForEach(w, coll_arr(s, C_CERT))
                {
                        cJSON_ArrayForEach(
                            v, gcp_jget(gcp_jget(gcp_jget(w, "r"), "managed"), "dnsAuthorizations"))
                        {
                                if (cJSON_IsString(v) && !strcmp(v->valuestring, name))
                                        return gcp_jstr(gcp_jget(w, "r"), "name");
                        }
                }
                break;
        case C_CERT:
                cJSON_ArrayForEach(w, coll_arr(s, C_ENTRY))
                {
                        cJSON_ArrayForEach(v, gcp_jget(gcp_jget(w, "r"), "certificates"))
                        {
                                if (cJSON_IsString(v) && !strcmp(v->valuestring, name))
                                        return gcp_jstr(gcp_jget(w, "r"), "name");
                        }
                }
                break;
        case C_MAP:
                cJSON_ArrayForEach(w, coll_arr(s, C_ENTRY))
                {
                        const char *en = gcp_jstr(gcp_jget(w, "r"), "name");

                        if (!strncmp(en, name, n) && en[n] == '/')
                                return en;
                }
                break;
        default:
                break;
        }
        return NULL;
}

static void
res_delete(struct gcp_certmgr *s, enum coll c, cJSON *w, const char *project, const char *location,
           struct cc_mock_resp *resp)
{
        char name[600];
        const char *user;
        cJSON *err, *empty = NULL;

        snprintf(name, sizeof(name), "%s", gcp_jstr(gcp_jget(w, "r"), "name"));
        user = used_by(s, c, name);
        if (user) {
                gcp_error_rpc(resp, 400, "FAILED_PRECONDITION",
                              "Resource '%s' is still used by '%s' and cannot be deleted", name,
                              user);
                return;
        }
        err = op_error_take(s, "delete", name);
        if (!err) {
                wrapper_remove(s, c, w);
                gcp_changed(s->g);
                empty = cJSON_CreateObject();
                cJSON_AddStringToObject(empty, "@type",
                                        "type.googleapis.com/google.protobuf.Empty");
        }
        op_respond(s, project, location, "delete", name, empty, err, resp);
}

/* --- lists, filter, order ------------------------------------------------ */

/* the value at a dotted path, as text for comparison */
static const cJSON *
path_value(const cJSON *r, const char *path)
{
        char seg[128];
        const char *p = path;
        bool labels = false;

        while (r && *p) {
                const char *dot = strchr(p, '.');
                size_t n = dot ? (size_t)(dot - p) : strlen(p);

                /* label keys may hold dots: labels.<rest> */
                if (labels) {
                        n = strlen(p);
                        dot = NULL;
                }
                snprintf(seg, sizeof(seg), "%.*s", (int)n, p);
                labels = !strcmp(seg, "labels");
                r = gcp_jget(r, seg);
                p += n + (dot ? 1 : 0);
        }
        return r;
}

static bool
value_matches(const cJSON *v, const char *want)
{
        const cJSON *e;
        char num[64];

        if (cJSON_IsString(v))
                return !fnmatch(want, v->valuestring, 0);
        if (cJSON_IsBool(v))
                return !strcasecmp(want, cJSON_IsTrue(v) ? "true" : "false");
        if (cJSON_IsNumber(v)) {
                snprintf(num, sizeof(num), "%g", v->valuedouble);
                return !strcmp(num, want);
        }
        if (cJSON_IsArray(v)) {
                cJSON_ArrayForEach(e, v)
                {
                        if (value_matches(e, want))
                                return true;
                }
        }
        return false;
}

/* AIP-160 basics: terms `path OP value` (OP one of = != :) joined by AND;
 * value quoted or bare, `*` a wildcard.  -1 on a syntax error. */
static int
filter_match(const cJSON *r, const char *filter)
{
        const char *p = filter;

        while (*p) {
                char path[128], val[512];
                size_t n;
                int op; /* 0 '=', 1 '!=', 2 ':' */
                bool m;

                while (*p == ' ')
                        p++;
                if (!*p)
                        break;
                n = strcspn(p, " =!:");
                if (!n || n >= sizeof(path))
                        return -1;
                snprintf(path, sizeof(path), "%.*s", (int)n, p);
                p += n;
                while (*p == ' ')
                        p++;
                if (*p == '=')
                        op = 0, p++;
                else if (!strncmp(p, "!=", 2))
                        op = 1, p += 2;
                else if (*p == ':')
                        op = 2, p++;
                else
                        return -1;
                while (*p == ' ')
                        p++;
                if (*p == '"') {
                        const char *e = strchr(p + 1, '"');

                        if (!e || (size_t)(e - p) >= sizeof(val))
                                return -1;
                        snprintf(val, sizeof(val), "%.*s", (int)(e - p - 1), p + 1);
                        p = e + 1;
                } else {
                        n = strcspn(p, " ");
                        if (!n || n >= sizeof(val))
                                return -1;
                        snprintf(val, sizeof(val), "%.*s", (int)n, p);
                        p += n;
                }
                m = value_matches(path_value(r, path), val);
                if (op == 1)
                        m = !m;
                if (!m)
                        return 0;
                while (*p == ' ')
                        p++;
                if (!strncmp(p, "AND ", 4))
                        p += 4;
                else if (*p)
                        return -1;
        }
        return 1;
}

static int
order_cmp(const cJSON *a, const cJSON *b, const char *field)
{
        const cJSON *va = path_value(a, field), *vb = path_value(b, field);

        return strcmp(cJSON_IsString(va) ? va->valuestring : "",
                      cJSON_IsString(vb) ? vb->valuestring : "");
}

static void
res_list(struct gcp_certmgr *s, enum coll c, const char *project, const char *location,
         const char *map, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        cJSON *items = cJSON_CreateArray(), *out = NULL, *page = NULL;
        cJSON *w;
        char filter[1024], order[128], v[64], *end;
        bool has_filter = gcp_query(req, "filter", filter, sizeof(filter)) && *filter;
        bool desc = false;
        long size = CM_PAGE_MAX, offset = 0, i, total;

        if (gcp_query(req, "pageSize", v, sizeof(v)) && *v) {
                size = strtol(v, &end, 10);
                if (*end || size < 0) {
                        gcp_error_rpc(resp, 400, "INVALID_ARGUMENT", "invalid page_size '%s'", v);
                        goto out;
                }
                if (!size || size > CM_PAGE_MAX)
                        size = CM_PAGE_MAX;
        }
        if (gcp_query(req, "pageToken", v, sizeof(v)) && *v) {
                offset = strtol(v, &end, 10);
                if (*end || offset < 0 || offset > 100000000) {
                        gcp_error_rpc(resp, 400, "INVALID_ARGUMENT", "invalid page_token '%s'", v);
                        goto out;
                }
        }
        if (!gcp_query(req, "orderBy", order, sizeof(order)))
                order[0] = '\0';
        if (*order) {
                char *sp = strchr(order, ' ');

                if (sp) {
                        *sp++ = '\0';
                        while (*sp == ' ')
                                sp++;
                        if (!strcmp(sp, "desc")) {
                                desc = true;
                        } else if (strcmp(sp, "asc") && *sp) {
                                gcp_error_rpc(resp, 400, "INVALID_ARGUMENT",
                                              "invalid order_by '%s'", sp);
                                goto out;
                        }
                }
        }
        cJSON_ArrayForEach(w, coll_arr(s, c))
        {
                const char *name = gcp_jstr(gcp_jget(w, "r"), "name");
                char p[64] = "", l[64] = "";
                cJSON *r;
                int fm;

                name_parts(name, p, sizeof(p), l, sizeof(l));
                if (strcmp(p, project) || (strcmp(location, "-") && strcmp(l, location)))
                        continue;
                if (map) {
                        char want[600];

                        snprintf(want, sizeof(want), "/certificateMaps/%s/", map);
                        if (strcmp(map, "-") && !strstr(name, want))
                                continue;
                }
                r = render(s, c, w);
                fm = has_filter ? filter_match(r, filter) : 1;
                if (fm < 0) {
                        cJSON_Delete(r);
                        gcp_error_rpc(resp, 400, "INVALID_ARGUMENT", "invalid filter '%s'", filter);
                        goto out;
                }
                if (!fm) {
                        cJSON_Delete(r);
                        continue;
                }
                /* insertion sort by the order field */
                if (*order) {
                        cJSON *o;
                        int idx = 0;

                        cJSON_ArrayForEach(o, items)
                        {
                                int cmp = order_cmp(r, o, order);

                                if (desc ? cmp > 0 : cmp < 0)
                                        break;
                                idx++;
                        }
                        if (o) {
                                gcp_arr_insert(items, idx, r);
                                continue;
                        }
                }
                cJSON_AddItemToArray(items, r);
        }
        out = cJSON_CreateObject();
        page = cJSON_CreateArray();
        total = cJSON_GetArraySize(items);
        for (i = offset; i < total && i < offset + size; i++)
                cJSON_AddItemToArray(page, cJSON_Duplicate(cJSON_GetArrayItem(items, (int)i), 1));
        if (cJSON_GetArraySize(page)) {
                cJSON_AddItemToObject(out, colls[c].name, page);
                page = NULL;
        }
        if (offset + size < total) {
                char tok[24];

                snprintf(tok, sizeof(tok), "%ld", offset + size);
                cJSON_AddStringToObject(out, "nextPageToken", tok);
        }
        cc_mock_resp_json(resp, 200, out);
out:
        cJSON_Delete(page);
        cJSON_Delete(items);
        cJSON_Delete(out);
}

static void
ops_handle(struct gcp_certmgr *s, const char *project, const char *location, const char *op,
           const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        char name[600], id[300];
        const char *colon;
        cJSON *w, *out, *arr;
        int i = 0;

        if (!op) {
                if (strcmp(req->method, "GET")) {
                        gcp_error_rpc(resp, 405, "UNIMPLEMENTED", "method not allowed");
                        return;
                }
                out = cJSON_CreateObject();
                arr = cJSON_AddArrayToObject(out, "operations");

                cJSON_ArrayForEach(w, gcp_jget(s->root, "operations"))
                {
                        char p[64] = "", l[64] = "";

                        name_parts(gcp_jstr(gcp_jget(w, "r"), "name"), p, sizeof(p), l, sizeof(l));
                        if (!strcmp(p, project) && (!strcmp(location, "-") || !strcmp(l, location)))
                                cJSON_AddItemToArray(arr, op_render(s, w));
                }
                if (!cJSON_GetArraySize(arr))
                        cJSON_DeleteItemFromObjectCaseSensitive(out, "operations");
                cc_mock_resp_json(resp, 200, out);
                cJSON_Delete(out);
                return;
        }
        colon = strchr(op, ':');
        snprintf(id, sizeof(id), "%.*s", (int)(colon ? (size_t)(colon - op) : strlen(op)), op);
        snprintf(name, sizeof(name), "projects/%s/locations/%s/operations/%s", project, location,
                 id);
        cJSON_ArrayForEach(w, gcp_jget(s->root, "operations"))
        {
                if (!strcmp(gcp_jstr(gcp_jget(w, "r"), "name"), name))
                        break;
                i++;
        }
        if (!w) {
                gcp_error_rpc(resp, 404, "NOT_FOUND", "Resource '%s' was not found", name);
                return;
        }
        if (colon && !strcmp(colon, ":cancel") && !strcmp(req->method, "POST")) {
                const cJSON *dm = gcp_jget(w, "doneMs");

                if (gcp_now_ms() < (int64_t)dm->valuedouble) {
                        cJSON *e = cJSON_CreateObject();

                        cJSON_AddNumberToObject(e, "code", 1);
                        cJSON_AddStringToObject(e, "message", "Operation was cancelled");
                        cJSON_AddArrayToObject(e, "details");
                        gcp_jset(w, "error", e);
                        cJSON_DeleteItemFromObjectCaseSensitive(w, "response");
                        gcp_jset(gcp_jget(gcp_jget(w, "r"), "metadata"), "requestedCancellation",
                                 cJSON_CreateBool(true));
                        gcp_jset(w, "doneMs", cJSON_CreateNumber((double)gcp_now_ms()));
                        gcp_changed(s->g);
                }
                out = cJSON_CreateObject();
                cc_mock_resp_json(resp, 200, out);
                cJSON_Delete(out);
                return;
        }
        if (colon) {
                gcp_error_rpc(resp, 404, "NOT_FOUND", "Resource '%s' was not found", op);
                return;
        }
        if (!strcmp(req->method, "GET")) {
                out = op_render(s, w);
                cc_mock_resp_json(resp, 200, out);
                cJSON_Delete(out);
        } else if (!strcmp(req->method, "DELETE")) {
                cJSON_DeleteItemFromArray(gcp_jget(s->root, "operations"), i);
                gcp_changed(s->g);
                out = cJSON_CreateObject();
                cc_mock_resp_json(resp, 200, out);
                cJSON_Delete(out);
        } else {
                gcp_error_rpc(resp, 405, "UNIMPLEMENTED", "method not allowed");
        }
}

static void
locations(const char *project, const char *location, struct cc_mock_resp *resp)
{
        static const char *const locs[] = { "global", "us-central1", "us-east1", "europe-west1",
                                            NULL };
        cJSON *out = cJSON_CreateObject(), *arr = NULL;
        char name[200];
        size_t i;

        for (i = 0; locs[i]; i++) {
                cJSON *l;

                if (location && strcmp(location, locs[i]))
                        continue;
                l = cJSON_CreateObject();
                snprintf(name, sizeof(name), "projects/%s/locations/%s", project, locs[i]);
                cJSON_AddStringToObject(l, "name", name);
                cJSON_AddStringToObject(l, "locationId", locs[i]);
                if (location) {
                        cc_mock_resp_json(resp, 200, l);
                        cJSON_Delete(l);
                        cJSON_Delete(out);
                        return;
                }
                if (!arr)
                        arr = cJSON_AddArrayToObject(out, "locations");
                cJSON_AddItemToArray(arr, l);
        }
        if (location)
                gcp_error_rpc(resp, 404, "NOT_FOUND",
                              "Resource 'projects/%s/locations/%s' was not found", project,
                              location);
        else
                cc_mock_resp_json(resp, 200, out);
        cJSON_Delete(out);
}

/* --- admin --------------------------------------------------------------- */

static void
admin(struct gcp_certmgr *s, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        const char *sub = req->path + strlen("/_mock/certmgr/");
        cJSON *body = NULL, *out;

        if (!strcmp(sub, "operation-errors") && !strcmp(req->method, "DELETE")) {
                gcp_jset(s->root, "opErrors", cJSON_CreateArray());
                out = cJSON_CreateObject();
                cc_mock_resp_json(resp, 200, out);
                cJSON_Delete(out);
                return;
        }
        if (!strcmp(sub, "operation-errors") && !strcmp(req->method, "GET")) {
                cc_mock_resp_json(resp, 200, gcp_jget(s->root, "opErrors"));
                return;
        }
        if (strcmp(req->method, "POST") ||
            (strcmp(sub, "operation-errors") && strcmp(sub, "certificate-state"))) {
                gcp_error_rpc(resp, 404, "NOT_FOUND", "no admin endpoint %s %s", req->method,
                              req->path);
                return;
        }
        body = gcp_parse_body(req, resp, true);
        if (!body)
                return;
        if (!strcmp(sub, "operation-errors")) {
                cJSON *rule = cJSON_CreateObject();
                const cJSON *code = gcp_jget(body, "code");

                if ((gcp_jget(body, "verb") && !gcp_jstr(body, "verb")) ||
                    (gcp_jget(body, "target") && !gcp_jstr(body, "target")) ||
                    (code &&
                     (!cJSON_IsNumber(code) || code->valueint < 1 || code->valueint > 16))) {
                        cJSON_Delete(rule);
                        gcp_error_rpc(resp, 400, "INVALID_ARGUMENT",
                                      "want {\"verb\", \"target\" (glob), \"code\" (1-16), "
                                      "\"message\"}");
                        goto out;
                }
                if (gcp_jstr(body, "verb"))
                        cJSON_AddStringToObject(rule, "verb", gcp_jstr(body, "verb"));
                if (gcp_jstr(body, "target"))
                        cJSON_AddStringToObject(rule, "target", gcp_jstr(body, "target"));
                cJSON_AddNumberToObject(rule, "code", code ? code->valueint : 13);
                cJSON_AddStringToObject(rule, "message",
                                        gcp_jstr(body, "message") ? gcp_jstr(body, "message")
                                                                  : "injected operation failure");
                cJSON_AddItemToArray(gcp_jget(s->root, "opErrors"), rule);
                gcp_changed(s->g);
                cc_mock_resp_json(resp, 200, rule);
                goto out;
        }
        {
                const char *name = gcp_jstr(body, "name"), *state = gcp_jstr(body, "state");
                cJSON *w = name ? wrapper_find(s, C_CERT, name) : NULL;

                if (!state || (strcmp(state, "ACTIVE") && strcmp(state, "FAILED"))) {
                        gcp_error_rpc(resp, 400, "INVALID_ARGUMENT",
                                      "want {\"name\": certificate, \"state\": ACTIVE|FAILED}");
                        goto out;
                }
                if (!w || !gcp_jget(gcp_jget(w, "r"), "managed")) {
                        gcp_error_rpc(resp, 404, "NOT_FOUND",
                                      "Resource '%s' was not found (or is not managed)",
                                      name ? name : "");
                        goto out;
                }
                /* forcing is allowed from any state: tests may want ACTIVE -> FAILED */
                gcp_jset(gcp_jget(gcp_jget(w, "r"), "managed"), "state",
                         cJSON_CreateString("PROVISIONING"));
                gcp_jset(w, "force", cJSON_CreateString(state));
                out = render(s, C_CERT, w);
                cc_mock_resp_json(resp, 200, out);
                cJSON_Delete(out);
        }
out:
        cJSON_Delete(body);
}

/* --- dispatch ------------------------------------------------------------ */

static void
certmgr_handle(struct gcp *g, void *state, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        struct gcp_certmgr *s = state;
        char buf[2048], parent[600], name[700];
        char *seg[12];
        const char *m = req->method, *project, *location;
        enum coll c;
        int n;

        resp->api = "certmgr";
        if (!strncmp(req->path, "/_mock/", 7)) {
                admin(s, req, resp);
                return;
        }
        n = gcp_path_split(req->path, buf, sizeof(buf), seg, 12);
        /* v1 projects P locations [L [coll [id [certificateMapEntries [eid]]]]] */
        if (n < 4 || strcmp(seg[0], "v1") || strcmp(seg[1], "projects") ||
            strcmp(seg[3], "locations"))
                goto notfound;
        project = seg[2];
        if (n == 4 || n == 5) {
                if (strcmp(m, "GET"))
                        goto notfound;
                locations(project, n == 5 ? seg[4] : NULL, resp);
                return;
        }
        location = seg[4];
        if (!strcmp(seg[5], "operations") && n <= 7) {
                ops_handle(s, project, location, n == 7 ? seg[6] : NULL, req, resp);
                return;
        }
        for (c = 0; c < C_ENTRY; c++)
                if (!strcmp(seg[5], colls[c].name))
                        break;
        if (c == C_ENTRY)
                goto notfound;
        snprintf(parent, sizeof(parent), "projects/%s/locations/%s", project, location);
        if (c == C_MAP && n >= 8) {
                /* .../certificateMaps/M/certificateMapEntries[/E] */
                if (strcmp(seg[7], colls[C_ENTRY].name) || n > 9)
                        goto notfound;
                snprintf(parent, sizeof(parent), "projects/%s/locations/%s/certificateMaps/%s",
                         project, location, seg[6]);
                c = C_ENTRY;
                if (n == 8) {
                        if (!strcmp(m, "POST"))
                                res_create(s, c, project, location, parent, req, resp);
                        else if (!strcmp(m, "GET"))
                                res_list(s, c, project, location, seg[6], req, resp);
                        else
                                goto notallowed;
                        return;
                }
                snprintf(name, sizeof(name), "%s/%s/%s", parent, colls[c].name, seg[8]);
        } else if (n == 6) {
                if (!strcmp(m, "POST"))
                        res_create(s, c, project, location, parent, req, resp);
                else if (!strcmp(m, "GET"))
                        res_list(s, c, project, location, NULL, req, resp);
                else
                        goto notallowed;
                return;
        } else if (n == 7) {
                snprintf(name, sizeof(name), "%s/%s/%s", parent, colls[c].name, seg[6]);
        } else {
                goto notfound;
        }
        {
                cJSON *w = wrapper_find(s, c, name), *out;

                if (!w) {
                        gcp_error_rpc(resp, 404, "NOT_FOUND", "Resource '%s' was not found", name);
                        return;
                }
                if (!strcmp(m, "GET")) {
                        out = render(s, c, w);
                        cc_mock_resp_json(resp, 200, out);
                        cJSON_Delete(out);
                } else if (!strcmp(m, "PATCH")) {
                        res_patch(s, c, w, project, location, req, resp);
                } else if (!strcmp(m, "DELETE")) {
                        res_delete(s, c, w, project, location, resp);
                } else {
                        goto notallowed;
                }
                return;
        }
notallowed:
        gcp_error_rpc(resp, 405, "UNIMPLEMENTED", "method %s is not allowed on %s", m, req->path);
        return;
notfound:
        gcp_error_rpc(resp, 404, "NOT_FOUND", "The requested URL %s was not found on this server",
                      req->path);
}

/* --- hook, lifecycle, persistence ---------------------------------------- */

static bool
certmap_exists(struct gcp *g, const char *project, const char *location, const char *map)
{
        char name[600];

        if (!g->certmgr)
                return false;
        snprintf(name, sizeof(name), "projects/%s/locations/%s/certificateMaps/%s", project,
                 location, map);
        return wrapper_find(g->certmgr, C_MAP, name) != NULL;
}

static cJSON *
empty_root(void)
{
        cJSON *root = cJSON_CreateObject();
        int c;
        bool ok = root != NULL;

        for (c = 0; ok && c < C_COUNT; c++)
                ok = cJSON_AddArrayToObject(root, colls[c].name) != NULL;
        ok = ok && cJSON_AddArrayToObject(root, "operations") &&
             cJSON_AddArrayToObject(root, "opErrors");
        if (!ok) {
                cJSON_Delete(root);
                root = NULL;
        }
        return root;
}

static cc_err
certmgr_create(struct gcp *g, void **state, struct cc_diag *d)
{
        struct gcp_certmgr *s = cc_calloc(1, sizeof(*s));

        if (!s || !(s->root = empty_root())) {
                cc_free(s);
                return cc_diag_set(d, CC_NOMEM, 0,
                                   "cannot create the certmgr module: out of memory");
        }
        s->g = g;
        g->certmgr = s;
        g->hooks.certmap_exists = certmap_exists;
        *state = s;
        return CC_OK;
}

static void
certmgr_release(void *state)
{
        struct gcp_certmgr *s = state;

        if (!s)
                return;
        if (s->g && s->g->certmgr == s) {
                s->g->certmgr = NULL;
                s->g->hooks.certmap_exists = NULL;
        }
        cJSON_Delete(s->root);
        cc_free(s);
}

static void
certmgr_reset(void *state)
{
        struct gcp_certmgr *s = state;
        cJSON *root = empty_root();

        if (!root)
                return;
        cJSON_Delete(s->root);
        s->root = root;
}

static cJSON *
certmgr_dump(const void *state)
{
        const struct gcp_certmgr *s = state;

        return cJSON_Duplicate(s->root, 1);
}

static cc_err
certmgr_load(void *state, const cJSON *saved)
{
        struct gcp_certmgr *s = state;
        const cJSON *w;
        cJSON *root;
        int c;

        for (c = 0; c < C_COUNT; c++) {
                if (!cJSON_IsArray(gcp_jget(saved, colls[c].name)))
                        return CC_INVAL;
                cJSON_ArrayForEach(w, gcp_jget(saved, colls[c].name))
                {
                        if (!gcp_jstr(gcp_jget(w, "r"), "name"))
                                return CC_INVAL;
                }
        }
        if (!cJSON_IsArray(gcp_jget(saved, "operations")) ||
            !cJSON_IsArray(gcp_jget(saved, "opErrors")))
                return CC_INVAL;
        cJSON_ArrayForEach(w, gcp_jget(saved, "operations"))
        {
                if (!gcp_jstr(gcp_jget(w, "r"), "name") || !cJSON_IsNumber(gcp_jget(w, "doneMs")))
                        return CC_INVAL;
        }
        root = cJSON_Duplicate(saved, 1);
        if (!root)
                return CC_NOMEM;
        cJSON_Delete(s->root);
        s->root = root;
        return CC_OK;
}

static const char *const certmgr_prefixes[] = { "/v1/projects/", NULL };

const struct gcp_module gcp_module_certmgr = {
        .name = "certmgr",
        .prefixes = certmgr_prefixes,
        .rpc_errors = true,
        .public_paths = false,
        .create = certmgr_create,
        .release = certmgr_release,
        .reset = certmgr_reset,
        .handle = certmgr_handle,
        .dump = certmgr_dump,
        .load = certmgr_load,
};
