/* json.c -- strict parsing, path access, printing and comparison on cJSON.
 *
 * DESIGN: cc_json_parse first runs a non-allocating, non-recursive scanner
 * over the input.  It enforces the strict grammar, the nesting limit and
 * produces the precise error position that cJSON cannot give.  Only a
 * document the scanner accepts is handed to cJSON, whose grammar is a
 * superset of the scanner's; so when cJSON then fails, the cause can only
 * be memory, and the error is reported as CC_NOMEM rather than as a bogus
 * syntax error.  The fuzz driver checks that claim.
 */
#include "core/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/banned.h"

#define MAX_SAFE_INT   9007199254740991.0 /* 2^53 - 1: above it doubles skip integers */
#define MAX_NUMBER_LEN 63                 /* cJSON copies numbers into char[64] */

/* --- the scanner ---------------------------------------------------------- */

struct scan {
        const unsigned char *p;
        size_t len;
        size_t pos;
        size_t err_pos;
        const char *problem;
        bool show_char; /* the problem is the character at err_pos */
};

static bool
scan_fail(struct scan *s, size_t at, const char *problem)
{
        s->err_pos = at;
        s->problem = problem;
        s->show_char = false;
        return false;
}

static void
skip_ws(struct scan *s)
{
        while (s->pos < s->len) {
                unsigned char c = s->p[s->pos];

                if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
                        break;
                s->pos++;
        }
}

/* utf8_seq -- the length of the valid UTF-8 sequence at p (n bytes
 * available), or 0 when it is invalid (overlong, surrogate, > U+10FFFF). */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
        unsigned char c = p[0];
        unsigned char lo = 0x80, hi = 0xBF;
        size_t need, i;

        if (c < 0x80)
                return 1;
        if (c >= 0xC2 && c <= 0xDF)
                need = 1;
        else if (c >= 0xE0 && c <= 0xEF)
                need = 2;
        else if (c >= 0xF0 && c <= 0xF4)
                need = 3;
        else
                return 0;
        if (c == 0xE0)
                lo = 0xA0;
        else if (c == 0xED)
                hi = 0x9F;
        else if (c == 0xF0)
                lo = 0x90;
        else if (c == 0xF4)
                hi = 0x8F;
        if (n < need + 1)
                return 0;
        for (i = 1; i <= need; i++) {
                if (p[i] < lo || p[i] > hi)
                        return 0;
                lo = 0x80;
                hi = 0xBF;
        }
        return need + 1;
}

