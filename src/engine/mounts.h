/* mounts.h: docker's mount requests, parsed and checked as moby's
 * volume/mounts linux parser does, with its error texts: HostConfig.Binds
 * entries ("/host:/ctr:ro", "name:/ctr", "/ctr"), HostConfig.Mounts
 * objects (type bind, volume or tmpfs), HostConfig.VolumesFrom entries
 * and the local volume driver's names and options. Pure: nothing here
 * reads the disk, so that the unit tests and the fuzzers can drive it.
 *
 * A parsed mount is a "mount record", a JSON object holding the fields of
 * docker's MountPoint as inspect shows them (Type, Name, Source,
 * Destination, Driver, Mode, RW, Propagation) plus berth's own, which
 * berth_mount_view leaves out:
 *   CopyData      bool    fill a new volume from the image (not nocopy)
 *   CreateSource  bool    a missing bind source is made (Binds, and
 *                         BindOptions.CreateMountpoint)
 *   TmpfsData     string  "size=64m,mode=1777" (type tmpfs)
 *   VolumeLabels, VolumeOptions  objects for a volume made for it
 *   Anonymous     bool    a volume without a name (one is made up) */
#ifndef BERTH_ENGINE_MOUNTS_H
#define BERTH_ENGINE_MOUNTS_H

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"

#define BERTH_MOUNT_MAX_PATH	4096
#define BERTH_MOUNT_MAX_SPEC	(2 * BERTH_MOUNT_MAX_PATH + 64)
#define BERTH_VOLUME_MAX_NAME	255
#define BERTH_VOLUME_MAX_OPTION 4096

/* Go's path.Clean of P (absolute or not). Caller frees. */
char *berth_mount_clean_path(const char *p);

/* A HostConfig.Binds entry: a bind for an absolute source, else a named
 * volume (a lone path is an anonymous volume). EINVAL with docker's
 * "invalid volume specification: 'x'" or "invalid mode: x". *OUT is the
 * caller's record. */
int berth_mount_parse_bind(const char *spec, json_t **out, berth_error_t *err);

/* A HostConfig.Mounts entry (mount.Mount), checked as moby's
 * validateMountConfig, except that a bind source's existence is the
 * caller's to check. EINVAL "invalid mount config for type ...". */
int berth_mount_parse_spec(const json_t *m, json_t **out, berth_error_t *err);

/* A HostConfig.VolumesFrom entry "container[:ro|rw]": the container in
 * *ID (caller frees) and whether its mounts stay writable. */
int berth_mount_parse_volumes_from(const char *spec, char **id, bool *rw, berth_error_t *err);

/* docker's local volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
bool berth_volume_name_valid(const char *name);

/* The local driver's options (DriverOpts), as moby's validateOpts checks
 * them ("invalid option: \"x\"", "missing required option: \"device\""),
 * then what berth can mount: type tmpfs, or type none with o=bind and an
 * absolute device (ENOSYS for another type). OPTS may be NULL. */
int berth_volume_check_opts(const json_t *opts, berth_error_t *err);

/* The mount(2) arguments for a volume with the options OPTS (checked):
 * *SOURCE (the device), *FSTYPE (NULL for a bind), *FLAGS and *DATA (the
 * "o" option less the flags; NULL when empty). False when OPTS asks for
 * no mount (a plain directory). The strings are the caller's. */
bool berth_volume_mount_args(const json_t *opts, char **source, char **fstype,
			     unsigned long *flags, char **data);

/* The record REC as docker's MountPoint shows in inspect and ps. */
json_t *berth_mount_view(const json_t *rec);

#endif
