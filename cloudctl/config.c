/* config.c -- load and validate the cloudctl configuration file. */
#include "cloudctl/config.h"

#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/yaml.h"
#include "providers/gke/naming.h"
#include "providers/provider.h"
#include "core/banned.h"

struct ld {
        const char *file;
        char dir[4096];
        struct cc_diag *d;
};

static cc_err
field_err(struct ld *l, const char *field, const char *why)
{
        return cc_diag_set(l->d, CC_INVAL, 0, "config '%s': field '%s': %s", l->file, field, why);
}

/* the getters' own message ("field 'x': expected string, got number"),
 * prefixed with the file */
static cc_err
wrap(struct ld *l, cc_err rc)
{
        if (rc && rc != CC_NOTFOUND)
                cc_diag_prefix(l->d, "config '%s'", l->file);
        return rc;
}

static cc_err
str(struct ld *l, const cJSON *root, const char *path, bool required, char **out)
{
        const char *v = NULL;
        cc_err rc;

        if (required)
                rc = cc_json_get_str(root, path, &v, l->d);
        else
                rc = cc_json_get_str_opt(root, path, &v, l->d);
        if (rc == CC_NOTFOUND && !required)
                return CC_OK;
        if (rc)
                return wrap(l, rc == CC_NOTFOUND ? CC_INVAL : rc);
        if (!v[0])
                return field_err(l, path, "must not be empty");
        *out = cc_strdup(v);
        return *out ? CC_OK : cc_diag_set(l->d, CC_NOMEM, 0, "out of memory");
}

/* a path relative to the config file's directory */
static cc_err
path_field(struct ld *l, const cJSON *root, const char *field, char **out)
{
        char *v = NULL;
        cc_err rc = str(l, root, field, false, &v);
        char full[8192];

        if (rc || !v)
                return rc;
        if (v[0] == '/' || !l->dir[0]) {
                *out = v;
                return CC_OK;
        }
        snprintf(full, sizeof(full), "%s/%s", l->dir, v);
        cc_free(v);
        *out = cc_strdup(full);
        return *out ? CC_OK : cc_diag_set(l->d, CC_NOMEM, 0, "out of memory");
}

static cc_err
url_field(struct ld *l, const cJSON *root, const char *field, char **out)
{
        cc_err rc = str(l, root, field, false, out);

        if (rc || !*out)
                return rc;
        if (strncmp(*out, "http://", 7) && strncmp(*out, "https://", 8))
                return field_err(l, field, "must be an http:// or https:// URL");
        return CC_OK;
}

static cc_err
load_cluster(struct ld *l, const cJSON *c, size_t i, struct cc_config_cluster *cl)
{
        char p[128];
        const cJSON *zones = NULL, *z;
        int64_t w = 100;
        cc_err rc;

        snprintf(p, sizeof(p), "clusters[%zu].name", i);
        rc = str(l, c, "name", true, &cl->name);
        if (rc == CC_INVAL && !cl->name) {
                /* re-issue with the full path for a readable message */
                return field_err(l, p, "is required and must be a string");
        }
        if (rc)
                return rc;
        if (!cc_gke_valid_name(cl->name))
                return field_err(l, p, "must be a lowercase name ([a-z]([-a-z0-9]*[a-z0-9])?)");
        if ((rc = str(l, c, "region", false, &cl->region)) ||
            (rc = path_field(l, c, "kubeconfig", &cl->kubeconfig)) ||
            (rc = str(l, c, "context", false, &cl->context)) ||
            (rc = path_field(l, c, "services", &cl->services)))
                return rc;
        rc = cc_json_get_int_opt(c, "weight", 0, 100, &w, l->d);
        if (rc == CC_INVAL) {
                snprintf(p, sizeof(p), "clusters[%zu].weight", i);
                return field_err(l, p, "must be an integer 0..100");
        }
        cl->weight = (int)w;
        rc = cc_json_get_arr_opt(c, "zones", &zones, l->d);
        if (rc == CC_INVAL) {
                snprintf(p, sizeof(p), "clusters[%zu].zones", i);
                return field_err(l, p, "must be a list of zone names");
        }
        cJSON_ArrayForEach(z, zones)
        {
                if (!cJSON_IsString(z) || !z->valuestring[0]) {
                        snprintf(p, sizeof(p), "clusters[%zu].zones", i);
                        return field_err(l, p, "must be a list of zone names");
                }
                if (cl->nzones == CC_CONFIG_MAX_ZONES) {
                        snprintf(p, sizeof(p), "clusters[%zu].zones", i);
                        return field_err(l, p, "too many zones");
                }
                cl->zones[cl->nzones] = cc_strdup(z->valuestring);
                if (!cl->zones[cl->nzones++])
                        return cc_diag_set(l->d, CC_NOMEM, 0, "out of memory");
        }
        return CC_OK;
}

