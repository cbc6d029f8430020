/* engine_internal.h: what the files of engine/ share. */
#ifndef BERTH_ENGINE_ENGINE_INTERNAL_H
#define BERTH_ENGINE_ENGINE_INTERNAL_H

#include "engine/db.h"
#include "engine/engine.h"
#include "image/store.h"

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
};

/* Cancels every running pull and waits for its thread (shutdown). */
void berth_engine_image_jobs_stop(struct berth_engine *e);

/* Runs SQL (no results) on the store; errors are EIO with sqlite's text. */
int berth_engine_exec(struct berth_engine *e, const char *sql, berth_error_t *err);

#endif
