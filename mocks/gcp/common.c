/* common.c -- helpers shared by mock-gcp's API modules. */
#include "mocks/gcp/gcp.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/banned.h"

int64_t
gcp_now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Compute timestamps carry the Pacific offset, as the real API's do. */
void
gcp_time_compute(int64_t ms, char *out, size_t n)
{
        time_t t = (time_t)(ms / 1000) - 7 * 3600;
        struct tm tm;
        char base[32];

        gmtime_r(&t, &tm);
        strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(out, n, "%s.%03d-07:00", base, (int)(ms % 1000));
}

void
gcp_time_certmgr(int64_t ms, char *out, size_t n)
{
        time_t t = (time_t)(ms / 1000);
        struct tm tm;
        char base[32];

        gmtime_r(&t, &tm);
        strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(out, n, "%s.%03d000000Z", base, (int)(ms % 1000));
}

void
gcp_time_dns(int64_t ms, char *out, size_t n)
{
        time_t t = (time_t)(ms / 1000);
        struct tm tm;
        char base[32];

        gmtime_r(&t, &tm);
        strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(out, n, "%s.%03dZ", base, (int)(ms % 1000));
}

void
gcp_new_id(struct gcp *g, char *out, size_t n)
{
        /* 19-digit ids like the real ones; unique within this mock's life and
         * across restarts (next_id is part of the saved state) */
        uint64_t id = 1000000000000000000ULL + (g->next_id++) * 7919ULL;

        snprintf(out, n, "%llu", (unsigned long long)id);
}

void
gcp_fingerprint(struct gcp *g, const cJSON *resource, char *out, size_t n)
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned char b64[16];
        char *text = resource ? cJSON_PrintUnformatted(resource) : NULL;
        struct cc_buf b = CC_BUF_INIT(64u << 20);
        unsigned mdlen = 0;

        /* the counter makes every mutation give a new value, even one that
         * leaves the body unchanged, as the real API does */
        cc_buf_printf(&b, "%s|%llu", text ? text : "", (unsigned long long)g->next_id++);
        if (text)
                cJSON_free(text);
        if (!EVP_Digest(cc_buf_str(&b), b.len, md, &mdlen, EVP_sha256(), NULL) || mdlen < 8)
                memset(md, 0x5a, 8);
        cc_buf_release(&b);
        EVP_EncodeBlock(b64, md, 8); /* 8 bytes -> 12 chars, padded */
        snprintf(out, n, "%s", (const char *)b64);
}

const struct gcp_project *
gcp_project_find(const struct gcp *g, const char *id_or_number)
{
        size_t i;

        for (i = 0; i < g->nprojects; i++)
                if (!strcmp(g->projects[i].id, id_or_number) ||
                    !strcmp(g->projects[i].number, id_or_number))
                        return &g->projects[i];
        return NULL;
}

bool
gcp_query(const struct cc_mock_req *req, const char *name, char *out, size_t n)
{
        const char *p = req->raw_query;
        size_t nlen = strlen(name);

        while (p && *p) {
                const char *amp = strchr(p, '&');
                size_t len = amp ? (size_t)(amp - p) : strlen(p);

                if (len >= nlen && !strncmp(p, name, nlen) && (len == nlen || p[nlen] == '=')) {
                        const char *v = len > nlen ? p + nlen + 1 : "";
                        size_t vlen = len > nlen ? len - nlen - 1 : 0;
                        char raw[4096];
                        char *dec;
                        int dlen = 0;
                        size_t i;

                        if (vlen >= sizeof(raw))
                                vlen = sizeof(raw) - 1;
                        memcpy(raw, v, vlen);
                        raw[vlen] = '\0';
                        for (i = 0; i < vlen; i++)
                                if (raw[i] == '+')
                                        raw[i] = ' ';
                        dec = curl_easy_unescape(NULL, raw, (int)vlen, &dlen);
                        if (!dec)
                                return false;
                        snprintf(out, n, "%.*s", dlen, dec);
                        curl_free(dec);
                        return true;
                }
                p = amp ? amp + 1 : NULL;
        }
        return false;
}

