/* cmd_image_history.c: `berth history` and `berth image history`, from
 * GET /images/{name}/history, with docker's history formatter. */
#include "config.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/cmds.h"
#include "cli/image_internal.h"
#include "cli/units.h"

static const char history_use[] = "history [OPTIONS] IMAGE";

static const char human_table[] =
    "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";
static const char plain_table[] =
    "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";

/* created-at dates before 2000-01-01 are shown as N/A in human form */
#define HISTORY_EPOCH 946684800
/* CREATED BY is cut to this many characters unless --no-trunc */
#define CREATED_BY_WIDTH 45

struct history_opts {
	const char *format;
	bool human; /* default true */
	bool no_trunc;
	bool quiet;
};

static const struct berth_opt history_options[] = {
	{ "format", 0, BERTH_OPT_STRING, offsetof(struct history_opts, format), "string",
	  berth_cli_table_format_help, NULL, NULL },
	{ "human", 'H', BERTH_OPT_BOOL, offsetof(struct history_opts, human), NULL,
	  "Print sizes and dates in human readable format", "true", NULL },
	{ "no-trunc", 0, BERTH_OPT_BOOL, offsetof(struct history_opts, no_trunc), NULL,
	  "Don't truncate output", NULL, NULL },
	{ "quiet", 'q', BERTH_OPT_BOOL, offsetof(struct history_opts, quiet), NULL,
	  "Only show image IDs", NULL, NULL },
};

/* time.Unix(sec).Format(time.RFC3339), local time */
static void rfc3339(struct berth_strbuf *out, int64_t sec)
{
	time_t t = (time_t)sec;
	struct tm tm;
	char buf[64];
	long off;

	localtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	berth_strbuf_puts(out, buf);
	off = tm.tm_gmtoff;
	if (off == 0)
		berth_strbuf_puts(out, "Z");
	else
		berth_strbuf_printf(out, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 3600,
				    labs(off) % 3600 / 60);
}

/* formatter.Ellipsis: at most WIDTH characters (runes), the last one "…". */
static char *ellipsis(const char *s, size_t width)
{
	size_t runes = 0, i;

	for (i = 0; s[i]; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			runes++;
	if (runes <= width)
		return xstrdup(s);
	runes = 0;
	for (i = 0; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && runes++ == width - 1)
			break;
	}
	return xasprintf("%.*s…", (int)i, s);
}

static char *created_by(const json_t *h, bool trunc)
{
	cleanup_free char *s = xstrdup(berth_cli_image_str(h, "CreatedBy"));

	for (char *p = s; *p; p++)
		if (*p == '\t')
			*p = ' ';
	return trunc ? ellipsis(s, CREATED_BY_WIDTH) : steal_pointer(&s);
}

/* One historyContext, its keys sorted as its MarshalJSON sorts them. */
static json_t *history_row(const json_t *h, const struct history_opts *opts)
{
	int64_t created = berth_cli_image_num(h, "Created"), size = berth_cli_image_num(h, "Size");
	cleanup_strbuf struct berth_strbuf at = BERTH_STRBUF_INIT;
	cleanup_strbuf struct berth_strbuf since = BERTH_STRBUF_INIT;
	cleanup_free char *by = created_by(h, !opts->no_trunc);
	cleanup_free char *id = opts->no_trunc
				    ? xstrdup(berth_cli_image_str(h, "Id"))
				    : berth_cli_image_short_id(berth_cli_image_str(h, "Id"));
	char sz[BERTH_UNITS_BUFSIZE];

	rfc3339(&at, created);
	if (!opts->human)
		berth_strbuf_puts(&since, at.buf);
	else if (created <= HISTORY_EPOCH)
		berth_strbuf_puts(&since, "N/A");
	else
		berth_cli_image_time_ago(&since, created);
	if (opts->human)
		berth_units_human_size_prec((double)size, 3, sz, sizeof(sz));
	else
		snprintf(sz, sizeof(sz), "%" PRId64, size);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "Comment",
			 berth_cli_image_str(h, "Comment"), "CreatedAt", at.buf, "CreatedBy", by,
			 "CreatedSince", since.buf, "ID", id, "Size", sz);
}

static const char *history_format(const struct history_opts *opts)
{
	if (opts->format && *opts->format && strcmp(opts->format, "table") != 0)
		return opts->format;
	return opts->quiet ? "{{.ID}}" : opts->human ? human_table : plain_table;
}

static int run_history(struct berth_cli *cli, struct history_opts *opts,
		       const struct berth_strv *args, const char *path, berth_error_t *err)
{
	cleanup_free char *api_path = NULL;
	struct berth_client *client;
	json_t *hist = NULL, *rows, *header, *h;
	size_t i;
	int ret;

	if (args->n != 1)
		return berth_cli_image_args_exact(path, history_use, 1, err);
	api_path = berth_cli_image_path(args->v[0], "history");
	if (berth_cli_client(cli, &client, err) < 0 ||
	    berth_client_call_json(client, "GET", api_path, NULL, NULL, &hist, err) < 0)
		return -1;
	rows = json_array();
	json_array_foreach (hist, i, h)
		json_array_append_new(rows, history_row(h, opts));
	header = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "IMAGE", "CreatedSince",
			   "CREATED", "CreatedAt", "CREATED AT", "CreatedBy", "CREATED BY", "Size",
			   "SIZE", "Comment", "COMMENT");
	ret = berth_cli_image_write_rows(history_format(opts), rows, header,
					 "*image.historyContext", err);
	json_decref(header);
	json_decref(rows);
	json_decref(hist);
	return ret;
}

static int run_history_top(struct berth_cli *cli, void *o, const struct berth_strv *args,
			   berth_error_t *err)
{
	return run_history(cli, o, args, "berth history", err);
}

static int run_image_history(struct berth_cli *cli, void *o, const struct berth_strv *args,
			     berth_error_t *err)
{
	return run_history(cli, o, args, "berth image history", err);
}

const struct berth_command berth_cmd_history = {
	.name = "history",
	.use = history_use,
	.short_desc = "Show the history of an image",
	.aliases = "image history, history",
	.opts = history_options,
	.nopts = BERTH_ARRAY_SIZE(history_options),
	.opts_size = sizeof(struct history_opts),
	.takes_args = true,
	.run = run_history_top,
};

const struct berth_command berth_cmd_image_history = {
	.name = "history",
	.use = history_use,
	.short_desc = "Show the history of an image",
	.aliases = "image history, history",
	.opts = history_options,
	.nopts = BERTH_ARRAY_SIZE(history_options),
	.opts_size = sizeof(struct history_opts),
	.takes_args = true,
	.run = run_image_history,
};
