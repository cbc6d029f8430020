/* cmd_container_misc.c: the smaller container commands: top, port,
 * container prune, diff, export and update, each as docker prints it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/cmds.h"
#include "cli/container_internal.h"
#include "cli/format.h"
#include "cli/image_internal.h"
#include "cli/units.h"

struct no_opts {
	char unused;
};

/* ---- top ---- */

static void join_row(struct berth_strbuf *sb, const json_t *cells)
{
	size_t i;
	json_t *c;

	json_array_foreach (cells, i, c)
		berth_strbuf_printf(sb, "%s%s", i ? "\t" : "",
				    json_string_value(c) ? json_string_value(c) : "");
	berth_strbuf_puts(sb, "\n");
}

static int run_top(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		   berth_error_t *err)
{
	cleanup_strbuf struct berth_strbuf text = BERTH_STRBUF_INIT;
	cleanup_strbuf struct berth_strbuf out = BERTH_STRBUF_INIT;
	cleanup_strbuf struct berth_strbuf ps_args = BERTH_STRBUF_INIT;
	cleanup_free char *path = NULL;
	cleanup_free char *q = NULL;
	struct berth_client *c;
	json_t *top = NULL, *row;
	size_t i;

	if (args->n < 1)
		return berth_cli_args_min(cli, 1, err);
	for (size_t k = 1; k < args->n; k++)
		berth_strbuf_printf(&ps_args, "%s%s", k > 1 ? " " : "", args->v[k]);
	if (ps_args.len)
		berth_client_query_add(&q, "ps_args", ps_args.buf);
	path = berth_cli_container_path(args->v[0], "top");
	if (berth_cli_client(cli, &c, err) < 0 ||
	    berth_client_call_json(c, "GET", path, q, NULL, &top, err) < 0)
		return -1;
	join_row(&text, json_object_get(top, "Titles"));
	json_array_foreach (json_object_get(top, "Processes"), i, row)
		join_row(&text, row);
	berth_tabwriter_format(&out, text.buf, text.len, 20, 3);
	berth_cli_print(&out);
	json_decref(top);
	return 0;
}

/* ---- port ---- */

/* sortorder.NaturalLess, for qsort */
static int natural_cmp(const void *pa, const void *pb)
{
	return berth_cli_natural_cmp(*(const char *const *)pa, *(const char *const *)pb);
}

static char *join_host_port(const json_t *f)
{
	const char *ip = berth_cli_image_str(f, "HostIp"),
		   *port = berth_cli_image_str(f, "HostPort");

	return strchr(ip, ':') ? xasprintf("[%s]:%s", ip, port) : xasprintf("%s:%s", ip, port);
}

static void port_lines(const json_t *ports, const char *only, json_t *out)
{
	const char *from;
	json_t *fronts, *f;
	size_t i;

	json_object_foreach ((json_t *)ports, from, fronts) {
		if (only && strcmp(from, only) != 0)
			continue;
		json_array_foreach (fronts, i, f) {
			cleanup_free char *hp = join_host_port(f);
			json_array_append_new(out, only ? json_string(hp)
							: json_sprintf("%s -> %s", from, hp));
		}
	}
}

static int print_ports(const json_t *ports, const char *only, const char *spec, const char *name,
		       berth_error_t *err)
{
	json_t *lines = json_array();
	size_t n;
	cleanup_free const char **v = NULL;

	port_lines(ports, only, lines);
	n = json_array_size(lines);
	if (only && n == 0) {
		json_decref(lines);
		return berth_make_error(err, ENOENT, "Error: No public port '%s' published for %s",
					spec, name);
	}
	v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = json_string_value(json_array_get(lines, i));
	qsort(v, n, sizeof(*v), natural_cmp);
	for (size_t i = 0; i < n; i++)
		printf("%s\n", v[i]);
	fflush(stdout);
	json_decref(lines);
	return 0;
}

