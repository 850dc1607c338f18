/* inputs.c -- manifests + config -> the provider's per-Gateway inputs. */
#include "cloudctl/inputs.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/gwstatus.h"
#include "core/json.h"
#include "core/banned.h"

#define NEG_ANNOTATION "cloud.google.com/neg"
#define GW_NAME_LABEL  "gateway.networking.k8s.io/gateway-name"

bool
cc_neg_annotation_parse(const char *value, char *name, size_t namesz, int *port)
{
        cJSON *root = value ? cJSON_Parse(value) : NULL;
        const cJSON *ports = cJSON_GetObjectItemCaseSensitive(root, "exposed_ports"), *p;
        long best = -1;
        bool ok = false;

        cJSON_ArrayForEach(p, ports)
        {
                char *end;
                long n = p->string ? strtol(p->string, &end, 10) : -1;
                const cJSON *nm = cJSON_GetObjectItemCaseSensitive(p, "name");

                if (!p->string || *end || n < 1 || n > 65535 || !cJSON_IsString(nm) ||
                    !nm->valuestring[0])
                        continue;
                if (best < 0 || n < best) {
                        best = n;
                        ok = (size_t)snprintf(name, namesz, "%s", nm->valuestring) < namesz;
                }
        }
        if (ok && port)
                *port = (int)best;
        cJSON_Delete(root);
        return ok;
}

/* the cluster's gateway Service for ns/name, or NULL */
static const cJSON *
find_service(const struct cc_manifests *svcs, const char *ns, const char *name)
{
        const struct cc_manifest *m;
        size_t i = 0;

        while ((m = cc_manifests_next(svcs, "Service", &i)) != NULL) {
                const cJSON *meta = cJSON_GetObjectItemCaseSensitive(m->obj, "metadata");
                const cJSON *sns = cJSON_GetObjectItemCaseSensitive(meta, "namespace");
                const cJSON *labels = cJSON_GetObjectItemCaseSensitive(meta, "labels");
                const cJSON *gwn = cJSON_GetObjectItemCaseSensitive(labels, GW_NAME_LABEL);
                const char *svc_ns = cJSON_IsString(sns) ? sns->valuestring : "default";

                if (!strcmp(svc_ns, ns) && cJSON_IsString(gwn) && !strcmp(gwn->valuestring, name))
                        return m->obj;
        }
        return NULL;
}

static enum cc_lb_protocol
protocol_of(const char *p)
{
        return !strcmp(p, "HTTPS") ? CC_LB_HTTPS : CC_LB_HTTP;
}

/* the PEMs of a listener's (first) certificateRef: the Secret is in the
 * snapshot with both PEMs once gwstatus let the listener through */
static void
listener_cert(const struct cc_gw_snapshot *snap, const struct cc_gw_gateway *gw,
              const struct cc_gw_listener *l, struct cc_lb_listener *out)
{
        const struct cc_gw_ref *r = l->n_cert_refs ? &l->cert_refs[0] : NULL;
        const struct cc_gw_secret *sec =
            r ? cc_gw_snapshot_secret(snap, r->ns ? r->ns : gw->meta.ns, r->name) : NULL;

        if (sec && sec->crt_data && sec->key_data) {
                out->cert_pem = sec->crt_data;
                out->key_pem = sec->key_data;
        }
}

static cc_err
build_gateway(struct cc_inputs *in, const struct cc_config *cfg, const struct cc_gw_verdict *v,
              struct cc_diag *d)
{
        const struct cc_gw_gateway *gw = v->gw;
        struct cc_input_gw *ig;
        size_t i, nl = 0;

