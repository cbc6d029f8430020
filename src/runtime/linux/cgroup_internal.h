/* cgroup_internal.h: what cgroup.c, cgroup_v1.c and cgroup_v2.c share,
 * and the pure parsers the unit tests drive with sample text. */
#ifndef BERTH_RUNTIME_LINUX_CGROUP_INTERNAL_H
#define BERTH_RUNTIME_LINUX_CGROUP_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"

/* Input limits (STYLE rule 11). */
#define BERTH_CG_MAX_PATH	 4096 /* cgroupsPath */
#define BERTH_CG_MAX_DEPTH	 32   /* its components, and nested cgroups walked */
#define BERTH_CG_MAX_FILE	 (64 * 1024)
#define BERTH_CG_MAX_PROCS_FILE	 (16 * 1024 * 1024) /* cgroup.procs: ~2M pids */
#define BERTH_CG_MAX_MOUNTINFO	 (4 * 1024 * 1024)
#define BERTH_CG_MAX_HIERARCHIES 32
#define BERTH_CG_MAX_DEVICES	 1024 /* linux.resources.devices rules */

/* Controllers, v1 names; v2's io is BLKIO. On v2, CPUACCT (cpu.stat) and
 * FREEZER (cgroup.freeze) are part of every cgroup. */
enum berth_cg_controller {
	BERTH_CG_CPU,
	BERTH_CG_CPUACCT,
	BERTH_CG_CPUSET,
	BERTH_CG_MEMORY,
	BERTH_CG_DEVICES,
	BERTH_CG_FREEZER,
	BERTH_CG_BLKIO,
	BERTH_CG_PIDS,
	BERTH_CG_NET_CLS,
	BERTH_CG_NET_PRIO,
	BERTH_CG_PERF_EVENT,
	BERTH_CG_HUGETLB,
	BERTH_CG_RDMA,
	BERTH_CG_MISC,
	BERTH_CG_N,
};
#define BERTH_CG_BIT(c) (UINT32_C(1) << (c))
/* What a container's limits and stats use: a hybrid host's v2 mount is
 * used only for these, and only when v1 lacks them. */
#define BERTH_CG_NEEDED                                                  \
	(BERTH_CG_BIT(BERTH_CG_CPU) | BERTH_CG_BIT(BERTH_CG_CPUACCT) |   \
	 BERTH_CG_BIT(BERTH_CG_CPUSET) | BERTH_CG_BIT(BERTH_CG_MEMORY) | \
	 BERTH_CG_BIT(BERTH_CG_FREEZER) | BERTH_CG_BIT(BERTH_CG_BLKIO) | \
	 BERTH_CG_BIT(BERTH_CG_PIDS) | BERTH_CG_BIT(BERTH_CG_DEVICES))
/* On v2 these come with every cgroup (cpu.stat, cgroup.freeze, and the
 * device filter is an eBPF program on the directory). */
#define BERTH_CG_V2_IMPLICIT                                               \
	(BERTH_CG_BIT(BERTH_CG_CPUACCT) | BERTH_CG_BIT(BERTH_CG_FREEZER) | \
	 BERTH_CG_BIT(BERTH_CG_DEVICES))

/* One cgroup mount (a hierarchy). */
struct berth_cgroup_mount {
	char *mountpoint;     /* owned */
	uint32_t controllers; /* BERTH_CG_BIT()s; v2: from cgroup.controllers */
	bool v2;
};

/* The limits of linux.resources that berth applies, parsed and checked. */
struct berth_cgroup_res {
	bool has_limit, has_swap, has_reservation, has_swappiness, oom_kill_disable;
	int64_t limit, swap, reservation;
	uint64_t swappiness;
	bool has_shares, has_quota, has_period;
	uint64_t shares, period;
	int64_t quota;
	const char *cpus, *mems; /* borrowed from the JSON; NULL when absent */
	bool has_pids;
	int64_t pids;
	const json_t *devices; /* borrowed: linux.resources.devices, or NULL */
};

struct berth_cgroup_hier;

/* Per cgroup version, as crun's cgroup managers. Each works on one
 * hierarchy's directory of the container. */
