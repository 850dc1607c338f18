/* main.c -- mock-gcp: a local Google Cloud (Compute, Certificate Manager,
 * Cloud DNS, OAuth2 and the metadata server) for tests and demos. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "mocks/gcp/gcp.h"
#include "core/banned.h"

static const char usage[] =
    "usage: mock-gcp [OPTIONS]\n"
    "\n"
    "A local Google Cloud for tests: Compute v1, Certificate Manager v1, Cloud DNS v1,\n"
    "the OAuth2 token endpoint and the GCE metadata server, on one port. The first\n"
    "line on stdout is the base URL. Point gcloud at it with\n"
    "  api_endpoint_overrides/compute=URL/compute/v1/  .../dns=URL/dns/v1/\n"
    "  .../certificatemanager=URL/\n"
    "\n"
    "options:\n"
    "  --port N                 listen on 127.0.0.1:N (default 0: any free port)\n"
    "  --tls-cert FILE          serve HTTPS with this PEM certificate...\n"
    "  --tls-key FILE           ...and this PEM key\n"
    "  --state FILE             load state from FILE at start, save it after every change\n"
    "  --project ID[:NUMBER]    declare a project (repeatable; default test-proj)\n"
    "  --sa-key FILE            register a service-account JSON key (repeatable)\n"
    "  --require-auth           API calls need a bearer token issued by this mock\n"
    "  --op-latency-ms N        operations stay RUNNING for N ms (default 0)\n"
    "  --dns-latency-ms N       DNS changes stay pending for N ms (default 0)\n"
    "  --cert-latency-ms N      managed certificates provision in N ms once their\n"
    "                           DNS authorization records exist (default 200)\n"
    "  --cert-timeout-ms N      ...or fail after N ms without them (default 600000)\n"
    "  --strict-patch-fingerprint  PATCH without a fingerprint is rejected\n"
    "  --no-reference-checks    accept references to resources that do not exist\n"
    "  --log SPEC               log levels (default warn)\n"
    "  -h, --help               this help\n"
    "\n"
    "Admin API under /_mock/: requests, counters, faults, reset, state (see README).\n";

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
        (void)sig;
        stop_requested = 1;
}

struct app {
        struct gcp g;
        const char *state_path;
        unsigned long saved_seq;
};

static const struct gcp_module *
route(const char *path, size_t *index)
{
        size_t i;

        for (i = 0; gcp_modules[i]; i++) {
                const char *const *p;

                for (p = gcp_modules[i]->prefixes; *p; p++) {
                        if (!strncmp(path, *p, strlen(*p))) {
                                *index = i;
                                return gcp_modules[i];
                        }
                }
        }
        return NULL;
}

/* the project named right after a "projects/" segment, if any */
static bool
path_project(const char *path, char *out, size_t n)
{
        const char *p = strstr(path, "/projects/");
        const char *end;

        if (!p)
                return false;
        p += strlen("/projects/");
        end = strchr(p, '/');
        snprintf(out, n, "%.*s", (int)(end ? (size_t)(end - p) : strlen(p)), p);
        return out[0] != '\0';
}

static cJSON *
dump_all(struct gcp *g)
{
        cJSON *root = cJSON_CreateObject();
        size_t i;

        if (!root)
                return NULL;
        cJSON_AddNumberToObject(root, "nextId", (double)g->next_id);
        for (i = 0; gcp_modules[i]; i++) {
                cJSON *m = gcp_modules[i]->dump(g->state[i]);

                if (!m) {
                        cJSON_Delete(root);
                        return NULL;
                }
                cJSON_AddItemToObject(root, gcp_modules[i]->name, m);
        }
        return root;
}

static void
save_state(struct app *a)
{
        cJSON *root = dump_all(&a->g);
        char *text = root ? cJSON_Print(root) : NULL;
        char tmp[4096];
        FILE *f;

        cJSON_Delete(root);
        if (!text) {
                CC_ERROR("mock-gcp", "cannot save state: out of memory");
                return;
        }
        snprintf(tmp, sizeof(tmp), "%s.tmp", a->state_path);
        f = fopen(tmp, "w");
        if (!f || fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, a->state_path) != 0) {
                CC_ERROR("mock-gcp", "cannot save state", CC_S("file", a->state_path),
                         CC_S("error", strerror(errno)));
        } else {
                a->saved_seq = a->g.change_seq;
        }
        cJSON_free(text);
}

