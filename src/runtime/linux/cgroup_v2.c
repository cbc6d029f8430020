/* cgroup_v2.c: the ops of the unified hierarchy: controllers enabled in
 * the parents' cgroup.subtree_control, limits in memory.max, cpu.max,
 * cpu.weight, pids.max..., cgroup.freeze, cgroup.kill, and device rules
 * as an eBPF program attached to the directory (v2 has no devices.allow). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/xalloc.h"
#include "runtime/linux/cgroup_internal.h"

#define V2_FREEZE_TIMEOUT_MS 5000
#define V2_MAX_ATTACHED	     64 /* device programs queried on one cgroup */

/* ------------------------------------------------------------ create */

/* Turns on, in FD's cgroup.subtree_control, the controllers of
 * CONTROLLERS that FD offers. A refusal is not fatal here: the limit
 * that needs the controller fails later, naming its file. */
static int v2_prepare_parent(int fd, uint32_t controllers, const char *where, berth_error_t *err)
{
	cleanup_free char *avail = NULL, *enabled = NULL;
	uint32_t have, on;
	berth_error_t e = NULL;
	int c;

	if (berth_cg_read(fd, where, "cgroup.controllers", BERTH_CG_MAX_FILE, &avail, err) < 0 ||
	    berth_cg_read(fd, where, "cgroup.subtree_control", BERTH_CG_MAX_FILE, &enabled, err) <
		0)
		return -1;
	/* only what containers use: hugetlb, rdma and misc stay as they are */
	controllers &= BERTH_CG_NEEDED;
	have = berth_cg_parse_controllers(avail, ' ', true);
	on = berth_cg_parse_controllers(enabled, ' ', true);
	for (c = 0; c < BERTH_CG_N; c++) {
		uint32_t bit = BERTH_CG_BIT(c);
		cleanup_free char *value = NULL;

		if (!(controllers & bit) || !(have & bit) || (on & bit))
			continue;
		value = xasprintf("+%s", berth_cg_controller_name(c, true));
		if (berth_cg_write(fd, where, "cgroup.subtree_control", value, &e) < 0)
			berth_error_release(&e);
	}
	return 0;
}

/* ------------------------------------------------------------ limits */

static int write_limit(struct berth_cgroup_hier *h, const char *name, int64_t v, berth_error_t *err)
{
	if (v < 0)
		return berth_cg_write(h->fd, h->dir, name, "max", err);
	return berth_cg_writef(h->fd, h->dir, name, err, "%" PRId64, v);
}

static int v2_set_memory(struct berth_cgroup_hier *h, const struct berth_cgroup_res *r,
			 berth_error_t *err)
{
	int64_t swap = 0;

	if (berth_cg_v2_swap(r->has_limit, r->limit, r->has_swap ? r->swap : 0, &swap, err) < 0)
		return -1;
	if (r->has_limit && r->limit != 0 && write_limit(h, "memory.max", r->limit, err) < 0)
		return -1;
	if (swap != 0 && !berth_cg_exists(h->fd, "memory.swap.max")) {
		if (swap != -1)
			return berth_make_error(err, EINVAL,
						"Your kernel does not support swap limit "
						"capabilities or the cgroup is not mounted. Memory "
						"limited without swap.");
	} else if (swap != 0 && write_limit(h, "memory.swap.max", swap, err) < 0) {
		return -1;
	}
	if (r->has_reservation && r->reservation != 0 &&
	    write_limit(h, "memory.low", r->reservation, err) < 0)
		return -1;
	/* swappiness and the OOM killer switch have no v2 file; dockerd
	 * drops them with a warning before they get here */
	return 0;
}

static int v2_set_cpu(struct berth_cgroup_hier *h, const struct berth_cgroup_res *r,
		      berth_error_t *err)
{
	char max[64];

	if (r->has_shares && r->shares != 0 &&
	    berth_cg_writef(h->fd, h->dir, "cpu.weight", err, "%" PRIu64,
			    berth_cg_shares_to_weight(r->shares)) < 0)
		return -1;
	if (berth_cg_v2_cpu_max(r, max, sizeof(max)) &&
	    berth_cg_write(h->fd, h->dir, "cpu.max", max, err) < 0)
		return -1;
	return 0;
}

