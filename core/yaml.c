/* yaml.c -- YAML streams to cJSON with libyaml's event parser.
 *
 * DESIGN: events are folded straight into cJSON nodes, with an explicit
 * stack of open collections (never recursion over the input), so the depth
 * limit is a check on the stack height.  A collection is owned by its frame
 * until its end event, then handed to its parent, so an error at any point
 * frees exactly the open frames.  Anchors point at finished nodes, either in
 * the document tree or in a per-document scratch list that keeps alive the
 * nodes which are not part of the output (anchored keys, merge values);
 * nodes are never modified once finished, so an alias is a deep copy made
 * with cJSON_Duplicate.  Every node created and every string byte, whether
 * read or copied from an alias, is charged to one budget before it is
 * allocated: an anchor records the size of its subtree, so a "billion
 * laughs" stream is refused by arithmetic, not by running out of memory.
 * Duplicate keys and merge keys are settled at the end of each mapping by
 * sorting its keys, so hostile mappings with many keys stay O(n log n).
 */
#include "core/yaml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/banned.h"

#define TAG_PREFIX  "tag:yaml.org,2002:"
#define MAX_NUMERIC 1024 /* longer plain scalars are not considered as numbers */
#define MSG_KEY_MAX 64   /* how much of a key an error message quotes */

enum kind { K_NULL, K_BOOL, K_INT, K_UINT, K_FLOAT, K_STR };

struct scalar {
        enum kind kind;
        bool b;
        int64_t i;
        uint64_t u;
        double f;
};

struct anchor {
        char *name;
        const cJSON *node; /* not owned: in the tree or in the scratch list */
        size_t nodes;
        size_t bytes;
        int height; /* 0 for a scalar, 1 + the tallest child for a collection */
        bool is_float;
};

struct keyent {
        const char *key; /* the member's own key string */
        size_t order;
        yaml_mark_t mark;
};

struct mergeent {
        const char *key;
        size_t order;
        const cJSON *node;
};

struct frame {
        cJSON *node;  /* owned until the end event */
        char *anchor; /* owned */
        bool is_map;
        yaml_mark_t mark;
        size_t nodes0;
        size_t bytes0;
        int height;
        /* mappings only */
        bool have_key;
        bool key_is_merge;
        bool had_merge;
        char *key; /* owned: the pending key's string form */
        yaml_mark_t key_mark;
        size_t keys_base;
        size_t merges_base;
};

struct conv {
        const char *buf;
        size_t len;
        struct cc_diag *d;
        struct frame frames[CC_JSON_MAX_DEPTH];
        int depth;
        struct anchor *anchors;
        size_t nanchors, anchors_cap;
        size_t *slots; /* open addressing: index + 1 into anchors, 0 = free */
        size_t nslots;
        struct keyent *keys; /* explicit keys of the open mappings, stacked */
        size_t nkeys, keys_cap, key_order;
        cJSON **merges; /* owned merge values of the open mappings, stacked */
        size_t nmerges, merges_cap;
        cJSON *scratch; /* per document: anchored nodes outside the tree */
        cJSON *root;
        size_t nodes;
        size_t bytes;
};

/* --- errors ----------------------------------------------------------------- */

static cc_err __attribute__((format(printf, 4, 5)))
fail_at(struct conv *c, cc_err code, const yaml_mark_t *m, const char *fmt, ...)
{
        char msg[CC_DIAG_MSG_MAX];
        va_list ap;

        va_start(ap, fmt);
        if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
                msg[0] = '\0';
        va_end(ap);
        return cc_diag_set(c->d, code, 0, "yaml: line %zu, column %zu: %s", m->line + 1,
                           m->column + 1, msg);
}

/* offset_position -- 1-based line and column (in characters) of a byte offset */
static void
offset_position(const char *buf, size_t len, size_t off, size_t *line, size_t *col)
{
        size_t i;

        *line = 1;
        *col = 1;
        for (i = 0; i < off && i < len; i++) {
                unsigned char ch = (unsigned char)buf[i];

                if (ch == '\n') {
                        (*line)++;
                        *col = 1;
                } else if ((ch & 0xC0) != 0x80) {
                        (*col)++;
                }
        }
}

static cc_err
parser_error(struct conv *c, const yaml_parser_t *p)
{
        const char *problem = p->problem ? p->problem : "unknown problem";
        size_t line, col;

        if (p->error == YAML_MEMORY_ERROR)
                return cc_diag_set(c->d, CC_NOMEM, 0, "out of memory parsing yaml");
        if (p->error == YAML_READER_ERROR) {
                offset_position(c->buf, c->len, p->problem_offset, &line, &col);
                if (p->problem_value >= 0)
                        return cc_diag_set(c->d, CC_INVAL, 0,
                                           "yaml: line %zu, column %zu: %s (0x%02x)", line, col,
                                           problem, (unsigned)p->problem_value);
                return cc_diag_set(c->d, CC_INVAL, 0, "yaml: line %zu, column %zu: %s", line, col,
                                   problem);
        }
        if (p->context)
                return cc_diag_set(c->d, CC_INVAL, 0,
                                   "yaml: line %zu, column %zu: %s (%s at line %zu, column %zu)",
                                   p->problem_mark.line + 1, p->problem_mark.column + 1, problem,
                                   p->context, p->context_mark.line + 1,
                                   p->context_mark.column + 1);
        return cc_diag_set(c->d, CC_INVAL, 0, "yaml: line %zu, column %zu: %s",
                           p->problem_mark.line + 1, p->problem_mark.column + 1, problem);
}

