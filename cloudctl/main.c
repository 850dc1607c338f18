/* main.c -- cloudctl: global options, subcommand dispatch, exit codes. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cloudctl/cli.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/banned.h"

const struct cc_cmd *const cc_commands[] = {
        &cc_cmd_demo,    &cc_cmd_run,     &cc_cmd_plan, &cc_cmd_apply,
        &cc_cmd_destroy, &cc_cmd_version, NULL,
};

static const char main_usage[] =
    "cloudctl -- Gateway API composite classes (istio+gke): per-cluster Istio gateways\n"
    "behind a global cloud load balancer, with managed certificates and DNS.\n"
    "\n"
    "usage: cloudctl [--log=SPEC] COMMAND [ARGS...]\n"
    "       cloudctl COMMAND --help\n"
    "\n"
    "global options:\n"
    "  --log=SPEC   log levels: LEVEL or COMP:LEVEL,... (levels: off, error, warn,\n"
    "               info, debug, trace; default warn). Logs are logfmt on stderr.\n"
    "  -h, --help   show this help\n"
    "\n"
    "exit codes: 0 success, 1 failure, 2 usage error\n";

static void
print_main_help(FILE *f)
{
        const struct cc_cmd *const *c;

        fputs(main_usage, f);
        fputs("\ncommands:\n", f);
        for (c = cc_commands; *c; c++)
                fprintf(f, "  %-10s %s\n", (*c)->name, (*c)->summary);
        fputs("  help       show help for a command: cloudctl help COMMAND\n", f);
}

int
cc_cli_wants_help(int argc, char **argv)
{
        int i;

        for (i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--"))
                        return 0;
                if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
                        return 1;
        }
        return 0;
}

int
cc_cli_usage_error(const char *cmd, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "cloudctl%s%s: ", cmd ? " " : "", cmd ? cmd : "");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nrun 'cloudctl %s%s--help' for usage\n", cmd ? cmd : "", cmd ? " " : "");
        return CC_EXIT_USAGE;
}

static const struct cc_cmd *
find_cmd(const char *name)
{
        const struct cc_cmd *const *c;

        for (c = cc_commands; *c; c++)
                if (!strcmp((*c)->name, name))
                        return *c;
        return NULL;
}

int
main(int argc, char **argv)
{
        const struct cc_cmd *cmd;
        struct cc_diag d;
        int i = 1;

        /* the commands print their own progress; logs are for what goes wrong */
        cc_log_configure("warn", NULL);
        if (cc_alloc_init() != CC_OK) {
                fputs("cloudctl: cannot initialise libcurl\n", stderr);
                return CC_EXIT_FAIL;
        }
        /* global options come before the command */
        for (; i < argc && argv[i][0] == '-'; i++) {
                if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
                        print_main_help(stdout);
                        return CC_EXIT_OK;
                } else if (!strncmp(argv[i], "--log=", 6)) {
                        if (cc_log_configure(argv[i] + 6, &d) != CC_OK)
                                return cc_cli_usage_error(NULL, "%s", d.message);
                } else if (!strcmp(argv[i], "--log")) {
                        if (i + 1 >= argc)
                                return cc_cli_usage_error(NULL, "--log needs a value");
                        if (cc_log_configure(argv[++i], &d) != CC_OK)
                                return cc_cli_usage_error(NULL, "%s", d.message);
                } else if (!strcmp(argv[i], "--version")) {
                        return cc_cmd_version.run(1, (char *[]){ "version", NULL });
                } else {
                        return cc_cli_usage_error(NULL, "unknown option '%s'", argv[i]);
                }
        }
        if (i >= argc) {
                print_main_help(stderr);
                return CC_EXIT_USAGE;
        }
        if (!strcmp(argv[i], "help")) {
                if (i + 1 >= argc) {
                        print_main_help(stdout);
                        return CC_EXIT_OK;
                }
                cmd = find_cmd(argv[i + 1]);
                if (!cmd)
                        return cc_cli_usage_error(NULL, "unknown command '%s'", argv[i + 1]);
                fputs(cmd->usage, stdout);
                return CC_EXIT_OK;
        }
        cmd = find_cmd(argv[i]);
        if (!cmd)
                return cc_cli_usage_error(NULL, "unknown command '%s'", argv[i]);
        if (cc_cli_wants_help(argc - i, argv + i)) {
                fputs(cmd->usage, stdout);
                return CC_EXIT_OK;
        }
        return cmd->run(argc - i, argv + i);
}
