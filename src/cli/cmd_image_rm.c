/* cmd_image_rm.c: `berth rmi` and `berth image rm`: DELETE /images/{name}
 * for each argument, "Untagged:" and "Deleted:" lines as they come, the
 * errors together at the end (only "not found" ones are forgiven by -f). */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/cmds.h"
#include "cli/image_internal.h"

static const char rmi_use[] = "rmi [OPTIONS] IMAGE [IMAGE...]";
static const char rm_use[] = "rm [OPTIONS] IMAGE [IMAGE...]";

struct rmi_opts {
	bool force;
	bool no_prune;
};

static const struct berth_opt rmi_options[] = {
	{ "force", 'f', BERTH_OPT_BOOL, offsetof(struct rmi_opts, force), NULL,
	  "Force removal of the image", NULL, NULL },
	{ "no-prune", 0, BERTH_OPT_BOOL, offsetof(struct rmi_opts, no_prune), NULL,
	  "Do not delete untagged parents", NULL, NULL },
};

static void print_deleted(const json_t *dels)
{
	cleanup_strbuf struct berth_strbuf out = BERTH_STRBUF_INIT;
	size_t i;
	json_t *d;

	json_array_foreach (dels, i, d) {
		const char *deleted = berth_cli_image_str(d, "Deleted");
		if (*deleted)
			berth_strbuf_printf(&out, "Deleted: %s\n", deleted);
		else
			berth_strbuf_printf(&out, "Untagged: %s\n",
					    berth_cli_image_str(d, "Untagged"));
	}
	berth_cli_print(&out);
}

static int remove_one(struct berth_client *client, const struct rmi_opts *opts, const char *name,
		      berth_error_t *err)
{
	cleanup_free char *path = berth_cli_image_path(name, NULL);
	cleanup_free char *query = NULL;
	json_t *dels = NULL;

	if (opts->force)
		berth_client_query_add(&query, "force", "1");
	if (opts->no_prune)
		berth_client_query_add(&query, "noprune", "1");
	if (berth_client_call_json(client, "DELETE", path, query, NULL, &dels, err) < 0)
		return -1;
	print_deleted(dels);
	json_decref(dels);
	return 0;
}

static int run_rmi(struct berth_cli *cli, struct rmi_opts *opts, const struct berth_strv *args,
		   const char *path, const char *use, berth_error_t *err)
{
	cleanup_strbuf struct berth_strbuf errs = BERTH_STRBUF_INIT;
	struct berth_client *client;
	bool fatal = false;

	if (args->n < 1)
		return berth_cli_image_args_min(path, use, 1, err);
	if (berth_cli_client(cli, &client, err) < 0)
		return -1;
	for (size_t i = 0; i < args->n; i++) {
		berth_error_t e = NULL;
		if (remove_one(client, opts, args->v[i], &e) == 0)
			continue;
		fatal |= berth_error_code(e) != ENOENT;
		berth_strbuf_printf(&errs, "%s%s", errs.len ? "\n" : "", e->msg);
		berth_error_release(&e);
	}
	if (errs.len == 0)
		return 0;
	if (!opts->force || fatal)
		return berth_make_error(err, EIO, "%s", errs.buf);
	fprintf(stderr, "%s\n", errs.buf); /* docker's -f forgives what was not found */
	return 0;
}

static int run_rmi_top(struct berth_cli *cli, void *o, const struct berth_strv *args,
		       berth_error_t *err)
{
	return run_rmi(cli, o, args, "berth rmi", rmi_use, err);
}

static int run_image_rm(struct berth_cli *cli, void *o, const struct berth_strv *args,
			berth_error_t *err)
{
	return run_rmi(cli, o, args, "berth image rm", rm_use, err);
}

const struct berth_command berth_cmd_rmi = {
	.name = "rmi",
	.use = rmi_use,
	.short_desc = "Remove one or more images",
	.aliases = "image rm, image remove, rmi",
	.opts = rmi_options,
	.nopts = BERTH_ARRAY_SIZE(rmi_options),
	.opts_size = sizeof(struct rmi_opts),
	.takes_args = true,
	.run = run_rmi_top,
};

const struct berth_command berth_cmd_image_rm = {
	.name = "rm",
	.use = rm_use,
	.short_desc = "Remove one or more images",
	.aliases = "image rm, image remove, rmi",
	.opts = rmi_options,
	.nopts = BERTH_ARRAY_SIZE(rmi_options),
	.opts_size = sizeof(struct rmi_opts),
	.takes_args = true,
	.run = run_image_rm,
};
