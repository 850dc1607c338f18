/* modules.c -- the API modules mock-gcp serves, in routing order. */
#include "mocks/gcp/gcp.h"

#include "core/banned.h"

extern const struct gcp_module gcp_module_compute;
extern const struct gcp_module gcp_module_dns;
extern const struct gcp_module gcp_module_certmgr;
extern const struct gcp_module gcp_module_auth;

const struct gcp_module *const gcp_modules[] = {
        &gcp_module_compute, &gcp_module_dns, &gcp_module_certmgr, &gcp_module_auth, NULL,
};