static cc_err
load_state(struct app *a, struct cc_diag *d)
{
        char *text = NULL;
        cJSON *root = NULL;
        struct cc_buf b = CC_BUF_INIT(512u << 20);
        char chunk[65536];
        size_t n, i;
        cc_err rc = CC_OK;
        FILE *f = fopen(a->state_path, "rb");

        if (!f) {
                if (errno == ENOENT)
                        return CC_OK; /* first start */
                return cc_diag_set(d, CC_IO, 0, "cannot open state file '%s': %s", a->state_path,
                                   strerror(errno));
        }
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
                if (cc_buf_append(&b, chunk, n)) {
                        rc = cc_diag_set(d, CC_TOOBIG, 0, "state file '%s' is too big",
                                         a->state_path);
                        goto out;
                }
        }
        text = cc_buf_detach(&b, &n);
        root = text ? cJSON_ParseWithLength(text, n) : NULL;
        if (!cJSON_IsObject(root)) {
                rc = cc_diag_set(d, CC_INVAL, 0, "state file '%s' is not a JSON object",
                                 a->state_path);
                goto out;
        }
        if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(root, "nextId")))
                a->g.next_id =
                    (uint64_t)cJSON_GetObjectItemCaseSensitive(root, "nextId")->valuedouble;
        for (i = 0; gcp_modules[i]; i++) {
                const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, gcp_modules[i]->name);

                if (m && gcp_modules[i]->load(a->g.state[i], m) != CC_OK) {
                        rc = cc_diag_set(d, CC_INVAL, 0, "state file '%s': bad '%s' section",
                                         a->state_path, gcp_modules[i]->name);
                        goto out;
                }
        }
out:
        if (f)
                fclose(f);
        cc_buf_release(&b);
        cc_free(text);
        cJSON_Delete(root);
        return rc;
}

static void
handle(void *ud, struct cc_mocksrv *srv, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        struct app *a = ud;
        struct gcp *g = &a->g;
        const struct gcp_module *m;
        char project[128];
        size_t idx = 0;

        m = route(req->path, &idx);
        if (!m) {
                resp->api = "other";
                gcp_error_v1(resp, 404, "notFound",
                             "The requested URL %s was not found on this server", req->path);
                return;
        }
        resp->api = m->name;
        if (!m->public_paths && g->cfg.require_auth && g->hooks.check &&
            !g->hooks.check(g, req, resp, m->rpc_errors))
                return;
        if (!m->public_paths && path_project(req->path, project, sizeof(project)) &&
            strcmp(project, "-") && !gcp_project_find(g, project)) {
                gcp_unknown_project(resp, project, m->rpc_errors);
                return;
        }
        m->handle(g, g->state[idx], req, resp);
        if (a->state_path && g->change_seq != a->saved_seq)
                save_state(a);
}

static void
admin(void *ud, struct cc_mocksrv *srv, const struct cc_mock_req *req, struct cc_mock_resp *resp)
{
        struct app *a = ud;

        if (!strcmp(req->path, "/_mock/state") && !strcmp(req->method, "GET")) {
                cJSON *root = dump_all(&a->g);

                if (!root) {
                        gcp_error_v1(resp, 500, "internal", "out of memory");
                        return;
                }
                cc_mock_resp_json(resp, 200, root);
                cJSON_Delete(root);
                return;
        }
        /* module-specific admin endpoints: /_mock/<module>/... */
        {
                size_t i;

                for (i = 0; gcp_modules[i]; i++) {
                        size_t n = strlen(gcp_modules[i]->name);

                        if (!strncmp(req->path + 7, gcp_modules[i]->name, n) &&
                            req->path[7 + n] == '/') {
                                gcp_modules[i]->handle(&a->g, a->g.state[i], req, resp);
                                if (a->state_path && a->g.change_seq != a->saved_seq)
                                        save_state(a);
                                return;
                        }
                }
        }
        gcp_error_v1(resp, 404, "notFound", "no admin endpoint %s", req->path);
}

