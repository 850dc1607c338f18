/* proc.c -- long-running helper processes: fork + exec, output to files, stop with a grace period.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cloudctl/proc.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/banned.h"

static void
describe(struct cc_proc *p)
{
        if (WIFSIGNALED(p->status))
                snprintf(p->desc, sizeof(p->desc), "killed by signal %d", WTERMSIG(p->status));
        else
                snprintf(p->desc, sizeof(p->desc), "exited with status %d", WEXITSTATUS(p->status));
}

/* in the child, between fork and exec: async-signal-safe calls only */
static void
child_exec(const char *const *argv, int out_fd, int err_fd, pid_t parent)
{
        sigset_t none;
        int null_fd;

        /* SIGTERM when the demo goes away, however it goes; if it already
         * went (before prctl), do not start at all */
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
                _exit(126);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* a background job's ignored SIGINT would be inherited through exec */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        null_fd = open("/dev/null", O_RDONLY);
        if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
                _exit(126);
        execv(argv[0], (char *const *)argv);
        _exit(127);
}

cc_err
cc_proc_start(struct cc_proc *p, const char *name, const char *const *argv, const char *out_path,
              const char *err_path, struct cc_diag *d)
{
        int out_fd = -1, err_fd = -1;
        pid_t pid, parent = getpid();
        cc_err rc = CC_OK;

        memset(p, 0, sizeof(*p));
        snprintf(p->name, sizeof(p->name), "%s", name);
        if (access(argv[0], X_OK) != 0) {
                rc = cc_diag_set(d, CC_NOTFOUND, 0, "cannot run %s '%s': %s", name, argv[0],
                                 strerror(errno));
                goto out;
        }
        out_fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (out_fd < 0) {
                rc = cc_diag_set(d, CC_IO, 0, "cannot open '%s': %s", out_path, strerror(errno));
                goto out;
        }
        if (!strcmp(out_path, err_path)) {
                err_fd = dup(out_fd);
        } else {
                err_fd = open(err_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        }
        if (err_fd < 0) {
                rc = cc_diag_set(d, CC_IO, 0, "cannot open '%s': %s", err_path, strerror(errno));
                goto out;
        }
        fflush(NULL); /* nothing buffered may be written twice */
        pid = fork();
        if (pid < 0) {
                rc = cc_diag_set(d, CC_IO, 0, "cannot start %s: fork: %s", name, strerror(errno));
                goto out;
        }
        if (pid == 0)
                child_exec(argv, out_fd, err_fd, parent);
        p->pid = pid;
out:
        if (out_fd >= 0)
                close(out_fd);
        if (err_fd >= 0)
                close(err_fd);
        return rc;
}

bool
cc_proc_poll(struct cc_proc *p)
{
        int status;
        pid_t r;

        if (p->pid <= 0)
                return true;
        do
                r = waitpid(p->pid, &status, WNOHANG);
        while (r < 0 && errno == EINTR);
        if (r == 0)
                return false;
        if (r == p->pid) {
                p->status = status;
        } else {
                /* ECHILD: someone else reaped it; it has ended all the same */
                p->status = 0;
        }
        p->ended = true;
        p->pid = 0;
        describe(p);
        return true;
}

static bool
all_ended(struct cc_proc *const *ps, unsigned n)
{
        unsigned i;
        bool all = true;

        for (i = 0; i < n; i++)
                if (!cc_proc_poll(ps[i]))
                        all = false;
        return all;
}

unsigned
cc_proc_stop(struct cc_proc *const *ps, unsigned n, unsigned grace_ms)
{
        struct timespec step = { 0, 20 * 1000 * 1000 };
        unsigned i, waited = 0, killed = 0;

        for (i = 0; i < n; i++)
                if (!cc_proc_poll(ps[i]))
                        kill(ps[i]->pid, SIGTERM);
        while (!all_ended(ps, n) && waited < grace_ms) {
                nanosleep(&step, NULL);
                waited += 20;
        }
        for (i = 0; i < n; i++) {
                int status;

                if (cc_proc_poll(ps[i]))
                        continue;
                kill(ps[i]->pid, SIGKILL);
                killed++;
                fprintf(stderr, "%s (pid %d) did not stop within %u ms of SIGTERM: killed\n",
                        ps[i]->name, (int)ps[i]->pid, grace_ms);
                while (waitpid(ps[i]->pid, &status, 0) < 0 && errno == EINTR)
                        ;
                ps[i]->status = status;
                ps[i]->ended = true;
                ps[i]->pid = 0;
                describe(ps[i]);
        }
        return killed;
}

static int
rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        return (type == FTW_DP ? rmdir(path) : unlink(path)) == 0 || errno == ENOENT ? 0 : -1;
}

cc_err
cc_proc_rmtree(const char *path, struct cc_diag *d)
{
        struct stat st;

        if (lstat(path, &st) != 0 && errno == ENOENT)
                return CC_OK;
        if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
                return cc_diag_set(d, CC_IO, 0, "cannot remove '%s': %s", path, strerror(errno));
        return CC_OK;
}

void
cc_proc_tail(const char *path, unsigned n, const char *indent, FILE *f)
{
        struct cc_buf b = CC_BUF_INIT((size_t)4 << 20);
        char chunk[4096];
        const char *s, *start;
        unsigned lines = 0;
        size_t got;
        FILE *in = fopen(path, "r");

        if (!in)
                return;
        while ((got = fread(chunk, 1, sizeof(chunk), in)) > 0) {
                if (b.len + got > b.max)
                        cc_buf_consume(&b, b.len / 2);
                if (cc_buf_append(&b, chunk, got) != CC_OK)
                        break;
        }
        fclose(in);
        s = cc_buf_str(&b);
        /* back from the end over n line breaks (a final newline ends the last line) */
        start = s + b.len;
        if (start > s && start[-1] == '\n')
                start--;
        while (start > s && lines < n) {
                start--;
                if (*start == '\n' && ++lines == n) {
                        start++;
                        break;
                }
        }
        while (*start) {
                const char *nl = strchr(start, '\n');
                size_t len = nl ? (size_t)(nl - start) : strlen(start);

                if (len || nl)
                        fprintf(f, "%s%.*s\n", indent, (int)len, start);
                start += len + (nl ? 1 : 0);
        }
        cc_buf_release(&b);
}
