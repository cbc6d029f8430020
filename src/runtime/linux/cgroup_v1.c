/* cgroup_v1.c: the ops of a v1 hierarchy (one directory per controller
 * mount: memory, cpu, cpuacct, cpuset, pids, freezer, blkio, devices...). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/xalloc.h"
#include "runtime/linux/cgroup_internal.h"

/* Freezing waits this long for FROZEN before giving up (and thawing). */
#define V1_FREEZE_TIMEOUT_MS 5000

#define HAS(h, c) (((h)->controllers & BERTH_CG_BIT(c)) != 0)

static void set_u64(json_t *o, const char *key, uint64_t v)
{
	json_object_set_new(o, key, berth_cg_json_u64(v));
}

static int read_quiet(struct berth_cgroup_hier *h, const char *name, uint64_t *v)
{
	return berth_cg_stat_u64(h->fd, h->dir, name, v);
}

static char *read_text_quiet(struct berth_cgroup_hier *h, const char *name)
{
	return berth_cg_stat_text(h->fd, h->dir, name);
}

/* A new cpuset directory has empty cpus and mems, and the kernel refuses
 * tasks until they are set: copy the parent's, level by level. */
static int copy_from_parent(int parent_fd, int fd, const char *name, const char *where,
			    berth_error_t *err)
{
	cleanup_free char *mine = NULL, *theirs = NULL;

	if (berth_cg_read(fd, where, name, BERTH_CG_MAX_FILE, &mine, err) < 0)
		return -1;
	if (mine[strspn(mine, " \n")] != '\0')
		return 0;
	if (berth_cg_read(parent_fd, where, name, BERTH_CG_MAX_FILE, &theirs, err) < 0)
		return -1;
	theirs[strcspn(theirs, "\n")] = '\0';
	if (theirs[0] == '\0')
		return 0;
	return berth_cg_write(fd, where, name, theirs, err);
}

static int v1_init_dir(int parent_fd, int fd, uint32_t controllers, const char *where,
		       berth_error_t *err)
{
	if (!(controllers & BERTH_CG_BIT(BERTH_CG_CPUSET)))
		return 0;
	if (copy_from_parent(parent_fd, fd, "cpuset.cpus", where, err) < 0 ||
	    copy_from_parent(parent_fd, fd, "cpuset.mems", where, err) < 0)
		return -1;
	return 0;
}

static int write_i64(struct berth_cgroup_hier *h, const char *name, int64_t v, berth_error_t *err)
{
	return berth_cg_writef(h->fd, h->dir, name, err, "%" PRId64, v);
}

/* memory.limit_in_bytes and memory.memsw.limit_in_bytes (memory+swap)
 * must keep limit <= memsw at every step: raising both writes memsw
 * first, lowering writes the limit first. */
static int set_limit_and_swap(struct berth_cgroup_hier *h, int64_t limit, int64_t swap,
			      berth_error_t *err)
{
	uint64_t cur = 0;

	if (limit != 0 && swap != 0) {
		if (berth_cg_read_u64(h->fd, h->dir, "memory.limit_in_bytes", &cur, err) < 0)
			return -1;
		if (swap == -1 || cur < (uint64_t)swap) {
			if (write_i64(h, "memory.memsw.limit_in_bytes", swap, err) < 0)
				return -1;
			return write_i64(h, "memory.limit_in_bytes", limit, err);
		}
	}
	if (limit != 0 && write_i64(h, "memory.limit_in_bytes", limit, err) < 0)
		return -1;
	if (swap != 0 && write_i64(h, "memory.memsw.limit_in_bytes", swap, err) < 0)
		return -1;
	return 0;
}

static int v1_set_memory(struct berth_cgroup_hier *h, const struct berth_cgroup_res *r,
			 berth_error_t *err)
{
	bool memsw = berth_cg_exists(h->fd, "memory.memsw.limit_in_bytes");
	int64_t limit = r->has_limit ? r->limit : 0, swap = r->has_swap ? r->swap : 0;

	/* unlimited memory without a swap value: swap unlimited too */
	if (limit == -1 && swap == 0 && memsw)
		swap = -1;
	if (swap != 0 && !memsw) {
		if (swap != -1)
			return berth_make_error(err, EINVAL,
						"Your kernel does not support swap limit "
						"capabilities or the cgroup is not mounted. Memory "
						"limited without swap.");
		swap = 0;
	}
	if (set_limit_and_swap(h, limit, swap, err) < 0)
		return -1;
	if (r->has_reservation && r->reservation != 0 &&
	    write_i64(h, "memory.soft_limit_in_bytes", r->reservation, err) < 0)
		return -1;
	if (r->has_swappiness &&
	    berth_cg_writef(h->fd, h->dir, "memory.swappiness", err, "%" PRIu64, r->swappiness) < 0)
		return -1;
	if (r->oom_kill_disable &&
	    berth_cg_write(h->fd, h->dir, "memory.oom_control", "1", err) < 0)
		return -1;
	return 0;
}

