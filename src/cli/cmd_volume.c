/* cmd_volume.c: `berth volume`, docker's management command for volumes:
 * create, ls, inspect, rm and prune, with docker's flags, formats and
 * messages (cli/command/volume). */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/auth.h"
#include "cli/cmds.h"
#include "cli/container_internal.h"
#include "cli/image_internal.h"
#include "cli/units.h"

static const char table_format[] = "table {{.Driver}}\t{{.Name}}";

/* "/volumes/NAME" with NAME escaped as a path segment. */
static char *volume_path(const char *name)
{
	cleanup_free char *img = berth_cli_image_path(name, NULL);

	return xasprintf("/volumes/%s", img + strlen("/images/"));
}

/* "k=v" (or "k") strings as an object, as ConvertKVStringsToMap. */
static json_t *kv_map(const struct berth_strv *v)
{
	json_t *m = json_object();

	for (size_t i = 0; i < v->n; i++) {
		const char *eq = strchr(v->v[i], '=');
		cleanup_free char *k = eq ? xstrndup(v->v[i], (size_t)(eq - v->v[i])) : xstrdup(v->v[i]);
		json_object_set_new(m, k, json_string(eq ? eq + 1 : ""));
	}
	return m;
}

/* ---- create ---- */

struct create_opts {
	const char *driver, *name;
	struct berth_strv label, opt;
};

static const struct berth_opt create_options[] = {
	{ "driver", 'd', BERTH_OPT_STRING, offsetof(struct create_opts, driver), "string",
	  "Specify volume driver name", "local", NULL },
	{ "label", 0, BERTH_OPT_LIST, offsetof(struct create_opts, label), "list",
	  "Set metadata for a volume", NULL, berth_cli_validate_label },
	{ "name", 0, BERTH_OPT_STRING, offsetof(struct create_opts, name), "string",
	  "Specify volume name", NULL, NULL, true },
	{ "opt", 'o', BERTH_OPT_LIST, offsetof(struct create_opts, opt), "map",
	  "Set driver specific options", NULL, NULL },
};

static int run_create(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		      berth_error_t *err)
{
	const struct create_opts *o = opts;
	const char *name = o->name ? o->name : "";
	cleanup_free char *text = NULL;
	struct berth_client *c;
	json_t *body, *vol = NULL;
	int ret;

	if (args->n > 1)
		return berth_cli_args_range(cli, 0, 1, err);
	if (args->n == 1) {
		if (o->name && *o->name)
			return berth_make_error(err, EINVAL,
						"conflicting options: cannot specify a volume-name "
						"through both --name and as a positional arg");
		name = args->v[0];
	}
	body = json_pack("{s:s, s:o, s:o, s:s}", "Driver", o->driver ? o->driver : "local",
			 "DriverOpts", kv_map(&o->opt), "Labels", kv_map(&o->label), "Name", name);
	text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(body);
	if (berth_cli_client(cli, &c, err) < 0 ||
	    berth_client_call_json(c, "POST", "/volumes/create", NULL, text, &vol, err) < 0)
		return -1;
	printf("%s\n", berth_cli_image_str(vol, "Name"));
	ret = fflush(stdout);
	json_decref(vol);
	return ret == 0 ? 0 : berth_make_error(err, EIO, "write: stdout");
}

/* ---- ls ---- */

struct ls_opts {
	struct berth_strv filter;
	const char *format;
	bool quiet, cluster;
};

static const struct berth_opt ls_options[] = {
	{ "cluster", 0, BERTH_OPT_BOOL, offsetof(struct ls_opts, cluster), NULL,
	  "Display only cluster volumes, and use cluster volume list formatting", NULL, NULL },
	{ "filter", 'f', BERTH_OPT_LIST, offsetof(struct ls_opts, filter), "filter",
	  "Provide filter values (e.g. \"dangling=true\")", NULL, berth_cli_image_validate_filter },
	{ "format", 0, BERTH_OPT_STRING, offsetof(struct ls_opts, format), "string",
	  berth_cli_table_format_help, NULL, NULL },
	{ "quiet", 'q', BERTH_OPT_BOOL, offsetof(struct ls_opts, quiet), NULL,
	  "Only display volume names", NULL, NULL },
};

/* The fields of docker's volumeContext, as strings. */
static json_t *row(const json_t *v)
{
	const json_t *usage = json_object_get(v, "UsageData");
	cleanup_free char *labels = berth_cli_labels_field(json_object_get(v, "Labels"));
	char links[32] = "N/A", size[BERTH_UNITS_BUFSIZE] = "N/A";

	if (json_is_object(usage)) {
		snprintf(links, sizeof(links), "%lld",
			 (long long)berth_cli_image_num(usage, "RefCount"));
		berth_units_human_size((double)berth_cli_image_num(usage, "Size"), size,
				       sizeof(size));
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Availability", "",
			 "Driver", berth_cli_image_str(v, "Driver"), "Group", "", "Labels", labels,
			 "Links", links, "Mountpoint", berth_cli_image_str(v, "Mountpoint"), "Name",
			 berth_cli_image_str(v, "Name"), "Scope", berth_cli_image_str(v, "Scope"),
			 "Size", size, "Status", "");
}

