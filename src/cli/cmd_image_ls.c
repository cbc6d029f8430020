/* cmd_image_ls.c: `berth images` and `berth image ls`, from GET /images/json,
 * with docker's image formatter: one row per repository and tag (and per
 * digest with --digests), "<none>" for dangling images.
 *
 * Each row is a JSON object holding the fields of docker's imageContext as
 * strings, keys sorted as docker's MarshalJSON (a Go map) sorts them. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/auth.h"
#include "cli/cmds.h"
#include "cli/image_internal.h"
#include "cli/units.h"

static const char images_use[] = "images [OPTIONS] [REPOSITORY[:TAG]]";
static const char ls_use[] = "ls [OPTIONS] [REPOSITORY[:TAG]]";

static const char table_format[] = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t"
				   "{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t"
				   "{{.Size}}";
static const char table_digest_format[] =
    "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t"
    "{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}";
static const char raw_format[] = "repository: {{ .Repository }}\ntag: {{.Tag}}\n"
				 "image_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\n"
				 "virtual_size: {{.Size}}\n";
static const char raw_digest_format[] =
    "repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\n"
    "image_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n";

/* docker lists these subcommands when `docker images NAME` finds nothing */
static const char *const image_subcommands[] = {
	"build", "history", "import", "inspect", "list", "load", "ls",
	"prune", "pull",    "push",   "rm",	 "save", "tag",
};

struct images_opts {
	bool all;
	bool digests;
	struct berth_strv filter;
	const char *format;
	bool no_trunc;
	bool quiet;
	bool tree;
};

static const struct berth_opt images_options[] = {
	{ "all", 'a', BERTH_OPT_BOOL, offsetof(struct images_opts, all), NULL,
	  "Show all images (default hides intermediate images)", NULL, NULL },
	{ "digests", 0, BERTH_OPT_BOOL, offsetof(struct images_opts, digests), NULL, "Show digests",
	  NULL, NULL },
	{ "filter", 'f', BERTH_OPT_LIST, offsetof(struct images_opts, filter), "filter",
	  "Filter output based on conditions provided", NULL, berth_cli_image_validate_filter },
	{ "format", 0, BERTH_OPT_STRING, offsetof(struct images_opts, format), "string",
	  berth_cli_table_format_help, NULL, NULL },
	{ "no-trunc", 0, BERTH_OPT_BOOL, offsetof(struct images_opts, no_trunc), NULL,
	  "Don't truncate output", NULL, NULL },
	{ "quiet", 'q', BERTH_OPT_BOOL, offsetof(struct images_opts, quiet), NULL,
	  "Only show image IDs", NULL, NULL },
	{ "tree", 0, BERTH_OPT_BOOL, offsetof(struct images_opts, tree), NULL,
	  "List multi-platform images as a tree (EXPERIMENTAL)", NULL, NULL },
};

/* ---- rows ---- */

struct row_ctx {
	bool trunc;
	bool need_digest; /* --digests, or the format shows {{.Digest}} */
	bool digests;	  /* --digests */
	json_t *rows;	  /* borrowed: the array rows are added to */
};

static json_t *human(int64_t n, int prec)
{
	char buf[BERTH_UNITS_BUFSIZE];
	return json_string(berth_units_human_size_prec((double)n, prec, buf, sizeof(buf)));
}

static json_t *count_or_na(int64_t n)
{
	char buf[32];

	if (n == -1)
		return json_string("N/A");
	snprintf(buf, sizeof(buf), "%" PRId64, n);
	return json_string(buf);
}

/* The Containers .. UniqueSize fields of one image, shared by its rows. */
static json_t *image_fields(const json_t *img, bool trunc)
{
	int64_t size = berth_cli_image_num(img, "Size");
	int64_t shared = berth_cli_image_num(img, "SharedSize");
	cleanup_strbuf struct berth_strbuf at = BERTH_STRBUF_INIT;
	cleanup_strbuf struct berth_strbuf ago = BERTH_STRBUF_INIT;
	const char *id = berth_cli_image_str(img, "Id");
	cleanup_free char *short_id = berth_cli_image_short_id(id);

	berth_cli_image_time_string(&at, berth_cli_image_num(img, "Created"));
	berth_cli_image_time_ago(&ago, berth_cli_image_num(img, "Created"));
	return json_pack("{s:o, s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "Containers",
			 count_or_na(berth_cli_image_num(img, "Containers")), "CreatedAt", at.buf,
			 "CreatedSince", ago.buf, "ID", trunc ? short_id : id, "SharedSize",
			 shared == -1 ? json_string("N/A") : human(shared, 4), "Size",
			 human(size, 3), "UniqueSize",
			 size == -1 || shared == -1 ? json_string("N/A") : human(size - shared, 4),
			 "VirtualSize", human(size, 4));
}

