/* fuzz_yaml.c -- libFuzzer driver for the YAML and JSON parsers.
 *
 * Not built by default.  Build and run from the repository root with:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_yaml.c \
 *       core/yaml.c core/json.c core/alloc.c core/buf.c core/err.c \
 *       $(pkg-config --cflags --libs libcjson yaml-0.1 libcurl) -lm -o fuzz_yaml
 *   mkdir -p corpus && cp tests/unit/core/data/manifest.* corpus/
 *   ./fuzz_yaml -max_len=65536 -max_total_time=120 corpus
 *
 * Besides "no crash, no leak", it checks three properties:
 *  - cc_json_parse never reports CC_NOMEM without an allocation failure,
 *    i.e. its strict scanner never accepts what cJSON then refuses;
 *  - whatever cc_yaml_to_json produces prints as JSON that cc_json_parse
 *    reads back and that prints the same again (depth, strings and numbers
 *    survive; the first print may round a double by an ulp, since cJSON's
 *    printer checks its 15-digit form with a tolerance, so the trees are
 *    compared through their printed form, not with cc_json_equal);
 *  - a failure always carries a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/yaml.h"
#include "core/banned.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        return cc_alloc_init() == CC_OK ? 0 : 1;
}

static void
check(int ok)
{
        if (!ok)
                abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct cc_diag d = { 0 };
        struct cc_buf b = CC_BUF_INIT(0), b2 = CC_BUF_INIT(0);
        cJSON *docs = NULL, *json = NULL, *back = NULL;
        cc_err rc;

        rc = cc_json_parse((const char *)data, size, 0, &json, &d);
        check(rc != CC_NOMEM);
        check(rc == CC_OK || d.message[0] != '\0');
        cJSON_Delete(json);

        rc = cc_yaml_to_json((const char *)data, size, &docs, &d);
        check(rc != CC_NOMEM);
        if (rc != CC_OK) {
                check(d.message[0] != '\0');
                return 0;
        }
        check(cc_json_print(docs, false, &b) == CC_OK);
        rc = cc_json_parse(b.data, b.len, b.len, &back, &d);
        check(rc == CC_OK);
        check(cc_json_print(back, false, &b2) == CC_OK);
        check(b.len == b2.len && !memcmp(b.data, b2.data, b.len));
        cJSON_Delete(back);
        cJSON_Delete(docs);
        cc_buf_release(&b);
        cc_buf_release(&b2);
        return 0;
}
