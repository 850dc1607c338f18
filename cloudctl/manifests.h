/* manifests.h -- Kubernetes manifests from files and directories.
 *
 * `-f PATH` takes a file (YAML or JSON, multi-document, or a List) or a
 * directory (its *.yaml, *.yml and *.json files, sorted by name, not
 * recursive -- as kubectl does without -R).  Every object keeps the file it
 * came from, for error messages.
 */
#ifndef CC_MANIFESTS_H
#define CC_MANIFESTS_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "core/err.h"

struct cc_manifest {
        cJSON *obj;   /* owned */
        char *source; /* "file.yaml" or "file.yaml#2" (document index) */
};

struct cc_manifests {
        struct cc_manifest *items;
        size_t n, cap;
};

#define CC_MANIFESTS_INIT  \
        {                  \
                NULL, 0, 0 \
        }

/* cc_manifests_load -- append the objects of path (file or directory).
 * Documents that are not objects with apiVersion, kind and metadata.name
 * are errors naming the file and the document. */
cc_err cc_manifests_load(struct cc_manifests *m, const char *path, struct cc_diag *d);
void cc_manifests_release(struct cc_manifests *m);

/* cc_manifests_kind -- iterate objects of a kind: start with *i = 0. */
const struct cc_manifest *cc_manifests_next(const struct cc_manifests *m, const char *kind,
                                            size_t *i);

#endif
