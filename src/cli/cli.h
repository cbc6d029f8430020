/* cli.h: what the commands of the berth CLI share: the command table entry,
 * the invocation state, and the helpers for docker's help and error texts. */
#ifndef BERTH_CLI_CLI_H
#define BERTH_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "cli/opts.h"
#include "http/client.h"

/* docker's exit status for bad flags and arguments of a command */
#define BERTH_EXIT_USAGE 125
/* docker's exit status for a --format template that does not parse */
#define BERTH_EXIT_TEMPLATE 64

struct berth_cli {
	const char *host;	     /* borrowed: -H or DOCKER_HOST; NULL for the default */
	bool debug;		     /* -D */
	struct berth_client *client; /* owned: made by berth_cli_client */
	int status;		     /* exit status that goes with a returned error; 0 means 1 */
	/* the command being run and its path ("berth container ls"), set by
	 * berth_cli_run for the commands' argument errors; borrowed */
	const struct berth_command *cmd;
	const char *path;
};

/* Where a command is listed in `berth --help`. */
enum berth_cmd_group {
	BERTH_CMD_OTHER = 0,
	BERTH_CMD_COMMON,
	BERTH_CMD_MANAGEMENT,
};

struct berth_command {
	const char *name;
	const char *use; /* after the parent's path: "version [OPTIONS]" */
	const char *short_desc;
	const char *long_desc; /* the help's description when it is not short_desc, or NULL */
	const char *aliases;   /* "system info, info": printed with the binary name */
	enum berth_cmd_group group;
	const struct berth_opt *opts;
	size_t nopts;
	size_t opts_size; /* size of the options struct run() receives */
	bool takes_args;
	/* options end at the first argument (pflag's SetInterspersed(false)):
	 * `run IMAGE CMD -x` leaves -x to CMD */
	bool no_interspersed;
	/* Returns the exit status (>= 0), or < 0 with *err set (and, for an exit
	 * status other than 1, cli->status). OPTS is the filled options struct. */
	int (*run)(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		   berth_error_t *err);
	const struct berth_command *const *subs; /* subcommands of a management command */
	size_t nsubs;
};

/* The API client for cli->host, made on first use; borrowed by the caller. */
int berth_cli_client(struct berth_cli *cli, struct berth_client **out, berth_error_t *err);

/* Runs CMD with ARGV (the arguments after its name). PATH is its command
 * path ("berth system df"). Handles --help, flag and argument errors with
 * docker's texts and status 125, and prints a returned error. Returns the
 * exit status. */
int berth_cli_run(struct berth_cli *cli, const struct berth_command *cmd, const char *path,
		  int argc, char **argv);

/* Appends CMD's help as docker's usage template renders it. */
void berth_cli_help(struct berth_strbuf *out, const struct berth_command *cmd, const char *path);

/* The terminal width used to wrap help (docker reads stdin's, else 80). */
int berth_cli_term_width(void);

/* Writes SB to stdout and flushes it. */
void berth_cli_print(const struct berth_strbuf *sb);

/* The client's platform in Go's naming: "linux", "amd64". */
const char *berth_cli_os(void);
const char *berth_cli_arch(void);

/* docker's --format help text, shared by the commands that take it. */
extern const char berth_cli_format_help[];
extern const char berth_cli_table_format_help[];

#endif