        {
                struct cc_input_gw *n = cc_realloc(in->gws, (in->ngws + 1) * sizeof(*n));

                if (!n)
                        return cc_diag_set(d, CC_NOMEM, 0, "out of memory");
                in->gws = n;
        }
        ig = &in->gws[in->ngws];
        memset(ig, 0, sizeof(*ig));
        in->ngws++;
        ig->lb.ns = gw->meta.ns;
        ig->lb.name = gw->meta.name;
        ig->listeners = cc_calloc(gw->n_listeners + 1, sizeof(*ig->listeners));
        ig->clusters = cc_calloc(cfg->nclusters + 1, sizeof(*ig->clusters));
        ig->neg_names = cc_calloc(cfg->nclusters + 1, sizeof(*ig->neg_names));
        ig->negs = cc_calloc(cfg->nclusters + 1, sizeof(*ig->negs));
        ig->nnegs = cc_calloc(cfg->nclusters + 1, sizeof(*ig->nnegs));
        if (!ig->listeners || !ig->clusters || !ig->neg_names || !ig->negs || !ig->nnegs)
                return cc_diag_set(d, CC_NOMEM, 0, "out of memory");
        ig->ncluster_slots = cfg->nclusters;
        for (i = 0; i < gw->n_listeners && i < CC_GW_MAX_LISTENERS; i++) {
                const struct cc_gw_listener *l = &gw->listeners[i];
                struct cc_lb_listener *ll = &ig->listeners[nl];

                if (!(v->listeners & (1ull << i))) {
                        /* its status says why; the other listeners are served */
                        if (cc_strv_pushf(&in->notes,
                                          "gateway '%s/%s': listener '%s' is not provisioned (%s)",
                                          gw->meta.ns, gw->meta.name, l->name,
                                          v->lreason[i] ? v->lreason[i] : "Invalid"))
                                return cc_diag_set(d, CC_NOMEM, 0, "out of memory");
                        continue;
                }
                ll->name = l->name;
                ll->port = (int)l->port;
                ll->protocol = protocol_of(l->protocol);
                ll->hostname = l->hostname;
                if (ll->protocol == CC_LB_HTTPS)
                        listener_cert(&in->snap, gw, l, ll);
                nl++;
        }
        ig->lb.listeners = ig->listeners;
        ig->lb.nlisteners = nl;
        for (i = 0; i < gw->n_addresses; i++)
                if (!strcmp(gw->addresses[i].type, "NamedAddress"))
                        ig->lb.address_name = gw->addresses[i].value;

        for (i = 0; i < cfg->nclusters; i++) {
                const cJSON *svc = i < in->nclusters ? find_service(&in->cluster_services[i],
                                                                    gw->meta.ns, gw->meta.name)
                                                     : NULL;
                const char *ann = NULL;
                char neg[128];
                int port = 0;

                ig->clusters[i].name = cfg->clusters[i].name;
                ig->clusters[i].weight = cfg->clusters[i].weight;
                if (svc)
                        cc_json_get_str_opt(svc, "metadata.annotations[\"" NEG_ANNOTATION "\"]",
                                            &ann, NULL);
                if (!svc || !ann || !cc_neg_annotation_parse(ann, neg, sizeof(neg), &port)) {
                        if (cc_strv_pushf(
                                &in->notes,
                                "cluster '%s' has no gateway Service with a '%s' annotation "
                                "for gateway '%s/%s': it gets no backends",
                                cfg->clusters[i].name, NEG_ANNOTATION, gw->meta.ns, gw->meta.name))
                                return cc_diag_set(d, CC_NOMEM, 0, "out of memory");
                        continue;
                }
                if (cc_strv_push(&ig->neg_names[i], neg))
                        return cc_diag_set(d, CC_NOMEM, 0, "out of memory");
                if (!ig->lb.serving_port)
                        ig->lb.serving_port = port;
        }
        ig->lb.clusters = ig->clusters;
        ig->lb.nclusters = cfg->nclusters;
        return CC_OK;
}

cc_err
cc_inputs_load_services(struct cc_inputs *in, const struct cc_config *cfg, struct cc_diag *d)
{
        cc_err rc = CC_OK;
        size_t i;

        /* a reload replaces what an earlier call read */
        for (i = 0; i < in->nclusters; i++)
                cc_manifests_release(&in->cluster_services[i]);
        cc_free(in->cluster_services);
        in->nclusters = 0;
        in->cluster_services = cc_calloc(cfg->nclusters + 1, sizeof(*in->cluster_services));
        if (!in->cluster_services)
                return cc_diag_set(d, CC_NOMEM, 0, "out of memory");
        in->nclusters = cfg->nclusters;
        for (i = 0; i < cfg->nclusters && !rc; i++)
                if (cfg->clusters[i].services)
                        rc = cc_manifests_load(&in->cluster_services[i], cfg->clusters[i].services,
                                               d);
        return rc;
}

