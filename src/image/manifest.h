/* manifest.h: Docker schema 2 and OCI manifests, indexes / manifest lists,
 * image configs, and platform selection. Every document is untrusted:
 * size-bounded, validated field by field, errors are EINVAL with a clear
 * message. */
#ifndef BERTH_IMAGE_MANIFEST_H
#define BERTH_IMAGE_MANIFEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define BERTH_MANIFEST_MAX_BYTES (4 * 1024 * 1024)
#define BERTH_CONFIG_MAX_BYTES (8 * 1024 * 1024)
#define BERTH_MANIFEST_MAX_LAYERS 256
#define BERTH_INDEX_MAX_ENTRIES 1024

#define BERTH_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define BERTH_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define BERTH_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define BERTH_MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define BERTH_MT_DOCKER_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
#define BERTH_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define BERTH_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define BERTH_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define BERTH_MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define BERTH_MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define BERTH_MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
/* The Accept header a puller sends for manifests. */
#define BERTH_MANIFEST_ACCEPT                                                                      \
	BERTH_MT_OCI_INDEX ", " BERTH_MT_DOCKER_LIST ", " BERTH_MT_OCI_MANIFEST                    \
			   ", " BERTH_MT_DOCKER_MANIFEST

struct berth_platform {
	char *os; /* owned: "linux" */
	char *arch; /* owned, normalised: "amd64", "arm64", "arm", "386", ... */
	char *variant; /* owned or NULL: "v8", "v7" */
	char *os_version; /* owned or NULL */
};

struct berth_descriptor {
	char *media_type; /* owned */
	char *digest; /* owned, validated "sha256:<64 hex>" */
	int64_t size; /* >= 0 */
	bool has_platform;
	struct berth_platform platform; /* index entries only */
	json_t *annotations; /* owned or NULL */
};

enum berth_manifest_kind {
	BERTH_MANIFEST_IMAGE, /* docker v2 manifest or OCI manifest */
	BERTH_MANIFEST_INDEX, /* docker manifest list or OCI index */
};

struct berth_manifest {
	enum berth_manifest_kind kind;
	char *media_type; /* owned: the document's type (from the body, else the header) */
	/* BERTH_MANIFEST_IMAGE */
	struct berth_descriptor config;
	struct berth_descriptor *layers; /* owned array */
	size_t n_layers;
	/* BERTH_MANIFEST_INDEX */
	struct berth_descriptor *manifests; /* owned array */
	size_t n_manifests;
};

/* Decodes a manifest or index. CONTENT_TYPE is the registry's
 * Content-Type (may be NULL); the body's mediaType wins when present and
 * they must not contradict each other. Schema 1 is refused with ENOTSUP
 * ("unsupported manifest format: schema 1 ..."). Layer media types must be
 * tar / tar+gzip / tar+zstd (docker or OCI) or a foreign layer. */
int berth_manifest_parse(const char *body, size_t len, const char *content_type,
			 struct berth_manifest *out, berth_error_t *err);
void berth_manifest_release(struct berth_manifest *m);

/* Parses "os[/arch[/variant]]" or "arch" alone ("linux/arm64/v8",
 * "arm64", "linux/amd64") and normalises as containerd's platforms package:
 * aarch64 -> arm64, x86_64/x86-64 -> amd64, armhf -> arm/v7, arm64 with no
 * variant -> variant v8 for matching, i386 -> 386. EINVAL when malformed. */
int berth_platform_parse(const char *s, struct berth_platform *out, berth_error_t *err);
/* The host's platform (linux + uname machine, normalised). */
void berth_platform_host(struct berth_platform *out);
/* "linux/arm64/v8" (variant only when set). Caller frees. */
char *berth_platform_string(const struct berth_platform *p);
/* True when CANDIDATE satisfies WANT: same os and arch; variants equal,
 * treating arm64 "" and "v8" as the same; WANT variant empty matches any. */
bool berth_platform_match(const struct berth_platform *want, const struct berth_platform *candidate);
void berth_platform_release(struct berth_platform *p);
void berth_platform_copy(struct berth_platform *dst, const struct berth_platform *src);

/* Picks the index entry for WANT, as docker's default platform matcher
 * ranks them (exact variant first, then compatible ones: arm v7 image for a
 * v8 host is not chosen unless asked). Returns the index into
 * m->manifests, or -1 with ENOENT: "no matching manifest for linux/arm64/v8
 * in the manifest list entries". */
int berth_manifest_select(const struct berth_manifest *index, const struct berth_platform *want,
			  berth_error_t *err);

/* The parts of an image config the engine needs; the full JSON is kept. */
struct berth_image_config {
	json_t *json; /* owned: the whole config document */
	struct berth_platform platform; /* os/architecture/variant of the image */
	char **diff_ids; /* owned: rootfs.diff_ids, validated digests */
	size_t n_diff_ids;
	int64_t created; /* unix seconds, 0 if absent */
};

/* Decodes and validates an image config (rootfs.type must be "layers",
 * diff_ids valid digests, history entries well-formed). */
int berth_image_config_parse(const char *body, size_t len, struct berth_image_config *out,
			     berth_error_t *err);
void berth_image_config_release(struct berth_image_config *c);

/* ChainIDs as the OCI image spec defines them:
 * chain[0] = diff[0]; chain[i] = sha256(chain[i-1] + " " + diff[i]).
 * OUT gets N new strings (caller frees each and the array). */
char **berth_chain_ids(char *const *diff_ids, size_t n);

#endif