/* charge -- account for nodes and string bytes about to be produced */
static cc_err
charge(struct conv *c, size_t nodes, size_t bytes, const yaml_mark_t *m)
{
        if (nodes > CC_YAML_MAX_NODES - c->nodes)
                return fail_at(c, CC_TOOBIG, m, "document expands to more than %d nodes",
                               CC_YAML_MAX_NODES);
        if (bytes > CC_YAML_MAX_BYTES - c->bytes)
                return fail_at(c, CC_TOOBIG, m, "document expands to more than %zu bytes",
                               CC_YAML_MAX_BYTES);
        c->nodes += nodes;
        c->bytes += bytes;
        return CC_OK;
}

/* --- scalar resolution (go-yaml v2's resolve()) ----------------------------- */

static const char *const true_forms[] = { "y",    "Y",    "yes", "Yes", "YES", "true",
                                          "True", "TRUE", "on",  "On",  "ON",  NULL };
static const char *const false_forms[] = { "n",     "N",     "no",  "No",  "NO",  "false",
                                           "False", "FALSE", "off", "Off", "OFF", NULL };
static const char *const null_forms[] = { "", "~", "null", "Null", "NULL", NULL };
static const char *const nan_forms[] = { ".nan", ".NaN", ".NAN", NULL };
static const char *const inf_forms[] = { ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL };
static const char *const ninf_forms[] = { "-.inf", "-.Inf", "-.INF", NULL };

static bool
in_list(const char *s, const char *const *list)
{
        for (; *list; list++)
                if (!strcmp(s, *list))
                        return true;
        return false;
}

static bool
is_digit(char ch)
{
        return ch >= '0' && ch <= '9';
}

static int
digit_value(char ch)
{
        if (ch >= '0' && ch <= '9')
                return ch - '0';
        if (ch >= 'a' && ch <= 'z')
                return ch - 'a' + 10;
        if (ch >= 'A' && ch <= 'Z')
                return ch - 'A' + 10;
        return 99;
}

/* go_parse_uint -- Go's strconv.ParseUint(s, 0, 64) */
static bool
go_parse_uint(const char *s, uint64_t *out)
{
        unsigned base = 10;
        uint64_t v = 0;
        size_t n = strlen(s);

        if (!n)
                return false;
        if (s[0] == '0') {
                char p = n >= 3 ? (char)(s[1] | 0x20) : 0;

                if (p == 'b' || p == 'o' || p == 'x') {
                        base = p == 'b' ? 2 : p == 'o' ? 8 : 16;
                        s += 2;
                } else {
                        base = 8;
                        s += 1;
                }
        }
        for (; *s; s++) {
                unsigned dv = (unsigned)digit_value(*s);

                if (dv >= base)
                        return false;
                if (v > (UINT64_MAX - dv) / base)
                        return false;
                v = v * base + dv;
        }
        *out = v;
        return true;
}

/* go_parse_int -- Go's strconv.ParseInt(s, 0, 64) */
static bool
go_parse_int(const char *s, int64_t *out)
{
        bool neg = false;
        uint64_t u;

        if (*s == '+' || *s == '-')
                neg = *s++ == '-';
        if (!go_parse_uint(s, &u))
                return false;
        if (!neg && u > (uint64_t)INT64_MAX)
                return false;
        if (neg && u > (uint64_t)INT64_MAX + 1)
                return false;
        *out = neg ? (int64_t)(0 - u) : (int64_t)u;
        return true;
}

/* yaml_style_float -- ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool
yaml_style_float(const char *s)
{
        if (*s == '+' || *s == '-')
                s++;
        if (*s == '.') {
                s++;
                if (!is_digit(*s))
                        return false;
                while (is_digit(*s))
                        s++;
        } else {
                if (!is_digit(*s))
                        return false;
                while (is_digit(*s))
                        s++;
                if (*s == '.') {
                        s++;
                        while (is_digit(*s))
                                s++;
                }
        }
        if (*s == 'e' || *s == 'E') {
                s++;
                if (*s == '+' || *s == '-')
                        s++;
                if (!is_digit(*s))
                        return false;
                while (is_digit(*s))
                        s++;
        }
        return *s == '\0';
}

/* parse_float -- strtod, refusing overflow (go-yaml keeps those as strings) */
static bool
parse_float(const char *s, double *out)
{
        double v = strtod(s, NULL);

        if (isinf(v))
                return false;
        *out = v;
        return true;
}

