/* naming.c -- deterministic resource names and the ownership mark. */
#include "providers/gke/naming.h"

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/banned.h"

#define HASH_LEN 10

static void
hash36(const char *fleet, const char *ns, const char *name, const char *extra, char *out)
{
        static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned mdlen = 0;
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        const char *parts[4] = { fleet, ns, name, extra ? extra : "" };
        size_t i;

        if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
                for (i = 0; i < 4; i++) {
                        /* length-prefix each part so field boundaries are unambiguous */
                        char len[24];

                        snprintf(len, sizeof(len), "%zu:", strlen(parts[i]));
                        EVP_DigestUpdate(ctx, len, strlen(len));
                        EVP_DigestUpdate(ctx, parts[i], strlen(parts[i]));
                }
                EVP_DigestFinal_ex(ctx, md, &mdlen);
        }
        EVP_MD_CTX_free(ctx);
        if (mdlen < HASH_LEN)
                memset(md, 0, sizeof(md));
        for (i = 0; i < HASH_LEN; i++)
                out[i] = digits[md[i] % 36];
        out[HASH_LEN] = '\0';
}

/* lowercase, [a-z0-9-] only, no leading/trailing/double dashes */
static void
sanitize(const char *in, char *out, size_t outsz)
{
        size_t n = 0;

        for (; *in && n + 1 < outsz; in++) {
                char c = *in;

                if (c >= 'A' && c <= 'Z')
                        c = (char)(c - 'A' + 'a');
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
                        c = '-';
                if (c == '-' && (n == 0 || out[n - 1] == '-'))
                        continue;
                out[n++] = c;
        }
        while (n && out[n - 1] == '-')
                n--;
        out[n] = '\0';
}

static void
trim_trailing_dash(char *s)
{
        size_t n = strlen(s);

        while (n && s[n - 1] == '-')
                s[--n] = '\0';
}

cc_err
cc_gke_name(char *out, size_t outsz, const char *type, const char *fleet, const char *ns,
            const char *name, const char *extra)
{
        char h[HASH_LEN + 1], a[CC_GKE_NAME_MAX + 1], b[CC_GKE_NAME_MAX + 1];
        size_t tl, budget, la, lb, i;

        tl = type ? strlen(type) : 0;
        if (!tl || tl > 4 || outsz < CC_GKE_NAME_MAX + 1)
                return CC_INVAL;
        for (i = 0; i < tl; i++)
                if (!((type[i] >= 'a' && type[i] <= 'z') || (type[i] >= '0' && type[i] <= '9')))
                        return CC_INVAL;
        hash36(fleet ? fleet : "", ns ? ns : "", name ? name : "", extra, h);
        sanitize(ns ? ns : "", a, sizeof(a));
        sanitize(name ? name : "", b, sizeof(b));
        /* cc1-TYPE-A-B-HASH: fixed part = 3 + 1 + tl + 1 + 1 + 1 + 10 */
        budget = CC_GKE_NAME_MAX - (strlen(CC_GKE_PREFIX) + 1 + tl + 1 + 1 + 1 + HASH_LEN);
        la = strlen(a);
        lb = strlen(b);
        /* trim the longer field first, so both keep as much as they can */
        while (la + lb > budget) {
                if (la >= lb)
                        a[--la] = '\0';
                else
                        b[--lb] = '\0';
        }
        trim_trailing_dash(a);
        trim_trailing_dash(b);
        if (a[0] && b[0])
                snprintf(out, outsz, "%s-%s-%s-%s-%s", CC_GKE_PREFIX, type, a, b, h);
        else if (a[0] || b[0])
                snprintf(out, outsz, "%s-%s-%s-%s", CC_GKE_PREFIX, type, a[0] ? a : b, h);
        else
                snprintf(out, outsz, "%s-%s-%s", CC_GKE_PREFIX, type, h);
        return CC_OK;
}

void
cc_gke_owner(char *out, size_t outsz, const char *fleet, const char *ns, const char *name)
{
        snprintf(out, outsz, "%s/%s/%s", fleet, ns, name);
}

cc_err
cc_gke_description(char *out, size_t outsz, const char *owner)
{
        cJSON *o = cJSON_CreateObject();
        char *text = NULL;
        cc_err rc = CC_OK;

        if (!o || !cJSON_AddStringToObject(o, "cloudctl.dev/owner", owner) ||
            !cJSON_AddNumberToObject(o, "cloudctl.dev/version", 1)) {
                rc = CC_NOMEM;
                goto out;
        }
        text = cJSON_PrintUnformatted(o);
        if (!text) {
                rc = CC_NOMEM;
                goto out;
        }
        if ((size_t)snprintf(out, outsz, "%s", text) >= outsz)
                rc = CC_TOOBIG;
out:
        if (text)
                cJSON_free(text);
        cJSON_Delete(o);
        return rc;
}

bool
cc_gke_parse_owner(const char *description, char *owner, size_t ownersz)
{
        cJSON *o;
        const cJSON *v;
        bool ok = false;

        if (!description || description[0] != '{')
                return false;
        o = cJSON_Parse(description);
        v = cJSON_GetObjectItemCaseSensitive(o, "cloudctl.dev/owner");
        if (cJSON_IsString(v) && v->valuestring[0] &&
            cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, "cloudctl.dev/version"))) {
                ok = (size_t)snprintf(owner, ownersz, "%s", v->valuestring) < ownersz;
        }
        cJSON_Delete(o);
        return ok;
}

bool
cc_gke_owner_in_fleet(const char *owner, const char *fleet)
{
        size_t n = strlen(fleet);

        return !strncmp(owner, fleet, n) && owner[n] == '/';
}

bool
cc_gke_valid_name(const char *s)
{
        size_t n = s ? strlen(s) : 0, i;

        if (!n || n > CC_GKE_NAME_MAX || !(s[0] >= 'a' && s[0] <= 'z') || s[n - 1] == '-')
                return false;
        for (i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
                        return false;
        return true;
}

void
cc_gke_content_hash(const char *text, char *out, size_t outsz)
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned mdlen = 0, i;

        if (!outsz)
                return;
        if (!EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL) || mdlen < 32)
                memset(md, 0, sizeof(md));
        out[0] = '\0';
        for (i = 0; i < 32 && 2 * (size_t)i + 2 < outsz; i++)
                snprintf(out + 2 * i, 3, "%02x", md[i]);
}
