/* strv.h -- a growable vector of owned C strings. */
#ifndef CC_STRV_H
#define CC_STRV_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

struct cc_strv {
        char **v; /* NULL-terminated when n > 0 */
        size_t n, cap;
};

#define CC_STRV_INIT       \
        {                  \
                NULL, 0, 0 \
        }

/* cc_strv_push -- append a copy of s.  CC_NOMEM leaves the vector intact. */
cc_err cc_strv_push(struct cc_strv *sv, const char *s);
/* cc_strv_pushf -- append a formatted string. */
cc_err cc_strv_pushf(struct cc_strv *sv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
bool cc_strv_contains(const struct cc_strv *sv, const char *s);
/* cc_strv_sort -- sort with strcmp (stable output for printing). */
void cc_strv_sort(struct cc_strv *sv);
void cc_strv_release(struct cc_strv *sv);

#endif