/* A row: the image's fields plus repository, tag and digest, keys sorted. */
static void add_row(struct row_ctx *ctx, const json_t *fields, const char *repo, const char *tag,
		    const char *digest)
{
	static const char *const order[] = { "Containers", "CreatedAt",	 "CreatedSince", "Digest",
					     "ID",	   "Repository", "SharedSize",	 "Size",
					     "Tag",	   "UniqueSize", "VirtualSize" };
	json_t *row = json_object();

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(order); i++) {
		const char *k = order[i];
		if (strcmp(k, "Digest") == 0)
			json_object_set_new(row, k, json_string(digest));
		else if (strcmp(k, "Repository") == 0)
			json_object_set_new(row, k, json_string(repo));
		else if (strcmp(k, "Tag") == 0)
			json_object_set_new(row, k, json_string(tag));
		else
			json_object_set(row, k, json_object_get(fields, k));
	}
	json_array_append_new(ctx->rows, row);
}

/* isDangling: no names, or only the "<none>" placeholders. */
static bool is_dangling(const json_t *tags, const json_t *digests)
{
	const char *t = json_string_value(json_array_get(tags, 0));
	const char *d = json_string_value(json_array_get(digests, 0));

	if (json_array_size(tags) == 0 && json_array_size(digests) == 0)
		return true;
	return json_array_size(tags) == 1 && t && strcmp(t, "<none>:<none>") == 0 &&
	       json_array_size(digests) == 1 && d && strcmp(d, "<none>@<none>") == 0;
}

/* Groups REFS by familiar name into MAP ({name: [tag or digest, ...]}), in
 * the order names first appear. */
static void group_refs(const json_t *refs, bool want_digest, json_t *map)
{
	size_t i;
	json_t *v;

	json_array_foreach (refs, i, v) {
		struct berth_ref r;
		berth_error_t ignored = NULL;
		cleanup_free char *name = NULL;
		const char *part;
		json_t *list;

		if (berth_ref_parse(json_string_value(v), &r, &ignored) < 0) {
			berth_error_release(&ignored);
			continue;
		}
		part = want_digest ? r.digest : r.tag;
		name = berth_ref_familiar_name(&r);
		list = json_object_get(map, name);
		if (part && list == NULL)
			json_object_set_new(map, name, list = json_array());
		if (part)
			json_array_append_new(list, json_string(part));
		berth_ref_release(&r);
	}
}

/* imageFormatTaggedAndDigest, with Go's random map order replaced by the
 * order the daemon lists the names in. */
static void tagged_rows(struct row_ctx *ctx, const json_t *img, const json_t *fields)
{
	json_t *tags = json_object(), *digests = json_object(), *list, *dlist, *t, *d;
	const char *repo;
	size_t i, k;

	group_refs(json_object_get(img, "RepoTags"), false, tags);
	group_refs(json_object_get(img, "RepoDigests"), true, digests);
	json_object_foreach (tags, repo, list) {
		dlist = ctx->need_digest ? json_object_get(digests, repo) : NULL;
		json_array_foreach (list, i, t) {
			if (json_array_size(dlist) == 0)
				add_row(ctx, fields, repo, json_string_value(t), "<none>");
			json_array_foreach (dlist, k, d)
				add_row(ctx, fields, repo, json_string_value(t),
					json_string_value(d));
		}
	}
	json_object_foreach (digests, repo, dlist) {
		if (json_object_get(tags, repo))
			continue;
		if (!ctx->digests)
			add_row(ctx, fields, repo, "<none>", "");
		json_array_foreach (dlist, k, d)
			if (ctx->digests)
				add_row(ctx, fields, repo, "<none>", json_string_value(d));
	}
	json_decref(tags);
	json_decref(digests);
}

static json_t *image_rows(const json_t *images, const struct images_opts *opts, const char *format)
{
	struct row_ctx ctx = { .trunc = !opts->no_trunc, .digests = opts->digests };
	size_t i;
	json_t *img;

	ctx.need_digest = opts->digests || strstr(format, "{{.Digest}}") != NULL;
	ctx.rows = json_array();
	json_array_foreach (images, i, img) {
		json_t *fields = image_fields(img, ctx.trunc);
		const json_t *tags = json_object_get(img, "RepoTags");
		const json_t *digests = json_object_get(img, "RepoDigests");
		if (is_dangling(tags, digests))
			add_row(&ctx, fields, "<none>", "<none>", "<none>");
		else
			tagged_rows(&ctx, img, fields);
		json_decref(fields);
	}
	return ctx.rows;
}

/* ---- the command ---- */