struct berth_cgroup_ops {
	/* before a child directory is made below FD (v2: controllers into
	 * cgroup.subtree_control) */
	int (*prepare_parent)(int fd, uint32_t controllers, const char *where, berth_error_t *err);
	/* on each directory of the path, PARENT_FD holding it (v1: cpuset) */
	int (*init_dir)(int parent_fd, int fd, uint32_t controllers, const char *where,
			berth_error_t *err);
	int (*set_memory)(struct berth_cgroup_hier *h, const struct berth_cgroup_res *r,
			  berth_error_t *err);
	int (*set_cpu)(struct berth_cgroup_hier *h, const struct berth_cgroup_res *r,
		       berth_error_t *err);
	int (*set_cpuset)(struct berth_cgroup_hier *h, const struct berth_cgroup_res *r,
			  berth_error_t *err);
	int (*set_pids)(struct berth_cgroup_hier *h, const struct berth_cgroup_res *r,
			berth_error_t *err);
	int (*set_devices)(struct berth_cgroup_hier *h, const json_t *devices, berth_error_t *err);
	int (*freeze)(struct berth_cgroup_hier *h, bool frozen, berth_error_t *err);
	/* 1 when the kernel killed everything at once (v2 cgroup.kill) */
	int (*kill_all)(struct berth_cgroup_hier *h, berth_error_t *err);
	bool (*oom_killed)(struct berth_cgroup_hier *h);
	void (*cpu_stats)(struct berth_cgroup_hier *h, json_t *cpu_stats);
	void (*memory_stats)(struct berth_cgroup_hier *h, json_t *memory_stats);
	void (*pids_stats)(struct berth_cgroup_hier *h, json_t *pids_stats);
	void (*blkio_stats)(struct berth_cgroup_hier *h, json_t *blkio_stats);
};

extern const struct berth_cgroup_ops berth_cgroup_v1_ops;
extern const struct berth_cgroup_ops berth_cgroup_v2_ops;

/* The container's directory in one hierarchy. */
struct berth_cgroup_hier {
	char *mountpoint; /* owned */
	char *dir;	  /* owned: mountpoint + path, for messages */
	uint32_t controllers;
	bool v2;
	int fd; /* owned: the directory (O_DIRECTORY), -1 when absent */
	const struct berth_cgroup_ops *ops;
	int bpf_prog_fd; /* owned: v2 device filter attached here, or -1 */
};

struct berth_cgroup {
	char *path;			/* owned: normalised, no leading '/' ("berth/<id>") */
	struct berth_cgroup_hier *hier; /* owned */
	size_t n_hier;
	int version;
};

/* ---- files in a cgroup directory (cgroup.c) ---- */

/* Writes VALUE to NAME in the directory FD; errors name WHERE/NAME. */
int berth_cg_write(int fd, const char *where, const char *name, const char *value,
		   berth_error_t *err);
