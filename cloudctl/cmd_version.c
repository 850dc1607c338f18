/* cmd_version.c -- `cloudctl version`: this build and the libraries it runs on. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <jwt.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <ares.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>
#include <yaml.h>

#include "cloudctl/cli.h"
#include "core/banned.h"

#ifndef CC_VERSION
#define CC_VERSION "0.0.0"
#endif

static int
run_version(int argc, char **argv)
{
        int i, as_json = 0;

        for (i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "-o") && i + 1 < argc && !strcmp(argv[i + 1], "json")) {
                        as_json = 1;
                        i++;
                } else if (!strcmp(argv[i], "-o=json") || !strcmp(argv[i], "--output=json")) {
                        as_json = 1;
                } else {
                        return cc_cli_usage_error("version", "unexpected argument '%s'", argv[i]);
                }
        }
        if (as_json) {
                printf(
                    "{\"cloudctl\":\"%s\",\"libcurl\":\"%s\",\"openssl\":\"%s\",\"cjson\":\"%s\","
                    "\"libuv\":\"%s\",\"libyaml\":\"%s\",\"c-ares\":\"%s\",\"libmicrohttpd\":\"%"
                    "s\"}\n",
                    CC_VERSION, curl_version_info(CURLVERSION_NOW)->version,
                    OpenSSL_version(OPENSSL_VERSION_STRING), cJSON_Version(), uv_version_string(),
                    yaml_get_version_string(), ares_version(NULL), MHD_get_version());
                return CC_EXIT_OK;
        }
        printf("cloudctl %s\n", CC_VERSION);
        printf("  libcurl       %s\n", curl_version_info(CURLVERSION_NOW)->version);
        printf("  openssl       %s\n", OpenSSL_version(OPENSSL_VERSION_STRING));
        printf("  cjson         %s\n", cJSON_Version());
        printf("  libuv         %s\n", uv_version_string());
        printf("  libyaml       %s\n", yaml_get_version_string());
        printf("  c-ares        %s\n", ares_version(NULL));
        printf("  libmicrohttpd %s\n", MHD_get_version());
        return CC_EXIT_OK;
}

const struct cc_cmd cc_cmd_version = {
        .name = "version",
        .summary = "print cloudctl's version and the versions of its libraries",
        .usage = "usage: cloudctl version [-o json]\n"
                 "\n"
                 "Print the cloudctl version and the versions of the libraries it was built with.\n"
                 "\n"
                 "options:\n"
                 "  -o json   machine-readable output\n",
        .run = run_version,
};
