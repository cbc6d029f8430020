/* cmd_image_prune.c: `berth image prune`: docker's confirmation prompt,
 * POST /images/prune with dangling=true (false with -a) added to the
 * filters, and the report as docker prints it. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/auth.h"
#include "cli/cmds.h"
#include "cli/image_internal.h"
#include "cli/units.h"

/* Longest answer read at the prompt. */
#define ANSWER_MAX 4096

static const char all_warning[] = "WARNING! This will remove all images without at least one "
				  "container associated to them.\n"
				  "Are you sure you want to continue?";
static const char dangling_warning[] = "WARNING! This will remove all dangling images.\n"
				       "Are you sure you want to continue?";

struct prune_opts {
	bool all;
	struct berth_strv filter;
	bool force;
};

static const struct berth_opt prune_options[] = {
	{ "all", 'a', BERTH_OPT_BOOL, offsetof(struct prune_opts, all), NULL,
	  "Remove all unused images, not just dangling ones", NULL, NULL },
	{ "filter", 0, BERTH_OPT_LIST, offsetof(struct prune_opts, filter), "filter",
	  "Provide filter values (e.g. \"until=<timestamp>\")", NULL,
	  berth_cli_image_validate_filter },
	{ "force", 'f', BERTH_OPT_BOOL, offsetof(struct prune_opts, force), NULL,
	  "Do not prompt for confirmation", NULL, NULL },
};

/* prompt.Confirm: the question on stdout, "y" or "Y" on stdin says yes. */
bool berth_cli_image_confirm(const char *question)
{
	char line[ANSWER_MAX];
	size_t len, start;

	printf("%s [y/N] ", question);
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return false;
	len = strlen(line);
	while (len && isspace((unsigned char)line[len - 1]))
		len--;
	start = 0;
	while (start < len && isspace((unsigned char)line[start]))
		start++;
	return len - start == 1 && tolower((unsigned char)line[start]) == 'y';
}

/* command.PruneFilters: the config's pruneFilters, unless they contradict
 * a label filter given on the command line. What is added to FILTERS is
 * borrowed from CFG. */
static void config_prune_filters(struct berth_strv *filters, struct berth_docker_config *cfg)
{
	const json_t *pf = json_object_get(cfg->root, "pruneFilters");
	size_t i;
	json_t *v;

	json_array_foreach (pf, i, v) {
		const char *f = json_string_value(v);
		const char *eq = f ? strchr(f, '=') : NULL;
		cleanup_free char *opposite = NULL;
		bool clash = false;

		if (eq == NULL)
			continue;
		if (strncmp(f, "label=", 6) == 0 || strncmp(f, "label!=", 7) == 0)
			opposite = xasprintf("label%s=%s", f[5] == '!' ? "" : "!", eq + 1);
		for (size_t k = 0; opposite && k < filters->n; k++)
			clash |= strcmp(filters->v[k], opposite) == 0;
		if (!clash)
			berth_strv_push(filters, f);
	}
}

int berth_cli_prune_post(struct berth_cli *cli, const char *path, const struct berth_strv *filter,
			 const char *extra, json_t **report, berth_error_t *err)
{
	cleanup_free char *dir = berth_auth_config_dir();
	struct berth_docker_config *cfg = NULL;
	struct berth_strv filters = { NULL, 0 };
	berth_error_t ignored = NULL;
	cleanup_free char *fjson = NULL;
	cleanup_free char *query = NULL;
	struct berth_client *client;

	for (size_t i = 0; i < filter->n; i++)
		berth_strv_push(&filters, filter->v[i]);
	if (extra)
		berth_strv_push(&filters, extra);
	/* a config that cannot be read has no filters; those it has point
	 * into CFG, which lives until they are encoded */
	berth_auth_load_config(dir, &cfg, &ignored);
	berth_error_release(&ignored);
	config_prune_filters(&filters, cfg);
	fjson = berth_cli_image_filters(&filters, NULL, NULL);
	berth_strv_release(&filters);
	berth_docker_config_free(cfg);
	if (fjson)
		berth_client_query_add(&query, "filters", fjson);
	if (berth_cli_client(cli, &client, err) < 0)
		return -1;
	return berth_client_call_json(client, "POST", path, query, NULL, report, err);
}

static void print_report(const json_t *report)
{
	cleanup_strbuf struct berth_strbuf out = BERTH_STRBUF_INIT;
	const json_t *deleted = json_object_get(report, "ImagesDeleted");
	char size[BERTH_UNITS_BUFSIZE];
	int64_t reclaimed = 0;
	size_t i;
	json_t *d;

	if (json_array_size(deleted) > 0) {
		berth_strbuf_puts(&out, "Deleted Images:\n");
		json_array_foreach (deleted, i, d) {
			const char *untagged = berth_cli_image_str(d, "Untagged");
			if (*untagged)
				berth_strbuf_printf(&out, "untagged: %s\n", untagged);
			else
				berth_strbuf_printf(&out, "deleted: %s\n",
						    berth_cli_image_str(d, "Deleted"));
		}
		berth_strbuf_puts(&out, "\n");
		reclaimed = berth_cli_image_num(report, "SpaceReclaimed");
	}
	berth_units_human_size((double)reclaimed, size, sizeof(size));
	berth_strbuf_printf(&out, "Total reclaimed space: %s\n", size);
	berth_cli_print(&out);
}

static int run_prune(struct berth_cli *cli, void *o, const struct berth_strv *args,
		     berth_error_t *err)
{
	struct prune_opts *opts = o;
	json_t *report = NULL;

	/* a "no" is docker's cancelled error: nothing printed, status 0 */
	if (!opts->force && !berth_cli_image_confirm(opts->all ? all_warning : dangling_warning))
		return 0;
	if (berth_cli_prune_post(cli, "/images/prune", &opts->filter,
				 opts->all ? "dangling=false" : "dangling=true", &report, err) < 0)
		return -1;
	print_report(report);
	json_decref(report);
	return 0;
}

const struct berth_command berth_cmd_image_prune = {
	.name = "prune",
	.use = "prune [OPTIONS]",
	.short_desc = "Remove unused images",
	.opts = prune_options,
	.nopts = BERTH_ARRAY_SIZE(prune_options),
	.opts_size = sizeof(struct prune_opts),
	.run = run_prune,
};
