/* pull.h: pulls an image from a registry into the content store and the
 * layer directories. Blocking: runs on a worker thread.
 *
 * Layers download in parallel (up to max_concurrent) and are unpacked in the
 * same streaming pass, hashed on the way: the compressed bytes against the
 * manifest's digest, the decompressed tar against the config's diff_id. A
 * layer directory appears (atomically, by rename) only once both match, so
 * an interrupted pull leaves nothing half-made; the next pull reuses every
 * layer that completed. */
#ifndef BERTH_IMAGE_PULL_H
#define BERTH_IMAGE_PULL_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>

#include "base/error.h"
#include "image/manifest.h"
#include "base/reference.h"
#include "image/registry.h"
#include "image/store.h"

/* Progress messages in docker's JSON stream form; MSG is stolen. Called
 * from worker threads. */
typedef void (*berth_pull_progress_fn)(void *data, json_t *msg);

struct berth_pull_opts {
	struct berth_store *store;		       /* borrowed */
	const char *layers_dir;			       /* <data-root>/layers */
	const struct berth_registry_options *registry; /* borrowed */
	const struct berth_registry_auth *auth;	       /* borrowed, may be NULL */
	const struct berth_platform *platform;	       /* borrowed, NULL = the host's */
	int max_concurrent;			       /* layer downloads at once */
	berth_pull_progress_fn progress;
	void *progress_data;
	atomic_int *cancel; /* set non-zero to abort (ECANCELED); may be NULL */
};

/* What the engine records for the pulled image. */
struct berth_pulled_image {
	char *manifest_digest;	 /* owned: what the reference resolved to (index or manifest) */
	char *platform_manifest; /* owned or NULL: the manifest picked from an index */
	char *image_id;		 /* owned: the config digest */
	struct berth_image_config config; /* owned */
	size_t n_layers;
	char **chain_ids;     /* owned */
	char **blob_digests;  /* owned: compressed layer digests */
	int64_t *layer_sizes; /* owned: unpacked sizes */
	int64_t size;	      /* sum of layer_sizes */
};

int berth_pull(const struct berth_pull_opts *o, const struct berth_ref *ref,
	       struct berth_pulled_image *out, berth_error_t *err);
void berth_pulled_image_release(struct berth_pulled_image *p);

/* Layer directories: <layers_dir>/<chain hex>/diff holds the unpacked
 * layer, <chain hex>/layer.json its diff_id, size and compressed digest. */
char *berth_layer_dir(const char *layers_dir, const char *chain_id);
/* Reads a layer's recorded size; -1 (ENOENT) when the layer is absent. */
int64_t berth_layer_size(const char *layers_dir, const char *chain_id, berth_error_t *err);

/* Installs layer CHAIN_ID from the compressed (or plain) tar in the store's
 * blob BLOB: unpacks it, checks it against DIFF_ID, and publishes it
 * atomically. A layer already present is kept. *SIZE gets its size. */
int berth_layer_install_from_blob(struct berth_store *store, const char *layers_dir,
				  const char *chain_id, const char *diff_id, const char *blob,
				  int64_t *size, berth_error_t *err);

/* docker's progress string: "[=====>     ]  1.2MB/5.6MB". */
char *berth_progress_bar(int64_t current, int64_t total);

#endif