static void
resolve_plain(const char *v, size_t len, struct scalar *sc)
{
        char plain[MAX_NUMERIC + 1];
        size_t i, n = 0;

        sc->kind = K_STR;
        if (len && !strchr("+-0123456789yYnNtTfFoO~.", v[0]))
                return;
        if (in_list(v, null_forms)) {
                sc->kind = K_NULL;
        } else if (in_list(v, true_forms) || in_list(v, false_forms)) {
                sc->kind = K_BOOL;
                sc->b = in_list(v, true_forms);
        } else if (in_list(v, nan_forms)) {
                sc->kind = K_FLOAT;
                sc->f = NAN;
        } else if (in_list(v, inf_forms) || in_list(v, ninf_forms)) {
                sc->kind = K_FLOAT;
                sc->f = v[0] == '-' ? -INFINITY : INFINITY;
        } else if (v[0] == '.') {
                if (yaml_style_float(v) && parse_float(v, &sc->f))
                        sc->kind = K_FLOAT;
        } else if (v[0] == '+' || v[0] == '-' || is_digit(v[0])) {
                if (len > MAX_NUMERIC)
                        return;
                for (i = 0; i < len; i++)
                        if (v[i] != '_')
                                plain[n++] = v[i];
                plain[n] = '\0';
                if (go_parse_int(plain, &sc->i))
                        sc->kind = K_INT;
                else if (go_parse_uint(plain, &sc->u))
                        sc->kind = K_UINT;
                else if (yaml_style_float(plain) && parse_float(plain, &sc->f))
                        sc->kind = K_FLOAT;
        }
}

/* resolve -- the scalar's type and value from its tag, style and text */
static cc_err
resolve(struct conv *c, const yaml_event_t *ev, struct scalar *sc)
{
        const char *tag = (const char *)ev->data.scalar.tag;
        const char *v = (const char *)ev->data.scalar.value;
        size_t len = ev->data.scalar.length;
        const char *name;

        sc->kind = K_STR;
        if (!tag) {
                if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
                        resolve_plain(v, len, sc);
                return CC_OK;
        }
        if (strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) != 0)
                return CC_OK; /* "!", local and foreign tags: a string */
        name = tag + strlen(TAG_PREFIX);
        if (!strcmp(name, "binary"))
                return fail_at(c, CC_INVAL, &ev->start_mark, "unsupported tag '!!binary'");
        if (strcmp(name, "null") && strcmp(name, "bool") && strcmp(name, "int") &&
            strcmp(name, "float"))
                return CC_OK; /* !!str, !!timestamp, and collection tags on a scalar */
        resolve_plain(v, len, sc);
        if (!strcmp(name, "float") && sc->kind == K_INT) {
                sc->kind = K_FLOAT;
                sc->f = (double)sc->i;
        } else if (!strcmp(name, "float") && sc->kind == K_UINT) {
                sc->kind = K_FLOAT;
                sc->f = (double)sc->u;
        }
        if ((!strcmp(name, "null") && sc->kind != K_NULL) ||
            (!strcmp(name, "bool") && sc->kind != K_BOOL) ||
            (!strcmp(name, "int") && sc->kind != K_INT && sc->kind != K_UINT) ||
            (!strcmp(name, "float") && sc->kind != K_FLOAT))
                return fail_at(c, CC_INVAL, &ev->start_mark, "value does not match tag '!!%s'",
                               name);
        return CC_OK;
}

static cc_err
scalar_node(struct conv *c, const struct scalar *sc, const char *text, const yaml_mark_t *m,
            cJSON **out)
{
        cJSON *n = NULL;

        switch (sc->kind) {
        case K_NULL:
                n = cJSON_CreateNull();
                break;
        case K_BOOL:
                n = cJSON_CreateBool(sc->b);
                break;
        case K_INT:
                n = cJSON_CreateNumber((double)sc->i);
                break;
        case K_UINT:
                n = cJSON_CreateNumber((double)sc->u);
                break;
        case K_FLOAT:
                if (isnan(sc->f) || isinf(sc->f))
                        return fail_at(c, CC_INVAL, m, "'%s' cannot be represented in json",
                                       isnan(sc->f) ? ".nan"
                                       : sc->f > 0  ? ".inf"
                                                    : "-.inf");
                n = cJSON_CreateNumber(sc->f);
                break;
        case K_STR:
                n = cJSON_CreateString(text);
                break;
        }
        if (!n)
                return cc_diag_set(c->d, CC_NOMEM, 0, "out of memory converting yaml");
        *out = n;
        return CC_OK;
}

/* go_float32 -- Go's strconv.FormatFloat(v, 'g', -1, 32), with sigs.k8s.io/yaml's
 * spelling of the infinities and NaN */
