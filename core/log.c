/* log.c -- logfmt lines, per-component levels, redaction of secret fields. */
#include "core/log.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/banned.h"

#define MAX_RULES    32
#define MAX_COMP     48
#define LINE_MAX_LEN 8192

struct rule {
        char comp[MAX_COMP];
        enum cc_log_level level;
};

static struct {
        enum cc_log_level deflevel;
        struct rule rules[MAX_RULES];
        size_t nrules;
        enum cc_log_level maxlevel; /* fast path: nothing above this is enabled */
        cc_log_sink_fn sink;
        void *sink_ud;
        bool timestamps;
        bool init;
} st;

static const char *const level_names[] = { "error", "warn", "info", "debug", "trace" };

static void
ensure_init(void)
{
        if (st.init)
                return;
        st.deflevel = CC_LOG_INFO;
        st.maxlevel = CC_LOG_INFO;
        st.nrules = 0;
        st.timestamps = true;
        st.init = true;
}

void
cc_log_reset(void)
{
        st.init = false;
        st.sink = NULL;
        st.sink_ud = NULL;
        ensure_init();
}

const char *
cc_log_level_name(enum cc_log_level lvl)
{
        if (lvl < CC_LOG_ERROR || lvl > CC_LOG_TRACE)
                return "off";
        return level_names[lvl];
}

bool
cc_log_level_parse(const char *s, size_t n, enum cc_log_level *out)
{
        static const struct {
                const char *name;
                enum cc_log_level lvl;
        } tab[] = {
                { "off", CC_LOG_OFF },      { "error", CC_LOG_ERROR }, { "warn", CC_LOG_WARN },
                { "warning", CC_LOG_WARN }, { "info", CC_LOG_INFO },   { "debug", CC_LOG_DEBUG },
                { "trace", CC_LOG_TRACE },
        };
        size_t i;

        for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
                if (strlen(tab[i].name) == n && !strncasecmp(tab[i].name, s, n)) {
                        *out = tab[i].lvl;
                        return true;
                }
        }
        return false;
}

cc_err
cc_log_configure(const char *spec, struct cc_diag *d)
{
        enum cc_log_level deflevel = CC_LOG_INFO, lvl;
        struct rule rules[MAX_RULES];
        size_t nrules = 0, i;
        const char *p = spec, *end, *colon;

        ensure_init();
        while (p && *p) {
                size_t len;

                end = strchr(p, ',');
                len = end ? (size_t)(end - p) : strlen(p);
                colon = memchr(p, ':', len);
                if (!len) {
                        p = end ? end + 1 : NULL;
                        continue;
                }
                if (!colon || (colon == p + 1 && *p == '*')) {
                        const char *lv = colon ? colon + 1 : p;
                        size_t lvlen = len - (size_t)(lv - p);

                        if (!cc_log_level_parse(lv, lvlen, &lvl))
                                return cc_diag_set(d, CC_INVAL, 0, "unknown log level '%.*s'",
                                                   (int)lvlen, lv);
                        deflevel = lvl;
                } else {
                        size_t clen = (size_t)(colon - p);
                        size_t lvlen = len - clen - 1;

                        if (!clen || clen >= MAX_COMP)
                                return cc_diag_set(d, CC_INVAL, 0, "bad log component in '%.*s'",
                                                   (int)len, p);
                        if (!cc_log_level_parse(colon + 1, lvlen, &lvl))
                                return cc_diag_set(d, CC_INVAL, 0,
                                                   "unknown log level '%.*s' for component '%.*s'",
                                                   (int)lvlen, colon + 1, (int)clen, p);
                        if (nrules == MAX_RULES)
                                return cc_diag_set(d, CC_INVAL, 0, "too many log rules (max %d)",
                                                   MAX_RULES);
                        memcpy(rules[nrules].comp, p, clen);
                        rules[nrules].comp[clen] = '\0';
                        rules[nrules].level = lvl;
                        nrules++;
                }
                p = end ? end + 1 : NULL;
        }
        st.deflevel = deflevel;
        st.maxlevel = deflevel;
        for (i = 0; i < nrules; i++) {
                st.rules[i] = rules[i];
                if (rules[i].level > st.maxlevel)
                        st.maxlevel = rules[i].level;
        }
        st.nrules = nrules;
        return CC_OK;
}

bool
cc_log_enabled(enum cc_log_level lvl, const char *comp)
{
        size_t i, best = 0;
        enum cc_log_level eff;

        ensure_init();
        if (lvl > st.maxlevel)
                return false;
        eff = st.deflevel;
        for (i = 0; i < st.nrules && comp; i++) {
                size_t n = strlen(st.rules[i].comp);

                if (n > best && !strncmp(comp, st.rules[i].comp, n) &&
                    (comp[n] == '\0' || comp[n] == '.')) {
                        best = n;
                        eff = st.rules[i].level;
                }
        }
        return lvl <= eff;
}

void
cc_log_set_sink(cc_log_sink_fn fn, void *ud)
{
        ensure_init();
        st.sink = fn;
        st.sink_ud = ud;
}

void
cc_log_set_timestamps(bool on)
{
        ensure_init();
        st.timestamps = on;
}

