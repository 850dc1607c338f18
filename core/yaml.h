/* yaml.h -- YAML streams to cJSON trees, the way Kubernetes reads manifests.
 *
 * cc_yaml_to_json turns a YAML stream into JSON values with the semantics of
 * sigs.k8s.io/yaml (go-yaml v2, YAML 1.1 resolution, then JSON):
 *
 * - Plain (unquoted, untagged) scalars are resolved: null is "", "~",
 *   null/Null/NULL; booleans are y/Y/yes/Yes/YES/true/True/TRUE/on/On/ON and
 *   n/N/no/No/NO/false/False/FALSE/off/Off/OFF; integers are decimal, 0x hex,
 *   0o or leading-0 octal, 0b binary, with an optional sign and with "_"
 *   separators ignored; floats are [-+]?(.d+|d+(.d*)?)([eE][-+]?d+)?; an
 *   integer or float that overflows stays a string, as do timestamps.
 *   .inf/.nan forms are an error, since JSON cannot hold them.  Numbers are
 *   stored as doubles (cJSON), so integers beyond 2^53 lose precision.
 * - Quoted and block scalars are strings.  Tags are honoured: !!str, !!int,
 *   !!float (an integer is accepted), !!bool, !!null (must hold a null form;
 *   go-yaml v2 would keep the text), !!timestamp (kept as text); a value that
 *   does not fit its tag is an error.  !!binary is refused.  Other tags,
 *   including "!" and local ones, leave scalars as strings; tags on
 *   collections are ignored.
 * - Anchors, aliases and merge keys ("<<: *a", "<<: [*a, *b]": explicit keys
 *   win, earlier maps in a list win over later ones) are expanded.
 * - Mapping keys are turned into strings as Kubernetes does: integers in
 *   decimal, booleans as "true"/"false" (so a plain key y becomes "true"),
 *   floats in Go's shortest float32 form.  Null keys and collection keys are
 *   errors.  Explicit keys are emitted in document order, merged keys after
 *   them in byte order of the key.
 * - A duplicate key in one mapping is an error naming the key.
 *
 * Hostile input fails with an error, never a crash or a runaway: input over
 * CC_YAML_MAX_INPUT, a scalar over CC_YAML_MAX_SCALAR, nesting deeper than
 * CC_JSON_MAX_DEPTH (counting alias expansions), more than CC_YAML_MAX_NODES
 * nodes or CC_YAML_MAX_BYTES bytes of strings in total after alias expansion
 * (a "billion laughs" document stops there, before the memory is spent),
 * scalars containing a NUL, and anything libyaml refuses (invalid UTF-8,
 * syntax).
 *
 * Errors carry 1-based line and column from libyaml's marks:
 *   "yaml: line 3, column 5: mapping values are not allowed in this context"
 * Codes: CC_INVAL (syntax, typing, keys, anchors), CC_TOOBIG (the caps),
 * CC_NOMEM.  libyaml allocates with its own malloc; every cJSON node and
 * everything else goes through core/alloc.h, and every error path releases
 * all of it.
 */
#ifndef CC_YAML_H
#define CC_YAML_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/err.h"
#include "core/json.h"

#define CC_YAML_MAX_INPUT  ((size_t)16 << 20) /* bytes of YAML text */
#define CC_YAML_MAX_SCALAR ((size_t)4 << 20)  /* bytes in one scalar */
#define CC_YAML_MAX_NODES  1000000            /* nodes produced, aliases expanded */
#define CC_YAML_MAX_BYTES  ((size_t)64 << 20) /* string bytes produced, aliases expanded */

/* cc_yaml_to_json -- convert the YAML stream buf[0..len) (need not be
 * NUL-terminated).  On CC_OK *docs is a new cJSON array, freed by the caller
 * with cJSON_Delete, holding one element per document in stream order.
 * Documents whose root is null (empty, comments only, "---" alone, "~") are
 * skipped, so a stream of only those gives an empty array. */
cc_err cc_yaml_to_json(const char *buf, size_t len, cJSON **docs, struct cc_diag *d);

/* cc_yaml_load_file -- read path (at most CC_YAML_MAX_INPUT bytes) and
 * convert it like cc_yaml_to_json.  Content whose first non-blank character
 * is '{' is read as one JSON document (kubectl does the same sniffing); any
 * other content as YAML, of which JSON arrays are a subset.  Errors are
 * prefixed with the file: "cannot load 'gw.yaml': yaml: line 3, ...".
 * Extra codes: CC_NOTFOUND (no such file), CC_IO. */
cc_err cc_yaml_load_file(const char *path, cJSON **docs, struct cc_diag *d);

#endif