static int run_port(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		    berth_error_t *err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *only = NULL;
	struct berth_client *c;
	json_t *info = NULL;
	int ret;

	if (args->n < 1 || args->n > 2)
		return berth_cli_args_range(cli, 1, 2, err);
	path = berth_cli_container_path(args->v[0], "json");
	if (berth_cli_client(cli, &c, err) < 0 ||
	    berth_client_call_json(c, "GET", path, NULL, NULL, &info, err) < 0)
		return -1;
	if (args->n == 2 && *args->v[1]) { /* "" is no port: all of them */
		const char *spec = args->v[1], *slash = strchr(spec, '/');
		cleanup_free char *port =
		    xstrndup(spec, slash ? (size_t)(slash - spec) : strlen(spec));
		size_t digits = strspn(port, "0123456789");
		/* strtoul saturates: a long run of digits is out of range too */
		if (*port == '\0' || port[digits] || strtoul(port, NULL, 10) > 65535) {
			json_decref(info);
			return berth_make_error(
			    err, EINVAL,
			    "Error: invalid port (%s): strconv.ParseUint: parsing \"%s\": %s", port,
			    port,
			    *port && port[digits] == '\0' ? "value out of range"
							  : "invalid syntax");
		}
		only = xasprintf("%s/%s", port, slash && slash[1] ? slash + 1 : "tcp");
	}
	ret = print_ports(json_object_get(json_object_get(info, "NetworkSettings"), "Ports"), only,
			  only ? args->v[1] : NULL, args->v[0], err);
	json_decref(info);
	return ret;
}

/* ---- prune ---- */

const struct berth_opt berth_cli_prune_options[BERTH_CLI_PRUNE_NOPTS] = {
	{ "filter", 0, BERTH_OPT_LIST, offsetof(struct berth_cli_prune_opts, filter), "filter",
	  "Provide filter values (e.g. \"until=<timestamp>\")", NULL,
	  berth_cli_image_validate_filter },
	{ "force", 'f', BERTH_OPT_BOOL, offsetof(struct berth_cli_prune_opts, force), NULL,
	  "Do not prompt for confirmation", NULL, NULL },
};

static int run_prune(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		     berth_error_t *err)
{
	const struct berth_cli_prune_opts *o = opts;
	cleanup_free char *filters = berth_cli_image_filters(&o->filter, NULL, NULL);
	cleanup_strbuf struct berth_strbuf out = BERTH_STRBUF_INIT;
	cleanup_free char *q = NULL;
	char size[BERTH_UNITS_BUFSIZE];
	struct berth_client *c;
	json_t *rep = NULL, *id;
	size_t i;

	if (!o->force &&
	    !berth_cli_image_confirm("WARNING! This will remove all stopped "
				     "containers.\nAre you sure you want to continue?"))
		return 0; /* docker's cancelled error prints nothing */
	if (filters)
		berth_client_query_add(&q, "filters", filters);
	if (berth_cli_client(cli, &c, err) < 0 ||
	    berth_client_call_json(c, "POST", "/containers/prune", q, NULL, &rep, err) < 0)
		return -1;
	if (json_array_size(json_object_get(rep, "ContainersDeleted"))) {
		berth_strbuf_puts(&out, "Deleted Containers:\n");
		json_array_foreach (json_object_get(rep, "ContainersDeleted"), i, id)
			berth_strbuf_printf(&out, "%s\n", json_string_value(id));
		berth_strbuf_puts(&out, "\n");
	}
	berth_units_human_size((double)berth_cli_image_num(rep, "SpaceReclaimed"), size,
			       sizeof(size));
	berth_strbuf_printf(&out, "Total reclaimed space: %s\n", size);
	berth_cli_print(&out);
	json_decref(rep);
	return 0;
}

/* ---- diff ---- */

static int run_diff(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		    berth_error_t *err)
{
	static const char kinds[] = "CAD";
	cleanup_strbuf struct berth_strbuf out = BERTH_STRBUF_INIT;
	cleanup_free char *path = NULL;
	struct berth_client *c;
	struct berth_response resp;
	json_t *changes = NULL, *ch;
	size_t i;

	if (args->n != 1)
		return berth_cli_args_exact(cli, 1, err);
	path = berth_cli_container_path(args->v[0], "changes");
	if (berth_cli_client(cli, &c, err) < 0 ||
	    berth_client_request(c, "GET", path, NULL, NULL, &resp, err) < 0)
		return -1;
	if (resp.status >= 400) {
		int ret = berth_cli_image_http_error(resp.status, resp.content_type, resp.body,
						     resp.len, path, err);
		berth_response_release(&resp);
		return ret;
	}
	/* no changes is "null" */
	changes = json_loadb(resp.body, resp.len, JSON_DECODE_ANY, NULL);
	berth_response_release(&resp);
	json_array_foreach (changes, i, ch) {
		int64_t k = berth_cli_image_num(ch, "Kind");
		berth_strbuf_printf(&out, "%c %s\n", k >= 0 && k < 3 ? kinds[k] : '?',
				    berth_cli_image_str(ch, "Path"));
	}
	berth_cli_print(&out);
	json_decref(changes);
	return 0;
}

