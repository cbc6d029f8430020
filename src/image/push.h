/* push.h: pushes an image's manifest, config and layers to a registry.
 * Blocking: runs on a worker thread. The manifest pushed is the one the
 * image was pulled with, byte for byte, so its digest is unchanged and a
 * pull of what was pushed gives the same digest. */
#ifndef BERTH_IMAGE_PUSH_H
#define BERTH_IMAGE_PUSH_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>

#include "base/error.h"
#include "image/pull.h"
#include "base/reference.h"
#include "image/registry.h"
#include "image/store.h"

struct berth_push_opts {
	struct berth_store *store;		       /* borrowed */
	const struct berth_registry_options *registry; /* borrowed */
	const struct berth_registry_auth *auth;	       /* borrowed, may be NULL */
	berth_pull_progress_fn progress;	       /* docker's JSON lines; MSG stolen */
	void *progress_data;
	atomic_int *cancel; /* may be NULL */
};

/* Pushes image IMAGE_ID (config digest) as TARGET (with a tag). MANIFESTS
 * lists the manifest digests stored for the image; the one whose config is
 * IMAGE_ID is pushed. OUT_DIGEST (BERTH_DIGEST_LEN + 1 bytes) gets the
 * pushed manifest's digest and OUT_SIZE its size. */
int berth_push(const struct berth_push_opts *o, const struct berth_ref *target,
	       const char *image_id, json_t *manifests, char *out_digest, int64_t *out_size,
	       berth_error_t *err);

#endif
