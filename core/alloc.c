/* alloc.c -- allocation wrappers with a failure-injection hook. */
#define CC_ALLOC_IMPL 1
#include "core/alloc.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

static unsigned long alloc_count;
static unsigned long fail_at;
static bool fail_persistent;
static bool fail_fired;

static bool
should_fail(void)
{
        alloc_count++;
        if (!fail_at)
                return false;
        if (alloc_count == fail_at || (fail_persistent && alloc_count > fail_at)) {
                fail_fired = true;
                return true;
        }
        return false;
}

void
cc_alloc_fail_at(unsigned long n, bool persistent)
{
        alloc_count = 0;
        fail_at = n;
        fail_persistent = persistent;
        fail_fired = false;
}

unsigned long
cc_alloc_count(void)
{
        return alloc_count;
}

void
cc_alloc_reset_count(void)
{
        alloc_count = 0;
}

bool
cc_alloc_failed(void)
{
        return fail_fired;
}

void *
cc_malloc(size_t n)
{
        if (should_fail())
                return NULL;
        return malloc(n ? n : 1);
}

void *
cc_calloc(size_t count, size_t size)
{
        if (should_fail())
                return NULL;
        if (!count || !size)
                count = size = 1;
        return calloc(count, size);
}

void *
cc_realloc(void *p, size_t n)
{
        if (should_fail())
                return NULL;
        return realloc(p, n ? n : 1);
}

void
cc_free(void *p)
{
        free(p);
}

char *
cc_strdup(const char *s)
{
        if (!s)
                return NULL;
        return cc_memdup(s, strlen(s) + 1);
}

char *
cc_strndup(const char *s, size_t n)
{
        const char *end;
        char *out;

        if (!s)
                return NULL;
        end = memchr(s, '\0', n);
        if (end)
                n = (size_t)(end - s);
        if (n == SIZE_MAX)
                return NULL;
        out = cc_malloc(n + 1);
        if (!out)
                return NULL;
        memcpy(out, s, n);
        out[n] = '\0';
        return out;
}

void *
cc_memdup(const void *p, size_t n)
{
        void *out = cc_malloc(n);

        if (out && n)
                memcpy(out, p, n);
        return out;
}

bool
cc_mul_overflows(size_t a, size_t b, size_t *out)
{
        size_t r;

        if (__builtin_mul_overflow(a, b, &r))
                return true;
        if (out)
                *out = r;
        return false;
}

cc_err
cc_grow(void **pp, size_t *cap, size_t need, size_t elem)
{
        size_t ncap, bytes;
        void *np;

        if (need <= *cap)
                return CC_OK;
        ncap = *cap ? *cap : 8;
        while (ncap < need) {
                if (ncap > SIZE_MAX / 2)
                        return CC_NOMEM;
                ncap *= 2;
        }
        if (cc_mul_overflows(ncap, elem, &bytes))
                return CC_NOMEM;
        np = cc_realloc(*pp, bytes);
        if (!np)
                return CC_NOMEM;
        *pp = np;
        *cap = ncap;
        return CC_OK;
}

/* curl wants a calloc with its own signature and a strdup. */
static void *
curl_calloc_cb(size_t n, size_t size)
{
        return cc_calloc(n, size);
}

static char *
curl_strdup_cb(const char *s)
{
        return cc_strdup(s);
}

cc_err
cc_alloc_init(void)
{
        static bool done;
        cJSON_Hooks hooks = { .malloc_fn = cc_malloc, .free_fn = cc_free };

        if (done)
                return CC_OK;
        cJSON_InitHooks(&hooks);
        if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, cc_malloc, cc_free, cc_realloc,
                                 curl_strdup_cb, curl_calloc_cb) != CURLE_OK)
                return CC_INTERNAL;
        done = true;
        return CC_OK;
}
