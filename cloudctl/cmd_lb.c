/* cmd_lb.c -- `cloudctl plan`, `apply` and `destroy`: Gateways from files
 * to cloud resources.
 *
 * DESIGN
 * ------
 * One pipeline, three endings.  On the event loop:
 *   inputs (files) -> NEG zones (one aggregated list) -> translate (pure)
 *   -> observe (one filtered list per collection) -> plan
 * then `plan` prints and exits 0 (no changes) or 2 (changes), `apply` walks
 * the plan with the gke executor, `destroy` plans with nothing desired for
 * the chosen Gateways (or the whole fleet) and walks that.  Invalid Gateways
 * are reported and left out; the others go on; the exit code says 1.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cloudctl/cli.h"
#include "cloudctl/cloud.h"
#include "cloudctl/config.h"
#include "cloudctl/inputs.h"
#include "core/gwstatus.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/graph.h"
#include "core/http.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/plan.h"
#include "core/walk.h"
#include "providers/gke/api.h"
#include "providers/gke/auth.h"
#include "providers/gke/exec.h"
#include "providers/gke/gke.h"
#include "providers/gke/naming.h"
#include "providers/gke/observe.h"
#include "core/banned.h"

enum mode { MODE_PLAN, MODE_APPLY, MODE_DESTROY };

#define MAX_PATHS 64

struct run {
        enum mode mode;
        const char *paths[MAX_PATHS];
        size_t npaths;
        const char *config_path;
        bool all;
        size_t parallel;
        bool tty;

        struct cc_config cfg;
        struct cc_inputs in;
        struct cc_strv owners; /* destroy scope */

        struct cc_loop loop;
        struct cc_http http;
        struct cc_cloud cloud;
        struct cc_gke_cache cache;
        struct cc_gke_exec exec;
        bool loop_ok, http_ok;

        struct cc_strv neg_names;
        struct cc_gke_negs_result negs;
        char **zone_lists; /* per found NEG name: a NULL-terminated zone list */
        struct cc_graph graph;
        struct cc_gke_observe_result obs;
        struct cc_plan plan;
        struct cc_walk walk;
        bool walking;

        uint64_t started_ms;
        int exit_code;
        size_t live_len;
};

/* --- output -------------------------------------------------------------- */

static void
clear_live(struct run *r)
{
        if (r->tty && r->live_len) {
                fputs("\r\033[K", stdout);
                r->live_len = 0;
        }
}

