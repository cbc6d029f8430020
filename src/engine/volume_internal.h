/* volume_internal.h: what volumes.c gives the container lifecycle
 * (containers.c, crun.c) and the engine (engine.c). */
#ifndef BERTH_ENGINE_VOLUME_INTERNAL_H
#define BERTH_ENGINE_VOLUME_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"

struct berth_engine;
struct container;

/* Loads the volumes of the store and reconciles them with the volumes/
 * directory (a crash between a row and its directory); frees them. */
int berth_engine_volumes_load(struct berth_engine *e, berth_error_t *err);
void berth_engine_volumes_free(struct berth_engine *e);

/* create: the mount records (mounts.h) of the create request REQ on an
 * image whose config is IMAGE (may be NULL): HostConfig.VolumesFrom,
 * Binds, Mounts, then the anonymous volumes of Config.Volumes, checked
 * with docker's errors. The volumes they name are made (missing named
 * ones, anonymous ones); *MOUNTS (an array, the caller's) marks those
 * "NewVolume". All or nothing. */
int vol_resolve_mounts(struct berth_engine *e, const json_t *req, const json_t *image,
		       json_t **mounts, berth_error_t *err);
/* Removes the volumes MOUNTS made (a create that failed later). */
void vol_undo_new(struct berth_engine *e, const json_t *mounts);

/* start: C's mounts into SPEC (its rootfs mounted): volumes mounted
 * (tmpfs, bind device) and filled from the image when new, missing bind
 * sources made (Binds) or refused (Mounts), the mounts in depth order in
 * place of any default one at the same destination. */
int vol_spec_mounts(struct berth_engine *e, struct container *c, json_t *spec,
		    berth_error_t *err);

/* removal: C is gone from the engine's list; with ANONYMOUS its anonymous
 * volumes that no other container uses go too (rm -v, AutoRemove). */
void vol_container_removed(struct berth_engine *e, struct container *c, bool anonymous);

/* docker's volume events for C's volumes: "mount" as it starts (START),
 * "unmount" as it stops. */
void vol_container_event(struct berth_engine *e, const struct container *c, bool start);

/* inspect and ps: C's Mounts as docker shows them. */
json_t *vol_mounts_view(const struct container *c);
/* ps -f volume=X: C mounts the volume or path X (name, source or
 * destination). */
bool vol_container_mounts(const struct container *c, const char *what);

/* vcopy.c: whether the directory DFD is empty; the tree below the
 * directory SFD copied into DFD (empty), with owners, modes, extended
 * attributes, times and hard links, DFD taking SFD's owner and mode. */
bool vol_dir_empty(int dfd);
int vol_copy_tree(int sfd, int dfd, berth_error_t *err);

#endif
