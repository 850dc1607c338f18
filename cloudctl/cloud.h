/* cloud.h -- the gke provider's runtime set up from the config, shared by
 * plan/apply/destroy (cmd_lb.c) and the controller (cmd_run.c).
 *
 * Credentials per the config's credentials.type (none, metadata,
 * service-account-key, Application Default Credentials: the file named in
 * the config, else GOOGLE_APPLICATION_CREDENTIALS, else gcloud's well-known
 * file), the API endpoints, and the per-quota-group rate limits.
 */
#ifndef CC_CLOUD_H
#define CC_CLOUD_H

#include <stdbool.h>

#include "cloudctl/config.h"
#include "core/err.h"
#include "core/http.h"
#include "core/loop.h"
#include "providers/gke/api.h"
#include "providers/gke/auth.h"

struct cc_cloud {
        struct cc_gke_auth auth;
        struct cc_gke_api api;
        bool auth_ok, api_ok;
};

/* cc_cloud_init -- auth and API client on loop/http (borrowed; they must
 * outlive the cloud).  On error, release what was set up with
 * cc_cloud_release(). */
cc_err cc_cloud_init(struct cc_cloud *c, struct cc_loop *loop, struct cc_http *http,
                     const struct cc_config *cfg, struct cc_diag *d);
void cc_cloud_release(struct cc_cloud *c);

#endif
