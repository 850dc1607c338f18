/* log.h -- logfmt logging with a level per component, secrets redacted.
 *
 * One line per event:
 *   ts=2026-11-29T23:31:30.123Z level=info comp=gke.urlmap msg="url map created" name=cc1-um-x
 *
 * Components are dotted names; a level set for "gke" applies to "gke.urlmap"
 * unless a longer prefix is configured.  Levels: error = a human must act;
 * warn = degraded, will retry; info = a state change; debug = a line per
 * request; trace = the wire (redacted).
 *
 * Values of fields whose key names a credential (token, key, assertion,
 * password, secret, authorization, ...) are printed as [REDACTED] whatever
 * the caller passes.  That is a safety net: do not pass secrets at all.
 *
 * Logging state is process-wide (like a program's stderr): configure it once
 * in main() with cc_log_configure(); tests may install a sink.
 */
#ifndef CC_LOG_H
#define CC_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

enum cc_log_level {
        CC_LOG_OFF = -1,
        CC_LOG_ERROR = 0,
        CC_LOG_WARN,
        CC_LOG_INFO,
        CC_LOG_DEBUG,
        CC_LOG_TRACE,
};

enum cc_log_kv_type { CC_LOG_KV_STR, CC_LOG_KV_INT, CC_LOG_KV_UINT, CC_LOG_KV_DBL };

struct cc_log_kv {
        const char *key;
        enum cc_log_kv_type type;
        const char *s;
        long long i;
        unsigned long long u;
        double d;
};

#define CC_S(k, v) ((struct cc_log_kv){ .key = (k), .type = CC_LOG_KV_STR, .s = (v) })
#define CC_I(k, v) ((struct cc_log_kv){ .key = (k), .type = CC_LOG_KV_INT, .i = (long long)(v) })
#define CC_U(k, v) \
        ((struct cc_log_kv){ .key = (k), .type = CC_LOG_KV_UINT, .u = (unsigned long long)(v) })
#define CC_D(k, v) ((struct cc_log_kv){ .key = (k), .type = CC_LOG_KV_DBL, .d = (double)(v) })

/* CC_LOG(level, comp, msg, kv...) -- log if enabled; arguments after msg
 * are CC_S/CC_I/CC_U/CC_D fields.  Nothing is evaluated when disabled. */
#define CC_LOG(lvl, comp, msg, ...)                                                 \
        do {                                                                        \
                if (cc_log_enabled((lvl), (comp))) {                                \
                        const struct cc_log_kv cc_kv_[] = { { 0 }, ##__VA_ARGS__ }; \
                        cc_log_emit((lvl), (comp), (msg), cc_kv_ + 1,               \
                                    sizeof(cc_kv_) / sizeof(cc_kv_[0]) - 1);        \
                }                                                                   \
        } while (0)

#define CC_ERROR(comp, msg, ...) CC_LOG(CC_LOG_ERROR, comp, msg, ##__VA_ARGS__)
#define CC_WARN(comp, msg, ...)  CC_LOG(CC_LOG_WARN, comp, msg, ##__VA_ARGS__)
#define CC_INFO(comp, msg, ...)  CC_LOG(CC_LOG_INFO, comp, msg, ##__VA_ARGS__)
#define CC_DEBUG(comp, msg, ...) CC_LOG(CC_LOG_DEBUG, comp, msg, ##__VA_ARGS__)
#define CC_TRACE(comp, msg, ...) CC_LOG(CC_LOG_TRACE, comp, msg, ##__VA_ARGS__)

/* cc_log_configure -- parse "level" or "comp:level,comp:level,..." where a
 * bare level (or "*:level") sets the default.  Levels: off, error, warn,
 * info, debug, trace.  On error the previous configuration is kept. */
cc_err cc_log_configure(const char *spec, struct cc_diag *d);

/* cc_log_reset -- back to the default: info for everything, stderr sink. */
void cc_log_reset(void);

bool cc_log_enabled(enum cc_log_level lvl, const char *comp);
void cc_log_emit(enum cc_log_level lvl, const char *comp, const char *msg,
                 const struct cc_log_kv *kv, size_t nkv);

/* cc_log_set_sink -- send lines (without the trailing newline) to fn
 * instead of stderr; fn NULL restores stderr. */
typedef void (*cc_log_sink_fn)(const char *line, size_t len, void *ud);
void cc_log_set_sink(cc_log_sink_fn fn, void *ud);

/* cc_log_set_timestamps -- include ts= (default true). */
void cc_log_set_timestamps(bool on);

/* cc_log_level_parse -- "debug" -> CC_LOG_DEBUG; returns false if unknown. */
bool cc_log_level_parse(const char *s, size_t n, enum cc_log_level *out);
const char *cc_log_level_name(enum cc_log_level lvl);

/* cc_log_is_secret_key -- true if a field or header of this name carries a
 * credential and must be redacted (case-insensitive). */
bool cc_log_is_secret_key(const char *key);

#define CC_REDACTED "[REDACTED]"

#endif
