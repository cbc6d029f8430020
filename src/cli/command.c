/* command.c: running one command the way docker's cobra setup does:
 * options, --help, argument checks, subcommand dispatch and the texts of
 * its usage errors. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/cli.h"

#define DEFAULT_TERM_WIDTH 80
/* cobra's minimal padding of command names in lists */
#define MIN_NAME_PADDING 11

const char berth_cli_format_help[] =
    "Format output using a custom template:\n"
    "'json':             Print in JSON format\n"
    "'TEMPLATE':         Print output using the given Go template.\n"
    "Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";

const char berth_cli_table_format_help[] =
    "Format output using a custom template:\n"
    "'table':            Print output in table format with column headers (default)\n"
    "'table TEMPLATE':   Print output in table format using the given Go template\n"
    "'json':             Print in JSON format\n"
    "'TEMPLATE':         Print output using the given Go template.\n"
    "Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";

int berth_cli_term_width(void)
{
	struct winsize ws;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return DEFAULT_TERM_WIDTH;
}

void berth_cli_print(const struct berth_strbuf *sb)
{
	if (sb->len)
		fwrite(sb->buf, 1, sb->len, stdout);
	fflush(stdout);
}

const char *berth_cli_os(void)
{
#if defined(__linux__)
	return "linux";
#elif defined(__APPLE__)
	return "darwin";
#elif defined(__FreeBSD__)
	return "freebsd";
#else
	return "unknown";
#endif
}

const char *berth_cli_arch(void)
{
#if defined(__x86_64__)
	return "amd64";
#elif defined(__aarch64__)
	return "arm64";
#elif defined(__i386__)
	return "386";
#elif defined(__arm__)
	return "arm";
#elif defined(__riscv) && __riscv_xlen == 64
	return "riscv64";
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
	return "ppc64le";
#elif defined(__s390x__)
	return "s390x";
#else
	return "unknown";
#endif
}

int berth_cli_client(struct berth_cli *cli, struct berth_client **out, berth_error_t *err)
{
	if (cli->client == NULL) {
		cli->client = berth_client_new(cli->host, getenv("DOCKER_API_VERSION"), err);
		if (cli->client == NULL)
			return -1;
	}
	*out = cli->client;
	return 0;
}

/* ---- help ---- */

static void use_line(struct berth_strbuf *out, const struct berth_command *cmd, const char *path)
{
	const char *sp = strchr(cmd->use, ' ');

	/* the use text starts with the command's own name; the path replaces it */
	berth_strbuf_printf(out, "%s%s", path, sp ? sp : "");
}

static void list_commands(struct berth_strbuf *out, const char *title,
			  const struct berth_command *const *cmds, size_t n)
{
	size_t pad = MIN_NAME_PADDING;

	for (size_t i = 0; i < n; i++)
		if (strlen(cmds[i]->name) > pad)
			pad = strlen(cmds[i]->name);
	berth_strbuf_printf(out, "\n%s\n", title);
	for (size_t i = 0; i < n; i++)
		berth_strbuf_printf(out, "  %-*s %s\n", (int)pad, cmds[i]->name,
				    cmds[i]->short_desc);
}

