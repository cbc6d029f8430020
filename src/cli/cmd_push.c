/* cmd_push.c: `berth push` and `berth image push`: POST /images/{name}/push
 * with the registry credentials and the progress stream drawn as docker
 * draws it. */
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

static const char push_use[] = "push [OPTIONS] NAME[:TAG]";

/* docker's note for --platform, as tui.PrintNote writes it off a terminal */
static const char platform_note[] =
    "\n Info -> Using --platform pushes only the specified platform manifest of a multi-platform image index.\n"
    "         Other components, like attestations, will not be included.\n"
    "         To push the complete multi-platform image, remove the --platform flag.\n"
    "         \n";

struct push_opts {
	bool all_tags;
	bool disable_trust; /* content trust is not implemented: it must stay disabled */
	const char *platform;
	bool quiet;
};

static const struct berth_opt push_options[] = {
	{ "all-tags", 'a', BERTH_OPT_BOOL, offsetof(struct push_opts, all_tags), NULL,
	  "Push all tags of an image to the repository", NULL, NULL },
	{ "disable-content-trust", 0, BERTH_OPT_BOOL, offsetof(struct push_opts, disable_trust),
	  NULL, "Skip image signing", "true", NULL },
	{ "platform", 0, BERTH_OPT_STRING, offsetof(struct push_opts, platform), "string",
	  "Push a platform-specific manifest as a single-platform image to the registry.\n"
	  "Image index won't be pushed, meaning that other manifests, including attestations won't be preserved.\n"
	  "'os[/arch[/variant]]': Explicit platform (eg. linux/amd64)",
	  NULL, NULL },
	{ "quiet", 'q', BERTH_OPT_BOOL, offsetof(struct push_opts, quiet), NULL,
	  "Suppress verbose output", NULL, NULL },
};

/* containerd's architecture aliases, for the platform sent to the daemon */
static const struct {
	const char *alias, *arch, *variant;
} arch_aliases[] = {
	{ "x86_64", "amd64", NULL }, { "x86-64", "amd64", NULL }, { "aarch64", "arm64", NULL },
	{ "i386", "386", NULL },     { "armhf", "arm", "v7" },	  { "armel", "arm", "v6" },
};