int
gcp_path_split(const char *path, char *buf, size_t bufsz, char **segs, int max)
{
        char *p, *slash;
        int n = 0;

        if (snprintf(buf, bufsz, "%s", path) >= (int)bufsz)
                return -1;
        p = buf;
        while (*p == '/')
                p++;
        while (*p) {
                if (n == max)
                        return -1;
                segs[n++] = p;
                slash = strchr(p, '/');
                if (!slash)
                        break;
                *slash = '\0';
                p = slash + 1;
        }
        return n;
}

static void
vset_error(struct cc_mock_resp *resp, int status, const char *reason, const char *rpc_status,
           const char *fmt, va_list ap)
{
        char msg[1024];
        cJSON *root = cJSON_CreateObject();
        cJSON *err = cJSON_AddObjectToObject(root, "error");

        vsnprintf(msg, sizeof(msg), fmt, ap);
        cJSON_AddNumberToObject(err, "code", status);
        cJSON_AddStringToObject(err, "message", msg);
        if (reason) {
                cJSON *errors = cJSON_AddArrayToObject(err, "errors");
                cJSON *e = cJSON_CreateObject();

                cJSON_AddStringToObject(e, "message", msg);
                cJSON_AddStringToObject(e, "domain", "global");
                cJSON_AddStringToObject(e, "reason", reason);
                cJSON_AddItemToArray(errors, e);
        }
        if (rpc_status)
                cJSON_AddStringToObject(err, "status", rpc_status);
        cc_mock_resp_json(resp, status, root);
        cJSON_Delete(root);
}

void
gcp_error_v1(struct cc_mock_resp *resp, int status, const char *reason, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vset_error(resp, status, reason, NULL, fmt, ap);
        va_end(ap);
}

void
gcp_error_rpc(struct cc_mock_resp *resp, int status, const char *rpc_status, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vset_error(resp, status, NULL, rpc_status, fmt, ap);
        va_end(ap);
}

cJSON *
gcp_parse_body(const struct cc_mock_req *req, struct cc_mock_resp *resp, bool rpc)
{
        const char *end = NULL;
        cJSON *root;

        if (!req->body_len) {
                if (rpc)
                        gcp_error_rpc(resp, 400, "INVALID_ARGUMENT", "Request body is required");
                else
                        gcp_error_v1(resp, 400, "required",
                                     "Required field 'resource' not specified");
                return NULL;
        }
        root = cJSON_ParseWithLengthOpts(req->body, req->body_len, &end, 0);
        if (!root || !cJSON_IsObject(root)) {
                size_t off = root ? 0 : (end ? (size_t)(end - req->body) : 0);

                cJSON_Delete(root);
                if (rpc)
                        gcp_error_rpc(
                            resp, 400, "INVALID_ARGUMENT",
                            "Invalid JSON payload received. Unexpected token at offset %zu", off);
                else
                        gcp_error_v1(
                            resp, 400, "parseError",
                            "Invalid JSON payload received. Unexpected token at offset %zu", off);
                return NULL;
        }
        return root;
}

void
gcp_unknown_project(struct cc_mock_resp *resp, const char *project, bool rpc)
{
        if (rpc)
                gcp_error_rpc(resp, 403, "PERMISSION_DENIED",
                              "Permission denied on resource project %s (or it may not exist).",
                              project);
        else
                gcp_error_v1(resp, 404, "notFound", "The resource 'projects/%s' was not found",
                             project);
}

void
gcp_changed(struct gcp *g)
{
        g->change_seq++;
        pthread_cond_broadcast(&g->cond);
}

const char *
gcp_jstr(const cJSON *o, const char *key)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

        return cJSON_IsString(v) ? v->valuestring : NULL;
}

cJSON *
gcp_jget(const cJSON *o, const char *key)
{
        return cJSON_GetObjectItemCaseSensitive(o, key);
}

void
gcp_jset(cJSON *o, const char *key, cJSON *v)
{
        if (!v)
                return;
        if (cJSON_GetObjectItemCaseSensitive(o, key))
                cJSON_ReplaceItemInObjectCaseSensitive(o, key, v);
        else
                cJSON_AddItemToObject(o, key, v);
}

void
gcp_arr_insert(cJSON *arr, int idx, cJSON *item)
{
        cJSON *after = cJSON_GetArrayItem(arr, idx);

        if (!item)
                return;
        if (!after) {
                cJSON_AddItemToArray(arr, item);
                return;
        }
        item->next = after;
        item->prev = after->prev;
        if (after == arr->child)
                arr->child = item;
        else
                after->prev->next = item;
        after->prev = item;
}