void berth_cli_help(struct berth_strbuf *out, const struct berth_command *cmd, const char *path)
{
	const char *bin = "berth";

	berth_strbuf_puts(out, "Usage:  ");
	if (cmd->nsubs)
		berth_strbuf_printf(out, "%s%s COMMAND", path, cmd->nopts ? " [OPTIONS]" : "");
	else
		use_line(out, cmd, path);
	berth_strbuf_printf(out, "\n\n%s\n", cmd->long_desc ? cmd->long_desc : cmd->short_desc);
	if (cmd->aliases) {
		cleanup_free char *a = xstrdup(cmd->aliases);
		char *save = NULL;
		berth_strbuf_puts(out, "\nAliases:\n  ");
		for (char *tok = strtok_r(a, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			berth_strbuf_printf(out, "%s%s %s", tok == a ? "" : ", ", bin,
					    tok + strspn(tok, " "));
		berth_strbuf_puts(out, "\n");
	}
	if (cmd->nopts) {
		berth_strbuf_puts(out, "\nOptions:\n");
		berth_opts_usage(out, cmd->opts, cmd->nopts, berth_cli_term_width() - 1);
	}
	if (cmd->nsubs) {
		list_commands(out, "Commands:", cmd->subs, cmd->nsubs);
		berth_strbuf_printf(
		    out, "\nRun '%s COMMAND --help' for more information on a command.\n", path);
	}
}

/* ---- running ---- */

/* docker's FlagErrorFunc and argument errors: message, usage, hint. */
static int usage_error(const struct berth_command *cmd, const char *path, const char *msg,
		       int status)
{
	struct berth_strbuf sb = BERTH_STRBUF_INIT;

	berth_strbuf_printf(&sb, "%s\n\nUsage:  ", msg);
	if (cmd->nsubs)
		berth_strbuf_puts(&sb, path);
	else
		use_line(&sb, cmd, path);
	berth_strbuf_printf(&sb, "\n\nRun '%s --help' for more information\n", path);
	fputs(sb.buf, stderr);
	berth_strbuf_release(&sb);
	return status;
}

static int print_help(const struct berth_command *cmd, const char *path, FILE *to)
{
	cleanup_strbuf struct berth_strbuf sb = BERTH_STRBUF_INIT;

	berth_cli_help(&sb, cmd, path);
	fwrite(sb.buf, 1, sb.len, to);
	fflush(to);
	return 0;
}

/* True when "PARENT NAME" or the top-level "NAME" is among SUB's aliases
 * ("image rm, image remove, rmi"), as cobra's aliases let `berth image
 * remove` and `berth image rmi` run `berth image rm`. */
static bool is_alias(const struct berth_command *sub, const char *parent, const char *name)
{
	cleanup_free char *want = xasprintf("%s %s", parent, name);
	const char *a = sub->aliases;

	while (a && *a) {
		size_t len;
		a += strspn(a, ", ");
		len = strcspn(a, ",");
		if ((len == strlen(want) && strncmp(a, want, len) == 0) ||
		    (len == strlen(name) && strncmp(a, name, len) == 0))
			return true;
		a += len;
	}
	return false;
}

/* Booleans documented with (default true) start out true. */
static void bool_defaults(const struct berth_command *cmd, void *opts)
{
	for (size_t i = 0; i < cmd->nopts; i++)
		if (cmd->opts[i].type == BERTH_OPT_BOOL && cmd->opts[i].def &&
		    strcmp(cmd->opts[i].def, "true") == 0)
			*(bool *)((char *)opts + cmd->opts[i].offset) = true;
}

/* A management command parses its own options non-interspersed, so its
 * first positional argument is the subcommand and the rest is the
 * subcommand's to parse (`berth system df -v`). */
static int run_sub(struct berth_cli *cli, const struct berth_command *cmd, const char *path,
		   const struct berth_strv *args, char **argv, int argc)
{
	cleanup_free char *sub_path = NULL;
	cleanup_free char *msg = NULL;

	if (args->n == 0) /* docker shows the help on stderr, status 0 */
		return print_help(cmd, path, stderr);
	for (size_t i = 0; i < cmd->nsubs; i++) {
		if (strcmp(cmd->subs[i]->name, args->v[0]) != 0 &&
		    !is_alias(cmd->subs[i], cmd->name, args->v[0]))
			continue;
		sub_path = xasprintf("%s %s", path, cmd->subs[i]->name);
		/* args->v[0] is argv[argc - args->n]: run the rest after it */
		return berth_cli_run(cli, cmd->subs[i], sub_path, (int)args->n - 1,
				     argv + argc - (int)args->n + 1);
	}
	msg = xasprintf("berth: unknown command: %s %s", path, args->v[0]);
	return usage_error(cmd, path, msg, 1);
}

/* The single place a command's error is printed (STYLE rule 4): the
 * message as it is, status 1 unless the command chose one (64 for a
 * template that does not parse, as docker). */
static int report(struct berth_cli *cli, int ret, berth_error_t *err)
{
	if (ret >= 0)
		return ret;
	if (*err && (*err)->msg[0])
		fprintf(stderr, "%s\n", (*err)->msg);
	berth_error_release(err);
	return cli->status ? cli->status : 1;
}

int berth_cli_run(struct berth_cli *cli, const struct berth_command *cmd, const char *path,
		  int argc, char **argv)
{
	cleanup_free void *opts = xzalloc(cmd->opts_size ? cmd->opts_size : 1);
	struct berth_strv args = { NULL, 0 };
	cleanup_error berth_error_t err = NULL;
	cleanup_free char *msg = NULL;
	int ret;

	bool_defaults(cmd, opts);
	ret = berth_opts_parse(cmd->opts, cmd->nopts, argc, argv,
			       cmd->nsubs == 0 && !cmd->no_interspersed, opts, &args, &err);
	if (ret < 0)
		ret = usage_error(cmd, path, err->msg, BERTH_EXIT_USAGE);
	else if (ret == BERTH_OPTS_HELP)
		ret = print_help(cmd, path, stdout);
	else if (cmd->nsubs)
		ret = run_sub(cli, cmd, path, &args, argv, argc);
	else if (args.n && !cmd->takes_args) {
		msg = xasprintf("berth: '%s' accepts no arguments", path);
		ret = usage_error(cmd, path, msg, 1);
	} else {
		cli->cmd = cmd;
		cli->path = path;
		ret = report(cli, cmd->run(cli, opts, &args, &err), &err);
	}
	/* list options own their arrays */
	for (size_t i = 0; i < cmd->nopts; i++)
		if (cmd->opts[i].type == BERTH_OPT_LIST)
			berth_strv_release(
			    (struct berth_strv *)((char *)opts + cmd->opts[i].offset));
	berth_strv_release(&args);
	return ret;
}
