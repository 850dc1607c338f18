/* modules.c -- the API modules mock-gcp serves, in routing order. */
#include "mocks/gcp/gcp.h"

#include "core/banned.h"

const struct gcp_module *const gcp_modules[] = {
        NULL,
};