/* NewImageFormat, after the config's imagesFormat. Caller frees. */
static char *image_format(const struct images_opts *opts)
{
	const char *source = opts->format && *opts->format ? opts->format : NULL;
	char *f;

	if (source == NULL && !opts->quiet) {
		f = berth_auth_config_string("imagesFormat");
		if (f)
			return f;
	}
	if (source == NULL || strcmp(source, "table") == 0)
		return xstrdup(opts->quiet     ? "{{.ID}}"
			       : opts->digests ? table_digest_format
					       : table_format);
	if (strcmp(source, "raw") == 0)
		return xstrdup(opts->quiet     ? "image_id: {{.ID}}"
			       : opts->digests ? raw_digest_format
					       : raw_format);
	if (strncmp(source, "table", 5) == 0 && opts->digests && !strstr(source, "{{.Digest}}"))
		return xasprintf("%s\t{{.Digest}}", source);
	return xstrdup(source);
}

static json_t *images_header(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID",
			 "IMAGE ID", "Repository", "REPOSITORY", "Tag", "TAG", "Digest", "DIGEST",
			 "CreatedSince", "CREATED", "CreatedAt", "CREATED AT", "Size", "SIZE",
			 "Containers", "CONTAINERS", "VirtualSize", "SIZE", "SharedSize",
			 "SHARED SIZE", "UniqueSize", "UNIQUE SIZE");
}

static int list_images(struct berth_cli *cli, const struct images_opts *opts, const char *match,
		       json_t **out, berth_error_t *err)
{
	cleanup_free char *filters = NULL;
	cleanup_free char *query = NULL;
	struct berth_client *client;

	filters = berth_cli_image_filters(&opts->filter, match ? "reference" : NULL, match);
	if (opts->all)
		berth_client_query_add(&query, "all", "1");
	if (filters)
		berth_client_query_add(&query, "filters", filters);
	if (berth_cli_client(cli, &client, err) < 0)
		return -1;
	return berth_client_call_json(client, "GET", "/images/json", query, NULL, out, err);
}

/* docker's checks of --tree, in its order; then berth has no tree view */
static int tree_unsupported(const struct images_opts *opts, berth_error_t *err)
{
	const char *flag = opts->quiet			   ? "--quiet"
			   : opts->no_trunc		   ? "--no-trunc"
			   : opts->digests		   ? "--show-digest"
			   : opts->format && *opts->format ? "--format"
							   : NULL;

	if (flag)
		return berth_make_error(err, EINVAL, "%s is not yet supported with --tree", flag);
	return berth_make_error(err, ENOTSUP, "--tree is not supported by berth yet");
}

static void ambiguous_hint(const char *match)
{
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(image_subcommands); i++)
		if (strcmp(match, image_subcommands[i]) == 0)
			fprintf(
			    stderr,
			    "\nNo images found matching \"%s\": did you mean \"berth image %s\"?\n",
			    match, match);
}

static int run_images(struct berth_cli *cli, struct images_opts *opts,
		      const struct berth_strv *args, const char *path, const char *use,
		      berth_error_t *err)
{
	const char *match = args->n ? args->v[0] : NULL;
	cleanup_free char *format = NULL;
	json_t *images = NULL, *rows, *header;
	int ret;

	if (args->n > 1)
		return berth_cli_image_args_max(path, use, 1, err);
	if (opts->tree)
		return tree_unsupported(opts, err);
	if (list_images(cli, opts, match && *match ? match : NULL, &images, err) < 0)
		return -1;
	format = image_format(opts);
	rows = image_rows(images, opts, format);
	header = images_header();
	ret = berth_cli_image_write_rows(format, rows, header, "*formatter.imageContext", err);
	if (ret == 0 && match && *match && json_array_size(images) == 0 && use == images_use)
		ambiguous_hint(match);
	json_decref(header);
	json_decref(rows);
	json_decref(images);
	return ret;
}

static int run_images_top(struct berth_cli *cli, void *o, const struct berth_strv *args,
			  berth_error_t *err)
{
	return run_images(cli, o, args, "berth images", images_use, err);
}

static int run_image_ls(struct berth_cli *cli, void *o, const struct berth_strv *args,
			berth_error_t *err)
{
	return run_images(cli, o, args, "berth image ls", ls_use, err);
}

const struct berth_command berth_cmd_images = {
	.name = "images",
	.use = images_use,
	.short_desc = "List images",
	.aliases = "image ls, image list, images",
	.group = BERTH_CMD_COMMON,
	.opts = images_options,
	.nopts = BERTH_ARRAY_SIZE(images_options),
	.opts_size = sizeof(struct images_opts),
	.takes_args = true,
	.run = run_images_top,
};

const struct berth_command berth_cmd_image_ls = {
	.name = "ls",
	.use = ls_use,
	.short_desc = "List images",
	.aliases = "image ls, image list, images",
	.opts = images_options,
	.nopts = BERTH_ARRAY_SIZE(images_options),
	.opts_size = sizeof(struct images_opts),
	.takes_args = true,
	.run = run_image_ls,
};
