/* buf.c -- size-capped growable byte buffer. */
#include "core/buf.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/banned.h"

void
cc_buf_init(struct cc_buf *b, size_t max)
{
        b->data = NULL;
        b->len = 0;
        b->cap = 0;
        b->max = max ? max : CC_BUF_MAX_DEFAULT;
}

void
cc_buf_release(struct cc_buf *b)
{
        if (!b)
                return;
        cc_free(b->data);
        b->data = NULL;
        b->len = 0;
        b->cap = 0;
}

void
cc_buf_reset(struct cc_buf *b)
{
        b->len = 0;
        if (b->data)
                b->data[0] = '\0';
}

/* ensure room for `extra` more bytes plus the terminator */
static cc_err
reserve(struct cc_buf *b, size_t extra)
{
        size_t need, ncap;
        char *nd;

        if (extra > b->max || b->len > b->max - extra) {
                cc_buf_release(b);
                return CC_TOOBIG;
        }
        need = b->len + extra + 1;
        if (need <= b->cap)
                return CC_OK;
        ncap = b->cap ? b->cap : 64;
        while (ncap < need)
                ncap = ncap > ((size_t)-1) / 2 ? need : ncap * 2;
        if (ncap > b->max + 1)
                ncap = b->max + 1;
        nd = cc_realloc(b->data, ncap);
        if (!nd) {
                cc_buf_release(b);
                return CC_NOMEM;
        }
        b->data = nd;
        b->cap = ncap;
        return CC_OK;
}

cc_err
cc_buf_append(struct cc_buf *b, const void *data, size_t len)
{
        cc_err rc = reserve(b, len);

        if (rc)
                return rc;
        if (len)
                memcpy(b->data + b->len, data, len);
        b->len += len;
        b->data[b->len] = '\0';
        return CC_OK;
}

cc_err
cc_buf_puts(struct cc_buf *b, const char *s)
{
        return cc_buf_append(b, s, strlen(s));
}

cc_err
cc_buf_putc(struct cc_buf *b, char c)
{
        return cc_buf_append(b, &c, 1);
}

cc_err
cc_buf_vprintf(struct cc_buf *b, const char *fmt, va_list ap)
{
        va_list cp;
        int n;
        cc_err rc;

        va_copy(cp, ap);
        n = vsnprintf(NULL, 0, fmt, cp);
        va_end(cp);
        if (n < 0)
                return CC_INVAL;
        rc = reserve(b, (size_t)n);
        if (rc)
                return rc;
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        b->len += (size_t)n;
        return CC_OK;
}

cc_err
cc_buf_printf(struct cc_buf *b, const char *fmt, ...)
{
        va_list ap;
        cc_err rc;

        va_start(ap, fmt);
        rc = cc_buf_vprintf(b, fmt, ap);
        va_end(ap);
        return rc;
}

const char *
cc_buf_str(const struct cc_buf *b)
{
        return b->data ? b->data : "";
}

char *
cc_buf_detach(struct cc_buf *b, size_t *len)
{
        char *out = b->data;

        if (!out)
                out = cc_strdup("");
        if (out && len)
                *len = b->len;
        b->data = NULL;
        b->len = 0;
        b->cap = 0;
        return out;
}

void
cc_buf_consume(struct cc_buf *b, size_t n)
{
        if (n >= b->len) {
                cc_buf_reset(b);
                return;
        }
        memmove(b->data, b->data + n, b->len - n);
        b->len -= n;
        b->data[b->len] = '\0';
}
