/* state.h: berth-oci's record of a container: <root>/<id>/state.json
 * (written tmp + fsync + rename) and the exec FIFO beside it while the
 * container is "created". The status is never stored: it is read from
 * the init process itself (alive, zombie, gone) and the FIFO each time. */
#ifndef BERTH_RUNTIME_STATE_H
#define BERTH_RUNTIME_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"

#define BERTH_STATE_MAX_ID    1024	/* container id bytes */
#define BERTH_STATE_MAX_BYTES (4 << 20) /* state.json */

struct berth_oci_state {
	char *id;	   /* owned */
	char *bundle;	   /* owned, absolute */
	char *rootfs;	   /* owned, absolute */
	char *created;	   /* owned, RFC 3339 UTC */
	char *cgroup_path; /* owned */
	pid_t pid;
	uint64_t start_time; /* of the init: tells a reused pid apart */
	bool paused;
	json_t *annotations; /* owned reference or NULL */
	json_t *hooks;	     /* owned reference or NULL: the spec's, for poststop */
};

/* EINVAL unless ID is 1..1024 bytes of [A-Za-z0-9_.+-], not starting with '.'
 * (it names a directory). */
int berth_state_check_id(const char *id, berth_error_t *err);

/* <root>/<id> and <root>/<id>/exec.fifo: new strings. */
char *berth_state_dir(const char *root, const char *id);
char *berth_state_fifo(const char *root, const char *id);

/* Makes <root>/<id> (and ROOT, 0700): EEXIST "container `id` already exists". */
int berth_state_create_dir(const char *root, const char *id, berth_error_t *err);

/* Writes S as <root>/<id>/state.json, atomically. */
int berth_state_save(const char *root, const struct berth_oci_state *s, berth_error_t *err);

/* Reads <root>/<id>/state.json into S: ENOENT "container `id` does not exist". */
int berth_state_load(const char *root, const char *id, struct berth_oci_state *s,
		     berth_error_t *err);
void berth_state_release(struct berth_oci_state *s);

/* "created", "running", "paused" or "stopped", from the init and the FIFO. */
const char *berth_state_status(const char *root, const struct berth_oci_state *s);

/* The OCI state document runc prints for `state` (with rootfs, created,
 * owner): a new JSON object. */
json_t *berth_state_to_json(const struct berth_oci_state *s, const char *status);

/* Removes <root>/<id> and what is in it. */
int berth_state_remove(const char *root, const char *id, berth_error_t *err);

#endif