static bool
hex4(const unsigned char *p, size_t avail, unsigned *out)
{
        unsigned v = 0;
        size_t i;

        if (avail < 4)
                return false;
        for (i = 0; i < 4; i++) {
                unsigned char c = p[i];

                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= (unsigned)(c - '0');
                else if (c >= 'a' && c <= 'f')
                        v |= (unsigned)(c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        v |= (unsigned)(c - 'A' + 10);
                else
                        return false;
        }
        *out = v;
        return true;
}

static bool
scan_string(struct scan *s)
{
        size_t start = s->pos;
        unsigned cp, lo;

        s->pos++; /* the opening quote */
        for (;;) {
                unsigned char c;

                if (s->pos >= s->len)
                        return scan_fail(s, start, "unterminated string");
                c = s->p[s->pos];
                if (c == '"') {
                        s->pos++;
                        return true;
                }
                if (c == '\\') {
                        size_t esc = s->pos;

                        if (++s->pos >= s->len)
                                return scan_fail(s, start, "unterminated string");
                        switch (s->p[s->pos]) {
                        case '"':
                        case '\\':
                        case '/':
                        case 'b':
                        case 'f':
                        case 'n':
                        case 'r':
                        case 't':
                                s->pos++;
                                continue;
                        case 'u':
                                break;
                        default:
                                return scan_fail(s, esc, "invalid escape in string");
                        }
                        if (!hex4(s->p + s->pos + 1, s->len - s->pos - 1, &cp))
                                return scan_fail(s, esc, "invalid \\u escape in string");
                        s->pos += 5;
                        if (cp == 0)
                                return scan_fail(s, esc, "\\u0000 in string is not supported");
                        if (cp >= 0xDC00 && cp <= 0xDFFF)
                                return scan_fail(s, esc, "unpaired utf-16 surrogate in string");
                        if (cp >= 0xD800 && cp <= 0xDBFF) {
                                if (s->len - s->pos < 6 || s->p[s->pos] != '\\' ||
                                    s->p[s->pos + 1] != 'u' ||
                                    !hex4(s->p + s->pos + 2, s->len - s->pos - 2, &lo) ||
                                    lo < 0xDC00 || lo > 0xDFFF)
                                        return scan_fail(s, esc,
                                                         "unpaired utf-16 surrogate in string");
                                s->pos += 6;
                        }
                        continue;
                }
                if (c < 0x20)
                        return scan_fail(s, s->pos, "control character in string");
                if (c < 0x80) {
                        s->pos++;
                        continue;
                }
                cp = (unsigned)utf8_seq(s->p + s->pos, s->len - s->pos);
                if (!cp)
                        return scan_fail(s, s->pos, "invalid utf-8 in string");
                s->pos += cp;
        }
}

static bool
is_digit(unsigned char c)
{
        return c >= '0' && c <= '9';
}

static bool
scan_number(struct scan *s)
{
        size_t start = s->pos;
        char tmp[MAX_NUMBER_LEN + 1];
        double v;

        if (s->p[s->pos] == '-')
                s->pos++;
        if (s->pos >= s->len || !is_digit(s->p[s->pos]))
                return scan_fail(s, start, "invalid number");
        if (s->p[s->pos] == '0') {
                s->pos++;
                if (s->pos < s->len && is_digit(s->p[s->pos]))
                        return scan_fail(s, start, "invalid number: leading zero");
        } else {
                while (s->pos < s->len && is_digit(s->p[s->pos]))
                        s->pos++;
        }
        if (s->pos < s->len && s->p[s->pos] == '.') {
                s->pos++;
                if (s->pos >= s->len || !is_digit(s->p[s->pos]))
                        return scan_fail(s, start, "invalid number");
                while (s->pos < s->len && is_digit(s->p[s->pos]))
                        s->pos++;
        }
        if (s->pos < s->len && (s->p[s->pos] == 'e' || s->p[s->pos] == 'E')) {
                s->pos++;
                if (s->pos < s->len && (s->p[s->pos] == '+' || s->p[s->pos] == '-'))
                        s->pos++;
                if (s->pos >= s->len || !is_digit(s->p[s->pos]))
                        return scan_fail(s, start, "invalid number");
                while (s->pos < s->len && is_digit(s->p[s->pos]))
                        s->pos++;
        }
        if (s->pos - start > MAX_NUMBER_LEN)
                return scan_fail(s, start, "number longer than 63 characters");
        memcpy(tmp, s->p + start, s->pos - start);
        tmp[s->pos - start] = '\0';
        v = strtod(tmp, NULL);
        if (isinf(v))
                return scan_fail(s, start, "number out of range");
        return true;
}

static bool
scan_literal(struct scan *s)
{
        static const char *const lits[] = { "true", "false", "null" };
        size_t i;

        for (i = 0; i < sizeof(lits) / sizeof(lits[0]); i++) {
                size_t n = strlen(lits[i]);

                if (s->len - s->pos >= n && !memcmp(s->p + s->pos, lits[i], n)) {
                        s->pos += n;
                        return true;
                }
        }
        s->err_pos = s->pos;
        s->problem = "unexpected character";
        s->show_char = true;
        return false;
}

enum scan_state { ST_VALUE, ST_VALUE_OR_CLOSE, ST_KEY, ST_KEY_OR_CLOSE, ST_AFTER };

/* scan_json -- check one complete value with nothing but whitespace after. */
static bool
scan_json(struct scan *s)
{
        unsigned char stack[CC_JSON_MAX_DEPTH];
        size_t depth = 0;
        enum scan_state st = ST_VALUE;

        for (;;) {
                unsigned char c;

                skip_ws(s);
                if (s->pos >= s->len && !(st == ST_AFTER && depth == 0))
                        return scan_fail(s, s->pos, "unexpected end of input");
                c = s->pos < s->len ? s->p[s->pos] : 0;
                switch (st) {
                case ST_VALUE_OR_CLOSE:
                        if (c == ']') {
                                s->pos++;
                                depth--;
                                st = ST_AFTER;
                                break;
                        }
                        /* fall through */
                case ST_VALUE:
                        if (c == '{' || c == '[') {
                                if (depth == CC_JSON_MAX_DEPTH)
                                        return scan_fail(s, s->pos,
                                                         "nesting deeper than 128 levels");
                                stack[depth++] = c;
                                s->pos++;
                                st = c == '{' ? ST_KEY_OR_CLOSE : ST_VALUE_OR_CLOSE;
                                break;
                        }
                        if (c == '"') {
                                if (!scan_string(s))
                                        return false;
                        } else if (c == '-' || is_digit(c)) {
                                if (!scan_number(s))
                                        return false;
                        } else if (!scan_literal(s)) {
                                return false;
                        }
                        st = ST_AFTER;
                        break;
                case ST_KEY_OR_CLOSE:
                        if (c == '}') {
                                s->pos++;
                                depth--;
                                st = ST_AFTER;
                                break;
                        }
                        /* fall through */
                case ST_KEY:
                        if (c != '"')
                                return scan_fail(s, s->pos, "expected string key in object");
                        if (!scan_string(s))
                                return false;
                        skip_ws(s);
                        if (s->pos >= s->len || s->p[s->pos] != ':')
                                return scan_fail(s, s->pos, "expected ':' after object key");
                        s->pos++;
                        st = ST_VALUE;
                        break;
                case ST_AFTER:
                        if (depth == 0) {
                                if (s->pos != s->len)
                                        return scan_fail(s, s->pos,
                                                         "unexpected data after the value");
                                return true;
                        }
                        if (c == ',') {
                                s->pos++;
                                st = stack[depth - 1] == '{' ? ST_KEY : ST_VALUE;
                        } else if (stack[depth - 1] == '{' && c == '}') {
                                s->pos++;
                                depth--;
                        } else if (stack[depth - 1] == '[' && c == ']') {
                                s->pos++;
                                depth--;
                        } else {
                                return scan_fail(s, s->pos,
                                                 stack[depth - 1] == '{'
                                                     ? "expected ',' or '}' in object"
                                                     : "expected ',' or ']' in array");
                        }
                        break;
                }
        }
}

/* position -- 1-based line and column (in characters) of offset in buf. */
static void
position(const char *buf, size_t off, size_t *line, size_t *col)
{
        size_t i;

        *line = 1;
        *col = 1;
        for (i = 0; i < off; i++) {
                unsigned char c = (unsigned char)buf[i];

                if (c == '\n') {
                        (*line)++;
                        *col = 1;
                } else if ((c & 0xC0) != 0x80) {
                        (*col)++;
                }
        }
}

cc_err
cc_json_parse(const char *buf, size_t len, size_t max, cJSON **out, struct cc_diag *d)
{
        struct scan s = { 0 };
        size_t off = 0, line, col;
        cJSON *root = NULL;
        cc_err rc = CC_OK;

        if (!max)
                max = CC_JSON_MAX_DEFAULT;
        if (len > max) {
                rc = cc_diag_set(d, CC_TOOBIG, 0,
                                 "json document too large: %zu bytes exceeds the %zu byte limit",
                                 len, max);
                goto out;
        }
        if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
                off = 3;
        s.p = (const unsigned char *)buf;
        s.len = len;
        s.pos = off;
        if (!scan_json(&s)) {
                char what[48] = "";

                position(buf, s.err_pos, &line, &col);
                if (s.show_char) {
                        unsigned char c = s.p[s.err_pos];

                        if (c > 0x20 && c < 0x7F)
                                snprintf(what, sizeof(what), " '%c'", c);
                        else
                                snprintf(what, sizeof(what), " 0x%02x", c);
                }
                rc = cc_diag_set(d, CC_INVAL, 0, "json: line %zu, column %zu (offset %zu): %s%s",
                                 line, col, s.err_pos, s.problem, what);
                goto out;
        }
        root = cJSON_ParseWithLengthOpts(buf + off, len - off, NULL, false);
        if (!root) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "out of memory parsing json");
                goto out;
        }
        *out = root;
