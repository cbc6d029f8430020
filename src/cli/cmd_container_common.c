/* cmd_container_common.c: what the container commands share besides the
 * connections: docker's argument-count errors for the running command,
 * the loop of stop/kill/rm/... over their arguments, container paths, and
 * run's exit statuses for daemon errors. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/container_internal.h"
#include "cli/image_internal.h"

static int args_error(struct berth_cli *cli, const char *what, berth_error_t *err)
{
	const char *use = cli->cmd ? cli->cmd->use : "";
	const char *sp = strchr(use, ' ');

	return berth_make_error(
	    err, EINVAL, "berth: '%s' %s\n\nUsage:  %s%s\n\n%s '%s --help' for more information",
	    cli->path, what, cli->path, sp ? sp : "",
	    strstr(what, "at least") && !strstr(what, "at most") ? "See" : "Run", cli->path);
}

int berth_cli_args_min(struct berth_cli *cli, size_t n, berth_error_t *err)
{
	cleanup_free char *what =
	    xasprintf("requires at least %zu argument%s", n, n == 1 ? "" : "s");

	return args_error(cli, what, err);
}

int berth_cli_args_exact(struct berth_cli *cli, size_t n, berth_error_t *err)
{
	cleanup_free char *what = xasprintf("requires %zu argument%s", n, n == 1 ? "" : "s");

	return args_error(cli, what, err);
}

int berth_cli_args_range(struct berth_cli *cli, size_t min, size_t max, berth_error_t *err)
{
	cleanup_free char *what = xasprintf("requires at least %zu and at most %zu argument%s", min,
					    max, max == 1 ? "" : "s");

	return args_error(cli, what, err);
}

int berth_cli_each(struct berth_cli *cli, const struct berth_strv *names, berth_cli_each_fn op,
		   void *arg, bool print, berth_error_t *err)
{
	cleanup_strbuf struct berth_strbuf errs = BERTH_STRBUF_INIT;
	struct berth_client *client;
	int code = 0;

	if (berth_cli_client(cli, &client, err) < 0)
		return -1;
	for (size_t i = 0; i < names->n; i++) {
		berth_error_t e = NULL;
		int ret = op(client, names->v[i], arg, &e);
		if (ret > 0) /* done, nothing to print */
			continue;
		if (ret == 0) {
			if (print) {
				printf("%s\n", names->v[i]);
				fflush(stdout);
			}
			continue;
		}
		code = e->code;
		berth_strbuf_printf(&errs, "%s%s", errs.len ? "\n" : "", e->msg);
		berth_error_release(&e);
	}
	if (errs.len == 0)
		return 0;
	return berth_make_error(err, code, "%s", errs.buf);
}

/* Skips the zeros, then the digits of the run at *P; returns the length
 * of the digits after the zeros, their start in *START. */
static size_t digit_run(const char **p, const char **start)
{
	size_t n = 0;

	while (**p == '0')
		(*p)++;
	*start = *p;
	while (isdigit((unsigned char)(*p)[0])) {
		(*p)++;
		n++;
	}
	return n;
}

int berth_cli_natural_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		bool da = isdigit((unsigned char)*a), db = isdigit((unsigned char)*b);
		const char *a0 = a, *b0 = b, *sa, *sb;
		size_t la, lb;
		int c;

		if (da != db) /* digits before other characters */
			return da ? -1 : 1;
		if (!da) {
			if (*a != *b)
				return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
			a++;
			b++;
			continue;
		}
		la = digit_run(&a, &sa);
		lb = digit_run(&b, &sb);
		if (la != lb) /* the shorter number is the smaller */
			return la < lb ? -1 : 1;
		if ((c = strncmp(sa, sb, la)) != 0)
			return c < 0 ? -1 : 1;
		if (sa - a0 != sb - b0) /* fewer leading zeros first */
			return sa - a0 < sb - b0 ? -1 : 1;
	}
	return *a ? 1 : *b ? -1 : 0;
}

char *berth_cli_container_path(const char *name, const char *suffix)
{
	cleanup_free char *img = berth_cli_image_path(name, suffix);

	return xasprintf("/containers/%s", img + strlen("/images/"));
}

int berth_cli_run_status_error(struct berth_cli *cli, const char *cmd, berth_error_t *err)
{
	const char *m = (*err)->msg;
	char *msg;

	if (strstr(m, "executable file not found") || strstr(m, "no such file or directory") ||
	    strstr(m, "system cannot find the file specified"))
		cli->status = BERTH_EXIT_NOT_FOUND;
	else if (strstr(m, "permission denied") || strstr(m, "is a directory"))
		cli->status = BERTH_EXIT_CANNOT_RUN;
	else
		cli->status = BERTH_EXIT_DAEMON;
	msg = xasprintf("berth: %s\n\nRun 'berth %s --help' for more information", m, cmd);
	free((*err)->msg);
	(*err)->msg = msg;
	return -1;
}

char *berth_cli_human_duration(int64_t ns, char *buf, size_t len)
{
	int64_t secs = ns / 1000000000LL, mins = secs / 60;
	int64_t hours = (int64_t)((double)ns / 3.6e12 + 0.5);

	if (secs < 1)
		snprintf(buf, len, "Less than a second");
	else if (secs == 1)
		snprintf(buf, len, "1 second");
	else if (secs < 60)
		snprintf(buf, len, "%lld seconds", (long long)secs);
	else if (mins == 1)
		snprintf(buf, len, "About a minute");
	else if (mins < 60)
		snprintf(buf, len, "%lld minutes", (long long)mins);
	else if (hours == 1)
		snprintf(buf, len, "About an hour");
	else if (hours < 48)
		snprintf(buf, len, "%lld hours", (long long)hours);
	else if (hours < 24 * 7 * 2)
		snprintf(buf, len, "%lld days", (long long)(hours / 24));
	else if (hours < 24 * 30 * 2)
		snprintf(buf, len, "%lld weeks", (long long)(hours / 24 / 7));
	else if (hours < 24 * 365 * 2)
		snprintf(buf, len, "%lld months", (long long)(hours / 24 / 30));
	else
		snprintf(buf, len, "%lld years", (long long)(ns / 3600000000000LL / 24 / 365));
	return buf;
}
