/* main.c: the berth binary. Global options as docker's, then the command
 * table; `berth daemon` hands over to the daemon when it is built in. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/cmds.h"
#include "http/client.h"

struct global_opts {
	bool debug;
	struct berth_strv host;
	const char *log_level;
	bool version;
};

static const struct berth_opt global_options[] = {
	{ "debug", 'D', BERTH_OPT_BOOL, offsetof(struct global_opts, debug), NULL,
	  "Enable debug mode", NULL, NULL },
	{ "host", 'H', BERTH_OPT_LIST, offsetof(struct global_opts, host), "list",
	  "Daemon socket to connect to", NULL, NULL },
	{ "log-level", 'l', BERTH_OPT_STRING, offsetof(struct global_opts, log_level), "string",
	  "Set the logging level (\"debug\", \"info\", \"warn\", \"error\", \"fatal\")", "info",
	  NULL },
	{ "version", 'v', BERTH_OPT_BOOL, offsetof(struct global_opts, version), NULL,
	  "Print version information and quit", NULL, NULL },
};

/* listed in the help; main() runs it itself, before any option parsing */
static const struct berth_command daemon_command = {
	.name = "daemon",
	.use = "daemon [OPTIONS]",
	.short_desc = "Run the berth daemon",
};

/* listed in help in this order within each group: docker's for the common
 * commands, by name for the others */
static const struct berth_command *const commands[] = {
	&berth_cmd_run,	      &berth_cmd_exec,	 &berth_cmd_ps,	     &berth_cmd_pull,
	&berth_cmd_push,      &berth_cmd_images, &berth_cmd_version, &berth_cmd_info,
	&berth_cmd_container, &berth_cmd_image,	 &berth_cmd_network, &berth_cmd_system,
	&berth_cmd_volume,
	&berth_cmd_attach,    &berth_cmd_cp,	 &berth_cmd_create,  &daemon_command,
	&berth_cmd_diff,      &berth_cmd_events, &berth_cmd_export,  &berth_cmd_history,
	&berth_cmd_inspect,   &berth_cmd_kill,	 &berth_cmd_load,    &berth_cmd_logs,
	&berth_cmd_pause,     &berth_cmd_port,	 &berth_cmd_rename,  &berth_cmd_restart,
	&berth_cmd_rm,	      &berth_cmd_rmi,	 &berth_cmd_save,    &berth_cmd_start,
	&berth_cmd_stats,     &berth_cmd_stop,	 &berth_cmd_tag,     &berth_cmd_top,
	&berth_cmd_unpause,   &berth_cmd_update, &berth_cmd_wait,
};

static const char root_use[] = "berth [OPTIONS] COMMAND [ARG...]";

static void root_section(struct berth_strbuf *sb, const char *title, enum berth_cmd_group group)
{
	bool any = false;

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(commands); i++) {
		if (commands[i]->group != group)
			continue;
		if (!any)
			berth_strbuf_printf(sb, "\n%s\n", title);
		any = true;
		berth_strbuf_printf(sb, "  %-11s %s\n", commands[i]->name, commands[i]->short_desc);
	}
}

static int root_help(FILE *to)
{
	cleanup_strbuf struct berth_strbuf sb = BERTH_STRBUF_INIT;

	berth_strbuf_puts(
	    &sb, "Usage:  berth [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n");
	root_section(&sb, "Common Commands:", BERTH_CMD_COMMON);
	root_section(&sb, "Management Commands:", BERTH_CMD_MANAGEMENT);
	root_section(&sb, "Commands:", BERTH_CMD_OTHER);
	berth_strbuf_puts(&sb, "\nGlobal Options:\n");
	berth_opts_usage(&sb, global_options, BERTH_ARRAY_SIZE(global_options),
			 berth_cli_term_width() - 1);
	berth_strbuf_puts(&sb, "\nRun 'berth COMMAND --help' for more information on a command.\n");
	fwrite(sb.buf, 1, sb.len, to);
	fflush(to);
	return 0;
}

static int root_error(const char *msg, int status, bool usage)
{
	if (usage)
		fprintf(stderr, "%s\n\nUsage:  %s\n\nRun 'berth --help' for more information\n",
			msg, root_use);
	else
		fprintf(stderr, "%s\n\nRun 'berth --help' for more information\n", msg);
	return status;
}