out:
        return rc;
}

/* --- printing and comparison --------------------------------------------- */

cc_err
cc_json_print(const cJSON *node, bool pretty, struct cc_buf *b)
{
        char *s;
        cc_err rc;

        /* cJSON's printers take a non-const pointer but do not modify */
        s = pretty ? cJSON_Print((cJSON *)node) : cJSON_PrintUnformatted((cJSON *)node);
        if (!s) {
                cc_buf_release(b);
                return CC_NOMEM;
        }
        rc = cc_buf_puts(b, s);
        cJSON_free(s);
        return rc;
}

static bool
equal_at(const cJSON *a, const cJSON *b, int depth)
{
        const cJSON *ca, *cb;
        int na = 0, nb = 0;

        if (!a || !b)
                return a == b;
        if (depth > CC_JSON_MAX_DEPTH || (a->type & 0xFF) != (b->type & 0xFF))
                return false;
        switch (a->type & 0xFF) {
        case cJSON_False:
        case cJSON_True:
        case cJSON_NULL:
                return true;
        case cJSON_Number:
                return a->valuedouble == b->valuedouble;
        case cJSON_String:
        case cJSON_Raw:
                if (!a->valuestring || !b->valuestring)
                        return a->valuestring == b->valuestring;
                return !strcmp(a->valuestring, b->valuestring);
        case cJSON_Array:
                for (ca = a->child, cb = b->child; ca && cb; ca = ca->next, cb = cb->next)
                        if (!equal_at(ca, cb, depth + 1))
                                return false;
                return !ca && !cb;
        case cJSON_Object:
                for (ca = a->child; ca; ca = ca->next)
                        na++;
                for (cb = b->child; cb; cb = cb->next)
                        nb++;
                if (na != nb)
                        return false;
                /* both directions, so that duplicate keys cannot hide a difference */
                for (ca = a->child; ca; ca = ca->next) {
                        if (!ca->string ||
                            !equal_at(ca, cJSON_GetObjectItemCaseSensitive(b, ca->string),
                                      depth + 1))
                                return false;
                }
                for (cb = b->child; cb; cb = cb->next) {
                        if (!cb->string ||
                            !cJSON_GetObjectItemCaseSensitive((cJSON *)a, cb->string))
                                return false;
                }
                return true;
        default:
                return false;
        }
}

