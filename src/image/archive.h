/* archive.h: `docker save` / `docker load` archives.
 *
 * Save writes an OCI image layout that is also a docker-archive: blobs/
 * sha256/<hex> for configs, layers (compressed, as pulled) and manifests,
 * index.json + oci-layout, and manifest.json with Config, RepoTags and
 * Layers, which `docker load` of any version reads (it decompresses layers
 * itself). berth adds RepoDigests to manifest.json entries so that a round
 * trip keeps them.
 *
 * Load reads either form (and the legacy <id>/layer.tar layout): every file
 * is hashed as it is stored, blobs/sha256/<hex> entries must match their
 * names, layers are unpacked with the same safe unpacker as pulls and must
 * match the config's diff_ids. Nothing is recorded unless all of it checks. */
#ifndef BERTH_IMAGE_ARCHIVE_H
#define BERTH_IMAGE_ARCHIVE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "image/store.h"

#define BERTH_ARCHIVE_MAX_ENTRIES 100000
#define BERTH_ARCHIVE_MAX_META	  (4 * 1024 * 1024) /* manifest.json, index.json, ... */

struct berth_saved_image {
	const char *id;	      /* config digest */
	json_t *repo_tags;    /* familiar "name:tag" strings */
	json_t *repo_digests; /* familiar "name@sha256:..." strings */
	json_t *manifests;    /* manifest digests stored for it (may be empty) */
	json_t *layer_blobs;  /* compressed layer digests, bottom first */
};

/* Writes the archive for IMAGES to FD (blocking; a worker thread). */
int berth_image_save(struct berth_store *store, const struct berth_saved_image *images, size_t n,
		     int fd, berth_error_t *err);

struct berth_loaded_image {
	char *id;	      /* owned: config digest */
	json_t *repo_tags;    /* owned: normalised references ("docker.io/library/x:tag") */
	json_t *repo_digests; /* owned: normalised "name@sha256:..." */
	json_t *manifests;    /* owned: manifest digests present in the store */
	char **chain_ids;     /* owned */
	int64_t *layer_sizes; /* owned */
	size_t n_layers;
	int64_t size, created;
	char *os, *arch, *variant; /* owned */
};

/* Reads an archive from FD into the store and LAYERS_DIR (blocking). */
int berth_image_load(struct berth_store *store, const char *layers_dir, int fd,
		     struct berth_loaded_image **out, size_t *n_out, berth_error_t *err);
void berth_loaded_images_free(struct berth_loaded_image *imgs, size_t n);

#endif
