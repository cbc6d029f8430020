/* cmd_network_ls.c: `berth network ls` (and `network list`), from
 * GET /networks, with docker's network formatter: sorted by name as
 * sortorder.NaturalLess sorts, IDs cut to 12 characters unless --no-trunc.
 *
 * Each row is a JSON object holding the fields of docker's networkContext
 * as strings, keys sorted as its MarshalJSON (a Go map) sorts them. */
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
#include "cli/network_internal.h"

static const char table_format[] = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}";
static const char raw_format[] =
    "network_id: {{.ID}}\\nname: {{.Name}}\\ndriver: {{.Driver}}\\nscope: {{.Scope}}\\n";

struct ls_opts {
	struct berth_strv filter;
	const char *format;
	bool no_trunc;
	bool quiet;
};

static const struct berth_opt ls_options[] = {
	{ "filter", 'f', BERTH_OPT_LIST, offsetof(struct ls_opts, filter), "filter",
	  "Provide filter values (e.g. \"driver=bridge\")", NULL, berth_cli_image_validate_filter },
	{ "format", 0, BERTH_OPT_STRING, offsetof(struct ls_opts, format), "string",
	  berth_cli_table_format_help, NULL, NULL },
	{ "no-trunc", 0, BERTH_OPT_BOOL, offsetof(struct ls_opts, no_trunc), NULL,
	  "Do not truncate the output", NULL, NULL },
	{ "quiet", 'q', BERTH_OPT_BOOL, offsetof(struct ls_opts, quiet), NULL,
	  "Only display network IDs", NULL, NULL },
};

/* ---- rows ---- */

static int cmp_by_name(const void *a, const void *b)
{
	const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;

	return berth_cli_natural_cmp(berth_cli_image_str(x, "Name"),
				     berth_cli_image_str(y, "Name"));
}

static json_t *row(const json_t *n, bool trunc)
{
	const char *id = berth_cli_image_str(n, "Id");
	cleanup_free char *short_id = berth_cli_image_short_id(id);
	cleanup_free char *created =
	    berth_cli_go_time_string(json_string_value(json_object_get(n, "Created")));
	cleanup_free char *labels = berth_cli_labels_field(json_object_get(n, "Labels"));

	return json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "CreatedAt", created, "Driver",
	    berth_cli_image_str(n, "Driver"), "ID", trunc ? short_id : id, "IPv4",
	    json_is_true(json_object_get(n, "EnableIPv4")) ? "true" : "false", "IPv6",
	    json_is_true(json_object_get(n, "EnableIPv6")) ? "true" : "false", "Internal",
	    json_is_true(json_object_get(n, "Internal")) ? "true" : "false", "Labels", labels,
	    "Name", berth_cli_image_str(n, "Name"), "Scope", berth_cli_image_str(n, "Scope"));
}

json_t *berth_cli_network_rows(const json_t *networks, bool trunc)
{
	size_t n = json_array_size(networks);
	cleanup_free const json_t **sorted = xcalloc(n + 1, sizeof(*sorted));
	json_t *rows = json_array();

	for (size_t i = 0; i < n; i++)
		sorted[i] = json_array_get(networks, i);
	qsort(sorted, n, sizeof(*sorted), cmp_by_name);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(rows, row(sorted[i], trunc));
	return rows;
}

char *berth_cli_network_format(const char *source, bool quiet)
{
	if (source == NULL || *source == '\0' || strcmp(source, "table") == 0)
		return xstrdup(quiet ? "{{.ID}}" : table_format);
	if (strcmp(source, "raw") == 0)
		return xstrdup(quiet ? "network_id: {{.ID}}" : raw_format);
	return xstrdup(source);
}

/* ---- the command ---- */

static json_t *ls_header(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "NETWORK ID",
			 "Name", "NAME", "Driver", "DRIVER", "Scope", "SCOPE", "IPv4", "IPV4",
			 "IPv6", "IPV6", "Internal", "INTERNAL", "Labels", "LABELS", "CreatedAt",
			 "CREATED AT");
}

static int run_ls(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		  berth_error_t *err)
{
	const struct ls_opts *o = opts;
	cleanup_free char *filters = berth_cli_image_filters(&o->filter, NULL, NULL);
	cleanup_free char *cfg_format = NULL;
	cleanup_free char *format = NULL;
	cleanup_free char *q = NULL;
	const char *source = o->format;
	struct berth_client *c;
	json_t *list = NULL, *rows, *header;
	int ret;

	if (filters)
		berth_client_query_add(&q, "filters", filters);
	if (berth_cli_client(cli, &c, err) < 0 ||
	    berth_client_call_json(c, "GET", "/networks", q, NULL, &list, err) < 0)
		return -1;
	/* networksFormat from the docker config, when neither --format nor -q */
	if ((source == NULL || *source == '\0') && !o->quiet)
		source = cfg_format = berth_auth_config_string("networksFormat");
	format = berth_cli_network_format(source, o->quiet);
	rows = berth_cli_network_rows(list, !o->no_trunc);
	header = ls_header();
	ret = berth_cli_image_write_rows(format, rows, header, "*network.networkContext", err);
	json_decref(header);
	json_decref(rows);
	json_decref(list);
	return ret;
}

const struct berth_command berth_cmd_network_ls = {
	.name = "ls",
	.use = "ls [OPTIONS]",
	.short_desc = "List networks",
	.aliases = "network ls, network list",
	.opts = ls_options,
	.nopts = BERTH_ARRAY_SIZE(ls_options),
	.opts_size = sizeof(struct ls_opts),
	.run = run_ls,
};