static int v1_set_cpu(struct berth_cgroup_hier *h, const struct berth_cgroup_res *r,
		      berth_error_t *err)
{
	bool period = r->has_period && r->period != 0, quota = r->has_quota && r->quota != 0;
	berth_error_t first = NULL;

	if (r->has_shares && r->shares != 0 &&
	    berth_cg_writef(h->fd, h->dir, "cpu.shares", err, "%" PRIu64, r->shares) < 0)
		return -1;
	if (period && berth_cg_writef(h->fd, h->dir, "cpu.cfs_period_us", &first, "%" PRIu64,
				      r->period) < 0) {
		/* a smaller period can clash with the old quota: quota first */
		if (!quota || berth_error_code(first) != EINVAL) {
			*err = first;
			return -1;
		}
		berth_error_release(&first);
		if (write_i64(h, "cpu.cfs_quota_us", r->quota, err) < 0)
			return -1;
		return berth_cg_writef(h->fd, h->dir, "cpu.cfs_period_us", err, "%" PRIu64,
				       r->period);
	}
	if (quota && write_i64(h, "cpu.cfs_quota_us", r->quota, err) < 0)
		return -1;
	return 0;
}

static int v1_set_cpuset(struct berth_cgroup_hier *h, const struct berth_cgroup_res *r,
			 berth_error_t *err)
{
	if (r->cpus && berth_cg_write(h->fd, h->dir, "cpuset.cpus", r->cpus, err) < 0)
		return -1;
	if (r->mems && berth_cg_write(h->fd, h->dir, "cpuset.mems", r->mems, err) < 0)
		return -1;
	return 0;
}

static int v1_set_pids(struct berth_cgroup_hier *h, const struct berth_cgroup_res *r,
		       berth_error_t *err)
{
	if (!r->has_pids || r->pids == 0)
		return 0;
	if (r->pids < 0)
		return berth_cg_write(h->fd, h->dir, "pids.max", "max", err);
	return write_i64(h, "pids.max", r->pids, err);
}

/* The rules in order, as runc's v1 manager without its emulator: the
 * directory is new or its process is frozen in the middle of nothing, so
 * the transient state between writes does not matter. */
static int v1_set_devices(struct berth_cgroup_hier *h, const json_t *devices, berth_error_t *err)
{
	cleanup_free struct berth_cg_device_rule *rules = NULL;
	size_t n = 0, i;
	char buf[64];

	if (berth_cg_parse_devices(devices, &rules, &n, err) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		berth_cg_device_rule_string(&rules[i], buf, sizeof(buf));
		if (berth_cg_write(h->fd, h->dir, rules[i].allow ? "devices.allow" : "devices.deny",
				   buf, err) < 0)
			return -1;
	}
	return 0;
}

/* Reads freezer.state until it says WANT; FROZEN may pass through
 * FREEZING while tasks stop, and is asked for again now and then. */
static int wait_state(struct berth_cgroup_hier *h, const char *want, berth_error_t *err)
{
	uint64_t deadline = berth_cg_now_ms() + V1_FREEZE_TIMEOUT_MS;
	unsigned attempt;

	for (attempt = 0;; attempt++) {
		cleanup_free char *state = NULL;

		if (berth_cg_read(h->fd, h->dir, "freezer.state", BERTH_CG_MAX_FILE, &state, err) <
		    0)
			return -1;
		state[strcspn(state, "\n")] = '\0';
		if (strcmp(state, want) == 0)
			return 0;
		if (berth_cg_now_ms() >= deadline)
			return berth_make_error(err, EBUSY, "`%s/freezer.state` stays `%s`", h->dir,
						state);
		if (attempt % 10 == 9 &&
		    berth_cg_write(h->fd, h->dir, "freezer.state", want, err) < 0)
			return -1;
		berth_cg_backoff(attempt);
	}
}

static int v1_freeze(struct berth_cgroup_hier *h, bool frozen, berth_error_t *err)
{
	const char *want = frozen ? "FROZEN" : "THAWED";
	berth_error_t e2 = NULL;

	if (berth_cg_write(h->fd, h->dir, "freezer.state", want, err) < 0)
		return -1;
	if (wait_state(h, want, err) == 0)
		return 0;
	/* half frozen is worse than not frozen */
	if (frozen && berth_cg_write(h->fd, h->dir, "freezer.state", "THAWED", &e2) < 0)
		berth_error_release(&e2);
	return -1;
}

static bool v1_oom_killed(struct berth_cgroup_hier *h)
{
	cleanup_free char *text = NULL;
	uint64_t v;

	text = read_text_quiet(h, "memory.oom_control");
	if (text == NULL)
		return false;
	/* oom_kill since 4.13; under_oom when the killer is disabled */
	if (berth_cg_kv_get(text, "oom_kill", &v) == 0 && v > 0)
		return true;
	return berth_cg_kv_get(text, "under_oom", &v) == 0 && v > 0;
}

