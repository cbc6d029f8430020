/* cgroup.h: a container's cgroup on v2, v1, and hybrid hosts (v1
 * controllers with a v2 mount that holds some of them, as on this project's
 * machines: only the controllers' real hierarchies are used). Ops structs
 * per version, as crun's cgroup managers. */
#ifndef BERTH_RUNTIME_LINUX_CGROUP_H
#define BERTH_RUNTIME_LINUX_CGROUP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"

struct berth_cgroup;

/* Creates the cgroup PATH (OCI linux.cgroupsPath, e.g. "/berth/<id>",
 * relative to each hierarchy's root; cgroupfs driver), applies RESOURCES
 * (OCI linux.resources: memory limit/reservation/swap/swappiness/
 * disableOOMKiller, cpu shares/quota/period/cpus (cpuset)/mems, pids
 * limit, and the `devices` rules: devices.allow/deny on v1, an eBPF
 * filter on v2; other fields are ignored) and moves PID into it (0: no
 * process yet). ROOT is normally "/sys/fs/cgroup". Limits the host lacks
 * (e.g. swap accounting) are EINVAL with docker's warning text; a value
 * the kernel refuses is an error naming the file. On failure the
 * directories it made are removed again (best effort). */
struct berth_cgroup *berth_cgroup_create(const char *root, const char *path,
					 const json_t *resources, pid_t pid, berth_error_t *err);
/* The directory fd of CG when it lives on a pure cgroup v2 host (its one
 * hierarchy), for clone3's CLONE_INTO_CGROUP; -1 otherwise. Borrowed. */
int berth_cgroup_v2_fd(const struct berth_cgroup *cg);
/* Moves PID into CG's cgroup v2 hierarchy only (0 or no v2 one: nothing). */
int berth_cgroup_enter_v2(struct berth_cgroup *cg, pid_t pid, berth_error_t *err);
/* Opens (write-only, close-on-exec) the `tasks` file of each of CG's
 * cgroup v1 hierarchies into FDS (at most MAX); returns how many. A single
 * thread writing "0" there moves itself without the global threadgroup
 * lock, whose write side waits for an RCU grace period (~8-11 ms) on every
 * cgroup.procs write unless the hierarchy is mounted with favordynmods. */
ssize_t berth_cgroup_v1_task_fds(struct berth_cgroup *cg, int *fds, size_t max,
				 berth_error_t *err);
/* Opens an existing cgroup (after a daemon restart), without changing it.
 * ENOENT when no hierarchy has it. */
struct berth_cgroup *berth_cgroup_open(const char *root, const char *path, berth_error_t *err);
/* Changes limits of a live cgroup (docker update). */
int berth_cgroup_update(struct berth_cgroup *cg, const json_t *resources, berth_error_t *err);
/* freezer: pause/unpause; returns once the kernel reports the state
 * (v1 freezer.state, v2 cgroup.events), EBUSY after 5 s. ENOTSUP without
 * a freezer. */
int berth_cgroup_freeze(struct berth_cgroup *cg, bool frozen, berth_error_t *err);
/* Every pid in the cgroup (docker top). Caller frees *PIDS. */
int berth_cgroup_pids(struct berth_cgroup *cg, pid_t **pids, size_t *n, berth_error_t *err);
/* Kills every process (SIGKILL; v2 cgroup.kill first), thawing a frozen
 * cgroup, waits for the cgroup to empty (EBUSY after 10 s), removes its
 * directory and any below it in every hierarchy. Parents such as
 * "/berth" are kept. */
int berth_cgroup_destroy(struct berth_cgroup *cg, berth_error_t *err);
/* True once the kernel OOM-killed something in it (memory.events oom_kill on
 * v2, memory.oom_control under_oom/oom_kill on v1). */
bool berth_cgroup_oom_killed(struct berth_cgroup *cg);
/* docker stats: {"cpu_stats":..., "memory_stats":..., "pids_stats":...,
 * "blkio_stats":...} in the Engine API's shape. */
json_t *berth_cgroup_stats(struct berth_cgroup *cg, berth_error_t *err);
void berth_cgroup_free(struct berth_cgroup *cg);
/* 1 or 2: which layout the host has (hybrid counts as 1). */
int berth_cgroup_host_version(const char *root);
/* What the host's cgroups can limit, for `docker info` and dockerd's
 * create-time warnings: a new object {"version": 1|2, "memory", "swap",
 * "memory_reservation", "swappiness", "oom_kill_disable", "cpu_shares",
 * "cpu_cfs", "cpuset", "pids", "freezer", "blkio": booleans}. */
json_t *berth_cgroup_host_info(const char *root);

#endif
