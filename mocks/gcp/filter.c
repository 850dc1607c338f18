/* filter.c -- parse and evaluate Compute list filters (legacy eq/ne and AIP-160).
 *
 * DESIGN
 * ------
 * A recursive-descent parser over an on-demand lexer builds a small tree
 * (AND / OR / NOT / comparison).  The lexer is on demand because the legacy
 * dialect's bare literals are regular expressions that may hold characters
 * the AIP dialect treats as punctuation: after `eq`/`ne` the parser asks
 * for a raw literal instead of a token.
 */
#include "mocks/gcp/filter.h"

#include <ctype.h>
#include <fnmatch.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/banned.h"

#define MAX_DEPTH 64

enum node_kind { N_AND, N_OR, N_NOT, N_CMP };
enum cmp_op { OP_RE_EQ, OP_RE_NE, OP_EQ, OP_NE, OP_HAS, OP_LT, OP_LE, OP_GT, OP_GE };

struct node {
        enum node_kind kind;
        struct node *a, *b; /* AND/OR: both; NOT: a */
        enum cmp_op op;
        char *field;
        char *value;
        regex_t re;
        bool re_ok;
};

struct gcp_filter {
        struct node *root; /* NULL = match everything */
};

enum tok_kind { T_EOF, T_LPAREN, T_RPAREN, T_WORD, T_STRING, T_OP, T_ERR };

struct lexer {
        const char *s;
        size_t pos;
        enum tok_kind kind;
        char text[1024];
        size_t start; /* where the current token began */
        bool legacy, aip;
        int depth;
        struct cc_diag *d;
        cc_err rc;
};

static void
node_free(struct node *n)
{
        if (!n)
                return;
        node_free(n->a);
        node_free(n->b);
        cc_free(n->field);
        cc_free(n->value);
        if (n->re_ok)
                regfree(&n->re);
        cc_free(n);
}

static void
lex_fail(struct lexer *lx, const char *why)
{
        if (lx->rc == CC_OK)
                lx->rc =
                    cc_diag_set(lx->d, CC_INVAL, 400, "invalid list filter expression: %s", why);
}

static void
skip_space(struct lexer *lx)
{
        while (lx->s[lx->pos] && isspace((unsigned char)lx->s[lx->pos]))
                lx->pos++;
}

/* a quoted string starting at lx->pos; \<quote> unescapes, every other
 * backslash sequence is kept as is (it belongs to the regex) */
static bool
lex_quoted(struct lexer *lx)
{
        char q = lx->s[lx->pos++];
        size_t n = 0;

        for (;;) {
                char c = lx->s[lx->pos];

                if (!c) {
                        lex_fail(lx, "unterminated string");
                        return false;
                }
                lx->pos++;
                if (c == q)
                        break;
                if (c == '\\' && lx->s[lx->pos] == q) {
                        c = lx->s[lx->pos++];
                } else if (c == '\\' && lx->s[lx->pos]) {
                        if (n + 2 >= sizeof(lx->text)) {
                                lex_fail(lx, "string too long");
                                return false;
                        }
                        lx->text[n++] = c;
                        c = lx->s[lx->pos++];
                }
                if (n + 1 >= sizeof(lx->text)) {
                        lex_fail(lx, "string too long");
                        return false;
                }
                lx->text[n++] = c;
        }
        lx->text[n] = '\0';
        lx->kind = T_STRING;
        return true;
}

static bool
is_word_char(char c)
{
        return c && !isspace((unsigned char)c) && !strchr("()=!<>:\"'", c);
}

static void
lex_next(struct lexer *lx)
{
        const char *p;
        size_t n = 0;

        skip_space(lx);
        lx->start = lx->pos;
        p = lx->s + lx->pos;
        lx->text[0] = '\0';
        if (!*p) {
                lx->kind = T_EOF;
                return;
        }
        if (*p == '(' || *p == ')') {
                lx->kind = *p == '(' ? T_LPAREN : T_RPAREN;
                lx->text[0] = *p;
                lx->text[1] = '\0';
                lx->pos++;
                return;
        }
        if (*p == '"' || *p == '\'') {
                if (!lex_quoted(lx))
                        lx->kind = T_ERR;
                return;
        }
        if (strchr("=!<>:", *p)) {
                lx->kind = T_OP;
                lx->text[n++] = *p;
                lx->pos++;
                if ((*p == '!' || *p == '<' || *p == '>') && lx->s[lx->pos] == '=') {
                        lx->text[n++] = '=';
                        lx->pos++;
                }
                lx->text[n] = '\0';
                if (!strcmp(lx->text, "!")) {
                        lex_fail(lx, "unexpected '!'");
                        lx->kind = T_ERR;
                }
                return;
        }
        while (is_word_char(lx->s[lx->pos])) {
                if (n + 1 >= sizeof(lx->text)) {
                        lex_fail(lx, "word too long");
                        lx->kind = T_ERR;
                        return;
                }
                lx->text[n++] = lx->s[lx->pos++];
        }
        lx->text[n] = '\0';
        lx->kind = T_WORD;
}