static void
go_float32(double v, char *out, size_t n)
{
        float f = (float)v;
        char e[48];
        int prec, x;

        if (isnan(f) || isinf(f)) {
                snprintf(out, n, "%s", isnan(f) ? ".nan" : f > 0 ? ".inf" : "-.inf");
                return;
        }
        for (prec = 1; prec < 9; prec++) {
                snprintf(e, sizeof(e), "%.*e", prec - 1, (double)f);
                if (strtof(e, NULL) == f)
                        break;
        }
        snprintf(e, sizeof(e), "%.*e", prec - 1, (double)f);
        x = atoi(strchr(e, 'e') + 1);
        if (x < -4 || x >= 6)
                snprintf(out, n, "%s", e);
        else
                snprintf(out, n, "%.*f", prec - 1 - x > 0 ? prec - 1 - x : 0, (double)f);
}

/* key_from_scalar -- the string form Kubernetes gives a mapping key */
static cc_err
key_from_scalar(struct conv *c, const struct scalar *sc, const char *text, size_t len,
                const yaml_mark_t *m, char **out)
{
        char tmp[64];
        char *k;

        switch (sc->kind) {
        case K_NULL:
                return fail_at(c, CC_INVAL, m, "null mapping keys are not supported");
        case K_BOOL:
                snprintf(tmp, sizeof(tmp), "%s", sc->b ? "true" : "false");
                break;
        case K_INT:
                snprintf(tmp, sizeof(tmp), "%lld", (long long)sc->i);
                break;
        case K_UINT:
                snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)sc->u);
                break;
        case K_FLOAT:
                go_float32(sc->f, tmp, sizeof(tmp));
                break;
        case K_STR:
                k = cc_memdup(text, len + 1);
                goto done;
        }
        k = cc_strdup(tmp);
done:
        if (!k)
                return cc_diag_set(c->d, CC_NOMEM, 0, "out of memory converting yaml");
        *out = k;
        return CC_OK;
}

/* --- anchors ---------------------------------------------------------------- */

static size_t
hash_str(const char *s)
{
        size_t h = (size_t)14695981039346656037ULL;

        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * (size_t)1099511628211ULL;
        return h;
}

static struct anchor *
anchor_find(struct conv *c, const char *name)
{
        size_t h;

        if (!c->nslots)
                return NULL;
        for (h = hash_str(name) & (c->nslots - 1); c->slots[h]; h = (h + 1) & (c->nslots - 1))
                if (!strcmp(c->anchors[c->slots[h] - 1].name, name))
                        return &c->anchors[c->slots[h] - 1];
        return NULL;
}

static void
slot_insert(size_t *slots, size_t nslots, const char *name, size_t idx)
{
        size_t h;

        for (h = hash_str(name) & (nslots - 1); slots[h]; h = (h + 1) & (nslots - 1))
                ;
        slots[h] = idx + 1;
}

/* anchor_set -- define (or redefine) an anchor; takes ownership of *name */
static cc_err
anchor_set(struct conv *c, char **name, const struct anchor *val)
{
        struct anchor *a = anchor_find(c, *name);
        size_t i, nslots, *slots;

        if (a) {
                a->node = val->node;
                a->nodes = val->nodes;
                a->bytes = val->bytes;
                a->height = val->height;
                a->is_float = val->is_float;
                CC_FREE(*name);
                return CC_OK;
        }
        if (CC_GROW(c->anchors, c->anchors_cap, c->nanchors + 1))
                goto nomem;
        if ((c->nanchors + 1) * 2 > c->nslots) {
                nslots = c->nslots ? c->nslots * 2 : 16;
                slots = cc_calloc(nslots, sizeof(*slots));
                if (!slots)
                        goto nomem;
                for (i = 0; i < c->nanchors; i++)
                        slot_insert(slots, nslots, c->anchors[i].name, i);
                cc_free(c->slots);
                c->slots = slots;
                c->nslots = nslots;
        }
        a = &c->anchors[c->nanchors];
        *a = *val;
        a->name = *name;
        *name = NULL;
        slot_insert(c->slots, c->nslots, a->name, c->nanchors);
        c->nanchors++;
        return CC_OK;
nomem:
        CC_FREE(*name);
        return cc_diag_set(c->d, CC_NOMEM, 0, "out of memory converting yaml");
}

static void
anchors_clear(struct conv *c)
{
        size_t i;

        for (i = 0; i < c->nanchors; i++)
                cc_free(c->anchors[i].name);
        c->nanchors = 0;
        if (c->slots)
                memset(c->slots, 0, c->nslots * sizeof(*c->slots));
}

static cc_err
anchor_define(struct conv *c, const unsigned char *name, const struct anchor *val)
{
        char *copy;

        if (!name)
                return CC_OK;
        copy = cc_strdup((const char *)name);
        if (!copy)
                return cc_diag_set(c->d, CC_NOMEM, 0, "out of memory converting yaml");
        return anchor_set(c, &copy, val);
}

/* keep -- hand a node to the per-document scratch list (always succeeds
 * unless the list itself cannot be created, in which case node is freed) */