cc_err
cc_inputs_load(struct cc_inputs *in, const struct cc_config *cfg, const char *const *paths,
               size_t npaths, struct cc_diag *d)
{
        size_t i;
        cc_err rc = CC_OK;

        memset(in, 0, sizeof(*in));
        cc_gw_snapshot_init(&in->snap);
        for (i = 0; i < npaths && !rc; i++)
                rc = cc_manifests_load(&in->manifests, paths[i], d);
        if (rc)
                return rc;
        if ((rc = cc_inputs_load_services(in, cfg, d)))
                return rc;

        /* objects that fail to parse are reported; the rest go on */
        for (i = 0; i < in->manifests.n; i++) {
                struct cc_diag pd;

                rc = cc_gw_snapshot_add(&in->snap, in->manifests.items[i].obj, NULL, &pd);
                if (rc == CC_NOMEM)
                        return cc_diag_set(d, CC_NOMEM, 0, "out of memory");
                if (rc && cc_strv_pushf(&in->errors, "%s (%s)", pd.message,
                                        in->manifests.items[i].source))
                        return cc_diag_set(d, CC_NOMEM, 0, "out of memory");
                rc = CC_OK;
        }
        return cc_inputs_classify(in, cfg, d);
}

cc_err
cc_inputs_classify(struct cc_inputs *in, const struct cc_config *cfg, struct cc_diag *d)
{
        struct cc_gw_serve serve = { 0 };
        struct cc_gw_verdict *verdicts = NULL;
        size_t nverdicts = 0, i;
        cc_err rc = CC_OK;

        for (i = 0; i < in->snap.n_gateways; i++) {
                const struct cc_gw_gateway *gw = in->snap.gateways[i];

                if (cc_gw_serves(&in->snap, &serve, gw))
                        continue;
                /* "<data plane>+<provider>" is a composite class by its
                 * syntax: one cloudctl does not know is a mistake to report,
                 * not another implementation's Gateway to leave alone */
                if (strchr(gw->class_name, '+')) {
                        if (cc_strv_pushf(&in->errors,
                                          "gateway '%s/%s': field 'spec.gatewayClassName': unknown "
                                          "composite class '%s' (cloudctl serves istio+gke)",
                                          gw->meta.ns, gw->meta.name, gw->class_name))
                                return cc_diag_set(d, CC_NOMEM, 0, "out of memory");
                        continue;
                }
                if (cc_strv_pushf(&in->notes,
                                  "skipping gateway '%s/%s': class '%s' is not served by cloudctl",
                                  gw->meta.ns, gw->meta.name, gw->class_name))
                        return cc_diag_set(d, CC_NOMEM, 0, "out of memory");
        }
        rc = cc_gwstatus_validate(&in->snap, &serve,
                                  CC_GW_VALIDATE_SKIP_REFS | CC_GW_VALIDATE_PARTIAL, &verdicts,
                                  &nverdicts, d);
        if (rc)
                return rc;
        for (i = 0; i < nverdicts && !rc; i++) {
                const struct cc_gw_gateway *gw = verdicts[i].gw;
                size_t j;
                bool named_ip = false;

                for (j = 0; j < gw->n_addresses; j++)
                        named_ip |=
                            !strcmp(gw->addresses[j].type, "IPAddress") && gw->addresses[j].value;
                if (verdicts[i].reason) {
                        if (cc_strv_pushf(&in->errors, "%s (%s)", verdicts[i].message,
                                          verdicts[i].reason))
                                rc = cc_diag_set(d, CC_NOMEM, 0, "out of memory");
                } else if (named_ip) {
                        if (cc_strv_pushf(&in->errors,
                                          "gateway '%s/%s': field 'spec.addresses': an IP literal "
                                          "cannot name a reserved address: use type NamedAddress "
                                          "with the address's name (UnsupportedAddress)",
                                          gw->meta.ns, gw->meta.name))
                                rc = cc_diag_set(d, CC_NOMEM, 0, "out of memory");
                } else {
                        rc = build_gateway(in, cfg, &verdicts[i], d);
                }
        }
        cc_free(verdicts);
        return rc;
}

