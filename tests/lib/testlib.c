/* testlib.c -- helpers shared by cloudctl's tests. */
#include "lib/testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/banned.h"

static struct cc_buf captured = CC_BUF_INIT(16 << 20);

static void
capture_sink(const char *line, size_t len, void *ud)
{
        (void)ud;
        cc_buf_append(&captured, line, len);
        cc_buf_putc(&captured, '\n');
}

void
cc_test_log_capture_start(const char *spec)
{
        cc_buf_release(&captured);
        cc_buf_init(&captured, 16 << 20);
        cc_log_reset();
        cc_log_configure(spec ? spec : "info", NULL);
        cc_log_set_sink(capture_sink, NULL);
}

const char *
cc_test_log_captured(void)
{
        return cc_buf_str(&captured);
}

void
cc_test_log_capture_stop(void)
{
        cc_log_reset();
        cc_buf_release(&captured);
}

const char *
cc_test_path(const char *rel)
{
        static char path[4096];
        const char *root = getenv("CC_SOURCE_DIR");

        snprintf(path, sizeof(path), "%s/%s", root ? root : ".", rel);
        return path;
}

char *
cc_test_read_file(const char *path, size_t *len)
{
        struct cc_buf b = CC_BUF_INIT(256 << 20);
        char chunk[65536];
        size_t n;
        FILE *f = fopen(path, "rb");

        if (!f)
                return NULL;
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
                if (cc_buf_append(&b, chunk, n)) {
                        fclose(f);
                        return NULL;
                }
        }
        fclose(f);
        return cc_buf_detach(&b, len);
}

static char tmpdir[256];

static void
rm_tmpdir(void)
{
        char cmd[512];

        if (!tmpdir[0])
                return;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
                fprintf(stderr, "warning: could not remove %s\n", tmpdir);
}

const char *
cc_test_tmpdir(void)
{
        if (tmpdir[0])
                return tmpdir;
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/cloudctl-test-XXXXXX");
        if (!mkdtemp(tmpdir)) {
                tmpdir[0] = '\0';
                return NULL;
        }
        atexit(rm_tmpdir);
        return tmpdir;
}

static size_t
http_collect(char *p, size_t size, size_t n, void *ud)
{
        return cc_buf_append(ud, p, size * n) ? 0 : size * n;
}

long
cc_test_http(const char *method, const char *url, const char *cafile, const char *bearer,
             const char *ctype, const char *body, struct cJSON **out)
{
        CURL *c = curl_easy_init();
        struct curl_slist *h = NULL;
        struct cc_buf b = CC_BUF_INIT(0);
        char hdr[512];
        long code = 0;

        snprintf(hdr, sizeof(hdr), "Content-Type: %s", ctype ? ctype : "application/json");
        h = curl_slist_append(h, hdr);
        if (bearer) {
                snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", bearer);
                h = curl_slist_append(h, hdr);
        }
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        if (cafile)
                curl_easy_setopt(c, CURLOPT_CAINFO, cafile);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        if (body)
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_collect);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
        if (curl_easy_perform(c) == CURLE_OK)
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        if (out)
                *out = cJSON_Parse(cc_buf_str(&b));
        cc_buf_release(&b);
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        return code;
}