static cc_err
keep(struct conv *c, cJSON *node)
{
        if (!c->scratch) {
                c->scratch = cJSON_CreateArray();
                if (!c->scratch) {
                        cJSON_Delete(node);
                        return cc_diag_set(c->d, CC_NOMEM, 0, "out of memory converting yaml");
                }
        }
        cJSON_AddItemToArray(c->scratch, node);
        return CC_OK;
}

/* --- building ---------------------------------------------------------------- */

static struct frame *
top(struct conv *c)
{
        return c->depth ? &c->frames[c->depth - 1] : NULL;
}

static bool
wants_key(const struct frame *f)
{
        return f && f->is_map && !f->have_key;
}

/* put_node -- attach a finished value to the open collection (or make it
 * the document root).  Takes ownership of node in every case. */
static cc_err
put_node(struct conv *c, cJSON *node, int height, const yaml_mark_t *m)
{
        struct frame *f = top(c);
        const cJSON *e;
        cc_err rc = CC_OK;

        if (!f) {
                cJSON_Delete(c->root);
                c->root = node;
                return CC_OK;
        }
        if (f->height < height + 1)
                f->height = height + 1;
        if (!f->is_map) {
                cJSON_AddItemToArray(f->node, node);
                return CC_OK;
        }
        if (f->key_is_merge) {
                bool ok = cJSON_IsObject(node) || cJSON_IsArray(node);

                for (e = cJSON_IsArray(node) ? node->child : NULL; e; e = e->next)
                        ok = ok && cJSON_IsObject(e);
                if (!ok) {
                        rc = fail_at(c, CC_INVAL, &f->key_mark,
                                     "map merge requires a mapping or a sequence of mappings "
                                     "as the value");
                        goto fail;
                }
                if (CC_GROW(c->merges, c->merges_cap, c->nmerges + 1))
                        goto nomem;
                c->merges[c->nmerges++] = node;
        } else {
                if (CC_GROW(c->keys, c->keys_cap, c->nkeys + 1))
                        goto nomem;
                if (!cJSON_AddItemToObject(f->node, f->key, node))
                        goto nomem;
                c->keys[c->nkeys].key = node->string;
                c->keys[c->nkeys].order = c->key_order++;
                c->keys[c->nkeys].mark = f->key_mark;
                c->nkeys++;
                CC_FREE(f->key);
        }
        f->have_key = false;
        f->key_is_merge = false;
        return CC_OK;
nomem:
        rc = cc_diag_set(c->d, CC_NOMEM, 0, "out of memory converting yaml");
fail:
        cJSON_Delete(node);
        return rc;
}

/* measure -- nodes and string bytes of the subtree at n (recursion is
 * bounded: trees are at most CC_JSON_MAX_DEPTH deep) */
static void
measure(const cJSON *n, size_t *nodes, size_t *bytes)
{
        const cJSON *ch;

        (*nodes)++;
        if (n->valuestring)
                *bytes += strlen(n->valuestring);
        for (ch = n->child; ch; ch = ch->next) {
                if (ch->string)
                        *bytes += strlen(ch->string);
                measure(ch, nodes, bytes);
        }
}

static int
cmp_keyent(const void *a, const void *b)
{
        const struct keyent *x = a, *y = b;
        int r = strcmp(x->key, y->key);

        if (r)
                return r;
        return x->order < y->order ? -1 : x->order > y->order;
}

static int
cmp_mergeent(const void *a, const void *b)
{
        const struct mergeent *x = a, *y = b;
        int r = strcmp(x->key, y->key);

        if (r)
                return r;
        return x->order < y->order ? -1 : x->order > y->order;
}

static int
cmp_key_only(const void *key, const void *ent)
{
        return strcmp(key, ((const struct keyent *)ent)->key);
}

static size_t
merge_candidates(cJSON *const *vals, size_t nvals, struct mergeent *out)
{
        size_t i, n = 0;
        const cJSON *m, *e;

        for (i = 0; i < nvals; i++) {
                m = cJSON_IsArray(vals[i]) ? vals[i]->child : vals[i];
                for (; m; m = cJSON_IsArray(vals[i]) ? m->next : NULL) {
                        for (e = m->child; e; e = e->next) {
                                if (out) {
                                        out[n].key = e->string;
                                        out[n].order = n;
                                        out[n].node = e;
                                }
                                n++;
                        }
                }
        }
        return n;
}