static int v2_set_cpuset(struct berth_cgroup_hier *h, const struct berth_cgroup_res *r,
			 berth_error_t *err)
{
	if (r->cpus && berth_cg_write(h->fd, h->dir, "cpuset.cpus", r->cpus, err) < 0)
		return -1;
	if (r->mems && berth_cg_write(h->fd, h->dir, "cpuset.mems", r->mems, err) < 0)
		return -1;
	return 0;
}

static int v2_set_pids(struct berth_cgroup_hier *h, const struct berth_cgroup_res *r,
		       berth_error_t *err)
{
	if (!r->has_pids || r->pids == 0)
		return 0;
	return write_limit(h, "pids.max", r->pids, err);
}

/* ------------------------------------------------------------ devices */

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct bpf_insn i = { .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
	return i;
}

/* 32-bit compares (JMP32, Linux 5.1): major/minor are u32 */
#define JNE32_IMM(reg, imm, off) insn(BPF_JMP32 | BPF_JNE | BPF_K, (reg), 0, (off), (int32_t)(imm))

/* Appends the test of one rule: a match returns its verdict, anything
 * else falls through to the next rule. Registers as set by the prologue:
 * r2 type, r3 access, r4 major, r5 minor. *CATCH_ALL tells that the rule
 * matches everything (what follows it would be unreachable, which the
 * verifier refuses). */
static size_t emit_rule(const struct berth_cg_device_rule *r, struct bpf_insn *out, bool *catch_all)
{
	const unsigned all = BERTH_CG_DEV_READ | BERTH_CG_DEV_WRITE | BERTH_CG_DEV_MKNOD;
	size_t n = 0, i, jumps[4], nj = 0;

	if (r->type != 'a') {
		jumps[nj++] = n;
		out[n++] = JNE32_IMM(BPF_REG_2,
				     r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
	}
	if ((r->access & all) != all) {
		/* the request's access bits must all be in the rule's */
		int32_t allowed = (r->access & BERTH_CG_DEV_READ ? BPF_DEVCG_ACC_READ : 0) |
				  (r->access & BERTH_CG_DEV_WRITE ? BPF_DEVCG_ACC_WRITE : 0) |
				  (r->access & BERTH_CG_DEV_MKNOD ? BPF_DEVCG_ACC_MKNOD : 0);

		out[n++] = insn(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
		out[n++] = insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, ~allowed & 7);
		jumps[nj++] = n;
		out[n++] = JNE32_IMM(BPF_REG_1, 0, 0);
	}
	if (r->major >= 0) {
		jumps[nj++] = n;
		out[n++] = JNE32_IMM(BPF_REG_4, (uint32_t)r->major, 0);
	}
	if (r->minor >= 0) {
		jumps[nj++] = n;
		out[n++] = JNE32_IMM(BPF_REG_5, (uint32_t)r->minor, 0);
	}
	out[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, r->allow ? 1 : 0);
	out[n++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	for (i = 0; i < nj; i++)
		out[jumps[i]].off = (int16_t)(n - jumps[i] - 1);
	*catch_all = nj == 0;
	return n;
}

/* The program for RULES: later rules override earlier ones, as writes to
 * devices.allow/deny do on v1, so they are tested last to first; no match
 * allows, as a v1 cgroup starts out allowing all. */
static struct bpf_insn *device_program(const struct berth_cg_device_rule *rules, size_t n_rules,
				       size_t *len)
{
	struct bpf_insn *p = xcalloc(6 + n_rules * 9 + 2, sizeof(*p));
	bool catch_all = false;
	size_t n = 0, i;

	p[n++] = insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0);
	p[n++] = insn(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_2, 0, 0);
	p[n++] = insn(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
	p[n++] = insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff);
	p[n++] = insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0);
	p[n++] = insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0);
	for (i = n_rules; i > 0 && !catch_all; i--)
		n += emit_rule(&rules[i - 1], p + n, &catch_all);
	if (!catch_all) {
		p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
		p[n++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	}
	*len = n;
	return p;
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int load_program(const struct bpf_insn *prog, size_t len, berth_error_t *err)
{
	union bpf_attr attr;
	char log[1024] = "";
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)prog;
	attr.insn_cnt = (uint32_t)len;
	attr.license = (uint64_t)(uintptr_t) "Apache";
	attr.log_buf = (uint64_t)(uintptr_t)log;
	attr.log_size = sizeof(log);
	attr.log_level = 1;
	fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd < 0 && errno == ENOSPC) { /* the log overflowed: retry without one */
		attr.log_buf = 0;
		attr.log_size = 0;
		attr.log_level = 0;
		fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
	}
	if (fd < 0)
		return berth_make_error(err, errno, "load the device filter: %s%s%.200s",
					strerror(errno), log[0] ? ": " : "", log);
	return fd;
}

