/* secret.h -- a byte string holding a credential, wiped when released.
 *
 * Keys, tokens, JWT assertions and passwords live in a struct cc_secret.
 * Release overwrites the bytes with OPENSSL_cleanse before freeing, so a
 * secret does not linger in freed heap memory.  Never log cc_secret_str();
 * the logger and the HTTP layer redact known secret fields, but the rule is
 * to not hand a secret to them at all.
 */
#ifndef CC_SECRET_H
#define CC_SECRET_H

#include <stddef.h>

#include "core/err.h"

struct cc_secret {
        char *data; /* NUL-terminated; NULL when empty */
        size_t len;
};

#define CC_SECRET_INIT  \
        {               \
                NULL, 0 \
        }

/* cc_secret_set -- replace the contents with a copy of data[0..len). */
cc_err cc_secret_set(struct cc_secret *s, const void *data, size_t len);
cc_err cc_secret_set_str(struct cc_secret *s, const char *str);
/* cc_secret_take -- adopt a heap string (allocated by cc_malloc); wipes it on release. */
void cc_secret_take(struct cc_secret *s, char *str, size_t len);
const char *cc_secret_str(const struct cc_secret *s); /* "" when empty */
int cc_secret_empty(const struct cc_secret *s);
void cc_secret_release(struct cc_secret *s);

/* cc_wipe -- overwrite memory so the compiler cannot elide it. */
void cc_wipe(void *p, size_t n);

#endif