/* finish_map -- refuse duplicate keys, then apply merge keys */
static cc_err
finish_map(struct conv *c, struct frame *f)
{
        struct keyent *ents = c->keys + f->keys_base;
        size_t nents = c->nkeys - f->keys_base;
        size_t nvals = c->nmerges - f->merges_base;
        struct mergeent *cands = NULL;
        size_t i, ncands, bytes;
        cJSON *dup = NULL;
        cc_err rc = CC_OK;

        qsort(ents, nents, sizeof(*ents), cmp_keyent);
        for (i = 1; i < nents; i++) {
                if (!strcmp(ents[i].key, ents[i - 1].key)) {
                        rc = fail_at(c, CC_INVAL, &ents[i].mark, "duplicate key '%.*s'",
                                     MSG_KEY_MAX, ents[i].key);
                        goto out;
                }
        }
        if (!nvals)
                goto out;
        ncands = merge_candidates(c->merges + f->merges_base, nvals, NULL);
        if (cc_mul_overflows(ncands, sizeof(*cands), &bytes))
                goto nomem;
        cands = cc_malloc(bytes);
        if (!cands)
                goto nomem;
        merge_candidates(c->merges + f->merges_base, nvals, cands);
        qsort(cands, ncands, sizeof(*cands), cmp_mergeent);
        for (i = 0; i < ncands; i++) {
                size_t nn = 0, nb = 0;

                if (i && !strcmp(cands[i].key, cands[i - 1].key))
                        continue; /* an earlier merged mapping won */
                if (bsearch(cands[i].key, ents, nents, sizeof(*ents), cmp_key_only))
                        continue; /* an explicit key wins */
                measure(cands[i].node, &nn, &nb);
                rc = charge(c, nn, nb + strlen(cands[i].key), &f->mark);
                if (rc)
                        goto out;
                dup = cJSON_Duplicate(cands[i].node, true);
                if (!dup || !cJSON_AddItemToObject(f->node, cands[i].key, dup))
                        goto nomem;
                dup = NULL;
        }
        for (i = f->merges_base; i < c->nmerges; i++) {
                rc = keep(c, c->merges[i]);
                c->merges[i] = NULL;
                if (rc)
                        goto out;
        }
        c->nmerges = f->merges_base;
        goto out;
nomem:
        rc = cc_diag_set(c->d, CC_NOMEM, 0, "out of memory converting yaml");
out:
        cJSON_Delete(dup);
        cc_free(cands);
        c->nkeys = f->keys_base;
        return rc;
}

static cc_err
on_scalar(struct conv *c, const yaml_event_t *ev)
{
        const char *text = (const char *)ev->data.scalar.value;
        const char *tag = (const char *)ev->data.scalar.tag;
        size_t len = ev->data.scalar.length;
        const yaml_mark_t *m = &ev->start_mark;
        struct frame *f = top(c);
        struct scalar sc;
        struct anchor a = { 0 };
        cJSON *node = NULL;
        char *key = NULL;
        cc_err rc;

        if (len > CC_YAML_MAX_SCALAR)
                return fail_at(c, CC_TOOBIG, m, "scalar exceeds %zu bytes", CC_YAML_MAX_SCALAR);
        if (memchr(text, '\0', len))
                return fail_at(c, CC_INVAL, m, "scalar contains a nul byte");
        if (wants_key(f) &&
            ((!tag && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !strcmp(text, "<<")) ||
             (tag && !strcmp(tag, TAG_PREFIX "merge")))) {
                if (f->had_merge)
                        return fail_at(c, CC_INVAL, m, "duplicate key '<<'");
                f->had_merge = f->have_key = f->key_is_merge = true;
                f->key_mark = *m;
                return CC_OK;
        }
        rc = resolve(c, ev, &sc);
        if (rc)
                return rc;
        a.nodes = 1;
        a.bytes = len;
        a.is_float = sc.kind == K_FLOAT;
        if (wants_key(f)) {
                rc = key_from_scalar(c, &sc, text, len, m, &key);
                if (rc)
                        return rc;
                rc = charge(c, 0, strlen(key), m);
                if (rc)
                        goto fail_key;
                if (ev->data.scalar.anchor) {
                        /* an anchored key may be aliased as a value later */
                        rc = charge(c, 1, 0, m);
                        if (!rc)
                                rc = scalar_node(c, &sc, text, m, &node);
                        if (!rc)
                                rc = keep(c, node);
                        if (rc)
                                goto fail_key;
                        a.node = node;
                        rc = anchor_define(c, ev->data.scalar.anchor, &a);
                        if (rc)
                                goto fail_key;
                }
                f->key = key;
                f->have_key = true;
                f->key_mark = *m;
                return CC_OK;
        fail_key:
                cc_free(key);
                return rc;
        }
        rc = charge(c, 1, len, m);
        if (!rc)
                rc = scalar_node(c, &sc, text, m, &node);
        if (!rc)
                rc = put_node(c, node, 0, m);
        if (!rc) {
                a.node = node;
                rc = anchor_define(c, ev->data.scalar.anchor, &a);
        }
        return rc;
}