/* The ids of the device programs attached to FD now. */
static int attached_programs(int fd, uint32_t *ids, uint32_t *n)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)fd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
	attr.query.prog_cnt = *n;
	if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
		return -1;
	*n = attr.query.prog_cnt < *n ? attr.query.prog_cnt : *n;
	return 0;
}

static void detach_program(int fd, uint32_t id)
{
	cleanup_close int prog = -1;
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_id = id;
	prog = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
	if (prog < 0)
		return;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)fd;
	attr.attach_bpf_fd = (uint32_t)prog;
	attr.attach_type = BPF_CGROUP_DEVICE;
	(void)sys_bpf(BPF_PROG_DETACH, &attr);
}

/* Attaches the new filter before the old ones go, so that there is no
 * moment without one (both must allow meanwhile). */
static int v2_set_devices(struct berth_cgroup_hier *h, const json_t *devices, berth_error_t *err)
{
	cleanup_free struct berth_cg_device_rule *rules = NULL;
	cleanup_free struct bpf_insn *prog = NULL;
	cleanup_close int prog_fd = -1;
	uint32_t old[V2_MAX_ATTACHED], n_old = V2_MAX_ATTACHED, i;
	union bpf_attr attr;
	size_t n = 0, len;

	if (berth_cg_parse_devices(devices, &rules, &n, err) < 0)
		return -1;
	prog = device_program(rules, n, &len);
	prog_fd = load_program(prog, len, err);
	if (prog_fd < 0)
		return -1;
	if (attached_programs(h->fd, old, &n_old) < 0)
		n_old = 0;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)h->fd;
	attr.attach_bpf_fd = (uint32_t)prog_fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
		return berth_make_error(err, errno, "attach the device filter to `%s`: %s", h->dir,
					strerror(errno));
	for (i = 0; i < n_old; i++)
		detach_program(h->fd, old[i]);
	return 0;
}

/* ------------------------------------------------------------ freezer */

