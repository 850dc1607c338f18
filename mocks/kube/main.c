/* main.c -- mock-kube: a local Kubernetes API server (one or more clusters)
 * that kubectl and client-go cannot tell from the real one, for tests. */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "mocks/kube/kube.h"
#include "core/banned.h"

static const char usage[] =
    "usage: mock-kube [OPTIONS]\n"
    "\n"
    "A local Kubernetes API server for tests: core/v1, apps/v1, discovery.k8s.io/v1,\n"
    "coordination.k8s.io/v1 and the Gateway API kinds, with discovery, OpenAPI v3,\n"
    "watches, patches, server-side apply, finalizers, garbage collection, Deployment\n"
    "status and the EndpointSlices of Services.\n"
    "The first lines on stdout are the base URLs, one per cluster.\n"
    "\n"
    "options:\n"
    "  --port N                 listen on 127.0.0.1:N (default 0: any free port;\n"
    "                           with --clusters, cluster i uses N+i)\n"
    "  --clusters N             serve N independent clusters (default 1)\n"
    "  --tls-cert FILE          serve HTTPS with this PEM certificate...\n"
    "  --tls-key FILE           ...and this PEM key\n"
    "  --token T                require 'Authorization: Bearer T' (401 otherwise)\n"
    "  --client-ca FILE         ask for TLS client certificates and accept one signed by\n"
    "                           a CA in this PEM file in place of a token (needs\n"
    "                           --tls-cert; without --token a certificate is required)\n"
    "  --window N               watch events retained (default 1000); older RVs get 410\n"
    "  --bookmark-interval S    seconds between watch bookmarks (default 60)\n"
    "  --namespace-grace MS     the namespace controller starts emptying a deleted\n"
    "                           namespace MS ms after its deletion (default 1000;\n"
    "                           a real cluster waits 5000)\n"
    "  --no-crd-defaults        do not apply the Gateway API CRD defaults\n"
    "  --discovery MODE         aggregated (default) or legacy\n"
    "  --no-table               never answer with server-side Table output\n"
    "  --version-minor N        minor version reported by /version (default 32)\n"
    "  --max-body BYTES         request body cap (default 3145728; larger -> 413)\n"
    "  --gke-neg-gcp URL        play GKE's NEG controller against this mock-gcp\n"
    "  --gke-project P          ...in project P (default test-proj)\n"
    "  --gke-zones Z1,Z2        ...with zonal NEGs in these zones (default us-central1-a)\n"
    "  -h, --help               this help\n"
    "\n"
    "Admin API under /_mock/: requests, counters, faults, reset (common) and compact,\n"
    "conflicts, drop-watches, watches, objects, gke, pods (see mocks/README.md).\n";

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
        (void)sig;
        stop_requested = 1;
}

static bool
num(const char *opt, const char *v, long min, long max, long *out)
{
        char *end;
        long n;

        if (!v)
                return false;
        n = strtol(v, &end, 10);
        if (*end || n < min || n > max) {
                fprintf(stderr, "mock-kube: %s needs an integer in %ld..%ld, got '%s'\n", opt, min,
                        max, v);
                return false;
        }
        *out = n;
        return true;
}