static cc_err
on_alias(struct conv *c, const yaml_event_t *ev)
{
        const char *name = (const char *)ev->data.alias.anchor;
        const yaml_mark_t *m = &ev->start_mark;
        struct frame *f = top(c);
        struct anchor *a = anchor_find(c, name);
        struct scalar sc = { 0 };
        char *key = NULL;
        cJSON *copy;
        cc_err rc;

        if (!a)
                return fail_at(c, CC_INVAL, m, "unknown anchor '%.*s'", MSG_KEY_MAX, name);
        if (wants_key(f)) {
                const cJSON *n = a->node;

                if (cJSON_IsString(n)) {
                        sc.kind = K_STR;
                } else if (cJSON_IsBool(n)) {
                        sc.kind = K_BOOL;
                        sc.b = cJSON_IsTrue(n);
                } else if (cJSON_IsNumber(n)) {
                        double v = n->valuedouble;

                        if (!a->is_float && v >= -9223372036854775808.0 &&
                            v < 9223372036854775808.0) {
                                sc.kind = K_INT;
                                sc.i = (int64_t)v;
                        } else if (!a->is_float && v >= 0 && v < 18446744073709551616.0) {
                                sc.kind = K_UINT;
                                sc.u = (uint64_t)v;
                        } else {
                                sc.kind = K_FLOAT;
                                sc.f = v;
                        }
                } else if (cJSON_IsNull(n)) {
                        sc.kind = K_NULL;
                } else {
                        return fail_at(c, CC_INVAL, m, "mapping keys must be scalars");
                }
                rc = key_from_scalar(c, &sc, n->valuestring,
                                     n->valuestring ? strlen(n->valuestring) : 0, m, &key);
                if (!rc)
                        rc = charge(c, 0, strlen(key), m);
                if (rc) {
                        cc_free(key);
                        return rc;
                }
                f->key = key;
                f->have_key = true;
                f->key_mark = *m;
                return CC_OK;
        }
        if (c->depth + a->height > CC_JSON_MAX_DEPTH)
                return fail_at(c, CC_INVAL, m, "nesting deeper than %d levels", CC_JSON_MAX_DEPTH);
        rc = charge(c, a->nodes, a->bytes, m);
        if (rc)
                return rc;
        copy = cJSON_Duplicate((cJSON *)a->node, true);
        if (!copy)
                return cc_diag_set(c->d, CC_NOMEM, 0, "out of memory converting yaml");
        return put_node(c, copy, a->height, m);
}

static cc_err
on_start(struct conv *c, const yaml_event_t *ev, bool is_map)
{
        const unsigned char *anchor =
            is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
        struct frame *f = top(c);
        cJSON *node = NULL;
        char *name = NULL;
        cc_err rc;

        if (wants_key(f))
                return fail_at(c, CC_INVAL, &ev->start_mark, "mapping keys must be scalars");
        if (c->depth == CC_JSON_MAX_DEPTH)
                return fail_at(c, CC_INVAL, &ev->start_mark, "nesting deeper than %d levels",
                               CC_JSON_MAX_DEPTH);
        rc = charge(c, 1, 0, &ev->start_mark);
        if (rc)
                return rc;
        node = is_map ? cJSON_CreateObject() : cJSON_CreateArray();
        if (anchor)
                name = cc_strdup((const char *)anchor);
        if (!node || (anchor && !name)) {
                cJSON_Delete(node);
                cc_free(name);
                return cc_diag_set(c->d, CC_NOMEM, 0, "out of memory converting yaml");
        }
        f = &c->frames[c->depth++];
        memset(f, 0, sizeof(*f));
        f->node = node;
        f->anchor = name;
        f->is_map = is_map;
        f->mark = ev->start_mark;
        f->nodes0 = c->nodes - 1;
        f->bytes0 = c->bytes;
        f->height = 1;
        f->keys_base = c->nkeys;
        f->merges_base = c->nmerges;
        return CC_OK;
}

static cc_err
on_end(struct conv *c)
{
        struct frame *f = top(c);
        struct anchor a = { 0 };
        yaml_mark_t mark = f->mark;
        char *name;
        cJSON *node;
        cc_err rc = CC_OK;

        if (f->is_map)
                rc = finish_map(c, f);
        if (rc)
                return rc;
        node = f->node;
        name = f->anchor;
        a.nodes = c->nodes - f->nodes0;
        a.bytes = c->bytes - f->bytes0;
        a.height = f->height;
        cc_free(f->key);
        memset(f, 0, sizeof(*f));
        c->depth--;
        rc = put_node(c, node, a.height, &mark);
        if (!rc && name) {
                a.node = node;
                return anchor_set(c, &name, &a);
        }
        cc_free(name);
        return rc;
}

/* end_document -- keep a non-null root, forget the document's anchors */
static cc_err
end_document(struct conv *c, cJSON *docs)
{
        anchors_clear(c);
        cJSON_Delete(c->scratch);
        c->scratch = NULL;
        if (c->root && !cJSON_IsNull(c->root))
                cJSON_AddItemToArray(docs, c->root);
        else
                cJSON_Delete(c->root);
        c->root = NULL;
        return CC_OK;
}

