/* buf.h -- a size-capped growable byte buffer (strbuf/dynbuf style).
 *
 * Every buffer has a cap, set at init, that it never grows past: an append
 * that would exceed it fails with CC_TOOBIG and, like an append that fails
 * with CC_NOMEM, releases the buffer (so a half-built string is never used
 * by mistake).  The contents are always NUL-terminated when non-empty
 * storage exists; cc_buf_str() never returns NULL.
 *
 * Lifecycle: cc_buf_init() -> appends -> cc_buf_release() (frees, back to
 * the init state) or cc_buf_detach() (hands the bytes to the caller).
 */
#ifndef CC_BUF_H
#define CC_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "core/err.h"

struct cc_buf {
        char *data;
        size_t len;
        size_t cap; /* allocated bytes, including room for the NUL */
        size_t max; /* the most bytes len may reach */
};

#define CC_BUF_MAX_DEFAULT ((size_t)64 << 20)
#define CC_BUF_INIT(max)                                               \
        {                                                              \
                NULL, 0, 0, (max) ? (size_t)(max) : CC_BUF_MAX_DEFAULT \
        }

void cc_buf_init(struct cc_buf *b, size_t max);
void cc_buf_release(struct cc_buf *b);
/* cc_buf_reset -- keep the storage, drop the contents. */
void cc_buf_reset(struct cc_buf *b);

cc_err cc_buf_append(struct cc_buf *b, const void *data, size_t len);
cc_err cc_buf_puts(struct cc_buf *b, const char *s);
cc_err cc_buf_putc(struct cc_buf *b, char c);
cc_err cc_buf_printf(struct cc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
cc_err cc_buf_vprintf(struct cc_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* cc_buf_str -- the contents as a C string ("" when empty). */
const char *cc_buf_str(const struct cc_buf *b);

/* cc_buf_detach -- give the contents to the caller (free with cc_free) and
 * reset the buffer.  Returns an allocated "" for an empty buffer, or NULL on
 * allocation failure. */
char *cc_buf_detach(struct cc_buf *b, size_t *len);

/* cc_buf_consume -- drop the first n bytes (n > len drops everything). */
void cc_buf_consume(struct cc_buf *b, size_t n);

#endif