cc_err
cc_inputs_neg_names(const struct cc_inputs *in, struct cc_strv *out)
{
        size_t g, c, k;

        for (g = 0; g < in->ngws; g++)
                for (c = 0; c < in->gws[g].lb.nclusters; c++)
                        for (k = 0; k < in->gws[g].neg_names[c].n; k++)
                                if (!cc_strv_contains(out, in->gws[g].neg_names[c].v[k]) &&
                                    cc_strv_push(out, in->gws[g].neg_names[c].v[k]))
                                        return CC_NOMEM;
        cc_strv_sort(out);
        return CC_OK;
}

cc_err
cc_inputs_set_zones_gw(struct cc_input_gw *ig, const struct cc_config *cfg, cc_neg_zones_fn lookup,
                       void *ud, struct cc_strv *notes)
{
        size_t c, k, z;

        for (c = 0; c < ig->lb.nclusters; c++) {
                cc_free(ig->negs[c]);
                ig->negs[c] = NULL;
                ig->nnegs[c] = 0;
                for (k = 0; k < ig->neg_names[c].n; k++) {
                        const char *name = ig->neg_names[c].v[k];
                        const char *const *zones = lookup(name, ud);
                        size_t nz = 0;

                        while (zones && zones[nz])
                                nz++;
                        if (!nz) {
                                if (notes &&
                                    cc_strv_pushf(notes,
                                                  "NEG '%s' of cluster '%s' was found in no "
                                                  "zone: left out of gateway '%s/%s'",
                                                  name, cfg->clusters[c].name, ig->lb.ns,
                                                  ig->lb.name))
                                        return CC_NOMEM;
                                continue;
                        }
                        {
                                struct cc_lb_neg *n =
                                    cc_realloc(ig->negs[c], (ig->nnegs[c] + nz) * sizeof(*n));

                                if (!n)
                                        return CC_NOMEM;
                                ig->negs[c] = n;
                        }
                        for (z = 0; z < nz; z++) {
                                ig->negs[c][ig->nnegs[c]].zone = zones[z];
                                ig->negs[c][ig->nnegs[c]].name = name;
                                ig->nnegs[c]++;
                        }
                }
                ig->clusters[c].negs = ig->negs[c];
                ig->clusters[c].nnegs = ig->nnegs[c];
        }
        return CC_OK;
}

cc_err
cc_inputs_set_zones(struct cc_inputs *in, const struct cc_config *cfg, cc_neg_zones_fn lookup,
                    void *ud)
{
        size_t g;
        cc_err rc = CC_OK;

        for (g = 0; !rc && g < in->ngws; g++)
                rc = cc_inputs_set_zones_gw(&in->gws[g], cfg, lookup, ud, &in->notes);
        return rc;
}

static void
release_gws(struct cc_inputs *in)
{
        size_t i, c;

        for (i = 0; i < in->ngws; i++) {
                struct cc_input_gw *ig = &in->gws[i];

                for (c = 0; c < ig->ncluster_slots; c++) {
                        if (ig->neg_names)
                                cc_strv_release(&ig->neg_names[c]);
                        if (ig->negs)
                                cc_free(ig->negs[c]);
                }
                cc_free(ig->listeners);
                cc_free(ig->clusters);
                cc_free(ig->neg_names);
                cc_free(ig->negs);
                cc_free(ig->nnegs);
        }
        cc_free(in->gws);
        in->gws = NULL;
        in->ngws = 0;
}

void
cc_inputs_reset(struct cc_inputs *in)
{
        release_gws(in);
        cc_gw_snapshot_release(&in->snap);
        cc_gw_snapshot_init(&in->snap);
        cc_strv_release(&in->notes);
        cc_strv_release(&in->errors);
}

void
cc_inputs_release(struct cc_inputs *in)
{
        size_t i;

        release_gws(in);
        for (i = 0; i < in->nclusters; i++)
                cc_manifests_release(&in->cluster_services[i]);
        cc_free(in->cluster_services);
        cc_gw_snapshot_release(&in->snap);
        cc_manifests_release(&in->manifests);
        cc_strv_release(&in->notes);
        cc_strv_release(&in->errors);
        memset(in, 0, sizeof(*in));
}
