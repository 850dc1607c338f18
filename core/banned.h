/* banned.h -- functions that must not be used in cloudctl.
 *
 * Include it last, after every system header: it turns a call to a banned
 * function into a compile error naming the replacement.  scripts/check
 * enforces the same list textually, so a file that forgets to include this
 * header is still caught.
 *
 *   sprintf, vsprintf  -> snprintf into a fixed array, or struct cc_buf
 *   strcpy, strcat     -> cc_buf, snprintf, memcpy with a known length
 *   strncpy, strncat   -> same (they truncate silently or don't terminate)
 *   gets               -> never
 *   strtok             -> not reentrant; parse with strchr/strspn
 *   malloc, realloc... -> cc_malloc/cc_realloc/cc_free (core/alloc.h), so that
 *                         tests can fail the Nth allocation
 */
#ifndef CC_BANNED_H
#define CC_BANNED_H

#define CC_BANNED(func) sorry_##func##_is_banned_in_cloudctl

#undef sprintf
#define sprintf(...) CC_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) CC_BANNED(vsprintf)
#undef strcpy
#define strcpy(x, y) CC_BANNED(strcpy)
#undef strcat
#define strcat(x, y) CC_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) CC_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) CC_BANNED(strncat)
#undef gets
#define gets(x) CC_BANNED(gets)
#undef strtok
#define strtok(x, y) CC_BANNED(strtok)

#ifndef CC_ALLOC_IMPL
#undef malloc
#define malloc(n) CC_BANNED(malloc)
#undef calloc
#define calloc(n, m) CC_BANNED(calloc)
#undef realloc
#define realloc(p, n) CC_BANNED(realloc)
#undef free
#define free(p) CC_BANNED(free)
#undef strdup
#define strdup(s) CC_BANNED(strdup)
#endif

#endif
