#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/digest.h"
#include "base/xalloc.h"
#include "image/manifest.h"
#include "image/push.h"

static void progress(const struct berth_push_opts *o, json_t *msg)
{
	if (o->progress)
		o->progress(o->progress_data, msg);
	else
		json_decref(msg);
}

static void blob_status(const struct berth_push_opts *o, const char *digest, const char *status)
{
	char id[13];

	snprintf(id, sizeof(id), "%s", digest + 7);
	progress(o, json_pack("{s:s, s:{}, s:s}", "status", status, "progressDetail", "id", id));
}

/* The stored manifest whose config is IMAGE_ID. */
static int find_manifest(const struct berth_push_opts *o, const char *image_id, json_t *manifests,
			 char **body, size_t *len, struct berth_manifest *m, berth_error_t *err)
{
	json_t *it;
	size_t i;

	json_array_foreach (manifests, i, it) {
		cleanup_free char *text = NULL;
		ssize_t n = berth_store_read(o->store, json_string_value(it),
					     BERTH_MANIFEST_MAX_BYTES, &text, NULL);
		if (n < 0 || berth_manifest_parse(text, (size_t)n, NULL, m, NULL) < 0)
			continue;
		if (m->kind == BERTH_MANIFEST_IMAGE && strcmp(m->config.digest, image_id) == 0) {
			*body = steal_pointer(&text);
			*len = (size_t)n;
			return 0;
		}
		berth_manifest_release(m);
	}
	return berth_make_error(
	    err, ENOTSUP,
	    "image %.19s has no registry manifest to push (it was not pulled from a registry)",
	    image_id);
}

static int push_blob(const struct berth_push_opts *o, struct berth_registry *reg,
		     const struct berth_descriptor *d, bool is_layer, berth_error_t *err)
{
	cleanup_close int fd = -1;
	int have;

	if (o->cancel && atomic_load(o->cancel))
		return berth_make_error(err, ECANCELED, "push cancelled");
	if (is_layer)
		blob_status(o, d->digest, "Preparing");
	have = berth_registry_blob_exists(reg, d->digest, err);
	if (have < 0)
		return -1;
	if (have) {
		if (is_layer)
			blob_status(o, d->digest, "Layer already exists");
		return 0;
	}
	fd = berth_store_open_blob(o->store, d->digest, err);
	if (fd < 0)
		return berth_error_wrap(err, "the store lacks blob %s", d->digest);
	if (is_layer)
		blob_status(o, d->digest, "Pushing");
	if (berth_registry_put_blob(reg, d->digest, fd, d->size, err) < 0)
		return -1;
	if (is_layer)
		blob_status(o, d->digest, "Pushed");
	return 0;
}

int berth_push(const struct berth_push_opts *o, const struct berth_ref *target,
	       const char *image_id, json_t *manifests, char *out_digest, int64_t *out_size,
	       berth_error_t *err)
{
	cleanup_free char *body = NULL, *name = berth_ref_name(target);
	struct berth_manifest m = { 0 };
	struct berth_registry *reg = NULL;
	size_t len = 0, i;
	int ret;

	if (find_manifest(o, image_id, manifests, &body, &len, &m, err) < 0)
		return -1;
	{
		cleanup_free char *status = xasprintf("The push refers to repository [%s]", name);
		progress(o, json_pack("{s:s}", "status", status));
	}
	reg = berth_registry_new(o->registry, target->domain, target->path, o->auth, true, err);
	ret = reg ? 0 : -1;
	/* top layer first, as docker shows them */
	for (i = m.n_layers; ret == 0 && i-- > 0;)
		ret = push_blob(o, reg, &m.layers[i], true, err);
	if (ret == 0)
		ret = push_blob(o, reg, &m.config, false, err);
	if (ret == 0)
		ret = berth_registry_put_manifest(reg, target->tag ? target->tag : "latest",
						  m.media_type, body, len, err);
	if (ret == 0) {
		cleanup_free char *line = NULL;
		berth_sha256_digest(body, len, out_digest);
		*out_size = (int64_t)len;
		line = xasprintf("%s: digest: %s size: %zu", target->tag ? target->tag : "latest",
				 out_digest, len);
		progress(o, json_pack("{s:s}", "status", line));
		progress(o, json_pack("{s:{}, s:{s:s, s:s, s:I}}", "progressDetail", "aux", "Tag",
				      target->tag ? target->tag : "latest", "Digest", out_digest,
				      "Size", (json_int_t)len));
	}
	berth_registry_free(reg);
	berth_manifest_release(&m);
	return ret;
}
