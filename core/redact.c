/* redact.c -- header, body and URL redaction for trace logs. */
#include "core/redact.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/banned.h"

#define NAME_MAX_LEN 128

/* name[0..n) as a C string for cc_log_is_secret_key; over-long names are
 * cut, which still matches the needles near their start */
static bool
secret_name(const char *name, size_t n)
{
        char tmp[NAME_MAX_LEN];

        if (n >= sizeof(tmp))
                n = sizeof(tmp) - 1;
        memcpy(tmp, name, n);
        tmp[n] = '\0';
        return cc_log_is_secret_key(tmp);
}

/* "GET /path?query HTTP/1.1": the target's query may carry a credential */
static bool
request_line(const char *line, size_t len, size_t *tstart, size_t *tend)
{
        size_t i = 0, t;

        while (i < len && isupper((unsigned char)line[i]))
                i++;
        if (!i || i >= len || line[i] != ' ')
                return false;
        t = ++i;
        while (i < len && line[i] != ' ')
                i++;
        if (i == t || len - i < 6 || strncmp(line + i, " HTTP/", 6) != 0)
                return false;
        *tstart = t;
        *tend = i;
        return true;
}

cc_err
cc_redact_header_line(struct cc_buf *out, const char *line, size_t len)
{
        const char *colon = memchr(line, ':', len);
        size_t ts, te;
        char *target;
        cc_err rc;

        if (request_line(line, len, &ts, &te)) {
                target = cc_strndup(line + ts, te - ts);
                if (!target) {
                        cc_buf_release(out);
                        return CC_NOMEM;
                }
                rc = cc_buf_append(out, line, ts);
                if (rc == CC_OK)
                        rc = cc_redact_url(out, target);
                if (rc == CC_OK)
                        rc = cc_buf_append(out, line + te, len - te);
                cc_free(target);
                return rc;
        }
        if (!colon || colon == line)
                return cc_buf_append(out, line, len);
        if (!secret_name(line, (size_t)(colon - line)))
                return cc_buf_append(out, line, len);
        rc = cc_buf_append(out, line, (size_t)(colon - line) + 1);
        if (rc == CC_OK)
                rc = cc_buf_puts(out, " " CC_REDACTED);
        return rc;
}

static void
redact_json(cJSON *node)
{
        cJSON *c, *next, *rep;

        for (c = node ? node->child : NULL; c; c = next) {
                next = c->next;
                if (!c->string || !cc_log_is_secret_key(c->string)) {
                        redact_json(c);
                        continue;
                }
                rep = cJSON_CreateString(CC_REDACTED);
                if (rep) {
                        /* the replacement takes over the member name */
                        rep->string = c->string;
                        rep->type |= c->type & cJSON_StringIsConst;
                        c->string = NULL;
                        cJSON_ReplaceItemViaPointer(node, c, rep);
                } else {
                        /* no memory for the marker: never show the value */
                        while (c->child)
                                cJSON_Delete(cJSON_DetachItemViaPointer(c, c->child));
                        c->type = cJSON_NULL;
                }
        }
}

static bool
looks_json(const char *ct, const char *body, size_t len)
{
        size_t i;

        if (ct && strstr(ct, "json"))
                return true;
        for (i = 0; i < len && isspace((unsigned char)body[i]); i++)
                ;
        return i < len && (body[i] == '{' || body[i] == '[');
}

static bool
looks_form(const char *ct, const char *body, size_t len)
{
        size_t i;

        if (ct && strstr(ct, "x-www-form-urlencoded"))
                return true;
        /* name=value&... : one token of visible characters, no markup */
        for (i = 0; i < len; i++) {
                unsigned char ch = (unsigned char)body[i];

                if (ch <= 0x20 || ch >= 0x7f || ch == '"' || ch == '<' || ch == '{')
                        return false;
        }
        return len > 0 && memchr(body, '=', len) != NULL;
}

static bool
printable(const char *body, size_t len)
{
        size_t i;

        for (i = 0; i < len; i++) {
                unsigned char ch = (unsigned char)body[i];

                if (ch < 0x20 && ch != '\n' && ch != '\r' && ch != '\t')
                        return false;
        }
        return true;
}