/* The rows of VOLS sorted by name as sortorder.NaturalLess sorts (each
 * inserted after the ones it does not sort before: a stable sort). */
static json_t *rows(const json_t *vols)
{
	json_t *out = json_array(), *v;
	size_t i, k;

	json_array_foreach (vols, i, v) {
		json_t *r = row(v);
		const char *name = berth_cli_image_str(r, "Name");
		for (k = json_array_size(out);
		     k > 0 &&
		     berth_cli_natural_cmp(berth_cli_image_str(json_array_get(out, k - 1), "Name"),
					   name) > 0;
		     k--)
			;
		json_array_insert_new(out, k, r);
	}
	return out;
}

static int run_ls(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		  berth_error_t *err)
{
	const struct ls_opts *o = opts;
	cleanup_free char *filters = berth_cli_image_filters(&o->filter, NULL, NULL);
	cleanup_free char *cfg_format = NULL, *q = NULL;
	const char *source = o->format;
	struct berth_client *c;
	json_t *list = NULL, *r, *header;
	int ret;

	if (args->n > 0)
		return berth_cli_args_exact(cli, 0, err);
	if (filters)
		berth_client_query_add(&q, "filters", filters);
	if (berth_cli_client(cli, &c, err) < 0 ||
	    berth_client_call_json(c, "GET", "/volumes", q, NULL, &list, err) < 0)
		return -1;
	if ((source == NULL || *source == '\0') && !o->quiet)
		source = cfg_format = berth_auth_config_string("volumesFormat");
	if (source == NULL || *source == '\0' || strcmp(source, "table") == 0)
		source = o->quiet ? "{{.Name}}" : table_format;
	r = rows(json_object_get(list, "Volumes"));
	header = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Name",
			   "VOLUME NAME", "Driver", "DRIVER", "Scope", "SCOPE", "Mountpoint",
			   "MOUNTPOINT", "Labels", "LABELS", "Links", "LINKS", "Size", "SIZE",
			   "Group", "GROUP", "Availability", "AVAILABILITY", "Status", "STATUS");
	ret = berth_cli_image_write_rows(source, r, header, "*formatter.volumeContext", err);
	json_decref(header);
	json_decref(r);
	json_decref(list);
	return ret;
}

/* ---- inspect ---- */

struct inspect_opts {
	const char *format;
};

static const struct berth_opt inspect_options[] = {
	{ "format", 'f', BERTH_OPT_STRING, offsetof(struct inspect_opts, format), "string",
	  berth_cli_format_help, NULL, NULL },
};

static int fetch_volume(struct berth_client *c, const char *name, void *arg, char **body,
			size_t *len, berth_error_t *err)
{
	cleanup_free char *path = volume_path(name);

	(void)arg;
	return berth_cli_get_raw(c, path, NULL, body, len, err);
}

static int run_volume(const struct berth_template *t, const char *text, const json_t *raw,
		      void *arg, struct berth_strbuf *out, berth_error_t *err)
{
	(void)text;
	(void)arg;
	return berth_cli_inspect_run_raw(t, raw, out, err);
}

static const struct berth_cli_inspect_ops volume_ops = {
	.fetch = fetch_volume,
	.run = run_volume,
};

static int run_inspect(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		       berth_error_t *err)
{
	struct inspect_opts *o = opts;

	if (args->n < 1)
		return berth_cli_args_min(cli, 1, err);
	return berth_cli_inspect(cli, o->format, args, &volume_ops, o, err);
}

/* ---- rm ---- */

struct rm_opts {
	bool force;
};

static const struct berth_opt rm_options[] = {
	{ "force", 'f', BERTH_OPT_BOOL, offsetof(struct rm_opts, force), NULL,
	  "Force the removal of one or more volumes", NULL, NULL },
};

static int remove_one(struct berth_client *c, const char *name, void *arg, berth_error_t *err)
{
	const struct rm_opts *o = arg;
	cleanup_free char *path = volume_path(name);

	return berth_client_call_json(c, "DELETE", path, o->force ? "force=1" : NULL, NULL, NULL,
				      err);
}

static int run_rm(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		  berth_error_t *err)
{
	if (args->n < 1)
		return berth_cli_args_min(cli, 1, err);
	return berth_cli_each(cli, args, remove_one, opts, true, err);
}