/* ---- export ---- */

struct export_opts {
	const char *output;
};

static const struct berth_opt export_options[] = {
	{ "output", 'o', BERTH_OPT_STRING, offsetof(struct export_opts, output), "string",
	  "Write to a file, instead of STDOUT", NULL, NULL },
};

static int run_export(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		      berth_error_t *err)
{
	const struct export_opts *o = opts;
	cleanup_free char *path = NULL;
	cleanup_free char *tmp = NULL;
	cleanup_close int fd = -1;
	struct berth_client *c;
	struct berth_cli_image_xfer x = { .method = "GET", .in_fd = -1, .out_fd = STDOUT_FILENO };

	if (args->n != 1)
		return berth_cli_args_exact(cli, 1, err);
	if ((o->output == NULL || *o->output == '\0') && isatty(STDOUT_FILENO))
		return berth_make_error(
		    err, EINVAL,
		    "cowardly refusing to save to a terminal. Use the -o flag or redirect");
	if (o->output && *o->output) {
		tmp = xasprintf("%s.berth-tmp", o->output);
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			return berth_cli_image_syserr(err, errno,
						      "failed to export container: open %s", tmp);
		x.out_fd = fd;
	}
	path = berth_cli_container_path(args->v[0], "export");
	x.path = path;
	if (berth_cli_client(cli, &c, err) < 0 || berth_cli_image_xfer_run(c, &x, err) < 0) {
		if (tmp)
			unlink(tmp);
		return -1;
	}
	if (tmp && rename(tmp, o->output) < 0)
		return berth_cli_image_syserr(err, errno, "failed to export container: rename");
	return 0;
}

/* ---- update ---- */

struct update_opts {
	const char *blkio_weight, *cpu_period, *cpu_quota, *cpu_rt_period, *cpu_rt_runtime;
	const char *cpu_shares, *cpus, *cpuset_cpus, *cpuset_mems, *memory, *memory_reservation;
	const char *memory_swap, *kernel_memory, *pids_limit, *restart;
};

#define U(f) offsetof(struct update_opts, f)

static const struct berth_opt update_options[] = {
	{ "blkio-weight", 0, BERTH_OPT_STRING, U(blkio_weight), "uint16",
	  "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)", NULL,
	  NULL },
	{ "cpu-period", 0, BERTH_OPT_STRING, U(cpu_period), "int",
	  "Limit CPU CFS (Completely Fair Scheduler) period", NULL, NULL },
	{ "cpu-quota", 0, BERTH_OPT_STRING, U(cpu_quota), "int",
	  "Limit CPU CFS (Completely Fair Scheduler) quota", NULL, NULL },
	{ "cpu-rt-period", 0, BERTH_OPT_STRING, U(cpu_rt_period), "int",
	  "Limit the CPU real-time period in microseconds", NULL, NULL },
	{ "cpu-rt-runtime", 0, BERTH_OPT_STRING, U(cpu_rt_runtime), "int",
	  "Limit the CPU real-time runtime in microseconds", NULL, NULL },
	{ "cpu-shares", 'c', BERTH_OPT_STRING, U(cpu_shares), "int", "CPU shares (relative weight)",
	  NULL, NULL },
	{ "cpus", 0, BERTH_OPT_STRING, U(cpus), "decimal", "Number of CPUs", NULL, NULL },
	{ "cpuset-cpus", 0, BERTH_OPT_STRING, U(cpuset_cpus), "string",
	  "CPUs in which to allow execution (0-3, 0,1)", NULL, NULL },
	{ "cpuset-mems", 0, BERTH_OPT_STRING, U(cpuset_mems), "string",
	  "MEMs in which to allow execution (0-3, 0,1)", NULL, NULL },
	{ "kernel-memory", 0, BERTH_OPT_STRING, U(kernel_memory), "bytes", "Kernel memory limit",
	  NULL, NULL, true },
	{ "memory", 'm', BERTH_OPT_STRING, U(memory), "bytes", "Memory limit", NULL, NULL },
	{ "memory-reservation", 0, BERTH_OPT_STRING, U(memory_reservation), "bytes",
	  "Memory soft limit", NULL, NULL },
	{ "memory-swap", 0, BERTH_OPT_STRING, U(memory_swap), "bytes",
	  "Swap limit equal to memory plus swap: -1 to enable unlimited swap", NULL, NULL },
	{ "pids-limit", 0, BERTH_OPT_STRING, U(pids_limit), "int",
	  "Tune container pids limit (set -1 for unlimited)", NULL, NULL },
	{ "restart", 0, BERTH_OPT_STRING, U(restart), "string",
	  "Restart policy to apply when a container exits", NULL, NULL },
};

