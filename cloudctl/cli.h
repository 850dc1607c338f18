/* cli.h -- the cloudctl command table and the helpers subcommands share.
 *
 * Exit codes, for every subcommand: 0 success, 1 failure, 2 usage error
 * (`plan` also uses 2 for "changes pending", documented in its --help).
 */
#ifndef CC_CLI_H
#define CC_CLI_H

#include <stdio.h>

enum { CC_EXIT_OK = 0, CC_EXIT_FAIL = 1, CC_EXIT_USAGE = 2 };

struct cc_cmd {
        const char *name;
        const char *summary; /* one line for the command list */
        const char *usage;   /* the full --help text */
        int (*run)(int argc, char **argv);
};

/* The table, NULL-terminated, in the order `cloudctl --help` lists it. */
extern const struct cc_cmd *const cc_commands[];

/* cc_cli_wants_help -- true if argv[1..] holds -h or --help before "--". */
int cc_cli_wants_help(int argc, char **argv);
/* cc_cli_usage_error -- print "cloudctl CMD: MSG" and a hint to stderr; returns 2. */
int cc_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

extern const struct cc_cmd cc_cmd_version;
extern const struct cc_cmd cc_cmd_plan;
extern const struct cc_cmd cc_cmd_apply;
extern const struct cc_cmd cc_cmd_destroy;
extern const struct cc_cmd cc_cmd_run;
extern const struct cc_cmd cc_cmd_demo;

#endif
