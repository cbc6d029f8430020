/* cmd_container_stats.c: `berth stats`: one GET /containers/{id}/stats per
 * container and per refresh, shown with docker's stats formatter: CPU %
 * from the pre-CPU sample the daemon sends along, memory without the
 * inactive file cache, network and block I/O summed. --no-stream prints
 * one table; otherwise it is redrawn every second. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/cmds.h"
#include "cli/container_internal.h"
#include "cli/image_internal.h"
#include "cli/units.h"

static const char stats_table[] = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t"
				  "{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

struct stats_opts {
	bool all;
	const char *format;
	bool no_stream;
	bool no_trunc;
};

static const struct berth_opt stats_options[] = {
	{ "all", 'a', BERTH_OPT_BOOL, offsetof(struct stats_opts, all), NULL,
	  "Show all containers (default shows just running)", NULL, NULL },
	{ "format", 0, BERTH_OPT_STRING, offsetof(struct stats_opts, format), "string",
	  berth_cli_table_format_help, NULL, NULL },
	{ "no-stream", 0, BERTH_OPT_BOOL, offsetof(struct stats_opts, no_stream), NULL,
	  "Disable streaming stats and only pull the first result", NULL, NULL },
	{ "no-trunc", 0, BERTH_OPT_BOOL, offsetof(struct stats_opts, no_trunc), NULL,
	  "Do not truncate output", NULL, NULL },
};

static double num(const json_t *o, const char *path)
{
	cleanup_free char *p = xstrdup(path);
	char *save = NULL;

	for (char *k = strtok_r(p, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		o = json_object_get(o, k);
	return json_is_number(o) ? json_number_value(o) : 0;
}

static json_t *percent(double v)
{
	return json_sprintf("%.2f%%", v);
}

static json_t *pair(double a, double b, bool binary)
{
	char x[BERTH_UNITS_BUFSIZE], y[BERTH_UNITS_BUFSIZE];

	if (binary) {
		berth_units_bytes_size(a, x, sizeof(x));
		berth_units_bytes_size(b, y, sizeof(y));
	} else {
		berth_units_human_size_prec(a, 3, x, sizeof(x));
		berth_units_human_size_prec(b, 3, y, sizeof(y));
	}
	return json_sprintf("%s / %s", x, y);
}

/* calculateMemUsageUnixNoCache */
static double mem_used(const json_t *s)
{
	const json_t *st = json_object_get(json_object_get(s, "memory_stats"), "stats");
	double usage = num(s, "memory_stats.usage");
	const json_t *v1 = json_object_get(st, "total_inactive_file");

	if (v1 && json_number_value(v1) < usage)
		return usage - json_number_value(v1);
	if (num(st, "inactive_file") < usage)
		return usage - num(st, "inactive_file");
	return usage;
}

static void io_totals(const json_t *s, double *rx, double *tx, double *br, double *bw)
{
	const json_t *nets = json_object_get(s, "networks"), *n, *e;
	const char *k;
	size_t i;

	*rx = *tx = *br = *bw = 0;
	json_object_foreach ((json_t *)nets, k, n) {
		*rx += num(n, "rx_bytes");
		*tx += num(n, "tx_bytes");
	}
	json_array_foreach (
	    json_object_get(json_object_get(s, "blkio_stats"), "io_service_bytes_recursive"), i,
	    e) {
		const char *op = berth_cli_image_str(e, "op");
		if (*op == 'r' || *op == 'R')
			*br += num(e, "value");
		else if (*op == 'w' || *op == 'W')
			*bw += num(e, "value");
	}
}

/* One row of docker's statsContext, keys sorted as its MarshalJSON. */
static json_t *stats_row(const char *container, const json_t *s, bool trunc)
{
	const char *id = berth_cli_image_str(s, "id"), *name = berth_cli_image_str(s, "name");
	cleanup_free char *short_id = berth_cli_image_short_id(id);
	double cpu_delta = num(s, "cpu_stats.cpu_usage.total_usage") -
			   num(s, "precpu_stats.cpu_usage.total_usage");
	double sys_delta =
	    num(s, "cpu_stats.system_cpu_usage") - num(s, "precpu_stats.system_cpu_usage");
	double cpus = num(s, "cpu_stats.online_cpus"), cpu = 0, used = mem_used(s);
	double limit = num(s, "memory_stats.limit"), rx, tx, br, bw;

	if (cpus == 0)
		cpus = (double)json_array_size(json_object_get(
		    json_object_get(json_object_get(s, "cpu_stats"), "cpu_usage"), "percpu_usage"));
	if (sys_delta > 0 && cpu_delta > 0)
		cpu = cpu_delta / sys_delta * cpus * 100.0;
	io_totals(s, &rx, &tx, &br, &bw);
	return json_pack(
	    "{s:o, s:o, s:s, s:s, s:o, s:o, s:s, s:o, s:o}", "BlockIO", pair(br, bw, false),
	    "CPUPerc", percent(cpu), "Container", container, "ID", trunc ? short_id : id, "MemPerc",
	    percent(limit ? used / limit * 100.0 : 0), "MemUsage", pair(used, limit, true), "Name",
	    strlen(name) > 1 ? name + 1 : "--", "NetIO", pair(rx, tx, false), "PIDs",
	    json_sprintf("%.0f", num(s, "pids_stats.current")));
}

