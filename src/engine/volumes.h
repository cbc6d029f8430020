/* volumes.h: docker's local volumes (issue 5) and the API on them.
 *
 * A volume has a row in the state store (its document: driver, labels,
 * options, created, anonymous) and a directory <data-root>/volumes/<name>
 * whose _data is what containers mount. Options type=tmpfs and
 * type=none,o=bind,device=/path make _data a tmpfs or a bind of a host
 * directory, mounted when a container first needs it. Loop thread only. */
#ifndef BERTH_ENGINE_VOLUMES_H
#define BERTH_ENGINE_VOLUMES_H

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"
#include "base/filters.h"

struct berth_engine;

/* GET /volumes: {"Volumes": [...], "Warnings": null}; filters name,
 * label, dangling, driver. */
json_t *berth_engine_volumes_list(struct berth_engine *e, const struct berth_filters *f,
				  berth_error_t *err);
/* GET /volumes/{name}: ENOENT "get NAME: no such volume". */
json_t *berth_engine_volume_inspect(struct berth_engine *e, const char *name,
				    berth_error_t *err);
/* POST /volumes/create (VolumeCreateOptions): the volume, made or found
 * (a name in use returns the volume that has it, as docker). EINVAL for a
 * bad name or option, ENOENT for a driver other than local. */
json_t *berth_engine_volume_create(struct berth_engine *e, const json_t *body,
				   berth_error_t *err);
/* DELETE /volumes/{name}: EBUSY "remove NAME: volume is in use - [ids]"
 * while any container uses it; FORCE makes a missing volume no error. */
int berth_engine_volume_remove(struct berth_engine *e, const char *name, bool force,
			       berth_error_t *err);
/* POST /volumes/prune: filters label, label!, all. Unused anonymous
 * volumes only, or every unused one with all=true or ALL (API < 1.42). */
json_t *berth_engine_volumes_prune(struct berth_engine *e, const struct berth_filters *f,
				   bool all, berth_error_t *err);
/* GET /system/df's Volumes: each with UsageData {Size, RefCount}. */
json_t *berth_engine_volumes_df(struct berth_engine *e);

#endif
