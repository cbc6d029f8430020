/* caps.h: capability sets of a container process (libcap). */
#ifndef BERTH_RUNTIME_LINUX_CAPS_H
#define BERTH_RUNTIME_LINUX_CAPS_H

#include <jansson.h>

#include "base/error.h"

/* docker's default capability set (14 caps), as OCI names ("CAP_CHOWN", ...):
 * a new JSON array. */
json_t *berth_caps_default(void);

/* Every capability the running kernel knows, as OCI names: a new JSON
 * array (`--privileged`, `--cap-add ALL`). */
json_t *berth_caps_all(void);

/* The number of the capability NAME ("CAP_X"), or -1 when unknown. Names
 * the running kernel lacks still have numbers. */
int berth_caps_number(const char *name);

/* Applies an OCI `process.capabilities` object (bounding, effective,
 * inheritable, permitted, ambient arrays of "CAP_X" names) to the calling
 * process: drops everything else from the bounding set, sets the others,
 * and keeps them across the coming execve (ambient where asked). Unknown
 * names are EINVAL; names the running kernel lacks are skipped, and so are
 * caps the calling process does not hold (they cannot be granted: root on
 * some hosts lacks CAP_SYS_RESOURCE). NULL changes nothing. Must run
 * after the uid/gid switch is prepared (PR_SET_KEEPCAPS) as the OCI spec
 * orders it: see berth_caps_prepare_user_switch. */
int berth_caps_apply(const json_t *capabilities, berth_error_t *err);

/* Call before setresuid() to a non-root user so that permitted caps
 * survive it (PR_SET_KEEPCAPS); berth_caps_apply afterwards. */
int berth_caps_prepare_user_switch(berth_error_t *err);

#endif