static void
fault_body(void *ud, const struct cc_mock_req *req, int status, struct cc_mock_resp *resp)
{
        size_t idx;
        const struct gcp_module *m = route(req->path, &idx);
        bool rpc = m && m->rpc_errors;
        const char *rpc_status = status == 429   ? "RESOURCE_EXHAUSTED"
                                 : status == 413 ? "INVALID_ARGUMENT"
                                 : status == 503 ? "UNAVAILABLE"
                                 : status == 409 ? "ABORTED"
                                 : status == 403 ? "PERMISSION_DENIED"
                                 : status >= 500 ? "INTERNAL"
                                                 : "FAILED_PRECONDITION";
        const char *reason = status == 429   ? "rateLimitExceeded"
                             : status == 413 ? "requestTooLarge"
                             : status == 403 ? "rateLimitExceeded"
                             : status >= 500 ? "backendError"
                                             : "invalid";
        const char *msg =
            status == 413 ? "Request payload size exceeds the limit"
            : status == 429 || status == 403
                ? "Quota exceeded for quota metric 'Requests' and limit 'Requests per "
                  "minute' of service"
            : status >= 500 ? "Internal error. Please try again or contact Google Support."
                            : "Injected fault";

        if (rpc)
                gcp_error_rpc(resp, status, rpc_status, "%s", msg);
        else
                gcp_error_v1(resp, status, reason, "%s", msg);
}

static void
reset(void *ud)
{
        struct app *a = ud;
        size_t i;

        for (i = 0; gcp_modules[i]; i++)
                gcp_modules[i]->reset(a->g.state[i]);
        gcp_changed(&a->g);
}

static int
parse_int(const char *opt, const char *v, int *out)
{
        char *end;
        long n;

        errno = 0;
        n = strtol(v, &end, 10);
        if (errno || *end || n < 0 || n > 100000000) {
                fprintf(stderr, "mock-gcp: %s needs a non-negative integer, got '%s'\n", opt, v);
                return -1;
        }
        *out = (int)n;
        return 0;
}

static int
add_project(struct gcp *g, const char *spec)
{
        struct gcp_project *p;
        const char *colon = strchr(spec, ':');
        size_t len = colon ? (size_t)(colon - spec) : strlen(spec);

        if (g->nprojects == GCP_MAX_PROJECTS || !len || len >= sizeof(p->id)) {
                fprintf(stderr, "mock-gcp: bad or too many --project '%s'\n", spec);
                return -1;
        }
        p = &g->projects[g->nprojects];
        snprintf(p->id, sizeof(p->id), "%.*s", (int)len, spec);
        if (colon)
                snprintf(p->number, sizeof(p->number), "%s", colon + 1);
        else
                snprintf(p->number, sizeof(p->number), "%zu", 100000000001 + g->nprojects * 1111);
        g->nprojects++;
        return 0;
}