static const struct berth_command *find_command(const char *name)
{
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

#ifdef BERTH_HAVE_DAEMON
/* The daemon is its own binary, berthd, so that the CLI loads none of its
 * libraries: next to ours, or in ../libexec/berth. */
static char *find_daemon(void)
{
	static const char *const where[] = { "berthd", "../libexec/berth/berthd", NULL };

	return berth_fs_find_beside_self(where);
}
#endif

/* ARGV is "berth daemon ..." whole: berthd gets it unchanged, so that the
 * process still shows as `berth daemon ...`. */
static int run_daemon(char **argv)
{
#ifdef BERTH_HAVE_DAEMON
	cleanup_free char *bin = find_daemon();

	if (bin == NULL) {
		fprintf(stderr, "berth: cannot find berthd next to the berth binary\n");
		return 1;
	}
	execv(bin, argv);
	fprintf(stderr, "berth: cannot run %s: %s\n", bin, strerror(errno));
	return 1;
#else
	(void)argv;
	fprintf(stderr, "berth: this build has no daemon; run `berth daemon` from a Linux build\n");
	return 1;
#endif
}

/* `berth help [COMMAND...]`: the help of the named command. */
static int run_help(const struct berth_strv *args)
{
	const struct berth_command *cmd = args->n > 1 ? find_command(args->v[1]) : NULL;
	cleanup_strbuf struct berth_strbuf sb = BERTH_STRBUF_INIT;
	cleanup_free char *path = NULL;

	if (cmd == NULL || cmd == &daemon_command) {
		if (args->n > 1 && cmd == NULL) {
			fprintf(stderr, "unknown help topic: %s\n", args->v[1]);
			return 1;
		}
		return root_help(stdout);
	}
	path = xasprintf("berth %s", cmd->name);
	berth_cli_help(&sb, cmd, path);
	berth_cli_print(&sb);
	return 0;
}

/* -D, -l, -H and DOCKER_HOST, as docker's client options. */
static int apply_globals(struct berth_cli *cli, const struct global_opts *g)
{
	cleanup_error berth_error_t err = NULL;
	cleanup_free char *norm = NULL;
	int level;

	if (g->log_level) {
		level = berth_log_parse_level(g->log_level);
		if (level < 0) {
			fprintf(stderr, "Unable to parse logging level: %s\n", g->log_level);
			return -1;
		}
		berth_log_set_level(level);
	}
	if (g->debug)
		berth_log_set_level(BERTH_LOG_DEBUG);
	cli->debug = g->debug;
	if (g->host.n > 1) {
		fprintf(
		    stderr,
		    "Failed to initialize: unable to resolve berth endpoint: Specify only one -H\n");
		return -1;
	}
	cli->host = g->host.n ? g->host.v[0] : getenv("DOCKER_HOST");
	if (berth_client_parse_host(cli->host, &norm, &err) < 0) {
		fprintf(stderr, "Failed to initialize: unable to resolve berth endpoint: %s\n",
			err->msg);
		return -1;
	}
	return 0;
}

/* The host is resolved before any command runs, so that a bad -H or
 * DOCKER_HOST fails the same way for every command, as docker's
 * "Failed to initialize" does; help and unknown commands need no host. */
static int dispatch(struct berth_cli *cli, const struct global_opts *g,
		    const struct berth_strv *args, int argc, char **argv)
{
	const struct berth_command *cmd;
	cleanup_free char *path = NULL;
	cleanup_free char *msg = NULL;

	if (g->version) {
		printf("berth version %s, build %s\n", BERTH_VERSION, BERTH_GIT_COMMIT);
		return 0;
	}
	if (args->n == 0) /* as docker: the help, on stderr, status 0 */
		return root_help(stderr);
	if (strcmp(args->v[0], "help") == 0)
		return run_help(args);
	cmd = find_command(args->v[0]);
	if (cmd == NULL || cmd == &daemon_command) {
		msg = xasprintf("berth: unknown command: berth %s", args->v[0]);
		return root_error(msg, 1, false);
	}
	if (apply_globals(cli, g) < 0)
		return 1;
	path = xasprintf("berth %s", cmd->name);
	/* args->v[0] is argv[argc - args->n]; the command gets what follows */
	return berth_cli_run(cli, cmd, path, (int)args->n - 1, argv + argc - (int)args->n + 1);
}

int main(int argc, char **argv)
{
	struct global_opts g = { 0 };
	struct berth_strv args = { NULL, 0 };
	struct berth_cli cli = { 0 };
	cleanup_error berth_error_t err = NULL;
	int ret;

	/* the daemon has its own options (-H means listen there), so it gets
	 * its arguments untouched */
	if (argc > 1 && strcmp(argv[1], "daemon") == 0)
		return run_daemon(argv);
	ret = berth_opts_parse(global_options, BERTH_ARRAY_SIZE(global_options), argc - 1, argv + 1,
			       false, &g, &args, &err);
	if (ret < 0)
		ret = root_error(err->msg, BERTH_EXIT_USAGE, true);
	else if (ret == BERTH_OPTS_HELP)
		ret = root_help(stdout);
	else
		ret = dispatch(&cli, &g, &args, argc - 1, argv + 1);
	berth_client_free(cli.client);
	berth_strv_release(&g.host);
	berth_strv_release(&args);
	return ret;
}
