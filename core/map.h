/* map.h -- a string-keyed hash map (open addressing, linear probing).
 *
 * Keys are copied and owned by the map; values are borrowed pointers.
 * Deletion uses tombstones; the table grows at 70% load.
 */
#ifndef CC_MAP_H
#define CC_MAP_H

#include <stddef.h>

#include "core/err.h"

struct cc_map_slot {
        char *key; /* NULL = empty; CC_MAP_TOMBSTONE = deleted */
        void *value;
        size_t hash;
};

struct cc_map {
        struct cc_map_slot *slots;
        size_t cap;  /* power of two, or 0 */
        size_t n;    /* live entries */
        size_t used; /* live + tombstones */
};

#define CC_MAP_INIT           \
        {                     \
                NULL, 0, 0, 0 \
        }

/* cc_map_put -- insert or replace.  On CC_NOMEM the map is unchanged. */
cc_err cc_map_put(struct cc_map *m, const char *key, void *value);
void *cc_map_get(const struct cc_map *m, const char *key);
/* cc_map_del -- remove; returns the old value or NULL. */
void *cc_map_del(struct cc_map *m, const char *key);
void cc_map_release(struct cc_map *m);

/* iteration: for (i = 0; cc_map_next(m, &i, &k, &v);) */
int cc_map_next(const struct cc_map *m, size_t *iter, const char **key, void **value);

#endif