static cc_err
load(struct ld *l, const cJSON *root, struct cc_config *cfg)
{
        const cJSON *clusters = NULL, *c;
        const char *mode = NULL, *ctype = NULL;
        size_t i = 0, j;
        cc_err rc;

        if (!cJSON_IsObject(root))
                return cc_diag_set(l->d, CC_INVAL, 0, "config '%s': expected a mapping at the top",
                                   l->file);
        if ((rc = str(l, root, "fleet", true, &cfg->fleet)) ||
            (rc = str(l, root, "project", true, &cfg->project)) ||
            (rc = str(l, root, "network", false, &cfg->network)) ||
            (rc = str(l, root, "dns.managedZone", false, &cfg->dns_zone)) ||
            (rc = str(l, root, "dns.dnsName", false, &cfg->dns_name)))
                return rc;
        if (!cc_gke_valid_name(cfg->fleet) || strlen(cfg->fleet) > 30)
                return field_err(l, "fleet", "must be a lowercase name of at most 30 characters");
        if (!cfg->network && !(cfg->network = cc_strdup("default")))
                return cc_diag_set(l->d, CC_NOMEM, 0, "out of memory");
        if (cfg->dns_zone && !cfg->dns_name)
                return field_err(l, "dns.dnsName", "is required with dns.managedZone");
        if (cfg->dns_name && cfg->dns_name[strlen(cfg->dns_name) - 1] != '.')
                return field_err(l, "dns.dnsName", "must end with a dot (\"example.com.\")");

        rc = cc_json_get_str_opt(root, "certificates", &mode, l->d);
        if (rc == CC_INVAL)
                return wrap(l, rc);
        if (!mode || !strcmp(mode, "certificate-manager"))
                cfg->cert_mode = CC_CERT_CERTMGR;
        else if (!strcmp(mode, "none"))
                cfg->cert_mode = CC_CERT_NONE;
        else
                return field_err(l, "certificates", "must be 'certificate-manager' or 'none'");

        rc = cc_json_get_arr_opt(root, "clusters", &clusters, l->d);
        if (rc == CC_INVAL)
                return field_err(l, "clusters", "must be a list");
        cJSON_ArrayForEach(c, clusters)
        {
                char p[64];

                snprintf(p, sizeof(p), "clusters[%zu]", i);
                if (!cJSON_IsObject(c))
                        return field_err(l, p, "must be a mapping");
                if (i == CC_CONFIG_MAX_CLUSTERS)
                        return field_err(l, "clusters", "too many clusters");
                rc = load_cluster(l, c, i, &cfg->clusters[i]);
                cfg->nclusters = i + 1;
                if (rc)
                        return rc;
                for (j = 0; j < i; j++)
                        if (!strcmp(cfg->clusters[j].name, cfg->clusters[i].name))
                                return field_err(l, p, "duplicate cluster name");
                i++;
        }

        if ((rc = url_field(l, root, "endpoints.compute", &cfg->endpoints.compute)) ||
            (rc = url_field(l, root, "endpoints.certificatemanager",
                            &cfg->endpoints.certificatemanager)) ||
            (rc = url_field(l, root, "endpoints.dns", &cfg->endpoints.dns)) ||
            (rc = url_field(l, root, "endpoints.token", &cfg->endpoints.token)) ||
            (rc = url_field(l, root, "endpoints.metadata", &cfg->endpoints.metadata)))
                return rc;

        rc = cc_json_get_str_opt(root, "credentials.type", &ctype, l->d);
        if (rc == CC_INVAL)
                return wrap(l, rc);
        if (!ctype || !strcmp(ctype, "adc"))
                cfg->credentials.type = CC_CRED_ADC;
        else if (!strcmp(ctype, "service-account-key"))
                cfg->credentials.type = CC_CRED_SA_KEY;
        else if (!strcmp(ctype, "metadata"))
                cfg->credentials.type = CC_CRED_METADATA;
        else if (!strcmp(ctype, "none"))
                cfg->credentials.type = CC_CRED_NONE;
        else
                return field_err(l, "credentials.type",
                                 "must be service-account-key, adc, metadata or none");
        if ((rc = path_field(l, root, "credentials.file", &cfg->credentials.file)))
                return rc;
        {
                static const struct {
                        const char *field;
                        size_t off;
                } rates[] = {
                        { "rateLimits.computeRead",
                          offsetof(struct cc_config, rates.compute_read) },
                        { "rateLimits.computeMutate",
                          offsetof(struct cc_config, rates.compute_mutate) },
                        { "rateLimits.computeOperations",
                          offsetof(struct cc_config, rates.compute_ops) },
                        { "rateLimits.certificateManager",
                          offsetof(struct cc_config, rates.certmgr) },
                        { "rateLimits.dns", offsetof(struct cc_config, rates.dns) },
                };

                for (j = 0; j < sizeof(rates) / sizeof(rates[0]); j++) {
                        const cJSON *v = cc_json_lookup(root, rates[j].field);
                        double *dst = (double *)((char *)cfg + rates[j].off);

                        *dst = CC_CONFIG_RATE_DEFAULT;
                        if (!v)
                                continue;
                        if (!cJSON_IsNumber(v) || v->valuedouble <= 0 || v->valuedouble > 100000)
                                return field_err(l, rates[j].field,
                                                 "must be a number of requests per second "
                                                 "(0 < n <= 100000)");
                        *dst = v->valuedouble;
                }
        }
        {
                int64_t ds = CC_CONFIG_DRAIN_DEFAULT;

                rc = cc_json_get_int_opt(root, "drainSeconds", 0, 3600, &ds, l->d);
                if (rc == CC_INVAL)
                        return field_err(l, "drainSeconds", "must be an integer 0..3600");
                cfg->drain_seconds = (int)ds;
        }
        if (cfg->credentials.type == CC_CRED_SA_KEY && !cfg->credentials.file)
                return field_err(l, "credentials.file", "is required for service-account-key");
        return CC_OK;
}

