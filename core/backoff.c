/* backoff.c -- exponential backoff with full jitter, Retry-After parsing. */
#include "core/backoff.h"

#include <ctype.h>
#include <curl/curl.h>
#include <string.h>

#include "core/banned.h"

uint64_t
cc_backoff_ceiling_ms(const struct cc_retry_policy *p, unsigned attempt)
{
        uint64_t c = p->base_ms;
        unsigned i;

        if (attempt < 1)
                attempt = 1;
        for (i = 1; i < attempt && c < p->cap_ms; i++)
                c = c > UINT64_MAX / 2 ? UINT64_MAX : c * 2;
        return c < p->cap_ms ? c : p->cap_ms;
}

uint64_t
cc_backoff_ms(const struct cc_retry_policy *p, unsigned attempt, uint64_t rnd)
{
        uint64_t c = cc_backoff_ceiling_ms(p, attempt);

        if (c == UINT64_MAX)
                return rnd;
        return rnd % (c + 1);
}

bool
cc_retry_after_parse(const char *value, time_t now, uint64_t max_ms, uint64_t *ms)
{
        const char *p = value;
        uint64_t secs = 0, out;
        time_t when;
        bool ok = false;

        if (!value)
                goto done;
        while (*p == ' ' || *p == '\t')
                p++;
        if (isdigit((unsigned char)*p)) {
                while (isdigit((unsigned char)*p)) {
                        if (secs > UINT64_MAX / 10 - 10)
                                secs = UINT64_MAX / 10 - 10; /* saturate; clamped below */
                        secs = secs * 10 + (uint64_t)(*p - '0');
                        p++;
                }
                while (*p == ' ' || *p == '\t')
                        p++;
                if (*p)
                        goto done;
                out = secs > max_ms / 1000 ? max_ms : secs * 1000;
        } else {
                /* curl_getdate knows IMF-fixdate, RFC 850 and asctime */
                when = curl_getdate(p, NULL);
                if (when == (time_t)-1)
                        goto done;
                if (when <= now)
                        out = 0;
                else if ((uint64_t)(when - now) > max_ms / 1000)
                        out = max_ms;
                else
                        out = (uint64_t)(when - now) * 1000;
        }
        *ms = out;
        ok = true;
done:
        return ok;
}

uint64_t
cc_rand_next(uint64_t *state)
{
        uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}
