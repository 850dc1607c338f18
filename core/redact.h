/* redact.h -- make HTTP headers, bodies and URLs safe to log.
 *
 * Used by the HTTP client's trace logging.  What counts as secret is
 * cc_log_is_secret_key() applied to header names, JSON member names, form
 * field names and URL query parameter names (Authorization, Cookie,
 * Proxy-Authorization, access_token, assertion, private_key, ...); their
 * values become [REDACTED].  When a body claims to be JSON but cannot be
 * parsed (a truncated token response, say), nothing of it is shown.
 *
 * Every function appends to out and returns CC_OK, CC_NOMEM or CC_TOOBIG
 * (out's cap); on error out is released, as cc_buf does.
 */
#ifndef CC_REDACT_H
#define CC_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/* cc_redact_header_line -- "Name: value" (no CR/LF) with a secret value
 * replaced; a line without a colon (a status line) is kept as is. */
cc_err cc_redact_header_line(struct cc_buf *out, const char *line, size_t len);

/* cc_redact_body -- body for a log line: JSON with secret members
 * redacted, form data with secret fields redacted, printable text as is,
 * binary as a byte count; at most max_shown bytes of output are added
 * (then "...(N bytes)"). content_type may be NULL. */
cc_err cc_redact_body(struct cc_buf *out, const char *content_type, const char *body, size_t len,
                      size_t max_shown);

/* cc_redact_url -- the URL with userinfo and secret query values redacted. */
cc_err cc_redact_url(struct cc_buf *out, const char *url);

/* cc_redact_scrub -- replace every occurrence of needle (a secret we know,
 * e.g. the bearer token) in buf with [REDACTED].  A last line of defence
 * for trace output; needle shorter than 4 bytes is ignored. */
cc_err cc_redact_scrub(struct cc_buf *buf, const char *needle, size_t nlen);

#endif
