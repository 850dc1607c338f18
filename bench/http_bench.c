/* http_bench.c -- small GETs on loopback: a server, and cloudctl's client.
 *
 *   http_bench serve            serve "ok\n" on 127.0.0.1, print the port,
 *                               run until stdin closes
 *   http_bench client URL N P   N GETs of URL with P in flight; prints
 *                               "requests=N seconds=S rps=R failures=F"
 *
 * bench/run-http drives both and compares with the curl tool.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/http.h"
#include "core/log.h"
#include "core/banned.h"

static const char ok_body[] = "ok\n";

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
           const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
        struct MHD_Response *r = cls;

        if (!*con_cls) {
                *con_cls = (void *)1;
                return MHD_YES;
        }
        return MHD_queue_response(conn, MHD_HTTP_OK, r);
}

static int
serve(void)
{
        struct sockaddr_in sa = { .sin_family = AF_INET };
        struct MHD_Response *r;
        struct MHD_Daemon *d;
        const union MHD_DaemonInfo *info;
        char buf[64];

        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        r = MHD_create_response_from_buffer(sizeof(ok_body) - 1, (void *)ok_body,
                                            MHD_RESPMEM_PERSISTENT);
        if (!r)
                return 1;
        d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
                             on_request, r, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                             MHD_OPTION_THREAD_POOL_SIZE, 2u, MHD_OPTION_CONNECTION_LIMIT, 1024u,
                             MHD_OPTION_END);
        if (!d) {
                fprintf(stderr, "http_bench: cannot start server\n");
                return 1;
        }
        info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        printf("%u\n", info ? (unsigned)info->port : 0u);
        fflush(stdout);
        while (fread(buf, 1, sizeof(buf), stdin) > 0)
                ;
        MHD_stop_daemon(d);
        MHD_destroy_response(r);
        return 0;
}

struct run {
        struct cc_http http;
        struct cc_http_request req;
        unsigned total, sent, done, failures;
};

static void send_next(struct run *run);

static void
on_done(struct cc_http_req *req, cc_err rc, struct cc_http_response *resp, void *ud)
{
        struct run *run = ud;

        run->done++;
        if (rc != CC_OK || strcmp(cc_buf_str(&resp->body), ok_body) != 0)
                run->failures++;
        send_next(run);
}

static void
send_next(struct run *run)
{
        if (run->sent >= run->total)
                return;
        run->sent++;
        if (cc_http_send(&run->http, &run->req, NULL, NULL) != CC_AGAIN) {
                run->failures++;
                run->done++;
        }
}

static int
client(const char *url, unsigned n, unsigned par)
{
        struct cc_http_opts o = { .max_host_connections = par, .max_total_connections = par };
        struct run run = { .total = n };
        struct cc_loop loop;
        uint64_t t0, t1;
        unsigned i;
        double secs;

        if (cc_loop_init(&loop, NULL) || cc_http_init(&run.http, &loop, &o, NULL))
                return 1;
        run.req.url = url;
        run.req.done = on_done;
        run.req.ud = &run;
        t0 = uv_hrtime();
        for (i = 0; i < par; i++)
                send_next(&run);
        cc_loop_run(&loop);
        t1 = uv_hrtime();
        cc_http_release(&run.http);
        cc_loop_release(&loop);
        secs = (double)(t1 - t0) / 1e9;
        printf("requests=%u seconds=%.3f rps=%.0f failures=%u\n", run.done, secs,
               (double)run.done / secs, run.failures);
        return run.failures ? 1 : 0;
}

int
main(int argc, char **argv)
{
        cc_alloc_init();
        cc_log_configure("error", NULL);
        if (argc == 2 && !strcmp(argv[1], "serve"))
                return serve();
        if (argc == 5 && !strcmp(argv[1], "client"))
                return client(argv[2], (unsigned)strtoul(argv[3], NULL, 10),
                              (unsigned)strtoul(argv[4], NULL, 10));
        fprintf(stderr, "usage: http_bench serve | http_bench client URL N PARALLEL\n");
        return 2;
}