static void say_error(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
say_error(struct run *r, const char *fmt, ...)
{
        va_list ap;

        clear_live(r);
        fflush(stdout);
        fputs("error: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        r->exit_code = CC_EXIT_FAIL;
}

/* errors (1) win over "changes pending" (2) */
static void
finish(struct run *r, int code)
{
        if (r->exit_code != CC_EXIT_FAIL)
                r->exit_code = code;
        cc_loop_stop(&r->loop);
}

static const char *
verb(enum cc_action a, bool done)
{
        switch (a) {
        case CC_ACT_CREATE:
                return done ? "created" : "creating";
        case CC_ACT_UPDATE:
                return done ? "updated" : "updating";
        case CC_ACT_REPLACE:
                return done ? "replaced" : "replacing";
        case CC_ACT_DELETE:
                return done ? "deleted" : "deleting";
        default:
                return "";
        }
}

static void
live_line(struct run *r)
{
        struct cc_walk *w = &r->walk;
        char line[256];
        size_t i, shown = 0;
        int n;

        if (!r->tty)
                return;
        n = snprintf(line, sizeof(line), "[%zu/%zu] ", w->ndone + w->nfailed + w->nblocked,
                     r->plan.n);
        for (i = 0; i < r->plan.n && n > 0 && (size_t)n < sizeof(line) - 40; i++) {
                if (w->steps[i].state != CC_STEP_RUNNING)
                        continue;
                if (shown++ == 2) {
                        n += snprintf(line + n, sizeof(line) - (size_t)n, ", ...");
                        break;
                }
                n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%s %s '%s'",
                              shown > 1 ? ", " : "", verb(r->plan.steps[i].action, false),
                              r->plan.steps[i].node->kind->label, r->plan.steps[i].node->name);
        }
        /* one terminal row: a wrapped line could not be rewritten in place */
        {
                struct winsize ws;
                size_t cols =
                    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10 ? ws.ws_col : 80;

                if (strlen(line) >= cols) {
                        line[cols - 4] = '\0';
                        memcpy(line + cols - 4, "...", 4);
                }
        }
        fputs("\r\033[K", stdout);
        fputs(line, stdout);
        fflush(stdout);
        r->live_len = strlen(line);
}

static void
on_progress(struct cc_walk *w, size_t i, void *ud)
{
        struct run *r = ud;
        const struct cc_walk_step *st = &w->steps[i];
        const struct cc_step *s = &r->plan.steps[i];

        switch (st->state) {
        case CC_STEP_DONE:
                clear_live(r);
                printf("%s %s '%s' (%.1fs)\n", verb(s->action, true), s->node->kind->label,
                       s->node->name, (double)(st->ended_ms - st->started_ms) / 1000.0);
                break;
        case CC_STEP_FAILED:
                clear_live(r);
                printf("failed to %s %s '%s': %s\n", cc_action_name(s->action),
                       s->node->kind->label, s->node->name, st->diag.message);
                break;
        case CC_STEP_BLOCKED:
                clear_live(r);
                printf("skipped %s '%s': blocked by %s '%s'\n", s->node->kind->label, s->node->name,
                       r->plan.steps[st->blocked_by].node->kind->label,
                       r->plan.steps[st->blocked_by].node->name);
                break;
        default:
                break;
        }
        live_line(r);
        fflush(stdout);
}

static const char *
address_of(const struct run *r, const char *ns, const char *name)
{
        char owner[256];
        size_t i;

        cc_gke_owner(owner, sizeof(owner), r->cfg.fleet, ns, name);
        for (i = 0; i < r->graph.n; i++) {
                const struct cc_node *n = r->graph.nodes[i];
                const cJSON *ip;

                if (n->kind != &cc_gke_kind_address || !n->observed)
                        continue;
                if (!(n->owner && !strcmp(n->owner, owner)) && !(n->flags & CC_NODE_EXTERNAL))
                        continue;
                ip = cJSON_GetObjectItemCaseSensitive(n->observed, "address");
                if (cJSON_IsString(ip))
                        return ip->valuestring;
        }
        return NULL;
}

static void
summary(struct run *r)
{
        const struct cc_gke_api_counts *c = &r->cloud.api.counts;
        unsigned long reads = 0, muts = 0;
        size_t i, owned = 0;

        for (i = 0; i < CC_GKE_API__COUNT; i++) {
                reads += c->read[i];
                muts += c->mutating[i];
        }
        for (i = 0; i < r->graph.n; i++)
                if (r->graph.nodes[i]->observed && r->graph.nodes[i]->desired &&
                    !(r->graph.nodes[i]->flags & CC_NODE_EXTERNAL))
                        owned++;
        clear_live(r);
        printf("\n");
        if (r->walking)
                printf("%s: %zu done, %zu failed, %zu blocked in %.1fs\n",
                       r->mode == MODE_DESTROY ? "destroy" : "apply", r->walk.ndone,
                       r->walk.nfailed, r->walk.nblocked,
                       (double)(cc_loop_now_ms(&r->loop) - r->started_ms) / 1000.0);
        if (r->mode == MODE_APPLY) {
                for (i = 0; i < r->in.ngws; i++) {
                        const char *ip = address_of(r, r->in.gws[i].lb.ns, r->in.gws[i].lb.name);

                        printf("gateway %s/%s: address %s\n", r->in.gws[i].lb.ns,
                               r->in.gws[i].lb.name, ip ? ip : "(not assigned)");
                }
                printf("resources: %zu\n", owned);
        }
        printf("api calls: %lu (%lu mutating, %lu read)\n", reads + muts, muts, reads);
}

/* --- pipeline ------------------------------------------------------------ */

static void walk_finished(struct cc_walk *w, void *ud);

/* the walk hands its ud (the run) to the executor: pass the exec state on */
static cc_err
exec_step(struct cc_walk *w, size_t i, void *ud, struct cc_diag *d)
{
        struct run *r = ud;

        return cc_gke_exec_step(w, i, &r->exec, d);
}

static void
after_observe(struct cc_gke_observe_result *res, void *ud)
{
        struct run *r = ud;
        struct cc_buf out = CC_BUF_INIT(64u << 20);
        struct cc_walk_opts wo = { 0 };
        struct cc_diag d;
        size_t i;

        if (res->rc) {
                say_error(r, "%s", res->d.message);
                finish(r, CC_EXIT_FAIL);
                return;
        }
        for (i = 0; i < res->conflicts.n; i++)
                say_error(r, "%s", res->conflicts.v[i]);
        if (cc_plan_build(&r->graph, &r->plan, &d)) {
                say_error(r, "%s", d.message);
                finish(r, CC_EXIT_FAIL);
                return;
        }
        if (cc_plan_print(&r->plan, &out) == CC_OK) {
                fputs(cc_buf_str(&out), stdout);
                fflush(stdout);
        }
        cc_buf_release(&out);
        if (r->mode == MODE_PLAN) {
                summary(r);
                finish(r, r->plan.n ? CC_EXIT_USAGE : CC_EXIT_OK);
                return;
        }
        if (!r->plan.n) {
                summary(r);
                finish(r, CC_EXIT_OK);
                return;
        }
        printf("\n");
        cc_gke_exec_new_run(&r->exec);
        r->exec.api = &r->cloud.api;
        r->exec.cache = &r->cache;
        r->exec.loop = &r->loop;
        wo.max_parallel = r->parallel;
        wo.exec = exec_step;
        wo.progress = on_progress;
        wo.finished = walk_finished;
        wo.ud = r;
        if (cc_walk_start(&r->walk, &r->loop, &r->graph, &r->plan, &wo, &d) != CC_AGAIN) {
                say_error(r, "%s", d.message);
                finish(r, CC_EXIT_FAIL);
                return;
        }
        r->walking = true;
}

static void
walk_finished(struct cc_walk *w, void *ud)
{
        struct run *r = ud;

        summary(r);
        finish(r, w->nfailed || w->nblocked || w->ncanceled ? CC_EXIT_FAIL : CC_EXIT_OK);
}

static const char *const *
zones_lookup(const char *neg, void *ud)
{
        struct run *r = ud;
        size_t i;

        for (i = 0; i < r->neg_names.n; i++)
                if (!strcmp(r->neg_names.v[i], neg))
                        return (const char *const *)r->zone_lists[i];
        return NULL;
}

static void start_observe(struct run *r);

static void
after_negs(struct cc_gke_negs_result *res, void *ud)
{
        struct run *r = ud;
        size_t i, j, k;

        if (res->rc) {
                say_error(r, "%s", res->d.message);
                finish(r, CC_EXIT_FAIL);
                return;
        }
        r->zone_lists = cc_calloc(r->neg_names.n + 1, sizeof(*r->zone_lists));
        if (!r->zone_lists) {
                say_error(r, "out of memory");
                finish(r, CC_EXIT_FAIL);
                return;
        }
        for (i = 0; i < r->neg_names.n; i++) {
                size_t nz = 0;

                for (j = 0; j < res->nfound; j++)
                        nz += !strcmp(res->found[j].name, r->neg_names.v[i]);
                r->zone_lists[i] = cc_calloc(nz + 1, sizeof(char *));
                if (!r->zone_lists[i]) {
                        say_error(r, "out of memory");
                        finish(r, CC_EXIT_FAIL);
                        return;
                }
                for (j = 0, k = 0; j < res->nfound; j++)
                        if (!strcmp(res->found[j].name, r->neg_names.v[i]))
                                ((char **)r->zone_lists[i])[k++] = res->found[j].zone;
        }
        start_observe(r);
}

/* zone_lists is an array of char*[] holding borrowed zone strings */

static void
start_observe(struct run *r)
{
        struct cc_gke_observe_opts oo = { 0 };
        struct cc_lb_settings s = {
                .fleet = r->cfg.fleet,
                .project = r->cfg.project,
                .network = r->cfg.network,
                .dns_zone = r->cfg.dns_zone,
                .dns_name = r->cfg.dns_name,
                .cert_mode = (enum cc_cert_mode)r->cfg.cert_mode,
        };
        struct cc_diag d;
        size_t i;
        cc_err rc;

        if (r->mode != MODE_DESTROY) {
                if (r->neg_names.n &&
                    cc_inputs_set_zones(&r->in, &r->cfg, zones_lookup, r) != CC_OK) {
                        say_error(r, "out of memory");
                        finish(r, CC_EXIT_FAIL);
                        return;
                }
                for (i = 0; i < r->in.ngws; i++) {
                        if (cc_gke_translate(&s, &r->in.gws[i].lb, &r->graph, &d) != CC_OK)
                                say_error(r, "%s", d.message);
                }
                /* notes about clusters and NEGs, after discovery */
                for (i = 0; i < r->in.notes.n; i++)
                        fprintf(stderr, "note: %s\n", r->in.notes.v[i]);
        }
        oo.scope.project = r->cfg.project;
        oo.scope.fleet = r->cfg.fleet;
        oo.scope.dns_zone = r->cfg.dns_zone;
        /* what may be garbage-collected: for apply and plan, only what the valid
         * Gateways in the files owned (a Gateway not in the files, or invalid
         * today, keeps its resources); for destroy, the Gateways named, or the
         * whole fleet with --all */
        if (!(r->mode == MODE_DESTROY && r->all)) {
                static const char *const none[] = { NULL };

                oo.scope.owners = r->owners.n ? (const char *const *)r->owners.v : none;
                oo.scope.nowners = r->owners.n;
        }
        rc =
            cc_gke_observe(&r->cloud.api, &r->cache, &oo, &r->graph, &r->obs, after_observe, r, &d);
        if (rc == CC_OK) {
                after_observe(&r->obs, r);
        } else if (rc != CC_AGAIN) {
                say_error(r, "%s", d.message);
                finish(r, CC_EXIT_FAIL);
        }
}

static void
kickoff(struct cc_timer *t, void *ud)
{
        struct run *r = ud;
        struct cc_diag d;
        cc_err rc;

        (void)t;
        if (r->mode == MODE_DESTROY || !r->neg_names.n) {
                start_observe(r);
                return;
        }
        rc =
            cc_gke_negs_discover(&r->cloud.api, r->cfg.project, (const char *const *)r->neg_names.v,
                                 r->neg_names.n, &r->negs, after_negs, r, &d);
        if (rc != CC_AGAIN) {
                say_error(r, "%s", d.message);
                finish(r, CC_EXIT_FAIL);
        }
}

/* --- setup --------------------------------------------------------------- */

static cc_err
setup_cloud(struct run *r, struct cc_diag *d)
{
        cc_err rc;

        rc = cc_loop_init(&r->loop, d);
        if (rc)
                return rc;
        r->loop_ok = true;
        rc = cc_loop_catch_signals(&r->loop, d);
        if (rc)
                return rc;
        rc = cc_http_init(&r->http, &r->loop, NULL, d);
        if (rc)
                return rc;
        r->http_ok = true;
        return cc_cloud_init(&r->cloud, &r->loop, &r->http, &r->cfg, d);
}

static void
teardown(struct run *r)
{
        size_t i;

        if (r->walking)
                cc_walk_release(&r->walk);
        cc_plan_release(&r->plan);
        cc_gke_observe_result_release(&r->obs);
        cc_graph_release(&r->graph);
        if (r->zone_lists) {
                for (i = 0; i < r->neg_names.n; i++)
                        cc_free(r->zone_lists[i]);
                cc_free(r->zone_lists);
        }
        cc_gke_negs_result_release(&r->negs);
        cc_strv_release(&r->neg_names);
        cc_gke_exec_release(&r->exec);
        cc_gke_cache_release(&r->cache);
        cc_cloud_release(&r->cloud);
        if (r->http_ok)
                cc_http_release(&r->http);
        if (r->loop_ok && cc_loop_release(&r->loop) != CC_OK)
                CC_WARN("cloudctl", "event loop closed with live handles");
        cc_strv_release(&r->owners);
        cc_inputs_release(&r->in);
        cc_config_release(&r->cfg);
}

static int
parse_args(struct run *r, const char *cmd, int argc, char **argv)
{
        int i;

        for (i = 1; i < argc; i++) {
                const char *a = argv[i];
                const char *v = i + 1 < argc ? argv[i + 1] : NULL;

                if (!strcmp(a, "-f") || !strcmp(a, "--filename")) {
                        if (!v)
                                return cc_cli_usage_error(cmd, "%s needs a path", a);
                        if (r->npaths == MAX_PATHS)
                                return cc_cli_usage_error(cmd, "too many -f paths (at most %d)",
                                                          MAX_PATHS);
                        r->paths[r->npaths++] = v;
                        i++;
                } else if (!strncmp(a, "--filename=", 11) || !strncmp(a, "-f=", 3)) {
                        if (r->npaths == MAX_PATHS)
                                return cc_cli_usage_error(cmd, "too many -f paths (at most %d)",
                                                          MAX_PATHS);
                        r->paths[r->npaths++] = strchr(a, '=') + 1;
                } else if (!strcmp(a, "--config")) {
                        if (!v)
                                return cc_cli_usage_error(cmd, "--config needs a file");
                        r->config_path = v;
                        i++;
                } else if (!strncmp(a, "--config=", 9)) {
                        r->config_path = a + 9;
                } else if (!strcmp(a, "--parallel") || !strncmp(a, "--parallel=", 11)) {
                        const char *n = a[10] == '=' ? a + 11 : v;
                        char *end;
                        long p;

                        if (!n)
                                return cc_cli_usage_error(cmd, "--parallel needs a number");
                        p = strtol(n, &end, 10);
                        if (*end || p < 1 || p > 1000)
                                return cc_cli_usage_error(cmd, "--parallel must be 1..1000");
                        r->parallel = (size_t)p;
                        if (a[10] != '=')
                                i++;
                } else if (!strcmp(a, "--all") && r->mode == MODE_DESTROY) {
                        r->all = true;
                } else {
                        return cc_cli_usage_error(cmd, "unexpected argument '%s'", a);
                }
        }
        if (!r->config_path)
                return cc_cli_usage_error(cmd, "--config is required");
        if (r->mode != MODE_DESTROY && !r->npaths)
                return cc_cli_usage_error(cmd, "give the Gateways with -f PATH");
        if (r->mode == MODE_DESTROY && !r->all && !r->npaths)
                return cc_cli_usage_error(cmd, "give the Gateways with -f PATH, or --all");
        if (r->mode == MODE_DESTROY && r->all && r->npaths)
                return cc_cli_usage_error(cmd, "--all and -f do not go together");
        return CC_EXIT_OK;
}

static int
run_lb(enum mode mode, const char *cmd, int argc, char **argv)
{
        static struct run r; /* large; one per process */
        struct cc_timer *t = NULL;
        struct cc_diag d;
        size_t i;
        int rc;

        memset(&r, 0, sizeof(r));
        r.mode = mode;
        r.parallel = 32;
        r.tty = isatty(STDOUT_FILENO) == 1;
        rc = parse_args(&r, cmd, argc, argv);
        if (rc != CC_EXIT_OK)
                return rc;
        if (cc_config_load(r.config_path, &r.cfg, &d) != CC_OK) {
                fprintf(stderr, "error: %s\n", d.message);
                return CC_EXIT_FAIL;
        }
        if (r.npaths && cc_inputs_load(&r.in, &r.cfg, r.paths, r.npaths, &d) != CC_OK) {
                fprintf(stderr, "error: %s\n", d.message);
                cc_inputs_release(&r.in);
                cc_config_release(&r.cfg);
                return CC_EXIT_FAIL;
        }
        /* an invalid Gateway is an error for plan and apply; destroy removes
         * its resources all the same */
        for (i = 0; i < r.in.errors.n; i++) {
                if (mode == MODE_DESTROY)
                        fprintf(stderr, "note: %s\n", r.in.errors.v[i]);
                else
                        say_error(&r, "%s", r.in.errors.v[i]);
        }
        if (mode == MODE_DESTROY) {
                /* the scope: every served Gateway named in the files, valid or not */
                struct cc_gw_serve serve = { 0 };

                for (i = 0; i < r.in.snap.n_gateways; i++) {
                        const struct cc_gw_gateway *gw = r.in.snap.gateways[i];
                        char owner[256];

                        if (!cc_gw_serves(&r.in.snap, &serve, gw))
                                continue;
                        cc_gke_owner(owner, sizeof(owner), r.cfg.fleet, gw->meta.ns, gw->meta.name);
                        if (cc_strv_push(&r.owners, owner)) {
                                fprintf(stderr, "error: out of memory\n");
                                rc = CC_EXIT_FAIL;
                                goto out;
                        }
                }
                if (!r.all && !r.owners.n) {
                        fprintf(stderr, "error: no Gateway of a class cloudctl serves in the given "
                                        "files: nothing to destroy\n");
                        rc = CC_EXIT_FAIL;
                        goto out;
                }
        } else {
                for (i = 0; i < r.in.ngws; i++) {
                        char owner[256];

                        cc_gke_owner(owner, sizeof(owner), r.cfg.fleet, r.in.gws[i].lb.ns,
                                     r.in.gws[i].lb.name);
                        if (cc_strv_push(&r.owners, owner)) {
                                fprintf(stderr, "error: out of memory\n");
                                rc = CC_EXIT_FAIL;
                                goto out;
                        }
                }
                if (cc_inputs_neg_names(&r.in, &r.neg_names)) {
                        fprintf(stderr, "error: out of memory\n");
                        rc = CC_EXIT_FAIL;
                        goto out;
                }
        }
        if (setup_cloud(&r, &d) != CC_OK) {
                fprintf(stderr, "error: %s\n", d.message);
                rc = CC_EXIT_FAIL;
                goto out;
        }
        r.started_ms = cc_loop_now_ms(&r.loop);
        if (cc_timer_start(&r.loop, 0, 0, kickoff, &r, &t) != CC_OK) {
                fprintf(stderr, "error: out of memory\n");
                rc = CC_EXIT_FAIL;
                goto out;
        }
        if (cc_loop_run(&r.loop) == CC_CANCELED && r.exit_code == CC_EXIT_OK)
                r.exit_code = CC_EXIT_FAIL;
        if (r.loop.stopping && r.walking && !r.walk.finished) {
                clear_live(&r);
                fprintf(stderr, "error: interrupted; run the command again to converge\n");
                r.exit_code = CC_EXIT_FAIL;
        }
        rc = r.exit_code;
out:
        clear_live(&r);
        fflush(stdout);
        teardown(&r);
        return rc;
}

static int
run_plan(int argc, char **argv)
{
        return run_lb(MODE_PLAN, "plan", argc, argv);
}

static int
run_apply(int argc, char **argv)
{
        return run_lb(MODE_APPLY, "apply", argc, argv);
}

static int
run_destroy(int argc, char **argv)
{
        return run_lb(MODE_DESTROY, "destroy", argc, argv);
}

#define COMMON_OPTS                                                                         \
        "  -f, --filename PATH   manifests: a YAML/JSON file or a directory (repeatable)\n" \
        "  --config FILE         the cloudctl configuration (docs/config.md)\n"             \
        "  --parallel N          steps run at once (default 32)\n"

const struct cc_cmd cc_cmd_plan = {
        .name = "plan",
        .summary = "show the cloud changes the given Gateways need",
        .usage =
            "usage: cloudctl plan --config FILE -f PATH...\n"
            "\n"
            "Read Gateways (and their routes, Secrets and Services) from files, read the cloud's\n"
            "current state, and print the steps that would bring it to what the Gateways need:\n"
            "  + create   ~ update (changed fields)   \xc2\xb1 replace   - delete\n"
            "Gateways of other controllers' classes are skipped (a composite class cloudctl\n"
            "does not know, such as istio+gcp, is an error); invalid Gateways are reported\n"
            "with their Gateway API reason and left out, the others go on.\n"
            "\n"
            "options:\n" COMMON_OPTS "\n"
            "exit codes: 0 no changes, 2 changes pending, 1 errors (also when some Gateway\n"
            "is invalid)\n",
        .run = run_plan,
};

const struct cc_cmd cc_cmd_apply = {
        .name = "apply",
        .summary = "create or update the cloud resources of the given Gateways",
        .usage =
            "usage: cloudctl apply --config FILE -f PATH...\n"
            "\n"
            "Plan (see 'cloudctl plan --help') and execute: every step whose prerequisites are\n"
            "done runs at once; a failed step stops only the steps that depend on it. Shows a\n"
            "live line on a terminal, plain lines otherwise, then a summary: each Gateway's\n"
            "address, the resources, and the API calls made. Safe to interrupt and re-run:\n"
            "names are deterministic, so a second run finds what the first created.\n"
            "\n"
            "options:\n" COMMON_OPTS "\n"
            "exit codes: 0 converged, 1 errors (a failed or blocked step, an invalid Gateway)\n",
        .run = run_apply,
};

const struct cc_cmd cc_cmd_destroy = {
        .name = "destroy",
        .summary = "delete the cloud resources cloudctl owns for Gateways, or the whole fleet",
        .usage = "usage: cloudctl destroy --config FILE (-f PATH... | --all)\n"
                 "\n"
                 "Delete, in reverse dependency order, every cloud resource cloudctl owns for the\n"
                 "Gateways in the files, or with --all for every Gateway of the fleet. Only\n"
                 "resources that carry this fleet's ownership mark are touched; a user's own\n"
                 "address named in a Gateway is never deleted.\n"
                 "\n"
                 "options:\n" COMMON_OPTS "  --all                 everything the fleet owns\n"
                 "\n"
                 "exit codes: 0 done, 1 errors\n",
        .run = run_destroy,
};