bool
cc_json_equal(const cJSON *a, const cJSON *b)
{
        return equal_at(a, b, 0);
}

const char *
cc_json_type_name(const cJSON *node)
{
        if (!node)
                return "invalid";
        switch (node->type & 0xFF) {
        case cJSON_False:
        case cJSON_True:
                return "boolean";
        case cJSON_NULL:
                return "null";
        case cJSON_Number:
                return "number";
        case cJSON_String:
                return "string";
        case cJSON_Array:
                return "array";
        case cJSON_Object:
                return "object";
        case cJSON_Raw:
                return "raw";
        default:
                return "invalid";
        }
}

/* --- paths ------------------------------------------------------------------ */

struct seg {
        bool is_index;
        int index;
        char key[CC_JSON_PATH_MAX];
};

/* next_seg -- parse the segment at path[*pos] into s.  Returns 1 for a
 * segment, 0 at the end of the path, -1 when the path is malformed. */
static int
next_seg(const char *path, size_t *pos, bool first, struct seg *s)
{
        size_t i = *pos, n = 0;

        if (!path[i])
                return 0;
        if (path[i] == '[') {
                i++;
                if (path[i] == '"' || path[i] == '\'') {
                        char q = path[i++];

                        while (path[i] && path[i] != q) {
                                if (path[i] == '\\' && !path[++i])
                                        return -1;
                                if (n + 1 >= sizeof(s->key))
                                        return -1;
                                s->key[n++] = path[i++];
                        }
                        if (path[i] != q)
                                return -1;
                        i++;
                        s->key[n] = '\0';
                        s->is_index = false;
                } else {
                        long v = 0;

                        if (!is_digit((unsigned char)path[i]))
                                return -1;
                        while (is_digit((unsigned char)path[i])) {
                                v = v * 10 + (path[i++] - '0');
                                if (v > 0x7FFFFFFF)
                                        return -1;
                        }
                        s->is_index = true;
                        s->index = (int)v;
                }
                if (path[i] != ']')
                        return -1;
                i++;
        } else {
                if (!first && path[i++] != '.')
                        return -1;
                while (path[i] && path[i] != '.' && path[i] != '[' && path[i] != ']') {
                        if (n + 1 >= sizeof(s->key))
                                return -1;
                        s->key[n++] = path[i++];
                }
                if (!n)
                        return -1;
                s->key[n] = '\0';
                s->is_index = false;
        }
        if (path[i] && path[i] != '.' && path[i] != '[')
                return -1;
        *pos = i;
        return 1;
}