/* "os[/arch[/variant]]" as the OCI platform JSON the API takes. */
static int platform_json(const char *spec, char **out, berth_error_t *err)
{
	cleanup_free char *lower = xstrdup(spec);
	char *save = NULL, *parts[3] = { NULL, NULL, NULL };
	size_t n = 0;
	json_t *p;

	for (char *c = lower; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	for (char *tok = strtok_r(lower, "/", &save); tok; tok = strtok_r(NULL, "/", &save))
		if (n++ < 3)
			parts[n - 1] = tok;
	if (n == 0 || n > 3)
		return berth_make_error(err, EINVAL, "%s: invalid platform", spec);
	for (size_t i = 0; parts[1] && i < BERTH_ARRAY_SIZE(arch_aliases); i++) {
		if (strcmp(parts[1], arch_aliases[i].alias) != 0)
			continue;
		parts[1] = (char *)arch_aliases[i].arch;
		if (parts[2] == NULL)
			parts[2] = (char *)arch_aliases[i].variant;
	}
	p = json_pack("{s:s, s:s}", "architecture", parts[1] ? parts[1] : berth_cli_arch(), "os",
		      parts[0]);
	if (parts[2])
		json_object_set_new(p, "variant", json_string(parts[2]));
	*out = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	return 0;
}

/* docker's runPush checks, in its order; prints "Using default tag". */
static int push_reference(const struct push_opts *opts, const char *arg, struct berth_ref *ref,
			  berth_error_t *err)
{
	if (berth_ref_parse(arg, ref, err) < 0)
		return -1;
	if (opts->all_tags && !berth_ref_name_only(ref)) {
		berth_ref_release(ref);
		return berth_make_error(err, EINVAL, "tag can't be used with --all-tags/-a");
	}
	if (!opts->all_tags && berth_ref_name_only(ref)) {
		berth_ref_default_tag(ref);
		if (!opts->quiet) {
			printf("Using default tag: %s\n", ref->tag);
			fflush(stdout);
		}
	}
	if (ref->digest) { /* client.ImagePush */
		berth_ref_release(ref);
		return berth_make_error(err, EINVAL, "cannot push a digest reference");
	}
	return 0;
}

/* --platform: the query value, and docker's note about it. */
static int push_platform(const struct push_opts *opts, char **query, berth_error_t *err)
{
	cleanup_free char *platform = NULL;

	if (opts->platform == NULL || *opts->platform == '\0')
		return 0;
	if (platform_json(opts->platform, &platform, err) < 0) {
		fprintf(stderr, "Invalid platform %s", opts->platform);
		return -1;
	}
	fputs(platform_note, stdout);
	berth_client_query_add(query, "platform", platform);
	return 0;
}

static int push_stream(struct berth_cli *cli, const struct push_opts *opts,
		       const struct berth_ref *ref, const char *query, berth_error_t *err)
{
	cleanup_free char *name = berth_ref_name(ref);
	cleanup_free char *path = berth_cli_image_path(name, "push");
	cleanup_free char *auth = berth_cli_image_registry_auth(ref);
	struct berth_cli_image_xfer x = { .method = "POST",
					  .path = path,
					  .query = query,
					  .registry_auth = auth,
					  .in_fd = -1,
					  .out_fd = -1 };
	struct berth_client *client;

	if (berth_cli_client(cli, &client, err) < 0)
		return -1;
	return berth_cli_image_stream(client, &x, opts->quiet, NULL, NULL, err);
}

static int run_push(struct berth_cli *cli, struct push_opts *opts, const struct berth_strv *args,
		    const char *path, berth_error_t *err)
{
	struct berth_ref ref;
	cleanup_free char *query = NULL;
	cleanup_free char *done = NULL;
	int ret;

	if (args->n != 1)
		return berth_cli_image_args_exact(path, push_use, 1, err);
	if (!opts->disable_trust)
		return berth_make_error(err, ENOTSUP, "content trust is not supported by berth");
	if (push_platform(opts, &query, err) < 0)
		return -1;
	if (push_reference(opts, args->v[0], &ref, err) < 0)
		return -1;
	if (!opts->all_tags && ref.tag)
		berth_client_query_add(&query, "tag", ref.tag);
	ret = push_stream(cli, opts, &ref, query, err);
	done = berth_ref_string(&ref);
	berth_ref_release(&ref);
	if (ret == 0 && opts->quiet)
		printf("%s\n", done);
	return ret;
}

static int run_push_top(struct berth_cli *cli, void *o, const struct berth_strv *args,
			berth_error_t *err)
{
	return run_push(cli, o, args, "berth push", err);
}

static int run_image_push(struct berth_cli *cli, void *o, const struct berth_strv *args,
			  berth_error_t *err)
{
	return run_push(cli, o, args, "berth image push", err);
}

const struct berth_command berth_cmd_push = {
	.name = "push",
	.use = push_use,
	.short_desc = "Upload an image to a registry",
	.aliases = "image push, push",
	.group = BERTH_CMD_COMMON,
	.opts = push_options,
	.nopts = BERTH_ARRAY_SIZE(push_options),
	.opts_size = sizeof(struct push_opts),
	.takes_args = true,
	.run = run_push_top,
};

const struct berth_command berth_cmd_image_push = {
	.name = "push",
	.use = push_use,
	.short_desc = "Upload an image to a registry",
	.aliases = "image push, push",
	.opts = push_options,
	.nopts = BERTH_ARRAY_SIZE(push_options),
	.opts_size = sizeof(struct push_opts),
	.takes_args = true,
	.run = run_image_push,
};