/* The non-zero resources of O into B; a bad value is docker's flag error. */
static int update_resources(const struct update_opts *o, json_t *b, berth_error_t *err)
{
	const struct {
		const char *key, *v;
		int kind; /* 0 int, 1 bytes, 2 cpus, 3 string */
	} f[] = {
		{ "BlkioWeight", o->blkio_weight, 0 },
		{ "CpuPeriod", o->cpu_period, 0 },
		{ "CpuQuota", o->cpu_quota, 0 },
		{ "CpuRealtimePeriod", o->cpu_rt_period, 0 },
		{ "CpuRealtimeRuntime", o->cpu_rt_runtime, 0 },
		{ "CpuShares", o->cpu_shares, 0 },
		{ "NanoCpus", o->cpus, 2 },
		{ "CpusetCpus", o->cpuset_cpus, 3 },
		{ "CpusetMems", o->cpuset_mems, 3 },
		{ "KernelMemory", o->kernel_memory, 1 },
		{ "Memory", o->memory, 1 },
		{ "MemoryReservation", o->memory_reservation, 1 },
		{ "MemorySwap", o->memory_swap, 1 },
		{ "PidsLimit", o->pids_limit, 0 },
	};
	int n = 0;

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(f); i++) {
		int64_t v = 0;
		if (f[i].v == NULL)
			continue;
		n++;
		if (f[i].kind == 3) {
			json_object_set_new(b, f[i].key, json_string(f[i].v));
			continue;
		}
		if ((f[i].kind == 0 && !berth_cli_parse_int(f[i].v, &v)) ||
		    (f[i].kind == 1 && strcmp(f[i].v, "-1") &&
		     berth_cli_parse_ram(f[i].v, &v, err) < 0) ||
		    (f[i].kind == 2 && berth_cli_parse_cpus(f[i].v, &v, err) < 0)) {
			if (*err == NULL)
				berth_make_error(err, EINVAL,
						 "strconv.ParseInt: parsing \"%s\": invalid syntax",
						 f[i].v);
			return -1;
		}
		if (f[i].kind == 1 && strcmp(f[i].v, "-1") == 0)
			v = -1;
		if (v != 0)
			json_object_set_new(b, f[i].key, json_integer(v));
	}
	return n;
}

static int update_one(struct berth_client *c, const char *name, void *arg, berth_error_t *err)
{
	cleanup_free char *path = berth_cli_container_path(name, "update");
	json_t *resp = NULL, *w;
	size_t i;

	if (berth_client_call_json(c, "POST", path, NULL, arg, &resp, err) < 0)
		return -1;
	printf("%s\n", name);
	json_array_foreach (json_object_get(resp, "Warnings"), i, w)
		printf("%s\n", json_string_value(w));
	fflush(stdout);
	json_decref(resp);
	return 1;
}

