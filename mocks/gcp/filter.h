/* filter.h -- the Compute list `filter=` expression language.
 *
 * Two dialects, never mixed in one expression (mixing is an error):
 *
 *   legacy (what gcloud sends):  field eq|ne literal, several terms each in
 *     parentheses and juxtaposed (AND).  The literal (bare, 'single' or
 *     "double" quoted) is a regular expression that must match the whole
 *     field value; glibc ERE with its GNU extensions (\b, \w) stands in
 *     for RE2.  `ne` is the negation.
 *
 *   AIP-160:  field = "x", field != x, field : x (substring / element /
 *     key; `:*` = present), field < <= > >= n (numbers compare as
 *     numbers), AND, OR, NOT, -term, parentheses; juxtaposition is AND.
 *     `=` with a `*` in the value is a glob.
 *
 * Field paths are dotted (`labels.env`, `httpHealthCheck.port`); an array
 * on the way matches when any element matches.  Numbers and booleans
 * compare by their JSON text.  A missing field is "" for legacy terms and
 * fails every AIP comparison except != .
 */
#ifndef CC_MOCK_GCP_FILTER_H
#define CC_MOCK_GCP_FILTER_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "core/err.h"

struct gcp_filter;

/* gcp_filter_parse -- compile text ("" or only spaces = match everything).
 * On error returns CC_INVAL (or CC_NOMEM) with a message in d and leaves
 * *out alone.  Free the result with gcp_filter_free. */
cc_err gcp_filter_parse(const char *text, struct gcp_filter **out, struct cc_diag *d);

/* gcp_filter_match -- does the JSON object satisfy the filter? */
bool gcp_filter_match(const struct gcp_filter *f, const cJSON *obj);

/* gcp_filter_free -- NULL-safe. */
void gcp_filter_free(struct gcp_filter *f);

#endif