int
main(int argc, char **argv)
{
        struct kube_config cfg;
        struct cc_mocksrv_opts opts;
        struct kube *clusters = NULL;
        const char *gcp = NULL, *project = "test-proj", *zones = "us-central1-a";
        long nclusters = 1, v;
        int i, started = 0, rc = 1;
        struct sigaction sa;

        cc_alloc_init();
        memset(&cfg, 0, sizeof(cfg));
        memset(&opts, 0, sizeof(opts));
        cfg.crd_defaults = true;
        cfg.ns_grace_ms = 1000;
        cfg.pod_ready_ms = 300;
        opts.max_body = 3u << 20;
        for (i = 1; i < argc; i++) {
                const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

                if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
                        fputs(usage, stdout);
                        return 0;
                } else if (!strcmp(o, "--no-crd-defaults")) {
                        cfg.crd_defaults = false;
                } else if (!strcmp(o, "--crd-defaults")) {
                        cfg.crd_defaults = true;
                } else if (!strcmp(o, "--no-table")) {
                        cfg.no_table = true;
                } else if (!val) {
                        fprintf(stderr, "mock-kube: unknown option or missing value: '%s'\n%s", o,
                                usage);
                        return 2;
                } else if (!strcmp(o, "--port")) {
                        if (!num(o, val, 0, 65535, &v))
                                return 2;
                        opts.port = (int)v;
                        i++;
                } else if (!strcmp(o, "--clusters")) {
                        if (!num(o, val, 1, 64, &nclusters))
                                return 2;
                        i++;
                } else if (!strcmp(o, "--tls-cert")) {
                        opts.tls_cert = val;
                        i++;
                } else if (!strcmp(o, "--tls-key")) {
                        opts.tls_key = val;
                        i++;
                } else if (!strcmp(o, "--client-ca")) {
                        opts.client_ca = val;
                        cfg.client_certs = true;
                        i++;
                } else if (!strcmp(o, "--token")) {
                        if (strlen(val) >= sizeof(cfg.token)) {
                                fprintf(stderr, "mock-kube: --token is too long\n");
                                return 2;
                        }
                        snprintf(cfg.token, sizeof(cfg.token), "%s", val);
                        i++;
                } else if (!strcmp(o, "--window")) {
                        if (!num(o, val, 1, 10000000, &v))
                                return 2;
                        cfg.window = (size_t)v;
                        i++;
                } else if (!strcmp(o, "--namespace-grace")) {
                        if (!num(o, val, 0, 600000, &v))
                                return 2;
                        cfg.ns_grace_ms = v;
                        i++;
                } else if (!strcmp(o, "--pod-ready-ms")) {
                        if (!num(o, val, 0, 3600000, &v))
                                return 2;
                        cfg.pod_ready_ms = v;
                        i++;
                } else if (!strcmp(o, "--bookmark-interval")) {
                        if (!num(o, val, 1, 86400, &v))
                                return 2;
                        cfg.bookmark_interval = (int)v;
                        i++;
                } else if (!strcmp(o, "--discovery")) {
                        if (strcmp(val, "aggregated") && strcmp(val, "legacy")) {
                                fprintf(stderr, "mock-kube: --discovery is aggregated or legacy\n");
                                return 2;
                        }
                        cfg.legacy_discovery = !strcmp(val, "legacy");
                        i++;
                } else if (!strcmp(o, "--version-minor")) {
                        if (!num(o, val, 0, 999, &v))
                                return 2;
                        cfg.minor = (int)v;
                        i++;
                } else if (!strcmp(o, "--max-body")) {
                        if (!num(o, val, 1024, 1L << 30, &v))
                                return 2;
                        opts.max_body = (size_t)v;
                        i++;
                } else if (!strcmp(o, "--gke-neg-gcp")) {
                        gcp = val;
                        i++;
                } else if (!strcmp(o, "--gke-project")) {
                        project = val;
                        i++;
                } else if (!strcmp(o, "--gke-zones")) {
                        zones = val;
                        i++;
                } else {
                        fprintf(stderr, "mock-kube: unknown option '%s'\n%s", o, usage);
                        return 2;
                }
        }
        curl_global_init(CURL_GLOBAL_DEFAULT);
        clusters = cc_calloc((size_t)nclusters, sizeof(*clusters));
        if (!clusters) {
                fprintf(stderr, "mock-kube: out of memory\n");
                goto out;
        }
        for (i = 0; i < nclusters; i++) {
                struct kube *k = &clusters[i];
                struct cc_mock_app app = kube_app_template;
                struct cc_mocksrv_opts o = opts;
                struct kube_config c = cfg;
                struct cc_diag d;
                char err[512];

                c.index = i;
                if (!kube_init(k, &c)) {
                        fprintf(stderr, "mock-kube: cannot initialise cluster %d\n", i);
                        goto out;
                }
                started++;
                /* zones before the worker starts: the EndpointSlice controller reads them */
                if (!kube_gke_set_zones(&k->gke, zones, (size_t)i, (size_t)nclusters, err,
                                        sizeof(err))) {
                        fprintf(stderr, "mock-kube: %s\n", err);
                        rc = 2;
                        goto out;
                }
                if (opts.port)
                        o.port = opts.port + i;
                app.ud = k;
                if (cc_mocksrv_start(&o, &app, &k->srv, &d) != CC_OK) {
                        fprintf(stderr, "mock-kube: %s\n", d.message);
                        goto out;
                }
                if (!kube_gc_start(k, cc_mocksrv_mutex(k->srv))) {
                        fprintf(stderr, "mock-kube: cannot start the controllers\n");
                        goto out;
                }
                if (gcp) {
                        k->gke.gcp_url = cc_strdup(gcp);
                        k->gke.project = cc_strdup(project);
                        if (!k->gke.gcp_url || !k->gke.project) {
                                fprintf(stderr, "mock-kube: out of memory\n");
                                goto out;
                        }
                        if (!kube_gke_start(k)) {
                                fprintf(stderr, "mock-kube: cannot start the NEG worker\n");
                                goto out;
                        }
                }
        }
        for (i = 0; i < nclusters; i++)
                printf("%s\n", cc_mocksrv_url(clusters[i].srv));
        fflush(stdout);

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
        while (!stop_requested)
                pause();
        rc = 0;
out:
        for (i = 0; clusters && i < started; i++) {
                kube_gc_stop(&clusters[i]);
                kube_gke_stop(&clusters[i]);
                cc_mocksrv_stop(clusters[i].srv);
                kube_release(&clusters[i]);
        }
        cc_free(clusters);
        curl_global_cleanup();
        return rc;
}