/* the literal after a legacy eq/ne: quoted, or a bare run that ends at
 * white space or at a ')' closing the term */
static bool
lex_legacy_value(struct lexer *lx)
{
        size_t n = 0;
        int depth = 0;

        skip_space(lx);
        if (lx->s[lx->pos] == '"' || lx->s[lx->pos] == '\'')
                return lex_quoted(lx);
        while (lx->s[lx->pos] && !isspace((unsigned char)lx->s[lx->pos])) {
                char c = lx->s[lx->pos];

                if (c == '(')
                        depth++;
                if (c == ')' && depth-- == 0)
                        break;
                if (n + 1 >= sizeof(lx->text)) {
                        lex_fail(lx, "literal too long");
                        return false;
                }
                lx->text[n++] = c;
                lx->pos++;
        }
        lx->text[n] = '\0';
        if (!n) {
                lex_fail(lx, "missing value after eq/ne");
                return false;
        }
        lx->kind = T_STRING;
        return true;
}

static struct node *
new_node(struct lexer *lx, enum node_kind kind, struct node *a, struct node *b)
{
        struct node *n = cc_calloc(1, sizeof(*n));

        if (!n) {
                if (lx->rc == CC_OK)
                        lx->rc = cc_diag_set(lx->d, CC_NOMEM, 0, "out of memory");
                node_free(a);
                node_free(b);
                return NULL;
        }
        n->kind = kind;
        n->a = a;
        n->b = b;
        return n;
}

static struct node *parse_or(struct lexer *lx);

static bool
valid_field(const char *f)
{
        size_t i;

        if (!f[0] || f[0] == '.')
                return false;
        for (i = 0; f[i]; i++)
                if (!isalnum((unsigned char)f[i]) && f[i] != '_' && f[i] != '.' && f[i] != '-')
                        return false;
        return f[i - 1] != '.';
}

static struct node *
parse_cmp(struct lexer *lx)
{
        struct node *n = NULL;
        char field[1024];
        enum cmp_op op;

        if (lx->kind != T_WORD || !valid_field(lx->text)) {
                lex_fail(lx, "expected a field name");
                return NULL;
        }
        snprintf(field, sizeof(field), "%s", lx->text);
        lex_next(lx);
        if (lx->kind == T_WORD && (!strcmp(lx->text, "eq") || !strcmp(lx->text, "ne"))) {
                op = lx->text[0] == 'e' ? OP_RE_EQ : OP_RE_NE;
                lx->legacy = true;
                if (!lex_legacy_value(lx))
                        return NULL;
        } else if (lx->kind == T_OP) {
                const char *o = lx->text;

                op = !strcmp(o, "=")    ? OP_EQ
                     : !strcmp(o, "!=") ? OP_NE
                     : !strcmp(o, ":")  ? OP_HAS
                     : !strcmp(o, "<")  ? OP_LT
                     : !strcmp(o, "<=") ? OP_LE
                     : !strcmp(o, ">")  ? OP_GT
                                        : OP_GE;
                lx->aip = true;
                lex_next(lx);
                if (lx->kind != T_WORD && lx->kind != T_STRING) {
                        lex_fail(lx, "expected a value");
                        return NULL;
                }
        } else {
                lex_fail(lx, "expected an operator");
                return NULL;
        }
        n = new_node(lx, N_CMP, NULL, NULL);
        if (!n)
                return NULL;
        n->op = op;
        n->field = cc_strdup(field);
        n->value = cc_strdup(lx->text);
        if (!n->field || !n->value) {
                lx->rc = cc_diag_set(lx->d, CC_NOMEM, 0, "out of memory");
                node_free(n);
                return NULL;
        }
        if (op == OP_RE_EQ || op == OP_RE_NE) {
                struct cc_buf b = CC_BUF_INIT(8192);

                cc_buf_printf(&b, "^(%s)$", n->value);
                if (!b.len || regcomp(&n->re, cc_buf_str(&b), REG_EXTENDED | REG_NOSUB)) {
                        cc_buf_release(&b);
                        lex_fail(lx, "bad regular expression");
                        node_free(n);
                        return NULL;
                }
                cc_buf_release(&b);
                n->re_ok = true;
        }
        lex_next(lx);
        return n;
}

