/* cloud.c -- the gke provider's runtime from the config. */
#include "cloudctl/cloud.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/banned.h"

cc_err
cc_cloud_init(struct cc_cloud *c, struct cc_loop *loop, struct cc_http *http,
              const struct cc_config *cfg, struct cc_diag *d)
{
        struct cc_gke_auth_opts ao = { 0 };
        struct cc_gke_endpoints ep = {
                .compute = cfg->endpoints.compute,
                .certmgr = cfg->endpoints.certificatemanager,
                .dns = cfg->endpoints.dns,
        };
        const char *adc = NULL;
        char adc_default[4096];
        cc_err rc;

        switch (cfg->credentials.type) {
        case CC_CRED_NONE:
                ao.type = CC_GKE_AUTH_NONE;
                break;
        case CC_CRED_METADATA:
                ao.type = CC_GKE_AUTH_METADATA;
                ao.metadata_root = cfg->endpoints.metadata;
                break;
        case CC_CRED_SA_KEY:
                ao.type = CC_GKE_AUTH_FILE;
                ao.key_file = cfg->credentials.file;
                break;
        case CC_CRED_ADC:
                /* Application Default Credentials: the file named in the config,
                 * else GOOGLE_APPLICATION_CREDENTIALS, else gcloud's well-known file */
                adc = cfg->credentials.file;
                if (!adc)
                        adc = getenv("GOOGLE_APPLICATION_CREDENTIALS");
                if (!adc && getenv("HOME")) {
                        snprintf(adc_default, sizeof(adc_default),
                                 "%s/.config/gcloud/application_default_credentials.json",
                                 getenv("HOME"));
                        adc = adc_default;
                }
                if (!adc || access(adc, R_OK) != 0)
                        return cc_diag_set(
                            d, CC_AUTH, 0,
                            "no Application Default Credentials: set credentials.file "
                            "in '%s', GOOGLE_APPLICATION_CREDENTIALS, or use "
                            "credentials.type metadata or service-account-key",
                            cfg->path);
                ao.type = CC_GKE_AUTH_FILE;
                ao.key_file = adc;
                break;
        }
        ao.token_uri = cfg->endpoints.token;
        ao.rate_group = CC_GKE_RL_TOKEN;
        rc = cc_gke_auth_init(&c->auth, http, &ao, d);
        if (rc)
                return rc;
        c->auth_ok = true;
        rc = cc_gke_api_init(&c->api, loop, http, &c->auth, &ep, NULL, d);
        if (rc)
                return rc;
        c->api_ok = true;
        /* stay within the project's API quotas instead of bouncing off them */
        if ((rc = cc_gke_api_set_rate(&c->api, CC_GKE_RL_COMPUTE_READ, cfg->rates.compute_read,
                                      cfg->rates.compute_read)) ||
            (rc = cc_gke_api_set_rate(&c->api, CC_GKE_RL_COMPUTE_MUTATE, cfg->rates.compute_mutate,
                                      cfg->rates.compute_mutate)) ||
            (rc = cc_gke_api_set_rate(&c->api, CC_GKE_RL_COMPUTE_OP, cfg->rates.compute_ops,
                                      cfg->rates.compute_ops)) ||
            (rc = cc_gke_api_set_rate(&c->api, CC_GKE_RL_CERTMGR, cfg->rates.certmgr,
                                      cfg->rates.certmgr)) ||
            (rc = cc_gke_api_set_rate(&c->api, CC_GKE_RL_DNS, cfg->rates.dns, cfg->rates.dns)))
                return cc_diag_set(d, rc, 0, "cannot set the API rate limits");
        return CC_OK;
}

void
cc_cloud_release(struct cc_cloud *c)
{
        if (c->api_ok)
                cc_gke_api_release(&c->api);
        if (c->auth_ok)
                cc_gke_auth_release(&c->auth);
        c->api_ok = c->auth_ok = false;
}
