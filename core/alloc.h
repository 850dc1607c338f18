/* alloc.h -- the only way cloudctl allocates heap memory.
 *
 * All heap memory goes through these wrappers so that a test can make the
 * Nth allocation fail (cc_alloc_fail_at) and prove that every error path
 * releases what it took.  cc_alloc_init() also routes cJSON's and libcurl's
 * allocations here, so their failures are injected too.
 *
 * The test hook is process-global and not thread-safe: it exists for tests,
 * which run the code under test on one thread.
 */
#ifndef CC_ALLOC_H
#define CC_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

void *cc_malloc(size_t n);
void *cc_calloc(size_t count, size_t size);
void *cc_realloc(void *p, size_t n); /* on failure returns NULL and leaves p alone */
void cc_free(void *p);
char *cc_strdup(const char *s);            /* NULL in, NULL out */
char *cc_strndup(const char *s, size_t n); /* copies at most n bytes, always terminated */
void *cc_memdup(const void *p, size_t n);

/* CC_FREE -- free and set to NULL. */
#define CC_FREE(p)          \
        do {                \
                cc_free(p); \
                (p) = NULL; \
        } while (0)

/* cc_grow -- make room for at least `need` elements of `elem` bytes in the
 * array *pp of capacity *cap (in elements).  Grows geometrically; refuses
 * sizes that overflow size_t.  On failure *pp and *cap are untouched.
 * Returns CC_OK or CC_NOMEM. */
cc_err cc_grow(void **pp, size_t *cap, size_t need, size_t elem);

/* CC_GROW -- type-safe-ish wrapper: CC_GROW(arr, cap, need). */
#define CC_GROW(arr, cap, need) cc_grow((void **)&(arr), &(cap), (need), sizeof(*(arr)))

/* cc_mul_overflows -- true when a * b does not fit in size_t. */
bool cc_mul_overflows(size_t a, size_t b, size_t *out);

/* --- test hooks ---------------------------------------------------------- */

/* cc_alloc_fail_at -- make the nth allocation from now (1-based) fail; 0
 * disables.  With persistent, every allocation from the nth on fails. */
void cc_alloc_fail_at(unsigned long n, bool persistent);

/* cc_alloc_count -- allocations attempted since the last cc_alloc_reset_count. */
unsigned long cc_alloc_count(void);
void cc_alloc_reset_count(void);

/* cc_alloc_failed -- true if an injected failure has fired since the hook was set. */
bool cc_alloc_failed(void);

/* cc_alloc_init -- route cJSON and curl through the wrappers.  Call once at
 * start, before any other thread exists.  Returns CC_OK or CC_INTERNAL. */
cc_err cc_alloc_init(void);

#endif