/* ---- prune ---- */

struct prune_opts {
	struct berth_strv filter;
	bool force, all;
};

static const struct berth_opt prune_options[] = {
	{ "all", 'a', BERTH_OPT_BOOL, offsetof(struct prune_opts, all), NULL,
	  "Remove all unused volumes, not just anonymous ones", NULL, NULL },
	{ "filter", 0, BERTH_OPT_LIST, offsetof(struct prune_opts, filter), "filter",
	  "Provide filter values (e.g. \"label=<label>\")", NULL, berth_cli_image_validate_filter },
	{ "force", 'f', BERTH_OPT_BOOL, offsetof(struct prune_opts, force), NULL,
	  "Do not prompt for confirmation", NULL, NULL },
};

static int run_prune(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		     berth_error_t *err)
{
	const struct prune_opts *o = opts;
	cleanup_strbuf struct berth_strbuf out = BERTH_STRBUF_INIT;
	char size[BERTH_UNITS_BUFSIZE];
	json_t *report = NULL, *name;
	size_t i;

	if (args->n > 0)
		return berth_cli_args_exact(cli, 0, err);
	if (!o->force &&
	    !berth_cli_image_confirm(o->all ? "WARNING! This will remove all local volumes not "
					      "used by at least one container.\nAre you sure you "
					      "want to continue?"
					    : "WARNING! This will remove anonymous local volumes "
					      "not used by at least one container.\nAre you sure "
					      "you want to continue?"))
		return 0;
	if (berth_cli_prune_post(cli, "/volumes/prune", &o->filter, o->all ? "all=true" : NULL,
				 &report, err) < 0)
		return -1;
	if (json_array_size(json_object_get(report, "VolumesDeleted"))) {
		berth_strbuf_puts(&out, "Deleted Volumes:\n");
		json_array_foreach (json_object_get(report, "VolumesDeleted"), i, name)
			berth_strbuf_printf(&out, "%s\n", json_string_value(name) ?: "");
		berth_strbuf_puts(&out, "\n");
	}
	berth_units_human_size((double)berth_cli_image_num(report, "SpaceReclaimed"), size,
			       sizeof(size));
	berth_strbuf_printf(&out, "Total reclaimed space: %s\n", size);
	berth_cli_print(&out);
	json_decref(report);
	return 0;
}

/* ---- the table ---- */

static const struct berth_command cmd_create = {
	.name = "create",
	.use = "create [OPTIONS] [VOLUME]",
	.short_desc = "Create a volume",
	.opts = create_options,
	.nopts = BERTH_ARRAY_SIZE(create_options),
	.opts_size = sizeof(struct create_opts),
	.takes_args = true,
	.run = run_create,
};

static const struct berth_command cmd_inspect = {
	.name = "inspect",
	.use = "inspect [OPTIONS] VOLUME [VOLUME...]",
	.short_desc = "Display detailed information on one or more volumes",
	.opts = inspect_options,
	.nopts = BERTH_ARRAY_SIZE(inspect_options),
	.opts_size = sizeof(struct inspect_opts),
	.takes_args = true,
	.run = run_inspect,
};

static const struct berth_command cmd_ls = {
	.name = "ls",
	.use = "ls [OPTIONS]",
	.short_desc = "List volumes",
	.aliases = "volume ls, volume list",
	.opts = ls_options,
	.nopts = BERTH_ARRAY_SIZE(ls_options),
	.opts_size = sizeof(struct ls_opts),
	.run = run_ls,
};

static const struct berth_command cmd_prune = {
	.name = "prune",
	.use = "prune [OPTIONS]",
	.short_desc = "Remove unused local volumes",
	.opts = prune_options,
	.nopts = BERTH_ARRAY_SIZE(prune_options),
	.opts_size = sizeof(struct prune_opts),
	.run = run_prune,
};

static const struct berth_command cmd_rm = {
	.name = "rm",
	.use = "rm [OPTIONS] VOLUME [VOLUME...]",
	.short_desc = "Remove one or more volumes",
	.aliases = "volume rm, volume remove",
	.opts = rm_options,
	.nopts = BERTH_ARRAY_SIZE(rm_options),
	.opts_size = sizeof(struct rm_opts),
	.takes_args = true,
	.run = run_rm,
};

/* in docker's order, which is by name */
static const struct berth_command *const volume_subs[] = {
	&cmd_create, &cmd_inspect, &cmd_ls, &cmd_prune, &cmd_rm,
};

const struct berth_command berth_cmd_volume = {
	.name = "volume",
	.use = "volume COMMAND",
	.short_desc = "Manage volumes",
	.group = BERTH_CMD_MANAGEMENT,
	.subs = volume_subs,
	.nsubs = BERTH_ARRAY_SIZE(volume_subs),
};
