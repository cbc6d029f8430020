/* cmd_pull.c: `berth pull` and `berth image pull`: POST /images/create with
 * the registry credentials, the progress stream drawn as docker draws it,
 * then the normalised reference ("docker.io/library/busybox:latest"). */
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

static const char pull_use[] = "pull [OPTIONS] NAME[:TAG|@DIGEST]";

struct pull_opts {
	bool all_tags;
	bool disable_trust; /* content trust is not implemented: it must stay disabled */
	const char *platform;
	bool quiet;
};

static const struct berth_opt pull_options[] = {
	{ "all-tags", 'a', BERTH_OPT_BOOL, offsetof(struct pull_opts, all_tags), NULL,
	  "Download all tagged images in the repository", NULL, NULL },
	{ "disable-content-trust", 0, BERTH_OPT_BOOL, offsetof(struct pull_opts, disable_trust),
	  NULL, "Skip image verification", "true", NULL },
	{ "platform", 0, BERTH_OPT_STRING, offsetof(struct pull_opts, platform), "string",
	  "Set platform if server is multi-platform capable", NULL, NULL },
	{ "quiet", 'q', BERTH_OPT_BOOL, offsetof(struct pull_opts, quiet), NULL,
	  "Suppress verbose output", NULL, NULL },
};

/* What the API's `tag` gets: the digest, else the tag (client.ImagePull). */
static const char *api_tag(const struct berth_ref *ref)
{
	return ref->digest ? ref->digest : ref->tag;
}

static char *pull_query(const struct pull_opts *opts, const struct berth_ref *ref)
{
	cleanup_free char *name = berth_ref_name(ref);
	const char *platform = opts->platform ? opts->platform : getenv("DOCKER_DEFAULT_PLATFORM");
	char *query = NULL;

	berth_client_query_add(&query, "fromImage", name);
	if (platform && *platform) {
		cleanup_free char *lower = xstrdup(platform);
		for (char *p = lower; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		berth_client_query_add(&query, "platform", lower);
	}
	if (!opts->all_tags && api_tag(ref))
		berth_client_query_add(&query, "tag", api_tag(ref));
	return query;
}

/* docker's runPull checks, in its order; prints "Using default tag". */
static int pull_reference(const struct pull_opts *opts, const char *arg, struct berth_ref *ref,
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
	return 0;
}

static int run_pull(struct berth_cli *cli, struct pull_opts *opts, const struct berth_strv *args,
		    const char *path, berth_error_t *err)
{
	struct berth_ref ref;
	struct berth_client *client;
	cleanup_free char *auth = NULL;
	cleanup_free char *query = NULL;
	cleanup_free char *done = NULL;
	struct berth_cli_image_xfer x = {
		.method = "POST", .path = "/images/create", .in_fd = -1, .out_fd = -1
	};
	int ret;

	if (args->n != 1)
		return berth_cli_image_args_exact(path, pull_use, 1, err);
	if (!opts->disable_trust)
		return berth_make_error(err, ENOTSUP, "content trust is not supported by berth");
	if (pull_reference(opts, args->v[0], &ref, err) < 0)
		return -1;
	auth = berth_cli_image_registry_auth(&ref);
	query = pull_query(opts, &ref);
	done = berth_ref_string(&ref);
	berth_ref_release(&ref);
	x.query = query;
	x.registry_auth = auth;
	ret = berth_cli_client(cli, &client, err);
	if (ret == 0)
		ret = berth_cli_image_stream(client, &x, opts->quiet, NULL, NULL, err);
	if (ret == 0)
		printf("%s\n", done);
	return ret;
}

static int run_pull_top(struct berth_cli *cli, void *o, const struct berth_strv *args,
			berth_error_t *err)
{
	return run_pull(cli, o, args, "berth pull", err);
}

static int run_image_pull(struct berth_cli *cli, void *o, const struct berth_strv *args,
			  berth_error_t *err)
{
	return run_pull(cli, o, args, "berth image pull", err);
}

const struct berth_command berth_cmd_pull = {
	.name = "pull",
	.use = pull_use,
	.short_desc = "Download an image from a registry",
	.aliases = "image pull, pull",
	.group = BERTH_CMD_COMMON,
	.opts = pull_options,
	.nopts = BERTH_ARRAY_SIZE(pull_options),
	.opts_size = sizeof(struct pull_opts),
	.takes_args = true,
	.run = run_pull_top,
};

const struct berth_command berth_cmd_image_pull = {
	.name = "pull",
	.use = pull_use,
	.short_desc = "Download an image from a registry",
	.aliases = "image pull, pull",
	.opts = pull_options,
	.nopts = BERTH_ARRAY_SIZE(pull_options),
	.opts_size = sizeof(struct pull_opts),
	.takes_args = true,
	.run = run_image_pull,
};
