/* proc.h -- long-running helper processes of `cloudctl demo` (the mocks, the controller).
 *
 * cc_child_spawn (core/loop.h) is for short commands whose output is read at
 * the end; the demo's helpers instead run until it stops them, print their
 * URLs while running and log to files the user can read.  A struct cc_proc
 * is one such process: started with fork + exec, stdout and stderr
 * appended to files, stdin on /dev/null.  The child asks the kernel for
 * SIGTERM when the demo dies (PR_SET_PDEATHSIG), so even a demo killed
 * with SIGKILL leaves nothing behind.
 *
 * Reaping is explicit and never blocks unless asked: cc_proc_poll() reaps
 * a process that ended; cc_proc_stop() sends SIGTERM, waits up to a grace
 * period and then sends SIGKILL.  Only the pid this module started is ever
 * waited for, so other child handling in the process (libuv's) is not
 * disturbed.
 */
#ifndef CC_PROC_H
#define CC_PROC_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "core/err.h"

struct cc_proc {
        char name[32];  /* for messages: "mock-gcp" */
        pid_t pid;      /* > 0 while started and not reaped */
        bool ended;     /* reaped: status is valid */
        int status;     /* waitpid status */
        char desc[128]; /* "exited with status 1", "killed by signal 9" once ended */
};

/* cc_proc_start -- start argv[0] (a path; PATH is not searched) with
 * argv, stdout appended to out_path and stderr to err_path (may be the
 * same file; created 0600).  p is reset first.  CC_OK, or CC_IO/CC_NOTFOUND
 * with d filled (nothing started).  A program that cannot be executed
 * shows up as a process that exited with status 127. */
cc_err cc_proc_start(struct cc_proc *p, const char *name, const char *const *argv,
                     const char *out_path, const char *err_path, struct cc_diag *d);

/* cc_proc_poll -- reap p if it ended (non-blocking); true when it has ended
 * (also for a process never started). */
bool cc_proc_poll(struct cc_proc *p);

/* cc_proc_stop -- stop every started process of ps[0..n): SIGTERM, wait up
 * to grace_ms for all of them (polling every 20 ms), SIGKILL the rest and
 * reap them.  Blocks; for the end of the program.  Returns how many needed
 * SIGKILL; each of them is named in a line on stderr. */
unsigned cc_proc_stop(struct cc_proc *const *ps, unsigned n, unsigned grace_ms);

/* cc_proc_rmtree -- remove path and everything below it (no symlinks
 * followed).  CC_OK also when path does not exist; CC_IO naming the first
 * entry that could not be removed. */
cc_err cc_proc_rmtree(const char *path, struct cc_diag *d);

/* cc_proc_tail -- print the last n lines of the file at path to f, each
 * prefixed with indent; nothing when the file is missing or empty. */
void cc_proc_tail(const char *path, unsigned n, const char *indent, FILE *f);

#endif
