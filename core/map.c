/* map.c -- string-keyed hash map with open addressing. */
#include "core/map.h"

#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "core/banned.h"

static char tombstone;
#define TOMB (&tombstone)

static size_t
hash_str(const char *s)
{
        /* FNV-1a, 64-bit */
        uint64_t h = 1469598103934665603ULL;

        while (*s) {
                h ^= (unsigned char)*s++;
                h *= 1099511628211ULL;
        }
        return (size_t)h;
}

static struct cc_map_slot *
find(const struct cc_map *m, const char *key, size_t h)
{
        size_t mask, i;

        if (!m->cap)
                return NULL;
        mask = m->cap - 1;
        for (i = h & mask;; i = (i + 1) & mask) {
                struct cc_map_slot *s = &m->slots[i];

                if (!s->key)
                        return NULL;
                if (s->key != TOMB && s->hash == h && !strcmp(s->key, key))
                        return s;
        }
}

static cc_err
rehash(struct cc_map *m, size_t ncap)
{
        struct cc_map_slot *ns;
        size_t i, mask = ncap - 1;

        if (cc_mul_overflows(ncap, sizeof(*ns), NULL))
                return CC_NOMEM;
        ns = cc_calloc(ncap, sizeof(*ns));
        if (!ns)
                return CC_NOMEM;
        for (i = 0; i < m->cap; i++) {
                struct cc_map_slot *s = &m->slots[i];
                size_t j;

                if (!s->key || s->key == TOMB)
                        continue;
                for (j = s->hash & mask; ns[j].key; j = (j + 1) & mask)
                        ;
                ns[j] = *s;
        }
        cc_free(m->slots);
        m->slots = ns;
        m->cap = ncap;
        m->used = m->n;
        return CC_OK;
}

cc_err
cc_map_put(struct cc_map *m, const char *key, void *value)
{
        size_t h = hash_str(key), mask, i;
        struct cc_map_slot *s = find(m, key, h);
        char *copy;

        if (s) {
                s->value = value;
                return CC_OK;
        }
        if ((m->used + 1) * 10 >= m->cap * 7) {
                size_t ncap = m->cap ? m->cap : 16;

                /* grow only if live entries need it; otherwise just drop tombstones */
                while ((m->n + 1) * 10 >= ncap * 7)
                        ncap *= 2;
                if (rehash(m, ncap))
                        return CC_NOMEM;
        }
        copy = cc_strdup(key);
        if (!copy)
                return CC_NOMEM;
        mask = m->cap - 1;
        for (i = h & mask; m->slots[i].key && m->slots[i].key != TOMB; i = (i + 1) & mask)
                ;
        if (!m->slots[i].key)
                m->used++;
        m->slots[i].key = copy;
        m->slots[i].value = value;
        m->slots[i].hash = h;
        m->n++;
        return CC_OK;
}

void *
cc_map_get(const struct cc_map *m, const char *key)
{
        struct cc_map_slot *s = find(m, key, hash_str(key));

        return s ? s->value : NULL;
}

void *
cc_map_del(struct cc_map *m, const char *key)
{
        struct cc_map_slot *s = find(m, key, hash_str(key));
        void *v;

        if (!s)
                return NULL;
        v = s->value;
        cc_free(s->key);
        s->key = TOMB;
        s->value = NULL;
        m->n--;
        return v;
}

void
cc_map_release(struct cc_map *m)
{
        size_t i;

        for (i = 0; i < m->cap; i++)
                if (m->slots[i].key && m->slots[i].key != TOMB)
                        cc_free(m->slots[i].key);
        cc_free(m->slots);
        m->slots = NULL;
        m->cap = m->n = m->used = 0;
}

int
cc_map_next(const struct cc_map *m, size_t *iter, const char **key, void **value)
{
        while (*iter < m->cap) {
                struct cc_map_slot *s = &m->slots[(*iter)++];

                if (s->key && s->key != TOMB) {
                        if (key)
                                *key = s->key;
                        if (value)
                                *value = s->value;
                        return 1;
                }
        }
        return 0;
}