cc_err
cc_config_load(const char *path, struct cc_config *cfg, struct cc_diag *d)
{
        struct ld l = { .file = path, .d = d };
        cJSON *docs = NULL;
        char tmp[4096];
        cc_err rc;

        memset(cfg, 0, sizeof(*cfg));
        snprintf(tmp, sizeof(tmp), "%s", path);
        snprintf(l.dir, sizeof(l.dir), "%s", dirname(tmp));
        if (!strcmp(l.dir, "."))
                l.dir[0] = '\0';
        rc = cc_yaml_load_file(path, &docs, d);
        if (rc)
                goto out;
        if (cJSON_GetArraySize(docs) != 1) {
                rc =
                    cc_diag_set(d, CC_INVAL, 0, "config '%s': expected exactly one document", path);
                goto out;
        }
        cfg->path = cc_strdup(path);
        if (!cfg->path) {
                rc = cc_diag_set(d, CC_NOMEM, 0, "out of memory");
                goto out;
        }
        rc = load(&l, cJSON_GetArrayItem(docs, 0), cfg);
out:
        cJSON_Delete(docs);
        if (rc)
                cc_config_release(cfg);
        return rc;
}

void
cc_config_release(struct cc_config *cfg)
{
        size_t i, j;

        for (i = 0; i < cfg->nclusters; i++) {
                struct cc_config_cluster *c = &cfg->clusters[i];

                cc_free(c->name);
                cc_free(c->region);
                for (j = 0; j < c->nzones; j++)
                        cc_free(c->zones[j]);
                cc_free(c->kubeconfig);
                cc_free(c->context);
                cc_free(c->services);
        }
        cc_free(cfg->path);
        cc_free(cfg->fleet);
        cc_free(cfg->project);
        cc_free(cfg->network);
        cc_free(cfg->dns_zone);
        cc_free(cfg->dns_name);
        cc_free(cfg->endpoints.compute);
        cc_free(cfg->endpoints.certificatemanager);
        cc_free(cfg->endpoints.dns);
        cc_free(cfg->endpoints.token);
        cc_free(cfg->endpoints.metadata);
        cc_free(cfg->credentials.file);
        memset(cfg, 0, sizeof(*cfg));
}
