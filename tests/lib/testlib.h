/* testlib.h -- helpers shared by cloudctl's cmocka tests.
 *
 * Include after <stdarg.h>, <stddef.h>, <setjmp.h> and <cmocka.h>.
 */
#ifndef CC_TESTLIB_H
#define CC_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/* Log capture: every line logged while capturing is appended to the
 * capture buffer, newline-separated. */
void cc_test_log_capture_start(const char *spec);
const char *cc_test_log_captured(void);
void cc_test_log_capture_stop(void);

/* cc_test_path -- "<source dir>/<rel>" in a static buffer (tests only). */
const char *cc_test_path(const char *rel);

/* cc_test_read_file -- whole file into a cc_malloc'd string or NULL. */
char *cc_test_read_file(const char *path, size_t *len);

/* cc_test_tmpdir -- a fresh private directory, removed at exit. */
const char *cc_test_tmpdir(void);

/* cc_test_http -- one blocking request from the test side (10 s timeout):
 * method url, the server's CA file and a bearer token (both may be NULL),
 * Content-Type ctype (NULL: application/json) and an optional body; the
 * answer parsed as JSON into *out when out is non-NULL (NULL when it is
 * not JSON).  Returns the HTTP status, 0 when no answer came. */
struct cJSON;
long cc_test_http(const char *method, const char *url, const char *cafile, const char *bearer,
                  const char *ctype, const char *body, struct cJSON **out);

#endif
