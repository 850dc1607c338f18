/* test_proc.c -- helper processes: output to files, stop with SIGTERM then SIGKILL, rmtree, tail.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cloudctl/proc.h"
#include "core/alloc.h"
#include "lib/testlib.h"

static const char *
at(const char *rel, char *buf, size_t size)
{
        snprintf(buf, size, "%s/%s", cc_test_tmpdir(), rel);
        return buf;
}

static void
wait_for_file(const char *path, const char *want)
{
        int i;

        for (i = 0; i < 500; i++) {
                char *text = cc_test_read_file(path, NULL);
                int found = text && strstr(text, want) != NULL;

                cc_free(text);
                if (found)
                        return;
                nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
        }
        fail_msg("'%s' never appeared in %s", want, path);
}

/* a process that stops on SIGTERM: output captured, reaped, not killed */
static void
test_start_and_stop(void **state)
{
        char out[512], err[512];
        const char *argv[] = { "/bin/sh", "-c", "echo out-line; echo err-line >&2; exec sleep 30",
                               NULL };
        struct cc_proc p;
        struct cc_proc *ps[] = { &p };
        struct cc_diag d = { 0 };
        char *text;

        (void)state;
        assert_int_equal(cc_proc_start(&p, "sh", argv, at("out", out, sizeof(out)),
                                       at("err", err, sizeof(err)), &d),
                         CC_OK);
        assert_true(p.pid > 0);
        wait_for_file(err, "err-line");
        assert_false(cc_proc_poll(&p));
        assert_int_equal(cc_proc_stop(ps, 1, 5000), 0);
        assert_true(p.ended);
        assert_int_equal(p.pid, 0);
        assert_true(WIFSIGNALED(p.status) && WTERMSIG(p.status) == SIGTERM);
        assert_string_equal(p.desc, "killed by signal 15");
        text = cc_test_read_file(out, NULL);
        assert_string_equal(text, "out-line\n");
        cc_free(text);
}

/* SIGTERM ignored: SIGKILL after the grace period */
static void
test_stop_kills_after_grace(void **state)
{
        char out[512];
        const char *argv[] = { "/bin/sh", "-c", "trap '' TERM; echo ready; while :; do :; done",
                               NULL };
        struct cc_proc p;
        struct cc_proc *ps[] = { &p };
        struct cc_diag d = { 0 };

        (void)state;
        at("busy", out, sizeof(out));
        assert_int_equal(cc_proc_start(&p, "busy", argv, out, out, &d), CC_OK);
        wait_for_file(out, "ready");
        assert_int_equal(cc_proc_stop(ps, 1, 100), 1);
        assert_true(WIFSIGNALED(p.status) && WTERMSIG(p.status) == SIGKILL);
}

static void
test_exit_status_and_missing_program(void **state)
{
        char out[512];
        const char *argv[] = { "/bin/sh", "-c", "exit 3", NULL };
        const char *missing[] = { "/nonexistent/program", NULL };
        struct cc_proc p;
        struct cc_diag d = { 0 };
        int i;

        (void)state;
        at("exit", out, sizeof(out));
        assert_int_equal(cc_proc_start(&p, "sh", argv, out, out, &d), CC_OK);
        for (i = 0; i < 500 && !cc_proc_poll(&p); i++)
                nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
        assert_true(p.ended);
        assert_string_equal(p.desc, "exited with status 3");
        assert_true(cc_proc_poll(&p)); /* stays ended */

        assert_int_equal(cc_proc_start(&p, "prog", missing, out, out, &d), CC_NOTFOUND);
        assert_non_null(strstr(d.message, "cannot run prog '/nonexistent/program'"));
        assert_int_equal(p.pid, 0);
}

static void
test_rmtree_and_tail(void **state)
{
        char dir[512], sub[600], file[700], tail[512];
        FILE *f;
        char *text;
        int i;

        (void)state;
        at("tree", dir, sizeof(dir));
        snprintf(sub, sizeof(sub), "%s/a", dir);
        snprintf(file, sizeof(file), "%s/log", sub);
        assert_int_equal(mkdir(dir, 0700), 0);
        assert_int_equal(mkdir(sub, 0700), 0);
        f = fopen(file, "w");
        assert_non_null(f);
        for (i = 1; i <= 10; i++)
                fprintf(f, "line %d\n", i);
        fclose(f);

        f = fopen(at("tail.out", tail, sizeof(tail)), "w");
        assert_non_null(f);
        cc_proc_tail(file, 3, "> ", f);
        cc_proc_tail("/nonexistent/log", 3, "> ", f);
        fclose(f);
        text = cc_test_read_file(tail, NULL);
        assert_string_equal(text, "> line 8\n> line 9\n> line 10\n");
        cc_free(text);

        assert_int_equal(cc_proc_rmtree(dir, NULL), CC_OK);
        assert_int_not_equal(access(dir, F_OK), 0);
        assert_int_equal(cc_proc_rmtree(dir, NULL), CC_OK); /* already gone */
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_start_and_stop),
                cmocka_unit_test(test_stop_kills_after_grace),
                cmocka_unit_test(test_exit_status_and_missing_program),
                cmocka_unit_test(test_rmtree_and_tail),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