static json_t *stats_header(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Container", "CONTAINER",
			 "ID", "CONTAINER ID", "Name", "NAME", "CPUPerc", "CPU %", "MemUsage",
			 "MEM USAGE / LIMIT", "MemPerc", "MEM %", "NetIO", "NET I/O", "BlockIO",
			 "BLOCK I/O", "PIDs", "PIDS");
}

/* The containers to show: the arguments, else the running (or all) ones. */
static int targets(struct berth_client *c, const struct stats_opts *o,
		   const struct berth_strv *args, json_t **out, berth_error_t *err)
{
	json_t *list = NULL, *t = json_array(), *e;
	size_t i;

	for (i = 0; i < args->n; i++)
		json_array_append_new(t, json_string(args->v[i]));
	if (args->n == 0) {
		if (berth_client_call_json(c, "GET", "/containers/json", o->all ? "all=1" : NULL,
					   NULL, &list, err) < 0) {
			json_decref(t);
			return -1;
		}
		json_array_foreach (list, i, e) {
			cleanup_free char *id = xstrndup(berth_cli_image_str(e, "Id"), 12);
			json_array_append_new(t, json_string(id));
		}
		json_decref(list);
	}
	*out = t;
	return 0;
}

static int sample(struct berth_client *c, const json_t *names, bool trunc, json_t **rows,
		  berth_error_t *err)
{
	json_t *n;
	size_t i;

	*rows = json_array();
	json_array_foreach (names, i, n) {
		cleanup_free char *path = berth_cli_container_path(json_string_value(n), "stats");
		json_t *s = NULL;
		if (berth_client_call_json(c, "GET", path, "stream=0", NULL, &s, err) < 0) {
			json_decref(*rows);
			*rows = NULL;
			return -1;
		}
		json_array_append_new(*rows, stats_row(json_string_value(n), s, trunc));
		json_decref(s);
	}
	return 0;
}

static int run_stats(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		     berth_error_t *err)
{
	const struct stats_opts *o = opts;
	const char *format =
	    o->format && *o->format && strcmp(o->format, "table") ? o->format : stats_table;
	struct berth_client *c;
	json_t *names = NULL, *rows = NULL, *header = stats_header();
	int ret = berth_cli_client(cli, &c, err);

	if (ret == 0)
		ret = targets(c, o, args, &names, err);
	while (ret == 0) {
		ret = sample(c, names, !o->no_trunc, &rows, err);
		if (ret == 0 && !o->no_stream)
			fputs("\033[H\033[J", stdout);
		if (ret == 0)
			ret = berth_cli_image_write_rows(format, rows, header,
							 "*container.statsContext", err);
		json_decref(rows);
		rows = NULL;
		if (o->no_stream || (json_array_size(names) == 0 && !o->all))
			break;
		sleep(1);
	}
	json_decref(names);
	json_decref(header);
	return ret;
}

const struct berth_command berth_cmd_stats = {
	.name = "stats",
	.use = "stats [OPTIONS] [CONTAINER...]",
	.short_desc = "Display a live stream of container(s) resource usage statistics",
	.aliases = "container stats, stats",
	.opts = stats_options,
	.nopts = BERTH_ARRAY_SIZE(stats_options),
	.opts_size = sizeof(struct stats_opts),
	.takes_args = true,
	.run = run_stats,
};

const struct berth_command berth_cmd_container_stats = {
	.name = "stats",
	.use = "stats [OPTIONS] [CONTAINER...]",
	.short_desc = "Display a live stream of container(s) resource usage statistics",
	.aliases = "container stats, stats",
	.opts = stats_options,
	.nopts = BERTH_ARRAY_SIZE(stats_options),
	.opts_size = sizeof(struct stats_opts),
	.takes_args = true,
	.run = run_stats,
};
