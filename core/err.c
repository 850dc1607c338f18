/* err.c -- error names and the diagnostics record. */
#include "core/err.h"

#include <stdio.h>
#include <string.h>

#include "core/banned.h"

static const char *const names[CC_ERR__COUNT] = {
        [CC_OK] = "ok",
        [CC_NOMEM] = "nomem",
        [CC_INVAL] = "invalid",
        [CC_NOTFOUND] = "notfound",
        [CC_CONFLICT] = "conflict",
        [CC_RATELIMIT] = "ratelimit",
        [CC_TRANSIENT] = "transient",
        [CC_AUTH] = "auth",
        [CC_QUOTA] = "quota",
        [CC_NOTSUP] = "notsup",
        [CC_AGAIN] = "again",
        [CC_INTERNAL] = "internal",
        [CC_TOOBIG] = "toobig",
        [CC_IO] = "io",
        [CC_CANCELED] = "canceled",
};

const char *
cc_err_name(cc_err code)
{
        if ((unsigned)code >= CC_ERR__COUNT)
                return "unknown";
        return names[code];
}

void
cc_diag_clear(struct cc_diag *d)
{
        if (!d)
                return;
        d->code = CC_OK;
        d->http_status = 0;
        d->message[0] = '\0';
        d->request_id[0] = '\0';
}

cc_err
cc_diag_vset(struct cc_diag *d, cc_err code, int http_status, const char *fmt, va_list ap)
{
        if (!d)
                return code;
        d->code = code;
        d->http_status = http_status;
        if (vsnprintf(d->message, sizeof(d->message), fmt, ap) < 0)
                d->message[0] = '\0';
        return code;
}

cc_err
cc_diag_set(struct cc_diag *d, cc_err code, int http_status, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        cc_diag_vset(d, code, http_status, fmt, ap);
        va_end(ap);
        return code;
}

void
cc_diag_prefix(struct cc_diag *d, const char *fmt, ...)
{
        char old[CC_DIAG_MSG_MAX];
        char pre[CC_DIAG_MSG_MAX];
        va_list ap;

        if (!d)
                return;
        memcpy(old, d->message, sizeof(old));
        va_start(ap, fmt);
        if (vsnprintf(pre, sizeof(pre), fmt, ap) < 0)
                pre[0] = '\0';
        va_end(ap);
        if (old[0])
                snprintf(d->message, sizeof(d->message), "%s: %s", pre, old);
        else
                snprintf(d->message, sizeof(d->message), "%s", pre);
}

void
cc_diag_set_request_id(struct cc_diag *d, const char *rid)
{
        if (!d)
                return;
        snprintf(d->request_id, sizeof(d->request_id), "%s", rid ? rid : "");
}