static void
conv_release(struct conv *c)
{
        size_t i;

        while (c->depth > 0) {
                struct frame *f = &c->frames[--c->depth];

                cJSON_Delete(f->node);
                cc_free(f->anchor);
                cc_free(f->key);
        }
        for (i = 0; i < c->nmerges; i++)
                cJSON_Delete(c->merges[i]);
        anchors_clear(c);
        cc_free(c->anchors);
        cc_free(c->slots);
        cc_free(c->keys);
        cc_free(c->merges);
        cJSON_Delete(c->scratch);
        cJSON_Delete(c->root);
}

cc_err
cc_yaml_to_json(const char *buf, size_t len, cJSON **docs, struct cc_diag *d)
{
        struct conv *c = NULL;
        yaml_parser_t parser;
        bool parser_ready = false, done = false;
        cJSON *out = NULL;
        cc_err rc = CC_OK;

        if (len > CC_YAML_MAX_INPUT) {
                rc = cc_diag_set(d, CC_TOOBIG, 0,
                                 "yaml document too large: %zu bytes exceeds the %zu byte limit",
                                 len, CC_YAML_MAX_INPUT);
                goto out;
        }
        c = cc_calloc(1, sizeof(*c));
        out = cJSON_CreateArray();
        if (!c || !out) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "out of memory converting yaml");
                goto out;
        }
        if (!buf)
                buf = ""; /* libyaml asserts on a NULL input */
        c->buf = buf;
        c->len = len;
        c->d = d;
        if (!yaml_parser_initialize(&parser)) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "out of memory parsing yaml");
                goto out;
        }
        parser_ready = true;
        yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
        while (!done) {
                yaml_event_t ev;

                if (!yaml_parser_parse(&parser, &ev)) {
                        rc = parser_error(c, &parser);
                        goto out;
                }
                switch (ev.type) {
                case YAML_SCALAR_EVENT:
                        rc = on_scalar(c, &ev);
                        break;
                case YAML_ALIAS_EVENT:
                        rc = on_alias(c, &ev);
                        break;
                case YAML_SEQUENCE_START_EVENT:
                        rc = on_start(c, &ev, false);
                        break;
                case YAML_MAPPING_START_EVENT:
                        rc = on_start(c, &ev, true);
                        break;
                case YAML_SEQUENCE_END_EVENT:
                case YAML_MAPPING_END_EVENT:
                        rc = on_end(c);
                        break;
                case YAML_DOCUMENT_END_EVENT:
                        rc = end_document(c, out);
                        break;
                case YAML_STREAM_END_EVENT:
                        done = true;
                        break;
                default:
                        break;
                }
                yaml_event_delete(&ev);
                if (rc)
                        goto out;
        }
        *docs = out;
        out = NULL;
out:
        if (parser_ready)
                yaml_parser_delete(&parser);
        if (c)
                conv_release(c);
        cc_free(c);
        cJSON_Delete(out);
        return rc;
}

/* --- files ---------------------------------------------------------------------- */

static cc_err
read_file(const char *path, struct cc_buf *b, struct cc_diag *d)
{
        char chunk[65536];
        FILE *f = fopen(path, "rb");
        size_t n;
        cc_err rc = CC_OK;

        if (!f)
                return cc_diag_set(d, errno == ENOENT ? CC_NOTFOUND : CC_IO, 0, "%s",
                                   strerror(errno));
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
                rc = cc_buf_append(b, chunk, n);
                if (rc == CC_TOOBIG) {
                        rc = cc_diag_set(d, CC_TOOBIG, 0, "file exceeds %zu bytes",
                                         CC_YAML_MAX_INPUT);
                        goto out;
                }
                if (rc) {
                        rc = cc_diag_set(d, rc, 0, "out of memory reading file");
                        goto out;
                }
        }
        if (ferror(f))
                rc = cc_diag_set(d, CC_IO, 0, "read error");
out:
        fclose(f);
        return rc;
}

cc_err
cc_yaml_load_file(const char *path, cJSON **docs, struct cc_diag *d)
{
        struct cc_buf b = CC_BUF_INIT(CC_YAML_MAX_INPUT);
        const char *s;
        cJSON *doc = NULL, *arr = NULL;
        size_t i = 0;
        cc_err rc;

        rc = read_file(path, &b, d);
        if (rc)
                goto out;
        s = cc_buf_str(&b);
        if (b.len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
                i = 3;
        while (i < b.len && strchr(" \t\r\n", s[i]) && s[i])
                i++;
        if (i < b.len && s[i] == '{') {
                rc = cc_json_parse(s, b.len, CC_YAML_MAX_INPUT, &doc, d);
                if (rc)
                        goto out;
                arr = cJSON_CreateArray();
                if (!arr) {
                        rc = cc_diag_set(d, CC_NOMEM, 0, "out of memory");
                        goto out;
                }
                cJSON_AddItemToArray(arr, doc);
                doc = NULL;
                *docs = arr;
        } else {
                rc = cc_yaml_to_json(s, b.len, docs, d);
        }
out:
        if (rc)
                cc_diag_prefix(d, "cannot load '%s'", path);
        cJSON_Delete(doc);
        cc_buf_release(&b);
        return rc;
}