/* a=b&c=d with secret values redacted */
static cc_err
redact_pairs(struct cc_buf *out, const char *s, size_t len, char sep)
{
        const char *p = s, *end = s + len;
        cc_err rc = CC_OK;

        while (p < end && rc == CC_OK) {
                const char *amp = memchr(p, sep, (size_t)(end - p));
                const char *fe = amp ? amp : end;
                const char *eq = memchr(p, '=', (size_t)(fe - p));

                if (eq && secret_name(p, (size_t)(eq - p))) {
                        rc = cc_buf_append(out, p, (size_t)(eq - p) + 1);
                        if (rc == CC_OK)
                                rc = cc_buf_puts(out, CC_REDACTED);
                } else {
                        rc = cc_buf_append(out, p, (size_t)(fe - p));
                }
                if (rc == CC_OK && amp)
                        rc = cc_buf_putc(out, sep);
                p = amp ? amp + 1 : end;
        }
        return rc;
}

static cc_err
append_capped(struct cc_buf *out, const char *s, size_t len, size_t max_shown)
{
        cc_err rc;

        if (len <= max_shown)
                return cc_buf_append(out, s, len);
        rc = cc_buf_append(out, s, max_shown);
        if (rc == CC_OK)
                rc = cc_buf_printf(out, "...(%zu bytes)", len);
        return rc;
}

cc_err
cc_redact_body(struct cc_buf *out, const char *content_type, const char *body, size_t len,
               size_t max_shown)
{
        struct cc_buf tmp = CC_BUF_INIT(0);
        cJSON *tree = NULL;
        char *text = NULL;
        cc_err rc = CC_OK;

        if (!len)
                goto out;
        if (looks_json(content_type, body, len)) {
                tree = cJSON_ParseWithLength(body, len);
                if (tree) {
                        redact_json(tree);
                        text = cJSON_PrintUnformatted(tree);
                }
                if (!text) {
                        /* unparseable, or no memory to redact it: show nothing */
                        rc = cc_buf_printf(out, "[%zu bytes of json not shown]", len);
                        goto out;
                }
                rc = append_capped(out, text, strlen(text), max_shown);
        } else if (looks_form(content_type, body, len)) {
                rc = redact_pairs(&tmp, body, len, '&');
                if (rc == CC_OK)
                        rc = append_capped(out, tmp.data, tmp.len, max_shown);
        } else if (printable(body, len)) {
                rc = append_capped(out, body, len, max_shown);
        } else {
                rc = cc_buf_printf(out, "[%zu bytes of binary data]", len);
        }
out:
        cJSON_Delete(tree);
        cc_free(text);
        cc_buf_release(&tmp);
        return rc;
}

cc_err
cc_redact_url(struct cc_buf *out, const char *url)
{
        const char *scheme = strstr(url, "://");
        const char *host = scheme ? scheme + 3 : url;
        const char *path = host + strcspn(host, "/?#");
        const char *at = memchr(host, '@', (size_t)(path - host));
        const char *q = strchr(url, '?');
        const char *frag;
        cc_err rc;

        if (at) {
                rc = cc_buf_append(out, url, (size_t)(host - url));
                if (rc == CC_OK)
                        rc = cc_buf_puts(out, CC_REDACTED "@");
                if (rc == CC_OK)
                        rc = cc_buf_append(out, at + 1,
                                           (size_t)((q ? q : path + strlen(path)) - (at + 1)));
        } else {
                rc = cc_buf_append(out, url, (size_t)((q ? q : url + strlen(url)) - url));
        }
        if (rc != CC_OK || !q)
                return rc;
        frag = strchr(q, '#');
        rc = cc_buf_putc(out, '?');
        if (rc == CC_OK)
                rc = redact_pairs(out, q + 1, (size_t)((frag ? frag : q + strlen(q)) - (q + 1)),
                                  '&');
        if (rc == CC_OK && frag)
                rc = cc_buf_puts(out, frag);
        return rc;
}

cc_err
cc_redact_scrub(struct cc_buf *buf, const char *needle, size_t nlen)
{
        struct cc_buf tmp = CC_BUF_INIT(buf->max);
        const char *p, *end, *hit;
        cc_err rc = CC_OK;

        if (!needle || nlen < 4 || !buf->len || !memmem(buf->data, buf->len, needle, nlen))
                goto out;
        p = buf->data;
        end = buf->data + buf->len;
        while (rc == CC_OK && (hit = memmem(p, (size_t)(end - p), needle, nlen))) {
                rc = cc_buf_append(&tmp, p, (size_t)(hit - p));
                if (rc == CC_OK)
                        rc = cc_buf_puts(&tmp, CC_REDACTED);
                p = hit + nlen;
        }
        if (rc == CC_OK)
                rc = cc_buf_append(&tmp, p, (size_t)(end - p));
        if (rc != CC_OK) {
                cc_buf_release(buf);
                goto out;
        }
        cc_buf_release(buf);
        *buf = tmp;
        tmp.data = NULL;
out:
        cc_buf_release(&tmp);
        return rc;
}
