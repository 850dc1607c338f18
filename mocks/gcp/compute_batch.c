/* compute_batch.c -- POST /batch/compute/v1: multipart/mixed batches of requests.
 *
 * gcloud sends one for commands that touch several resources: each part is
 * an application/http request ("POST /compute/v1/... HTTP/1.1", headers,
 * body) with a Content-ID.  Each inner request is served as if it arrived
 * on its own (cc_mocksrv_dispatch logs and counts it) and the answer is a
 * multipart/mixed body with one application/http response per part,
 * Content-ID "<response-ID>".  Parts are served in order.
 */
#include "mocks/gcp/compute.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/banned.h"

#define MAX_PARTS 1000

/* the next line in [p, end): *len excludes the line break; returns the
 * start of the following line */
static const char *
next_line(const char *p, const char *end, size_t *len)
{
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;

        *len = (size_t)(stop - p);
        if (*len && p[*len - 1] == '\r')
                (*len)--;
        return nl ? nl + 1 : end;
}

static bool
boundary_of(const struct cc_mock_req *req, char *out, size_t n)
{
        const char *ct = cc_mock_req_header(req, "Content-Type");
        const char *b = ct ? strstr(ct, "boundary=") : NULL;
        size_t len;

        if (b) {
                b += strlen("boundary=");
                if (*b == '"') {
                        const char *q = strchr(b + 1, '"');

                        if (!q)
                                return false;
                        len = (size_t)(q - b - 1);
                        b++;
                } else {
                        len = strcspn(b, "; \t");
                }
        } else {
                /* no header (an internal caller): the body's first line */
                const char *end = req->body + req->body_len;

                next_line(req->body, end, &len);
                if (len < 3 || strncmp(req->body, "--", 2))
                        return false;
                b = req->body + 2;
                len -= 2;
        }
        if (!len || len >= n)
                return false;
        snprintf(out, n, "%.*s", (int)len, b);
        return true;
}

static const char *
reason(int status)
{
        switch (status) {
        case 200:
                return "OK";
        case 204:
                return "No Content";
        case 400:
                return "Bad Request";
        case 403:
                return "Forbidden";
        case 404:
                return "Not Found";
        case 409:
                return "Conflict";
        case 412:
                return "Precondition Failed";
        case 413:
                return "Payload Too Large";
        case 429:
                return "Too Many Requests";
        default:
                return status >= 500 ? "Internal Server Error" : "Error";
        }
}

/* serve one part (an application/http request); append its response */
static void
serve_part(struct gcp_compute *c, const char *p, const char *end, struct cc_buf *out,
           const char *boundary)
{
        char content_id[256] = "", method[16] = "", target[4096] = "";
        struct cc_mock_req inner;
        struct cc_mock_resp r;
        const char *line, *path, *q;
        char *dpath = NULL, *query = NULL, *body = NULL;
        size_t len;
        int dlen = 0;

        /* MIME headers of the part */
        for (;;) {
                line = p;
                p = next_line(p, end, &len);
                if (!len)
                        break;
                if (len > 11 && !strncasecmp(line, "Content-ID:", 11)) {
                        const char *v = line + 11;
                        size_t vl = len - 11;

                        while (vl && (*v == ' ' || *v == '\t')) {
                                v++;
                                vl--;
                        }
                        if (vl >= 2 && v[0] == '<' && v[vl - 1] == '>') {
                                v++;
                                vl -= 2;
                        }
                        snprintf(content_id, sizeof(content_id), "%.*s", (int)vl, v);
                }
                if (p == end)
                        break;
        }
        /* the request line, then its headers */
        line = p;
        p = next_line(p, end, &len);
        if (sscanf(line, "%15s %4095s", method, target) != 2 || len == 0) {
                snprintf(method, sizeof(method), "%s", "");
        }
        while (p < end) {
                line = p;
                p = next_line(p, end, &len);
                if (!len)
                        break;
        }
        path = target;
        if (!strncmp(path, "http://", 7) || !strncmp(path, "https://", 8)) {
                path = strchr(strstr(path, "//") + 2, '/');
                if (!path)
                        path = "/";
        }
        q = strchr(path, '?');
        dpath = curl_easy_unescape(NULL, path, q ? (int)(q - path) : (int)strlen(path), &dlen);
        query = cc_strdup(q ? q + 1 : "");
        len = (size_t)(end - p);
        while (len && (p[len - 1] == '\n' || p[len - 1] == '\r'))
                len--;
        body = cc_strndup(p, len);

        cc_mock_resp_init(&r);
        if (!method[0] || !dpath || !query || !body) {
                gcp_error_v1(&r, 400, "badRequest", "Malformed batch part");
        } else {
                memset(&inner, 0, sizeof(inner));
                inner.method = method;
                inner.path = dpath;
                inner.raw_query = query;
                inner.body = body;
                inner.body_len = len;
                inner.internal = 1;
                if (c->g->srv)
                        cc_mocksrv_dispatch(c->g->srv, &inner, &r);
                else
                        cmp_handle(c->g, c, &inner, &r);
        }
        cc_buf_printf(out,
                      "--%s\r\nContent-Type: application/http\r\nContent-ID: <response-%s>\r\n\r\n"
                      "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                      boundary, content_id, r.status, reason(r.status),
                      r.content_type[0] ? r.content_type : "application/json; charset=UTF-8",
                      r.body.len);
        cc_buf_append(out, r.body.data ? r.body.data : "", r.body.len);
        cc_buf_puts(out, "\r\n");
        cc_mock_resp_release(&r);
        if (dpath)
                curl_free(dpath);
        cc_free(query);
        cc_free(body);
}

void
cmp_batch_handle(struct gcp_compute *c, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        char boundary[256], delim[300], out_b[64], ctype[96];
        const char *p = req->body, *end = req->body + req->body_len, *next;
        struct cc_buf out = CC_BUF_INIT(256u << 20);
        size_t dl, parts = 0, len;

        if (!boundary_of(req, boundary, sizeof(boundary))) {
                gcp_error_v1(resp, 400, "badRequest",
                             "Batch request must be multipart/mixed with a boundary");
                return;
        }
        snprintf(delim, sizeof(delim), "--%s", boundary);
        dl = strlen(delim);
        snprintf(out_b, sizeof(out_b), "batch_mock_%llu",
                 (unsigned long long)(c->g->next_id++ & 0xffffffffULL));
        /* find the first delimiter */
        p = memmem(p, (size_t)(end - p), delim, dl);
        while (p && parts < MAX_PARTS) {
                const char *start;

                p += dl;
                if (end - p >= 2 && !strncmp(p, "--", 2))
                        break; /* closing delimiter */
                start = next_line(p, end, &len);
                next = memmem(start, (size_t)(end - start), delim, dl);
                /* a delimiter only counts at the start of a line */
                while (next && next > start && next[-1] != '\n')
                        next = memmem(next + 1, (size_t)(end - next - 1), delim, dl);
                serve_part(c, start, next ? next : end, &out, out_b);
                parts++;
                p = next;
        }
        cc_buf_printf(&out, "--%s--\r\n", out_b);
        if (!parts) {
                cc_buf_release(&out);
                gcp_error_v1(resp, 400, "badRequest", "Batch request has no parts");
                return;
        }
        snprintf(ctype, sizeof(ctype), "multipart/mixed; boundary=%s", out_b);
        resp->status = 200;
        snprintf(resp->content_type, sizeof(resp->content_type), "%s", ctype);
        cc_buf_reset(&resp->body);
        cc_buf_append(&resp->body, out.data ? out.data : "", out.len);
        cc_buf_release(&out);
}
