/* strv.c -- a growable vector of owned C strings. */
#include "core/strv.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/banned.h"

static cc_err
push_owned(struct cc_strv *sv, char *s)
{
        if (CC_GROW(sv->v, sv->cap, sv->n + 2)) {
                cc_free(s);
                return CC_NOMEM;
        }
        sv->v[sv->n++] = s;
        sv->v[sv->n] = NULL;
        return CC_OK;
}

cc_err
cc_strv_push(struct cc_strv *sv, const char *s)
{
        char *copy = cc_strdup(s);

        if (!copy)
                return CC_NOMEM;
        return push_owned(sv, copy);
}

cc_err
cc_strv_pushf(struct cc_strv *sv, const char *fmt, ...)
{
        struct cc_buf b = CC_BUF_INIT(1 << 20);
        va_list ap;
        cc_err rc;
        char *s;

        va_start(ap, fmt);
        rc = cc_buf_vprintf(&b, fmt, ap);
        va_end(ap);
        if (rc)
                return rc;
        s = cc_buf_detach(&b, NULL);
        if (!s)
                return CC_NOMEM;
        return push_owned(sv, s);
}

bool
cc_strv_contains(const struct cc_strv *sv, const char *s)
{
        size_t i;

        for (i = 0; i < sv->n; i++)
                if (!strcmp(sv->v[i], s))
                        return true;
        return false;
}

static int
cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

void
cc_strv_sort(struct cc_strv *sv)
{
        if (sv->n > 1)
                qsort(sv->v, sv->n, sizeof(*sv->v), cmp);
}

void
cc_strv_release(struct cc_strv *sv)
{
        size_t i;

        for (i = 0; i < sv->n; i++)
                cc_free(sv->v[i]);
        cc_free(sv->v);
        sv->v = NULL;
        sv->n = sv->cap = 0;
}