static struct node *
parse_unary(struct lexer *lx)
{
        struct node *n;

        if (++lx->depth > MAX_DEPTH) {
                lex_fail(lx, "nested too deeply");
                return NULL;
        }
        if (lx->kind == T_WORD && (!strcmp(lx->text, "NOT") || !strcmp(lx->text, "-"))) {
                lx->aip = true;
                lex_next(lx);
                n = parse_unary(lx);
                n = n ? new_node(lx, N_NOT, n, NULL) : NULL;
        } else if (lx->kind == T_WORD && lx->text[0] == '-' && lx->text[1]) {
                /* -field=x : shift the word past the '-' */
                lx->aip = true;
                memmove(lx->text, lx->text + 1, strlen(lx->text));
                n = parse_cmp(lx);
                n = n ? new_node(lx, N_NOT, n, NULL) : NULL;
        } else if (lx->kind == T_LPAREN) {
                lex_next(lx);
                n = parse_or(lx);
                if (n && lx->kind != T_RPAREN) {
                        lex_fail(lx, "missing ')'");
                        node_free(n);
                        n = NULL;
                }
                if (n)
                        lex_next(lx);
        } else {
                n = parse_cmp(lx);
        }
        lx->depth--;
        return n;
}

static bool
at_and_end(const struct lexer *lx)
{
        return lx->kind == T_EOF || lx->kind == T_RPAREN || lx->kind == T_ERR ||
               (lx->kind == T_WORD && !strcmp(lx->text, "OR"));
}

static struct node *
parse_and(struct lexer *lx)
{
        struct node *n = parse_unary(lx);

        while (n && !at_and_end(lx)) {
                struct node *r;

                if (lx->kind == T_WORD && !strcmp(lx->text, "AND")) {
                        lx->aip = true;
                        lex_next(lx);
                }
                r = parse_unary(lx);
                if (!r) {
                        node_free(n);
                        return NULL;
                }
                n = new_node(lx, N_AND, n, r);
        }
        return n;
}

static struct node *
parse_or(struct lexer *lx)
{
        struct node *n = parse_and(lx);

        while (n && lx->kind == T_WORD && !strcmp(lx->text, "OR")) {
                struct node *r;

                lx->aip = true;
                lex_next(lx);
                r = parse_and(lx);
                if (!r) {
                        node_free(n);
                        return NULL;
                }
                n = new_node(lx, N_OR, n, r);
        }
        return n;
}

cc_err
gcp_filter_parse(const char *text, struct gcp_filter **out, struct cc_diag *d)
{
        struct lexer lx;
        struct gcp_filter *f = NULL;
        struct node *root = NULL;
        cc_err rc = CC_OK;

        memset(&lx, 0, sizeof(lx));
        lx.s = text ? text : "";
        lx.d = d;
        lex_next(&lx);
        if (lx.kind != T_EOF) {
                root = parse_or(&lx);
                if (root && lx.kind != T_EOF)
                        lex_fail(&lx, "unexpected trailing input");
                if (lx.rc == CC_OK && lx.legacy && lx.aip)
                        lex_fail(&lx, "cannot mix 'eq'/'ne' terms with AIP-160 operators");
                if (lx.rc != CC_OK || !root) {
                        if (lx.rc == CC_OK)
                                lex_fail(&lx, "syntax error");
                        rc = lx.rc;
                        goto out;
                }
        }
        f = cc_calloc(1, sizeof(*f));
        if (!f) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "out of memory");
                goto out;
        }
        f->root = root;
        root = NULL;
        *out = f;
out:
        node_free(root);
        return rc;
}

void
gcp_filter_free(struct gcp_filter *f)
{
        if (!f)
                return;
        node_free(f->root);
        cc_free(f);
}

/* --- evaluation ---------------------------------------------------------- */