static int run_update(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		      berth_error_t *err)
{
	const struct update_opts *o = opts;
	json_t *b = json_object(), *rp = NULL;
	char *text;
	int n, ret;

	if (args->n < 1) {
		json_decref(b);
		return berth_cli_args_min(cli, 1, err);
	}
	n = update_resources(o, b, err);
	if (n >= 0 && o->restart) {
		n++;
		cleanup_free char *spec = xstrdup(o->restart);
		char *colon = strchr(spec, ':');
		int64_t count = 0;
		if (colon)
			*colon = '\0';
		if (colon && colon[1] && !berth_cli_parse_int(colon + 1, &count))
			n = berth_make_error(
			    err, EINVAL,
			    "invalid restart policy format: maximum retry count must be an integer");
		rp = json_pack("{s:s, s:I}", "Name", spec, "MaximumRetryCount", (json_int_t)count);
	}
	if (n == 0)
		berth_make_error(err, EINVAL,
				 "you must provide one or more flags when using this command");
	if (n <= 0) {
		json_decref(b);
		json_decref(rp);
		return -1;
	}
	json_object_set_new(b, "RestartPolicy",
			    rp ? rp : json_pack("{s:s, s:i}", "Name", "", "MaximumRetryCount", 0));
	text = json_dumps(b, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(b);
	ret = berth_cli_each(cli, args, update_one, text, false, err);
	free(text);
	return ret;
}

/* ---- the table ---- */

static const struct berth_opt no_table[] = {};

#define CMD(var, n, u, desc, al, table, type, fn, inter)                     \
	const struct berth_command var = { .name = n,                        \
					   .use = u,                         \
					   .short_desc = desc,               \
					   .aliases = al,                    \
					   .opts = table,                    \
					   .nopts = BERTH_ARRAY_SIZE(table), \
					   .opts_size = sizeof(type),        \
					   .takes_args = true,               \
					   .no_interspersed = inter,         \
					   .run = fn }

CMD(berth_cmd_top, "top", "top CONTAINER [ps OPTIONS]",
    "Display the running processes of a container", "container top, top", no_table, struct no_opts,
    run_top, true);
CMD(berth_cmd_container_top, "top", "top CONTAINER [ps OPTIONS]",
    "Display the running processes of a container", "container top, top", no_table, struct no_opts,
    run_top, true);
CMD(berth_cmd_port, "port", "port CONTAINER [PRIVATE_PORT[/PROTO]]",
    "List port mappings or a specific mapping for the container", "container port, port", no_table,
    struct no_opts, run_port, false);
CMD(berth_cmd_container_port, "port", "port CONTAINER [PRIVATE_PORT[/PROTO]]",
    "List port mappings or a specific mapping for the container", "container port, port", no_table,
    struct no_opts, run_port, false);
CMD(berth_cmd_diff, "diff", "diff CONTAINER",
    "Inspect changes to files or directories on a container's filesystem", "container diff, diff",
    no_table, struct no_opts, run_diff, false);
CMD(berth_cmd_container_diff, "diff", "diff CONTAINER",
    "Inspect changes to files or directories on a container's filesystem", "container diff, diff",
    no_table, struct no_opts, run_diff, false);
CMD(berth_cmd_export, "export", "export [OPTIONS] CONTAINER",
    "Export a container's filesystem as a tar archive", "container export, export", export_options,
    struct export_opts, run_export, false);
CMD(berth_cmd_container_export, "export", "export [OPTIONS] CONTAINER",
    "Export a container's filesystem as a tar archive", "container export, export", export_options,
    struct export_opts, run_export, false);
CMD(berth_cmd_update, "update", "update [OPTIONS] CONTAINER [CONTAINER...]",
    "Update configuration of one or more containers", "container update, update", update_options,
    struct update_opts, run_update, false);
CMD(berth_cmd_container_update, "update", "update [OPTIONS] CONTAINER [CONTAINER...]",
    "Update configuration of one or more containers", "container update, update", update_options,
    struct update_opts, run_update, false);

const struct berth_command berth_cmd_container_prune = {
	.name = "prune",
	.use = "prune [OPTIONS]",
	.short_desc = "Remove all stopped containers",
	.opts = berth_cli_prune_options,
	.nopts = BERTH_ARRAY_SIZE(berth_cli_prune_options),
	.opts_size = sizeof(struct berth_cli_prune_opts),
	.run = run_prune,
};