static json_t *percpu(const char *text)
{
	json_t *a = json_array();
	const char *p = text;

	while (*p) {
		char *end;
		unsigned long long v;

		while (*p == ' ' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		errno = 0;
		v = strtoull(p, &end, 10);
		if (end == p || errno != 0)
			break;
		json_array_append_new(a, berth_cg_json_u64(v));
		p = end;
	}
	return a;
}

static void v1_cpuacct_stats(struct berth_cgroup_hier *h, json_t *usage)
{
	cleanup_free char *per = read_text_quiet(h, "cpuacct.usage_percpu");
	cleanup_free char *stat = read_text_quiet(h, "cpuacct.stat");
	long tck = sysconf(_SC_CLK_TCK);
	uint64_t v;

	if (read_quiet(h, "cpuacct.usage", &v) == 0)
		set_u64(usage, "total_usage", v);
	if (per)
		json_object_set_new(usage, "percpu_usage", percpu(per));
	if (stat == NULL || tck <= 0)
		return;
	/* ticks of USER_HZ, as runc converts them */
	if (berth_cg_kv_get(stat, "user", &v) == 0 && v < UINT64_MAX / 1000000000ULL)
		set_u64(usage, "usage_in_usermode", v * 1000000000ULL / (uint64_t)tck);
	if (berth_cg_kv_get(stat, "system", &v) == 0 && v < UINT64_MAX / 1000000000ULL)
		set_u64(usage, "usage_in_kernelmode", v * 1000000000ULL / (uint64_t)tck);
}

static void v1_cpu_stats(struct berth_cgroup_hier *h, json_t *cpu)
{
	json_t *usage = json_object_get(cpu, "cpu_usage");
	json_t *thr = json_object_get(cpu, "throttling_data");
	cleanup_free char *stat = NULL;
	uint64_t v;

	if (HAS(h, BERTH_CG_CPUACCT))
		v1_cpuacct_stats(h, usage);
	if (!HAS(h, BERTH_CG_CPU) || (stat = read_text_quiet(h, "cpu.stat")) == NULL)
		return;
	if (berth_cg_kv_get(stat, "nr_periods", &v) == 0)
		set_u64(thr, "periods", v);
	if (berth_cg_kv_get(stat, "nr_throttled", &v) == 0)
		set_u64(thr, "throttled_periods", v);
	if (berth_cg_kv_get(stat, "throttled_time", &v) == 0)
		set_u64(thr, "throttled_time", v);
}

static void v1_memory_stats(struct berth_cgroup_hier *h, json_t *mem)
{
	cleanup_free char *stat = read_text_quiet(h, "memory.stat");
	uint64_t v;

	if (read_quiet(h, "memory.usage_in_bytes", &v) == 0)
		set_u64(mem, "usage", v);
	if (read_quiet(h, "memory.max_usage_in_bytes", &v) == 0)
		set_u64(mem, "max_usage", v);
	if (read_quiet(h, "memory.failcnt", &v) == 0)
		set_u64(mem, "failcnt", v);
	if (read_quiet(h, "memory.limit_in_bytes", &v) == 0)
		set_u64(mem, "limit", v);
	json_object_set_new(mem, "stats", stat ? berth_cg_kv_to_json(stat) : json_object());
}

static void v1_pids_stats(struct berth_cgroup_hier *h, json_t *pids)
{
	uint64_t v;

	if (read_quiet(h, "pids.current", &v) == 0)
		set_u64(pids, "current", v);
	/* "max" (unlimited) is left out, as dockerd's omitempty does */
	if (read_quiet(h, "pids.max", &v) == 0 && v != UINT64_MAX)
		set_u64(pids, "limit", v);
}

static void blkio_file(struct berth_cgroup_hier *h, json_t *blkio, const char *key,
		       const char *recursive, const char *plain)
{
	cleanup_free char *text = read_text_quiet(h, recursive);

	if (text == NULL)
		text = read_text_quiet(h, plain);
	if (text)
		json_object_set_new(blkio, key, berth_cg_parse_blkio_v1(text));
}

static void v1_blkio_stats(struct berth_cgroup_hier *h, json_t *blkio)
{
	blkio_file(h, blkio, "io_service_bytes_recursive",
		   "blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_service_bytes");
	blkio_file(h, blkio, "io_serviced_recursive", "blkio.throttle.io_serviced_recursive",
		   "blkio.throttle.io_serviced");
}

const struct berth_cgroup_ops berth_cgroup_v1_ops = {
	.prepare_parent = NULL,
	.init_dir = v1_init_dir,
	.set_memory = v1_set_memory,
	.set_cpu = v1_set_cpu,
	.set_cpuset = v1_set_cpuset,
	.set_pids = v1_set_pids,
	.set_devices = v1_set_devices,
	.freeze = v1_freeze,
	.kill_all = NULL,
	.oom_killed = v1_oom_killed,
	.cpu_stats = v1_cpu_stats,
	.memory_stats = v1_memory_stats,
	.pids_stats = v1_pids_stats,
	.blkio_stats = v1_blkio_stats,
};
