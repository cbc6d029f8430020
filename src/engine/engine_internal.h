/* engine_internal.h: what the files of engine/ share. */
#ifndef BERTH_ENGINE_ENGINE_INTERNAL_H
#define BERTH_ENGINE_ENGINE_INTERNAL_H

#include "engine/db.h"
#include "engine/engine.h"
#include "image/store.h"

struct network;
struct volume;

struct berth_engine {
	struct berth_loop *loop;	/* borrowed */
	struct berth_engine_config cfg; /* owned */
	struct berth_db *db;		/* owned */
	struct berth_events *events;	/* owned */
	char *id;			/* owned: engine identity, persisted in the store */
	struct berth_sysinfo si;
	struct berth_store *store;	    /* owned: the content store */
	char *layers_dir;		    /* owned: <data-root>/layers */
	struct berth_image_job *image_jobs; /* running pulls */
	struct container *containers;	    /* owned: every container, newest first */
	char *containers_dir;		    /* owned: <data-root>/containers */
	char *rt_containers_dir;	    /* owned: <exec-root>/containers */
	char *monitor_path;		    /* owned: the berth-monitor binary */
	struct network *networks;	    /* owned: every network (networks.c) */
	struct volume *volumes;		    /* owned: every volume (volumes.c) */
	bool nft_applied;		    /* berth's nftables table is in place */
	uint64_t nft_hash;		    /* the digest of its model (networks.c) */
	struct berth_resolver *resolver;    /* owned: the embedded DNS, once used */
	uint64_t trim_timer;		    /* berth_engine_trim_later */
};

/* After work that grew the heap (a pull, a load, an archive): returns the
 * free heap of every malloc arena to the system a little later, once, so
 * that an idle daemon holds only what it uses. */
void berth_engine_trim_later(struct berth_engine *e);

/* Loads the networks of the store, making the predefined ones the first
 * time (before the containers); frees them. */
int berth_engine_networks_load(struct berth_engine *e, berth_error_t *err);
void berth_engine_networks_free(struct berth_engine *e);

/* Loads the containers of the store and adopts their running monitors
 * (start); frees them (shutdown: the containers run on). */
int berth_engine_containers_load(struct berth_engine *e, berth_error_t *err);
void berth_engine_containers_free(struct berth_engine *e);

/* For a container: the image NAME stands for (ID, its config document, its
 * chain IDs bottom first). ENOENT "No such image: NAME". */
int berth_engine_image_for_container(struct berth_engine *e, const char *name, char **id,
				     json_t **config, json_t **layers, berth_error_t *err);

/* Cancels every running pull and waits for its thread (shutdown). */
void berth_engine_image_jobs_stop(struct berth_engine *e);

/* Runs SQL (no results) on the store; errors are EIO with sqlite's text. */
int berth_engine_exec(struct berth_engine *e, const char *sql, berth_error_t *err);

#endif
