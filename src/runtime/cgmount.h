/* cgmount.h: the host directories of a process's cgroups, read from
 * /proc/PID/cgroup and the cgroup mounts of /proc/self/mountinfo (v1, v2
 * and hybrid layouts alike). */
#ifndef BERTH_RUNTIME_CGMOUNT_H
#define BERTH_RUNTIME_CGMOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"

struct berth_cgmount {
	char *dir;	   /* owned: host directory of the cgroup */
	char *name;	   /* owned: basename of the hierarchy's mount ("cpu,cpuacct", "unified") */
	char *controllers; /* owned: as in /proc/PID/cgroup ("cpu,cpuacct", "name=systemd", "") */
	bool v2;
};

/* The cgroups of PID (0: the caller), one entry per mounted hierarchy;
 * hierarchies that are not mounted are left out. *OUT is owned by the
 * caller (berth_cgmount_free). */
int berth_cgmount_of(pid_t pid, struct berth_cgmount **out, size_t *n, berth_error_t *err);
void berth_cgmount_free(struct berth_cgmount *v, size_t n);

/* Moves the caller, single-threaded, into every cgroup of PID (for exec). */
int berth_cgmount_join(pid_t pid, berth_error_t *err);

#endif
