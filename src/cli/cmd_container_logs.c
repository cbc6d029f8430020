/* cmd_container_logs.c: `berth logs`: GET /containers/{id}/logs, copied
 * raw for a TTY container, else demultiplexed to stdout and stderr, as
 * docker's runLogs (which inspects the container first to know). */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/timeutil.h"
#include "base/xalloc.h"
#include "cli/cmds.h"
#include "cli/container_internal.h"
#include "cli/image_internal.h"

struct logs_opts {
	bool details;
	bool follow;
	const char *since;
	const char *tail;
	bool timestamps;
	const char *until;
};

static const struct berth_opt logs_options[] = {
	{ "details", 0, BERTH_OPT_BOOL, offsetof(struct logs_opts, details), NULL,
	  "Show extra details provided to logs", NULL, NULL },
	{ "follow", 'f', BERTH_OPT_BOOL, offsetof(struct logs_opts, follow), NULL,
	  "Follow log output", NULL, NULL },
	{ "since", 0, BERTH_OPT_STRING, offsetof(struct logs_opts, since), "string",
	  "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)",
	  NULL, NULL },
	{ "tail", 'n', BERTH_OPT_STRING, offsetof(struct logs_opts, tail), "string",
	  "Number of lines to show from the end of the logs", "all", NULL },
	{ "timestamps", 't', BERTH_OPT_BOOL, offsetof(struct logs_opts, timestamps), NULL,
	  "Show timestamps", NULL, NULL },
	{ "until", 0, BERTH_OPT_STRING, offsetof(struct logs_opts, until), "string",
	  "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)",
	  NULL, NULL },
};

/* timetypes.GetTimestamp as the Go client sends it: "sec.nanos". */
static int add_time(char **q, const char *key, const char *value, berth_error_t *err)
{
	int64_t ns;
	char buf[64];

	if (value == NULL || *value == '\0')
		return 0;
	if (berth_time_parse_timestamp(value, berth_time_now_ns(), &ns, err) < 0)
		return berth_error_wrap(err, "invalid value for \"%s\"", key);
	/* a plain number goes as it is, as GetTimestamp returns it */
	if (strspn(value, "0123456789.") == strlen(value))
		snprintf(buf, sizeof(buf), "%s", value);
	else
		snprintf(buf, sizeof(buf), "%lld.%09lld", (long long)(ns / 1000000000LL),
			 (long long)(ns % 1000000000LL));
	berth_client_query_add(q, key, buf);
	return 0;
}

static int logs_query(const struct logs_opts *o, char **q, berth_error_t *err)
{
	if (o->details)
		berth_client_query_add(q, "details", "1");
	if (o->follow)
		berth_client_query_add(q, "follow", "1");
	if (add_time(q, "since", o->since, err) < 0)
		return -1;
	berth_client_query_add(q, "stderr", "1");
	berth_client_query_add(q, "stdout", "1");
	berth_client_query_add(q, "tail", o->tail ? o->tail : "all");
	if (o->timestamps)
		berth_client_query_add(q, "timestamps", "1");
	return add_time(q, "until", o->until, err);
}

struct logs_out {
	struct berth_cli_demux demux;
	bool tty;
	bool bad_header;
};

static int write_frame(int stream, const char *data, size_t len, void *arg)
{
	(void)arg;
	return berth_cli_write_all(stream == 2 ? STDERR_FILENO : STDOUT_FILENO, data, len);
}

static int on_data(const char *data, size_t len, void *arg)
{
	struct logs_out *lo = arg;
	int ret;

	if (lo->tty)
		return berth_cli_write_all(STDOUT_FILENO, data, len);
	ret = berth_cli_demux_feed(&lo->demux, data, len, write_frame, NULL);
	if (ret == -2)
		lo->bad_header = true;
	return ret;
}

static int run_logs(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		    berth_error_t *err)
{
	const struct logs_opts *o = opts;
	cleanup_free char *ipath = NULL;
	cleanup_free char *lpath = NULL;
	cleanup_free char *q = NULL;
	struct logs_out lo = { 0 };
	struct berth_client *c;
	struct berth_cli_image_xfer x = { .method = "GET", .in_fd = -1, .out_fd = -1 };
	json_t *info = NULL;
	int ret;

	if (args->n != 1)
		return berth_cli_args_exact(cli, 1, err);
	ipath = berth_cli_container_path(args->v[0], "json");
	if (berth_cli_client(cli, &c, err) < 0 ||
	    berth_client_call_json(c, "GET", ipath, NULL, NULL, &info, err) < 0)
		return -1;
	lo.tty = json_is_true(json_object_get(json_object_get(info, "Config"), "Tty"));
	lpath = berth_cli_container_path(berth_cli_image_str(info, "Id"), "logs");
	json_decref(info);
	if (logs_query(o, &q, err) < 0)
		return -1;
	x.path = lpath;
	x.query = q;
	x.data_cb = on_data;
	x.cb_data = &lo;
	ret = berth_cli_image_xfer_run(c, &x, err);
	if (ret == 0 && lo.bad_header)
		return berth_make_error(err, EPROTO, "Unrecognized input header: %d",
					lo.demux.head[0]);
	return ret;
}

const struct berth_command berth_cmd_logs = {
	.name = "logs",
	.use = "logs [OPTIONS] CONTAINER",
	.short_desc = "Fetch the logs of a container",
	.aliases = "container logs, logs",
	.opts = logs_options,
	.nopts = BERTH_ARRAY_SIZE(logs_options),
	.opts_size = sizeof(struct logs_opts),
	.takes_args = true,
	.run = run_logs,
};

const struct berth_command berth_cmd_container_logs = {
	.name = "logs",
	.use = "logs [OPTIONS] CONTAINER",
	.short_desc = "Fetch the logs of a container",
	.aliases = "container logs, logs",
	.opts = logs_options,
	.nopts = BERTH_ARRAY_SIZE(logs_options),
	.opts_size = sizeof(struct logs_opts),
	.takes_args = true,
	.run = run_logs,
};
