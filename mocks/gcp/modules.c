/* modules.c -- the API modules mock-gcp serves, in routing order. */
#include "mocks/gcp/gcp.h"

#include "core/banned.h"

extern const struct gcp_module gcp_module_compute;

const struct gcp_module *const gcp_modules[] = {
        &gcp_module_compute,
        NULL,
};