/* the scalar text of a JSON leaf; false for objects/arrays/null */
static bool
scalar_text(const cJSON *v, char *out, size_t n)
{
        if (cJSON_IsString(v)) {
                snprintf(out, n, "%s", v->valuestring);
        } else if (cJSON_IsBool(v)) {
                snprintf(out, n, "%s", cJSON_IsTrue(v) ? "true" : "false");
        } else if (cJSON_IsNumber(v)) {
                double x = v->valuedouble;

                if (x == (double)(long long)x)
                        snprintf(out, n, "%lld", (long long)x);
                else
                        snprintf(out, n, "%g", x);
        } else {
                return false;
        }
        return true;
}

static bool
num_cmp(const char *a, const char *b, int *out)
{
        char *e1, *e2;
        double x = strtod(a, &e1), y = strtod(b, &e2);

        if (!*a || !*b || *e1 || *e2)
                return false;
        *out = x < y ? -1 : x > y ? 1 : 0;
        return true;
}

/* compare one leaf value (v may be an object/array for ':') */
static bool
leaf_match(const struct node *n, const cJSON *v)
{
        char text[4096];
        int c;

        if (n->op == OP_HAS) {
                if (!strcmp(n->value, "*"))
                        return v && !cJSON_IsNull(v);
                if (cJSON_IsObject(v))
                        return cJSON_GetObjectItemCaseSensitive(v, n->value) != NULL;
                if (!scalar_text(v, text, sizeof(text)))
                        return false;
                return strstr(text, n->value) != NULL;
        }
        if (!scalar_text(v, text, sizeof(text)))
                return false;
        switch (n->op) {
        case OP_RE_EQ:
                return !regexec(&n->re, text, 0, NULL, 0);
        case OP_EQ:
                if (strchr(n->value, '*'))
                        return !fnmatch(n->value, text, 0);
                return !strcmp(text, n->value);
        case OP_LT:
        case OP_LE:
        case OP_GT:
        case OP_GE:
                if (!num_cmp(text, n->value, &c))
                        c = strcmp(text, n->value);
                return n->op == OP_LT   ? c < 0
                       : n->op == OP_LE ? c <= 0
                       : n->op == OP_GT ? c > 0
                                        : c >= 0;
        default:
                return false;
        }
}

/* does any value reached by the dotted path (from seg on) satisfy the leaf
 * test?  Arrays on the way fan out. */
static bool
path_any(const struct node *n, const cJSON *v, const char *seg)
{
        const cJSON *it;
        char name[256];
        const char *dot;

        if (cJSON_IsArray(v)) {
                /* ':' on an array of scalars is membership: compare elements */
                cJSON_ArrayForEach(it, v)
                {
                        if (path_any(n, it, seg))
                                return true;
                }
                return false;
        }
        if (!seg)
                return leaf_match(n, v);
        if (!cJSON_IsObject(v))
                return false;
        dot = strchr(seg, '.');
        snprintf(name, sizeof(name), "%.*s", (int)(dot ? (size_t)(dot - seg) : strlen(seg)), seg);
        it = cJSON_GetObjectItemCaseSensitive(v, name);
        if (!it)
                return false;
        return path_any(n, it, dot ? dot + 1 : NULL);
}

static bool
eval(const struct node *n, const cJSON *obj)
{
        switch (n->kind) {
        case N_AND:
                return eval(n->a, obj) && eval(n->b, obj);
        case N_OR:
                return eval(n->a, obj) || eval(n->b, obj);
        case N_NOT:
                return !eval(n->a, obj);
        case N_CMP:
                break;
        }
        switch (n->op) {
        case OP_RE_EQ:
        case OP_RE_NE: {
                struct node eq = *n;
                bool m;

                eq.op = OP_RE_EQ;
                m = path_any(&eq, obj, n->field);
                if (!m) {
                        /* a missing field is "" */
                        struct node probe = *n;

                        probe.op = OP_HAS;
                        probe.value = "*";
                        if (!path_any(&probe, obj, n->field))
                                m = !regexec(&n->re, "", 0, NULL, 0);
                }
                return n->op == OP_RE_EQ ? m : !m;
        }
        case OP_NE: {
                struct node eq = *n;

                eq.op = OP_EQ;
                return !path_any(&eq, obj, n->field);
        }
        default:
                return path_any(n, obj, n->field);
        }
}

bool
gcp_filter_match(const struct gcp_filter *f, const cJSON *obj)
{
        if (!f || !f->root)
                return true;
        return eval(f->root, obj);
}