static int v2_freeze(struct berth_cgroup_hier *h, bool frozen, berth_error_t *err)
{
	uint64_t deadline = berth_cg_now_ms() + V2_FREEZE_TIMEOUT_MS, v;
	berth_error_t e2 = NULL;
	unsigned attempt;

	if (berth_cg_write(h->fd, h->dir, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
		return -1;
	for (attempt = 0;; attempt++) {
		cleanup_free char *events = NULL;

		if (berth_cg_read(h->fd, h->dir, "cgroup.events", BERTH_CG_MAX_FILE, &events, err) <
		    0)
			return -1;
		if (berth_cg_kv_get(events, "frozen", &v) == 0 && (v != 0) == frozen)
			return 0;
		if (berth_cg_now_ms() >= deadline)
			break;
		berth_cg_backoff(attempt);
	}
	if (frozen && berth_cg_write(h->fd, h->dir, "cgroup.freeze", "0", &e2) < 0)
		berth_error_release(&e2);
	return berth_make_error(err, EBUSY, "`%s/cgroup.events` does not say frozen %d", h->dir,
				frozen ? 1 : 0);
}

static int v2_kill_all(struct berth_cgroup_hier *h, berth_error_t *err)
{
	/* cgroup.kill: Linux 5.14 */
	if (!berth_cg_exists(h->fd, "cgroup.kill"))
		return 0;
	if (berth_cg_write(h->fd, h->dir, "cgroup.kill", "1", err) < 0)
		return -1;
	return 1;
}

/* ------------------------------------------------------------ oom, stats */

static bool v2_oom_killed(struct berth_cgroup_hier *h)
{
	cleanup_free char *events = berth_cg_stat_text(h->fd, h->dir, "memory.events");
	uint64_t v;

	return events && berth_cg_kv_get(events, "oom_kill", &v) == 0 && v > 0;
}

static void set_usec(json_t *o, const char *key, const char *stat, const char *name)
{
	uint64_t v;

	if (berth_cg_kv_get(stat, name, &v) == 0 && v <= UINT64_MAX / 1000)
		json_object_set_new(o, key, berth_cg_json_u64(v * 1000));
}

static void set_count(json_t *o, const char *key, const char *stat, const char *name)
{
	uint64_t v;

	if (berth_cg_kv_get(stat, name, &v) == 0)
		json_object_set_new(o, key, berth_cg_json_u64(v));
}

static void v2_cpu_stats(struct berth_cgroup_hier *h, json_t *cpu)
{
	cleanup_free char *stat = berth_cg_stat_text(h->fd, h->dir, "cpu.stat");
	json_t *usage = json_object_get(cpu, "cpu_usage");
	json_t *thr = json_object_get(cpu, "throttling_data");

	if (stat == NULL)
		return;
	/* microseconds on v2; the Engine API wants nanoseconds */
	set_usec(usage, "total_usage", stat, "usage_usec");
	set_usec(usage, "usage_in_usermode", stat, "user_usec");
	set_usec(usage, "usage_in_kernelmode", stat, "system_usec");
	set_count(thr, "periods", stat, "nr_periods");
	set_count(thr, "throttled_periods", stat, "nr_throttled");
	set_usec(thr, "throttled_time", stat, "throttled_usec");
}

static void v2_memory_stats(struct berth_cgroup_hier *h, json_t *mem)
{
	cleanup_free char *stat = berth_cg_stat_text(h->fd, h->dir, "memory.stat");
	uint64_t v;

	if (berth_cg_stat_u64(h->fd, h->dir, "memory.current", &v) == 0)
		json_object_set_new(mem, "usage", berth_cg_json_u64(v));
	if (berth_cg_stat_u64(h->fd, h->dir, "memory.max", &v) == 0)
		json_object_set_new(mem, "limit", berth_cg_json_u64(v));
	json_object_set_new(mem, "stats", stat ? berth_cg_kv_to_json(stat) : json_object());
}

static void v2_pids_stats(struct berth_cgroup_hier *h, json_t *pids)
{
	uint64_t v;

	if (berth_cg_stat_u64(h->fd, h->dir, "pids.current", &v) == 0)
		json_object_set_new(pids, "current", berth_cg_json_u64(v));
	if (berth_cg_stat_u64(h->fd, h->dir, "pids.max", &v) == 0 && v != UINT64_MAX)
		json_object_set_new(pids, "limit", berth_cg_json_u64(v));
}

static void v2_blkio_stats(struct berth_cgroup_hier *h, json_t *blkio)
{
	cleanup_free char *stat = berth_cg_stat_text(h->fd, h->dir, "io.stat");
	json_t *bytes, *ios;

	if (stat == NULL)
		return;
	berth_cg_parse_io_stat(stat, &bytes, &ios);
	json_object_set_new(blkio, "io_service_bytes_recursive", bytes);
	json_object_set_new(blkio, "io_serviced_recursive", ios);
}

const struct berth_cgroup_ops berth_cgroup_v2_ops = {
	.prepare_parent = v2_prepare_parent,
	.init_dir = NULL,
	.set_memory = v2_set_memory,
	.set_cpu = v2_set_cpu,
	.set_cpuset = v2_set_cpuset,
	.set_pids = v2_set_pids,
	.set_devices = v2_set_devices,
	.freeze = v2_freeze,
	.kill_all = v2_kill_all,
	.oom_killed = v2_oom_killed,
	.cpu_stats = v2_cpu_stats,
	.memory_stats = v2_memory_stats,
	.pids_stats = v2_pids_stats,
	.blkio_stats = v2_blkio_stats,
};