int
main(int argc, char **argv)
{
        static struct app a;
        struct cc_mocksrv_opts opts = { 0 };
        struct cc_mock_app mapp = {
                .ud = &a, .handle = handle, .admin = admin, .fault_body = fault_body, .reset = reset
        };
        const char **sa_keys = NULL;
        size_t nsa = 0, sa_cap = 0, i, ncreated = 0;
        struct cc_diag d;
        struct sigaction sa;
        int rc = 1;

        cc_alloc_init();
        cc_log_configure("warn", NULL);
        a.g.cfg.cert_latency_ms = 200;
        a.g.cfg.cert_timeout_ms = 600000;
        a.g.cfg.check_references = true;
        a.g.next_id = 1;
        pthread_cond_init(&a.g.cond, NULL);

        for (i = 1; i < (size_t)argc; i++) {
                const char *o = argv[i];
                const char *v = i + 1 < (size_t)argc ? argv[i + 1] : NULL;
                bool takes = true;
                int bad = 0;

                if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
                        fputs(usage, stdout);
                        rc = 0;
                        goto out;
                } else if (!strcmp(o, "--require-auth")) {
                        a.g.cfg.require_auth = true;
                        takes = false;
                } else if (!strcmp(o, "--strict-patch-fingerprint")) {
                        a.g.cfg.strict_patch_fingerprint = true;
                        takes = false;
                } else if (!strcmp(o, "--no-reference-checks")) {
                        a.g.cfg.check_references = false;
                        takes = false;
                } else if (!v) {
                        fprintf(stderr, "mock-gcp: unknown option or missing value: '%s'\n%s", o,
                                usage);
                        rc = 2;
                        goto out;
                } else if (!strcmp(o, "--port")) {
                        bad = parse_int(o, v, &opts.port) || opts.port > 65535;
                } else if (!strcmp(o, "--tls-cert")) {
                        opts.tls_cert = v;
                } else if (!strcmp(o, "--tls-key")) {
                        opts.tls_key = v;
                } else if (!strcmp(o, "--state")) {
                        a.state_path = v;
                } else if (!strcmp(o, "--project")) {
                        bad = add_project(&a.g, v);
                } else if (!strcmp(o, "--sa-key")) {
                        if (CC_GROW(sa_keys, sa_cap, nsa + 1)) {
                                bad = 1;
                        } else {
                                sa_keys[nsa++] = v;
                        }
                } else if (!strcmp(o, "--op-latency-ms")) {
                        bad = parse_int(o, v, &a.g.cfg.op_latency_ms);
                } else if (!strcmp(o, "--dns-latency-ms")) {
                        bad = parse_int(o, v, &a.g.cfg.dns_change_latency_ms);
                } else if (!strcmp(o, "--cert-latency-ms")) {
                        bad = parse_int(o, v, &a.g.cfg.cert_latency_ms);
                } else if (!strcmp(o, "--cert-timeout-ms")) {
                        bad = parse_int(o, v, &a.g.cfg.cert_timeout_ms);
                } else if (!strcmp(o, "--log")) {
                        bad = cc_log_configure(v, &d) != CC_OK;
                        if (bad)
                                fprintf(stderr, "mock-gcp: %s\n", d.message);
                } else {
                        fprintf(stderr, "mock-gcp: unknown option '%s'\n%s", o, usage);
                        rc = 2;
                        goto out;
                }
                if (bad) {
                        rc = 2;
                        goto out;
                }
                if (takes)
                        i++;
        }
        if (!a.g.nprojects && add_project(&a.g, "test-proj"))
                goto out;
        a.g.sa_keys = sa_keys;
        a.g.nsa_keys = nsa;

        for (i = 0; gcp_modules[i]; i++) {
                if (gcp_modules[i]->create(&a.g, &a.g.state[i], &d) != CC_OK) {
                        fprintf(stderr, "mock-gcp: %s\n", d.message);
                        goto out;
                }
                ncreated++;
        }
        if (a.state_path && load_state(&a, &d) != CC_OK) {
                fprintf(stderr, "mock-gcp: %s\n", d.message);
                goto out;
        }
        a.saved_seq = a.g.change_seq;
        if (cc_mocksrv_start(&opts, &mapp, &a.g.srv, &d) != CC_OK) {
                fprintf(stderr, "mock-gcp: %s\n", d.message);
                goto out;
        }
        printf("%s\n", cc_mocksrv_url(a.g.srv));
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
        if (a.g.srv) {
                pthread_mutex_lock(cc_mocksrv_mutex(a.g.srv));
                pthread_cond_broadcast(&a.g.cond);
                pthread_mutex_unlock(cc_mocksrv_mutex(a.g.srv));
                cc_mocksrv_stop(a.g.srv);
        }
        if (a.state_path && ncreated && a.g.change_seq != a.saved_seq)
                save_state(&a);
        for (i = 0; i < ncreated; i++)
                gcp_modules[i]->release(a.g.state[i]);
        pthread_cond_destroy(&a.g.cond);
        cc_free(sa_keys);
        return rc;
}
