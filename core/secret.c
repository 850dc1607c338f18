/* secret.c -- credentials wiped on release. */
#include "core/secret.h"

#include <openssl/crypto.h>
#include <string.h>

#include "core/alloc.h"
#include "core/banned.h"

void
cc_wipe(void *p, size_t n)
{
        if (p && n)
                OPENSSL_cleanse(p, n);
}

void
cc_secret_release(struct cc_secret *s)
{
        if (!s)
                return;
        if (s->data) {
                cc_wipe(s->data, s->len);
                cc_free(s->data);
        }
        s->data = NULL;
        s->len = 0;
}

cc_err
cc_secret_set(struct cc_secret *s, const void *data, size_t len)
{
        char *copy;

        if (len == (size_t)-1)
                return CC_NOMEM;
        copy = cc_malloc(len + 1);
        if (!copy)
                return CC_NOMEM;
        if (len)
                memcpy(copy, data, len);
        copy[len] = '\0';
        cc_secret_release(s);
        s->data = copy;
        s->len = len;
        return CC_OK;
}

cc_err
cc_secret_set_str(struct cc_secret *s, const char *str)
{
        return cc_secret_set(s, str ? str : "", str ? strlen(str) : 0);
}

void
cc_secret_take(struct cc_secret *s, char *str, size_t len)
{
        cc_secret_release(s);
        s->data = str;
        s->len = len;
}

const char *
cc_secret_str(const struct cc_secret *s)
{
        return s->data ? s->data : "";
}

int
cc_secret_empty(const struct cc_secret *s)
{
        return !s->data || !s->len;
}