bool
cc_log_is_secret_key(const char *key)
{
        static const char *const needles[] = { "token",  "assertion",     "password", "passwd",
                                               "secret", "authorization", "private",  "credential",
                                               "cookie", "api-key",       "apikey",   "api_key" };
        char low[64];
        size_t i, n;

        if (!key)
                return false;
        n = strlen(key);
        if (n >= sizeof(low))
                n = sizeof(low) - 1;
        for (i = 0; i < n; i++)
                low[i] = (char)tolower((unsigned char)key[i]);
        low[n] = '\0';
        for (i = 0; i < sizeof(needles) / sizeof(needles[0]); i++)
                if (strstr(low, needles[i]))
                        return true;
        /* "key" itself and anything ending in it: key, private_key, sa-key, client.key */
        if (n >= 3 && !strcmp(low + n - 3, "key"))
                return true;
        return false;
}

/* line builder over a fixed array: logging never allocates */
struct line {
        char buf[LINE_MAX_LEN];
        size_t len;
        bool trunc;
};

static void
put(struct line *l, const char *s, size_t n)
{
        size_t room = sizeof(l->buf) - 1 - l->len;

        if (n > room) {
                n = room;
                l->trunc = true;
        }
        memcpy(l->buf + l->len, s, n);
        l->len += n;
}

static void
puts_(struct line *l, const char *s)
{
        put(l, s, strlen(s));
}

static bool
needs_quote(const char *v)
{
        const unsigned char *p;

        if (!*v)
                return true;
        for (p = (const unsigned char *)v; *p; p++)
                if (*p <= ' ' || *p == '=' || *p == '"' || *p == '\\' || *p >= 0x7f)
                        return true;
        return false;
}

static void
put_value(struct line *l, const char *v)
{
        const unsigned char *p;

        if (!v)
                v = "";
        if (!needs_quote(v)) {
                puts_(l, v);
                return;
        }
        put(l, "\"", 1);
        for (p = (const unsigned char *)v; *p; p++) {
                char esc[8];

                switch (*p) {
                case '"':
                        put(l, "\\\"", 2);
                        break;
                case '\\':
                        put(l, "\\\\", 2);
                        break;
                case '\n':
                        put(l, "\\n", 2);
                        break;
                case '\r':
                        put(l, "\\r", 2);
                        break;
                case '\t':
                        put(l, "\\t", 2);
                        break;
                default:
                        if (*p < 0x20 || *p == 0x7f) {
                                snprintf(esc, sizeof(esc), "\\x%02x", *p);
                                puts_(l, esc);
                        } else {
                                put(l, (const char *)p, 1);
                        }
                }
        }
        put(l, "\"", 1);
}

static void
put_key(struct line *l, const char *k)
{
        const unsigned char *p;

        put(l, " ", 1);
        for (p = (const unsigned char *)(k ? k : "_"); *p; p++) {
                char c = (char)*p;

                if (*p <= ' ' || c == '=' || c == '"')
                        c = '_';
                put(l, &c, 1);
        }
        put(l, "=", 1);
}

void
cc_log_emit(enum cc_log_level lvl, const char *comp, const char *msg, const struct cc_log_kv *kv,
            size_t nkv)
{
        struct line l = { .len = 0, .trunc = false };
        char tmp[64];
        size_t i;

        ensure_init();
        if (st.timestamps) {
                struct timespec ts;
                struct tm tm;

                clock_gettime(CLOCK_REALTIME, &ts);
                gmtime_r(&ts.tv_sec, &tm);
                strftime(tmp, sizeof(tmp), "ts=%Y-%m-%dT%H:%M:%S", &tm);
                puts_(&l, tmp);
                snprintf(tmp, sizeof(tmp), ".%03ldZ ", ts.tv_nsec / 1000000L);
                puts_(&l, tmp);
        }
        puts_(&l, "level=");
        puts_(&l, cc_log_level_name(lvl));
        put_key(&l, "comp");
        put_value(&l, comp ? comp : "-");
        put_key(&l, "msg");
        put_value(&l, msg ? msg : "");
        for (i = 0; i < nkv; i++) {
                put_key(&l, kv[i].key);
                if (cc_log_is_secret_key(kv[i].key)) {
                        puts_(&l, CC_REDACTED);
                        continue;
                }
                switch (kv[i].type) {
                case CC_LOG_KV_STR:
                        put_value(&l, kv[i].s);
                        break;
                case CC_LOG_KV_INT:
                        snprintf(tmp, sizeof(tmp), "%lld", kv[i].i);
                        puts_(&l, tmp);
                        break;
                case CC_LOG_KV_UINT:
                        snprintf(tmp, sizeof(tmp), "%llu", kv[i].u);
                        puts_(&l, tmp);
                        break;
                case CC_LOG_KV_DBL:
                        snprintf(tmp, sizeof(tmp), "%.6g", kv[i].d);
                        puts_(&l, tmp);
                        break;
                }
        }
        if (l.trunc) {
                /* make room for the marker so a cut line is visibly cut */
                l.len = sizeof(l.buf) - 1 - 16;
                l.trunc = false;
                puts_(&l, " truncated=true");
        }
        l.buf[l.len] = '\0';
        if (st.sink) {
                st.sink(l.buf, l.len, st.sink_ud);
        } else {
                l.buf[l.len] = '\n';
                fwrite(l.buf, 1, l.len + 1, stderr);
        }
}
