/* json.h -- parsing, path access, printing and comparison on top of cJSON.
 *
 * Paths address a node from a root: dotted keys with array indexes, and
 * bracketed quoted keys for keys that contain dots or brackets:
 *
 *   metadata.name
 *   spec.listeners[2].port
 *   metadata.annotations["cloud.google.com/neg"]
 *
 * Inside quotes, a backslash escapes the next character.  A key segment
 * may not be empty.  The empty path "" addresses the root itself.  Keys
 * are compared case-sensitively (as Kubernetes does).
 *
 * Getters follow Kubernetes' view of absence: a missing key, an index past
 * the end of an array and an explicit JSON null all mean "absent".  The
 * plain getters report absence as an error (CC_NOTFOUND, "field 'x' is
 * required"); the _opt getters return CC_NOTFOUND without touching the diag,
 * so that the caller can keep a default:
 *
 *   int64_t port = 80;
 *   rc = cc_json_get_int_opt(spec, "port", 1, 65535, &port, d);
 *   if (rc == CC_NOTFOUND)
 *           rc = CC_OK;
 *
 * A node of the wrong type is CC_INVAL in both forms, with a message naming
 * the path: "field 'spec.listeners[2].port': expected integer, got string".
 * An intermediate node of the wrong type names the prefix that failed
 * ("field 'spec': expected object, got string").  A malformed path is
 * CC_INVAL ("invalid json path '...'").  Out-params are written only on
 * CC_OK.  Strings and nodes returned by getters point into the tree and live
 * as long as it does.
 *
 * Memory: all cJSON memory goes through cJSON's hooks, which cc_alloc_init()
 * routes to core/alloc.h.
 */
#ifndef CC_JSON_H
#define CC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/buf.h"
#include "core/err.h"

/* Deepest nesting of arrays and objects accepted from any document (JSON or
 * YAML), so that recursive code over a parsed tree has a bounded stack. */
#define CC_JSON_MAX_DEPTH 128

/* The size cap cc_json_parse applies when called with max == 0. */
#define CC_JSON_MAX_DEFAULT ((size_t)16 << 20)

/* Longest path (and longest key inside a path) the path functions accept. */
#define CC_JSON_PATH_MAX 512

/* cc_json_parse -- parse exactly one JSON value from buf[0..len).
 *
 * buf need not be NUL-terminated.  A UTF-8 byte order mark is skipped.  The
 * grammar is strict RFC 8259: no comments, no trailing commas, no leading
 * zeros, strings must be valid UTF-8 without raw control characters; in
 * addition "\u0000" and numbers longer than 63 characters (which cJSON
 * cannot hold) are refused, as is a number that overflows a double.
 *
 * Errors: CC_TOOBIG when len > max (max == 0 means CC_JSON_MAX_DEFAULT);
 * CC_INVAL for a syntax error, with the position:
 *   "json: line 3, column 5 (offset 27): expected ',' or '}' in object"
 * (line and column 1-based, the column counted in characters, the offset in
 * bytes from the start of buf); CC_INVAL for nesting deeper than
 * CC_JSON_MAX_DEPTH, detected before any tree is built; CC_NOMEM.
 * On CC_OK *out is a new tree the caller frees with cJSON_Delete. */
cc_err cc_json_parse(const char *buf, size_t len, size_t max, cJSON **out, struct cc_diag *d);

/* cc_json_print -- append the serialization of node to b: compact, or
 * indented with tabs when pretty.  Errors: CC_NOMEM, CC_TOOBIG (b's cap);
 * like a failed cc_buf append, a failure releases b. */
cc_err cc_json_print(const cJSON *node, bool pretty, struct cc_buf *b);

/* cc_json_equal -- deep equality: same types, strings byte-equal, numbers
 * equal as doubles, arrays element-wise in order, objects with the same set
 * of keys (in any order) mapping to equal values.  Two NULLs are equal.
 * Trees deeper than CC_JSON_MAX_DEPTH compare unequal. */
bool cc_json_equal(const cJSON *a, const cJSON *b);

/* cc_json_lookup -- the node at path, or NULL when the path is absent,
 * malformed, or crosses a node of the wrong type.  A JSON null is returned
 * as a node (use the getters for Kubernetes' null-means-absent view). */
cJSON *cc_json_lookup(const cJSON *root, const char *path);

/* Typed getters (see the top of this file for the error contract). */
cc_err cc_json_get_str(const cJSON *root, const char *path, const char **out, struct cc_diag *d);
cc_err cc_json_get_str_opt(const cJSON *root, const char *path, const char **out,
                           struct cc_diag *d);
cc_err cc_json_get_bool(const cJSON *root, const char *path, bool *out, struct cc_diag *d);
cc_err cc_json_get_bool_opt(const cJSON *root, const char *path, bool *out, struct cc_diag *d);
cc_err cc_json_get_obj(const cJSON *root, const char *path, const cJSON **out, struct cc_diag *d);
cc_err cc_json_get_obj_opt(const cJSON *root, const char *path, const cJSON **out,
                           struct cc_diag *d);
cc_err cc_json_get_arr(const cJSON *root, const char *path, const cJSON **out, struct cc_diag *d);
cc_err cc_json_get_arr_opt(const cJSON *root, const char *path, const cJSON **out,
                           struct cc_diag *d);

/* cc_json_get_int -- an integer in [min, max].  The JSON number must be
 * integral and a safe integer (|v| <= 2^53 - 1: cJSON holds numbers as
 * doubles, so larger values may already have been rounded); otherwise
 * CC_INVAL ("field 'x': expected integer, got 1.5"; "field 'x': value 70000
 * out of range [1, 65535]"). */
cc_err cc_json_get_int(const cJSON *root, const char *path, int64_t min, int64_t max, int64_t *out,
                       struct cc_diag *d);
cc_err cc_json_get_int_opt(const cJSON *root, const char *path, int64_t min, int64_t max,
                           int64_t *out, struct cc_diag *d);

/* cc_json_set -- put value at path under root, taking ownership of value in
 * every case (it is deleted on failure).  Missing intermediate keys are
 * created as objects; an index segment must name an existing array element
 * (arrays are never grown).  An existing node at path is replaced.  The
 * change is all or nothing: on failure root is as it was.
 * Errors: CC_INVAL (malformed or empty path, root or an intermediate node is
 * not an object/array as the path requires), CC_NOTFOUND (index past the
 * end), CC_NOMEM.  cc_json_set_int refuses |value| > 2^53 - 1 (CC_INVAL): a JSON
 * number held as a double cannot carry it exactly. */
cc_err cc_json_set(cJSON *root, const char *path, cJSON *value);
cc_err cc_json_set_str(cJSON *root, const char *path, const char *value);
cc_err cc_json_set_int(cJSON *root, const char *path, int64_t value);
cc_err cc_json_set_bool(cJSON *root, const char *path, bool value);

/* cc_json_type_name -- "null", "boolean", "number", "string", "array",
 * "object" (or "invalid"), for messages. */
const char *cc_json_type_name(const cJSON *node);

#endif