int berth_cg_writef(int fd, const char *where, const char *name, berth_error_t *err,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Reads NAME in FD whole (at most MAX bytes) into *OUT; returns length. */
ssize_t berth_cg_read(int fd, const char *where, const char *name, size_t max, char **out,
		      berth_error_t *err);
/* Whether NAME exists in FD. */
bool berth_cg_exists(int fd, const char *name);
/* Reads a single number from NAME ("max" is UINT64_MAX). */
int berth_cg_read_u64(int fd, const char *where, const char *name, uint64_t *out,
		      berth_error_t *err);
/* Stats are best effort: a missing or odd file leaves its field out.
 * These return -1 or NULL then, with nothing to release. */
int berth_cg_stat_u64(int fd, const char *where, const char *name, uint64_t *out);
char *berth_cg_stat_text(int fd, const char *where, const char *name);
/* JSON integers are signed: values past INT64_MAX are clamped. */
json_t *berth_cg_json_u64(uint64_t v);
/* Sleeps a little for polls: 0.25 ms doubling to 16 ms by ATTEMPT. */
void berth_cg_backoff(unsigned attempt);
/* Monotonic milliseconds. */
uint64_t berth_cg_now_ms(void);

/* ---- pure parsers and conversions (unit-tested with sample text) ---- */

/* Controllers named in LIST, separated by SEP (v1 super options "rw,cpu,
 * cpuacct" with ','; v2 cgroup.controllers "cpu io memory" with ' ').
 * Unknown words and name=... are ignored. */
uint32_t berth_cg_parse_controllers(const char *list, char sep, bool v2);
/* The controller's name (v1 spelling; V2 gives "io" for BLKIO). */
const char *berth_cg_controller_name(enum berth_cg_controller c, bool v2);
/* The cgroup and cgroup2 mounts at or below ROOT in mountinfo TEXT. v1
 * mounts without a known controller (name=systemd) are left out. */
int berth_cg_parse_mountinfo(const char *text, const char *root, struct berth_cgroup_mount **out,
			     size_t *n, berth_error_t *err);
void berth_cg_mounts_free(struct berth_cgroup_mount *m, size_t n);
/* Picks the hierarchies a container uses from M (v2 controllers filled
 * in), in place; returns their number. ROOT itself being cgroup2 means
 * pure v2. On hybrid hosts v1 wins, and the v2 mount is kept only for
 * needed controllers v1 lacks (its controllers narrowed to them). *VERSION
 * gets 1 or 2. */
size_t berth_cg_select_mounts(struct berth_cgroup_mount *m, size_t n, const char *root,
			      int *version);
/* "/berth//x/" -> "berth/x"; "..", "." and empty paths are EINVAL. */
int berth_cg_normalize_path(const char *path, char **out, berth_error_t *err);
/* linux.resources -> R; wrong types and values are EINVAL. */
int berth_cg_parse_resources(const json_t *resources, struct berth_cgroup_res *r,
			     berth_error_t *err);
/* A decimal number, optionally followed by whitespace; "max" is
 * UINT64_MAX. -1 on anything else or overflow. */
int berth_cg_parse_u64(const char *s, uint64_t *out);
/* The value of KEY in "key value" lines (memory.stat, cpu.stat,
 * memory.events, memory.oom_control, cgroup.events). -1 when missing. */
int berth_cg_kv_get(const char *text, const char *key, uint64_t *out);
/* All "key value" lines as a JSON object of integers. */
json_t *berth_cg_kv_to_json(const char *text);
/* v1 blkio "MAJ:MIN Op value" lines as Engine API entries. */
json_t *berth_cg_parse_blkio_v1(const char *text);
/* v2 io.stat lines: rbytes/wbytes into *BYTES, rios/wios into *IOS
 * (Engine API entries, ops "read"/"write" as dockerd writes them). */
void berth_cg_parse_io_stat(const char *text, json_t **bytes, json_t **ios);
/* /proc/stat's "cpu" line as nanoseconds (docker's system_cpu_usage:
 * user..softirq), CLK_TCK ticks a second. -1 when absent. */
int berth_cg_parse_proc_stat(const char *text, long clk_tck, uint64_t *ns);
/* MemTotal of /proc/meminfo in bytes. -1 when absent. */
int berth_cg_parse_meminfo(const char *text, uint64_t *bytes);
/* Pids of a cgroup.procs TEXT appended to *PIDS (grown, *N counted). */
int berth_cg_parse_pids(const char *text, pid_t **pids, size_t *n, size_t *cap, berth_error_t *err);
/* runc's cpu.shares -> cpu.weight: 1 + ((shares - 2) * 9999) / 262142,
 * shares clamped to 2..262144; 0 stays 0 (unset). */
uint64_t berth_cg_shares_to_weight(uint64_t shares);
/* memory.swap.max from OCI memory.limit/swap (memory+swap): -1 "max",
 * 0 unset; else swap - limit. EINVAL when it cannot be expressed. */
int berth_cg_v2_swap(bool has_limit, int64_t limit, int64_t swap, int64_t *out, berth_error_t *err);
/* cpu.max's text ("max 100000", "50000 100000", "50000"); false when
 * neither is set. */
bool berth_cg_v2_cpu_max(const struct berth_cgroup_res *r, char *buf, size_t len);

/* ---- devices (cgroup_v1.c writes rules, cgroup_v2.c an eBPF program) ---- */

/* One linux.resources.devices rule. */
struct berth_cg_device_rule {
	bool allow;
	char type;	      /* 'a', 'c' or 'b' */
	int64_t major, minor; /* -1: any */
	unsigned access;      /* BERTH_CG_DEV_* */
};
#define BERTH_CG_DEV_READ  1u
#define BERTH_CG_DEV_WRITE 2u
#define BERTH_CG_DEV_MKNOD 4u
int berth_cg_parse_devices(const json_t *devices, struct berth_cg_device_rule **rules, size_t *n,
			   berth_error_t *err);
/* A rule in devices.allow/deny syntax: "c 1:3 rwm", "a *:* rwm". */
void berth_cg_device_rule_string(const struct berth_cg_device_rule *r, char *buf, size_t len);

#endif