enum res { RES_FOUND, RES_ABSENT, RES_WRONG, RES_BADPATH };

struct resolved {
        const cJSON *node; /* RES_FOUND: the node (may be a JSON null) */
        size_t prefix_len; /* RES_WRONG: the path prefix whose node has the wrong type */
        const cJSON *bad;  /* RES_WRONG: that node */
        const char *want;  /* RES_WRONG: "object" or "array" */
};

static enum res
resolve(const cJSON *root, const char *path, struct resolved *r)
{
        struct seg s;
        const cJSON *cur = root;
        size_t pos = 0, prev = 0;
        enum res res = RES_FOUND;
        int k;

        if (!path || strlen(path) >= CC_JSON_PATH_MAX)
                return RES_BADPATH;
        if (!cur)
                res = RES_ABSENT;
        while ((k = next_seg(path, &pos, prev == 0 && pos == 0, &s)) > 0) {
                if (res != RES_FOUND)
                        continue;
                if (cJSON_IsNull(cur)) {
                        res = RES_ABSENT;
                        continue;
                }
                if (s.is_index ? !cJSON_IsArray(cur) : !cJSON_IsObject(cur)) {
                        res = RES_WRONG;
                        r->prefix_len = prev;
                        r->bad = cur;
                        r->want = s.is_index ? "array" : "object";
                        continue;
                }
                cur = s.is_index ? cJSON_GetArrayItem(cur, s.index)
                                 : cJSON_GetObjectItemCaseSensitive(cur, s.key);
                if (!cur)
                        res = RES_ABSENT;
                prev = pos;
        }
        if (k < 0)
                return RES_BADPATH;
        r->node = cur;
        return res;
}

cJSON *
cc_json_lookup(const cJSON *root, const char *path)
{
        struct resolved r;

        if (resolve(root, path, &r) != RES_FOUND)
                return NULL;
        return (cJSON *)r.node;
}

/* get_node -- the non-null node at path, or an error per the header. */
static cc_err
get_node(const cJSON *root, const char *path, bool opt, const cJSON **out, struct cc_diag *d)
{
        struct resolved r = { 0 };

        switch (resolve(root, path, &r)) {
        case RES_BADPATH:
                return cc_diag_set(d, CC_INVAL, 0, "invalid json path '%s'", path ? path : "");
        case RES_WRONG:
                return cc_diag_set(d, CC_INVAL, 0, "field '%.*s': expected %s, got %s",
                                   (int)r.prefix_len, path, r.want, cc_json_type_name(r.bad));
        case RES_ABSENT:
                break;
        case RES_FOUND:
                if (cJSON_IsNull(r.node))
                        break;
                *out = r.node;
                return CC_OK;
        }
        if (opt)
                return CC_NOTFOUND;
        return cc_diag_set(d, CC_NOTFOUND, 0, "field '%s' is required", path);
}

static cc_err
type_error(struct cc_diag *d, const char *path, const char *want, const cJSON *got)
{
        return cc_diag_set(d, CC_INVAL, 0, "field '%s': expected %s, got %s", path, want,
                           cc_json_type_name(got));
}

static cc_err
get_str(const cJSON *root, const char *path, bool opt, const char **out, struct cc_diag *d)
{
        const cJSON *n = NULL;
        cc_err rc = get_node(root, path, opt, &n, d);

        if (rc)
                return rc;
        if (!cJSON_IsString(n) || !n->valuestring)
                return type_error(d, path, "string", n);
        *out = n->valuestring;
        return CC_OK;
}

cc_err
cc_json_get_str(const cJSON *root, const char *path, const char **out, struct cc_diag *d)
{
        return get_str(root, path, false, out, d);
}

cc_err
cc_json_get_str_opt(const cJSON *root, const char *path, const char **out, struct cc_diag *d)
{
        return get_str(root, path, true, out, d);
}

static cc_err
get_bool(const cJSON *root, const char *path, bool opt, bool *out, struct cc_diag *d)
{
        const cJSON *n = NULL;
        cc_err rc = get_node(root, path, opt, &n, d);

        if (rc)
                return rc;
        if (!cJSON_IsBool(n))
                return type_error(d, path, "boolean", n);
        *out = cJSON_IsTrue(n);
        return CC_OK;
}

cc_err
cc_json_get_bool(const cJSON *root, const char *path, bool *out, struct cc_diag *d)
{
        return get_bool(root, path, false, out, d);
}

