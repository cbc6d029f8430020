/* images.h: the engine's image model: what images exist, their names
 * (tags and digests), and the operations the API offers on them. Rows live in
 * the state store; documents (manifests, configs) in the content store;
 * unpacked layers under <data-root>/layers. Loop thread only, except where a
 * function says it starts a worker. */
#ifndef BERTH_ENGINE_IMAGES_H
#define BERTH_ENGINE_IMAGES_H

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"
#include "base/filters.h"
#include "image/manifest.h"
#include "image/registry.h"

struct berth_engine;

/* Progress line for a pull stream (MSG stolen), then the end: ERR NULL on
 * success. Both run on the loop thread. */
typedef void (*berth_job_msg_cb)(void *data, json_t *msg);
typedef void (*berth_job_done_cb)(void *data, const berth_error_t err);

struct berth_image_job;

/* Pulls REF (already normalised text, e.g. "docker.io/library/busybox:latest")
 * on a worker thread. PLATFORM may be NULL (the host's). AUTH is copied.
 * Returns the job (for berth_image_job_cancel) or NULL with *err set for a
 * request that cannot start (bad reference: EINVAL). */
struct berth_image_job *berth_engine_pull(struct berth_engine *e, const char *ref,
					  const struct berth_platform *platform,
					  const struct berth_registry_auth *auth,
					  berth_job_msg_cb on_msg, berth_job_done_cb on_done,
					  void *data, berth_error_t *err);
/* Pushes NAME[:TAG] (a local tag; TAG may be NULL or empty: "latest") on a
 * worker thread. ENOENT "An image does not exist locally with the tag: X". */
struct berth_image_job *berth_engine_push(struct berth_engine *e, const char *name, const char *tag,
					  const struct berth_registry_auth *auth,
					  berth_job_msg_cb on_msg, berth_job_done_cb on_done,
					  void *data, berth_error_t *err);
/* GET /images/get: writes the archive of NAMES (array of strings) on a
 * worker thread into a pipe whose read end *OUT_FD the caller streams. */
int berth_engine_save(struct berth_engine *e, json_t *names, int *out_fd, berth_error_t *err);
/* POST /images/load: reads the archive from FD (stolen) on a worker thread;
 * ON_MSG gets docker's "Loaded image: x" lines, then ON_DONE. */
struct berth_image_job *berth_engine_load(struct berth_engine *e, int fd, berth_job_msg_cb on_msg,
					  berth_job_done_cb on_done, void *data,
					  berth_error_t *err);
/* GET /distribution/{name}/json on a worker thread: ON_RESULT gets
 * {"Descriptor": ..., "Platforms": [...]}, then ON_DONE. */
struct berth_image_job *berth_engine_distribution(struct berth_engine *e, const char *name,
						  const struct berth_registry_auth *auth,
						  berth_job_msg_cb on_result,
						  berth_job_done_cb on_done, void *data,
						  berth_error_t *err);
/* Asks the worker to stop; ON_DONE still runs (with ECANCELED or success). */
void berth_image_job_cancel(struct berth_image_job *job);
/* After this, the job calls nothing back (its caller went away). */
void berth_image_job_detach(struct berth_image_job *job);

/* GET /images/json: FILTERS (dangling, reference, label, before, since),
 * ALL (intermediate images: berth keeps none), DIGESTS. */
json_t *berth_engine_images_list(struct berth_engine *e, const struct berth_filters *filters,
				 bool digests, int api_version, berth_error_t *err);
/* GET /images/{name}/json. ENOENT "No such image: NAME". */
json_t *berth_engine_image_inspect(struct berth_engine *e, const char *name, int api_version,
				   berth_error_t *err);
/* GET /images/{name}/history. */
json_t *berth_engine_image_history(struct berth_engine *e, const char *name, berth_error_t *err);
/* POST /images/{name}/tag?repo=&tag=. */
int berth_engine_image_tag(struct berth_engine *e, const char *name, const char *repo,
			   const char *tag, berth_error_t *err);
/* DELETE /images/{name}: untags, and deletes the image (and layers nothing
 * else uses) when no name is left. Returns docker's list of
 * {"Untagged": ...} / {"Deleted": ...}. */
json_t *berth_engine_image_remove(struct berth_engine *e, const char *name, bool force,
				  bool noprune, berth_error_t *err);

/* POST /images/prune: dangling images (all unused with dangling=false),
 * filters until, label, label!. {"ImagesDeleted": [...], "SpaceReclaimed": n}. */
json_t *berth_engine_images_prune(struct berth_engine *e, const struct berth_filters *f,
				  berth_error_t *err);

/* At start: image records whose config or layers are gone (a damaged data
 * root) are removed, so that nothing listed is unusable. */
int berth_engine_images_reconcile(struct berth_engine *e, berth_error_t *err);

/* Counts for /info and the images part of /system/df. */
int berth_engine_images_count(struct berth_engine *e);
json_t *berth_engine_images_df(struct berth_engine *e, int64_t *layers_size);

#endif
