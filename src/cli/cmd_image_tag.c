/* cmd_image_tag.c: `berth tag` and `berth image tag`: both references
 * checked on the client as docker's ImageTag does, then
 * POST /images/{source}/tag?repo=..&tag=.. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/cmds.h"
#include "cli/format.h"
#include "cli/image_internal.h"

static const char tag_use[] = "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]";

/* "Error parsing reference: "X" is not a valid repository/tag: ..." */
static int bad_reference(const char *s, berth_error_t *err)
{
	cleanup_strbuf struct berth_strbuf q = BERTH_STRBUF_INIT;

	berth_format_quote(&q, s, strlen(s));
	return berth_error_wrap(err, "Error parsing reference: %s is not a valid repository/tag",
				q.buf);
}

/* The query for TARGET: repo and, after TagNameOnly, tag. */
static int tag_query(const char *target, char **query, berth_error_t *err)
{
	struct berth_ref ref;
	cleanup_free char *name = NULL;

	if (berth_ref_parse(target, &ref, err) < 0)
		return bad_reference(target, err);
	if (ref.digest) {
		berth_ref_release(&ref);
		return berth_make_error(err, EINVAL,
					"refusing to create a tag with a digest reference");
	}
	berth_ref_default_tag(&ref);
	name = berth_ref_name(&ref);
	berth_client_query_add(query, "repo", name);
	berth_client_query_add(query, "tag", ref.tag);
	berth_ref_release(&ref);
	return 0;
}

static int run_tag(struct berth_cli *cli, const struct berth_strv *args, const char *path,
		   berth_error_t *err)
{
	cleanup_free char *query = NULL;
	cleanup_free char *api_path = NULL;
	struct berth_client *client;

	if (args->n != 2)
		return berth_cli_image_args_exact(path, tag_use, 2, err);
	if (berth_ref_check_any(args->v[0], err) < 0)
		return bad_reference(args->v[0], err);
	if (tag_query(args->v[1], &query, err) < 0)
		return -1;
	api_path = berth_cli_image_path(args->v[0], "tag");
	if (berth_cli_client(cli, &client, err) < 0)
		return -1;
	return berth_client_call_json(client, "POST", api_path, query, NULL, NULL, err);
}

static int run_tag_top(struct berth_cli *cli, void *o, const struct berth_strv *args,
		       berth_error_t *err)
{
	return run_tag(cli, args, "berth tag", err);
}

static int run_image_tag(struct berth_cli *cli, void *o, const struct berth_strv *args,
			 berth_error_t *err)
{
	return run_tag(cli, args, "berth image tag", err);
}

/* docker's tag parses its flags non-interspersed; it has none but --help */
const struct berth_command berth_cmd_tag = {
	.name = "tag",
	.use = tag_use,
	.short_desc = "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
	.aliases = "image tag, tag",
	.takes_args = true,
	.run = run_tag_top,
};

const struct berth_command berth_cmd_image_tag = {
	.name = "tag",
	.use = tag_use,
	.short_desc = "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
	.aliases = "image tag, tag",
	.takes_args = true,
	.run = run_image_tag,
};