cc_err
cc_json_get_bool_opt(const cJSON *root, const char *path, bool *out, struct cc_diag *d)
{
        return get_bool(root, path, true, out, d);
}

static cc_err
get_container(const cJSON *root, const char *path, bool opt, bool want_obj, const cJSON **out,
              struct cc_diag *d)
{
        const cJSON *n = NULL;
        cc_err rc = get_node(root, path, opt, &n, d);

        if (rc)
                return rc;
        if (want_obj ? !cJSON_IsObject(n) : !cJSON_IsArray(n))
                return type_error(d, path, want_obj ? "object" : "array", n);
        *out = n;
        return CC_OK;
}

cc_err
cc_json_get_obj(const cJSON *root, const char *path, const cJSON **out, struct cc_diag *d)
{
        return get_container(root, path, false, true, out, d);
}

cc_err
cc_json_get_obj_opt(const cJSON *root, const char *path, const cJSON **out, struct cc_diag *d)
{
        return get_container(root, path, true, true, out, d);
}

cc_err
cc_json_get_arr(const cJSON *root, const char *path, const cJSON **out, struct cc_diag *d)
{
        return get_container(root, path, false, false, out, d);
}

cc_err
cc_json_get_arr_opt(const cJSON *root, const char *path, const cJSON **out, struct cc_diag *d)
{
        return get_container(root, path, true, false, out, d);
}

/* fmt_num -- the shortest %g form of v that reads back as v. */
static void
fmt_num(double v, char *out, size_t n)
{
        int prec;

        for (prec = 1; prec < 17; prec++) {
                snprintf(out, n, "%.*g", prec, v);
                if (strtod(out, NULL) == v)
                        return;
        }
        snprintf(out, n, "%.17g", v);
}

static cc_err
get_int(const cJSON *root, const char *path, bool opt, int64_t min, int64_t max, int64_t *out,
        struct cc_diag *d)
{
        const cJSON *n = NULL;
        char num[40];
        int64_t i;
        double v;
        cc_err rc = get_node(root, path, opt, &n, d);

        if (rc)
                return rc;
        if (!cJSON_IsNumber(n))
                return type_error(d, path, "integer", n);
        v = n->valuedouble;
        fmt_num(v, num, sizeof(num));
        if (isnan(v) || isinf(v))
                return cc_diag_set(d, CC_INVAL, 0, "field '%s': expected integer, got %s", path,
                                   num);
        if (fabs(v) > MAX_SAFE_INT)
                return cc_diag_set(d, CC_INVAL, 0,
                                   "field '%s': integer %s cannot be represented exactly", path,
                                   num);
        i = (int64_t)v;
        if ((double)i != v)
                return cc_diag_set(d, CC_INVAL, 0, "field '%s': expected integer, got %s", path,
                                   num);
        if (i < min || i > max)
                return cc_diag_set(d, CC_INVAL, 0,
                                   "field '%s': value %lld out of range [%lld, %lld]", path,
                                   (long long)i, (long long)min, (long long)max);
        *out = i;
        return CC_OK;
}

cc_err
cc_json_get_int(const cJSON *root, const char *path, int64_t min, int64_t max, int64_t *out,
                struct cc_diag *d)
{
        return get_int(root, path, false, min, max, out, d);
}

cc_err
cc_json_get_int_opt(const cJSON *root, const char *path, int64_t min, int64_t max, int64_t *out,
                    struct cc_diag *d)
{
        return get_int(root, path, true, min, max, out, d);
}

/* --- setters ---------------------------------------------------------------- */

/* put -- store item under parent at segment s, replacing what is there.
 * Takes ownership of item only on CC_OK. */
static cc_err
put(cJSON *parent, const struct seg *s, cJSON *item)
{
        cJSON *old;
        char *key;
        size_t n;

        if (s->is_index) {
                old = cJSON_GetArrayItem(parent, s->index);
                if (!old)
                        return CC_NOTFOUND;
                return cJSON_ReplaceItemViaPointer(parent, old, item) ? CC_OK : CC_INTERNAL;
        }
        old = cJSON_GetObjectItemCaseSensitive(parent, s->key);
        if (!old)
                return cJSON_AddItemToObject(parent, s->key, item) ? CC_OK : CC_NOMEM;
        /* cJSON_ReplaceItemInObject ignores a failed key copy; do it here */
        n = strlen(s->key) + 1;
        key = cJSON_malloc(n);
        if (!key)
                return CC_NOMEM;
        memcpy(key, s->key, n);
        if (item->string && !(item->type & cJSON_StringIsConst))
                cJSON_free(item->string);
        item->string = key;
        item->type &= ~cJSON_StringIsConst;
        return cJSON_ReplaceItemViaPointer(parent, old, item) ? CC_OK : CC_INTERNAL;
}

cc_err
cc_json_set(cJSON *root, const char *path, cJSON *value)
{
        struct seg segs[2];
        struct seg top; /* the first missing key, under `anchor` */
        struct seg *cur_seg, *next;
        cJSON *cur = root;    /* the deepest existing node so far */
        cJSON *anchor = NULL; /* where the new chain will hang */
        cJSON *head = NULL;   /* the new chain of objects, detached */
        cJSON *tail = NULL;   /* its deepest object */
        size_t pos = 0;
        int k;
        cc_err rc = CC_OK;

        if (!root || !value || !path || !path[0] || strlen(path) >= CC_JSON_PATH_MAX) {
                rc = CC_INVAL;
                goto out;
        }
        cur_seg = &segs[0];
        if (next_seg(path, &pos, true, cur_seg) != 1) {
                rc = CC_INVAL;
                goto out;
        }
        for (;;) {
                cJSON *child;

                next = cur_seg == &segs[0] ? &segs[1] : &segs[0];
                k = next_seg(path, &pos, false, next);
                if (k < 0) {
                        rc = CC_INVAL;
                        goto out;
                }
                if (head) {
                        /* building below a missing key: only keys can follow */
                        if (cur_seg->is_index) {
                                rc = CC_NOTFOUND;
                                goto out;
                        }
                        if (k == 0) {
                                if (!cJSON_AddItemToObject(tail, cur_seg->key, value)) {
                                        rc = CC_NOMEM;
                                        goto out;
                                }
                                value = NULL;
                                rc = put(anchor, &top, head);
                                if (rc == CC_OK)
                                        head = NULL;
                                goto out;
                        }
                        child = cJSON_CreateObject();
                        if (!child || !cJSON_AddItemToObject(tail, cur_seg->key, child)) {
                                cJSON_Delete(child);
                                rc = CC_NOMEM;
                                goto out;
                        }
                        tail = child;
                        cur_seg = next;
                        continue;
                }
                if (cur_seg->is_index ? !cJSON_IsArray(cur) : !cJSON_IsObject(cur)) {
                        rc = CC_INVAL;
                        goto out;
                }
                if (k == 0) {
                        rc = put(cur, cur_seg, value);
                        if (rc == CC_OK)
                                value = NULL;
                        goto out;
                }
                child = cur_seg->is_index ? cJSON_GetArrayItem(cur, cur_seg->index)
                                          : cJSON_GetObjectItemCaseSensitive(cur, cur_seg->key);
                if (!child && cur_seg->is_index) {
                        rc = CC_NOTFOUND;
                        goto out;
                }
                if (!child) {
                        anchor = cur;
                        top = *cur_seg;
                        head = tail = cJSON_CreateObject();
                        if (!head) {
                                rc = CC_NOMEM;
                                goto out;
                        }
                } else {
                        cur = child;
                }
                cur_seg = next;
        }
out:
        cJSON_Delete(head);
        cJSON_Delete(value);
        return rc;
}

cc_err
cc_json_set_str(cJSON *root, const char *path, const char *value)
{
        cJSON *v = cJSON_CreateString(value ? value : "");

        if (!v)
                return CC_NOMEM;
        return cc_json_set(root, path, v);
}

cc_err
cc_json_set_int(cJSON *root, const char *path, int64_t value)
{
        cJSON *v;

        if (value > (int64_t)MAX_SAFE_INT || value < -(int64_t)MAX_SAFE_INT)
                return CC_INVAL;
        v = cJSON_CreateNumber((double)value);
        if (!v)
                return CC_NOMEM;
        return cc_json_set(root, path, v);
}

cc_err
cc_json_set_bool(cJSON *root, const char *path, bool value)
{
        cJSON *v = cJSON_CreateBool(value);

        if (!v)
                return CC_NOMEM;
        return cc_json_set(root, path, v);
}
